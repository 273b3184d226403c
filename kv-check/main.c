/* kv-check: read Azure Key Vault back and compare it with the records. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common.h"
#include "report.h"

enum {
	OPT_ORPHANS = KV_OPT_NEXT,
	OPT_REPORT,
	OPT_VERSION
};

/* The problems, in the order "check" lists them. */
enum {
	P_MISSING,
	P_DISABLED,
	P_VALUE,
	P_CTYPE,
	P_NOEXP,
	P_EXPIRED,
	P_TAG,
	P_ORDER,
	P_NOTCURRENT,
	P_COUNT
};
static const char *const problem_text[P_COUNT] = {
	"missing", "disabled", "value differs", "content type differs",
	"no expiry", "expired", "tag differs", "out of order", "not current"
};

/* A record being checked by a worker. */
struct item {
	jv		 rec;		/* without data */
	jv		 data;		/* the values, or invalid */
	char		*label;
	char		*vpath;		/* mount/path, or NULL */
	const char	*ns;		/* its namespace, NULL for none */
	char		*id;		/* version id of the record's "id" */
	long		 vnum;		/* the record's "version", or -1 */
	unsigned	 problems;
	char		*err;		/* why the check failed, or NULL */
	long		 status;	/* HTTP status of the failure */
	int		 done;		/* failed on input: passed through */
};

/* What --orphans looks at. */
enum {
	ORPHANS_NONE,
	ORPHANS_INPUT,		/* the folders the input covers */
	ORPHANS_MOUNTS,		/* the input's mounts, whole */
	ORPHANS_ALL		/* the whole vault */
};

/*
 * A mount of the input, in its namespace, and the deepest folder that
 * holds every input path of it ("" for the whole mount).
 */
struct scope {
	char	*ns;		/* "" for none */
	char	*mount;
	char	*folder;
};

struct check {
	struct kvset	*set;		/* the vaults, each its own budget */
	int		 json;
	int		 want_exp;
	int		 orphans;
	char		*from;		/* migrated-from of this Vault */
	time_t		 now;
	/* Kept by the main thread only. */
	struct nameset	*seen;		/* vault key, ' ', name: the input */
	struct scope	*scopes;
	size_t		 nscopes;
	struct report	*report;	/* --report, or NULL */
	long		 out;
	long		 ok;
	long		 differ;
	long		 failed;
	long		 norphans;
};

static const char synopsis[] =
    "usage: kv-check [-hnqv] [-j jobs] [--expires days|never] [--json]\n"
    "                [--orphans[=input|mounts|all]] [--rate n] [--report file]\n"
    "                [--vault name|url]\n";
static const char options[] =
	"      --expires DAYS|never  the --expires kv-put was given\n"
	"  -h, --help                print this help and exit\n"
	"  -j, --jobs JOBS           names checked at once, 1 to 64 (8)\n"
	"      --json                compare with the values kv-put --json wrote\n"
	"  -n, --dry-run             check access, compare nothing\n"
	"      --orphans[=input|mounts|all]\n"
	"                            at the end, list secrets no record names, in\n"
	"                            what the input covers (input), its mounts, or all\n"
	"  -q, --quiet               no warnings, no summary\n"
	"      --rate N              requests per 10 s (4000)\n"
	"      --report FILE         also write the run as FILE.md or FILE.html\n"
	"  -v, --verbose             say the outcome of every record (-vv: requests)\n"
	"      --vault NAME|URL      the vault (KEY_VAULT_NAME)\n"
	"      --version             print the version and exit\n";

/*
 * What to do when Key Vault refuses, in kv-check's terms (kv_errmsg):
 * it only reads, and paces with --rate.
 */
static const char *const cures[KV_CAUSE_COUNT] = {
	[KV_CAUSE_UNRESOLVED] = "check the vault name (--vault, "
	    "KEY_VAULT_NAME) or, behind a private endpoint, the private DNS "
	    "zone",
	[KV_CAUSE_RBAC] = "the identity lacks the Key Vault Secrets User "
	    "role on the vault (kv-grant, or az role assignment create; new "
	    "assignments take a few minutes to apply)",
	[KV_CAUSE_ACCESS_POLICY] = "give the identity secret permissions get "
	    "and list, or move the vault to Azure RBAC",
	[KV_CAUSE_BAD_NAME] = "map names with kv-name",
	[KV_CAUSE_THROTTLED] = "lower --rate or -j",
};

/* Both NULL, or the same string. */
static int
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* A record's namespace, NULL for none or the root (""). */
static const char *
rec_ns(jv rec /* borrowed */)
{
	const char *ns = rec_str(rec, "namespace");

	return ns != NULL && *ns != '\0' ? ns : NULL;
}

