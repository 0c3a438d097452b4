// SPDX-License-Identifier: GPL-2.0
/*
 * Value and Array across processes: every kind of value, atomic add and
 * compare-and-swap with Python's equality, Array typecodes, ranges and
 * slices as Python's array module has them, float32 rounding against the
 * C compiler's casts, bad input, nesting, and the `v.value += 1` race
 * that the manager loses, here with an exact total.
 */
#include <math.h>

#include "common.h"

#define VALUE_BYTES_PARAM "/sys/module/syncmgr/parameters/max_bytes_per_user"
#define NPROCS		4

static int value_int(int v, int64_t *out)
{
	struct sm_value x;
	int ret = sm_value_get(v, &x, NULL);

	if (ret)
		return ret;
	if (x.type != SYNCMGR_VAL_INT)
		return -EPROTO;
	*out = x.i;
	return 0;
}

static int64_t array_int(int a, int64_t i)
{
	struct sm_value x;

	if (sm_array_get(a, i, &x) || x.type != SYNCMGR_VAL_INT)
		return INT64_MIN;
	return x.i;
}

/* A raw data ioctl: d zeroed but for what the caller sets. */
static int data_ioctl(int h, unsigned long cmd, struct syncmgr_data *d)
{
	return ioctl(h, cmd, d) < 0 ? -errno : 0;
}

/* ---- Value ---- */

TEST(value_holds_any_kind_and_keeps_its_typecode)
{
	char big[300];
	struct sm_value in[] = {
		sm_none(), sm_bool(1), sm_int(-5), sm_double(2.5),
		sm_str("h\xc3\xa9llo"), sm_bytes("\0\1\2", 3), sm_blob("pk", 2),
		sm_bytes(big, sizeof(big)),
	};
	char data[512];
	struct sm_buf buf = { data, sizeof(data), 0 };
	struct syncmgr_state st;
	struct sm_value out;
	int v = sm_value_create('i', NULL, 0);

	ASSERT_LE(0, v);
	memset(big, 'x', sizeof(big));
	EXPECT_EQ(SYNCMGR_TYPE_VALUE, sm_type(v));
	EXPECT_EQ('i', sm_value_typecode(v));
	ASSERT_EQ(0, state_poisoned(v, &st));
	EXPECT_EQ((__u32)'i', st.max);
	EXPECT_EQ(0U, st.value);
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	EXPECT_EQ(SYNCMGR_VAL_NONE, out.type);
	for (unsigned int k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
		ASSERT_EQ(0, sm_value_set(v, &in[k]));
		ASSERT_EQ(0, sm_value_get(v, &out, &buf));
		ASSERT_EQ(in[k].type, out.type);
		if (in[k].type >= SYNCMGR_VAL_BYTES) {
			ASSERT_EQ(in[k].buf.len, out.buf.len);
			EXPECT_EQ(0, memcmp(in[k].buf.ptr, out.buf.ptr,
					    out.buf.len));
		} else if (in[k].type == SYNCMGR_VAL_BOOL) {
			EXPECT_EQ(in[k].b, out.b);
		} else if (in[k].type != SYNCMGR_VAL_NONE) {
			EXPECT_EQ(in[k].i, out.i);	/* same bits */
		}
	}
	/* Scalars only without a buffer: the big bytes do not fit. */
	EXPECT_EQ(-EMSGSIZE, sm_value_get(v, &out, NULL));
	close(v);
	/* Any typecode, even one no array has. */
	v = sm_value_create('z', &in[4], 0);
	ASSERT_LE(0, v);
	EXPECT_EQ('z', sm_value_typecode(v));
	close(v);
	EXPECT_EQ(-EINVAL, sm_value_create(-1, NULL, 0));
}

/*
 * A number is kept in the Value itself, not in an allocated item, but
 * charged as its item would be: the same bytes for every scalar, whoever
 * stored it last pays, and everything comes back.
 */
TEST(value_scalars_charged_as_items)
{
	struct sm_value i = sm_int(5), n = sm_none(), f = sm_double(0.5),
			s = sm_str("a string longer than a number's item"),
			b = sm_bool(1);
	int probe = sm_lock_create(0), v;
	struct sm_value seven = sm_int(7), out;
	char mem[64];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	unsigned long base, b0, b1;
	int64_t old;
	pid_t pid;
	int st;

	ASSERT_LE(0, probe);
	base = user_bytes(probe);	/* the Value itself is charged too */
	v = sm_value_create('i', NULL, 0);
	ASSERT_LE(0, v);
	b0 = user_bytes(probe);
	ASSERT_NE(~0UL, b0);
	EXPECT_LT(base, b0);
	ASSERT_EQ(0, sm_value_set(v, &i));
	b1 = user_bytes(probe);
	EXPECT_LT(b0, b1);
	EXPECT_EQ(0, sm_value_add(v, 2, &old));
	EXPECT_EQ(5, old);
	EXPECT_EQ(1, sm_value_cas(v, &seven, &f, &out, &buf));
	EXPECT_EQ(0, sm_value_cas(v, &i, &b, &out, &buf));
	EXPECT_EQ(b1, user_bytes(probe));
	ASSERT_EQ(0, sm_value_set(v, &n));
	EXPECT_EQ(b1, user_bytes(probe));
	ASSERT_EQ(0, sm_value_set(v, &s));
	EXPECT_LT(b1, user_bytes(probe));
	EXPECT_EQ(1, sm_value_cas(v, &s, &b, &out, &buf));
	EXPECT_EQ(b1, user_bytes(probe));

	/* Another user stores: the charge moves to it, and back. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned long m0;
		int mine;

		if (setuid(65534))
			_exit(10);
		/* Its own lock is charged too: count from there. */
		mine = sm_lock_create(0);
		m0 = user_bytes(mine);
		if (mine < 0 || m0 == ~0UL)
			_exit(11);
		if (sm_value_add(v, 1, NULL))
			_exit(12);
		_exit(user_bytes(mine) - m0 == b1 - b0 ? 0 : 13);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(b0, user_bytes(probe));
	ASSERT_EQ(0, sm_value_set(v, &i));
	EXPECT_EQ(b1, user_bytes(probe));
	close(v);
	EXPECT_EQ(base, user_bytes(probe));
	close(probe);
}

