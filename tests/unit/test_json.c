/* test_json.c: json_put writes what libjq's jv_dump_string writes. */

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "unit.h"

/* 1 when json_put(v, sorted) is jv_dump_string's text to the byte. */
static int	shown;

static int
same(jv v, int sorted, const char *what)
{
	struct buf b;
	jv d;
	int ok;

	buf_init(&b);
	json_put(&b, v, sorted);
	d = jv_dump_string(jv_copy(v), sorted ? JV_PRINT_SORTED : 0);
	ok = b.data != NULL &&
	    (size_t)jv_string_length_bytes(jv_copy(d)) == b.len &&
	    memcmp(b.data, jv_string_value(d), b.len) == 0;
	/* The first few only: a random value can be long. */
	if (!ok && shown++ < 3)
		fprintf(stderr, "%s (sorted %d): got %s, want %s\n", what,
		    sorted, b.data ? b.data : "(nothing)",
		    jv_string_value(d));
	jv_free(d);
	buf_release(&b);
	return ok;
}

static void
check_text(const char *text)
{
	jv v = jv_parse(text);

	CHECK(jv_is_valid(v));
	CHECK(same(v, 0, text));
	CHECK(same(v, 1, text));
	jv_free(v);
}

static void
test_fixed(void)
{
	static const char *texts[] = {
		"null", "true", "false", "0", "-0", "1", "-1", "0.1",
		"100", "1e17", "1e16", "123456789012345678", "1.5e-7",
		"0.0001", "0.00001", "1e308", "1e400", "-1e400",
		"9007199254740993", "3.141592653589793", "9999999999999998",
		"-9999999999999998", "10000000000000000", "9999999999999999",
		"1e15", "-1e15", "123456789012345", "-0.0", "2.5", "-7",
		/*
		 * Written otherwise than libjq 1.6 prints them: a libjq that
		 * keeps number literals (1.7) prints them as written, and
		 * json_put's integer path would then differ, here first.
		 */
		"1.0", "100.00", "1E2", "5e0", "\"\"", "[]", "{}",
		"[[]]", "[{}]", "{\"a\":{}}", "[1,[2,[3,[4]]]]",
		"\"quote \\\" backslash \\\\ slash \\/\"",
		"\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u0080\\u00ff\"",
		"\"\\u0000 in the middle, \\u0000\"",
		"\"caf\\u00e9 \xe2\x82\xac \xf0\x9f\x94\x91 \\ud83d\\udd11\"",
		"\"\\uffff\\ufffe\\u2028\\u2029\"",
		"{\"b\":1,\"a\":2,\"c\":{\"z\":[true,null],\"y\":\"\"}}",
		"{\"k\\\"ey\":\"v\",\"k\\u0000\":0,\"\\u00e9\":1,\"e\":2}",
		"{\"a\":1,\"a\":2}",
		"[\"" "0123456789012345678901234567890123456789"
		    "0123456789012345678901234567890123456789" "\"]",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_text(texts[i]);
}

/* Numbers that no JSON text gives: NaN and the infinities. */
static void
test_numbers(void)
{
	jv v = jv_array();

	v = jv_array_append(v, jv_number(NAN));
	v = jv_array_append(v, jv_number(INFINITY));
	v = jv_array_append(v, jv_number(-INFINITY));
	v = jv_array_append(v, jv_number(DBL_MIN));
	v = jv_array_append(v, jv_number(5e-324));
	v = jv_array_append(v, jv_number(-0.0));
	CHECK(same(v, 0, "NaN, infinities, tiny numbers"));
	jv_free(v);
}

static uint64_t seed = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	/* xorshift64*: the same values on every run. */
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return seed * 2685821657736338717ULL;
}

/* A code point as UTF-8; no surrogates. */
static size_t
utf8(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static jv
rnd_string(void)
{
	char s[256];
	size_t n = 0, len = rnd() % 40;
	uint32_t c;

	while (len-- > 0 && n < sizeof(s) - 4) {
		switch (rnd() % 6) {
		case 0:		/* control characters, U+007F */
			c = rnd() % 2 ? (uint32_t)(rnd() % 0x20) : 0x7f;
			break;
		case 1:
			c = "\"\\/ "[rnd() % 4];
			break;
		case 2:		/* two bytes, C1 controls included */
			c = 0x80 + (uint32_t)(rnd() % 0x780);
			break;
		case 3:		/* three bytes, no surrogates */
			do
				c = 0x800 + (uint32_t)(rnd() % 0xf800);
			while (c >= 0xd800 && c <= 0xdfff);
			break;
		case 4:
			c = 0x10000 + (uint32_t)(rnd() % 0x100000);
			break;
		default:
			c = 0x20 + (uint32_t)(rnd() % 0x5f);
		}
		n += utf8(c, s + n);
	}
	return jv_string_sized(s, (int)n);
}

static jv
rnd_value(int depth)
{
	jv v;
	uint64_t bits;
	double d;
	int i, n;

	switch (rnd() % (depth < 5 ? 8 : 5)) {
	case 0:
		return jv_null();
	case 1:
		return rnd() % 2 ? jv_true() : jv_false();
	case 2:
		bits = rnd();
		memcpy(&d, &bits, sizeof(d));
		if (rnd() % 3 == 0)
			d = (double)(int64_t)(rnd() % 2000000) - 1000000;
		else if (rnd() % 2)
			/* around 10^16, where libjq's notation turns */
			d = (double)(int64_t)(rnd() % 40000000000000000ULL) -
			    20000000000000000LL;
		return jv_number(d);
	case 3:
	case 4:
		return rnd_string();
	case 5:
		v = jv_array();
		n = (int)(rnd() % 5);
		for (i = 0; i < n; i++)
			v = jv_array_append(v, rnd_value(depth + 1));
		return v;
	default:
		v = jv_object();
		n = (int)(rnd() % 6);
		for (i = 0; i < n; i++)
			v = jv_object_set(v, rnd_string(), rnd_value(depth + 1));
		return v;
	}
}

static void
test_random(void)
{
	char what[64];
	jv v;
	int i, bad = 0;

	for (i = 0; i < 20000; i++) {
		v = rnd_value(0);
		snprintf(what, sizeof(what), "random value %d", i);
		if (!same(v, 0, what) || !same(v, 1, what))
			bad++;
		jv_free(v);
	}
	CHECK_EQ(bad, 0);
}

/* What comes after is appended: json_put does not reset the buffer. */
static void
test_appends(void)
{
	struct buf b;
	jv v = jv_parse("{\"a\":[1,\"x\"]}");

	buf_init(&b);
	buf_addstr(&b, "k=");
	json_put(&b, v, 0);
	CHECK_STR(b.data, "k={\"a\":[1,\"x\"]}");
	CHECK_EQ((long)b.len, 15);
	buf_release(&b);
	jv_free(v);
}

int
main(void)
{
	test_fixed();
	test_numbers();
	test_random();
	test_appends();
	return unit_result("test_json");
}
