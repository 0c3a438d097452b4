// SPDX-License-Identifier: GPL-2.0
/*
 * Container versions (SYNCMGR_FEAT_VERSION): every dict, Namespace and
 * list counts its changes; SYNCMGR_DATA_VERSION writes the version back,
 * SYNCMGR_DATA_IF_VERSION runs a command only at a version (ESTALE).
 * Checked through libsync (sm_*_version, the _at reads, replace_if) and
 * the raw ioctl (sm_data_ioctl), across forked processes.
 */
#include "common.h"

#define BAD_PTR		((void *)8)	/* never mapped */

/* The version of a dict, Namespace or list (its length discarded). */
static uint64_t version_of(int h)
{
	uint64_t v = 0;
	int type = sm_type(h);
	int ret = type == SYNCMGR_TYPE_LIST ? sm_list_version(h, &v) :
					      sm_dict_version(h, &v);

	return ret < 0 ? 0 : v;
}

/*
 * Runs expr (a libsync call) and checks that it returned ret and moved
 * the version of h by exactly by (0 or 1).
 */
#define EXPECT_BUMP(h, by, ret, expr) do {				\
	uint64_t before_ = version_of(h);				\
	EXPECT_EQ((ret), (expr));					\
	EXPECT_EQ(before_ + (by), version_of(h));			\
} while (0)

/* A raw data ioctl with n values in (encoded here), d's other fields given. */
static long raw(int h, unsigned long cmd, struct syncmgr_data *d,
		const struct sm_value *in, unsigned int n, void *inbuf,
		size_t inbuf_size)
{
	int size = 0;

	if (n) {
		size = sm_values_encode(inbuf, inbuf_size, in, n);
		if (size < 0)
			return size;
		d->in = (uintptr_t)inbuf;
		d->in_size = size;
		d->count = n;
	}
	return sm_data_ioctl(h, cmd, d);
}

/* list: [0, 1, ..., n - 1] */
static int int_list(int n)
{
	int l = sm_list_create(0);

	for (int i = 0; i < n && l >= 0; i++) {
		struct sm_value v = sm_int(i);

		if (sm_list_append(l, &v))
			return -1;
	}
	return l;
}

