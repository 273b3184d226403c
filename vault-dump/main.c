/* vault-dump: export KV secrets: adds each secret's data and metadata. */

#include <getopt.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define OPT_VERSION	256
#define GONE_MSG	"not found (deleted since listing?)"

/*
 * What Vault said of a mount: a KV mount of version kv, or (kv 0) one
 * nothing may be read from, and why.  Every lookup goes out from the
 * main thread before the record is handed to a worker, one entry a
 * namespace and mount path, so one lookup a mount, and no worker ever
 * reads below a mount that was not checked.  The same mount path in two
 * namespaces is two mounts.
 */
struct mountc {
	char	*ns;		/* its namespace: full path, "" the root */
	char	*name;		/* the mount point: no slashes at its ends */
	int	 kv;		/* 1 or 2; 0: refused */
	long	 status;	/* when refused: Vault's status, or 0 */
	char	*err;		/* when refused: why */
};

struct dump {
	struct vault	*vault;
	int		 all;		/* --all-versions */
	struct mountc	*mounts;	/* the KV version of each mount */
	size_t		 nmounts;
	atomic_long	 read;		/* versions read and exported */
	atomic_long	 deleted;	/* versions skipped */
	atomic_long	 destroyed;
	long		 out;
	long		 failed;
};

static const char synopsis[] =
    "usage: vault-dump [-ahqv] [-j jobs] [mount/path ...]\n";
static const char options[] =
	"  -a, --all-versions  one record per live KV v2 version, oldest first\n"
	"  -h, --help          print this help and exit\n"
	"  -j, --jobs JOBS     secrets read at once, 1 to 64 (8)\n"
	"  -q, --quiet         no warnings, no summary\n"
	"  -v, --verbose       say more; repeat for more\n"
	"      --version       print the version and exit\n";

/* VAULT_NAMESPACE's namespace, "" for the root. */
static const char *
own_ns(struct dump *d)
{
	const char *ns = vault_namespace(d->vault);

	return ns != NULL ? ns : "";
}

/*
 * The namespace a record is read in: its own (the full path vault-ls
 * gives it, "" the root), else VAULT_NAMESPACE's.
 */
static const char *
rec_ns(struct dump *d, jv rec /* borrowed */)
{
	const char *ns = rec_str(rec, "namespace");

	return ns != NULL ? ns : own_ns(d);
}

/*
 * The cached entry for a record's mount (exact), or the KV mount
 * holding an operand's path (the longest).
 */
static struct mountc *
mount_cached(struct dump *d, const char *ns, const char *path, int exact)
{
	struct mountc *best = NULL;
	size_t i;

	for (i = 0; i < d->nmounts; i++) {
		if (strcmp(d->mounts[i].ns, ns) != 0)
			continue;
		if (exact ? strcmp(d->mounts[i].name, path) != 0 :
		    d->mounts[i].kv == 0 ||
		    !vault_in_mount(path, d->mounts[i].name))
			continue;
		if (best == NULL ||
		    strlen(d->mounts[i].name) > strlen(best->name))
			best = &d->mounts[i];
	}
	return best;
}

static struct mountc *
mount_add(struct dump *d, const char *ns, char *name, int kv, long status,
    char *err)
{
	struct mountc *m;

	d->mounts = xrealloc(d->mounts, (d->nmounts + 1) *
	    sizeof(*d->mounts));
	m = &d->mounts[d->nmounts++];
	m->ns = xstrdup(ns);
	m->name = name;
	m->kv = kv;
	m->status = status;
	m->err = err;
	if (kv != 0 && *ns != '\0')
		msg_info(NULL, "%s/: kv v%d (namespace %s)", name, kv, ns);
	else if (kv != 0)
		msg_info(NULL, "%s/: kv v%d", name, kv);
	return m;
}

/*
 * Ask Vault (sys/internal/ui/mounts/PATH) which mount holds path;
 * exact: path must be that mount point itself.  0 with *name and *kv
 * for a KV mount; else -1 with *status and *err: another engine
 * (auth/token, sys, cubbyhole, database, ...), a path inside or above a
 * mount, no answer to check with.  A Vault not reached is fatal.  A 404
 * is not taken for KV v1 as the Vault CLI takes it: that would trust
 * the record's word that a path holds KV data.
 */
