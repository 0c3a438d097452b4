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

#include "core.h"

static DEFINE_HASHTABLE(syncmgr_tokens, 8);
static DEFINE_SPINLOCK(syncmgr_tokens_lock);

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
	return obj;
}
