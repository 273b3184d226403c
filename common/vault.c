/* vault.c: the Vault client's calls, and what it makes of the answers. */

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "vault_int.h"

/* A token that expires sooner than this and cannot be renewed: a warning. */
#define TTL_WARN_S	3600

/*
 * A Vault path into a URL path: every byte but the RFC 3986 unreserved
 * ones and '/' is percent-encoded (paths may hold spaces, quotes,
 * unicode).  Segments "." and ".." are encoded too, so that neither
 * libcurl nor a proxy folds them away.
 */
static void
encode_path(struct buf *b, const char *p)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)p;
	int seg_start = 1;
	size_t segn;

	for (; *s != '\0'; s++) {
		if (seg_start) {
			segn = strcspn((const char *)s, "/");
			if ((segn == 1 && s[0] == '.') ||
			    (segn == 2 && s[0] == '.' && s[1] == '.')) {
				buf_addstr(b, segn == 1 ? "%2E" : "%2E%2E");
				s += segn - 1;
				seg_start = 0;
				continue;
			}
		}
		seg_start = *s == '/';
		if (isalnum(*s) || *s == '-' || *s == '.' || *s == '_' ||
		    *s == '~' || *s == '/')
			buf_addc(b, *s);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*s >> 4]);
			buf_addc(b, hex[*s & 15]);
		}
	}
}

/*
 * Is r rec_parse_json's refusal of a number a 64-bit float would change?
 * Its message names the key path in the answer ("data.data.id"), which
 * the caller keeps.
 */
static int
inexact(jv r /* borrowed */)
{
	jv m = jv_invalid_get_msg(jv_copy(r));
	int yes;

	yes = jv_get_kind(m) == JV_KIND_STRING &&
	    strstr(jv_string_value(m), REC_INEXACT) != NULL;
	jv_free(m);
	return yes;
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * ns NULL: the client's own headers (VAULT_NAMESPACE's).  Else the same
 * headers with X-Vault-Namespace: ns in place of VAULT_NAMESPACE's, none
 * for "" (the root).  Vault takes the header as the request's namespace
 * (developer.hashicorp.com/vault/docs/enterprise/namespaces, "Usage").
 */
