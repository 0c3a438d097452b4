// SPDX-License-Identifier: GPL-2.0
/*
 * The kinds of object, by type: one line each.  Everything the core knows
 * of a kind (its name, feature bit, creation arguments, operations and
 * data commands) comes from its descriptor, exported by its family's
 * file; names, create checks, the data-command check and the feature
 * bits are derived from this table here and nowhere else.  Adding a kind:
 * Documentation/design.md.
 */
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/kernel.h>

#include "core.h"

static const struct syncmgr_family *const syncmgr_families[] = {
	[SYNCMGR_TYPE_LOCK]		 = &syncmgr_lock_family,
	[SYNCMGR_TYPE_RLOCK]		 = &syncmgr_rlock_family,
	[SYNCMGR_TYPE_SEMAPHORE]	 = &syncmgr_sem_family,
	[SYNCMGR_TYPE_BOUNDED_SEMAPHORE] = &syncmgr_bsem_family,
	[SYNCMGR_TYPE_EVENT]		 = &syncmgr_event_family,
	[SYNCMGR_TYPE_CONDITION]	 = &syncmgr_cond_family,
	[SYNCMGR_TYPE_BARRIER]		 = &syncmgr_barrier_family,
	[SYNCMGR_TYPE_QUEUE]		 = &syncmgr_queue_family,
	[SYNCMGR_TYPE_VALUE]		 = &syncmgr_value_family,
	[SYNCMGR_TYPE_ARRAY]		 = &syncmgr_array_family,
	[SYNCMGR_TYPE_DICT]		 = &syncmgr_dict_family,
	[SYNCMGR_TYPE_LIST]		 = &syncmgr_list_family,
	[SYNCMGR_TYPE_NAMESPACE]	 = &syncmgr_ns_family,
};

/* A type past the table's end, or a last line forgotten, fails the build. */
static_assert(ARRAY_SIZE(syncmgr_families) == SYNCMGR_TYPE_LAST + 1);
static_assert(SYNCMGR_DATA_SLOTS <= BITS_PER_LONG);

/* The data command slots some kind has: any other nr is ENOTTY. */
static unsigned long syncmgr_data_known;

/*
 * At load: every type has a complete descriptor (a hole in the table
 * refuses to load, which fails every test), and the data commands of
 * all kinds are collected.
 */
int syncmgr_families_init(void)
{
	const struct syncmgr_family *f;
	u32 type, slot;

	for (type = 1; type <= SYNCMGR_TYPE_LAST; type++) {
		f = syncmgr_families[type];
		if (!f || !f->name || !f->features || !f->ops ||
		    !f->ops->init || !f->ops->ready || !f->ops->state) {
			pr_err("syncmgr: type %u has no complete descriptor\n",
			       type);
			return -EINVAL;
		}
		for (slot = 0; f->cmds && slot < SYNCMGR_DATA_SLOTS; slot++)
			if (f->cmds[slot].run)
				syncmgr_data_known |= BIT(slot);
	}
	return 0;
}

/* The kind of type, or NULL for none. */
const struct syncmgr_family *syncmgr_family(u32 type)
{
	if (!type || type >= ARRAY_SIZE(syncmgr_families))
		return NULL;
	return syncmgr_families[type];
}

/* Fields and flags the kind does not use must be zero. */
bool syncmgr_create_args_valid(const struct syncmgr_create *args)
{
	const struct syncmgr_family *f = syncmgr_family(args->type);
	u32 uses;

	if (!f)
		return true;		/* EINVAL from syncmgr_obj_new() */
	uses = f->create_args;
	if (args->reserved0 || args->reserved[0] || args->reserved[1])
		return false;
	if (args->flags & ~(SYNCMGR_CREATE_NO_CLOEXEC | f->create_flags))
		return false;
	return (!args->value || uses & SYNCMGR_ARG_VALUE) &&
	       (!args->lock_fd || uses & SYNCMGR_ARG_LOCK_FD) &&
	       (!args->timeout_ns || uses & SYNCMGR_ARG_TIMEOUT) &&
	       (!args->typecode || uses & SYNCMGR_ARG_TYPECODE);
}

/* What the module gives, for VERSION, and the highest type it knows. */
u64 syncmgr_features(u32 *max_type)
{
	/* Tokens and composite values are the core's (token.c, codec.c). */
	u64 features = SYNCMGR_FEAT_TOKEN | SYNCMGR_FEAT_COMPOSITE;
	u32 type;

	for (type = 1; type < ARRAY_SIZE(syncmgr_families); type++)
		features |= syncmgr_families[type]->features;
	*max_type = ARRAY_SIZE(syncmgr_families) - 1;
	return features;
}

/* Is cmd a data command of some kind (then EBADFD where it is not)? */
bool syncmgr_is_data_cmd(unsigned int cmd)
{
	unsigned int slot = SYNCMGR_DATA_SLOT(cmd);

	return slot < SYNCMGR_DATA_SLOTS &&
	       cmd == SYNCMGR_IOC_DATA(_IOC_NR(cmd)) &&
	       test_bit(slot, &syncmgr_data_known);
}
