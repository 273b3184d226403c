/* kv-put: write records to Azure Key Vault and print the mapping. */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "rollback.h"

#define READ_AHEAD	4096	/* records, for the vaults' lanes */
#define MAX_TAGS	15	/* about-secrets.md, "Secret tags" */
#define MAX_TAG_LEN	512	/* characters, name and value */
#define EXPIRES_DAYS	365
#define RECOVER_WAIT_S	120	/* recovery is asynchronous (Key Vault
				   REST: Recover Deleted Secret) */
#define BUSY_WAIT_S	60	/* ObjectIsBeingDeleted / ...Recovered */
#define INTERRUPTED	"interrupted: not written"
#define NO_OUTPUT	"not written: the output failed"

enum {
	OPT_PURGE = KV_OPT_NEXT,
	OPT_RECOVER,
	OPT_ROLLBACK,
	OPT_VERSION,
	OPT_WRITE_BUDGET,
	OPT_WRITE_RATE
};

/*
 * What the run knows of one name (Key Vault names compare without
 * regard to case: one entry for all spellings).  The records of one
 * name take turns in input order: ticket n runs when turn is n.  The
 * fields below turn are only touched by the record whose turn it is (or
 * by the main thread before the workers start).
 */
struct ent {
	unsigned long	 issued;
	unsigned long	 turn;
	int		 exists;
	int		 deleted;
	char		*vpath;		/* vault-path tag, current version */
	char		*vns;		/* its vault-namespace tag, or NULL */
	long		 vver;		/* its vault-version tag or -1 */
	char		*cur_id;	/* id of the current version */
	int		 have_hash;
	char		 hash[65];	/* of content type and value */
	int		 have_versions;
	struct kvvers	 vers;		/* when have_versions */
};

struct put {
	struct http	*http;
	struct kvset	*set;		/* the vaults, each its own budget */
	int		 dry_run;
	int		 force;
	int		 recover;
	int		 json;
	long		 expires_days;	/* -1: never */
	int		 expires_given;
	char		 date[16];	/* migration-date */
	char		*from;		/* migrated-from */
	long		 problems;	/* found by the pre-flight (-n) */
	const char	*unplanned;	/* why a dry run cannot plan, or NULL */
	struct azure_cred *cred;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct cimap	*names;		/* name: struct ent, under mu */
	struct nameset	*held;		/* names let go: the vault has them */
	size_t		 live;		/* entries in names */
	size_t		 gone;		/* names' keys let go (value NULL) */
	/* Counts, kept by the emitting (main) thread. */
	long		 in;		/* records handed to the pool */
	long		 out;
	long		 unmapped;	/* written, but the line was lost */
	long		 created;
	long		 updated;
	long		 unchanged;
	long		 conflicts;
	long		 skipped;
	long		 recovered;
	long		 failed;
	long		 interrupted;
};

static const char synopsis[] =
    "usage: kv-put [-fhnqv] [-j jobs] [--expires days|never] [--json] "
    "[--purge]\n"
    "              [--rate n] [--recover] [--rollback] [--vault name|url]\n"
    "              [--write-budget n[/s]] [--write-rate n]\n";
static const char options[] =
	"      --expires DAYS|never  expiry of every written secret\n"
	"  -f, --force               take over names that hold another path's secret\n"
	"  -h, --help                print this help and exit\n"
	"  -j, --jobs JOBS           records handled at once, 1 to 64 (8)\n"
	"      --json                write every value as a JSON object\n"
	"  -n, --dry-run             write nothing; print the plan\n"
	"  -q, --quiet               no warnings, no summary\n"
	"      --purge               with --rollback: purge what it deletes\n"
	"      --rate N              requests other than writes per 10 s (4000)\n"
	"      --recover             recover soft-deleted names, then write them\n"
	"      --rollback            delete what the mapping on stdin created\n"
	"  -v, --verbose             say what happened to each record\n"
	"      --vault NAME|URL      the vault (KEY_VAULT_NAME)\n"
	"      --version             print the version and exit\n"
	"      --write-budget N[/S]  at most N writes in any S seconds (300/10)\n"
	"      --write-rate N        secret writes per 10 s (300)\n";

/* What to do when Key Vault refuses, in kv-put's terms (kv_errmsg). */
static const char *const cures[KV_CAUSE_COUNT] = {
	[KV_CAUSE_UNRESOLVED] = "check the vault name (--vault, "
	    "KEY_VAULT_NAME) or, behind a private endpoint, the private DNS "
	    "zone",
	[KV_CAUSE_RBAC] = "the identity lacks the Key Vault Secrets Officer "
	    "role on the vault (kv-grant, or az role assignment create; new "
	    "assignments take a few minutes to apply)",
	[KV_CAUSE_ACCESS_POLICY] = "give the identity secret permissions get, "
	    "list, set and recover, or move the vault to Azure RBAC",
	[KV_CAUSE_DISABLED] = "enable it, or write with --force",
	[KV_CAUSE_DELETED] = "rerun with --recover to recover it, or purge it "
	    "first (az keyvault secret purge)",
	[KV_CAUSE_TOO_LARGE] = "split it with kv-name --split, or keep it in "
	    "Vault",
	[KV_CAUSE_BAD_NAME] = "map names with kv-name",
	[KV_CAUSE_THROTTLED] = "lower --write-rate or -j",
};

/*
 * What a run needs of the vault (--dry-run checks it): list, read and set
 * secrets; recover them with --recover, the last entry.
 */
#define OFFICER		"Key Vault Secrets Officer"
static const struct preflight_need needs[] = {
	{ KV_DATA_SECRETS "readMetadata/action", 1, "list secrets", OFFICER,
	    "list", PREFLIGHT_PROBE_LIST },
	{ KV_DATA_SECRETS "getSecret/action", 1, "read secrets", OFFICER,
	    "get", PREFLIGHT_PROBE_GET },
	{ KV_DATA_SECRETS "setSecret/action", 1, "set secrets", OFFICER,
	    "set", PREFLIGHT_NO_PROBE },
	{ KV_DATA_SECRETS "recover/action", 1, "recover secrets", OFFICER,
	    "recover", PREFLIGHT_NO_PROBE },
	{ NULL, 0, NULL, NULL, NULL, 0 }
};
#define NEED_LIST	0
#define NEED_RECOVER	3

