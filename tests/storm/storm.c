// SPDX-License-Identifier: GPL-2.0
/*
 * storm: a kill storm over shared objects of every kind.
 *
 * The parent creates one or more objects of every kind (Lock, RLock, a
 * Condition over a Lock, over an RLock and over its own RLock, Semaphore,
 * BoundedSemaphore, Event, a Barrier with and without action, a Queue of
 * unique ids, a Queue of handles, Values, Arrays, a dict, a dict holding a
 * list holding a Lock, a list, a list of handles, a Namespace) and forks
 * W workers that loop doing random operations on them, every wait with a
 * short deadline.  Each round the parent SIGKILLs one or more random
 * workers at random moments and forks replacements, then pauses the
 * workers and checks that nothing is stuck: no object has a waiter left,
 * no barrier is left in an action, every lock can be taken at once.
 * After the rounds it checks:
 *  - no hang: every call a worker made returned within HANG_MS (a
 *    watchdog reports the call, with the task's kernel stack), every
 *    killed worker was reaped, every worker stopped when told;
 *  - every result was one the call may return;
 *  - locks: each Lock, RLock and Condition lock can be acquired by the
 *    parent and by a new process; the EOWNERDEAD reports add up to the
 *    kills of workers that held (surely) or may have held the lock;
 *  - semaphores: units lost are those killed workers held (surely or
 *    maybe); the count goes back to its start and no higher;
 *  - Event, Barrier (reset, then a full cycle with its action) usable;
 *  - queue items conserved exactly (see "Queue conservation" below);
 *  - Value and Array counters: every add acknowledged is there, plus at
 *    most one per worker killed inside an add; dict, list, Namespace and
 *    the nested containers hold only what the workers store;
 *  - after closing everything, the user's object count and charged bytes
 *    are back where they were (fdinfo, polled for a bounded time).
 * The guest runner then checks a clean rmmod and kernel log.
 *
 * Queue conservation.  Every id is unique (a shared counter).  A putter
 * marks its ids MAYBE in a shared table before the PUT and PUT (or NOT
 * put) after it returns, so an id left MAYBE belongs to a putter killed
 * during its PUT.  A getter receives straight into its own MAP_SHARED
 * region: the GET's output buffer is the region's next free entries (the
 * region is poisoned and pre-faulted, so the copy-out cannot fault), and
 * only then advances its cursor.  An id the kernel copied out is thus in
 * shared memory whether or not the getter lived on: entries before the
 * cursor were consumed, entries after it (until the poison) were
 * "provably held by a killed getter" -- the kernel's copy-out into the
 * getter's own buffer happened, the getter died before acknowledging.
 * At the end every id marked PUT is found exactly once (consumed, held
 * by a killed getter, or still queued), an id left MAYBE at most once,
 * any other id never.
 *
 * Environment: STORM_ROUNDS (default 300, 30 on the debug kernel),
 * STORM_SEED (default: from the clock; printed), STORM_WORKERS (6),
 * STORM_ROUND_MS (40), STORM_KILLS (most kills per round, 2).
 */
#include <sched.h>
#include <linux/futex.h>

#include "../common.h"
#include "kselftest.h"

#define MAXW		32
#define NBAD		32
#define NMSG		40
#define ENT		((size_t)SYNCMGR_VALUE_SIZE(0))	/* one INT value */
#define REGION		8192		/* entries a getter may fill per round */
#define MAXIDS		(1u << 23)
#define QMAX		64
#define HQMAX		8
#define SEM_INIT	3
#define BSEM_INIT	2
#define NARRAY		16
#define NDARRAY		8
#define LIST_MAX	64

enum { RUN = 1, PAUSE, STOP };
enum { ID_NONE, ID_MAYBE, ID_PUT };

/* Objects a worker may hold when killed: bits of slot.win / slot.held. */
enum lk {
	LK_LOCK, LK_RLOCK, LK_CLOCK, LK_CRLOCK, LK_COWN, LK_SEM, LK_BSEM,
	LK_VALUE, LK_ARRAY, NLK
};
static const char *const lk_name[NLK] = {
	"Lock", "RLock", "Condition(Lock)", "Condition(RLock)", "Condition()",
	"Semaphore", "BoundedSemaphore", "Value.add", "Array.add",
};

enum op {
	OP_LOCK, OP_RLOCK, OP_CLOCK, OP_CRLOCK, OP_COWN, OP_SEM, OP_BSEM,
	OP_EVENT, OP_BARRIER, OP_BARRIER_ACT, OP_QPUT, OP_QGET, OP_HQUEUE,
	OP_VALUE, OP_SVALUE, OP_HVALUE, OP_ARRAY, OP_DARRAY, OP_DICT, OP_NEST,
	OP_LIST, OP_HLIST, OP_NS, OP_CROSS, NOP
};
static const char *const op_name[NOP + 1] = {
	"lock", "rlock", "cond(lock)", "cond(rlock)", "cond()", "sem", "bsem",
	"event", "barrier", "barrier+action", "queue.put", "queue.get",
	"handle-queue", "value.add", "value(any)", "value(handle)", "array.add",
	"array(d)", "dict", "nested", "list", "handle-list", "namespace",
	"cross-store", "(between ops)",
};

struct slot {
	pid_t pid;
	int gen;
	int ack;		/* the round this worker paused in */
	int op;			/* enum op in progress, -1 between ops */
	const char *what;	/* the call in progress */
	int64_t since;		/* ... since (CLOCK_MONOTONIC ns) */
	uint32_t win;		/* LK bits: acquire called, release not returned */
	uint32_t held;		/* LK bits: acquired, release not yet called */
	uint32_t rpos;		/* region entries received and acknowledged */
	uint64_t ops[NOP];
	uint64_t value_adds, array_adds;	/* acknowledged */
};

struct bad {
	const char *what;
	int ret, slot, round;
};

struct shared {
	int phase;		/* futex word */
	int round;
	uint64_t next_id;
	uint64_t owner_dead[NLK];	/* EOWNERDEAD seen, by anyone */
	uint64_t actions;
	uint64_t eloop;
	int nbad;
	struct bad bad[NBAD];
	struct slot slot[MAXW];
};

/* The objects: created by the parent, inherited by every worker. */
static struct {
	int lock, rlock, clock, crlock, cond_lock, cond_rlock, cond_own;
	int sem, bsem, event, barrier, barrier_act;
	int queue, hqueue, value, svalue, hvalue, array, darray;
	int dict, ndict, list, hlist, ns;
} o;

static struct shared *S;
static uint8_t *idstate;		/* MAXIDS: ID_* */
static uint8_t *region[MAXW];		/* REGION entries each */
static uint64_t seed;
static int nworkers = 6, round_ms = 40, max_kills = 2;
static int64_t hang_ms;

/* ---- both sides --------------------------------------------------------- */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng;

static unsigned int rnd(unsigned int n)
{
	return n ? (unsigned int)(mix(&rng) % n) : 0;
}