/* The ints of l, in order, into out (room for max); returns how many. */
static int list_ints(int l, int64_t *out, int max)
{
	static struct sm_value vals[4096];
	static char bufdata[4096 * 16];
	struct sm_buf buf = { bufdata, sizeof(bufdata), 0 };
	struct sm_slice all = { 0, 0, 1,
				SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	int n = sm_list_get_slice(l, &all, vals, max < 4096 ? max : 4096,
				  &buf);

	for (int i = 0; i < n; i++)
		out[i] = vals[i].i;
	return n;
}

TEST(feature_is_reported)
{
	struct syncmgr_version v;

	ASSERT_EQ(0, sm_version(&v));
	EXPECT_NE(0ULL, v.features & SYNCMGR_FEAT_VERSION);
}

TEST(list_counts_every_change_once)
{
	struct sm_value one = sm_int(1), two = sm_int(2), s = sm_str("x");
	struct sm_value vals[3] = { sm_int(5), sm_int(6), sm_int(7) };
	struct sm_slice head = { 0, 2, 1, 0 }, odd = { 1, 0, 2,
						       SYNCMGR_DATA_NO_STOP };
	struct sm_value out[8];
	char bufdata[256];
	struct sm_buf buf = { bufdata, sizeof(bufdata), 0 };
	uint64_t v = 0;
	int l = sm_list_create(0), c;

	ASSERT_LE(0, l);
	EXPECT_EQ(0, sm_list_version(l, &v));
	EXPECT_EQ(1ULL, v);
	/* Every successful changing call: exactly one. */
	EXPECT_BUMP(l, 1, 0, sm_list_append(l, &one));
	EXPECT_BUMP(l, 1, 0, sm_list_extend(l, vals, 3));
	EXPECT_BUMP(l, 1, 0, sm_list_extend(l, vals, 0));
	EXPECT_BUMP(l, 1, 0, sm_list_insert(l, 0, &two));
	EXPECT_BUMP(l, 1, 0, sm_list_set(l, 0, &two));	/* equal value */
	EXPECT_BUMP(l, 1, 0, sm_list_set_slice(l, &head, vals, 2));
	EXPECT_BUMP(l, 1, 0, sm_list_del(l, -1));
	EXPECT_BUMP(l, 1, 0, sm_list_del_slice(l, &odd));	/* [5, 5] */
	EXPECT_BUMP(l, 1, 0, sm_list_extend(l, vals, 3));
	EXPECT_BUMP(l, 1, 0, sm_list_pop(l, 0, &out[0], &buf));
	EXPECT_BUMP(l, 1, 0, sm_list_remove(l, &vals[1]));	/* [5, 5, 7] */
	EXPECT_BUMP(l, 1, 0, sm_list_reverse(l));
	EXPECT_BUMP(l, 1, 0, sm_list_sort(l, 1));
	EXPECT_BUMP(l, 1, 0, sm_list_repeat(l, 3));
	EXPECT_BUMP(l, 1, 0, sm_list_repeat(l, 1));
	/* Reads: none. */
	EXPECT_BUMP(l, 0, 1, sm_list_contains(l, &vals[0]));
	EXPECT_BUMP(l, 0, 0, sm_list_get(l, 0, &out[0], &buf));
	EXPECT_BUMP(l, 0, 6, sm_list_count(l, &vals[0]));
	EXPECT_BUMP(l, 0, 1, sm_list_index(l, &vals[0], 0, INT64_MAX));
	EXPECT_BUMP(l, 0, 9, sm_list_len(l));
	EXPECT_BUMP(l, 0, 2, sm_list_get_slice(l, &head, out, 8, &buf));
	c = sm_list_copy(l);
	ASSERT_LE(0, c);
	EXPECT_EQ(1ULL, version_of(c));		/* a copy starts at 1 */
	/* Failures: none. */
	EXPECT_BUMP(l, 0, -ERANGE, sm_list_get(l, 9, &out[0], &buf));
	EXPECT_BUMP(l, 0, -ERANGE, sm_list_set(l, 9, &one));
	EXPECT_BUMP(l, 0, -ERANGE, sm_list_del(l, -10));
	EXPECT_BUMP(l, 0, -ENOENT, sm_list_remove(l, &s));
	EXPECT_BUMP(l, 1, 0, sm_list_append(l, &s));
	EXPECT_BUMP(l, 0, -EINVAL, sm_list_sort(l, 0));	/* unorderable */
	EXPECT_BUMP(l, 1, 0, sm_list_clear(l));
	/* Changes that change no value still count (documented). */
	EXPECT_BUMP(l, 1, 0, sm_list_clear(l));
	EXPECT_BUMP(l, 1, 0, sm_list_sort(l, 0));
	EXPECT_BUMP(l, 1, 0, sm_list_reverse(l));
	EXPECT_BUMP(l, 1, 0, sm_list_repeat(l, 0));
	EXPECT_BUMP(l, 0, -ERANGE, sm_list_pop(l, -1, &out[0], &buf));
	EXPECT_EQ(1ULL, version_of(c));		/* the copy did not move */
	close(c);
	close(l);
}

TEST(dict_counts_every_change_once)
{
	struct sm_value k = sm_str("k"), k2 = sm_str("k2"), x = sm_int(7);
	struct sm_value pairs[4] = { sm_str("a"), sm_int(1), sm_str("k"),
				     sm_int(2) };
	struct sm_value out[4];
	char bufdata[256];
	struct sm_buf buf = { bufdata, sizeof(bufdata), 0 };
	uint64_t v = 0, cursor = 0;
	int d = sm_dict_create(0), ns = sm_ns_create(0), c;

	ASSERT_LE(0, d);
	ASSERT_LE(0, ns);
	EXPECT_EQ(0, sm_dict_version(d, &v));
	EXPECT_EQ(1ULL, v);
	EXPECT_BUMP(d, 1, 0, sm_dict_set(d, &k, &x));
	EXPECT_BUMP(d, 1, 0, sm_dict_set(d, &k, &x));	/* equal value */
	EXPECT_BUMP(d, 1, 0, sm_dict_update(d, pairs, 2));
	EXPECT_BUMP(d, 1, 0, sm_dict_setdefault(d, &k2, &x, &out[0], &buf));
	EXPECT_BUMP(d, 0, 0, sm_dict_setdefault(d, &k2, &k, &out[0], &buf));
	EXPECT_BUMP(d, 1, 0, sm_dict_del(d, &k2));
	EXPECT_BUMP(d, 1, 0, sm_dict_pop(d, &k, &out[0], &buf));
	EXPECT_BUMP(d, 1, 0, sm_dict_popitem(d, &out[0], &out[1], &buf));
	EXPECT_BUMP(d, 0, 0, sm_dict_len(d));
	EXPECT_BUMP(d, 0, 0, sm_dict_contains(d, &k));
	EXPECT_BUMP(d, 0, -ENOENT, sm_dict_get(d, &k, &out[0], &buf));
	EXPECT_BUMP(d, 0, -ENOENT, sm_dict_del(d, &k));
	EXPECT_BUMP(d, 0, -ENOENT, sm_dict_pop(d, &k, &out[0], &buf));
	EXPECT_BUMP(d, 0, -ENOENT, sm_dict_popitem(d, &out[0], &out[1], &buf));
	EXPECT_BUMP(d, 0, 0, sm_dict_iter(d, SM_DICT_ITEMS, &cursor, out, 4,
					  &buf));
	EXPECT_BUMP(d, 1, 0, sm_dict_clear(d));		/* empty: still */
	EXPECT_BUMP(d, 1, 0, sm_dict_set(d, &k, &x));
	c = sm_dict_copy(d);
	ASSERT_LE(0, c);
	EXPECT_EQ(1ULL, version_of(c));
	/* A Namespace the same; a refused key changes nothing. */
	EXPECT_BUMP(ns, 1, 0, sm_ns_set(ns, "a", &x));
	EXPECT_BUMP(ns, 0, -EINVAL, sm_dict_set(ns, &x, &x));
	EXPECT_EQ(2ULL, version_of(ns));
	close(c);
	close(ns);
	close(d);
}

/* Changes made by another process are counted the same. */
static int list_changer(void *arg)
{
	int l = *(int *)arg;
	struct sm_value v = sm_int(42);

	for (int i = 0; i < 50; i++)
		if (sm_list_append(l, &v) || sm_list_del(l, 1000) != -ERANGE ||
		    sm_list_set(l, 0, &v))
			return -1;
	return 0;
}

TEST(changes_of_other_processes_count)
{
	int l = int_list(1), *result = shared_mem(sizeof(int));
	pid_t pid;

	ASSERT_LE(0, l);
	ASSERT_NE(NULL, result);
	ASSERT_EQ(2ULL, version_of(l));
	pid = spawn(list_changer, &l, result);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *result);
	/* 50 appends and 50 stores; the refused pops count nothing. */
	EXPECT_EQ(102ULL, version_of(l));
	EXPECT_EQ(51, sm_list_len(l));
	EXPECT_EQ(102UL, fdinfo_number(l, "syncmgr-version"));
	close(l);
}

