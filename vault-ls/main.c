/* vault-ls: inventory of the secrets in Vault's KV mounts, without values. */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define JOBS_DEFAULT	8
#define JOBS_MAX	64
/*
 * Folders nest at most this deep below a mount.  A server whose listing
 * never ends (a folder that lists itself, "a/" under "a/" for ever)
 * would otherwise hold the walk for ever: the subtree is an error.
 */
#define DEPTH_MAX	64
#define OPT_VERSION	256
#define PLURAL(n)	((n) == 1 ? "" : "s")

struct mount {
	char	*name;		/* no slashes at its ends */
	int	 kv;		/* 1, 2, or 0 when unknown */
	long	 secrets;
	long	 failed;
};

/* A secret found, or a folder (or argument) that failed. */
struct entry {
	size_t	 mount;
	char	*path;
	int	 folder;
	long	 status;
	char	*error;
};

struct folder {
	size_t		 mount;
	char		*path;	/* "" or ending with '/' */
	int		 root;
	struct folder	*next;
};

struct walk {
	struct vault	*vault;
	struct mount	*mounts;
	size_t		 nmounts;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct folder	*head;
	struct folder	*tail;
	long		 pending;	/* folders queued or being listed */
	struct entry	*ents;
	size_t		 nents;
	size_t		 cap;
	int		 progress;
};

struct ls {
	struct vault	*vault;
	struct walk	*walk;
	long		 meta_failed;
};

static void
usage(void)
{
	fprintf(stderr, "usage: vault-ls [-hlqv] [-j jobs] "
	    "[mount[/folder] ...]\n");
	exit(EXIT_FATAL);
}

static size_t
mount_add(struct walk *w, const char *name, int kv)
{
	size_t i;

	for (i = 0; i < w->nmounts; i++)
		if (strcmp(w->mounts[i].name, name) == 0) {
			if (w->mounts[i].kv == 0)
				w->mounts[i].kv = kv;
			return i;
		}
	w->mounts = xrealloc(w->mounts, (w->nmounts + 1) *
	    sizeof(*w->mounts));
	memset(&w->mounts[w->nmounts], 0, sizeof(*w->mounts));
	w->mounts[w->nmounts].name = xstrdup(name);
	w->mounts[w->nmounts].kv = kv;
	return w->nmounts++;
}

/* Called with w->mu held, or before the workers start. */
static void
entry_add(struct walk *w, size_t mount, char *path, int folder, long status,
    char *error)
{
	struct entry *e;

	if (w->nents == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->ents = xrealloc(w->ents, w->cap * sizeof(*w->ents));
	}
	e = &w->ents[w->nents++];
	e->mount = mount;
	e->path = path;
	e->folder = folder;
	e->status = status;
	e->error = error;
	if (folder)
		w->mounts[mount].failed++;
	else
		w->mounts[mount].secrets++;
}

/* Called with w->mu held, or before the workers start. */
static void
folder_push(struct walk *w, size_t mount, char *path, int root)
{
	struct folder *f;

	f = xcalloc(1, sizeof(*f));
	f->mount = mount;
	f->path = path;
	f->root = root;
	if (w->tail != NULL)
		w->tail->next = f;
	else
		w->head = f;
	w->tail = f;
	w->pending++;
	pthread_cond_signal(&w->cv);
}

/* A failed folder: its path without the final slash. */
static void
folder_failed(struct walk *w, struct folder *f, long status, char *error)
{
	size_t n = strlen(f->path);

	msg_warn(NULL, "%s/%s: cannot list: %s", w->mounts[f->mount].name,
	    f->path, error);
	if (w->progress)
		msg_progress_add(1);
	pthread_mutex_lock(&w->mu);
	entry_add(w, f->mount, xstrndup(f->path, n > 0 ? n - 1 : 0), 1,
	    status, error);
	pthread_mutex_unlock(&w->mu);
}

/*
 * LIST one folder: secrets become entries, subfolders join the queue.
 * KV v2 lists below metadata/, v1 the path itself; an empty or missing
 * folder answers a bare 404 (developer.hashicorp.com/vault/api-docs,
 * "HTTP status codes").
 */