static long futex(int *word, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static const char paused[] = "paused", idle[] = "between ops";

/* ---- the worker --------------------------------------------------------- */

static struct slot *me;
static int my;

static void at(const char *what)
{
	if (!me)
		return;		/* the parent */
	__atomic_store_n(&me->since, now_ns(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&me->what, what, __ATOMIC_SEQ_CST);
}

static void unexpected(const char *what, int ret)
{
	int i = __atomic_fetch_add(&S->nbad, 1, __ATOMIC_SEQ_CST);

	if (i < NBAD)
		S->bad[i] = (struct bad){ what, ret, my, S->round };
}

#define WANT(what, r, ok)						\
	do {								\
		if (!(ok))						\
			unexpected(what, r);				\
	} while (0)

static void win_set(int lk)
{
	__atomic_or_fetch(&me->win, 1u << lk, __ATOMIC_SEQ_CST);
}

static void win_clear(int lk)
{
	__atomic_and_fetch(&me->win, ~(1u << lk), __ATOMIC_SEQ_CST);
}

static void held_set(int lk)
{
	__atomic_or_fetch(&me->held, 1u << lk, __ATOMIC_SEQ_CST);
}

static void held_clear(int lk)
{
	__atomic_and_fetch(&me->held, ~(1u << lk), __ATOMIC_SEQ_CST);
}

static void owner_dead(int lk)
{
	__atomic_add_fetch(&S->owner_dead[lk], 1, __ATOMIC_SEQ_CST);
}

/* A short deadline: 0 (do not block) or 1..15 ms. */
static int64_t short_ns(void)
{
	return rnd(4) ? (int64_t)(1 + rnd(15)) * MS : 0;
}

/* A getter's deadline: 0 or 1..30 ms, so that getters often block. */
static int64_t long_ns(void)
{
	return rnd(4) ? (int64_t)(1 + rnd(30)) * MS : 0;
}

/* Holding something for a moment widens the windows kills land in. */
static void dawdle(void)
{
	unsigned int r = rnd(8);

	if (r == 0)
		sleep_ms(1 + rnd(2));
	else if (r == 1)
		sched_yield();
}

/* Lock, RLock, or a Condition's lock through the Condition. */
struct lockops {
	int lk;
	int (*acquire)(int h, int64_t timeout_ns);
	int (*release)(int h);
	const char *acq, *rel, *wait;
};

static const struct lockops lock_ops = {
	LK_LOCK, sm_lock_acquire, sm_lock_release, "Lock.acquire",
	"Lock.release", NULL };
static const struct lockops rlock_ops = {
	LK_RLOCK, sm_rlock_acquire, sm_rlock_release, "RLock.acquire",
	"RLock.release", NULL };
static const struct lockops clock_ops = {
	LK_CLOCK, sm_cond_acquire, sm_cond_release, "Condition(Lock).acquire",
	"Condition(Lock).release", "Condition(Lock).wait" };
static const struct lockops crlock_ops = {
	LK_CRLOCK, sm_cond_acquire, sm_cond_release,
	"Condition(RLock).acquire", "Condition(RLock).release",
	"Condition(RLock).wait" };
static const struct lockops cown_ops = {
	LK_COWN, sm_cond_acquire, sm_cond_release, "Condition().acquire",
	"Condition().release", "Condition().wait" };

/*
 * Acquire (short deadline), maybe recurse (RLock) or notify / wait
 * (Condition), release.  win covers acquire..release, held the time the
 * lock is surely ours.
 */
static void op_lockish(const struct lockops *l, int h, bool recursive)
{
	int r, depth = 1;

	win_set(l->lk);
	at(l->acq);
	r = l->acquire(h, short_ns());
	if (r == -ETIMEDOUT) {
		win_clear(l->lk);
		return;
	}
	WANT(l->acq, r, r == 0 || r == -EOWNERDEAD);
	if (r == -EOWNERDEAD)
		owner_dead(l->lk);
	if (r && r != -EOWNERDEAD) {
		win_clear(l->lk);
		return;
	}
	held_set(l->lk);
	if (recursive && rnd(2)) {
		at("RLock.acquire (recursive)");
		r = l->acquire(h, 0);
		WANT("RLock.acquire (recursive)", r, r == 0);
		depth += r == 0;
	}
	if (l->wait) {
		switch (rnd(4)) {
		case 0:
			at("Condition.notify");
			r = sm_cond_notify(h, 1 + rnd(2));
			WANT("Condition.notify", r, r >= 0);
			break;
		case 1:
			at("Condition.notify_all");
			r = sm_cond_notify_all(h);
			WANT("Condition.notify_all", r, r >= 0);
			break;
		default:
			/* Not surely held while waiting; held again after. */
			held_clear(l->lk);
			at(l->wait);
			r = sm_cond_wait(h, short_ns());
			WANT(l->wait, r, r == 0 || r == -ETIMEDOUT ||
					 r == -EOWNERDEAD);
			if (r == -EOWNERDEAD)
				owner_dead(l->lk);
			held_set(l->lk);
		}
	}
	if (l->lk == LK_LOCK) {
		at("Lock.locked");
		r = sm_lock_locked(h);
		WANT("Lock.locked (held)", r, r == 1);
	}
	dawdle();
	held_clear(l->lk);
	while (depth--) {
		at(l->rel);
		r = l->release(h);
		WANT(l->rel, r, r == 0);
	}
	win_clear(l->lk);
}

static void op_sem(int lk, int h)
{
	const char *acq = lk == LK_SEM ? "Semaphore.acquire" :
					 "BoundedSemaphore.acquire";
	const char *rel = lk == LK_SEM ? "Semaphore.release" :
					 "BoundedSemaphore.release";
	int r;

	if (rnd(8) == 0) {
		at("Semaphore.value");
		r = sm_sem_value(h);
		WANT("Semaphore.value", r, r >= 0 &&
			r <= (lk == LK_SEM ? SEM_INIT : BSEM_INIT));
		return;
	}
	win_set(lk);
	at(acq);
	r = sm_sem_acquire(h, short_ns());
	WANT(acq, r, r == 0 || r == -ETIMEDOUT);
	if (r == 0) {
		held_set(lk);
		dawdle();
		held_clear(lk);
		at(rel);
		r = sm_sem_release(h, 1);
		WANT(rel, r, r == 0);
	}
	win_clear(lk);
}

static void op_event(void)
{
	int r;

	switch (rnd(5)) {
	case 0:
		at("Event.set");
		r = sm_event_set(o.event);
		WANT("Event.set", r, r == 0);
		break;
	case 1:
		at("Event.clear");
		r = sm_event_clear(o.event);
		WANT("Event.clear", r, r == 0);
		break;
	case 2:
		at("Event.is_set");
		r = sm_event_is_set(o.event);
		WANT("Event.is_set", r, r == 0 || r == 1);
		break;
	default:
		at("Event.wait");
		r = sm_event_wait(o.event, short_ns());
		WANT("Event.wait", r, r == 0 || r == -ETIMEDOUT);
	}
}

/* The action of the action barrier: counts, sometimes takes a moment. */
static int storm_action(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&S->actions, 1, __ATOMIC_SEQ_CST);
	if (me && rnd(4) == 0)
		sleep_ms(1 + rnd(3));
	return 0;
}

static void op_barrier(int b)
{
	int r;

	if (rnd(16) == 0) {
		at("Barrier.abort");
		r = sm_barrier_abort(b);
		WANT("Barrier.abort", r, r == 0);
		return;
	}
	at("Barrier.broken");
	r = sm_barrier_broken(b);
	WANT("Barrier.broken", r, r == 0 || r == 1);
	if (r == 1 && rnd(2)) {
		at("Barrier.reset");
		r = sm_barrier_reset(b);
		WANT("Barrier.reset", r, r == 0);
		return;
	}
	at(b == o.barrier ? "Barrier.wait" : "Barrier(action).wait");
	r = sm_barrier_wait(b, (int64_t)(1 + rnd(30)) * MS);
	WANT("Barrier.wait", r, r == 0 || r == 1 || r == -EPIPE ||
				r == -ETIMEDOUT);
}

static void op_qput(void)
{
	struct sm_value v[4];
	unsigned int k = 1 + rnd(4), n;
	uint64_t id = __atomic_fetch_add(&S->next_id, k, __ATOMIC_SEQ_CST);
	int r;

	if (id + k > MAXIDS)
		return;		/* ids used up: no more puts */
	for (unsigned int i = 0; i < k; i++) {
		__atomic_store_n(&idstate[id + i], ID_MAYBE, __ATOMIC_SEQ_CST);
		v[i] = sm_int((int64_t)(id + i));
	}
	if (k == 1 && rnd(3) == 0) {
		at("Queue.put_nowait");
		r = sm_queue_put_nowait(o.queue, v);
		WANT("Queue.put_nowait", r, r == 0 || r == -EAGAIN);
		n = r == 0;
	} else {
		at("Queue.put_many");
		r = sm_queue_put_many(o.queue, v, k, short_ns());
		WANT("Queue.put_many", r, (r >= 1 && r <= (int)k) ||
					  r == -ETIMEDOUT);
		n = r > 0 ? (unsigned int)r : 0;
	}
	for (unsigned int i = 0; i < k; i++)
		__atomic_store_n(&idstate[id + i], i < n ? ID_PUT : ID_NONE,
				 __ATOMIC_SEQ_CST);
}

static void op_qget(void)
{
	uint32_t pos = __atomic_load_n(&me->rpos, __ATOMIC_SEQ_CST);
	unsigned int room = REGION - pos, k = 1 + rnd(8), n;
	struct sm_value out[8];
	struct sm_buf buf;
	int r;

	if (rnd(6) == 0) {
		at("Queue.qsize");
		r = sm_queue_qsize(o.queue);
		WANT("Queue.qsize", r, r >= 0);
		return;
	}
	if (!room)
		return;
	if (k > room)
		k = room;
	buf = (struct sm_buf){ region[my] + (size_t)pos * ENT, k * ENT, 0 };
	if (k == 1 && rnd(3) == 0) {
		at("Queue.get_nowait");
		r = sm_queue_get_nowait(o.queue, out, &buf);
		WANT("Queue.get_nowait", r, r == 0 || r == -EAGAIN);
		n = r == 0;
	} else {
		at("Queue.get_many");
		r = sm_queue_get_many(o.queue, out, k, &buf, long_ns());
		WANT("Queue.get_many", r, (r >= 1 && r <= (int)k) ||
					  r == -ETIMEDOUT);
		n = r > 0 ? (unsigned int)r : 0;
	}
	for (unsigned int i = 0; i < n; i++)
		WANT("Queue.get: an INT", out[i].type,
		     out[i].type == SYNCMGR_VAL_INT);
	__atomic_store_n(&me->rpos, pos + n, __ATOMIC_SEQ_CST);
	while (n--) {
		at("Queue.task_done");
		r = sm_queue_task_done(o.queue);
		WANT("Queue.task_done", r, r == 0);
	}
}

/* A new list holding a new Lock and a new Event; -errno on failure. */
static int new_nest(void)
{
	int lk = sm_lock_create(0), ev = sm_event_create(0);
	int l = sm_list_create(0);
	struct sm_value v[2] = { sm_handle(lk), sm_handle(ev) };
	int r = lk < 0 ? lk : ev < 0 ? ev : l;

	if (r >= 0) {
		at("list.extend(handles)");
		r = sm_list_extend(l, v, 2);
		WANT("list.extend(handles)", r, r == 0);
	}
	if (lk >= 0)
		close(lk);
	if (ev >= 0)
		close(ev);
	if (r < 0 && l >= 0)
		close(l);
	return r < 0 ? r : l;
}

/* Uses a nested list [Lock, Event] received as a handle; closes it. */
static void use_nest(int l)
{
	uint64_t mem[8];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v;
	int r;

	at("nested list[i]");
	r = sm_list_get(l, rnd(2), &v, &buf);
	WANT("nested list[i]", r, r == 0 && v.type == SYNCMGR_VAL_HANDLE);
	if (r == 0 && v.type == SYNCMGR_VAL_HANDLE) {
		int h = v.handle;

		if (sm_type(h) == SYNCMGR_TYPE_LOCK) {
			at("nested Lock.acquire");
			r = sm_lock_acquire(h, short_ns());
			WANT("nested Lock.acquire", r, r == 0 ||
				r == -EOWNERDEAD || r == -ETIMEDOUT);
			if (r == 0 || r == -EOWNERDEAD) {
				dawdle();
				at("nested Lock.release");
				r = sm_lock_release(h);
				WANT("nested Lock.release", r, r == 0);
			}
		} else {
			at("nested Event.set");
			r = sm_event_set(h);
			WANT("nested Event.set", r, r == 0);
		}
		close(h);
	}
	close(l);
}

static void op_hqueue(void)
{
	uint64_t mem[8];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v;
	int r, h = -1;

	switch (rnd(6)) {
	case 0:
		h = sm_event_create(0);
		WANT("Event create", h, h >= 0);
		break;
	case 1:
		h = new_nest();
		WANT("nested list create", h, h >= 0);
		break;
	case 2:
		h = dup(o.event);
		break;
	case 3:
		v = sm_handle(o.hqueue);
		at("handle-queue.put(itself)");
		r = sm_queue_put(o.hqueue, &v, 0);
		WANT("handle-queue.put(itself)", r, r == -ELOOP);
		if (r == -ELOOP)
			__atomic_add_fetch(&S->eloop, 1, __ATOMIC_SEQ_CST);
		return;
	default:
		at("handle-queue.get");
		r = sm_queue_get(o.hqueue, &v, &buf, short_ns());
		WANT("handle-queue.get", r, r == 0 || r == -ETIMEDOUT);
		if (r)
			return;
		WANT("handle-queue.get: a HANDLE", v.type,
		     v.type == SYNCMGR_VAL_HANDLE);
		if (v.type != SYNCMGR_VAL_HANDLE)
			return;
		r = sm_type(v.handle);
		WANT("handle-queue.get: Event or list", r,
		     r == SYNCMGR_TYPE_EVENT || r == SYNCMGR_TYPE_LIST);
		if (r == SYNCMGR_TYPE_LIST)
			use_nest(v.handle);
		else
			close(v.handle);
		return;
	}
	if (h < 0)
		return;
	v = sm_handle(h);
	at("handle-queue.put");
	r = sm_queue_put(o.hqueue, &v, short_ns());
	WANT("handle-queue.put", r, r == 0 || r == -ETIMEDOUT);
	close(h);
}

static void op_value(void)
{
	int64_t old;
	int r;

	if (rnd(4) == 0) {
		struct sm_value v;

		at("Value.get");
		r = sm_value_get(o.value, &v, NULL);
		WANT("Value.get", r, r == 0 && v.type == SYNCMGR_VAL_INT);
		return;
	}
	win_set(LK_VALUE);
	at("Value.add");
	r = sm_value_add(o.value, 1, &old);
	WANT("Value.add", r, r == 0);
	if (r == 0)
		me->value_adds++;
	win_clear(LK_VALUE);
}

static void op_svalue(void)
{
	static const char bytes[40] = "0123456789abcdef0123456789abcdef0123456";
	uint64_t mem[16];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v, e, d;
	char str[32];
	int r;

	switch (rnd(7)) {
	case 0:
		snprintf(str, sizeof(str), "s%u-%u", my, rnd(1000));
		v = sm_str(str);
		break;
	case 1:
		v = sm_bytes(bytes, rnd(sizeof(bytes)));
		break;
	case 2:
		v = sm_double(rnd(1000) / 7.0);
		break;
	case 3:
		v = sm_none();
		break;
	case 4:
		e = sm_int(1);
		d = sm_int(2);
		at("Value.cas");
		r = sm_value_cas(o.svalue, &e, &d, &v, &buf);
		WANT("Value.cas", r, r == 0 || r == 1);
		return;
	default:
		at("Value.get(any)");
		r = sm_value_get(o.svalue, &v, &buf);
		WANT("Value.get(any)", r, r == 0 && v.type != SYNCMGR_VAL_HANDLE &&
					  v.type != SYNCMGR_VAL_BLOB);
		return;
	}
	at("Value.set(any)");
	r = sm_value_set(o.svalue, &v);
	WANT("Value.set(any)", r, r == 0);
}

static void op_hvalue(void)
{
	uint64_t mem[4];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v;
	int r, h = -1;

	switch (rnd(6)) {
	case 0:
		v = sm_handle(o.event);
		break;
	case 1:
		h = sm_event_create(0);
		WANT("Event create", h, h >= 0);
		if (h < 0)
			return;
		v = sm_handle(h);
		break;
	case 2:
		v = sm_handle(o.hvalue);
		at("Value.set(itself)");
		r = sm_value_set(o.hvalue, &v);
		WANT("Value.set(itself)", r, r == -ELOOP);
		if (r == -ELOOP)
			__atomic_add_fetch(&S->eloop, 1, __ATOMIC_SEQ_CST);
		return;
	case 3:
		v = sm_none();
		break;
	default:
		at("Value.get(handle)");
		r = sm_value_get(o.hvalue, &v, &buf);
		WANT("Value.get(handle)", r, r == 0 &&
			(v.type == SYNCMGR_VAL_NONE || v.type == SYNCMGR_VAL_HANDLE));
		if (r == 0 && v.type == SYNCMGR_VAL_HANDLE) {
			r = sm_type(v.handle);
			WANT("Value.get(handle): an Event", r,
			     r == SYNCMGR_TYPE_EVENT);
			close(v.handle);
		}
		return;
	}
	at("Value.set(handle)");
	r = sm_value_set(o.hvalue, &v);
	WANT("Value.set(handle)", r, r == 0);
	if (h >= 0)
		close(h);
}

static void op_array(void)
{
	struct sm_slice all = { 0, 0, 1, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	struct sm_value out[NARRAY];
	int64_t old;
	int r;

	if (rnd(4) == 0) {
		at("Array.get_slice");
		r = sm_array_get_slice(o.array, &all, out, NARRAY);
		WANT("Array.get_slice", r, r == NARRAY);
		return;
	}
	win_set(LK_ARRAY);
	at("Array.add");
	r = sm_array_add(o.array, rnd(NARRAY), 1, &old);
	WANT("Array.add", r, r == 0);
	if (r == 0)
		me->array_adds++;
	win_clear(LK_ARRAY);
}

static void op_darray(void)
{
	struct sm_slice all = { 0, 0, 1, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	struct sm_value v[NDARRAY];
	int r;

	switch (rnd(3)) {
	case 0:
		v[0] = sm_double(rnd(1 << 20) / 3.0);
		at("Array(d).set");
		r = sm_array_set(o.darray, (int64_t)rnd(2 * NDARRAY) - NDARRAY,
				 v);
		WANT("Array(d).set", r, r == 0);
		break;
	case 1:
		for (int i = 0; i < NDARRAY; i++)
			v[i] = sm_double(i + rnd(100) / 10.0);
		at("Array(d).set_slice");
		r = sm_array_set_slice(o.darray, &all, v, NDARRAY);
		WANT("Array(d).set_slice", r, r == 0);
		break;
	default:
		at("Array(d).get_slice");
		r = sm_array_get_slice(o.darray, &all, v, NDARRAY);
		WANT("Array(d).get_slice", r, r == NDARRAY);
	}
}

/* A dict key: INT 0..15 or STR "k0".."k15". */
static struct sm_value dict_key(char *str)
{
	unsigned int k = rnd(16);

	if (rnd(2))
		return sm_int(k);
	sprintf(str, "k%u", k);
	return sm_str(str);
}

static struct sm_value dict_val(char *str)
{
	if (rnd(2))
		return sm_int(rnd(1000));
	sprintf(str, "v%u", rnd(1000));
	return sm_str(str);
}

static void op_dict(void)
{
	uint64_t mem[64];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	char ks[16], vs[16], ks2[16], vs2[16];
	struct sm_value k = dict_key(ks), v = dict_val(vs), out[8], pairs[4];
	uint64_t cursor = 0;
	int r;

	switch (rnd(13)) {
	case 0:
	case 1:
		at("dict.set");
		r = sm_dict_set(o.dict, &k, &v);
		WANT("dict.set", r, r == 0);
		break;
	case 2:
		at("dict.get");
		r = sm_dict_get(o.dict, &k, out, &buf);
		WANT("dict.get", r, r == 0 || r == -ENOENT);
		break;
	case 3:
		at("dict.pop");
		r = sm_dict_pop(o.dict, &k, out, &buf);
		WANT("dict.pop", r, r == 0 || r == -ENOENT);
		break;
	case 4:
		at("dict.del");
		r = sm_dict_del(o.dict, &k);
		WANT("dict.del", r, r == 0 || r == -ENOENT);
		break;
	case 5:
		at("dict.setdefault");
		r = sm_dict_setdefault(o.dict, &k, &v, out, &buf);
		WANT("dict.setdefault", r, r >= 0);
		break;
	case 6:
		pairs[0] = k;
		pairs[1] = v;
		pairs[2] = dict_key(ks2);
		pairs[3] = dict_val(vs2);
		at("dict.update");
		r = sm_dict_update(o.dict, pairs, 2);
		WANT("dict.update", r, r == 0);
		break;
	case 7:
		at("dict.contains");
		r = sm_dict_contains(o.dict, &k);
		WANT("dict.contains", r, r == 0 || r == 1);
		break;
	case 8:
		at("dict.len");
		r = sm_dict_len(o.dict);
		WANT("dict.len", r, r >= 0 && r <= 32);
		break;
	case 9:
		at("dict.items");
		r = sm_dict_iter(o.dict, SM_DICT_ITEMS, &cursor, out, 8, &buf);
		WANT("dict.items", r, r >= 0 && r <= 4);
		break;
	case 10:
		at("dict.popitem");
		r = sm_dict_popitem(o.dict, &out[0], &out[1], &buf);
		WANT("dict.popitem", r, r == 0 || r == -ENOENT);
		break;
	case 11:
		at("dict.copy");
		r = sm_dict_copy(o.dict);
		WANT("dict.copy", r, r >= 0);
		if (r >= 0)
			close(r);
		break;
	default:
		if (rnd(4))
			break;
		at("dict.clear");
		r = sm_dict_clear(o.dict);
		WANT("dict.clear", r, r == 0);
	}
}

/* The dict holding a list holding a Lock (and an Event). */
static void op_nest(void)
{
	uint64_t mem[8];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value key = sm_str("nest"), v;
	int r, l;

	switch (rnd(5)) {
	case 0:
		l = new_nest();
		WANT("nested list create", l, l >= 0);
		if (l < 0)
			return;
		v = sm_handle(l);
		at("dict['nest'] = list");
		r = sm_dict_set(o.ndict, &key, &v);
		WANT("dict['nest'] = list", r, r == 0);
		close(l);
		return;
	case 1:
		if (rnd(4))
			return;
		at("del dict['nest']");
		r = sm_dict_del(o.ndict, &key);
		WANT("del dict['nest']", r, r == 0 || r == -ENOENT);
		return;
	default:
		at("dict['nest']");
		r = sm_dict_get(o.ndict, &key, &v, &buf);
		WANT("dict['nest']", r, r == 0 || r == -ENOENT);
		if (r == 0 && v.type == SYNCMGR_VAL_HANDLE)
			use_nest(v.handle);
		else if (r == 0)
			unexpected("dict['nest']: a HANDLE", v.type);
	}
}

static void op_list(void)
{
	struct sm_slice head = { 0, LIST_MAX / 2, 1, 0 };
	struct sm_slice some = { (int64_t)rnd(8), (int64_t)rnd(16), 1 + rnd(2), 0 };
	uint64_t mem[64];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v = sm_int(rnd(100)), out[8], three[3];
	int64_t idx = (int64_t)rnd(20) - 10;
	int r;

	switch (rnd(16)) {
	case 0:
	case 1:
		at("list.append");
		r = sm_list_append(o.list, &v);
		WANT("list.append", r, r == 0);
		break;
	case 2:
		for (int i = 0; i < 3; i++)
			three[i] = sm_int(rnd(100));
		at("list.extend");
		r = sm_list_extend(o.list, three, 3);
		WANT("list.extend", r, r == 0);
		break;
	case 3:
		at("list.insert");
		r = sm_list_insert(o.list, idx, &v);
		WANT("list.insert", r, r == 0);
		break;
	case 4:
		at("list.pop");
		r = sm_list_pop(o.list, rnd(2) ? -1 : 0, out, &buf);
		WANT("list.pop", r, r == 0 || r == -ERANGE);
		break;
	case 5:
		at("list[i]");
		r = sm_list_get(o.list, idx, out, &buf);
		WANT("list[i]", r, r == 0 || r == -ERANGE);
		break;
	case 6:
		at("list[i] = v");
		r = sm_list_set(o.list, idx, &v);
		WANT("list[i] = v", r, r == 0 || r == -ERANGE);
		break;
	case 7:
		at("del list[i]");
		r = sm_list_del(o.list, idx);
		WANT("del list[i]", r, r == 0 || r == -ERANGE);
		break;
	case 8:
		at("list[a:b:c]");
		r = sm_list_get_slice(o.list, &some, out, 8, &buf);
		WANT("list[a:b:c]", r, r >= 0 && r <= 8);
		break;
	case 9:
		at("list.sort");
		r = sm_list_sort(o.list, rnd(2));
		WANT("list.sort", r, r == 0);
		break;
	case 10:
		at("list.reverse");
		r = sm_list_reverse(o.list);
		WANT("list.reverse", r, r == 0);
		break;
	case 11:
		at("list.remove");
		r = sm_list_remove(o.list, &v);
		WANT("list.remove", r, r == 0 || r == -ENOENT);
		break;
	case 12:
		at("list.index");
		r = sm_list_index(o.list, &v, 0, INT64_MAX);
		WANT("list.index", r, r >= 0 || r == -ENOENT);
		break;
	case 13:
		at("list.count");
		r = sm_list_count(o.list, &v);
		WANT("list.count", r, r >= 0);
		break;
	case 14:
		at("list.copy");
		r = sm_list_copy(o.list);
		WANT("list.copy", r, r >= 0);
		if (r >= 0)
			close(r);
		break;
	default:
		at("list.len");
		r = sm_list_len(o.list);
		WANT("list.len", r, r >= 0);
		if (r >= 0 && r < 8 && rnd(2)) {
			at("list *= 2");
			r = sm_list_repeat(o.list, 2);
			WANT("list *= 2", r, r == 0);
		}
	}
	at("list.len");
	r = sm_list_len(o.list);
	if (r > LIST_MAX) {
		at("del list[:32]");
		r = sm_list_del_slice(o.list, &head);
		WANT("del list[:32]", r, r == 0);
	}
}

static void op_hlist(void)
{
	struct sm_slice head = { 0, 8, 1, 0 };
	uint64_t mem[8];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v;
	int r, h;

	switch (rnd(4)) {
	case 0:
		h = sm_lock_create(0);
		WANT("Lock create", h, h >= 0);
		if (h < 0)
			return;
		v = sm_handle(h);
		at("handle-list.append(new Lock)");
		r = sm_list_append(o.hlist, &v);
		WANT("handle-list.append(new Lock)", r, r == 0);
		close(h);
		break;
	case 1:
		v = sm_handle(o.event);
		at("handle-list.append(Event)");
		r = sm_list_append(o.hlist, &v);
		WANT("handle-list.append(Event)", r, r == 0);
		break;
	default:
		at("handle-list.pop");
		r = sm_list_pop(o.hlist, -1, &v, &buf);
		WANT("handle-list.pop", r, r == 0 || r == -ERANGE);
		if (r == 0 && v.type == SYNCMGR_VAL_HANDLE)
			close(v.handle);
		else if (r == 0)
			unexpected("handle-list.pop: a HANDLE", v.type);
	}
	at("handle-list.len");
	r = sm_list_len(o.hlist);
	if (r > 16) {
		at("del handle-list[:8]");
		r = sm_list_del_slice(o.hlist, &head);
		WANT("del handle-list[:8]", r, r == 0);
	}
}

static void op_ns(void)
{
	uint64_t mem[16];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v = sm_int(rnd(1000)), names[8];
	uint64_t cursor = 0;
	char name[8];
	int r;

	sprintf(name, "a%u", rnd(8));
	switch (rnd(4)) {
	case 0:
		at("Namespace.set");
		r = sm_ns_set(o.ns, name, &v);
		WANT("Namespace.set", r, r == 0);
		break;
	case 1:
		at("Namespace.get");
		r = sm_ns_get(o.ns, name, &v, &buf);
		WANT("Namespace.get", r, r == 0 || r == -ENOENT);
		break;
	case 2:
		at("Namespace.del");
		r = sm_ns_del(o.ns, name);
		WANT("Namespace.del", r, r == 0 || r == -ENOENT);
		break;
	default:
		at("Namespace.list");
		r = sm_ns_list(o.ns, &cursor, names, 8, &buf);
		WANT("Namespace.list", r, r >= 0 && r <= 8);
	}
}

/* Stores that would close a cycle: dict['lh'] = hlist vs hlist += [dict]. */
static void op_cross(void)
{
	struct sm_value key = sm_str("lh"), v;
	int r;

	switch (rnd(4)) {
	case 0:
		v = sm_handle(o.hlist);
		at("dict['lh'] = handle-list");
		r = sm_dict_set(o.ndict, &key, &v);
		WANT("dict['lh'] = handle-list", r, r == 0 || r == -ELOOP);
		break;
	case 1:
		v = sm_handle(o.ndict);
		at("handle-list.append(dict)");
		r = sm_list_append(o.hlist, &v);
		WANT("handle-list.append(dict)", r, r == 0 || r == -ELOOP);
		break;
	case 2:
		at("del dict['lh']");
		r = sm_dict_del(o.ndict, &key);
		WANT("del dict['lh']", r, r == 0 || r == -ENOENT);
		return;
	default:
		v = sm_handle(o.ndict);
		at("handle-list.remove(dict)");
		r = sm_list_remove(o.hlist, &v);
		WANT("handle-list.remove(dict)", r, r == 0 || r == -ENOENT);
		return;
	}
	if (r == -ELOOP)
		__atomic_add_fetch(&S->eloop, 1, __ATOMIC_SEQ_CST);
}

static void do_op(int op)
{
	switch (op) {
	case OP_LOCK: op_lockish(&lock_ops, o.lock, false); break;
	case OP_RLOCK: op_lockish(&rlock_ops, o.rlock, true); break;
	case OP_CLOCK: op_lockish(&clock_ops, o.cond_lock, false); break;
	case OP_CRLOCK: op_lockish(&crlock_ops, o.cond_rlock, true); break;
	case OP_COWN: op_lockish(&cown_ops, o.cond_own, true); break;
	case OP_SEM: op_sem(LK_SEM, o.sem); break;
	case OP_BSEM: op_sem(LK_BSEM, o.bsem); break;
	case OP_EVENT: op_event(); break;
	case OP_BARRIER: op_barrier(o.barrier); break;
	case OP_BARRIER_ACT: op_barrier(o.barrier_act); break;
	case OP_QPUT: op_qput(); break;
	case OP_QGET: op_qget(); break;
	case OP_HQUEUE: op_hqueue(); break;
	case OP_VALUE: op_value(); break;
	case OP_SVALUE: op_svalue(); break;
	case OP_HVALUE: op_hvalue(); break;
	case OP_ARRAY: op_array(); break;
	case OP_DARRAY: op_darray(); break;
	case OP_DICT: op_dict(); break;
	case OP_NEST: op_nest(); break;
	case OP_LIST: op_list(); break;
	case OP_HLIST: op_hlist(); break;
	case OP_NS: op_ns(); break;
	default: op_cross(); break;
	}
}

static void __attribute__((noreturn)) worker(int w, pid_t parent)
{
	struct timespec ts = { 0, 100 * 1000000L };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(125);
	me = &S->slot[w];
	my = w;
	rng = seed ^ ((uint64_t)w << 48) ^ ((uint64_t)me->gen << 20);
	mix(&rng);
	/* Pre-fault the region: the kernel's copy-out into it cannot fault. */
	memset(region[w], 0xff, REGION * ENT);
	for (;;) {
		int ph = __atomic_load_n(&S->phase, __ATOMIC_SEQ_CST);
		int op;

		if (ph == STOP)
			_exit(0);
		if (ph == PAUSE) {
			int round = __atomic_load_n(&S->round, __ATOMIC_SEQ_CST);

			if (__atomic_load_n(&me->ack, __ATOMIC_SEQ_CST) != round) {
				at(paused);
				__atomic_store_n(&me->ack, round, __ATOMIC_SEQ_CST);
			}
			futex(&S->phase, FUTEX_WAIT, PAUSE, &ts);
			continue;
		}
		/* Gets twice as often as puts: getters block, and are handed items. */
		op = (int)rnd(NOP + 1);
		if (op == NOP)
			op = OP_QGET;
		__atomic_store_n(&me->op, op, __ATOMIC_SEQ_CST);
		do_op(op);
		__atomic_store_n(&me->op, -1, __ATOMIC_SEQ_CST);
		at(idle);
		me->ops[op]++;
	}
}

/* ---- the parent --------------------------------------------------------- */

enum check { C_HANG, C_CALLS, C_LOCKS, C_SEMS, C_SYNC, C_QUEUE, C_DATA, C_MEM, NCHECK };
static const char *const check_name[NCHECK] = {
	"no hang", "every result expected", "locks usable, owner deaths add up",
	"semaphores: units lost only by killed holders",
	"Event, Barrier, waiters", "queue items conserved",
	"data objects consistent", "object count and charged bytes back",
};
static int failed[NCHECK];
static int nmsg;
static pid_t parent_pid;
static int cur_round;

static void fail(enum check c, const char *fmt, ...)
{
	va_list ap;

	failed[c]++;
	if (nmsg++ >= NMSG)
		return;
	printf("# FAIL [%s] round %d: ", check_name[c], cur_round);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Statistics. */
static uint64_t kills, kills_op[NOP + 1], respawns;
static uint64_t kills_win[NLK], kills_held[NLK];	/* whole run */
static uint64_t since_win[NLK], since_held[NLK];	/* since the last refill */
static uint64_t parent_owner_dead[NLK], sem_lost[NLK], barrier_resets;
static uint64_t consumed, held_by_killed, queued_left;
static uint8_t *seen;		/* MAXIDS: times each id was found */
static bool hung;

static void print_file(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("#   %s", line);
	fclose(f);
}

static void dump_task(pid_t pid)
{
	char path[64];

	printf("# kernel stack of %d:\n", pid);
	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	print_file(path);
	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	printf("# wchan: ");
	fflush(stdout);
	print_file(path);
	printf("\n");
}

/* Waits at most ms for pid; its wait status, or -1 (still there). */
static int reap(pid_t pid, int64_t ms)
{
	int64_t end = now_ns() + ms * MS;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 || now_ns() > end)
			return -1;
		sleep_ms(1);
	}
}

static void mark(uint64_t id, const char *where)
{
	if (id < 1 || id >= MAXIDS || id >= S->next_id) {
		fail(C_QUEUE, "id %llu (%s) was never allocated",
		     (unsigned long long)id, where);
		return;
	}
	if (seen[id] < 255)
		seen[id]++;
	if (seen[id] == 2)
		fail(C_QUEUE, "id %llu found twice (second time: %s, state %d)",
		     (unsigned long long)id, where, idstate[id]);
}

static uint64_t entry_id(int w, uint32_t i, bool *valid)
{
	struct syncmgr_value h;

	memcpy(&h, region[w] + (size_t)i * ENT, sizeof(h));
	*valid = h.type == SYNCMGR_VAL_INT;
	return h.data;
}

/*
 * Counts a worker's region (the worker is dead or paused): entries before
 * its cursor were consumed; after it, up to the poison, were written by
 * the copy-out of a GET the worker did not live to acknowledge.
 */
static void harvest(int w, bool killed)
{
	struct slot *sl = &S->slot[w];
	uint32_t n = sl->rpos, i;
	bool valid;

	for (i = 0; i < n && i < REGION; i++) {
		uint64_t id = entry_id(w, i, &valid);

		if (!valid)
			fail(C_QUEUE, "worker %d: region entry %u below its cursor %u is not a value",
			     w, i, n);
		else
			mark(id, "consumed");
		consumed += valid;
	}
	for (; i < REGION; i++) {
		uint64_t id = entry_id(w, i, &valid);

		if (!valid)
			break;
		if (!killed)
			fail(C_QUEUE, "worker %d (alive): region entry %u past its cursor",
			     w, i);
		mark(id, "held by a killed getter");
		held_by_killed++;
	}
	memset(region[w], 0xff, (size_t)i * ENT);
	sl->rpos = 0;
}

static void start_worker(int w)
{
	struct slot *sl = &S->slot[w];
	pid_t pid;

	sl->gen++;
	sl->op = -1;
	sl->win = sl->held = 0;
	sl->what = "starting";
	sl->since = now_ns();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		worker(w, parent_pid);
	if (pid < 0) {
		fail(C_HANG, "fork: %s", strerror(errno));
		hung = true;
	}
	sl->pid = pid;
	respawns++;
}

/* A dead worker (killed, or died by itself): account, harvest, replace. */
static void buried(int w)
{
	struct slot *sl = &S->slot[w];
	int op = __atomic_load_n(&sl->op, __ATOMIC_SEQ_CST);

	kills++;
	kills_op[op >= 0 && op < NOP ? op : NOP]++;
	for (int lk = 0; lk < NLK; lk++) {
		if (sl->win & (1u << lk)) {
			kills_win[lk]++;
			since_win[lk]++;
		}
		if (sl->held & (1u << lk)) {
			kills_held[lk]++;
			since_held[lk]++;
		}
	}
	harvest(w, true);
	sl->pid = 0;
	if (!hung)
		start_worker(w);
}

static void kill_worker(int w)
{
	pid_t pid = S->slot[w].pid;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	if (reap(pid, hang_ms) == -1) {
		fail(C_HANG, "worker %d (pid %d) survives SIGKILL for %lld ms in %s",
		     w, pid, (long long)hang_ms, S->slot[w].what);
		dump_task(pid);
		hung = true;
		S->slot[w].pid = 0;
		return;
	}
	buried(w);
}

/* The watchdog: a call running too long, a worker that died by itself. */
static void watch(void)
{
	int64_t now = now_ns();
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int w = 0; w < nworkers; w++) {
			if (S->slot[w].pid != pid)
				continue;
			fail(C_CALLS, "worker %d (pid %d) died by itself in %s: status 0x%x",
			     w, pid, S->slot[w].what, st);
			buried(w);
		}
	}
	for (int w = 0; w < nworkers && !hung; w++) {
		struct slot *sl = &S->slot[w];
		const char *what = __atomic_load_n(&sl->what, __ATOMIC_SEQ_CST);
		int64_t since = __atomic_load_n(&sl->since, __ATOMIC_SEQ_CST);

		if (sl->pid <= 0 || what == paused || now - since < hang_ms * MS)
			continue;
		fail(C_HANG, "worker %d (pid %d) stuck in %s for %lld ms",
		     w, sl->pid, what, (long long)((now - since) / MS));
		dump_task(sl->pid);
		hung = true;
	}
}