/* The problems of one version's attributes and tags. */
static unsigned
attr_problems(struct check *c, struct item *it, const struct kvver *k)
{
	unsigned p = 0;

	if (!k->enabled)
		p |= 1u << P_DISABLED;
	if (c->want_exp && !k->has_exp)
		p |= 1u << P_NOEXP;
	if (k->has_exp && k->exp <= (double)c->now)
		p |= 1u << P_EXPIRED;
	if (it->vpath != NULL && (k->vpath == NULL ||
	    strcmp(k->vpath, it->vpath) != 0)) {
		p |= 1u << P_TAG;
		if (k->vpath != NULL)
			msg_info(it->label, "vault-path tag is %s", k->vpath);
		else
			msg_info(it->label, "no vault-path tag");
	}
	/* The same path of another namespace is another secret. */
	if (it->vpath != NULL && !same_str(k->vns, it->ns)) {
		p |= 1u << P_TAG;
		if (k->vns != NULL)
			msg_info(it->label, "vault-namespace tag is %s",
			    k->vns);
		else
			msg_info(it->label, "no vault-namespace tag");
	}
	return p;
}

/*
 * The value kv-put would write for the record: *value (malloc'd, to be
 * wiped), its *len in bytes (it may hold NULs) and *ct; -1 and it->err when it cannot be shaped.  The record's
 * data is wiped: the shaped value is all the check needs.
 */
static int
shape(struct check *c, struct item *it, char **value, size_t *len,
    const char **ct)
{
	char *err = NULL;

	*ct = NULL;
	*value = kv_shape_value(it->data, c->json, ct, len, &err);
	jv_wipe_free(it->data);
	it->data = jv_invalid();
	if (*value == NULL) {
		it->err = err != NULL ? err : xstrdup("cannot shape the value");
		return -1;
	}
	return 0;
}

/*
 * Compare a version read with its value to the shaped value and content
 * type, byte for byte: n counts the value's bytes, NULs included.
 */
static unsigned
value_problems(const struct kvver *k, const char *value, size_t n,
    const char *ct)
{
	unsigned p = 0;

	if (k->value == NULL || k->len != n ||
	    CRYPTO_memcmp(k->value, value, n) != 0)
		p |= 1u << P_VALUE;
	if (k->ctype == NULL || strcmp(k->ctype, ct) != 0)
		p |= 1u << P_CTYPE;
	return p;
}

/* A record with data, alone for its name: the current version. */
static void
check_current(struct check *c, struct kv *kv, struct item *it,
    const char *name)
{
	struct kvver k;
	struct kvvers all;
	const char *ct;
	char *value, *err = NULL;
	size_t len;
	long st;
	int rc;

	if (shape(c, it, &value, &len, &ct) == -1)
		return;
	rc = kvver_read(kv, name, NULL, &k, &st, &err);
	if (rc == KVVER_READ) {
		it->problems |= value_problems(&k, value, len, ct);
		it->problems |= attr_problems(c, it, &k);
		kvver_release(&k);
	} else if (rc == KVVER_ABSENT)
		it->problems |= 1u << P_MISSING;
	else if (rc == KVVER_DISABLED) {
		/*
		 * Disabled: the value cannot be read, the attributes and
		 * tags can, from the list of versions.
		 */
		free(err);
		err = NULL;
		it->problems |= 1u << P_DISABLED;
		if (kvver_list(kv, name, &all, &st, &err) == 0) {
			if (all.n > 0)
				it->problems |= attr_problems(c, it,
				    &all.v[all.n - 1]);
			kvvers_release(&all);
		} else {
			it->err = err;
			it->status = 0;
		}
	} else {
		it->err = err;
		it->status = st;
	}
	wipe_freen(value, len);
}

/*
 * The records of one name against its versions (HISTORY in kv-check(1)).
 * A record is matched to a version by its "id" when it has one (kv-put's
 * mapping); else, when the name has several records, by the
 * vault-version tag; a lone record without an id is held against the
 * newest version.  A record whose Vault version has no version of its
 * own may share the previous record's version when their values are
 * equal: kv-put writes no new version for an unchanged value.  Matched
 * versions must be in the records' order, and the last record's must be
 * the newest.
 */
