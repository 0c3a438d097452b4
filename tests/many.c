// SPDX-License-Identifier: GPL-2.0
/*
 * WAIT_ANY and WAIT_ALL across processes: the lowest ready index taken,
 * all or nothing under contention, dead holders reported per object,
 * timeouts and signals against an absolute deadline, 64 objects, and bad
 * lists refused with nothing changed.
 */
#include "common.h"

static struct sm_wait_obj wobj(int fd)
{
	return (struct sm_wait_obj){ .fd = fd };
}

/* n Semaphores with the given counts. */
static void make_sems(int *s, const unsigned int *counts, int n)
{
	for (int i = 0; i < n; i++)
		s[i] = sm_sem_create(counts ? counts[i] : 0, 0);
}

static void fill(struct sm_wait_obj *o, const int *fd, int n)
{
	for (int i = 0; i < n; i++)
		o[i] = wobj(fd[i]);
}

static int raw_wait(int dev, unsigned long cmd, struct syncmgr_wait_many *a)
{
	return ioctl(dev, cmd, a) < 0 ? -errno : 0;
}

TEST(feature_bit)
{
	struct syncmgr_version v;

	ASSERT_EQ(0, sm_version(&v));
	EXPECT_NE(0ULL, v.features & SYNCMGR_FEAT_WAIT_MANY);
}

