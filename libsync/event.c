// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event: a flag.  wait() succeeds when the flag is set, or was set while
 * it waited even if cleared again since (as Python's Event.wait).
 */
#include <stddef.h>

#include "internal.h"

int sm_event_create(unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_EVENT, flags, 0, 0, 0);
}

int sm_event_set(int event)
{
	return sm__ioctl(event, SYNCMGR_IOC_SET, NULL);
}

int sm_event_clear(int event)
{
	return sm__ioctl(event, SYNCMGR_IOC_CLEAR, NULL);
}

int sm_event_is_set(int event)
{
	struct syncmgr_state st;
	int ret = sm__state_of(event, SM_TYPE_BIT(SYNCMGR_TYPE_EVENT), &st);

	return ret < 0 ? ret : st.value != 0;
}

int sm_event_wait(int event, int64_t timeout_ns)
{
	return sm__wait(event, SYNCMGR_IOC_WAIT, timeout_ns);
}

int sm_event_wait_until(int event, uint64_t deadline)
{
	return sm__wait_until(event, SYNCMGR_IOC_WAIT, deadline);
}
