// SPDX-License-Identifier: GPL-2.0
/*
 * Containers holding containers, as a hostile user would build them: a
 * chain thousands deep freed at once, graphs whose paths are exponential
 * in their size, cycle checks that must stay linear, killable and out of
 * other users' way.  The guest runner fails the run on any kernel report
 * (a stack overflow panics Debian's kernels: the run never finishes).
 */
#include "common.h"

#define CHAIN	5000

/* A list holding a fresh list holding a fresh list ..., n deep. */
static int build_chain_top_down(struct __test_metadata *_metadata, int n)
{
	int top = sm_list_create(0), cur = top;

	for (int i = 0; i < n; i++) {
		int next = sm_list_create(0);
		struct sm_value v = sm_handle(next);

		if (next < 0 || sm_list_append(cur, &v)) {
			TH_LOG("level %d: %s", i, strerror(next < 0 ? -next : errno));
			return -1;
		}
		if (cur != top)
			close(cur);	/* alive only through its parent now */
		cur = next;
	}
	if (cur != top)
		close(cur);
	return top;
}

/*
 * Issue 10, item 1: freeing a container used to free what it holds
 * recursively; closing the top of this chain overflowed the kernel
 * stack.  Now it must free every level and give the memory back.
 */
TEST(chain_built_top_down_freed_without_recursion)
{
	int probe = sm_lock_create(0), top;
	unsigned long objects, bytes;

	ASSERT_LE(0, probe);
	objects = user_objects(probe);
	bytes = user_bytes(probe);
	top = build_chain_top_down(_metadata, CHAIN);
	ASSERT_LE(0, top);
	EXPECT_EQ(objects + CHAIN + 1, user_objects(probe));
	close(top);
	/* Every level is gone once close() returns. */
	EXPECT_EQ(objects, user_objects(probe));
	EXPECT_EQ(bytes, user_bytes(probe));
	close(probe);
}

/* The same chain through every container kind that can hold a handle. */
enum kind { QUEUE, LIST, DICT, NS, KINDS };

static int kind_create(enum kind k)
{
	switch (k) {
	case QUEUE:
		return sm_queue_create(0, 0);
	case LIST:
		return sm_list_create(0);
	case DICT:
		return sm_dict_create(0);
	default:
		return sm_ns_create(0);
	}
}

static int kind_store(enum kind k, int fd, const struct sm_value *v)
{
	struct sm_value key = sm_int(1);

	switch (k) {
	case QUEUE:
		return sm_queue_put(fd, v, SM_FOREVER);
	case LIST:
		return sm_list_append(fd, v);
	case DICT:
		return sm_dict_set(fd, &key, v);
	default:
		return sm_ns_set(fd, "x", v);
	}
}

TEST(chain_through_every_container_kind_freed)
{
	int probe = sm_lock_create(0), top, cur;
	unsigned long objects;

	ASSERT_LE(0, probe);
	objects = user_objects(probe);
	top = cur = kind_create(QUEUE);
	ASSERT_LE(0, top);
	for (int i = 0; i < CHAIN; i++) {
		int next = kind_create((i + 1) % KINDS);
		struct sm_value v = sm_handle(next);

		ASSERT_LE(0, next);
		ASSERT_EQ(0, kind_store(i % KINDS, cur, &v));
		if (cur != top)
			close(cur);
		cur = next;
	}
	close(cur);
	EXPECT_EQ(objects + CHAIN + 1, user_objects(probe));
	close(top);
	EXPECT_EQ(objects, user_objects(probe));
	close(probe);
}

/* A Value holding a list holding a Value ...: the Value kind too. */
TEST(chain_through_values_freed)
{
	int probe = sm_lock_create(0), top, cur;
	unsigned long objects;

	ASSERT_LE(0, probe);
	objects = user_objects(probe);
	top = cur = sm_list_create(0);
	ASSERT_LE(0, top);
	for (int i = 0; i < CHAIN; i++) {
		bool list = i % 2;
		int next = list ? sm_list_create(0) : sm_value_create(0, NULL, 0);
		struct sm_value v = sm_handle(next);

		ASSERT_LE(0, next);
		if (list) {
			ASSERT_EQ(0, sm_value_set(cur, &v));
		} else {
			ASSERT_EQ(0, sm_list_append(cur, &v));
		}
		if (cur != top)
			close(cur);
		cur = next;
	}
	close(cur);
	close(top);
	EXPECT_EQ(objects, user_objects(probe));
	close(probe);
}

/*
 * Issue 10, item 3: forty lists, each holding the next one twice, have
 * 2^40 paths from the first to the last.  The cycle check must look at
 * each list once: storing into the last list a handle of the first is
 * refused (ELOOP) at once, and storing the first into a new list is fast.
 */
#define DIAMONDS	40

TEST(cycle_check_linear_on_diamond_chain)
{
	int l[DIAMONDS], outer;
	int64_t start;

	for (int i = 0; i < DIAMONDS; i++) {
		l[i] = sm_list_create(0);
		ASSERT_LE(0, l[i]);
	}
	for (int i = DIAMONDS - 2; i >= 0; i--) {
		struct sm_value v = sm_handle(l[i + 1]);

		ASSERT_EQ(0, sm_list_append(l[i], &v));
		ASSERT_EQ(0, sm_list_append(l[i], &v));
	}
	start = now_ns();
	{
		struct sm_value first = sm_handle(l[0]);

		EXPECT_EQ(-ELOOP, sm_list_append(l[DIAMONDS - 1], &first));
		outer = sm_list_create(0);
		ASSERT_LE(0, outer);
		EXPECT_EQ(0, sm_list_append(outer, &first));
	}
	/* 2^40 paths would take days; 80 edges take microseconds. */
	EXPECT_GT(2000LL * slow_factor(), elapsed_ms(start));
	close(outer);
	for (int i = 0; i < DIAMONDS; i++)
		close(l[i]);
}

