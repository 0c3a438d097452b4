/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the syncmgr kselftest programs: processes, shared
 * memory, time windows and handle passing, so that each test reads like
 * its scenario.
 */
#ifndef SYNCMGR_TESTS_COMMON_H
#define SYNCMGR_TESTS_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <syncmgr.h>

#define MS		1000000LL	/* ns in a millisecond */
#define POISON		0xa5

/*
 * The debug kernel (make check-debug: KASAN, lockdep, kmemleak, ...) runs
 * syscalls about 20x slower than the generic guest; its runner sets
 * SYNCMGR_DEBUG_KERNEL=1.  There, upper time bounds and the harness's
 * per-test timeouts stretch by slow_factor() and stress tests do
 * stress_rounds(n), a tenth of their rounds.  Elsewhere both are identity.
 */
static inline bool debug_kernel(void)
{
	const char *v = getenv("SYNCMGR_DEBUG_KERNEL");

	return v && *v && strcmp(v, "0");
}

static inline int slow_factor(void)
{
	return debug_kernel() ? 10 : 1;
}

static inline int stress_rounds(int n)
{
	return debug_kernel() && n >= 10 ? n / 10 : n;
}

/*
 * The harness's timeouts (30 s per test, TEST_F_TIMEOUT) are constants:
 * scale them before it runs the tests.  TEST_HARNESS_MAIN calls
 * test_harness_run(), renamed below to this wrapper.
 */
static inline int syncmgr_harness_run(int argc, char **argv)
{
	for (struct __fixture_metadata *f = __fixture_list; f; f = f->next)
		for (struct __test_metadata *t = f->tests; t; t = t->next)
			t->timeout *= slow_factor();
	return (test_harness_run)(argc, argv);
}
#define test_harness_run syncmgr_harness_run

/* Generous bounds: the guest runs under TCG, several times slower. */
#define BLOCKED_MS	100	/* "still blocked" is checked after this */
#define WAKE_MS		(5000 * slow_factor())	/* a woken task finishes within */

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Anonymous memory shared with forked children. */
static inline void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Waits at most timeout_ms for a child.  Returns its exit code, 128 + the
 * signal that killed it, or -1 if it was still running (it is then killed
 * and reaped, so a broken test never leaves a process behind).
 */
static inline int wait_child(pid_t pid, int timeout_ms)
{
	int64_t end = now_ns() + timeout_ms * MS;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		if (r < 0)
			return -2;
		if (now_ns() > end)
			break;
		sleep_ms(2);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* True if the child has not exited after ms milliseconds. */
static inline bool still_running(pid_t pid, int ms)
{
	sleep_ms(ms);
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/* Kills and reaps a child; returns 0 once it is gone. */
static inline int kill_child(pid_t pid)
{
	int status;

	if (kill(pid, SIGKILL))
		return -errno;
	return waitpid(pid, &status, 0) == pid ? 0 : -errno;
}

/*
 * Returns true once the object reports at least n blocked waiters, polling
 * its state for at most WAKE_MS: the race-free way to know a child has
 * really gone to sleep in the kernel before acting on it.
 */
static inline bool wait_waiters(int handle, unsigned int n)
{
	int64_t end = now_ns() + WAKE_MS * MS;
	struct syncmgr_state st;

	do {
		if (sm_state(handle, &st) == 0 && st.waiters >= n)
			return true;
		sleep_ms(1);
	} while (now_ns() < end);
	return false;
}

/* A connected AF_UNIX pair for passing handles. */
static inline int unix_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ? -errno
								       : 0;
}

static inline pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* An empty handler: the signal interrupts the wait without SA_RESTART. */
static inline void noop_handler(int sig)
{
	(void)sig;
}

static inline int install_handler(int sig, bool restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = noop_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) ? -errno : 0;
}

/* Bytes of stored values the calling user has (fdinfo of any object fd). */
/* A number from fd's fdinfo ("syncmgr-user-bytes"), ~0UL if missing. */
static inline unsigned long fdinfo_number(int fd, const char *key)
{
	char path[64], line[256], name[64];
	unsigned long v = ~0UL, n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %lu", name, &n) == 2 &&
		    !strcmp(name, key)) {
			v = n;
			break;
		}
	fclose(f);
	return v;
}

static inline unsigned long user_bytes(int fd)
{
	return fdinfo_number(fd, "syncmgr-user-bytes");
}

static inline unsigned long user_objects(int fd)
{
	return fdinfo_number(fd, "syncmgr-user-objects");
}

