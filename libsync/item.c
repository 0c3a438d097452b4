// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Typed values: laying struct sm_value out as the ABI's batches and
 * reading them back, and the one helper every data ioctl goes through.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int sm_has_payload(int type)
{
	return type == SYNCMGR_VAL_BYTES || type == SYNCMGR_VAL_STR ||
	       type == SYNCMGR_VAL_BLOB || type == SYNCMGR_VAL_BIGINT;
}

static int sm_is_tree(int type)
{
	return (type >= SYNCMGR_VAL_TUPLE && type <= SYNCMGR_VAL_FROZENSET) ||
	       type == SYNCMGR_VAL_TAGGED;
}

/*
 * The payload bytes of v: its buffer, a tree's encoded bytes, or (a tree
 * given as an array) what its elements take, SIZE_MAX if it nests deeper
 * than SYNCMGR_MAX_TREE_DEPTH.
 */
static size_t sm_values_size_at(const struct sm_value *v, unsigned int n,
				unsigned int depth);

static size_t sm_payload_size(const struct sm_value *v, unsigned int depth)
{
	if (sm_has_payload(v->type))
		return v->buf.len;
	if (!sm_is_tree(v->type))
		return 0;
	if (v->tree.len)
		return v->tree.len;
	if (depth >= SYNCMGR_MAX_TREE_DEPTH || (v->tree.n && !v->tree.ptr))
		return SIZE_MAX;
	return sm_values_size_at(v->tree.ptr, v->tree.n, depth + 1);
}

static size_t sm_values_size_at(const struct sm_value *v, unsigned int n,
				unsigned int depth)
{
	size_t size = 0, len;

	for (unsigned int i = 0; i < n; i++) {
		len = sm_payload_size(&v[i], depth);
		if (len > UINT32_MAX)
			return SIZE_MAX;
		size += SYNCMGR_VALUE_SIZE(len);
		if (size > UINT32_MAX)
			return SIZE_MAX;
	}
	return size;
}

size_t sm_values_size(const struct sm_value *v, unsigned int n)
{
	return sm_values_size_at(v, n, 0);
}

/* The ABI header of v; its payload, if any, follows it. */
static int sm_value_header(const struct sm_value *v, struct syncmgr_value *h,
			   unsigned int depth)
{
	size_t len;

	memset(h, 0, sizeof(*h));
	h->type = (uint16_t)v->type;
	switch (v->type) {
	case SYNCMGR_VAL_NONE:
		return 0;
	case SYNCMGR_VAL_BOOL:
		h->data = !!v->b;
		return 0;
	case SYNCMGR_VAL_INT:
		h->data = (uint64_t)v->i;
		return 0;
	case SYNCMGR_VAL_DOUBLE:
		memcpy(&h->data, &v->d, sizeof(h->data));
		return 0;
	case SYNCMGR_VAL_HANDLE:
		h->data = (uint32_t)v->handle;
		return 0;
	case SYNCMGR_VAL_BYTES:
	case SYNCMGR_VAL_STR:
	case SYNCMGR_VAL_BLOB:
	case SYNCMGR_VAL_BIGINT:
		if (v->buf.len && !v->buf.ptr)
			return -EINVAL;
		h->len = v->buf.len;
		return 0;
	case SYNCMGR_VAL_TUPLE:
	case SYNCMGR_VAL_LIST:
	case SYNCMGR_VAL_FROZENSET:
	case SYNCMGR_VAL_DICT:
	case SYNCMGR_VAL_TAGGED:
		if ((v->type == SYNCMGR_VAL_DICT && v->tree.n % 2) ||
		    (v->type == SYNCMGR_VAL_TAGGED && v->tree.n != 2) ||
		    (v->tree.len && !v->tree.ptr) || (v->tree.len % 8))
			return -EINVAL;
		len = sm_payload_size(v, depth);
		if (len > UINT32_MAX)
			return -EINVAL;
		h->len = (uint32_t)len;
		h->data = v->type == SYNCMGR_VAL_TAGGED ? 0 :
			  v->type == SYNCMGR_VAL_DICT ? v->tree.n / 2 : v->tree.n;
		return 0;
	}
	return -EINVAL;
}

