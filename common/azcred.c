/* azcred.c: Azure credentials in DefaultAzureCredential's order, and tokens. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "azure_int.h"

#define DEFAULT_IMDS	"http://169.254.169.254"

/* The credentials of DefaultAzureCredential in the C++ SDK's order. */
enum cred_kind {
	CRED_ENV,
	CRED_WORKLOAD,
	CRED_MI,
	CRED_CLI,
	CRED_COUNT
};
static const char *const cred_names[CRED_COUNT] = {
	"EnvironmentCredential",
	"WorkloadIdentityCredential",
	"ManagedIdentityCredential",
	"AzureCliCredential",
};

struct token {
	struct token	*next;
	char		*key;		/* scope, '\n', tenant */
	char		*value;		/* the access token */
	time_t		 expires_on;
	time_t		 refresh_on;
};

struct azure_cred {
	struct http	*http;
	pthread_mutex_t	 mu;
	int		 chain[CRED_COUNT];
	int		 nchain;
	int		 chosen;	/* kind that worked, or -1 */
	struct azure_cloud *cloud;
	/* Environment and workload identity. */
	char		*authority;	/* the cloud's, once asked for */
	char		*tenant;
	char		*client_id;
	char		*secret;
	struct az_cert	 cert;		/* AZURE_CLIENT_CERTIFICATE_PATH's */
	char		*fed_file;
	/* Managed identity. */
	char		*id_endpoint;
	char		*id_header;
	char		*imds;
	int		 imds_ok;	/* the endpoint answered once */
	struct token	*tokens;
};


/* Lifetime policy: refresh with 5 minutes left, at half-life if long. */
static time_t
refresh_time(time_t now, time_t expires_on)
{
	time_t life = expires_on - now, margin;

	if (life >= 2 * 3600)
		return now + life / 2;
	margin = life / 2 < 300 ? life / 2 : 300;
	return expires_on - margin;
}

/*
 * A token response (Entra, managed identity, CLI): access_token or
 * accessToken; expires_in (number or string), else expires_on (unix
 * seconds as number or string, or RFC 3339).
 */
static int
parse_token(jv body, time_t now, struct az_tokres *out, char **why)
{
	const char *tok, *s;
	double d;
	time_t t;

	if (jv_get_kind(body) != JV_KIND_OBJECT) {
		*why = xstrdup("token response is not a JSON object");
		return -1;
	}
	tok = rec_str(body, "access_token");
	if (tok == NULL)
		tok = rec_str(body, "accessToken");
	if (tok == NULL || *tok == '\0') {
		*why = xstrdup("token response has no access_token");
		return -1;
	}
	if (az_jnum(body, "expires_in", &d) && d > 0 && d < 1e9)
		t = now + (time_t)d;
	else if (az_jnum(body, "expires_on", &d) && d > 0 && d < 1e11)
		t = (time_t)d;
	else if ((s = rec_str(body, "expires_on")) != NULL &&
	    time_parse_rfc3339(s, &t) == 0)
		;
	else {
		*why = xstrdup("token response has no usable expiry");
		return -1;
	}
	if (t <= now) {
		*why = xstrdup("token response holds an expired token");
		return -1;
	}
	out->value = xstrdup(tok);
	out->expires_on = t;
	return 0;
}

/* "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret ..." */
static char *
entra_error(jv body, long status)
{
	const char *code = rec_str(body, "error");
	const char *desc = rec_str(body, "error_description");
	char *c, *d, *m;

	if (code == NULL && jv_get_kind(body) == JV_KIND_OBJECT) {
		/* Managed identity endpoints also answer {"error":{...}}. */
		jv e = jv_object_get(jv_copy(body), jv_string("error"));

		if (jv_get_kind(e) == JV_KIND_OBJECT) {
			c = msg_clean(rec_str(e, "code"), SIZE_MAX, 80);
			d = az_sentence(rec_str(e, "message"), 200);
			m = xasprintf("HTTP %ld %s: %s", status, c, d);
			free(c);
			free(d);
			jv_free(e);
			return m;
		}
		jv_free(e);
	}
	if (code == NULL && rec_str(body, "message") != NULL) {
		/* App Service: {"statusCode":401,"message":"..."}. */
		d = az_sentence(rec_str(body, "message"), 200);
		m = xasprintf("HTTP %ld: %s", status, d);
		free(d);
		return m;
	}
	if (code == NULL)
		return xasprintf("HTTP %ld", status);
	c = msg_clean(code, SIZE_MAX, 80);
	d = az_sentence(desc, 200);
	m = *d != '\0' ? xasprintf("HTTP %ld %s: %s", status, c, d) :
	    xasprintf("HTTP %ld %s", status, c);
	free(c);
	free(d);
	return m;
}

