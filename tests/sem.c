// SPDX-License-Identifier: GPL-2.0
/*
 * Semaphore and BoundedSemaphore across processes: counting, release(n)
 * hand-offs to exactly min(n, waiters) blocked processes in FIFO order,
 * timeouts, signals, dead holders and a stress run on the holder bound.
 */
#include "common.h"

#define NWAITERS	3
#define TIMEOUT_MS	200

/* A child blocked in acquire with no deadline of its own. */
static struct timed_call acquire_call(int sem)
{
	return (struct timed_call){ .op = sm_sem_acquire, .handle = sem,
				    .timeout_ns = SM_FOREVER };
}

/* How many of n result slots hold a result. */
static int count_results(const int *results, int n)
{
	int done = 0;

	for (int i = 0; i < n; i++)
		done += __atomic_load_n(&results[i], __ATOMIC_SEQ_CST) != NO_RESULT;
	return done;
}

TEST(initial_value_and_state)
{
	struct syncmgr_state st;
	int sem = sm_sem_create(3, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(3, sm_sem_value(sem));
	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, sm_state(sem, &st));
	EXPECT_EQ((__u32)SYNCMGR_TYPE_SEMAPHORE, st.type);
	EXPECT_EQ(3U, st.value);
	EXPECT_EQ(0U, st.waiters);
	EXPECT_EQ(SYNCMGR_TYPE_SEMAPHORE, sm_type(sem));
	close(sem);
}

TEST(acquire_decrements_then_nonblocking_times_out)
{
	int sem = sm_sem_create(2, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(0, sm_sem_acquire(sem, 0));
	EXPECT_EQ(1, sm_sem_value(sem));
	EXPECT_EQ(0, sm_sem_acquire(sem, SM_FOREVER));
	EXPECT_EQ(0, sm_sem_value(sem));
	EXPECT_EQ(-ETIMEDOUT, sm_sem_acquire(sem, 0));
	EXPECT_EQ(0, sm_sem_value(sem));
	EXPECT_EQ(-EINVAL, sm_sem_acquire(sem, -5));
	close(sem);
}

TEST(release_zero_is_einval)
{
	int sem = sm_sem_create(1, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(-EINVAL, sm_sem_release(sem, 0));
	EXPECT_EQ(1, sm_sem_value(sem));
	close(sem);
}

TEST(timeout_in_child_is_not_early)
{
	int *res = shared_mem(sizeof(*res));
	int sem = sm_sem_create(0, 0);
	struct timed_call c = acquire_call(sem);
	int64_t start = now_ns();
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, sem);
	c.timeout_ns = TIMEOUT_MS * MS;
	pid = spawn_call(&c, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, TIMEOUT_MS + WAKE_MS));
	EXPECT_EQ(-ETIMEDOUT, *res);
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_GT(TIMEOUT_MS + WAKE_MS, elapsed_ms(start));
	EXPECT_EQ(0, sm_sem_value(sem));
	close(sem);
}

/*
 * release(2) with three blocked processes wakes exactly two; release(3)
 * then wakes the third and the two units left over go to the count.
 */
TEST(release_n_wakes_min_n_waiters)
{
	int sem = sm_sem_create(0, 0);
	struct timed_call c = acquire_call(sem);
	struct syncmgr_state st;
	struct waiters w;

	ASSERT_LE(0, sem);
	ASSERT_TRUE(waiters_start(&w, &c, NWAITERS));
	ASSERT_EQ(0, sm_sem_release(sem, 2));
	/* FIFO: the two oldest waiters get the units. */
	ASSERT_TRUE(result_within(&w.res[0], WAKE_MS));
	ASSERT_TRUE(result_within(&w.res[1], WAKE_MS));
	EXPECT_TRUE(still_running(w.pid[2], BLOCKED_MS));
	EXPECT_EQ(2, count_results(w.res, NWAITERS));
	ASSERT_EQ(0, sm_state(sem, &st));
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ(1U, st.waiters);

	ASSERT_EQ(0, sm_sem_release(sem, 3));
	waiters_expect(_metadata, &w, 0);
	EXPECT_EQ(2, sm_sem_value(sem));
	close(sem);
}