static void
list_folder(struct walk *w, struct folder *f)
{
	struct mount *m = &w->mounts[f->mount];
	jv r, keys, k;
	char *p, *err;
	const char *key;
	long status;
	int i, n, found = 0, depth = 0;

	for (key = f->path; *key != '\0'; key++)
		depth += *key == '/';
	if (depth > DEPTH_MAX) {
		folder_failed(w, f, 0, xasprintf("folders nested deeper than "
		    "%d levels: not listed (does a folder list itself?)",
		    DEPTH_MAX));
		return;
	}
	p = xasprintf("%s/%s%s", m->name, m->kv == 2 ? "metadata/" : "",
	    f->path);
	r = vault_call(w->vault, "LIST", p, jv_invalid(), &status);
	free(p);
	if (!jv_is_valid(r)) {
		folder_failed(w, f, 0, rec_invalid_msg(r, "no answer"));
		return;
	}
	if (status == 404) {
		err = vault_errmsg(r, status);
		if (strcmp(err, "not found") != 0)
			folder_failed(w, f, status, err);
		else {
			free(err);
			if (f->root && *f->path != '\0')
				msg_warn(NULL, "%s/%s: no secrets (empty or "
				    "missing folder)", m->name, f->path);
		}
		jv_free(r);
		return;
	}
	if (status != 200) {
		folder_failed(w, f, status, vault_errmsg(r, status));
		jv_free(r);
		return;
	}
	keys = jv_get_kind(r) == JV_KIND_OBJECT ?
	    jv_getpath(jv_copy(r), JV_ARRAY(jv_string("data"),
	    jv_string("keys"))) : jv_invalid();
	jv_free(r);
	if (jv_get_kind(keys) != JV_KIND_ARRAY) {
		jv_free(keys);
		folder_failed(w, f, status, xstrdup("LIST answer without "
		    "data.keys"));
		return;
	}
	n = jv_array_length(jv_copy(keys));
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < n; i++) {
		k = jv_array_get(jv_copy(keys), i);
		if (jv_get_kind(k) == JV_KIND_STRING &&
		    *(key = jv_string_value(k)) != '\0' &&
		    strcmp(key, "/") != 0) {
			p = xasprintf("%s%s", f->path, key);
			if (key[strlen(key) - 1] == '/')
				folder_push(w, f->mount, p, 0);
			else {
				entry_add(w, f->mount, p, 0, 0, NULL);
				found++;
			}
		}
		jv_free(k);
	}
	pthread_mutex_unlock(&w->mu);
	jv_free(keys);
	if (w->progress)
		while (found-- > 0)
			msg_progress_add(0);
}

static void *
walker(void *arg)
{
	struct walk *w = arg;
	struct folder *f;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && w->pending > 0)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->head == NULL)
			break;
		f = w->head;
		if ((w->head = f->next) == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mu);
		if (!msg_stop) {
			http_record_start();
			list_folder(w, f);
			http_record_end();
		}
		free(f->path);
		free(f);
		pthread_mutex_lock(&w->mu);
		if (--w->pending == 0)
			pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
