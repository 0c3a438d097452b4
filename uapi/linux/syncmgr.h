/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * syncmgr - kernel-backed synchronization objects shared between processes.
 *
 * The device /dev/syncmgr creates objects; every object is its own file
 * descriptor, returned as the value of SYNCMGR_IOC_CREATE (and of OPEN,
 * COPY, and as handles coming out of data objects).  Operations are
 * ioctls on the object fd.  The full description of every ioctl, its inputs,
 * outputs and errors is in Documentation/abi.md.
 *
 * Conventions:
 *  - every struct is fixed-width and naturally aligned; pointers and times
 *    are __u64;
 *  - every "flags" bit not defined here and every reserved field must be
 *    zero, otherwise the ioctl fails with EINVAL;
 *  - deadlines are absolute CLOCK_MONOTONIC times in nanoseconds, so a wait
 *    restarted after a signal never waits longer than first asked;
 *    SYNCMGR_DEADLINE_FOREVER never expires and 0 (or any past time) means
 *    "do not block".
 */
#ifndef _UAPI_LINUX_SYNCMGR_H
#define _UAPI_LINUX_SYNCMGR_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define SYNCMGR_ABI_VERSION		1

/* Feature bits reported by SYNCMGR_IOC_VERSION. */
#define SYNCMGR_FEAT_LOCKS		_BITULL(0) /* Lock, RLock */
#define SYNCMGR_FEAT_SEMAPHORES		_BITULL(1) /* Semaphore, BoundedSemaphore */
#define SYNCMGR_FEAT_EVENT		_BITULL(2)
#define SYNCMGR_FEAT_CONDITION		_BITULL(3)
#define SYNCMGR_FEAT_BARRIER		_BITULL(4)
#define SYNCMGR_FEAT_OWNER_DEATH	_BITULL(5) /* EOWNERDEAD on dead holders */
#define SYNCMGR_FEAT_QUEUE		_BITULL(6)
#define SYNCMGR_FEAT_VALUE		_BITULL(7) /* Value, Array */
#define SYNCMGR_FEAT_DICT		_BITULL(8) /* dict, Namespace */
#define SYNCMGR_FEAT_LIST		_BITULL(9)
#define SYNCMGR_FEAT_TOKEN		_BITULL(10) /* TOKEN, OPEN */
#define SYNCMGR_FEAT_SCALAR		_BITULL(11) /* SCALAR_LOAD/STORE/ADD */
#define SYNCMGR_FEAT_COMPOSITE		_BITULL(12) /* values TUPLE .. TAGGED */
#define SYNCMGR_FEAT_VERSION		_BITULL(13) /* dict/list versions */

#define SYNCMGR_DEADLINE_FOREVER	(~0ULL)

enum syncmgr_type {
	SYNCMGR_TYPE_LOCK = 1,
	SYNCMGR_TYPE_RLOCK = 2,
	SYNCMGR_TYPE_SEMAPHORE = 3,
	SYNCMGR_TYPE_BOUNDED_SEMAPHORE = 4,
	SYNCMGR_TYPE_EVENT = 5,
	SYNCMGR_TYPE_CONDITION = 6,
	SYNCMGR_TYPE_BARRIER = 7,
	SYNCMGR_TYPE_QUEUE = 8,
	SYNCMGR_TYPE_VALUE = 9,
	SYNCMGR_TYPE_ARRAY = 10,
	SYNCMGR_TYPE_DICT = 11,
	SYNCMGR_TYPE_LIST = 12,
	SYNCMGR_TYPE_NAMESPACE = 13,
};

/* struct syncmgr_version: answer of SYNCMGR_IOC_VERSION on /dev/syncmgr. */
struct syncmgr_version {
	__u32 abi_version;	/* SYNCMGR_ABI_VERSION of the running module */
	__u32 max_types;	/* highest enum syncmgr_type the module knows */
	__u64 features;		/* SYNCMGR_FEAT_* bits */
	__u64 reserved[2];	/* written as zero */
};

/* Creation flags (struct syncmgr_create.flags). */
#define SYNCMGR_CREATE_NO_CLOEXEC	_BITUL(0) /* fd without O_CLOEXEC */
/*
 * Lock only: do not track the holder, so that a lock taken by one process
 * and released by another (a hand-off) is never released by the kernel when
 * the taker exits.
 */