/* Lay n values out at p (room checked); returns the bytes or -errno. */
static long sm_encode_at(char *p, const struct sm_value *v, unsigned int n,
			 unsigned int depth)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct syncmgr_value h;
		int ret = sm_value_header(&v[i], &h, depth);
		size_t padded = SYNCMGR_VALUE_SIZE(h.len) - sizeof(h);
		long sub;

		if (ret)
			return ret;
		memcpy(p + pos, &h, sizeof(h));
		pos += sizeof(h);
		memset(p + pos, 0, padded);
		if (sm_is_tree(v[i].type) && !v[i].tree.len) {
			sub = sm_encode_at(p + pos, v[i].tree.ptr, v[i].tree.n,
					   depth + 1);
			if (sub < 0)
				return sub;
		} else if (h.len) {
			memcpy(p + pos, v[i].buf.ptr, h.len);
		}
		pos += padded;
	}
	return (long)pos;
}

int sm_values_encode(void *buf, size_t size, const struct sm_value *v,
		     unsigned int n)
{
	size_t need = sm_values_size(v, n);
	long ret;

	if (need == SIZE_MAX) {
		/* Too deep, a NULL array, or over 4 GiB: say which. */
		for (unsigned int i = 0; i < n; i++)
			if (sm_payload_size(&v[i], 0) > UINT32_MAX &&
			    sm_is_tree(v[i].type))
				return -EINVAL;
		return -E2BIG;
	}
	if (need > size)
		return -EMSGSIZE;
	if (need > INT32_MAX)
		return -E2BIG;
	ret = sm_encode_at(buf, v, n, 0);
	return (int)ret;
}

/* How many values a composite header's payload holds. */
static uint32_t sm_tree_values(const struct syncmgr_value *h)
{
	if (h->type == SYNCMGR_VAL_TAGGED)
		return 2;
	return (uint32_t)(h->type == SYNCMGR_VAL_DICT ? 2 * h->data : h->data);
}

static void sm_value_of(const struct syncmgr_value *h, const char *payload,
			struct sm_value *v)
{
	memset(v, 0, sizeof(*v));
	v->type = h->type;
	switch (h->type) {
	case SYNCMGR_VAL_BOOL:
		v->b = (int)h->data;
		break;
	case SYNCMGR_VAL_INT:
		v->i = (int64_t)h->data;
		break;
	case SYNCMGR_VAL_DOUBLE:
		memcpy(&v->d, &h->data, sizeof(v->d));
		break;
	case SYNCMGR_VAL_HANDLE:
		v->handle = (int)(uint32_t)h->data;
		break;
	case SYNCMGR_VAL_TUPLE:
	case SYNCMGR_VAL_LIST:
	case SYNCMGR_VAL_DICT:
	case SYNCMGR_VAL_FROZENSET:
	case SYNCMGR_VAL_TAGGED:
		v->tree.ptr = payload;
		v->tree.len = h->len;
		v->tree.n = sm_tree_values(h);
		break;
	default:
		v->buf.ptr = payload;
		v->buf.len = h->len;
	}
}

int sm_values_decode(const void *buf, size_t size, struct sm_value *v,
		     unsigned int n)
{
	const char *p = buf;
	size_t pos = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct syncmgr_value h;

		if (size - pos < sizeof(h))
			return -EINVAL;
		memcpy(&h, p + pos, sizeof(h));
		if (SYNCMGR_VALUE_SIZE(h.len) > size - pos)
			return -EINVAL;
		sm_value_of(&h, p + pos + sizeof(h), &v[i]);
		pos += SYNCMGR_VALUE_SIZE(h.len);
	}
	return (int)n;
}

