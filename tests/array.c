// SPDX-License-Identifier: GPL-2.0
/*
 * Array typecodes beyond int64: 'Q' and 'L' hold 0 .. 2^64 - 1 (from 2^63
 * on an element travels as a BIGINT of 9 bytes), and 'u' holds code
 * points, travelling as a STR of one character.  Raw ioctls
 * (sm_data_ioctl): libsync's sm_array_get takes no buffer for payloads.
 */
#include "common.h"

/* 2^63 and 2^64 - 1 as BIGINT payloads (two's complement, LE, fewest). */
static const uint8_t big_2_63[9] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0 };
static const uint8_t big_max[9] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0 };
static const uint8_t big_2_64[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
/* -2^63 - 1 */
static const uint8_t big_neg[9] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0x7f, 0xff };

static bool has_feature(uint64_t bit)
{
	struct syncmgr_version v;

	return !sm_version(&v) && (v.features & bit);
}

/* A BIGINT value, laid out by hand (libsync's encoder may not have it). */
static int put_bigint(uint8_t *buf, const uint8_t *le, uint32_t n)
{
	struct syncmgr_value h = { .type = SYNCMGR_VAL_BIGINT, .len = n };

	memset(buf, 0, SYNCMGR_VALUE_SIZE(n));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), le, n);
	return SYNCMGR_VALUE_SIZE(n);
}

/* A raw element ioctl: in (size bytes, count values), out into outbuf. */
static long elem(int a, unsigned long cmd, int64_t index, const void *in,
		 uint32_t size, uint32_t count, void *out, uint32_t out_size)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	d.start = index;
	d.in = (uintptr_t)in;
	d.in_size = size;
	d.count = count;
	d.out = (uintptr_t)out;
	d.out_size = out_size;
	return sm_data_ioctl(a, cmd, &d);
}

/* Element index read: its header into *h and payload into p (room 16). */
static long load(int a, int64_t index, struct syncmgr_value *h, uint8_t *p)
{
	uint8_t out[64];
	long ret = elem(a, SYNCMGR_IOC_LOAD, index, NULL, 0, 0, out,
			sizeof(out));

	if (ret != 1)
		return ret;
	memcpy(h, out, sizeof(*h));
	memcpy(p, out + sizeof(*h), h->len > 16 ? 16 : h->len);
	return ret;
}

/* One value encoded by libsync, stored at index. */
static long store(int a, int64_t index, struct sm_value v)
{
	uint8_t in[64];
	int n = sm_values_encode(in, sizeof(in), &v, 1);

	if (n < 0)
		return n;
	return elem(a, SYNCMGR_IOC_STORE, index, in, n, 1, NULL, 0);
}

static long add(int a, int64_t index, int64_t delta)
{
	uint8_t in[16], out[64];
	struct sm_value v = sm_int(delta);

	sm_values_encode(in, sizeof(in), &v, 1);
	return elem(a, SYNCMGR_IOC_ADD, index, in, 16, 1, out, sizeof(out));
}

/* CMPXCHG of INT values at index: 1 stored, 0 not, or -errno. */
static long cas(int a, int64_t index, int64_t expected, int64_t new,
		uint8_t *out)
{
	struct sm_value v[2] = { sm_int(expected), sm_int(new) };
	uint8_t in[32];

	sm_values_encode(in, sizeof(in), v, 2);
	return elem(a, SYNCMGR_IOC_CMPXCHG, index, in, 32, 2, out, 64);
}

#define EXPECT_BIG(a, i, le) do {					\
	struct syncmgr_value h_;					\
	uint8_t p_[16];							\
	EXPECT_EQ(1, load((a), (i), &h_, p_));				\
	EXPECT_EQ(SYNCMGR_VAL_BIGINT, h_.type);				\
	EXPECT_EQ(9U, h_.len);						\
	EXPECT_EQ(0ULL, h_.data);					\
	EXPECT_EQ(0, memcmp(p_, (le), 9));				\
} while (0)

#define EXPECT_INT(a, i, v) do {					\
	struct syncmgr_value h_;					\
	uint8_t p_[16];							\
	EXPECT_EQ(1, load((a), (i), &h_, p_));				\
	EXPECT_EQ(SYNCMGR_VAL_INT, h_.type);				\
	EXPECT_EQ((uint64_t)(v), h_.data);				\
} while (0)

