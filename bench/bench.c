// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench: syncmgr's operations side by side with the kernel's own
 * primitives (futex via pthread process-shared objects, POSIX semaphores,
 * eventfd, POSIX message queues, SysV semaphores, pipes).  Not a test: it
 * asserts nothing about time.  See BENCHMARKS.md.
 *
 * A table of benchmarks (op, impl, syscalls per op, parameter, setup, run,
 * teardown, or one custom trial function).  Each runs in its own forked
 * process (a failure or a leak stays there); run(n) is calibrated until n
 * iterations take BENCH_MS milliseconds, then timed BENCH_TRIALS times.
 * One CSV line per benchmark on stdout:
 *   @bench,op,impl,ns_per_op,syscalls_per_op,iters,extra,spread
 * ns_per_op is the median trial; spread is (max - min) / median of the
 * trials; extra is op-specific (see BENCHMARKS.md) or nan.
 *
 * Usage: bench [SUBSTRING...]  only the benchmarks whose "op,impl" contains
 *                              one of the substrings
 * Environment: BENCH_MS (default 20), BENCH_TRIALS (default 7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <syncmgr.h>

#define MAXKIDS		1024
#define MAXTRIALS	31
#define BATCH		64

/* Shared between the benchmark process and its partners (MAP_SHARED). */
struct shared {
	_Atomic uint32_t a, b;			/* futex words */
	volatile int turn, stop;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	pthread_barrier_t bar;
	sem_t s1, s2;
	_Atomic long count;
	long counter;				/* under the benchmarked lock */
	int64_t t_end[MAXKIDS];
	long vcs[MAXKIDS];
};

struct ctx {
	long param;
	int h[2];		/* syncmgr handles */
	int fd[4];		/* eventfds, pipes, the SysV semaphore id */
	mqd_t mq;
	struct shared *s;
	pid_t kids[MAXKIDS];
	int nkids;
	struct sm_value v, out[BATCH];
	struct sm_buf buf;
	char data[8192];
	char rbuf[8192 * 2 + BATCH * 4200];
	uint64_t rnd;
	char *big;		/* a big value's receiving buffer */
	size_t bigsz;
};

struct bench {
	const char *op, *impl;
	double nsys;		/* syscalls one op makes (0: not applicable) */
	long param;
	int (*setup)(struct ctx *c);
	void (*run)(struct ctx *c, long n);
	void (*teardown)(struct ctx *c);
	/* Instead of run: one trial, returns ns per op, may set *extra. */
	double (*trial)(struct ctx *c, double *extra);
	int trials;		/* 0: BENCH_TRIALS */
};

static double bench_ms = 20;
static int bench_trials = 7;
/*
 * Cross-process figures hang on how fast QEMU wakes the other vCPU, which
 * drifts between a ~60 us and a millisecond mode for every mechanism alike
 * (BENCHMARKS.md, "Noise").  Running them in rounds, every implementation
 * once per round, spreads that drift over all of them; bench/report keeps
 * the median over the rounds.
 */
static int bench_rounds = 3;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fail(const char *what, long ret)
{
	fprintf(stderr, "bench: %s: %ld (%s)\n", what, ret,
		strerror(ret < 0 ? (int)-ret : errno));
	_exit(1);
}

/* A libsync call: -errno fails (EOWNERDEAD means acquired). */
#define SM(x) do { long r_ = (x); if (r_ < 0 && r_ != -EOWNERDEAD) fail(#x, r_); } while (0)
/* A libc call: -1 with errno fails. */
#define SYS(x) do { if ((long)(x) == -1) fail(#x, -errno); } while (0)

static long futex(_Atomic uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static uint64_t next_rnd(struct ctx *c)
{
	c->rnd = c->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	return c->rnd >> 33;
}

/* Forks a partner that runs fn(c) and exits; killed by kill_kids(). */
static void spawn(struct ctx *c, void (*fn)(struct ctx *c))
{
	pid_t pid = fork();

	SYS(pid);
	if (pid == 0) {
		fn(c);
		_exit(0);
	}
	c->kids[c->nkids++] = pid;
}

static void kill_kids(struct ctx *c)
{
	for (int i = 0; i < c->nkids; i++)
		kill(c->kids[i], SIGKILL);
	for (int i = 0; i < c->nkids; i++)
		waitpid(c->kids[i], NULL, 0);
	c->nkids = 0;
}

static void reap_kids(struct ctx *c)
{
	for (int i = 0; i < c->nkids; i++) {
		int st;

		waitpid(c->kids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fail("a partner process failed", -ECHILD);
	}
	c->nkids = 0;
}

static long voluntary_switches(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void init_pshared(struct shared *s, unsigned int parties)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_barrierattr_t ba;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->mtx, &ma);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&s->cv, &ca);
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&s->bar, &ba, parties ? parties : 1);
	sem_init(&s->s1, 1, 1);
	sem_init(&s->s2, 1, 0);
}

static int setup_common(struct ctx *c)
{
	c->s = mmap(NULL, sizeof(*c->s), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->s == MAP_FAILED)
		return -errno;
	init_pshared(c->s, c->param > 0 && c->param < MAXKIDS ? c->param : 1);
	c->buf.data = c->rbuf;
	c->buf.size = sizeof(c->rbuf);
	c->rnd = 12345;
	for (int i = 0; i < 4; i++)
		c->fd[i] = -1;
	c->h[0] = c->h[1] = -1;
	return 0;
}

/* ---- the floor ---------------------------------------------------------- */

static int su_event(struct ctx *c)
{
	return c->h[0] = sm_event_create(0);
}

