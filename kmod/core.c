// SPDX-License-Identifier: GPL-2.0
/*
 * syncmgr core: the /dev/syncmgr device, object lifetime and accounting,
 * the ioctl entry point, poll and fdinfo, and waiting with deadlines.
 *
 * Every object is an anonymous-inode file whose private_data is a
 * refcounted struct syncmgr_obj.  The object families (lock.c, sem.c,
 * event.c, cond.c, barrier.c) only implement their state changes; the
 * steps around them live here once.  Lock order: see syncmgr.h.
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "syncmgr.h"

static unsigned int max_objects_per_user = 262144;

/* A uint parameter written within 0 .. INT_MAX (EINVAL beyond). */
static int syncmgr_param_set_int_max(const char *val,
				     const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, INT_MAX);
}

const struct kernel_param_ops syncmgr_param_int_max = {
	.set = syncmgr_param_set_int_max,
	.get = param_get_uint,
};

module_param_cb(max_objects_per_user, &syncmgr_param_int_max,
		&max_objects_per_user, 0644);
MODULE_PARM_DESC(max_objects_per_user,
		 "Live objects one user may own, 0 .. 2^31-1 (EDQUOT beyond)");

static atomic64_t syncmgr_next_id = ATOMIC64_INIT(1);

/*
 * Tokens: an object's unguessable name, so that a process with no fd of it
 * (a pool worker unpickling a reference) can open it, as SyncManager's
 * authkey lets a proxy reach its object.  The table does not keep objects
 * alive: a freed object leaves it before its memory goes, and OPEN takes
 * a reference only from an object whose count is not already zero.
 */
static DEFINE_HASHTABLE(syncmgr_tokens, 8);
static DEFINE_SPINLOCK(syncmgr_tokens_lock);

static struct syncmgr_obj *syncmgr_token_find(const u64 token[2])
{
	struct syncmgr_obj *obj;

	lockdep_assert_held(&syncmgr_tokens_lock);
	hash_for_each_possible(syncmgr_tokens, obj, token_node, token[0])
		if (obj->token[0] == token[0] && obj->token[1] == token[1])
			return obj;
	return NULL;
}

/* The object's token, drawn and entered in the table on first use. */
static void syncmgr_token_get(struct syncmgr_obj *obj, u64 token[2])
{
	u64 fresh[2];

	get_random_bytes(fresh, sizeof(fresh));
	spin_lock(&syncmgr_tokens_lock);
	if (!obj->token[0] && !obj->token[1]) {
		/* 2^-128 to collide; never hand out a name twice anyway. */
		while ((!fresh[0] && !fresh[1]) || syncmgr_token_find(fresh))
			fresh[0]++;
		obj->token[0] = fresh[0];
		obj->token[1] = fresh[1];
		hash_add(syncmgr_tokens, &obj->token_node, fresh[0]);
	}
	token[0] = obj->token[0];
	token[1] = obj->token[1];
	spin_unlock(&syncmgr_tokens_lock);
}

static void syncmgr_token_drop(struct syncmgr_obj *obj)
{
	if (hlist_unhashed(&obj->token_node))
		return;
	spin_lock(&syncmgr_tokens_lock);
	hash_del(&obj->token_node);
	spin_unlock(&syncmgr_tokens_lock);
}

/*
 * Per-user accounting, kept per user namespace as the kernel's ucounts
 * are: an account is a (user namespace, uid) pair, and its parent is the
 * account of whoever created that namespace, one level up, as
 * ns->ucounts is: (ns->parent, ns->owner).  A charge is made at every
 * level from the caller's account up to init_user_ns, each against the
 * same limits, so everything done inside the namespaces a user creates
 * (and their 65536 subordinate uids) also counts against that user.
 * memcg accounting bounds memory only where a cgroup has a limit; this
 * bounds every user.
 *
 * An account is refcounted: each object, item and charged allocation
 * holds a reference to the account it charged (which holds its parent
 * and its namespace), so an uncharge always goes to the same place and
 * an account lives exactly as long as something is charged to it.
 * Lookups run under RCU; an account leaves the table (under its lock)
 * when its last reference goes and is freed after a grace period.
 */
