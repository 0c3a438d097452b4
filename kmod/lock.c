// SPDX-License-Identifier: GPL-2.0
/*
 * Lock and RLock.
 *
 * Both are a depth (0 = free) and an optional tracked holder: the process
 * for a Lock (Python's Lock may be released by anyone, so the holder is
 * just the process that last acquired it), the thread for an RLock.  A
 * release hands the lock straight to the oldest waiter, so waking never
 * races: the woken task already holds it.
 */
#include <linux/err.h>

#include "core.h"

static bool syncmgr_is_rlock(struct syncmgr_obj *obj)
{
	return obj->type == SYNCMGR_TYPE_RLOCK;
}

/*
 * The record the caller would hold obj as: its thread's for an RLock, its
 * process's for a tracked Lock, none for an untracked one.  May sleep.
 */
struct syncmgr_owner *syncmgr_lock_owner_current(struct syncmgr_obj *obj)
{
	if (obj->flags & SYNCMGR_CREATE_UNTRACKED)
		return NULL;
	return syncmgr_owner_current(syncmgr_is_rlock(obj));
}

/* Under the lock: does me hold obj?  (Lock: held by anyone, as Python.) */
bool syncmgr_lock_is_held(struct syncmgr_obj *obj, struct syncmgr_owner *me)
{
	lockdep_assert_held(&obj->lock);
	if (syncmgr_is_rlock(obj))
		return me && obj->owner == me;
	return obj->depth != 0;
}

/* Under the lock: o (NULL if untracked) takes obj at depth. */
void syncmgr_lock_take(struct syncmgr_obj *obj, struct syncmgr_owner *o,
		       u32 depth)
{
	lockdep_assert_held(&obj->lock);
	obj->depth = depth;
	if (o)
		syncmgr_owner_attach(obj, o);
}

/* Under the lock: what the new holder is told: EOWNERDEAD once. */
int syncmgr_lock_take_result(struct syncmgr_obj *obj)
{
	if (!obj->owner_died)
		return 0;
	obj->owner_died = false;
	return -EOWNERDEAD;
}

/*
 * Under the lock: the holder lets go completely; the oldest waiter gets
 * the lock at the depth it asked for.  Returns the depth let go.
 */
u32 syncmgr_lock_drop(struct syncmgr_obj *obj)
{
	u32 depth = obj->depth;
	struct syncmgr_waiter *w;

	syncmgr_owner_detach(obj);
	w = syncmgr_first_waiter(obj);
	if (w) {
		syncmgr_lock_take(obj, w->owner, w->value);
		syncmgr_grant(w, syncmgr_lock_take_result(obj));
	} else {
		obj->depth = 0;
		syncmgr_obj_changed(obj);
	}
	return depth;
}

/* The holder exited: the next holder (now or later) hears of it. */
static void syncmgr_lock_owner_died(struct syncmgr_obj *obj)
{
	obj->owner_died = true;
	syncmgr_lock_drop(obj);
}

static int syncmgr_lock_acquire(struct syncmgr_obj *obj, u64 deadline)
{
	struct syncmgr_owner *me = syncmgr_lock_owner_current(obj);
	int ret = 0;

	if (IS_ERR(me))
		return PTR_ERR(me);

	spin_lock(&obj->lock);
	if (obj->owner && obj->owner != me && syncmgr_owner_gone(obj->owner)) {
		syncmgr_owner_detach(obj);
		syncmgr_lock_owner_died(obj);
	}
	if (!obj->depth) {
		syncmgr_lock_take(obj, me, 1);
		ret = syncmgr_lock_take_result(obj);
	} else if (syncmgr_is_rlock(obj) && obj->owner == me) {
		if (obj->depth == U32_MAX)
			ret = -EOVERFLOW;
		else
			obj->depth++;
	} else {
		return syncmgr_block(obj, me, 1, deadline);
	}
	spin_unlock(&obj->lock);
	return ret;
}

static int syncmgr_lock_release(struct syncmgr_obj *obj, u32 count)
{
	/* Only an RLock cares who releases; its owner has a record. */
	struct syncmgr_owner *me = syncmgr_is_rlock(obj) ?
				   syncmgr_owner_find(true) : NULL;
	int ret = 0;

	if (count != 1)
		return -EINVAL;
	spin_lock(&obj->lock);
	if (!obj->depth || !syncmgr_lock_is_held(obj, me))
		ret = -EPERM;
	else if (syncmgr_is_rlock(obj) && obj->depth > 1)
		obj->depth--;
	else
		syncmgr_lock_drop(obj);
	spin_unlock(&obj->lock);
	return ret;
}

static int syncmgr_lock_init(struct syncmgr_obj *obj,
			     const struct syncmgr_create *args)
{
	return 0;
}

static bool syncmgr_lock_ready(struct syncmgr_obj *obj)
{
	return !obj->depth;
}

static void syncmgr_lock_state(struct syncmgr_obj *obj, struct syncmgr_state *st)
{
	st->value = obj->depth;
}

const struct syncmgr_ops syncmgr_lock_ops = {
	.init		= syncmgr_lock_init,
	.acquire	= syncmgr_lock_acquire,
	.release	= syncmgr_lock_release,
	.ready		= syncmgr_lock_ready,
	.state		= syncmgr_lock_state,
	.owner_died	= syncmgr_lock_owner_died,
};

const struct syncmgr_family syncmgr_lock_family = {
	.name		= "Lock",
	.features	= SYNCMGR_FEAT_LOCKS | SYNCMGR_FEAT_OWNER_DEATH,
	.create_flags	= SYNCMGR_CREATE_UNTRACKED,
	.ops		= &syncmgr_lock_ops,
};

const struct syncmgr_family syncmgr_rlock_family = {
	.name		= "RLock",
	.features	= SYNCMGR_FEAT_LOCKS | SYNCMGR_FEAT_OWNER_DEATH,
	.ops		= &syncmgr_lock_ops,
};
