// SPDX-License-Identifier: GPL-2.0
/*
 * Value and Array: one typed value, or a fixed-length array of native
 * numbers, with atomic read-modify-write operations (add, compare and
 * exchange) that the manager's proxies do not have.
 *
 * A Value holds one value of any kind, its typecode kept but never
 * checked, as the manager does: a str, bytes, blob or handle as an item
 * (item.c), a scalar (None, bool, int, float) in place, so that setting,
 * adding to or swapping a number allocates nothing.  An Array stores its elements natively,
 * as Python's array module does; they travel as INT values (integer
 * typecodes) or DOUBLE values ('f', 'd').  The kernel has no FPU here:
 * float32 <-> binary64 and int64 -> binary64 are done on the bits, with
 * round-to-nearest-even.
 *
 * Lock order: syncmgr_nest_mutex (item.c, stores of container handles)
 *   -> value->mutex / array->mutex -> syncmgr_nest_gen_lock.  Each object has one mutex, held while
 * copying to or from user memory, and nothing else is taken under it but
 * the allocator and the fd table (a handle coming out reserves its fd).
 * Replaced items are freed after the mutex is dropped.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "syncmgr.h"

/*
 * scalar.user is who is charged for the scalar (a reference): what its
 * item would cost, so that a user's figures and quota do not depend on
 * where the value lives; NULL for the None a Value starts with (never
 * charged).  The cell itself is charged to the Value's creator.
 */
struct syncmgr_cell {
	struct mutex mutex;		/* held across copies to the user */
	u32 typecode;
	/* protected by mutex */
	struct syncmgr_item *item;	/* NULL: the value is scalar */
	struct syncmgr_item scalar;	/* last: its payload[] stays empty */
};

/* One Array typecode: its element size and the range of its numbers. */
struct syncmgr_tc {
	char code;
	u8 size;
	bool is_signed;
	bool is_float;
};

static const struct syncmgr_tc syncmgr_tcs[] = {
	{ 'b', 1, true }, { 'B', 1 }, { 'h', 2, true }, { 'H', 2 },
	{ 'i', 4, true }, { 'I', 4 }, { 'l', 8, true }, { 'L', 8 },
	{ 'q', 8, true }, { 'Q', 8 }, { 'f', 4, true, true },
	{ 'd', 8, true, true },
};

/* Lengths above this could not be returned by LEN (an int). */
#define SYNCMGR_ARRAY_MAX_LEN	INT_MAX

struct syncmgr_array {
	struct rcu_head rcu;		/* freed by kvfree_rcu: destroy is atomic */
	struct mutex mutex;		/* held across copies to the user */
	const struct syncmgr_tc *tc;
	u32 len;
	size_t charged;			/* true size, charged to user */
	struct syncmgr_user *user;	/* the creator's account (a reference) */
	u8 data[];			/* protected by mutex */
};

/* Fields of struct syncmgr_data a command reads; the others must be 0. */
#define SM_F_IN		BIT(0)
#define SM_F_OUT	BIT(1)
#define SM_F_INDEX	BIT(2)		/* start, stop, step, NO_START/NO_STOP */

static int syncmgr_value_fields(const struct syncmgr_data *d, unsigned int f)
{
	if (!(f & SM_F_IN) && (d->in || d->in_size || d->count))
		return -EINVAL;
	if (!(f & SM_F_OUT) && (d->out || d->out_size))
		return -EINVAL;
	if (!(f & SM_F_INDEX) && (d->start || d->stop || d->step || d->flags))
		return -EINVAL;
	if (d->flags & ~(SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP))
		return -EINVAL;
	if (d->deadline || d->cursor)
		return -EINVAL;
	return 0;
}

/* ---- Value ---- */

static const struct syncmgr_item *syncmgr_value_cur(struct syncmgr_cell *v)
{
	lockdep_assert_held(&v->mutex);
	return v->item ? v->item : &v->scalar;
}

/* Kept in place, without an item: None, bool, int, float. */
static bool syncmgr_value_is_scalar(const struct syncmgr_item *it)
{
	return it->type == SYNCMGR_VAL_NONE || it->type == SYNCMGR_VAL_BOOL ||
	       it->type == SYNCMGR_VAL_INT || it->type == SYNCMGR_VAL_DOUBLE;
}

