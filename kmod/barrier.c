// SPDX-License-Identifier: GPL-2.0
/*
 * Barrier: parties wait in arrival order until the cycle is full, then
 * each is handed its index (the last arriver parties - 1) and woken.
 *
 * With an action, the cycle's last arriver is woken alone, told to run it
 * (SYNCMGR_BARRIER_RUN_ACTION) and tracked as the owner of the barrier
 * until it reports back with ACTION_DONE; the others stay queued, each
 * marked as a member of the cycle in action with its index (below).
 * Parties arriving meanwhile queue behind them, unmarked, for the next
 * cycle.  ACTION_DONE releases exactly the marked parties, never "the
 * first parties - 1" of the queue, so it can neither miss a waiter nor
 * take one of the next cycle.
 *
 * Once its cycle is full, a party is through the barrier: its result
 * (its index, or EPIPE if the action fails) waits only for the report.
 * A signal or a stop (Ctrl-Z, a debugger, the freezer) then does not take
 * it out of the cycle: it keeps waiting, killable, and the handler runs
 * or the stop takes effect when the call returns its index.  Before its
 * cycle is full, a signal takes a party out of it (EINTR or a restart),
 * as an exception in Python's Barrier.wait() does, and the barrier stays
 * whole.  A failed or missing action, a runner that exits, a wait that
 * times out (also while the action runs: deadlines always hold) and a
 * party killed while waiting all break the barrier: every waiter gets
 * EPIPE.  A party of the cycle in action leaving the queue other than by
 * its release always breaks the barrier.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/sched/signal.h>

#include "core.h"

/*
 * A barrier waiter's value (the lock depth of lock waiters, unused here):
 * 0 while its cycle fills; once the cycle is full and its action runs,
 * SYNCMGR_BARRIER_MEMBER | its index.  Indices are below 2^30.  The
 * members are always the oldest waiters: marked from the head of the
 * queue, which grows at the tail, and leaving it only all together.
 */
#define SYNCMGR_BARRIER_MEMBER	BIT(31)

static bool syncmgr_barrier_member(const struct syncmgr_waiter *w)
{
	return w->value & SYNCMGR_BARRIER_MEMBER;
}

static int syncmgr_barrier_init(struct syncmgr_obj *obj,
				const struct syncmgr_create *args)
{
	if (!args->value || args->value >= SYNCMGR_BARRIER_RUN_ACTION)
		return -EINVAL;
	obj->barrier.parties = args->value;
	obj->barrier.timeout_ns = args->timeout_ns;
	return 0;
}

/*
 * Under the lock, no action: the cycle is full now, so the parties oldest
 * waiters are its parties; they get indices 0 .. parties - 1.
 */
static void syncmgr_barrier_release(struct syncmgr_obj *obj)
{
	u32 index;

	for (index = 0; index < obj->barrier.parties; index++)
		syncmgr_grant(syncmgr_first_waiter(obj), index);
}

/* Under the lock: the action succeeded; release the cycle's members. */
static void syncmgr_barrier_release_members(struct syncmgr_obj *obj)
{
	struct syncmgr_waiter *w;
	u32 n = 0;

	while ((w = syncmgr_first_waiter(obj)) && syncmgr_barrier_member(w)) {
		syncmgr_grant(w, w->value & ~SYNCMGR_BARRIER_MEMBER);
		n++;
	}
	/* A member leaves only by its release or the barrier's break. */
	WARN_ON_ONCE(n != obj->barrier.parties - 1);
}

/* Under the lock: complete every cycle the queue can fill. */
static void syncmgr_barrier_advance(struct syncmgr_obj *obj)
{
	struct syncmgr_barrier_state *b = &obj->barrier;
	struct syncmgr_waiter *w;
	u32 index = 0;

	while (!b->in_action && obj->nr_waiters >= b->parties) {
		if (!(obj->flags & SYNCMGR_CREATE_ACTION)) {
			syncmgr_barrier_release(obj);
			continue;
		}
		/*
		 * The cycle's parties - 1 oldest become its members, with
		 * their indices; the next, its last arriver, runs the action.
		 */
		list_for_each_entry(w, &obj->waiters, node) {
			if (index == b->parties - 1)
				break;
			w->value = SYNCMGR_BARRIER_MEMBER | index++;
		}
		b->in_action = true;
		syncmgr_owner_attach(obj, w->owner);
		syncmgr_grant(w, (b->parties - 1) | SYNCMGR_BARRIER_RUN_ACTION);
	}
}

/* Under the lock: every waiter gets EPIPE; so do later waits until reset. */
static void syncmgr_barrier_break(struct syncmgr_obj *obj, bool broken)
{
	struct syncmgr_waiter *w;

	obj->barrier.broken = broken;
	obj->barrier.in_action = false;
	syncmgr_owner_detach(obj);
	while ((w = syncmgr_first_waiter(obj)))
		syncmgr_grant(w, -EPIPE);
	syncmgr_obj_changed(obj);
}

