// SPDX-License-Identifier: GPL-2.0
/*
 * Queue: Python's queue.Queue and JoinableQueue of typed values.
 *
 * The items are a FIFO list under the object's spinlock.  Every hand-off
 * is direct: a put that finds getters blocked gives them its items (the
 * getter wakes with the items already its own), and a get that makes room
 * moves the items of the oldest blocked putter into the queue.  A getter
 * copies out after its items left the list, with the lock dropped; until
 * it is done they stay "in flight" (they still occupy room, so a failed
 * copy-out can put them back at the head without passing maxsize).  A
 * getter that cannot deliver (buffer too small, fault) puts them back:
 * nothing is lost or duplicated.  A blocked putter's items not yet in the
 * queue, and a getter's items in flight, are listed in q->calls, so the
 * cycle check (ops->handles) sees every handle the queue holds.
 *
 * Lock order: syncmgr_nest_mutex -> obj->lock (handles) -> poll wait queue
 * lock, syncmgr_nest_gen_lock (a put's cycle check commits under obj->lock).
 * Items are copied in before obj->lock is taken, copied out and freed
 * after it is dropped (freeing takes the per-user table lock and
 * may drop the last reference to a nested object).
 *
 * Waiters: getters and putters on q->getters / q->putters (each a
 * struct syncmgr_qcall on its task's stack), joiners on obj->waiters.
 */
#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/slab.h>

#include "item.h"

/* Most values one GET returns (bounds the fds reserved per call). */
#define SYNCMGR_QUEUE_BATCH	1024U

struct syncmgr_queue {
	/* protected by obj->lock */
	struct list_head items;		/* FIFO of struct syncmgr_item */
	u32 len;			/* items on the list (qsize) */
	u32 inflight;			/* taken by getters still copying */
	u32 maxsize;			/* 0: unbounded */
	u64 unfinished;			/* puts not yet task_done() */
	u32 nr_handles;			/* handles on items and in calls, or more */
	struct list_head getters;	/* struct syncmgr_qcall, FIFO */
	struct list_head putters;
	struct list_head calls;		/* calls holding items off the list */
};

/* One PUT or GET in progress, on its task's stack. */
struct syncmgr_qcall {
	struct syncmgr_waiter w;	/* in q->getters or q->putters */
	struct list_head node;		/* in q->calls while it holds items */
	struct list_head items;		/* put: still to put; get: taken */
	u32 n;				/* put: items put; get: items taken */
	u32 left;			/* put: items still on items */
	u32 max;			/* get: most values wanted */
	u32 room;			/* get: bytes of the caller's buffer */
	u32 needed;			/* get: size of the head (EMSGSIZE) */
};

/*
 * Sets every field of c, so callers declare it __uninitialized: a kernel
 * built with CONFIG_INIT_STACK_ALL_ZERO would clear it first on every
 * put and get.
 */
static void syncmgr_qcall_init(struct syncmgr_qcall *c)
{
	syncmgr_waiter_init(&c->w, NULL);
	INIT_LIST_HEAD(&c->node);
	INIT_LIST_HEAD(&c->items);
	c->n = 0;
	c->max = 0;
	c->room = 0;
	c->needed = 0;
}

static struct syncmgr_qcall *syncmgr_qcall_first(struct list_head *list)
{
	return list_first_entry_or_null(list, struct syncmgr_qcall, w.node);
}

/* Would one more item fit now? */
static bool syncmgr_queue_room(struct syncmgr_queue *q)
{
	return !q->maxsize || q->len + q->inflight < q->maxsize;
}

/* Block c on list (q->getters or q->putters), in FIFO order. */
static void syncmgr_queue_wait_on(struct syncmgr_obj *obj,
				  struct syncmgr_qcall *c,
				  struct list_head *list)
{
	syncmgr_enqueue(obj, &c->w);
	list_move_tail(&c->w.node, list);
}

/* Poll sleepers: readable and writable may both have changed. */
static void syncmgr_queue_changed(struct syncmgr_obj *obj)
{
	if (wq_has_sleeper(&obj->poll_wq))
		wake_up_poll(&obj->poll_wq, EPOLLIN | EPOLLRDNORM |
			     EPOLLOUT | EPOLLWRNORM);
}

/*
 * The first n entries of from, moved to the tail of to with one cut and
 * one splice: a batch costs one list operation, not n.
 */
static void syncmgr_queue_move(struct list_head *from, struct list_head *to,
			       u32 n, u32 len)
{
	struct list_head *last = from;
	LIST_HEAD(head);

	if (n == len) {
		list_splice_tail_init(from, to);
		return;
	}
	while (n--)
		last = last->next;
	list_cut_position(&head, from, last);
	list_splice_tail(&head, to);
}

