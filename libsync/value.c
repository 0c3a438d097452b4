// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Value and Array: a shared typed value, and a fixed-length shared array
 * of numbers, with atomic add and compare-and-swap.  The kernel has no
 * FPU, so adding a double to a Value is a compare-and-swap loop here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

/* Room for one scalar value (header only). */
#define SM_SCALAR_SIZE	SYNCMGR_VALUE_SIZE(0)

static int sm_create_typed(unsigned int type, int typecode,
			   unsigned int value, unsigned int flags)
{
	struct syncmgr_create args;

	if (typecode < 0)
		return -EINVAL;
	memset(&args, 0, sizeof(args));
	args.type = type;
	args.flags = flags;
	args.value = value;
	args.typecode = (uint32_t)typecode;
	return sm__create_args(&args);
}

/*
 * A handle just created, and ret what setting its initial contents
 * returned: the handle, or the error with the handle closed.
 */
static int sm_created(int handle, int ret)
{
	if (ret < 0) {
		close(handle);
		return ret;
	}
	return handle;
}

/* STATE.max carries the typecode of both types. */
static int sm_typecode_of(int handle, unsigned int type)
{
	struct syncmgr_state st;
	int ret = sm__state_of(handle, SM_TYPE_BIT(type), &st);

	return ret < 0 ? ret : (int)st.max;
}

/*
 * One data ioctl on one element (index; 0 for a Value) with nin values in
 * and one value out, decoded whatever the ioctl returned (CMPXCHG returns
 * 0 with the value found).  buf NULL: a scalar is expected, on the stack.
 */
static int sm_element(int handle, unsigned long cmd, int64_t index,
		      const struct sm_value *in, unsigned int nin,
		      struct sm_buf *buf, struct sm_value *out)
{
	uint64_t stack[SM_SCALAR_SIZE / sizeof(uint64_t)];
	struct sm_buf own = { stack, sizeof(stack), 0 };
	struct syncmgr_data d;
	int ret, n;

	if (!buf)
		buf = &own;
	memset(&d, 0, sizeof(d));
	d.start = index;
	d.count = nin;
	ret = sm__data(handle, cmd, &d, in, nin, buf, NULL, 0);
	if (ret >= 0 && out) {
		n = sm_values_decode(buf->data, d.out_size, out, 1);
		if (n < 0)
			return n;
	}
	return ret;
}

/* An INT or BOOL (old) as an int64; the kernel returns nothing else here. */
static int64_t sm_as_int(const struct sm_value *v)
{
	return v->type == SYNCMGR_VAL_BOOL ? v->b : v->i;
}

/*
 * STORE and ADD at index by the data ioctls: an Array's element, and a
 * Value's contents (index 0) when SCALAR_STORE/ADD cannot serve.  ADD:
 * *old (may be NULL) is the element before.
 */
static int sm_store_at(int handle, int64_t index, const struct sm_value *v)
{
	struct syncmgr_data d;

	memset(&d, 0, sizeof(d));
	d.start = index;
	return sm__data_in(handle, SYNCMGR_IOC_STORE, &d, v, 1);
}

static int sm_add_at(int handle, int64_t index, int64_t delta, int64_t *old)
{
	struct sm_value in = sm_int(delta), prev;
	int ret = sm_element(handle, SYNCMGR_IOC_ADD, index, &in, 1, NULL,
			     &prev);

	if (ret < 0)
		return ret;
	if (old)
		*old = sm_as_int(&prev);
	return 0;
}

/* ---- Value ---- */

int sm_value_create(int typecode, const struct sm_value *initial,
		    unsigned int flags)
{
	int v = sm_create_typed(SYNCMGR_TYPE_VALUE, typecode, 0, flags);

	if (v < 0 || !initial)
		return v;
	return sm_created(v, sm_value_set(v, initial));
}

int sm_value_typecode(int v)
{
	return sm_typecode_of(v, SYNCMGR_TYPE_VALUE);
}

/*
 * The numbers go through SCALAR_LOAD/STORE/ADD (one 16-byte struct) when
 * the module has them (SYNCMGR_FEAT_SCALAR, asked once); else the general
 * data ioctls serve.  ENOTTY from one fd says nothing about the module.
 */
static int sm_scalar_have = -1;		/* -1: not asked yet */

static int sm_scalar(int v, unsigned long cmd, struct syncmgr_value *val)
{
	int have = __atomic_load_n(&sm_scalar_have, __ATOMIC_RELAXED);
	struct syncmgr_version ver;

	if (have < 0) {
		have = !sm_version(&ver) && (ver.features & SYNCMGR_FEAT_SCALAR);
		__atomic_store_n(&sm_scalar_have, have, __ATOMIC_RELAXED);
	}
	return have ? sm__ioctl(v, cmd, val) : -ENOTTY;
}

static bool sm_is_number(const struct sm_value *val)
{
	return val->type == SYNCMGR_VAL_NONE || val->type == SYNCMGR_VAL_BOOL ||
	       val->type == SYNCMGR_VAL_INT || val->type == SYNCMGR_VAL_DOUBLE;
}

/*
 * A scalar needs no buffer of the caller's (buf may be NULL).  A Value
 * holding a payload type answers SCALAR_LOAD with EMSGSIZE: then LOAD.
 */
int sm_value_get(int v, struct sm_value *out, struct sm_buf *buf)
{
	struct syncmgr_value h;
	int ret = sm_scalar(v, SYNCMGR_IOC_SCALAR_LOAD, &h);

	if (!ret)
		return sm_values_decode(&h, sizeof(h), out, 1) < 0 ? -EINVAL : 0;
	if (ret != -ENOTTY && ret != -EMSGSIZE)
		return ret;
	return sm__one(sm_element(v, SYNCMGR_IOC_LOAD, 0, NULL, 0, buf, out));
}

