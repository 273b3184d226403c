/* rec.c: newline-delimited JSON records in and out. */

#include <errno.h>
#include <float.h>
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

int
rec_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return 0;
	return 1;
}

/*
 * The error record of a bad line: {"line":N,"error":{...}}, with the
 * identifying strings of what was parsed (ids, consumed: mount, path,
 * namespace, key, name), so the operator sees which secret it was.
 */
static jv
bad_line(struct rec_reader *rd, jv ids)
{
	static const char *const keep[] = {
		"mount", "path", "namespace", "key", "name"
	};
	jv err, rec, f;
	size_t i;

	err = jv_object_set(jv_object(), jv_string("tool"),
	    jv_string(msg_progname()));
	err = jv_object_set(err, jv_string("status"), jv_null());
	err = jv_object_set(err, jv_string("message"),
	    jv_string_fmt("line %zu: %s", rd->lineno, rd->err));
	rec = jv_object_set(jv_object(), jv_string("line"),
	    jv_number((double)rd->lineno));
	for (i = 0; jv_get_kind(ids) == JV_KIND_OBJECT &&
	    i < sizeof(keep) / sizeof(keep[0]); i++) {
		f = jv_object_get(jv_copy(ids), jv_string(keep[i]));
		if (jv_get_kind(f) == JV_KIND_STRING)
			rec = jv_object_set(rec, jv_string(keep[i]), f);
		else
			jv_free(f);
	}
	jv_wipe_free(ids);
	return jv_object_set(rec, jv_string("error"), err);
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

/*
 * Number literals.  libjq 1.6 parses every number to a double and prints
 * the shortest text that reads back as that double (jv_print.c,
 * jvp_dtoa_fmt), so 12345678901234567890 comes out as
 * 12345678901234567000, 2^53 + 1 as 2^53 and 1e400 as
 * 1.7976931348623157e+308.  A literal is carried exactly when it is
 * numerically equal to that text: 1.0, 1e2, 0.1, -0 and 1.50000 are;
 * the others must never reach Key Vault changed.  The tools run in the C
 * locale (none calls setlocale), so strtod and printf use '.'.
 */
#define NUM_DIGITS	17	/* the most a shortest double text has */

/*
 * A decimal literal as its value 0.D x 10^exp: D its significant digits
 * without leading or trailing zeros (empty for zero).  -1 when the text
 * is not a decimal (libjq also takes "nan" and "infinity"), or holds
 * more than NUM_DIGITS significant digits (no double prints so).
 */
static int
dec_norm(const char *s, size_t n, char d[NUM_DIGITS + 1], size_t *nd,
    long long *exp, int *neg)
{
	size_t i = 0, lead = 0, zeros = 0, nint = 0, ndig = 0;
	long long e = 0;
	int esign = 1, point = 0, sig = 0;

	*nd = 0;
	*neg = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		*neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '.' && !point) {
			point = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		ndig++;
		if (!point)
			nint++;
		if (!sig && s[i] == '0') {
			lead++;
			continue;
		}
		sig = 1;
		if (s[i] == '0') {
			zeros++;	/* kept only if a digit follows */
			continue;
		}
		if (*nd + zeros + 1 > NUM_DIGITS)
			return -1;
		for (; zeros > 0; zeros--)
			d[(*nd)++] = '0';
		d[(*nd)++] = s[i];
	}
	if (ndig == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			esign = s[i++] == '-' ? -1 : 1;
		if (i == n)
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (e < 1000000000)	/* past any double's range */
				e = e * 10 + (s[i] - '0');
	}
	if (i != n)
		return -1;
	d[*nd] = '\0';
	*exp = (long long)nint - (long long)lead + esign * e;
	return 0;
}

/*
 * Does libjq carry the number literal s[0..n) exactly?  It prints the
 * shortest digits that read back as the double, the closest such: the
 * literal, of nl significant digits, is that text when printing the
 * double with nl digits gives it back and nl - 1 digits do not read back
 * (if fewer did, nl - 1 would too).
 */