static int
mount_ask(struct dump *d, const char *ns, const char *path, int exact,
    char **name, int *kv, long *status, char **err)
{
	char *type, *m;

	if (vault_mount_info(d->vault, ns, path, name, &type, kv, status,
	    err) == -1) {
		if (*status == 0)
			msg_fatal("%s", *err);
		m = *err;
		if (*status == 404)
			*err = xasprintf("cannot check that %s is a KV mount: "
			    "Vault answered 404 for sys/internal/ui/mounts "
			    "(a server older than 0.10 has no such endpoint)",
			    path);
		else
			*err = xasprintf("cannot find the mount %s: %s", path,
			    m);
		free(m);
		return -1;
	}
	if (*kv == 0)
		*err = exact ? xasprintf("%s is not a KV mount (type %s)",
		    path, type) : xasprintf("not in a KV mount: Vault says "
		    "its mount is of type %s", type);
	else if (exact && strcmp(*name, path) != 0)
		*err = vault_in_mount(path, *name) ? xasprintf("%s is not a "
		    "mount point: it is inside the KV mount %s", path,
		    *name) : xasprintf("%s is not a mount point: Vault says "
		    "the mount is %s", path, *name);
	else if (!exact && !vault_in_mount(path, *name))
		*err = xasprintf("Vault says the mount is %s, which does not "
		    "prefix the path", *name);
	free(type);
	if (*err == NULL)
		return 0;
	*status = 0;
	free(*name);
	*name = NULL;
	*kv = 0;
	return -1;
}

/* A record's mount, checked once: never NULL. */
static struct mountc *
mount_check(struct dump *d, const char *ns, const char *mount)
{
	struct mountc *m;
	char *name, *err;
	long status;
	int kv;

	if ((m = mount_cached(d, ns, mount, 1)) != NULL)
		return m;
	if (mount_ask(d, ns, mount, 1, &name, &kv, &status, &err) == -1)
		return mount_add(d, ns, xstrdup(mount), 0, status, err);
	return mount_add(d, ns, name, kv, 0, NULL);
}

/*
 * The KV mount holding an operand's path.  NULL with *status and *err
 * when Vault refused or the mount is not KV (not cached: operands are
 * few).
 */
static struct mountc *
mount_find(struct dump *d, const char *path, long *status, char **err)
{
	struct mountc *m;
	char *name;
	int kv;

	if ((m = mount_cached(d, own_ns(d), path, 0)) != NULL)
		return m;
	if (mount_ask(d, own_ns(d), path, 0, &name, &kv, status, err) == -1)
		return NULL;
	if ((m = mount_cached(d, own_ns(d), name, 1)) != NULL &&
	    m->kv == kv) {
		free(name);
		return m;
	}
	return mount_add(d, own_ns(d), name, kv, 0, NULL);
}

/* Fail a record here: the message on stderr, the error in the record. */
static jv
fail(jv rec, long status, const char *fmt, ...) V2K_PRINTF(3, 4);

static jv
fail(jv rec, long status, const char *fmt, ...)
{
	va_list ap;
	char *label, *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	label = rec_label(rec, 0);
	msg_warn(label, "%s", s ? s : "error");
	free(label);
	rec = rec_error(rec, status, "%s", s ? s : "error");
	free(s);
	return rec;
}

/*
 * Mark rec failed for an answer that is not a 200 (r, consumed and
 * wiped), or for no answer: what ("metadata: ") and why, or GONE_MSG for
 * a bare 404.  warn: say it on stderr too (else the caller does).
 */
