// SPDX-License-Identifier: GPL-2.0
/*
 * Tokens that hold their object (TOKEN_HOLD): a reference sent by a
 * process that then closes its handle and exits still opens; a hold ends
 * at its first OPEN (SM_HOLD_ONCE) or its deadline, and the object is
 * freed then; bad arguments are refused.
 */
#include "common.h"

/* A child makes an Event, sets it, holds its token, sends it, exits. */
static int send_held(int sock, int64_t timeout_ns, unsigned int flags,
		     bool hold)
{
	pid_t pid = fork();

	if (!pid) {
		uint8_t tok[16];
		int ev = sm_event_create(0);

		if (ev < 0 || sm_event_set(ev))
			_exit(2);
		if (hold ? sm_token_hold(ev, tok, timeout_ns, flags) :
			   sm_token(ev, tok))
			_exit(3);
		if (write(sock, tok, sizeof(tok)) != sizeof(tok))
			_exit(4);
		close(ev);	/* the sender drops it ... */
		_exit(0);	/* ... and is gone */
	}
	return wait_child(pid, WAKE_MS);
}

static int read_token(int sock, uint8_t tok[16])
{
	return read(sock, tok, 16) == 16 ? 0 : -EIO;
}

TEST(feature_bit)
{
	struct syncmgr_version v;

	ASSERT_EQ(0, sm_version(&v));
	EXPECT_NE(0ULL, v.features & SYNCMGR_FEAT_TOKEN_HOLD);
}

TEST(survives_a_dropped_sender_opened_once)
{
	int sv[2], h, h2;
	uint8_t tok[16];

	ASSERT_EQ(0, unix_pair(sv));
	/* Without a hold, the object is gone with its sender (control). */
	ASSERT_EQ(0, send_held(sv[0], 0, 0, false));
	ASSERT_EQ(0, read_token(sv[1], tok));
	EXPECT_EQ(-ENOENT, sm_open_token(tok, 0));

	/* Held until opened once: it arrives, set as the sender left it. */
	ASSERT_EQ(0, send_held(sv[0], 10000 * MS, SM_HOLD_ONCE, true));
	ASSERT_EQ(0, read_token(sv[1], tok));
	h = sm_open_token(tok, 0);
	ASSERT_LE(0, h);
	EXPECT_EQ(1, sm_event_is_set(h));
	/* The hold ended with that open: the handle keeps it now. */
	h2 = sm_open_token(tok, 0);
	ASSERT_LE(0, h2);
	close(h2);
	close(h);
	EXPECT_EQ(-ENOENT, sm_open_token(tok, 0));
	close(sv[0]);
	close(sv[1]);
}

/* The sender SIGKILLed after sending: the held reference still opens. */
TEST(survives_a_sigkilled_sender)
{
	int sv[2], h;
	uint8_t tok[16];
	pid_t pid;

	ASSERT_EQ(0, unix_pair(sv));
	pid = fork();
	if (!pid) {
		int sem = sm_sem_create(4, 0);

		if (sem < 0 || sm_token_hold(sem, tok, 10000 * MS, SM_HOLD_ONCE) ||
		    write(sv[0], tok, sizeof(tok)) != sizeof(tok))
			_exit(2);
		for (;;)
			pause();
	}
	ASSERT_EQ(0, read_token(sv[1], tok));
	ASSERT_EQ(0, kill_child(pid));
	h = sm_open_token(tok, 0);
	ASSERT_LE(0, h);
	EXPECT_EQ(4, sm_sem_value(h));
	close(h);
	EXPECT_EQ(-ENOENT, sm_open_token(tok, 0));
	close(sv[0]);
	close(sv[1]);
}

TEST(two_holds_two_opens)
{
	uint8_t tok[16], tok2[16];
	int ev = sm_event_create(0), a, b;

	ASSERT_LE(0, ev);
	ASSERT_EQ(0, sm_token_hold(ev, tok, 10000 * MS, SM_HOLD_ONCE));
	ASSERT_EQ(0, sm_token_hold(ev, tok2, 10000 * MS, SM_HOLD_ONCE));
	EXPECT_EQ(0, memcmp(tok, tok2, 16));	/* one token per object */
	close(ev);
	a = sm_open_token(tok, 0);
	ASSERT_LE(0, a);
	close(a);
	b = sm_open_token(tok, 0);
	ASSERT_LE(0, b);
	close(b);
	EXPECT_EQ(-ENOENT, sm_open_token(tok, 0));
}

