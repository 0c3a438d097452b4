// SPDX-License-Identifier: GPL-2.0
/*
 * Barrier: parties wait in arrival order until the cycle is full, then
 * each is handed its index (the last arriver parties - 1) and woken.
 *
 * With an action, the cycle's last arriver is woken alone, told to run it
 * (SYNCMGR_BARRIER_RUN_ACTION) and tracked as the owner of the barrier
 * until it reports back with ACTION_DONE; the others stay queued.  Parties
 * arriving meanwhile queue behind them for the next cycle.  A failed or
 * missing action, a runner that exits, a wait that times out and a party
 * killed while waiting all break the barrier: every waiter gets EPIPE.
 */
#include <linux/err.h>
#include <linux/sched/signal.h>

#include "syncmgr.h"

static int syncmgr_barrier_init(struct syncmgr_obj *obj,
				const struct syncmgr_create *args)
{
	if (!args->value || args->value >= SYNCMGR_BARRIER_RUN_ACTION)
		return -EINVAL;
	obj->barrier.parties = args->value;
	obj->barrier.timeout_ns = args->timeout_ns;
	return 0;
}

/* Under the lock: the n oldest waiters get indices 0 .. n - 1. */
static void syncmgr_barrier_release(struct syncmgr_obj *obj, u32 n)
{
	u32 index;

	for (index = 0; index < n; index++)
		syncmgr_grant(syncmgr_first_waiter(obj), index);
}

/* Under the lock: complete every cycle the queue can fill. */
static void syncmgr_barrier_advance(struct syncmgr_obj *obj)
{
	struct syncmgr_barrier_state *b = &obj->barrier;
	struct syncmgr_waiter *w;
	u32 index = 0;

	while (!b->in_action && obj->nr_waiters >= b->parties) {
		if (!(obj->flags & SYNCMGR_CREATE_ACTION)) {
			syncmgr_barrier_release(obj, b->parties);
			continue;
		}
		/* The cycle's last arriver runs the action first. */
		list_for_each_entry(w, &obj->waiters, node)
			if (++index == b->parties)
				break;
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

	spin_lock(&obj->lock);
	if (w.granted) {
		ret = w.result;
	} else {
		syncmgr_dequeue(&w);
		/*
		 * A timeout breaks the barrier (Python), and so does a party
		 * killed while waiting, which would otherwise hang the rest.
		 * Any other signal only takes this party out of the cycle.
		 */
		if (ret == -ETIMEDOUT || fatal_signal_pending(current))
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
		syncmgr_barrier_release(obj, obj->barrier.parties - 1);
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

const struct syncmgr_ops syncmgr_barrier_ops = {
	.features	= SYNCMGR_FEAT_BARRIER,
	.init		= syncmgr_barrier_init,
	.wait		= syncmgr_barrier_wait,
	.abort		= syncmgr_barrier_abort,
	.action_done	= syncmgr_barrier_action_done,
	.ready		= syncmgr_barrier_ready,
	.state		= syncmgr_barrier_state,
	.owner_died	= syncmgr_barrier_owner_died,
};
