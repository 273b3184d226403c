/* http_int.h: internals of the HTTP engine's files; no tool includes it. */

#ifndef VAULT2KV_HTTP_INT_H
#define VAULT2KV_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <curl/curl.h>

#include "common.h"

#define SPARE_MAX	64		/* idle easy handles kept for reuse */

struct job;
struct trust;
struct jobq {
	struct job	*head;
	struct job	**tail;
};

/* The adaptive in-flight limit of one scheme://host:port. */
struct host {
	char		*key;
	int		 limit;
	int		 inflight;
	int		 streak;	/* successes since the last move */
	unsigned	 epoch;		/* bumped on every cut */
	struct host	*next;
};

/* One http_do call; lives on the caller's stack until done is set. */
struct job {
	struct http_req	*req;
	char		*key;
	struct host	*host;
	struct curl_slist *hdrs;
	char		*proxy;		/* the proxy URL, or NULL: direct */
	/* With req->tls_server_name: the URL on that name, where to connect
	   instead, and the Host header the URL's own authority gives. */
	char		*sni_url;
	struct curl_slist *connect_to;
	char		*host_hdr;
	double		 due;		/* earliest start (ms, monotonic) */
	double		 start;		/* http_do was called (ms) */
	double		 deadline;	/* give up by then (ms) */
	CURL		*easy;		/* the attempt in flight, or NULL */
	unsigned	 epoch;		/* host->epoch at the start */
	long		 ra;		/* Retry-After of this attempt, or -1 */
	long		 ra_ms;		/* retry-after-ms and x-ms-..., or -1 */
	int		 done;
	int		 rc;
	int		 timeouts;	/* attempts that got no answer in time */
	int		 paced;		/* this attempt holds a bucket token */
	pthread_cond_t	 cv;
	char		 errbuf[CURL_ERROR_SIZE];
	struct job	*next;
};

struct http {
	struct http_opts opts;
	char		*cafile;	/* trust from the environment */
	char		*capath;
	struct proxy_env proxy;		/* read once, as Go does */
	CURLM		*multi;
	pthread_t	 thread;
	pthread_mutex_t	 mu;		/* incoming, quit, the counters */
	struct jobq	 incoming;
	int		 quit;
	atomic_int	 hold;		/* http_hold: send nothing more */
	long		 sent, retried, throttled;
	/* Only the engine thread touches the rest. */
	struct jobq	 waiting;
	struct jobq	 running;	/* jobs with an attempt in flight */
	struct host	*hosts;
	int		 active;	/* easy handles in the multi */
	CURL		*spare[SPARE_MAX];
	int		 nspare;
	uint64_t	 rng;
	struct trust	*trust;		/* CA stores loaded (httptrust.c) */
};

/*
 * http.c: the engine.
 */
/* Monotonic time in milliseconds. */
double	 http_now_ms(void);

/*
 * httpeasy.c: one attempt's easy handle.
 */
/* Set e up for j's next attempt: -1 when libcurl refuses. */
int	 http_easy_set(struct http *, CURL *e, struct job *j);
/* Authorization headers travel in the list: wipe it before freeing. */
void	 http_slist_wipe_free(struct curl_slist *);
/*
 * For req->tls_server_name: j's URL on the name, where to connect
 * instead, and the Host header; -1 if url has no host.
 */
int	 http_sni_rewrite(struct job *j, const char *url, const char *name);
void	 http_sni_free(struct job *j);

/*
 * httptrust.c: CA stores, each loaded once.
 */
/*
 * The store of a trust setting (a CA file, a directory, or PEM text,
 * each may be NULL), loaded on first use and kept until http_free, and
 * the CA path that stands for the setting in libcurl's eyes; -1 and
 * *err when it cannot be loaded.
 */
int	 http_trust(struct http *, const char *file, const char *path,
	    const void *blob, size_t bloblen, struct x509_store_st **store,
	    const char **id, const char **err);
/* CURLOPT_SSL_CTX_FUNCTION with the store as its data. */
CURLcode http_trust_use(CURL *e, void *sslctx, void *store);
void	 http_trust_free(struct http *);

#endif
