// SPDX-License-Identifier: GPL-2.0
/*
 * Lock and RLock across processes and threads: acquire/release, timeouts,
 * FIFO hand-offs that wake one waiter per release, signals, holders that
 * die or exec (EOWNERDEAD; a Lock left with no waiter is abandoned: still
 * locked, released by anyone, taken over by the next acquirer), the
 * untracked hand-off Lock, poll, fdinfo, a counter stress run, and raw
 * ioctls with bad input.
 */
#define _GNU_SOURCE	/* pthread_timedjoin_np */
#include <limits.h>
#include <sched.h>
#include <sys/resource.h>

#include "common.h"

#define NPROC		4
#define TIMEOUT_MS	200
#define SLACK_MS	(500 * slow_factor())	/* a timeout may end this late under TCG */
#define STRESS_ITERS	stress_rounds(1000)

/* The two lock types behind one interface, so tests can cover both. */
struct lock_ops {
	const char *name;	/* as /proc/<pid>/fdinfo names the type */
	__u32 type;
	int (*create)(unsigned int flags);
	int (*acquire)(int lock, int64_t timeout_ns);
	int (*release)(int lock);
};

static const struct lock_ops lock_ops = {
	"Lock", SYNCMGR_TYPE_LOCK, sm_lock_create, sm_lock_acquire,
	sm_lock_release,
};

static const struct lock_ops rlock_ops = {
	"RLock", SYNCMGR_TYPE_RLOCK, sm_rlock_create, sm_rlock_acquire,
	sm_rlock_release,
};

/* Shared memory where children report to the test. */
struct board {
	int res[NPROC];		/* result slots (spawn) */
	int order[NPROC];	/* who got the lock, in order */
	int got;		/* how many got it */
	int ready;		/* a child reached its step */
	int go;			/* the test lets children go on */
	int64_t elapsed_ms;
	int interrupted;
	int64_t id;
	long counter;		/* not atomic: the lock protects it */
};

static struct board *board_new(void)
{
	struct board *b = shared_mem(sizeof(*b));

	if (b)
		memset(b, 0, sizeof(*b));
	return b;
}

static void flag_set(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
}

static struct timed_call blocking_acquire(const struct lock_ops *ops, int lock)
{
	return (struct timed_call){ .op = ops->acquire, .handle = lock,
				    .timeout_ns = SM_FOREVER };
}

/* ---------------------------------------------------------------- Lock */

TEST(lock_acquire_release_locked)
{
	int lock = sm_lock_create(0);
	int64_t start;

	ASSERT_LE(0, lock);
	EXPECT_EQ(SYNCMGR_TYPE_LOCK, sm_type(lock));
	EXPECT_EQ(0, sm_lock_locked(lock));
	ASSERT_EQ(0, sm_lock_acquire(lock, SM_FOREVER));
	EXPECT_EQ(1, sm_lock_locked(lock));
	/* Not recursive: the holder's own non-blocking acquire fails, at once. */
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_lock_acquire(lock, 0));
	EXPECT_GT(BLOCKED_MS, elapsed_ms(start));
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, sm_lock_locked(lock));
	EXPECT_EQ(-EPERM, sm_lock_release(lock));
	EXPECT_EQ(-EINVAL, sm_lock_acquire(lock, -5));
	EXPECT_EQ(0, sm_lock_locked(lock));
	close(lock);
}

TEST(lock_state_reports_holder_process)
{
	struct syncmgr_state st;
	int lock = sm_lock_create(0);

	ASSERT_LE(0, lock);
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ((__u32)SYNCMGR_TYPE_LOCK, st.type);
	EXPECT_EQ(0U, st.flags);
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ(0U, st.waiters);
	EXPECT_EQ(0U, st.owner);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(0U, st.reserved0);
	EXPECT_EQ(0ULL, st.timeout_ns);
	EXPECT_EQ(0ULL, st.reserved[0]);
	EXPECT_EQ(0ULL, st.reserved[1]);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)getpid(), st.owner);
	close(lock);
}

TEST(lock_timeout_is_not_early_nor_late)
{
	int lock = sm_lock_create(0);
	int64_t start, took;

	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_lock_acquire(lock, TIMEOUT_MS * MS));
	took = elapsed_ms(start);
	EXPECT_LE(TIMEOUT_MS, took);
	EXPECT_GT(TIMEOUT_MS + SLACK_MS, took);
	EXPECT_EQ(1, sm_lock_locked(lock));
	close(lock);
}

/* A child that takes the lock, says so, and waits for the test's word. */
struct holder {
	const struct lock_ops *ops;
	int lock;
	struct board *b;
};

static void wait_flag(int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
		sleep_ms(1);
}

static int hold_until_go(void *arg)
{
	const struct holder *h = arg;
	int ret = h->ops->acquire(h->lock, SM_FOREVER);

	flag_set(&h->b->ready);
	if (ret == 0)
		wait_flag(&h->b->go);
	return ret;
}

/*
 * Python's Lock is not owned: the parent releases what a child took, and a
 * holder that dies after that release leaves no "owner died" behind.
 */
TEST(lock_released_by_another_process)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	struct holder h = { &lock_ops, lock, b };
	struct syncmgr_state st;
	pid_t pid;

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	pid = spawn(hold_until_go, &h, &b->res[0]);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(counter_reaches(&b->ready, 1));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ((__u32)pid, st.owner);
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, sm_lock_locked(lock));
	flag_set(&b->go);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, b->res[0]);
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(0, sm_lock_acquire(lock, 0));
	close(lock);
}

/* A Lock is held by a process: a thread that exits holding it changes nothing. */
static void *acquire_and_exit(void *arg)
{
	const struct holder *h = arg;

	return (void *)(intptr_t)h->ops->acquire(h->lock, 0);
}

TEST(lock_held_by_process_not_thread)
{
	int lock = sm_lock_create(0);
	struct holder h = { &lock_ops, lock, NULL };
	pthread_t t;
	void *ret;

	ASSERT_LE(0, lock);
	ASSERT_EQ(0, pthread_create(&t, NULL, acquire_and_exit, &h));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(0, (int)(intptr_t)ret);
	EXPECT_EQ(-ETIMEDOUT, sm_lock_acquire(lock, 0));
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, sm_lock_acquire(lock, 0));
	close(lock);
}

/*
 * NPROC processes queue on a lock the test holds, each one blocked before
 * the next starts: each, once it gets the lock, records its place, waits
 * for b->go, then releases.
 */
struct member {
	struct holder h;
	int idx;
};

