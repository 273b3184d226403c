/* kv-grant: the Azure role assignments that replace Vault policies. */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "policies.h"

/* Azure REST api-versions: role assignments, generic resources, vaults. */
#define API_AUTHZ	"2022-04-01"
#define API_RESOURCES	"2021-04-01"
#define API_VAULTS	"2023-07-01"
#define API_SUBS	"2022-12-01"

#define AUTHZ		"/providers/Microsoft.Authorization"
#define RA_PATH		AUTHZ "/roleAssignments/"
#define RD_PATH		AUTHZ "/roleDefinitions/"
#define KV_TYPE		"/providers/Microsoft.KeyVault/vaults/"
/* What an arm_call that got no answer says when it says nothing. */
#define NO_ANSWER	"no answer from Azure Resource Manager"

/*
 * ARM's and Bicep's guid(a, b, ...): an RFC 4122 version 5 (SHA-1) UUID
 * of the arguments joined with '-', in this namespace.  Microsoft's docs
 * name RFC 4122 section 4.3 (learn.microsoft.com, Bicep string functions,
 * guid); the namespace and the '-' join are in Microsoft's port of the ARM
 * expression engine, Azure/azure-policy-linter
 * src/PolicyLinter.Core/Expressions/EvaluationHelpers/
 * ExpressionBuiltInFunctions.cs: Guid() calls GuidUtility.Create(
 * ARMNamespaceGuid, JoinStringParametersWithDash(...), 5).
 */
#define ARM_GUID_NS	"11fb06fb-712d-4ddd-98c7-e71bbd588830"

/* Long options without a letter. */
#define OPT_REVOKE	256
#define OPT_SCOPE	257
#define OPT_SUBSCRIPTION 258
#define OPT_VAULT	259
#define OPT_VERSION	260
#define OPT_POLICIES	261
#define OPT_PRINCIPALS	262

/*
 * Built-in Key Vault roles (learn.microsoft.com, Azure built-in roles and
 * the Key Vault RBAC guide, articles/key-vault/general/rbac-guide.md).
 */