TEST(value_add_returns_the_old_value)
{
	struct sm_value t = sm_bool(1), s = sm_str("x"), d = sm_double(1.0);
	int64_t old = 0, cur = 0;
	int v = sm_value_create('q', &t, 0);

	ASSERT_LE(0, v);
	/* True + 2 == 3, an int (Python). */
	EXPECT_EQ(0, sm_value_add(v, 2, &old));
	EXPECT_EQ(1, old);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(3, cur);
	EXPECT_EQ(0, sm_value_add(v, -10, NULL));
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(-7, cur);
	/* Overflow: ERANGE, nothing changed. */
	t = sm_int(INT64_MAX - 1);
	ASSERT_EQ(0, sm_value_set(v, &t));
	EXPECT_EQ(0, sm_value_add(v, 1, &old));
	EXPECT_EQ(-ERANGE, sm_value_add(v, 1, &old));
	EXPECT_EQ(INT64_MAX - 1, old);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(INT64_MAX, cur);
	t = sm_int(INT64_MIN);
	ASSERT_EQ(0, sm_value_set(v, &t));
	EXPECT_EQ(-ERANGE, sm_value_add(v, -1, NULL));
	/* Not an integer: EINVAL (doubles: sm_value_add_double). */
	ASSERT_EQ(0, sm_value_set(v, &s));
	EXPECT_EQ(-EINVAL, sm_value_add(v, 1, NULL));
	ASSERT_EQ(0, sm_value_set(v, &d));
	EXPECT_EQ(-EINVAL, sm_value_add(v, 1, NULL));
	close(v);
}

TEST(value_add_double_follows_python_float_addition)
{
	struct sm_value x = sm_int(1), out;
	double old = 0;
	int v = sm_value_create('d', &x, 0);

	ASSERT_LE(0, v);
	/* v = 1; v += 0.5 gives the float 1.5. */
	ASSERT_EQ(0, sm_value_add_double(v, 0.5, &old));
	EXPECT_EQ(1.0, old);
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	ASSERT_EQ(SYNCMGR_VAL_DOUBLE, out.type);
	EXPECT_EQ(1.5, out.d);
	ASSERT_EQ(0, sm_value_add_double(v, -0.25, NULL));
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	EXPECT_EQ(1.25, out.d);
	/* NaN + 1 is NaN: returns at once, the value stays NaN. */
	x = sm_double(NAN);
	ASSERT_EQ(0, sm_value_set(v, &x));
	ASSERT_EQ(0, sm_value_add_double(v, 1.0, &old));
	EXPECT_TRUE(isnan(old));
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	EXPECT_TRUE(isnan(out.d));
	x = sm_str("nope");
	ASSERT_EQ(0, sm_value_set(v, &x));
	EXPECT_EQ(-EINVAL, sm_value_add_double(v, 1.0, NULL));
	close(v);
}

TEST(value_cas_uses_python_equality)
{
	struct sm_value one = sm_int(1), onef = sm_double(1.0), tr = sm_bool(1);
	struct sm_value two = sm_int(2), nan = sm_double(NAN), s = sm_str("a");
	struct sm_value found;
	char data[64];
	struct sm_buf buf = { data, sizeof(data), 0 };
	int v = sm_value_create('i', &one, 0);

	ASSERT_LE(0, v);
	/* 1 == 1.0 == True */
	EXPECT_EQ(1, sm_value_cas(v, &onef, &tr, &found, NULL));
	EXPECT_EQ(SYNCMGR_VAL_INT, found.type);
	EXPECT_EQ(1, found.i);
	EXPECT_EQ(1, sm_value_cas(v, &one, &two, &found, NULL));
	EXPECT_EQ(SYNCMGR_VAL_BOOL, found.type);
	EXPECT_EQ(0, sm_value_cas(v, &one, &s, &found, NULL));
	EXPECT_EQ(2, found.i);
	/* NaN equals nothing, not even itself. */
	ASSERT_EQ(0, sm_value_set(v, &nan));
	EXPECT_EQ(0, sm_value_cas(v, &nan, &two, &found, NULL));
	EXPECT_TRUE(isnan(found.d));
	/* str equals only str; the found value comes out in buf. */
	ASSERT_EQ(0, sm_value_set(v, &s));
	EXPECT_EQ(0, sm_value_cas(v, &two, &one, &found, &buf));
	EXPECT_EQ(SYNCMGR_VAL_STR, found.type);
	EXPECT_EQ(1, sm_value_cas(v, &s, &one, NULL, &buf));
	EXPECT_EQ(0, value_int(v, &one.i));
	EXPECT_EQ(1, one.i);
	close(v);
}

