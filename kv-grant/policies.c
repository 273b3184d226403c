/* policies.c: kv-grant --from-policies, Vault's policies as a plan of roles. */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "policies.h"

#define API_AUTHZ	"2022-04-01"

/*
 * Azure's cap: "Number of Azure role assignments per Azure subscription:
 * 5,000" (learn.microsoft.com, Azure subscription and service limits,
 * "Azure RBAC limits"; MicrosoftDocs/azure-docs articles/
 * azure-resource-manager/management/azure-subscription-service-limits.md).
 * It counts assignments at subscription, resource group and resource
 * scope, not those of management groups (learn.microsoft.com, Troubleshoot
 * Azure RBAC limits, which still said 4,000).  KV_ROLE_ASSIGNMENT_LIMIT
 * sets another, should Azure change it again.
 */
#define ASSIGNMENT_LIMIT	5000

/* The capabilities that change a secret: Secrets Officer's. */
#define WRITE_CAPS	(POL_CREATE | POL_UPDATE | POL_PATCH | POL_DELETE)

#define R_NONE		0
#define R_USER		1
#define R_OFFICER	2

/* One input record that can be planned for. */
struct secret {
	jv		 rec;
	const char	*ns;		/* "" for the root namespace */
	const char	*mount, *path, *name;
	const char	*vault;		/* its "vault", or NULL */
	char		*data;		/* the full API path of its data */
	char		*list;		/* of the LIST of its folder */
	int		 group;		/* its vault */
};

/* A policy read from Vault. */
struct pol {
	struct policy	 p;		/* p.name: the label */
	char		*ns;		/* "" or "team-a/" */
	char		*name;
	int		 usable;	/* parsed, not templated */
	int		 held;		/* some principal holds it */
};

struct principal {
	char		*id;		/* lower case */
	char		*ptype;
	struct pol	**pols;
	char		**via;		/* how it holds each */
	size_t		 n;
	unsigned char	*role;		/* R_* per secret */
	const struct acl_entry **why;	/* the entry per secret */
};

struct assign {
	int		 group;
	long		 secret;	/* -1: the whole vault */
	size_t		 who;
	int		 role;
	long		 count;		/* secrets it covers */
	struct acl_src	*src;		/* copies: the ACL is gone */
	size_t		 nsrc;
};

struct plan {
	struct vault	*v;
	struct secret	*s;
	size_t		 ns;
	char		**groups;	/* vault names; NULL the default */
	size_t		 ngroups;
	struct pol	**pols;
	size_t		 npols;
	struct principal *pr;
	size_t		 npr;
	struct assign	*as;
	size_t		 nas;
	jv		 failed;	/* input records passed on */
	jv		 warnings;
	struct plan_stats *st;
	int		 own;		/* records live in the namespace read */
};

static int
guid_ok(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    !isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* s without slashes at either end, malloc'd. */
static char *
trim(const char *s)
{
	size_t n;

	while (*s == '/')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	return xstrndup(s, n);
}

/*
 * A warning record, said on stderr too: kind, and the policy (label),
 * principal or number of secrets it concerns when not NULL / < 0.
 */
static void
warn(struct plan *pl, const char *kind, const char *policy,
    const char *principal, long secrets, const char *fmt, ...)
    V2K_PRINTF(6, 7);

static void
warn(struct plan *pl, const char *kind, const char *policy,
    const char *principal, long secrets, const char *fmt, ...)
{
	va_list ap;
	char *m, *sc, *mc;
	jv r;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	/* On stderr as one line, whatever Vault's texts hold. */
	sc = policy != NULL || principal != NULL ? msg_clean(policy != NULL ?
	    policy : principal, SIZE_MAX, 200) : NULL;
	mc = msg_clean(m, SIZE_MAX, 2000);
	msg_warn(sc, "%s", mc);
	free(sc);
	free(mc);
	r = jv_object_set(jv_object(), jv_string("warning"), jv_string(kind));
	if (policy != NULL)
		r = jv_object_set(r, jv_string("policy"), jv_string(policy));
	if (principal != NULL)
		r = jv_object_set(r, jv_string("principal"),
		    jv_string(principal));
	if (secrets >= 0)
		r = jv_object_set(r, jv_string("secrets"),
		    jv_number((double)secrets));
	r = jv_object_set(r, jv_string("message"), jv_string(m));
	free(m);
	pl->warnings = jv_array_append(pl->warnings, r);
	pl->st->warnings++;
}

/* A record that cannot be planned for: marked, kept, said. */
static void
fail_rec(struct plan *pl, jv rec, const char *msg)
{
	char *label = rec_label(rec, 0);

	msg_warn(label, "%s", msg);
	free(label);
	pl->failed = jv_array_append(pl->failed, rec_error(rec, 0, "%s", msg));
}

/*
 * The API paths a request for the secret goes to, as the vault CLI sends
 * them: KV v2 reads and writes mount/data/path and lists
 * mount/metadata/folder/, KV v1 mount/path and mount/folder/
 * (developer.hashicorp.com/vault/docs/secrets/kv/kv-v2, "ACL rules"); a
 * LIST ends in '/' (hashicorp/vault http/logical.go), and a namespace is
 * the path's first part (vault/acl.go AllowOperation: ns.Path +
 * req.Path).
 */
static void
api_paths(struct secret *s, int kv)
{
	const char *slash = strrchr(s->path, '/');
	int dir = slash != NULL ? (int)(slash - s->path) : 0;
	const char *nsep = *s->ns != '\0' ? "/" : "";

	if (kv == 2) {
		s->data = xasprintf("%s%s%s/data/%s", s->ns, nsep, s->mount,
		    s->path);
		s->list = xasprintf("%s%s%s/metadata/%.*s%s", s->ns, nsep,
		    s->mount, dir, s->path, dir > 0 ? "/" : "");
	} else {
		s->data = xasprintf("%s%s%s/%s", s->ns, nsep, s->mount,
		    s->path);
		s->list = xasprintf("%s%s%s/%.*s%s", s->ns, nsep, s->mount,
		    dir, s->path, dir > 0 ? "/" : "");
	}
}

/* A string field of rec, or NULL with *err when present but no string. */
static const char *
opt_str(jv rec, const char *field, char **err)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(field));
	int kind = jv_get_kind(v);

	jv_free(v);
	if (kind == JV_KIND_STRING)
		return rec_str(rec, field);
	if (kind != JV_KIND_NULL && kind != JV_KIND_INVALID)
		*err = xasprintf("%s: not a string", field);
	return NULL;
}

