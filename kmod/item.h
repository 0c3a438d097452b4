/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the data objects (Queue, Value, Array, dict, list, Namespace)
 * share: typed values ("items") and their copying in and out (codec.c),
 * Python's equality, ordering and hashing (compare.c), slices (slice.c)
 * and nesting without cycles (nest.c).
 *
 * Each container has one sleeping lock of its own, held while copying to
 * or from user memory (a Queue's is its spinlock: it copies outside it).
 * Lock order: syncmgr_nest_mutex -> a container's mutex (never two,
 * except COPY: the source's, then the new object's) -> syncmgr_nest_gen_lock
 * -> the allocator, the fd table.
 */
#ifndef _SYNCMGR_ITEM_H
#define _SYNCMGR_ITEM_H

#include "core.h"

/*
 * A typed value stored in a data object.  Immutable once made; node
 * belongs to whichever container holds it.
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

/*
 * A composite value (TUPLE, LIST, DICT, FROZENSET, TAGGED) keeps its
 * elements in its payload exactly as the caller laid them out, except
 * that a HANDLE element's data is an index into the tree's objs[] (never
 * a kernel pointer, never the caller's fd).  Its item is allocated with
 * one pointer more after the padded payload, to this description, which
 * codec.c builds at copy-in and the item owns (charged with it):
 *  - objs[]: a reference on the object of each HANDLE in the tree, and
 *    hoff[] the payload offset of each one's header (patched with an fd
 *    on the way out);
 *  - nodes[]: each DICT and FROZENSET node, in the order they appear
 *    (so by poff), with idx[] its keys (DICT) or elements (FROZENSET)
 *    sorted by hash, for order-free equality without a quadratic search
 *    (compare.c), and a FROZENSET's own hash.
 * BIGINT has a payload only: no description.
 */
struct syncmgr_tree_node {
	u32 poff;			/* the node's payload, from it->payload */
	u32 first;			/* its first entry in idx[] */
	u32 count;			/* entries: elements, or pairs */
	u16 type;
	u16 pad;
	u64 hash;			/* FROZENSET: its hash */
};

struct syncmgr_tree_key {
	u64 hash;
	u32 off;			/* the element's (key's) header */
	u32 pad;
};

#define SYNCMGR_TREE_UNHASHABLE	1	/* a LIST or DICT anywhere in it */

struct syncmgr_tree {
	size_t bytes;			/* allocated, charged with the item */
	u32 nobjs, nnodes, nidx, flags;
	u32 *hoff;
	struct syncmgr_tree_node *nodes;
	struct syncmgr_tree_key *idx;
	struct syncmgr_obj *objs[];
};

static inline bool syncmgr_type_tree(u16 type)
{
	return (type >= SYNCMGR_VAL_TUPLE && type <= SYNCMGR_VAL_FROZENSET) ||
	       type == SYNCMGR_VAL_TAGGED;
}

/* The tree description of a composite item, or NULL. */
static inline struct syncmgr_tree *
syncmgr_item_tree(const struct syncmgr_item *it)
{
	if (!syncmgr_type_tree(it->type))
		return NULL;
	return *(struct syncmgr_tree **)(it->payload + ALIGN((size_t)it->len, 8));
}

/* How many handles it holds: a HANDLE one, a tree each one inside. */
static inline u32 syncmgr_item_handles(const struct syncmgr_item *it)
{
	const struct syncmgr_tree *t;

	if (it->obj)
		return 1;
	t = syncmgr_item_tree(it);
	return t ? t->nobjs : 0;
}

/* The i-th object it holds a handle to (i < syncmgr_item_handles()). */
static inline struct syncmgr_obj *
syncmgr_item_obj(const struct syncmgr_item *it, u32 i)
{
	return it->obj ? it->obj : syncmgr_item_tree(it)->objs[i];
}

/* Python can hash it (a dict key): no LIST or DICT anywhere in it. */
static inline bool syncmgr_item_hashable(const struct syncmgr_item *it)
{
	const struct syncmgr_tree *t = syncmgr_item_tree(it);

	return !t || !(t->flags & SYNCMGR_TREE_UNHASHABLE);
}

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

