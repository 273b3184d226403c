/* policy.c: Vault ACL policies, parsed and matched as Vault matches them. */

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/*
 * The policy language is HCL 1 (or its JSON form), of which policies use
 * little: top-level "name" and "path" keys, and in a path block the keys
 * hashicorp/vault vault/policy.go parsePaths accepts.  The parser reads
 * that subset into a jv tree and refuses everything else, so that a
 * policy it cannot read is reported, never half-read.
 *
 * The tree: an object is {"o": [ITEM...]}, an item [KEY..., VALUE]
 * (HCL's block "path "x" { }" is the item ["path", "x", {"o": [...]}]),
 * a list a jv array, strings, numbers and booleans as themselves.
 */

struct lex {
	const char	*p;
	int		 line;
	int		 tok;		/* 0 end, a char, 'S' string, 'I' ident */
	int		 tline;
	struct buf	 s;		/* a string's or identifier's text */
	char		*err;
};

static void
lex_error(struct lex *lx, const char *what)
{
	if (lx->err == NULL)
		lx->err = xasprintf("line %d: %s", lx->line, what);
	lx->tok = 0;
}

/* Blanks and the three forms of comment: #, // and slash-star. */
static void
lex_skip(struct lex *lx)
{
	for (;;) {
		while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
		    *lx->p == '\n') {
			if (*lx->p == '\n')
				lx->line++;
			lx->p++;
		}
		if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/')) {
			while (*lx->p != '\0' && *lx->p != '\n')
				lx->p++;
		} else if (lx->p[0] == '/' && lx->p[1] == '*') {
			lx->p += 2;
			while (*lx->p != '\0' && !(lx->p[0] == '*' &&
			    lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (*lx->p == '\0') {
				lex_error(lx, "comment not closed");
				return;
			}
			lx->p += 2;
		} else
			return;
	}
}

static void
lex_next(struct lex *lx)
{
	int c;

	if (lx->err != NULL) {
		lx->tok = 0;
		return;
	}
	lex_skip(lx);
	if (lx->err != NULL)
		return;
	lx->tline = lx->line;
	buf_reset(&lx->s);
	c = (unsigned char)*lx->p;
	if (c == '\0') {
		lx->tok = 0;
		return;
	}
	if (strchr("{}[]=,", c) != NULL) {
		lx->p++;
		lx->tok = c;
		return;
	}
	if (c == '"') {
		for (lx->p++; *lx->p != '"'; lx->p++) {
			c = (unsigned char)*lx->p;
			if (c == '\0' || c == '\n') {
				lex_error(lx, "string not closed");
				return;
			}
			if (c == '\\') {
				c = (unsigned char)*++lx->p;
				switch (c) {
				case '"': case '\\': case '/':
					break;
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				case 'r': c = '\r'; break;
				default:
					lex_error(lx, "unknown escape in a "
					    "string");
					return;
				}
			}
			buf_addc(&lx->s, c);
		}
		lx->p++;
		lx->tok = 'S';
		return;
	}
	if (isalpha(c) || c == '_' || isdigit(c) || c == '-') {
		while (isalnum((unsigned char)*lx->p) || *lx->p == '_' ||
		    *lx->p == '-' || *lx->p == '.')
			buf_addc(&lx->s, *lx->p++);
		lx->tok = 'I';
		return;
	}
	if (c == '<' && lx->p[1] == '<') {
		lex_error(lx, "heredoc strings are not read here");
		return;
	}
	lex_error(lx, "unexpected character");
}

static jv hcl_items(struct lex *, int closing);

