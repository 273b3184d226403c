/* rollback.c: kv-put --rollback, the undoing of what a mapping created. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common.h"
#include "rollback.h"

/*
 * Deletion is asynchronous: the deleted secret can be purged once GET
 * deletedsecrets/NAME finds it (Key Vault REST, Delete Secret and Purge
 * Deleted Secret; a purge before that answers 409 ObjectIsBeingDeleted).
 */
#define PURGE_WAIT_S	120

/*
 * What a mapping says of one secret name in one vault, and what became of
 * it.  A name is unique per vault only: the same name in two vaults is two
 * secrets.
 */
struct name {
	struct kvvault *vv;	/* its vault */
	char	*version;	/* the version its last record names */
	int	 created;	/* a record of the mapping created it */
	const char *done;	/* the outcome, once handled */
	char	*err;		/* why it failed, or NULL */
	long	 status;	/* the HTTP status of the failure, 0 if none */
};

struct counts {
	long	 n;		/* records */
	long	 deleted, purged, absent, failed;	/* names created; the
						   purged are deleted too */
	long	 kept, updated;	/* records of names not created */
	long	 errors;	/* records that came with an error */
};

/* The version of secret name an id names, or NULL. */
static char *
id_version(const char *id, const char *name)
{
	struct kv_id kid;
	char *v = NULL;

	if (id != NULL && kv_id_parse(id, &kid) == 0) {
		if (kid.coll != NULL && strcmp(kid.coll, "secrets") == 0 &&
		    kid.name != NULL && strcasecmp(kid.name, name) == 0 &&
		    kid.version != NULL && *kid.version != '\0') {
			v = kid.version;
			kid.version = NULL;
		}
		kv_id_release(&kid);
	}
	return v;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && !msg_stop)
		;
}

static void
fail(struct name *nm, long status, char *err)
{
	nm->done = NULL;
	nm->status = status;
	nm->err = err;
}

/* Purge the deleted secret name, once its deletion is done. */
static void
purge(struct kv *kv, const char *name, struct name *nm)
{
	time_t deadline = time(NULL) + PURGE_WAIT_S;
	char *path;
	long st;
	jv r;

	path = xasprintf("deletedsecrets/%s", name);
	while (!msg_stop) {
		r = kv_call(kv, "GET", path, jv_invalid(), &st);
		if (!jv_is_valid(r)) {
			fail(nm, 0, kv_call_msg(r));
			goto out;
		}
		jv_wipe_free(r);
		if (st == 200)
			break;
		if (st != 404) {
			fail(nm, st, xasprintf("deleted, but not found among "
			    "the deleted secrets: HTTP %ld", st));
			goto out;
		}
		if (time(NULL) >= deadline) {
			fail(nm, 0, xasprintf("deleted, but the deletion did "
			    "not complete within %d seconds: not purged",
			    PURGE_WAIT_S));
			goto out;
		}
		pause_ms(500);
	}
	while (!msg_stop) {
		r = kv_call(kv, "DELETE", path, jv_invalid(), &st);
		if (!jv_is_valid(r)) {
			fail(nm, 0, kv_call_msg(r));
			goto out;
		}
		if (st == 409 && time(NULL) < deadline &&
		    strcmp(kv_inner_code(r), "ObjectIsBeingDeleted") == 0) {
			jv_free(r);
			pause_ms(500);
			continue;
		}
		if (st == 200 || st == 204)
			nm->done = "purged";
		else {
			char *m = kv_errmsg(r, st);

			fail(nm, st, xasprintf("deleted, but not purged: %s",
			    m));
			free(m);
		}
		jv_free(r);
		goto out;
	}
	fail(nm, 0, xstrdup("interrupted: deleted, not purged"));
out:
	free(path);
}

/*
 * Undo name: delete it, if its current version is still the one the
 * mapping wrote last, then purge it if asked.
 */
