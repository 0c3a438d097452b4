// SPDX-License-Identifier: GPL-2.0
/*
 * Value: one typed value, with atomic read-modify-write operations (add,
 * compare and exchange) that the manager's proxies do not have.
 *
 * A Value holds one value of any kind, its typecode kept but never
 * checked, as the manager does: a str, bytes, blob or handle as an item
 * (codec.c), a scalar (None, bool, int, float) in place, so that setting,
 * adding to or swapping a number allocates nothing.
 *
 * Lock order: syncmgr_nest_mutex (nest.c, stores of container handles)
 *   -> value->mutex -> syncmgr_nest_gen_lock.  The mutex is held while
 * copying to or from user memory, and nothing else is taken under it but
 * the allocator and the fd table (a handle coming out reserves its fd).
 * Replaced items are freed after the mutex is dropped.
 */
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "item.h"

/*
 * scalar.user is who is charged for the scalar (a reference): what its
 * item would cost, so that a user's figures and quota do not depend on
 * where the value lives; NULL for the None a Value starts with (never
 * charged).  The cell itself is charged to the Value's creator.
 */
struct syncmgr_cell {
	struct mutex mutex;		/* held across copies to the user */
	u32 typecode;
	/* protected by mutex */
	struct syncmgr_item *item;	/* NULL: the value is scalar */
	struct syncmgr_item scalar;	/* last: its payload[] stays empty */
};

static const struct syncmgr_item *syncmgr_value_cur(struct syncmgr_cell *v)
{
	lockdep_assert_held(&v->mutex);
	return v->item ? v->item : &v->scalar;
}

/* Kept in place, without an item: None, bool, int, float. */
static bool syncmgr_value_is_scalar(const struct syncmgr_item *it)
{
	return it->type == SYNCMGR_VAL_NONE || it->type == SYNCMGR_VAL_BOOL ||
	       it->type == SYNCMGR_VAL_INT || it->type == SYNCMGR_VAL_DOUBLE;
}

/*
 * Under mutex: the scalar (type, data) becomes the value, charged to the
 * caller; the charge is left alone when the scalar in place is already
 * the caller's (same cost), so overwriting a number is only stores.
 * Returns the item it replaces, to free after the mutex, or an ERR_PTR
 * (nothing changed).
 */
static struct syncmgr_item *syncmgr_value_set_scalar(struct syncmgr_cell *v,
						     u16 type, u64 data)
{
	struct syncmgr_item *old = v->item;
	struct syncmgr_user *me;
	int ret;

	lockdep_assert_held(&v->mutex);
	if (old || !syncmgr_user_is_current(v->scalar.user)) {
		me = syncmgr_user_current();
		if (IS_ERR(me))
			return ERR_CAST(me);
		ret = syncmgr_scalar_charge(me);
		if (ret) {
			syncmgr_user_put(me);
			return ERR_PTR(ret);
		}
		if (!old) {
			syncmgr_scalar_uncharge(v->scalar.user);
			syncmgr_user_put(v->scalar.user);
		}
		v->scalar.user = me;
	}
	v->item = NULL;
	v->scalar.type = type;
	v->scalar.data = data;
	return old;
}

/* Under mutex: it (charged) becomes the value; returns the item it replaces. */
static struct syncmgr_item *syncmgr_value_set_item(struct syncmgr_cell *v,
						   struct syncmgr_item *it)
{
	struct syncmgr_item *old = v->item;

	lockdep_assert_held(&v->mutex);
	if (!old) {
		syncmgr_scalar_uncharge(v->scalar.user);
		syncmgr_user_put(v->scalar.user);
		v->scalar.user = NULL;
	}
	v->item = it;
	return old;
}

static long syncmgr_value_load(struct syncmgr_obj *obj, unsigned int cmd,
			       struct syncmgr_data *d,
			       struct syncmgr_data __user *argp)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_out o __uninitialized;
	int ret;

	syncmgr_out_init(&o, d, 1);
	mutex_lock(&v->mutex);
	ret = syncmgr_out_one(&o, syncmgr_value_cur(v));
	mutex_unlock(&v->mutex);
	return syncmgr_out_end(&o, ret);
}