static jv
answer_failed(jv rec, jv r, long status, const char *what, int warn)
{
	char *m;

	if (!jv_is_valid(r)) {
		m = rec_invalid_msg(r, "no answer from Vault");
		status = 0;
	} else {
		m = vault_errmsg(r, status);
		jv_wipe_free(r);
		if (status == 404 && strcmp(m, "not found") == 0) {
			free(m);
			m = xstrdup(GONE_MSG);
			what = "";
		}
	}
	if (warn)
		rec = fail(rec, status, "%s%s", what, m);
	else
		rec = rec_error(rec, status, "%s%s", what, m);
	free(m);
	return rec;
}

static jv
field(jv from /* borrowed */, const char *key)
{
	jv v = jv_object_get(jv_copy(from), jv_string(key));

	if (jv_is_valid(v))
		return v;
	jv_free(v);
	return jv_null();
}

/*
 * GET path (freed) in namespace ns: the answer's data member (null when
 * it has none), and *status 200; or, when Vault did not answer 200,
 * invalid with *rec failed (answer_failed, what before its message).
 */
static jv
get_data(struct dump *d, jv *rec, const char *ns, char *path,
    const char *what, long *status)
{
	jv r, data;

	r = vault_callns(d->vault, ns, "GET", path, NULL, jv_invalid(),
	    status);
	free(path);
	if (!jv_is_valid(r) || *status != 200) {
		*rec = answer_failed(*rec, r, *status, what, 1);
		return jv_invalid();
	}
	data = jv_get_kind(r) == JV_KIND_OBJECT ? field(r, "data") : jv_null();
	jv_free(r);
	return data;
}

/*
 * vault-ls -l described the current version; a record made from a live
 * version says so.
 */
static jv
refresh_flags(jv rec)
{
	if (jv_object_has(jv_copy(rec), jv_string("deleted")))
		rec = jv_object_set(rec, jv_string("deleted"), jv_false());
	if (jv_object_has(jv_copy(rec), jv_string("destroyed")))
		rec = jv_object_set(rec, jv_string("destroyed"), jv_false());
	return rec;
}

/* A KV v1 secret: GET mount/path; data is the whole map
 * (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v1). */
static jv
read_v1(struct dump *d, jv rec, const char *ns, const char *mount,
    const char *path)
{
	jv data;
	long status;

	data = get_data(d, &rec, ns, xasprintf("%s/%s", mount, path), "",
	    &status);
	if (!jv_is_valid(data))
		return rec;
	if (jv_get_kind(data) != JV_KIND_OBJECT) {
		jv_wipe_free(data);
		return fail(rec, status, "answer without data");
	}
	atomic_fetch_add(&d->read, 1);
	return jv_object_set(rec, jv_string("data"), data);
}

/*
 * A number refused in a KV v2 answer is named by its path there,
 * "data.data.id": name it as the record holds it, "data.id" (the
 * answer's data is the record's data and metadata).
 */
static jv
record_terms(jv r /* consumed */)
{
	jv m = jv_invalid_get_msg(r);
	const char *s;

	if (jv_get_kind(m) != JV_KIND_STRING)
		return jv_invalid_with_msg(m);
	s = jv_string_value(m);
	if (strstr(s, REC_INEXACT) != NULL &&
	    (strncmp(s, "data.data", 9) == 0 ||
	    strncmp(s, "data.metadata", 13) == 0))
		r = jv_invalid_with_msg(jv_string(s + 5));
	else
		r = jv_invalid_with_msg(jv_copy(m));
	jv_free(m);
	return r;
}

/*
 * One KV v2 version (0: the current one): the record with data,
 * version, created_time and custom_metadata.  *gone is set to the
 * version's state when Vault answered 404 with its metadata (deleted or
 * destroyed: the record is then returned untouched) and *num to the
 * version's number when known.
 */