/*
 * Take for getter c as many items from the head as it wants and its
 * buffer holds.  Returns how many; 0 (c->needed set) if the head alone
 * does not fit.  The queue must not be empty.
 */
static u32 syncmgr_queue_take(struct syncmgr_obj *obj, struct syncmgr_qcall *c)
{
	struct syncmgr_queue *q = obj->priv;
	struct syncmgr_item *it;
	u32 used = 0, n = 0;

	lockdep_assert_held(&obj->lock);
	list_for_each_entry(it, &q->items, node) {
		size_t size = syncmgr_item_size(it);

		if (n == c->max || size > c->room - used)
			break;
		used += size;
		n++;
	}
	if (!n) {
		it = list_first_entry(&q->items, struct syncmgr_item, node);
		c->needed = syncmgr_item_size(it);
		return 0;
	}
	syncmgr_queue_move(&q->items, &c->items, n, q->len);
	c->n = n;
	q->len -= n;
	q->inflight += n;
	list_add_tail(&c->node, &q->calls);
	return n;
}

/*
 * Move the items of putter c into the queue while there is room.  A part
 * of the batch is found by walking it, so at most SYNCMGR_QUEUE_BATCH
 * items go in a part: true if it stopped there with room and items left
 * (the caller drops the lock before it goes on).
 */
static bool syncmgr_queue_push(struct syncmgr_obj *obj, struct syncmgr_qcall *c)
{
	struct syncmgr_queue *q = obj->priv;
	bool more = false;
	u32 n = c->left;

	lockdep_assert_held(&obj->lock);
	if (q->maxsize)
		n = min(n, q->maxsize - min(q->maxsize, q->len + q->inflight));
	if (!n)
		return false;
	if (n < c->left && n > SYNCMGR_QUEUE_BATCH) {
		n = SYNCMGR_QUEUE_BATCH;
		more = true;
	}
	syncmgr_queue_move(&c->items, &q->items, n, c->left);
	c->left -= n;
	c->n += n;
	q->len += n;
	q->unfinished += n;
	return more;
}

/* How many of items are handles (bounded by the caller). */
static u32 syncmgr_queue_count_handles(struct list_head *items)
{
	struct syncmgr_item *it;
	u32 n = 0;

	list_for_each_entry(it, items, node)
		n += syncmgr_item_handles(it);
	return n;
}

/*
 * After any change: hand items to blocked getters and room to blocked
 * putters, oldest first, until neither can proceed.  Afterwards getters
 * wait only on an empty queue and putters only on a full one.
 */
static void syncmgr_queue_settle(struct syncmgr_obj *obj)
{
	struct syncmgr_queue *q = obj->priv;
	struct syncmgr_qcall *c;

	lockdep_assert_held(&obj->lock);
	for (;;) {
		c = q->len ? syncmgr_qcall_first(&q->getters) : NULL;
		if (c) {
			syncmgr_grant(&c->w, syncmgr_queue_take(obj, c) ?
				      0 : -EMSGSIZE);
			continue;
		}
		c = syncmgr_queue_room(q) ?
		    syncmgr_qcall_first(&q->putters) : NULL;
		if (!c)
			break;
		syncmgr_queue_push(obj, c);
		if (!c->left) {
			list_del_init(&c->node);
			syncmgr_grant(&c->w, 0);
		}
	}
	syncmgr_queue_changed(obj);
}

/*
 * PUT: copy the batch in (all or nothing), refuse cycles, then put in
 * order, blocking while full.  Items not put by the deadline are freed.
 */
static long syncmgr_queue_put(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_queue *q = obj->priv;
	bool nowait = d->flags & SYNCMGR_DATA_NOWAIT;
	struct syncmgr_qcall c __uninitialized;
	struct syncmgr_nest nest;
	bool wait = false;
	u32 handles;
	int ret;

	syncmgr_qcall_init(&c);
	ret = syncmgr_items_in(d, d->count, &c.items);
	if (ret)
		return ret;
	c.left = d->count;
	handles = syncmgr_queue_count_handles(&c.items);
	ret = syncmgr_nest_begin(&nest, obj, &c.items, NULL, NULL);
	for (;;) {
		if (ret) {
			syncmgr_nest_end(&nest);
			syncmgr_items_free(&c.items);
			return ret;
		}
		spin_lock(&obj->lock);
		ret = syncmgr_nest_commit(&nest);
		if (!ret)
			break;
		spin_unlock(&obj->lock);
		ret = syncmgr_nest_again(&nest);
	}
	/* What is not in the queue yet stays visible to the cycle check. */
	q->nr_handles += handles;
	list_add_tail(&c.node, &q->calls);
	while (list_empty(&q->putters) && syncmgr_queue_push(obj, &c)) {
		syncmgr_queue_settle(obj);
		spin_unlock(&obj->lock);
		cond_resched();
		spin_lock(&obj->lock);
	}
	if (c.left && !nowait && !syncmgr_expired(d->deadline)) {
		syncmgr_queue_wait_on(obj, &c, &q->putters);
		wait = true;
	} else {
		list_del_init(&c.node);
	}
	syncmgr_queue_settle(obj);
	spin_unlock(&obj->lock);
	syncmgr_nest_end(&nest);

	if (wait) {
		ret = syncmgr_sleep(&c.w, d->deadline, TASK_INTERRUPTIBLE);
		/* Granted: settle() took c off q->calls, all of it was put. */
		if (ret) {
			spin_lock(&obj->lock);
			if (!c.w.granted)
				syncmgr_dequeue(&c.w);
			list_del_init(&c.node);
			spin_unlock(&obj->lock);
		}
	}
	/* What was not put: off the queue's books, then freed. */
	handles = syncmgr_queue_count_handles(&c.items);
	if (handles) {
		spin_lock(&obj->lock);
		q->nr_handles -= handles;
		spin_unlock(&obj->lock);
	}
	syncmgr_items_free(&c.items);
	if (c.n)
		return c.n;
	if (ret)
		return ret;
	return nowait ? -EAGAIN : -ETIMEDOUT;
}