static jv
call1(struct vault *v, const char *ns, const char *method,
    const char *path, const char *query, jv body, int no_retry,
    long budget_ms, long *status)
{
	struct http_req req;
	struct buf url;
	const char *hdrs[16];
	char *hdr_ns = NULL;
	size_t i, n = 0;
	jv_kind kind;
	jv out, s = jv_invalid();

	*status = 0;
	if (ns != NULL) {
		while (*ns == '/')
			ns++;
		/* In a header, a CR or LF would end it and start another. */
		if (msg_has_ctl(ns)) {
			jv_free(body);
			return jv_invalid_with_msg(jv_string("control "
			    "character in the namespace"));
		}
		if (*ns != '\0')
			hdr_ns = xasprintf("X-Vault-Namespace: %s", ns);
		for (i = 0; v->hdrs_json[i] != NULL && n < 14; i++) {
			if (v->hdrs_json[i] == v->hdr_ns)
				continue;
			if (strncmp(v->hdrs_json[i], "Content-Type:", 13) == 0 &&
			    !jv_is_valid(body))
				continue;
			hdrs[n++] = v->hdrs_json[i];
		}
		if (hdr_ns != NULL)
			hdrs[n++] = hdr_ns;
		hdrs[n] = NULL;
	}
	buf_init(&url);
	buf_addstr(&url, v->addr);
	buf_addstr(&url, "/v1/");
	encode_path(&url, path);
	if (query != NULL && *query != '\0') {
		buf_addc(&url, '?');
		buf_addstr(&url, query);
	}
	memset(&req, 0, sizeof(req));
	buf_init(&req.resp);
	req.retry_after_ms = -1;
	req.method = method;
	req.url = url.data;
	req.headers = v->hdrs;
	if (jv_is_valid(body)) {
		s = jv_dump_string(body, 0);
		req.body = jv_string_value(s);
		req.bodylen = (size_t)jv_string_length_bytes(jv_copy(s));
		req.headers = v->hdrs_json;
	} else
		jv_free(body);
	if (ns != NULL)
		req.headers = hdrs;
	req.cafile = v->cacert;
	req.capath = v->capath;
	req.cablob = v->cablob;
	req.cabloblen = v->cabloblen;
	req.sslcert = v->sslcert;
	req.sslkey = v->sslkey;
	req.tls_server_name = v->sni;
	req.insecure = v->insecure;
	req.bucket = v->bucket;
	/* VAULT_MAX_RETRIES: 0 is one attempt, N is N retries at most. */
	req.no_retry = no_retry || v->max_retries == 0;
	req.max_retries = v->max_retries > 0 ? v->max_retries : 0;
	req.proxy = v->proxy;
	req.budget_ms = budget_ms;
	if (http_do(v->http, &req) == -1) {
		/* Say what was waited for, and how long. */
		if (req.timed_out)
			out = jv_invalid_with_msg(jv_string_fmt("Vault did not "
			    "answer %s %s %s", method, path, req.err));
		else
			out = jv_invalid_with_msg(jv_string(req.err[0] !=
			    '\0' ? req.err : "no response"));
		goto out;
	}
	*status = req.status;
	if (rec_blank(req.resp.data, req.resp.len))
		out = jv_null();
	else {
		out = rec_parse_json(req.resp.data, req.resp.len);
		if (!jv_is_valid(out) && !inexact(out)) {
			/* libjq's message quotes the text: it may be secret. */
			jv_free(out);
			out = jv_invalid_with_msg(jv_string_fmt("HTTP %ld: "
			    "the answer is not JSON", req.status));
		}
	}
	/*
	 * Vault answers a success with a JSON object, or 204 and nothing
	 * (developer.hashicorp.com/vault/api-docs, "HTTP status codes");
	 * anything else (a proxy's page, a bare string) is not an answer
	 * the callers could read, and no caller need check its kind.
	 */
	if (jv_is_valid(out) && req.status / 100 == 2 && req.status != 204 &&
	    (kind = jv_get_kind(out)) != JV_KIND_OBJECT) {
		jv_free(out);
		out = jv_invalid_with_msg(jv_string_fmt("HTTP %ld: the answer "
		    "is %s, not a JSON object", req.status,
		    kind == JV_KIND_NULL ? "empty or null" :
		    jv_kind_name(kind)));
	}
out:
	http_req_release(&req);
	if (jv_is_valid(s))
		jv_wipe_free(s);
	else
		jv_free(s);
	buf_release(&url);
	free(hdr_ns);
	return out;
}

/* A number of seconds, for messages: "45 s", "12 min", "3.5 h". */
static void
fmt_secs(char *out, size_t n, double s)
{
	if (s < 120)
		snprintf(out, n, "%.0f s", s);
	else if (s < 7200)
		snprintf(out, n, "%.0f min", s / 60);
	else
		snprintf(out, n, "%.1f h", s / 3600);
}

/*
 * What lookup-self or renew-self says of the token's life: ttl (seconds
 * left, 0 for a token that never expires) and renewable.  Under v->mu.
 */
static void
token_life(struct vault *v, double ttl, int renewable)
{
	v->ttl = ttl > 0 ? ttl : 0;
	v->renewable = renewable && ttl > 0;
	v->expire_ms = ttl > 0 ? mono_ms() + ttl * 1e3 : 0;
	v->expire_at = ttl > 0 ? time(NULL) + (time_t)ttl : 0;
}

/*
 * Renew a renewable token before it runs out: when less than a third of
 * the TTL it had at the start, or at its last renewal, is left, the
 * first request to notice renews it (auth/token/renew-self, a POST
 * without a body: the token's own TTL again, within its max TTL; Vault
 * docs, api-docs/auth/token "Renew a token (self)").  This is the one
 * request of vault2kv that changes anything in Vault.  The others go on
 * meanwhile: the token is still good.  A renewal that fails, or that no
 * longer moves the expiry (the max TTL is reached), ends the renewals
 * with one warning.
 */