static void run_getppid(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void run_ioctl_nop(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		ioctl(c->h[0], _IO(SYNCMGR_IOC_MAGIC, 0xff));
}

static void run_ioctl_state(struct ctx *c, long n)
{
	struct syncmgr_state st;

	for (long i = 0; i < n; i++)
		SYS(ioctl(c->h[0], SYNCMGR_IOC_STATE, &st));
}

/* ---- uncontended syncmgr operations --------------------------------------- */

static int su_lock(struct ctx *c)
{
	return c->h[0] = sm_lock_create(0);
}

static int su_rlock(struct ctx *c)
{
	return c->h[0] = sm_rlock_create(0);
}

static int su_sem(struct ctx *c)
{
	return c->h[0] = sm_sem_create(1, 0);
}

static void run_lock(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SM(sm_lock_acquire(c->h[0], SM_FOREVER));
		SM(sm_lock_release(c->h[0]));
	}
}

static void run_rlock(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SM(sm_rlock_acquire(c->h[0], SM_FOREVER));
		SM(sm_rlock_release(c->h[0]));
	}
}

static void run_sem(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SM(sm_sem_acquire(c->h[0], SM_FOREVER));
		SM(sm_sem_release(c->h[0], 1));
	}
}

static void run_event_set(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		SM(sm_event_set(c->h[0]));
}

static void run_event_is_set(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		SM(sm_event_is_set(c->h[0]));
}

static int su_value(struct ctx *c)
{
	struct sm_value v = sm_int(1);

	return c->h[0] = sm_value_create('q', &v, 0);
}

static void run_value_get(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		SM(sm_value_get(c->h[0], &c->out[0], NULL));
}

static void run_value_set(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		struct sm_value v = sm_int(i);

		SM(sm_value_set(c->h[0], &v));
	}
}

static void run_value_add(struct ctx *c, long n)
{
	int64_t old;

	for (long i = 0; i < n; i++)
		SM(sm_value_add(c->h[0], 1, &old));
}

/* A dict of param int keys (0 .. param - 1, value = key), filled by update. */
static int su_dict(struct ctx *c)
{
	struct sm_value pairs[1024];
	long k = 0;

	c->h[0] = sm_dict_create(0);
	if (c->h[0] < 0)
		return c->h[0];
	while (k < c->param) {
		unsigned int np = 0;

		for (; np < 512 && k < c->param; np++, k++)
			pairs[2 * np] = pairs[2 * np + 1] = sm_int(k);
		int ret = sm_dict_update(c->h[0], pairs, np);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static void run_dict_get(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		struct sm_value k = sm_int((int64_t)(next_rnd(c) % c->param));

		SM(sm_dict_get(c->h[0], &k, &c->out[0], &c->buf));
	}
}

static void run_dict_set(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		struct sm_value k = sm_int((int64_t)(next_rnd(c) % c->param));
		struct sm_value v = sm_int(i);

		SM(sm_dict_set(c->h[0], &k, &v));
	}
}

static int su_list(struct ctx *c)
{
	return c->h[0] = sm_list_create(0);
}

static void run_list(struct ctx *c, long n)
{
	struct sm_value v = sm_int(7);

	for (long i = 0; i < n; i++) {
		SM(sm_list_append(c->h[0], &v));
		SM(sm_list_pop(c->h[0], -1, &c->out[0], &c->buf));
	}
}

static int su_queue(struct ctx *c)
{
	memset(c->data, 'x', sizeof(c->data));
	c->v = sm_bytes(c->data, (uint32_t)c->param);
	return c->h[0] = sm_queue_create(0, 0);
}

static void run_queue(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SM(sm_queue_put(c->h[0], &c->v, SM_FOREVER));
		SM(sm_queue_get(c->h[0], &c->out[0], &c->buf, SM_FOREVER));
	}
}

/* n items in batches of BATCH: put_many then get_many (per-item cost). */
static void run_queue_batch(struct ctx *c, long n)
{
	struct sm_value vs[BATCH];

	for (int i = 0; i < BATCH; i++)
		vs[i] = c->v;
	for (long done = 0; done < n; done += BATCH) {
		int got = 0;

		SM(sm_queue_put_many(c->h[0], vs, BATCH, SM_FOREVER));
		while (got < BATCH) {
			int r = sm_queue_get_many(c->h[0], c->out, BATCH - got,
						  &c->buf, SM_FOREVER);
			SM(r);
			got += r;
		}
	}
}

/* ---- uncontended alternatives --------------------------------------------- */

static void run_pthread_mutex(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&c->s->mtx);
		pthread_mutex_unlock(&c->s->mtx);
	}
}

static void run_posix_sem(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SYS(sem_wait(&c->s->s1));
		SYS(sem_post(&c->s->s1));
	}
}

static int su_sysv(struct ctx *c)
{
	c->fd[0] = semget(IPC_PRIVATE, 1, 0600);
	if (c->fd[0] < 0)
		return -errno;
	return semctl(c->fd[0], 0, SETVAL, 1) < 0 ? -errno : 0;
}

static void td_sysv(struct ctx *c)
{
	semctl(c->fd[0], 0, IPC_RMID);
	c->fd[0] = -1;
}

static void run_sysv(struct ctx *c, long n)
{
	struct sembuf down = { 0, -1, 0 }, up = { 0, 1, 0 };

	for (long i = 0; i < n; i++) {
		SYS(semop(c->fd[0], &down, 1));
		SYS(semop(c->fd[0], &up, 1));
	}
}

/* An eventfd as a semaphore of 1 (EFD_SEMAPHORE: read takes one). */
static int su_efd_sem(struct ctx *c)
{
	c->fd[0] = eventfd(1, EFD_SEMAPHORE);
	return c->fd[0] < 0 ? -errno : 0;
}

