// SPDX-License-Identifier: GPL-2.0
/*
 * Composite values (TUPLE, LIST, DICT, FROZENSET, BIGINT, TAGGED) across
 * real processes: Python's equality and hashing as dict keys (1.0 and True
 * find (1, 2)), order-free sets, exact big integers against doubles,
 * tagged keys coming back tagged, handles inside a tree kept alive and
 * coming back as working fds (none leaked on EMSGSIZE or EFAULT), cycles
 * through a nested handle, the handle and depth bounds, every malformed
 * shape, sorting and searching lists of tuples, a Value's compare-and-swap
 * with a tuple, and the memory charge given back.
 */
#include <dirent.h>
#include <math.h>
#include <sys/mman.h>

#include "common.h"

#define BUFSZ		8192
#define DEPTH_PARAM	"/sys/module/syncmgr/parameters/max_value_depth"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

static bool is_str(const struct sm_value *v, const char *s)
{
	return v->type == SYNCMGR_VAL_STR && v->buf.len == strlen(s) &&
	       !memcmp(v->buf.ptr, s, v->buf.len);
}

/* d[key] is the string want. */
static bool dict_has_str(int d, const struct sm_value *key, const char *want)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value out;

	return sm_dict_get(d, key, &out, &buf) == 0 && is_str(&out, want);
}

/* A raw data ioctl: in is n values already laid out (size bytes). */
static int raw_data(int fd, unsigned long cmd, const void *in, uint32_t size,
		    uint32_t n, void *out, uint32_t out_size)
{
	struct syncmgr_data d = {
		.in = (uintptr_t)in, .in_size = size, .count = n,
		.out = (uintptr_t)out, .out_size = out_size,
	};

	return ioctl(fd, cmd, &d) < 0 ? -errno : 0;
}

static struct sm_value big(const uint8_t *le, uint32_t n)
{
	return sm_bigint(le, n);
}

/* 2^64, 2^64 + 1 and 2^64 - 1 as BIGINT bytes. */
static const uint8_t two64[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t two64p1[9] = { 1, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t two64m1[9] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0 };
/* -2^64 */
static const uint8_t mtwo64[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff };

struct share {
	int dict;
	int sock;
	int result[2];
};

/* A child stores d[(1, 2)] = "pair". */
static int store_tuple_key(void *arg)
{
	struct share *s = arg;
	struct sm_value e[2] = { sm_int(1), sm_int(2) };
	struct sm_value k = sm_tuple(e, 2), v = sm_str("pair");

	return sm_dict_set(s->dict, &k, &v);
}

/* A third process gets the dict by SCM_RIGHTS and looks up (True, 2.0). */
static int lookup_received(void *arg)
{
	struct share *s = arg;
	struct sm_value e[2] = { sm_bool(1), sm_double(2.0) };
	struct sm_value k = sm_tuple(e, 2);
	int d = recv_one(s->sock);

	if (d < 0)
		return d;
	return dict_has_str(d, &k, "pair") ? 1 : 0;
}

TEST(version_reports_composite)
{
	struct syncmgr_version v;
	int dev = dev_open();

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, ioctl(dev, SYNCMGR_IOC_VERSION, &v));
	EXPECT_NE(0ULL, v.features & SYNCMGR_FEAT_COMPOSITE);
	close(dev);
}

