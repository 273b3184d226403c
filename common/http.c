/* http.c: the HTTP engine: its thread, queues, limits, retries, deadlines. */

/*
 * One thread per struct http drives libcurl's multi interface; callers
 * hand it requests and sleep until they finish.  How one attempt's easy
 * handle is set up is httpeasy.c's, and its trust httptrust.c's.
 */

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common.h"
#include "http_int.h"

#define RA_MAX_MS	600000L		/* Retry-After is honoured up to this */
#define STOP_POLL_MS	200		/* how soon msg_stop is noticed */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

double
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* splitmix64: jitter needs spread, not secrecy. */
static double
rand01(struct http *h)
{
	uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (z >> 11) * 0x1.0p-53;
}

static void
q_init(struct jobq *q)
{
	q->head = NULL;
	q->tail = &q->head;
}

static void
q_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
}

/* Unlink *jp, the link that points at a member of q. */
static struct job *
q_unlink(struct jobq *q, struct job **jp)
{
	struct job *j = *jp;

	if ((*jp = j->next) == NULL)
		q->tail = jp;
	return j;
}

void
http_opts_init(struct http_opts *o)
{
	o->max_inflight = 16;
	o->connect_timeout_ms = 10000;
	o->timeout_ms = 60000;
	o->max_retries = 8;
	o->backoff_base_ms = 500;
	o->backoff_cap_ms = 32000;
	o->budget_ms = 0;
	o->record_budget_ms = 0;
}

int
http_opts_env(struct http_opts *o, const char *var, char **err)
{
	const char *s = getenv(var);
	char *why;

	*err = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	if (time_parse_timeout(s, &o->timeout_ms, &why) == -1) {
		*err = xasprintf("%s: %s", var, why);
		free(why);
		return -1;
	}
	return 0;
}

/*
 * The start of the record at hand in this thread, for its budget; 0
 * outside a record.
 */
static _Thread_local double record_start;

void
http_record_start(void)
{
	record_start = http_now_ms();
}

void
http_record_end(void)
{
	record_start = 0;
}

/* "scheme://host:port" of an http or https URL, or NULL and err. */
static char *
host_key(const char *url, char *err, size_t errsz)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *key = NULL;
	CURLU *u;

	if ((u = curl_url()) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		snprintf(err, errsz, "invalid URL");
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		snprintf(err, errsz, "%s: not an http or https URL", scheme);
	else
		key = xasprintf("%s://%s:%s", scheme, host, port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return key;
}

static struct host *
host_get(struct http *h, const char *key)
{
	struct host *hs;

	for (hs = h->hosts; hs != NULL; hs = hs->next)
		if (strcmp(hs->key, key) == 0)
			return hs;
	hs = xcalloc(1, sizeof(*hs));
	hs->key = xstrdup(key);
	hs->limit = h->opts.max_inflight;
	hs->next = h->hosts;
	return h->hosts = hs;
}

/* Take j off the running list. */
static void
running_del(struct http *h, struct job *j)
{
	struct job **jp;

	for (jp = &h->running.head; *jp != NULL; jp = &(*jp)->next)
		if (*jp == j) {
			q_unlink(&h->running, jp);
			return;
		}
}

/* The attempt that held a token of its bucket has ended. */
static void
unpace(struct job *j)
{
	if (j->paced) {
		http_bucket_done(j->req->bucket, http_now_ms() / 1e3);
		j->paced = 0;
	}
}

/* Hand the job back to its caller; the engine forgets it. */
static void
finish(struct http *h, struct job *j, int rc)
{
	pthread_mutex_lock(&h->mu);
	j->rc = rc;
	j->done = 1;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&h->mu);
}

static void
fail(struct http *h, struct job *j, const char *msg)
{
	snprintf(j->req->err, sizeof(j->req->err), "%s", msg);
	j->req->status = 0;
	finish(h, j, -1);
}

