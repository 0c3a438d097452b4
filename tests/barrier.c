// SPDX-License-Identifier: GPL-2.0
/*
 * Barrier across processes: indices by arrival, cycles, breaking by
 * timeout, abort, reset and death, the action run by the last arriver in
 * its own process, and a stress run over many generations.
 */
#include "common.h"

#define TIMEOUT_MS	200
#define LONG_NS		(10 * WAKE_MS * MS)	/* a bound that never expires */

static struct timed_call wait_call(int b)
{
	return (struct timed_call){ .op = sm_barrier_wait, .handle = b,
				    .timeout_ns = SM_FOREVER };
}

/* Polls the barrier's state for at most WAKE_MS until status has bit. */
static bool status_within(int b, unsigned int bit)
{
	int64_t end = now_ns() + WAKE_MS * MS;
	struct syncmgr_state st;

	do {
		if (sm_state(b, &st) == 0 && (st.status & bit))
			return true;
		sleep_ms(1);
	} while (now_ns() < end);
	return false;
}

/*
 * One full cycle: parties - 1 children arrive one after the other, then
 * this process; indices follow arrival and this process, last, gets
 * parties - 1.
 */
static void complete_cycle(struct __test_metadata *_metadata, int b,
			   int parties)
{
	int *res = shared_mem(parties * sizeof(*res));
	struct timed_call c = wait_call(b);
	pid_t *pid = calloc(parties, sizeof(*pid));

	ASSERT_NE(NULL, res);
	ASSERT_NE(NULL, pid);
	ASSERT_TRUE(spawn_waiters(&c, pid, res, parties - 1));
	EXPECT_EQ(parties - 1, sm_barrier_n_waiting(b));
	EXPECT_EQ(parties - 1, sm_barrier_wait(b, LONG_NS));
	for (int i = 0; i < parties - 1; i++) {
		EXPECT_EQ(0, wait_child(pid[i], WAKE_MS));
		EXPECT_EQ(i, res[i]);
	}
	EXPECT_EQ(0, sm_barrier_n_waiting(b));
	EXPECT_EQ(0, sm_barrier_broken(b));
	munmap(res, parties * sizeof(*res));
	free(pid);
}

/*
 * Two children blocked in a barrier of three, then breaker(b) from this
 * process: both must get -EPIPE.
 */
static void break_two_waiters(struct __test_metadata *_metadata, int b,
			      int (*breaker)(int b))
{
	struct timed_call c = wait_call(b);
	struct waiters w;

	ASSERT_TRUE(waiters_start(&w, &c, 2));
	ASSERT_EQ(0, breaker(b));
	waiters_expect(_metadata, &w, -EPIPE);
}

TEST(indices_follow_arrival_last_gets_parties_minus_one)
{
	int b = sm_barrier_create(3, 0, 0);

	ASSERT_LE(0, b);
	EXPECT_EQ(SYNCMGR_TYPE_BARRIER, sm_type(b));
	complete_cycle(_metadata, b, 3);
	close(b);
}

TEST(parties_and_n_waiting)
{
	int b = sm_barrier_create(4, 0, 0);
	struct timed_call c = wait_call(b);
	struct waiters w[3];

	ASSERT_LE(0, b);
	EXPECT_EQ(4, sm_barrier_parties(b));
	EXPECT_EQ(0, sm_barrier_n_waiting(b));
	for (int i = 0; i < 3; i++) {
		ASSERT_TRUE(waiters_start(&w[i], &c, 1));
		ASSERT_TRUE(wait_waiters(b, i + 1));
		EXPECT_EQ(i + 1, sm_barrier_n_waiting(b));
	}
	EXPECT_EQ(4, sm_barrier_parties(b));
	ASSERT_EQ(0, sm_barrier_abort(b));
	for (int i = 0; i < 3; i++)
		waiters_expect(_metadata, &w[i], -EPIPE);
	close(b);
}

TEST(parties_zero_or_too_many_is_einval)
{
	EXPECT_EQ(-EINVAL, sm_barrier_create(0, 0, 0));
	EXPECT_EQ(-EINVAL, sm_barrier_create(1U << 30, 0, 0));
}

TEST(one_party_never_blocks)
{
	int b = sm_barrier_create(1, 0, 0);

	ASSERT_LE(0, b);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(0, sm_barrier_wait(b, 0));
		EXPECT_EQ(0, sm_barrier_wait(b, SM_FOREVER));
	}
	close(b);
}