static void
maybe_renew(struct vault *v)
{
	jv r, a, d, rn;
	char *m, when[64], left[32];
	double now = mono_ms(), old, ld;
	long status;
	int again;

	pthread_mutex_lock(&v->mu);
	if (!v->renewable || v->renewing || now < v->renew_after ||
	    now < v->expire_ms - v->ttl * 1e3 / 3) {
		pthread_mutex_unlock(&v->mu);
		return;
	}
	v->renewing = 1;
	old = v->expire_ms;
	pthread_mutex_unlock(&v->mu);

	r = call1(v, NULL, "POST", "auth/token/renew-self", NULL, jv_invalid(),
	    0, 0, &status);
	pthread_mutex_lock(&v->mu);
	v->renewing = 0;
	if (!jv_is_valid(r)) {
		/* Not reached: try again in a while, the token still lives. */
		jv_free(r);
		v->renew_after = mono_ms() + 30000;
		pthread_mutex_unlock(&v->mu);
		msg_warn(NULL, "could not renew the Vault token: no answer; "
		    "trying again in 30 s");
		return;
	}
	a = jv_get_kind(r) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(r), jv_string("auth")) : jv_invalid();
	d = jv_get_kind(a) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(a), jv_string("lease_duration")) :
	    jv_invalid();
	rn = jv_get_kind(a) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(a), jv_string("renewable")) : jv_invalid();
	ld = jv_get_kind(d) == JV_KIND_NUMBER ? jv_number_value(d) : -1;
	m = status != 200 || ld <= 0 ? vault_errmsg(r, status) : NULL;
	jv_free(d);
	jv_free(rn);
	jv_free(a);
	/* The answer names the token (auth.client_token): wipe it. */
	jv_wipe_free(r);
	if (m != NULL) {
		v->renewable = 0;
		pthread_mutex_unlock(&v->mu);
		msg_warn(NULL, "could not renew the Vault token: %s; it "
		    "expires as it would have", m);
		free(m);
		return;
	}
	token_life(v, ld, 1);
	/* Within a second of the old expiry: the max TTL caps it. */
	again = v->expire_ms > old + 1000;
	if (!again)
		v->renewable = 0;
	fmt_secs(left, sizeof(left), ld);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&v->expire_at));
	pthread_mutex_unlock(&v->mu);
	if (again)
		msg_info(NULL, "renewed the Vault token: it expires in %s",
		    left);
	else
		msg_warn(NULL, "the Vault token cannot be renewed further "
		    "(its max TTL): it expires at %s", when);
}

/*
 * A 403 once the token's known TTL has run out: say so, for the record
 * it fails, rather than a bare "permission denied" that sends the
 * operator to the policies.  A re-run with a fresh token reads it.
 */
static jv
expired_body(struct vault *v, jv r /* consumed */, long status)
{
	char when[64], *m;
	time_t at;
	int gone;

	if (status != 403)
		return r;
	pthread_mutex_lock(&v->mu);
	gone = v->expire_ms > 0 && mono_ms() >= v->expire_ms - 1000;
	at = v->expire_at;
	pthread_mutex_unlock(&v->mu);
	if (!gone)
		return r;
	m = vault_errmsg(r, status);
	jv_free(r);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&at));
	r = JV_OBJECT(jv_string("errors"), JV_ARRAY(jv_string_fmt("the "
	    "Vault token expired at %s (%s); re-run with a fresh token",
	    when, m)));
	free(m);
	return r;
}

static jv
call(struct vault *v, const char *ns, const char *method, const char *path,
    const char *query, jv body, int no_retry, long budget_ms, long *status)
{
	jv r;

	maybe_renew(v);
	r = call1(v, ns, method, path, query, body, no_retry, budget_ms,
	    status);
	return jv_is_valid(r) ? expired_body(v, r, *status) : r;
}

jv
vault_callns(struct vault *v, const char *ns, const char *method,
    const char *path, const char *query, jv body, long *status)
{
	return call(v, ns, method, path, query, body, 0, 0, status);
}

jv
vault_callq(struct vault *v, const char *method, const char *path,
    const char *query, jv body, long *status)
{
	return call(v, NULL, method, path, query, body, 0, 0, status);
}

jv
vault_call(struct vault *v, const char *method, const char *path, jv body,
    long *status)
{
	return call(v, NULL, method, path, NULL, body, 0, 0, status);
}

/*
 * Vault wraps its errors in go-multierror's text ("1 error occurred:\n\t*
 * permission denied\n\n"): keep the items, joined by "; ".
 */
