/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The syncmgr core, as the object families see it: objects and their
 * files, the family table, waiting, accounting and owner tracking.
 * Documentation/design.md draws the layout: which file owns which step.
 *
 * Lock order (outer to inner), never two object locks at once:
 *   syncmgr_obj.base->lock  ->  syncmgr_owner.lock
 *   syncmgr_obj.base->lock  ->  poll wait queue lock (wake_up)
 * The owner hash lock, the token table lock, the reaper table lock and
 * the per-user table lock nest inside nothing and take nothing.  A
 * condition has no lock of its own: it uses the spinlock of its
 * Lock/RLock object ("base"), so wait and notify are atomic with the
 * lock's state.  No code sleeps or touches user memory under these
 * locks.  The data objects' sleeping locks are in item.h.
 */
#ifndef _SYNCMGR_CORE_H
#define _SYNCMGR_CORE_H

#include <linux/ioctl.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/syncmgr.h>

#include "compat.h"

struct file;
struct syncmgr_obj;
struct syncmgr_user;
struct syncmgr_owner;
struct syncmgr_held;

/* One family of objects: the per-type half of every operation. */
struct syncmgr_ops {
	/* Set up type state from the creation arguments (may sleep). */
	int (*init)(struct syncmgr_obj *obj, const struct syncmgr_create *args);
	/*
	 * Drop what init took, when the last reference goes: for a
	 * container (->handles) in process context (it may sleep; see
	 * syncmgr_container_free), for the others possibly in atomic
	 * context (the exit probe puts Locks and RLocks: they must not
	 * sleep).
	 */
	void (*destroy)(struct syncmgr_obj *obj);
	/*
	 * The operations, each NULL where the type does not have it (the
	 * ioctl then fails with EBADFD).  The core has copied and checked
	 * the arguments; these run without the lock held and may sleep.
	 */
	int (*acquire)(struct syncmgr_obj *obj, u64 deadline);
	int (*release)(struct syncmgr_obj *obj, u32 count);
	int (*wait)(struct syncmgr_obj *obj, u64 deadline);
	int (*notify)(struct syncmgr_obj *obj, u32 count);
	int (*set)(struct syncmgr_obj *obj, bool set);		/* SET, CLEAR */
	int (*abort)(struct syncmgr_obj *obj, bool broken);	/* ABORT, RESET */
	int (*action_done)(struct syncmgr_obj *obj, u32 status);
	/*
	 * Value's SCALAR_* shortcuts: val is the checked number going in
	 * (STORE, ADD); argp the caller's struct, written by LOAD and ADD.
	 */
	long (*scalar)(struct syncmgr_obj *obj, unsigned int cmd,
		       const struct syncmgr_value *val,
		       struct syncmgr_value __user *argp);
	/*
	 * Containers: collect the objects held as handles, each with a
	 * reference (nest.c); 0 or -errno.  Only containers have it.
	 */
	int (*handles)(struct syncmgr_obj *obj, struct syncmgr_held *held);
	/* Under base->lock: would a wait succeed now?  (poll readiness) */
	bool (*ready)(struct syncmgr_obj *obj);
	/* Under base->lock, optional: would a put succeed now?  (EPOLLOUT) */
	bool (*writable)(struct syncmgr_obj *obj);
	/* Under base->lock: fill value, max and status of a state report. */
	void (*state)(struct syncmgr_obj *obj, struct syncmgr_state *st);
	/* Under base->lock: the tracked owner exited; obj->owner is clear. */
	void (*owner_died)(struct syncmgr_obj *obj);
	/*
	 * Containers with a version (dict, list), for fdinfo: a lockless
	 * snapshot of it.  NULL: the kind has none.
	 */
	u64 (*version)(struct syncmgr_obj *obj);
	/*
	 * WAIT_ANY / WAIT_ALL (many.c), under base->lock, never sleeping:
	 * would an acquire by me (the caller's record, or NULL) get obj now
	 * (take false), or get it now (take true).  0 or -EOWNERDEAD: it
	 * would be / it is taken; -EAGAIN: not now; another -errno: the wait
	 * fails with it.  Only the kinds a wait takes have it.
	 */
	int (*try_acquire)(struct syncmgr_obj *obj, struct syncmgr_owner *me,
			   bool take);
};

