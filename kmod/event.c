// SPDX-License-Identifier: GPL-2.0
/*
 * Event: a flag.  set() grants every waiter at once, so a waiter whose
 * event was set and cleared again before it ran still returns success, as
 * Python's Event.wait does.
 */

#include "core.h"

static int syncmgr_event_init(struct syncmgr_obj *obj,
			      const struct syncmgr_create *args)
{
	return 0;
}

static int syncmgr_event_wait(struct syncmgr_obj *obj, u64 deadline)
{
	spin_lock(&obj->lock);
	if (!obj->event.set)
		return syncmgr_block(obj, NULL, 0, deadline);
	spin_unlock(&obj->lock);
	return 0;
}

static int syncmgr_event_set(struct syncmgr_obj *obj, bool set)
{
	struct syncmgr_waiter *w;

	spin_lock(&obj->lock);
	obj->event.set = set;
	if (set) {
		while ((w = syncmgr_first_waiter(obj)))
			syncmgr_grant(w, 0);
		syncmgr_obj_changed(obj);
	}
	spin_unlock(&obj->lock);
	return 0;
}

static bool syncmgr_event_ready(struct syncmgr_obj *obj)
{
	return obj->event.set;
}

static void syncmgr_event_state(struct syncmgr_obj *obj,
				struct syncmgr_state *st)
{
	st->value = obj->event.set;
}

static const struct syncmgr_ops syncmgr_event_ops = {
	.init		= syncmgr_event_init,
	.wait		= syncmgr_event_wait,
	.set		= syncmgr_event_set,
	.ready		= syncmgr_event_ready,
	.state		= syncmgr_event_state,
};

const struct syncmgr_family syncmgr_event_family = {
	.name		= "Event",
	.features	= SYNCMGR_FEAT_EVENT,
	.ops		= &syncmgr_event_ops,
};