/* A /proc/meminfo figure in KiB (key with its colon), or -1. */
static inline long meminfo_kb(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Raw access to /dev/syncmgr, for bad-input tests that bypass libsync. */
static inline int dev_open(void)
{
	return open("/dev/syncmgr", O_RDWR | O_CLOEXEC);
}

/* ---- Added for sem.c, event.c, barrier.c, device.c (usable by all). ---- */

#include <limits.h>
#include <stdatomic.h>
#include <sys/prctl.h>

/* A result slot of a child before the child has stored its result. */
#define NO_RESULT	INT_MIN

/*
 * Forks a child that runs fn(arg) and stores what it returns in *result
 * (in shared memory, may be NULL), then exits 0.  The child is SIGKILLed
 * if the test process dies first (a failed ASSERT), so no child outlives
 * its test.  Returns the child's pid, or -1.
 */
static inline pid_t spawn(int (*fn)(void *arg), void *arg, int *result)
{
	pid_t parent = getpid();
	pid_t pid;
	int r;

	if (result)
		*result = NO_RESULT;
	pid = fork();
	if (pid != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(125);
	r = fn(arg);
	if (result)
		__atomic_store_n(result, r, __ATOMIC_SEQ_CST);
	_exit(0);
}

/* Polls a result slot for at most ms; true once the child stored it. */
static inline bool result_within(const int *result, int ms)
{
	int64_t end = now_ns() + ms * MS;

	do {
		if (__atomic_load_n(result, __ATOMIC_SEQ_CST) != NO_RESULT)
			return true;
		sleep_ms(1);
	} while (now_ns() < end);
	return false;
}

/* ms elapsed since start_ns. */
static inline int64_t elapsed_ms(int64_t start_ns)
{
	return (now_ns() - start_ns) / MS;
}

/* Receives exactly one handle; the handle or a negative errno. */
static inline int recv_one(int sock)
{
	int h = -1;
	int n = sm_recv_handles(sock, &h, 1);

	if (n < 0)
		return n;
	return n == 1 ? h : -EPROTO;
}

/* poll() on one fd for events; the revents, 0 on timeout, -errno. */
static inline int poll_one(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? p.revents : 0;
}

/*
 * One timed operation of libsync, op(handle, timeout_ns) (sm_sem_acquire,
 * sm_event_wait, sm_barrier_wait, sm_lock_acquire, ...), run by a child.
 */
struct timed_call {
	int (*op)(int handle, int64_t timeout_ns);
	int handle;
	int64_t timeout_ns;
	int catch_sig;		/* install noop_handler for it first; 0: none */
	bool restart;		/* ... with SA_RESTART */
};

static inline int timed_call_run(void *arg)
{
	const struct timed_call *c = arg;

	if (c->catch_sig && install_handler(c->catch_sig, c->restart))
		return -ENOSYS;
	return c->op(c->handle, c->timeout_ns);
}

/* A child running c; its return value lands in *result. */
static inline pid_t spawn_call(const struct timed_call *c, int *result)
{
	return spawn(timed_call_run, (void *)c, result);
}

/*
 * A child running c, returned once the object reports n waiters (the child
 * and those already blocked), so that it is known to sleep in the kernel.
 * Returns -1 (and leaves no child) if it never blocks.
 */
static inline pid_t spawn_waiter(const struct timed_call *c, int *result,
				 unsigned int n)
{
	pid_t pid = spawn_call(c, result);

	if (pid > 0 && !wait_waiters(c->handle, n)) {
		kill_child(pid);
		return -1;
	}
	return pid;
}

/*
 * n children running c, each returned once blocked (the object reports
 * i + 1 waiters for the i-th), so their arrival order is known.  False if
 * one never blocks.
 */
static inline bool spawn_waiters(const struct timed_call *c, pid_t *pid,
				 int *res, int n)
{
	for (int i = 0; i < n; i++) {
		pid[i] = spawn_waiter(c, &res[i], i + 1);
		if (pid[i] < 0)
			return false;
	}
	return true;
}

/* Reaps n children (WAKE_MS each); each must have stored want. */
static inline void expect_results(struct __test_metadata *_metadata,
				  const pid_t *pid, const int *res, int n,
				  int want)
{
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, wait_child(pid[i], WAKE_MS));
		EXPECT_EQ(want, res[i]) {
			TH_LOG("child %d of %d", i, n);
		}
	}
}

/* A group of children blocked in one timed call, in arrival order. */
#define MAX_WAITERS	8

struct waiters {
	int n;
	pid_t pid[MAX_WAITERS];
	int *res;		/* shared memory: each child's result */
};

static inline bool waiters_start(struct waiters *w, const struct timed_call *c,
				 int n)
{
	w->n = n;
	w->res = shared_mem(MAX_WAITERS * sizeof(*w->res));
	return w->res && n <= MAX_WAITERS &&
	       spawn_waiters(c, w->pid, w->res, n);
}

