// SPDX-License-Identifier: GPL-2.0
/*
 * Named objects: create-or-open by name, exclusive creation racing between
 * processes, the kind check, unlink while open and reopen after unlink,
 * the permission matrix as unprivileged users, read-only handles, and
 * names per IPC namespace.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>

#include "common.h"

#define NAME	"syncmgr-test"

static uint64_t id_of(int h)
{
	struct syncmgr_state st;

	return sm_state(h, &st) ? 0 : st.id;
}

static int sem_named(const char *name, unsigned int flags, unsigned int mode,
		     unsigned int value)
{
	struct syncmgr_create c = { .type = SYNCMGR_TYPE_SEMAPHORE,
				    .value = value };

	return sm_named_open(name, SYNCMGR_TYPE_SEMAPHORE, flags, mode, &c);
}

TEST(create_open_kind_unlink_reopen)
{
	int a, b, c;
	uint64_t id;

	sm_named_unlink(NAME, 0);
	EXPECT_EQ(-ENOENT, sem_named(NAME, SM_RDWR, 0, 0));
	a = sem_named(NAME, SM_CREAT | SM_EXCL | SM_RDWR, 0600, 2);
	ASSERT_LE(0, a);
	id = id_of(a);
	EXPECT_EQ(-EEXIST, sem_named(NAME, SM_CREAT | SM_EXCL | SM_RDWR,
				     0600, 0));
	/* CREAT without EXCL opens what is there, its count unchanged. */
	b = sem_named(NAME, SM_CREAT | SM_RDWR, 0600, 9);
	ASSERT_LE(0, b);
	EXPECT_EQ(id, id_of(b));
	EXPECT_EQ(2, sm_sem_value(b));
	close(b);
	/* The kind check: a Queue by a Semaphore's name fails clearly. */
	EXPECT_EQ(-EBADFD, sm_named_open(NAME, SYNCMGR_TYPE_QUEUE, SM_RDWR, 0,
					 NULL));
	EXPECT_EQ(-EBADFD, sm_named_open(NAME, SYNCMGR_TYPE_LOCK,
					 SM_CREAT | SM_RDWR, 0600, NULL));
	EXPECT_EQ(-EBADFD, sm_named_unlink(NAME, SYNCMGR_TYPE_LOCK));
	/* Any kind: type 0. */
	b = sm_named_open(NAME, 0, SM_RDWR, 0, NULL);
	ASSERT_LE(0, b);
	EXPECT_EQ(id, id_of(b));
	close(b);
	/* The name keeps the object alive with no handle. */
	ASSERT_EQ(0, sm_sem_acquire(a, 0));
	close(a);
	a = sem_named(NAME, SM_RDWR, 0, 0);
	ASSERT_LE(0, a);
	EXPECT_EQ(id, id_of(a));
	EXPECT_EQ(1, sm_sem_value(a));

	/* Unlink while open: the handle still works, the name is gone. */
	EXPECT_EQ(0, sm_named_unlink(NAME, SYNCMGR_TYPE_SEMAPHORE));
	EXPECT_EQ(-ENOENT, sm_named_unlink(NAME, 0));
	EXPECT_EQ(-ENOENT, sem_named(NAME, SM_RDWR, 0, 0));
	EXPECT_EQ(0, sm_sem_acquire(a, 0));
	EXPECT_EQ(0, sm_sem_release(a, 3));
	EXPECT_EQ(3, sm_sem_value(a));
	/* Reopen after unlink: a new object under the old name. */
	c = sem_named(NAME, SM_CREAT | SM_EXCL | SM_RDWR, 0600, 0);
	ASSERT_LE(0, c);
	EXPECT_NE(id, id_of(c));
	EXPECT_EQ(0, sm_sem_value(c));
	EXPECT_EQ(3, sm_sem_value(a));
	EXPECT_EQ(0, sm_named_unlink(NAME, 0));
	close(a);
	close(c);
}

TEST(across_unrelated_processes)
{
	int *res = shared_mem(2 * sizeof(int));
	int q, pid;

	ASSERT_NE(NULL, res);
	sm_named_unlink(NAME "-q", 0);
	q = sm_named_open(NAME "-q", SYNCMGR_TYPE_QUEUE,
			  SM_CREAT | SM_EXCL | SM_RDWR, 0600, NULL);
	ASSERT_LE(0, q);
	pid = fork();
	if (!pid) {
		/* Close everything inherited: it reaches the queue by name. */
		struct sm_value v = sm_int(42);
		int h;

		close(q);
		h = sm_named_open(NAME "-q", SYNCMGR_TYPE_QUEUE, SM_RDWR, 0,
				  NULL);
		_exit(h < 0 || sm_queue_put(h, &v, 0) ? 1 : 0);
	}
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(1, sm_queue_qsize(q));
	EXPECT_EQ(0, sm_named_unlink(NAME "-q", SYNCMGR_TYPE_QUEUE));
	close(q);
}

