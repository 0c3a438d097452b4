// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Semaphore and BoundedSemaphore: a count, no owner.  A BoundedSemaphore
 * refuses (-EOVERFLOW, nothing changed) a release above its initial value.
 */
#include "internal.h"

int sm_sem_create(unsigned int value, unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_SEMAPHORE, flags, value, 0, 0);
}

int sm_bsem_create(unsigned int value, unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_BOUNDED_SEMAPHORE, flags, value,
			  0, 0);
}

int sm_sem_acquire(int sem, int64_t timeout_ns)
{
	return sm__acquire(sem, timeout_ns);
}

int sm_sem_acquire_until(int sem, uint64_t deadline)
{
	return sm__acquire_until(sem, deadline);
}

/* n == 0 is refused by the kernel with EINVAL (Python: ValueError). */
int sm_sem_release(int sem, unsigned int n)
{
	return sm__count(sem, SYNCMGR_IOC_RELEASE, n);
}

int sm_sem_value(int sem)
{
	struct syncmgr_state st;
	int ret = sm__state_of(sem, SM_TYPE_BIT(SYNCMGR_TYPE_SEMAPHORE) |
			       SM_TYPE_BIT(SYNCMGR_TYPE_BOUNDED_SEMAPHORE), &st);

	return ret < 0 ? ret : sm__count_result(st.value);
}
