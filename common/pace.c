/* pace.c: how soon to ask again: rate buckets, backoff, Retry-After. */

/*
 * The pacers of a rate budget (a token bucket, or a window of sends), the
 * backoff between retries and the server's Retry-After.
 */

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define WINDOW_POLL_MS	200	/* a window pacer whose sends are all out */
#define TRUST_RATE	0.97	/* of the budget's rate, until a 429 */
#define BATCH_MS	250	/* a dry bucket's sends go out together */

/*
 * One pacer, either kind; each is an object of its own (one per budget of
 * one vault), never shared through a global.
 *
 * A window pacer (limit > 0) holds a budget of limit sends per window
 * seconds, which a service may count as a token bucket, in fixed windows
 * or in a sliding one.  It starts trusting the bucket, the most generous:
 * limit sends at once, then limit per window spread evenly (tokens).  The
 * first 429 the service answers makes it strict for good: then it keeps
 * the sends of any window seconds at most limit, which every way of
 * counting accepts.  A send counts from the moment it starts until window
 * seconds after its answer: the service counts a request when it arrives,
 * which is after the send started and before the answer, so a send that
 * starts window seconds after another's answer arrives more than window
 * seconds after it did.  Sends in flight are in every window; ends[]
 * holds the answers' times of the last limit sends in the order they
 * came, which is the order of time, kept in both modes so that the strict
 * one knows the past.
 */
struct http_bucket {
	pthread_mutex_t	 mu;
	double		 rate, burst, tokens, last;
	double		 batch;		/* tokens a dry bucket waits for */
	int		 primed;
	int		 dry;		/* ran out: waits for a batch */
	int		 limit;		/* window pacer: its budget, else 0 */
	int		 strict;	/* window pacer: a 429 was seen */
	double		 window;	/* seconds */
	double		*ends;		/* ring of answer times */
	int		 cap;		/* of ends: grows up to limit */
	int		 head, n;	/* oldest, count in ends */
	int		 inflight;
};

/*
 * "1", "2.5": seconds (or ms) as a number, -1 if that is not what s is.
 * RFC 9110 section 10.2.3 allows digits only; a fraction costs nothing.
 */
static double
parse_delta(const char *s)
{
	double v = 0, scale = 1;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++)
		v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			v += (*s - '0') * (scale /= 10);
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' ? v : -1;
}

static long
clamp_ms(double ms)
{
	ms = ceil(ms);
	return ms > 1e15 ? (long)1e15 : (long)ms;
}

long
http_retry_after_ms(const char *value, time_t now)
{
	/* IMF-fixdate, then the obsolete RFC 850 and asctime forms. */
	static const char *const fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT",
		"%A, %d-%b-%y %H:%M:%S GMT",
		"%a %b %e %H:%M:%S %Y",
	};
	struct tm tm;
	const char *end;
	double secs;
	time_t t;
	size_t i;

	if (value == NULL)
		return -1;
	if ((secs = parse_delta(value)) >= 0)
		return clamp_ms(secs * 1000);
	while (*value == ' ' || *value == '\t')
		value++;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(value, fmts[i], &tm)) == NULL)
			continue;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '\0' || (t = timegm(&tm)) == (time_t)-1)
			continue;
		return t <= now ? 0 : clamp_ms(difftime(t, now) * 1000);
	}
	return -1;
}

long
http_retry_ms(const char *value)
{
	double ms;

	if (value == NULL || (ms = parse_delta(value)) < 0)
		return -1;
	return clamp_ms(ms);
}

long
http_backoff_ms(int attempt, long base, long cap, double r01)
{
	double d;

	if (base <= 0 || cap <= 0)
		return 0;
	if (attempt < 0)
		attempt = 0;
	if (attempt > 1000)
		attempt = 1000;
	if ((d = ldexp((double)base, attempt)) > cap)
		d = cap;
	if (!(r01 > 0))
		r01 = 0;
	if (r01 > 1)
		r01 = 1;
	return (long)(r01 * d);
}

/*
 * What a dry bucket waits for: the tokens of BATCH_MS, at least one and
 * at most the burst.  Paced one by one, each send of a steady stream
 * wakes every thread of the tool and of the next one in the pipeline
 * apart, with caches gone cold in between: a send costs about twice the
 * CPU of one in a burst.  In groups the rate is the same, and a send
 * waits at most BATCH_MS more.  A burst of 1 (--write-rate) stays even.
 */
static void
set_batch(struct http_bucket *b)
{
	b->batch = floor(b->rate * BATCH_MS / 1000);
	if (b->batch > b->burst)
		b->batch = floor(b->burst);
	if (!(b->batch >= 1))
		b->batch = 1;
}

struct http_bucket *
http_bucket_new(double rate, double burst)
{
	struct http_bucket *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	b->rate = rate;
	b->burst = burst < 1 ? 1 : burst;
	set_batch(b);
	return b;
}

