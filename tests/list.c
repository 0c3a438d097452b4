// SPDX-License-Identifier: GPL-2.0
/*
 * list across processes, against Python's list: indices and slices as
 * slice.indices() normalises them, append/extend/insert/pop/remove/index/
 * count/contains with Python's equality, a stable sort that refuses what
 * Python cannot order, *=, copy; bad input (pointers, malformed values,
 * sizes) changing nothing; handles stored and read back by other
 * processes, cycles refused; and a multi-process append stress.
 * Expected values were produced by Python 3 on the same inputs.
 */
#include "common.h"

#define BUFSZ	4096

static char outbuf[BUFSZ];

static struct sm_buf mkbuf(void)
{
	struct sm_buf b = { .data = outbuf, .size = sizeof(outbuf) };

	memset(outbuf, POISON, sizeof(outbuf));
	return b;
}

/* A list holding the ints v[0..n). */
static int list_of(const int64_t *v, int n)
{
	struct sm_value vals[64];
	int l = sm_list_create(0);

	if (l < 0 || n > 64)
		return -1;
	for (int i = 0; i < n; i++)
		vals[i] = sm_int(v[i]);
	if (n && sm_list_extend(l, vals, n)) {
		close(l);
		return -1;
	}
	return l;
}

static int list_range(int n)
{
	int64_t v[64];

	for (int i = 0; i < n; i++)
		v[i] = i;
	return list_of(v, n);
}

/* Does the list hold exactly the ints want[0..n)?  (read as l[:]) */
static bool list_is(int l, const int64_t *want, int n)
{
	struct sm_slice all = { .step = 1,
		.flags = SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	struct sm_value out[64];
	struct sm_buf b = mkbuf();
	int got;

	if (sm_list_len(l) != n)
		return false;
	got = sm_list_get_slice(l, &all, out, 64, &b);
	if (got != n)
		return false;
	for (int i = 0; i < n; i++)
		if (out[i].type != SYNCMGR_VAL_INT || out[i].i != want[i])
			return false;
	return true;
}

#define INTS(...)	((const int64_t[]){ __VA_ARGS__ })
#define NINTS(...)	(int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))
#define LIST_IS(l, ...)	list_is((l), INTS(__VA_ARGS__), NINTS(__VA_ARGS__))

static const int64_t range10[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

/* A raw LIST ioctl, bypassing libsync. */
static int raw(int l, unsigned long cmd, struct syncmgr_data *d)
{
	return ioctl(l, cmd, d) < 0 ? -errno : 0;
}

static int rawv(int l, unsigned long cmd, struct syncmgr_data *d)
{
	int r = ioctl(l, cmd, d);

	return r < 0 ? -errno : r;
}

struct slice_case {
	int64_t start, stop, step;
	unsigned int flags;
	int n;
	int64_t want[10];
};

static const struct slice_case get_cases[] = {
	{ 2, 7, 1LL, 0, 5, { 2, 3, 4, 5, 6 } },
	{ 0, 0, -1LL, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP, 10, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 } },
	{ 0, 0, 2LL, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP, 5, { 0, 2, 4, 6, 8 } },
	{ 8, 2, -2LL, 0, 3, { 8, 6, 4 } },
	{ -3, 0, 1LL, SYNCMGR_DATA_NO_STOP, 3, { 7, 8, 9 } },
	{ 0, -3, 1LL, SYNCMGR_DATA_NO_START, 7, { 0, 1, 2, 3, 4, 5, 6 } },
	{ -100, 100, 3LL, 0, 4, { 0, 3, 6, 9 } },
	{ 100, 0, -1LL, SYNCMGR_DATA_NO_STOP, 10, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 } },
	{ 5, 5, 1LL, 0, 0, { 0 } },
	{ 7, 2, 1LL, 0, 0, { 0 } },
	{ 0, 0, -3LL, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP, 4, { 9, 6, 3, 0 } },
	{ -1, -11, -4LL, 0, 3, { 9, 5, 1 } },
	{ 3, 0, -1LL, SYNCMGR_DATA_NO_STOP, 4, { 3, 2, 1, 0 } },
	{ 1, 9, 4LL, 0, 2, { 1, 5 } },
	{ 0, 10, INT64_MAX, 0, 1, { 0 } },
	{ 9, 0, -INT64_MAX, SYNCMGR_DATA_NO_STOP, 1, { 9 } },
	{ 9, 0, INT64_MIN, SYNCMGR_DATA_NO_STOP, 1, { 9 } },
};

static const struct slice_case del_cases[] = {
	{ 2, 7, 1LL, 0, 5, { 0, 1, 7, 8, 9 } },
	{ 0, 0, 2LL, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP, 5, { 1, 3, 5, 7, 9 } },
	{ 8, 2, -2LL, 0, 7, { 0, 1, 2, 3, 5, 7, 9 } },
	{ 0, 0, -3LL, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP, 6, { 1, 2, 4, 5, 7, 8 } },
	{ -4, 0, 1LL, SYNCMGR_DATA_NO_STOP, 6, { 0, 1, 2, 3, 4, 5 } },
	{ 1, 9, 4LL, 0, 8, { 0, 2, 3, 4, 6, 7, 8, 9 } },
	{ 7, 2, 1LL, 0, 10, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 } },
};

