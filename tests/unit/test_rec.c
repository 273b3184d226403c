/* test_rec.c: the record reader and writer, and the ordered pool. */

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "unit.h"

static FILE *
mem(const char *s, size_t n)
{
	FILE *fp = tmpfile();

	fwrite(s, 1, n, fp);
	rewind(fp);
	return fp;
}

/* Read a stream and describe each result as "ok", "bad:line N" or "eof". */
static void
read_all(const char *s, size_t n, char *out, size_t outsz)
{
	struct rec_reader rd;
	FILE *fp = mem(s, n);
	jv v;
	int r;

	out[0] = '\0';
	rec_reader_init(&rd, fp);
	while ((r = rec_next(&rd, &v)) != 0) {
		char item[64];

		if (r == 1)
			snprintf(item, sizeof(item), "ok ");
		else {
			snprintf(item, sizeof(item), "bad:%zu ", rd.lineno);
			CHECK(rec_failed(v));
		}
		strncat(out, item, outsz - strlen(out) - 1);
		jv_free(v);
	}
	rec_reader_release(&rd);
	fclose(fp);
}

/* A string literal with its NULs, without the final one. */
#define READ(lit) read_all(lit, sizeof(lit) - 1, out, sizeof(out))

static void
test_reader(void)
{
	char out[256], *big;
	size_t n;
	struct rec_reader rd;
	FILE *fp;
	jv v;

	read_all("{\"a\":1}\n{\"b\":2}\n", 16, out, sizeof(out));
	CHECK(strcmp(out, "ok ok ") == 0);
	/* no final newline */
	read_all("{\"a\":1}\n{\"b\":2}", 15, out, sizeof(out));
	CHECK(strcmp(out, "ok ok ") == 0);
	/* empty stream, blank lines */
	read_all("", 0, out, sizeof(out));
	CHECK(strcmp(out, "") == 0);
	read_all("\n  \n{}\n", 6, out, sizeof(out));
	CHECK(strcmp(out, "ok ") == 0);
	/* malformed JSON, non-object, NUL byte, invalid UTF-8 */
	READ("{\"a\":\n[1]\n{\"a\":\"x\0y\"}\n{\"a\":\"\xc3\x28\"}\n{}\n");
	CHECK(strcmp(out, "bad:1 bad:2 bad:3 bad:4 ok ") == 0);
	/* overlong encodings and surrogates are invalid UTF-8 */
	READ("{\"a\":\"\xc0\xaf\"}\n{\"a\":\"\xed\xa0\x80\"}\n");
	CHECK(strcmp(out, "bad:1 bad:2 ") == 0);
	/* valid multibyte */
	READ("{\"a\":\"\xe2\x82\xac \xf0\x9f\x94\x91\"}\n");
	CHECK(strcmp(out, "ok ") == 0);

	/* a line over the cap is one bad record; the next line is read */
	n = REC_MAX_LINE + 100;
	big = xmalloc(n + 16);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	memcpy(big + n, "\n{\"z\":1}\n", 9);
	read_all(big, n + 9, out, sizeof(out));
	CHECK(strcmp(out, "bad:1 ok ") == 0);
	/* a line just under the cap is fine */
	n = REC_MAX_LINE;
	big[n - 1] = '}';
	memcpy(big + n, "\n", 1);
	read_all(big, n + 1, out, sizeof(out));
	CHECK(strcmp(out, "ok ") == 0);
	free(big);

	/* a parse error never repeats the line, which may hold a value */
	fp = mem("{\"data\":{\"k\":\"hunter2-secret\"\n", 30);
	rec_reader_init(&rd, fp);
	CHECK(rec_next(&rd, &v) == -1);
	CHECK(strstr(rd.err, "hunter2") == NULL);
	{
		jv s = jv_dump_string(jv_copy(v), 0);

		CHECK(strstr(jv_string_value(s), "hunter2") == NULL);
		CHECK(strstr(jv_string_value(s), "line 1") != NULL);
		jv_free(s);
	}
	jv_free(v);
	rec_reader_release(&rd);
	fclose(fp);
}

