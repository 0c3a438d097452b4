// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libsync core: the device, object creation and state, time, and handle
 * passing.  Every function returns 0 / a value or a negative errno; errno
 * is only read right after the failing system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SM_DEVICE	"/dev/syncmgr"
/* The kernel's SCM_MAX_FD: most fds one SCM_RIGHTS message carries. */
#define SM_MAX_HANDLES	253

/*
 * The device fd, opened on first use and kept for the life of the process
 * (inherited across fork).  Two threads racing to open it both open; the
 * loser of the compare-and-swap closes its copy.  A failed open is not
 * cached, so a later call (module loaded since) may succeed.
 */
static int sm_dev_fd = -1;

static int sm_dev(void)
{
	int fd = __atomic_load_n(&sm_dev_fd, __ATOMIC_ACQUIRE);
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(SM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!__atomic_compare_exchange_n(&sm_dev_fd, &expected, fd, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

int sm__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* An ioctl on the device itself, opened first if need be. */
int sm__dev_ioctl(unsigned long cmd, void *arg)
{
	int dev = sm_dev();

	if (dev < 0)
		return dev;
	return sm__ioctl(dev, cmd, arg);
}

int sm__create_args(struct syncmgr_create *args)
{
	return sm__dev_ioctl(SYNCMGR_IOC_CREATE, args);
}

int sm__create(unsigned int type, unsigned int flags, unsigned int value,
	       int lock_fd, uint64_t timeout_ns)
{
	struct syncmgr_create args;

	memset(&args, 0, sizeof(args));
	args.type = type;
	args.flags = flags;
	args.value = value;
	args.lock_fd = lock_fd;
	args.timeout_ns = timeout_ns;
	return sm__create_args(&args);
}

long sm_data_ioctl(int fd, unsigned long cmd, struct syncmgr_data *d)
{
	if (!d)
		return -EINVAL;
	return sm__ioctl(fd, cmd, d);
}

int sm__len_version(int handle, uint64_t *version)
{
	uint64_t any = 0;
	struct syncmgr_data d;
	int ret;

	if (!version)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	sm__at(&d, &any);
	ret = sm__ioctl(handle, SYNCMGR_IOC_LEN, &d);
	return sm__at_done(ret, &d, version);
}

int sm_version(struct syncmgr_version *out)
{
	return sm__dev_ioctl(SYNCMGR_IOC_VERSION, out);
}

int sm_state(int handle, struct syncmgr_state *out)
{
	return sm__ioctl(handle, SYNCMGR_IOC_STATE, out);
}

int sm__state_of(int handle, unsigned int types, struct syncmgr_state *st)
{
	int ret = sm_state(handle, st);

	if (ret < 0)
		return ret;
	if (st->type >= 32 || !(types & SM_TYPE_BIT(st->type)))
		return -EBADFD;
	return 0;
}

int sm_token(int handle, uint8_t token[16])
{
	struct syncmgr_token t;
	int ret = sm__ioctl(handle, SYNCMGR_IOC_TOKEN, &t);

	if (ret < 0)
		return ret;
	memcpy(token, t.token, sizeof(t.token));
	return 0;
}

/* The device is opened before token is read: without it, its error first. */
int sm_open_token(const uint8_t token[16], unsigned int flags)
{
	struct syncmgr_token t;
	int dev = sm_dev();

	if (dev < 0)
		return dev;
	memset(&t, 0, sizeof(t));
	memcpy(t.token, token, sizeof(t.token));
	t.flags = flags;
	return sm__ioctl(dev, SYNCMGR_IOC_OPEN, &t);
}

int sm_type(int handle)
{
	struct syncmgr_state st;
	int ret = sm_state(handle, &st);

	return ret < 0 ? ret : (int)st.type;
}

/* Time. */

int64_t sm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int sm_timeout_valid(int64_t timeout_ns)
{
	return timeout_ns >= 0 || timeout_ns == SM_FOREVER ? 0 : -EINVAL;
}

/*
 * now + timeout cannot wrap: both are below 2^63.  An invalid timeout
 * (negative, not SM_FOREVER) gives 0, "do not block"; callers check it
 * with sm_timeout_valid() first (inside libsync: sm__deadline_of()).
 */
uint64_t sm_deadline(int64_t timeout_ns)
{
	if (timeout_ns == SM_FOREVER)
		return SYNCMGR_DEADLINE_FOREVER;
	if (timeout_ns <= 0)
		return 0;
	return (uint64_t)sm_now() + (uint64_t)timeout_ns;
}

int sm__deadline_of(int64_t timeout_ns, uint64_t *deadline)
{
	int ret = sm_timeout_valid(timeout_ns);

	if (!ret)
		*deadline = sm_deadline(timeout_ns);
	return ret;
}

/* Waits: the one place that builds a struct syncmgr_wait. */

int sm__wait_until(int handle, unsigned long cmd, uint64_t deadline)
{
	struct syncmgr_wait args;

	memset(&args, 0, sizeof(args));
	args.deadline = deadline;
	return sm__ioctl(handle, cmd, &args);
}

int sm__wait(int handle, unsigned long cmd, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	return sm__wait_until(handle, cmd, deadline);
}

int sm__count(int handle, unsigned long cmd, unsigned int count)
{
	struct syncmgr_count args;

	memset(&args, 0, sizeof(args));
	args.count = count;
	return sm__ioctl(handle, cmd, &args);
}

/*
 * Handle passing.  One message = one data byte + one SCM_RIGHTS control
 * message, so that on a stream socket the receiver, reading one byte at a
 * time, gets exactly the handles of one sm_send_handles() call.
 */

/* One message: its data byte and room for n handles of control data. */
struct sm_handle_msg {
	struct msghdr msg;
	struct iovec iov;
	char byte;
	union {
		char buf[CMSG_SPACE(SM_MAX_HANDLES * sizeof(int))];
		struct cmsghdr align;
	} u;
};

static void sm_handle_msg_init(struct sm_handle_msg *m, unsigned int n)
{
	memset(m, 0, sizeof(*m));
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
}

int sm_send_handles(int sock, const int *handles, unsigned int n)
{
	struct sm_handle_msg m;
	struct cmsghdr *cmsg;

	if (!handles || !n || n > SM_MAX_HANDLES)
		return -EINVAL;
	sm_handle_msg_init(&m, n);
	cmsg = CMSG_FIRSTHDR(&m.msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cmsg), handles, n * sizeof(int));
	if (sendmsg(sock, &m.msg, MSG_NOSIGNAL) < 0)
		return -errno;
	return (int)n;
}

static void sm_close_all(const int *fds, unsigned int n)
{
	while (n--)
		close(fds[n]);
}

int sm_recv_handles(int sock, int *handles, unsigned int max)
{
	struct sm_handle_msg m;
	int got[SM_MAX_HANDLES + 1];
	unsigned int n = 0;
	struct cmsghdr *cmsg;
	ssize_t len;

	if (!handles || !max)
		return -EINVAL;
	if (max > SM_MAX_HANDLES)
		max = SM_MAX_HANDLES;
	sm_handle_msg_init(&m, max);
	len = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
	if (len < 0)
		return -errno;

	/*
	 * Collect what arrived first: even a truncated message may carry
	 * fds, and they are ours to close.  CMSG_SPACE() rounds up, so one
	 * more fd than asked for may fit.
	 */
	for (cmsg = CMSG_FIRSTHDR(&m.msg); cmsg;
	     cmsg = CMSG_NXTHDR(&m.msg, cmsg)) {
		unsigned int k;

		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > SM_MAX_HANDLES + 1 - n)
			k = SM_MAX_HANDLES + 1 - n;
		memcpy(got + n, CMSG_DATA(cmsg), k * sizeof(int));
		n += k;
	}
	if ((m.msg.msg_flags & MSG_CTRUNC) || n > max) {
		sm_close_all(got, n);
		return -EMSGSIZE;
	}
	if (len == 0 && n == 0)
		return -ECONNRESET;	/* the peer closed the connection */
	memcpy(handles, got, n * sizeof(int));
	return (int)n;
}