int sm_value_set(int v, const struct sm_value *val)
{
	struct syncmgr_value h;
	int ret;

	if (sm_is_number(val) &&
	    sm_values_encode(&h, sizeof(h), val, 1) == (int)sizeof(h)) {
		ret = sm_scalar(v, SYNCMGR_IOC_SCALAR_STORE, &h);
		if (ret != -ENOTTY)
			return ret;
	}
	return sm_store_at(v, 0, val);
}

int sm_value_add(int v, int64_t delta, int64_t *old)
{
	struct syncmgr_value h = { .type = SYNCMGR_VAL_INT,
				   .data = (uint64_t)delta };
	struct sm_value prev;
	int ret = sm_scalar(v, SYNCMGR_IOC_SCALAR_ADD, &h);

	if (ret == -ENOTTY)
		return sm_add_at(v, 0, delta, old);
	if (ret < 0)
		return ret;
	if (sm_values_decode(&h, sizeof(h), &prev, 1) < 0)
		return -EINVAL;
	if (old)
		*old = sm_as_int(&prev);
	return 0;
}

int sm_value_cas(int v, const struct sm_value *expected,
		 const struct sm_value *desired, struct sm_value *found,
		 struct sm_buf *buf)
{
	struct sm_value in[2] = { *expected, *desired };

	return sm_element(v, SYNCMGR_IOC_CMPXCHG, 0, in, 2, buf, found);
}

/* A number as a double, as Python's float + does; -EINVAL otherwise. */
static int sm_as_double(const struct sm_value *v, double *x)
{
	switch (v->type) {
	case SYNCMGR_VAL_DOUBLE:
		*x = v->d;
		return 0;
	case SYNCMGR_VAL_INT:
	case SYNCMGR_VAL_BOOL:
		*x = (double)sm_as_int(v);
		return 0;
	}
	return -EINVAL;
}

/*
 * value += delta for a double: read, add here, store with CMPXCHG if the
 * value is still what was read; else retry with the value found.  CMPXCHG
 * compares as Python does, so "still what was read" is numeric equality:
 * a value replaced meanwhile by an equal number (1 by 1.0, 0.0 by -0.0)
 * still takes the sum.  A NaN equals nothing, so it could never be
 * swapped: NaN + delta is NaN, the value stays as it is.
 */
int sm_value_add_double(int v, double delta, double *old)
{
	struct sm_value cur, sum;
	double x;
	int ret = sm_value_get(v, &cur, NULL);

	for (;;) {
		if (ret == -EMSGSIZE)
			return -EINVAL;		/* not a number */
		if (ret < 0)
			return ret;
		ret = sm_as_double(&cur, &x);
		if (ret)
			return ret;
		if (x != x)
			break;
		sum = sm_double(x + delta);
		ret = sm_value_cas(v, &cur, &sum, &cur, NULL);
		if (ret == 1)
			break;
	}
	if (old)
		*old = x;
	return 0;
}

/* ---- Array ---- */

int sm_array_create(int typecode, const struct sm_value *init,
		    unsigned int n, unsigned int flags)
{
	struct sm_slice all = { 0, 0, 1, SYNCMGR_DATA_NO_START |
					 SYNCMGR_DATA_NO_STOP };
	int a = sm_create_typed(SYNCMGR_TYPE_ARRAY, typecode, n, flags);

	if (a < 0 || !init || !n)
		return a;
	return sm_created(a, sm_array_set_slice(a, &all, init, n));
}

int sm_array_typecode(int a)
{
	return sm_typecode_of(a, SYNCMGR_TYPE_ARRAY);
}

int sm_array_len(int a)
{
	return sm__data_cmd(a, SYNCMGR_IOC_LEN);
}

int sm_array_get(int a, int64_t index, struct sm_value *out)
{
	return sm__one(sm_element(a, SYNCMGR_IOC_LOAD, index, NULL, 0, NULL,
				  out));
}

int sm_array_set(int a, int64_t index, const struct sm_value *v)
{
	return sm_store_at(a, index, v);
}

int sm_array_get_slice(int a, const struct sm_slice *s, struct sm_value *out,
		       unsigned int max)
{
	struct syncmgr_data d;
	struct sm_buf buf;
	int ret = sm__slice(s, &d);

	if (ret)
		return ret;
	if (!max)
		return 0;
	if (max > INT32_MAX / SM_SCALAR_SIZE)
		max = INT32_MAX / SM_SCALAR_SIZE;
	buf.size = (size_t)max * SM_SCALAR_SIZE;
	buf.data = malloc(buf.size);
	if (!buf.data)
		return -ENOMEM;
	ret = sm__data(a, SYNCMGR_IOC_LOAD, &d, NULL, 0, &buf, out, max);
	free(buf.data);
	return ret;
}

int sm_array_set_slice(int a, const struct sm_slice *s,
		       const struct sm_value *v, unsigned int n)
{
	struct syncmgr_data d;
	int ret = sm__slice(s, &d);

	if (ret)
		return ret;
	return sm__data_in(a, SYNCMGR_IOC_STORE, &d, v, n);
}

int sm_array_add(int a, int64_t index, int64_t delta, int64_t *old)
{
	return sm_add_at(a, index, delta, old);
}

int sm_array_cas(int a, int64_t index, int64_t expected, int64_t desired,
		 int64_t *found)
{
	struct sm_value in[2] = { sm_int(expected), sm_int(desired) }, prev;
	int ret = sm_element(a, SYNCMGR_IOC_CMPXCHG, index, in, 2, NULL, &prev);

	if (ret >= 0 && found)
		*found = prev.i;
	return ret;
}
