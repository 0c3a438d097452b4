// SPDX-License-Identifier: GPL-2.0
/*
 * dict and Namespace against Python's dict: every method, insertion order,
 * numeric key equality, paged iteration, bad input (bad pointers, broken
 * value buffers, too-small buffers), nesting (a Lock stored in a dict and
 * used by another process), refused cycles, a multi-process stress with
 * exact invariants and a million entries that all go away on close.
 */
#include <math.h>

#include "common.h"

#define DICT_BYTES_PARAM "/sys/module/syncmgr/parameters/max_bytes_per_user"

#define BUFSZ		4096

static int64_t sid(const struct sm_value *v)
{
	return v->type == SYNCMGR_VAL_INT ? v->i : INT64_MIN;
}

static bool is_str(const struct sm_value *v, const char *s)
{
	return v->type == SYNCMGR_VAL_STR && v->buf.len == strlen(s) &&
	       !memcmp(v->buf.ptr, s, v->buf.len);
}

/* d[k] = v for ints. */
static int set_ii(int d, int64_t k, int64_t v)
{
	struct sm_value kk = sm_int(k), vv = sm_int(v);

	return sm_dict_set(d, &kk, &vv);
}

/* d[k] as an int, or -errno as a large negative. */
static int64_t get_i(int d, int64_t k)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value kk = sm_int(k), out;
	int ret = sm_dict_get(d, &kk, &out, &buf);

	if (ret)
		return ret;
	return out.type == SYNCMGR_VAL_INT ? out.i : -EPROTO;
}

/* Slab memory in kB from /proc/meminfo. */
static long slab_kb(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Every key of d (ints) in iteration order, paged with a small buffer. */
static int all_keys(int d, int64_t *keys, int max, unsigned int page_bytes)
{
	char mem[65536];
	struct sm_buf buf = { mem, page_bytes, 0 };
	struct sm_value out[64];
	uint64_t cursor = 0;
	int n = 0, got;

	do {
		got = sm_dict_iter(d, SM_DICT_KEYS, &cursor, out, 64, &buf);
		if (got < 0)
			return got;
		for (int i = 0; i < got && n < max; i++)
			keys[n++] = sid(&out[i]);
	} while (cursor);
	return n;
}

FIXTURE(dict) {
	int d;
	char mem[BUFSZ];
	struct sm_buf buf;
};

FIXTURE_SETUP(dict)
{
	struct syncmgr_version v;

	ASSERT_EQ(0, sm_version(&v));
	if (!(v.features & SYNCMGR_FEAT_DICT))
		SKIP(return, "module without dict");
	self->d = sm_dict_create(0);
	ASSERT_LE(0, self->d);
	memset(self->mem, POISON, sizeof(self->mem));
	self->buf = (struct sm_buf){ self->mem, sizeof(self->mem), 0 };
}

FIXTURE_TEARDOWN(dict)
{
	close(self->d);
}

TEST_F(dict, set_get_len_contains_del)
{
	struct sm_value k = sm_str("a"), v = sm_str("hello"), out;
	struct sm_value missing = sm_str("zz"), bk = sm_bytes("a", 1);

	EXPECT_EQ(SYNCMGR_TYPE_DICT, sm_type(self->d));
	EXPECT_EQ(0, sm_dict_len(self->d));
	EXPECT_EQ(0, sm_dict_set(self->d, &k, &v));
	EXPECT_EQ(1, sm_dict_len(self->d));
	ASSERT_EQ(0, sm_dict_get(self->d, &k, &out, &self->buf));
	EXPECT_TRUE(is_str(&out, "hello"));
	EXPECT_EQ(-ENOENT, sm_dict_get(self->d, &missing, &out, &self->buf));
	/* str and bytes are different keys */
	EXPECT_EQ(-ENOENT, sm_dict_get(self->d, &bk, &out, &self->buf));
	EXPECT_EQ(1, sm_dict_contains(self->d, &k));
	EXPECT_EQ(0, sm_dict_contains(self->d, &missing));
	EXPECT_EQ(-ENOENT, sm_dict_del(self->d, &missing));
	EXPECT_EQ(0, sm_dict_del(self->d, &k));
	EXPECT_EQ(0, sm_dict_contains(self->d, &k));
	EXPECT_EQ(0, sm_dict_len(self->d));
	EXPECT_EQ(-ENOENT, sm_dict_del(self->d, &k));
}

/* 1, 1.0 and True are one key; the first key object stays (Python). */
TEST_F(dict, numeric_keys_are_one_key)
{
	struct sm_value one = sm_int(1), onef = sm_double(1.0), t = sm_bool(1);
	struct sm_value half = sm_double(0.5), none = sm_none(), nan = sm_double(NAN);
	struct sm_value a = sm_str("a"), b = sm_str("b"), c = sm_str("c");
	struct sm_value out[4];
	uint64_t cursor = 0;

	ASSERT_EQ(0, sm_dict_set(self->d, &one, &a));
	ASSERT_EQ(0, sm_dict_set(self->d, &onef, &b));
	ASSERT_EQ(0, sm_dict_set(self->d, &half, &c));
	EXPECT_EQ(2, sm_dict_len(self->d));
	ASSERT_EQ(0, sm_dict_get(self->d, &t, out, &self->buf));
	EXPECT_TRUE(is_str(&out[0], "b"));
	EXPECT_EQ(1, sm_dict_contains(self->d, &onef));
	EXPECT_EQ(-ENOENT, sm_dict_get(self->d, &none, out, &self->buf));
	ASSERT_EQ(0, sm_dict_set(self->d, &none, &a));
	EXPECT_EQ(1, sm_dict_contains(self->d, &none));
	/* NaN equals nothing: every NaN is a new key, never found */
	ASSERT_EQ(0, sm_dict_set(self->d, &nan, &a));
	ASSERT_EQ(0, sm_dict_set(self->d, &nan, &a));
	EXPECT_EQ(5, sm_dict_len(self->d));
	EXPECT_EQ(0, sm_dict_contains(self->d, &nan));
	/* the kept key is the INT 1, in first place */
	ASSERT_EQ(2, sm_dict_iter(self->d, SM_DICT_ITEMS, &cursor, out, 4,
				  &self->buf));
	EXPECT_EQ(SYNCMGR_VAL_INT, out[0].type);
	EXPECT_EQ(1, out[0].i);
	EXPECT_TRUE(is_str(&out[1], "b"));
	EXPECT_EQ(SYNCMGR_VAL_DOUBLE, out[2].type);
}

TEST_F(dict, insertion_order_replace_keeps_place_popitem_newest)
{
	int64_t keys[8];
	struct sm_value k, v;

	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, set_ii(self->d, i, i * 10));
	ASSERT_EQ(0, set_ii(self->d, 1, 111));	/* keeps place */
	k = sm_int(2);
	ASSERT_EQ(0, sm_dict_del(self->d, &k));
	ASSERT_EQ(0, set_ii(self->d, 2, 222));	/* goes to the end */
	ASSERT_EQ(5, all_keys(self->d, keys, 8, BUFSZ));
	EXPECT_EQ(0, keys[0]);
	EXPECT_EQ(1, keys[1]);
	EXPECT_EQ(3, keys[2]);
	EXPECT_EQ(4, keys[3]);
	EXPECT_EQ(2, keys[4]);
	EXPECT_EQ(111, get_i(self->d, 1));

	ASSERT_EQ(0, sm_dict_popitem(self->d, &k, &v, &self->buf));
	EXPECT_EQ(2, sid(&k));
	EXPECT_EQ(222, sid(&v));
	ASSERT_EQ(0, sm_dict_popitem(self->d, &k, &v, &self->buf));
	EXPECT_EQ(4, sid(&k));
	EXPECT_EQ(3, sm_dict_len(self->d));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, sm_dict_popitem(self->d, &k, &v, &self->buf));
	EXPECT_EQ(-ENOENT, sm_dict_popitem(self->d, &k, &v, &self->buf));
}