/* Sleeps ms, watching. */
static void nap(int ms)
{
	int64_t end = now_ns() + ms * MS;

	do {
		watch();
		sleep_ms(2);
	} while (now_ns() < end && !hung);
}

/*
 * Whom to kill: any worker, or (one time in three) one inside a queue
 * operation if there is one, since the windows that matter there (a
 * getter handed an item, not yet back in user space) are narrow.
 */
static int pick_victim(void)
{
	int start = (int)rnd((unsigned int)nworkers);

	if (rnd(3) == 0) {
		for (int i = 0; i < nworkers; i++) {
			int w = (start + i) % nworkers;
			int op = __atomic_load_n(&S->slot[w].op, __ATOMIC_SEQ_CST);

			if (op == OP_QGET || op == OP_QPUT || op == OP_HQUEUE)
				return w;
		}
	}
	return start;
}

static void set_phase(int ph)
{
	__atomic_store_n(&S->phase, ph, __ATOMIC_SEQ_CST);
	futex(&S->phase, FUTEX_WAKE, INT_MAX, NULL);
}

/* ---- the parent's checks ------------------------------------------------ */

static const char *volatile parent_at = "setup";

static void on_alarm(int sig)
{
	static const char a[] = "not ok 1 watchdog: the parent's call in ";
	static const char b[] = " did not return in time (a hang)\n"
				"# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n";
	const char *p = parent_at;

	(void)sig;
	fflush(stdout);
	if (write(1, a, sizeof(a) - 1) < 0 ||
	    write(1, p, strlen(p)) < 0 || write(1, b, sizeof(b) - 1) < 0)
		_exit(2);
	_exit(1);
}

