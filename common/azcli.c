/* azcli.c: AzureCliCredential, az account get-access-token run as a child. */

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "azure_int.h"

#define CLI_TIMEOUT_S	60	/* VAULT2KV_AZ_TIMEOUT overrides it */
#define CLI_GRACE_MS	2000	/* from SIGTERM to SIGKILL */

/*
 * Read what a child writes on two pipes, until EOF, the deadline or
 * msg_stop: the child is in a group of its own, the terminal's SIGINT
 * does not reach it.
 */
static int
read_child(int ofd, int efd, struct buf *out, struct buf *err, long ms)
{
	struct pollfd p[2];
	struct timespec t0, t1;
	char chunk[4096];
	ssize_t n;
	long left;
	int i, open = 2;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	p[0].fd = ofd;
	p[1].fd = efd;
	p[0].events = p[1].events = POLLIN;
	while (open > 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = ms - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || msg_stop)
			return -1;
		if (poll(p, 2, left < 200 ? (int)left : 200) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || p[i].revents == 0)
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				p[i].fd = -1;
				open--;
				continue;
			}
			if (i == 0 && out->len < (1 << 20))
				buf_add(out, chunk, (size_t)n);
			else if (i == 1 && err->len < 8192)
				buf_add(err, chunk, (size_t)n);
		}
	}
	wipe(chunk, sizeof(chunk));
	return 0;
}

/*
 * The environment az gets: ours without the secrets it has no use for,
 * so a Vault token or a client secret never reaches another program.
 * The array is malloc'd; its strings are environ's.
 */
static char **
cli_environ(void)
{
	static const char *const drop[] = { "VAULT_TOKEN=", "BAO_TOKEN=",
	    "AZURE_CLIENT_SECRET=", "AZURE_CLIENT_CERTIFICATE_PASSWORD=",
	    "AZURE_PASSWORD=", "IDENTITY_HEADER=", "MSI_SECRET=" };
	extern char **environ;
	char **env;
	size_t i, j, k, n;

	for (n = 0; environ[n] != NULL; n++)
		;
	env = xcalloc(n + 1, sizeof(*env));
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
			if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
				break;
		if (j == sizeof(drop) / sizeof(drop[0]))
			env[k++] = environ[i];
	}
	return env;
}

/*
 * A tenant fit for az's command line: letters, digits, '.' and '-', as
 * azure-identity's validate_tenant_id (azure/identity/_internal/
 * __init__.py) allows, and no leading '-' that az would take for an
 * option.
 */
static int
valid_tenant(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 128 || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* How long az may take: VAULT2KV_AZ_TIMEOUT seconds (1 to 3600). */
static long
cli_timeout_ms(void)
{
	const char *s = az_env("VAULT2KV_AZ_TIMEOUT");
	char *end;
	long v;

	if (s == NULL)
		return CLI_TIMEOUT_S * 1000L;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 3600)
		return CLI_TIMEOUT_S * 1000L;
	return v * 1000;
}

/*
 * End az and whatever it started: its process group gets SIGTERM, then
 * SIGKILL if az has not exited within CLI_GRACE_MS; az is reaped.
 */
static void
cli_kill(pid_t pid, int *st)
{
	struct timespec ts = { 0, 50 * 1000000L };
	int i;
	pid_t r;

	kill(-pid, SIGTERM);
	for (i = 0; i < CLI_GRACE_MS / 50; i++) {
		if ((r = waitpid(pid, st, WNOHANG)) == pid ||
		    (r == -1 && errno != EINTR))
			break;
		nanosleep(&ts, NULL);
	}
	/* Grandchildren that outlive az still hold the group. */
	kill(-pid, SIGKILL);
	if (i == CLI_GRACE_MS / 50)
		while (waitpid(pid, st, 0) == -1 && errno == EINTR)
			;
}