/* A value: string, number, boolean, list or object. */
static jv
hcl_value(struct lex *lx)
{
	jv v, list;
	const char *s;

	switch (lx->tok) {
	case 'S':
		v = jv_string_sized(lx->s.data ? lx->s.data : "", (int)lx->s.len);
		lex_next(lx);
		return v;
	case 'I':
		s = lx->s.data;
		if (strcmp(s, "true") == 0)
			v = jv_true();
		else if (strcmp(s, "false") == 0)
			v = jv_false();
		else if (isdigit((unsigned char)s[0]) || s[0] == '-')
			v = jv_number(strtod(s, NULL));
		else {
			lex_error(lx, "expected a value");
			return jv_invalid();
		}
		lex_next(lx);
		return v;
	case '[':
		list = jv_array();
		lex_next(lx);
		while (lx->tok != ']') {
			v = hcl_value(lx);
			if (!jv_is_valid(v)) {
				jv_free(list);
				return v;
			}
			list = jv_array_append(list, v);
			if (lx->tok == ',')
				lex_next(lx);
			else if (lx->tok != ']') {
				lex_error(lx, "expected ',' or ']' in a list");
				jv_free(list);
				return jv_invalid();
			}
		}
		lex_next(lx);
		return list;
	case '{':
		lex_next(lx);
		v = hcl_items(lx, '}');
		if (!jv_is_valid(v))
			return v;
		lex_next(lx);
		return jv_object_set(jv_object(), jv_string("o"), v);
	default:
		lex_error(lx, "expected a value");
		return jv_invalid();
	}
}

/* Items up to closing ('}', or 0 for the end of the text). */
static jv
hcl_items(struct lex *lx, int closing)
{
	jv items = jv_array(), item, v;

	while (lx->tok != closing) {
		if (lx->tok != 'S' && lx->tok != 'I') {
			lex_error(lx, closing == '}' ? "expected a key or '}'" :
			    "expected a key");
			jv_free(items);
			return jv_invalid();
		}
		item = jv_array();
		while (lx->tok == 'S' || lx->tok == 'I') {
			item = jv_array_append(item, jv_string_sized(
			    lx->s.data ? lx->s.data : "", (int)lx->s.len));
			lex_next(lx);
		}
		if (lx->tok == '=')
			lex_next(lx);
		else if (lx->tok != '{') {
			lex_error(lx, "expected '=' or '{' after a key");
			jv_free(item);
			jv_free(items);
			return jv_invalid();
		}
		v = hcl_value(lx);
		if (!jv_is_valid(v)) {
			jv_free(item);
			jv_free(items);
			return v;
		}
		items = jv_array_append(items, jv_array_append(item, v));
		if (lx->tok == ',')
			lex_next(lx);
	}
	if (lx->err != NULL) {
		jv_free(items);
		return jv_invalid();
	}
	return items;
}

/* A JSON value in the tree's shape: objects become {"o": [[k, v]...]}. */
static jv
from_json(jv v)
{
	jv items, out;
	int i, n;

	switch (jv_get_kind(v)) {
	case JV_KIND_OBJECT:
		items = jv_array();
		jv_object_foreach(v, k, x)
			items = jv_array_append(items, JV_ARRAY(k,
			    from_json(x)));
		jv_free(v);
		return jv_object_set(jv_object(), jv_string("o"), items);
	case JV_KIND_ARRAY:
		out = jv_array();
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n; i++)
			out = jv_array_append(out,
			    from_json(jv_array_get(jv_copy(v), i)));
		jv_free(v);
		return out;
	default:
		return v;
	}
}

static const struct {
	const char	*name;
	unsigned	 bit;
} capnames[] = {
	{ "deny", POL_DENY }, { "create", POL_CREATE }, { "read", POL_READ },
	{ "update", POL_UPDATE }, { "patch", POL_PATCH },
	{ "delete", POL_DELETE }, { "list", POL_LIST }, { "sudo", POL_SUDO },
	{ "subscribe", POL_SUBSCRIBE }, { "recover", POL_RECOVER },
};

char *
policy_caps_str(unsigned caps)
{
	struct buf b;
	size_t i;

	buf_init(&b);
	for (i = 0; i < sizeof(capnames) / sizeof(capnames[0]); i++)
		if (caps & capnames[i].bit)
			buf_printf(&b, "%s\"%s\"", b.len ? ", " : "",
			    capnames[i].name);
	return b.data != NULL ? buf_detach(&b) : xstrdup("");
}

static int
is_obj(jv v)
{
	return jv_get_kind(v) == JV_KIND_OBJECT;
}

static jv
obj_items(jv v /* borrowed */)
{
	return jv_object_get(jv_copy(v), jv_string("o"));
}

/*
 * One path block: its body's keys, as parsePaths takes them.  0, or -1
 * with *err.
 */
