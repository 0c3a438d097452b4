// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Barrier.  The kernel counts arrivals and hands out indexes; with
 * SM_BARRIER_ACTION it tells the last arriver (SYNCMGR_BARRIER_RUN_ACTION)
 * to run the action while the others stay blocked, and waits for its
 * report (SYNCMGR_IOC_ACTION_DONE).
 *
 * Actions are code, so they live in the process: a registry keyed by the
 * object's id (SYNCMGR_IOC_STATE), which is the same through every handle
 * and in every process, unlike fd numbers.  A forked child inherits the
 * parent's registrations; an unrelated process that received the handle
 * registers its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

struct sm_action {
	struct sm_action *next;
	uint64_t id;
	int (*fn)(void *arg);
	void *arg;
};

/* protected by sm_actions_lock */
static struct sm_action *sm_actions;
static pthread_mutex_t sm_actions_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t sm_actions_once = PTHREAD_ONCE_INIT;

/* Keep the mutex usable in a child forked while another thread held it. */
static void sm_actions_prefork(void)
{
	pthread_mutex_lock(&sm_actions_lock);
}

static void sm_actions_postfork(void)
{
	pthread_mutex_unlock(&sm_actions_lock);
}

static void sm_actions_init(void)
{
	pthread_atfork(sm_actions_prefork, sm_actions_postfork,
		       sm_actions_postfork);
}

static int sm_barrier_state(int barrier, struct syncmgr_state *st)
{
	return sm__state_of(barrier, SM_TYPE_BIT(SYNCMGR_TYPE_BARRIER), st);
}

/* Under sm_actions_lock: the link that points at id's entry, or at NULL. */
static struct sm_action **sm_action_find(uint64_t id)
{
	struct sm_action **p = &sm_actions;

	while (*p && (*p)->id != id)
		p = &(*p)->next;
	return p;
}

int sm_barrier_create(unsigned int parties, int64_t timeout_ns,
		      unsigned int flags)
{
	if (timeout_ns < 0)
		return -EINVAL;
	return sm__create(SYNCMGR_TYPE_BARRIER, flags, parties, 0,
			  (uint64_t)timeout_ns);
}

/*
 * Registers (or replaces, or with a NULL action removes) this process's
 * action for the barrier.  -EINVAL if the barrier was not created with
 * SM_BARRIER_ACTION: the action would never run.
 */
int sm_barrier_set_action(int barrier, int (*action)(void *arg), void *arg)
{
	struct syncmgr_state st;
	struct sm_action **p, *a;
	int ret = sm_barrier_state(barrier, &st);

	if (ret < 0)
		return ret;
	if (action && !(st.flags & SYNCMGR_CREATE_ACTION))
		return -EINVAL;
	pthread_once(&sm_actions_once, sm_actions_init);

	pthread_mutex_lock(&sm_actions_lock);
	p = sm_action_find(st.id);
	a = *p;
	if (!action) {
		if (a) {
			*p = a->next;
			free(a);
		}
	} else {
		if (!a) {
			a = calloc(1, sizeof(*a));
			if (!a) {
				ret = -ENOMEM;
				goto out;
			}
			a->id = st.id;
			*p = a;
		}
		a->fn = action;
		a->arg = arg;
	}
out:
	pthread_mutex_unlock(&sm_actions_lock);
	return ret;
}

/* This process's action for the barrier: 0, -ENOEXEC if none, or -errno. */
static int sm_action_lookup(int barrier, int (**fn)(void *arg), void **arg)
{
	struct syncmgr_state st;
	struct sm_action *a;
	int ret = sm_barrier_state(barrier, &st);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&sm_actions_lock);
	a = *sm_action_find(st.id);
	if (a) {
		*fn = a->fn;
		*arg = a->arg;
	}
	pthread_mutex_unlock(&sm_actions_lock);
	return a ? 0 : -ENOEXEC;
}

/*
 * The last arriver's part: run the action (outside the registry lock: it
 * may take long, or register actions itself) and report the outcome,
 * which releases the others or breaks the barrier.
 */
static int sm_barrier_run_action(int barrier, int index)
{
	struct syncmgr_action_done done = { 0 };
	int (*fn)(void *arg);
	void *arg;
	int ret = sm_action_lookup(barrier, &fn, &arg);

	if (ret == -ENOEXEC) {
		done.status = SYNCMGR_ACTION_MISSING;
	} else if (ret < 0) {
		done.status = SYNCMGR_ACTION_FAILED;
	} else {
		ret = fn(arg);
		if (ret > 0)
			ret = -ECANCELED;
		done.status = ret ? SYNCMGR_ACTION_FAILED : SYNCMGR_ACTION_OK;
	}

	if (done.status != SYNCMGR_ACTION_OK) {
		sm__ioctl(barrier, SYNCMGR_IOC_ACTION_DONE, &done);
		return ret;
	}
	ret = sm__ioctl(barrier, SYNCMGR_IOC_ACTION_DONE, &done);
	/* EPERM: a reset() broke this cycle while the action ran. */
	if (ret == -EPERM)
		return -EPIPE;
	return ret < 0 ? ret : index;
}

int sm_barrier_wait_until(int barrier, uint64_t deadline)
{
	int ret = sm__wait_until(barrier, SYNCMGR_IOC_WAIT, deadline);

	if (ret < 0 || !(ret & SYNCMGR_BARRIER_RUN_ACTION))
		return ret;
	return sm_barrier_run_action(barrier, ret & ~SYNCMGR_BARRIER_RUN_ACTION);
}

/* SM_BARRIER_DEFAULT: the timeout given at creation, 0 there = forever. */
int sm_barrier_wait(int barrier, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret;

	if (timeout_ns == SM_BARRIER_DEFAULT) {
		struct syncmgr_state st;

		ret = sm_barrier_state(barrier, &st);
		if (ret < 0)
			return ret;
		if (st.timeout_ns == 0 || st.timeout_ns > INT64_MAX)
			timeout_ns = SM_FOREVER;
		else
			timeout_ns = (int64_t)st.timeout_ns;
	}
	ret = sm__deadline_of(timeout_ns, &deadline);
	if (ret)
		return ret;
	return sm_barrier_wait_until(barrier, deadline);
}

int sm_barrier_abort(int barrier)
{
	return sm__ioctl(barrier, SYNCMGR_IOC_ABORT, NULL);
}

int sm_barrier_reset(int barrier)
{
	return sm__ioctl(barrier, SYNCMGR_IOC_RESET, NULL);
}

int sm_barrier_parties(int barrier)
{
	struct syncmgr_state st;
	int ret = sm_barrier_state(barrier, &st);

	return ret < 0 ? ret : (int)st.value;
}

int sm_barrier_n_waiting(int barrier)
{
	struct syncmgr_state st;
	int ret = sm_barrier_state(barrier, &st);

	return ret < 0 ? ret : (int)st.max;
}

int sm_barrier_broken(int barrier)
{
	struct syncmgr_state st;
	int ret = sm_barrier_state(barrier, &st);

	return ret < 0 ? ret : !!(st.status & SYNCMGR_STATE_BROKEN);
}
