// SPDX-License-Identifier: GPL-2.0
/*
 * dict and Namespace: insertion-ordered hash maps of typed values.  A
 * Namespace is a dict whose keys must be STR.
 *
 * Each entry is in two structures at once:
 *  - a hash table (a power-of-two array of hlist buckets, indexed by the
 *    keyed SipHash of the key, syncmgr_item_hash) for O(1) average lookup,
 *    insert and delete; it doubles when the entries outnumber the buckets
 *    and halves when they fall under an eighth, rehashing under the mutex
 *    (an allocation failure there only costs speed);
 *  - an rbtree ordered by a sequence number given at insertion and never
 *    reused (a replaced value keeps its entry, so its key keeps its place).
 *    In-order is insertion order: popitem takes the last node, and an
 *    iteration cursor is the sequence number of the last entry returned,
 *    so the next page starts at the first entry with a larger number:
 *    O(log n) to find, then O(1) per entry (rb_next).  A key deleted
 *    meanwhile simply is not there any more; one present throughout is
 *    returned exactly once since numbers only grow along the order.
 *
 * Lock order (outer to inner):
 *   syncmgr_nest_mutex (nest.c)  ->  syncmgr_dict.mutex  ->  syncmgr_nest_gen_lock
 *   syncmgr_dict.mutex  ->  the per-user table lock (charging clones),
 *                           file creation for handles going out
 * Values are copied in before the mutex is taken; copying out happens
 * under it (allowed: it is a sleeping lock), fds are installed after it.
 * Removed items are freed after it is dropped.  Nothing here runs under a
 * spinlock: the state and ready hooks read only the entry count.
 *
 * Accounting: an entry is charged (at its true size) to the account of
 * its key, which is whoever stored the key; the bucket array to whoever's
 * call allocated it (replaced with its charge on a resize, which is best
 * effort: a refused charge, like a failed allocation, only costs speed);
 * the dict's own state to its creator.
 *
 * destroy runs when the last reference goes; for a dict that is a file
 * release or the freeing of an item holding it, both process context.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "item.h"

#define SYNCMGR_DICT_MIN_BUCKETS	8
/* Most values one ITER page returns (bounds the fd bookkeeping). */
#define SYNCMGR_DICT_PAGE_MAX		8192

struct syncmgr_dict_entry {
	struct hlist_node hnode;	/* in its bucket */
	struct rb_node rb;		/* in the order, by seq */
	u64 hash;
	u64 seq;
	struct syncmgr_item *key, *value;
};

struct syncmgr_dict {
	struct mutex mutex;		/* serialises every operation */
	/* protected by mutex */
	struct hlist_head *buckets;
	u32 nbuckets;			/* a power of two */
	u32 nr_handles;			/* keys and values that are handles */
	u64 last_seq;
	struct rb_root order;
	struct syncmgr_charge bkt;	/* what buckets costs, and to whom */
	/* written under mutex, read locklessly by state, LEN and fdinfo */
	u32 count;
	u64 version;			/* item.h */
};

static struct syncmgr_dict *syncmgr_dict(struct syncmgr_obj *obj)
{
	return obj->priv;
}

static bool syncmgr_is_ns(struct syncmgr_obj *obj)
{
	return obj->type == SYNCMGR_TYPE_NAMESPACE;
}

/* n empty buckets, charged into the empty c to the caller; or NULL. */
static struct hlist_head *syncmgr_dict_buckets_alloc(u32 n,
						     struct syncmgr_charge *c)
{
	size_t size = (size_t)n * sizeof(struct hlist_head);
	struct hlist_head *b;

	if (syncmgr_charge_take(c, syncmgr_mem_size(size)))
		return NULL;
	b = syncmgr_mem_alloc(size, __GFP_ZERO);
	if (!b)
		syncmgr_charge_drop(c);
	return b;
}

static size_t syncmgr_dict_entry_cost(void)
{
	return syncmgr_mem_size(sizeof(struct syncmgr_dict_entry));
}

/*
 * A new entry, charged to u (the account of the key it will hold); or
 * an ERR_PTR: -EDQUOT, -ENOMEM.
 */
static struct syncmgr_dict_entry *syncmgr_dict_entry_new(struct syncmgr_user *u)
{
	struct syncmgr_dict_entry *e;
	int ret = syncmgr_user_charge_values(u, syncmgr_dict_entry_cost());

