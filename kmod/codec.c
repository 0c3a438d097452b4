// SPDX-License-Identifier: GPL-2.0
/*
 * Typed values ("items") of the data objects: copying batches in from and
 * out to user memory, handles inside values (an fd going out is reserved
 * first and installed only after every byte reached the caller), and what
 * a value costs its storer.
 *
 * An item is immutable once made.  Containers link items into their own
 * structures (item->node is theirs).  Copying in happens before any
 * container lock is taken; copying out happens either under a container's
 * sleeping lock or on items the caller has already taken out.
 */
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "item.h"

/* The largest max_value_size: a value and its header stay far below 2^31. */
#define SYNCMGR_VALUE_SIZE_LIMIT	SZ_1G

static unsigned int max_value_size = SZ_256M;

static int syncmgr_param_set_value_size(const char *val,
					const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, SYNCMGR_VALUE_SIZE_LIMIT);
}

static const struct kernel_param_ops syncmgr_param_value_size = {
	.set = syncmgr_param_set_value_size,
	.get = param_get_uint,
};

module_param_cb(max_value_size, &syncmgr_param_value_size, &max_value_size,
		0644);
MODULE_PARM_DESC(max_value_size,
		 "Largest payload of one stored value in bytes, 0 .. 2^30 (EMSGSIZE beyond); default 256 MiB");

/*
 * How deep composite values may nest (a tuple of numbers is 1 deep, a
 * tuple holding it 2): copy-in and comparison walk them with explicit
 * stacks of at most this many levels.
 */
static unsigned int max_value_depth = 32;

static int syncmgr_param_set_value_depth(const char *val,
					 const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, SYNCMGR_MAX_TREE_DEPTH);
}

static const struct kernel_param_ops syncmgr_param_value_depth = {
	.set = syncmgr_param_set_value_depth,
	.get = param_get_uint,
};

module_param_cb(max_value_depth, &syncmgr_param_value_depth,
		&max_value_depth, 0644);
MODULE_PARM_DESC(max_value_depth,
		 "Deepest nesting of composite values, 1 .. 64 (EINVAL beyond); default 32");

/*
 * A payload is copied in pieces this big: between them a big one (up to
 * max_value_size) lets others run and stops for a fatal signal.
 */
#define SYNCMGR_COPY_CHUNK	SZ_1M

/*
 * Copy n bytes between kbuf and ubuf (out: to the user), in pieces;
 * -EFAULT, or -EINTR if the caller is dying (a getter that dies midway
 * leaves the value where it was).
 */