TEST(append_get_negative_index_len)
{
	struct sm_buf b = mkbuf();
	struct sm_value v, s = sm_str("héllo");
	struct syncmgr_state st;
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	EXPECT_EQ(SYNCMGR_TYPE_LIST, sm_type(l));
	EXPECT_EQ(0, sm_list_len(l));
	EXPECT_EQ(-ERANGE, sm_list_get(l, 0, &v, &b));
	EXPECT_EQ(-ERANGE, sm_list_get(l, -1, &v, &b));
	v = sm_int(7);
	ASSERT_EQ(0, sm_list_append(l, &v));
	ASSERT_EQ(0, sm_list_append(l, &s));
	v = sm_none();
	ASSERT_EQ(0, sm_list_append(l, &v));
	EXPECT_EQ(3, sm_list_len(l));
	ASSERT_EQ(0, sm_list_get(l, -2, &v, &b));
	ASSERT_EQ(SYNCMGR_VAL_STR, v.type);
	ASSERT_EQ(s.buf.len, v.buf.len);
	EXPECT_EQ(0, memcmp(v.buf.ptr, s.buf.ptr, v.buf.len));
	ASSERT_EQ(0, sm_list_get(l, 0, &v, &b));
	EXPECT_EQ(SYNCMGR_VAL_INT, v.type);
	EXPECT_EQ(7, v.i);
	ASSERT_EQ(0, sm_list_get(l, -3, &v, &b));
	EXPECT_EQ(7, v.i);
	ASSERT_EQ(0, sm_list_get(l, 2, &v, &b));
	EXPECT_EQ(SYNCMGR_VAL_NONE, v.type);
	EXPECT_EQ(-ERANGE, sm_list_get(l, 3, &v, &b));
	EXPECT_EQ(-ERANGE, sm_list_get(l, -4, &v, &b));
	EXPECT_EQ(-ERANGE, sm_list_get(l, INT64_MIN, &v, &b));
	EXPECT_EQ(-ERANGE, sm_list_set(l, 3, &v));
	EXPECT_EQ(-ERANGE, sm_list_del(l, -4));
	v = sm_double(2.5);
	ASSERT_EQ(0, sm_list_set(l, -1, &v));
	ASSERT_EQ(0, sm_list_get(l, 2, &v, &b));
	EXPECT_EQ(SYNCMGR_VAL_DOUBLE, v.type);
	EXPECT_TRUE(v.d == 2.5);
	ASSERT_EQ(0, sm_list_del(l, 0));
	EXPECT_EQ(2, sm_list_len(l));
	ASSERT_EQ(0, state_poisoned(l, &st));
	EXPECT_EQ((__u32)SYNCMGR_TYPE_LIST, st.type);
	EXPECT_EQ(2U, st.value);
	close(l);
}

