/* test_hash.c: digests, UUIDs and encodings against known vectors. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

#define ARM_NS	"11fb06fb-712d-4ddd-98c7-e71bbd588830"

static void
test_sha256(void)
{
	unsigned char md[32];
	char hex[65];

	/* FIPS 180-2 appendix B.1 and the empty message. */
	hash_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	hash_sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	hash_sha256("abc", 3, md);
	CHECK(md[0] == 0xba && md[31] == 0xad);
}

static void
test_uuid(void)
{
	char u[37], v[37];
	const char *scope = "/subscriptions/00000000-0000-0000-0000-"
	    "000000000000/resourcegroups/rg/providers/microsoft.keyvault/"
	    "vaults/kv1-11111111-1111-1111-1111-111111111111-"
	    "4633458b-17de-408a-b874-0445c86b69e6";
	int i;

	/*
	 * Bicep's guid('a', 'b') is uuid5(ARM's namespace, "a-b") (RFC 4122
	 * section 4.3; Azure/bicep PR #20293 for role assignment names);
	 * the values are python3's uuid.uuid5.
	 */
	hash_uuid5(ARM_NS, "a-b", 3, u);
	CHECK_STR(u, "2d796349-8c7e-55ec-9624-54ece82ed031");
	hash_uuid5(ARM_NS, scope, strlen(scope), u);
	CHECK_STR(u, "2c1bf48e-8dbd-5587-a00b-50250cf48bec");
	hash_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10,
	    u);
	CHECK_STR(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	hash_uuid5("6BA7B811-9DAD-11D1-80B4-00C04FD430C8", "", 0, u);
	CHECK_STR(u, "1b4db7eb-4057-5ddf-91e0-36dec72071f5");

	hash_uuid4(u);
	hash_uuid4(v);
	CHECK(strlen(u) == 36 && strcmp(u, v) != 0);
	CHECK(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
	CHECK(u[14] == '4' && strchr("89ab", u[19]) != NULL);
	for (i = 0; i < 36; i++)
		CHECK(u[i] == '-' || isxdigit((unsigned char)u[i]));
}

#define b64(in, n, want)	CHECK_STR_FREE(hash_b64url(in, n), want)

static void
test_b64url(void)
{
	/* RFC 4648 section 10, unpadded, and the two url-safe letters. */
	b64("", 0, "");
	b64("f", 1, "Zg");
	b64("fo", 2, "Zm8");
	b64("foo", 3, "Zm9v");
	b64("foob", 4, "Zm9vYg");
	b64("fooba", 5, "Zm9vYmE");
	b64("foobar", 6, "Zm9vYmFy");
	b64("\xfb\xff\xfe", 3, "-__-");
	b64("\0\0", 2, "AAA");
}

#define enc(in, want)	CHECK_STR_FREE(hash_urlencode(in), want)

static void
test_urlencode(void)
{
	enc("", "");
	enc("AZaz09-._~", "AZaz09-._~");
	/* Checked against python3 urllib.parse.quote(s, safe="-._~"). */
	enc("a b/c?d=\xc3\xa9~-._!*'()",
	    "a%20b%2Fc%3Fd%3D%C3%A9~-._%21%2A%27%28%29");
	enc("+&%#\x7f\x01", "%2B%26%25%23%7F%01");
}

int
main(void)
{
	test_sha256();
	test_uuid();
	test_b64url();
	test_urlencode();
	return unit_result("test_hash");
}
