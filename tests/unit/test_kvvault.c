/* test_kvvault.c: a record's vault: its canonical form, key and hosts. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

/* canon of v, or "ERR" */
static char *
canon(const char *v)
{
	char *c, *err = NULL;

	if ((c = kv_vault_canon(v, &err)) == NULL) {
		free(err);
		return xstrdup("ERR");
	}
	return c;
}

#define check_canon(v, want)	CHECK_STR_FREE(canon(v), want)

static void
test_canon(void)
{
	check_canon("KV-Prod", "kv-prod");
	check_canon("https://KV-Prod.Vault.Azure.NET/", "https://kv-prod.vault.azure.net");
	check_canon("HTTPS://kv.vault.azure.net:443", "https://kv.vault.azure.net");
	check_canon("https://kv.localhost:8443//", "https://kv.localhost:8443");
	check_canon("https://[::1]:8443", "https://[::1]:8443");
	check_canon("https://h/proxy/kv/", "https://h/proxy/kv");
	check_canon("http://kv.vault.azure.net", "ERR");
	check_canon("https://user@kv.vault.azure.net", "ERR");
	check_canon("https://kv.vault.azure.net?x=1", "ERR");
	check_canon("https://kv.vault.azure.net/#f", "ERR");
	check_canon("https://kv.vault.azure.net:0", "ERR");
	check_canon("https://kv.vault.azure.net:65536", "ERR");
	check_canon("https://kv.vault.azure.net:44a", "ERR");
	check_canon("https://:443", "ERR");
	check_canon("https://kv\tx.vault.azure.net", "ERR");
	check_canon("ab", "ERR");
	check_canon("a_b-vault", "ERR");
	check_canon("", "ERR");
}

#define check_key(canon_url, want) \
	CHECK_STR_FREE(kv_vault_key(canon_url), want)

static void
test_key(void)
{
	check_key("kv-prod", "kv-prod");
	check_key("https://kv-prod.vault.azure.net", "kv-prod");
	check_key("https://kv-prod.vault.azure.cn", "kv-prod");
	check_key("https://kv-prod.vault.usgovcloudapi.net", "kv-prod");
	/* A port, a path, or a deeper name: the URL is its own key. */
	check_key("https://kv-prod.vault.azure.net:8443",
	    "https://kv-prod.vault.azure.net:8443");
	check_key("https://a.b.vault.azure.net", "https://a.b.vault.azure.net");
	check_key("https://kv.localhost:1", "https://kv.localhost:1");
}

static int
host_ok(const char *v, const char *trusted)
{
	char *err = NULL;
	int ok = kv_vault_host_ok(v, trusted, &err);

	CHECK(ok || err != NULL);
	free(err);
	return ok;
}

static void
test_host(void)
{
	CHECK(host_ok("kv-prod", NULL));
	CHECK(host_ok("https://kv-prod.vault.azure.net", NULL));
	CHECK(host_ok("https://kv-prod.vault.usgovcloudapi.net", NULL));
	/* Label by label: not a look-alike, not a deeper name. */
	CHECK(!host_ok("https://evil-vault.azure.net", NULL));
	CHECK(!host_ok("https://kv.vault.azure.net.evil.example", NULL));
	CHECK(!host_ok("https://a.b.vault.azure.net", NULL));
	CHECK(!host_ok("https://vault.azure.net", NULL));
	CHECK(!host_ok("https://evil.example", NULL));
	CHECK(!host_ok("https://kv-b.localhost:8443", NULL));
	/* The default's siblings: same parent domain, same port. */
	CHECK(host_ok("https://kv-b.localhost:8443",
	    "https://kv-a.localhost:8443"));
	CHECK(!host_ok("https://kv-b.localhost:8444",
	    "https://kv-a.localhost:8443"));
	CHECK(!host_ok("https://kv-b.other:8443",
	    "https://kv-a.localhost:8443"));
	CHECK(!host_ok("https://localhost:8443",
	    "https://kv-a.localhost:8443"));
	/* An address is only itself. */
	CHECK(host_ok("https://127.0.0.1:8443", "https://127.0.0.1:8443"));
	CHECK(!host_ok("https://127.0.0.2:8443", "https://127.0.0.1:8443"));
	/* A one-label default has no siblings. */
	CHECK(!host_ok("https://other:8443", "https://host:8443"));
	CHECK(!host_ok("https://kv.host:8443", "https://host:8443"));
}

int
main(void)
{
	test_canon();
	test_key();
	test_host();
	return unit_result("test_kvvault");
}
