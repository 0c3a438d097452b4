// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dict and Namespace: insertion-ordered maps of typed values kept by the
 * kernel.  Every call is one data ioctl through sm__data(); what Python
 * does in the proxy (get's and pop's default) is done here.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

int sm_dict_create(unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_DICT, flags, 0, 0, 0);
}

int sm_ns_create(unsigned int flags)
{
	return sm__create(SYNCMGR_TYPE_NAMESPACE, flags, 0, 0, 0);
}

/* One data ioctl with nin values in and up to nout values out. */
static int sm_dict_call(int dict, unsigned long cmd, const struct sm_value *in,
			unsigned int nin, struct sm_value *out,
			unsigned int nout, struct sm_buf *buf)
{
	struct syncmgr_data d;

	if (nout && (!out || !buf))
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.count = nin;
	return sm__data(dict, cmd, &d, in, nin, nout ? buf : NULL, out, nout);
}

/* The value of key, through cmd (LOOKUP, POP): 0 or -errno. */
static int sm_dict_value_of(int dict, unsigned long cmd,
			    const struct sm_value *key, struct sm_value *out,
			    struct sm_buf *buf)
{
	if (!key)
		return -EINVAL;
	return sm__one(sm_dict_call(dict, cmd, key, 1, out, 1, buf));
}

/* The same, but a missing key gives the default: 1, *out = *dflt. */
static int sm_dict_value_or(int dict, unsigned long cmd,
			    const struct sm_value *key,
			    const struct sm_value *dflt, struct sm_value *out,
			    struct sm_buf *buf)
{
	int ret;

	if (!dflt || !out)
		return -EINVAL;
	ret = sm_dict_value_of(dict, cmd, key, out, buf);
	if (ret != -ENOENT)
		return ret;
	*out = *dflt;
	return 1;
}

int sm_dict_get(int dict, const struct sm_value *key, struct sm_value *out,
		struct sm_buf *buf)
{
	return sm_dict_value_of(dict, SYNCMGR_IOC_LOOKUP, key, out, buf);
}

int sm_dict_get_default(int dict, const struct sm_value *key,
			const struct sm_value *dflt, struct sm_value *out,
			struct sm_buf *buf)
{
	return sm_dict_value_or(dict, SYNCMGR_IOC_LOOKUP, key, dflt, out, buf);
}

int sm_dict_set(int dict, const struct sm_value *key,
		const struct sm_value *value)
{
	struct sm_value kv[2];

	if (!key || !value)
		return -EINVAL;
	kv[0] = *key;
	kv[1] = *value;
	return sm_dict_call(dict, SYNCMGR_IOC_ASSIGN, kv, 2, NULL, 0, NULL);
}

int sm_dict_del(int dict, const struct sm_value *key)
{
	if (!key)
		return -EINVAL;
	return sm_dict_call(dict, SYNCMGR_IOC_DELETE, key, 1, NULL, 0, NULL);
}

int sm_dict_contains(int dict, const struct sm_value *key)
{
	if (!key)
		return -EINVAL;
	return sm_dict_call(dict, SYNCMGR_IOC_CONTAINS, key, 1, NULL, 0, NULL);
}

int sm_dict_len(int dict)
{
	return sm__data_cmd(dict, SYNCMGR_IOC_LEN);
}

int sm_dict_pop(int dict, const struct sm_value *key, struct sm_value *out,
		struct sm_buf *buf)
{
	return sm_dict_value_of(dict, SYNCMGR_IOC_POP, key, out, buf);
}

int sm_dict_pop_default(int dict, const struct sm_value *key,
			const struct sm_value *dflt, struct sm_value *out,
			struct sm_buf *buf)
{
	return sm_dict_value_or(dict, SYNCMGR_IOC_POP, key, dflt, out, buf);
}

int sm_dict_popitem(int dict, struct sm_value *key_out,
		    struct sm_value *value_out, struct sm_buf *buf)
{
	struct sm_value kv[2];
	int ret;