TEST_F(dict, get_default_pop_setdefault)
{
	struct sm_value k = sm_str("k"), dflt = sm_int(7), v = sm_int(3), out;

	EXPECT_EQ(1, sm_dict_get_default(self->d, &k, &dflt, &out, &self->buf));
	EXPECT_EQ(7, sid(&out));
	EXPECT_EQ(0, sm_dict_len(self->d));	/* get does not store */
	EXPECT_EQ(-ENOENT, sm_dict_pop(self->d, &k, &out, &self->buf));
	EXPECT_EQ(1, sm_dict_pop_default(self->d, &k, &dflt, &out, &self->buf));
	EXPECT_EQ(7, sid(&out));

	ASSERT_EQ(0, sm_dict_setdefault(self->d, &k, &dflt, &out, &self->buf));
	EXPECT_EQ(7, sid(&out));
	ASSERT_EQ(0, sm_dict_setdefault(self->d, &k, &v, &out, &self->buf));
	EXPECT_EQ(7, sid(&out));		/* present: unchanged */
	EXPECT_EQ(0, sm_dict_get_default(self->d, &k, &v, &out, &self->buf));
	EXPECT_EQ(7, sid(&out));
	EXPECT_EQ(0, sm_dict_pop(self->d, &k, &out, &self->buf));
	EXPECT_EQ(7, sid(&out));
	EXPECT_EQ(0, sm_dict_contains(self->d, &k));
}

/*
 * Lookups read a key onto the kernel's stack up to 64 payload bytes and
 * allocate beyond: every operation on keys at and around that bound, and
 * the bytes they charge (only for what is stored) come back.
 */
