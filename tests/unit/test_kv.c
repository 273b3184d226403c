/* test_kv.c: Key Vault names, their map, answers, secret ids, versions. */

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

/* Parse s: 0 and the parts as "vault|vault_name|coll|name|version". */
static int
id_parts(const char *s, char *out, size_t n)
{
	struct kv_id id;

	if (kv_id_parse(s, &id) == -1) {
		CHECK(id.vault == NULL && id.name == NULL &&
		    id.version == NULL);
		return -1;
	}
	snprintf(out, n, "%s|%s|%s|%s|%s", id.vault,
	    id.vault_name != NULL ? id.vault_name : "-",
	    id.coll != NULL ? id.coll : "-", id.name != NULL ? id.name : "-",
	    id.version != NULL ? id.version : "-");
	kv_id_release(&id);
	return 0;
}

/* An id and its parts as "vault|vault_name|coll|name|version", or NULL. */
static const struct {
	const char	*id;
	const char	*want;
} ids[] = {
	/* Good ids, as the service writes them. */
	{ "https://kv1.vault.azure.net/secrets/app-db/"
	    "0123456789abcdef0123456789abcdef",
	    "https://kv1.vault.azure.net|kv1|secrets|app-db|"
	    "0123456789abcdef0123456789abcdef" },
	{ "https://kv1.vault.azure.net/secrets/app-db",
	    "https://kv1.vault.azure.net|kv1|secrets|app-db|-" },
	{ "https://kv1.vault.azure.net/deletedsecrets/a",
	    "https://kv1.vault.azure.net|kv1|deletedsecrets|a|-" },
	/* A vault's URL alone, a sovereign cloud, the stand-in's. */
	{ "https://Contoso.vault.azure.cn/",
	    "https://Contoso.vault.azure.cn|Contoso|-|-|-" },
	{ "HTTPS://127.0.0.1:8443/secrets/a/b1?api-version=7.4#x",
	    "HTTPS://127.0.0.1:8443|-|secrets|a|b1" },
	/* Another vault: parsed; whose it is, the caller decides. */
	{ "https://other.vault.azure.net/secrets/a/b1",
	    "https://other.vault.azure.net|other|secrets|a|b1" },
	/* Not a vault's name: the host is kept, no vault_name. */
	{ "https://k.vault.azure.net/", "https://k.vault.azure.net|-|-|-|-" },
	{ "https://kv1.example.net/", "https://kv1.example.net|-|-|-|-" },
	/* One trailing '/', not two, not an empty segment. */
	{ "https://kv1.vault.azure.net/secrets/a/b1/",
	    "https://kv1.vault.azure.net|kv1|secrets|a|b1" },
	{ "https://kv1.vault.azure.net/secrets/a/",
	    "https://kv1.vault.azure.net|kv1|secrets|a|-" },
	{ "https://kv1.vault.azure.net/secrets/a/b1//", NULL },
	{ "https://kv1.vault.azure.net/secrets//b1", NULL },
	{ "https://kv1.vault.azure.net//", NULL },
	/* %-escapes: decoded, then checked as any segment. */
	{ "https://kv1.vault.azure.net/secrets/%61pp%2Ddb/%62%31",
	    "https://kv1.vault.azure.net|kv1|secrets|app-db|b1" },
	{ "https://kv1.vault.azure.net/secrets/a%2Fb/c", NULL },
	{ "https://kv1.vault.azure.net/secrets/a%00/c", NULL },
	{ "https://kv1.vault.azure.net/secrets/a/c%2", NULL },
	{ "https://kv1.vault.azure.net/secrets/a/c%", NULL },
	{ "https://kv1.vault.azure.net/secrets/a/%zz", NULL },
	{ "https://kv1.vault.azure.net/secrets/%2E%2E/a", NULL },
	/* Hostile: no https, no host, userinfo, extra segments, bad parts. */
	{ "", NULL },
	{ "app-db", NULL },
	{ "http://kv1.vault.azure.net/secrets/a/b1", NULL },
	{ "https:///secrets/a/b1", NULL },
	{ "https://u:p@kv1.vault.azure.net/secrets/a", NULL },
	{ "https://kv1.vault.azure.net/secrets", NULL },
	{ "https://kv1.vault.azure.net/secrets/a/b1/c", NULL },
	{ "https://kv1.vault.azure.net/secrets/a_b/b1", NULL },
	{ "https://kv1.vault.azure.net/secrets/a/b-1", NULL },
	{ "https://kv1.vault.azure.net/se.crets/a/b1", NULL },
	{ "https://kv1.vault.azure.net/secrets/a/\n", NULL },
	{ "https://kv1.vault.azure.net/secrets/caf\xc3\xa9", NULL },
};

