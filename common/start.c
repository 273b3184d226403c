/* start.c: a tool's engines, started from the environment and stopped. */

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

#define ARENA_MAX	2

struct http *
start_http(const char *timeout_var, int jobs, int patient)
{
	struct http_opts ho;
	struct http *http;
	char *err;

	/*
	 * Before the first thread: glibc gives threads up to 8 malloc arenas
	 * per core, each keeping the pages it once used; -j workers spread
	 * over them held about 1 MB more at their peak than over 2 (#17:
	 * peak RSS).  The workers spend their time waiting on the network,
	 * not in malloc.  mallopt(3): M_ARENA_MAX.
	 */
	mallopt(M_ARENA_MAX, ARENA_MAX);
	http_opts_init(&ho);
	ho.max_inflight = jobs;
	/* Throttling must not fail a record: retry 429s for long. */
	if (patient)
		ho.max_retries = 16;
	if (http_opts_env(&ho, timeout_var, &err) == -1)
		msg_fatal("%s", err);
	/*
	 * Which lasts: a request may take 10 timeouts in all, a record 15
	 * (a server that does not answer still fails a request after 3).
	 */
	if (patient) {
		ho.budget_ms = 10 * ho.timeout_ms;
		ho.record_budget_ms = 15 * ho.timeout_ms;
	}
	if ((http = http_new(&ho)) == NULL)
		msg_fatal("cannot start the HTTP engine");
	return http;
}

struct vault *
start_vault(struct http *http)
{
	struct vault *v;
	char *err;
	int i;

	if ((v = vault_new(http, &err)) == NULL)
		msg_fatal("%s", err);
	for (i = 0; vault_warning(v, i) != NULL; i++)
		msg_warn(NULL, "%s", vault_warning(v, i));
	if (vault_ping(v, &err) == -1)
		msg_fatal("%s", err);
	return v;
}

struct kvset *
start_kvset(struct http *http, const char *vault, const char *const *cures,
    double write_rate, double all_rate, struct azure_cred **cred)
{
	struct kvset *s;
	char *err;

	if ((*cred = azure_cred_new(http, &err)) == NULL)
		msg_fatal("%s", err);
	kv_set_cures(cures);
	if ((s = kvset_new(http, *cred, vault, write_rate, all_rate, &err)) ==
	    NULL)
		msg_fatal("%s", err);
	return s;
}

void
stop_kvset(struct kvset *s, struct azure_cred *cred, struct http *http,
    long *sent, long *retried, long *throttled)
{
	http_stats(http, sent, retried, throttled);
	kvset_free(s);
	azure_cred_free(cred);
	/* The engine's thread stops before the exit. */
	http_free(http);
}