static void
check_versions(struct check *c, struct kv *kv, struct item *its, int nits,
    const char *name)
{
	struct kvvers k;
	struct kvver got;
	struct item *it;
	const char *ct = NULL, *prev_ct = NULL;
	char *value, *prev_value = NULL, *err = NULL;
	size_t len = 0, prev_len = 0;
	long st;
	int n, i, live = 0, last = -1, pos, prev = -1, just = -1, rc, many;
	int same;

	for (i = 0; i < nits; i++)
		if (!its[i].done && its[i].err == NULL)
			live++;
	many = live > 1;
	for (i = 0; i < nits; i++) {
		it = &its[i];
		if (it->done || it->err != NULL)
			continue;
		if (many && it->id == NULL && it->vnum < 0)
			it->err = xstrdup("several records for one name, and "
			    "this one has neither an id nor a version");
		else
			last = i;
	}
	if (last < 0)
		return;
	if (kvver_list(kv, name, &k, &st, &err) == -1) {
		for (i = 0; i < nits; i++)
			if (!its[i].done && its[i].err == NULL)
				its[i].err = xstrdup(err);
		free(err);
		return;
	}
	n = k.n;
	for (i = 0; i < nits; i++) {
		it = &its[i];
		if (it->done || it->err != NULL)
			continue;
		value = NULL;
		len = 0;
		if (jv_is_valid(it->data) &&
		    shape(c, it, &value, &len, &ct) == -1) {
			just = -1;
			continue;
		}
		if (it->id != NULL)
			pos = kvvers_find(&k, it->id);
		else if (many)
			pos = kvvers_find_tag(&k, it->vnum, NULL, NULL);
		else
			pos = n - 1;
		same = pos >= 0 && pos == prev && it->id != NULL;
		if (pos < 0 && it->id == NULL && just >= 0 && value != NULL &&
		    prev_value != NULL && strcmp(ct, prev_ct) == 0 &&
		    len == prev_len && memcmp(value, prev_value, len) == 0) {
			pos = just;
			same = 1;
		}
		just = pos;
		wipe_freen(prev_value, prev_len);
		prev_value = value;
		prev_len = len;
		prev_ct = ct;
		if (pos < 0) {
			it->problems |= 1u << P_MISSING;
			continue;
		}
		it->problems |= attr_problems(c, it, &k.v[pos]);
		if (prev >= 0 && (pos < prev || (pos == prev && !same)))
			it->problems |= 1u << P_ORDER;
		if (i == last && (many || it->id != NULL) && pos != n - 1)
			it->problems |= 1u << P_NOTCURRENT;
		prev = pos;
		if (value == NULL || !k.v[pos].enabled)
			continue;
		rc = kvver_read(kv, name, k.v[pos].version, &got, &st,
		    &err);
		if (rc == KVVER_READ) {
			it->problems |= value_problems(&got, value, len, ct);
			kvver_release(&got);
		} else if (rc == KVVER_ABSENT)
			it->problems |= 1u << P_MISSING;
		else if (rc == KVVER_DISABLED) {
			it->problems |= 1u << P_DISABLED;
			free(err);
		} else {
			it->err = err;
			it->status = st;
		}
		err = NULL;
	}
	wipe_freen(prev_value, prev_len);
	kvvers_release(&k);
}

static jv
problems_jv(unsigned p)
{
	jv a;
	int i;

	if (p == 0)
		return jv_string("ok");
	a = jv_array();
	for (i = 0; i < P_COUNT; i++)
		if (p & (1u << i))
			a = jv_array_append(a, jv_string(problem_text[i]));
	return a;
}

/*
 * A worker: the records of one name (an array, in input order), checked
 * together; returns them, without data, with "check" or "error".
 */
static jv
check_group(jv group, long tag, void *arg)
{
	struct check *c = arg;
	struct kvvault *vv;
	struct item *its;
	const char *name = NULL, *id;
	char *err;
	jv out;
	int i, n, live = 0, first = -1, fresh;

	n = jv_array_length(jv_copy(group));
	its = xcalloc((size_t)n, sizeof(*its));
	for (i = 0; i < n; i++)
		its[i].rec = jv_array_get(jv_copy(group), i);
	/* The records are ours alone now: wiping reaches their values. */
	jv_free(group);
	for (i = 0; i < n; i++) {
		its[i].data = jv_object_get(jv_copy(its[i].rec),
		    jv_string("data"));
		its[i].rec = jv_object_delete(its[i].rec, jv_string("data"));
		if (jv_get_kind(its[i].data) == JV_KIND_NULL) {
			jv_free(its[i].data);
			its[i].data = jv_invalid();
		}
		if (rec_failed(its[i].rec)) {
			its[i].done = 1;
			continue;
		}
		its[i].label = rec_label(its[i].rec, 0);
		its[i].vpath = kv_record_vpath(its[i].rec);
		its[i].ns = rec_ns(its[i].rec);
		/*
		 * An id that is not one of the name's secret ids names a
		 * version the vault does not hold: "" matches none.
		 */
		if ((id = rec_str(its[i].rec, "id")) != NULL &&
		    kv_id_version(id, rec_str(its[i].rec, "name"),
		    &its[i].id) == -1)
			its[i].id = xstrdup("");
		its[i].vnum = (long)rec_int(its[i].rec, "version", 1,
		    REC_INT_MAX, -1);
		if (its[i].err == NULL)
			its[i].err = rec_int_problem(its[i].rec, "version", 1,
			    REC_INT_MAX, "a version number (1, 2, ...)");
		if (its[i].err == NULL && jv_is_valid(its[i].data) &&
		    jv_get_kind(its[i].data) != JV_KIND_OBJECT)
			its[i].err = xstrdup("data is not an object");
		else {
			live++;
			if (first < 0)
				first = i;
		}
	}
	/* The group's vault: route() made it, from the same field. */
	if (first >= 0 && (vv = kvset_get(c->set, rec_str(its[first].rec,
	    "vault"), &fresh, &err)) == NULL) {
		for (i = 0; i < n; i++)
			if (!its[i].done && its[i].err == NULL)
				its[i].err = xstrdup(err);
		free(err);
	} else if (first >= 0) {
		name = rec_str(its[first].rec, "name");
		if (live == 1 && jv_is_valid(its[first].data))
			check_current(c, vv->kv, &its[first], name);
		else
			check_versions(c, vv->kv, its, n, name);
	}
	out = jv_array();
	for (i = 0; i < n; i++) {
		if (its[i].err != NULL)
			its[i].rec = rec_error(its[i].rec, its[i].status, "%s",
			    its[i].err);
		else if (!its[i].done)
			its[i].rec = jv_object_set(its[i].rec,
			    jv_string("check"), problems_jv(its[i].problems));
		out = jv_array_append(out, its[i].rec);
		jv_wipe_free(its[i].data);
		free(its[i].err);
		free(its[i].id);
		free(its[i].label);
		free(its[i].vpath);
	}
	free(its);
	return out;
}

