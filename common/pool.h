/* pool.h: ordered concurrency, N records at once, out in input order. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_POOL_H
#define VAULT2KV_POOL_H

/*
 * pool.c: ordered concurrency.  Up to N records are handled at once by
 * worker threads; results are emitted in input order by the thread that
 * calls pool_submit and pool_finish.
 *
 * fn runs in a worker thread: it consumes the record and returns what to
 * emit: an object (one record), an array of records (zero or more), or
 * jv_invalid() (nothing).  emit runs in the submitting thread, in order,
 * consuming each record; it returns -1 to stop the run (e.g. EPIPE).
 * Each record carries a tag, the caller's number for what the record
 * does not say (kv-put: its turn among its name's records), handed to
 * fn and to emit (and lost) with each record of the result, so that no
 * side data rides inside a record.
 */
typedef jv	(*pool_fn)(jv rec, long tag, void *arg);
typedef int	(*pool_emit)(jv rec, long tag, void *arg);
struct pool;
struct pool *pool_new(int workers, pool_fn fn, pool_emit emit, void *arg);
/*
 * Once emit has asked to stop, records not yet started are not started
 * (they are wiped), and the results of those that were are handed, in
 * order, to lost (its return value unused) instead of being wiped: to
 * name what was done but could not be reported.
 */
void	 pool_on_lost(struct pool *, pool_emit lost);
/* Blocks while the window is full; -1 once emit has asked to stop. */
int	 pool_submit(struct pool *, jv rec /* consumed */, long tag);
/*
 * Lanes, before the first submit: the records of one lane (kv-put: of
 * one vault) are worked on by at most per_lane workers at once, and each
 * lane brings per_lane workers of its own, started when it is first
 * used, so that a slow lane (a vault at its budget) holds up no other.
 */
void	 pool_set_lanes(struct pool *, int per_lane);
/*
 * Read up to window records ahead (2 a worker at first; results still
 * go out in input order): a lane's records past the others' are reached
 * only within it.  It never shrinks.  Any time, from the submitting
 * thread.
 */
void	 pool_grow(struct pool *, unsigned long window);
int	 pool_submit_lane(struct pool *, jv rec /* consumed */, long tag,
	    int lane);
/* Wait for every submitted record, emit the rest; -1 if emit stopped. */
int	 pool_finish(struct pool *);
void	 pool_free(struct pool *);

#endif