static void
read_input(struct plan *pl, struct rec_reader *rd)
{
	struct secret *s;
	char *err, *l;
	long long kv;
	jv rec, v;
	size_t g;

	while (rec_next_input(rd, &rec) != 0) {
		if (rec_failed(rec)) {
			pl->failed = jv_array_append(pl->failed, rec);
			continue;
		}
		err = NULL;
		pl->s = xrealloc(pl->s, (pl->ns + 1) * sizeof(*pl->s));
		s = &pl->s[pl->ns];
		memset(s, 0, sizeof(*s));
		s->ns = opt_str(rec, "namespace", &err);
		s->vault = opt_str(rec, "vault", &err);
		if (err == NULL && (s->mount = rec_str(rec, "mount")) == NULL)
			err = rec_field_problem(rec, "mount", JV_KIND_STRING, 1);
		if (err == NULL && (s->path = rec_str(rec, "path")) == NULL)
			err = rec_field_problem(rec, "path", JV_KIND_STRING, 1);
		if (err == NULL && (s->name = rec_str(rec, "name")) == NULL)
			err = rec_field_problem(rec, "name", JV_KIND_STRING, 1);
		if (err == NULL && !kv_name_valid(s->name))
			err = xasprintf("name: '%.130s' is not a Key Vault "
			    "secret name", s->name);
		if (err == NULL) {
			v = jv_object_get(jv_copy(rec), jv_string("kv"));
			if ((err = rec_field_problem(rec, "kv", JV_KIND_NUMBER,
			    1)) == NULL && rec_number_int(v, 1, 2, &kv) == -1)
				err = rec_int_problem(rec, "kv", 1, 2,
				    "1 or 2");
			jv_free(v);
		}
		if (err != NULL) {
			fail_rec(pl, rec, err);
			free(err);
			continue;
		}
		/* Namespaces and mounts without slashes at their ends. */
		rec = jv_object_set(rec, jv_string("mount"),
		    jv_string(l = trim(s->mount)));
		free(l);
		if (s->ns != NULL) {
			rec = jv_object_set(rec, jv_string("namespace"),
			    jv_string(l = trim(s->ns)));
			free(l);
		}
		s->rec = rec;
		s->ns = rec_str(rec, "namespace");
		if (s->ns == NULL)
			s->ns = "";
		s->mount = rec_str(rec, "mount");
		s->path = rec_str(rec, "path");
		s->name = rec_str(rec, "name");
		s->vault = rec_str(rec, "vault");
		api_paths(s, (int)kv);
		for (g = 0; g < pl->ngroups; g++)
			if ((pl->groups[g] == NULL && s->vault == NULL) ||
			    (pl->groups[g] != NULL && s->vault != NULL &&
			    strcasecmp(pl->groups[g], s->vault) == 0))
				break;
		if (g == pl->ngroups) {
			pl->groups = xrealloc(pl->groups, (g + 1) *
			    sizeof(*pl->groups));
			pl->groups[pl->ngroups++] = s->vault != NULL ?
			    xstrdup(s->vault) : NULL;
		}
		s->group = (int)g;
		pl->ns++;
	}
	pl->st->secrets = (long)pl->ns;
}

static struct pol *
find_pol(struct plan *pl, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < pl->npols; i++)
		if (strcmp(pl->pols[i]->ns, ns) == 0 &&
		    strcasecmp(pl->pols[i]->name, name) == 0)
			return pl->pols[i];
	return NULL;
}

/* A Vault call that must answer: status 0 (no answer) is fatal. */
static jv
call(struct plan *pl, const char *ns, const char *method, const char *path,
    long *status)
{
	jv r = vault_callns(pl->v, ns, method, path, NULL, jv_invalid(),
	    status);
	char *m;

	if (!jv_is_valid(r)) {
		m = rec_invalid_msg(r, "no answer");
		msg_fatal("%s %s%s%s: %s", method, ns, *ns ? "/" : "", path, m);
	}
	return r;
}

/* data.keys of a LIST answer, or an empty array. */
static jv
keys_of(jv body /* consumed */)
{
	jv d = jv_object_get(body, jv_string("data")), k;

	k = jv_get_kind(d) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(d), jv_string("keys")) : jv_invalid();
	jv_free(d);
	if (jv_get_kind(k) != JV_KIND_ARRAY) {
		jv_free(k);
		return jv_array();
	}
	return k;
}

static char *
label_of(const char *ns, const char *name)
{
	return *ns != '\0' ? xasprintf("%s%s", ns, name) : xstrdup(name);
}

/*
 * A templated policy: its rules with {{identity...}} in their path name
 * a path only when someone logs in (developer.hashicorp.com/vault/docs/
 * concepts/policies, "Templated policies"), so they are left out of the
 * plan.  Said once, with the number of secrets such a rule may reach
 * (its path up to the first template or wildcard prefixes the secret's),
 * and not at all when none may: the default policy's identity/ paths.
 */
