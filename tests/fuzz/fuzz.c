// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz: structured random calls into syncmgr, through libsync and through
 * raw ioctls with valid-shaped but random argument structs, on fds of every
 * kind (objects of all 13 types, closed fds, dup'ed fds, fds passed over a
 * socket, foreign files and the device itself), from several worker
 * processes that fork, signal and SIGKILL each other.  See README.
 *
 * Budget: FUZZ_CALLS (total calls, all processes) and/or FUZZ_SECONDS;
 * FUZZ_SEED, FUZZ_PROCS, FUZZ_DEPTH (deepest nesting chain), FUZZ_HANG
 * (seconds a call may take before the watchdog calls it a hang).  The
 * same as options: -n CALLS -t SECONDS -s SEED -p PROCS -d DEPTH -w HANG.
 * FUZZ_SKIP=op,op,... leaves ops out (names as the reports print them),
 * to look past a known finding.
 * Without a budget: a short run (make check), shorter on the debug kernel.
 *
 * What fails the run: an errno no syncmgr call may return (ERESTARTSYS
 * leaking out, ...), a success that is impossible (an ioctl succeeding
 * on a foreign or closed fd, a cycle stored, a handle coming out that is
 * not a syncmgr fd, a STATE with an unknown type, ...), a call that does
 * not return within FUZZ_HANG seconds (the watchdog names it), a process
 * that does not die on SIGKILL, a worker crashing (any signal but ours),
 * the budget overrun, and the module's per-user objects/bytes not coming
 * back to where they were once everything is closed.
 * Output: TAP, a summary (calls, calls per errno, calls/s) and the
 * kselftest "# Totals:" line that tests/guest/run-suite counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <poll.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/ucontext.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <syncmgr.h>

#define MS		((int64_t)1000000)
#define NTYPES		13
#define MAX_SLOTS	256	/* workers and their forked children */
#define POOL_MAX	96	/* fds a process keeps */
#define FD_LIMIT	1024
#define MAX_VALS	64
#define SCRATCH		(64 * 1024)
#define NERR		160	/* errno buckets: 0 = success */

/* ---- configuration ---------------------------------------------------------- */

static struct {
	uint64_t calls;		/* 0: no call budget */
	double seconds;		/* 0: no time budget */
	uint64_t seed;
	int procs;
	int depth;		/* deepest chain */
	int hang_s;		/* watchdog bound for one call */
	bool debug;		/* SYNCMGR_DEBUG_KERNEL */
} cfg;

/* ---- shared state ------------------------------------------------------------ */

struct slot {
	_Atomic int pid;
	_Atomic int op;			/* current op, -1: between calls */
	_Atomic int64_t since;		/* ns the current op started */
	_Atomic uint64_t calls;
	uint64_t seed;
	_Atomic int reported;
};

struct shared {
	_Atomic uint64_t calls;		/* syncmgr calls (libsync or ioctl) */
	_Atomic uint64_t ops;		/* fuzzer operations (1 or more calls) */
	_Atomic int stop;
	_Atomic uint64_t err[NERR];
	_Atomic uint64_t bad;		/* impossible results, bad errnos */
	_Atomic uint64_t hangs;
	_Atomic uint64_t unkillable;
	_Atomic uint64_t crashes;
	_Atomic uint64_t cond_stalls;	/* cond re-acquire that had to be killed */
	_Atomic uint64_t forks, kills, sigs, passed, nested, cycles;
	_Atomic int nbadmsg;
	struct slot slot[MAX_SLOTS];
};

static struct shared *sh;
static struct slot *me;		/* this process's slot */
static int64_t t_start;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- random numbers (xorshift64*) ---------------------------------------------- */

static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 2685821657736338717ULL;
}

static uint32_t rn(uint32_t n)	/* 0 .. n-1 */
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool one_in(uint32_t n)
{
	return rn(n) == 0;
}

static int64_t edge_int(void)
{
	static const int64_t e[] = { 0, 1, -1, 2, 7, 127, 128, 255, 256, -128,
		32767, -32768, 65535, INT32_MAX, INT32_MIN, UINT32_MAX,
		INT64_MAX, INT64_MIN, INT64_MAX - 1, 1LL << 53, (1LL << 53) + 1 };

	switch (rn(4)) {
	case 0:
		return e[rn(sizeof(e) / sizeof(e[0]))];
	case 1:
		return (int64_t)rnd();
	default:
		return (int64_t)rn(20) - 5;
	}
}

/* ---- reporting ------------------------------------------------------------------- */

static const char *const op_names[];
static int cur_op = -1;

static void bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	atomic_fetch_add(&sh->bad, 1);
	if (atomic_fetch_add(&sh->nbadmsg, 1) >= 50)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# BUG: pid %d seed %#" PRIx64 " call %" PRIu64 " op %s: %s\n",
		getpid(), me ? me->seed : 0, me ? me->calls : 0,
		cur_op >= 0 ? op_names[cur_op] : "-", msg);
}

/* The errnos a syncmgr call (libsync or raw) may return. */
static bool errno_ok(int e)
{
	switch (e) {
	case EPERM: case ENOENT: case EINTR: case EBADF: case EAGAIN:
	case ENOMEM: case EFAULT: case EINVAL: case ENFILE: case EMFILE:
	case ENOTTY: case E2BIG: case ERANGE: case EPIPE: case EMSGSIZE:
	case ETIMEDOUT: case ELOOP: case EOVERFLOW: case EBADFD:
	case EOWNERDEAD: case EDQUOT: case ENOEXEC: case ECANCELED:
	case EIO: case ECONNRESET: case EMLINK: case ESTALE:
		return true;
	}
	return false;
}

/* Counts one result (0+ or -errno) and checks its errno class. */
static int account(int r)
{
	int e = r < 0 ? -r : 0;

	atomic_fetch_add(&sh->calls, 1);
	atomic_fetch_add(&sh->err[e < NERR ? e : NERR - 1], 1);
	if (r < 0 && !errno_ok(e))
		bad("unexpected errno %d (%s)", e, strerror(e));
	return r;
}

/* ---- fds -------------------------------------------------------------------------- */

enum kind { K_FREE, K_OBJ, K_CLOSED, K_FOREIGN, K_DEV };

struct ent {
	int fd;
	enum kind kind;
	int type;		/* K_OBJ: enum syncmgr_type */
	bool fixed;		/* inherited infrastructure: never closed */
};

static struct ent pool[POOL_MAX];
static int npool;
static unsigned char fdknown[FD_LIMIT];	/* fds this process tracks */
static int devfd, sock[2];
static int foreign[6];			/* pipe r/w, eventfd, /dev/null, file, memfd */
static int nforeign;
static char *page_ro, *page_end;	/* read-only page; page before a hole */
static char *unmapped;
static long pagesz;

static int obj_type(int fd)
{
	int t = sm_type(fd);

	return t > 0 ? t : 0;
}

static void track(int fd, bool on)
{
	if (fd >= 0 && fd < FD_LIMIT)
		fdknown[fd] = on;
}

static void pool_drop(int i)
{
	track(pool[i].fd, false);
	pool[i] = pool[--npool];
}

static void close_ent(int i)
{
	if (pool[i].fixed)
		return;
	close(pool[i].fd);
	track(pool[i].fd, false);
	/* keep the number for a while as a closed fd */
	pool[i].kind = K_CLOSED;
}

static void forget_closed(int fd)
{
	for (int i = 0; i < npool; i++)
		if (pool[i].fd == fd && pool[i].kind == K_CLOSED) {
			pool[i] = pool[--npool];
			i--;
		}
}

/* Adopts a new fd of this process (an object unless told otherwise). */
static void adopt(int fd, int want_type)
{
	int t;

	if (fd < 0)
		return;
	if (fd >= FD_LIMIT) {
		close(fd);
		return;
	}
	t = obj_type(fd);
	if (want_type > 0 && t != want_type)
		bad("new fd %d has type %d, expected %d", fd, t, want_type);
	if (want_type == 0 && t == 0)
		bad("new fd %d is not a syncmgr object", fd);
	/* an untracked Lock never goes where a Condition could wait on it */
	if (t == SYNCMGR_TYPE_LOCK) {
		struct syncmgr_state st;

		if (sm_state(fd, &st) == 0 &&
		    (st.flags & SYNCMGR_CREATE_UNTRACKED)) {
			close(fd);
			return;
		}
	}
	forget_closed(fd);
	while (npool >= POOL_MAX) {
		int i = rn(npool);

		if (pool[i].fixed)
			continue;
		if (pool[i].kind != K_CLOSED)
			close(pool[i].fd);
		pool_drop(i);
	}
	pool[npool++] = (struct ent){ fd, t ? K_OBJ : K_FOREIGN, t, false };
	track(fd, true);
}

/* A handle that came out of a call: must be a new syncmgr fd. */
static void adopt_out(int fd)
{
	if (fd < 0 || (fd < FD_LIMIT && fdknown[fd])) {
		bad("handle out is fd %d, not a new fd", fd);
		return;
	}
	adopt(fd, 0);
}

static int weird_fd(void)
{
	static const int w[] = { -1, -2, 5000, INT_MAX, INT_MIN, FD_LIMIT - 1 };

	return w[rn(sizeof(w) / sizeof(w[0]))];
}

static bool surely_bad_fd(int fd)
{
	return fd < 0 || fd >= FD_LIMIT;
}

/* An fd: usually an object of type t (0: any object), else anything. */
static int pick_fd(int t)
{
	if (one_in(25))
		return weird_fd();
	if (!one_in(8) && npool) {
		int s = rn(npool);

		for (int k = 0; k < npool; k++) {
			struct ent *e = &pool[(s + k) % npool];

			if (e->kind == K_OBJ && (!t || e->type == t))
				return e->fd;
		}
	}
	return npool ? pool[rn(npool)].fd : devfd;
}

static int pick_obj_of(const int *types, int n)
{
	return pick_fd(types[rn(n)]);
}

static struct ent *ent_of(int fd)
{
	for (int i = 0; i < npool; i++)
		if (pool[i].fd == fd)
			return &pool[i];
	return NULL;
}

/* ---- values ------------------------------------------------------------------------ */

static char scratch[MAX_VALS][256];

static const char *const strs[] = { "", "a", "key", "π", "ключ", "\xff\xfe",
	"\xc3", "a\0b", "spam", "eggs", "\xed\xa0\x80", "𝄞", "0" };

static uint32_t rand_len(void)
{
	switch (rn(10)) {
	case 0:
		return 0;
	case 1:
		return 100 + rn(156);
	default:
		return rn(24);
	}
}

/*
 * A random composite for slot i: a tuple, list, frozenset, dict or tagged
 * value of a few scalars, strings and handles, sometimes one level more,
 * sometimes a BIGINT (also not minimal), sometimes raw random bytes given
 * as an encoded tree (malformed, almost always).  Elements live in
 * tree_el[i] until the call that uses them.
 */
#define TREE_EL		8
static struct sm_value tree_el[MAX_VALS][2][TREE_EL];
static uint64_t tree_raw[MAX_VALS][16];

static void rand_leaf(struct sm_value *v, int i, int k)
{
	static const char *strs[] = { "", "k", "Color.RED", "\xc3\xa9" };

	switch (rn(5)) {
	case 0:
		*v = sm_int(edge_int());
		break;
	case 1:
		*v = sm_double(rn(2) ? 1.0 : 18446744073709551616.0);
		break;
	case 2:
		*v = sm_str(strs[rn(4)]);
		break;
	case 3:
		*v = sm_handle(pick_fd(0));
		break;
	default:
		*v = sm_bool(rn(2));
		break;
	}
	(void)i;
	(void)k;
}