TEST(expires_at_its_deadline_and_frees)
{
	int probe = sm_lock_create(0), sem = sm_sem_create(3, 0), h;
	unsigned long before;
	uint8_t tok[16];
	int64_t t0;

	ASSERT_LE(0, probe);
	ASSERT_LE(0, sem);
	before = user_objects(probe);
	t0 = now_ns();
	ASSERT_EQ(0, sm_token_hold(sem, tok, 500 * MS, 0));
	close(sem);
	/* Not once: every open within the time works, the count kept. */
	for (int i = 0; i < 3; i++) {
		h = sm_open_token(tok, 0);
		ASSERT_LE(0, h);
		EXPECT_EQ(3, sm_sem_value(h));
		close(h);
	}
	EXPECT_EQ(before, user_objects(probe));
	/* Then it ends: ENOENT, within a bounded time after the deadline. */
	while ((h = sm_open_token(tok, 0)) >= 0) {
		close(h);
		ASSERT_GT(500 + WAKE_MS, elapsed_ms(t0));
		sleep_ms(10);
	}
	EXPECT_EQ(-ENOENT, h);
	EXPECT_LE(500, elapsed_ms(t0));
	/* The object and the hold's bytes are given back. */
	EXPECT_EQ(before - 1, user_objects(probe));
	close(probe);
}

TEST(held_reference_through_a_queue_across_processes)
{
	int *res = shared_mem(sizeof(int));
	int q = sm_queue_create(0, 0);
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, q);
	pid = fork();
	if (!pid) {
		/* The sender: a Lock, its held token on the queue, then gone. */
		uint8_t tok[16];
		int lock = sm_lock_create(SM_UNTRACKED);
		struct sm_value v;

		if (lock < 0 || sm_lock_acquire(lock, 0) ||
		    sm_token_hold(lock, tok, 10000 * MS, SM_HOLD_ONCE))
			_exit(2);
		v = sm_payload(SYNCMGR_VAL_BYTES, tok, sizeof(tok));
		_exit(sm_queue_put(q, &v, 0) ? 3 : 0);
	}
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	pid = fork();
	if (!pid) {
		/* The receiver, another process: gets it, opens it, uses it. */
		char room[64];
		struct sm_buf buf = { .data = room, .size = sizeof(room) };
		struct sm_value v;
		int lock;

		if (sm_queue_get(q, &v, &buf, 0) || v.buf.len != 16)
			_exit(2);
		lock = sm_open_token(v.buf.ptr, 0);
		if (lock < 0)
			_exit(3);
		/* Held, untracked, by the dead sender: we release it. */
		_exit(sm_lock_locked(lock) == 1 && !sm_lock_release(lock) ?
		      0 : 4);
	}
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	close(q);
}

TEST(bad_arguments)
{
	struct syncmgr_token_hold a;
	int ev = sm_event_create(0);
	uint8_t tok[16];

	ASSERT_LE(0, ev);
	EXPECT_EQ(-EINVAL, sm_token_hold(ev, tok, 0, 0));
	EXPECT_EQ(-EINVAL, sm_token_hold(ev, tok, SM_FOREVER, 0));
	EXPECT_EQ(-EINVAL, sm_token_hold(ev, tok, SYNCMGR_TOKEN_HOLD_MAX_NS +
					 1000 * MS, 0));
	EXPECT_EQ(-EINVAL, sm_token_hold(ev, tok, 1000 * MS, 2));
	memset(&a, 0, sizeof(a));
	a.deadline = now_ns() + 1000 * MS;
	a.reserved = 1;
	EXPECT_EQ(-1, ioctl(ev, SYNCMGR_IOC_TOKEN_HOLD, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved = 0;
	a.token[0] = 1;
	EXPECT_EQ(-1, ioctl(ev, SYNCMGR_IOC_TOKEN_HOLD, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(ev, SYNCMGR_IOC_TOKEN_HOLD, 8));
	EXPECT_EQ(EFAULT, errno);
	a.token[0] = 0;
	EXPECT_EQ(-ENOTTY, ioctl(dev_open(), SYNCMGR_IOC_TOKEN_HOLD, &a) < 0 ?
			   -errno : 0);
	/* None of these held it: closing frees it, the token is dead. */
	ASSERT_EQ(0, sm_token(ev, tok));
	close(ev);
	EXPECT_EQ(-ENOENT, sm_open_token(tok, 0));
}

TEST_HARNESS_MAIN
