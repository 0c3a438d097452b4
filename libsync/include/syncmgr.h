/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsync - the C library of syncmgr: process-shared objects that live in
 * the kernel (/dev/syncmgr), with the semantics of Python's threading
 * module and of multiprocessing's SyncManager:
 *  - synchronization: Lock and RLock (sm_lock_*, sm_rlock_*), Semaphore
 *    and BoundedSemaphore (sm_sem_*, sm_bsem_create), Event (sm_event_*),
 *    Condition (sm_cond_*) and Barrier (sm_barrier_*);
 *  - shared data, holding typed values (struct sm_value: None, bool,
 *    int64, double, bytes, str, blob, or a handle to another object):
 *    Queue and JoinableQueue (sm_queue_*), Value and Array (sm_value_*,
 *    sm_array_*), dict and Namespace (sm_dict_*, sm_ns_*) and list
 *    (sm_list_*).  sm_values_size/encode/decode lay typed values out as the
 *    ioctls' batches and read them back, for bindings and raw ioctl users.
 *
 * Every object is a file descriptor (a "handle").  Processes share an
 * object by fork(), by passing the handle over a Unix socket
 * (sm_send_handles / sm_recv_handles), or by its token, an unguessable
 * name that a process of the same user opens again (sm_token /
 * sm_open_token); each handle is closed with close(2).  A data object that
 * stores a handle keeps its object alive.  sm_type, sm_state and sm_version
 * report on an object and on the module.
 *
 * Conventions of every function:
 *  - the return value is 0 or a non-negative value on success and a
 *    negative errno on failure; errno is never the channel;
 *  - timeouts are relative nanoseconds: SM_FOREVER blocks until the wait
 *    succeeds, 0 does not block, a positive value blocks at most that long;
 *    any other negative value is -EINVAL (as Python's ValueError);
 *  - a timeout is turned into an absolute CLOCK_MONOTONIC deadline once;
 *    the *_until() variants take that deadline (see sm_deadline()), so a
 *    wait interrupted by a signal handler (-EINTR, never retried inside
 *    libsync) resumes exactly by calling the _until() variant again;
 *  - a wait that did not succeed in time returns -ETIMEDOUT, whether it
 *    blocked or not;
 *  - -EOWNERDEAD from an acquire means the lock IS acquired and that its
 *    previous holder died holding it: the data it protects may be
 *    inconsistent;
 *  - values coming out of a data object land in a struct sm_buf that the
 *    caller gives; when they do not fit: -EMSGSIZE, buf->needed set, and
 *    nothing taken or changed; a handle coming out is a new fd (O_CLOEXEC)
 *    that the caller owns;
 *  - a store that would make a container (Queue, dict, list, Namespace, a
 *    Value holding a handle) reachable from itself is -ELOOP.
 *
 * Man pages: syncmgr(7), and one page per family: sm_lock(3), sm_sem(3),
 * sm_event(3), sm_cond(3), sm_barrier(3), sm_queue(3), sm_value(3) (Value
 * and Array), sm_dict(3) (dict and Namespace), sm_list(3), sm_values(3)
 * (typed values) and sm_handles(3) (handles, tokens, state, time).  The
 * ioctls below this library: Documentation/abi.md.
 */
#ifndef SYNCMGR_LIBSYNC_H
#define SYNCMGR_LIBSYNC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/syncmgr.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SM_FOREVER		(-1LL)
#define SM_DEADLINE_FOREVER	SYNCMGR_DEADLINE_FOREVER

/* Creation flags, for every sm_*_create() function. */
#define SM_NO_CLOEXEC		SYNCMGR_CREATE_NO_CLOEXEC
#define SM_UNTRACKED		SYNCMGR_CREATE_UNTRACKED /* Lock only */

/* Library and module. */
int sm_version(struct syncmgr_version *out);
int sm_type(int handle);	/* enum syncmgr_type, or -errno */
int sm_state(int handle, struct syncmgr_state *out);
int64_t sm_now(void);		/* CLOCK_MONOTONIC ns */
uint64_t sm_deadline(int64_t timeout_ns);	/* SM_FOREVER stays forever */
int sm_timeout_valid(int64_t timeout_ns);	/* 0 or -EINVAL */

/*
 * Tokens: an object's unguessable 128-bit name.  sm_token() gives it (any
 * handle of the object); sm_open_token() turns it into a new handle of the
 * same object in any process of the object's creating user, while the
 * object lives (-ENOENT after), -EPERM for another user.  A token does
 * not keep its object alive: keep a handle until the other side opened it.
 * flags: SM_NO_CLOEXEC.
 */
int sm_token(int handle, uint8_t token[16]);
int sm_open_token(const uint8_t token[16], unsigned int flags);

/*
 * Handle passing over a connected AF_UNIX socket (SCM_RIGHTS), 1 to 253
 * handles per message.  Returns n.
 */
int sm_send_handles(int sock, const int *handles, unsigned int n);
/*
 * Receives one message of up to max handles (O_CLOEXEC); returns how many.
 * A message with more than max: those that arrived are closed, -EMSGSIZE.
 * The peer closed the socket: -ECONNRESET.
 */
int sm_recv_handles(int sock, int *handles, unsigned int max);

/* Lock: held by the process that acquired it, releasable by anyone. */
int sm_lock_create(unsigned int flags);
int sm_lock_acquire(int lock, int64_t timeout_ns);
int sm_lock_acquire_until(int lock, uint64_t deadline);
int sm_lock_release(int lock);
int sm_lock_locked(int lock);	/* 1 held, 0 free */

/* RLock: owned by one thread, recursive. */
int sm_rlock_create(unsigned int flags);
int sm_rlock_acquire(int rlock, int64_t timeout_ns);
int sm_rlock_acquire_until(int rlock, uint64_t deadline);
int sm_rlock_release(int rlock);	/* -EPERM unless the caller owns it */

/* Semaphore and BoundedSemaphore. */
int sm_sem_create(unsigned int value, unsigned int flags);
int sm_bsem_create(unsigned int value, unsigned int flags);
int sm_sem_acquire(int sem, int64_t timeout_ns);
int sm_sem_acquire_until(int sem, uint64_t deadline);
/* release(n): -EINVAL for n == 0, -EOVERFLOW above the bound (unchanged). */
int sm_sem_release(int sem, unsigned int n);
int sm_sem_value(int sem);

/* Event. */
int sm_event_create(unsigned int flags);
int sm_event_set(int event);
int sm_event_clear(int event);
int sm_event_is_set(int event);	/* 1 or 0 */
int sm_event_wait(int event, int64_t timeout_ns);	/* 0 or -ETIMEDOUT */
int sm_event_wait_until(int event, uint64_t deadline);

/*
 * Condition over a Lock or RLock handle, or over a new RLock when lock is
 * -1.  wait() needs the lock held, releases it while blocked and holds it
 * again when it returns, whatever it returns: 0 notified, -ETIMEDOUT,
 * -EINTR, -EOWNERDEAD (the lock's previous holder died; treat as a
 * spurious wake-up).  Returns -EPERM if the caller does not hold the lock.
 */
int sm_cond_create(int lock, unsigned int flags);
int sm_cond_acquire(int cond, int64_t timeout_ns);
int sm_cond_acquire_until(int cond, uint64_t deadline);
int sm_cond_release(int cond);
int sm_cond_wait(int cond, int64_t timeout_ns);
int sm_cond_wait_until(int cond, uint64_t deadline);
/*
 * Waits until pred(arg) is true, with the lock held around each call of
 * pred.  Returns 1 when pred became true, 0 when the time ran out with
 * pred false, or a negative errno (-EINTR, -EPERM).
 */
int sm_cond_wait_for(int cond, int (*pred)(void *arg), void *arg,
		     int64_t timeout_ns);
int sm_cond_notify(int cond, unsigned int n);	/* returns tasks woken */
int sm_cond_notify_all(int cond);

/*
 * Barrier of parties (>= 1).  timeout_ns is the default timeout of
 * sm_barrier_wait(b, SM_BARRIER_DEFAULT); 0 means none.  With
 * SM_BARRIER_ACTION the last arriver of each cycle runs the action that
 * its own process registered with sm_barrier_set_action() while the
 * others stay blocked.
 *
 * wait returns the party's index (0 .. parties - 1; the last arriver gets
 * parties - 1), -EPIPE when the barrier is or becomes broken, -ETIMEDOUT
 * when this wait timed out (which breaks the barrier for the others),
 * -EINTR.  The action runner gets the action's negative return value when
 * the action failed, and -ENOEXEC when its process registered no action;
 * both break the barrier.
 */
#define SM_BARRIER_ACTION	SYNCMGR_CREATE_ACTION
#define SM_BARRIER_DEFAULT	(-2LL)
int sm_barrier_create(unsigned int parties, int64_t timeout_ns,
		      unsigned int flags);
/* action returns 0 on success or a negative errno; NULL unregisters. */
int sm_barrier_set_action(int barrier, int (*action)(void *arg), void *arg);
int sm_barrier_wait(int barrier, int64_t timeout_ns);
int sm_barrier_wait_until(int barrier, uint64_t deadline);
int sm_barrier_abort(int barrier);
int sm_barrier_reset(int barrier);
int sm_barrier_parties(int barrier);
int sm_barrier_n_waiting(int barrier);
int sm_barrier_broken(int barrier);	/* 1 or 0 */

/*
 * Typed values, for the data objects (Queue, Value, Array, dict, list,
 * Namespace).  A struct sm_value going in points at its payload; one
 * coming out points into the struct sm_buf the caller gave, and a HANDLE
 * coming out is a new fd (O_CLOEXEC) the caller owns.  When the values to
 * return do not fit in buf, the call fails with -EMSGSIZE, changes
 * nothing, and buf->needed says how many bytes would do.
 */
struct sm_value {
	int type;				/* SYNCMGR_VAL_* */
	union {
		int b;				/* BOOL: 0 or 1 */
		int64_t i;			/* INT */
		double d;			/* DOUBLE */
		int handle;			/* HANDLE: an fd */
		struct {
			const void *ptr;
			uint32_t len;
		} buf;				/* BYTES, STR (UTF-8), BLOB, BIGINT */
		/*
		 * TUPLE, LIST, DICT, FROZENSET, TAGGED (a tree of values):
		 * n values (DICT: key, value, key, value ...; TAGGED: the
		 * tag, then the value it dresses).  Going in with len 0,
		 * ptr is an array of n struct sm_value; going in with len
		 * > 0, or coming out, ptr is len bytes of n values in the
		 * ABI's layout: sm_values_decode(ptr, len, v, n) reads them
		 * (sm_values_walk() visits a whole tree), and such a value
		 * can be stored again as it is.
		 */
		struct {
			const void *ptr;
			uint32_t len;
			uint32_t n;
		} tree;
	};
};

struct sm_buf {
	void *data;
	size_t size;
	size_t needed;				/* set with -EMSGSIZE */
};

static inline struct sm_value sm_none(void)
{
	struct sm_value v = { .type = SYNCMGR_VAL_NONE };
	return v;
}

static inline struct sm_value sm_bool(int b)
{
	struct sm_value v = { .type = SYNCMGR_VAL_BOOL, .b = !!b };
	return v;
}

static inline struct sm_value sm_int(int64_t i)
{
	struct sm_value v = { .type = SYNCMGR_VAL_INT, .i = i };
	return v;
}

static inline struct sm_value sm_double(double d)
{
	struct sm_value v = { .type = SYNCMGR_VAL_DOUBLE, .d = d };
	return v;
}

static inline struct sm_value sm_payload(int type, const void *p, uint32_t n)
{
	struct sm_value v = { .type = type, .buf = { p, n } };
	return v;
}

#define sm_bytes(p, n)	sm_payload(SYNCMGR_VAL_BYTES, (p), (n))
#define sm_blob(p, n)	sm_payload(SYNCMGR_VAL_BLOB, (p), (n))
#define sm_str(s)	sm_payload(SYNCMGR_VAL_STR, (s), (uint32_t)strlen(s))

static inline struct sm_value sm_handle(int fd)
{
	struct sm_value v = { .type = SYNCMGR_VAL_HANDLE, .handle = fd };
	return v;
}

/*
 * Composite values (SYNCMGR_FEAT_COMPOSITE): elems must stay valid until
 * the value has been stored.  sm_tuple(e, n), sm_list_value(e, n) (a list
 * stored by value, not a shared list), sm_dict_value(kv, npairs) with kv
 * key, value, key, value ..., sm_frozenset(e, n); sm_bigint(le, n) an
 * integer beyond int64 in n bytes of two's complement, little-endian, the
 * fewest; sm_tagged(tv) with tv[0] the tag (STR or BYTES: a binding's
 * name of a subclass) and tv[1] the value it dresses.
 */
static inline struct sm_value sm_tree(int type, const struct sm_value *elems,
				      uint32_t n)
{
	struct sm_value v = { .type = type, .tree = { elems, 0, n } };
	return v;
}

#define sm_tuple(e, n)		sm_tree(SYNCMGR_VAL_TUPLE, (e), (n))
#define sm_list_value(e, n)	sm_tree(SYNCMGR_VAL_LIST, (e), (n))
#define sm_dict_value(kv, np)	sm_tree(SYNCMGR_VAL_DICT, (kv), 2 * (np))
#define sm_frozenset(e, n)	sm_tree(SYNCMGR_VAL_FROZENSET, (e), (n))
#define sm_tagged(tv)		sm_tree(SYNCMGR_VAL_TAGGED, (tv), 2)
#define sm_bigint(le, n)	sm_payload(SYNCMGR_VAL_BIGINT, (le), (n))

/* Bytes n values take as a batch (the ABI's layout). */
size_t sm_values_size(const struct sm_value *v, unsigned int n);
/*
 * Lay n values out in buf; returns the bytes used, or -EMSGSIZE (buf too
 * small), -E2BIG (over INT32_MAX bytes) or -EINVAL (a bad value).
 */
int sm_values_encode(void *buf, size_t size, const struct sm_value *v,
		     unsigned int n);
/* Read n values from a batch; payloads point into buf.  Returns n. */
int sm_values_decode(const void *buf, size_t size, struct sm_value *v,
		     unsigned int n);
/*
 * Visit the n values of a batch and everything inside them, depth first:
 * fn(v, depth, arg) for each value (depth 0 for the batch's own), a
 * composite before its elements.  fn returns 0 to go on, 1 to skip the
 * elements of the composite it was given, or a negative errno to stop
 * (returned).  Returns 0, or -EINVAL for a malformed batch or a tree
 * deeper than SYNCMGR_MAX_TREE_DEPTH.
 */
int sm_values_walk(const void *buf, size_t size, unsigned int n,
		   int (*fn)(const struct sm_value *v, unsigned int depth,
			     void *arg),
		   void *arg);

/*
 * The data ioctl itself, for bindings that lay out their own values
 * (sm_values_encode/decode) and need a field or flag the sm_* functions
 * do not offer (the container versions, SYNCMGR_DATA_VERSION and
 * SYNCMGR_DATA_IF_VERSION): ioctl(fd, cmd, d), returning its value or a
 * negative errno.  cmd is one of the SYNCMGR_IOC_* data commands.
 */
long sm_data_ioctl(int fd, unsigned long cmd, struct syncmgr_data *d);

/*
 * A Python slice l[start:stop:step] (list, Array).  flags:
 * SYNCMGR_DATA_NO_START / SYNCMGR_DATA_NO_STOP for an omitted bound
 * (l[:3], l[::-1]); negative bounds count from the end and bounds are
 * normalised as slice.indices() does.  step must not be 0 (-EINVAL).
 */
struct sm_slice {
	int64_t start, stop, step;
	unsigned int flags;
};

/*
 * Queue: Python's queue.Queue / JoinableQueue of typed values, shared
 * between processes.  maxsize 0 is unbounded (still bounded by the
 * per-user byte quota).  put blocks while the queue is full, get while it
 * is empty; the _nowait forms fail at once with -EAGAIN (Python's Full /
 * Empty), a wait that runs out of time with -ETIMEDOUT.  A value put is a
 * copy; a HANDLE put keeps its object alive, and the getter receives a new
 * fd (O_CLOEXEC) for it.  Storing a queue into itself, directly or through
 * other containers, is -ELOOP.
 *
 * put_many puts the n values in order, blocking while full, and returns
 * how many were put (fewer only if the time ran out after the first; the
 * rest are dropped).  get_many waits until the queue is not empty and
 * returns up to max values (at most 1024 per call), as many as fit in buf
 * (at least one).  A value that does not fit: -EMSGSIZE, buf->needed set,
 * nothing taken.  get's out[] points into buf.
 *
 * task_done: -EINVAL (nothing changed) when called more times than values
 * were put; join waits until every value put was marked done.
 */
int sm_queue_create(unsigned int maxsize, unsigned int flags);
int sm_queue_put(int q, const struct sm_value *v, int64_t timeout_ns);
int sm_queue_put_until(int q, const struct sm_value *v, uint64_t deadline);
int sm_queue_put_nowait(int q, const struct sm_value *v);
int sm_queue_put_many(int q, const struct sm_value *v, unsigned int n,
		      int64_t timeout_ns);
int sm_queue_put_many_until(int q, const struct sm_value *v, unsigned int n,
			    uint64_t deadline);
int sm_queue_get(int q, struct sm_value *out, struct sm_buf *buf,
		 int64_t timeout_ns);
int sm_queue_get_until(int q, struct sm_value *out, struct sm_buf *buf,
		       uint64_t deadline);
int sm_queue_get_nowait(int q, struct sm_value *out, struct sm_buf *buf);
int sm_queue_get_many(int q, struct sm_value *out, unsigned int max,
		      struct sm_buf *buf, int64_t timeout_ns);
int sm_queue_get_many_until(int q, struct sm_value *out, unsigned int max,
			    struct sm_buf *buf, uint64_t deadline);
int sm_queue_qsize(int q);
int sm_queue_maxsize(int q);
int sm_queue_empty(int q);	/* 1 or 0 */
int sm_queue_full(int q);	/* 1 or 0 */
int sm_queue_task_done(int q);
int sm_queue_join(int q, int64_t timeout_ns);	/* 0 or -ETIMEDOUT */
int sm_queue_join_until(int q, uint64_t deadline);

/*
 * Value: multiprocessing's Value(typecode, value) of the manager, one typed
 * value of any kind (the typecode, any int, is kept and never checked, as
 * the manager does; sm_value_typecode() reads it back).  create stores
 * initial (NULL: the Value holds None).  get copies the value out (a
 * payload points into buf; buf may be NULL for a number; a handle comes
 * out as a new fd); set replaces it.  A Value holding a handle is a
 * container: a store that would make it reachable from itself is -ELOOP.
 *
 * Atomic read-modify-write, which the manager's `v.value += 1` is not:
 *  - sm_value_add: an INT/BOOL value += delta, *old = the value before;
 *    -EINVAL if the value is not an integer, -ERANGE on int64 overflow
 *    (nothing changed);
 *  - sm_value_add_double: value += delta as Python's float + (an INT value
 *    becomes a DOUBLE), done here as a compare-and-swap loop since the
 *    kernel has no FPU; a NaN value stays NaN; -EINVAL if not a number;
 *  - sm_value_cas: stores desired if the value equals expected (Python
 *    equality: 1 == 1.0 == True, NaN equals nothing); returns 1 if it
 *    stored, 0 if not; *found (may be NULL) is the value found, in buf.
 */
int sm_value_create(int typecode, const struct sm_value *initial,
		    unsigned int flags);
int sm_value_typecode(int v);
int sm_value_get(int v, struct sm_value *out, struct sm_buf *buf);
int sm_value_set(int v, const struct sm_value *val);
int sm_value_add(int v, int64_t delta, int64_t *old);
int sm_value_add_double(int v, double delta, double *old);
int sm_value_cas(int v, const struct sm_value *expected,
		 const struct sm_value *desired, struct sm_value *found,
		 struct sm_buf *buf);

/*
 * Array: the manager's Array(typecode, sequence), a FIXED number n of
 * numbers stored natively; typecode one of b B u h H i I l L q Q f d.
 * Elements are INT values (integer typecodes; BOOL accepted) or DOUBLE
 * values ('f', 'd'; an INT is converted, rounded to nearest beyond 2^53).
 * A value outside the typecode's range is -EOVERFLOW ('f' refuses a
 * finite double that rounds beyond FLT_MAX, as struct.pack does, and
 * rounds the rest to nearest-even), the wrong kind -EINVAL; nothing
 * changed.  'Q' and 'L' hold 0 .. 2^64 - 1: an element from 2^63 on
 * travels as a BIGINT; 'u' holds code points, each a STR of one
 * character.  These payload elements come out only through
 * sm_data_ioctl() (LOAD with a buffer): sm_array_get/_get_slice/_add/_cas
 * return -EMSGSIZE for them (see Documentation/abi.md, Array).
 * Indices count from the end when negative; outside: -ERANGE.
 * create sets the n initial values (init NULL: zeros).
 * get_slice returns up to max values of the slice (step != 0), in order;
 * set_slice needs exactly as many values as the slice has (-EINVAL: the
 * array never grows, unlike the manager's).
 * add and cas work on integer typecodes only (-EINVAL otherwise): the sum,
 * or desired, must fit the typecode (-EOVERFLOW); *old / *found is the
 * element before; cas returns 1 if it stored, 0 if not.
 */
int sm_array_create(int typecode, const struct sm_value *init,
		    unsigned int n, unsigned int flags);
int sm_array_typecode(int a);
int sm_array_len(int a);
int sm_array_get(int a, int64_t index, struct sm_value *out);
int sm_array_set(int a, int64_t index, const struct sm_value *v);
int sm_array_get_slice(int a, const struct sm_slice *s, struct sm_value *out,
		       unsigned int max);
int sm_array_set_slice(int a, const struct sm_slice *s,
		       const struct sm_value *v, unsigned int n);
int sm_array_add(int a, int64_t index, int64_t delta, int64_t *old);
int sm_array_cas(int a, int64_t index, int64_t expected, int64_t desired,
		 int64_t *found);

/*
 * dict and Namespace (Python's dict and the manager's Namespace), kept in
 * the kernel and shared by every process holding a handle.  Insertion
 * ordered; keys compare and hash as Python's (1, 1.0 and True are one
 * key); a Namespace is a dict whose keys must be STR (-EINVAL otherwise),
 * and every sm_dict_* call works on one too.  Values coming out point into
 * buf; a HANDLE coming out is a new fd the caller owns.  -EMSGSIZE: buf too
 * small, buf->needed set, nothing changed (a pop keeps its entry).
 * Storing a container into itself, directly or through others: -ELOOP.
 * See sm_dict(3).
 */
#define SM_DICT_KEYS		SYNCMGR_DATA_KEYS	/* sm_dict_iter: keys */
#define SM_DICT_VALUES		SYNCMGR_DATA_VALUES	/* ... values */
#define SM_DICT_ITEMS		(SM_DICT_KEYS | SM_DICT_VALUES)

int sm_dict_create(unsigned int flags);
/* d[key]: 0, or -ENOENT (KeyError). */
int sm_dict_get(int dict, const struct sm_value *key, struct sm_value *out,
		struct sm_buf *buf);
/* d.get(key, dflt): 0 if found, 1 if *out is a copy of *dflt. */
int sm_dict_get_default(int dict, const struct sm_value *key,
			const struct sm_value *dflt, struct sm_value *out,
			struct sm_buf *buf);
/* d[key] = value (a key present keeps its place). */
int sm_dict_set(int dict, const struct sm_value *key,
		const struct sm_value *value);
/* del d[key]: 0 or -ENOENT. */
int sm_dict_del(int dict, const struct sm_value *key);
/* key in d: 1 or 0. */
int sm_dict_contains(int dict, const struct sm_value *key);
/* len(d). */
int sm_dict_len(int dict);
/* d.pop(key): 0 or -ENOENT; sm_dict_pop_default: 1 if *out = *dflt. */
int sm_dict_pop(int dict, const struct sm_value *key, struct sm_value *out,
		struct sm_buf *buf);
int sm_dict_pop_default(int dict, const struct sm_value *key,
			const struct sm_value *dflt, struct sm_value *out,
			struct sm_buf *buf);
/* d.popitem(): the newest entry; -ENOENT if empty. */
int sm_dict_popitem(int dict, struct sm_value *key_out,
		    struct sm_value *value_out, struct sm_buf *buf);
/* d.setdefault(key, dflt): *out is the value now stored. */
int sm_dict_setdefault(int dict, const struct sm_value *key,
		       const struct sm_value *dflt, struct sm_value *out,
		       struct sm_buf *buf);
/* d.update(pairs): key, value, key, value ...; all or nothing. */
int sm_dict_update(int dict, const struct sm_value *pairs, unsigned int npairs);
/* d.clear(). */
int sm_dict_clear(int dict);
/* d.copy(): a new handle (a shallow copy: handles inside are shared). */
int sm_dict_copy(int dict);
/*
 * keys(), values(), items() by pages: what is SM_DICT_KEYS, _VALUES or
 * _ITEMS; *cursor 0 begins and is advanced, 0 again once complete.  Fills
 * out (room for max values; items take two each) with as many entries as
 * fit in buf and returns how many entries (0: done).  Insertion order; a
 * key present throughout comes exactly once.
 */
int sm_dict_iter(int dict, unsigned int what, uint64_t *cursor,
		 struct sm_value *out, unsigned int max, struct sm_buf *buf);

/*
 * Versions (SYNCMGR_FEAT_VERSION; -EINVAL from a module without it): every
 * dict, Namespace and list counts its changes.  Its version is 1 when it
 * is created (a copy's too) and one more after every call that changed
 * it; reads and failed calls leave it.  A version is never 0, so 0 below
 * means "any version".
 *
 * sm_dict_version(), sm_list_version(): len() and the version in one
 * atomic call: returns the length, *version set.
 *
 * The *_at() reads take *version in and out: 0 in reads whatever is
 * there; a version in reads only if the container is still at it, else
 * -ESTALE and nothing read.  Either way (success or -ESTALE) *version
 * comes back as the container's version.  So pages are consistent:
 * begin with *version 0 and keep passing the same variable; -ESTALE means
 * the container changed between pages: start over (cursor and *version 0).
 *
 * sm_dict_iter_at() is sm_dict_iter() with that version.
 * sm_list_get_slice_at() is sm_list_get_slice() with that version.
 */
int sm_dict_version(int dict, uint64_t *version);
int sm_dict_iter_at(int dict, unsigned int what, uint64_t *cursor,
		    uint64_t *version, struct sm_value *out, unsigned int max,
		    struct sm_buf *buf);

/* Namespace: attributes by name; a missing one is -ENOENT (AttributeError). */
int sm_ns_create(unsigned int flags);
int sm_ns_get(int ns, const char *name, struct sm_value *out,
	      struct sm_buf *buf);
int sm_ns_set(int ns, const char *name, const struct sm_value *value);
int sm_ns_del(int ns, const char *name);
/* The names, by pages, as sm_dict_iter(ns, SM_DICT_KEYS, ...). */
int sm_ns_list(int ns, uint64_t *cursor, struct sm_value *names,
	       unsigned int max, struct sm_buf *buf);

/*
 * list: Python's list of typed values, shared between processes.  Every
 * call returns 0, a count, an index or -errno, and a failed call changes
 * nothing.  Indices count from the end when negative; out of range is
 * -ERANGE (IndexError).  Values stored are copies; a HANDLE keeps its
 * object alive and a reader gets a new fd (O_CLOEXEC) for it; storing a
 * list into itself, directly or through other containers, is -ELOOP.
 * A value coming out points into buf; if it does not fit: -EMSGSIZE with
 * buf->needed set, and nothing taken (pop keeps the value).  A list holds
 * at most the module's max_list_len values (-E2BIG beyond), and stored
 * bytes count against the user's quota (-EDQUOT).
 */
int sm_list_create(unsigned int flags);
/* len(l). */
int sm_list_len(int list);
/* l.append(v), l.extend(vals) (and l += vals). */
int sm_list_append(int list, const struct sm_value *v);
int sm_list_extend(int list, const struct sm_value *vals, unsigned int n);
/* l.insert(index, v): index clamped to the list, as Python does. */
int sm_list_insert(int list, int64_t index, const struct sm_value *v);
/* *out = l[index]; l[index] = v; del l[index]. */
int sm_list_get(int list, int64_t index, struct sm_value *out,
		struct sm_buf *buf);
int sm_list_set(int list, int64_t index, const struct sm_value *v);
int sm_list_del(int list, int64_t index);
/*
 * l[slice]: up to max values, as many as fit in buf (at least one, else
 * -EMSGSIZE); returns how many.  When fewer than the slice has came back,
 * go on from start + returned * step.  An empty slice returns 0.
 */
int sm_list_get_slice(int list, const struct sm_slice *s,
		      struct sm_value *out, unsigned int max,
		      struct sm_buf *buf);
/*
 * l[slice] = vals: a step-1 slice takes any n (the list grows or shrinks);
 * an extended slice needs exactly as many values as it has (-EINVAL).
 */
int sm_list_set_slice(int list, const struct sm_slice *s,
		      const struct sm_value *vals, unsigned int n);
int sm_list_del_slice(int list, const struct sm_slice *s);
/* l.pop(index) (Python's default index is -1); -ERANGE if empty. */
int sm_list_pop(int list, int64_t index, struct sm_value *out,
		struct sm_buf *buf);
/* l.remove(v): the first equal value; -ENOENT (ValueError) if none. */
int sm_list_remove(int list, const struct sm_value *v);
/*
 * l.index(v, start, stop): the first index of an equal value in
 * [start, stop) (clamped as Python does; 0, INT64_MAX for all), -ENOENT.
 */
int sm_list_index(int list, const struct sm_value *v, int64_t start,
		  int64_t stop);
/* l.count(v); v in l (1 or 0). */
int sm_list_count(int list, const struct sm_value *v);
int sm_list_contains(int list, const struct sm_value *v);
/* l.reverse(); l.sort(reverse=...): stable; -EINVAL if unorderable. */
int sm_list_reverse(int list);
int sm_list_sort(int list, int reverse);
/* l *= n (n <= 0 empties it); l.clear(); l.copy() -> a new list handle. */
int sm_list_repeat(int list, int64_t n);
int sm_list_clear(int list);
int sm_list_copy(int list);
/*
 * Versions: see sm_dict_version() above (the same rules).  len() and the
 * version: sm_list_version() returns the length, *version set.
 * sm_list_get_slice_at(): sm_list_get_slice() at *version (0: any), which
 * comes back as the list's version (also with -ESTALE).
 * sm_list_replace_if(): l[:] = values (n of them, 0 empties it), only if
 * the list is still at version, else -ESTALE and nothing changed: a sort
 * with a key function reads the list with its version, sorts in the
 * caller, and stores it back without losing a concurrent change (on
 * -ESTALE, read again and redo).  Returns 0.
 */
int sm_list_version(int list, uint64_t *version);
int sm_list_get_slice_at(int list, const struct sm_slice *s,
			 struct sm_value *out, unsigned int max,
			 struct sm_buf *buf, uint64_t *version);
int sm_list_replace_if(int list, const struct sm_value *values,
		       unsigned int n, uint64_t version);

/*
 * Waiting on many objects at once (sm_wait_any(3)): up to SM_WAIT_MAX
 * objects, each once, of the kinds Lock, RLock, Semaphore and
 * BoundedSemaphore (taken), Event (set) and Queue (not empty; with
 * SM_WAIT_PUT, not full: observed, not taken).  sm_wait_any() takes the
 * lowest-index ready one and returns its index; sm_wait_all() takes all at
 * once or none and returns 0, or -EOWNERDEAD when all are taken and a
 * Lock's or RLock's holder had died.  died (may be NULL) gets bit i set
 * for each object i taken from a dead holder.
 */
#define SM_WAIT_MAX		SYNCMGR_WAIT_MAX_OBJS
#define SM_WAIT_PUT		SYNCMGR_WAIT_OBJ_PUT
#define sm_wait_obj		syncmgr_wait_obj

int sm_wait_any(const struct sm_wait_obj *objs, unsigned int n,
		int64_t timeout_ns, uint64_t *died);
int sm_wait_any_until(const struct sm_wait_obj *objs, unsigned int n,
		      uint64_t deadline, uint64_t *died);
int sm_wait_all(const struct sm_wait_obj *objs, unsigned int n,
		int64_t timeout_ns, uint64_t *died);
int sm_wait_all_until(const struct sm_wait_obj *objs, unsigned int n,
		      uint64_t deadline, uint64_t *died);

/*
 * Named objects (sm_named_open(3)), per IPC namespace, as sem_open():
 * flags SM_CREAT (make it if the name is free; *create gives the kind's
 * arguments, NULL: the defaults of type), SM_EXCL (with SM_CREAT: -EEXIST
 * if the name is taken), SM_READ and/or SM_WRITE (the access wanted,
 * checked against the mode as a file's), SM_NO_CLOEXEC.  type, if not 0,
 * must be the object's kind (-EBADFD otherwise).  The name keeps the
 * object alive until sm_named_unlink(); handles keep it after that.
 */
#define SM_NAME_MAX		SYNCMGR_NAME_MAX
#define SM_CREAT		SYNCMGR_NAMED_CREAT
#define SM_EXCL			SYNCMGR_NAMED_EXCL
#define SM_READ			SYNCMGR_NAMED_READ
#define SM_WRITE		SYNCMGR_NAMED_WRITE
#define SM_RDWR			(SM_READ | SM_WRITE)

int sm_named_open(const char *name, unsigned int type, unsigned int flags,
		  unsigned int mode, const struct syncmgr_create *create);
int sm_named_unlink(const char *name, unsigned int type);

/*
 * A token that holds its object (sm_token_hold(3)): as sm_token(), and the
 * token keeps the object alive for timeout_ns (> 0, at most a day), or
 * with SM_HOLD_ONCE until its first sm_open_token(), whichever is first.
 */
#define SM_HOLD_ONCE		SYNCMGR_HOLD_ONCE

int sm_token_hold(int handle, uint8_t token[16], int64_t timeout_ns,
		  unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* SYNCMGR_LIBSYNC_H */