TEST_F(dict, keys_small_and_large)
{
	static const uint32_t lens[] = { 0, 1, 7, 56, 63, 64, 65, 72, 200, 5000 };
	char kb[5000];
	struct sm_value k, k2, v = sm_int(1), dflt = sm_int(2), out;
	int probe = sm_lock_create(0);
	unsigned long b0, b1;

	ASSERT_LE(0, probe);
	memset(kb, 'x', sizeof(kb));
	b0 = user_bytes(probe);
	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		k = sm_payload(SYNCMGR_VAL_STR, kb, lens[i]);
		k2 = sm_payload(SYNCMGR_VAL_BYTES, kb, lens[i]);
		EXPECT_EQ(0, sm_dict_contains(self->d, &k));
		ASSERT_EQ(0, sm_dict_set(self->d, &k, &v));
		b1 = user_bytes(probe);
		ASSERT_EQ(0, sm_dict_set(self->d, &k, &v));	/* replace */
		EXPECT_EQ(b1, user_bytes(probe));
		EXPECT_EQ(1, sm_dict_contains(self->d, &k));
		EXPECT_EQ(0, sm_dict_contains(self->d, &k2));	/* bytes != str */
		ASSERT_EQ(0, sm_dict_get(self->d, &k, &out, &self->buf));
		EXPECT_EQ(1, sid(&out));
		ASSERT_EQ(0, sm_dict_setdefault(self->d, &k, &dflt, &out,
						&self->buf));
		EXPECT_EQ(1, sid(&out));
		EXPECT_EQ(b1, user_bytes(probe));	/* dflt not kept */
		ASSERT_EQ(0, sm_dict_setdefault(self->d, &k2, &dflt, &out,
						&self->buf));
		EXPECT_EQ(2, sid(&out));
		EXPECT_LT(b1, user_bytes(probe));
		EXPECT_EQ(2, sm_dict_len(self->d));
		ASSERT_EQ(0, sm_dict_pop(self->d, &k, &out, &self->buf));
		EXPECT_EQ(1, sid(&out));
		EXPECT_EQ(-ENOENT, sm_dict_del(self->d, &k));
		ASSERT_EQ(0, sm_dict_del(self->d, &k2));
		EXPECT_EQ(0, sm_dict_len(self->d));
		EXPECT_EQ(b0, user_bytes(probe));
	}
	close(probe);
}

TEST_F(dict, update_clear_copy)
{
	struct sm_value pairs[8] = {
		sm_int(1), sm_str("one"), sm_int(2), sm_str("two"),
		sm_double(1.0), sm_str("uno"), sm_int(3), sm_none(),
	};
	struct sm_value k = sm_int(1), out;
	int64_t keys[4];
	int c;

	ASSERT_EQ(0, sm_dict_update(self->d, pairs, 4));
	EXPECT_EQ(3, sm_dict_len(self->d));
	ASSERT_EQ(0, sm_dict_get(self->d, &k, &out, &self->buf));
	EXPECT_TRUE(is_str(&out, "uno"));
	ASSERT_EQ(3, all_keys(self->d, keys, 4, BUFSZ));
	EXPECT_EQ(1, keys[0]);
	EXPECT_EQ(2, keys[1]);
	EXPECT_EQ(3, keys[2]);
	EXPECT_EQ(0, sm_dict_update(self->d, pairs, 0));

	c = sm_dict_copy(self->d);
	ASSERT_LE(0, c);
	EXPECT_EQ(SYNCMGR_TYPE_DICT, sm_type(c));
	EXPECT_EQ(3, sm_dict_len(c));
	ASSERT_EQ(0, sm_dict_clear(self->d));
	EXPECT_EQ(0, sm_dict_len(self->d));
	EXPECT_EQ(3, sm_dict_len(c));		/* independent */
	ASSERT_EQ(0, sm_dict_get(c, &k, &out, &self->buf));
	EXPECT_TRUE(is_str(&out, "uno"));
	ASSERT_EQ(3, all_keys(c, keys, 4, BUFSZ));
	EXPECT_EQ(3, keys[2]);
	close(c);
}

/* A copy shares the handles it holds: the same object, not a new one. */
TEST_F(dict, copy_shares_handles)
{
	struct syncmgr_state a, b;
	struct sm_value k = sm_str("lock"), v, out;
	int lock = sm_lock_create(0), c;

	ASSERT_LE(0, lock);
	v = sm_handle(lock);
	ASSERT_EQ(0, sm_dict_set(self->d, &k, &v));
	c = sm_dict_copy(self->d);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, sm_dict_get(c, &k, &out, &self->buf));
	ASSERT_EQ(SYNCMGR_VAL_HANDLE, out.type);
	ASSERT_EQ(0, sm_state(lock, &a));
	ASSERT_EQ(0, sm_state(out.handle, &b));
	EXPECT_EQ(a.id, b.id);
	EXPECT_NE(lock, out.handle);
	/* a handle key equals a handle to the same object */
	EXPECT_EQ(1, sm_dict_contains(c, &k));
	close(out.handle);
	close(c);
	close(lock);
}

/* A batch with a broken value in its middle changes nothing. */
TEST_F(dict, update_is_all_or_nothing)
{
	static const char bad_utf8[] = { 'x', (char)0xc3 };
	struct sm_value pairs[6] = {
		sm_int(10), sm_int(1), sm_int(11), sm_int(2),
		sm_int(12), sm_payload(SYNCMGR_VAL_STR, bad_utf8, 2),
	};
	struct sm_value hp[4] = {
		sm_int(10), sm_int(1), sm_int(13), sm_handle(9999),
	};

	ASSERT_EQ(0, set_ii(self->d, 10, 100));
	EXPECT_EQ(-EINVAL, sm_dict_update(self->d, pairs, 3));
	EXPECT_EQ(-EBADF, sm_dict_update(self->d, hp, 2));
	hp[3] = sm_handle(1);			/* stdout: not ours */
	EXPECT_EQ(-EBADFD, sm_dict_update(self->d, hp, 2));
	EXPECT_EQ(1, sm_dict_len(self->d));
	EXPECT_EQ(100, get_i(self->d, 10));
}