static struct sm_value rand_shape(struct sm_value *el, uint32_t n)
{
	static const int types[] = { SYNCMGR_VAL_TUPLE, SYNCMGR_VAL_LIST,
		SYNCMGR_VAL_FROZENSET, SYNCMGR_VAL_DICT, SYNCMGR_VAL_TAGGED };
	int type = types[rn(5)];

	if (type == SYNCMGR_VAL_TAGGED) {
		el[0] = sm_str("tag");
		return sm_tagged(el);
	}
	if (type == SYNCMGR_VAL_DICT)
		return sm_dict_value(el, n / 2);
	return sm_tree(type, el, n);
}

static void rand_tree(struct sm_value *v, int i)
{
	uint32_t n = rn(TREE_EL + 1), len;
	uint8_t *b = (uint8_t *)tree_raw[i];

	switch (rn(6)) {
	case 0:	/* BIGINT: 9 .. 16 random bytes */
		len = 9 + rn(8);
		for (uint32_t k = 0; k < len; k++)
			b[k] = (uint8_t)rnd();
		*v = sm_bigint(b, len);
		return;
	case 1:	/* encoded bytes: random (malformed) or a header or two */
		len = 8 * rn(17);
		for (uint32_t k = 0; k < len; k++)
			b[k] = one_in(2) ? 0 : (uint8_t)rnd();
		if (len >= 16 && one_in(2)) {
			struct syncmgr_value h = { .type = (uint16_t)rn(14) };

			memcpy(b, &h, sizeof(h));
		}
		*v = sm_tree(SYNCMGR_VAL_TUPLE + rn(4),
			     len ? (const struct sm_value *)b : NULL, rn(3));
		v->tree.len = len;
		return;
	}
	for (uint32_t k = 0; k < n; k++)
		rand_leaf(&tree_el[i][0][k], i, k);
	if (n && one_in(3)) {
		for (uint32_t k = 0; k < TREE_EL; k++)
			rand_leaf(&tree_el[i][1][k], i, k);
		tree_el[i][0][0] = rand_shape(tree_el[i][1], 1 + rn(TREE_EL));
	}
	*v = rand_shape(tree_el[i][0], n);
}

/* A random typed value for libsync; payloads point into scratch[i]. */
static void rand_value(struct sm_value *v, int i)
{
	double d[] = { 0.0, -0.0, 1.0, 1.5, NAN, INFINITY, -INFINITY, 1e300,
		       (double)(1LL << 53), 3.4e38, 1e-310 };
	uint32_t len;

	memset(v, 0, sizeof(*v));
	switch (rn(16)) {
	case 0:
		*v = sm_none();
		break;
	case 1:
		*v = sm_bool(rn(2));
		break;
	case 2: case 3: case 4:
		*v = sm_int(edge_int());
		break;
	case 5:
		*v = sm_double(d[rn(sizeof(d) / sizeof(d[0]))]);
		break;
	case 6: case 7:
		*v = sm_str(strs[rn(sizeof(strs) / sizeof(strs[0]))]);
		break;
	case 8: case 9:
		len = rand_len();
		for (uint32_t k = 0; k < len; k++)
			scratch[i][k] = (char)("abcdefgh"[rn(8)]);
		*v = sm_payload(rn(2) ? SYNCMGR_VAL_BYTES : SYNCMGR_VAL_BLOB,
				scratch[i], len);
		break;
	case 10:
		len = rand_len();
		for (uint32_t k = 0; k < len; k++)
			scratch[i][k] = (char)rnd();
		*v = sm_payload(1 + rn(8), scratch[i], len);
		break;
	case 11: case 12:
		rand_tree(v, i);
		break;
	default:
		*v = sm_handle(pick_fd(0));
		break;
	}
}

static int rand_values(struct sm_value *v, int max)
{
	int n = one_in(8) ? 0 : 1 + (int)rn(one_in(4) ? max : 4);

	for (int i = 0; i < n; i++)
		rand_value(&v[i], i);
	return n;
}

static bool is_tree_type(int type)
{
	return (type >= SYNCMGR_VAL_TUPLE && type <= SYNCMGR_VAL_FROZENSET) ||
	       type == SYNCMGR_VAL_TAGGED;
}

/* sm_values_walk(): adopt each handle inside a tree that came out. */
static int adopt_in_tree(const struct sm_value *v, unsigned int depth,
			 void *arg)
{
	if (v->type == SYNCMGR_VAL_HANDLE)
		adopt_out(v->handle);
	else if (v->type < 0 || v->type > SYNCMGR_VAL_TAGGED)
		bad("value out in a tree has type %d", v->type);
	return 0;
}

static void take_tree(const void *p, uint32_t len, uint32_t n)
{
	if (sm_values_walk(p, len, n, adopt_in_tree, NULL))
		bad("a tree that came out is malformed");
}

/* Handles among n values that came out: adopted (closed later). */
static void take_out(const struct sm_value *v, int n)
{
	for (int i = 0; i < n && i < MAX_VALS * 2; i++)
		if (v[i].type == SYNCMGR_VAL_HANDLE)
			adopt_out(v[i].handle);
		else if (is_tree_type(v[i].type))
			take_tree(v[i].tree.ptr, v[i].tree.len, v[i].tree.n);
		else if (v[i].type < 0 || v[i].type > SYNCMGR_VAL_TAGGED)
			bad("value out has type %d", v[i].type);
}

/* ---- time ---------------------------------------------------------------------------- */

static int64_t rand_timeout(void)
{
	switch (rn(8)) {
	case 0: case 1: case 2:
		return 0;
	case 3:
		return -(int64_t)rn(1000) - 3;	/* -EINVAL (not SM_FOREVER, -2) */
	default:
		return (int64_t)rn(5 * MS);
	}
}

/* Absolute deadlines: mostly past or a few ms away, never far. */
static uint64_t rand_deadline(void)
{
	int64_t n = now_ns();

	switch (rn(8)) {
	case 0: case 1:
		return 0;
	case 2:
		return 1;
	case 3:
		return (uint64_t)(n - (int64_t)rn(1000) * MS);
	default:
		return (uint64_t)(n + (int64_t)rn(5 * MS));
	}
}

/* ---- bad pointers --------------------------------------------------------------------- */

/* Usually p; sometimes NULL, unmapped, read-only, across the end of a page. */
static void *mangle_ptr(void *p, size_t size)
{
	switch (rn(40)) {
	case 0:
		return NULL;
	case 1:
		return unmapped + rn(pagesz);
	case 2:
		return page_ro;
	case 3:
		/* straddles into the hole after the page */
		return page_end + pagesz - (size > 1 ? 1 + rn(size - 1) : 1);
	case 4:
		return (void *)0xffff888000000000ULL;
	case 5:
		return (char *)p + 1;	/* misaligned, still inside */
	default:
		return p;
	}
}

/* ---- raw ioctls ------------------------------------------------------------------------ */

enum argk { A_NONE, A_VERSION, A_CREATE, A_TOKEN, A_STATE, A_WAIT, A_COUNT,
	    A_ACTION, A_DATA, A_SCALAR };

struct rawcmd {
	const char *name;
	unsigned long cmd;
	enum argk arg;
	bool blocks;
};

#define C(x, a, b) { #x, SYNCMGR_IOC_##x, a, b }
static const struct rawcmd rawcmds[] = {
	C(VERSION, A_VERSION, 0), C(CREATE, A_CREATE, 0), C(OPEN, A_TOKEN, 0),
	C(STATE, A_STATE, 0), C(TOKEN, A_TOKEN, 0), C(ACQUIRE, A_WAIT, 1),
	C(RELEASE, A_COUNT, 0), C(WAIT, A_WAIT, 1), C(SET, A_NONE, 0),
	C(CLEAR, A_NONE, 0), C(NOTIFY, A_COUNT, 0), C(ABORT, A_NONE, 0),
	C(RESET, A_NONE, 0), C(ACTION_DONE, A_ACTION, 0),
	C(PUT, A_DATA, 1), C(GET, A_DATA, 1), C(TASK_DONE, A_DATA, 0),
	C(JOIN, A_DATA, 1), C(LOAD, A_DATA, 0), C(STORE, A_DATA, 0),
	C(ADD, A_DATA, 0), C(CMPXCHG, A_DATA, 0), C(LEN, A_DATA, 0),
	C(LOOKUP, A_DATA, 0), C(ASSIGN, A_DATA, 0), C(DELETE, A_DATA, 0),
	C(CONTAINS, A_DATA, 0), C(POP, A_DATA, 0), C(POPITEM, A_DATA, 0),
	C(SETDEFAULT, A_DATA, 0), C(UPDATE, A_DATA, 0), C(CLEAR_ALL, A_DATA, 0),
	C(COPY, A_DATA, 0), C(ITER, A_DATA, 0), C(INSERT, A_DATA, 0),
	C(REMOVE, A_DATA, 0), C(INDEX, A_DATA, 0), C(COUNT, A_DATA, 0),
	C(REVERSE, A_DATA, 0), C(SORT, A_DATA, 0), C(REPEAT, A_DATA, 0),
	C(SCALAR_LOAD, A_SCALAR, 0), C(SCALAR_STORE, A_SCALAR, 0),
	C(SCALAR_ADD, A_SCALAR, 0),
};
#undef C
#define NRAW (int)(sizeof(rawcmds) / sizeof(rawcmds[0]))

static unsigned char inbuf[SCRATCH] __attribute__((aligned(16)));
static unsigned char outbuf[SCRATCH] __attribute__((aligned(16)));

/* A batch of n values in inbuf, sometimes corrupted; its size. */
static uint32_t rand_batch(int n)
{
	struct sm_value v[MAX_VALS] = { 0 };
	int size;

	for (int i = 0; i < n; i++)
		rand_value(&v[i], i);
	size = sm_values_encode(inbuf, sizeof(inbuf), v, n);
	if (size < 0) {		/* a value libsync refuses: raw garbage */
		size = 16 * n;
		for (int i = 0; i < size; i++)
			inbuf[i] = (unsigned char)rnd();
	}
	if (size > 0 && one_in(6)) {
		switch (rn(5)) {
		case 0:	/* a reserved field */
			inbuf[rn(n) * 16 % size + 2] = (unsigned char)rnd();
			break;
		case 1:	/* any byte */
			inbuf[rn(size)] = (unsigned char)rnd();
			break;
		case 2:	/* a huge len */
			memcpy(inbuf + 4, &(uint32_t){ (uint32_t)rnd() }, 4);
			break;
		case 3:	/* a HANDLE with upper bits set */
			memcpy(inbuf, &(uint16_t){ SYNCMGR_VAL_HANDLE }, 2);
			memcpy(inbuf + 4, &(uint32_t){ 0 }, 4);
			memcpy(inbuf + 8, &(uint64_t){ ((uint64_t)rnd() << 32) |
						       (uint32_t)pick_fd(0) }, 8);
			break;
		default: /* a BOOL of 2 */
			memcpy(inbuf, &(uint16_t){ SYNCMGR_VAL_BOOL }, 2);
			memcpy(inbuf + 4, &(uint32_t){ 0 }, 4);
			memcpy(inbuf + 8, &(uint64_t){ 2 }, 8);
			break;
		}
	}
	return (uint32_t)size;
}

static uint32_t rand_count(void)
{
	switch (rn(8)) {
	case 0:
		return 0;
	case 1:
		return (uint32_t)rnd();
	case 2:
		return SYNCMGR_NOTIFY_ALL;
	default:
		return 1 + rn(3);
	}
}

