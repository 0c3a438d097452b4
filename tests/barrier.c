// SPDX-License-Identifier: GPL-2.0
/*
 * Barrier across processes: indices by arrival, cycles, breaking by
 * timeout, abort, reset and death, the action run by the last arriver in
 * its own process, and a stress run over many generations.
 */
#include "common.h"

#define TIMEOUT_MS	200
#define LONG_NS		(10 * WAKE_MS * MS)	/* a bound that never expires */
/* A deadline that outlasts setting up a cycle, yet expires in its action. */
#define DEADLINE_MS	(2000 * slow_factor())

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
 * Something done to the cycle's other parties while the last arriver (this
 * process) runs the action: the action calls poke(ctx), then reports ok.
 */
struct in_action {
	int barrier;
	pid_t victim;		/* a party of the cycle in action */
	int sig;		/* sent to it, 0: none */
	bool next_party;	/* then a party of the next cycle arrives */
	bool reset;		/* then the barrier is reset */
	bool until_victim_returns;	/* hold the action until then */
	int *victim_res;
	struct waiters next;	/* that party */
	int ran;		/* the action ran */
	int next_arrived;	/* the next party was seen blocked */
};

static int act_on_parties(void *arg)
{
	struct in_action *ia = arg;
	struct timed_call c = wait_call(ia->barrier);
	int before = sm_barrier_n_waiting(ia->barrier);

	ia->ran = 1;
	if (ia->sig)
		kill(ia->victim, ia->sig);
	/* Time for the victim to act on it: leave, stop or die. */
	sleep_ms(BLOCKED_MS);
	if (ia->until_victim_returns)
		result_within(ia->victim_res, WAKE_MS);
	if (ia->next_party) {
		before = sm_barrier_n_waiting(ia->barrier);
		ia->next_arrived = waiters_start(&ia->next, &c, 1) &&
				   wait_waiters(ia->barrier, before + 1);
	}
	if (ia->reset)
		sm_barrier_reset(ia->barrier);
	return 0;
}

/*
 * A barrier of three with an action: two children block in it (the first,
 * the victim, with a SIGUSR1 handler without SA_RESTART, as Python's), then
 * this process arrives last and runs act_on_parties().  Returns this
 * process's wait result; the children are left to the caller.
 */
static int cycle_with_action(struct __test_metadata *_metadata,
			     struct in_action *ia, struct waiters *victim,
			     struct waiters *other, int64_t victim_timeout_ns)
{
	struct timed_call c = wait_call(ia->barrier);
	int ret;

	ASSERT_EQ(0, sm_barrier_set_action(ia->barrier, ok_action, NULL));
	c.catch_sig = SIGUSR1;
	c.timeout_ns = victim_timeout_ns;
	ASSERT_TRUE(waiters_start(victim, &c, 1));
	c = wait_call(ia->barrier);
	ASSERT_TRUE(waiters_start(other, &c, 1));
	ASSERT_TRUE(wait_waiters(ia->barrier, 2));
	ia->victim = victim->pid[0];
	ia->victim_res = &victim->res[0];
	ASSERT_EQ(0, sm_barrier_set_action(ia->barrier, act_on_parties, ia));
	ret = sm_barrier_wait(ia->barrier, LONG_NS);
	EXPECT_EQ(1, ia->ran);
	/* Later cycles run a plain action. */
	EXPECT_EQ(0, sm_barrier_set_action(ia->barrier, ok_action, NULL));
	return ret;
}

/*
 * (a) A party of the cycle in action is signalled: once the action runs the
 * cycle's parties are through the barrier, so it keeps its place, gets its
 * index when the action reports, and its handler runs after the call.
 */
TEST(signal_during_action_keeps_the_party_in_its_cycle)
{
	struct in_action *ia = shared_mem(sizeof(*ia));
	struct waiters victim, other;

	ASSERT_NE(NULL, ia);
	ia->barrier = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	ASSERT_LE(0, ia->barrier);
	ia->sig = SIGUSR1;
	EXPECT_EQ(2, cycle_with_action(_metadata, ia, &victim, &other,
				       SM_FOREVER));
	waiters_expect(_metadata, &victim, 0);
	waiters_expect(_metadata, &other, 1);
	EXPECT_EQ(0, sm_barrier_broken(ia->barrier));
	EXPECT_EQ(0, sm_barrier_n_waiting(ia->barrier));
	complete_cycle(_metadata, ia->barrier, 3);
	close(ia->barrier);
}

/* True once the child is reported stopped, within WAKE_MS. */
static bool stopped_within(pid_t pid)
{
	int64_t end = now_ns() + WAKE_MS * MS;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG | WUNTRACED);

		if (r == pid)
			return WIFSTOPPED(status);
		if (r < 0)
			return false;
		sleep_ms(1);
	} while (now_ns() < end);
	return false;
}

/*
 * (b) A party of the cycle in action is stopped (Ctrl-Z, a debugger): the
 * barrier does not break; the party stops once its cycle is released and,
 * continued, returns its index.
 */