static const struct role {
	const char	*name;
	const char	*guid;
} roles[] = {
	{ "Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483" },
	{ "Key Vault Certificate User",
	    "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba" },
	{ "Key Vault Certificates Officer",
	    "a4417e6f-fecd-4de8-b567-7b0420556985" },
	{ "Key Vault Contributor", "f25e0fa2-a7c8-4377-a976-54943a77a395" },
	{ "Key Vault Crypto Officer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603" },
	{ "Key Vault Crypto Service Encryption User",
	    "e147488a-f6f5-4113-8e2d-b22465e65bf6" },
	{ "Key Vault Crypto User", "12338af0-0e69-4776-bea7-57ae8d297424" },
	{ "Key Vault Data Access Administrator",
	    "8b54135c-b56d-4d72-a534-26097cfdc8d8" },
	{ "Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2" },
	{ "Key Vault Secrets Officer", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7" },
	{ "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6" },
};

static const char *const principal_types[] = {
	"User", "Group", "ServicePrincipal", "ForeignGroup",
};

/*
 * What a run needs at the vault's scope (--dry-run checks it): to write
 * role assignments, or with --revoke to delete them.  Key Vault Data
 * Access Administrator grants both for the Key Vault roles (its condition
 * allows no others: User Access Administrator does), learn.microsoft.com,
 * built-in roles, security.
 */
#define DATA_ACCESS_ADMIN	"Key Vault Data Access Administrator"
static const struct preflight_need need_write[] = {
	{ "Microsoft.Authorization/roleAssignments/write", 0,
	    "create role assignments", DATA_ACCESS_ADMIN, NULL,
	    PREFLIGHT_NO_PROBE },
	{ NULL, 0, NULL, NULL, NULL, 0 }
};
static const struct preflight_need need_delete[] = {
	{ "Microsoft.Authorization/roleAssignments/delete", 0,
	    "delete role assignments", DATA_ACCESS_ADMIN, NULL,
	    PREFLIGHT_NO_PROBE },
	{ NULL, 0, NULL, NULL, NULL, 0 }
};

struct grant {
	struct arm	*arm;
	char		*vault_id;	/* the default vault's id, or NULL */
	char		*sub;		/* its subscription */
	struct azure_cred *cred;
	char		*dflt_url;	/* the default, canonical, or NULL */
	char		*dflt_key;	/* its kv_vault_key, or NULL */
	char		*dflt_key2;	/* that of its vaultUri, or NULL */
	int		 asked_uri;	/* default_uri done */
	pthread_mutex_t	 mu;
	struct cimap	*vaults;	/* a record's vault: struct found */
	int		 dry_run;
	int		 revoke;
	/* counts, kept by emit (one thread) */
	long		 n, created, exists, deleted, absent, planned;
};

/* A record's vault, looked up once: its resource id, or why not. */
struct found {
	char	*id;
	char	*err;
};

static char *lookup_vault(struct arm *, const char *, const char *,
	    char **);
static char *find_vault(struct arm *, struct azure_cred *, const char *,
	    const char *, char **);
static void default_uri(struct grant *);

/* What one record asks for, as plain strings owned by the worker. */
struct ask {
	char	*label;
	char	*scope;
	char	*principal;
	char	*ptype;		/* canonical, or NULL */
	char	*roledef;	/* full role definition id */
	char	*assignment;	/* full role assignment id */
};

static const char synopsis[] =
    "usage: kv-grant [-hnqv] [-j jobs] [--revoke] [--scope resource-id]\n"
    "                [--subscription subscription] [--vault name|url]\n"
    "                [--from-policies] [--principals file]\n";
static const char options[] =
	"      --from-policies              plan the assignments from Vault's ACL policies\n"
	"  -h, --help                       print this help and exit\n"
	"  -j, --jobs JOBS                  records handled at once, 1 to 64 (8)\n"
	"  -n, --dry-run                    create or delete nothing; print the plan\n"
	"      --principals FILE            who holds which policy (with --from-policies)\n"
	"  -q, --quiet                      no messages but fatal ones\n"
	"      --revoke                     delete the assignments, not create them\n"
	"      --scope RESOURCE-ID          the vault's resource id, not looked up\n"
	"      --subscription SUBSCRIPTION  the vault's subscription\n"
	"  -v, --verbose                    say what happens to each record\n"
	"      --vault NAME|URL             the vault (KEY_VAULT_NAME)\n"
	"      --version                    print the version and exit\n";

/* 8-4-4-4-12 hexadecimal digits. */
static int
is_guid(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* The text after the last '/', or s. */
static const char *
last_segment(const char *s)
{
	const char *p = strrchr(s, '/');

	return p != NULL ? p + 1 : s;
}

/*
 * A Key Vault resource id: /subscriptions/S/resourceGroups/R/providers/
 * Microsoft.KeyVault/vaults/V, compared without regard to case.  Returns
 * the subscription (malloc'd) or NULL.
 */
static char *
vault_id_sub(const char *id)
{
	const char *p, *q, *v;

	if (strncasecmp(id, "/subscriptions/", 15) != 0)
		return NULL;
	p = id + 15;
	if ((q = strchr(p, '/')) == NULL || q == p ||
	    strncasecmp(q, "/resourceGroups/", 16) != 0)
		return NULL;
	if ((v = strcasestr(q, KV_TYPE)) == NULL ||
	    !kv_vault_name_valid(v + strlen(KV_TYPE)))
		return NULL;
	return xstrndup(p, (size_t)(q - p));
}

static void
ask_release(struct ask *a)
{
	free(a->label);
	free(a->scope);
	free(a->principal);
	free(a->ptype);
	free(a->roledef);
	free(a->assignment);
	memset(a, 0, sizeof(*a));
}

/* Mark rec failed (status: HTTP or 0) and say so; returns rec. */
static jv
fail(jv rec, const char *label, long status, const char *msg)
{
	msg_warn(label, "%s", msg);
	return rec_error(rec, status, "%s", msg);
}

/*
 * method on the role assignment id, with body (jv_invalid(): none):
 * Resource Manager's answer, and its *status.
 */
static jv
assignment_call(struct grant *g, const char *method, const char *id, jv body,
    long *status)
{
	char *path = xasprintf("%s?api-version=" API_AUTHZ, id);
	jv r = arm_call(g->arm, method, path, body, status);

	free(path);
	return r;
}

/* fail, then free msg. */
static jv
fail_free(jv rec, const char *label, long status, char *msg)
{
	rec = fail(rec, label, status, msg);
	free(msg);
	return rec;
}

/*
 * Mark rec failed by an answer that is not the one wanted: none (body
 * invalid: the message it carries) or Resource Manager's error; body is
 * consumed.
 */
static jv
fail_answer(jv rec, const char *label, long status, jv body)
{
	char *msg;

	if (!jv_is_valid(body))
		return fail_free(rec, label, status,
		    rec_invalid_msg(body, NO_ANSWER));
	msg = arm_errmsg(body, status);
	jv_free(body);
	return fail_free(rec, label, status, msg);
}

/* The role definition id a record's role names, or NULL with *err. */
static char *
role_def(const char *role, const char *sub, char **err)
{
	size_t i, n = strlen(role), m = strlen(RD_PATH) + 36;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcasecmp(role, roles[i].name) == 0)
			return xasprintf("/subscriptions/%s" RD_PATH "%s", sub,
			    roles[i].guid);
	if (is_guid(role))
		return xasprintf("/subscriptions/%s" RD_PATH "%s", sub, role);
	/* A full role definition id is used as given. */
	if (n > m && role[0] == '/' && is_guid(role + n - 36) &&
	    strncasecmp(role + n - m, RD_PATH, m - 36) == 0)
		return xstrdup(role);
	*err = xasprintf("role: '%.80s' is neither a built-in Key Vault role "
	    "name (\"Key Vault Secrets User\", \"Key Vault Secrets Officer\", "
	    "...) nor a role definition GUID", role);
	return NULL;
}

/*
 * The resource id of the record's vault: its "vault" field (checked as
 * kv-put checks it, then looked up in the subscription once), else the
 * default's.  Borrowed from g, or NULL and a malloc'd *err.
 */
static const char *
record_vault_id(struct grant *g, jv rec, char **err)
{
	struct found *f;
	const char *v;
	char *canon, *key, *m;

	if ((*err = rec_field_problem(rec, "vault", JV_KIND_STRING, 0)) !=
	    NULL)
		return NULL;
	if ((v = rec_str(rec, "vault")) == NULL) {
		if (g->vault_id == NULL)
			*err = xstrdup("no vault: the record has no vault "
			    "field, and neither --vault, --scope nor "
			    "KEY_VAULT_NAME names a default");
		return g->vault_id;
	}
	if ((canon = kv_vault_canon(v, &m)) == NULL) {
		*err = xasprintf("vault %s", *v == '\0' ? "is empty" : m);
		free(m);
		return NULL;
	}
	key = kv_vault_key(canon);
	pthread_mutex_lock(&g->mu);
	/* kv-put's mapping names the default too, by its URL: ask once. */
	if (!g->asked_uri && g->arm != NULL && g->vault_id != NULL &&
	    (g->dflt_key == NULL || strcmp(key, g->dflt_key) != 0)) {
		g->asked_uri = 1;
		default_uri(g);
	}
	if ((g->dflt_key != NULL && strcmp(key, g->dflt_key) == 0) ||
	    (g->dflt_key2 != NULL && strcmp(key, g->dflt_key2) == 0)) {
		pthread_mutex_unlock(&g->mu);
		free(key);
		free(canon);
		return g->vault_id;
	}
	if ((f = cimap_get(g->vaults, key)) == NULL) {
		f = xcalloc(1, sizeof(*f));
		if (!kv_vault_host_ok(canon, g->dflt_url, &m)) {
			f->err = xasprintf("vault %s", m);
			free(m);
		} else if (g->arm == NULL)
			f->err = xasprintf("vault %s: a dry run with --scope "
			    "does not look vaults up", canon);
		else
			f->id = find_vault(g->arm, g->cred, canon, g->sub,
			    &f->err);
		cimap_put(g->vaults, key, f);
	}
	pthread_mutex_unlock(&g->mu);
	free(key);
	free(canon);
	if (f->err != NULL)
		*err = xstrdup(f->err);
	return f->id;
}

static int
found_free(const char *key, void *val, void *arg)
{
	struct found *f = val;

	free(f->id);
	free(f->err);
	free(f);
	return 0;
}

/*
 * The default vault's URL as Resource Manager has it (properties.vaultUri):
 * the mapping of kv-put names the vault by it, and a record's vault on its
 * host or a sibling is then allowed, as kv-put allowed it.  Nothing when
 * it cannot be read: records naming the vault by URL are then looked up.
 */
static void
default_uri(struct grant *g)
{
	char *path, *canon, *err = NULL;
	const char *u;
	long st = 0;
	jv r, pr;

	path = xasprintf("%s?api-version=" API_VAULTS, g->vault_id);
	r = arm_call(g->arm, "GET", path, jv_invalid(), &st);
	free(path);
	if (jv_is_valid(r) && st == 200) {
		pr = jv_object_get(jv_copy(r), jv_string("properties"));
		if ((u = rec_str(pr, "vaultUri")) != NULL &&
		    (canon = kv_vault_canon(u, &err)) != NULL) {
			g->dflt_key2 = kv_vault_key(canon);
			free(g->dflt_url);
			g->dflt_url = canon;
		}
		free(err);
		jv_free(pr);
	}
	jv_free(r);
}

/*
 * Read what the record asks for into a; 0, or -1 with *err (malloc'd)
 * naming the field.
 */
static int
parse_ask(struct grant *g, jv rec, struct ask *a, char **err)
{
	const char *principal, *role, *name = NULL, *vid;
	char *vsub;
	char uuid[37];
	char *joined;
	size_t i;
	jv v;

	v = jv_object_get(jv_copy(rec), jv_string("principal"));
	if (jv_get_kind(v) != JV_KIND_STRING) {
		*err = xasprintf("principal: %s", jv_is_valid(v) &&
		    jv_get_kind(v) != JV_KIND_NULL ? "not a string" :
		    "missing (the object id of a user, group or service "
		    "principal)");
		jv_free(v);
		return -1;
	}
	jv_free(v);
	principal = rec_str(rec, "principal");
	if (!is_guid(principal)) {
		*err = xasprintf("principal: '%.80s' is not an object id "
		    "(GUID)", principal);
		return -1;
	}
	a->principal = xstrdup(principal);

	v = jv_object_get(jv_copy(rec), jv_string("principal_type"));
	if (jv_get_kind(v) != JV_KIND_NULL && jv_is_valid(v)) {
		if (jv_get_kind(v) != JV_KIND_STRING) {
			jv_free(v);
			*err = xstrdup("principal_type: not a string");
			return -1;
		}
		for (i = 0; i < sizeof(principal_types) /
		    sizeof(principal_types[0]); i++)
			if (strcasecmp(jv_string_value(v),
			    principal_types[i]) == 0)
				a->ptype = xstrdup(principal_types[i]);
		if (a->ptype == NULL) {
			*err = xasprintf("principal_type: '%.40s' is not User, "
			    "Group, ServicePrincipal or ForeignGroup",
			    jv_string_value(v));
			jv_free(v);
			return -1;
		}
	}
	jv_free(v);

	role = rec_str(rec, "role");
	if (role == NULL) {
		v = jv_object_get(jv_copy(rec), jv_string("role"));
		*err = xstrdup(jv_get_kind(v) == JV_KIND_NULL ||
		    !jv_is_valid(v) ? "role: missing (a built-in Key Vault "
		    "role name or a role definition GUID)" :
		    "role: not a string");
		jv_free(v);
		return -1;
	}

	v = jv_object_get(jv_copy(rec), jv_string("name"));
	if (jv_get_kind(v) == JV_KIND_STRING)
		name = rec_str(rec, "name");
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		jv_free(v);
		*err = xstrdup("name: not a string");
		return -1;
	}
	jv_free(v);
	if (name != NULL && !kv_name_valid(name)) {
		*err = xasprintf("name: '%.130s' is not a Key Vault secret "
		    "name", name);
		return -1;
	}
	if ((vid = record_vault_id(g, rec, err)) == NULL)
		return -1;
	/* The role's definition, in the subscription of the vault. */
	vsub = vault_id_sub(vid);
	a->roledef = role_def(role, vsub != NULL ? vsub : g->sub, err);
	free(vsub);
	if (a->roledef == NULL)
		return -1;
	a->scope = name != NULL ? xasprintf("%s/secrets/%s", vid, name) :
	    xstrdup(vid);

	/* Bicep: guid(scope.id, principalId, roleDefinitionId). */
	joined = xasprintf("%s-%s-%s", a->scope, a->principal, a->roledef);
	hash_uuid5(ARM_GUID_NS, joined, strlen(joined), uuid);
	free(joined);
	a->assignment = xasprintf("%s" RA_PATH "%s", a->scope, uuid);
	return 0;
}