static uint32_t rand_flags(uint32_t valid)
{
	switch (rn(10)) {
	case 0:
		return (uint32_t)rnd();
	case 1:
		return 1U << rn(32);
	case 2: case 3: case 4:
		return 0;
	default:
		return (uint32_t)rnd() & valid;
	}
}

static uint32_t rare(void)	/* a reserved field: usually 0 */
{
	return one_in(20) ? (uint32_t)rnd() | 1 : 0;
}

static void fill_random(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((unsigned char *)p)[i] = (unsigned char)rnd();
}

/* Parses values written at out (poisoned 0xff before): adopts handles. */
static void scan_out(const unsigned char *out, size_t size, int max)
{
	size_t pos = 0;

	for (int i = 0; i < max && pos + 16 <= size; i++) {
		struct syncmgr_value h;

		memcpy(&h, out + pos, sizeof(h));
		if (h.type == 0xffff)
			return;
		if (h.type > SYNCMGR_VAL_TAGGED || h.reserved) {
			bad("value out: type %u reserved %u", h.type, h.reserved);
			return;
		}
		if (h.type == SYNCMGR_VAL_HANDLE)
			adopt_out((int)(uint32_t)h.data);
		if (is_tree_type(h.type) && pos + SYNCMGR_VALUE_SIZE(h.len) <= size)
			take_tree(out + pos + 16, h.len,
				  h.type == SYNCMGR_VAL_TAGGED ? 2 :
				  (uint32_t)(h.type == SYNCMGR_VAL_DICT ?
					     2 * h.data : h.data));
		pos += SYNCMGR_VALUE_SIZE(h.len);
	}
}

static int type_for_raw(const struct rawcmd *c)
{
	static const int data[] = { SYNCMGR_TYPE_QUEUE, SYNCMGR_TYPE_VALUE,
		SYNCMGR_TYPE_ARRAY, SYNCMGR_TYPE_DICT, SYNCMGR_TYPE_LIST,
		SYNCMGR_TYPE_NAMESPACE };

	if (c->arg == A_DATA)
		return data[rn(6)];
	if (c->arg == A_SCALAR)
		return SYNCMGR_TYPE_VALUE;
	return 1 + rn(NTYPES);
}

static void op_raw(void)
{
	const struct rawcmd *c = &rawcmds[rn(NRAW)];
	unsigned long cmd = c->cmd;
	union {
		struct syncmgr_version ver;
		struct syncmgr_create cr;
		struct syncmgr_token tok;
		struct syncmgr_state st;
		struct syncmgr_wait w;
		struct syncmgr_count cnt;
		struct syncmgr_action_done ad;
		struct syncmgr_data d;
		struct syncmgr_value v;
		unsigned char raw[128];
	} a;
	size_t asize = sizeof(a);
	bool dev = c->arg == A_VERSION || c->arg == A_CREATE ||
		   c->cmd == SYNCMGR_IOC_OPEN;
	bool full_random = one_in(30), forever_ok = false, out_ok = false;
	int fd, r, saved, fresh = -1;
	void *arg;

	memset(&a, 0, sizeof(a));
	switch (c->arg) {
	case A_CREATE:
		a.cr.type = one_in(10) ? rn(20) : 1 + rn(NTYPES);
		a.cr.flags = rand_flags(7);
		a.cr.value = one_in(4) ? (uint32_t)rnd() : rn(8);
		a.cr.lock_fd = a.cr.type == SYNCMGR_TYPE_CONDITION ?
			       (one_in(2) ? -1 : pick_fd(1 + rn(2))) :
			       (one_in(10) ? pick_fd(0) : 0);
		a.cr.timeout_ns = one_in(5) ? rnd() : 0;
		a.cr.typecode = one_in(3) ? (uint32_t)rnd() : (uint32_t)"bBhHiIlLqQfdxu"[rn(14)];
		a.cr.reserved0 = rare();
		a.cr.reserved[rn(2)] = rare();
		break;
	case A_TOKEN:
		if (c->cmd == SYNCMGR_IOC_OPEN) {
			if (!one_in(3)) {
				int f = pick_fd(0);

				ioctl(f, SYNCMGR_IOC_TOKEN, &a.tok);
			} else {
				fill_random(&a.tok.token, sizeof(a.tok.token));
			}
			a.tok.flags = rand_flags(1);
			a.tok.reserved = rare();
		}
		break;
	case A_WAIT:
		a.w.deadline = rand_deadline();
		a.w.flags = one_in(10) ? rand_flags(~0U) | 1 : 0;
		a.w.reserved = rare();
		break;
	case A_COUNT:
		a.cnt.count = rand_count();
		a.cnt.reserved = rare();
		break;
	case A_ACTION:
		a.ad.status = rn(5);
		a.ad.reserved = rare();
		break;
	case A_SCALAR: {
		struct sm_value v;

		rand_value(&v, 0);
		a.v.type = (uint16_t)(one_in(10) ? rn(10) : (uint32_t)v.type);
		a.v.data = v.type == SYNCMGR_VAL_DOUBLE ? 0 : (uint64_t)v.i;
		if (v.type == SYNCMGR_VAL_DOUBLE)
			memcpy(&a.v.data, &v.d, 8);
		a.v.len = one_in(10) ? (uint32_t)rnd() : 0;
		a.v.reserved = (uint16_t)rare();
		break;
	}
	case A_DATA: {
		int n = one_in(10) ? rn(MAX_VALS) : rn(4);
		uint32_t in_size = rand_batch(n);
		static const uint32_t outs[] = { 0, 8, 16, 24, 32, 64, 256,
						 4096, SCRATCH };
		uint32_t out_size = outs[rn(sizeof(outs) / sizeof(outs[0]))];

		a.d.in = n || one_in(3) ? (uint64_t)(uintptr_t)mangle_ptr(inbuf, in_size) : 0;
		a.d.in_size = one_in(10) ? (uint32_t)rnd() % SCRATCH : in_size;
		if (one_in(40))
			a.d.in_size = (uint32_t)rnd();
		memset(outbuf, 0xff, out_size);
		a.d.out = out_size || one_in(3) ? (uint64_t)(uintptr_t)mangle_ptr(outbuf, out_size) : 0;
		a.d.out_size = out_size;
		out_ok = a.d.out == (uint64_t)(uintptr_t)outbuf;
		a.d.count = one_in(5) ? rand_count() : (uint32_t)n;
		/* 0xff: the versions (a stale one: ESTALE) too */
		a.d.flags = rand_flags(0xff);
		if (!one_in(3)) {
			a.d.start = rn(3) ? (int64_t)rn(10) - 3 : edge_int();
			a.d.stop = rn(3) ? (int64_t)rn(10) - 3 : edge_int();
			a.d.step = rn(2) ? 0 : (rn(3) ? (int64_t)rn(5) - 2 : edge_int());
		}
		a.d.deadline = one_in(2) ? rand_deadline() : 0;
		a.d.cursor = one_in(4) ? (one_in(2) ? rnd() : rn(10)) : 0;
		a.d.needed = rare();
		a.d.reserved = rare();
		break;
	}
	default:
		break;
	}
	if (full_random) {
		fill_random(&a, sizeof(a));
		/* a deadline is then anything: keep it refused */
		if (c->arg == A_WAIT)
			a.w.reserved |= 1;
		if (c->arg == A_DATA)
			a.d.reserved |= 1;
		forever_ok = true;
		out_ok = false;
	}
	(void)forever_ok;

	/* the command itself: now and then another size, direction, number */
	switch (rn(30)) {
	case 0:
		cmd = _IOC(_IOC_DIR(cmd), SYNCMGR_IOC_MAGIC, _IOC_NR(cmd), rn(200));
		break;
	case 1:
		cmd = _IOC(rn(4), SYNCMGR_IOC_MAGIC, _IOC_NR(cmd), _IOC_SIZE(cmd));
		break;
	case 2:
		cmd = _IOC(rn(4), SYNCMGR_IOC_MAGIC, rn(256), rn(200));
		/* unknown numbers never block: keep the same bounded struct */
		break;
	}

	/* the fd: mostly the right one */
	if (dev && !one_in(10))
		fd = one_in(10) ? (fresh = open("/dev/syncmgr", O_RDWR | O_CLOEXEC)) : devfd;
	else if (!dev && !one_in(10))
		fd = pick_fd(type_for_raw(c));
	else
		fd = one_in(3) ? foreign[rn(nforeign)] : pick_fd(0);
	track(fresh, true);

	arg = mangle_ptr(&a, asize);
	if (c->arg == A_NONE && one_in(2))
		arg = (void *)(uintptr_t)rnd();
	r = ioctl(fd, cmd, arg);
	saved = errno;
	r = account(r < 0 ? -saved : r);
	if (fresh >= 0) {
		track(fresh, false);
		close(fresh);
	}
	/* an fd made by a mangled command or argument: kept too */
	if (r > 2 && _IOC_TYPE(cmd) == SYNCMGR_IOC_MAGIC &&
	    (_IOC_NR(cmd) == _IOC_NR(SYNCMGR_IOC_CREATE) ||
	     _IOC_NR(cmd) == _IOC_NR(SYNCMGR_IOC_OPEN) ||
	     _IOC_NR(cmd) == _IOC_NR(SYNCMGR_IOC_COPY)) &&
	    (cmd != c->cmd || arg != &a) && r < FD_LIMIT && !fdknown[r])
		adopt(r, -1);

	/* checks */
	if (r >= 0) {
		for (int i = 0; i < nforeign; i++)
			if (fd == foreign[i])
				bad("%s (cmd %#lx) on a foreign file succeeded: %d",
				    c->name, cmd, r);
		if (surely_bad_fd(fd))
			bad("%s on fd %d succeeded", c->name, fd);
		if (full_random && (c->arg == A_WAIT || c->arg == A_DATA) &&
		    cmd == c->cmd && arg == &a)
			bad("%s with a nonzero reserved field succeeded", c->name);
	}
	if (r < 0 && surely_bad_fd(fd) && r != -EBADF)
		bad("%s on fd %d: %d, not EBADF", c->name, fd, r);
	if (r < 0 || cmd != c->cmd || arg != &a)
		return;
	switch (c->arg) {
	case A_VERSION:
		if (a.ver.abi_version != SYNCMGR_ABI_VERSION ||
		    a.ver.max_types < NTYPES || a.ver.reserved[0] || a.ver.reserved[1])
			bad("VERSION: abi %u types %u", a.ver.abi_version, a.ver.max_types);
		break;
	case A_STATE:
		if (a.st.type < 1 || a.st.type > NTYPES || a.st.reserved0 ||
		    a.st.reserved[0] || a.st.reserved[1])
			bad("STATE: type %u reserved %u", a.st.type, a.st.reserved0);
		else if (ent_of(fd) && ent_of(fd)->kind == K_OBJ &&
			 ent_of(fd)->type != (int)a.st.type)
			bad("STATE: type %u, fd %d was created as %d", a.st.type,
			    fd, ent_of(fd)->type);
		break;
	case A_CREATE:
		adopt_out(r);
		break;
	case A_TOKEN:
		if (c->cmd == SYNCMGR_IOC_OPEN)
			adopt_out(r);
		break;
	case A_DATA:
		if (c->cmd == SYNCMGR_IOC_COPY)
			adopt_out(r);
		else if (out_ok && a.d.out_size)
			scan_out(outbuf, a.d.out_size, 2 * 8192);
		break;
	default:
		break;
	}
}

/* ---- libsync calls ------------------------------------------------------------------------ */