/* A timed-out wait breaks the barrier until reset(). */
TEST(timeout_breaks_until_reset)
{
	int *res = shared_mem(2 * sizeof(*res));
	int b = sm_barrier_create(3, 0, 0);
	struct timed_call c = wait_call(b);
	int64_t start;
	pid_t pid[2];

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, b);
	pid[0] = spawn_waiter(&c, &res[0], 1);
	ASSERT_LT(0, pid[0]);
	c.timeout_ns = TIMEOUT_MS * MS;
	start = now_ns();
	pid[1] = spawn_call(&c, &res[1]);
	ASSERT_LT(0, pid[1]);
	EXPECT_EQ(0, wait_child(pid[1], TIMEOUT_MS + WAKE_MS));
	EXPECT_EQ(-ETIMEDOUT, res[1]);
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_EQ(0, wait_child(pid[0], WAKE_MS));
	EXPECT_EQ(-EPIPE, res[0]);

	EXPECT_EQ(1, sm_barrier_broken(b));
	EXPECT_EQ(-EPIPE, sm_barrier_wait(b, 0));
	EXPECT_EQ(-EPIPE, sm_barrier_wait(b, SM_FOREVER));
	ASSERT_EQ(0, sm_barrier_reset(b));
	EXPECT_EQ(0, sm_barrier_broken(b));
	complete_cycle(_metadata, b, 3);
	close(b);
}

TEST(default_timeout_from_creation)
{
	struct syncmgr_state st;
	int b = sm_barrier_create(2, TIMEOUT_MS * MS, 0);
	int64_t start;

	ASSERT_LE(0, b);
	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, sm_state(b, &st));
	EXPECT_EQ((__u64)TIMEOUT_MS * MS, st.timeout_ns);
	EXPECT_EQ(2U, st.value);
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_barrier_wait(b, SM_BARRIER_DEFAULT));
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_GT(TIMEOUT_MS + WAKE_MS, elapsed_ms(start));
	EXPECT_EQ(1, sm_barrier_broken(b));
	close(b);
}

TEST(abort_breaks_waiters)
{
	struct syncmgr_state st;
	int b = sm_barrier_create(3, 0, 0);

	ASSERT_LE(0, b);
	break_two_waiters(_metadata, b, sm_barrier_abort);
	EXPECT_EQ(1, sm_barrier_broken(b));
	ASSERT_EQ(0, sm_state(b, &st));
	EXPECT_NE(0U, st.status & SYNCMGR_STATE_BROKEN);
	EXPECT_EQ(-EPIPE, sm_barrier_wait(b, 0));
	close(b);
}

TEST(reset_breaks_waiters_then_is_usable)
{
	int b = sm_barrier_create(3, 0, 0);

	ASSERT_LE(0, b);
	break_two_waiters(_metadata, b, sm_barrier_reset);
	EXPECT_EQ(0, sm_barrier_broken(b));
	complete_cycle(_metadata, b, 3);
	complete_cycle(_metadata, b, 3);
	close(b);
}

TEST(killed_waiter_breaks_the_barrier)
{
	int b = sm_barrier_create(3, 0, 0);
	struct timed_call c = wait_call(b);
	struct waiters victim, other;

	ASSERT_LE(0, b);
	ASSERT_TRUE(waiters_start(&victim, &c, 1));
	ASSERT_TRUE(waiters_start(&other, &c, 1));
	ASSERT_TRUE(wait_waiters(b, 2));
	ASSERT_EQ(0, kill_child(victim.pid[0]));
	waiters_expect(_metadata, &other, -EPIPE);
	EXPECT_EQ(1, sm_barrier_broken(b));
	close(b);
}

static int fail_action(void *arg)
{
	return -EIO;
}

static int ok_action(void *arg)
{
	return 0;
}

static int hang_action(void *arg)
{
	pause();
	return 0;
}

/*
 * The last arriver (this process) runs the action registered in this
 * process; what it returns decides for the two blocked children.
 */
static void last_arrival_with_action(struct __test_metadata *_metadata,
				     int (*action)(void *arg), int want)
{
	int b = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	struct timed_call c = wait_call(b);
	struct waiters w;

	ASSERT_LE(0, b);
	/* The children inherit an action; this process's own one counts. */
	ASSERT_EQ(0, sm_barrier_set_action(b, ok_action, NULL));
	ASSERT_TRUE(waiters_start(&w, &c, 2));
	ASSERT_EQ(0, sm_barrier_set_action(b, action, NULL));
	EXPECT_EQ(want, sm_barrier_wait(b, LONG_NS));
	waiters_expect(_metadata, &w, -EPIPE);
	EXPECT_EQ(1, sm_barrier_broken(b));
	close(b);
}

TEST(failing_action_breaks_the_barrier)
{
	last_arrival_with_action(_metadata, fail_action, -EIO);
}

TEST(no_action_in_last_arrivers_process_is_enoexec)
{
	last_arrival_with_action(_metadata, NULL, -ENOEXEC);
}

TEST(action_runner_killed_in_action_breaks_the_barrier)
{
	int b = sm_barrier_create(2, 0, SM_BARRIER_ACTION);
	struct timed_call c = wait_call(b);
	struct waiters w;
	int *runner_res = shared_mem(sizeof(*runner_res));
	pid_t runner;

	ASSERT_NE(NULL, runner_res);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, sm_barrier_set_action(b, hang_action, NULL));
	ASSERT_TRUE(waiters_start(&w, &c, 1));
	runner = spawn_call(&c, runner_res);	/* the last arriver */
	ASSERT_LT(0, runner);
	ASSERT_TRUE(status_within(b, SYNCMGR_STATE_IN_ACTION));
	EXPECT_TRUE(still_running(w.pid[0], BLOCKED_MS));
	ASSERT_EQ(0, kill_child(runner));
	waiters_expect(_metadata, &w, -EPIPE);
	EXPECT_EQ(1, sm_barrier_broken(b));
	close(b);
}