/*
 * Under mutex: the scalar (type, data) becomes the value, charged to the
 * caller; the charge is left alone when the scalar in place is already
 * the caller's (same cost), so overwriting a number is only stores.
 * Returns the item it replaces, to free after the mutex, or an ERR_PTR
 * (nothing changed).
 */
static struct syncmgr_item *syncmgr_value_set_scalar(struct syncmgr_cell *v,
						     u16 type, u64 data)
{
	struct syncmgr_item *old = v->item;
	struct syncmgr_user *me;
	int ret;

	lockdep_assert_held(&v->mutex);
	if (old || !syncmgr_user_is_current(v->scalar.user)) {
		me = syncmgr_user_current();
		if (IS_ERR(me))
			return ERR_CAST(me);
		ret = syncmgr_scalar_charge(me);
		if (ret) {
			syncmgr_user_put(me);
			return ERR_PTR(ret);
		}
		if (!old) {
			syncmgr_scalar_uncharge(v->scalar.user);
			syncmgr_user_put(v->scalar.user);
		}
		v->scalar.user = me;
	}
	v->item = NULL;
	v->scalar.type = type;
	v->scalar.data = data;
	return old;
}

/* Under mutex: it (charged) becomes the value; returns the item it replaces. */
static struct syncmgr_item *syncmgr_value_set_item(struct syncmgr_cell *v,
						   struct syncmgr_item *it)
{
	struct syncmgr_item *old = v->item;

	lockdep_assert_held(&v->mutex);
	if (!old) {
		syncmgr_scalar_uncharge(v->scalar.user);
		syncmgr_user_put(v->scalar.user);
		v->scalar.user = NULL;
	}
	v->item = it;
	return old;
}

/* Copy cur out to the caller (room checked first); 0 or -errno. */
static int syncmgr_put_one(struct syncmgr_out *o, const struct syncmgr_item *it)
{
	if (!syncmgr_out_room(o, it))
		return -EMSGSIZE;
	return syncmgr_out_put(o, it);
}

static long syncmgr_value_load(struct syncmgr_cell *v, struct syncmgr_data *d)
{
	struct syncmgr_out o __uninitialized;
	int ret;

	syncmgr_out_init(&o, d, 1);
	mutex_lock(&v->mutex);
	ret = syncmgr_put_one(&o, syncmgr_value_cur(v));
	mutex_unlock(&v->mutex);
	return syncmgr_out_end(&o, ret);
}

/*
 * The value read in as a key (item.c: on the stack when small) and kept
 * as an item only if it is not a scalar.  Storing a handle makes the
 * Value a container: refuse a store that would make obj reachable from
 * itself.
 */
static long syncmgr_value_store(struct syncmgr_obj *obj, struct syncmgr_data *d)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_key k __uninitialized;
	struct syncmgr_item *it = NULL, *old;
	struct syncmgr_nest nest = { };
	int ret;

	if (d->count != 1)
		return -EINVAL;
	ret = syncmgr_keys_in(d, &k, 1);
	if (ret)
		return ret;
	if (!syncmgr_value_is_scalar(k.it)) {
		it = syncmgr_key_keep(&k);
		if (IS_ERR(it)) {
			ret = PTR_ERR(it);
			goto out;
		}
		ret = syncmgr_nest_begin(&nest, obj, NULL, it, NULL);
	}
	if (!ret)
		ret = syncmgr_nest_lock(&nest, &v->mutex);
	if (ret) {
		syncmgr_nest_end(&nest);
		syncmgr_item_free(it);
		goto out;
	}
	if (it)
		old = syncmgr_value_set_item(v, it);
	else
		old = syncmgr_value_set_scalar(v, k.it->type, k.it->data);
	mutex_unlock(&v->mutex);
	syncmgr_nest_end(&nest);
	if (IS_ERR(old))
		ret = PTR_ERR(old);
	else
		syncmgr_item_free(old);
out:
	syncmgr_keys_free(&k, 1);
	return ret;
}

/*
 * Under mutex: the Value's int or bool cur plus b, in *sum; EINVAL if
 * the Value holds something else, ERANGE on overflow.
 */
