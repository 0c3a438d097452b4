// SPDX-License-Identifier: GPL-2.0
/*
 * list: Python's list of typed values, shared between processes.
 *
 * The values are items (codec.c) in an array of pointers that grows
 * geometrically and shrinks when under a quarter full.  The array is
 * charged at its true size to the account whose call allocated it (the
 * items to their storers, the list's own state to its creator); a new
 * array replaces the old one, and its charge the old charge, only once
 * nothing can fail any more.  Every operation is all or nothing: values are
 * copied in before the list is touched, memory a change needs (a bigger
 * array, clones for *=, a sort's scratch arrays) is allocated before the
 * first pointer moves, and items taken out are freed after the list's
 * mutex is dropped.
 *
 * Lock order (outer to inner):
 *   syncmgr_nest_mutex (nest.c, a store of a container handle that lost
 *   the race for its check a few times)
 *     ->  syncmgr_list.mutex  ->  base->lock (poll wake-ups), syncmgr_nest_gen_lock
 * The cycle check takes our mutex in ->handles, so the mutex is never
 * held while taking syncmgr_nest_mutex.  A store's values are checked
 * and the mutex taken by syncmgr_list_store_begin().  Copying values out
 * to the caller happens under the mutex (it may fault and sleep); no
 * spinlock is held meanwhile.
 */
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "item.h"

static unsigned int max_list_len = 1 << 22;
module_param_cb(max_list_len, &syncmgr_param_int_max, &max_list_len, 0644);
MODULE_PARM_DESC(max_list_len,
		 "Most values one list may hold, 0 .. 2^31-1 (E2BIG beyond)");

struct syncmgr_list {
	struct mutex mutex;		/* serialises every operation */
	/* protected by mutex */
	struct syncmgr_item **items;	/* syncmgr_mem_alloc'd, cap slots */
	u32 len, cap;
	struct syncmgr_charge slots;	/* what items costs, and to whom */
	u64 version;			/* item.h; read locklessly by fdinfo */
};

static struct syncmgr_list *to_list(struct syncmgr_obj *obj)
{
	return obj->priv;
}

static u32 syncmgr_list_max(void)
{
	return min_t(u32, READ_ONCE(max_list_len), INT_MAX);
}

/*
 * A slot array of cap pointers, charged into the empty c to the caller at
 * its true size before it is allocated; or an ERR_PTR, c empty.
 */
static struct syncmgr_item **syncmgr_list_slots(u32 cap,
						struct syncmgr_charge *c)
{
	size_t size = (size_t)cap * sizeof(struct syncmgr_item *);
	struct syncmgr_item **items;
	int ret;

	ret = syncmgr_charge_take(c, syncmgr_mem_size(size));
	if (ret)
		return ERR_PTR(ret);
	items = syncmgr_mem_alloc(size, 0);
	if (!items) {
		syncmgr_charge_drop(c);
		return ERR_PTR(-ENOMEM);
	}
	return items;
}

/* Under mutex: items (cap slots, charged by c) replace the list's array. */
static void syncmgr_list_swap(struct syncmgr_list *l,
			      struct syncmgr_item **items, u32 cap,
			      struct syncmgr_charge *c)
{
	lockdep_assert_held(&l->mutex);
	if (l->len)
		memcpy(items, l->items, l->len * sizeof(*items));
	kvfree(l->items);
	l->items = items;
	l->cap = cap;
	syncmgr_charge_move(&l->slots, c);
}

/* The capacity to grow to for need values (need <= max). */
static u32 syncmgr_list_grown(struct syncmgr_list *l, u64 need)
{
	u64 cap = max_t(u64, need, l->cap + l->cap / 2);

	return clamp_t(u64, cap, 8, syncmgr_list_max());
}

/*
 * Under mutex: room for need values, or -E2BIG / -EDQUOT / -ENOMEM,
 * unchanged.
 */
