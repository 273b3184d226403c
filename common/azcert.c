/* azcert.c: the client certificate of a credential and its signed assertion. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "common.h"
#include "azure_int.h"

#define ASSERTION_TTL	600	/* seconds, as MSAL and the C++ SDK */
#define MAX_CERT_FILE	(1 << 20)	/* bytes */
#define MAX_CHAIN	16	/* certificates in x5c */

/* The file of AZURE_CLIENT_CERTIFICATE_PATH, whole, into b: 0 or -1. */
static int
read_cert_file(struct az_cert *c, struct buf *b)
{
	unsigned char chunk[4096];
	BIO *bio;
	int n;

	buf_init(b);
	if ((bio = BIO_new_file(c->path, "rb")) == NULL) {
		c->err = xasprintf("cannot read %s: %s", c->path,
		    strerror(errno));
		return -1;
	}
	while ((n = BIO_read(bio, chunk, sizeof(chunk))) > 0 &&
	    b->len < MAX_CERT_FILE)
		buf_add(b, chunk, (size_t)n);
	wipe(chunk, sizeof(chunk));
	BIO_free(bio);
	if (b->len == 0) {
		c->err = xasprintf("%s is empty", c->path);
		return -1;
	}
	return 0;
}

/*
 * PKCS#12 (.pfx, .p12: what the portal and Key Vault export), told by
 * its content: the DER of a PFX that parses.  The password opens it
 * (PKCS12_parse tries "" and none itself when it is not given).
 */
static PKCS12 *
as_pkcs12(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;

	if (b->len < 2 || p[0] != 0x30)
		return NULL;
	return d2i_PKCS12(NULL, &p, (long)b->len);
}

static int
load_pkcs12(struct az_cert *c, PKCS12 *p12, const char *pass, X509 **x,
    STACK_OF(X509) **ca)
{
	unsigned long e;

	ERR_clear_error();
	if (PKCS12_parse(p12, pass, &c->key, x, ca) == 1 && c->key != NULL &&
	    *x != NULL)
		return 0;
	e = ERR_peek_last_error();
	ERR_clear_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PKCS12 &&
	    ERR_GET_REASON(e) == PKCS12_R_MAC_VERIFY_FAILURE)
		c->err = pass != NULL ? xasprintf("%s: "
		    "AZURE_CLIENT_CERTIFICATE_PASSWORD does not open this "
		    "PKCS#12 file (wrong password)", c->path) :
		    xasprintf("%s: the PKCS#12 file has a password: set "
		    "AZURE_CLIENT_CERTIFICATE_PASSWORD", c->path);
	else if (c->key == NULL || *x == NULL)
		c->err = xasprintf("%s: the PKCS#12 file holds no "
		    "certificate with its private key, or is encrypted with "
		    "an algorithm this OpenSSL does not offer (export it "
		    "again with AES-256)", c->path);
	else
		c->err = xasprintf("%s: cannot open the PKCS#12 file",
		    c->path);
	return -1;
}

/* PEM: the key (encrypted or not) and every certificate, in order. */
static int
load_pem(struct az_cert *c, const struct buf *b, const char *pass,
    X509 **x, STACK_OF(X509) **ca)
{
	BIO *bio;
	X509 *one;
	int i;

	*ca = sk_X509_new_null();
	if ((bio = BIO_new_mem_buf(b->data, (int)b->len)) == NULL)
		return -1;
	while ((one = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(*ca, one);
	BIO_free(bio);
	if ((bio = BIO_new_mem_buf(b->data, (int)b->len)) == NULL)
		return -1;
	c->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)pass);
	BIO_free(bio);
	ERR_clear_error();
	if (c->key == NULL && memmem(b->data, b->len, "ENCRYPTED", 9)) {
		c->err = pass != NULL ? xasprintf("%s: "
		    "AZURE_CLIENT_CERTIFICATE_PASSWORD does not open the "
		    "private key (wrong password)", c->path) :
		    xasprintf("%s: the private key has a password: set "
		    "AZURE_CLIENT_CERTIFICATE_PASSWORD", c->path);
		return -1;
	}
	if (sk_X509_num(*ca) == 0 || c->key == NULL) {
		c->err = xasprintf("%s: a PEM file with the certificate "
		    "and its private key (or a PKCS#12 file) is needed",
		    c->path);
		return -1;
	}
	/* The leaf is the certificate of the key; the rest is the chain. */
	for (i = 0; i < sk_X509_num(*ca); i++)
		if (X509_check_private_key(sk_X509_value(*ca, i), c->key) ==
		    1) {
			*x = sk_X509_delete(*ca, i);
			break;
		}
	ERR_clear_error();
	if (*x == NULL)
		*x = sk_X509_shift(*ca);
	return 0;
}

