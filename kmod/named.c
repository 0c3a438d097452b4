// SPDX-License-Identifier: GPL-2.0
/*
 * Named objects: NAMED_OPEN creates or opens an object by name, NAMED_UNLINK
 * removes a name, as sem_open() and sem_unlink() do.  A name keeps its
 * object alive until unlinked; handles keep it alive after that.
 *
 * Names live per IPC namespace.  A module cannot hold a reference to an
 * IPC namespace on every kernel built for (put_ipc_ns() is not exported
 * on 6.1), so a namespace is known here by the superblock of its mqueue
 * mount, which this file pins (mntget) for as long as it has names in
 * it: a pinned superblock is never reused, so a new namespace can never
 * see an old one's names, and the kernel clears its s_fs_info when the
 * namespace goes, which tells this file to drop that namespace's names
 * (at the next named call, or at module unload).
 *
 * Lock order: syncmgr_names_mutex is outermost; under it objects are made
 * and put (which takes their own locks), never the other way round.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/uaccess.h>

#include "core.h"

/* One IPC namespace that has names. */
struct syncmgr_domain {
	struct list_head node;		/* in syncmgr_domains */
	struct vfsmount *mnt;		/* its mqueue mount, pinned */
	struct super_block *sb;		/* what identifies it */
	u32 nr_names;
};

struct syncmgr_name {
	struct hlist_node node;		/* in syncmgr_names */
	struct syncmgr_domain *dom;
	struct syncmgr_obj *obj;	/* a reference */
	struct syncmgr_user *user;	/* charged for this entry */
	size_t cost;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	u32 hash;
	u32 len;
	char name[];
};

/* protected by syncmgr_names_mutex */
static DEFINE_MUTEX(syncmgr_names_mutex);
static DEFINE_HASHTABLE(syncmgr_names, 8);
static LIST_HEAD(syncmgr_domains);

static bool syncmgr_domain_dead(struct syncmgr_domain *dom)
{
	/* mq_clear_sbinfo() clears it when the namespace goes. */
	return !READ_ONCE(dom->sb->s_fs_info);
}

static void syncmgr_name_free(struct syncmgr_name *n)
{
	lockdep_assert_held(&syncmgr_names_mutex);
	hash_del(&n->node);
	syncmgr_obj_put(n->obj);
	syncmgr_user_uncharge_bytes(n->user, n->cost);
	syncmgr_user_put(n->user);
	if (!--n->dom->nr_names) {
		list_del(&n->dom->node);
		mntput(n->dom->mnt);
		kfree(n->dom);
	}
	kfree(n);
}

/* Drop the names of namespaces that have gone (all with all). */
static void syncmgr_names_sweep(bool all)
{
	struct syncmgr_domain *dom;
	struct syncmgr_name *n;
	struct hlist_node *tmp;
	bool any = all;
	int bkt;

	lockdep_assert_held(&syncmgr_names_mutex);
	/* Usually none has gone: a look at each namespace, not each name. */
	list_for_each_entry(dom, &syncmgr_domains, node)
		any = any || syncmgr_domain_dead(dom);
	if (!any)
		return;
	/* n->dom lives while n does; freeing its last name frees it. */
	hash_for_each_safe(syncmgr_names, bkt, tmp, n, node)
		if (all || syncmgr_domain_dead(n->dom))
			syncmgr_name_free(n);
}

/* The caller's namespace's superblock (the key of its domain). */
static struct super_block *syncmgr_current_sb(void)
{
	return current->nsproxy->ipc_ns->mq_mnt->mnt_sb;
}

static struct syncmgr_domain *syncmgr_domain_find(struct super_block *sb)
{
	struct syncmgr_domain *dom;

	list_for_each_entry(dom, &syncmgr_domains, node)
		if (dom->sb == sb)
			return dom;
	return NULL;
}

static struct syncmgr_name *syncmgr_name_find(struct super_block *sb,
					      const char *name, u32 len,
					      u32 hash)
{
	struct syncmgr_name *n;

	hash_for_each_possible(syncmgr_names, n, node, hash)
		if (n->dom->sb == sb && n->len == len &&
		    !memcmp(n->name, name, len))
			return n;
	return NULL;
}

