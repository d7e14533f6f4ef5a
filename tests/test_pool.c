/* test_pool: every task of every job runs exactly once, on a valid thread with its own
 * scratch, for pools of several sizes and many jobs in a row (the spin-then-sleep hand-over
 * between jobs, and fixed tasks taken by another thread, are where a lost or doubled task
 * would show); and a stalled thread's fixed tasks run elsewhere, while a thread that is
 * only behind does not make the pool run alone. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
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
	int wrong = 0;
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
		/* Now and then let the workers fall asleep, to test the wake-up path too. */
		if (j % 500 == 499)
			nanosleep(&(struct timespec){0, 5000000}, NULL);
	}
	CHECK(wrong == 0, "%d threads: %d tasks ran other than exactly once", threads, wrong);
	CHECK(!job.bad_thread, "%d threads: bad thread index or scratch", threads);
	pool_run(pool, count_task_, &job, 0);
	pool_free(pool);
}

/* A fixed job whose task 1 is held up (its thread descheduled, say) for 200 ms: the other
 * tasks of task 1's owner run meanwhile on another thread, instead of waiting behind it. */
struct stall_ {
	atomic_int stalled_done;
	int ran_after[8]; /* task t ran after task 1 had finished */
};

static void
stall_task_(void *arg, int task, int thread)
{
	(void)thread;
	struct stall_ *s = arg;
	if (task == 1) {
		nanosleep(&(struct timespec){0, 200000000}, NULL);
		atomic_store(&s->stalled_done, 1);
		return;
	}
	s->ran_after[task] = atomic_load(&s->stalled_done);
}

static void
record_thread_(void *arg, int task, int thread)
{
	((int *)arg)[task] = thread;
}

/* Whether a fixed job of 8 tasks ran any of them off the calling thread. */
static int
ran_elsewhere_(struct pool *pool)
{
	int thread[8] = {0}, elsewhere = 0;
	pool_run_fixed(pool, record_thread_, thread, 8);
	for (int task = 0; task < 8; task++)
		elsewhere |= thread[task] != 0;
	return elsewhere;
}

/* The stalled job also ended late, so the jobs right after it run on the calling thread
 * alone; and some time later the pool shares jobs again. */
static void
check_steal_(void)
{
	struct pool *pool = pool_create(2, 256);
	struct stall_ s = {0};
	pool_run_fixed(pool, stall_task_, &s, 8);
	CHECK(!s.ran_after[3] && !s.ran_after[5] && !s.ran_after[7],
	      "a stalled thread's other fixed tasks waited for it (%d %d %d)", s.ran_after[3],
	      s.ran_after[5], s.ran_after[7]);
	int shared_next = ran_elsewhere_(pool), jobs = 1;
	while (jobs < 100000 && !ran_elsewhere_(pool))
		jobs++;
	CHECK(!shared_next, "the job after a late one was shared");
	CHECK(jobs > 8 && jobs < 100000,
	      "after a late job, the pool shared a job again %d jobs later", jobs);
	pool_free(pool);
}

/* Tasks that keep the CPU busy for so many microseconds: the even ones (thread 0's in a
 * fixed job of two threads) even[0], the odd ones (thread 1's) even[1]. */
static void
busy_task_(void *arg, int task, int thread)
{
	(void)thread;
	long ns = 1000L * ((const int *)arg)[task % 2];
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < ns);
}

/* A thread that is merely behind is no sign of another process on its core, so the next job
 * is shared as usual: when thread 1's tasks take a millisecond and thread 0's nothing (the
 * caller takes thread 1's last tasks while it runs its first), and when they take 0.4 and
 * 0.5 ms (the caller waits 0.4 ms, a quarter of its own 1.6). Timing decides, so ten tries, of
 * which most must share (the machine may really be busy now and then); a pool that counts
 * every taken task, or every wait past a fixed time, as late runs nearly all alone. */
static double
now_(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *
busy_thread_(void *arg)
{
	busy_task_(arg, 0, 0);
	return NULL;
}

/* Whether two threads run at the same time here (not under valgrind, or with another
 * process busy on a core): two plain threads busy for 10 ms take under 15 ms (a virtual
 * machine may take a millisecond or two to start running the second), in one of ten
 * tries. Plain threads, so that the pool under test cannot decide it. */
static int
parallel_(void)
{
	int us[1] = {10000}, parallel = 0;
	for (int try = 0; try < 10 && !parallel; try++) {
		pthread_t other;
		double t0 = now_();
		if (pthread_create(&other, NULL, busy_thread_, us) != 0)
			return 0;
		busy_task_(us, 0, 0);
		pthread_join(other, NULL);
		parallel = now_() - t0 < 15e-3;
	}
	return parallel;
}

static void
check_behind_(int us_even, int us_odd)
{
	int us[2] = {us_even, us_odd}, shared = 0;
	/* Up to three rounds of ten, each on a fresh pool, for a machine busy now and then. */
	for (int round = 0; round < 3 && shared < 6; round++) {
		if (!parallel_())
			continue;
		struct pool *pool = pool_create(2, 256);
		shared = 0;
		for (int try = 0; try < 10; try++) {
			pool_run_fixed(pool, busy_task_, us, 8);
			shared += ran_elsewhere_(pool);
		}
		pool_free(pool);
	}
	/* Judged only where two threads do run at once. */
	if (shared < 6 && !parallel_()) {
		printf("test_pool: two threads did not run in parallel here; the check of a thread "
		       "only behind (%d and %d us tasks) is skipped\n", us_even, us_odd);
		return;
	}
	CHECK(shared >= 6, "after jobs of %d and %d us tasks, the pool ran alone (%d of 10 shared)",
	      us_even, us_odd, shared);
}

int
main(void)
{
	check_steal_();
	check_behind_(0, 1000);
	check_behind_(400, 500);
	check_pool_(1);
	check_pool_(2);
	check_pool_(3);
	check_pool_(8);
	CHECK(pool_create(0, 0) == NULL, "0 threads refused");
	CHECK(pool_create(POOL_MAX_THREADS + 1, 0) == NULL, "too many threads refused");
	CHECK(pool_default_threads() >= 1, "default threads %d", pool_default_threads());
	return check_report("test_pool");
}
