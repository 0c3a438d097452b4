/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private helpers shared by the object families of libsync.  Nothing here
 * is exported: the symbols are hidden and the version script lists only
 * the public sm_* functions.
 */
#ifndef SYNCMGR_LIBSYNC_INTERNAL_H
#define SYNCMGR_LIBSYNC_INTERNAL_H

#include <errno.h>
#include <stdint.h>
#include "syncmgr.h"

#define SM_HIDDEN	__attribute__((visibility("hidden")))

/* Bit of an enum syncmgr_type, for sm__state_of()'s set of accepted types. */
#define SM_TYPE_BIT(t)	(1U << (t))

/* ioctl(fd, cmd, arg): its non-negative result, or -errno. */
SM_HIDDEN int sm__ioctl(int fd, unsigned long cmd, void *arg);

/*
 * A call that moves one value returns 0, not the count of 1 its ioctl
 * returned; -errno stays.
 */
static inline int sm__one(int ret)
{
	return ret < 0 ? ret : 0;
}

/*
 * SYNCMGR_IOC_CREATE on the (lazily opened) device: the new handle or
 * -errno.  Fields a type does not use are passed as 0 (lock_fd too).
 */
SM_HIDDEN int sm__create(unsigned int type, unsigned int flags,
			 unsigned int value, int lock_fd, uint64_t timeout_ns);

/* SYNCMGR_IOC_CREATE with every field given (Value, Array: typecode). */
SM_HIDDEN int sm__create_args(struct syncmgr_create *args);

/*
 * SYNCMGR_IOC_STATE on handle; -EBADFD unless its type is one of the
 * SM_TYPE_BIT()s in types.
 */
SM_HIDDEN int sm__state_of(int handle, unsigned int types,
			   struct syncmgr_state *st);

/*
 * A count of the kernel's (a semaphore's value, a queue's size) as a
 * result: clamped to INT32_MAX rather than look like -errno.
 */
static inline int sm__count_result(uint32_t n)
{
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

/*
 * A relative timeout (SM_FOREVER, 0, > 0) as the absolute deadline that
 * the *_until() calls take: 0, or -EINVAL for any other timeout
 * (*deadline then untouched).  Every call taking a timeout starts here.
 */
SM_HIDDEN int sm__deadline_of(int64_t timeout_ns, uint64_t *deadline);

/* A blocking ioctl (ACQUIRE, WAIT) with an absolute deadline. */
SM_HIDDEN int sm__wait_until(int handle, unsigned long cmd, uint64_t deadline);

/* The same with a relative timeout (SM_FOREVER, 0, > 0), checked first. */
SM_HIDDEN int sm__wait(int handle, unsigned long cmd, int64_t timeout_ns);

/* SYNCMGR_IOC_ACQUIRE: Lock, RLock, semaphores, a Condition's lock. */
static inline int sm__acquire_until(int handle, uint64_t deadline)
{
	return sm__wait_until(handle, SYNCMGR_IOC_ACQUIRE, deadline);
}

static inline int sm__acquire(int handle, int64_t timeout_ns)
{
	return sm__wait(handle, SYNCMGR_IOC_ACQUIRE, timeout_ns);
}

/* An ioctl taking a struct syncmgr_count (RELEASE, NOTIFY). */
SM_HIDDEN int sm__count(int handle, unsigned long cmd, unsigned int count);

/* SYNCMGR_IOC_RELEASE of a Lock, RLock or a Condition's lock. */
static inline int sm__release(int handle)
{
	return sm__count(handle, SYNCMGR_IOC_RELEASE, 1);
}

/*
 * A data ioctl: d carries the command's own fields (count, start, flags,
 * deadline ...); this lays the nin values of in out as d->in, points d->out
 * at buf, runs the ioctl, and decodes up to nout values it returned into
 * out.  Returns the ioctl's result; -EMSGSIZE sets buf->needed.
 */
SM_HIDDEN int sm__data(int handle, unsigned long cmd, struct syncmgr_data *d,
		       const struct sm_value *in, unsigned int nin,
		       struct sm_buf *buf, struct sm_value *out,
		       unsigned int nout);

/*
 * A slice (list, Array) as the fields of *d, every other field 0; an
 * omitted bound is sent as 0.  -EINVAL for a step of 0 (d untouched).
 */
SM_HIDDEN int sm__slice(const struct sm_slice *s, struct syncmgr_data *d);

/* A data ioctl with no values in or out: d carries the command's fields. */
static inline int sm__data_plain(int handle, unsigned long cmd,
				 struct syncmgr_data *d)
{
	return sm__data(handle, cmd, d, NULL, 0, NULL, NULL, 0);
}

/* The same with every field 0: LEN, CLEAR_ALL, COPY, REVERSE. */
SM_HIDDEN int sm__data_cmd(int handle, unsigned long cmd);

/* A data ioctl with n values in and none out: d->count says n. */
static inline int sm__data_in(int handle, unsigned long cmd,
			      struct syncmgr_data *d,
			      const struct sm_value *in, unsigned int n)
{
	d->count = n;
	return sm__data(handle, cmd, d, in, n, NULL, NULL, 0);
}

/*
 * Container versions: a call at *version (0: any version, else only at
 * it, -ESTALE otherwise) asks for the version back.  -EINVAL for a NULL
 * version.
 */
static inline int sm__at(struct syncmgr_data *d, const uint64_t *version)
{
	if (!version)
		return -EINVAL;
	d->flags |= SYNCMGR_DATA_VERSION;
	if (*version)
		d->flags |= SYNCMGR_DATA_IF_VERSION;
	d->version = *version;
	return 0;
}

/* After such a call: the version came back with a success or -ESTALE. */
static inline int sm__at_done(int ret, const struct syncmgr_data *d,
			      uint64_t *version)
{
	if (ret >= 0 || ret == -ESTALE)
		*version = d->version;
	return ret;
}

/* LEN with the version (dict, list): the length, *version set. */
SM_HIDDEN int sm__len_version(int handle, uint64_t *version);

/* An ioctl on /dev/syncmgr itself (opened on first use): as sm__ioctl. */
SM_HIDDEN int sm__dev_ioctl(unsigned long cmd, void *arg);

#endif /* SYNCMGR_LIBSYNC_INTERNAL_H */
