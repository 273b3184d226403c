/* arm.c: Azure Resource Manager calls (kv-grant's role assignments). */

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "azure_int.h"

/* Pages of one list at the most: a loop of nextLinks ends. */
#define ARM_PAGES_MAX	1000

struct arm {
	struct http	*http;
	struct azure_cred *cred;
	struct azure_cloud *cloud;	/* the credential's */
	const char	*url;		/* the cloud's, as long as it lives */
};


struct arm *
arm_new(struct http *http, struct azure_cred *cred, char **err)
{
	struct azure_cloud *cloud = azure_cred_cloud(cred);
	const char *s;
	struct arm *a;

	if ((s = azure_cloud_arm_url(cloud, err)) == NULL)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->http = http;
	a->cred = cred;
	a->cloud = cloud;
	a->url = s;
	return a;
}

void
arm_free(struct arm *a)
{
	free(a);
}

jv
arm_call(struct arm *a, const char *method, const char *path_query, jv body,
    long *status)
{
	struct az_call ac;
	struct http_req r;
	struct buf payload;
	const char *scope;
	char *url, *err = NULL, *e;
	int rc;
	jv res;

	*status = 0;
	/* The cloud's audience: a custom cloud's metadata says which. */
	if ((scope = azure_cloud_arm_scope(a->cloud, &err)) == NULL) {
		jv_wipe_free(body);
		res = jv_invalid_with_msg(jv_string(err));
		free(err);
		return res;
	}
	az_payload(body, &payload);
	while (*path_query == '/')
		path_query++;
	url = xasprintf("%s/%s", a->url, path_query);
	memset(&ac, 0, sizeof(ac));
	ac.http = a->http;
	ac.cred = a->cred;
	ac.method = method;
	ac.url = url;
	ac.payload = &payload;
	/* The token of this cloud's Resource Manager, sent only to it. */
	ac.scope = scope;
	rc = az_authed_call(&ac, &r, &err);
	if (rc == -1)
		res = jv_invalid_with_msg(jv_string(err));
	else if (rc == -2) {
		e = az_transport_msg(a->url, &r);
		res = jv_invalid_with_msg(jv_string(e));
		free(e);
		http_req_release(&r);
	} else {
		*status = r.status;
		res = az_answer_body(&r, a->url);
		http_req_release(&r);
	}
	free(err);
	free(url);
	buf_release(&payload);
	return res;
}

char *
arm_errmsg(jv body, long status)
{
	char *code, *inner, *msg, *r;
	const char *m;

	az_codes(body, &code, &inner, &msg);
	m = msg != NULL ? msg : "";
	if (az_eq(code, "AuthorizationFailed"))
		r = xasprintf("not allowed to manage role assignments here: "
		    "the identity needs Microsoft.Authorization/"
		    "roleAssignments/write on the scope (Owner, User Access "
		    "Administrator or Role Based Access Control "
		    "Administrator)");
	else if (az_eq(code, "PrincipalNotFound"))
		r = xasprintf("principal not found in the directory (a new "
		    "identity can take minutes to replicate; give its "
		    "principal type): %s", m);
	else if (az_eq(code, "RoleAssignmentExists"))
		r = xstrdup("the role assignment already exists");
	else if (az_eq(code, "InvalidRoleAssignmentId"))
		r = xasprintf("invalid role assignment name: %s", m);
	else if (status == 401)
		r = xasprintf("Resource Manager rejected the token%s%s",
		    *m ? ": " : "", m);
	else if (code != NULL || *m != '\0')
		r = xasprintf("HTTP %ld %s%s%s", status,
		    code != NULL ? code : "", *m ? ": " : "", m);
	else
		r = xasprintf("Resource Manager answered HTTP %ld", status);
	free(code);
	free(inner);
	free(msg);
	return r;
}

/* A nextLink (a full URL) as a path below the ARM root. */
static const char *
link_path(const char *link)
{
	const char *p;

	if ((p = strstr(link, "://")) == NULL)
		return link;
	p = strchr(p + 3, '/');
	return p != NULL ? p : "/";
}

jv
arm_list(struct arm *arm, const char *path_query, long *status)
{
	jv all = jv_array(), body, next;
	char *path = xstrdup(path_query), *m;
	int pages = 0;

	while (path != NULL) {
		body = arm_call(arm, "GET", path, jv_invalid(), status);
		free(path);
		path = NULL;
		if (!jv_is_valid(body)) {
			jv_free(all);
			return body;
		}
		if (*status != 200) {
			m = arm_errmsg(body, *status);
			jv_free(body);
			jv_free(all);
			all = jv_invalid_with_msg(jv_string(m));
			free(m);
			return all;
		}
		if (!jv_is_valid(all = az_page_items(all, body, arm->url))) {
			jv_free(body);
			return all;
		}
		next = jv_object_get(body, jv_string("nextLink"));
		if (jv_get_kind(next) == JV_KIND_STRING &&
		    jv_string_length_bytes(jv_copy(next)) > 0 &&
		    ++pages < ARM_PAGES_MAX)
			path = xstrdup(link_path(jv_string_value(next)));
		jv_free(next);
	}
	return all;
}