static int
add_rule(struct policy *pol, const char *path, jv body /* borrowed */,
    char **err)
{
	jv items, it, key, v, c;
	const char *k;
	unsigned caps = 0;
	int i, n, j, m, legacy = 0;
	struct pol_rule *r;

	if (!is_obj(body)) {
		*err = xasprintf("path \"%s\": not a block", path);
		return -1;
	}
	items = obj_items(body);
	n = jv_array_length(jv_copy(items));
	for (i = 0; i < n; i++) {
		it = jv_array_get(jv_copy(items), i);
		m = jv_array_length(jv_copy(it));
		key = jv_array_get(jv_copy(it), 0);
		v = jv_array_get(jv_copy(it), m - 1);
		k = jv_string_value(key);
		if (m != 2) {
			*err = xasprintf("path \"%s\": unexpected block \"%s\"",
			    path, k);
			goto fail;
		}
		if (strcmp(k, "capabilities") == 0 || strcmp(k, "policy") == 0) {
			int old = k[0] == 'p';

			if (old && jv_get_kind(v) != JV_KIND_STRING) {
				*err = xasprintf("path \"%s\": policy is not a "
				    "string", path);
				goto fail;
			}
			if (old) {
				/* The old form [vault vault/policy.go]. */
				const char *s = jv_string_value(v);

				if (strcmp(s, "deny") == 0)
					legacy = POL_DENY;
				else if (strcmp(s, "read") == 0)
					legacy = POL_READ | POL_LIST;
				else if (strcmp(s, "write") == 0)
					legacy = POL_CREATE | POL_READ |
					    POL_UPDATE | POL_DELETE | POL_LIST;
				else if (strcmp(s, "sudo") == 0)
					legacy = POL_CREATE | POL_READ |
					    POL_UPDATE | POL_DELETE | POL_LIST |
					    POL_SUDO;
				else {
					*err = xasprintf("path \"%s\": invalid "
					    "policy \"%s\"", path, s);
					goto fail;
				}
			} else {
				if (jv_get_kind(v) != JV_KIND_ARRAY) {
					*err = xasprintf("path \"%s\": "
					    "capabilities is not a list", path);
					goto fail;
				}
				for (j = 0; j < jv_array_length(jv_copy(v));
				    j++) {
					size_t q;
					unsigned bit = 0;

					c = jv_array_get(jv_copy(v), j);
					for (q = 0; jv_get_kind(c) ==
					    JV_KIND_STRING && q <
					    sizeof(capnames) /
					    sizeof(capnames[0]); q++)
						if (strcmp(jv_string_value(c),
						    capnames[q].name) == 0)
							bit = capnames[q].bit;
					if (bit == 0) {
						*err = xasprintf("path \"%s\": "
						    "invalid capability %s",
						    path, jv_get_kind(c) ==
						    JV_KIND_STRING ?
						    jv_string_value(c) :
						    "(not a string)");
						jv_free(c);
						goto fail;
					}
					jv_free(c);
					caps |= bit;
				}
			}
		} else if (strcmp(k, "allowed_parameters") == 0 ||
		    strcmp(k, "denied_parameters") == 0 ||
		    strcmp(k, "required_parameters") == 0 ||
		    strcmp(k, "min_wrapping_ttl") == 0 ||
		    strcmp(k, "max_wrapping_ttl") == 0 ||
		    strcmp(k, "mfa_methods") == 0 ||
		    strcmp(k, "control_group") == 0) {
			/* Conditions Azure's roles cannot express. */
			if (pol->conditions == NULL)
				pol->conditions = xasprintf("path \"%s\": %s",
				    path, k);
		} else if (strcmp(k, "comment") != 0) {
			*err = xasprintf("path \"%s\": invalid key \"%s\"",
			    path, k);
			goto fail;
		}
		jv_free(key);
		jv_free(v);
		jv_free(it);
		continue;
fail:
		jv_free(key);
		jv_free(v);
		jv_free(it);
		jv_free(items);
		return -1;
	}
	jv_free(items);
	caps |= legacy;
	/* Deny alone is kept: it overrides everything else. */
	if (caps & POL_DENY)
		caps = POL_DENY;
	if (strstr(path, "+*") != NULL) {
		*err = xasprintf("path \"%s\": invalid use of wildcards ('+*' "
		    "is forbidden)", path);
		return -1;
	}
	if (strstr(path, "{{") != NULL)
		pol->templated = 1;
	pol->rules = xrealloc(pol->rules, (pol->n + 1) * sizeof(*pol->rules));
	r = &pol->rules[pol->n++];
	/* "Paths in Vault start after the / in the API path". */
	r->path = xstrdup(path[0] == '/' ? path + 1 : path);
	r->caps = caps;
	return 0;
}