/* Pages: every key exactly once, in order, whatever the page size. */
TEST_F(dict, iteration_pages)
{
	static int64_t keys[1100];
	char mem[65536];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value out[64];
	struct sm_value k = sm_int(0);
	uint64_t cursor = 0;
	int n = 0, got, pages = 0;

	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(0, set_ii(self->d, i, -i));
	/* 3 ints per page (16 bytes each + change) */
	ASSERT_EQ(1000, all_keys(self->d, keys, 1100, 60));
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(i, keys[i]);

	/* items, 5 entries per call; delete ahead of the cursor meanwhile */
	do {
		got = sm_dict_iter(self->d, SM_DICT_ITEMS, &cursor, out, 10,
				   &buf);
		ASSERT_LE(0, got);
		for (int i = 0; i < got; i++) {
			ASSERT_EQ(sid(&out[2 * i]), -sid(&out[2 * i + 1]));
			keys[n++] = sid(&out[2 * i]);
		}
		if (pages++ == 2) {
			for (int i = 500; i < 600; i++) {
				k = sm_int(i);
				ASSERT_EQ(0, sm_dict_del(self->d, &k));
			}
			/* delete the last returned one: the cursor survives */
			k = sm_int(keys[n - 1]);
			ASSERT_EQ(0, sm_dict_del(self->d, &k));
		}
	} while (cursor);
	ASSERT_EQ(900, n);
	for (int i = 0; i < n; i++)
		ASSERT_EQ(i < 500 ? i : i + 100, keys[i]);

	/* values only */
	cursor = 0;
	got = sm_dict_iter(self->d, SM_DICT_VALUES, &cursor, out, 3, &buf);
	ASSERT_EQ(3, got);
	EXPECT_EQ(-1, sid(&out[1]));
	EXPECT_NE(0ULL, cursor);

	/* empty dict: 0 entries, cursor back to 0 */
	ASSERT_EQ(0, sm_dict_clear(self->d));
	got = sm_dict_iter(self->d, SM_DICT_KEYS, &cursor, out, 3, &buf);
	EXPECT_EQ(0, got);
	EXPECT_EQ(0ULL, cursor);
	EXPECT_EQ(-EINVAL, sm_dict_iter(self->d, 0, &cursor, out, 3, &buf));
	EXPECT_EQ(-EINVAL, sm_dict_iter(self->d, SM_DICT_ITEMS, &cursor, out,
					1, &buf));
}

/* Too small a buffer: -EMSGSIZE, needed set, nothing consumed. */
TEST_F(dict, emsgsize_keeps_everything)
{
	static char big[3000];
	struct sm_value k = sm_str("k"), v = sm_bytes(big, sizeof(big)), out;
	struct sm_value kk;
	char mem[64];
	struct sm_buf small = { mem, sizeof(mem), 0 };
	uint64_t cursor = 0;
	size_t need = SYNCMGR_VALUE_SIZE(sizeof(big));

	memset(big, 'x', sizeof(big));
	ASSERT_EQ(0, sm_dict_set(self->d, &k, &v));
	EXPECT_EQ(-EMSGSIZE, sm_dict_get(self->d, &k, &out, &small));
	EXPECT_EQ(need, small.needed);
	EXPECT_EQ(-EMSGSIZE, sm_dict_pop(self->d, &k, &out, &small));
	EXPECT_EQ(need, small.needed);
	EXPECT_EQ(-EMSGSIZE, sm_dict_popitem(self->d, &kk, &out, &small));
	EXPECT_EQ(need + SYNCMGR_VALUE_SIZE(1), small.needed);
	EXPECT_EQ(-EMSGSIZE, sm_dict_setdefault(self->d, &k, &k, &out, &small));
	EXPECT_EQ(-EMSGSIZE, sm_dict_iter(self->d, SM_DICT_VALUES, &cursor,
					  &out, 1, &small));
	EXPECT_EQ(need, small.needed);
	EXPECT_EQ(0ULL, cursor);
	EXPECT_EQ(1, sm_dict_len(self->d));
	ASSERT_EQ(0, sm_dict_pop(self->d, &k, &out, &self->buf));
	EXPECT_EQ(sizeof(big), out.buf.len);
	EXPECT_EQ(0, memcmp(out.buf.ptr, big, sizeof(big)));
	/* setdefault of a new key that does not fit: not stored */
	EXPECT_EQ(-EMSGSIZE, sm_dict_setdefault(self->d, &k, &v, &out, &small));
	EXPECT_EQ(0, sm_dict_len(self->d));
}

/*
 * A value or key one byte over max_value_size (set to 4096 for the test:
 * the default is 256 MiB): EMSGSIZE, nothing stored; at the limit: stored.
 */