TEST(raw_flags_and_write_back)
{
	struct sm_value v = sm_int(9);
	char inbuf[64];
	struct syncmgr_data d;
	int l = int_list(3);

	ASSERT_LE(0, l);
	ASSERT_EQ(4ULL, version_of(l));
	/* VERSION alone: written back after the command. */
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_VERSION;
	EXPECT_EQ(0, raw(l, SYNCMGR_IOC_UPDATE, &d, &v, 1, inbuf,
			 sizeof(inbuf)));
	EXPECT_EQ(5ULL, d.version);
	/* IF_VERSION at the version: runs; without VERSION, not written. */
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_IF_VERSION;
	d.version = 5;
	EXPECT_EQ(0, raw(l, SYNCMGR_IOC_UPDATE, &d, &v, 1, inbuf,
			 sizeof(inbuf)));
	EXPECT_EQ(5ULL, d.version);
	EXPECT_EQ(6ULL, version_of(l));
	/* IF_VERSION elsewhere: ESTALE, unchanged, version written back. */
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_IF_VERSION | SYNCMGR_DATA_VERSION;
	d.version = 5;
	EXPECT_EQ(-ESTALE, raw(l, SYNCMGR_IOC_UPDATE, &d, &v, 1, inbuf,
			       sizeof(inbuf)));
	EXPECT_EQ(6ULL, d.version);
	EXPECT_EQ(5, sm_list_len(l));
	/* ESTALE comes before the command's own errors (ERANGE here). */
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_IF_VERSION | SYNCMGR_DATA_VERSION;
	d.version = 1;
	d.start = 100;
	EXPECT_EQ(-ESTALE, raw(l, SYNCMGR_IOC_DELETE, &d, NULL, 0, NULL, 0));
	EXPECT_EQ(6ULL, d.version);
	/* ... and without VERSION the field is left as given. */
	d.flags = SYNCMGR_DATA_IF_VERSION;
	d.version = 1;
	EXPECT_EQ(-ESTALE, raw(l, SYNCMGR_IOC_DELETE, &d, NULL, 0, NULL, 0));
	EXPECT_EQ(1ULL, d.version);
	/* A failure other than ESTALE writes nothing back. */
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_VERSION;
	d.start = 100;
	EXPECT_EQ(-ERANGE, raw(l, SYNCMGR_IOC_DELETE, &d, NULL, 0, NULL, 0));
	EXPECT_EQ(0ULL, d.version);
	EXPECT_EQ(6ULL, version_of(l));
	close(l);
}