TEST(bad_lists_refused_nothing_taken)
{
	struct sm_wait_obj o[SM_WAIT_MAX + 1];
	struct syncmgr_wait_many a;
	int dev = dev_open(), lock = sm_lock_create(0);
	int sem = sm_sem_create(1, 0), dup_sem = dup(sem);
	int bar = sm_barrier_create(2, 0, 0);
	int q = sm_queue_create(0, 0);
	int pipefd[2];

	ASSERT_LE(0, dev);
	ASSERT_LE(0, lock);
	ASSERT_LE(0, sem);
	ASSERT_LE(0, bar);
	ASSERT_EQ(0, pipe(pipefd));

	/* Duplicates: the same fd twice, and two fds of one object. */
	o[0] = wobj(lock);
	o[1] = wobj(sem);
	o[2] = wobj(sem);
	EXPECT_EQ(-EINVAL, sm_wait_any(o, 3, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_wait_all(o, 3, 0, NULL));
	o[2] = wobj(dup_sem);
	EXPECT_EQ(-EINVAL, sm_wait_any(o, 3, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_wait_all(o, 3, 0, NULL));
	/* Kinds a wait does not take; flags not of the kind. */
	o[2] = wobj(bar);
	EXPECT_EQ(-EBADFD, sm_wait_any(o, 3, 0, NULL));
	o[2] = wobj(pipefd[0]);
	EXPECT_EQ(-EBADFD, sm_wait_any(o, 3, 0, NULL));
	o[2] = wobj(1000);
	EXPECT_EQ(-EBADF, sm_wait_all(o, 3, 0, NULL));
	o[2] = wobj(lock);
	o[2].flags = SM_WAIT_PUT;
	o[0] = wobj(q);
	EXPECT_EQ(-EINVAL, sm_wait_any(o, 3, 0, NULL));
	o[2].flags = 2;
	o[2].fd = q;
	o[0] = wobj(lock);
	EXPECT_EQ(-EINVAL, sm_wait_any(o, 3, 0, NULL));
	/* Nothing was taken by any of these. */
	EXPECT_EQ(0, sm_lock_locked(lock));
	EXPECT_EQ(1, sm_sem_value(sem));

	/* The struct itself: count, flags, reserved, died, pointers. */
	o[0] = wobj(lock);
	memset(&a, 0, sizeof(a));
	a.objs = (uintptr_t)o;
	a.deadline = 0;
	a.count = 0;
	EXPECT_EQ(-EINVAL, raw_wait(dev, SYNCMGR_IOC_WAIT_ANY, &a));
	a.count = SM_WAIT_MAX + 1;
	EXPECT_EQ(-EINVAL, raw_wait(dev, SYNCMGR_IOC_WAIT_ALL, &a));
	a.count = 1;
	a.flags = 1;
	EXPECT_EQ(-EINVAL, raw_wait(dev, SYNCMGR_IOC_WAIT_ANY, &a));
	a.flags = 0;
	a.reserved = 1;
	EXPECT_EQ(-EINVAL, raw_wait(dev, SYNCMGR_IOC_WAIT_ANY, &a));
	a.reserved = 0;
	a.died = 1;
	EXPECT_EQ(-EINVAL, raw_wait(dev, SYNCMGR_IOC_WAIT_ANY, &a));
	a.died = 0;
	a.objs = 8;
	EXPECT_EQ(-EFAULT, raw_wait(dev, SYNCMGR_IOC_WAIT_ANY, &a));
	a.objs = (uintptr_t)o;
	EXPECT_EQ(-EFAULT, ioctl(dev, SYNCMGR_IOC_WAIT_ANY, 8) < 0 ? -errno : 0);
	EXPECT_EQ(-ENOTTY, ioctl(lock, SYNCMGR_IOC_WAIT_ANY, &a) < 0 ?
			   -errno : 0);
	EXPECT_EQ(0, sm_lock_locked(lock));
	/* And the same struct, well formed, works. */
	EXPECT_EQ(0, raw_wait(dev, SYNCMGR_IOC_WAIT_ANY, &a));
	EXPECT_EQ(1, sm_lock_locked(lock));
	EXPECT_EQ(0ULL, a.died);
	close(dev);
	close(lock);
	close(sem);
	close(dup_sem);
	close(bar);
	close(q);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST(lowest_ready_index_taken_one_at_a_time)
{
	static const unsigned int counts[5] = { 0, 0, 1, 0, 2 };
	struct sm_wait_obj o[5];
	int s[5];

	make_sems(s, counts, 5);
	fill(o, s, 5);
	EXPECT_EQ(2, sm_wait_any(o, 5, 0, NULL));
	EXPECT_EQ(0, sm_sem_value(s[2]));
	EXPECT_EQ(2, sm_sem_value(s[4]));
	EXPECT_EQ(4, sm_wait_any(o, 5, 0, NULL));
	EXPECT_EQ(4, sm_wait_any(o, 5, 0, NULL));
	EXPECT_EQ(-ETIMEDOUT, sm_wait_any(o, 5, 0, NULL));
	/* An Event is observed, not taken: it stays set and keeps winning. */
	do {
		int ev = sm_event_create(0);
		struct sm_wait_obj eo[2] = { wobj(s[0]), wobj(ev) };

		ASSERT_EQ(0, sm_event_set(ev));
		EXPECT_EQ(1, sm_wait_any(eo, 2, 0, NULL));
		EXPECT_EQ(1, sm_wait_any(eo, 2, 0, NULL));
		EXPECT_EQ(1, sm_event_is_set(ev));
		ASSERT_EQ(0, sm_sem_release(s[0], 1));
		EXPECT_EQ(0, sm_wait_any(eo, 2, 0, NULL));
		close(ev);
	} while (0);
	for (int i = 0; i < 5; i++)
		close(s[i]);
}

struct many_call {
	struct sm_wait_obj o[SM_WAIT_MAX];
	int n;
	bool all;
	int64_t timeout_ns;
	uint64_t deadline;	/* used when timeout_ns is 0 */
	int catch_sig;
	bool restart;
	uint64_t *died;		/* shared memory, or NULL */
};

static int many_run(void *arg)
{
	struct many_call *c = arg;

	if (c->catch_sig && install_handler(c->catch_sig, c->restart))
		return -ENOSYS;
	if (!c->timeout_ns)
		return c->all ? sm_wait_all_until(c->o, c->n, c->deadline, c->died)
			      : sm_wait_any_until(c->o, c->n, c->deadline, c->died);
	return c->all ? sm_wait_all(c->o, c->n, c->timeout_ns, c->died) :
			sm_wait_any(c->o, c->n, c->timeout_ns, c->died);
}

/* A child blocked in c, known to be once the first object counts it. */
static pid_t spawn_many(struct many_call *c, int *res, unsigned int n_before)
{
	pid_t pid = spawn(many_run, c, res);

	if (pid > 0 && !wait_waiters(c->o[0].fd, n_before + 1)) {
		kill_child(pid);
		return -1;
	}
	return pid;
}

TEST(any_across_processes_each_kind_wakes)
{
	int *res = shared_mem(sizeof(int));
	int lock = sm_lock_create(0), sem = sm_sem_create(0, 0);
	int ev = sm_event_create(0), q = sm_queue_create(1, 0);
	struct sm_value v = sm_int(7);
	struct many_call c = { .n = 4, .timeout_ns = SM_FOREVER };
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	c.o[0] = wobj(lock);
	c.o[1] = wobj(sem);
	c.o[2] = wobj(ev);
	c.o[3] = wobj(q);

	/* Each kind in turn is the one that wakes the waiter. */
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, sm_queue_put(q, &v, 0));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(3, *res);
	EXPECT_EQ(1, sm_queue_qsize(q));	/* observed, not taken */

	c.o[3].flags = 0;
	c.n = 3;
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, sm_sem_release(sem, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(1, *res);
	EXPECT_EQ(0, sm_sem_value(sem));	/* taken by the child */

	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, sm_lock_release(lock));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_EQ(1, sm_lock_locked(lock));	/* the child took it */
	ASSERT_EQ(0, sm_lock_release(lock));
	/* Released by anyone, the abandoned Lock hands no death on. */
	do {
		uint64_t died = 0;

		EXPECT_EQ(0, sm_wait_any(c.o, 3, 0, &died));
		EXPECT_EQ(0ULL, died);
	} while (0);

	c.o[0] = wobj(sem);
	c.o[1] = wobj(ev);
	c.n = 2;
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, sm_event_set(ev));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(1, *res);

	/* Queue not full: SM_WAIT_PUT wakes when a get makes room. */
	do {
		char room[64];
		struct sm_value out;
		struct sm_buf buf = { .data = room, .size = sizeof(room) };

		c.o[0] = wobj(q);
		c.o[0].flags = SM_WAIT_PUT;
		c.n = 1;
		pid = spawn_many(&c, res, 0);
		ASSERT_LT(0, pid);
		EXPECT_TRUE(still_running(pid, BLOCKED_MS));
		ASSERT_EQ(0, sm_queue_get(q, &out, &buf, 0));
		EXPECT_EQ(0, wait_child(pid, WAKE_MS));
		EXPECT_EQ(0, *res);
	} while (0);
	close(lock);
	close(sem);
	close(ev);
	close(q);
}

TEST(sixty_four_objects)
{
	int *res = shared_mem(sizeof(int));
	struct many_call c = { .n = SM_WAIT_MAX, .timeout_ns = SM_FOREVER };
	unsigned int ones[SM_WAIT_MAX];
	int s[SM_WAIT_MAX];
	pid_t pid;

	ASSERT_NE(NULL, res);
	make_sems(s, NULL, SM_WAIT_MAX);
	for (int i = 0; i < SM_WAIT_MAX; i++) {
		ASSERT_LE(0, s[i]);
	}
	fill(c.o, s, SM_WAIT_MAX);
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(wait_waiters(s[SM_WAIT_MAX - 1], 1));
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, sm_sem_release(s[SM_WAIT_MAX - 1], 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(SM_WAIT_MAX - 1, *res);
	EXPECT_EQ(0, sm_sem_value(s[SM_WAIT_MAX - 1]));

	/* All 64 at once, and then none is left. */
	for (int i = 0; i < SM_WAIT_MAX; i++) {
		ones[i] = 1;
		close(s[i]);
	}
	make_sems(s, ones, SM_WAIT_MAX);
	fill(c.o, s, SM_WAIT_MAX);
	EXPECT_EQ(0, sm_wait_all(c.o, SM_WAIT_MAX, 0, NULL));
	for (int i = 0; i < SM_WAIT_MAX; i++) {
		EXPECT_EQ(0, sm_sem_value(s[i]));
	}
	EXPECT_EQ(-ETIMEDOUT, sm_wait_any(c.o, SM_WAIT_MAX, 0, NULL));
	for (int i = 0; i < SM_WAIT_MAX; i++)
		close(s[i]);
}

TEST(all_or_nothing)
{
	int *res = shared_mem(sizeof(int));
	int a = sm_lock_create(0), b = sm_lock_create(0);
	int sem = sm_sem_create(1, 0);
	struct many_call c = { .n = 3, .all = true, .timeout_ns = SM_FOREVER };
	struct syncmgr_state st;
	pid_t pid;

	ASSERT_NE(NULL, res);
	c.o[0] = wobj(a);
	c.o[1] = wobj(sem);
	c.o[2] = wobj(b);
	ASSERT_EQ(0, sm_lock_acquire(b, 0));
	/* b is held: nothing is taken, not a, not the unit. */
	EXPECT_EQ(-ETIMEDOUT, sm_wait_all(c.o, 3, 0, NULL));
	EXPECT_EQ(0, sm_lock_locked(a));
	EXPECT_EQ(1, sm_sem_value(sem));

	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	/* While it waits, a and the unit stay free for anyone. */
	EXPECT_EQ(0, sm_lock_locked(a));
	EXPECT_EQ(0, sm_lock_acquire(a, 0));
	EXPECT_EQ(0, sm_lock_release(a));
	EXPECT_EQ(1, sm_sem_value(sem));
	ASSERT_EQ(0, sm_lock_release(b));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	/* The child took all three (and died holding the Locks). */
	EXPECT_EQ(0, sm_sem_value(sem));
	EXPECT_EQ(0, sm_state(a, &st));
	EXPECT_EQ(1U, st.value);
	EXPECT_EQ(0, sm_state(b, &st));
	EXPECT_EQ(1U, st.value);
	close(a);
	close(b);
	close(sem);
}

/*
 * Contention: one process per Lock takes it alone, over and over, while
 * wait-all processes take both.  Each marks what it holds in shared
 * memory; a holder that finds a mark of someone else on a Lock it just
 * took has seen a Lock held twice, and a wait-all that finds one has
 * seen a partial acquisition.
 */
struct contention {
	int lock[2];
	int held[2];		/* 1 while someone holds lock[i] */
	int bad;		/* overlaps seen */
	int done;		/* the wait-all rounds finished */
	int stop;
};

static void hold(struct contention *k, int i)
{
	if (__atomic_exchange_n(&k->held[i], 1, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&k->bad, 1, __ATOMIC_SEQ_CST);
}

static void unhold(struct contention *k, int i)
{
	__atomic_store_n(&k->held[i], 0, __ATOMIC_SEQ_CST);
}

static int single_taker(struct contention *k, int i)
{
	while (!__atomic_load_n(&k->stop, __ATOMIC_SEQ_CST)) {
		if (sm_lock_acquire(k->lock[i], SM_FOREVER) < 0)
			return -1;
		hold(k, i);
		usleep(50);
		unhold(k, i);
		sm_lock_release(k->lock[i]);
		usleep(200);
	}
	return 0;
}

static int taker0(void *arg)
{
	return single_taker(arg, 0);
}

static int taker1(void *arg)
{
	return single_taker(arg, 1);
}

#define ALL_ROUNDS	200

static int all_taker(void *arg)
{
	struct contention *k = arg;
	struct sm_wait_obj o[2] = { wobj(k->lock[0]), wobj(k->lock[1]) };

	for (int r = 0; r < stress_rounds(ALL_ROUNDS); r++) {
		int ret = sm_wait_all(o, 2, 10000 * MS, NULL);

		if (ret < 0)
			return ret;
		hold(k, 0);
		hold(k, 1);
		unhold(k, 0);
		unhold(k, 1);
		sm_lock_release(k->lock[0]);
		sm_lock_release(k->lock[1]);
		__atomic_add_fetch(&k->done, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

FIXTURE(contention) {};
FIXTURE_SETUP(contention) {}
FIXTURE_TEARDOWN(contention) {}

TEST_F_TIMEOUT(contention, all_or_nothing, 120)
{
	struct contention *k = shared_mem(sizeof(*k));
	int *res = shared_mem(4 * sizeof(int));
	pid_t pid[4];

	ASSERT_NE(NULL, k);
	ASSERT_NE(NULL, res);
	k->lock[0] = sm_lock_create(0);
	k->lock[1] = sm_lock_create(0);
	pid[0] = spawn(taker0, k, &res[0]);
	pid[1] = spawn(taker1, k, &res[1]);
	pid[2] = spawn(all_taker, k, &res[2]);
	pid[3] = spawn(all_taker, k, &res[3]);
	EXPECT_EQ(0, wait_child(pid[2], 100000));
	EXPECT_EQ(0, wait_child(pid[3], 100000));
	__atomic_store_n(&k->stop, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(0, wait_child(pid[0], WAKE_MS));
	EXPECT_EQ(0, wait_child(pid[1], WAKE_MS));
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(0, res[i]);
	}
	EXPECT_EQ(2 * stress_rounds(ALL_ROUNDS), k->done);
	EXPECT_EQ(0, k->bad);
	close(k->lock[0]);
	close(k->lock[1]);
}

/* Takes the Locks of arg (a -1 ended list), reports, then waits to die. */
static int hold_and_sleep(void *arg)
{
	int *locks = arg;

	for (int i = 0; locks[i] >= 0; i++)
		if (sm_lock_acquire(locks[i], 0))
			return -1;
	__atomic_store_n(&locks[SM_WAIT_MAX], 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return 0;
}

static bool spawn_holder(int *locks, pid_t *pid)
{
	int64_t end = now_ns() + WAKE_MS * MS;

	locks[SM_WAIT_MAX] = 0;
	*pid = spawn(hold_and_sleep, locks, NULL);
	while (!__atomic_load_n(&locks[SM_WAIT_MAX], __ATOMIC_SEQ_CST)) {
		if (now_ns() > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

TEST(holder_killed_owner_death_per_object)
{
	int *locks = shared_mem((SM_WAIT_MAX + 1) * sizeof(int));
	int *res = shared_mem(sizeof(int));
	uint64_t *died = shared_mem(sizeof(*died));
	int l1 = sm_lock_create(0), l2 = sm_rlock_create(0);
	int sem = sm_sem_create(0, 0), ev = sm_event_create(0);
	struct many_call c = { .timeout_ns = SM_FOREVER };
	pid_t holder, pid;

	ASSERT_NE(NULL, locks);
	ASSERT_NE(NULL, died);
	/* wait-any over [sem, l1]: l1's holder is killed. */
	locks[0] = l1;
	locks[1] = -1;
	ASSERT_TRUE(spawn_holder(locks, &holder));
	c.o[0] = wobj(sem);
	c.o[1] = wobj(l1);
	c.n = 2;
	c.died = died;
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, kill_child(holder));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(1, *res);
	EXPECT_EQ(2ULL, *died);
	/* The waiter died holding l1 in turn. */
	EXPECT_EQ(1, sm_lock_locked(l1));
	EXPECT_EQ(0, sm_lock_release(l1));

	/* wait-all over [l1, ev, l2]: both Locks' holder is killed. */
	locks[0] = l1;
	locks[1] = l2;
	locks[2] = -1;
	ASSERT_TRUE(spawn_holder(locks, &holder));
	c.o[0] = wobj(l1);
	c.o[1] = wobj(ev);
	c.o[2] = wobj(l2);
	c.n = 3;
	c.all = true;
	*died = ~0ULL;
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, sm_event_set(ev));
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));	/* l1 still held */
	ASSERT_EQ(0, kill_child(holder));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(-EOWNERDEAD, *res);
	EXPECT_EQ(5ULL, *died);

	/* Now l1 (abandoned by that waiter) and l2 (freed: an RLock). */
	do {
		uint64_t d = 0;
		struct sm_wait_obj o[2] = { wobj(l1), wobj(l2) };

		EXPECT_EQ(-EOWNERDEAD, sm_wait_all(o, 2, 0, &d));
		EXPECT_EQ(3ULL, d);
	} while (0);
	close(l1);
	close(l2);
	close(sem);
	close(ev);
}

TEST(timeouts)
{
	int *res = shared_mem(sizeof(int));
	int sem = sm_sem_create(0, 0), ev = sm_event_create(0);
	struct many_call c = { .n = 2, .timeout_ns = 200 * MS };
	int64_t t0;
	pid_t pid;

	ASSERT_NE(NULL, res);
	c.o[0] = wobj(sem);
	c.o[1] = wobj(ev);
	for (int all = 0; all < 2; all++) {
		c.all = all;
		t0 = now_ns();
		pid = spawn(many_run, &c, res);
		ASSERT_LT(0, pid);
		EXPECT_EQ(0, wait_child(pid, 200 + WAKE_MS));
		EXPECT_EQ(-ETIMEDOUT, *res);
		EXPECT_LE(200, elapsed_ms(t0));
	}
	/* A deadline in the past: no block, ETIMEDOUT; negative: EINVAL. */
	EXPECT_EQ(-ETIMEDOUT, sm_wait_any_until(c.o, 2, 1, NULL));
	EXPECT_EQ(-ETIMEDOUT, sm_wait_all_until(c.o, 2, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_wait_any(c.o, 2, -5, NULL));
	/* Ready within the timeout: the wait ends early. */
	c.all = true;
	c.timeout_ns = 5000 * MS;
	ASSERT_EQ(0, sm_event_set(ev));
	pid = spawn_many(&c, res, 0);
	ASSERT_LT(0, pid);
	t0 = now_ns();
	ASSERT_EQ(0, sm_sem_release(sem, 1));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, *res);
	EXPECT_GT(4000, elapsed_ms(t0));
	close(sem);
	close(ev);
}

TEST(signals_resume_without_stretching)
{
	int *res = shared_mem(sizeof(int));
	int sem = sm_sem_create(0, 0), lock = sm_lock_create(0);
	struct many_call c = { .n = 2, .catch_sig = SIGUSR1 };
	int64_t t0;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, sm_lock_acquire(lock, 0));
	c.o[0] = wobj(sem);
	c.o[1] = wobj(lock);
	for (int all = 0; all < 2; all++) {
		/* Without SA_RESTART: EINTR, long before the deadline. */
		c.all = all;
		c.restart = false;
		c.deadline = sm_deadline(10000 * MS);
		pid = spawn_many(&c, res, 0);
		ASSERT_LT(0, pid);
		EXPECT_TRUE(still_running(pid, BLOCKED_MS));
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		EXPECT_EQ(0, wait_child(pid, WAKE_MS));
		EXPECT_EQ(-EINTR, *res);

		/*
		 * With SA_RESTART: restarted, and still ends at the first
		 * deadline (600 ms), not 600 ms after the signal.
		 */
		c.restart = true;
		t0 = now_ns();
		c.deadline = t0 + 600 * MS;
		pid = spawn_many(&c, res, 0);
		ASSERT_LT(0, pid);
		sleep_ms(300);
		ASSERT_EQ(0, kill(pid, SIGUSR1));
		EXPECT_EQ(0, wait_child(pid, WAKE_MS));
		EXPECT_EQ(-ETIMEDOUT, *res);
		EXPECT_LE(600, elapsed_ms(t0));
		EXPECT_GT(900 * slow_factor(), elapsed_ms(t0));
	}
	EXPECT_EQ(0, sm_sem_value(sem));
	EXPECT_EQ(1, sm_lock_locked(lock));
	close(sem);
	close(lock);
}

/*
 * Fairness: every unit released serves exactly one waiter, whether it
 * waits on that object alone or among others; none is lost, none taken
 * twice.
 */
TEST(each_release_serves_exactly_one)
{
	int *res = shared_mem(8 * sizeof(int));
	int a = sm_sem_create(0, 0), b = sm_sem_create(0, 0);
	struct many_call c = { .n = 2, .timeout_ns = SM_FOREVER };
	struct timed_call plain = { .op = sm_sem_acquire, .handle = a,
				    .timeout_ns = SM_FOREVER };
	int seen[2] = { 0, 0 };
	pid_t pid[8];

	ASSERT_NE(NULL, res);
	c.o[0] = wobj(a);
	c.o[1] = wobj(b);
	for (int i = 0; i < 6; i++) {
		pid[i] = spawn_many(&c, &res[i], i);
		ASSERT_LT(0, pid[i]);
	}
	pid[6] = spawn_waiter(&plain, &res[6], 7);
	pid[7] = spawn_waiter(&plain, &res[7], 8);
	ASSERT_LT(0, pid[6]);
	ASSERT_LT(0, pid[7]);
	/* 4 units of a, 4 of b: 8 waiters, 8 units. */
	ASSERT_EQ(0, sm_sem_release(b, 1));
	ASSERT_EQ(0, sm_sem_release(a, 2));
	ASSERT_EQ(0, sm_sem_release(b, 3));
	ASSERT_EQ(0, sm_sem_release(a, 2));
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(0, wait_child(pid[i], WAKE_MS));
		if (i < 6) {
			ASSERT_TRUE(res[i] == 0 || res[i] == 1);
			seen[res[i]]++;
		} else {
			EXPECT_EQ(0, res[i]);
			seen[0]++;
		}
	}
	EXPECT_EQ(4, seen[0]);
	EXPECT_EQ(4, seen[1]);
	EXPECT_EQ(0, sm_sem_value(a));
	EXPECT_EQ(0, sm_sem_value(b));
	close(a);
	close(b);
}

TEST(rlock_owned_recurses)
{
	int r = sm_rlock_create(0), sem = sm_sem_create(0, 0);
	struct sm_wait_obj o[2] = { wobj(sem), wobj(r) };
	struct syncmgr_state st;

	ASSERT_EQ(0, sm_rlock_acquire(r, 0));
	EXPECT_EQ(1, sm_wait_any(o, 2, 0, NULL));
	EXPECT_EQ(0, sm_state(r, &st));
	EXPECT_EQ(2U, st.value);
	EXPECT_EQ(0, sm_rlock_release(r));
	EXPECT_EQ(0, sm_rlock_release(r));
	EXPECT_EQ(-EPERM, sm_rlock_release(r));
	close(r);
	close(sem);
}

TEST_HARNESS_MAIN
