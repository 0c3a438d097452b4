// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * abi_probe: what the C compiler makes of the headers that the Python
 * package mirrors by hand in python/syncmgr/_lib.py (libsync's <syncmgr.h>
 * and, through it, the uapi <linux/syncmgr.h>).  python/tests/test_abi.py
 * runs it and compares.  make tests builds it as tests/bin/python/abi_probe.
 *
 * Output, one item a line:
 *   const NAME VALUE
 *   struct NAME SIZE
 *   field STRUCT.MEMBER OFFSET SIZE KIND
 * KIND: i signed integer, u unsigned integer, f floating point, p pointer,
 * ? anything else; an array: the element's offset, size and kind, then
 * "xCOUNT" (u x2: two unsigned elements).
 */
#include <stddef.h>
#include <stdio.h>
#include <syncmgr.h>

static void const_signed(const char *name, long long v)
{
	printf("const %s %lld\n", name, v);
}

static void const_unsigned(const char *name, unsigned long long v)
{
	printf("const %s %llu\n", name, v);
}

#define CONST(n) _Generic((n),						\
	unsigned int: const_unsigned,					\
	unsigned long: const_unsigned,					\
	unsigned long long: const_unsigned,				\
	default: const_signed)(#n, (n))

#define KIND(x) _Generic((x),						\
	signed char: 'i', short: 'i', int: 'i', long: 'i', long long: 'i', \
	unsigned char: 'u', unsigned short: 'u', unsigned int: 'u',	\
	unsigned long: 'u', unsigned long long: 'u',			\
	float: 'f', double: 'f', long double: 'f',			\
	void *: 'p', const void *: 'p',					\
	default: '?')

#define MEMBER(T, m) (((struct T *)0)->m)
#define STRUCT(T) printf("struct %s %zu\n", #T, sizeof(struct T))
#define FIELD(T, m)							\
	printf("field %s.%s %zu %zu %c\n", #T, #m, offsetof(struct T, m), \
	       sizeof(MEMBER(T, m)), KIND(MEMBER(T, m)))
#define ARRAY(T, m)							\
	printf("field %s.%s %zu %zu %cx%zu\n", #T, #m,			\
	       offsetof(struct T, m), sizeof(MEMBER(T, m)[0]),		\
	       KIND(MEMBER(T, m)[0]),					\
	       sizeof(MEMBER(T, m)) / sizeof(MEMBER(T, m)[0]))