TEST(get_slices_as_python)
{
	int l = list_range(10);

	ASSERT_LE(0, l);
	for (unsigned int c = 0; c < sizeof(get_cases) / sizeof(get_cases[0]); c++) {
		const struct slice_case *k = &get_cases[c];
		struct sm_slice s = { k->start, k->stop, k->step, k->flags };
		struct sm_value out[16];
		struct sm_buf b = mkbuf();
		int n = sm_list_get_slice(l, &s, out, 16, &b);

		ASSERT_EQ(k->n, n) TH_LOG("case %u", c);
		for (int i = 0; i < n; i++) {
			EXPECT_EQ(k->want[i], out[i].i) TH_LOG("case %u", c);
		}
	}
	/* max caps the values; so does a small buffer, at least one. */
	do {
		struct sm_slice s = { 0, 0, 1, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
		struct sm_value out[16];
		struct sm_buf b = mkbuf();

		EXPECT_EQ(3, sm_list_get_slice(l, &s, out, 3, &b));
		b.size = 2 * SYNCMGR_VALUE_SIZE(0) + 8;
		EXPECT_EQ(2, sm_list_get_slice(l, &s, out, 16, &b));
		EXPECT_EQ(1, out[1].i);
		b.size = 8;
		EXPECT_EQ(-EMSGSIZE, sm_list_get_slice(l, &s, out, 16, &b));
		EXPECT_EQ(SYNCMGR_VALUE_SIZE(0), b.needed);
		s.step = 0;
		EXPECT_EQ(-EINVAL, sm_list_get_slice(l, &s, out, 16, &b));
	} while (0);
	EXPECT_TRUE(list_is(l, range10, 10));
	close(l);
}

TEST(delete_slices_as_python)
{
	for (unsigned int c = 0; c < sizeof(del_cases) / sizeof(del_cases[0]); c++) {
		const struct slice_case *k = &del_cases[c];
		struct sm_slice s = { k->start, k->stop, k->step, k->flags };
		int l = list_range(10);

		ASSERT_LE(0, l);
		ASSERT_EQ(0, sm_list_del_slice(l, &s)) TH_LOG("case %u", c);
		EXPECT_TRUE(list_is(l, k->want, k->n)) TH_LOG("case %u", c);
		close(l);
	}
}

TEST(assign_slices_grow_shrink_extended)
{
	struct sm_value five[5], one = sm_int(100), four[4];
	struct sm_slice s = { 2, 5, 1, 0 };
	int l = list_range(10);

	ASSERT_LE(0, l);
	for (int i = 0; i < 5; i++)
		five[i] = sm_int(100 + i);
	for (int i = 0; i < 4; i++)
		four[i] = sm_int(100 + i);
	/* l[2:5] = [100..104] */
	ASSERT_EQ(0, sm_list_set_slice(l, &s, five, 5));
	EXPECT_TRUE(LIST_IS(l, 0, 1, 100, 101, 102, 103, 104, 5, 6, 7, 8, 9));
	close(l);

	l = list_range(10);
	s = (struct sm_slice){ 2, 8, 1, 0 };
	ASSERT_EQ(0, sm_list_set_slice(l, &s, &one, 1));
	EXPECT_TRUE(LIST_IS(l, 0, 1, 100, 8, 9));
	close(l);

	/* l[8:2] = [100, 101] inserts at 8 */
	l = list_range(10);
	s = (struct sm_slice){ 8, 2, 1, 0 };
	ASSERT_EQ(0, sm_list_set_slice(l, &s, five, 2));
	EXPECT_TRUE(LIST_IS(l, 0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 8, 9));
	close(l);

	/* l[::-3] = [100..103]; a wrong count is ValueError, unchanged */
	l = list_range(10);
	s = (struct sm_slice){ 0, 0, -3, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	EXPECT_EQ(-EINVAL, sm_list_set_slice(l, &s, five, 5));
	EXPECT_EQ(-EINVAL, sm_list_set_slice(l, &s, five, 3));
	EXPECT_TRUE(list_is(l, range10, 10));
	ASSERT_EQ(0, sm_list_set_slice(l, &s, four, 4));
	EXPECT_TRUE(LIST_IS(l, 103, 1, 2, 102, 4, 5, 101, 7, 8, 100));
	close(l);

	/* l[-2:] = [] */
	l = list_range(10);
	s = (struct sm_slice){ -2, 0, 1, SYNCMGR_DATA_NO_STOP };
	ASSERT_EQ(0, sm_list_set_slice(l, &s, NULL, 0));
	EXPECT_TRUE(LIST_IS(l, 0, 1, 2, 3, 4, 5, 6, 7));
	/* an empty extended slice takes exactly zero values */
	s = (struct sm_slice){ 5, 5, 2, 0 };
	EXPECT_EQ(0, sm_list_set_slice(l, &s, NULL, 0));
	EXPECT_EQ(-EINVAL, sm_list_set_slice(l, &s, &one, 1));
	EXPECT_EQ(8, sm_list_len(l));
	close(l);
}

TEST(insert_clamps_pop_anywhere)
{
	struct sm_value v = sm_int(-1), out;
	struct sm_buf b = mkbuf();
	int l = list_range(3);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_insert(l, 100, &v));
	v = sm_int(-2);
	ASSERT_EQ(0, sm_list_insert(l, -100, &v));
	v = sm_int(-3);
	ASSERT_EQ(0, sm_list_insert(l, -1, &v));
	v = sm_int(-4);
	ASSERT_EQ(0, sm_list_insert(l, 1, &v));
	EXPECT_TRUE(LIST_IS(l, -2, -4, 0, 1, 2, -3, -1));

	ASSERT_EQ(0, sm_list_pop(l, -1, &out, &b));
	EXPECT_EQ(-1, out.i);
	ASSERT_EQ(0, sm_list_pop(l, 0, &out, &b));
	EXPECT_EQ(-2, out.i);
	ASSERT_EQ(0, sm_list_pop(l, -3, &out, &b));
	EXPECT_EQ(1, out.i);
	EXPECT_EQ(-ERANGE, sm_list_pop(l, 4, &out, &b));
	EXPECT_EQ(-ERANGE, sm_list_pop(l, -5, &out, &b));
	EXPECT_TRUE(LIST_IS(l, -4, 0, 2, -3));
	ASSERT_EQ(0, sm_list_clear(l));
	EXPECT_EQ(-ERANGE, sm_list_pop(l, -1, &out, &b));
	v = sm_int(5);
	ASSERT_EQ(0, sm_list_insert(l, -7, &v));
	EXPECT_TRUE(LIST_IS(l, 5));
	close(l);
}

/* Values compared (not stored) on both sides of the kernel's 64-byte stack key. */
TEST(find_small_and_large_values)
{
	static const uint32_t lens[] = { 0, 8, 64, 65, 300 };
	char mem[512];
	struct sm_value v;
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	memset(mem, 'q', sizeof(mem));
	for (unsigned int i = 0; i < 5; i++) {
		v = sm_bytes(mem, lens[i]);
		ASSERT_EQ(0, sm_list_append(l, &v));
		ASSERT_EQ(0, sm_list_append(l, &v));
	}
	for (unsigned int i = 0; i < 5; i++) {
		v = sm_bytes(mem, lens[i]);
		EXPECT_EQ(1, sm_list_contains(l, &v));
		EXPECT_EQ(2, sm_list_count(l, &v));
		/* one of each earlier pair is gone already */
		EXPECT_EQ((int)i, sm_list_index(l, &v, 0, INT64_MAX));
		ASSERT_EQ(0, sm_list_remove(l, &v));
		EXPECT_EQ(1, sm_list_count(l, &v));
		v = sm_str("q");
		EXPECT_EQ(0, sm_list_count(l, &v));
	}
	EXPECT_EQ(5, sm_list_len(l));
	close(l);
}

TEST(remove_index_count_contains_python_equality)
{
	struct sm_value vals[] = { sm_int(1), sm_str("a"), sm_bool(1), sm_double(1.0),
				   sm_bytes("a", 1), sm_none(), sm_int(2) };
	struct sm_value v;
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_extend(l, vals, 7));
	v = sm_double(1.0);
	EXPECT_EQ(3, sm_list_count(l, &v));
	EXPECT_EQ(0, sm_list_index(l, &v, 0, INT64_MAX));
	EXPECT_EQ(2, sm_list_index(l, &v, 1, INT64_MAX));
	EXPECT_EQ(3, sm_list_index(l, &v, -4, INT64_MAX));
	EXPECT_EQ(-ENOENT, sm_list_index(l, &v, 4, INT64_MAX));
	EXPECT_EQ(-ENOENT, sm_list_index(l, &v, 1, 2));
	EXPECT_EQ(2, sm_list_index(l, &v, -100, 3) == 0 ? 2 : -1);
	v = sm_str("a");
	EXPECT_EQ(1, sm_list_count(l, &v));
	EXPECT_EQ(1, sm_list_index(l, &v, 0, INT64_MAX));
	v = sm_bytes("a", 1);
	EXPECT_EQ(4, sm_list_index(l, &v, 0, INT64_MAX));
	v = sm_str("b");
	EXPECT_EQ(0, sm_list_contains(l, &v));
	EXPECT_EQ(-ENOENT, sm_list_remove(l, &v));
	EXPECT_EQ(-ENOENT, sm_list_index(l, &v, 0, INT64_MAX));
	EXPECT_EQ(0, sm_list_count(l, &v));
	v = sm_double(0.0 / 0.0);	/* NaN equals nothing */
	EXPECT_EQ(0, sm_list_contains(l, &v));
	v = sm_none();
	EXPECT_EQ(1, sm_list_contains(l, &v));
	v = sm_double(2.0);
	EXPECT_EQ(1, sm_list_contains(l, &v));
	/* remove(True) removes the first equal value: the int 1 */
	v = sm_bool(1);
	ASSERT_EQ(0, sm_list_remove(l, &v));
	EXPECT_EQ(6, sm_list_len(l));
	do {
		struct sm_buf b = mkbuf();
		struct sm_value out;

		ASSERT_EQ(0, sm_list_get(l, 0, &out, &b));
		EXPECT_EQ(SYNCMGR_VAL_STR, out.type);
		ASSERT_EQ(0, sm_list_get(l, 1, &out, &b));
		EXPECT_EQ(SYNCMGR_VAL_BOOL, out.type);
	} while (0);
	EXPECT_EQ(2, sm_list_count(l, &v));
	close(l);
}

