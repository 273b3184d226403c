/* test_preflight.c: how the pre-flight reads effective permissions and
   reckons durations. */

#include <stdlib.h>

#include "common.h"
#include "unit.h"

/* An answer of the permissions API, as its "value" array. */
static jv
perms(const char *json)
{
	jv v = jv_parse(json);

	CHECK(jv_get_kind(v) == JV_KIND_ARRAY);
	return v;
}

static void
test_allows(void)
{
	const char *set = "Microsoft.KeyVault/vaults/secrets/setSecret/action";
	const char *get = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
	jv p;

	/* Key Vault Secrets User: get, not set. */
	p = perms("[{\"actions\":[],\"notActions\":[],\"dataActions\":["
	    "\"Microsoft.KeyVault/vaults/secrets/getSecret/action\","
	    "\"Microsoft.KeyVault/vaults/secrets/readMetadata/action\"],"
	    "\"notDataActions\":[]}]");
	CHECK(preflight_allows(p, get, 1));
	CHECK(!preflight_allows(p, set, 1));
	CHECK(!preflight_allows(p, get, 0));	/* not a control action */
	jv_free(p);

	/* A wildcard, in any case; a notDataAction of the same entry. */
	p = perms("[{\"dataActions\":[\"microsoft.keyvault/vaults/*\"],"
	    "\"notDataActions\":[\"Microsoft.KeyVault/vaults/secrets/set*\"]}]");
	CHECK(preflight_allows(p, get, 1));
	CHECK(!preflight_allows(p, set, 1));
	jv_free(p);

	/* Another role grants what one leaves out. */
	p = perms("[{\"dataActions\":[\"Microsoft.KeyVault/vaults/*\"],"
	    "\"notDataActions\":[\"Microsoft.KeyVault/vaults/secrets/"
	    "setSecret/action\"]},{\"dataActions\":["
	    "\"Microsoft.KeyVault/vaults/secrets/*\"]}]");
	CHECK(preflight_allows(p, set, 1));
	jv_free(p);

	/* Contributor: everything but writing Authorization. */
	p = perms("[{\"actions\":[\"*\"],\"notActions\":["
	    "\"Microsoft.Authorization/*/Write\"]}]");
	CHECK(!preflight_allows(p,
	    "Microsoft.Authorization/roleAssignments/write", 0));
	CHECK(preflight_allows(p, "Microsoft.KeyVault/vaults/read", 0));
	jv_free(p);

	/* "*" in the middle; no match past the pattern's end. */
	p = perms("[{\"actions\":[\"*/read\"]}]");
	CHECK(preflight_allows(p, "Microsoft.KeyVault/vaults/read", 0));
	CHECK(!preflight_allows(p, "Microsoft.KeyVault/vaults/readx", 0));
	CHECK(!preflight_allows(p, "Microsoft.KeyVault/vaults/write", 0));
	jv_free(p);
	CHECK(!preflight_allows(jv_null(), get, 1));
}

static void
test_duration(void)
{
	char *s;

	CHECK(preflight_duration(300, 300, 10) == 0);
	CHECK(preflight_duration(900, 300, 10) == 20);
	CHECK(preflight_duration(100300, 300, 10) == 100000.0 / 30);
	s = preflight_seconds(0);
	CHECK_STR(s, "under 10 s");
	free(s);
	s = preflight_seconds(20);
	CHECK_STR(s, "20 s");
	free(s);
	s = preflight_seconds(200);
	CHECK_STR(s, "3 min 20 s");
	free(s);
	s = preflight_seconds(3 * 3600 + 125);
	CHECK_STR(s, "3 h 2 min");
	free(s);
}

int
main(void)
{
	test_allows();
	test_duration();
	return unit_result("test_preflight");
}