TEST(value_holds_a_handle_and_refuses_cycles)
{
	struct sm_value h, out, none = sm_none();
	struct syncmgr_state a, b;
	int lock = sm_lock_create(0);
	int v = sm_value_create('O', NULL, 0);
	int w = sm_value_create('O', NULL, 0);

	ASSERT_LE(0, lock);
	ASSERT_LE(0, v);
	ASSERT_LE(0, w);
	h = sm_handle(lock);
	ASSERT_EQ(0, sm_value_set(v, &h));
	close(lock);			/* the Value keeps it alive */
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	ASSERT_EQ(SYNCMGR_VAL_HANDLE, out.type);
	EXPECT_EQ(SYNCMGR_TYPE_LOCK, sm_type(out.handle));
	EXPECT_EQ(0, sm_lock_acquire(out.handle, 0));
	close(out.handle);
	/* v into v, and w -> v -> w: ELOOP, nothing changed. */
	h = sm_handle(v);
	EXPECT_EQ(-ELOOP, sm_value_set(v, &h));
	ASSERT_EQ(0, sm_value_set(w, &h));
	h = sm_handle(w);
	EXPECT_EQ(-ELOOP, sm_value_set(v, &h));
	EXPECT_EQ(-ELOOP, sm_value_cas(v, &none, &h, NULL, NULL));
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	ASSERT_EQ(SYNCMGR_VAL_HANDLE, out.type);
	ASSERT_EQ(0, sm_state(out.handle, &a));
	EXPECT_EQ((__u32)SYNCMGR_TYPE_LOCK, a.type);
	close(out.handle);
	/* Reading w gives a new fd of v itself. */
	ASSERT_EQ(0, sm_value_get(w, &out, NULL));
	ASSERT_EQ(0, sm_state(out.handle, &a));
	ASSERT_EQ(0, sm_state(v, &b));
	EXPECT_EQ(b.id, a.id);
	close(out.handle);
	close(v);
	close(w);
}

/* Across families: a list holding the Value, the Value the list. */
TEST(value_and_list_never_close_a_cycle)
{
	int list = sm_list_create(0);
	int v = sm_value_create('O', NULL, 0);
	struct sm_value hl = sm_handle(list), hv = sm_handle(v), out;

	ASSERT_LE(0, list);
	ASSERT_LE(0, v);
	ASSERT_EQ(0, sm_list_append(list, &hv));
	EXPECT_EQ(-ELOOP, sm_value_set(v, &hl));
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	EXPECT_EQ(SYNCMGR_VAL_NONE, out.type);
	ASSERT_EQ(0, sm_list_clear(list));
	ASSERT_EQ(0, sm_value_set(v, &hl));
	EXPECT_EQ(-ELOOP, sm_list_append(list, &hv));
	EXPECT_EQ(0, sm_list_len(list));
	close(list);
	close(v);
}

/* The value lives in the kernel: a process forked earlier sees it. */
static int add_received(const int *h, void *arg)
{
	int64_t old;
	int ret = sm_value_add(h[0], 10, &old);

	close(h[0]);
	return ret ? ret : (int)old;
}