/*
 * Data commands (SYNCMGR_IOC_DATA(nr)) live in slots nr - FIRST of a
 * family's table, so that finding one is an index, not a search.
 */
#define SYNCMGR_DATA_NR_FIRST	0x20
#define SYNCMGR_DATA_NR_LAST	0x46
#define SYNCMGR_DATA_SLOTS	(SYNCMGR_DATA_NR_LAST - SYNCMGR_DATA_NR_FIRST + 1)
#define SYNCMGR_DATA_SLOT(cmd)	(_IOC_NR(cmd) - SYNCMGR_DATA_NR_FIRST)

/*
 * The fields of struct syncmgr_data a data command uses; the core
 * refuses any other that is not zero (EINVAL) before the command runs.
 * A command's own rules beyond these (a slice's stop only with a step, a
 * fixed number of values) are its own.
 */
#define SYNCMGR_USES_IN		BIT(0)	/* reads in, in_size */
#define SYNCMGR_USES_OUT	BIT(1)	/* writes out (out_size), needed */
#define SYNCMGR_USES_COUNT	BIT(2)	/* reads count */
#define SYNCMGR_USES_START	BIT(3)	/* reads start */
#define SYNCMGR_USES_STOP	BIT(4)	/* reads stop */
#define SYNCMGR_USES_STEP	BIT(5)	/* reads step */
#define SYNCMGR_USES_DEADLINE	BIT(6)	/* reads deadline */
#define SYNCMGR_USES_CURSOR	BIT(7)	/* reads and writes cursor */

/*
 * The version flags (SYNCMGR_FEAT_VERSION), taken by every dict, Namespace
 * and list command: the handler checks IF_VERSION under its lock and
 * leaves the version in d->version (syncmgr_version_begin/_end, item.h);
 * the core writes it back for SYNCMGR_DATA_VERSION.
 */
#define SYNCMGR_DATA_VERSIONS	(SYNCMGR_DATA_VERSION | SYNCMGR_DATA_IF_VERSION)

struct syncmgr_data_cmd {
	/*
	 * The command cmd (one handler may serve a few alike), given the
	 * copied-in and checked arguments; argp is the caller's struct, for
	 * a field it writes back (the cursor).
	 */
	long (*run)(struct syncmgr_obj *obj, unsigned int cmd,
		    struct syncmgr_data *d, struct syncmgr_data __user *argp);
	u16 uses;			/* SYNCMGR_USES_* */
	u16 flags;			/* the SYNCMGR_DATA_* flags it takes */
};

/*
 * One kind of object, as its family file exports it: everything the core
 * needs to know of it is here, and the core keeps one array of these
 * indexed by type (family.c).  Kinds of one family share ops and cmds.
 */
struct syncmgr_family {
	const char *name;		/* as Python names the kind */
	u64 features;			/* SYNCMGR_FEAT_* it gives */
	u32 create_flags;		/* SYNCMGR_CREATE_* beyond NO_CLOEXEC */
	u32 create_args;		/* SYNCMGR_ARG_* of struct syncmgr_create */
	const struct syncmgr_ops *ops;
	/* data commands by SYNCMGR_DATA_SLOT(), or NULL: none */
	const struct syncmgr_data_cmd *cmds;
};

/* The fields of struct syncmgr_create a kind reads (others must be 0). */
#define SYNCMGR_ARG_VALUE	BIT(0)
#define SYNCMGR_ARG_LOCK_FD	BIT(1)
#define SYNCMGR_ARG_TIMEOUT	BIT(2)
#define SYNCMGR_ARG_TYPECODE	BIT(3)

/* The highest enum syncmgr_type: a new kind moves it (family.c checks). */
#define SYNCMGR_TYPE_LAST	SYNCMGR_TYPE_NAMESPACE

extern const struct syncmgr_family syncmgr_lock_family;
extern const struct syncmgr_family syncmgr_rlock_family;
extern const struct syncmgr_family syncmgr_sem_family;
extern const struct syncmgr_family syncmgr_bsem_family;
extern const struct syncmgr_family syncmgr_event_family;
extern const struct syncmgr_family syncmgr_cond_family;
extern const struct syncmgr_family syncmgr_barrier_family;
extern const struct syncmgr_family syncmgr_queue_family;
extern const struct syncmgr_family syncmgr_value_family;
extern const struct syncmgr_family syncmgr_array_family;
extern const struct syncmgr_family syncmgr_dict_family;
extern const struct syncmgr_family syncmgr_list_family;
extern const struct syncmgr_family syncmgr_ns_family;

