/* test_pool: every task of every job runs exactly once, on a valid thread with its own
 * scratch, for pools of several sizes and many jobs in a row (the spin-then-sleep hand-over
 * between jobs, and fixed tasks taken by another thread, are where a lost or doubled task
 * would show); and a stalled thread's fixed tasks run elsewhere, while by the rule for a
 * late job a thread that is only behind does not make the pool run alone. */
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
 * alone; and some time later the pool shares jobs again. The stall must find the pool
 * sharing, with its workers awake (a job that wakes one is not judged): so a shared job
 * first. A busy machine may make that one late too, so up to three tries, each on a fresh
 * pool; a pool that never steals, or never runs alone, fails every one. */
static void
check_steal_(void)
{
	struct stall_ s;
	int shared_next = 1, jobs = 0;
	for (int try = 0; try < 3; try++) {
		struct pool *pool = pool_create(2, 256);
		for (int warm = 0; warm < 1000 && !ran_elsewhere_(pool); warm++)
			;
		s = (struct stall_){0};
		pool_run_fixed(pool, stall_task_, &s, 8);
		shared_next = ran_elsewhere_(pool);
		for (jobs = 1; jobs < 100000 && !ran_elsewhere_(pool); jobs++)
			;
		pool_free(pool);
		if (!s.ran_after[3] && !s.ran_after[5] && !s.ran_after[7] && !shared_next &&
		    jobs > 8 && jobs < 100000)
			break;
	}
	CHECK(!s.ran_after[3] && !s.ran_after[5] && !s.ran_after[7],
	      "a stalled thread's other fixed tasks waited for it (%d %d %d)", s.ran_after[3],
	      s.ran_after[5], s.ran_after[7]);
	CHECK(!shared_next, "the job after a late one was shared");
	CHECK(jobs > 8 && jobs < 100000,
	      "after a late job, the pool shared a job again %d jobs later", jobs);
}

/* The rule for a late job (timing left out, so it is checked the same on any machine): a
 * stalled thread is late, a thread that is merely behind is not. A thread only behind has
 * begun, and waits a small share of the job: the caller taking its last tasks, or waiting
 * 0.4 ms after 1.6 ms of its own (a --hidden 800 job), says nothing of contention. Seconds
 * waited past both 300 us and half the caller's own part do; so do tasks taken from a
 * thread that had not begun (here the caller's part took no time at all). */
static void
check_late_rule_(void)
{
	CHECK(!pool_job_late(0, 1.6e-3, 0.4e-3), "a wait of a quarter of the job is late");
	CHECK(!pool_job_late(0, 0.0, 0.2e-3), "a wait of 200 us is late");
	CHECK(!pool_job_late(0, 2.0e-3, 0.9e-3), "a wait under half of the job is late");
	CHECK(pool_job_late(0, 0.0, 0.4e-3), "a wait of 400 us after nothing is on time");
	CHECK(pool_job_late(0, 2.0e-3, 1.1e-3), "a wait past half of the job is on time");
	CHECK(pool_job_late(1, 0.0, 0.0), "tasks taken from a thread not begun are on time");
}

int
main(void)
{
	check_steal_();
	check_late_rule_();
	check_pool_(1);
	check_pool_(2);
	check_pool_(3);
	check_pool_(8);
	CHECK(pool_create(0, 0) == NULL, "0 threads refused");
	CHECK(pool_create(POOL_MAX_THREADS + 1, 0) == NULL, "too many threads refused");
	CHECK(pool_default_threads() >= 1, "default threads %d", pool_default_threads());
	return check_report("test_pool");
}