static int syncmgr_value_sum(const struct syncmgr_item *cur, s64 b, s64 *sum)
{
	s64 a;
	int ret = syncmgr_item_int(cur, &a);

	if (!ret && check_add_overflow(a, b, sum))
		ret = -ERANGE;
	return ret;
}

/* Under mutex: the sum becomes the value; *old is the item to free. */
static int syncmgr_value_set_sum(struct syncmgr_cell *v, s64 sum,
				 struct syncmgr_item **old)
{
	struct syncmgr_item *it = syncmgr_value_set_scalar(v, SYNCMGR_VAL_INT,
							   (u64)sum);

	if (IS_ERR(it))
		return PTR_ERR(it);
	*old = it;
	return 0;
}

/*
 * ADD: an INT (or BOOL) delta to an INT (or BOOL) value; the sum is an
 * INT.  Doubles: the kernel has no FPU, libsync loops on CMPXCHG.
 */
static long syncmgr_value_add(struct syncmgr_cell *v, struct syncmgr_data *d)
{
	struct syncmgr_key delta __uninitialized;
	const struct syncmgr_item *cur;
	struct syncmgr_item *old = NULL;
	struct syncmgr_out o __uninitialized;
	s64 b, sum;
	int ret;

	if (d->count != 1)
		return -EINVAL;
	ret = syncmgr_keys_in(d, &delta, 1);
	if (ret)
		return ret;
	ret = syncmgr_item_int(delta.it, &b);
	syncmgr_keys_free(&delta, 1);
	if (ret)
		return ret;
	syncmgr_out_init(&o, d, 1);
	mutex_lock(&v->mutex);
	cur = syncmgr_value_cur(v);
	ret = syncmgr_value_sum(cur, b, &sum);
	if (!ret)
		ret = syncmgr_put_one(&o, cur);
	if (!ret)
		ret = syncmgr_value_set_sum(v, sum, &old);
	mutex_unlock(&v->mutex);
	syncmgr_item_free(old);
	ret = syncmgr_out_end(&o, ret);
	return ret < 0 ? ret : 0;
}

/*
 * SCALAR_LOAD/STORE/ADD (the core checked the type and val): a Value's
 * number with one 16-byte struct.  ADD writes the value before under the
 * mutex, ahead of any change, so a fault leaves the Value as it was.
 */
static long syncmgr_value_scalar(struct syncmgr_obj *obj, unsigned int cmd,
				 const struct syncmgr_value *val,
				 struct syncmgr_value __user *argp)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_item *old = NULL;
	const struct syncmgr_item *cur;
	struct syncmgr_value before = { };
	s64 sum;
	int ret = 0;

	mutex_lock(&v->mutex);
	cur = syncmgr_value_cur(v);
	before.type = cur->type;
	before.data = cur->data;
	switch (cmd) {
	case SYNCMGR_IOC_SCALAR_LOAD:
		if (!syncmgr_value_is_scalar(cur))
			ret = -EMSGSIZE;
		break;
	case SYNCMGR_IOC_SCALAR_STORE:
		old = syncmgr_value_set_scalar(v, val->type, val->data);
		if (IS_ERR(old)) {
			ret = PTR_ERR(old);
			old = NULL;
		}
		break;
	case SYNCMGR_IOC_SCALAR_ADD:
		ret = val->type == SYNCMGR_VAL_INT || val->type == SYNCMGR_VAL_BOOL ?
		      syncmgr_value_sum(cur, (s64)val->data, &sum) : -EINVAL;
		if (!ret && copy_to_user(argp, &before, sizeof(before)))
			ret = -EFAULT;
		if (!ret)
			ret = syncmgr_value_set_sum(v, sum, &old);
		break;
	}
	mutex_unlock(&v->mutex);
	syncmgr_item_free(old);
	if (!ret && cmd == SYNCMGR_IOC_SCALAR_LOAD &&
	    copy_to_user(argp, &before, sizeof(before)))
		ret = -EFAULT;
	return ret;
}

/*
 * in: expected, new.  Returns 1 if new was stored; out: the value found.
 * Both are read in as keys: expected is only compared, and new is kept as
 * an item only if it is not a scalar.
 */
