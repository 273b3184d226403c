/* kvset.c: the vaults of one run, a Key Vault client each, made on demand. */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/*
 * The subscription-wide limit for all transaction types is five times
 * the per-vault limit, counted per region ("Azure Key Vault throttling
 * guidance", learn.microsoft.com/azure/key-vault/general/
 * overview-throttling: "The subscription-wide limit for all transaction
 * types is five times per key vault limit").  A run cannot tell the
 * subscription and region of each vault, so it takes all of them as one.
 */
#define SUBSCRIPTION_FACTOR	5

struct kvset {
	struct http	*http;
	struct azure_cred *cred;
	pthread_mutex_t	 mu;
	struct cimap	*bykey;		/* kv_vault_key: struct kvvault */
	struct kvvault	*dflt;		/* or NULL */
	double		 wrate, arate;
	int		 wwin, awin;	/* kvset_set_window's, or 0 */
	double		 wwindow, awindow;
	struct http_bucket *sw, *sa;	/* the run's shared budget */
	struct kvvault	**all;		/* in the order made */
	size_t		 n, cap;
};

static struct kvvault *
add(struct kvset *s, const char *key)
{
	struct kvvault *v = xcalloc(1, sizeof(*v));

	v->key = xstrdup(key);
	v->idx = (int)s->n;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->all = xrealloc(s->all, s->cap * sizeof(*s->all));
	}
	s->all[s->n++] = v;
	cimap_put(s->bykey, key, v);
	return v;
}

/* Make the client of vault (given, canon its canonical form) as v's. */
static void
make(struct kvset *s, struct kvvault *v, const char *given)
{
	char *err = NULL;

	if ((v->kv = kv_new(s->http, s->cred, given, &err)) == NULL) {
		v->err = err;
		return;
	}
	kv_set_budget(v->kv, s->wrate, s->arate);
	kv_set_window(v->kv, s->wwin, 0, s->wwindow);
	kv_set_window(v->kv, 0, s->awin, s->awindow);
	kv_set_shared_budget(v->kv, s->sw, s->sa);
	if ((v->url = kv_vault_canon(kv_url(v->kv), &err)) == NULL) {
		/* kv_new took it: its canonical form is only for show. */
		free(err);
		v->url = xstrdup(kv_url(v->kv));
	}
}

struct kvset *
kvset_new(struct http *http, struct azure_cred *cred, const char *dflt,
    double write_rate, double all_rate, char **err)
{
	struct kvset *s = xcalloc(1, sizeof(*s));
	char *canon, *key;

	s->http = http;
	s->cred = cred;
	pthread_mutex_init(&s->mu, NULL);
	s->bykey = cimap_new(0);
	s->wrate = write_rate;
	s->arate = all_rate;
	if (write_rate > 0)
		s->sw = http_bucket_new(SUBSCRIPTION_FACTOR * write_rate, 1);
	if (all_rate > 0)
		s->sa = http_bucket_new(SUBSCRIPTION_FACTOR * all_rate, 1);
	if (dflt == NULL)
		return s;
	if ((canon = kv_vault_canon(dflt, err)) == NULL) {
		kvset_free(s);
		return NULL;
	}
	key = kv_vault_key(canon);
	s->dflt = add(s, key);
	free(key);
	free(canon);
	make(s, s->dflt, dflt);
	if (s->dflt->err != NULL) {
		*err = xstrdup(s->dflt->err);
		kvset_free(s);
		return NULL;
	}
	key = kv_vault_key(s->dflt->url);
	if (cimap_get(s->bykey, key) == NULL)
		cimap_put(s->bykey, key, s->dflt);
	free(key);
	return s;
}