/* As a file's permission: owner, group, other; CAP_IPC_OWNER overrides. */
static int syncmgr_name_permission(const struct syncmgr_name *n, u32 flags)
{
	umode_t mode = n->mode;
	umode_t want = 0;

	if (flags & SYNCMGR_NAMED_READ)
		want |= 4;
	if (flags & SYNCMGR_NAMED_WRITE)
		want |= 2;
	if (uid_eq(current_fsuid(), n->uid))
		mode >>= 6;
	else if (in_group_p(n->gid))
		mode >>= 3;
	if (!(want & ~mode & 7))
		return 0;
	if (ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* Unlink: the owner, or CAP_IPC_OWNER (as a sticky directory). */
static int syncmgr_name_may_unlink(const struct syncmgr_name *n)
{
	if (uid_eq(current_fsuid(), n->uid) ||
	    ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

struct syncmgr_named_req {
	struct syncmgr_named a;
	struct syncmgr_create create;
	char name[SYNCMGR_NAME_MAX];
	u32 hash;
};

/* Copy the argument, the name and the creation arguments in, once. */
static int syncmgr_named_in(void __user *argp, struct syncmgr_named_req *r,
			    bool open)
{
	u32 allowed = SYNCMGR_NAMED_CREAT | SYNCMGR_NAMED_EXCL |
		      SYNCMGR_NAMED_READ | SYNCMGR_NAMED_WRITE |
		      SYNCMGR_CREATE_NO_CLOEXEC;
	struct syncmgr_named *a = &r->a;
	size_t len;

	if (copy_from_user(a, argp, sizeof(*a)))
		return -EFAULT;
	if (a->reserved || a->type > SYNCMGR_TYPE_LAST)
		return -EINVAL;
	if (!a->name_len || a->name_len > SYNCMGR_NAME_MAX)
		return -EINVAL;
	if (open) {
		if (a->flags & ~allowed ||
		    !(a->flags & (SYNCMGR_NAMED_READ | SYNCMGR_NAMED_WRITE)))
			return -EINVAL;
		if ((a->flags & SYNCMGR_NAMED_EXCL) &&
		    !(a->flags & SYNCMGR_NAMED_CREAT))
			return -EINVAL;
		if (a->flags & SYNCMGR_NAMED_CREAT ? a->mode & ~0777 || !a->create :
		    a->mode || a->create)
			return -EINVAL;
	} else if (a->flags || a->mode || a->create) {
		return -EINVAL;
	}
	len = a->name_len;
	/* Bounded above; said again for the compiler's copy check. */
	if (len > sizeof(r->name))
		return -EINVAL;
	if (copy_from_user(r->name, u64_to_user_ptr(a->name), len))
		return -EFAULT;
	if (memchr(r->name, '\0', len) || memchr(r->name, '/', len))
		return -EINVAL;
	r->hash = full_name_hash(NULL, r->name, len);
	if (!(a->flags & SYNCMGR_NAMED_CREAT))
		return 0;
	if (copy_from_user(&r->create, u64_to_user_ptr(a->create),
			   sizeof(r->create)))
		return -EFAULT;
	if (r->create.flags & SYNCMGR_CREATE_NO_CLOEXEC ||
	    (a->type && r->create.type != a->type) ||
	    !syncmgr_create_args_valid(&r->create))
		return -EINVAL;
	return 0;
}

/* Under the mutex: a new object and its name in the caller's namespace. */
static struct syncmgr_name *syncmgr_name_create(struct syncmgr_named_req *r)
{
	struct super_block *sb = syncmgr_current_sb();
	struct syncmgr_domain *dom = syncmgr_domain_find(sb), *fresh = NULL;
	struct syncmgr_name *n;
	size_t size = struct_size(n, name, r->a.name_len);
	int ret;

	n = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!n)
		return ERR_PTR(-ENOMEM);
	n->cost = syncmgr_mem_size(size);
	n->user = syncmgr_user_current();
	if (IS_ERR(n->user)) {
		ret = PTR_ERR(n->user);
		goto free;
	}
	ret = syncmgr_user_charge_values(n->user, n->cost);
	if (ret)
		goto put_user;
	if (!dom) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		ret = -ENOMEM;
		if (!fresh)
			goto uncharge;
		fresh->mnt = mntget(current->nsproxy->ipc_ns->mq_mnt);
		fresh->sb = sb;
		dom = fresh;
	}
	n->obj = syncmgr_obj_new(&r->create);
	if (IS_ERR(n->obj)) {
		ret = PTR_ERR(n->obj);
		goto free_dom;
	}
	if (fresh)
		list_add(&fresh->node, &syncmgr_domains);
	dom->nr_names++;
	n->dom = dom;
	n->uid = current_fsuid();
	n->gid = current_fsgid();
	n->mode = r->a.mode & ~current_umask() & 0777;
	n->hash = r->hash;
	n->len = r->a.name_len;
	memcpy(n->name, r->name, n->len);
	hash_add(syncmgr_names, &n->node, n->hash);
	return n;
free_dom:
	if (fresh) {
		mntput(fresh->mnt);
		kfree(fresh);
	}
uncharge:
	syncmgr_user_uncharge_bytes(n->user, n->cost);
put_user:
	syncmgr_user_put(n->user);
free:
	kfree(n);
	return ERR_PTR(ret);
}

/*
 * Read the request at argp (open: with its create part) and look its name
 * up in the caller's IPC namespace: *n, or NULL.  On success the names
 * mutex is held and the caller frees the request.
 */
static struct syncmgr_named_req *syncmgr_named_begin(void __user *argp,
						     bool open,
						     struct syncmgr_name **n)
{
	struct syncmgr_named_req *r = kmalloc(sizeof(*r), GFP_KERNEL);
	int ret;

	if (!r)
		return ERR_PTR(-ENOMEM);
	ret = syncmgr_named_in(argp, r, open);
	if (ret) {
		kfree(r);
		return ERR_PTR(ret);
	}
	mutex_lock(&syncmgr_names_mutex);
	syncmgr_names_sweep(false);
	*n = syncmgr_name_find(syncmgr_current_sb(), r->name, r->a.name_len,
			       r->hash);
	return r;
}

long syncmgr_ioctl_named_open(void __user *argp)
{
	struct syncmgr_named_req *r;
	struct syncmgr_name *n;
	struct syncmgr_obj *obj;
	bool write;
	int ret, fd_flags;

	r = syncmgr_named_begin(argp, true, &n);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (n) {
		if (r->a.flags & SYNCMGR_NAMED_EXCL)
			ret = -EEXIST;
		else if (r->a.type && n->obj->type != r->a.type)
			ret = -EBADFD;
		else if ((r->a.flags & SYNCMGR_NAMED_CREAT) &&
			 n->obj->type != r->create.type)
			ret = -EBADFD;
		else
			ret = syncmgr_name_permission(n, r->a.flags);
	} else if (r->a.flags & SYNCMGR_NAMED_CREAT) {
		n = syncmgr_name_create(r);
		ret = PTR_ERR_OR_ZERO(n);
	} else {
		ret = -ENOENT;
	}
	if (!ret) {
		obj = n->obj;
		refcount_inc(&obj->ref);
	}
	mutex_unlock(&syncmgr_names_mutex);
	if (ret)
		goto out;
	write = r->a.flags & SYNCMGR_NAMED_WRITE;
	fd_flags = r->a.flags & SYNCMGR_CREATE_NO_CLOEXEC ? 0 : O_CLOEXEC;
	ret = syncmgr_obj_install_mode(obj, fd_flags, write ? O_RDWR : O_RDONLY);
out:
	kfree(r);
	return ret;
}

long syncmgr_ioctl_named_unlink(void __user *argp)
{
	struct syncmgr_named_req *r;
	struct syncmgr_name *n;
	int ret;

	r = syncmgr_named_begin(argp, false, &n);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (!n)
		ret = -ENOENT;
	else if (r->a.type && n->obj->type != r->a.type)
		ret = -EBADFD;
	else
		ret = syncmgr_name_may_unlink(n);
	if (!ret)
		syncmgr_name_free(n);
	mutex_unlock(&syncmgr_names_mutex);
	kfree(r);
	return ret;
}

/* Module unload: every name goes, and with it what only it kept alive. */
void syncmgr_names_exit(void)
{
	mutex_lock(&syncmgr_names_mutex);
	syncmgr_names_sweep(true);
	mutex_unlock(&syncmgr_names_mutex);
}

/*
 * What a handle opened for READ only may do: observe and wait.  Every
 * other object command needs WRITE (EBADF, as write() on an O_RDONLY fd).
 */
bool syncmgr_cmd_reads(struct syncmgr_obj *obj, unsigned int cmd)
{
	switch (cmd) {
	case SYNCMGR_IOC_STATE:
	case SYNCMGR_IOC_TOKEN:
	case SYNCMGR_IOC_LOAD:
	case SYNCMGR_IOC_SCALAR_LOAD:
	case SYNCMGR_IOC_LEN:
	case SYNCMGR_IOC_LOOKUP:
	case SYNCMGR_IOC_CONTAINS:
	case SYNCMGR_IOC_ITER:
	case SYNCMGR_IOC_INDEX:
	case SYNCMGR_IOC_COUNT:
	case SYNCMGR_IOC_JOIN:
		return true;
	case SYNCMGR_IOC_WAIT:
		return obj->type == SYNCMGR_TYPE_EVENT;
	}
	return false;
}
