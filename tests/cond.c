// SPDX-License-Identifier: GPL-2.0
/*
 * Condition across processes, over its default RLock, a given Lock and a
 * given RLock: wait releases the lock atomically and always returns with
 * it held again (notified, timed out, interrupted, after a holder died);
 * notify(n) moves n waiters in FIFO order, and they wake one by one as the
 * lock frees; wait_for; a producer/consumer run; handle passing.
 */
#include "common.h"

#define NPROC		4
#define TIMEOUT_MS	300
#define ITEMS		stress_rounds(300)	/* per producer */
#define SLOTS		4	/* bounded buffer */
#define NOT_HELD	(-ENOLCK)	/* a waiter came back without the lock */

struct board {
	int res[NPROC + 1];	/* result slots (spawn) */
	int order[NPROC];	/* waiters in the order they returned */
	int got;		/* waiters that returned */
	int ready;		/* waiters about to wait / holders holding */
	int inside;		/* waiters between return and release */
	int overlap;		/* two were inside at once */
	int flag;		/* the wait_for predicate */
	/* producer/consumer */
	int buf[SLOTS];
	int head, count, produced, consumed;
	long sum;
};

FIXTURE(cond)
{
	struct board *b;
	int lock;	/* -1: the condition's own RLock */
	int cond;
};

FIXTURE_VARIANT(cond)
{
	__u32 lock_type;	/* 0: default, a new RLock */
};

FIXTURE_VARIANT_ADD(cond, default_rlock) { .lock_type = 0 };
FIXTURE_VARIANT_ADD(cond, lock) { .lock_type = SYNCMGR_TYPE_LOCK };
FIXTURE_VARIANT_ADD(cond, rlock) { .lock_type = SYNCMGR_TYPE_RLOCK };

static bool recursive(const FIXTURE_VARIANT(cond) *variant)
{
	return variant->lock_type != SYNCMGR_TYPE_LOCK;
}

/* A condition of the variant's kind; *lock gets its lock's fd or -1. */
static int make_cond(const FIXTURE_VARIANT(cond) *variant, int *lock)
{
	*lock = -1;
	if (variant->lock_type == SYNCMGR_TYPE_LOCK)
		*lock = sm_lock_create(0);
	else if (variant->lock_type == SYNCMGR_TYPE_RLOCK)
		*lock = sm_rlock_create(0);
	if (variant->lock_type && *lock < 0)
		return *lock;
	return sm_cond_create(*lock, 0);
}

FIXTURE_SETUP(cond)
{
	self->b = shared_mem(sizeof(*self->b));
	ASSERT_NE(NULL, self->b);
	memset(self->b, 0, sizeof(*self->b));
	self->cond = make_cond(variant, &self->lock);
	ASSERT_LE(0, self->cond);
}

FIXTURE_TEARDOWN(cond)
{
	close(self->cond);
	if (self->lock >= 0)
		close(self->lock);
}

/* The lock's value as the condition reports it (RLock: its depth). */
static int lock_value(int cond)
{
	struct syncmgr_state st;
	int ret = state_poisoned(cond, &st);

	return ret ? ret : (int)st.value;
}

static void bump(int *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
}

/*
 * A waiter: takes the lock depth times, waits, then proves it holds the
 * lock again at full depth by releasing it that many times.
 */
struct waiter {
	int cond;
	struct board *b;
	int idx;
	int depth;
	int64_t timeout_ns;
	bool catch_sig;		/* SIGUSR1 interrupts the wait */
};

static int release_depth(int cond, int depth, bool recursive)
{
	for (int i = 0; i < depth; i++)
		if (sm_cond_release(cond))
			return NOT_HELD;
	/* An RLock is ours alone: one more release must be refused. */
	return recursive && sm_cond_release(cond) != -EPERM ? NOT_HELD : 0;
}

static int cond_waiter(void *arg)
{
	const struct waiter *w = arg;
	struct board *b = w->b;
	int ret;

	if (w->catch_sig && install_handler(SIGUSR1, false))
		return -ENOSYS;
	for (int i = 0; i < w->depth; i++)
		if (sm_cond_acquire(w->cond, SM_FOREVER))
			return -EPROTO;
	bump(&b->ready);
	ret = sm_cond_wait(w->cond, w->timeout_ns);
	b->order[__atomic_fetch_add(&b->got, 1, __ATOMIC_SEQ_CST)] = w->idx;
	if (__atomic_fetch_add(&b->inside, 1, __ATOMIC_SEQ_CST))
		b->overlap = 1;
	sleep_ms(5);
	__atomic_fetch_sub(&b->inside, 1, __ATOMIC_SEQ_CST);
	if (release_depth(w->cond, w->depth, w->depth > 1))
		return NOT_HELD;
	return ret;
}