static long syncmgr_value_cmpxchg(struct syncmgr_obj *obj,
				  struct syncmgr_data *d)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_item *it = NULL, *old = NULL;
	struct syncmgr_key kv[2] __uninitialized;
	const struct syncmgr_item *cur;
	struct syncmgr_nest nest = { };
	bool stored = false;
	struct syncmgr_out o __uninitialized;
	int ret;

	if (d->count != 2)
		return -EINVAL;
	ret = syncmgr_keys_in(d, kv, 2);
	if (ret)
		return ret;
	if (!syncmgr_value_is_scalar(kv[1].it)) {
		it = syncmgr_key_keep(&kv[1]);
		if (IS_ERR(it)) {
			ret = PTR_ERR(it);
			it = NULL;
			goto free;
		}
	}
	syncmgr_out_init(&o, d, 1);
	if (it)
		ret = syncmgr_nest_begin(&nest, obj, NULL, it, NULL);
	if (!ret)
		ret = syncmgr_nest_lock(&nest, &v->mutex);
	if (ret) {
		syncmgr_nest_end(&nest);
		syncmgr_out_end(&o, ret);
		goto free;
	}
	cur = syncmgr_value_cur(v);
	ret = syncmgr_put_one(&o, cur);
	if (!ret && syncmgr_item_equal(cur, kv[0].it)) {
		if (it)
			old = syncmgr_value_set_item(v, it);
		else
			old = syncmgr_value_set_scalar(v, kv[1].it->type,
						       kv[1].it->data);
		if (IS_ERR(old)) {
			ret = PTR_ERR(old);
			old = NULL;
		} else {
			it = NULL;
			stored = true;
		}
	}
	mutex_unlock(&v->mutex);
	syncmgr_nest_end(&nest);
	syncmgr_item_free(old);
	ret = syncmgr_out_end(&o, ret);
	if (ret >= 0)
		ret = stored;
free:
	syncmgr_item_free(it);
	syncmgr_keys_free(kv, 2);
	return ret;
}

static long syncmgr_value_data(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d)
{
	struct syncmgr_cell *v = obj->priv;
	int ret;

	switch (cmd) {
	case SYNCMGR_IOC_LOAD:
		ret = syncmgr_value_fields(d, SM_F_OUT);
		return ret ? ret : syncmgr_value_load(v, d);
	case SYNCMGR_IOC_STORE:
		ret = syncmgr_value_fields(d, SM_F_IN);
		return ret ? ret : syncmgr_value_store(obj, d);
	case SYNCMGR_IOC_ADD:
		ret = syncmgr_value_fields(d, SM_F_IN | SM_F_OUT);
		return ret ? ret : syncmgr_value_add(v, d);
	case SYNCMGR_IOC_CMPXCHG:
		ret = syncmgr_value_fields(d, SM_F_IN | SM_F_OUT);
		return ret ? ret : syncmgr_value_cmpxchg(obj, d);
	}
	return -EBADFD;
}

/* The object a stored handle keeps alive, for the cycle check. */
static int syncmgr_value_handles(struct syncmgr_obj *obj,
				 struct syncmgr_obj ***held)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_obj **h;
	int n = 0;

	*held = NULL;
	if (obj->type != SYNCMGR_TYPE_VALUE)
		return 0;
	h = kvmalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	if (mutex_lock_killable(&v->mutex)) {
		kvfree(h);
		return -EINTR;
	}
	if (v->item && v->item->obj) {
		h[n++] = v->item->obj;
		refcount_inc(&v->item->obj->ref);
	}
	mutex_unlock(&v->mutex);
	*held = h;
	return n;
}

/* ---- Array: elements, in software floating point ---- */

/* int64 -> binary64 bits, rounded to nearest, ties to even. */
static u64 syncmgr_i64_to_f64(s64 v)
{
	u64 sign = 0, m = (u64)v, rem, half;
	int exp, shift;

	if (!v)
		return 0;
	if (v < 0) {
		sign = 1ULL << 63;
		m = -(u64)v;
	}
	exp = fls64(m) - 1;
	if (exp <= 52) {
		m <<= 52 - exp;
	} else {
		shift = exp - 52;
		rem = m & ((1ULL << shift) - 1);
		half = 1ULL << (shift - 1);
		m >>= shift;
		if (rem > half || (rem == half && (m & 1)))
			m++;
		if (m == 1ULL << 53) {
			m >>= 1;
			exp++;
		}
	}
	return sign | (u64)(exp + 1023) << 52 | (m & ((1ULL << 52) - 1));
}