TEST(value_shared_by_fork_and_by_socket)
{
	int *res = shared_mem(2 * sizeof(*res));
	struct sm_value x = sm_int(5);
	int64_t cur = 0;
	int sv[2], v;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 1, add_received, NULL, &res[0]);
	ASSERT_LT(0, pid);
	v = sm_value_create('i', &x, 0);
	ASSERT_LE(0, v);
	ASSERT_EQ(1, sm_send_handles(sv[0], &v, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(5, res[0]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(sm_value_add(v, 100, NULL) ? 1 : 0);
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(115, cur);
	close(v);
	close(sv[0]);
	close(sv[1]);
}

TEST(value_bad_input_changes_nothing)
{
	struct syncmgr_value hdr = { .type = SYNCMGR_VAL_INT, .data = 9 };
	struct sm_value x = sm_int(7), big;
	struct syncmgr_data d;
	char small[8], *huge, saved[32];
	int64_t cur = 0;
	int v = sm_value_create('i', &x, 0);

	ASSERT_LE(0, v);
	/* Bad in pointer. */
	memset(&d, 0, sizeof(d));
	d.count = 1;
	d.in = 8;
	d.in_size = sizeof(hdr);
	EXPECT_EQ(-EFAULT, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	/* count does not match the values. */
	d.in = (uintptr_t)&hdr;
	d.count = 2;
	EXPECT_EQ(-EINVAL, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	/* Malformed value: reserved set, a BOOL of 2, a size too short. */
	d.count = 1;
	hdr.reserved = 1;
	EXPECT_EQ(-EINVAL, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	hdr.reserved = 0;
	hdr.type = SYNCMGR_VAL_BOOL;
	hdr.data = 2;
	EXPECT_EQ(-EINVAL, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	hdr.type = SYNCMGR_VAL_INT;
	d.in_size = 8;
	EXPECT_EQ(-EINVAL, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	/* Fields STORE does not use, flags, a command Value lacks. */
	d.in_size = sizeof(hdr);
	d.start = 1;
	EXPECT_EQ(-EINVAL, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	d.start = 0;
	d.deadline = 1;
	EXPECT_EQ(-EINVAL, data_ioctl(v, SYNCMGR_IOC_STORE, &d));
	memset(&d, 0, sizeof(d));
	EXPECT_EQ(-EBADFD, data_ioctl(v, SYNCMGR_IOC_LEN, &d));
	EXPECT_EQ(-EBADFD, data_ioctl(v, SYNCMGR_IOC_GET, &d));
	/* Bad out pointer on LOAD and ADD: EFAULT, not added. */
	d.out = 8;
	d.out_size = 16;
	EXPECT_EQ(-EFAULT, data_ioctl(v, SYNCMGR_IOC_LOAD, &d));
	d.in = (uintptr_t)&hdr;
	d.in_size = sizeof(hdr);
	d.count = 1;
	EXPECT_EQ(-EFAULT, data_ioctl(v, SYNCMGR_IOC_ADD, &d));
	/* Too small an out buffer: EMSGSIZE, needed, not added. */
	d.out = (uintptr_t)small;
	d.out_size = sizeof(small);
	EXPECT_EQ(-EMSGSIZE, data_ioctl(v, SYNCMGR_IOC_ADD, &d));
	EXPECT_EQ(16U, d.needed);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(7, cur);
	/*
	 * One byte over max_value_size (set to 4096 here: the default is
	 * 256 MiB): EMSGSIZE, the value unchanged.
	 */
	huge = calloc(1, 4097);
	ASSERT_NE(NULL, huge);
	big = sm_bytes(huge, 4097);
	if (set_value_size(4096, saved, sizeof(saved))) {
		EXPECT_EQ(-EMSGSIZE, sm_value_set(v, &big));
		EXPECT_EQ(0, write_param(VALUE_SIZE_PARAM, saved));
	} else {
		TH_LOG("%s is not writable: limit not tried", VALUE_SIZE_PARAM);
	}
	free(huge);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(7, cur);
	/* A handle that is not an object. */
	x = sm_handle(0);
	EXPECT_EQ(-EBADFD, sm_value_set(v, &x));
	x = sm_handle(9999);
	EXPECT_EQ(-EBADF, sm_value_set(v, &x));
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(7, cur);
	EXPECT_TRUE(poll_one(v, POLLIN, 0) & POLLIN);
	close(v);
}

/* A Value takes no length at creation; an Array no unknown typecode. */
/* A raw SCALAR_* ioctl. */
static int scalar_ioctl(int h, unsigned long cmd, struct syncmgr_value *val)
{
	return ioctl(h, cmd, val) < 0 ? -errno : 0;
}

TEST(value_scalar_shortcuts_match_the_data_ioctls)
{
	struct syncmgr_value val = { .type = SYNCMGR_VAL_INT, .data = 40 };
	struct sm_value x = sm_int(1), s = sm_str("text"), out;
	char data[64];
	struct sm_buf buf = { data, sizeof(data), 0 };
	struct syncmgr_version ver;
	int64_t cur = 0;
	int v = sm_value_create('i', &x, 0), dev = open("/dev/syncmgr", O_RDWR);
	int d = sm_dict_create(0), a, pid, pfd[2];
	void *ro;

	ASSERT_LE(0, v);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, ioctl(dev, SYNCMGR_IOC_VERSION, &ver));
	EXPECT_NE(0ULL, ver.features & SYNCMGR_FEAT_SCALAR);
	close(dev);

	/* STORE, then LOAD and the general LOAD agree. */
	ASSERT_EQ(0, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	memset(&val, 0xa5, sizeof(val));
	ASSERT_EQ(0, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_LOAD, &val));
	EXPECT_EQ(SYNCMGR_VAL_INT, val.type);
	EXPECT_EQ(0U, val.reserved);
	EXPECT_EQ(0U, val.len);
	EXPECT_EQ(40U, val.data);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(40, cur);

	/* ADD writes back the value before; a bool adds as 1. */
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_BOOL, .data = 1 };
	ASSERT_EQ(0, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_ADD, &val));
	EXPECT_EQ(SYNCMGR_VAL_INT, val.type);
	EXPECT_EQ(40U, val.data);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(41, cur);

	/* Across fork: the child's store is the parent's value. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct syncmgr_value f = { .type = SYNCMGR_VAL_DOUBLE };
		double half = 0.5;

		memcpy(&f.data, &half, sizeof(half));
		_exit(scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &f) ? 1 : 0);
	}
	ASSERT_EQ(0, wait_child(pid, 10000 * slow_factor()));
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	EXPECT_EQ(SYNCMGR_VAL_DOUBLE, out.type);
	EXPECT_EQ(0.5, out.d);
	/* ADD to a float: EINVAL, as ADD (libsync loops on CMPXCHG). */
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_INT, .data = 1 };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_ADD, &val));

	/* A payload type held: LOAD says EMSGSIZE, sm_value_get still works. */
	ASSERT_EQ(0, sm_value_set(v, &s));
	EXPECT_EQ(-EMSGSIZE, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_LOAD, &val));
	ASSERT_EQ(0, sm_value_get(v, &out, &buf));
	EXPECT_EQ(SYNCMGR_VAL_STR, out.type);
	EXPECT_EQ(4U, out.buf.len);
	EXPECT_EQ(0, memcmp(out.buf.ptr, "text", 4));
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_ADD, &val));

	/* Bad input: payload types, reserved, len, BOOL 2, NONE with data. */
	x = sm_int(5);
	ASSERT_EQ(0, sm_value_set(v, &x));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_STR };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_HANDLE, .data = v };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_INT, .reserved = 1 };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_INT, .len = 8 };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_ADD, &val));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_BOOL, .data = 2 };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_NONE, .data = 1 };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	val = (struct syncmgr_value){ .type = 99 };
	EXPECT_EQ(-EINVAL, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, &val));
	/* Bad pointers: EFAULT; ADD into read-only memory changes nothing. */
	EXPECT_EQ(-EFAULT, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_LOAD, (void *)8));
	EXPECT_EQ(-EFAULT, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_STORE, (void *)8));
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	*(struct syncmgr_value *)ro =
		(struct syncmgr_value){ .type = SYNCMGR_VAL_INT, .data = 3 };
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	EXPECT_EQ(-EFAULT, scalar_ioctl(v, SYNCMGR_IOC_SCALAR_ADD, ro));
	munmap(ro, 4096);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ(5, cur);

	/* Only a Value has them: an Array and a dict say EBADFD. */
	a = sm_array_create('i', NULL, 4, 0);
	ASSERT_LE(0, a);
	ASSERT_LE(0, d);
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_INT };
	EXPECT_EQ(-EBADFD, scalar_ioctl(a, SYNCMGR_IOC_SCALAR_LOAD, &val));
	EXPECT_EQ(-EBADFD, scalar_ioctl(d, SYNCMGR_IOC_SCALAR_STORE, &val));
	/* ... before reading anything. */
	EXPECT_EQ(-EBADFD, scalar_ioctl(a, SYNCMGR_IOC_SCALAR_STORE, (void *)8));
	val = (struct syncmgr_value){ .type = SYNCMGR_VAL_STR };
	EXPECT_EQ(-EBADFD, scalar_ioctl(a, SYNCMGR_IOC_SCALAR_ADD, &val));
	/* libsync: an fd that is not syncmgr's says nothing about the module. */
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(-ENOTTY, sm_value_get(pfd[0], &out, NULL));
	EXPECT_EQ(-ENOTTY, sm_value_set(pfd[0], &x));
	EXPECT_EQ(-EBADFD, sm_value_set(a, &x));
	EXPECT_EQ(0, array_int(a, 0));
	close(pfd[0]);
	close(pfd[1]);
	close(a);
	close(d);
	close(v);
}

