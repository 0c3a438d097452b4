// SPDX-License-Identifier: GPL-2.0
/*
 * Python's equality, ordering and hashing over items, so that a dict finds
 * 1, 1.0 and True as one key and a list sorts as Python's does.  No
 * floating point is used: doubles are compared through their bits.
 */
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "item.h"

static siphash_key_t syncmgr_hash_key;
static atomic64_t syncmgr_nan_seq;	/* every NaN hashes apart */

void syncmgr_compare_init(void)
{
	get_random_bytes(&syncmgr_hash_key, sizeof(syncmgr_hash_key));
}

/*
 * A value looked at inside an item: the item itself (poff 0) or an
 * element of its tree (its payload at poff >= 16 in it->payload).
 * Composite values are walked with these and explicit stacks, never by
 * recursion: their depth is the user's choice (bounded by
 * max_value_depth at copy-in, at most SYNCMGR_MAX_TREE_DEPTH).
 */
struct syncmgr_vw {
	const struct syncmgr_item *it;
	u16 type;
	u32 len;
	u32 poff;
	u64 data;
};

static void syncmgr_vw_top(struct syncmgr_vw *v, const struct syncmgr_item *it)
{
	*v = (struct syncmgr_vw){ .it = it, .type = it->type, .len = it->len,
				  .data = it->data };
}

/* The element whose header is at off in it's payload. */
static void syncmgr_vw_at(struct syncmgr_vw *v, const struct syncmgr_item *it,
			  u32 off)
{
	struct syncmgr_value h;

	memcpy(&h, it->payload + off, sizeof(h));
	*v = (struct syncmgr_vw){ .it = it, .type = h.type, .len = h.len,
				  .data = h.data, .poff = off + sizeof(h) };
}

static const u8 *syncmgr_vw_bytes(const struct syncmgr_vw *v)
{
	return v->it->payload + v->poff;
}

/* Bytes from v's header to the next value's. */
static u32 syncmgr_vw_size(const struct syncmgr_vw *v)
{
	return SYNCMGR_VALUE_SIZE(v->len);
}

/* TAGGED is seen as the value it dresses: skip the tag. */
static void syncmgr_vw_unwrap(struct syncmgr_vw *v)
{
	struct syncmgr_vw tag;

	if (v->type != SYNCMGR_VAL_TAGGED)
		return;
	syncmgr_vw_at(&tag, v->it, v->poff);
	syncmgr_vw_at(v, v->it, v->poff + syncmgr_vw_size(&tag));
}

static struct syncmgr_obj *syncmgr_vw_obj(const struct syncmgr_vw *v)
{
	return v->poff ? syncmgr_item_tree(v->it)->objs[v->data] : v->it->obj;
}