static void
attempt(struct http *h, struct job *j)
{
	struct http_req *r = j->req;
	CURL *e;

	r->status = 0;
	r->retry_after_ms = -1;
	r->err[0] = '\0';
	buf_reset(&r->resp);
	free(r->www_authenticate);
	free(r->location);
	r->www_authenticate = r->location = NULL;
	j->ra = j->ra_ms = -1;
	j->errbuf[0] = '\0';
	j->hdrs = NULL;
	r->attempts++;

	if (h->nspare > 0) {
		e = h->spare[--h->nspare];
		curl_easy_reset(e);
	} else if ((e = curl_easy_init()) == NULL) {
		unpace(j);
		fail(h, j, "out of memory");
		return;
	}
	if (http_easy_set(h, e, j) == -1 ||
	    curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		http_slist_wipe_free(j->hdrs);
		unpace(j);
		fail(h, j, j->errbuf[0] != '\0' ? j->errbuf :
		    "cannot start a transfer");
		return;
	}
	j->host->inflight++;
	j->epoch = j->host->epoch;
	j->easy = e;
	q_push(&h->running, j);
	h->active++;
	pthread_mutex_lock(&h->mu);
	h->sent++;
	if (r->attempts > 1)
		h->retried++;
	pthread_mutex_unlock(&h->mu);
}

/*
 * Start what may start: its time has come, its host is under its limit
 * and its bucket has a token.  Returns the ms until the earliest job that
 * waits for time, -1 if none does.
 */
static long
start_due(struct http *h)
{
	struct job *j, **jp;
	double now = http_now_ms();
	long wait = -1, w;

	for (jp = &h->waiting.head; (j = *jp) != NULL;) {
		if (msg_stop) {
			fail(h, q_unlink(&h->waiting, jp), "interrupted");
			continue;
		}
		if (atomic_load(&h->hold)) {
			fail(h, q_unlink(&h->waiting, jp), "not sent: the "
			    "run is stopping");
			continue;
		}
		if (j->host == NULL)
			j->host = host_get(h, j->key);
		if (now >= j->deadline) {
			j = q_unlink(&h->waiting, jp);
			j->req->timed_out = 1;
			snprintf(j->req->err, sizeof(j->req->err),
			    "within %.0f s (%d attempt%s)",
			    ceil((now - j->start) / 1e3 - 0.05),
			    j->req->attempts, PLURAL(j->req->attempts));
			finish(h, j, -1);
			continue;
		}
		if (j->due > now) {
			w = (long)ceil(j->due - now);
		} else if (j->host->inflight >= j->host->limit) {
			w = -1;
		} else if (j->req->bucket != NULL &&
		    (w = http_bucket_take(j->req->bucket, now / 1e3)) > 0) {
			/*
			 * No due time: a window pacer's token may come back
			 * sooner, with an answer, and asking costs little.
			 */
		} else {
			j->paced = j->req->bucket != NULL;
			attempt(h, q_unlink(&h->waiting, jp));
			continue;
		}
		if (w > 0 && (wait < 0 || w < wait))
			wait = w;
		jp = &j->next;
	}
	return wait;
}

static void
adapt(struct http *h, struct job *j, CURLcode rc, long status)
{
	struct host *hs = j->host;

	if (status == 429) {
		pthread_mutex_lock(&h->mu);
		h->throttled++;
		pthread_mutex_unlock(&h->mu);
		http_bucket_throttled(j->req->bucket);
		/*
		 * Once per window, as TCP does: the answers to attempts that
		 * started before the last cut do not cut again.
		 */
		if (j->epoch == hs->epoch) {
			hs->limit = hs->limit > 1 ? hs->limit / 2 : 1;
			hs->epoch++;
		}
		hs->streak = 0;
	} else if (rc != CURLE_OK || status >= 500) {
		hs->streak = 0;
	} else if (++hs->streak >= hs->limit &&
	    hs->limit < h->opts.max_inflight) {
		hs->limit++;
		hs->streak = 0;
	}
}