static void
undo(struct kv *kv, const char *name, struct name *nm, int do_purge,
    int dry_run)
{
	struct kvver v;
	char *err = NULL, *path;
	long st;
	int rc;
	jv r;

	rc = kvver_read(kv, name, NULL, &v, &st, &err);
	if (rc == KVVER_ABSENT) {
		free(err);
		nm->done = "absent";
		return;
	}
	if (rc == -1) {
		fail(nm, st, err);
		return;
	}
	free(err);
	if (rc == KVVER_DISABLED || strcasecmp(v.version, nm->version) != 0) {
		/* Someone wrote or disabled it since: it is theirs now. */
		fail(nm, 0, xasprintf("changed since the migration: its current "
		    "version is %s, the mapping's %s; left alone",
		    rc == KVVER_DISABLED ? "disabled" : v.version,
		    nm->version));
		if (rc == KVVER_READ)
			kvver_release(&v);
		return;
	}
	kvver_release(&v);
	if (dry_run) {
		nm->done = do_purge ? "would-purge" : "would-delete";
		return;
	}
	path = xasprintf("secrets/%s", name);
	r = kv_call(kv, "DELETE", path, jv_invalid(), &st);
	free(path);
	if (!jv_is_valid(r)) {
		fail(nm, 0, kv_call_msg(r));
		return;
	}
	if (st != 200) {
		fail(nm, st, kv_errmsg(r, st));
		jv_free(r);
		return;
	}
	jv_wipe_free(r);
	nm->done = "deleted";
	if (do_purge)
		purge(kv, name, nm);
}

/* Count the outcome of a name, once. */
static void
count(struct counts *c, const struct name *nm)
{
	if (nm->err != NULL)
		c->failed++;
	else if (strcmp(nm->done, "absent") == 0)
		c->absent++;
	else {
		c->deleted++;
		if (strcmp(nm->done, "purged") == 0 ||
		    strcmp(nm->done, "would-purge") == 0)
			c->purged++;
	}
}

static int
name_free(const char *key, void *val, void *arg)
{
	struct name *nm = val;

	free(nm->version);
	free(nm->err);
	free(nm);
	return 0;
}

/*
 * The key of rec's name in its vault ("VAULT NAME", malloc'd), with *vv
 * its vault; NULL and a malloc'd *err when the vault is bad or none is
 * given.
 */
static char *
name_key(struct kvset *set, jv rec, struct kvvault **vv, char **err)
{
	int fresh;

	if ((*vv = kvset_route(set, rec, &fresh, err)) == NULL)
		return NULL;
	if ((*vv)->kv == NULL) {
		*err = xasprintf("vault %s: %s", (*vv)->url,
		    (*vv)->err != NULL ? (*vv)->err : "cannot be used");
		return NULL;
	}
	return xasprintf("%s %s", (*vv)->key, rec_str(rec, "name"));
}

/* Note what record rec says of its name; 0, or -1 with *err. */
static int
note(struct kvset *set, struct cimap *names, jv rec, char **err)
{
	const char *name = rec_str(rec, "name"), *s = rec_str(rec, "status");
	struct kvvault *vv;
	struct name *nm;
	char *v, *key;

	if (name == NULL || s == NULL) {
		*err = xstrdup("not a line of kv-put's mapping: no name or "
		    "status");
		return -1;
	}
	if (strncmp(s, "would-", 6) == 0) {
		*err = xasprintf("a line of a dry run (status %s): nothing "
		    "was written", s);
		return -1;
	}
	if (!kv_name_valid(name)) {
		*err = xasprintf("%s is not a Key Vault secret name", name);
		return -1;
	}
	if (strcmp(s, "created") != 0 && strcmp(s, "updated") != 0 &&
	    strcmp(s, "unchanged") != 0)
		return 0;	/* conflict, skipped: nothing written */
	if ((v = id_version(rec_str(rec, "id"), name)) == NULL) {
		*err = xasprintf("its id is not a version of secret %s", name);
		return -1;
	}
	if ((key = name_key(set, rec, &vv, err)) == NULL) {
		free(v);
		return -1;
	}
	if ((nm = cimap_get(names, key)) == NULL) {
		nm = xcalloc(1, sizeof(*nm));
		nm->vv = vv;
		cimap_put(names, key, nm);
	}
	free(key);
	free(nm->version);
	nm->version = v;
	if (strcmp(s, "created") == 0)
		nm->created = 1;
	return 0;
}

