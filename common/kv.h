/* kv.h: the Key Vault client: calls, names, vaults, versions, pre-flight. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_KV_H
#define VAULT2KV_KV_H

/*
 * The long options of a stage that writes secrets to Key Vault or reads
 * them back, one for each knob of the client and the format below: the
 * vault (kvset_new's default), the rate of other requests, JSON values
 * (kv_shape_value) and the expiry, with -n and -j; spelt and numbered
 * once, so that a migration is checked in the words it was written
 * with.  Such a stage numbers its own long options from KV_OPT_NEXT.
 */
enum {
	KV_OPT_EXPIRES = 256,
	KV_OPT_JSON,
	KV_OPT_RATE,
	KV_OPT_VAULT,
	KV_OPT_NEXT
};
#define KV_LONGOPTS							\
	{ "dry-run",	no_argument,		NULL, 'n' },		\
	{ "expires",	required_argument,	NULL, KV_OPT_EXPIRES },	\
	{ "jobs",	required_argument,	NULL, 'j' },		\
	{ "json",	no_argument,		NULL, KV_OPT_JSON },	\
	{ "rate",	required_argument,	NULL, KV_OPT_RATE },	\
	{ "vault",	required_argument,	NULL, KV_OPT_VAULT }

/*
 * kv.c: the Key Vault data plane: its challenge, calls, paged lists and
 * the causes of its refusals.
 */
/*
 * 1 when every URL of scopes (space-separated) is on vault_host or a
 * parent domain of it; else 0 and *bad, the first that is not (malloc'd).
 */
int	 kv_scope_ok(const char *vault_host, const char *scopes,
	    char **bad);

struct kv;
/*
 * vault is a name (https://NAME. and the Key Vault DNS suffix of the
 * credential's cloud: NAME.vault.azure.net in AzureCloud) or an https URL.
 */
struct kv *kv_new(struct http *, struct azure_cred *, const char *vault,
	    char **err);
void	 kv_free(struct kv *);
const char *kv_url(struct kv *);
/*
 * Pace secret writes (SetSecret) at rate/s; others at all_rate/s (0:
 * that class unpaced), one at a time: for a vault other writers share.
 */
void	 kv_set_budget(struct kv *, double write_rate, double all_rate);
/*
 * Or use a whole budget: at most writes secret writes, and others other
 * calls, in any window seconds (http_window_new), so that an idle vault
 * takes the first writes at once; a class given 0 keeps its pacing.
 * Each kv has its own pacers.
 */
void	 kv_set_window(struct kv *, int writes, int others, double window);
/*
 * And a budget shared with the run's other vaults (the subscription's):
 * each write, each other call, first waits for a token of write or all
 * (borrowed, outliving kv; NULL for none).
 */
void	 kv_set_shared_budget(struct kv *, struct http_bucket *write,
	    struct http_bucket *all);
/*
 * One data-plane call: path_query below the vault ("secrets/n",
 * "secrets?maxresults=25"); api-version is added.  A full https URL on
 * the vault's host (a nextLink) is taken as is.  Handles the 401
 * challenge (the resource must be of the vault's own domain), tokens and
 * one refresh on 401.  Returns the parsed body and *status, or invalid
 * with a message (the message never carries a value).
 */
jv	 kv_call(struct kv *, const char *method, const char *path_query,
	    jv body /* consumed */, long *status);
/*
 * Every item of a paged list (follows nextLink until null, empty pages
 * included): an array, or invalid with a message.  *status (may be NULL)
 * is the last answer's HTTP status, 0 when none came: 404 when the list's
 * owner is not there.
 */
jv	 kv_list_all(struct kv *, const char *path_query, long *status);
/*
 * Why Key Vault refused, or could not be reached.  The library says what
 * happened; what to do about it is the tool's (kv_set_cures).
 */
