/* vault.h: the Vault (and OpenBao) client, its calls, its ACL policies. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_VAULT_H
#define VAULT2KV_VAULT_H

/*
 * vaultenv.c: the HashiCorp Vault (and OpenBao) client and its
 * configuration.  Reads VAULT_ADDR (VAULT_AGENT_ADDR wins), VAULT_TOKEN
 * (else VAULT_TOKEN_PATH or ~/.vault-token), VAULT_NAMESPACE,
 * VAULT_CACERT, VAULT_CACERT_BYTES, VAULT_CAPATH, VAULT_CLIENT_CERT,
 * VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY,
 * VAULT_MAX_RETRIES, VAULT_RATE_LIMIT, VAULT_PROXY_ADDR,
 * VAULT_HTTP_PROXY, VAULT_SRV_LOOKUP; each as BAO_* first, as OpenBao's
 * client does.  What the Vault files share is in vault_int.h, which no
 * tool includes.
 */
struct vault;
/*
 * The name to read for a variable of the family ("ADDR",
 * "CLIENT_TIMEOUT", ...): "BAO_ADDR" when that is set, even empty, else
 * "VAULT_ADDR".
 */
const char *vault_envname(const char *what);
/* NULL and a malloc'd *err (naming the variable, never the token). */
struct vault *vault_new(struct http *, char **err);
void	 vault_free(struct vault *);		/* wipes the token */
/* VAULT_ADDR as messages show it: without a user:password@. */
const char *vault_addr(struct vault *);
/*
 * The i-th warning about the set-up (http:// to a host that is not
 * loopback, VAULT_SKIP_VERIFY), NULL past the last: the tool prints them.
 */
const char *vault_warning(struct vault *, int i);
/* VAULT_NAMESPACE without slashes at its ends, or NULL when unset. */
const char *vault_namespace(struct vault *);

/*
 * vault.c: the client's calls over the engine, and what it makes of
 * Vault's answers.  Renews a renewable token before it expires
 * (auth/token/renew-self).
 */
/*
 * One API call: path below /v1/ ("sys/mounts", "secret/metadata/app"),
 * raw: each segment is percent-encoded here, '/' kept.  Returns the
 * parsed body (an object, or null for an empty body) and *status; an
 * invalid jv with a message for a transport error (*status 0) or a body
 * that is not JSON.  body may be jv_invalid() for none.
 */
jv	 vault_call(struct vault *, const char *method, const char *path,
	    jv body /* consumed */, long *status);
/* The same with a query string ("version=3"), already encoded, or NULL. */
jv	 vault_callq(struct vault *, const char *method, const char *path,
	    const char *query, jv body /* consumed */, long *status);
/*
 * The same in namespace ns (full path from the root, "team-a/sub"; ""
 * the root namespace), sent as X-Vault-Namespace in place of
 * VAULT_NAMESPACE; ns NULL is VAULT_NAMESPACE's.  A namespace with a
 * control character is refused (an invalid jv, *status 0).
 */
jv	 vault_callns(struct vault *, const char *ns, const char *method,
	    const char *path, const char *query, jv body /* consumed */,
	    long *status);
/*
 * The first message of a Vault {"errors":[..]} body, cleaned up
 * ("permission denied; invalid token"), "not found" for a bare 404, or
 * a generic one; malloc'd.
 */
char	*vault_errmsg(jv body /* borrowed */, long status);
/*
 * Reach Vault (auth/token/lookup-self, three quick tries): 0 when it
 * answered and did not reject the token, else -1 and a malloc'd *err.
 */
int	 vault_ping(struct vault *, char **err);
/*
 * The KV mount holding path in namespace ns (as vault_callns; NULL for
 * VAULT_NAMESPACE's), as the Vault CLI finds it
 * (sys/internal/ui/mounts/PATH; a 404 means an old server and KV v1 at
 * the first segment).  0 with a malloc'd *mount (no slashes at its ends)
 * and *kv (1 or 2); else -1 with *status (0: Vault not reached) and a
 * malloc'd *err.  A mount that is not KV is an error.
 */
