/* pool.c: the thread pool.
 *
 * A training step is a few parallel passes of 10-100 microseconds each, back to back, and
 * waking a thread sleeping on a condition variable takes about 50 microseconds on the
 * virtual machines we measured (see docs/benchmarks.md): sleeping between passes would cost
 * more than the passes. So a thread that runs out of work first watches the job word for a
 * bounded time (SPIN_ROUNDS pause instructions, a fraction of a millisecond) with C11 atomic
 * acquire loads, and only then sleeps on a condition variable, which the caller signals when
 * anyone sleeps. Synchronization is all atomics with acquire/release ordering or the mutex;
 * nothing relies on volatile.
 *
 * The job word holds the job's generation in its high half and the number of unclaimed
 * tasks in its low half, so a worker claims a task with one compare-and-swap that fails if
 * the job has already changed: a worker that wakes up late can never run a task of the
 * wrong job, and the caller never waits for a worker that took no task.
 *
 * A fixed job (pool_run_fixed) has a marker and its number of tasks in place of the count,
 * and a claim word per task instead: a thread first claims its own tasks (i, i + threads,
 * ...), then, after a grace of about one pass, any task still unclaimed. A thread that the
 * kernel has descheduled (another process on its core) thus costs at most the task it is
 * running, not the whole step: its other tasks run elsewhere, with the same results, since
 * tasks never depend on who runs them. A claim word holds the generation of the job that
 * claimed the task; a thread claims for generation g only a word below g, and then checks
 * that g is still the job: a late thread never disturbs a newer job's claims, and runs
 * nothing of a job that has ended.
 *
 * That still leaves the task a descheduled thread is in the middle of: the caller waits for
 * it a whole scheduler slice, milliseconds, many passes' worth; and the caller itself may be
 * the one descheduled. So when a job ends late (the caller had to take the tasks of a
 * thread that had not even begun the job, or waited for one longer than LATE_SECONDS and
 * than LATE_SHARE of its own part of the job while that thread got less than RUN_SHARE of
 * its core), or the caller got less than RUN_SHARE of its core over the last WINDOW_JOBS
 * jobs, the caller runs the next jobs alone, more of them each time it happens again: on a
 * machine that stays busy the pool soon runs like one thread, and after a long enough run
 * of jobs on time it starts again from the shortest stretch. A thread that is merely behind
 * (unequal tasks; the long jobs of a wide net; a core that a virtual machine's neighbours
 * slow down) has begun, and runs while the caller waits for it: neither counts, or a pool on
 * an idle machine would run a --hidden 800 run mostly alone (it ran 79% of its jobs so when
 * a long wait alone counted, and still 77-87% on a shared AMD EPYC when a long wait past
 * half the caller's part did, where the waited-for thread had its whole core). The caller
 * reads the threads' CPU clocks only once a wait has grown long, so a job on time costs no
 * system call. */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* About 20 ns per pause on current x86, so a few hundred microseconds of watching; every
 * YIELD_EVERY pauses the thread offers its core to whatever else is runnable there, so a
 * spinning thread never holds up a busy one on an oversubscribed machine. */
#define SPIN_ROUNDS 20000
#define YIELD_EVERY 256
/* Pauses a thread with no tasks of its own left waits before taking another's: about one
 * pass, so that an owner that is merely a little behind keeps its blocks in its cache. */
#define STEAL_GRACE 2000
/* Tasks of a fixed job with a claim word each; a larger job is run as an unfixed one. */
#define MAX_FIXED_TASKS 1024
/* A job whose caller waited this long for another thread's task ended late: several passes,
 * while a descheduled thread costs a scheduler slice of milliseconds; and, for the long jobs
 * of a wide net, half the caller's own part of the job, as a thread merely behind is less. */
#define LATE_SECONDS 300e-6
#define LATE_SHARE 0.5
/* The shortest look at a waited-for thread's CPU clock that can tell whether it ran. */
#define WATCH_SECONDS 100e-6
/* A thread's share of its core, the caller's over a window of jobs or a worker's while the
 * caller waits for it: a busy loop on its core leaves it about half; a virtual machine's host
 * takes 10% and more now and then (12% measured over 16 jobs of 1-2 ms), which is no reason
 * to run alone. */
