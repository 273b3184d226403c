/* httptrust.c: the CA stores TLS connections verify with, each loaded once. */

/*
 * libcurl 7.88 with OpenSSL builds a fresh X509_STORE for every new
 * connection and parses the whole CA file into it, unless a CA path is
 * set too, in which case its own cache (CURLOPT_CA_CACHE_TIMEOUT) is not
 * used either.  Debian's libcurl has a default CA path (/etc/ssl/certs),
 * so each of -j connections parsed the system bundle again: about 40 ms
 * of CPU a connection for its 145 certificates.  The engine therefore
 * loads each trust setting (file, directory or PEM text) once, as
 * libcurl would, and gives the same store to every connection through
 * CURLOPT_SSL_CTX_FUNCTION.
 *
 * libcurl reuses a connection, or resumes a TLS session, only for a
 * request whose CA file, CA path and CA blob are the connection's
 * (Curl_ssl_config_matches): told no file and no blob, it is told as CA
 * path a name that stands for the setting, under /dev/null where no
 * directory can be, so that a request never rides on a connection that
 * another setting verified.  libcurl adds that path to its own store,
 * which no verification consults.  Only the engine thread calls these.
 */

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common.h"
#include "http_int.h"

/* A certificate of a CA file, parsed when a chain first asks for it. */
struct lazycert {
	unsigned long	 hash;		/* of the subject (X509_NAME_hash_ex) */
	unsigned char	*der;
	long		 len;
	X509		*x;		/* once parsed, and in the store */
	int		 bad;		/* would not parse: left out */
};

struct lazy {
	pthread_mutex_t	 mu;
	struct lazycert	*certs;
	size_t		 n;
};

struct trust {
	char		*file;		/* NULL: none */
	char		*path;		/* NULL: none */
	unsigned char	*blob;		/* PEM text, or NULL */
	size_t		 bloblen;
	X509_STORE	*store;		/* NULL: err says why */
	struct lazy	*lazy;		/* the file's certificates, or NULL */
	X509_LOOKUP_METHOD *meth;	/* the lookup that parses them */
	char		 id[40];	/* what libcurl is told instead */
	char		 err[300];
	struct trust	*next;
};

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The certificates and CRLs of PEM text, as libcurl adds a CA blob. */
static int
load_blob(X509_STORE *st, const unsigned char *blob, size_t len)
{
	STACK_OF(X509_INFO) *infos;
	X509_INFO *xi;
	BIO *bio;
	int i, n = 0;

	if ((bio = BIO_new_mem_buf(blob, (int)len)) == NULL)
		return -1;
	infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (infos == NULL)
		return -1;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 != NULL && X509_STORE_add_cert(st, xi->x509))
			n++;
		if (xi->crl != NULL)
			X509_STORE_add_crl(st, xi->crl);
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return n > 0 ? 0 : -1;
}

/*
 * A CA file, loaded lazily.  Parsing a certificate costs OpenSSL 3 about
 * 0.3 ms (its public key goes through the provider's decoders): 43 ms
 * for Debian's 145, and 0.9 MB to keep, of which a run uses one or two.
 * So the file is read once, each certificate's DER and the hash of its
 * subject are kept (X509_NAME_hash_ex, as for a hashed directory), and a
 * lookup of the store parses and adds the certificates of a subject when
 * a chain first asks for an issuer, or for itself, by that name, as
 * OpenSSL's hashed-directory lookup does with files
 * (X509_LOOKUP_hash_dir(3)).  Trust is what the file holds either way.
 * A file with anything but plain certificates (CRLs, TRUSTED
 * CERTIFICATE, bad encodings) is loaded the usual way, whole.
 */
#define LAZY_MAX	(64L << 20)	/* a larger file loads the usual way */

static void
lazy_free(struct lazy *z)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->n; i++) {
		free(z->certs[i].der);
		X509_free(z->certs[i].x);
	}
	free(z->certs);
	pthread_mutex_destroy(&z->mu);
	free(z);
}

/*
 * One DER element at *p (of the n bytes left): its contents' start and
 * length, and *p past it; -1 if it is not a whole element of tag tag.
 */
static int
der_next(const unsigned char **p, long *n, int tag, const unsigned char **c,
    long *clen)
{
	const unsigned char *q = *p;
	long left = *n, len;
	int k;

	if (left < 2 || q[0] != tag)
		return -1;
	len = q[1];
	q += 2;
	left -= 2;
	if (len & 0x80) {
		if ((k = len & 0x7f) == 0 || k > 4 || k > left)
			return -1;
		for (len = 0; k > 0; k--, left--)
			len = len << 8 | *q++;
	}
	if (len < 0 || len > left)
		return -1;
	*c = q;
	*clen = len;
	*p = q + len;
	*n = left - len;
	return 0;
}