#define SYNCMGR_CREATE_UNTRACKED	_BITUL(1)
/* Barrier only: the last arriver of each cycle runs an action (see WAIT). */
#define SYNCMGR_CREATE_ACTION		_BITUL(2)

/*
 * struct syncmgr_create: argument of SYNCMGR_IOC_CREATE on /dev/syncmgr.
 * The ioctl returns the new object's file descriptor.
 */
struct syncmgr_create {
	__u32 type;		/* enum syncmgr_type */
	__u32 flags;		/* SYNCMGR_CREATE_* */
	/*
	 * value: semaphores the initial count, barrier the parties, queue
	 * its maxsize (0 = unbounded), array its length.
	 * typecode: value and array, a Python array typecode ('b', 'B',
	 * 'h', ... 'd'); a value keeps any typecode without checking it.
	 */
	__u32 value;
	__s32 lock_fd;		/* condition: its Lock/RLock fd, -1 = new RLock */
	__u64 timeout_ns;	/* barrier: default relative timeout, 0 = none */
	__u32 typecode;
	__u32 reserved0;
	__u64 reserved[2];
};

/* struct syncmgr_wait: argument of every blocking ioctl. */
struct syncmgr_wait {
	__u64 deadline;		/* absolute CLOCK_MONOTONIC ns */
	__u32 flags;		/* none defined yet: must be 0 */
	__u32 reserved;
};

/* struct syncmgr_count: argument of RELEASE (semaphores) and NOTIFY. */
struct syncmgr_count {
	__u32 count;		/* release(n) / notify(n); NOTIFY_ALL for all */
	__u32 reserved;
};

#define SYNCMGR_NOTIFY_ALL		(~0U)

/* Barrier wait: the return value carries this bit for the action runner. */
#define SYNCMGR_BARRIER_RUN_ACTION	0x40000000

/* struct syncmgr_action_done: the action runner reports its outcome. */
struct syncmgr_action_done {
	__u32 status;		/* SYNCMGR_ACTION_* */
	__u32 reserved;
};

#define SYNCMGR_ACTION_OK		0 /* release the other parties */
#define SYNCMGR_ACTION_FAILED		1 /* the action failed: break */
#define SYNCMGR_ACTION_MISSING		2 /* no action in this process: break */

/* Bits of struct syncmgr_state.status. */
#define SYNCMGR_STATE_OWNER_DIED	_BITUL(0) /* next acquirer gets EOWNERDEAD */
#define SYNCMGR_STATE_BROKEN		_BITUL(1) /* barrier is broken */
#define SYNCMGR_STATE_IN_ACTION		_BITUL(2) /* barrier action running */

/*
 * struct syncmgr_token: an object's unguessable 128-bit name.  TOKEN on an
 * object fd gives it; OPEN on /dev/syncmgr turns it back into a new fd of
 * the same object, for the object's creating user, while it lives.
 */
struct syncmgr_token {
	__u64 token[2];
	__u32 flags;		/* OPEN: SYNCMGR_CREATE_NO_CLOEXEC */
	__u32 reserved;
};

/* struct syncmgr_state: answer of SYNCMGR_IOC_STATE on any object. */
struct syncmgr_state {
	__u64 id;		/* unique for the module's lifetime: identity */
	__u32 type;		/* enum syncmgr_type */
	__u32 flags;		/* SYNCMGR_CREATE_* given at creation */
	/*
	 * value: Lock 1 if held, RLock its depth, semaphores the count,
	 * Event 1 if set, Barrier its parties, Condition its lock's value,
	 * Queue, Array, dict, list and Namespace their length.
	 * max: BoundedSemaphore its bound, Barrier the parties waiting,
	 * Queue its maxsize, Value and Array their typecode.
	 * owner: the holding process (Lock) or thread (RLock) as the
	 * caller's pid namespace sees it; 0 if none or not visible.
	 */
	__u32 value;
	__u32 max;
	__u32 waiters;		/* tasks blocked in this object */
	__u32 owner;
	__u32 status;		/* SYNCMGR_STATE_* */
	__u32 reserved0;
	__u64 timeout_ns;	/* barrier: default timeout, 0 = none */
	__u64 reserved[2];
};

