// SPDX-License-Identifier: GPL-2.0
/*
 * The device /dev/syncmgr and the module: CREATE makes an object and
 * returns its fd, OPEN turns a token back into an fd, VERSION tells what
 * this module gives.  Everything else is an ioctl on an object fd
 * (file.c).
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "item.h"

static long syncmgr_ioctl_create(void __user *argp)
{
	struct syncmgr_create args;
	struct syncmgr_obj *obj;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (!syncmgr_create_args_valid(&args))
		return -EINVAL;

	obj = syncmgr_obj_new(&args);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return syncmgr_obj_install(obj, args.flags & SYNCMGR_CREATE_NO_CLOEXEC ?
				   0 : O_CLOEXEC);
}

/* A new fd for the live object a token names, for its creating user. */
static long syncmgr_ioctl_open(void __user *argp)
{
	struct syncmgr_token t;
	struct syncmgr_obj *obj;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	if (t.reserved || t.flags & ~SYNCMGR_CREATE_NO_CLOEXEC)
		return -EINVAL;
	obj = syncmgr_token_open(t.token);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return syncmgr_obj_install(obj, t.flags & SYNCMGR_CREATE_NO_CLOEXEC ?
				   0 : O_CLOEXEC);
}

/* What the kinds built in give: libsync tests bits, not versions. */
static long syncmgr_ioctl_version(void __user *argp)
{
	struct syncmgr_version v = { .abi_version = SYNCMGR_ABI_VERSION };

	v.features = syncmgr_features(&v.max_types);
	v.features |= SYNCMGR_FEAT_WAIT_MANY | SYNCMGR_FEAT_NAMED |
		      SYNCMGR_FEAT_TOKEN_HOLD;
	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

static long syncmgr_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case SYNCMGR_IOC_VERSION:
		return syncmgr_ioctl_version(argp);
	case SYNCMGR_IOC_CREATE:
		return syncmgr_ioctl_create(argp);
	case SYNCMGR_IOC_OPEN:
		return syncmgr_ioctl_open(argp);
	case SYNCMGR_IOC_WAIT_ANY:
	case SYNCMGR_IOC_WAIT_ALL:
		return syncmgr_ioctl_wait_many(argp, cmd == SYNCMGR_IOC_WAIT_ALL);
	case SYNCMGR_IOC_NAMED_OPEN:
		return syncmgr_ioctl_named_open(argp);
	case SYNCMGR_IOC_NAMED_UNLINK:
		return syncmgr_ioctl_named_unlink(argp);
	}
	return -ENOTTY;
}

static const struct file_operations syncmgr_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= syncmgr_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice syncmgr_misc = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= "syncmgr",
	.fops		= &syncmgr_dev_fops,
	.mode		= 0666,
};

static int __init syncmgr_init(void)
{
	int ret = syncmgr_families_init();

	if (ret)
		return ret;
	syncmgr_compare_init();
	ret = syncmgr_owner_init();
	if (ret)
		return ret;
	ret = misc_register(&syncmgr_misc);
	if (ret)
		syncmgr_owner_exit();
	return ret;
}

static void __exit syncmgr_exit(void)
{
	misc_deregister(&syncmgr_misc);
	syncmgr_names_exit();
	syncmgr_holds_exit();
	syncmgr_owner_exit();
	syncmgr_users_free();
}

module_init(syncmgr_init);
module_exit(syncmgr_exit);

MODULE_AUTHOR("The syncmgr developers");
MODULE_DESCRIPTION("Kernel-backed synchronization objects shared between processes");
MODULE_LICENSE("GPL");
MODULE_VERSION(SYNCMGR_VERSION);