/* One command of a table: what it takes and how far it moves the version. */
struct vcase {
	const char *name;
	unsigned long cmd;
	unsigned int nin;
	struct sm_value in[2];
	int64_t start;
	uint32_t count, flags;
	bool out;
	int bump;
};

/* Runs c at version (IF_VERSION | VERSION); d.version back in *after. */
static long run_at(int h, const struct vcase *c, uint64_t version,
		   uint64_t *after)
{
	char inbuf[128], outbuf[256];
	struct syncmgr_data d;
	long ret;

	memset(&d, 0, sizeof(d));
	d.flags = c->flags | SYNCMGR_DATA_IF_VERSION | SYNCMGR_DATA_VERSION;
	d.version = version;
	d.start = c->start;
	d.count = c->count;
	if (c->out) {
		d.out = (uintptr_t)outbuf;
		d.out_size = sizeof(outbuf);
	}
	ret = raw(h, c->cmd, &d, c->in, c->nin, inbuf, sizeof(inbuf));
	*after = d.version;
	if (c->cmd == SYNCMGR_IOC_COPY && ret >= 0)
		close(ret);
	return ret;
}

/*
 * Every command of the table, first at a stale version (ESTALE, the
 * container as it was, its version written back), then at the right
 * one (done, the version moved by exactly its bump).
 */
static void run_table(struct __test_metadata *_metadata, int h,
		      const struct vcase *cases, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct vcase *c = &cases[i];
		uint64_t cur, after = 0;
		int len = sm_type(h) == SYNCMGR_TYPE_LIST ?
			  sm_list_version(h, &cur) : sm_dict_version(h, &cur);

		TH_LOG("%s", c->name);
		ASSERT_LE(0, len);
		EXPECT_EQ(-ESTALE, run_at(h, c, cur - 1, &after));
		EXPECT_EQ(cur, after);
		EXPECT_EQ(cur, version_of(h));
		EXPECT_EQ(len, sm_type(h) == SYNCMGR_TYPE_LIST ?
			       sm_list_len(h) : sm_dict_len(h));
		EXPECT_LE(0, run_at(h, c, cur, &after));
		EXPECT_EQ(cur + c->bump, after);
		EXPECT_EQ(cur + c->bump, version_of(h));
	}
}

TEST(every_list_command_checks_the_version)
{
	const unsigned int bounds = SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP;
	const struct vcase cases[] = {
		{ .name = "LEN", .cmd = SYNCMGR_IOC_LEN },
		{ .name = "LOOKUP", .cmd = SYNCMGR_IOC_LOOKUP, .out = true },
		{ .name = "ASSIGN", .cmd = SYNCMGR_IOC_ASSIGN, .nin = 1, .in = { sm_int(5) }, .bump = 1 },
		{ .name = "DELETE", .cmd = SYNCMGR_IOC_DELETE, .start = 1, .bump = 1 },
		{ .name = "UPDATE", .cmd = SYNCMGR_IOC_UPDATE, .nin = 1, .in = { sm_int(5) }, .bump = 1 },
		{ .name = "INSERT", .cmd = SYNCMGR_IOC_INSERT, .nin = 1, .in = { sm_int(5) }, .bump = 1 },
		{ .name = "POP", .cmd = SYNCMGR_IOC_POP, .start = -1, .out = true, .bump = 1 },
		{ .name = "REMOVE", .cmd = SYNCMGR_IOC_REMOVE, .nin = 1, .in = { sm_int(5) }, .bump = 1 },
		{ .name = "INDEX", .cmd = SYNCMGR_IOC_INDEX, .nin = 1, .in = { sm_int(5) },
		  .flags = bounds },
		{ .name = "COUNT", .cmd = SYNCMGR_IOC_COUNT, .nin = 1, .in = { sm_int(5) } },
		{ .name = "CONTAINS", .cmd = SYNCMGR_IOC_CONTAINS, .nin = 1, .in = { sm_int(5) } },
		{ .name = "REVERSE", .cmd = SYNCMGR_IOC_REVERSE, .bump = 1 },
		{ .name = "SORT", .cmd = SYNCMGR_IOC_SORT, .flags = SYNCMGR_DATA_REVERSE,
		  .bump = 1 },
		{ .name = "REPEAT", .cmd = SYNCMGR_IOC_REPEAT, .count = 2, .bump = 1 },
		{ .name = "COPY", .cmd = SYNCMGR_IOC_COPY },
		{ .name = "CLEAR_ALL", .cmd = SYNCMGR_IOC_CLEAR_ALL, .bump = 1 },
	};
	struct sm_value fives[10];
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	for (int i = 0; i < 10; i++)
		fives[i] = sm_int(5);
	ASSERT_EQ(0, sm_list_extend(l, fives, 10));
	run_table(_metadata, l, cases, sizeof(cases) / sizeof(cases[0]));
	EXPECT_EQ(0, sm_list_len(l));
	close(l);
}

