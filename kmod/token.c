// SPDX-License-Identifier: GPL-2.0
/*
 * Tokens: an object's unguessable name, so that a process with no fd of it
 * (a pool worker unpickling a reference) can open it, as SyncManager's
 * authkey lets a proxy reach its object.  The table does not keep objects
 * alive: a freed object leaves it before its memory goes, and OPEN takes
 * a reference only from an object whose count is not already zero.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "core.h"

static DEFINE_HASHTABLE(syncmgr_tokens, 8);
static DEFINE_SPINLOCK(syncmgr_tokens_lock);

static void syncmgr_hold_opened(struct syncmgr_obj *obj);

static struct syncmgr_obj *syncmgr_token_find(const u64 token[2])
{
	struct syncmgr_obj *obj;

	lockdep_assert_held(&syncmgr_tokens_lock);
	hash_for_each_possible(syncmgr_tokens, obj, token_node, token[0])
		if (obj->token[0] == token[0] && obj->token[1] == token[1])
			return obj;
	return NULL;
}

/* The object's token, drawn and entered in the table on first use. */
void syncmgr_token_get(struct syncmgr_obj *obj, u64 token[2])
{
	u64 fresh[2];

	get_random_bytes(fresh, sizeof(fresh));
	spin_lock(&syncmgr_tokens_lock);
	if (!obj->token[0] && !obj->token[1]) {
		/* 2^-128 to collide; never hand out a name twice anyway. */
		while ((!fresh[0] && !fresh[1]) || syncmgr_token_find(fresh))
			fresh[0]++;
		obj->token[0] = fresh[0];
		obj->token[1] = fresh[1];
		hash_add(syncmgr_tokens, &obj->token_node, fresh[0]);
	}
	token[0] = obj->token[0];
	token[1] = obj->token[1];
	spin_unlock(&syncmgr_tokens_lock);
}

void syncmgr_token_drop(struct syncmgr_obj *obj)
{
	if (hlist_unhashed(&obj->token_node))
		return;
	spin_lock(&syncmgr_tokens_lock);
	hash_del(&obj->token_node);
	spin_unlock(&syncmgr_tokens_lock);
}

/*
 * The live object token names, with a reference, for its creating user
 * (or CAP_SYS_ADMIN); ENOENT if there is none, EPERM if not theirs.
 */
struct syncmgr_obj *syncmgr_token_open(const u64 token[2])
{
	struct syncmgr_obj *obj;

	spin_lock(&syncmgr_tokens_lock);
	obj = syncmgr_token_find(token);
	if (obj && !refcount_inc_not_zero(&obj->ref))
		obj = NULL;
	spin_unlock(&syncmgr_tokens_lock);
	if (!obj)
		return ERR_PTR(-ENOENT);
	/* Access to objects is a file-system matter: the fsuid, as open(). */
	if (!uid_eq(obj->uid, current_fsuid()) && !capable(CAP_SYS_ADMIN)) {
		syncmgr_obj_put(obj);
		return ERR_PTR(-EPERM);
	}
	syncmgr_hold_opened(obj);
	return obj;
}

/*
 * Holds (TOKEN_HOLD): a token that keeps its object alive for a bounded
 * time, or until its first OPEN.  Each hold is a reference, charged to
 * the account that made it; one delayed work ends the holds whose
 * deadline passed, and re-arms itself for the next one.  syncmgr_holds_lock
 * nests inside nothing and takes nothing; objects are put outside it.
 */
struct syncmgr_hold {
	struct hlist_node node;		/* in syncmgr_holds, by object */
	struct syncmgr_obj *obj;	/* a reference */
	struct syncmgr_user *user;	/* charged for this record */
	u64 deadline;
	bool once;
};

static DEFINE_HASHTABLE(syncmgr_holds, 8);
static DEFINE_SPINLOCK(syncmgr_holds_lock);
static u64 syncmgr_holds_next = SYNCMGR_DEADLINE_FOREVER;	/* earliest */

static void syncmgr_holds_expire(struct work_struct *work);
static DECLARE_DELAYED_WORK(syncmgr_holds_work, syncmgr_holds_expire);

static size_t syncmgr_hold_cost(void)
{
	return syncmgr_mem_size(sizeof(struct syncmgr_hold));
}