static int syncmgr_list_reserve(struct syncmgr_list *l, u64 need)
{
	struct syncmgr_charge c = {};
	struct syncmgr_item **items;
	u32 cap;

	lockdep_assert_held(&l->mutex);
	if (need <= l->cap)
		return 0;
	if (need > syncmgr_list_max())
		return -E2BIG;
	cap = syncmgr_list_grown(l, need);
	items = syncmgr_list_slots(cap, &c);
	if (IS_ERR(items))
		return PTR_ERR(items);
	syncmgr_list_swap(l, items, cap, &c);
	return 0;
}

/*
 * Under mutex, after values left: under a quarter full, a smaller array
 * (charged to the caller); best effort, kept as it is if that fails.
 */
static void syncmgr_list_shrink(struct syncmgr_list *l)
{
	struct syncmgr_charge c = {};
	struct syncmgr_item **items;
	u32 cap;

	lockdep_assert_held(&l->mutex);
	if (l->cap <= 16 || l->len >= l->cap / 4)
		return;
	cap = max(l->len * 2, 8U);
	items = syncmgr_list_slots(cap, &c);
	if (!IS_ERR(items))
		syncmgr_list_swap(l, items, cap, &c);
}

/* Under mutex: index (negative from the end) into *i, or -ERANGE. */
static int syncmgr_list_index(struct syncmgr_list *l, s64 index, u32 *i)
{
	lockdep_assert_held(&l->mutex);
	if (index < 0)
		index += l->len;
	if (index < 0 || index >= l->len)
		return -ERANGE;
	*i = index;
	return 0;
}

/* The n items on items as an array (kvmalloc'd); they stay on items. */
static struct syncmgr_item **syncmgr_list_array(struct list_head *items, u32 n)
{
	struct syncmgr_item **arr, *it;
	u32 i = 0;

	arr = kvmalloc_array(max(n, 1U), sizeof(*arr), GFP_KERNEL_ACCOUNT);
	if (!arr)
		return NULL;
	list_for_each_entry(it, items, node)
		arr[i++] = it;
	return arr;
}

/* The items are the list's now: take them off the caller's list. */
static void syncmgr_list_adopt(struct list_head *items)
{
	struct syncmgr_item *it, *tmp;

	list_for_each_entry_safe(it, tmp, items, node)
		list_del_init(&it->node);
}

/* The values a call brings: count of them (0 allowed if allow_empty). */
static int syncmgr_list_in(const struct syncmgr_data *d, bool allow_empty,
			   struct list_head *items)
{
	if (!d->count) {
		if (!allow_empty || d->in || d->in_size)
			return -EINVAL;
		return 0;
	}
	return syncmgr_items_in(d, d->count, items);
}

/* Values going in for a store: copied in, in an array, cycle-checked. */
struct syncmgr_list_store {
	struct list_head items;		/* owned until adopted */
	struct syncmgr_item **arr;	/* the same items, in order */
	struct syncmgr_nest nest;	/* their cycle check */
};

/*
 * Copy in and check the values of a store, then take the list's mutex:
 * 0 with the mutex held, else -errno without it.  Either way
 * syncmgr_list_store_end() afterwards, with the mutex dropped.
 */
static int syncmgr_list_store_begin(struct syncmgr_obj *obj,
				    const struct syncmgr_data *d,
				    bool allow_empty,
				    struct syncmgr_list_store *st)
{
	int ret;

	INIT_LIST_HEAD(&st->items);
	st->arr = NULL;
	st->nest = (struct syncmgr_nest){ };
	ret = syncmgr_list_in(d, allow_empty, &st->items);
	if (ret)
		return ret;
	st->arr = syncmgr_list_array(&st->items, d->count);
	if (!st->arr)
		return -ENOMEM;
	ret = syncmgr_nest_begin(&st->nest, obj, &st->items, NULL, NULL);
	if (!ret)
		ret = syncmgr_nest_lock(&st->nest, &to_list(obj)->mutex);
	return ret;
}

