/* test_kv.c: Key Vault names, the map keyed by them, and answer helpers. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

#define MANY	200000

static void
test_name_valid(void)
{
	char s[KV_NAME_MAX + 2];

	CHECK(kv_name_valid("a"));
	CHECK(kv_name_valid("secret-App-DB-01"));
	CHECK(kv_name_valid("-"));
	CHECK(!kv_name_valid(""));
	CHECK(!kv_name_valid("secret_app"));
	CHECK(!kv_name_valid("a.b"));
	CHECK(!kv_name_valid("caf\xc3\xa9"));
	memset(s, 'x', KV_NAME_MAX);
	s[KV_NAME_MAX] = '\0';
	CHECK(kv_name_valid(s));
	s[KV_NAME_MAX] = 'x';
	s[KV_NAME_MAX + 1] = '\0';
	CHECK(!kv_name_valid(s));

	CHECK(kv_vault_name_valid("kv1"));
	CHECK(kv_vault_name_valid("contoso-Vault-0123456789"));
	CHECK(!kv_vault_name_valid("kv"));
	CHECK(!kv_vault_name_valid("contoso-vault-01234567890"));
	CHECK(!kv_vault_name_valid("kv_1"));
}

static int
count_keys(const char *key, void *val, void *arg)
{
	int *n = arg;

	CHECK(strcmp(key, "app-db") == 0 || strcmp(key, "other") == 0);
	(*n)++;
	return 0;
}

static int
stop_at_first(const char *key, void *val, void *arg)
{
	return 7;
}

static void
test_map_case(void)
{
	struct cimap *m = cimap_new(0);
	int a, b, c, n = 0;

	CHECK(cimap_get(m, "App-DB") == NULL);
	CHECK(cimap_iterate(m, stop_at_first, NULL) == 0);
	CHECK(cimap_put(m, "App-DB", &a) == NULL);
	CHECK(cimap_get(m, "app-db") == &a);
	CHECK(cimap_get(m, "APP-DB") == &a);
	CHECK(cimap_get(m, "App-DB-") == NULL);
	CHECK(cimap_get(m, "App-D") == NULL);
	/* A NUL inside the key asked for is not the end of a stored key. */
	CHECK(cimap_getn(m, "app-db\0x", 8) == NULL);
	CHECK(cimap_getn(m, "app-db", 6) == &a);
	CHECK(cimap_put(m, "APP-db", &b) == &a);
	CHECK(cimap_get(m, "app-DB") == &b);
	CHECK(cimap_put(m, "other", &c) == NULL);
	CHECK(cimap_count(m) == 2);
	CHECK(cimap_iterate(m, count_keys, &n) == 0);
	CHECK(n == 2);
	CHECK(cimap_iterate(m, stop_at_first, NULL) == 7);
	cimap_free(m);
	cimap_free(NULL);
}

static void
test_map_exact(void)
{
	struct cimap *m = cimap_new(CIMAP_EXACT);
	int a, b, c;

	CHECK(cimap_putn(m, "s/App\0kpw", 9, &a) == NULL);
	CHECK(cimap_putn(m, "s/app\0kpw", 9, &b) == NULL);
	CHECK(cimap_putn(m, "s/App", 5, &c) == NULL);
	CHECK(cimap_getn(m, "s/App\0kpw", 9) == &a);
	CHECK(cimap_getn(m, "s/app\0kpw", 9) == &b);
	CHECK(cimap_getn(m, "s/App\0kpx", 9) == NULL);
	CHECK(cimap_get(m, "s/App") == &c);
	CHECK(cimap_get(m, "S/APP") == NULL);
	CHECK(cimap_count(m) == 3);
	cimap_free(m);
}

/* Many keys: the table grows and every key is still found, once. */
static void
test_map_many(void)
{
	struct cimap *m = cimap_new(0);
	char key[32];
	long i, bad = 0;

	for (i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "Name-%ld", i);
		if (cimap_put(m, key, (void *)(intptr_t)(i + 1)) != NULL)
			bad++;
	}
	CHECK(cimap_count(m) == MANY);
	for (i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "NAME-%ld", i);
		if (cimap_get(m, key) != (void *)(intptr_t)(i + 1))
			bad++;
	}
	snprintf(key, sizeof(key), "name-%d", MANY);
	CHECK(cimap_get(m, key) == NULL);
	CHECK(bad == 0);
	cimap_free(m);
}

static void
test_map_alloc(void)
{
	struct cimap *m = cimap_new(0);
	char *p, *q, *big;

	p = cimap_alloc(m, 3);
	q = cimap_alloc(m, 5);
	CHECK(((uintptr_t)p & 7) == 0);
	CHECK(((uintptr_t)q & 7) == 0);
	CHECK(q >= p + 3);
	memcpy(p, "ab", 3);
	/* Larger than a block: a block of its own. */
	big = cimap_alloc(m, 1 << 20);
	memset(big, 'x', 1 << 20);
	CHECK(strcmp(p, "ab") == 0);
	cimap_free(m);
}