static void syncmgr_hold_free(struct syncmgr_hold *h)
{
	syncmgr_obj_put(h->obj);
	syncmgr_user_uncharge_bytes(h->user, syncmgr_hold_cost());
	syncmgr_user_put(h->user);
	kfree(h);
}

/* Under the lock: run the work by the earliest deadline. */
static void syncmgr_holds_arm(u64 deadline)
{
	u64 now = ktime_get_ns();

	lockdep_assert_held(&syncmgr_holds_lock);
	if (deadline >= syncmgr_holds_next)
		return;
	syncmgr_holds_next = deadline;
	mod_delayed_work(system_wq, &syncmgr_holds_work,
			 deadline > now ? nsecs_to_jiffies(deadline - now) + 1 : 0);
}

static void syncmgr_holds_expire(struct work_struct *work)
{
	u64 now = ktime_get_ns(), next = SYNCMGR_DEADLINE_FOREVER;
	struct syncmgr_hold *h;
	struct hlist_node *tmp;
	HLIST_HEAD(done);
	int bkt;

	spin_lock(&syncmgr_holds_lock);
	hash_for_each_safe(syncmgr_holds, bkt, tmp, h, node) {
		if (h->deadline <= now) {
			hash_del(&h->node);
			hlist_add_head(&h->node, &done);
		} else if (h->deadline < next) {
			next = h->deadline;
		}
	}
	syncmgr_holds_next = SYNCMGR_DEADLINE_FOREVER;
	if (next != SYNCMGR_DEADLINE_FOREVER)
		syncmgr_holds_arm(next);
	spin_unlock(&syncmgr_holds_lock);
	hlist_for_each_entry_safe(h, tmp, &done, node) {
		syncmgr_hold_free(h);
		cond_resched();
	}
}

/* An OPEN of obj's token: its oldest hold-until-opened, if any, ends. */
static void syncmgr_hold_opened(struct syncmgr_obj *obj)
{
	struct syncmgr_hold *h, *found = NULL;

	spin_lock(&syncmgr_holds_lock);
	hash_for_each_possible(syncmgr_holds, h, node, (unsigned long)obj)
		if (h->obj == obj && h->once)
			found = h;	/* entries are added at the head */
	if (found)
		hash_del(&found->node);
	spin_unlock(&syncmgr_holds_lock);
	/* The opener has its own reference: this is never the last. */
	if (found)
		syncmgr_hold_free(found);
}

/* TOKEN_HOLD on an object fd. */
long syncmgr_ioctl_token_hold(struct syncmgr_obj *obj, void __user *argp)
{
	struct syncmgr_token_hold a;
	struct syncmgr_hold *h;
	u64 now = ktime_get_ns();
	int ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.token[0] || a.token[1] || a.reserved ||
	    a.flags & ~SYNCMGR_HOLD_ONCE)
		return -EINVAL;
	if (a.deadline <= now || a.deadline - now > SYNCMGR_TOKEN_HOLD_MAX_NS)
		return -EINVAL;
	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	h->user = syncmgr_user_current();
	if (IS_ERR(h->user)) {
		ret = PTR_ERR(h->user);
		goto free;
	}
	ret = syncmgr_user_charge_values(h->user, syncmgr_hold_cost());
	if (ret)
		goto put_user;
	syncmgr_token_get(obj, a.token);
	if (copy_to_user(argp, &a, sizeof(a))) {
		ret = -EFAULT;
		goto uncharge;
	}
	refcount_inc(&obj->ref);
	h->obj = obj;
	h->deadline = a.deadline;
	h->once = a.flags & SYNCMGR_HOLD_ONCE;
	spin_lock(&syncmgr_holds_lock);
	hash_add(syncmgr_holds, &h->node, (unsigned long)obj);
	syncmgr_holds_arm(h->deadline);
	spin_unlock(&syncmgr_holds_lock);
	return 0;
uncharge:
	syncmgr_user_uncharge_bytes(h->user, syncmgr_hold_cost());
put_user:
	syncmgr_user_put(h->user);
free:
	kfree(h);
	return ret;
}

/* Module unload: every hold ends now. */
void syncmgr_holds_exit(void)
{
	struct syncmgr_hold *h;
	struct hlist_node *tmp;
	int bkt;

	cancel_delayed_work_sync(&syncmgr_holds_work);
	hash_for_each_safe(syncmgr_holds, bkt, tmp, h, node) {
		hash_del(&h->node);
		syncmgr_hold_free(h);
	}
}