TEST(bad_arguments_refused)
{
	struct syncmgr_create c = { .type = SYNCMGR_TYPE_LOCK };
	struct syncmgr_named a;
	char long_name[SM_NAME_MAX + 2];
	int dev = dev_open();

	ASSERT_LE(0, dev);
	memset(long_name, 'x', sizeof(long_name));
	long_name[SM_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, sm_named_open(long_name, 0, SM_RDWR, 0, NULL));
	long_name[SM_NAME_MAX] = '\0';
	EXPECT_EQ(-ENOENT, sm_named_open(long_name, 0, SM_RDWR, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open("", 0, SM_RDWR, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open("a/b", 0, SM_RDWR, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open(NAME, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open(NAME, 0, SM_RDWR | SM_EXCL, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open(NAME, 0, SM_RDWR | 1 << 20, 0, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open(NAME, SYNCMGR_TYPE_LOCK,
					 SM_CREAT | SM_RDWR, 01777, NULL));
	EXPECT_EQ(-EINVAL, sm_named_open(NAME, SYNCMGR_TYPE_QUEUE,
					 SM_CREAT | SM_RDWR, 0600, &c));
	EXPECT_EQ(-EINVAL, sm_named_open(NAME, 99, SM_CREAT | SM_RDWR, 0600,
					 NULL));

	memset(&a, 0, sizeof(a));
	a.name = (uintptr_t)"n\0x";
	a.name_len = 3;
	a.flags = SM_RDWR;
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_NAMED_OPEN, &a));
	EXPECT_EQ(EINVAL, errno);
	a.name_len = 1;
	a.reserved = 1;
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_NAMED_OPEN, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved = 0;
	a.name = 8;
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_NAMED_OPEN, &a));
	EXPECT_EQ(EFAULT, errno);
	a.name = (uintptr_t)"n";
	a.flags = SM_RDWR | SM_CREAT;
	a.create = 8;
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_NAMED_OPEN, &a));
	EXPECT_EQ(EFAULT, errno);
	a.create = 0;
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_NAMED_OPEN, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = SM_RDWR;
	EXPECT_EQ(-1, ioctl(dev, SYNCMGR_IOC_NAMED_UNLINK, &a));
	EXPECT_EQ(EINVAL, errno);	/* unlink takes no flags */
	/* Nothing was created by any of these. */
	EXPECT_EQ(-ENOENT, sm_named_open("n", 0, SM_RDWR, 0, NULL));
	EXPECT_EQ(-ENOENT, sm_named_open(NAME, 0, SM_RDWR, 0, NULL));
	close(dev);
}

/* Exclusive creation: of many processes racing, exactly one wins. */
#define RACERS	6
#define RACE_ROUNDS	50

struct race {
	int go;
	int won[RACE_ROUNDS];
	int lost[RACE_ROUNDS];
	int other[RACE_ROUNDS];
};

static int racer(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RACE_ROUNDS; i++) {
		char name[32];
		int h;

		while (__atomic_load_n(&r->go, __ATOMIC_SEQ_CST) <= i)
			;
		snprintf(name, sizeof(name), NAME "-race-%d", i);
		h = sem_named(name, SM_CREAT | SM_EXCL | SM_RDWR, 0600, 0);
		if (h >= 0) {
			__atomic_add_fetch(&r->won[i], 1, __ATOMIC_SEQ_CST);
			close(h);
		} else if (h == -EEXIST) {
			__atomic_add_fetch(&r->lost[i], 1, __ATOMIC_SEQ_CST);
		} else {
			__atomic_add_fetch(&r->other[i], 1, __ATOMIC_SEQ_CST);
		}
	}
	return 0;
}

