/*
 * The one way beamdump runs work in parallel: parts of a job spread over
 * threads. Whatever the threads share must be built before bd_parallel is
 * called and must not change while it runs; each part writes only its own
 * results, so the results never depend on how many threads ran.
 */
#include "bd.h"

#include <pthread.h>
#include <unistd.h>

unsigned bd_threads_online(void)
{
	long cpus = 1;

#ifdef _SC_NPROCESSORS_ONLN
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
#endif
	if (cpus < 1)
		return 1;
	return cpus > BD_THREADS_AUTO_MAX ? BD_THREADS_AUTO_MAX : (unsigned)cpus;
}

struct runner {
	void (*fn)(void *ctx, size_t part);
	void *ctx;
	size_t first;   /* this runner's parts: first, first + stride, ... below n */
	size_t stride;
	size_t n;
};

static void *run(void *arg)
{
	const struct runner *r = arg;

	for (size_t i = r->first; i < r->n; i += r->stride)
		r->fn(r->ctx, i);
	return NULL;
}

void bd_parallel(size_t n_parts, unsigned threads, void (*fn)(void *ctx, size_t part), void *ctx)
{
	struct runner r[BD_THREADS_MAX];
	pthread_t th[BD_THREADS_MAX];
	bool started[BD_THREADS_MAX];
	size_t n = threads < 1 ? 1 : threads > BD_THREADS_MAX ? BD_THREADS_MAX : threads;

	if (n > n_parts)
		n = n_parts;
	for (size_t t = 0; t < n; t++)
		r[t] = (struct runner){ fn, ctx, t, n, n_parts };
	for (size_t t = 1; t < n; t++)
		started[t] = pthread_create(&th[t], NULL, run, &r[t]) == 0;
	if (n)
		run(&r[0]);
	for (size_t t = 1; t < n; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			run(&r[t]); /* no thread to be had: its parts run here */
	}
}

size_t bd_part_start(size_t total, size_t part, size_t n_parts)
{
	/* total * part / n_parts without overflow for any size_t total */
	return total / n_parts * part + total % n_parts * part / n_parts;
}
