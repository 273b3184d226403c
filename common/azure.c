/* azure.c: Azure credentials, the Key Vault data plane and Resource Manager. */

#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"

#define KV_API_VERSION	"7.5"
#define ARM_SCOPE	"https://management.azure.com/.default"
#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define DEFAULT_IMDS	"http://169.254.169.254"
#define DEFAULT_ARM	"https://management.azure.com"
#define CLI_TIMEOUT_S	60	/* VAULT2KV_AZ_TIMEOUT overrides it */
#define CLI_GRACE_MS	2000	/* from SIGTERM to SIGKILL */
#define ASSERTION_TTL	600	/* seconds, as MSAL and the C++ SDK */
#define MAX_PAGES	1000000

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

/* Outcomes of one credential's attempt. */
#define GOT_TOKEN	0
#define UNAVAILABLE	(-1)	/* not configured here */
#define FAILED		(-2)	/* configured, but it did not work */

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
	/* Environment and workload identity. */
	char		*authority;	/* no trailing '/' */
	char		*tenant;
	char		*client_id;
	char		*secret;
	char		*cert_path;
	char		*fed_file;
	EVP_PKEY	*key;
	char		*x5t;		/* SHA-1 of the DER, base64url */
	char		*x5t256;	/* base64url SHA-256 */
	char		*cert_err;	/* why the cert is unusable */
	/* Managed identity. */
	char		*id_endpoint;
	char		*id_header;
	char		*imds;
	int		 imds_ok;	/* the endpoint answered once */
	struct token	*tokens;
};

/* A token as a credential hands it back. */
struct tokres {
	char	*value;
	time_t	 expires_on;
};

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
};

struct arm {
	struct http	*http;
	struct azure_cred *cred;
	char		*url;
};

/*
 * Small helpers.
 */

static const char *
env(const char *name)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? s : NULL;
}

static char *
env_dup(const char *name)
{
	const char *s = env(name);

	return s != NULL ? xstrdup(s) : NULL;
}

/* A string from a server, made fit for a one-line message. */
static char *
clean(const char *s, size_t max)
{
	struct buf b;
	int sp = 0;

	buf_init(&b);
	buf_addstr(&b, "");
	for (; s != NULL && *s != '\0' && b.len < max; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			sp = 1;
			continue;
		}
		if (sp && b.len > 0)
			buf_addc(&b, ' ');
		sp = 0;
		buf_addc(&b, *s);
	}
	if (s != NULL && *s != '\0')
		buf_addstr(&b, "...");
	return buf_detach(&b);
}

/* The first sentence or line of a service message. */
static char *
first_sentence(const char *s, size_t max)
{
	const char *e;
	char *t, *r;

	if (s == NULL)
		return xstrdup("");
	for (e = s; *e != '\0' && *e != '\r' && *e != '\n'; e++)
		if (e[0] == '.' && e[1] == ' ')
			break;
	t = xstrndup(s, (size_t)(e - s));
	r = clean(t, max);
	free(t);
	return r;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Number from a JSON number or a numeric string: 1, else 0. */
static int
jnum(jv o, const char *k, double *out)
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

/*
 * URL pieces: scheme (lowercase), the authority, the host (lowercase,
 * no port, no brackets) and where the path starts.  -1 if malformed.
 */
struct url {
	char		*scheme;
	char		*authority;
	char		*host;
	const char	*rest;		/* path and query */
};

static void
url_release(struct url *u)
{
	free(u->scheme);
	free(u->authority);
	free(u->host);
	memset(u, 0, sizeof(*u));
}

static int
url_parse(const char *s, struct url *u)
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
	url_release(u);
	return -1;
}

static void
req_init(struct http_req *r, const char *method, const char *url)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->resp);
	r->method = method;
	r->url = url;
	r->retry_after_ms = -1;
}

/* The parsed body; null when empty; invalid when not JSON. */
static jv
parse_body(const struct buf *b)
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
	req_init(r, method, url);
	r->headers = hdrs;
	r->body = payload->len > 0 ? payload->data : NULL;
	r->bodylen = payload->len;
}

/*
 * The body of an answer from who: null when empty, or when an error
 * status comes with a body that is not JSON; invalid when a success does.
 */
static jv
answer_body(const struct http_req *r, const char *who)
{
	jv body = parse_body(&r->resp);

	if (jv_is_valid(body))
		return body;
	jv_free(body);
	if (r->status >= 400)
		return jv_null();
	return jv_invalid_with_msg(jv_string_fmt("%s answered HTTP %ld with a "
	    "body that is not JSON", who, r->status));
}

/* A message for a transport failure of a request to what. */
static char *
transport_msg(const char *what, const struct http_req *r)
{
	char *e = clean(r->err[0] != '\0' ? r->err : "no response", 200);
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

/*
 * Credentials.
 */

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
parse_token(jv body, time_t now, struct tokres *out, char **why)
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
	if (jnum(body, "expires_in", &d) && d > 0 && d < 1e9)
		t = now + (time_t)d;
	else if (jnum(body, "expires_on", &d) && d > 0 && d < 1e11)
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
			c = clean(rec_str(e, "code"), 80);
			d = first_sentence(rec_str(e, "message"), 200);
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
		d = first_sentence(rec_str(body, "message"), 200);
		m = xasprintf("HTTP %ld: %s", status, d);
		free(d);
		return m;
	}
	if (code == NULL)
		return xasprintf("HTTP %ld", status);
	c = clean(code, 80);
	d = first_sentence(desc, 200);
	m = *d != '\0' ? xasprintf("HTTP %ld %s: %s", status, c, d) :
	    xasprintf("HTTP %ld %s", status, c);
	free(c);
	free(d);
	return m;
}

