// SPDX-License-Identifier: GPL-2.0
/*
 * Owner tracking: who holds which object, and what happens when they exit.
 *
 * An owner is a thread (RLock, a barrier's action runner) or a process
 * (Lock), keyed by its struct pid.  Its record lists the objects it holds,
 * each of which the list keeps a reference on.  Records are made by their
 * own task on its first acquire and are only ever destroyed by the exit of
 * that task (or at unload), so a task never races with its own record's
 * end.
 *
 * 6.1 exports no task-exit notifier; the sched_process_exit tracepoint runs
 * in do_exit() of every task, after the thread group's live count was
 * dropped and before its files are closed.  Its probe runs with preemption
 * disabled: it takes spinlocks only and frees with kfree_rcu.  When it
 * finds no record (the common case: the task never took a syncmgr lock) it
 * costs one RCU hash lookup.
 *
 * Lock order: obj->base->lock -> owner->lock.  The exit path never holds
 * both: it unlinks an object under owner->lock, keeps the list's
 * reference, then takes the object's lock.
 */
#include <linux/hashtable.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>

#include "syncmgr.h"

struct syncmgr_owner {
	struct hlist_node hnode;	/* in syncmgr_owners */
	struct pid *pid;		/* the thread's, or the group's */
	bool thread;			/* per thread rather than process */
	spinlock_t lock;		/* protects held */
	struct list_head held;		/* syncmgr_obj.owner_link */
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(syncmgr_owners, 10);
static DEFINE_SPINLOCK(syncmgr_owners_lock);	/* writers of the hash */
static struct tracepoint *syncmgr_exit_tp;

static struct pid *syncmgr_owner_key(bool thread)
{
	return thread ? task_pid(current) : task_tgid(current);
}

/* Under rcu_read_lock(). */
static struct syncmgr_owner *syncmgr_owner_lookup(struct pid *pid, bool thread)
{
	struct syncmgr_owner *o;

	hash_for_each_possible_rcu(syncmgr_owners, o, hnode, (unsigned long)pid)
		if (o->pid == pid && o->thread == thread)
			return o;
	return NULL;
}

/*
 * The calling thread's (or process's) record, or NULL if it has none.
 * The record cannot go away under the caller: only the exit of the task
 * it belongs to (or of its whole group) removes it.
 */
struct syncmgr_owner *syncmgr_owner_find(bool thread)
{
	struct syncmgr_owner *o;

	rcu_read_lock();
	o = syncmgr_owner_lookup(syncmgr_owner_key(thread), thread);
	rcu_read_unlock();
	return o;
}

/* The caller's record, made on first use.  May sleep. */
struct syncmgr_owner *syncmgr_owner_current(bool thread)
{
	struct pid *pid = syncmgr_owner_key(thread);
	struct syncmgr_owner *o, *found;

	o = syncmgr_owner_find(thread);
	if (o)
		return o;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return ERR_PTR(-ENOMEM);
	o->pid = get_pid(pid);
	o->thread = thread;
	spin_lock_init(&o->lock);
	INIT_LIST_HEAD(&o->held);

