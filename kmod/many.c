// SPDX-License-Identifier: GPL-2.0
/*
 * WAIT_ANY and WAIT_ALL: one task waiting on up to SYNCMGR_WAIT_MAX_OBJS
 * objects at once, as Windows' WaitForMultipleObjects and ntsync do.
 *
 * The waiter decides for itself, under the objects' locks: it watches
 * every object's poll wait queue (which each family wakes whenever the
 * object becomes ready: syncmgr_obj_changed), and each time it is kicked
 * it looks again.  WAIT_ANY looks at the objects in order, one lock at a
 * time, and takes the first it finds ready: the lowest ready index.
 * WAIT_ALL holds syncmgr_wait_all_mutex and every object's lock at once
 * while it checks that all are ready and takes all, so that no one sees
 * some taken and others not.
 *
 * Lock order: syncmgr_wait_all_mutex -> every object's base->lock (in the
 * order of the caller's list, spin_lock_nest_lock: the mutex keeps two
 * such sets from ever being taken at the same time) -> what a family's
 * try_acquire takes inside (owner locks).  Nothing else ever holds two
 * object locks, nor takes the mutex, so no cycle is possible.
 *
 * A multi-object waiter is not in the objects' FIFOs: a release that has a
 * single-object waiter hands the object to it directly, and the object
 * only becomes ready for WAIT_ANY/ALL when no such waiter is left.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "core.h"

static DEFINE_MUTEX(syncmgr_wait_all_mutex);

/* What a wait does with an object once it is ready. */
enum syncmgr_many_how {
	SYNCMGR_MANY_TAKE,	/* Lock, RLock, semaphores: acquire */
	SYNCMGR_MANY_READY,	/* Event set, Queue not empty: observe */
	SYNCMGR_MANY_WRITABLE,	/* Queue not full: observe */
};

struct syncmgr_many;

struct syncmgr_many_entry {
	struct syncmgr_obj *obj;	/* a reference */
	struct syncmgr_owner *me;	/* the caller's record, or NULL */
	enum syncmgr_many_how how;
	bool watching;			/* wq is on obj's poll queue */
	wait_queue_entry_t wq;
	struct syncmgr_many *m;
};

struct syncmgr_many {
	struct task_struct *task;
	bool kicked;			/* an object changed since we looked */
	u32 count;
	struct syncmgr_many_entry e[];
};

/* A poll wake-up of one of the objects: look again. */
static int syncmgr_many_wake(wait_queue_entry_t *wq, unsigned int mode,
			     int sync, void *key)
{
	struct syncmgr_many_entry *e = container_of(wq, struct syncmgr_many_entry,
						    wq);

	WRITE_ONCE(e->m->kicked, true);
	wake_up_process(e->m->task);
	return 0;
}

/*
 * Under obj->lock: would e be satisfied now (take false), or satisfy it
 * (take true).  0 or -EOWNERDEAD: satisfied; -EAGAIN: not now.
 */
static int syncmgr_many_try(struct syncmgr_many_entry *e, bool take)
{
	struct syncmgr_obj *obj = e->obj;

	lockdep_assert_held(&obj->lock);
	switch (e->how) {
	case SYNCMGR_MANY_TAKE:
		return obj->ops->try_acquire(obj, e->me, take);
	case SYNCMGR_MANY_READY:
		return obj->ops->ready(obj) ? 0 : -EAGAIN;
	case SYNCMGR_MANY_WRITABLE:
		return obj->ops->writable(obj) ? 0 : -EAGAIN;
	}
	return -EINVAL;
}

