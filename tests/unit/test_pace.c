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

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
test_basic(void)
{
	struct http_bucket *b = http_window_new(5, 10);
	double t = 1000.0;
	long w;
	int i;

	/* From idle: the whole budget at once. */
	for (i = 0; i < 5; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	/* All five in flight: wait for an answer (the engine polls). */
	CHECK(http_bucket_take(b, t) > 0);
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
	http_bucket_done(b, t);
	CHECK_EQ(http_bucket_take(b, t), 0);
	CHECK_EQ(http_bucket_take(b, t), 0);
	http_bucket_done(b, t);
	CHECK(http_bucket_take(b, t - 5) > 0);
	http_bucket_free(b);
	http_bucket_free(NULL);
	http_bucket_done(NULL, t);

	/* A large budget: its ring grows, in order, as answers come. */
	b = http_window_new(1000, 1);
	for (i = 0; i < 1000; i++)
		CHECK_EQ(http_bucket_take(b, t), 0);
	CHECK(http_bucket_take(b, t) > 0);
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

/*
 * WORKERS senders share pacer b, as the engine's jobs do; each request
 * reaches the server a random time after it starts and is answered a
 * random time after that.  The arrival times are then counted as a
 * sliding window, as fixed windows of any phase and as a token bucket
 * whose burst is the budget would count them: refused[] gets the
 * requests each would refuse.  *last: when the last one arrived.
 */
static void
simulate(struct http_bucket *b, double latency, int refused[3],
    double *first, double *last)
{
	static double arrive[SENDS];
	double answer[WORKERS], t, tokens, prevt, phase;
	int busy[WORKERS], sent = 0, answered = 0, i, k, count;
	long n, prev;

	memset(busy, 0, sizeof(busy));
	for (t = 0; answered < SENDS; t += STEP) {
		for (i = 0; i < WORKERS; i++) {
			if (busy[i] && answer[i] <= t) {
				http_bucket_done(b, t);
				busy[i] = 0;
				answered++;
			}
			if (!busy[i] && sent < SENDS &&
			    http_bucket_take(b, t) == 0) {
				arrive[sent] = t + uniform(latency);
				answer[i] = arrive[sent++] + uniform(latency);
				busy[i] = 1;
			}
		}
	}
	http_bucket_free(b);
	qsort(arrive, SENDS, sizeof(arrive[0]), cmp_double);
	*first = arrive[LIMIT - 1];
	*last = arrive[SENDS - 1];

	/* Sliding: no LIMIT + 1 arrivals within any WINDOW. */
	for (refused[0] = 0, k = 0; k + LIMIT < SENDS; k++)
		if (arrive[k + LIMIT] - arrive[k] <= WINDOW)
			refused[0]++;
	/* Fixed windows, whatever their phase. */
	for (refused[1] = 0, phase = 0; phase < WINDOW; phase += 0.37) {
		for (prev = LONG_MIN, count = 0, k = 0; k < SENDS; k++) {
			n = (long)floor((arrive[k] - phase) / WINDOW);
			count = n == prev ? count + 1 : 1;
			prev = n;
			if (count > LIMIT)
				refused[1]++;
		}
	}
	/* A token bucket, full at first. */
	for (refused[2] = 0, tokens = LIMIT, prevt = 0, k = 0; k < SENDS;
	    k++) {
		tokens = fmin(LIMIT, tokens + (arrive[k] - prevt) *
		    (LIMIT / WINDOW));
		prevt = arrive[k];
		if (tokens < 1)
			refused[2]++;
		else
			tokens -= 1;
	}
}

static void
test_window(double latency)
{
	double first, last, round = (LIMIT / WORKERS + 1) * 2 * latency;
	int refused[3];

	simulate(http_window_new(LIMIT, WINDOW), latency, refused, &first,
	    &last);
	CHECK_EQ(refused[0], 0);
	CHECK_EQ(refused[1], 0);
	CHECK_EQ(refused[2], 0);
	/* The budget is used: the first LIMIT arrive at once... */
	CHECK(first < round);
	/* ...and each later LIMIT about a window after the one before. */
	CHECK(last < (SENDS - 1) / LIMIT * (WINDOW + 4 * latency) + round);
}

/*
 * The schedule that looks right and is not: a burst of the budget, then
 * the budget's rate.  A token bucket server takes it; windows refuse.
 */
static void
test_bucket_overruns(void)
{
	double first, last;
	int refused[3];

	simulate(http_bucket_new(LIMIT / WINDOW, LIMIT), 0.020, refused,
	    &first, &last);
	CHECK(refused[0] > 0);
	CHECK(refused[1] > 0);
}

int
main(void)
{
	test_basic();
	test_window(0.020);
	test_window(0.200);
	test_window(0.002);
	test_bucket_overruns();
	return unit_result("test_pace");
}
