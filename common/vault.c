/* vault.c: a HashiCorp Vault client over the HTTP engine. */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define TOKEN_FILE_MAX	(64 * 1024)

struct vault {
	struct http	*http;
	char		*addr;		/* VAULT_ADDR without a final / */
	char		*shown;		/* the same without user:password@ */
	char		*proxy;		/* VAULT_PROXY_ADDR, or NULL */
	char		*warn[3];	/* about the set-up, NULL-terminated */
	char		*ns;		/* VAULT_NAMESPACE, or NULL */
	char		*ns_clean;	/* without slashes at its ends */
	char		*cacert;
	char		*capath;
	int		 insecure;
	char		*hdr_token;	/* "X-Vault-Token: ..." (secret) */
	char		*hdr_ns;
	const char	*hdrs[6];	/* for requests without a body */
	const char	*hdrs_json[6];	/* with a JSON body */
};

static char *
env(const char *name)
{
	char *s = getenv(name);

	return s != NULL && *s != '\0' ? s : NULL;
}

/*
 * VAULT_SKIP_VERIFY is read with Go's strconv.ParseBool, as the Vault
 * CLI and api package do (hashicorp/vault api/client.go, ReadEnvironment): 1 t T TRUE true True and
 * 0 f F FALSE false False; anything else is an error.
 */
static int
parse_bool(const char *s)
{
	static const char *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *no[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Strip whitespace at both ends, in place; returns s. */
static char *
strip(char *s)
{
	size_t n = strlen(s), skip = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[skip]))
		skip++;
	if (skip > 0)
		memmove(s, s + skip, n - skip + 1);
	return s;
}

/*
 * url without the user:password@ of its authority, for messages.  The
 * last '@' ends it, as in Go's url.Parse: a password may hold an '@'.
 */
static char *
strip_userinfo(const char *url)
{
	const char *start, *end, *at;

	start = strstr(url, "://");
	start = start != NULL ? start + 3 : url;
	end = start + strcspn(start, "/?#");
	for (at = end; at > start && at[-1] != '@'; at--)
		;
	if (at == start)
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(start - url), url, at);
}

/*
 * The host (no brackets) and port ("" if none) of a URL without a
 * userinfo: 0, or -1 when it has no host.
 */
static int
vault_host(const char *url, char **host, char **port)
{
	const char *a, *end, *h, *he;

	a = strstr(url, "://") + 3;
	end = a + strcspn(a, "/?#");
	if (*a == '[') {
		h = a + 1;
		if ((he = memchr(h, ']', (size_t)(end - h))) == NULL)
			return -1;
		a = he + 1;
	} else {
		h = a;
		he = memchr(a, ':', (size_t)(end - a));
		if (he == NULL)
			he = end;
		a = he;
	}
	if (he == h)
		return -1;
	*host = xstrndup(h, (size_t)(he - h));
	*port = *a == ':' ? xstrndup(a + 1, (size_t)(end - a - 1)) :
	    xstrdup("");
	return 0;
}

/*
 * The token: VAULT_TOKEN, else the file the Vault CLI's token helper
 * writes, ~/.vault-token, with surrounding whitespace stripped (as hvac
 * does).  Returns a malloc'd token or NULL with *err.
 */
static char *
read_token(char **err)
{
	struct buf b;
	const char *home;
	char *path, *tok, chunk[4096];
	FILE *fp;
	size_t n;
	int e;

	if ((tok = env("VAULT_TOKEN")) != NULL)
		return strip(xstrdup(tok));
	if ((home = env("HOME")) == NULL) {
		*err = xstrdup("no Vault token: VAULT_TOKEN is not set");
		return NULL;
	}
	path = xasprintf("%s/.vault-token", home);
	if ((fp = fopen(path, "r")) == NULL) {
		e = errno;
		if (e == ENOENT)
			*err = xstrdup("no Vault token: VAULT_TOKEN is not set "
			    "and ~/.vault-token does not exist");
		else
			*err = xasprintf("%s: %s", path, strerror(e));
		free(path);
		return NULL;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0 &&
	    b.len <= TOKEN_FILE_MAX)
		buf_add(&b, chunk, n);
	wipe(chunk, sizeof(chunk));
	e = ferror(fp) ? errno : 0;
	fclose(fp);
	if (e != 0 || b.len > TOKEN_FILE_MAX) {
		*err = e != 0 ? xasprintf("%s: %s", path, strerror(e)) :
		    xasprintf("%s: file too large for a token", path);
		buf_release(&b);
		free(path);
		return NULL;
	}
	free(path);
	if (b.data == NULL)
		buf_addstr(&b, "");
	tok = xstrdup(strip(b.data));
	buf_release(&b);
	return tok;
}