static void
test_id(void)
{
	char b[512], *v;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i].want == NULL)
			CHECK_EQ(id_parts(ids[i].id, b, sizeof(b)), -1);
		else if (id_parts(ids[i].id, b, sizeof(b)) == 0)
			CHECK_STR(b, ids[i].want);
		else
			CHECK_STR(ids[i].id, "(parsed)");
	}
	CHECK_EQ(id_parts(NULL, b, sizeof(b)), -1);

	/* The version an id names, if it is one of the name's. */
	CHECK_EQ(kv_id_version("https://kv1.vault.azure.net/secrets/App-DB/"
	    "b1", "app-db", &v), 0);
	CHECK_STR(v, "b1");
	free(v);
	CHECK_EQ(kv_id_version("https://kv1.vault.azure.net/secrets/app-db",
	    "app-db", &v), 0);
	CHECK(v == NULL);
	CHECK_EQ(kv_id_version("https://kv1.vault.azure.net/secrets/other/b1",
	    "app-db", &v), -1);
	CHECK(v == NULL);
	CHECK_EQ(kv_id_version("https://kv1.vault.azure.net/deletedsecrets/"
	    "app-db", "app-db", &v), -1);
	CHECK_EQ(kv_id_version("b1", "app-db", &v), -1);
	CHECK_EQ(kv_id_version("https://kv1.vault.azure.net/secrets/a/b1",
	    NULL, &v), -1);
}

static void
test_versions(void)
{
	struct kvvers vs;
	struct kvver k;
	jv item;

	item = jv_parse("{\"id\":\"https://kv1.vault.azure.net/secrets/a/"
	    "B1\",\"contentType\":\"text/plain\",\"value\":\"x\\u0000y\","
	    "\"attributes\":{\"enabled\":false,\"created\":100,\"updated\":"
	    "200,\"exp\":300},\"tags\":{\"vault-path\":\"secret/a\","
	    "\"vault-version\":\"2\"}}");
	kvver_take(&k, item);
	jv_free(item);
	CHECK_STR(k.version, "B1");
	CHECK_STR(k.ctype, "text/plain");
	CHECK_STR(k.vpath, "secret/a");
	CHECK_EQ(k.vv, 2);
	CHECK_EQ(k.enabled, 0);
	CHECK(k.created == 100 && k.updated == 200 && k.has_exp &&
	    k.exp == 300);
	CHECK_EQ(k.len, 3);
	CHECK(memcmp(k.value, "x\0y", 3) == 0);
	kvver_release(&k);
	CHECK(k.value == NULL && k.id == NULL);

	item = jv_parse("{\"attributes\":{}}");
	kvver_take(&k, item);
	jv_free(item);
	CHECK_STR(k.version, "");
	CHECK(k.id == NULL && k.value == NULL && k.vv == -1 && k.enabled &&
	    !k.has_exp);
	kvver_release(&k);

	memset(&vs, 0, sizeof(vs));
	kvvers_add(&vs, "https://kv1.vault.azure.net/secrets/a/b1", 1,
	    "secret/a", NULL);
	kvvers_add(&vs, "https://kv1.vault.azure.net/secrets/a/b2", 2,
	    "secret/b", "");
	kvvers_add(&vs, "https://kv1.vault.azure.net/secrets/a/b3", 1,
	    "secret/a", NULL);
	kvvers_add(&vs, "not an id", -5, NULL, NULL);
	/* The same path from a namespace is another source. */
	kvvers_add(&vs, "https://kv1.vault.azure.net/secrets/a/b5", 3,
	    "secret/a", "team-a");
	CHECK_EQ(vs.n, 5);
	CHECK_EQ(kvvers_find(&vs, "B2"), 1);
	CHECK_EQ(kvvers_find(&vs, "b4"), -1);
	/* The id that names none: "" matches no version. */
	CHECK_EQ(kvvers_find(&vs, ""), -1);
	CHECK_EQ(kvvers_find_tag(&vs, 1, "secret/a", NULL), 2);
	CHECK_EQ(kvvers_find_tag(&vs, 1, "secret/a", ""), 2);
	CHECK_EQ(kvvers_find_tag(&vs, 1, "secret/a", "team-a"), -1);
	CHECK_EQ(kvvers_find_tag(&vs, 2, "secret/a", NULL), -1);
	CHECK_EQ(kvvers_find_tag(&vs, 2, NULL, NULL), 1);
	CHECK_EQ(kvvers_find_tag(&vs, -1, NULL, NULL), 3);
	CHECK_EQ(kvvers_find_tag(&vs, 3, "secret/a", "team-a"), 4);
	CHECK_EQ(kvvers_find_tag(&vs, 3, "secret/a", NULL), -1);
	kvvers_release(&vs);
	CHECK(vs.v == NULL && vs.n == 0);
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
	test_id();
	test_versions();
	test_causes();
	test_clean();
	test_migrated_from();
	return unit_result("test_kv");
}
