/* msg.c: messages on stderr, verbosity, progress and the final summary. */

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common.h"

int msg_verbosity;
int msg_jobs = JOBS_DEFAULT;
int msg_dry_run;
volatile sig_atomic_t msg_stop;

static const char *progname = "vault2kv";
static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static int progress_tty;		/* stderr is a terminal */
/*
 * In a pipeline (stdin or stdout a pipe), the stages share one terminal
 * line: each draws only its own segment, the rank-th of PROGRESS_RANKS,
 * and never erases the others'.  -1: alone, the whole line.
 */
static int progress_rank = -1;
#define PROGRESS_RANKS	6
static const char *const stage_names[PROGRESS_RANKS][2] = {
	{ "vault-ls", "ls" }, { "vault-dump", "dump" }, { "kv-name", "name" },
	{ "kv-put", "put" }, { "kv-check", "check" }, { "kv-grant", "grant" }
};
static int progress_shown;		/* a progress line is on screen */
static long progress_total = -1;
static long progress_done;
static long progress_failed;
static long progress_upstream;		/* of progress_failed */
static double progress_start;
static double progress_drawn;
static int output_errno;		/* why stdout failed, if it did */
static int reader_gone_quiet;		/* a read-only stage: see msg_quiet_epipe */
static const char *help_synopsis = "";	/* msg_help_text */
static const char *help_options = "";
/*
 * stdio's buffers for stdin (records with their data) and stdout, ours
 * so that they can be wiped at the end: stdio never frees the buffer of
 * a stream that is not closed, and alloc.c wipes only what is freed.
 */
static char inbuf[BUFSIZ];
static char outbuf[BUFSIZ];
static int stdout_closed;
static pthread_t main_thread;		/* the one that writes stdout */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The first SIGINT or SIGTERM asks the tool to stop (msg_stop); a second
 * one ends it at once, with the signal's default action, for a run that
 * does not stop (a second Ctrl-C, as in most interactive tools).
 */
static void
on_signal(int sig)
{
	struct sigaction sa;

	if (msg_stop) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(sig, &sa, NULL);
		raise(sig);
		return;
	}
	msg_stop = 1;
}

/* At exit: what is still in the stdio buffers goes, then their bytes. */
static void
wipe_stdio(void)
{
	if (!stdout_closed)
		fflush(stdout);
	wipe(outbuf, sizeof(outbuf));
	wipe(inbuf, sizeof(inbuf));
}