TEST(tuple_key_across_processes)
{
	struct share *s = shared_mem(sizeof(*s));
	struct sm_value e1[2] = { sm_double(1.0), sm_int(2) };
	struct sm_value e2[2] = { sm_bool(1), sm_int(2) };
	struct sm_value e3[2] = { sm_int(2), sm_int(1) };
	struct sm_value e4[3] = { sm_int(1), sm_int(2), sm_none() };
	struct sm_value k1 = sm_tuple(e1, 2), k2 = sm_tuple(e2, 2);
	struct sm_value k3 = sm_tuple(e3, 2), k4 = sm_tuple(e4, 3);
	struct sm_value kl = sm_list_value(e1, 2);
	int sv[2];
	pid_t pid;

	ASSERT_NE(NULL, s);
	s->dict = sm_dict_create(0);
	ASSERT_LE(0, s->dict);
	pid = spawn(store_tuple_key, s, &s->result[0]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	ASSERT_EQ(0, s->result[0]);
	EXPECT_TRUE(dict_has_str(s->dict, &k1, "pair"));
	EXPECT_TRUE(dict_has_str(s->dict, &k2, "pair"));
	EXPECT_EQ(0, sm_dict_contains(s->dict, &k3));
	EXPECT_EQ(0, sm_dict_contains(s->dict, &k4));
	/* A list is unhashable: Python's TypeError. */
	EXPECT_EQ(-EINVAL, sm_dict_contains(s->dict, &kl));
	EXPECT_EQ(1, sm_dict_len(s->dict));

	ASSERT_EQ(0, unix_pair(sv));
	s->sock = sv[1];
	pid = spawn(lookup_received, s, &s->result[1]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, sm_send_handles(sv[0], &s->dict, 1));
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(1, s->result[1]);
	close(sv[0]);
	close(sv[1]);
	close(s->dict);
}

TEST(tagged_key_equals_its_value_and_comes_back_tagged)
{
	struct sm_value tv[2] = { sm_str("mod.Color"), sm_int(1) };
	struct sm_value tagged = sm_tagged(tv), one = sm_int(1), red = sm_str("red");
	struct sm_value onef = sm_double(1.0), t = sm_bool(1), k, v, in[2];
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	int d = sm_dict_create(0);

	ASSERT_LE(0, d);
	ASSERT_EQ(0, sm_dict_set(d, &tagged, &red));
	EXPECT_TRUE(dict_has_str(d, &one, "red"));
	EXPECT_TRUE(dict_has_str(d, &onef, "red"));
	/* A later store of 1 replaces the value, keeps the key first stored. */
	ASSERT_EQ(0, sm_dict_set(d, &t, &red));
	EXPECT_EQ(1, sm_dict_len(d));
	ASSERT_EQ(0, sm_dict_popitem(d, &k, &v, &buf));
	ASSERT_EQ(SYNCMGR_VAL_TAGGED, k.type);
	ASSERT_EQ(2U, k.tree.n);
	ASSERT_EQ(2, sm_values_decode(k.tree.ptr, k.tree.len, in, 2));
	EXPECT_TRUE(is_str(&in[0], "mod.Color"));
	EXPECT_EQ(SYNCMGR_VAL_INT, in[1].type);
	EXPECT_EQ(1, in[1].i);
	close(d);
}

TEST(bigint_keys_equal_integral_doubles_only)
{
	struct sm_value b = big(two64, 9), bp = big(two64p1, 9);
	struct sm_value bm = big(two64m1, 9), mb = big(mtwo64, 9);
	struct sm_value d64 = sm_double(18446744073709551616.0);
	struct sm_value md64 = sm_double(-18446744073709551616.0);
	struct sm_value min = sm_double(-9223372036854775808.0);
	struct sm_value imin = sm_int(INT64_MIN), s = sm_str("big");
	static const uint8_t nonmin[10] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const uint8_t fits[9] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct sm_value bad1 = big(nonmin, 10), bad2 = big(fits, 9);
	struct sm_value bad3 = big(fits, 8);
	int d = sm_dict_create(0);

	ASSERT_LE(0, d);
	ASSERT_EQ(0, sm_dict_set(d, &b, &s));
	EXPECT_TRUE(dict_has_str(d, &d64, "big"));
	EXPECT_EQ(0, sm_dict_contains(d, &bp));
	EXPECT_EQ(0, sm_dict_contains(d, &bm));
	EXPECT_EQ(0, sm_dict_contains(d, &md64));
	ASSERT_EQ(0, sm_dict_set(d, &md64, &s));
	EXPECT_EQ(1, sm_dict_contains(d, &mb));
	/* -2^63 as a double is INT64_MIN. */
	ASSERT_EQ(0, sm_dict_set(d, &min, &s));
	EXPECT_EQ(1, sm_dict_contains(d, &imin));
	EXPECT_EQ(3, sm_dict_len(d));
	EXPECT_EQ(-EINVAL, sm_dict_set(d, &bad1, &s));
	EXPECT_EQ(-EINVAL, sm_dict_set(d, &bad2, &s));
	EXPECT_EQ(-EINVAL, sm_dict_set(d, &bad3, &s));
	EXPECT_EQ(3, sm_dict_len(d));
	close(d);
}

TEST(frozenset_keys_in_any_order)
{
	struct sm_value p1[2] = { sm_int(2), sm_int(3) };
	struct sm_value p2[2] = { sm_double(2.0), sm_int(3) };
	struct sm_value a[3] = { sm_int(1), sm_str("a"), sm_tuple(p1, 2) };
	struct sm_value b[3] = { sm_tuple(p2, 2), sm_str("a"), sm_double(1.0) };
	struct sm_value c[3] = { sm_tuple(p2, 2), sm_str("b"), sm_double(1.0) };
	struct sm_value dup[2] = { sm_int(1), sm_bool(1) };
	struct sm_value unh[1] = { sm_list_value(p1, 2) };
	struct sm_value ka = sm_frozenset(a, 3), kb = sm_frozenset(b, 3);
	struct sm_value kc = sm_frozenset(c, 3), kd = sm_frozenset(dup, 2);
	struct sm_value ku = sm_frozenset(unh, 1), s = sm_str("set");
	/* A tuple holding a frozenset hashes by the set's elements too. */
	struct sm_value ta[2] = { sm_frozenset(a, 3), sm_none() };
	struct sm_value tb[2] = { sm_frozenset(b, 3), sm_none() };
	struct sm_value kta = sm_tuple(ta, 2), ktb = sm_tuple(tb, 2);
	int d = sm_dict_create(0);

	ASSERT_LE(0, d);
	ASSERT_EQ(0, sm_dict_set(d, &ka, &s));
	EXPECT_TRUE(dict_has_str(d, &kb, "set"));
	EXPECT_EQ(0, sm_dict_contains(d, &kc));
	EXPECT_EQ(-EINVAL, sm_dict_set(d, &kd, &s));
	EXPECT_EQ(-EINVAL, sm_dict_set(d, &ku, &s));
	ASSERT_EQ(0, sm_dict_set(d, &kta, &s));
	EXPECT_EQ(1, sm_dict_contains(d, &ktb));
	EXPECT_EQ(2, sm_dict_len(d));
	close(d);
}

TEST(dict_values_compare_order_free)
{
	struct sm_value kv1[4] = { sm_str("x"), sm_int(1), sm_str("y"), sm_int(2) };
	struct sm_value kv2[4] = { sm_str("y"), sm_double(2.0), sm_str("x"), sm_bool(1) };
	struct sm_value kv3[4] = { sm_str("y"), sm_int(3), sm_str("x"), sm_int(1) };
	struct sm_value v1 = sm_dict_value(kv1, 2), v2 = sm_dict_value(kv2, 2);
	struct sm_value v3 = sm_dict_value(kv3, 2);
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sm_list_append(l, &v1));
	EXPECT_EQ(1, sm_list_contains(l, &v2));
	EXPECT_EQ(0, sm_list_contains(l, &v3));
	EXPECT_EQ(0, sm_list_index(l, &v2, 0, INT64_MAX));
	close(l);
}

