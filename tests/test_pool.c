/* test_pool: every task of every job runs exactly once, on a valid thread with its own
 * scratch, for pools of several sizes and many jobs in a row (the spin-then-sleep hand-over
 * between jobs is where a lost or doubled task would show). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "pool.h"

enum { MAX_TASKS = 64, JOBS = 2000 };

struct job {
	struct pool *pool;
	int runs[MAX_TASKS];
	int thread_of[MAX_TASKS];
	int bad_thread;
};

static void
count_task_(void *arg, int task, int thread)
{
	struct job *job = arg;
	job->runs[task]++;
	job->thread_of[task] = thread;
	if (thread < 0 || thread >= pool_threads(job->pool)) {
		job->bad_thread = 1;
		return;
	}
	/* Scratch is per thread: write a pattern, and it must still be there afterwards. */
	unsigned char *scratch = pool_scratch(job->pool, thread);
	memset(scratch, task & 0xff, 256);
	for (int i = 0; i < 256; i++)
		if (scratch[i] != (task & 0xff))
			job->bad_thread = 1;
}

static void
check_pool_(int threads)
{
	struct pool *pool = pool_create(threads, 256);
	CHECK(pool != NULL, "pool_create(%d)", threads);
	if (!pool)
		return;
	CHECK(pool_threads(pool) == threads, "pool has %d threads", pool_threads(pool));
	int wrong = 0, misplaced = 0;
	struct job job = {.pool = pool};
	for (int j = 0; j < JOBS; j++) {
		/* Every third job is a fixed one; the task counts run through 1..MAX_TASKS. */
		int n_tasks = 1 + j % MAX_TASKS, fixed = j % 3 == 0;
		memset(job.runs, 0, sizeof job.runs);
		if (fixed)
			pool_run_fixed(pool, count_task_, &job, n_tasks);
		else
			pool_run(pool, count_task_, &job, n_tasks);
		for (int t = 0; t < MAX_TASKS; t++)
			wrong += job.runs[t] != (t < n_tasks);
		/* A fixed job with a task for every thread puts task t on thread t % threads. */
		if (fixed && n_tasks >= threads)
			for (int t = 0; t < n_tasks; t++)
				misplaced += job.thread_of[t] != t % threads;
		/* Now and then let the workers fall asleep, to test the wake-up path too. */
		if (j % 500 == 499)
			nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	CHECK(wrong == 0, "%d threads: %d tasks ran other than exactly once", threads, wrong);
	CHECK(!job.bad_thread, "%d threads: bad thread index or scratch", threads);
	CHECK(misplaced == 0, "%d threads: %d fixed tasks ran on another thread", threads,
	      misplaced);
	pool_run(pool, count_task_, &job, 0);
	pool_free(pool);
}

int
main(void)
{
	check_pool_(1);
	check_pool_(2);
	check_pool_(3);
	check_pool_(8);
	CHECK(pool_create(0, 0) == NULL, "0 threads refused");
	CHECK(pool_create(POOL_MAX_THREADS + 1, 0) == NULL, "too many threads refused");
	CHECK(pool_default_threads() >= 1, "default threads %d", pool_default_threads());
	return check_report("test_pool");
}
