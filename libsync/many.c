// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Waiting on many objects at once: sm_wait_any() takes the lowest-index
 * ready object of up to SM_WAIT_MAX objects and says which; sm_wait_all()
 * takes them all at once or none.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int sm_wait_many(unsigned long cmd, const struct sm_wait_obj *objs,
			unsigned int n, uint64_t deadline, uint64_t *died)
{
	struct syncmgr_wait_many args;
	int ret;

	if (died)
		*died = 0;
	if (!objs || !n || n > SM_WAIT_MAX)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.objs = (uintptr_t)objs;
	args.count = n;
	args.deadline = deadline;
	ret = sm__dev_ioctl(cmd, &args);
	if (ret < 0)
		return ret;
	if (died)
		*died = args.died;
	return ret;
}

int sm_wait_any_until(const struct sm_wait_obj *objs, unsigned int n,
		      uint64_t deadline, uint64_t *died)
{
	int ret = sm_wait_many(SYNCMGR_IOC_WAIT_ANY, objs, n, deadline, died);

	return ret < 0 ? ret : ret & ~SYNCMGR_WAIT_OWNER_DIED;
}

int sm_wait_any(const struct sm_wait_obj *objs, unsigned int n,
		int64_t timeout_ns, uint64_t *died)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	return sm_wait_any_until(objs, n, deadline, died);
}

int sm_wait_all_until(const struct sm_wait_obj *objs, unsigned int n,
		      uint64_t deadline, uint64_t *died)
{
	int ret = sm_wait_many(SYNCMGR_IOC_WAIT_ALL, objs, n, deadline, died);

	if (ret < 0)
		return ret;
	return ret & SYNCMGR_WAIT_OWNER_DIED ? -EOWNERDEAD : 0;
}

int sm_wait_all(const struct sm_wait_obj *objs, unsigned int n,
		int64_t timeout_ns, uint64_t *died)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	return sm_wait_all_until(objs, n, deadline, died);
}