/* A token endpoint's answer parsed into out: 0, or -1 with *why. */
static int
token_answer(struct http_req *r, const char *what, struct tokres *out,
    char **why)
{
	jv body;
	char *e;
	int rc;

	body = parse_body(&r->resp);
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
    struct tokres *out, char **why)
{
	if (http_do(c->http, r) == -1) {
		*why = transport_msg(what, r);
		return -1;
	}
	return token_answer(r, what, out, why);
}

/* The certificate and key of AZURE_CLIENT_CERTIFICATE_PATH. */
static void
load_certificate(struct azure_cred *c)
{
	const char *pass = env("AZURE_CLIENT_CERTIFICATE_PASSWORD");
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	X509 *x = NULL;
	BIO *bio = NULL;
	int len;

	if ((bio = BIO_new_file(c->cert_path, "r")) == NULL) {
		c->cert_err = xasprintf("cannot read %s: %s", c->cert_path,
		    strerror(errno));
		goto out;
	}
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if ((bio = BIO_new_file(c->cert_path, "r")) == NULL) {
		c->cert_err = xasprintf("cannot read %s", c->cert_path);
		goto out;
	}
	c->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)pass);
	if (x == NULL || c->key == NULL) {
		c->cert_err = xasprintf("%s: a PEM file with the certificate "
		    "and its unencrypted private key is needed", c->cert_path);
		goto out;
	}
	if (!EVP_PKEY_is_a(c->key, "RSA")) {
		c->cert_err = xasprintf("%s: the key is not an RSA key",
		    c->cert_path);
		goto out;
	}
	if (X509_check_private_key(x, c->key) != 1) {
		c->cert_err = xasprintf("%s: the private key does not match "
		    "the certificate", c->cert_path);
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		c->cert_err = xasprintf("%s: cannot encode the certificate",
		    c->cert_path);
		goto out;
	}
	EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha1(), NULL);
	c->x5t = hash_b64url(md, mdlen);
	EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	c->x5t256 = hash_b64url(md, mdlen);
out:
	if (c->cert_err != NULL && c->key != NULL) {
		EVP_PKEY_free(c->key);
		c->key = NULL;
	}
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(bio);
}

static char *
b64url_json(jv v)
{
	jv s = jv_dump_string(v, 0);
	char *r;

	r = hash_b64url(jv_string_value(s), (size_t)jv_string_length_bytes(
	    jv_copy(s)));
	jv_free(s);
	return r;
}

/*
 * The client assertion: a JWT signed RS256 with the certificate's key,
 * carrying both thumbprints (x5t#S256 as the current Entra docs ask,
 * x5t SHA-1 as the SDKs still send), aud the token URL, 10 minutes.
 */
static char *
client_assertion(struct azure_cred *c, const char *token_url, char **why)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char uuid[37], *h, *p, *s = NULL, *jwt = NULL;
	struct buf in;
	time_t now = time(NULL);
	jv hd, pl;

	hd = jv_object();
	hd = jv_object_set(hd, jv_string("alg"), jv_string("RS256"));
	hd = jv_object_set(hd, jv_string("typ"), jv_string("JWT"));
	hd = jv_object_set(hd, jv_string("x5t"), jv_string(c->x5t));
	hd = jv_object_set(hd, jv_string("x5t#S256"), jv_string(c->x5t256));
	hash_uuid4(uuid);
	pl = jv_object();
	pl = jv_object_set(pl, jv_string("aud"), jv_string(token_url));
	pl = jv_object_set(pl, jv_string("iss"), jv_string(c->client_id));
	pl = jv_object_set(pl, jv_string("sub"), jv_string(c->client_id));
	pl = jv_object_set(pl, jv_string("jti"), jv_string(uuid));
	pl = jv_object_set(pl, jv_string("nbf"), jv_number((double)now));
	pl = jv_object_set(pl, jv_string("iat"), jv_number((double)now));
	pl = jv_object_set(pl, jv_string("exp"),
	    jv_number((double)(now + ASSERTION_TTL)));
	h = b64url_json(hd);
	p = b64url_json(pl);
	buf_init(&in);
	buf_printf(&in, "%s.%s", h, p);
	free(h);
	free(p);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, c->key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)in.data,
	    in.len) != 1) {
		*why = xstrdup("cannot sign the client assertion");
		goto out;
	}
	sig = xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)in.data,
	    in.len) != 1) {
		*why = xstrdup("cannot sign the client assertion");
		goto out;
	}
	s = hash_b64url(sig, siglen);
	buf_printf(&in, ".%s", s);
	jwt = buf_detach(&in);
out:
	free(s);
	free(sig);
	EVP_MD_CTX_free(ctx);
	buf_release(&in);
	return jwt;
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
    const char *secret, const char *assertion, struct tokres *out,
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
	req_init(&r, "POST", url);
	r.headers = hdrs;
	r.body = form.data;
	r.bodylen = form.len;
	rc = token_request(c, &r, c->authority, out, why);
	http_req_release(&r);
	buf_release(&form);
	free(url);
	return rc;
}

static int
authority_ok(struct azure_cred *c, char **why)
{
	if (strncasecmp(c->authority, "https://", 8) != 0) {
		*why = xasprintf("AZURE_AUTHORITY_HOST %s is not an https URL",
		    c->authority);
		return 0;
	}
	return 1;
}

