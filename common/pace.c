/* pace.c: how soon to ask again: rate buckets, backoff, Retry-After. */

/*
 * The token bucket of a rate budget, the backoff between retries and the
 * server's Retry-After.
 */

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

struct http_bucket {
	pthread_mutex_t	 mu;
	double		 rate, burst, tokens, last;
	int		 primed;
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

struct http_bucket *
http_bucket_new(double rate, double burst)
{
	struct http_bucket *b = xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->mu, NULL);
	b->rate = rate;
	b->burst = burst < 1 ? 1 : burst;
	return b;
}

void
http_bucket_free(struct http_bucket *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->mu);
	free(b);
}

long
http_bucket_take(struct http_bucket *b, double now)
{
	long wait = 0;

	if (b->rate <= 0)
		return 0;
	pthread_mutex_lock(&b->mu);
	if (!b->primed) {
		b->tokens = b->burst;
		b->last = now;
		b->primed = 1;
	}
	if (now > b->last) {
		b->tokens = fmin(b->burst,
		    b->tokens + (now - b->last) * b->rate);
		b->last = now;
	}
	if (b->tokens >= 1)
		b->tokens -= 1;
	else if ((wait = (long)ceil((1 - b->tokens) / b->rate * 1000)) < 1)
		wait = 1;
	pthread_mutex_unlock(&b->mu);
	return wait;
}
