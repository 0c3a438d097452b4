// SPDX-License-Identifier: GPL-2.0
/*
 * Queue across processes, against Python's queue.Queue / JoinableQueue:
 * FIFO put/get of every value type, Full/Empty (nowait, timeouts), direct
 * hand-offs to blocked getters and putters in FIFO order, put-many and
 * get-many, task_done/join, poll, handles passed over a Unix socket and
 * stored in the queue, cycles (ELOOP), bad input that changes nothing,
 * the per-user byte quota, 64 MiB values (across processes, and refused
 * with ENOMEM over a memory cgroup's limit, nothing lost), and a
 * producer/consumer run with consumers killed mid-run that ends with an
 * exact count.
 */
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "common.h"

#define TIMEOUT_MS	200
#define BYTES_PARAM	"/sys/module/syncmgr/parameters/max_bytes_per_user"
#define VALUE_PARAM	"/sys/module/syncmgr/parameters/max_value_size"
#define INT_SIZE	((int)SYNCMGR_VALUE_SIZE(0))

/* A raw data ioctl: its result or -errno. */
static int raw(int fd, unsigned long cmd, void *d)
{
	int ret = ioctl(fd, cmd, d);

	return ret < 0 ? -errno : ret;
}

static int put_int(int q, int64_t i)
{
	struct sm_value v = sm_int(i);

	return sm_queue_put(q, &v, 0);
}

/* Gets one INT value: the value (small, >= 0) or -errno. */
static int get_int(int q, int64_t timeout_ns)
{
	uint64_t mem[8];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	struct sm_value v;
	int ret = sm_queue_get(q, &v, &buf, timeout_ns);

	if (ret < 0)
		return ret;
	return v.type == SYNCMGR_VAL_INT ? (int)v.i : -EPROTO;
}

static int put_forever(int q, int64_t i)
{
	struct sm_value v = sm_int(i);

	return sm_queue_put(q, &v, SM_FOREVER);
}

/* timed_call ops */
static int get_op(int q, int64_t timeout_ns)
{
	return get_int(q, timeout_ns);
}

static int put_op(int q, int64_t timeout_ns)
{
	struct sm_value v = sm_int(100 + getpid() % 100);

	return sm_queue_put(q, &v, timeout_ns);
}

static struct timed_call getter(int q)
{
	return (struct timed_call){ .op = get_op, .handle = q,
				    .timeout_ns = SM_FOREVER };
}

/* The queue holds exactly want[0..n-1], in order (and is then empty). */
static void expect_contents(struct __test_metadata *_metadata, int q,
			    const int *want, int n)
{
	EXPECT_EQ(n, sm_queue_qsize(q));
	for (int i = 0; i < n; i++)
		EXPECT_EQ(want[i], get_int(q, 0));
	EXPECT_EQ(1, sm_queue_empty(q));
}

TEST(create_and_state)
{
	struct syncmgr_state st;
	int q = sm_queue_create(3, 0);
	int u = sm_queue_create(0, 0);
	struct syncmgr_version ver;

	ASSERT_LE(0, q);
	ASSERT_LE(0, u);
	ASSERT_EQ(0, sm_version(&ver));
	EXPECT_TRUE((ver.features & SYNCMGR_FEAT_QUEUE) != 0);
	EXPECT_EQ(SYNCMGR_TYPE_QUEUE, sm_type(q));
	ASSERT_EQ(0, state_poisoned(q, &st));
	EXPECT_EQ((__u32)SYNCMGR_TYPE_QUEUE, st.type);
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ(3U, st.max);
	EXPECT_EQ(0U, st.waiters);
	EXPECT_EQ(0U, st.owner);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(3, sm_queue_maxsize(q));
	EXPECT_EQ(0, sm_queue_maxsize(u));
	EXPECT_EQ(1, sm_queue_empty(q));
	EXPECT_EQ(0, sm_queue_full(q));
	EXPECT_EQ(0, put_int(q, 1));
	EXPECT_EQ(0, put_int(q, 2));
	EXPECT_EQ(0, put_int(q, 3));
	EXPECT_EQ(1, sm_queue_full(q));
	EXPECT_EQ(0, sm_queue_empty(q));
	EXPECT_EQ(3, sm_queue_qsize(q));
	/* Unbounded: never full. */
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(0, put_int(u, i));
	EXPECT_EQ(0, sm_queue_full(u));
	EXPECT_EQ(100, sm_queue_qsize(u));
	close(q);
	close(u);
}

TEST(every_type_round_trips_in_fifo_order)
{
	static const char str[] = "h\xc3\xa9llo";
	static const char bytes[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct sm_value in[] = {
		sm_none(), sm_bool(1), sm_int(-5), sm_double(2.5),
		sm_bytes(bytes, sizeof(bytes)), sm_str(str),
		sm_blob("pickle", 6), sm_bytes("", 0),
	};
	uint64_t mem[16];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	struct sm_value v;
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	for (unsigned int i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		ASSERT_EQ(0, sm_queue_put(q, &in[i], SM_FOREVER));
	for (unsigned int i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		ASSERT_EQ(0, sm_queue_get(q, &v, &buf, 0));
		ASSERT_EQ(in[i].type, v.type);
		switch (v.type) {
		case SYNCMGR_VAL_BOOL:
			EXPECT_EQ(1, v.b);
			break;
		case SYNCMGR_VAL_INT:
			EXPECT_EQ(-5, v.i);
			break;
		case SYNCMGR_VAL_DOUBLE:
			EXPECT_TRUE(v.d == 2.5);
			break;
		case SYNCMGR_VAL_NONE:
			break;
		default:
			ASSERT_EQ(in[i].buf.len, v.buf.len);
			EXPECT_EQ(0, memcmp(in[i].buf.ptr, v.buf.ptr,
					    v.buf.len));
		}
	}
	EXPECT_EQ(1, sm_queue_empty(q));
	close(q);
}

TEST(empty_and_full_nowait_and_timeouts)
{
	struct sm_value v = sm_int(7), out;
	uint64_t mem[4];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	int q = sm_queue_create(1, 0);
	int64_t start;

	ASSERT_LE(0, q);
	EXPECT_EQ(-EAGAIN, sm_queue_get_nowait(q, &out, &buf));
	EXPECT_EQ(-ETIMEDOUT, sm_queue_get(q, &out, &buf, 0));
	EXPECT_EQ(-EINVAL, sm_queue_get(q, &out, &buf, -5));
	EXPECT_EQ(-EINVAL, sm_queue_put(q, &v, -5));
	EXPECT_EQ(-EINVAL, sm_queue_join(q, -5));
	EXPECT_EQ(0, sm_queue_put_nowait(q, &v));
	EXPECT_EQ(-EAGAIN, sm_queue_put_nowait(q, &v));
	EXPECT_EQ(-ETIMEDOUT, sm_queue_put(q, &v, 0));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_queue_put(q, &v, TIMEOUT_MS * MS));
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_EQ(1, sm_queue_qsize(q));
	EXPECT_EQ(7, get_int(q, 0));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_queue_get(q, &out, &buf, TIMEOUT_MS * MS));
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_EQ(-ETIMEDOUT, sm_queue_get_until(q, &out, &buf, 0));
	EXPECT_EQ(0, sm_queue_put_until(q, &v, SM_DEADLINE_FOREVER));
	EXPECT_EQ(0, sm_queue_get_until(q, &out, &buf, sm_deadline(0)));
	close(q);
}