TEST_F(dict, oversized_value_is_emsgsize)
{
	static char big[4097];
	struct sm_value k = sm_int(1), v = sm_bytes(big, sizeof(big));
	char saved[32];

	if (!set_value_size(4096, saved, sizeof(saved)))
		SKIP(return, "%s is not writable", VALUE_SIZE_PARAM);
	EXPECT_EQ(-EMSGSIZE, sm_dict_set(self->d, &k, &v));
	EXPECT_EQ(-EMSGSIZE, sm_dict_set(self->d, &v, &k));
	EXPECT_EQ(0, sm_dict_len(self->d));
	v.buf.len = 4096;
	EXPECT_EQ(0, sm_dict_set(self->d, &k, &v));
	EXPECT_EQ(0, sm_dict_set(self->d, &v, &k));
	EXPECT_EQ(0, write_param(VALUE_SIZE_PARAM, saved));
	EXPECT_EQ(2, sm_dict_len(self->d));
}

/* Raw ioctls: one INT key, then the given tail. */
static int raw(int d, unsigned long cmd, struct syncmgr_data *a)
{
	return ioctl(d, cmd, a) ? -errno : 0;
}

TEST_F(dict, bad_pointers_are_efault_and_change_nothing)
{
	struct syncmgr_value in[2] = {
		{ .type = SYNCMGR_VAL_INT, .data = 5 },
		{ .type = SYNCMGR_VAL_INT, .data = 6 },
	};
	struct syncmgr_data a;
	void *bad = (void *)8;

	ASSERT_EQ(0, set_ii(self->d, 5, 50));
	memset(&a, 0, sizeof(a));
	a.in = (uintptr_t)bad;
	a.in_size = sizeof(in);
	a.count = 2;
	EXPECT_EQ(-EFAULT, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	EXPECT_EQ(-EFAULT, raw(self->d, SYNCMGR_IOC_UPDATE, &a));

	/* pop and popitem into a bad buffer: the entry stays */
	memset(&a, 0, sizeof(a));
	a.in = (uintptr_t)in;
	a.in_size = sizeof(in[0]);
	a.count = 1;
	a.out = (uintptr_t)bad;
	a.out_size = 64;
	EXPECT_EQ(-EFAULT, raw(self->d, SYNCMGR_IOC_POP, &a));
	EXPECT_EQ(-EFAULT, raw(self->d, SYNCMGR_IOC_LOOKUP, &a));
	memset(&a, 0, sizeof(a));
	a.out = (uintptr_t)bad;
	a.out_size = 64;
	EXPECT_EQ(-EFAULT, raw(self->d, SYNCMGR_IOC_POPITEM, &a));
	a.flags = SYNCMGR_DATA_KEYS;
	EXPECT_EQ(-EFAULT, raw(self->d, SYNCMGR_IOC_ITER, &a));
	EXPECT_EQ(-EFAULT, ioctl(self->d, SYNCMGR_IOC_LEN, bad) ? -errno : 0);
	EXPECT_EQ(1, sm_dict_len(self->d));
	EXPECT_EQ(50, get_i(self->d, 5));
}

TEST_F(dict, malformed_requests_are_einval)
{
	struct syncmgr_value in[2] = {
		{ .type = SYNCMGR_VAL_INT, .data = 5 },
		{ .type = SYNCMGR_VAL_INT, .data = 6 },
	};
	uint64_t out[8];
	struct syncmgr_data a;

	memset(&a, 0, sizeof(a));
	a.in = (uintptr_t)in;
	a.in_size = sizeof(in);
	a.count = 1;			/* ASSIGN takes 2 */
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	a.count = 2;
	a.start = 1;			/* not a dict field */
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	a.start = 0;
	a.in_size = sizeof(in) + 8;	/* trailing bytes */
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	a.in_size = sizeof(in) - 8;	/* truncated */
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	a.in_size = sizeof(in);
	in[1].reserved = 1;
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	in[1].reserved = 0;
	in[1].type = 99;
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	in[1].type = SYNCMGR_VAL_BOOL;
	in[1].data = 2;
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	in[1].type = SYNCMGR_VAL_INT;
	a.count = 3;			/* UPDATE: odd */
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_UPDATE, &a));
	a.flags = SYNCMGR_DATA_KEYS;	/* not for ASSIGN */
	a.count = 2;
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ASSIGN, &a));
	a.reserved = 0;
	/* list and queue commands are not dict's */
	EXPECT_EQ(-EBADFD, raw(self->d, SYNCMGR_IOC_SORT, &a));
	EXPECT_EQ(-EBADFD, raw(self->d, SYNCMGR_IOC_PUT, &a));
	/* ITER with an unknown flag */
	memset(&a, 0, sizeof(a));
	a.out = (uintptr_t)out;
	a.out_size = sizeof(out);
	a.flags = SYNCMGR_DATA_KEYS | SYNCMGR_DATA_REVERSE;
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_ITER, &a));
	EXPECT_EQ(0, sm_dict_len(self->d));
	a.flags = 0;
	a.out = 0;
	a.out_size = 0;
	a.cursor = 1;			/* LEN takes nothing */
	EXPECT_EQ(-EINVAL, raw(self->d, SYNCMGR_IOC_LEN, &a));
}

