// SPDX-License-Identifier: GPL-2.0
/*
 * Accounting: what each user's objects and values hold, bounded by the
 * module's limits (max_objects_per_user, max_bytes_per_user), and the
 * allocations whose true size is charged before they are made.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <linux/vmalloc.h>

#include "core.h"

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
	atomic_long_t bytes;		/* retained memory charged (account.c) */
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

int syncmgr_user_charge(struct syncmgr_user *u)
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

void syncmgr_user_uncharge(struct syncmgr_user *u)
{
	for (; u; u = u->parent)
		WARN_ON_ONCE(atomic_dec_return(&u->objects) < 0);
}

/* What u has now: live objects and bytes charged. */
void syncmgr_user_usage(struct syncmgr_user *u, unsigned int *objects,
			unsigned long *bytes)
{
	*objects = atomic_read(&u->objects);
	*bytes = atomic_long_read(&u->bytes);
}

/* At unload: every account went with its last charge; wait for their RCU. */
void syncmgr_users_free(void)
{
	rcu_barrier();
	WARN_ON_ONCE(!hash_empty(syncmgr_users));
}

/*
 * max_bytes_per_user: until set (modprobe or sysfs), a quarter of the RAM
 * the kernel manages, at least SYNCMGR_BYTES_MIN, worked out when it is
 * used (and shown so when read): the sentinel is outside what can be
 * set, so any setting wins over it.
 */
#define SYNCMGR_BYTES_AUTO	ULONG_MAX
#define SYNCMGR_BYTES_MIN	(256UL << 20)

static unsigned long max_bytes_per_user = SYNCMGR_BYTES_AUTO;

static unsigned long syncmgr_bytes_limit(void)
{
	unsigned long v = READ_ONCE(max_bytes_per_user);

	if (v != SYNCMGR_BYTES_AUTO)
		return v;
	v = min_t(unsigned long, totalram_pages() / 4, LONG_MAX >> PAGE_SHIFT);
	return max(v << PAGE_SHIFT, SYNCMGR_BYTES_MIN);
}

/* 0 .. LONG_MAX: the per-user counters are longs. */
static int syncmgr_param_set_bytes(const char *val,
				   const struct kernel_param *kp)
{
	unsigned long v;
	int ret = kstrtoul(val, 0, &v);

	if (ret)
		return ret;
	if (v > LONG_MAX)
		return -EINVAL;
	WRITE_ONCE(*(unsigned long *)kp->arg, v);
	return 0;
}

/* The limit in force, worked out if it was never set. */
static int syncmgr_param_get_bytes(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%lu\n", syncmgr_bytes_limit());
}

static const struct kernel_param_ops syncmgr_param_bytes = {
	.set = syncmgr_param_set_bytes,
	.get = syncmgr_param_get_bytes,
};

module_param_cb(max_bytes_per_user, &syncmgr_param_bytes, &max_bytes_per_user,
		0644);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Bytes of kernel memory one user's objects and values may hold, 0 .. 2^63-1 (EDQUOT beyond); default a quarter of RAM, at least 256 MiB");

/*
 * Retained memory, allocated so that its true size is known before it is
 * allocated (and charged as such): up to KMALLOC_MAX_CACHE_SIZE from the
 * kmalloc caches (their bucket size), beyond that from vmalloc (whole
 * pages and the page array), never a large kmalloc rounded up to the next
 * power of two (a 1 MiB value would take 2 MiB).  Free with kvfree() in
 * process context.  Sizes beyond INT_MAX are never allocated.
 *
 * vmalloc keeps its array of page pointers in a kmalloc'd block up to a
 * page, else vmalloc'd itself (__vmalloc_area_node()): a 64 MiB value's
 * 128 KiB array takes 33 pages, not a 256 KiB kmalloc.
 */
size_t syncmgr_mem_size(size_t size)
{
	size_t pages, total = 0;

	if (size > INT_MAX)
		return SIZE_MAX;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	for (;;) {
		pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
		total += pages << PAGE_SHIFT;
		size = pages * sizeof(struct page *);
		if (size <= PAGE_SIZE)
			return total + kmalloc_size_roundup(size);
	}
}

/*
 * __GFP_RETRY_MAYFAIL: a store beyond the storer's memory cgroup limit
 * fails with ENOMEM instead of OOM-killing in that cgroup.  Every page is
 * charged to the memcg one at a time (vmalloc allocates order-0 pages,
 * the bulk allocator refuses __GFP_ACCOUNT), and for such small orders
 * try_charge_memcg() would, once reclaim fails, call the memcg OOM killer
 * and retry for as long as it kills; with this flag it gives up instead
 * (so does the page allocator, rather than the global OOM killer).  The
 * caller then frees what it had and nothing is stored.
 */
void *syncmgr_mem_alloc(size_t size, gfp_t extra)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | extra;

	if (size > INT_MAX)
		return NULL;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc(size, gfp);
	return __vmalloc(size, gfp | __GFP_NOWARN);
}

/* Charge the true size of a size-byte allocation to u. */
int syncmgr_mem_charge(struct syncmgr_user *u, size_t size)
{
	size_t bytes = syncmgr_mem_size(size);

	if (bytes == SIZE_MAX)
		return -EDQUOT;
	return syncmgr_user_charge_values(u, bytes);
}

/*
 * A family's state of size bytes for obj, zeroed and charged to obj's
 * account; an ERR_PTR (EDQUOT, ENOMEM) if not.  syncmgr_priv_free()
 * gives both back.
 */
void *syncmgr_priv_alloc(struct syncmgr_obj *obj, size_t size)
{
	int ret = syncmgr_mem_charge(obj->user, size);
	void *p;

	if (ret)
		return ERR_PTR(ret);
	p = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!p) {
		syncmgr_user_uncharge_bytes(obj->user, syncmgr_mem_size(size));
		return ERR_PTR(-ENOMEM);
	}
	return p;
}

void syncmgr_priv_free(struct syncmgr_obj *obj, void *p, size_t size)
{
	kfree(p);
	syncmgr_user_uncharge_bytes(obj->user, syncmgr_mem_size(size));
}

/*
 * Charge bytes (a true size) to the caller's account into an empty c; or
 * -EDQUOT / -ENOMEM, c still empty.
 */
int syncmgr_charge_take(struct syncmgr_charge *c, size_t bytes)
{
	struct syncmgr_user *u = syncmgr_user_current();
	int ret;

	if (IS_ERR(u))
		return PTR_ERR(u);
	ret = bytes == SIZE_MAX ? -EDQUOT : syncmgr_user_charge_values(u, bytes);
	if (ret) {
		syncmgr_user_put(u);
		return ret;
	}
	c->user = u;
	c->bytes = bytes;
	return 0;
}

/* from's charge replaces to's (which is given back); from is emptied. */
void syncmgr_charge_move(struct syncmgr_charge *to, struct syncmgr_charge *from)
{
	syncmgr_charge_drop(to);
	*to = *from;
	from->user = NULL;
	from->bytes = 0;
}

void syncmgr_charge_drop(struct syncmgr_charge *c)
{
	if (!c->user)
		return;
	syncmgr_user_uncharge_bytes(c->user, c->bytes);
	syncmgr_user_put(c->user);
	c->user = NULL;
	c->bytes = 0;
}

/* Charge bytes (a true size) to u within max_bytes_per_user. */
int syncmgr_user_charge_values(struct syncmgr_user *u, size_t bytes)
{
	return syncmgr_user_charge_bytes(u, bytes, syncmgr_bytes_limit());
}