static void
templated(struct plan *pl, struct pol *po)
{
	const char *first = NULL;
	char *pre;
	size_t i, j, n;
	long reach = 0;
	unsigned char *hit = xcalloc(pl->ns + 1, 1);

	for (i = 0; i < po->p.n; i++) {
		if (strstr(po->p.rules[i].path, "{{") == NULL)
			continue;
		pre = xasprintf("%s%s", po->ns, po->p.rules[i].path);
		pre[strcspn(pre, "{+*")] = '\0';
		n = strlen(pre);
		for (j = 0; j < pl->ns; j++)
			if (strncmp(pl->s[j].data, pre, n) == 0 ||
			    strncmp(pl->s[j].list, pre, n) == 0) {
				if (first == NULL)
					first = po->p.rules[i].path;
				hit[j] = 1;
			}
		free(pre);
	}
	for (j = 0; j < pl->ns; j++)
		reach += hit[j];
	free(hit);
	if (reach > 0)
		warn(pl, "templated", po->p.name, NULL, reach, "path \"%s\" "
		    "is templated: what it grants depends on who logs in, so "
		    "it is left out of the plan for the %ld secret%s it may "
		    "reach; grant that access by hand", first, reach,
		    PLURAL(reach));
}

/*
 * Namespace ns answered status and body r (freed) to what was asked:
 * what it holds is not in the plan, which is incomplete.
 */
static void
ns_unreadable(struct plan *pl, const char *ns, jv r, long status,
    const char *asked, const char *what)
{
	char *err = vault_errmsg(r, status);

	jv_free(r);
	warn(pl, "unreadable", NULL, NULL, -1, "namespace %s: cannot %s: %s; "
	    "%s are not in the plan", *ns ? ns : "(root)", asked, err, what);
	free(err);
	pl->st->incomplete |= pl->own;
}

/*
 * The ACL policies of namespace ns (sys/policies/acl, LIST and GET;
 * developer.hashicorp.com/vault/api-docs/system/policies).
 */
static void
load_policies(struct plan *pl, const char *ns, const char *nsp)
{
	jv r, keys, k, d;
	long status;
	char *path, *err, *label;
	const char *name, *text;
	struct pol *po;
	int i, n;

	r = call(pl, ns, "LIST", "sys/policies/acl", &status);
	if (status == 404) {
		jv_free(r);
		return;
	}
	if (status != 200) {
		ns_unreadable(pl, ns, r, status, "list its ACL policies",
		    "its policies");
		return;
	}
	keys = keys_of(r);
	n = jv_array_length(jv_copy(keys));
	for (i = 0; i < n; i++) {
		k = jv_array_get(jv_copy(keys), i);
		name = jv_get_kind(k) == JV_KIND_STRING ? jv_string_value(k) :
		    NULL;
		/* root: everything, only ever a root token's. */
		if (name == NULL || strcmp(name, "root") == 0 ||
		    find_pol(pl, nsp, name) != NULL) {
			jv_free(k);
			continue;
		}
		label = label_of(nsp, name);
		path = xasprintf("sys/policies/acl/%s", name);
		r = call(pl, ns, "GET", path, &status);
		free(path);
		d = jv_object_get(r, jv_string("data"));
		text = jv_get_kind(d) == JV_KIND_OBJECT ? rec_str(d, "policy") :
		    NULL;
		if (status != 200 || text == NULL) {
			err = status != 200 ? vault_errmsg(d, status) :
			    xstrdup("answer without data.policy");
			warn(pl, "unreadable", label, NULL, -1, "cannot read "
			    "the policy: %s; it is not in the plan", err);
			free(err);
			pl->st->incomplete |= pl->own;
			jv_free(d);
			jv_free(k);
			free(label);
			continue;
		}
		po = xcalloc(1, sizeof(*po));
		po->ns = xstrdup(nsp);
		po->name = xstrdup_lower(name);
		po->p.name = label;
		po->p.ns = po->ns;
		err = NULL;
		if (policy_parse(&po->p, text, &err) == -1) {
			warn(pl, "unparsed", label, NULL, -1, "cannot read the "
			    "policy: %s; it is not in the plan", err);
			free(err);
			pl->st->incomplete |= pl->own;
		} else {
			if (po->p.templated)
				templated(pl, po);
			po->usable = 1;
			if (po->p.conditions != NULL)
				warn(pl, "conditions", label, NULL, -1, "%s: "
				    "a limit no Azure role can express; the "
				    "plan grants the role without it",
				    po->p.conditions);
		}
		pl->pols = xrealloc(pl->pols, (pl->npols + 1) *
		    sizeof(*pl->pols));
		pl->pols[pl->npols++] = po;
		jv_free(d);
		jv_free(k);
	}
	jv_free(keys);
}

static struct principal *
find_principal(struct plan *pl, const char *id, const char *ptype)
{
	struct principal *p;
	size_t i;

	for (i = 0; i < pl->npr; i++)
		if (strcasecmp(pl->pr[i].id, id) == 0)
			return &pl->pr[i];
	pl->pr = xrealloc(pl->pr, (pl->npr + 1) * sizeof(*pl->pr));
	p = &pl->pr[pl->npr++];
	memset(p, 0, sizeof(*p));
	p->id = xstrdup_lower(id);
	p->ptype = xstrdup(ptype);
	return p;
}