char *
vault_errmsg(jv body, long status)
{
	struct buf b;
	jv errs, e;
	const char *s, *item, *end;
	char *t;

	buf_init(&b);
	errs = jv_get_kind(body) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(body), jv_string("errors")) : jv_invalid();
	e = jv_get_kind(errs) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(errs)) > 0 ?
	    jv_array_get(jv_copy(errs), 0) : jv_invalid();
	if (jv_get_kind(e) == JV_KIND_STRING) {
		s = jv_string_value(e);
		if ((item = strstr(s, "\t* ")) != NULL) {
			while (item != NULL) {
				item += 3;
				end = strchr(item, '\n');
				if (end == NULL)
					end = item + strlen(item);
				if (b.len > 0)
					buf_addstr(&b, "; ");
				t = msg_clean(item, (size_t)(end - item), 400);
				buf_addstr(&b, t);
				free(t);
				item = strstr(end, "\t* ");
			}
		} else {
			t = msg_clean(s, SIZE_MAX, 400);
			buf_addstr(&b, t);
			free(t);
		}
	}
	jv_free(e);
	jv_free(errs);
	if (b.len == 0) {
		if (status == 404)
			buf_addstr(&b, "not found");
		else if (status == 403)
			buf_addstr(&b, "permission denied");
		else if (status > 0)
			buf_printf(&b, "HTTP status %ld", status);
		else
			buf_addstr(&b, "no answer from Vault");
	}
	if (b.len > 400) {
		b.len = 400;
		b.data[b.len] = '\0';
	}
	return buf_detach(&b);
}

/*
 * A few quick tries, not the engine's long backoff: a Vault that is
 * down should fail the run within a second, a dropped connection or a
 * passing 5xx should not.  All of them within PING_BUDGET_MS: a Vault
 * that accepts and never answers must not hold the start for minutes.
 */
#define PING_TRIES	3
#define PING_BUDGET_MS	10000L

/*
 * What lookup-self says of the token's life (data.ttl, data.renewable,
 * hashicorp/vault vault/token_store.go handleLookup), and the warning of
 * a token that will not last: it expires within TTL_WARN_S and cannot be
 * renewed.  An hour is the rule, not an estimate of the run: the length
 * of a run is not known at its start.
 */
static void
ping_life(struct vault *v, jv r /* borrowed */)
{
	jv d, t, rn;
	char when[64], left[32];
	double ttl;
	int renewable;

	d = jv_get_kind(r) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(r), jv_string("data")) : jv_invalid();
	t = jv_get_kind(d) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(d), jv_string("ttl")) : jv_invalid();
	rn = jv_get_kind(d) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(d), jv_string("renewable")) : jv_invalid();
	ttl = jv_get_kind(t) == JV_KIND_NUMBER && jv_number_value(t) > 0 &&
	    jv_number_value(t) < 1e9 ? jv_number_value(t) : 0;
	renewable = jv_get_kind(rn) == JV_KIND_TRUE;
	jv_free(t);
	jv_free(rn);
	jv_free(d);
	pthread_mutex_lock(&v->mu);
	token_life(v, ttl, renewable);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&v->expire_at));
	pthread_mutex_unlock(&v->mu);
	if (ttl <= 0)
		return;
	fmt_secs(left, sizeof(left), ttl);
	if (!renewable && ttl < TTL_WARN_S)
		msg_warn(NULL, "the Vault token expires in %s (at %s) and "
		    "cannot be renewed: records read after that fail, and a "
		    "re-run with a fresh token reads them", left, when);
	else if (renewable)
		msg_info(NULL, "the Vault token expires in %s: it is renewed "
		    "when a third of that is left", left);
}

/*
 * Did an https server end the connection while no client certificate
 * was offered?  A server that demands one says so with a TLS alert
 * ("certificate required" in TLS 1.3, "handshake failure" before), or,
 * in TLS 1.3, by closing the connection once the client's first request
 * is on its way, which libcurl reports in many words ("Send failure",
 * "Connection reset", "getpeername() failed", an unexpected EOF).  So:
 * any transport failure but those that say something else (no TCP
 * connection, no name, no answer in time, the server's own certificate
 * refused).  Only a hint: the message says "may".
 */