/* Three getters blocked in turn receive three puts in arrival order. */
TEST(blocked_getters_are_handed_items_in_fifo_order)
{
	int q = sm_queue_create(0, 0);
	struct timed_call c = getter(q);
	struct syncmgr_state st;
	struct waiters w;

	ASSERT_LE(0, q);
	ASSERT_TRUE(waiters_start(&w, &c, 3));
	EXPECT_TRUE(still_running(w.pid[0], BLOCKED_MS));
	ASSERT_EQ(0, put_int(q, 10));
	ASSERT_TRUE(result_within(&w.res[0], WAKE_MS));
	EXPECT_EQ(10, w.res[0]);
	EXPECT_TRUE(still_running(w.pid[1], BLOCKED_MS));
	EXPECT_EQ(0, sm_queue_qsize(q));
	ASSERT_EQ(0, sm_state(q, &st));
	EXPECT_EQ(2U, st.waiters);
	ASSERT_EQ(0, put_int(q, 11));
	ASSERT_EQ(0, put_int(q, 12));
	EXPECT_EQ(0, wait_child(w.pid[0], WAKE_MS));
	EXPECT_EQ(0, wait_child(w.pid[1], WAKE_MS));
	EXPECT_EQ(0, wait_child(w.pid[2], WAKE_MS));
	EXPECT_EQ(11, w.res[1]);
	EXPECT_EQ(12, w.res[2]);
	EXPECT_EQ(0, sm_queue_qsize(q));
	close(q);
}

/* A get on a full queue hands the room to the oldest blocked putter. */
TEST(blocked_putters_get_room_in_fifo_order)
{
	int q = sm_queue_create(1, 0);
	struct timed_call c = { .op = put_op, .handle = q,
				.timeout_ns = SM_FOREVER };
	struct waiters w;
	int first, second;

	ASSERT_LE(0, q);
	ASSERT_EQ(0, put_int(q, 1));
	ASSERT_TRUE(waiters_start(&w, &c, 2));
	EXPECT_EQ(1, get_int(q, 0));
	ASSERT_TRUE(result_within(&w.res[0], WAKE_MS));
	EXPECT_EQ(0, w.res[0]);
	EXPECT_TRUE(still_running(w.pid[1], BLOCKED_MS));
	EXPECT_EQ(1, sm_queue_full(q));
	first = get_int(q, 0);
	EXPECT_EQ(100 + w.pid[0] % 100, first);
	ASSERT_TRUE(result_within(&w.res[1], WAKE_MS));
	second = get_int(q, WAKE_MS * MS);
	EXPECT_EQ(100 + w.pid[1] % 100, second);
	waiters_expect(_metadata, &w, 0);
	close(q);
}

TEST(getter_interrupted_by_signal_returns_eintr)
{
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	expect_interrupted(_metadata, getter(q));
	EXPECT_EQ(0, put_int(q, 1));
	EXPECT_EQ(1, sm_queue_qsize(q));
	close(q);
}

/* A getter killed while blocked takes nothing with it. */
TEST(killed_blocked_getter_loses_nothing)
{
	int q = sm_queue_create(0, 0);
	struct timed_call c = getter(q);
	struct syncmgr_state st;
	struct waiters w;

	ASSERT_LE(0, q);
	ASSERT_TRUE(waiters_start(&w, &c, 1));
	ASSERT_EQ(0, kill_child(w.pid[0]));
	ASSERT_EQ(0, sm_state(q, &st));
	EXPECT_EQ(0U, st.waiters);
	EXPECT_EQ(0, put_int(q, 5));
	EXPECT_EQ(5, get_int(q, 0));
	close(q);
}

static struct sm_value ints[64];

static const struct sm_value *int_values(int first, int n)
{
	for (int i = 0; i < n; i++)
		ints[i] = sm_int(first + i);
	return ints;
}

TEST(put_many_and_get_many)
{
	uint64_t mem[64];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	struct sm_value out[16];
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	EXPECT_EQ(10, sm_queue_put_many(q, int_values(0, 10), 10, 0));
	EXPECT_EQ(-EINVAL, sm_queue_put_many(q, int_values(0, 1), 0, 0));
	EXPECT_EQ(10, sm_queue_qsize(q));
	EXPECT_EQ(4, sm_queue_get_many(q, out, 4, &buf, 0));
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(i, out[i].i);
	/* Only as many as fit: three values' room. */
	buf.size = 3 * INT_SIZE + 8;
	EXPECT_EQ(3, sm_queue_get_many(q, out, 16, &buf, 0));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(4 + i, out[i].i);
	buf.size = sizeof(mem);
	/* More wanted than queued: what is there. */
	EXPECT_EQ(3, sm_queue_get_many(q, out, 16, &buf, SM_FOREVER));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(7 + i, out[i].i);
	EXPECT_EQ(-EAGAIN, sm_queue_get_nowait(q, out, &buf));
	EXPECT_EQ(-EINVAL, sm_queue_get_many(q, out, 0, &buf, 0));
	close(q);
}

/* put_many of 5 into maxsize 2: parts as room appears, all in order. */
static int put_five(void *arg)
{
	return sm_queue_put_many(*(int *)arg, int_values(0, 5), 5, SM_FOREVER);
}

TEST(put_many_larger_than_maxsize_goes_in_parts)
{
	int *res = shared_mem(sizeof(*res));
	int q = sm_queue_create(2, 0);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, q);
	pid = spawn(put_five, &q, res);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_waiters(q, 1));
	EXPECT_EQ(2, sm_queue_qsize(q));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(i, get_int(q, WAKE_MS * MS));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(5, *res);
	EXPECT_EQ(0, sm_queue_qsize(q));
	close(q);
}