/* principal holds policy name of namespace nsp, by via. */
static void
bind(struct plan *pl, const char *id, const char *ptype, const char *nsp,
    const char *name, const char *via)
{
	struct principal *p;
	struct pol *po;
	char *label;
	size_t i;

	if ((po = find_pol(pl, nsp, name)) == NULL) {
		label = label_of(nsp, name);
		/* The default policy may be gone from a namespace. */
		if (strcasecmp(name, "default") != 0)
			warn(pl, "unknown-policy", label, id, -1, "%s names "
			    "policy %s, which Vault does not hold", via,
			    label);
		free(label);
		return;
	}
	po->held = 1;
	p = find_principal(pl, id, ptype);
	for (i = 0; i < p->n; i++)
		if (p->pols[i] == po)
			return;
	p->pols = xrealloc(p->pols, (p->n + 1) * sizeof(*p->pols));
	p->via = xrealloc(p->via, (p->n + 1) * sizeof(*p->via));
	p->pols[p->n] = po;
	p->via[p->n++] = xstrdup(via);
}

/* A list field of a role: its strings, or NULL when none. */
static jv
role_list(jv d, const char *field)
{
	jv v = jv_object_get(jv_copy(d), jv_string(field));

	if (jv_get_kind(v) != JV_KIND_ARRAY || jv_array_length(jv_copy(v)) ==
	    0) {
		jv_free(v);
		return jv_null();
	}
	return v;
}

/* Is the list ["*"], the plugin's "any" (path_login.go verifyClaims)? */
static int
is_any(jv l)
{
	jv x;
	int any;

	if (jv_get_kind(l) != JV_KIND_ARRAY || jv_array_length(jv_copy(l)) != 1)
		return 0;
	x = jv_array_get(jv_copy(l), 0);
	any = jv_get_kind(x) == JV_KIND_STRING &&
	    strcmp(jv_string_value(x), "*") == 0;
	jv_free(x);
	return any;
}

/*
 * One azure role: who can log in with it, and its policies.  The plugin
 * (hashicorp/vault-plugin-auth-azure path_login.go verifyClaims) checks
 * the token's oid against bound_service_principal_ids and its groups
 * against bound_group_ids, both when both are set: the service
 * principals named are then the tightest principals to grant to.
 */
static void
load_role(struct plan *pl, const char *nsp, jv d, const char *via)
{
	jv sps, grps, ids, pols[2], x;
	const char *ptype, *id;
	int i, j, n, nodefault;

	sps = role_list(d, "bound_service_principal_ids");
	grps = role_list(d, "bound_group_ids");
	if (jv_get_kind(sps) == JV_KIND_ARRAY && !is_any(sps)) {
		ids = jv_copy(sps);
		ptype = "ServicePrincipal";
	} else if (jv_get_kind(grps) == JV_KIND_ARRAY && !is_any(grps)) {
		ids = jv_copy(grps);
		ptype = "Group";
	} else {
		warn(pl, "no-principal", NULL, NULL, -1, "%s binds no "
		    "service principal or group ids (only subscriptions, "
		    "resource groups, locations or scale sets, or \"*\"): "
		    "its policies get no principal from it", via);
		jv_free(sps);
		jv_free(grps);
		return;
	}
	jv_free(sps);
	jv_free(grps);
	x = jv_object_get(jv_copy(d), jv_string("token_no_default_policy"));
	nodefault = jv_get_kind(x) == JV_KIND_TRUE;
	jv_free(x);
	pols[0] = role_list(d, "token_policies");
	pols[1] = role_list(d, "policies");
	n = jv_array_length(jv_copy(ids));
	for (i = 0; i < n; i++) {
		x = jv_array_get(jv_copy(ids), i);
		id = jv_get_kind(x) == JV_KIND_STRING ? jv_string_value(x) : "";
		if (!guid_ok(id)) {
			warn(pl, "no-principal", NULL, NULL, -1, "%s: bound id "
			    "'%.60s' is not an object id (GUID); skipped", via,
			    id);
			jv_free(x);
			continue;
		}
		for (j = 0; j < 2; j++) {
			jv p;
			int k, m;

			if (jv_get_kind(pols[j]) != JV_KIND_ARRAY)
				continue;
			m = jv_array_length(jv_copy(pols[j]));
			for (k = 0; k < m; k++) {
				p = jv_array_get(jv_copy(pols[j]), k);
				if (jv_get_kind(p) == JV_KIND_STRING)
					bind(pl, id, ptype, nsp,
					    jv_string_value(p), via);
				jv_free(p);
			}
		}
		/* Every token gets "default" unless told otherwise. */
		if (!nodefault)
			bind(pl, id, ptype, nsp, "default", via);
		jv_free(x);
	}
	jv_free(pols[0]);
	jv_free(pols[1]);
	jv_free(ids);
}

/*
 * The roles of every azure auth method of namespace ns (sys/auth;
 * auth/MOUNT/role LIST and GET, developer.hashicorp.com/vault/api-docs/
 * auth/azure).
 */
