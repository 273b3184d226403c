/* vault-ls: inventory of the secrets in Vault's KV mounts, without values. */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

/*
 * Folders nest at most this deep below a mount.  A server whose listing
 * never ends (a folder that lists itself, "a/" under "a/" for ever)
 * would otherwise hold the walk for ever: the subtree is an error.
 */
#define DEPTH_MAX	64
/*
 * Keys listed ahead of the printer, at most (about): past that, the
 * workers list only the folder the printer waits for, so that a slow
 * reader downstream does not make the whole tree pile up in memory.
 */
#define AHEAD_MAX	4096
#define OPT_VERSION	256

/*
 * A mount is a namespace and a mount path: the same path in two
 * namespaces is two mounts.  name "" stands for the namespace itself,
 * for an error record about it (-A).
 */
struct mount {
	char	*ns;		/* full path, "" for the root */
	char	*name;		/* no slashes at its ends */
	int	 kv;		/* 1, 2, or 0 when unknown */
	long	 secrets;
	long	 failed;
};

/*
 * The walk is a tree of folders that workers list in parallel while the
 * main thread prints it depth first, each folder's keys in sorted order:
 * the records come out while the walk goes on, in the order of their
 * paths, the same whatever the concurrency.
 */
struct folder;

/* A key of a listed folder: a secret (sub NULL) or a subfolder. */
struct item {
	char		*path;		/* the secret's, below the mount */
	struct folder	*sub;
};

struct folder {
	size_t		 mount;
	char		*path;	/* "" or ending with '/' */
	int		 root;
	int		 queued;	/* in the work queue, under mu */
	int		 listed;	/* items (or error) set, under mu */
	struct item	*items;
	size_t		 nitems;
	long		 status;	/* when it failed */
	char		*error;		/* NULL, or why it failed */
	struct folder	*next;		/* in the work queue */
};

/*
 * What the output starts from, sorted: a root folder to walk, or a
 * mount, folder or namespace that failed before the walk (folder NULL).
 */
struct top {
	size_t		 mount;
	char		*path;
	struct folder	*folder;
	long		 status;
	char		*error;
};

struct walk {
	struct vault	*vault;
	int		 all_ns;	/* -A */
	struct mount	*mounts;
	size_t		 nmounts;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* work queued, or a folder listed */
	struct folder	*head;
	struct folder	*tail;
	long		 pending;	/* folders queued or being listed */
	long		 ahead;		/* keys listed, not yet printed */
	struct folder	*wanted;	/* the printer waits for it */
	struct top	*tops;
	size_t		 ntops;
	int		 stop;		/* the output failed: list no more */
	int		 progress;
};

struct ls {
	struct vault	*vault;
	struct walk	*walk;
	long		 meta_failed;
};

static const char synopsis[] =
    "usage: vault-ls [-Ahlnqv] [-j jobs] [mount[/folder] ...]\n";
static const char options[] =
	"  -A, --all-namespaces  list every namespace below VAULT_NAMESPACE too\n"
	"  -h, --help            print this help and exit\n"
	"  -j, --jobs JOBS       requests in flight at once, 1 to 64 (8)\n"
	"  -l, --long            add each KV v2 secret's metadata\n"
	"  -n, --dry-run         check the token's access and TTL, export nothing\n"
	"  -q, --quiet           no warnings, no counts, no summary\n"
	"  -v, --verbose         say more; repeat for more\n"
	"      --version         print the version and exit\n";

static size_t
mount_add(struct walk *w, const char *ns, const char *name, int kv)
{
	size_t i;

	for (i = 0; i < w->nmounts; i++)
		if (strcmp(w->mounts[i].ns, ns) == 0 &&
		    strcmp(w->mounts[i].name, name) == 0) {
			if (w->mounts[i].kv == 0)
				w->mounts[i].kv = kv;
			return i;
		}
	w->mounts = xrealloc(w->mounts, (w->nmounts + 1) *
	    sizeof(*w->mounts));
	memset(&w->mounts[w->nmounts], 0, sizeof(*w->mounts));
	w->mounts[w->nmounts].ns = xstrdup(ns);
	w->mounts[w->nmounts].name = xstrdup(name);
	w->mounts[w->nmounts].kv = kv;
	return w->nmounts++;
}

/* Before the walk: what failed before a folder could be listed. */
static void
top_error(struct walk *w, size_t mount, char *path, long status,
    char *error)
{
	struct top *t;

	w->tops = xrealloc(w->tops, (w->ntops + 1) * sizeof(*w->tops));
	t = &w->tops[w->ntops++];
	memset(t, 0, sizeof(*t));
	t->mount = mount;
	t->path = path;
	t->status = status;
	t->error = error;
}

