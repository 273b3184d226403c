/*
 * fuzz_errmsg: what the tools make of a server's JSON answer, through
 * the parsers common.h exposes: vault_errmsg, kv_errmsg, arm_errmsg
 * (error bodies), kv_inner_code, kv_tag, kv_tag_version (a secret
 * bundle's tags), kv_record_vpath, vault_version_state (KV v2 version
 * metadata) and kv_shape_value (a record's data as a Key Vault value).  The first
 * byte picks the HTTP status; the rest is the body.  Every message must
 * be one non-empty line without control characters.
 *
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one_line(char *m /* freed */)
{
	const unsigned char *p;

	if (m == NULL || *m == '\0')
		abort();
	for (p = (const unsigned char *)m; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();	/* a message must stay one line */
	free(m);
}

static void
shape(jv body, int json)
{
	const char *ct = NULL, *ct2 = NULL;
	char *err = NULL, *err2 = NULL, *v, *v2;
	size_t n, n2;

	v = kv_shape_value(body, json, &ct, &n, &err);
	v2 = kv_shape_value(body, json, &ct2, &n2, &err2);
	if ((v == NULL) != (v2 == NULL))
		abort();
	if (v != NULL) {
		/* Same data, same value: kv-check compares with it. */
		if (ct == NULL || ct2 == NULL || n != n2 ||
		    memcmp(v, v2, n) != 0 ||
		    strcmp(ct, ct2) != 0)
			abort();
	} else {
		if (err == NULL)
			abort();
		one_line(err);
		err = NULL;
	}
	free(err);
	free(err2);
	wipe_freen(v, n);
	wipe_freen(v2, n2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 0, 200, 204, 400, 401, 403, 404,
	    409, 413, 429, 500, 502, 503, 504 };
	long status;
	int st;
	jv body;

	if (size < 1)
		return 0;
	status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	if (size - 1 > 0x7fffffff)
		return 0;
	body = rec_parse_json((const char *)data + 1, size - 1);
	if (!jv_is_valid(body)) {
		jv_free(body);
		/* The clients then go on with null (an empty body). */
		body = jv_null();
	}
	one_line(vault_errmsg(body, status));
	one_line(kv_errmsg(body, status));
	one_line(arm_errmsg(body, status));
	st = vault_version_state(body);
	if (st != VAULT_LIVE && st != VAULT_DELETED && st != VAULT_DESTROYED)
		abort();
	if (jv_get_kind(body) == JV_KIND_OBJECT) {
		jv m = jv_object_get(jv_copy(body), jv_string("metadata"));

		/* A read's {"data":{"metadata":{...}}} and a versions map. */
		st = vault_version_state(m);
		if (st < VAULT_LIVE || st > VAULT_DESTROYED)
			abort();
		jv_free(m);
		shape(body, 0);
		shape(body, 1);
		(void)kv_inner_code(body);
		(void)kv_tag(body, KV_TAG_PATH);
		if (kv_tag_version(body) == 0 || kv_tag_version(body) < -1)
			abort();
		free(kv_record_vpath(body));
	}
	jv_free(body);
	return 0;
}