static void
load_roles(struct plan *pl, const char *ns, const char *nsp)
{
	jv r, d, keys, k, rd, rdat;
	long status;
	char *path, *err, *via;
	const char *mp, *type, *rn;
	int i, n;

	r = call(pl, ns, "GET", "sys/auth", &status);
	if (status != 200) {
		ns_unreadable(pl, ns, r, status, "list its auth methods",
		    "their roles");
		return;
	}
	d = jv_object_get(jv_copy(r), jv_string("data"));
	if (jv_get_kind(d) != JV_KIND_OBJECT) {
		jv_free(d);
		d = jv_copy(r);
	}
	jv_free(r);
	jv_object_foreach(d, key, info) {
		mp = jv_string_value(key);
		type = jv_get_kind(info) == JV_KIND_OBJECT ?
		    rec_str(info, "type") : NULL;
		if (type == NULL || strcmp(type, "azure") != 0) {
			jv_free(key);
			jv_free(info);
			continue;
		}
		path = xasprintf("auth/%s%srole", mp,
		    mp[0] != '\0' && mp[strlen(mp) - 1] == '/' ? "" : "/");
		r = call(pl, ns, "LIST", path, &status);
		if (status != 200 && status != 404) {
			err = vault_errmsg(r, status);
			warn(pl, "unreadable", NULL, NULL, -1, "%s%s: cannot list "
			    "its roles: %s; they are not in the plan", nsp,
			    path, err);
			free(err);
			pl->st->incomplete |= pl->own;
		}
		if (status == 200)
			keys = keys_of(r);
		else {
			jv_free(r);
			keys = jv_array();
		}
		n = jv_array_length(jv_copy(keys));
		for (i = 0; i < n; i++) {
			k = jv_array_get(jv_copy(keys), i);
			rn = jv_get_kind(k) == JV_KIND_STRING ?
			    jv_string_value(k) : "";
			via = xasprintf("%s%s/%s", nsp, path, rn);
			{
				char *rp = xasprintf("%s/%s", path, rn);

				rd = call(pl, ns, "GET", rp, &status);
				free(rp);
			}
			rdat = jv_object_get(rd, jv_string("data"));
			if (status != 200 || jv_get_kind(rdat) !=
			    JV_KIND_OBJECT) {
				err = vault_errmsg(rdat, status);
				warn(pl, "unreadable", NULL, NULL, -1, "%s: "
				    "cannot read the role: %s; it is not in "
				    "the plan", via, err);
				free(err);
				pl->st->incomplete |= pl->own;
			} else
				load_role(pl, nsp, rdat, via);
			jv_free(rdat);
			free(via);
			jv_free(k);
		}
		jv_free(keys);
		free(path);
		jv_free(key);
		jv_free(info);
	}
	jv_free(d);
}

/*
 * --principals: NDJSON {"policy", "principal", "principal_type"[,
 * "namespace"]}, checked before Vault is asked anything: an array of
 * [namespace path, policy, principal, type].
 */
