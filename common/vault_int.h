/* vault_int.h: internals of the Vault files of common; no tool includes it. */

#ifndef VAULT2KV_VAULT_INT_H
#define VAULT2KV_VAULT_INT_H

#include <pthread.h>
#include <time.h>

#include "common.h"

#define VLT_NWARN	8	/* warnings about the set-up, at most */

/*
 * The client: what vaultenv.c reads from the environment at vault_new,
 * and what vault.c keeps of the token's life as the calls go.
 */
struct vault {
	struct http	*http;
	char		*addr;		/* VAULT_ADDR without a final / */
	char		*shown;		/* the same without user:password@ */
	char		*proxy;		/* VAULT_PROXY_ADDR, or NULL */
	/* About the set-up, NULL-terminated. */
	char		*warn[VLT_NWARN];
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

#endif
