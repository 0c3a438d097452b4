/*
 * memprobe: print what the calling user has in syncmgr right now, as
 * "objects N bytes N" (live objects and bytes of stored values, its own
 * probe Event included).  run-suite calls it around every test program:
 * the figures must come back to where they were.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <syncmgr.h>

int main(void)
{
	char path[64], line[128];
	unsigned long objects = 0, bytes = 0;
	int found = 0, ev = sm_event_create(0);
	FILE *f;

	if (ev < 0) {
		fprintf(stderr, "memprobe: %s\n", strerror(-ev));
		return 1;
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ev);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		found += sscanf(line, "syncmgr-user-objects: %lu", &objects);
		found += sscanf(line, "syncmgr-user-bytes: %lu", &bytes);
	}
	if (f)
		fclose(f);
	close(ev);
	if (found != 2) {
		fprintf(stderr, "memprobe: no usage in %s\n", path);
		return 1;
	}
	printf("objects %lu bytes %lu\n", objects, bytes);
	return 0;
}