/*
 * The value read in as a key (codec.c: on the stack when small) and kept
 * as an item only if it is not a scalar.  Storing a handle makes the
 * Value a container: refuse a store that would make obj reachable from
 * itself.
 */
static long syncmgr_value_store(struct syncmgr_obj *obj, unsigned int cmd,
				struct syncmgr_data *d,
				struct syncmgr_data __user *argp)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_key k __uninitialized;
	struct syncmgr_item *it = NULL, *old;
	struct syncmgr_nest nest = { };
	int ret;

	if (d->count != 1)
		return -EINVAL;
	ret = syncmgr_keys_in(d, &k, 1);
	if (ret)
		return ret;
	if (!syncmgr_value_is_scalar(k.it)) {
		it = syncmgr_key_keep(&k);
		if (IS_ERR(it)) {
			ret = PTR_ERR(it);
			goto out;
		}
		ret = syncmgr_nest_begin(&nest, obj, NULL, it, NULL);
	}
	if (!ret)
		ret = syncmgr_nest_lock(&nest, &v->mutex);
	if (ret) {
		syncmgr_nest_end(&nest);
		syncmgr_item_free(it);
		goto out;
	}
	if (it)
		old = syncmgr_value_set_item(v, it);
	else
		old = syncmgr_value_set_scalar(v, k.it->type, k.it->data);
	mutex_unlock(&v->mutex);
	syncmgr_nest_end(&nest);
	if (IS_ERR(old))
		ret = PTR_ERR(old);
	else
		syncmgr_item_free(old);
out:
	syncmgr_keys_free(&k, 1);
	return ret;
}

/*
 * Under mutex: the Value's int or bool cur plus b, in *sum; EINVAL if
 * the Value holds something else, ERANGE on overflow.
 */
static int syncmgr_value_sum(const struct syncmgr_item *cur, s64 b, s64 *sum)
{
	s64 a;
	int ret = syncmgr_item_int(cur, &a);

	if (!ret && check_add_overflow(a, b, sum))
		ret = -ERANGE;
	return ret;
}

/* Under mutex: the sum becomes the value; *old is the item to free. */
static int syncmgr_value_set_sum(struct syncmgr_cell *v, s64 sum,
				 struct syncmgr_item **old)
{
	struct syncmgr_item *it = syncmgr_value_set_scalar(v, SYNCMGR_VAL_INT,
							   (u64)sum);

	if (IS_ERR(it))
		return PTR_ERR(it);
	*old = it;
	return 0;
}

/*
 * ADD: an INT (or BOOL) delta to an INT (or BOOL) value; the sum is an
 * INT.  Doubles: the kernel has no FPU, libsync loops on CMPXCHG.
 */
static long syncmgr_value_add(struct syncmgr_obj *obj, unsigned int cmd,
			      struct syncmgr_data *d,
			      struct syncmgr_data __user *argp)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_key delta __uninitialized;
	const struct syncmgr_item *cur;
	struct syncmgr_item *old = NULL;
	struct syncmgr_out o __uninitialized;
	s64 b, sum;
	int ret;

	if (d->count != 1)
		return -EINVAL;
	ret = syncmgr_keys_in(d, &delta, 1);
	if (ret)
		return ret;
	ret = syncmgr_item_int(delta.it, &b);
	syncmgr_keys_free(&delta, 1);
	if (ret)
		return ret;
	syncmgr_out_init(&o, d, 1);
	mutex_lock(&v->mutex);
	cur = syncmgr_value_cur(v);
	ret = syncmgr_value_sum(cur, b, &sum);
	if (!ret)
		ret = syncmgr_out_one(&o, cur);
	if (!ret)
		ret = syncmgr_value_set_sum(v, sum, &old);
	mutex_unlock(&v->mutex);
	syncmgr_item_free(old);
	ret = syncmgr_out_end(&o, ret);
	return ret < 0 ? ret : 0;
}

