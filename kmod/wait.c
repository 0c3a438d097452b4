// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting, once for every kind: a blocked task is a struct syncmgr_waiter on
 * its object's FIFO; a waker decides its result under the object's lock
 * and hands it over (syncmgr_grant), and deadlines are absolute
 * CLOCK_MONOTONIC times, so a wait restarted after a signal never waits
 * longer than first asked.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>

#include "core.h"

bool syncmgr_expired(u64 deadline)
{
	return deadline != SYNCMGR_DEADLINE_FOREVER &&
	       deadline <= ktime_get_ns();
}

void syncmgr_waiter_init(struct syncmgr_waiter *w, struct syncmgr_owner *owner)
{
	/* Field by field: a memset here is a rep stos on every blocking call. */
	INIT_LIST_HEAD(&w->node);
	w->obj = NULL;
	w->task = current;
	w->owner = owner;
	w->value = 0;
	w->notified = false;
	w->granted = false;
	w->result = 0;
}

/* Under base->lock: queue w at the tail of obj's FIFO. */
void syncmgr_enqueue(struct syncmgr_obj *obj, struct syncmgr_waiter *w)
{
	lockdep_assert_held(&obj->base->lock);
	list_add_tail(&w->node, &obj->waiters);
	obj->nr_waiters++;
	w->obj = obj;
}

/* Under base->lock: take w off the list it is on. */
void syncmgr_dequeue(struct syncmgr_waiter *w)
{
	lockdep_assert_held(&w->obj->base->lock);
	list_del_init(&w->node);
	w->obj->nr_waiters--;
}

struct syncmgr_waiter *syncmgr_first_waiter(struct syncmgr_obj *obj)
{
	lockdep_assert_held(&obj->base->lock);
	return list_first_entry_or_null(&obj->waiters, struct syncmgr_waiter,
					node);
}

/*
 * Under base->lock: give w its final result and wake it.
 */
void syncmgr_grant(struct syncmgr_waiter *w, int result)
{
	struct task_struct *task = w->task;

	syncmgr_dequeue(w);
	w->result = result;
	/* w may be gone once granted is seen; task is RCU-freed. */
	smp_store_release(&w->granted, true);
	wake_up_process(task);
}

/*
 * Sleep until w is granted, the deadline passes or (per state) a signal
 * arrives.  Returns 0 if granted (seen with acquire: w->result is valid
 * and the granter no longer touches w, so no lock is needed), else
 * -ETIMEDOUT or -ERESTARTSYS; the caller then takes the lock and looks at
 * w->granted again, since a grant may race with the timeout or signal and
 * success wins.
 */
/*
 * In the sleeping state the caller set: schedule until woken or the
 * absolute CLOCK_MONOTONIC deadline; false once the deadline passed.
 */
bool syncmgr_schedule_until(u64 deadline)
{
	ktime_t expires = ns_to_ktime(deadline);

	if (deadline == SYNCMGR_DEADLINE_FOREVER) {
		schedule();
		return true;
	}
	return schedule_hrtimeout_range_clock(&expires, current->timer_slack_ns,
					      HRTIMER_MODE_ABS,
					      CLOCK_MONOTONIC) != 0;
}

int syncmgr_sleep(struct syncmgr_waiter *w, u64 deadline, unsigned int state)
{
	int ret = 0;

	for (;;) {
		set_current_state(state);
		/* Pairs with syncmgr_grant(): the result is visible. */
		if (smp_load_acquire(&w->granted))
			break;
		if (signal_pending_state(state, current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!syncmgr_schedule_until(deadline)) {
			/* As above: a grant may have raced with the timer. */
			ret = smp_load_acquire(&w->granted) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/*
 * Called with base->lock held, which it drops: block on obj until granted,
 * for waits where giving up needs no more than leaving the queue.  Returns
 * the granted result, or -ETIMEDOUT / -ERESTARTSYS with nothing taken.
 * owner and value are what a grant needs to know of the waiter.
 */
int syncmgr_block(struct syncmgr_obj *obj, struct syncmgr_owner *owner,
		  u32 value, u64 deadline)
	__releases(&obj->base->lock)
{
	struct syncmgr_waiter w;
	int ret;

	if (syncmgr_expired(deadline)) {
		spin_unlock(&obj->base->lock);
		return -ETIMEDOUT;
	}
	syncmgr_waiter_init(&w, owner);
	w.value = value;
	syncmgr_enqueue(obj, &w);
	spin_unlock(&obj->base->lock);

	ret = syncmgr_sleep(&w, deadline, TASK_INTERRUPTIBLE);
	/* Granted: the granter dequeued w and is done with it. */
	if (!ret)
		return w.result;

	spin_lock(&obj->base->lock);
	if (w.granted)
		ret = w.result;
	else
		syncmgr_dequeue(&w);
	spin_unlock(&obj->base->lock);
	return ret;
}