/* Every "path" of the top level, in its three spellings. */
static int
walk_paths(struct policy *pol, jv v /* borrowed */, char **err)
{
	jv items, it, key;
	int i, n, rc = 0;

	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(v));
		for (i = 0; i < n && rc == 0; i++) {
			it = jv_array_get(jv_copy(v), i);
			rc = walk_paths(pol, it, err);
			jv_free(it);
		}
		return rc;
	}
	if (!is_obj(v)) {
		*err = xstrdup("path: not a block");
		return -1;
	}
	items = obj_items(v);
	n = jv_array_length(jv_copy(items));
	for (i = 0; i < n && rc == 0; i++) {
		it = jv_array_get(jv_copy(items), i);
		if (jv_array_length(jv_copy(it)) != 2) {
			*err = xstrdup("path: unexpected nesting");
			rc = -1;
		} else {
			jv body = jv_array_get(jv_copy(it), 1);

			key = jv_array_get(jv_copy(it), 0);
			rc = add_rule(pol, jv_string_value(key), body, err);
			jv_free(key);
			jv_free(body);
		}
		jv_free(it);
	}
	jv_free(items);
	return rc;
}

int
policy_parse(struct policy *pol, const char *text, char **err)
{
	struct lex lx;
	jv tree, items, it, key, v;
	const char *p = text, *k;
	int i, n, m, rc = 0;

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '{') {
		/* HCL 1 reads a text that starts with '{' as JSON. */
		tree = rec_parse_json(p, strlen(p));
		if (!jv_is_valid(tree)) {
			char *m2 = rec_invalid_msg(tree, "not JSON");
			char *c = msg_clean(m2, SIZE_MAX, 300);

			/* jq quotes the text: one line whatever it holds. */
			*err = xasprintf("JSON: %s", c);
			free(c);
			free(m2);
			return -1;
		}
		if (jv_get_kind(tree) != JV_KIND_OBJECT) {
			jv_free(tree);
			*err = xstrdup("JSON: not an object");
			return -1;
		}
		tree = from_json(tree);
		items = obj_items(tree);
		jv_free(tree);
	} else {
		memset(&lx, 0, sizeof(lx));
		lx.p = p;
		lx.line = 1;
		for (k = text; k < p; k++)
			if (*k == '\n')
				lx.line++;
		buf_init(&lx.s);
		lex_next(&lx);
		items = hcl_items(&lx, 0);
		buf_release(&lx.s);
		if (!jv_is_valid(items)) {
			jv_free(items);
			*err = lx.err != NULL ? lx.err : xstrdup("cannot parse");
			return -1;
		}
		free(lx.err);
	}
	n = jv_array_length(jv_copy(items));
	for (i = 0; i < n && rc == 0; i++) {
		it = jv_array_get(jv_copy(items), i);
		m = jv_array_length(jv_copy(it));
		key = jv_array_get(jv_copy(it), 0);
		k = jv_string_value(key);
		if (strcmp(k, "path") == 0 && m == 3) {
			jv pk = jv_array_get(jv_copy(it), 1);

			v = jv_array_get(jv_copy(it), 2);
			rc = add_rule(pol, jv_string_value(pk), v, err);
			jv_free(pk);
			jv_free(v);
		} else if (strcmp(k, "path") == 0 && m == 2) {
			v = jv_array_get(jv_copy(it), 1);
			rc = walk_paths(pol, v, err);
			jv_free(v);
		} else if (strcmp(k, "name") != 0 || m != 2) {
			*err = xasprintf("invalid key \"%s\"", k);
			rc = -1;
		}
		jv_free(key);
		jv_free(it);
	}
	jv_free(items);
	if (rc == -1) {
		/* A message is one line, whatever the policy holds. */
		char *c = msg_clean(*err, SIZE_MAX, 300);

		free(*err);
		*err = c;
	}
	if (pol->conditions != NULL) {
		char *c = msg_clean(pol->conditions, SIZE_MAX, 300);

		free(pol->conditions);
		pol->conditions = c;
	}
	return rc;
}