TEST(put_many_partial_on_timeout_and_nowait)
{
	struct syncmgr_data d;
	uint64_t mem[32];
	int q = sm_queue_create(2, 0);
	int want[] = { 0, 1 };

	ASSERT_LE(0, q);
	EXPECT_EQ(2, sm_queue_put_many(q, int_values(0, 5), 5,
				       TIMEOUT_MS * MS));
	EXPECT_EQ(-ETIMEDOUT, sm_queue_put_many(q, int_values(0, 5), 5, 0));
	expect_contents(_metadata, q, want, 2);
	/* NOWAIT puts what fits now. */
	memset(&d, 0, sizeof(d));
	d.in = (uintptr_t)mem;
	d.in_size = sm_values_encode(mem, sizeof(mem), int_values(0, 3), 3);
	d.count = 3;
	d.flags = SYNCMGR_DATA_NOWAIT;
	d.deadline = SYNCMGR_DEADLINE_FOREVER;
	EXPECT_EQ(2, raw(q, SYNCMGR_IOC_PUT, &d));
	EXPECT_EQ(-EAGAIN, raw(q, SYNCMGR_IOC_PUT, &d));
	expect_contents(_metadata, q, want, 2);
	close(q);
}

TEST(too_small_buffer_is_emsgsize_and_takes_nothing)
{
	char big[100];
	uint64_t mem[32];
	struct sm_buf buf = { .data = mem, .size = 32 };
	struct sm_value v = sm_bytes(big, sizeof(big)), out[2];
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	memset(big, 'x', sizeof(big));
	ASSERT_EQ(0, sm_queue_put(q, &v, 0));
	ASSERT_EQ(0, put_int(q, 9));
	EXPECT_EQ(-EMSGSIZE, sm_queue_get(q, out, &buf, 0));
	EXPECT_EQ(SYNCMGR_VALUE_SIZE(sizeof(big)), buf.needed);
	EXPECT_EQ(-EMSGSIZE, sm_queue_get_many(q, out, 2, &buf, 0));
	EXPECT_EQ(2, sm_queue_qsize(q));
	/* Zero-sized buffer: the same. */
	buf.size = 0;
	EXPECT_EQ(-EMSGSIZE, sm_queue_get_nowait(q, out, &buf));
	EXPECT_EQ(SYNCMGR_VALUE_SIZE(sizeof(big)), buf.needed);
	buf.size = buf.needed;
	EXPECT_EQ(0, sm_queue_get(q, out, &buf, 0));
	EXPECT_EQ(SYNCMGR_VAL_BYTES, out[0].type);
	EXPECT_EQ(sizeof(big), out[0].buf.len);
	EXPECT_EQ(9, get_int(q, 0));
	close(q);
}

/* A blocked getter handed a value its buffer cannot hold leaves it queued. */
static int small_get(void *arg)
{
	uint64_t mem[2];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	struct sm_value v;
	int ret = sm_queue_get(*(int *)arg, &v, &buf, SM_FOREVER);

	return ret == -EMSGSIZE ? (int)buf.needed : ret;
}

TEST(blocked_getter_with_small_buffer_leaves_the_value)
{
	int *res = shared_mem(sizeof(*res));
	int q = sm_queue_create(0, 0);
	char big[40] = { 0 };
	struct sm_value v = sm_bytes(big, sizeof(big));
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, q);
	pid = spawn(small_get, &q, res);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_waiters(q, 1));
	ASSERT_EQ(0, sm_queue_put(q, &v, 0));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ((int)SYNCMGR_VALUE_SIZE(sizeof(big)), *res);
	EXPECT_EQ(1, sm_queue_qsize(q));
	close(q);
}

TEST(bad_pointers_are_efault_and_change_nothing)
{
	struct syncmgr_data d;
	uint64_t mem[8];
	int q = sm_queue_create(0, 0);
	int want[] = { 1, 2 };
	void *bad = (void *)16;

	ASSERT_LE(0, q);
	ASSERT_EQ(0, put_int(q, 1));
	ASSERT_EQ(0, put_int(q, 2));
	memset(&d, 0, sizeof(d));
	d.in = (uintptr_t)bad;
	d.in_size = INT_SIZE;
	d.count = 1;
	EXPECT_EQ(-EFAULT, raw(q, SYNCMGR_IOC_PUT, &d));
	EXPECT_EQ(-EFAULT, raw(q, SYNCMGR_IOC_PUT, bad));
	EXPECT_EQ(-EFAULT, raw(q, SYNCMGR_IOC_GET, bad));
	memset(&d, 0, sizeof(d));
	d.out = (uintptr_t)bad;
	d.out_size = sizeof(mem);
	d.count = 2;
	EXPECT_EQ(-EFAULT, raw(q, SYNCMGR_IOC_GET, &d));
	EXPECT_EQ(2, sm_queue_qsize(q));
	expect_contents(_metadata, q, want, 2);
	close(q);
}

TEST(bad_out_page_puts_items_back_in_order)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct syncmgr_data d;
	int q = sm_queue_create(0, 0);
	int want[] = { 0, 1, 2, 3 };

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, munmap(p + page, page));
	ASSERT_EQ(4, sm_queue_put_many(q, int_values(0, 4), 4, 0));
	memset(&d, 0, sizeof(d));
	d.out = (uintptr_t)(p + page - INT_SIZE);	/* one value fits */
	d.out_size = 4 * INT_SIZE;
	d.count = 4;
	EXPECT_EQ(-EFAULT, raw(q, SYNCMGR_IOC_GET, &d));
	expect_contents(_metadata, q, want, 4);
	munmap(p, page);
	close(q);
}

/* One INT value laid out by hand, to be broken. */
static int put_raw_value(int q, const struct syncmgr_value *h, const void *pl,
			 size_t pl_len, uint32_t in_size, uint32_t count)
{
	uint64_t mem[32] = { 0 };
	struct syncmgr_data d;

	memcpy(mem, h, sizeof(*h));
	memcpy((char *)mem + sizeof(*h), pl, pl_len);
	memset(&d, 0, sizeof(d));
	d.in = (uintptr_t)mem;
	d.in_size = in_size;
	d.count = count;
	return raw(q, SYNCMGR_IOC_PUT, &d);
}

