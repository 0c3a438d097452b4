// SPDX-License-Identifier: GPL-2.0
/*
 * Owner tracking: who holds which object, and what happens when they exit
 * or exec.
 *
 * An owner is a thread (RLock, a barrier's action runner) or a process
 * (Lock).  A thread's record is keyed by its task_struct, which it keeps a
 * reference on: unlike its struct pid, the task_struct stays the thread's
 * when a non-leader thread execs and takes over the leader's pid.  A
 * process's record is keyed by its signal_struct, the thread group's for
 * its whole life (exec included).  A record lists the objects it holds,
 * each of which the list keeps a reference on.  Records are made by their
 * own task on its first acquire and are only ever ended by the exit or
 * exec of that task (a process's: of its last thread, or by an exec, which
 * kills every other thread first), or at unload, so a task never races
 * with its own record's end.
 *
 * Exec ends what the old program held, as it does for robust futexes
 * (futex_exec_release()): the execing thread's record and the process's.
 *
 * 6.1 exports no task-exit or exec notifier; the sched_process_exit and
 * sched_process_exec tracepoints are seen instead.  Their probes run with
 * preemption disabled, so they do O(1) work under a raw spinlock only:
 * unhash the record, mark it dead, and hand it on.  The releasing (each
 * object held is told its holder died: an RLock is released, a Lock with
 * no waiter is left abandoned, locked and marked; see lock.c), which
 * takes the objects' spinlock_t locks (sleeping locks on PREEMPT_RT) and
 * is as long as the list, runs in process context with cond_resched():
 *  - at exit, in the exiting task itself, by a task work: do_exit() runs
 *    it in exit_task_work(), after the probe and before exit_notify(), so
 *    by the time a parent reaps the holder, or a thread's joiner's pid is
 *    free for reuse, everything it held has been handed on or marked;
 *  - at exec, by a work item (the execing task must not be made to wait).
 * In the window between the probe and the release, syncmgr_owner_gone()
 * already says the owner is gone (it is marked dead, or exiting), so an
 * acquirer takes the lock over instead of blocking on it.
 *
 * Unload: the probes are unregistered first; records handed on are counted
 * until freed, and a record released by its exiting task is only freed once
 * that task is past exit_task_work() (its exit_state is set), so no task
 * still runs the module's code when the count reaches zero.
 *
 * Lock order: obj->base->lock -> owner->lock.  The release never holds
 * both: it unlinks an object under owner->lock, keeps the list's reference,
 * then takes the object's lock.  syncmgr_owners_lock (raw) nests inside
 * nothing and takes nothing.
 */
#include <linux/hashtable.h>
#include <linux/llist.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/tracepoint.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <trace/events/sched.h>

#include "core.h"

struct syncmgr_owner {
	struct hlist_node hnode;	/* in syncmgr_owners until ended */
	const void *key;		/* the thread's task, the process's signal */
	bool thread;			/* per thread rather than process */
	bool dead;			/* ended: unhashed, released soon */
	u64 exec_id;			/* thread: its self_exec_id when made */
	/*
	 * The thread (from the start), or for a process's record ended by an
	 * exit, the task releasing it (from then on); a reference each.
	 */
	struct task_struct *task;
	struct pid *pid;		/* the thread's, or the group's: STATE */
	spinlock_t lock;		/* protects held */
	struct list_head held;		/* syncmgr_obj.owner_link */
	struct callback_head twork;	/* the exiting task's release */
	struct llist_node lnode;	/* to release, or to free */
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(syncmgr_owners, 10);
static DEFINE_RAW_SPINLOCK(syncmgr_owners_lock);	/* writers of the hash */

static struct tracepoint *syncmgr_exit_tp, *syncmgr_exec_tp;

/* Records ended and not yet freed: unload waits for none. */
static atomic_t syncmgr_owners_ending = ATOMIC_INIT(0);

/* Ended by an exec: to release, by syncmgr_owner_release_work. */
static LLIST_HEAD(syncmgr_owners_to_release);
static void syncmgr_owner_release_fn(struct work_struct *work);
static DECLARE_WORK(syncmgr_owner_release_work, syncmgr_owner_release_fn);

/* Released by their exiting task: to free once it is past its task works. */
static LLIST_HEAD(syncmgr_owners_to_free);
static void syncmgr_owner_free_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(syncmgr_owner_free_work, syncmgr_owner_free_fn);

static const void *syncmgr_owner_key(struct task_struct *task, bool thread)
{
	return thread ? (const void *)task : (const void *)task->signal;
}

/* Under rcu_read_lock(). */
static struct syncmgr_owner *syncmgr_owner_lookup(const void *key, bool thread)
{
	struct syncmgr_owner *o;