#define WINDOW_JOBS 16
#define RUN_SHARE 0.75
/* Jobs the caller then runs alone: SOLO_MIN the first time, twice as many each time a job
 * ends late again within ON_TIME_RESET jobs of the last, at most SOLO_MAX (a second or so of
 * training); a late job after more jobs on time than that, as an idle machine has now and
 * then (once or twice in a thousand jobs, measured), costs SOLO_MIN again. */
#define SOLO_MIN 64
#define SOLO_MAX 16384
#define ON_TIME_RESET 256

struct worker {
	struct pool *pool;
	int id;
};

struct pool {
	int threads;
	pthread_t *tids; /* threads-1 workers; index 0 unused */
	struct worker *workers;

	_Atomic uint64_t job;  /* generation << 32 | tasks not yet claimed */
	atomic_int done;       /* tasks of the current job finished */
	atomic_int stop;

	/* The current job, written before the job word announces it and left alone until
	 * all its tasks are done. Atomic (relaxed) because a late thread of a fixed job may
	 * read them while the next job is written; it then runs nothing (see above). */
	_Atomic(pool_task_fn *) fn;
	_Atomic(void *) arg;
	atomic_int n_tasks;
	_Atomic uint32_t claim[MAX_FIXED_TASKS]; /* fixed jobs: the generation that took task i */
	_Atomic uint32_t begun[POOL_MAX_THREADS]; /* the last job thread t began ... */
	_Atomic uint32_t ended[POOL_MAX_THREADS]; /* ... and the last it ended its part of */
	clockid_t clock[POOL_MAX_THREADS];         /* the workers' CPU clocks */

	pthread_mutex_t lock;
	pthread_cond_t wake;     /* sleeping workers wait here for a new job */
	pthread_cond_t finished; /* a sleeping caller waits here for done == n_tasks */
	int sleepers;            /* workers waiting on wake, under lock */
	int caller_sleeping;     /* under lock */

	unsigned char *scratch;
	size_t scratch_stride;

	/* Only the caller's thread uses these (see the top of the file). */
	int solo_left; /* jobs still to run alone */
	int solo_next; /* how many the next late job makes it */
	int on_time;   /* jobs on time since the last late one */
	int window;    /* jobs in the caller's current window ... */
	double window_wall, window_cpu; /* ... and when it began, in wall and CPU seconds */
	double window_slept;            /* seconds the caller slept waiting in the window */
	int slept;                      /* the caller slept waiting for the last job */
};