TEST(sort_stable_numbers_strings_reverse)
{
	struct sm_value mixed[] = { sm_int(1), sm_bool(1), sm_double(1.0), sm_int(0), sm_bool(0) };
	int want_types[] = { SYNCMGR_VAL_INT, SYNCMGR_VAL_BOOL, SYNCMGR_VAL_INT,
			     SYNCMGR_VAL_BOOL, SYNCMGR_VAL_DOUBLE };
	int rev_types[] = { SYNCMGR_VAL_INT, SYNCMGR_VAL_BOOL, SYNCMGR_VAL_DOUBLE,
			    SYNCMGR_VAL_INT, SYNCMGR_VAL_BOOL };
	struct sm_slice all = { 0, 0, 1, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	struct sm_value out[16];
	struct sm_buf b = mkbuf();
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_extend(l, mixed, 5));
	/* sorted([1, True, 1.0, 0, False]) == [0, False, 1, True, 1.0] */
	ASSERT_EQ(0, sm_list_sort(l, 0));
	ASSERT_EQ(5, sm_list_get_slice(l, &all, out, 16, &b));
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ(want_types[i], out[i].type) TH_LOG("at %d", i);
	}
	ASSERT_EQ(0, sm_list_clear(l));
	/* reverse=True keeps equal values in order: [1, True, 1.0, 0, False] */
	ASSERT_EQ(0, sm_list_extend(l, mixed, 5));
	ASSERT_EQ(0, sm_list_sort(l, 1));
	ASSERT_EQ(5, sm_list_get_slice(l, &all, out, 16, &b));
	for (int i = 0; i < 5; i++) {
		EXPECT_EQ(rev_types[i], out[i].type) TH_LOG("at %d", i);
	}
	close(l);

	do {
		struct sm_value s[] = { sm_str("pear"), sm_str("apple"), sm_str("ápple"),
					sm_str("app"), sm_str("") };
		const char *want[] = { "", "app", "apple", "pear", "ápple" };

		l = sm_list_create(0);
		ASSERT_LE(0, l);
		ASSERT_EQ(0, sm_list_extend(l, s, 5));
		ASSERT_EQ(0, sm_list_sort(l, 0));
		b = mkbuf();
		ASSERT_EQ(5, sm_list_get_slice(l, &all, out, 16, &b));
		for (int i = 0; i < 5; i++) {
			EXPECT_EQ(strlen(want[i]), out[i].buf.len);
			EXPECT_EQ(0, memcmp(want[i], out[i].buf.ptr, out[i].buf.len));
		}
		close(l);
	} while (0);
	do {
		int64_t v[40], w[40];

		for (int i = 0; i < 40; i++)
			v[i] = (i * 7919) % 41 - 20;
		l = list_of(v, 40);
		ASSERT_LE(0, l);
		ASSERT_EQ(0, sm_list_sort(l, 1));
		memcpy(w, v, sizeof(w));
		for (int i = 0; i < 40; i++)
			for (int j = i + 1; j < 40; j++)
				if (w[j] > w[i]) {
					int64_t t = w[i];

					w[i] = w[j];
					w[j] = t;
				}
		EXPECT_TRUE(list_is(l, w, 40));
		ASSERT_EQ(0, sm_list_reverse(l));
		ASSERT_EQ(0, sm_list_sort(l, 1));
		EXPECT_TRUE(list_is(l, w, 40));
		close(l);
	} while (0);
}