/* After the list's mutex is dropped: free what was not adopted. */
static void syncmgr_list_store_end(struct syncmgr_list_store *st)
{
	syncmgr_nest_end(&st->nest);
	kvfree(st->arr);
	syncmgr_items_free(&st->items);
}

static long syncmgr_list_len(struct syncmgr_obj *obj, unsigned int cmd,
			     struct syncmgr_data *d,
			     struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	long len;

	mutex_lock(&l->mutex);
	len = syncmgr_version_begin(d, l->version);
	if (!len) {
		len = l->len;
		syncmgr_version_end(d, &l->version, false);
	}
	mutex_unlock(&l->mutex);
	return len;
}

/* l[i] or l[i:j:k] out: how many values were written. */
static long syncmgr_list_lookup(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_slice s = { .n = 1 };
	struct syncmgr_out o __uninitialized;
	u32 i, k, max;
	int ret = syncmgr_slice_check(d);

	/* One index: count, if given, must allow that one. */
	if (!ret && !d->step && d->count > 1)
		ret = -EINVAL;
	if (ret)
		return ret;
	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (ret)
		goto unlock;
	if (d->step) {
		syncmgr_slice_indices(d, l->len, &s);
	} else {
		ret = syncmgr_list_index(l, d->start, &i);
		if (ret)
			goto unlock;
		s.start = i;
		s.step = 1;
	}
	/* At most what the buffer can take: at least one, to report need. */
	max = min_t(u32, s.n, d->out_size / sizeof(struct syncmgr_value) + 1);
	if (d->count)
		max = min(max, d->count);
	syncmgr_out_init(&o, d, max);
	ret = 0;
	for (k = 0; k < max && !ret; k++) {
		struct syncmgr_item *it = l->items[syncmgr_slice_at(&s, k)];

		if (!syncmgr_out_room(&o, it))
			break;
		ret = syncmgr_out_put(&o, it);
	}
	syncmgr_version_end(d, &l->version, false);
	mutex_unlock(&l->mutex);
	return syncmgr_out_end(&o, ret);
unlock:
	mutex_unlock(&l->mutex);
	return ret;
}

/*
 * Under mutex: replace the step-1 range [lo, hi) by the n items of arr,
 * growing or shrinking the list; the replaced items go onto gone.
 */
static int syncmgr_list_splice(struct syncmgr_list *l, u32 lo, u32 hi,
			       struct syncmgr_item **arr, u32 n,
			       struct list_head *gone)
{
	u32 i, tail = l->len - hi;
	int ret;

	ret = syncmgr_list_reserve(l, (u64)l->len - (hi - lo) + n);
	if (ret)
		return ret;
	for (i = lo; i < hi; i++)
		list_add_tail(&l->items[i]->node, gone);
	memmove(l->items + lo + n, l->items + hi, tail * sizeof(*l->items));
	if (n)
		memcpy(l->items + lo, arr, n * sizeof(*arr));
	l->len = lo + n + tail;
	if (n < hi - lo)
		syncmgr_list_shrink(l);
	return 0;
}