static int
num_exact(const char *s, size_t n)
{
	char lit[NUM_DIGITS + 1], got[NUM_DIGITS + 1], tok[64], out[40];
	size_t i, nl, ng;
	long long el, eg;
	int negl, negg;
	double x;

	/* Most numbers are small integers: exact below 10^15. */
	for (i = s[0] == '-'; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == n && n - (s[0] == '-') <= 15 && n > (size_t)(s[0] == '-'))
		return 1;
	if (dec_norm(s, n, lit, &nl, &el, &negl) == -1)
		return 0;
	if (nl == 0)
		return 1;		/* zero, however written */
	/*
	 * 15 significant digits or fewer, in the range of normal doubles:
	 * every such decimal reads back as itself (DBL_DIG, C11 5.2.4.2.2),
	 * and no shorter one reads as the same double.
	 */
	if (nl <= DBL_DIG && el >= DBL_MIN_10_EXP + 2 &&
	    el <= DBL_MAX_10_EXP)
		return 1;
	/* Its value, from its own digits: the text may be long with zeros. */
	snprintf(tok, sizeof(tok), "%s0.%se%lld", negl ? "-" : "", lit, el);
	x = strtod(tok, NULL);
	if (!isfinite(x) || x == 0)
		return 0;
	if (nl > 1) {
		snprintf(out, sizeof(out), "%.*e", (int)nl - 2, x);
		if (strtod(out, NULL) == x)
			return 0;	/* shorter digits say it */
	}
	snprintf(out, sizeof(out), "%.*e", (int)nl - 1, x);
	if (dec_norm(out, strlen(out), got, &ng, &eg, &negg) == -1)
		return 0;
	return ng == nl && eg == el && negg == negl &&
	    memcmp(got, lit, nl) == 0;
}