static int
cred_env(struct azure_cred *c, const char *scope, struct tokres *out,
    char **why)
{
	char *url, *jwt;
	int rc;

	if (c->tenant == NULL || c->client_id == NULL ||
	    (c->secret == NULL && c->cert_path == NULL)) {
		*why = xstrdup("AZURE_TENANT_ID, AZURE_CLIENT_ID and "
		    "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH "
		    "not all set");
		return UNAVAILABLE;
	}
	if (!authority_ok(c, why))
		return FAILED;
	if (c->secret != NULL)
		return entra_post(c, c->tenant, scope, c->secret, NULL, out,
		    why) == 0 ? GOT_TOKEN : FAILED;
	if (c->key == NULL) {
		*why = xstrdup(c->cert_err != NULL ? c->cert_err :
		    "no certificate");
		return FAILED;
	}
	url = token_url(c, c->tenant);
	jwt = client_assertion(c, url, why);
	free(url);
	if (jwt == NULL)
		return FAILED;
	rc = entra_post(c, c->tenant, scope, NULL, jwt, out, why);
	wipe_free(jwt);
	return rc == 0 ? GOT_TOKEN : FAILED;
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
cred_workload(struct azure_cred *c, const char *scope, struct tokres *out,
    char **why)
{
	char *jwt;
	int rc;

	if (c->fed_file == NULL || c->tenant == NULL || c->client_id == NULL) {
		*why = xstrdup("AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID "
		    "and AZURE_CLIENT_ID not all set");
		return UNAVAILABLE;
	}
	if (!authority_ok(c, why))
		return FAILED;
	if ((jwt = read_small_file(c->fed_file, why)) == NULL)
		return FAILED;
	rc = entra_post(c, c->tenant, scope, NULL, jwt, out, why);
	wipe_free(jwt);
	return rc == 0 ? GOT_TOKEN : FAILED;
}

/* Managed identity endpoints take the resource, not the scope. */
static char *
scope_resource(const char *scope)
{
	size_t n = strlen(scope);

	if (ends_with(scope, "/.default"))
		n -= strlen("/.default");
	return xstrndup(scope, n);
}

static int
cred_mi(struct azure_cred *c, const char *scope, struct tokres *out,
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
	req_init(&r, "GET", url.data);
	r.headers = hdrs;
	/*
	 * The endpoint is on this host or link-local (169.254.169.254): a
	 * proxy cannot reach it, and must not see the identity header.
	 */
	r.no_proxy = 1;
	if (hv != NULL || c->imds_ok) {
		rc = token_request(c, &r, hv != NULL ? "IDENTITY_ENDPOINT" :
		    c->imds, out, why) == 0 ? GOT_TOKEN : FAILED;
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
		e = clean(r.err[0] != '\0' ? r.err : "no answer", 200);
		*why = xasprintf("no instance metadata endpoint at %s (%s)",
		    c->imds, e);
		free(e);
		rc = UNAVAILABLE;
		goto out;
	}
	c->imds_ok = 1;
	rc = token_answer(&r, c->imds, out, why) == 0 ? GOT_TOKEN : FAILED;
out:
	if (probe != NULL)
		http_free(probe);
	http_req_release(&r);
	buf_release(&url);
	wipe_free(hv);
	free(res);
	return rc;
}

/*
 * Read what a child writes on two pipes, until EOF, the deadline or
 * msg_stop: the child is in a group of its own, the terminal's SIGINT
 * does not reach it.
 */
static int
read_child(int ofd, int efd, struct buf *out, struct buf *err, long ms)
{
	struct pollfd p[2];
	struct timespec t0, t1;
	char chunk[4096];
	ssize_t n;
	long left;
	int i, open = 2;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	p[0].fd = ofd;
	p[1].fd = efd;
	p[0].events = p[1].events = POLLIN;
	while (open > 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || msg_stop)
			return -1;
		if (poll(p, 2, left < 200 ? (int)left : 200) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open--;
				continue;
			}
			if (i == 0 && out->len < (1 << 20))
				buf_add(out, chunk, (size_t)n);
			else if (i == 1 && err->len < 8192)
				buf_add(err, chunk, (size_t)n);
		}
	}
	wipe(chunk, sizeof(chunk));
	return 0;
}

/* The CLI's expiresOn: local time without a zone. */
static int
parse_local_time(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p != '\0')
		return -1;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/*
 * The environment az gets: ours without the secrets it has no use for,
 * so a Vault token or a client secret never reaches another program.
 * The array is malloc'd; its strings are environ's.
 */
static char **
cli_environ(void)
{
	static const char *const drop[] = { "VAULT_TOKEN=", "BAO_TOKEN=",
	    "AZURE_CLIENT_SECRET=", "AZURE_CLIENT_CERTIFICATE_PASSWORD=",
	    "AZURE_PASSWORD=", "IDENTITY_HEADER=", "MSI_SECRET=" };
	extern char **environ;
	char **env;
	size_t i, j, k, n;

	for (n = 0; environ[n] != NULL; n++)
		;
	env = xcalloc(n + 1, sizeof(*env));
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
			if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
				break;
		if (j == sizeof(drop) / sizeof(drop[0]))
			env[k++] = environ[i];
	}
	return env;
}

/*
 * A tenant fit for az's command line: letters, digits, '.' and '-', as
 * azure-identity's validate_tenant_id (azure/identity/_internal/
 * __init__.py) allows, and no leading '-' that az would take for an
 * option.
 */
static int
valid_tenant(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 128 || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* How long az may take: VAULT2KV_AZ_TIMEOUT seconds (1 to 3600). */
static long
cli_timeout_ms(void)
{
	const char *s = env("VAULT2KV_AZ_TIMEOUT");
	char *end;
	long v;

	if (s == NULL)
		return CLI_TIMEOUT_S * 1000L;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 3600)
		return CLI_TIMEOUT_S * 1000L;
	return v * 1000;
}