/*
 * A task blocked in an object.  It lives on the waiting task's stack.  A
 * waker, holding the object lock, decides the waiter's result and hands it
 * over directly (syncmgr_grant): the woken task never re-checks or races
 * for the object, and one release wakes exactly the tasks that can proceed.
 */
struct syncmgr_waiter {
	struct list_head node;		/* in obj->waiters, FIFO */
	struct syncmgr_obj *obj;	/* whose list node is on */
	struct task_struct *task;
	struct syncmgr_owner *owner;	/* owns the object once granted */
	u32 value;			/* lock depth to restore on grant */
	bool notified;			/* condition: moved to its lock */
	bool granted;			/* result is final (release/acquire) */
	int result;			/* valid once granted */
};

struct syncmgr_sem_state {
	u32 count;
	u32 max;			/* bounded: initial value, else U32_MAX */
};

struct syncmgr_event_state {
	bool set;
};

struct syncmgr_barrier_state {
	u32 parties;
	bool broken;
	bool in_action;			/* the last arriver runs the action */
	u64 timeout_ns;			/* default relative timeout, 0 none */
};

struct syncmgr_obj {
	const struct syncmgr_family *family;
	const struct syncmgr_ops *ops;	/* family->ops, one load nearer */
	u32 type;			/* enum syncmgr_type */
	u32 flags;			/* SYNCMGR_CREATE_* */
	u64 id;
	refcount_t ref;			/* files, owner lists, conditions */
	kuid_t uid;			/* the creator, for OPEN */
	struct syncmgr_user *user;	/* charged for this object (a reference) */
	u64 token[2];			/* 0 until asked for (TOKEN ioctl) */
	struct hlist_node token_node;	/* in the token table, if any */
	struct list_head dead;		/* a container being freed (object.c) */
	/* Lock of the object's state; a condition uses its lock's. */
	struct syncmgr_obj *base;
	wait_queue_head_t poll_wq;	/* of base: state changes for poll */

	/* protected by base->lock */
	spinlock_t lock;
	struct list_head waiters;
	u32 nr_waiters;
	struct syncmgr_owner *owner;	/* tracked holder, NULL if none */
	struct list_head owner_link;	/* in owner->held, under owner->lock */
	bool owner_died;		/* next acquirer learns EOWNERDEAD */
	union {
		u32 depth;		/* Lock, RLock: 0 free, else held */
		struct syncmgr_sem_state sem;
		struct syncmgr_event_state event;
		struct syncmgr_barrier_state barrier;
		void *priv;		/* data objects: their own state */
	};
};

/* family.c: the kinds, by type */
int syncmgr_families_init(void);
const struct syncmgr_family *syncmgr_family(u32 type);
bool syncmgr_create_args_valid(const struct syncmgr_create *args);
u64 syncmgr_features(u32 *max_type);
bool syncmgr_is_data_cmd(unsigned int cmd);

/* object.c: lifetime */
struct syncmgr_obj *syncmgr_obj_new(const struct syncmgr_create *args);
void syncmgr_obj_put(struct syncmgr_obj *obj);
void syncmgr_obj_changed(struct syncmgr_obj *obj);

/* file.c: an object as a file, and every ioctl on it */
struct syncmgr_obj *syncmgr_obj_from_fd(int fd);
struct file *syncmgr_obj_file(struct syncmgr_obj *obj);
int syncmgr_obj_install(struct syncmgr_obj *obj, int fd_flags);

/* token.c: names for OPEN */
void syncmgr_token_get(struct syncmgr_obj *obj, u64 token[2]);
void syncmgr_token_drop(struct syncmgr_obj *obj);
struct syncmgr_obj *syncmgr_token_open(const u64 token[2]);

/* account.c: per (user namespace, uid), charged up to init_user_ns */
struct syncmgr_user *syncmgr_user_current(void);
bool syncmgr_user_is_current(const struct syncmgr_user *u);
struct syncmgr_user *syncmgr_user_get(struct syncmgr_user *u);
void syncmgr_user_put(struct syncmgr_user *u);
int syncmgr_user_charge(struct syncmgr_user *u);
void syncmgr_user_uncharge(struct syncmgr_user *u);
int syncmgr_user_charge_bytes(struct syncmgr_user *u, size_t bytes,
			      unsigned long max);