TEST(exclusive_create_race)
{
	struct race *r = shared_mem(sizeof(*r));
	pid_t pid[RACERS];
	int res[RACERS];

	ASSERT_NE(NULL, r);
	for (int k = 0; k < RACERS; k++) {
		pid[k] = spawn(racer, r, NULL);
		ASSERT_LT(0, pid[k]);
	}
	for (int i = 0; i < RACE_ROUNDS; i++) {
		int64_t end = now_ns() + WAKE_MS * MS;

		__atomic_store_n(&r->go, i + 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&r->won[i], __ATOMIC_SEQ_CST) +
		       __atomic_load_n(&r->lost[i], __ATOMIC_SEQ_CST) +
		       __atomic_load_n(&r->other[i], __ATOMIC_SEQ_CST) < RACERS &&
		       now_ns() < end)
			sleep_ms(1);
	}
	for (int k = 0; k < RACERS; k++)
		res[k] = wait_child(pid[k], WAKE_MS);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		char name[32];

		EXPECT_EQ(1, r->won[i]);
		EXPECT_EQ(RACERS - 1, r->lost[i]);
		EXPECT_EQ(0, r->other[i]);
		snprintf(name, sizeof(name), NAME "-race-%d", i);
		EXPECT_EQ(0, sm_named_unlink(name, SYNCMGR_TYPE_SEMAPHORE));
	}
	for (int k = 0; k < RACERS; k++)
		EXPECT_EQ(0, res[k]);
}

/* Become uid/gid (no supplementary groups, no capabilities). */
static int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

#define OWNER_UID	1001
#define GROUP_GID	1001

/* Created by OWNER_UID:GROUP_GID with mode, as an unprivileged user. */
static int create_as_owner(const char *name, unsigned int mode)
{
	pid_t pid = fork();

	if (!pid) {
		int h;

		umask(0);
		if (become(OWNER_UID, GROUP_GID))
			_exit(2);
		h = sm_named_open(name, SYNCMGR_TYPE_EVENT,
				  SM_CREAT | SM_EXCL | SM_RDWR, mode, NULL);
		_exit(h < 0 ? 3 : 0);
	}
	return wait_child(pid, WAKE_MS);
}

/* What uid:gid gets opening name with flags: 0 or -errno. */
static int open_as(uid_t uid, gid_t gid, const char *name, unsigned int flags)
{
	int *res = shared_mem(sizeof(int));
	pid_t pid = fork();
	int r;

	if (!pid) {
		int h;

		if (become(uid, gid))
			_exit(2);
		h = sm_named_open(name, SYNCMGR_TYPE_EVENT, flags, 0, NULL);
		*res = h < 0 ? h : 0;
		_exit(0);
	}
	r = wait_child(pid, WAKE_MS);
	r = r ? -1000 - r : *res;
	munmap(res, sizeof(int));
	return r;
}

TEST(permission_matrix_unprivileged)
{
	static const unsigned int modes[] = { 0000, 0400, 0200, 0600, 0040,
					      0020, 0060, 0004, 0002, 0006,
					      0640, 0604, 0466, 0777 };
	/* who: owner, a member of the group, another user */
	static const struct { uid_t uid; gid_t gid; int shift; } who[] = {
		{ OWNER_UID, GROUP_GID, 6 },
		{ 1002, GROUP_GID, 3 },
		{ 1003, 1003, 0 },
	};

	if (getuid() != 0)
		SKIP(return, "needs root to change uid");
	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		sm_named_unlink(NAME "-perm", 0);
		ASSERT_EQ(0, create_as_owner(NAME "-perm", modes[m]));
		for (unsigned int w = 0; w < 3; w++) {
			unsigned int bits = modes[m] >> who[w].shift & 7;
			int r = open_as(who[w].uid, who[w].gid, NAME "-perm",
					SM_READ);
			int wr = open_as(who[w].uid, who[w].gid, NAME "-perm",
					 SM_WRITE);
			int rw = open_as(who[w].uid, who[w].gid, NAME "-perm",
					 SM_RDWR);

			EXPECT_EQ(bits & 4 ? 0 : -EACCES, r) {
				TH_LOG("mode %03o who %u read", modes[m], w);
			}
			EXPECT_EQ(bits & 2 ? 0 : -EACCES, wr) {
				TH_LOG("mode %03o who %u write", modes[m], w);
			}
			EXPECT_EQ((bits & 6) == 6 ? 0 : -EACCES, rw) {
				TH_LOG("mode %03o who %u rdwr", modes[m], w);
			}
		}
		/* Root (CAP_IPC_OWNER) overrides; only the owner unlinks. */
		EXPECT_EQ(0, open_as(0, 0, NAME "-perm", SM_RDWR));
		EXPECT_EQ(-ENOENT, open_as(1003, 1003, NAME "-nope", SM_READ));
	}
	/* Unlink: another user may not, the owner may. */
	do {
		pid_t pid = fork();

		if (!pid)
			_exit(become(1003, 1003) ? 2 :
			      sm_named_unlink(NAME "-perm", 0) == -EACCES ? 0 : 1);
		EXPECT_EQ(0, wait_child(pid, WAKE_MS));
		pid = fork();
		if (!pid)
			_exit(become(OWNER_UID, GROUP_GID) ? 2 :
			      sm_named_unlink(NAME "-perm", 0) ? 1 : 0);
		EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	} while (0);
	EXPECT_EQ(-ENOENT, sm_named_unlink(NAME "-perm", 0));
}