TEST(stop_during_action_keeps_the_party_in_its_cycle)
{
	struct in_action *ia = shared_mem(sizeof(*ia));
	struct waiters victim, other;

	ASSERT_NE(NULL, ia);
	ia->barrier = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	ASSERT_LE(0, ia->barrier);
	ia->sig = SIGSTOP;
	EXPECT_EQ(2, cycle_with_action(_metadata, ia, &victim, &other,
				       SM_FOREVER));
	waiters_expect(_metadata, &other, 1);
	EXPECT_TRUE(stopped_within(victim.pid[0]));
	EXPECT_EQ(NO_RESULT, __atomic_load_n(&victim.res[0], __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, kill(victim.pid[0], SIGCONT));
	waiters_expect(_metadata, &victim, 0);
	EXPECT_EQ(0, sm_barrier_broken(ia->barrier));
	EXPECT_EQ(0, sm_barrier_n_waiting(ia->barrier));
	complete_cycle(_metadata, ia->barrier, 3);
	close(ia->barrier);
}

/*
 * (c) A party of the next cycle arrives while the action runs, after a
 * party of the cycle was signalled: the action's report releases exactly
 * the cycle's parties, and the newcomer waits for the next cycle, where
 * it is the first arriver.
 */
TEST(next_cycle_party_is_not_released_by_the_action)
{
	struct in_action *ia = shared_mem(sizeof(*ia));
	struct timed_call c;
	struct waiters victim, other, late;

	ASSERT_NE(NULL, ia);
	ia->barrier = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	ASSERT_LE(0, ia->barrier);
	ia->sig = SIGUSR1;
	ia->next_party = true;
	EXPECT_EQ(2, cycle_with_action(_metadata, ia, &victim, &other,
				       SM_FOREVER));
	EXPECT_EQ(1, ia->next_arrived);
	waiters_expect(_metadata, &victim, 0);
	waiters_expect(_metadata, &other, 1);
	EXPECT_TRUE(still_running(ia->next.pid[0], BLOCKED_MS));
	EXPECT_EQ(NO_RESULT, __atomic_load_n(&ia->next.res[0],
					     __ATOMIC_SEQ_CST));
	EXPECT_EQ(1, sm_barrier_n_waiting(ia->barrier));

	/* The next cycle: the newcomer, one more, then this process. */
	c = wait_call(ia->barrier);
	ASSERT_TRUE(waiters_start(&late, &c, 1));
	ASSERT_TRUE(wait_waiters(ia->barrier, 2));
	EXPECT_EQ(2, sm_barrier_wait(ia->barrier, LONG_NS));
	waiters_expect(_metadata, &ia->next, 0);
	waiters_expect(_metadata, &late, 1);
	EXPECT_EQ(0, sm_barrier_broken(ia->barrier));
	close(ia->barrier);
}

/*
 * A party of the cycle in action whose deadline passes returns ETIMEDOUT
 * then, signalled or not, and breaks the barrier.
 */
TEST(deadline_during_action_breaks_the_barrier)
{
	struct in_action *ia = shared_mem(sizeof(*ia));
	struct waiters victim, other;
	int64_t start = now_ns();

	ASSERT_NE(NULL, ia);
	ia->barrier = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	ASSERT_LE(0, ia->barrier);
	ia->sig = SIGUSR1;
	ia->until_victim_returns = true;
	EXPECT_EQ(-EPIPE, cycle_with_action(_metadata, ia, &victim, &other,
					    DEADLINE_MS * MS));
	waiters_expect(_metadata, &victim, -ETIMEDOUT);
	EXPECT_LE(DEADLINE_MS, elapsed_ms(start));
	waiters_expect(_metadata, &other, -EPIPE);
	EXPECT_EQ(1, sm_barrier_broken(ia->barrier));
	close(ia->barrier);
}

/* A party of the cycle in action that is killed breaks it. */
TEST(kill_during_action_breaks_the_barrier)
{
	struct in_action *ia = shared_mem(sizeof(*ia));
	struct waiters victim, other;

	ASSERT_NE(NULL, ia);
	ia->barrier = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	ASSERT_LE(0, ia->barrier);
	ia->sig = SIGKILL;
	EXPECT_EQ(-EPIPE, cycle_with_action(_metadata, ia, &victim, &other,
					    SM_FOREVER));
	EXPECT_EQ(128 + SIGKILL, wait_child(victim.pid[0], WAKE_MS));
	waiters_expect(_metadata, &other, -EPIPE);
	EXPECT_EQ(1, sm_barrier_broken(ia->barrier));
	close(ia->barrier);
}

/*
 * A reset while the action runs breaks the cycle's parties, the signalled
 * one too; the runner learns it (EPIPE) and a party of the next cycle
 * that arrived meanwhile is broken with them.
 */
TEST(reset_during_action_breaks_the_whole_cycle)
{
	struct in_action *ia = shared_mem(sizeof(*ia));
	struct waiters victim, other;

	ASSERT_NE(NULL, ia);
	ia->barrier = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	ASSERT_LE(0, ia->barrier);
	ia->sig = SIGUSR1;
	ia->next_party = true;
	ia->reset = true;
	EXPECT_EQ(-EPIPE, cycle_with_action(_metadata, ia, &victim, &other,
					    SM_FOREVER));
	waiters_expect(_metadata, &victim, -EPIPE);
	waiters_expect(_metadata, &other, -EPIPE);
	waiters_expect(_metadata, &ia->next, -EPIPE);
	EXPECT_EQ(0, sm_barrier_broken(ia->barrier));
	EXPECT_EQ(0, sm_barrier_n_waiting(ia->barrier));
	complete_cycle(_metadata, ia->barrier, 3);
	close(ia->barrier);
}

/*
 * Before its cycle is full a signalled party leaves it (EINTR) without
 * breaking the barrier, as a KeyboardInterrupt in Python's wait does.
 */
TEST(signal_before_the_cycle_is_full_leaves_it)
{
	int *res = shared_mem(sizeof(*res));
	int b = sm_barrier_create(3, 0, SM_BARRIER_ACTION);
	struct timed_call c = wait_call(b);
	struct waiters w;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, sm_barrier_set_action(b, ok_action, NULL));
	ASSERT_TRUE(waiters_start(&w, &c, 1));
	c.catch_sig = SIGUSR1;
	pid = spawn_waiter(&c, res, 2);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(-EINTR, *res);
	EXPECT_EQ(1, sm_barrier_n_waiting(b));
	EXPECT_EQ(0, sm_barrier_broken(b));
	ASSERT_EQ(0, sm_barrier_abort(b));
	waiters_expect(_metadata, &w, -EPIPE);
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
	bool pester;		/* signals and stops hit the parties */
	pid_t pid[MAX_PROCS];
	atomic_int stop;	/* the pest stops */
	atomic_int interrupted;	/* waits that returned EINTR (retried) */
	atomic_int sent;	/* signals and stops the pest sent */
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
	/* Under fire, an action that lasts: signals land while it runs. */
	if (g->pester)
		usleep(500);
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

		if (idx == -EINTR && g->pester) {
			/* Out of the cycle before it was full: arrive again. */
			atomic_fetch_add(&g->interrupted, 1);
			k--;
			continue;
		}
		if (idx < 0)
			return idx;
		if (idx >= g->nproc)
			return -ERANGE;
		check_step(g, p->me, k, idx);
	}
	return 0;
}