struct syncmgr_user {
	struct hlist_node node;
	struct rcu_head rcu;
	struct user_namespace *ns;	/* a reference */
	kuid_t uid;
	struct syncmgr_user *parent;	/* a reference; NULL at init_user_ns */
	refcount_t ref;
	atomic_t objects;		/* live objects */
	atomic_long_t bytes;		/* retained memory charged (item.c) */
};

static DEFINE_HASHTABLE(syncmgr_users, 6);
static DEFINE_SPINLOCK(syncmgr_users_lock);

static unsigned long syncmgr_user_key(struct user_namespace *ns, kuid_t uid)
{
	return (unsigned long)ns ^ __kuid_val(uid);
}

/* Under syncmgr_users_lock or rcu_read_lock(). */
static struct syncmgr_user *syncmgr_user_find(struct user_namespace *ns,
					      kuid_t uid)
{
	struct syncmgr_user *u;

	hash_for_each_possible_rcu(syncmgr_users, u, node,
				   syncmgr_user_key(ns, uid),
				   lockdep_is_held(&syncmgr_users_lock))
		if (u->ns == ns && uid_eq(u->uid, uid))
			return u;
	return NULL;
}

struct syncmgr_user *syncmgr_user_get(struct syncmgr_user *u)
{
	refcount_inc(&u->ref);
	return u;
}

static void syncmgr_user_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct syncmgr_user, rcu));
}

/* Drop a reference; may run in atomic context (put_user_ns defers). */
void syncmgr_user_put(struct syncmgr_user *u)
{
	struct syncmgr_user *parent;

	while (u && refcount_dec_and_lock(&u->ref, &syncmgr_users_lock)) {
		hash_del_rcu(&u->node);
		spin_unlock(&syncmgr_users_lock);
		WARN_ON_ONCE(atomic_read(&u->objects) ||
			     atomic_long_read(&u->bytes));
		parent = u->parent;
		put_user_ns(u->ns);
		call_rcu(&u->rcu, syncmgr_user_free_rcu);
		u = parent;
	}
}

/* The account of (ns, uid) with a reference, made on first use. */
static struct syncmgr_user *syncmgr_user_lookup(struct user_namespace *ns,
						kuid_t uid)
{
	struct syncmgr_user *u, *fresh, *parent = NULL;

	rcu_read_lock();
	u = syncmgr_user_find(ns, uid);
	if (u && !refcount_inc_not_zero(&u->ref))
		u = NULL;
	rcu_read_unlock();
	if (u)
		return u;
	if (ns != &init_user_ns) {
		parent = syncmgr_user_lookup(ns->parent, ns->owner);
		if (IS_ERR(parent))
			return parent;
	}
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh) {
		syncmgr_user_put(parent);
		return ERR_PTR(-ENOMEM);
	}
	fresh->ns = get_user_ns(ns);
	fresh->uid = uid;
	fresh->parent = parent;
	refcount_set(&fresh->ref, 1);
	spin_lock(&syncmgr_users_lock);
	u = syncmgr_user_find(ns, uid);
	if (u && refcount_inc_not_zero(&u->ref)) {
		spin_unlock(&syncmgr_users_lock);
		put_user_ns(fresh->ns);
		kfree(fresh);
		syncmgr_user_put(parent);
		return u;
	}
	hash_add_rcu(syncmgr_users, &fresh->node, syncmgr_user_key(ns, uid));
	spin_unlock(&syncmgr_users_lock);
	return fresh;
}

/*
 * The calling task's account, with a reference: its real uid in its user
 * namespace, the pair its cred->ucounts names.
 */
struct syncmgr_user *syncmgr_user_current(void)
{
	return syncmgr_user_lookup(current_user_ns(), current_uid());
}