	if (ret)
		return ERR_PTR(ret);
	e = kmalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		syncmgr_user_uncharge_bytes(u, syncmgr_dict_entry_cost());
		return ERR_PTR(-ENOMEM);
	}
	return e;
}

/* Free an entry (not its items) charged to u. */
static void syncmgr_dict_entry_drop(struct syncmgr_dict_entry *e,
				    struct syncmgr_user *u)
{
	syncmgr_user_uncharge_bytes(u, syncmgr_dict_entry_cost());
	kfree(e);
}

static int syncmgr_dict_init(struct syncmgr_obj *obj,
			     const struct syncmgr_create *args)
{
	struct syncmgr_dict *dt;

	if (args->flags & ~SYNCMGR_CREATE_NO_CLOEXEC)
		return -EINVAL;
	dt = syncmgr_priv_alloc(obj, sizeof(*dt));
	if (IS_ERR(dt))
		return PTR_ERR(dt);
	dt->buckets = syncmgr_dict_buckets_alloc(SYNCMGR_DICT_MIN_BUCKETS,
						 &dt->bkt);
	if (!dt->buckets) {
		syncmgr_priv_free(obj, dt, sizeof(*dt));
		return -ENOMEM;
	}
	dt->nbuckets = SYNCMGR_DICT_MIN_BUCKETS;
	dt->order = RB_ROOT;
	dt->version = 1;
	mutex_init(&dt->mutex);
	obj->priv = dt;
	return 0;
}

static void syncmgr_dict_entry_free(struct syncmgr_dict_entry *e)
{
	syncmgr_user_uncharge_bytes(e->key->user, syncmgr_dict_entry_cost());
	syncmgr_item_free(e->key);
	syncmgr_item_free(e->value);
	kfree(e);
}

/* Free every entry of a detached order tree. */
static void syncmgr_dict_free_tree(struct rb_root *root, bool can_sleep)
{
	struct syncmgr_dict_entry *e, *tmp;
	unsigned int n = 0;

	rbtree_postorder_for_each_entry_safe(e, tmp, root, rb) {
		syncmgr_dict_entry_free(e);
		if (can_sleep && !(++n & 1023))
			cond_resched();
	}
	*root = RB_ROOT;
}

static void syncmgr_dict_destroy(struct syncmgr_obj *obj)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);

	syncmgr_dict_free_tree(&dt->order, true);
	kvfree(dt->buckets);
	syncmgr_charge_drop(&dt->bkt);
	mutex_destroy(&dt->mutex);
	syncmgr_priv_free(obj, dt, sizeof(*dt));
}

static struct hlist_head *syncmgr_dict_bucket(struct syncmgr_dict *dt, u64 hash)
{
	return &dt->buckets[hash & (dt->nbuckets - 1)];
}

static struct syncmgr_dict_entry *
syncmgr_dict_find(struct syncmgr_dict *dt, const struct syncmgr_item *key,
		  u64 hash)
{
	struct syncmgr_dict_entry *e;

	lockdep_assert_held(&dt->mutex);
	hlist_for_each_entry(e, syncmgr_dict_bucket(dt, hash), hnode)
		if (e->hash == hash && syncmgr_item_equal(e->key, key))
			return e;
	return NULL;
}

/*
 * Rehash into n buckets, charged to the caller; if that charge or the
 * allocation fails keep the old table (and its charge).
 */
static void syncmgr_dict_resize(struct syncmgr_dict *dt, u32 n)
{
	struct hlist_head *old = dt->buckets, *fresh;
	struct syncmgr_charge c = {};
	struct syncmgr_dict_entry *e;
	struct hlist_node *tmp;
	u32 i, oldn = dt->nbuckets;

	lockdep_assert_held(&dt->mutex);
	if (n == oldn)
		return;
	fresh = syncmgr_dict_buckets_alloc(n, &c);
	if (!fresh)
		return;
	dt->buckets = fresh;
	dt->nbuckets = n;
	for (i = 0; i < oldn; i++)
		hlist_for_each_entry_safe(e, tmp, &old[i], hnode) {
			hlist_del(&e->hnode);
			hlist_add_head(&e->hnode, syncmgr_dict_bucket(dt, e->hash));
		}
	kvfree(old);
	syncmgr_charge_move(&dt->bkt, &c);
}