/* Values with a Lock inside; every other fd closed; a working fd back. */
TEST(handles_inside_keep_objects_and_come_back)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value e[2], kv[2], vals[2], out, in[2], name = sm_str("k");
	int lock, l, fds0, got, i;
	struct syncmgr_state st;
	void *bad;

	l = sm_list_create(0);
	ASSERT_LE(0, l);
	fds0 = count_fds() - 1;	/* after the device is open: all but l */
	lock = sm_lock_create(0);
	ASSERT_LE(0, lock);
	e[0] = sm_str("lock");
	e[1] = sm_handle(lock);
	kv[0] = name;
	kv[1] = sm_handle(lock);
	vals[0] = sm_list_value(e, 2);
	vals[1] = sm_dict_value(kv, 1);
	ASSERT_EQ(0, sm_list_extend(l, vals, 2));
	ASSERT_EQ(0, sm_lock_acquire(lock, -1));
	close(lock);
	EXPECT_EQ(fds0 + 1, count_fds());

	/* Too small: EMSGSIZE, no fd made. */
	buf.size = 40;
	EXPECT_EQ(-EMSGSIZE, sm_list_get(l, 0, &out, &buf));
	EXPECT_EQ(fds0 + 1, count_fds());
	/* A bad out buffer: EFAULT, no fd made. */
	bad = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	buf.data = bad;
	buf.size = 4096;
	EXPECT_EQ(-EFAULT, sm_list_get(l, 1, &out, &buf));
	EXPECT_EQ(fds0 + 1, count_fds());
	munmap(bad, 4096);
	buf.data = mem;
	buf.size = sizeof(mem);

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, sm_list_get(l, i, &out, &buf));
		ASSERT_EQ(i ? SYNCMGR_VAL_DICT : SYNCMGR_VAL_LIST, out.type);
		ASSERT_EQ(2U, out.tree.n);
		ASSERT_EQ(2, sm_values_decode(out.tree.ptr, out.tree.len, in, 2));
		ASSERT_EQ(SYNCMGR_VAL_HANDLE, in[1].type);
		got = in[1].handle;
		EXPECT_EQ(fds0 + 2, count_fds());
		EXPECT_EQ(FD_CLOEXEC, fcntl(got, F_GETFD) & FD_CLOEXEC);
		ASSERT_EQ(0, sm_state(got, &st));
		EXPECT_EQ((uint32_t)SYNCMGR_TYPE_LOCK, st.type);
		/* Held since before: release, take, release again. */
		EXPECT_EQ(0, sm_lock_release(got));
		EXPECT_EQ(0, sm_lock_acquire(got, 0));
		EXPECT_EQ(0, sm_lock_release(got) || sm_lock_acquire(got, 0));
		close(got);
	}
	close(l);
	EXPECT_EQ(fds0, count_fds());
}