static int su_efd(struct ctx *c)
{
	c->fd[0] = eventfd(0, 0);
	return c->fd[0] < 0 ? -errno : 0;
}

static void run_efd_sem(struct ctx *c, long n)
{
	uint64_t one = 1;

	for (long i = 0; i < n; i++) {
		SYS(read(c->fd[0], &one, 8));
		one = 1;
		SYS(write(c->fd[0], &one, 8));
	}
}

static void run_efd_write(struct ctx *c, long n)
{
	uint64_t one = 1;

	for (long i = 0; i < n; i++)
		SYS(write(c->fd[0], &one, 8));
}

static void run_efd_poll(struct ctx *c, long n)
{
	struct pollfd p = { .fd = c->fd[0], .events = POLLIN };

	for (long i = 0; i < n; i++)
		SYS(poll(&p, 1, 0));
}

/* A pipe holding one token: read takes the lock, write gives it back. */
static int su_pipe_token(struct ctx *c)
{
	if (pipe(c->fd) < 0)
		return -errno;
	return write(c->fd[1], "t", 1) == 1 ? 0 : -EIO;
}

static int su_pipe(struct ctx *c)
{
	memset(c->data, 'x', sizeof(c->data));
	return pipe(c->fd) < 0 ? -errno : 0;
}

static void run_pipe_token(struct ctx *c, long n)
{
	char t;

	for (long i = 0; i < n; i++) {
		SYS(read(c->fd[0], &t, 1));
		SYS(write(c->fd[1], &t, 1));
	}
}

static void run_pipe_msg(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SYS(write(c->fd[1], c->data, c->param));
		SYS(read(c->fd[0], c->rbuf, c->param));
	}
}

static int su_mq(struct ctx *c)
{
	struct mq_attr a = { .mq_maxmsg = BATCH, .mq_msgsize = 4096 };
	char name[64];

	memset(c->data, 'x', sizeof(c->data));
	snprintf(name, sizeof(name), "/smbench.%d", getpid());
	c->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	if (c->mq == (mqd_t)-1) {
		/* Not root: the default msg_max (10) applies. */
		a.mq_maxmsg = 10;
		c->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	}
	if (c->mq == (mqd_t)-1)
		return -errno;
	mq_unlink(name);
	return 0;
}

static void td_mq(struct ctx *c)
{
	mq_close(c->mq);
}

static void run_mq(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SYS(mq_send(c->mq, c->data, c->param, 0));
		SYS(mq_receive(c->mq, c->rbuf, 4096, NULL));
	}
}

/* ---- cross-process ping-pong ------------------------------------------------- */

/* syncmgr Events A (h[0]) and B (h[1]). */
static int su_ev2(struct ctx *c)
{
	c->h[0] = sm_event_create(0);
	c->h[1] = sm_event_create(0);
	return c->h[0] < 0 ? c->h[0] : c->h[1];
}

static void pong_event(struct ctx *c)
{
	for (;;) {
		SM(sm_event_wait(c->h[0], SM_FOREVER));
		SM(sm_event_clear(c->h[0]));
		SM(sm_event_set(c->h[1]));
	}
}

static int su_pp_event(struct ctx *c)
{
	int ret = su_ev2(c);

	if (ret >= 0)
		spawn(c, pong_event);
	return ret;
}

static void run_pp_event(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SM(sm_event_set(c->h[0]));
		SM(sm_event_wait(c->h[1], SM_FOREVER));
		SM(sm_event_clear(c->h[1]));
	}
}

/* Two futex words used as the two Events above. */
static void futex_set(_Atomic uint32_t *w)
{
	atomic_store(w, 1);
	futex(w, FUTEX_WAKE, 1);
}

static void futex_wait_clear(_Atomic uint32_t *w)
{
	while (!atomic_load(w))
		futex(w, FUTEX_WAIT, 0);
	atomic_store(w, 0);
}

static void pong_futex(struct ctx *c)
{
	for (;;) {
		futex_wait_clear(&c->s->a);
		futex_set(&c->s->b);
	}
}

static int su_pp_futex(struct ctx *c)
{
	spawn(c, pong_futex);
	return 0;
}

static void run_pp_futex(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		futex_set(&c->s->a);
		futex_wait_clear(&c->s->b);
	}
}

/* eventfds A (fd[0]) and B (fd[1]), waited for with poll() then read. */
static void efd_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	SYS(poll(&p, 1, -1));
	SYS(read(fd, &v, 8));
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	SYS(write(fd, &one, 8));
}

static void pong_efd(struct ctx *c)
{
	for (;;) {
		efd_wait(c->fd[0]);
		efd_signal(c->fd[1]);
	}
}

static int su_pp_efd(struct ctx *c)
{
	c->fd[0] = eventfd(0, EFD_NONBLOCK);
	c->fd[1] = eventfd(0, EFD_NONBLOCK);
	if (c->fd[0] < 0 || c->fd[1] < 0)
		return -errno;
	spawn(c, pong_efd);
	return 0;
}

static void run_pp_efd(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		efd_signal(c->fd[0]);
		efd_wait(c->fd[1]);
	}
}

static void pong_pipe(struct ctx *c)
{
	char t;

	for (;;) {
		SYS(read(c->fd[0], &t, 1));
		SYS(write(c->fd[3], &t, 1));
	}
}

static int su_pp_pipe(struct ctx *c)
{
	if (pipe(c->fd) < 0 || pipe(c->fd + 2) < 0)
		return -errno;
	spawn(c, pong_pipe);
	return 0;
}

