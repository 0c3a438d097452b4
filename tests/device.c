// SPDX-License-Identifier: GPL-2.0
/*
 * The device and what every object shares: version, creation, ioctl
 * argument checking, wrong types, STATE and identity, handle passing,
 * fdinfo, poll readiness of every type, the per-user object limit, and
 * objects freed with their last handle.
 */
#define _GNU_SOURCE	/* strcasestr */
#include "common.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#define LONG_NS		(10 * WAKE_MS * MS)
#define BAD_PTR		((void *)8)	/* never mapped */
#define MAX_OBJECTS_PARAM "/sys/module/syncmgr/parameters/max_objects_per_user"

/* A raw CREATE on the device: the new fd or -errno. */
static int create_raw(const struct syncmgr_create *arg)
{
	int dev = dev_open();
	int fd;

	if (dev < 0)
		return -errno;
	fd = ioctl(dev, SYNCMGR_IOC_CREATE, arg);
	fd = fd < 0 ? -errno : fd;
	close(dev);
	return fd;
}

/* The smallest valid creation argument for a type. */
static struct syncmgr_create create_arg(__u32 type)
{
	struct syncmgr_create c = { .type = type };

	if (type == SYNCMGR_TYPE_CONDITION)
		c.lock_fd = -1;
	if (type == SYNCMGR_TYPE_BARRIER)
		c.value = 2;
	return c;
}

/* An ioctl on fd: 0 or more, else -errno. */
static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static __u64 object_id(int fd)
{
	struct syncmgr_state st;

	return sm_state(fd, &st) ? 0 : st.id;
}

TEST(version_reports_abi_1)
{
	struct syncmgr_version v;
	int dev = dev_open();
	__u64 all = SYNCMGR_FEAT_LOCKS | SYNCMGR_FEAT_SEMAPHORES |
		    SYNCMGR_FEAT_EVENT | SYNCMGR_FEAT_CONDITION |
		    SYNCMGR_FEAT_BARRIER;

	ASSERT_LE(0, dev);
	memset(&v, POISON, sizeof(v));
	ASSERT_EQ(0, ioctl_err(dev, SYNCMGR_IOC_VERSION, &v));
	EXPECT_EQ(1U, v.abi_version);
	EXPECT_LE((__u32)SYNCMGR_TYPE_BARRIER, v.max_types);
	EXPECT_GE((__u32)SYNCMGR_TYPE_NAMESPACE, v.max_types);
	EXPECT_EQ(all, v.features & all);
	EXPECT_EQ(0ULL, v.features & ~(all | SYNCMGR_FEAT_OWNER_DEATH |
				       SYNCMGR_FEAT_QUEUE | SYNCMGR_FEAT_VALUE |
				       SYNCMGR_FEAT_DICT | SYNCMGR_FEAT_LIST |
				       SYNCMGR_FEAT_TOKEN | SYNCMGR_FEAT_SCALAR |
				       SYNCMGR_FEAT_VERSION |
				       SYNCMGR_FEAT_COMPOSITE |
				       SYNCMGR_FEAT_WAIT_MANY |
				       SYNCMGR_FEAT_NAMED |
				       SYNCMGR_FEAT_TOKEN_HOLD));
	EXPECT_NE(0ULL, v.features & SYNCMGR_FEAT_TOKEN);
	EXPECT_NE(0ULL, v.features & SYNCMGR_FEAT_VERSION);
	EXPECT_EQ(0ULL, v.reserved[0]);
	EXPECT_EQ(0ULL, v.reserved[1]);
	EXPECT_EQ(-EFAULT, ioctl_err(dev, SYNCMGR_IOC_VERSION, BAD_PTR));
	memset(&v, POISON, sizeof(v));
	ASSERT_EQ(0, sm_version(&v));
	EXPECT_EQ(1U, v.abi_version);
	close(dev);
}