/* l[i] = v, l[i:j] = values, l[i:j:k] = exactly as many values. */
static long syncmgr_list_assign(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_list_store st;
	struct syncmgr_slice s;
	LIST_HEAD(gone);
	u32 i, k;
	int ret;

	ret = syncmgr_slice_check(d);
	if (ret)
		return ret;
	if (!d->step && d->count != 1)
		return -EINVAL;
	ret = syncmgr_list_store_begin(obj, d, d->step, &st);
	if (ret)
		goto out;
	ret = syncmgr_version_begin(d, l->version);
	if (ret) {
		/* nothing */
	} else if (!d->step) {
		ret = syncmgr_list_index(l, d->start, &i);
		if (!ret) {
			list_add_tail(&l->items[i]->node, &gone);
			l->items[i] = st.arr[0];
		}
	} else {
		syncmgr_slice_indices(d, l->len, &s);
		if (s.step == 1) {
			ret = syncmgr_list_splice(l, s.start,
						  max(s.start, s.stop),
						  st.arr, d->count, &gone);
		} else if (s.n != d->count) {
			ret = -EINVAL;
		} else {
			for (k = 0; k < s.n; k++) {
				i = syncmgr_slice_at(&s, k);
				list_add_tail(&l->items[i]->node, &gone);
				l->items[i] = st.arr[k];
			}
		}
	}
	if (!ret) {
		syncmgr_list_adopt(&st.items);
		syncmgr_version_end(d, &l->version, true);
		syncmgr_obj_changed(obj);
	}
	mutex_unlock(&l->mutex);
out:
	syncmgr_list_store_end(&st);
	syncmgr_items_free(&gone);
	return ret;
}

/* Under mutex: is index i in the (normalised, non-empty) slice s? */
static bool syncmgr_slice_has(const struct syncmgr_slice *s, u32 i)
{
	u64 lo, step;

	/* Two or more indices mean |step| < len: it fits in a u32. */
	step = s->n > 1 ? (s->step < 0 ? -s->step : s->step) : 1;
	lo = s->step < 0 ? s->start + (s64)(s->n - 1) * s->step : s->start;
	if (i < lo)
		return false;
	return (i - lo) % (u32)step == 0 && (i - lo) / (u32)step < s->n;
}

/* del l[i], del l[i:j:k]. */
static long syncmgr_list_delete(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_slice s;
	LIST_HEAD(gone);
	u32 i, w;
	int ret = syncmgr_slice_check(d);

	if (ret)
		return ret;
	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (ret) {
		/* nothing */
	} else if (!d->step) {
		ret = syncmgr_list_index(l, d->start, &i);
		if (!ret)
			syncmgr_list_splice(l, i, i + 1, NULL, 0, &gone);
	} else {
		syncmgr_slice_indices(d, l->len, &s);
		if (s.n && s.step == 1) {
			syncmgr_list_splice(l, s.start, s.stop, NULL, 0, &gone);
		} else if (s.n) {
			for (i = 0, w = 0; i < l->len; i++) {
				if (syncmgr_slice_has(&s, i))
					list_add_tail(&l->items[i]->node, &gone);
				else
					l->items[w++] = l->items[i];
			}
			l->len = w;
			syncmgr_list_shrink(l);
		}
	}
	if (!ret)
		syncmgr_version_end(d, &l->version, true);
	mutex_unlock(&l->mutex);
	syncmgr_items_free(&gone);
	return ret;
}

/* extend (count values, maybe none) or insert (one value at start). */
static long syncmgr_list_add(struct syncmgr_obj *obj, unsigned int cmd,
			     struct syncmgr_data *d,
			     struct syncmgr_data __user *argp)
{
	bool insert = cmd == SYNCMGR_IOC_INSERT;
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_list_store st;
	LIST_HEAD(gone);
	s64 at;
	int ret;

	if (insert && d->count != 1)
		return -EINVAL;
	/* extend([]) takes nothing in, and changes the version only. */
	ret = syncmgr_list_store_begin(obj, d, !insert, &st);
	if (ret)
		goto out;
	ret = syncmgr_version_begin(d, l->version);
	if (ret)
		goto unlock;
	at = l->len;
	if (insert) {
		/* Clamped as list.insert() does. */
		at = d->start;
		if (at < 0)
			at = max_t(s64, at + l->len, 0);
		at = min_t(s64, at, l->len);
	}
	ret = syncmgr_list_splice(l, at, at, st.arr, d->count, &gone);
	if (!ret) {
		syncmgr_list_adopt(&st.items);
		syncmgr_version_end(d, &l->version, true);
		syncmgr_obj_changed(obj);
	}
unlock:
	mutex_unlock(&l->mutex);
out:
	syncmgr_list_store_end(&st);
	return ret;
}

