// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Queue: Python's queue.Queue and JoinableQueue of typed values, shared
 * between processes.  Full and Empty are -EAGAIN for the _nowait forms and
 * -ETIMEDOUT for a wait that ran out of time.
 */
#include <string.h>

#include "internal.h"

int sm_queue_create(unsigned int maxsize, unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_QUEUE, flags, maxsize, 0, 0);
}

static int sm_queue_put_raw(int q, const struct sm_value *v, unsigned int n,
			    uint64_t deadline, unsigned int flags)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	d.deadline = deadline;
	d.flags = flags;
	return sm__data_in(q, SYNCMGR_IOC_PUT, &d, v, n);
}

static int sm_queue_get_raw(int q, struct sm_value *out, unsigned int max,
			    struct sm_buf *buf, uint64_t deadline,
			    unsigned int flags)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	d.count = max;
	d.deadline = deadline;
	d.flags = flags;
	return sm__data(q, SYNCMGR_IOC_GET, &d, NULL, 0, buf, out, max);
}

int sm_queue_put_many_until(int q, const struct sm_value *v, unsigned int n,
			    uint64_t deadline)
{
	return sm_queue_put_raw(q, v, n, deadline, 0);
}

int sm_queue_put_many(int q, const struct sm_value *v, unsigned int n,
		      int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	return sm_queue_put_many_until(q, v, n, deadline);
}

int sm_queue_put_until(int q, const struct sm_value *v, uint64_t deadline)
{
	return sm__one(sm_queue_put_raw(q, v, 1, deadline, 0));
}

int sm_queue_put(int q, const struct sm_value *v, int64_t timeout_ns)
{
	return sm__one(sm_queue_put_many(q, v, 1, timeout_ns));
}

int sm_queue_put_nowait(int q, const struct sm_value *v)
{
	return sm__one(sm_queue_put_raw(q, v, 1, 0, SYNCMGR_DATA_NOWAIT));
}

int sm_queue_get_many_until(int q, struct sm_value *out, unsigned int max,
			    struct sm_buf *buf, uint64_t deadline)
{
	return sm_queue_get_raw(q, out, max, buf, deadline, 0);
}

int sm_queue_get_many(int q, struct sm_value *out, unsigned int max,
		      struct sm_buf *buf, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	return sm_queue_get_many_until(q, out, max, buf, deadline);
}

int sm_queue_get_until(int q, struct sm_value *out, struct sm_buf *buf,
		       uint64_t deadline)
{
	return sm__one(sm_queue_get_raw(q, out, 1, buf, deadline, 0));
}

int sm_queue_get(int q, struct sm_value *out, struct sm_buf *buf,
		 int64_t timeout_ns)
{
	return sm__one(sm_queue_get_many(q, out, 1, buf, timeout_ns));
}

int sm_queue_get_nowait(int q, struct sm_value *out, struct sm_buf *buf)
{
	return sm__one(sm_queue_get_raw(q, out, 1, buf, 0,
					SYNCMGR_DATA_NOWAIT));
}

static int sm_queue_state(int q, struct syncmgr_state *st)
{
	return sm__state_of(q, SM_TYPE_BIT(SYNCMGR_TYPE_QUEUE), st);
}

/* STATE.value (maxsize: STATE.max) as an int, or -errno. */
static int sm_queue_size(int q, int maxsize)
{
	struct syncmgr_state st;
	int ret = sm_queue_state(q, &st);

	if (ret < 0)
		return ret;
	return sm__count_result(maxsize ? st.max : st.value);
}

int sm_queue_qsize(int q)
{
	return sm_queue_size(q, 0);
}

int sm_queue_maxsize(int q)
{
	return sm_queue_size(q, 1);
}

int sm_queue_empty(int q)
{
	int ret = sm_queue_qsize(q);

	return ret < 0 ? ret : ret == 0;
}

/* Python: 0 < maxsize <= qsize(); one snapshot gives both. */
int sm_queue_full(int q)
{
	struct syncmgr_state st;
	int ret = sm_queue_state(q, &st);

	if (ret < 0)
		return ret;
	return st.max && st.value >= st.max;
}

int sm_queue_task_done(int q)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	d.count = 1;
	return sm__data_plain(q, SYNCMGR_IOC_TASK_DONE, &d);
}

int sm_queue_join_until(int q, uint64_t deadline)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	d.deadline = deadline;
	return sm__data_plain(q, SYNCMGR_IOC_JOIN, &d);
}

int sm_queue_join(int q, int64_t timeout_ns)
{
	uint64_t deadline;
	int ret = sm__deadline_of(timeout_ns, &deadline);

	if (ret)
		return ret;
	return sm_queue_join_until(q, deadline);
}
