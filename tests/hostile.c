// SPDX-License-Identifier: GPL-2.0
/*
 * Small things a hostile local user could try on a 0666 device, each of
 * which used to work: NaN keys piling into one hash bucket, garbage in a
 * handle's upper bits, opening by token on the real uid's say rather
 * than the file-system uid's.
 */
#define _GNU_SOURCE
#include <math.h>
#include <sys/fsuid.h>

#include "common.h"

/*
 * NaN equals nothing, so every NaN key is a new entry.  They all used to
 * hash alike: n inserts cost n^2 / 2 comparisons under the dict's lock
 * (20 000 NaNs: 2 * 10^8).  Spread, they cost what any keys cost.
 */
TEST(nan_keys_do_not_share_a_bucket)
{
	int dict = sm_dict_create(0), n = stress_rounds(20000);
	struct sm_value one = sm_int(1), nan = sm_double(NAN), out;
	struct sm_buf b = { 0 };
	int64_t start;

	ASSERT_LE(0, dict);
	start = now_ns();
	for (int i = 0; i < n; i++)
		ASSERT_EQ(0, sm_dict_set(dict, &nan, &one));
	EXPECT_EQ(n, sm_dict_len(dict));
	/* A NaN finds nothing, not even a NaN. */
	EXPECT_EQ(-ENOENT, sm_dict_get(dict, &nan, &out, &b));
	EXPECT_EQ(0, sm_dict_contains(dict, &nan));
	/* Same per-key cost as ints: seconds, not minutes, under TCG. */
	EXPECT_GT(10000LL * slow_factor(), elapsed_ms(start));
	close(dict);
}

/* One value going into a queue by the raw ioctl. */
static int raw_put(int q, const struct syncmgr_value *v)
{
	struct syncmgr_data d = {
		.in = (uintptr_t)v,
		.in_size = sizeof(*v),
		.count = 1,
		.flags = SYNCMGR_DATA_NOWAIT,
	};

	return ioctl(q, SYNCMGR_IOC_PUT, &d) < 0 ? -errno : 0;
}

TEST(handle_upper_bits_refused)
{
	int q = sm_queue_create(0, 0), lock = sm_lock_create(0);
	struct syncmgr_value v = { .type = SYNCMGR_VAL_HANDLE };

	ASSERT_LE(0, q);
	ASSERT_LE(0, lock);
	v.data = (1ULL << 32) | (uint32_t)lock;	/* the fd, plus garbage */
	EXPECT_EQ(-EINVAL, raw_put(q, &v));
	v.data = ~0ULL;
	EXPECT_EQ(-EINVAL, raw_put(q, &v));
	EXPECT_EQ(0, sm_queue_qsize(q));
	v.data = (uint32_t)-1;				/* fd -1 */
	EXPECT_EQ(-EBADF, raw_put(q, &v));
	v.data = (uint32_t)lock;
	EXPECT_EQ(0, raw_put(q, &v));
	EXPECT_EQ(1, sm_queue_qsize(q));
	close(lock);
	close(q);
}

/*
 * OPEN by token is an access check on a file-like object: it goes by the
 * fsuid, as open() does, not by the real uid.  A child with real and
 * effective uid 1001 (no capabilities) and fsuid 0 opens root's object;
 * with fsuid 1001 it gets EPERM.
 */
static int open_as(void *arg)
{
	const uint8_t *token = arg;
	int fd;

	if (setresuid(1001, 1001, 0))
		return 100;
	setfsuid(0);
	if (setfsuid(-1) != 0)
		return 101;
	fd = sm_open_token(token, 0);
	if (fd < 0)
		return 10 + -fd;
	close(fd);
	setfsuid(1001);
	if (setfsuid(-1) != 1001)
		return 102;
	fd = sm_open_token(token, 0);
	return fd == -EPERM ? 0 : 200;
}

TEST(open_by_token_checks_fsuid)
{
	int lock = sm_lock_create(0), *result = shared_mem(sizeof(int));
	uint8_t *token = shared_mem(16);
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to change uids");
	ASSERT_LE(0, lock);
	ASSERT_NE(NULL, token);
	ASSERT_NE(NULL, result);
	ASSERT_EQ(0, sm_token(lock, token));
	pid = spawn(open_as, token, result);
	ASSERT_LE(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *result);
	close(lock);
}

/*
 * A batch larger than the room left goes in by parts, each found by
 * walking at most a bounded stretch of the batch under the queue's lock:
 * every value still goes in, once, in order.
 */
TEST(big_batch_into_bounded_queue_in_order)
{
	int room = 3000, n = 7500, q = sm_queue_create(room, 0);
	struct sm_value *v = calloc(n, sizeof(*v)), out[64];
	struct sm_buf b = { .data = malloc(64 * 16), .size = 64 * 16 };
	int64_t next = 0;

	ASSERT_LE(0, q);
	ASSERT_NE(NULL, v);
	for (int i = 0; i < n; i++)
		v[i] = sm_int(i);
	EXPECT_EQ(room, sm_queue_put_many(q, v, n, 0));
	EXPECT_EQ(room, sm_queue_qsize(q));
	while (next < room) {
		int got = sm_queue_get_many(q, out, 64, &b, 0);

		ASSERT_LT(0, got);
		for (int i = 0; i < got; i++)
			ASSERT_EQ(next++, out[i].i);
	}
	EXPECT_EQ(0, sm_queue_qsize(q));
	free(b.data);
	free(v);
	close(q);
}

/* A handle behind many plain values is still seen by the cycle check. */
TEST(queue_handle_behind_many_values_seen_by_cycle_check)
{
	int q = sm_queue_create(0, 0), list = sm_list_create(0), n = 50000;
	struct sm_value *v = calloc(n + 1, sizeof(*v)), vq = sm_handle(q);

	ASSERT_LE(0, q);
	ASSERT_LE(0, list);
	ASSERT_NE(NULL, v);
	for (int i = 0; i < n; i++)
		v[i] = sm_int(i);
	v[n] = sm_handle(list);
	ASSERT_EQ(n + 1, sm_queue_put_many(q, v, n + 1, SM_FOREVER));
	EXPECT_EQ(-ELOOP, sm_list_append(list, &vq));
	EXPECT_EQ(0, sm_list_len(list));
	free(v);
	close(list);
	close(q);
}

TEST_HARNESS_MAIN