/* A key path for messages: data.id, data["a b"], list[2]. */
static void
path_add_key(struct buf *b, const char *s, size_t n)
{
	jv k;
	const char *p;
	int plain;

	k = jv_parse_sized(s, (int)n);
	if (jv_get_kind(k) != JV_KIND_STRING) {
		jv_free(k);
		buf_addstr(b, "[?]");
		return;
	}
	p = jv_string_value(k);
	plain = *p != '\0' && !(*p >= '0' && *p <= '9') &&
	    (size_t)jv_string_length_bytes(jv_copy(k)) == strlen(p);
	for (; plain && *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			plain = 0;
	if (plain) {
		if (b->len > 0)
			buf_addc(b, '.');
		buf_addstr(b, jv_string_value(k));
	} else {
		jv d = jv_dump_string(jv_copy(k), 0);

		buf_printf(b, "[%s]", jv_string_value(d));
		jv_free(d);
	}
	jv_free(k);
}

/*
 * Valid JSON text (libjq took it): 0 when every number in it is carried
 * exactly, else -1 and the key path of the first one that is not in why.
 * libjq refuses nesting deeper than 256, so the stack has room.
 */
#define NUM_DEPTH	257
static int
num_check(const char *s, size_t n, struct buf *why)
{
	struct {
		size_t	 key, keylen;	/* of an object: the last key */
		long	 idx;		/* of an array; -1 for an object */
	} st[NUM_DEPTH + 1];
	size_t i = 0, j;
	int depth = 0, want_key = 0, k;

	while (i < n) {
		switch (s[i]) {
		case ' ': case '\t': case '\r': case '\n': case ':':
			i++;
			continue;
		case '{': case '[':
			if (depth == NUM_DEPTH)
				return 0;
			st[depth].idx = s[i] == '{' ? -1 : 0;
			st[depth].key = st[depth].keylen = 0;
			want_key = s[i] == '{';
			depth++;
			i++;
			continue;
		case '}': case ']':
			if (depth > 0)
				depth--;
			i++;
			continue;
		case ',':
			if (depth > 0 && st[depth - 1].idx >= 0)
				st[depth - 1].idx++;
			want_key = depth > 0 && st[depth - 1].idx < 0;
			i++;
			continue;
		case '"':
			for (j = i + 1; j < n && s[j] != '"'; j++)
				if (s[j] == '\\')
					j++;
			if (want_key && depth > 0) {
				st[depth - 1].key = i;
				st[depth - 1].keylen = j + 1 - i;
				want_key = 0;
			}
			i = j + 1;
			continue;
		}
		for (j = i; j < n && strchr(" \t\r\n{}[]:,\"", s[j]) == NULL; j++)
			;
		if (!((j - i == 4 && memcmp(s + i, "true", 4) == 0) ||
		    (j - i == 5 && memcmp(s + i, "false", 5) == 0) ||
		    (j - i == 4 && memcmp(s + i, "null", 4) == 0)) &&
		    !num_exact(s + i, j - i)) {
			for (k = 0; k < depth; k++) {
				if (st[k].idx >= 0)
					buf_printf(why, "[%ld]", st[k].idx);
				else
					path_add_key(why, s + st[k].key,
					    st[k].keylen);
			}
			if (depth == 0)
				buf_addstr(why, "the value");
			buf_addstr(why, ": the number " REC_INEXACT);
			return -1;
		}
		i = j;
	}
	return 0;
}

/*
 * Parse s: 0 and *out the value; -1 and *out invalid with a message that
 * never quotes the text; -2 when a number in it would come out changed:
 * *out is then the value as libjq has it (for its identifying fields
 * only) and why says where.
 */
static int
parse(const char *s, size_t n, jv *out, struct buf *why)
{
	jv v, msg;
	const char *m, *cut;

	if (n > INT_MAX) {
		*out = jv_invalid_with_msg(jv_string("text too long"));
		return -1;
	}
	if (string_after_value(s, n)) {
		*out = jv_invalid_with_msg(jv_string("expected a separator "
		    "between values"));
		return -1;
	}
	v = jv_parse_sized(s, (int)n);
	if (jv_is_valid(v)) {
		*out = v;
		return num_check(s, n, why) == -1 ? -2 : 0;
	}
	/*
	 * libjq 1.6 appends "(while parsing '<the text>')": the text may
	 * hold secret values, so cut it off.
	 */
	msg = jv_invalid_get_msg(v);
	if (jv_get_kind(msg) != JV_KIND_STRING) {
		jv_free(msg);
		*out = jv_invalid_with_msg(jv_string("parse error"));
		return -1;
	}
	m = jv_string_value(msg);
	cut = strstr(m, " (while parsing");
	*out = jv_invalid_with_msg(jv_string_sized(m,
	    cut ? (int)(cut - m) : (int)strlen(m)));
	jv_wipe_free(msg);
	return -1;
}

jv
rec_parse_json(const char *s, size_t n)
{
	struct buf why;
	jv v;

	buf_init(&why);
	if (parse(s, n, &v, &why) == -2) {
		jv_wipe_free(v);
		v = jv_invalid_with_msg(jv_string(why.data));
	}
	buf_release(&why);
	return v;
}

int
rec_next(struct rec_reader *rd, jv *out)
{
	struct buf why;
	long n;
	int toolong, eofnl, rc;
	jv v, ids = jv_invalid();

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
		if (rec_blank(rd->line, (size_t)n))
			continue;
		if (memchr(rd->line, '\0', (size_t)n) != NULL) {
			snprintf(rd->err, sizeof(rd->err), "NUL byte in line");
			goto bad;
		}
		if (!utf8_valid((unsigned char *)rd->line, (size_t)n)) {
			snprintf(rd->err, sizeof(rd->err), "invalid UTF-8");
			goto bad;
		}
		buf_init(&why);
		rc = parse(rd->line, (size_t)n, &v, &why);
		wipe(rd->line, (size_t)n);
		if (rc == -2) {
			snprintf(rd->err, sizeof(rd->err), "%s", why.data);
			buf_release(&why);
			ids = v;
			goto bad;
		}
		buf_release(&why);
		if (!jv_is_valid(v)) {
			char *m = rec_invalid_msg(v, "parse error");

			snprintf(rd->err, sizeof(rd->err), "invalid JSON: %s",
			    m);
			free(m);
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
		*out = bad_line(rd, ids);
		return -1;
	}
}

int
rec_next_input(struct rec_reader *rd, jv *out)
{
	int rc;

	if (msg_stop || (rc = rec_next(rd, out)) == 0)
		return 0;
	if (rc == -2)
		msg_fatal("standard input: %s", strerror(errno));
	if (rc == -1)
		msg_warn(NULL, "line %zu: %s", rd->lineno, rd->err);
	return rc;
}

int
rec_write(FILE *fp, jv rec)
{
	struct buf s;
	int rc = 0, e = 0;

	buf_init(&s);
	json_put(&s, rec, 0);
	buf_addc(&s, '\n');
	errno = 0;
	if (fwrite(s.data, 1, s.len, fp) != s.len || fflush(fp) == EOF) {
		e = errno ? errno : EIO;
		rc = -1;
	}
	buf_release(&s);
	jv_wipe_free(rec);
	if (rc == -1)
		errno = e;
	return rc;
}

int
rec_emit(jv rec)
{
	if (msg_output_errno() != 0) {
		jv_wipe_free(rec);
		return -1;
	}
	if (rec_write(stdout, rec) == -1) {
		msg_output_error(errno);
		return -1;
	}
	return 0;
}

char *
rec_invalid_msg(jv v, const char *fallback)
{
	jv m;
	char *s;

	if (jv_is_valid(v)) {
		jv_free(v);
		return xstrdup(fallback);
	}
	m = jv_invalid_get_msg(v);
	s = xstrdup(jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
	    fallback);
	jv_free(m);
	return s;
}

int
rec_failed(jv rec)
{
	return jv_get_kind(rec) == JV_KIND_OBJECT &&
	    jv_object_has(jv_copy(rec), jv_string("error"));
}

int
rec_fate(jv rec)
{
	const char *tool;

	if (!rec_failed(rec))
		return REC_OK;
	/* An error without a tool's name was not made here either. */
	tool = rec_error_str(rec, "tool");
	return tool != NULL && strcmp(tool, msg_progname()) == 0 ?
	    REC_FAILED_HERE : REC_FAILED_UPSTREAM;
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

jv
rec_strip_data(jv rec)
{
	jv d;

	if (jv_get_kind(rec) != JV_KIND_OBJECT ||
	    !jv_object_has(jv_copy(rec), jv_string("data")))
		return rec;
	d = jv_object_get(jv_copy(rec), jv_string("data"));
	rec = jv_object_delete(rec, jv_string("data"));
	jv_wipe_free(d);
	return rec;
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

const char *
rec_error_str(jv rec, const char *field)
{
	const char *s;
	jv e;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return NULL;
	e = jv_object_get(jv_copy(rec), jv_string("error"));
	/* rec keeps its reference to e, so the string outlives this one. */
	s = rec_str(e, field);
	jv_free(e);
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

long long
rec_int(jv rec, const char *field, long long min, long long max,
    long long dflt)
{
	long long n;
	jv v;

	if (jv_get_kind(rec) != JV_KIND_OBJECT)
		return dflt;
	v = jv_object_get(jv_copy(rec), jv_string(field));
	if (rec_number_int(v, min, max, &n) == -1)
		n = dflt;
	jv_free(v);
	return n;
}

int
rec_array_any(jv a, int (*pred)(jv, const void *), const void *arg)
{
	jv it;
	int i, n, hit = 0;

	if (jv_get_kind(a) != JV_KIND_ARRAY)
		return 0;
	n = jv_array_length(jv_copy(a));
	for (i = 0; i < n && !hit; i++) {
		it = jv_array_get(jv_copy(a), i);
		hit = pred(it, arg);
		jv_free(it);
	}
	return hit;
}

static int
not_object(jv item, const void *arg)
{
	return jv_get_kind(item) != JV_KIND_OBJECT;
}

int
rec_array_of_objects(jv a)
{
	return jv_get_kind(a) == JV_KIND_ARRAY &&
	    !rec_array_any(a, not_object, NULL);
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