static jv
read_v2(struct dump *d, jv rec, const char *ns, const char *mount,
    const char *path, long version, int *gone, long *num, long *status)
{
	jv r, dd, data, meta, v;
	char *p, q[32];
	long long n;

	*gone = VAULT_LIVE;
	*num = version;
	p = xasprintf("%s/data/%s", mount, path);
	snprintf(q, sizeof(q), "version=%ld", version);
	r = vault_callns(d->vault, ns, "GET", p, version > 0 ? q : NULL,
	    jv_invalid(), status);
	free(p);
	if (!jv_is_valid(r))
		return answer_failed(rec, record_terms(r), *status, "", 0);
	dd = jv_get_kind(r) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(r), jv_string("data")) : jv_null();
	meta = jv_get_kind(dd) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(dd), jv_string("metadata")) : jv_null();
	v = jv_get_kind(meta) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(meta), jv_string("version")) : jv_null();
	/* Vault's number, but a cast of 1e300 would be undefined. */
	if (rec_number_int(v, 1, REC_INT_MAX, &n) == 0)
		*num = (long)n;
	jv_free(v);
	/* A deleted or destroyed version: 404 with its metadata
	 * (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2). */
	if (*status == 404 && jv_get_kind(meta) == JV_KIND_OBJECT &&
	    (*gone = vault_version_state(meta)) != VAULT_LIVE) {
		jv_free(meta);
		jv_wipe_free(dd);
		jv_wipe_free(r);
		return rec;
	}
	if (*status != 200) {
		jv_free(meta);
		jv_wipe_free(dd);
		return answer_failed(rec, r, *status, "", 0);
	}
	jv_free(r);
	data = jv_get_kind(dd) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(dd), jv_string("data")) : jv_null();
	jv_wipe_free(dd);
	if (jv_get_kind(data) != JV_KIND_OBJECT ||
	    jv_get_kind(meta) != JV_KIND_OBJECT) {
		jv_wipe_free(data);
		jv_free(meta);
		return rec_error(rec, *status, "answer without data or "
		    "metadata");
	}
	rec = jv_object_set(rec, jv_string("data"), data);
	rec = jv_object_set(rec, jv_string("version"), jv_number(*num));
	rec = jv_object_set(rec, jv_string("created_time"),
	    field(meta, "created_time"));
	rec = jv_object_set(rec, jv_string("custom_metadata"),
	    field(meta, "custom_metadata"));
	rec = refresh_flags(rec);
	jv_free(meta);
	atomic_fetch_add(&d->read, 1);
	return rec;
}

/* Say on stderr why read_v2 failed the record (version > 0: which). */
static void
warn_error(jv rec /* borrowed */, long version)
{
	const char *m = rec_error_str(rec, "message");
	char *label = rec_label(rec, 0);

	if (m == NULL)
		m = "failed";
	if (version > 0)
		msg_warn(label, "version %ld: %s", version, m);
	else
		msg_warn(label, "%s", m);
	free(label);
}

static const char *
state_name(int state)
{
	return state == VAULT_DESTROYED ? "destroyed" : "deleted";
}

static void
count_gone(struct dump *d, int state)
{
	if (state == VAULT_DESTROYED)
		atomic_fetch_add(&d->destroyed, 1);
	else
		atomic_fetch_add(&d->deleted, 1);
}

/* The current version of a KV v2 secret. */
static jv
dump_current(struct dump *d, jv rec, const char *ns, const char *mount,
    const char *path)
{
	long num, status;
	int gone;

	rec = read_v2(d, rec, ns, mount, path, 0, &gone, &num, &status);
	if (gone != VAULT_LIVE) {
		count_gone(d, gone);
		rec = jv_object_set(rec, jv_string("version"),
		    jv_number(num));
		return fail(rec, status, "current version %ld is %s", num,
		    state_name(gone));
	}
	if (rec_failed(rec))
		warn_error(rec, 0);
	return rec;
}

static int
long_cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/*
 * --all-versions: every live version, oldest first, from the metadata's
 * version map.  Deleted and destroyed versions are reported, never
 * undeleted (the source is read-only); a current version in that state
 * is an error record, after the live ones.
 */
