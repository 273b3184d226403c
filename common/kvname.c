/* kvname.c: the syntax of Key Vault names. */

#include <ctype.h>
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
