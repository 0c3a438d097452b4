// SPDX-License-Identifier: GPL-2.0
/*
 * What tests/fuzz found first (issue 10, item 1): a chain of containers
 * built top-down (each new container stored into the previous one, whose
 * handle is then closed) is legal at any depth, and closing its top frees
 * it recursively, syncmgr_obj_put -> *_destroy -> syncmgr_item_free ->
 * syncmgr_obj_put ..., one set of frames per level: the kernel stack
 * overflows ("BUG: TASK stack guard page was hit", a panic on Debian's
 * kernels).  The fuzzer's chains mix dict, list, queue and Value; this
 * one does the same, DEEP_FREE_DEPTH levels (default 5000).
 * Not part of make check (it panics an unfixed kernel):
 *   tests/guest/run -- tests/bin/fuzz-deep-free
 */
#include "../common.h"

static int store(int c, int kind, int h)
{
	struct sm_value v = sm_handle(h), k = sm_int(1);

	switch (kind) {
	case 0:
		return sm_dict_set(c, &k, &v);
	case 1:
		return sm_list_append(c, &v);
	case 2:
		return sm_queue_put_nowait(c, &v);
	default:
		return sm_value_set(c, &v);
	}
}

static int create(int kind)
{
	switch (kind) {
	case 0:
		return sm_dict_create(0);
	case 1:
		return sm_list_create(0);
	case 2:
		return sm_queue_create(0, 0);
	default:
		return sm_value_create('O', NULL, 0);
	}
}

TEST(close_deep_chain)
{
	const char *e = getenv("DEEP_FREE_DEPTH");
	int depth = e ? atoi(e) : 5000;
	int top = create(0), prev = top;

	ASSERT_LE(0, top);
	for (int i = 1; i <= depth; i++) {
		int c = create(i % 4);

		ASSERT_LE(0, c);
		/* a refusal (a bounded depth) is fine, a crash is not */
		if (store(prev, (i - 1) % 4, c)) {
			TH_LOG("store at depth %d: refused", i);
			close(c);
			break;
		}
		if (prev != top)
			close(prev);
		prev = c;
	}
	if (prev != top)
		close(prev);
	close(top);
	/* still alive: the kernel freed the chain, and works */
	top = sm_event_create(0);
	ASSERT_LE(0, top);
	close(top);
}

TEST_HARNESS_MAIN