static void run_pp_pipe(struct ctx *c, long n)
{
	char t = 't';

	for (long i = 0; i < n; i++) {
		SYS(write(c->fd[1], &t, 1));
		SYS(read(c->fd[2], &t, 1));
	}
}

static void pong_psem(struct ctx *c)
{
	for (;;) {
		SYS(sem_wait(&c->s->s2));
		SYS(sem_post(&c->s->s1));
	}
}

static int su_pp_psem(struct ctx *c)
{
	sem_init(&c->s->s1, 1, 0);
	spawn(c, pong_psem);
	return 0;
}

static void run_pp_psem(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++) {
		SYS(sem_post(&c->s->s2));
		SYS(sem_wait(&c->s->s1));
	}
}

/*
 * Condition ping-pong: turn 1 = the partner's, 0 = ours.  Each side holds
 * the lock except inside wait().
 */
static void pong_cond(struct ctx *c)
{
	SM(sm_cond_acquire(c->h[0], SM_FOREVER));
	for (;;) {
		while (c->s->turn != 1)
			SM(sm_cond_wait(c->h[0], SM_FOREVER));
		c->s->turn = 0;
		SM(sm_cond_notify(c->h[0], 1));
	}
}

static int su_pp_cond(struct ctx *c)
{
	c->h[0] = sm_cond_create(-1, 0);
	if (c->h[0] < 0)
		return c->h[0];
	spawn(c, pong_cond);
	return 0;
}

static void run_pp_cond(struct ctx *c, long n)
{
	SM(sm_cond_acquire(c->h[0], SM_FOREVER));
	for (long i = 0; i < n; i++) {
		c->s->turn = 1;
		SM(sm_cond_notify(c->h[0], 1));
		while (c->s->turn != 0)
			SM(sm_cond_wait(c->h[0], SM_FOREVER));
	}
	SM(sm_cond_release(c->h[0]));
}

static void pong_pcond(struct ctx *c)
{
	pthread_mutex_lock(&c->s->mtx);
	while (!c->s->stop) {
		while (c->s->turn != 1 && !c->s->stop)
			pthread_cond_wait(&c->s->cv, &c->s->mtx);
		c->s->turn = 0;
		pthread_cond_signal(&c->s->cv);
	}
	pthread_mutex_unlock(&c->s->mtx);
}

static int su_pp_pcond(struct ctx *c)
{
	spawn(c, pong_pcond);
	return 0;
}

static void run_pp_pcond(struct ctx *c, long n)
{
	pthread_mutex_lock(&c->s->mtx);
	for (long i = 0; i < n; i++) {
		c->s->turn = 1;
		pthread_cond_signal(&c->s->cv);
		while (c->s->turn != 0)
			pthread_cond_wait(&c->s->cv, &c->s->mtx);
	}
	pthread_mutex_unlock(&c->s->mtx);
}

/* Stop the pthread partner cleanly: a pshared cond must not lose a waiter. */
static void td_pp_pcond(struct ctx *c)
{
	pthread_mutex_lock(&c->s->mtx);
	c->s->stop = 1;
	pthread_cond_broadcast(&c->s->cv);
	pthread_mutex_unlock(&c->s->mtx);
	reap_kids(c);
}

/* ---- barrier of param processes ------------------------------------------------ */

static void barrier_loop(struct ctx *c)
{
	for (;;)
		SM(sm_barrier_wait(c->h[0], SM_FOREVER));
}

static int su_barrier(struct ctx *c)
{
	c->h[0] = sm_barrier_create((unsigned int)c->param, 0, 0);
	if (c->h[0] < 0)
		return c->h[0];
	for (long i = 1; i < c->param; i++)
		spawn(c, barrier_loop);
	return 0;
}

static void run_barrier(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		SM(sm_barrier_wait(c->h[0], SM_FOREVER));
}

static void pbarrier_loop(struct ctx *c)
{
	for (;;)
		pthread_barrier_wait(&c->s->bar);
}

static int su_pbarrier(struct ctx *c)
{
	for (long i = 1; i < c->param; i++)
		spawn(c, pbarrier_loop);
	return 0;
}

static void run_pbarrier(struct ctx *c, long n)
{
	for (long i = 0; i < n; i++)
		pthread_barrier_wait(&c->s->bar);
}

/* ---- contended lock: param processes, wake-ups per release --------------------- */

enum { L_SYNCMGR, L_PTHREAD, L_PSEM };

#define CONTENDED_ITERS	1000

static void lock_acq(struct ctx *c, int kind)
{
	if (kind == L_SYNCMGR)
		SM(sm_lock_acquire(c->h[0], SM_FOREVER));
	else if (kind == L_PTHREAD)
		pthread_mutex_lock(&c->s->mtx);
	else
		SYS(sem_wait(&c->s->s1));
}

static void lock_rel(struct ctx *c, int kind)
{
	if (kind == L_SYNCMGR)
		SM(sm_lock_release(c->h[0]));
	else if (kind == L_PTHREAD)
		pthread_mutex_unlock(&c->s->mtx);
	else
		SYS(sem_post(&c->s->s1));
}

/*
 * param workers, released together through a pipe, each takes and releases
 * the lock CONTENDED_ITERS times.  Returns ns per acquire+release of the
 * whole group (1 / throughput); *extra = the workers' voluntary context
 * switches (each one a sleep, so a wake-up) per release.
 */
