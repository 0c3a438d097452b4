// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lock and RLock.  A Lock is held by the process that acquired it and may
 * be released by anyone; an RLock is owned by one thread and recursive.
 * The kernel tracks holders and reports a dead one's lock with EOWNERDEAD.
 */
#include "internal.h"

int sm_lock_create(unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_LOCK, flags, 0, 0, 0);
}

int sm_lock_acquire(int lock, int64_t timeout_ns)
{
	return sm__acquire(lock, timeout_ns);
}

int sm_lock_acquire_until(int lock, uint64_t deadline)
{
	return sm__acquire_until(lock, deadline);
}

int sm_lock_release(int lock)
{
	return sm__release(lock);
}

/* Lock: 1 if held; RLock: 1 if owned by any thread. */
int sm_lock_locked(int lock)
{
	struct syncmgr_state st;
	int ret = sm__state_of(lock, SM_TYPE_BIT(SYNCMGR_TYPE_LOCK) |
				     SM_TYPE_BIT(SYNCMGR_TYPE_RLOCK), &st);

	return ret < 0 ? ret : st.value != 0;
}

int sm_rlock_create(unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_RLOCK, flags, 0, 0, 0);
}

/* An RLock takes the same ioctls; the kernel knows which kind it is. */
#define SM_SAME_AS(name)	__attribute__((alias(#name)))

int sm_rlock_acquire(int rlock, int64_t timeout_ns) SM_SAME_AS(sm_lock_acquire);
int sm_rlock_acquire_until(int rlock, uint64_t deadline)
	SM_SAME_AS(sm_lock_acquire_until);
int sm_rlock_release(int rlock) SM_SAME_AS(sm_lock_release);