/*
 * Typed values.  A value is a struct syncmgr_value header followed by len
 * payload bytes and zero padding to a multiple of 8; a batch is values
 * back to back.  SYNCMGR_VALUE_SIZE(len) is one value's size in a batch.
 */
enum syncmgr_value_type {
	SYNCMGR_VAL_NONE = 0,
	SYNCMGR_VAL_BOOL = 1,		/* data: 0 or 1 */
	SYNCMGR_VAL_INT = 2,		/* data: a two's complement int64 */
	SYNCMGR_VAL_DOUBLE = 3,		/* data: IEEE-754 binary64 bits */
	SYNCMGR_VAL_BYTES = 4,		/* payload */
	SYNCMGR_VAL_STR = 5,		/* payload: UTF-8, no terminator */
	SYNCMGR_VAL_BLOB = 6,		/* payload: a binding's own encoding */
	SYNCMGR_VAL_HANDLE = 7,		/* data: an fd of a syncmgr object */
	/*
	 * Composite values (SYNCMGR_FEAT_COMPOSITE): the payload is whole
	 * values back to back, data their number (DICT: the pairs).
	 */
	SYNCMGR_VAL_TUPLE = 8,		/* elements, in order */
	SYNCMGR_VAL_LIST = 9,		/* a list stored by value */
	SYNCMGR_VAL_DICT = 10,		/* key, value, key, value ... */
	SYNCMGR_VAL_FROZENSET = 11,	/* elements, in no order */
	SYNCMGR_VAL_BIGINT = 12,	/* payload: two's complement, LE */
	SYNCMGR_VAL_TAGGED = 13,	/* payload: a tag (STR/BYTES), a value */
};

/* The most HANDLE values one composite value may hold (E2BIG beyond). */
#define SYNCMGR_MAX_TREE_HANDLES	64
/*
 * The deepest nesting of composite values the ABI allows (a value inside
 * a TUPLE is at depth 1); the module's max_value_depth (default 32) may
 * be lower.  Deeper: EINVAL.
 */
#define SYNCMGR_MAX_TREE_DEPTH		64

struct syncmgr_value {
	__u16 type;		/* enum syncmgr_value_type */
	__u16 reserved;		/* must be 0 */
	__u32 len;		/* payload bytes: BYTES, STR, BLOB; else 0 */
	__u64 data;		/* the scalar, see enum syncmgr_value_type */
};

#define SYNCMGR_VALUE_SIZE(len) \
	(sizeof(struct syncmgr_value) + (((__u64)(len) + 7) & ~(__u64)7))

/*
 * struct syncmgr_data: argument of every data ioctl (Queue, Value, Array,
 * dict, list, Namespace).  Which fields an ioctl reads is in
 * Documentation/abi.md; the others must be zero.  Values go in through
 * in/in_size and come out through out/out_size; when out is too small the
 * ioctl fails with EMSGSIZE, changes nothing and sets needed.
 */
struct syncmgr_data {
	__u64 in;		/* user pointer: values going in */
	__u64 out;		/* user pointer: room for values coming out */
	__u32 in_size;		/* bytes at in */
	__u32 out_size;		/* bytes at out */
	__u32 count;		/* values at in, or most values wanted out */
	__u32 flags;		/* SYNCMGR_DATA_* */
	__s64 start;		/* index or slice start */
	__s64 stop;		/* slice stop (exclusive) */
	__s64 step;		/* slice step; 0 for "not a slice" */
	union {
		__u64 deadline;	/* blocking queue operations */
		__u64 version;	/* dict, list: SYNCMGR_DATA_*VERSION */
	};
	__u64 cursor;		/* dict iteration: where to go on (in/out) */
	__u32 needed;		/* out: bytes out must have (EMSGSIZE) */
	__u32 reserved;
};

/* flags of struct syncmgr_data */
#define SYNCMGR_DATA_KEYS		_BITUL(0) /* iteration: keys */
#define SYNCMGR_DATA_VALUES		_BITUL(1) /* iteration: values */
#define SYNCMGR_DATA_NO_START		_BITUL(2) /* slice: start omitted */
#define SYNCMGR_DATA_NO_STOP		_BITUL(3) /* slice: stop omitted */
#define SYNCMGR_DATA_REVERSE		_BITUL(4) /* sort descending */
#define SYNCMGR_DATA_NOWAIT		_BITUL(5) /* queue: fail at once */
/* dict, list (SYNCMGR_FEAT_VERSION): write the container's version back */
#define SYNCMGR_DATA_VERSION		_BITUL(6)
/* dict, list: run only if the container's version is still version (ESTALE) */
#define SYNCMGR_DATA_IF_VERSION		_BITUL(7)