static int action_fn(void *arg)
{
	(void)arg;
	return rn(4) ? 0 : -EIO;
}

static int pred_fn(void *arg)
{
	(void)arg;
	return one_in(3);
}

static const int T_LOCKS[] = { SYNCMGR_TYPE_LOCK, SYNCMGR_TYPE_RLOCK };
static const int T_SEMS[] = { SYNCMGR_TYPE_SEMAPHORE, SYNCMGR_TYPE_BOUNDED_SEMAPHORE };
static const int T_DICTS[] = { SYNCMGR_TYPE_DICT, SYNCMGR_TYPE_NAMESPACE };
static const int T_CONT[] = { SYNCMGR_TYPE_QUEUE, SYNCMGR_TYPE_VALUE,
	SYNCMGR_TYPE_DICT, SYNCMGR_TYPE_LIST, SYNCMGR_TYPE_NAMESPACE };

static char obuf_data[SCRATCH];

static struct sm_buf rand_buf(void)
{
	static const size_t sizes[] = { 0, 16, 24, 64, 300, 4096, SCRATCH };
	struct sm_buf b = { obuf_data, sizes[rn(7)], 0 };

	if (b.size == 0 && one_in(2))
		b.data = NULL;
	return b;
}

static struct sm_slice rand_slice(void)
{
	struct sm_slice s = {
		.start = rn(3) ? (int64_t)rn(12) - 4 : edge_int(),
		.stop = rn(3) ? (int64_t)rn(12) - 4 : edge_int(),
		.step = rn(4) ? (rn(2) ? 1 : -1) : (rn(2) ? (int64_t)rn(7) - 3 : edge_int()),
		.flags = rand_flags(SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP),
	};
	return s;
}

static int check01(int r, const char *what)
{
	if (r > 1)
		bad("%s returned %d, not 0/1", what, r);
	return r;
}

static int n_valid_out(int r, int max)
{
	return r < 0 ? 0 : (r > max ? max : r);
}

/* The libsync ops: name, then the call. */
#define LIB_OPS(X) \
	X(create) X(version) X(type) X(state) X(token_open) \
	X(lock) X(rlock) X(sem) X(event) X(cond) X(barrier) \
	X(queue_put) X(queue_get) X(queue_misc) X(value) X(array) \
	X(dict_set) X(dict_get) X(dict_misc) X(dict_iter) X(ns) \
	X(list_add) X(list_get) X(list_misc) X(list_slice)

enum {
#define E(n) OP_##n,
	LIB_OPS(E)
#undef E
	OP_raw, OP_close, OP_dup, OP_pass, OP_recv, OP_chain, OP_fanout,
	OP_diamond, OP_cycle, OP_fork, OP_signal, OP_poll, OP_untracked,
	NOPS
};

static const char *const op_names[] = {
#define S(n) #n,
	LIB_OPS(S)
#undef S
	"raw_ioctl", "close", "dup", "pass_fds", "recv_fds", "deep_chain",
	"fan_out", "diamond", "cycle", "fork", "signal", "poll", "untracked_lock",
};

static int create_any(int t)
{
	struct sm_value v[8];
	unsigned int fl = rand_flags(SM_NO_CLOEXEC);
	static const char tc[] = "bBhHiIlLqQfd";

	switch (t) {
	case SYNCMGR_TYPE_LOCK:
		return sm_lock_create(fl & ~SM_UNTRACKED);
	case SYNCMGR_TYPE_RLOCK:
		return sm_rlock_create(fl);
	case SYNCMGR_TYPE_SEMAPHORE:
		return sm_sem_create(rn(3) ? rn(4) : (uint32_t)rnd(), fl);
	case SYNCMGR_TYPE_BOUNDED_SEMAPHORE:
		return sm_bsem_create(rn(3) ? rn(4) : (uint32_t)rnd(), fl);
	case SYNCMGR_TYPE_EVENT:
		return sm_event_create(fl);
	case SYNCMGR_TYPE_CONDITION:
		return sm_cond_create(one_in(2) ? -1 : pick_obj_of(T_LOCKS, 2), fl);
	case SYNCMGR_TYPE_BARRIER:
		return sm_barrier_create(one_in(10) ? (uint32_t)rnd() : 1 + rn(4),
					 one_in(3) ? 0 : (int64_t)rn(5 * MS),
					 rand_flags(SM_BARRIER_ACTION | SM_NO_CLOEXEC));
	case SYNCMGR_TYPE_QUEUE:
		return sm_queue_create(rn(3) ? rn(5) : (uint32_t)rnd(), fl);
	case SYNCMGR_TYPE_VALUE:
		rand_value(&v[0], 0);
		return sm_value_create((int)rnd(), one_in(3) ? NULL : &v[0], fl);
	case SYNCMGR_TYPE_ARRAY: {
		unsigned int n = one_in(20) ? rn(100000) : rn(8);

		for (int i = 0; i < 8; i++)
			v[i] = rn(4) ? sm_int(edge_int()) : sm_double(1.5);
		return sm_array_create(one_in(10) ? (int)rnd() : tc[rn(12)],
				       n <= 8 && rn(2) ? v : NULL, n, fl);
	}
	case SYNCMGR_TYPE_DICT:
		return sm_dict_create(fl);
	case SYNCMGR_TYPE_LIST:
		return sm_list_create(fl);
	default:
		return sm_ns_create(fl);
	}
}

static void op_create(void)
{
	int t = 1 + rn(NTYPES);
	int r = account(create_any(t));

	if (r >= 0)
		adopt_out(r);
}

static void op_version(void)
{
	struct syncmgr_version v;
	int r = account(sm_version(&v));

	if (r == 0 && v.abi_version != SYNCMGR_ABI_VERSION)
		bad("sm_version: abi %u", v.abi_version);
}

static void op_type(void)
{
	int fd = pick_fd(0);
	int r = account(sm_type(fd));
	struct ent *e = ent_of(fd);

	if (r > NTYPES || r == 0)
		bad("sm_type: %d", r);
	if (r > 0 && e && e->kind == K_OBJ && e->type != r)
		bad("sm_type(%d) = %d, created as %d", fd, r, e->type);
	if (r > 0 && (e ? e->kind == K_FOREIGN && e->fixed : surely_bad_fd(fd)))
		bad("sm_type on fd %d (not an object) = %d", fd, r);
}

static void op_state(void)
{
	struct syncmgr_state st;
	int fd = pick_fd(0);
	int r = account(sm_state(fd, &st));

	if (r == 0 && (st.type < 1 || st.type > NTYPES))
		bad("sm_state: type %u", st.type);
	if (r == 0 && st.type == SYNCMGR_TYPE_BOUNDED_SEMAPHORE && st.value > st.max)
		bad("BoundedSemaphore value %u above its bound %u", st.value, st.max);
}

static void op_token_open(void)
{
	uint8_t tok[16];
	int r = account(sm_token(pick_fd(0), tok));

	if (one_in(4))
		fill_random(tok, 16);
	else if (r < 0)
		return;
	r = account(sm_open_token(tok, rand_flags(SM_NO_CLOEXEC)));
	if (r >= 0)
		adopt_out(r);
}

static void op_lock(void)
{
	int l = pick_fd(SYNCMGR_TYPE_LOCK);

	switch (rn(5)) {
	case 0: case 1:
		account(rn(2) ? sm_lock_acquire(l, rand_timeout())
			      : sm_lock_acquire_until(l, rand_deadline()));
		break;
	case 2: case 3:
		account(sm_lock_release(l));
		break;
	default:
		check01(account(sm_lock_locked(l)), "sm_lock_locked");
	}
}

static void op_rlock(void)
{
	int l = pick_fd(SYNCMGR_TYPE_RLOCK);

	if (rn(2))
		account(rn(2) ? sm_rlock_acquire(l, rand_timeout())
			      : sm_rlock_acquire_until(l, rand_deadline()));
	else
		account(sm_rlock_release(l));
}

static void op_sem(void)
{
	int s = pick_obj_of(T_SEMS, 2);

	switch (rn(4)) {
	case 0:
		account(rn(2) ? sm_sem_acquire(s, rand_timeout())
			      : sm_sem_acquire_until(s, rand_deadline()));
		break;
	case 1:
		account(sm_sem_release(s, rn(4) ? rn(3) : (uint32_t)rnd()));
		break;
	default:
		account(sm_sem_value(s));
	}
}

static void op_event(void)
{
	int e = pick_fd(SYNCMGR_TYPE_EVENT);

	switch (rn(5)) {
	case 0:
		account(sm_event_set(e));
		break;
	case 1:
		account(sm_event_clear(e));
		break;
	case 2:
		check01(account(sm_event_is_set(e)), "sm_event_is_set");
		break;
	default:
		account(rn(2) ? sm_event_wait(e, rand_timeout())
			      : sm_event_wait_until(e, rand_deadline()));
	}
}

static void op_cond(void)
{
	int c = pick_fd(SYNCMGR_TYPE_CONDITION);

	switch (rn(7)) {
	case 0:
		account(rn(2) ? sm_cond_acquire(c, rand_timeout())
			      : sm_cond_acquire_until(c, rand_deadline()));
		break;
	case 1:
		account(sm_cond_release(c));
		break;
	case 2:
		account(rn(2) ? sm_cond_wait(c, rand_timeout())
			      : sm_cond_wait_until(c, rand_deadline()));
		break;
	case 3:
		account(sm_cond_wait_for(c, pred_fn, NULL, rand_timeout()));
		break;
	case 4:
		account(sm_cond_notify(c, rn(3) ? rn(3) : (uint32_t)rnd()));
		break;
	default:
		account(sm_cond_notify_all(c));
	}
}

static void op_barrier(void)
{
	int b = pick_fd(SYNCMGR_TYPE_BARRIER);
	int r;

	switch (rn(8)) {
	case 0:
		account(sm_barrier_set_action(b, one_in(4) ? NULL : action_fn, NULL));
		break;
	case 1: case 2: {
		struct syncmgr_state st;
		int64_t t = rand_timeout();

		/* the default timeout only when it is a short one */
		if (one_in(4) && sm_state(b, &st) == 0 && st.timeout_ns &&
		    st.timeout_ns < 10 * MS)
			t = SM_BARRIER_DEFAULT;
		r = account(rn(2) || t == SM_BARRIER_DEFAULT ? sm_barrier_wait(b, t)
					: sm_barrier_wait_until(b, rand_deadline()));
		if (r >= (1 << 30))
			bad("sm_barrier_wait returned %#x", r);
		break;
	}
	case 3:
		account(sm_barrier_abort(b));
		break;
	case 4:
		account(sm_barrier_reset(b));
		break;
	case 5:
		r = account(sm_barrier_parties(b));
		if (r == 0)
			bad("barrier with 0 parties");
		break;
	case 6:
		account(sm_barrier_n_waiting(b));
		break;
	default:
		check01(account(sm_barrier_broken(b)), "sm_barrier_broken");
	}
}

static void op_queue_put(void)
{
	int q = pick_fd(SYNCMGR_TYPE_QUEUE);
	struct sm_value v[MAX_VALS];
	int n = rand_values(v, MAX_VALS), r;

	/*
	 * The batch may be empty (n == 0, for put_many), but the single puts
	 * read v[0], and libsync copies a payload from v[0].buf.ptr: never
	 * hand it uninitialised stack.
	 */
	if (!n)
		rand_value(&v[0], 0);
	switch (rn(4)) {
	case 0:
		r = account(sm_queue_put_nowait(q, &v[0]));
		break;
	case 1:
		r = account(sm_queue_put(q, &v[0], rand_timeout()));
		break;
	case 2:
		r = account(sm_queue_put_until(q, &v[0], rand_deadline()));
		break;
	default:
		r = account(rn(2) ? sm_queue_put_many(q, v, n, rand_timeout())
				  : sm_queue_put_many_until(q, v, n, rand_deadline()));
		if (r > n)
			bad("put_many of %d put %d", n, r);
	}
}