	hash_for_each_possible_rcu(syncmgr_owners, o, hnode, (unsigned long)key)
		if (o->key == key && o->thread == thread)
			return o;
	return NULL;
}

/*
 * The calling thread's (or process's) record, or NULL if it has none.
 * The record cannot go away under the caller: only the exit or exec of
 * the task it belongs to (or of its whole group) ends it.
 */
struct syncmgr_owner *syncmgr_owner_find(bool thread)
{
	struct syncmgr_owner *o;

	rcu_read_lock();
	o = syncmgr_owner_lookup(syncmgr_owner_key(current, thread), thread);
	rcu_read_unlock();
	return o;
}

static void syncmgr_owner_free_now(struct syncmgr_owner *o)
{
	if (o->task)
		put_task_struct(o->task);
	put_pid(o->pid);
	kfree_rcu(o, rcu);
}

/* The caller's record, made on first use.  May sleep. */
struct syncmgr_owner *syncmgr_owner_current(bool thread)
{
	const void *key = syncmgr_owner_key(current, thread);
	struct syncmgr_owner *o, *found;

	o = syncmgr_owner_find(thread);
	if (o)
		return o;
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return ERR_PTR(-ENOMEM);
	o->key = key;
	o->thread = thread;
	if (thread) {
		o->task = get_task_struct(current);
		o->exec_id = READ_ONCE(current->self_exec_id);
		o->pid = get_pid(task_pid(current));
	} else {
		o->pid = get_pid(task_tgid(current));
	}
	spin_lock_init(&o->lock);
	INIT_LIST_HEAD(&o->held);

	/* Another thread of the process may have made the group's record. */
	raw_spin_lock(&syncmgr_owners_lock);
	rcu_read_lock();
	found = syncmgr_owner_lookup(key, thread);
	rcu_read_unlock();
	if (!found)
		hash_add_rcu(syncmgr_owners, &o->hnode, (unsigned long)key);
	raw_spin_unlock(&syncmgr_owners_lock);
	if (found) {
		syncmgr_owner_free_now(o);
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
 * a reference of its own on obj (its fd's, or the release's), so dropping
 * the list's reference never frees it here.
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
	/* Unlinked already: the release owns that reference. */
	if (linked)
		refcount_dec(&obj->ref);
}

/*
 * Has o gone (exited or exec'd) or begun to?  The exit probe runs late in
 * do_exit(), after a thread's pthread_join() has already returned, and the
 * release comes after the probe; a waiter asking in between treats the
 * holder as dead right away instead of blocking on a lock that is about
 * to be released.  Called under the lock of an object o holds, so o is
 * not freed meanwhile.
 */
bool syncmgr_owner_gone(struct syncmgr_owner *o)
{
	struct task_struct *task;
	bool gone;

	if (READ_ONCE(o->dead))
		return true;
	if (o->thread)
		return (READ_ONCE(o->task->flags) & PF_EXITING) ||
		       READ_ONCE(o->task->self_exec_id) != o->exec_id;
	rcu_read_lock();
	task = pid_task(o->pid, PIDTYPE_TGID);
	gone = !task || !atomic_read(&task->signal->live);
	rcu_read_unlock();
	return gone;
}

/* The owner's pid as the caller's pid namespace sees it, 0 if unseen. */
pid_t syncmgr_owner_pid(struct syncmgr_owner *o)
{
	return pid_vnr(o->pid);
}

/*
 * Let go of everything o holds, telling each family its holder died (what
 * that means is the family's: owner_died).
 * Process context: the objects' locks may sleep (PREEMPT_RT), and the list
 * may be long.
 */
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
		cond_resched();
	}
}