static int
emit(jv rec, long tag, void *arg)
{
	struct check *c = arg;
	jv chk, e;
	const char *s;
	char *label = NULL;
	int i, n, failed = 0, differs = 0;
	struct buf b;

	c->out++;
	/* A bad input line has no subject: its message names the line. */
	if (rec_str(rec, "name") != NULL || rec_str(rec, "path") != NULL)
		label = rec_label(rec, 0);
	if ((failed = rec_fate(rec)) != REC_OK) {
		c->failed++;
		if ((s = rec_error_str(rec, "message")) == NULL)
			s = "failed";
		/* Other tools said it already. */
		if (failed == REC_FAILED_HERE)
			msg_warn(label, "%s", s);
		else
			msg_info(label, "failed before: %s", s);
	} else {
		chk = jv_object_get(jv_copy(rec), jv_string("check"));
		if (jv_get_kind(chk) == JV_KIND_ARRAY) {
			differs = 1;
			c->differ++;
			buf_init(&b);
			n = jv_array_length(jv_copy(chk));
			for (i = 0; i < n; i++) {
				e = jv_array_get(jv_copy(chk), i);
				if (i > 0)
					buf_addstr(&b, ", ");
				buf_addstr(&b, jv_string_value(e));
				if (strcmp(jv_string_value(e), "orphan") == 0)
					c->norphans++;
				jv_free(e);
			}
			msg_warn(label, "%s", b.data);
			buf_release(&b);
		} else {
			c->ok++;
			msg_info(label, "ok");
		}
		jv_free(chk);
	}
	free(label);
	if (c->report != NULL)
		report_add(c->report, rec);
	msg_progress_add(failed != REC_OK ? failed : differs);
	return rec_emit(rec);	/* msg_finish says why it failed */
}

struct orphan {
	char	*name;
	char	*id;
	char	*vpath;		/* vault-path tag, or NULL */
	char	*vns;		/* vault-namespace tag, or NULL */
};

static int
orphan_cmp(const void *a, const void *b)
{
	const struct orphan *x = a, *y = b;

	return strcasecmp(x->name, y->name);
}

/* Does s start with the whole segments of prefix ("" matches all)? */
static int
under(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return n == 0 || (strncmp(s, prefix, n) == 0 &&
	    (s[n] == '\0' || s[n] == '/'));
}

/* An input record widens the scope of --orphans to its folder. */
static void
scope_add(struct check *c, jv rec /* borrowed */)
{
	const char *mount = rec_str(rec, "mount"), *path = rec_str(rec,
	    "path"), *ns = rec_ns(rec), *slash;
	struct scope *s = NULL;
	size_t i, n;
	char *f;

	if (mount == NULL || path == NULL || *mount == '\0')
		return;
	if (ns == NULL)
		ns = "";
	for (i = 0; i < c->nscopes; i++)
		if (strcmp(c->scopes[i].ns, ns) == 0 &&
		    strcmp(c->scopes[i].mount, mount) == 0) {
			s = &c->scopes[i];
			break;
		}
	slash = strrchr(path, '/');
	n = slash != NULL ? (size_t)(slash - path) : 0;
	if (s == NULL) {
		c->scopes = xrealloc(c->scopes, (c->nscopes + 1) *
		    sizeof(*c->scopes));
		s = &c->scopes[c->nscopes++];
		s->ns = xstrdup(ns);
		s->mount = xstrdup(mount);
		s->folder = xstrndup(path, n);
		return;
	}
	/* The common folder: cut at the last segment both share. */
	f = s->folder;
	for (i = 0; f[i] != '\0' && i < n && f[i] == path[i]; i++)
		;
	if (f[i] == '\0' && (i == n || path[i] == '/'))
		return;			/* path is inside the folder */
	if (i == n && f[i] == '/') {
		f[i] = '\0';		/* the folder is inside path's */
		return;
	}
	while (i > 0 && f[i] != '/')
		i--;
	f[i] = '\0';
}