#define SYNCMGR_IOC_MAGIC		0xE5

/* On /dev/syncmgr. */
#define SYNCMGR_IOC_VERSION	_IOR(SYNCMGR_IOC_MAGIC, 0x00, struct syncmgr_version)
#define SYNCMGR_IOC_CREATE	_IOW(SYNCMGR_IOC_MAGIC, 0x01, struct syncmgr_create)
#define SYNCMGR_IOC_OPEN	_IOW(SYNCMGR_IOC_MAGIC, 0x02, struct syncmgr_token)

/* On object fds. */
#define SYNCMGR_IOC_STATE	_IOR(SYNCMGR_IOC_MAGIC, 0x10, struct syncmgr_state)
#define SYNCMGR_IOC_TOKEN	_IOR(SYNCMGR_IOC_MAGIC, 0x1a, struct syncmgr_token)
/* Lock, RLock, semaphores, condition (its lock). */
#define SYNCMGR_IOC_ACQUIRE	_IOW(SYNCMGR_IOC_MAGIC, 0x11, struct syncmgr_wait)
/* Lock, RLock, condition (its lock): count must be 1; semaphores: n. */
#define SYNCMGR_IOC_RELEASE	_IOW(SYNCMGR_IOC_MAGIC, 0x12, struct syncmgr_count)
/* Event, condition, barrier. */
#define SYNCMGR_IOC_WAIT	_IOW(SYNCMGR_IOC_MAGIC, 0x13, struct syncmgr_wait)
/* Event. */
#define SYNCMGR_IOC_SET		_IO(SYNCMGR_IOC_MAGIC, 0x14)
#define SYNCMGR_IOC_CLEAR	_IO(SYNCMGR_IOC_MAGIC, 0x15)
/* Condition. */
#define SYNCMGR_IOC_NOTIFY	_IOW(SYNCMGR_IOC_MAGIC, 0x16, struct syncmgr_count)
/* Barrier. */
#define SYNCMGR_IOC_ABORT	_IO(SYNCMGR_IOC_MAGIC, 0x17)
#define SYNCMGR_IOC_RESET	_IO(SYNCMGR_IOC_MAGIC, 0x18)
#define SYNCMGR_IOC_ACTION_DONE	_IOW(SYNCMGR_IOC_MAGIC, 0x19, struct syncmgr_action_done)

/*
 * Data objects: every ioctl below takes a struct syncmgr_data; the return
 * value is a count, a length or an index, as Documentation/abi.md says.
 */