/* binary32 bits -> binary64 bits: exact (a NaN comes out quiet). */
static u64 syncmgr_f32_to_f64(u32 f)
{
	u64 sign = (u64)(f >> 31) << 63;
	u32 exp = (f >> 23) & 0xff, mant = f & 0x7fffff;
	int p;

	if (exp == 0xff)
		return sign | 0x7ffULL << 52 | (u64)mant << 29 |
		       (mant ? 1ULL << 51 : 0);
	if (!exp) {
		if (!mant)
			return sign;
		p = fls(mant) - 1;		/* x = 1.f * 2^(p - 149) */
		mant = (mant << (23 - p)) & 0x7fffff;
		return sign | (u64)(p - 149 + 1023) << 52 | (u64)mant << 29;
	}
	return sign | (u64)(exp - 127 + 1023) << 52 | (u64)mant << 29;
}

/*
 * binary64 bits -> binary32 bits, rounded to nearest, ties to even, as a
 * C cast does; a finite value that rounds beyond FLT_MAX: -EOVERFLOW (as
 * struct.pack('f') raises OverflowError).  Infinities and NaNs pass.
 */
static int syncmgr_f64_to_f32(u64 d, u32 *out)
{
	u32 sign = (u32)(d >> 63) << 31;
	int exp = (d >> 52) & 0x7ff, e, shift;
	u64 mant = d & ((1ULL << 52) - 1), m, rem, half;

	if (exp == 0x7ff) {
		*out = sign | 0x7f800000 |
		       (mant ? 0x400000 | (u32)(mant >> 29) : 0);
		return 0;
	}
	*out = sign;
	if (!exp)			/* zero or below 2^-1022: rounds to 0 */
		return 0;
	mant |= 1ULL << 52;
	e = exp - 1023;			/* x = mant * 2^(e - 52) */
	shift = e >= -126 ? 29 : -97 - e;
	if (shift > 53)			/* below half the least subnormal */
		return 0;
	rem = mant & ((1ULL << shift) - 1);
	half = 1ULL << (shift - 1);
	m = mant >> shift;
	if (rem > half || (rem == half && (m & 1)))
		m++;
	if (e < -126) {			/* subnormal, or rounded up to 2^-126 */
		*out |= (u32)m;
		return 0;
	}
	if (m == 1ULL << 24) {
		m >>= 1;
		e++;
	}
	if (e > 127)
		return -EOVERFLOW;
	*out |= (u32)(e + 127) << 23 | ((u32)m & 0x7fffff);
	return 0;
}

/* The native bits of a value for tc: -EINVAL wrong kind, -EOVERFLOW range. */
static int syncmgr_elem_bits(const struct syncmgr_tc *tc,
			     const struct syncmgr_item *it, u64 *bits)
{
	s64 v, max;
	u32 f;
	int ret;

	if (tc->is_float) {
		if (it->type == SYNCMGR_VAL_DOUBLE)
			*bits = it->data;
		else if (!syncmgr_item_int(it, &v))
			*bits = syncmgr_i64_to_f64(v);
		else
			return -EINVAL;
		if (tc->size == 8)
			return 0;
		ret = syncmgr_f64_to_f32(*bits, &f);
		*bits = f;
		return ret;
	}
	ret = syncmgr_item_int(it, &v);
	if (ret)
		return ret;
	if (tc->size == 8) {
		/* 'Q'/'L': an INT value cannot carry 2^63 and up. */
		if (!tc->is_signed && v < 0)
			return -EOVERFLOW;
	} else {
		max = tc->is_signed ? (1LL << (tc->size * 8 - 1)) - 1 :
				      (1LL << (tc->size * 8)) - 1;
		if (v > max || v < (tc->is_signed ? -max - 1 : 0))
			return -EOVERFLOW;
	}
	*bits = (u64)v;
	return 0;
}

static void *syncmgr_elem(struct syncmgr_array *a, u32 i)
{
	return a->data + (size_t)i * a->tc->size;
}

