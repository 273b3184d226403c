/* rec.h: newline-delimited JSON records in and out, and their fields. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_REC_H
#define VAULT2KV_REC_H

/*
 * rec.c: newline-delimited JSON records in and out.
 */
#define REC_MAX_LINE	(1024 * 1024)

struct rec_reader {
	FILE	*fp;
	size_t	 lineno;	/* line number of the record last returned */
	char	*line;
	size_t	 cap;
	char	 err[256];	/* why the last line was bad */
	int	 eof;
};
void	 rec_reader_init(struct rec_reader *, FILE *);
void	 rec_reader_release(struct rec_reader *);
/*
 * Read the next record.  Returns 1 with *out an object; 0 at the end;
 * -1 for a bad line (too long, NUL byte, invalid UTF-8, malformed JSON,
 * not an object, a number libjq would change): *out is then an error
 * record {"line":N,"error":{...}} made by this tool (with the line's
 * mount, path, namespace, key and name when it could be parsed) and
 * rd->err says why; -2 on a read error (errno).  Blank lines are skipped.
 */
int	 rec_next(struct rec_reader *, jv *out);
/*
 * rec_next as the tools read standard input: 0 at the end or once
 * msg_stop is set; a read error is fatal ("standard input: ..."); a bad
 * line is warned of ("line N: why") and returned as rec_next does (-1).
 */
int	 rec_next_input(struct rec_reader *, jv *out);
/*
 * Parse JSON text (a record line, a response body): the value, or an
 * invalid jv whose message never quotes the text.  A number that libjq
 * (a 64-bit float) would change, 2^53 + 1 or 1e400, makes the text
 * invalid too: "data.id: the number " REC_INEXACT, naming its key path,
 * never the number.
 */
#define REC_INEXACT	"cannot be carried exactly by a 64-bit float; " \
			"store it as a string"
jv	 rec_parse_json(const char *, size_t);
/*
 * Is the text of n bytes at s nothing but JSON's white space (space,
 * tab, line feed, carriage return: RFC 8259, section 2), so no value?
 */
int	 rec_blank(const char *s, size_t n);
/*
 * One compact line and a flush; the text and the record are wiped (it
 * may hold secret values).  -1 on a write error (errno).
 */
int	 rec_write(FILE *, jv rec /* consumed */);
/*
 * The one way a tool writes a record: rec_write to stdout.  On a write
 * error, -1 and the error noted once (msg_output_error: msg_finish
 * reports it and exits 2); every later call then writes nothing and
 * returns -1.  The caller stops taking input, lets what is in flight
 * finish, and ends by msg_finish.
 */
int	 rec_emit(jv rec /* consumed */);
/*
 * The message an invalid jv carries (a failed call, a parse error), or
 * fallback when it has none or v is valid; malloc'd.
 */
char	*rec_invalid_msg(jv v /* consumed */, const char *fallback);
/* Does the record carry an "error" field? */
int	 rec_failed(jv rec /* borrowed */);
/*
 * The record's fate as a summary counts it: REC_OK; REC_FAILED_HERE,
 * its error is this tool's (error.tool, a bad input line's included);
 * REC_FAILED_UPSTREAM, an earlier stage's, passed on unchanged.
 */
#define REC_OK			0
#define REC_FAILED_HERE		1
#define REC_FAILED_UPSTREAM	2
int	 rec_fate(jv rec /* borrowed */);
/*
 * Mark the record failed: sets "error" to {"tool","status","message"}
 * (status is the HTTP status, or 0 for null).
 */
jv	 rec_error(jv rec /* consumed */, long status, const char *fmt, ...)
	    V2K_PRINTF(3, 4);
/*
 * A label for messages: "mount/path", else "name", else "line N".
 * lineno 0 means the line of the record at hand: in a pool worker the
 * line the record was read from, else the line rec_next read last.
 * Returned string is malloc'd.
 */
char	*rec_label(jv rec /* borrowed */, size_t lineno);
/* The line of the record at hand (see rec_label), 0 if none. */
size_t	 rec_lineno(void);
void	 rec_set_lineno(size_t);	/* for pool workers */
/* String field or NULL (borrowed from rec). */
const char *rec_str(jv rec /* borrowed */, const char *field);
/* String field of rec's error ("message", "tool") or NULL (borrowed). */
const char *rec_error_str(jv rec /* borrowed */, const char *field);
/*
 * rec without its data, whose values are wiped unless held elsewhere:
 * how a record that must not carry values on (a mapping, a check, a
 * grant) leaves a tool.
 */
jv	 rec_strip_data(jv rec /* consumed */);
/*
 * Is field of the wanted kind?  NULL if so (or if it is absent or null
 * and not required), else a malloc'd "mount is a number, not a string" or
 * "path is missing" for the record's error.
 */
char	*rec_field_problem(jv rec /* borrowed */, const char *field,
	    jv_kind want, int required);

/*
 * A JSON number as an integer in [min, max] (both within 2^53): 0 and
 * *out, or -1 when it is not a number, not finite, has a fraction or
 * lies outside; a cast of such a double would be undefined behaviour.
 */
int	 rec_number_int(jv v /* borrowed */, long long min, long long max,
	    long long *out);
/* rec's field as rec_number_int reads it, or dflt when it is not one. */
long long rec_int(jv rec /* borrowed */, const char *field, long long min,
	    long long max, long long dflt);
/*
 * Does an element of the array a (borrowed; anything else has none)
 * satisfy pred, which is given each in turn (borrowed) and arg?  The
 * first that does ends the search.
 */
int	 rec_array_any(jv a, int (*pred)(jv item, const void *arg),
	    const void *arg);
/* Is a (borrowed) an array of objects only (the items of a service's list)? */
int	 rec_array_of_objects(jv a);
/*
 * NULL if field is absent, not a number (rec_field_problem's part), or
 * an integer in [min, max]; else a malloc'd "kv is 1.5, not 1 or 2",
 * what saying what was wanted.
 */
char	*rec_int_problem(jv rec /* borrowed */, const char *field,
	    long long min, long long max, const char *what);
#define REC_INT_MAX	9007199254740992LL	/* 2^53: exact in a double */

#endif