/*
 * A getter is done with its items: the first delivered ones are gone,
 * the others go back to the head, in their order.
 */
static void syncmgr_queue_finish(struct syncmgr_obj *obj,
				 struct syncmgr_qcall *c, u32 delivered)
{
	struct syncmgr_queue *q = obj->priv;
	LIST_HEAD(done);

	spin_lock(&obj->lock);
	if (delivered) {
		syncmgr_queue_move(&c->items, &done, delivered, c->n);
		q->nr_handles -= syncmgr_queue_count_handles(&done);
	}
	list_splice(&c->items, &q->items);
	q->len += c->n - delivered;
	q->inflight -= c->n;
	list_del_init(&c->node);
	syncmgr_queue_settle(obj);
	spin_unlock(&obj->lock);
	syncmgr_items_free(&done);
}

/* GET: wait until not empty, take up to count values that fit, copy out. */
static long syncmgr_queue_get(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_queue *q = obj->priv;
	struct syncmgr_qcall c __uninitialized;
	struct syncmgr_item *it;
	struct syncmgr_out o __uninitialized;
	bool wait = false;
	int ret;

	if (!d->count)
		return -EINVAL;
	syncmgr_qcall_init(&c);
	c.max = min3(d->count, SYNCMGR_QUEUE_BATCH,
		     (u32)(d->out_size / sizeof(struct syncmgr_value)));
	c.max = max(c.max, 1U);
	c.room = d->out_size;
	syncmgr_out_init(&o, d, c.max);

	spin_lock(&obj->lock);
	if (q->len)
		ret = syncmgr_queue_take(obj, &c) ? 0 : -EMSGSIZE;
	else if (d->flags & SYNCMGR_DATA_NOWAIT)
		ret = -EAGAIN;
	else if (syncmgr_expired(d->deadline))
		ret = -ETIMEDOUT;
	else
		wait = true;
	if (wait)
		syncmgr_queue_wait_on(obj, &c, &q->getters);
	spin_unlock(&obj->lock);

	if (wait) {
		ret = syncmgr_sleep(&c.w, d->deadline, TASK_INTERRUPTIBLE);
		if (!ret) {
			ret = c.w.result;	/* granted: no lock needed */
		} else {
			spin_lock(&obj->lock);
			if (c.w.granted)
				ret = c.w.result;	/* success wins */
			else
				syncmgr_dequeue(&c.w);
			spin_unlock(&obj->lock);
		}
	}
	if (ret) {
		o.needed = c.needed;
		return syncmgr_out_end(&o, ret);
	}

	list_for_each_entry(it, &c.items, node) {
		if (!syncmgr_out_room(&o, it))
			break;
		ret = syncmgr_out_put(&o, it);
		if (ret)
			break;
	}
	ret = syncmgr_out_end(&o, ret);
	syncmgr_queue_finish(obj, &c, ret > 0 ? ret : 0);
	return ret;
}

/* TASK_DONE: count times task_done(); too many: EINVAL, nothing changed. */
static long syncmgr_queue_task_done(struct syncmgr_obj *obj, unsigned int cmd,
				    struct syncmgr_data *d,
				    struct syncmgr_data __user *argp)
{
	struct syncmgr_queue *q = obj->priv;
	u32 count = d->count;
	struct syncmgr_waiter *w;
	int ret = 0;

	if (!count)
		return -EINVAL;
	spin_lock(&obj->lock);
	if (count > q->unfinished) {
		ret = -EINVAL;
	} else {
		q->unfinished -= count;
		while (!q->unfinished && (w = syncmgr_first_waiter(obj)))
			syncmgr_grant(w, 0);
	}
	spin_unlock(&obj->lock);
	return ret;
}

