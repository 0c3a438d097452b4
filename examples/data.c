/*
 * data: the shared data objects, one short scene each, across a fork.
 * A worker process fills a Queue, counts in a Value, writes an Array,
 * a dict (one entry a Lock handle), a list and a Namespace; the parent
 * reads it all back.  Exits 0 when every check holds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <syncmgr.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "data: line %d: %s\n",		\
				__LINE__, #cond);			\
			return 1;					\
		}							\
	} while (0)

static int q, counter, arr, dict, list, ns, lock;

static int worker(void)
{
	struct sm_value key = sm_str("lock"), item = sm_handle(lock);

	for (int i = 0; i < 3; i++) {
		struct sm_value v = sm_int(i);

		CHECK(sm_queue_put(q, &v, SM_FOREVER) == 0);
		CHECK(sm_value_add(counter, 10, NULL) == 0);	/* atomic */
		CHECK(sm_array_add(arr, i, i + 1, NULL) == 0);
		CHECK(sm_list_append(list, &v) == 0);
	}
	CHECK(sm_dict_set(dict, &key, &item) == 0);	/* a Lock inside */
	item = sm_double(2.5);
	CHECK(sm_ns_set(ns, "ratio", &item) == 0);
	return 0;
}

int main(void)
{
	struct sm_value zeros[3] = { sm_int(0), sm_int(0), sm_int(0) };
	struct sm_value v, key = sm_str("lock"), zero = sm_int(0);
	char space[256];
	struct sm_buf buf = { space, sizeof(space), 0 };
	int status;
	pid_t pid;

	q = sm_queue_create(0, 0);
	counter = sm_value_create('i', &zero, 0);
	arr = sm_array_create('i', zeros, 3, 0);
	dict = sm_dict_create(0);
	list = sm_list_create(0);
	ns = sm_ns_create(0);
	lock = sm_lock_create(0);
	CHECK(q >= 0 && counter >= 0 && arr >= 0 && dict >= 0);
	CHECK(list >= 0 && ns >= 0 && lock >= 0);

	pid = fork();
	if (pid == 0)
		_exit(worker());
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);

	for (int i = 0; i < 3; i++) {
		CHECK(sm_queue_get(q, &v, &buf, 0) == 0);
		CHECK(v.type == SYNCMGR_VAL_INT && v.i == i);	/* FIFO */
	}
	CHECK(sm_queue_get_nowait(q, &v, &buf) == -EAGAIN);	/* Empty */
	printf("Queue: 0 1 2 in order, then empty\n");

	CHECK(sm_value_get(counter, &v, &buf) == 0 && v.i == 30);
	printf("Value: 3 atomic += 10 gave %lld\n", (long long)v.i);

	for (int i = 0; i < 3; i++)
		CHECK(sm_array_get(arr, i, &v) == 0 && v.i == i + 1);
	printf("Array('i'): [1, 2, 3]\n");

	CHECK(sm_dict_get(dict, &key, &v, &buf) == 0);
	CHECK(v.type == SYNCMGR_VAL_HANDLE && sm_type(v.handle) == SYNCMGR_TYPE_LOCK);
	CHECK(sm_lock_acquire(v.handle, 0) == 0 && sm_lock_locked(lock) == 1);
	CHECK(sm_lock_release(lock) == 0);	/* the same Lock */
	close(v.handle);
	printf("dict: d['lock'] is the same Lock, as a new handle\n");

	CHECK(sm_list_len(list) == 3);
	CHECK(sm_list_pop(list, -1, &v, &buf) == 0 && v.i == 2);
	CHECK(sm_list_index(list, &zero, 0, INT64_MAX) == 0);
	printf("list: [0, 1, 2].pop() == 2, index(0) == 0\n");

	CHECK(sm_ns_get(ns, "ratio", &v, &buf) == 0 && v.d == 2.5);
	CHECK(sm_ns_get(ns, "missing", &v, &buf) == -ENOENT);
	printf("Namespace: ns.ratio == 2.5, ns.missing is AttributeError\n");
	return 0;
}