/* Visit n values in [p, p + size) at depth: exactly n, nothing after. */
static int sm_walk_at(const char *p, size_t size, unsigned int n,
		      unsigned int depth,
		      int (*fn)(const struct sm_value *v, unsigned int depth,
				void *arg),
		      void *arg)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct syncmgr_value h;
		struct sm_value v;
		int ret;

		if (size - pos < sizeof(h))
			return -EINVAL;
		memcpy(&h, p + pos, sizeof(h));
		if (SYNCMGR_VALUE_SIZE(h.len) > size - pos)
			return -EINVAL;
		sm_value_of(&h, p + pos + sizeof(h), &v);
		ret = fn(&v, depth, arg);
		if (ret < 0)
			return ret;
		if (ret == 0 && sm_is_tree(h.type)) {
			if (depth >= SYNCMGR_MAX_TREE_DEPTH ||
			    (h.type == SYNCMGR_VAL_DICT && h.data > UINT32_MAX / 2) ||
			    h.data > UINT32_MAX)
				return -EINVAL;
			ret = sm_walk_at(v.tree.ptr, h.len, v.tree.n, depth + 1,
					 fn, arg);
			if (ret)
				return ret;
		}
		pos += SYNCMGR_VALUE_SIZE(h.len);
	}
	return depth && pos != size ? -EINVAL : 0;
}

int sm_values_walk(const void *buf, size_t size, unsigned int n,
		   int (*fn)(const struct sm_value *v, unsigned int depth,
			     void *arg),
		   void *arg)
{
	if (!fn)
		return -EINVAL;
	return sm_walk_at(buf, size, n, 0, fn, arg);
}

int sm__slice(const struct sm_slice *s, struct syncmgr_data *d)
{
	if (!s->step)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->start = (s->flags & SYNCMGR_DATA_NO_START) ? 0 : s->start;
	d->stop = (s->flags & SYNCMGR_DATA_NO_STOP) ? 0 : s->stop;
	d->step = s->step;
	d->flags = s->flags;
	return 0;
}

/* Values going in: on the stack when small, else on the heap. */
#define SM_STACK_BATCH	512

int sm__data(int handle, unsigned long cmd, struct syncmgr_data *d,
	     const struct sm_value *in, unsigned int nin, struct sm_buf *buf,
	     struct sm_value *out, unsigned int nout)
{
	uint64_t stack[SM_STACK_BATCH / sizeof(uint64_t)];
	size_t in_size = sm_values_size(in, nin);
	void *inbuf = stack;
	int ret, n;

	if (in_size == SIZE_MAX)	/* too deep (EINVAL) or too big */
		return sm_values_encode(NULL, 0, in, nin);
	if (in_size > UINT32_MAX)
		return -E2BIG;
	if (in_size > sizeof(stack)) {
		inbuf = malloc(in_size);
		if (!inbuf)
			return -ENOMEM;
	}
	ret = sm_values_encode(inbuf, in_size, in, nin);
	if (ret < 0)
		goto out;
	d->in = nin ? (uintptr_t)inbuf : 0;
	d->in_size = (uint32_t)in_size;
	if (buf) {
		d->out = (uintptr_t)buf->data;
		d->out_size = buf->size > UINT32_MAX ? UINT32_MAX :
						       (uint32_t)buf->size;
		buf->needed = 0;
	}
	ret = sm__ioctl(handle, cmd, d);
	if (ret == -EMSGSIZE && buf)
		buf->needed = d->needed;
	if (ret > 0 && buf && out) {
		n = sm_values_decode(buf->data, d->out_size, out,
				     (unsigned int)ret < nout ? (unsigned int)ret :
								nout);
		if (n < 0)
			ret = n;
	}
out:
	if (inbuf != stack)
		free(inbuf);
	return ret;
}

int sm__data_cmd(int handle, unsigned long cmd)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	return sm__data_plain(handle, cmd, &d);
}