	if (!key_out || !value_out)
		return -EINVAL;
	ret = sm_dict_call(dict, SYNCMGR_IOC_POPITEM, NULL, 0, kv, 2, buf);
	if (ret < 0)
		return ret;
	*key_out = kv[0];
	*value_out = kv[1];
	return 0;
}

int sm_dict_setdefault(int dict, const struct sm_value *key,
		       const struct sm_value *dflt, struct sm_value *out,
		       struct sm_buf *buf)
{
	struct sm_value kv[2];

	if (!key || !dflt)
		return -EINVAL;
	kv[0] = *key;
	kv[1] = *dflt;
	return sm__one(sm_dict_call(dict, SYNCMGR_IOC_SETDEFAULT, kv, 2, out, 1,
				    buf));
}

int sm_dict_update(int dict, const struct sm_value *pairs, unsigned int npairs)
{
	if (!npairs)
		return 0;
	if (!pairs || npairs > UINT32_MAX / 2)
		return -EINVAL;
	return sm_dict_call(dict, SYNCMGR_IOC_UPDATE, pairs, 2 * npairs,
			    NULL, 0, NULL);
}

int sm_dict_clear(int dict)
{
	return sm__data_cmd(dict, SYNCMGR_IOC_CLEAR_ALL);
}

int sm_dict_copy(int dict)
{
	return sm__data_cmd(dict, SYNCMGR_IOC_COPY);
}

/* A page from *cursor on, at *version if version (see sm__at). */
static int sm_dict_page(int dict, unsigned int what, uint64_t *cursor,
			uint64_t *version, struct sm_value *out,
			unsigned int max, struct sm_buf *buf)
{
	unsigned int per = !!(what & SM_DICT_KEYS) + !!(what & SM_DICT_VALUES);
	struct syncmgr_data d;
	int ret, n;

	if (!cursor || !out || !buf || !per || max < per ||
	    (what & ~(SM_DICT_KEYS | SM_DICT_VALUES)))
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.flags = what;
	if (version && sm__at(&d, version))
		return -EINVAL;
	d.cursor = *cursor;
	d.count = max / per;
	ret = sm__data(dict, SYNCMGR_IOC_ITER, &d, NULL, 0, buf, NULL, 0);
	if (version)
		sm__at_done(ret, &d, version);
	if (ret < 0)
		return ret;
	n = sm_values_decode(buf->data, d.out_size, out, (unsigned int)ret * per);
	if (n < 0)
		return n;
	*cursor = d.cursor;
	return ret;
}

int sm_dict_iter(int dict, unsigned int what, uint64_t *cursor,
		 struct sm_value *out, unsigned int max, struct sm_buf *buf)
{
	return sm_dict_page(dict, what, cursor, NULL, out, max, buf);
}

int sm_dict_iter_at(int dict, unsigned int what, uint64_t *cursor,
		    uint64_t *version, struct sm_value *out, unsigned int max,
		    struct sm_buf *buf)
{
	if (!version)
		return -EINVAL;
	return sm_dict_page(dict, what, cursor, version, out, max, buf);
}

int sm_dict_version(int dict, uint64_t *version)
{
	return sm__len_version(dict, version);
}

int sm_ns_get(int ns, const char *name, struct sm_value *out,
	      struct sm_buf *buf)
{
	struct sm_value key;

	if (!name)
		return -EINVAL;
	key = sm_str(name);
	return sm_dict_get(ns, &key, out, buf);
}

int sm_ns_set(int ns, const char *name, const struct sm_value *value)
{
	struct sm_value key;

	if (!name)
		return -EINVAL;
	key = sm_str(name);
	return sm_dict_set(ns, &key, value);
}

int sm_ns_del(int ns, const char *name)
{
	struct sm_value key;

	if (!name)
		return -EINVAL;
	key = sm_str(name);
	return sm_dict_del(ns, &key);
}

int sm_ns_list(int ns, uint64_t *cursor, struct sm_value *names,
	       unsigned int max, struct sm_buf *buf)
{
	return sm_dict_iter(ns, SM_DICT_KEYS, cursor, names, max, buf);
}