/*
 * Until told to stop: a SIGUSR1 (handler without SA_RESTART) or a
 * SIGSTOP and SIGCONT a little later, to a random party, at random times.
 */
static int pest(void *arg)
{
	struct generations *g = arg;
	unsigned int seed = getpid();

	while (!atomic_load(&g->stop)) {
		pid_t p = g->pid[rand_r(&seed) % g->nproc];

		if (rand_r(&seed) & 1) {
			kill(p, SIGUSR1);
		} else {
			kill(p, SIGSTOP);
			usleep(rand_r(&seed) % 2000);
			kill(p, SIGCONT);
		}
		atomic_fetch_add(&g->sent, 1);
		usleep(rand_r(&seed) % 500);
	}
	return 0;
}

static void run_generations(struct __test_metadata *_metadata, int nproc,
			    int ngen, bool with_action, bool pester)
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
	g->pester = pester;
	/* Inherited by the parties, so that no signal finds them without. */
	if (pester)
		ASSERT_EQ(0, install_handler(SIGUSR1, false));
	g->barrier = sm_barrier_create(nproc, 0,
				       with_action ? SM_BARRIER_ACTION : 0);
	ASSERT_LE(0, g->barrier);
	for (int i = 0; i < nproc; i++) {
		party[i] = (struct party){ .g = g, .me = i };
		pid[i] = spawn(pass_generations, &party[i], &res[i]);
		ASSERT_LT(0, pid[i]);
		g->pid[i] = pid[i];
	}
	if (pester) {
		int pest_res;
		pid_t pest_pid = spawn(pest, g, NULL);

		ASSERT_LT(0, pest_pid);
		for (int i = 0; i < nproc; i++)
			EXPECT_TRUE(result_within(&res[i], 25000));
		atomic_store(&g->stop, 1);
		pest_res = wait_child(pest_pid, WAKE_MS);
		EXPECT_EQ(0, pest_res);
		TH_LOG("%d signals and stops sent, %d waits interrupted",
		       atomic_load(&g->sent), atomic_load(&g->interrupted));
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
	run_generations(_metadata, 3, 10, false, false);
}

TEST(action_runs_once_per_cycle_in_last_arriver_before_release)
{
	run_generations(_metadata, 3, 10, true, false);
}

TEST(stress_four_processes_many_generations)
{
	run_generations(_metadata, MAX_PROCS, MAX_GENS, false, false);
}

/*
 * Actions under fire: parties are signalled and stopped at random, also
 * while the action runs; every cycle still runs its action once, before
 * its release, and hands out each index once.
 */
TEST(action_cycles_survive_signals_and_stops)
{
	run_generations(_metadata, 3, stress_rounds(200), true, true);
}

TEST_HARNESS_MAIN
