/* test_nameset.c: the set of names done with, exact whatever the hashes. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

#define MANY	300000

/* nameset.c's hash, to know that the test meets colliding names. */
static uint32_t
fnv(const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)(*key >= 'A' && *key <= 'Z' ?
		    *key - 'A' + 'a' : *key);
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int
cmp32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_basic(void)
{
	struct nameset *s = nameset_new();
	char big[1000];

	CHECK_EQ(nameset_add(s, "Secret-App"), 0);
	CHECK_EQ(nameset_add(s, "secret-app"), 1);
	CHECK_EQ(nameset_add(s, "SECRET-APP"), 1);
	CHECK(nameset_has(s, "sEcReT-aPp"));
	CHECK(!nameset_has(s, "secret-ap"));
	CHECK(!nameset_has(s, "secret-app2"));
	CHECK_EQ(nameset_add(s, ""), 0);
	CHECK(nameset_has(s, ""));
	/* Longer than what a lookup reads on the stack. */
	memset(big, 'X', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(nameset_add(s, big), 0);
	big[500] = 'x';
	CHECK(nameset_has(s, big));
	big[500] = 'y';
	CHECK(!nameset_has(s, big));
	CHECK_EQ(nameset_count(s), 3);
	nameset_free(s);
}

/*
 * Many names, and as many others never added: among them, names whose
 * 32-bit hashes are the same, told apart by their bytes.
 */
static void
test_many(void)
{
	struct nameset *s = nameset_new();
	uint32_t *hs = xcalloc(MANY, sizeof(*hs)), h;
	char name[64];
	long i, bad = 0, lost = 0, collide = 0;

	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "team%ld-svc%ld-Secret%ld",
		    i % 10, i % 97, i);
		if (nameset_add(s, name) != 0)
			bad++;
		hs[i] = fnv(name);
	}
	qsort(hs, MANY, sizeof(*hs), cmp32);
	CHECK_EQ(bad, 0);
	CHECK_EQ(nameset_count(s), MANY);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "TEAM%ld-svc%ld-secret%ld",
		    i % 10, i % 97, i);
		if (!nameset_has(s, name) || nameset_add(s, name) != 1)
			lost++;
		snprintf(name, sizeof(name), "other%ld-secret%ld", i % 7, i);
		h = fnv(name);
		if (bsearch(&h, hs, MANY, sizeof(*hs), cmp32) != NULL)
			collide++;
		if (nameset_has(s, name))
			bad++;
	}
	CHECK_EQ(lost, 0);
	CHECK_EQ(bad, 0);
	/* The test met what it is for. */
	CHECK(collide > 0);
	CHECK_EQ(nameset_count(s), MANY);
	free(hs);
	nameset_free(s);
}

/*
 * Values kept with the names: read back whole (NUL bytes, longer than a
 * read's chunk, across the write buffer's flushes), for any case of the
 * name, the first value staying; a name added without one has none.
 */
static void
test_values(void)
{
	struct nameset *s = nameset_new();
	struct buf v;
	char name[64], val[64], big[1000];
	long i, bad = 0;

	buf_init(&v);
	CHECK_EQ(nameset_put(s, "Vault1 Name-A", "\0\0\0\0sec/a\0nns", 14), 0);
	CHECK_EQ(nameset_put(s, "vault1 name-a", "other", 5), 1);
	CHECK_EQ(nameset_get(s, "VAULT1 NAME-A", &v), 1);
	CHECK_EQ(v.len, 14);
	CHECK(memcmp(v.data, "\0\0\0\0sec/a\0nns", 14) == 0);
	CHECK_EQ(nameset_add(s, "plain"), 0);
	CHECK_EQ(nameset_get(s, "Plain", &v), 1);
	CHECK_EQ(v.len, 0);
	CHECK_EQ(nameset_put(s, "empty", "", 0), 0);
	CHECK_EQ(nameset_get(s, "empty", &v), 1);
	CHECK_EQ(v.len, 0);
	CHECK_EQ(nameset_put(s, "x", "y", 1), 0);
	CHECK_EQ(nameset_get(s, "name-b", &v), 0);
	CHECK_EQ(v.len, 0);
	CHECK(nameset_has(s, "name-A") == 0);
	CHECK(nameset_has(s, "vault1 NAME-a"));
	CHECK_EQ(nameset_add(s, "Vault1 name-a"), 1);
	memset(big, 'v', sizeof(big));
	big[600] = '\0';
	CHECK_EQ(nameset_put(s, "big", big, sizeof(big)), 0);
	CHECK_EQ(nameset_get(s, "BIG", &v), 1);
	CHECK_EQ(v.len, sizeof(big));
	CHECK(memcmp(v.data, big, sizeof(big)) == 0);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "v%ld Secret-%ld", i % 3, i);
		snprintf(val, sizeof(val), "mount/path%ld", i);
		if (nameset_put(s, name, val, strlen(val) + i % 2) != 0)
			bad++;
	}
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "V%ld SECRET-%ld", i % 3, i);
		snprintf(val, sizeof(val), "mount/path%ld", i);
		if (nameset_get(s, name, &v) != 1 ||
		    v.len != strlen(val) + i % 2 ||
		    memcmp(v.data, val, v.len) != 0)
			bad++;
		snprintf(name, sizeof(name), "v%ld secret-%ld", (i + 1) % 3, i);
		if (nameset_get(s, name, &v) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(nameset_count(s), MANY + 5);
	buf_release(&v);
	nameset_free(s);
}

/* No temporary file: the names stay in memory, and the set is the same. */
static void
test_no_file(void)
{
	struct nameset *s;
	struct buf v;
	char name[64];
	long i, bad = 0;

	buf_init(&v);
	setenv("TMPDIR", "/nonexistent/vault2kv-test", 1);
	s = nameset_new();
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "n%ld", i);
		if (nameset_add(s, name) != 0)
			bad++;
	}
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "N%ld", i);
		if (!nameset_has(s, name))
			bad++;
		snprintf(name, sizeof(name), "m%ld", i);
		if (nameset_has(s, name))
			bad++;
	}
	/* Values too, past what was in memory before. */
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "k%ld", i);
		if (nameset_put(s, name, name + 1, strlen(name + 1)) != 0)
			bad++;
	}
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "K%ld", i);
		if (nameset_get(s, name, &v) != 1 ||
		    v.len != strlen(name + 1) ||
		    memcmp(v.data, name + 1, v.len) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0);
	buf_release(&v);
	nameset_free(s);
	unsetenv("TMPDIR");
}

int
main(void)
{
	test_basic();
	test_many();
	test_values();
	test_no_file();
	return unit_result("test_nameset");
}