/* Is a secret tagged vault-path vpath, vault-namespace vns, in scope? */
static int
in_scope(struct check *c, const char *vpath, const char *vns)
{
	const struct scope *s;
	size_t i, n;

	if (c->orphans == ORPHANS_ALL)
		return 1;
	if (vpath == NULL)
		return 0;
	for (i = 0; i < c->nscopes; i++) {
		s = &c->scopes[i];
		n = strlen(s->mount);
		if (strcmp(s->ns, vns != NULL ? vns : "") != 0 ||
		    strncmp(vpath, s->mount, n) != 0 || vpath[n] != '/')
			continue;
		if (c->orphans == ORPHANS_MOUNTS ||
		    under(vpath + n + 1, s->folder))
			return 1;
	}
	return 0;
}

/*
 * After the input: every secret of the vault that kv-put tagged as
 * migrated from Vault, that no input record named and that lies in the
 * scope (in_scope), emitted sorted by name.  0; -1 when the vault cannot
 * be listed; -2 when emit stopped.
 */
static int
find_orphans(struct kvvault *vv, void *arg)
{
	struct check *c = arg;
	struct orphan *o;
	struct kv_id kid;
	const char *from, *id, *vp, *slash;
	char *err, *key;
	int i, n, len, rc = 0, seen;
	jv all, item, rec;
	struct buf b;
	size_t k;

	/* A vault the input could not reach has no orphans to tell. */
	if (vv->data != NULL)
		return 0;
	/* -v: where orphans were looked for, once. */
	if (msg_verbosity >= 1 && c->orphans != ORPHANS_ALL &&
	    vv->idx == 0) {
		buf_init(&b);
		buf_addstr(&b, "");
		for (k = 0; k < c->nscopes; k++)
			buf_printf(&b, "%s%s%s%s/%s%s", k > 0 ? ", " : "",
			    c->scopes[k].ns, *c->scopes[k].ns != '\0' ?
			    ": " : "", c->scopes[k].mount,
			    c->orphans == ORPHANS_INPUT ?
			    c->scopes[k].folder : "",
			    c->orphans == ORPHANS_INPUT &&
			    *c->scopes[k].folder != '\0' ? "/" : "");
		msg_info(NULL, "orphans looked for in %s (what the input "
		    "covers; --orphans=mounts or =all for more)",
		    c->nscopes > 0 ? b.data : "nothing");
		buf_release(&b);
	}
	all = kv_list_all(vv->kv, "secrets?maxresults=25", NULL);
	if (!jv_is_valid(all)) {
		err = kv_call_msg(all);
		msg_warn(vv->url, "cannot list the vault for --orphans: %s",
		    err);
		free(err);
		c->orphans = -1;
		return 0;
	}
	len = jv_array_length(jv_copy(all));
	o = xcalloc((size_t)len + 1, sizeof(*o));
	for (i = n = 0; i < len; i++) {
		item = jv_array_get(jv_copy(all), i);
		from = kv_tag(item, KV_TAG_FROM);
		id = rec_str(item, "id");
		seen = 1;
		if (kv_id_parse(id, &kid) == 0 && kid.name != NULL) {
			key = xasprintf("%s %s", vv->key, kid.name);
			seen = nameset_has(c->seen, key);
			free(key);
		}
		/* From this Vault, or from one kv-put could not name. */
		if (!seen && from != NULL &&
		    (strcasecmp(from, c->from) == 0 ||
		    strcmp(from, KV_MIGRATED_FROM) == 0) &&
		    in_scope(c, kv_tag(item, KV_TAG_PATH),
		    kv_tag(item, KV_TAG_NS) != NULL &&
		    *kv_tag(item, KV_TAG_NS) != '\0' ?
		    kv_tag(item, KV_TAG_NS) : NULL)) {
			vp = kv_tag(item, KV_TAG_PATH);
			o[n].name = kid.name;
			kid.name = NULL;
			o[n].id = xstrdup(id);
			o[n].vpath = vp != NULL ? xstrdup(vp) : NULL;
			vp = kv_tag(item, KV_TAG_NS);
			o[n].vns = vp != NULL && *vp != '\0' ? xstrdup(vp) :
			    NULL;
			n++;
		}
		kv_id_release(&kid);
		jv_free(item);
	}
	jv_free(all);
	qsort(o, (size_t)n, sizeof(*o), orphan_cmp);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			rec = jv_object_set(jv_object(), jv_string("name"),
			    jv_string(o[i].name));
			/* Where it came from, as its vault-path tag says. */
			vp = o[i].vpath;
			if (vp != NULL && (slash = strchr(vp, '/')) != NULL &&
			    slash > vp && slash[1] != '\0') {
				rec = jv_object_set(rec, jv_string("mount"),
				    jv_string_sized(vp, (int)(slash - vp)));
				rec = jv_object_set(rec, jv_string("path"),
				    jv_string(slash + 1));
			}
			if (o[i].vns != NULL)
				rec = jv_object_set(rec,
				    jv_string("namespace"),
				    jv_string(o[i].vns));
			rec = jv_object_set(rec, jv_string("vault"),
			    jv_string(vv->url));
			rec = jv_object_set(rec, jv_string("id"),
			    jv_string(o[i].id));
			rec = jv_object_set(rec, jv_string("check"),
			    jv_array_append(jv_array(), jv_string("orphan")));
			if (emit(rec, 0, c) == -1)
				rc = -2;
		}
		free(o[i].name);
		free(o[i].id);
		free(o[i].vpath);
		free(o[i].vns);
	}
	free(o);
	return rc;
}