TEST(unknown_ioctl_is_enotty)
{
	int dev = dev_open();
	int ev = sm_event_create(0);
	unsigned long unknown = _IO(SYNCMGR_IOC_MAGIC, 0x7f);
	unsigned long foreign = _IO('T', 0x01);

	ASSERT_LE(0, dev);
	ASSERT_LE(0, ev);
	EXPECT_EQ(-ENOTTY, ioctl_err(dev, unknown, NULL));
	EXPECT_EQ(-ENOTTY, ioctl_err(dev, foreign, NULL));
	EXPECT_EQ(-ENOTTY, ioctl_err(ev, unknown, NULL));
	EXPECT_EQ(-ENOTTY, ioctl_err(ev, foreign, NULL));
	close(ev);
	close(dev);
}

TEST(create_with_bad_pointer_is_efault)
{
	int dev = dev_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-EFAULT, ioctl_err(dev, SYNCMGR_IOC_CREATE, BAD_PTR));
	close(dev);
}

/* A data family is advertised exactly when its types can be created. */
TEST(version_features_match_creatable_types)
{
	static const struct {
		__u64 feature;
		__u32 type;
		__u32 typecode;
	} fam[] = {
		{ SYNCMGR_FEAT_QUEUE, SYNCMGR_TYPE_QUEUE, 0 },
		{ SYNCMGR_FEAT_VALUE, SYNCMGR_TYPE_VALUE, 'i' },
		{ SYNCMGR_FEAT_VALUE, SYNCMGR_TYPE_ARRAY, 'i' },
		{ SYNCMGR_FEAT_DICT, SYNCMGR_TYPE_DICT, 0 },
		{ SYNCMGR_FEAT_DICT, SYNCMGR_TYPE_NAMESPACE, 0 },
		{ SYNCMGR_FEAT_LIST, SYNCMGR_TYPE_LIST, 0 },
	};
	struct syncmgr_version v;

	ASSERT_EQ(0, sm_version(&v));
	for (unsigned int i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		struct syncmgr_create c = create_arg(fam[i].type);
		int fd;

		c.typecode = fam[i].typecode;
		fd = create_raw(&c);
		if (v.features & fam[i].feature) {
			EXPECT_LE(0, fd) TH_LOG("type %u", fam[i].type);
			EXPECT_LE(fam[i].type, v.max_types);
			if (fd >= 0)
				close(fd);
		} else {
			EXPECT_EQ(-EOPNOTSUPP, fd) TH_LOG("type %u", fam[i].type);
		}
	}
}

/*
 * Every type the module reports has its name (the kernel derives names,
 * create checks and features from one table: a kind added there without
 * its name would show "(null)"), and the first type past max_types does
 * not exist.  A new kind must be added here too, or this fails.
 */
TEST(every_reported_type_has_its_name)
{
	static const char *const names[] = {
		[SYNCMGR_TYPE_LOCK] = "Lock",
		[SYNCMGR_TYPE_RLOCK] = "RLock",
		[SYNCMGR_TYPE_SEMAPHORE] = "Semaphore",
		[SYNCMGR_TYPE_BOUNDED_SEMAPHORE] = "BoundedSemaphore",
		[SYNCMGR_TYPE_EVENT] = "Event",
		[SYNCMGR_TYPE_CONDITION] = "Condition",
		[SYNCMGR_TYPE_BARRIER] = "Barrier",
		[SYNCMGR_TYPE_QUEUE] = "Queue",
		[SYNCMGR_TYPE_VALUE] = "Value",
		[SYNCMGR_TYPE_ARRAY] = "Array",
		[SYNCMGR_TYPE_DICT] = "dict",
		[SYNCMGR_TYPE_LIST] = "list",
		[SYNCMGR_TYPE_NAMESPACE] = "Namespace",
	};
	struct syncmgr_version v;
	struct syncmgr_create c;

	ASSERT_EQ(0, sm_version(&v));
	ASSERT_EQ(sizeof(names) / sizeof(names[0]) - 1, v.max_types);
	for (__u32 type = 1; type <= v.max_types; type++) {
		char path[64], line[256], want[96];
		bool found = false;
		FILE *f;
		int fd;

		c = create_arg(type);
		if (type == SYNCMGR_TYPE_ARRAY)
			c.typecode = 'i';
		fd = create_raw(&c);
		ASSERT_LE(0, fd) TH_LOG("type %u", type);
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		snprintf(want, sizeof(want), "syncmgr-type:\t%s\n", names[type]);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		while (fgets(line, sizeof(line), f))
			found |= !strcmp(line, want);
		fclose(f);
		EXPECT_TRUE(found) TH_LOG("type %u: no \"%s\"", type, names[type]);
		close(fd);
	}
	c = create_arg(v.max_types + 1);
	EXPECT_EQ(-EINVAL, create_raw(&c));
}