/*
 * Starts n waiters one after the other.  A waiter holds the lock until its
 * wait releases it, so once the test has the lock the waiter is known to
 * be queued in the wait.  Returns with the lock held by the test.
 */
static bool start_waiters(FIXTURE_DATA(cond) *self, struct waiter w,
			  pid_t *pid, int n)
{
	for (int i = 0; i < n; i++) {
		w.idx = i;
		pid[i] = spawn(cond_waiter, &w, &self->b->res[i]);
		if (pid[i] < 0 || !counter_reaches(&self->b->ready, i + 1) ||
		    sm_cond_acquire(self->cond, WAKE_MS * MS))
			return false;
		if (i + 1 < n && sm_cond_release(self->cond))
			return false;
	}
	return true;
}

static struct waiter waiter_of(FIXTURE_DATA(cond) *self,
			       const FIXTURE_VARIANT(cond) *variant)
{
	return (struct waiter){ .cond = self->cond, .b = self->b,
				.depth = recursive(variant) ? 3 : 1,
				.timeout_ns = SM_FOREVER };
}

TEST_F(cond, state_reports_its_lock)
{
	struct syncmgr_state st;

	EXPECT_EQ(SYNCMGR_TYPE_CONDITION, sm_type(self->cond));
	ASSERT_EQ(0, state_poisoned(self->cond, &st));
	EXPECT_EQ((__u32)SYNCMGR_TYPE_CONDITION, st.type);
	EXPECT_EQ(0U, st.value);
	EXPECT_EQ(0U, st.status);
	EXPECT_EQ(POLLIN, poll_one(self->cond, POLLIN, 0));
	ASSERT_EQ(0, sm_cond_acquire(self->cond, 0));
	EXPECT_EQ(1, lock_value(self->cond));
	EXPECT_EQ(0, poll_one(self->cond, POLLIN, 0));
	if (self->lock >= 0)
		EXPECT_EQ(1, lock_value(self->lock));
	EXPECT_EQ(0, sm_cond_release(self->cond));
	EXPECT_EQ(0, lock_value(self->cond));
}

static int never(void *arg)
{
	return 0;
}

TEST_F(cond, wait_and_notify_without_the_lock_are_eperm)
{
	EXPECT_EQ(-EPERM, sm_cond_wait(self->cond, 0));
	EXPECT_EQ(-EPERM, sm_cond_wait(self->cond, SM_FOREVER));
	EXPECT_EQ(-EPERM, sm_cond_notify(self->cond, 1));
	EXPECT_EQ(-EPERM, sm_cond_notify_all(self->cond));
	/* As Python's: a false predicate leads to wait(), which refuses. */
	EXPECT_EQ(-EPERM, sm_cond_wait_for(self->cond, never, NULL, 0));
	EXPECT_EQ(-EPERM, sm_cond_release(self->cond));
	EXPECT_EQ(0, lock_value(self->cond));
}

/* A process holding the lock until told. */
static int hold_until_go(void *arg)
{
	struct waiter *w = arg;
	int ret = sm_cond_acquire(w->cond, SM_FOREVER);

	bump(&w->b->ready);
	while (!ret && !__atomic_load_n(&w->b->flag, __ATOMIC_SEQ_CST))
		sleep_ms(1);
	return ret ? ret : sm_cond_release(w->cond);
}

/*
 * Python: a Lock counts as held when it is locked, by anyone; an RLock
 * only when the calling thread owns it.
 */
TEST_F(cond, notify_with_the_lock_held_by_another_process)
{
	struct waiter w = waiter_of(self, variant);
	pid_t pid = spawn(hold_until_go, &w, &self->b->res[0]);

	ASSERT_LT(0, pid);
	ASSERT_TRUE(counter_reaches(&self->b->ready, 1));
	EXPECT_EQ(recursive(variant) ? -EPERM : 0,
		  sm_cond_notify(self->cond, 1));
	EXPECT_EQ(-ETIMEDOUT, sm_cond_acquire(self->cond, 0));
	bump(&self->b->flag);
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, self->b->res[0]);
}