/* pop(i): the value out, then gone; kept if it cannot be delivered. */
static long syncmgr_list_pop(struct syncmgr_obj *obj, unsigned int cmd,
			     struct syncmgr_data *d,
			     struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_out o __uninitialized;
	LIST_HEAD(gone);
	u32 i;
	int ret;

	syncmgr_out_init(&o, d, 1);
	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (!ret)
		ret = syncmgr_list_index(l, d->start, &i);
	if (!ret && syncmgr_out_room(&o, l->items[i]))
		ret = syncmgr_out_put(&o, l->items[i]);
	if (!ret && o.count) {
		syncmgr_list_splice(l, i, i + 1, NULL, 0, &gone);
		syncmgr_version_end(d, &l->version, true);
	}
	mutex_unlock(&l->mutex);
	ret = syncmgr_out_end(&o, ret);
	syncmgr_items_free(&gone);
	return ret;
}

/* remove(v), index(v, start, stop), count(v), v in l. */
static long syncmgr_list_find(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_key v __uninitialized;
	LIST_HEAD(gone);
	s64 lo = 0, hi;
	long ret = -ENOENT, n = 0;
	u32 i;

	if (d->count != 1)
		return -EINVAL;
	/* Only compared: read onto the stack, not allocated. */
	ret = syncmgr_keys_in(d, &v, 1);
	if (ret)
		return ret;
	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (ret)
		goto unlock;
	ret = -ENOENT;
	hi = l->len;
	if (cmd == SYNCMGR_IOC_INDEX) {
		/* list.index() clamps start and stop as slices do. */
		if (!(d->flags & SYNCMGR_DATA_NO_START))
			lo = syncmgr_slice_bound(d->start, l->len, false);
		if (!(d->flags & SYNCMGR_DATA_NO_STOP))
			hi = syncmgr_slice_bound(d->stop, l->len, false);
	}
	for (i = lo; i < hi; i++) {
		if (!syncmgr_item_equal(l->items[i], v.it))
			continue;
		n++;
		if (cmd == SYNCMGR_IOC_COUNT)
			continue;
		ret = cmd == SYNCMGR_IOC_CONTAINS ? 1 : i;
		if (cmd == SYNCMGR_IOC_REMOVE) {
			syncmgr_list_splice(l, i, i + 1, NULL, 0, &gone);
			syncmgr_obj_changed(obj);
			ret = 0;
		}
		break;
	}
	if (cmd == SYNCMGR_IOC_COUNT)
		ret = n;
	else if (cmd == SYNCMGR_IOC_CONTAINS)
		ret = n ? 1 : 0;
	/* Only a remove that found its value changed the list. */
	if (ret >= 0)
		syncmgr_version_end(d, &l->version,
				    cmd == SYNCMGR_IOC_REMOVE);
unlock:
	mutex_unlock(&l->mutex);
	syncmgr_keys_free(&v, 1);
	syncmgr_items_free(&gone);
	return ret;
}

static long syncmgr_list_reverse(struct syncmgr_obj *obj, unsigned int cmd,
				 struct syncmgr_data *d,
				 struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	u32 i, j;
	int ret;

	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (!ret) {
		for (i = 0, j = l->len; i + 1 < j; i++, j--)
			swap(l->items[i], l->items[j - 1]);
		syncmgr_version_end(d, &l->version, true);
	}
	mutex_unlock(&l->mutex);
	return ret;
}

/*
 * One pass of a stable bottom-up merge sort: runs of width from a into b.
 * Descending keeps equal values in their order too, as Python's does.
 */