static int queue_member(void *arg)
{
	const struct member *m = arg;
	int ret = m->h.ops->acquire(m->h.lock, SM_FOREVER);

	if (ret)
		return ret;
	m->h.b->order[__atomic_fetch_add(&m->h.b->got, 1, __ATOMIC_SEQ_CST)] =
		m->idx;
	wait_flag(&m->h.b->go);
	return m->h.ops->release(m->h.lock);
}

static bool spawn_queue(const struct lock_ops *ops, int lock, struct board *b,
			pid_t *pid)
{
	for (int i = 0; i < NPROC; i++) {
		struct member m = { { ops, lock, b }, i };

		pid[i] = spawn(queue_member, &m, &b->res[i]);
		if (pid[i] < 0 || !wait_waiters(lock, i + 1))
			return false;
	}
	return true;
}

TEST(lock_wakes_waiters_in_fifo_order)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	pid_t pid[NPROC];

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	flag_set(&b->go);
	ASSERT_TRUE(spawn_queue(&lock_ops, lock, b, pid));
	ASSERT_EQ(0, sm_lock_release(lock));
	expect_results(_metadata, pid, b->res, NPROC, 0);
	for (int i = 0; i < NPROC; i++)
		EXPECT_EQ(i, b->order[i]);
	EXPECT_EQ(0, sm_lock_locked(lock));
	close(lock);
}

TEST(lock_one_release_wakes_one_waiter)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	struct syncmgr_state st;
	pid_t pid[NPROC];

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	ASSERT_TRUE(spawn_queue(&lock_ops, lock, b, pid));
	ASSERT_EQ(0, sm_lock_release(lock));
	ASSERT_TRUE(counter_reaches(&b->got, 1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(1, b->got);
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)NPROC - 1, st.waiters);
	EXPECT_EQ((__u32)pid[0], st.owner);
	flag_set(&b->go);
	expect_results(_metadata, pid, b->res, NPROC, 0);
	EXPECT_EQ(NPROC, b->got);
	close(lock);
}

TEST(lock_signal_interrupts_without_acquiring)
{
	int lock = sm_lock_create(0);
	struct syncmgr_state st;

	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	expect_interrupted(_metadata, blocking_acquire(&lock_ops, lock));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)getpid(), st.owner);
	EXPECT_EQ(0U, st.waiters);
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, sm_lock_locked(lock));
	close(lock);
}

TEST(lock_sa_restart_resumes_until_released)
{
	int *res = shared_mem(sizeof(*res));
	int lock = sm_lock_create(0);
	struct timed_call c = blocking_acquire(&lock_ops, lock);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	c.catch_sig = SIGUSR1;
	c.restart = true;
	pid = spawn_waiter(&c, res, 1);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(NO_RESULT, *res);
	EXPECT_TRUE(wait_waiters(lock, 1));
	ASSERT_EQ(0, sm_lock_release(lock));
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
}

/* Resumes an interrupted acquire with the deadline computed once. */
struct resumer {
	int lock;
	struct board *b;
};

#define RESUME_TIMEOUT_MS	1000
#define NSIGNALS		2
#define SIGNAL_EVERY_MS		300

static int acquire_resuming_after_signals(void *arg)
{
	const struct resumer *r = arg;
	int64_t start = now_ns();
	uint64_t deadline = sm_deadline(RESUME_TIMEOUT_MS * MS);
	int ret;

	if (install_handler(SIGUSR1, false))
		return -ENOSYS;
	while ((ret = sm_lock_acquire_until(r->lock, deadline)) == -EINTR)
		r->b->interrupted++;
	r->b->elapsed_ms = elapsed_ms(start);
	return ret;
}

TEST(lock_resumed_deadline_is_not_stretched)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	struct resumer r = { lock, b };
	pid_t pid;

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	pid = spawn(acquire_resuming_after_signals, &r, &b->res[0]);
	ASSERT_LT(0, pid);
	for (int i = 0; i < NSIGNALS; i++) {
		ASSERT_TRUE(wait_waiters(lock, 1));
		sleep_ms(SIGNAL_EVERY_MS);
		ASSERT_EQ(0, kill(pid, SIGUSR1));
	}
	ASSERT_EQ(0, wait_child(pid, RESUME_TIMEOUT_MS + WAKE_MS));
	EXPECT_EQ(-ETIMEDOUT, b->res[0]);
	EXPECT_EQ(NSIGNALS, b->interrupted);
	EXPECT_LE(RESUME_TIMEOUT_MS, b->elapsed_ms);
	/* Restarting with the full timeout would end past 1600 ms. */
	EXPECT_GT(RESUME_TIMEOUT_MS + NSIGNALS * SIGNAL_EVERY_MS,
		  b->elapsed_ms);
	close(lock);
}

/* A process that did not inherit the lock gets it over a socket. */
struct peer {
	int sock;
	struct board *b;
};

static int recv_then_acquire(void *arg)
{
	const struct peer *p = arg;
	struct syncmgr_state st;
	int lock = recv_one(p->sock);
	int ret;

	if (lock < 0)
		return lock;
	ret = sm_state(lock, &st);
	if (ret)
		return ret;
	p->b->id = (int64_t)st.id;
	ret = sm_lock_acquire(lock, SM_FOREVER);
	return ret ? ret : sm_lock_release(lock);
}

TEST(lock_received_over_socket_is_the_same_lock)
{
	struct board *b = board_new();
	struct peer p = { -1, b };
	struct syncmgr_state st;
	int sv[2], lock;
	pid_t pid;

	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, unix_pair(sv));
	p.sock = sv[1];
	pid = spawn(recv_then_acquire, &p, &b->res[0]);
	ASSERT_LT(0, pid);
	lock = sm_lock_create(0);	/* created after the fork */
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	ASSERT_EQ(1, sm_send_handles(sv[0], &lock, 1));
	ASSERT_TRUE(wait_waiters(lock, 1));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ((int64_t)st.id, b->id);
	ASSERT_EQ(0, sm_lock_release(lock));
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, b->res[0]);
	EXPECT_EQ(0, sm_lock_locked(lock));
	close(lock);
	close(sv[0]);
	close(sv[1]);
}

/* The hand-off pattern: an untracked Lock outlives its taker. */
static int acquire_and_return(void *arg)
{
	const struct holder *h = arg;

	return h->ops->acquire(h->lock, 0);
}

TEST(untracked_lock_stays_held_after_taker_exits)
{
	int *res = shared_mem(sizeof(*res));
	int lock = sm_lock_create(SM_UNTRACKED);
	struct holder h = { &lock_ops, lock, NULL };
	struct syncmgr_state st;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, lock);
	pid = spawn(acquire_and_return, &h, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ((__u32)SYNCMGR_CREATE_UNTRACKED, st.flags);
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(-ETIMEDOUT, sm_lock_acquire(lock, 0));
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, sm_lock_acquire(lock, 0));
	close(lock);
}