	/* Another thread of the process may have made the group's record. */
	spin_lock(&syncmgr_owners_lock);
	rcu_read_lock();
	found = syncmgr_owner_lookup(pid, thread);
	rcu_read_unlock();
	if (!found)
		hash_add_rcu(syncmgr_owners, &o->hnode, (unsigned long)pid);
	spin_unlock(&syncmgr_owners_lock);
	if (found) {
		put_pid(o->pid);
		kfree(o);
		return found;
	}
	return o;
}

/* Under obj->base->lock: o now holds obj. */
void syncmgr_owner_attach(struct syncmgr_obj *obj, struct syncmgr_owner *o)
{
	lockdep_assert_held(&obj->base->lock);
	WARN_ON_ONCE(obj->owner);
	obj->owner = o;
	refcount_inc(&obj->ref);
	spin_lock(&o->lock);
	list_add_tail(&obj->owner_link, &o->held);
	spin_unlock(&o->lock);
}

/*
 * Under obj->base->lock: obj has no holder any more.  The caller still has
 * a reference of its own on obj (its fd's, or the exit path's), so
 * dropping the list's reference never frees it here.
 */
void syncmgr_owner_detach(struct syncmgr_obj *obj)
{
	struct syncmgr_owner *o = obj->owner;
	bool linked;

	lockdep_assert_held(&obj->base->lock);
	if (!o)
		return;
	spin_lock(&o->lock);
	linked = !list_empty(&obj->owner_link);
	list_del_init(&obj->owner_link);
	spin_unlock(&o->lock);
	obj->owner = NULL;
	/* Unlinked already: the exit path owns that reference. */
	if (linked)
		refcount_dec(&obj->ref);
}

/*
 * Has o begun to exit?  Its exit probe runs late in do_exit(), after a
 * thread's pthread_join() has already returned and after the parent may
 * have been told; a waiter asking in between treats the holder as dead
 * right away instead of blocking on a lock that will never be released.
 */
bool syncmgr_owner_gone(struct syncmgr_owner *o)
{
	struct task_struct *task;
	bool gone;

	rcu_read_lock();
	task = pid_task(o->pid, o->thread ? PIDTYPE_PID : PIDTYPE_TGID);
	if (!task)
		gone = true;
	else if (o->thread)
		gone = task->flags & PF_EXITING;
	else
		gone = !atomic_read(&task->signal->live);
	rcu_read_unlock();
	return gone;
}

/* The owner's pid as the caller's pid namespace sees it, 0 if unseen. */
pid_t syncmgr_owner_pid(struct syncmgr_owner *o)
{
	return pid_vnr(o->pid);
}

/* Release everything o holds, telling each family its holder died. */
static void syncmgr_owner_release_all(struct syncmgr_owner *o)
{
	struct syncmgr_obj *obj;

	for (;;) {
		spin_lock(&o->lock);
		obj = list_first_entry_or_null(&o->held, struct syncmgr_obj,
					       owner_link);
		if (obj)
			list_del_init(&obj->owner_link);
		spin_unlock(&o->lock);
		if (!obj)
			break;

		/* The list's reference is ours now. */
		spin_lock(&obj->base->lock);
		if (obj->owner == o) {
			obj->owner = NULL;
			obj->ops->owner_died(obj);
		}
		spin_unlock(&obj->base->lock);
		syncmgr_obj_put(obj);
	}
}

static void syncmgr_owner_end(struct pid *pid, bool thread)
{
	struct syncmgr_owner *o;

	spin_lock(&syncmgr_owners_lock);
	rcu_read_lock();
	o = syncmgr_owner_lookup(pid, thread);
	rcu_read_unlock();
	if (o)
		hash_del_rcu(&o->hnode);
	spin_unlock(&syncmgr_owners_lock);
	if (!o)
		return;
	syncmgr_owner_release_all(o);
	put_pid(o->pid);
	kfree_rcu(o, rcu);
}

static void syncmgr_exit_probe(void *data, struct task_struct *task)
{
	/* The probe is called for the exiting task, in its own context. */
	if (WARN_ON_ONCE(task != current))
		return;
	rcu_read_lock();
	if (syncmgr_owner_lookup(task_pid(task), true)) {
		rcu_read_unlock();
		syncmgr_owner_end(task_pid(task), true);
		rcu_read_lock();
	}
	/* The last thread out ends the process's holdings. */
	if (!atomic_read(&task->signal->live) &&
	    syncmgr_owner_lookup(task_tgid(task), false)) {
		rcu_read_unlock();
		syncmgr_owner_end(task_tgid(task), false);
		return;
	}
	rcu_read_unlock();
}

static void syncmgr_find_exit_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		syncmgr_exit_tp = tp;
}

int syncmgr_owner_init(void)
{
	int ret;

	for_each_kernel_tracepoint(syncmgr_find_exit_tp, NULL);
	if (!syncmgr_exit_tp) {
		pr_err("syncmgr: no sched_process_exit tracepoint: cannot track owners\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(syncmgr_exit_tp, syncmgr_exit_probe,
					NULL);
	if (ret)
		pr_err("syncmgr: cannot hook task exit: %d\n", ret);
	return ret;
}

/* At unload: no object fd is open, but records may still hold objects. */
void syncmgr_owner_exit(void)
{
	struct syncmgr_owner *o;
	struct hlist_node *tmp;
	int bkt;

	tracepoint_probe_unregister(syncmgr_exit_tp, syncmgr_exit_probe, NULL);
	tracepoint_synchronize_unregister();
	hash_for_each_safe(syncmgr_owners, bkt, tmp, o, hnode) {
		hash_del(&o->hnode);
		syncmgr_owner_release_all(o);
		put_pid(o->pid);
		kfree(o);
	}
}