/*
 * Generations: nproc processes pass the barrier ngen times.  Each records
 * its index per generation and checks, after each pass, that no process
 * is a generation ahead or behind; with an action, that the action of the
 * cycle ran before the release, once, in the process that got the last
 * index.
 */
#define MAX_PROCS	4
#define MAX_GENS	300

struct generations {
	int barrier, nproc, ngen;
	bool with_action;
	atomic_int done[MAX_PROCS];		/* passes of each process */
	atomic_int hits[MAX_GENS][MAX_PROCS];	/* per generation and index */
	atomic_int skew;	/* a process seen out of step */
	atomic_int cycles;	/* actions run */
	pid_t runner[MAX_GENS];	/* process that ran each cycle's action */
	atomic_int early;	/* released before the cycle's action ran */
	atomic_int wrong_runner;
};

struct party {
	struct generations *g;
	int me;
};

static int count_cycle(void *arg)
{
	struct generations *g = arg;
	int k = atomic_load(&g->cycles);

	g->runner[k] = getpid();
	atomic_fetch_add(&g->cycles, 1);
	return 0;
}

static void check_step(struct generations *g, int me, int k, int idx)
{
	int n = atomic_fetch_add(&g->done[me], 1) + 1;

	atomic_fetch_add(&g->hits[k][idx], 1);
	for (int q = 0; q < g->nproc; q++) {
		int d = atomic_load(&g->done[q]);

		if (d < n - 1 || d > n)
			atomic_fetch_add(&g->skew, 1);
	}
	if (!g->with_action)
		return;
	if (atomic_load(&g->cycles) <= k)
		atomic_fetch_add(&g->early, 1);
	else if (idx == g->nproc - 1 && g->runner[k] != getpid())
		atomic_fetch_add(&g->wrong_runner, 1);
}

static int pass_generations(void *arg)
{
	const struct party *p = arg;
	struct generations *g = p->g;

	if (g->with_action) {
		int r = sm_barrier_set_action(g->barrier, count_cycle, g);

		if (r)
			return r;
	}
	for (int k = 0; k < g->ngen; k++) {
		int idx = sm_barrier_wait(g->barrier, LONG_NS);

		if (idx < 0)
			return idx;
		if (idx >= g->nproc)
			return -ERANGE;
		check_step(g, p->me, k, idx);
	}
	return 0;
}

static void run_generations(struct __test_metadata *_metadata, int nproc,
			    int ngen, bool with_action)
{
	struct generations *g = shared_mem(sizeof(*g));
	int *res = shared_mem(nproc * sizeof(*res));
	struct party party[MAX_PROCS];
	pid_t pid[MAX_PROCS];

	ASSERT_NE(NULL, g);
	ASSERT_NE(NULL, res);
	g->nproc = nproc;
	g->ngen = ngen;
	g->with_action = with_action;
	g->barrier = sm_barrier_create(nproc, 0,
				       with_action ? SM_BARRIER_ACTION : 0);
	ASSERT_LE(0, g->barrier);
	for (int i = 0; i < nproc; i++) {
		party[i] = (struct party){ .g = g, .me = i };
		pid[i] = spawn(pass_generations, &party[i], &res[i]);
		ASSERT_LT(0, pid[i]);
	}
	for (int i = 0; i < nproc; i++) {
		EXPECT_EQ(0, wait_child(pid[i], 25000));
		EXPECT_EQ(0, res[i]);
		EXPECT_EQ(ngen, atomic_load(&g->done[i]));
	}
	for (int k = 0; k < ngen; k++) {
		for (int idx = 0; idx < nproc; idx++) {
			EXPECT_EQ(1, atomic_load(&g->hits[k][idx])) {
				TH_LOG("generation %d, index %d", k, idx);
			}
		}
	}
	EXPECT_EQ(0, atomic_load(&g->skew));
	EXPECT_EQ(with_action ? ngen : 0, atomic_load(&g->cycles));
	EXPECT_EQ(0, atomic_load(&g->early));
	EXPECT_EQ(0, atomic_load(&g->wrong_runner));
	close(g->barrier);
}

TEST(cyclic_each_generation_is_a_permutation)
{
	run_generations(_metadata, 3, 10, false);
}

TEST(action_runs_once_per_cycle_in_last_arriver_before_release)
{
	run_generations(_metadata, 3, 10, true);
}

TEST(stress_four_processes_many_generations)
{
	run_generations(_metadata, MAX_PROCS, MAX_GENS, false);
}

TEST_HARNESS_MAIN