int	 vault_mount_of(struct vault *, const char *ns, const char *path,
	    char **mount, int *kv, long *status, char **err);
/*
 * What Vault says of the mount holding path, whatever its type, for a
 * tool that must not guess: 0 with a malloc'd *type ("kv", "token",
 * "database", ...), *kv (1 or 2 for a KV engine, else 0) and a malloc'd
 * *mount (no slashes at its ends, the namespace part dropped; Vault's
 * path as given when it does not prefix path); else -1 with *status (0:
 * Vault not reached; 404: a server without the endpoint) and *err.
 */
int	 vault_mount_info(struct vault *, const char *ns, const char *path,
	    char **mount, char **type, int *kv, long *status, char **err);
/* Is path the mount or below it: its whole segments (mount not empty)? */
int	 vault_in_mount(const char *path, const char *mount);
/* State of one entry of a KV v2 metadata "versions" map or read. */
#define VAULT_LIVE	0
#define VAULT_DELETED	1	/* deletion_time passed */
#define VAULT_DESTROYED	2
int	 vault_version_state(jv meta /* borrowed */);

/*
 * policy.c: Vault ACL policies (HCL or JSON) parsed, and request paths
 * matched against them as Vault's ACL does (hashicorp/vault vault/acl.go,
 * vault/policy.go; developer.hashicorp.com/vault/docs/concepts/policies,
 * "Priority matching").
 */
#define POL_DENY	0x001
#define POL_CREATE	0x002
#define POL_READ	0x004
#define POL_UPDATE	0x008
#define POL_DELETE	0x010
#define POL_LIST	0x020
#define POL_SUDO	0x040
#define POL_PATCH	0x080
#define POL_SUBSCRIBE	0x100
#define POL_RECOVER	0x200
struct pol_rule {
	char		*path;		/* as written, without a leading '/' */
	unsigned	 caps;		/* POL_*; deny alone when denied */
};
struct policy {
	char		*name;		/* set by the caller, freed by it */
	const char	*ns;		/* "" or "team-a/" (ends in '/') */
	struct pol_rule	*rules;
	size_t		 n;
	int		 templated;	/* a path holds {{...}} */
	char		*conditions;	/* the first parameter or TTL limit */
};
/*
 * Parse text into pol's rules (pol zeroed, name and ns set by the
 * caller): 0, or -1 with a malloc'd *err naming the line or path.
 */
int	 policy_parse(struct policy *pol, const char *text, char **err);
void	 policy_release(struct policy *);	/* not name */
/* The capabilities as a policy lists them, quoted, ", " between; malloc'd. */
char	*policy_caps_str(unsigned caps);
/* One pattern of an ACL, merged from the rules of its policies. */
#define ACL_EXACT	0
#define ACL_PREFIX	1	/* ended in '*', which key lacks */
#define ACL_SEGMENT	2	/* holds a '+' segment; key as written */
struct acl_src {
	const struct policy	*pol;
	const struct pol_rule	*rule;
};
struct acl_entry {
	char		*key;		/* full path: namespace, then rule */
	int		 kind;
	unsigned	 caps;
	struct acl_src	*src;		/* the rules that made it */
	size_t		 nsrc;
};
struct acl;
struct acl *acl_new(void);
void	 acl_free(struct acl *);
/*
 * Add pol's rules but the templated ones ({{identity...}}), which name no
 * path until someone logs in; pol must outlive the ACL.
 */
void	 acl_add(struct acl *, const struct policy *pol);
/*
 * The entry that governs a request to path (full path, namespace first;
 * list: a LIST, path ending in '/'), or NULL.
 */
const struct acl_entry *acl_match(const struct acl *, const char *path,
	    int list);
/* Its capabilities, 0 when none or denied; *e the entry (may be NULL). */
unsigned acl_caps(const struct acl *, const char *path, int list,
	    const struct acl_entry **e);

#endif
