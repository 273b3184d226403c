/* pool.c: ordered concurrency: N workers, results emitted in input order. */

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct slot {
	jv	 in;
	jv	 out;
	long	 tag;		/* the caller's, for fn and emit */
	size_t	 line;		/* input line, for messages */
	int	 lane;		/* pool_submit_lane's, or -1 */
	int	 started;
	int	 done;
};

struct pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv_work;	/* a slot is waiting for a worker */
	pthread_cond_t	 cv_done;	/* a worker finished a slot */
	pthread_t	*threads;
	int		 nthreads;
	struct slot	*slots;
	unsigned long	 window;	/* slots in the ring */
	unsigned long	 head;		/* next to emit */
	unsigned long	 next;		/* no slot before it waits to start */
	unsigned long	 tail;		/* next free */
	int		 closing;
	/* Lanes (pool_set_lanes): per_lane workers each, started on demand. */
	int		 per_lane;	/* 0: no lanes */
	int		*busy;		/* workers at work in each lane */
	int		 nlanes;
	int		 stopped;	/* emit asked to stop */
	pool_fn		 fn;
	pool_emit	 emit;
	pool_emit	 lost;		/* results after the stop, or NULL */
	void		*arg;
};

/*
 * The oldest slot that waits to start and whose lane has a worker to
 * spare: 1 and *idx, its index, or 0.  Called with pl->mu held.  A
 * worker keeps the index, not the slot: the ring may grow (pool_grow).
 */
static int
take_slot(struct pool *pl, unsigned long *idx)
{
	struct slot *s;
	unsigned long i;

	for (i = pl->next; i != pl->tail; i++) {
		s = &pl->slots[i % pl->window];
		if (s->started || (s->lane >= 0 &&
		    pl->busy[s->lane] >= pl->per_lane))
			continue;
		s->started = 1;
		if (s->lane >= 0)
			pl->busy[s->lane]++;
		while (pl->next != pl->tail &&
		    pl->slots[pl->next % pl->window].started)
			pl->next++;
		*idx = i;
		return 1;
	}
	return 0;
}