/*
 * The mapping could not be written: no write to Key Vault may start any
 * more, for its line would be lost too.  Set by the emitting thread.
 */
static atomic_int output_failed;

/* A fatal error whose message was malloc'd: freed first (leak checkers). */
static void __attribute__((noreturn))
fatal_free(const char *what, char *m)
{
	char line[2048];

	snprintf(line, sizeof(line), "%s%s%s", what != NULL ? what : "",
	    what != NULL ? ": " : "", m);
	free(m);
	msg_fatal("%s", line);
}

/*
 * A name's key in p->names: names are unique per vault only, so the
 * vault's key comes first (a space is in neither).  malloc'd.
 */
static char *
ent_key(const struct kvvault *v, const char *name)
{
	return xasprintf("%s %s", v->key, name);
}

/*
 * The entry of a name (an ent_key), made when missing.  With p->mu held
 * if shared.
 */
static struct ent *
ent_get(struct put *p, const char *name)
{
	struct ent *e, *known;
	size_t keys;

	if ((known = cimap_get(p->names, name)) != NULL)
		return known;
	e = xcalloc(1, sizeof(*e));
	e->vver = -1;
	/* Held: the vault has it; the rest is asked again. */
	e->exists = nameset_has(p->held, name);
	keys = cimap_count(p->names);
	cimap_put(p->names, name, e);
	if (cimap_count(p->names) == keys)
		p->gone--;	/* a key let go, taken again */
	p->live++;
	return e;
}

static int
ent_keep(const char *name, void *val, void *arg)
{
	if (val != NULL)
		cimap_put(arg, name, val);
	return 0;
}

static int
ent_free(const char *name, void *val, void *arg)
{
	struct ent *e = val;

	if (e == NULL)
		return 0;
	kvvers_release(&e->vers);
	free(e->vpath);
	free(e->vns);
	free(e->cur_id);
	free(e);
	return 0;
}

/*
 * The entry of a name whose records are all done and which the vault now
 * holds: freed, and its name kept in p->held alone, so memory stays flat
 * however many names a run writes; a later record of the name asks the
 * vault again.  With p->mu held.
 */
static void
ent_let_go(struct put *p, const char *key, struct ent *e)
{
	struct cimap *m;

	nameset_add(p->held, key);
	cimap_put(p->names, key, NULL);
	ent_free(NULL, e, NULL);
	p->live--;
	p->gone++;
	/* The keys let go outnumber the live ones: a map of these alone. */
	if (p->gone > 1024 && p->gone > p->live) {
		m = cimap_new(0);
		cimap_iterate(p->names, ent_keep, m);
		cimap_free(p->names);
		p->names = m;
		p->gone = 0;
	}
}

/* Both NULL, or the same string. */
static int
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The name in a secret id or recovery id of collection coll, or NULL. */
static char *
id_name(const char *id, const char *coll)
{
	struct kv_id kid;
	char *name = NULL;

	if (kv_id_parse(id, &kid) == 0 && kid.coll != NULL &&
	    strcmp(kid.coll, coll) == 0) {
		name = kid.name;
		kid.name = NULL;
	}
	kv_id_release(&kid);
	return name;
}

/* Take what a secret bundle or item says about the current version. */
static void
ent_take(struct ent *e, const struct kvver *v)
{
	e->exists = 1;
	e->deleted = 0;
	free(e->vpath);
	e->vpath = v->vpath != NULL ? xstrdup(v->vpath) : NULL;
	e->vver = v->vv;
	free(e->vns);
	e->vns = v->vns != NULL ? xstrdup(v->vns) : NULL;
}

/*
 * The dry run's pre-flight of one vault, before anything is read for
 * its plan: its problems go out first, a line and a record each.  0, or
 * -1 when the vault's secrets cannot be listed.
 */
static int
preflight(struct put *p, struct azure_cred *cred, struct kvvault *vv)
{
	struct preflight_need nd[sizeof(needs) / sizeof(needs[0])];
	struct preflight pf;
	int rc;

	memcpy(nd, needs, sizeof(needs));
	if (!p->recover)
		nd[NEED_RECOVER] = nd[NEED_RECOVER + 1];
	preflight_init(&pf, nd, vv->url);
	preflight_kv(&pf, vv->kv, cred);
	p->problems += preflight_emit(&pf);
	rc = pf.state[NEED_LIST] != PREFLIGHT_ALLOWED ? -1 : 0;
	preflight_release(&pf);
	return rc;
}

/*
 * Learn a vault's names, their owners and the soft-deleted names, before
 * its first record is handed to the workers (or while other vaults'
 * records are in their hands: the entries are taken under p->mu).  0,
 * or -1 and a malloc'd *err when it cannot be listed.
 */
static int
survey(struct put *p, struct kvvault *vv, char **err)
{
	jv all, item;
	struct kvver v;
	char *name, *m, *k;
	struct ent *e;
	int i, n, nsec, ndel = 0;

	all = kv_list_all(vv->kv, "secrets?maxresults=25", NULL);
	if (!jv_is_valid(all)) {
		m = kv_call_msg(all);
		*err = xasprintf("listing secrets: %s", m);
		free(m);
		return -1;
	}
	n = nsec = jv_array_length(jv_copy(all));
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		item = jv_array_get(jv_copy(all), i);
		if ((name = id_name(rec_str(item, "id"), "secrets")) != NULL) {
			k = ent_key(vv, name);
			e = ent_get(p, k);
			kvver_take(&v, item);
			ent_take(e, &v);
			kvver_release(&v);
			free(k);
			free(name);
		}
		jv_free(item);
	}
	pthread_mutex_unlock(&p->mu);
	jv_free(all);
	all = kv_list_all(vv->kv, "deletedsecrets?maxresults=25", NULL);
	if (!jv_is_valid(all)) {
		m = kv_call_msg(all);
		msg_warn(vv->url, "cannot list soft-deleted secrets "
		    "(%s): a soft-deleted name will fail when written", m);
		free(m);
		return 0;
	}
	n = jv_array_length(jv_copy(all));
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < n; i++) {
		item = jv_array_get(jv_copy(all), i);
		name = id_name(rec_str(item, "recoveryId"), "deletedsecrets");
		if (name == NULL)
			name = id_name(rec_str(item, "id"), "secrets");
		if (name != NULL) {
			k = ent_key(vv, name);
			e = ent_get(p, k);
			if (!e->exists) {
				e->deleted = 1;
				ndel++;
			}
			free(k);
			free(name);
		}
		jv_free(item);
	}
	pthread_mutex_unlock(&p->mu);
	jv_free(all);
	msg_info(vv->url, "%d secrets, %d soft-deleted", nsec, ndel);
	return 0;
}

