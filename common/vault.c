/* vault.c: a HashiCorp Vault client over the HTTP engine. */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"

#define TOKEN_FILE_MAX	(64 * 1024)
#define CACERT_BYTES_MAX (1024 * 1024)
/* A token that expires sooner than this and cannot be renewed: a warning. */
#define TTL_WARN_S	3600
#define NWARN		8

struct vault {
	struct http	*http;
	char		*addr;		/* VAULT_ADDR without a final / */
	char		*shown;		/* the same without user:password@ */
	char		*proxy;		/* VAULT_PROXY_ADDR, or NULL */
	char		*warn[NWARN];	/* about the set-up, NULL-terminated */
	char		*ns;		/* VAULT_NAMESPACE, or NULL */
	char		*ns_clean;	/* without slashes at its ends */
	char		*cacert;
	char		*capath;
	char		*cablob;	/* VAULT_CACERT_BYTES */
	size_t		 cabloblen;
	char		*sslcert;	/* VAULT_CLIENT_CERT */
	char		*sslkey;	/* VAULT_CLIENT_KEY */
	char		*sni;		/* VAULT_TLS_SERVER_NAME */
	int		 max_retries;	/* VAULT_MAX_RETRIES, or -1 */
	struct http_bucket *bucket;	/* VAULT_RATE_LIMIT, or NULL */
	int		 insecure;
	/*
	 * The token's life, from lookup-self at the start and from each
	 * renewal; under mu.  ttl 0: it never expires (or is unknown).
	 */
	pthread_mutex_t	 mu;
	double		 ttl;		/* seconds granted at the last look */
	double		 expire_ms;	/* monotonic time it runs out */
	time_t		 expire_at;	/* the same, wall clock, for messages */
	int		 renewable;
	int		 renewing;	/* a thread is renewing it */
	double		 renew_after;	/* no new try before (monotonic ms) */
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
 * Every variable of the Vault family the tools read, under OpenBao's name
 * and Vault's.  OpenBao's client reads BAO_X and falls back to VAULT_X;
 * a BAO_X that is set, even to "", wins (openbao/openbao api/env.go,
 * ReadBaoVariable, used for each variable by api/client.go
 * ReadEnvironment and for BAO_TOKEN, BAO_NAMESPACE by NewClient).
 */
static const char *const family[][3] = {
	{ "ADDR", "BAO_ADDR", "VAULT_ADDR" },
	{ "AGENT_ADDR", "BAO_AGENT_ADDR", "VAULT_AGENT_ADDR" },
	{ "TOKEN", "BAO_TOKEN", "VAULT_TOKEN" },
	{ "TOKEN_PATH", "BAO_TOKEN_PATH", "VAULT_TOKEN_PATH" },
	{ "NAMESPACE", "BAO_NAMESPACE", "VAULT_NAMESPACE" },
	{ "CACERT", "BAO_CACERT", "VAULT_CACERT" },
	{ "CACERT_BYTES", "BAO_CACERT_BYTES", "VAULT_CACERT_BYTES" },
	{ "CAPATH", "BAO_CAPATH", "VAULT_CAPATH" },
	{ "CLIENT_CERT", "BAO_CLIENT_CERT", "VAULT_CLIENT_CERT" },
	{ "CLIENT_KEY", "BAO_CLIENT_KEY", "VAULT_CLIENT_KEY" },
	{ "CLIENT_CERT_BYTES", "BAO_CLIENT_CERT_BYTES",
	    "VAULT_CLIENT_CERT_BYTES" },
	{ "CLIENT_KEY_BYTES", "BAO_CLIENT_KEY_BYTES",
	    "VAULT_CLIENT_KEY_BYTES" },
	{ "CLIENT_TIMEOUT", "BAO_CLIENT_TIMEOUT", "VAULT_CLIENT_TIMEOUT" },
	{ "SKIP_VERIFY", "BAO_SKIP_VERIFY", "VAULT_SKIP_VERIFY" },
	{ "TLS_SERVER_NAME", "BAO_TLS_SERVER_NAME", "VAULT_TLS_SERVER_NAME" },
	{ "MAX_RETRIES", "BAO_MAX_RETRIES", "VAULT_MAX_RETRIES" },
	{ "RATE_LIMIT", "BAO_RATE_LIMIT", "VAULT_RATE_LIMIT" },
	{ "HTTP_PROXY", "BAO_HTTP_PROXY", "VAULT_HTTP_PROXY" },
	{ "PROXY_ADDR", "BAO_PROXY_ADDR", "VAULT_PROXY_ADDR" },
	{ "SRV_LOOKUP", "BAO_SRV_LOOKUP", "VAULT_SRV_LOOKUP" },
};

const char *
vault_envname(const char *what)
{
	size_t i;

	for (i = 0; i < sizeof(family) / sizeof(family[0]); i++)
		if (strcmp(family[i][0], what) == 0)
			return getenv(family[i][1]) != NULL ? family[i][1] :
			    family[i][2];
	msg_fatal("vault_envname: %s is not a variable of the family", what);
}

/* The value of the family's variable what, NULL when unset or empty. */
static char *
venv(const char *what)
{
	return env(vault_envname(what));
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
 * does).  OpenBao's bao reads the same ~/.vault-token, or the file
 * BAO_TOKEN_PATH names (openbao/openbao internal/command/token/
 * helper_internal.go, NewInternalTokenHelper).  Returns a malloc'd token
 * or NULL with *err.
 */
static char *
read_token(char **err)
{
	struct buf b;
	const char *home, *var = vault_envname("TOKEN");
	char *path, *tok, chunk[4096];
	FILE *fp;
	size_t n;
	int e;

	if ((tok = env(var)) != NULL)
		return strip(xstrdup(tok));
	if ((tok = venv("TOKEN_PATH")) != NULL)
		path = xstrdup(tok);
	else if ((home = env("HOME")) == NULL) {
		*err = xasprintf("no Vault token: %s is not set", var);
		return NULL;
	} else
		path = xasprintf("%s/.vault-token", home);
	if ((fp = fopen(path, "r")) == NULL) {
		e = errno;
		if (e == ENOENT && venv("TOKEN_PATH") == NULL)
			*err = xasprintf("no Vault token: %s is not set "
			    "and ~/.vault-token does not exist", var);
		else if (venv("TOKEN_PATH") != NULL)
			*err = xasprintf("%s: cannot read the token file: %s",
			    vault_envname("TOKEN_PATH"), strerror(e));
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

/* OpenSSL's password prompt must never run: an encrypted key fails. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * Mutual TLS, as api/client.go (ConfigureTLS) takes it: the certificate
 * and the key go together, and both must load and match
 * (tls.LoadX509KeyPair).  Checked here, before any request, so that a
 * wrong pair is a clear fatal error naming the variable, never a failed
 * handshake on every record.  Messages never carry a value.
 */
static int
check_client_pair(const char *certvar, const char *cert, const char *keyvar,
    const char *key, char **err)
{
	FILE *fp;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = -1;

	if ((fp = fopen(cert, "r")) == NULL) {
		*err = xasprintf("%s: cannot open the certificate: %s",
		    certvar, strerror(errno));
		return -1;
	}
	x = PEM_read_X509(fp, NULL, no_password, NULL);
	fclose(fp);
	if (x == NULL) {
		*err = xasprintf("%s: no PEM certificate in the file",
		    certvar);
		goto out;
	}
	if ((fp = fopen(key, "r")) == NULL) {
		*err = xasprintf("%s: cannot open the key: %s", keyvar,
		    strerror(errno));
		goto out;
	}
	k = PEM_read_PrivateKey(fp, NULL, no_password, NULL);
	fclose(fp);
	if (k == NULL) {
		*err = xasprintf("%s: no PEM private key in the file (an "
		    "encrypted key is not supported)", keyvar);
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		*err = xasprintf("%s: the key does not match the certificate "
		    "of %s", keyvar, certvar);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

/* At least one PEM certificate, and nothing OpenSSL cannot read. */
static int
check_pem_certs(const char *pem, size_t len)
{
	BIO *bio;
	X509 *x;
	int n = 0;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL) {
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();
	return n > 0 ? 0 : -1;
}

/*
 * VAULT_RATE_LIMIT, as api/client.go (parseRateLimit) reads it:
 * "rate:burst" or "rate", the burst then being the rate's integer part.
 * A rate that is not a positive number, or a burst that is not a positive
 * integer, is refused: Go's limiter would let no request through.
 */
static int
parse_rate(const char *s, double *rate, double *burst)
{
	char *end;
	long b;

	errno = 0;
	*rate = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(*rate) || *rate <= 0 ||
	    isspace((unsigned char)*s))
		return -1;
	if (*end == '\0') {
		*burst = floor(*rate) >= 1 ? floor(*rate) : 1;
		return 0;
	}
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return -1;
	s = end + 1;
	errno = 0;
	b = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || b < 1 || b > 1000000)
		return -1;
	*burst = (double)b;
	return 0;
}

/* A file that a variable names: it must exist and be a regular file. */
static int
check_file(const char *var, const char *path, char **err)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		*err = xasprintf("%s: %s", var, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = xasprintf("%s: not a file", var);
		return -1;
	}
	return 0;
}

/*
 * The TLS settings: trust, the client certificate, the server name.
 * Trust is VAULT_CACERT, else VAULT_CACERT_BYTES, else VAULT_CAPATH: the
 * first set wins, as in hashicorp/go-rootcerts LoadCACerts, which
 * api/client.go (ConfigureTLS) calls with all three.
 */
static int
vault_tls(struct vault *v, char **err)
{
	struct stat st;
	const char *s, *cv, *kv;
	size_t i, n;

	if ((s = venv("CACERT")) != NULL) {
		if (stat(s, &st) == -1) {
			*err = xasprintf("%s: %s: %s", vault_envname("CACERT"),
			    s, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			*err = xasprintf("%s: %s: not a file",
			    vault_envname("CACERT"), s);
			return -1;
		}
		v->cacert = xstrdup(s);
	} else if ((s = venv("CACERT_BYTES")) != NULL) {
		n = strlen(s);
		if (n > CACERT_BYTES_MAX || check_pem_certs(s, n) == -1) {
			*err = xasprintf("%s: not PEM certificates (-----BEGIN "
			    "CERTIFICATE----- ...)", vault_envname(
			    "CACERT_BYTES"));
			return -1;
		}
		v->cablob = xstrdup(s);
		v->cabloblen = n;
	} else if ((s = venv("CAPATH")) != NULL) {
		if (stat(s, &st) == -1) {
			*err = xasprintf("%s: %s: %s", vault_envname("CAPATH"),
			    s, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			*err = xasprintf("%s: %s: not a directory",
			    vault_envname("CAPATH"), s);
			return -1;
		}
		v->capath = xstrdup(s);
	}
	/* OpenBao's in-memory pair: said, never silently ignored. */
	if ((s = venv("CLIENT_CERT_BYTES")) != NULL ||
	    venv("CLIENT_KEY_BYTES") != NULL) {
		*err = xasprintf("%s is not supported: put the certificate and "
		    "key in files named by %s and %s", s != NULL ?
		    vault_envname("CLIENT_CERT_BYTES") :
		    vault_envname("CLIENT_KEY_BYTES"),
		    vault_envname("CLIENT_CERT"), vault_envname("CLIENT_KEY"));
		return -1;
	}
	cv = vault_envname("CLIENT_CERT");
	kv = vault_envname("CLIENT_KEY");
	if (env(cv) != NULL || env(kv) != NULL) {
		/* "both client cert and client key must be provided" */
		if (env(cv) == NULL || env(kv) == NULL) {
			*err = xasprintf("%s is set without %s: mutual TLS "
			    "needs both", env(cv) != NULL ? cv : kv,
			    env(cv) != NULL ? kv : cv);
			return -1;
		}
		if (check_file(cv, env(cv), err) == -1 ||
		    check_file(kv, env(kv), err) == -1 ||
		    check_client_pair(cv, env(cv), kv, env(kv), err) == -1)
			return -1;
		v->sslcert = xstrdup(env(cv));
		v->sslkey = xstrdup(env(kv));
	}
	if ((s = venv("TLS_SERVER_NAME")) != NULL) {
		for (i = 0; s[i] != '\0'; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
			    s[i] != '-' && s[i] != '_')
				break;
		if (s[i] != '\0' || i > 253) {
			*err = xasprintf("%s: not a host name",
			    vault_envname("TLS_SERVER_NAME"));
			return -1;
		}
		v->sni = xstrdup(s);
	}
	return 0;
}

/* The other settings of the transport: retries, pacing, SRV lookups. */
static int
vault_transport(struct vault *v, char **err)
{
	const char *s;
	char *end;
	double rate, burst;
	long n;
	int k;

	v->max_retries = -1;
	if ((s = venv("MAX_RETRIES")) != NULL) {
		/* parseutil.SafeParseIntRange(v, 0, math.MaxInt) */
		errno = 0;
		n = strtol(s, &end, 10);
		if (!isdigit((unsigned char)*s) || *end != '\0' ||
		    errno != 0 || n > 1000000) {
			*err = xasprintf("%s: not a number of retries (0 or "
			    "more)", vault_envname("MAX_RETRIES"));
			return -1;
		}
		v->max_retries = (int)n;
	}
	if ((s = venv("RATE_LIMIT")) != NULL) {
		if (parse_rate(s, &rate, &burst) == -1) {
			*err = xasprintf("%s: not a rate (requests a second, "
			    "\"RATE\" or \"RATE:BURST\", e.g. \"50:10\")",
			    vault_envname("RATE_LIMIT"));
			return -1;
		}
		v->bucket = http_bucket_new(rate, burst);
	}
	/* A DNS SRV lookup for the address: not done; said, not ignored. */
	if ((s = venv("SRV_LOOKUP")) != NULL) {
		if ((k = parse_bool(s)) == -1) {
			*err = xasprintf("could not parse %s: not a boolean",
			    vault_envname("SRV_LOOKUP"));
			return -1;
		}
		if (k == 1) {
			*err = xasprintf("%s is not supported: set %s to the "
			    "server's URL", vault_envname("SRV_LOOKUP"),
			    vault_envname("ADDR"));
			return -1;
		}
	}
	return 0;
}

struct vault *
vault_new(struct http *http, char **err)
{
	struct vault *v;
	const char *s, *var;
	char *tok = NULL, *host, *port;
	size_t i, n;
	int k, nw = 0;

	*err = NULL;
	/*
	 * VAULT_AGENT_ADDR wins over VAULT_ADDR: api/client.go NewClient
	 * connects to the agent when AgentAddress is set.
	 */
	var = venv("AGENT_ADDR") != NULL ? vault_envname("AGENT_ADDR") :
	    vault_envname("ADDR");
	if ((s = env(var)) == NULL) {
		*err = xasprintf("%s is not set: export the URL of "
		    "the Vault server, e.g. https://vault.example.com:8200",
		    var);
		return NULL;
	}
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
		tok = strip_userinfo(s);
		*err = xasprintf("%s: not an http:// or https:// URL: "
		    "%s", var, tok);
		free(tok);
		return NULL;
	}
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) {
			*err = xasprintf("%s: white space or control "
			    "character in the URL", var);
			return NULL;
		}
	v = xcalloc(1, sizeof(*v));
	pthread_mutex_init(&v->mu, NULL);
	v->http = http;
	v->addr = xstrdup(s);
	n = strlen(v->addr);
	while (n > 0 && v->addr[n - 1] == '/')
		v->addr[--n] = '\0';
	v->shown = strip_userinfo(v->addr);

	if ((s = venv("SKIP_VERIFY")) != NULL) {
		if ((k = parse_bool(s)) == -1) {
			*err = xasprintf("could not parse %s: "
			    "\"%s\" is not a boolean (true, false, 1, 0)",
			    vault_envname("SKIP_VERIFY"), s);
			goto fail;
		}
		v->insecure = k;
	}
	/*
	 * A proxy for Vault alone, whatever HTTP_PROXY and NO_PROXY say:
	 * VAULT_PROXY_ADDR, else VAULT_HTTP_PROXY, as api/client.go
	 * (ReadEnvironment) reads them.
	 */
	s = venv("PROXY_ADDR") != NULL ? vault_envname("PROXY_ADDR") :
	    venv("HTTP_PROXY") != NULL ? vault_envname("HTTP_PROXY") : NULL;
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
			v->warn[nw++] = xasprintf("%s is http:// to "
			    "%s: vault2kv sends the token in clear text over "
			    "the network", var, host);
		free(host);
		free(port);
	}
	if (v->insecure)
		v->warn[nw++] = xasprintf("%s is set: the Vault "
		    "server's certificate is not verified, and the token goes "
		    "to whoever answers", vault_envname("SKIP_VERIFY"));
	if (vault_tls(v, err) == -1 || vault_transport(v, err) == -1)
		goto fail;
	if ((s = venv("NAMESPACE")) != NULL) {
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < ' ' || s[i] == 0x7f) {
				*err = xasprintf("%s: control "
				    "character in the namespace",
				    vault_envname("NAMESPACE"));
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
		*err = xasprintf("no Vault token: %s and "
		    "~/.vault-token are empty", vault_envname("TOKEN"));
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
	free(v->cablob);
	free(v->sslcert);
	free(v->sslkey);
	free(v->sni);
	http_bucket_free(v->bucket);
	pthread_mutex_destroy(&v->mu);
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
	return i >= 0 && i < NWARN ? v->warn[i] : NULL;
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

/*
 * Is ns a namespace that can go into a header: no control character
 * (a CR or LF would end the header and start another)?
 */
static int
ns_ok(const char *ns)
{
	for (; *ns != '\0'; ns++)
		if ((unsigned char)*ns < ' ' || *ns == 0x7f)
			return 0;
	return 1;
}

/*
 * ns NULL: the client's own headers (VAULT_NAMESPACE's).  Else the same
 * headers with X-Vault-Namespace: ns in place of VAULT_NAMESPACE's, none
 * for "" (the root).  Vault takes the header as the request's namespace
 * (developer.hashicorp.com/vault/docs/enterprise/namespaces, "Usage").
 */
static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

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
	jv out, s = jv_invalid();

	*status = 0;
	if (ns != NULL) {
		while (*ns == '/')
			ns++;
		if (!ns_ok(ns)) {
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
	size_t n;
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