TEST(every_type_creates)
{
	for (__u32 type = SYNCMGR_TYPE_LOCK; type <= SYNCMGR_TYPE_BARRIER;
	     type++) {
		struct syncmgr_create c = create_arg(type);
		struct syncmgr_state st;
		int fd = create_raw(&c);

		ASSERT_LE(0, fd) {
			TH_LOG("type %u", type);
		}
		EXPECT_EQ((int)type, sm_type(fd));
		memset(&st, POISON, sizeof(st));
		ASSERT_EQ(0, sm_state(fd, &st));
		EXPECT_EQ(type, st.type);
		EXPECT_EQ(0U, st.flags);
		EXPECT_EQ(0U, st.waiters);
		EXPECT_EQ(0U, st.reserved0);
		EXPECT_EQ(0ULL, st.reserved[0]);
		EXPECT_EQ(0ULL, st.reserved[1]);
		close(fd);
	}
}

TEST(create_rejects_bad_arguments)
{
	struct syncmgr_create c = create_arg(SYNCMGR_TYPE_EVENT);

	c.type = 0;
	EXPECT_EQ(-EINVAL, create_raw(&c));
	c.type = 1000;
	EXPECT_EQ(-EINVAL, create_raw(&c));
	for (int i = 0; i < 2; i++) {
		c = create_arg(SYNCMGR_TYPE_EVENT);
		c.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, create_raw(&c));
	}
	c = create_arg(SYNCMGR_TYPE_EVENT);
	c.reserved0 = 1;
	EXPECT_EQ(-EINVAL, create_raw(&c));
	c = create_arg(SYNCMGR_TYPE_EVENT);
	c.typecode = 'i';			/* Value and Array only */
	EXPECT_EQ(-EINVAL, create_raw(&c));
	c = create_arg(SYNCMGR_TYPE_EVENT);
	c.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, create_raw(&c));
	c.flags = SYNCMGR_CREATE_ACTION;	/* Barrier only */
	EXPECT_EQ(-EINVAL, create_raw(&c));
	c = create_arg(SYNCMGR_TYPE_SEMAPHORE);
	c.flags = SYNCMGR_CREATE_UNTRACKED;	/* Lock only */
	EXPECT_EQ(-EINVAL, create_raw(&c));
	c = create_arg(SYNCMGR_TYPE_EVENT);
	c.timeout_ns = 1;			/* Barrier only */
	EXPECT_EQ(-EINVAL, create_raw(&c));
}

TEST(wrong_object_type_is_ebadfd)
{
	int sem = sm_sem_create(1, 0);
	int lock = sm_lock_create(0);
	int ev = sm_event_create(0);
	int pipefd[2];
	int closed;

	ASSERT_LE(0, sem);
	ASSERT_LE(0, lock);
	ASSERT_LE(0, ev);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EBADFD, sm_event_set(sem));
	EXPECT_EQ(1, sm_sem_value(sem));
	EXPECT_EQ(-EBADFD, sm_barrier_abort(lock));
	EXPECT_EQ(-EBADFD, sm_cond_create(ev, 0));
	EXPECT_EQ(-EBADFD, sm_cond_create(pipefd[0], 0));
	closed = dup(pipefd[0]);
	ASSERT_LE(0, closed);
	close(closed);
	EXPECT_EQ(-EBADF, sm_cond_create(closed, 0));
	close(pipefd[0]);
	close(pipefd[1]);
	close(ev);
	close(lock);
	close(sem);
}

