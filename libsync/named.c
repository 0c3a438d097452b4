// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Named objects: sm_named_open() creates or opens an object by name in the
 * caller's IPC namespace, sm_named_unlink() removes the name, as
 * sem_open() and sem_unlink() do.
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
