/*
 * fuzz_retry_after: http_retry_after_ms, the Retry-After header value
 * (delta seconds or an HTTP date).  The answer is -1 or a delay >= 0,
 * the same for the same input.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A fixed now: 2024-06-01T00:00:00Z, so dates compare the same. */
	const time_t now = 1717200000;
	char *s;
	long a, b;

	/* Exactly the bytes, NUL-terminated, in a block of their size. */
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	a = http_retry_after_ms(s, now);
	b = http_retry_after_ms(s, now);
	if (a < -1 || a != b)
		abort();
	free(s);
	return 0;
}