/* The hash of a certificate's subject, from its DER; -1 if malformed. */
static int
der_subject(const unsigned char *der, long len, unsigned long *hash)
{
	X509_NAME *subject;
	const unsigned char *p = der, *c, *tbs, *name;
	long n = len, clen, tlen;
	int i, ok = 0;

	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { ... } } */
	if (der_next(&p, &n, 0x30, &c, &clen) == -1 || n != 0)
		return -1;
	p = c;
	n = clen;
	if (der_next(&p, &n, 0x30, &tbs, &tlen) == -1)
		return -1;
	p = tbs;
	n = tlen;
	/* [0] version OPTIONAL, serial, signature, issuer, validity */
	if (n > 0 && *p == 0xa0 && der_next(&p, &n, 0xa0, &c, &clen) == -1)
		return -1;
	if (der_next(&p, &n, 0x02, &c, &clen) == -1)
		return -1;
	for (i = 0; i < 3; i++)
		if (der_next(&p, &n, 0x30, &c, &clen) == -1)
			return -1;
	name = p;
	if (der_next(&p, &n, 0x30, &c, &clen) == -1 ||
	    (subject = d2i_X509_NAME(NULL, &name, p - name)) == NULL)
		return -1;
	*hash = X509_NAME_hash_ex(subject, NULL, NULL, &ok);
	X509_NAME_free(subject);
	return ok ? 0 : -1;
}

/* The base64 between a PEM block's lines into a malloc'd DER. */
static unsigned char *
pem_der(const char *b64, size_t len, long *derlen)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char *der;
	int n, m;

	if (len > INT_MAX / 2 || (ctx = EVP_ENCODE_CTX_new()) == NULL)
		return NULL;
	der = xmalloc(len / 4 * 3 + 3);
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &n, (const unsigned char *)b64,
	    (int)len) < 0 || EVP_DecodeFinal(ctx, der + n, &m) != 1) {
		EVP_ENCODE_CTX_free(ctx);
		free(der);
		return NULL;
	}
	EVP_ENCODE_CTX_free(ctx);
	*derlen = n + m;
	return der;
}

/* The certificates of PEM text, indexed; NULL if it holds anything else. */
static struct lazy *
lazy_index(const char *text, size_t len)
{
	static const char begin[] = "-----BEGIN ", end[] = "-----END ",
	    cert[] = "CERTIFICATE-----";
	struct lazy *z;
	struct lazycert *c;
	const char *p = text, *e = text + len, *b, *q;
	size_t cap = 0;

	z = xcalloc(1, sizeof(*z));
	pthread_mutex_init(&z->mu, NULL);
	while ((b = memmem(p, e - p, begin, sizeof(begin) - 1)) != NULL) {
		b += sizeof(begin) - 1;
		if ((size_t)(e - b) < sizeof(cert) - 1 ||
		    memcmp(b, cert, sizeof(cert) - 1) != 0)
			goto other;
		b += sizeof(cert) - 1;
		if ((q = memmem(b, e - b, end, sizeof(end) - 1)) == NULL ||
		    (size_t)(e - q) < sizeof(end) - 1 + sizeof(cert) - 1 ||
		    memcmp(q + sizeof(end) - 1, cert, sizeof(cert) - 1) != 0)
			goto other;
		if (z->n == cap) {
			cap = cap ? cap * 2 : 64;
			z->certs = xrealloc(z->certs, cap *
			    sizeof(*z->certs));
		}
		c = &z->certs[z->n];
		memset(c, 0, sizeof(*c));
		if ((c->der = pem_der(b, q - b, &c->len)) == NULL)
			goto other;
		z->n++;
		if (der_subject(c->der, c->len, &c->hash) == -1)
			goto other;
		p = q + sizeof(end) - 1 + sizeof(cert) - 1;
	}
	if (z->n > 0)
		return z;
other:
	lazy_free(z);
	return NULL;
}

/*
 * The lookup: parse and add every certificate of the subject (a chain
 * may need any of them: a root renewed under the same name), and answer
 * the first.  OpenSSL's caller takes its own reference of what ret
 * holds (X509_STORE_CTX_get_by_subject), as its file and directory
 * lookups leave it: so ret keeps none, the store keeps the certificate.
 */
static int
lazy_by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type,
    const X509_NAME *name, X509_OBJECT *ret)
{
	struct lazy *z = X509_LOOKUP_get_method_data(lu);
	X509_STORE *st = X509_LOOKUP_get_store(lu);
	const unsigned char *p;
	struct lazycert *c;
	unsigned long hash;
	X509 *found = NULL;
	size_t i;
	int ok = 0;

	if (type != X509_LU_X509 || z == NULL || name == NULL)
		return 0;
	hash = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	if (!ok) {
		ERR_clear_error();
		return 0;
	}
	pthread_mutex_lock(&z->mu);
	for (i = 0; i < z->n; i++) {
		c = &z->certs[i];
		if (c->hash != hash || c->bad)
			continue;
		/* Parsed once, added once, whatever its name. */
		if (c->x == NULL) {
			p = c->der;
			if ((c->x = d2i_X509(NULL, &p, c->len)) == NULL ||
			    !X509_STORE_add_cert(st, c->x)) {
				X509_free(c->x);
				c->x = NULL;
				c->bad = 1;
				ERR_clear_error();
				continue;
			}
		}
		/* Another name of the same hash: in the store, no answer. */
		if (found == NULL &&
		    X509_NAME_cmp(X509_get_subject_name(c->x), name) == 0)
			found = c->x;
	}
	pthread_mutex_unlock(&z->mu);
	if (found == NULL || !X509_OBJECT_set1_X509(ret, found))
		return 0;
	X509_free(found);
	return 1;
}