static void *
worker(void *p)
{
	struct pool *pl = p;
	struct slot *s;
	unsigned long idx;
	jv in, out;
	long tag;
	int got;

	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (!(got = take_slot(pl, &idx)) && !pl->closing)
			pthread_cond_wait(&pl->cv_work, &pl->mu);
		if (!got)
			break;
		s = &pl->slots[idx % pl->window];
		in = s->in;
		s->in = jv_invalid();
		tag = s->tag;
		rec_set_lineno(s->line);
		if (pl->stopped) {
			/*
			 * Nobody will hear of what this record would do (a
			 * write to Key Vault without its mapping line): it is
			 * not started.  Records start in input order, so a
			 * name's earlier records have all started before.
			 */
			pthread_mutex_unlock(&pl->mu);
			jv_wipe_free(in);
			out = jv_invalid();
		} else {
			pthread_mutex_unlock(&pl->mu);
			http_record_start();
			out = pl->fn(in, tag, pl->arg);
			http_record_end();
		}
		pthread_mutex_lock(&pl->mu);
		s = &pl->slots[idx % pl->window];
		s->out = out;
		s->done = 1;
		/*
		 * Only the submitting thread waits on cv_done, and only for
		 * the head slot (drain): a slot behind it wakes nobody.
		 */
		if (idx == pl->head)
			pthread_cond_signal(&pl->cv_done);
		/*
		 * A lane's worker is free: its lane's next slot may start,
		 * and this worker, about to look again, is the one to take
		 * it.
		 */
		if (s->lane >= 0)
			pl->busy[s->lane]--;
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

struct pool *
pool_new(int workers, pool_fn fn, pool_emit emit, void *arg)
{
	struct pool *pl;
	sigset_t all, old;
	int i;

	if (workers < 1)
		workers = 1;
	pl = xcalloc(1, sizeof(*pl));
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->cv_work, NULL);
	pthread_cond_init(&pl->cv_done, NULL);
	pl->fn = fn;
	pl->emit = emit;
	pl->arg = arg;
	pl->window = (unsigned long)workers * 2;
	pl->slots = xcalloc(pl->window, sizeof(*pl->slots));
	pl->threads = xcalloc((size_t)workers, sizeof(*pl->threads));
	/* Signals go to the main thread, which reads the input. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < workers; i++) {
		if (pthread_create(&pl->threads[i], NULL, worker, pl) != 0)
			msg_fatal("cannot start a worker thread");
		pl->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pl;
}

/* n more workers; with pl->mu held, or before the first submit. */
static void
add_workers(struct pool *pl, int n)
{
	sigset_t all, old;
	int i;

	pl->threads = xrealloc(pl->threads, (size_t)(pl->nthreads + n) *
	    sizeof(*pl->threads));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < n; i++) {
		if (pthread_create(&pl->threads[pl->nthreads], NULL, worker,
		    pl) != 0)
			msg_fatal("cannot start a worker thread");
		pl->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
pool_set_lanes(struct pool *pl, int per_lane)
{
	pthread_mutex_lock(&pl->mu);
	pl->per_lane = per_lane < 1 ? 1 : per_lane;
	pthread_mutex_unlock(&pl->mu);
}

void
pool_grow(struct pool *pl, unsigned long window)
{
	struct slot *slots;
	unsigned long i;

	pthread_mutex_lock(&pl->mu);
	if (window > pl->window) {
		/* Each slot moves to where its index falls in the new ring. */
		slots = xcalloc(window, sizeof(*slots));
		for (i = pl->head; i != pl->tail; i++)
			slots[i % window] = pl->slots[i % pl->window];
		free(pl->slots);
		pl->slots = slots;
		pl->window = window;
	}
	pthread_mutex_unlock(&pl->mu);
}

void
pool_on_lost(struct pool *pl, pool_emit lost)
{
	pl->lost = lost;
}

/*
 * Emit one record; after the stop, hand it to lost.  Returns 1 when emit
 * asks to stop now.  Only the emitting thread sets stopped.
 */
static int
emit_one(struct pool *pl, jv rec, long tag, int stopped)
{
	if (stopped) {
		if (pl->lost != NULL)
			pl->lost(rec, tag, pl->arg);
		else
			jv_wipe_free(rec);
		return 0;
	}
	return pl->emit(rec, tag, pl->arg) == -1;
}

/*
 * Emit one result (an object, an array of them, or nothing).  Called
 * with pl->mu held, which it drops while emit runs.
 */
static void
emit_out(struct pool *pl, jv out, long tag)
{
	jv e;
	int i, n, stopped = pl->stopped, stop = 0;

	pthread_mutex_unlock(&pl->mu);
	switch (jv_get_kind(out)) {
	case JV_KIND_INVALID:
		jv_free(out);
		break;
	case JV_KIND_ARRAY:
		n = jv_array_length(jv_copy(out));
		for (i = 0; i < n; i++) {
			e = jv_array_get(jv_copy(out), i);
			if (emit_one(pl, e, tag, stopped || stop))
				stop = 1;
		}
		jv_wipe_free(out);
		break;
	default:
		stop = emit_one(pl, out, tag, stopped);
	}
	pthread_mutex_lock(&pl->mu);
	if (stop)
		pl->stopped = 1;
}

/*
 * Emit finished slots at the head; with wait, block until at least the
 * head is done.  Called and returns with pl->mu held.
 */
static void
drain(struct pool *pl, int wait)
{
	struct slot *s;
	long tag;
	jv out;

	for (;;) {
		if (pl->head == pl->tail)
			return;
		s = &pl->slots[pl->head % pl->window];
		if (!s->done) {
			if (!wait)
				return;
			pthread_cond_wait(&pl->cv_done, &pl->mu);
			continue;
		}
		out = s->out;
		tag = s->tag;
		s->out = jv_invalid();
		s->done = 0;
		pl->head++;
		wait = 0;
		emit_out(pl, out, tag);
	}
}

int
pool_submit(struct pool *pl, jv rec, long tag)
{
	return pool_submit_lane(pl, rec, tag, -1);
}

int
pool_submit_lane(struct pool *pl, jv rec, long tag, int lane)
{
	struct slot *s;
	int rc;

	pthread_mutex_lock(&pl->mu);
	if (pl->per_lane == 0 || lane < 0)
		lane = -1;
	else if (lane >= pl->nlanes) {
		/* A new lane brings its own workers. */
		pl->busy = xrealloc(pl->busy, (size_t)(lane + 1) *
		    sizeof(*pl->busy));
		memset(pl->busy + pl->nlanes, 0, (size_t)(lane + 1 -
		    pl->nlanes) * sizeof(*pl->busy));
		add_workers(pl, (lane + 1 - pl->nlanes) * pl->per_lane);
		pl->nlanes = lane + 1;
	}
	while (pl->tail - pl->head == pl->window)
		drain(pl, 1);
	s = &pl->slots[pl->tail++ % pl->window];
	s->in = rec;
	s->tag = tag;
	s->line = rec_lineno();
	s->lane = lane;
	s->started = 0;
	s->done = 0;
	/*
	 * One idle worker is enough: any worker takes a slot of any lane,
	 * and a worker that finds nothing it may start sleeps again.  A
	 * broadcast would wake all N for each record (N context switches
	 * a record when the input trickles in, as kv-check's does behind
	 * a paced kv-put).
	 */
	pthread_cond_signal(&pl->cv_work);
	drain(pl, 0);
	rc = pl->stopped ? -1 : 0;
	pthread_mutex_unlock(&pl->mu);
	return rc;
}

int
pool_finish(struct pool *pl)
{
	int rc;

	pthread_mutex_lock(&pl->mu);
	while (pl->head != pl->tail)
		drain(pl, 1);
	rc = pl->stopped ? -1 : 0;
	pthread_mutex_unlock(&pl->mu);
	return rc;
}

void
pool_free(struct pool *pl)
{
	int i;

	if (pl == NULL)
		return;
	pool_finish(pl);
	pthread_mutex_lock(&pl->mu);
	pl->closing = 1;
	pthread_cond_broadcast(&pl->cv_work);
	pthread_mutex_unlock(&pl->mu);
	for (i = 0; i < pl->nthreads; i++)
		pthread_join(pl->threads[i], NULL);
	pthread_cond_destroy(&pl->cv_work);
	pthread_cond_destroy(&pl->cv_done);
	pthread_mutex_destroy(&pl->mu);
	free(pl->slots);
	free(pl->threads);
	free(pl->busy);
	free(pl);
}