/* The "error.code" of an ARM error body, or "". */
static const char *
arm_code(jv body)
{
	const char *code = rec_error_str(body, "code");

	return code != NULL ? code : "";
}

/*
 * Every item of a paged ARM list: an array, or invalid with *status and
 * a malloc'd *err.
 */
static jv
list_all(struct arm *arm, const char *first, long *status, char **err)
{
	jv all = arm_list(arm, first, status);

	if (!jv_is_valid(all)) {
		*err = rec_invalid_msg(all, NO_ANSWER);
		return jv_invalid();
	}
	return all;
}

/*
 * An existing assignment of the same role to the same principal at
 * exactly this scope, under whatever name: its id (malloc'd), or NULL
 * when there is none, or NULL with *status and a malloc'd *err when the
 * list cannot be read.
 */
static char *
find_assignment(struct grant *g, const struct ask *a, long *status,
    char **err)
{
	jv list, it, p;
	char *q, *path, *found = NULL;
	const char *scope, *pid, *rd, *id;
	int i, n;

	q = xasprintf("principalId eq '%s'", a->principal);
	path = hash_urlencode(q);
	free(q);
	q = xasprintf("%s" AUTHZ "/roleAssignments?$filter=%s&api-version="
	    API_AUTHZ, a->scope, path);
	free(path);
	list = list_all(g->arm, q, status, err);
	free(q);
	if (!jv_is_valid(list))
		return NULL;
	n = jv_array_length(jv_copy(list));
	for (i = 0; i < n && found == NULL; i++) {
		it = jv_array_get(jv_copy(list), i);
		p = jv_object_get(jv_copy(it), jv_string("properties"));
		scope = rec_str(p, "scope");
		pid = rec_str(p, "principalId");
		rd = rec_str(p, "roleDefinitionId");
		id = rec_str(it, "id");
		if (scope != NULL && pid != NULL && rd != NULL && id != NULL) {
			char *s = xstrdup_noslash(scope, 1);

			if (strcasecmp(s, a->scope) == 0 &&
			    strcasecmp(pid, a->principal) == 0 &&
			    strcasecmp(last_segment(rd),
			    last_segment(a->roledef)) == 0)
				found = xstrdup(id);
			free(s);
		}
		jv_free(p);
		jv_free(it);
	}
	jv_free(list);
	*status = 200;
	return found;
}