struct http_bucket *
http_window_new(int limit, double window)
{
	struct http_bucket *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	b->limit = limit < 1 ? 1 : limit;
	b->window = window > 0 ? window : 0;
	/*
	 * The bucket that the pacer trusts until a 429, refilled a little
	 * slower than the server's: requests do not arrive in the order nor
	 * at the pace they were sent, and the server's surplus (3 % of the
	 * rate, from the end of the burst on) absorbs that jitter instead
	 * of a 429.
	 */
	b->burst = b->limit;
	b->rate = b->window > 0 ? TRUST_RATE * b->limit / b->window : 0;
	set_batch(b);
	/* A large budget's ring grows as the answers come. */
	b->cap = b->limit < 256 ? b->limit : 256;
	b->ends = xcalloc(b->cap, sizeof(*b->ends));
	return b;
}

void
http_bucket_free(struct http_bucket *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->mu);
	free(b->ends);
	free(b);
}

/*
 * A token bucket's take (rate > 0): ms to wait, 0 when it took one.  With
 * b->mu held.
 */
static long
bucket_take(struct http_bucket *b, double now)
{
	double need;
	long wait = 0;

	if (!b->primed) {
		b->tokens = b->burst;
		/* A window pacer's refill waits for its first answer. */
		b->last = b->limit > 0 ? HUGE_VAL : now;
		b->primed = 1;
	}
	if (now > b->last) {
		b->tokens = fmin(b->burst,
		    b->tokens + (now - b->last) * b->rate);
		b->last = now;
	}
	/*
	 * Sends in flight have not reached the server's bucket yet, which
	 * meanwhile stays full and loses its refill: once they arrive it
	 * holds at most burst - inflight (0 for a plain bucket, which
	 * counts none).
	 */
	b->tokens = fmin(b->tokens, b->burst - b->inflight);
	/*
	 * Dry, it waits for a batch (or for what the sends in flight
	 * leave room for), then lets sends go while a token is left.
	 */
	if (b->tokens < 1)
		b->dry = 1;
	need = b->dry ? fmax(1, fmin(b->batch, b->burst - b->inflight)) : 1;
	if (b->tokens >= need) {
		b->tokens -= 1;
		b->dry = 0;
	} else if ((wait = (long)ceil((need - b->tokens) / b->rate *
	    1000)) < 1)
		wait = 1;
	return wait;
}

/*
 * The window pacer's take: trusting, a token of the bucket; strict, a
 * send may start when fewer than limit count.
 */
static long
window_take(struct http_bucket *b, double now)
{
	long wait = 0;

	while (b->n > 0 && b->ends[b->head] + b->window <= now) {
		b->head = (b->head + 1) % b->cap;
		b->n--;
	}
	if (!b->strict) {
		if (b->rate > 0 && (wait = bucket_take(b, now)) > 0)
			return wait;
		b->inflight++;
		return 0;
	}
	if (b->inflight + b->n < b->limit)
		b->inflight++;
	else if (b->n == 0)
		/* All in flight: an answer frees one; the engine wakes then. */
		wait = WINDOW_POLL_MS;
	else if ((wait = (long)ceil((b->ends[b->head] + b->window - now) *
	    1000)) < 1)
		wait = 1;
	return wait;
}

/* Twice the room (at most limit), the oldest first again. */
static void
ring_grow(struct http_bucket *b)
{
	double *ends;
	int cap, i;

	cap = b->cap > b->limit / 2 ? b->limit : b->cap * 2;
	ends = xcalloc(cap, sizeof(*ends));
	for (i = 0; i < b->n; i++)
		ends[i] = b->ends[(b->head + i) % b->cap];
	free(b->ends);
	b->ends = ends;
	b->cap = cap;
	b->head = 0;
}

void
http_bucket_done(struct http_bucket *b, double now)
{
	if (b == NULL || b->limit == 0)
		return;
	pthread_mutex_lock(&b->mu);
	/*
	 * The server's bucket starts when the first send reaches it, after
	 * the connection's set-up: the trusted one starts refilling at the
	 * first answer, which comes later still.
	 */
	if (b->primed && b->last == HUGE_VAL)
		b->last = now;
	if (b->inflight > 0) {
		b->inflight--;
		/*
		 * The last limit answers are all a window can need: more
		 * than limit in one (the bucket's way) is the same as limit,
		 * and the older ones expire first.
		 */
		if (b->n == b->cap && b->cap < b->limit)
			ring_grow(b);
		if (b->n == b->cap) {
			b->head = (b->head + 1) % b->cap;
			b->n--;
		}
		b->ends[(b->head + b->n) % b->cap] = now;
		b->n++;
	}
	pthread_mutex_unlock(&b->mu);
}

void
http_bucket_throttled(struct http_bucket *b)
{
	if (b == NULL || b->limit == 0)
		return;
	pthread_mutex_lock(&b->mu);
	b->strict = 1;
	pthread_mutex_unlock(&b->mu);
}

long
http_bucket_take(struct http_bucket *b, double now)
{
	long wait = 0;

	if (b->limit > 0) {
		pthread_mutex_lock(&b->mu);
		wait = window_take(b, now);
		pthread_mutex_unlock(&b->mu);
		return wait;
	}
	if (b->rate <= 0)
		return 0;
	pthread_mutex_lock(&b->mu);
	wait = bucket_take(b, now);
	pthread_mutex_unlock(&b->mu);
	return wait;
}
