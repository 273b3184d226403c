/* wipe.c: secret hygiene: wiping memory, hardening the process. */

#include <sys/prctl.h>
#include <sys/resource.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common.h"

void
wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
wipe_freen(void *p, size_t n)
{
	if (p == NULL)
		return;
	wipe(p, n);
	free(p);
}

/*
 * libjq keeps strings in reference-counted blocks.  A value can be wiped
 * in place when every reference to it is one this walk knows of: held is
 * 1 for the value handed in, 2 for a member (its container's and ours).
 */
static void
jv_wipe_held(jv v, int held)
{
	jv e;
	int i, n;

	if (jv_get_refcnt(v) != held)
		return;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		OPENSSL_cleanse((char *)jv_string_value(v),
		    (size_t)jv_string_length_bytes(jv_copy(v)));
		break;
	case JV_KIND_ARRAY:
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			e = jv_array_get(jv_copy(v), i);
			jv_wipe_held(e, 2);
			jv_free(e);
		}
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, key, val) {
			jv_wipe_held(val, 2);
			jv_free(val);
			jv_free(key);
		}
		break;
	default:
		break;
	}
}

void
jv_wipe_free(jv v)
{
	jv_wipe_held(v, 1);
	jv_free(v);
}

int
harden_process(void)
{
	struct rlimit rl = { 0, 0 };
	int rc = 0;

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		rc = -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		rc = -1;
	return rc;
}