/* In the child: close every descriptor above 2 but keep. */
static void
close_from_3(int keep, long maxfd)
{
	long fd;

	if ((keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	/* Kernels before 5.9: one close per possible descriptor. */
	for (fd = 3; fd < maxfd; fd++)
		if (fd != keep)
			close((int)fd);
}

/*
 * az account get-access-token, run without a shell: only the scope and
 * the tenant are on its command line, the token comes back on stdout.
 * It inherits no descriptor but 0, 1 and 2 (libcurl's sockets stay
 * here), runs in a process group of its own, and is killed with it at
 * the deadline.
 */
int
azcli_token(const char *scope, const char *tenant, struct az_tokres *out,
    char **why)
{
	char **env = NULL;
	char *argv[10];
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, xp[2] = { -1, -1 };
	int i = 0, st, xerr = 0, devnull = -1, rc = AZ_FAILED;
	struct buf o, e;
	sigset_t none;
	ssize_t n;
	pid_t pid;
	char *line, *end;
	const char *s;
	long maxfd, ms;
	double d;
	time_t t;
	jv body;

	if (tenant != NULL && !valid_tenant(tenant)) {
		end = msg_clean(tenant, SIZE_MAX, 100);
		*why = xasprintf("the tenant \"%s\" is not a tenant id "
		    "(letters, digits, '.' and '-'): az not run", end);
		free(end);
		return AZ_FAILED;
	}

	argv[i++] = "az";
	argv[i++] = "account";
	argv[i++] = "get-access-token";
	argv[i++] = "--output";
	argv[i++] = "json";
	argv[i++] = "--scope";
	argv[i++] = (char *)scope;
	if (tenant != NULL) {
		argv[i++] = "--tenant";
		argv[i++] = (char *)tenant;
	}
	argv[i] = NULL;
	buf_init(&o);
	buf_init(&e);
	buf_addstr(&o, "");
	buf_addstr(&e, "");
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1 ||
	    pipe2(xp, O_CLOEXEC) == -1) {
		*why = xasprintf("cannot run az: %s", strerror(errno));
		goto out;
	}
	env = cli_environ();
	sigemptyset(&none);
	if ((maxfd = sysconf(_SC_OPEN_MAX)) < 0 || maxfd > 65536)
		maxfd = 65536;
	ms = cli_timeout_ms();
	if ((pid = fork()) == -1) {
		*why = xasprintf("cannot run az: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		if (dup2(devnull, 0) == -1 || dup2(op[1], 1) == -1 ||
		    dup2(ep[1], 2) == -1)
			_exit(127);
		/* xp[1] is close-on-exec: it tells an exec failure. */
		close_from_3(xp[1], maxfd);
		execvpe("az", argv, env);
		xerr = errno;
		n = write(xp[1], &xerr, sizeof(xerr));
		(void)n;
		_exit(127);
	}
	setpgid(pid, pid);	/* either of the two calls wins the race */
	close(op[1]);
	close(ep[1]);
	close(xp[1]);
	op[1] = ep[1] = xp[1] = -1;
	if (read(xp[0], &xerr, sizeof(xerr)) == (ssize_t)sizeof(xerr)) {
		while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
			;
		if (xerr == ENOENT)
			*why = xstrdup("az not found on PATH");
		else
			*why = xasprintf("cannot run az: %s", strerror(xerr));
		rc = AZ_UNAVAILABLE;
		goto out;
	}
	if (read_child(op[0], ep[0], &o, &e, ms) == -1) {
		cli_kill(pid, &st);
		*why = msg_stop ? xstrdup("az: interrupted") :
		    xasprintf("az did not answer within %ld seconds", ms / 1000);
		goto out;
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		/* stderr's first line says why ("Please run 'az login'"). */
		end = e.data + strcspn(e.data, "\n");
		line = xstrndup(e.data, (size_t)(end - e.data));
		s = line;
		while (*s == ' ')
			s++;
		end = msg_clean(s, SIZE_MAX, 200);
		if (WIFEXITED(st))
			*why = *end ? xasprintf("az exited %d: %s",
			    WEXITSTATUS(st), end) : xasprintf("az exited %d",
			    WEXITSTATUS(st));
		else
			*why = xasprintf("az was killed by signal %d",
			    WTERMSIG(st));
		free(end);
		free(line);
		goto out;
	}
	body = az_parse_body(&o);
	if (!jv_is_valid(body) || jv_get_kind(body) != JV_KIND_OBJECT) {
		jv_free(body);
		*why = xstrdup("az printed something that is not a JSON "
		    "object");
		goto out;
	}
	s = rec_str(body, "accessToken");
	if (s == NULL || *s == '\0') {
		*why = xstrdup("az printed no accessToken");
		jv_wipe_free(body);
		goto out;
	}
	if (az_jnum(body, "expires_on", &d) && d > 0 && d < 1e11)
		t = (time_t)d;
	else if (rec_str(body, "expiresOn") == NULL ||
	    time_parse_local(rec_str(body, "expiresOn"), &t) == -1) {
		*why = xstrdup("az printed no usable expiry");
		jv_wipe_free(body);
		goto out;
	}
	if (t <= time(NULL)) {
		*why = xstrdup("az printed an expired token");
		jv_wipe_free(body);
		goto out;
	}
	out->value = xstrdup(s);
	out->expires_on = t;
	jv_wipe_free(body);
	rc = AZ_GOT_TOKEN;
out:
	for (i = 0; i < 2; i++) {
		if (op[i] != -1)
			close(op[i]);
		if (ep[i] != -1)
			close(ep[i]);
		if (xp[i] != -1)
			close(xp[i]);
	}
	free(env);
	if (devnull != -1)
		close(devnull);
	buf_release(&o);
	buf_release(&e);
	return rc;
}