TEST(nonzero_reserved_fields_are_einval)
{
	struct syncmgr_count count = { .count = 1, .reserved = 1 };
	struct syncmgr_wait wait = { .deadline = 0, .reserved = 1 };
	struct syncmgr_action_done done = { .reserved = 1 };
	int sem = sm_sem_create(1, 0);
	int b = sm_barrier_create(2, 0, SM_BARRIER_ACTION);

	ASSERT_LE(0, sem);
	ASSERT_LE(0, b);
	EXPECT_EQ(-EINVAL, ioctl_err(sem, SYNCMGR_IOC_RELEASE, &count));
	EXPECT_EQ(-EINVAL, ioctl_err(sem, SYNCMGR_IOC_ACQUIRE, &wait));
	wait.reserved = 0;
	wait.flags = 1;
	EXPECT_EQ(-EINVAL, ioctl_err(sem, SYNCMGR_IOC_ACQUIRE, &wait));
	EXPECT_EQ(1, sm_sem_value(sem));	/* nothing taken or added */
	EXPECT_EQ(-EINVAL, ioctl_err(b, SYNCMGR_IOC_ACTION_DONE, &done));
	close(b);
	close(sem);
}

TEST(state_with_bad_pointer_is_efault)
{
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	EXPECT_EQ(-EFAULT, ioctl_err(ev, SYNCMGR_IOC_STATE, BAD_PTR));
	close(ev);
}

TEST(sm_type_of_a_pipe_fails)
{
	int pipefd[2];

	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_GT(0, sm_type(pipefd[0]));
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST(creation_flags_and_cloexec)
{
	struct syncmgr_state st;
	int ev = sm_event_create(0);
	int ev_inherit = sm_event_create(SM_NO_CLOEXEC);

	ASSERT_LE(0, ev);
	ASSERT_LE(0, ev_inherit);
	EXPECT_TRUE(fcntl(ev, F_GETFD) & FD_CLOEXEC);
	EXPECT_FALSE(fcntl(ev_inherit, F_GETFD) & FD_CLOEXEC);
	memset(&st, POISON, sizeof(st));
	ASSERT_EQ(0, sm_state(ev_inherit, &st));
	EXPECT_EQ((__u32)SYNCMGR_CREATE_NO_CLOEXEC, st.flags);
	close(ev_inherit);
	close(ev);
}

/*
 * Handle passing: a process forked before the objects existed receives
 * three handles in one message, reports their ids and uses them.
 */
struct receiver {
	__u64 id[3];
};

static int use_received(const int *h, void *arg)
{
	struct receiver *rx = arg;

	for (int i = 0; i < 3; i++)
		rx->id[i] = object_id(h[i]);
	if (sm_sem_release(h[0], 1) || sm_event_set(h[1]))
		return -EIO;
	return sm_barrier_wait(h[2], LONG_NS);
}

TEST(three_handles_in_one_message)
{
	struct receiver *rx = shared_mem(sizeof(*rx));
	int *res = shared_mem(sizeof(*res));
	int sv[2], h[3];
	pid_t pid;

	ASSERT_NE(NULL, rx);
	ASSERT_NE(NULL, res);
	ASSERT_EQ(0, unix_pair(sv));
	pid = spawn_remote(sv[1], 3, use_received, rx, res);
	ASSERT_LT(0, pid);
	h[0] = sm_sem_create(0, 0);
	h[1] = sm_event_create(0);
	h[2] = sm_barrier_create(2, 0, 0);
	for (int i = 0; i < 3; i++)
		ASSERT_LE(0, h[i]);
	ASSERT_EQ(3, sm_send_handles(sv[0], h, 3));
	EXPECT_EQ(0, sm_sem_acquire(h[0], LONG_NS));
	EXPECT_EQ(0, sm_event_wait(h[1], LONG_NS));
	EXPECT_LE(0, sm_barrier_wait(h[2], LONG_NS));
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_LE(0, *res);
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(object_id(h[i]), rx->id[i]);
		close(h[i]);
	}
	close(sv[0]);
	close(sv[1]);
}