/*
 * The assignment a 409 RoleAssignmentExists names ("The ID of the
 * existing role assignment is <32 hex digits>."), or NULL.
 */
static char *
existing_from_message(jv body, const char *scope)
{
	const char *m, *p;
	char *id = NULL;
	int i;

	m = rec_error_str(body, "message");
	if (m != NULL && (p = strstr(m, "existing role assignment is ")) !=
	    NULL) {
		p += strlen("existing role assignment is ");
		for (i = 0; i < 32 && isxdigit((unsigned char)p[i]); i++)
			;
		if (i == 32 && !isxdigit((unsigned char)p[32])) {
			id = xasprintf("%s" RA_PATH
			    "%.8s-%.4s-%.4s-%.4s-%.12s", scope, p, p + 8,
			    p + 12, p + 16, p + 20);
			for (i = (int)strlen(id) - 36; id[i] != '\0'; i++)
				id[i] = (char)tolower((unsigned char)id[i]);
		}
	}
	return id;
}

static jv
set_result(jv rec, const char *assignment, const char *status)
{
	rec = jv_object_set(rec, jv_string("assignment"),
	    assignment != NULL ? jv_string(assignment) : jv_null());
	return jv_object_set(rec, jv_string("status"), jv_string(status));
}

static jv
create_one(struct grant *g, jv rec, struct ask *a)
{
	jv body, props;
	long status;
	char *msg, *found, *err = NULL;
	const char *code;

	props = jv_object_set(jv_object(), jv_string("roleDefinitionId"),
	    jv_string(a->roledef));
	props = jv_object_set(props, jv_string("principalId"),
	    jv_string(a->principal));
	if (a->ptype != NULL)
		props = jv_object_set(props, jv_string("principalType"),
		    jv_string(a->ptype));
	body = jv_object_set(jv_object(), jv_string("properties"), props);
	body = assignment_call(g, "PUT", a->assignment, body, &status);
	if (!jv_is_valid(body))
		return fail_answer(rec, a->label, status, body);
	if (status == 201 || status == 200) {
		msg_info(a->label, "%s %s", status == 201 ? "created" :
		    "exists", a->assignment);
		jv_free(body);
		return set_result(rec, a->assignment, status == 201 ?
		    "created" : "exists");
	}
	code = arm_code(body);
	if (status == 409 && strcmp(code, "RoleAssignmentExists") == 0) {
		/* Made before under another name (az CLI, the portal). */
		if ((found = existing_from_message(body, a->scope)) == NULL)
			found = find_assignment(g, a, &status, &err);
		free(err);
		msg_info(a->label, "exists as %s", found != NULL ? found :
		    "an assignment of another name");
		rec = set_result(rec, found, "exists");
		free(found);
		jv_free(body);
		return rec;
	}
	msg = arm_errmsg(body, status);
	if (strcmp(code, "PrincipalNotFound") == 0 && a->ptype == NULL) {
		char *m2 = xasprintf("%s; set the record's principal_type "
		    "(User, Group or ServicePrincipal)", msg);

		free(msg);
		msg = m2;
	}
	jv_free(body);
	return fail_free(rec, a->label, status, msg);
}