static int syncmgr_list_merge(struct syncmgr_item **a, struct syncmgr_item **b,
			      u32 n, u32 width, bool rev)
{
	u32 mid, hi, i, j, k;
	int ret, c;
	u64 lo;

	for (lo = 0; lo < n; lo += 2 * (u64)width) {
		mid = min_t(u64, lo + width, n);
		hi = min_t(u64, (u64)lo + 2 * width, n);
		i = lo, j = mid, k = lo;
		while (i < mid && j < hi) {
			/* Take from the right run only if strictly first. */
			if (rev)
				ret = syncmgr_item_compare(a[i], a[j], &c);
			else
				ret = syncmgr_item_compare(a[j], a[i], &c);
			if (ret)
				return ret;
			b[k++] = c < 0 ? a[j++] : a[i++];
		}
		while (i < mid)
			b[k++] = a[i++];
		while (j < hi)
			b[k++] = a[j++];
		cond_resched();
	}
	return 0;
}

/* sort(reverse): on scratch arrays, swapped in only if every compare worked. */
static long syncmgr_list_sort(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	bool rev = d->flags & SYNCMGR_DATA_REVERSE;
	struct syncmgr_item **a = NULL, **b = NULL;
	u32 n, width;
	int ret;

	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (ret)
		goto unlock;
	n = l->len;
	if (n < 2)
		goto done;
	a = kvmalloc_array(n, sizeof(*a), GFP_KERNEL_ACCOUNT);
	b = kvmalloc_array(n, sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!a || !b) {
		ret = -ENOMEM;
		goto unlock;
	}
	memcpy(a, l->items, n * sizeof(*a));
	for (width = 1; width < n; width *= 2) {
		ret = syncmgr_list_merge(a, b, n, width, rev);
		if (ret)
			goto unlock;
		swap(a, b);
		if (width > n / 2)
			break;
	}
	memcpy(l->items, a, n * sizeof(*a));
done:
	/* Every successful sort counts, also of 0 or 1 values. */
	syncmgr_version_end(d, &l->version, true);
unlock:
	mutex_unlock(&l->mutex);
	kvfree(a);
	kvfree(b);
	return ret;
}

/* Under mutex: n clones of the first len items, after them; or nothing. */
static int syncmgr_list_clone_into(struct syncmgr_item **dst,
				   struct syncmgr_item **src, u32 len, u32 n)
{
	u64 k, total = (u64)len * n;
	struct syncmgr_item *it;

	for (k = 0; k < total; k++) {
		it = syncmgr_item_clone(src[k % len]);
		if (IS_ERR(it)) {
			while (k--)
				syncmgr_item_free(dst[k]);
			return PTR_ERR(it);
		}
		dst[k] = it;
		if (!(k & 1023))
			cond_resched();
	}
	return 0;
}

static long syncmgr_list_clear(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d,
			       struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_charge slots = {};
	struct syncmgr_item **items;
	u32 i, len;
	int ret;

	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (ret) {
		mutex_unlock(&l->mutex);
		return ret;
	}
	items = l->items;
	len = l->len;
	l->items = NULL;
	l->len = 0;
	l->cap = 0;
	syncmgr_charge_move(&slots, &l->slots);
	syncmgr_version_end(d, &l->version, true);
	mutex_unlock(&l->mutex);
	for (i = 0; i < len; i++)
		syncmgr_item_free(items[i]);
	kvfree(items);
	syncmgr_charge_drop(&slots);
	return 0;
}

