/* vaultenv.c: the Vault client's configuration, read from the environment. */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common.h"
#include "vault_int.h"

#define TOKEN_FILE_MAX	(64 * 1024)
#define CACERT_BYTES_MAX (1024 * 1024)

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
#define FAMILY(x)	{ #x, "BAO_" #x, "VAULT_" #x }
static const char *const family[][3] = {
	FAMILY(ADDR),
	FAMILY(AGENT_ADDR),
	FAMILY(TOKEN),
	FAMILY(TOKEN_PATH),
	FAMILY(NAMESPACE),
	FAMILY(CACERT),
	FAMILY(CACERT_BYTES),
	FAMILY(CAPATH),
	FAMILY(CLIENT_CERT),
	FAMILY(CLIENT_KEY),
	FAMILY(CLIENT_CERT_BYTES),
	FAMILY(CLIENT_KEY_BYTES),
	FAMILY(CLIENT_TIMEOUT),
	FAMILY(SKIP_VERIFY),
	FAMILY(TLS_SERVER_NAME),
	FAMILY(MAX_RETRIES),
	FAMILY(RATE_LIMIT),
	FAMILY(HTTP_PROXY),
	FAMILY(PROXY_ADDR),
	FAMILY(SRV_LOOKUP),
};
#undef FAMILY

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

/* The CA file (or with dir, folder) that variable what names, as path. */
static int
check_ca(const char *what, const char *path, int dir, char **err)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		*err = xasprintf("%s: %s: %s", vault_envname(what), path,
		    strerror(errno));
		return -1;
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		*err = xasprintf("%s: %s: not a %s", vault_envname(what), path,
		    dir ? "directory" : "file");
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
	const char *s, *cv, *kv;
	size_t i, n;

	if ((s = venv("CACERT")) != NULL) {
		if (check_ca("CACERT", s, 0, err) == -1)
			return -1;
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
		if (check_ca("CAPATH", s, 1, err) == -1)
			return -1;
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
	return i >= 0 && i < VLT_NWARN ? v->warn[i] : NULL;
}

const char *
vault_namespace(struct vault *v)
{
	return v->ns_clean;
}
