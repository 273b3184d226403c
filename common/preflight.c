/* preflight.c: a dry run's checks of a target vault before a bulk run. */

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

/* Key Vault's ARM api-version; the permissions API's. */
#define API_VAULTS	"2023-07-01"
#define API_AUTHZ	"2022-04-01"
/* A pre-flight asks Resource Manager quickly: it falls back to probes. */
#define ARM_RETRIES	2

/*
 * An operation string against a pattern of Actions or DataActions: '*'
 * stands for any run of characters ("Microsoft.KeyVault/vaults/secrets/"
 * then '*'), and the provider's names are compared without regard to
 * case (learn.microsoft.com/azure/role-based-access-control/
 * role-definitions, "Actions" and "Wildcard permissions").
 */
static int
op_match(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			back = s;
		} else if (*p != '\0' && tolower((unsigned char)*p) ==
		    tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++back;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* Is pattern (a list's item) a string that matches action? */
static int
pattern_matches(jv pattern, const void *action)
{
	return jv_get_kind(pattern) == JV_KIND_STRING &&
	    op_match(jv_string_value(pattern), action);
}

/* Does a pattern of perm's list field match action? */
static int
list_matches(jv perm, const char *field, const char *action)
{
	jv l;
	int hit;

	l = jv_object_get(jv_copy(perm), jv_string(field));
	hit = rec_array_any(l, pattern_matches, action);
	jv_free(l);
	return hit;
}

struct allows {
	const char	*action;
	int		 data;
};

/* Does one role's permissions (perm) allow what al asks? */
static int
perm_allows(jv perm, const void *arg)
{
	const struct allows *al = arg;

	return jv_get_kind(perm) == JV_KIND_OBJECT &&
	    list_matches(perm, al->data ? "dataActions" : "actions",
	    al->action) &&
	    !list_matches(perm, al->data ? "notDataActions" : "notActions",
	    al->action);
}

int
preflight_allows(jv perms, const char *action, int data)
{
	struct allows al = { action, data };

	/*
	 * Each entry is one role's permissions: its NotActions are taken
	 * from its own Actions only, and another role may grant what one
	 * leaves out (role-definitions, "NotActions").
	 */
	return rec_array_any(perms, perm_allows, &al);
}

double
preflight_duration(double n, double budget, double window)
{
	if (budget <= 0 || window <= 0 || n <= budget)
		return 0;
	return (n - budget) * window / budget;
}

char *
preflight_seconds(double s)
{
	long t = (long)(s + 0.5);

	/* Within the first budget: as fast as the answers come. */
	if (t < 10)
		return xstrdup("under 10 s");
	if (t < 120)
		return xasprintf("%ld s", t);
	if (t < 7200)
		return xasprintf("%ld min %ld s", t / 60, t % 60);
	return xasprintf("%ld h %ld min", t / 3600, t % 3600 / 60);
}

void
preflight_init(struct preflight *pf, const struct preflight_need *needs,
    const char *vault)
{
	memset(pf, 0, sizeof(*pf));
	pf->needs = needs;
	pf->vault = vault;
	pf->rbac = pf->retention = pf->purge_protection = -1;
	pf->perms = jv_null();
	pf->problems = jv_array();
}

void
preflight_release(struct preflight *pf)
{
	free(pf->id);
	free(pf->arm_note);
	free(pf->facts);
	jv_free(pf->perms);
	jv_free(pf->problems);
	memset(pf, 0, sizeof(*pf));
}

/* A problem record: kind, and the message its error carries (freed). */
static void
problem(struct preflight *pf, const char *kind, const struct preflight_need
    *nd, const char *grant, const char *source, long status, char *msg)
{
	jv r;

	r = jv_object_set(jv_object(), jv_string("preflight"),
	    jv_string(kind));
	r = jv_object_set(r, jv_string("vault"), jv_string(pf->url != NULL ?
	    pf->url : pf->vault));
	if (nd != NULL)
		r = jv_object_set(r, jv_string("missing"),
		    jv_string(nd->action));
	if (grant != NULL)
		r = jv_object_set(r, jv_string("grant"), jv_string(grant));
	if (source != NULL)
		r = jv_object_set(r, jv_string("source"), jv_string(source));
	r = rec_error(r, status, "%s: %s", pf->url != NULL ? pf->url :
	    pf->vault, msg);
	pf->problems = jv_array_append(pf->problems, r);
	free(msg);
}

void
preflight_add(struct preflight *pf, const char *kind, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	problem(pf, kind, NULL, NULL, NULL, 0, m);
}

/* a and b the same URL but for a trailing '/' and ASCII case. */
static int
same_url(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);

	while (n > 0 && a[n - 1] == '/')
		n--;
	while (m > 0 && b[m - 1] == '/')
		m--;
	return n == m && strncasecmp(a, b, n) == 0;
}

/*
 * The vault's resource among a subscription's vaults (Vaults - List By
 * Subscription answers each with its properties), by name or vaultUri.
 */
static jv
find_vault(struct preflight *pf, jv list)
{
	jv it, props;
	const char *n, *u;
	int i, len, hit;

	len = jv_array_length(jv_copy(list));
	for (i = 0; i < len; i++) {
		it = jv_array_get(jv_copy(list), i);
		props = jv_object_get(jv_copy(it), jv_string("properties"));
		n = rec_str(it, "name");
		u = rec_str(props, "vaultUri");
		hit = (n != NULL && strcasecmp(n, pf->vault) == 0) ||
		    (u != NULL && (same_url(u, pf->vault) ||
		    (pf->url != NULL && same_url(u, pf->url))));
		jv_free(props);
		if (hit) {
			jv_free(list);
			return it;
		}
		jv_free(it);
	}
	jv_free(list);
	return jv_null();
}

/* A boolean property: 1, 0, or dflt when absent. */
static int
prop_bool(jv props, const char *k, int dflt)
{
	jv v = jv_object_get(jv_copy(props), jv_string(k));
	int r = dflt;

	if (jv_get_kind(v) == JV_KIND_TRUE)
		r = 1;
	else if (jv_get_kind(v) == JV_KIND_FALSE)
		r = 0;
	jv_free(v);
	return r;
}

/*
 * What Resource Manager says: the vault's properties and the identity's
 * permissions there.  0, or -1 with pf->arm_note saying why not.
 */
static int
arm_facts(struct preflight *pf, struct arm *arm, const char *sub)
{
	jv r, props, v;
	char *path;
	long st;

	if (pf->id == NULL) {
		path = xasprintf("/subscriptions/%s/providers/"
		    "Microsoft.KeyVault/vaults?api-version=" API_VAULTS, sub);
		r = arm_list(arm, path, &st);
		free(path);
		if (!jv_is_valid(r)) {
			path = rec_invalid_msg(r, "no answer");
			pf->arm_note = xasprintf("Resource Manager: listing the "
			    "vaults of subscription %s: %s", sub, path);
			free(path);
			return -1;
		}
		r = find_vault(pf, r);
		if (jv_get_kind(r) != JV_KIND_OBJECT ||
		    rec_str(r, "id") == NULL) {
			jv_free(r);
			pf->arm_note = xasprintf("Resource Manager shows this "
			    "identity no such vault in subscription %s", sub);
			return -1;
		}
		pf->id = xstrdup(rec_str(r, "id"));
	} else {
		path = xasprintf("%s?api-version=" API_VAULTS, pf->id);
		r = arm_call(arm, "GET", path, jv_invalid(), &st);
		free(path);
		if (!jv_is_valid(r) || st != 200) {
			path = jv_is_valid(r) ? arm_errmsg(r, st) :
			    rec_invalid_msg(jv_copy(r), "no answer");
			jv_free(r);
			pf->arm_note = xasprintf("Resource Manager: reading "
			    "%s: %s", pf->id, path);
			free(path);
			return -1;
		}
	}
	/*
	 * properties of Microsoft.KeyVault/vaults (2023-07-01):
	 * enableRbacAuthorization (absent: false, access policies),
	 * softDeleteRetentionInDays (absent: 90), enablePurgeProtection
	 * (absent: off; it cannot be turned off once on).
	 */
	props = jv_object_get(r, jv_string("properties"));
	pf->rbac = prop_bool(props, "enableRbacAuthorization", 0);
	pf->purge_protection = prop_bool(props, "enablePurgeProtection", 0);
	v = jv_object_get(jv_copy(props), jv_string("softDeleteRetentionInDays"));
	pf->retention = jv_get_kind(v) == JV_KIND_NUMBER ?
	    (int)jv_number_value(v) : 90;
	if (prop_bool(props, "enableSoftDelete", 1) == 0)
		pf->retention = 0;
	jv_free(v);
	jv_free(props);

	/*
	 * The identity's effective permissions on the vault (Permissions -
	 * List For Resource, learn.microsoft.com/rest/api/authorization/
	 * permissions/list-for-resource: {"value":[{"actions",
	 * "notActions", "dataActions", "notDataActions"}], "nextLink"}, one
	 * entry per role the caller holds there or above).
	 */
	path = xasprintf("%s/providers/Microsoft.Authorization/permissions"
	    "?api-version=" API_AUTHZ, pf->id);
	r = arm_list(arm, path, &st);
	free(path);
	if (!jv_is_valid(r)) {
		path = rec_invalid_msg(r, "no answer");
		pf->arm_note = xasprintf("Resource Manager: the identity's "
		    "permissions on %s: %s", pf->id, path);
		free(path);
		return -1;
	}
	jv_free(pf->perms);
	pf->perms = r;
	return 0;
}

/*
 * A request that changes nothing: its status (200, 404: allowed; 403:
 * refused, *body the answer), 0 when none came.
 */
static long
probe(struct kv *kv, const char *path, jv *body)
{
	long st = 0;
	jv r;

	r = kv_call(kv, "GET", path, jv_invalid(), &st);
	if (!jv_is_valid(r)) {
		jv_free(r);
		*body = jv_null();
		return 0;
	}
	*body = r;
	return st;
}

static void
add_verb(struct buf *b, const char *verb)
{
	buf_printf(b, "%s%s", b->len > 0 ? ", " : "", verb);
}

int
preflight_run(struct preflight *pf, struct kv *kv, struct arm *arm,
    const char *sub)
{
	const struct preflight_need *nd;
	struct buf may, unknown, f;
	char *path, *m, name[37];
	long st, list_st = 0;
	jv body, list_body = jv_null();
	int i, state;

	if (kv != NULL) {
		pf->url = kv_url(kv);
		/* Reach the vault: list one name, which writes nothing. */
		body = kv_call(kv, "GET", "secrets?maxresults=1", jv_invalid(),
		    &list_st);
		if (!jv_is_valid(body)) {
			m = kv_call_msg(body);
			problem(pf, "vault", NULL, NULL, NULL, 0,
			    xasprintf("does not answer: %s", m));
			free(m);
			return -1;
		}
		switch (kv_cause(body, list_st)) {
		case KV_CAUSE_NONE:
		case KV_CAUSE_RBAC:
		case KV_CAUSE_ACCESS_POLICY:
			break;
		default:
			problem(pf, "vault", NULL, NULL, NULL, list_st,
			    kv_errmsg(body, list_st));
			jv_free(body);
			return -1;
		}
		list_body = body;
	}
	if (arm == NULL || (pf->id == NULL && (sub == NULL || *sub == '\0'))) {
		if (pf->arm_note == NULL)
			pf->arm_note = xstrdup("Resource Manager not asked (no "
			    "subscription: AZURE_SUBSCRIPTION_ID)");
	} else if (arm_facts(pf, arm, sub) == 0)
		pf->from_arm = 1;

	buf_init(&may);
	buf_init(&unknown);
	for (i = 0; i < PREFLIGHT_MAX && (nd = &pf->needs[i])->action !=
	    NULL; i++) {
		state = PREFLIGHT_UNKNOWN;
		body = jv_null();
		st = 0;
		if (pf->from_arm && (pf->rbac != 0 || !nd->data)) {
			state = preflight_allows(pf->perms, nd->action,
			    nd->data) ? PREFLIGHT_ALLOWED : PREFLIGHT_DENIED;
			if (state == PREFLIGHT_DENIED)
				problem(pf, "permission", nd, nd->role,
				    "resource-manager", 0, xasprintf("the "
				    "identity may not %s: %s is not among its "
				    "%sactions on the vault (Resource "
				    "Manager's permissions); the built-in "
				    "role %s grants it", nd->verb, nd->action,
				    nd->data ? "data " : "", nd->role));
		} else if (kv != NULL && nd->probe != PREFLIGHT_NO_PROBE) {
			if (nd->probe == PREFLIGHT_PROBE_LIST) {
				st = list_st;
				body = jv_copy(list_body);
			} else {
				/* A name nobody has: 404 when allowed. */
				hash_uuid4(name);
				path = xasprintf("secrets/v2k-preflight-%s",
				    name);
				st = probe(kv, path, &body);
				free(path);
			}
			if (st == 200 || st == 404)
				state = PREFLIGHT_ALLOWED;
			else if (st == 403 && (kv_cause(body, st) ==
			    KV_CAUSE_RBAC || kv_cause(body, st) ==
			    KV_CAUSE_ACCESS_POLICY)) {
				state = PREFLIGHT_DENIED;
				if (kv_cause(body, st) == KV_CAUSE_RBAC)
					problem(pf, "permission", nd, nd->role,
					    "probe", st, xasprintf("the "
					    "identity may not %s: Key Vault "
					    "refused a request that writes "
					    "nothing (ForbiddenByRbac); the "
					    "built-in role %s grants %s",
					    nd->verb, nd->role, nd->action));
				else {
					m = xasprintf("access policy: secret "
					    "permission %s", nd->policy);
					problem(pf, "permission", nd, m,
					    "probe", st, xasprintf("the "
					    "identity may not %s: Key Vault "
					    "refused a request that writes "
					    "nothing (AccessDenied); an access "
					    "policy with secret permission %s "
					    "grants it", nd->verb,
					    nd->policy));
					free(m);
				}
			}
		}
		jv_free(body);
		pf->state[i] = state;
		if (state == PREFLIGHT_ALLOWED)
			add_verb(&may, nd->verb);
		else if (state == PREFLIGHT_UNKNOWN)
			add_verb(&unknown, nd->verb);
	}
	jv_free(list_body);

	/* One line of what was found. */
	buf_init(&f);
	if (pf->rbac >= 0)
		buf_printf(&f, "%s, ", pf->rbac ? "Azure RBAC" :
		    "access policies");
	if (pf->retention > 0)
		buf_printf(&f, "soft-delete %d days, ", pf->retention);
	else if (pf->retention == 0)
		buf_addstr(&f, "no soft-delete, ");
	if (pf->purge_protection >= 0)
		buf_printf(&f, "purge protection %s; ",
		    pf->purge_protection ? "on" : "off");
	if (may.len > 0)
		buf_printf(&f, "may %s (%s)", may.data, pf->from_arm &&
		    pf->rbac != 0 ? "Resource Manager's permissions" :
		    "probed, nothing written");
	else
		buf_addstr(&f, "no permission confirmed");
	if (unknown.len > 0)
		buf_printf(&f, "; cannot tell whether it may %s: %s",
		    unknown.data, pf->from_arm ? "Resource Manager "
		    "does not say for an access-policy vault, and "
		    "that cannot be probed without writing" :
		    "that cannot be probed without writing");
	if (pf->arm_note != NULL)
		buf_printf(&f, "; %s", pf->arm_note);
	pf->facts = buf_detach(&f);
	buf_release(&may);
	buf_release(&unknown);
	return jv_array_length(jv_copy(pf->problems)) > 0 ? -1 : 0;
}

/* Resource Manager on an engine of its own that gives up quickly. */
static struct arm *
quick_arm(struct azure_cred *cred, struct http **engine, char **err)
{
	struct http_opts ho;
	struct arm *arm;

	http_opts_init(&ho);
	ho.max_inflight = 2;
	ho.max_retries = ARM_RETRIES;
	if (http_opts_env(&ho, "KV_CLIENT_TIMEOUT", err) == -1)
		return NULL;
	if ((*engine = http_new(&ho)) == NULL) {
		*err = xstrdup("cannot start the HTTP engine");
		return NULL;
	}
	if ((arm = arm_new(*engine, cred, err)) == NULL) {
		http_free(*engine);
		*engine = NULL;
	}
	return arm;
}

int
preflight_kv(struct preflight *pf, struct kv *kv, struct azure_cred *cred)
{
	const char *sub = getenv("AZURE_SUBSCRIPTION_ID");
	struct http *engine = NULL;
	struct arm *arm = NULL;
	char *err = NULL;
	int rc;

	if (sub != NULL && *sub != '\0' &&
	    (arm = quick_arm(cred, &engine, &err)) == NULL) {
		pf->arm_note = xasprintf("Resource Manager not asked: %s", err);
		free(err);
	}
	rc = preflight_run(pf, kv, arm, sub);
	arm_free(arm);
	if (engine != NULL)
		http_free(engine);
	return rc;
}

int
preflight_emit(struct preflight *pf)
{
	const char *m;
	jv r;
	int i, n;

	n = jv_array_length(jv_copy(pf->problems));
	for (i = 0; i < n; i++) {
		r = jv_array_get(jv_copy(pf->problems), i);
		m = rec_error_str(r, "message");
		msg_error(NULL, "%s", m != NULL ? m : "pre-flight problem");
		rec_emit(r);
	}
	if (pf->facts != NULL)
		msg_warn(pf->url != NULL ? pf->url : pf->vault,
		    "pre-flight: %s", pf->facts);
	return n;
}