TEST(cycle_through_a_nested_handle_is_refused)
{
	int a = sm_list_create(0), b = sm_list_create(0), d = sm_dict_create(0);
	struct sm_value e[2], t, k = sm_int(1);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, d);
	e[0] = sm_int(0);
	e[1] = sm_handle(a);
	t = sm_tuple(e, 2);
	EXPECT_EQ(-ELOOP, sm_list_append(a, &t));
	ASSERT_EQ(0, sm_list_append(b, &t));	/* b holds a */
	e[1] = sm_handle(b);
	EXPECT_EQ(-ELOOP, sm_list_append(a, &t));	/* a -> b -> a */
	EXPECT_EQ(0, sm_list_len(a));
	e[1] = sm_handle(d);
	EXPECT_EQ(-ELOOP, sm_dict_set(d, &k, &t));
	EXPECT_EQ(0, sm_dict_len(d));
	close(a);
	close(b);
	close(d);
}

TEST(handles_per_value_bounded)
{
	struct sm_value e[SYNCMGR_MAX_TREE_HANDLES + 1], t;
	int l = sm_list_create(0), lock = sm_lock_create(0), i;

	ASSERT_LE(0, l);
	ASSERT_LE(0, lock);
	for (i = 0; i <= SYNCMGR_MAX_TREE_HANDLES; i++)
		e[i] = sm_handle(lock);
	t = sm_tuple(e, SYNCMGR_MAX_TREE_HANDLES + 1);
	EXPECT_EQ(-E2BIG, sm_list_append(l, &t));
	t = sm_tuple(e, SYNCMGR_MAX_TREE_HANDLES);
	EXPECT_EQ(0, sm_list_append(l, &t));
	EXPECT_EQ(1, sm_list_len(l));
	close(lock);
	close(l);
}

/* A tuple nested n deep: ((((1,),),),) */
static int append_nested(int l, unsigned int n)
{
	struct sm_value *v = calloc(n + 1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v[n] = sm_int(1);
	for (unsigned int i = n; i--; )
		v[i] = sm_tuple(&v[i + 1], 1);
	ret = sm_list_append(l, &v[0]);
	free(v);
	return ret;
}

TEST(depth_bounded_by_parameter)
{
	char old[32];
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, read_param(DEPTH_PARAM, old, sizeof(old)));
	EXPECT_EQ(0, strcmp(old, "32\n"));
	EXPECT_EQ(0, append_nested(l, 32));
	EXPECT_EQ(-EINVAL, append_nested(l, 33));
	EXPECT_NE(0, write_param(DEPTH_PARAM, "65"));
	EXPECT_NE(0, write_param(DEPTH_PARAM, "0"));
	ASSERT_EQ(0, write_param(DEPTH_PARAM, "40"));
	EXPECT_EQ(0, append_nested(l, 33));
	EXPECT_EQ(-EINVAL, append_nested(l, 41));
	ASSERT_EQ(0, write_param(DEPTH_PARAM, "64"));
	EXPECT_EQ(0, append_nested(l, 64));
	/* libsync refuses deeper itself. */
	EXPECT_EQ(-EINVAL, append_nested(l, 65));
	EXPECT_EQ(0, write_param(DEPTH_PARAM, "32"));
	EXPECT_EQ(3, sm_list_len(l));
	close(l);
}

/* Raw values: a header and its payload words. */
struct raw {
	struct syncmgr_value h;
	uint64_t w[12];
};

static struct syncmgr_value hdr(int type, uint32_t len, uint64_t data)
{
	return (struct syncmgr_value){ .type = type, .len = len, .data = data };
}