/* An ended record is freed; the last one lets unload go on. */
static void syncmgr_owner_free_ended(struct syncmgr_owner *o)
{
	syncmgr_owner_free_now(o);
	if (atomic_dec_and_test(&syncmgr_owners_ending))
		wake_up_var(&syncmgr_owners_ending);
}

static void syncmgr_owner_release_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&syncmgr_owners_to_release);
	struct syncmgr_owner *o, *tmp;

	llist_for_each_entry_safe(o, tmp, list, lnode) {
		syncmgr_owner_release_all(o);
		syncmgr_owner_free_ended(o);
	}
}

/*
 * Frees the records whose exiting task has left its task works (and so
 * the module's code): exit_notify() sets exit_state after them.
 */
static void syncmgr_owner_free_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&syncmgr_owners_to_free);
	struct syncmgr_owner *o, *tmp;
	bool again = false;

	llist_for_each_entry_safe(o, tmp, list, lnode) {
		if (READ_ONCE(o->task->exit_state)) {
			syncmgr_owner_free_ended(o);
		} else {
			llist_add(&o->lnode, &syncmgr_owners_to_free);
			again = true;
		}
	}
	if (again)
		queue_delayed_work(system_wq, &syncmgr_owner_free_work, 1);
}

/* Task work of an exiting task (in do_exit(), preemptible). */
static void syncmgr_owner_exit_work(struct callback_head *twork)
{
	struct syncmgr_owner *o = container_of(twork, struct syncmgr_owner,
					       twork);

	syncmgr_owner_release_all(o);
	llist_add(&o->lnode, &syncmgr_owners_to_free);
	queue_delayed_work(system_wq, &syncmgr_owner_free_work, 1);
}

/*
 * In a probe (preemption off): take key's record out of the hash and mark
 * it dead.  O(1): a hash lookup and a raw spinlock.  NULL if there is none
 * or another probe ended it first (two threads exiting last at once).
 */
static struct syncmgr_owner *syncmgr_owner_unhash(const void *key,
						  bool thread)
{
	struct syncmgr_owner *o;

	rcu_read_lock();
	o = syncmgr_owner_lookup(key, thread);
	if (o) {
		raw_spin_lock(&syncmgr_owners_lock);
		if (o->dead) {
			o = NULL;
		} else {
			hash_del_rcu(&o->hnode);
			WRITE_ONCE(o->dead, true);
		}
		raw_spin_unlock(&syncmgr_owners_lock);
	}
	rcu_read_unlock();
	if (o)
		atomic_inc(&syncmgr_owners_ending);
	return o;
}

/* In a probe: a work item releases o. */
static void syncmgr_owner_release_later(struct syncmgr_owner *o)
{
	llist_add(&o->lnode, &syncmgr_owners_to_release);
	queue_work(system_unbound_wq, &syncmgr_owner_release_work);
}

/* In the exit probe: the exiting task releases o before it is reaped. */
static void syncmgr_owner_release_at_exit(struct syncmgr_owner *o)
{
	if (!o->task)
		o->task = get_task_struct(current);
	init_task_work(&o->twork, syncmgr_owner_exit_work);
	/* Cannot fail before exit_task_work(); if it did, a worker does it. */
	if (task_work_add(current, &o->twork, TWA_NONE))
		syncmgr_owner_release_later(o);
}

