// SPDX-License-Identifier: GPL-2.0
/*
 * Condition over a Lock or RLock object.
 *
 * A condition has no lock of its own: its state is guarded by its lock
 * object's spinlock, so "release the lock and start waiting" is one
 * atomic step.  notify() does not wake anyone: it moves waiters, oldest
 * first, onto the lock's own queue, from which each is handed the lock (at
 * its saved RLock depth) and woken in turn.  notify_all() therefore wakes
 * one task per release, never a herd fighting for the lock.
 */
#include <linux/err.h>
#include <linux/sched/signal.h>

#include "core.h"

static int syncmgr_cond_init(struct syncmgr_obj *obj,
			     const struct syncmgr_create *args)
{
	static const struct syncmgr_create rlock_args = {
		.type = SYNCMGR_TYPE_RLOCK,
	};
	struct syncmgr_obj *lock;

	if (args->lock_fd == -1) {
		lock = syncmgr_obj_new(&rlock_args);
	} else {
		lock = syncmgr_obj_from_fd(args->lock_fd);
		if (!IS_ERR(lock) && lock->type != SYNCMGR_TYPE_LOCK &&
		    lock->type != SYNCMGR_TYPE_RLOCK) {
			syncmgr_obj_put(lock);
			lock = ERR_PTR(-EBADFD);
		}
	}
	if (IS_ERR(lock))
		return PTR_ERR(lock);
	obj->base = lock;
	return 0;
}

static void syncmgr_cond_destroy(struct syncmgr_obj *obj)
{
	syncmgr_obj_put(obj->base);
}

/* The caller's record for holding the lock; NULL only if untracked. */
static struct syncmgr_owner *syncmgr_cond_me(struct syncmgr_obj *lock)
{
	return syncmgr_lock_owner_current(lock);
}

/*
 * Under the lock, after the wait ended without a notify: take the lock
 * back at once if an acquire would (it is free, or an abandoned Lock:
 * then told), else queue for it like any acquirer.
 */
static void syncmgr_cond_requeue_self(struct syncmgr_obj *lock,
				      struct syncmgr_waiter *w)
{
	syncmgr_dequeue(w);
	if (syncmgr_lock_ops.ready(lock)) {
		syncmgr_lock_take(lock, w->owner, w->value);
		w->result = syncmgr_lock_take_result(lock);
		w->granted = true;
	} else {
		syncmgr_enqueue(lock, w);
	}
}

static int syncmgr_cond_wait(struct syncmgr_obj *obj, u64 deadline)
{
	struct syncmgr_obj *lock = obj->base;
	struct syncmgr_owner *me = syncmgr_cond_me(lock);
	struct syncmgr_waiter w;
	int ret;

	if (IS_ERR(me))
		return PTR_ERR(me);
	spin_lock(&lock->lock);
	if (!syncmgr_lock_is_held(lock, me)) {
		spin_unlock(&lock->lock);
		return -EPERM;
	}
	syncmgr_waiter_init(&w, me);
	syncmgr_enqueue(obj, &w);
	w.value = syncmgr_lock_drop(lock);	/* restored on the way back */
	spin_unlock(&lock->lock);

	ret = syncmgr_sleep(&w, deadline, TASK_INTERRUPTIBLE);

	spin_lock(&lock->lock);
	if (w.granted || w.notified)
		ret = 0;			/* notified: success wins */
	else
		syncmgr_cond_requeue_self(lock, &w);
	spin_unlock(&lock->lock);

	/*
	 * Whatever ended the wait, return holding the lock, as Python does.
	 * Only a fatal signal (the task is dying anyway) stops this.
	 */
	if (!w.granted &&
	    syncmgr_sleep(&w, SYNCMGR_DEADLINE_FOREVER, TASK_KILLABLE)) {
		spin_lock(&lock->lock);
		if (!w.granted)
			syncmgr_dequeue(&w);
		spin_unlock(&lock->lock);
		if (!w.granted)
			return -EINTR;
	}
	return w.result ? w.result : ret;
}

static int syncmgr_cond_notify(struct syncmgr_obj *obj, u32 n)
{
	struct syncmgr_obj *lock = obj->base;
	struct syncmgr_owner *me = lock->type == SYNCMGR_TYPE_RLOCK ?
				   syncmgr_owner_find(true) : NULL;
	struct syncmgr_waiter *w;
	int moved = 0;

	spin_lock(&lock->lock);
	if (!syncmgr_lock_is_held(lock, me)) {
		spin_unlock(&lock->lock);
		return -EPERM;
	}
	while (n-- && (w = syncmgr_first_waiter(obj))) {
		syncmgr_dequeue(w);
		w->notified = true;
		syncmgr_enqueue(lock, w);
		moved++;
	}
	spin_unlock(&lock->lock);
	return moved;
}

static int syncmgr_cond_acquire(struct syncmgr_obj *obj, u64 deadline)
{
	return syncmgr_lock_ops.acquire(obj->base, deadline);
}

static int syncmgr_cond_release(struct syncmgr_obj *obj, u32 count)
{
	return syncmgr_lock_ops.release(obj->base, count);
}

static bool syncmgr_cond_ready(struct syncmgr_obj *obj)
{
	return syncmgr_lock_ops.ready(obj->base);
}

static void syncmgr_cond_state(struct syncmgr_obj *obj,
			       struct syncmgr_state *st)
{
	struct syncmgr_obj *lock = obj->base;

	lock->ops->state(lock, st);
	if (lock->owner)
		st->owner = syncmgr_owner_pid(lock->owner);
	if (lock->owner_died)
		st->status |= SYNCMGR_STATE_OWNER_DIED;
}

static const struct syncmgr_ops syncmgr_cond_ops = {
	.init		= syncmgr_cond_init,
	.destroy	= syncmgr_cond_destroy,
	.acquire	= syncmgr_cond_acquire,
	.release	= syncmgr_cond_release,
	.wait		= syncmgr_cond_wait,
	.notify		= syncmgr_cond_notify,
	.ready		= syncmgr_cond_ready,
	.state		= syncmgr_cond_state,
};

const struct syncmgr_family syncmgr_cond_family = {
	.name		= "Condition",
	.features	= SYNCMGR_FEAT_CONDITION,
	.create_args	= SYNCMGR_ARG_LOCK_FD,
	.ops		= &syncmgr_cond_ops,
};
