/* unit.h: the checks of the unit tests; included once, after common.h. */

#ifndef VAULT2KV_UNIT_H
#define VAULT2KV_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
		    __LINE__, #c); \
		failures++; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	if (strcmp((got), (want)) != 0) { \
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", \
		    __FILE__, __LINE__, (got), (want)); \
		failures++; \
	} \
} while (0)

/* CHECK_STR of got, a malloc'd string, which is then freed. */
#define CHECK_STR_FREE(got, want) do { \
	char *s_ = (got); \
	CHECK_STR(s_, want); \
	free(s_); \
} while (0)

#define CHECK_EQ(got, want) do { \
	long g_ = (got), w_ = (want); \
	if (g_ != w_) { \
		fprintf(stderr, "%s:%d: %s is %ld, want %ld\n", __FILE__, \
		    __LINE__, #got, g_, w_); \
		failures++; \
	} \
} while (0)

/* The end of main: the failures counted, and the exit status. */
static inline int
unit_result(const char *name)
{
	if (failures)
		fprintf(stderr, "%s: %d failures\n", name, failures);
	return failures ? 1 : 0;
}

#endif
