// SPDX-License-Identifier: GPL-2.0
/*
 * An object as a file: every object is an anonymous-inode file whose
 * private_data is a refcounted struct syncmgr_obj.  Here are the fd going
 * out (a new object, a handle in a value) and coming in (a Condition's
 * lock, a handle stored), and every ioctl on an object fd: the steps all
 * kinds share (copying in and checking arguments, STATE, TOKEN, poll,
 * fdinfo) once, then the kind's operation from its descriptor.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "item.h"

static const struct file_operations syncmgr_obj_fops;

/* The object behind fd, with a reference, or an ERR_PTR. */
struct syncmgr_obj *syncmgr_obj_from_fd(int fd)
{
	struct syncmgr_obj *obj;
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	if (fd_file(f)->f_op != &syncmgr_obj_fops) {
		fdput(f);
		return ERR_PTR(-EBADFD);
	}
	/* A read-only handle (named.c) is not handed on as a full one. */
	if (!(fd_file(f)->f_mode & FMODE_WRITE)) {
		fdput(f);
		return ERR_PTR(-EBADF);
	}
	obj = fd_file(f)->private_data;
	refcount_inc(&obj->ref);
	fdput(f);
	return obj;
}

static void syncmgr_snapshot(struct syncmgr_obj *obj, struct syncmgr_state *st)
{
	memset(st, 0, sizeof(*st));
	st->id = obj->id;
	st->type = obj->type;
	st->flags = obj->flags;
	spin_lock(&obj->base->lock);
	st->waiters = obj->nr_waiters;
	if (obj->owner)
		st->owner = syncmgr_owner_pid(obj->owner);
	if (obj->owner_died)
		st->status |= SYNCMGR_STATE_OWNER_DIED;
	obj->ops->state(obj, st);
	spin_unlock(&obj->base->lock);
}

static long syncmgr_ioctl_state(struct syncmgr_obj *obj, void __user *argp)
{
	struct syncmgr_state st;

	syncmgr_snapshot(obj, &st);
	return copy_to_user(argp, &st, sizeof(st)) ? -EFAULT : 0;
}

static long syncmgr_ioctl_token(struct syncmgr_obj *obj, void __user *argp)
{
	struct syncmgr_token t = { };

	syncmgr_token_get(obj, t.token);
	return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
}

static int syncmgr_get_wait(void __user *argp, u64 *deadline)
{
	struct syncmgr_wait args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags || args.reserved)
		return -EINVAL;
	*deadline = args.deadline;
	return 0;
}

static int syncmgr_get_count(void __user *argp, u32 *count)
{
	struct syncmgr_count args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.reserved)
		return -EINVAL;
	*count = args.count;
	return 0;
}

static int syncmgr_get_action_done(void __user *argp, u32 *status)
{
	struct syncmgr_action_done args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.reserved || args.status > SYNCMGR_ACTION_MISSING)
		return -EINVAL;
	*status = args.status;
	return 0;
}

/*
 * Are the fields of d that cmd does not use zero, and its flags ones it
 * takes?  (needed and reserved are checked for every command.)
 */
static bool syncmgr_data_fields_ok(const struct syncmgr_data_cmd *c,
				   const struct syncmgr_data *d)
{
	u16 uses = c->uses;

	return (!(d->in || d->in_size) || uses & SYNCMGR_USES_IN) &&
	       (!(d->out || d->out_size) || uses & SYNCMGR_USES_OUT) &&
	       (!d->count || uses & SYNCMGR_USES_COUNT) &&
	       (!d->start || uses & SYNCMGR_USES_START) &&
	       (!d->stop || uses & SYNCMGR_USES_STOP) &&
	       (!d->step || uses & SYNCMGR_USES_STEP) &&
	       /* deadline's storage is version's: read with IF_VERSION */
	       (!d->deadline || uses & SYNCMGR_USES_DEADLINE ||
		d->flags & SYNCMGR_DATA_IF_VERSION) &&
	       (!d->cursor || uses & SYNCMGR_USES_CURSOR) &&
	       !(d->flags & ~(u32)c->flags);
}

/*
 * A data command: find it in the kind's table (EBADFD if the kind lacks
 * it), copy the arguments in, check the fields it does not use, run it;
 * a too-small output buffer reports the size the caller needs (the
 * object is unchanged).  With SYNCMGR_DATA_VERSION the container's
 * version goes back to the caller after a success or an ESTALE; the
 * field is written once before the command (its value as read) so that
 * the write after it cannot fault unless the caller unmaps its own
 * argument meanwhile.  Without the flag nothing more is copied.
 */
