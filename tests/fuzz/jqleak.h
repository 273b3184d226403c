/*
 * jqleak.h: libjq 1.6 (Debian 12) leaks a string that follows a complete
 * value without a separator ({"a":1 "b"}, ["x" "y"], {} "z"): value() in
 * jv_parse.c returns "Expected separator between values" without freeing
 * it (fixed in jq 1.7).  That leak is libjq's, not ours: a target parses
 * such an input with LeakSanitizer off, and every other input with it
 * on, so that a leak of our own still shows.  jq16_leaks is conservative:
 * it says yes for every input where a string token follows a token that
 * can end a value.
 */

#include <sanitizer/lsan_interface.h>
#include <stddef.h>
#include <stdint.h>

static int
jq16_leaks(const uint8_t *d, size_t n)
{
	size_t i = 0;
	int after = 0;		/* the last token can end a value */

	while (i < n) {
		switch (d[i]) {
		case ' ': case '\t': case '\r': case '\n':
			i++;
			continue;
		case '"':
			if (after)
				return 1;
			for (i++; i < n && d[i] != '"'; i++)
				if (d[i] == '\\')
					i++;
			i++;
			after = 1;
			continue;
		case '{': case '[': case ':': case ',':
			after = 0;
			break;
		default:	/* '}', ']', a number, a literal, anything */
			after = 1;
			break;
		}
		i++;
	}
	return 0;
}

#define JQ_QUIET_BEGIN(q)	do { if (q) __lsan_disable(); } while (0)
#define JQ_QUIET_END(q)		do { if (q) __lsan_enable(); } while (0)