static inline void
pause_(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* The low half of the job word of a fixed job (pool_run_fixed) is this bit and the number
 * of tasks, so a late thread reads the count of the job it saw, not of the next one; an
 * unfixed job's count of unclaimed tasks never reaches the bit. */
#define FIXED_JOB (UINT32_C(1) << 31)

static uint32_t
generation_(uint64_t job)
{
	return (uint32_t)(job >> 32);
}

/* Count `tasks` more tasks of the current job as done, and wake a sleeping caller if that
 * was the last of them. */
static void
finish_(struct pool *pool, int tasks, int n_tasks)
{
	if (atomic_fetch_add_explicit(&pool->done, tasks, memory_order_acq_rel) + tasks != n_tasks)
		return;
	pthread_mutex_lock(&pool->lock);
	if (pool->caller_sleeping)
		pthread_cond_signal(&pool->finished);
	pthread_mutex_unlock(&pool->lock);
}

/* One pause; every YIELD_EVERY-th round also a yield of the core. */
static void
wait_round_(int round)
{
	pause_();
	if (round % YIELD_EVERY == YIELD_EVERY - 1)
		sched_yield();
}

/* Claim task `task` of fixed job gen, and run it if gen is still the job; returns 1 if it
 * ran. */
static int
claim_and_run_(struct pool *pool, uint32_t gen, int task, int thread)
{
	_Atomic uint32_t *word = &pool->claim[task];
	uint32_t seen = atomic_load_explicit(word, memory_order_relaxed);
	/* Below gen: no thread of this job (nor of a newer one) has it. */
	if (seen >= gen || !atomic_compare_exchange_strong_explicit(word, &seen, gen,
								    memory_order_acq_rel,
								    memory_order_relaxed))
		return 0;
	/* The job cannot have ended between its generation being read and this claim, had
	 * the task been one of its own: so still gen now means the fields are gen's. */
	if (generation_(atomic_load_explicit(&pool->job, memory_order_acquire)) != gen)
		return 0;
	pool_task_fn *fn = atomic_load_explicit(&pool->fn, memory_order_relaxed);
	fn(atomic_load_explicit(&pool->arg, memory_order_relaxed), task, thread);
	return 1;
}

/* Whether some task of fixed job gen, of n_tasks, is still unclaimed. */
static int
unclaimed_(struct pool *pool, uint32_t gen, int n_tasks)
{
	for (int task = 0; task < n_tasks; task++)
		if (atomic_load_explicit(&pool->claim[task], memory_order_relaxed) < gen)
			return 1;
	return 0;
}

/* Fixed job gen of n_tasks: this thread's own tasks, then, after the grace, anyone's left.
 * Returns how many of the others' it ran. */
static int
run_fixed_(struct pool *pool, uint32_t gen, int n_tasks, int thread)
{
	int own = 0, taken = 0;
	for (int task = thread; task < n_tasks; task += pool->threads)
		own += claim_and_run_(pool, gen, task, thread);
	for (int round = 0; round < STEAL_GRACE && unclaimed_(pool, gen, n_tasks); round++)
		wait_round_(round);
	for (int task = 0; task < n_tasks; task++)
		taken += claim_and_run_(pool, gen, task, thread);
	if (own + taken)
		finish_(pool, own + taken, n_tasks);
	return taken;
}

/* Claim and run tasks of job generation gen until none are left or the job changed. The
 * job word counts the tasks not yet claimed, so whether one is left is decided by the word
 * alone, in the same compare-and-swap that claims it. Returns how many tasks of a fixed job
 * that belonged to other threads it ran. */
static int
run_tasks_(struct pool *pool, uint32_t gen, int thread)
{
	uint64_t job = atomic_load_explicit(&pool->job, memory_order_acquire);
	/* Whether the job is fixed is read from the same word as its generation: a plain
	 * field could already belong to the next job by the time it is read. */
	if (generation_(job) == gen && ((uint32_t)job & FIXED_JOB))
		return run_fixed_(pool, gen, (int)((uint32_t)job & ~FIXED_JOB), thread);
	for (;;) {
		uint32_t left = (uint32_t)job;
		if (generation_(job) != gen || left == 0)
			return 0;
		if (!atomic_compare_exchange_weak_explicit(&pool->job, &job, job - 1,
							   memory_order_acq_rel,
							   memory_order_acquire))
			continue;
		/* The claim succeeded, so job gen is still running: fn, arg and n_tasks stay
		 * put until this task is counted as done. */
		int n_tasks = atomic_load_explicit(&pool->n_tasks, memory_order_relaxed);
		pool_task_fn *fn = atomic_load_explicit(&pool->fn, memory_order_relaxed);
		fn(atomic_load_explicit(&pool->arg, memory_order_relaxed), n_tasks - (int)left,
		   thread);
		finish_(pool, 1, n_tasks);
		job = atomic_load_explicit(&pool->job, memory_order_acquire);
	}
}

static void *
worker_main_(void *p)
{
	struct worker *self = p;
	struct pool *pool = self->pool;
	uint32_t seen = 0;
	for (;;) {
		uint64_t job = 0;
		int fresh = 0;
		for (int spin = 0; spin < SPIN_ROUNDS && !fresh; spin++) {
			job = atomic_load_explicit(&pool->job, memory_order_acquire);
			fresh = generation_(job) != seen ||
				atomic_load_explicit(&pool->stop, memory_order_relaxed);
			if (!fresh)
				wait_round_(spin);
		}
		if (!fresh) {
			pthread_mutex_lock(&pool->lock);
			pool->sleepers++;
			for (;;) {
				job = atomic_load_explicit(&pool->job, memory_order_acquire);
				if (generation_(job) != seen || atomic_load(&pool->stop))
					break;
				pthread_cond_wait(&pool->wake, &pool->lock);
			}
			pool->sleepers--;
			pthread_mutex_unlock(&pool->lock);
		}
		if (atomic_load(&pool->stop))
			return NULL;
		seen = generation_(job);
		atomic_store_explicit(&pool->begun[self->id], seen, memory_order_relaxed);
		run_tasks_(pool, seen, self->id);
		atomic_store_explicit(&pool->ended[self->id], seen, memory_order_relaxed);
	}
}

struct pool *
pool_create(int threads, size_t scratch_bytes)
{
	if (threads < 1 || threads > POOL_MAX_THREADS) {
		warnf("thread count must be 1 to %d", POOL_MAX_THREADS);
		return NULL;
	}
	struct pool *pool = xmalloc(sizeof *pool);
	memset(pool, 0, sizeof *pool);
	pool->threads = threads;
	pool->scratch_stride = (scratch_bytes + 63) / 64 * 64;
	pool->scratch = aligned_alloc(64, pool->scratch_stride * threads + 64);
	if (!pool->scratch)
		dief(EXIT_RUNTIME, "out of memory allocating thread scratch");
	pool->tids = xmalloc(sizeof *pool->tids * threads);
	pool->workers = xmalloc(sizeof *pool->workers * threads);
	atomic_init(&pool->job, 0);
	atomic_init(&pool->done, 0);
	atomic_init(&pool->stop, 0);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pthread_cond_init(&pool->finished, NULL);

	/* Workers block every signal, so a handler installed by main runs on the main thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int started = 1;
	for (; started < threads; started++) {
		pool->workers[started] = (struct worker){pool, started};
		if (pthread_create(&pool->tids[started], NULL, worker_main_,
				   &pool->workers[started]) != 0)
			break;
		/* Without its clock a thread counts as always running: never late by a wait. */
		if (pthread_getcpuclockid(pool->tids[started], &pool->clock[started]) != 0)
			pool->clock[started] = CLOCK_MONOTONIC;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started < threads) {
		warnf("cannot start thread %d of %d", started + 1, threads);
		pool->threads = started;
		pool_free(pool);
		return NULL;
	}
	return pool;
}