static void syncmgr_exit_probe(void *data, struct task_struct *task)
{
	struct syncmgr_owner *o;

	/* The probe is called for the exiting task, in its own context. */
	if (WARN_ON_ONCE(task != current))
		return;
	o = syncmgr_owner_unhash(syncmgr_owner_key(task, true), true);
	if (o)
		syncmgr_owner_release_at_exit(o);
	/* The last thread out ends the process's holdings. */
	if (!atomic_read(&task->signal->live)) {
		o = syncmgr_owner_unhash(syncmgr_owner_key(task, false), false);
		if (o)
			syncmgr_owner_release_at_exit(o);
	}
}

/*
 * After a successful exec, in the execing task: the other threads are gone
 * (de_thread()), the old program with them.
 */
static void syncmgr_exec_probe(void *data, struct task_struct *task,
			       pid_t old_pid, struct linux_binprm *bprm)
{
	struct syncmgr_owner *o;

	if (WARN_ON_ONCE(task != current))
		return;
	o = syncmgr_owner_unhash(syncmgr_owner_key(task, true), true);
	if (o)
		syncmgr_owner_release_later(o);
	o = syncmgr_owner_unhash(syncmgr_owner_key(task, false), false);
	if (o)
		syncmgr_owner_release_later(o);
}

/*
 * The probes' prototypes are the kernel's own business (6.16 added a bool
 * to sched_process_exit): check them against the tracepoints' declarations,
 * so that a kernel that changed them fails to build instead of calling a
 * probe with other arguments.  register_trace_*() is only looked at, never
 * called: the tracepoints themselves are not exported.
 */
static_assert(__same_type(register_trace_sched_process_exit,
			  int (typeof(syncmgr_exit_probe) *, void *)),
	      "sched_process_exit's prototype changed: update syncmgr_exit_probe");
static_assert(__same_type(register_trace_sched_process_exec,
			  int (typeof(syncmgr_exec_probe) *, void *)),
	      "sched_process_exec's prototype changed: update syncmgr_exec_probe");

static void syncmgr_find_tps(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sched_process_exit"))
		syncmgr_exit_tp = tp;
	else if (!strcmp(tp->name, "sched_process_exec"))
		syncmgr_exec_tp = tp;
}

int syncmgr_owner_init(void)
{
	int ret;

	for_each_kernel_tracepoint(syncmgr_find_tps, NULL);
	if (!syncmgr_exit_tp || !syncmgr_exec_tp) {
		pr_err("syncmgr: no sched_process_exit/exec tracepoint: cannot track owners\n");
		return -ENOENT;
	}
	ret = tracepoint_probe_register(syncmgr_exit_tp, syncmgr_exit_probe,
					NULL);
	if (ret)
		goto err;
	ret = tracepoint_probe_register(syncmgr_exec_tp, syncmgr_exec_probe,
					NULL);
	if (ret) {
		tracepoint_probe_unregister(syncmgr_exit_tp, syncmgr_exit_probe,
					    NULL);
		tracepoint_synchronize_unregister();
		goto err;
	}
	return 0;
err:
	pr_err("syncmgr: cannot hook task exit and exec: %d\n", ret);
	syncmgr_exit_tp = NULL;
	return ret;
}

/* At unload: no object fd is open, but records may still hold objects. */
void syncmgr_owner_exit(void)
{
	struct syncmgr_owner *o;
	struct hlist_node *tmp;
	int bkt;

	if (syncmgr_exit_tp) {
		tracepoint_probe_unregister(syncmgr_exec_tp, syncmgr_exec_probe,
					    NULL);
		tracepoint_probe_unregister(syncmgr_exit_tp, syncmgr_exit_probe,
					    NULL);
		tracepoint_synchronize_unregister();
	}
	/* Every probe has returned: wait for what they handed on. */
	wait_var_event(&syncmgr_owners_ending,
		       !atomic_read(&syncmgr_owners_ending));
	cancel_work_sync(&syncmgr_owner_release_work);
	cancel_delayed_work_sync(&syncmgr_owner_free_work);

	hash_for_each_safe(syncmgr_owners, bkt, tmp, o, hnode) {
		hash_del_rcu(&o->hnode);
		syncmgr_owner_release_all(o);
		syncmgr_owner_free_now(o);
	}
}
