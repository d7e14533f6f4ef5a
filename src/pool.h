/* pool.h: a persistent pool of POSIX threads that runs numbered tasks.
 *
 * main creates one pool and passes it down. pool_run hands out tasks 0..n_tasks-1 to the
 * pool's threads, the calling thread included, and returns when all are done. Which thread
 * runs which task is left to timing, so a task must write only its own part of the output:
 * results then depend on how the work is cut into tasks, never on who ran them or when. */
#ifndef BPTRAIN_POOL_H
#define BPTRAIN_POOL_H

#include <stddef.h>

#define POOL_MAX_THREADS 256

struct pool;

/* One task: `thread` (0..threads-1) names the thread running it, so the task can use that
 * thread's scratch memory. */
typedef void pool_task_fn(void *arg, int task, int thread);

/* Start threads-1 workers (the caller is thread 0), each with scratch_bytes of scratch
 * memory aligned to 64 bytes. Returns NULL with a message if threads cannot be created. */
struct pool *pool_create(int threads, size_t scratch_bytes);
void pool_free(struct pool *pool);

/* Run fn(arg, task, thread) for every task in 0..n_tasks-1 and wait for all of them. Tasks
 * go to whichever thread asks first (the calling thread alone after late jobs, as below). */
void pool_run(struct pool *pool, pool_task_fn *fn, void *arg, int n_tasks);
/* The same, but task i runs on thread i % threads (when n_tasks >= threads): a pass that
 * runs every step keeps its blocks of data in the same core's cache from one step to the
 * next. A thread that is late loses its tasks to the others, and after jobs that end late
 * (another process busy on a core) the calling thread runs the next jobs alone; see
 * pool.c. */
void pool_run_fixed(struct pool *pool, pool_task_fn *fn, void *arg, int n_tasks);

/* The rule that decides whether a job ended late (see pool.c): the caller took tasks of a
 * thread that had not begun the job, or, after `own` seconds on its own part, waited `wait`
 * seconds for the other threads' tasks, which, once the wait had grown long, had at least
 * `share` of their cores (the lowest share among them). Apart so that test_pool checks it
 * without timing. */
int pool_job_late(int took_unbegun, double own, double wait, double share);

int pool_threads(const struct pool *pool);
void *pool_scratch(const struct pool *pool, int thread);

/* The number of online CPUs, at least 1: the default for --threads. */
int pool_default_threads(void);

#endif