void
policy_release(struct policy *pol)
{
	size_t i;

	for (i = 0; i < pol->n; i++)
		free(pol->rules[i].path);
	free(pol->rules);
	free(pol->conditions);
	pol->rules = NULL;
	pol->n = 0;
	pol->conditions = NULL;
}

/*
 * The ACL: every rule of a principal's policies, merged per full path as
 * hashicorp/vault vault/acl.go NewACL merges them (the same pattern in
 * several policies: the union of their capabilities, or deny alone).
 */
struct acl {
	struct acl_entry **ent;
	size_t		 n;
	struct cimap	*exact;		/* full path -> entry */
	int		 segments;	/* any ACL_SEGMENT entry */
};

struct acl *
acl_new(void)
{
	struct acl *a = xcalloc(1, sizeof(*a));

	a->exact = cimap_new(CIMAP_EXACT);
	return a;
}

void
acl_free(struct acl *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->ent[i]->key);
		free(a->ent[i]->src);
		free(a->ent[i]);
	}
	free(a->ent);
	cimap_free(a->exact);
	free(a);
}

static struct acl_entry *
acl_find(struct acl *a, const char *key, int kind)
{
	size_t i;

	if (kind == ACL_EXACT)
		return cimap_get(a->exact, key);
	for (i = 0; i < a->n; i++)
		if (a->ent[i]->kind == kind && strcmp(a->ent[i]->key, key) == 0)
			return a->ent[i];
	return NULL;
}

void
acl_add(struct acl *a, const struct policy *pol)
{
	struct acl_entry *e;
	const struct pol_rule *r;
	char *full;
	size_t i, len;
	int kind;

	for (i = 0; i < pol->n; i++) {
		r = &pol->rules[i];
		/* A template names a path only once someone logs in. */
		if (strstr(r->path, "{{") != NULL)
			continue;
		/* "pc.Path = result.namespace.Path + pc.Path" */
		full = xasprintf("%s%s", pol->ns, r->path);
		len = strlen(full);
		if (strcmp(full, "+") == 0 || strstr(full, "/+") != NULL ||
		    strncmp(full, "+/", 2) == 0)
			kind = ACL_SEGMENT;
		else if (len > 0 && full[len - 1] == '*') {
			full[len - 1] = '\0';
			kind = ACL_PREFIX;
		} else
			kind = ACL_EXACT;
		if ((e = acl_find(a, full, kind)) == NULL) {
			e = xcalloc(1, sizeof(*e));
			e->key = full;
			e->kind = kind;
			e->caps = r->caps;
			a->ent = xrealloc(a->ent, (a->n + 1) *
			    sizeof(*a->ent));
			a->ent[a->n++] = e;
			if (kind == ACL_EXACT)
				cimap_put(a->exact, e->key, e);
			if (kind == ACL_SEGMENT)
				a->segments = 1;
		} else {
			free(full);
			if (e->caps & POL_DENY)
				continue;
			if (r->caps & POL_DENY) {
				e->caps = POL_DENY;
				e->nsrc = 0;
			} else
				e->caps |= r->caps;
		}
		e->src = xrealloc(e->src, (e->nsrc + 1) * sizeof(*e->src));
		e->src[e->nsrc].pol = pol;
		e->src[e->nsrc].rule = r;
		e->nsrc++;
	}
}

/* The number of '/'-separated segments of s. */
static size_t
nsegs(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++)
		n += *s == '/';
	return n;
}

struct wcdesc {
	long			 first;		/* first '+' or '*' */
	int			 wildcards;
	int			 prefix;
	size_t			 len;
	const char		*path;		/* wcPath */
	const struct acl_entry	*e;
};

/* Is x of lower priority than y ("Priority matching")? */
static int
lower(const struct wcdesc *x, const struct wcdesc *y)
{
	int c;

	if (x->first != y->first)
		return x->first < y->first;
	if (x->prefix != y->prefix)
		return x->prefix;
	if (x->wildcards != y->wildcards)
		return x->wildcards > y->wildcards;
	if (x->len != y->len)
		return x->len < y->len;
	c = strncmp(x->path, y->path, x->len);
	return c < 0;
}

