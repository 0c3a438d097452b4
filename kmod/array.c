// SPDX-License-Identifier: GPL-2.0
/*
 * Array: a fixed-length array of native numbers, stored as Python's array
 * module does; elements travel as INT values (integer typecodes; an
 * unsigned 64-bit element at 2^63 or above as a BIGINT, which fits no
 * INT), DOUBLE values ('f', 'd') or STR values of one character ('u',
 * a code point in 4 bytes as Python's wchar_t on Linux), with atomic add
 * and compare-and-exchange on one integer element.  The kernel has no FPU
 * here: float32 <-> binary64 and int64 -> binary64 are done on the bits,
 * with round-to-nearest-even.
 *
 * Elements never hold handles, so an Array is not a container.  Its mutex
 * is held while copying to or from user memory; nothing else is taken
 * under it.
 */
#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "item.h"

/* One Array typecode: its element size and the range of its numbers. */
struct syncmgr_tc {
	char code;
	u8 size;
	bool is_signed;
	bool is_float;
	bool is_char;			/* 'u': a code point, as a STR */
};

static const struct syncmgr_tc syncmgr_tcs[] = {
	{ 'b', 1, true }, { 'B', 1 }, { 'h', 2, true }, { 'H', 2 },
	{ 'i', 4, true }, { 'I', 4 }, { 'l', 8, true }, { 'L', 8 },
	{ 'q', 8, true }, { 'Q', 8 }, { 'f', 4, true, true },
	{ 'd', 8, true, true }, { 'u', 4, false, false, true },
};

/* 'Q', 'L': elements from 2^63 on come and go as a BIGINT of 9 bytes. */
static bool syncmgr_tc_u64(const struct syncmgr_tc *tc)
{
	return tc->size == 8 && !tc->is_signed;
}

/* The fewest bytes of two's complement for 2^63 .. 2^64 - 1: 8 and a 0. */
#define SYNCMGR_BIG_U64_LEN	9

/*
 * An element as the value it travels as: an item with room for the
 * longest payload one can have (a BIGINT's 9 bytes, a code point's 4).
 */
struct syncmgr_elem_item {
	u64 space[(sizeof(struct syncmgr_item) + 16) / sizeof(u64)];
};

static struct syncmgr_item *syncmgr_elem_item(struct syncmgr_elem_item *e)
{
	return (struct syncmgr_item *)e->space;
}

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

/*
 * A BIGINT going in as an unsigned 64-bit element: its bits if it is in
 * 2^63 .. 2^64 - 1 (9 bytes, the last 0), else -EOVERFLOW (any other
 * BIGINT is below -2^63 or above 2^64 - 1: fits no typecode).
 */
static int syncmgr_big_u64(const struct syncmgr_item *it, u64 *bits)
{
	__le64 le;

	if (it->len != SYNCMGR_BIG_U64_LEN || it->payload[8] ||
	    !(it->payload[7] & 0x80))
		return -EOVERFLOW;
	memcpy(&le, it->payload, sizeof(le));
	*bits = le64_to_cpu(le);
	return 0;
}

/* One code point from a STR of exactly one character (valid UTF-8). */
static int syncmgr_char_bits(const struct syncmgr_item *it, u64 *bits)
{
	const u8 *p = it->payload;
	u32 n, cp;

	if (it->type != SYNCMGR_VAL_STR || !it->len)
		return -EINVAL;
	n = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (it->len != n)
		return -EINVAL;		/* more than one character */
	cp = n == 1 ? p[0] : p[0] & (0x7f >> n);
	while (--n)
		cp = cp << 6 | (*++p & 0x3f);
	/* The codec refused surrogates and overlong forms: say so again. */
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -EINVAL;
	*bits = cp;
	return 0;
}