/*
 * A Go duration field that time_parse_duration refuses (malformed, or
 * beyond Go's 292 years: "99999999999999999999h"): a malloc'd message.
 */
static char *
duration_problem(jv rec, const char *field)
{
	const char *s = rec_str(rec, field);
	double secs;

	if (s == NULL || *s == '\0' || (time_parse_duration(s, 0, &secs) ==
	    0 && secs >= 0))
		return NULL;
	return xasprintf("%s is \"%.40s%s\", not a Go duration (\"768h\", "
	    "\"1h30m\") within 292 years", field, s,
	    strlen(s) > 40 ? "..." : "");
}

/*
 * The expiry: --expires when given; else a KV v2 delete_version_after,
 * counted from the version's creation as Vault counts it; else the
 * default.  0 for none.
 */
static long long
expiry(struct put *p, jv rec)
{
	time_t now = time(NULL), created;
	const char *ct, *d;
	double dva;

	if (!p->expires_given && (d = rec_str(rec, "delete_version_after")) !=
	    NULL && time_parse_duration(d, 0, &dva) == 0 && dva > 0) {
		if ((ct = rec_str(rec, "created_time")) == NULL ||
		    time_parse_rfc3339(ct, &created) == -1)
			created = now;
		return (long long)created + (long long)dva;
	}
	if (p->expires_days < 0)
		return 0;
	return (long long)now + p->expires_days * 86400LL;
}

/* Characters of UTF-8 text (the service counts characters). */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static jv
add_tag(jv tags, const char *k, const char *v, struct buf *dropped)
{
	/*
	 * custom_metadata never replaces a tag of kv-put's own (a key
	 * "path" or "namespace" would otherwise rewrite whose it is).
	 */
	if (jv_object_has(jv_copy(tags), jv_string(k)) ||
	    jv_object_length(jv_copy(tags)) >= MAX_TAGS ||
	    chars(k) > MAX_TAG_LEN || chars(v) > MAX_TAG_LEN) {
		buf_printf(dropped, "%s%s", dropped->len ? ", " : "", k);
		return tags;
	}
	return jv_object_set(tags, jv_string(k), jv_string(v));
}

/*
 * The tags: where the secret came from, then custom_metadata as
 * vault-KEY (sorted), within the service's 15 tags of 512 characters;
 * what does not fit is named in a warning.  The namespace is part of
 * whose the secret is: when its tag does not fit, invalid (the record
 * fails rather than go out as another namespace's).
 */
static jv
make_tags(struct put *p, jv rec, const char *vpath, const char *ns,
    const char *label)
{
	struct buf dropped, reserved;
	jv tags = jv_object(), cm, keys, k, v;
	char num[32], *tn;
	int i, n;

	buf_init(&dropped);
	buf_init(&reserved);
	tags = add_tag(tags, KV_TAG_FROM, p->from, &dropped);
	if (vpath != NULL)
		tags = add_tag(tags, KV_TAG_PATH, vpath, &dropped);
	if (ns != NULL) {
		if (chars(ns) > MAX_TAG_LEN) {
			buf_release(&reserved);
			buf_release(&dropped);
			jv_free(tags);
			return jv_invalid_with_msg(jv_string_fmt("namespace of "
			    "%zu characters: Key Vault keeps tag values of at "
			    "most %d, and the namespace is part of whose the "
			    "secret is", chars(ns), MAX_TAG_LEN));
		}
		tags = add_tag(tags, KV_TAG_NS, ns, &dropped);
	}
	v = jv_object_get(jv_copy(rec), jv_string("version"));
	if (jv_get_kind(v) == JV_KIND_NUMBER) {
		snprintf(num, sizeof(num), "%.0f", jv_number_value(v));
		tags = add_tag(tags, KV_TAG_VERSION, num, &dropped);
	}
	jv_free(v);
	tags = add_tag(tags, KV_TAG_DATE, p->date, &dropped);
	cm = jv_object_get(jv_copy(rec), jv_string("custom_metadata"));
	if (jv_get_kind(cm) == JV_KIND_OBJECT) {
		keys = jv_keys(jv_copy(cm));
		n = jv_array_length(jv_copy(keys));
		for (i = 0; i < n; i++) {
			k = jv_array_get(jv_copy(keys), i);
			v = jv_object_get(jv_copy(cm), jv_copy(k));
			if (jv_get_kind(v) != JV_KIND_STRING)
				v = jv_dump_string(v, 0);
			tn = xasprintf("vault-%s", jv_string_value(k));
			/* Reserved even when not set: never another's. */
			if (strcmp(tn, KV_TAG_PATH) == 0 ||
			    strcmp(tn, KV_TAG_VERSION) == 0 ||
			    strcmp(tn, KV_TAG_NS) == 0)
				buf_printf(&reserved, "%s%s", reserved.len ?
				    ", " : "", tn);
			else
				tags = add_tag(tags, tn, jv_string_value(v),
				    &dropped);
			free(tn);
			jv_free(v);
			jv_free(k);
		}
		jv_free(keys);
	}
	jv_free(cm);
	if (reserved.len > 0)
		msg_warn(label, "custom_metadata not written as tags, whose "
		    "names kv-put's own tags have: %s", reserved.data);
	if (dropped.len > 0)
		msg_warn(label, "tags not written (Key Vault keeps %d tags of "
		    "at most %d characters): %s", MAX_TAGS, MAX_TAG_LEN,
		    dropped.data);
	buf_release(&reserved);
	buf_release(&dropped);
	return tags;
}

