// SPDX-License-Identifier: GPL-2.0
/*
 * Python's equality, ordering and hashing over items, so that a dict finds
 * 1, 1.0 and True as one key and a list sorts as Python's does.  No
 * floating point is used: doubles are compared through their bits.
 */
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/siphash.h>

#include "item.h"

static siphash_key_t syncmgr_hash_key;
static atomic64_t syncmgr_nan_seq;	/* every NaN hashes apart */

void syncmgr_compare_init(void)
{
	get_random_bytes(&syncmgr_hash_key, sizeof(syncmgr_hash_key));
}

/*
 * Numbers: bool, int and double compare as Python's numbers do.  A double
 * is split into sign, an integer part (saturated beyond 2^63) and whether
 * a fraction remains, without any floating point.
 */
enum syncmgr_num_class {
	SYNCMGR_NUM_FINITE,
	SYNCMGR_NUM_INF,
	SYNCMGR_NUM_NAN,
};

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
		n->class = mant ? SYNCMGR_NUM_NAN : SYNCMGR_NUM_INF;
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
	if (x.class == SYNCMGR_NUM_NAN || y.class == SYNCMGR_NUM_NAN)
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
		if (n.class == SYNCMGR_NUM_NAN)
			return siphash_2u64(atomic64_inc_return(&syncmgr_nan_seq),
					    4, &syncmgr_hash_key);
		if (n.class == SYNCMGR_NUM_FINITE && !n.big && !n.frac)
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