TEST(sort_refuses_unorderable_unchanged)
{
	struct sm_value a[] = { sm_int(3), sm_int(1), sm_str("x"), sm_int(2) };
	struct sm_value n[] = { sm_none(), sm_none() };
	struct sm_value bs[] = { sm_bytes("b", 1), sm_str("a") };
	struct sm_value one = sm_none();
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_extend(l, a, 4));
	EXPECT_EQ(-EINVAL, sm_list_sort(l, 0));
	EXPECT_EQ(-EINVAL, sm_list_sort(l, 1));
	do {
		struct sm_value out;
		struct sm_buf b = mkbuf();

		ASSERT_EQ(0, sm_list_get(l, 0, &out, &b));
		EXPECT_EQ(3, out.i);
		ASSERT_EQ(0, sm_list_get(l, 2, &out, &b));
		EXPECT_EQ(SYNCMGR_VAL_STR, out.type);
	} while (0);
	ASSERT_EQ(0, sm_list_clear(l));
	ASSERT_EQ(0, sm_list_extend(l, n, 2));
	EXPECT_EQ(-EINVAL, sm_list_sort(l, 0));	/* None < None: TypeError */
	ASSERT_EQ(0, sm_list_clear(l));
	ASSERT_EQ(0, sm_list_extend(l, bs, 2));
	EXPECT_EQ(-EINVAL, sm_list_sort(l, 0));
	ASSERT_EQ(0, sm_list_clear(l));
	ASSERT_EQ(0, sm_list_append(l, &one));
	EXPECT_EQ(0, sm_list_sort(l, 0));	/* one value: nothing compared */
	close(l);
}

TEST(reverse_repeat_clear_copy)
{
	struct sm_value v;
	int l = list_range(3), c;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_reverse(l));
	EXPECT_TRUE(LIST_IS(l, 2, 1, 0));
	ASSERT_EQ(0, sm_list_repeat(l, 3));
	EXPECT_TRUE(LIST_IS(l, 2, 1, 0, 2, 1, 0, 2, 1, 0));
	ASSERT_EQ(0, sm_list_repeat(l, 1));
	EXPECT_EQ(9, sm_list_len(l));
	/* bounded: a huge n fails first and changes nothing */
	EXPECT_EQ(-E2BIG, sm_list_repeat(l, INT64_MAX));
	EXPECT_EQ(-E2BIG, sm_list_repeat(l, 1 << 30));
	EXPECT_EQ(9, sm_list_len(l));
	c = sm_list_copy(l);
	ASSERT_LE(0, c);
	EXPECT_EQ(SYNCMGR_TYPE_LIST, sm_type(c));
	EXPECT_NE(0, fcntl(c, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, sm_list_repeat(l, -1));
	EXPECT_EQ(0, sm_list_len(l));
	EXPECT_EQ(9, sm_list_len(c));
	v = sm_int(42);
	ASSERT_EQ(0, sm_list_append(c, &v));
	EXPECT_EQ(0, sm_list_len(l));
	ASSERT_EQ(0, sm_list_repeat(c, 0));
	EXPECT_EQ(0, sm_list_len(c));
	ASSERT_EQ(0, sm_list_repeat(c, 5));	/* [] * 5 */
	EXPECT_EQ(0, sm_list_len(c));
	close(c);
	c = sm_list_copy(l);			/* copy of an empty list */
	ASSERT_LE(0, c);
	EXPECT_EQ(0, sm_list_len(c));
	close(c);
	ASSERT_EQ(0, sm_list_append(l, &v));
	ASSERT_EQ(0, sm_list_clear(l));
	EXPECT_EQ(0, sm_list_len(l));
	close(l);
}

TEST(out_buffer_too_small_nothing_consumed)
{
	char big[100];
	struct sm_value v = sm_bytes(big, sizeof(big)), out;
	struct sm_buf b = { .data = outbuf, .size = 64 };
	int l = sm_list_create(0);

	memset(big, 'x', sizeof(big));
	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_append(l, &v));
	EXPECT_EQ(-EMSGSIZE, sm_list_get(l, 0, &out, &b));
	EXPECT_EQ(SYNCMGR_VALUE_SIZE(100), b.needed);
	b.needed = 0;
	EXPECT_EQ(-EMSGSIZE, sm_list_pop(l, -1, &out, &b));
	EXPECT_EQ(SYNCMGR_VALUE_SIZE(100), b.needed);
	EXPECT_EQ(1, sm_list_len(l));
	b.size = b.needed;
	ASSERT_EQ(0, sm_list_pop(l, -1, &out, &b));
	EXPECT_EQ(100U, out.buf.len);
	EXPECT_EQ(0, sm_list_len(l));
	close(l);
}

