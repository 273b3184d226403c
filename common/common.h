/* common.h: the one header of libcommon, shared by every vault2kv tool. */

#ifndef VAULT2KV_COMMON_H
#define VAULT2KV_COMMON_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jv.h>

#define V2K_VERSION	"0.1.0"

/* Exit status of every tool (DESIGN.md). */
#define EXIT_OK		0	/* every record fine */
#define EXIT_PARTIAL	1	/* some records failed, or kv-check differs */
#define EXIT_FATAL	2	/* usage or fatal error */

#if defined(__GNUC__)
#define V2K_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#define V2K_NORETURN		__attribute__((noreturn))
#else
#define V2K_PRINTF(a, b)
#define V2K_NORETURN
#endif

/*
 * x.c: allocation and conversions that die (exit 2) instead of failing.
 */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* A copy of s without the '/'s at its end, but its first keep bytes. */
char	*xstrdup_noslash(const char *s, size_t keep);
/* A copy of s in lower case (ASCII). */
char	*xstrdup_lower(const char *s);
char	*xasprintf(const char *, ...) V2K_PRINTF(1, 2);
char	*xvasprintf(const char *, va_list) V2K_PRINTF(1, 0);
/* A number from the command line in [min, max], else a usage error. */
long long xstrtonum(const char *s, long long min, long long max,
	    const char *what);

/*
 * wipe.c: secret hygiene.  Memory that held a secret value or a token is
 * wiped before it is freed.
 */
void	 wipe(void *, size_t);
void	 wipe_free(char *);		/* NUL-terminated, may be NULL */
void	 wipe_freen(void *, size_t);	/* n bytes, may be NULL */
/* Wipe every string inside v that nobody else references, then free it. */
void	 jv_wipe_free(jv v /* consumed */);
/* Core dumps off, ptrace attach refused; -1 if either failed. */
int	 harden_process(void);

/*
 * alloc.c: the tools' own free, realloc and reallocarray, which every
 * shared library binds to, wipe each heap block before it returns to
 * the allocator (glibc, not under AddressSanitizer).  1 when they do.
 * The Makefile links alloc.o into every tool by this name.
 */
int	 alloc_wiping(void);