/* The DICT or FROZENSET node v is (nodes[] is in payload order). */
static u32 syncmgr_vw_node(const struct syncmgr_vw *v)
{
	const struct syncmgr_tree *t = syncmgr_item_tree(v->it);
	u32 lo = 0, hi = t->nnodes, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (t->nodes[mid].poff <= v->poff)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Numbers: bool, int, double and bigint compare as Python's numbers do.
 * A double is split into sign, an integer part (saturated beyond 2^63)
 * and whether a fraction remains, without any floating point.
 */
enum syncmgr_num_class {
	SYNCMGR_NUM_FINITE,
	SYNCMGR_NUM_INF,
	SYNCMGR_NUM_NAN,
};

struct syncmgr_num {
	enum syncmgr_num_class class;
	bool neg;
	bool big;		/* beyond any int64 (an integer) */
	u64 mag;		/* |integer part| when !big */
	bool frac;		/* a fraction remains */
};

static bool syncmgr_is_number(u16 type)
{
	return type == SYNCMGR_VAL_BOOL || type == SYNCMGR_VAL_INT ||
	       type == SYNCMGR_VAL_DOUBLE || type == SYNCMGR_VAL_BIGINT;
}

static void syncmgr_num_of(u16 type, u64 bits, struct syncmgr_num *n)
{
	u64 mant;
	int exp;

	memset(n, 0, sizeof(*n));
	if (type != SYNCMGR_VAL_DOUBLE) {
		s64 i = (s64)bits;

		n->neg = i < 0;
		n->mag = n->neg ? -(u64)i : (u64)i;
		return;
	}
	n->neg = bits >> 63;
	exp = (bits >> 52) & 0x7ff;
	mant = bits & ((1ULL << 52) - 1);
	if (exp == 0x7ff) {
		n->class = mant ? SYNCMGR_NUM_NAN : SYNCMGR_NUM_INF;
		return;
	}
	if (exp == 0) {			/* zero or subnormal: |x| < 1 */
		n->frac = mant != 0;
		return;
	}
	mant |= 1ULL << 52;
	exp -= 1075;			/* x = mant * 2^exp */
	if (exp == 11 && mant == 1ULL << 52 && n->neg) {
		n->mag = 1ULL << 63;	/* -2^63: INT64_MIN, an int64 */
	} else if (exp >= 11) {
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
	if (a->class == SYNCMGR_NUM_INF || b->class == SYNCMGR_NUM_INF) {
		if (a->class == b->class)
			return 0;
		return a->class == SYNCMGR_NUM_INF ? sign : -sign;
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

static int syncmgr_big_cmp(u64 a, u64 b)
{
	u64 x = a & ~(1ULL << 63), y = b & ~(1ULL << 63);
	int sign = (a >> 63) ? -1 : 1;

	if (x == y)
		return 0;
	return x > y ? sign : -sign;
}

/*
 * A BIGINT: two's complement, little-endian, the fewest bytes, beyond
 * int64 (checked at copy-in).  Two of them order by sign, then length
 * (more bytes: further from zero), then their bytes from the top.
 */
static int syncmgr_bigint_cmp(const u8 *a, u32 la, const u8 *b, u32 lb)
{
	bool na = a[la - 1] & 0x80, nb = b[lb - 1] & 0x80;
	u32 i;

	if (na != nb)
		return na ? -1 : 1;
	if (la != lb)
		return (la > lb) != na ? 1 : -1;
	for (i = la; i--; )
		if (a[i] != b[i])
			return a[i] > b[i] ? 1 : -1;
	return 0;
}

/* The largest BIGINT a double can be: 2^1024 needs 129 bytes, and a sign. */
#define SYNCMGR_DOUBLE_BIG	136

/*
 * A double at or beyond 2^63 in magnitude (n->big: an integer) as a
 * BIGINT's bytes, exactly; returns their number.
 */
static u32 syncmgr_double_bigint(u64 bits, u8 *buf)
{
	u64 mant = (bits & ((1ULL << 52) - 1)) | 1ULL << 52;
	u32 sh = ((bits >> 52) & 0x7ff) - 1075, len, i;
	bool neg = bits >> 63;
	unsigned int carry = 1;

	memset(buf, 0, SYNCMGR_DOUBLE_BIG);
	for (i = 0; i < 53; i++)
		if (mant & (1ULL << i))
			buf[(sh + i) / 8] |= 1 << ((sh + i) % 8);
	len = (sh + 53 + 7) / 8 + 1;	/* room for a sign bit */
	if (neg) {
		for (i = 0; i < len; i++) {
			carry += (u8)~buf[i];
			buf[i] = carry;
			carry >>= 8;
		}
	}
	while (len > 1 && ((buf[len - 1] == 0 && !(buf[len - 2] & 0x80)) ||
			   (buf[len - 1] == 0xff && (buf[len - 2] & 0x80))))
		len--;
	return len;
}

/* Order a BIGINT against any number: -1, 0, 1, or 2 if unordered (NaN). */
static int syncmgr_bigint_vs(const struct syncmgr_vw *a,
			     const struct syncmgr_vw *b)
{
	const u8 *p = syncmgr_vw_bytes(a);
	int sign = (p[a->len - 1] & 0x80) ? -1 : 1;
	u8 buf[SYNCMGR_DOUBLE_BIG];
	struct syncmgr_num n;
	u32 len;

	if (b->type == SYNCMGR_VAL_BIGINT)
		return syncmgr_bigint_cmp(p, a->len, syncmgr_vw_bytes(b), b->len);
	if (b->type != SYNCMGR_VAL_DOUBLE)
		return sign;		/* any int64 lies between */
	syncmgr_num_of(b->type, b->data, &n);
	if (n.class == SYNCMGR_NUM_NAN)
		return 2;
	if (n.class == SYNCMGR_NUM_INF)
		return n.neg ? 1 : -1;
	if (!n.big)
		return sign;		/* |b| < 2^63 <= |a| */
	len = syncmgr_double_bigint(b->data, buf);
	return syncmgr_bigint_cmp(p, a->len, buf, len);
}

/* Order two numbers: -1, 0, 1, or 2 if unordered (NaN). */
static int syncmgr_number_cmp(const struct syncmgr_vw *a,
			      const struct syncmgr_vw *b)
{
	struct syncmgr_num x, y;
	int c;

	if (a->type == SYNCMGR_VAL_BIGINT)
		return syncmgr_bigint_vs(a, b);
	if (b->type == SYNCMGR_VAL_BIGINT) {
		c = syncmgr_bigint_vs(b, a);
		return c == 2 ? 2 : -c;
	}
	syncmgr_num_of(a->type, a->data, &x);
	syncmgr_num_of(b->type, b->data, &y);
	if (x.class == SYNCMGR_NUM_NAN || y.class == SYNCMGR_NUM_NAN)
		return 2;
	c = syncmgr_num_cmp(&x, &y);
	if (!c && x.big && y.big)
		c = syncmgr_big_cmp(a->data, b->data);
	if (!c && (x.frac || y.frac) && a->type == SYNCMGR_VAL_DOUBLE &&
	    b->type == SYNCMGR_VAL_DOUBLE)
		c = syncmgr_big_cmp(a->data, b->data);	/* same sign, int part */
	return c;
}

/* An INT or a BOOL: equal, hashed and ordered by its int64 alone. */
static bool syncmgr_is_integer(u16 type)
{
	return type == SYNCMGR_VAL_INT || type == SYNCMGR_VAL_BOOL;
}

/*
 * The explicit stack of the walks over two trees.  Small trees use the
 * frames inside it; a deeper one gets a larger array.  Its size is
 * bounded by the depth (at most 2 * SYNCMGR_MAX_TREE_DEPTH + 2 frames,
 * about 2 KiB), so the allocation is a small one that may not fail:
 * equality has no error to report.
 */
struct syncmgr_cmp_frame {
	u32 a, b;		/* SEQ: header offsets; SET: node indices */
	u32 na, nb;		/* values left (SET and equality: na only) */
	bool set;
};

#define SYNCMGR_CMP_INLINE	8

struct syncmgr_cmp_stack {
	struct syncmgr_cmp_frame *f;
	u32 n, cap;
	struct syncmgr_cmp_frame inl[SYNCMGR_CMP_INLINE];
};

static void syncmgr_cmp_init(struct syncmgr_cmp_stack *st)
{
	st->f = st->inl;
	st->n = 0;
	st->cap = SYNCMGR_CMP_INLINE;
}

static void syncmgr_cmp_push(struct syncmgr_cmp_stack *st,
			     struct syncmgr_cmp_frame fr)
{
	struct syncmgr_cmp_frame *f;

	if (st->n == st->cap) {
		f = kmalloc_array(st->cap * 2, sizeof(*f),
				  GFP_KERNEL | __GFP_NOFAIL);
		memcpy(f, st->f, st->n * sizeof(*f));
		if (st->f != st->inl)
			kfree(st->f);
		st->f = f;
		st->cap *= 2;
	}
	st->f[st->n++] = fr;
}

static void syncmgr_cmp_done(struct syncmgr_cmp_stack *st)
{
	if (st->f != st->inl)
		kfree(st->f);
}

/* Let others run now and then in a walk as long as a user's value. */
static void syncmgr_cmp_step(u32 *steps)
{
	if (!(++*steps % 4096))
		cond_resched();
}

/* 0 unequal, 1 equal, 2 both composites of one kind and size: look in. */
static int syncmgr_vw_equal(const struct syncmgr_vw *a,
			    const struct syncmgr_vw *b)
{
	if (syncmgr_is_integer(a->type) && syncmgr_is_integer(b->type))
		return a->data == b->data;
	if (syncmgr_is_number(a->type) && syncmgr_is_number(b->type))
		return syncmgr_number_cmp(a, b) == 0;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case SYNCMGR_VAL_NONE:
		return 1;
	case SYNCMGR_VAL_HANDLE:
		return syncmgr_vw_obj(a) == syncmgr_vw_obj(b);
	case SYNCMGR_VAL_TUPLE:
	case SYNCMGR_VAL_LIST:
	case SYNCMGR_VAL_DICT:
	case SYNCMGR_VAL_FROZENSET:
		if (a->data != b->data)
			return 0;
		return a->data ? 2 : 1;
	}
	return a->len == b->len &&
	       !memcmp(syncmgr_vw_bytes(a), syncmgr_vw_bytes(b), a->len);
}

/*
 * Push the elements of two composites of one kind and size to compare.
 * TUPLE and LIST: in order.  DICT and FROZENSET: each node's keys (or
 * elements) are sorted by hash at copy-in, and a node never holds two
 * of equal hash (equal keys, or a genuine 64-bit SipHash collision, are
 * refused then), so two equal nodes have the same sorted hashes and the
 * k-th of one can only equal the k-th of the other: compare the hashes
 * (linear), then those pairs.  False if they already differ.
 */
static bool syncmgr_cmp_children(struct syncmgr_cmp_stack *st,
				 const struct syncmgr_vw *a,
				 const struct syncmgr_vw *b)
{
	const struct syncmgr_tree *ta, *tb;
	const struct syncmgr_tree_node *x, *y;
	u32 i, ia, ib;

	if (a->type == SYNCMGR_VAL_TUPLE || a->type == SYNCMGR_VAL_LIST) {
		syncmgr_cmp_push(st, (struct syncmgr_cmp_frame){
			.a = a->poff, .b = b->poff, .na = a->data });
		return true;
	}
	ta = syncmgr_item_tree(a->it);
	tb = syncmgr_item_tree(b->it);
	ia = syncmgr_vw_node(a);
	ib = syncmgr_vw_node(b);
	x = &ta->nodes[ia];
	y = &tb->nodes[ib];
	for (i = 0; i < x->count; i++)
		if (ta->idx[x->first + i].hash != tb->idx[y->first + i].hash)
			return false;
	syncmgr_cmp_push(st, (struct syncmgr_cmp_frame){
		.a = ia, .b = ib, .na = x->count, .set = true });
	return true;
}

/* Python's a == b for two values (TAGGED already seen through). */
static bool syncmgr_tree_equal(const struct syncmgr_vw *va,
			       const struct syncmgr_vw *vb)
{
	const struct syncmgr_tree *ta = syncmgr_item_tree(va->it);
	const struct syncmgr_tree *tb = syncmgr_item_tree(vb->it);
	const struct syncmgr_tree_node *x, *y;
	struct syncmgr_cmp_stack st __uninitialized;
	struct syncmgr_cmp_frame *f;
	struct syncmgr_vw a, b;
	bool eq = true;
	u32 k, steps = 0;
	int r;

	r = syncmgr_vw_equal(va, vb);
	if (r != 2)
		return r;
	syncmgr_cmp_init(&st);
	if (!syncmgr_cmp_children(&st, va, vb))
		eq = false;
	while (eq && st.n) {
		f = &st.f[st.n - 1];
		if (!f->na) {
			st.n--;
			continue;
		}
		f->na--;
		if (!f->set) {
			syncmgr_vw_at(&a, va->it, f->a);
			syncmgr_vw_at(&b, vb->it, f->b);
			f->a += syncmgr_vw_size(&a);
			f->b += syncmgr_vw_size(&b);
		} else {
			x = &ta->nodes[f->a];
			y = &tb->nodes[f->b];
			k = x->count - f->na - 1;
			if (x->type == SYNCMGR_VAL_DICT) {
				/* The key and the value after it, in order. */
				syncmgr_cmp_push(&st, (struct syncmgr_cmp_frame){
					.a = ta->idx[x->first + k].off,
					.b = tb->idx[y->first + k].off,
					.na = 2 });
				continue;
			}
			syncmgr_vw_at(&a, va->it, ta->idx[x->first + k].off);
			syncmgr_vw_at(&b, vb->it, tb->idx[y->first + k].off);
		}
		syncmgr_vw_unwrap(&a);
		syncmgr_vw_unwrap(&b);
		r = syncmgr_vw_equal(&a, &b);
		if (!r || (r == 2 && !syncmgr_cmp_children(&st, &a, &b)))
			eq = false;
		syncmgr_cmp_step(&steps);
	}
	syncmgr_cmp_done(&st);
	return eq;
}

bool syncmgr_item_equal(const struct syncmgr_item *a,
			const struct syncmgr_item *b)
{
	struct syncmgr_vw x, y;

	syncmgr_vw_top(&x, a);
	syncmgr_vw_top(&y, b);
	syncmgr_vw_unwrap(&x);
	syncmgr_vw_unwrap(&y);
	return syncmgr_tree_equal(&x, &y);
}

/*
 * Order two values that are not TUPLE/LIST pairs: 0 and *res, or
 * -EINVAL if Python cannot (NaN is ordered as Python's "not less" rules
 * make it: as equal).
 */
static int syncmgr_leaf_order(const struct syncmgr_vw *a,
			      const struct syncmgr_vw *b, int *res)
{
	int c;

	if (syncmgr_is_number(a->type) && syncmgr_is_number(b->type)) {
		c = syncmgr_number_cmp(a, b);
		*res = c == 2 ? 0 : c;
		return 0;
	}
	if (a->type != b->type || (a->type != SYNCMGR_VAL_STR &&
				   a->type != SYNCMGR_VAL_BYTES))
		return -EINVAL;
	c = memcmp(syncmgr_vw_bytes(a), syncmgr_vw_bytes(b), min(a->len, b->len));
	if (!c)
		c = a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
	*res = c < 0 ? -1 : c > 0;
	return 0;
}

static bool syncmgr_is_seq_pair(const struct syncmgr_vw *a,
				const struct syncmgr_vw *b)
{
	return a->type == b->type && (a->type == SYNCMGR_VAL_TUPLE ||
				      a->type == SYNCMGR_VAL_LIST);
}

/*
 * Order a and b as Python's sort would: 0 and *res = -1/0/1, or -EINVAL if
 * Python cannot compare them (a str and an int).  TUPLE with TUPLE and
 * LIST with LIST lexicographically: the first pair of elements that are
 * not equal decides (by their order, which may be EINVAL), else the
 * shorter comes first.  An element NaN decides "not less" both ways (0),
 * as Python's comparison of it does.
 */
int syncmgr_item_compare(const struct syncmgr_item *a,
			 const struct syncmgr_item *b, int *res)
{
	struct syncmgr_cmp_stack st __uninitialized;
	struct syncmgr_cmp_frame *f;
	struct syncmgr_vw x, y;
	u32 steps = 0;
	int ret = 0, c;

	syncmgr_vw_top(&x, a);
	syncmgr_vw_top(&y, b);
	syncmgr_vw_unwrap(&x);
	syncmgr_vw_unwrap(&y);
	if (!syncmgr_is_seq_pair(&x, &y))
		return syncmgr_leaf_order(&x, &y, res);
	syncmgr_cmp_init(&st);
	syncmgr_cmp_push(&st, (struct syncmgr_cmp_frame){
		.a = x.poff, .b = y.poff, .na = x.data, .nb = y.data });
	*res = 0;
	while (st.n) {
		f = &st.f[st.n - 1];
		if (!f->na || !f->nb) {
			if (f->na != f->nb) {
				*res = f->na ? 1 : -1;
				break;
			}
			st.n--;		/* equal so far: the enclosing goes on */
			continue;
		}
		f->na--;
		f->nb--;
		syncmgr_vw_at(&x, a, f->a);
		syncmgr_vw_at(&y, b, f->b);
		f->a += syncmgr_vw_size(&x);
		f->b += syncmgr_vw_size(&y);
		syncmgr_vw_unwrap(&x);
		syncmgr_vw_unwrap(&y);
		syncmgr_cmp_step(&steps);
		if (syncmgr_is_seq_pair(&x, &y)) {
			syncmgr_cmp_push(&st, (struct syncmgr_cmp_frame){
				.a = x.poff, .b = y.poff,
				.na = x.data, .nb = y.data });
			continue;
		}
		if (syncmgr_is_number(x.type) && syncmgr_is_number(y.type)) {
			c = syncmgr_number_cmp(&x, &y);
			if (c) {
				*res = c == 2 ? 0 : c;
				break;
			}
			continue;
		}
		if (x.type == y.type && (x.type == SYNCMGR_VAL_STR ||
					 x.type == SYNCMGR_VAL_BYTES)) {
			ret = syncmgr_leaf_order(&x, &y, &c);
			if (c) {
				*res = c;
				break;
			}
			continue;
		}
		/* Equal ones are passed over; others Python cannot order. */
		if (!syncmgr_tree_equal(&x, &y)) {
			ret = -EINVAL;
			break;
		}
	}
	syncmgr_cmp_done(&st);
	return ret;
}

static u64 syncmgr_bigint_hash(const u8 *p, u32 len)
{
	return siphash_2u64(len, 5, &syncmgr_hash_key) ^
	       siphash(p, len, &syncmgr_hash_key);
}

/*
 * Equal values hash alike: every integer-valued number (INT, BOOL, an
 * integral DOUBLE, BIGINT) by its integer in one form (an int64, or a
 * BIGINT's bytes), a handle by its object.
 */
static u64 syncmgr_leaf_hash(const struct syncmgr_vw *v)
{
	u8 buf[SYNCMGR_DOUBLE_BIG];
	struct syncmgr_num n;

	/* What the general case below gives an integer, without the split. */
	if (syncmgr_is_integer(v->type))
		return siphash_2u64(v->data, 1, &syncmgr_hash_key);
	if (v->type == SYNCMGR_VAL_BIGINT)
		return syncmgr_bigint_hash(syncmgr_vw_bytes(v), v->len);
	if (v->type == SYNCMGR_VAL_DOUBLE) {
		syncmgr_num_of(v->type, v->data, &n);
		/*
		 * A NaN equals nothing, not even itself, so its hash only has
		 * to spread: one hash for every NaN would put them all in one
		 * bucket and make each operation walk them all.
		 */
		if (n.class == SYNCMGR_NUM_NAN)
			return siphash_2u64(atomic64_inc_return(&syncmgr_nan_seq),
					    4, &syncmgr_hash_key);
		if (n.class == SYNCMGR_NUM_FINITE && !n.big && !n.frac)
			return siphash_2u64(n.neg ? -n.mag : n.mag, 1,
					    &syncmgr_hash_key);
		if (n.class == SYNCMGR_NUM_FINITE && n.big)
			return syncmgr_bigint_hash(buf,
						   syncmgr_double_bigint(v->data, buf));
		return siphash_2u64(v->data, 2, &syncmgr_hash_key);
	}
	if (v->type == SYNCMGR_VAL_HANDLE)
		return siphash_2u64(syncmgr_vw_obj(v)->id, 3, &syncmgr_hash_key);
	return siphash_2u64(v->type, v->len, &syncmgr_hash_key) ^
	       siphash(syncmgr_vw_bytes(v), v->len, &syncmgr_hash_key);
}

/*
 * The hash of a hashable value, or -EINVAL if it is not (a LIST or DICT
 * in it).  A TUPLE's hash folds, in order, one token per thing met in a
 * walk of its bytes from start to end: (TUPLE, count) for each tuple,
 * the frozenset's own hash for a FROZENSET (not entered), a leaf's hash
 * for anything else, TAGGED's tag skipped.  The counts make the tokens
 * describe the tree exactly, and equal values give equal tokens, so no
 * stack is needed.  A FROZENSET's hash was made at copy-in from its
 * elements' without order.
 */
static int syncmgr_vw_hash(struct syncmgr_vw v, u64 *hash)
{
	const struct syncmgr_tree *t = syncmgr_item_tree(v.it);
	struct syncmgr_vw e, tag;
	u32 pos, end, steps = 0;
	u64 h;

	syncmgr_vw_unwrap(&v);
	if (v.type == SYNCMGR_VAL_LIST || v.type == SYNCMGR_VAL_DICT)
		return -EINVAL;
	if (v.type == SYNCMGR_VAL_FROZENSET) {
		*hash = t->nodes[syncmgr_vw_node(&v)].hash;
		return 0;
	}
	if (v.type != SYNCMGR_VAL_TUPLE) {
		*hash = syncmgr_leaf_hash(&v);
		return 0;
	}
	h = siphash_2u64(SYNCMGR_VAL_TUPLE, v.data, &syncmgr_hash_key);
	pos = v.poff;
	end = v.poff + v.len;
	while (pos < end) {
		syncmgr_vw_at(&e, v.it, pos);
		switch (e.type) {
		case SYNCMGR_VAL_LIST:
		case SYNCMGR_VAL_DICT:
			return -EINVAL;
		case SYNCMGR_VAL_TUPLE:
			h = siphash_3u64(h, SYNCMGR_VAL_TUPLE, e.data,
					 &syncmgr_hash_key);
			pos = e.poff;		/* into it */
			break;
		case SYNCMGR_VAL_TAGGED:
			syncmgr_vw_at(&tag, v.it, e.poff);
			pos = e.poff + syncmgr_vw_size(&tag);
			break;
		case SYNCMGR_VAL_FROZENSET:
			h = siphash_3u64(h, SYNCMGR_VAL_FROZENSET,
					 t->nodes[syncmgr_vw_node(&e)].hash,
					 &syncmgr_hash_key);
			pos += syncmgr_vw_size(&e);
			break;
		default:
			h = siphash_3u64(h, 0, syncmgr_leaf_hash(&e),
					 &syncmgr_hash_key);
			pos += syncmgr_vw_size(&e);
		}
		syncmgr_cmp_step(&steps);
	}
	*hash = h;
	return 0;
}

/* Equal items hash alike.  The caller checked syncmgr_item_hashable(). */
u64 syncmgr_item_hash(const struct syncmgr_item *it)
{
	struct syncmgr_vw v;
	u64 h = 0;

	syncmgr_vw_top(&v, it);
	if (!syncmgr_item_tree(it))
		return syncmgr_leaf_hash(&v);
	syncmgr_vw_hash(v, &h);
	return h;
}

static int syncmgr_tree_key_cmp(const void *a, const void *b)
{
	const struct syncmgr_tree_key *x = a, *y = b;

	return x->hash == y->hash ? 0 : (x->hash < y->hash ? -1 : 1);
}

/*
 * At copy-in (codec.c, the tree's shape checked): hash the keys of each
 * DICT node and the elements of each FROZENSET node, which must be
 * hashable (EINVAL), and sort them by hash.  Two of equal hash in one
 * node are refused (EINVAL): equal keys or elements (Python's dict and
 * frozenset never hold those), or a genuine collision of the 64-bit
 * keyed SipHash, which no one can aim at (the key is drawn at module
 * load) and which happens by chance about once in 2^64 / n^2 values of
 * n elements.  Nodes go deepest first (the reverse of their order), so
 * that a FROZENSET's hash is made before any enclosing one needs it.
 */
int syncmgr_tree_index(struct syncmgr_item *it)
{
	struct syncmgr_tree *t = syncmgr_item_tree(it);
	struct syncmgr_tree_node *node;
	struct syncmgr_tree_key *k;
	struct syncmgr_vw e;
	u64 sum, xor;
	u32 i, j, pos;
	int ret;

	for (i = t->nnodes; i--; ) {
		node = &t->nodes[i];
		k = &t->idx[node->first];
		pos = node->poff;
		sum = 0;
		xor = 0;
		for (j = 0; j < node->count; j++) {
			syncmgr_vw_at(&e, it, pos);
			ret = syncmgr_vw_hash(e, &k[j].hash);
			if (ret)
				return ret;
			k[j].off = pos;
			k[j].pad = 0;
			sum += k[j].hash;
			xor ^= k[j].hash;
			pos += syncmgr_vw_size(&e);
			if (node->type == SYNCMGR_VAL_DICT) {
				syncmgr_vw_at(&e, it, pos);	/* the value */
				pos += syncmgr_vw_size(&e);
			}
		}
		sort(k, node->count, sizeof(*k), syncmgr_tree_key_cmp, NULL);
		for (j = 1; j < node->count; j++)
			if (k[j].hash == k[j - 1].hash)
				return -EINVAL;
		node->hash = siphash_3u64(sum, xor, node->count,
					  &syncmgr_hash_key);
		cond_resched();
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/* Integer value of a BOOL/INT item into *v; -EINVAL for anything else. */
int syncmgr_item_int(const struct syncmgr_item *it, s64 *v)
{
	if (it->type != SYNCMGR_VAL_INT && it->type != SYNCMGR_VAL_BOOL)
		return -EINVAL;
	*v = (s64)it->data;
	return 0;
}
