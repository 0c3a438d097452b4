/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syncmgr internals shared by the object core and the object families.
 *
 * Lock order (outer to inner), never two object locks at once:
 *   syncmgr_obj.base->lock  ->  syncmgr_owner.lock
 *   syncmgr_obj.base->lock  ->  poll wait queue lock (wake_up)
 * The owner hash lock and the per-user table lock nest inside nothing and
 * take nothing.  A condition has no lock of its own: it uses the spinlock
 * of its Lock/RLock object ("base"), so wait and notify are atomic with the
 * lock's state.  No code sleeps or touches user memory under these locks.
 */
#ifndef _SYNCMGR_H
#define _SYNCMGR_H

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

struct seq_file;
struct syncmgr_obj;
struct syncmgr_user;
struct syncmgr_owner;

/* One family of objects: the per-type half of every operation. */
struct syncmgr_ops {
	u64 features;			/* SYNCMGR_FEAT_* this family gives */
	/* Set up type state from the creation arguments (may sleep). */
	int (*init)(struct syncmgr_obj *obj, const struct syncmgr_create *args);
	/*
	 * Drop what init took, when the last reference goes: for a
	 * container (->handles) in process context (it may reschedule; see
	 * syncmgr_container_free), for the others possibly in atomic
	 * context (they must not sleep).
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
	 * Data objects: one SYNCMGR_IOC_DATA() command with its copied-in and
	 * checked struct syncmgr_data (EBADFD for a command the type lacks).
	 * argp is the caller's struct, for the fields a command writes back.
	 */
	long (*data)(struct syncmgr_obj *obj, unsigned int cmd,
		     struct syncmgr_data *d, struct syncmgr_data __user *argp);
	/*
	 * Value's SCALAR_* shortcuts: val is the checked number going in
	 * (STORE, ADD); argp the caller's struct, written by LOAD and ADD.
	 */
	long (*scalar)(struct syncmgr_obj *obj, unsigned int cmd,
		       const struct syncmgr_value *val,
		       struct syncmgr_value __user *argp);
	/*
	 * Containers: the objects held as handles, each with a reference, in
	 * a kvmalloc'd array; returns how many or -errno.  Cycle check.
	 */
	int (*handles)(struct syncmgr_obj *obj, struct syncmgr_obj ***held);
	/* Under base->lock: would a wait succeed now?  (poll readiness) */
	bool (*ready)(struct syncmgr_obj *obj);
	/* Under base->lock, optional: would a put succeed now?  (EPOLLOUT) */
	bool (*writable)(struct syncmgr_obj *obj);
	/* Under base->lock: fill value, max and status of a state report. */
	void (*state)(struct syncmgr_obj *obj, struct syncmgr_state *st);
	/* Under base->lock: the tracked owner exited; obj->owner is clear. */
	void (*owner_died)(struct syncmgr_obj *obj);
};

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

/*
 * A typed value stored in a data object (see item.c).  Immutable once
 * made; node belongs to whichever container holds it.
 */
struct syncmgr_item {
	struct list_head node;
	u16 type;			/* enum syncmgr_value_type */
	u32 len;			/* payload bytes */
	u64 data;			/* scalar; 0 for a handle */
	struct syncmgr_obj *obj;	/* HANDLE: a reference */
	struct syncmgr_user *user;	/* charged for it (a reference), or NULL */
	u8 payload[];
};

/* A value (header + padded payload) this small crosses with one user copy. */
#define SYNCMGR_SMALL_VALUE	128

/*
 * A value that is only looked at (a lookup key, an expected value, a
 * delta), read in by syncmgr_keys_in().  Its item is made in space when
 * the payload fits (most keys: short names, numbers), so that such a
 * value costs no allocation; the key lives on the caller's stack, hence
 * the small bound.  Declare one __uninitialized: syncmgr_keys_in() writes
 * it before anything reads it, and kernels that clear every stack
 * variable (CONFIG_INIT_STACK_ALL_ZERO, as Debian's) would otherwise
 * clear its 120 bytes on every call.
 */