/* Is u the calling task's account?  (No lookup, no reference.) */
bool syncmgr_user_is_current(const struct syncmgr_user *u)
{
	return u && u->ns == current_user_ns() && uid_eq(u->uid, current_uid());
}

/* Add n to one level's counter if it stays within max. */
static bool syncmgr_user_add(atomic_long_t *v, size_t n, unsigned long max)
{
	long cur = atomic_long_read(v);

	do {
		if (n > max || (unsigned long)cur > max - n)
			return false;
	} while (!atomic_long_try_cmpxchg(v, &cur, cur + n));
	return true;
}

static void syncmgr_user_sub(atomic_long_t *v, size_t n)
{
	long cur = atomic_long_read(v);

	do {
		if (WARN_ON_ONCE((unsigned long)cur < n))
			return;
	} while (!atomic_long_try_cmpxchg(v, &cur, cur - n));
}

/* Charge bytes at every level up from u, each within max; or -EDQUOT. */
int syncmgr_user_charge_bytes(struct syncmgr_user *u, size_t bytes,
			      unsigned long max)
{
	struct syncmgr_user *it;

	for (it = u; it; it = it->parent)
		if (!syncmgr_user_add(&it->bytes, bytes, max))
			goto undo;
	return 0;
undo:
	for (; u != it; u = u->parent)
		syncmgr_user_sub(&u->bytes, bytes);
	return -EDQUOT;
}

void syncmgr_user_uncharge_bytes(struct syncmgr_user *u, size_t bytes)
{
	for (; u; u = u->parent)
		syncmgr_user_sub(&u->bytes, bytes);
}

static int syncmgr_user_charge(struct syncmgr_user *u)
{
	unsigned int max = READ_ONCE(max_objects_per_user);
	struct syncmgr_user *it;
	int cur;

	for (it = u; it; it = it->parent) {
		cur = atomic_read(&it->objects);
		do {
			if (cur >= max)
				goto undo;
		} while (!atomic_try_cmpxchg(&it->objects, &cur, cur + 1));
	}
	return 0;
undo:
	for (; u != it; u = u->parent)
		atomic_dec(&u->objects);
	return -EDQUOT;
}

static void syncmgr_user_uncharge(struct syncmgr_user *u)
{
	for (; u; u = u->parent)
		WARN_ON_ONCE(atomic_dec_return(&u->objects) < 0);
}

/* What u has now: live objects and bytes charged. */
static void syncmgr_user_usage(struct syncmgr_user *u, unsigned int *objects,
			       unsigned long *bytes)
{
	*objects = atomic_read(&u->objects);
	*bytes = atomic_long_read(&u->bytes);
}

/* At unload: every account went with its last charge; wait for their RCU. */
static void syncmgr_users_free(void)
{
	rcu_barrier();
	WARN_ON_ONCE(!hash_empty(syncmgr_users));
}

static const char *const syncmgr_type_names[] = {
	[SYNCMGR_TYPE_LOCK]		 = "Lock",
	[SYNCMGR_TYPE_RLOCK]		 = "RLock",
	[SYNCMGR_TYPE_SEMAPHORE]	 = "Semaphore",
	[SYNCMGR_TYPE_BOUNDED_SEMAPHORE] = "BoundedSemaphore",
	[SYNCMGR_TYPE_EVENT]		 = "Event",
	[SYNCMGR_TYPE_CONDITION]	 = "Condition",
	[SYNCMGR_TYPE_BARRIER]		 = "Barrier",
	[SYNCMGR_TYPE_QUEUE]		 = "Queue",
	[SYNCMGR_TYPE_VALUE]		 = "Value",
	[SYNCMGR_TYPE_ARRAY]		 = "Array",
	[SYNCMGR_TYPE_DICT]		 = "dict",
	[SYNCMGR_TYPE_LIST]		 = "list",
	[SYNCMGR_TYPE_NAMESPACE]	 = "Namespace",
};