static int
retryable(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status == 429 || status == 500 || status == 502 ||
		    status == 503 || status == 504;
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/*
 * The URL as -vv shows it: no user information, no fragment, and of the
 * query only the names, with the values of those that say how, never
 * what (api-version, list, version, maxresults): a nextLink's
 * $skiptoken or a query a caller one day fills with something secret
 * stays out of the terminal and the logs.
 */
static void
trace_url(struct buf *b, const char *url)
{
	static const char *const shown[] = {
		"api-version", "list", "version", "maxresults", NULL
	};
	const char *p, *at, *slash, *q, *end, *eq;
	size_t n;
	int i, first = 1;

	end = url + strcspn(url, "#");
	if ((p = strstr(url, "://")) != NULL && p < end) {
		p += 3;
		buf_add(b, url, (size_t)(p - url));
		slash = p + strcspn(p, "/?#");
		at = memchr(p, '@', (size_t)(slash - p));
		if (at != NULL)
			p = at + 1;
	} else
		p = url;
	q = p + strcspn(p, "?#");
	buf_add(b, p, (size_t)(q - p));
	while (q < end) {
		q++;				/* '?' or '&' */
		n = strcspn(q, "&#");
		if (q + n > end)
			n = (size_t)(end - q);
		if (n > 0) {
			eq = memchr(q, '=', n);
			buf_addc(b, first ? '?' : '&');
			first = 0;
			buf_add(b, q, eq != NULL ? (size_t)(eq - q) : n);
			for (i = 0; eq != NULL && shown[i] != NULL; i++)
				if ((size_t)(eq - q) == strlen(shown[i]) &&
				    strncmp(q, shown[i], strlen(shown[i])) == 0)
					break;
			if (eq != NULL && shown[i] != NULL)
				buf_add(b, eq, n - (size_t)(eq - q));
			else if (eq != NULL)
				buf_addstr(b, "=...");
		}
		q += n;
	}
}

/*
 * -vv: one line an attempt, in the engine thread: method, URL (as
 * trace_url shows it), the status or curl's error, how long the attempt
 * took, its number, and the wait before the next one when there is one.
 * Never a header or a body: tokens and values travel only there.
 */
static void
trace(struct http_req *r, CURLcode rc, long status, curl_off_t us,
    long retry_ms)
{
	struct buf b;

	if (msg_verbosity < 2)
		return;
	buf_init(&b);
	buf_printf(&b, "%s ", r->method != NULL ? r->method : "GET");
	trace_url(&b, r->url);
	if (rc == CURLE_OK)
		buf_printf(&b, ": %ld", status);
	else
		buf_printf(&b, ": %s", curl_easy_strerror(rc));
	buf_printf(&b, ", %.0f ms, attempt %d", us / 1e3, r->attempts);
	if (retry_ms >= 0)
		buf_printf(&b, ", retry in %ld ms", retry_ms);
	msg_debug("http", "%s", b.data);
	buf_release(&b);
}

static void
done(struct http *h, CURL *e, CURLcode rc)
{
	struct http_req *r;
	struct job *j;
	char *priv;
	long status = 0, delay;
	curl_off_t us = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
	j = (struct job *)priv;
	r = j->req;
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &us);
	curl_multi_remove_handle(h->multi, e);
	if (h->nspare < SPARE_MAX)
		h->spare[h->nspare++] = e;
	else
		curl_easy_cleanup(e);
	http_slist_wipe_free(j->hdrs);
	j->hdrs = NULL;
	j->easy = NULL;
	running_del(h, j);
	j->host->inflight--;
	h->active--;
	unpace(j);

	r->status = status;
	r->retry_after_ms = j->ra_ms >= 0 ? j->ra_ms : j->ra;
	adapt(h, j, rc, status);
	/* A server that does not answer gets HTTP_TIMEOUT_TRIES chances. */
	if (rc == CURLE_OPERATION_TIMEDOUT)
		j->timeouts++;
	if (retryable(rc, status) && !r->no_retry &&
	    r->attempts <= (r->max_retries > 0 ? r->max_retries :
	    h->opts.max_retries) &&
	    j->timeouts < HTTP_TIMEOUT_TRIES) {
		if (msg_stop || atomic_load(&h->hold))
			trace(r, rc, status, us, -1);
		if (msg_stop) {
			fail(h, j, "interrupted");
			return;
		}
		if (atomic_load(&h->hold)) {
			fail(h, j, "not sent again: the run is stopping");
			return;
		}
		delay = http_backoff_ms(r->attempts - 1,
		    h->opts.backoff_base_ms, h->opts.backoff_cap_ms, rand01(h));
		if (r->retry_after_ms > delay)
			delay = r->retry_after_ms < RA_MAX_MS ?
			    r->retry_after_ms : RA_MAX_MS;
		/*
		 * A retry that would have less than half a timeout (at most
		 * a second) before the deadline is not made: the request
		 * ends with what it has.
		 */
		if (http_now_ms() + delay + (h->opts.timeout_ms < 2000 ?
		    h->opts.timeout_ms / 2 : 1000) <= j->deadline) {
			trace(r, rc, status, us, delay);
			j->due = http_now_ms() + delay;
			q_push(&h->waiting, j);
			return;
		}
	}
	trace(r, rc, status, us, -1);
	if (rc == CURLE_OK) {
		finish(h, j, 0);
		return;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		/* Say what was waited for: the caller adds the request. */
		r->timed_out = 1;
		snprintf(r->err, sizeof(r->err), "within %.0f s "
		    "(%d attempt%s)",
		    ceil((http_now_ms() - j->start) / 1e3 - 0.05),
		    r->attempts, PLURAL(r->attempts));
		r->status = 0;
		finish(h, j, -1);
		return;
	}
	/* Only curl's words and the host: never a header or a body. */
	snprintf(r->err, sizeof(r->err), "%.100s: %.150s",
	    strstr(j->key, "://") + 3,
	    rc == CURLE_WRITE_ERROR ? "response too large" :
	    j->errbuf[0] != '\0' ? j->errbuf : curl_easy_strerror(rc));
	r->status = 0;
	finish(h, j, -1);
}