static void parent_call(const char *what)
{
	parent_at = what;
	alarm((unsigned int)(hang_ms / 1000 + 1));
}

/* The parent takes a lock at once: it must be free. */
static void check_lock(int lk, const struct lockops *l, int h)
{
	int r;

	parent_call(l->acq);
	r = l->acquire(h, 0);
	if (r == -EOWNERDEAD)
		parent_owner_dead[lk]++;
	if (r && r != -EOWNERDEAD) {
		fail(C_LOCKS, "%s by the parent with every worker paused: %d",
		     lk_name[lk], r);
		return;
	}
	parent_call(l->rel);
	r = l->release(h);
	if (r)
		fail(C_LOCKS, "%s release by the parent: %d", lk_name[lk], r);
}

static void check_sem(int lk, int h, int init)
{
	int v, lost;

	parent_call("Semaphore.value");
	v = sm_sem_value(h);
	lost = init - v;
	if (v < 0 || lost < 0 || (uint64_t)lost > since_win[lk] ||
	    (uint64_t)lost < since_held[lk])
		fail(C_SEMS, "%s: value %d of %d, killed while surely holding %llu, maybe %llu",
		     lk_name[lk], v, init, (unsigned long long)since_held[lk],
		     (unsigned long long)since_win[lk]);
	if (lost > 0) {
		parent_call("Semaphore.release (refill)");
		if (sm_sem_release(h, (unsigned int)lost))
			fail(C_SEMS, "%s: refilling %d", lk_name[lk], lost);
		sem_lost[lk] += (uint64_t)lost;
	}
	since_win[lk] = since_held[lk] = 0;
}