TEST(lock_poll_readable_iff_free)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	struct holder h = { &lock_ops, lock, b };
	pid_t pid;

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	EXPECT_EQ(POLLIN, poll_one(lock, POLLIN, 0) & POLLIN);
	pid = spawn(hold_until_go, &h, &b->res[0]);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(counter_reaches(&b->ready, 1));
	EXPECT_EQ(0, poll_one(lock, POLLIN, 0));
	EXPECT_EQ(0, poll_one(lock, POLLIN, BLOCKED_MS));
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(POLLIN, poll_one(lock, POLLIN, 0) & POLLIN);
	flag_set(&b->go);
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	close(lock);
}

TEST(lock_blocked_poll_wakes_on_release)
{
	int lock = sm_lock_create(0);

	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	expect_poll_wakes(_metadata, lock, sm_lock_release);
	close(lock);
}

/* The text of /proc/self/fdinfo/<fd>, into buf. */
static int read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, size - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static void check_fdinfo(struct __test_metadata *_metadata,
			 const struct lock_ops *ops)
{
	struct syncmgr_state st;
	char buf[4096], id[32];
	int lock = ops->create(0);

	ASSERT_LE(0, lock);
	ASSERT_EQ(0, state_poisoned(lock, &st));
	ASSERT_EQ(0, read_fdinfo(lock, buf, sizeof(buf)));
	snprintf(id, sizeof(id), "%llu", (unsigned long long)st.id);
	TH_LOG("fdinfo of a %s:\n%s", ops->name, buf);
	EXPECT_NE(NULL, strstr(buf, ops->name));
	EXPECT_NE(NULL, strstr(buf, id));
	close(lock);
}

TEST(fdinfo_names_the_type)
{
	check_fdinfo(_metadata, &lock_ops);
	check_fdinfo(_metadata, &rlock_ops);
}

/* NPROC processes increment a plain shared counter under the lock. */
static int increment_many(void *arg)
{
	const struct holder *h = arg;
	volatile long *counter = &h->b->counter;
	long v;
	int ret;

	for (int i = 0; i < STRESS_ITERS; i++) {
		ret = h->ops->acquire(h->lock, SM_FOREVER);
		if (ret)
			return ret;
		v = *counter;
		if ((i & 15) == 0)
			sched_yield();	/* invite a race if the lock fails */
		*counter = v + 1;
		ret = h->ops->release(h->lock);
		if (ret)
			return ret;
	}
	return 0;
}

FIXTURE(stress)
{
	struct board *b;
	int lock;
};

FIXTURE_VARIANT(stress)
{
	const struct lock_ops *ops;
};

FIXTURE_VARIANT_ADD(stress, lock) { .ops = &lock_ops };
FIXTURE_VARIANT_ADD(stress, rlock) { .ops = &rlock_ops };

FIXTURE_SETUP(stress)
{
	self->b = board_new();
	ASSERT_NE(NULL, self->b);
	self->lock = variant->ops->create(0);
	ASSERT_LE(0, self->lock);
}

FIXTURE_TEARDOWN(stress)
{
	close(self->lock);
}

TEST_F_TIMEOUT(stress, shared_counter_is_exact, 60)
{
	struct holder h = { variant->ops, self->lock, self->b };
	pid_t pid[NPROC];

	for (int i = 0; i < NPROC; i++) {
		pid[i] = spawn(increment_many, &h, &self->b->res[i]);
		ASSERT_LT(0, pid[i]);
	}
	for (int i = 0; i < NPROC; i++) {
		EXPECT_EQ(0, wait_child(pid[i], 50000));
		EXPECT_EQ(0, self->b->res[i]);
	}
	EXPECT_EQ((long)NPROC * STRESS_ITERS, self->b->counter);
	EXPECT_EQ(POLLIN, poll_one(self->lock, POLLIN, 0));
}

/* --------------------------------------------------------------- RLock */

TEST(rlock_recursion_depth_and_owner)
{
	struct syncmgr_state st;
	int rl = sm_rlock_create(0);

	ASSERT_LE(0, rl);
	EXPECT_EQ(SYNCMGR_TYPE_RLOCK, sm_type(rl));
	EXPECT_EQ(-EPERM, sm_rlock_release(rl));
	for (int i = 1; i <= 3; i++) {
		ASSERT_EQ(0, sm_rlock_acquire(rl, 0));
		ASSERT_EQ(0, state_poisoned(rl, &st));
		EXPECT_EQ((__u32)i, st.value);
		EXPECT_EQ((__u32)gettid_(), st.owner);
		EXPECT_EQ((__u32)SYNCMGR_TYPE_RLOCK, st.type);
		EXPECT_EQ(0U, st.status);
	}
	for (int i = 2; i >= 0; i--) {
		ASSERT_EQ(0, sm_rlock_release(rl));
		ASSERT_EQ(0, state_poisoned(rl, &st));
		EXPECT_EQ((__u32)i, st.value);
	}
	EXPECT_EQ(0U, st.owner);
	EXPECT_EQ(-EPERM, sm_rlock_release(rl));
	close(rl);
}

static int release_rlock(void *arg)
{
	const struct holder *h = arg;

	return sm_rlock_release(h->lock);
}

TEST(rlock_other_process_cannot_release)
{
	int *res = shared_mem(sizeof(*res));
	int rl = sm_rlock_create(0);
	struct holder h = { &rlock_ops, rl, NULL };
	struct syncmgr_state st;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, rl);
	ASSERT_EQ(0, sm_rlock_acquire(rl, 0));
	pid = spawn(release_rlock, &h, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(-EPERM, *res);
	ASSERT_EQ(0, state_poisoned(rl, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)gettid_(), st.owner);
	EXPECT_EQ(0, sm_rlock_release(rl));
	close(rl);
}

/* Thread bodies: one libsync call each, its result as the thread's. */
static void *thread_release(void *arg)
{
	return (void *)(intptr_t)sm_rlock_release(*(int *)arg);
}

static void *thread_try_acquire(void *arg)
{
	return (void *)(intptr_t)sm_rlock_acquire(*(int *)arg, 0);
}

static void *thread_acquire_release(void *arg)
{
	int rl = *(int *)arg;
	int ret = sm_rlock_acquire(rl, SM_FOREVER);

	return (void *)(intptr_t)(ret ? ret : sm_rlock_release(rl));
}