static jv
dump_all(struct dump *d, jv rec, const char *ns, const char *mount,
    const char *path)
{
	jv dm, vers, k, e, out, one;
	long *nums = NULL, cur = 0, num, status;
	long long c;
	size_t n = 0, i;
	char *p, key[32];
	int gone;

	dm = get_data(d, &rec, ns, xasprintf("%s/metadata/%s", mount, path),
	    "metadata: ", &status);
	if (!jv_is_valid(dm))
		return rec;
	vers = jv_get_kind(dm) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(dm), jv_string("versions")) : jv_null();
	e = jv_get_kind(dm) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(dm), jv_string("current_version")) :
	    jv_null();
	if (rec_number_int(e, 1, REC_INT_MAX, &c) == 0)
		cur = (long)c;
	jv_free(e);
	jv_free(dm);
	if (jv_get_kind(vers) != JV_KIND_OBJECT ||
	    jv_object_length(jv_copy(vers)) == 0) {
		jv_free(vers);
		return fail(rec, status, "metadata without versions");
	}
	nums = xcalloc((size_t)jv_object_length(jv_copy(vers)),
	    sizeof(*nums));
	jv_object_foreach(vers, vk, ve) {
		num = strtol(jv_string_value(vk), &p, 10);
		if (*p == '\0' && num > 0)
			nums[n++] = num;
		jv_free(vk);
		jv_free(ve);
	}
	qsort(nums, n, sizeof(*nums), long_cmp);

	out = jv_array();
	for (i = 0; i < n && !msg_stop; i++) {
		snprintf(key, sizeof(key), "%ld", nums[i]);
		k = jv_object_get(jv_copy(vers), jv_string(key));
		gone = vault_version_state(k);
		jv_free(k);
		status = 404;
		one = jv_copy(rec);
		if (gone == VAULT_LIVE) {
			one = read_v2(d, one, ns, mount, path, nums[i],
			    &gone, &num, &status);
			if (gone == VAULT_LIVE && rec_failed(one)) {
				/* Name the version that failed. */
				one = jv_object_set(one, jv_string("version"),
				    jv_number(nums[i]));
				warn_error(one, nums[i]);
			}
		}
		if (gone != VAULT_LIVE) {
			count_gone(d, gone);
			one = jv_object_set(one, jv_string("version"),
			    jv_number(nums[i]));
			if (nums[i] == cur)
				one = fail(one, status, "current version %ld "
				    "is %s", nums[i], state_name(gone));
			else {
				char *label = rec_label(one, 0);

				msg_warn(label, "version %ld is %s: not "
				    "exported", nums[i], state_name(gone));
				free(label);
				jv_free(one);
				continue;
			}
		}
		out = jv_array_append(out, one);
	}
	free(nums);
	jv_free(vers);
	jv_free(rec);
	return out;
}

/* A pool worker: one input record in, its records out. */
static jv
dump_one(jv rec, long tag, void *arg)
{
	struct dump *d = arg;
	char *mount, *path, *ns;

	if (rec_failed(rec))
		return rec;
	/* Copies: the record changes as it is read. */
	ns = xstrdup(rec_ns(d, rec));
	mount = xstrdup(rec_str(rec, "mount"));
	path = xstrdup(rec_str(rec, "path"));
	/* prepare() let only 1 and 2 through. */
	if (rec_int(rec, "kv", 1, 2, 2) == 1)
		rec = read_v1(d, rec, ns, mount, path);
	else if (d->all)
		rec = dump_all(d, rec, ns, mount, path);
	else
		rec = dump_current(d, rec, ns, mount, path);
	free(ns);
	free(mount);
	free(path);
	return rec;
}

static int
emit(jv rec, long tag, void *arg)
{
	struct dump *d = arg;
	int failed = rec_fate(rec);

	d->out++;
	if (failed)
		d->failed++;
	msg_progress_add(failed);
	/*
	 * A closed pipe (vault-dump | head) ends the run cleanly: the pool
	 * stops emitting, the loop stops reading and msg_finish reports it.
	 */
	return rec_emit(rec);
}

/*
 * Why s (len bytes) is no mount or path to read: a NUL byte, a '/' at an
 * end, an empty, "." or ".." segment; Vault or a proxy on the way would
 * cut or fold it into another path than the record names.  NULL if fine.
 */
