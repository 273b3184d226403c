/*
 * fuzz_time: time_parse_rfc3339, the RFC 3339 times of Vault's KV v2
 * metadata (created_time, deletion_time: vault_version_state decides
 * with it whether a version is deleted) and of token expiries.  The
 * string is handed over in a block of exactly its size, so a read past
 * its end shows.  A time that ends in Z must move by the offset put in
 * its place.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* s with its final 'Z' replaced by off, parsed. */
static int
with_offset(const char *s, size_t n, const char *off, time_t *t)
{
	char *o;
	int rc;

	o = malloc(n + strlen(off));
	memcpy(o, s, n - 1);
	memcpy(o + n - 1, off, strlen(off) + 1);
	rc = time_parse_rfc3339(o, t);
	free(o);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	time_t a = 0, b = 0, c;
	jv meta;
	int ra, rb, st;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	ra = time_parse_rfc3339(s, &a);
	rb = time_parse_rfc3339(s, &b);
	if (ra != rb || (ra != 0 && ra != -1) || (ra == 0 && a != b))
		abort();
	if (ra == 0 && size > 0 && strlen(s) == size &&
	    (s[size - 1] == 'Z' || s[size - 1] == 'z')) {
		if (with_offset(s, size, "+01:30", &c) != 0 || c != a - 5400)
			abort();
		if (with_offset(s, size, "-01:30", &c) != 0 || c != a + 5400)
			abort();
		if (with_offset(s, size, "+00:00", &c) != 0 || c != a)
			abort();
	}
	if (strlen(s) == size) {
		meta = jv_object_set(jv_object(), jv_string("deletion_time"),
		    jv_string(s));
		st = vault_version_state(meta);
		if (st != VAULT_LIVE && st != VAULT_DELETED)
			abort();
		jv_free(meta);
	}
	free(s);
	return 0;
}