#define SYNCMGR_KEY_INLINE	64
struct syncmgr_key {
	struct syncmgr_item *it;
	u64 space[(sizeof(struct syncmgr_item) + SYNCMGR_KEY_INLINE) /
		  sizeof(u64)];
};

/* Values going out to one caller's buffer (item.c). */
struct syncmgr_out {
	struct syncmgr_data *d;
	u8 __user *buf;
	u32 size, used, count, max, needed;
	u32 nfiles;
	int *fds;			/* reserved, installed at the end */
	struct file **files;
};

struct syncmgr_obj {
	const struct syncmgr_ops *ops;
	u32 type;			/* enum syncmgr_type */
	u32 flags;			/* SYNCMGR_CREATE_* */
	u64 id;
	refcount_t ref;			/* files, owner lists, conditions */
	kuid_t uid;			/* the creator, for OPEN */
	struct syncmgr_user *user;	/* charged for this object (a reference) */
	u64 token[2];			/* 0 until asked for (TOKEN ioctl) */
	struct hlist_node token_node;	/* in the token table, if any */
	struct list_head dead;		/* a container being freed (core.c) */
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

extern const struct syncmgr_ops syncmgr_lock_ops;
extern const struct syncmgr_ops syncmgr_sem_ops;
extern const struct syncmgr_ops syncmgr_event_ops;
extern const struct syncmgr_ops syncmgr_cond_ops;
extern const struct syncmgr_ops syncmgr_barrier_ops;
extern const struct syncmgr_ops syncmgr_queue_ops;
extern const struct syncmgr_ops syncmgr_value_ops;	/* Value, Array */
extern const struct syncmgr_ops syncmgr_dict_ops;	/* dict, Namespace */
extern const struct syncmgr_ops syncmgr_list_ops;

/* core.c: objects */
struct syncmgr_obj *syncmgr_obj_new(u32 type, const struct syncmgr_create *args);
void syncmgr_obj_put(struct syncmgr_obj *obj);
struct syncmgr_obj *syncmgr_obj_from_fd(int fd);
struct file *syncmgr_obj_file(struct syncmgr_obj *obj);
int syncmgr_obj_install(struct syncmgr_obj *obj, int fd_flags);

/* core.c: accounts, per (user namespace, uid), charged up to init_user_ns */
struct syncmgr_user *syncmgr_user_current(void);
bool syncmgr_user_is_current(const struct syncmgr_user *u);
struct syncmgr_user *syncmgr_user_get(struct syncmgr_user *u);
void syncmgr_user_put(struct syncmgr_user *u);
int syncmgr_user_charge_bytes(struct syncmgr_user *u, size_t bytes,
			      unsigned long max);
void syncmgr_user_uncharge_bytes(struct syncmgr_user *u, size_t bytes);
extern const struct kernel_param_ops syncmgr_param_int_max;

void syncmgr_obj_changed(struct syncmgr_obj *obj);

/* core.c: deadlines */
bool syncmgr_expired(u64 deadline);

/* core.c: waiting */
void syncmgr_waiter_init(struct syncmgr_waiter *w, struct syncmgr_owner *owner);
void syncmgr_enqueue(struct syncmgr_obj *obj, struct syncmgr_waiter *w);
void syncmgr_dequeue(struct syncmgr_waiter *w);
void syncmgr_grant(struct syncmgr_waiter *w, int result);
struct syncmgr_waiter *syncmgr_first_waiter(struct syncmgr_obj *obj);
int syncmgr_sleep(struct syncmgr_waiter *w, u64 deadline, unsigned int state);
int syncmgr_block(struct syncmgr_obj *obj, struct syncmgr_owner *owner,
		  u32 value, u64 deadline);

/* A slice normalised as Python's slice.indices(), and its length. */
struct syncmgr_slice {
	s64 start, stop, step;
	u32 n;
};

/* The k-th index of a normalised slice (k < n). */
static inline u32 syncmgr_slice_at(const struct syncmgr_slice *s, u32 k)
{
	return s->start + (s64)k * s->step;
}

/* item.c: typed values */
void syncmgr_items_init(void);
int syncmgr_items_in(const struct syncmgr_data *d, u32 count,
		     struct list_head *items);
int syncmgr_keys_in(const struct syncmgr_data *d, struct syncmgr_key *keys,
		    u32 n);
void syncmgr_keys_free(struct syncmgr_key *keys, u32 n);
struct syncmgr_item *syncmgr_key_keep(struct syncmgr_key *k);
struct syncmgr_item *syncmgr_item_clone(const struct syncmgr_item *src);
int syncmgr_scalar_charge(struct syncmgr_user *u);
void syncmgr_scalar_uncharge(struct syncmgr_user *u);
void syncmgr_item_free(struct syncmgr_item *it);
void syncmgr_items_free(struct list_head *items);
int syncmgr_user_charge_values(struct syncmgr_user *u, size_t bytes);
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
size_t syncmgr_item_size(const struct syncmgr_item *it);
bool syncmgr_item_equal(const struct syncmgr_item *a,
			const struct syncmgr_item *b);
int syncmgr_item_compare(const struct syncmgr_item *a,
			 const struct syncmgr_item *b, int *res);
u64 syncmgr_item_hash(const struct syncmgr_item *it);
int syncmgr_item_int(const struct syncmgr_item *it, s64 *v);
bool syncmgr_scalar_ok(const struct syncmgr_value *v);
/*
 * Start writing at most max_values values to d's out buffer.  This sets
 * o whole, so callers declare it __uninitialized: a kernel built with
 * CONFIG_INIT_STACK_ALL_ZERO (Debian's) would clear it first on every
 * data call.  Inline: it is only these stores.
 */
static inline void syncmgr_out_init(struct syncmgr_out *o,
				    struct syncmgr_data *d, u32 max_values)
{
	*o = (struct syncmgr_out){
		.d = d,
		.buf = u64_to_user_ptr(d->out),
		.size = d->out_size,
		.max = max_values,
	};
}

bool syncmgr_out_room(struct syncmgr_out *o, const struct syncmgr_item *it);
int syncmgr_out_put(struct syncmgr_out *o, const struct syncmgr_item *it);
int syncmgr_out_end(struct syncmgr_out *o, int ret);

/* A store of values into a container, checked for cycles (item.c). */
struct syncmgr_nest {
	struct syncmgr_obj *container;
	struct list_head *items;	/* the values going in, or NULL */
	const struct syncmgr_item *its[2];	/* or these; NULL: none */
	u64 gen;			/* of container stores, before the walk */
	bool needed;			/* a container handle goes in */
	bool serial;			/* holds syncmgr_nest_mutex */
	u8 tries;
};

int syncmgr_nest_begin(struct syncmgr_nest *n, struct syncmgr_obj *container,
		       struct list_head *items, const struct syncmgr_item *a,
		       const struct syncmgr_item *b);
int syncmgr_nest_commit(struct syncmgr_nest *n);
int syncmgr_nest_again(struct syncmgr_nest *n);
int syncmgr_nest_lock(struct syncmgr_nest *n, struct mutex *lock);
void syncmgr_nest_end(struct syncmgr_nest *n);
s64 syncmgr_slice_bound(s64 v, s64 len, bool neg);
void syncmgr_slice_indices(const struct syncmgr_data *d, u32 len,
			   struct syncmgr_slice *s);

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
bool syncmgr_lock_is_held(struct syncmgr_obj *obj, struct syncmgr_owner *me);
struct syncmgr_owner *syncmgr_lock_owner_current(struct syncmgr_obj *obj);
void syncmgr_lock_take(struct syncmgr_obj *obj, struct syncmgr_owner *o,
		       u32 depth);
u32 syncmgr_lock_drop(struct syncmgr_obj *obj);
int syncmgr_lock_take_result(struct syncmgr_obj *obj);

#endif /* _SYNCMGR_H */
