/* kvver.c: the versions of one Key Vault secret, and the ids naming them. */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"

#define VERSION_MAX	KV_NAME_MAX	/* the service's are 32 characters */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * A path segment, %-decoded: "%41" and "A" are the same segment (RFC 3986,
 * 2.3 and 6.2.2.2).  NULL for a malformed escape or one that decodes to a
 * NUL; what the decoded text may hold is checked by the caller.
 */
static char *
segment(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n) {
			free(out);
			return NULL;
		}
		if ((hi = hexval((unsigned char)s[i + 1])) < 0 ||
		    (lo = hexval((unsigned char)s[i + 2])) < 0 ||
		    hi * 16 + lo == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi * 16 + lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

static int
all_alnum(const char *s, int letters_only)
{
	if (*s == '\0' || strlen(s) > VERSION_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (letters_only ? !isalpha((unsigned char)*s) :
		    !isalnum((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * The forms the service writes (Key Vault, "Object identifiers" in
 * about-keys-secrets-certificates.md): https://{vault-name}.vault.azure.net/
 * {object-type}/{object-name}/{object-version}, the version "a
 * system-generated, 32 character string identifier".
 */
int
kv_id_parse(const char *s, struct kv_id *id)
{
	const char *host, *p, *end;
	char *seg[3] = { NULL, NULL, NULL }, *dot;
	size_t hl, n;
	int nseg = 0, i;

	memset(id, 0, sizeof(*id));
	if (s == NULL || strncasecmp(s, "https://", 8) != 0)
		return -1;
	host = s + 8;
	if ((hl = strcspn(host, "/?#")) == 0 ||
	    memchr(host, '@', hl) != NULL)
		return -1;
	p = host + hl;
	end = p + strcspn(p, "?#");
	if (p < end && end[-1] == '/')
		end--;			/* one trailing '/' */
	while (p < end) {
		p++;			/* the '/' */
		n = strcspn(p, "/?#");
		if (p + n > end)
			n = (size_t)(end - p);
		if (n == 0 || nseg == 3 ||
		    (seg[nseg] = segment(p, n)) == NULL)
			goto bad;
		nseg++;
		p += n;
	}
	if (nseg == 1 || (nseg >= 1 && !all_alnum(seg[0], 1)) ||
	    (nseg >= 2 && !kv_name_valid(seg[1])) ||
	    (nseg == 3 && !all_alnum(seg[2], 0)))
		goto bad;
	id->vault = xstrndup(s, 8 + hl);
	id->vault_name = xstrndup(host, hl);
	if ((dot = strchr(id->vault_name, '.')) != NULL &&
	    strncasecmp(dot, ".vault.", 7) == 0)
		*dot = '\0';
	else
		dot = NULL;
	if (dot == NULL || !kv_vault_name_valid(id->vault_name)) {
		free(id->vault_name);
		id->vault_name = NULL;
	}
	id->coll = seg[0];
	id->name = seg[1];
	id->version = seg[2];
	return 0;
bad:
	for (i = 0; i < 3; i++)
		free(seg[i]);
	return -1;
}

void
kv_id_release(struct kv_id *id)
{
	free(id->vault);
	free(id->vault_name);
	free(id->coll);
	free(id->name);
	free(id->version);
	memset(id, 0, sizeof(*id));
}

int
kv_id_version(const char *s, const char *name, char **version)
{
	struct kv_id id;

	*version = NULL;
	if (name == NULL || kv_id_parse(s, &id) == -1)
		return -1;
	if (id.coll == NULL || strcasecmp(id.coll, "secrets") != 0 ||
	    strcasecmp(id.name, name) != 0) {
		kv_id_release(&id);
		return -1;
	}
	*version = id.version;
	id.version = NULL;
	kv_id_release(&id);
	return 0;
}

static double
attr_num(jv attrs, const char *k, int *has)
{
	jv v = jv_object_get(jv_copy(attrs), jv_string(k));
	double d = 0;

	*has = jv_get_kind(v) == JV_KIND_NUMBER;
	if (*has)
		d = jv_number_value(v);
	jv_free(v);
	return d;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
kvver_take(struct kvver *k, jv item)
{
	struct kv_id id;
	jv attrs, en, v;
	int has;

	memset(k, 0, sizeof(*k));
	k->id = dup_or_null(rec_str(item, "id"));
	if (kv_id_parse(k->id, &id) == 0 && id.version != NULL) {
		k->version = id.version;
		id.version = NULL;
	} else
		k->version = xstrdup("");
	kv_id_release(&id);
	k->vv = kv_tag_version(item);
	k->ctype = dup_or_null(rec_str(item, "contentType"));
	k->vpath = dup_or_null(kv_tag(item, KV_TAG_PATH));
	k->vns = kv_tag(item, KV_TAG_NS) != NULL &&
	    *kv_tag(item, KV_TAG_NS) != '\0' ?
	    xstrdup(kv_tag(item, KV_TAG_NS)) : NULL;
	k->enabled = 1;
	attrs = jv_object_get(jv_copy(item), jv_string("attributes"));
	if (jv_get_kind(attrs) == JV_KIND_OBJECT) {
		en = jv_object_get(jv_copy(attrs), jv_string("enabled"));
		if (jv_get_kind(en) == JV_KIND_FALSE)
			k->enabled = 0;
		jv_free(en);
		k->created = attr_num(attrs, "created", &has);
		k->updated = attr_num(attrs, "updated", &has);
		k->exp = attr_num(attrs, "exp", &k->has_exp);
	}
	jv_free(attrs);
	v = jv_object_get(jv_copy(item), jv_string("value"));
	if (jv_get_kind(v) == JV_KIND_STRING) {
		/* Counted: the value may hold U+0000. */
		k->len = (size_t)jv_string_length_bytes(jv_copy(v));
		k->value = xmalloc(k->len + 1);
		memcpy(k->value, jv_string_value(v), k->len);
		k->value[k->len] = '\0';
	}
	jv_free(v);
}

void
kvver_release(struct kvver *k)
{
	free(k->id);
	free(k->version);
	free(k->ctype);
	free(k->vpath);
	free(k->vns);
	if (k->value != NULL)
		wipe_freen(k->value, k->len + 1);
	memset(k, 0, sizeof(*k));
}

int
kvver_read(struct kv *kv, const char *name, const char *version,
    struct kvver *k, long *status, char **err)
{
	char *path;
	jv r;

	memset(k, 0, sizeof(*k));
	path = xasprintf("secrets/%s/%s", name, version != NULL ? version :
	    "");
	r = kv_call(kv, "GET", path, jv_invalid(), status);
	free(path);
	if (!jv_is_valid(r)) {
		*err = kv_call_msg(r);
		*status = 0;
		return -1;
	}
	if (*status == 404) {
		jv_free(r);
		return KVVER_ABSENT;
	}
	if (*status != 200 || jv_get_kind(r) != JV_KIND_OBJECT) {
		*err = kv_errmsg(r, *status);
		/* A disabled version answers 403 SecretDisabled. */
		if (*status == 403 &&
		    strcmp(kv_inner_code(r), "SecretDisabled") == 0) {
			jv_free(r);
			return KVVER_DISABLED;
		}
		jv_free(r);
		return -1;
	}
	kvver_take(k, r);
	jv_wipe_free(r);
	return KVVER_READ;
}

/* As the service listed them. */
static int
listed_cmp(const struct kvver *x, const struct kvver *y)
{
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* By creation time, then as listed. */
static int
created_cmp(const void *a, const void *b)
{
	const struct kvver *x = a, *y = b;

	return x->created != y->created ? (x->created < y->created ? -1 : 1) :
	    listed_cmp(x, y);
}

/* By vault-version tag, then as listed. */
static int
tag_cmp(const void *a, const void *b)
{
	const struct kvver *x = a, *y = b;

	return x->vv != y->vv ? (x->vv < y->vv ? -1 : 1) : listed_cmp(x, y);
}

/*
 * Oldest first.  Creation times are in seconds, and kv-put writes a
 * history faster than that: among versions created in the same second,
 * those with a vault-version tag are put in the order of their tags, in
 * the places the tagged ones hold; the others keep the service's order.
 */
static void
sort_versions(struct kvver *k, int n)
{
	struct kvver *t;
	int i, j, e, m;

	qsort(k, (size_t)n, sizeof(*k), created_cmp);
	t = xcalloc((size_t)n + 1, sizeof(*t));
	for (i = 0; i < n; i = e) {
		for (e = i + 1; e < n && k[e].created == k[i].created; e++)
			;
		for (j = i, m = 0; j < e; j++)
			if (k[j].vv > 0)
				t[m++] = k[j];
		if (m < 2)
			continue;
		qsort(t, (size_t)m, sizeof(*t), tag_cmp);
		for (j = i, m = 0; j < e; j++)
			if (k[j].vv > 0)
				k[j] = t[m++];
	}
	free(t);
}

int
kvver_list(struct kv *kv, const char *name, struct kvvers *vs, long *status,
    char **err)
{
	char *path;
	int i, n;
	jv all, item;

	memset(vs, 0, sizeof(*vs));
	path = xasprintf("secrets/%s/versions?maxresults=25", name);
	all = kv_list_all(kv, path, status);
	free(path);
	if (!jv_is_valid(all) && *status == 404) {
		jv_free(all);
		return 0;
	}
	if (!jv_is_valid(all)) {
		*err = kv_call_msg(all);
		return -1;
	}
	n = jv_array_length(jv_copy(all));
	vs->v = xcalloc((size_t)n + 1, sizeof(*vs->v));
	for (i = 0; i < n; i++) {
		item = jv_array_get(jv_copy(all), i);
		kvver_take(&vs->v[i], item);
		vs->v[i].idx = i;
		jv_free(item);
	}
	/* A list holds no values; wiped all the same, as any answer. */
	jv_wipe_free(all);
	vs->n = n;
	sort_versions(vs->v, n);
	return 0;
}

void
kvvers_release(struct kvvers *vs)
{
	int i;

	for (i = 0; i < vs->n; i++)
		kvver_release(&vs->v[i]);
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

void
kvvers_add(struct kvvers *vs, const char *id, long vv, const char *vpath,
    const char *ns)
{
	struct kvver *k;
	struct kv_id kid;

	vs->v = xrealloc(vs->v, ((size_t)vs->n + 1) * sizeof(*vs->v));
	k = &vs->v[vs->n];
	memset(k, 0, sizeof(*k));
	k->id = xstrdup(id);
	if (kv_id_parse(id, &kid) == 0 && kid.version != NULL) {
		k->version = kid.version;
		kid.version = NULL;
	} else
		k->version = xstrdup("");
	kv_id_release(&kid);
	k->vv = vv > 0 ? vv : -1;
	k->vpath = dup_or_null(vpath);
	k->vns = ns != NULL && *ns != '\0' ? xstrdup(ns) : NULL;
	k->enabled = 1;
	k->idx = vs->n;
	vs->n++;
}

int
kvvers_find(const struct kvvers *vs, const char *version)
{
	int i;

	if (version == NULL || *version == '\0')
		return -1;
	for (i = vs->n - 1; i >= 0; i--)
		if (strcasecmp(vs->v[i].version, version) == 0)
			return i;
	return -1;
}

int
kvvers_find_tag(const struct kvvers *vs, long vv, const char *vpath,
    const char *ns)
{
	const struct kvver *k;
	int i;

	if (ns != NULL && *ns == '\0')
		ns = NULL;
	for (i = vs->n - 1; i >= 0; i--) {
		k = &vs->v[i];
		if (k->vv != vv)
			continue;
		if (vpath == NULL)
			return i;
		if (k->vpath != NULL && strcmp(k->vpath, vpath) == 0 &&
		    (k->vns == NULL ? ns == NULL :
		    ns != NULL && strcmp(k->vns, ns) == 0))
			return i;
	}
	return -1;
}
