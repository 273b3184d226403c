/* azcloud.c: the Azure clouds, and which one az's configuration chooses. */

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "azure_int.h"

/* What a custom cloud's Resource Manager publishes about its cloud. */
#define METADATA_PATH	"/metadata/endpoints?api-version=2022-09-01"
#define MAX_CONFIG	(1 << 20)	/* bytes of an az configuration file */

/*
 * The clouds az knows by name, with its names (Azure/azure-cli,
 * src/azure-cli-core/azure/cli/core/cloud.py: AZURE_PUBLIC_CLOUD,
 * AZURE_CHINA_CLOUD, AZURE_US_GOV_CLOUD: endpoints active_directory
 * and resource_manager, suffixes keyvault_dns).  The Resource Manager
 * audience is its endpoint, as Microsoft's examples for the sovereign
 * clouds ask (MicrosoftDocs/python-sdk-docs-examples, sovereign_domain/
 * sovereign_cloud.py: credential_scopes=[resource_manager + "/.default"]),
 * and a vault's token is for https:// and its DNS suffix: the resource its
 * challenge names (kv.c, which holds the challenge to the vault's domain).
 */
static const struct known {
	const char	*name;
	const char	*authority;
	const char	*kv_suffix;
	const char	*arm_url;
} known[] = {
	{ "AzureCloud", "https://login.microsoftonline.com",
	    "vault.azure.net", "https://management.azure.com" },
	{ "AzureChinaCloud", "https://login.chinacloudapi.cn",
	    "vault.azure.cn", "https://management.chinacloudapi.cn" },
	{ "AzureUSGovernment", "https://login.microsoftonline.us",
	    "vault.usgovcloudapi.net", "https://management.usgovcloudapi.net" },
};
#define NKNOWN	(sizeof(known) / sizeof(known[0]))
#define KNOWN_NAMES	"AzureCloud, AzureChinaCloud, AzureUSGovernment"

struct azure_cloud {
	struct http	*http;
	pthread_mutex_t	 mu;
	char		*name;
	char		*authority;	/* no trailing '/'; NULL until known */
	char		*kv_suffix;	/* no leading '.' */
	char		*arm_url;	/* no trailing '/' */
	char		*arm_scope;
	char		*arm_err;	/* why arm_url is unusable */
	int		 pending;	/* the metadata document is to be read */
	char		*meta_err;	/* why it could not be */
};


static char *
scope_of(const char *audience)
{
	char *a = xstrdup_noslash(audience, 0), *s;

	s = xasprintf("%s/.default", a);
	free(a);
	return s;
}

/* az's configuration directory: AZURE_CONFIG_DIR, else ~/.azure. */
static char *
config_path(const char *file)
{
	const char *d = az_env("AZURE_CONFIG_DIR"), *home;

	if (d != NULL)
		return xasprintf("%s/%s", d, file);
	if ((home = az_env("HOME")) == NULL)
		return NULL;
	return xasprintf("%s/.azure/%s", home, file);
}

/*
 * A whole small file, NUL-terminated, a UTF-8 byte order mark dropped
 * (az writes azureProfile.json with one).  NULL when it does not exist;
 * NULL and *err when it cannot be read.
 */
static char *
slurp(const char *path, char **err)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	*err = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno != ENOENT && errno != ENOTDIR)
			*err = xasprintf("cannot read %s: %s", path,
			    strerror(errno));
		return NULL;
	}
	buf_init(&b);
	buf_addstr(&b, "");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	    b.len < MAX_CONFIG)
		buf_add(&b, chunk, n);
	if (ferror(f)) {
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		fclose(f);
		buf_release(&b);
		return NULL;
	}
	fclose(f);
	if (b.len >= 3 && memcmp(b.data, "\xef\xbb\xbf", 3) == 0) {
		memmove(b.data, b.data + 3, b.len - 3 + 1);
		b.len -= 3;
	}
	return buf_detach(&b);
}

/*
 * key of [section] in an INI file as Python's configparser reads az's
 * (key = value or key: value, keys without regard to case, # and ;
 * comments): malloc'd, or NULL.
 */
static char *
ini_get(const char *text, const char *section, const char *key)
{
	const char *p = text, *e, *d, *ke, *v, *ve;
	size_t kl = strlen(key), sl = strlen(section);
	int in = 0;

	for (; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		while (p < e && isspace((unsigned char)*p))
			p++;
		ve = e;
		while (ve > p && isspace((unsigned char)ve[-1]))
			ve--;
		if (p == ve || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			in = (size_t)(ve - p) == sl + 2 && ve[-1] == ']' &&
			    strncmp(p + 1, section, sl) == 0;
			continue;
		}
		d = p + strcspn(p, "=:");
		if (!in || d >= ve)
			continue;
		ke = d;
		while (ke > p && isspace((unsigned char)ke[-1]))
			ke--;
		if ((size_t)(ke - p) != kl || strncasecmp(p, key, kl) != 0)
			continue;
		for (v = d + 1; v < ve && isspace((unsigned char)*v); v++)
			;
		return xstrndup(v, (size_t)(ve - v));
	}
	return NULL;
}