TEST(namespace_str_keys_only)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v = sm_int(42), k = sm_int(1), out, names[4];
	uint64_t cursor = 0;
	int ns = sm_ns_create(0);

	ASSERT_LE(0, ns);
	EXPECT_EQ(SYNCMGR_TYPE_NAMESPACE, sm_type(ns));
	EXPECT_EQ(-ENOENT, sm_ns_get(ns, "x", &out, &buf));
	EXPECT_EQ(0, sm_ns_set(ns, "x", &v));
	EXPECT_EQ(0, sm_ns_set(ns, "y", &v));
	ASSERT_EQ(0, sm_ns_get(ns, "x", &out, &buf));
	EXPECT_EQ(42, sid(&out));
	EXPECT_EQ(-EINVAL, sm_dict_set(ns, &k, &v));
	EXPECT_EQ(-EINVAL, sm_dict_get(ns, &k, &out, &buf));
	EXPECT_EQ(-EINVAL, sm_dict_update(ns, (struct sm_value[]){ k, v }, 1));
	ASSERT_EQ(2, sm_ns_list(ns, &cursor, names, 4, &buf));
	EXPECT_TRUE(is_str(&names[0], "x"));
	EXPECT_TRUE(is_str(&names[1], "y"));
	EXPECT_EQ(0ULL, cursor);
	EXPECT_EQ(0, sm_ns_del(ns, "x"));
	EXPECT_EQ(-ENOENT, sm_ns_del(ns, "x"));
	EXPECT_EQ(1, sm_dict_len(ns));
	close(ns);
}

/* A forked child writes, the parent reads, and the other way round. */
static int child_writes(void *arg)
{
	int d = *(int *)arg;
	int ret;

	if (get_i(d, 7) != -77)
		return -EPROTO;
	for (int i = 0; i < 100; i++) {
		ret = set_ii(d, i, i * i);
		if (ret)
			return ret;
	}
	return 0;
}

TEST_F(dict, across_fork)
{
	int *res = shared_mem(sizeof(*res));
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, set_ii(self->d, 7, -77));
	pid = spawn(child_writes, &self->d, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_EQ(100, sm_dict_len(self->d));
	EXPECT_EQ(81, get_i(self->d, 9));
	EXPECT_EQ(49, get_i(self->d, 7));
}

/*
 * Nesting, required: a process that did not inherit anything receives the
 * dict over a socket, reads the entry "lock" (a Lock) and acquires it; the
 * parent sees it held by that process.
 */
static int take_nested_lock(const int *h, void *arg)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value k = sm_str("lock"), out, done = sm_bool(1);
	struct sm_value dk = sm_str("done");
	int ret = sm_dict_get(h[0], &k, &out, &buf);

	if (ret)
		return ret;
	if (out.type != SYNCMGR_VAL_HANDLE)
		return -EPROTO;
	ret = sm_lock_acquire(out.handle, 0);
	if (ret)
		return ret;
	ret = sm_dict_set(h[0], &dk, &done);
	if (ret)
		return ret;
	sleep_ms(BLOCKED_MS * 3);	/* hold it while the parent looks */
	return sm_lock_release(out.handle);
}

