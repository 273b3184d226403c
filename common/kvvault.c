/* kvvault.c: a record's vault: its one spelling, and the hosts it may be. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "azure_int.h"

/*
 * Key Vault's DNS suffixes in the Azure clouds: public, China, US
 * Government and the retired Germany cloud (the az CLI's
 * suffixes.keyvaultDns; Azure/azure-sdk-for-cpp
 * eng/common/TestResources/clouds/, one JSON file a cloud).  Managed HSM
 * (managedhsm.azure.net) holds no secrets and is not among them.
 */
static const char *const kv_dns[] = {
	"vault.azure.net",
	"vault.azure.cn",
	"vault.usgovcloudapi.net",
	"vault.microsoftazure.de",
	NULL
};

/* An https URL taken apart: host lower case, port "" for 443. */
struct vurl {
	char	host[256];
	char	port[8];
	char	path[256];	/* "" or "/...", no trailing '/' */
};

/* 0 and *u, or -1 with a malloc'd *err: https only, no user, no query. */
static int
vurl_parse(const char *s, struct vurl *u, char **err)
{
	const char *a, *e, *h, *he, *p;
	size_t n, i;
	long port;
	char *c;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "https://", 8) != 0)
		goto bad;
	a = s + 8;
	e = a + strcspn(a, "/?#");
	if (*e == '?' || *e == '#' || strpbrk(e, "?#") != NULL ||
	    memchr(a, '@', (size_t)(e - a)) != NULL)
		goto bad;
	h = a;
	if (*h == '[') {
		if ((he = memchr(h, ']', (size_t)(e - h))) == NULL)
			goto bad;
		he++;
	} else
		for (he = h; he < e && *he != ':'; he++)
			;
	n = (size_t)(he - h);
	if (n == 0 || n >= sizeof(u->host))
		goto bad;
	for (i = 0; i < n; i++) {
		if ((unsigned char)h[i] <= ' ' || h[i] == 0x7f)
			goto bad;
		u->host[i] = (char)tolower((unsigned char)h[i]);
	}
	if (he < e) {
		if (*he != ':' || he + 1 == e || e - he - 1 > 5)
			goto bad;
		for (p = he + 1, port = 0; p < e; p++) {
			if (!isdigit((unsigned char)*p))
				goto bad;
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			goto bad;
		if (port != 443)
			snprintf(u->port, sizeof(u->port), "%ld", port);
	}
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		n--;
	if (n >= sizeof(u->path))
		goto bad;
	for (i = 0; i < n; i++)
		if ((unsigned char)e[i] <= ' ' || e[i] == 0x7f)
			goto bad;
	memcpy(u->path, e, n);
	return 0;
bad:
	c = msg_clean(s, SIZE_MAX, 200);
	*err = xasprintf("%s: a Key Vault URL is https://HOST[:PORT] "
	    "(tokens are sent only over TLS)", c);
	free(c);
	return -1;
}

static char *
vurl_str(const struct vurl *u)
{
	return xasprintf("https://%s%s%s%s", u->host, *u->port ? ":" : "",
	    u->port, u->path);
}

int
kv_vault_name_check(const char *vault, char **err)
{
	char *c;

	if (kv_vault_name_valid(vault))
		return 0;
	c = msg_clean(vault, SIZE_MAX, 80);
	*err = xasprintf("%s: not a Key Vault name (3 to 24 letters, digits "
	    "and hyphens) nor an https URL", c);
	free(c);
	return -1;
}

char *
kv_vault_canon(const char *vault, char **err)
{
	struct vurl u;

	if (vault == NULL || *vault == '\0') {
		*err = xstrdup("the vault is empty");
		return NULL;
	}
	if (strstr(vault, "://") == NULL) {
		if (kv_vault_name_check(vault, err) == -1)
			return NULL;
		return xstrdup_lower(vault);
	}
	if (vurl_parse(vault, &u, err) == -1)
		return NULL;
	return vurl_str(&u);
}

/* The suffix of kv_dns that host is NAME. of, or NULL. */
static const char *
kv_dns_of(const char *host, size_t *namelen)
{
	size_t hl = strlen(host), sl;
	int i;

	for (i = 0; kv_dns[i] != NULL; i++) {
		sl = strlen(kv_dns[i]);
		if (hl > sl + 1 && host[hl - sl - 1] == '.' &&
		    strcmp(host + hl - sl, kv_dns[i]) == 0) {
			*namelen = hl - sl - 1;
			return kv_dns[i];
		}
	}
	return NULL;
}

char *
kv_vault_field(const char *vault, char **err)
{
	char *canon, *m;

	if (*vault == '\0') {
		*err = xstrdup("vault is empty");
		return NULL;
	}
	if ((canon = kv_vault_canon(vault, &m)) == NULL) {
		*err = xasprintf("vault %s", m);
		free(m);
	}
	return canon;
}

char *
kv_vault_key(const char *canon)
{
	struct vurl u;
	char *err = NULL, name[32];
	size_t n;

	if (strstr(canon, "://") == NULL)
		return xstrdup(canon);
	if (vurl_parse(canon, &u, &err) == -1) {
		free(err);
		return xstrdup(canon);
	}
	/* https://NAME.vault.azure.net is NAME, in whichever cloud. */
	if (*u.port == '\0' && *u.path == '\0' &&
	    kv_dns_of(u.host, &n) != NULL && n < sizeof(name)) {
		memcpy(name, u.host, n);
		name[n] = '\0';
		if (kv_vault_name_valid(name))
			return xstrdup(name);
	}
	return xstrdup(canon);
}

/* The domain above the first label of host, or NULL (an address, one label). */
static const char *
parent_of(const char *host)
{
	const char *d;

	if (az_is_ip(host) || *host == '[' || (d = strchr(host, '.')) == NULL ||
	    d[1] == '\0')
		return NULL;
	return d + 1;
}

int
kv_vault_host_ok(const char *canon, const char *trusted, char **err)
{
	struct vurl u, t;
	const char *pu, *pt;
	char *e = NULL;
	size_t n;

	*err = NULL;
	if (strstr(canon, "://") == NULL)
		return 1;
	if (vurl_parse(canon, &u, err) == -1)
		return 0;
	if (kv_dns_of(u.host, &n) != NULL && memchr(u.host, '.', n) == NULL)
		return 1;
	/*
	 * The operator's own vault (KEY_VAULT_NAME, or the vault option), and its
	 * siblings: the same parent domain, label by label, and port, as
	 * a Key Vault challenge's resource is checked (kv_scope_ok).
	 */
	if (trusted != NULL && strstr(trusted, "://") != NULL &&
	    vurl_parse(trusted, &t, &e) == 0) {
		if (strcmp(u.host, t.host) == 0 && strcmp(u.port, t.port) == 0)
			return 1;
		pu = parent_of(u.host);
		pt = parent_of(t.host);
		if (pu != NULL && pt != NULL && strcmp(pu, pt) == 0 &&
		    strcmp(u.port, t.port) == 0)
			return 1;
	}
	free(e);
	*err = xasprintf("%s is not a Key Vault host (NAME.vault.azure.net, "
	    "or of another Azure cloud) nor a sibling of the default vault "
	    "(KEY_VAULT_NAME, or the vault option): nothing is sent there", canon);
	return 0;
}