/* Room for extra more entries at load factor <= 1 (best effort). */
static void syncmgr_dict_reserve(struct syncmgr_dict *dt, u32 extra)
{
	u64 want = (u64)dt->count + extra;
	u32 n = dt->nbuckets;

	while (n < want && n < (1U << 30))
		n <<= 1;
	syncmgr_dict_resize(dt, n);
}

/* Under an eighth full: halve until at least a quarter full. */
static void syncmgr_dict_maybe_shrink(struct syncmgr_dict *dt)
{
	u32 n = dt->nbuckets;

	if (n <= SYNCMGR_DICT_MIN_BUCKETS || dt->count >= n / 8)
		return;
	while (n > SYNCMGR_DICT_MIN_BUCKETS && dt->count < n / 4)
		n >>= 1;
	syncmgr_dict_resize(dt, n);
}

static u32 syncmgr_dict_entry_handles(const struct syncmgr_dict_entry *e)
{
	return syncmgr_item_handles(e->key) + syncmgr_item_handles(e->value);
}

/* Append e (key, value, hash set) as the newest entry. */
static void syncmgr_dict_link(struct syncmgr_dict *dt,
			      struct syncmgr_dict_entry *e)
{
	struct rb_node **link = &dt->order.rb_node, *parent = NULL;

	lockdep_assert_held(&dt->mutex);
	e->seq = ++dt->last_seq;
	hlist_add_head(&e->hnode, syncmgr_dict_bucket(dt, e->hash));
	while (*link) {
		parent = *link;
		link = &parent->rb_right;
	}
	rb_link_node(&e->rb, parent, link);
	rb_insert_color(&e->rb, &dt->order);
	dt->nr_handles += syncmgr_dict_entry_handles(e);
	WRITE_ONCE(dt->count, dt->count + 1);
	if (dt->count > dt->nbuckets)
		syncmgr_dict_reserve(dt, 0);
}

static void syncmgr_dict_unlink(struct syncmgr_dict *dt,
				struct syncmgr_dict_entry *e)
{
	lockdep_assert_held(&dt->mutex);
	hlist_del(&e->hnode);
	rb_erase(&e->rb, &dt->order);
	dt->nr_handles -= syncmgr_dict_entry_handles(e);
	WRITE_ONCE(dt->count, dt->count - 1);
}

/* Give e a new value; the old one goes onto garbage. */
static void syncmgr_dict_replace(struct syncmgr_dict *dt,
				 struct syncmgr_dict_entry *e,
				 struct syncmgr_item *value,
				 struct list_head *garbage)
{
	dt->nr_handles -= syncmgr_item_handles(e->value);
	list_add_tail(&e->value->node, garbage);
	e->value = value;
	dt->nr_handles += syncmgr_item_handles(value);
}

/* Keys a Namespace refuses: anything but a name. */
static int syncmgr_dict_key_ok(struct syncmgr_obj *obj,
			       const struct syncmgr_item *key)
{
	if (syncmgr_is_ns(obj) && key->type != SYNCMGR_VAL_STR)
		return -EINVAL;
	/* A LIST or DICT (at any depth) is unhashable: Python's TypeError. */
	if (!syncmgr_item_hashable(key))
		return -EINVAL;
	return 0;
}

/*
 * Read the request's n values in as keys (codec.c): the first is the dict
 * key, looked up without being allocated.
 */
static int syncmgr_dict_keys_in(struct syncmgr_obj *obj, struct syncmgr_data *d,
				struct syncmgr_key *keys, u32 n)
{
	int ret;

	/* A fixed number of values: count, if given, must say so. */
	if (d->count && d->count != n)
		return -EINVAL;
	ret = syncmgr_keys_in(d, keys, n);
	if (ret)
		return ret;
	ret = syncmgr_dict_key_ok(obj, keys[0].it);
	if (ret)
		syncmgr_keys_free(keys, n);
	return ret;
}

/*
 * Under the mutex, key absent: a new newest entry holding value and the
 * key, kept from k.  Made here rather than before the mutex (allowed: it
 * is a sleeping lock) because only a new key needs them: overwriting or
 * reading an existing key allocates no entry and no key.  Nothing changes
 * on failure.
 */