TEST(bad_pointers_efault_unchanged)
{
	struct syncmgr_data d;
	struct syncmgr_value hdr = { .type = SYNCMGR_VAL_INT, .data = 5 };
	int l = list_range(3);

	ASSERT_LE(0, l);
	EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_LEN, (void *)8));
	memset(&d, 0, sizeof(d));
	d.in = 8;
	d.in_size = sizeof(hdr);
	d.count = 1;
	EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_UPDATE, &d));
	EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_INSERT, &d));
	d.step = 1;
	d.flags = SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP;
	EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_ASSIGN, &d));
	EXPECT_TRUE(LIST_IS(l, 0, 1, 2));
	/* bad out: pop keeps the value, lookup gives nothing */
	memset(&d, 0, sizeof(d));
	d.out = 8;
	d.out_size = 64;
	d.start = -1;
	EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_POP, &d));
	EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_LOOKUP, &d));
	EXPECT_TRUE(LIST_IS(l, 0, 1, 2));
	/* a read-only out buffer */
	do {
		void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_NE(MAP_FAILED, ro);
		d.out = (uintptr_t)ro;
		EXPECT_EQ(-EFAULT, raw(l, SYNCMGR_IOC_POP, &d));
		munmap(ro, 4096);
	} while (0);
	EXPECT_TRUE(LIST_IS(l, 0, 1, 2));
	close(l);
}

TEST(malformed_values_and_fields)
{
	struct {
		struct syncmgr_value h;
		char payload[8];
	} in;
	struct syncmgr_data d;
	int l = list_range(2);

	ASSERT_LE(0, l);
	/* a good INT, then variations */
	memset(&in, 0, sizeof(in));
	in.h.type = SYNCMGR_VAL_INT;
	memset(&d, 0, sizeof(d));
	d.in = (uintptr_t)&in;
	d.in_size = sizeof(in.h);
	d.count = 1;
	EXPECT_EQ(0, raw(l, SYNCMGR_IOC_UPDATE, &d));
	in.h.reserved = 1;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	in.h.reserved = 0;
	in.h.type = 99;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	in.h.type = SYNCMGR_VAL_BOOL;
	in.h.data = 2;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	/* a STR: bad UTF-8, nonzero padding, size mismatches */
	in.h.type = SYNCMGR_VAL_STR;
	in.h.data = 0;
	in.h.len = 3;
	memcpy(in.payload, "\xff\xfe\x00\x00\x00\x00\x00\x00", 8);
	d.in_size = sizeof(in);
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	memcpy(in.payload, "abc\0\0\0\0\1", 8);
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	in.payload[7] = 0;
	d.in_size = sizeof(in) - 8;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	d.in_size = sizeof(in);
	d.count = 2;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_UPDATE, &d));
	d.count = 1;
	in.h.type = SYNCMGR_VAL_HANDLE;
	in.h.len = 0;
	in.h.data = 999;
	d.in_size = sizeof(in.h);
	EXPECT_EQ(-EBADF, raw(l, SYNCMGR_IOC_UPDATE, &d));
	in.h.data = 0;			/* stdin is no syncmgr object */
	EXPECT_EQ(-EBADFD, raw(l, SYNCMGR_IOC_UPDATE, &d));
	EXPECT_EQ(3, sm_list_len(l));

	/* fields a command does not use must be zero */
	memset(&d, 0, sizeof(d));
	d.deadline = 1;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_LEN, &d));
	memset(&d, 0, sizeof(d));
	d.stop = 1;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_DELETE, &d));
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_NO_START;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_DELETE, &d));
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_KEYS;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_SORT, &d));
	memset(&d, 0, sizeof(d));
	d.start = 1;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_REVERSE, &d));
	memset(&d, 0, sizeof(d));
	d.reserved = 1;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_LEN, &d));
	memset(&d, 0, sizeof(d));
	EXPECT_EQ(-EBADFD, raw(l, SYNCMGR_IOC_PUT, &d));
	EXPECT_EQ(-EBADFD, raw(l, SYNCMGR_IOC_POPITEM, &d));
	EXPECT_EQ(-EBADFD, raw(l, SYNCMGR_IOC_ACQUIRE, &d));
	EXPECT_EQ(3, rawv(l, SYNCMGR_IOC_LEN, &d));
	close(l);
}

/*
 * One byte over max_value_size (set to 4096 for the test: the default is
 * 256 MiB): EMSGSIZE, nothing stored; at the limit: stored.
 */
TEST(oversized_value_emsgsize)
{
	static char p[4097];
	struct sm_value v = sm_bytes(p, sizeof(p));
	int l = sm_list_create(0);
	char saved[32];

	ASSERT_LE(0, l);
	if (!set_value_size(4096, saved, sizeof(saved)))
		SKIP(return, "%s is not writable", VALUE_SIZE_PARAM);
	EXPECT_EQ(-EMSGSIZE, sm_list_append(l, &v));
	EXPECT_EQ(-EMSGSIZE, sm_list_insert(l, 0, &v));
	EXPECT_EQ(0, sm_list_len(l));
	v.buf.len = 4096;
	EXPECT_EQ(0, sm_list_append(l, &v));
	EXPECT_EQ(0, write_param(VALUE_SIZE_PARAM, saved));
	EXPECT_EQ(1, sm_list_len(l));
	close(l);
}