TEST(unsigned_64_reaches_2_64_minus_1)
{
	const char codes[] = "QL";

	for (int k = 0; k < 2; k++) {
		struct sm_value max = sm_int(INT64_MAX);
		uint8_t out[64];
		int a = sm_array_create(codes[k], NULL, 2, 0);

		ASSERT_LE(0, a);
		TH_LOG("typecode %c", codes[k]);
		EXPECT_EQ(0, sm_array_set(a, 0, &max));
		EXPECT_INT(a, 0, INT64_MAX);
		/* 2^63: a BIGINT of 9 bytes; the value before still an INT. */
		EXPECT_EQ(0, add(a, 0, 1));
		EXPECT_BIG(a, 0, big_2_63);
		/* The value before, a BIGINT, needs 32 bytes: EMSGSIZE, kept. */
		EXPECT_EQ(-EMSGSIZE, elem(a, SYNCMGR_IOC_ADD, 0,
					  (uint8_t[16]){ 2 }, 16, 1, out, 16));
		EXPECT_BIG(a, 0, big_2_63);
		/* 2^63 + 2^63 - 1 = 2^64 - 1, the most. */
		EXPECT_EQ(0, add(a, 0, INT64_MAX));
		EXPECT_BIG(a, 0, big_max);
		EXPECT_EQ(-EOVERFLOW, add(a, 0, 1));
		EXPECT_BIG(a, 0, big_max);
		/* And down again: 2^64 - 1 - 2^63 = 2^63 - 1, an INT. */
		EXPECT_EQ(0, add(a, 0, INT64_MIN));
		EXPECT_INT(a, 0, INT64_MAX);
		/* Below 0: refused. */
		EXPECT_EQ(-EOVERFLOW, add(a, 1, -1));
		EXPECT_EQ(-EOVERFLOW, store(a, 1, sm_int(-1)));
		EXPECT_INT(a, 1, 0);
		/* A slice read shows both kinds in one batch. */
		EXPECT_EQ(0, add(a, 1, INT64_MAX));
		EXPECT_EQ(0, add(a, 1, INT64_MAX));	/* 2^64 - 2 */
		EXPECT_EQ(0, add(a, 0, INT64_MAX));	/* 2^64 - 2 */
		EXPECT_EQ(0, add(a, 0, 1));		/* 2^64 - 1 */
		EXPECT_BIG(a, 0, big_max);
		/* Compared as numbers, not bits: -1 is not 2^64 - 1. */
		EXPECT_EQ(0, cas(a, 0, -1, 7, out));
		EXPECT_BIG(a, 0, big_max);
		EXPECT_EQ(0, store(a, 1, sm_int(5)));
		EXPECT_EQ(1, cas(a, 1, 5, 6, out));
		EXPECT_INT(a, 1, 6);
		EXPECT_EQ(-EOVERFLOW, cas(a, 1, 6, -1, out));
		EXPECT_INT(a, 1, 6);
		close(a);
	}
}

/*
 * BIGINT going in (feature COMPOSITE: the codec reads it; without it
 * the codec refuses every BIGINT with EINVAL before the Array sees it).
 */
TEST(unsigned_64_bigint_in)
{
	uint8_t in[64];
	bool composite = has_feature(SYNCMGR_FEAT_COMPOSITE);
	int a = sm_array_create('Q', NULL, 1, 0);
	int q = sm_array_create('q', NULL, 1, 0);
	int n;

	ASSERT_LE(0, a);
	ASSERT_LE(0, q);
	n = put_bigint(in, big_2_63, 9);
	if (!composite) {
		TH_LOG("no SYNCMGR_FEAT_COMPOSITE: BIGINT in is refused by the codec");
		EXPECT_EQ(-EINVAL, elem(a, SYNCMGR_IOC_STORE, 0, in, n, 1,
					NULL, 0));
		EXPECT_INT(a, 0, 0);
		close(q);
		close(a);
		return;
	}
	EXPECT_EQ(0, elem(a, SYNCMGR_IOC_STORE, 0, in, n, 1, NULL, 0));
	EXPECT_BIG(a, 0, big_2_63);
	n = put_bigint(in, big_max, 9);
	EXPECT_EQ(0, elem(a, SYNCMGR_IOC_STORE, 0, in, n, 1, NULL, 0));
	EXPECT_BIG(a, 0, big_max);
	n = put_bigint(in, big_2_64, 9);
	EXPECT_EQ(-EOVERFLOW, elem(a, SYNCMGR_IOC_STORE, 0, in, n, 1, NULL,
				   0));
	n = put_bigint(in, big_neg, 9);
	EXPECT_EQ(-EOVERFLOW, elem(a, SYNCMGR_IOC_STORE, 0, in, n, 1, NULL,
				   0));
	EXPECT_BIG(a, 0, big_max);
	/* A signed 'q' holds no BIGINT. */
	n = put_bigint(in, big_2_63, 9);
	EXPECT_EQ(-EOVERFLOW, elem(q, SYNCMGR_IOC_STORE, 0, in, n, 1, NULL,
				   0));
	EXPECT_INT(q, 0, 0);
	close(q);
	close(a);
}

