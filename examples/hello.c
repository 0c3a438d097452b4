/* hello: two processes increment one shared counter under a syncmgr Lock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <syncmgr.h>

#define ROUNDS 10000

int main(void)
{
	long *counter = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int lock = sm_lock_create(0);	/* a handle: an fd, inherited by fork */
	pid_t child;

	if (counter == MAP_FAILED || lock < 0) {
		fprintf(stderr, "hello: %s\n",
			lock < 0 ? strerror(-lock) : "mmap failed");
		return 1;
	}
	child = fork();
	for (int i = 0; i < ROUNDS; i++) {
		int ret = sm_lock_acquire(lock, SM_FOREVER);

		if (ret < 0 && ret != -EOWNERDEAD)	/* EOWNERDEAD: acquired */
			return 1;
		++*counter;
		sm_lock_release(lock);
	}
	if (child == 0)
		return 0;
	waitpid(child, NULL, 0);
	printf("counter = %ld (expected %d)\n", *counter, 2 * ROUNDS);
	return *counter == 2 * ROUNDS ? 0 : 1;
}