static jv
revoke_one(struct grant *g, jv rec, struct ask *a)
{
	jv body;
	long status;
	char *found, *err = NULL;
	const char *id = a->assignment;

	found = NULL;
	for (;;) {
		body = assignment_call(g, "DELETE", id, jv_invalid(), &status);
		if (jv_is_valid(body) && status == 200) {
			msg_info(a->label, "deleted %s", id);
			jv_free(body);
			rec = set_result(rec, id, "deleted");
			free(found);
			return rec;
		}
		if (!jv_is_valid(body) || (status != 204 && status != 404)) {
			rec = fail_answer(rec, a->label, status, body);
			free(found);
			return rec;
		}
		jv_free(body);
		if (found != NULL)
			break;
		/* Not under our name: maybe under another one. */
		found = find_assignment(g, a, &status, &err);
		if (err != NULL && status == 404) {
			/* The scope itself is gone (a deleted secret). */
			free(err);
			break;
		}
		if (err != NULL)
			return fail_free(rec, a->label, status, err);
		if (found == NULL)
			break;
		id = found;
	}
	msg_info(a->label, "absent %s", a->assignment);
	rec = set_result(rec, a->assignment, "absent");
	free(found);
	return rec;
}

/*
 * A dry run says what is there already: the assignment under our name,
 * else one of the same role, principal and scope under another name.
 * Without Resource Manager (--scope) it cannot know, and plans.
 */
static jv
plan_one(struct grant *g, jv rec, struct ask *a)
{
	jv body;
	long status;
	char *found = NULL, *err = NULL;

	if (g->arm == NULL) {
		msg_info(a->label, "would %s %s", g->revoke ? "delete" :
		    "create", a->assignment);
		return set_result(rec, a->assignment, "planned");
	}
	body = assignment_call(g, "GET", a->assignment, jv_invalid(), &status);
	if (!jv_is_valid(body) || (status != 200 && status != 404))
		return fail_answer(rec, a->label, status, body);
	jv_free(body);
	if (status == 200)
		found = xstrdup(a->assignment);
	else {
		found = find_assignment(g, a, &status, &err);
		if (err != NULL && status != 404)
			return fail_free(rec, a->label, status, err);
		free(err);	/* 404: the scope is not there (yet) */
	}
	if (found != NULL) {
		msg_info(a->label, "%s %s", g->revoke ? "would delete" :
		    "exists", found);
		rec = set_result(rec, found, g->revoke ? "planned" : "exists");
	} else {
		msg_info(a->label, "%s %s", g->revoke ? "absent" :
		    "would create", a->assignment);
		rec = set_result(rec, a->assignment, g->revoke ? "absent" :
		    "planned");
	}
	free(found);
	return rec;
}

