/* azhttp.c: what credentials, Key Vault and Resource Manager share. */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "azure_int.h"

const char *
az_env(const char *name)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? s : NULL;
}

char *
az_env_dup(const char *name)
{
	const char *s = az_env(name);

	return s != NULL ? xstrdup(s) : NULL;
}

/* The first sentence or line of a service message. */
char *
az_sentence(const char *s, size_t max)
{
	const char *e;

	if (s == NULL)
		return xstrdup("");
	for (e = s; *e != '\0' && *e != '\r' && *e != '\n'; e++)
		if (e[0] == '.' && e[1] == ' ')
			break;
	return msg_clean(s, (size_t)(e - s), max);
}

int
az_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Number from a JSON number or a numeric string: 1, else 0. */
int
az_jnum(jv o, const char *k, double *out)
{
	jv v;
	char *end;
	int ok = 0;

	if (jv_get_kind(o) != JV_KIND_OBJECT)
		return 0;
	v = jv_object_get(jv_copy(o), jv_string(k));
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		*out = jv_number_value(v);
		ok = 1;
	} else if (jv_get_kind(v) == JV_KIND_STRING &&
	    *jv_string_value(v) != '\0') {
		errno = 0;
		*out = strtod(jv_string_value(v), &end);
		ok = errno == 0 && *end == '\0';
	}
	jv_free(v);
	return ok;
}

void
az_url_release(struct az_url *u)
{
	free(u->scheme);
	free(u->authority);
	free(u->host);
	memset(u, 0, sizeof(*u));
}

int
az_is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

int
az_url_parse(const char *s, struct az_url *u)
{
	const char *p, *a, *e, *h, *he;
	size_t i;

	memset(u, 0, sizeof(*u));
	if ((p = strstr(s, "://")) == NULL || p == s)
		return -1;
	u->scheme = xstrndup(s, (size_t)(p - s));
	for (i = 0; u->scheme[i] != '\0'; i++)
		u->scheme[i] = (char)tolower((unsigned char)u->scheme[i]);
	a = p + 3;
	e = a + strcspn(a, "/?#");
	if (e == a)
		goto bad;
	u->authority = xstrndup(a, (size_t)(e - a));
	h = strrchr(u->authority, '@');
	h = h != NULL ? h + 1 : u->authority;
	if (*h == '[') {
		h++;
		if ((he = strchr(h, ']')) == NULL)
			goto bad;
	} else if ((he = strchr(h, ':')) == NULL)
		he = h + strlen(h);
	if (he == h)
		goto bad;
	u->host = xstrndup(h, (size_t)(he - h));
	for (i = 0; u->host[i] != '\0'; i++)
		u->host[i] = (char)tolower((unsigned char)u->host[i]);
	u->rest = e;
	return 0;
bad:
	az_url_release(u);
	return -1;
}

void
az_req_init(struct http_req *r, const char *method, const char *url)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->resp);
	r->method = method;
	r->url = url;
	r->retry_after_ms = -1;
}

/* The parsed body; null when empty; invalid when not JSON. */
jv
az_parse_body(const struct buf *b)
{
	if (b->len == 0)
		return jv_null();
	if (b->len > (size_t)0x7fffffff)
		return jv_invalid_with_msg(jv_string("response too large"));
	return rec_parse_json(b->data, b->len);
}

/*
 * A request of a data-plane or ARM call: the Authorization header (auth)
 * and the JSON payload, if any.  hdrs has room for 4.
 */
static void
bearer_req(struct http_req *r, const char *method, const char *url,
    const char **hdrs, const char *auth, const struct buf *payload)
{
	hdrs[0] = auth;
	hdrs[1] = "Accept: application/json";
	hdrs[2] = payload->len > 0 ? "Content-Type: application/json" : NULL;
	hdrs[3] = NULL;
	az_req_init(r, method, url);
	r->headers = hdrs;
	r->body = payload->len > 0 ? payload->data : NULL;
	r->bodylen = payload->len;
}

/*
 * The body of an answer from who: null when empty, or when an error
 * status comes with a body that is not JSON; invalid when a success does.
 */
jv
az_answer_body(const struct http_req *r, const char *who)
{
	jv body = az_parse_body(&r->resp);
	jv_kind kind = jv_get_kind(body);

	/*
	 * Key Vault and Resource Manager answer a success with a JSON
	 * object, or with nothing (204, or a DELETE's 200): anything else is
	 * no answer of theirs, and no caller need check its kind.
	 */
	if (jv_is_valid(body) && r->status / 100 == 2 && r->resp.len > 0 &&
	    kind != JV_KIND_OBJECT) {
		jv_free(body);
		return jv_invalid_with_msg(jv_string_fmt("%s answered HTTP %ld "
		    "with JSON that is %s, not an object", who, r->status,
		    jv_kind_name(kind)));
	}
	if (jv_is_valid(body))
		return body;
	jv_free(body);
	if (r->status >= 400)
		return jv_null();
	return jv_invalid_with_msg(jv_string_fmt("%s answered HTTP %ld with a "
	    "body that is not JSON", who, r->status));
}