static int syncmgr_dict_insert(struct syncmgr_dict *dt, struct syncmgr_key *k,
			       u64 hash, struct syncmgr_item *value)
{
	struct syncmgr_dict_entry *e;
	struct syncmgr_item *key;

	key = syncmgr_key_keep(k);
	if (IS_ERR(key))
		return PTR_ERR(key);
	e = syncmgr_dict_entry_new(key->user);
	if (IS_ERR(e)) {
		syncmgr_item_free(key);
		return PTR_ERR(e);
	}
	e->key = key;
	e->value = value;
	e->hash = hash;
	syncmgr_dict_link(dt, e);
	return 0;
}

/* Take e out; its items go onto garbage, freed after the mutex. */
static void syncmgr_dict_remove(struct syncmgr_dict *dt,
				struct syncmgr_dict_entry *e,
				struct list_head *garbage)
{
	syncmgr_dict_unlink(dt, e);
	list_add_tail(&e->key->node, garbage);
	list_add_tail(&e->value->node, garbage);
	syncmgr_dict_entry_drop(e, e->key->user);
	syncmgr_dict_maybe_shrink(dt);
}

/* LOOKUP and POP: the value of a key, removed if pop. */
static long syncmgr_dict_get(struct syncmgr_obj *obj, unsigned int cmd,
			     struct syncmgr_data *d,
			     struct syncmgr_data __user *argp)
{
	bool pop = cmd == SYNCMGR_IOC_POP;
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_dict_entry *e;
	struct syncmgr_key key __uninitialized;
	struct syncmgr_out o __uninitialized;
	LIST_HEAD(items);
	int ret;
	u64 hash;

	ret = syncmgr_dict_keys_in(obj, d, &key, 1);
	if (ret)
		return ret;
	hash = syncmgr_item_hash(key.it);
	syncmgr_out_init(&o, d, 1);

	mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	if (ret)
		goto unlock;
	e = syncmgr_dict_find(dt, key.it, hash);
	if (!e)
		ret = -ENOENT;
	else
		ret = syncmgr_out_one(&o, e->value);
	if (!ret && pop)
		syncmgr_dict_remove(dt, e, &items);
	if (!ret)
		syncmgr_version_end(d, &dt->version, pop);
unlock:
	mutex_unlock(&dt->mutex);
	ret = syncmgr_out_end(&o, ret);
	syncmgr_keys_free(&key, 1);
	syncmgr_items_free(&items);
	return ret;
}

/* POPITEM: the newest entry, key then value. */
static long syncmgr_dict_popitem(struct syncmgr_obj *obj, unsigned int cmd,
				 struct syncmgr_data *d,
				 struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_dict_entry *e = NULL;
	struct syncmgr_out o __uninitialized;
	struct rb_node *last;
	size_t need;
	int ret;

	syncmgr_out_init(&o, d, 2);

	mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	if (ret)
		goto unlock;
	last = rb_last(&dt->order);
	if (!last) {
		ret = -ENOENT;
		goto unlock;
	}
	e = rb_entry(last, struct syncmgr_dict_entry, rb);
	need = syncmgr_item_size(e->key) + syncmgr_item_size(e->value);
	if (need > o.size) {
		o.needed = need;
		ret = -EMSGSIZE;
		goto unlock;
	}
	ret = syncmgr_out_put(&o, e->key);
	if (!ret)
		ret = syncmgr_out_put(&o, e->value);
	if (!ret) {
		syncmgr_dict_unlink(dt, e);
		syncmgr_dict_maybe_shrink(dt);
		syncmgr_version_end(d, &dt->version, true);
	}
unlock:
	mutex_unlock(&dt->mutex);
	ret = syncmgr_out_end(&o, ret);
	if (ret >= 0)
		syncmgr_dict_entry_free(e);
	return ret;
}

/* CONTAINS and DELETE. */
static long syncmgr_dict_contains(struct syncmgr_obj *obj, unsigned int cmd,
				  struct syncmgr_data *d,
				  struct syncmgr_data __user *argp)
{
	bool del = cmd == SYNCMGR_IOC_DELETE;
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_dict_entry *e;
	struct syncmgr_key key __uninitialized;
	LIST_HEAD(items);
	int ret;
	u64 hash;

	ret = syncmgr_dict_keys_in(obj, d, &key, 1);
	if (ret)
		return ret;
	hash = syncmgr_item_hash(key.it);

	mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	if (ret)
		goto unlock;
	e = syncmgr_dict_find(dt, key.it, hash);
	if (!del)
		ret = e ? 1 : 0;
	else if (!e)
		ret = -ENOENT;
	else
		syncmgr_dict_remove(dt, e, &items);
	if (ret >= 0)
		syncmgr_version_end(d, &dt->version, del);
unlock:
	mutex_unlock(&dt->mutex);
	syncmgr_keys_free(&key, 1);
	syncmgr_items_free(&items);
	return ret;
}

/*
 * ASSIGN: one pair.  The value is stored whatever happens; the key is
 * looked up from the stack and kept (with a new entry) only if absent.
 */
static long syncmgr_dict_assign(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_dict_entry *e;
	struct syncmgr_item *value;
	struct syncmgr_key kv[2] __uninitialized;
	struct syncmgr_nest nest = { };
	LIST_HEAD(garbage);
	int ret;
	u64 hash;

	ret = syncmgr_dict_keys_in(obj, d, kv, 2);
	if (ret)
		return ret;
	value = syncmgr_key_keep(&kv[1]);
	if (IS_ERR(value)) {
		ret = PTR_ERR(value);
		value = NULL;
		goto out;
	}
	hash = syncmgr_item_hash(kv[0].it);
	ret = syncmgr_nest_begin(&nest, obj, NULL, kv[0].it, value);
	if (!ret)
		ret = syncmgr_nest_lock(&nest, &dt->mutex);
	if (ret)
		goto out;
	ret = syncmgr_version_begin(d, dt->version);
	if (ret)
		goto unlock;
	e = syncmgr_dict_find(dt, kv[0].it, hash);
	if (e)
		syncmgr_dict_replace(dt, e, value, &garbage);
	else
		ret = syncmgr_dict_insert(dt, &kv[0], hash, value);
	if (!ret) {
		value = NULL;
		syncmgr_version_end(d, &dt->version, true);
	}
unlock:
	mutex_unlock(&dt->mutex);
out:
	syncmgr_nest_end(&nest);
	syncmgr_item_free(value);
	syncmgr_keys_free(kv, 2);
	syncmgr_items_free(&garbage);
	return ret;
}

/*
 * UPDATE (count / 2 pairs): all or nothing.  Every entry a new key may
 * need is allocated before the mutex is taken, so nothing can fail once
 * the dict starts changing.  A key already present keeps its entry, its
 * place and its original key (as Python's dict).
 */
static long syncmgr_dict_update(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_dict_entry *e, **spare;
	struct syncmgr_item *key, *value, *it;
	struct syncmgr_user *user;
	u32 npairs, i, used = 0;
	struct syncmgr_nest nest = { };
	LIST_HEAD(garbage);
	LIST_HEAD(items);
	int ret;

	if (d->count < 2 || d->count % 2)
		return -EINVAL;
	npairs = d->count / 2;
	ret = syncmgr_items_in(d, npairs * 2, &items);
	if (ret)
		return ret;
	i = 0;
	list_for_each_entry(it, &items, node)
		if (!(i++ % 2) && syncmgr_dict_key_ok(obj, it)) {
			ret = -EINVAL;
			goto free_items;
		}
	/* The keys' account: the entries are charged there, as the keys. */
	user = list_first_entry(&items, struct syncmgr_item, node)->user;
	spare = kvmalloc_array(npairs, sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare) {
		ret = -ENOMEM;
		goto free_items;
	}
	for (i = 0; i < npairs; i++) {
		spare[i] = syncmgr_dict_entry_new(user);
		if (IS_ERR(spare[i])) {
			ret = PTR_ERR(spare[i]);
			goto free_spare;
		}
		cond_resched();
	}
	ret = syncmgr_nest_begin(&nest, obj, &items, NULL, NULL);
	if (!ret)
		ret = syncmgr_nest_lock(&nest, &dt->mutex);
	if (ret)
		goto free_spare;
	ret = syncmgr_version_begin(d, dt->version);
	if (ret) {
		mutex_unlock(&dt->mutex);
		goto free_spare;
	}
	/* Buckets grow as new keys are linked, not for replaced ones. */
	while (!list_empty(&items)) {
		key = list_first_entry(&items, struct syncmgr_item, node);
		value = list_next_entry(key, node);
		list_del_init(&key->node);
		list_del_init(&value->node);
		e = syncmgr_dict_find(dt, key, syncmgr_item_hash(key));
		if (e) {
			syncmgr_dict_replace(dt, e, value, &garbage);
			list_add_tail(&key->node, &garbage);
			continue;
		}
		e = spare[used++];
		e->key = key;
		e->value = value;
		e->hash = syncmgr_item_hash(key);
		syncmgr_dict_link(dt, e);
	}
	syncmgr_version_end(d, &dt->version, true);
	mutex_unlock(&dt->mutex);
	i = npairs;
free_spare:
	syncmgr_nest_end(&nest);
	while (i-- > used)
		syncmgr_dict_entry_drop(spare[i], user);
	kvfree(spare);
free_items:
	syncmgr_items_free(&items);
	syncmgr_items_free(&garbage);
	return ret;
}