static int run_thread(void *(*fn)(void *), int *rl)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, fn, rl) || pthread_join(t, &ret))
		return INT_MIN;
	return (int)(intptr_t)ret;
}

/* Joins t within ms; the thread's result, or INT_MIN if it is still running. */
static int join_within(pthread_t t, int ms)
{
	struct timespec ts;
	void *ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_timedjoin_np(t, &ret, &ts))
		return INT_MIN;
	return (int)(intptr_t)ret;
}

TEST(rlock_is_owned_per_thread)
{
	int rl = sm_rlock_create(0);
	pthread_t t;

	ASSERT_LE(0, rl);
	ASSERT_EQ(0, sm_rlock_acquire(rl, 0));
	EXPECT_EQ(-EPERM, run_thread(thread_release, &rl));
	EXPECT_EQ(-ETIMEDOUT, run_thread(thread_try_acquire, &rl));

	ASSERT_EQ(0, pthread_create(&t, NULL, thread_acquire_release, &rl));
	ASSERT_TRUE(wait_waiters(rl, 1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(INT_MIN, join_within(t, 0));
	ASSERT_EQ(0, sm_rlock_release(rl));
	EXPECT_EQ(0, join_within(t, WAKE_MS));
	EXPECT_EQ(0, sm_rlock_acquire(rl, 0));
	close(rl);
}

static void *thread_acquire_and_exit(void *arg)
{
	int ret = sm_rlock_acquire(*(int *)arg, 0);

	pthread_exit((void *)(intptr_t)ret);
}

/* Polls STATE until the owner-died status shows, at most ms. */
static bool owner_died_within(int lock, int ms)
{
	int64_t end = now_ns() + ms * MS;
	struct syncmgr_state st;

	do {
		if (!sm_state(lock, &st) && (st.status & SYNCMGR_STATE_OWNER_DIED))
			return true;
		sleep_ms(1);
	} while (now_ns() < end);
	return false;
}

TEST(rlock_thread_exit_while_owning_is_owner_dead)
{
	struct syncmgr_state st;
	int rl = sm_rlock_create(0);

	ASSERT_LE(0, rl);
	ASSERT_EQ(0, run_thread(thread_acquire_and_exit, &rl));
	/*
	 * pthread_join() returns when the kernel clears the thread's tid, a
	 * little before the exit tracepoint the module watches: allow that.
	 */
	ASSERT_TRUE(owner_died_within(rl, WAKE_MS));
	ASSERT_EQ(0, state_poisoned(rl, &st));
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ((__u32)SYNCMGR_STATE_OWNER_DIED, st.status);
	EXPECT_EQ(-EOWNERDEAD, sm_rlock_acquire(rl, 0));
	ASSERT_EQ(0, state_poisoned(rl, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)gettid_(), st.owner);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(0, sm_rlock_release(rl));
	EXPECT_EQ(0, sm_rlock_acquire(rl, 0));
	close(rl);
}

/*
 * pthread_join() returns before the exit probe has run; an acquirer that
 * comes in that window must not block on the dead thread's lock.
 */
TEST(rlock_acquire_right_after_join_sees_owner_dead)
{
	int rl = sm_rlock_create(0);
	int i;

	ASSERT_LE(0, rl);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, run_thread(thread_acquire_and_exit, &rl));
		ASSERT_EQ(-EOWNERDEAD, sm_rlock_acquire(rl, 0));
		ASSERT_EQ(0, sm_rlock_release(rl));
	}
	close(rl);
}

/* ------------------------------------------------ holders that die */

enum death {
	KILLED,			/* SIGKILL while holding */
	EXITS,			/* returns from main holding it */
	CLOSES_THEN_KILLED,	/* closed its fd first */
	PASSES_THEN_EXITS,	/* sent its fd away and closed it first */
	KILLED_WHILE_BLOCKED,	/* blocked on another lock when killed */
	RECEIVED_THEN_KILLED,	/* got the lock over a socket, not by fork */
};

FIXTURE(holder_death)
{
	struct board *b;
	int lock;
	int other;	/* held by the test, for KILLED_WHILE_BLOCKED */
	int sv[2];
	pid_t holder;
};

FIXTURE_VARIANT(holder_death)
{
	const struct lock_ops *ops;
	enum death how;
};

#define DEATH_VARIANT(name, o, h) \
	FIXTURE_VARIANT_ADD(holder_death, name) { .ops = (o), .how = (h) }

DEATH_VARIANT(lock_killed, &lock_ops, KILLED);
DEATH_VARIANT(lock_exits, &lock_ops, EXITS);
DEATH_VARIANT(lock_closes_then_killed, &lock_ops, CLOSES_THEN_KILLED);
DEATH_VARIANT(lock_passes_then_exits, &lock_ops, PASSES_THEN_EXITS);
DEATH_VARIANT(lock_killed_while_blocked, &lock_ops, KILLED_WHILE_BLOCKED);
DEATH_VARIANT(lock_received_then_killed, &lock_ops, RECEIVED_THEN_KILLED);
DEATH_VARIANT(rlock_killed, &rlock_ops, KILLED);
DEATH_VARIANT(rlock_exits, &rlock_ops, EXITS);
DEATH_VARIANT(rlock_closes_then_killed, &rlock_ops, CLOSES_THEN_KILLED);
DEATH_VARIANT(rlock_killed_while_blocked, &rlock_ops, KILLED_WHILE_BLOCKED);
DEATH_VARIANT(rlock_received_then_killed, &rlock_ops, RECEIVED_THEN_KILLED);

struct doomed {
	const struct lock_ops *ops;
	enum death how;
	int lock, other, sock;
	struct board *b;
};

static int hold_and_die(void *arg)
{
	const struct doomed *d = arg;
	int lock = d->how == RECEIVED_THEN_KILLED ? recv_one(d->sock) : d->lock;
	int ret;

	if (lock < 0)
		return lock;
	ret = d->ops->acquire(lock, SM_FOREVER);
	if (ret)
		return ret;
	if (d->how == PASSES_THEN_EXITS && sm_send_handles(d->sock, &lock, 1) != 1)
		return -EPROTO;
	if (d->how == CLOSES_THEN_KILLED || d->how == PASSES_THEN_EXITS)
		close(lock);
	flag_set(&d->b->ready);
	wait_flag(&d->b->go);
	if (d->how == KILLED_WHILE_BLOCKED)
		return sm_lock_acquire(d->other, SM_FOREVER);
	if (d->how == EXITS || d->how == PASSES_THEN_EXITS)
		return 0;
	for (;;)
		pause();	/* until killed */
}

