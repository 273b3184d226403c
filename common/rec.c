/* rec.c: newline-delimited JSON records in and out. */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/*
 * The input line of the record at hand: rec_next sets the last line read
 * (one reader a process); a pool worker sets its record's own line.
 */
static size_t last_line;
static _Thread_local size_t cur_line;

size_t
rec_lineno(void)
{
	return cur_line ? cur_line : last_line;
}

void
rec_set_lineno(size_t n)
{
	cur_line = n;
}

void
rec_reader_init(struct rec_reader *rd, FILE *fp)
{
	memset(rd, 0, sizeof(*rd));
	rd->fp = fp;
}

void
rec_reader_release(struct rec_reader *rd)
{
	if (rd->line != NULL) {
		wipe(rd->line, rd->cap);
		free(rd->line);
	}
	rd->line = NULL;
	rd->cap = 0;
}

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or values past U+10FFFF. */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned long c;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2;
			c = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3;
			c = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4;
			c = s[i] & 0x07;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
		    (len == 4 && c < 0x10000) || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/*
 * Read one line into rd->line.  Returns its length, or -1 at the end,
 * -2 on a read error; *toolong is set when the line passed the cap (the
 * rest of it is consumed and dropped).
 */
static long
read_line(struct rec_reader *rd, int *toolong, int *eofnl)
{
	size_t len = 0;
	int c;

	*toolong = 0;
	*eofnl = 0;
	for (;;) {
		c = getc_unlocked(rd->fp);
		if (c == EOF) {
			if (ferror(rd->fp))
				return -2;
			if (len == 0 && !*toolong)
				return -1;
			*eofnl = 1;
			break;
		}
		if (c == '\n')
			break;
		if (len >= REC_MAX_LINE) {
			*toolong = 1;
			continue;
		}
		if (len + 1 >= rd->cap) {
			size_t cap = rd->cap ? rd->cap * 2 : 4096;
			char *p = xmalloc(cap);

			if (rd->line != NULL) {
				memcpy(p, rd->line, len);
				wipe(rd->line, rd->cap);
				free(rd->line);
			}
			rd->line = p;
			rd->cap = cap;
		}
		rd->line[len++] = (char)c;
	}
	if (rd->line != NULL)
		rd->line[len] = '\0';
	return (long)len;
}

static int
all_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static jv
bad_line(struct rec_reader *rd)
{
	jv err;

	err = jv_object_set(jv_object(), jv_string("tool"),
	    jv_string(msg_progname()));
	err = jv_object_set(err, jv_string("status"), jv_null());
	err = jv_object_set(err, jv_string("message"),
	    jv_string_fmt("line %zu: %s", rd->lineno, rd->err));
	return jv_object_set(jv_object_set(jv_object(), jv_string("line"),
	    jv_number((double)rd->lineno)), jv_string("error"), err);
}

/*
 * In valid JSON a string only ever follows '{', '[', ':' or ','.  libjq
 * 1.6 leaks the string it finds right after a complete value ({"a":1 "b"},
 * fixed in jq 1.7), and that string may hold a secret: such text is
 * refused here, before libjq sees it.
 */
static int
string_after_value(const char *s, size_t n)
{
	size_t i = 0;
	int after = 0;		/* the last token can end a value */

	while (i < n) {
		switch (s[i]) {
		case ' ': case '\t': case '\r': case '\n':
			i++;
			continue;
		case '"':
			if (after)
				return 1;
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			after = 1;
			break;
		case '{': case '[': case ':': case ',':
			after = 0;
			break;
		default:
			after = 1;
			break;
		}
		i++;
	}
	return 0;
}

jv
rec_parse_json(const char *s, size_t n)
{
	jv v, msg;
	const char *m, *cut;

	if (n > INT_MAX)
		return jv_invalid_with_msg(jv_string("text too long"));
	if (string_after_value(s, n))
		return jv_invalid_with_msg(jv_string("expected a separator "
		    "between values"));
	v = jv_parse_sized(s, (int)n);
	if (jv_is_valid(v))
		return v;
	/*
	 * libjq 1.6 appends "(while parsing '<the text>')": the text may
	 * hold secret values, so cut it off.
	 */
	msg = jv_invalid_get_msg(v);
	if (jv_get_kind(msg) != JV_KIND_STRING) {
		jv_free(msg);
		return jv_invalid_with_msg(jv_string("parse error"));
	}
	m = jv_string_value(msg);
	cut = strstr(m, " (while parsing");
	v = jv_invalid_with_msg(jv_string_sized(m,
	    cut ? (int)(cut - m) : (int)strlen(m)));
	jv_wipe_free(msg);
	return v;
}