TEST(malformed_shapes_are_einval)
{
	int l = sm_list_create(0);
	struct raw r;
	struct syncmgr_value *e = (void *)r.w;
	int i;

	ASSERT_LE(0, l);
	/* 0: a tuple of 2 holding one int */
	/* each case fills r and gives the expected errno */
	for (i = 0; i < 12; i++) {
		uint32_t size;

		memset(&r, 0, sizeof(r));
		switch (i) {
		case 0:	/* count says 2, one element */
			r.h = hdr(SYNCMGR_VAL_TUPLE, 16, 2);
			e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 1:	/* count says 1, trailing bytes */
			r.h = hdr(SYNCMGR_VAL_TUPLE, 24, 1);
			e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 2:	/* len not a multiple of 8 */
			r.h = hdr(SYNCMGR_VAL_TUPLE, 20, 1);
			e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 3:	/* a short element: a str running past the tuple */
			r.h = hdr(SYNCMGR_VAL_TUPLE, 24, 1);
			e[0] = hdr(SYNCMGR_VAL_STR, 16, 0);
			break;
		case 4:	/* an element with reserved set */
			r.h = hdr(SYNCMGR_VAL_LIST, 16, 1);
			e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
			e[0].reserved = 1;
			break;
		case 5:	/* a tag that is not STR/BYTES */
			r.h = hdr(SYNCMGR_VAL_TAGGED, 32, 0);
			e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
			e[1] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 6:	/* TAGGED over TAGGED */
			r.h = hdr(SYNCMGR_VAL_TAGGED, 64, 0);
			e[0] = hdr(SYNCMGR_VAL_BYTES, 0, 0);
			e[1] = hdr(SYNCMGR_VAL_TAGGED, 32, 0);
			e[2] = hdr(SYNCMGR_VAL_BYTES, 0, 0);
			e[3] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 7:	/* TAGGED with a count */
			r.h = hdr(SYNCMGR_VAL_TAGGED, 32, 2);
			e[0] = hdr(SYNCMGR_VAL_BYTES, 0, 0);
			e[1] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 8:	/* a dict of 1 pair with a key only */
			r.h = hdr(SYNCMGR_VAL_DICT, 16, 1);
			e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
			break;
		case 9:	/* a dict with a list key */
			r.h = hdr(SYNCMGR_VAL_DICT, 48, 1);
			e[0] = hdr(SYNCMGR_VAL_LIST, 16, 1);
			e[1] = hdr(SYNCMGR_VAL_INT, 0, 1);
			e[2] = hdr(SYNCMGR_VAL_NONE, 0, 0);
			break;
		case 10: /* a bad string inside */
			r.h = hdr(SYNCMGR_VAL_TUPLE, 24, 1);
			e[0] = hdr(SYNCMGR_VAL_STR, 1, 0);
			r.w[2] = 0xff;
			break;
		case 11: /* a bigint with a count */
			r.h = hdr(SYNCMGR_VAL_BIGINT, 9, 1);
			r.w[0] = 0;
			r.w[1] = 1;
			break;
		}
		size = SYNCMGR_VALUE_SIZE(r.h.len);
		EXPECT_EQ(-EINVAL, raw_data(l, SYNCMGR_IOC_UPDATE, &r, size, 1,
					    NULL, 0)) {
			TH_LOG("case %d", i);
		}
	}
	EXPECT_EQ(0, sm_list_len(l));
	/* The same well-formed: accepted. */
	memset(&r, 0, sizeof(r));
	r.h = hdr(SYNCMGR_VAL_TUPLE, 16, 1);
	e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
	EXPECT_EQ(0, raw_data(l, SYNCMGR_IOC_UPDATE, &r, 32, 1, NULL, 0));
	EXPECT_EQ(1, sm_list_len(l));
	close(l);
}

TEST(bad_pointers_are_efault_state_unchanged)
{
	int l = sm_list_create(0), d = sm_dict_create(0);
	struct raw r;
	struct syncmgr_value *e = (void *)r.w;
	char *page;

	ASSERT_LE(0, l);
	ASSERT_LE(0, d);
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + 4096, 4096));
	/* A tuple whose elements run into the unmapped page. */
	memset(&r, 0, sizeof(r));
	r.h = hdr(SYNCMGR_VAL_TUPLE, 32, 2);
	e[0] = hdr(SYNCMGR_VAL_INT, 0, 1);
	e[1] = hdr(SYNCMGR_VAL_INT, 0, 2);
	memcpy(page + 4096 - 32, &r, 32);
	EXPECT_EQ(-EFAULT, raw_data(l, SYNCMGR_IOC_UPDATE, page + 4096 - 32,
				    48, 1, NULL, 0));
	EXPECT_EQ(-EFAULT, raw_data(l, SYNCMGR_IOC_UPDATE, (void *)8, 48, 1,
				    NULL, 0));
	EXPECT_EQ(0, sm_list_len(l));
	EXPECT_EQ(-EFAULT, raw_data(d, SYNCMGR_IOC_CONTAINS, page + 4096 - 32,
				    48, 1, NULL, 0));
	munmap(page, 4096);
	close(l);
	close(d);
}