struct vault *
vault_new(struct http *http, char **err)
{
	struct vault *v;
	struct stat st;
	const char *s;
	char *tok = NULL, *host, *port;
	size_t i, n;
	int k, nw = 0;

	*err = NULL;
	if ((s = env("VAULT_ADDR")) == NULL) {
		*err = xstrdup("VAULT_ADDR is not set: export the URL of "
		    "the Vault server, e.g. https://vault.example.com:8200");
		return NULL;
	}
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
		tok = strip_userinfo(s);
		*err = xasprintf("VAULT_ADDR: not an http:// or https:// URL: "
		    "%s", tok);
		free(tok);
		return NULL;
	}
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			*err = xstrdup("VAULT_ADDR: white space or control "
			    "character in the URL");
			return NULL;
		}
	v = xcalloc(1, sizeof(*v));
	v->http = http;
	v->addr = xstrdup(s);
	n = strlen(v->addr);
	while (n > 0 && v->addr[n - 1] == '/')
		v->addr[--n] = '\0';
	v->shown = strip_userinfo(v->addr);

	if ((s = env("VAULT_SKIP_VERIFY")) != NULL) {
		if ((k = parse_bool(s)) == -1) {
			*err = xasprintf("could not parse VAULT_SKIP_VERIFY: "
			    "\"%s\" is not a boolean (true, false, 1, 0)", s);
			goto fail;
		}
		v->insecure = k;
	}
	/*
	 * A proxy for Vault alone, whatever HTTP_PROXY and NO_PROXY say:
	 * VAULT_PROXY_ADDR, else VAULT_HTTP_PROXY, as api/client.go
	 * (ReadEnvironment) reads them.
	 */
	s = env("VAULT_PROXY_ADDR") != NULL ? "VAULT_PROXY_ADDR" :
	    env("VAULT_HTTP_PROXY") != NULL ? "VAULT_HTTP_PROXY" : NULL;
	if (s != NULL && (v->proxy = proxy_url(env(s))) == NULL) {
		*err = xasprintf("%s: not a proxy URL (http://, https:// or "
		    "socks5://HOST:PORT)", s);
		goto fail;
	}
	/*
	 * One line for each way the token can reach someone else.  Loopback
	 * is the host itself, as it is for the proxy rules.
	 */
	if (strncmp(v->shown, "http://", 7) == 0 &&
	    vault_host(v->shown, &host, &port) == 0) {
		if (!proxy_bypass(NULL, host, port))
			v->warn[nw++] = xasprintf("VAULT_ADDR is http:// to "
			    "%s: vault2kv sends the token in clear text over "
			    "the network", host);
		free(host);
		free(port);
	}
	if (v->insecure)
		v->warn[nw++] = xstrdup("VAULT_SKIP_VERIFY is set: the Vault "
		    "server's certificate is not verified, and the token goes "
		    "to whoever answers");
	/* VAULT_CACERT wins over VAULT_CAPATH, as in the Vault CLI. */
	if ((s = env("VAULT_CACERT")) != NULL) {
		if (stat(s, &st) == -1) {
			*err = xasprintf("VAULT_CACERT: %s: %s", s,
			    strerror(errno));
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			*err = xasprintf("VAULT_CACERT: %s: not a file", s);
			goto fail;
		}
		v->cacert = xstrdup(s);
	} else if ((s = env("VAULT_CAPATH")) != NULL) {
		if (stat(s, &st) == -1) {
			*err = xasprintf("VAULT_CAPATH: %s: %s", s,
			    strerror(errno));
			goto fail;
		}
		if (!S_ISDIR(st.st_mode)) {
			*err = xasprintf("VAULT_CAPATH: %s: not a directory",
			    s);
			goto fail;
		}
		v->capath = xstrdup(s);
	}
	if ((s = env("VAULT_NAMESPACE")) != NULL) {
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < ' ' || s[i] == 0x7f) {
				*err = xstrdup("VAULT_NAMESPACE: control "
				    "character in the namespace");
				goto fail;
			}
		v->ns = xstrdup(s);
		while (*s == '/')
			s++;
		v->ns_clean = xstrdup(s);
		n = strlen(v->ns_clean);
		while (n > 0 && v->ns_clean[n - 1] == '/')
			v->ns_clean[--n] = '\0';
		if (n == 0) {
			free(v->ns_clean);
			v->ns_clean = NULL;
		}
		v->hdr_ns = xasprintf("X-Vault-Namespace: %s", v->ns);
	}

	if ((tok = read_token(err)) == NULL)
		goto fail;
	if (*tok == '\0') {
		*err = xstrdup("no Vault token: VAULT_TOKEN and "
		    "~/.vault-token are empty");
		goto fail;
	}
	for (i = 0; tok[i] != '\0'; i++)
		if ((unsigned char)tok[i] < ' ' || tok[i] == 0x7f) {
			/* Never say more: the token must not be printed. */
			*err = xstrdup("the Vault token holds a control "
			    "character");
			goto fail;
		}
	v->hdr_token = xasprintf("X-Vault-Token: %s", tok);
	wipe_free(tok);
	tok = NULL;

	/* The Vault CLI and SDKs always send X-Vault-Request (api/client.go). */
	n = 0;
	v->hdrs[n] = v->hdr_token;
	v->hdrs_json[n++] = v->hdr_token;
	v->hdrs[n] = "X-Vault-Request: true";
	v->hdrs_json[n++] = "X-Vault-Request: true";
	if (v->hdr_ns != NULL) {
		v->hdrs[n] = v->hdr_ns;
		v->hdrs_json[n++] = v->hdr_ns;
	}
	v->hdrs[n] = NULL;
	v->hdrs_json[n++] = "Content-Type: application/json";
	v->hdrs_json[n] = NULL;
	return v;
