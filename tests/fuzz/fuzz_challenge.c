/*
 * fuzz_challenge: the Bearer challenge of a WWW-Authenticate header
 * value, as Key Vault sends it with a 401:
 *	Bearer authorization="https://login.microsoftonline.com/TENANT",
 *	resource="https://vault.azure.net"
 *
 * needs: azure_challenge_parse
 * shim: common/kv.c
 *
 * Wanted in common.h (kv.c), today the static challenge_parse:
 *	void azure_challenge_parse(const char *value, char **authorization,
 *	    char **resource, char **scope);
 * each out malloc'd, or NULL when the Bearer challenge lacks it.  Until
 * then run.sh builds this with FUZZ_SHIM: kv.c is included here and
 * the static function called directly.  The shim also runs
 * kv_take_challenge, which checks the resource against the vault's host.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_SHIM
#include "../../common/kv.c"

void	azure_challenge_parse(const char *, char **, char **, char **);

void
azure_challenge_parse(const char *value, char **authorization,
    char **resource, char **scope)
{
	struct challenge ch;

	challenge_parse(value, &ch);
	*authorization = ch.authorization;
	*resource = ch.resource;
	*scope = ch.scope;
}

/* The vault's check of the resource the challenge asks a token for. */
static void
take(const char *value)
{
	struct kv kv;
	char *err = NULL;

	memset(&kv, 0, sizeof(kv));
	kv.host = "myvault.vault.azure.net";
	if (kv_take_challenge(&kv, value, &err) == 0) {
		if (err != NULL || kv.scope == NULL || !kv.ready)
			abort();
		/* A scope is an https URL (checked by url_parse). */
		if (strncasecmp(kv.scope, "https://", 8) != 0)
			abort();
	} else if (err == NULL)
		abort();
	free(kv.scope);
	free(kv.tenant);
	free(err);
}
#else
#include "common.h"

void	azure_challenge_parse(const char *, char **, char **, char **);
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *a = NULL, *r = NULL, *sc = NULL;
	char *a2 = NULL, *r2 = NULL, *sc2 = NULL;

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	azure_challenge_parse(s, &a, &r, &sc);
	azure_challenge_parse(s, &a2, &r2, &sc2);
	/* The same header, the same answer. */
	if ((a == NULL) != (a2 == NULL) || (r == NULL) != (r2 == NULL) ||
	    (sc == NULL) != (sc2 == NULL) ||
	    (a != NULL && strcmp(a, a2) != 0) ||
	    (r != NULL && strcmp(r, r2) != 0) ||
	    (sc != NULL && strcmp(sc, sc2) != 0))
		abort();
	/* A value is a part of the header, never longer than it. */
	if ((a != NULL && strlen(a) > size) ||
	    (r != NULL && strlen(r) > size) ||
	    (sc != NULL && strlen(sc) > size))
		abort();
	free(a);
	free(r);
	free(sc);
	free(a2);
	free(r2);
	free(sc2);
#ifdef FUZZ_SHIM
	take(s);
#endif
	free(s);
	return 0;
}