/* l[i] as a pair of ints (a, b), or false. */
static bool pair_at(int l, int i, int64_t a, int64_t b)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value out, in[2];

	if (sm_list_get(l, i, &out, &buf) || out.type != SYNCMGR_VAL_TUPLE ||
	    out.tree.n != 2 ||
	    sm_values_decode(out.tree.ptr, out.tree.len, in, 2) != 2)
		return false;
	return in[0].type == SYNCMGR_VAL_INT && in[0].i == a &&
	       in[1].type == SYNCMGR_VAL_INT && in[1].i == b;
}

static int append_pair(int l, int64_t a, int64_t b)
{
	struct sm_value e[2] = { sm_int(a), sm_int(b) };
	struct sm_value t = sm_tuple(e, 2);

	return sm_list_append(l, &t);
}

TEST(list_of_tuples_sorted_and_searched)
{
	static const int64_t in[][2] = { { 3, 1 }, { 1, 2 }, { 2, 0 },
					 { 1, 1 }, { 3, 0 } };
	static const int64_t up[][2] = { { 1, 1 }, { 1, 2 }, { 2, 0 },
					 { 3, 0 }, { 3, 1 } };
	struct sm_value e[2] = { sm_double(1.0), sm_bool(1) };
	struct sm_value k = sm_tuple(e, 2), shorter, longer;
	struct sm_value e1[1] = { sm_int(3) }, e3[3] = { sm_int(1), sm_int(1),
							  sm_int(0) };
	int l = sm_list_create(0), i;

	ASSERT_LE(0, l);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, append_pair(l, in[i][0], in[i][1]));
	ASSERT_EQ(0, sm_list_sort(l, 0));
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(pair_at(l, i, up[i][0], up[i][1]));
	ASSERT_EQ(0, sm_list_sort(l, 1));
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(pair_at(l, i, up[4 - i][0], up[4 - i][1]));
	/* (3,) < (3, 0), and (1, 1, 0) between (1, 1) and (1, 2) */
	shorter = sm_tuple(e1, 1);
	longer = sm_tuple(e3, 3);
	ASSERT_EQ(0, sm_list_append(l, &shorter));
	ASSERT_EQ(0, sm_list_append(l, &longer));
	ASSERT_EQ(0, sm_list_sort(l, 0));
	EXPECT_TRUE(pair_at(l, 0, 1, 1));
	EXPECT_TRUE(pair_at(l, 2, 1, 2));
	EXPECT_TRUE(pair_at(l, 5, 3, 0));
	EXPECT_EQ(4, sm_list_index(l, &shorter, 0, INT64_MAX));
	EXPECT_EQ(1, sm_list_index(l, &longer, 0, INT64_MAX));
	/* (1.0, True) is (1, 1) */
	EXPECT_EQ(0, sm_list_index(l, &k, 0, INT64_MAX));
	EXPECT_EQ(1, sm_list_count(l, &k));
	EXPECT_EQ(1, sm_list_contains(l, &k));
	ASSERT_EQ(0, sm_list_remove(l, &k));
	EXPECT_EQ(0, sm_list_contains(l, &k));
	EXPECT_EQ(-ENOENT, sm_list_remove(l, &k));
	EXPECT_EQ(6, sm_list_len(l));
	close(l);
}

TEST(unorderable_sort_is_einval_list_unchanged)
{
	struct sm_value e1[2] = { sm_int(1), sm_str("a") };
	struct sm_value e2[2] = { sm_int(1), sm_int(2) };
	struct sm_value t1 = sm_tuple(e1, 2), t2 = sm_tuple(e2, 2);
	struct sm_value l1 = sm_list_value(e2, 2);
	int l = sm_list_create(0);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, append_pair(l, 5, 5));
	ASSERT_EQ(0, sm_list_append(l, &t1));
	ASSERT_EQ(0, sm_list_append(l, &t2));
	EXPECT_EQ(-EINVAL, sm_list_sort(l, 0));
	EXPECT_TRUE(pair_at(l, 0, 5, 5));
	EXPECT_TRUE(pair_at(l, 2, 1, 2));
	/* A tuple never orders against a list. */
	ASSERT_EQ(0, sm_list_del(l, 1));
	ASSERT_EQ(0, sm_list_append(l, &l1));
	EXPECT_EQ(-EINVAL, sm_list_sort(l, 0));
	EXPECT_TRUE(pair_at(l, 0, 5, 5));
	EXPECT_EQ(0, sm_list_count(l, &t1));
	/* A tuple never equals a list. */
	EXPECT_EQ(1, sm_list_count(l, &t2));
	close(l);
}