static jv
read_principals(const char *file)
{
	static const char *const types[] = {
		"User", "Group", "ServicePrincipal", "ForeignGroup",
	};
	struct rec_reader rd;
	const char *policy, *id, *ptype, *ns;
	char *nsp, *t, *err;
	size_t i;
	FILE *fp;
	jv rec, out = jv_array();
	int rc;

	if ((fp = fopen(file, "r")) == NULL)
		msg_fatal("--principals: %s: %s", file, strerror(errno));
	rec_reader_init(&rd, fp);
	while ((rc = rec_next(&rd, &rec)) != 0) {
		if (rc == -2)
			msg_fatal("--principals: %s: %s", file,
			    strerror(errno));
		if (rc == -1)
			msg_fatal("--principals: %s: line %zu: %s", file,
			    rd.lineno, rd.err);
		err = NULL;
		ns = opt_str(rec, "namespace", &err);
		if (err == NULL && (policy = rec_str(rec, "policy")) == NULL)
			err = rec_field_problem(rec, "policy", JV_KIND_STRING,
			    1);
		if (err == NULL && (id = rec_str(rec, "principal")) == NULL)
			err = rec_field_problem(rec, "principal",
			    JV_KIND_STRING, 1);
		if (err == NULL && !guid_ok(id))
			err = xasprintf("principal: '%.60s' is not an object "
			    "id (GUID)", id);
		ptype = NULL;
		if (err == NULL && (t = (char *)rec_str(rec,
		    "principal_type")) != NULL)
			for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
				if (strcasecmp(t, types[i]) == 0)
					ptype = types[i];
		if (err == NULL && ptype == NULL)
			err = xstrdup("principal_type: missing, or not User, "
			    "Group, ServicePrincipal or ForeignGroup");
		if (err != NULL)
			msg_fatal("--principals: %s: line %zu: %s", file,
			    rd.lineno, err);
		t = trim(ns != NULL ? ns : "");
		nsp = *t != '\0' ? xasprintf("%s/", t) : xstrdup("");
		free(t);
		out = jv_array_append(out, JV_ARRAY(jv_string(nsp),
		    jv_string(policy), jv_string(id), jv_string(ptype)));
		free(nsp);
		jv_free(rec);
	}
	rec_reader_release(&rd);
	fclose(fp);
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_principal(const void *a, const void *b)
{
	return strcmp(((const struct principal *)a)->id,
	    ((const struct principal *)b)->id);
}

static int
cmp_assign(const void *a, const void *b)
{
	const struct assign *x = a, *y = b;

	if (x->group != y->group)
		return x->group - y->group;
	if (x->secret != y->secret)
		return x->secret < y->secret ? -1 : 1;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	return x->role - y->role;
}

/* The rules of e that grant one of mask, added to a's sources. */
static void
add_src(struct assign *a, const struct acl_entry *e, unsigned mask)
{
	size_t i, j;

	if (e == NULL)
		return;
	for (i = 0; i < e->nsrc; i++) {
		if ((e->src[i].rule->caps & mask) == 0)
			continue;
		for (j = 0; j < a->nsrc; j++)
			if (a->src[j].rule == e->src[i].rule)
				break;
		if (j < a->nsrc)
			continue;
		a->src = xrealloc(a->src, (a->nsrc + 1) * sizeof(*a->src));
		a->src[a->nsrc++] = e->src[i];
	}
}

static struct assign *
new_assign(struct plan *pl, int group, long secret, size_t who, int role)
{
	struct assign *a;

	pl->as = xrealloc(pl->as, (pl->nas + 1) * sizeof(*pl->as));
	a = &pl->as[pl->nas++];
	memset(a, 0, sizeof(*a));
	a->group = group;
	a->secret = secret;
	a->who = who;
	a->role = role;
	return a;
}

/* The role a principal's capabilities on a secret's data map to. */
static int
role_of(unsigned caps)
{
	if (caps & WRITE_CAPS)
		return R_OFFICER;
	if (caps & POL_READ)
		return R_USER;
	return R_NONE;
}

/*
 * One principal: its capabilities on every secret through its policies
 * merged into one ACL, as Vault merges a token's policies; then per
 * vault either one assignment for the whole vault or one per secret.
 */
static void
evaluate(struct plan *pl, size_t w)
{
	struct principal *p = &pl->pr[w];
	struct acl *acl = acl_new();
	struct assign *a;
	size_t i;
	long listonly = 0, all_user, all_off, in;
	unsigned c;
	int g;

	for (i = 0; i < p->n; i++)
		if (p->pols[i]->usable)
			acl_add(acl, &p->pols[i]->p);
	p->role = xcalloc(pl->ns + 1, 1);
	p->why = xcalloc(pl->ns + 1, sizeof(*p->why));
	for (i = 0; i < pl->ns; i++) {
		c = acl_caps(acl, pl->s[i].data, 0, &p->why[i]);
		p->role[i] = (unsigned char)role_of(c);
		if (p->role[i] == R_NONE &&
		    (acl_caps(acl, pl->s[i].list, 1, NULL) & POL_LIST))
			listonly++;
	}
	for (g = 0; g < (int)pl->ngroups; g++) {
		all_user = all_off = 1;
		in = 0;
		for (i = 0; i < pl->ns; i++) {
			if (pl->s[i].group != g)
				continue;
			in++;
			all_user &= p->role[i] != R_NONE;
			all_off &= p->role[i] == R_OFFICER;
		}
		if (in == 0)
			continue;
		/* Officer reads too: the vault's User would add nothing. */
		if (all_user) {
			a = new_assign(pl, g, -1, w, all_off ? R_OFFICER :
			    R_USER);
			a->count = in;
			for (i = 0; i < pl->ns; i++)
				if (pl->s[i].group == g)
					add_src(a, p->why[i], all_off ?
					    WRITE_CAPS : POL_READ);
			/* Officer only: its write rules are the reason. */
			for (i = 0; !all_off && i < pl->ns; i++)
				if (pl->s[i].group == g &&
				    !(p->why[i]->caps & POL_READ))
					add_src(a, p->why[i], WRITE_CAPS);
		}
		for (i = 0; !all_off && i < pl->ns; i++) {
			if (pl->s[i].group != g || p->role[i] == R_NONE ||
			    (all_user && p->role[i] == R_USER))
				continue;
			a = new_assign(pl, g, (long)i, w, p->role[i]);
			a->count = 1;
			add_src(a, p->why[i], p->role[i] == R_OFFICER ?
			    WRITE_CAPS : POL_READ);
		}
	}
	if (listonly > 0)
		warn(pl, "list-only", NULL, p->id, listonly, "may list the "
		    "folders of %ld secret%s it cannot read or write: list "
		    "alone maps to no Key Vault data role, nothing planned",
		    listonly, PLURAL(listonly));
	acl_free(acl);
}

/* A policy nobody holds: how many secrets it would give access to. */
static void
unheld(struct plan *pl, struct pol *po)
{
	struct acl *acl = acl_new();
	long n = 0;
	size_t i;

	acl_add(acl, &po->p);
	for (i = 0; i < pl->ns; i++)
		if (role_of(acl_caps(acl, pl->s[i].data, 0, NULL)) != R_NONE)
			n++;
	acl_free(acl);
	if (n > 0)
		warn(pl, "unmapped", po->p.name, NULL, n, "grants access to "
		    "%ld secret%s, but no principal holds it (no azure auth "
		    "role names it): name its principals with --principals",
		    n, PLURAL(n));
}

/* The record of one assignment. */
static jv
assign_record(struct plan *pl, struct assign *a)
{
	struct principal *p = &pl->pr[a->who];
	const struct policy *seen[64];
	struct buf pols, why, via;
	size_t i, j, nseen = 0;
	char *caps;
	jv r;

	r = jv_object_set(jv_object(), jv_string("principal"),
	    jv_string(p->id));
	r = jv_object_set(r, jv_string("principal_type"),
	    jv_string(p->ptype));
	r = jv_object_set(r, jv_string("role"), jv_string(a->role ==
	    R_OFFICER ? ROLE_OFFICER : ROLE_USER));
	if (pl->groups[a->group] != NULL)
		r = jv_object_set(r, jv_string("vault"),
		    jv_string(pl->groups[a->group]));
	if (a->secret >= 0) {
		struct secret *s = &pl->s[a->secret];

		r = jv_object_set(r, jv_string("scope"), jv_string("secret"));
		if (*s->ns != '\0')
			r = jv_object_set(r, jv_string("namespace"),
			    jv_string(s->ns));
		r = jv_object_set(r, jv_string("mount"), jv_string(s->mount));
		r = jv_object_set(r, jv_string("path"), jv_string(s->path));
		r = jv_object_set(r, jv_string("name"), jv_string(s->name));
	} else {
		r = jv_object_set(r, jv_string("scope"), jv_string("vault"));
		r = jv_object_set(r, jv_string("secrets"),
		    jv_number((double)a->count));
	}
	buf_init(&pols);
	buf_init(&why);
	buf_init(&via);
	for (i = 0; i < a->nsrc; i++) {
		for (j = 0; j < nseen; j++)
			if (seen[j] == a->src[i].pol)
				break;
		if (j == nseen && nseen < 64)
			seen[nseen++] = a->src[i].pol;
	}
	for (j = 0; j < nseen; j++) {
		buf_printf(&pols, "%s%s", j ? ", " : "", seen[j]->name);
		for (i = 0; i < p->n; i++)
			if (&p->pols[i]->p == seen[j])
				buf_printf(&via, "%s%s", via.len ? ", " : "",
				    p->via[i]);
	}
	for (i = 0; i < a->nsrc; i++) {
		caps = policy_caps_str(a->src[i].rule->caps);
		buf_printf(&why, "%s%s%s%spath \"%s\" { capabilities = [%s] }",
		    i ? "; " : "", nseen > 1 ? a->src[i].pol->name : "",
		    nseen > 1 ? ": " : "", "", a->src[i].rule->path, caps);
		free(caps);
	}
	r = jv_object_set(r, jv_string("policy"),
	    jv_string(pols.data ? pols.data : ""));
	r = jv_object_set(r, jv_string("via"),
	    jv_string(via.data ? via.data : ""));
	r = jv_object_set(r, jv_string("reason"),
	    jv_string(why.data ? why.data : ""));
	buf_release(&pols);
	buf_release(&why);
	buf_release(&via);
	return r;
}

static void
plan_free(struct plan *pl)
{
	size_t i, j;

	for (i = 0; i < pl->nas; i++)
		free(pl->as[i].src);
	free(pl->as);
	for (i = 0; i < pl->npr; i++) {
		for (j = 0; j < pl->pr[i].n; j++)
			free(pl->pr[i].via[j]);
		free(pl->pr[i].via);
		free(pl->pr[i].pols);
		free(pl->pr[i].role);
		free(pl->pr[i].why);
		free(pl->pr[i].id);
		free(pl->pr[i].ptype);
	}
	free(pl->pr);
	for (i = 0; i < pl->npols; i++) {
		policy_release(&pl->pols[i]->p);
		free(pl->pols[i]->p.name);
		free(pl->pols[i]->ns);
		free(pl->pols[i]->name);
		free(pl->pols[i]);
	}
	free(pl->pols);
	for (i = 0; i < pl->ns; i++) {
		free(pl->s[i].data);
		free(pl->s[i].list);
		jv_wipe_free(pl->s[i].rec);
	}
	free(pl->s);
	for (i = 0; i < pl->ngroups; i++)
		free(pl->groups[i]);
	free(pl->groups);
}

jv
policies_plan(struct rec_reader *rd, const char *principals_file,
    struct plan_stats *st)
{
	struct plan pl;
	struct http *http;
	char **nss, *nsp;
	size_t i, j, n = 0;
	unsigned char *covered;
	jv out, who;

	memset(&pl, 0, sizeof(pl));
	memset(st, 0, sizeof(*st));
	pl.st = st;
	pl.failed = jv_array();
	pl.warnings = jv_array();
	who = principals_file != NULL ? read_principals(principals_file) :
	    jv_array();
	read_input(&pl, rd);

	/*
	 * The namespaces the records name and those above them, whose
	 * policies may name paths below them, each once, the root first.
	 * What cannot be read of one without records is said, but leaves
	 * the plan complete: a token of a namespace may not see its parent.
	 */
	nss = NULL;
	for (i = 0; i < pl.ns; i++) {
		const char *ns = pl.s[i].ns, *q = ns;
		char *anc;

		for (;;) {
			anc = xstrndup(ns, (size_t)(q - ns));
			for (j = 0; j < n; j++)
				if (strcmp(nss[j], anc) == 0)
					break;
			if (j == n) {
				nss = xrealloc(nss, (n + 1) * sizeof(*nss));
				nss[n++] = anc;
			} else
				free(anc);
			if (*q == '\0')
				break;
			q += strcspn(q + 1, "/") + 1;
		}
	}
	if (n > 0)
		qsort(nss, n, sizeof(*nss), cmp_str);

	if (n > 0) {
		/* Vault's own engine: its timeout is VAULT_CLIENT_TIMEOUT. */
		http = start_http("VAULT_CLIENT_TIMEOUT", 4, 0);
		pl.v = start_vault(http);
		for (i = 0; i < 2 * n; i++) {
			nsp = *nss[i % n] ? xasprintf("%s/", nss[i % n]) :
			    xstrdup("");
			pl.own = 0;
			for (j = 0; j < pl.ns && !pl.own; j++)
				pl.own = strcmp(pl.s[j].ns, nss[i % n]) == 0;
			if (i < n)
				load_policies(&pl, nss[i], nsp);
			else
				load_roles(&pl, nss[i - n], nsp);
			free(nsp);
		}
		jv_array_foreach(who, k, b) {
			jv x[4];
			int q;

			for (q = 0; q < 4; q++)
				x[q] = jv_array_get(jv_copy(b), q);
			bind(&pl, jv_string_value(x[2]), jv_string_value(x[3]),
			    jv_string_value(x[0]), jv_string_value(x[1]),
			    "--principals");
			for (q = 0; q < 4; q++)
				jv_free(x[q]);
			jv_free(b);
		}
		vault_free(pl.v);
		http_free(http);
	}
	jv_free(who);
	for (i = 0; i < n; i++)
		free(nss[i]);
	free(nss);

	if (pl.npr > 0)
		qsort(pl.pr, pl.npr, sizeof(*pl.pr), cmp_principal);
	for (i = 0; i < pl.npr; i++)
		evaluate(&pl, i);
	for (i = 0; i < pl.npols; i++)
		if (pl.pols[i]->usable && !pl.pols[i]->held)
			unheld(&pl, pl.pols[i]);
	if (pl.nas > 0)
		qsort(pl.as, pl.nas, sizeof(*pl.as), cmp_assign);

	covered = xcalloc(pl.ns + 1, 1);
	for (i = 0; i < pl.npr; i++)
		for (j = 0; j < pl.ns; j++)
			covered[j] |= pl.pr[i].role[j] != R_NONE;
	for (j = 0; j < pl.ns; j++)
		st->uncovered += !covered[j];
	free(covered);

	out = jv_array_concat(pl.warnings, pl.failed);
	for (i = 0; i < pl.nas; i++)
		out = jv_array_append(out, assign_record(&pl, &pl.as[i]));
	st->assignments = (long)pl.nas;
	plan_free(&pl);
	return out;
}

void
policies_check_limit(struct arm *arm, const char *sub, const char *vault_id,
    jv *plan, struct plan_stats *st)
{
	const char *env = getenv("KV_ROLE_ASSIGNMENT_LIMIT"), *scope, *pid;
	const char *rd, *name;
	long limit = ASSIGNMENT_LIMIT, existing = 0, fresh = 0, status = 0;
	jv all = jv_invalid(), it, p, r;
	char *path, *end, *sc, *m;
	int i, n, k, found;

	if (env != NULL && *env != '\0') {
		errno = 0;
		limit = strtol(env, &end, 10);
		if (errno != 0 || *end != '\0' || limit < 1)
			msg_fatal("KV_ROLE_ASSIGNMENT_LIMIT: '%s' is not a "
			    "number of assignments", env);
	}
	if (arm != NULL) {
		path = xasprintf("/subscriptions/%s/providers/"
		    "Microsoft.Authorization/roleAssignments?api-version="
		    API_AUTHZ, sub);
		all = arm_list(arm, path, &status);
		free(path);
		if (!jv_is_valid(all)) {
			m = rec_invalid_msg(all, "no answer");
			msg_warn(NULL, "cannot count the role assignments of "
			    "subscription %s: %s", sub, m);
			free(m);
			all = jv_invalid();
		}
	}
	sc = xasprintf("/subscriptions/%s", sub);
	n = jv_is_valid(all) ? jv_array_length(jv_copy(all)) : 0;
	for (i = 0; i < n; i++) {
		it = jv_array_get(jv_copy(all), i);
		p = jv_object_get(it, jv_string("properties"));
		scope = jv_get_kind(p) == JV_KIND_OBJECT ?
		    rec_str(p, "scope") : NULL;
		/* Management groups' assignments do not count. */
		if (scope != NULL && strncasecmp(scope, sc, strlen(sc)) == 0 &&
		    (scope[strlen(sc)] == '\0' || scope[strlen(sc)] == '/'))
			existing++;
		jv_free(p);
	}
	/* A planned assignment that exists already adds nothing. */
	for (k = 0; k < jv_array_length(jv_copy(*plan)); k++) {
		r = jv_array_get(jv_copy(*plan), k);
		if ((pid = rec_str(r, "principal")) == NULL ||
		    rec_str(r, "warning") != NULL || rec_failed(r)) {
			jv_free(r);
			continue;
		}
		name = rec_str(r, "name");
		rd = strcmp(rec_str(r, "role"), ROLE_OFFICER) == 0 ?
		    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7" :
		    "4633458b-17de-408a-b874-0445c86b69e6";
		found = 0;
		for (i = 0; i < n && !found && vault_id != NULL &&
		    rec_str(r, "vault") == NULL; i++) {
			const char *s2, *p2, *r2;
			size_t vl = strlen(vault_id);

			it = jv_array_get(jv_copy(all), i);
			p = jv_object_get(it, jv_string("properties"));
			s2 = rec_str(p, "scope");
			p2 = rec_str(p, "principalId");
			r2 = rec_str(p, "roleDefinitionId");
			if (s2 != NULL && p2 != NULL && r2 != NULL &&
			    strncasecmp(s2, vault_id, vl) == 0 &&
			    strcasecmp(p2, pid) == 0 &&
			    strcasecmp(r2 + (strlen(r2) > 36 ? strlen(r2) -
			    36 : 0), rd) == 0) {
				const char *t = s2 + vl;

				if (name == NULL)
					found = *t == '\0' ||
					    strcmp(t, "/") == 0;
				else
					found = strncasecmp(t, "/secrets/", 9) ==
					    0 && strcasecmp(t + 9, name) == 0;
			}
			jv_free(p);
		}
		fresh += !found;
		jv_free(r);
	}
	jv_free(all);
	free(sc);
	if (arm == NULL)
		msg_info(NULL, "%ld new role assignment%s planned; the "
		    "subscription's were not counted (no Azure)", fresh,
		    PLURAL(fresh));
	else
		msg_info(NULL, "%ld new role assignment%s planned; subscription "
		    "%s holds %ld of Azure's %ld", fresh, PLURAL(fresh),
		    sub, existing, limit);
	if (existing + fresh > limit) {
		r = jv_object_set(jv_object(), jv_string("warning"),
		    jv_string("limit"));
		m = xasprintf("the plan's %ld new role assignments and the %ld "
		    "of subscription %s make %ld, past Azure's limit of %ld a "
		    "subscription: give roles to groups, or at vault scope",
		    fresh, existing, sub, existing + fresh, limit);
		msg_warn(NULL, "%s", m);
		r = jv_object_set(r, jv_string("message"), jv_string(m));
		free(m);
		*plan = jv_array_concat(JV_ARRAY(r), *plan);
		st->warnings++;
	}
}