/* The content type, NUL, then the value's bytes (NULs included). */
static void
value_hash(const char *ct, const char *value, size_t len, char out[65])
{
	struct buf b;

	buf_init(&b);
	buf_addstr(&b, ct != NULL ? ct : "");
	buf_addc(&b, '\0');
	buf_add(&b, value, len);
	hash_sha256_hex(b.data, b.len, out);
	buf_release(&b);
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !msg_stop)
		;
}

/*
 * The current version's content type and value hash, its id and tags:
 * 1 read, 0 the name is gone, -1 failed (*st, *err).
 */
static int
read_current(struct kv *kv, struct ent *e, const char *name, long *st,
    char **err)
{
	struct kvver v;
	int rc;

	if ((rc = kvver_read(kv, name, NULL, &v, st, err)) ==
	    KVVER_ABSENT) {
		e->exists = 0;
		return 0;
	}
	if (rc != KVVER_READ)
		return -1;
	ent_take(e, &v);
	free(e->cur_id);
	e->cur_id = v.id;
	v.id = NULL;
	value_hash(v.ctype, v.value != NULL ? v.value : "", v.len, e->hash);
	e->have_hash = 1;
	kvver_release(&v);
	return 1;
}

/*
 * Recover a soft-deleted name and wait until it can be read again
 * (recovery is asynchronous: GET answers 404 until it is done).
 */
static int
recover(struct kv *kv, struct ent *e, const char *name, long *st,
    char **err)
{
	char *path;
	time_t deadline = time(NULL) + RECOVER_WAIT_S;
	int rc;
	jv r;

	path = xasprintf("deletedsecrets/%s/recover", name);
	for (;;) {
		r = kv_call(kv, "POST", path, jv_invalid(), st);
		if (!jv_is_valid(r)) {
			free(path);
			*err = kv_call_msg(r);
			return -1;
		}
		if (*st == 409 && time(NULL) < deadline && !msg_stop &&
		    strcmp(kv_inner_code(r), "ObjectIsBeingDeleted") == 0) {
			jv_free(r);
			sleep_ms(1000);
			continue;
		}
		break;
	}
	free(path);
	if (*st != 200 && *st != 404) {
		*err = kv_errmsg(r, *st);
		jv_free(r);
		return -1;
	}
	jv_free(r);
	e->deleted = 0;
	while (!msg_stop) {
		rc = read_current(kv, e, name, st, err);
		if (rc != 0)
			return rc == 1 ? 0 : -1;
		if (time(NULL) >= deadline) {
			*err = xasprintf("recovery of %s did not complete "
			    "within %d seconds", name, RECOVER_WAIT_S);
			return -1;
		}
		sleep_ms(500);
	}
	*err = xstrdup("interrupted while waiting for the recovery");
	return -1;
}

/* SetSecret; waits out a delete or recovery still in progress. */
static int
write_secret(struct kv *kv, const char *name, const char *value,
    size_t len, const char *ct, jv tags, long long exp, long *st, char **id,
    char **err)
{
	time_t deadline = time(NULL) + BUSY_WAIT_S;
	const char *ic;
	char *path;
	jv body, attrs, r;

	path = xasprintf("secrets/%s", name);
	for (;;) {
		attrs = jv_object_set(jv_object(), jv_string("enabled"),
		    jv_true());
		if (exp > 0)
			attrs = jv_object_set(attrs, jv_string("exp"),
			    jv_number((double)exp));
		body = jv_object();
		/* Counted: a U+0000 in the value goes out as \u0000. */
		body = jv_object_set(body, jv_string("value"),
		    jv_string_sized(value, (int)len));
		body = jv_object_set(body, jv_string("contentType"),
		    jv_string(ct));
		body = jv_object_set(body, jv_string("tags"), jv_copy(tags));
		body = jv_object_set(body, jv_string("attributes"), attrs);
		r = kv_call(kv, "PUT", path, body, st);
		if (!jv_is_valid(r)) {
			*err = kv_call_msg(r);
			break;
		}
		ic = kv_inner_code(r);
		if (*st == 409 && time(NULL) < deadline && !msg_stop &&
		    (strcmp(ic, "ObjectIsBeingDeleted") == 0 ||
		    strcmp(ic, "ObjectIsBeingRecovered") == 0)) {
			jv_free(r);
			sleep_ms(1000);
			continue;
		}
		if (*st != 200) {
			*err = kv_errmsg(r, *st);
			jv_free(r);
			break;
		}
		*id = rec_str(r, "id") != NULL ? xstrdup(rec_str(r, "id")) :
		    NULL;
		jv_wipe_free(r);
		free(path);
		return 0;
	}
	free(path);
	return -1;
}

static jv
finish(jv rec, const char *status, const char *id)
{
	rec = rec_strip_data(rec);
	if (id != NULL)
		rec = jv_object_set(rec, jv_string("id"), jv_string(id));
	if (status != NULL)
		rec = jv_object_set(rec, jv_string("status"),
		    jv_string(status));
	return rec;
}

static jv
fail(jv rec, const char *label, long st, const char *msg)
{
	msg_warn(label, "%s", msg);
	rec = rec_strip_data(rec);
	return rec_error(rec, st, "%s", msg);
}

/*
 * A request that failed: after SIGINT or SIGTERM the engine abandons
 * what it had not sent, and the summary says how many.
 */
static jv
fail_req(jv rec, const char *label, long st, const char *msg)
{
	if (msg_stop)
		return rec_error(rec_strip_data(rec), 0, "%s", INTERRUPTED);
	/* Held back (http_hold): counted in the summary, not named. */
	if (atomic_load(&output_failed))
		return rec_error(rec_strip_data(rec), 0, "%s", NO_OUTPUT);
	return fail(rec, label, st, msg);
}

struct job {
	struct put	*p;
	struct kv	*kv;		/* the record's vault */
	struct ent	*e;
	jv		 rec;
	char		*label;
	const char	*name;
	char		*vpath;
	const char	*ns;		/* the record's namespace, or NULL */
	char		*value;
	size_t		 len;		/* of value */
	const char	*ct;
	char		 hash[65];
	jv		 tags;
	long long	 exp;
	long		 version;
};