TEST(every_dict_command_checks_the_version)
{
	const struct vcase cases[] = {
		{ .name = "LEN", .cmd = SYNCMGR_IOC_LEN },
		{ .name = "LOOKUP", .cmd = SYNCMGR_IOC_LOOKUP, .nin = 1, .in = { sm_str("a") }, .out = true },
		{ .name = "CONTAINS", .cmd = SYNCMGR_IOC_CONTAINS, .nin = 1, .in = { sm_str("a") } },
		{ .name = "ASSIGN", .cmd = SYNCMGR_IOC_ASSIGN, .nin = 2, .in = { sm_str("z"), sm_int(1) },
		  .bump = 1 },
		{ .name = "SETDEFAULT found", .cmd = SYNCMGR_IOC_SETDEFAULT, 2,
		  { sm_str("a"), sm_int(2) }, .out = true },
		{ .name = "SETDEFAULT stored", .cmd = SYNCMGR_IOC_SETDEFAULT, 2,
		  { sm_str("y"), sm_int(2) }, .out = true, .bump = 1 },
		{ .name = "UPDATE", .cmd = SYNCMGR_IOC_UPDATE, .nin = 2, .in = { sm_str("x"), sm_int(3) },
		  .bump = 1 },
		{ .name = "DELETE", .cmd = SYNCMGR_IOC_DELETE, .nin = 1, .in = { sm_str("x") }, .bump = 1 },
		{ .name = "POP", .cmd = SYNCMGR_IOC_POP, .nin = 1, .in = { sm_str("y") }, .out = true,
		  .bump = 1 },
		{ .name = "POPITEM", .cmd = SYNCMGR_IOC_POPITEM, .out = true, .bump = 1 },
		{ .name = "ITER", .cmd = SYNCMGR_IOC_ITER, .flags = SYNCMGR_DATA_KEYS,
		  .out = true },
		{ .name = "COPY", .cmd = SYNCMGR_IOC_COPY },
		{ .name = "CLEAR_ALL", .cmd = SYNCMGR_IOC_CLEAR_ALL, .bump = 1 },
	};
	int d = sm_dict_create(0);

	ASSERT_LE(0, d);
	for (char c = 'a'; c <= 'j'; c++) {
		char name[2] = { c, 0 };
		struct sm_value k = sm_str(name), v = sm_int(c);

		ASSERT_EQ(0, sm_dict_set(d, &k, &v));
	}
	run_table(_metadata, d, cases, sizeof(cases) / sizeof(cases[0]));
	EXPECT_EQ(0, sm_dict_len(d));
	close(d);
}

TEST(nonzero_version_without_if_version_is_einval)
{
	struct sm_value k = sm_str("k");
	char inbuf[64];
	struct syncmgr_data d;
	int l = int_list(1), dict = sm_dict_create(0);

	ASSERT_LE(0, l);
	ASSERT_LE(0, dict);
	memset(&d, 0, sizeof(d));
	d.version = 2;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_LEN, &d, NULL, 0, NULL, 0));
	d.flags = SYNCMGR_DATA_VERSION;
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_LEN, &d, NULL, 0, NULL, 0));
	EXPECT_EQ(-EINVAL, raw(l, SYNCMGR_IOC_CLEAR_ALL, &d, NULL, 0,
			       NULL, 0));
	EXPECT_EQ(1, sm_list_len(l));
	memset(&d, 0, sizeof(d));
	d.version = 1;
	EXPECT_EQ(-EINVAL, raw(dict, SYNCMGR_IOC_CONTAINS, &d, &k, 1, inbuf,
			       sizeof(inbuf)));
	EXPECT_EQ(2ULL, version_of(l));
	EXPECT_EQ(1ULL, version_of(dict));
	close(dict);
	close(l);
}