/* SIGINT or SIGTERM: abort the transfers in flight. */
static void
cancel_running(struct http *h)
{
	struct job *j;

	while ((j = h->running.head) != NULL) {
		q_unlink(&h->running, &h->running.head);
		curl_multi_remove_handle(h->multi, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
		http_slist_wipe_free(j->hdrs);
		j->hdrs = NULL;
		j->host->inflight--;
		h->active--;
		unpace(j);
		fail(h, j, "interrupted");
	}
}

static void *
engine(void *arg)
{
	struct http *h = arg;
	CURLMsg *m;
	CURLcode rc;
	CURL *e;
	long wait;
	int quit, running, left, reaped;

	for (;;) {
		pthread_mutex_lock(&h->mu);
		if (h->incoming.head != NULL) {
			*h->waiting.tail = h->incoming.head;
			h->waiting.tail = h->incoming.tail;
			q_init(&h->incoming);
		}
		quit = h->quit;
		pthread_mutex_unlock(&h->mu);

		if (msg_stop)
			cancel_running(h);
		wait = start_due(h);
		curl_multi_perform(h->multi, &running);
		reaped = 0;
		while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			e = m->easy_handle;
			rc = m->data.result;
			done(h, e, rc);
			reaped++;
		}
		if (reaped > 0)
			continue;
		if (quit && h->active == 0 && h->waiting.head == NULL)
			break;
		/* Look at msg_stop often: a signal does not wake the poll. */
		if (wait < 0 || wait > STOP_POLL_MS)
			wait = STOP_POLL_MS;
		curl_multi_poll(h->multi, NULL, 0, wait < 0 ? 1000 : (int)wait,
		    NULL);
	}
	return NULL;
}

static char *
env_dup(const char *name)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

struct http *
http_new(const struct http_opts *o)
{
	struct http *h;
	const char *f;

	pthread_once(&curl_once, curl_init_once);
	h = xcalloc(1, sizeof(*h));
	h->opts = *o;
	if (h->opts.max_inflight < 1)
		h->opts.max_inflight = 1;
	if (h->opts.max_retries < 0)
		h->opts.max_retries = 0;
	if (h->opts.timeout_ms < 1)
		h->opts.timeout_ms = 60000;
	if (h->opts.budget_ms <= 0)
		h->opts.budget_ms = HTTP_BUDGET_TRIES * h->opts.timeout_ms;
	if (h->opts.record_budget_ms <= 0)
		h->opts.record_budget_ms = HTTP_RECORD_TRIES *
		    h->opts.timeout_ms;
	/*
	 * libcurl reads none of these (curl(1) does, libcurl-env(3) lists
	 * none): the engine honours them as curl(1) and OpenSSL would.
	 */
	f = getenv("CURL_CA_BUNDLE");
	h->cafile = env_dup(f != NULL && *f != '\0' ? "CURL_CA_BUNDLE" :
	    "SSL_CERT_FILE");
	h->capath = env_dup("SSL_CERT_DIR");
	proxy_env_init(&h->proxy);
	if (RAND_bytes((unsigned char *)&h->rng, sizeof(h->rng)) != 1)
		h->rng = (uint64_t)time(NULL);
	pthread_mutex_init(&h->mu, NULL);
	q_init(&h->incoming);
	q_init(&h->waiting);
	q_init(&h->running);
	if ((h->multi = curl_multi_init()) == NULL)
		goto bad;
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)h->opts.max_inflight);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
	    (long)h->opts.max_inflight * 4);
	if (pthread_create(&h->thread, NULL, engine, h) != 0)
		goto bad;
	return h;
