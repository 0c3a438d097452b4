/*
 * named_worker: a C program that serves a Python program (or any other)
 * with nothing shared but two names: it opens the Queues "jobs" and
 * "results" by name, squares every int it gets from "jobs", puts the
 * answer on "results", and stops at None.  The other side:
 *
 *	jobs = syncmgr.open('jobs', syncmgr.Queue, create=True)
 *	results = syncmgr.open('results', syncmgr.Queue, create=True)
 *	subprocess.Popen(['examples/bin/named_worker'])
 *	jobs.put(7); results.get()		# 49
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syncmgr.h>

static int open_queue(const char *name)
{
	/* Created by whichever side comes first, with these permissions. */
	return sm_named_open(name, SYNCMGR_TYPE_QUEUE, SM_CREAT | SM_RDWR,
			     0600, NULL);
}

int main(int argc, char **argv)
{
	const char *jobs_name = argc > 1 ? argv[1] : "jobs";
	const char *results_name = argc > 2 ? argv[2] : "results";
	int jobs = open_queue(jobs_name), results = open_queue(results_name);
	char room[256];
	struct sm_buf buf = { .data = room, .size = sizeof(room) };
	struct sm_value v, r;
	int served = 0, ret;

	if (jobs < 0 || results < 0) {
		fprintf(stderr, "named_worker: %s\n",
			strerror(-(jobs < 0 ? jobs : results)));
		return 1;
	}
	while ((ret = sm_queue_get(jobs, &v, &buf, SM_FOREVER)) == 0) {
		if (v.type != SYNCMGR_VAL_INT)
			break;			/* None (or anything else): stop */
		r = sm_int(v.i * v.i);
		ret = sm_queue_put(results, &r, SM_FOREVER);
		if (ret < 0)
			break;
		served++;
	}
	if (ret < 0) {
		fprintf(stderr, "named_worker: %s\n", strerror(-ret));
		return 1;
	}
	printf("named_worker: served %d\n", served);
	return 0;
}