void
pool_free(struct pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	atomic_store(&pool->stop, 1);
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (int t = 1; t < pool->threads; t++)
		pthread_join(pool->tids[t], NULL);
	pthread_cond_destroy(&pool->finished);
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->scratch);
	free(pool->tids);
	free(pool->workers);
	free(pool);
}

/* After a job: whether it ended late decides how many of the next ones run alone. */
static void
count_job_(struct pool *pool, int late)
{
	if (!late) {
		pool->on_time++;
		return;
	}
	pool->window = 0;
	if (pool->solo_next == 0 || pool->on_time >= ON_TIME_RESET)
		pool->solo_next = SOLO_MIN;
	pool->solo_left = pool->solo_next;
	pool->solo_next = pool->solo_next < SOLO_MAX / 2 ? 2 * pool->solo_next : SOLO_MAX;
	pool->on_time = 0;
}

static double
thread_cpu_sec_(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether the caller, counting the job it just ran, got less than its share of its core
 * over the window that this job ends; it spins while it waits, so off its core is what the
 * scheduler gave to someone else. */
static int
caller_descheduled_(struct pool *pool)
{
	if (pool->window++ % WINDOW_JOBS != 0)
		return 0;
	double wall = now_sec(), cpu = thread_cpu_sec_();
	int short_share = pool->window > 1 &&
			  cpu - pool->window_cpu <
				  RUN_SHARE * (wall - pool->window_wall - pool->window_slept);
	pool->window_wall = wall;
	pool->window_cpu = cpu;
	pool->window_slept = 0.0;
	return short_share;
}

/* Whether every worker began fixed job gen (see the top of the file). */
static int
all_begun_(struct pool *pool, uint32_t gen)
{
	for (int t = 1; t < pool->threads; t++)
		if (atomic_load_explicit(&pool->begun[t], memory_order_relaxed) != gen)
			return 0;
	return 1;
}

/* How long the caller that ran its part of a job in `own` seconds waits before it looks at
 * whether the threads it waits for are running. */
static double
late_limit_(double own)
{
	return own * LATE_SHARE > LATE_SECONDS ? own * LATE_SHARE : LATE_SECONDS;
}

int
pool_job_late(int took_unbegun, double own, double wait, double share)
{
	return took_unbegun || (wait > late_limit_(own) && share < RUN_SHARE);
}

/* The threads still in job gen (begun, their part not ended), and their CPU clocks then. */
struct watch_ {
	int on;
	double wall;
	int in_job[POOL_MAX_THREADS];
	double cpu[POOL_MAX_THREADS];
};

static double
clock_sec_(clockid_t clock)
{
	struct timespec ts;
	if (clock_gettime(clock, &ts) != 0)
		return now_sec(); /* as if it always ran */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
watch_start_(struct pool *pool, uint32_t gen, struct watch_ *w)
{
	w->on = 1;
	w->wall = now_sec();
	for (int t = 1; t < pool->threads; t++) {
		w->in_job[t] = atomic_load_explicit(&pool->begun[t], memory_order_relaxed) == gen &&
			       atomic_load_explicit(&pool->ended[t], memory_order_relaxed) != gen;
		w->cpu[t] = w->in_job[t] ? clock_sec_(pool->clock[t]) : 0.0;
	}
}

/* The lowest share of its core that a watched thread has had since the watch began; 1 for a
 * watch too short to tell (the clocks are read one after the other) or never begun. */
static double
watch_share_(const struct pool *pool, const struct watch_ *w)
{
	double wall = now_sec() - w->wall, share = 1.0;
	if (!w->on || wall < WATCH_SECONDS)
		return 1.0;
	for (int t = 1; t < pool->threads; t++) {
		double s = w->in_job[t] ? (clock_sec_(pool->clock[t]) - w->cpu[t]) / wall : 1.0;
		share = s < share ? s : share;
	}
	return share;
}

/* The real-time clock `seconds` from now: condition variables time out by it. */
static struct timespec
realtime_after_(double seconds)
{
	struct timespec at;
	clock_gettime(CLOCK_REALTIME, &at);
	double sec = (double)at.tv_sec + (double)at.tv_nsec * 1e-9 + seconds;
	at.tv_sec = (time_t)sec;
	at.tv_nsec = (long)((sec - (double)at.tv_sec) * 1e9);
	return at;
}

/* The caller sleeps until the job's n_tasks are done or, given `until`, the real-time clock
 * passes it; returns whether they are done. */
static int
sleep_done_(struct pool *pool, int n_tasks, const struct timespec *until)
{
	pthread_mutex_lock(&pool->lock);
	pool->caller_sleeping = 1;
	int done, timed_out = 0;
	while (!(done = atomic_load_explicit(&pool->done, memory_order_acquire) == n_tasks) &&
	       !timed_out) {
		if (until)
			timed_out = pthread_cond_timedwait(&pool->finished, &pool->lock, until) ==
				    ETIMEDOUT;
		else
			pthread_cond_wait(&pool->finished, &pool->lock);
	}
	pool->caller_sleeping = 0;
	pthread_mutex_unlock(&pool->lock);
	return done;
}

/* The caller's wait for the other threads' tasks of job gen, after `own` seconds of its own
 * part: returns its seconds, and in *share what the threads waited for had of their cores
 * once the wait passed the limit (see pool_job_late). */
static double
wait_done_(struct pool *pool, uint32_t gen, int n_tasks, double own, double *share)
{
	double start = now_sec(), limit = late_limit_(own);
	struct watch_ w; /* its arrays are filled only if it starts: not on every job */
	w.on = 0;
	for (int spin = 0; spin < SPIN_ROUNDS; spin++) {
		if (atomic_load_explicit(&pool->done, memory_order_acquire) == n_tasks) {
			*share = watch_share_(pool, &w);
			return now_sec() - start;
		}
		if (!w.on && spin % 64 == 63 && now_sec() - start > limit)
			watch_start_(pool, gen, &w);
		wait_round_(spin);
	}
	/* A long job's wait may outlast the spinning: sleeping then is the caller's own
	 * choice, not the scheduler's, and is left out of its share of its core. */
	double sleep_start = now_sec();
	if (!w.on) {
		struct timespec at = realtime_after_(start + limit - sleep_start);
		if (!sleep_done_(pool, n_tasks, &at))
			watch_start_(pool, gen, &w);
	}
	sleep_done_(pool, n_tasks, NULL);
	*share = watch_share_(pool, &w);
	double end = now_sec();
	pool->window_slept += end - sleep_start;
	pool->slept = 1;
	return end - start;
}

static void
run_(struct pool *pool, pool_task_fn *fn, void *arg, int n_tasks, int fixed)
{
	if (n_tasks <= 0)
		return;
	/* Involving a worker costs more than a single task could gain; and see the top of
	 * the file for the jobs after a late one. */
	if (pool->threads == 1 || n_tasks == 1 || pool->solo_left > 0) {
		pool->solo_left -= pool->solo_left > 0;
		for (int task = 0; task < n_tasks; task++)
			fn(arg, task, 0);
		return;
	}
	fixed = fixed && n_tasks <= MAX_FIXED_TASKS;
	atomic_store_explicit(&pool->fn, fn, memory_order_relaxed);
	atomic_store_explicit(&pool->arg, arg, memory_order_relaxed);
	atomic_store_explicit(&pool->n_tasks, n_tasks, memory_order_relaxed);
	atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
	uint32_t gen = generation_(atomic_load_explicit(&pool->job, memory_order_relaxed)) + 1;
	/* The release store publishes fn, arg, n_tasks and done along with the new job; a
	 * fixed job's tasks are claimed by their claim words, and the word says so. */
	atomic_store_explicit(&pool->job,
			      (uint64_t)gen << 32 | (fixed ? FIXED_JOB : 0) | (uint32_t)n_tasks,
			      memory_order_release);
	pthread_mutex_lock(&pool->lock);
	/* A worker woken from sleep is late by the wake-up alone, and so may be the first job
	 * after the caller slept (a thread woken is often put on its waker's core for a
	 * while): such a job says nothing about contention. */
	int woken = pool->sleepers > 0 || pool->slept;
	pool->slept = 0;
	if (woken)
		pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);

	double start = now_sec();
	int taken = run_tasks_(pool, gen, 0);
	/* Before the wait, in which a late thread may yet begin. */
	int took_unbegun = taken > 0 && !all_begun_(pool, gen);
	double own = now_sec() - start, share = 1.0;
	double wait = wait_done_(pool, gen, n_tasks, own, &share);
	int late = pool_job_late(took_unbegun, own, wait, share);
	if (woken) {
		pool->window = 0;
		return;
	}
	count_job_(pool, caller_descheduled_(pool) || late);
}

void
pool_run(struct pool *pool, pool_task_fn *fn, void *arg, int n_tasks)
{
	run_(pool, fn, arg, n_tasks, 0);
}

void
pool_run_fixed(struct pool *pool, pool_task_fn *fn, void *arg, int n_tasks)
{
	run_(pool, fn, arg, n_tasks, 1);
}

int
pool_threads(const struct pool *pool)
{
	return pool->threads;
}

void *
pool_scratch(const struct pool *pool, int thread)
{
	return pool->scratch + (size_t)thread * pool->scratch_stride;
}

int
pool_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > POOL_MAX_THREADS ? POOL_MAX_THREADS : (int)n;
}
