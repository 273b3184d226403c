/* test_pace.c: the window pacer, against servers that count three ways. */

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

#define LIMIT	300
#define WINDOW	10.0
#define SENDS	1000
#define WORKERS	16
#define STEP	0.0005		/* the simulation's clock tick, seconds */

static unsigned long long rng = 42;

static double
uniform(double max)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (rng >> 11) * 0x1.0p-53 * max;
}

/*
 * A strict pacer of n a window, idle at t: all n go at once, and the next
 * waits for an answer (the engine polls).
 */
static struct http_bucket *
strict_burst(int n, double window, double t)
{
	struct http_bucket *b;
	int i;

	b = http_window_new(n, window);
	http_bucket_throttled(b);
	for (i = 0; i < n; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	CHECK(http_bucket_take(b, t) > 0);
	return b;
}

static void
test_basic(void)
{
	struct http_bucket *b;
	double t = 1000.0;
	long w;
	int i;

	/*
	 * Trusting: the budget at once, then budget/window a second, as a
	 * token bucket; in flight or not makes no difference.
	 */
	b = http_window_new(5, 10);
	for (i = 0; i < 5; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	w = http_bucket_take(b, t);
	CHECK(w >= 2061 && w <= 2062);	/* 97 % of 0.5 a second */
	/* It refills from the first answer on, not from the first send. */
	CHECK(http_bucket_take(b, t + 2.07) > 0);
	http_bucket_done(b, t + 0.02);
	CHECK(http_bucket_take(b, t + 2.07) > 0);
	CHECK_EQ(http_bucket_take(b, t + 2.09), 0);
	CHECK(http_bucket_take(b, t + 2.09) > 0);
	for (i = 0; i < 5; i++)
		http_bucket_done(b, t + 2.02);
	/* A 429: strict for good, with what it sent in the last window. */
	http_bucket_throttled(b);
	w = http_bucket_take(b, t + 4.0);
	CHECK(w >= 8020 && w <= 8021);
	CHECK_EQ(http_bucket_take(b, t + 12.03), 0);
	http_bucket_free(b);
	http_bucket_throttled(NULL);

	/*
	 * Trusting, with sends in flight: the server's bucket, full while
	 * they travel, will hold at most the burst less them.  16 go at t,
	 * one is answered at t + 0.01 (the refill starts), 15 arrive only
	 * at t + 1: then the server has 300 - 15, and so many go, no more.
	 */
	b = http_window_new(300, 10);
	for (i = 0; i < 16; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	http_bucket_done(b, t + 0.01);
	for (i = 0; http_bucket_take(b, t + 1.0) == 0 && i < 400; i++)
		;
	CHECK_EQ(i, 285);
	http_bucket_free(b);

	/*
	 * Dry, it waits for a batch (a quarter second's tokens: 7 at 97 %
	 * of 30 a second) and lets the batch go at once, not one send per
	 * token.  A plain bucket of burst 1 (--write-rate) stays even.
	 */
	b = http_window_new(300, 10);
	for (i = 0; i < 300; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	for (i = 0; i < 300; i++)
		http_bucket_done(b, t);
	w = http_bucket_take(b, t);
	CHECK(w >= 240 && w <= 241);		/* 7 / 29.1 s */
	CHECK(http_bucket_take(b, t + 0.1) > 0);	/* 2.9 tokens */
	for (i = 0; http_bucket_take(b, t + 0.241) == 0 && i < 20; i++)
		;
	CHECK_EQ(i, 7);
	w = http_bucket_take(b, t + 0.241);
	CHECK(w >= 240 && w <= 241);
	http_bucket_free(b);
	b = http_bucket_new(30, 1);
	CHECK_EQ(http_bucket_take(b, t), 0);
	w = http_bucket_take(b, t);
	CHECK(w >= 33 && w <= 34);
	CHECK_EQ(http_bucket_take(b, t + 0.034), 0);
	http_bucket_free(b);

	/* Strict from idle: the whole budget at once, then all in flight. */
	b = strict_burst(5, 10, t);
	for (i = 0; i < 5; i++)
		http_bucket_done(b, t + 0.02);
	/* Each counts until 10 s after its answer, not after its start. */
	w = http_bucket_take(b, t + 0.03);
	CHECK(w >= 9990 && w <= 9991);
	w = http_bucket_take(b, t + 10.0);
	CHECK(w >= 20 && w <= 21);
	CHECK_EQ(http_bucket_take(b, t + 10.021), 0);
	CHECK_EQ(http_bucket_take(b, t + 10.021), 0);
	CHECK_EQ(http_bucket_take(b, t + 10.021), 0);
	CHECK_EQ(http_bucket_take(b, t + 10.021), 0);
	CHECK_EQ(http_bucket_take(b, t + 10.021), 0);
	CHECK(http_bucket_take(b, t + 10.021) > 0);
	/* A done without a take, and a clock that goes back, break nothing. */
	http_bucket_free(b);
	b = http_window_new(2, 1);
	http_bucket_throttled(b);
	http_bucket_done(b, t);
	CHECK_EQ(http_bucket_take(b, t), 0);
	CHECK_EQ(http_bucket_take(b, t), 0);
	http_bucket_done(b, t);
	CHECK(http_bucket_take(b, t - 5) > 0);
	http_bucket_free(b);
	http_bucket_free(NULL);
	http_bucket_done(NULL, t);

	/* A large budget: its ring grows, in order, as answers come. */
	b = strict_burst(1000, 1, t);
	for (i = 0; i < 1000; i++)
		http_bucket_done(b, t + (i + 1) * 0.001);
	w = http_bucket_take(b, t + 1.0005);
	CHECK(w > 0 && w <= 1);
	CHECK_EQ(http_bucket_take(b, t + 1.0015), 0);
	CHECK(http_bucket_take(b, t + 1.0015) > 0);
	CHECK_EQ(http_bucket_take(b, t + 1.5005), 0);
	for (i = 0; i < 498; i++)
		CHECK_EQ(http_bucket_take(b, t + 1.5005), 0);
	CHECK(http_bucket_take(b, t + 1.5005) > 0);
	http_bucket_free(b);
}

enum { SLIDING, FIXED, BUCKET };

/*
 * The server: whether a request that arrives at a is within its budget,
 * counted as a sliding window, fixed windows from phase or a token bucket
 * whose burst is the budget (as tests/servers/keyvault.py does); only
 * what it accepts counts.
 */
struct server {
	int	 mode;
	double	 phase;
	double	 acc[SENDS];	/* accepted arrivals, in order */
	int	 nacc;
	long	 win;		/* fixed */
	int	 count;
	double	 tokens, last;	/* bucket */
};

static int
accepts(struct server *s, double a)
{
	long n;

	switch (s->mode) {
	case SLIDING:
		if (s->nacc >= LIMIT && a - s->acc[s->nacc - LIMIT] < WINDOW)
			return 0;
		break;
	case FIXED:
		n = (long)floor((a - s->phase) / WINDOW);
		if (n != s->win) {
			s->win = n;
			s->count = 0;
		}
		if (s->count >= LIMIT)
			return 0;
		s->count++;
		break;
	default:
		s->tokens = fmin(LIMIT, s->tokens + (a - s->last) *
		    (LIMIT / WINDOW));
		s->last = a;
		if (s->tokens < 1)
			return 0;
		s->tokens -= 1;
	}
	s->acc[s->nacc++] = a;
	return 1;
}

/*
 * WORKERS senders share pacer b, as the engine's jobs do, until SENDS
 * requests are accepted; each request reaches the server a random time
 * after it starts and is answered a random time after that.  A refused
 * one is answered 429 (http_bucket_throttled) and sent again.  Returns
 * the refusals; *first: when the LIMIT-th accepted one arrived, *last:
 * the last.
 */
static int
simulate(struct http_bucket *b, struct server *s, double latency,
    double *first, double *last)
{
	double arrive[WORKERS], answer[WORKERS], t;
	int busy[WORKERS], judged[WORKERS], ok[WORKERS];
	int inflight = 0, refused = 0, i;

	memset(busy, 0, sizeof(busy));
	s->tokens = LIMIT;
	s->last = 0;
	s->win = LONG_MIN;
	for (t = 0; s->nacc < SENDS; t += STEP) {
		for (i = 0; i < WORKERS; i++) {
			if (busy[i] && !judged[i] && arrive[i] <= t) {
				ok[i] = accepts(s, arrive[i]);
				judged[i] = 1;
			}
			if (busy[i] && judged[i] && answer[i] <= t) {
				http_bucket_done(b, t);
				if (!ok[i]) {
					http_bucket_throttled(b);
					refused++;
				}
				busy[i] = 0;
				inflight--;
			}
			if (!busy[i] && s->nacc + inflight < SENDS &&
			    http_bucket_take(b, t) == 0) {
				arrive[i] = t + uniform(latency);
				answer[i] = arrive[i] + uniform(latency);
				busy[i] = 1;
				judged[i] = 0;
				inflight++;
			}
		}
	}
	http_bucket_free(b);
	*first = s->acc[LIMIT - 1];
	*last = s->acc[SENDS - 1];
	return refused;
}

static void
test_window(double latency)
{
	static struct server s;
	double first, last, round = (LIMIT / WORKERS + 1) * 2 * latency;
	double phase;
	int refused;

	/*
	 * A token bucket: never refused; the budget at once, then at least
	 * 95 % of its rate.
	 */
	memset(&s, 0, sizeof(s));
	s.mode = BUCKET;
	refused = simulate(http_window_new(LIMIT, WINDOW), &s, latency,
	    &first, &last);
	CHECK_EQ(refused, 0);
	CHECK(first < round);
	CHECK((SENDS - LIMIT) / (last - first) >= 0.95 * LIMIT / WINDOW);

	/*
	 * Windows: the first 429 makes the pacer strict; it is refused a
	 * few times at most (what was in flight then), and each later
	 * LIMIT arrives about a window after the one before.
	 */
	for (phase = 0; phase < WINDOW; phase += 2.3) {
		memset(&s, 0, sizeof(s));
		s.mode = FIXED;
		s.phase = phase;
		refused = simulate(http_window_new(LIMIT, WINDOW), &s,
		    latency, &first, &last);
		CHECK(refused <= WORKERS);
		CHECK(first < round + WINDOW);
		CHECK(last < ((SENDS - 1) / LIMIT + 1) * (WINDOW +
		    4 * latency) + round);
	}
	memset(&s, 0, sizeof(s));
	s.mode = SLIDING;
	refused = simulate(http_window_new(LIMIT, WINDOW), &s, latency,
	    &first, &last);
	CHECK(refused > 0 && refused <= WORKERS);
	CHECK(first < round);
	CHECK(last < (SENDS - 1) / LIMIT * (WINDOW + 4 * latency) + round);
}

/*
 * The strict pacer (after a 429) is never refused, however the server
 * counts, from the first send.
 */
static void
test_strict(double latency)
{
	static struct server s;
	struct http_bucket *b;
	double first, last, phase;
	int mode;

	for (mode = SLIDING; mode <= BUCKET; mode++)
		for (phase = 0; phase < WINDOW; phase += 3.1) {
			memset(&s, 0, sizeof(s));
			s.mode = mode;
			s.phase = phase;
			b = http_window_new(LIMIT, WINDOW);
			http_bucket_throttled(b);
			CHECK_EQ(simulate(b, &s, latency, &first, &last), 0);
		}
}

int
main(void)
{
	test_basic();
	test_window(0.020);
	test_window(0.200);
	test_window(0.002);
	test_strict(0.020);
	test_strict(0.200);
	return unit_result("test_pace");
}