/*
 * SCALAR_LOAD/STORE/ADD (the core checked val): a Value's
 * number with one 16-byte struct.  ADD writes the value before under the
 * mutex, ahead of any change, so a fault leaves the Value as it was.
 */
static long syncmgr_value_scalar(struct syncmgr_obj *obj, unsigned int cmd,
				 const struct syncmgr_value *val,
				 struct syncmgr_value __user *argp)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_item *old = NULL;
	const struct syncmgr_item *cur;
	struct syncmgr_value before = { };
	s64 sum;
	int ret = 0;

	mutex_lock(&v->mutex);
	cur = syncmgr_value_cur(v);
	before.type = cur->type;
	before.data = cur->data;
	switch (cmd) {
	case SYNCMGR_IOC_SCALAR_LOAD:
		if (!syncmgr_value_is_scalar(cur))
			ret = -EMSGSIZE;
		break;
	case SYNCMGR_IOC_SCALAR_STORE:
		old = syncmgr_value_set_scalar(v, val->type, val->data);
		if (IS_ERR(old)) {
			ret = PTR_ERR(old);
			old = NULL;
		}
		break;
	case SYNCMGR_IOC_SCALAR_ADD:
		ret = val->type == SYNCMGR_VAL_INT || val->type == SYNCMGR_VAL_BOOL ?
		      syncmgr_value_sum(cur, (s64)val->data, &sum) : -EINVAL;
		if (!ret && copy_to_user(argp, &before, sizeof(before)))
			ret = -EFAULT;
		if (!ret)
			ret = syncmgr_value_set_sum(v, sum, &old);
		break;
	}
	mutex_unlock(&v->mutex);
	syncmgr_item_free(old);
	if (!ret && cmd == SYNCMGR_IOC_SCALAR_LOAD &&
	    copy_to_user(argp, &before, sizeof(before)))
		ret = -EFAULT;
	return ret;
}

/*
 * in: expected, new.  Returns 1 if new was stored; out: the value found.
 * Both are read in as keys: expected is only compared, and new is kept as
 * an item only if it is not a scalar.
 */
static long syncmgr_value_cmpxchg(struct syncmgr_obj *obj, unsigned int cmd,
				  struct syncmgr_data *d,
				  struct syncmgr_data __user *argp)
{
	struct syncmgr_cell *v = obj->priv;
	struct syncmgr_item *it = NULL, *old = NULL;
	struct syncmgr_key kv[2] __uninitialized;
	const struct syncmgr_item *cur;
	struct syncmgr_nest nest = { };
	bool stored = false;
	struct syncmgr_out o __uninitialized;
	int ret;

	if (d->count != 2)
		return -EINVAL;
	ret = syncmgr_keys_in(d, kv, 2);
	if (ret)
		return ret;
	if (!syncmgr_value_is_scalar(kv[1].it)) {
		it = syncmgr_key_keep(&kv[1]);
		if (IS_ERR(it)) {
			ret = PTR_ERR(it);
			it = NULL;
			goto free;
		}
	}
	syncmgr_out_init(&o, d, 1);
	if (it)
		ret = syncmgr_nest_begin(&nest, obj, NULL, it, NULL);
	if (!ret)
		ret = syncmgr_nest_lock(&nest, &v->mutex);
	if (ret) {
		syncmgr_nest_end(&nest);
		syncmgr_out_end(&o, ret);
		goto free;
	}
	cur = syncmgr_value_cur(v);
	ret = syncmgr_out_one(&o, cur);
	if (!ret && syncmgr_item_equal(cur, kv[0].it)) {
		if (it)
			old = syncmgr_value_set_item(v, it);
		else
			old = syncmgr_value_set_scalar(v, kv[1].it->type,
						       kv[1].it->data);
		if (IS_ERR(old)) {
			ret = PTR_ERR(old);
			old = NULL;
		} else {
			it = NULL;
			stored = true;
		}
	}
	mutex_unlock(&v->mutex);
	syncmgr_nest_end(&nest);
	syncmgr_item_free(old);
	ret = syncmgr_out_end(&o, ret);
	if (ret >= 0)
		ret = stored;
free:
	syncmgr_item_free(it);
	syncmgr_keys_free(kv, 2);
	return ret;
}

