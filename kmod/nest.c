// SPDX-License-Identifier: GPL-2.0
/*
 * What containers hold, and nesting without cycles (below).
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "item.h"

/*
 * What a container holds, collected by its ->handles under its own lock:
 * h->max is the room made (from a count the container keeps or takes
 * first), and syncmgr_held_add() takes a reference on each handle's
 * object while there is room.  The caller puts them and frees h->objs.
 */
int syncmgr_held_alloc(struct syncmgr_held *h, u32 max)
{
	kvfree(h->objs);
	h->objs = NULL;
	h->n = 0;
	h->max = 0;
	if (!max)
		return 0;
	h->objs = kvmalloc_array(max, sizeof(*h->objs), GFP_KERNEL_ACCOUNT);
	if (!h->objs)
		return -ENOMEM;
	h->max = max;
	return 0;
}

/* Every handle it holds (a tree may hold several): size h for them all. */
void syncmgr_held_add(struct syncmgr_held *h, const struct syncmgr_item *it)
{
	struct syncmgr_obj *obj;
	u32 i, n = it ? syncmgr_item_handles(it) : 0;

	for (i = 0; i < n && h->n < h->max; i++) {
		obj = syncmgr_item_obj(it, i);
		refcount_inc(&obj->ref);
		h->objs[h->n++] = obj;
	}
}

/*
 * Nesting without cycles.  Storing a handle to a container into a
 * container must not make the target reachable from itself, or the two
 * would keep each other alive forever.
 *
 * The check walks what the stored handle reaches, each container once
 * (a set of the ids seen, an explicit stack: linear in the graph, never
 * recursive, whatever shape a user built), and gives up when the caller
 * is killed.  It holds no global lock: a container's own lock is taken
 * only while listing the handles it holds.  What makes the answer still
 * true when the store lands is a generation count of container stores:
 * the walk notes it before it starts, and the store commits under the
 * target's lock only if no other container store committed meanwhile
 * (syncmgr_nest_commit); otherwise it drops the lock and walks again.
 * Removals need no count: they can only remove paths.  A store that lost
 * SYNCMGR_NEST_TRIES races takes syncmgr_nest_mutex and raises
 * syncmgr_nest_serial, which makes every optimistic commit fail until it
 * is done, so no store is starved.  Stores of anything but a container
 * handle (almost all) skip all of this.
 *
 * Lock order: syncmgr_nest_mutex -> a container's lock (in ->handles, and
 * the target's for the commit) -> syncmgr_nest_gen_lock.
 */
#define SYNCMGR_NEST_TRIES	4

static DEFINE_MUTEX(syncmgr_nest_mutex);
static DEFINE_SPINLOCK(syncmgr_nest_gen_lock);
static u64 syncmgr_nest_gen;		/* under syncmgr_nest_gen_lock */
static bool syncmgr_nest_serial;	/* under syncmgr_nest_gen_lock */

/* A stack of objects, each with a reference, for the walk. */
struct syncmgr_nest_stack {
	struct syncmgr_obj **obj;
	size_t len, cap;
};

static int syncmgr_nest_push(struct syncmgr_nest_stack *st,
			     struct syncmgr_obj *obj)
{
	struct syncmgr_obj **bigger;
	size_t cap;

	if (st->len == st->cap) {
		cap = max_t(size_t, 64, st->cap * 2);
		bigger = kvmalloc_array(cap, sizeof(*bigger), GFP_KERNEL_ACCOUNT);
		if (!bigger)
			return -ENOMEM;
		if (st->len)
			memcpy(bigger, st->obj, st->len * sizeof(*bigger));
		kvfree(st->obj);
		st->obj = bigger;
		st->cap = cap;
	}
	st->obj[st->len++] = obj;
	return 0;
}

/*
 * Walk obj later, unless it is to (1) or was walked already (0).
 * Consumes the caller's reference on obj.
 */
static int syncmgr_nest_visit(struct xarray *seen,
			      struct syncmgr_nest_stack *st,
			      struct syncmgr_obj *obj, struct syncmgr_obj *to)
{
	int ret = 1;

	if (obj != to) {
		ret = xa_insert(seen, obj->id, obj, GFP_KERNEL_ACCOUNT);
		if (!ret) {
			ret = syncmgr_nest_push(st, obj);
			if (!ret)
				return 0;	/* the stack has the reference */
		} else if (ret == -EBUSY) {
			ret = 0;
		}
	}
	syncmgr_obj_put(obj);
	return ret;
}

/*
 * Does from reach to through the handles containers hold?  1 if so (or
 * if from is to), 0 if not, -errno if the walk could not finish.
 */