/* Pool worker: one record (its line is the pool's, for rec_label). */
static jv
grant_one(jv rec, long tag, void *arg)
{
	struct grant *g = arg;
	struct ask a;
	char *err = NULL;

	if (rec_failed(rec) || msg_stop)
		return rec;
	/* --from-policies: a finding for the reviewer, nothing to grant. */
	if (rec_str(rec, "warning") != NULL)
		return rec;
	memset(&a, 0, sizeof(a));
	a.label = rec_label(rec, 0);
	if (parse_ask(g, rec, &a, &err) == -1) {
		rec = fail(rec, a.label, 0, err);
		free(err);
	} else if (g->dry_run)
		rec = plan_one(g, rec, &a);
	else if (g->revoke)
		rec = revoke_one(g, rec, &a);
	else
		rec = create_one(g, rec, &a);
	ask_release(&a);
	return rec;
}

/*
 * Every record leaves without its data, whatever became of it, as from
 * kv-put and kv-check: a grant needs no value, and the output is kept.
 */
static int
emit(jv rec, long tag, void *arg)
{
	struct grant *g = arg;
	const char *s;
	int failed;

	rec = rec_strip_data(rec);
	failed = rec_fate(rec);
	g->n++;
	if (!failed && (s = rec_str(rec, "status")) != NULL) {
		if (strcmp(s, "created") == 0)
			g->created++;
		else if (strcmp(s, "exists") == 0)
			g->exists++;
		else if (strcmp(s, "deleted") == 0)
			g->deleted++;
		else if (strcmp(s, "absent") == 0)
			g->absent++;
		else if (strcmp(s, "planned") == 0)
			g->planned++;
	}
	msg_progress_add(failed);
	return rec_emit(rec);	/* msg_finish says why it failed */
}

/* The vault's resource id from the first matching item, or NULL. */
static char *
pick_vault(jv list, const char *name, const char *url)
{
	jv it, p;
	const char *id, *n, *u;
	char *found = NULL, *a, *b;
	int i, len;

	len = jv_array_length(jv_copy(list));
	for (i = 0; i < len && found == NULL; i++) {
		it = jv_array_get(jv_copy(list), i);
		id = rec_str(it, "id");
		n = rec_str(it, "name");
		if (id != NULL && name != NULL && n != NULL &&
		    strcasecmp(n, name) == 0)
			found = xstrdup_noslash(id, 1);
		else if (id != NULL && url != NULL) {
			p = jv_object_get(jv_copy(it), jv_string("properties"));
			if ((u = rec_str(p, "vaultUri")) != NULL) {
				a = xstrdup_noslash(u, 1);
				b = xstrdup_noslash(url, 1);
				if (strcasecmp(a, b) == 0)
					found = xstrdup_noslash(id, 1);
				free(a);
				free(b);
			}
			jv_free(p);
		}
		jv_free(it);
	}
	return found;
}

/*
 * The dry run's pre-flight: what the identity may do at the vault's
 * scope, and whether role assignments reach its secrets at all.  Its
 * problems go out first, a line and a record each; returns their number.
 */
static long
preflight(struct grant *g, const char *vault)
{
	struct preflight pf;
	long n;

	preflight_init(&pf, g->revoke ? need_delete : need_write,
	    vault != NULL ? vault : g->vault_id);
	pf.id = xstrdup(g->vault_id);
	preflight_run(&pf, NULL, g->arm, NULL);
	if (!pf.from_arm)
		preflight_add(&pf, "arm", "%s: kv-grant works through it",
		    pf.arm_note);
	else if (pf.rbac == 0)
		preflight_add(&pf, "model", "the vault uses access policies: "
		    "role assignments give no access to its secrets until it "
		    "moves to the Azure RBAC permission model "
		    "(enableRbacAuthorization)");
	n = preflight_emit(&pf);
	preflight_release(&pf);
	return n;
}

/*
 * The resource id of the vault named (or at the https URL) vault, in
 * subscription sub, or NULL and a malloc'd *err.
 */
static char *
lookup_vault(struct arm *arm, const char *vault, const char *sub, char **err)
{
	jv list;
	long status;
	struct kv_id kid;
	char *q, *f, *path, *id, *e = NULL, *name = NULL;
	const char *url = NULL;

	if (strncasecmp(vault, "https://", 8) == 0) {
		url = vault;
		/* https://NAME.vault.azure.net (and the sovereign clouds). */
		if (kv_id_parse(vault, &kid) == 0) {
			name = kid.vault_name;
			kid.vault_name = NULL;
		}
		kv_id_release(&kid);
	} else
		name = xstrdup(vault);

	if (name != NULL) {
		q = xasprintf("resourceType eq 'Microsoft.KeyVault/vaults' and "
		    "name eq '%s'", name);
		f = hash_urlencode(q);
		path = xasprintf("/subscriptions/%s/resources?$filter=%s"
		    "&api-version=" API_RESOURCES, sub, f);
		free(f);
		free(q);
	} else
		path = xasprintf("/subscriptions/%s/providers/"
		    "Microsoft.KeyVault/vaults?api-version=" API_VAULTS, sub);
	list = list_all(arm, path, &status, &e);
	free(path);
	if (!jv_is_valid(list)) {
		*err = xasprintf("vault %s: cannot look it up in subscription "
		    "%s: %s", vault, sub, e);
		free(e);
		free(name);
		return NULL;
	}
	id = pick_vault(list, name, name == NULL ? url : NULL);
	jv_free(list);
	free(name);
	if (id == NULL)
		*err = xasprintf("vault %s: not found in subscription %s",
		    vault, sub);
	else if ((f = vault_id_sub(id)) == NULL) {
		*err = xasprintf("vault %s: unexpected resource id %s", vault,
		    id);
		free(id);
		id = NULL;
	} else {
		free(f);
		msg_info(NULL, "vault %s is %s", vault, id);
	}
	return id;
}