/* Notified: returns only once the notifier released the lock, holding it. */
TEST_F(cond, notified_waiter_returns_holding_the_lock)
{
	pid_t pid[1];

	ASSERT_TRUE(start_waiters(self, waiter_of(self, variant), pid, 1));
	EXPECT_EQ(1, sm_cond_notify(self->cond, 1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(0, self->b->got);
	ASSERT_EQ(0, sm_cond_release(self->cond));
	expect_results(_metadata, pid, self->b->res, 1, 0);
	EXPECT_EQ(0, lock_value(self->cond));
}

TEST_F(cond, timeout_returns_holding_the_lock)
{
	int64_t start;
	int depth = recursive(variant) ? 3 : 1;

	for (int i = 0; i < depth; i++)
		ASSERT_EQ(0, sm_cond_acquire(self->cond, 0));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, sm_cond_wait(self->cond, TIMEOUT_MS * MS));
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_EQ(depth, lock_value(self->cond));
	EXPECT_EQ(-ETIMEDOUT, sm_cond_wait(self->cond, 0));
	EXPECT_EQ(depth, lock_value(self->cond));
	EXPECT_EQ(0, release_depth(self->cond, depth, recursive(variant)));
	EXPECT_EQ(0, lock_value(self->cond));
}

/* A timed-out waiter must still wait for the lock before returning. */
TEST_F(cond, timed_out_waiter_waits_for_the_lock)
{
	struct waiter w = waiter_of(self, variant);
	pid_t pid[1];

	w.timeout_ns = TIMEOUT_MS * MS;
	ASSERT_TRUE(start_waiters(self, w, pid, 1));
	sleep_ms(TIMEOUT_MS + BLOCKED_MS);
	EXPECT_EQ(0, self->b->got);
	EXPECT_EQ(NO_RESULT, self->b->res[0]);
	ASSERT_EQ(0, sm_cond_release(self->cond));
	expect_results(_metadata, pid, self->b->res, 1, -ETIMEDOUT);
}

TEST_F(cond, interrupted_waiter_returns_eintr_holding_the_lock)
{
	struct waiter w = waiter_of(self, variant);
	pid_t pid[1];

	w.catch_sig = true;
	ASSERT_TRUE(start_waiters(self, w, pid, 1));
	ASSERT_EQ(0, kill(pid[0], SIGUSR1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(0, self->b->got);
	ASSERT_EQ(0, sm_cond_release(self->cond));
	expect_results(_metadata, pid, self->b->res, 1, -EINTR);
}

/* notify(n) moves exactly min(n, waiting) waiters and says how many. */
TEST_F(cond, notify_n_wakes_exactly_n)
{
	pid_t pid[3];

	ASSERT_TRUE(start_waiters(self, waiter_of(self, variant), pid, 3));
	EXPECT_EQ(1, sm_cond_notify(self->cond, 1));
	ASSERT_EQ(0, sm_cond_release(self->cond));
	ASSERT_TRUE(counter_reaches(&self->b->got, 1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(1, self->b->got);

	ASSERT_EQ(0, sm_cond_acquire(self->cond, WAKE_MS * MS));
	EXPECT_EQ(2, sm_cond_notify(self->cond, 2));
	ASSERT_EQ(0, sm_cond_release(self->cond));
	expect_results(_metadata, pid, self->b->res, 3, 0);
	EXPECT_EQ(3, self->b->got);

	ASSERT_EQ(0, sm_cond_acquire(self->cond, 0));
	EXPECT_EQ(0, sm_cond_notify(self->cond, 1));
	EXPECT_EQ(0, sm_cond_notify_all(self->cond));
	EXPECT_EQ(0, sm_cond_release(self->cond));
}

/*
 * notify_all with the lock held: nobody returns until it is released,
 * then the waiters return in FIFO order, one at a time.
 */
TEST_F(cond, notify_all_wakes_all_one_by_one_in_fifo_order)
{
	pid_t pid[NPROC];

	ASSERT_TRUE(start_waiters(self, waiter_of(self, variant), pid, NPROC));
	EXPECT_EQ(NPROC, sm_cond_notify_all(self->cond));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(0, self->b->got);
	ASSERT_EQ(0, sm_cond_release(self->cond));
	expect_results(_metadata, pid, self->b->res, NPROC, 0);
	for (int i = 0; i < NPROC; i++)
		EXPECT_EQ(i, self->b->order[i]);
	EXPECT_EQ(0, self->b->overlap);
}

static int flag_is_set(void *arg)
{
	return __atomic_load_n((int *)arg, __ATOMIC_SEQ_CST);
}

/* Takes the lock (free only once the test waits), sets the flag, notifies. */
static int set_flag_and_notify(void *arg)
{
	struct waiter *w = arg;
	int ret = sm_cond_acquire(w->cond, SM_FOREVER);

	if (ret)
		return ret;
	__atomic_store_n(&w->b->flag, 1, __ATOMIC_SEQ_CST);
	ret = sm_cond_notify(w->cond, 1);
	if (sm_cond_release(w->cond))
		return NOT_HELD;
	return ret;
}

TEST_F(cond, wait_for_predicate)
{
	struct waiter w = waiter_of(self, variant);
	int *flag = &self->b->flag;
	int64_t start;
	pid_t pid;

	ASSERT_EQ(0, sm_cond_acquire(self->cond, 0));
	/* False until the time runs out: 0, lock held. */
	start = now_ns();
	EXPECT_EQ(0, sm_cond_wait_for(self->cond, flag_is_set, flag,
				      TIMEOUT_MS * MS));
	EXPECT_LE(TIMEOUT_MS, elapsed_ms(start));
	EXPECT_EQ(1, lock_value(self->cond));

	/* Made true by another process while we wait. */
	pid = spawn(set_flag_and_notify, &w, &self->b->res[0]);
	ASSERT_LT(0, pid);
	start = now_ns();
	EXPECT_EQ(1, sm_cond_wait_for(self->cond, flag_is_set, flag,
				      2 * WAKE_MS * MS));
	EXPECT_GT(WAKE_MS, elapsed_ms(start));
	EXPECT_EQ(1, lock_value(self->cond));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(1, self->b->res[0]);

	/* Already true: no wait at all. */
	EXPECT_EQ(1, sm_cond_wait_for(self->cond, flag_is_set, flag, 0));
	EXPECT_EQ(0, sm_cond_release(self->cond));
}

/* Producer/consumer over a bounded buffer, every wait bounded. */
static bool can_put(void *arg)
{
	return ((struct board *)arg)->count < SLOTS;
}

static bool can_get(void *arg)
{
	struct board *b = arg;

	return b->count > 0 || b->consumed == 2 * ITEMS;
}

static int wait_until(int cond, bool (*pred)(void *), struct board *b)
{
	while (!pred(b)) {
		int ret = sm_cond_wait(cond, WAKE_MS * MS);

		if (ret && ret != -EOWNERDEAD)
			return ret;
	}
	return 0;
}

static int produce(void *arg)
{
	struct waiter *w = arg;
	struct board *b = w->b;
	int ret = 0;

	for (int i = 1; i <= ITEMS && !ret; i++) {
		if (sm_cond_acquire(w->cond, SM_FOREVER))
			return -EPROTO;
		ret = wait_until(w->cond, can_put, b);
		if (!ret) {
			b->buf[(b->head + b->count) % SLOTS] = i;
			b->count++;
			b->produced++;
			ret = sm_cond_notify_all(w->cond) < 0 ? -EPROTO : 0;
		}
		if (sm_cond_release(w->cond))
			return NOT_HELD;
	}
	return ret;
}

static int consume(void *arg)
{
	struct waiter *w = arg;
	struct board *b = w->b;
	int ret = 0;

	while (!ret) {
		if (sm_cond_acquire(w->cond, SM_FOREVER))
			return -EPROTO;
		ret = wait_until(w->cond, can_get, b);
		if (!ret && b->count == 0) {
			sm_cond_release(w->cond);
			return 0;	/* all consumed */
		}
		if (!ret) {
			b->sum += b->buf[b->head];
			b->head = (b->head + 1) % SLOTS;
			b->count--;
			b->consumed++;
			ret = sm_cond_notify_all(w->cond) < 0 ? -EPROTO : 0;
		}
		if (sm_cond_release(w->cond))
			return NOT_HELD;
	}
	return ret;
}

TEST_F_TIMEOUT(cond, producer_consumer_stress, 60)
{
	struct waiter w = waiter_of(self, variant);
	int (*role[NPROC])(void *) = { produce, consume, produce, consume };
	pid_t pid[NPROC];

	for (int i = 0; i < NPROC; i++) {
		pid[i] = spawn(role[i], &w, &self->b->res[i]);
		ASSERT_LT(0, pid[i]);
	}
	for (int i = 0; i < NPROC; i++) {
		EXPECT_EQ(0, wait_child(pid[i], 50000));
		EXPECT_EQ(0, self->b->res[i]);
	}
	EXPECT_EQ(2 * ITEMS, self->b->produced);
	EXPECT_EQ(2 * ITEMS, self->b->consumed);
	EXPECT_EQ(0, self->b->count);
	EXPECT_EQ((long)ITEMS * (ITEMS + 1), self->b->sum);
	EXPECT_EQ(0, lock_value(self->cond));
}

/* Takes the lock, notifies one waiter onto it, then waits to be killed. */
static int notify_and_hold(void *arg)
{
	struct waiter *w = arg;
	int ret = sm_cond_acquire(w->cond, SM_FOREVER);

	if (ret)
		return ret;
	ret = sm_cond_notify(w->cond, 1);
	bump(&w->b->flag);
	for (;;)
		pause();
	return ret;
}

/*
 * The holder of the lock dies after notifying: the waiter gets the lock
 * (0, or EOWNERDEAD: a spurious wake-up) and really holds it.
 */
TEST_F(cond, waiter_gets_the_lock_of_a_dead_holder)
{
	struct waiter w = waiter_of(self, variant);
	pid_t pid[1], holder;

	w.depth = 1;
	ASSERT_TRUE(start_waiters(self, w, pid, 1));
	ASSERT_EQ(0, sm_cond_release(self->cond));
	holder = spawn(notify_and_hold, &w, &self->b->res[NPROC]);
	ASSERT_LT(0, holder);
	ASSERT_TRUE(counter_reaches(&self->b->flag, 1));
	sleep_ms(BLOCKED_MS);
	EXPECT_EQ(0, self->b->got);
	ASSERT_EQ(0, kill_child(holder));
	ASSERT_EQ(0, wait_child(pid[0], WAKE_MS));
	EXPECT_TRUE(self->b->res[0] == 0 || self->b->res[0] == -EOWNERDEAD) {
		TH_LOG("wait returned %d", self->b->res[0]);
	}
	EXPECT_EQ(0, sm_cond_acquire(self->cond, 0));
	EXPECT_EQ(0, sm_cond_release(self->cond));
}

/* A process that got only the condition, over a socket. */
static int recv_and_wait(void *arg)
{
	struct waiter w = *(struct waiter *)arg;

	w.cond = recv_one(w.idx);	/* idx carries the socket */
	if (w.cond < 0)
		return w.cond;
	return cond_waiter(&w);
}

TEST_F(cond, condition_received_over_socket_works)
{
	struct waiter w = waiter_of(self, variant);
	int sv[2], cond, lock;
	pid_t pid;

	ASSERT_EQ(0, unix_pair(sv));
	w.idx = sv[1];
	pid = spawn(recv_and_wait, &w, &self->b->res[0]);
	ASSERT_LT(0, pid);
	cond = make_cond(variant, &lock);	/* created after the fork */
	ASSERT_LE(0, cond);
	if (lock >= 0)
		close(lock);
	ASSERT_EQ(1, sm_send_handles(sv[0], &cond, 1));
	ASSERT_TRUE(counter_reaches(&self->b->ready, 1));
	ASSERT_EQ(0, sm_cond_acquire(cond, WAKE_MS * MS));
	EXPECT_EQ(1, sm_cond_notify(cond, 1));
	ASSERT_EQ(0, sm_cond_release(cond));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(0, self->b->res[0]);
	close(cond);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(cond, condition_keeps_its_lock_alive)
{
	if (self->lock < 0)
		SKIP(return, "the default lock has no fd of its own");
	close(self->lock);
	self->lock = -1;
	ASSERT_EQ(0, sm_cond_acquire(self->cond, 0));
	EXPECT_EQ(1, lock_value(self->cond));
	EXPECT_EQ(-ETIMEDOUT, sm_cond_wait(self->cond, 10 * MS));
	EXPECT_EQ(1, lock_value(self->cond));
	EXPECT_EQ(0, sm_cond_release(self->cond));
	EXPECT_EQ(POLLIN, poll_one(self->cond, POLLIN, 0));
}

/* Two conditions over one lock share it. */
TEST_F(cond, two_conditions_share_one_lock)
{
	int other;

	if (self->lock < 0)
		SKIP(return, "the default lock has no fd of its own");
	other = sm_cond_create(self->lock, 0);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, sm_cond_acquire(other, 0));
	EXPECT_EQ(1, lock_value(self->cond));
	EXPECT_EQ(0, sm_cond_notify(self->cond, 1));
	EXPECT_EQ(0, sm_cond_release(self->cond));
	EXPECT_EQ(0, lock_value(other));
	close(other);
}

TEST(condition_over_a_non_lock_is_refused)
{
	int sem = sm_sem_create(1, 0);

	ASSERT_LE(0, sem);
	EXPECT_EQ(-EBADFD, sm_cond_create(sem, 0));
	EXPECT_EQ(-EBADF, sm_cond_create(1000, 0));
	close(sem);
}

TEST_HARNESS_MAIN