static long syncmgr_queue_join(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d,
			       struct syncmgr_data __user *argp)
{
	struct syncmgr_queue *q = obj->priv;

	spin_lock(&obj->lock);
	if (q->unfinished)
		return syncmgr_block(obj, NULL, 0, d->deadline);
	spin_unlock(&obj->lock);
	return 0;
}

static long syncmgr_queue_len(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_queue *q = obj->priv;
	u32 len;

	spin_lock(&obj->lock);
	len = q->len;
	spin_unlock(&obj->lock);
	return min_t(u32, len, INT_MAX);
}

/*
 * Every handle held: queued, handed to getters, waiting in putters.  The
 * count of them (an upper bound while a call is finishing) sizes the
 * array outside the lock; a queue holding no handle is not walked at all.
 */
static int syncmgr_queue_handles(struct syncmgr_obj *obj,
				 struct syncmgr_held *held)
{
	struct syncmgr_queue *q = obj->priv;
	struct syncmgr_qcall *c;
	struct syncmgr_item *it;
	int ret;

	for (;;) {
		spin_lock(&obj->lock);
		if (q->nr_handles <= held->max)
			break;
		spin_unlock(&obj->lock);
		ret = syncmgr_held_alloc(held, q->nr_handles);
		if (ret)
			return ret;
	}
	if (q->nr_handles) {
		list_for_each_entry(it, &q->items, node)
			syncmgr_held_add(held, it);
		list_for_each_entry(c, &q->calls, node)
			list_for_each_entry(it, &c->items, node)
				syncmgr_held_add(held, it);
	}
	spin_unlock(&obj->lock);
	return 0;
}

static int syncmgr_queue_init(struct syncmgr_obj *obj,
			      const struct syncmgr_create *args)
{
	struct syncmgr_queue *q = syncmgr_priv_alloc(obj, sizeof(*q));

	if (IS_ERR(q))
		return PTR_ERR(q);
	INIT_LIST_HEAD(&q->items);
	INIT_LIST_HEAD(&q->getters);
	INIT_LIST_HEAD(&q->putters);
	INIT_LIST_HEAD(&q->calls);
	q->maxsize = args->value;
	obj->priv = q;
	return 0;
}

/* The last reference: no call is in progress; free every item. */
static void syncmgr_queue_destroy(struct syncmgr_obj *obj)
{
	struct syncmgr_queue *q = obj->priv;

	WARN_ON_ONCE(!list_empty(&q->calls));
	syncmgr_items_free(&q->items);
	syncmgr_priv_free(obj, q, sizeof(*q));
}

static bool syncmgr_queue_ready(struct syncmgr_obj *obj)
{
	struct syncmgr_queue *q = obj->priv;

	return q->len;
}

static bool syncmgr_queue_writable(struct syncmgr_obj *obj)
{
	return syncmgr_queue_room(obj->priv);
}

static void syncmgr_queue_state(struct syncmgr_obj *obj,
				struct syncmgr_state *st)
{
	struct syncmgr_queue *q = obj->priv;

	st->value = q->len;
	st->max = q->maxsize;
}

static const struct syncmgr_ops syncmgr_queue_ops = {
	.init		= syncmgr_queue_init,
	.destroy	= syncmgr_queue_destroy,
	.handles	= syncmgr_queue_handles,
	.ready		= syncmgr_queue_ready,
	.writable	= syncmgr_queue_writable,
	.state		= syncmgr_queue_state,
};

static const struct syncmgr_data_cmd syncmgr_queue_cmds[SYNCMGR_DATA_SLOTS] = {
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_PUT)] = {
		syncmgr_queue_put, SYNCMGR_USES_IN | SYNCMGR_USES_COUNT |
		SYNCMGR_USES_DEADLINE, SYNCMGR_DATA_NOWAIT },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_GET)] = {
		syncmgr_queue_get, SYNCMGR_USES_OUT | SYNCMGR_USES_COUNT |
		SYNCMGR_USES_DEADLINE, SYNCMGR_DATA_NOWAIT },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_TASK_DONE)] = {
		syncmgr_queue_task_done, SYNCMGR_USES_COUNT },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_JOIN)] = {
		syncmgr_queue_join, SYNCMGR_USES_DEADLINE },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LEN)] = { syncmgr_queue_len },
};

const struct syncmgr_family syncmgr_queue_family = {
	.name		= "Queue",
	.features	= SYNCMGR_FEAT_QUEUE,
	.create_args	= SYNCMGR_ARG_VALUE,
	.ops		= &syncmgr_queue_ops,
	.cmds		= syncmgr_queue_cmds,
};
