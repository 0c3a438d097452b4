// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Named objects and tokens that hold their object.  sm_named_open()
 * creates or opens an object by name in the caller's IPC namespace,
 * sm_named_unlink() removes the name, as sem_open() and sem_unlink() do;
 * sm_token_hold() makes a token that keeps its object alive for a while.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int sm_named_args(struct syncmgr_named *a, const char *name,
			 unsigned int type)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strlen(name);
	if (len > SM_NAME_MAX)
		return -ENAMETOOLONG;
	memset(a, 0, sizeof(*a));
	a->name = (uintptr_t)name;
	a->name_len = len;
	a->type = type;
	return 0;
}

int sm_named_open(const char *name, unsigned int type, unsigned int flags,
		  unsigned int mode, const struct syncmgr_create *create)
{
	struct syncmgr_create dflt;
	struct syncmgr_named a;
	int ret = sm_named_args(&a, name, type);

	if (ret)
		return ret;
	a.flags = flags;
	if (flags & SM_CREAT) {
		if (!create) {
			memset(&dflt, 0, sizeof(dflt));
			dflt.type = type;
			create = &dflt;
		}
		a.create = (uintptr_t)create;
		a.mode = mode;
	}
	return sm__dev_ioctl(SYNCMGR_IOC_NAMED_OPEN, &a);
}

int sm_named_unlink(const char *name, unsigned int type)
{
	struct syncmgr_named a;
	int ret = sm_named_args(&a, name, type);

	if (ret)
		return ret;
	return sm__dev_ioctl(SYNCMGR_IOC_NAMED_UNLINK, &a);
}

int sm_token_hold(int handle, uint8_t token[16], int64_t timeout_ns,
		  unsigned int flags)
{
	struct syncmgr_token_hold a;
	int ret;

	if (timeout_ns <= 0)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	a.deadline = sm_deadline(timeout_ns);
	a.flags = flags;
	ret = sm__ioctl(handle, SYNCMGR_IOC_TOKEN_HOLD, &a);
	if (ret < 0)
		return ret;
	memcpy(token, a.token, sizeof(a.token));
	return 0;
}
