/* kv.c: the Key Vault data plane: its challenge, calls, lists and errors. */

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common.h"
#include "azure_int.h"

#define KV_API_VERSION	"7.5"
#define MAX_PAGES	1000000

struct kv {
	struct http	*http;
	struct azure_cred *cred;
	char		*url;		/* no trailing '/' */
	char		*origin;	/* scheme://authority of url */
	char		*host;		/* lowercase, no port */
	pthread_mutex_t	 mu;
	int		 ready;		/* scope known */
	char		*scope;
	char		*tenant;	/* from the challenge, or NULL */
	struct http_bucket *wbucket;
	struct http_bucket *abucket;
	struct http_bucket *swbucket;	/* shared with other vaults */
	struct http_bucket *sabucket;
};


/* What the tool would have the user do about each cause, or NULL. */
static const char *const *cures;

void
kv_set_cures(const char *const *table)
{
	cures = table;
}

/* msg (freed) and the tool's cure of cause, if it gave one. */
static char *
with_cure(char *msg, enum kv_cause cause)
{
	char *r;

	if (cures == NULL || cures[cause] == NULL)
		return msg;
	r = xasprintf("%s: %s", msg, cures[cause]);
	free(msg);
	return r;
}

struct kv *
kv_new(struct http *http, struct azure_cred *cred, const char *vault,
    char **err)
{
	struct az_url u;
	struct kv *kv;
	const char *sfx;
	char *url, *v, *e = NULL;
	size_t n;

	if (vault == NULL || *vault == '\0') {
		*err = xstrdup("no vault given");
		return NULL;
	}
	if (strstr(vault, "://") == NULL) {
		if (kv_vault_name_check(vault, err) == -1)
			return NULL;
		/* The cloud's Key Vault host: NAME.vault.azure.cn in China. */
		sfx = azure_cloud_kv_suffix(azure_cred_cloud(cred), &e);
		if (sfx == NULL) {
			*err = xasprintf("vault %s: %s (give the vault's URL)",
			    vault, e);
			free(e);
			return NULL;
		}
		url = xasprintf("https://%s.%s", vault, sfx);
	} else {
		url = xstrdup(vault);
		n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			url[--n] = '\0';
	}
	if (az_url_parse(url, &u) == -1 || strcmp(u.scheme, "https") != 0 ||
	    strpbrk(u.rest, "?#") != NULL || strchr(u.authority, '@')) {
		v = msg_clean(vault, SIZE_MAX, 200);
		*err = xasprintf("%s: a Key Vault URL is https://HOST[:PORT] "
		    "(tokens are sent only over TLS)", v);
		free(v);
		if (u.scheme != NULL)
			az_url_release(&u);
		free(url);
		return NULL;
	}
	kv = xcalloc(1, sizeof(*kv));
	kv->http = http;
	kv->cred = cred;
	kv->url = url;
	kv->origin = xasprintf("https://%s", u.authority);
	kv->host = xstrdup(u.host);
	pthread_mutex_init(&kv->mu, NULL);
	az_url_release(&u);
	return kv;
}

void
kv_free(struct kv *kv)
{
	if (kv == NULL)
		return;
	free(kv->url);
	free(kv->origin);
	free(kv->host);
	free(kv->scope);
	free(kv->tenant);
	http_bucket_free(kv->wbucket);
	http_bucket_free(kv->abucket);
	pthread_mutex_destroy(&kv->mu);
	free(kv);
}

const char *
kv_url(struct kv *kv)
{
	return kv->url;
}

void
kv_set_budget(struct kv *kv, double write_rate, double all_rate)
{
	/*
	 * A burst of one: the service counts over 10-second windows, and a
	 * full bucket on top of the rate would overrun the first window.
	 */
	http_bucket_free(kv->wbucket);
	http_bucket_free(kv->abucket);
	kv->wbucket = write_rate > 0 ? http_bucket_new(write_rate, 1) : NULL;
	kv->abucket = all_rate > 0 ? http_bucket_new(all_rate, 1) : NULL;
}