TEST(flags_refused_by_other_kinds)
{
	struct sm_value v = sm_int(1);
	char inbuf[64], outbuf[64];
	struct syncmgr_data d;
	unsigned int flags[] = { SYNCMGR_DATA_VERSION, SYNCMGR_DATA_IF_VERSION,
				 SYNCMGR_DATA_VERSION |
				 SYNCMGR_DATA_IF_VERSION };
	int q = sm_queue_create(0, 0), val = sm_value_create('i', &v, 0);
	int arr = sm_array_create('i', NULL, 4, 0);

	ASSERT_LE(0, q);
	ASSERT_LE(0, val);
	ASSERT_LE(0, arr);
	for (unsigned int i = 0; i < 3; i++) {
		memset(&d, 0, sizeof(d));
		d.flags = flags[i] | SYNCMGR_DATA_NOWAIT;
		EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_PUT, &d, &v, 1, inbuf,
				       sizeof(inbuf)));
		memset(&d, 0, sizeof(d));
		d.flags = flags[i];
		EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_LEN, &d, NULL, 0, NULL,
				       0));
		memset(&d, 0, sizeof(d));
		d.flags = flags[i];
		d.out = (uintptr_t)outbuf;
		d.out_size = sizeof(outbuf);
		EXPECT_EQ(-EINVAL, raw(val, SYNCMGR_IOC_LOAD, &d, NULL, 0,
				       NULL, 0));
		EXPECT_EQ(-EINVAL, raw(arr, SYNCMGR_IOC_LOAD, &d, NULL, 0,
				       NULL, 0));
		memset(&d, 0, sizeof(d));
		d.flags = flags[i];
		EXPECT_EQ(-EINVAL, raw(arr, SYNCMGR_IOC_LEN, &d, NULL, 0, NULL,
				       0));
		memset(&d, 0, sizeof(d));
		d.flags = flags[i];
		EXPECT_EQ(-EINVAL, raw(val, SYNCMGR_IOC_STORE, &d, &v, 1,
				       inbuf, sizeof(inbuf)));
	}
	/* Nothing was put. */
	EXPECT_EQ(0, sm_queue_qsize(q));
	/* A Queue's deadline is still its deadline (the union's other half). */
	memset(&d, 0, sizeof(d));
	d.deadline = SYNCMGR_DEADLINE_FOREVER;
	EXPECT_EQ(1, raw(q, SYNCMGR_IOC_PUT, &d, &v, 1, inbuf, sizeof(inbuf)));
	close(arr);
	close(val);
	close(q);
}

/*
 * ESTALE frees what was copied in (the account's bytes return) and
 * installs no fd for a HANDLE the read would have returned.
 */
TEST(estale_frees_values_and_installs_no_fd)
{
	static char big[4096];
	struct sm_value vals[2] = { sm_bytes(big, sizeof(big)), sm_int(1) };
	static char inbuf[8192];
	char outbuf[256];
	struct syncmgr_data d;
	int l = sm_list_create(0), lock = sm_lock_create(0), probe;
	struct sm_value h = sm_handle(lock);
	unsigned long bytes;

	ASSERT_LE(0, l);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_list_append(l, &h));
	bytes = user_bytes(l);
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_IF_VERSION | SYNCMGR_DATA_VERSION;
	d.version = 1;
	EXPECT_EQ(-ESTALE, raw(l, SYNCMGR_IOC_UPDATE, &d, vals, 2, inbuf,
			       sizeof(inbuf)));
	EXPECT_EQ(2ULL, d.version);
	EXPECT_EQ(bytes, user_bytes(l));
	EXPECT_EQ(1, sm_list_len(l));
	/* A read of the handle at a stale version: no fd appears. */
	probe = dup(0);
	ASSERT_LE(0, probe);
	close(probe);
	memset(&d, 0, sizeof(d));
	d.flags = SYNCMGR_DATA_IF_VERSION | SYNCMGR_DATA_VERSION;
	d.version = 1;
	d.out = (uintptr_t)outbuf;
	d.out_size = sizeof(outbuf);
	EXPECT_EQ(-ESTALE, raw(l, SYNCMGR_IOC_LOOKUP, &d, NULL, 0, NULL, 0));
	EXPECT_EQ(probe, dup(0));
	close(probe);
	close(lock);
	close(l);
}