TEST(malformed_input_is_einval_and_changes_nothing)
{
	struct syncmgr_value h = { .type = SYNCMGR_VAL_INT, .data = 1 };
	struct syncmgr_data d;
	uint64_t mem[8];
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	EXPECT_EQ(1, put_raw_value(q, &h, NULL, 0, 16, 1));
	/* Truncated, trailing bytes, count larger than the batch. */
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 8, 1));
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 24, 1));
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 16, 2));
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 16, 0));
	h.reserved = 1;
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 16, 1));
	h.reserved = 0;
	h.type = 99;
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 16, 1));
	h.type = SYNCMGR_VAL_BOOL;
	h.data = 2;
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, NULL, 0, 16, 1));
	/* Bad UTF-8, nonzero padding, payload length beyond the batch. */
	h.type = SYNCMGR_VAL_STR;
	h.data = 0;
	h.len = 2;
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, "\xc3\x28", 2, 24, 1));
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, "ab\0\0x", 5, 24, 1));
	h.len = 100;
	EXPECT_EQ(-EINVAL, put_raw_value(q, &h, "ab", 2, 24, 1));
	/* A handle that is no fd, or not a syncmgr fd. */
	h.type = SYNCMGR_VAL_HANDLE;
	h.len = 0;
	h.data = 999;
	EXPECT_EQ(-EBADF, put_raw_value(q, &h, NULL, 0, 16, 1));
	h.data = 0;
	EXPECT_EQ(-EBADFD, put_raw_value(q, &h, NULL, 0, 16, 1));
	EXPECT_EQ(1, sm_queue_qsize(q));

	/* Fields a command does not use, flags, count 0. */
	memset(&d, 0, sizeof(d));
	d.out = (uintptr_t)mem;
	d.out_size = sizeof(mem);
	d.count = 1;
	d.start = 1;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_GET, &d));
	d.start = 0;
	d.flags = SYNCMGR_DATA_KEYS;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_GET, &d));
	d.flags = 0;
	d.needed = 5;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_GET, &d));
	d.needed = 0;
	d.reserved = 1;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_GET, &d));
	d.reserved = 0;
	d.count = 0;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_GET, &d));
	memset(&d, 0, sizeof(d));
	d.deadline = 1;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_LEN, &d));
	d.deadline = 0;
	EXPECT_EQ(1, raw(q, SYNCMGR_IOC_LEN, &d));
	d.count = 1;
	d.flags = SYNCMGR_DATA_NOWAIT;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_TASK_DONE, &d));
	EXPECT_EQ(1, sm_queue_qsize(q));
	close(q);
}


TEST(oversized_value_is_emsgsize)
{
	char saved[32];
	static char big[4097];
	struct sm_value v = sm_bytes(big, sizeof(big));
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	ASSERT_EQ(0, read_param(VALUE_PARAM, saved, sizeof(saved)));
	if (write_param(VALUE_PARAM, "4096\n"))
		SKIP(return, "%s is not writable", VALUE_PARAM);
	EXPECT_EQ(-EMSGSIZE, sm_queue_put(q, &v, 0));
	v.buf.len = 4096;
	EXPECT_EQ(0, sm_queue_put(q, &v, 0));
	EXPECT_EQ(0, write_param(VALUE_PARAM, saved));
	EXPECT_EQ(1, sm_queue_qsize(q));
	close(q);
}

TEST(wrong_object_type_is_ebadfd)
{
	struct sm_value v = sm_int(1), out;
	uint64_t mem[4];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	struct syncmgr_wait w = { 0 };
	struct syncmgr_data d;
	int lock = sm_lock_create(0);
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, lock);
	ASSERT_LE(0, q);
	EXPECT_EQ(-EBADFD, sm_queue_put(lock, &v, 0));
	EXPECT_EQ(-EBADFD, sm_queue_get(lock, &out, &buf, 0));
	EXPECT_EQ(-EBADFD, sm_queue_qsize(lock));
	EXPECT_EQ(-EBADFD, sm_queue_full(lock));
	EXPECT_EQ(-EBADFD, sm_queue_task_done(lock));
	EXPECT_EQ(-EBADF, sm_queue_put(-1, &v, 0));
	EXPECT_EQ(-EBADFD, raw(q, SYNCMGR_IOC_ACQUIRE, &w));
	memset(&d, 0, sizeof(d));
	EXPECT_EQ(-EBADFD, raw(q, SYNCMGR_IOC_LOAD, &d));
	EXPECT_EQ(-EBADFD, raw(q, SYNCMGR_IOC_SORT, &d));
	close(lock);
	close(q);
}

static int join_forever(int q, int64_t timeout_ns)
{
	return sm_queue_join(q, timeout_ns);
}

TEST(task_done_and_join)
{
	struct timed_call c = { .op = join_forever, .timeout_ns = SM_FOREVER };
	struct syncmgr_data d;
	struct waiters w;
	int q = sm_queue_create(0, 0);

	ASSERT_LE(0, q);
	c.handle = q;
	EXPECT_EQ(0, sm_queue_join(q, 0));
	EXPECT_EQ(-EINVAL, sm_queue_task_done(q));
	ASSERT_EQ(3, sm_queue_put_many(q, int_values(0, 3), 3, 0));
	EXPECT_EQ(-ETIMEDOUT, sm_queue_join(q, 0));
	/* Getting is not finishing. */
	EXPECT_EQ(0, get_int(q, 0));
	EXPECT_EQ(-ETIMEDOUT, sm_queue_join(q, TIMEOUT_MS * MS));
	ASSERT_TRUE(waiters_start(&w, &c, 2));
	/* Too many at once: EINVAL, nothing changed. */
	memset(&d, 0, sizeof(d));
	d.count = 4;
	EXPECT_EQ(-EINVAL, raw(q, SYNCMGR_IOC_TASK_DONE, &d));
	d.count = 2;
	EXPECT_EQ(0, raw(q, SYNCMGR_IOC_TASK_DONE, &d));
	EXPECT_TRUE(still_running(w.pid[0], BLOCKED_MS));
	EXPECT_EQ(0, sm_queue_task_done(q));
	waiters_expect(_metadata, &w, 0);
	EXPECT_EQ(-EINVAL, sm_queue_task_done(q));
	EXPECT_EQ(0, sm_queue_join(q, 0));
	EXPECT_EQ(2, sm_queue_qsize(q));
	close(q);
}

static int put_one(int fd)
{
	return put_int(fd, 1);
}