jv
az_page_items(jv all, jv page, const char *who)
{
	jv items;

	if (jv_get_kind(page) != JV_KIND_OBJECT) {
		jv_free(all);
		return jv_invalid_with_msg(jv_string_fmt("%s: a list answer "
		    "that is not an object", who));
	}
	items = jv_object_get(jv_copy(page), jv_string("value"));
	if (jv_get_kind(items) != JV_KIND_ARRAY) {
		jv_free(items);
		return all;
	}
	/* Secrets and resources are objects: no caller checks. */
	if (!rec_array_of_objects(items)) {
		jv_free(items);
		jv_free(all);
		return jv_invalid_with_msg(jv_string_fmt("%s: a list whose "
		    "items are not all objects", who));
	}
	return jv_array_concat(all, items);
}

/* A message for a transport failure of a request to what. */
char *
az_transport_msg(const char *what, const struct http_req *r)
{
	char *e = msg_clean(r->err[0] != '\0' ? r->err : "no response",
	    SIZE_MAX, 200);
	char *m;

	const char *path = r->url != NULL ? strstr(r->url, "://") : NULL;

	/* The path of the request names what was waited for; no query. */
	if (path != NULL)
		path += strcspn(path + 3, "/") + 3;
	if (msg_stop)
		m = xasprintf("%s: interrupted", what);
	else if (r->timed_out && path != NULL)
		m = xasprintf("%s did not answer %s %.*s %s", what, r->method,
		    (int)strcspn(path, "?"), path, e);
	else
		m = xasprintf("cannot reach %s: %s", what, e);
	free(e);
	return m;
}

void
az_codes(jv body, char **code, char **inner, char **message)
{
	jv e, ie;

	*code = *inner = *message = NULL;
	if (jv_get_kind(body) != JV_KIND_OBJECT)
		return;
	e = jv_object_get(jv_copy(body), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		if (rec_str(e, "code") != NULL)
			*code = msg_clean(rec_str(e, "code"), SIZE_MAX, 80);
		if (rec_str(e, "message") != NULL)
			*message = az_sentence(rec_str(e, "message"), 300);
		ie = jv_object_get(jv_copy(e), jv_string("innererror"));
		if (jv_get_kind(ie) == JV_KIND_OBJECT &&
		    rec_str(ie, "code") != NULL)
			*inner = msg_clean(rec_str(ie, "code"), SIZE_MAX, 80);
		jv_free(ie);
	}
	jv_free(e);
}

int
az_eq(const char *a, const char *b)
{
	return a != NULL && strcasecmp(a, b) == 0;
}

/* body as compact JSON text into payload (empty when invalid), wiped. */
void
az_payload(jv body, struct buf *payload)
{
	buf_init(payload);
	if (jv_is_valid(body))
		json_put(payload, body, 0);
	jv_wipe_free(body);
}

int
az_authed_call(const struct az_call *c, struct http_req *r, char **err)
{
	const char *hdrs[4];
	char *tok = NULL, *auth = NULL, *prev, *scope, *tenant;
	int tries, rc;

	for (tries = 0;; tries++) {
		if (c->target != NULL)
			c->target(c->arg, &scope, &tenant);
		else {
			scope = xstrdup(c->scope);
			tenant = NULL;
		}
		wipe_free(auth);
		auth = NULL;
		prev = tok;
		tok = azure_cred_token(c->cred, scope, tenant, prev, 0, err);
		wipe_free(prev);
		free(scope);
		free(tenant);
		if (tok == NULL) {
			rc = -1;
			break;
		}
		auth = xasprintf("Authorization: Bearer %s", tok);
		bearer_req(r, c->method, c->url, hdrs, auth, c->payload);
		r->bucket = c->bucket;
		if (http_do(c->http, r) == -1) {
			rc = -2;
			break;
		}
		rc = 0;
		if (r->status != 401 || tries > 0)
			break;
		/* The token expired or the vault moved: refresh once. */
		if (c->challenged != NULL && r->www_authenticate != NULL &&
		    c->challenged(c->arg, r->www_authenticate, err) == -1) {
			http_req_release(r);
			rc = -1;
			break;
		}
		http_req_release(r);
	}
	if (rc != -1)
		r->headers = NULL;	/* hdrs and auth end here */
	wipe_free(auth);
	wipe_free(tok);
	return rc;
}