static void op_queue_get(void)
{
	int q = pick_fd(SYNCMGR_TYPE_QUEUE);
	struct sm_value out[MAX_VALS];
	struct sm_buf b = rand_buf();
	unsigned int max = one_in(4) ? rn(MAX_VALS + 1) : 1 + rn(4);
	int r;

	switch (rn(4)) {
	case 0:
		r = account(sm_queue_get_nowait(q, out, &b));
		take_out(out, r == 0);
		break;
	case 1:
		r = account(rn(2) ? sm_queue_get(q, out, &b, rand_timeout())
				  : sm_queue_get_until(q, out, &b, rand_deadline()));
		take_out(out, r == 0);
		break;
	default:
		r = account(rn(2) ? sm_queue_get_many(q, out, max, &b, rand_timeout())
				  : sm_queue_get_many_until(q, out, max, &b, rand_deadline()));
		if (r > (int)max)
			bad("get_many of %u got %d", max, r);
		take_out(out, n_valid_out(r, max));
	}
}

static void op_queue_misc(void)
{
	int q = pick_fd(SYNCMGR_TYPE_QUEUE);

	switch (rn(7)) {
	case 0:
		account(sm_queue_qsize(q));
		break;
	case 1:
		account(sm_queue_maxsize(q));
		break;
	case 2:
		check01(account(sm_queue_empty(q)), "sm_queue_empty");
		break;
	case 3:
		check01(account(sm_queue_full(q)), "sm_queue_full");
		break;
	case 4:
		account(sm_queue_task_done(q));
		break;
	default:
		account(rn(2) ? sm_queue_join(q, rand_timeout())
			      : sm_queue_join_until(q, rand_deadline()));
	}
}

static void op_value(void)
{
	int h = pick_fd(SYNCMGR_TYPE_VALUE);
	struct sm_value v, w, out;
	struct sm_buf b = rand_buf();
	int64_t old;
	double dold;
	int r;

	rand_value(&v, 0);
	rand_value(&w, 1);
	switch (rn(7)) {
	case 0:
		account(sm_value_typecode(h));
		break;
	case 1:
		r = account(sm_value_get(h, &out, rn(4) ? &b : NULL));
		take_out(&out, r == 0);
		break;
	case 2: case 3:
		account(sm_value_set(h, &v));
		break;
	case 4:
		account(sm_value_add(h, edge_int(), rn(2) ? &old : NULL));
		break;
	case 5:
		account(sm_value_add_double(h, 0.5, rn(2) ? &dold : NULL));
		break;
	default:
		r = account(sm_value_cas(h, &v, &w, rn(2) ? &out : NULL, &b));
		check01(r, "sm_value_cas");
	}
}

static void op_array(void)
{
	int a = pick_fd(SYNCMGR_TYPE_ARRAY);
	struct sm_value v[MAX_VALS], out[MAX_VALS];
	struct sm_slice s = rand_slice();
	int64_t i = rn(3) ? (int64_t)rn(10) - 4 : edge_int(), old;
	int n, r;

	for (int k = 0; k < MAX_VALS; k++)
		v[k] = rn(5) ? sm_int(rn(3) ? (int64_t)rn(100) : edge_int())
			     : sm_double(rn(2) ? 0.25 : 1e40);
	switch (rn(9)) {
	case 0:
		account(sm_array_typecode(a));
		break;
	case 1:
		account(sm_array_len(a));
		break;
	case 2:
		r = account(sm_array_get(a, i, &out[0]));
		/*
		 * libsync does not check the type: on a Value (index 0) this
		 * is the Value's content, a handle included.
		 */
		if (r == 0 && ent_of(a) && ent_of(a)->type == SYNCMGR_TYPE_ARRAY &&
		    out[0].type != SYNCMGR_VAL_INT && out[0].type != SYNCMGR_VAL_DOUBLE)
			bad("array element of type %d", out[0].type);
		if (r == 0 && out[0].type == SYNCMGR_VAL_HANDLE)
			take_out(out, 1);
		break;
	case 3:
		account(sm_array_set(a, i, rn(6) ? &v[0] : &(struct sm_value){
			.type = SYNCMGR_VAL_STR, .buf = { "x", 1 } }));
		break;
	case 4:
		n = rn(MAX_VALS + 1);
		r = account(sm_array_get_slice(a, &s, out, n));
		if (r > n)
			bad("array get_slice of %d gave %d", n, r);
		break;
	case 5:
		account(sm_array_set_slice(a, &s, v, rn(10)));
		break;
	case 6:
		account(sm_array_add(a, i, edge_int(), rn(2) ? &old : NULL));
		break;
	default:
		check01(account(sm_array_cas(a, i, edge_int(), edge_int(),
					     rn(2) ? &old : NULL)), "sm_array_cas");
	}
}

static void op_dict_set(void)
{
	int d = pick_obj_of(T_DICTS, 2);
	struct sm_value v[MAX_VALS];

	rand_value(&v[0], 0);
	rand_value(&v[1], 1);
	if (rn(4)) {
		account(sm_dict_set(d, &v[0], &v[1]));
	} else {
		int n = rand_values(v, MAX_VALS) / 2;

		account(sm_dict_update(d, v, n));
	}
}

static void op_dict_get(void)
{
	int d = pick_obj_of(T_DICTS, 2);
	struct sm_value k, dflt, out[2];
	struct sm_buf b = rand_buf();
	int r;

	rand_value(&k, 0);
	rand_value(&dflt, 1);
	switch (rn(6)) {
	case 0:
		r = account(sm_dict_get(d, &k, &out[0], &b));
		take_out(out, r == 0);
		break;
	case 1:
		r = account(sm_dict_get_default(d, &k, &dflt, &out[0], &b));
		take_out(out, r == 0);	/* a default handle is ours, not new */
		break;
	case 2:
		r = account(sm_dict_pop(d, &k, &out[0], &b));
		take_out(out, r == 0);
		break;
	case 3:
		r = account(sm_dict_pop_default(d, &k, &dflt, &out[0], &b));
		take_out(out, r == 0);
		break;
	case 4:
		r = account(sm_dict_popitem(d, &out[0], &out[1], &b));
		take_out(out, r == 0 ? 2 : 0);
		break;
	default:
		r = account(sm_dict_setdefault(d, &k, &dflt, &out[0], &b));
		take_out(out, r == 0);
	}
}

static void op_dict_misc(void)
{
	int d = pick_obj_of(T_DICTS, 2);
	struct sm_value k;
	int r;

	rand_value(&k, 0);
	switch (rn(5)) {
	case 0:
		account(sm_dict_del(d, &k));
		break;
	case 1:
		check01(account(sm_dict_contains(d, &k)), "sm_dict_contains");
		break;
	case 2:
		account(sm_dict_len(d));
		break;
	case 3:
		if (one_in(5))
			account(sm_dict_clear(d));
		break;
	default:
		r = account(sm_dict_copy(d));
		if (r >= 0)
			adopt_out(r);
	}
}

static void op_dict_iter(void)
{
	int d = pick_obj_of(T_DICTS, 2);
	struct sm_value out[2 * MAX_VALS];
	struct sm_buf b = rand_buf();
	uint64_t cursor = one_in(4) ? (one_in(2) ? rnd() : rn(20)) : 0;
	unsigned int what = rn(4), max = rn(MAX_VALS + 1);

	for (int page = 0; page < 8; page++) {
		int r = account(sm_dict_iter(d, what, &cursor, out, max, &b));
		unsigned int per = what == SM_DICT_ITEMS ? 2 : 1;

		if (r < 0)
			return;
		if ((unsigned int)r * per > max && max)
			bad("dict_iter max %u gave %d entries", max, r);
		take_out(out, n_valid_out(r * per, max));
		if (r == 0 || cursor == 0)
			return;
	}
}

static void op_ns(void)
{
	int ns = pick_obj_of(T_DICTS, 2);
	const char *name = strs[rn(sizeof(strs) / sizeof(strs[0]))];
	struct sm_value v, out[MAX_VALS];
	struct sm_buf b = rand_buf();
	uint64_t cursor = 0;
	int r;

	rand_value(&v, 0);
	switch (rn(4)) {
	case 0:
		r = account(sm_ns_get(ns, name, &out[0], &b));
		take_out(out, r == 0);
		break;
	case 1:
		account(sm_ns_set(ns, name, &v));
		break;
	case 2:
		account(sm_ns_del(ns, name));
		break;
	default:
		r = account(sm_ns_list(ns, &cursor, out, MAX_VALS, &b));
		take_out(out, n_valid_out(r, MAX_VALS));
	}
}

static void op_list_add(void)
{
	int l = pick_fd(SYNCMGR_TYPE_LIST);
	struct sm_value v[MAX_VALS];
	int n = rand_values(v, MAX_VALS);

	rand_value(&v[0], 0);
	switch (rn(3)) {
	case 0:
		account(sm_list_append(l, &v[0]));
		break;
	case 1:
		account(sm_list_extend(l, v, n));
		break;
	default:
		account(sm_list_insert(l, rn(3) ? (int64_t)rn(10) - 4 : edge_int(), &v[0]));
	}
}

static void op_list_get(void)
{
	int l = pick_fd(SYNCMGR_TYPE_LIST);
	struct sm_value out[1];
	struct sm_buf b = rand_buf();
	int64_t i = rn(3) ? (int64_t)rn(10) - 4 : edge_int();
	int r;

	if (rn(2))
		r = account(sm_list_get(l, i, &out[0], &b));
	else
		r = account(sm_list_pop(l, i, &out[0], &b));
	take_out(out, r == 0);
}

static void op_list_misc(void)
{
	int l = pick_fd(SYNCMGR_TYPE_LIST);
	struct sm_value v;
	int64_t i = rn(3) ? (int64_t)rn(10) - 4 : edge_int();
	int r;

	rand_value(&v, 0);
	switch (rn(13)) {
	case 0:
		account(sm_list_len(l));
		break;
	case 1:
		account(sm_list_set(l, i, &v));
		break;
	case 2:
		account(sm_list_del(l, i));
		break;
	case 3:
		account(sm_list_remove(l, &v));
		break;
	case 4:
		account(sm_list_index(l, &v, rn(2) ? 0 : edge_int(),
				      rn(2) ? INT64_MAX : edge_int()));
		break;
	case 5:
		account(sm_list_count(l, &v));
		break;
	case 6:
		check01(account(sm_list_contains(l, &v)), "sm_list_contains");
		break;
	case 7:
		account(sm_list_reverse(l));
		break;
	case 8:
		account(sm_list_sort(l, rn(2)));
		break;
	case 9: {
		int64_t n = rn(4);

		/* a big factor only on a short list: memory stays bounded */
		if (one_in(20)) {
			int len = sm_list_len(l);

			n = len > 0 ? 1 + rn(20000 / len + 1) : edge_int();
		}
		account(sm_list_repeat(l, n));
		break;
	}
	case 10:
		if (one_in(4))
			account(sm_list_clear(l));
		break;
	default:
		r = account(sm_list_copy(l));
		if (r >= 0)
			adopt_out(r);
	}
}

