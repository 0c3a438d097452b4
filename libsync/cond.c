// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Condition over a Lock or RLock.  The kernel releases the lock and starts
 * waiting atomically, and every wait returns with the lock held again (an
 * RLock at its full depth), whatever it returns.
 */
#include <errno.h>

#include "internal.h"

/* lock: a Lock or RLock handle, or -1 for a new RLock. */
int sm_cond_create(int lock, unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_CONDITION, flags, 0, lock, 0);
}

int sm_cond_acquire(int cond, int64_t timeout_ns)
{
	return sm__acquire(cond, timeout_ns);
}

int sm_cond_acquire_until(int cond, uint64_t deadline)
{
	return sm__acquire_until(cond, deadline);
}

int sm_cond_release(int cond)
{
	return sm__release(cond);
}

int sm_cond_wait(int cond, int64_t timeout_ns)
{
	return sm__wait(cond, SYNCMGR_IOC_WAIT, timeout_ns);
}

int sm_cond_wait_until(int cond, uint64_t deadline)
{
	return sm__wait_until(cond, SYNCMGR_IOC_WAIT, deadline);
}

/*
 * As Python's Condition.wait_for: one deadline for the whole call, pred
 * checked before the first wait and after every wake-up; after a timeout
 * pred decides the result.  -EOWNERDEAD (a holder of the lock died while
 * we waited) is a spurious wake-up: we hold the lock, pred is checked.
 */
int sm_cond_wait_for(int cond, int (*pred)(void *arg), void *arg,
		     int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	if (!pred)
		return -EINVAL;
	while (!pred(arg)) {
		ret = sm_cond_wait_until(cond, deadline);
		if (ret == -ETIMEDOUT)
			return pred(arg) ? 1 : 0;
		if (ret < 0 && ret != -EOWNERDEAD)
			return ret;
	}
	return 1;
}

/* Returns how many waiters were moved onto the lock's queue. */
int sm_cond_notify(int cond, unsigned int n)
{
	return sm__count(cond, SYNCMGR_IOC_NOTIFY, n);
}

int sm_cond_notify_all(int cond)
{
	return sm__count(cond, SYNCMGR_IOC_NOTIFY, SYNCMGR_NOTIFY_ALL);
}