bad:
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	pthread_mutex_destroy(&h->mu);
	free(h->cafile);
	free(h->capath);
	proxy_env_release(&h->proxy);
	free(h);
	return NULL;
}

void
http_free(struct http *h)
{
	struct host *hs;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_mutex_unlock(&h->mu);
	curl_multi_wakeup(h->multi);
	pthread_join(h->thread, NULL);
	while (h->nspare > 0)
		curl_easy_cleanup(h->spare[--h->nspare]);
	curl_multi_cleanup(h->multi);
	while ((hs = h->hosts) != NULL) {
		h->hosts = hs->next;
		free(hs->key);
		free(hs);
	}
	http_trust_free(h);
	pthread_mutex_destroy(&h->mu);
	free(h->cafile);
	free(h->capath);
	proxy_env_release(&h->proxy);
	free(h);
}

void
http_hold(struct http *h)
{
	atomic_store(&h->hold, 1);
	curl_multi_wakeup(h->multi);
}

int
http_do(struct http *h, struct http_req *r)
{
	struct job j;
	long budget;

	memset(&j, 0, sizeof(j));
	j.req = r;
	r->status = 0;
	r->timed_out = 0;
	r->attempts = 0;
	r->retry_after_ms = -1;
	r->err[0] = '\0';
	if (r->method == NULL || r->url == NULL) {
		snprintf(r->err, sizeof(r->err), "no method or URL");
		return -1;
	}
	if ((j.key = host_key(r->url, r->err, sizeof(r->err))) == NULL)
		return -1;
	if (r->no_proxy)
		j.proxy = NULL;
	else if (r->proxy != NULL)
		j.proxy = xstrdup(r->proxy);
	else if (proxy_for(&h->proxy, r->url, &j.proxy, r->err,
	    sizeof(r->err)) == -1) {
		free(j.key);
		return -1;
	}
	if (r->tls_server_name != NULL && http_sni_rewrite(&j, r->url,
	    r->tls_server_name) == -1) {
		snprintf(r->err, sizeof(r->err), "cannot connect by the TLS "
		    "server name");
		http_sni_free(&j);
		wipe_free(j.proxy);
		free(j.key);
		return -1;
	}
	/*
	 * The deadline: the request's budget, cut to what is left of the
	 * record's.  A record past its budget makes no more requests.
	 */
	j.start = http_now_ms();
	budget = r->budget_ms > 0 ? r->budget_ms : h->opts.budget_ms;
	j.deadline = j.start + budget;
	if (record_start > 0 &&
	    record_start + h->opts.record_budget_ms < j.deadline)
		j.deadline = record_start + h->opts.record_budget_ms;
	/* Too little left for an attempt: as the retries (done()) judge. */
	if (j.deadline < j.start + budget && j.deadline - j.start <
	    (h->opts.timeout_ms < 2000 ? h->opts.timeout_ms / 2 : 1000)) {
		r->timed_out = 1;
		snprintf(r->err, sizeof(r->err), "in time: the record's limit "
		    "of %.0f s is spent", h->opts.record_budget_ms / 1e3);
		http_sni_free(&j);
		wipe_free(j.proxy);
		free(j.key);
		return -1;
	}
	pthread_cond_init(&j.cv, NULL);
	pthread_mutex_lock(&h->mu);
	q_push(&h->incoming, &j);
	pthread_mutex_unlock(&h->mu);
	curl_multi_wakeup(h->multi);
	pthread_mutex_lock(&h->mu);
	while (!j.done)
		pthread_cond_wait(&j.cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	pthread_cond_destroy(&j.cv);
	http_sni_free(&j);
	wipe_free(j.proxy);
	free(j.key);
	return j.rc;
}

void
http_req_release(struct http_req *r)
{
	buf_release(&r->resp);
	free(r->www_authenticate);
	free(r->location);
	r->www_authenticate = r->location = NULL;
}

void
http_stats(struct http *h, long *sent, long *retried, long *throttled)
{
	pthread_mutex_lock(&h->mu);
	if (sent != NULL)
		*sent = h->sent;
	if (retried != NULL)
		*retried = h->retried;
	if (throttled != NULL)
		*throttled = h->throttled;
	pthread_mutex_unlock(&h->mu);
}