/* Arrival order in, wake-up order out: one release(1) per waiter. */
TEST(release_wakes_in_fifo_order)
{
	int sem = sm_sem_create(0, 0);
	struct timed_call c = acquire_call(sem);
	struct waiters w;

	ASSERT_LE(0, sem);
	ASSERT_TRUE(waiters_start(&w, &c, NWAITERS));
	for (int i = 0; i < NWAITERS; i++) {
		ASSERT_EQ(0, sm_sem_release(sem, 1));
		ASSERT_TRUE(result_within(&w.res[i], WAKE_MS)) {
			TH_LOG("waiter %d (arrived %d.) was not woken", i, i + 1);
		}
		EXPECT_EQ(i + 1, count_results(w.res, NWAITERS));
	}
	waiters_expect(_metadata, &w, 0);
	EXPECT_EQ(0, sm_sem_value(sem));
	close(sem);
}

/* In a process that got the handle over a socket, not by fork(). */
static int acquire_received(const int *handles, void *arg)
{
	return sm_sem_acquire(handles[0], 10 * WAKE_MS * MS);
}

TEST(received_handle_shares_the_count)
{
	int *res = shared_mem(sizeof(*res));
	int sv[2], sem;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 1, acquire_received, NULL, res);
	ASSERT_LT(0, pid);
	sem = sm_sem_create(0, 0);	/* created after the fork */
	ASSERT_LE(0, sem);
	ASSERT_EQ(1, sm_send_handles(sv[0], &sem, 1));
	ASSERT_TRUE(wait_waiters(sem, 1));
	EXPECT_EQ(NO_RESULT, *res);
	ASSERT_EQ(0, sm_sem_release(sem, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_EQ(0, sm_sem_value(sem));
	close(sem);
	close(sv[0]);
	close(sv[1]);
}

TEST(signal_interrupts_without_taking_a_unit)
{
	int sem = sm_sem_create(0, 0);

	ASSERT_LE(0, sem);
	expect_interrupted(_metadata, acquire_call(sem));
	/* The interrupted waiter left the queue: the unit stays counted. */
	ASSERT_EQ(0, sm_sem_release(sem, 1));
	EXPECT_EQ(1, sm_sem_value(sem));
	close(sem);
}

TEST(sa_restart_resumes_the_wait)
{
	int *res = shared_mem(sizeof(*res));
	int sem = sm_sem_create(0, 0);
	struct timed_call c = acquire_call(sem);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, sem);
	c.catch_sig = SIGUSR1;
	c.restart = true;
	pid = spawn_waiter(&c, res, 1);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	EXPECT_EQ(NO_RESULT, *res);
	ASSERT_TRUE(wait_waiters(sem, 1));
	ASSERT_EQ(0, sm_sem_release(sem, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_EQ(0, sm_sem_value(sem));
	close(sem);
}

static int acquire_and_hang(void *arg)
{
	int sem = *(int *)arg;
	int r = sm_sem_acquire(sem, 0);

	if (r)
		return r;
	pause();
	return 0;
}

/* Documented: semaphores have no owner, a dead taker's unit is lost. */
TEST(unit_of_killed_process_is_not_given_back)
{
	int *res = shared_mem(sizeof(*res));
	int sem = sm_sem_create(1, 0);
	int64_t end = now_ns() + WAKE_MS * MS;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, sem);
	pid = spawn(acquire_and_hang, &sem, res);
	ASSERT_LT(0, pid);
	while (sm_sem_value(sem) != 0 && now_ns() < end)
		sleep_ms(1);
	ASSERT_EQ(0, sm_sem_value(sem));
	ASSERT_EQ(0, kill_child(pid));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(0, sm_sem_value(sem));
	EXPECT_EQ(-ETIMEDOUT, sm_sem_acquire(sem, 0));
	close(sem);
}

TEST(bounded_release_up_to_the_bound)
{
	struct syncmgr_state st;
	int sem = sm_bsem_create(2, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(SYNCMGR_TYPE_BOUNDED_SEMAPHORE, sm_type(sem));
	EXPECT_EQ(0, sm_sem_acquire(sem, 0));
	EXPECT_EQ(0, sm_sem_acquire(sem, 0));
	EXPECT_EQ(0, sm_sem_release(sem, 2));
	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, sm_state(sem, &st));
	EXPECT_EQ(2U, st.value);
	EXPECT_EQ(2U, st.max);
	close(sem);
}

TEST(bounded_over_release_is_eoverflow_and_changes_nothing)
{
	int sem = sm_bsem_create(2, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(-EOVERFLOW, sm_sem_release(sem, 1));
	EXPECT_EQ(2, sm_sem_value(sem));
	EXPECT_EQ(0, sm_sem_acquire(sem, 0));
	/* One unit would fit, two do not: nothing is added. */
	EXPECT_EQ(-EOVERFLOW, sm_sem_release(sem, 2));
	EXPECT_EQ(1, sm_sem_value(sem));
	EXPECT_EQ(0, sm_sem_release(sem, 1));
	EXPECT_EQ(2, sm_sem_value(sem));
	close(sem);
}

TEST(plain_semaphore_has_no_bound)
{
	int sem = sm_sem_create(1, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(0, sm_sem_release(sem, 5));
	EXPECT_EQ(6, sm_sem_value(sem));
	close(sem);
}

/* Stress: N processes share K units; never more than K holders at once. */
#define STRESS_PROCS	6
#define STRESS_UNITS	2
#define STRESS_ROUNDS	stress_rounds(300)

struct holders {
	int sem;
	atomic_int now;		/* processes holding a unit right now */
	atomic_int peak;	/* most ever seen */
	atomic_int rounds;	/* acquisitions in total */
};

static int hold_repeatedly(void *arg)
{
	struct holders *h = arg;

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		int r = sm_sem_acquire(h->sem, 10 * WAKE_MS * MS);
		int n, peak;

		if (r)
			return r;
		n = atomic_fetch_add(&h->now, 1) + 1;
		peak = atomic_load(&h->peak);
		while (n > peak && !atomic_compare_exchange_weak(&h->peak, &peak, n))
			;
		if (i % 16 == 0)
			sched_yield();
		atomic_fetch_sub(&h->now, 1);
		atomic_fetch_add(&h->rounds, 1);
		r = sm_sem_release(h->sem, 1);
		if (r)
			return r;
	}
	return 0;
}

TEST(stress_holders_never_exceed_the_count)
{
	struct holders *h = shared_mem(sizeof(*h));
	int *res = shared_mem(STRESS_PROCS * sizeof(*res));
	pid_t pid[STRESS_PROCS];

	ASSERT_NE(NULL, h);
	ASSERT_NE(NULL, res);
	h->sem = sm_sem_create(STRESS_UNITS, 0);
	ASSERT_LE(0, h->sem);
	for (int i = 0; i < STRESS_PROCS; i++) {
		pid[i] = spawn(hold_repeatedly, h, &res[i]);
		ASSERT_LT(0, pid[i]);
	}
	for (int i = 0; i < STRESS_PROCS; i++) {
		EXPECT_EQ(0, wait_child(pid[i], 20000));
		EXPECT_EQ(0, res[i]);
	}
	EXPECT_GE(STRESS_UNITS, atomic_load(&h->peak));
	EXPECT_EQ(STRESS_PROCS * STRESS_ROUNDS, atomic_load(&h->rounds));
	EXPECT_EQ(STRESS_UNITS, sm_sem_value(h->sem));
	close(h->sem);
}

TEST_HARNESS_MAIN