static void syncmgr_elem_set(struct syncmgr_array *a, u32 i, u64 bits)
{
	void *p = syncmgr_elem(a, i);

	lockdep_assert_held(&a->mutex);
	switch (a->tc->size) {
	case 1:
		*(u8 *)p = bits;
		break;
	case 2:
		*(u16 *)p = bits;
		break;
	case 4:
		*(u32 *)p = bits;
		break;
	default:
		*(u64 *)p = bits;
	}
}

/* Element i as the value it travels as (a stack item: no handle). */
static void syncmgr_elem_get(struct syncmgr_array *a, u32 i,
			     struct syncmgr_item *it)
{
	const struct syncmgr_tc *tc = a->tc;
	void *p = syncmgr_elem(a, i);
	u64 v;

	lockdep_assert_held(&a->mutex);
	memset(it, 0, sizeof(*it));
	switch (tc->size) {
	case 1:
		v = tc->is_signed ? (u64)(s64)*(s8 *)p : *(u8 *)p;
		break;
	case 2:
		v = tc->is_signed ? (u64)(s64)*(s16 *)p : *(u16 *)p;
		break;
	case 4:
		v = tc->is_signed && !tc->is_float ? (u64)(s64)*(s32 *)p :
						     *(u32 *)p;
		break;
	default:
		v = *(u64 *)p;
	}
	it->type = tc->is_float ? SYNCMGR_VAL_DOUBLE : SYNCMGR_VAL_INT;
	it->data = tc->is_float && tc->size == 4 ? syncmgr_f32_to_f64(v) : v;
}

/* ---- Array: indices and slices, as Python normalises them ---- */

/* One index (step 0): negative counts from the end; -ERANGE outside. */
static int syncmgr_array_index(struct syncmgr_array *a,
			       const struct syncmgr_data *d, u32 *i)
{
	s64 idx = d->start;

	if (d->flags || d->stop)
		return -EINVAL;
	if (idx < 0)
		idx += a->len;
	if (idx < 0 || idx >= a->len)
		return -ERANGE;
	*i = idx;
	return 0;
}

/* Which elements a LOAD/STORE names: one index, or a slice. */
static int syncmgr_array_range(struct syncmgr_array *a,
			       const struct syncmgr_data *d,
			       struct syncmgr_slice *s)
{
	u32 i = 0;
	int ret;

	if (d->step) {
		syncmgr_slice_indices(d, a->len, s);
		return 0;
	}
	ret = syncmgr_array_index(a, d, &i);
	s->start = i;
	s->step = 1;
	s->n = 1;
	return ret;
}

/* ---- Array: operations ---- */

static long syncmgr_array_load(struct syncmgr_array *a, struct syncmgr_data *d)
{
	struct syncmgr_item it;
	struct syncmgr_slice s;
	struct syncmgr_out o __uninitialized;
	u32 k;
	int ret = syncmgr_array_range(a, d, &s);

	if (ret)
		return ret;
	syncmgr_out_init(&o, d, 1);
	/* Elements never carry handles: no fd slots are needed. */
	o.max = s.n;
	mutex_lock(&a->mutex);
	for (k = 0; k < s.n && !ret; k++) {
		syncmgr_elem_get(a, syncmgr_slice_at(&s, k), &it);
		if (!syncmgr_out_room(&o, &it))
			break;
		ret = syncmgr_out_put(&o, &it);
	}
	mutex_unlock(&a->mutex);
	return syncmgr_out_end(&o, ret);
}

/*
 * The values of in as native bits (*bits: kvfree), all checked before
 * anything changes.  The values are read (and charged) first, so no
 * count x 8 bytes are allocated for input that is not there.
 */
static int syncmgr_array_bits_in(struct syncmgr_array *a,
				 const struct syncmgr_data *d, u64 **bitsp)
{
	struct syncmgr_item *it;
	LIST_HEAD(items);
	u64 *bits;
	u32 k = 0;
	int ret = syncmgr_items_in(d, d->count, &items);

	if (ret)
		return ret;
	bits = syncmgr_mem_alloc(array_size(d->count, sizeof(*bits)), 0);
	if (!bits) {
		syncmgr_items_free(&items);
		return -ENOMEM;
	}
	*bitsp = bits;
	list_for_each_entry(it, &items, node) {
		ret = syncmgr_elem_bits(a->tc, it, &bits[k++]);
		if (ret)
			break;
	}
	syncmgr_items_free(&items);
	return ret;
}