/*
 * A segment-wildcard entry against path, as acl.go
 * CheckAllowedFromNonExactPaths: 1 and *d when it matches.
 */
static int
seg_match(const struct acl_entry *e, const char *path, struct wcdesc *d)
{
	const char *pp = path, *ap, *pe, *ae, *plus;
	size_t alen, np, na, i;

	memset(d, 0, sizeof(*d));
	alen = strlen(e->key);
	plus = strchr(e->key, '+');
	d->first = plus != NULL ? plus - e->key : -1;
	if (alen > 0 && e->key[alen - 1] == '*') {
		d->prefix = 1;
		alen--;
	}
	d->path = e->key;
	d->len = alen;
	d->e = e;
	np = nsegs(path);
	/* Segments of the pattern without its '*'. */
	na = 1;
	for (i = 0; i < alen; i++)
		na += e->key[i] == '/';
	if (np < na || (!d->prefix && np != na))
		return 0;
	ap = e->key;
	for (i = 0; i < na; i++) {
		ae = memchr(ap, '/', (size_t)(e->key + alen - ap));
		if (ae == NULL)
			ae = e->key + alen;
		pe = strchr(pp, '/');
		if (pe == NULL)
			pe = pp + strlen(pp);
		if (ae - ap == 1 && *ap == '+')
			d->wildcards++;
		else if (!((ae - ap) == (pe - pp) &&
		    memcmp(ap, pp, (size_t)(ae - ap)) == 0) &&
		    !(d->prefix && i == na - 1 && (pe - pp) >= (ae - ap) &&
		    memcmp(ap, pp, (size_t)(ae - ap)) == 0))
			return 0;
		ap = ae + 1;
		pp = *pe != '\0' ? pe + 1 : pe;
	}
	return 1;
}

/* The longest prefix entry and every matching segment entry, the best. */
static const struct acl_entry *
non_exact(const struct acl *a, const char *path)
{
	const struct acl_entry *best = NULL;
	struct wcdesc top, d;
	size_t i, blen = 0, kl;
	int have = 0;

	for (i = 0; i < a->n; i++) {
		if (a->ent[i]->kind != ACL_PREFIX)
			continue;
		kl = strlen(a->ent[i]->key);
		if (strncmp(path, a->ent[i]->key, kl) == 0 &&
		    (best == NULL || kl > blen)) {
			best = a->ent[i];
			blen = kl;
		}
	}
	if (!a->segments)
		return best;
	if (best != NULL) {
		memset(&top, 0, sizeof(top));
		top.first = (long)blen;
		top.prefix = 1;
		top.path = best->key;
		top.len = blen;
		top.e = best;
		have = 1;
	}
	for (i = 0; i < a->n; i++) {
		if (a->ent[i]->kind != ACL_SEGMENT ||
		    *a->ent[i]->key == '\0' ||
		    !seg_match(a->ent[i], path, &d))
			continue;
		if (!have || lower(&top, &d)) {
			top = d;
			have = 1;
		}
	}
	return have ? top.e : NULL;
}

const struct acl_entry *
acl_match(const struct acl *a, const char *path, int list)
{
	const struct acl_entry *e;
	size_t len = strlen(path);
	char *trim;

	while (*path == '/')
		path++, len--;
	if ((e = cimap_get(a->exact, path)) != NULL)
		return e;
	if (list && len > 0 && path[len - 1] == '/') {
		trim = xstrndup(path, len - 1);
		/*
		 * A LIST matches a rule without its trailing slash, exact
		 * or not (VAULT-3825, hashicorp/vault#23874).
		 */
		if ((e = cimap_get(a->exact, trim)) == NULL)
			e = non_exact(a, trim);
		free(trim);
		if (e != NULL)
			return e;
	}
	return non_exact(a, path);
}

unsigned
acl_caps(const struct acl *a, const char *path, int list,
    const struct acl_entry **ep)
{
	const struct acl_entry *e = acl_match(a, path, list);

	if (ep != NULL)
		*ep = e;
	if (e == NULL || (e->caps & POL_DENY))
		return 0;
	return e->caps;
}