/* The version's write-back is checked before the command: EFAULT, unchanged. */
TEST(unwritable_argument_changes_nothing)
{
	struct sm_value v = sm_int(1);
	char inbuf[64];
	struct syncmgr_data *d = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int l = int_list(2);

	ASSERT_NE(MAP_FAILED, d);
	ASSERT_LE(0, l);
	ASSERT_LT(0, sm_values_encode(inbuf, sizeof(inbuf), &v, 1));
	memset(d, 0, sizeof(*d));
	d->in = (uintptr_t)inbuf;
	d->in_size = 16;
	d->count = 1;
	d->flags = SYNCMGR_DATA_VERSION;
	ASSERT_EQ(0, mprotect(d, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, sm_data_ioctl(l, SYNCMGR_IOC_UPDATE, d));
	EXPECT_EQ(2, sm_list_len(l));
	EXPECT_EQ(3ULL, version_of(l));
	EXPECT_EQ(-EFAULT, sm_data_ioctl(l, SYNCMGR_IOC_UPDATE, BAD_PTR));
	munmap(d, 4096);
	close(l);
}

TEST(libsync_at_calls)
{
	struct sm_value out[4], vals[2] = { sm_int(8), sm_int(9) };
	char bufdata[256];
	struct sm_buf buf = { bufdata, sizeof(bufdata), 0 };
	struct sm_slice all = { 0, 0, 1,
				SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	uint64_t v = 0;
	int l = int_list(3);

	ASSERT_LE(0, l);
	EXPECT_EQ(-EINVAL, sm_list_version(l, NULL));
	EXPECT_EQ(-EINVAL, sm_list_get_slice_at(l, &all, out, 4, &buf, NULL));
	EXPECT_EQ(-EINVAL, sm_list_replace_if(l, vals, 2, 0));
	EXPECT_EQ(3, sm_list_get_slice_at(l, &all, out, 4, &buf, &v));
	EXPECT_EQ(4ULL, v);
	EXPECT_EQ(3, sm_list_get_slice_at(l, &all, out, 4, &buf, &v));
	EXPECT_EQ(-ESTALE, sm_list_replace_if(l, vals, 2, 3));
	EXPECT_EQ(3, sm_list_len(l));
	EXPECT_EQ(0, sm_list_replace_if(l, vals, 2, 4));
	EXPECT_EQ(-ESTALE, sm_list_get_slice_at(l, &all, out, 4, &buf, &v));
	EXPECT_EQ(5ULL, v);
	EXPECT_EQ(2, sm_list_get_slice_at(l, &all, out, 4, &buf, &v));
	EXPECT_EQ(8, out[0].i);
	EXPECT_EQ(9, out[1].i);
	EXPECT_EQ(0, sm_list_replace_if(l, NULL, 0, 5));
	EXPECT_EQ(0, sm_list_len(l));
	close(l);
}

/*
 * A sort with a key function, done outside the kernel: snapshot with the
 * version, sort, store back only at that version.  Another process
 * appends in between: the store fails with ESTALE, the retry loses
 * nothing.
 */
struct appender {
	int list;
	int sock;		/* step by step: one byte = one batch */
	int first, n;		/* appends first .. first + n - 1 */
};

static int appender_run(void *arg)
{
	struct appender *a = arg;
	char byte;

	for (int i = 0; i < a->n; i++) {
		struct sm_value v = sm_int(a->first + i);

		if (a->sock >= 0 && read(a->sock, &byte, 1) != 1)
			return -1;
		if (sm_list_append(a->list, &v))
			return -2;
		if (a->sock >= 0 && write(a->sock, &byte, 1) != 1)
			return -3;
	}
	return 0;
}

/* key(x) = x % 10, then x: what a key= function would do. */
static int by_key(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	if (a % 10 != b % 10)
		return a % 10 < b % 10 ? -1 : 1;
	return (a > b) - (a < b);
}

/* One sort: read with version, sort here, store at that version. */
static int sort_with_key(int l, void (*between)(void *), void *arg)
{
	static struct sm_value vals[4096];
	static int64_t ints[4096];
	static char bufdata[4096 * 16];
	struct sm_buf buf = { bufdata, sizeof(bufdata), 0 };
	struct sm_slice all = { 0, 0, 1,
				SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	uint64_t v = 0;
	int n = sm_list_get_slice_at(l, &all, vals, 4096, &buf, &v);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		ints[i] = vals[i].i;
	qsort(ints, n, sizeof(ints[0]), by_key);
	for (int i = 0; i < n; i++)
		vals[i] = sm_int(ints[i]);
	if (between)
		between(arg);
	return sm_list_replace_if(l, vals, n, v);
}

static void one_append(void *arg)
{
	int sock = *(int *)arg;
	char byte = 0;

	/* Let the appender append one value, and wait until it did. */
	if (write(sock, &byte, 1) == 1 && read(sock, &byte, 1) == 1)
		return;
}

static void expect_each_once(struct __test_metadata *_metadata, int l,
			     int total)
{
	static int64_t ints[4096];
	static unsigned char seen[4096];
	int n = list_ints(l, ints, 4096);

	ASSERT_EQ(total, n);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < n; i++) {
		ASSERT_LE(0, ints[i]);
		ASSERT_GT(total, ints[i]);
		seen[ints[i]]++;
	}
	for (int i = 0; i < total; i++)
		EXPECT_EQ(1, seen[i]);
}

TEST(sort_with_key_loses_no_concurrent_append)
{
	struct appender a = { .first = 20, .n = 1 };
	int sv[2], *result = shared_mem(sizeof(int)), ret, tries = 0;
	int estale = 0;
	int64_t ints[32];
	pid_t pid;

	ASSERT_NE(NULL, result);
	a.list = int_list(20);
	ASSERT_LE(0, a.list);
	ASSERT_EQ(0, unix_pair(sv));
	a.sock = sv[1];
	pid = spawn(appender_run, &a, result);
	ASSERT_LT(0, pid);
	/* The first try: the other process appends between read and store. */
	do {
		ret = sort_with_key(a.list, tries ? NULL : one_append, &sv[0]);
		estale += ret == -ESTALE;
	} while (ret == -ESTALE && ++tries < 10);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(1, estale);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *result);
	expect_each_once(_metadata, a.list, 21);
	/* And it is sorted by the key. */
	ASSERT_EQ(21, list_ints(a.list, ints, 32));
	for (int i = 1; i < 21; i++)
		EXPECT_GE(0, by_key(&ints[i - 1], &ints[i]));
	close(sv[0]);
	close(sv[1]);
	close(a.list);
}

TEST(sort_with_key_under_free_running_appends)
{
	struct appender a = { .sock = -1, .first = 100, .n = 900 };
	int *result = shared_mem(sizeof(int)), ret, sorts = 0;
	pid_t pid;

	ASSERT_NE(NULL, result);
	a.list = int_list(100);
	ASSERT_LE(0, a.list);
	pid = spawn(appender_run, &a, result);
	ASSERT_LT(0, pid);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		ret = sort_with_key(a.list, NULL, NULL);
		ASSERT_TRUE(ret == 0 || ret == -ESTALE);
		sorts += !ret;
	}
	EXPECT_EQ(0, *result);
	/* A last sort with nobody appending succeeds at once. */
	EXPECT_EQ(0, sort_with_key(a.list, NULL, NULL));
	expect_each_once(_metadata, a.list, 1000);
	TH_LOG("%d sorts stored while appending", sorts);
	close(a.list);
}