static void
test_answers(void)
{
	jv item, body, rec;
	char *s;

	item = jv_parse("{\"id\":\"https://v.vault.azure.net/secrets/a/1\","
	    "\"tags\":{\"vault-path\":\"secret/app\",\"vault-version\":\"3\","
	    "\"n\":7}}");
	CHECK_STR(kv_tag(item, KV_TAG_PATH), "secret/app");
	CHECK(kv_tag(item, "n") == NULL);
	CHECK(kv_tag(item, "none") == NULL);
	CHECK_EQ(kv_tag_version(item), 3);
	jv_free(item);
	item = jv_parse("{\"tags\":{\"vault-version\":\"3x\"}}");
	CHECK_EQ(kv_tag_version(item), -1);
	jv_free(item);
	item = jv_parse("{\"tags\":{\"vault-version\":\"0\"}}");
	CHECK_EQ(kv_tag_version(item), -1);
	jv_free(item);
	CHECK_EQ(kv_tag_version(jv_null()), -1);
	CHECK(kv_tag(jv_null(), KV_TAG_PATH) == NULL);

	body = jv_parse("{\"error\":{\"code\":\"Conflict\",\"innererror\":"
	    "{\"code\":\"ObjectIsBeingDeleted\"}}}");
	CHECK_STR(kv_inner_code(body), "ObjectIsBeingDeleted");
	jv_free(body);
	body = jv_parse("{\"error\":{\"code\":\"Conflict\"}}");
	CHECK_STR(kv_inner_code(body), "");
	jv_free(body);
	CHECK_STR(kv_inner_code(jv_null()), "");

	rec = jv_parse("{\"mount\":\"secret\",\"path\":\"a/b\"}");
	s = kv_record_vpath(rec);
	CHECK_STR(s, "secret/a/b");
	free(s);
	jv_free(rec);
	rec = jv_parse("{\"mount\":\"secret\"}");
	CHECK(kv_record_vpath(rec) == NULL);
	jv_free(rec);

	s = kv_call_msg(jv_invalid_with_msg(jv_string("cannot reach v")));
	CHECK_STR(s, "cannot reach v");
	free(s);
	s = kv_call_msg(jv_invalid());
	CHECK_STR(s, "failed");
	free(s);
	s = kv_call_msg(jv_invalid_with_msg(jv_number(1)));
	CHECK_STR(s, "failed");
	free(s);
}

/* The library names causes, never a tool's option; the tool's cures. */
static void
test_causes(void)
{
	static const char *const cures[KV_CAUSE_COUNT] = {
		[KV_CAUSE_THROTTLED] = "go slower",
	};
	static const char *const bodies[] = {
		"{\"error\":{\"code\":\"Forbidden\",\"innererror\":"
		    "{\"code\":\"ForbiddenByRbac\"}}}",
		"{\"error\":{\"code\":\"Forbidden\",\"innererror\":"
		    "{\"code\":\"SecretDisabled\"}}}",
		"{\"error\":{\"code\":\"Conflict\",\"innererror\":"
		    "{\"code\":\"ObjectIsDeletedButRecoverable\"}}}",
		"{\"error\":{\"code\":\"BadParameter\",\"message\":"
		    "\"The value is too large.\"}}",
		"null",
	};
	static const long statuses[] = { 403, 403, 409, 413, 429 };
	static const enum kv_cause want[] = { KV_CAUSE_RBAC,
	    KV_CAUSE_DISABLED, KV_CAUSE_DELETED, KV_CAUSE_TOO_LARGE,
	    KV_CAUSE_THROTTLED };
	size_t i;
	char *s;
	jv body;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		body = jv_parse(bodies[i]);
		CHECK_EQ(kv_cause(body, statuses[i]), want[i]);
		s = kv_errmsg(body, statuses[i]);
		CHECK(strstr(s, "--") == NULL);
		CHECK(strstr(s, "kv-") == NULL);
		free(s);
		jv_free(body);
	}
	s = kv_errmsg(jv_null(), 429);
	CHECK_STR(s, "throttled by Key Vault and out of retries");
	free(s);
	kv_set_cures(cures);
	s = kv_errmsg(jv_null(), 429);
	CHECK_STR(s, "throttled by Key Vault and out of retries: go slower");
	free(s);
	s = kv_errmsg(jv_null(), 403);
	CHECK_STR(s, "Key Vault answered HTTP 403");
	free(s);
	kv_set_cures(NULL);
}

/* One helper makes a server's text one line. */
static void
test_clean(void)
{
	char *s;

	s = msg_clean("  a\r\n\tb \n", SIZE_MAX, 100);
	CHECK_STR(s, "a b");
	free(s);
	s = msg_clean("abcdef", SIZE_MAX, 3);
	CHECK_STR(s, "abc...");
	free(s);
	s = msg_clean("abc. def", 3, 100);
	CHECK_STR(s, "abc");
	free(s);
	s = msg_clean(NULL, SIZE_MAX, 10);
	CHECK_STR(s, "");
	free(s);
}

static void
test_migrated_from(void)
{
	char *s;

	setenv("VAULT_ADDR", "HTTPS://Vault.Example:8200//", 1);
	s = kv_migrated_from();
	CHECK_STR(s, "https://vault.example:8200");
	free(s);
	unsetenv("VAULT_ADDR");
	s = kv_migrated_from();
	CHECK_STR(s, KV_MIGRATED_FROM);
	free(s);
	setenv("VAULT_ADDR", "https://ops:pw@vault.example/", 1);
	s = kv_migrated_from();
	CHECK_STR(s, "https://vault.example");
	free(s);
	/* A password may hold an '@': the last one ends the userinfo. */
	setenv("VAULT_ADDR", "https://ops:p@ss@vault.example/v1?a@b", 1);
	s = kv_migrated_from();
	CHECK_STR(s, "https://vault.example/v1?a@b");
	free(s);
	setenv("VAULT_ADDR", "", 1);
	s = kv_migrated_from();
	CHECK_STR(s, "hashicorp-vault");
	free(s);
}

int
main(void)
{
	test_name_valid();
	test_map_case();
	test_map_exact();
	test_map_many();
	test_map_alloc();
	test_answers();
	test_causes();
	test_clean();
	test_migrated_from();
	return unit_result("test_kv");
}