static double contended(struct ctx *c, double *extra, int kind)
{
	int go[2];
	long total = c->param * CONTENDED_ITERS, sleeps = 0;
	int64_t t0, tmax = 0;

	SYS(pipe(go));
	c->s->counter = 0;
	for (long k = 0; k < c->param; k++) {
		pid_t pid = fork();

		SYS(pid);
		if (pid == 0) {
			char t;
			long v0;

			close(go[1]);
			if (read(go[0], &t, 1) < 0)
				_exit(1);
			v0 = voluntary_switches();
			for (int i = 0; i < CONTENDED_ITERS; i++) {
				lock_acq(c, kind);
				c->s->counter++;
				lock_rel(c, kind);
			}
			c->s->vcs[k] = voluntary_switches() - v0;
			c->s->t_end[k] = now_ns();
			_exit(0);
		}
		c->kids[c->nkids++] = pid;
	}
	close(go[0]);
	t0 = now_ns();
	close(go[1]);
	reap_kids(c);
	for (long k = 0; k < c->param; k++) {
		sleeps += c->s->vcs[k];
		if (c->s->t_end[k] > tmax)
			tmax = c->s->t_end[k];
	}
	if (c->s->counter != total)
		fail("the lock let two holders in", -EPROTO);
	*extra = (double)sleeps / (double)total;
	return (double)(tmax - t0) / (double)total;
}

static double tr_contended(struct ctx *c, double *extra)
{
	return contended(c, extra, L_SYNCMGR);
}

static double tr_contended_pthread(struct ctx *c, double *extra)
{
	return contended(c, extra, L_PTHREAD);
}

static double tr_contended_psem(struct ctx *c, double *extra)
{
	return contended(c, extra, L_PSEM);
}

/* ---- one producer, one consumer, 64 B items ------------------------------------ */

#define QITEMS	4096

enum { Q_SYNCMGR, Q_SYNCMGR_BATCH, Q_MQ, Q_PIPE };

static void producer(struct ctx *c, int kind)
{
	struct sm_value vs[BATCH];

	for (int i = 0; i < BATCH; i++)
		vs[i] = sm_bytes(c->data, 64);
	for (long i = 0; i < QITEMS;) {
		switch (kind) {
		case Q_SYNCMGR:
			SM(sm_queue_put(c->h[0], &vs[0], SM_FOREVER));
			i++;
			break;
		case Q_SYNCMGR_BATCH:
			SM(sm_queue_put_many(c->h[0], vs, BATCH, SM_FOREVER));
			i += BATCH;
			break;
		case Q_MQ:
			SYS(mq_send(c->mq, c->data, 64, 0));
			i++;
			break;
		default:
			SYS(write(c->fd[1], c->data, 64));
			i++;
		}
	}
}

/* Consumes one (or a batch); returns how many items. */
static long consume(struct ctx *c, int kind)
{
	int r;

	switch (kind) {
	case Q_SYNCMGR:
		SM(sm_queue_get(c->h[0], &c->out[0], &c->buf, SM_FOREVER));
		return 1;
	case Q_SYNCMGR_BATCH:
		r = sm_queue_get_many(c->h[0], c->out, BATCH, &c->buf,
				      SM_FOREVER);
		SM(r);
		return r;
	case Q_MQ:
		SYS(mq_receive(c->mq, c->rbuf, 4096, NULL));
		return 1;
	default:
		SYS(read(c->fd[0], c->rbuf, 64));
		return 1;
	}
}

/* ns per item from the first item received to the last (no fork cost). */
static double spsc(struct ctx *c, int kind)
{
	pid_t pid;
	long got;
	int64_t t0;

	memset(c->data, 'x', sizeof(c->data));
	pid = fork();
	SYS(pid);
	if (pid == 0) {
		producer(c, kind);
		_exit(0);
	}
	c->kids[c->nkids++] = pid;
	got = consume(c, kind);
	t0 = now_ns();
	while (got < QITEMS)
		got += consume(c, kind);
	double ns = (double)(now_ns() - t0) / (double)(QITEMS - 1);

	reap_kids(c);
	return ns;
}

static int su_q64(struct ctx *c)
{
	return c->h[0] = sm_queue_create(BATCH, 0);
}

static double tr_spsc(struct ctx *c, double *extra)
{
	return spsc(c, Q_SYNCMGR);
}

static double tr_spsc_batch(struct ctx *c, double *extra)
{
	return spsc(c, Q_SYNCMGR_BATCH);
}

static double tr_spsc_mq(struct ctx *c, double *extra)
{
	return spsc(c, Q_MQ);
}

static double tr_spsc_pipe(struct ctx *c, double *extra)
{
	return spsc(c, Q_PIPE);
}

/* ---- one big value, process to process ----------------------------------------- */

/*
 * One 64 MiB value from a forked sender to this process: through a Queue
 * (sm_queue_put, sm_queue_get: libsync's and the kernel's copies, the
 * kernel's allocation) and through a pipe (write, read: the default 64 KiB
 * pipe).  Both sides have their buffers filled before the clock starts;
 * the time runs from the sender's go to the last byte received.  ns per
 * value; extra: MB/s (10^6 bytes).
 */
#define BIGVAL		(64L << 20)

enum { BIG_QUEUE, BIG_PIPE };

static int su_big(struct ctx *c)
{
	c->bigsz = SYNCMGR_VALUE_SIZE(BIGVAL);
	c->big = malloc(c->bigsz);
	if (!c->big)
		return -ENOMEM;
	memset(c->big, 1, c->bigsz);
	return 0;
}

static int su_big_queue(struct ctx *c)
{
	int ret = su_big(c);

	return ret ? ret : (c->h[0] = sm_queue_create(0, 0));
}

static int su_big_pipe(struct ctx *c)
{
	int ret = su_big(c);

	return ret ? ret : pipe(c->fd) < 0 ? -errno : 0;
}