FIXTURE_SETUP(holder_death)
{
	struct doomed d = { variant->ops, variant->how, -1, -1, -1, NULL };

	self->lock = self->other = self->sv[0] = self->sv[1] = -1;
	self->b = d.b = board_new();
	ASSERT_NE(NULL, self->b);
	ASSERT_EQ(0, unix_pair(self->sv));
	d.sock = self->sv[1];
	self->other = d.other = sm_lock_create(0);
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, sm_lock_acquire(self->other, 0));
	if (variant->how == RECEIVED_THEN_KILLED) {
		self->holder = spawn(hold_and_die, &d, &self->b->res[0]);
		self->lock = variant->ops->create(0);
		ASSERT_LE(0, self->lock);
		ASSERT_EQ(1, sm_send_handles(self->sv[0], &self->lock, 1));
	} else {
		self->lock = d.lock = variant->ops->create(0);
		ASSERT_LE(0, self->lock);
		self->holder = spawn(hold_and_die, &d, &self->b->res[0]);
	}
	ASSERT_LT(0, self->holder);
	ASSERT_TRUE(counter_reaches(&self->b->ready, 1));
}

FIXTURE_TEARDOWN(holder_death)
{
	if (self->holder > 0)
		kill_child(self->holder);
	close(self->lock);
	close(self->other);
	close(self->sv[0]);
	close(self->sv[1]);
}

/* Ends the holder the variant's way; true once it is gone. */
static bool end_holder(FIXTURE_DATA(holder_death) *self, enum death how)
{
	pid_t pid = self->holder;
	int fd = -1;

	self->holder = 0;
	flag_set(&self->b->go);
	switch (how) {
	case EXITS:
		return wait_child(pid, WAKE_MS) == 0;
	case PASSES_THEN_EXITS:
		fd = recv_one(self->sv[0]);
		if (wait_child(pid, WAKE_MS) != 0 || fd < 0)
			return false;
		close(fd);	/* the receiver is not the holder */
		return true;
	case KILLED_WHILE_BLOCKED:
		if (!wait_waiters(self->other, 1))
			return false;
		break;
	default:
		break;
	}
	return kill_child(pid) == 0;
}

/*
 * With no waiter, a dead holder's RLock is free; its Lock is abandoned:
 * still locked, by no one (as Python's Lock would stay locked).  Either
 * way poll says an acquire would succeed, and the next one does, at once
 * (deadline 0), told.
 */
TEST_F(holder_death, next_acquirer_gets_eownerdead_and_holds)
{
	const struct lock_ops *ops = variant->ops;
	struct syncmgr_state st;

	ASSERT_EQ(0, state_poisoned(self->lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)self->holder, st.owner);
	ASSERT_TRUE(end_holder(self, variant->how));
	ASSERT_EQ(0, state_poisoned(self->lock, &st));
	EXPECT_EQ(ops == &lock_ops ? 1U : 0U, st.value);
	EXPECT_EQ(0U, st.owner);
	EXPECT_EQ(0U, st.waiters);
	EXPECT_EQ((__u32)SYNCMGR_STATE_OWNER_DIED, st.status);
	EXPECT_EQ(ops == &lock_ops, sm_lock_locked(self->lock));
	EXPECT_EQ(POLLIN, poll_one(self->lock, POLLIN, 0) & POLLIN);

	EXPECT_EQ(-EOWNERDEAD, ops->acquire(self->lock, 0));
	ASSERT_EQ(0, state_poisoned(self->lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)getpid(), st.owner);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(0, ops->release(self->lock));
	/* Reported once only. */
	EXPECT_EQ(0, ops->acquire(self->lock, 0));
	EXPECT_EQ(0, ops->release(self->lock));
}

TEST_F(holder_death, blocked_waiter_gets_eownerdead)
{
	struct timed_call c = blocking_acquire(variant->ops, self->lock);
	int *res = &self->b->res[1];
	pid_t pid;

	pid = spawn_waiter(&c, res, 1);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(end_holder(self, variant->how));
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(-EOWNERDEAD, *res);
}

/*
 * Hand lock over a socket to a new process that runs fn on it (its result
 * in *res) and wait for it: 0, or -1 if the hand-over failed.
 */
static int run_in_receiver(int lock, int (*fn)(const int *handles, void *arg),
			   void *arg, int *res)
{
	int sv[2], ret = -1;
	pid_t pid;

	if (unix_pair(sv))
		return -1;
	pid = spawn_remote(sv[1], 1, fn, arg, res);
	if (pid > 0) {
		if (sm_send_handles(sv[0], &lock, 1) == 1 &&
		    !wait_child(pid, WAKE_MS))
			ret = 0;
		else
			kill(pid, SIGKILL);
	}
	close(sv[0]);
	close(sv[1]);
	return ret;
}

/*
 * A process that gets the lock over a socket after the death releases it:
 * an abandoned Lock is freed, and a release hands no death on, so the next
 * acquirer is not told.  A dead holder's RLock is free already: another
 * process cannot release it, and the next acquirer is still told.
 */
static int release_received(const int *handles, void *arg)
{
	const struct lock_ops *ops = arg;

	return ops->release(handles[0]);
}

TEST_F(holder_death, release_by_another_process)
{
	const struct lock_ops *ops = variant->ops;
	int *res = &self->b->res[1];
	struct syncmgr_state st;

	ASSERT_TRUE(end_holder(self, variant->how));
	ASSERT_EQ(0, run_in_receiver(self->lock, release_received,
				     (void *)ops, res));
	ASSERT_EQ(0, state_poisoned(self->lock, &st));
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ(0U, st.owner);
	if (ops == &lock_ops) {
		EXPECT_EQ(0, *res);
		EXPECT_EQ(0U, st.status);
		EXPECT_EQ(-EPERM, ops->release(self->lock));
		EXPECT_EQ(0, ops->acquire(self->lock, 0));
	} else {
		EXPECT_EQ(-EPERM, *res);
		EXPECT_EQ((__u32)SYNCMGR_STATE_OWNER_DIED, st.status);
		EXPECT_EQ(-EOWNERDEAD, ops->acquire(self->lock, 0));
	}
	EXPECT_EQ(0, ops->release(self->lock));
}

/*
 * A process that gets the lock over a socket after the death and acquires
 * it without a deadline: it gets it at once, told, and holds it as its
 * own (STATE's owner); exiting still holding it, it dies in turn.
 */
static int take_over_and_exit(const int *handles, void *arg)
{
	const struct lock_ops *ops = arg;
	struct syncmgr_state st;
	int ret = ops->acquire(handles[0], SM_FOREVER);

	if (ret != -EOWNERDEAD)
		return ret;
	if (sm_state(handles[0], &st) || st.value != 1 ||
	    st.owner != (__u32)getpid() || st.status)
		return -EPROTO;
	return ret;
}