static int get_one(int fd)
{
	return get_int(fd, 0) == 1 ? 0 : -1;
}

static int poll_out_long(void *arg)
{
	return poll_one(*(int *)arg, POLLOUT, 10 * WAKE_MS);
}

TEST(poll_readable_when_not_empty_writable_when_not_full)
{
	int *res = shared_mem(sizeof(*res));
	int q = sm_queue_create(1, 0);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, q);
	EXPECT_EQ(POLLOUT, poll_one(q, POLLIN | POLLOUT, 0));
	expect_poll_wakes(_metadata, q, put_one);
	EXPECT_EQ(POLLIN, poll_one(q, POLLIN | POLLOUT, 0));
	/* A poller for POLLOUT on a full queue wakes when it gets room. */
	pid = spawn(poll_out_long, &q, res);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, get_one(q));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_TRUE(*res > 0 && (*res & POLLOUT));
	EXPECT_EQ(POLLOUT, poll_one(q, POLLIN | POLLOUT, 0));
	close(q);
}

/* A child forked before the queue existed receives it over a socket. */
static int remote_producer(const int *h, void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		if (put_forever(h[0], i))
			return -1;
	return sm_queue_qsize(h[0]) >= 0 ? 0 : -2;
}

TEST(handle_passed_over_unix_socket)
{
	int *res = shared_mem(sizeof(*res));
	int sv[2], q;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 1, remote_producer, NULL, res);
	ASSERT_LT(0, pid);
	q = sm_queue_create(2, 0);
	ASSERT_LE(0, q);
	ASSERT_EQ(1, sm_send_handles(sv[0], &q, 1));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(i, get_int(q, WAKE_MS * MS));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	close(sv[0]);
	close(sv[1]);
	close(q);
}

/*
 * A Lock stored in the queue outlives the storer's fd; a process that
 * never had it gets a new fd, takes the lock through it and puts it back.
 */
static int take_stored_lock(const int *h, void *arg)
{
	uint64_t mem[4];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	struct sm_value v;
	int ret;

	(void)arg;
	ret = sm_queue_get(h[0], &v, &buf, WAKE_MS * MS);
	if (ret)
		return ret;
	if (v.type != SYNCMGR_VAL_HANDLE || sm_type(v.handle) != SYNCMGR_TYPE_LOCK)
		return -EPROTO;
	if (!(fcntl(v.handle, F_GETFD) & FD_CLOEXEC))
		return -ENOTSUP;
	ret = sm_lock_acquire(v.handle, 0);
	if (ret)
		return ret;
	ret = sm_queue_put(h[0], &v, 0);
	close(v.handle);
	return ret;
}

TEST(stored_lock_handle_is_used_by_another_process)
{
	uint64_t mem[4];
	struct sm_buf buf = { .data = mem, .size = sizeof(mem) };
	int *res = shared_mem(sizeof(*res));
	struct syncmgr_state a, b;
	struct sm_value v;
	int sv[2], q, lock;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 1, take_stored_lock, NULL, res);
	ASSERT_LT(0, pid);
	q = sm_queue_create(0, 0);
	lock = sm_lock_create(SM_UNTRACKED);
	ASSERT_LE(0, q);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_state(lock, &a));
	v = sm_handle(lock);
	ASSERT_EQ(0, sm_queue_put(q, &v, 0));
	close(lock);		/* the queue keeps it alive */
	ASSERT_EQ(1, sm_send_handles(sv[0], &q, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	ASSERT_EQ(0, sm_queue_get(q, &v, &buf, 0));
	ASSERT_EQ(SYNCMGR_VAL_HANDLE, v.type);
	ASSERT_EQ(0, sm_state(v.handle, &b));
	EXPECT_EQ(a.id, b.id);
	EXPECT_EQ(1, sm_lock_locked(v.handle));
	close(v.handle);
	close(sv[0]);
	close(sv[1]);
	close(q);
}

TEST(cycles_are_refused_with_eloop)
{
	int q1 = sm_queue_create(0, 0);
	int q2 = sm_queue_create(0, 0);
	int q3 = sm_queue_create(1, 0);
	struct sm_value v1 = sm_handle(q1), v2 = sm_handle(q2);
	struct sm_value v3 = sm_handle(q3);

	ASSERT_LE(0, q1);
	ASSERT_LE(0, q2);
	ASSERT_LE(0, q3);
	EXPECT_EQ(-ELOOP, sm_queue_put(q1, &v1, 0));
	EXPECT_EQ(0, sm_queue_put(q1, &v2, 0));
	EXPECT_EQ(-ELOOP, sm_queue_put(q2, &v1, 0));
	/* Through a third queue, and a batch is all or nothing. */
	EXPECT_EQ(0, sm_queue_put(q2, &v3, 0));
	EXPECT_EQ(-ELOOP, sm_queue_put(q3, &v1, 0));
	EXPECT_EQ(0, sm_queue_qsize(q3));
	struct sm_value batch[2] = { sm_int(1), v1 };

	EXPECT_EQ(-ELOOP, sm_queue_put_many(q2, batch, 2, 0));
	EXPECT_EQ(1, sm_queue_qsize(q2));
	EXPECT_EQ(1, sm_queue_qsize(q1));
	/* The same queue twice in another is no cycle. */
	EXPECT_EQ(0, sm_queue_put(q1, &v3, 0));
	close(q1);
	close(q2);
	close(q3);
}

/* Puts small INT values until the byte quota refuses; returns how many. */
static int fill_queue(int q)
{
	int n = 0, ret;

	while ((ret = put_int(q, n)) == 0)
		n++;
	return ret == -EDQUOT ? n : ret;
}

TEST(byte_quota_and_memory_returns_after_close)
{
	char saved[32];
	int q = sm_queue_create(0, 0), q2, n, m;
	struct sm_value v;

	ASSERT_LE(0, q);
	ASSERT_EQ(0, read_param(BYTES_PARAM, saved, sizeof(saved)));
	if (write_param(BYTES_PARAM, "65536\n"))
		SKIP(return, "%s is not writable", BYTES_PARAM);
	n = fill_queue(q);
	EXPECT_LT(100, n);
	/* A batch over the quota is refused whole. */
	EXPECT_EQ(-EDQUOT, sm_queue_put_many(q, int_values(0, 2), 2, 0));
	EXPECT_EQ(n, sm_queue_qsize(q));
	/* Getting returns the charge. */
	EXPECT_EQ(0, get_int(q, 0));
	EXPECT_EQ(0, put_int(q, 0));
	EXPECT_EQ(-EDQUOT, put_int(q, 0));
	/* Closing frees every item, also those of a queue held in a queue. */
	close(q);
	q = sm_queue_create(0, 0);
	ASSERT_LE(0, q);
	EXPECT_EQ(n, fill_queue(q));
	while (get_int(q, 0) >= 0)
		;
	q2 = sm_queue_create(0, 0);
	ASSERT_LE(0, q2);
	v = sm_handle(q2);
	ASSERT_EQ(0, sm_queue_put(q, &v, 0));
	m = fill_queue(q2);
	/* Less the handle's item and q2 itself (its object and state). */
	EXPECT_GE(n - 1, m);
	EXPECT_LE(n - 1 - 16, m);
	close(q2);
	close(q);
	q = sm_queue_create(0, 0);
	ASSERT_LE(0, q);
	EXPECT_EQ(n, fill_queue(q));
	close(q);
	EXPECT_EQ(0, write_param(BYTES_PARAM, saved));
}

/* ---- big values ---------------------------------------------------------- */

#define BIG		(64u << 20)	/* the value the tests move */
#define MEMCG_MAX	"33554432\n"	/* the test cgroup's memory.max: 32 MiB */

/* Fills or checks len bytes (a multiple of 8) of a pattern unique to seed. */
static uint64_t pattern_word(uint64_t i, uint64_t seed)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
}