static long syncmgr_array_store(struct syncmgr_array *a, struct syncmgr_data *d)
{
	struct syncmgr_slice s;
	u64 *bits = NULL;
	u32 k;
	int ret = syncmgr_array_range(a, d, &s);

	if (ret)
		return ret;
	if (d->count != s.n)
		return -EINVAL;
	if (!s.n)
		return d->in || d->in_size ? -EINVAL : 0;
	ret = syncmgr_array_bits_in(a, d, &bits);
	if (!ret) {
		mutex_lock(&a->mutex);
		for (k = 0; k < s.n; k++)
			syncmgr_elem_set(a, syncmgr_slice_at(&s, k), bits[k]);
		mutex_unlock(&a->mutex);
	}
	kvfree(bits);
	return ret;
}

/*
 * ADD (in: the delta) and CMPXCHG (in: expected, new) on one integer
 * element; out: the element before.  CMPXCHG returns 1 if it stored.
 */
static long syncmgr_array_rmw(struct syncmgr_array *a, unsigned int cmd,
			      struct syncmgr_data *d)
{
	bool add = cmd == SYNCMGR_IOC_ADD;
	struct syncmgr_key in[2] __uninitialized;
	struct syncmgr_item cur;
	struct syncmgr_out o __uninitialized;
	u64 bits = 0;
	s64 old, delta = 0, sum = 0;
	bool stored = false;
	u32 i;
	int ret;

	if (a->tc->is_float)
		return -EINVAL;
	ret = syncmgr_array_index(a, d, &i);
	if (ret)
		return ret;
	if (d->count != (add ? 1 : 2))
		return -EINVAL;
	/* Only looked at: read onto the stack, not allocated. */
	ret = syncmgr_keys_in(d, in, d->count);
	if (ret)
		return ret;
	ret = add ? syncmgr_item_int(in[0].it, &delta) :
		    syncmgr_elem_bits(a->tc, in[1].it, &bits);
	if (ret)
		goto free;
	syncmgr_out_init(&o, d, 1);
	mutex_lock(&a->mutex);
	syncmgr_elem_get(a, i, &cur);
	old = (s64)cur.data;
	if (add) {
		struct syncmgr_item tmp = { .type = SYNCMGR_VAL_INT };

		if (check_add_overflow(old, delta, &sum))
			ret = -EOVERFLOW;
		tmp.data = (u64)sum;
		if (!ret)
			ret = syncmgr_elem_bits(a->tc, &tmp, &bits);
		stored = !ret;
	} else {
		stored = syncmgr_item_equal(&cur, in[0].it);
	}
	if (!ret)
		ret = syncmgr_put_one(&o, &cur);
	if (!ret && stored)
		syncmgr_elem_set(a, i, bits);
	mutex_unlock(&a->mutex);
	ret = syncmgr_out_end(&o, ret);
	if (ret >= 0)
		ret = add ? 0 : stored;
free:
	syncmgr_keys_free(in, d->count);
	return ret;
}

static long syncmgr_array_data(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d)
{
	struct syncmgr_array *a = obj->priv;
	int ret;

	switch (cmd) {
	case SYNCMGR_IOC_LEN:
		ret = syncmgr_value_fields(d, 0);
		return ret ? ret : a->len;
	case SYNCMGR_IOC_LOAD:
		ret = syncmgr_value_fields(d, SM_F_OUT | SM_F_INDEX);
		return ret ? ret : syncmgr_array_load(a, d);
	case SYNCMGR_IOC_STORE:
		ret = syncmgr_value_fields(d, SM_F_IN | SM_F_INDEX);
		return ret ? ret : syncmgr_array_store(a, d);
	case SYNCMGR_IOC_ADD:
	case SYNCMGR_IOC_CMPXCHG:
		ret = syncmgr_value_fields(d, SM_F_IN | SM_F_OUT | SM_F_INDEX);
		return ret ? ret : syncmgr_array_rmw(a, cmd, d);
	}
	return -EBADFD;
}

/* ---- Both ---- */

