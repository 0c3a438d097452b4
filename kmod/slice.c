// SPDX-License-Identifier: GPL-2.0
/*
 * Slices and indices as Python normalises them (slice.indices()), for the
 * list and the Array.
 */
#include <linux/math64.h>

#include "item.h"

/* One slice bound clamped as Python's PySlice_AdjustIndices() does. */
s64 syncmgr_slice_bound(s64 v, s64 len, bool neg)
{
	if (v < 0) {
		v += len;
		if (v < 0)
			v = neg ? -1 : 0;
	} else if (v >= len) {
		v = neg ? len - 1 : len;
	}
	return v;
}

/*
 * The slice d names (start/stop/step, NO_START/NO_STOP) of a sequence of
 * len, normalised as Python's slice.indices(len), and its length.
 */
void syncmgr_slice_indices(const struct syncmgr_data *d, u32 ulen,
			   struct syncmgr_slice *s)
{
	s64 len = ulen;
	bool neg;

	/* Python clamps a step of -sys.maxsize - 1 to -sys.maxsize. */
	s->step = d->step < -S64_MAX ? -S64_MAX : d->step;
	neg = s->step < 0;
	if (d->flags & SYNCMGR_DATA_NO_START)
		s->start = neg ? len - 1 : 0;
	else
		s->start = syncmgr_slice_bound(d->start, len, neg);
	if (d->flags & SYNCMGR_DATA_NO_STOP)
		s->stop = neg ? -1 : len;
	else
		s->stop = syncmgr_slice_bound(d->stop, len, neg);
	if (neg)
		s->n = s->stop < s->start ?
		       div64_u64(s->start - s->stop - 1, -s->step) + 1 : 0;
	else
		s->n = s->start < s->stop ?
		       div64_u64(s->stop - s->start - 1, s->step) + 1 : 0;
}

/*
 * A command that takes an index or (with a step) a slice: without a step,
 * the slice's stop and NO_START/NO_STOP mean nothing and must be 0.
 */
int syncmgr_slice_check(const struct syncmgr_data *d)
{
	if (!d->step && (d->stop || d->flags & (SYNCMGR_DATA_NO_START |
						SYNCMGR_DATA_NO_STOP)))
		return -EINVAL;
	return 0;
}
