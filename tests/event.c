// SPDX-License-Identifier: GPL-2.0
/*
 * Event across processes: the flag, waits that succeed, time out or are
 * interrupted, set() waking every blocked process, poll(), and a ping-pong
 * between two processes.
 */
#include "common.h"

#define NWAITERS	3
#define TIMEOUT_MS	200

static struct timed_call wait_call(int ev)
{
	return (struct timed_call){ .op = sm_event_wait, .handle = ev,
				    .timeout_ns = SM_FOREVER };
}

TEST(set_clear_is_set)
{
	struct syncmgr_state st;
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	EXPECT_EQ(SYNCMGR_TYPE_EVENT, sm_type(ev));
	EXPECT_EQ(0, sm_event_is_set(ev));
	EXPECT_EQ(0, sm_event_set(ev));
	EXPECT_EQ(1, sm_event_is_set(ev));
	EXPECT_EQ(0, sm_event_set(ev));
	EXPECT_EQ(1, sm_event_is_set(ev));
	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, sm_state(ev, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ(0, sm_event_clear(ev));
	EXPECT_EQ(0, sm_event_is_set(ev));
	EXPECT_EQ(0, sm_event_clear(ev));
	EXPECT_EQ(0, sm_event_is_set(ev));
	close(ev);
}

TEST(wait_on_set_event_returns_at_once)
{
	int ev = sm_event_create(0);
	int64_t start;

	ASSERT_LE(0, ev);
	ASSERT_EQ(0, sm_event_set(ev));
	start = now_ns();
	EXPECT_EQ(0, sm_event_wait(ev, SM_FOREVER));
	EXPECT_EQ(0, sm_event_wait(ev, 0));
	EXPECT_EQ(0, sm_event_wait(ev, 10 * WAKE_MS * MS));
	EXPECT_GT(WAKE_MS, elapsed_ms(start));
	close(ev);
}

TEST(nonblocking_wait_on_clear_event_times_out)
{
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	EXPECT_EQ(-ETIMEDOUT, sm_event_wait(ev, 0));
	EXPECT_EQ(-EINVAL, sm_event_wait(ev, -7));
	close(ev);
}

TEST(wait_times_out_within_bounds)
{
	int *res = shared_mem(sizeof(*res));
	int ev = sm_event_create(0);
	struct timed_call c = wait_call(ev);
	int64_t start;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, ev);
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_event_wait(ev, TIMEOUT_MS * MS));
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_GT(TIMEOUT_MS + WAKE_MS, elapsed_ms(start));

	c.timeout_ns = TIMEOUT_MS * MS;
	start = now_ns();
	pid = spawn_call(&c, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, TIMEOUT_MS + WAKE_MS));
	EXPECT_EQ(-ETIMEDOUT, *res);
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	close(ev);
}

/*
 * NWAITERS processes block in wait(); set() (then clear() at once, if
 * asked) wakes every one with success.  Python: wait() returns True if the
 * flag was set while it waited, even if it was cleared right after.
 */
static void set_wakes_all(struct __test_metadata *_metadata, bool clear)
{
	int ev = sm_event_create(0);
	struct timed_call c = wait_call(ev);
	struct waiters w;

	ASSERT_LE(0, ev);
	ASSERT_TRUE(waiters_start(&w, &c, NWAITERS));
	EXPECT_TRUE(still_running(w.pid[0], BLOCKED_MS));
	ASSERT_EQ(0, sm_event_set(ev));
	if (clear)
		ASSERT_EQ(0, sm_event_clear(ev));
	waiters_expect(_metadata, &w, 0);
	EXPECT_EQ(!clear, sm_event_is_set(ev));
	close(ev);
}

TEST(set_wakes_every_blocked_process)
{
	set_wakes_all(_metadata, false);
}

TEST(set_then_clear_still_wakes_waiters_with_success)
{
	set_wakes_all(_metadata, true);
}

TEST(signal_interrupts_wait)
{
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	expect_interrupted(_metadata, wait_call(ev));
	EXPECT_EQ(0, sm_event_is_set(ev));
	close(ev);
}

TEST(poll_reports_pollin_iff_set)
{
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	EXPECT_EQ(0, poll_one(ev, POLLIN, 0));
	ASSERT_EQ(0, sm_event_set(ev));
	EXPECT_TRUE(poll_one(ev, POLLIN, 0) & POLLIN);
	ASSERT_EQ(0, sm_event_clear(ev));
	EXPECT_EQ(0, poll_one(ev, POLLIN, 0));
	close(ev);
}

TEST(blocked_poll_wakes_on_set)
{
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	expect_poll_wakes(_metadata, ev, sm_event_set);
	close(ev);
}

/*
 * Ping-pong: each side waits for its event, clears it, counts the round
 * and sets the other side's.  The child got both events over a socket.
 */
#define ROUNDS		stress_rounds(500)

struct pingpong {
	int rounds[2];		/* rounds counted by each side */
};

static int play(int mine, int theirs, int *rounds, bool serve)
{
	for (int i = 0; i < ROUNDS; i++) {
		int r;

		if (serve && (r = sm_event_set(theirs)))
			return r;
		r = sm_event_wait(mine, 10 * WAKE_MS * MS);
		if (r)
			return r;
		if ((r = sm_event_clear(mine)))
			return r;
		(*rounds)++;
		if (!serve && (r = sm_event_set(theirs)))
			return r;
	}
	return 0;
}

static int pong(const int *ev, void *arg)
{
	struct pingpong *pp = arg;

	return play(ev[1], ev[0], &pp->rounds[1], false);
}

TEST(stress_ping_pong_between_two_processes)
{
	struct pingpong *pp = shared_mem(sizeof(*pp));
	int *res = shared_mem(sizeof(*res));
	int sv[2], ev[2];
	pid_t pid;

	ASSERT_NE(NULL, pp);
	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 2, pong, pp, res);
	ASSERT_LT(0, pid);
	ev[0] = sm_event_create(0);
	ev[1] = sm_event_create(0);
	ASSERT_LE(0, ev[0]);
	ASSERT_LE(0, ev[1]);
	ASSERT_EQ(2, sm_send_handles(sv[0], ev, 2));
	EXPECT_EQ(0, play(ev[0], ev[1], &pp->rounds[0], true));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_EQ(ROUNDS, pp->rounds[0]);
	EXPECT_EQ(ROUNDS, pp->rounds[1]);
	close(ev[0]);
	close(ev[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