TEST(value_cmpxchg_with_a_tuple)
{
	struct sm_value e1[2] = { sm_int(1), sm_int(2) };
	struct sm_value e2[2] = { sm_double(1.0), sm_bool(0) };
	struct sm_value e3[2] = { sm_bool(1), sm_double(2.0) };
	struct sm_value a = sm_tuple(e1, 2), b = sm_tuple(e2, 2);
	struct sm_value c = sm_tuple(e3, 2), found;
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	int v = sm_value_create('O', &a, 0);

	ASSERT_LE(0, v);
	EXPECT_EQ(0, sm_value_cas(v, &b, &b, &found, &buf));
	EXPECT_EQ(SYNCMGR_VAL_TUPLE, found.type);
	EXPECT_EQ(1, sm_value_cas(v, &c, &b, &found, &buf));
	EXPECT_EQ(1, sm_value_cas(v, &b, &a, NULL, &buf));
	close(v);
}

TEST(memory_charge_returns_to_start)
{
	struct sm_value e[3], kv[2], t;
	int probe = sm_lock_create(0), l, d, lock, i;
	unsigned long b0, b1;

	ASSERT_LE(0, probe);
	b0 = user_bytes(probe);
	l = sm_list_create(0);
	d = sm_dict_create(0);
	lock = sm_lock_create(0);
	ASSERT_LE(0, l);
	ASSERT_LE(0, d);
	ASSERT_LE(0, lock);
	for (i = 0; i < 200; i++) {
		e[0] = sm_int(i);
		e[1] = sm_handle(lock);
		e[2] = sm_str("some words");
		kv[0] = sm_int(i);
		kv[1] = sm_tuple(e, 3);
		t = sm_frozenset(kv, 1);
		ASSERT_EQ(0, sm_list_append(l, &kv[1]));
		ASSERT_EQ(0, sm_dict_set(d, &t, &kv[1]));
	}
	b1 = user_bytes(probe);
	/* each tuple at least its 104 payload bytes, twice */
	EXPECT_LT(b0 + 200UL * 2 * 104, b1);
	close(lock);
	close(l);
	close(d);
	EXPECT_EQ(b0, user_bytes(probe));
	close(probe);
}

/* The Lock inside the tuple at l[i] works; its fd closed after. */
static bool tuple_lock_works(int l, int i)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value out, in[1];
	bool ok;

	if (sm_list_get(l, i, &out, &buf) || out.type != SYNCMGR_VAL_TUPLE ||
	    sm_values_decode(out.tree.ptr, out.tree.len, in, 1) != 1 ||
	    in[0].type != SYNCMGR_VAL_HANDLE)
		return false;
	ok = sm_lock_acquire(in[0].handle, 0) == 0 &&
	     sm_lock_release(in[0].handle) == 0;
	close(in[0].handle);
	return ok;
}

/* Keys with a handle inside take and drop their references. */
TEST(composite_keys_with_handles)
{
	int probe = sm_lock_create(0), d, lock, other, fds0;
	struct sm_value e[2], k, v = sm_int(7), out;
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	unsigned long o0;

	ASSERT_LE(0, probe);
	o0 = user_objects(probe);
	fds0 = count_fds();
	d = sm_dict_create(0);
	lock = sm_lock_create(0);
	other = sm_lock_create(0);
	ASSERT_LE(0, d);
	ASSERT_LE(0, lock);
	ASSERT_LE(0, other);
	e[0] = sm_handle(lock);
	e[1] = sm_int(1);
	k = sm_tuple(e, 2);
	ASSERT_EQ(0, sm_dict_set(d, &k, &v));
	EXPECT_EQ(1, sm_dict_contains(d, &k));
	EXPECT_EQ(0, sm_dict_setdefault(d, &k, &v, &out, &buf));
	e[0] = sm_handle(other);
	EXPECT_EQ(0, sm_dict_contains(d, &k));
	EXPECT_EQ(-ENOENT, sm_dict_get(d, &k, &out, &buf));
	close(other);
	/* The key keeps the Lock: closing the fd leaves it alive. */
	close(lock);
	EXPECT_EQ(o0 + 2, user_objects(probe));
	ASSERT_EQ(0, sm_dict_popitem(d, &k, &out, &buf));
	ASSERT_EQ(SYNCMGR_VAL_TUPLE, k.type);
	ASSERT_EQ(2, sm_values_decode(k.tree.ptr, k.tree.len, e, 2));
	ASSERT_EQ(SYNCMGR_VAL_HANDLE, e[0].type);
	/* A held Lock is kept by its holder: take it and let it go. */
	EXPECT_EQ(0, sm_lock_acquire(e[0].handle, 0));
	EXPECT_EQ(0, sm_lock_release(e[0].handle));
	close(e[0].handle);
	EXPECT_EQ(o0 + 1, user_objects(probe));
	close(d);
	EXPECT_EQ(o0, user_objects(probe));
	EXPECT_EQ(fds0, count_fds());
	close(probe);
}