static void big_send(struct ctx *c, int kind, int ready, int go)
{
	char *p = malloc(BIGVAL), b = 0;
	struct sm_value v = sm_bytes(p, BIGVAL);

	if (!p)
		fail("malloc", -ENOMEM);
	memset(p, 'x', BIGVAL);
	SYS(write(ready, &b, 1));
	SYS(read(go, &b, 1));
	if (kind == BIG_QUEUE) {
		SM(sm_queue_put(c->h[0], &v, SM_FOREVER));
		return;
	}
	for (long done = 0, n; done < BIGVAL; done += n) {
		n = write(c->fd[1], p + done, BIGVAL - done);
		SYS(n);
	}
}

static double big_value(struct ctx *c, double *extra, int kind)
{
	struct sm_buf buf = { .data = c->big, .size = c->bigsz };
	int ready[2], go[2];
	char b = 0;
	int64_t t0;
	double ns;
	pid_t pid;

	SYS(pipe(ready));
	SYS(pipe(go));
	pid = fork();
	SYS(pid);
	if (pid == 0) {
		big_send(c, kind, ready[1], go[0]);
		_exit(0);
	}
	c->kids[c->nkids++] = pid;
	SYS(read(ready[0], &b, 1));
	t0 = now_ns();
	SYS(write(go[1], &b, 1));
	if (kind == BIG_QUEUE) {
		SM(sm_queue_get(c->h[0], &c->out[0], &buf, SM_FOREVER));
		if (c->out[0].buf.len != BIGVAL)
			fail("a big value of the wrong size", -EPROTO);
	} else {
		for (long done = 0, n; done < BIGVAL; done += n) {
			n = read(c->fd[0], c->big + done, BIGVAL - done);
			SYS(n);
			if (!n)
				fail("pipe closed early", -EPIPE);
		}
	}
	ns = (double)(now_ns() - t0);
	reap_kids(c);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	*extra = (double)BIGVAL / ns * 1e3;
	return ns;
}

static double tr_big_queue(struct ctx *c, double *extra)
{
	return big_value(c, extra, BIG_QUEUE);
}

static double tr_big_pipe(struct ctx *c, double *extra)
{
	return big_value(c, extra, BIG_PIPE);
}

/* ---- scale: one Event set with param waiters ----------------------------------- */

static void waiter(struct ctx *c)
{
	SM(sm_event_wait(c->h[0], SM_FOREVER));
	atomic_fetch_add(&c->s->count, 1);
}

/* Returns the set() call's ns; *extra = ns until every waiter ran. */
static double tr_event_waiters(struct ctx *c, double *extra)
{
	struct syncmgr_state st;
	int64_t t0, t1;

	c->s->count = 0;
	SM(sm_event_clear(c->h[0]));
	for (long i = 0; i < c->param; i++)
		spawn(c, waiter);
	for (;;) {
		SM(sm_state(c->h[0], &st));
		if (st.waiters == c->param)
			break;
		usleep(2000);
	}
	t0 = now_ns();
	SM(sm_event_set(c->h[0]));
	t1 = now_ns();
	while (atomic_load(&c->s->count) < c->param)
		sched_yield();
	*extra = (double)(now_ns() - t0);
	reap_kids(c);
	return (double)(t1 - t0);
}

/* The same with a futex word and FUTEX_WAKE of all. */
static void fwaiter(struct ctx *c)
{
	atomic_fetch_add(&c->s->count, 1);
	while (!atomic_load(&c->s->a))
		futex(&c->s->a, FUTEX_WAIT, 0);
	atomic_fetch_add(&c->s->count, 1);
}

static double tr_futex_waiters(struct ctx *c, double *extra)
{
	int64_t t0, t1;

	c->s->count = 0;
	atomic_store(&c->s->a, 0);
	for (long i = 0; i < c->param; i++)
		spawn(c, fwaiter);
	while (atomic_load(&c->s->count) < c->param)
		usleep(2000);
	usleep(20000 + 50 * c->param);	/* let the last ones reach the wait */
	t0 = now_ns();
	atomic_store(&c->s->a, 1);
	futex(&c->s->a, FUTEX_WAKE, INT_MAX);
	t1 = now_ns();
	while (atomic_load(&c->s->count) < 2 * c->param)
		sched_yield();
	*extra = (double)(now_ns() - t0);
	reap_kids(c);
	return (double)(t1 - t0);
}

/* ---- scale: creating param objects ---------------------------------------------- */

static int raise_nofile(long n)
{
	struct rlimit r;

	getrlimit(RLIMIT_NOFILE, &r);
	if (r.rlim_cur >= (rlim_t)n + 64)
		return 0;
	r.rlim_cur = n + 64;
	if (r.rlim_max < r.rlim_cur)
		r.rlim_max = r.rlim_cur;
	return setrlimit(RLIMIT_NOFILE, &r) < 0 ? -errno : 0;
}

/* ns per create of param objects held at once; *extra = ns per close. */
static double create_many(struct ctx *c, double *extra, int efd)
{
	int *h = malloc(sizeof(int) * c->param);
	int64_t t0, t1;

	if (!h)
		fail("malloc", -ENOMEM);
	SM(raise_nofile(c->param));
	t0 = now_ns();
	for (long i = 0; i < c->param; i++) {
		h[i] = efd ? eventfd(0, EFD_CLOEXEC) : sm_lock_create(0);
		if (h[i] < 0)
			fail("create", efd ? -errno : h[i]);
	}
	t1 = now_ns();
	for (long i = 0; i < c->param; i++)
		close(h[i]);
	*extra = (double)(now_ns() - t1) / (double)c->param;
	free(h);
	return (double)(t1 - t0) / (double)c->param;
}

static double tr_create(struct ctx *c, double *extra)
{
	return create_many(c, extra, 0);
}