static void all_handles(int *h, const char **name, int *n)
{
	int i = 0;
#define H(x) do { h[i] = o.x; name[i] = #x; i++; } while (0)
	H(lock); H(rlock); H(clock); H(crlock); H(cond_lock); H(cond_rlock);
	H(cond_own); H(sem); H(bsem); H(event); H(barrier); H(barrier_act);
	H(queue); H(hqueue); H(value); H(svalue); H(hvalue); H(array);
	H(darray); H(dict); H(ndict); H(list); H(hlist); H(ns);
#undef H
	*n = i;
}

/* With every worker paused (or gone): nothing stuck, everything free. */
static void pause_check(void)
{
	int h[32], n;
	const char *name[32];
	struct syncmgr_state st;

	all_handles(h, name, &n);
	for (int i = 0; i < n; i++) {
		parent_call("STATE");
		if (sm_state(h[i], &st)) {
			fail(C_SYNC, "STATE of %s failed", name[i]);
			continue;
		}
		if (st.waiters)
			fail(C_SYNC, "%s has %u waiters with every worker paused",
			     name[i], st.waiters);
		if (st.type == SYNCMGR_TYPE_BARRIER) {
			if (st.status & SYNCMGR_STATE_IN_ACTION)
				fail(C_SYNC, "%s is in an action with every worker paused",
				     name[i]);
			if (st.max)
				fail(C_SYNC, "%s: n_waiting %u with every worker paused",
				     name[i], st.max);
			if (st.status & SYNCMGR_STATE_BROKEN) {
				parent_call("Barrier.reset");
				if (sm_barrier_reset(h[i]))
					fail(C_SYNC, "%s: reset failed", name[i]);
				barrier_resets++;
			}
		}
	}
	check_lock(LK_LOCK, &lock_ops, o.lock);
	check_lock(LK_RLOCK, &rlock_ops, o.rlock);
	check_lock(LK_CLOCK, &clock_ops, o.cond_lock);
	check_lock(LK_CRLOCK, &crlock_ops, o.cond_rlock);
	check_lock(LK_COWN, &cown_ops, o.cond_own);
	check_sem(LK_SEM, o.sem, SEM_INIT);
	check_sem(LK_BSEM, o.bsem, BSEM_INIT);
	alarm(0);
}