/* One certificate's DER in standard base64, as x5c holds it. */
static char *
der_b64(X509 *x)
{
	unsigned char *der = NULL;
	char *out;
	int len;

	if ((len = i2d_X509(x, &der)) <= 0)
		return NULL;
	out = xmalloc(4 * ((size_t)len / 3 + 1) + 1);
	EVP_EncodeBlock((unsigned char *)out, der, len);
	OPENSSL_free(der);
	return out;
}

/*
 * The certificate and key of c->path, PEM or PKCS#12, and its chain for
 * x5c; AZURE_CLIENT_CERTIFICATE_PASSWORD opens it and is wiped after use.
 */
void
az_cert_load(struct az_cert *c)
{
	char *pass = az_env_dup("AZURE_CLIENT_CERTIFICATE_PASSWORD"), *b64;
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	STACK_OF(X509) *ca = NULL;
	PKCS12 *p12;
	X509 *x = NULL;
	struct buf file;
	int i, len;

	if (read_cert_file(c, &file) == -1)
		goto out;
	if ((p12 = as_pkcs12(&file)) != NULL) {
		i = load_pkcs12(c, p12, pass, &x, &ca);
		PKCS12_free(p12);
	} else
		i = load_pem(c, &file, pass, &x, &ca);
	ERR_clear_error();
	if (i == -1)
		goto out;
	if (!EVP_PKEY_is_a(c->key, "RSA")) {
		c->err = xasprintf("%s: the key is not an RSA key",
		    c->path);
		goto out;
	}
	if (X509_check_private_key(x, c->key) != 1) {
		ERR_clear_error();
		c->err = xasprintf("%s: the private key does not match "
		    "the certificate", c->path);
		goto out;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		c->err = xasprintf("%s: cannot encode the certificate",
		    c->path);
		goto out;
	}
	EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha1(), NULL);
	c->x5t = hash_b64url(md, mdlen);
	EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	c->x5t256 = hash_b64url(md, mdlen);
	/* RFC 7515 4.1.6: the leaf first, each the next one's issuer. */
	c->x5c = jv_array();
	for (i = -1; i < (ca != NULL ? sk_X509_num(ca) : 0) &&
	    i < MAX_CHAIN; i++) {
		if ((b64 = der_b64(i < 0 ? x : sk_X509_value(ca, i))) != NULL)
			c->x5c = jv_array_append(c->x5c, jv_string(b64));
		free(b64);
	}
out:
	if (c->err != NULL && c->key != NULL) {
		EVP_PKEY_free(c->key);
		c->key = NULL;
	}
	OPENSSL_free(der);
	X509_free(x);
	sk_X509_pop_free(ca, X509_free);
	buf_release(&file);
	wipe_free(pass);
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
char *
az_cert_assertion(const struct az_cert *c, const char *client_id,
    const char *token_url, char **why)
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
	/*
	 * The chain only when asked (subject name and issuer authentication),
	 * as the SDKs do: AZURE_CLIENT_SEND_CERTIFICATE_CHAIN "1" or "true"
	 * (Azure/azure-sdk-for-go, sdk/azidentity/environment_credential.go).
	 */
	if (c->send_chain)
		hd = jv_object_set(hd, jv_string("x5c"), jv_copy(c->x5c));
	hash_uuid4(uuid);
	pl = jv_object();
	pl = jv_object_set(pl, jv_string("aud"), jv_string(token_url));
	pl = jv_object_set(pl, jv_string("iss"), jv_string(client_id));
	pl = jv_object_set(pl, jv_string("sub"), jv_string(client_id));
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

void
az_cert_release(struct az_cert *c)
{
	free(c->path);
	EVP_PKEY_free(c->key);
	free(c->x5t);
	free(c->x5t256);
	jv_free(c->x5c);
	free(c->err);
	memset(c, 0, sizeof(*c));
	c->x5c = jv_invalid();
}