static int
tls_refused(struct vault *v, jv msg /* borrowed */)
{
	static const char *const other[] = { "Failed to connect",
	    "Could not resolve", "Connection refused", "timed out",
	    "within", "SSL certificate problem", "subject name",
	    "SSL: certificate subject", "no alternative certificate",
	    "interrupted" };
	const char *m;
	size_t i;

	if (v->sslcert != NULL || strncmp(v->addr, "https://", 8) != 0 ||
	    jv_get_kind(msg) != JV_KIND_STRING)
		return 0;
	m = jv_string_value(msg);
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		if (strstr(m, other[i]) != NULL)
			return 0;
	return 1;
}

int
vault_ping(struct vault *v, char **err)
{
	struct timespec ts;
	jv r, m2;
	char *m;
	long status, left;
	double end = mono_ms() + PING_BUDGET_MS;
	int i, tries = PING_TRIES;

	*err = NULL;
	/* VAULT_MAX_RETRIES bounds these tries too. */
	if (v->max_retries >= 0 && v->max_retries + 1 < tries)
		tries = v->max_retries + 1;
	for (i = 0; i < tries && !msg_stop; i++) {
		if (i > 0) {
			ts.tv_sec = 0;
			ts.tv_nsec = 200000000L * i;
			nanosleep(&ts, NULL);
		}
		if ((left = (long)(end - mono_ms())) < 100)
			break;
		free(*err);
		*err = NULL;
		r = call1(v, NULL, "GET", "auth/token/lookup-self", NULL,
		    jv_invalid(), 1, left, &status);
		if (!jv_is_valid(r)) {
			m2 = jv_invalid_get_msg(r);
			*err = xasprintf("cannot reach Vault at %s: %s%s",
			    v->shown, jv_get_kind(m2) == JV_KIND_STRING ?
			    jv_string_value(m2) : "no response",
			    tls_refused(v, m2) ? " (TLS: the server may "
			    "demand a client certificate: set VAULT_CLIENT_CERT "
			    "and VAULT_CLIENT_KEY)" : "");
			jv_free(m2);
			continue;
		}
		if (status == 200)
			ping_life(v, r);
		m = status == 403 || status == 429 || status >= 500 ?
		    vault_errmsg(r, status) : NULL;
		/* The answer names the token itself (data.id): wipe it. */
		jv_wipe_free(r);
		if (status == 429 || status >= 500) {
			*err = xasprintf("%s: %s", v->shown, m);
			free(m);
			continue;
		}
		/* A token without lookup-self is fine; a dead one is not. */
		if (m != NULL && strstr(m, "invalid token") != NULL)
			*err = xasprintf("Vault at %s rejected the token: %s",
			    v->shown, m);
		free(m);
		break;
	}
	return *err == NULL ? 0 : -1;
}