/*
 * The vault among every subscription the identity can list: its
 * resource id, or NULL and a malloc'd *err.
 */
static char *
search_vault(struct arm *arm, const char *vault, char **err)
{
	jv list, it;
	long status;
	const char *sub, *state;
	char *e = NULL, *id = NULL;
	int i, n, tried = 0;

	list = list_all(arm, "/subscriptions?api-version=" API_SUBS, &status,
	    &e);
	if (!jv_is_valid(list)) {
		*err = xasprintf("vault %s: no subscription given, and the "
		    "subscriptions cannot be listed: %s", vault, e);
		free(e);
		return NULL;
	}
	n = jv_array_length(jv_copy(list));
	for (i = 0; i < n && id == NULL; i++) {
		it = jv_array_get(jv_copy(list), i);
		sub = rec_str(it, "subscriptionId");
		state = rec_str(it, "state");
		if (sub != NULL && is_guid(sub) && (state == NULL ||
		    (strcasecmp(state, "Disabled") != 0 &&
		    strcasecmp(state, "Deleted") != 0))) {
			tried++;
			id = lookup_vault(arm, vault, sub, &e);
			free(e);
			e = NULL;
		}
		jv_free(it);
	}
	jv_free(list);
	if (id == NULL)
		*err = xasprintf("vault %s: not found in any of the %d "
		    "subscription%s the identity can see (give "
		    "--subscription)", vault, tried, PLURAL(tried));
	return id;
}

/*
 * The vault's resource id: in sub when given; else in az's default
 * subscription of the cloud, else in any subscription the identity
 * sees.  NULL and a malloc'd *err.
 */