static void
test_writer(void)
{
	FILE *fp = tmpfile();
	char line[256];
	jv r;

	r = jv_parse("{\"b\":[1,2],\"a\":\"x\\ny\",\"u\":\"\xc3\xa9\"}");
	CHECK(rec_write(fp, r) == 0);
	r = rec_error(jv_parse("{\"mount\":\"m\",\"path\":\"p\"}"), 403,
	    "permission denied");
	CHECK(rec_failed(r));
	{
		char *l = rec_label(r, 7);

		CHECK(strcmp(l, "m/p") == 0);
		free(l);
	}
	CHECK(rec_write(fp, r) == 0);
	rewind(fp);
	CHECK(fgets(line, sizeof(line), fp) != NULL);
	CHECK(strcmp(line, "{\"b\":[1,2],\"a\":\"x\\ny\",\"u\":\"\xc3\xa9\"}\n")
	    == 0);
	CHECK(fgets(line, sizeof(line), fp) != NULL);
	CHECK(strstr(line, "\"error\":{\"tool\":\"test_rec\",\"status\":403,"
	    "\"message\":\"permission denied\"}") != NULL);
	fclose(fp);
	{
		jv o = jv_object();
		char *l = rec_label(o, 7);

		CHECK(strcmp(l, "line 7") == 0);
		free(l);
		jv_free(o);
	}
}

static void
test_parse_json(void)
{
	static const char *const bad[] = {
		"{\"mount\":\"secret\" \"path\":\"x\"}", "[\"x\" \"y\"]",
		"{} \"z\"", "{\"a\":1 \"b\":2}", "{\"a\":true\"b\"}",
	};
	static const char *const good[] = {
		"{\"a\":\"x\",\"b\":[\"y\",\"z\"],\"c\":{\"d\":\"e\"}}",
		"{\"q\":\"a \\\" quote, and \\\\ \\\"\"}", "[]", "\"s\"",
	};
	size_t i;
	jv v, m;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = rec_parse_json(bad[i], strlen(bad[i]));
		CHECK(!jv_is_valid(v));
		m = jv_invalid_get_msg(v);
		CHECK(strcmp(jv_string_value(m),
		    "expected a separator between values") == 0);
		jv_free(m);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = rec_parse_json(good[i], strlen(good[i]));
		CHECK(jv_is_valid(v));
		jv_free(v);
	}
	/* libjq's own message, without the text it was parsing */
	v = rec_parse_json("{\"k\":\"hunter2\",}", 17);
	m = jv_invalid_get_msg(v);
	CHECK(strstr(jv_string_value(m), "hunter2") == NULL);
	jv_free(m);
}

/*
 * Numbers libjq (a 64-bit float) carries exactly pass; the others make
 * the text invalid, naming the key path and never the number.
 */
static jv
parse_lit(const char *s)
{
	return rec_parse_json(s, strlen(s));
}

static void
test_numbers(void)
{
	static const char *const exact[] = {
		"9007199254740992", "-9007199254740992", "1e308", "-0.0", "-0",
		"0", "0.0", "5e-324", "1.50000000000000000000", "1.0", "1e2",
		"0.1", "1.5", "1E+2", "12345678901234567000", "1e23",
		"0.30000000000000004", "123456789012345680",
		"1.7976931348623157e308", "2.2250738585072014e-308",
		"0.000000000000000000000000000000000000000000000000000001",
		"100000000000000000000000000000000000000000000000000000000",
		"+1", ".5", "01", "1.", "4294967296", "-1e-7",
	};
	static const char *const inexact[] = {
		"9007199254740993", "-9007199254740993", "12345678901234567890",
		"18446744073709551615", "1e309", "-1e309", "1e400", "1e-400",
		"0.1000000000000000000001", "123456789012345678",
		"4.9406564584124654e-324", "2.4703282292062328e-324",
		"1.00000000000000000000000000001", "1e99999999999999999999",
		"nan", "NaN", "infinity", "-Infinity",
	};
	char text[256];
	size_t i;
	jv v, m;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		snprintf(text, sizeof(text), "{\"n\":%s}", exact[i]);
		v = rec_parse_json(text, strlen(text));
		if (!jv_is_valid(v))
			fprintf(stderr, "refused: %s\n", exact[i]);
		CHECK(jv_is_valid(v));
		jv_free(v);
	}
	for (i = 0; i < sizeof(inexact) / sizeof(inexact[0]); i++) {
		snprintf(text, sizeof(text), "{\"data\":{\"id\":%s}}",
		    inexact[i]);
		v = rec_parse_json(text, strlen(text));
		if (jv_is_valid(v))
			fprintf(stderr, "taken: %s\n", inexact[i]);
		CHECK(!jv_is_valid(v));
		m = jv_invalid_get_msg(v);
		CHECK(jv_get_kind(m) == JV_KIND_STRING && strcmp(
		    jv_string_value(m), "data.id: the number " REC_INEXACT) ==
		    0);
		jv_free(m);
	}
	/* The path: arrays, keys that need quoting, the top level. */
	v = parse_lit("{\"a b\":[1,{\"x\":[2,1e999]}]}");
	m = jv_invalid_get_msg(v);
	CHECK(strcmp(jv_string_value(m), "[\"a b\"][1].x[1]: the number "
	    REC_INEXACT) == 0);
	jv_free(m);
	v = parse_lit("9007199254740993");
	m = jv_invalid_get_msg(v);
	CHECK(strcmp(jv_string_value(m), "the value: the number "
	    REC_INEXACT) == 0);
	jv_free(m);
	/* Numbers inside strings are text: "1e999" is a fine value. */
	v = parse_lit("{\"k\":\"1e999\",\"1e999\":1}");
	CHECK(jv_is_valid(v));
	jv_free(v);
}