/* The name now holds the job's version (or will, in a dry run): id. */
static void
ent_wrote(struct ent *e, const struct job *j, const char *id)
{
	e->exists = 1;
	e->deleted = 0;
	free(e->vpath);
	e->vpath = j->vpath != NULL ? xstrdup(j->vpath) : NULL;
	free(e->vns);
	e->vns = j->ns != NULL ? xstrdup(j->ns) : NULL;
	e->vver = j->version;
	memcpy(e->hash, j->hash, sizeof(e->hash));
	e->have_hash = 1;
	free(e->cur_id);
	e->cur_id = id != NULL ? xstrdup(id) : NULL;
}

/*
 * Decide and act for one record whose turn it is.  Returns the record
 * to emit.
 */
static jv
put_turn(struct job *j)
{
	struct put *p = j->p;
	struct ent *e = j->e;
	char *err = NULL, *newid = NULL, *m;
	long st = 0;
	int owned, rc, existed, i;
	jv rec = j->rec;

	if (msg_stop)
		return fail_req(rec, j->label, 0, INTERRUPTED);
	if (p->unplanned != NULL)
		return rec_error(rec_strip_data(rec), 0, "%s", p->unplanned);
	if (e->deleted) {
		if (!p->recover) {
			m = xasprintf("%s is soft-deleted in the vault: rerun "
			    "with --recover to recover it and write a new "
			    "version, or purge it first", j->name);
			rec = fail(rec, j->label, 409, m);
			free(m);
			return rec;
		}
		if (p->dry_run) {
			/* Plan as if recovered to a version of ours. */
			ent_wrote(e, j, NULL);
			return finish(rec, "would-recover", NULL);
		}
		if (atomic_load(&output_failed))
			return rec_error(rec_strip_data(rec), 0, NO_OUTPUT);
		if (recover(j->kv, e, j->name, &st, &err) == -1) {
			m = xasprintf("cannot recover %s: %s", j->name, err);
			rec = fail_req(rec, j->label, st, m);
			free(m);
			free(err);
			return rec;
		}
		msg_info(j->label, "recovered %s", j->name);
		pthread_mutex_lock(&p->mu);
		p->recovered++;
		pthread_mutex_unlock(&p->mu);
	}
	existed = e->exists;
	if (e->exists && !e->have_hash) {
		rc = read_current(j->kv, e, j->name, &st, &err);
		if (rc == -1 && !(p->force && st == 403)) {
			rec = fail_req(rec, j->label, st, err);
			free(err);
			return rec;
		}
		free(err);
		err = NULL;
		existed = e->exists;
	}
	if (e->exists) {
		/* Whose: the same path in the same namespace. */
		owned = same_str(e->vpath, j->vpath) &&
		    same_str(e->vns, j->ns);
		if (!owned && !p->force) {
			if (e->vpath != NULL && e->vns != NULL)
				m = xasprintf("%s already holds %s of namespace "
				    "%s (vault-path and vault-namespace tags): "
				    "not written (--force overwrites)",
				    j->name, e->vpath, e->vns);
			else if (e->vpath != NULL && j->ns != NULL)
				m = xasprintf("%s already holds %s of no "
				    "namespace (vault-path tag, no "
				    "vault-namespace): not written (--force "
				    "overwrites)", j->name, e->vpath);
			else if (e->vpath != NULL)
				m = xasprintf("%s already holds %s (vault-path "
				    "tag): not written (--force overwrites)",
				    j->name, e->vpath);
			else
				m = xasprintf("%s already exists and was not "
				    "written by kv-put (no vault-path tag): not "
				    "written (--force overwrites)", j->name);
			rec = fail(rec, j->label, 0, m);
			free(m);
			return finish(rec, "conflict", NULL);
		}
		if (owned && j->version > 0 && e->vver > 0 &&
		    j->version < e->vver) {
			/*
			 * An older Vault version than the vault's current one:
			 * migrated before (its version is there), or it would
			 * land out of order.
			 */
			if (!e->have_versions && kvver_list(j->kv, j->name,
			    &e->vers, &st, &err) == 0 && st == 404)
				err = xasprintf("%s is no longer in the vault",
				    j->name);
			if (err != NULL) {
				rec = fail_req(rec, j->label, 0, err);
				free(err);
				return rec;
			}
			e->have_versions = 1;
			if (j->vpath != NULL && (i = kvvers_find_tag(&e->vers,
			    j->version, j->vpath, j->ns)) >= 0 &&
			    e->vers.v[i].id != NULL)
				return finish(rec, "unchanged",
				    e->vers.v[i].id);
			msg_warn(j->label, "version %ld not written: the "
			    "vault already holds the later version %ld, and "
			    "Key Vault adds versions only on top", j->version,
			    e->vver);
			return finish(rec, "skipped", NULL);
		}
		if (owned && e->have_hash && strcmp(e->hash, j->hash) == 0)
			return finish(rec, "unchanged", e->cur_id);
	}
	if (p->dry_run) {
		ent_wrote(e, j, NULL);
		return finish(rec, existed ? "would-update" : "would-create",
		    NULL);
	}
	if (atomic_load(&output_failed))
		return rec_error(rec_strip_data(rec), 0, NO_OUTPUT);
	if (write_secret(j->kv, j->name, j->value, j->len, j->ct, j->tags, j->exp,
	    &st, &newid, &err) == -1) {
		rec = fail_req(rec, j->label, st, err);
		free(err);
		return rec;
	}
	ent_wrote(e, j, newid);
	if (e->have_versions && newid != NULL && j->version > 0)
		kvvers_add(&e->vers, newid, j->version, j->vpath,
		    j->ns);
	rec = finish(rec, existed ? "updated" : "created", newid);
	free(newid);
	return rec;
}

/*
 * A worker: check, take the name's turn, write, hand the turn on.  The
 * tag is the record's ticket for its name's turn, -1 for none.
 */