static int
is_fifo(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

void
msg_init(const char *name)
{
	struct sigaction sa;
	int i;

	progname = name;
	/* Before any I/O on the streams, as setvbuf requires. */
	setvbuf(stdin, inbuf, _IOFBF, sizeof(inbuf));
	setvbuf(stdout, outbuf, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF,
	    sizeof(outbuf));
	atexit(wipe_stdio);
	main_thread = pthread_self();
	if (harden_process() == -1)
		fprintf(stderr, "%s: cannot disable core dumps: %s\n",
		    progname, strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* No SA_RESTART: a blocked read of stdin returns on a signal. */
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	progress_tty = isatty(STDERR_FILENO);
	progress_start = now_s();
	if (progress_tty && (is_fifo(STDIN_FILENO) || is_fifo(STDOUT_FILENO)))
		for (i = 0; i < PROGRESS_RANKS; i++)
			if (strcmp(name, stage_names[i][0]) == 0)
				progress_rank = i;
}

const char *
msg_progname(void)
{
	return progname;
}

/*
 * Called with msg_lock held.  A stage of a pipeline clears the line
 * whether or not it drew on it: another stage's segment may be there,
 * and a message must start at the line's start (the segments come back
 * at their next redraw).
 */
static void
clear_progress(void)
{
	if (progress_shown || progress_rank >= 0) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

/* Called with msg_lock held: draw the progress line or segment. */
static void
draw_progress(double t)
{
	struct buf b, line;
	struct winsize ws;
	double el = t - progress_start, rate, eta;
	int cols = 80, w, n;

	rate = el > 0 ? progress_done / el : 0.0;
	buf_init(&b);
	if (progress_rank >= 0)
		buf_printf(&b, "%s %ld", stage_names[progress_rank][1],
		    progress_done);
	else
		buf_printf(&b, "%s: %ld", progname, progress_done);
	if (progress_total >= 0)
		buf_printf(&b, "/%ld", progress_total);
	if (progress_rank < 0)
		buf_printf(&b, " records, %.1f/s, %ld failed", rate,
		    progress_failed);
	/*
	 * The time left at the rate so far, once the total is known; in a
	 * segment, first and short ("~1:05"): the count of failures can be
	 * cut off by a narrow terminal, the summary says it anyway.
	 */
	if (progress_total >= progress_done && rate > 0) {
		eta = (progress_total - progress_done) / rate + 0.5;
		buf_addstr(&b, progress_rank < 0 ? ", ETA " : " ~");
		if (eta >= 3600)
			buf_printf(&b, "%ld:%02ld:%02ld", (long)eta / 3600,
			    (long)eta / 60 % 60, (long)eta % 60);
		else
			buf_printf(&b, "%ld:%02ld", (long)eta / 60,
			    (long)eta % 60);
	}
	if (progress_rank >= 0)
		buf_printf(&b, " %ld failed", progress_failed);
	buf_init(&line);
	if (progress_rank < 0) {
		buf_addstr(&line, "\r\033[K");
		buf_addstr(&line, b.data);
	} else {
		/*
		 * Its own columns only, padded to their width so that a
		 * shorter text leaves nothing of the last one: one write,
		 * which a terminal does not interleave with another's.
		 */
		if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_col > 0)
			cols = ws.ws_col;
		w = cols / PROGRESS_RANKS;
		n = (int)b.len < w - 1 ? (int)b.len : w - 1;
		buf_addc(&line, '\r');
		if (progress_rank > 0)
			buf_printf(&line, "\033[%dC", progress_rank * w);
		buf_printf(&line, "%-*.*s", w - 1, n < 0 ? 0 : n, b.data);
	}
	fflush(stderr);
	(void)!write(STDERR_FILENO, line.data, line.len);
	progress_shown = 1;
	buf_release(&line);
	buf_release(&b);
}

/*
 * The code point of the UTF-8 sequence at s and its length, or 0 when s
 * does not start one (RFC 3629: no overlongs, surrogates or values past
 * U+10FFFF).  s is NUL-terminated, which no continuation byte matches.
 */
static size_t
utf8_seq(const unsigned char *s, unsigned long *cp)
{
	unsigned long c;
	size_t len, k;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Messages carry paths, names and servers' words to a terminal: their
 * control characters are shown escaped, so that a hostile path cannot
 * clear the screen, move the cursor or retitle the window, nor its
 * direction marks and overrides reorder the line around it (Unicode
 * UAX #9, https://www.unicode.org/reports/tr9/: U+202E shows
 * "inv<RLO>fdp.exe" as "invexe.pdf").
 */
void
msg_escape(struct buf *b, const char *str, int flags)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned long c;
	size_t n;

	while (*s != '\0') {
		if ((n = utf8_seq(s, &c)) == 0) {
			buf_printf(b, "\\x%02x", *s);
			s++;
			continue;
		}
		if (c == '\t')
			buf_addstr(b, "\\t");
		else if (c == '\n')
			buf_addstr(b, "\\n");
		else if (c == '\r')
			buf_addstr(b, "\\r");
		else if (c == 0x1b && !(flags & MSG_ESC_HEX))
			buf_addstr(b, "\\e");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02lx", c);
		else if ((c >= 0x80 && c <= 0x9f) || c == 0x200e ||
		    c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069))
			buf_printf(b, "\\u%04lx", c);
		else
			buf_add(b, s, n);
		s += n;
	}
}

static void
vmsg(const char *subject, const char *fmt, va_list ap)
{
	struct buf b;
	va_list aq;
	char *s;

	buf_init(&b);
	buf_printf(&b, "%s: ", progname);
	if (subject != NULL) {
		msg_escape(&b, subject, 0);
		buf_addstr(&b, ": ");
	}
	va_copy(aq, ap);
	if (vasprintf(&s, fmt, aq) >= 0) {
		msg_escape(&b, s, 0);
		free(s);
	}
	va_end(aq);
	buf_addc(&b, '\n');
	pthread_mutex_lock(&msg_lock);
	clear_progress();
	fputs(b.data, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&msg_lock);
	buf_release(&b);
}

/*
 * A read-only stage whose reader went away says nothing more: the
 * messages of records nobody reads, and a summary that counts what was
 * never seen, would only be noise after "| head".
 */
static int
reader_gone(void)
{
	int gone;

	pthread_mutex_lock(&msg_lock);
	gone = reader_gone_quiet && output_errno == EPIPE;
	pthread_mutex_unlock(&msg_lock);
	return gone;
}

void
msg_at(int level, const char *subject, const char *fmt, ...)
{
	va_list ap;

	if (msg_verbosity < level || reader_gone())
		return;
	va_start(ap, fmt);
	vmsg(subject, fmt, ap);
	va_end(ap);
}

/*
 * A fatal error may strike while worker threads and the HTTP engine are
 * inside libcurl or OpenSSL: exit() would run atexit handlers and library
 * destructors (OpenSSL's among them) under those live threads and crash.
 * So report, flush what is ours, and _exit().  Only the main thread
 * writes stdout, and rec_write flushes every record, so flushing stdout
 * from another thread could only interleave with a half-written line.
 */
void
msg_error(const char *subject, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(subject, fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
	msg_exit(EXIT_FATAL);
}

void
msg_exit(int status)
{
	/* atexit's wipe_stdio does not run under _exit: do its work. */
	if (pthread_equal(pthread_self(), main_thread))
		wipe_stdio();
	fflush(stderr);
	_exit(status);
}

void
msg_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: try '%s -h' for usage\n", progname, progname);
	msg_exit(EXIT_FATAL);
}

void
msg_progress_total(long total)
{
	pthread_mutex_lock(&msg_lock);
	progress_total = total;
	pthread_mutex_unlock(&msg_lock);
}

void
msg_progress_add(int fate)
{
	double t;

	pthread_mutex_lock(&msg_lock);
	progress_done++;
	if (fate != REC_OK)
		progress_failed++;
	if (fate == REC_FAILED_UPSTREAM)
		progress_upstream++;
	if (progress_tty && msg_verbosity >= 0) {
		t = now_s();
		if (t - progress_drawn >= 0.25) {
			progress_drawn = t;
			draw_progress(t);
		}
	}
	pthread_mutex_unlock(&msg_lock);
}

/* A progress counter, read under the lock that msg_progress_add takes. */
static long
counter(const long *c)
{
	long n;

	pthread_mutex_lock(&msg_lock);
	n = *c;
	pthread_mutex_unlock(&msg_lock);
	return n;
}

long
msg_done(void)
{
	return counter(&progress_done);
}

long
msg_failed(void)
{
	return counter(&progress_failed);
}

long
msg_failed_upstream(void)
{
	return counter(&progress_upstream);
}

const char *
msg_failed_text(long failed)
{
	static char text[80];
	long up = msg_failed_upstream();

	if (up <= 0)
		snprintf(text, sizeof(text), "%ld failed", failed);
	else
		snprintf(text, sizeof(text), "%ld failed here, %ld failed "
		    "upstream", failed > up ? failed - up : 0, up);
	return text;
}

void
msg_output_error(int errnum)
{
	pthread_mutex_lock(&msg_lock);
	if (output_errno == 0)
		output_errno = errnum ? errnum : EIO;
	pthread_mutex_unlock(&msg_lock);
}

int
msg_output_errno(void)
{
	int e;

	pthread_mutex_lock(&msg_lock);
	e = output_errno;
	pthread_mutex_unlock(&msg_lock);
	return e;
}

int
msg_finish(int status, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *s = NULL;
	int werr = 0, serr = 0;

	werr = output_errno;
	errno = 0;
	if ((fflush(stdout) == EOF || ferror(stdout)) && werr == 0)
		werr = errno ? errno : EIO;
	errno = 0;
	if (fclose(stdout) == EOF && werr == 0)
		werr = errno ? errno : EIO;
	stdout_closed = 1;
	wipe(outbuf, sizeof(outbuf));
	if (werr == EPIPE && reader_gone_quiet) {
		/*
		 * The reader went away (tool | head): what was written was
		 * read, and the rest was not wanted.  Quiet, with the status
		 * of the records written, as a filter that SIGPIPE ends says
		 * nothing (but without its 141, which set -o pipefail takes
		 * for a failure).
		 */
		pthread_mutex_lock(&msg_lock);
		clear_progress();
		pthread_mutex_unlock(&msg_lock);
		fflush(stderr);
		return msg_stop ? EXIT_FATAL : status;
	}
	if (werr) {
		serr = werr;
		status = EXIT_FATAL;
	}
	if (msg_stop)
		status = EXIT_FATAL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) < 0)
			s = NULL;
		va_end(ap);
	}
	pthread_mutex_lock(&msg_lock);
	clear_progress();
	if (serr)
		fprintf(stderr, "%s: cannot write output: %s\n", progname,
		    strerror(serr));
	if (msg_verbosity >= 0 && s != NULL) {
		buf_init(&b);
		msg_escape(&b, s, 0);
		fprintf(stderr, "%s: %s%s\n", progname,
		    msg_stop ? "interrupted: " : "", b.data ? b.data : "");
		buf_release(&b);
	}
	else if (msg_stop)
		fprintf(stderr, "%s: interrupted\n", progname);
	fflush(stderr);
	pthread_mutex_unlock(&msg_lock);
	free(s);
	return status;
}