static int syncmgr_array_init(struct syncmgr_obj *obj,
			      const struct syncmgr_create *args)
{
	const struct syncmgr_tc *tc = NULL;
	struct syncmgr_array *a;
	size_t bytes;
	unsigned int k;
	int ret;

	for (k = 0; k < ARRAY_SIZE(syncmgr_tcs); k++)
		if (args->typecode == syncmgr_tcs[k].code)
			tc = &syncmgr_tcs[k];
	if (!tc || args->value > SYNCMGR_ARRAY_MAX_LEN)
		return -EINVAL;
	bytes = sizeof(*a) + (size_t)args->value * tc->size;
	/* Charged to the creator at its true size, before it is allocated. */
	ret = syncmgr_mem_charge(obj->user, bytes);
	if (ret)
		return ret;
	a = syncmgr_mem_alloc(bytes, __GFP_ZERO);
	if (!a) {
		syncmgr_user_uncharge_bytes(obj->user, syncmgr_mem_size(bytes));
		return -ENOMEM;
	}
	mutex_init(&a->mutex);
	a->tc = tc;
	a->len = args->value;
	a->charged = syncmgr_mem_size(bytes);
	a->user = syncmgr_user_get(obj->user);
	obj->priv = a;
	return 0;
}

static int syncmgr_value_init(struct syncmgr_obj *obj,
			      const struct syncmgr_create *args)
{
	struct syncmgr_cell *v;

	if (obj->type == SYNCMGR_TYPE_ARRAY)
		return syncmgr_array_init(obj, args);
	v = syncmgr_priv_alloc(obj, sizeof(*v));
	if (IS_ERR(v))
		return PTR_ERR(v);
	mutex_init(&v->mutex);
	v->typecode = args->typecode;
	v->scalar.type = SYNCMGR_VAL_NONE;
	v->scalar.user = NULL;
	obj->priv = v;
	return 0;
}

/*
 * An Array may go in atomic context: nothing here sleeps for it.  A
 * Value's last reference goes in process context only (the exit probe
 * puts Locks and RLocks alone), so its item (maybe vmalloc'd) is freed
 * directly.
 */
static void syncmgr_value_destroy(struct syncmgr_obj *obj)
{
	struct syncmgr_array *a = obj->priv;
	struct syncmgr_cell *v = obj->priv;

	if (obj->type == SYNCMGR_TYPE_ARRAY) {
		syncmgr_user_uncharge_bytes(a->user, a->charged);
		syncmgr_user_put(a->user);
		kvfree_rcu(a, rcu);
		return;
	}
	syncmgr_item_free(v->item);
	syncmgr_scalar_uncharge(v->scalar.user);
	syncmgr_user_put(v->scalar.user);
	syncmgr_priv_free(obj, v, sizeof(*v));
}

static long syncmgr_value_ops_data(struct syncmgr_obj *obj, unsigned int cmd,
				   struct syncmgr_data *d,
				   struct syncmgr_data __user *argp)
{
	if (obj->type == SYNCMGR_TYPE_ARRAY)
		return syncmgr_array_data(obj, cmd, d);
	return syncmgr_value_data(obj, cmd, d);
}

/* A load never blocks. */
static bool syncmgr_value_ready(struct syncmgr_obj *obj)
{
	return true;
}

/* value: the Array's length (Value: 0); max: the typecode. */
static void syncmgr_value_state(struct syncmgr_obj *obj,
				struct syncmgr_state *st)
{
	struct syncmgr_array *a = obj->priv;
	struct syncmgr_cell *v = obj->priv;

	if (obj->type == SYNCMGR_TYPE_ARRAY) {
		st->value = a->len;
		st->max = a->tc->code;
	} else {
		st->max = v->typecode;
	}
}

const struct syncmgr_ops syncmgr_value_ops = {
	.features	= SYNCMGR_FEAT_VALUE | SYNCMGR_FEAT_SCALAR,
	.init		= syncmgr_value_init,
	.destroy	= syncmgr_value_destroy,
	.data		= syncmgr_value_ops_data,
	.scalar		= syncmgr_value_scalar,
	.handles	= syncmgr_value_handles,
	.ready		= syncmgr_value_ready,
	.state		= syncmgr_value_state,
};