/* Two URLs that name the same endpoint (case, trailing '/'). */
static int
same_url(const char *a, const char *b)
{
	char *x = xstrdup_noslash(a, 0), *y = xstrdup_noslash(b, 0);
	int same = strcasecmp(x, y) == 0;

	free(x);
	free(y);
	return same;
}

static const struct known *
find_known(const char *name)
{
	size_t i;

	for (i = 0; i < NKNOWN; i++)
		if (strcasecmp(name, known[i].name) == 0)
			return &known[i];
	return NULL;
}

struct azure_cloud *
azure_cloud_new(struct http *http, char **err)
{
	const struct known *k;
	struct azure_cloud *c;
	struct az_url u;
	const char *name, *from, *arm, *auth;
	char *path = NULL, *text = NULL, *fromcfg = NULL, *n;
	int chosen = 1;

	/*
	 * AZURE_CLOUD; az's own environment override of its configuration
	 * (knack's CLIConfig reads AZURE_<SECTION>_<OPTION>: microsoft/knack,
	 * knack/config.py); then [cloud] name in az's config file.
	 */
	if ((name = az_env("AZURE_CLOUD")) != NULL)
		from = "AZURE_CLOUD";
	else if ((name = az_env("AZURE_CLOUD_NAME")) != NULL)
		from = "AZURE_CLOUD_NAME";
	else {
		chosen = 0;
		from = "az's configuration";
		if ((path = config_path("config")) != NULL &&
		    (text = slurp(path, err)) == NULL && *err != NULL) {
			free(path);
			return NULL;
		}
		if (text != NULL &&
		    (fromcfg = ini_get(text, "cloud", "name")) != NULL &&
		    *fromcfg != '\0') {
			name = fromcfg;
			from = path;
		}
	}
	arm = az_env("AZURE_RESOURCE_MANAGER_URL");
	k = find_known(name != NULL ? name : "AzureCloud");
	/*
	 * A cloud not known here (one az cloud register made) is described
	 * by its Resource Manager's metadata, which needs its address.
	 */
	if (k == NULL && arm == NULL) {
		n = msg_clean(name, SIZE_MAX, 80);
		*err = xasprintf("%s: unknown cloud '%s' (known: %s; another "
		    "cloud needs AZURE_RESOURCE_MANAGER_URL, its Resource "
		    "Manager)", from, n, KNOWN_NAMES);
		free(n);
		free(fromcfg);
		free(text);
		free(path);
		return NULL;
	}
	free(text);
	free(path);

	c = xcalloc(1, sizeof(*c));
	c->http = http;
	pthread_mutex_init(&c->mu, NULL);
	if (k != NULL) {
		c->name = xstrdup(k->name);
		c->authority = xstrdup(k->authority);
		c->kv_suffix = xstrdup(k->kv_suffix);
		c->arm_url = xstrdup(k->arm_url);
		c->arm_scope = scope_of(k->arm_url);
	} else
		c->name = msg_clean(name, SIZE_MAX, 80);
	free(fromcfg);
	if (arm != NULL) {
		free(c->arm_url);
		c->arm_url = xstrdup_noslash(arm, 0);
		if (az_url_parse(arm, &u) == -1 ||
		    strcmp(u.scheme, "https") != 0) {
			n = msg_clean(arm, SIZE_MAX, 200);
			c->arm_err = xasprintf("AZURE_RESOURCE_MANAGER_URL %s "
			    "is not an https URL", n);
			free(n);
		} else if (k == NULL ||
		    (!chosen && !same_url(arm, k->arm_url))) {
			/*
			 * A cloud not known here, or another Resource Manager
			 * than the cloud's own with no cloud named by a
			 * variable: a custom cloud (Azure Stack Hub), which
			 * says what it is, as az cloud register asks.  A
			 * named cloud keeps its values: the variable only
			 * moves its endpoint.
			 */
			c->pending = 1;
			if (k != NULL) {
				free(c->name);
				c->name = xstrdup("custom");
			}
			free(c->authority);
			free(c->kv_suffix);
			free(c->arm_scope);
			c->authority = c->kv_suffix = c->arm_scope = NULL;
		}
		if (u.scheme != NULL)
			az_url_release(&u);
	}
	if ((auth = az_env("AZURE_AUTHORITY_HOST")) != NULL) {
		free(c->authority);
		c->authority = xstrdup_noslash(auth, 0);
	}
	return c;
}