/* A token endpoint's answer parsed into out: 0, or -1 with *why. */
static int
token_answer(struct http_req *r, const char *what, struct az_tokres *out,
    char **why)
{
	jv body;
	char *e;
	int rc;

	body = az_parse_body(&r->resp);
	if (r->status != 200) {
		if (!jv_is_valid(body))
			*why = xasprintf("%s answered HTTP %ld", what,
			    r->status);
		else {
			e = entra_error(body, r->status);
			*why = xasprintf("%s answered %s", what, e);
			free(e);
		}
		jv_free(body);
		return -1;
	}
	if (!jv_is_valid(body)) {
		jv_free(body);
		*why = xasprintf("%s answered with a body that is not JSON",
		    what);
		return -1;
	}
	rc = parse_token(body, time(NULL), out, why);
	jv_wipe_free(body);
	return rc;
}

/* One request to a token endpoint; the answer parsed into out. */
static int
token_request(struct azure_cred *c, struct http_req *r, const char *what,
    struct az_tokres *out, char **why)
{
	if (http_do(c->http, r) == -1) {
		*why = az_transport_msg(what, r);
		return -1;
	}
	return token_answer(r, what, out, why);
}

/* Entra's token endpoint for a tenant (ADFS keeps the v1 path). */
static char *
token_url(struct azure_cred *c, const char *tenant)
{
	if (strcasecmp(tenant, "adfs") == 0)
		return xasprintf("%s/%s/oauth2/token", c->authority, tenant);
	return xasprintf("%s/%s/oauth2/v2.0/token", c->authority, tenant);
}

/* POST a client-credentials form with a secret or an assertion. */
static int
entra_post(struct azure_cred *c, const char *tenant, const char *scope,
    const char *secret, const char *assertion, struct az_tokres *out,
    char **why)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json",
		NULL
	};
	struct http_req r;
	struct buf form;
	char *url, *e;
	int rc;

	url = token_url(c, tenant);
	buf_init(&form);
	buf_addstr(&form, "grant_type=client_credentials&client_id=");
	e = hash_urlencode(c->client_id);
	buf_addstr(&form, e);
	free(e);
	buf_addstr(&form, "&scope=");
	e = hash_urlencode(scope);
	buf_addstr(&form, e);
	free(e);
	if (secret != NULL) {
		buf_addstr(&form, "&client_secret=");
		e = hash_urlencode(secret);
		buf_addstr(&form, e);
		wipe_free(e);
	} else {
		buf_addstr(&form, "&client_assertion_type=urn%3Aietf%3Aparams"
		    "%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
		    "&client_assertion=");
		e = hash_urlencode(assertion);
		buf_addstr(&form, e);
		wipe_free(e);
	}
	az_req_init(&r, "POST", url);
	r.headers = hdrs;
	r.body = form.data;
	r.bodylen = form.len;
	rc = token_request(c, &r, c->authority, out, why);
	http_req_release(&r);
	buf_release(&form);
	free(url);
	return rc;
}

/* The cloud's authority host, asked for once: 1, or 0 with *why. */
static int
authority_ok(struct azure_cred *c, char **why)
{
	const char *a;

	if (c->authority == NULL) {
		if ((a = azure_cloud_authority(c->cloud, why)) == NULL)
			return 0;
		c->authority = xstrdup(a);
	}
	if (strncasecmp(c->authority, "https://", 8) != 0) {
		*why = xasprintf("AZURE_AUTHORITY_HOST %s is not an https URL",
		    c->authority);
		return 0;
	}
	return 1;
}