/* A new process takes every lock and semaphore unit and passes barriers. */
static int late_child(void *arg)
{
	const struct lockops *ls[] = { &lock_ops, &rlock_ops, &clock_ops,
				       &crlock_ops, &cown_ops };
	int hs[] = { o.lock, o.rlock, o.cond_lock, o.cond_rlock, o.cond_own };
	int bad = 0, r;

	(void)arg;
	for (int i = 0; i < 5; i++) {
		if (ls[i]->acquire(hs[i], 0) || ls[i]->release(hs[i]))
			bad |= 1 << i;
	}
	for (int i = 0; i < SEM_INIT; i++)
		bad |= sm_sem_acquire(o.sem, 0) ? 1 << 5 : 0;
	bad |= sm_sem_acquire(o.sem, 0) != -ETIMEDOUT ? 1 << 6 : 0;
	bad |= sm_sem_release(o.sem, SEM_INIT) ? 1 << 7 : 0;
	for (int i = 0; i < BSEM_INIT; i++)
		bad |= sm_sem_acquire(o.bsem, 0) ? 1 << 8 : 0;
	bad |= sm_sem_acquire(o.bsem, 0) != -ETIMEDOUT ? 1 << 9 : 0;
	bad |= sm_sem_release(o.bsem, BSEM_INIT) ? 1 << 10 : 0;
	bad |= sm_sem_release(o.bsem, 1) != -EOVERFLOW ? 1 << 11 : 0;
	r = sm_barrier_wait(o.barrier, WAKE_MS * MS);
	bad |= r != 0 && r != 1 ? 1 << 12 : 0;
	r = sm_barrier_wait(o.barrier_act, WAKE_MS * MS);
	bad |= r != 0 && r != 1 ? 1 << 13 : 0;
	r = sm_event_wait(o.event, WAKE_MS * MS);
	bad |= r ? 1 << 14 : 0;
	return bad;
}

static void final_sync_checks(void)
{
	int *res = shared_mem(sizeof(int));
	uint64_t actions = S->actions;
	pid_t pid;
	int r0, r1, st;

	pause_check();
	parent_call("Event.set");
	if (sm_event_set(o.event))
		fail(C_SYNC, "Event.set");
	fflush(stdout);
	pid = spawn(late_child, NULL, res);
	parent_call("Barrier.wait (with a new process)");
	r0 = sm_barrier_wait(o.barrier, WAKE_MS * MS);
	parent_call("Barrier(action).wait (with a new process)");
	r1 = sm_barrier_wait(o.barrier_act, WAKE_MS * MS);
	parent_call("waiting for the new process");
	st = wait_child(pid, WAKE_MS);
	alarm(0);
	if (st || *res)
		fail(*res & 0x7ff ? C_LOCKS : C_SYNC,
		     "a new process after the storm: status %d, failures 0x%x (bits: 0-4 locks, 5-11 semaphores, 12-13 barriers, 14 event)",
		     st, *res);
	if ((r0 != 0 && r0 != 1) || (r1 != 0 && r1 != 1))
		fail(C_SYNC, "Barrier waits of the parent with a new process: %d, %d",
		     r0, r1);
	if (S->actions != actions + 1)
		fail(C_SYNC, "the barrier action ran %llu times in the last cycle",
		     (unsigned long long)(S->actions - actions));
	pause_check();
	munmap(res, sizeof(int));
}

static void final_lock_counts(void)
{
	for (int lk = 0; lk <= LK_COWN; lk++) {
		uint64_t seen_od = S->owner_dead[lk] + parent_owner_dead[lk];
		uint64_t maybe = kills_win[lk] - kills_held[lk];

		printf("# %s: EOWNERDEAD %llu (workers %llu, parent %llu); killed surely holding %llu, in acquire/release %llu\n",
		       lk_name[lk], (unsigned long long)seen_od,
		       (unsigned long long)S->owner_dead[lk],
		       (unsigned long long)parent_owner_dead[lk],
		       (unsigned long long)kills_held[lk],
		       (unsigned long long)maybe);
		/*
		 * Each EOWNERDEAD reports the death of a worker that held
		 * the lock: at most the kills with the window open.  Each
		 * death while surely holding is reported to the next
		 * acquirer, who records it unless killed first (then it
		 * was in its window, not surely holding).
		 */
		if (seen_od > kills_win[lk] || seen_od + maybe < kills_held[lk])
			fail(C_LOCKS, "%s: EOWNERDEAD %llu outside [%llu, %llu]",
			     lk_name[lk], (unsigned long long)seen_od,
			     (unsigned long long)(kills_held[lk] > maybe ?
						  kills_held[lk] - maybe : 0),
			     (unsigned long long)kills_win[lk]);
	}
}