void
msg_quiet_epipe(void)
{
	pthread_mutex_lock(&msg_lock);
	reader_gone_quiet = 1;
	pthread_mutex_unlock(&msg_lock);
}

/*
 * The libraries as they run, which may not be the ones built against:
 * curl_version_info and OpenSSL_version say what is loaded.  libjq 1.6
 * exports no version (no function, no macro in jq.h), so its version is
 * the one the Makefile found at build time.
 */
void
msg_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("%s (vault2kv) %s", progname, V2K_VERSION);
#ifdef V2K_COMMIT
	if (*V2K_COMMIT != '\0')
		printf(" (commit %s)", V2K_COMMIT);
#endif
	printf("\nlibcurl %s, %s, libjq %s\n", cv->version,
	    OpenSSL_version(OPENSSL_VERSION),
#ifdef V2K_JQ_VERSION
	    *V2K_JQ_VERSION != '\0' ? V2K_JQ_VERSION " (at build time)" :
#endif
	    "(version unknown)");
	exit(fflush(stdout) == EOF ? EXIT_FATAL : EXIT_OK);
}

void
msg_help_text(const char *synopsis, const char *options)
{
	help_synopsis = synopsis;
	help_options = options;
}

void
msg_usage(void)
{
	fputs(help_synopsis, stderr);
	msg_exit(EXIT_FATAL);
}

