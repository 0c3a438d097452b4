// SPDX-License-Identifier: GPL-2.0
/*
 * Object lifetime: a new object charged to its creator, and its end when
 * the last reference goes (files, containers holding it as a value, owner
 * records, conditions on a lock), flat however deep containers nest.
 */
#include <linux/hashtable.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "core.h"

static atomic64_t syncmgr_next_id = ATOMIC64_INIT(1);

/* What an object's own struct costs its creator (its state: the type's). */
static size_t syncmgr_obj_cost(void)
{
	return kmalloc_size_roundup(sizeof(struct syncmgr_obj));
}

/*
 * A new object with one reference, charged to the calling user's account
 * (one object and its struct's bytes, at every level up).
 */
struct syncmgr_obj *syncmgr_obj_new(const struct syncmgr_create *args)
{
	const struct syncmgr_family *family = syncmgr_family(args->type);
	struct syncmgr_user *user;
	struct syncmgr_obj *obj;
	int ret;

	if (!family)
		return ERR_PTR(-EINVAL);
	user = syncmgr_user_current();
	if (IS_ERR(user))
		return ERR_CAST(user);
	ret = syncmgr_user_charge(user);
	if (ret)
		goto put;
	ret = syncmgr_user_charge_values(user, syncmgr_obj_cost());
	if (ret)
		goto uncharge;
	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj) {
		ret = -ENOMEM;
		goto uncharge_bytes;
	}
	obj->family = family;
	obj->ops = family->ops;
	obj->type = args->type;
	obj->flags = args->flags;
	obj->id = atomic64_inc_return(&syncmgr_next_id);
	obj->uid = current_uid();
	obj->user = user;
	obj->base = obj;
	refcount_set(&obj->ref, 1);
	spin_lock_init(&obj->lock);
	init_waitqueue_head(&obj->poll_wq);
	INIT_LIST_HEAD(&obj->waiters);
	INIT_LIST_HEAD(&obj->owner_link);
	INIT_HLIST_NODE(&obj->token_node);
	ret = obj->ops->init(obj, args);
	if (ret) {
		kfree(obj);
		goto uncharge_bytes;
	}
	return obj;
uncharge_bytes:
	syncmgr_user_uncharge_bytes(user, syncmgr_obj_cost());
uncharge:
	syncmgr_user_uncharge(user);
put:
	syncmgr_user_put(user);
	return ERR_PTR(ret);
}

/* Give back what syncmgr_obj_new() charged; the struct is freed next. */
static void syncmgr_obj_uncharge(struct syncmgr_obj *obj)
{
	syncmgr_user_uncharge_bytes(obj->user, syncmgr_obj_cost());
	syncmgr_user_uncharge(obj->user);
	syncmgr_user_put(obj->user);
}

static void syncmgr_obj_free(struct syncmgr_obj *obj)
{
	WARN_ON_ONCE(!list_empty(&obj->waiters) || obj->owner);
	syncmgr_token_drop(obj);
	if (obj->ops->destroy)
		obj->ops->destroy(obj);
	syncmgr_obj_uncharge(obj);
	kfree(obj);
}

/*
 * Freeing containers.  A container's values hold references on the
 * objects they are handles to, so freeing it can free another container,
 * which can free another: a chain as long as a user cares to build
 * (storing a new list into the last one and closing the last one's fd).
 * Freed recursively, that overflows the kernel stack.  So the task whose
 * put frees a container becomes a reaper: the containers its frees let go
 * of are queued on its reaper record rather than freed where they are
 * dropped, and it frees them one after the other, in process context,
 * rescheduling between them.  The stack stays flat, the work is done by
 * the task that let go (nobody else waits for it), and when the put
 * returns everything is freed and uncharged.
 *
 * Only containers (ops->handles) go through this; every other family's
 * destroy drops at most one object that is not a container (a
 * Condition's lock), so it is freed where its last reference goes.  A
 * container's last reference is never dropped in atomic context: only
 * Locks, RLocks and Barriers are held by owner records.
 */
struct syncmgr_reaper {
	struct hlist_node node;		/* in syncmgr_reapers */
	struct task_struct *task;
	struct list_head dead;		/* containers to free: obj->dead */
};

static DEFINE_HASHTABLE(syncmgr_reapers, 6);
static DEFINE_SPINLOCK(syncmgr_reapers_lock);

/* Under syncmgr_reapers_lock: the calling task's record, if it reaps. */
static struct syncmgr_reaper *syncmgr_reaper_current(void)
{
	struct syncmgr_reaper *r;

	hash_for_each_possible(syncmgr_reapers, r, node, (unsigned long)current)
		if (r->task == current)
			return r;
	return NULL;
}

/* Free a container with no references left, and what it lets go of. */
static void syncmgr_container_free(struct syncmgr_obj *obj)
{
	struct syncmgr_reaper me = { .task = current }, *reaping;

	INIT_LIST_HEAD(&me.dead);
	spin_lock(&syncmgr_reapers_lock);
	reaping = syncmgr_reaper_current();
	if (reaping) {
		/* Inside our own reaping: queue it, the loop below frees it. */
		list_add_tail(&obj->dead, &reaping->dead);
		spin_unlock(&syncmgr_reapers_lock);
		return;
	}
	hash_add(syncmgr_reapers, &me.node, (unsigned long)current);
	spin_unlock(&syncmgr_reapers_lock);

	might_sleep();
	for (;;) {
		syncmgr_obj_free(obj);
		cond_resched();
		spin_lock(&syncmgr_reapers_lock);
		obj = list_first_entry_or_null(&me.dead, struct syncmgr_obj,
					       dead);
		if (obj)
			list_del(&obj->dead);
		else
			hash_del(&me.node);
		spin_unlock(&syncmgr_reapers_lock);
		if (!obj)
			break;
	}
}

void syncmgr_obj_put(struct syncmgr_obj *obj)
{
	if (!refcount_dec_and_test(&obj->ref))
		return;
	if (obj->ops->handles)
		syncmgr_container_free(obj);
	else
		syncmgr_obj_free(obj);
}

/* Tell poll() sleepers of the object (and conditions on it) to look again. */
void syncmgr_obj_changed(struct syncmgr_obj *obj)
{
	struct syncmgr_obj *base = obj->base;

	if (wq_has_sleeper(&base->poll_wq))
		wake_up_poll(&base->poll_wq, EPOLLIN | EPOLLRDNORM);
}