void
kv_set_window(struct kv *kv, int writes, int others, double window)
{
	if (writes > 0) {
		http_bucket_free(kv->wbucket);
		kv->wbucket = http_window_new(writes, window);
	}
	if (others > 0) {
		http_bucket_free(kv->abucket);
		kv->abucket = http_window_new(others, window);
	}
}

void
kv_set_shared_budget(struct kv *kv, struct http_bucket *write,
    struct http_bucket *all)
{
	kv->swbucket = write;
	kv->sabucket = all;
}

/* Wait for a token of a shared bucket (the engine paces the vault's). */
static void
shared_wait(struct http_bucket *b)
{
	struct timespec now, ts;
	long ms;

	while (b != NULL && !msg_stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((ms = http_bucket_take(b, now.tv_sec + now.tv_nsec /
		    1e9)) <= 0)
			break;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/*
 * The parameters of the Bearer challenge in a WWW-Authenticate value:
 * Bearer authorization="https://login.windows.net/TENANT",
 * resource="https://vault.azure.net" (or authorization_uri=, scope=).
 */
struct challenge {
	char	*authorization;
	char	*resource;
	char	*scope;
};

static void
challenge_release(struct challenge *ch)
{
	free(ch->authorization);
	free(ch->resource);
	free(ch->scope);
	memset(ch, 0, sizeof(*ch));
}

static void
challenge_parse(const char *s, struct challenge *ch)
{
	const char *k, *ke, *v;
	struct buf val;
	int bearer = 0;
	char **slot;

	memset(ch, 0, sizeof(*ch));
	buf_init(&val);
	while (*s != '\0') {
		while (*s == ' ' || *s == ',' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		k = s;
		while (*s != '\0' && *s != '=' && *s != ' ' && *s != ',')
			s++;
		ke = s;
		while (*s == ' ')
			s++;
		if (*s != '=') {
			/* An auth scheme name starts a new challenge. */
			bearer = (size_t)(ke - k) == 6 &&
			    strncasecmp(k, "Bearer", 6) == 0;
			continue;
		}
		s++;
		while (*s == ' ')
			s++;
		buf_reset(&val);
		buf_addstr(&val, "");
		if (*s == '"') {
			for (s++; *s != '\0' && *s != '"'; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				buf_addc(&val, *s);
			}
			if (*s == '"')
				s++;
		} else {
			v = s;
			while (*s != '\0' && *s != ',' && *s != ' ')
				s++;
			buf_add(&val, v, (size_t)(s - v));
		}
		if (!bearer)
			continue;
		slot = NULL;
		if (((size_t)(ke - k) == 13 &&
		    strncasecmp(k, "authorization", 13) == 0) ||
		    ((size_t)(ke - k) == 17 &&
		    strncasecmp(k, "authorization_uri", 17) == 0))
			slot = &ch->authorization;
		else if ((size_t)(ke - k) == 8 &&
		    strncasecmp(k, "resource", 8) == 0)
			slot = &ch->resource;
		else if ((size_t)(ke - k) == 5 &&
		    strncasecmp(k, "scope", 5) == 0)
			slot = &ch->scope;
		if (slot != NULL && *slot == NULL)
			*slot = xstrdup(val.data);
	}
	buf_release(&val);
}

/* The last path segment of a challenge's authorization URI. */
static int
tenant_segment(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * One resource: an https URL whose host is the vault's or a parent
 * domain of it, label by label ("vault.azure.net" for
 * "kv.vault.azure.net", never "ault.azure.net"), of two labels at least
 * (a bare "net" would cover every vault).  An address is only itself.
 * The Azure SDKs check the same (azure-keyvault-secrets,
 * _shared/challenge_auth_policy.py: _verify_challenge_resource, the
 * request's host must end with "." and the resource's).
 */
static int
resource_ok(const char *vhost, const char *res)
{
	struct az_url u;
	size_t hl, rl;
	int ok = 0;

	if (az_url_parse(res, &u) == -1)
		return 0;
	hl = strlen(vhost);
	rl = strlen(u.host);
	if (strcmp(u.scheme, "https") != 0)
		ok = 0;
	else if (strcmp(vhost, u.host) == 0)
		ok = 1;
	else if (az_is_ip(vhost) || az_is_ip(u.host) || strchr(u.host, '.') == NULL ||
	    u.host[0] == '.' || u.host[rl - 1] == '.')
		ok = 0;
	else
		ok = hl > rl + 1 && vhost[hl - rl - 1] == '.' &&
		    strcmp(vhost + hl - rl, u.host) == 0;
	az_url_release(&u);
	return ok;
}

int
kv_scope_ok(const char *vault_host, const char *scopes, char **bad)
{
	const char *p, *e;
	char *one;
	int n = 0;

	*bad = NULL;
	for (p = scopes; ; p = e, n++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, " ");
		one = xstrndup(p, (size_t)(e - p));
		if (!resource_ok(vault_host, one)) {
			*bad = one;
			return 0;
		}
		free(one);
	}
	if (n == 0) {
		*bad = xstrdup(scopes);
		return 0;
	}
	return 1;
}

/*
 * Take the scope and tenant from a challenge.  Every resource and scope
 * it names must be of the vault's own domain (kv_scope_ok): a wrong
 * or hostile URL then cannot collect a token for another service.
 * Called with kv->mu held.  0, or -1 with *err.
 */
static int
kv_take_challenge(struct kv *kv, const char *hdr, char **err)
{
	struct challenge ch;
	const char *seg;
	char *scope, *t, *h, *bad = NULL;
	size_t hl;
	int ok;

	challenge_parse(hdr != NULL ? hdr : "", &ch);
	if (ch.scope != NULL)
		scope = xstrdup(ch.scope);
	else if (ch.resource != NULL)
		scope = xasprintf("%s%s", ch.resource,
		    az_ends_with(ch.resource, "/") ? ".default" : "/.default");
	else {
		h = msg_clean(hdr != NULL ? hdr : "none", SIZE_MAX, 200);
		*err = xasprintf("%s answered 401 without a usable Bearer "
		    "challenge (WWW-Authenticate: %s)", kv->host, h);
		free(h);
		challenge_release(&ch);
		return -1;
	}
	/* Both, when both are there: either may be what a client uses. */
	ok = (ch.resource == NULL ||
	    kv_scope_ok(kv->host, ch.resource, &bad)) &&
	    (ch.scope == NULL || kv_scope_ok(kv->host, ch.scope, &bad));
	if (!ok) {
		h = msg_clean(bad != NULL ? bad : "nothing", SIZE_MAX, 200);
		free(bad);
		*err = xasprintf("%s asks for a token for %s, which is not of "
		    "its own domain: no token sent (check the vault URL)",
		    kv->host, h);
		free(h);
		free(scope);
		challenge_release(&ch);
		return -1;
	}
	free(kv->scope);
	kv->scope = scope;
	free(kv->tenant);
	kv->tenant = NULL;
	if (ch.authorization != NULL) {
		t = xstrdup(ch.authorization);
		hl = strlen(t);
		while (hl > 0 && t[hl - 1] == '/')
			t[--hl] = '\0';
		seg = strrchr(t, '/');
		if (seg != NULL && tenant_segment(seg + 1) &&
		    (size_t)(seg - t) > strlen("https:/"))
			kv->tenant = xstrdup(seg + 1);
		free(t);
	}
	kv->ready = 1;
	challenge_release(&ch);
	return 0;
}

/* Our own origin with the path and query of link (an absolute URL). */
static char *
kv_rebase(struct kv *kv, const char *link)
{
	struct az_url u;
	char *r;

	if (az_url_parse(link, &u) == -1)
		return NULL;
	r = xasprintf("%s%s%s", kv->origin, *u.rest == '/' ? "" : "/",
	    u.rest);
	az_url_release(&u);
	return r;
}

static char *
kv_make_url(struct kv *kv, const char *path_query, char **err)
{
	struct az_url u;
	char *r;
	int same;

	if (strncasecmp(path_query, "https://", 8) == 0 ||
	    strncasecmp(path_query, "http://", 7) == 0) {
		if (az_url_parse(path_query, &u) == -1)
			same = 0;
		else {
			same = strcmp(u.scheme, "https") == 0 &&
			    strcmp(u.host, kv->host) == 0;
			az_url_release(&u);
		}
		if (!same) {
			r = msg_clean(path_query, SIZE_MAX, 200);
			*err = xasprintf("%s is not on the vault's host %s",
			    r, kv->host);
			free(r);
			return NULL;
		}
		r = xstrdup(path_query);
	} else {
		while (*path_query == '/')
			path_query++;
		r = xasprintf("%s/%s", kv->url, path_query);
	}
	if (strstr(r, "api-version=") == NULL) {
		char *t = xasprintf("%s%capi-version=%s", r,
		    strchr(r, '?') != NULL ? '&' : '?', KV_API_VERSION);

		free(r);
		r = t;
	}
	return r;
}

/* A transport failure; the tool's cure when the name does not resolve. */
static jv
kv_transport_error(struct kv *kv, const struct http_req *r)
{
	char *m, *e;
	jv v;

	if (!msg_stop && (strstr(r->err, "resolve") != NULL ||
	    strstr(r->err, "Resolv") != NULL)) {
		m = with_cure(xasprintf("cannot resolve %s", kv->host),
		    KV_CAUSE_UNRESOLVED);
	} else {
		e = az_transport_msg(kv->host, r);
		m = e;
	}
	v = jv_invalid_with_msg(jv_string(m));
	free(m);
	return v;
}

/*
 * The challenge, once per client: the first request goes out without a
 * token and without a body (as the Azure SDKs do), so that neither a
 * token nor a value reaches a host before it proved it is a vault of the
 * domain it claims.  For a GET that was not challenged the answer is
 * final and is handed back in *first.
 */
static int
kv_challenge(struct kv *kv, const char *method, const char *url,
    struct http_req *first, int *have_first, char **err)
{
	static const char *const hdrs[] = { "Accept: application/json",
	    NULL };
	int rc = 0;

	*have_first = 0;
	pthread_mutex_lock(&kv->mu);
	if (kv->ready)
		goto out;
	az_req_init(first, method, url);
	first->headers = hdrs;
	first->bucket = kv->abucket;
	if (http_do(kv->http, first) == -1) {
		*have_first = 1;
		rc = -2;
		goto out;
	}
	if (first->status == 401) {
		rc = kv_take_challenge(kv, first->www_authenticate, err);
		http_req_release(first);
		goto out;
	}
	if (strcmp(method, "GET") == 0) {
		*have_first = 1;
		goto out;
	}
	*err = xasprintf("%s did not ask for a token (HTTP %ld to an "
	    "unauthenticated %s): is it a Key Vault?", kv->host,
	    first->status, method);
	http_req_release(first);
	rc = -1;
out:
	pthread_mutex_unlock(&kv->mu);
	return rc;
}

static jv
kv_result(struct kv *kv, struct http_req *r, long *status)
{
	if (r->status == 0)
		return kv_transport_error(kv, r);
	*status = r->status;
	return az_answer_body(r, kv->host);
}

/* The scope and tenant of the next try: the challenge may change them. */
static void
kv_target_of(void *arg, char **scope, char **tenant)
{
	struct kv *kv = arg;

	pthread_mutex_lock(&kv->mu);
	*scope = xstrdup(kv->scope);
	*tenant = kv->tenant != NULL ? xstrdup(kv->tenant) : NULL;
	pthread_mutex_unlock(&kv->mu);
}

/* A 401's challenge: the vault may have moved to another tenant. */
static int
kv_rechallenge(void *arg, const char *hdr, char **err)
{
	struct kv *kv = arg;
	int rc;

	pthread_mutex_lock(&kv->mu);
	rc = kv_take_challenge(kv, hdr, err);
	pthread_mutex_unlock(&kv->mu);
	return rc;
}

jv
kv_call(struct kv *kv, const char *method, const char *path_query, jv body,
    long *status)
{
	struct az_call ac;
	struct http_req r;
	struct buf payload;
	char *url, *err = NULL;
	int have_first, rc, write;
	jv res;

	*status = 0;
	az_payload(body, &payload);
	/* SetSecret is what the service's tighter write budget counts. */
	write = strcmp(method, "PUT") == 0 &&
	    strncmp(path_query + strspn(path_query, "/"), "secrets/", 8) == 0;
	if ((url = kv_make_url(kv, path_query, &err)) == NULL)
		goto fail;
	shared_wait(write ? kv->swbucket : kv->sabucket);
	rc = kv_challenge(kv, method, url, &r, &have_first, &err);
	if (rc == -2) {
		res = kv_transport_error(kv, &r);
		http_req_release(&r);
		goto done;
	}
	if (rc == -1)
		goto fail;
	if (!have_first) {
		memset(&ac, 0, sizeof(ac));
		ac.http = kv->http;
		ac.cred = kv->cred;
		ac.method = method;
		ac.url = url;
		ac.payload = &payload;
		ac.bucket = write ? kv->wbucket : kv->abucket;
		ac.target = kv_target_of;
		ac.challenged = kv_rechallenge;
		ac.arg = kv;
		if ((rc = az_authed_call(&ac, &r, &err)) == -1)
			goto fail;
		if (rc == -2) {
			res = kv_transport_error(kv, &r);
			http_req_release(&r);
			goto done;
		}
	}
	res = kv_result(kv, &r, status);
	http_req_release(&r);
	goto done;
fail:
	res = jv_invalid_with_msg(jv_string(err != NULL ? err : "failed"));
done:
	free(err);
	free(url);
	buf_release(&payload);
	return res;
}

jv
kv_list_all(struct kv *kv, const char *path_query, long *statusp)
{
	char *next = xstrdup(path_query), *link;
	jv all = jv_array(), page, nl;
	long status, ignored;
	int pages = 0;

	/* The last answer's status: a 404 tells "no such name" apart. */
	if (statusp == NULL)
		statusp = &ignored;
	while (next != NULL) {
		page = kv_call(kv, "GET", next, jv_invalid(), &status);
		*statusp = status;
		free(next);
		next = NULL;
		if (!jv_is_valid(page)) {
			jv_free(all);
			return page;
		}
		if (status != 200) {
			char *m = kv_errmsg(page, status);

			jv_free(page);
			jv_free(all);
			page = jv_invalid_with_msg(jv_string(m));
			free(m);
			return page;
		}
		if (!jv_is_valid(all = az_page_items(all, page, kv->host))) {
			jv_free(page);
			return all;
		}
		nl = jv_object_get(page, jv_string("nextLink"));
		if (jv_get_kind(nl) == JV_KIND_STRING &&
		    *jv_string_value(nl) != '\0') {
			link = jv_string_value(nl)[0] == '/' ?
			    xasprintf("%s%s", kv->origin,
			    jv_string_value(nl)) :
			    kv_rebase(kv, jv_string_value(nl));
			if (link == NULL || ++pages > MAX_PAGES) {
				free(link);
				jv_free(nl);
				jv_free(all);
				return jv_invalid_with_msg(jv_string_fmt(
				    "%s: a nextLink that cannot be followed",
				    kv->host));
			}
			next = link;
		}
		jv_free(nl);
	}
	return all;
}


/* The causes an inner error code names, with the status it comes with. */
static const struct {
	long		 status;
	const char	*inner;
	enum kv_cause	 cause;
} inner_causes[] = {
	{ 403, "ForbiddenByRbac",		KV_CAUSE_RBAC },
	{ 403, "AccessDenied",			KV_CAUSE_ACCESS_POLICY },
	{ 403, "ForbiddenByFirewall",		KV_CAUSE_FIREWALL },
	{ 403, "ForbiddenByConnection",		KV_CAUSE_CONNECTION },
	{ 403, "SecretDisabled",		KV_CAUSE_DISABLED },
	{ 409, "ObjectIsDeletedButRecoverable",	KV_CAUSE_DELETED },
	{ 409, "ObjectIsBeingDeleted",		KV_CAUSE_BUSY },
	{ 409, "ObjectIsBeingRecovered",	KV_CAUSE_BUSY },
};

static enum kv_cause
cause_of(long status, const char *code, const char *inner, const char *m)
{
	size_t i;

	for (i = 0; i < sizeof(inner_causes) / sizeof(inner_causes[0]); i++)
		if (status == inner_causes[i].status &&
		    az_eq(inner, inner_causes[i].inner))
			return inner_causes[i].cause;
	if (status == 413 || strcasestr(m, "too large") != NULL ||
	    strcasestr(m, "exceeds") != NULL)
		return KV_CAUSE_TOO_LARGE;
	if (status == 400 && strcasestr(m, "invalid name") != NULL)
		return KV_CAUSE_BAD_NAME;
	if (status == 429)
		return KV_CAUSE_THROTTLED;
	if (status == 401)
		return KV_CAUSE_TOKEN;
	if (status == 404 && az_eq(code, "SecretNotFound"))
		return KV_CAUSE_NOT_FOUND;
	return KV_CAUSE_NONE;
}

enum kv_cause
kv_cause(jv body, long status)
{
	char *code, *inner, *msg;
	enum kv_cause c;

	az_codes(body, &code, &inner, &msg);
	c = cause_of(status, code, inner, msg != NULL ? msg : "");
	free(code);
	free(inner);
	free(msg);
	return c;
}

char *
kv_errmsg(jv body, long status)
{
	char *code, *inner, *msg, *r;
	const char *m;
	enum kv_cause c;

	az_codes(body, &code, &inner, &msg);
	m = msg != NULL ? msg : "";
	switch ((c = cause_of(status, code, inner, m))) {
	case KV_CAUSE_RBAC:
		r = xstrdup("forbidden by Azure RBAC");
		break;
	case KV_CAUSE_ACCESS_POLICY:
		r = xstrdup("forbidden by the vault's access policy");
		break;
	case KV_CAUSE_FIREWALL:
		r = xstrdup("blocked by the vault's firewall: add this "
		    "client's address to the vault's network rules, or reach "
		    "it through a private endpoint");
		break;
	case KV_CAUSE_CONNECTION:
		r = xstrdup("the vault refuses public network access: reach "
		    "it through its private endpoint (and private DNS), or "
		    "allow this network");
		break;
	case KV_CAUSE_DISABLED:
		r = xstrdup("the secret's current version is disabled in the "
		    "vault");
		break;
	case KV_CAUSE_DELETED:
		r = xstrdup("the name is soft-deleted in the vault");
		break;
	case KV_CAUSE_BUSY:
		r = xasprintf("the name is being %s in the vault: retry "
		    "in a minute", az_eq(inner, "ObjectIsBeingDeleted") ?
		    "deleted" : "recovered");
		break;
	case KV_CAUSE_TOO_LARGE:
		r = xstrdup("the value is too large for Key Vault (25 KB)");
		break;
	case KV_CAUSE_BAD_NAME:
		r = xasprintf("Key Vault rejects the secret name (%s)", m);
		break;
	case KV_CAUSE_THROTTLED:
		r = xstrdup("throttled by Key Vault and out of retries");
		break;
	case KV_CAUSE_TOKEN:
		r = xasprintf("Key Vault rejected the token%s%s (a token for "
		    "another tenant or cloud?)", *m ? ": " : "", m);
		break;
	case KV_CAUSE_NOT_FOUND:
		r = xstrdup("secret not found");
		break;
	default:
		if (code != NULL || *m != '\0')
			r = xasprintf("HTTP %ld %s%s%s%s%s", status,
			    code != NULL ? code : "", inner != NULL ? "/" : "",
			    inner != NULL ? inner : "", *m ? ": " : "", m);
		else
			r = xasprintf("Key Vault answered HTTP %ld", status);
		break;
	}
	free(code);
	free(inner);
	free(msg);
	return with_cure(r, c);
}

char *
kv_call_msg(jv r)
{
	return rec_invalid_msg(r, "failed");
}

const char *
kv_inner_code(jv body)
{
	jv e, ie;
	const char *s = "";

	if (jv_get_kind(body) != JV_KIND_OBJECT)
		return s;
	e = jv_object_get(jv_copy(body), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		ie = jv_object_get(jv_copy(e), jv_string("innererror"));
		if (jv_get_kind(ie) == JV_KIND_OBJECT &&
		    rec_str(ie, "code") != NULL)
			s = rec_str(ie, "code");
		jv_free(ie);
	}
	/* The string lives on in body, which holds e and ie. */
	jv_free(e);
	return s;
}