static void final_queue(void)
{
	uint64_t mem[4];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v;
	uint64_t n_put = 0, n_maybe = 0, maybe_found = 0, lost = 0;
	int r;

	for (;;) {
		parent_call("Queue.get_nowait (drain)");
		r = sm_queue_get_nowait(o.queue, &v, &buf);
		if (r)
			break;
		if (v.type != SYNCMGR_VAL_INT)
			fail(C_QUEUE, "a queued value of type %d", v.type);
		else
			mark((uint64_t)v.i, "left queued");
		queued_left++;
	}
	alarm(0);
	if (r != -EAGAIN)
		fail(C_QUEUE, "draining the queue: %d", r);
	for (uint64_t id = 1; id < S->next_id && id < MAXIDS; id++) {
		switch (idstate[id]) {
		case ID_PUT:
			n_put++;
			if (!seen[id] && lost++ < 10)
				fail(C_QUEUE, "id %llu was put and is nowhere",
				     (unsigned long long)id);
			break;
		case ID_MAYBE:
			n_maybe++;
			maybe_found += seen[id] != 0;
			break;
		default:
			if (seen[id])
				fail(C_QUEUE, "id %llu was never put (state %d) and was found",
				     (unsigned long long)id, idstate[id]);
		}
	}
	if (n_maybe > 4 * kills_op[OP_QPUT])
		fail(C_QUEUE, "%llu ids left 'maybe put' by %llu kills in a put",
		     (unsigned long long)n_maybe,
		     (unsigned long long)kills_op[OP_QPUT]);
	printf("# queue: %llu ids put (+%llu by putters killed in the PUT, %llu of them arrived); %llu consumed, %llu held by killed getters, %llu left queued; %llu lost\n",
	       (unsigned long long)n_put, (unsigned long long)n_maybe,
	       (unsigned long long)maybe_found, (unsigned long long)consumed,
	       (unsigned long long)held_by_killed,
	       (unsigned long long)queued_left, (unsigned long long)lost);
	if (consumed + held_by_killed + queued_left != n_put + maybe_found)
		fail(C_QUEUE, "found %llu ids, want %llu",
		     (unsigned long long)(consumed + held_by_killed + queued_left),
		     (unsigned long long)(n_put + maybe_found));
}

/* Every value in a batch is of one of the types in the mask. */
static bool types_in(const struct sm_value *v, int n, unsigned int mask)
{
	for (int i = 0; i < n; i++)
		if (!(mask & (1u << v[i].type)))
			return false;
	return true;
}

/* dict['nest'][0], the Lock in a list in a dict, is free too. */
static void check_nested_lock(int l)
{
	uint64_t mem[4];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	struct sm_value v;
	int r;

	parent_call("nested list[0]");
	r = sm_list_get(l, 0, &v, &buf);
	if (r || v.type != SYNCMGR_VAL_HANDLE) {
		fail(C_DATA, "dict['nest'][0]: %d, type %d", r, v.type);
		return;
	}
	parent_call("nested Lock.acquire");
	r = sm_lock_acquire(v.handle, 0);
	if (r && r != -EOWNERDEAD)
		fail(C_LOCKS, "the Lock in dict['nest']: acquire %d", r);
	else if (sm_lock_release(v.handle))
		fail(C_LOCKS, "the Lock in dict['nest']: release");
	close(v.handle);
}

static void final_data(void)
{
	struct sm_slice all = { 0, 0, 1, SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP };
	static uint64_t mem[4096];
	struct sm_buf buf = { mem, sizeof(mem), 0 };
	static struct sm_value out[1024];
	uint64_t adds = 0, aadds = 0, sum = 0, cursor = 0;
	struct sm_value v;
	int r, n;

	for (int w = 0; w < nworkers; w++) {
		adds += S->slot[w].value_adds;
		aadds += S->slot[w].array_adds;
	}
	parent_call("Value.get");
	r = sm_value_get(o.value, &v, NULL);
	if (r || v.type != SYNCMGR_VAL_INT || (uint64_t)v.i < adds ||
	    (uint64_t)v.i > adds + kills_win[LK_VALUE])
		fail(C_DATA, "Value %lld after %llu acknowledged adds and %llu kills in an add",
		     (long long)v.i, (unsigned long long)adds,
		     (unsigned long long)kills_win[LK_VALUE]);
	parent_call("Array.get_slice");
	r = sm_array_get_slice(o.array, &all, out, NARRAY);
	for (int i = 0; i < r; i++)
		sum += (uint64_t)out[i].i;
	if (r != NARRAY || sum < aadds || sum > aadds + kills_win[LK_ARRAY])
		fail(C_DATA, "Array sum %llu after %llu acknowledged adds and %llu kills in an add",
		     (unsigned long long)sum, (unsigned long long)aadds,
		     (unsigned long long)kills_win[LK_ARRAY]);
	printf("# Value %lld = %llu adds + %lld by killed adders; Array sum %llu = %llu adds + %lld\n",
	       (long long)v.i, (unsigned long long)adds, (long long)(v.i - (int64_t)adds),
	       (unsigned long long)sum, (unsigned long long)aadds,
	       (long long)(sum - aadds));

	parent_call("dict.items");
	n = sm_dict_iter(o.dict, SM_DICT_ITEMS, &cursor, out, 1024, &buf);
	r = sm_dict_len(o.dict);
	if (n < 0 || n != r || n > 32 ||
	    !types_in(out, 2 * n, 1u << SYNCMGR_VAL_INT | 1u << SYNCMGR_VAL_STR))
		fail(C_DATA, "dict: %d items, len %d", n, r);
	parent_call("list[:]");
	n = sm_list_get_slice(o.list, &all, out, 1024, &buf);
	if (n < 0 || n != sm_list_len(o.list) || n > 2 * LIST_MAX ||
	    !types_in(out, n, 1u << SYNCMGR_VAL_INT))
		fail(C_DATA, "list: %d values", n);
	for (int i = 0; i < n; i++)
		if (out[i].i < 0 || out[i].i >= 100)
			fail(C_DATA, "list: a value %lld never stored",
			     (long long)out[i].i);
	parent_call("handle-list[:]");
	n = sm_list_get_slice(o.hlist, &all, out, 1024, &buf);
	if (n < 0 || !types_in(out, n, 1u << SYNCMGR_VAL_HANDLE))
		fail(C_DATA, "handle-list: %d values", n);
	for (int i = 0; i < n; i++) {
		if (out[i].type != SYNCMGR_VAL_HANDLE)
			continue;
		r = sm_type(out[i].handle);
		if (r != SYNCMGR_TYPE_LOCK && r != SYNCMGR_TYPE_EVENT &&
		    r != SYNCMGR_TYPE_DICT)
			fail(C_DATA, "handle-list: an object of type %d", r);
		close(out[i].handle);
	}
	cursor = 0;
	parent_call("Namespace.list");
	n = sm_ns_list(o.ns, &cursor, out, 1024, &buf);
	if (n < 0 || n > 8)
		fail(C_DATA, "Namespace: %d names", n);
	cursor = 0;
	parent_call("nested dict.items");
	n = sm_dict_iter(o.ndict, SM_DICT_ITEMS, &cursor, out, 1024, &buf);
	if (n < 0 || n > 2 || !types_in(out, 2 * n, 1u << SYNCMGR_VAL_STR |
						   1u << SYNCMGR_VAL_HANDLE))
		fail(C_DATA, "nested dict: %d items", n);
	for (int i = 0; i < 2 * n; i++) {
		if (out[i].type != SYNCMGR_VAL_HANDLE)
			continue;
		/* dict['lh'] may hold the handle-list, whose [0] is no Lock. */
		if (i % 2 && out[i - 1].type == SYNCMGR_VAL_STR &&
		    out[i - 1].buf.len == 4 &&
		    !memcmp(out[i - 1].buf.ptr, "nest", 4))
			check_nested_lock(out[i].handle);
		close(out[i].handle);
	}
	for (;;) {
		parent_call("handle-queue.get_nowait (drain)");
		r = sm_queue_get_nowait(o.hqueue, &v, &buf);
		if (r)
			break;
		if (v.type != SYNCMGR_VAL_HANDLE) {
			fail(C_DATA, "handle-queue: a value of type %d", v.type);
			continue;
		}
		r = sm_type(v.handle);
		if (r != SYNCMGR_TYPE_EVENT && r != SYNCMGR_TYPE_LIST)
			fail(C_DATA, "handle-queue: an object of type %d", r);
		close(v.handle);
	}
	if (r != -EAGAIN)
		fail(C_DATA, "draining the handle-queue: %d", r);
	parent_call("Value.get(handle)");
	r = sm_value_get(o.hvalue, &v, &buf);
	if (r || (v.type != SYNCMGR_VAL_NONE && v.type != SYNCMGR_VAL_HANDLE))
		fail(C_DATA, "Value(handle): %d, type %d", r, v.type);
	if (!r && v.type == SYNCMGR_VAL_HANDLE)
		close(v.handle);
	alarm(0);
}

/* The calling user's live objects and charged bytes (fdinfo of fd). */
static int usage(int fd, unsigned long *objects, unsigned long *bytes)
{
	*objects = user_objects(fd);
	*bytes = user_bytes(fd);
	return *objects == ~0UL || *bytes == ~0UL ? -1 : 0;
}

static int env_int(const char *name, int dflt, int min, int max)
{
	const char *s = getenv(name);
	long v;

	if (!s || !*s)
		return dflt;
	v = strtol(s, NULL, 0);
	return v < min ? min : v > max ? max : (int)v;
}