/*
 * One list request before a vault's first record is checked: a vault
 * that cannot be reached, or credentials that get no token or no
 * access, are one error rather than a failure of every record.  0, or
 * -1 and a malloc'd *err (why, without the vault's URL).
 */
static int
preflight(struct kvvault *vv, char **err)
{
	long st;
	char *m;
	jv r;

	r = kv_call(vv->kv, "GET", "secrets?maxresults=1", jv_invalid(), &st);
	if (!jv_is_valid(r)) {
		*err = kv_call_msg(r);
		return -1;
	}
	if (st != 200) {
		m = kv_errmsg(r, st);
		*err = xasprintf("listing secrets: %s", m);
		free(m);
		jv_free(r);
		return -1;
	}
	jv_free(r);
	return 0;
}

/*
 * The record's vault (main thread): its "vault" field, else the default
 * (--vault, KEY_VAULT_NAME), asked once (preflight) when first named.
 * The record fails when its vault is bad, missing or does not answer.
 */
static jv
route(struct check *c, jv rec, struct kvvault **out)
{
	struct kvvault *vv = NULL;
	char *err, *m;
	int fresh = 0;

	*out = NULL;
	if (rec_failed(rec))
		return rec;
	if ((vv = kvset_route(c->set, rec, &fresh, &err)) != NULL) {
		if (fresh && vv->data == NULL && preflight(vv, &m) == -1)
			kvset_refuse(vv, m);
		if (vv->data != NULL)
			err = xstrdup(vv->data);
	}
	if (err != NULL) {
		rec = rec_error(rec_strip_data(rec), 0,
		    "%s", err);
		free(err);
		return rec;
	}
	*out = vv;
	return rec;
}

/* What a check needs of the vault: list and read secrets. */
#define SECRETS_USER	"Key Vault Secrets User"
static const struct preflight_need needs[] = {
	{ KV_DATA_SECRETS "readMetadata/action", 1, "list secrets",
	    SECRETS_USER, "list", PREFLIGHT_PROBE_LIST },
	{ KV_DATA_SECRETS "getSecret/action", 1, "read secrets",
	    SECRETS_USER, "get", PREFLIGHT_PROBE_GET },
	{ NULL, 0, NULL, NULL, NULL, 0 }
};

static jv prepare(jv);

/* The pre-flight of one vault: its problems, a line and a record each. */
static long
dry_check(struct kvvault *vv, struct azure_cred *cred)
{
	struct preflight pf;
	long problems;

	preflight_init(&pf, needs, vv->url);
	if (vv->kv != NULL)
		preflight_kv(&pf, vv->kv, cred);
	problems = preflight_emit(&pf);
	preflight_release(&pf);
	return problems;
}

/*
 * --dry-run: the pre-flight, its problems a line and a record each, then
 * the records passed on unchecked (without their data) and counted.
 */
static int
dry_run(struct check *c, struct http *http, struct azure_cred *cred,
    long all_rate)
{
	struct kvvault *vv;
	struct rec_reader rd;
	long problems = 0, n = 0, failed = 0, sent, retried, throttled;
	char *d, *err;
	int rc, status, fresh;
	jv rec;

	if ((vv = kvset_default(c->set)) != NULL)
		problems += dry_check(vv, cred);
	rec_reader_init(&rd, stdin);
	while ((rc = rec_next_input(&rd, &rec)) != 0) {
		if (rc == 1)
			rec = prepare(rec);
		rec = rec_strip_data(rec);
		/* Each other vault the records name: its own pre-flight. */
		if (rc == 1 && !rec_failed(rec)) {
			if ((vv = kvset_route(c->set, rec, &fresh, &err)) !=
			    NULL && fresh)
				problems += dry_check(vv, cred);
			if (err != NULL) {
				rec = rec_error(rec, 0, "%s", err);
				free(err);
			}
		}
		n++;
		failed += rec_failed(rec);
		if (rec_emit(rec) == -1)
			break;
	}
	rec_reader_release(&rd);
	stop_kvset(c->set, cred, http, &sent, &retried, &throttled);
	nameset_free(c->seen);
	free(c->from);
	/* A check reads a name's versions, then a value: two requests. */
	d = preflight_seconds(preflight_duration(2.0 * (n - failed), all_rate,
	    10));
	status = problems + failed > 0 ? EXIT_PARTIAL : EXIT_OK;
	status = msg_finish(status, "dry-run: %ld record%s: %ld to check, "
	    "%s%s; nothing compared; expected duration %s at %ld "
	    "requests per 10 s", n, PLURAL(n), n - failed,
	    msg_failed_text(failed), problems > 0 ? ", pre-flight problems "
	    "above" : "", d, all_rate);
	free(d);
	return status;
}