int main(void)
{
	/* libsync's own names */
	CONST(SM_FOREVER);
	CONST(SM_DEADLINE_FOREVER);
	CONST(SM_BARRIER_DEFAULT);
	CONST(SM_NO_CLOEXEC);
	CONST(SM_UNTRACKED);
	CONST(SM_BARRIER_ACTION);
	CONST(SM_DICT_KEYS);
	CONST(SM_DICT_VALUES);
	CONST(SM_DICT_ITEMS);

	/* enum syncmgr_type */
	CONST(SYNCMGR_TYPE_LOCK);
	CONST(SYNCMGR_TYPE_RLOCK);
	CONST(SYNCMGR_TYPE_SEMAPHORE);
	CONST(SYNCMGR_TYPE_BOUNDED_SEMAPHORE);
	CONST(SYNCMGR_TYPE_EVENT);
	CONST(SYNCMGR_TYPE_CONDITION);
	CONST(SYNCMGR_TYPE_BARRIER);
	CONST(SYNCMGR_TYPE_QUEUE);
	CONST(SYNCMGR_TYPE_VALUE);
	CONST(SYNCMGR_TYPE_ARRAY);
	CONST(SYNCMGR_TYPE_DICT);
	CONST(SYNCMGR_TYPE_LIST);
	CONST(SYNCMGR_TYPE_NAMESPACE);

	/* enum syncmgr_value_type */
	CONST(SYNCMGR_VAL_NONE);
	CONST(SYNCMGR_VAL_BOOL);
	CONST(SYNCMGR_VAL_INT);
	CONST(SYNCMGR_VAL_DOUBLE);
	CONST(SYNCMGR_VAL_BYTES);
	CONST(SYNCMGR_VAL_STR);
	CONST(SYNCMGR_VAL_BLOB);
	CONST(SYNCMGR_VAL_HANDLE);
	CONST(SYNCMGR_VAL_TUPLE);
	CONST(SYNCMGR_VAL_LIST);
	CONST(SYNCMGR_VAL_DICT);
	CONST(SYNCMGR_VAL_FROZENSET);
	CONST(SYNCMGR_VAL_BIGINT);
	CONST(SYNCMGR_VAL_TAGGED);

	/* flags and bits */
	CONST(SYNCMGR_DEADLINE_FOREVER);
	CONST(SYNCMGR_CREATE_NO_CLOEXEC);
	CONST(SYNCMGR_CREATE_UNTRACKED);
	CONST(SYNCMGR_CREATE_ACTION);
	CONST(SYNCMGR_STATE_OWNER_DIED);
	CONST(SYNCMGR_STATE_BROKEN);
	CONST(SYNCMGR_STATE_IN_ACTION);
	CONST(SYNCMGR_DATA_KEYS);
	CONST(SYNCMGR_DATA_VALUES);
	CONST(SYNCMGR_DATA_NO_START);
	CONST(SYNCMGR_DATA_NO_STOP);
	CONST(SYNCMGR_DATA_REVERSE);
	CONST(SYNCMGR_DATA_NOWAIT);
	CONST(SYNCMGR_DATA_VERSION);
	CONST(SYNCMGR_DATA_IF_VERSION);

	/* the structures _lib.py declares with ctypes */
	STRUCT(sm_value);
	FIELD(sm_value, type);
	FIELD(sm_value, b);
	FIELD(sm_value, i);
	FIELD(sm_value, d);
	FIELD(sm_value, handle);
	FIELD(sm_value, buf);
	FIELD(sm_value, buf.ptr);
	FIELD(sm_value, buf.len);
	FIELD(sm_value, tree);
	FIELD(sm_value, tree.ptr);
	FIELD(sm_value, tree.len);
	FIELD(sm_value, tree.n);

	STRUCT(syncmgr_data);
	FIELD(syncmgr_data, in);
	FIELD(syncmgr_data, out);
	FIELD(syncmgr_data, in_size);
	FIELD(syncmgr_data, out_size);
	FIELD(syncmgr_data, count);
	FIELD(syncmgr_data, flags);
	FIELD(syncmgr_data, start);
	FIELD(syncmgr_data, stop);
	FIELD(syncmgr_data, step);
	FIELD(syncmgr_data, deadline);
	FIELD(syncmgr_data, version);
	FIELD(syncmgr_data, cursor);
	FIELD(syncmgr_data, needed);
	FIELD(syncmgr_data, reserved);

	STRUCT(syncmgr_version);
	FIELD(syncmgr_version, abi_version);
	FIELD(syncmgr_version, max_types);
	FIELD(syncmgr_version, features);
	ARRAY(syncmgr_version, reserved);

	STRUCT(sm_buf);
	FIELD(sm_buf, data);
	FIELD(sm_buf, size);
	FIELD(sm_buf, needed);

	STRUCT(sm_slice);
	FIELD(sm_slice, start);
	FIELD(sm_slice, stop);
	FIELD(sm_slice, step);
	FIELD(sm_slice, flags);

	STRUCT(syncmgr_state);
	FIELD(syncmgr_state, id);
	FIELD(syncmgr_state, type);
	FIELD(syncmgr_state, flags);
	FIELD(syncmgr_state, value);
	FIELD(syncmgr_state, max);
	FIELD(syncmgr_state, waiters);
	FIELD(syncmgr_state, owner);
	FIELD(syncmgr_state, status);
	FIELD(syncmgr_state, reserved0);
	FIELD(syncmgr_state, timeout_ns);
	ARRAY(syncmgr_state, reserved);

	/* sm_token()'s buffer */
	ARRAY(syncmgr_token, token);
	return 0;
}
