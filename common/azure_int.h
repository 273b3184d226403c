/* azure_int.h: internals of the Azure files of common; no tool includes it. */

#ifndef VAULT2KV_AZURE_INT_H
#define VAULT2KV_AZURE_INT_H

#include <time.h>

#include <openssl/evp.h>

#include "common.h"

/*
 * azhttp.c: what the credentials, Key Vault and Resource Manager share.
 */
/* An environment variable, NULL when unset or empty. */
const char *az_env(const char *name);
char	*az_env_dup(const char *name);	/* malloc'd, or NULL */
/* The first sentence or line of a service message, cleaned; malloc'd. */
char	*az_sentence(const char *s, size_t max);
int	 az_ends_with(const char *s, const char *suffix);
/* A number from a JSON number or a numeric string: 1, else 0. */
int	 az_jnum(jv o /* borrowed */, const char *k, double *out);

/*
 * URL pieces: scheme (lowercase), the authority, the host (lowercase,
 * no port, no brackets) and where the path starts.  -1 if malformed.
 */
struct az_url {
	char		*scheme;
	char		*authority;
	char		*host;
	const char	*rest;		/* path and query */
};
int	 az_url_parse(const char *s, struct az_url *u);
void	 az_url_release(struct az_url *u);
/* Is host an IPv4 or IPv6 address (no brackets)? */
int	 az_is_ip(const char *host);

void	 az_req_init(struct http_req *r, const char *method, const char *url);
/* The parsed body; null when empty; invalid when not JSON. */
jv	 az_parse_body(const struct buf *b);
/*
 * The body of an answer from who: null when empty, or when an error
 * status comes with a body that is not JSON; invalid when a success
 * comes with one, or with JSON that is not an object.
 */
jv	 az_answer_body(const struct http_req *r, const char *who);
/*
 * all with the items ("value") of one page of a list answer (borrowed)
 * appended, or invalid (all freed) when the page is not an object or
 * its items are not all objects.
 */
jv	 az_page_items(jv all /* consumed */, jv page, const char *who);
/* A message for a transport failure of a request to what; malloc'd. */
char	*az_transport_msg(const char *what, const struct http_req *r);
/* error.code, error.innererror.code and error.message of a body. */
void	 az_codes(jv body /* borrowed */, char **code, char **inner,
	    char **message);
/* a is b, regardless of ASCII case; a may be NULL. */
int	 az_eq(const char *a, const char *b);
/* body (consumed) as compact JSON into a new payload; none if invalid. */
void	 az_payload(jv body, struct buf *payload);

/*
 * One authenticated call: get a token, send, and on a 401 get a fresh
 * token and send once more.  The token is for scope (tenant NULL), or
 * for what target says before each try (malloc'd scope and tenant, the
 * tenant may be NULL).  challenged, when set, is given a 401's
 * WWW-Authenticate value before the retry: -1 with *err stops the call.
 */
struct az_call {
	struct http	*http;
	struct azure_cred *cred;
	const char	*method;
	const char	*url;
	const struct buf *payload;
	struct http_bucket *bucket;	/* or NULL */
	const char	*scope;
	void		(*target)(void *arg, char **scope, char **tenant);
	int		(*challenged)(void *arg, const char *hdr, char **err);
	void		*arg;
};
/*
 * 0: r holds the answer, any status; -2: no answer, r says why; the
 * caller releases r then.  -1 and a malloc'd *err (no token, a refused
 * challenge): r is not to be used.
 */
int	 az_authed_call(const struct az_call *, struct http_req *r,
	    char **err);

/*
 * azcred.c: a token as a credential hands it back, and how one attempt
 * of a credential ended.
 */
struct az_tokres {
	char	*value;
	time_t	 expires_on;
};
#define AZ_GOT_TOKEN	0
#define AZ_UNAVAILABLE	(-1)	/* not configured here */
#define AZ_FAILED	(-2)	/* configured, but it did not work */
/*
 * A token for (scope, tenant).  stale is a token the caller saw
 * rejected: it is not handed out again.  force refreshes regardless.
 * malloc'd, or NULL and *err.
 */
char	*azure_cred_token(struct azure_cred *, const char *scope,
	    const char *tenant, const char *stale, int force, char **err);

/*
 * azcli.c: AzureCliCredential, az account get-access-token run as a
 * child: AZ_GOT_TOKEN with *out, else AZ_UNAVAILABLE or AZ_FAILED and
 * a malloc'd *why.
 */
int	 azcli_token(const char *scope, const char *tenant,
	    struct az_tokres *out, char **why);

/*
 * azcert.c: a client certificate (PEM or PKCS#12, told by content), its
 * thumbprints and chain, and the client assertion it signs.
 */
struct az_cert {
	char		*path;		/* AZURE_CLIENT_CERTIFICATE_PATH */
	EVP_PKEY	*key;		/* NULL: unusable, err says why */
	char		*x5t;		/* SHA-1 of the DER, base64url */
	char		*x5t256;	/* base64url SHA-256 */
	jv		 x5c;		/* the chain, leaf first, base64 DER */
	int		 send_chain;	/* AZURE_CLIENT_SEND_CERTIFICATE_CHAIN */
	char		*err;		/* why the certificate is unusable */
};
void	 az_cert_load(struct az_cert *);
/* The JWT (RS256, x5t, x5t#S256, x5c when asked) for token_url, or NULL. */
char	*az_cert_assertion(const struct az_cert *, const char *client_id,
	    const char *token_url, char **why);
void	 az_cert_release(struct az_cert *);	/* frees, zeroes */

#endif