int
rec_next(struct rec_reader *rd, jv *out)
{
	long n;
	int toolong, eofnl;
	jv v;

	for (;;) {
		if (msg_stop)
			return 0;
		n = read_line(rd, &toolong, &eofnl);
		if (n == -1)
			return 0;
		if (n == -2) {
			if (errno == EINTR && msg_stop)
				return 0;
			return -2;
		}
		last_line = ++rd->lineno;
		if (toolong) {
			snprintf(rd->err, sizeof(rd->err),
			    "line longer than %d bytes", REC_MAX_LINE);
			goto bad;
		}
		if (all_blank(rd->line, (size_t)n))
			continue;
		if (memchr(rd->line, '\0', (size_t)n) != NULL) {
			snprintf(rd->err, sizeof(rd->err), "NUL byte in line");
			goto bad;
		}
		if (!utf8_valid((unsigned char *)rd->line, (size_t)n)) {
			snprintf(rd->err, sizeof(rd->err), "invalid UTF-8");
			goto bad;
		}
		v = rec_parse_json(rd->line, (size_t)n);
		wipe(rd->line, (size_t)n);
		if (!jv_is_valid(v)) {
			jv msg = jv_invalid_get_msg(v);

			snprintf(rd->err, sizeof(rd->err), "invalid JSON: %s",
			    jv_get_kind(msg) == JV_KIND_STRING ?
			    jv_string_value(msg) : "parse error");
			jv_free(msg);
			goto bad;
		}
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			snprintf(rd->err, sizeof(rd->err),
			    "not a JSON object");
			jv_wipe_free(v);
			goto bad;
		}
		*out = v;
		return 1;
bad:
		if (rd->line != NULL)
			wipe(rd->line, (size_t)n);
		*out = bad_line(rd);
		return -1;
	}
}

int
rec_write(FILE *fp, jv rec)
{
	jv s;
	int rc = 0;

	s = jv_dump_string(rec, 0);
	if (fwrite(jv_string_value(s), 1,
	    (size_t)jv_string_length_bytes(jv_copy(s)), fp) == 0 ||
	    putc('\n', fp) == EOF || fflush(fp) == EOF) {
		msg_output_error(errno);
		rc = -1;
	}
	jv_wipe_free(s);
	return rc;
}

int
rec_failed(jv rec)
{
	return jv_get_kind(rec) == JV_KIND_OBJECT &&
	    jv_object_has(jv_copy(rec), jv_string("error"));
}

jv
rec_error(jv rec, long status, const char *fmt, ...)
{
	va_list ap;
	char *s;
	jv err;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	err = jv_object_set(jv_object(), jv_string("tool"),
	    jv_string(msg_progname()));
	err = jv_object_set(err, jv_string("status"),
	    status > 0 ? jv_number((double)status) : jv_null());
	err = jv_object_set(err, jv_string("message"),
	    jv_string(s ? s : "error"));
	free(s);
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		rec = jv_object();
	}
	return jv_object_set(rec, jv_string("error"), err);
}

const char *
rec_str(jv rec, const char *field)
{
	jv v;
	const char *s = NULL;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return NULL;
	v = jv_object_get(jv_copy(rec), jv_string(field));
	/* The object keeps its own reference, so the string outlives v. */
	if (jv_get_kind(v) == JV_KIND_STRING)
		s = jv_string_value(v);
	jv_free(v);
	return s;
}

static const char *
kind_name(jv_kind k)
{
	switch (k) {
	case JV_KIND_NULL:
		return "null";
	case JV_KIND_FALSE:
	case JV_KIND_TRUE:
		return "a boolean";
	case JV_KIND_NUMBER:
		return "a number";
	case JV_KIND_STRING:
		return "a string";
	case JV_KIND_ARRAY:
		return "an array";
	case JV_KIND_OBJECT:
		return "an object";
	default:
		return "invalid";
	}
}

char *
rec_field_problem(jv rec, const char *field, jv_kind want, int required)
{
	jv v;
	jv_kind k;

	v = jv_object_get(jv_copy(rec), jv_string(field));
	k = jv_get_kind(v);
	jv_free(v);
	if (k == JV_KIND_INVALID || (k == JV_KIND_NULL && !required))
		return required ? xasprintf("%s is missing", field) : NULL;
	if (k == want || (want == JV_KIND_TRUE && k == JV_KIND_FALSE))
		return NULL;
	return xasprintf("%s is %s, not %s", field, kind_name(k),
	    kind_name(want));
}

int
rec_number_int(jv v, long long min, long long max, long long *out)
{
	double d;

	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return -1;
	d = jv_number_value(v);
	/* NaN fails every comparison; the cast comes only after them. */
	if (!(d >= (double)min && d <= (double)max) || d != floor(d))
		return -1;
	*out = (long long)d;
	return 0;
}

char *
rec_int_problem(jv rec, const char *field, long long min, long long max,
    const char *what)
{
	char num[64];
	long long n;
	jv v;

	v = jv_object_get(jv_copy(rec), jv_string(field));
	if (jv_get_kind(v) != JV_KIND_NUMBER ||
	    rec_number_int(v, min, max, &n) == 0) {
		jv_free(v);
		return NULL;
	}
	jv_dump_string_trunc(v, num, sizeof(num));
	return xasprintf("%s is %s, not %s", field, num, what);
}

char *
rec_label(jv rec, size_t lineno)
{
	const char *mount, *path, *name;

	mount = rec_str(rec, "mount");
	path = rec_str(rec, "path");
	name = rec_str(rec, "name");
	if (mount != NULL && path != NULL)
		return xasprintf("%s/%s", mount, path);
	if (name != NULL)
		return xstrdup(name);
	if (lineno == 0)
		lineno = rec_lineno();
	if (lineno > 0)
		return xasprintf("line %zu", lineno);
	return xstrdup("record");
}