walk_run(struct walk *w, int jobs)
{
	pthread_t *th;
	sigset_t all, old;
	int i;

	th = xcalloc((size_t)jobs, sizeof(*th));
	/* Signals go to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < jobs; i++)
		if (pthread_create(&th[i], NULL, walker, w) != 0)
			msg_fatal("cannot start a thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);
	free(th);
}

/* Add the KV mounts of a sys/mounts-shaped map ({"secret/":{...}}). */
static void
mounts_from(struct walk *w, jv map)
{
	jv t, ver;
	char *name;
	size_t n;
	int kv;

	if (jv_get_kind(map) != JV_KIND_OBJECT) {
		jv_free(map);
		return;
	}
	jv_object_foreach(map, k, m) {
		t = jv_get_kind(m) == JV_KIND_OBJECT ?
		    jv_object_get(jv_copy(m), jv_string("type")) :
		    jv_invalid();
		if (jv_get_kind(t) == JV_KIND_STRING &&
		    (strcmp(jv_string_value(t), "kv") == 0 ||
		    strcmp(jv_string_value(t), "generic") == 0)) {
			ver = jv_getpath(jv_copy(m), JV_ARRAY(
			    jv_string("options"), jv_string("version")));
			/* v2 iff options.version is "2" (api-docs/system/mounts). */
			kv = jv_get_kind(ver) == JV_KIND_STRING &&
			    strcmp(jv_string_value(ver), "2") == 0 ? 2 : 1;
			jv_free(ver);
			name = xstrdup(jv_string_value(k));
			n = strlen(name);
			while (n > 0 && name[n - 1] == '/')
				name[--n] = '\0';
			if (n > 0)
				folder_push(w, mount_add(w, name, kv),
				    xstrdup(""), 1);
			free(name);
		}
		jv_free(t);
		jv_free(k);
		jv_free(m);
	}
	jv_free(map);
}

/*
 * Every KV mount: sys/mounts, or for a token that may not read it,
 * sys/internal/ui/mounts, which lists the mounts the token can use.
 */
static void
discover(struct walk *w)
{
	jv r, d;
	char *err;
	long status;

	r = vault_call(w->vault, "GET", "sys/mounts", jv_invalid(), &status);
	if (jv_is_valid(r) && status == 200) {
		d = jv_object_get(jv_copy(r), jv_string("data"));
		/* Older servers put the mounts at the top level. */
		if (jv_get_kind(d) != JV_KIND_OBJECT) {
			jv_free(d);
			d = jv_copy(r);
		}
		mounts_from(w, d);
		jv_free(r);
		return;
	}
	if (!jv_is_valid(r))
		msg_fatal("sys/mounts: %s", rec_invalid_msg(r, "no answer"));
	if (status != 403) {
		err = vault_errmsg(r, status);
		msg_fatal("cannot list mounts: sys/mounts: %s", err);
	}
	jv_free(r);
	msg_info(NULL, "sys/mounts: permission denied, using "
	    "sys/internal/ui/mounts");
	r = vault_call(w->vault, "GET", "sys/internal/ui/mounts", jv_invalid(),
	    &status);
	if (!jv_is_valid(r))
		msg_fatal("sys/internal/ui/mounts: %s",
		    rec_invalid_msg(r, "no answer"));
	if (status != 200) {
		err = vault_errmsg(r, status);
		msg_fatal("cannot list mounts: sys/mounts and "
		    "sys/internal/ui/mounts: %s", err);
	}
	mounts_from(w, jv_getpath(r, JV_ARRAY(jv_string("data"),
	    jv_string("secret"))));
}

/* An argument: a mount, or a folder inside one. */
static void
resolve(struct walk *w, const char *arg)
{
	char *p, *mount, *err, *rest;
	size_t n, mi;
	long status;
	int kv;

	while (*arg == '/')
		arg++;
	p = xstrdup(arg);
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		p[--n] = '\0';
	if (n == 0)
		msg_usage_error("empty mount or folder: \"%s\"", arg);
	if (vault_mount_of(w->vault, p, &mount, &kv, &status, &err) == -1) {
		if (status == 0)
			msg_fatal("%s", err);
		msg_warn(NULL, "%s: cannot find its mount: %s", p, err);
		n = strcspn(p, "/");
		rest = p[n] == '/' ? p + n + 1 : p + n;
		p[n] = '\0';
		mi = mount_add(w, p, 0);
		entry_add(w, mi, xstrdup(rest), 1, status, err);
		free(p);
		return;
	}
	rest = p + strlen(mount);
	while (*rest == '/')
		rest++;
	mi = mount_add(w, mount, kv);
	folder_push(w, mi, *rest == '\0' ? xstrdup("") :
	    xasprintf("%s/", rest), 1);
	free(mount);
	free(p);
}

/* Drop root folders that lie inside another root of the same mount. */
static void
prune_roots(struct walk *w)
{
	struct folder **pp, *f, *g;
	int inside, before;

	for (pp = &w->head; (f = *pp) != NULL;) {
		inside = 0;
		before = 1;
		for (g = w->head; g != NULL && !inside; g = g->next) {
			if (g == f) {
				before = 0;
				continue;
			}
			/* Inside g, or the same folder named again. */
			if (g->mount == f->mount &&
			    strncmp(f->path, g->path, strlen(g->path)) == 0 &&
			    (strlen(g->path) < strlen(f->path) || before))
				inside = 1;
		}
		if (inside) {
			*pp = f->next;
			free(f->path);
			free(f);
			w->pending--;
		} else
			pp = &f->next;
	}
	for (w->tail = w->head; w->tail != NULL && w->tail->next != NULL;)
		w->tail = w->tail->next;
}

static struct walk *sort_walk;

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if ((c = strcmp(sort_walk->mounts[x->mount].name,
	    sort_walk->mounts[y->mount].name)) != 0)
		return c;
	if ((c = strcmp(x->path, y->path)) != 0)
		return c;
	return x->folder - y->folder;
}