TEST(read_only_handle_observes_and_waits_only)
{
	int ev, ro, q, lock;
	struct sm_value v = sm_handle(0);
	struct sm_wait_obj o[1];

	sm_named_unlink(NAME "-ro", 0);
	ev = sm_named_open(NAME "-ro", SYNCMGR_TYPE_EVENT,
			   SM_CREAT | SM_EXCL | SM_RDWR, 0644, NULL);
	ASSERT_LE(0, ev);
	ro = sm_named_open(NAME "-ro", SYNCMGR_TYPE_EVENT, SM_READ, 0, NULL);
	ASSERT_LE(0, ro);
	EXPECT_EQ(0, sm_event_is_set(ro));
	EXPECT_EQ(-EBADF, sm_event_set(ro));
	EXPECT_EQ(-EBADF, sm_event_clear(ro));
	EXPECT_EQ(0, sm_event_is_set(ev));
	EXPECT_EQ(-ETIMEDOUT, sm_event_wait(ro, 0));
	ASSERT_EQ(0, sm_event_set(ev));
	EXPECT_EQ(0, sm_event_wait(ro, 0));
	EXPECT_EQ(1, poll_one(ro, POLLIN, 0) & POLLIN);
	/* It cannot be handed on as a full handle: not stored, not waited. */
	q = sm_queue_create(0, 0);
	v = sm_handle(ro);
	EXPECT_EQ(-EBADF, sm_queue_put(q, &v, 0));
	o[0] = (struct sm_wait_obj){ .fd = ro };
	EXPECT_EQ(-EBADF, sm_wait_any(o, 1, 0, NULL));
	/* A Lock opened read-only cannot be acquired. */
	sm_named_unlink(NAME "-rol", 0);
	lock = sm_named_open(NAME "-rol", SYNCMGR_TYPE_LOCK,
			     SM_CREAT | SM_READ, 0600, NULL);
	ASSERT_LE(0, lock);
	EXPECT_EQ(-EBADF, sm_lock_acquire(lock, 0));
	EXPECT_EQ(0, sm_lock_locked(lock));
	EXPECT_EQ(0, sm_named_unlink(NAME "-rol", 0));
	EXPECT_EQ(0, sm_named_unlink(NAME "-ro", 0));
	close(lock);
	close(q);
	close(ro);
	close(ev);
}

TEST(names_per_ipc_namespace)
{
	int *res = shared_mem(4 * sizeof(int));
	int mine, probe = sm_event_create(0);
	unsigned long before;
	pid_t pid;

	ASSERT_NE(NULL, res);
	ASSERT_LE(0, probe);
	sm_named_unlink(NAME "-ns", 0);
	mine = sem_named(NAME "-ns", SM_CREAT | SM_EXCL | SM_RDWR, 0600, 5);
	ASSERT_LE(0, mine);
	before = user_objects(probe);
	pid = fork();
	if (!pid) {
		int h;

		if (unshare(CLONE_NEWIPC))
			_exit(2);
		/* Invisible from here; the same name is free here. */
		res[0] = sem_named(NAME "-ns", SM_RDWR, 0, 0);
		h = sem_named(NAME "-ns", SM_CREAT | SM_EXCL | SM_RDWR, 0600, 1);
		res[1] = h < 0 ? h : sm_sem_value(h);
		res[2] = sm_named_unlink(NAME "-other", 0);
		/* Leaves its named object behind in its namespace. */
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid, WAKE_MS));
	EXPECT_EQ(-ENOENT, res[0]);
	EXPECT_EQ(1, res[1]);
	EXPECT_EQ(-ENOENT, res[2]);
	/* Ours is untouched. */
	EXPECT_EQ(5, sm_sem_value(mine));
	do {
		int again = sem_named(NAME "-ns", SM_RDWR, 0, 0);

		EXPECT_EQ(id_of(mine), id_of(again));
		close(again);
	} while (0);
	/*
	 * The namespace is gone with the child: the next named call drops
	 * its names, and the object only its name kept alive is freed.
	 */
	EXPECT_EQ(-ENOENT, sm_named_unlink(NAME "-nothing", 0));
	EXPECT_EQ(before, user_objects(probe));
	EXPECT_EQ(0, sm_named_unlink(NAME "-ns", 0));
	close(mine);
	close(probe);
}

TEST_HARNESS_MAIN