static double tr_create_efd(struct ctx *c, double *extra)
{
	return create_many(c, extra, 1);
}

/* ---- the table -------------------------------------------------------------- */

#define B(op, impl, nsys, param, su, run, td) \
	{ op, impl, nsys, param, su, run, td, NULL, 0 }
#define T(op, impl, param, su, trial, trials) \
	{ op, impl, 0, param, su, NULL, NULL, trial, trials }

static const struct bench benches[] = {
	B("floor.syscall", "floor", 1, 0, NULL, run_getppid, NULL),
	B("floor.ioctl", "floor", 1, 0, su_event, run_ioctl_nop, NULL),
	B("floor.ioctl_state", "floor", 1, 0, su_event, run_ioctl_state, NULL),

	B("lock.acq_rel", "syncmgr", 2, 0, su_lock, run_lock, NULL),
	B("lock.acq_rel", "pthread", 0, 0, NULL, run_pthread_mutex, NULL),
	B("lock.acq_rel", "posix_sem", 0, 0, NULL, run_posix_sem, NULL),
	B("lock.acq_rel", "sysv_sem", 2, 0, su_sysv, run_sysv, td_sysv),
	B("lock.acq_rel", "eventfd", 2, 0, su_efd_sem, run_efd_sem, NULL),
	B("lock.acq_rel", "pipe", 2, 0, su_pipe_token, run_pipe_token, NULL),
	B("rlock.acq_rel", "syncmgr", 2, 0, su_rlock, run_rlock, NULL),
	B("sem.acq_rel", "syncmgr", 2, 0, su_sem, run_sem, NULL),
	B("sem.acq_rel", "posix_sem", 0, 0, NULL, run_posix_sem, NULL),
	B("sem.acq_rel", "sysv_sem", 2, 0, su_sysv, run_sysv, td_sysv),
	B("sem.acq_rel", "eventfd", 2, 0, su_efd_sem, run_efd_sem, NULL),
	B("event.set", "syncmgr", 1, 0, su_event, run_event_set, NULL),
	B("event.set", "eventfd", 1, 0, su_efd, run_efd_write, NULL),
	B("event.is_set", "syncmgr", 1, 0, su_event, run_event_is_set, NULL),
	B("event.is_set", "eventfd", 1, 0, su_efd, run_efd_poll, NULL),
	B("value.get", "syncmgr", 1, 0, su_value, run_value_get, NULL),
	B("value.set", "syncmgr", 1, 0, su_value, run_value_set, NULL),
	B("value.add", "syncmgr", 1, 0, su_value, run_value_add, NULL),
	B("dict.set", "syncmgr", 1, 16, su_dict, run_dict_set, NULL),
	B("dict.get", "syncmgr", 1, 16, su_dict, run_dict_get, NULL),
	B("list.append_pop", "syncmgr", 2, 0, su_list, run_list, NULL),
	B("queue.put_get.8", "syncmgr", 2, 8, su_queue, run_queue, NULL),
	B("queue.put_get.8", "posix_mq", 2, 8, su_mq, run_mq, td_mq),
	B("queue.put_get.8", "pipe", 2, 8, su_pipe, run_pipe_msg, NULL),
	B("queue.put_get.64", "syncmgr", 2, 64, su_queue, run_queue, NULL),
	B("queue.put_get.64", "posix_mq", 2, 64, su_mq, run_mq, td_mq),
	B("queue.put_get.64", "pipe", 2, 64, su_pipe, run_pipe_msg, NULL),
	B("queue.put_get.4096", "syncmgr", 2, 4096, su_queue, run_queue, NULL),
	B("queue.put_get.4096", "posix_mq", 2, 4096, su_mq, run_mq, td_mq),
	B("queue.put_get.4096", "pipe", 2, 4096, su_pipe, run_pipe_msg, NULL),
	B("queue.batch64.put_get.64", "syncmgr", 2.0 / BATCH, 64, su_queue,
	  run_queue_batch, NULL),

	B("xproc.event_pingpong", "syncmgr", 6, 0, su_pp_event, run_pp_event, kill_kids),
	B("xproc.event_pingpong", "futex", 0, 0, su_pp_futex, run_pp_futex, kill_kids),
	B("xproc.event_pingpong", "eventfd", 6, 0, su_pp_efd, run_pp_efd, kill_kids),
	B("xproc.event_pingpong", "pipe", 4, 0, su_pp_pipe, run_pp_pipe, kill_kids),
	B("xproc.event_pingpong", "posix_sem", 0, 0, su_pp_psem, run_pp_psem, kill_kids),
	B("xproc.cond_pingpong", "syncmgr", 0, 0, su_pp_cond, run_pp_cond, kill_kids),
	B("xproc.cond_pingpong", "pthread", 0, 0, su_pp_pcond, run_pp_pcond, td_pp_pcond),
	B("xproc.barrier.4", "syncmgr", 1, 4, su_barrier, run_barrier, kill_kids),
	B("xproc.barrier.4", "pthread", 0, 4, su_pbarrier, run_pbarrier, kill_kids),
	B("xproc.barrier.16", "syncmgr", 1, 16, su_barrier, run_barrier, kill_kids),
	B("xproc.barrier.16", "pthread", 0, 16, su_pbarrier, run_pbarrier, kill_kids),
	T("xproc.lock_contended.4", "syncmgr", 4, su_lock, tr_contended, 0),
	T("xproc.lock_contended.4", "pthread", 4, NULL, tr_contended_pthread, 0),
	T("xproc.lock_contended.4", "posix_sem", 4, NULL, tr_contended_psem, 0),
	T("xproc.lock_contended.16", "syncmgr", 16, su_lock, tr_contended, 0),
	T("xproc.lock_contended.16", "pthread", 16, NULL, tr_contended_pthread, 0),
	T("xproc.lock_contended.16", "posix_sem", 16, NULL, tr_contended_psem, 0),
	T("xproc.queue_1p1c.64", "syncmgr", 0, su_q64, tr_spsc, 0),
	T("xproc.queue_1p1c.64", "posix_mq", 0, su_mq, tr_spsc_mq, 0),
	T("xproc.queue_1p1c.64", "pipe", 0, su_pipe, tr_spsc_pipe, 0),
	T("xproc.queue_1p1c_batch64.64", "syncmgr", 0, su_q64, tr_spsc_batch, 0),
	T("xproc.big_value.64MiB", "syncmgr", 0, su_big_queue, tr_big_queue, 3),
	T("xproc.big_value.64MiB", "pipe", 0, su_big_pipe, tr_big_pipe, 3),

	B("scale.dict_get@1000", "syncmgr", 1, 1000, su_dict, run_dict_get, NULL),
	B("scale.dict_get@100000", "syncmgr", 1, 100000, su_dict, run_dict_get, NULL),
	B("scale.dict_get@1000000", "syncmgr", 1, 1000000, su_dict, run_dict_get, NULL),
	B("scale.dict_set@1000", "syncmgr", 1, 1000, su_dict, run_dict_set, NULL),
	B("scale.dict_set@100000", "syncmgr", 1, 100000, su_dict, run_dict_set, NULL),
	B("scale.dict_set@1000000", "syncmgr", 1, 1000000, su_dict, run_dict_set, NULL),
	T("scale.event_set@1", "syncmgr", 1, su_event, tr_event_waiters, 5),
	T("scale.event_set@100", "syncmgr", 100, su_event, tr_event_waiters, 5),
	T("scale.event_set@1000", "syncmgr", 1000, su_event, tr_event_waiters, 3),
	T("scale.event_set@1", "futex", 1, NULL, tr_futex_waiters, 5),
	T("scale.event_set@100", "futex", 100, NULL, tr_futex_waiters, 5),
	T("scale.event_set@1000", "futex", 1000, NULL, tr_futex_waiters, 3),
	T("create.100000", "syncmgr", 100000, NULL, tr_create, 3),
	T("create.100000", "eventfd", 100000, NULL, tr_create_efd, 3),
};

