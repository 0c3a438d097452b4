/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * syncmgr - kernel-backed synchronization objects shared between processes.
 *
 * The device /dev/syncmgr creates objects; every object is its own file
 * descriptor, returned as the value of SYNCMGR_IOC_CREATE.  Operations are
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

#define SYNCMGR_DEADLINE_FOREVER	(~0ULL)

enum syncmgr_type {
	SYNCMGR_TYPE_LOCK = 1,
	SYNCMGR_TYPE_RLOCK = 2,
	SYNCMGR_TYPE_SEMAPHORE = 3,
	SYNCMGR_TYPE_BOUNDED_SEMAPHORE = 4,
	SYNCMGR_TYPE_EVENT = 5,
	SYNCMGR_TYPE_CONDITION = 6,
	SYNCMGR_TYPE_BARRIER = 7,
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
	__u32 value;		/* semaphores: initial count; barrier: parties */
	__s32 lock_fd;		/* condition: its Lock/RLock fd, -1 = new RLock */
	__u64 timeout_ns;	/* barrier: default relative timeout, 0 = none */
	__u64 reserved[3];
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

/* struct syncmgr_state: answer of SYNCMGR_IOC_STATE on any object. */
struct syncmgr_state {
	__u64 id;		/* unique for the module's lifetime: identity */
	__u32 type;		/* enum syncmgr_type */
	__u32 flags;		/* SYNCMGR_CREATE_* given at creation */
	/*
	 * value: Lock 1 if held, RLock its depth, semaphores the count,
	 * Event 1 if set, Barrier its parties, Condition its lock's value.
	 * max: BoundedSemaphore its bound, Barrier the parties waiting.
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

#define SYNCMGR_IOC_MAGIC		0xE5

/* On /dev/syncmgr. */
#define SYNCMGR_IOC_VERSION	_IOR(SYNCMGR_IOC_MAGIC, 0x00, struct syncmgr_version)
#define SYNCMGR_IOC_CREATE	_IOW(SYNCMGR_IOC_MAGIC, 0x01, struct syncmgr_create)

/* On object fds. */
#define SYNCMGR_IOC_STATE	_IOR(SYNCMGR_IOC_MAGIC, 0x10, struct syncmgr_state)
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

#endif /* _UAPI_LINUX_SYNCMGR_H */