/* 2^64 - 1 written by one process, read by another. */
static int big_writer(void *arg)
{
	int a = *(int *)arg;

	if (add(a, 0, INT64_MAX) || add(a, 0, INT64_MAX) || add(a, 0, 1))
		return -1;
	return 0;
}

TEST(unsigned_64_across_processes)
{
	int a = sm_array_create('Q', NULL, 1, 0), *result = shared_mem(4);
	pid_t pid;

	ASSERT_LE(0, a);
	ASSERT_NE(NULL, result);
	pid = spawn(big_writer, &a, result);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *result);
	EXPECT_BIG(a, 0, big_max);
	close(a);
}

#define EXPECT_CHAR(a, i, s) do {					\
	struct syncmgr_value h_;					\
	uint8_t p_[16];							\
	EXPECT_EQ(1, load((a), (i), &h_, p_));				\
	EXPECT_EQ(SYNCMGR_VAL_STR, h_.type);				\
	EXPECT_EQ((uint32_t)sizeof(s) - 1, h_.len);			\
	EXPECT_EQ(0, memcmp(p_, (s), sizeof(s) - 1));			\
} while (0)

TEST(u_holds_code_points)
{
	static const char *chars[] = { "A", "\xc3\xa9", "\xe2\x82\xac",
				       "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf" };
	struct syncmgr_state st;
	int a = sm_array_create('u', NULL, 5, 0);

	ASSERT_LE(0, a);
	ASSERT_EQ(0, sm_state(a, &st));
	EXPECT_EQ((uint32_t)'u', st.max);
	EXPECT_EQ(5U, st.value);
	EXPECT_CHAR(a, 0, "\0");		/* zero-filled: U+0000 */
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, store(a, i, sm_str(chars[i])));
	EXPECT_CHAR(a, 0, "A");
	EXPECT_CHAR(a, 1, "\xc3\xa9");
	EXPECT_CHAR(a, 2, "\xe2\x82\xac");
	EXPECT_CHAR(a, 3, "\xf0\x9f\x98\x80");
	EXPECT_CHAR(a, -1, "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	close(a);
}

TEST(u_refuses_what_is_not_one_character)
{
	/* A surrogate (U+D800) in UTF-8 form: not valid UTF-8. */
	static const char surrogate[] = "\xed\xa0\x80";
	struct sm_value two[2] = { sm_str("x"), sm_str("yz") };
	struct sm_slice all = { 0, 0, 1,
				SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	uint8_t in[64], out[64];
	int a = sm_array_create('u', NULL, 2, 0), n;

	ASSERT_LE(0, a);
	ASSERT_EQ(0, store(a, 0, sm_str("k")));
	EXPECT_EQ(-EINVAL, store(a, 0, sm_str("ab")));
	EXPECT_EQ(-EINVAL, store(a, 0, sm_str("")));
	EXPECT_EQ(-EINVAL, store(a, 0, sm_payload(SYNCMGR_VAL_STR, surrogate,
						  3)));
	EXPECT_EQ(-EINVAL, store(a, 0, sm_int(65)));
	EXPECT_EQ(-EINVAL, store(a, 0, sm_bytes("A", 1)));
	/* A slice is all or nothing. */
	EXPECT_EQ(-EINVAL, sm_array_set_slice(a, &all, two, 2));
	EXPECT_CHAR(a, 0, "k");
	EXPECT_CHAR(a, 1, "\0");
	/* No arithmetic on characters. */
	EXPECT_EQ(-EINVAL, add(a, 0, 1));
	n = sm_values_encode(in, sizeof(in), two, 2);
	ASSERT_LT(0, n);
	EXPECT_EQ(-EINVAL, elem(a, SYNCMGR_IOC_CMPXCHG, 0, in, n, 2, out,
				sizeof(out)));
	EXPECT_CHAR(a, 0, "k");
	close(a);
}

/* Other typecodes are as they were: no BIGINT, no STR. */
TEST(other_typecodes_unchanged)
{
	int a = sm_array_create('q', NULL, 1, 0);
	int i = sm_array_create('I', NULL, 1, 0);

	ASSERT_LE(0, a);
	ASSERT_LE(0, i);
	EXPECT_EQ(0, add(a, 0, INT64_MAX));
	EXPECT_EQ(-EOVERFLOW, add(a, 0, 1));
	EXPECT_INT(a, 0, INT64_MAX);
	EXPECT_EQ(-EINVAL, store(a, 0, sm_str("A")));
	EXPECT_EQ(-EOVERFLOW, store(i, 0, sm_int(1LL << 32)));
	EXPECT_EQ(-EINVAL, sm_array_create('U', NULL, 1, 0));
	close(i);
	close(a);
}

TEST_HARNESS_MAIN