/* Every child of the group returns want within WAKE_MS. */
static inline void waiters_expect(struct __test_metadata *_metadata,
				  const struct waiters *w, int want)
{
	expect_results(_metadata, w->pid, w->res, w->n, want);
}

/*
 * A child blocked in c gets a signal whose handler has no SA_RESTART: the
 * call must return -EINTR.
 */
static inline void expect_interrupted(struct __test_metadata *_metadata,
				      struct timed_call c)
{
	struct waiters w;

	c.catch_sig = SIGUSR1;
	c.restart = false;
	ASSERT_TRUE(waiters_start(&w, &c, 1));
	ASSERT_EQ(0, kill(w.pid[0], SIGUSR1));
	waiters_expect(_metadata, &w, -EINTR);
}

static inline int poll_in_long(void *arg)
{
	return poll_one(*(int *)arg, POLLIN, 10 * WAKE_MS);
}

/*
 * A child blocked in poll(POLLIN) on fd stays blocked until wake(fd), then
 * returns POLLIN within WAKE_MS.
 */
static inline void expect_poll_wakes(struct __test_metadata *_metadata,
				     int fd, int (*wake)(int fd))
{
	int *res = shared_mem(sizeof(*res));
	pid_t pid;

	ASSERT_NE(NULL, res);
	pid = spawn(poll_in_long, &fd, res);
	ASSERT_LT(0, pid);
	EXPECT_TRUE(still_running(pid, BLOCKED_MS));
	ASSERT_EQ(0, wake(fd));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_TRUE(*res > 0 && (*res & POLLIN)) {
		TH_LOG("poll returned %d", *res);
	}
}

/*
 * A child forked before the objects it uses exist: it receives n handles
 * (at most 8) over sock, in one message, and returns fn(handles, arg).
 * The handles are then ones it did not inherit.
 */
struct remote_call {
	int (*fn)(const int *handles, void *arg);
	void *arg;
	int sock;
	unsigned int n;
};

static inline int remote_call_run(void *p)
{
	const struct remote_call *rc = p;
	int h[8];
	int got = sm_recv_handles(rc->sock, h, rc->n);

	if (got != (int)rc->n)
		return got < 0 ? got : -EPROTO;
	return rc->fn(h, rc->arg);
}

static inline pid_t spawn_remote(int sock, unsigned int n,
				 int (*fn)(const int *handles, void *arg),
				 void *arg, int *result)
{
	struct remote_call rc = { .fn = fn, .arg = arg, .sock = sock, .n = n };

	if (n > 8)
		return -1;
	return spawn(remote_call_run, &rc, result);
}

/* ---- Added for lock.c and cond.c (usable by all). ---- */

/* Waits at most WAKE_MS for a shared counter to reach want. */
static inline bool counter_reaches(const int *counter, int want)
{
	int64_t end = now_ns() + WAKE_MS * MS;

	while (__atomic_load_n(counter, __ATOMIC_SEQ_CST) < want) {
		if (now_ns() > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* sm_state() into a poisoned struct, so that unwritten fields show. */
static inline int state_poisoned(int handle, struct syncmgr_state *st)
{
	memset(st, POISON, sizeof(*st));
	return sm_state(handle, st);
}

/* Module parameters (/sys/module/syncmgr/parameters/...): 0 or -errno. */
static inline int write_param(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

static inline int read_param(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

/* ---- Added for the value-size limit (dict.c, list.c, value.c, queue.c). ---- */

#define VALUE_SIZE_PARAM "/sys/module/syncmgr/parameters/max_value_size"

/* A numeric module parameter, or ~0UL if it cannot be read. */
static inline unsigned long param_ulong(const char *path)
{
	char buf[32];

	if (read_param(path, buf, sizeof(buf)))
		return ~0UL;
	return strtoul(buf, NULL, 10);
}

/*
 * Sets max_value_size to size for the test (a small limit is cheap to
 * pass: no 256 MiB buffers), its former value kept in saved, to be put
 * back with write_param(VALUE_SIZE_PARAM, saved) before anything can
 * ASSERT out.  False (nothing changed) if the parameter is not writable.
 */
static inline bool set_value_size(unsigned int size, char *saved, size_t n)
{
	char buf[32];

	if (read_param(VALUE_SIZE_PARAM, saved, n))
		return false;
	snprintf(buf, sizeof(buf), "%u\n", size);
	return write_param(VALUE_SIZE_PARAM, buf) == 0;
}

#endif /* SYNCMGR_TESTS_COMMON_H */