static int syncmgr_reaches(struct syncmgr_obj *from, struct syncmgr_obj *to)
{
	struct syncmgr_nest_stack st = { };
	struct syncmgr_held held;
	struct syncmgr_obj *obj;
	struct xarray seen;
	int ret;
	u32 i;

	xa_init(&seen);
	refcount_inc(&from->ref);
	ret = syncmgr_nest_visit(&seen, &st, from, to);
	while (!ret && st.len) {
		obj = st.obj[--st.len];
		held = (struct syncmgr_held){ };
		ret = obj->ops->handles(obj, &held);
		syncmgr_obj_put(obj);
		for (i = 0; i < held.n; i++) {
			if (!ret && held.objs[i]->ops->handles)
				ret = syncmgr_nest_visit(&seen, &st,
							 held.objs[i], to);
			else
				syncmgr_obj_put(held.objs[i]);
		}
		kvfree(held.objs);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	while (st.len)
		syncmgr_obj_put(st.obj[--st.len]);
	kvfree(st.obj);
	xa_destroy(&seen);
	return ret;
}

/*
 * One value going into n's container: ELOOP if it would close a cycle.
 * Each container handle it holds counts, also one deep inside a tree.
 */
static int syncmgr_nest_one(struct syncmgr_nest *n,
			    const struct syncmgr_item *it)
{
	struct syncmgr_obj *obj;
	u32 i, nh = it ? syncmgr_item_handles(it) : 0;
	int ret;

	for (i = 0; i < nh; i++) {
		obj = syncmgr_item_obj(it, i);
		if (!obj->ops->handles)
			continue;
		if (!n->needed) {
			n->needed = true;
			spin_lock(&syncmgr_nest_gen_lock);
			n->gen = syncmgr_nest_gen;
			spin_unlock(&syncmgr_nest_gen_lock);
		}
		ret = syncmgr_reaches(obj, n->container);
		if (ret)
			return ret > 0 ? -ELOOP : ret;
	}
	return 0;
}

/* Check every value n stores, noting the generation first. */
static int syncmgr_nest_walk(struct syncmgr_nest *n)
{
	const struct syncmgr_item *it;
	int ret, i;

	n->needed = false;
	for (i = 0; i < ARRAY_SIZE(n->its); i++) {
		ret = syncmgr_nest_one(n, n->its[i]);
		if (ret)
			return ret;
	}
	if (n->items) {
		list_for_each_entry(it, n->items, node) {
			ret = syncmgr_nest_one(n, it);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * Before storing into container the values on items (may be NULL) and
 * a and b (either may be NULL): 0, or ELOOP if one would close a cycle
 * (or -EINTR, -ENOMEM: the check could not finish).  items and the
 * values must stay as they are until syncmgr_nest_end(); then commit
 * under the container's lock (syncmgr_nest_lock() for a mutex).
 * syncmgr_nest_end() in every case.
 */
int syncmgr_nest_begin(struct syncmgr_nest *n, struct syncmgr_obj *container,
		       struct list_head *items, const struct syncmgr_item *a,
		       const struct syncmgr_item *b)
{
	*n = (struct syncmgr_nest){
		.container = container,
		.items = items,
		.its = { a, b },
	};
	return syncmgr_nest_walk(n);
}

/*
 * Under the container's lock, just before the store: 0 if the check
 * still holds (the store must happen before the lock is dropped), or
 * -EAGAIN: drop the lock and call syncmgr_nest_again().
 */
int syncmgr_nest_commit(struct syncmgr_nest *n)
{
	int ret = 0;

	if (!n->needed)
		return 0;
	spin_lock(&syncmgr_nest_gen_lock);
	if (syncmgr_nest_gen != n->gen ||
	    (syncmgr_nest_serial && !n->serial))
		ret = -EAGAIN;
	else
		syncmgr_nest_gen++;
	spin_unlock(&syncmgr_nest_gen_lock);
	return ret;
}

/* After a failed commit, with no lock held: check again. */
int syncmgr_nest_again(struct syncmgr_nest *n)
{
	if (++n->tries >= SYNCMGR_NEST_TRIES && !n->serial) {
		if (mutex_lock_killable(&syncmgr_nest_mutex))
			return -EINTR;
		spin_lock(&syncmgr_nest_gen_lock);
		syncmgr_nest_serial = true;
		spin_unlock(&syncmgr_nest_gen_lock);
		n->serial = true;
	}
	return syncmgr_nest_walk(n);
}

/* Take a container's mutex for a store checked by n; -errno unlocked. */
int syncmgr_nest_lock(struct syncmgr_nest *n, struct mutex *lock)
{
	int ret;

	for (;;) {
		mutex_lock(lock);
		if (!syncmgr_nest_commit(n))
			return 0;
		mutex_unlock(lock);
		ret = syncmgr_nest_again(n);
		if (ret)
			return ret;
	}
}

/* After the store (or instead of it), with the container unlocked. */
void syncmgr_nest_end(struct syncmgr_nest *n)
{
	if (!n->serial)
		return;
	spin_lock(&syncmgr_nest_gen_lock);
	syncmgr_nest_serial = false;
	spin_unlock(&syncmgr_nest_gen_lock);
	n->serial = false;
	mutex_unlock(&syncmgr_nest_mutex);
}