/* A wide graph: one dict holding 20 000 lists that all hold one list. */
TEST(cycle_check_wide_fan_out)
{
	int root = sm_dict_create(0), leaf = sm_list_create(0), other;
	struct sm_value vl = sm_handle(leaf), vr = sm_handle(root);
	int n = stress_rounds(20000);

	ASSERT_LE(0, root);
	ASSERT_LE(0, leaf);
	for (int i = 0; i < n; i++) {
		int mid = sm_list_create(0);
		struct sm_value k = sm_int(i), vm = sm_handle(mid);

		ASSERT_LE(0, mid);
		ASSERT_EQ(0, sm_list_append(mid, &vl));
		ASSERT_EQ(0, sm_dict_set(root, &k, &vm));
		close(mid);
	}
	EXPECT_EQ(-ELOOP, sm_list_append(leaf, &vr));
	other = sm_list_create(0);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, sm_list_append(other, &vr));
	EXPECT_EQ(0, sm_list_len(leaf));
	close(other);
	close(leaf);
	close(root);
}

/*
 * Two processes storing container handles at the same time, in opposite
 * directions, many times: exactly one of each opposing pair may land
 * (the other closes a cycle), and no cycle is ever made (which would
 * leak both lists: the suite's memory check would see it).
 */
TEST(concurrent_opposite_stores_never_make_a_cycle)
{
	int rounds = stress_rounds(400);	/* 800 fds: under the default limit */
	int *landed = shared_mem(2 * rounds * sizeof(int));
	int *a = shared_mem(rounds * sizeof(int) * 2);
	pid_t pid;

	ASSERT_NE(NULL, landed);
	ASSERT_NE(NULL, a);
	for (int i = 0; i < rounds; i++) {
		a[2 * i] = sm_list_create(SYNCMGR_CREATE_NO_CLOEXEC);
		a[2 * i + 1] = sm_list_create(SYNCMGR_CREATE_NO_CLOEXEC);
		ASSERT_LE(0, a[2 * i]);
		ASSERT_LE(0, a[2 * i + 1]);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (int i = 0; i < rounds; i++) {
			struct sm_value v = sm_handle(a[2 * i]);

			landed[2 * i + 1] = sm_list_append(a[2 * i + 1], &v);
		}
		_exit(0);
	}
	for (int i = 0; i < rounds; i++) {
		struct sm_value v = sm_handle(a[2 * i + 1]);

		landed[2 * i] = sm_list_append(a[2 * i], &v);
	}
	ASSERT_EQ(0, wait_child(pid, 60000 * slow_factor()));
	for (int i = 0; i < rounds; i++) {
		int ok = (landed[2 * i] == 0) + (landed[2 * i + 1] == 0);

		EXPECT_EQ(1, ok) {
			TH_LOG("round %d: %d and %d", i, landed[2 * i],
			       landed[2 * i + 1]);
		}
		EXPECT_TRUE(landed[2 * i] == 0 || landed[2 * i] == -ELOOP);
		EXPECT_TRUE(landed[2 * i + 1] == 0 || landed[2 * i + 1] == -ELOOP);
	}
	for (int i = 0; i < 2 * rounds; i++)
		close(a[i]);
}

/*
 * A store whose cycle check is slow (a big graph) can be killed, and
 * another user's nested store does not wait for it.
 */
static int big_store(void *arg)
{
	int *fds = arg;
	struct sm_value v = sm_handle(fds[0]);

	for (;;)
		if (sm_list_append(fds[1], &v))
			return 1;
	return 0;
}

TEST(slow_cycle_check_is_killable_and_private)
{
	int n = stress_rounds(50000), fds[2];
	int root = sm_dict_create(0);
	pid_t pid;

	ASSERT_LE(0, root);
	for (int i = 0; i < n; i++) {
		int mid = sm_list_create(0);
		struct sm_value k = sm_int(i), vm = sm_handle(mid);

		ASSERT_LE(0, mid);
		ASSERT_EQ(0, sm_dict_set(root, &k, &vm));
		close(mid);
	}
	fds[0] = root;
	fds[1] = sm_list_create(0);
	ASSERT_LE(0, fds[1]);
	pid = spawn(big_store, fds, NULL);
	ASSERT_LE(0, pid);
	sleep_ms(BLOCKED_MS);
	/* Meanwhile: an unrelated nested store goes through at once. */
	{
		int x = sm_list_create(0), y = sm_list_create(0);
		struct sm_value vy = sm_handle(y);
		int64_t start = now_ns();

		ASSERT_LE(0, x);
		ASSERT_LE(0, y);
		for (int i = 0; i < 100; i++)
			ASSERT_EQ(0, sm_list_append(x, &vy));
		EXPECT_GT(1000LL * slow_factor(), elapsed_ms(start));
		close(y);
		close(x);
	}
	EXPECT_EQ(0, kill_child(pid));
	close(fds[1]);
	close(root);
}

TEST_HARNESS_MAIN