TEST_F(holder_death, newcomer_takes_it_over_at_once)
{
	const struct lock_ops *ops = variant->ops;
	int *res = &self->b->res[1];
	struct syncmgr_state st;

	ASSERT_TRUE(end_holder(self, variant->how));
	ASSERT_EQ(0, run_in_receiver(self->lock, take_over_and_exit,
				     (void *)ops, res));
	EXPECT_EQ(-EOWNERDEAD, *res);
	ASSERT_EQ(0, state_poisoned(self->lock, &st));
	EXPECT_EQ(ops == &lock_ops ? 1U : 0U, st.value);
	EXPECT_EQ(0U, st.owner);
	EXPECT_EQ((__u32)SYNCMGR_STATE_OWNER_DIED, st.status);
	EXPECT_EQ(-EOWNERDEAD, ops->acquire(self->lock, 0));
	EXPECT_EQ(0, ops->release(self->lock));
}

/*
 * Two processes blocked at the death: the first gets the lock, told; the
 * second gets it from the first's release, in the ordinary way.
 */
struct queued {
	const struct lock_ops *ops;
	int lock;
	int idx;
	struct board *b;
	int *let_go;
};

static int acquire_then_release_on_word(void *arg)
{
	const struct queued *q = arg;
	int ret = q->ops->acquire(q->lock, SM_FOREVER);
	int rel;

	if (ret && ret != -EOWNERDEAD)
		return ret;
	q->b->order[__atomic_fetch_add(&q->b->got, 1, __ATOMIC_SEQ_CST)] =
		q->idx;
	wait_flag(q->let_go);
	rel = q->ops->release(q->lock);
	return rel ? INT_MIN + 1 : ret;
}

TEST_F(holder_death, blocked_waiters_are_served_in_fifo_order)
{
	const struct lock_ops *ops = variant->ops;
	int *let_go = shared_mem(sizeof(*let_go));
	struct syncmgr_state st;
	pid_t pid[2];

	ASSERT_NE(NULL, let_go);
	*let_go = 0;
	for (int i = 0; i < 2; i++) {
		struct queued q = { ops, self->lock, i, self->b, let_go };

		pid[i] = spawn(acquire_then_release_on_word, &q,
			       &self->b->res[1 + i]);
		ASSERT_LT(0, pid[i]);
		ASSERT_TRUE(wait_waiters(self->lock, i + 1));
	}
	ASSERT_TRUE(end_holder(self, variant->how));
	/* The first holds it now; the second is still queued. */
	ASSERT_EQ(0, state_poisoned(self->lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)pid[0], st.owner);
	EXPECT_EQ(1U, st.waiters);
	EXPECT_EQ(0U, st.status);
	ASSERT_TRUE(counter_reaches(&self->b->got, 1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(1, __atomic_load_n(&self->b->got, __ATOMIC_SEQ_CST));
	flag_set(let_go);
	EXPECT_EQ(0, wait_child(pid[0], WAKE_MS));
	EXPECT_EQ(0, wait_child(pid[1], WAKE_MS));
	EXPECT_EQ(-EOWNERDEAD, self->b->res[1]);
	EXPECT_EQ(0, self->b->res[2]);
	EXPECT_EQ(2, self->b->got);
	EXPECT_EQ(0, self->b->order[0]);
	EXPECT_EQ(1, self->b->order[1]);
	EXPECT_EQ(0, ops->acquire(self->lock, 0));
	EXPECT_EQ(0, ops->release(self->lock));
}

/* poll() blocked on the held lock wakes when its holder dies. */
TEST_F(holder_death, blocked_poll_wakes_at_the_death)
{
	int *res = &self->b->res[1];
	pid_t pid;

	pid = spawn(poll_in_long, &self->lock, res);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_TRUE(end_holder(self, variant->how));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_TRUE(*res > 0 && (*res & POLLIN)) {
		TH_LOG("poll returned %d", *res);
	}
}

/*
 * A Condition over a Lock.  A waiter whose wait ends without a notify
 * (here a signal) while the Lock is abandoned takes it back at once, as
 * any acquirer would, told: it does not wait for a release no one owes.
 */
static int cond_wait_then_release(void *arg)
{
	int cond = *(int *)arg;
	int ret;

	if (install_handler(SIGUSR1, false))
		return -ENOSYS;
	ret = sm_cond_acquire(cond, SM_FOREVER);
	if (ret)
		return ret;
	ret = sm_cond_wait(cond, SM_FOREVER);
	/* Back with the lock held, whatever the wait returned. */
	return sm_cond_release(cond) ? INT_MIN + 1 : ret;
}

TEST(condition_waiter_takes_over_an_abandoned_lock)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	int cond = sm_cond_create(lock, 0);
	struct holder h = { &lock_ops, lock, b };
	struct syncmgr_state st;
	pid_t waiter, holder;

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	ASSERT_LE(0, cond);
	waiter = spawn(cond_wait_then_release, &cond, &b->res[0]);
	ASSERT_LT(0, waiter);
	ASSERT_TRUE(wait_waiters(cond, 1));
	holder = spawn(hold_until_go, &h, &b->res[1]);
	ASSERT_LT(0, holder);
	ASSERT_TRUE(counter_reaches(&b->ready, 1));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ((__u32)holder, st.owner);
	ASSERT_EQ(0, kill_child(holder));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)SYNCMGR_STATE_OWNER_DIED, st.status);

	ASSERT_EQ(0, kill(waiter, SIGUSR1));
	EXPECT_EQ(0, wait_child(waiter, WAKE_MS));
	EXPECT_EQ(-EOWNERDEAD, b->res[0]);
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ(0U, st.status);
	close(cond);
	close(lock);
}

/*
 * Waiting on a Condition lets go of its Lock as a release does (a Lock is
 * "held" when locked, by anyone, as Python's _is_owned says): an abandoned
 * Lock's mark goes with it, and the wait takes the lock back untold.
 */
TEST(condition_wait_lets_go_of_an_abandoned_lock)
{
	struct board *b = board_new();
	int lock = sm_lock_create(0);
	int cond = sm_cond_create(lock, 0);
	struct holder h = { &lock_ops, lock, b };
	struct syncmgr_state st;
	pid_t holder;

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, lock);
	ASSERT_LE(0, cond);
	holder = spawn(hold_until_go, &h, &b->res[0]);
	ASSERT_LT(0, holder);
	ASSERT_TRUE(counter_reaches(&b->ready, 1));
	ASSERT_EQ(0, kill_child(holder));
	ASSERT_EQ(0, state_poisoned(cond, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)SYNCMGR_STATE_OWNER_DIED, st.status);

	EXPECT_EQ(-ETIMEDOUT, sm_cond_wait(cond, 0));
	ASSERT_EQ(0, state_poisoned(lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ((__u32)getpid(), st.owner);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, sm_lock_acquire(lock, 0));
	EXPECT_EQ(0, sm_lock_release(lock));
	close(cond);
	close(lock);
}

