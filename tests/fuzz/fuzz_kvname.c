/*
 * fuzz_kvname: kv-name's mapping of a Vault path to a Key Vault secret
 * name.  Input: a flags byte (1: --strip-mount, 2: a prefix), then the
 * mount, a NUL, the path, a NUL and the prefix.  A name must match
 * ^[0-9a-zA-Z-]{1,127}$ without '-' at its ends or "--", be the same for
 * the same input, and paths that differ only in ASCII case must give
 * names that differ only in case (Key Vault compares names that way, so
 * they collide, and must still collide after a cut to 127).
 *
 * needs: kvname_rule kvname_suffixed
 * tools: kv-name
 * shim: kv-name/main.c
 *
 * Wanted (kv-name/name.c, say, declared in kv-name/name.h), today the
 * static rule_name, fit and suffixed of kv-name/main.c:
 *	char *kvname_rule(const char *mount, const char *path,
 *	    const char *prefix, int strip_mount, char **why);
 * the name the default rule gives (prefix may be NULL), cut to 127 with
 * a hash when longer, malloc'd; or NULL and a malloc'd *why when the
 * path has no letter or digit;
 *	char *kvname_suffixed(const char *full, const char *id,
 *	    size_t idlen);
 * the name taken instead when full is another identity's: full, '-' and
 * a hash of id, fit to 127; malloc'd.
 */

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef FUZZ_SHIM
#define main	kvname_tool_main
#include "../../kv-name/main.c"
#undef main

char	*kvname_rule(const char *, const char *, const char *, int, char **);
char	*kvname_suffixed(const char *, const char *, size_t);

char *
kvname_rule(const char *mount, const char *path, const char *prefix,
    int strip_mount, char **why)
{
	char *full, *name, *id;

	opt.prefix = prefix;
	opt.strip_mount = strip_mount;
	/* The identity as kv-name's identity() makes it without key or ns. */
	id = xasprintf("%s/%s", mount, path);
	full = rule_name(jv_null(), mount, path, id, strlen(id), NULL, why);
	free(id);
	if (full == NULL)
		return NULL;
	name = fit(full);
	free(full);
	return name;
}

char *
kvname_suffixed(const char *full, const char *id, size_t idlen)
{
	return suffixed(full, id, idlen);
}
#else
#include "common.h"

char	*kvname_rule(const char *, const char *, const char *, int, char **);
char	*kvname_suffixed(const char *, const char *, size_t);
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
good_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 127 || s[0] == '-' || s[n - 1] == '-' ||
	    strstr(s, "--") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* kv-name's --prefix rule: letters, digits, single '-' between. */
static int
good_prefix(const char *p)
{
	size_t i, n = strlen(p);

	if (n == 0 || n > 127)
		return 0;
	for (i = 0; i < n; i++)
		if ((!isalnum((unsigned char)p[i]) && p[i] != '-') ||
		    (p[i] == '-' && (i == 0 || p[i - 1] == '-')))
			return 0;
	return 1;
}

static char *
lowered(const char *s)
{
	char *r = strdup(s), *p;

	for (p = r; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *mount, *path, *prefix = NULL;
	char *buf, *end, *n1, *n2, *n3, *why = NULL, *lm, *lp, *lx, *ln;
	int strip;

	if (size < 1)
		return 0;
	strip = data[0] & 1;
	buf = malloc(size + 2);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	buf[size] = '\0';
	end = buf + size - 1;
	mount = buf;
	path = mount + strlen(mount) + 1;
	if (path > end)
		path = end;
	if (data[0] & 2) {
		prefix = path + strlen(path) + 1;
		if (prefix > end || !good_prefix(prefix))
			prefix = NULL;
	}
	if (*mount == '\0' || *path == '\0') {
		free(buf);
		return 0;
	}
	n1 = kvname_rule(mount, path, prefix, strip, &why);
	if (n1 == NULL) {
		if (why == NULL)
			abort();
		free(why);
		free(buf);
		return 0;
	}
	if (!good_name(n1))
		abort();
	n2 = kvname_rule(mount, path, prefix, strip, &why);
	if (n2 == NULL || strcmp(n1, n2) != 0)
		abort();
	/* Case-insensitive inputs collide case-insensitively. */
	lm = lowered(mount);
	lp = lowered(path);
	lx = prefix != NULL ? lowered(prefix) : NULL;
	n3 = kvname_rule(lm, lp, lx, strip, &why);
	ln = lowered(n1);
	/*
	 * Compared without regard to case: a folded letter (Ù to U) keeps
	 * its case, and lowering the input's ASCII leaves Ù as it is.
	 */
	if (n3 == NULL || strcasecmp(ln, n3) != 0)
		abort();
	free(n3);
	/* The collision name: valid too. */
	n3 = kvname_suffixed(n1, path, strlen(path));
	if (!good_name(n3))
		abort();
	free(n3);
	free(ln);
	free(lx);
	free(lp);
	free(lm);
	free(n2);
	free(n1);
	free(buf);
	return 0;
}
