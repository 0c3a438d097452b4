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
	 * payload and padding come in with one copy.
	 */
	if (space && padded <= room) {
		it = space;
		it->user = NULL;
	} else {
		ret = user ? syncmgr_user_charge_values(user,
							syncmgr_item_cost(len)) : 0;
		if (ret)
			return ERR_PTR(ret);
		it = syncmgr_mem_alloc(syncmgr_item_alloc_size(len), 0);
		if (!it) {
			if (user)
				syncmgr_user_uncharge_bytes(user,
							    syncmgr_item_cost(len));
			return ERR_PTR(-ENOMEM);
		}
		it->user = user ? syncmgr_user_get(user) : NULL;
	}
	INIT_LIST_HEAD(&it->node);
	it->type = v.type;
	it->len = len;
	it->data = v.data;
	it->obj = NULL;
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
	if (it != space) {
		syncmgr_item_uncharge(it);
		kvfree(it);
	}
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
	int ret;

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