TEST(state_id_is_identity)
{
	int a = sm_event_create(0);
	int b = sm_event_create(0);
	int a2 = dup(a);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, a2);
	EXPECT_NE(0ULL, object_id(a));
	EXPECT_NE(object_id(a), object_id(b));
	EXPECT_EQ(object_id(a), object_id(a2));
	close(a2);
	close(b);
	close(a);
}

/* The first fdinfo line with key in its name (not mnt_id), or NULL. */
static char *fdinfo_line(int fd, const char *key, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	char *found = NULL;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	while (!found && fgets(buf, size, f))
		if (strstr(buf, key) && strncmp(buf, "mnt_id:", 7))
			found = buf;
	fclose(f);
	return found;
}

TEST(fdinfo_shows_type_id_and_state)
{
	char buf[256], want[64];
	int ev = sm_event_create(0);

	ASSERT_LE(0, ev);
	snprintf(want, sizeof(want), "%llu", (unsigned long long)object_id(ev));
	ASSERT_NE(NULL, fdinfo_line(ev, "id:", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, want));
	ASSERT_NE(NULL, fdinfo_line(ev, "type:", buf, sizeof(buf)));
	EXPECT_NE(NULL, strcasestr(buf, "event"));
	ASSERT_NE(NULL, fdinfo_line(ev, "value:", buf, sizeof(buf)));
	EXPECT_NE(NULL, strchr(buf, '0'));
	ASSERT_EQ(0, sm_event_set(ev));
	ASSERT_NE(NULL, fdinfo_line(ev, "value:", buf, sizeof(buf)));
	EXPECT_NE(NULL, strchr(buf, '1'));
	close(ev);
}

/*
 * poll(): EPOLLIN iff a wait would succeed now.  Each type starts in one
 * state; one operation flips it to the other.
 */
static int new_lock(void) { return sm_lock_create(0); }
static int new_rlock(void) { return sm_rlock_create(0); }
static int new_sem(void) { return sm_sem_create(1, 0); }
static int new_bsem(void) { return sm_bsem_create(1, 0); }
static int new_event(void) { return sm_event_create(0); }
static int new_cond(void) { return sm_cond_create(-1, 0); }
static int new_barrier(void) { return sm_barrier_create(2, 0, 0); }
static int take_lock(int fd) { return sm_lock_acquire(fd, 0); }
static int take_rlock(int fd) { return sm_rlock_acquire(fd, 0); }
static int take_unit(int fd) { return sm_sem_acquire(fd, 0); }
static int take_cond(int fd) { return sm_cond_acquire(fd, 0); }

static const struct poll_case {
	const char *name;
	int (*create)(void);
	bool ready;		/* at creation */
	int (*flip)(int fd);
} poll_cases[] = {
	{ "lock", new_lock, true, take_lock },
	{ "rlock", new_rlock, true, take_rlock },
	{ "semaphore", new_sem, true, take_unit },
	{ "bounded semaphore", new_bsem, true, take_unit },
	{ "event", new_event, false, sm_event_set },
	{ "condition", new_cond, true, take_cond },
	{ "barrier", new_barrier, false, sm_barrier_abort },
};

static bool readable(int fd)
{
	return poll_one(fd, POLLIN, 0) & POLLIN;
}