/*
 * Check the input record before it joins a group: a name is needed.
 * Returns the record, marked failed when it cannot be checked.
 */
static jv
prepare(jv rec)
{
	const char *name;

	if (rec_failed(rec))
		return rec;
	name = rec_str(rec, "name");
	if (name == NULL && rec_str(rec, "path") != NULL)
		return rec_error(rec_strip_data(rec), 0,
		    "no name: pipe the records through kv-name first");
	if (name == NULL)	/* no path to name it by: its line does */
		return rec_error(rec_strip_data(rec), 0,
		    "line %zu: no name: pipe the records through kv-name "
		    "first", rec_lineno());
	if (!kv_name_valid(name))
		return rec_error(rec_strip_data(rec), 0,
		    "not a Key Vault secret name: map names with kv-name");
	return rec;
}

/*
 * A later record of the group: it must be of the same path, in the same
 * namespace (gns, NULL for none).
 */
static jv
same_path(jv rec, const char *name, const char *gpath, const char *gns)
{
	char *vp;

	if (rec_failed(rec) || gpath == NULL ||
	    (vp = kv_record_vpath(rec)) == NULL)
		return rec;
	if (strcmp(vp, gpath) == 0 && !same_str(rec_ns(rec), gns))
		rec = rec_error(rec_strip_data(rec), 0,
		    "%s is also the name of %s of namespace %s: give each "
		    "its own name with kv-name", name, gpath,
		    gns != NULL ? gns : "(none)");
	else if (strcmp(vp, gpath) != 0)
		rec = rec_error(rec_strip_data(rec), 0,
		    "%s is also the name of %s: give each path its own name "
		    "with kv-name", name, gpath);
	free(vp);
	return rec;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		KV_LONGOPTS,
		{ "orphans",	optional_argument,	NULL, OPT_ORPHANS },
		{ "report",	required_argument,	NULL, OPT_REPORT },
		MSG_LONGOPTS(OPT_VERSION)
	};
	struct http *http;
	struct azure_cred *cred;
	struct rec_reader rd;
	struct pool *pool;
	struct check c;
	struct kvvault *vv, *gvault = NULL;
	const char *vault = NULL, *name, *report = NULL;
	char *gname = NULL, *gpath = NULL, *gns = NULL, *err, *key, *sum;
	char *vurl;
	size_t i;
	long all_rate = 0, sent, retried, throttled;
	int ch, rc, status, stop = 0;
	jv rec, group = jv_invalid();

	msg_init("kv-check");
	msg_help_text(synopsis, options);
	msg_quiet_epipe();	/* read-only: | head ends it quietly */
	memset(&c, 0, sizeof(c));
	c.want_exp = 1;
	while ((ch = getopt_long(argc, argv, "hj:nqv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case KV_OPT_EXPIRES:
			if (strcmp(optarg, "never") == 0)
				c.want_exp = 0;
			else
				(void)xstrtonum(optarg, 1, 36500,
				    "--expires");
			break;
		case KV_OPT_JSON:
			c.json = 1;
			break;
		case OPT_ORPHANS:
			if (optarg == NULL || strcmp(optarg, "input") == 0)
				c.orphans = ORPHANS_INPUT;
			else if (strcmp(optarg, "mounts") == 0)
				c.orphans = ORPHANS_MOUNTS;
			else if (strcmp(optarg, "all") == 0)
				c.orphans = ORPHANS_ALL;
			else
				msg_usage_error("--orphans=%s: input, mounts "
				    "or all", optarg);
			break;
		case OPT_REPORT:
			report = optarg;
			break;
		case KV_OPT_RATE:
			all_rate = (long)xstrtonum(optarg, 1, 1000000,
			    "--rate");
			break;
		case KV_OPT_VAULT:
			vault = optarg;
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	msg_no_operands(argc);
	/* None: every record must carry its own. */
	vault = kv_target(vault);
	if (report != NULL && (c.report = report_new(report, &err)) == NULL)
		msg_usage_error("%s", err);

	c.now = time(NULL);
	c.seen = nameset_new();
	c.from = kv_migrated_from();
	http = start_http("KV_CLIENT_TIMEOUT", msg_jobs, 1);
	/*
	 * Reads only: the budget of all other transactions, whole over its
	 * 10-second window by default, evenly at --rate's.
	 */
	c.set = start_kvset(http, vault, cures, 0, all_rate / 10.0, &cred);
	if (all_rate == 0)
		kvset_set_window(c.set, 0, BUDGET_WINDOW, ALL_BUDGET,
		    BUDGET_WINDOW);
	if (msg_dry_run)
		return dry_run(&c, http, cred, all_rate > 0 ? all_rate :
		    ALL_BUDGET);
	if ((vv = kvset_default(c.set)) != NULL && preflight(vv, &err) == -1)
		msg_fatal("%s: %s", vv->url, err);

	/*
	 * The records of one name travel together, as one job: a history
	 * (vault-dump --all-versions) is checked as a whole.
	 */
	pool = pool_new(msg_jobs, check_group, emit, &c);
	rec_reader_init(&rd, stdin);
	for (;;) {
		rc = msg_stop ? 0 : rec_next(&rd, &rec);
		if (rc == -2)
			msg_fatal("standard input: %s", strerror(errno));
		if (rc == 0)
			break;
		/* A bad line comes as an error record, said by emit. */
		vv = NULL;
		if (rc == 1) {
			scope_add(&c, rec);
			rec = route(&c, prepare(rec), &vv);
		}
		name = rc == 1 ? rec_str(rec, "name") : NULL;
		/* A failed record has no vault: it goes with its name. */
		if (name != NULL && gname != NULL && (vv == gvault ||
		    vv == NULL) && strcasecmp(name, gname) == 0) {
			group = jv_array_append(group,
			    same_path(rec, name, gpath, gns));
			continue;
		}
		/* Another name: the group so far is complete. */
		if (jv_is_valid(group) && pool_submit(pool, group, 0) == -1) {
			group = jv_invalid();
			jv_wipe_free(rec);
			stop = 1;
			break;
		}
		free(gname);
		free(gpath);
		free(gns);
		gname = gpath = gns = NULL;
		gvault = vv;
		if (name != NULL) {
			gname = xstrdup(name);
			gpath = kv_record_vpath(rec);
			gns = rec_ns(rec) != NULL ? xstrdup(rec_ns(rec)) :
			    NULL;
			/* Names are per vault. */
			key = vv != NULL ? xasprintf("%s %s", vv->key, name) :
			    NULL;
			rc = key != NULL && nameset_add(c.seen, key);
			free(key);
			if (rc &&
			    !rec_failed(rec))
				rec = rec_error(jv_object_delete(rec,
				    jv_string("data")), 0, "records of %s are "
				    "not together in the input: kv-check "
				    "compares the versions of a name only when "
				    "they come one after the other", gname);
		}
		group = jv_array_append(jv_array(), rec);
	}
	if (jv_is_valid(group) && pool_submit(pool, group, 0) == -1)
		stop = 1;
	free(gname);
	free(gpath);
	free(gns);
	rec_reader_release(&rd);
	if (pool_finish(pool) == -1)
		stop = 1;
	pool_free(pool);
	status = EXIT_OK;
	if (c.orphans && !stop && !msg_stop)
		kvset_iterate(c.set, find_orphans, &c);
	if (c.orphans == -1)
		status = EXIT_PARTIAL;

	vurl = (vv = kvset_default(c.set)) != NULL ? xstrdup(vv->url) :
	    xstrdup("the records' vaults");
	kvset_free_data(c.set);
	stop_kvset(c.set, cred, http, &sent, &retried, &throttled);
	nameset_free(c.seen);
	free(c.from);
	for (i = 0; i < c.nscopes; i++) {
		free(c.scopes[i].ns);
		free(c.scopes[i].mount);
		free(c.scopes[i].folder);
	}
	free(c.scopes);
	if (c.differ + c.failed > 0)
		status = EXIT_PARTIAL;
	if (c.orphans)
		sum = xasprintf("%ld record%s: %ld ok, %ld differ (%ld "
		    "orphan%s), %s; %ld request%s, %ld retried, %ld throttled",
		    c.out, PLURAL(c.out), c.ok, c.differ, c.norphans,
		    PLURAL(c.norphans), msg_failed_text(c.failed), sent,
		    PLURAL(sent), retried, throttled);
	else
		sum = xasprintf("%ld record%s: %ld ok, %ld differ, %s; %ld "
		    "request%s, %ld retried, %ld throttled", c.out,
		    PLURAL(c.out), c.ok, c.differ, msg_failed_text(c.failed),
		    sent, PLURAL(sent), retried, throttled);
	/*
	 * The report is written before stdout is closed, whatever came
	 * of the run: an interrupted or cut-short one says so in it.
	 */
	if (c.report != NULL) {
		if (report_write(c.report, vurl, sum, stop || msg_stop ||
		    msg_output_errno() != 0, &err) == -1) {
			msg_error(NULL, "%s", err);
			free(err);
			status = EXIT_FATAL;
		}
		report_free(c.report);
	}
	status = msg_finish(status, "%s", sum);
	free(sum);
	free(vurl);
	return status;
}