#define SYNCMGR_IOC_DATA(nr)	_IOWR(SYNCMGR_IOC_MAGIC, (nr), struct syncmgr_data)
/* Queue */
#define SYNCMGR_IOC_PUT		SYNCMGR_IOC_DATA(0x20) /* count items */
#define SYNCMGR_IOC_GET		SYNCMGR_IOC_DATA(0x21) /* up to count */
#define SYNCMGR_IOC_TASK_DONE	SYNCMGR_IOC_DATA(0x22) /* count times */
#define SYNCMGR_IOC_JOIN	SYNCMGR_IOC_DATA(0x23)
/* Value, Array */
#define SYNCMGR_IOC_LOAD	SYNCMGR_IOC_DATA(0x28) /* value / slice */
#define SYNCMGR_IOC_STORE	SYNCMGR_IOC_DATA(0x29)
#define SYNCMGR_IOC_ADD		SYNCMGR_IOC_DATA(0x2a) /* atomic, out: old */
#define SYNCMGR_IOC_CMPXCHG	SYNCMGR_IOC_DATA(0x2b) /* in: old, new */
/* dict, Namespace (keys) and list (indices); LEN also Queue and Array */
#define SYNCMGR_IOC_LEN		SYNCMGR_IOC_DATA(0x30)
#define SYNCMGR_IOC_LOOKUP	SYNCMGR_IOC_DATA(0x31) /* d[k], l[i:j:k] */
#define SYNCMGR_IOC_ASSIGN	SYNCMGR_IOC_DATA(0x32) /* d[k] = v, l[..] = */
#define SYNCMGR_IOC_DELETE	SYNCMGR_IOC_DATA(0x33) /* del */
#define SYNCMGR_IOC_CONTAINS	SYNCMGR_IOC_DATA(0x34)
#define SYNCMGR_IOC_POP		SYNCMGR_IOC_DATA(0x35) /* pop(k), pop(i) */
#define SYNCMGR_IOC_POPITEM	SYNCMGR_IOC_DATA(0x36)
#define SYNCMGR_IOC_SETDEFAULT	SYNCMGR_IOC_DATA(0x37)
#define SYNCMGR_IOC_UPDATE	SYNCMGR_IOC_DATA(0x38) /* pairs; extend */
#define SYNCMGR_IOC_CLEAR_ALL	SYNCMGR_IOC_DATA(0x39)
#define SYNCMGR_IOC_COPY	SYNCMGR_IOC_DATA(0x3a) /* returns a new fd */
#define SYNCMGR_IOC_ITER	SYNCMGR_IOC_DATA(0x3b) /* a page, by cursor */
/* list */
#define SYNCMGR_IOC_INSERT	SYNCMGR_IOC_DATA(0x40)
#define SYNCMGR_IOC_REMOVE	SYNCMGR_IOC_DATA(0x41) /* first equal value */
#define SYNCMGR_IOC_INDEX	SYNCMGR_IOC_DATA(0x42)
#define SYNCMGR_IOC_COUNT	SYNCMGR_IOC_DATA(0x43)
#define SYNCMGR_IOC_REVERSE	SYNCMGR_IOC_DATA(0x44)
#define SYNCMGR_IOC_SORT	SYNCMGR_IOC_DATA(0x45) /* flags: reverse */
#define SYNCMGR_IOC_REPEAT	SYNCMGR_IOC_DATA(0x46) /* *= count */

/*
 * Value shortcuts for the numbers (None, bool, int, float): the argument
 * is one struct syncmgr_value without payload, not a struct syncmgr_data,
 * so a get, set or add copies 16 bytes instead of 80 + 16.  SCALAR_LOAD
 * fails with EMSGSIZE when the Value holds a payload type (use LOAD).
 * SCALAR_ADD adds an INT or BOOL and writes back the value before, as ADD.
 */
#define SYNCMGR_IOC_SCALAR_LOAD	_IOR(SYNCMGR_IOC_MAGIC, 0x2c, struct syncmgr_value)
#define SYNCMGR_IOC_SCALAR_STORE _IOW(SYNCMGR_IOC_MAGIC, 0x2d, struct syncmgr_value)
#define SYNCMGR_IOC_SCALAR_ADD	_IOWR(SYNCMGR_IOC_MAGIC, 0x2e, struct syncmgr_value)

/*
 * Waiting on many objects at once (SYNCMGR_FEAT_WAIT_MANY), on
 * /dev/syncmgr: WAIT_ANY takes exactly one of the objects, the lowest
 * index found ready, and returns that index; WAIT_ALL takes all of them at
 * once or none, and returns 0.  Either or's SYNCMGR_WAIT_OWNER_DIED into
 * its return value when a Lock or RLock it took had a holder that died,
 * and writes the bit of each such object to died.  Up to
 * SYNCMGR_WAIT_MAX_OBJS objects, each at most once (EINVAL), of the kinds
 * Lock, RLock, Semaphore, BoundedSemaphore (taken), Event (set) and Queue
 * (not empty, or with SYNCMGR_WAIT_OBJ_PUT not full: observed, not taken).
 */
#define SYNCMGR_FEAT_WAIT_MANY		_BITULL(16)

#define SYNCMGR_WAIT_MAX_OBJS		64
#define SYNCMGR_WAIT_OWNER_DIED		0x100	/* or'd into the result */

/* struct syncmgr_wait_obj.flags */
#define SYNCMGR_WAIT_OBJ_PUT		_BITUL(0) /* Queue: wait for room */

struct syncmgr_wait_obj {
	__s32 fd;		/* an object handle */
	__u32 flags;		/* SYNCMGR_WAIT_OBJ_* */
};

