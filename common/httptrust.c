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

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common.h"
#include "http_int.h"

struct trust {
	char		*file;		/* NULL: none */
	char		*path;		/* NULL: none */
	unsigned char	*blob;		/* PEM text, or NULL */
	size_t		 bloblen;
	X509_STORE	*store;		/* NULL: err says why */
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
	else if (t->file != NULL && !X509_STORE_load_file(st, t->file))
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
		free(t->file);
		free(t->path);
		free(t->blob);
		free(t);
	}
}
