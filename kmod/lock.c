// SPDX-License-Identifier: GPL-2.0
/*
 * Lock and RLock.
 *
 * Both are a depth (0 = free) and an optional tracked holder: the process
 * for a Lock (Python's Lock may be released by anyone, so the holder is
 * just the process that last acquired it), the thread for an RLock.  A
 * release hands the lock straight to the oldest waiter, so waking never
 * races: the woken task already holds it.
 *
 * A holder that dies (exits, or execs) hands the lock to the oldest
 * waiter, who is told (EOWNERDEAD).  With no waiter, an RLock is freed
 * and the next acquirer is told; a Lock is abandoned instead: it stays
 * locked, with no holder and the owner_died mark, as Python's Lock would
 * stay locked.  Anyone may release it (that frees it and clears the mark:
 * whoever lets go of a lock hands no death on), and an acquire takes it
 * over at once, told, as it would a free lock.
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
 * Under the lock: a Lock whose holder died with no one queued, neither
 * taken over nor released since.
 */
static bool syncmgr_lock_abandoned(struct syncmgr_obj *obj)
{
	return !syncmgr_is_rlock(obj) && obj->depth && !obj->owner &&
	       obj->owner_died;
}

/*
 * Under the lock: would an acquire, by anyone, get obj at once?  It is
 * free, or an abandoned Lock.  (Also poll's readiness.)
 */
static bool syncmgr_lock_ready(struct syncmgr_obj *obj)
{
	lockdep_assert_held(&obj->lock);
	return !obj->depth || syncmgr_lock_abandoned(obj);
}

/*
 * Under the lock: the oldest waiter gets the lock at the depth it asked
 * for, told of a death if obj->owner_died says so; with none, obj is free.
 */
static void syncmgr_lock_pass_on(struct syncmgr_obj *obj)
{
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
}

/*
 * Under the lock: the holder (for a Lock, anyone) lets go completely, by
 * a release or a condition's wait; the oldest waiter gets the lock.  It
 * hands no death on: the mark of an abandoned Lock goes (a lock with a
 * holder has none).  Returns the depth let go.
 */
u32 syncmgr_lock_drop(struct syncmgr_obj *obj)
{
	u32 depth = obj->depth;

	obj->owner_died = false;
	syncmgr_lock_pass_on(obj);
	return depth;
}

/*
 * The holder exited or exec'd (obj->owner is clear already): the oldest
 * waiter gets the lock and hears of it.  With none, an RLock is freed and
 * its next acquirer hears of it; a Lock is abandoned: it stays locked
 * until someone releases it or an acquire takes it over, told.
 */
static void syncmgr_lock_owner_died(struct syncmgr_obj *obj)
{
	obj->owner_died = true;
	if (syncmgr_is_rlock(obj) || syncmgr_first_waiter(obj))
		syncmgr_lock_pass_on(obj);
	else
		syncmgr_obj_changed(obj);	/* abandoned: ready now */
}

static int syncmgr_lock_acquire(struct syncmgr_obj *obj, u64 deadline)
{
	struct syncmgr_owner *me = syncmgr_lock_owner_current(obj);
	int ret = 0;

	if (IS_ERR(me))
		return PTR_ERR(me);

	spin_lock(&obj->lock);
	/* The holder is gone, not yet handled by owner.c: the same, now. */
	if (obj->owner && obj->owner != me && syncmgr_owner_gone(obj->owner)) {
		syncmgr_owner_detach(obj);
		syncmgr_lock_owner_died(obj);
	}
	if (syncmgr_lock_ready(obj)) {
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

/*
 * WAIT_ANY/ALL: what an acquire by me would do at once, without blocking
 * (take false: only say; the death of a gone holder is handled, as by an
 * acquire).
 */
static int syncmgr_lock_try_acquire(struct syncmgr_obj *obj,
				    struct syncmgr_owner *me, bool take)
{
	lockdep_assert_held(&obj->lock);
	if (obj->owner && obj->owner != me && syncmgr_owner_gone(obj->owner)) {
		syncmgr_owner_detach(obj);
		syncmgr_lock_owner_died(obj);
	}
	if (syncmgr_lock_ready(obj)) {
		if (!take)
			return obj->owner_died ? -EOWNERDEAD : 0;
		syncmgr_lock_take(obj, me, 1);
		return syncmgr_lock_take_result(obj);
	}
	if (syncmgr_is_rlock(obj) && me && obj->owner == me) {
		if (obj->depth == U32_MAX)
			return -EOVERFLOW;
		if (take)
			obj->depth++;
		return 0;
	}
	return -EAGAIN;
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
	.try_acquire	= syncmgr_lock_try_acquire,
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