/*
 * SETDEFAULT: the value stored under key, storing dflt first if there is
 * none.  Both are read as keys: dflt is kept (and the cycle check
 * matters) only if it is stored.
 */
static long syncmgr_dict_setdefault(struct syncmgr_obj *obj, unsigned int cmd,
				    struct syncmgr_data *d,
				    struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_item *dflt = NULL;
	struct syncmgr_dict_entry *e;
	struct syncmgr_key kv[2] __uninitialized;
	struct syncmgr_out o __uninitialized;
	struct syncmgr_nest nest;
	int ret, loop;
	u64 hash;

	ret = syncmgr_dict_keys_in(obj, d, kv, 2);
	if (ret)
		return ret;
	hash = syncmgr_item_hash(kv[0].it);
	syncmgr_out_init(&o, d, 1);
	/* A key already there needs no check, and is found anyway. */
	loop = syncmgr_nest_begin(&nest, obj, NULL, kv[0].it, kv[1].it);
	if (!loop)
		loop = syncmgr_nest_lock(&nest, &dt->mutex);
	if (loop)
		mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	e = ret ? NULL : syncmgr_dict_find(dt, kv[0].it, hash);
	if (ret) {
		/* ESTALE: nothing looked at */
	} else if (e) {
		ret = syncmgr_out_one(&o, e->value);
		if (!ret)
			syncmgr_version_end(d, &dt->version, false);
	} else if (loop) {
		ret = loop;
	} else if (!syncmgr_out_room(&o, kv[1].it)) {
		ret = -EMSGSIZE;
	} else {
		/* Out before in: a failed insert leaves only the buffer. */
		dflt = syncmgr_key_keep(&kv[1]);
		ret = IS_ERR(dflt) ? PTR_ERR(dflt) : syncmgr_out_put(&o, dflt);
		if (!ret)
			ret = syncmgr_dict_insert(dt, &kv[0], hash, dflt);
		if (!ret)
			syncmgr_version_end(d, &dt->version, true);
		if (!ret || IS_ERR(dflt))
			dflt = NULL;
	}
	mutex_unlock(&dt->mutex);
	syncmgr_nest_end(&nest);
	ret = syncmgr_out_end(&o, ret);
	syncmgr_item_free(dflt);
	syncmgr_keys_free(kv, 2);
	return ret;
}