static int
cred_env(struct azure_cred *c, const char *scope, struct az_tokres *out,
    char **why)
{
	char *url, *jwt;
	int rc;

	if (c->tenant == NULL || c->client_id == NULL ||
	    (c->secret == NULL && c->cert.path == NULL)) {
		*why = xstrdup("AZURE_TENANT_ID, AZURE_CLIENT_ID and "
		    "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH "
		    "not all set");
		return AZ_UNAVAILABLE;
	}
	if (!authority_ok(c, why))
		return AZ_FAILED;
	if (c->secret != NULL)
		return entra_post(c, c->tenant, scope, c->secret, NULL, out,
		    why) == 0 ? AZ_GOT_TOKEN : AZ_FAILED;
	if (c->cert.key == NULL) {
		*why = xstrdup(c->cert.err != NULL ? c->cert.err :
		    "no certificate");
		return AZ_FAILED;
	}
	url = token_url(c, c->tenant);
	jwt = az_cert_assertion(&c->cert, c->client_id, url, why);
	free(url);
	if (jwt == NULL)
		return AZ_FAILED;
	rc = entra_post(c, c->tenant, scope, NULL, jwt, out, why);
	wipe_free(jwt);
	return rc == 0 ? AZ_GOT_TOKEN : AZ_FAILED;
}