TEST(create_refuses_what_the_type_does_not_take)
{
	struct syncmgr_create c = { .type = SYNCMGR_TYPE_VALUE, .value = 1 };
	int dev = dev_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.type = SYNCMGR_TYPE_ARRAY;
	c.typecode = 'c';
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_CREATE, &c));
	EXPECT_EQ(EINVAL, errno);
	/*
	 * Beyond the user's byte quota (a quarter of RAM by default, here
	 * the guest's): 2^31 - 1 int64s, 16 GiB: EDQUOT.
	 */
	c.typecode = 'q';
	c.value = INT32_MAX;
	if (param_ulong(VALUE_BYTES_PARAM) < (unsigned long)INT32_MAX * 8) {
		EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_CREATE, &c));
		EXPECT_EQ(EDQUOT, errno);
	}
	close(dev);
}

/* The race the manager loses: N processes x M atomic adds. */
#define ADD_ROUNDS	stress_rounds(2000)

static int add_many(void *arg)
{
	int v = *(int *)arg;

	for (int i = 0; i < ADD_ROUNDS; i++) {
		int ret = sm_value_add(v, 1, NULL);

		if (ret)
			return ret;
	}
	return 0;
}

static int add_double_many(void *arg)
{
	int v = *(int *)arg;

	for (int i = 0; i < ADD_ROUNDS / 4; i++) {
		int ret = sm_value_add_double(v, 0.5, NULL);

		if (ret)
			return ret;
	}
	return 0;
}

static void run_procs(struct __test_metadata *_metadata,
		      int (*fn)(void *), int *arg)
{
	int *res = shared_mem(NPROCS * sizeof(*res));
	pid_t pid[NPROCS];

	ASSERT_NE(NULL, res);
	for (int i = 0; i < NPROCS; i++) {
		pid[i] = spawn(fn, arg, &res[i]);
		ASSERT_LT(0, pid[i]);
	}
	for (int i = 0; i < NPROCS; i++) {
		EXPECT_EQ(0, wait_child(pid[i], 30000 * slow_factor()));
		EXPECT_EQ(0, res[i]);
	}
}

TEST(stress_value_adds_are_exact)
{
	struct sm_value zero = sm_int(0), out;
	int64_t cur = -1;
	int v = sm_value_create('i', &zero, 0);

	ASSERT_LE(0, v);
	run_procs(_metadata, add_many, &v);
	ASSERT_EQ(0, value_int(v, &cur));
	EXPECT_EQ((int64_t)NPROCS * ADD_ROUNDS, cur);
	/* The double CAS loop, too: halves add up exactly. */
	zero = sm_double(0);
	ASSERT_EQ(0, sm_value_set(v, &zero));
	run_procs(_metadata, add_double_many, &v);
	ASSERT_EQ(0, sm_value_get(v, &out, NULL));
	EXPECT_EQ(NPROCS * (ADD_ROUNDS / 4) * 0.5, out.d);
	close(v);
}

/* ---- Array ---- */

struct range_case {
	char tc;
	int64_t lo, hi;		/* the range; lo - 1, hi + 1 overflow */
};

TEST(array_typecode_ranges_as_python)
{
	static const struct range_case cases[] = {
		{ 'b', -128, 127 }, { 'B', 0, 255 },
		{ 'h', -32768, 32767 }, { 'H', 0, 65535 },
		{ 'i', INT32_MIN, INT32_MAX }, { 'I', 0, UINT32_MAX },
		{ 'l', INT64_MIN, INT64_MAX }, { 'q', INT64_MIN, INT64_MAX },
		{ 'L', 0, INT64_MAX }, { 'Q', 0, INT64_MAX },
	};
	struct syncmgr_state st;
	struct sm_value x;

	for (unsigned int k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct range_case *c = &cases[k];
		int a = sm_array_create(c->tc, NULL, 3, 0);

		ASSERT_LE(0, a);
		EXPECT_EQ(c->tc, sm_array_typecode(a));
		EXPECT_EQ(3, sm_array_len(a));
		ASSERT_EQ(0, state_poisoned(a, &st));
		EXPECT_EQ(3U, st.value);
		EXPECT_EQ(0, array_int(a, 2));
		x = sm_int(c->lo);
		EXPECT_EQ(0, sm_array_set(a, 0, &x));
		x = sm_int(c->hi);
		EXPECT_EQ(0, sm_array_set(a, 1, &x));
		EXPECT_EQ(c->lo, array_int(a, 0));
		EXPECT_EQ(c->hi, array_int(a, 1));
		if (c->lo != INT64_MIN) {
			x = sm_int(c->lo - 1);
			EXPECT_EQ(-EOVERFLOW, sm_array_set(a, 2, &x));
		}
		if (c->hi != INT64_MAX) {
			x = sm_int(c->hi + 1);
			EXPECT_EQ(-EOVERFLOW, sm_array_set(a, 2, &x));
		}
		/* A float into an integer array: TypeError; bool is an int. */
		x = sm_double(1.0);
		EXPECT_EQ(-EINVAL, sm_array_set(a, 2, &x));
		x = sm_str("1");
		EXPECT_EQ(-EINVAL, sm_array_set(a, 2, &x));
		x = sm_bool(1);
		EXPECT_EQ(0, sm_array_set(a, 2, &x));
		EXPECT_EQ(1, array_int(a, 2)) {
			TH_LOG("typecode %c", c->tc);
		}
		close(a);
	}
	EXPECT_EQ(-EINVAL, sm_array_create('x', NULL, 1, 0));
	EXPECT_EQ(-EINVAL, sm_array_create('U', NULL, 1, 0));	/* 'u' is in: tests/array.c */
}