/* The native bits of a value for tc: -EINVAL wrong kind, -EOVERFLOW range. */
static int syncmgr_elem_bits(const struct syncmgr_tc *tc,
			     const struct syncmgr_item *it, u64 *bits)
{
	s64 v, max;
	u32 f;
	int ret;

	if (tc->is_char)
		return syncmgr_char_bits(it, bits);
	if (it->type == SYNCMGR_VAL_BIGINT && !tc->is_float)
		return syncmgr_tc_u64(tc) ? syncmgr_big_u64(it, bits) :
					    -EOVERFLOW;
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
		/* 'Q'/'L': 2^63 and up come as a BIGINT, never as an INT. */
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

/* A code point as UTF-8 into p (room for 4); returns its length. */
static u32 syncmgr_char_utf8(u32 cp, u8 *p)
{
	if (cp < 0x80) {
		p[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = 0xc0 | cp >> 6;
		p[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = 0xe0 | cp >> 12;
		p[1] = 0x80 | ((cp >> 6) & 0x3f);
		p[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	p[0] = 0xf0 | cp >> 18;
	p[1] = 0x80 | ((cp >> 12) & 0x3f);
	p[2] = 0x80 | ((cp >> 6) & 0x3f);
	p[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/*
 * Element i as the value it travels as, in e (no handle); its native
 * bits (an integer sign-extended) in *raw if raw.
 */
static struct syncmgr_item *syncmgr_elem_get(struct syncmgr_array *a, u32 i,
					     struct syncmgr_elem_item *e,
					     u64 *raw)
{
	struct syncmgr_item *it = syncmgr_elem_item(e);
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
	if (raw)
		*raw = v;
	if (tc->is_char) {
		it->type = SYNCMGR_VAL_STR;
		it->len = syncmgr_char_utf8(v, it->payload);
	} else if (syncmgr_tc_u64(tc) && v >> 63) {
		__le64 le = cpu_to_le64(v);

		it->type = SYNCMGR_VAL_BIGINT;
		it->len = SYNCMGR_BIG_U64_LEN;
		memcpy(it->payload, &le, sizeof(le));
		it->payload[8] = 0;
	} else {
		it->type = tc->is_float ? SYNCMGR_VAL_DOUBLE : SYNCMGR_VAL_INT;
		it->data = tc->is_float && tc->size == 4 ?
			   syncmgr_f32_to_f64(v) : v;
	}
	return it;
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

static long syncmgr_array_load(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d,
			       struct syncmgr_data __user *argp)
{
	struct syncmgr_array *a = obj->priv;
	struct syncmgr_elem_item e;
	struct syncmgr_item *it;
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
		it = syncmgr_elem_get(a, syncmgr_slice_at(&s, k), &e, NULL);
		if (!syncmgr_out_room(&o, it))
			break;
		ret = syncmgr_out_put(&o, it);
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

static long syncmgr_array_store(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_array *a = obj->priv;
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
 * old + delta as the bits of an integer element (old: its raw bits,
 * sign-extended); -EOVERFLOW if the sum does not fit the typecode.  An
 * unsigned 64-bit element sums in 0 .. 2^64 - 1, the others in int64
 * and then their range.
 */
static int syncmgr_elem_add(const struct syncmgr_tc *tc, u64 old, s64 delta,
			    u64 *bits)
{
	struct syncmgr_item tmp = { .type = SYNCMGR_VAL_INT };
	s64 sum;

	if (syncmgr_tc_u64(tc)) {
		if (delta >= 0 ? check_add_overflow(old, (u64)delta, bits) :
				 old < -(u64)delta)
			return -EOVERFLOW;
		if (delta < 0)
			*bits = old - -(u64)delta;
		return 0;
	}
	if (check_add_overflow((s64)old, delta, &sum))
		return -EOVERFLOW;
	tmp.data = (u64)sum;
	return syncmgr_elem_bits(tc, &tmp, bits);
}

/*
 * ADD (in: the delta) and CMPXCHG (in: expected, new) on one integer
 * element; out: the element before.  CMPXCHG returns 1 if it stored.
 */
static long syncmgr_array_rmw(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_array *a = obj->priv;
	bool add = cmd == SYNCMGR_IOC_ADD;
	struct syncmgr_key in[2] __uninitialized;
	struct syncmgr_elem_item e;
	struct syncmgr_item *cur;
	struct syncmgr_out o __uninitialized;
	u64 bits = 0, old;
	s64 delta = 0;
	bool stored = false;
	u32 i;
	int ret;

	if (a->tc->is_float || a->tc->is_char)
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
	cur = syncmgr_elem_get(a, i, &e, &old);
	if (add) {
		ret = syncmgr_elem_add(a->tc, old, delta, &bits);
		stored = !ret;
	} else {
		stored = syncmgr_item_equal(cur, in[0].it);
	}
	if (!ret)
		ret = syncmgr_out_one(&o, cur);
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

static long syncmgr_array_len(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_array *a = obj->priv;

	return a->len;
}

/* Nothing here sleeps: an Array's last reference may go anywhere. */
static void syncmgr_array_destroy(struct syncmgr_obj *obj)
{
	struct syncmgr_array *a = obj->priv;

	syncmgr_user_uncharge_bytes(a->user, a->charged);
	syncmgr_user_put(a->user);
	kvfree_rcu(a, rcu);
}

/* A load never blocks. */
static bool syncmgr_array_ready(struct syncmgr_obj *obj)
{
	return true;
}

/* value: the length; max: the typecode. */
static void syncmgr_array_state(struct syncmgr_obj *obj,
				struct syncmgr_state *st)
{
	struct syncmgr_array *a = obj->priv;

	st->value = a->len;
	st->max = a->tc->code;
}

static const struct syncmgr_ops syncmgr_array_ops = {
	.init		= syncmgr_array_init,
	.destroy	= syncmgr_array_destroy,
	.ready		= syncmgr_array_ready,
	.state		= syncmgr_array_state,
};

/* An element, or with a step a slice (stop, NO_START, NO_STOP). */
#define SYNCMGR_ARRAY_INDEX	(SYNCMGR_USES_START | SYNCMGR_USES_STOP | \
				 SYNCMGR_USES_STEP)
#define SYNCMGR_ARRAY_BOUNDS	(SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP)
#define SYNCMGR_ARRAY_IN	(SYNCMGR_USES_IN | SYNCMGR_USES_COUNT)

static const struct syncmgr_data_cmd syncmgr_array_cmds[SYNCMGR_DATA_SLOTS] = {
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LEN)] = { syncmgr_array_len },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LOAD)] = {
		syncmgr_array_load, SYNCMGR_USES_OUT | SYNCMGR_ARRAY_INDEX,
		SYNCMGR_ARRAY_BOUNDS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_STORE)] = {
		syncmgr_array_store, SYNCMGR_ARRAY_IN | SYNCMGR_ARRAY_INDEX,
		SYNCMGR_ARRAY_BOUNDS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_ADD)] = {
		syncmgr_array_rmw, SYNCMGR_ARRAY_IN | SYNCMGR_USES_OUT |
		SYNCMGR_ARRAY_INDEX, SYNCMGR_ARRAY_BOUNDS },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_CMPXCHG)] = {
		syncmgr_array_rmw, SYNCMGR_ARRAY_IN | SYNCMGR_USES_OUT |
		SYNCMGR_ARRAY_INDEX, SYNCMGR_ARRAY_BOUNDS },
};

const struct syncmgr_family syncmgr_array_family = {
	.name		= "Array",
	.features	= SYNCMGR_FEAT_VALUE,
	.create_args	= SYNCMGR_ARG_VALUE | SYNCMGR_ARG_TYPECODE,
	.ops		= &syncmgr_array_ops,
	.cmds		= syncmgr_array_cmds,
};