/* Child: read the Lock stored at index 0 of the list, acquire it. */
static int take_stored_lock(void *arg)
{
	int l = *(int *)arg;
	struct sm_buf b = mkbuf();
	struct sm_value v;
	int ret = sm_list_get(l, 0, &v, &b);

	if (ret)
		return ret;
	if (v.type != SYNCMGR_VAL_HANDLE || v.handle == l)
		return -EPROTO;
	if (sm_type(v.handle) != SYNCMGR_TYPE_LOCK)
		return -EPROTO;
	ret = sm_lock_acquire(v.handle, 0);
	close(v.handle);
	return ret;
}

TEST(nested_lock_handle_read_by_another_process)
{
	int *res = shared_mem(sizeof(*res));
	/* untracked: the lock stays held after the child exits */
	int l = sm_list_create(0), lk = sm_lock_create(SYNCMGR_CREATE_UNTRACKED);
	struct sm_value v = sm_handle(lk);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, l);
	ASSERT_LE(0, lk);
	ASSERT_EQ(0, sm_list_append(l, &v));
	EXPECT_EQ(1, sm_list_contains(l, &v));
	close(lk);			/* the list keeps the Lock alive */
	pid = spawn(take_stored_lock, &l, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	/* the child locked the very Lock the list holds */
	do {
		struct sm_buf b = mkbuf();
		struct sm_value out;

		ASSERT_EQ(0, sm_list_get(l, 0, &out, &b));
		ASSERT_EQ(SYNCMGR_VAL_HANDLE, out.type);
		EXPECT_EQ(1, sm_lock_locked(out.handle));
		EXPECT_NE(0, fcntl(out.handle, F_GETFD) & FD_CLOEXEC);
		EXPECT_EQ(1, sm_list_count(l, &out));
		close(out.handle);
	} while (0);
	close(l);
}

/* Child: receive a list over the socket, append 1..n, report len. */
struct remote_arg {
	int sock, n;
};

static int remote_appends(void *arg)
{
	struct remote_arg *a = arg;
	int l = recv_one(a->sock);
	int ret = 0;

	if (l < 0)
		return l;
	for (int i = 1; i <= a->n && !ret; i++) {
		struct sm_value v = sm_int(i);

		ret = sm_list_append(l, &v);
	}
	if (!ret)
		ret = sm_list_len(l);
	close(l);
	return ret;
}

TEST(handle_passed_over_unix_socket)
{
	int *res = shared_mem(sizeof(*res));
	struct remote_arg a = { .n = 5 };
	int sv[2], l = sm_list_create(0);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, unix_pair(sv));
	a.sock = sv[1];
	pid = spawn(remote_appends, &a, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, sm_send_handles(sv[0], &l, 1));
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(5, *res);
	EXPECT_TRUE(LIST_IS(l, 1, 2, 3, 4, 5));
	close(sv[0]);
	close(sv[1]);
	close(l);
}

