/*
 * The one way beamdump runs work in parallel: parts of a job spread over
 * threads. Whatever the threads share must be built before bd_parallel is
 * called and must not change while it runs; each part writes only its own
 * results, so the results never depend on how many threads ran.
 */
#include "bd.h"

#include <pthread.h>
#include <stdatomic.h>
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

/*
 * Parts are handed out in order as threads become free, so that a long
 * part does not hold up the parts a fixed share would have queued behind
 * it. The calling thread always runs part 0 (progress is reported there).
 */
struct pool {
	void (*fn)(void *ctx, size_t part);
	void *ctx;
	size_t n;
	_Atomic size_t next;    /* the next part to hand out; part 0 is the caller's */
};

static void *run(void *arg)
{
	struct pool *p = arg;

	for (size_t i = atomic_fetch_add(&p->next, 1); i < p->n; i = atomic_fetch_add(&p->next, 1))
		p->fn(p->ctx, i);
	return NULL;
}

void bd_parallel(size_t n_parts, unsigned threads, void (*fn)(void *ctx, size_t part), void *ctx)
{
	struct pool p = { fn, ctx, n_parts, 1 };
	pthread_t th[BD_THREADS_MAX];
	bool started[BD_THREADS_MAX];
	size_t n = threads < 1 ? 1 : threads > BD_THREADS_MAX ? BD_THREADS_MAX : threads;

	if (!n_parts)
		return;
	if (n > n_parts)
		n = n_parts;
	for (size_t t = 1; t < n; t++)
		started[t] = pthread_create(&th[t], NULL, run, &p) == 0;
	fn(ctx, 0);
	run(&p); /* also every part no thread could be started for */
	for (size_t t = 1; t < n; t++)
		if (started[t])
			pthread_join(th[t], NULL);
}

size_t bd_part_start(size_t total, size_t part, size_t n_parts)
{
	/* total * part / n_parts without overflow for any size_t total */
	return total / n_parts * part + total % n_parts * part / n_parts;
}
