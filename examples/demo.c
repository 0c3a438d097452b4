// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * demo: four worker processes share a Lock, a Condition and a Barrier
 * through libsync handles inherited by fork(); a fifth process, forked
 * before the objects existed, receives the Lock over a Unix socket.
 *
 *   1. the stranger gets the Lock by SCM_RIGHTS and adds 1 to the counter;
 *   2. barrier cycle 1: every worker gets its index, the last arriver runs
 *      the barrier action;
 *   3. each worker adds ROUNDS to a counter in MAP_SHARED memory under the
 *      Lock;
 *   4. workers 0 and 1 produce, 2 and 3 consume, through a small queue
 *      guarded by the Condition;
 *   5. barrier cycle 2; worker 0 takes the Lock; barrier cycle 3; the
 *      parent SIGKILLs worker 0 and worker 1 acquires the Lock with
 *      EOWNERDEAD.
 *
 * Every wait has a timeout; the parent gives up after DEMO_LIMIT_S.  Exit
 * status 0 when every check passed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <syncmgr.h>

#define WORKERS		4
#define ROUNDS		200		/* counter increments per worker */
#define ITEMS		5		/* items per producer */
/* Sum of the items: worker w produces w * 100 + 1 .. w * 100 + ITEMS. */
#define ITEMS_SUM	(100 * ITEMS + ITEMS * (ITEMS + 1))
#define QCAP		3		/* queue capacity: producers do block */
#define WAIT_NS		(5 * 1000000000LL)
#define DEMO_LIMIT_S	10

struct shared {
	long counter;
	int queue[QCAP];
	unsigned int head, tail;	/* protected by the condition's lock */
	int consumed, consumed_sum;
	int action_runs;
};

static struct shared *sh;
static int lock, cond, barrier;

/* One write per line, so lines of different processes do not mix. */
static void say(const char *who, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "[%d] %-9s ", getpid(), who);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		_exit(2);
}

static int failed(const char *who, const char *what, int err)
{
	say(who, "FAILED: %s: %s", what, strerror(err < 0 ? -err : err));
	return 1;
}

/* The barrier action: runs in the last arriver, the others still wait. */
static int announce(void *arg)
{
	(void)arg;
	sh->action_runs++;
	say("action", "all %d workers arrived (cycle %d)", WORKERS,
	    sh->action_runs);
	return 0;
}

static int at_barrier(const char *who)
{
	int idx;

	say(who, "waits at the barrier");
	idx = sm_barrier_wait(barrier, SM_BARRIER_DEFAULT);
	if (idx < 0)
		return failed(who, "barrier wait", idx);
	say(who, "passes the barrier with index %d", idx);
	return 0;
}

static int add_to_counter(const char *who, int handle, int n)
{
	long before = -1;

	for (int i = 0; i < n; i++) {
		int ret = sm_lock_acquire(handle, WAIT_NS);

		if (ret < 0 && ret != -EOWNERDEAD)	/* EOWNERDEAD: acquired */
			return failed(who, "lock acquire", ret);
		if (before < 0) {
			before = sh->counter;
			say(who, "takes the lock, counter is %ld", before);
		}
		sh->counter++;
		sm_lock_release(handle);
	}
	say(who, "added %d to the counter", n);
	return 0;
}

static int queue_not_full(void *arg)
{
	(void)arg;
	return sh->tail - sh->head < QCAP;
}

static int queue_not_empty(void *arg)
{
	(void)arg;
	return sh->tail != sh->head;
}

/* Put (item > 0) or take (item == 0) one item, under the condition. */
static int queue_op(const char *who, int item)
{
	int ret = sm_cond_acquire(cond, WAIT_NS);

	if (ret < 0)
		return failed(who, "condition acquire", ret);
	ret = sm_cond_wait_for(cond, item ? queue_not_full : queue_not_empty,
			       NULL, WAIT_NS);
	if (ret <= 0) {
		sm_cond_release(cond);
		return failed(who, "condition wait_for", ret ? ret : ETIMEDOUT);
	}
	if (item) {
		sh->queue[sh->tail++ % QCAP] = item;
		say(who, "produces %d", item);
	} else {
		item = sh->queue[sh->head++ % QCAP];
		sh->consumed++;
		sh->consumed_sum += item;
		say(who, "consumes %d", item);
	}
	/* Producers and consumers share the condition: wake everyone. */
	sm_cond_notify_all(cond);
	sm_cond_release(cond);
	return 0;
}