/* The file's certificates, to be parsed as asked for; -1: load it whole. */
static int
load_lazy(struct trust *t, X509_STORE *st)
{
	X509_LOOKUP *lu;
	char *text;
	size_t len;
	FILE *f;
	long size;

	if ((f = fopen(t->file, "r")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) <= 0 ||
	    size > LAZY_MAX || fseek(f, 0, SEEK_SET) == -1) {
		fclose(f);
		return -1;
	}
	text = xmalloc(size);
	len = fread(text, 1, size, f);
	fclose(f);
	t->lazy = lazy_index(text, len);
	free(text);
	if (t->lazy == NULL)
		return -1;
	if ((t->meth = X509_LOOKUP_meth_new("vault2kv lazy file")) == NULL ||
	    !X509_LOOKUP_meth_set_get_by_subject(t->meth, lazy_by_subject) ||
	    (lu = X509_STORE_add_lookup(st, t->meth)) == NULL ||
	    !X509_LOOKUP_set_method_data(lu, t->lazy)) {
		lazy_free(t->lazy);
		t->lazy = NULL;
		return -1;
	}
	return 0;
}

static void
load(struct trust *t)
{
	X509_STORE *st;

	if ((st = X509_STORE_new()) == NULL) {
		snprintf(t->err, sizeof(t->err), "out of memory");
		return;
	}
	/* libcurl's words for the same failures. */
	if (t->blob != NULL && load_blob(st, t->blob, t->bloblen) == -1)
		snprintf(t->err, sizeof(t->err), "error importing CA "
		    "certificate blob");
	else if (t->file != NULL && load_lazy(t, st) == -1 &&
	    !X509_STORE_load_file(st, t->file))
		snprintf(t->err, sizeof(t->err), "error setting certificate "
		    "file: %.250s", t->file);
	else if (t->path != NULL && !X509_STORE_load_path(st, t->path))
		snprintf(t->err, sizeof(t->err), "error setting certificate "
		    "path: %.250s", t->path);
	ERR_clear_error();
	if (t->err[0] != '\0') {
		X509_STORE_free(st);
		return;
	}
	/*
	 * What libcurl sets on a verifying store: issuers from the store
	 * first, and an intermediate in it is a trust anchor as a root is
	 * (curl.se/libcurl/c/CURLOPT_SSL_OPTIONS.html,
	 * CURLSSLOPT_NO_PARTIALCHAIN: "which it otherwise does by default").
	 */
	X509_STORE_set_flags(st, X509_V_FLAG_TRUSTED_FIRST |
	    X509_V_FLAG_PARTIAL_CHAIN);
	t->store = st;
}

int
http_trust(struct http *h, const char *file, const char *path,
    const void *blob, size_t bloblen, X509_STORE **store, const char **id,
    const char **err)
{
	struct trust *t;
	unsigned n = 0;

	for (t = h->trust; t != NULL; t = t->next, n++)
		if (same(t->file, file) && same(t->path, path) &&
		    t->bloblen == bloblen && (blob == NULL ? t->blob == NULL :
		    t->blob != NULL && memcmp(t->blob, blob, bloblen) == 0))
			break;
	if (t == NULL) {
		t = xcalloc(1, sizeof(*t));
		t->file = file != NULL ? xstrdup(file) : NULL;
		t->path = path != NULL ? xstrdup(path) : NULL;
		if (blob != NULL) {
			t->blob = xmalloc(bloblen);
			memcpy(t->blob, blob, bloblen);
			t->bloblen = bloblen;
		}
		/* Under a file, so no such directory can exist. */
		snprintf(t->id, sizeof(t->id), "/dev/null/vault2kv-trust-%u",
		    n);
		load(t);
		t->next = h->trust;
		h->trust = t;
	}
	*store = t->store;
	*id = t->id;
	*err = t->err;
	return t->store != NULL ? 0 : -1;
}

/*
 * CURLOPT_SSL_CTX_FUNCTION: the connection verifies the server, and
 * completes its own client certificate's chain, with the shared store.
 * They are the context's verify and chain stores, which OpenSSL takes
 * before its cert store (SSL_CTX_set1_verify_cert_store(3)): libcurl
 * sets up that one only after this callback (7.88: after the
 * ClientHello), and would put there the one store its cache keeps.
 */
CURLcode
http_trust_use(CURL *e, void *sslctx, void *store)
{
	(void)e;
	if (!SSL_CTX_set1_verify_cert_store(sslctx, store) ||
	    !SSL_CTX_set1_chain_cert_store(sslctx, store))
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

void
http_trust_free(struct http *h)
{
	struct trust *t;

	while ((t = h->trust) != NULL) {
		h->trust = t->next;
		X509_STORE_free(t->store);
		lazy_free(t->lazy);
		X509_LOOKUP_meth_free(t->meth);
		free(t->file);
		free(t->path);
		free(t->blob);
		free(t);
	}
}