static void
test_field_problem(void)
{
	jv r = jv_parse("{\"mount\":7,\"path\":\"p\",\"custom_metadata\":null,"
	    "\"data\":{}}");
	char *m;

	m = rec_field_problem(r, "mount", JV_KIND_STRING, 1);
	CHECK(m != NULL && strcmp(m, "mount is a number, not a string") == 0);
	free(m);
	CHECK(rec_field_problem(r, "path", JV_KIND_STRING, 1) == NULL);
	/* Vault answers custom_metadata null: as good as absent. */
	CHECK(rec_field_problem(r, "custom_metadata", JV_KIND_OBJECT, 0) ==
	    NULL);
	m = rec_field_problem(r, "custom_metadata", JV_KIND_OBJECT, 1);
	CHECK(m != NULL && strcmp(m, "custom_metadata is null, not an object") == 0);
	free(m);
	CHECK(rec_field_problem(r, "version", JV_KIND_NUMBER, 0) == NULL);
	m = rec_field_problem(r, "version", JV_KIND_NUMBER, 1);
	CHECK(m != NULL && strcmp(m, "version is missing") == 0);
	free(m);
	m = rec_field_problem(r, "data", JV_KIND_STRING, 1);
	CHECK(m != NULL && strcmp(m, "data is an object, not a string") == 0);
	free(m);
	jv_free(r);
}

static int started;		/* records slow_double was given */
static int badtags;		/* ... with another record's tag */

/* The tag test_pool gives record i: not a number the record holds. */
#define TAG(i)	(1000L + (i))

/* Workers finish out of order (later records sleep less). */
static jv
slow_double(jv rec, long tag, void *arg)
{
	int i = (int)jv_number_value(jv_object_get(jv_copy(rec),
	    jv_string("i")));

	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_RELAXED);
	if (tag != TAG(i))
		__atomic_add_fetch(&badtags, 1, __ATOMIC_RELAXED);
	usleep((unsigned)((97 * i) % 13) * 300);
	if (i % 10 == 3) {
		jv_free(rec);
		return jv_invalid();	/* emits nothing */
	}
	if (i % 10 == 5)	/* emits two */
		return JV_ARRAY(jv_copy(rec), rec);
	return rec;
}

struct collect {
	int	 seen[2000];
	int	 n;
	int	 stop_at;
	int	 lost[2000];
	int	 nlost;
};

/*
 * The record's i (rec consumed).  Each record of a result must come with
 * the tag of what was put in.
 */
static int
tagged_i(jv rec, long tag)
{
	int i = (int)jv_number_value(jv_object_get(rec, jv_string("i")));

	CHECK(tag == TAG(i));
	return i;
}

static int
collect_lost(jv rec, long tag, void *arg)
{
	struct collect *c = arg;

	c->lost[c->nlost++] = tagged_i(rec, tag);
	return 0;
}

static int
collect(jv rec, long tag, void *arg)
{
	struct collect *c = arg;

	c->seen[c->n++] = tagged_i(rec, tag);
	return c->stop_at && c->n >= c->stop_at ? -1 : 0;
}