static const char *
path_problem(const char *s, size_t len)
{
	const char *seg, *end;
	size_t n;

	if (strlen(s) != len)
		return "holds a NUL byte";
	if (*s == '/')
		return "starts with /";
	if (len > 0 && s[len - 1] == '/')
		return "ends with /";
	for (seg = s; ; seg = end + 1) {
		end = strchr(seg, '/');
		n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if (n == 0)
			return "has an empty segment";
		if (n == 1 && seg[0] == '.')
			return "has a . segment";
		if (n == 2 && seg[0] == '.' && seg[1] == '.')
			return "has a .. segment";
		if (end == NULL)
			return NULL;
	}
}

/*
 * Check an input record before it goes to a worker: mount and path
 * strings that name one place in the namespace it came from, kv 1 or 2,
 * and, asking Vault once a namespace and mount, that the mount is a KV
 * mount point of
 * that version (kv set from it when missing).  Nothing is read from a
 * mount of another engine: a record is only a claim.
 */
static jv
prepare(struct dump *d, jv rec)
{
	static const char *const fields[] = { "mount", "path", "namespace" };
	struct mountc *m;
	const char *mount, *path, *ns, *why;
	char *err;
	jv kv, f;
	size_t i;
	int v = 0;

	if (rec_failed(rec))
		return rec;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((err = rec_field_problem(rec, fields[i], JV_KIND_STRING,
		    i < 2)) != NULL) {
			rec = fail(rec, 0, "%s", err);
			free(err);
			return rec;
		}
	mount = rec_str(rec, "mount");
	path = rec_str(rec, "path");
	if (mount == NULL || *mount == '\0' || path == NULL || *path == '\0')
		return fail(rec, 0, "record without mount and path");
	/* A namespace is a path too; "" is the root. */
	for (i = 0; i < 3; i++) {
		f = jv_object_get(jv_copy(rec), jv_string(fields[i]));
		why = jv_get_kind(f) != JV_KIND_STRING || (i == 2 &&
		    jv_string_length_bytes(jv_copy(f)) == 0) ? NULL :
		    path_problem(jv_string_value(f),
		    (size_t)jv_string_length_bytes(jv_copy(f)));
		if (why == NULL && i == 2 && jv_get_kind(f) ==
		    JV_KIND_STRING && msg_has_ctl(jv_string_value(f)))
			why = "holds a control character";
		jv_free(f);
		if (why != NULL)
			return fail(rec, 0, "%s %s", fields[i], why);
	}
	/* Read in its own namespace, whatever VAULT_NAMESPACE says. */
	ns = rec_ns(d, rec);
	kv = jv_object_get(jv_copy(rec), jv_string("kv"));
	if (jv_get_kind(kv) == JV_KIND_NUMBER) {
		if ((err = rec_int_problem(rec, "kv", 1, 2, "1 or 2")) !=
		    NULL) {
			jv_free(kv);
			rec = fail(rec, 0, "%s", err);
			free(err);
			return rec;
		}
		v = (int)jv_number_value(kv);
	} else if (jv_is_valid(kv) && jv_get_kind(kv) != JV_KIND_NULL)
		v = -1;
	jv_free(kv);
	if (v == -1)
		return fail(rec, 0, "kv must be 1 or 2");
	m = mount_check(d, ns, mount);
	if (m->kv == 0)
		return fail(rec, m->status, "%s", m->err);
	if (v != 0 && v != m->kv)
		return fail(rec, 0, "%s is a KV v%d mount, not v%d as the "
		    "record says", mount, m->kv, v);
	return v != 0 ? rec :
	    jv_object_set(rec, jv_string("kv"), jv_number(m->kv));
}