static void pattern_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		w[i] = pattern_word(i, seed);
}

/* The index of the first wrong byte, or len if all are right. */
static size_t pattern_check(const void *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len / 8; i++) {
		uint64_t w = pattern_word(i, seed);

		if (memcmp((const char *)p + 8 * i, &w, 8))
			return 8 * i;
	}
	return len;
}

/*
 * A BYTES value of len pattern bytes laid out as the ABI's batch (header,
 * payload), in shared memory filled by the caller: a child that puts it
 * with a raw ioctl is charged nothing for it in its memory cgroup.
 */
static void *shared_value(uint32_t len, uint64_t seed)
{
	struct syncmgr_value h = { .type = SYNCMGR_VAL_BYTES, .len = len };
	char *p = shared_mem(SYNCMGR_VALUE_SIZE(len));

	if (!p)
		return NULL;
	memcpy(p, &h, sizeof(h));
	pattern_fill(p + sizeof(h), len, seed);
	return p;
}

static int put_raw(int q, void *batch)
{
	struct syncmgr_value h;
	struct syncmgr_data d;

	memcpy(&h, batch, sizeof(h));
	memset(&d, 0, sizeof(d));
	d.in = (uintptr_t)batch;
	d.in_size = SYNCMGR_VALUE_SIZE(h.len);
	d.count = 1;
	d.flags = SYNCMGR_DATA_NOWAIT;
	return raw(q, SYNCMGR_IOC_PUT, &d);
}

/*
 * Gets one value, which must be len pattern bytes of seed: 0, or why
 * not as a negative (-errno, or -EBADMSG for wrong bytes).
 */
static int get_pattern(int q, uint32_t len, uint64_t seed)
{
	size_t size = SYNCMGR_VALUE_SIZE(len);
	struct sm_buf buf = { .data = malloc(size), .size = size };
	struct sm_value v;
	int ret;

	if (!buf.data)
		return -ENOMEM;
	ret = sm_queue_get(q, &v, &buf, 0);
	if (!ret && (v.type != SYNCMGR_VAL_BYTES || v.buf.len != len ||
		     pattern_check(v.buf.ptr, len, seed) != len))
		ret = -EBADMSG;
	free(buf.data);
	return ret;
}

/*
 * Big values need max_value_size >= BIG and room in the byte quota (the
 * defaults: 256 MiB, a quarter of RAM, at least 256 MiB).  NULL if they
 * have it, else why not.
 */
static const char *big_unfit(void)
{
	static char why[128];
	unsigned long vsz = param_ulong(VALUE_SIZE_PARAM);
	unsigned long bytes = param_ulong(BYTES_PARAM);

	if (vsz == ~0UL || bytes == ~0UL)
		return "module parameters not readable";
	if (vsz >= BIG && bytes >= 2UL * BIG)
		return NULL;
	snprintf(why, sizeof(why), "max_value_size %lu, max_bytes_per_user %lu: too small for %u",
		 vsz, bytes, BIG);
	return why;
}

/* Where the test's cgroup lives: made in setup, removed in teardown. */
FIXTURE(big) {
	int q;
	char root[256];		/* the cgroup2 mount */
	char cg[320];		/* the test's cgroup, "" if none */
	bool mounted;		/* root is our mount */
};

FIXTURE_SETUP(big)
{
	self->q = sm_queue_create(0, 0);
	ASSERT_LE(0, self->q);
}

FIXTURE_TEARDOWN(big)
{
	close(self->q);
	/* The children were reaped; their cgroup may take a moment to empty. */
	for (int i = 0; self->cg[0] && rmdir(self->cg) && errno == EBUSY &&
	     i < 500; i++)
		sleep_ms(2);
	if (self->mounted) {
		umount2(self->root, MNT_DETACH);
		rmdir(self->root);
	}
}

/* A child puts a big value and exits; another process gets it. */
struct big_put {
	int q;
	uint64_t seed;
};

static int put_big_value(void *arg)
{
	const struct big_put *bp = arg;
	char *p = malloc(BIG);
	struct sm_value v = sm_bytes(p, BIG);
	int ret;

	if (!p)
		return -ENOMEM;
	pattern_fill(p, BIG, bp->seed);
	ret = sm_queue_put(bp->q, &v, SM_FOREVER);
	free(p);
	return ret;
}

/*
 * A 64 MiB value put by one process (which then exits) is got by another,
 * byte for byte; it is charged its true size while stored, a too-small
 * buffer leaves it in the queue, and once it is got the charge and the
 * kernel's memory come back: the value is vmalloc'd, and VmallocUsed
 * counts exactly the pages vmalloc holds (MemFree would not do: the free
 * pages of the processes the test ran come back to it only later).
 */
