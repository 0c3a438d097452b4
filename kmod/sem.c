// SPDX-License-Identifier: GPL-2.0
/*
 * Semaphore and BoundedSemaphore: a count; release(n) hands units to up
 * to n waiters, oldest first, and adds the rest to the count.  Units have
 * no owner, so a process that dies holding some does not give them back
 * (as with Python's and POSIX semaphores).
 */

#include "core.h"

static int syncmgr_sem_init(struct syncmgr_obj *obj,
			    const struct syncmgr_create *args)
{
	obj->sem.count = args->value;
	obj->sem.max = obj->type == SYNCMGR_TYPE_BOUNDED_SEMAPHORE ?
		       args->value : U32_MAX;
	return 0;
}

static int syncmgr_sem_acquire(struct syncmgr_obj *obj, u64 deadline)
{
	spin_lock(&obj->lock);
	if (!obj->sem.count)
		return syncmgr_block(obj, NULL, 0, deadline);
	obj->sem.count--;
	spin_unlock(&obj->lock);
	return 0;
}

static int syncmgr_sem_release(struct syncmgr_obj *obj, u32 n)
{
	struct syncmgr_waiter *w;
	int ret = 0;

	if (!n)
		return -EINVAL;
	spin_lock(&obj->lock);
	/* Waiters mean a zero count, so the bound applies to n itself. */
	if (n > obj->sem.max - obj->sem.count) {
		ret = -EOVERFLOW;
	} else {
		while (n && (w = syncmgr_first_waiter(obj))) {
			syncmgr_grant(w, 0);
			n--;
		}
		obj->sem.count += n;
		if (n)
			syncmgr_obj_changed(obj);
	}
	spin_unlock(&obj->lock);
	return ret;
}

/* WAIT_ANY/ALL: a unit now, if there is one. */
static int syncmgr_sem_try_acquire(struct syncmgr_obj *obj,
				   struct syncmgr_owner *me, bool take)
{
	lockdep_assert_held(&obj->lock);
	if (!obj->sem.count)
		return -EAGAIN;
	if (take)
		obj->sem.count--;
	return 0;
}

static bool syncmgr_sem_ready(struct syncmgr_obj *obj)
{
	return obj->sem.count;
}

static void syncmgr_sem_state(struct syncmgr_obj *obj, struct syncmgr_state *st)
{
	st->value = obj->sem.count;
	if (obj->type == SYNCMGR_TYPE_BOUNDED_SEMAPHORE)
		st->max = obj->sem.max;
}

static const struct syncmgr_ops syncmgr_sem_ops = {
	.init		= syncmgr_sem_init,
	.acquire	= syncmgr_sem_acquire,
	.release	= syncmgr_sem_release,
	.ready		= syncmgr_sem_ready,
	.state		= syncmgr_sem_state,
	.try_acquire	= syncmgr_sem_try_acquire,
};

const struct syncmgr_family syncmgr_sem_family = {
	.name		= "Semaphore",
	.features	= SYNCMGR_FEAT_SEMAPHORES,
	.create_args	= SYNCMGR_ARG_VALUE,
	.ops		= &syncmgr_sem_ops,
};

const struct syncmgr_family syncmgr_bsem_family = {
	.name		= "BoundedSemaphore",
	.features	= SYNCMGR_FEAT_SEMAPHORES,
	.create_args	= SYNCMGR_ARG_VALUE,
	.ops		= &syncmgr_sem_ops,
};