static void
test_pool(int workers)
{
	struct collect c;
	struct pool *pl;
	int i, k, want;

	memset(&c, 0, sizeof(c));
	pl = pool_new(workers, slow_double, collect, &c);
	for (i = 0; i < 500; i++)
		CHECK(pool_submit(pl, jv_object_set(jv_object(),
		    jv_string("i"), jv_number(i)), TAG(i)) == 0);
	CHECK(pool_finish(pl) == 0);
	pool_free(pl);
	for (i = 0, k = 0; i < 500; i++) {
		want = i % 10 == 3 ? 0 : i % 10 == 5 ? 2 : 1;
		while (want-- > 0) {
			CHECK(k < c.n && c.seen[k] == i);
			k++;
		}
	}
	CHECK(k == c.n);

	/* emit asks to stop: submit reports it, nothing more is emitted */
	memset(&c, 0, sizeof(c));
	c.stop_at = 10;
	pl = pool_new(workers, slow_double, collect, &c);
	for (i = 0; i < 200; i++)
		if (pool_submit(pl, jv_object_set(jv_object(),
		    jv_string("i"), jv_number(i)), TAG(i)) == -1)
			break;
	CHECK(i < 200);
	CHECK(pool_finish(pl) == -1);
	pool_free(pl);
	CHECK(c.n == 10);

	/*
	 * After the stop, nothing new starts; what had started goes to
	 * lost, in order.
	 */
	memset(&c, 0, sizeof(c));
	c.stop_at = 10;
	started = 0;
	pl = pool_new(workers, slow_double, collect, &c);
	pool_on_lost(pl, collect_lost);
	for (i = 0; i < 200; i++)
		if (pool_submit(pl, jv_object_set(jv_object(),
		    jv_string("i"), jv_number(i)), TAG(i)) == -1)
			break;
	CHECK(pool_finish(pl) == -1);
	pool_free(pl);
	CHECK(c.n == 10);
	/* The records emitted, at most a window more, and no others. */
	CHECK(started <= c.seen[9] + 1 + 2 * workers);
	for (k = 1; k < c.nlost; k++)
		CHECK(c.lost[k] > c.lost[k - 1] ||
		    (c.lost[k] == c.lost[k - 1] && c.lost[k] % 10 == 5));
	CHECK(c.nlost == 0 || c.lost[0] >= c.seen[9]);
}

/* The voluntary context switches of every thread of this process. */
static long
ctx_switches(void)
{
	char path[300], line[128];
	DIR *d;
	FILE *fp;
	struct dirent *e;
	long n = 0, v;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
		    e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "voluntary_ctxt_switches: %ld",
			    &v) == 1)
				n += v;
		fclose(fp);
	}
	closedir(d);
	return n;
}

/*
 * Records that come one at a time (kv-check behind a paced kv-put) wake
 * one idle worker each, not all of them: with a broadcast, each of 50
 * records cost 16 switches or more.
 */
static void
test_pool_wakeups(void)
{
	struct collect c;
	struct pool *pl;
	long before, after;
	int i;

	memset(&c, 0, sizeof(c));
	pl = pool_new(16, slow_double, collect, &c);
	/* Every worker started and asleep. */
	CHECK(pool_submit(pl, jv_object_set(jv_object(), jv_string("i"),
	    jv_number(0)), TAG(0)) == 0);
	CHECK(pool_finish(pl) == 0);
	usleep(100000);
	before = ctx_switches();
	for (i = 1; i <= 50; i++) {
		CHECK(pool_submit(pl, jv_object_set(jv_object(),
		    jv_string("i"), jv_number(i)), TAG(i)) == 0);
		CHECK(pool_finish(pl) == 0);
	}
	after = ctx_switches();
	pool_free(pl);
	if (before >= 0 && after - before >= 8 * 50) {
		fprintf(stderr, "pool: %ld context switches for 50 records "
		    "one at a time\n", after - before);
		failures++;
	}
}

