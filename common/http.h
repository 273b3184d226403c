/* http.h: the HTTP engine, how soon it asks again, a request's proxy. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_HTTP_H
#define VAULT2KV_HTTP_H

/*
 * http.c: the HTTP engine.  One engine thread drives libcurl's multi
 * interface (connections reused, HTTP/2 where offered); any thread calls
 * http_do, which blocks until the request is answered, retrying 429, 500,
 * 502, 503, 504 and connection failures with exponential backoff and full
 * jitter, honouring Retry-After, retry-after-ms and x-ms-retry-after-ms.
 * An adaptive limit per host halves the requests in flight on 429 (once
 * per round: 429s to attempts sent before the cut do not cut again) and
 * creeps back up on success; an optional token bucket paces a class of
 * requests under a known rate budget.
 * How one attempt's easy handle is set up is httpeasy.c's, and the CA
 * stores its connections verify with, each loaded once a run,
 * httptrust.c's; neither has a part in this header: what the engine's
 * files share is in http_int.h.
 */
struct http_opts {
	int	 max_inflight;		/* per host, upper bound; default 16 */
	long	 connect_timeout_ms;	/* default 10000 */
	long	 timeout_ms;		/* per attempt; default 60000 */
	int	 max_retries;		/* default 8 */
	long	 backoff_base_ms;	/* default 500 */
	long	 backoff_cap_ms;	/* default 32000 */
	/*
	 * Deadlines.  An attempt that gets no answer within timeout_ms is
	 * retried, HTTP_TIMEOUT_TRIES attempts in all.  One http_do, retries
	 * and waits included, ends within budget_ms (0: HTTP_BUDGET_TRIES *
	 * timeout_ms, room for those attempts and the waits between them);
	 * the requests of
	 * one record (from http_record_start in that thread) end within
	 * record_budget_ms (0: HTTP_RECORD_TRIES * timeout_ms).  Past
	 * either, the request fails with req->timed_out set.
	 */
	long	 budget_ms;
	long	 record_budget_ms;
};
#define HTTP_TIMEOUT_TRIES	3
#define HTTP_BUDGET_TRIES	4
#define HTTP_RECORD_TRIES	5
struct http;
struct http_bucket;

struct http_req {
	/* in */
	const char	*method;	/* "GET", "PUT", "LIST", ... */
	const char	*url;
	const char *const *headers;	/* NULL-terminated "Name: value" */
	const void	*body;		/* may hold a secret: not logged */
	size_t		 bodylen;
	/*
	 * TLS trust: either replaces the defaults.  When both are NULL:
	 * CURL_CA_BUNDLE, else SSL_CERT_FILE, and SSL_CERT_DIR, else the
	 * system's (/etc/ssl/certs).
	 */
	const char	*cafile;
	const char	*capath;
	const void	*cablob;	/* PEM text; wins over both */
	size_t		 cabloblen;
	int		 insecure;	/* only VAULT_SKIP_VERIFY sets it */
	const char	*sslcert;	/* client certificate (PEM file) */
	const char	*sslkey;	/* and its key: both or neither */
	/*
	 * The name to send (SNI) and verify instead of the URL's host; the
	 * connection still goes to the URL's host and port, with its Host.
	 */
	const char	*tls_server_name;
	struct http_bucket *bucket;	/* pacing, or NULL */
	int		 no_retry;	/* one attempt only */
	int		 max_retries;	/* > 0: instead of the opts'; 0: theirs */
	/*
	 * The proxy: none with no_proxy (managed identity endpoints), else
	 * proxy when set (VAULT_PROXY_ADDR), else the environment's choice
	 * (proxy.c).  libcurl's own reading of the environment is never used.
	 */
	const char	*proxy;
	int		 no_proxy;
	long		 budget_ms;	/* the whole request; 0: the opts' */
	/* out */
	long		 status;	/* HTTP status; 0 if no response */
	struct buf	 resp;		/* body; wiped on release */
	char		*www_authenticate;	/* header value or NULL */
	char		*location;
	long		 retry_after_ms;	/* from the last response, -1 */
	int		 attempts;
	int		 timed_out;	/* gave up waiting: err says how long,
					   "within 60 s (3 attempts)" */
	char		 err[256];	/* transport error, when status 0 */
};
void	 http_opts_init(struct http_opts *);
struct http *http_new(const struct http_opts *);
void	 http_free(struct http *);
/*
 * Perform req (retries included).  0 when a response arrived (any status:
 * the caller reads req->status), -1 when none did (req->err says why), or
 * when msg_stop was set before a retry.
 */