static jv
put_one(jv rec, long ticket, void *arg)
{
	struct put *p = arg;
	struct kvvault *vv = NULL;
	struct job j;
	const char *name;
	char *err = NULL, *m, *key = NULL;
	int fresh;
	jv data;

	if (rec_failed(rec))
		return rec_strip_data(rec);
	memset(&j, 0, sizeof(j));
	j.p = p;
	j.label = rec_label(rec, 0);
	j.tags = jv_invalid();
	name = rec_str(rec, "name");
	/* route() made it, and put its canonical URL in the record. */
	if (ticket >= 0 && (vv = kvset_get(p->set, rec_str(rec, "vault"),
	    &fresh, &m)) == NULL) {
		rec = fail(rec, j.label, 0, m);
		free(m);
		goto out;
	}
	if (ticket < 0) {
		m = name == NULL ? xstrdup("no name: pipe the records "
		    "through kv-name first") :
		    xasprintf("%s is not a Key Vault secret name: map names "
		    "with kv-name", name);
		rec = fail(rec, j.label, 0, m);
		free(m);
		goto out;
	}

	/* Everything that needs no request, before taking the turn. */
	data = jv_object_get(jv_copy(rec), jv_string("data"));
	/* The tags come from these: a wrong type must not go untagged. */
	if ((err = rec_field_problem(rec, "mount", JV_KIND_STRING, 0)) ||
	    (err = rec_field_problem(rec, "path", JV_KIND_STRING, 0)) ||
	    (err = rec_field_problem(rec, "namespace", JV_KIND_STRING, 0)) ||
	    (err = rec_field_problem(rec, "version", JV_KIND_NUMBER, 0)) ||
	    (err = rec_int_problem(rec, "version", 1, REC_INT_MAX,
	    "a version number (1, 2, ...)")) ||
	    (err = rec_field_problem(rec, "custom_metadata", JV_KIND_OBJECT,
	    0)) ||
	    (err = rec_field_problem(rec, "delete_version_after",
	    JV_KIND_STRING, 0)) ||
	    (err = duration_problem(rec, "delete_version_after")))
		;
	else if (jv_get_kind(data) != JV_KIND_OBJECT)
		err = xstrdup(jv_get_kind(data) == JV_KIND_INVALID ||
		    jv_get_kind(data) == JV_KIND_NULL ? "no data: pipe "
		    "vault-dump into kv-put" : "data is not an object");
	else if ((j.value = kv_shape_value(data, p->json, &j.ct, &j.len,
	    &err)) != NULL && j.len > KV_MAX_VALUE) {
		err = xasprintf("value of %zu bytes is over Key Vault's "
		    "limit of %d: split it with kv-name --split, or keep it "
		    "in Vault", j.len, KV_MAX_VALUE);
	}
	jv_wipe_free(data);
	j.name = name;
	if (err == NULL) {
		value_hash(j.ct, j.value, j.len, j.hash);
		j.vpath = kv_record_vpath(rec);
		/* "" is the root, as no namespace. */
		j.ns = rec_str(rec, "namespace");
		if (j.ns != NULL && *j.ns == '\0')
			j.ns = NULL;
		j.tags = make_tags(p, rec, j.vpath, j.ns, j.label);
		if (!jv_is_valid(j.tags)) {
			err = kv_call_msg(j.tags);
			j.tags = jv_invalid();
		}
		j.exp = expiry(p, rec);
		j.version = (long)rec_int(rec, "version", 1, REC_INT_MAX, -1);
	}

	/* The name's turn: records of one name go in input order. */
	j.kv = vv->kv;
	key = ent_key(vv, name);
	pthread_mutex_lock(&p->mu);
	j.e = ent_get(p, key);
	while (j.e->turn != (unsigned long)ticket)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);

	if (err != NULL) {
		rec = fail(rec, j.label, 0, err);
		free(err);
	} else {
		/* name stays valid: the record keeps its "name". */
		j.rec = rec;
		rec = put_turn(&j);
	}

	pthread_mutex_lock(&p->mu);
	j.e->turn++;
	/*
	 * No record of the name waits and the vault holds what we know: let
	 * the entry go (a dry run keeps its plan, which the vault lacks).
	 */
	if (!p->dry_run && j.e->turn == j.e->issued && j.e->exists &&
	    !j.e->deleted)
		ent_let_go(p, key, j.e);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
out:
	wipe_freen(j.value, j.len);
	jv_free(j.tags);
	free(j.vpath);
	free(j.label);
	free(key);
	return rec;
}

/* Was the record left unwritten by SIGINT or SIGTERM? */
static int
interrupted(jv rec)
{
	const char *m = rec_error_str(rec, "message");

	return m != NULL && strcmp(m, INTERRUPTED) == 0;
}

/*
 * A record whose mapping line could not be written: when kv-put wrote it
 * to Key Vault, say so, naming where it went.
 */
static int
lost(jv rec, long tag, void *arg)
{
	struct put *p = arg;
	const char *s = rec_str(rec, "status");
	char *l;

	if (s != NULL && !rec_failed(rec) && (strcmp(s, "created") == 0 ||
	    strcmp(s, "updated") == 0)) {
		p->unmapped++;
		l = rec_label(rec, 0);
		msg_error(l, "written to Key Vault as %s, but its mapping line "
		    "was lost: %s", rec_str(rec, "name"),
		    strerror(msg_output_errno()));
		free(l);
	}
	jv_free(rec);
	return 0;
}