static const struct syncmgr_ops *syncmgr_type_ops(u32 type)
{
	switch (type) {
	case SYNCMGR_TYPE_LOCK:
	case SYNCMGR_TYPE_RLOCK:
		return &syncmgr_lock_ops;
	case SYNCMGR_TYPE_SEMAPHORE:
	case SYNCMGR_TYPE_BOUNDED_SEMAPHORE:
		return &syncmgr_sem_ops;
	case SYNCMGR_TYPE_EVENT:
		return &syncmgr_event_ops;
	case SYNCMGR_TYPE_CONDITION:
		return &syncmgr_cond_ops;
	case SYNCMGR_TYPE_BARRIER:
		return &syncmgr_barrier_ops;
	case SYNCMGR_TYPE_QUEUE:
		return &syncmgr_queue_ops;
	case SYNCMGR_TYPE_VALUE:
	case SYNCMGR_TYPE_ARRAY:
		return &syncmgr_value_ops;
	case SYNCMGR_TYPE_DICT:
	case SYNCMGR_TYPE_NAMESPACE:
		return &syncmgr_dict_ops;
	case SYNCMGR_TYPE_LIST:
		return &syncmgr_list_ops;
	}
	return NULL;
}

/* What an object's own struct costs its creator (its state: the type's). */
static size_t syncmgr_obj_cost(void)
{
	return kmalloc_size_roundup(sizeof(struct syncmgr_obj));
}

/*
 * A new object with one reference, charged to the calling user's account
 * (one object and its struct's bytes, at every level up).
 */
struct syncmgr_obj *syncmgr_obj_new(u32 type, const struct syncmgr_create *args)
{
	const struct syncmgr_ops *ops = syncmgr_type_ops(type);
	struct syncmgr_user *user;
	struct syncmgr_obj *obj;
	int ret;

	if (!ops)
		return ERR_PTR(-EINVAL);
	user = syncmgr_user_current();
	if (IS_ERR(user))
		return ERR_CAST(user);
	ret = syncmgr_user_charge(user);
	if (ret)
		goto put;
	ret = syncmgr_user_charge_values(user, syncmgr_obj_cost());
	if (ret)
		goto uncharge;
	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj) {
		ret = -ENOMEM;
		goto uncharge_bytes;
	}
	obj->ops = ops;
	obj->type = type;
	obj->flags = args->flags;
	obj->id = atomic64_inc_return(&syncmgr_next_id);
	obj->uid = current_uid();
	obj->user = user;
	obj->base = obj;
	refcount_set(&obj->ref, 1);
	spin_lock_init(&obj->lock);
	init_waitqueue_head(&obj->poll_wq);
	INIT_LIST_HEAD(&obj->waiters);
	INIT_LIST_HEAD(&obj->owner_link);
	INIT_HLIST_NODE(&obj->token_node);
	ret = ops->init(obj, args);
	if (ret) {
		kfree(obj);
		goto uncharge_bytes;
	}
	return obj;
uncharge_bytes:
	syncmgr_user_uncharge_bytes(user, syncmgr_obj_cost());
uncharge:
	syncmgr_user_uncharge(user);
put:
	syncmgr_user_put(user);
	return ERR_PTR(ret);
}

/* Give back what syncmgr_obj_new() charged; the struct is freed next. */
static void syncmgr_obj_uncharge(struct syncmgr_obj *obj)
{
	syncmgr_user_uncharge_bytes(obj->user, syncmgr_obj_cost());
	syncmgr_user_uncharge(obj->user);
	syncmgr_user_put(obj->user);
}

static void syncmgr_obj_free(struct syncmgr_obj *obj)
{
	WARN_ON_ONCE(!list_empty(&obj->waiters) || obj->owner);
	syncmgr_token_drop(obj);
	if (obj->ops->destroy)
		obj->ops->destroy(obj);
	syncmgr_obj_uncharge(obj);
	kfree(obj);
}