int
rollback(struct kvset *set, int do_purge, int dry_run, char **summary)
{
	struct rec_reader rd;
	struct cimap *names = cimap_new(0);
	struct kvvault *vv;
	struct counts c;
	struct name *nm;
	const char *s;
	char *err, *l, *key;
	jv all = jv_array(), rec;
	int rc, i, n;

	memset(&c, 0, sizeof(c));
	/* The whole mapping first: the last record of a name says which
	 * version must still be current. */
	rec_reader_init(&rd, stdin);
	while ((rc = rec_next_input(&rd, &rec)) != 0) {
		/* A mapping holds no values; an export does. */
		rec = rec_strip_data(rec);
		if (rc == 1 && !rec_failed(rec) &&
		    note(set, names, rec, &err) == -1) {
			l = rec_label(rec, rd.lineno);
			msg_warn(l, "%s", err);
			free(l);
			rec = rec_error(rec, 0, "%s", err);
			free(err);
		}
		all = jv_array_append(all, rec);
	}
	rec_reader_release(&rd);
	n = jv_array_length(jv_copy(all));
	for (i = 0; i < n && msg_output_errno() == 0; i++) {
		rec = jv_array_get(jv_copy(all), i);
		c.n++;
		if (rec_failed(rec)) {
			c.errors++;
			rec_emit(rec);
			continue;
		}
		s = rec_str(rec, "status");
		/* Routed once already, by note: no error now. */
		nm = NULL;
		if ((key = name_key(set, rec, &vv, &err)) != NULL) {
			nm = cimap_get(names, key);
			free(key);
		} else
			free(err);
		if (nm == NULL || !nm->created) {
			/* Nothing this mapping created: not to be touched. */
			if (strcmp(s, "updated") == 0)
				c.updated++;
			c.kept++;
			rec = jv_object_set(rec, jv_string("rollback"),
			    jv_string("kept"));
			rec_emit(rec);
			continue;
		}
		if (nm->done == NULL && nm->err == NULL) {
			/* The first record of the name: undo it, once. */
			if (!msg_stop)
				undo(nm->vv->kv, rec_str(rec, "name"), nm,
				    do_purge, dry_run);
			if (nm->done == NULL && nm->err == NULL)
				nm->err = xstrdup("interrupted: not rolled "
				    "back");
			count(&c, nm);
		}
		l = rec_label(rec, 0);
		if (nm->err != NULL) {
			msg_warn(l, "%s: %s", rec_str(rec, "name"), nm->err);
			rec = rec_error(rec, nm->status, "%s: %s",
			    rec_str(rec, "name"), nm->err);
		} else
			msg_info(l, "%s %s", nm->done, rec_str(rec, "name"));
		free(l);
		if (nm->done != NULL)
			rec = jv_object_set(rec, jv_string("rollback"),
			    jv_string(nm->done));
		rec_emit(rec);
	}
	jv_free(all);
	cimap_iterate(names, name_free, NULL);
	cimap_free(names);
	*summary = xasprintf("rollback%s: %ld records; of the secrets the "
	    "mapping created: %ld %s, %ld %s, %ld absent, %ld failed; %ld "
	    "records kept (%ld updated: their new versions stay), %ld with "
	    "an error", dry_run ? " (dry run, nothing deleted)" : "", c.n,
	    c.deleted, dry_run ? "to delete" : "deleted", c.purged,
	    dry_run ? "to purge" : "purged", c.absent, c.failed, c.kept,
	    c.updated, c.errors);
	return c.failed + c.errors > 0 ? EXIT_PARTIAL : EXIT_OK;
}
