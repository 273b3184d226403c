/*
 * test_http_live.c: drives the HTTP engine against a live server for
 * tests/http.bats.  Without arguments (as `make unit` runs it) it does
 * nothing and succeeds.
 *
 * test_http_live [-k] [-B burst] [-b base_ms] [-C cafile ...] [-c cap_ms]
 *     [-d body] [-i inflight] [-R rate] [-r retries] [-t timeout_ms]
 *     url method n jobs
 *
 * Performs n requests from jobs threads, request i to url?i=I (or &i=I),
 * and prints one line per request in order, then the engine's counters.
 * With several -C, request i trusts the (i mod count)th.
 */

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

struct result {
	int		 rc;
	long		 status;
	int		 attempts;
	long		 retry_after_ms;
	double		 ms;
	char		*text;		/* first line of the body, or err */
};

struct run {
	struct http	*h;
	struct http_bucket *bucket;
	const char	*url, *method, *body;
	const char	*cafile[8];
	int		 ncafile;
	int		 insecure;
	int		 n, next;
	pthread_mutex_t	 mu;
	struct result	*res;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *
worker(void *arg)
{
	struct run *run = arg;
	struct http_req req;
	struct result *res;
	double t0;
	char *url;
	int i;

	for (;;) {
		pthread_mutex_lock(&run->mu);
		i = run->next++;
		pthread_mutex_unlock(&run->mu);
		if (i >= run->n)
			return NULL;
		url = xasprintf("%s%ci=%d", run->url,
		    strchr(run->url, '?') ? '&' : '?', i);
		memset(&req, 0, sizeof(req));
		req.method = run->method;
		req.url = url;
		req.body = run->body;
		req.bodylen = run->body ? strlen(run->body) : 0;
		req.cafile = run->ncafile > 0 ? run->cafile[i % run->ncafile] :
		    NULL;
		req.insecure = run->insecure;
		req.bucket = run->bucket;
		res = &run->res[i];
		t0 = now_ms();
		res->rc = http_do(run->h, &req);
		res->ms = now_ms() - t0;
		res->status = req.status;
		res->attempts = req.attempts;
		res->retry_after_ms = req.retry_after_ms;
		if (res->rc == 0)
			res->text = xstrndup(req.resp.data ? req.resp.data : "",
			    strcspn(req.resp.data ? req.resp.data : "", "\n"));
		else
			res->text = xstrdup(req.err);
		http_req_release(&req);
		free(url);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: test_http_live [-k] [-B burst] [-b base_ms] "
	    "[-C cafile ...] [-c cap_ms]\n"
	    "    [-d body] [-i inflight] [-R rate] [-r retries] "
	    "[-t timeout_ms]\n"
	    "    url method n jobs\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct http_opts o;
	struct result *res;
	struct run run;
	pthread_t *th;
	double burst = 1, rate = 0, t0, elapsed;
	long sent, retried, throttled;
	int ch, i, jobs;

	if (argc == 1)
		return 0;
	msg_init("test_http_live");
	http_opts_init(&o);
	memset(&run, 0, sizeof(run));
	while ((ch = getopt(argc, argv, "B:b:C:c:d:i:kR:r:t:")) != -1) {
		switch (ch) {
		case 'B':
			burst = xstrtonum(optarg, 1, 1000, "-B");
			break;
		case 'b':
			o.backoff_base_ms = xstrtonum(optarg, 0, 600000, "-b");
			break;
		case 'C':
			if (run.ncafile == 8)
				usage();
			run.cafile[run.ncafile++] = optarg;
			break;
		case 'c':
			o.backoff_cap_ms = xstrtonum(optarg, 0, 600000, "-c");
			break;
		case 'd':
			run.body = optarg;
			break;
		case 'i':
			o.max_inflight = xstrtonum(optarg, 1, 256, "-i");
			break;
		case 'k':
			run.insecure = 1;
			break;
		case 'R':
			rate = xstrtonum(optarg, 1, 100000, "-R");
			break;
		case 'r':
			o.max_retries = xstrtonum(optarg, 0, 100, "-r");
			break;
		case 't':
			o.timeout_ms = xstrtonum(optarg, 1, 600000, "-t");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4)
		usage();
	run.url = argv[0];
	run.method = argv[1];
	run.n = xstrtonum(argv[2], 0, 1000000, "n");
	jobs = xstrtonum(argv[3], 1, 256, "jobs");

	if ((run.h = http_new(&o)) == NULL)
		msg_fatal("cannot start the HTTP engine");
	if (rate > 0)
		run.bucket = http_bucket_new(rate, burst);
	pthread_mutex_init(&run.mu, NULL);
	run.res = xcalloc(run.n, sizeof(*run.res));
	th = xcalloc(jobs, sizeof(*th));
	t0 = now_ms();
	for (i = 0; i < jobs; i++)
		if (pthread_create(&th[i], NULL, worker, &run) != 0)
			msg_fatal("cannot start a thread");
	for (i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);
	elapsed = now_ms() - t0;

	for (i = 0; i < run.n; i++) {
		res = &run.res[i];
		printf("%d rc=%d status=%ld attempts=%d ra=%ld ms=%.0f "
		    "%s=\"%s\"\n", i, res->rc, res->status, res->attempts,
		    res->retry_after_ms, res->ms, res->rc == 0 ? "body" : "err",
		    res->text);
		free(res->text);
	}
	http_stats(run.h, &sent, &retried, &throttled);
	printf("stats sent=%ld retried=%ld throttled=%ld elapsed_ms=%.0f "
	    "rate=%.1f/s\n", sent, retried, throttled, elapsed,
	    elapsed > 0 ? run.n * 1000 / elapsed : 0.0);
	http_free(run.h);
	http_bucket_free(run.bucket);
	pthread_mutex_destroy(&run.mu);
	free(run.res);
	free(th);
	return 0;
}