/*
 * As jq and curl do: help asked for is the output, on stdout, and
 * exit 0; only a usage error goes to stderr with exit 2.
 */
void
msg_help(void)
{
	printf("%s\noptions:\n%s\nThe manual: man %s (the tool), man vault2kv "
	    "(the migration).\n", help_synopsis, help_options, progname);
	exit(fflush(stdout) == EOF ? EXIT_FATAL : EXIT_OK);
}

void
msg_no_operands(int argc)
{
	if (optind < argc)
		msg_usage();
}

void
msg_option(int ch, int version_opt)
{
	if (ch == 'q')
		msg_verbosity = -1;
	else if (ch == 'v') {
		if (msg_verbosity >= 0)
			msg_verbosity++;
	} else if (ch == 'h')
		msg_help();
	else if (ch == version_opt)
		msg_version();
	else if (ch == 'j')
		msg_jobs = (int)xstrtonum(optarg, 1, JOBS_MAX, "-j");
	else if (ch == 'n')
		msg_dry_run = 1;
	else
		msg_usage();
}

/* White space and control characters: what a message does not show. */
static int
blank(int c)
{
	return c == ' ' || (unsigned char)c < 0x20 || c == 0x7f;
}

int
msg_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

char *
msg_clean(const char *s, size_t len, size_t max)
{
	struct buf b;
	const char *e;
	int sp = 0;

	buf_init(&b);
	buf_addstr(&b, "");
	if (s == NULL)
		return buf_detach(&b);
	e = s + strnlen(s, len);
	while (s < e && blank(*s))
		s++;
	while (e > s && blank(e[-1]))
		e--;
	for (; s < e && b.len < max; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			sp = 1;
			continue;
		}
		if (sp)
			buf_addc(&b, ' ');
		sp = 0;
		buf_addc(&b, *s);
	}
	if (s < e)
		buf_addstr(&b, "...");
	return buf_detach(&b);
}