/* An argument: mount/path of one secret. */
static jv
from_arg(struct dump *d, const char *arg)
{
	struct mountc *m;
	const char *ns, *rest;
	char *err;
	long status;
	size_t n;
	jv rec;

	while (*arg == '/')
		arg++;
	ns = vault_namespace(d->vault);
	rec = jv_object();
	if ((m = mount_find(d, arg, &status, &err)) == NULL) {
		n = strcspn(arg, "/");
		rec = jv_object_set(rec, jv_string("mount"),
		    jv_string_sized(arg, (int)n));
		rec = jv_object_set(rec, jv_string("path"),
		    jv_string(arg[n] == '/' ? arg + n + 1 : ""));
		if (ns != NULL)
			rec = jv_object_set(rec, jv_string("namespace"),
			    jv_string(ns));
		rec = fail(rec, status, "%s", err);
		free(err);
		return rec;
	}
	rest = arg + strlen(m->name);
	while (*rest == '/')
		rest++;
	rec = jv_object_set(rec, jv_string("mount"), jv_string(m->name));
	rec = jv_object_set(rec, jv_string("path"), jv_string(rest));
	rec = jv_object_set(rec, jv_string("kv"), jv_number(m->kv));
	if (ns != NULL)
		rec = jv_object_set(rec, jv_string("namespace"), jv_string(ns));
	if (*rest == '\0')
		rec = fail(rec, 0, "a mount, not a secret: use vault-ls %s | "
		    "vault-dump", m->name);
	return rec;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "all-versions", no_argument,		NULL, 'a' },
		{ "jobs",	required_argument,	NULL, 'j' },
		MSG_LONGOPTS(OPT_VERSION)
	};
	struct http *http;
	struct rec_reader rd;
	struct pool *pool;
	struct dump d;
	const char *p, *why;
	jv rec;
	size_t i, n;
	long nread;
	int ch, rc, status = EXIT_OK;

	msg_init("vault-dump");
	msg_help_text(synopsis, options);
	msg_quiet_epipe();	/* read-only: | head ends it quietly */
	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "ahj:qv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'a':
			d.all = 1;
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < (size_t)argc; i++) {
		n = strlen(argv[i]);
		if (n == 0 || argv[i][n - 1] == '/')
			msg_usage_error("%s: not a secret path (for a folder: "
			    "vault-ls FOLDER | vault-dump)", argv[i]);
		for (p = argv[i]; *p == '/'; p++)
			;
		if ((why = path_problem(p, strlen(p))) != NULL)
			msg_usage_error("%s: not a secret path: it %s",
			    argv[i], why);
	}

	http = start_http(vault_envname("CLIENT_TIMEOUT"), msg_jobs, 0);
	d.vault = start_vault(http);
	atomic_init(&d.read, 0);
	atomic_init(&d.deleted, 0);
	atomic_init(&d.destroyed, 0);

	pool = pool_new(msg_jobs, dump_one, emit, &d);
	if (argc > 0) {
		msg_progress_total(argc);
		for (i = 0; i < (size_t)argc && !msg_stop; i++)
			if (pool_submit(pool, from_arg(&d, argv[i]), 0) == -1)
				break;
	} else {
		rec_reader_init(&rd, stdin);
		while ((rc = rec_next_input(&rd, &rec)) != 0) {
			if (rc == 1)
				rec = prepare(&d, rec);
			if (pool_submit(pool, rec, 0) == -1)
				break;
		}
		rec_reader_release(&rd);
	}
	pool_finish(pool);
	pool_free(pool);
	if (d.failed > 0)
		status = EXIT_PARTIAL;
	for (i = 0; i < d.nmounts; i++) {
		free(d.mounts[i].ns);
		free(d.mounts[i].name);
		free(d.mounts[i].err);
	}
	free(d.mounts);
	vault_free(d.vault);
	http_free(http);
	nread = atomic_load(&d.read);
	if (d.all)
		return msg_finish(status, "%ld record%s, %ld version%s "
		    "exported, %ld deleted and %ld destroyed not exported, "
		    "%s", d.out, PLURAL(d.out), nread, PLURAL(nread),
		    (long)atomic_load(&d.deleted),
		    (long)atomic_load(&d.destroyed),
		    msg_failed_text(d.failed));
	return msg_finish(status, "%ld record%s, %ld secret%s exported, "
	    "%s", d.out, PLURAL(d.out), nread, PLURAL(nread),
	    msg_failed_text(d.failed));
}