void syncmgr_user_uncharge_bytes(struct syncmgr_user *u, size_t bytes);
int syncmgr_user_charge_values(struct syncmgr_user *u, size_t bytes);
void syncmgr_user_usage(struct syncmgr_user *u, unsigned int *objects,
			unsigned long *bytes);
void syncmgr_users_free(void);
extern const struct kernel_param_ops syncmgr_param_int_max;
size_t syncmgr_mem_size(size_t size);
void *syncmgr_mem_alloc(size_t size, gfp_t extra);
int syncmgr_mem_charge(struct syncmgr_user *u, size_t size);
void *syncmgr_priv_alloc(struct syncmgr_obj *obj, size_t size);
void syncmgr_priv_free(struct syncmgr_obj *obj, void *p, size_t size);

/*
 * Memory a container keeps for its structure (a list's slots, a dict's
 * buckets), charged to the account whose call made it, given back there.
 */
struct syncmgr_charge {
	struct syncmgr_user *user;	/* a reference, or NULL */
	size_t bytes;
};

int syncmgr_charge_take(struct syncmgr_charge *c, size_t bytes);
void syncmgr_charge_move(struct syncmgr_charge *to, struct syncmgr_charge *from);
void syncmgr_charge_drop(struct syncmgr_charge *c);

/* wait.c: deadlines and waiting */
bool syncmgr_expired(u64 deadline);
void syncmgr_waiter_init(struct syncmgr_waiter *w, struct syncmgr_owner *owner);
void syncmgr_enqueue(struct syncmgr_obj *obj, struct syncmgr_waiter *w);
void syncmgr_dequeue(struct syncmgr_waiter *w);
void syncmgr_grant(struct syncmgr_waiter *w, int result);
struct syncmgr_waiter *syncmgr_first_waiter(struct syncmgr_obj *obj);
bool syncmgr_schedule_until(u64 deadline);
int syncmgr_sleep(struct syncmgr_waiter *w, u64 deadline, unsigned int state);
int syncmgr_block(struct syncmgr_obj *obj, struct syncmgr_owner *owner,
		  u32 value, u64 deadline);

/* owner.c: who holds what, and what happens when they exit */
struct syncmgr_owner *syncmgr_owner_current(bool thread);
struct syncmgr_owner *syncmgr_owner_find(bool thread);
void syncmgr_owner_attach(struct syncmgr_obj *obj, struct syncmgr_owner *o);
void syncmgr_owner_detach(struct syncmgr_obj *obj);
bool syncmgr_owner_gone(struct syncmgr_owner *o);
pid_t syncmgr_owner_pid(struct syncmgr_owner *o);
int syncmgr_owner_init(void);
void syncmgr_owner_exit(void);

/* lock.c: used by conditions on their lock */
extern const struct syncmgr_ops syncmgr_lock_ops;
bool syncmgr_lock_is_held(struct syncmgr_obj *obj, struct syncmgr_owner *me);
struct syncmgr_owner *syncmgr_lock_owner_current(struct syncmgr_obj *obj);
void syncmgr_lock_take(struct syncmgr_obj *obj, struct syncmgr_owner *o,
		       u32 depth);
u32 syncmgr_lock_drop(struct syncmgr_obj *obj);
int syncmgr_lock_take_result(struct syncmgr_obj *obj);

/* many.c: WAIT_ANY, WAIT_ALL on /dev/syncmgr */
long syncmgr_ioctl_wait_many(void __user *argp, bool all);

/* named.c: NAMED_OPEN, NAMED_UNLINK on /dev/syncmgr; read-only handles */
long syncmgr_ioctl_named_open(void __user *argp);
long syncmgr_ioctl_named_unlink(void __user *argp);
void syncmgr_names_exit(void);
bool syncmgr_cmd_reads(struct syncmgr_obj *obj, unsigned int cmd);
struct file *syncmgr_obj_file_mode(struct syncmgr_obj *obj, int mode);
int syncmgr_obj_install_mode(struct syncmgr_obj *obj, int fd_flags, int mode);

/* token.c: tokens that hold their object (TOKEN_HOLD) */
long syncmgr_ioctl_token_hold(struct syncmgr_obj *obj, void __user *argp);
void syncmgr_holds_exit(void);

#endif /* _SYNCMGR_CORE_H */
