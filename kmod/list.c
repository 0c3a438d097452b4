// SPDX-License-Identifier: GPL-2.0
/*
 * Not built yet: creating this type fails with EOPNOTSUPP and the
 * version ioctl does not advertise it.
 */
#include "syncmgr.h"

static int syncmgr_list_init(struct syncmgr_obj *obj,
			     const struct syncmgr_create *args)
{
	return -EOPNOTSUPP;
}

const struct syncmgr_ops syncmgr_list_ops = {
	.init		= syncmgr_list_init,
};