static uint64_t bits_of(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof(b));
	return b;
}

static double double_of(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

/* The C compiler's casts (SSE, round to nearest even) are the oracle. */
TEST(array_float_conversions_match_c_casts)
{
	static const double special[] = {
		0.0, -0.0, 1.0, 0.1, -2.5, 3.4028234663852886e38,
		3.4028235677973366e38, 3.402823567797337e38, 1e39, -1e300,
		1.401298464324817e-45, 7.006492321624085e-46,
		7.006492321624087e-46, 1e-50, 1.1754942e-38, 1.17549435e-38,
		16777217.0, INFINITY, -INFINITY, NAN,
	};
	int f = sm_array_create('f', NULL, 1, 0);
	int d = sm_array_create('d', NULL, 1, 0);
	unsigned int seed = 12345;
	struct sm_value x, out;

	ASSERT_LE(0, f);
	ASSERT_LE(0, d);
	for (int k = 0; k < 3000; k++) {
		volatile double in;
		volatile float want;
		int ret;

		if (k < (int)(sizeof(special) / sizeof(special[0]))) {
			in = special[k];
		} else {
			uint64_t b = (uint64_t)rand_r(&seed) << 40 ^
				     (uint64_t)rand_r(&seed) << 20 ^
				     (uint64_t)rand_r(&seed);
			/* Exponents around float's range. */
			b = (b & 0x800fffffffffffffULL) |
			    (uint64_t)(1023 - 160 + rand_r(&seed) % 320) << 52;
			in = double_of(b);
		}
		want = (float)in;
		x = sm_double(in);
		ret = sm_array_set(f, 0, &x);
		if (isinf(want) && !isinf(in)) {
			EXPECT_EQ(-EOVERFLOW, ret);
			continue;
		}
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, sm_array_get(f, 0, &out));
		ASSERT_EQ(SYNCMGR_VAL_DOUBLE, out.type);
		EXPECT_EQ(bits_of((double)want), bits_of(out.d)) {
			TH_LOG("in %a: want %a got %a", in, (double)want, out.d);
		}
	}
	/* int64 -> double, rounded to nearest even beyond 2^53. */
	for (int k = 0; k < 2000; k++) {
		int64_t i = (int64_t)((uint64_t)rand_r(&seed) << 33 ^
				      (uint64_t)rand_r(&seed) << 11 ^
				      (uint64_t)rand_r(&seed)) >> (k % 40);
		volatile double want = (double)i;
		volatile float wantf = (float)want;

		if (k == 0)
			i = INT64_MIN;
		if (k == 1)
			i = (1LL << 53) + 1;
		want = (double)i;
		wantf = (float)want;
		x = sm_int(i);
		ASSERT_EQ(0, sm_array_set(d, 0, &x));
		ASSERT_EQ(0, sm_array_get(d, 0, &out));
		EXPECT_EQ(bits_of(want), bits_of(out.d)) {
			TH_LOG("int %lld", (long long)i);
		}
		ASSERT_EQ(0, sm_array_set(f, 0, &x));
		ASSERT_EQ(0, sm_array_get(f, 0, &out));
		EXPECT_EQ(bits_of((double)wantf), bits_of(out.d));
	}
	/* Floats take no integer operations. */
	EXPECT_EQ(-EINVAL, sm_array_add(d, 0, 1, NULL));
	EXPECT_EQ(-EINVAL, sm_array_cas(f, 0, 0, 1, NULL));
	close(f);
	close(d);
}

struct slice_case {
	int64_t start, stop, step;
	unsigned int flags;
	int n;
	int want[10];
};

#define NS	SYNCMGR_DATA_NO_START
#define NE	SYNCMGR_DATA_NO_STOP

/* Generated with Python: list(array('i', range(10))[start:stop:step]). */
static const struct slice_case slices[] = {
	{ 0, 0, 1, NS | NE, 10, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 } },
	{ 0, 0, -1, NS | NE, 10, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 } },
	{ 2, 8, 3, 0, 2, { 2, 5 } },
	{ -3, 0, 1, NE, 3, { 7, 8, 9 } },
	{ 0, -3, -1, NS, 2, { 9, 8 } },
	{ 100, -100, -1, 0, 10, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 } },
	{ -100, 100, 2, 0, 5, { 0, 2, 4, 6, 8 } },
	{ 5, 5, 1, 0, 0, { 0 } },
	{ 8, 2, -2, 0, 3, { 8, 6, 4 } },
	{ 0, 0, INT64_MIN, NS | NE, 1, { 9 } },
	{ 3, 0, -1, NE, 4, { 3, 2, 1, 0 } },
	{ -1, -11, -1, 0, 10, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 } },
	{ 0, 0, 4, NE, 3, { 0, 4, 8 } },
};