/* A lane at its limit holds its own records only; every one comes out. */
static void
test_pool_lanes(void)
{
	struct collect c;
	struct pool *pl;
	int i;

	memset(&c, 0, sizeof(c));
	pl = pool_new(1, slow_double, collect, &c);
	pool_set_lanes(pl, 1);
	pool_grow(pl, 64);
	for (i = 0; i < 300; i++)
		CHECK(pool_submit_lane(pl, jv_object_set(jv_object(),
		    jv_string("i"), jv_number(i)), TAG(i), i % 7 == 0 ? 0 :
		    1 + i % 3) == 0);
	CHECK(pool_finish(pl) == 0);
	pool_free(pl);
	for (i = 0; i < c.n - 1; i++)
		CHECK(c.seen[i] <= c.seen[i + 1]);
	/* 300 records: 30 emit none, 30 emit two. */
	CHECK_EQ(c.n, 300);
}

static void
test_invalid_msg(void)
{
	char *m;

	m = rec_invalid_msg(jv_invalid_with_msg(jv_string("timed out")),
	    "no answer");
	CHECK_STR(m, "timed out");
	free(m);
	m = rec_invalid_msg(jv_invalid(), "no answer");
	CHECK_STR(m, "no answer");
	free(m);
	m = rec_invalid_msg(jv_invalid_with_msg(jv_number(3)), "no answer");
	CHECK_STR(m, "no answer");
	free(m);
	m = rec_invalid_msg(jv_object(), "no answer");
	CHECK_STR(m, "no answer");
	free(m);
	m = rec_invalid_msg(rec_parse_json("{\"a\":", 5), "parse error");
	CHECK(strstr(m, "while parsing") == NULL && *m != '\0');
	free(m);
}

/* The field readers: rec_error_str, rec_int, rec_strip_data. */
static void
test_fields(void)
{
	static const char rec[] = "{\"error\":{\"tool\":\"kv-put\","
	    "\"message\":\"m\",\"status\":403},\"kv\":2,\"f\":1.5,\"s\":\"3\"}";
	static const char withdata[] = "{\"a\":1,\"data\":{\"k\":\"v\"}}";
	jv r;

	r = rec_parse_json(rec, strlen(rec));
	CHECK(jv_is_valid(r));
	/* Numbers the strict reader refuses, as a record may still hold. */
	r = jv_object_set(r, jv_string("version"), jv_number(1e300));
	r = jv_object_set(r, jv_string("big"), jv_number(9007199254740994.0));
	CHECK_STR(rec_error_str(r, "message"), "m");
	CHECK_STR(rec_error_str(r, "tool"), "kv-put");
	CHECK(rec_error_str(r, "status") == NULL);	/* not a string */
	CHECK(rec_error_str(r, "code") == NULL);
	CHECK_EQ(rec_int(r, "kv", 1, 2, 0), 2);
	CHECK_EQ(rec_int(r, "kv", 3, 9, -1), -1);	/* outside */
	CHECK_EQ(rec_int(r, "version", 1, REC_INT_MAX, -1), -1);
	CHECK_EQ(rec_int(r, "big", 1, REC_INT_MAX, -1), -1);
	CHECK_EQ(rec_int(r, "f", 0, 9, -1), -1);	/* a fraction */
	CHECK_EQ(rec_int(r, "s", 0, 9, -1), -1);	/* a string */
	CHECK_EQ(rec_int(r, "none", 0, 9, 7), 7);
	jv_free(r);
	/* Not an object: nothing to read, and no abort. */
	r = jv_array();
	CHECK(rec_error_str(r, "message") == NULL);
	CHECK_EQ(rec_int(r, "kv", 1, 2, 0), 0);
	r = rec_strip_data(r);
	CHECK(jv_get_kind(r) == JV_KIND_ARRAY);
	jv_free(r);
	r = jv_string("x");
	CHECK(rec_error_str(r, "message") == NULL);
	jv_free(r);
	/* The values go; everything else stays. */
	r = rec_parse_json(withdata, strlen(withdata));
	r = rec_strip_data(r);
	CHECK(!jv_object_has(jv_copy(r), jv_string("data")));
	CHECK(jv_object_has(jv_copy(r), jv_string("a")));
	r = rec_strip_data(r);			/* none: unchanged */
	CHECK_EQ(jv_object_length(jv_copy(r)), 1);
	jv_free(r);
}

int
main(void)
{
	msg_init("test_rec");
	test_reader();
	test_writer();
	test_field_problem();
	test_parse_json();
	test_numbers();
	test_pool(1);
	test_pool(4);
	test_pool(16);
	test_pool_wakeups();
	test_pool_lanes();
	CHECK(badtags == 0);
	test_invalid_msg();
	test_fields();
	return unit_result("test_rec");
}