void
kvset_set_window(struct kvset *s, int writes, double wwindow, int others,
    double awindow)
{
	size_t i;

	pthread_mutex_lock(&s->mu);
	s->wwin = writes;
	s->wwindow = wwindow;
	s->awin = others;
	s->awindow = awindow;
	/*
	 * The subscription's share, as a bucket five budgets deep that
	 * refills at five budgets a window: it binds only past five busy
	 * vaults, where the service's own count is an estimate too.
	 */
	if (writes > 0 && s->sw == NULL)
		s->sw = http_bucket_new(SUBSCRIPTION_FACTOR * writes / wwindow,
		    SUBSCRIPTION_FACTOR * writes);
	if (others > 0 && s->sa == NULL)
		s->sa = http_bucket_new(SUBSCRIPTION_FACTOR * others / awindow,
		    SUBSCRIPTION_FACTOR * others);
	for (i = 0; i < s->n; i++) {
		if (s->all[i]->kv == NULL)
			continue;
		kv_set_window(s->all[i]->kv, writes, 0, wwindow);
		kv_set_window(s->all[i]->kv, 0, others, awindow);
		kv_set_shared_budget(s->all[i]->kv, s->sw, s->sa);
	}
	pthread_mutex_unlock(&s->mu);
}

struct kvvault *
kvset_default(struct kvset *s)
{
	return s->dflt;
}

struct kvvault *
kvset_get(struct kvset *s, const char *vault, int *fresh, char **err)
{
	struct kvvault *v;
	char *canon, *key, *m, *k2;

	*fresh = 0;
	if (vault == NULL) {
		if (s->dflt == NULL)
			*err = xstrdup("no vault: the record has no vault "
			    "field, and no default vault is given "
			    "(KEY_VAULT_NAME, or the vault option)");
		return s->dflt;
	}
	if ((canon = kv_vault_field(vault, err)) == NULL)
		return NULL;
	key = kv_vault_key(canon);
	pthread_mutex_lock(&s->mu);
	if ((v = cimap_get(s->bykey, key)) != NULL)
		goto out;
	/* Checked once, when first named. */
	if (!kv_vault_host_ok(canon, s->dflt != NULL ? s->dflt->url : NULL,
	    &m)) {
		*err = xasprintf("vault %s", m);
		free(m);
		goto out;
	}
	v = add(s, key);
	/* A name goes to kv_new as a name: its cloud's host. */
	make(s, v, strstr(canon, "://") != NULL ? canon : vault);
	*fresh = v->err == NULL;
	/* Its URL names it too: a record of kv-put's mapping carries it. */
	if (v->url != NULL) {
		k2 = kv_vault_key(v->url);
		if (cimap_get(s->bykey, k2) == NULL)
			cimap_put(s->bykey, k2, v);
		free(k2);
	}
out:
	pthread_mutex_unlock(&s->mu);
	free(key);
	free(canon);
	if (v != NULL && v->err != NULL) {
		*err = xasprintf("vault %s", v->err);
		return NULL;
	}
	return v;
}

struct kvvault *
kvset_route(struct kvset *s, jv rec, int *fresh, char **err)
{
	*fresh = 0;
	if ((*err = rec_field_problem(rec, "vault", JV_KIND_STRING, 0)) !=
	    NULL)
		return NULL;
	return kvset_get(s, rec_str(rec, "vault"), fresh, err);
}

void
kvset_refuse(struct kvvault *v, char *why)
{
	v->data = xasprintf("vault %s: %s", v->url, why);
	msg_error(NULL, "%s", (char *)v->data);
	free(why);
}

static int
free_data(struct kvvault *v, void *arg)
{
	free(v->data);
	v->data = NULL;
	return 0;
}

void
kvset_free_data(struct kvset *s)
{
	kvset_iterate(s, free_data, NULL);
}

int
kvset_iterate(struct kvset *s, int (*fn)(struct kvvault *, void *),
    void *arg)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->n && rc == 0; i++)
		if (s->all[i]->kv != NULL)
			rc = fn(s->all[i], arg);
	return rc;
}

void
kvset_free(struct kvset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		kv_free(s->all[i]->kv);
		free(s->all[i]->url);
		free(s->all[i]->key);
		free(s->all[i]->err);
		free(s->all[i]);
	}
	free(s->all);
	cimap_free(s->bykey);
	http_bucket_free(s->sw);
	http_bucket_free(s->sa);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
