/*
 * fuzz_rec: the record reader.  The input is a stream of lines given to
 * rec_next through fmemopen; every record it returns, good or bad, is
 * labelled, its fields checked with rec_field_problem, and written back
 * with rec_write, to /dev/null and to memory, where the line must be one
 * line of JSON that reads back the same.
 *
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE *devnull;

/* The written line must be one line that reads back to the same dump. */
static void
roundtrip(jv rec /* consumed */)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *fp;
	jv back, d1, d2;

	if ((fp = open_memstream(&mem, &len)) == NULL)
		abort();
	d1 = jv_dump_string(jv_copy(rec), 0);
	if (rec_write(fp, rec) == -1)
		abort();
	fclose(fp);
	if (len == 0 || mem[len - 1] != '\n' ||
	    memchr(mem, '\n', len - 1) != NULL)
		abort();		/* not exactly one line */
	back = jv_parse_sized(mem, (int)len - 1);
	if (!jv_is_valid(back) || jv_get_kind(back) != JV_KIND_OBJECT)
		abort();		/* rec_write wrote bad JSON */
	d2 = jv_dump_string(back, 0);
	if (strcmp(jv_string_value(d1), jv_string_value(d2)) != 0)
		abort();		/* did not read back the same */
	jv_free(d1);
	jv_free(d2);
	free(mem);
}

/* rec_field_problem: NULL, or one line of text naming the field. */
static void
field(jv rec, const char *name, jv_kind want, int required)
{
	char *m = rec_field_problem(rec, name, want, required);
	const unsigned char *p;

	if (m == NULL)
		return;
	if (strncmp(m, name, strlen(name)) != 0)
		abort();
	for (p = (const unsigned char *)m; *p != '\0'; p++)
		if (*p < 0x20)
			abort();
	free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader rd;
	size_t prev = 0;
	char *label;
	FILE *fp;
	jv rec, line;
	int rc;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if (size == 0)
		return 0;
	if ((fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	rec_reader_init(&rd, fp);
	for (;;) {
		rc = rec_next(&rd, &rec);
		if (rc == 0)
			break;
		if (rc == -2)
			break;
		if (rd.lineno <= prev)
			abort();	/* line numbers go forward */
		prev = rd.lineno;
		if (jv_get_kind(rec) != JV_KIND_OBJECT)
			abort();
		if (rc == -1) {
			/* A bad line: an error record naming its line. */
			if (!rec_failed(rec) || rd.err[0] == '\0')
				abort();
			line = jv_object_get(jv_copy(rec), jv_string("line"));
			if (jv_get_kind(line) != JV_KIND_NUMBER ||
			    (size_t)jv_number_value(line) != rd.lineno)
				abort();
			jv_free(line);
		}
		label = rec_label(rec, rd.lineno);
		if (label == NULL || *label == '\0')
			abort();
		free(label);
		(void)rec_str(rec, "mount");
		(void)rec_str(rec, "name");
		field(rec, "mount", JV_KIND_STRING, 1);
		field(rec, "version", JV_KIND_NUMBER, 0);
		field(rec, "custom_metadata", JV_KIND_OBJECT, 0);
		field(rec, "deleted", JV_KIND_TRUE, 0);
		roundtrip(jv_copy(rec));
		if (rec_write(devnull, rec) == -1)
			abort();
	}
	rec_reader_release(&rd);
	fclose(fp);
	return 0;
}