/*
 * End az and whatever it started: its process group gets SIGTERM, then
 * SIGKILL if az has not exited within CLI_GRACE_MS; az is reaped.
 */
static void
cli_kill(pid_t pid, int *st)
{
	struct timespec ts = { 0, 50 * 1000000L };
	int i;
	pid_t r;

	kill(-pid, SIGTERM);
	for (i = 0; i < CLI_GRACE_MS / 50; i++) {
		if ((r = waitpid(pid, st, WNOHANG)) == pid ||
		    (r == -1 && errno != EINTR))
			break;
		nanosleep(&ts, NULL);
	}
	/* Grandchildren that outlive az still hold the group. */
	kill(-pid, SIGKILL);
	if (i == CLI_GRACE_MS / 50)
		while (waitpid(pid, st, 0) == -1 && errno == EINTR)
			;
}

/* In the child: close every descriptor above 2 but keep. */
static void
close_from_3(int keep, long maxfd)
{
	long fd;

	if ((keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	/* Kernels before 5.9: one close per possible descriptor. */
	for (fd = 3; fd < maxfd; fd++)
		if (fd != keep)
			close((int)fd);
}

/*
 * az account get-access-token, run without a shell: only the scope and
 * the tenant are on its command line, the token comes back on stdout.
 * It inherits no descriptor but 0, 1 and 2 (libcurl's sockets stay
 * here), runs in a process group of its own, and is killed with it at
 * the deadline.
 */
static int
cred_cli(struct azure_cred *c, const char *scope, const char *tenant,
    struct tokres *out, char **why)
{
	char **env = NULL;
	char *argv[10];
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, xp[2] = { -1, -1 };
	int i = 0, st, xerr = 0, devnull = -1, rc = FAILED;
	struct buf o, e;
	sigset_t none;
	ssize_t n;
	pid_t pid;
	char *line, *end;
	const char *s;
	long maxfd, ms;
	double d;
	time_t t;
	jv body;

	if (tenant != NULL && !valid_tenant(tenant)) {
		end = clean(tenant, 100);
		*why = xasprintf("the tenant \"%s\" is not a tenant id "
		    "(letters, digits, '.' and '-'): az not run", end);
		free(end);
		return FAILED;
	}

	argv[i++] = "az";
	argv[i++] = "account";
	argv[i++] = "get-access-token";
	argv[i++] = "--output";
	argv[i++] = "json";
	argv[i++] = "--scope";
	argv[i++] = (char *)scope;
	if (tenant != NULL) {
		argv[i++] = "--tenant";
		argv[i++] = (char *)tenant;
	}
	argv[i] = NULL;
	buf_init(&o);
	buf_init(&e);
	buf_addstr(&o, "");
	buf_addstr(&e, "");
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1 ||
	    pipe2(xp, O_CLOEXEC) == -1) {
		*why = xasprintf("cannot run az: %s", strerror(errno));
		goto out;
	}
	env = cli_environ();
	sigemptyset(&none);
	if ((maxfd = sysconf(_SC_OPEN_MAX)) < 0 || maxfd > 65536)
		maxfd = 65536;
	ms = cli_timeout_ms();
	if ((pid = fork()) == -1) {
		*why = xasprintf("cannot run az: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (dup2(devnull, 0) == -1 || dup2(op[1], 1) == -1 ||
		    dup2(ep[1], 2) == -1)
			_exit(127);
		/* xp[1] is close-on-exec: it tells an exec failure. */
		close_from_3(xp[1], maxfd);
		execvpe("az", argv, env);
		xerr = errno;
		n = write(xp[1], &xerr, sizeof(xerr));
		(void)n;
		_exit(127);
	}
	setpgid(pid, pid);	/* either of the two calls wins the race */
	close(op[1]);
	close(ep[1]);
	close(xp[1]);
	op[1] = ep[1] = xp[1] = -1;
	if (read(xp[0], &xerr, sizeof(xerr)) == (ssize_t)sizeof(xerr)) {
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		if (xerr == ENOENT)
			*why = xstrdup("az not found on PATH");
		else
			*why = xasprintf("cannot run az: %s", strerror(xerr));
		rc = UNAVAILABLE;
		goto out;
	}
	if (read_child(op[0], ep[0], &o, &e, ms) == -1) {
		cli_kill(pid, &st);
		*why = msg_stop ? xstrdup("az: interrupted") :
		    xasprintf("az did not answer within %ld seconds", ms / 1000);
		goto out;
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		/* stderr's first line says why ("Please run 'az login'"). */
		end = e.data + strcspn(e.data, "\n");
		line = xstrndup(e.data, (size_t)(end - e.data));
		s = line;
		while (*s == ' ')
			s++;
		end = clean(s, 200);
		if (WIFEXITED(st))
			*why = *end ? xasprintf("az exited %d: %s",
			    WEXITSTATUS(st), end) : xasprintf("az exited %d",
			    WEXITSTATUS(st));
		else
			*why = xasprintf("az was killed by signal %d",
			    WTERMSIG(st));
		free(end);
		free(line);
		goto out;
	}
	body = parse_body(&o);
	if (!jv_is_valid(body) || jv_get_kind(body) != JV_KIND_OBJECT) {
		jv_free(body);
		*why = xstrdup("az printed something that is not a JSON "
		    "object");
		goto out;
	}
	s = rec_str(body, "accessToken");
	if (s == NULL || *s == '\0') {
		*why = xstrdup("az printed no accessToken");
		jv_wipe_free(body);
		goto out;
	}
	if (jnum(body, "expires_on", &d) && d > 0 && d < 1e11)
		t = (time_t)d;
	else if (rec_str(body, "expiresOn") == NULL ||
	    parse_local_time(rec_str(body, "expiresOn"), &t) == -1) {
		*why = xstrdup("az printed no usable expiry");
		jv_wipe_free(body);
		goto out;
	}
	if (t <= time(NULL)) {
		*why = xstrdup("az printed an expired token");
		jv_wipe_free(body);
		goto out;
	}
	out->value = xstrdup(s);
	out->expires_on = t;
	jv_wipe_free(body);
	rc = GOT_TOKEN;
out:
	for (i = 0; i < 2; i++) {
		if (op[i] != -1)
			close(op[i]);
		if (ep[i] != -1)
			close(ep[i]);
		if (xp[i] != -1)
			close(xp[i]);
	}
	free(env);
	if (devnull != -1)
		close(devnull);
	buf_release(&o);
	buf_release(&e);
	return rc;
}

static int
cred_try(struct azure_cred *c, int kind, const char *scope,
    const char *tenant, struct tokres *out, char **why)
{
	switch (kind) {
	case CRED_ENV:
		return cred_env(c, scope, out, why);
	case CRED_WORKLOAD:
		return cred_workload(c, scope, out, why);
	case CRED_MI:
		return cred_mi(c, scope, out, why);
	default:
		return cred_cli(c, scope, tenant, out, why);
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
	pthread_mutex_init(&c->mu, NULL);
	sel = env("AZURE_TOKEN_CREDENTIALS");
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
			t = clean(sel, 80);
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
	s = env("AZURE_AUTHORITY_HOST");
	c->authority = xstrdup(s != NULL ? s : DEFAULT_AUTHORITY);
	n = strlen(c->authority);
	while (n > 0 && c->authority[n - 1] == '/')
		c->authority[--n] = '\0';
	c->tenant = env_dup("AZURE_TENANT_ID");
	c->client_id = env_dup("AZURE_CLIENT_ID");
	c->secret = env_dup("AZURE_CLIENT_SECRET");
	c->cert_path = env_dup("AZURE_CLIENT_CERTIFICATE_PATH");
	c->fed_file = env_dup("AZURE_FEDERATED_TOKEN_FILE");
	if (c->secret == NULL && c->cert_path != NULL)
		load_certificate(c);
	c->id_endpoint = env_dup("IDENTITY_ENDPOINT");
	c->id_header = env_dup("IDENTITY_HEADER");
	s = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
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
	free(c->tenant);
	free(c->client_id);
	wipe_free(c->secret);
	free(c->cert_path);
	free(c->fed_file);
	EVP_PKEY_free(c->key);
	free(c->x5t);
	free(c->x5t256);
	free(c->cert_err);
	free(c->id_endpoint);
	wipe_free(c->id_header);
	free(c->imds);
	pthread_mutex_destroy(&c->mu);
	free(c);
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
static char *
cred_token(struct azure_cred *c, const char *scope, const char *tenant,
    const char *stale, int force, char **err)
{
	struct tokres res = { NULL, 0 };
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
		if (rc == GOT_TOKEN) {
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
	return cred_token(c, scope, NULL, NULL, force, err);
}

/*
 * Key Vault.
 */

struct kv *
kv_new(struct http *http, struct azure_cred *cred, const char *vault,
    char **err)
{
	struct url u;
	struct kv *kv;
	char *url, *v;
	size_t n;

	if (vault == NULL || *vault == '\0') {
		*err = xstrdup("no vault: give --vault NAME|URL or set "
		    "KEY_VAULT_NAME");
		return NULL;
	}
	if (strstr(vault, "://") == NULL) {
		if (!kv_vault_name_valid(vault)) {
			v = clean(vault, 80);
			*err = xasprintf("%s: not a Key Vault name (3 to 24 "
			    "letters, digits and hyphens) nor an https URL",
			    v);
			free(v);
			return NULL;
		}
		url = xasprintf("https://%s.vault.azure.net", vault);
	} else {
		url = xstrdup(vault);
		n = strlen(url);
		while (n > 0 && url[n - 1] == '/')
			url[--n] = '\0';
	}
	if (url_parse(url, &u) == -1 || strcmp(u.scheme, "https") != 0 ||
	    strpbrk(u.rest, "?#") != NULL || strchr(u.authority, '@')) {
		v = clean(vault, 200);
		*err = xasprintf("%s: a Key Vault URL is https://HOST[:PORT] "
		    "(tokens are sent only over TLS)", v);
		free(v);
		if (u.scheme != NULL)
			url_release(&u);
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
	url_release(&u);
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

static int
is_ip(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
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
	struct url u;
	size_t hl, rl;
	int ok = 0;

	if (url_parse(res, &u) == -1)
		return 0;
	hl = strlen(vhost);
	rl = strlen(u.host);
	if (strcmp(u.scheme, "https") != 0)
		ok = 0;
	else if (strcmp(vhost, u.host) == 0)
		ok = 1;
	else if (is_ip(vhost) || is_ip(u.host) || strchr(u.host, '.') == NULL ||
	    u.host[0] == '.' || u.host[rl - 1] == '.')
		ok = 0;
	else
		ok = hl > rl + 1 && vhost[hl - rl - 1] == '.' &&
		    strcmp(vhost + hl - rl, u.host) == 0;
	url_release(&u);
	return ok;
}

int
azure_scope_ok(const char *vault_host, const char *scopes, char **bad)
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
 * it names must be of the vault's own domain (azure_scope_ok): a wrong
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
		    ends_with(ch.resource, "/") ? ".default" : "/.default");
	else {
		h = clean(hdr != NULL ? hdr : "none", 200);
		*err = xasprintf("%s answered 401 without a usable Bearer "
		    "challenge (WWW-Authenticate: %s)", kv->host, h);
		free(h);
		challenge_release(&ch);
		return -1;
	}
	/* Both, when both are there: either may be what a client uses. */
	ok = (ch.resource == NULL ||
	    azure_scope_ok(kv->host, ch.resource, &bad)) &&
	    (ch.scope == NULL || azure_scope_ok(kv->host, ch.scope, &bad));
	if (!ok) {
		h = clean(bad != NULL ? bad : "nothing", 200);
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
	struct url u;
	char *r;

	if (url_parse(link, &u) == -1)
		return NULL;
	r = xasprintf("%s%s%s", kv->origin, *u.rest == '/' ? "" : "/",
	    u.rest);
	url_release(&u);
	return r;
}

static char *
kv_make_url(struct kv *kv, const char *path_query, char **err)
{
	struct url u;
	char *r;
	int same;

	if (strncasecmp(path_query, "https://", 8) == 0 ||
	    strncasecmp(path_query, "http://", 7) == 0) {
		if (url_parse(path_query, &u) == -1)
			same = 0;
		else {
			same = strcmp(u.scheme, "https") == 0 &&
			    strcmp(u.host, kv->host) == 0;
			url_release(&u);
		}
		if (!same) {
			r = clean(path_query, 200);
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

/* A transport failure, with the cure when the name does not resolve. */
static jv
kv_transport_error(struct kv *kv, const struct http_req *r)
{
	char *m, *e;
	jv v;

	if (!msg_stop && (strstr(r->err, "resolve") != NULL ||
	    strstr(r->err, "Resolv") != NULL)) {
		m = xasprintf("cannot resolve %s: check the vault name "
		    "(--vault, KEY_VAULT_NAME) or, behind a private endpoint, "
		    "the private DNS zone", kv->host);
	} else {
		e = transport_msg(kv->host, r);
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
	req_init(first, method, url);
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
	return answer_body(r, kv->host);
}

jv
kv_call(struct kv *kv, const char *method, const char *path_query, jv body,
    long *status)
{
	const char *hdrs[4];
	struct http_req r;
	struct buf payload;
	char *url, *err = NULL, *tok = NULL, *auth = NULL, *scope, *tenant;
	char *prev;
	int have_first, tries, rc, write;
	jv res, dumped;

	*status = 0;
	buf_init(&payload);
	if (jv_is_valid(body)) {
		dumped = jv_dump_string(jv_copy(body), 0);
		buf_add(&payload, jv_string_value(dumped),
		    (size_t)jv_string_length_bytes(jv_copy(dumped)));
		jv_wipe_free(dumped);
	}
	jv_wipe_free(body);
	/* SetSecret is what the service's tighter write budget counts. */
	write = strcmp(method, "PUT") == 0 &&
	    strncmp(path_query + strspn(path_query, "/"), "secrets/", 8) == 0;
	if ((url = kv_make_url(kv, path_query, &err)) == NULL)
		goto fail;
	rc = kv_challenge(kv, method, url, &r, &have_first, &err);
	if (rc == -2) {
		res = kv_transport_error(kv, &r);
		http_req_release(&r);
		goto done;
	}
	if (rc == -1)
		goto fail;
	if (have_first) {
		res = kv_result(kv, &r, status);
		http_req_release(&r);
		goto done;
	}
	for (tries = 0;; tries++) {
		pthread_mutex_lock(&kv->mu);
		scope = xstrdup(kv->scope);
		tenant = kv->tenant != NULL ? xstrdup(kv->tenant) : NULL;
		pthread_mutex_unlock(&kv->mu);
		wipe_free(auth);
		auth = NULL;
		prev = tok;
		tok = cred_token(kv->cred, scope, tenant, prev, 0, &err);
		wipe_free(prev);
		free(scope);
		free(tenant);
		if (tok == NULL)
			goto fail;
		auth = xasprintf("Authorization: Bearer %s", tok);
		bearer_req(&r, method, url, hdrs, auth, &payload);
		r.bucket = write ? kv->wbucket : kv->abucket;
		if (http_do(kv->http, &r) == -1) {
			res = kv_transport_error(kv, &r);
			http_req_release(&r);
			goto done;
		}
		if (r.status != 401 || tries > 0)
			break;
		/* The token expired or the vault moved: refresh once. */
		if (r.www_authenticate != NULL) {
			pthread_mutex_lock(&kv->mu);
			rc = kv_take_challenge(kv, r.www_authenticate, &err);
			pthread_mutex_unlock(&kv->mu);
			if (rc == -1) {
				http_req_release(&r);
				goto fail;
			}
		}
		http_req_release(&r);
	}
	res = kv_result(kv, &r, status);
	http_req_release(&r);
	goto done;
fail:
	res = jv_invalid_with_msg(jv_string(err != NULL ? err : "failed"));
done:
	free(err);
	wipe_free(auth);
	wipe_free(tok);
	free(url);
	buf_release(&payload);
	return res;
}

jv
kv_list_all(struct kv *kv, const char *path_query, long *statusp)
{
	char *next = xstrdup(path_query), *link;
	jv all = jv_array(), page, items, nl;
	long status, ignored;
	int pages = 0, i, n;

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
		if (jv_get_kind(page) != JV_KIND_OBJECT) {
			jv_free(page);
			jv_free(all);
			return jv_invalid_with_msg(jv_string_fmt("%s: a list "
			    "answer that is not an object", kv->host));
		}
		items = jv_object_get(jv_copy(page), jv_string("value"));
		if (jv_get_kind(items) == JV_KIND_ARRAY) {
			n = jv_array_length(jv_copy(items));
			for (i = 0; i < n; i++)
				all = jv_array_append(all,
				    jv_array_get(jv_copy(items), i));
		}
		jv_free(items);
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

/* error.code, error.innererror.code and error.message of a body. */
static void
kv_codes(jv body, char **code, char **inner, char **message)
{
	jv e, ie;

	*code = *inner = *message = NULL;
	if (jv_get_kind(body) != JV_KIND_OBJECT)
		return;
	e = jv_object_get(jv_copy(body), jv_string("error"));
	if (jv_get_kind(e) == JV_KIND_OBJECT) {
		if (rec_str(e, "code") != NULL)
			*code = clean(rec_str(e, "code"), 80);
		if (rec_str(e, "message") != NULL)
			*message = first_sentence(rec_str(e, "message"), 300);
		ie = jv_object_get(jv_copy(e), jv_string("innererror"));
		if (jv_get_kind(ie) == JV_KIND_OBJECT &&
		    rec_str(ie, "code") != NULL)
			*inner = clean(rec_str(ie, "code"), 80);
		jv_free(ie);
	}
	jv_free(e);
}

static int
eq(const char *a, const char *b)
{
	return a != NULL && strcasecmp(a, b) == 0;
}

char *
kv_errmsg(jv body, long status)
{
	char *code, *inner, *msg, *r;
	const char *m;

	kv_codes(body, &code, &inner, &msg);
	m = msg != NULL ? msg : "";
	if (status == 403 && eq(inner, "ForbiddenByRbac"))
		r = xstrdup("forbidden by Azure RBAC: the identity lacks the "
		    "Key Vault Secrets Officer role on the vault (kv-grant, "
		    "or az role assignment create; new assignments take a "
		    "few minutes to apply)");
	else if (status == 403 && eq(inner, "AccessDenied"))
		r = xstrdup("forbidden by the vault's access policy: give the "
		    "identity secret permissions get, list, set and recover, "
		    "or move the vault to Azure RBAC");
	else if (status == 403 && eq(inner, "ForbiddenByFirewall"))
		r = xstrdup("blocked by the vault's firewall: add this "
		    "client's address to the vault's network rules, or reach "
		    "it through a private endpoint");
	else if (status == 403 && eq(inner, "ForbiddenByConnection"))
		r = xstrdup("the vault refuses public network access: reach "
		    "it through its private endpoint (and private DNS), or "
		    "allow this network");
	else if (status == 403 && eq(inner, "SecretDisabled"))
		r = xstrdup("the secret's current version is disabled in the "
		    "vault: enable it, or write with --force");
	else if (status == 409 && eq(inner, "ObjectIsDeletedButRecoverable"))
		r = xstrdup("the name is soft-deleted in the vault: rerun "
		    "with --recover to recover it, or purge it first "
		    "(az keyvault secret purge)");
	else if (status == 409 && (eq(inner, "ObjectIsBeingDeleted") ||
	    eq(inner, "ObjectIsBeingRecovered")))
		r = xasprintf("the name is being %s in the vault: retry "
		    "in a minute", eq(inner, "ObjectIsBeingDeleted") ?
		    "deleted" : "recovered");
	else if (status == 413 || strcasestr(m, "too large") != NULL ||
	    strcasestr(m, "exceeds") != NULL)
		r = xstrdup("the value is too large for Key Vault (25 KB): "
		    "split it with kv-name --split, or keep it in Vault");
	else if (status == 400 && strcasestr(m, "invalid name") != NULL)
		r = xasprintf("Key Vault rejects the secret name (%s): map "
		    "names with kv-name", m);
	else if (status == 429)
		r = xstrdup("throttled by Key Vault and out of retries: lower "
		    "--write-rate or -j");
	else if (status == 401)
		r = xasprintf("Key Vault rejected the token%s%s (a token for "
		    "another tenant or cloud?)", *m ? ": " : "", m);
	else if (status == 404 && eq(code, "SecretNotFound"))
		r = xstrdup("secret not found");
	else if (code != NULL || *m != '\0')
		r = xasprintf("HTTP %ld %s%s%s%s%s", status,
		    code != NULL ? code : "", inner != NULL ? "/" : "",
		    inner != NULL ? inner : "", *m ? ": " : "", m);
	else
		r = xasprintf("Key Vault answered HTTP %ld", status);
	free(code);
	free(inner);
	free(msg);
	return r;
}

char *
kv_shape_value(jv data, int json, const char **content_type, size_t *len,
    char **err)
{
	jv d = jv_invalid();
	char *r;
	int n;

	*len = 0;
	if (jv_get_kind(data) != JV_KIND_OBJECT) {
		*err = xstrdup("data is not a JSON object");
		return NULL;
	}
	n = jv_object_length(jv_copy(data));
	if (n == 1 && !json) {
		jv_object_foreach(data, k, v) {
			jv_free(k);
			if (jv_get_kind(v) == JV_KIND_STRING) {
				/*
				 * As is, U+0000 included: a secret value is
				 * any string (SetSecret's "value" is a JSON
				 * string), so the bytes are counted, never
				 * cut at a NUL.
				 */
				*content_type = "text/plain";
				d = v;
			} else {
				*content_type = jv_get_kind(v) ==
				    JV_KIND_OBJECT || jv_get_kind(v) ==
				    JV_KIND_ARRAY ? "application/json" :
				    "text/plain";
				d = jv_dump_string(v, JV_PRINT_SORTED);
			}
		}
	} else {
		d = jv_dump_string(jv_copy(data), JV_PRINT_SORTED);
		*content_type = "application/json";
	}
	*len = (size_t)jv_string_length_bytes(jv_copy(d));
	r = xmalloc(*len + 1);
	memcpy(r, jv_string_value(d), *len);
	r[*len] = '\0';
	/* Wipes a dump; a member that data still holds is only freed. */
	jv_wipe_free(d);
	return r;
}

char *
kv_call_msg(jv r)
{
	jv msg;
	char *m;

	if (jv_is_valid(r) || !jv_invalid_has_msg(jv_copy(r))) {
		jv_free(r);
		return xstrdup("failed");
	}
	msg = jv_invalid_get_msg(r);
	m = xstrdup(jv_get_kind(msg) == JV_KIND_STRING ?
	    jv_string_value(msg) : "failed");
	jv_free(msg);
	return m;
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

const char *
kv_tag(jv item, const char *name)
{
	jv tags;
	const char *s = NULL;

	if (jv_get_kind(item) != JV_KIND_OBJECT)
		return NULL;
	tags = jv_object_get(jv_copy(item), jv_string("tags"));
	if (jv_get_kind(tags) == JV_KIND_OBJECT)
		s = rec_str(tags, name);
	/* The string lives on in item, which holds tags. */
	jv_free(tags);
	return s;
}

long
kv_tag_version(jv item)
{
	const char *s = kv_tag(item, KV_TAG_VERSION);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? v : -1;
}

char *
kv_record_vpath(jv rec)
{
	const char *m = rec_str(rec, "mount"), *p = rec_str(rec, "path");

	return m != NULL && p != NULL ? xasprintf("%s/%s", m, p) : NULL;
}

/*
 * Azure Resource Manager.
 */

struct arm *
arm_new(struct http *http, struct azure_cred *cred, char **err)
{
	const char *s = env("AZURE_RESOURCE_MANAGER_URL");
	struct arm *a;
	struct url u;
	size_t n;

	if (s == NULL)
		s = DEFAULT_ARM;
	if (url_parse(s, &u) == -1 || strcmp(u.scheme, "https") != 0) {
		if (u.scheme != NULL)
			url_release(&u);
		*err = xasprintf("AZURE_RESOURCE_MANAGER_URL %s is not an "
		    "https URL", s);
		return NULL;
	}
	url_release(&u);
	a = xcalloc(1, sizeof(*a));
	a->http = http;
	a->cred = cred;
	a->url = xstrdup(s);
	n = strlen(a->url);
	while (n > 0 && a->url[n - 1] == '/')
		a->url[--n] = '\0';
	return a;
}

void
arm_free(struct arm *a)
{
	if (a == NULL)
		return;
	free(a->url);
	free(a);
}

jv
arm_call(struct arm *a, const char *method, const char *path_query, jv body,
    long *status)
{
	const char *hdrs[4];
	struct http_req r;
	struct buf payload;
	char *url, *err = NULL, *tok = NULL, *auth = NULL, *e, *prev;
	int tries;
	jv res, dumped;

	*status = 0;
	buf_init(&payload);
	if (jv_is_valid(body)) {
		dumped = jv_dump_string(jv_copy(body), 0);
		buf_addstr(&payload, jv_string_value(dumped));
		jv_free(dumped);
	}
	jv_free(body);
	while (*path_query == '/')
		path_query++;
	url = xasprintf("%s/%s", a->url, path_query);
	for (tries = 0;; tries++) {
		wipe_free(auth);
		auth = NULL;
		/* ARM tokens are always for management.azure.com. */
		prev = tok;
		tok = cred_token(a->cred, ARM_SCOPE, NULL, prev, 0, &err);
		wipe_free(prev);
		if (tok == NULL) {
			res = jv_invalid_with_msg(jv_string(err));
			goto out;
		}
		auth = xasprintf("Authorization: Bearer %s", tok);
		bearer_req(&r, method, url, hdrs, auth, &payload);
		if (http_do(a->http, &r) == -1) {
			e = transport_msg(a->url, &r);
			res = jv_invalid_with_msg(jv_string(e));
			free(e);
			http_req_release(&r);
			goto out;
		}
		if (r.status != 401 || tries > 0)
			break;
		http_req_release(&r);
	}
	*status = r.status;
	res = answer_body(&r, a->url);
	http_req_release(&r);
out:
	free(err);
	wipe_free(auth);
	wipe_free(tok);
	free(url);
	buf_release(&payload);
	return res;
}

char *
arm_errmsg(jv body, long status)
{
	char *code, *inner, *msg, *r;
	const char *m;

	kv_codes(body, &code, &inner, &msg);
	m = msg != NULL ? msg : "";
	if (eq(code, "AuthorizationFailed"))
		r = xasprintf("not allowed to manage role assignments here: "
		    "the identity needs Microsoft.Authorization/"
		    "roleAssignments/write on the scope (Owner, User Access "
		    "Administrator or Role Based Access Control "
		    "Administrator)");
	else if (eq(code, "PrincipalNotFound"))
		r = xasprintf("principal not found in the directory (a new "
		    "identity can take minutes to replicate; give its "
		    "principal type): %s", m);
	else if (eq(code, "RoleAssignmentExists"))
		r = xstrdup("the role assignment already exists");
	else if (eq(code, "InvalidRoleAssignmentId"))
		r = xasprintf("invalid role assignment name: %s", m);
	else if (status == 401)
		r = xasprintf("Resource Manager rejected the token%s%s",
		    *m ? ": " : "", m);
	else if (code != NULL || *m != '\0')
		r = xasprintf("HTTP %ld %s%s%s", status,
		    code != NULL ? code : "", *m ? ": " : "", m);
	else
		r = xasprintf("Resource Manager answered HTTP %ld", status);
	free(code);
	free(inner);
	free(msg);
	return r;
}