TEST_F(dict, child_uses_lock_read_from_dict)
{
	struct sm_value k = sm_str("lock"), v, dk = sm_str("done");
	int *res = shared_mem(sizeof(*res));
	int lock = sm_lock_create(0), sv[2];
	struct syncmgr_state st;
	int64_t end;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 1, take_nested_lock, NULL, res);
	ASSERT_LT(0, pid);
	v = sm_handle(lock);
	ASSERT_EQ(0, sm_dict_set(self->d, &k, &v));
	close(lock);			/* only the dict keeps it now */
	ASSERT_EQ(1, sm_send_handles(sv[0], &self->d, 1));
	end = now_ns() + WAKE_MS * MS;
	while (sm_dict_contains(self->d, &dk) != 1 && now_ns() < end)
		sleep_ms(1);
	ASSERT_EQ(1, sm_dict_contains(self->d, &dk));
	ASSERT_EQ(0, sm_dict_get(self->d, &k, &v, &self->buf));
	ASSERT_EQ(0, sm_state(v.handle, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((uint32_t)pid, st.owner);
	EXPECT_EQ(-ETIMEDOUT, sm_lock_acquire(v.handle, 0));
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_EQ(0, sm_lock_acquire(v.handle, 0));
	close(v.handle);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(dict, cycles_are_eloop)
{
	struct sm_value k = sm_str("self"), v = sm_handle(self->d), out;
	struct sm_value pairs[4];
	int d2 = sm_dict_create(0), ns = sm_ns_create(0);
	struct syncmgr_state a, b;

	ASSERT_LE(0, d2);
	ASSERT_LE(0, ns);
	EXPECT_EQ(-ELOOP, sm_dict_set(self->d, &k, &v));
	EXPECT_EQ(-ELOOP, sm_dict_set(self->d, &v, &k));	/* as a key */
	EXPECT_EQ(-ELOOP, sm_dict_setdefault(self->d, &k, &v, &out,
					     &self->buf));
	/* d -> d2 -> ns, then ns -> d closes the loop */
	v = sm_handle(d2);
	ASSERT_EQ(0, sm_dict_set(self->d, &k, &v));
	v = sm_handle(ns);
	ASSERT_EQ(0, sm_dict_set(d2, &k, &v));
	v = sm_handle(self->d);
	EXPECT_EQ(-ELOOP, sm_ns_set(ns, "back", &v));
	pairs[0] = sm_int(1);
	pairs[1] = sm_int(2);
	pairs[2] = sm_int(3);
	pairs[3] = sm_handle(self->d);
	EXPECT_EQ(-ELOOP, sm_dict_update(d2, pairs, 2));
	EXPECT_EQ(1, sm_dict_len(d2));		/* all or nothing */
	EXPECT_EQ(0, sm_dict_len(ns));
	/* present key: setdefault stores nothing, so no cycle */
	ASSERT_EQ(0, sm_dict_setdefault(d2, &k, &v, &out, &self->buf));
	ASSERT_EQ(0, sm_state(ns, &a));
	ASSERT_EQ(0, sm_state(out.handle, &b));
	EXPECT_EQ(a.id, b.id);
	close(out.handle);
	/* the same dict twice in one container is not a cycle */
	v = sm_handle(ns);
	k = sm_str("again");
	EXPECT_EQ(0, sm_dict_set(self->d, &k, &v));
	close(d2);
	close(ns);
}

/*
 * Stress: 4 processes each insert their own keys, delete the odd ones and
 * pop-race for a shared pool: every pooled entry is popped exactly once.
 */
#define NPROC		4
#define PER_PROC	600
#define POOL		2000

struct stress {
	int d;
	int id;
	int64_t *popped_sum;
	int *popped_n;
};

static int stress_child(void *arg)
{
	struct stress *s = arg;
	char mem[256];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value k, v;
	int64_t base = 1000000 * (s->id + 1);
	int n = stress_rounds(PER_PROC), ret;

	for (int i = 0; i < n; i++) {
		ret = set_ii(s->d, base + i, i);
		if (ret)
			return ret;
	}
	for (int i = 1; i < n; i += 2) {
		k = sm_int(base + i);
		ret = sm_dict_del(s->d, &k);
		if (ret)
			return ret;
	}
	/* the pool: keys 0 .. POOL-1 with value key + 1; all race for all */
	for (int i = 0; i < stress_rounds(POOL); i++) {
		k = sm_int((i + s->id * 97) % stress_rounds(POOL));
		ret = sm_dict_pop(s->d, &k, &v, &buf);
		if (ret == -ENOENT)
			continue;
		if (ret)
			return ret;
		__atomic_add_fetch(s->popped_sum, v.i, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(s->popped_n, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

TEST_F(dict, multiprocess_stress_exact)
{
	int *res = shared_mem(NPROC * sizeof(int));
	int64_t *sum = shared_mem(sizeof(*sum));
	int *cnt = shared_mem(sizeof(*cnt));
	int pool = stress_rounds(POOL), per = stress_rounds(PER_PROC);
	struct stress s[NPROC];
	pid_t pid[NPROC];
	int64_t want = 0;

	ASSERT_TRUE(res && sum && cnt);
	for (int i = 0; i < pool; i++) {
		ASSERT_EQ(0, set_ii(self->d, i, i + 1));
		want += i + 1;
	}
	for (int i = 0; i < NPROC; i++) {
		s[i] = (struct stress){ self->d, i, sum, cnt };
		pid[i] = spawn(stress_child, &s[i], &res[i]);
		ASSERT_LT(0, pid[i]);
	}
	for (int i = 0; i < NPROC; i++) {
		EXPECT_EQ(0, wait_child(pid[i], 50000));
		EXPECT_EQ(0, res[i]);
	}
	EXPECT_EQ(pool, *cnt);
	EXPECT_EQ(want, *sum);
	EXPECT_EQ(NPROC * ((per + 1) / 2), sm_dict_len(self->d));
	for (int p = 0; p < NPROC; p++)
		for (int i = 0; i < per; i++)
			ASSERT_EQ(i % 2 ? -ENOENT : i,
				  get_i(self->d, 1000000 * (p + 1) + i));
}

/*
 * Required: a million entries (a tenth on the debug kernel), filled by
 * UPDATE batches, all there in order, and every byte back once the last
 * handle is closed.
 */
#define BATCH		8192

TEST_F_TIMEOUT(dict, million_entries_and_memory_returns, 120)
{
	int n = debug_kernel() ? 100000 : 1000000;
	struct sm_value *pairs = calloc(2 * BATCH, sizeof(*pairs));
	size_t memsz = 1 << 20;
	char *mem = malloc(memsz);
	struct sm_buf buf = { mem, memsz, 0 };
	struct sm_value *out = calloc(8192, sizeof(*out));
	unsigned long bytes0, bytes1;
	int probe = sm_lock_create(0);
	long slab0, slab1, slab2;
	char saved[32];
	int64_t t0, expect = 0;
	uint64_t cursor = 0;
	int got, total = 0, c;

	ASSERT_TRUE(pairs && mem && out);
	ASSERT_LE(0, probe);
	close(self->d);
	self->d = -1;
	bytes0 = user_bytes(probe);
	slab0 = slab_kb();
	ASSERT_NE(~0UL, bytes0);

	self->d = sm_dict_create(0);
	ASSERT_LE(0, self->d);
	t0 = now_ns();
	for (int i = 0; i < n; i += BATCH) {
		int m = n - i < BATCH ? n - i : BATCH;

		for (int j = 0; j < m; j++) {
			pairs[2 * j] = sm_int(i + j);
			pairs[2 * j + 1] = sm_int(-(i + j));
		}
		ASSERT_EQ(0, sm_dict_update(self->d, pairs, m));
	}
	TH_LOG("filled %d entries in %lld ms", n, (long long)elapsed_ms(t0));
	ASSERT_EQ(n, sm_dict_len(self->d));
	bytes1 = user_bytes(probe);
	slab1 = slab_kb();
	EXPECT_LT(bytes0, bytes1);
	for (int i = 0; i < n; i += n / 97)
		ASSERT_EQ(-i, get_i(self->d, i));

	t0 = now_ns();
	do {
		got = sm_dict_iter(self->d, SM_DICT_KEYS, &cursor, out, 8192,
				   &buf);
		ASSERT_LT(0, got);
		for (int i = 0; i < got; i++)
			ASSERT_EQ(expect++, out[i].i);
		total += got;
	} while (cursor);
	EXPECT_EQ(n, total);
	TH_LOG("iterated in %lld ms", (long long)elapsed_ms(t0));

	/*
	 * A copy doubles it, then both go.  A million entries are charged
	 * what they take (two items, the entry, its buckets: some 230 MB),
	 * so two of them need more than the default quota for a moment.
	 */
	ASSERT_EQ(0, read_param(DICT_BYTES_PARAM, saved, sizeof(saved)));
	ASSERT_EQ(0, write_param(DICT_BYTES_PARAM, "1073741824\n"));
	t0 = now_ns();
	c = sm_dict_copy(self->d);
	EXPECT_EQ(0, write_param(DICT_BYTES_PARAM, saved));
	ASSERT_LE(0, c);
	EXPECT_EQ(n, sm_dict_len(c));
	TH_LOG("copied in %lld ms", (long long)elapsed_ms(t0));
	close(c);
	t0 = now_ns();
	close(self->d);
	self->d = -1;
	TH_LOG("freed in %lld ms", (long long)elapsed_ms(t0));
	EXPECT_EQ(bytes0, user_bytes(probe));
	slab2 = slab_kb();
	TH_LOG("slab kB: before %ld, full %ld, after %ld", slab0, slab1, slab2);
	/*
	 * Freed slabs may stay cached a little: most of it must be back.
	 * Not on the debug kernel, whose KASAN quarantine keeps freed
	 * objects on purpose; kmemleak checks for leaks there instead.
	 */
	if (!debug_kernel())
		EXPECT_LT(slab2 - slab0, (slab1 - slab0) / 10);
	close(probe);
	free(pairs);
	free(mem);
	free(out);
}

/* clear() gives every stored byte back at once. */
TEST_F(dict, clear_frees_bytes)
{
	int probe = sm_lock_create(0);
	unsigned long b0;

	ASSERT_LE(0, probe);
	b0 = user_bytes(probe);
	for (int i = 0; i < 5000; i++)
		ASSERT_EQ(0, set_ii(self->d, i, i));
	EXPECT_LT(b0, user_bytes(probe));
	ASSERT_EQ(0, sm_dict_clear(self->d));
	EXPECT_EQ(b0, user_bytes(probe));
	EXPECT_EQ(0, sm_dict_len(self->d));
	ASSERT_EQ(0, set_ii(self->d, 1, 1));
	EXPECT_EQ(1, get_i(self->d, 1));
	close(probe);
}

/* ------------------------------------------------------------ accounting */

/*
 * Entries and buckets are charged: 1000 int -> int entries cost at least
 * two items (48 bytes each), the entry (72) and a bucket pointer each.
 */
TEST(dict_entries_and_buckets_are_charged)
{
	int probe = sm_event_create(0), d;
	unsigned long b0, b1;

	ASSERT_LE(0, probe);
	b0 = user_bytes(probe);
	d = sm_dict_create(0);
	ASSERT_LE(0, d);
	for (int i = 0; i < 1000; i++) {
		struct sm_value k = sm_int(i), v = sm_int(-i);

		ASSERT_EQ(0, sm_dict_set(d, &k, &v));
	}
	b1 = user_bytes(probe);
	EXPECT_LE(b0 + 1000UL * (2 * 48 + 72 + 8), b1) {
		TH_LOG("1000 entries charged %lu bytes", b1 - b0);
	}
	close(d);
	EXPECT_EQ(b0, user_bytes(probe));
	close(probe);
}

TEST_HARNESS_MAIN