static int syncmgr_copy_chunked(void *kbuf, void __user *ubuf, size_t n,
				bool out)
{
	size_t k, done = 0;

	for (;;) {
		k = min_t(size_t, n - done, SYNCMGR_COPY_CHUNK);
		if (out ? copy_to_user(ubuf + done, kbuf + done, k) :
			  copy_from_user(kbuf + done, ubuf + done, k))
			return -EFAULT;
		done += k;
		if (done == n)
			return 0;
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
}

/*
 * Bytes an item with a len-byte payload is allocated with: a composite's
 * has room for its tree's pointer after the payload.
 */
static size_t syncmgr_item_alloc_size(u16 type, u32 len)
{
	return sizeof(struct syncmgr_item) + ALIGN((size_t)len, 8) +
	       (syncmgr_type_tree(type) ? sizeof(struct syncmgr_tree *) : 0);
}

/* What an item's own allocation costs its storer: its true size. */
static size_t syncmgr_item_cost(u16 type, u32 len)
{
	return syncmgr_mem_size(syncmgr_item_alloc_size(type, len));
}

/* What it costs with its tree's description. */
static size_t syncmgr_item_bytes(const struct syncmgr_item *it)
{
	const struct syncmgr_tree *t = syncmgr_item_tree(it);

	return syncmgr_item_cost(it->type, it->len) +
	       (t ? syncmgr_mem_size(t->bytes) : 0);
}

static struct syncmgr_tree **syncmgr_item_tree_slot(struct syncmgr_item *it)
{
	return (struct syncmgr_tree **)(it->payload + ALIGN((size_t)it->len, 8));
}

/* Charge it (not yet charged) to u, taking a reference; or -EDQUOT. */
static int syncmgr_item_charge(struct syncmgr_item *it, struct syncmgr_user *u)
{
	int ret = syncmgr_user_charge_values(u, syncmgr_item_bytes(it));

	if (!ret)
		it->user = syncmgr_user_get(u);
	return ret;
}

static void syncmgr_item_uncharge(struct syncmgr_item *it)
{
	if (!it->user)
		return;
	syncmgr_user_uncharge_bytes(it->user, syncmgr_item_bytes(it));
	syncmgr_user_put(it->user);
	it->user = NULL;
}

/* In process context: a large item may be vmalloc'd. */
void syncmgr_item_free(struct syncmgr_item *it)
{
	struct syncmgr_tree *t;
	u32 i;

	if (!it)
		return;
	if (it->obj)
		syncmgr_obj_put(it->obj);
	t = syncmgr_item_tree(it);
	if (t) {
		for (i = 0; i < t->nobjs; i++)
			syncmgr_obj_put(t->objs[i]);
	}
	syncmgr_item_uncharge(it);
	kvfree(t);
	kvfree(it);
}

void syncmgr_items_free(struct list_head *items)
{
	struct syncmgr_item *it, *tmp;

	list_for_each_entry_safe(it, tmp, items, node) {
		list_del(&it->node);
		syncmgr_item_free(it);
	}
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool syncmgr_utf8_valid(const u8 *s, u32 len)
{
	u32 i = 0;

	while (i < len) {
		u8 c = s[i];
		u32 n, cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		while (n--) {
			c = s[++i];
			if ((c & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (c & 0x3f);
		}
		i++;
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* Check a value header coming in; returns its payload length or -errno. */
static int syncmgr_value_check(const struct syncmgr_value *v)
{
	if (v->reserved)
		return -EINVAL;
	switch (v->type) {
	case SYNCMGR_VAL_NONE:
		return v->len || v->data ? -EINVAL : 0;
	case SYNCMGR_VAL_BOOL:
		return v->len || v->data > 1 ? -EINVAL : 0;
	case SYNCMGR_VAL_INT:
	case SYNCMGR_VAL_DOUBLE:
		return v->len ? -EINVAL : 0;
	case SYNCMGR_VAL_HANDLE:
		/* An fd is an int: the upper bits must not be set. */
		return v->len || v->data > U32_MAX ? -EINVAL : 0;
	case SYNCMGR_VAL_BYTES:
	case SYNCMGR_VAL_STR:
	case SYNCMGR_VAL_BLOB:
		if (v->data)
			return -EINVAL;
		return v->len > READ_ONCE(max_value_size) ? -EMSGSIZE : v->len;
	case SYNCMGR_VAL_BIGINT:
		/* Beyond int64 takes 9 bytes at least; minimal: checked later. */
		if (v->data || v->len < 9)
			return -EINVAL;
		return v->len > READ_ONCE(max_value_size) ? -EMSGSIZE : v->len;
	case SYNCMGR_VAL_TUPLE:
	case SYNCMGR_VAL_LIST:
	case SYNCMGR_VAL_FROZENSET:
	case SYNCMGR_VAL_DICT:
	case SYNCMGR_VAL_TAGGED:
		/*
		 * Whole values, each at least a header: a count the bytes
		 * cannot hold is refused before anything is walked.
		 */
		if (v->len % 8 ||
		    (v->type == SYNCMGR_VAL_TAGGED ?
		     v->data || v->len < 2 * sizeof(*v) :
		     v->data > v->len / sizeof(*v) /
				(v->type == SYNCMGR_VAL_DICT ? 2 : 1)))
			return -EINVAL;
		return v->len > READ_ONCE(max_value_size) ? -EMSGSIZE : v->len;
	}
	return -EINVAL;
}

/* A BIGINT's bytes are the fewest that hold it (its len is >= 9). */
static bool syncmgr_bigint_minimal(const u8 *p, u32 len)
{
	u8 top = p[len - 1], next = p[len - 2];

	return !((top == 0 && !(next & 0x80)) || (top == 0xff && (next & 0x80)));
}

/* The number of values a composite header says its payload holds. */
static u32 syncmgr_tree_values(const struct syncmgr_value *v)
{
	if (v->type == SYNCMGR_VAL_TAGGED)
		return 2;
	return v->type == SYNCMGR_VAL_DICT ? 2 * v->data : v->data;
}

/* One level of a tree being read: where it ends and what is left. */
struct syncmgr_tree_frame {
	u32 end;			/* payload offset past its elements */
	u32 left;			/* values still to read */
	u16 type;
};

struct syncmgr_tree_count {
	u32 nobjs, nnodes, nidx, flags;
};

/* Lay t out for these counts, in one allocation of t->bytes. */
static size_t syncmgr_tree_layout(struct syncmgr_tree *t,
				  const struct syncmgr_tree_count *c)
{
	size_t off = struct_size(t, objs, c->nobjs);

	if (t)
		t->nodes = (void *)t + off;
	off += c->nnodes * sizeof(*t->nodes);
	if (t)
		t->idx = (void *)t + off;
	off += c->nidx * sizeof(*t->idx);
	if (t)
		t->hoff = (void *)t + off;
	return off + c->nobjs * sizeof(*t->hoff);
}

/*
 * Walk the tree in it's payload (the kernel's own copy: no double
 * fetch), checking its shape; count what it holds, or with t, fill t in
 * (a second pass over a shape already checked): the handles' offsets and
 * objects (each HANDLE's data becomes its index in t->objs) and the
 * DICT and FROZENSET nodes.  An explicit stack of max_value_depth
 * levels, never recursion; a long walk lets others run and stops for a
 * fatal signal.
 */
static int syncmgr_tree_walk(struct syncmgr_item *it,
			     struct syncmgr_tree_frame *st, u32 depth,
			     struct syncmgr_tree_count *c, struct syncmgr_tree *t)
{
	static const u8 zero[8];
	struct syncmgr_tree_frame *f;
	struct syncmgr_value v;
	struct syncmgr_obj *obj;
	u32 pos = 0, sp = 1, steps = 0, size;
	int len;

	memset(c, 0, sizeof(*c));
	v = (struct syncmgr_value){ .type = it->type, .len = it->len,
				    .data = it->data };
	st[0] = (struct syncmgr_tree_frame){ .end = it->len,
		.left = syncmgr_tree_values(&v), .type = it->type };
	if (it->type == SYNCMGR_VAL_LIST || it->type == SYNCMGR_VAL_DICT)
		c->flags |= SYNCMGR_TREE_UNHASHABLE;
	if (it->type == SYNCMGR_VAL_DICT || it->type == SYNCMGR_VAL_FROZENSET) {
		if (t)
			t->nodes[0] = (struct syncmgr_tree_node){ .poff = 0,
				.count = it->data, .type = it->type };
		c->nnodes = 1;
		c->nidx = it->data;
	}
	while (sp) {
		f = &st[sp - 1];
		if (!f->left) {
			/* No trailing bytes after the last value. */
			if (pos != f->end)
				return -EINVAL;
			sp--;
			continue;
		}
		if (f->end - pos < sizeof(v))
			return -EINVAL;
		memcpy(&v, it->payload + pos, sizeof(v));
		len = syncmgr_value_check(&v);
		if (len < 0)
			return len;
		size = SYNCMGR_VALUE_SIZE(len);
		if (size > f->end - pos)
			return -EINVAL;
		/* TAGGED: a STR or BYTES tag, then a value that is not TAGGED. */
		if (f->type == SYNCMGR_VAL_TAGGED &&
		    (f->left == 2 ? v.type != SYNCMGR_VAL_STR &&
				    v.type != SYNCMGR_VAL_BYTES :
				    v.type == SYNCMGR_VAL_TAGGED))
			return -EINVAL;
		f->left--;
		if (!syncmgr_type_tree(v.type) && size - sizeof(v) != len &&
		    memcmp(it->payload + pos + sizeof(v) + len, zero,
			   size - sizeof(v) - len))
			return -EINVAL;
		if (v.type == SYNCMGR_VAL_STR &&
		    !syncmgr_utf8_valid(it->payload + pos + sizeof(v), len))
			return -EINVAL;
		if (v.type == SYNCMGR_VAL_BIGINT &&
		    !syncmgr_bigint_minimal(it->payload + pos + sizeof(v), len))
			return -EINVAL;
		if (v.type == SYNCMGR_VAL_HANDLE) {
			if (c->nobjs == SYNCMGR_MAX_TREE_HANDLES)
				return -E2BIG;
			if (t) {
				obj = syncmgr_obj_from_fd((s32)v.data);
				if (IS_ERR(obj))
					return PTR_ERR(obj);
				t->objs[t->nobjs++] = obj;
				t->hoff[c->nobjs] = pos;
				v.data = c->nobjs;
				memcpy(it->payload + pos, &v, sizeof(v));
			}
			c->nobjs++;
		}
		if (v.type == SYNCMGR_VAL_LIST || v.type == SYNCMGR_VAL_DICT)
			c->flags |= SYNCMGR_TREE_UNHASHABLE;
		if (syncmgr_type_tree(v.type)) {
			if (sp == depth)
				return -EINVAL;
			if (v.type == SYNCMGR_VAL_DICT ||
			    v.type == SYNCMGR_VAL_FROZENSET) {
				if (t)
					t->nodes[c->nnodes] =
						(struct syncmgr_tree_node){
						.poff = pos + sizeof(v),
						.first = c->nidx,
						.count = v.data,
						.type = v.type };
				c->nnodes++;
				c->nidx += v.data;
			}
			st[sp++] = (struct syncmgr_tree_frame){
				.end = pos + sizeof(v) + len,
				.left = syncmgr_tree_values(&v), .type = v.type };
			pos += sizeof(v);
		} else {
			pos += size;
		}
		if (!(++steps % 4096)) {
			cond_resched();
			if (fatal_signal_pending(current))
				return -EINTR;
		}
	}
	return 0;
}

/*
 * Check a composite item's tree and give it its description, charged to
 * user first if there is one (a value to store; NULL for a key).  On
 * failure the item may hold part of it: syncmgr_item_free() drops it.
 */
static int syncmgr_tree_build(struct syncmgr_item *it, struct syncmgr_user *user)
{
	u32 depth = READ_ONCE(max_value_depth);
	struct syncmgr_tree_frame *st;
	struct syncmgr_tree_count c;
	struct syncmgr_tree *t;
	size_t bytes;
	int ret;

	*syncmgr_item_tree_slot(it) = NULL;
	st = kmalloc_array(depth, sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ret = syncmgr_tree_walk(it, st, depth, &c, NULL);
	if (ret)
		goto out;
	bytes = syncmgr_tree_layout(NULL, &c);
	if (user) {
		ret = syncmgr_user_charge_values(user, syncmgr_mem_size(bytes));
		if (ret)
			goto out;
	}
	t = syncmgr_mem_alloc(bytes, 0);
	if (!t) {
		if (user)
			syncmgr_user_uncharge_bytes(user, syncmgr_mem_size(bytes));
		ret = -ENOMEM;
		goto out;
	}
	syncmgr_tree_layout(t, &c);
	t->bytes = bytes;
	t->nobjs = 0;		/* counts the objects taken, for the free */
	t->nnodes = c.nnodes;
	t->nidx = c.nidx;
	t->flags = c.flags;
	*syncmgr_item_tree_slot(it) = t;
	ret = syncmgr_tree_walk(it, st, depth, &c, t);
	if (!ret)
		ret = syncmgr_tree_index(it);
out:
	kfree(st);
	return ret;
}

/* A well-formed number going in: None, bool, int or float, no payload. */
bool syncmgr_scalar_ok(const struct syncmgr_value *v)
{
	switch (v->type) {
	case SYNCMGR_VAL_NONE:
	case SYNCMGR_VAL_BOOL:
	case SYNCMGR_VAL_INT:
	case SYNCMGR_VAL_DOUBLE:
		return !syncmgr_value_check(v);
	}
	return false;
}

/*
 * The caller's values, read through a window: one user copy brings in
 * the header and payload of as many small values as fit, all inside the
 * caller's buffer (in_size), which a successful call reads whole anyway.
 * Declare one __uninitialized: syncmgr_in_init() sets what is read.
 */
struct syncmgr_in {
	const u8 __user *buf;
	u32 size;		/* in_size */
	u32 pos;		/* the next value */
	u32 start, len;		/* the window holds [start, start + len) */
	u8 win[SYNCMGR_SMALL_VALUE] __aligned(8);
};

static void syncmgr_in_init(struct syncmgr_in *in, const struct syncmgr_data *d)
{
	in->buf = u64_to_user_ptr(d->in);
	in->size = d->in_size;
	in->pos = 0;
	in->start = 0;
	in->len = 0;
}

/* Copy n bytes in: the common sizes as constants (no run-time check). */
static __always_inline int syncmgr_in_copy(struct syncmgr_in *in, u32 n)
{
	const u8 __user *src = in->buf + in->pos;

	if (n == sizeof(struct syncmgr_value))
		return copy_from_user(in->win, src, sizeof(struct syncmgr_value));
	if (n == sizeof(in->win))
		return copy_from_user(in->win, src, sizeof(in->win));
	return copy_from_user(in->win, src, n);
}

/*
 * The n bytes at pos (n <= SYNCMGR_SMALL_VALUE, inside in_size), from
 * the window, refilled from pos if they are not all in it.
 */
static __always_inline const u8 *syncmgr_in_bytes(struct syncmgr_in *in,
						  u32 n)
{
	u32 got;

	if (in->pos < in->start || in->pos + n > in->start + in->len) {
		got = min_t(u32, in->size - in->pos, sizeof(in->win));
		if (syncmgr_in_copy(in, got))
			return NULL;
		in->start = in->pos;
		in->len = got;
	}
	return in->win + (in->pos - in->start);
}

/*
 * The next value; advances past its padding.  It is made in space (a
 * struct syncmgr_key's, room payload bytes) if it fits there, else
 * allocated, charged to user first if there is one (a value to store:
 * one refused by the quota is never allocated, let alone copied).
 */
static struct syncmgr_item *syncmgr_item_in(struct syncmgr_in *in,
					    struct syncmgr_item *space,
					    u32 room, struct syncmgr_user *user)
{
	static const u8 zero[8];
	struct syncmgr_value v;
	struct syncmgr_item *it;
	const u8 *bytes;
	u32 padded;
	int len, ret;

	if (in->size - in->pos < sizeof(v))
		return ERR_PTR(-EINVAL);
	bytes = syncmgr_in_bytes(in, sizeof(v));
	if (!bytes)
		return ERR_PTR(-EFAULT);
	memcpy(&v, bytes, sizeof(v));
	len = syncmgr_value_check(&v);
	if (len < 0)
		return ERR_PTR(len);
	padded = ALIGN(len, 8);
	if (in->size - in->pos - sizeof(v) < padded)
		return ERR_PTR(-EINVAL);

	/*
	 * Room for the padding too (free: slab sizes are multiples of 8), so
	 * payload and padding come in with one copy.  A composite is always
	 * allocated: its tree has a description of its own.
	 */
	if (space && padded <= room && !syncmgr_type_tree(v.type)) {
		it = space;
		it->user = NULL;
	} else {
		size_t cost = syncmgr_item_cost(v.type, len);

		ret = user ? syncmgr_user_charge_values(user, cost) : 0;
		if (ret)
			return ERR_PTR(ret);
		it = syncmgr_mem_alloc(syncmgr_item_alloc_size(v.type, len), 0);
		if (!it) {
			if (user)
				syncmgr_user_uncharge_bytes(user, cost);
			return ERR_PTR(-ENOMEM);
		}
		it->user = user ? syncmgr_user_get(user) : NULL;
	}
	INIT_LIST_HEAD(&it->node);
	it->type = v.type;
	it->len = len;
	it->data = v.data;
	it->obj = NULL;
	if (syncmgr_type_tree(v.type))
		*syncmgr_item_tree_slot(it) = NULL;
	if (!padded) {
		/* a scalar: nothing more to read */
	} else if (sizeof(v) + padded <= sizeof(in->win)) {
		bytes = syncmgr_in_bytes(in, sizeof(v) + padded);
		if (!bytes) {
			len = -EFAULT;
			goto fail;
		}
		memcpy(it->payload, bytes + sizeof(v), padded);
	} else {
		ret = syncmgr_copy_chunked(it->payload, (void __user *)in->buf +
					   in->pos + sizeof(v), padded, false);
		if (ret) {
			len = ret;
			goto fail;
		}
	}
	if (padded != len && memcmp(it->payload + len, zero, padded - len)) {
		len = -EINVAL;
		goto fail;
	}
	if (it->type == SYNCMGR_VAL_STR && !syncmgr_utf8_valid(it->payload, len)) {
		len = -EINVAL;
		goto fail;
	}
	if (it->type == SYNCMGR_VAL_BIGINT &&
	    !syncmgr_bigint_minimal(it->payload, len)) {
		len = -EINVAL;
		goto fail;
	}
	if (syncmgr_type_tree(it->type)) {
		ret = syncmgr_tree_build(it, it->user);
		if (ret) {
			len = ret;
			goto fail;
		}
	}
	if (it->type == SYNCMGR_VAL_HANDLE) {
		it->obj = syncmgr_obj_from_fd((s32)v.data);
		if (IS_ERR(it->obj)) {
			len = PTR_ERR(it->obj);
			it->obj = NULL;
			goto fail;
		}
		it->data = 0;
	}
	in->pos += sizeof(v) + padded;
	return it;
fail:
	if (it != space)
		syncmgr_item_free(it);
	return ERR_PTR(len);
}

/*
 * Copy a batch of count values in, all or nothing, onto items (an empty
 * list).  The bytes are charged to the calling user, each value's before
 * it is allocated.
 */
int syncmgr_items_in(const struct syncmgr_data *d, u32 count,
		     struct list_head *items)
{
	struct syncmgr_in in __uninitialized;
	struct syncmgr_user *user;
	struct syncmgr_item *it;
	int ret = 0;
	u32 i;

	if (!count)
		return -EINVAL;
	/* Each value takes at least a header: refuse a count in_size cannot hold. */
	if (count > d->in_size / sizeof(struct syncmgr_value))
		return -EINVAL;
	user = syncmgr_user_current();
	if (IS_ERR(user))
		return PTR_ERR(user);
	syncmgr_in_init(&in, d);
	for (i = 0; i < count; i++) {
		it = syncmgr_item_in(&in, NULL, 0, user);
		if (IS_ERR(it)) {
			ret = PTR_ERR(it);
			break;
		}
		list_add_tail(&it->node, items);
	}
	syncmgr_user_put(user);
	if (!ret && in.pos != d->in_size)
		ret = -EINVAL;
	if (ret)
		syncmgr_items_free(items);
	return ret;
}

/*
 * Exactly n values in, as keys: values to look at (a lookup key, an
 * expected value, a delta) rather than to store.  Each is made inside its
 * struct syncmgr_key, on the caller's stack, when its payload fits, so the
 * common lookup allocates nothing and charges nothing; a larger one is
 * allocated.  All or nothing: on failure no key holds anything.
 */
int syncmgr_keys_in(const struct syncmgr_data *d, struct syncmgr_key *keys,
		    u32 n)
{
	struct syncmgr_in in __uninitialized;
	struct syncmgr_item *it;
	u32 i;
	int ret = 0;

	syncmgr_in_init(&in, d);
	for (i = 0; i < n; i++)
		keys[i].it = NULL;
	for (i = 0; i < n && !ret; i++) {
		it = syncmgr_item_in(&in, (struct syncmgr_item *)keys[i].space,
				     sizeof(keys[i].space) - sizeof(*it), NULL);
		if (IS_ERR(it))
			ret = PTR_ERR(it);
		else
			keys[i].it = it;
	}
	if (!ret && in.pos != d->in_size)
		ret = -EINVAL;
	if (ret)
		syncmgr_keys_free(keys, n);
	return ret;
}

void syncmgr_keys_free(struct syncmgr_key *keys, u32 n)
{
	struct syncmgr_item *it;
	u32 i;

	for (i = 0; i < n; i++) {
		it = keys[i].it;
		keys[i].it = NULL;
		if (!it)
			continue;
		if (it != (struct syncmgr_item *)keys[i].space)
			syncmgr_item_free(it);	/* not charged: a key */
		else if (it->obj)
			syncmgr_obj_put(it->obj);
	}
}

/*
 * The key's value to store after all: an item charged to the caller, the
 * key's own allocation if it has one (the key is then empty), else a copy.
 */
struct syncmgr_item *syncmgr_key_keep(struct syncmgr_key *k)
{
	struct syncmgr_item *it = k->it;
	struct syncmgr_user *user;
	int ret;

	if (it == (struct syncmgr_item *)k->space)
		return syncmgr_item_clone(it);
	user = syncmgr_user_current();
	if (IS_ERR(user))
		return ERR_CAST(user);
	ret = syncmgr_item_charge(it, user);
	syncmgr_user_put(user);
	if (ret)
		return ERR_PTR(ret);
	k->it = NULL;
	return it;
}

/* A copy of src's tree description, with references of its own. */
static struct syncmgr_tree *syncmgr_tree_clone(const struct syncmgr_tree *src)
{
	struct syncmgr_tree_count c = {
		.nobjs = src->nobjs, .nnodes = src->nnodes, .nidx = src->nidx,
	};
	struct syncmgr_tree *t = syncmgr_mem_alloc(src->bytes, 0);
	u32 i;

	if (!t)
		return NULL;
	memcpy(t, src, src->bytes);
	syncmgr_tree_layout(t, &c);
	for (i = 0; i < t->nobjs; i++)
		refcount_inc(&t->objs[i]->ref);
	return t;
}

/* A new item with the same value (a shallow copy: a handle is shared). */
struct syncmgr_item *syncmgr_item_clone(const struct syncmgr_item *src)
{
	struct syncmgr_user *user = syncmgr_user_current();
	const struct syncmgr_tree *st = syncmgr_item_tree(src);
	size_t bytes = syncmgr_item_bytes(src);
	struct syncmgr_tree *t = NULL;
	struct syncmgr_item *it;
	int ret;

	if (IS_ERR(user))
		return ERR_CAST(user);
	ret = syncmgr_user_charge_values(user, bytes);
	if (ret) {
		syncmgr_user_put(user);
		return ERR_PTR(ret);
	}
	it = syncmgr_mem_alloc(syncmgr_item_alloc_size(src->type, src->len), 0);
	if (it && st) {
		t = syncmgr_tree_clone(st);
		if (!t) {
			kvfree(it);
			it = NULL;
		}
	}
	if (!it) {
		syncmgr_user_uncharge_bytes(user, bytes);
		syncmgr_user_put(user);
		return ERR_PTR(-ENOMEM);
	}
	memcpy(it, src, syncmgr_item_alloc_size(src->type, src->len));
	INIT_LIST_HEAD(&it->node);
	it->user = user;
	if (it->obj)
		refcount_inc(&it->obj->ref);
	if (syncmgr_type_tree(it->type))
		*syncmgr_item_tree_slot(it) = t;
	return it;
}

/*
 * A scalar an object keeps in place of an item (a Value's number) is
 * charged what the item would cost, so that a user's figures and quota
 * do not depend on where a value lives.
 */
int syncmgr_scalar_charge(struct syncmgr_user *u)
{
	return syncmgr_user_charge_values(u, syncmgr_item_cost(SYNCMGR_VAL_INT, 0));
}

/* Give back what syncmgr_scalar_charge() took; NULL: nothing. */
void syncmgr_scalar_uncharge(struct syncmgr_user *u)
{
	if (u)
		syncmgr_user_uncharge_bytes(u, syncmgr_item_cost(SYNCMGR_VAL_INT,
								 0));
}

size_t syncmgr_item_size(const struct syncmgr_item *it)
{
	return SYNCMGR_VALUE_SIZE(it->len);
}

/*
 * Room for n more fds, made when the first handle goes out (most calls
 * return none and allocate nothing) and grown as handles come: a value
 * holds at most SYNCMGR_MAX_TREE_HANDLES of them, and a batch's values
 * are bounded by its caller.  kv: a batch may be large (a list slice).
 */
static int syncmgr_out_reserve(struct syncmgr_out *o, u32 n)
{
	struct file **files;
	u32 cap;
	int *fds;

	if (o->nfiles + n <= o->cap)
		return 0;
	cap = max3(o->cap * 2, o->nfiles + n, 8U);
	files = kvmalloc_array(cap, sizeof(*files), GFP_KERNEL_ACCOUNT);
	fds = kvmalloc_array(cap, sizeof(*fds), GFP_KERNEL_ACCOUNT);
	if (!files || !fds) {
		kvfree(files);
		kvfree(fds);
		return -ENOMEM;
	}
	if (o->nfiles) {
		memcpy(files, o->files, o->nfiles * sizeof(*files));
		memcpy(fds, o->fds, o->nfiles * sizeof(*fds));
	}
	kvfree(o->files);
	kvfree(o->fds);
	o->files = files;
	o->fds = fds;
	o->cap = cap;
	return 0;
}

/* Reserve an fd (not installed) for a handle to obj going out. */
static int syncmgr_out_handle(struct syncmgr_out *o, struct syncmgr_obj *obj)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = syncmgr_obj_file(obj);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	o->fds[o->nfiles] = fd;
	o->files[o->nfiles++] = file;
	return fd;
}

/*
 * Is there room for it after what was written?  If not and nothing was
 * written yet, the call will fail with EMSGSIZE and report the need.
 */
bool syncmgr_out_room(struct syncmgr_out *o, const struct syncmgr_item *it)
{
	if (o->count < o->max && syncmgr_item_size(it) <= o->size - o->used)
		return true;
	if (!o->count)
		o->needed = syncmgr_item_size(it);
	return false;
}

/* Where the i-th HANDLE's data of a tree is, from its value's header. */
#define SYNCMGR_HANDLE_DATA(t, i) \
	(sizeof(struct syncmgr_value) + (t)->hoff[i] + \
	 offsetof(struct syncmgr_value, data))

/* Write it (room checked); a handle gets an fd reserved, not installed. */
int syncmgr_out_put(struct syncmgr_out *o, const struct syncmgr_item *it)
{
	static const u8 zero[8];
	struct syncmgr_value v = {
		.type = it->type,
		.len = it->len,
		.data = it->data,
	};
	u8 __user *p = o->buf + o->used;
	u32 padded = ALIGN(it->len, 8), nh = syncmgr_item_handles(it), i;
	const struct syncmgr_tree *t = syncmgr_item_tree(it);
	u32 first = o->nfiles;
	int ret;

	if (nh) {
		ret = syncmgr_out_reserve(o, nh);
		if (ret)
			return ret;
		for (i = 0; i < nh; i++) {
			ret = syncmgr_out_handle(o, syncmgr_item_obj(it, i));
			if (ret < 0)
				return ret;
		}
		if (it->obj)
			v.data = (u32)o->fds[first];
	}
	if (!padded) {
		/* A scalar: one copy of constant size. */
		if (copy_to_user(p, &v, sizeof(v)))
			return -EFAULT;
	} else if (sizeof(v) + padded <= SYNCMGR_SMALL_VALUE) {
		/* A small value goes out with one copy (its bytes in a row). */
		u8 buf[SYNCMGR_SMALL_VALUE] __aligned(8) __uninitialized;

		memcpy(buf, &v, sizeof(v));
		memcpy(buf + sizeof(v), it->payload, it->len);
		memset(buf + sizeof(v) + it->len, 0, padded - it->len);
		/* A HANDLE inside: its fd in place of its index. */
		for (i = 0; t && i < t->nobjs; i++)
			*(u64 *)(buf + SYNCMGR_HANDLE_DATA(t, i)) =
				(u32)o->fds[first + i];
		if (copy_to_user(p, buf, sizeof(v) + padded))
			return -EFAULT;
	} else {
		if (copy_to_user(p, &v, sizeof(v)))
			return -EFAULT;
		ret = syncmgr_copy_chunked((void *)it->payload, p + sizeof(v),
					   it->len, true);
		if (ret)
			return ret;
		if (copy_to_user(p + sizeof(v) + it->len, zero,
				 padded - it->len))
			return -EFAULT;
		for (i = 0; t && i < t->nobjs; i++)
			if (put_user((u64)(u32)o->fds[first + i],
				     (u64 __user *)(p + SYNCMGR_HANDLE_DATA(t, i))))
				return -EFAULT;
	}
	o->used += sizeof(v) + padded;
	o->count++;
	return 0;
}

/* Write it if there is room, else EMSGSIZE (the need noted). */
int syncmgr_out_one(struct syncmgr_out *o, const struct syncmgr_item *it)
{
	if (!syncmgr_out_room(o, it))
		return -EMSGSIZE;
	return syncmgr_out_put(o, it);
}

/*
 * Finish: on success install every reserved fd (nothing can fail after
 * this) and return how many values were written; on failure release them
 * and return ret.  EMSGSIZE reports the size needed.
 */
int syncmgr_out_end(struct syncmgr_out *o, int ret)
{
	u32 i;

	for (i = 0; i < o->nfiles; i++) {
		if (ret) {
			put_unused_fd(o->fds[i]);
			fput(o->files[i]);
		} else {
			fd_install(o->fds[i], o->files[i]);
		}
	}
	if (o->fds) {
		kvfree(o->files);
		kvfree(o->fds);
	}
	if (ret == -EMSGSIZE || (!ret && !o->count && o->needed)) {
		o->d->needed = o->needed;
		return -EMSGSIZE;
	}
	return ret ? ret : o->count;
}