#define NBENCHES (sizeof(benches) / sizeof(benches[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void measure(const struct bench *b)
{
	struct ctx *c = calloc(1, sizeof(*c));
	int nt = b->trials ? b->trials : bench_trials;
	double v[MAXTRIALS], extra[MAXTRIALS];
	long n = 1;

	if (!c)
		fail("calloc", -ENOMEM);
	c->param = b->param;
	SM(setup_common(c));
	if (b->setup)
		SM(b->setup(c));
	for (int i = 0; i < nt; i++)
		extra[i] = NAN;
	if (b->trial) {
		for (int i = 0; i < nt; i++)
			v[i] = b->trial(c, &extra[i]);
	} else {
		int64_t target = (int64_t)(bench_ms * 1e6), t;

		for (;;) {
			t = now_ns();
			b->run(c, n);
			t = now_ns() - t;
			if (t >= target)
				break;
			n = t < target / 16 ? n * 8 : n * 2;
		}
		for (int i = 0; i < nt; i++) {
			t = now_ns();
			b->run(c, n);
			v[i] = (double)(now_ns() - t) / (double)n;
		}
	}
	if (b->teardown)
		b->teardown(c);
	kill_kids(c);
	qsort(v, nt, sizeof(v[0]), cmp_double);
	qsort(extra, nt, sizeof(extra[0]), cmp_double);
	printf("@bench,%s,%s,%.1f,%.4g,%ld,%.4g,%.3f\n", b->op, b->impl,
	       v[nt / 2], b->nsys, b->trial ? 1 : n, extra[nt / 2],
	       (v[nt - 1] - v[0]) / v[nt / 2]);
	fflush(stdout);
}

static int selected(const struct bench *b, int argc, char **argv)
{
	char key[256];

	if (argc < 2)
		return 1;
	snprintf(key, sizeof(key), "%s,%s", b->op, b->impl);
	for (int i = 1; i < argc; i++)
		if (strstr(key, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *e;
	int failed = 0;

	if ((e = getenv("BENCH_MS")))
		bench_ms = atof(e);
	if ((e = getenv("BENCH_TRIALS")))
		bench_trials = atoi(e);
	if (bench_trials < 1 || bench_trials > MAXTRIALS)
		bench_trials = 7;
	if ((e = getenv("BENCH_ROUNDS")))
		bench_rounds = atoi(e);
	if (bench_rounds < 1)
		bench_rounds = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# op,impl,ns_per_op,syscalls_per_op,iters,extra,spread\n");
	for (size_t k = 0; k < bench_rounds * NBENCHES; k++) {
		const struct bench *b = &benches[k % NBENCHES];
		int st;
		pid_t pid;

		if (!selected(b, argc, argv))
			continue;
		/* Later rounds: only the cross-process benchmarks. */
		if (k >= NBENCHES && strncmp(b->op, "xproc.", 6))
			continue;
		pid = fork();
		if (pid < 0)
			fail("fork", -errno);
		if (pid == 0) {
			measure(b);
			exit(0);
		}
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("@bench,%s,%s,nan,%.4g,0,nan,nan\n", b->op,
			       b->impl, b->nsys);
			failed++;
		}
	}
	if (failed)
		fprintf(stderr, "bench: %d benchmarks failed\n", failed);
	return failed ? 1 : 0;
}