enum kv_cause {
	KV_CAUSE_NONE,
	KV_CAUSE_UNRESOLVED,		/* the vault's host does not resolve */
	KV_CAUSE_RBAC,			/* 403 ForbiddenByRbac */
	KV_CAUSE_ACCESS_POLICY,		/* 403 AccessDenied */
	KV_CAUSE_FIREWALL,		/* 403 ForbiddenByFirewall */
	KV_CAUSE_CONNECTION,		/* 403 ForbiddenByConnection */
	KV_CAUSE_DISABLED,		/* 403 SecretDisabled */
	KV_CAUSE_DELETED,		/* 409 ObjectIsDeletedButRecoverable */
	KV_CAUSE_BUSY,			/* 409 being deleted or recovered */
	KV_CAUSE_TOO_LARGE,		/* 413, or a message saying so */
	KV_CAUSE_BAD_NAME,		/* 400 invalid name */
	KV_CAUSE_THROTTLED,		/* 429 after every retry */
	KV_CAUSE_TOKEN,			/* 401 */
	KV_CAUSE_NOT_FOUND,		/* 404 SecretNotFound */
	KV_CAUSE_COUNT
};
/* The cause of a failed data-plane answer. */
enum kv_cause kv_cause(jv body /* borrowed */, long status);
/*
 * A message for a failed data-plane answer: what the service said
 * (ForbiddenByRbac, ForbiddenByFirewall, bad name, value too large, ...),
 * then ": " and the tool's cure of its cause, if it has one.
 */
char	*kv_errmsg(jv body /* borrowed */, long status);
/*
 * The tool's cures, indexed by cause (KV_CAUSE_COUNT entries, NULL where
 * it has none), in its own terms: kv_errmsg and kv_call's messages end
 * with them.  Set once, before the first call; the table is borrowed.
 */
void	 kv_set_cures(const char *const *table);

/* The message of an invalid kv_call or kv_list_all result; malloc'd. */
char	*kv_call_msg(jv r /* consumed */);
/* error.innererror.code of a Key Vault answer, or "" (borrowed). */
const char *kv_inner_code(jv body /* borrowed */);

/*
 * kvname.c: the record <-> Key Vault format: secret and vault names,
 * how a record's data becomes a value, the tags and where the secrets
 * came from.  No network code, so that kv-name links without it.
 */
/*
 * Secret names match ^[0-9A-Za-z-]{1,127}$ (about-keys-secrets-
 * certificates.md) and compare without regard to case (Key Vault REST
 * API: "Secret names are case-insensitive",
 * about-keys-secrets-certificates.md).
 */
#define KV_NAME_MAX	127
int	 kv_name_valid(const char *);
/* A vault's name: 3 to 24 letters, digits and '-' (what kv_new takes). */
int	 kv_vault_name_valid(const char *);
/* A tag of a secret bundle or item, or NULL (borrowed from item). */
const char *kv_tag(jv item /* borrowed */, const char *name);
/* Its vault-version tag as a number > 0, else -1. */
long	 kv_tag_version(jv item /* borrowed */);
/* A record's "mount/path" as the vault-path tag holds it, or NULL. */
char	*kv_record_vpath(jv rec /* borrowed */);

/*
 * How a record's data becomes a Key Vault value (kv-put writes it,
 * kv-check compares it): one key and !json: the value as a plain string
 * ("text/plain"), a non-string as its JSON text; else the whole object
 * as compact JSON ("application/json").  JSON is written with sorted
 * keys, so the same data always gives the same value.  A value is
 * counted bytes (*len; a NUL follows them): it may hold U+0000, which
 * goes out as \u0000.  Returns a malloc'd value the caller wipes
 * (wipe_freen), or NULL with *err.
 */
#define KV_MAX_VALUE	25600	/* bytes: "25 KB" in about-secrets.md */
char	*kv_shape_value(jv data /* borrowed */, int json,
	    const char **content_type, size_t *len, char **err);
/*
 * The tags kv-put writes on every version (kv-check reads them back),
 * and the value of migrated-from.
 */
#define KV_TAG_FROM	"migrated-from"
#define KV_TAG_PATH	"vault-path"		/* mount/path */
#define KV_TAG_VERSION	"vault-version"		/* the KV v2 version */
#define KV_TAG_DATE	"migration-date"	/* YYYY-MM-DD */
/*
 * The record's Vault namespace (full path), only on records that have
 * one: the source's identity is (migrated-from, vault-namespace,
 * vault-path), and a record without a namespace keeps the tags it had.
 */
#define KV_TAG_NS	"vault-namespace"
#define KV_MIGRATED_FROM "hashicorp-vault"	/* source unknown */
/*
 * The value of migrated-from: the source Vault's address (VAULT_ADDR,
 * lower case, no trailing '/'), so that kv-check --orphans tells several
 * source Vaults apart; KV_MIGRATED_FROM when VAULT_ADDR is unset, as on
 * the import side of a split-site migration.  malloc'd.
 */