static void op_list_slice(void)
{
	int l = pick_fd(SYNCMGR_TYPE_LIST);
	struct sm_slice s = rand_slice();
	struct sm_value v[MAX_VALS], out[MAX_VALS];
	struct sm_buf b = rand_buf();
	unsigned int max = rn(MAX_VALS + 1);
	int n, r;

	switch (rn(3)) {
	case 0:
		r = account(sm_list_get_slice(l, &s, out, max, &b));
		if (r > (int)max)
			bad("get_slice of %u gave %d", max, r);
		take_out(out, n_valid_out(r, max));
		break;
	case 1:
		n = rand_values(v, MAX_VALS);
		account(sm_list_set_slice(l, &s, v, n));
		break;
	default:
		account(sm_list_del_slice(l, &s));
	}
}

/* ---- fds, nesting, processes ----------------------------------------------------------- */

static void op_close(void)
{
	int i;

	if (!npool)
		return;
	i = rn(npool);
	if (pool[i].kind == K_OBJ)
		close_ent(i);
	else if (pool[i].kind == K_CLOSED && one_in(4))
		pool_drop(i);
}

static void op_dup(void)
{
	int fd = pick_fd(0), n;
	struct ent *e = ent_of(fd);

	if (!e || e->kind != K_OBJ)
		return;
	switch (rn(3)) {
	case 0:
		n = dup(fd);
		break;
	case 1:
		n = fcntl(fd, F_DUPFD_CLOEXEC, 100 + rn(400));
		break;
	default: {
		int t = 200 + rn(600);

		if (fdknown[t])
			return;
		n = dup3(fd, t, O_CLOEXEC);
	}
	}
	if (n >= 0)
		adopt(n, e->type);
}

static void op_pass(void)
{
	int fds[8], n = 1 + rn(8);
	char c = 'x';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	for (int i = 0; i < n; i++) {
		fds[i] = rn(6) ? pick_fd(0) : foreign[rn(nforeign)];
		if (fds[i] < 0 || fds[i] >= FD_LIMIT || !fdknown[fds[i]])
			fds[i] = devfd;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	if (sendmsg(sock[0], &m, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
		atomic_fetch_add(&sh->passed, n);
}

static void op_recv(void)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} u;
	size_t room = one_in(5) ? CMSG_SPACE(rn(8) * sizeof(int)) : sizeof(u.buf);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = room };

	if (recvmsg(sock[1], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) < 0)
		return;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		int n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[8];

		if (cm->cmsg_type != SCM_RIGHTS || n > 8)
			continue;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (int i = 0; i < n; i++) {
			if (fds[i] >= FD_LIMIT || fds[i] < 0) {
				close(fds[i]);
				continue;
			}
			forget_closed(fds[i]);
			if (obj_type(fds[i]) > 0) {
				adopt(fds[i], 0);
			} else if (npool < POOL_MAX) {
				pool[npool++] = (struct ent){ fds[i], K_FOREIGN, 0, false };
				track(fds[i], true);
			} else {
				close(fds[i]);
			}
		}
	}
}

static int new_container(int *type)
{
	static const int t[] = { SYNCMGR_TYPE_LIST, SYNCMGR_TYPE_DICT,
		SYNCMGR_TYPE_QUEUE, SYNCMGR_TYPE_VALUE, SYNCMGR_TYPE_NAMESPACE };

	*type = t[rn(5)];
	switch (*type) {
	case SYNCMGR_TYPE_LIST:
		return sm_list_create(0);
	case SYNCMGR_TYPE_DICT:
		return sm_dict_create(0);
	case SYNCMGR_TYPE_QUEUE:
		return sm_queue_create(0, 0);
	case SYNCMGR_TYPE_VALUE:
		return sm_value_create('O', NULL, 0);
	default:
		return sm_ns_create(0);
	}
}

/* Stores handle h into container c of type t (a key when it needs one). */
static int store_handle(int c, int t, int h, int key)
{
	struct sm_value v = sm_handle(h), k = sm_int(key);
	char name[16];

	switch (t) {
	case SYNCMGR_TYPE_LIST:
		return sm_list_append(c, &v);
	case SYNCMGR_TYPE_DICT:
		return sm_dict_set(c, &k, &v);
	case SYNCMGR_TYPE_QUEUE:
		return sm_queue_put_nowait(c, &v);
	case SYNCMGR_TYPE_VALUE:
		return sm_value_set(c, &v);
	case SYNCMGR_TYPE_NAMESPACE:
		snprintf(name, sizeof(name), "a%d", key);
		return sm_ns_set(c, name, &v);
	}
	return -EINVAL;
}

/*
 * A chain built top-down: each new container stored into the previous one,
 * whose handle is then closed; only the top (and sometimes the bottom) is
 * kept.  Closing the top frees the whole chain at once.
 */
static void op_chain(void)
{
	int depth = 1 + rn(one_in(8) ? cfg.depth : (cfg.depth < 32 ? cfg.depth : 32));
	int top_t, top = new_container(&top_t), prev = top, prev_t = top_t, r = 0;
	bool linked = true;

	if (account(top) < 0)
		return;
	atomic_fetch_add(&sh->nested, 1);
	for (int i = 0; i < depth && !atomic_load(&sh->stop); i++) {
		int t, c = new_container(&t);

		if (account(c) < 0)
			break;
		r = account(store_handle(prev, prev_t, c, i));
		if (prev != top)
			close(prev);
		prev = c;
		prev_t = t;
		if (r < 0) {
			linked = false;
			break;
		}
	}
	/* the bottom into the top: a cycle, refused */
	if (prev != top) {
		r = account(store_handle(prev, prev_t, top, -1));
		if (r >= 0 && linked)
			bad("chain of %d: storing the top into the bottom succeeded", depth);
		close(prev);
	}
	if (one_in(3))
		close(top);
	else
		adopt(top, top_t);
}

/* One container holding many handles (and the same one many times). */
static void op_fanout(void)
{
	int t, c = new_container(&t), n = 1 + rn(one_in(10) ? 2000 : 64);

	if (account(c) < 0)
		return;
	for (int i = 0; i < n && !atomic_load(&sh->stop); i++) {
		int h = one_in(5) ? c : pick_fd(0);

		if (account(store_handle(c, t, h, i)) >= 0 && h == c)
			bad("fan-out: a container of type %d stored into itself", t);
	}
	adopt(c, t);
}

/*
 * Lists each holding the next one twice: 2^depth paths from the top, one
 * object each.  A store into the top walks them when checking for cycles.
 */
static void op_diamond(void)
{
	int depth = 1 + rn(cfg.depth < 20 ? cfg.depth : 20);
	int top = sm_list_create(0), prev = top;
	bool linked = true;

	if (account(top) < 0)
		return;
	for (int i = 0; i < depth; i++) {
		int l = sm_list_create(0);
		struct sm_value v = sm_handle(l);

		if (account(l) < 0) {
			linked = false;
			break;
		}
		if (account(sm_list_append(prev, &v)) < 0 ||
		    account(sm_list_append(prev, &v)) < 0)
			linked = false;
		if (prev != top)
			close(prev);
		prev = l;
	}
	if (prev != top) {
		struct sm_value v = sm_handle(top);

		if (account(sm_list_append(prev, &v)) >= 0 && linked)
			bad("diamond of %d: cycle stored", depth);
		close(prev);
	}
	adopt(top, SYNCMGR_TYPE_LIST);
}

/*
 * Cycles: a pool container into itself (always a cycle, whoever else
 * uses it); two new containers (nobody else has them yet) into each other.
 */
static void op_cycle(void)
{
	int a = pick_obj_of(T_CONT, 5), tb, tc_dummy, b, c;
	struct ent *ea = ent_of(a);

	atomic_fetch_add(&sh->cycles, 1);
	if (ea && ea->kind == K_OBJ &&
	    account(store_handle(a, ea->type, a, 99)) >= 0)
		bad("a container of type %d stored into itself", ea->type);
	b = account(new_container(&tb));
	c = account(new_container(&tc_dummy));
	if (b >= 0 && c >= 0) {
		if (account(store_handle(b, tb, c, 1)) >= 0 &&
		    account(store_handle(c, tc_dummy, b, 2)) >= 0)
			bad("types %d and %d stored into each other", tb, tc_dummy);
		if (one_in(2) && account(store_handle(c, tc_dummy, pick_fd(0), 3)) >= 0 &&
		    account(store_handle(c, tc_dummy, c, 4)) >= 0)
			bad("a new container of type %d stored into itself", tc_dummy);
	}
	if (b >= 0)
		adopt(b, tb);
	if (c >= 0) {
		if (one_in(2))
			adopt(c, tc_dummy);
		else
			close(c);
	}
}

static void op_poll(void)
{
	struct pollfd p[4];

	for (int i = 0; i < 4; i++)
		p[i] = (struct pollfd){ pick_fd(0), (short)(rn(2) ? POLLIN : POLLIN | POLLOUT), 0 };
	account(poll(p, 4, rn(2)) < 0 ? -errno : 0);
}

/* An untracked Lock: used here only, never pooled (a Condition could wait on it). */
static void op_untracked(void)
{
	int l = account(sm_lock_create(SM_UNTRACKED));

	if (l < 0)
		return;
	account(sm_lock_acquire(l, 0));
	if (rn(2))
		account(sm_lock_release(l));
	account(sm_lock_release(l));
	close(l);
}

static void op_signal(void)
{
	int i = rn(MAX_SLOTS);
	int pid = atomic_load(&sh->slot[i].pid);

	if (pid > 0 && rn(4)) {
		kill(pid, SIGUSR1);
		atomic_fetch_add(&sh->sigs, 1);
	}
}

/* ---- processes ----------------------------------------------------------------------------- */

static int child_pids[4];
static int nchild;
static bool is_grandchild;

static struct slot *claim_slot(uint64_t seed)
{
	for (int i = 0; i < MAX_SLOTS; i++) {
		int z = 0;

		if (atomic_compare_exchange_strong(&sh->slot[i].pid, &z, getpid())) {
			struct slot *s = &sh->slot[i];

			atomic_store(&s->op, -1);
			atomic_store(&s->calls, 0);
			atomic_store(&s->reported, 0);
			s->seed = seed;
			return s;
		}
	}
	return NULL;
}

static void sig_handler(int sig)
{
	(void)sig;
}

static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };

/*
 * A crash on one of those is counted by the crashing process itself: a
 * forked child's parent may be SIGKILLed before it reaps the child, and
 * the child's crash would go uncounted.  Other signals are counted by
 * whoever reaps the process.
 */
static bool counted_by_handler(int sig)
{
	for (unsigned int i = 0; i < sizeof(crash_sigs) / sizeof(crash_sigs[0]); i++)
		if (sig == crash_sigs[i])
			return true;
	return false;
}

/*
 * A worker or forked child that crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT) says where first: its op, seed and call number, the faulting
 * address, the instruction pointer and a backtrace (libsync is linked in:
 * `addr2line -f -i -e tests/bin/fuzz 0xOFF` names each fuzz(+0xOFF)), then
 * dies of the same signal.  It counts its crash itself (see above).
 */