/* WAIT_ANY, one look: the index taken, -EAGAIN, or -errno. */
static int syncmgr_many_any(struct syncmgr_many *m, u64 *died)
{
	u32 i;
	int ret;

	for (i = 0; i < m->count; i++) {
		spin_lock(&m->e[i].obj->lock);
		ret = syncmgr_many_try(&m->e[i], true);
		spin_unlock(&m->e[i].obj->lock);
		if (ret == -EOWNERDEAD) {
			*died = BIT_ULL(i);
			return i | SYNCMGR_WAIT_OWNER_DIED;
		}
		if (ret != -EAGAIN)
			return ret ? ret : i;
	}
	return -EAGAIN;
}

/* WAIT_ALL, one look: 0 (all taken), -EAGAIN (none), or -errno (none). */
static int syncmgr_many_all(struct syncmgr_many *m, u64 *died)
{
	int ret = 0, r;
	u32 i;

	if (mutex_lock_killable(&syncmgr_wait_all_mutex))
		return -ERESTARTSYS;
	for (i = 0; i < m->count; i++)
		spin_lock_nest_lock(&m->e[i].obj->lock, &syncmgr_wait_all_mutex);
	for (i = 0; i < m->count && !ret; i++) {
		r = syncmgr_many_try(&m->e[i], false);
		if (r != -EOWNERDEAD)
			ret = r;
	}
	for (i = 0; i < m->count && !ret; i++) {
		/* All are ready under the locks: taking cannot fail. */
		r = syncmgr_many_try(&m->e[i], true);
		if (r == -EOWNERDEAD)
			*died |= BIT_ULL(i);
		else
			WARN_ON_ONCE(r);
	}
	for (i = m->count; i-- > 0;)
		spin_unlock(&m->e[i].obj->lock);
	mutex_unlock(&syncmgr_wait_all_mutex);
	if (ret)
		return ret;
	return *died ? SYNCMGR_WAIT_OWNER_DIED : 0;
}

/* Sleep until kicked, the deadline or a signal: 0, -ETIMEDOUT, -ERESTARTSYS. */
static int syncmgr_many_sleep(struct syncmgr_many *m, u64 deadline)
{
	int ret = 0;

	set_current_state(TASK_INTERRUPTIBLE);
	if (READ_ONCE(m->kicked))
		goto out;
	if (signal_pending(current)) {
		ret = -ERESTARTSYS;
		goto out;
	}
	if (!syncmgr_schedule_until(deadline))
		ret = -ETIMEDOUT;
out:
	__set_current_state(TASK_RUNNING);
	return ret;
}

/* Which kinds a wait takes, and how; -EBADFD or -EINVAL for the others. */
static int syncmgr_many_entry_init(struct syncmgr_many_entry *e,
				   const struct syncmgr_wait_obj *u)
{
	struct syncmgr_obj *obj = e->obj;

	if (u->flags & ~SYNCMGR_WAIT_OBJ_PUT)
		return -EINVAL;
	switch (obj->type) {
	case SYNCMGR_TYPE_LOCK:
	case SYNCMGR_TYPE_RLOCK:
	case SYNCMGR_TYPE_SEMAPHORE:
	case SYNCMGR_TYPE_BOUNDED_SEMAPHORE:
		if (u->flags)
			return -EINVAL;
		e->how = SYNCMGR_MANY_TAKE;
		if (obj->type == SYNCMGR_TYPE_LOCK ||
		    obj->type == SYNCMGR_TYPE_RLOCK) {
			e->me = syncmgr_lock_owner_current(obj);
			if (IS_ERR(e->me))
				return PTR_ERR(e->me);
		}
		return 0;
	case SYNCMGR_TYPE_EVENT:
		if (u->flags)
			return -EINVAL;
		e->how = SYNCMGR_MANY_READY;
		return 0;
	case SYNCMGR_TYPE_QUEUE:
		e->how = u->flags & SYNCMGR_WAIT_OBJ_PUT ?
			 SYNCMGR_MANY_WRITABLE : SYNCMGR_MANY_READY;
		return 0;
	}
	return -EBADFD;
}