TEST(poll_readiness_of_every_type)
{
	for (size_t i = 0; i < ARRAY_SIZE(poll_cases); i++) {
		const struct poll_case *pc = &poll_cases[i];
		int fd = pc->create();
		int64_t start;

		ASSERT_LE(0, fd) {
			TH_LOG("%s", pc->name);
		}
		EXPECT_EQ(pc->ready, readable(fd)) {
			TH_LOG("%s at creation", pc->name);
		}
		ASSERT_EQ(0, pc->flip(fd));
		EXPECT_EQ(!pc->ready, readable(fd)) {
			TH_LOG("%s after the change", pc->name);
		}
		/* A ready fd never blocks a poll with a long timeout. */
		start = now_ns();
		if (readable(fd))
			EXPECT_LT(0, poll_one(fd, POLLIN, 10 * WAKE_MS));
		EXPECT_GT(WAKE_MS, elapsed_ms(start));
		close(fd);
	}
}

TEST(blocked_poll_wakes_when_a_barrier_breaks)
{
	int b = sm_barrier_create(2, 0, 0);

	ASSERT_LE(0, b);
	expect_poll_wakes(_metadata, b, sm_barrier_abort);
	close(b);
}

TEST(create_and_close_10000_objects)
{
	for (int i = 0; i < stress_rounds(10000); i++) {
		int fd = sm_event_create(0);

		ASSERT_LE(0, fd) {
			TH_LOG("object %d", i);
		}
		close(fd);
	}
}

/*
 * The per-user object limit, lowered to QUOTA for the test and restored in
 * every path by the teardown.  Needs a writable parameter (root).
 */
#define QUOTA		50
#define FILL_MAX	(4 * QUOTA)	/* bound on the fill loop */

FIXTURE(quota) {
	char saved[32];
	bool lowered;
	int fds[FILL_MAX];
	int nfds;
};

FIXTURE_SETUP(quota)
{
	ASSERT_EQ(0, read_param(MAX_OBJECTS_PARAM, self->saved,
				sizeof(self->saved)));
	if (write_param(MAX_OBJECTS_PARAM, "50\n"))
		SKIP(return, "%s is not writable", MAX_OBJECTS_PARAM);
	self->lowered = true;
}

static void empty(FIXTURE_DATA(quota) *self)
{
	while (self->nfds > 0)
		close(self->fds[--self->nfds]);
}

FIXTURE_TEARDOWN(quota)
{
	empty(self);
	if (self->lowered)
		EXPECT_EQ(0, write_param(MAX_OBJECTS_PARAM, self->saved));
}

/* Creates events until one fails; returns that failure. */
static int fill(FIXTURE_DATA(quota) *self)
{
	while (self->nfds < FILL_MAX) {
		int fd = sm_event_create(0);

		if (fd < 0)
			return fd;
		self->fds[self->nfds++] = fd;
	}
	return 0;
}

TEST_F(quota, edquot_at_the_limit_and_closing_frees_one)
{
	int n;

	if (!self->lowered)
		return;		/* 6.1 harness: SKIP in setup runs the body */
	ASSERT_EQ(-EDQUOT, fill(self));
	n = self->nfds;
	EXPECT_LT(0, n);
	EXPECT_GE(QUOTA, n);
	/* Closing one allows exactly one more. */
	close(self->fds[--self->nfds]);
	EXPECT_EQ(-EDQUOT, fill(self));
	EXPECT_EQ(n, self->nfds);
	/* Closing all gives the whole allowance back. */
	empty(self);
	EXPECT_EQ(-EDQUOT, fill(self));
	EXPECT_EQ(n, self->nfds);
}

struct filler {
	int count;
};

static int fill_and_exit(void *arg)
{
	struct filler *f = arg;
	int r;

	for (f->count = 0; f->count < FILL_MAX; f->count++) {
		r = sm_event_create(0);
		if (r < 0)
			return r;
	}
	return 0;
}

TEST_F(quota, objects_of_an_exited_child_are_freed)
{
	struct filler *f = shared_mem(sizeof(*f));
	int *res = shared_mem(sizeof(*res));
	pid_t pid;

	if (!self->lowered)
		return;
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, res);
	pid = spawn(fill_and_exit, f, res);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(-EDQUOT, *res);
	EXPECT_LT(0, f->count);
	ASSERT_EQ(-EDQUOT, fill(self));
	EXPECT_EQ(f->count, self->nfds);
}