TEST(cycles_refused_eloop)
{
	int a = sm_list_create(0), b = sm_list_create(0), c;
	struct sm_value va = sm_handle(a), vb = sm_handle(b), pair[2];
	struct sm_slice s = { 0, 0, 1, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(-ELOOP, sm_list_append(a, &va));
	EXPECT_EQ(-ELOOP, sm_list_insert(a, 0, &va));
	EXPECT_EQ(0, sm_list_len(a));
	ASSERT_EQ(0, sm_list_append(a, &vb));		/* a -> b */
	EXPECT_EQ(-ELOOP, sm_list_append(b, &va));	/* b -> a closes it */
	EXPECT_EQ(-ELOOP, sm_list_set_slice(b, &s, &va, 1));
	EXPECT_EQ(0, sm_list_len(b));
	pair[0] = sm_int(1);
	pair[1] = va;
	EXPECT_EQ(-ELOOP, sm_list_extend(b, pair, 2));	/* all or nothing */
	EXPECT_EQ(0, sm_list_len(b));
	EXPECT_EQ(-ELOOP, sm_list_set(a, 0, &va));
	/* a copy holds the same b: b still cannot hold a, nor the copy */
	c = sm_list_copy(a);
	ASSERT_LE(0, c);
	pair[1] = sm_handle(c);
	EXPECT_EQ(-ELOOP, sm_list_extend(b, pair, 2));
	/* b into a second time, and a plain value, are fine */
	EXPECT_EQ(0, sm_list_append(a, &vb));
	ASSERT_EQ(0, sm_list_repeat(a, 3));
	EXPECT_EQ(6, sm_list_count(a, &vb));
	close(c);
	close(b);
	close(a);
}

/* Child of the stress: appends its ids p*K .. p*K+K-1, one by one. */
struct stress_arg {
	int list, p, k;
};

static int stress_child(void *arg)
{
	struct stress_arg *s = arg;

	for (int i = 0; i < s->k; i++) {
		struct sm_value v = sm_int((int64_t)s->p * s->k + i);
		int ret = sm_list_append(s->list, &v);

		if (ret)
			return ret;
		if (i % 16 == 0) {	/* readers and writers interleave */
			struct sm_buf b = mkbuf();

			ret = sm_list_get(s->list, -1, &v, &b);
			if (ret)
				return ret;
		}
	}
	return 0;
}

TEST(stress_appends_from_processes_exact)
{
	enum { NPROC = 4 };
	int k = stress_rounds(300);
	int *res = shared_mem(NPROC * sizeof(*res));
	struct stress_arg args[NPROC];
	pid_t pid[NPROC];
	int l = sm_list_create(0), total = NPROC * k;
	struct sm_slice s = { 0, 0, 1, SYNCMGR_DATA_NO_STOP };
	struct sm_value *out = calloc(total, sizeof(*out));
	size_t bsz = (size_t)total * SYNCMGR_VALUE_SIZE(0);
	struct sm_buf b = { .data = malloc(bsz), .size = bsz };

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, b.data);
	ASSERT_LE(0, l);
	for (int p = 0; p < NPROC; p++) {
		args[p] = (struct stress_arg){ l, p, k };
		pid[p] = spawn(stress_child, &args[p], &res[p]);
		ASSERT_LT(0, pid[p]);
	}
	for (int p = 0; p < NPROC; p++) {
		ASSERT_EQ(0, wait_child(pid[p], 30000 * slow_factor()));
		EXPECT_EQ(0, res[p]);
	}
	ASSERT_EQ(total, sm_list_len(l));
	/* the exact multiset: each id once; each child's ids in order */
	ASSERT_EQ(total, sm_list_get_slice(l, &s, out, total, &b));
	do {
		int last[NPROC];

		for (int p = 0; p < NPROC; p++)
			last[p] = -1;
		for (int i = 0; i < total; i++) {
			int p = out[i].i / k, n = out[i].i % k;

			ASSERT_TRUE(p >= 0 && p < NPROC);
			EXPECT_EQ(last[p] + 1, n);
			last[p] = n;
		}
	} while (0);
	ASSERT_EQ(0, sm_list_sort(l, 0));
	ASSERT_EQ(total, sm_list_get_slice(l, &s, out, total, &b));
	for (int i = 0; i < total; i++)
		ASSERT_EQ(i, out[i].i);
	free(b.data);
	free(out);
	close(l);
}

/* ------------------------------------------------------------ accounting */

#define LIST_BYTES_PARAM "/sys/module/syncmgr/parameters/max_bytes_per_user"
/* What a stored item costs at least: struct syncmgr_item (48 bytes). */
#define ITEM_MIN	48


/*
 * The list's slots are charged with its items: n ints cost at least n
 * items and n pointers, and all of it returns on close.
 */
TEST(list_slots_are_charged)
{
	struct sm_value v[100];
	int probe = sm_event_create(0), l;
	unsigned long b0, b1;

	ASSERT_LE(0, probe);
	b0 = user_bytes(probe);
	l = sm_list_create(0);
	ASSERT_LE(0, l);
	for (int i = 0; i < 100; i++)
		v[i] = sm_int(i);
	for (int k = 0; k < 100; k++)
		ASSERT_EQ(0, sm_list_extend(l, v, 100));
	b1 = user_bytes(probe);
	EXPECT_LE(b0 + 10000UL * (ITEM_MIN + 8), b1) {
		TH_LOG("10000 ints charged %lu bytes", b1 - b0);
	}
	close(l);
	EXPECT_EQ(b0, user_bytes(probe));
	close(probe);
}

/*
 * l *= n beyond the byte quota: EDQUOT, and the list keeps its length,
 * its capacity (no 32 MiB of slots left behind) and its charges.
 */
TEST(list_failed_repeat_changes_nothing)
{
	int probe = sm_event_create(0), l;
	struct sm_value one = sm_int(7);
	unsigned long start, b0, b1;
	long vm0, vm1;
	char saved[32];

	ASSERT_LE(0, probe);
	start = user_bytes(probe);
	ASSERT_EQ(0, read_param(LIST_BYTES_PARAM, saved, sizeof(saved)));
	if (write_param(LIST_BYTES_PARAM, "1048576\n"))
		SKIP(return, "%s is not writable", LIST_BYTES_PARAM);
	l = sm_list_create(0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_append(l, &one));
	b0 = user_bytes(probe);
	vm0 = meminfo_kb("VmallocUsed:");
	EXPECT_EQ(-EDQUOT, sm_list_repeat(l, 1 << 22));
	vm1 = meminfo_kb("VmallocUsed:");
	b1 = user_bytes(probe);
	EXPECT_EQ(1, sm_list_len(l));
	EXPECT_EQ(b0, b1);
	EXPECT_GT(4096, vm1 - vm0) {
		TH_LOG("VmallocUsed grew by %ld KiB", vm1 - vm0);
	}
	/* Appending beyond the quota fails the same way, charged. */
	for (int i = 0; i < 100000; i++) {
		int r = sm_list_append(l, &one);

		if (r) {
			EXPECT_EQ(-EDQUOT, r);
			break;
		}
	}
	EXPECT_GE(1048576UL, user_bytes(probe));
	EXPECT_EQ(0, write_param(LIST_BYTES_PARAM, saved));
	close(l);
	EXPECT_EQ(start, user_bytes(probe));
	close(probe);
}

TEST_HARNESS_MAIN
