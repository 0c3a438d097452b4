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
	       type == SYNCMGR_VAL_BLOB;
}

size_t sm_values_size(const struct sm_value *v, unsigned int n)
{
	size_t size = 0;

	for (unsigned int i = 0; i < n; i++)
		size += SYNCMGR_VALUE_SIZE(sm_has_payload(v[i].type) ?
					   v[i].buf.len : 0);
	return size;
}

/* The ABI header of v; its payload, if any, follows it. */
static int sm_value_header(const struct sm_value *v, struct syncmgr_value *h)
{
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
		if (v->buf.len && !v->buf.ptr)
			return -EINVAL;
		h->len = v->buf.len;
		return 0;
	}
	return -EINVAL;
}

int sm_values_encode(void *buf, size_t size, const struct sm_value *v,
		     unsigned int n)
{
	size_t need = sm_values_size(v, n), pos = 0;
	char *p = buf;

	if (need > size)
		return -EMSGSIZE;
	if (need > INT32_MAX)
		return -E2BIG;
	for (unsigned int i = 0; i < n; i++) {
		struct syncmgr_value h;
		int ret = sm_value_header(&v[i], &h);
		size_t padded = SYNCMGR_VALUE_SIZE(h.len) - sizeof(h);

		if (ret)
			return ret;
		memcpy(p + pos, &h, sizeof(h));
		pos += sizeof(h);
		memset(p + pos, 0, padded);
		if (h.len)
			memcpy(p + pos, v[i].buf.ptr, h.len);
		pos += padded;
	}
	return (int)pos;
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
		memset(&v[i], 0, sizeof(v[i]));
		v[i].type = h.type;
		switch (h.type) {
		case SYNCMGR_VAL_BOOL:
			v[i].b = (int)h.data;
			break;
		case SYNCMGR_VAL_INT:
			v[i].i = (int64_t)h.data;
			break;
		case SYNCMGR_VAL_DOUBLE:
			memcpy(&v[i].d, &h.data, sizeof(v[i].d));
			break;
		case SYNCMGR_VAL_HANDLE:
			v[i].handle = (int)(uint32_t)h.data;
			break;
		default:
			v[i].buf.ptr = p + pos + sizeof(h);
			v[i].buf.len = h.len;
		}
		pos += SYNCMGR_VALUE_SIZE(h.len);
	}
	return (int)n;
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