/* Values going out to one caller's buffer. */
struct syncmgr_out {
	struct syncmgr_data *d;
	u8 __user *buf;
	u32 size, used, count, max, needed;
	u32 nfiles, cap;
	int *fds;			/* reserved, installed at the end */
	struct file **files;
};

/*
 * A container's version (dict, Namespace, list): 1 at creation, one more
 * after every command that changed it, under the container's lock.  A
 * command calls syncmgr_version_begin() right after taking its lock,
 * before anything else it does there: with IF_VERSION and another
 * version it fails with -ESTALE, and d->version holds the container's
 * version (which the core writes back for SYNCMGR_DATA_VERSION).  Before
 * dropping the lock, syncmgr_version_end() counts a change and leaves
 * the version in d->version.
 */
static inline int syncmgr_version_begin(struct syncmgr_data *d, u64 version)
{
	if (unlikely(d->flags & SYNCMGR_DATA_IF_VERSION) &&
	    d->version != version) {
		d->version = version;
		return -ESTALE;
	}
	return 0;
}

static inline void syncmgr_version_end(struct syncmgr_data *d, u64 *version,
				       bool changed)
{
	if (changed)
		WRITE_ONCE(*version, *version + 1);
	d->version = *version;
}

/* codec.c: values in from and out to user memory, and their charge */
int syncmgr_items_in(const struct syncmgr_data *d, u32 count,
		     struct list_head *items);
int syncmgr_keys_in(const struct syncmgr_data *d, struct syncmgr_key *keys,
		    u32 n);
void syncmgr_keys_free(struct syncmgr_key *keys, u32 n);
struct syncmgr_item *syncmgr_key_keep(struct syncmgr_key *k);
struct syncmgr_item *syncmgr_item_clone(const struct syncmgr_item *src);
int syncmgr_scalar_charge(struct syncmgr_user *u);
void syncmgr_scalar_uncharge(struct syncmgr_user *u);
bool syncmgr_scalar_ok(const struct syncmgr_value *v);
void syncmgr_item_free(struct syncmgr_item *it);
void syncmgr_items_free(struct list_head *items);
size_t syncmgr_item_size(const struct syncmgr_item *it);

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
int syncmgr_out_one(struct syncmgr_out *o, const struct syncmgr_item *it);
int syncmgr_out_end(struct syncmgr_out *o, int ret);

/*
 * compare.c: Python's ==, < and hash() over items.  A composite is walked
 * with explicit stacks (a deep one allocated, GFP_KERNEL) and the walk
 * gives the CPU up now and then: call these in process context, with no
 * spinlock held (the containers hold only their mutex).
 */
void syncmgr_compare_init(void);
bool syncmgr_item_equal(const struct syncmgr_item *a,
			const struct syncmgr_item *b);
int syncmgr_item_compare(const struct syncmgr_item *a,
			 const struct syncmgr_item *b, int *res);
u64 syncmgr_item_hash(const struct syncmgr_item *it);
int syncmgr_tree_index(struct syncmgr_item *it);
int syncmgr_item_int(const struct syncmgr_item *it, s64 *v);

/* slice.c: a slice normalised as Python's slice.indices(), and its length */
struct syncmgr_slice {
	s64 start, stop, step;
	u32 n;
};

/* The k-th index of a normalised slice (k < n). */
static inline u32 syncmgr_slice_at(const struct syncmgr_slice *s, u32 k)
{
	return s->start + (s64)k * s->step;
}

s64 syncmgr_slice_bound(s64 v, s64 len, bool neg);
void syncmgr_slice_indices(const struct syncmgr_data *d, u32 len,
			   struct syncmgr_slice *s);
int syncmgr_slice_check(const struct syncmgr_data *d);

/*
 * nest.c: what a container holds (ops->handles fills one of these), and
 * a store of values into a container, checked for cycles.
 */
struct syncmgr_held {
	struct syncmgr_obj **objs;	/* each with a reference */
	u32 n, max;
};

int syncmgr_held_alloc(struct syncmgr_held *h, u32 max);
void syncmgr_held_add(struct syncmgr_held *h, const struct syncmgr_item *it);

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

#endif /* _SYNCMGR_ITEM_H */