void
azure_cloud_free(struct azure_cloud *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->authority);
	free(c->kv_suffix);
	free(c->arm_url);
	free(c->arm_scope);
	free(c->arm_err);
	free(c->meta_err);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* A string member of o, or NULL (borrowed). */
static const char *
jstr(jv o, const char *k)
{
	const char *s = rec_str(o, k);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* A DNS suffix: letters, digits, '-' and '.', a leading '.' dropped. */
static char *
dns_suffix(const char *s)
{
	size_t i;

	if (s == NULL)
		return NULL;
	while (*s == '.')
		s++;
	if (*s == '\0' || strlen(s) > 253)
		return NULL;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return NULL;
	return xstrdup_noslash(s, 0);
}

/*
 * Take a metadata document: the one object of api-version 2022-09-01
 * (hashicorp/go-azure-sdk, sdk/environments: metaDataResponse20220901),
 * or, from older servers, the list of clouds, of which the one whose
 * resourceManager is ours.  The login endpoint and the first audience,
 * as az takes them (cloud.py, _arm_to_cli_mapper: active_directory is
 * authentication.loginEndpoint, active_directory_resource_id is
 * authentication.audiences[0]); the Key Vault suffix is suffixes.
 * keyVaultDns.  0, or -1 with *why.
 */
static int
take_metadata(struct azure_cloud *c, jv doc, char **why)
{
	jv one = jv_invalid(), auth, auds, aud, sfx;
	const char *login, *rm, *a;
	struct az_url u;
	int i, n;

	if (jv_get_kind(doc) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(doc));
		for (i = 0; i < n && !jv_is_valid(one); i++) {
			jv e = jv_array_get(jv_copy(doc), i);

			rm = jstr(e, "resourceManager");
			if (rm != NULL && same_url(rm, c->arm_url))
				one = e;
			else
				jv_free(e);
		}
		if (!jv_is_valid(one) && n == 1)
			one = jv_array_get(jv_copy(doc), 0);
		jv_free(doc);
	} else
		one = doc;
	if (jv_get_kind(one) != JV_KIND_OBJECT) {
		jv_free(one);
		*why = xstrdup("it is not a cloud's metadata document");
		return -1;
	}
	auth = jv_object_get(jv_copy(one), jv_string("authentication"));
	login = jstr(auth, "loginEndpoint");
	auds = jv_object_get(jv_copy(auth), jv_string("audiences"));
	aud = jv_get_kind(auds) == JV_KIND_ARRAY &&
	    jv_array_length(jv_copy(auds)) > 0 ?
	    jv_array_get(jv_copy(auds), 0) : jv_invalid();
	a = jv_get_kind(aud) == JV_KIND_STRING ? jv_string_value(aud) : NULL;
	if (a == NULL || *a == '\0' || strpbrk(a, " \t\r\n") != NULL) {
		*why = xstrdup("it has no authentication.audiences");
		goto bad;
	}
	if (c->authority == NULL) {
		if (login == NULL || az_url_parse(login, &u) == -1) {
			*why = xstrdup("it has no authentication.loginEndpoint");
			goto bad;
		}
		if (strcmp(u.scheme, "https") != 0) {
			az_url_release(&u);
			*why = xstrdup("its authentication.loginEndpoint is "
			    "not an https URL");
			goto bad;
		}
		az_url_release(&u);
		c->authority = xstrdup_noslash(login, 0);
	}
	c->arm_scope = scope_of(a);
	sfx = jv_object_get(jv_copy(one), jv_string("suffixes"));
	c->kv_suffix = dns_suffix(jstr(sfx, "keyVaultDns"));
	jv_free(sfx);
	jv_free(aud);
	jv_free(auds);
	jv_free(auth);
	jv_free(one);
	return 0;
bad:
	jv_free(aud);
	jv_free(auds);
	jv_free(auth);
	jv_free(one);
	return -1;
}

