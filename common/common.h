/* common.h: libcommon's header, the one every vault2kv tool includes. */

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

/* The parts of the library, one header each, in the order they build on. */
#include "msg.h"
#include "rec.h"
#include "pool.h"
#include "http.h"
#include "vault.h"
#include "azure.h"
#include "kv.h"

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