char	*kv_migrated_from(void);
/*
 * The vault to use: given (--vault), else KEY_VAULT_NAME; NULL when that
 * is unset or empty.
 */
const char *kv_target(const char *given);

/*
 * kvvault.c: the vault a record goes to (its "vault" field: a name or an
 * https URL), in one spelling, and the hosts that may be one.
 */
/*
 * The canonical form: a name in lower case; a URL as
 * https://HOST[:PORT][/PATH], the host in lower case, no port for 443,
 * no trailing '/'.  malloc'd, or NULL and a malloc'd *err.
 */
char	*kv_vault_canon(const char *vault, char **err);
/* 0 if vault is a vault's name, else -1 and a malloc'd *err saying so. */
int	 kv_vault_name_check(const char *vault, char **err);
/*
 * A record's vault field (not NULL) made canonical, or NULL and a
 * malloc'd *err ("vault is empty", "vault ...").
 */
char	*kv_vault_field(const char *vault, char **err);
/*
 * What tells vaults apart (canon borrowed): https://NAME.vault.azure.net,
 * or of another cloud's Key Vault domain, is NAME, as a name is;
 * any other URL is itself.  malloc'd.
 */
char	*kv_vault_key(const char *canon);
/*
 * May a record's vault (canonical) be written to?  A name, or a URL on a
 * cloud's Key Vault domain (NAME.vault.azure.net, ...); else only the
 * trusted vault (the operator's default, canonical URL, may be NULL)
 * and its siblings: the same parent domain and port.  1, or 0 and a
 * malloc'd *err.
 */
int	 kv_vault_host_ok(const char *canon, const char *trusted,
	    char **err);

/*
 * kvset.c: the vaults of one run, each its own Key Vault client (its own
 * write budget, pacing and connections), made when a record first names
 * it, all under one budget five times a vault's (the subscription's).
 * Thread-safe.
 */
struct kvvault {
	struct kv	*kv;		/* NULL when it could not be made */
	char		*url;		/* canonical (kv_vault_canon) URL */
	char		*key;		/* kv_vault_key */
	char		*err;		/* why it could not be made */
	void		*data;		/* the tool's */
	int		 idx;		/* 0, 1, ... in the order made */
};
struct kvset;
/*
 * The set, with the default vault dflt (--vault, KEY_VAULT_NAME; NULL
 * for none), the budgets of each vault (per second; 0 for none).  NULL
 * and a malloc'd *err when dflt cannot be a vault.
 */
struct kvset *kvset_new(struct http *, struct azure_cred *, const char *dflt,
	    double write_rate, double all_rate, char **err);
void	 kvset_free(struct kvset *);
/*
 * Key Vault's published budgets per vault (learn.microsoft.com, Key
 * Vault service limits): "Secret CREATE" 300 and all other transactions
 * 4,000 per 10 seconds, counted here as the table counts them.
 */
#define WRITE_BUDGET	300
#define ALL_BUDGET	4000
#define BUDGET_WINDOW	10
/*
 * Whole budgets for every vault of the set, made or to be made
 * (kv_set_window: writes per wwindow s, others per awindow s; 0 keeps a
 * class's pacing), and the subscription's five times as much.
 */
void	 kvset_set_window(struct kvset *, int writes, double wwindow,
	    int others, double awindow);
/* The default vault, or NULL. */
struct kvvault *kvset_default(struct kvset *);
/*
 * The vault of a record whose "vault" field is vault (NULL: it has
 * none, the default's), made on first use (*fresh 1 then): checked by
 * kv_vault_canon and kv_vault_host_ok against the default.  NULL and a
 * malloc'd *err ("vault ...: why") when it is bad or no vault is given.
 */
struct kvvault *kvset_get(struct kvset *, const char *vault, int *fresh,
	    char **err);
/*
 * The vault of record rec (borrowed): its "vault" field, when there a
 * string, to kvset_get.  NULL and a malloc'd *err as kvset_get, or when
 * the field is not a string.
 */
struct kvvault *kvset_route(struct kvset *, jv rec, int *fresh,
	    char **err);
/*
 * A vault its records cannot use: its data becomes "vault URL: why",
 * said once as an error; why (malloc'd) is freed.
 */
void	 kvset_refuse(struct kvvault *, char *why);
/* Free every vault's data, a malloc'd string or NULL. */
void	 kvset_free_data(struct kvset *);
/* fn for each vault made, in that order, until it returns non-zero. */
int	 kvset_iterate(struct kvset *,
	    int (*fn)(struct kvvault *, void *arg), void *arg);