static void crash_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	void *bt[48];
	char msg[512];
	int n, op = cur_op;

	atomic_fetch_add(&sh->crashes, 1);
	n = snprintf(msg, sizeof(msg),
		     "# CRASH: pid %d %s (seed %#" PRIx64 ", call %" PRIu64 ") in op %s: "
		     "signal %d (%s) code %d addr %p ip %#llx\n",
		     getpid(), is_grandchild ? "forked child" : "worker",
		     me ? me->seed : 0, me ? atomic_load(&me->calls) : 0,
		     op >= 0 && op < NOPS ? op_names[op] : "-", sig, strsignal(sig),
		     si->si_code, si->si_addr,
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
	if (n > 0)
		(void)!write(2, msg, n < (int)sizeof(msg) ? n : (int)sizeof(msg) - 1);
	n = backtrace(bt, 48);
	backtrace_symbols_fd(bt, n, 2);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void crash_handlers(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	void *warm[1];

	backtrace(warm, 1);	/* loads the unwinder before any crash */
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (unsigned int i = 0; i < sizeof(crash_sigs) / sizeof(crash_sigs[0]); i++)
		sigaction(crash_sigs[i], &sa, NULL);
}

static void handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sa.sa_flags = rn(2) ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static void do_calls(uint64_t max);

static void reap_children(bool all)
{
	for (int i = 0; i < nchild; i++) {
		int st;
		pid_t r = waitpid(child_pids[i], &st, all ? 0 : WNOHANG);

		if (r == 0 || (r < 0 && errno == EINTR))
			continue;
		if (r > 0 && WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
			if (!counted_by_handler(WTERMSIG(st)))
				atomic_fetch_add(&sh->crashes, 1);
			fprintf(stderr, "# forked child %d killed by signal %d\n",
				child_pids[i], WTERMSIG(st));
		}
		child_pids[i--] = child_pids[--nchild];
	}
}

static void op_fork(void)
{
	uint64_t seed = rnd();
	pid_t parent = getpid(), pid;

	reap_children(false);
	if (nchild >= 4 || is_grandchild)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid > 0) {
		child_pids[nchild++] = pid;
		atomic_fetch_add(&sh->forks, 1);
		return;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	is_grandchild = true;
	nchild = 0;
	rs = seed | 1;
	me = claim_slot(seed);
	if (!me)
		_exit(0);
	handlers();
	do_calls(50 + rn(300));
	atomic_store(&me->pid, 0);
	_exit(0);
}

static bool skip_op[NOPS];

static void one_call(void)
{
	static const struct { int op, weight; } w[] = {
		{ OP_create, 6 }, { OP_version, 1 }, { OP_type, 2 }, { OP_state, 3 },
		{ OP_token_open, 2 }, { OP_lock, 5 }, { OP_rlock, 4 }, { OP_sem, 4 },
		{ OP_event, 4 }, { OP_cond, 5 }, { OP_barrier, 4 },
		{ OP_queue_put, 5 }, { OP_queue_get, 5 }, { OP_queue_misc, 3 },
		{ OP_value, 5 }, { OP_array, 5 }, { OP_dict_set, 5 },
		{ OP_dict_get, 5 }, { OP_dict_misc, 3 }, { OP_dict_iter, 2 },
		{ OP_ns, 3 }, { OP_list_add, 5 }, { OP_list_get, 4 },
		{ OP_list_misc, 5 }, { OP_list_slice, 4 }, { OP_raw, 30 },
		{ OP_close, 5 }, { OP_dup, 2 }, { OP_pass, 2 }, { OP_recv, 2 },
		{ OP_chain, 1 }, { OP_fanout, 1 }, { OP_diamond, 1 },
		{ OP_cycle, 2 }, { OP_fork, 1 }, { OP_signal, 2 }, { OP_poll, 2 },
		{ OP_untracked, 1 },
	};
	static int total;
	int x, op = 0;

	if (!total)
		for (unsigned int i = 0; i < sizeof(w) / sizeof(w[0]); i++)
			total += w[i].weight;
again:
	x = rn(total);
	for (unsigned int i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		x -= w[i].weight;
		if (x < 0) {
			op = w[i].op;
			break;
		}
	}
	if (skip_op[op])
		goto again;
	cur_op = op;
	atomic_store(&me->since, now_ns());
	atomic_store(&me->op, op);
	switch (op) {
#define D(n) case OP_##n: op_##n(); break;
	LIB_OPS(D)
#undef D
	case OP_raw: op_raw(); break;
	case OP_close: op_close(); break;
	case OP_dup: op_dup(); break;
	case OP_pass: op_pass(); break;
	case OP_recv: op_recv(); break;
	case OP_chain: op_chain(); break;
	case OP_fanout: op_fanout(); break;
	case OP_diamond: op_diamond(); break;
	case OP_cycle: op_cycle(); break;
	case OP_fork: op_fork(); break;
	case OP_signal: op_signal(); break;
	case OP_poll: op_poll(); break;
	case OP_untracked: op_untracked(); break;
	}
	atomic_store(&me->op, -1);
	cur_op = -1;
	atomic_fetch_add(&me->calls, 1);
}

static bool budget_left(void)
{
	if (atomic_load(&sh->stop))
		return false;
	if (cfg.calls && atomic_load(&sh->calls) >= cfg.calls)
		return false;
	if (cfg.seconds > 0 && now_ns() - t_start >= (int64_t)(cfg.seconds * 1e9))
		return false;
	return true;
}

/* Closes fds this process does not track (handles out of mangled calls). */
static void sweep_fds(bool mark)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d) || fd <= 2)
			continue;
		if (mark && fd < FD_LIMIT)
			track(fd, true);
		else if (fd >= FD_LIMIT || !fdknown[fd])
			close(fd);
	}
	closedir(d);
}

static void do_calls(uint64_t max)
{
	for (uint64_t i = 0; i < max; i++) {
		if ((i & 15) == 0 && !budget_left())
			break;
		if (i % 2000 == 1999)
			sweep_fds(false);
		atomic_fetch_add(&sh->ops, 1);
		one_call();
		if (one_in(500))
			handlers();
	}
}

static void worker(int idx, uint64_t seed)
{
	rs = seed | 1;
	handlers();
	crash_handlers();
	me = claim_slot(seed);
	if (!me)
		_exit(3);
	/* a worker lives for a while, then exits and is replaced */
	do_calls(2000 + rn(cfg.debug ? 5000 : 50000));
	reap_children(true);
	atomic_store(&me->pid, 0);
	(void)idx;
	_exit(0);
}

/* ---- supervisor ------------------------------------------------------------------------------ */

static void usage_of(unsigned long *objects, unsigned long *bytes)
{
	char path[64], line[128];
	int ev = sm_event_create(0), found = 0;
	FILE *f;

	*objects = *bytes = ~0UL;
	if (ev < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ev);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		found += sscanf(line, "syncmgr-user-objects: %lu", objects);
		found += sscanf(line, "syncmgr-user-bytes: %lu", bytes);
	}
	if (f)
		fclose(f);
	close(ev);
}

static bool proc_gone(int pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	bool gone = true;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		gone = p[2] == 'Z' || p[2] == 'X';
	fclose(f);
	return gone;
}

static void print_stack(int pid)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stack", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s", line);
	if (f)
		fclose(f);
}

struct wslot { int pid; int64_t killed_at; };

