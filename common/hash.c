/* hash.c: digests, UUIDs and the encodings that URLs and JWTs need. */

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common.h"

static const char hexdig[] = "0123456789abcdef";

void
hash_sha256(const void *p, size_t n, unsigned char out[32])
{
	if (EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

void
hash_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	int i;

	hash_sha256(p, n, md);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hexdig[md[i] >> 4];
		out[2 * i + 1] = hexdig[md[i] & 0xf];
	}
	out[64] = '\0';
}

static void
uuid_format(const unsigned char u[16], char out[37])
{
	char *o = out;
	int i;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hexdig[u[i] >> 4];
		*o++ = hexdig[u[i] & 0xf];
	}
	*o = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

/* RFC 4122 section 4.3: SHA-1 over the namespace's bytes and the name. */
void
hash_uuid5(const char *ns, const void *name, size_t len, char out[37])
{
	unsigned char u[16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	EVP_MD_CTX *ctx;
	int i;

	memset(u, 0, sizeof(u));
	for (i = 0; i < 32 && *ns != '\0'; ns++) {
		if (*ns == '-')
			continue;
		u[i / 2] |= hexval(*ns) << (i % 2 ? 0 : 4);
		i++;
	}
	memset(md, 0, sizeof(md));
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		    EVP_DigestUpdate(ctx, u, sizeof(u)) == 1 &&
		    EVP_DigestUpdate(ctx, name, len) == 1)
			EVP_DigestFinal_ex(ctx, md, &mdlen);
		EVP_MD_CTX_free(ctx);
	}
	md[6] = (md[6] & 0x0f) | 0x50;
	md[8] = (md[8] & 0x3f) | 0x80;
	uuid_format(md, out);
}

void
hash_uuid4(char out[37])
{
	unsigned char u[16];

	if (RAND_bytes(u, sizeof(u)) != 1 &&
	    getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		abort();	/* no entropy at all: nothing sane to return */
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	uuid_format(u, out);
}

char *
hash_b64url(const void *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = p;
	char *out, *o;
	unsigned long v;
	size_t i;

	o = out = xmalloc(n / 3 * 4 + 5);
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)s[i] << 16;
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (unsigned long)s[i] << 16 | s[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

/* RFC 3986 section 2.3: only the unreserved characters stay as they are. */
char *
hash_urlencode(const char *s)
{
	static const char up[] = "0123456789ABCDEF";
	const unsigned char *p;
	char *out, *o;

	o = out = xmalloc(strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
			*o++ = *p;
		} else {
			*o++ = '%';
			*o++ = up[*p >> 4];
			*o++ = up[*p & 0xf];
		}
	}
	*o = '\0';
	return out;
}