/* Read the projected service account token afresh (kubelet rotates it). */
static char *
read_small_file(const char *path, char **why)
{
	struct buf b;
	char chunk[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = xasprintf("cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf_init(&b);
	buf_addstr(&b, "");
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < 1 << 20)
		buf_add(&b, chunk, (size_t)n);
	wipe(chunk, sizeof(chunk));
	close(fd);
	if (n == -1) {
		*why = xasprintf("cannot read %s: %s", path, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		*why = xasprintf("%s is empty", path);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static int
cred_workload(struct azure_cred *c, const char *scope, struct az_tokres *out,
    char **why)
{
	char *jwt;
	int rc;

	if (c->fed_file == NULL || c->tenant == NULL || c->client_id == NULL) {
		*why = xstrdup("AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID "
		    "and AZURE_CLIENT_ID not all set");
		return AZ_UNAVAILABLE;
	}
	if (!authority_ok(c, why))
		return AZ_FAILED;
	if ((jwt = read_small_file(c->fed_file, why)) == NULL)
		return AZ_FAILED;
	rc = entra_post(c, c->tenant, scope, NULL, jwt, out, why);
	wipe_free(jwt);
	return rc == 0 ? AZ_GOT_TOKEN : AZ_FAILED;
}

/* Managed identity endpoints take the resource, not the scope. */
static char *
scope_resource(const char *scope)
{
	size_t n = strlen(scope);

	if (az_ends_with(scope, "/.default"))
		n -= strlen("/.default");
	return xstrndup(scope, n);
}

static int
cred_mi(struct azure_cred *c, const char *scope, struct az_tokres *out,
    char **why)
{
	const char *hdrs[3] = { NULL, NULL, NULL };
	struct http_opts o;
	struct http *probe = NULL;
	struct http_req r;
	struct buf url;
	char *res, *e, *hv = NULL;
	int rc;

	res = scope_resource(scope);
	buf_init(&url);
	if (c->id_endpoint != NULL && c->id_header != NULL) {
		/* App Service, Functions, Container Apps (2019-08-01). */
		buf_addstr(&url, c->id_endpoint);
		buf_addstr(&url, strchr(c->id_endpoint, '?') ? "&" : "?");
		buf_addstr(&url, "api-version=2019-08-01&resource=");
		hv = xasprintf("X-IDENTITY-HEADER: %s", c->id_header);
		hdrs[0] = hv;
		hdrs[1] = "Accept: application/json";
	} else {
		buf_addstr(&url, c->imds);
		buf_addstr(&url, "/metadata/identity/oauth2/token"
		    "?api-version=2018-02-01&resource=");
		hdrs[0] = "Metadata: true";
		hdrs[1] = "Accept: application/json";
	}
	e = hash_urlencode(res);
	buf_addstr(&url, e);
	free(e);
	if (c->client_id != NULL) {
		buf_addstr(&url, "&client_id=");
		e = hash_urlencode(c->client_id);
		buf_addstr(&url, e);
		free(e);
	}
	az_req_init(&r, "GET", url.data);
	r.headers = hdrs;
	/*
	 * The endpoint is on this host or link-local (169.254.169.254): a
	 * proxy cannot reach it, and must not see the identity header.
	 */
	r.no_proxy = 1;
	if (hv != NULL || c->imds_ok) {
		rc = token_request(c, &r, hv != NULL ? "IDENTITY_ENDPOINT" :
		    c->imds, out, why) == 0 ? AZ_GOT_TOKEN : AZ_FAILED;
		goto out;
	}
	/*
	 * Off Azure nothing answers at the instance metadata address: probe
	 * once with a short connect timeout and no retries, as the SDKs do,
	 * so that the chain moves on quickly.
	 */
	http_opts_init(&o);
	o.connect_timeout_ms = 1000;
	o.timeout_ms = 10000;
	o.max_retries = 0;
	probe = http_new(&o);
	r.no_retry = 1;
	if (http_do(probe != NULL ? probe : c->http, &r) == -1) {
		e = msg_clean(r.err[0] != '\0' ? r.err : "no answer",
		    SIZE_MAX, 200);
		*why = xasprintf("no instance metadata endpoint at %s (%s)",
		    c->imds, e);
		free(e);
		rc = AZ_UNAVAILABLE;
		goto out;
	}
	c->imds_ok = 1;
	rc = token_answer(&r, c->imds, out, why) == 0 ? AZ_GOT_TOKEN : AZ_FAILED;
out:
	if (probe != NULL)
		http_free(probe);
	http_req_release(&r);
	buf_release(&url);
	wipe_free(hv);
	free(res);
	return rc;
}

static int
cred_try(struct azure_cred *c, int kind, const char *scope,
    const char *tenant, struct az_tokres *out, char **why)
{
	switch (kind) {
	case CRED_ENV:
		return cred_env(c, scope, out, why);
	case CRED_WORKLOAD:
		return cred_workload(c, scope, out, why);
	case CRED_MI:
		return cred_mi(c, scope, out, why);
	default:
		return azcli_token(scope, tenant, out, why);
	}
}

struct azure_cred *
azure_cred_new(struct http *http, char **err)
{
	struct azure_cred *c;
	const char *sel, *s;
	char *t;
	size_t n;
	int i;

	c = xcalloc(1, sizeof(*c));
	c->http = http;
	c->chosen = -1;
	c->cert.x5c = jv_invalid();
	pthread_mutex_init(&c->mu, NULL);
	sel = az_env("AZURE_TOKEN_CREDENTIALS");
	if (sel == NULL || strcasecmp(sel, "dev") == 0) {
		for (i = 0; i < CRED_COUNT; i++)
			c->chain[c->nchain++] = i;
	} else if (strcasecmp(sel, "prod") == 0) {
		for (i = 0; i < CRED_CLI; i++)
			c->chain[c->nchain++] = i;
	} else {
		for (i = 0; i < CRED_COUNT; i++)
			if (strcasecmp(sel, cred_names[i]) == 0)
				c->chain[c->nchain++] = i;
		if (c->nchain == 0) {
			t = msg_clean(sel, SIZE_MAX, 80);
			*err = xasprintf("AZURE_TOKEN_CREDENTIALS: '%s' is not "
			    "dev, prod, EnvironmentCredential, "
			    "WorkloadIdentityCredential, "
			    "ManagedIdentityCredential or AzureCliCredential",
			    t);
			free(t);
			azure_cred_free(c);
			return NULL;
		}
	}
	if ((c->cloud = azure_cloud_new(http, err)) == NULL) {
		azure_cred_free(c);
		return NULL;
	}
	s = az_env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN");
	c->cert.send_chain = s != NULL && (strcmp(s, "1") == 0 ||
	    strcasecmp(s, "true") == 0);
	c->tenant = az_env_dup("AZURE_TENANT_ID");
	c->client_id = az_env_dup("AZURE_CLIENT_ID");
	c->secret = az_env_dup("AZURE_CLIENT_SECRET");
	c->cert.path = az_env_dup("AZURE_CLIENT_CERTIFICATE_PATH");
	c->fed_file = az_env_dup("AZURE_FEDERATED_TOKEN_FILE");
	if (c->secret == NULL && c->cert.path != NULL)
		az_cert_load(&c->cert);
	c->id_endpoint = az_env_dup("IDENTITY_ENDPOINT");
	c->id_header = az_env_dup("IDENTITY_HEADER");
	s = az_env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	c->imds = xstrdup(s != NULL ? s : DEFAULT_IMDS);
	n = strlen(c->imds);
	while (n > 0 && c->imds[n - 1] == '/')
		c->imds[--n] = '\0';
	return c;
}

void
azure_cred_free(struct azure_cred *c)
{
	struct token *t, *nt;

	if (c == NULL)
		return;
	for (t = c->tokens; t != NULL; t = nt) {
		nt = t->next;
		free(t->key);
		wipe_free(t->value);
		free(t);
	}
	free(c->authority);
	azure_cloud_free(c->cloud);
	free(c->tenant);
	free(c->client_id);
	wipe_free(c->secret);
	az_cert_release(&c->cert);
	free(c->fed_file);
	free(c->id_endpoint);
	wipe_free(c->id_header);
	free(c->imds);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

struct azure_cloud *
azure_cred_cloud(struct azure_cred *c)
{
	return c->cloud;
}

const char *
azure_cred_name(struct azure_cred *c)
{
	const char *n;

	pthread_mutex_lock(&c->mu);
	n = c->chosen >= 0 ? cred_names[c->chosen] : NULL;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/*
 * A token for (scope, tenant).  stale is a token the caller saw
 * rejected: it is not handed out again.  force refreshes regardless.
 * Holding the lock while a token is fetched makes the many threads that
 * ask at once wait for one request instead of sending one each.
 */
char *
azure_cred_token(struct azure_cred *c, const char *scope, const char *tenant,
    const char *stale, int force, char **err)
{
	struct az_tokres res = { NULL, 0 };
	struct token *t;
	struct buf why;
	char *key, *reason, *r = NULL;
	time_t now;
	int i, k, rc;

	if (c->tenant != NULL)
		tenant = c->tenant;
	key = xasprintf("%s\n%s", scope, tenant != NULL ? tenant : "");
	pthread_mutex_lock(&c->mu);
	for (t = c->tokens; t != NULL; t = t->next)
		if (strcmp(t->key, key) == 0)
			break;
	now = time(NULL);
	if (t != NULL && stale != NULL && strcmp(t->value, stale) != 0 &&
	    now < t->expires_on)
		force = 0;		/* someone refreshed it meanwhile */
	else if (t != NULL && stale != NULL)
		force = 1;
	if (t != NULL && !force && now < t->refresh_on) {
		r = xstrdup(t->value);
		goto out;
	}
	buf_init(&why);
	for (i = 0; i < c->nchain; i++) {
		k = c->chain[i];
		if (c->chosen >= 0 && k != c->chosen)
			continue;
		reason = NULL;
		rc = cred_try(c, k, scope, tenant, &res, &reason);
		if (rc == AZ_GOT_TOKEN) {
			c->chosen = k;
			free(reason);
			break;
		}
		buf_printf(&why, "%s%s: %s", why.len ? "; " : "",
		    cred_names[k], reason != NULL ? reason : "failed");
		free(reason);
	}
	if (res.value == NULL) {
		if (t != NULL && !force && now < t->expires_on - 30) {
			/* Refresh failed; the token we have is still good. */
			r = xstrdup(t->value);
		} else if (c->chosen >= 0)
			*err = buf_detach(&why);
		else {
			*err = xasprintf("no Azure credential could get a "
			    "token for %s: %s", scope, why.data);
		}
		buf_release(&why);
		goto out;
	}
	buf_release(&why);
	if (t == NULL) {
		t = xcalloc(1, sizeof(*t));
		t->key = key;
		key = NULL;
		t->next = c->tokens;
		c->tokens = t;
	}
	wipe_free(t->value);
	t->value = res.value;
	t->expires_on = res.expires_on;
	t->refresh_on = refresh_time(now, res.expires_on);
	r = xstrdup(t->value);
out:
	pthread_mutex_unlock(&c->mu);
	free(key);
	return r;
}

char *
azure_token(struct azure_cred *c, const char *scope, int force, char **err)
{
	return azure_cred_token(c, scope, NULL, NULL, force, err);
}