/* Called with w->mu held, or before the workers start. */
static struct folder *
folder_push(struct walk *w, size_t mount, char *path, int root)
{
	struct folder *f;

	f = xcalloc(1, sizeof(*f));
	f->mount = mount;
	f->path = path;
	f->root = root;
	f->queued = 1;
	if (w->tail != NULL)
		w->tail->next = f;
	else
		w->head = f;
	w->tail = f;
	w->pending++;
	pthread_cond_broadcast(&w->cv);
	return f;
}

static void
folder_free(struct folder *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nitems; i++) {
		free(f->items[i].path);
		folder_free(f->items[i].sub);
	}
	free(f->items);
	free(f->path);
	free(f->error);
	free(f);
}

/* A failed folder: its path without the final slash. */
static void
folder_failed(struct walk *w, struct folder *f, long status, char *error)
{
	struct mount *m = &w->mounts[f->mount];

	if (w->all_ns && *m->ns != '\0')
		msg_warn(NULL, "%s/%s (namespace %s): cannot list: %s",
		    m->name, f->path, m->ns, error);
	else
		msg_warn(NULL, "%s/%s: cannot list: %s", m->name, f->path,
		    error);
	f->status = status;
	f->error = error;
}

/* The data.keys array of a LIST answer (r consumed), or invalid. */
static jv
list_keys(jv r)
{
	jv keys;

	keys = jv_get_kind(r) == JV_KIND_OBJECT ?
	    jv_getpath(jv_copy(r), JV_ARRAY(jv_string("data"),
	    jv_string("keys"))) : jv_invalid();
	jv_free(r);
	if (jv_get_kind(keys) != JV_KIND_ARRAY) {
		jv_free(keys);
		return jv_invalid();
	}
	return keys;
}

static int
item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->path,
	    ((const struct item *)b)->path);
}

/*
 * LIST one folder: its keys become its items, and its subfolders join
 * the queue.
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
	int i, j, n, depth = 0;

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
	r = vault_callns(w->vault, m->ns, "LIST", p, NULL, jv_invalid(),
	    &status);
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
	if (!jv_is_valid(keys = list_keys(r))) {
		folder_failed(w, f, status, xstrdup("LIST answer without "
		    "data.keys"));
		return;
	}
	n = jv_array_length(jv_copy(keys));
	f->items = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*f->items));
	for (i = 0; i < n; i++) {
		k = jv_array_get(jv_copy(keys), i);
		if (jv_get_kind(k) == JV_KIND_STRING &&
		    *(key = jv_string_value(k)) != '\0' &&
		    strcmp(key, "/") != 0)
			f->items[f->nitems++].path = xasprintf("%s%s",
			    f->path, key);
		jv_free(k);
	}
	jv_free(keys);
	/* Sorted, once each: the order of the output, whatever the server's. */
	if (f->nitems > 0)
		qsort(f->items, f->nitems, sizeof(*f->items), item_cmp);
	for (i = j = 0; (size_t)i < f->nitems; i++) {
		if (j > 0 && strcmp(f->items[j - 1].path,
		    f->items[i].path) == 0) {
			free(f->items[i].path);
			continue;
		}
		f->items[j++] = f->items[i];
	}
	f->nitems = j;
	pthread_mutex_lock(&w->mu);
	for (i = 0; (size_t)i < f->nitems; i++) {
		p = f->items[i].path;
		if (p[strlen(p) - 1] == '/') {
			f->items[i].sub = folder_push(w, f->mount, p, 0);
			f->items[i].path = NULL;
		}
	}
	pthread_mutex_unlock(&w->mu);
}

/* Take f out of the work queue.  With w->mu held. */
static void
unqueue(struct walk *w, struct folder *f)
{
	struct folder **pp, *prev = NULL;

	for (pp = &w->head; *pp != NULL; prev = *pp, pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			if (w->tail == f)
				w->tail = prev;
			break;
		}
	f->next = NULL;
	f->queued = 0;
}

static void *
walker(void *arg)
{
	struct walk *w = arg;
	struct folder *f;
	int stop;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		for (f = NULL; f == NULL;) {
			if (w->wanted != NULL && w->wanted->queued)
				f = w->wanted;
			else if (w->head != NULL && (w->ahead < AHEAD_MAX ||
			    w->stop))
				f = w->head;
			else if (w->head == NULL && w->pending == 0)
				break;
			else
				pthread_cond_wait(&w->cv, &w->mu);
		}
		if (f == NULL)
			break;
		unqueue(w, f);
		stop = w->stop;
		pthread_mutex_unlock(&w->mu);
		if (!msg_stop && !stop) {
			http_record_start();
			list_folder(w, f);
			http_record_end();
		}
		pthread_mutex_lock(&w->mu);
		/* The printer's from here. */
		f->listed = 1;
		w->ahead += (long)f->nitems;
		w->pending--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static pthread_t *
walk_start(struct walk *w, int jobs)
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
	return th;
}