/* l *= n: n <= 0 (count 0) empties it; bounded by max_list_len first. */
static long syncmgr_list_repeat(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_list *l = to_list(obj);
	struct syncmgr_item **items;
	struct syncmgr_charge c = {};
	u32 len, cap, n = d->count;
	u64 need;
	int ret;

	if (!n)
		return syncmgr_list_clear(obj, cmd, d, argp);
	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (ret)
		goto unlock;
	len = l->len;
	if (n == 1 || !len)
		goto done;
	/*
	 * A bigger array is made aside and swapped in only once every clone
	 * is made: a failed repeat leaves capacity and charges as they were.
	 */
	need = (u64)len * n;
	items = l->items;
	cap = l->cap;
	if (need > l->cap) {
		ret = -E2BIG;
		if (need > syncmgr_list_max())
			goto unlock;
		cap = syncmgr_list_grown(l, need);
		items = syncmgr_list_slots(cap, &c);
		ret = PTR_ERR_OR_ZERO(items);
		if (ret)
			goto unlock;
	}
	ret = syncmgr_list_clone_into(items + len, l->items, len, n - 1);
	if (ret) {
		if (items != l->items)
			kvfree(items);
		syncmgr_charge_drop(&c);
		goto unlock;
	}
	if (items != l->items)
		syncmgr_list_swap(l, items, cap, &c);
	l->len = need;
	syncmgr_obj_changed(obj);
done:
	syncmgr_version_end(d, &l->version, true);
unlock:
	mutex_unlock(&l->mutex);
	return ret;
}

/* copy(): a new list holding clones (a handle stays the same object). */
static long syncmgr_list_copy(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	const struct syncmgr_create args = { .type = SYNCMGR_TYPE_LIST };
	struct syncmgr_list *l = to_list(obj), *nl;
	struct syncmgr_obj *copy;
	int ret = 0;

	copy = syncmgr_obj_new(&args);
	if (IS_ERR(copy))
		return PTR_ERR(copy);
	nl = to_list(copy);
	mutex_lock(&l->mutex);
	ret = syncmgr_version_begin(d, l->version);
	if (!ret && l->len) {
		nl->items = syncmgr_list_slots(l->len, &nl->slots);
		if (IS_ERR(nl->items)) {
			ret = PTR_ERR(nl->items);
			nl->items = NULL;
		} else {
			nl->cap = l->len;
			ret = syncmgr_list_clone_into(nl->items, l->items,
						      l->len, 1);
		}
		if (!ret)
			nl->len = l->len;
	}
	if (!ret)
		syncmgr_version_end(d, &l->version, false);
	mutex_unlock(&l->mutex);
	if (ret) {
		syncmgr_obj_put(copy);
		return ret;
	}
	return syncmgr_obj_install(copy, O_CLOEXEC);
}

/* The objects the list holds handles to, each with a reference. */
static int syncmgr_list_handles(struct syncmgr_obj *obj,
				struct syncmgr_held *held)
{
	struct syncmgr_list *l = to_list(obj);
	u32 i, n = 0;
	int ret;

	if (mutex_lock_killable(&l->mutex))
		return -EINTR;
	for (i = 0; i < l->len; i++)
		n += syncmgr_item_handles(l->items[i]);
	ret = syncmgr_held_alloc(held, n);
	for (i = 0; !ret && i < l->len; i++)
		syncmgr_held_add(held, l->items[i]);
	mutex_unlock(&l->mutex);
	return ret;
}

static int syncmgr_list_init(struct syncmgr_obj *obj,
			     const struct syncmgr_create *args)
{
	struct syncmgr_list *l = syncmgr_priv_alloc(obj, sizeof(*l));

	if (IS_ERR(l))
		return PTR_ERR(l);
	mutex_init(&l->mutex);
	l->version = 1;
	obj->priv = l;
	return 0;
}

/*
 * The last reference is gone: nobody else can reach the list.  Only a
 * file's release or a container dropping its item (both process context)
 * can drop a list's last reference, never the exit probe (it puts only
 * Locks and RLocks), so kvfree() may sleep here.
 */
static void syncmgr_list_destroy(struct syncmgr_obj *obj)
{
	struct syncmgr_list *l = to_list(obj);
	u32 i;

	for (i = 0; i < l->len; i++) {
		syncmgr_item_free(l->items[i]);
		if (!(i & 1023))
			cond_resched();
	}
	kvfree(l->items);
	syncmgr_charge_drop(&l->slots);
	mutex_destroy(&l->mutex);
	syncmgr_priv_free(obj, l, sizeof(*l));
}