/* The object a stored handle keeps alive, for the cycle check. */
static int syncmgr_value_handles(struct syncmgr_obj *obj,
				 struct syncmgr_held *held)
{
	struct syncmgr_cell *v = obj->priv;
	int ret;

	/*
	 * Room first (for a tree's handles too): the mutex is held across
	 * user copies, not for this.
	 */
	ret = syncmgr_held_alloc(held, SYNCMGR_MAX_TREE_HANDLES);
	if (ret)
		return ret;
	if (mutex_lock_killable(&v->mutex))
		return -EINTR;
	syncmgr_held_add(held, v->item);
	mutex_unlock(&v->mutex);
	return 0;
}

static int syncmgr_value_init(struct syncmgr_obj *obj,
			      const struct syncmgr_create *args)
{
	struct syncmgr_cell *v = syncmgr_priv_alloc(obj, sizeof(*v));

	if (IS_ERR(v))
		return PTR_ERR(v);
	mutex_init(&v->mutex);
	v->typecode = args->typecode;
	v->scalar.type = SYNCMGR_VAL_NONE;
	v->scalar.user = NULL;
	obj->priv = v;
	return 0;
}

/*
 * A Value's last reference goes in process context only (the exit probe
 * puts Locks and RLocks alone), so its item (maybe vmalloc'd) is freed
 * directly.
 */
static void syncmgr_value_destroy(struct syncmgr_obj *obj)
{
	struct syncmgr_cell *v = obj->priv;

	syncmgr_item_free(v->item);
	syncmgr_scalar_uncharge(v->scalar.user);
	syncmgr_user_put(v->scalar.user);
	syncmgr_priv_free(obj, v, sizeof(*v));
}

/* A load never blocks. */
static bool syncmgr_value_ready(struct syncmgr_obj *obj)
{
	return true;
}

/* value: 0; max: the typecode. */
static void syncmgr_value_state(struct syncmgr_obj *obj,
				struct syncmgr_state *st)
{
	struct syncmgr_cell *v = obj->priv;

	st->max = v->typecode;
}

static const struct syncmgr_ops syncmgr_value_ops = {
	.init		= syncmgr_value_init,
	.destroy	= syncmgr_value_destroy,
	.scalar		= syncmgr_value_scalar,
	.handles	= syncmgr_value_handles,
	.ready		= syncmgr_value_ready,
	.state		= syncmgr_value_state,
};

static const struct syncmgr_data_cmd syncmgr_value_cmds[SYNCMGR_DATA_SLOTS] = {
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_LOAD)] = {
		syncmgr_value_load, SYNCMGR_USES_OUT },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_STORE)] = {
		syncmgr_value_store, SYNCMGR_USES_IN | SYNCMGR_USES_COUNT },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_ADD)] = {
		syncmgr_value_add, SYNCMGR_USES_IN | SYNCMGR_USES_COUNT |
		SYNCMGR_USES_OUT },
	[SYNCMGR_DATA_SLOT(SYNCMGR_IOC_CMPXCHG)] = {
		syncmgr_value_cmpxchg, SYNCMGR_USES_IN | SYNCMGR_USES_COUNT |
		SYNCMGR_USES_OUT },
};

const struct syncmgr_family syncmgr_value_family = {
	.name		= "Value",
	.features	= SYNCMGR_FEAT_VALUE | SYNCMGR_FEAT_SCALAR,
	.create_args	= SYNCMGR_ARG_TYPECODE,
	.ops		= &syncmgr_value_ops,
	.cmds		= syncmgr_value_cmds,
};