static void
walk_join(struct walk *w, pthread_t *th, int jobs)
{
	int i;

	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < jobs; i++)
		pthread_join(th[i], NULL);
	free(th);
}

/* Add the KV mounts of a sys/mounts-shaped map ({"secret/":{...}}). */
static void
mounts_from(struct walk *w, const char *ns, jv map)
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
				folder_push(w, mount_add(w, ns, name, kv),
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
 * A namespace that could not be looked at (-A): an error record of its
 * own, and the walk goes on with the others.
 */
static void
ns_failed(struct walk *w, const char *ns, long status, char *error)
{
	if (*ns != '\0')
		msg_warn(NULL, "namespace %s: %s", ns, error);
	else
		msg_warn(NULL, "root namespace: %s", error);
	top_error(w, mount_add(w, ns, "", 0), xstrdup(""), status, error);
}

/*
 * Without -A, a failure is fatal; with it, the namespace's error record.
 * Returns what fatal would not.
 */
static void
discover_failed(struct walk *w, const char *ns, long status, char *error)
{
	if (!w->all_ns)
		msg_fatal("%s", error);
	ns_failed(w, ns, status, error);
}

/*
 * Reading the mounts of ns from path failed: no answer r (freed), or
 * Vault's status; what: the paths tried.
 */
static void
mounts_failed(struct walk *w, const char *ns, jv r, long status,
    const char *path, const char *what)
{
	char *m;

	if (!jv_is_valid(r)) {
		m = rec_invalid_msg(r, "no answer");
		discover_failed(w, ns, 0, xasprintf("%s: %s", path, m));
	} else {
		m = vault_errmsg(r, status);
		jv_free(r);
		discover_failed(w, ns, status, xasprintf("cannot list mounts: "
		    "%s: %s", what, m));
	}
	free(m);
}

/*
 * Every KV mount of namespace ns: sys/mounts, or for a token that may
 * not read it, sys/internal/ui/mounts, which lists the mounts the token
 * can use.
 */
static void
discover(struct walk *w, const char *ns)
{
	jv r, d;
	long status;

	r = vault_callns(w->vault, ns, "GET", "sys/mounts", NULL, jv_invalid(),
	    &status);
	if (jv_is_valid(r) && status == 200) {
		d = jv_object_get(jv_copy(r), jv_string("data"));
		/* Older servers put the mounts at the top level. */
		if (jv_get_kind(d) != JV_KIND_OBJECT) {
			jv_free(d);
			d = jv_copy(r);
		}
		mounts_from(w, ns, d);
		jv_free(r);
		return;
	}
	if (!jv_is_valid(r) || status != 403) {
		mounts_failed(w, ns, r, status, "sys/mounts", "sys/mounts");
		return;
	}
	jv_free(r);
	msg_info(NULL, "sys/mounts: permission denied, using "
	    "sys/internal/ui/mounts");
	r = vault_callns(w->vault, ns, "GET", "sys/internal/ui/mounts", NULL,
	    jv_invalid(), &status);
	if (!jv_is_valid(r) || status != 200) {
		mounts_failed(w, ns, r, status, "sys/internal/ui/mounts",
		    "sys/mounts and sys/internal/ui/mounts");
		return;
	}
	mounts_from(w, ns, jv_getpath(r, JV_ARRAY(jv_string("data"),
	    jv_string("secret"))));
}

/*
 * -A: the namespace ns and every one below it.  LIST sys/namespaces in
 * a namespace answers its children, "keys": ["team-a/", ...], relative
 * to it (developer.hashicorp.com/vault/api-docs/system/namespaces;
 * openbao.org/api-docs/system/namespaces); a 404 means none, as for any
 * empty LIST, and a Vault without namespaces answers 404 too.  Walked
 * from the main thread before the folders, breadth first.
 */
static void
discover_all(struct walk *w, const char *base)
{
	char **queue, *ns, *child;
	size_t head = 0, tail = 0, cap = 16, depth;
	const char *key, *p;
	long status;
	int i, n;
	jv r, keys, k;

	queue = xcalloc(cap, sizeof(*queue));
	queue[tail++] = xstrdup(base);
	while (head < tail && !msg_stop) {
		ns = queue[head++];
		discover(w, ns);
		for (depth = 0, p = ns; *p != '\0'; p++)
			depth += *p == '/';
		if (depth >= DEPTH_MAX) {
			ns_failed(w, ns, 0, xasprintf("namespaces nested deeper "
			    "than %d levels: the ones below not listed",
			    DEPTH_MAX));
			free(ns);
			continue;
		}
		r = vault_callns(w->vault, ns, "LIST", "sys/namespaces", NULL,
		    jv_invalid(), &status);
		if (!jv_is_valid(r)) {
			jv msg = jv_invalid_get_msg(r);

			ns_failed(w, ns, 0, xasprintf("cannot list its "
			    "namespaces: %s", jv_get_kind(msg) ==
			    JV_KIND_STRING ? jv_string_value(msg) :
			    "no answer"));
			jv_free(msg);
			free(ns);
			continue;
		}
		if (status == 404) {
			jv_free(r);
			free(ns);
			continue;
		}
		if (status != 200) {
			child = vault_errmsg(r, status);
			jv_free(r);
			ns_failed(w, ns, status, xasprintf("cannot list its "
			    "namespaces: sys/namespaces: %s", child));
			free(child);
			free(ns);
			continue;
		}
		if (!jv_is_valid(keys = list_keys(r))) {
			ns_failed(w, ns, status, xstrdup("cannot list its "
			    "namespaces: LIST answer without data.keys"));
			free(ns);
			continue;
		}
		n = jv_array_length(jv_copy(keys));
		for (i = 0; i < n; i++) {
			k = jv_array_get(jv_copy(keys), i);
			key = jv_get_kind(k) == JV_KIND_STRING ?
			    jv_string_value(k) : "";
			child = xstrndup(key, strcspn(key, "/"));
			/* One segment, a name: nothing else is a child. */
			if (*child == '\0' || strcmp(child, ".") == 0 ||
			    strcmp(child, "..") == 0 ||
			    (key[strlen(child)] != '\0' &&
			    strcmp(key + strlen(child), "/") != 0)) {
				msg_warn(NULL, "namespace %s: child namespace "
				    "%s skipped: not a name", *ns != '\0' ? ns :
				    "(root)", key);
				free(child);
				jv_free(k);
				continue;
			}
			if (tail == cap) {
				cap *= 2;
				queue = xrealloc(queue, cap * sizeof(*queue));
			}
			queue[tail++] = *ns != '\0' ?
			    xasprintf("%s/%s", ns, child) : xstrdup(child);
			free(child);
			jv_free(k);
		}
		jv_free(keys);
		free(ns);
	}
	while (head < tail)
		free(queue[head++]);
	free(queue);
}

/* VAULT_NAMESPACE's namespace, "" for the root. */
static const char *
own_ns(struct walk *w)
{
	const char *ns = vault_namespace(w->vault);

	return ns != NULL ? ns : "";
}

/* An argument: a mount, or a folder inside one. */
static void
resolve(struct walk *w, const char *arg)
{
	char *p, *mount, *err, *rest;
	size_t n, mi;
	long status;
	int kv;

	arg += strspn(arg, "/");
	p = xstrdup_noslash(arg, 0);
	if (*p == '\0')
		msg_usage_error("empty mount or folder: \"%s\"", arg);
	if (vault_mount_of(w->vault, NULL, p, &mount, &kv, &status, &err) == -1) {
		if (status == 0)
			msg_fatal("%s", err);
		msg_warn(NULL, "%s: cannot find its mount: %s", p, err);
		n = strcspn(p, "/");
		rest = p[n] == '/' ? p + n + 1 : p + n;
		p[n] = '\0';
		mi = mount_add(w, own_ns(w), p, 0);
		top_error(w, mi, xstrdup(rest), status, err);
		free(p);
		return;
	}
	rest = p + strlen(mount);
	while (*rest == '/')
		rest++;
	mi = mount_add(w, own_ns(w), mount, kv);
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
top_cmp(const void *a, const void *b)
{
	const struct top *x = a, *y = b;
	int c;

	if ((c = strcmp(sort_walk->mounts[x->mount].ns,
	    sort_walk->mounts[y->mount].ns)) != 0)
		return c;
	if ((c = strcmp(sort_walk->mounts[x->mount].name,
	    sort_walk->mounts[y->mount].name)) != 0)
		return c;
	return strcmp(x->path, y->path);
}

/*
 * The record of a secret, or with error set of a folder (path without
 * its final slash), mount or namespace that failed.
 */
static jv
make_record(struct walk *w, size_t mount, const char *path, long status,
    const char *error)
{
	struct mount *m = &w->mounts[mount];
	jv r;

	r = jv_object();
	/* A namespace that failed as a whole: its namespace alone. */
	if (*m->name == '\0') {
		r = jv_object_set(r, jv_string("namespace"),
		    jv_string(m->ns));
		r = jv_object_set(r, jv_string("folder"), jv_true());
		return rec_error(r, status, "%s", error);
	}
	r = jv_object_set(r, jv_string("mount"), jv_string(m->name));
	r = jv_object_set(r, jv_string("path"), jv_string(path));
	if (m->kv != 0)
		r = jv_object_set(r, jv_string("kv"), jv_number(m->kv));
	if (*m->ns != '\0')
		r = jv_object_set(r, jv_string("namespace"),
		    jv_string(m->ns));
	if (error != NULL) {
		r = jv_object_set(r, jv_string("folder"), jv_true());
		r = rec_error(r, status, "%s", error);
	}
	return r;
}

/* The printer's state: where records go, and what it counted. */
struct printer {
	struct walk	*w;
	struct pool	*pool;		/* -l, else NULL */
	long		 secrets;
	long		 failed;
};

/* One record out, through the pool with -l; -1 when the output failed. */
static int
put(struct printer *pr, jv rec, int failed)
{
	if (pr->pool != NULL)
		return pool_submit(pr->pool, rec, 0);
	if (pr->w->progress)
		msg_progress_add(failed);
	return rec_emit(rec);
}

/*
 * Print folder f depth first, as its workers list it: wait for its
 * listing, then its keys in order, each subfolder where its key sorts.
 * Each folder is freed once printed.  -1 when the output failed or the
 * run was stopped.
 */
static int
print_folder(struct printer *pr, struct folder *f)
{
	struct walk *w = pr->w;
	struct timespec ts;
	size_t i, n;
	char *path;
	int rc;

	pthread_mutex_lock(&w->mu);
	if (!f->listed) {
		w->wanted = f;
		pthread_cond_broadcast(&w->cv);
	}
	while (!f->listed && !msg_stop) {
		/* A signal does not wake a condition: look now and then. */
		clock_gettime(CLOCK_REALTIME, &ts);
		if ((ts.tv_nsec += 200000000L) >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	w->wanted = NULL;
	/* Its keys are the printer's now: the workers may list more. */
	w->ahead -= (long)f->nitems;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (msg_stop)
		return -1;
	if (f->error != NULL) {
		n = strlen(f->path);
		path = xstrndup(f->path, n > 0 ? n - 1 : 0);
		pr->failed++;
		w->mounts[f->mount].failed++;
		rc = put(pr, make_record(w, f->mount, path, f->status,
		    f->error), 1);
		free(path);
		return rc;
	}
	for (i = 0; i < f->nitems; i++) {
		if (f->items[i].sub != NULL) {
			/*
			 * Stopped, the subfolder may still be queued or being
			 * listed: it stays in the tree, freed after the join.
			 */
			if ((rc = print_folder(pr, f->items[i].sub)) == -1)
				return -1;
			folder_free(f->items[i].sub);
			f->items[i].sub = NULL;
		} else {
			pr->secrets++;
			w->mounts[f->mount].secrets++;
			rc = put(pr, make_record(w, f->mount,
			    f->items[i].path, 0, NULL), 0);
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Every top in order: its folder's tree, or its error record. */
static int
print_all(struct printer *pr)
{
	struct walk *w = pr->w;
	struct top *t;
	size_t i;

	for (i = 0; i < w->ntops; i++) {
		t = &w->tops[i];
		if (t->folder != NULL) {
			if (print_folder(pr, t->folder) == -1)
				return -1;
			continue;
		}
		pr->failed++;
		w->mounts[t->mount].failed++;
		if (put(pr, make_record(w, t->mount, t->path, t->status,
		    t->error), 1) == -1)
			return -1;
	}
	return 0;
}

static int
mount_cmp(const void *a, const void *b)
{
	const struct mount *x = a, *y = b;
	int c;

	if ((c = strcmp(x->ns, y->ns)) != 0)
		return c;
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
	jv r, d, vers, cur, dva, cm;
	char *p, *err, key[32];
	long status;
	double cv;
	long long n;
	int state;

	if (rec_failed(rec) || rec_int(rec, "kv", 1, 2, 0) != 2)
		return rec;
	p = xasprintf("%s/metadata/%s", rec_str(rec, "mount"),
	    rec_str(rec, "path"));
	/* In the record's namespace (-A), else VAULT_NAMESPACE's. */
	r = vault_callns(ls->vault, rec_str(rec, "namespace"), "GET", p, NULL,
	    jv_invalid(), &status);
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
		const char *m = rec_error_str(rec, "message");
		const char *mount = rec_str(rec, "mount");
		const char *ns = rec_str(rec, "namespace");
		size_t i;

		msg_warn(label, "%s", m != NULL ? m : "failed");
		free(label);
		ls->meta_failed++;
		if (ns == NULL)
			ns = own_ns(ls->walk);
		for (i = 0; mount != NULL && i < ls->walk->nmounts; i++)
			if (strcmp(ls->walk->mounts[i].ns, ns) == 0 &&
			    strcmp(ls->walk->mounts[i].name, mount) == 0)
				ls->walk->mounts[i].failed++;
	}
	msg_progress_add(failed);
	/* A closed pipe ends the run cleanly (msg_finish reports it). */
	return rec_emit(rec);
}

/*
 * --dry-run: what an export needs of each mount, as paths of Vault's
 * ACL: to list the mount and its folders and read the secrets' metadata
 * (KV v2 PATH/metadata/..., vault-ls -l and vault-dump) and data
 * (PATH/data/..., vault-dump); KV v1 keeps both at PATH/...
 * (developer.hashicorp.com/vault/docs/secrets/kv/kv-v2, "ACL Rules").
 * "*" stands for any secret of the mount: a policy that grants only part
 * of a mount shows here as missing.
 */
static const struct need {
	int		 kv;
	const char	*fmt;		/* the mount's path, then this */
	const char	*caps[3];
} needs[] = {
	{ 2, "%s/metadata/", { "list", NULL, NULL } },
	{ 2, "%s/metadata/*", { "list", "read", NULL } },
	{ 2, "%s/data/*", { "read", NULL, NULL } },
	{ 1, "%s/", { "list", NULL, NULL } },
	{ 1, "%s/*", { "list", "read", NULL } },
};

/* Is c (a capability, borrowed) cap, or "root", which holds all? */
static int
cap_holds(jv c, const void *cap)
{
	return jv_get_kind(c) == JV_KIND_STRING &&
	    (strcmp(jv_string_value(c), cap) == 0 ||
	    strcmp(jv_string_value(c), "root") == 0);
}

/* Does Vault's capability list (borrowed) hold cap? */
static int
has_cap(jv caps, const char *cap)
{
	return rec_array_any(caps, cap_holds, cap);
}

/*
 * A problem of the pre-flight: a line on stderr (even with -q) and a
 * record on stdout, before the inventory.
 */
static void
problem(jv rec, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	msg_error(NULL, "%s", m);
	rec_emit(rec_error(rec, 0, "%s", m));
	free(m);
}

/*
 * The token's capabilities on each mount's paths, asked of Vault in the
 * mount's namespace (POST sys/capabilities-self {"paths": [...]}: an
 * object of path to capabilities, developer.hashicorp.com/vault/
 * api-docs/system/capabilities-self).  Returns the problems found.
 */
static long
capabilities(struct walk *w)
{
	const struct need *nd;
	struct mount *m;
	struct buf miss, pol;
	char *path, *e, where[256];
	long st, problems = 0;
	size_t i, k;
	int c;
	jv paths, r, caps, rec;

	for (i = 0; i < w->nmounts; i++) {
		m = &w->mounts[i];
		if (*m->name == '\0' || m->kv == 0)
			continue;
		paths = jv_array();
		for (k = 0; k < sizeof(needs) / sizeof(needs[0]); k++)
			if (needs[k].kv == m->kv)
				paths = jv_array_append(paths, jv_string_fmt(
				    needs[k].fmt, m->name));
		r = vault_callns(w->vault, m->ns, "POST",
		    "sys/capabilities-self", NULL, jv_object_set(jv_object(),
		    jv_string("paths"), jv_copy(paths)), &st);
		if (*m->ns != '\0')
			snprintf(where, sizeof(where), " (namespace %.200s)",
			    m->ns);
		else
			where[0] = '\0';
		if (!jv_is_valid(r) || st != 200) {
			e = jv_is_valid(r) ? vault_errmsg(r, st) :
			    rec_invalid_msg(jv_copy(r), "no answer");
			msg_warn(NULL, "%s/%s: cannot ask for the token's "
			    "capabilities (sys/capabilities-self): %s",
			    m->name, where, e);
			free(e);
			jv_free(r);
			jv_free(paths);
			continue;
		}
		for (k = 0; k < sizeof(needs) / sizeof(needs[0]); k++) {
			nd = &needs[k];
			if (nd->kv != m->kv)
				continue;
			path = xasprintf(nd->fmt, m->name);
			caps = jv_getpath(jv_copy(r), JV_ARRAY(jv_string("data"),
			    jv_string(path)));
			/* Older servers answer at the top level. */
			if (jv_get_kind(caps) != JV_KIND_ARRAY) {
				jv_free(caps);
				caps = jv_object_get(jv_copy(r),
				    jv_string(path));
			}
			buf_init(&miss);
			for (c = 0; c < 3 && nd->caps[c] != NULL; c++)
				if (!has_cap(caps, nd->caps[c]))
					buf_printf(&miss, "%s%s", miss.len ?
					    ", " : "", nd->caps[c]);
			if (miss.len > 0) {
				buf_init(&pol);
				buf_printf(&pol, "path \"%s\" { capabilities "
				    "= [", path);
				for (c = 0; c < 3 && nd->caps[c] != NULL; c++)
					buf_printf(&pol, "%s\"%s\"", c > 0 ?
					    ", " : "", nd->caps[c]);
				buf_addstr(&pol, "] }");
				rec = jv_object_set(jv_object(),
				    jv_string("preflight"),
				    jv_string("capability"));
				if (*m->ns != '\0')
					rec = jv_object_set(rec,
					    jv_string("namespace"),
					    jv_string(m->ns));
				rec = jv_object_set(rec, jv_string("mount"),
				    jv_string(m->name));
				rec = jv_object_set(rec, jv_string("path"),
				    jv_string(path));
				rec = jv_object_set(rec, jv_string("missing"),
				    jv_string(miss.data));
				rec = jv_object_set(rec, jv_string("grant"),
				    jv_string(pol.data));
				problem(rec, "%s/%s: the token lacks %s on %s: "
				    "the mount cannot be exported; a policy "
				    "with %s grants it", m->name, where,
				    miss.data, path, pol.data);
				buf_release(&pol);
				problems++;
			}
			buf_release(&miss);
			jv_free(caps);
			free(path);
		}
		jv_free(r);
		jv_free(paths);
	}
	return problems;
}

/*
 * The token's remaining life against the migration's expected duration
 * (auth/token/lookup-self: ttl, renewable, explicit_max_ttl,
 * creation_time; developer.hashicorp.com/vault/api-docs/auth/token):
 * the pipeline goes at Key Vault's pace, WRITE_BUDGET writes at once,
 * then WRITE_BUDGET per BUDGET_WINDOW s.  Says what it found in out;
 * returns 1 for a problem, else 0.
 */
static long
token_life(struct vault *v, long secrets, char *out, size_t outsz)
{
	double dur, ttl = 0, max = 0, created = 0, left;
	char *ds, *ts;
	long st;
	int renewable;
	jv r, d, x;

	dur = preflight_duration(secrets, WRITE_BUDGET, BUDGET_WINDOW);
	ds = preflight_seconds(dur);
	r = vault_call(v, "GET", "auth/token/lookup-self", jv_invalid(), &st);
	if (!jv_is_valid(r) || st != 200) {
		jv_free(r);
		snprintf(out, outsz, "expected duration %s at Key Vault's %d "
		    "writes per 10 s; the token's TTL unknown (lookup-self "
		    "failed)", ds, WRITE_BUDGET);
		free(ds);
		return 0;
	}
	d = jv_object_get(r, jv_string("data"));
	if (jv_get_kind(d) != JV_KIND_OBJECT) {		/* none of it known */
		jv_free(d);
		d = jv_object();
	}
	x = jv_object_get(jv_copy(d), jv_string("ttl"));
	if (jv_get_kind(x) == JV_KIND_NUMBER)
		ttl = jv_number_value(x);
	jv_free(x);
	x = jv_object_get(jv_copy(d), jv_string("explicit_max_ttl"));
	if (jv_get_kind(x) == JV_KIND_NUMBER)
		max = jv_number_value(x);
	jv_free(x);
	x = jv_object_get(jv_copy(d), jv_string("creation_time"));
	if (jv_get_kind(x) == JV_KIND_NUMBER)
		created = jv_number_value(x);
	jv_free(x);
	x = jv_object_get(d, jv_string("renewable"));
	renewable = jv_get_kind(x) == JV_KIND_TRUE;
	jv_free(x);
	if (ttl <= 0) {
		snprintf(out, outsz, "expected duration %s at Key Vault's %d "
		    "writes per 10 s; the token does not expire", ds,
		    WRITE_BUDGET);
		free(ds);
		return 0;
	}
	/* Renewed as it goes (vault.c), but never past explicit_max_ttl. */
	left = ttl;
	if (renewable)
		left = max > 0 && created > 0 ? created + max -
		    (double)time(NULL) : -1;
	ts = preflight_seconds(left > 0 ? left : ttl);
	snprintf(out, outsz, "expected duration %s at Key Vault's %d writes "
	    "per 10 s; the token has %s left%s", ds, WRITE_BUDGET, ts,
	    left < 0 ? ", renewable" : renewable ? " at most (explicit_max_ttl)"
	    : ", not renewable");
	if (left >= 0 && left < dur) {
		problem(jv_object_set(jv_object(), jv_string("preflight"),
		    jv_string("token")), "the token has %s left%s, less than "
		    "the migration's expected %s (%ld secrets at Key Vault's "
		    "%d writes per 10 s): use a token with a longer TTL",
		    ts, renewable ? " even renewed (explicit_max_ttl)" :
		    " and is not renewable", ds, secrets, WRITE_BUDGET);
		free(ts);
		free(ds);
		return 1;
	}
	free(ts);
	free(ds);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "all-namespaces", no_argument,	NULL, 'A' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "long",	no_argument,		NULL, 'l' },
		MSG_LONGOPTS(OPT_VERSION)
	};
	struct http *http;
	struct walk w;
	struct ls ls;
	struct printer pr;
	struct folder *f;
	struct mount *m;
	pthread_t *th;
	char where[256], tlife[256];
	size_t i, nreal = 0;
	long secrets, failed, problems = 0;
	int ch, lflag = 0, status = EXIT_OK;
	int interrupted;

	msg_init("vault-ls");
	msg_help_text(synopsis, options);
	msg_quiet_epipe();	/* read-only: | head ends it quietly */
	memset(&w, 0, sizeof(w));
	while ((ch = getopt_long(argc, argv, "Ahj:lnqv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'A':
			w.all_ns = 1;
			break;
		case 'l':
			lflag = 1;
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	argc -= optind;
	argv += optind;
	if (w.all_ns && argc > 0)
		msg_usage_error("-A lists every mount of every namespace: no "
		    "mount or folder with it");

	http = start_http(vault_envname("CLIENT_TIMEOUT"), msg_jobs, 0);
	w.vault = start_vault(http);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.progress = !lflag;

	if (w.all_ns)
		discover_all(&w, own_ns(&w));
	else if (argc == 0)
		discover(&w, own_ns(&w));
	for (i = 0; i < (size_t)argc; i++)
		resolve(&w, argv[i]);
	prune_roots(&w);
	if (w.nmounts == 0)
		msg_warn(NULL, "no KV mount visible to this token");
	if (msg_dry_run)
		problems = capabilities(&w);
	/* The roots and what failed before the walk, in output order. */
	for (f = w.head; f != NULL; f = f->next) {
		top_error(&w, f->mount, xstrdup(f->path), 0, NULL);
		w.tops[w.ntops - 1].folder = f;
	}
	sort_walk = &w;
	if (w.ntops > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(w.tops, w.ntops, sizeof(*w.tops), top_cmp);

	memset(&ls, 0, sizeof(ls));
	ls.vault = w.vault;
	ls.walk = &w;
	memset(&pr, 0, sizeof(pr));
	pr.w = &w;
	if (lflag)
		pr.pool = pool_new(msg_jobs, add_metadata, emit, &ls);
	th = walk_start(&w, msg_jobs);
	print_all(&pr);
	if (pr.pool != NULL) {
		pool_finish(pr.pool);
		pool_free(pr.pool);
	}
	walk_join(&w, th, msg_jobs);
	for (i = 0; i < w.ntops; i++) {
		folder_free(w.tops[i].folder);
		free(w.tops[i].path);
		free(w.tops[i].error);
	}
	free(w.tops);
	secrets = pr.secrets;
	failed = pr.failed + ls.meta_failed;
	if (msg_dry_run)
		problems += token_life(w.vault, secrets, tlife, sizeof(tlife));
	if (failed > 0 || problems > 0)
		status = EXIT_PARTIAL;
	interrupted = msg_stop;

	/* The inventory report: secrets per mount, in mount order. */
	if (w.nmounts > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(w.mounts, w.nmounts, sizeof(*w.mounts), mount_cmp);
	for (i = 0; i < w.nmounts && !interrupted; i++) {
		m = &w.mounts[i];
		if (*m->name == '\0')		/* a namespace that failed */
			continue;
		if (w.all_ns && *m->ns != '\0')
			snprintf(where, sizeof(where), " (namespace %.200s)",
			    m->ns);
		else
			where[0] = '\0';
		if (m->failed > 0)
			msg_warn(NULL, "%s/%s: %ld secret%s (%s), %ld failed",
			    m->name, where, m->secrets, PLURAL(m->secrets),
			    kv_name(m->kv), m->failed);
		else
			msg_warn(NULL, "%s/%s: %ld secret%s (%s)", m->name,
			    where, m->secrets, PLURAL(m->secrets),
			    kv_name(m->kv));
	}
	for (i = 0; i < w.nmounts; i++) {
		nreal += *w.mounts[i].name != '\0';
		free(w.mounts[i].ns);
		free(w.mounts[i].name);
	}
	free(w.mounts);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	/* No exit with the engine's thread alive. */
	vault_free(w.vault);
	http_free(http);
	if (interrupted)
		return msg_finish(EXIT_FATAL, "stopped before the listing "
		    "ended: the output is incomplete");
	if (msg_dry_run)
		return msg_finish(status, "dry-run: %ld secret%s in %zu "
		    "mount%s, %ld failed%s; %s", secrets, PLURAL(secrets),
		    nreal, PLURAL(nreal), failed, problems > 0 ? ", pre-flight "
		    "problems above" : "", tlife);
	return msg_finish(status, "%ld secret%s in %zu mount%s, %ld failed",
	    secrets, PLURAL(secrets), nreal, PLURAL(nreal), failed);
}