fail:
	wipe_free(tok);
	vault_free(v);
	return NULL;
}

void
vault_free(struct vault *v)
{
	int i;

	if (v == NULL)
		return;
	wipe_free(v->hdr_token);
	free(v->hdr_ns);
	free(v->ns);
	free(v->ns_clean);
	free(v->cacert);
	free(v->capath);
	for (i = 0; v->warn[i] != NULL; i++)
		free(v->warn[i]);
	wipe_free(v->proxy);
	free(v->shown);
	wipe_free(v->addr);	/* may hold a user:password */
	free(v);
}

const char *
vault_addr(struct vault *v)
{
	return v->shown;
}

const char *
vault_warning(struct vault *v, int i)
{
	return i >= 0 && i < 2 ? v->warn[i] : NULL;
}

const char *
vault_namespace(struct vault *v)
{
	return v->ns_clean;
}

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

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
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

static jv
call(struct vault *v, const char *method, const char *path,
    const char *query, jv body, int no_retry, long budget_ms, long *status)
{
	struct http_req req;
	struct buf url;
	jv out, s = jv_invalid();

	*status = 0;
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
	req.cafile = v->cacert;
	req.capath = v->capath;
	req.insecure = v->insecure;
	req.no_retry = no_retry;
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
	if (req.resp.len == 0 || blank(req.resp.data, req.resp.len))
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
out:
	http_req_release(&req);
	if (jv_is_valid(s))
		jv_wipe_free(s);
	else
		jv_free(s);
	buf_release(&url);
	return out;
}

jv
vault_callq(struct vault *v, const char *method, const char *path,
    const char *query, jv body, long *status)
{
	return call(v, method, path, query, body, 0, 0, status);
}

jv
vault_call(struct vault *v, const char *method, const char *path, jv body,
    long *status)
{
	return call(v, method, path, NULL, body, 0, 0, status);
}

/* Control characters become spaces; whitespace is trimmed. */
static void
clean_add(struct buf *b, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	for (; n > 0; s++, n--)
		buf_addc(b, (unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s);
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
				clean_add(&b, item, (size_t)(end - item));
				item = strstr(end, "\t* ");
			}
		} else
			clean_add(&b, s, strlen(s));
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

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
vault_ping(struct vault *v, char **err)
{
	struct timespec ts;
	jv r;
	char *m;
	long status, left;
	double end = mono_ms() + PING_BUDGET_MS;
	int i;

	*err = NULL;
	for (i = 0; i < PING_TRIES && !msg_stop; i++) {
		if (i > 0) {
			ts.tv_sec = 0;
			ts.tv_nsec = 200000000L * i;
			nanosleep(&ts, NULL);
		}
		if ((left = (long)(end - mono_ms())) < 100)
			break;
		free(*err);
		*err = NULL;
		r = call(v, "GET", "auth/token/lookup-self", NULL,
		    jv_invalid(), 1, left, &status);
		if (!jv_is_valid(r)) {
			m = rec_invalid_msg(r, "no response");
			*err = xasprintf("cannot reach Vault at %s: %s",
			    v->shown, m);
			free(m);
			continue;
		}
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
vault_mount_info(struct vault *v, const char *path, char **mount,
    char **type, int *kv, long *status, char **err)
{
	jv r, d, t, o, ver, p;
	const char *m;
	char *mp = NULL, *cut;
	size_t n;
	int rc = -1;

	*mount = NULL;
	*type = NULL;
	*err = NULL;
	*kv = 0;
	while (*path == '/')
		path++;
	p = jv_string_fmt("sys/internal/ui/mounts/%s", path);
	r = vault_call(v, "GET", jv_string_value(p), jv_invalid(), status);
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
		while (*m == '/')
			m++;
		mp = xstrdup(m);
		n = strlen(mp);
		while (n > 0 && mp[n - 1] == '/')
			mp[--n] = '\0';
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
vault_mount_of(struct vault *v, const char *path, char **mount, int *kv,
    long *status, char **err)
{
	char *type;

	while (*path == '/')
		path++;
	if (vault_mount_info(v, path, mount, &type, kv, status, err) == -1) {
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