static long syncmgr_data_ioctl(struct syncmgr_obj *obj, unsigned int cmd,
			       void __user *argp)
{
	const struct syncmgr_data_cmd *cmds = obj->family->cmds, *c;
	struct syncmgr_data __user *uarg = argp;
	/* Copied in whole before use: no clearing (INIT_STACK_ALL_ZERO). */
	struct syncmgr_data d __uninitialized;
	long ret;

	if (!cmds)
		return -EBADFD;
	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (d.reserved || d.needed)
		return -EINVAL;
	c = &cmds[SYNCMGR_DATA_SLOT(cmd)];
	if (!c->run)
		return -EBADFD;
	if (!syncmgr_data_fields_ok(c, &d))
		return -EINVAL;
	if (unlikely(d.flags & SYNCMGR_DATA_VERSION) &&
	    put_user(d.version, &uarg->version))
		return -EFAULT;
	ret = c->run(obj, cmd, &d, uarg);
	if (ret == -EMSGSIZE && d.needed &&
	    put_user(d.needed, &uarg->needed))
		ret = -EFAULT;
	if (unlikely(d.flags & SYNCMGR_DATA_VERSION) &&
	    (ret >= 0 || ret == -ESTALE) &&
	    put_user(d.version, &uarg->version))
		ret = -EFAULT;
	return ret;
}

/*
 * Value's SCALAR_* commands: one struct syncmgr_value, a number going in
 * for STORE and ADD (anything else: EINVAL).
 */
static long syncmgr_scalar_ioctl(struct syncmgr_obj *obj, unsigned int cmd,
				 struct syncmgr_value __user *argp)
{
	struct syncmgr_value val = { };

	if (!obj->ops->scalar)
		return -EBADFD;
	if (cmd != SYNCMGR_IOC_SCALAR_LOAD) {
		if (copy_from_user(&val, argp, sizeof(val)))
			return -EFAULT;
		if (!syncmgr_scalar_ok(&val))
			return -EINVAL;
	}
	return obj->ops->scalar(obj, cmd, &val, argp);
}

/*
 * Every object ioctl: refuse what the kind lacks (EBADFD), copy in and
 * check the arguments, then run the kind's operation.  What goes back to
 * the caller's struct (a state, a token, a cursor, a scalar, the size
 * needed) is written before anything that cannot be undone, such as an
 * fd installed: a failed copy never follows a change that was kept.
 */
static long syncmgr_obj_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct syncmgr_obj *obj = file->private_data;
	const struct syncmgr_ops *ops = obj->ops;
	void __user *argp = (void __user *)arg;
	u64 deadline;
	u32 val;
	int ret;

	if (!(file->f_mode & FMODE_WRITE) && !syncmgr_cmd_reads(obj, cmd))
		return -EBADF;
	switch (cmd) {
	case SYNCMGR_IOC_STATE:
		return syncmgr_ioctl_state(obj, argp);
	case SYNCMGR_IOC_TOKEN:
		return syncmgr_ioctl_token(obj, argp);
	case SYNCMGR_IOC_TOKEN_HOLD:
		return syncmgr_ioctl_token_hold(obj, argp);
	case SYNCMGR_IOC_ACQUIRE:
	case SYNCMGR_IOC_WAIT:
		if (!(cmd == SYNCMGR_IOC_WAIT ? ops->wait : ops->acquire))
			return -EBADFD;
		ret = syncmgr_get_wait(argp, &deadline);
		if (ret)
			return ret;
		return cmd == SYNCMGR_IOC_WAIT ? ops->wait(obj, deadline) :
						 ops->acquire(obj, deadline);
	case SYNCMGR_IOC_RELEASE:
	case SYNCMGR_IOC_NOTIFY:
		if (!(cmd == SYNCMGR_IOC_NOTIFY ? ops->notify : ops->release))
			return -EBADFD;
		ret = syncmgr_get_count(argp, &val);
		if (ret)
			return ret;
		return cmd == SYNCMGR_IOC_NOTIFY ? ops->notify(obj, val) :
						   ops->release(obj, val);
	case SYNCMGR_IOC_SET:
	case SYNCMGR_IOC_CLEAR:
		return ops->set ? ops->set(obj, cmd == SYNCMGR_IOC_SET) :
				  -EBADFD;
	case SYNCMGR_IOC_ABORT:
	case SYNCMGR_IOC_RESET:
		return ops->abort ? ops->abort(obj, cmd == SYNCMGR_IOC_ABORT) :
				    -EBADFD;
	case SYNCMGR_IOC_ACTION_DONE:
		if (!ops->action_done)
			return -EBADFD;
		ret = syncmgr_get_action_done(argp, &val);
		return ret ? ret : ops->action_done(obj, val);
	case SYNCMGR_IOC_SCALAR_LOAD:
	case SYNCMGR_IOC_SCALAR_STORE:
	case SYNCMGR_IOC_SCALAR_ADD:
		return syncmgr_scalar_ioctl(obj, cmd, argp);
	}
	if (syncmgr_is_data_cmd(cmd))
		return syncmgr_data_ioctl(obj, cmd, argp);
	return -ENOTTY;
}

