/* json.c: compact JSON text of a jv value, as libjq prints it, into a buf. */

/*
 * libjq's jv_dump_string builds its text one character at a time, each
 * by jv_string_append_buf (a length check, a possible realloc and a
 * copy): profiled with valgrind's callgrind, that was a fifth of kv-put's
 * instructions and more than a tenth of every other tool's.  Here the
 * same text goes into a struct buf, a run of plain characters at a time.
 *
 * The same text to the byte: the rules are those of jv_dump_term and
 * jvp_dump_string in jq's src/jv_print.c (jq 1.6, flags 0 or
 * JV_PRINT_SORTED):
 * - no white space;
 * - strings: '"' and '\\' escaped by a backslash; \b \t \r \n \f; any
 *   other code point below U+0020, and U+007F, as \u00xx in lower-case
 *   hex; everything else as is (jv strings hold valid UTF-8 only);
 * - an object's members in libjq's own order (jv_object_iter), or, with
 *   sorted, in the order of jv_keys;
 * - numbers as libjq prints them (its dtoa's shortest form, NaN as null,
 *   infinities as DBL_MAX): an integer below 10^16 by printf, any other
 *   left to jv_dump_string, number by number.
 * That is libjq 1.6's printing, Debian 12's: a libjq that keeps number
 * literals (1.7) prints "1.0" as written, and the unit test says so.
 * One difference: libjq prints "<skipped: too deep>" for a value nested
 * deeper than 256; this prints it whole.  A record's values never are
 * (libjq's parser refuses text nested deeper than 256).
 */

#include <math.h>
#include <string.h>

#include "common.h"

static void	put(struct buf *, jv, int);

static void
put_string(struct buf *b, jv s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)jv_string_value(s);
	size_t n = (size_t)jv_string_length_bytes(jv_copy(s)), i, run;
	char esc[6];

	buf_addc(b, '"');
	for (i = 0; i < n; ) {
		/* The longest run that goes out as it is. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] != 0x7f &&
		    p[run] != '"' && p[run] != '\\'; run++)
			;
		if (run > i)
			buf_add(b, p + i, run - i);
		if (run == n)
			break;
		i = run;
		esc[0] = '\\';
		switch (p[i]) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\t':	esc[1] = 't'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\f':	esc[1] = 'f'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[p[i] >> 4];
			esc[5] = hex[p[i] & 0xf];
			buf_add(b, esc, 6);
			i++;
			continue;
		}
		buf_add(b, esc, 2);
		i++;
	}
	buf_addc(b, '"');
}

static void
put_number(struct buf *b, jv v)
{
	double x = jv_number_value(v);
	jv d;

	/*
	 * An integer below 10^16 (a version, kv): libjq's shortest digits
	 * are its own, in plain notation (jvp_dtoa_fmt goes to an exponent
	 * only past 15 digits more than the significant ones), so %lld
	 * says the same.  -0 is libjq's "-0".  The range first: the cast of
	 * a larger double (or NaN) is undefined.
	 */
	if (x > -1e16 && x < 1e16 && x == (double)(long long)x &&
	    !(x == 0 && signbit(x))) {
		buf_printf(b, "%lld", (long long)x);
		return;
	}
	d = jv_dump_string(jv_copy(v), 0);
	buf_add(b, jv_string_value(d),
	    (size_t)jv_string_length_bytes(jv_copy(d)));
	jv_free(d);
}

static void
put_object(struct buf *b, jv v, int sorted)
{
	jv keys, k;
	int i, n, first = 1;

	buf_addc(b, '{');
	if (sorted) {
		keys = jv_keys(jv_copy(v));
		n = jv_array_length(jv_copy(keys));
		for (i = 0; i < n; i++) {
			k = jv_array_get(jv_copy(keys), i);
			if (i > 0)
				buf_addc(b, ',');
			put_string(b, k);
			buf_addc(b, ':');
			put(b, jv_object_get(jv_copy(v), k), sorted);
		}
		jv_free(keys);
	} else {
		for (i = jv_object_iter(v); jv_object_iter_valid(v, i);
		    i = jv_object_iter_next(v, i)) {
			if (!first)
				buf_addc(b, ',');
			first = 0;
			k = jv_object_iter_key(v, i);
			put_string(b, k);
			jv_free(k);
			buf_addc(b, ':');
			put(b, jv_object_iter_value(v, i), sorted);
		}
	}
	buf_addc(b, '}');
}

/* v is consumed. */
static void
put(struct buf *b, jv v, int sorted)
{
	int i, n;

	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		buf_add(b, "null", 4);
		break;
	case JV_KIND_FALSE:
		buf_add(b, "false", 5);
		break;
	case JV_KIND_TRUE:
		buf_add(b, "true", 4);
		break;
	case JV_KIND_NUMBER:
		put_number(b, v);
		break;
	case JV_KIND_STRING:
		put_string(b, v);
		break;
	case JV_KIND_ARRAY:
		buf_addc(b, '[');
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			put(b, jv_array_get(jv_copy(v), i), sorted);
		}
		buf_addc(b, ']');
		break;
	case JV_KIND_OBJECT:
		put_object(b, v, sorted);
		break;
	default:
		/* Not JSON: what jv_dump_string would not print either. */
		break;
	}
	jv_free(v);
}

void
json_put(struct buf *b, jv v, int sorted)
{
	put(b, jv_copy(v), sorted);
}