/* Write the record's line, then count it: the summary counts lines out. */
static int
emit(jv rec, long tag, void *arg)
{
	struct put *p = arg;
	const char *s;
	int failed;
	jv kept = jv_copy(rec);

	if (rec_emit(rec) == -1) {
		atomic_store(&output_failed, 1);
		http_hold(p->http);
		lost(kept, tag, p);
		return -1;
	}
	s = rec_str(kept, "status");
	failed = rec_fate(kept);
	p->out++;
	if (s != NULL && strcmp(s, "conflict") == 0)
		p->conflicts++;
	else if (failed && msg_stop && interrupted(kept))
		p->interrupted++;
	else if (failed)
		p->failed++;
	else if (s != NULL && (strcmp(s, "created") == 0 ||
	    strcmp(s, "would-create") == 0))
		p->created++;
	else if (s != NULL && (strcmp(s, "updated") == 0 ||
	    strcmp(s, "would-update") == 0 ||
	    strcmp(s, "would-recover") == 0))
		p->updated++;
	else if (s != NULL && strcmp(s, "unchanged") == 0)
		p->unchanged++;
	else if (s != NULL && strcmp(s, "skipped") == 0)
		p->skipped++;
	msg_progress_add(failed);
	if (msg_verbosity >= 1 && s != NULL && !failed) {
		char *l = rec_label(kept, 0);

		msg_info(l, "%s %s", s, rec_str(kept, "name"));
		free(l);
	}
	jv_free(kept);
	return 0;
}

/*
 * The record's ticket for its name's turn (main thread), -1 when it has
 * no turn to take: failed, or no valid name.
 */
static long
ticket(struct put *p, jv rec /* borrowed */, struct kvvault *vv)
{
	const char *name;
	struct ent *e;
	unsigned long t;
	char *key;

	if (vv == NULL || rec_failed(rec) ||
	    (name = rec_str(rec, "name")) == NULL || !kv_name_valid(name))
		return -1;
	key = ent_key(vv, name);
	pthread_mutex_lock(&p->mu);
	e = ent_get(p, key);
	t = e->issued++;
	pthread_mutex_unlock(&p->mu);
	free(key);
	return (long)t;
}

/* --write-budget n[/s]: n writes in any s seconds (default 10). */
static long
parse_budget(const char *arg, long *window)
{
	char *s = xstrdup(arg), *slash;
	long n;

	if ((slash = strchr(s, '/')) != NULL) {
		*slash = '\0';
		*window = (long)xstrtonum(slash + 1, 1, 3600,
		    "--write-budget seconds");
	} else
		*window = BUDGET_WINDOW;
	n = (long)xstrtonum(s, 1, 1000000, "--write-budget");
	free(s);
	return n;
}

/*
 * The record's vault (main thread): its "vault" field, else the default
 * (--vault, KEY_VAULT_NAME).  A vault named for the first time is
 * surveyed here, before any of its records reaches a worker.  The
 * record then carries the vault's canonical URL (the mapping says where
 * each secret went); one whose vault is bad, missing or cannot be
 * listed fails.  *out is the vault, NULL when there is none.
 */