struct syncmgr_wait_many {
	__u64 objs;		/* pointer to count struct syncmgr_wait_obj */
	__u64 deadline;		/* absolute CLOCK_MONOTONIC ns */
	__u64 died;		/* written: bit i, object i's holder died */
	__u32 count;		/* 1 .. SYNCMGR_WAIT_MAX_OBJS */
	__u32 flags;		/* none defined yet: must be 0 */
	__u64 reserved;
};

#define SYNCMGR_IOC_WAIT_ANY	_IOWR(SYNCMGR_IOC_MAGIC, 0x03, struct syncmgr_wait_many)
#define SYNCMGR_IOC_WAIT_ALL	_IOWR(SYNCMGR_IOC_MAGIC, 0x04, struct syncmgr_wait_many)

/*
 * Named objects (SYNCMGR_FEAT_NAMED), on /dev/syncmgr, as sem_open() and
 * shm_open(): NAMED_OPEN opens the object a name gives in the caller's
 * IPC namespace, or with SYNCMGR_NAMED_CREAT makes it (from *create) if
 * the name is free (with SYNCMGR_NAMED_EXCL too: EEXIST if it is not), and
 * returns its fd.  The name keeps its object alive until NAMED_UNLINK (or
 * the end of its IPC namespace).  Access is a file's: the owner's fsuid
 * and fsgid and mode (~umask) at creation; READ lets a handle observe and
 * wait (STATE, TOKEN, poll, an Event's WAIT, the data reads), WRITE all
 * else; CAP_IPC_OWNER overrides.  type, if not 0, must be the object's kind.
 */
#define SYNCMGR_FEAT_NAMED		_BITULL(17)

#define SYNCMGR_NAME_MAX		255	/* bytes; no NUL, no '/' */

/* struct syncmgr_named.flags, with SYNCMGR_CREATE_NO_CLOEXEC */
#define SYNCMGR_NAMED_CREAT		_BITUL(8)
#define SYNCMGR_NAMED_EXCL		_BITUL(9)
#define SYNCMGR_NAMED_READ		_BITUL(10)
#define SYNCMGR_NAMED_WRITE		_BITUL(11)

struct syncmgr_named {
	__u64 name;		/* pointer to name_len bytes */
	__u64 create;		/* CREAT: pointer to a struct syncmgr_create */
	__u32 name_len;		/* 1 .. SYNCMGR_NAME_MAX */
	__u32 flags;		/* SYNCMGR_NAMED_*, SYNCMGR_CREATE_NO_CLOEXEC */
	__u32 mode;		/* CREAT: permission bits, 0 .. 0777 */
	__u32 type;		/* the kind expected, 0: any */
	__u64 reserved;
};

#define SYNCMGR_IOC_NAMED_OPEN	_IOW(SYNCMGR_IOC_MAGIC, 0x05, struct syncmgr_named)
#define SYNCMGR_IOC_NAMED_UNLINK _IOW(SYNCMGR_IOC_MAGIC, 0x06, struct syncmgr_named)

/*
 * Tokens that hold their object (SYNCMGR_FEAT_TOKEN_HOLD), on an object
 * fd: TOKEN_HOLD writes the object's token (as TOKEN) and makes the token
 * keep the object alive until deadline, at most
 * SYNCMGR_TOKEN_HOLD_MAX_NS from now, or with SYNCMGR_HOLD_ONCE until the
 * first OPEN of the token, whichever comes first: a reference put on a
 * queue by a sender that then closes its handle still opens.
 */
#define SYNCMGR_FEAT_TOKEN_HOLD		_BITULL(18)

#define SYNCMGR_TOKEN_HOLD_MAX_NS	(86400ULL * 1000000000ULL) /* a day */
#define SYNCMGR_HOLD_ONCE		_BITUL(0)

struct syncmgr_token_hold {
	__u64 token[2];		/* written: the object's token */
	__u64 deadline;		/* absolute CLOCK_MONOTONIC ns */
	__u32 flags;		/* SYNCMGR_HOLD_ONCE */
	__u32 reserved;
};

#define SYNCMGR_IOC_TOKEN_HOLD	_IOWR(SYNCMGR_IOC_MAGIC, 0x1b, struct syncmgr_token_hold)

#endif /* _UAPI_LINUX_SYNCMGR_H */