/*
 * buf.c: a growable byte buffer, always NUL-terminated.
 */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	 buf_init(struct buf *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_addc(struct buf *, int);
void	 buf_printf(struct buf *, const char *, ...) V2K_PRINTF(2, 3);
void	 buf_reset(struct buf *);	/* len = 0, wiped */
void	 buf_release(struct buf *);	/* wiped and freed */
char	*buf_detach(struct buf *);	/* caller owns the string */

/*
 * json.c: v (borrowed) appended to b as compact JSON text, the same bytes
 * as libjq's jv_dump_string(v, 0), or with sorted, JV_PRINT_SORTED; only
 * faster.  Strings pass through b alone: wipe b after a secret.
 */
void	 json_put(struct buf *b, jv v, int sorted);

/*
 * cimap.c: a map from names to pointers, for Key Vault's names, which
 * compare without regard to ASCII case.  Keys are copied, lower-cased,
 * into large blocks of the map's own (no allocation per key: a run may
 * name hundreds of thousands of secrets); values belong to the caller
 * and are never NULL.  A CIMAP_EXACT map compares keys byte for byte,
 * and its keys may hold NUL bytes (given to the *n functions).  Not
 * thread-safe: a map shared by threads is used under a lock.
 */
#define CIMAP_EXACT	1
struct cimap;
struct cimap *cimap_new(int flags);
/* Frees the keys and what cimap_alloc gave; not the values. */
void	 cimap_free(struct cimap *);
/* The value of key, or NULL. */
void	*cimap_get(struct cimap *, const char *key);
void	*cimap_getn(struct cimap *, const void *key, size_t len);
/* Give key the value val; returns the value it had, or NULL. */
void	*cimap_put(struct cimap *, const char *key, void *val);
void	*cimap_putn(struct cimap *, const void *key, size_t len, void *val);
size_t	 cimap_count(struct cimap *);
/*
 * fn(key as stored, value, arg) for every key, in no order, until fn
 * returns non-zero; returns what fn returned last.
 */
int	 cimap_iterate(struct cimap *,
	    int (*fn)(const char *key, void *val, void *arg), void *arg);
/*
 * n bytes (8-aligned) in the map's blocks, freed with the map: for many
 * small values, without the allocator's overhead on each.
 */
void	*cimap_alloc(struct cimap *, size_t n);


/*
 * nameset.c: a set of names that compare without regard to case, for
 * the names a run has done with: 8 bytes a name in memory, the names
 * themselves in an unlinked temporary file (in memory when none can be
 * written), read back to tell apart names whose hashes collide.  Exact.
 * Not thread-safe.
 */
struct nameset;
struct nameset *nameset_new(void);
void	 nameset_free(struct nameset *);
/* Add key: 1 if it was there already, else 0. */
int	 nameset_add(struct nameset *, const char *key);
int	 nameset_has(struct nameset *, const char *key);
/*
 * Add key with a value, vlen bytes at val, kept in the file with it:
 * 1 if key was there already (its value unchanged), else 0.
 */
int	 nameset_put(struct nameset *, const char *key, const void *val,
	    size_t vlen);
/*
 * Is key there: 1 with its value in val (emptied first; empty for a key
 * added without one), else 0 and val empty.
 */
int	 nameset_get(struct nameset *, const char *key, struct buf *val);
size_t	 nameset_count(struct nameset *);
/*
 * msg.c: messages on stderr, verbosity, progress and the final summary.
 * Every message is one line "tool: subject: problem".  Thread-safe.
 */
extern int msg_verbosity;		/* -1 with -q, 0, 1 with -v, 2 -vv */
extern int msg_jobs;			/* -j: JOBS_DEFAULT, 1 to JOBS_MAX */
extern int msg_dry_run;			/* -n, --dry-run */
extern volatile sig_atomic_t msg_stop;	/* set by SIGINT, SIGTERM */

/*
 * Start of every main: set the program name, harden the process (core
 * dumps off, no ptrace), ignore SIGPIPE (write errors are reported),
 * install SIGINT/SIGTERM handlers that set msg_stop.
 */
void	 msg_init(const char *progname);
const char *msg_progname(void);
/*
 * "tool: subject: message"; subject may be NULL.  Shown when the
 * verbosity is level or more (none after a read-only stage's reader went
 * away: msg_quiet_epipe): msg_warn unless -q, msg_info only with -v,
 * msg_debug only with -vv.
 */
void	 msg_at(int level, const char *subject, const char *fmt, ...)
	    V2K_PRINTF(3, 4);
#define msg_warn(subject, ...)	msg_at(0, subject, __VA_ARGS__)
#define msg_info(subject, ...)	msg_at(1, subject, __VA_ARGS__)
#define msg_debug(subject, ...)	msg_at(2, subject, __VA_ARGS__)
/* Shown even with -q: what the run did that nothing else records. */
void	 msg_error(const char *subject, const char *fmt, ...) V2K_PRINTF(2, 3);
/*
 * Always shown, then exit 2 by msg_exit: safe in any thread, while other
 * threads are inside libcurl.
 */
void	 msg_fatal(const char *fmt, ...) V2K_PRINTF(1, 2) V2K_NORETURN;
/*
 * Flush stderr (and stdout, in the main thread) and _exit(status): no
 * atexit handlers or library destructors run under live threads.
 */
void	 msg_exit(int status) V2K_NORETURN;
/* "tool: message" then the usage line hint; exit 2. */
void	 msg_usage_error(const char *fmt, ...) V2K_PRINTF(1, 2) V2K_NORETURN;
/*
 * Progress: count records as they finish, each with its fate (REC_OK,
 * REC_FAILED_HERE, REC_FAILED_UPSTREAM: rec_fate; any other non-zero
 * is failed here); when stderr is a terminal and not -q, one line is
 * redrawn at most a few times a second:
 * "tool: 120/2000 records, 35.2/s, 1 failed, ETA 0:54".  total < 0 when
 * unknown.
 */
void	 msg_progress_total(long total);
void	 msg_progress_add(int fate);
long	 msg_done(void);
long	 msg_failed(void);		/* here and upstream */
long	 msg_failed_upstream(void);
/*
 * The summary's words for failed records (the tool's count, upstream's
 * included): "3 failed" when none failed upstream, else "1 failed here,
 * 2 failed upstream", the upstream ones counted by msg_progress_add.
 * A static buffer: for the main thread's summary.
 */
const char *msg_failed_text(long failed);
/*
 * The run's end: print "tool: SUMMARY" (unless -q), flush and close
 * stdout (a write error is fatal), and return the exit status to use:
 * status, or EXIT_FATAL when stdout failed (see msg_quiet_epipe) or the
 * run was interrupted.
 */
int	 msg_finish(int status, const char *summary_fmt, ...) V2K_PRINTF(2, 3);
/* A write to stdout failed with errnum: msg_finish reports it. */
void	 msg_output_error(int errnum);
/* The errnum of the first failed write to stdout, 0 if none. */
int	 msg_output_errno(void);
/*
 * --version: "tool (vault2kv) VERSION (commit C)" (the commit when built
 * from a git checkout), then the libcurl, OpenSSL and libjq versions on
 * one line; exit 0.
 */
void	 msg_version(void) V2K_NORETURN;
/*
 * The tool's help, set at the start of main: synopsis is its usage
 * ("usage: tool ...\n", as the man page's SYNOPSIS), options its option
 * list, one option a line: "  -x, --long ARG  what it does", the
 * argument in capitals, or as its literal words ("error|suffix", "DAYS|never"):
 * man/vault2kv.bash completes from it.
 */
void	 msg_help_text(const char *synopsis, const char *options);
/* -h, --help: the synopsis, the option list and the man page, on stdout; exit 0. */
void	 msg_help(void) V2K_NORETURN;
/* A usage error: the synopsis on stderr, exit 2. */
void	 msg_usage(void) V2K_NORETURN;
/*
 * The options every tool reads alike (DESIGN.md, "Conventions every
 * tool follows"), for the default: of its getopt switch: -q (quiet), -v
 * (more, once per -v; not after -q), -h (msg_help), version_opt (the
 * tool's code of --version: msg_version), and for a tool whose optstring
 * has them, -j (msg_jobs) and -n (msg_dry_run); anything else is a usage
 * error (msg_usage).
 */
void	 msg_option(int ch, int version_opt);
/*
 * The end of every tool's getopt_long table: the long names of the
 * options msg_option reads (-h, -q, -v and version_opt), then the
 * terminating entry.  The tool includes <getopt.h>.
 */
#define MSG_LONGOPTS(version_opt)					\
	{ "help",	no_argument,		NULL, 'h' },		\
	{ "quiet",	no_argument,		NULL, 'q' },		\
	{ "verbose",	no_argument,		NULL, 'v' },		\
	{ "version",	no_argument,		NULL, (version_opt) },	\
	{ NULL,		0,			NULL, 0 }
/* -j, --jobs, in every tool that takes it: the requests in flight. */
#define JOBS_DEFAULT	8
#define JOBS_MAX	64
/* The "s" of a count other than one. */
#define PLURAL(n)	((n) == 1 ? "" : "s")
/*
 * The options kv-check shares with kv-put, spelt and numbered once so
 * that a run is checked in the words it was written with: -n, -j,
 * --expires, --json, --rate and --vault.  Each of the two numbers its
 * own long options from KV_OPT_NEXT.
 */
enum {
	KV_OPT_EXPIRES = 256,
	KV_OPT_JSON,
	KV_OPT_RATE,
	KV_OPT_VAULT,
	KV_OPT_NEXT
};
#define KV_LONGOPTS							\
	{ "dry-run",	no_argument,		NULL, 'n' },		\
	{ "expires",	required_argument,	NULL, KV_OPT_EXPIRES },	\
	{ "jobs",	required_argument,	NULL, 'j' },		\
	{ "json",	no_argument,		NULL, KV_OPT_JSON },	\
	{ "rate",	required_argument,	NULL, KV_OPT_RATE },	\
	{ "vault",	required_argument,	NULL, KV_OPT_VAULT }
/* After getopt_long: an operand is a usage error (the tool takes none). */
void	 msg_no_operands(int argc);
/*
 * A read-only stage (it writes nothing but its output): when its reader
 * goes away (EPIPE on stdout, as with "| head"), it ends quietly: no
 * message from then on, no "cannot write output", no summary, and the
 * exit status of the records it wrote (0 or 1), not 2.
 */
void	 msg_quiet_epipe(void);
/*
 * A server's string made fit for a one-line message: at most len bytes
 * of s (to its NUL; SIZE_MAX for all), without the white space and
 * control characters at its ends, each run of control characters within
 * one space, cut after max bytes with "..." added.  s may be NULL (then
 * "").  malloc'd.
 */
char	*msg_clean(const char *s, size_t len, size_t max);
/* Does s hold a C0 control character or DEL (what could end a line)? */
int	 msg_has_ctl(const char *s);
/*
 * s appended to b made visible, as every message shows the text it
 * quotes: tab, newline, carriage return and ESC as \t, \n, \r and \e,
 * the other C0 controls and DEL as \xNN, the C1 controls (a terminal may
 * take U+009B as CSI) and the characters that change the direction of
 * text (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) as \u0080 or
 * \u202e, and a byte that is not UTF-8 as \xNN.  flags: MSG_ESC_HEX
 * shows ESC as \x1b, as kv-check's report does.
 */
#define MSG_ESC_HEX	0x1
void	 msg_escape(struct buf *, const char *s, int flags);

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
/*
 * Does an element of the array a (borrowed; anything else has none)
 * satisfy pred, which is given each in turn (borrowed) and arg?  The
 * first that does ends the search.
 */
int	 rec_array_any(jv a, int (*pred)(jv item, const void *arg),
	    const void *arg);
/*
 * NULL if field is absent, not a number (rec_field_problem's part), or
 * an integer in [min, max]; else a malloc'd "kv is 1.5, not 1 or 2",
 * what saying what was wanted.
 */
char	*rec_int_problem(jv rec /* borrowed */, const char *field,
	    long long min, long long max, const char *what);
#define REC_INT_MAX	9007199254740992LL	/* 2^53: exact in a double */

/*
 * pool.c: ordered concurrency.  Up to N records are handled at once by
 * worker threads; results are emitted in input order by the thread that
 * calls pool_submit and pool_finish.
 *
 * fn runs in a worker thread: it consumes the record and returns what to
 * emit: an object (one record), an array of records (zero or more), or
 * jv_invalid() (nothing).  emit runs in the submitting thread, in order,
 * consuming each record; it returns -1 to stop the run (e.g. EPIPE).
 * Each record carries a tag, the caller's number for what the record
 * does not say (kv-put: its turn among its name's records), handed to
 * fn and to emit (and lost) with each record of the result, so that no
 * side data rides inside a record.
 */
typedef jv	(*pool_fn)(jv rec, long tag, void *arg);
typedef int	(*pool_emit)(jv rec, long tag, void *arg);
struct pool;
struct pool *pool_new(int workers, pool_fn fn, pool_emit emit, void *arg);
/*
 * Once emit has asked to stop, records not yet started are not started
 * (they are wiped), and the results of those that were are handed, in
 * order, to lost (its return value unused) instead of being wiped: to
 * name what was done but could not be reported.
 */
void	 pool_on_lost(struct pool *, pool_emit lost);
/* Blocks while the window is full; -1 once emit has asked to stop. */
int	 pool_submit(struct pool *, jv rec /* consumed */, long tag);
/*
 * Lanes, before the first submit: the records of one lane (kv-put: of
 * one vault) are worked on by at most per_lane workers at once, and each
 * lane brings per_lane workers of its own, started when it is first
 * used, so that a slow lane (a vault at its budget) holds up no other.
 */
void	 pool_set_lanes(struct pool *, int per_lane);
/*
 * Read up to window records ahead (2 a worker at first; results still
 * go out in input order): a lane's records past the others' are reached
 * only within it.  It never shrinks.  Any time, from the submitting
 * thread.
 */
void	 pool_grow(struct pool *, unsigned long window);
int	 pool_submit_lane(struct pool *, jv rec /* consumed */, long tag,
	    int lane);
/* Wait for every submitted record, emit the rest; -1 if emit stopped. */
int	 pool_finish(struct pool *);
void	 pool_free(struct pool *);

/*
 * hash.c: digests and encodings.
 */
/* SHA-256 as 64 lowercase hex characters into out[65]. */
void	 hash_sha256_hex(const void *, size_t, char out[65]);
void	 hash_sha256(const void *, size_t, unsigned char out[32]);
/* RFC 4122 name-based UUID (version 5, SHA-1) as 36 characters + NUL. */
void	 hash_uuid5(const char *namespace_uuid, const void *name, size_t len,
	    char out[37]);
/* A random version-4 UUID. */
void	 hash_uuid4(char out[37]);
/* base64url without padding; malloc'd. */
char	*hash_b64url(const void *, size_t);
/* Percent-encode for URL paths and form bodies; malloc'd. */
char	*hash_urlencode(const char *);

/*
 * timefmt.c: times as text: timestamps, durations and timeouts.
 */
/*
 * RFC 3339 ("2018-03-22T02:24:06.945319214Z", "+01:00" offsets, a space
 * for the 'T') to seconds since the epoch: 0, or -1 if malformed.
 */
int	 time_parse_rfc3339(const char *, time_t *);
/*
 * A Go duration (time.ParseDuration: "768h", "1h30m", "1.5s", "-2m",
 * "0"), in seconds; with plain, also what go-secure-stdlib's
 * parseutil.ParseDurationSecond takes: an integer of seconds ("30") or
 * of days ("2d").  -1 when malformed or beyond Go's range (an int64 of
 * nanoseconds, about 292 years).
 */
int	 time_parse_duration(const char *, int plain, double *secs);
/*
 * The az CLI's expiresOn, local time without a zone ("2024-06-01
 * 12:00:00.123456"): 0 and *out, or -1 if malformed.
 */
int	 time_parse_local(const char *, time_t *out);
/*
 * A timeout from the environment, as the Vault CLI reads
 * VAULT_CLIENT_TIMEOUT: seconds ("30"), or a Go duration ("1m", "1.5s"),
 * between 1 ms and 30 days.  0 with *ms, else -1 and a malloc'd *err
 * (says why, not which variable).
 */
int	 time_parse_timeout(const char *, long *ms, char **err);

/*
 * http.c: the HTTP engine.  One engine thread drives libcurl's multi
 * interface (connections reused, HTTP/2 where offered); any thread calls
 * http_do, which blocks until the request is answered, retrying 429, 500,
 * 502, 503, 504 and connection failures with exponential backoff and full
 * jitter, honouring Retry-After, retry-after-ms and x-ms-retry-after-ms.
 * An adaptive limit per host halves the requests in flight on 429 (once
 * per round: 429s to attempts sent before the cut do not cut again) and
 * creeps back up on success; an optional token bucket paces a class of
 * requests under a known rate budget.
 * How one attempt's easy handle is set up is httpeasy.c's, and the CA
 * stores its connections verify with, each loaded once a run,
 * httptrust.c's; neither has a part in this header: what the engine's
 * files share is in http_int.h.
 */
struct http_opts {
	int	 max_inflight;		/* per host, upper bound; default 16 */
	long	 connect_timeout_ms;	/* default 10000 */
	long	 timeout_ms;		/* per attempt; default 60000 */
	int	 max_retries;		/* default 8 */
	long	 backoff_base_ms;	/* default 500 */
	long	 backoff_cap_ms;	/* default 32000 */
	/*
	 * Deadlines.  An attempt that gets no answer within timeout_ms is
	 * retried, HTTP_TIMEOUT_TRIES attempts in all.  One http_do, retries
	 * and waits included, ends within budget_ms (0: HTTP_BUDGET_TRIES *
	 * timeout_ms, room for those attempts and the waits between them);
	 * the requests of
	 * one record (from http_record_start in that thread) end within
	 * record_budget_ms (0: HTTP_RECORD_TRIES * timeout_ms).  Past
	 * either, the request fails with req->timed_out set.
	 */
	long	 budget_ms;
	long	 record_budget_ms;
};
#define HTTP_TIMEOUT_TRIES	3
#define HTTP_BUDGET_TRIES	4
#define HTTP_RECORD_TRIES	5
struct http;
struct http_bucket;

struct http_req {
	/* in */
	const char	*method;	/* "GET", "PUT", "LIST", ... */
	const char	*url;
	const char *const *headers;	/* NULL-terminated "Name: value" */
	const void	*body;		/* may hold a secret: not logged */
	size_t		 bodylen;
	/*
	 * TLS trust: either replaces the defaults.  When both are NULL:
	 * CURL_CA_BUNDLE, else SSL_CERT_FILE, and SSL_CERT_DIR, else the
	 * system's (/etc/ssl/certs).
	 */
	const char	*cafile;
	const char	*capath;
	const void	*cablob;	/* PEM text; wins over both */
	size_t		 cabloblen;
	int		 insecure;	/* only VAULT_SKIP_VERIFY sets it */
	const char	*sslcert;	/* client certificate (PEM file) */
	const char	*sslkey;	/* and its key: both or neither */
	/*
	 * The name to send (SNI) and verify instead of the URL's host; the
	 * connection still goes to the URL's host and port, with its Host.
	 */
	const char	*tls_server_name;
	struct http_bucket *bucket;	/* pacing, or NULL */
	int		 no_retry;	/* one attempt only */
	int		 max_retries;	/* > 0: instead of the opts'; 0: theirs */
	/*
	 * The proxy: none with no_proxy (managed identity endpoints), else
	 * proxy when set (VAULT_PROXY_ADDR), else the environment's choice
	 * (proxy.c).  libcurl's own reading of the environment is never used.
	 */
	const char	*proxy;
	int		 no_proxy;
	long		 budget_ms;	/* the whole request; 0: the opts' */
	/* out */
	long		 status;	/* HTTP status; 0 if no response */
	struct buf	 resp;		/* body; wiped on release */
	char		*www_authenticate;	/* header value or NULL */
	char		*location;
	long		 retry_after_ms;	/* from the last response, -1 */
	int		 attempts;
	int		 timed_out;	/* gave up waiting: err says how long,
					   "within 60 s (3 attempts)" */
	char		 err[256];	/* transport error, when status 0 */
};
void	 http_opts_init(struct http_opts *);
struct http *http_new(const struct http_opts *);
void	 http_free(struct http *);
/*
 * Perform req (retries included).  0 when a response arrived (any status:
 * the caller reads req->status), -1 when none did (req->err says why), or
 * when msg_stop was set before a retry.
 */
int	 http_do(struct http *, struct http_req *);
void	 http_req_release(struct http_req *);
/*
 * Send nothing more: what waits to be sent (its time, its host's limit,
 * its bucket) and what would be retried fails with "not sent"; what is
 * on the wire finishes.  For a tool whose output failed: no write may
 * happen that it cannot report.  Any thread.
 */
void	 http_hold(struct http *);
/*
 * A record starts or ends in this thread: its requests share the
 * record's budget (pool workers call these around each record).
 */
void	 http_record_start(void);
void	 http_record_end(void);
/*
 * opts->timeout_ms from the environment variable var when it is set
 * (VAULT_CLIENT_TIMEOUT, KV_CLIENT_TIMEOUT); -1 and a malloc'd *err
 * naming var when it is not a timeout.
 */
int	 http_opts_env(struct http_opts *, const char *var, char **err);
/* Counters for summaries: requests sent, retried, throttled (429). */
void	 http_stats(struct http *, long *sent, long *retried, long *throttled);

/*
 * pace.c: how soon the engine asks again.  Its names are the engine's
 * (http_): a request's bucket is a field of struct http_req.
 */
/* A bucket of rate tokens/second with the given burst; starts full. */
struct http_bucket *http_bucket_new(double rate, double burst);
/*
 * A window pacer of a budget of limit sends per window seconds, which the
 * server may count as a token bucket of that burst and limit/window a
 * second, in fixed windows or in a sliding one.  From idle, limit sends
 * go at once, then 97 % of limit/window a second, as the bucket allows; after a
 * 429 (http_bucket_throttled), at most limit in any window seconds, as
 * every way allows.  A send counts from its start until window seconds
 * after its answer (http_bucket_done).
 */
struct http_bucket *http_window_new(int limit, double window);
void	 http_bucket_free(struct http_bucket *);
/*
 * Milliseconds to wait before a token is free (0: took one now).  now is
 * in seconds; the engine passes CLOCK_MONOTONIC.  Thread-safe.
 */
long	 http_bucket_take(struct http_bucket *, double now);
/*
 * The send that took a token was answered (or failed) at now: a window
 * pacer counts it until now + window.  Nothing for a token bucket.
 */
void	 http_bucket_done(struct http_bucket *, double now);
/* The server answered a send of this pacer 429: a window pacer turns strict. */
void	 http_bucket_throttled(struct http_bucket *);
/*
 * A Retry-After value (seconds, or an HTTP date after now) in
 * milliseconds; -1 when it is neither.
 */
long	 http_retry_after_ms(const char *value, time_t now);
/* A retry-after-ms or x-ms-retry-after-ms value; -1 when not a number. */
long	 http_retry_ms(const char *value);
/*
 * The wait before retry attempt (0, 1, ...): full jitter, r01 in [0, 1]
 * times base * 2^attempt, at most cap.
 */
long	 http_backoff_ms(int attempt, long base, long cap, double r01);

/*
 * proxy.c: the proxy of a request, chosen as Go's ProxyFromEnvironment
 * does: HTTPS_PROXY for https, HTTP_PROXY for http (the upper-case name
 * first, then the lower-case one), NO_PROXY; localhost and loopback
 * addresses never go through a proxy.
 */
struct proxy_env {
	char	*http, *https, *no;
	int	 cgi;			/* REQUEST_METHOD is set */
};
void	 proxy_env_init(struct proxy_env *);	/* reads the environment */
void	 proxy_env_release(struct proxy_env *);
/*
 * 0 and *proxy, a malloc'd proxy URL or NULL for a direct connection;
 * -1 and err (never the proxy's value, which may hold a password).
 */
int	 proxy_for(const struct proxy_env *, const char *url, char **proxy,
	    char *err, size_t errsz);
/* A proxy variable's value as a URL libcurl takes, or NULL if invalid. */
char	*proxy_url(const char *value);
/* 1 when NO_PROXY (or localhost, a loopback address) exempts host:port. */
int	 proxy_bypass(const char *no_proxy, const char *host, const char *port);

/*
 * vaultenv.c: the HashiCorp Vault (and OpenBao) client and its
 * configuration.  Reads VAULT_ADDR (VAULT_AGENT_ADDR wins), VAULT_TOKEN
 * (else VAULT_TOKEN_PATH or ~/.vault-token), VAULT_NAMESPACE,
 * VAULT_CACERT, VAULT_CACERT_BYTES, VAULT_CAPATH, VAULT_CLIENT_CERT,
 * VAULT_CLIENT_KEY, VAULT_TLS_SERVER_NAME, VAULT_SKIP_VERIFY,
 * VAULT_MAX_RETRIES, VAULT_RATE_LIMIT, VAULT_PROXY_ADDR,
 * VAULT_HTTP_PROXY, VAULT_SRV_LOOKUP; each as BAO_* first, as OpenBao's
 * client does.  What the Vault files share is in vault_int.h, which no
 * tool includes.
 */
struct vault;
/*
 * The name to read for a variable of the family ("ADDR",
 * "CLIENT_TIMEOUT", ...): "BAO_ADDR" when that is set, even empty, else
 * "VAULT_ADDR".
 */
const char *vault_envname(const char *what);
/* NULL and a malloc'd *err (naming the variable, never the token). */
struct vault *vault_new(struct http *, char **err);
void	 vault_free(struct vault *);		/* wipes the token */
/* VAULT_ADDR as messages show it: without a user:password@. */
const char *vault_addr(struct vault *);
/*
 * The i-th warning about the set-up (http:// to a host that is not
 * loopback, VAULT_SKIP_VERIFY), NULL past the last: the tool prints them.
 */
const char *vault_warning(struct vault *, int i);
/* VAULT_NAMESPACE without slashes at its ends, or NULL when unset. */
const char *vault_namespace(struct vault *);

/*
 * vault.c: the client's calls over the engine, and what it makes of
 * Vault's answers.  Renews a renewable token before it expires
 * (auth/token/renew-self).
 */
/*
 * One API call: path below /v1/ ("sys/mounts", "secret/metadata/app"),
 * raw: each segment is percent-encoded here, '/' kept.  Returns the
 * parsed body (an object, or null for an empty body) and *status; an
 * invalid jv with a message for a transport error (*status 0) or a body
 * that is not JSON.  body may be jv_invalid() for none.
 */
jv	 vault_call(struct vault *, const char *method, const char *path,
	    jv body /* consumed */, long *status);
/* The same with a query string ("version=3"), already encoded, or NULL. */
jv	 vault_callq(struct vault *, const char *method, const char *path,
	    const char *query, jv body /* consumed */, long *status);
/*
 * The same in namespace ns (full path from the root, "team-a/sub"; ""
 * the root namespace), sent as X-Vault-Namespace in place of
 * VAULT_NAMESPACE; ns NULL is VAULT_NAMESPACE's.  A namespace with a
 * control character is refused (an invalid jv, *status 0).
 */
jv	 vault_callns(struct vault *, const char *ns, const char *method,
	    const char *path, const char *query, jv body /* consumed */,
	    long *status);
/*
 * The first message of a Vault {"errors":[..]} body, cleaned up
 * ("permission denied; invalid token"), "not found" for a bare 404, or
 * a generic one; malloc'd.
 */
char	*vault_errmsg(jv body /* borrowed */, long status);
/*
 * Reach Vault (auth/token/lookup-self, three quick tries): 0 when it
 * answered and did not reject the token, else -1 and a malloc'd *err.
 */
int	 vault_ping(struct vault *, char **err);
/*
 * The KV mount holding path in namespace ns (as vault_callns; NULL for
 * VAULT_NAMESPACE's), as the Vault CLI finds it
 * (sys/internal/ui/mounts/PATH; a 404 means an old server and KV v1 at
 * the first segment).  0 with a malloc'd *mount (no slashes at its ends)
 * and *kv (1 or 2); else -1 with *status (0: Vault not reached) and a
 * malloc'd *err.  A mount that is not KV is an error.
 */
int	 vault_mount_of(struct vault *, const char *ns, const char *path,
	    char **mount, int *kv, long *status, char **err);
/*
 * What Vault says of the mount holding path, whatever its type, for a
 * tool that must not guess: 0 with a malloc'd *type ("kv", "token",
 * "database", ...), *kv (1 or 2 for a KV engine, else 0) and a malloc'd
 * *mount (no slashes at its ends, the namespace part dropped; Vault's
 * path as given when it does not prefix path); else -1 with *status (0:
 * Vault not reached; 404: a server without the endpoint) and *err.
 */
int	 vault_mount_info(struct vault *, const char *ns, const char *path,
	    char **mount, char **type, int *kv, long *status, char **err);
/* Is path the mount or below it: its whole segments (mount not empty)? */
int	 vault_in_mount(const char *path, const char *mount);
/* State of one entry of a KV v2 metadata "versions" map or read. */
#define VAULT_LIVE	0
#define VAULT_DELETED	1	/* deletion_time passed */
#define VAULT_DESTROYED	2
int	 vault_version_state(jv meta /* borrowed */);

/*
 * azcred.c: Azure credentials, tried in DefaultAzureCredential's order
 * (environment, workload identity, managed identity, az: azcli.c), and
 * the tokens they get.  azhttp.c and azcli.c have no part in this
 * header: what the Azure files share is in azure_int.h.
 */
struct azure_cred;
/* The chain from the environment; NULL and *err if nothing is usable. */
struct azure_cred *azure_cred_new(struct http *, char **err);
void	 azure_cred_free(struct azure_cred *);
/*
 * A token for scope ("https://vault.azure.net/.default"), cached per
 * scope and refreshed before expiry; force skips the cache.  Returns a
 * malloc'd token the caller wipes (wipe_free), or NULL and *err naming
 * every credential tried.
 */
char	*azure_token(struct azure_cred *, const char *scope, int force,
	    char **err);
/* The credential that got a token ("EnvironmentCredential"), or NULL. */
const char *azure_cred_name(struct azure_cred *);
/* The cloud the credential's chain was made for (azcloud.c). */
struct azure_cloud *azure_cred_cloud(struct azure_cred *);

/*
 * azcloud.c: the Azure clouds (AzureCloud, AzureChinaCloud,
 * AzureUSGovernment, or a custom one described by its Resource Manager's
 * metadata document), and which one applies: AZURE_CLOUD, else az's
 * (AZURE_CLOUD_NAME, [cloud] name in $AZURE_CONFIG_DIR/config), else
 * AzureCloud; AZURE_AUTHORITY_HOST and AZURE_RESOURCE_MANAGER_URL replace
 * one endpoint each.  With AZURE_RESOURCE_MANAGER_URL and no cloud named
 * by a variable, that endpoint's metadata document says the rest, read
 * on the first need of a value from it.
 */
struct azure_cloud;
/* No network yet; NULL and *err for a cloud that is not known. */
struct azure_cloud *azure_cloud_new(struct http *, char **err);
void	 azure_cloud_free(struct azure_cloud *);
/* "AzureChinaCloud", the name of a cloud az registered, or "custom". */
const char *azure_cloud_name(struct azure_cloud *);
/*
 * The values, borrowed from the cloud, each NULL with a malloc'd *err
 * when it cannot be known (the metadata document cannot be read).
 */
const char *azure_cloud_authority(struct azure_cloud *, char **err);
const char *azure_cloud_kv_suffix(struct azure_cloud *, char **err);
const char *azure_cloud_arm_url(struct azure_cloud *, char **err);
const char *azure_cloud_arm_scope(struct azure_cloud *, char **err);
/*
 * az's default subscription in this cloud ($AZURE_CONFIG_DIR/
 * azureProfile.json), malloc'd; NULL when it names none; NULL and *err
 * when the file cannot be read.
 */
char	*azure_cloud_subscription(struct azure_cloud *, char **err);

/*
 * kv.c: the Key Vault data plane: its challenge, calls, paged lists and
 * the causes of its refusals.
 */
/*
 * 1 when every URL of scopes (space-separated) is on vault_host or a
 * parent domain of it; else 0 and *bad, the first that is not (malloc'd).
 */
int	 kv_scope_ok(const char *vault_host, const char *scopes,
	    char **bad);

struct kv;
/*
 * vault is a name (https://NAME. and the Key Vault DNS suffix of the
 * credential's cloud: NAME.vault.azure.net in AzureCloud) or an https URL.
 */
struct kv *kv_new(struct http *, struct azure_cred *, const char *vault,
	    char **err);
void	 kv_free(struct kv *);
const char *kv_url(struct kv *);
/*
 * Pace secret writes (SetSecret) at rate/s; others at all_rate/s (0:
 * that class unpaced), one at a time: for a vault other writers share.
 */
void	 kv_set_budget(struct kv *, double write_rate, double all_rate);
/*
 * Or use a whole budget: at most writes secret writes, and others other
 * calls, in any window seconds (http_window_new), so that an idle vault
 * takes the first writes at once; a class given 0 keeps its pacing.
 * Each kv has its own pacers.
 */
void	 kv_set_window(struct kv *, int writes, int others, double window);
/*
 * And a budget shared with the run's other vaults (the subscription's):
 * each write, each other call, first waits for a token of write or all
 * (borrowed, outliving kv; NULL for none).
 */
void	 kv_set_shared_budget(struct kv *, struct http_bucket *write,
	    struct http_bucket *all);
/*
 * One data-plane call: path_query below the vault ("secrets/n",
 * "secrets?maxresults=25"); api-version is added.  A full https URL on
 * the vault's host (a nextLink) is taken as is.  Handles the 401
 * challenge (the resource must be of the vault's own domain), tokens and
 * one refresh on 401.  Returns the parsed body and *status, or invalid
 * with a message (the message never carries a value).
 */
jv	 kv_call(struct kv *, const char *method, const char *path_query,
	    jv body /* consumed */, long *status);
/*
 * Every item of a paged list (follows nextLink until null, empty pages
 * included): an array, or invalid with a message.  *status (may be NULL)
 * is the last answer's HTTP status, 0 when none came: 404 when the list's
 * owner is not there.
 */
jv	 kv_list_all(struct kv *, const char *path_query, long *status);
/*
 * Why Key Vault refused, or could not be reached.  The library says what
 * happened; what to do about it is the tool's (kv_set_cures).
 */
enum kv_cause {
	KV_CAUSE_NONE,
	KV_CAUSE_UNRESOLVED,		/* the vault's host does not resolve */
	KV_CAUSE_RBAC,			/* 403 ForbiddenByRbac */
	KV_CAUSE_ACCESS_POLICY,		/* 403 AccessDenied */
	KV_CAUSE_FIREWALL,		/* 403 ForbiddenByFirewall */
	KV_CAUSE_CONNECTION,		/* 403 ForbiddenByConnection */
	KV_CAUSE_DISABLED,		/* 403 SecretDisabled */
	KV_CAUSE_DELETED,		/* 409 ObjectIsDeletedButRecoverable */
	KV_CAUSE_BUSY,			/* 409 being deleted or recovered */
	KV_CAUSE_TOO_LARGE,		/* 413, or a message saying so */
	KV_CAUSE_BAD_NAME,		/* 400 invalid name */
	KV_CAUSE_THROTTLED,		/* 429 after every retry */
	KV_CAUSE_TOKEN,			/* 401 */
	KV_CAUSE_NOT_FOUND,		/* 404 SecretNotFound */
	KV_CAUSE_COUNT
};
/* The cause of a failed data-plane answer. */
enum kv_cause kv_cause(jv body /* borrowed */, long status);
/*
 * A message for a failed data-plane answer: what the service said
 * (ForbiddenByRbac, ForbiddenByFirewall, bad name, value too large, ...),
 * then ": " and the tool's cure of its cause, if it has one.
 */
char	*kv_errmsg(jv body /* borrowed */, long status);
/*
 * The tool's cures, indexed by cause (KV_CAUSE_COUNT entries, NULL where
 * it has none), in its own terms: kv_errmsg and kv_call's messages end
 * with them.  Set once, before the first call; the table is borrowed.
 */
void	 kv_set_cures(const char *const *table);

/* The message of an invalid kv_call or kv_list_all result; malloc'd. */
char	*kv_call_msg(jv r /* consumed */);
/* error.innererror.code of a Key Vault answer, or "" (borrowed). */
const char *kv_inner_code(jv body /* borrowed */);

/*
 * kvname.c: the record <-> Key Vault format: secret and vault names,
 * how a record's data becomes a value, the tags and where the secrets
 * came from.  No network code, so that kv-name links without it.
 */
/*
 * Secret names match ^[0-9A-Za-z-]{1,127}$ (about-keys-secrets-
 * certificates.md) and compare without regard to case (Key Vault REST
 * API: "Secret names are case-insensitive",
 * about-keys-secrets-certificates.md).
 */
#define KV_NAME_MAX	127
int	 kv_name_valid(const char *);
/* A vault's name: 3 to 24 letters, digits and '-' (what kv_new takes). */
int	 kv_vault_name_valid(const char *);
/* A tag of a secret bundle or item, or NULL (borrowed from item). */
const char *kv_tag(jv item /* borrowed */, const char *name);
/* Its vault-version tag as a number > 0, else -1. */
long	 kv_tag_version(jv item /* borrowed */);
/* A record's "mount/path" as the vault-path tag holds it, or NULL. */
char	*kv_record_vpath(jv rec /* borrowed */);

/*
 * How a record's data becomes a Key Vault value (kv-put writes it,
 * kv-check compares it): one key and !json: the value as a plain string
 * ("text/plain"), a non-string as its JSON text; else the whole object
 * as compact JSON ("application/json").  JSON is written with sorted
 * keys, so the same data always gives the same value.  A value is
 * counted bytes (*len; a NUL follows them): it may hold U+0000, which
 * goes out as \u0000.  Returns a malloc'd value the caller wipes
 * (wipe_freen), or NULL with *err.
 */
#define KV_MAX_VALUE	25600	/* bytes: "25 KB" in about-secrets.md */
char	*kv_shape_value(jv data /* borrowed */, int json,
	    const char **content_type, size_t *len, char **err);
/*
 * The tags kv-put writes on every version (kv-check reads them back),
 * and the value of migrated-from.
 */
#define KV_TAG_FROM	"migrated-from"
#define KV_TAG_PATH	"vault-path"		/* mount/path */
#define KV_TAG_VERSION	"vault-version"		/* the KV v2 version */
#define KV_TAG_DATE	"migration-date"	/* YYYY-MM-DD */
/*
 * The record's Vault namespace (full path), only on records that have
 * one: the source's identity is (migrated-from, vault-namespace,
 * vault-path), and a record without a namespace keeps the tags it had.
 */
#define KV_TAG_NS	"vault-namespace"
#define KV_MIGRATED_FROM "hashicorp-vault"	/* source unknown */
/*
 * The value of migrated-from: the source Vault's address (VAULT_ADDR,
 * lower case, no trailing '/'), so that kv-check --orphans tells several
 * source Vaults apart; KV_MIGRATED_FROM when VAULT_ADDR is unset, as on
 * the import side of a split-site migration.  malloc'd.
 */
char	*kv_migrated_from(void);
/*
 * The vault to use: given (--vault), else KEY_VAULT_NAME; NULL when that
 * is unset or empty.
 */
const char *kv_target(const char *given);

/*
 * kvvault.c: the vault a record goes to (its "vault" field: a name or an
 * https URL), in one spelling, and the hosts that may be one.
 */
/*
 * The canonical form: a name in lower case; a URL as
 * https://HOST[:PORT][/PATH], the host in lower case, no port for 443,
 * no trailing '/'.  malloc'd, or NULL and a malloc'd *err.
 */
char	*kv_vault_canon(const char *vault, char **err);
/* 0 if vault is a vault's name, else -1 and a malloc'd *err saying so. */
int	 kv_vault_name_check(const char *vault, char **err);
/*
 * A record's vault field (not NULL) made canonical, or NULL and a
 * malloc'd *err ("vault is empty", "vault ...").
 */
char	*kv_vault_field(const char *vault, char **err);
/*
 * What tells vaults apart (canon borrowed): https://NAME.vault.azure.net,
 * or of another cloud's Key Vault domain, is NAME, as a name is;
 * any other URL is itself.  malloc'd.
 */
char	*kv_vault_key(const char *canon);
/*
 * May a record's vault (canonical) be written to?  A name, or a URL on a
 * cloud's Key Vault domain (NAME.vault.azure.net, ...); else only the
 * trusted vault (the operator's default, canonical URL, may be NULL)
 * and its siblings: the same parent domain and port.  1, or 0 and a
 * malloc'd *err.
 */
int	 kv_vault_host_ok(const char *canon, const char *trusted,
	    char **err);

/*
 * kvset.c: the vaults of one run, each its own Key Vault client (its own
 * write budget, pacing and connections), made when a record first names
 * it, all under one budget five times a vault's (the subscription's).
 * Thread-safe.
 */
struct kvvault {
	struct kv	*kv;		/* NULL when it could not be made */
	char		*url;		/* canonical (kv_vault_canon) URL */
	char		*key;		/* kv_vault_key */
	char		*err;		/* why it could not be made */
	void		*data;		/* the tool's */
	int		 idx;		/* 0, 1, ... in the order made */
};
struct kvset;
/*
 * The set, with the default vault dflt (--vault, KEY_VAULT_NAME; NULL
 * for none), the budgets of each vault (per second; 0 for none).  NULL
 * and a malloc'd *err when dflt cannot be a vault.
 */
struct kvset *kvset_new(struct http *, struct azure_cred *, const char *dflt,
	    double write_rate, double all_rate, char **err);
void	 kvset_free(struct kvset *);
/*
 * Key Vault's published budgets per vault (learn.microsoft.com, Key
 * Vault service limits): "Secret CREATE" 300 and all other transactions
 * 4,000 per 10 seconds, counted here as the table counts them.
 */
#define WRITE_BUDGET	300
#define ALL_BUDGET	4000
#define BUDGET_WINDOW	10
/*
 * Whole budgets for every vault of the set, made or to be made
 * (kv_set_window: writes per wwindow s, others per awindow s; 0 keeps a
 * class's pacing), and the subscription's five times as much.
 */
void	 kvset_set_window(struct kvset *, int writes, double wwindow,
	    int others, double awindow);
/* The default vault, or NULL. */
struct kvvault *kvset_default(struct kvset *);
/*
 * The vault of a record whose "vault" field is vault (NULL: it has
 * none, the default's), made on first use (*fresh 1 then): checked by
 * kv_vault_canon and kv_vault_host_ok against the default.  NULL and a
 * malloc'd *err ("vault ...: why") when it is bad or no vault is given.
 */
struct kvvault *kvset_get(struct kvset *, const char *vault, int *fresh,
	    char **err);
/*
 * The vault of record rec (borrowed): its "vault" field, when there a
 * string, to kvset_get.  NULL and a malloc'd *err as kvset_get, or when
 * the field is not a string.
 */
struct kvvault *kvset_route(struct kvset *, jv rec, int *fresh,
	    char **err);
/*
 * A vault its records cannot use: its data becomes "vault URL: why",
 * said once as an error; why (malloc'd) is freed.
 */
void	 kvset_refuse(struct kvvault *, char *why);
/* Free every vault's data, a malloc'd string or NULL. */
void	 kvset_free_data(struct kvset *);
/* fn for each vault made, in that order, until it returns non-zero. */
int	 kvset_iterate(struct kvset *,
	    int (*fn)(struct kvvault *, void *arg), void *arg);

/*
 * kvver.c: the versions of one Key Vault secret (its current version,
 * its history with their tags and attributes, a version's value read on
 * demand) and the ids that name them.
 *
 * An object id as the service writes it: https://VAULT/COLL/NAME[/VERSION]
 * (a SecretBundle's or SecretItem's "id": COLL "secrets"; a deleted
 * secret's "recoveryId": "deletedsecrets"), or a vault's URL alone.
 * Segments are %-decoded, then checked: COLL letters, NAME a secret name,
 * VERSION letters and digits.  A query or fragment and one trailing '/'
 * are ignored.
 */
struct kv_id {
	char	*vault;		/* "https://HOST[:PORT]", as given */
	char	*vault_name;	/* NAME of https://NAME.vault.DOMAIN, or NULL */
	char	*coll;		/* "secrets", "deletedsecrets", ..., or NULL */
	char	*name;		/* or NULL */
	char	*version;	/* or NULL: the id names no version */
};
/* 0 and *id (malloc'd parts), or -1 when s is not such an id (*id empty). */
int	 kv_id_parse(const char *s, struct kv_id *id);
void	 kv_id_release(struct kv_id *);
/*
 * The version a secret id names, if it names one of secret name: 0 and
 * *version (malloc'd, NULL for an id without a version); -1 when s is
 * not a secret id of that name.
 */
int	 kv_id_version(const char *s, const char *name, char **version);

/* One version of a secret, as a SecretBundle or a SecretItem says. */
struct kvver {
	char	*id;		/* its id, or NULL */
	char	*version;	/* the id's VERSION, "" when none */
	long	 vv;		/* vault-version tag (> 0), or -1 */
	char	*vpath;		/* vault-path tag, or NULL */
	char	*vns;		/* vault-namespace tag, NULL if none or "" */
	char	*ctype;		/* content type, or NULL */
	int	 enabled;
	int	 has_exp;
	double	 exp;		/* seconds since the epoch */
	double	 created;
	double	 updated;
	/*
	 * A bundle's value, its len bytes (NULs included, a NUL follows):
	 * NULL when the answer held no string.  Wiped by kvver_release.
	 */
	char	*value;
	size_t	 len;
	int	 idx;		/* place in the service's list */
};
/* Fill v from a bundle or an item (borrowed), value included. */
void	 kvver_take(struct kvver *v, jv item /* borrowed */);
void	 kvver_release(struct kvver *);
/*
 * Read a version of name with its value (version NULL or "": the current
 * one).  KVVER_READ and *v; KVVER_ABSENT, 404: the vault does not hold
 * it; KVVER_DISABLED, 403 SecretDisabled: its value cannot be read, and
 * *err says so for a caller to whom that is a failure; -1 failed with a
 * malloc'd *err.  *status is the HTTP status, 0 when none came.
 */
#define KVVER_ABSENT	0
#define KVVER_READ	1
#define KVVER_DISABLED	2
int	 kvver_read(struct kv *, const char *name, const char *version,
	    struct kvver *v, long *status, char **err);

/*
 * Every version of a secret, oldest first: by creation time, then, among
 * versions created in the same second (kv-put writes a history faster),
 * the tagged ones in the order of their vault-version tags, in the places
 * the tagged ones hold; the rest keep the service's order.  No values.
 */
struct kvvers {
	struct kvver	*v;
	int		 n;
};
/*
 * List them: 0 and *status (404: the vault does not hold the name, which
 * has none), or -1 with *status and a malloc'd *err.
 */
int	 kvver_list(struct kv *, const char *name, struct kvvers *,
	    long *status, char **err);
void	 kvvers_release(struct kvvers *);
/* Add a version just written, as the newest; id is copied. */
void	 kvvers_add(struct kvvers *, const char *id, long vv,
	    const char *vpath, const char *ns);
/* The newest version whose VERSION is version (any case), or -1. */
int	 kvvers_find(const struct kvvers *, const char *version);
/*
 * The newest version tagged vault-version vv and, unless vpath is NULL,
 * of that source: vault-path vpath and vault-namespace ns (NULL: none);
 * or -1.
 */
int	 kvvers_find_tag(const struct kvvers *, long vv, const char *vpath,
	    const char *ns);

/*
 * policy.c: Vault ACL policies (HCL or JSON) parsed, and request paths
 * matched against them as Vault's ACL does (hashicorp/vault vault/acl.go,
 * vault/policy.go; developer.hashicorp.com/vault/docs/concepts/policies,
 * "Priority matching").
 */
#define POL_DENY	0x001
#define POL_CREATE	0x002
#define POL_READ	0x004
#define POL_UPDATE	0x008
#define POL_DELETE	0x010
#define POL_LIST	0x020
#define POL_SUDO	0x040
#define POL_PATCH	0x080
#define POL_SUBSCRIBE	0x100
#define POL_RECOVER	0x200
struct pol_rule {
	char		*path;		/* as written, without a leading '/' */
	unsigned	 caps;		/* POL_*; deny alone when denied */
};
struct policy {
	char		*name;		/* set by the caller, freed by it */
	const char	*ns;		/* "" or "team-a/" (ends in '/') */
	struct pol_rule	*rules;
	size_t		 n;
	int		 templated;	/* a path holds {{...}} */
	char		*conditions;	/* the first parameter or TTL limit */
};
/*
 * Parse text into pol's rules (pol zeroed, name and ns set by the
 * caller): 0, or -1 with a malloc'd *err naming the line or path.
 */
int	 policy_parse(struct policy *pol, const char *text, char **err);
void	 policy_release(struct policy *);	/* not name */
/* The capabilities as a policy lists them, quoted, ", " between; malloc'd. */
char	*policy_caps_str(unsigned caps);
/* One pattern of an ACL, merged from the rules of its policies. */
#define ACL_EXACT	0
#define ACL_PREFIX	1	/* ended in '*', which key lacks */
#define ACL_SEGMENT	2	/* holds a '+' segment; key as written */
struct acl_src {
	const struct policy	*pol;
	const struct pol_rule	*rule;
};
struct acl_entry {
	char		*key;		/* full path: namespace, then rule */
	int		 kind;
	unsigned	 caps;
	struct acl_src	*src;		/* the rules that made it */
	size_t		 nsrc;
};
struct acl;
struct acl *acl_new(void);
void	 acl_free(struct acl *);
/*
 * Add pol's rules but the templated ones ({{identity...}}), which name no
 * path until someone logs in; pol must outlive the ACL.
 */
void	 acl_add(struct acl *, const struct policy *pol);
/*
 * The entry that governs a request to path (full path, namespace first;
 * list: a LIST, path ending in '/'), or NULL.
 */
const struct acl_entry *acl_match(const struct acl *, const char *path,
	    int list);
/* Its capabilities, 0 when none or denied; *e the entry (may be NULL). */
unsigned acl_caps(const struct acl *, const char *path, int list,
	    const struct acl_entry **e);

/*
 * arm.c: Azure Resource Manager (kv-grant's role assignments).
 */
struct arm;
/*
 * The Resource Manager of the credential's cloud; its tokens are for
 * that cloud's Resource Manager audience, and go nowhere else.
 */
struct arm *arm_new(struct http *, struct azure_cred *, char **err);
void	 arm_free(struct arm *);
/* path_query below the ARM root, api-version included by the caller. */
jv	 arm_call(struct arm *, const char *method, const char *path_query,
	    jv body /* consumed */, long *status);
char	*arm_errmsg(jv body /* borrowed */, long status);
/*
 * Every item of a paged list: path_query, then its nextLinks (1000
 * pages at the most).  An array; or invalid with *status and a message:
 * arm_call's when no answer came (may be none), else arm_errmsg's.
 */
jv	 arm_list(struct arm *, const char *path_query, long *status);

/*
 * preflight.c: what a dry run checks of a target vault before a bulk
 * run, writing nothing: that it answers; what Resource Manager says of
 * it (permission model, soft-delete retention, purge protection); what
 * the identity may do there (Resource Manager's permissions API, else
 * requests that change nothing); how long the run will take.
 */
#define PREFLIGHT_MAX		8	/* needs of one tool */
/*
 * Key Vault's data actions on secrets: getSecret/action, readMetadata/
 * action (list), setSecret/action, recover/action (learn.microsoft.com/
 * azure/key-vault/general/rbac-guide, and the data actions table of Key
 * Vault's ABAC conditions page).
 */
#define KV_DATA_SECRETS		"Microsoft.KeyVault/vaults/secrets/"
#define PREFLIGHT_NO_PROBE	0	/* cannot be probed without writing */
#define PREFLIGHT_PROBE_LIST	1	/* GET secrets?maxresults=1 */
#define PREFLIGHT_PROBE_GET	2	/* GET of a name nobody has: 404 */
#define PREFLIGHT_UNKNOWN	0
#define PREFLIGHT_ALLOWED	1
#define PREFLIGHT_DENIED	2
/* An operation the run needs; a tool's table ends with action NULL. */
struct preflight_need {
	const char	*action;	/* "Microsoft.KeyVault/vaults/..." */
	int		 data;		/* a data action, else a control one */
	const char	*verb;		/* "set secrets", for messages */
	const char	*role;		/* the built-in role that grants it */
	const char	*policy;	/* the access-policy permission, "set" */
	int		 probe;		/* PREFLIGHT_*PROBE* */
};
struct preflight {
	const struct preflight_need *needs;
	const char	*vault;		/* name or URL, as given */
	const char	*url;		/* the vault's URL, when a kv was given */
	char		*id;		/* its resource id: in, when known */
	int		 rbac;		/* 1 RBAC, 0 access policies, -1 unknown */
	int		 retention;	/* soft-delete days, 0 none, -1 unknown */
	int		 purge_protection;	/* 1, 0, -1 unknown */
	int		 from_arm;	/* Resource Manager answered it all */
	char		*arm_note;	/* why not, or NULL */
	jv		 perms;		/* the permissions API's entries */
	int		 state[PREFLIGHT_MAX];	/* PREFLIGHT_ALLOWED, ... */
	/*
	 * One problem record a line: {"preflight":"vault"|"permission",
	 * "vault":URL, "missing":ACTION, "grant":ROLE, "source":
	 * "resource-manager"|"probe", "error":{...}}; its error message
	 * starts with the vault's URL.
	 */
	jv		 problems;
	char		*facts;		/* one line of what was found */
};
void	 preflight_init(struct preflight *, const struct preflight_need *,
	    const char *vault);
void	 preflight_release(struct preflight *);
/*
 * Check the vault through kv (NULL: Resource Manager only) and arm (NULL:
 * probes only; the vault is looked up in subscription sub unless pf->id
 * is set).  0 when no problem was found, else -1.
 */
int	 preflight_run(struct preflight *, struct kv *, struct arm *,
	    const char *sub);
/* A problem of the tool's own finding, of kind ("arm", ...). */
void	 preflight_add(struct preflight *, const char *kind, const char *fmt,
	    ...) V2K_PRINTF(3, 4);
/*
 * preflight_run for kv-put and kv-check: Resource Manager asked when
 * AZURE_SUBSCRIPTION_ID names the subscription, on an engine of its own
 * that gives up quickly (the probes are the fallback).
 */
int	 preflight_kv(struct preflight *, struct kv *, struct azure_cred *);
/*
 * The one function here that writes: each problem as a line on stderr
 * (even with -q) and its record on stdout (rec_emit), then the facts
 * line (unless -q).  Returns the number of problems.
 */
int	 preflight_emit(struct preflight *);
/*
 * Do the entries of a permissions API answer (borrowed) allow action:
 * one entry's (data)actions match it and the same entry's not(Data)Actions
 * do not?  '*' matches any run of characters, case ignored.
 */
int	 preflight_allows(jv perms /* borrowed */, const char *action,
	    int data);
/*
 * Seconds n requests take at a budget per window: budget at once, then
 * budget/window a second (Key Vault counts per 10 s).
 */
double	 preflight_duration(double n, double budget, double window);
/* "under 10 s", "19 s", "3 min 20 s", "2 h 5 min"; malloc'd. */
char	*preflight_seconds(double s);

/*
 * start.c: the engines a tool's main starts (from the environment) and
 * stops.  Any failure to start is fatal (msg_fatal): for start-up only.
 */
/*
 * The HTTP engine with jobs requests in flight, its timeout from the
 * environment variable timeout_var.  patient: throttling must not fail
 * a record (429s retried for long, a request given 10 timeouts in all
 * and a record 15), for the tools that write or compare whole runs.
 */
struct http *start_http(const char *timeout_var, int jobs, int patient);
/* The Vault client on http, its warnings said, the server asked once. */
struct vault *start_vault(struct http *);
/*
 * The Key Vault clients on http (kvset_new): the credential (*cred),
 * the tool's cures (kv_set_cures) and the set with its default vault
 * (a name or URL; may be NULL).
 */
struct kvset *start_kvset(struct http *, const char *vault,
	    const char *const *cures, double write_rate, double all_rate,
	    struct azure_cred **cred);
/*
 * The end of start_http and start_kvset: the engine's counters for the
 * summary (http_stats), then the set, cred and http freed.
 */
void	 stop_kvset(struct kvset *, struct azure_cred *, struct http *,
	    long *sent, long *retried, long *throttled);

#endif