/*
 * kvver.c: the versions of one Key Vault secret (its current version,
 * its history with their tags and attributes, a version's value read on
 * demand) and the ids that name them.
 *
 * An object id as the service writes it: https://VAULT/COLL/NAME[/VERSION]
 * (a SecretBundle's or SecretItem's "id": COLL "secrets"; a deleted
 * secret's "recoveryId": "deletedsecrets"), or a vault's URL alone.
 * Segments are %-decoded, then checked: COLL letters, NAME a secret name,
 * VERSION letters and digits.  A query or fragment and one trailing '/'
 * are ignored.
 */
struct kv_id {
	char	*vault;		/* "https://HOST[:PORT]", as given */
	char	*vault_name;	/* NAME of https://NAME.vault.DOMAIN, or NULL */
	char	*coll;		/* "secrets", "deletedsecrets", ..., or NULL */
	char	*name;		/* or NULL */
	char	*version;	/* or NULL: the id names no version */
};
/* 0 and *id (malloc'd parts), or -1 when s is not such an id (*id empty). */
int	 kv_id_parse(const char *s, struct kv_id *id);
void	 kv_id_release(struct kv_id *);
/*
 * The version a secret id names, if it names one of secret name: 0 and
 * *version (malloc'd, NULL for an id without a version); -1 when s is
 * not a secret id of that name.
 */
int	 kv_id_version(const char *s, const char *name, char **version);

/* One version of a secret, as a SecretBundle or a SecretItem says. */
struct kvver {
	char	*id;		/* its id, or NULL */
	char	*version;	/* the id's VERSION, "" when none */
	long	 vv;		/* vault-version tag (> 0), or -1 */
	char	*vpath;		/* vault-path tag, or NULL */
	char	*vns;		/* vault-namespace tag, NULL if none or "" */
	char	*ctype;		/* content type, or NULL */
	int	 enabled;
	int	 has_exp;
	double	 exp;		/* seconds since the epoch */
	double	 created;
	double	 updated;
	/*
	 * A bundle's value, its len bytes (NULs included, a NUL follows):
	 * NULL when the answer held no string.  Wiped by kvver_release.
	 */
	char	*value;
	size_t	 len;
	int	 idx;		/* place in the service's list */
};
/* Fill v from a bundle or an item (borrowed), value included. */
void	 kvver_take(struct kvver *v, jv item /* borrowed */);
void	 kvver_release(struct kvver *);
/*
 * Read a version of name with its value (version NULL or "": the current
 * one).  KVVER_READ and *v; KVVER_ABSENT, 404: the vault does not hold
 * it; KVVER_DISABLED, 403 SecretDisabled: its value cannot be read, and
 * *err says so for a caller to whom that is a failure; -1 failed with a
 * malloc'd *err.  *status is the HTTP status, 0 when none came.
 */
#define KVVER_ABSENT	0
#define KVVER_READ	1
#define KVVER_DISABLED	2
int	 kvver_read(struct kv *, const char *name, const char *version,
	    struct kvver *v, long *status, char **err);

/*
 * Every version of a secret, oldest first: by creation time, then, among
 * versions created in the same second (kv-put writes a history faster),
 * the tagged ones in the order of their vault-version tags, in the places
 * the tagged ones hold; the rest keep the service's order.  No values.
 */
struct kvvers {
	struct kvver	*v;
	int		 n;
};
/*
 * List them: 0 and *status (404: the vault does not hold the name, which
 * has none), or -1 with *status and a malloc'd *err.
 */
int	 kvver_list(struct kv *, const char *name, struct kvvers *,
	    long *status, char **err);
void	 kvvers_release(struct kvvers *);
/* Add a version just written, as the newest; id is copied. */
void	 kvvers_add(struct kvvers *, const char *id, long vv,
	    const char *vpath, const char *ns);
/* The newest version whose VERSION is version (any case), or -1. */
int	 kvvers_find(const struct kvvers *, const char *version);
/*
 * The newest version tagged vault-version vv and, unless vpath is NULL,
 * of that source: vault-path vpath and vault-namespace ns (NULL: none);
 * or -1.
 */
int	 kvvers_find_tag(const struct kvvers *, long vv, const char *vpath,
	    const char *ns);