int
vault_in_mount(const char *path, const char *mount)
{
	size_t n = strlen(mount);

	return n > 0 && strncmp(path, mount, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

/*
 * sys/internal/ui/mounts/PATH answers the mount entry Vault's router
 * matches for PATH, whatever its type, with "path" set to the entry's
 * path, prefixed by its namespace when that is not the request's
 * (hashicorp/vault vault/logical_system.go pathInternalUIMountRead).  An
 * auth method's entry path lacks the "auth/" its route has ("token/"
 * for auth/token/...: vault/auth.go mounts it at credentialRoutePrefix +
 * entry.Path).  No mount at all is a 403, never a 404: only a server
 * without the endpoint (older than 0.10) answers 404.  OpenBao, a fork of
 * Vault 1.14 that keeps its API (openbao.org), answers the same.
 */
int
vault_mount_info(struct vault *v, const char *ns, const char *path,
    char **mount, char **type, int *kv, long *status, char **err)
{
	jv r, d, t, o, ver, p;
	const char *m;
	char *mp = NULL, *cut;
	int rc = -1;

	*mount = NULL;
	*type = NULL;
	*err = NULL;
	*kv = 0;
	while (*path == '/')
		path++;
	p = jv_string_fmt("sys/internal/ui/mounts/%s", path);
	r = vault_callns(v, ns, "GET", jv_string_value(p), NULL, jv_invalid(),
	    status);
	jv_free(p);
	if (!jv_is_valid(r)) {
		*err = rec_invalid_msg(r, "no answer");
		return -1;
	}
	if (*status != 200) {
		*err = vault_errmsg(r, *status);
		goto out;
	}
	d = jv_get_kind(r) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(r), jv_string("data")) : jv_invalid();
	if (jv_get_kind(d) != JV_KIND_OBJECT) {
		jv_free(d);
		*err = xstrdup("no mount data in the answer");
		goto out;
	}
	t = jv_object_get(jv_copy(d), jv_string("type"));
	*type = xstrdup(jv_get_kind(t) == JV_KIND_STRING &&
	    *jv_string_value(t) != '\0' ? jv_string_value(t) : "unknown");
	jv_free(t);
	/*
	 * KV is "kv", "generic" before Vault 0.8; v2 iff options.version is
	 * "2", options null or version "1" or absent being v1 (command/
	 * kv_helpers.go kvPreflightVersionRequest).
	 */
	if (strcmp(*type, "kv") == 0 || strcmp(*type, "generic") == 0) {
		o = jv_object_get(jv_copy(d), jv_string("options"));
		ver = jv_get_kind(o) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(o), jv_string("version")) :
		    jv_invalid();
		*kv = jv_get_kind(ver) == JV_KIND_STRING &&
		    strcmp(jv_string_value(ver), "2") == 0 ? 2 : 1;
		jv_free(ver);
		jv_free(o);
	}
	p = jv_object_get(jv_copy(d), jv_string("path"));
	jv_free(d);
	if (jv_get_kind(p) == JV_KIND_STRING) {
		m = jv_string_value(p);
		mp = xstrdup_noslash(m + strspn(m, "/"), 0);
	}
	jv_free(p);
	if (mp == NULL || *mp == '\0') {
		free(mp);
		mp = xstrndup(path, strcspn(path, "/"));
	}
	/*
	 * The mount path may carry the namespace ("ns1/secret"): drop its
	 * leading segments until path starts with it, as the Vault CLI does.
	 * When none fits, *mount is Vault's path as it came.
	 */
	cut = mp;
	while (!vault_in_mount(path, cut) && (cut = strchr(cut, '/')) != NULL)
		cut++;
	*mount = xstrdup(cut != NULL && *cut != '\0' ? cut : mp);
	free(mp);
	rc = 0;
out:
	jv_free(r);
	return rc;
}

int
vault_mount_of(struct vault *v, const char *ns, const char *path,
    char **mount, int *kv, long *status, char **err)
{
	char *type;

	while (*path == '/')
		path++;
	if (vault_mount_info(v, ns, path, mount, &type, kv, status, err) ==
	    -1) {
		if (*status != 404)
			return -1;
		/* An old server: KV v1 at the first segment, as the vault CLI's
		 * kvPreflightVersionRequest does (command/kv_helpers.go). */
		free(*err);
		*err = NULL;
		*kv = 1;
		*mount = xstrndup(path, strcspn(path, "/"));
		if (**mount != '\0')
			return 0;
		free(*mount);
		*mount = NULL;
		*err = xstrdup("empty path");
		return -1;
	}
	if (*kv == 0)
		*err = xasprintf("not a KV secrets engine (type %s)", type);
	else if (!vault_in_mount(path, *mount))
		*err = xasprintf("Vault says the mount is %s, which does not "
		    "prefix the path", *mount);
	free(type);
	if (*err == NULL)
		return 0;
	free(*mount);
	*mount = NULL;
	*kv = 1;
	return -1;
}

/*
 * KV v2 serves a version whose deletion_time is in the future (set by
 * delete_version_after); one in the past is deleted (kvplugin
 * path_data.go).  An unreadable time counts as deleted.
 */
int
vault_version_state(jv meta)
{
	jv d, t;
	int state = VAULT_LIVE;
	time_t when;

	if (jv_get_kind(meta) != JV_KIND_OBJECT)
		return VAULT_LIVE;
	d = jv_object_get(jv_copy(meta), jv_string("destroyed"));
	t = jv_object_get(jv_copy(meta), jv_string("deletion_time"));
	if (jv_get_kind(d) == JV_KIND_TRUE)
		state = VAULT_DESTROYED;
	else if (jv_get_kind(t) == JV_KIND_STRING &&
	    *jv_string_value(t) != '\0') {
		if (time_parse_rfc3339(jv_string_value(t), &when) == -1 ||
		    when <= time(NULL))
			state = VAULT_DELETED;
	}
	jv_free(d);
	jv_free(t);
	return state;
}