static jv
route(struct put *p, jv rec, struct kvvault **out)
{
	struct kvvault *vv = NULL;
	char *err, *m, *label;
	int fresh = 0;

	*out = NULL;
	if (rec_failed(rec))
		return rec;
	if ((vv = kvset_route(p->set, rec, &fresh, &err)) != NULL) {
		/* A dry run's pre-flight of each vault, as of the default. */
		if (fresh && vv->data == NULL && p->dry_run &&
		    preflight(p, p->cred, vv) == -1)
			vv->data = xasprintf("not planned: the pre-flight found "
			    "that the secrets of vault %s cannot be listed",
			    vv->url);
		else if (fresh && vv->data == NULL &&
		    survey(p, vv, &m) == -1)
			kvset_refuse(vv, m);
		if (vv->data != NULL)
			err = xstrdup(vv->data);
	}
	if (err != NULL) {
		label = rec_label(rec, 0);
		rec = fail(rec, label, 0, err);
		free(label);
		free(err);
		return rec;
	}
	*out = vv;
	return jv_object_set(rec, jv_string("vault"), jv_string(vv->url));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		KV_LONGOPTS,
		{ "force",	no_argument,		NULL, 'f' },
		{ "purge",	no_argument,		NULL, OPT_PURGE },
		{ "recover",	no_argument,		NULL, OPT_RECOVER },
		{ "rollback",	no_argument,		NULL, OPT_ROLLBACK },
		{ "write-budget", required_argument,	NULL, OPT_WRITE_BUDGET },
		{ "write-rate",	required_argument,	NULL, OPT_WRITE_RATE },
		MSG_LONGOPTS(OPT_VERSION)
	};
	struct http *http;
	struct azure_cred *cred;
	struct rec_reader rd;
	struct pool *pool;
	struct put p;
	struct tm tm;
	struct kvvault *vv;
	const char *vault = NULL, *cn;
	char *err;
	long write_rate = 0, all_rate = 0;
	long write_budget = WRITE_BUDGET, window = BUDGET_WINDOW;
	long sent, retried, throttled;
	char ni[48], *summary, *dstr;
	double dur, rdur;
	long wb, ww;
	time_t now;
	int ch, rc, status, undo = 0, purge = 0, deep = 0;
	jv rec;

	msg_init("kv-put");
	msg_help_text(synopsis, options);
	memset(&p, 0, sizeof(p));
	p.expires_days = EXPIRES_DAYS;
	while ((ch = getopt_long(argc, argv, "fhj:nqv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'f':
			p.force = 1;
			break;
		case OPT_PURGE:
			purge = 1;
			break;
		case OPT_RECOVER:
			p.recover = 1;
			break;
		case OPT_ROLLBACK:
			undo = 1;
			break;
		case KV_OPT_EXPIRES:
			p.expires_given = 1;
			if (strcmp(optarg, "never") == 0)
				p.expires_days = -1;
			else
				p.expires_days = (long)xstrtonum(optarg, 1,
				    36500, "--expires");
			break;
		case KV_OPT_JSON:
			p.json = 1;
			break;
		case KV_OPT_RATE:
			all_rate = (long)xstrtonum(optarg, 1, 1000000,
			    "--rate");
			break;
		case KV_OPT_VAULT:
			vault = optarg;
			break;
		case OPT_WRITE_BUDGET:
			write_budget = parse_budget(optarg, &window);
			break;
		case OPT_WRITE_RATE:
			write_rate = (long)xstrtonum(optarg, 1, 1000000,
			    "--write-rate");
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	msg_no_operands(argc);
	p.dry_run = msg_dry_run;
	if (purge && !undo)
		msg_usage_error("--purge goes with --rollback");
	if (undo && (p.force || p.recover || p.json || p.expires_given))
		msg_usage_error("--rollback writes nothing: -f, --recover, "
		    "--json and --expires have no place with it");
	/* None: every record must carry its own. */
	vault = kv_target(vault);
	if (undo && vault == NULL)
		msg_usage_error("--rollback: no vault: give --vault NAME|URL or "
		    "set KEY_VAULT_NAME");

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(p.date, sizeof(p.date), "%Y-%m-%d", &tm);
	p.from = kv_migrated_from();
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.names = cimap_new(0);
	p.held = nameset_new();

	http = start_http("KV_CLIENT_TIMEOUT", msg_jobs, 1);
	p.http = http;
	p.set = start_kvset(http, vault, cures, write_rate / 10.0,
	    all_rate / 10.0, &cred);
	p.cred = cred;
	/*
	 * By default each vault's whole budgets, counted over their window:
	 * an idle vault takes the first WRITE_BUDGET writes at once, and no
	 * window however counted gets more.  --write-rate and --rate pace
	 * evenly instead, for a vault that other jobs share.
	 */
	kvset_set_window(p.set, write_rate > 0 ? 0 : (int)write_budget,
	    (double)window, all_rate > 0 ? 0 : ALL_BUDGET, BUDGET_WINDOW);
	vv = kvset_default(p.set);
	if (undo) {
		status = rollback(p.set, purge, p.dry_run, &summary);
		stop_kvset(p.set, cred, http, &sent, &retried, &throttled);
		cimap_free(p.names);
		nameset_free(p.held);
		free(p.from);
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
		status = msg_finish(status, "%s; %ld requests, %ld retried, "
		    "%ld throttled", summary, sent, retried, throttled);
		free(summary);
		return status;
	}

	/* The default vault answers before anything is read. */
	if (vv != NULL && p.dry_run && preflight(&p, cred, vv) == -1)
		p.unplanned = "not planned: the pre-flight found that the "
		    "vault's secrets cannot be listed";
	else if (vv != NULL && survey(&p, vv, &err) == -1)
		fatal_free(vv->url, err);
	if ((cn = azure_cred_name(cred)) != NULL)
		msg_info(vv != NULL ? vv->url : NULL, "signed in with %s", cn);

	/*
	 * A lane, and -j workers, for each vault: none holds up another.
	 * One more worker for the records of no vault, which fail without
	 * a request (-j of them were -j idle threads, #17: peak RSS); the
	 * ring holds 2 * jobs records, as pool_new(jobs) makes it.
	 */
	pool = pool_new(1, put_one, emit, &p);
	pool_grow(pool, 2 * (unsigned long)msg_jobs);
	pool_set_lanes(pool, msg_jobs);
	pool_on_lost(pool, lost);
	rec_reader_init(&rd, stdin);
	while ((rc = rec_next_input(&rd, &rec)) != 0) {
		p.in++;
		/*
		 * Records that name vaults: read up to READ_AHEAD of them
		 * ahead, so that the next vault's records are reached while
		 * the first's still wait at its budget.  A run into the
		 * default vault alone keeps its memory flat.
		 */
		if (rc == 1 && !deep && rec_str(rec, "vault") != NULL) {
			pool_grow(pool, READ_AHEAD);
			deep = 1;
		}
		rec = route(&p, rec, &vv);
		if (pool_submit_lane(pool, rec, ticket(&p, rec, vv),
		    vv != NULL ? vv->idx : -1) == -1)
			break;
	}
	/* Every record is in: the progress line can tell how long is left. */
	msg_progress_total(p.in);
	rec_reader_release(&rd);
	pool_finish(pool);
	pool_free(pool);

	kvset_free_data(p.set);
	stop_kvset(p.set, cred, http, &sent, &retried, &throttled);
	cimap_iterate(p.names, ent_free, NULL);
	cimap_free(p.names);
	nameset_free(p.held);
	free(p.from);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	status = p.failed + p.conflicts + p.interrupted + p.problems > 0 ?
	    EXIT_PARTIAL : EXIT_OK;
	snprintf(ni, sizeof(ni), ", %ld not written", p.interrupted);
	if (p.in > p.out)
		msg_warn(NULL, "the output failed: %ld records not reported, "
		    "%ld of them written to Key Vault (named above)",
		    p.in - p.out, p.unmapped);
	if (p.dry_run) {
		/*
		 * By default the vault takes write_budget writes at once, then
		 * as many per window; --write-rate spreads them evenly.  An
		 * update or an unchanged secret is read first, on the budget
		 * of all other requests.
		 */
		wb = write_rate > 0 ? write_rate : write_budget;
		ww = write_rate > 0 ? BUDGET_WINDOW : window;
		dur = write_rate > 0 ? (p.created + p.updated) * 10.0 /
		    write_rate : preflight_duration(p.created + p.updated, wb,
		    ww);
		rdur = all_rate > 0 ? (p.updated + p.unchanged + p.conflicts) *
		    10.0 / all_rate : preflight_duration(p.updated +
		    p.unchanged + p.conflicts, ALL_BUDGET, BUDGET_WINDOW);
		dstr = preflight_seconds(dur > rdur ? dur : rdur);
		rc = msg_finish(status, "dry-run: %ld records: %ld would be "
		    "created, %ld would be updated, %ld unchanged, %ld "
		    "conflicts, %ld skipped, %s%s; nothing written; "
		    "expected duration %s at %ld writes per %ld s%s",
		    p.out, p.created, p.updated, p.unchanged, p.conflicts,
		    p.skipped, msg_failed_text(p.failed), p.problems > 0 ?
		    ", pre-flight problems above" : "", dstr, wb, ww,
		    write_rate > 0 ? ", evenly" : "");
		free(dstr);
		return rc;
	}
	return msg_finish(status, "%ld records: %ld created, %ld updated, "
	    "%ld unchanged, %ld conflicts, %ld skipped, %s, %ld "
	    "recovered%s; %ld requests, %ld retried, %ld throttled", p.out,
	    p.created, p.updated, p.unchanged, p.conflicts, p.skipped,
	    msg_failed_text(p.failed), p.recovered, p.interrupted > 0 ? ni : "", sent,
	    retried, throttled);
}