/*
 * preflight.c: what a dry run checks of a target vault before a bulk
 * run, writing nothing: that it answers; what Resource Manager says of
 * it (permission model, soft-delete retention, purge protection); what
 * the identity may do there (Resource Manager's permissions API, else
 * requests that change nothing); how long the run will take.
 */
#define PREFLIGHT_MAX		8	/* needs of one tool */
/*
 * Key Vault's data actions on secrets: getSecret/action, readMetadata/
 * action (list), setSecret/action, recover/action (learn.microsoft.com/
 * azure/key-vault/general/rbac-guide, and the data actions table of Key
 * Vault's ABAC conditions page).
 */
#define KV_DATA_SECRETS		"Microsoft.KeyVault/vaults/secrets/"
#define PREFLIGHT_NO_PROBE	0	/* cannot be probed without writing */
#define PREFLIGHT_PROBE_LIST	1	/* GET secrets?maxresults=1 */
#define PREFLIGHT_PROBE_GET	2	/* GET of a name nobody has: 404 */
#define PREFLIGHT_UNKNOWN	0
#define PREFLIGHT_ALLOWED	1
#define PREFLIGHT_DENIED	2
/* An operation the run needs; a tool's table ends with action NULL. */
struct preflight_need {
	const char	*action;	/* "Microsoft.KeyVault/vaults/..." */
	int		 data;		/* a data action, else a control one */
	const char	*verb;		/* "set secrets", for messages */
	const char	*role;		/* the built-in role that grants it */
	const char	*policy;	/* the access-policy permission, "set" */
	int		 probe;		/* PREFLIGHT_*PROBE* */
};
struct preflight {
	const struct preflight_need *needs;
	const char	*vault;		/* name or URL, as given */
	const char	*url;		/* the vault's URL, when a kv was given */
	char		*id;		/* its resource id: in, when known */
	int		 rbac;		/* 1 RBAC, 0 access policies, -1 unknown */
	int		 retention;	/* soft-delete days, 0 none, -1 unknown */
	int		 purge_protection;	/* 1, 0, -1 unknown */
	int		 from_arm;	/* Resource Manager answered it all */
	char		*arm_note;	/* why not, or NULL */
	jv		 perms;		/* the permissions API's entries */
	int		 state[PREFLIGHT_MAX];	/* PREFLIGHT_ALLOWED, ... */
	/*
	 * One problem record a line: {"preflight":"vault"|"permission",
	 * "vault":URL, "missing":ACTION, "grant":ROLE, "source":
	 * "resource-manager"|"probe", "error":{...}}; its error message
	 * starts with the vault's URL.
	 */
	jv		 problems;
	char		*facts;		/* one line of what was found */
};
void	 preflight_init(struct preflight *, const struct preflight_need *,
	    const char *vault);
void	 preflight_release(struct preflight *);
/*
 * Check the vault through kv (NULL: Resource Manager only) and arm (NULL:
 * probes only; the vault is looked up in subscription sub unless pf->id
 * is set).  0 when no problem was found, else -1.
 */
int	 preflight_run(struct preflight *, struct kv *, struct arm *,
	    const char *sub);
/* A problem of the tool's own finding, of kind ("arm", ...). */
void	 preflight_add(struct preflight *, const char *kind, const char *fmt,
	    ...) V2K_PRINTF(3, 4);
/*
 * preflight_run for kv-put and kv-check: Resource Manager asked when
 * AZURE_SUBSCRIPTION_ID names the subscription, on an engine of its own
 * that gives up quickly (the probes are the fallback).
 */
int	 preflight_kv(struct preflight *, struct kv *, struct azure_cred *);
/*
 * The one function here that writes: each problem as a line on stderr
 * (even with -q) and its record on stdout (rec_emit), then the facts
 * line (unless -q).  Returns the number of problems.
 */
int	 preflight_emit(struct preflight *);
/*
 * Do the entries of a permissions API answer (borrowed) allow action:
 * one entry's (data)actions match it and the same entry's not(Data)Actions
 * do not?  '*' matches any run of characters, case ignored.
 */
int	 preflight_allows(jv perms /* borrowed */, const char *action,
	    int data);
/*
 * Seconds n requests take at a budget per window: budget at once, then
 * budget/window a second (Key Vault counts per 10 s).
 */
double	 preflight_duration(double n, double budget, double window);
/* "under 10 s", "19 s", "3 min 20 s", "2 h 5 min"; malloc'd. */
char	*preflight_seconds(double s);

#endif