TEST(array_slices_as_python)
{
	struct sm_value init[10], out[10], vals[10];
	int a;

	for (int i = 0; i < 10; i++)
		init[i] = sm_int(i);
	a = sm_array_create('i', init, 10, 0);
	ASSERT_LE(0, a);
	for (unsigned int k = 0; k < sizeof(slices) / sizeof(slices[0]); k++) {
		const struct slice_case *c = &slices[k];
		struct sm_slice s = { c->start, c->stop, c->step, c->flags };

		ASSERT_EQ(c->n, sm_array_get_slice(a, &s, out, 10)) {
			TH_LOG("slice %u", k);
		}
		for (int i = 0; i < c->n; i++)
			EXPECT_EQ(c->want[i], out[i].i);
		/* Store the negated slice, check, store it back. */
		for (int i = 0; i < c->n; i++)
			vals[i] = sm_int(-c->want[i] - 1);
		ASSERT_EQ(0, sm_array_set_slice(a, &s, vals, c->n));
		for (int i = 0; i < c->n; i++)
			EXPECT_EQ(-c->want[i] - 1, array_int(a, c->want[i]));
		ASSERT_EQ(0, sm_array_set_slice(a, &s, out, c->n));
		for (int i = 0; i < 10; i++)
			EXPECT_EQ(i, array_int(a, i));
	}
	close(a);
}

TEST(array_bad_input_changes_nothing)
{
	struct sm_value init[3] = { sm_int(1), sm_int(2), sm_int(3) };
	struct sm_value two[2] = { sm_int(7), sm_int(300) }, x, out[3];
	struct sm_slice all = { 0, 0, 1, NS | NE }, s = { 0, 2, 1, 0 };
	struct syncmgr_data d;
	char data[64];
	int a = sm_array_create('b', init, 3, 0);

	ASSERT_LE(0, a);
	/* Index out of range: IndexError. */
	x = sm_int(0);
	EXPECT_EQ(-ERANGE, sm_array_set(a, 3, &x));
	EXPECT_EQ(-ERANGE, sm_array_set(a, -4, &x));
	EXPECT_EQ(-ERANGE, sm_array_get(a, 3, &x));
	EXPECT_EQ(-ERANGE, sm_array_add(a, -4, 1, NULL));
	EXPECT_EQ(3, array_int(a, -1));
	/* A slice store needs exactly as many values; all or nothing. */
	EXPECT_EQ(-EINVAL, sm_array_set_slice(a, &all, two, 2));
	EXPECT_EQ(-EOVERFLOW, sm_array_set_slice(a, &s, two, 2));
	s.step = 0;
	EXPECT_EQ(-EINVAL, sm_array_set_slice(a, &s, two, 2));
	EXPECT_EQ(3, sm_array_get_slice(a, &all, out, 3));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(i + 1, out[i].i);
	/* A slice read takes as many values as fit, at least one. */
	memset(&d, 0, sizeof(d));
	d.flags = NS | NE;
	d.step = 1;
	d.out = (uintptr_t)data;
	d.out_size = 40;
	EXPECT_EQ(2, ioctl(a, SYNCMGR_IOC_LOAD, &d));
	d.out_size = 8;
	EXPECT_EQ(-EMSGSIZE, data_ioctl(a, SYNCMGR_IOC_LOAD, &d));
	EXPECT_EQ(16U, d.needed);
	d.needed = 0;
	d.out = 8;
	d.out_size = 48;
	EXPECT_EQ(-EFAULT, data_ioctl(a, SYNCMGR_IOC_LOAD, &d));
	/* One element: flags without a step are invalid. */
	d.step = 0;
	d.out = (uintptr_t)data;
	EXPECT_EQ(-EINVAL, data_ioctl(a, SYNCMGR_IOC_LOAD, &d));
	memset(&d, 0, sizeof(d));
	d.count = 1;
	d.in = 8;
	d.in_size = 16;
	EXPECT_EQ(-EFAULT, data_ioctl(a, SYNCMGR_IOC_STORE, &d));
	/* Add past the typecode: EOVERFLOW; the element is unchanged. */
	EXPECT_EQ(-EOVERFLOW, sm_array_add(a, 2, 125, NULL));
	EXPECT_EQ(-EOVERFLOW, sm_array_cas(a, 2, 3, 128, NULL));
	EXPECT_EQ(3, array_int(a, 2));
	EXPECT_EQ(-EBADFD, data_ioctl(a, SYNCMGR_IOC_GET, &d));
	close(a);
	/* Length 0 is an empty array. */
	a = sm_array_create('d', NULL, 0, 0);
	ASSERT_LE(0, a);
	EXPECT_EQ(0, sm_array_len(a));
	EXPECT_EQ(0, sm_array_get_slice(a, &all, out, 3));
	EXPECT_EQ(0, sm_array_set_slice(a, &all, NULL, 0));
	EXPECT_EQ(-ERANGE, sm_array_get(a, 0, &x));
	close(a);
}