/* ------------------------------------------------ holders that exec */

/*
 * exec ends what the old program held, as for robust futexes: the
 * thread's RLocks, the process's Locks.  A non-leader thread that execs
 * takes over the leader's pid; the process lives on as another program.
 */
#define EXEC_HELPER	"--exec-helper"

/* What the holder execs into: says so on fd, then waits to be killed. */
static int exec_helper(const char *fd)
{
	if (write(atoi(fd), "x", 1) != 1)
		return 1;
	for (;;)
		pause();
}

struct exec_holder {
	int rlock, lock;
	int pipe_w;		/* for the helper: survives exec */
	struct board *b;
};

static void *acquire_then_exec(void *arg)
{
	const struct exec_holder *e = arg;
	char fd[16];
	int ret;

	ret = sm_rlock_acquire(e->rlock, 0);
	if (!ret)
		ret = sm_lock_acquire(e->lock, 0);
	if (ret)
		return (void *)(intptr_t)ret;
	flag_set(&e->b->ready);
	wait_flag(&e->b->go);
	snprintf(fd, sizeof(fd), "%d", e->pipe_w);
	execl("/proc/self/exe", "lock", EXEC_HELPER, fd, (char *)NULL);
	return (void *)(intptr_t)-errno;
}

/* Only returns if exec failed. */
static int exec_from_thread(void *arg)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, acquire_then_exec, arg) ||
	    pthread_join(t, &ret))
		return INT_MIN;
	return (int)(intptr_t)ret;
}

static int exec_from_leader(void *arg)
{
	return (int)(intptr_t)acquire_then_exec(arg);
}

