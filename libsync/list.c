// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * list: Python's list of typed values behind a handle.  Every call is one
 * data ioctl (sm__data); the kernel does all of Python's rules (negative
 * indices, slice.indices(), equality, stable sort) and changes nothing on
 * failure.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int sm_list_create(unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_LIST, flags, 0, 0, 0);
}

/* A data ioctl taking n values in (the list refuses a missing batch). */
static int sm_list_in(int list, unsigned long cmd, struct syncmgr_data *d,
		      const struct sm_value *in, unsigned int n)
{
	if (n && !in)
		return -EINVAL;
	return sm__data_in(list, cmd, d, in, n);
}

/* sm__slice(); a missing slice, or a flag but the bounds', is -EINVAL. */
static int sm_list_slice_args(const struct sm_slice *s, struct syncmgr_data *d)
{
	const unsigned int bounds = SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP;

	if (!s || (s->flags & ~bounds))
		return -EINVAL;
	return sm__slice(s, d);
}

int sm_list_len(int list)
{
	return sm__data_cmd(list, SYNCMGR_IOC_LEN);
}

int sm_list_append(int list, const struct sm_value *v)
{
	return sm_list_extend(list, v, 1);
}

int sm_list_extend(int list, const struct sm_value *vals, unsigned int n)
{
	struct syncmgr_data d = { 0 };

	return sm_list_in(list, SYNCMGR_IOC_UPDATE, &d, vals, n);
}

int sm_list_insert(int list, int64_t index, const struct sm_value *v)
{
	struct syncmgr_data d = { .start = index };

	return sm_list_in(list, SYNCMGR_IOC_INSERT, &d, v, 1);
}

/* One value out through cmd (LOOKUP, POP): 0 or -errno. */
static int sm_list_one_out(int list, unsigned long cmd, int64_t index,
			   struct sm_value *out, struct sm_buf *buf)
{
	struct syncmgr_data d = { .start = index };

	if (!out || !buf)
		return -EINVAL;
	return sm__one(sm__data(list, cmd, &d, NULL, 0, buf, out, 1));
}

int sm_list_get(int list, int64_t index, struct sm_value *out,
		struct sm_buf *buf)
{
	return sm_list_one_out(list, SYNCMGR_IOC_LOOKUP, index, out, buf);
}

int sm_list_set(int list, int64_t index, const struct sm_value *v)
{
	struct syncmgr_data d = { .start = index };

	return sm_list_in(list, SYNCMGR_IOC_ASSIGN, &d, v, 1);
}

int sm_list_del(int list, int64_t index)
{
	struct syncmgr_data d = { .start = index };

	return sm__data_plain(list, SYNCMGR_IOC_DELETE, &d);
}

/* l[slice] out, at *version if version (see sm__at), else any. */
static int sm_list_read_slice(int list, const struct sm_slice *s,
			      struct sm_value *out, unsigned int max,
			      struct sm_buf *buf, uint64_t *version)
{
	struct syncmgr_data d;
	int ret = sm_list_slice_args(s, &d);

	if (!ret && version)
		ret = sm__at(&d, version);
	if (ret)
		return ret;
	if (!out || !buf || !max)
		return -EINVAL;
	d.count = max;
	ret = sm__data(list, SYNCMGR_IOC_LOOKUP, &d, NULL, 0, buf, out, max);
	return version ? sm__at_done(ret, &d, version) : ret;
}

int sm_list_get_slice(int list, const struct sm_slice *s,
		      struct sm_value *out, unsigned int max,
		      struct sm_buf *buf)
{
	return sm_list_read_slice(list, s, out, max, buf, NULL);
}

int sm_list_get_slice_at(int list, const struct sm_slice *s,
			 struct sm_value *out, unsigned int max,
			 struct sm_buf *buf, uint64_t *version)
{
	if (!version)
		return -EINVAL;
	return sm_list_read_slice(list, s, out, max, buf, version);
}

int sm_list_version(int list, uint64_t *version)
{
	return sm__len_version(list, version);
}

/* l[:] = values, only at version: a whole-list ASSIGN with IF_VERSION. */
int sm_list_replace_if(int list, const struct sm_value *values,
		       unsigned int n, uint64_t version)
{
	const struct sm_slice all = {
		.step = 1,
		.flags = SYNCMGR_DATA_NO_START | SYNCMGR_DATA_NO_STOP,
	};
	struct syncmgr_data d;
	int ret;

	if (!version)
		return -EINVAL;
	ret = sm_list_slice_args(&all, &d);
	if (ret)
		return ret;
	d.flags |= SYNCMGR_DATA_IF_VERSION;
	d.version = version;
	return sm_list_in(list, SYNCMGR_IOC_ASSIGN, &d, values, n);
}

int sm_list_set_slice(int list, const struct sm_slice *s,
		      const struct sm_value *vals, unsigned int n)
{
	struct syncmgr_data d;
	int ret = sm_list_slice_args(s, &d);

	if (ret)
		return ret;
	return sm_list_in(list, SYNCMGR_IOC_ASSIGN, &d, vals, n);
}

int sm_list_del_slice(int list, const struct sm_slice *s)
{
	struct syncmgr_data d;
	int ret = sm_list_slice_args(s, &d);

	if (ret)
		return ret;
	return sm__data_plain(list, SYNCMGR_IOC_DELETE, &d);
}

int sm_list_pop(int list, int64_t index, struct sm_value *out,
		struct sm_buf *buf)
{
	return sm_list_one_out(list, SYNCMGR_IOC_POP, index, out, buf);
}

int sm_list_remove(int list, const struct sm_value *v)
{
	struct syncmgr_data d = { 0 };

	return sm_list_in(list, SYNCMGR_IOC_REMOVE, &d, v, 1);
}

int sm_list_index(int list, const struct sm_value *v, int64_t start,
		  int64_t stop)
{
	struct syncmgr_data d = { .start = start, .stop = stop };

	return sm_list_in(list, SYNCMGR_IOC_INDEX, &d, v, 1);
}

int sm_list_count(int list, const struct sm_value *v)
{
	struct syncmgr_data d = { 0 };

	return sm_list_in(list, SYNCMGR_IOC_COUNT, &d, v, 1);
}

int sm_list_contains(int list, const struct sm_value *v)
{
	struct syncmgr_data d = { 0 };

	return sm_list_in(list, SYNCMGR_IOC_CONTAINS, &d, v, 1);
}

int sm_list_reverse(int list)
{
	return sm__data_cmd(list, SYNCMGR_IOC_REVERSE);
}

int sm_list_sort(int list, int reverse)
{
	struct syncmgr_data d = { .flags = reverse ? SYNCMGR_DATA_REVERSE : 0 };

	return sm__data_plain(list, SYNCMGR_IOC_SORT, &d);
}

/* n <= 0 empties the list; a huge n fails in the kernel (-E2BIG). */
int sm_list_repeat(int list, int64_t n)
{
	struct syncmgr_data d = { 0 };

	if (n <= 0)
		d.count = 0;
	else
		d.count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	return sm__data_plain(list, SYNCMGR_IOC_REPEAT, &d);
}

int sm_list_clear(int list)
{
	return sm__data_cmd(list, SYNCMGR_IOC_CLEAR_ALL);
}

int sm_list_copy(int list)
{
	return sm__data_cmd(list, SYNCMGR_IOC_COPY);
}