static int create_all(void)
{
	struct sm_value zero = sm_int(0), none = sm_none();
	int r;

	o.lock = sm_lock_create(0);
	o.rlock = sm_rlock_create(0);
	o.clock = sm_lock_create(0);
	o.crlock = sm_rlock_create(0);
	o.cond_lock = sm_cond_create(o.clock, 0);
	o.cond_rlock = sm_cond_create(o.crlock, 0);
	o.cond_own = sm_cond_create(-1, 0);
	o.sem = sm_sem_create(SEM_INIT, 0);
	o.bsem = sm_bsem_create(BSEM_INIT, 0);
	o.event = sm_event_create(0);
	o.barrier = sm_barrier_create(2, 0, 0);
	o.barrier_act = sm_barrier_create(2, 0, SM_BARRIER_ACTION);
	o.queue = sm_queue_create(QMAX, 0);
	o.hqueue = sm_queue_create(HQMAX, 0);
	o.value = sm_value_create('q', &zero, 0);
	o.svalue = sm_value_create('c', &none, 0);
	o.hvalue = sm_value_create('O', &none, 0);
	o.array = sm_array_create('q', NULL, NARRAY, 0);
	o.darray = sm_array_create('d', NULL, NDARRAY, 0);
	o.dict = sm_dict_create(0);
	o.ndict = sm_dict_create(0);
	o.list = sm_list_create(0);
	o.hlist = sm_list_create(0);
	o.ns = sm_ns_create(0);
	{
		int h[32], n;
		const char *name[32];

		all_handles(h, name, &n);
		for (int i = 0; i < n; i++)
			if (h[i] < 0) {
				printf("# creating %s: %s\n", name[i], strerror(-h[i]));
				return h[i];
			}
	}
	r = sm_barrier_set_action(o.barrier_act, storm_action, NULL);
	if (r)
		return r;
	/* The nested shape from the start: dict['nest'] = [Lock, Event]. */
	r = new_nest();
	if (r >= 0) {
		struct sm_value key = sm_str("nest"), v = sm_handle(r);
		int l = r;

		r = sm_dict_set(o.ndict, &key, &v);
		close(l);
	}
	return r;
}

static void close_all(void)
{
	int h[32], n;
	const char *name[32];

	all_handles(h, name, &n);
	for (int i = 0; i < n; i++)
		close(h[i]);
}

static void print_summary(double secs, int rounds)
{
	uint64_t ops[NOP] = { 0 }, total = 0;

	for (int w = 0; w < nworkers; w++)
		for (int k = 0; k < NOP; k++)
			ops[k] += S->slot[w].ops[k];
	for (int k = 0; k < NOP; k++)
		total += ops[k];
	printf("# summary: %d rounds in %.1f s (%.2f rounds/s), %llu kills, %llu workers started, %llu operations (%.0f/s)\n",
	       rounds, secs, rounds / secs, (unsigned long long)kills,
	       (unsigned long long)respawns, (unsigned long long)total,
	       total / secs);
	printf("# operations per kind:");
	for (int k = 0; k < NOP; k++)
		printf(" %s %llu%s", op_name[k], (unsigned long long)ops[k],
		       k + 1 < NOP ? "," : "\n");
	printf("# kills per operation in progress:");
	for (int k = 0; k <= NOP; k++)
		if (kills_op[k])
			printf(" %s %llu", op_name[k],
			       (unsigned long long)kills_op[k]);
	printf("\n# barrier actions run %llu, barrier resets by the parent %llu, ELOOP refusals %llu, semaphore units lost with killed holders %llu + %llu\n",
	       (unsigned long long)S->actions,
	       (unsigned long long)barrier_resets,
	       (unsigned long long)S->eloop,
	       (unsigned long long)sem_lost[LK_SEM],
	       (unsigned long long)sem_lost[LK_BSEM]);
}

int main(void)
{
	int rounds = env_int("STORM_ROUNDS", stress_rounds(300), 1, INT_MAX);
	unsigned long obj0, bytes0, obj1 = 0, bytes1 = 0;
	int64_t start, end;
	int probe, r, done = 0;
	const char *s = getenv("STORM_SEED");

	setvbuf(stdout, NULL, _IOLBF, 0);
	seed = s && *s ? strtoull(s, NULL, 0) :
			 (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
	nworkers = env_int("STORM_WORKERS", 6, 1, MAXW);
	round_ms = env_int("STORM_ROUND_MS", 40, 1, 60000);
	max_kills = env_int("STORM_KILLS", 2, 1, 64);
	hang_ms = 10000LL * slow_factor();
	rng = seed;
	parent_pid = getpid();
	signal(SIGALRM, on_alarm);

	ksft_print_header();
	printf("# storm: STORM_SEED=%llu STORM_ROUNDS=%d STORM_WORKERS=%d STORM_ROUND_MS=%d STORM_KILLS=%d (hang bound %lld ms)\n",
	       (unsigned long long)seed, rounds, nworkers, round_ms, max_kills,
	       (long long)hang_ms);
	ksft_set_plan(NCHECK);

	probe = sm_event_create(0);
	if (probe < 0)
		ksft_exit_fail_msg("creating an Event: %s\n", strerror(-probe));
	if (usage(probe, &obj0, &bytes0))
		ksft_exit_fail_msg("no syncmgr-user-objects/bytes in fdinfo\n");
	S = shared_mem(sizeof(*S));
	idstate = shared_mem(MAXIDS);
	seen = calloc(MAXIDS, 1);
	if (!S || !idstate || !seen)
		ksft_exit_fail_msg("out of memory\n");
	S->next_id = 1;
	for (int w = 0; w < nworkers; w++) {
		region[w] = shared_mem(REGION * ENT);
		if (!region[w])
			ksft_exit_fail_msg("out of memory\n");
		memset(region[w], 0xff, REGION * ENT);
	}
	r = create_all();
	if (r < 0)
		ksft_exit_fail_msg("creating the objects: %s\n", strerror(-r));

	S->phase = PAUSE;
	for (int w = 0; w < nworkers; w++)
		start_worker(w);
	start = now_ns();
	for (cur_round = 1; cur_round <= rounds && !hung; cur_round++) {
		int nk = 1 + (int)rnd((unsigned int)max_kills);
		int64_t round_end;

		__atomic_store_n(&S->round, cur_round, __ATOMIC_SEQ_CST);
		set_phase(RUN);
		round_end = now_ns() + round_ms * MS;
		for (int k = 0; k < nk && !hung; k++) {
			int w;

			nap((int)rnd((unsigned int)(round_ms / nk + 1)));
			w = pick_victim();
			kill_worker(w);
			/* Now and then the fresh replacement too, early. */
			if (!hung && rnd(8) == 0) {
				if (rnd(2))
					nap((int)rnd(3));
				kill_worker(w);
			}
		}
		while (!hung && now_ns() < round_end)
			nap((int)((round_end - now_ns()) / MS) + 1);
		set_phase(PAUSE);
		for (;;) {
			bool all = true;

			for (int w = 0; w < nworkers; w++)
				if (S->slot[w].pid > 0 &&
				    __atomic_load_n(&S->slot[w].ack, __ATOMIC_SEQ_CST) != cur_round)
					all = false;
			if (all || hung)
				break;
			nap(1);
		}
		if (hung)
			break;
		for (int w = 0; w < nworkers; w++)
			harvest(w, false);
		pause_check();
		done++;
	}
	end = now_ns();
	cur_round = done;

	/* Stop: every worker exits by itself within the bound. */
	set_phase(STOP);
	for (int w = 0; w < nworkers; w++) {
		pid_t pid = S->slot[w].pid;

		if (pid <= 0)
			continue;
		if (reap(pid, hang_ms) == -1) {
			fail(C_HANG, "worker %d (pid %d) did not stop within %lld ms: in %s",
			     w, pid, (long long)hang_ms, S->slot[w].what);
			dump_task(pid);
			kill(pid, SIGKILL);
			if (reap(pid, hang_ms) == -1)
				fail(C_HANG, "worker %d (pid %d) survives SIGKILL", w, pid);
			hung = true;
		}
		harvest(w, false);
		S->slot[w].pid = 0;
	}

	for (int i = 0; i < S->nbad && i < NBAD; i++)
		fail(C_CALLS, "worker %d in round %d: %s returned %d (%s)",
		     S->bad[i].slot, S->bad[i].round, S->bad[i].what,
		     S->bad[i].ret, S->bad[i].ret < 0 ? strerror(-S->bad[i].ret) : "");
	if (S->nbad > NBAD)
		fail(C_CALLS, "... %d unexpected results in all", S->nbad);
	if (!hung) {
		final_sync_checks();
		final_lock_counts();
		final_queue();
		final_data();
	}
	print_summary((end - start) / 1e9, done);

	/* Everything closed: the objects go, their bytes with them. */
	close_all();
	{
		int64_t until = now_ns() + WAKE_MS * MS;

		do {
			if (usage(probe, &obj1, &bytes1))
				break;
			if (obj1 == obj0 && bytes1 == bytes0)
				break;
			sleep_ms(10);
		} while (now_ns() < until);
	}
	printf("# objects %lu -> %lu, charged bytes %lu -> %lu (this probe Event included)\n",
	       obj0, obj1, bytes0, bytes1);
	if (obj1 != obj0 || bytes1 != bytes0)
		fail(C_MEM, "objects %lu, bytes %lu after closing everything; %lu, %lu before",
		     obj1, bytes1, obj0, bytes0);
	close(probe);

	for (int c = 0; c < NCHECK; c++) {
		if (hung && c > C_CALLS && c != C_MEM)
			ksft_test_result_skip("%s (after a hang)\n", check_name[c]);
		else if (failed[c])
			ksft_test_result_fail("%s: %d failures\n", check_name[c], failed[c]);
		else
			ksft_test_result_pass("%s\n", check_name[c]);
	}
	if (hung)
		ksft_exit_fail();
	ksft_finished();
	return 0;
}