/* Read the metadata document once, with c->mu held: 0, or -1 and *err. */
static int
fetch(struct azure_cloud *c, char **err)
{
	static const char *const hdrs[] = { "Accept: application/json",
	    NULL };
	struct http_req r;
	struct buf b;
	char *url, *why = NULL;
	jv doc;

	if (c->meta_err != NULL || c->arm_err != NULL) {
		*err = xstrdup(c->meta_err != NULL ? c->meta_err :
		    c->arm_err);
		return -1;
	}
	if (!c->pending)
		return 0;
	url = xasprintf("%s" METADATA_PATH, c->arm_url);
	az_req_init(&r, "GET", url);
	r.headers = hdrs;
	if (http_do(c->http, &r) == -1)
		why = az_transport_msg(c->arm_url, &r);
	else if (r.status != 200)
		why = xasprintf("%s/metadata/endpoints answered HTTP %ld",
		    c->arm_url, r.status);
	else {
		b = r.resp;
		if (b.len >= 3 && memcmp(b.data, "\xef\xbb\xbf", 3) == 0) {
			b.data += 3;
			b.len -= 3;
		}
		doc = az_parse_body(&b);
		if (!jv_is_valid(doc)) {
			jv_free(doc);
			why = xasprintf("%s/metadata/endpoints: not JSON",
			    c->arm_url);
		} else if (take_metadata(c, doc, &why) == -1) {
			char *t = why;

			why = xasprintf("%s/metadata/endpoints: %s",
			    c->arm_url, t);
			free(t);
		}
	}
	http_req_release(&r);
	free(url);
	if (why != NULL) {
		c->meta_err = xasprintf("the custom cloud of "
		    "AZURE_RESOURCE_MANAGER_URL: %s", why);
		free(why);
		*err = xstrdup(c->meta_err);
		return -1;
	}
	c->pending = 0;
	return 0;
}

/* One value, the metadata read first when it is still to be. */
static const char *
value(struct azure_cloud *c, char **slot, const char *what, char **err)
{
	const char *v = NULL;

	pthread_mutex_lock(&c->mu);
	if (*slot == NULL && fetch(c, err) == 0) {
		if (*slot == NULL)
			*err = xasprintf("the cloud %s has no %s", c->name,
			    what);
	}
	v = *slot;
	pthread_mutex_unlock(&c->mu);
	return v;
}

const char *
azure_cloud_name(struct azure_cloud *c)
{
	return c->name;		/* set once, by azure_cloud_new */
}

const char *
azure_cloud_authority(struct azure_cloud *c, char **err)
{
	return value(c, &c->authority, "login endpoint", err);
}

const char *
azure_cloud_kv_suffix(struct azure_cloud *c, char **err)
{
	return value(c, &c->kv_suffix, "Key Vault DNS suffix "
	    "(suffixes.keyVaultDns)", err);
}

const char *
azure_cloud_arm_url(struct azure_cloud *c, char **err)
{
	if (c->arm_err != NULL) {
		*err = xstrdup(c->arm_err);
		return NULL;
	}
	return c->arm_url;
}

const char *
azure_cloud_arm_scope(struct azure_cloud *c, char **err)
{
	return value(c, &c->arm_scope, "Resource Manager audience", err);
}

struct default_sub {
	const char	 *cloud;	/* its environmentName */
	char		**found;	/* its id, malloc'd */
};

/* Is s (a subscription of azureProfile.json) the cloud's default? */
static int
is_default_sub(jv s, const void *arg)
{
	const struct default_sub *want = arg;
	const char *id, *env;
	jv def;
	int hit;

	def = jv_object_get(jv_copy(s), jv_string("isDefault"));
	id = jstr(s, "id");
	env = jstr(s, "environmentName");
	hit = jv_get_kind(def) == JV_KIND_TRUE && id != NULL &&
	    env != NULL && strcasecmp(env, want->cloud) == 0;
	if (hit)
		*want->found = xstrdup(id);
	jv_free(def);
	return hit;
}

/*
 * az's default subscription of this cloud: in azureProfile.json, the
 * subscription with isDefault whose environmentName is the cloud's name
 * (Azure/azure-cli, azure/cli/core/_profile.py: _IS_DEFAULT_SUBSCRIPTION,
 * _ENVIRONMENT_NAME).  NULL when there is none; NULL and *err when the
 * file cannot be read or is not JSON.
 */
char *
azure_cloud_subscription(struct azure_cloud *c, char **err)
{
	jv doc, subs;
	char *path, *text, *found = NULL;
	struct default_sub want;

	*err = NULL;
	if ((path = config_path("azureProfile.json")) == NULL)
		return NULL;
	if ((text = slurp(path, err)) == NULL) {
		free(path);
		return NULL;
	}
	doc = rec_parse_json(text, strlen(text));
	free(text);
	if (!jv_is_valid(doc)) {
		jv_free(doc);
		*err = xasprintf("%s: not JSON", path);
		free(path);
		return NULL;
	}
	free(path);
	want.cloud = azure_cloud_name(c);
	want.found = &found;
	subs = jv_get_kind(doc) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(doc), jv_string("subscriptions")) :
	    jv_invalid();
	rec_array_any(subs, is_default_sub, &want);
	jv_free(subs);
	jv_free(doc);
	return found;
}