TEST_F_TIMEOUT(big, value_of_64_mib_crosses_processes, 300)
{
	struct big_put bp = { .q = self->q, .seed = 0x5eed };
	const char *why = big_unfit();
	int *res = shared_mem(sizeof(*res));
	unsigned long b0, b1;
	long vm0, vm1, vm2;
	char mem[64];
	struct sm_buf small = { .data = mem, .size = sizeof(mem) };
	struct sm_value v;
	int64_t t0;
	pid_t pid;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_NE(NULL, res);
	b0 = user_bytes(self->q);
	ASSERT_NE(~0UL, b0);
	vm0 = meminfo_kb("VmallocUsed:");
	ASSERT_LE(0, vm0);

	t0 = now_ns();
	pid = spawn(put_big_value, &bp, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, 120000 * slow_factor()));
	ASSERT_EQ(0, *res);
	TH_LOG("put %u bytes from a child in %lld ms", BIG,
	       (long long)elapsed_ms(t0));
	EXPECT_EQ(1, sm_queue_qsize(self->q));
	b1 = user_bytes(self->q);
	vm1 = meminfo_kb("VmallocUsed:");
	/* The payload, its header and vmalloc's page array (132 KiB). */
	EXPECT_LE(b0 + BIG, b1);
	EXPECT_GE(b0 + BIG + (256UL << 10), b1) {
		TH_LOG("charged %lu for a %u-byte value", b1 - b0, BIG);
	}
	EXPECT_LE((long)(BIG >> 10), vm1 - vm0);

	EXPECT_EQ(-EMSGSIZE, sm_queue_get(self->q, &v, &small, 0));
	EXPECT_EQ(SYNCMGR_VALUE_SIZE(BIG), small.needed);
	EXPECT_EQ(1, sm_queue_qsize(self->q));

	t0 = now_ns();
	EXPECT_EQ(0, get_pattern(self->q, BIG, bp.seed));
	TH_LOG("got and checked it in %lld ms", (long long)elapsed_ms(t0));
	EXPECT_EQ(0, sm_queue_qsize(self->q));
	EXPECT_EQ(b0, user_bytes(self->q));
	/* 1 MiB of slack for the rest of the kernel. */
	vm2 = meminfo_kb("VmallocUsed:");
	EXPECT_GT(1024, vm2 - vm0) {
		TH_LOG("VmallocUsed %ld KiB, %ld stored, %ld after", vm0, vm1,
		       vm2);
	}
}

/* cgroup v2, mounted where it is or on a directory of our own. */
static int cgroup2_root(FIXTURE_DATA(big) *self)
{
	char line[512], dir[256], type[32];
	FILE *f = fopen("/proc/mounts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %255s %31s", dir, type) == 2 &&
		    !strcmp(type, "cgroup2")) {
			snprintf(self->root, sizeof(self->root), "%s", dir);
			fclose(f);
			return 0;
		}
	}
	if (f)
		fclose(f);
	snprintf(self->root, sizeof(self->root), "/tmp/syncmgr-cgroup2.%d",
		 getpid());
	if (mkdir(self->root, 0700))
		return -errno;
	if (mount("cgroup2", self->root, "cgroup2", 0, NULL)) {
		int err = -errno;

		rmdir(self->root);
		return err;
	}
	self->mounted = true;
	return 0;
}

/* A count of memory.events ("max", "oom", "oom_kill"), or -1. */
static long memcg_event(const char *cg, const char *key)
{
	char path[384], name[32];
	long v = -1, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%31s %ld", name, &n) == 2)
		if (!strcmp(name, key))
			v = n;
	fclose(f);
	return v;
}

/* A child that joins the cgroup, then puts a batch laid out in memory. */
struct cg_put {
	const char *cg;
	int q;
	void *batch;
};

static int put_from_cgroup(void *arg)
{
	const struct cg_put *cp = arg;
	char path[384], pid[32];
	int ret;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cp->cg);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	ret = write_param(path, pid);
	if (ret)
		return ret == -ENOMEM ? -ENOSPC : ret;	/* not the ENOMEM */
	return put_raw(cp->q, cp->batch);
}

/*
 * A process in a memory cgroup whose memory.max (32 MiB) the value would
 * pass puts a 64 MiB value: ENOMEM, and that is all.  It is not
 * OOM-killed (the cgroup counts no OOM and no kill), nothing is stored or
 * charged, and the value put before comes out intact.  A value within
 * the limit, from the same cgroup, is stored.
 */
TEST_F_TIMEOUT(big, over_the_memcg_limit_is_enomem_and_loses_nothing, 300)
{
	const char *why = big_unfit();
	int *res = shared_mem(sizeof(*res));
	char path[384], ctl[256];
	struct sm_value v;
	struct cg_put cp;
	unsigned long b0;
	void *big, *fits;
	char *before;
	pid_t pid;
	int ret;

	if (why)
		SKIP(return, "%s", why);
	if (geteuid())
		SKIP(return, "making a cgroup needs root");
	ret = cgroup2_root(self);
	if (ret)
		SKIP(return, "cannot mount cgroup2: %s", strerror(-ret));
	snprintf(path, sizeof(path), "%s/cgroup.controllers", self->root);
	if (read_param(path, ctl, sizeof(ctl)) || !strstr(ctl, "memory"))
		SKIP(return, "no memory controller in cgroup2 (%s: \"%s\")",
		     path, ctl);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", self->root);
	ret = write_param(path, "+memory\n");
	if (ret)
		SKIP(return, "cannot enable the memory controller: %s",
		     strerror(-ret));
	snprintf(self->cg, sizeof(self->cg), "%s/syncmgr-big.%d", self->root,
		 getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", self->cg);
	ASSERT_EQ(0, write_param(path, MEMCG_MAX));
	snprintf(path, sizeof(path), "%s/memory.swap.max", self->cg);
	write_param(path, "0\n");	/* absent without swap accounting */

	ASSERT_NE(NULL, res);
	big = shared_value(BIG, 2);
	fits = shared_value(4u << 20, 3);
	before = malloc(1u << 20);
	ASSERT_TRUE(big && fits && before);
	pattern_fill(before, 1u << 20, 1);
	v = sm_bytes(before, 1u << 20);
	ASSERT_EQ(0, sm_queue_put(self->q, &v, 0));
	b0 = user_bytes(self->q);

	cp = (struct cg_put){ .cg = self->cg, .q = self->q, .batch = big };
	pid = spawn(put_from_cgroup, &cp, res);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, wait_child(pid, 120000 * slow_factor()));
	EXPECT_EQ(-ENOMEM, *res);
	EXPECT_EQ(0, memcg_event(self->cg, "oom"));
	EXPECT_EQ(0, memcg_event(self->cg, "oom_kill"));
	EXPECT_LT(0, memcg_event(self->cg, "max"));
	EXPECT_EQ(1, sm_queue_qsize(self->q));
	EXPECT_EQ(b0, user_bytes(self->q));

	/* Within the limit, the same way: stored. */
	cp.batch = fits;
	pid = spawn(put_from_cgroup, &cp, res);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, wait_child(pid, 60000 * slow_factor()));
	EXPECT_EQ(1, *res);
	EXPECT_EQ(2, sm_queue_qsize(self->q));

	EXPECT_EQ(0, get_pattern(self->q, 1u << 20, 1));
	EXPECT_EQ(0, get_pattern(self->q, 4u << 20, 3));
	EXPECT_EQ(0, sm_queue_qsize(self->q));
	EXPECT_EQ(0, memcg_event(self->cg, "oom_kill"));
	free(before);
}