TEST(array_add_and_cas)
{
	struct sm_value init[2] = { sm_int(10), sm_int(-3) };
	int64_t old = 0;
	int a = sm_array_create('q', init, 2, 0);

	ASSERT_LE(0, a);
	EXPECT_EQ(0, sm_array_add(a, -1, 5, &old));
	EXPECT_EQ(-3, old);
	EXPECT_EQ(2, array_int(a, 1));
	EXPECT_EQ(1, sm_array_cas(a, 0, 10, 20, &old));
	EXPECT_EQ(10, old);
	EXPECT_EQ(0, sm_array_cas(a, 0, 10, 30, &old));
	EXPECT_EQ(20, old);
	EXPECT_EQ(20, array_int(a, 0));
	init[0] = sm_int(INT64_MAX);
	ASSERT_EQ(0, sm_array_set(a, 0, &init[0]));
	EXPECT_EQ(-EOVERFLOW, sm_array_add(a, 0, 1, NULL));
	EXPECT_EQ(INT64_MAX, array_int(a, 0));
	close(a);
}

static int array_received(const int *h, void *arg)
{
	struct sm_value x = sm_double(0.25);
	int ret = sm_array_set(h[0], -1, &x);

	close(h[0]);
	return ret;
}

TEST(array_shared_by_socket)
{
	int *res = shared_mem(sizeof(*res));
	struct sm_value out;
	int sv[2], a;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 1, array_received, NULL, res);
	ASSERT_LT(0, pid);
	a = sm_array_create('f', NULL, 4, 0);
	ASSERT_LE(0, a);
	ASSERT_EQ(1, sm_send_handles(sv[0], &a, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	ASSERT_EQ(0, sm_array_get(a, 3, &out));
	EXPECT_EQ(0.25, out.d);
	close(a);
	close(sv[0]);
	close(sv[1]);
}

/* Every process adds 1 to every element of its own stride, many times. */
#define ARRAY_LEN	16

static int array_add_many(void *arg)
{
	int a = *(int *)arg;

	for (int i = 0; i < ADD_ROUNDS; i++) {
		int ret = sm_array_add(a, i % ARRAY_LEN, 1, NULL);

		if (ret)
			return ret;
	}
	return 0;
}

TEST(stress_array_element_adds_are_exact)
{
	struct sm_value out[ARRAY_LEN];
	struct sm_slice all = { 0, 0, 1, NS | NE };
	int a = sm_array_create('i', NULL, ARRAY_LEN, 0);
	int64_t total = 0;

	ASSERT_LE(0, a);
	run_procs(_metadata, array_add_many, &a);
	ASSERT_EQ(ARRAY_LEN, sm_array_get_slice(a, &all, out, ARRAY_LEN));
	for (int i = 0; i < ARRAY_LEN; i++) {
		int64_t want = NPROCS * (ADD_ROUNDS / ARRAY_LEN +
					 (i < ADD_ROUNDS % ARRAY_LEN));

		EXPECT_EQ(want, out[i].i);
		total += out[i].i;
	}
	EXPECT_EQ((int64_t)NPROCS * ADD_ROUNDS, total);
	close(a);
}

/*
 * Sixteen Values of 1 MiB each: what they take from the machine is what
 * they are charged (a 1 MiB value is not a 2 MiB kmalloc charged 1 MiB).
 */
TEST(value_large_charge_is_true_size)
{
	size_t size = 1 << 20;
	char *buf = malloc(size);
	int probe = sm_event_create(0), v[16];
	struct sm_value val;
	unsigned long b0, b1;
	long free0, free1, taken;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, probe);
	memset(buf, 'x', size);
	val = sm_bytes(buf, size);
	for (int i = 0; i < 16; i++) {
		v[i] = sm_value_create('z', NULL, 0);
		ASSERT_LE(0, v[i]);
	}
	b0 = user_bytes(probe);
	free0 = meminfo_kb("MemFree:");
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(0, sm_value_set(v[i], &val));
	free1 = meminfo_kb("MemFree:");
	b1 = user_bytes(probe);
	taken = (free0 - free1) * 1024;
	EXPECT_LE(16UL * size, b1 - b0);
	EXPECT_GE(16UL * (size + 16384), b1 - b0);
	/*
	 * 2 MiB of slack for the rest of the machine; on the debug kernel,
	 * KASAN's shadow of the vmalloc'd values (an eighth) on top.
	 */
	EXPECT_GE((long)(b1 - b0) * (debug_kernel() ? 9 : 8) / 8 + (2L << 20),
		  taken) {
		TH_LOG("charged %lu, MemFree fell by %ld", b1 - b0, taken);
	}
	for (int i = 0; i < 16; i++)
		close(v[i]);
	free(buf);
	close(probe);
}

/*
 * STORE of a whole huge Array with a count its input cannot hold fails
 * before anything is allocated (no count x 8 bytes, no warning).
 */
TEST(array_store_huge_count_checks_input_first)
{
	struct sm_value one = sm_int(1);
	struct syncmgr_data d;
	unsigned int n = 300u << 20;
	char saved[32];
	int a, r;

	ASSERT_EQ(0, read_param(VALUE_BYTES_PARAM, saved, sizeof(saved)));
	if (write_param(VALUE_BYTES_PARAM, "1073741824\n"))
		SKIP(return, "%s is not writable", VALUE_BYTES_PARAM);
	a = sm_array_create('b', NULL, n, 0);
	EXPECT_EQ(0, write_param(VALUE_BYTES_PARAM, saved));
	if (a == -ENOMEM)
		SKIP(return, "no room for a %u-byte Array", n);
	ASSERT_LE(0, a);
	memset(&d, 0, sizeof(d));
	d.in = (uintptr_t)&one;
	d.in_size = sizeof(struct syncmgr_value);
	d.count = n;
	d.step = 1;
	d.flags = SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP;
	r = ioctl(a, SYNCMGR_IOC_STORE, &d);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINVAL, errno);
	close(a);
}

TEST_HARNESS_MAIN
