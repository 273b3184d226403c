/*
 * fuzz_policy: a Vault ACL policy's text, as kv-grant --from-policies
 * reads it from Vault, through policy_parse, then an ACL of it matched
 * against paths made from the same bytes.  A parse error is one line;
 * a parsed policy's rules match as an ACL without crashing, and a denied
 * entry grants nothing.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one_line(const char *m)
{
	const unsigned char *p;

	if (m == NULL || *m == '\0')
		abort();
	for (p = (const unsigned char *)m; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
		"secret/data/app/db", "secret/metadata/app/", "kv1/x",
		"team1/kv/data/a/b", "", "a", "a/b/c/d/e",
	};
	struct policy pol;
	const struct acl_entry *e;
	struct acl *acl;
	char *text, *err = NULL;
	size_t i;
	unsigned c;

	text = xstrndup((const char *)data, size);
	memset(&pol, 0, sizeof(pol));
	pol.ns = size > 0 && data[0] & 1 ? "team1/" : "";
	if (policy_parse(&pol, text, &err) == -1) {
		one_line(err);
		free(err);
	} else {
		if (pol.conditions != NULL)
			one_line(pol.conditions);
		acl = acl_new();
		acl_add(acl, &pol);
		acl_add(acl, &pol);
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			c = acl_caps(acl, paths[i], paths[i][0] != '\0' &&
			    paths[i][strlen(paths[i]) - 1] == '/', &e);
			if (e != NULL && (e->caps & POL_DENY) && c != 0)
				abort();
		}
		/* The rules' own paths, each a request. */
		for (i = 0; i < pol.n; i++)
			(void)acl_caps(acl, pol.rules[i].path, 0, NULL);
		(void)acl_caps(acl, text, 1, NULL);
		acl_free(acl);
	}
	policy_release(&pol);
	free(text);
	return 0;
}