/* Under base->lock: a snapshot, as every state report is. */
static bool syncmgr_list_ready(struct syncmgr_obj *obj)
{
	return READ_ONCE(to_list(obj)->len);
}

static void syncmgr_list_state(struct syncmgr_obj *obj,
			       struct syncmgr_state *st)
{
	st->value = READ_ONCE(to_list(obj)->len);
}

static u64 syncmgr_list_version(struct syncmgr_obj *obj)
{
	return READ_ONCE(to_list(obj)->version);
}

static const struct syncmgr_ops syncmgr_list_ops = {
	.init		= syncmgr_list_init,
	.destroy	= syncmgr_list_destroy,
	.handles	= syncmgr_list_handles,
	.ready		= syncmgr_list_ready,
	.state		= syncmgr_list_state,
	.version	= syncmgr_list_version,
};

/* An index, or with a step a slice (stop, NO_START, NO_STOP). */
#define SYNCMGR_LIST_SLICE	(SYNCMGR_USES_START | SYNCMGR_USES_STOP | \
				 SYNCMGR_USES_STEP)
#define SYNCMGR_LIST_BOUNDS	(SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP)
/* The flags of a command taking the bounds (and, as every one, versions). */
#define SYNCMGR_LIST_FLAGS	(SYNCMGR_LIST_BOUNDS | SYNCMGR_DATA_VERSIONS)
#define SYNCMGR_LIST_VALUES	(SYNCMGR_USES_IN | SYNCMGR_USES_COUNT)

static const struct syncmgr_data_cmd syncmgr_list_cmds[SYNCMGR_DATA_SLOTS] = {
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LEN)] = {
		syncmgr_list_len, 0, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LOOKUP)] = {
		syncmgr_list_lookup, SYNCMGR_USES_OUT | SYNCMGR_USES_COUNT |
		SYNCMGR_LIST_SLICE, SYNCMGR_LIST_FLAGS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_ASSIGN)] = {
		syncmgr_list_assign, SYNCMGR_LIST_VALUES | SYNCMGR_LIST_SLICE,
		SYNCMGR_LIST_FLAGS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_DELETE)] = {
		syncmgr_list_delete, SYNCMGR_LIST_SLICE, SYNCMGR_LIST_FLAGS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_UPDATE)] = {
		syncmgr_list_add, SYNCMGR_LIST_VALUES, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_INSERT)] = {
		syncmgr_list_add, SYNCMGR_LIST_VALUES | SYNCMGR_USES_START,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_POP)] = {
		syncmgr_list_pop, SYNCMGR_USES_OUT | SYNCMGR_USES_START,
		SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_REMOVE)] = {
		syncmgr_list_find, SYNCMGR_LIST_VALUES, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_INDEX)] = {
		syncmgr_list_find, SYNCMGR_LIST_VALUES | SYNCMGR_USES_START |
		SYNCMGR_USES_STOP, SYNCMGR_LIST_FLAGS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_COUNT)] = {
		syncmgr_list_find, SYNCMGR_LIST_VALUES, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_CONTAINS)] = {
		syncmgr_list_find, SYNCMGR_LIST_VALUES, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_REVERSE)] = {
		syncmgr_list_reverse, 0, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_SORT)] = {
		syncmgr_list_sort, 0,
		SYNCMGR_DATA_REVERSE | SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_REPEAT)] = {
		syncmgr_list_repeat, SYNCMGR_USES_COUNT, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_CLEAR_ALL)] = {
		syncmgr_list_clear, 0, SYNCMGR_DATA_VERSIONS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_COPY)] = {
		syncmgr_list_copy, 0, SYNCMGR_DATA_VERSIONS },
};

const struct syncmgr_family syncmgr_list_family = {
	.name		= "list",
	.features	= SYNCMGR_FEAT_LIST | SYNCMGR_FEAT_VERSION,
	.ops		= &syncmgr_list_ops,
	.cmds		= syncmgr_list_cmds,
};