/*
 * A process in a user namespace of its own, its uids mapped to a range
 * the creator does not otherwise use, still counts against the creator:
 * the quota is not multiplied by the 65536 uids of a subordinate range.
 */
struct ns_fill {
	struct filler fill;
	int err;
};

TEST_F(quota, a_user_namespace_counts_against_its_creator)
{
	struct ns_fill *f = shared_mem(sizeof(*f));
	int go[2], ready[2], status;
	char path[64], map[64], c;
	pid_t pid;
	int fd;

	if (!self->lowered)
		return;
	ASSERT_NE(NULL, f);
	/* Half the quota here, in the creator's own namespace. */
	for (int i = 0; i < QUOTA / 2; i++) {
		fd = sm_event_create(0);
		ASSERT_LE(0, fd);
		self->fds[self->nfds++] = fd;
	}
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWUSER)) {
			f->err = errno;
			_exit(2);
		}
		c = 'u';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		/* Uid 0 of the namespace is 100000 outside; then 1 (100001). */
		if (setresuid(0, 0, 0)) {
			f->err = errno;
			_exit(4);
		}
		f->err = fill_and_exit(&f->fill);
		if (setresuid(1, 1, 1))
			_exit(5);
		_exit(sm_event_create(0) == -EDQUOT ? 0 : 6);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		SKIP(return, "no user namespace: %s", strerror(f->err));
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	snprintf(map, sizeof(map), "0 100000 65536\n");
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(map), write(fd, map, strlen(map)));
	close(fd);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child err %d, made %d", f->err, f->fill.count);
	}
	EXPECT_EQ(-EDQUOT, f->err);
	/* The creator had QUOTA / 2 (and the fixture's nothing else). */
	EXPECT_GE(QUOTA - QUOTA / 2, f->fill.count);
	EXPECT_LT(0, f->fill.count);
	close(go[1]);
	close(ready[0]);
}

/* Out-of-range module parameters are refused and leave the value. */
TEST(module_parameters_are_bounded)
{
	static const struct {
		const char *name, *bad;
	} cases[] = {
		{ "max_value_size", "2147483648\n" },
		{ "max_value_size", "4294967295\n" },
		{ "max_bytes_per_user", "9223372036854775808\n" },
		{ "max_list_len", "2147483648\n" },
		{ "max_objects_per_user", "4294967295\n" },
	};
	char path[128], before[32], after[32];

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(path, sizeof(path), "/sys/module/syncmgr/parameters/%s",
			 cases[i].name);
		ASSERT_EQ(0, read_param(path, before, sizeof(before)));
		EXPECT_NE(0, write_param(path, cases[i].bad)) {
			TH_LOG("%s accepted %s", cases[i].name, cases[i].bad);
			write_param(path, before);
		}
		ASSERT_EQ(0, read_param(path, after, sizeof(after)));
		EXPECT_STREQ(before, after);
	}
}

/* ------------------------------------------------------------ tokens */

/*
 * A process that never had a handle (forked before the object existed)
 * opens the object by its token, read from a pipe, and uses it.
 */
TEST(token_opens_the_same_object_in_a_stranger)
{
	uint64_t *id = shared_mem(sizeof(*id));
	uint8_t tok[16];
	int p[2], ev, status;
	pid_t pid;

	ASSERT_NE(NULL, id);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct syncmgr_state st;
		int h;

		close(p[1]);
		if (read(p[0], tok, sizeof(tok)) != sizeof(tok))
			_exit(2);
		h = sm_open_token(tok, 0);
		if (h < 0 || sm_state(h, &st) || sm_event_set(h))
			_exit(3);
		*id = st.id;
		_exit(0);
	}
	close(p[0]);
	ev = sm_event_create(0);
	ASSERT_LE(0, ev);
	ASSERT_EQ(0, sm_token(ev, tok));
	ASSERT_EQ((ssize_t)sizeof(tok), write(p[1], tok, sizeof(tok)));
	close(p[1]);
	status = wait_child(pid, WAKE_MS);
	ASSERT_EQ(0, status);
	EXPECT_EQ(1, sm_event_is_set(ev));
	EXPECT_EQ(object_id(ev), *id);
	close(ev);
}

