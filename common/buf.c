/* buf.c: a growable byte buffer that is wiped when it shrinks or dies. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

static void
buf_grow(struct buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->len + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	/* Not realloc: the old block may hold a secret and must be wiped. */
	p = xmalloc(cap);
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, int c)
{
	char ch = (char)c;

	buf_add(b, &ch, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	if (b->data != NULL) {
		wipe(b->data, b->len);
		b->data[0] = '\0';
	}
	b->len = 0;
}

void
buf_release(struct buf *b)
{
	if (b->data != NULL) {
		wipe(b->data, b->cap);
		free(b->data);
	}
	buf_init(b);
}

char *
buf_detach(struct buf *b)
{
	char *p;

	if (b->data == NULL)
		return xstrdup("");
	p = b->data;
	buf_init(b);
	return p;
}