static void held_across_exec(struct __test_metadata *_metadata,
			     int (*holder_fn)(void *))
{
	struct board *b = board_new();
	struct exec_holder e = { sm_rlock_create(0), sm_lock_create(0), -1, b };
	struct timed_call c = blocking_acquire(&rlock_ops, e.rlock);
	struct syncmgr_state st;
	pid_t holder, waiter;
	int p[2];
	char x;

	ASSERT_NE(NULL, b);
	ASSERT_LE(0, e.rlock);
	ASSERT_LE(0, e.lock);
	ASSERT_EQ(0, pipe(p));
	e.pipe_w = p[1];
	holder = spawn(holder_fn, &e, &b->res[0]);
	ASSERT_LT(0, holder);
	close(p[1]);
	ASSERT_TRUE(counter_reaches(&b->ready, 1));
	waiter = spawn_waiter(&c, &b->res[1], 1);
	ASSERT_LT(0, waiter);

	flag_set(&b->go);
	ASSERT_EQ(POLLIN, poll_one(p[0], POLLIN, WAKE_MS) & POLLIN);
	ASSERT_EQ(1, read(p[0], &x, 1));
	/* The same process, running the helper now. */
	EXPECT_TRUE(still_running(holder, 0));

	/* The RLock's blocked waiter is woken and told. */
	EXPECT_EQ(0, wait_child(waiter, WAKE_MS));
	EXPECT_EQ(-EOWNERDEAD, b->res[1]);
	/* The Lock is abandoned: locked by no one, the next acquirer told. */
	EXPECT_TRUE(owner_died_within(e.lock, WAKE_MS));
	ASSERT_EQ(0, state_poisoned(e.lock, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ(0U, st.owner);
	EXPECT_EQ(POLLIN, poll_one(e.lock, POLLIN, 0) & POLLIN);
	EXPECT_EQ(-EOWNERDEAD, sm_lock_acquire(e.lock, 0));
	ASSERT_EQ(0, state_poisoned(e.lock, &st));
	EXPECT_EQ((__u32)getpid(), st.owner);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(0, sm_lock_release(e.lock));
	EXPECT_EQ(0, kill_child(holder));
	close(p[0]);
	close(e.rlock);
	close(e.lock);
}

TEST(held_by_thread_that_execs_is_owner_dead)
{
	held_across_exec(_metadata, exec_from_thread);
}

TEST(held_by_leader_that_execs_is_owner_dead)
{
	held_across_exec(_metadata, exec_from_leader);
}

/* ------------------------------------- a killed holder of many locks */

#define MANY_LOCKS	10000

struct many {
	int *fd;
	struct board *b;
};

/* Every even fd a Lock (the process's), every odd one an RLock (the thread's). */
static int acquire_all_then_pause(void *arg)
{
	const struct many *m = arg;

	for (int i = 0; i < MANY_LOCKS; i++) {
		int ret = i % 2 ? sm_rlock_acquire(m->fd[i], 0) :
				  sm_lock_acquire(m->fd[i], 0);

		if (ret)
			return ret;
	}
	flag_set(&m->b->ready);
	for (;;)
		pause();
}

/* The exit path releases them all (preemptible): each next acquirer is told. */
FIXTURE(many) {};
FIXTURE_SETUP(many) {}
FIXTURE_TEARDOWN(many) {}

TEST_F_TIMEOUT(many, killed_holder_of_all_is_owner_dead, 120)
{
	struct many m = { calloc(MANY_LOCKS, sizeof(int)), board_new() };
	rlim_t need = MANY_LOCKS + 64;
	struct rlimit rl;
	int bad = 0;
	pid_t pid;

	ASSERT_NE(NULL, m.fd);
	ASSERT_NE(NULL, m.b);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (rl.rlim_max < need)
			rl.rlim_max = need;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			SKIP(return, "cannot raise RLIMIT_NOFILE to %lu",
			     (unsigned long)need);
	}
	for (int i = 0; i < MANY_LOCKS; i++) {
		m.fd[i] = i % 2 ? sm_rlock_create(0) : sm_lock_create(0);
		ASSERT_LE(0, m.fd[i]);
	}
	pid = spawn(acquire_all_then_pause, &m, &m.b->res[0]);
	ASSERT_LT(0, pid);
	for (int ms = 0; !__atomic_load_n(&m.b->ready, __ATOMIC_SEQ_CST); ms++) {
		ASSERT_EQ(NO_RESULT, m.b->res[0]);
		ASSERT_GT(60000 * slow_factor(), ms);
		sleep_ms(1);
	}
	ASSERT_EQ(0, kill_child(pid));
	for (int i = 0; i < MANY_LOCKS; i++) {
		int ret = i % 2 ? sm_rlock_acquire(m.fd[i], 0) :
				  sm_lock_acquire(m.fd[i], 0);

		if (ret != -EOWNERDEAD && bad++ < 5)
			TH_LOG("lock %d: %d", i, ret);
		close(m.fd[i]);
	}
	EXPECT_EQ(0, bad);
	free(m.fd);
}

/* ------------------------------------------------------- bad input */

static int dev_ioctl(unsigned long cmd, void *arg)
{
	int dev = dev_open();
	int ret;

	if (dev < 0)
		return -errno;
	ret = ioctl(dev, cmd, arg);
	if (ret < 0)
		ret = -errno;
	close(dev);
	return ret;
}

/* An ioctl's result as 0 / a value, or -errno. */
static int obj_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static int create_raw(__u32 type, __u32 flags, __u32 value, __u64 reserved)
{
	struct syncmgr_create c = {
		.type = type, .flags = flags, .value = value,
		.reserved = { reserved },
	};

	return dev_ioctl(SYNCMGR_IOC_CREATE, &c);
}

TEST(bad_create_is_einval)
{
	EXPECT_EQ(-EINVAL, create_raw(0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, create_raw(SYNCMGR_TYPE_BARRIER + 100, 0, 0, 0));
	EXPECT_EQ(-EINVAL, create_raw(SYNCMGR_TYPE_LOCK, 1U << 31, 0, 0));
	EXPECT_EQ(-EINVAL, create_raw(SYNCMGR_TYPE_LOCK, 0, 0, 1));
	EXPECT_EQ(-EINVAL, create_raw(SYNCMGR_TYPE_LOCK, 0, 1, 0));
	EXPECT_EQ(-EINVAL, create_raw(SYNCMGR_TYPE_LOCK,
				      SYNCMGR_CREATE_ACTION, 0, 0));
	EXPECT_EQ(-EINVAL, create_raw(SYNCMGR_TYPE_RLOCK,
				      SYNCMGR_CREATE_UNTRACKED, 0, 0));
	EXPECT_EQ(-EINVAL, sm_rlock_create(SM_UNTRACKED));
}

static bool cloexec(int fd)
{
	return fcntl(fd, F_GETFD) & FD_CLOEXEC;
}

TEST(create_sets_cloexec_unless_asked_not_to)
{
	int a = create_raw(SYNCMGR_TYPE_LOCK, 0, 0, 0);
	int b = create_raw(SYNCMGR_TYPE_RLOCK, SYNCMGR_CREATE_NO_CLOEXEC, 0, 0);
	struct syncmgr_state st;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_TRUE(cloexec(a));
	EXPECT_FALSE(cloexec(b));
	ASSERT_EQ(0, state_poisoned(b, &st));
	EXPECT_EQ((__u32)SYNCMGR_CREATE_NO_CLOEXEC, st.flags);
	close(a);
	close(b);
}

TEST(unknown_ioctl_is_enotty_and_foreign_one_ebadfd)
{
	int lock = sm_lock_create(0);
	struct syncmgr_wait w = { .deadline = 0 };
	struct syncmgr_count n = { .count = 1 };

	ASSERT_LE(0, lock);
	EXPECT_EQ(-ENOTTY, obj_ioctl(lock, _IO(SYNCMGR_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, obj_ioctl(lock, _IO('x', 0x11), NULL));
	EXPECT_EQ(-ENOTTY, dev_ioctl(_IO(SYNCMGR_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-EBADFD, obj_ioctl(lock, SYNCMGR_IOC_SET, NULL));
	EXPECT_EQ(-EBADFD, obj_ioctl(lock, SYNCMGR_IOC_WAIT, &w));
	EXPECT_EQ(-EBADFD, obj_ioctl(lock, SYNCMGR_IOC_NOTIFY, &n));
	EXPECT_EQ(-EBADFD, obj_ioctl(lock, SYNCMGR_IOC_ABORT, NULL));
	EXPECT_EQ(0, sm_lock_locked(lock));
	close(lock);
}

TEST(bad_wait_struct_is_einval_and_changes_nothing)
{
	int lock = sm_lock_create(0);
	struct syncmgr_wait flags = { .deadline = 0, .flags = 1 };
	struct syncmgr_wait rsv = { .deadline = 0, .reserved = 1 };

	ASSERT_LE(0, lock);
	EXPECT_EQ(-EINVAL, obj_ioctl(lock, SYNCMGR_IOC_ACQUIRE, &flags));
	EXPECT_EQ(-EINVAL, obj_ioctl(lock, SYNCMGR_IOC_ACQUIRE, &rsv));
	EXPECT_EQ(-EFAULT, obj_ioctl(lock, SYNCMGR_IOC_ACQUIRE, (void *)1));
	EXPECT_EQ(-EFAULT, obj_ioctl(lock, SYNCMGR_IOC_STATE, (void *)1));
	EXPECT_EQ(0, sm_lock_locked(lock));
	close(lock);
}

TEST(bad_release_is_einval_and_changes_nothing)
{
	const struct lock_ops *all[] = { &lock_ops, &rlock_ops };

	for (int i = 0; i < 2; i++) {
		int lock = all[i]->create(0);
		struct syncmgr_count zero = { .count = 0 };
		struct syncmgr_count two = { .count = 2 };
		struct syncmgr_count rsv = { .count = 1, .reserved = 1 };
		struct syncmgr_state st;

		ASSERT_LE(0, lock);
		ASSERT_EQ(0, all[i]->acquire(lock, 0));
		EXPECT_EQ(-EINVAL, obj_ioctl(lock, SYNCMGR_IOC_RELEASE, &zero));
		EXPECT_EQ(-EINVAL, obj_ioctl(lock, SYNCMGR_IOC_RELEASE, &two));
		EXPECT_EQ(-EINVAL, obj_ioctl(lock, SYNCMGR_IOC_RELEASE, &rsv));
		EXPECT_EQ(-EFAULT, obj_ioctl(lock, SYNCMGR_IOC_RELEASE, (void *)1));
		ASSERT_EQ(0, state_poisoned(lock, &st));
		EXPECT_EQ(1U, st.value);
		EXPECT_EQ(0, all[i]->release(lock));
		close(lock);
	}
}

int main(int argc, char **argv)
{
	/* The program a holder execs into (held_across_exec). */
	if (argc == 3 && !strcmp(argv[1], EXEC_HELPER))
		return exec_helper(argv[2]);
	return test_harness_run(argc, argv);
}