/*
 * Freeing containers.  A container's values hold references on the
 * objects they are handles to, so freeing it can free another container,
 * which can free another: a chain as long as a user cares to build
 * (storing a new list into the last one and closing the last one's fd).
 * Freed recursively, that overflows the kernel stack.  So the task whose
 * put frees a container becomes a reaper: the containers its frees let go
 * of are queued on its reaper record rather than freed where they are
 * dropped, and it frees them one after the other, in process context,
 * rescheduling between them.  The stack stays flat, the work is done by
 * the task that let go (nobody else waits for it), and when the put
 * returns everything is freed and uncharged.
 *
 * Only containers (ops->handles) go through this; every other family's
 * destroy drops at most one object that is not a container (a
 * Condition's lock), so it is freed where its last reference goes.  A
 * container's last reference is never dropped in atomic context: only
 * Locks, RLocks and Barriers are held by owner records.
 */
struct syncmgr_reaper {
	struct hlist_node node;		/* in syncmgr_reapers */
	struct task_struct *task;
	struct list_head dead;		/* containers to free: obj->dead */
};

static DEFINE_HASHTABLE(syncmgr_reapers, 6);
static DEFINE_SPINLOCK(syncmgr_reapers_lock);

/* Under syncmgr_reapers_lock: the calling task's record, if it reaps. */
static struct syncmgr_reaper *syncmgr_reaper_current(void)
{
	struct syncmgr_reaper *r;

	hash_for_each_possible(syncmgr_reapers, r, node, (unsigned long)current)
		if (r->task == current)
			return r;
	return NULL;
}

/* Free a container with no references left, and what it lets go of. */
static void syncmgr_container_free(struct syncmgr_obj *obj)
{
	struct syncmgr_reaper me = { .task = current }, *reaping;

	INIT_LIST_HEAD(&me.dead);
	spin_lock(&syncmgr_reapers_lock);
	reaping = syncmgr_reaper_current();
	if (reaping) {
		/* Inside our own reaping: queue it, the loop below frees it. */
		list_add_tail(&obj->dead, &reaping->dead);
		spin_unlock(&syncmgr_reapers_lock);
		return;
	}
	hash_add(syncmgr_reapers, &me.node, (unsigned long)current);
	spin_unlock(&syncmgr_reapers_lock);

	might_sleep();
	for (;;) {
		syncmgr_obj_free(obj);
		cond_resched();
		spin_lock(&syncmgr_reapers_lock);
		obj = list_first_entry_or_null(&me.dead, struct syncmgr_obj,
					       dead);
		if (obj)
			list_del(&obj->dead);
		else
			hash_del(&me.node);
		spin_unlock(&syncmgr_reapers_lock);
		if (!obj)
			break;
	}
}

void syncmgr_obj_put(struct syncmgr_obj *obj)
{
	if (!refcount_dec_and_test(&obj->ref))
		return;
	if (obj->ops->handles)
		syncmgr_container_free(obj);
	else
		syncmgr_obj_free(obj);
}

/* Tell poll() sleepers of the object (and conditions on it) to look again. */
void syncmgr_obj_changed(struct syncmgr_obj *obj)
{
	struct syncmgr_obj *base = obj->base;

	if (wq_has_sleeper(&base->poll_wq))
		wake_up_poll(&base->poll_wq, EPOLLIN | EPOLLRDNORM);
}

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
	obj = fd_file(f)->private_data;
	refcount_inc(&obj->ref);
	fdput(f);
	return obj;
}

bool syncmgr_expired(u64 deadline)
{
	return deadline != SYNCMGR_DEADLINE_FOREVER &&
	       deadline <= ktime_get_ns();
}

void syncmgr_waiter_init(struct syncmgr_waiter *w, struct syncmgr_owner *owner)
{
	/* Field by field: a memset here is a rep stos on every blocking call. */
	INIT_LIST_HEAD(&w->node);
	w->obj = NULL;
	w->task = current;
	w->owner = owner;
	w->value = 0;
	w->notified = false;
	w->granted = false;
	w->result = 0;
}

/* Under base->lock: queue w at the tail of obj's FIFO. */
void syncmgr_enqueue(struct syncmgr_obj *obj, struct syncmgr_waiter *w)
{
	lockdep_assert_held(&obj->base->lock);
	list_add_tail(&w->node, &obj->waiters);
	obj->nr_waiters++;
	w->obj = obj;
}