static char *
find_vault(struct arm *arm, struct azure_cred *cred, const char *vault,
    const char *sub, char **err)
{
	char *def, *id, *e = NULL;

	if (sub != NULL)
		return lookup_vault(arm, vault, sub, err);
	def = azure_cloud_subscription(azure_cred_cloud(cred), &e);
	if (e != NULL) {
		msg_warn(NULL, "%s", e);
		free(e);
		e = NULL;
	}
	if (def != NULL && is_guid(def)) {
		msg_info(NULL, "subscription %s: az's default", def);
		if ((id = lookup_vault(arm, vault, def, &e)) != NULL) {
			free(def);
			return id;
		}
		msg_info(NULL, "%s; looking in every subscription", e);
		free(e);
	}
	free(def);
	return search_vault(arm, vault, err);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "from-policies", no_argument,		NULL, OPT_POLICIES },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "principals",	required_argument,	NULL, OPT_PRINCIPALS },
		{ "revoke",	no_argument,		NULL, OPT_REVOKE },
		{ "scope",	required_argument,	NULL, OPT_SCOPE },
		{ "subscription", required_argument,	NULL, OPT_SUBSCRIPTION },
		{ "vault",	required_argument,	NULL, OPT_VAULT },
		MSG_LONGOPTS(OPT_VERSION)
	};
	struct grant g;
	struct http *http = NULL;
	struct azure_cred *cred = NULL;
	struct rec_reader rd;
	struct pool *pool;
	struct buf sum;
	const char *scope = NULL, *sub = NULL, *vault = NULL;
	const char *principals = NULL;
	struct plan_stats pst;
	int from_policies = 0;
	jv plan;
	char *err = NULL;
	long sent = 0, retried = 0, throttled = 0, problems = 0;
	int ch, stopped = 0, status = EXIT_OK;
	jv rec;

	msg_init("kv-grant");
	msg_help_text(synopsis, options);
	memset(&g, 0, sizeof(g));
	while ((ch = getopt_long(argc, argv, "hj:nqv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_REVOKE:
			g.revoke = 1;
			break;
		case OPT_SUBSCRIPTION:
			sub = optarg;
			break;
		case OPT_SCOPE:
			scope = optarg;
			break;
		case OPT_VAULT:
			vault = optarg;
			break;
		case OPT_POLICIES:
			from_policies = 1;
			break;
		case OPT_PRINCIPALS:
			principals = optarg;
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	msg_no_operands(argc);
	g.dry_run = msg_dry_run;
	if (principals != NULL && !from_policies)
		msg_usage_error("--principals: only with --from-policies");

	if (scope != NULL) {
		g.vault_id = xstrdup_noslash(scope, 1);
		if ((g.sub = vault_id_sub(g.vault_id)) == NULL)
			msg_usage_error("--scope: '%s' is not a Key Vault "
			    "resource id (/subscriptions/SUB/resourceGroups/RG"
			    "%sNAME)", scope, KV_TYPE);
	} else {
		/* None: every record must carry its own. */
		vault = kv_target(vault);
		if (sub == NULL)
			sub = getenv("AZURE_SUBSCRIPTION_ID");
		if (sub != NULL && *sub == '\0')
			sub = NULL;
		if (sub != NULL && !is_guid(sub))
			msg_usage_error("subscription '%s' is not a GUID", sub);
		if (vault != NULL && strncasecmp(vault, "https://", 8) != 0 &&
		    !kv_vault_name_valid(vault))
			msg_usage_error("vault '%s' is neither a Key Vault "
			    "name nor an https URL", vault);
		if (vault != NULL &&
		    (g.dflt_url = kv_vault_canon(vault, &err)) == NULL)
			msg_usage_error("%s", err);
		if (g.dflt_url != NULL)
			g.dflt_key = kv_vault_key(g.dflt_url);
	}
	pthread_mutex_init(&g.mu, NULL);
	g.vaults = cimap_new(0);

	http = start_http("KV_CLIENT_TIMEOUT", msg_jobs, 0);
	if ((cred = azure_cred_new(http, &err)) == NULL ||
	    (g.arm = arm_new(http, cred, &err)) == NULL ||
	    (scope == NULL && vault != NULL &&
	    (g.vault_id = find_vault(g.arm, cred, vault, sub, &err)) ==
	    NULL)) {
		/* The engine's thread stops before the exit. */
		arm_free(g.arm);
		azure_cred_free(cred);
		http_free(http);
		msg_fatal("%s", err);
	}
	g.cred = cred;
	/* Records' own vaults are looked for where the default was found. */
	if (scope == NULL)
		g.sub = g.vault_id != NULL ? vault_id_sub(g.vault_id) :
		    sub != NULL ? xstrdup(sub) : NULL;
	if (g.dry_run)
		problems = preflight(&g, vault);

	pool = pool_new(msg_jobs, grant_one, emit, &g);
	rec_reader_init(&rd, stdin);
	memset(&pst, 0, sizeof(pst));
	if (from_policies) {
		/* The whole input first: a plan needs every secret. */
		plan = policies_plan(&rd, principals, &pst);
		policies_check_limit(g.arm, g.sub, g.vault_id, &plan, &pst);
		msg_progress_total(jv_array_length(jv_copy(plan)));
		jv_array_foreach(plan, i, r)
			if (!stopped && pool_submit(pool, r, 0) == -1)
				stopped = 1;
			else if (stopped)
				jv_free(r);
		jv_free(plan);
	}
	while (!from_policies && !stopped && rec_next_input(&rd, &rec) != 0)
		if (pool_submit(pool, rec, 0) == -1)
			stopped = 1;
	if (pool_finish(pool) == -1)
		stopped = 1;
	pool_free(pool);
	rec_reader_release(&rd);
	if (http != NULL)
		http_stats(http, &sent, &retried, &throttled);
	arm_free(g.arm);
	azure_cred_free(cred);
	if (http != NULL)
		http_free(http);

	if (msg_failed() > 0 || pst.incomplete || problems > 0)
		status = EXIT_PARTIAL;
	buf_init(&sum);
	buf_printf(&sum, "%s%ld record%s: ", g.dry_run ? "dry-run: " : "",
	    g.n, PLURAL(g.n));
	if (g.dry_run)
		buf_printf(&sum, "%ld planned, %ld %s", g.planned,
		    g.revoke ? g.absent : g.exists, g.revoke ? "absent" :
		    "exist");
	else if (g.revoke)
		buf_printf(&sum, "%ld deleted, %ld absent", g.deleted,
		    g.absent);
	else
		buf_printf(&sum, "%ld created, %ld exist", g.created,
		    g.exists);
	buf_printf(&sum, ", %s", msg_failed_text(msg_failed()));
	if (from_policies)
		buf_printf(&sum, "; from policies: %ld secret%s, %ld without a "
		    "role, %ld assignment%s, %ld warning%s%s", pst.secrets,
		    PLURAL(pst.secrets), pst.uncovered,
		    pst.assignments, PLURAL(pst.assignments),
		    pst.warnings, PLURAL(pst.warnings),
		    pst.incomplete ? " (incomplete)" : "");
	if (problems > 0)
		buf_addstr(&sum, ", pre-flight problems above");
	if (g.dry_run)
		buf_addstr(&sum, "; nothing changed");
	else
		buf_printf(&sum, "; %ld requests, %ld retried, %ld throttled",
		    sent, retried, throttled);
	status = msg_finish(status, "%s", sum.data);
	buf_release(&sum);
	free(g.vault_id);
	free(g.sub);
	free(g.dflt_url);
	free(g.dflt_key);
	free(g.dflt_key2);
	cimap_iterate(g.vaults, found_free, NULL);
	cimap_free(g.vaults);
	pthread_mutex_destroy(&g.mu);
	return status;
}