/* Paged dict iteration at one version. */
static int dict_fill(int d, int from, int to)
{
	for (int i = from; i < to; i++) {
		struct sm_value k = sm_int(i);

		if (sm_dict_set(d, &k, &k))
			return -1;
	}
	return 0;
}

static int dict_setter(void *arg)
{
	int d = *(int *)arg;

	return dict_fill(d, 1000, 1001);
}

/*
 * Iterates keys 10 a page at one version; between the first and second
 * page, change() (if given) runs once.  Returns the keys seen or -errno.
 */
static int iterate_pages(int d, int64_t *keys, uint64_t *version,
			 int (*change)(int d))
{
	struct sm_value out[10];
	char bufdata[10 * 16];
	struct sm_buf buf = { bufdata, sizeof(bufdata), 0 };
	uint64_t cursor = 0;
	int n = 0, ret, page = 0;

	*version = 0;
	do {
		if (page++ == 1 && change && change(d))
			return -EIO;
		ret = sm_dict_iter_at(d, SM_DICT_KEYS, &cursor, version, out,
				      10, &buf);
		if (ret < 0)
			return ret;
		for (int i = 0; i < ret; i++)
			keys[n++] = out[i].i;
	} while (cursor);
	return n;
}

static int change_in_child(int d)
{
	int *result = shared_mem(sizeof(int)), ret = -1;
	pid_t pid;

	if (!result)
		return -1;
	pid = spawn(dict_setter, &d, result);
	if (pid > 0 && !wait_child(pid, WAKE_MS) && !*result)
		ret = 0;
	munmap(result, sizeof(int));
	return ret;
}

TEST(dict_pages_at_one_version)
{
	int64_t keys[256];
	uint64_t v;
	int d = sm_dict_create(0), n;

	ASSERT_LE(0, d);
	ASSERT_EQ(0, dict_fill(d, 0, 95));
	/* Unchanged: every key once, in order, at the dict's version. */
	n = iterate_pages(d, keys, &v, NULL);
	ASSERT_EQ(95, n);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(i, keys[i]);
	EXPECT_EQ(96ULL, v);
	/* Another process changes it between pages: ESTALE, version new. */
	EXPECT_EQ(-ESTALE, iterate_pages(d, keys, &v, change_in_child));
	EXPECT_EQ(97ULL, v);
	EXPECT_EQ(96, iterate_pages(d, keys, &v, NULL));
	EXPECT_EQ(97ULL, v);
	EXPECT_EQ(1000, keys[95]);
	close(d);
}

TEST_HARNESS_MAIN
