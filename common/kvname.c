/* kvname.c: the record <-> Key Vault format: names, values and tags. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int
kv_name_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > KV_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int
kv_vault_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && n <= 24 && kv_name_valid(s);
}

char *
kv_migrated_from(void)
{
	/* BAO_ADDR first, as OpenBao reads it (openbao api/env.go). */
	const char *a = getenv("BAO_ADDR") != NULL ? getenv("BAO_ADDR") :
	    getenv("VAULT_ADDR");
	char *s, *p;

	if (a == NULL || *a == '\0')
		return xstrdup(KV_MIGRATED_FROM);
	s = xstrdup_noslash(a, 0);
	/*
	 * No user:password@ of the URL goes into a tag.  The last '@' of
	 * the authority ends it, as in Go's url.Parse: a password may hold
	 * an '@' of its own.
	 */
	if ((p = strstr(s, "://")) != NULL) {
		char *end = p + 3 + strcspn(p + 3, "/?#"), *at = end;

		while (at > p + 3 && at[-1] != '@')
			at--;
		if (at > p + 3)
			memmove(p + 3, at, strlen(at) + 1);
	}
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

const char *
kv_target(const char *given)
{
	if (given == NULL)
		given = getenv("KEY_VAULT_NAME");
	return given != NULL && *given != '\0' ? given : NULL;
}

char *
kv_shape_value(jv data, int json, const char **content_type, size_t *len,
    char **err)
{
	struct buf b;
	int n;

	*len = 0;
	if (jv_get_kind(data) != JV_KIND_OBJECT) {
		*err = xstrdup("data is not a JSON object");
		return NULL;
	}
	buf_init(&b);
	n = jv_object_length(jv_copy(data));
	if (n == 1 && !json) {
		jv_object_foreach(data, k, v) {
			jv_free(k);
			if (jv_get_kind(v) == JV_KIND_STRING) {
				/*
				 * As is, U+0000 included: a secret value is
				 * any string (SetSecret's "value" is a JSON
				 * string), so the bytes are counted, never
				 * cut at a NUL.
				 */
				*content_type = "text/plain";
				buf_add(&b, jv_string_value(v),
				    (size_t)jv_string_length_bytes(
				    jv_copy(v)));
			} else {
				*content_type = jv_get_kind(v) ==
				    JV_KIND_OBJECT || jv_get_kind(v) ==
				    JV_KIND_ARRAY ? "application/json" :
				    "text/plain";
				json_put(&b, v, 1);
			}
			/* A member that data still holds: only freed. */
			jv_free(v);
		}
	} else {
		json_put(&b, data, 1);
		*content_type = "application/json";
	}
	*len = b.len;
	return buf_detach(&b);
}

const char *
kv_tag(jv item, const char *name)
{
	jv tags;
	const char *s;

	if (jv_get_kind(item) != JV_KIND_OBJECT)
		return NULL;
	tags = jv_object_get(jv_copy(item), jv_string("tags"));
	s = rec_str(tags, name);	/* NULL when tags is no object */
	/* The string lives on in item, which holds tags. */
	jv_free(tags);
	return s;
}

long
kv_tag_version(jv item)
{
	const char *s = kv_tag(item, KV_TAG_VERSION);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && v > 0 ? v : -1;
}

char *
kv_record_vpath(jv rec)
{
	const char *m = rec_str(rec, "mount"), *p = rec_str(rec, "path");

	return m != NULL && p != NULL ? xasprintf("%s/%s", m, p) : NULL;
}