static void syncmgr_many_free(struct syncmgr_many *m)
{
	u32 i;

	for (i = 0; i < m->count && m->e[i].obj; i++) {
		struct syncmgr_obj *obj = m->e[i].obj;

		if (m->e[i].watching) {
			spin_lock(&obj->lock);
			obj->nr_waiters--;
			spin_unlock(&obj->lock);
			remove_wait_queue(&obj->poll_wq, &m->e[i].wq);
		}
		syncmgr_obj_put(obj);
	}
	kfree(m);
}

/* Copy in the list once, and take a reference to every object. */
static struct syncmgr_many *syncmgr_many_new(const struct syncmgr_wait_many *a)
{
	struct syncmgr_wait_obj u[SYNCMGR_WAIT_MAX_OBJS];
	size_t bytes = sizeof(u[0]) * a->count;
	struct syncmgr_many *m;
	u32 i, j;
	int ret;

	/* Checked by the caller; said again for the compiler's copy check. */
	if (bytes > sizeof(u))
		return ERR_PTR(-EINVAL);
	if (copy_from_user(u, u64_to_user_ptr(a->objs), bytes))
		return ERR_PTR(-EFAULT);
	m = kzalloc(struct_size(m, e, a->count), GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->count = a->count;
	m->task = current;
	for (i = 0; i < m->count; i++) {
		struct syncmgr_many_entry *e = &m->e[i];

		e->obj = syncmgr_obj_from_fd(u[i].fd);
		if (IS_ERR(e->obj)) {
			ret = PTR_ERR(e->obj);
			e->obj = NULL;
			goto fail;
		}
		ret = syncmgr_many_entry_init(e, &u[i]);
		if (ret)
			goto fail;
		/* The same object twice (two fds of it too): refused. */
		ret = -EINVAL;
		for (j = 0; j < i; j++)
			if (m->e[j].obj == e->obj)
				goto fail;
		e->m = m;
		init_waitqueue_func_entry(&e->wq, syncmgr_many_wake);
	}
	return m;
fail:
	syncmgr_many_free(m);
	return ERR_PTR(ret);
}

long syncmgr_ioctl_wait_many(void __user *argp, bool all)
{
	struct syncmgr_wait_many __user *uarg = argp;
	struct syncmgr_wait_many a;
	struct syncmgr_many *m;
	int ret, stop = 0;
	u64 died = 0;
	u32 i;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.reserved || a.died || !a.count ||
	    a.count > SYNCMGR_WAIT_MAX_OBJS)
		return -EINVAL;
	/* died is written once the objects are taken: fault now, not then. */
	if (put_user(0ULL, &uarg->died))
		return -EFAULT;
	m = syncmgr_many_new(&a);
	if (IS_ERR(m))
		return PTR_ERR(m);

	/*
	 * Watch first, then look: a change after a look kicks us.  STATE
	 * counts the task among each object's waiters meanwhile.
	 */
	for (i = 0; i < m->count; i++) {
		struct syncmgr_obj *obj = m->e[i].obj;

		add_wait_queue(&obj->poll_wq, &m->e[i].wq);
		m->e[i].watching = true;
		spin_lock(&obj->lock);
		obj->nr_waiters++;
		spin_unlock(&obj->lock);
	}
	for (;;) {
		WRITE_ONCE(m->kicked, false);
		smp_mb();	/* kicked cleared before the states are read */
		ret = all ? syncmgr_many_all(m, &died) :
			    syncmgr_many_any(m, &died);
		/* Satisfied, or failed; after a timeout or signal, success wins. */
		if (ret != -EAGAIN)
			break;
		ret = stop;
		if (stop)
			break;
		if (syncmgr_expired(a.deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		stop = syncmgr_many_sleep(m, a.deadline);
	}
	syncmgr_many_free(m);
	/* Best effort: the result says OWNER_DIED even if this faults. */
	if (died && put_user(died, &uarg->died))
		pr_debug("syncmgr: died mask not written\n");
	return ret;
}