static int worker(int w, int holding_pipe)
{
	char who[16];
	int ret;

	snprintf(who, sizeof(who), "worker %d", w);
	if (at_barrier(who) || add_to_counter(who, lock, ROUNDS))
		return 1;
	for (int i = 1; i <= ITEMS; i++)
		if (queue_op(who, w < 2 ? w * 100 + i : 0))
			return 1;
	if (at_barrier(who))
		return 1;

	if (w == 0) {		/* the victim: dies holding the lock */
		ret = sm_lock_acquire(lock, WAIT_NS);
		if (ret < 0)
			return failed(who, "lock acquire", ret);
		say(who, "holds the lock and will be killed");
	}
	if (at_barrier(who))
		return 1;
	if (w == 0) {
		if (write(holding_pipe, "k", 1) != 1)
			return failed(who, "pipe write", errno);
		sleep(DEMO_LIMIT_S);
		return failed(who, "was not killed", ETIMEDOUT);
	}
	if (w == 1) {		/* the heir */
		say(who, "tries the lock held by worker 0");
		ret = sm_lock_acquire(lock, WAIT_NS);
		if (ret != -EOWNERDEAD)
			return failed(who, "expected EOWNERDEAD", ret < 0 ? ret : 0);
		say(who, "previous holder died, lock recovered");
		ret = sm_lock_release(lock);
		if (ret < 0)
			return failed(who, "lock release", ret);
	}
	return 0;
}

/* Forked before any object exists: it can only get the Lock by socket. */
static int stranger(int sock)
{
	struct timeval tv = { .tv_sec = 5 };
	int h, ret;

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ret = sm_recv_handles(sock, &h, 1);
	if (ret != 1)
		return failed("stranger", "receive handle", ret < 0 ? ret : EPROTO);
	ret = sm_type(h);
	say("stranger", "received handle %d over the socket (type %d, %s)", h,
	    ret, ret == SYNCMGR_TYPE_LOCK ? "Lock" : "unexpected");
	if (ret != SYNCMGR_TYPE_LOCK)
		return 1;
	ret = add_to_counter("stranger", h, 1);
	close(h);
	return ret;
}

static pid_t spawn(int (*fn)(int, int), int a, int b)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(a, b));
	return pid;
}

static int stranger_main(int sock, int unused)
{
	(void)unused;
	return stranger(sock);
}

/* Reaps pid before the demo's deadline; kills it past that. */
static int reap(pid_t pid, long long end_ns)
{
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (sm_now() > end_ns) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			say("parent", "pid %d did not finish in time", pid);
			return -1;
		}
		usleep(10000);
	}
	return status;
}

static int expect_exit(pid_t pid, long long end_ns, int sig)
{
	int status = reap(pid, end_ns);

	if (status < 0)
		return 1;
	if (sig)
		return !(WIFSIGNALED(status) && WTERMSIG(status) == sig);
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	long long end = sm_now() + DEMO_LIMIT_S * 1000000000LL;
	struct syncmgr_version v;
	int sv[2], hold[2], ret, bad = 0;
	pid_t pids[WORKERS], other;
	struct pollfd pfd;
	char c;

	ret = sm_version(&v);
	if (ret < 0)
		return failed("parent", "open /dev/syncmgr", ret);
	say("parent", "syncmgr ABI %u, features %#llx", v.abi_version,
	    (unsigned long long)v.features);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    pipe(hold))
		return failed("parent", "setup", errno);
	other = spawn(stranger_main, sv[1], 0);

	lock = sm_lock_create(0);
	cond = sm_cond_create(-1, 0);
	barrier = sm_barrier_create(WORKERS, WAIT_NS, SM_BARRIER_ACTION);
	if (lock < 0 || cond < 0 || barrier < 0)
		return failed("parent", "create objects",
			      lock < 0 ? lock : cond < 0 ? cond : barrier);
	ret = sm_barrier_set_action(barrier, announce, NULL);
	if (ret < 0)
		return failed("parent", "set barrier action", ret);
	say("parent", "created Lock %d, Condition %d, Barrier %d", lock, cond,
	    barrier);

	ret = sm_send_handles(sv[0], &lock, 1);
	if (ret < 0)
		return failed("parent", "send handle", ret);
	bad |= expect_exit(other, end, 0);

	for (int w = 0; w < WORKERS; w++)
		pids[w] = spawn(worker, w, hold[1]);

	pfd = (struct pollfd){ .fd = hold[0], .events = POLLIN };
	if (poll(&pfd, 1, WAIT_NS / 1000000) == 1 && read(hold[0], &c, 1) == 1) {
		usleep(100000);	/* let worker 1 block on the lock */
		say("parent", "kills worker 0 (pid %d) with SIGKILL", pids[0]);
		kill(pids[0], SIGKILL);
	} else {
		bad |= failed("parent", "worker 0 never held the lock", ETIMEDOUT);
	}

	for (int w = 0; w < WORKERS; w++)
		bad |= expect_exit(pids[w], end, w == 0 ? SIGKILL : 0);

	if (sh->counter != WORKERS * ROUNDS + 1) {
		say("parent", "FAILED: counter %ld, expected %d", sh->counter,
		    WORKERS * ROUNDS + 1);
		bad = 1;
	}
	if (sh->consumed != 2 * ITEMS || sh->consumed_sum != ITEMS_SUM ||
	    sh->action_runs != 3) {
		say("parent", "FAILED: consumed %d (sum %d), %d barrier actions",
		    sh->consumed, sh->consumed_sum, sh->action_runs);
		bad = 1;
	}
	say("parent", "counter = %ld, %d items passed, %d barrier actions: %s",
	    sh->counter, sh->consumed, sh->action_runs, bad ? "FAILED" : "OK");
	return bad;
}