static int syncmgr_barrier_wait(struct syncmgr_obj *obj, u64 deadline)
{
	struct syncmgr_owner *me = NULL;
	struct syncmgr_waiter w;
	int ret;

	/* A party that may have to run the action must be trackable. */
	if (obj->flags & SYNCMGR_CREATE_ACTION) {
		me = syncmgr_owner_current(true);
		if (IS_ERR(me))
			return PTR_ERR(me);
	}
	syncmgr_waiter_init(&w, me);

	spin_lock(&obj->lock);
	if (obj->barrier.broken) {
		spin_unlock(&obj->lock);
		return -EPIPE;
	}
	syncmgr_enqueue(obj, &w);
	syncmgr_barrier_advance(obj);
	if (!w.granted && syncmgr_expired(deadline)) {
		syncmgr_dequeue(&w);
		syncmgr_barrier_break(obj, true);
		spin_unlock(&obj->lock);
		return -ETIMEDOUT;
	}
	spin_unlock(&obj->lock);

	ret = syncmgr_sleep(&w, deadline, TASK_INTERRUPTIBLE);
	/* Granted: the granter dequeued w and is done with it. */
	if (!ret)
		return w.result;

	spin_lock(&obj->lock);
	/*
	 * A member of the cycle in action is through the barrier: a signal
	 * or a stop does not take it out; it waits for the action's report,
	 * killable, its deadline still running.  A stop has no effect before
	 * it returns; a handler runs then, the index in hand.
	 */
	if (ret == -ERESTARTSYS && !w.granted && syncmgr_barrier_member(&w) &&
	    !fatal_signal_pending(current)) {
		spin_unlock(&obj->lock);
		ret = syncmgr_sleep(&w, deadline, TASK_KILLABLE);
		if (!ret)
			return w.result;
		spin_lock(&obj->lock);
	}
	if (w.granted) {
		ret = w.result;
	} else {
		syncmgr_dequeue(&w);
		/*
		 * A timeout breaks the barrier (Python), and so does a party
		 * killed while waiting, which would otherwise hang the rest,
		 * and any member of the cycle in action leaving it (only a
		 * timeout or a kill can take one out).  Any other signal only
		 * takes a party whose cycle is not yet full out of it.
		 */
		if (ret == -ETIMEDOUT || fatal_signal_pending(current) ||
		    syncmgr_barrier_member(&w))
			syncmgr_barrier_break(obj, true);
	}
	spin_unlock(&obj->lock);
	return ret;
}

static int syncmgr_barrier_action_done(struct syncmgr_obj *obj, u32 status)
{
	struct syncmgr_owner *me = syncmgr_owner_find(true);
	int ret = 0;

	spin_lock(&obj->lock);
	if (obj->barrier.broken) {
		ret = -EPIPE;
	} else if (!obj->barrier.in_action || !me || obj->owner != me) {
		ret = -EPERM;
	} else if (status != SYNCMGR_ACTION_OK) {
		syncmgr_barrier_break(obj, true);
	} else {
		obj->barrier.in_action = false;
		syncmgr_owner_detach(obj);
		syncmgr_barrier_release_members(obj);
		syncmgr_barrier_advance(obj);
	}
	spin_unlock(&obj->lock);
	return ret;
}

/* reset = break the current waiters, then be usable again */
static int syncmgr_barrier_abort(struct syncmgr_obj *obj, bool broken)
{
	spin_lock(&obj->lock);
	syncmgr_barrier_break(obj, broken);
	spin_unlock(&obj->lock);
	return 0;
}

static bool syncmgr_barrier_ready(struct syncmgr_obj *obj)
{
	return obj->barrier.broken;
}

static void syncmgr_barrier_state(struct syncmgr_obj *obj,
				  struct syncmgr_state *st)
{
	st->value = obj->barrier.parties;
	st->max = obj->nr_waiters;
	st->timeout_ns = obj->barrier.timeout_ns;
	if (obj->barrier.broken)
		st->status |= SYNCMGR_STATE_BROKEN;
	if (obj->barrier.in_action)
		st->status |= SYNCMGR_STATE_IN_ACTION;
}

/* The action's runner exited before reporting: the cycle cannot finish. */
static void syncmgr_barrier_owner_died(struct syncmgr_obj *obj)
{
	syncmgr_barrier_break(obj, true);
}

static const struct syncmgr_ops syncmgr_barrier_ops = {
	.init		= syncmgr_barrier_init,
	.wait		= syncmgr_barrier_wait,
	.abort		= syncmgr_barrier_abort,
	.action_done	= syncmgr_barrier_action_done,
	.ready		= syncmgr_barrier_ready,
	.state		= syncmgr_barrier_state,
	.owner_died	= syncmgr_barrier_owner_died,
};

const struct syncmgr_family syncmgr_barrier_family = {
	.name		= "Barrier",
	.features	= SYNCMGR_FEAT_BARRIER,
	.create_flags	= SYNCMGR_CREATE_ACTION,
	.create_args	= SYNCMGR_ARG_VALUE | SYNCMGR_ARG_TIMEOUT,
	.ops		= &syncmgr_barrier_ops,
};