int	 http_do(struct http *, struct http_req *);
void	 http_req_release(struct http_req *);
/*
 * Send nothing more: what waits to be sent (its time, its host's limit,
 * its bucket) and what would be retried fails with "not sent"; what is
 * on the wire finishes.  For a tool whose output failed: no write may
 * happen that it cannot report.  Any thread.
 */
void	 http_hold(struct http *);
/*
 * A record starts or ends in this thread: its requests share the
 * record's budget (pool workers call these around each record).
 */
void	 http_record_start(void);
void	 http_record_end(void);
/*
 * opts->timeout_ms from the environment variable var when it is set
 * (VAULT_CLIENT_TIMEOUT, KV_CLIENT_TIMEOUT); -1 and a malloc'd *err
 * naming var when it is not a timeout.
 */
int	 http_opts_env(struct http_opts *, const char *var, char **err);
/* Counters for summaries: requests sent, retried, throttled (429). */
void	 http_stats(struct http *, long *sent, long *retried, long *throttled);

/*
 * pace.c: how soon the engine asks again.  Its names are the engine's
 * (http_): a request's bucket is a field of struct http_req.
 */
/* A bucket of rate tokens/second with the given burst; starts full. */
struct http_bucket *http_bucket_new(double rate, double burst);
/*
 * A window pacer of a budget of limit sends per window seconds, which the
 * server may count as a token bucket of that burst and limit/window a
 * second, in fixed windows or in a sliding one.  From idle, limit sends
 * go at once, then 97 % of limit/window a second, as the bucket allows; after a
 * 429 (http_bucket_throttled), at most limit in any window seconds, as
 * every way allows.  A send counts from its start until window seconds
 * after its answer (http_bucket_done).
 */
struct http_bucket *http_window_new(int limit, double window);
void	 http_bucket_free(struct http_bucket *);
/*
 * Milliseconds to wait before a token is free (0: took one now).  now is
 * in seconds; the engine passes CLOCK_MONOTONIC.  Thread-safe.
 */
long	 http_bucket_take(struct http_bucket *, double now);
/*
 * The send that took a token was answered (or failed) at now: a window
 * pacer counts it until now + window.  Nothing for a token bucket.
 */
void	 http_bucket_done(struct http_bucket *, double now);
/* The server answered a send of this pacer 429: a window pacer turns strict. */
void	 http_bucket_throttled(struct http_bucket *);
/*
 * A Retry-After value (seconds, or an HTTP date after now) in
 * milliseconds; -1 when it is neither.
 */
long	 http_retry_after_ms(const char *value, time_t now);
/* A retry-after-ms or x-ms-retry-after-ms value; -1 when not a number. */
long	 http_retry_ms(const char *value);
/*
 * The wait before retry attempt (0, 1, ...): full jitter, r01 in [0, 1]
 * times base * 2^attempt, at most cap.
 */
long	 http_backoff_ms(int attempt, long base, long cap, double r01);

/*
 * proxy.c: the proxy of a request, chosen as Go's ProxyFromEnvironment
 * does: HTTPS_PROXY for https, HTTP_PROXY for http (the upper-case name
 * first, then the lower-case one), NO_PROXY; localhost and loopback
 * addresses never go through a proxy.
 */
struct proxy_env {
	char	*http, *https, *no;
	int	 cgi;			/* REQUEST_METHOD is set */
};
void	 proxy_env_init(struct proxy_env *);	/* reads the environment */
void	 proxy_env_release(struct proxy_env *);
/*
 * 0 and *proxy, a malloc'd proxy URL or NULL for a direct connection;
 * -1 and err (never the proxy's value, which may hold a password).
 */
int	 proxy_for(const struct proxy_env *, const char *url, char **proxy,
	    char *err, size_t errsz);
/* A proxy variable's value as a URL libcurl takes, or NULL if invalid. */
char	*proxy_url(const char *value);
/* 1 when NO_PROXY (or localhost, a loopback address) exempts host:port. */
int	 proxy_bypass(const char *no_proxy, const char *host, const char *port);

#endif
