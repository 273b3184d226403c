/* arm.c: Azure Resource Manager calls (kv-grant's role assignments). */

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "azure_int.h"

struct arm {
	struct http	*http;
	struct azure_cred *cred;
	struct azure_cloud *cloud;	/* the credential's */
	char		*url;
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
	a->url = xstrdup(s);
	return a;
}

void
arm_free(struct arm *a)
{
	if (a == NULL)
		return;
	free(a->url);
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
