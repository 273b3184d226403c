/* msg.h: messages, the options every tool reads alike, progress, summary. */

/* Part of common.h, which includes it in its place: include that. */
#ifndef VAULT2KV_MSG_H
#define VAULT2KV_MSG_H

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
/*
 * -h, --help: the synopsis, the option list and the man page, on
 * stdout; exit 0.
 */
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

#endif