/* Copies (list repeat and copy, dict copy) share the handles inside. */
TEST(copies_share_handles_inside)
{
	int probe = sm_lock_create(0), l, c, q, lock;
	struct sm_value e[1], t, qe[1], qt, out;
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	unsigned long o0, b0;

	ASSERT_LE(0, probe);
	o0 = user_objects(probe);
	b0 = user_bytes(probe);
	l = sm_list_create(0);
	lock = sm_lock_create(0);
	q = sm_queue_create(0, 0);
	ASSERT_LE(0, l);
	ASSERT_LE(0, lock);
	ASSERT_LE(0, q);
	e[0] = sm_handle(lock);
	t = sm_tuple(e, 1);
	ASSERT_EQ(0, sm_list_append(l, &t));
	ASSERT_EQ(0, sm_list_repeat(l, 3));
	c = sm_list_copy(l);
	ASSERT_LE(0, c);
	/* A queue holding itself inside a tuple: refused. */
	qe[0] = sm_handle(q);
	qt = sm_tuple(qe, 1);
	EXPECT_EQ(-ELOOP, sm_queue_put(q, &qt, 0));
	ASSERT_EQ(1, sm_queue_put(q, &t, 0) >= 0);
	close(lock);
	close(l);
	EXPECT_TRUE(tuple_lock_works(c, 2));
	ASSERT_EQ(0, sm_queue_get(q, &out, &buf, 0));
	ASSERT_EQ(SYNCMGR_VAL_TUPLE, out.type);
	ASSERT_EQ(1, sm_values_decode(out.tree.ptr, out.tree.len, e, 1));
	ASSERT_EQ(SYNCMGR_VAL_HANDLE, e[0].type);
	close(e[0].handle);
	close(q);
	EXPECT_EQ(o0 + 2, user_objects(probe));	/* the copy and the Lock */
	close(c);
	EXPECT_EQ(o0, user_objects(probe));
	EXPECT_EQ(b0, user_bytes(probe));
	close(probe);
}

/* l[i] is the number v of this type (BIGINT: these bytes). */
static bool num_at(int l, int i, const struct sm_value *v)
{
	char mem[BUFSZ];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value out;

	if (sm_list_get(l, i, &out, &buf) || out.type != v->type)
		return false;
	if (v->type == SYNCMGR_VAL_BIGINT)
		return out.buf.len == v->buf.len &&
		       !memcmp(out.buf.ptr, v->buf.ptr, v->buf.len);
	if (v->type == SYNCMGR_VAL_DOUBLE)
		return !memcmp(&out.d, &v->d, sizeof(v->d));
	return out.i == v->i;
}

TEST(bigint_orders_among_numbers)
{
	struct sm_value want[7] = {
		sm_double(-INFINITY), big(mtwo64, 9), sm_int(INT64_MIN),
		sm_int(1), big(two64m1, 9), big(two64, 9), big(two64p1, 9),
	};
	static const int order[7] = { 5, 2, 6, 0, 3, 1, 4 };
	struct sm_value e1[1] = { big(two64, 9) };
	struct sm_value e2[1] = { sm_double(1e30) };
	struct sm_value t1 = sm_tuple(e1, 1), t2 = sm_tuple(e2, 1);
	int l = sm_list_create(0), i;

	ASSERT_LE(0, l);
	for (i = 0; i < 7; i++)
		ASSERT_EQ(0, sm_list_append(l, &want[order[i]]));
	ASSERT_EQ(0, sm_list_sort(l, 0));
	for (i = 0; i < 7; i++)
		EXPECT_TRUE(num_at(l, i, &want[i])) {
			TH_LOG("index %d", i);
		}
	ASSERT_EQ(0, sm_list_sort(l, 1));
	EXPECT_TRUE(num_at(l, 0, &want[6]));
	EXPECT_TRUE(num_at(l, 6, &want[0]));
	/* (2**64,) < (1e30,) */
	ASSERT_EQ(0, sm_list_clear(l));
	ASSERT_EQ(0, sm_list_append(l, &t2));
	ASSERT_EQ(0, sm_list_append(l, &t1));
	ASSERT_EQ(0, sm_list_sort(l, 0));
	EXPECT_EQ(0, sm_list_index(l, &t1, 0, INT64_MAX));
	close(l);
}

TEST_HARNESS_MAIN