static __poll_t syncmgr_obj_poll(struct file *file, poll_table *pt)
{
	struct syncmgr_obj *obj = file->private_data;

	poll_wait(file, &obj->base->poll_wq, pt);
	__poll_t mask = 0;

	spin_lock(&obj->base->lock);
	if (obj->ops->ready(obj))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (obj->ops->writable && obj->ops->writable(obj))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&obj->base->lock);
	return mask;
}

static void syncmgr_obj_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct syncmgr_obj *obj = file->private_data;
	struct syncmgr_state st;
	unsigned long bytes;
	unsigned int objects;

	syncmgr_snapshot(obj, &st);
	syncmgr_user_usage(obj->user, &objects, &bytes);
	seq_printf(m, "syncmgr-type:\t%s\n", obj->family->name);
	seq_printf(m, "syncmgr-id:\t%llu\n", obj->id);
	seq_printf(m, "syncmgr-value:\t%u\n", st.value);
	seq_printf(m, "syncmgr-max:\t%u\n", st.max);
	seq_printf(m, "syncmgr-waiters:\t%u\n", st.waiters);
	seq_printf(m, "syncmgr-owner:\t%u\n", st.owner);
	seq_printf(m, "syncmgr-status:\t%#x\n", st.status);
	if (obj->ops->version)
		seq_printf(m, "syncmgr-version:\t%llu\n",
			   obj->ops->version(obj));
	/*
	 * The creator's usage (its account: its uid in its user namespace,
	 * with all it charged there and in the namespaces it made): lets a
	 * test suite see that memory returns.
	 */
	seq_printf(m, "syncmgr-user-objects:\t%u\n", objects);
	seq_printf(m, "syncmgr-user-bytes:\t%lu\n", bytes);
}

static int syncmgr_obj_release(struct inode *inode, struct file *file)
{
	syncmgr_obj_put(file->private_data);
	return 0;
}

static const struct file_operations syncmgr_obj_fops = {
	.owner		= THIS_MODULE,
	.release	= syncmgr_obj_release,
	.unlocked_ioctl	= syncmgr_obj_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= syncmgr_obj_poll,
	.show_fdinfo	= syncmgr_obj_show_fdinfo,
	.llseek		= noop_llseek,
};

/* A new file for obj, holding a reference of its own. */
struct file *syncmgr_obj_file(struct syncmgr_obj *obj)
{
	return syncmgr_obj_file_mode(obj, O_RDWR);
}

/* The same, opened O_RDWR or (named.c) O_RDONLY. */
struct file *syncmgr_obj_file_mode(struct syncmgr_obj *obj, int mode)
{
	struct file *file;

	refcount_inc(&obj->ref);
	file = anon_inode_getfile("syncmgr", &syncmgr_obj_fops, obj, mode);
	if (IS_ERR(file))
		syncmgr_obj_put(obj);
	return file;
}

/*
 * Give the caller an fd for a new obj, consuming the caller's reference
 * whatever happens.  Returns the fd or -errno.
 */
int syncmgr_obj_install(struct syncmgr_obj *obj, int fd_flags)
{
	return syncmgr_obj_install_mode(obj, fd_flags, O_RDWR);
}

int syncmgr_obj_install_mode(struct syncmgr_obj *obj, int fd_flags, int mode)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(fd_flags);
	if (fd < 0) {
		syncmgr_obj_put(obj);
		return fd;
	}
	file = syncmgr_obj_file_mode(obj, mode);
	syncmgr_obj_put(obj);		/* the file has its own reference */
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* Last: an installed fd cannot be taken back. */
	fd_install(fd, file);
	return fd;
}