/* Under base->lock: take w off the list it is on. */
void syncmgr_dequeue(struct syncmgr_waiter *w)
{
	lockdep_assert_held(&w->obj->base->lock);
	list_del_init(&w->node);
	w->obj->nr_waiters--;
}

struct syncmgr_waiter *syncmgr_first_waiter(struct syncmgr_obj *obj)
{
	lockdep_assert_held(&obj->base->lock);
	return list_first_entry_or_null(&obj->waiters, struct syncmgr_waiter,
					node);
}

/*
 * Under base->lock: give w its final result and wake it.
 */
void syncmgr_grant(struct syncmgr_waiter *w, int result)
{
	struct task_struct *task = w->task;

	syncmgr_dequeue(w);
	w->result = result;
	/* w may be gone once granted is seen; task is RCU-freed. */
	smp_store_release(&w->granted, true);
	wake_up_process(task);
}

/*
 * Sleep until w is granted, the deadline passes or (per state) a signal
 * arrives.  Returns 0 if granted (seen with acquire: w->result is valid
 * and the granter no longer touches w, so no lock is needed), else
 * -ETIMEDOUT or -ERESTARTSYS; the caller then takes the lock and looks at
 * w->granted again, since a grant may race with the timeout or signal and
 * success wins.
 */
int syncmgr_sleep(struct syncmgr_waiter *w, u64 deadline, unsigned int state)
{
	ktime_t expires = ns_to_ktime(deadline);
	int ret = 0;

	for (;;) {
		set_current_state(state);
		/* Pairs with syncmgr_grant(): the result is visible. */
		if (smp_load_acquire(&w->granted))
			break;
		if (signal_pending_state(state, current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (deadline == SYNCMGR_DEADLINE_FOREVER) {
			schedule();
		} else if (!schedule_hrtimeout_range_clock(&expires,
				current->timer_slack_ns, HRTIMER_MODE_ABS,
				CLOCK_MONOTONIC)) {
			/* As above: a grant may have raced with the timer. */
			ret = smp_load_acquire(&w->granted) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/*
 * Called with base->lock held, which it drops: block on obj until granted,
 * for waits where giving up needs no more than leaving the queue.  Returns
 * the granted result, or -ETIMEDOUT / -ERESTARTSYS with nothing taken.
 * owner and value are what a grant needs to know of the waiter.
 */
int syncmgr_block(struct syncmgr_obj *obj, struct syncmgr_owner *owner,
		  u32 value, u64 deadline)
	__releases(&obj->base->lock)
{
	struct syncmgr_waiter w;
	int ret;

	if (syncmgr_expired(deadline)) {
		spin_unlock(&obj->base->lock);
		return -ETIMEDOUT;
	}
	syncmgr_waiter_init(&w, owner);
	w.value = value;
	syncmgr_enqueue(obj, &w);
	spin_unlock(&obj->base->lock);

	ret = syncmgr_sleep(&w, deadline, TASK_INTERRUPTIBLE);
	/* Granted: the granter dequeued w and is done with it. */
	if (!ret)
		return w.result;

	spin_lock(&obj->base->lock);
	if (w.granted)
		ret = w.result;
	else
		syncmgr_dequeue(&w);
	spin_unlock(&obj->base->lock);
	return ret;
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

static bool syncmgr_is_data_cmd(unsigned int cmd)
{
	switch (cmd) {
	case SYNCMGR_IOC_PUT: case SYNCMGR_IOC_GET:
	case SYNCMGR_IOC_TASK_DONE: case SYNCMGR_IOC_JOIN:
	case SYNCMGR_IOC_LOAD: case SYNCMGR_IOC_STORE:
	case SYNCMGR_IOC_ADD: case SYNCMGR_IOC_CMPXCHG:
	case SYNCMGR_IOC_LEN: case SYNCMGR_IOC_LOOKUP:
	case SYNCMGR_IOC_ASSIGN: case SYNCMGR_IOC_DELETE:
	case SYNCMGR_IOC_CONTAINS: case SYNCMGR_IOC_POP:
	case SYNCMGR_IOC_POPITEM: case SYNCMGR_IOC_SETDEFAULT:
	case SYNCMGR_IOC_UPDATE: case SYNCMGR_IOC_CLEAR_ALL:
	case SYNCMGR_IOC_COPY: case SYNCMGR_IOC_ITER:
	case SYNCMGR_IOC_INSERT: case SYNCMGR_IOC_REMOVE:
	case SYNCMGR_IOC_INDEX: case SYNCMGR_IOC_COUNT:
	case SYNCMGR_IOC_REVERSE: case SYNCMGR_IOC_SORT:
	case SYNCMGR_IOC_REPEAT:
		return true;
	}
	return false;
}

/*
 * A data command: copy the arguments in, check what every command shares,
 * run the type's handler; a too-small output buffer reports the size the
 * caller needs (the object is unchanged).
 */
static long syncmgr_data_ioctl(struct syncmgr_obj *obj, unsigned int cmd,
			       void __user *argp)
{
	struct syncmgr_data __user *uarg = argp;
	/* Copied in whole before use: no clearing (INIT_STACK_ALL_ZERO). */
	struct syncmgr_data d __uninitialized;
	long ret;

	if (!obj->ops->data)
		return -EBADFD;
	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (d.reserved || d.needed)
		return -EINVAL;
	ret = obj->ops->data(obj, cmd, &d, uarg);
	if (ret == -EMSGSIZE && d.needed &&
	    put_user(d.needed, &uarg->needed))
		ret = -EFAULT;
	return ret;
}

/*
 * Value's SCALAR_* commands: one struct syncmgr_value, a number going in
 * for STORE and ADD (anything else: EINVAL).  An Array shares Value's ops
 * but not these: EBADFD before anything is read.
 */
static long syncmgr_scalar_ioctl(struct syncmgr_obj *obj, unsigned int cmd,
				 struct syncmgr_value __user *argp)
{
	struct syncmgr_value val = { };

	if (!obj->ops->scalar || obj->type != SYNCMGR_TYPE_VALUE)
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
 * Every object ioctl: refuse what the type lacks (EBADFD), copy in and
 * check the arguments, then run the type's operation.  No operation
 * writes through argp, so a success is never followed by a failed copy.
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

	switch (cmd) {
	case SYNCMGR_IOC_STATE:
		return syncmgr_ioctl_state(obj, argp);
	case SYNCMGR_IOC_TOKEN:
		return syncmgr_ioctl_token(obj, argp);
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
	seq_printf(m, "syncmgr-type:\t%s\n", syncmgr_type_names[obj->type]);
	seq_printf(m, "syncmgr-id:\t%llu\n", obj->id);
	seq_printf(m, "syncmgr-value:\t%u\n", st.value);
	seq_printf(m, "syncmgr-max:\t%u\n", st.max);
	seq_printf(m, "syncmgr-waiters:\t%u\n", st.waiters);
	seq_printf(m, "syncmgr-owner:\t%u\n", st.owner);
	seq_printf(m, "syncmgr-status:\t%#x\n", st.status);
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

/* Fields and flags a type does not use must be zero. */
static bool syncmgr_create_args_valid(const struct syncmgr_create *args)
{
	bool lock = args->type == SYNCMGR_TYPE_LOCK;
	bool sem = args->type == SYNCMGR_TYPE_SEMAPHORE ||
		   args->type == SYNCMGR_TYPE_BOUNDED_SEMAPHORE;
	bool cond = args->type == SYNCMGR_TYPE_CONDITION;
	bool barrier = args->type == SYNCMGR_TYPE_BARRIER;
	bool counted = sem || barrier || args->type == SYNCMGR_TYPE_QUEUE ||
		       args->type == SYNCMGR_TYPE_ARRAY;
	bool typed = args->type == SYNCMGR_TYPE_VALUE ||
		     args->type == SYNCMGR_TYPE_ARRAY;

	if (args->reserved0 || args->reserved[0] || args->reserved[1])
		return false;
	if (args->typecode && !typed)
		return false;
	if (args->flags & ~(SYNCMGR_CREATE_NO_CLOEXEC |
			    SYNCMGR_CREATE_UNTRACKED | SYNCMGR_CREATE_ACTION))
		return false;
	if ((args->flags & SYNCMGR_CREATE_UNTRACKED) && !lock)
		return false;
	if ((args->flags & SYNCMGR_CREATE_ACTION) && !barrier)
		return false;
	if ((args->value && !counted) ||
	    (args->lock_fd && !cond) || (args->timeout_ns && !barrier))
		return false;
	return true;
}

/* A new file for obj, holding a reference of its own. */
struct file *syncmgr_obj_file(struct syncmgr_obj *obj)
{
	struct file *file;

	refcount_inc(&obj->ref);
	file = anon_inode_getfile("syncmgr", &syncmgr_obj_fops, obj, O_RDWR);
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
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(fd_flags);
	if (fd < 0) {
		syncmgr_obj_put(obj);
		return fd;
	}
	file = syncmgr_obj_file(obj);
	syncmgr_obj_put(obj);		/* the file has its own reference */
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* Last: an installed fd cannot be taken back. */
	fd_install(fd, file);
	return fd;
}

static long syncmgr_ioctl_create(void __user *argp)
{
	struct syncmgr_create args;
	struct syncmgr_obj *obj;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (!syncmgr_create_args_valid(&args))
		return -EINVAL;

	obj = syncmgr_obj_new(args.type, &args);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	return syncmgr_obj_install(obj, args.flags & SYNCMGR_CREATE_NO_CLOEXEC ?
				   0 : O_CLOEXEC);
}

/* What the families built in give: libsync tests bits, not versions. */
/* A new fd for the live object a token names, for its creating user. */
static long syncmgr_ioctl_open(void __user *argp)
{
	struct syncmgr_token t;
	struct syncmgr_obj *obj;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	if (t.reserved || t.flags & ~SYNCMGR_CREATE_NO_CLOEXEC)
		return -EINVAL;
	spin_lock(&syncmgr_tokens_lock);
	obj = syncmgr_token_find(t.token);
	if (obj && !refcount_inc_not_zero(&obj->ref))
		obj = NULL;
	spin_unlock(&syncmgr_tokens_lock);
	if (!obj)
		return -ENOENT;
	/* Access to objects is a file-system matter: the fsuid, as open(). */
	if (!uid_eq(obj->uid, current_fsuid()) && !capable(CAP_SYS_ADMIN)) {
		syncmgr_obj_put(obj);
		return -EPERM;
	}
	return syncmgr_obj_install(obj, t.flags & SYNCMGR_CREATE_NO_CLOEXEC ?
				   0 : O_CLOEXEC);
}

static long syncmgr_ioctl_version(void __user *argp)
{
	struct syncmgr_version v = {
		.abi_version = SYNCMGR_ABI_VERSION,
		.features = SYNCMGR_FEAT_TOKEN,
	};
	const struct syncmgr_ops *ops;
	u32 type;

	for (type = 1; type < ARRAY_SIZE(syncmgr_type_names); type++) {
		ops = syncmgr_type_ops(type);
		if (ops && ops->features) {
			v.features |= ops->features;
			v.max_types = type;
		}
	}

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
	int ret = syncmgr_owner_init();

	syncmgr_items_init();
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
	syncmgr_owner_exit();
	syncmgr_users_free();
}

module_init(syncmgr_init);
module_exit(syncmgr_exit);

MODULE_AUTHOR("The syncmgr developers");
MODULE_DESCRIPTION("Kernel-backed synchronization objects shared between processes");
MODULE_LICENSE("GPL");
MODULE_VERSION(SYNCMGR_VERSION);