static void setup_fds(void)
{
	int p[2];
	char name[] = "/tmp/syncmgr-fuzz-XXXXXX";

	pagesz = sysconf(_SC_PAGESIZE);
	page_ro = mmap(NULL, pagesz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page_end = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page_end + pagesz, pagesz);
	unmapped = mmap(NULL, pagesz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(unmapped, pagesz);

	devfd = open("/dev/syncmgr", O_RDWR | O_CLOEXEC);
	track(devfd, true);
	pool[npool++] = (struct ent){ devfd, K_DEV, 0, true };
	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sock);
	track(sock[0], true);
	track(sock[1], true);
	if (!pipe2(p, O_CLOEXEC)) {
		foreign[nforeign++] = p[0];
		foreign[nforeign++] = p[1];
	}
	foreign[nforeign++] = eventfd(0, EFD_CLOEXEC);
	foreign[nforeign++] = open("/dev/null", O_RDWR | O_CLOEXEC);
	int tf = mkstemp(name);
	if (tf >= 0) {
		unlink(name);
		if (write(tf, "fuzz", 4) != 4)
			perror("fuzz: write");
		foreign[nforeign++] = tf;
	}
	for (int i = 0; i < nforeign; i++) {
		track(foreign[i], true);
		pool[npool++] = (struct ent){ foreign[i], K_FOREIGN, 0, true };
	}
	/* a closed fd number */
	int c = dup(0 <= devfd ? devfd : 0);
	close(c);
	pool[npool++] = (struct ent){ c, K_CLOSED, 0, true };
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static double env_d(const char *name, double dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtod(v, NULL) : dflt;
}

static const char *errname(int e)
{
	static char buf[16];
	static const struct { int e; const char *n; } t[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EFAULT, "EFAULT" }, { EINVAL, "EINVAL" }, { ENFILE, "ENFILE" },
		{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { E2BIG, "E2BIG" },
		{ ERANGE, "ERANGE" }, { EPIPE, "EPIPE" }, { EMSGSIZE, "EMSGSIZE" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ELOOP, "ELOOP" },
		{ EOVERFLOW, "EOVERFLOW" }, { EBADFD, "EBADFD" },
		{ EOWNERDEAD, "EOWNERDEAD" }, { EDQUOT, "EDQUOT" },
		{ ENOEXEC, "ENOEXEC" }, { ECANCELED, "ECANCELED" }, { EIO, "EIO" },
		{ ECONNRESET, "ECONNRESET" }, { EMLINK, "EMLINK" },
	};

	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

int main(int argc, char **argv)
{
	const char *dk = getenv("SYNCMGR_DEBUG_KERNEL");
	bool budget_given;
	int opt, nworkers;
	struct wslot *w;
	unsigned long obj0, bytes0, obj1 = 0, bytes1 = 0;
	uint64_t gen = 0, total;
	int64_t end_ns, last_progress, last_kill, elapsed, overdue_ns = 0;
	bool overdue = false;
	unsigned int scan_tick = 0;
	int pass = 0, fail = 0, tn = 0;
	bool hung_ok, exit_ok, budget_ok, mem_ok, calls_ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg.debug = dk && *dk && strcmp(dk, "0");
	cfg.calls = env_u64("FUZZ_CALLS", 0);
	cfg.seconds = env_d("FUZZ_SECONDS", 0);
	cfg.seed = env_u64("FUZZ_SEED", 0);
	cfg.procs = (int)env_u64("FUZZ_PROCS", 4);
	cfg.depth = (int)env_u64("FUZZ_DEPTH", 0);
	cfg.hang_s = (int)env_u64("FUZZ_HANG", 0);
	while ((opt = getopt(argc, argv, "n:t:s:p:d:w:h")) != -1) {
		switch (opt) {
		case 'n': cfg.calls = strtoull(optarg, NULL, 0); break;
		case 't': cfg.seconds = strtod(optarg, NULL); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'p': cfg.procs = atoi(optarg); break;
		case 'd': cfg.depth = atoi(optarg); break;
		case 'w': cfg.hang_s = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-n calls] [-t seconds] [-s seed] [-p procs] [-d depth] [-w hang-seconds]\n"
				"(or FUZZ_CALLS, FUZZ_SECONDS, FUZZ_SEED, FUZZ_PROCS, FUZZ_DEPTH, FUZZ_HANG)\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	{
		const char *sk = getenv("FUZZ_SKIP");
		int nskip = 0;

		for (int op = 0; sk && op < NOPS; op++) {
			size_t l = strlen(op_names[op]);

			for (const char *p = sk; (p = strstr(p, op_names[op])); p += l)
				if ((p == sk || p[-1] == ',') && (p[l] == ',' || !p[l])) {
					skip_op[op] = true;
					nskip++;
				}
		}
		if (nskip == NOPS)
			skip_op[OP_state] = false;
	}
	budget_given = cfg.calls || cfg.seconds > 0;
	if (!budget_given) {
		/* the short run of make check */
		cfg.seconds = cfg.debug ? 20 : 25;
		cfg.calls = cfg.debug ? 20000 : 400000;
	}
	if (!cfg.seed)
		cfg.seed = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32);
	if (cfg.procs < 1)
		cfg.procs = 1;
	if (cfg.procs > 32)
		cfg.procs = 32;
	if (cfg.depth <= 0)
		cfg.depth = 200;
	if (cfg.hang_s <= 0)
		cfg.hang_s = cfg.debug ? 300 : 60;

	printf("TAP version 13\n");
	printf("# fuzz: seed %#" PRIx64 " procs %d calls %" PRIu64 " seconds %.0f depth %d hang %d s%s\n",
	       cfg.seed, cfg.procs, cfg.calls, cfg.seconds, cfg.depth, cfg.hang_s,
	       cfg.debug ? " (debug kernel)" : "");
	printf("# reproduce: FUZZ_SEED=%#" PRIx64 " FUZZ_PROCS=%d FUZZ_CALLS=%" PRIu64 " %s\n",
	       cfg.seed, cfg.procs, cfg.calls, argv[0]);

	if (access("/dev/syncmgr", R_OK | W_OK)) {
		printf("1..1\nok 1 # SKIP no /dev/syncmgr\n");
		printf("# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0\n");
		return 4;
	}
	setrlimit(RLIMIT_NOFILE, &(struct rlimit){ FD_LIMIT, FD_LIMIT });
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	usage_of(&obj0, &bytes0);
	rs = cfg.seed | 1;
	setup_fds();

	/* one object of every type, inherited by every worker */
	for (int t = 1; t <= NTYPES; t++)
		for (int k = 0; k < 2; k++) {
			int fd = create_any(t);

			if (fd < 0)
				fd = t == SYNCMGR_TYPE_CONDITION ? sm_cond_create(-1, 0)
				   : t == SYNCMGR_TYPE_BARRIER ? sm_barrier_create(2, 0, 0)
				   : t == SYNCMGR_TYPE_ARRAY ? sm_array_create('i', NULL, 4, 0)
				   : -1;
			if (fd >= 0)
				adopt(fd, t);
		}
	/* libsync's own device fd and the like: never swept */
	sweep_fds(true);

	t_start = now_ns();
	signal(SIGUSR1, SIG_IGN);
	nworkers = cfg.procs;
	w = calloc(nworkers, sizeof(*w));
	for (int i = 0; i < nworkers; i++) {
		uint64_t seed = cfg.seed ^ (0x9e3779b97f4a7c15ULL * (++gen));
		pid_t pid = fork();

		if (pid == 0)
			worker(i, seed);
		w[i].pid = pid;
	}

	/* supervise: watchdog, signals, kills, replacement */
	hung_ok = exit_ok = true;
	last_progress = last_kill = now_ns();
	end_ns = INT64_MAX / 2;
	for (;;) {
		int64_t n = now_ns();
		bool any = false;
		int st;
		pid_t r;

		if (!atomic_load(&sh->stop) && !budget_left()) {
			atomic_store(&sh->stop, 1);
			end_ns = n;
		}
		/* watchdog over every process that claimed a slot */
		for (int i = 0; i < MAX_SLOTS; i++) {
			struct slot *s = &sh->slot[i];
			int pid = atomic_load(&s->pid), op = atomic_load(&s->op);
			int64_t since = atomic_load(&s->since);

			if (pid <= 0)
				continue;
			if ((op < 0 || n - since < (int64_t)cfg.hang_s * 1000 * MS) &&
			    !(++scan_tick % 64 == 0 || atomic_load(&sh->stop)))
				continue;
			if (proc_gone(pid)) {
				/* killed before it could give its slot back */
				int z = pid;

				atomic_compare_exchange_strong(&s->pid, &z, 0);
				continue;
			}
			if (op < 0 || n - since < (int64_t)cfg.hang_s * 1000 * MS)
				continue;
			if (atomic_load(&s->reported)) {
				int one = 1;

				if (n - since > 2LL * cfg.hang_s * 1000 * MS &&
				    atomic_compare_exchange_strong(&s->reported, &one, 2)) {
					fprintf(stderr, "# UNKILLABLE: pid %d in op %s still there %d s after SIGKILL\n",
						pid, op_names[op], cfg.hang_s);
					print_stack(pid);
					atomic_fetch_add(&sh->unkillable, 1);
				}
				continue;
			}
			atomic_store(&s->reported, 1);
			if (op == OP_cond) {
				/*
				 * A condition's wait re-acquires its lock without a
				 * deadline (killable): behind a lock that some other
				 * worker holds while blocked in turn, that can last.
				 */
				atomic_fetch_add(&sh->cond_stalls, 1);
			} else {
				fprintf(stderr, "# HANG: pid %d (seed %#" PRIx64 ", call %" PRIu64 ") in op %s for %" PRId64 " s\n",
					pid, s->seed, atomic_load(&s->calls), op_names[op],
					(n - since) / 1000 / MS);
				print_stack(pid);
				atomic_fetch_add(&sh->hangs, 1);
			}
			kill(pid, SIGKILL);
		}
		/* reap workers; replace those that died while the budget lasts */
		while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
			for (int i = 0; i < nworkers; i++) {
				if (w[i].pid != r)
					continue;
				if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL) {
					fprintf(stderr, "# worker %d killed by signal %d\n",
						r, WTERMSIG(st));
					if (!counted_by_handler(WTERMSIG(st)))
						atomic_fetch_add(&sh->crashes, 1);
				} else if (WIFEXITED(st) && WEXITSTATUS(st)) {
					fprintf(stderr, "# worker %d exited with %d\n",
						r, WEXITSTATUS(st));
					atomic_fetch_add(&sh->crashes, 1);
				}
				w[i].pid = 0;
				if (!atomic_load(&sh->stop)) {
					uint64_t seed = cfg.seed ^ (0x9e3779b97f4a7c15ULL * (++gen));
					pid_t pid = fork();

					if (pid == 0)
						worker(i, seed);
					w[i].pid = pid;
				}
			}
		}
		for (int i = 0; i < nworkers; i++)
			any |= w[i].pid > 0;
		if (!any && atomic_load(&sh->stop))
			break;
		if (overdue && n > overdue_ns)
			break;	/* unkillable ones: give up on them */
		if (atomic_load(&sh->stop) && !overdue &&
		    n > end_ns + 2LL * cfg.hang_s * 1000 * MS) {
			fprintf(stderr, "# workers still running %d s after the budget\n",
				2 * cfg.hang_s);
			for (int i = 0; i < nworkers; i++)
				if (w[i].pid > 0) {
					print_stack(w[i].pid);
					kill(w[i].pid, SIGKILL);
				}
			exit_ok = false;
			overdue = true;
			overdue_ns = n + 30000 * MS;
		}
		if (!atomic_load(&sh->stop)) {
			/* signals and kills */
			int i = rn(nworkers);

			if (w[i].pid > 0 && rn(2) == 0) {
				kill(w[i].pid, SIGUSR1);
				atomic_fetch_add(&sh->sigs, 1);
			}
			if (n - last_kill > 500 * MS * (cfg.debug ? 10 : 1) && one_in(4)) {
				i = rn(nworkers);
				if (w[i].pid > 0) {
					kill(w[i].pid, SIGKILL);
					atomic_fetch_add(&sh->kills, 1);
				}
				last_kill = n;
			}
		}
		if (n - last_progress > 60000 * MS) {
			printf("# progress: %" PRIu64 " calls, %" PRId64 " s\n",
			       atomic_load(&sh->calls), (int64_t)((n - t_start) / 1000000000));
			last_progress = n;
		}
		usleep(20000);
	}
	elapsed = now_ns() - t_start;
	/* grandchildren die with their worker (PDEATHSIG); wait for them too */
	for (int k = 0; k < 200; k++) {
		bool left = false;

		for (int i = 0; i < MAX_SLOTS; i++) {
			int pid = atomic_load(&sh->slot[i].pid);

			if (pid > 0 && !proc_gone(pid))
				left = true;
		}
		if (!left)
			break;
		if (k == 199) {
			fprintf(stderr, "# processes left after the run\n");
			exit_ok = false;
		}
		usleep(50000);
	}

	/* close everything: the module's usage must return */
	for (int i = 0; i < npool; i++)
		if (pool[i].kind != K_CLOSED)
			close(pool[i].fd);
	close(sock[0]);
	close(sock[1]);
	mem_ok = false;
	for (int k = 0; k < 100 && !mem_ok; k++) {
		usage_of(&obj1, &bytes1);
		mem_ok = obj1 == obj0 && bytes1 == bytes0;
		if (!mem_ok)
			usleep(50000);
	}

	total = atomic_load(&sh->calls);
	hung_ok = !atomic_load(&sh->hangs) && !atomic_load(&sh->unkillable) && exit_ok;
	budget_ok = cfg.seconds <= 0 ||
		    elapsed < (int64_t)((cfg.seconds + 2.0 * cfg.hang_s) * 1e9);
	calls_ok = !atomic_load(&sh->bad);
	exit_ok = exit_ok && !atomic_load(&sh->crashes);

	printf("# calls %" PRIu64 " (%" PRIu64 " ops) in %.1f s: %.0f calls/s; forks %" PRIu64
	       " SIGKILLs %" PRIu64 " SIGUSR1s %" PRIu64 " fds passed %" PRIu64
	       " nestings %" PRIu64 " cycle attempts %" PRIu64 " cond stalls %" PRIu64 "\n",
	       total, atomic_load(&sh->ops), elapsed / 1e9, total / (elapsed / 1e9),
	       atomic_load(&sh->forks), atomic_load(&sh->kills), atomic_load(&sh->sigs),
	       atomic_load(&sh->passed), atomic_load(&sh->nested),
	       atomic_load(&sh->cycles), atomic_load(&sh->cond_stalls));
	{
		char line[2048];
		int len = snprintf(line, sizeof(line), "# results:");

		for (int e = 0; e < NERR; e++) {
			uint64_t c = atomic_load(&sh->err[e]);

			if (c && len < (int)sizeof(line) - 40)
				len += snprintf(line + len, sizeof(line) - len, " %s %" PRIu64,
						e ? errname(e) : "ok", c);
		}
		printf("%s\n", line);
	}
	printf("# module usage: before objects %lu bytes %lu, after objects %lu bytes %lu\n",
	       obj0, bytes0, obj1, bytes1);

	printf("1..5\n");
#define T(ok, what, ...) do { \
		tn++; \
		if (ok) pass++; else fail++; \
		printf("%s %d fuzz: " what "\n", (ok) ? "ok" : "not ok", tn, ##__VA_ARGS__); \
	} while (0)
	T(calls_ok, "every result possible, every errno expected (%" PRIu64 " bad)",
	  atomic_load(&sh->bad));
	T(hung_ok, "no call hung (%" PRIu64 " hangs, %" PRIu64 " unkillable)",
	  atomic_load(&sh->hangs), atomic_load(&sh->unkillable));
	T(exit_ok, "every process exited, none crashed (%" PRIu64 " crashes)",
	  atomic_load(&sh->crashes));
	T(budget_ok, "finished within its budget (%.1f s)", elapsed / 1e9);
	T(mem_ok, "module objects and bytes returned");
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", pass, fail);
	printf("# fuzz: seed %#" PRIx64 " %s\n", cfg.seed, fail ? "FAILED" : "passed");
	return fail ? 1 : 0;
}
