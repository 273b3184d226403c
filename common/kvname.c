/* kvname.c: the syntax of Key Vault names, and what they came from. */

#include <ctype.h>
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
	size_t n;

	if (a == NULL || *a == '\0')
		return xstrdup(KV_MIGRATED_FROM);
	n = strlen(a);
	while (n > 0 && a[n - 1] == '/')
		n--;
	s = xstrndup(a, n);
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