/*
 * Producers and consumers, some consumers SIGKILLed mid-run.  Each
 * consumer gets straight into its own MAP_SHARED region, value after
 * value, so whatever reached it counts even if it died right after.
 * At the end every value produced was consumed or is still queued,
 * exactly once.
 */
#define NPRODUCERS	3
#define NCONSUMERS	4
#define NKILLED		2
#define BATCH		8

struct stress {
	int q;
	int per_producer;
	int stop;
	size_t region;		/* bytes of each consumer's region */
	uint8_t *mem[NCONSUMERS];
};

/* Which producer or consumer a forked child is: set before each fork. */
static int child_index;

static int producer(void *arg)
{
	struct stress *s = arg;
	struct sm_value v[BATCH];
	int base = child_index * s->per_producer, done = 0;

	while (done < s->per_producer) {
		int n = s->per_producer - done < BATCH ?
			s->per_producer - done : BATCH;
		int ret;

		for (int i = 0; i < n; i++)
			v[i] = sm_int(base + done + i);
		ret = sm_queue_put_many(s->q, v, n, SM_FOREVER);
		if (ret <= 0)
			return ret ? ret : -EPROTO;
		done += ret;
	}
	return done;
}

/* Gets into its region, value after value, until stopped and empty. */
static int consumer(void *arg)
{
	struct stress *s = arg;
	struct sm_value out[16];
	size_t off = 0;

	for (;;) {
		struct sm_buf buf = { .data = s->mem[child_index] + off,
				      .size = s->region - off };
		int ret = sm_queue_get_many(s->q, out, 16, &buf, 20 * MS);

		if (ret == -ETIMEDOUT) {
			if (__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST))
				return 0;
			continue;
		}
		if (ret < 0)
			return ret;
		off += (size_t)ret * INT_SIZE;
	}
}

/* Waits (WAKE_MS at most) until a consumer's region holds n values. */
static void region_reaches(const uint8_t *mem, int n)
{
	const uint16_t *type = (const uint16_t *)(mem + (n - 1) * INT_SIZE);
	int64_t end = now_ns() + WAKE_MS * MS;

	while (__atomic_load_n(type, __ATOMIC_SEQ_CST) != SYNCMGR_VAL_INT &&
	       now_ns() < end)
		sched_yield();
}

/* Marks the ids in a consumer's region; false on a duplicate. */
static bool count_region(const uint8_t *mem, size_t size, uint8_t *seen,
			 int total, int *count)
{
	for (size_t off = 0; off + INT_SIZE <= size; off += INT_SIZE) {
		struct syncmgr_value h;

		memcpy(&h, mem + off, sizeof(h));
		if (h.type != SYNCMGR_VAL_INT)
			break;
		if ((int64_t)h.data < 0 || (int64_t)h.data >= total ||
		    seen[h.data]++)
			return false;
		(*count)++;
	}
	return true;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, producers_consumers_with_killed_consumers_count_exactly,
	       60)
{
	struct stress *s = shared_mem(sizeof(*s));
	int *pres = shared_mem(NPRODUCERS * sizeof(int));
	int *cres = shared_mem(NCONSUMERS * sizeof(int));
	int per = stress_rounds(3000), total = NPRODUCERS * per;
	pid_t ppid[NPRODUCERS], cpid[NCONSUMERS];
	uint8_t *seen = calloc(total, 1);
	int consumed = 0, queued = 0, v, killed = 0;

	ASSERT_NE(NULL, s);
	ASSERT_NE(NULL, pres);
	ASSERT_NE(NULL, cres);
	ASSERT_NE(NULL, seen);
	s->q = sm_queue_create(32, 0);
	ASSERT_LE(0, s->q);
	s->per_producer = per;
	s->region = (size_t)total * INT_SIZE;
	for (int i = 0; i < NCONSUMERS; i++) {
		s->mem[i] = shared_mem(s->region);
		ASSERT_NE(NULL, s->mem[i]);
		memset(s->mem[i], 0xff, s->region);
		child_index = i;
		cpid[i] = spawn(consumer, s, &cres[i]);
		ASSERT_LT(0, cpid[i]);
	}
	for (int i = 0; i < NPRODUCERS; i++) {
		child_index = i;
		ppid[i] = spawn(producer, s, &pres[i]);
		ASSERT_LT(0, ppid[i]);
	}
	/* Kill consumers mid-run: once each has received some values. */
	for (int i = 0; i < NKILLED; i++) {
		region_reaches(s->mem[i], 20 * (i + 1));
		EXPECT_EQ(0, kill_child(cpid[i]));
		killed++;
	}
	for (int i = 0; i < NPRODUCERS; i++) {
		EXPECT_EQ(0, wait_child(ppid[i], 40000));
		EXPECT_EQ(per, pres[i]);
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	for (int i = NKILLED; i < NCONSUMERS; i++) {
		EXPECT_EQ(0, wait_child(cpid[i], WAKE_MS));
		EXPECT_EQ(0, cres[i]);
	}
	for (int i = 0; i < NCONSUMERS; i++) {
		EXPECT_TRUE(count_region(s->mem[i], s->region, seen, total,
					 &consumed)) {
			TH_LOG("consumer %d got a value twice", i);
		}
	}
	while ((v = get_int(s->q, 0)) >= 0) {
		EXPECT_TRUE(v < total && !seen[v]++);
		queued++;
	}
	EXPECT_EQ(-ETIMEDOUT, v);
	EXPECT_EQ(total, consumed + queued);
	for (int i = 0; i < total; i++)
		EXPECT_EQ(1, seen[i]);
	TH_LOG("%d produced, %d consumed, %d left queued, %d consumers killed",
	       total, consumed, queued, killed);
	free(seen);
	close(s->q);
}

TEST_HARNESS_MAIN
