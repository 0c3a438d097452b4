// SPDX-License-Identifier: GPL-2.0
/*
 * Typed values ("items") of the data objects: copying batches in and out
 * of user memory, handles inside values, per-user byte accounting, and
 * Python's equality, hashing and ordering.
 *
 * An item is immutable once made.  Containers link items into their own
 * structures (item->node is theirs).  Copying in happens before any
 * container lock is taken; copying out happens either under a container's
 * sleeping lock or on items the caller has already taken out, and a handle
 * becomes an fd only after every byte reached the caller.
 *
 * No floating point is used: doubles are compared through their bits.
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include "syncmgr.h"

/* The largest max_value_size: a value and its header stay far below 2^31. */
#define SYNCMGR_VALUE_SIZE_LIMIT	SZ_1G

static unsigned int max_value_size = 1 << 20;

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
		 "Largest payload of one stored value in bytes, 0 .. 2^30 (EMSGSIZE beyond)");

static unsigned long max_bytes_per_user = 256UL << 20;

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
	*(unsigned long *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops syncmgr_param_bytes = {
	.set = syncmgr_param_set_bytes,
	.get = param_get_ulong,
};

module_param_cb(max_bytes_per_user, &syncmgr_param_bytes, &max_bytes_per_user,
		0644);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Bytes of kernel memory one user's objects and values may hold, 0 .. 2^63-1 (EDQUOT beyond)");

static siphash_key_t syncmgr_hash_key;
static atomic64_t syncmgr_nan_seq;	/* every NaN hashes apart */

void syncmgr_items_init(void)
{
	get_random_bytes(&syncmgr_hash_key, sizeof(syncmgr_hash_key));
}

/*
 * Retained memory, allocated so that its true size is known before it is
 * allocated (and charged as such): up to KMALLOC_MAX_CACHE_SIZE from the
 * kmalloc caches (their bucket size), beyond that from vmalloc (whole
 * pages and the page array), never a large kmalloc rounded up to the next
 * power of two (a 1 MiB value would take 2 MiB).  Free with kvfree() in
 * process context.  Sizes beyond INT_MAX are never allocated.
 */
size_t syncmgr_mem_size(size_t size)
{
	size_t pages;

	if (size > INT_MAX)
		return SIZE_MAX;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	return (pages << PAGE_SHIFT) +
	       kmalloc_size_roundup(pages * sizeof(struct page *));
}

void *syncmgr_mem_alloc(size_t size, gfp_t extra)
{
	if (size > INT_MAX)
		return NULL;
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc(size, GFP_KERNEL_ACCOUNT | extra);
	return __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_NOWARN | extra);
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

/* Bytes an item with a len-byte payload is allocated with. */
static size_t syncmgr_item_alloc_size(u32 len)
{
	return sizeof(struct syncmgr_item) + ALIGN((size_t)len, 8);
}

/* What an item costs its storer: the true size of its allocation. */
static size_t syncmgr_item_cost(u32 len)
{
	return syncmgr_mem_size(syncmgr_item_alloc_size(len));
}

/* Charge it (not yet charged) to u, taking a reference; or -EDQUOT. */
static int syncmgr_item_charge(struct syncmgr_item *it, struct syncmgr_user *u)
{
	int ret = syncmgr_user_charge_values(u, syncmgr_item_cost(it->len));

	if (!ret)
		it->user = syncmgr_user_get(u);
	return ret;
}

static void syncmgr_item_uncharge(struct syncmgr_item *it)
{
	if (!it->user)
		return;
	syncmgr_user_uncharge_bytes(it->user, syncmgr_item_cost(it->len));
	syncmgr_user_put(it->user);
	it->user = NULL;
}

/* In process context: a large item may be vmalloc'd. */
void syncmgr_item_free(struct syncmgr_item *it)
{
	if (!it)
		return;
	if (it->obj)
		syncmgr_obj_put(it->obj);
	syncmgr_item_uncharge(it);
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
	}
	return -EINVAL;
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
 * allocated.  Not charged: the caller charges what it stores.
 */
static struct syncmgr_item *syncmgr_item_in(struct syncmgr_in *in,
					    struct syncmgr_item *space,
					    u32 room)
{
	static const u8 zero[8];
	struct syncmgr_value v;
	struct syncmgr_item *it;
	const u8 *bytes;
	u32 padded;
	int len;

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
	 * payload and padding come in with one copy.
	 */
	if (space && padded <= room) {
		it = space;
	} else {
		it = syncmgr_mem_alloc(syncmgr_item_alloc_size(len), 0);
		if (!it)
			return ERR_PTR(-ENOMEM);
	}
	INIT_LIST_HEAD(&it->node);
	it->type = v.type;
	it->len = len;
	it->data = v.data;
	it->obj = NULL;
	it->user = NULL;
	if (!padded) {
		/* a scalar: nothing more to read */
	} else if (sizeof(v) + padded <= sizeof(in->win)) {
		bytes = syncmgr_in_bytes(in, sizeof(v) + padded);
		if (!bytes) {
			len = -EFAULT;
			goto fail;
		}
		memcpy(it->payload, bytes + sizeof(v), padded);
	} else if (copy_from_user(it->payload, in->buf + in->pos + sizeof(v),
				  padded)) {
		len = -EFAULT;
		goto fail;
	}
	if (padded != len && memcmp(it->payload + len, zero, padded - len)) {
		len = -EINVAL;
		goto fail;
	}
	if (it->type == SYNCMGR_VAL_STR && !syncmgr_utf8_valid(it->payload, len)) {
		len = -EINVAL;
		goto fail;
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
		kvfree(it);
	return ERR_PTR(len);
}

/*
 * Copy a batch of count values in, all or nothing, onto items (an empty
 * list).  The bytes are charged to the calling user.
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
		it = syncmgr_item_in(&in, NULL, 0);
		if (IS_ERR(it)) {
			ret = PTR_ERR(it);
			break;
		}
		ret = syncmgr_item_charge(it, user);
		if (ret) {
			syncmgr_item_free(it);
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
				     sizeof(keys[i].space) - sizeof(*it));
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
		if (it->obj)
			syncmgr_obj_put(it->obj);
		if (it != (struct syncmgr_item *)keys[i].space)
			kvfree(it);
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

/* A new item with the same value (a shallow copy: a handle is shared). */
struct syncmgr_item *syncmgr_item_clone(const struct syncmgr_item *src)
{
	struct syncmgr_user *user = syncmgr_user_current();
	struct syncmgr_item *it;
	int ret;

	if (IS_ERR(user))
		return ERR_CAST(user);
	ret = syncmgr_user_charge_values(user, syncmgr_item_cost(src->len));
	if (ret) {
		syncmgr_user_put(user);
		return ERR_PTR(ret);
	}
	it = syncmgr_mem_alloc(syncmgr_item_alloc_size(src->len), 0);
	if (!it) {
		syncmgr_user_uncharge_bytes(user, syncmgr_item_cost(src->len));
		syncmgr_user_put(user);
		return ERR_PTR(-ENOMEM);
	}
	memcpy(it, src, syncmgr_item_alloc_size(src->len));
	INIT_LIST_HEAD(&it->node);
	it->user = user;
	if (it->obj)
		refcount_inc(&it->obj->ref);
	return it;
}

/*
 * A scalar an object keeps in place of an item (a Value's number) is
 * charged what the item would cost, so that a user's figures and quota
 * do not depend on where a value lives.
 */
int syncmgr_scalar_charge(struct syncmgr_user *u)
{
	return syncmgr_user_charge_values(u, syncmgr_item_cost(0));
}

/* Give back what syncmgr_scalar_charge() took; NULL: nothing. */
void syncmgr_scalar_uncharge(struct syncmgr_user *u)
{
	if (u)
		syncmgr_user_uncharge_bytes(u, syncmgr_item_cost(0));
}

/* Charge bytes (a true size) to u within max_bytes_per_user. */
int syncmgr_user_charge_values(struct syncmgr_user *u, size_t bytes)
{
	return syncmgr_user_charge_bytes(u, bytes,
					 READ_ONCE(max_bytes_per_user));
}

size_t syncmgr_item_size(const struct syncmgr_item *it)
{
	return SYNCMGR_VALUE_SIZE(it->len);
}

/*
 * Room for the fds of every handle this call may return, made when the
 * first handle goes out: most calls return none and allocate nothing.
 * kv: a batch may be large (a list slice), bounded by its caller.
 */
static int syncmgr_out_reserve(struct syncmgr_out *o)
{
	if (o->fds)
		return 0;
	o->files = kvcalloc(o->max, sizeof(*o->files), GFP_KERNEL_ACCOUNT);
	o->fds = kvcalloc(o->max, sizeof(*o->fds), GFP_KERNEL_ACCOUNT);
	if (o->files && o->fds)
		return 0;
	kvfree(o->files);
	kvfree(o->fds);
	o->files = NULL;
	o->fds = NULL;
	return -ENOMEM;
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
	u32 padded = ALIGN(it->len, 8);

	if (it->obj) {
		int fd = syncmgr_out_reserve(o);
		struct file *file;

		if (fd)
			return fd;
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			return fd;
		file = syncmgr_obj_file(it->obj);
		if (IS_ERR(file)) {
			put_unused_fd(fd);
			return PTR_ERR(file);
		}
		o->fds[o->nfiles] = fd;
		o->files[o->nfiles++] = file;
		v.data = (u32)fd;
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
		if (copy_to_user(p, buf, sizeof(v) + padded))
			return -EFAULT;
	} else if (copy_to_user(p, &v, sizeof(v)) ||
		   copy_to_user(p + sizeof(v), it->payload, it->len) ||
		   copy_to_user(p + sizeof(v) + it->len, zero,
				padded - it->len)) {
		return -EFAULT;
	}
	o->used += sizeof(v) + padded;
	o->count++;
	return 0;
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

/*
 * Numbers: bool, int and double compare as Python's numbers do.  A double
 * is split into sign, an integer part (saturated beyond 2^63) and whether
 * a fraction remains, without any floating point.
 */
enum syncmgr_num_class { SM_NUM_FINITE, SM_NUM_INF, SM_NUM_NAN };

struct syncmgr_num {
	enum syncmgr_num_class class;
	bool neg;
	bool big;		/* |x| >= 2^63: beyond any int64 */
	u64 mag;		/* |integer part| when !big */
	bool frac;		/* a fraction remains */
};

static bool syncmgr_is_number(const struct syncmgr_item *it)
{
	return it->type == SYNCMGR_VAL_BOOL || it->type == SYNCMGR_VAL_INT ||
	       it->type == SYNCMGR_VAL_DOUBLE;
}

static void syncmgr_num_of(const struct syncmgr_item *it, struct syncmgr_num *n)
{
	u64 bits = it->data, mant;
	int exp;

	memset(n, 0, sizeof(*n));
	if (it->type != SYNCMGR_VAL_DOUBLE) {
		s64 i = (s64)it->data;

		n->neg = i < 0;
		n->mag = n->neg ? -(u64)i : (u64)i;
		return;
	}
	n->neg = bits >> 63;
	exp = (bits >> 52) & 0x7ff;
	mant = bits & ((1ULL << 52) - 1);
	if (exp == 0x7ff) {
		n->class = mant ? SM_NUM_NAN : SM_NUM_INF;
		return;
	}
	if (exp == 0) {			/* zero or subnormal: |x| < 1 */
		n->frac = mant != 0;
		return;
	}
	mant |= 1ULL << 52;
	exp -= 1075;			/* x = mant * 2^exp */
	if (exp >= 11) {
		n->big = true;		/* >= 2^63 */
	} else if (exp >= 0) {
		n->mag = mant << exp;
	} else if (exp > -53) {
		n->mag = mant >> -exp;
		n->frac = (mant & ((1ULL << -exp) - 1)) != 0;
	} else {
		n->frac = true;
	}
	if (!n->mag && !n->frac && !n->big)
		n->neg = false;		/* -0.0 == 0 */
}

/* -1, 0, 1; NaN never gets here. */
static int syncmgr_num_cmp(const struct syncmgr_num *a,
			   const struct syncmgr_num *b)
{
	int sign = a->neg ? -1 : 1;

	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	if (a->class == SM_NUM_INF || b->class == SM_NUM_INF) {
		if (a->class == b->class)
			return 0;
		return a->class == SM_NUM_INF ? sign : -sign;
	}
	if (a->big != b->big)
		return a->big ? sign : -sign;
	if (a->big) {
		/* Both doubles >= 2^63: their bits order them. */
		return 0;
	}
	if (a->mag != b->mag)
		return a->mag > b->mag ? sign : -sign;
	if (a->frac != b->frac)
		return a->frac ? sign : -sign;
	return 0;
}

static int syncmgr_big_cmp(const struct syncmgr_item *a,
			   const struct syncmgr_item *b)
{
	u64 x = a->data & ~(1ULL << 63), y = b->data & ~(1ULL << 63);
	int sign = (a->data >> 63) ? -1 : 1;

	if (x == y)
		return 0;
	return x > y ? sign : -sign;
}

/* Order two numbers: -1, 0, 1, or 2 if unordered (NaN). */
static int syncmgr_number_cmp(const struct syncmgr_item *a,
			      const struct syncmgr_item *b)
{
	struct syncmgr_num x, y;
	int c;

	syncmgr_num_of(a, &x);
	syncmgr_num_of(b, &y);
	if (x.class == SM_NUM_NAN || y.class == SM_NUM_NAN)
		return 2;
	c = syncmgr_num_cmp(&x, &y);
	if (!c && x.big && y.big)
		c = syncmgr_big_cmp(a, b);
	if (!c && (x.frac || y.frac) && a->type == SYNCMGR_VAL_DOUBLE &&
	    b->type == SYNCMGR_VAL_DOUBLE)
		c = syncmgr_big_cmp(a, b);	/* same sign, same int part */
	return c;
}

/* An INT or a BOOL: equal, hashed and ordered by its int64 alone. */
static bool syncmgr_is_integer(const struct syncmgr_item *it)
{
	return it->type == SYNCMGR_VAL_INT || it->type == SYNCMGR_VAL_BOOL;
}

bool syncmgr_item_equal(const struct syncmgr_item *a,
			const struct syncmgr_item *b)
{
	if (syncmgr_is_integer(a) && syncmgr_is_integer(b))
		return a->data == b->data;
	if (syncmgr_is_number(a) && syncmgr_is_number(b))
		return syncmgr_number_cmp(a, b) == 0;
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SYNCMGR_VAL_NONE:
		return true;
	case SYNCMGR_VAL_HANDLE:
		return a->obj == b->obj;
	}
	return a->len == b->len && !memcmp(a->payload, b->payload, a->len);
}

/*
 * Order a and b as Python's sort would: 0 and *res = -1/0/1, or -EINVAL if
 * Python cannot compare them (a str and an int, NaN is still ordered as
 * Python's "not less" rules make it: treated as equal).
 */
int syncmgr_item_compare(const struct syncmgr_item *a,
			 const struct syncmgr_item *b, int *res)
{
	int c;

	if (syncmgr_is_number(a) && syncmgr_is_number(b)) {
		c = syncmgr_number_cmp(a, b);
		*res = c == 2 ? 0 : c;
		return 0;
	}
	if (a->type != b->type || (a->type != SYNCMGR_VAL_STR &&
				   a->type != SYNCMGR_VAL_BYTES))
		return -EINVAL;
	c = memcmp(a->payload, b->payload, min(a->len, b->len));
	if (!c)
		c = a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
	*res = c < 0 ? -1 : c > 0;
	return 0;
}

/* Equal items hash alike: a number by its value, a handle by its object. */
u64 syncmgr_item_hash(const struct syncmgr_item *it)
{
	struct syncmgr_num n;

	/* What the general case below gives an integer, without the split. */
	if (syncmgr_is_integer(it))
		return siphash_2u64(it->data, 1, &syncmgr_hash_key);
	if (syncmgr_is_number(it)) {
		syncmgr_num_of(it, &n);
		/*
		 * A NaN equals nothing, not even itself, so its hash only has
		 * to spread: one hash for every NaN would put them all in one
		 * bucket and make each operation walk them all.
		 */
		if (n.class == SM_NUM_NAN)
			return siphash_2u64(atomic64_inc_return(&syncmgr_nan_seq),
					    4, &syncmgr_hash_key);
		if (n.class == SM_NUM_FINITE && !n.big && !n.frac)
			return siphash_2u64(n.neg ? -n.mag : n.mag, 1,
					    &syncmgr_hash_key);
		return siphash_2u64(it->data, 2, &syncmgr_hash_key);
	}
	if (it->type == SYNCMGR_VAL_HANDLE)
		return siphash_2u64(it->obj->id, 3, &syncmgr_hash_key);
	return siphash_2u64(it->type, it->len, &syncmgr_hash_key) ^
	       siphash(it->payload, it->len, &syncmgr_hash_key);
}

/* Integer value of a BOOL/INT item into *v; -EINVAL for anything else. */
int syncmgr_item_int(const struct syncmgr_item *it, s64 *v)
{
	if (it->type != SYNCMGR_VAL_INT && it->type != SYNCMGR_VAL_BOOL)
		return -EINVAL;
	*v = (s64)it->data;
	return 0;
}

/* One slice bound clamped as Python's PySlice_AdjustIndices() does. */
s64 syncmgr_slice_bound(s64 v, s64 len, bool neg)
{
	if (v < 0) {
		v += len;
		if (v < 0)
			v = neg ? -1 : 0;
	} else if (v >= len) {
		v = neg ? len - 1 : len;
	}
	return v;
}

/*
 * The slice d names (start/stop/step, NO_START/NO_STOP) of a sequence of
 * len, normalised as Python's slice.indices(len), and its length.
 */
void syncmgr_slice_indices(const struct syncmgr_data *d, u32 ulen,
			   struct syncmgr_slice *s)
{
	s64 len = ulen;
	bool neg;

	/* Python clamps a step of -sys.maxsize - 1 to -sys.maxsize. */
	s->step = d->step < -S64_MAX ? -S64_MAX : d->step;
	neg = s->step < 0;
	if (d->flags & SYNCMGR_DATA_NO_START)
		s->start = neg ? len - 1 : 0;
	else
		s->start = syncmgr_slice_bound(d->start, len, neg);
	if (d->flags & SYNCMGR_DATA_NO_STOP)
		s->stop = neg ? -1 : len;
	else
		s->stop = syncmgr_slice_bound(d->stop, len, neg);
	if (neg)
		s->n = s->stop < s->start ?
		       div64_u64(s->start - s->stop - 1, -s->step) + 1 : 0;
	else
		s->n = s->start < s->stop ?
		       div64_u64(s->stop - s->start - 1, s->step) + 1 : 0;
}

/*
 * Nesting without cycles.  Storing a handle to a container into a
 * container must not make the target reachable from itself, or the two
 * would keep each other alive forever.
 *
 * The check walks what the stored handle reaches, each container once
 * (a set of the ids seen, an explicit stack: linear in the graph, never
 * recursive, whatever shape a user built), and gives up when the caller
 * is killed.  It holds no global lock: a container's own lock is taken
 * only while listing the handles it holds.  What makes the answer still
 * true when the store lands is a generation count of container stores:
 * the walk notes it before it starts, and the store commits under the
 * target's lock only if no other container store committed meanwhile
 * (syncmgr_nest_commit); otherwise it drops the lock and walks again.
 * Removals need no count: they can only remove paths.  A store that lost
 * SYNCMGR_NEST_TRIES races takes syncmgr_nest_mutex and raises
 * syncmgr_nest_serial, which makes every optimistic commit fail until it
 * is done, so no store is starved.  Stores of anything but a container
 * handle (almost all) skip all of this.
 *
 * Lock order: syncmgr_nest_mutex -> a container's lock (in ->handles, and
 * the target's for the commit) -> syncmgr_nest_gen_lock.
 */
#define SYNCMGR_NEST_TRIES	4

static DEFINE_MUTEX(syncmgr_nest_mutex);
static DEFINE_SPINLOCK(syncmgr_nest_gen_lock);
static u64 syncmgr_nest_gen;		/* under syncmgr_nest_gen_lock */
static bool syncmgr_nest_serial;	/* under syncmgr_nest_gen_lock */

/* A stack of objects, each with a reference, for the walk. */
struct syncmgr_nest_stack {
	struct syncmgr_obj **obj;
	size_t len, cap;
};

static int syncmgr_nest_push(struct syncmgr_nest_stack *st,
			     struct syncmgr_obj *obj)
{
	struct syncmgr_obj **bigger;
	size_t cap;

	if (st->len == st->cap) {
		cap = max_t(size_t, 64, st->cap * 2);
		bigger = kvmalloc_array(cap, sizeof(*bigger), GFP_KERNEL_ACCOUNT);
		if (!bigger)
			return -ENOMEM;
		if (st->len)
			memcpy(bigger, st->obj, st->len * sizeof(*bigger));
		kvfree(st->obj);
		st->obj = bigger;
		st->cap = cap;
	}
	st->obj[st->len++] = obj;
	return 0;
}

/*
 * Walk obj later, unless it is to (1) or was walked already (0).
 * Consumes the caller's reference on obj.
 */
static int syncmgr_nest_visit(struct xarray *seen,
			      struct syncmgr_nest_stack *st,
			      struct syncmgr_obj *obj, struct syncmgr_obj *to)
{
	int ret = 1;

	if (obj != to) {
		ret = xa_insert(seen, obj->id, obj, GFP_KERNEL_ACCOUNT);
		if (!ret) {
			ret = syncmgr_nest_push(st, obj);
			if (!ret)
				return 0;	/* the stack has the reference */
		} else if (ret == -EBUSY) {
			ret = 0;
		}
	}
	syncmgr_obj_put(obj);
	return ret;
}

/*
 * Does from reach to through the handles containers hold?  1 if so (or
 * if from is to), 0 if not, -errno if the walk could not finish.
 */
static int syncmgr_reaches(struct syncmgr_obj *from, struct syncmgr_obj *to)
{
	struct syncmgr_nest_stack st = { };
	struct syncmgr_obj **held, *obj;
	struct xarray seen;
	int ret, n, i;

	xa_init(&seen);
	refcount_inc(&from->ref);
	ret = syncmgr_nest_visit(&seen, &st, from, to);
	while (!ret && st.len) {
		obj = st.obj[--st.len];
		n = obj->ops->handles(obj, &held);
		syncmgr_obj_put(obj);
		if (n < 0) {
			ret = n;
			break;
		}
		for (i = 0; i < n; i++) {
			if (!ret && held[i]->ops->handles)
				ret = syncmgr_nest_visit(&seen, &st, held[i], to);
			else
				syncmgr_obj_put(held[i]);
		}
		kvfree(held);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	while (st.len)
		syncmgr_obj_put(st.obj[--st.len]);
	kvfree(st.obj);
	xa_destroy(&seen);
	return ret;
}

/* One value going into n's container: ELOOP if it would close a cycle. */
static int syncmgr_nest_one(struct syncmgr_nest *n,
			    const struct syncmgr_item *it)
{
	int ret;

	if (!it || !it->obj || !it->obj->ops->handles)
		return 0;
	if (!n->needed) {
		n->needed = true;
		spin_lock(&syncmgr_nest_gen_lock);
		n->gen = syncmgr_nest_gen;
		spin_unlock(&syncmgr_nest_gen_lock);
	}
	ret = syncmgr_reaches(it->obj, n->container);
	return ret > 0 ? -ELOOP : ret;
}

/* Check every value n stores, noting the generation first. */
static int syncmgr_nest_walk(struct syncmgr_nest *n)
{
	const struct syncmgr_item *it;
	int ret, i;

	n->needed = false;
	for (i = 0; i < ARRAY_SIZE(n->its); i++) {
		ret = syncmgr_nest_one(n, n->its[i]);
		if (ret)
			return ret;
	}
	if (n->items) {
		list_for_each_entry(it, n->items, node) {
			ret = syncmgr_nest_one(n, it);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * Before storing into container the values on items (may be NULL) and
 * a and b (either may be NULL): 0, or ELOOP if one would close a cycle
 * (or -EINTR, -ENOMEM: the check could not finish).  items and the
 * values must stay as they are until syncmgr_nest_end(); then commit
 * under the container's lock (syncmgr_nest_lock() for a mutex).
 * syncmgr_nest_end() in every case.
 */
int syncmgr_nest_begin(struct syncmgr_nest *n, struct syncmgr_obj *container,
		       struct list_head *items, const struct syncmgr_item *a,
		       const struct syncmgr_item *b)
{
	*n = (struct syncmgr_nest){
		.container = container,
		.items = items,
		.its = { a, b },
	};
	return syncmgr_nest_walk(n);
}

/*
 * Under the container's lock, just before the store: 0 if the check
 * still holds (the store must happen before the lock is dropped), or
 * -EAGAIN: drop the lock and call syncmgr_nest_again().
 */
int syncmgr_nest_commit(struct syncmgr_nest *n)
{
	int ret = 0;

	if (!n->needed)
		return 0;
	spin_lock(&syncmgr_nest_gen_lock);
	if (syncmgr_nest_gen != n->gen ||
	    (syncmgr_nest_serial && !n->serial))
		ret = -EAGAIN;
	else
		syncmgr_nest_gen++;
	spin_unlock(&syncmgr_nest_gen_lock);
	return ret;
}

/* After a failed commit, with no lock held: check again. */
int syncmgr_nest_again(struct syncmgr_nest *n)
{
	if (++n->tries >= SYNCMGR_NEST_TRIES && !n->serial) {
		if (mutex_lock_killable(&syncmgr_nest_mutex))
			return -EINTR;
		spin_lock(&syncmgr_nest_gen_lock);
		syncmgr_nest_serial = true;
		spin_unlock(&syncmgr_nest_gen_lock);
		n->serial = true;
	}
	return syncmgr_nest_walk(n);
}

/* Take a container's mutex for a store checked by n; -errno unlocked. */
int syncmgr_nest_lock(struct syncmgr_nest *n, struct mutex *lock)
{
	int ret;

	for (;;) {
		mutex_lock(lock);
		if (!syncmgr_nest_commit(n))
			return 0;
		mutex_unlock(lock);
		ret = syncmgr_nest_again(n);
		if (ret)
			return ret;
	}
}

/* After the store (or instead of it), with the container unlocked. */
void syncmgr_nest_end(struct syncmgr_nest *n)
{
	if (!n->serial)
		return;
	spin_lock(&syncmgr_nest_gen_lock);
	syncmgr_nest_serial = false;
	spin_unlock(&syncmgr_nest_gen_lock);
	n->serial = false;
	mutex_unlock(&syncmgr_nest_mutex);
}