/* ITER: a page of keys, values or both, from the cursor on. */
static long syncmgr_dict_iter(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	bool keys = d->flags & SYNCMGR_DATA_KEYS;
	bool values = d->flags & SYNCMGR_DATA_VALUES;
	u32 per = keys + values, max, n = 0;
	struct syncmgr_dict_entry *e;
	struct syncmgr_out o __uninitialized;
	struct rb_node *node;
	u64 cursor = 0;
	int ret;

	if (!per)
		return -EINVAL;
	max = SYNCMGR_DICT_PAGE_MAX / per;
	if (d->count && d->count < max)
		max = d->count;
	syncmgr_out_init(&o, d, max * per);

	mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	if (ret) {
		mutex_unlock(&dt->mutex);
		return ret;
	}
	/* The first entry after the cursor: the order is by seq. */
	node = dt->order.rb_node;
	e = NULL;
	while (node) {
		struct syncmgr_dict_entry *x =
			rb_entry(node, struct syncmgr_dict_entry, rb);

		if (x->seq > d->cursor) {
			e = x;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	for (; e && n < max; n++) {
		size_t need = (keys ? syncmgr_item_size(e->key) : 0) +
			      (values ? syncmgr_item_size(e->value) : 0);

		if (need > o.size - o.used) {
			if (!n)
				o.needed = need;
			break;
		}
		if (keys)
			ret = syncmgr_out_put(&o, e->key);
		if (!ret && values)
			ret = syncmgr_out_put(&o, e->value);
		if (ret)
			break;
		cursor = e->seq;
		node = rb_next(&e->rb);
		e = node ? rb_entry(node, struct syncmgr_dict_entry, rb) : NULL;
	}
	if (!e)
		cursor = 0;		/* complete */
	syncmgr_version_end(d, &dt->version, false);
	mutex_unlock(&dt->mutex);
	/* Before any fd is installed: this write cannot be undone after. */
	if (!ret && (n || !e) && put_user(cursor, &argp->cursor))
		ret = -EFAULT;
	ret = syncmgr_out_end(&o, ret);
	return ret < 0 ? ret : (long)n;
}

static long syncmgr_dict_clear(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d,
			       struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_charge c = {};
	struct hlist_head *fresh;
	struct rb_root old;

	fresh = syncmgr_dict_buckets_alloc(SYNCMGR_DICT_MIN_BUCKETS, &c);
	if (!fresh)
		return -ENOMEM;
	mutex_lock(&dt->mutex);
	if (syncmgr_version_begin(d, dt->version)) {
		mutex_unlock(&dt->mutex);
		kvfree(fresh);
		syncmgr_charge_drop(&c);
		return -ESTALE;
	}
	old = dt->order;
	dt->order = RB_ROOT;
	swap(fresh, dt->buckets);
	swap(c, dt->bkt);
	dt->nbuckets = SYNCMGR_DICT_MIN_BUCKETS;
	dt->nr_handles = 0;
	WRITE_ONCE(dt->count, 0);
	syncmgr_version_end(d, &dt->version, true);
	mutex_unlock(&dt->mutex);
	kvfree(fresh);
	syncmgr_charge_drop(&c);
	syncmgr_dict_free_tree(&old, true);
	return 0;
}

/* COPY: a new object of the same type with clones of every entry. */
static long syncmgr_dict_copy(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_create args = { .type = obj->type };
	struct syncmgr_dict *dt = syncmgr_dict(obj), *nd;
	struct syncmgr_dict_entry *e, *c;
	struct syncmgr_item *key, *value;
	struct syncmgr_obj *copy;
	struct rb_node *node;
	int ret;

	copy = syncmgr_obj_new(&args);
	if (IS_ERR(copy))
		return PTR_ERR(copy);
	nd = syncmgr_dict(copy);

	mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	if (ret) {
		mutex_unlock(&dt->mutex);
		syncmgr_obj_put(copy);
		return ret;
	}
	mutex_lock_nested(&nd->mutex, SINGLE_DEPTH_NESTING);
	syncmgr_dict_reserve(nd, dt->count);
	for (node = rb_first(&dt->order); node; node = rb_next(node)) {
		e = rb_entry(node, struct syncmgr_dict_entry, rb);
		key = syncmgr_item_clone(e->key);
		value = syncmgr_item_clone(e->value);
		c = ERR_PTR(-ENOMEM);
		if (IS_ERR(key) || IS_ERR(value))
			ret = PTR_ERR(IS_ERR(key) ? key : value);
		else
			c = syncmgr_dict_entry_new(key->user);
		if (!ret && IS_ERR(c))
			ret = PTR_ERR(c);
		if (ret) {
			if (!IS_ERR(key))
				syncmgr_item_free(key);
			if (!IS_ERR(value))
				syncmgr_item_free(value);
			break;
		}
		c->key = key;
		c->value = value;
		c->hash = e->hash;
		syncmgr_dict_link(nd, c);
		cond_resched();
	}
	mutex_unlock(&nd->mutex);
	if (!ret)
		syncmgr_version_end(d, &dt->version, false);
	mutex_unlock(&dt->mutex);
	if (ret) {
		syncmgr_obj_put(copy);
		return ret;
	}
	return syncmgr_obj_install(copy, O_CLOEXEC);
}

/* Lockless, unless the version must go with the length. */
static long syncmgr_dict_len(struct syncmgr_obj *obj, unsigned int cmd,
			     struct syncmgr_data *d,
			     struct syncmgr_data __user *argp)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	long ret;

	if (likely(!d->flags))
		return READ_ONCE(dt->count);
	mutex_lock(&dt->mutex);
	ret = syncmgr_version_begin(d, dt->version);
	if (!ret) {
		ret = dt->count;
		syncmgr_version_end(d, &dt->version, false);
	}
	mutex_unlock(&dt->mutex);
	return ret;
}

/* The objects held as keys or values, each with a reference. */
static int syncmgr_dict_handles(struct syncmgr_obj *obj,
				struct syncmgr_held *held)
{
	struct syncmgr_dict *dt = syncmgr_dict(obj);
	struct syncmgr_dict_entry *e;
	struct rb_node *node;
	int ret;

	if (mutex_lock_killable(&dt->mutex))
		return -EINTR;
	ret = syncmgr_held_alloc(held, dt->nr_handles);
	for (node = rb_first(&dt->order); !ret && node && held->n < held->max;
	     node = rb_next(node)) {
		e = rb_entry(node, struct syncmgr_dict_entry, rb);
		syncmgr_held_add(held, e->key);
		syncmgr_held_add(held, e->value);
	}
	mutex_unlock(&dt->mutex);
	return ret;
}

/* Nothing to wait for in a dict: never "ready" for poll. */
static bool syncmgr_dict_ready(struct syncmgr_obj *obj)
{
	return false;
}

static void syncmgr_dict_state(struct syncmgr_obj *obj,
			       struct syncmgr_state *st)
{
	st->value = READ_ONCE(syncmgr_dict(obj)->count);
}

static u64 syncmgr_dict_version(struct syncmgr_obj *obj)
{
	return READ_ONCE(syncmgr_dict(obj)->version);
}

static const struct syncmgr_ops syncmgr_dict_ops = {
	.init		= syncmgr_dict_init,
	.destroy	= syncmgr_dict_destroy,
	.handles	= syncmgr_dict_handles,
	.ready		= syncmgr_dict_ready,
	.state		= syncmgr_dict_state,
	.version	= syncmgr_dict_version,
};

#define SYNCMGR_DICT_KEYED	(SYNCMGR_USES_IN | SYNCMGR_USES_COUNT)

static const struct syncmgr_data_cmd syncmgr_dict_cmds[SYNCMGR_DATA_SLOTS] = {
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LEN)] = {
		syncmgr_dict_len, 0, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LOOKUP)] = {
		syncmgr_dict_get, SYNCMGR_DICT_KEYED | SYNCMGR_USES_OUT,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_POP)] = {
		syncmgr_dict_get, SYNCMGR_DICT_KEYED | SYNCMGR_USES_OUT,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_SETDEFAULT)] = {
		syncmgr_dict_setdefault, SYNCMGR_DICT_KEYED | SYNCMGR_USES_OUT,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_ASSIGN)] = {
		syncmgr_dict_assign, SYNCMGR_DICT_KEYED, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_UPDATE)] = {
		syncmgr_dict_update, SYNCMGR_DICT_KEYED, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_CONTAINS)] = {
		syncmgr_dict_contains, SYNCMGR_DICT_KEYED,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_DELETE)] = {
		syncmgr_dict_contains, SYNCMGR_DICT_KEYED,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_POPITEM)] = {
		syncmgr_dict_popitem, SYNCMGR_USES_OUT, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_ITER)] = {
		syncmgr_dict_iter, SYNCMGR_USES_OUT | SYNCMGR_USES_COUNT |
		SYNCMGR_USES_CURSOR, SYNCMGR_DATA_KEYS | SYNCMGR_DATA_VALUES |
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_CLEAR_ALL)] = {
		syncmgr_dict_clear, 0, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_COPY)] = {
		syncmgr_dict_copy, 0, SYNCMGR_DATA_VERSIONS },
};

const struct syncmgr_family syncmgr_dict_family = {
	.name		= "dict",
	.features	= SYNCMGR_FEAT_DICT | SYNCMGR_FEAT_VERSION,
	.ops		= &syncmgr_dict_ops,
	.cmds		= syncmgr_dict_cmds,
};

/* A Namespace is a dict whose keys are attribute names (str). */
const struct syncmgr_family syncmgr_ns_family = {
	.name		= "Namespace",
	.features	= SYNCMGR_FEAT_DICT | SYNCMGR_FEAT_VERSION,
	.ops		= &syncmgr_dict_ops,
	.cmds		= syncmgr_dict_cmds,
};