static jv
entry_record(struct walk *w, struct entry *e)
{
	struct mount *m = &w->mounts[e->mount];
	const char *ns;
	jv r;

	r = jv_object();
	r = jv_object_set(r, jv_string("mount"), jv_string(m->name));
	r = jv_object_set(r, jv_string("path"), jv_string(e->path));
	if (m->kv != 0)
		r = jv_object_set(r, jv_string("kv"), jv_number(m->kv));
	if ((ns = vault_namespace(w->vault)) != NULL)
		r = jv_object_set(r, jv_string("namespace"), jv_string(ns));
	if (e->folder) {
		r = jv_object_set(r, jv_string("folder"), jv_true());
		r = rec_error(r, e->status, "%s", e->error);
	}
	return r;
}

static int
mount_cmp(const void *a, const void *b)
{
	const struct mount *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static const char *
kv_name(int kv)
{
	return kv == 2 ? "kv v2" : kv == 1 ? "kv v1" : "kv unknown";
}

static jv
set_from(jv rec, const char *field, jv from, const char *key)
{
	jv v = jv_object_get(jv_copy(from), jv_string(key));

	if (jv_is_valid(v))
		return jv_object_set(rec, jv_string(field), v);
	jv_free(v);
	return rec;
}

/*
 * -l, in a worker: the KV v2 metadata of one secret (current version,
 * times, custom_metadata, how many versions are kept, and whether the
 * current one is deleted or destroyed).
 */
static jv
add_metadata(jv rec, long tag, void *arg)
{
	struct ls *ls = arg;
	jv r, d, vers, cur, dva, kv, cm;
	char *p, *err, key[32];
	long status;
	double cv;
	long long n;
	int state;

	kv = jv_object_get(jv_copy(rec), jv_string("kv"));
	if (rec_failed(rec) || jv_get_kind(kv) != JV_KIND_NUMBER ||
	    jv_number_value(kv) != 2) {
		jv_free(kv);
		return rec;
	}
	jv_free(kv);
	p = xasprintf("%s/metadata/%s", rec_str(rec, "mount"),
	    rec_str(rec, "path"));
	r = vault_call(ls->vault, "GET", p, jv_invalid(), &status);
	free(p);
	if (!jv_is_valid(r)) {
		err = rec_invalid_msg(r, "no answer");
		rec = rec_error(rec, 0, "metadata: %s", err);
		free(err);
		return rec;
	}
	if (status != 200) {
		err = vault_errmsg(r, status);
		if (status == 404 && strcmp(err, "not found") == 0)
			rec = rec_error(rec, status, "metadata: not found "
			    "(deleted since listing?)");
		else
			rec = rec_error(rec, status, "metadata: %s", err);
		free(err);
		jv_free(r);
		return rec;
	}
	d = jv_object_get(r, jv_string("data"));
	if (jv_get_kind(d) != JV_KIND_OBJECT) {
		jv_free(d);
		return rec_error(rec, status, "metadata: answer without data");
	}
	cur = jv_object_get(jv_copy(d), jv_string("current_version"));
	/* Vault's number; one that is no version counts as none. */
	cv = rec_number_int(cur, 1, REC_INT_MAX, &n) == 0 ? (double)n : 0;
	jv_free(cur);
	vers = jv_object_get(jv_copy(d), jv_string("versions"));
	snprintf(key, sizeof(key), "%.0f", cv);
	cur = jv_get_kind(vers) == JV_KIND_OBJECT ?
	    jv_object_get(jv_copy(vers), jv_string(key)) : jv_invalid();
	rec = jv_object_set(rec, jv_string("version"), jv_number(cv));
	/* The version's own time, as vault-dump reports it. */
	if (jv_get_kind(cur) == JV_KIND_OBJECT)
		rec = set_from(rec, "created_time", cur, "created_time");
	else
		rec = set_from(rec, "created_time", d, "created_time");
	rec = set_from(rec, "updated_time", d, "updated_time");
	cm = jv_object_get(jv_copy(d), jv_string("custom_metadata"));
	if (!jv_is_valid(cm)) {
		jv_free(cm);
		cm = jv_null();
	}
	rec = jv_object_set(rec, jv_string("custom_metadata"), cm);
	rec = jv_object_set(rec, jv_string("version_count"),
	    jv_number(jv_get_kind(vers) == JV_KIND_OBJECT ?
	    jv_object_length(jv_copy(vers)) : 0));
	state = vault_version_state(cur);
	rec = jv_object_set(rec, jv_string("deleted"),
	    state == VAULT_DELETED ? jv_true() : jv_false());
	rec = jv_object_set(rec, jv_string("destroyed"),
	    state == VAULT_DESTROYED ? jv_true() : jv_false());
	dva = jv_object_get(jv_copy(d), jv_string("delete_version_after"));
	if (jv_get_kind(dva) == JV_KIND_STRING &&
	    strcmp(jv_string_value(dva), "0s") != 0 &&
	    *jv_string_value(dva) != '\0')
		rec = jv_object_set(rec, jv_string("delete_version_after"),
		    dva);
	else
		jv_free(dva);
	jv_free(cur);
	jv_free(vers);
	jv_free(d);
	return rec;
}

static int
emit(jv rec, long tag, void *arg)
{
	struct ls *ls = arg;
	int failed = rec_failed(rec);

	if (failed && !jv_object_has(jv_copy(rec), jv_string("folder"))) {
		char *label = rec_label(rec, 0);
		jv m = jv_getpath(jv_copy(rec), JV_ARRAY(jv_string("error"),
		    jv_string("message")));

		const char *mount = rec_str(rec, "mount");
		size_t i;

		msg_warn(label, "%s", jv_get_kind(m) == JV_KIND_STRING ?
		    jv_string_value(m) : "failed");
		jv_free(m);
		free(label);
		ls->meta_failed++;
		for (i = 0; mount != NULL && i < ls->walk->nmounts; i++)
			if (strcmp(ls->walk->mounts[i].name, mount) == 0)
				ls->walk->mounts[i].failed++;
	}
	msg_progress_add(failed);
	/* A closed pipe ends the run cleanly (msg_finish reports it). */
	return rec_emit(rec);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help",	no_argument,		NULL, 'h' },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "long",	no_argument,		NULL, 'l' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "version",	no_argument,		NULL, OPT_VERSION },
		{ NULL,		0,			NULL, 0 }
	};
	struct http_opts ho;
	struct http *http;
	struct walk w;
	struct ls ls;
	struct pool *pool = NULL;
	struct entry *e, *prev;
	struct mount *m;
	char *err;
	size_t i;
	long secrets = 0, failed = 0;
	int ch, jobs = JOBS_DEFAULT, lflag = 0, status = EXIT_OK;
	int interrupted;

	msg_init("vault-ls");
	while ((ch = getopt_long(argc, argv, "hj:lqv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			jobs = (int)xstrtonum(optarg, 1, JOBS_MAX, "-j");
			break;
		case 'l':
			lflag = 1;
			break;
		case 'q':
			msg_verbosity = -1;
			break;
		case 'v':
			if (msg_verbosity >= 0)
				msg_verbosity++;
			break;
		case OPT_VERSION:
			msg_version();
		case 'h':
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	http_opts_init(&ho);
	if (http_opts_env(&ho, "VAULT_CLIENT_TIMEOUT", &err) == -1)
		msg_fatal("%s", err);
	ho.max_inflight = jobs;
	if ((http = http_new(&ho)) == NULL)
		msg_fatal("cannot start the HTTP engine");
	memset(&w, 0, sizeof(w));
	if ((w.vault = vault_new(http, &err)) == NULL)
		msg_fatal("%s", err);
	for (i = 0; vault_warning(w.vault, (int)i) != NULL; i++)
		msg_warn(NULL, "%s", vault_warning(w.vault, (int)i));
	if (vault_ping(w.vault, &err) == -1)
		msg_fatal("%s", err);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.progress = !lflag;

	if (argc == 0)
		discover(&w);
	for (i = 0; i < (size_t)argc; i++)
		resolve(&w, argv[i]);
	prune_roots(&w);
	if (w.nmounts == 0)
		msg_warn(NULL, "no KV mount visible to this token");
	walk_run(&w, jobs);
	if ((interrupted = msg_stop) != 0)
		goto out;

	sort_walk = &w;
	if (w.nents > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(w.ents, w.nents, sizeof(*w.ents), entry_cmp);
	memset(&ls, 0, sizeof(ls));
	ls.vault = w.vault;
	ls.walk = &w;
	if (lflag) {
		for (i = 0, prev = NULL; i < w.nents; i++) {
			e = &w.ents[i];
			if (prev == NULL || entry_cmp(prev, e) != 0)
				secrets++;
			prev = e;
		}
		msg_progress_total(secrets);
		secrets = 0;
		pool = pool_new(jobs, add_metadata, emit, &ls);
	}
	for (i = 0, prev = NULL; i < w.nents && !msg_stop; i++) {
		e = &w.ents[i];
		/* Overlapping arguments list the same secret twice. */
		if (prev != NULL && entry_cmp(prev, e) == 0)
			continue;
		prev = e;
		if (e->folder)
			failed++;
		else
			secrets++;
		if (pool != NULL) {
			if (pool_submit(pool, entry_record(&w, e), 0) == -1)
				break;
		} else if (rec_emit(entry_record(&w, e)) == -1)
			break;
	}
	if (pool != NULL) {
		pool_finish(pool);
		pool_free(pool);
	}
	failed += ls.meta_failed;
	if (failed > 0)
		status = EXIT_PARTIAL;

out:
	/* The inventory report: secrets per mount, in mount order. */
	if (w.nmounts > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(w.mounts, w.nmounts, sizeof(*w.mounts), mount_cmp);
	for (i = 0; i < w.nmounts && !interrupted; i++) {
		m = &w.mounts[i];
		if (m->failed > 0)
			msg_warn(NULL, "%s/: %ld secret%s (%s), %ld failed",
			    m->name, m->secrets, PLURAL(m->secrets),
			    kv_name(m->kv), m->failed);
		else
			msg_warn(NULL, "%s/: %ld secret%s (%s)", m->name,
			    m->secrets, PLURAL(m->secrets), kv_name(m->kv));
	}
	for (i = 0; i < w.nents; i++) {
		free(w.ents[i].path);
		free(w.ents[i].error);
	}
	free(w.ents);
	for (i = 0; i < w.nmounts; i++)
		free(w.mounts[i].name);
	free(w.mounts);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	/* No exit with the engine's thread alive. */
	vault_free(w.vault);
	http_free(http);
	if (interrupted)
		return msg_finish(EXIT_FATAL, "stopped before the listing "
		    "ended: no output");
	return msg_finish(status, "%ld secret%s in %zu mount%s, %ld failed",
	    secrets, PLURAL(secrets), w.nmounts, PLURAL(w.nmounts), failed);
}
