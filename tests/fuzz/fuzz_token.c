/*
 * fuzz_token: a token endpoint's JSON answer (Entra ID v1 and v2, the
 * managed identity endpoints): access_token or accessToken, expires_in,
 * or expires_on as unix seconds or RFC 3339.
 *
 * needs: azure_token_parse
 * shim: common/azcred.c
 *
 * Wanted in common.h (azcred.c), today the static parse_token:
 *	int azure_token_parse(jv body, time_t now, char **token,
 *	    time_t *expires_on, char **why);
 * body borrowed; 0 with *token malloc'd (the caller wipe_free's it) and
 * *expires_on > now, or -1 and a malloc'd *why.  The raw input also goes
 * to time_parse_rfc3339 (expires_on), time_parse_local (the CLI's
 * expiresOn) and, with the shim, to the refresh policy (refresh_time).
 *
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef FUZZ_SHIM
#include "../../common/azcred.c"

int	azure_token_parse(jv, time_t, char **, time_t *, char **);

int
azure_token_parse(jv body, time_t now, char **token, time_t *expires_on,
    char **why)
{
	struct az_tokres t = { NULL, 0 };

	if (parse_token(body, now, &t, why) == -1)
		return -1;
	*token = t.value;
	*expires_on = t.expires_on;
	return 0;
}

static void
times(const char *s, time_t now)
{
	time_t t, r;

	if (time_parse_rfc3339(s, &t) == 0 && t > now) {
		/* Refreshed before it expires, not before now. */
		r = refresh_time(now, t);
		if (r < now || r > t)
			abort();
	}
}
#else
#include "common.h"

int	azure_token_parse(jv, time_t, char **, time_t *, char **);
#endif


int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const time_t now = 1717200000;	/* 2024-06-01T00:00:00Z */
	const char *at;
	char *tok = NULL, *why = NULL, *s;
	time_t exp = 0;
	jv body;

	if (size > 0x7fffffff)
		return 0;
	/* The raw text, exactly its size, for the string parsers. */
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
#ifdef FUZZ_SHIM
	times(s, now);
#else
	{
		time_t t;

		(void)time_parse_rfc3339(s, &t);
	}
#endif
	{
		time_t t;

		(void)time_parse_local(s, &t);
	}
	body = rec_parse_json((const char *)data, size);
	if (!jv_is_valid(body)) {
		jv_free(body);
		free(s);
		return 0;
	}
	if (azure_token_parse(body, now, &tok, &exp, &why) == 0) {
		if (tok == NULL || *tok == '\0' || exp <= now || why != NULL)
			abort();
		wipe_free(tok);
	} else {
		if (why == NULL || tok != NULL)
			abort();
		/*
		 * The reason never carries the token (one long enough not
		 * to be a word of the reason itself, "expired" say).
		 */
		at = rec_str(body, "access_token");
		if (at != NULL && strlen(at) >= 16 && strstr(why, at) != NULL)
			abort();
		at = rec_str(body, "accessToken");
		if (at != NULL && strlen(at) >= 16 && strstr(why, at) != NULL)
			abort();
		free(why);
	}
	jv_free(body);
	free(s);
	return 0;
}