TEST(token_is_one_per_object)
{
	uint8_t a[16], b[16], c[16], zero[16] = { 0 };
	int x = sm_lock_create(0), y = sm_lock_create(0), dup_x;

	ASSERT_LE(0, x);
	ASSERT_LE(0, y);
	dup_x = dup(x);
	ASSERT_EQ(0, sm_token(x, a));
	ASSERT_EQ(0, sm_token(dup_x, b));
	ASSERT_EQ(0, sm_token(y, c));
	EXPECT_EQ(0, memcmp(a, b, sizeof(a)));	/* the same object */
	EXPECT_NE(0, memcmp(a, c, sizeof(a)));
	EXPECT_NE(0, memcmp(a, zero, sizeof(a)));
	a[15] ^= 1;				/* a name nobody was given */
	EXPECT_EQ(-ENOENT, sm_open_token(a, 0));
	close(dup_x);
	close(x);
	close(y);
}

/* A token does not keep its object: gone with the last handle. */
TEST(token_dies_with_its_object)
{
	int sem = sm_sem_create(3, 0), h;
	uint8_t tok[16];

	ASSERT_LE(0, sem);
	ASSERT_EQ(0, sm_token(sem, tok));
	h = sm_open_token(tok, 0);
	ASSERT_LE(0, h);
	EXPECT_EQ(object_id(sem), object_id(h));
	EXPECT_EQ(FD_CLOEXEC, fcntl(h, F_GETFD) & FD_CLOEXEC);
	close(h);
	h = sm_open_token(tok, SM_NO_CLOEXEC);
	ASSERT_LE(0, h);
	EXPECT_EQ(0, fcntl(h, F_GETFD) & FD_CLOEXEC);
	close(h);
	close(sem);
	EXPECT_EQ(-ENOENT, sm_open_token(tok, 0));
}

/* Only the creating user opens by token (the guest runs as root). */
TEST(token_refuses_another_user)
{
	int lock = sm_lock_create(0), status;
	uint8_t tok[16];
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, sm_token(lock, tok));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(sm_open_token(tok, 0) == -EPERM ? 0 : 1);
	}
	status = wait_child(pid, WAKE_MS);
	EXPECT_EQ(0, status);
	close(lock);
}

TEST(token_rejects_bad_arguments)
{
	struct syncmgr_token t;
	int dev = dev_open(), ev = sm_event_create(0);

	ASSERT_LE(0, dev);
	ASSERT_LE(0, ev);
	memset(&t, 0, sizeof(t));
	ASSERT_EQ(0, ioctl_err(ev, SYNCMGR_IOC_TOKEN, &t));
	EXPECT_EQ(0U, t.flags);
	EXPECT_EQ(0U, t.reserved);
	t.reserved = 1;
	EXPECT_EQ(-EINVAL, ioctl_err(dev, SYNCMGR_IOC_OPEN, &t));
	t.reserved = 0;
	t.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, ioctl_err(dev, SYNCMGR_IOC_OPEN, &t));
	EXPECT_EQ(-EFAULT, ioctl_err(dev, SYNCMGR_IOC_OPEN, BAD_PTR));
	EXPECT_EQ(-EFAULT, ioctl_err(ev, SYNCMGR_IOC_TOKEN, BAD_PTR));
	EXPECT_EQ(-ENOTTY, ioctl_err(dev, SYNCMGR_IOC_TOKEN, &t));
	close(ev);
	close(dev);
}

TEST_HARNESS_MAIN
