/* kv-name: give every record a valid, unique and stable Key Vault name. */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jq.h>

#include "common.h"

/*
 * Key Vault secret names match ^[0-9a-zA-Z-]{1,127}$ and compare
 * case-insensitively (learn.microsoft.com, "About keys, secrets and
 * certificates": object identifiers are case-insensitive; SetSecret's
 * name pattern).  A name cut to fit keeps STEM_LEN characters, then '-'
 * and HASH_LEN hex digits: 118 + 1 + 8 = 127.
 */
#define HASH_LEN	8
#define STEM_LEN	(KV_NAME_MAX - 1 - HASH_LEN)

/*
 * Vault names (for --reference): 3 to 24 letters, digits and '-', a
 * letter first, a letter or digit last, no "--" (learn.microsoft.com,
 * "Naming rules and restrictions for Azure resources", Microsoft.KeyVault).
 */
#define VAULT_MIN_LEN	3
#define VAULT_MAX_LEN	24

enum {
	OPT_COLLISION = 256,
	OPT_NS_PREFIX,
	OPT_REFERENCE,
	OPT_SPLIT,
	OPT_STRIP_MOUNT,
	OPT_VERSION
};

/*
 * Whose a name taken in this run or pinned by --map is (the identity,
 * see identity()), and a pinned name as the map spells it.  Names and
 * paths only: never a value.  Entries live in the blocks of the names
 * map (cimap_alloc): no allocator overhead per name, which keeps a run
 * of many names small.
 */
struct ent {
	uint32_t	 lineno;	/* --map line, or 0: taken by the run */
	uint32_t	 idlen;
	char		 s[];		/* identity, NUL; pinned: name, NUL */
};

/* How the name of a record is chosen. */
enum how {
	HOW_KEEP,		/* the record's own name, validated */
	HOW_PIN,		/* pinned by --map */
	HOW_RULE		/* the default rule or -e */
};

static struct {
	const char	*expr;
	int		 force;
	const char	*mapfile;
	int		 ns_prefix;
	const char	*prefix;
	const char	*vault;
	int		 split;
	int		 strip_mount;
	int		 suffix;
} opt;

/*
 * What -e sees: the record without its data, and nothing else.  This
 * prelude goes before the expression, on its line (so that jq's line
 * numbers stay right), and shadows the libjq 1.6 builtins that read the
 * environment, files, other input or the clock's zone, or write to
 * stderr (jq-1.6 src/builtin.c function_list, src/builtin.jq); it binds
 * $ENV, which the compiler would otherwise fill with the environment
 * (src/compile.c expand_call_arglist), to {}.  Coming first, it also
 * makes "import", "include" and "module" syntax errors, since they may
 * only open a program (src/parser.y): no module file is ever looked for.
 */
#define EXPR_NA(f)	"def " f ": error(\"" f " is not available: -e " \
			    "sees only the record\"); "
static const char expr_prelude[] =
    EXPR_NA("env") EXPR_NA("input") EXPR_NA("inputs") EXPR_NA("_input")
    EXPR_NA("input_filename") EXPR_NA("input_line_number")
    EXPR_NA("debug") EXPR_NA("stderr") EXPR_NA("get_search_list")
    EXPR_NA("get_prog_origin") EXPR_NA("get_jq_origin")
    EXPR_NA("modulemeta") EXPR_NA("localtime") EXPR_NA("strflocaltime(f)")
    "{} as $ENV | ";

static struct cimap *names;	/* name: whose, without regard to case */
static struct cimap *pins;		/* identity: pinned entry (exact) */
static jq_state *jq;
static long nin, nout, nfailed, nupstream;

static const struct option longopts[] = {
	{ "expr",		required_argument, NULL, 'e' },
	{ "force-rename",	no_argument,	   NULL, 'f' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "map",		required_argument, NULL, 'm' },
	{ "namespace-prefix",	no_argument,	   NULL, OPT_NS_PREFIX },
	{ "on-collision",	required_argument, NULL, OPT_COLLISION },
	{ "prefix",		required_argument, NULL, 'p' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "reference",		required_argument, NULL, OPT_REFERENCE },
	{ "split",		no_argument,	   NULL, OPT_SPLIT },
	{ "strip-mount",	no_argument,	   NULL, OPT_STRIP_MOUNT },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ NULL,			0,		   NULL, 0 }
};

static const char synopsis[] =
    "usage: kv-name [-fhqv] [-e expr] [-m file] [--namespace-prefix]\n"
    "               [--on-collision error|suffix] [-p prefix] "
    "[--reference vault]\n"
    "               [--split] [--strip-mount]\n";
static const char options[] =
	"  -e, --expr EXPR                  name each record with a jq expression\n"
	"  -f, --force-rename               ignore the names records arrive with\n"
	"  -h, --help                       print this help and exit\n"
	"  -m, --map FILE                   pin the names of a mapping kv-put wrote\n"
	"      --namespace-prefix           begin default names with the namespace\n"
	"      --on-collision error|suffix  a taken name: error record, or hash suffix\n"
	"  -p, --prefix PREFIX              begin every name with prefix-\n"
	"  -q, --quiet                      no warnings, no summary\n"
	"      --reference VAULT            add the App Service Key Vault reference\n"
	"      --split                      one record per key of a multi-key secret\n"
	"      --strip-mount                leave the mount out of default names\n"
	"  -v, --verbose                    say which names were shortened or suffixed\n"
	"      --version                    print the version and exit\n";

static int
is_namech(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '-';
}

static int
all_namech(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_namech((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *
ent_id(const struct ent *e)
{
	return e->s;
}

/* The name of a pinned entry. */
static const char *
ent_name(const struct ent *e)
{
	return e->s + e->idlen + 1;
}

static int
same_id(const struct ent *e, const char *id, size_t idlen)
{
	return e->idlen == idlen && memcmp(ent_id(e), id, idlen) == 0;
}

/* An entry for id; name is the pinned name, or NULL. */
static struct ent *
ent_new(const char *name, const char *id, size_t idlen, size_t lineno)
{
	struct ent *e;
	size_t n = name != NULL ? strlen(name) + 1 : 0;

	e = cimap_alloc(names, sizeof(*e) + idlen + 1 + n);
	e->lineno = (uint32_t)lineno;
	e->idlen = (uint32_t)idlen;
	memcpy(e->s, id, idlen);
	e->s[idlen] = '\0';
	if (name != NULL)
		memcpy(e->s + idlen + 1, name, n);
	return e;
}

/*
 * For messages: "mount/path", then in parentheses the key of a split
 * secret, the namespace, and for a pinned name where it was pinned.
 */
static char *
id_label(const char *id, size_t idlen, uint32_t pinned)
{
	struct buf b;
	const char *p, *end = id + idlen;
	int paren = 0;

	buf_init(&b);
	buf_addstr(&b, id);
	for (p = id + strlen(id) + 1; p < end; p += strlen(p) + 1) {
		buf_addstr(&b, paren++ ? ", " : " (");
		buf_printf(&b, "%s %s", *p == 'k' ? "key" : "namespace",
		    p + 1);
	}
	if (pinned) {
		buf_addstr(&b, paren++ ? ", " : " (");
		buf_printf(&b, "pinned by %s line %u", opt.mapfile,
		    (unsigned)pinned);
	}
	if (paren)
		buf_addc(&b, ')');
	return buf_detach(&b);
}

/* Who holds a name, for messages. */
static char *
ent_label(const struct ent *e)
{
	return id_label(ent_id(e), e->idlen, e->lineno);
}

/* A value as JSON text, for messages: a string may hold any character. */
static char *
dumped(jv v /* borrowed */)
{
	jv d;
	char *r;

	d = jv_dump_string(jv_copy(v), 0);
	r = xstrdup(jv_string_value(d));
	jv_free(d);
	return r;
}

static char *
quoted(const char *s)
{
	jv v;
	char *r;

	v = jv_string(s);
	r = dumped(v);
	jv_free(v);
	return r;
}

/*
 * The default rule: every character outside [0-9A-Za-z-] becomes '-',
 * runs of '-' collapse, '-' is trimmed at both ends.  Bytes of a UTF-8
 * sequence all become '-' and collapse, so a character counts once.
 */
static void
sanitize(struct buf *out, const char *s)
{
	size_t start = out->len;

	for (; *s != '\0'; s++) {
		if (is_namech((unsigned char)*s) && *s != '-')
			buf_addc(out, *s);
		else if (out->len > start && out->data[out->len - 1] != '-')
			buf_addc(out, '-');
	}
	if (out->len > start && out->data[out->len - 1] == '-')
		out->data[--out->len] = '\0';
}

/*
 * Latin letters with diacritics as their base letters, for paths that
 * have no ASCII letter or digit: U+00C0 to U+017F, the Latin-1
 * Supplement's letters and Latin Extended-A, by the usual
 * transliteration (Unicode's decompositions where there is one: é e,
 * ň n; else the customary spelling: ß ss, æ ae, œ oe, þ th, ø o, đ d,
 * ł l, ı i, ĸ k, ſ s).  The two signs among them, × and ÷, fold to
 * nothing.
 */
#define FOLD_FIRST	0xc0
#define FOLD_LAST	0x17f
static const char *const fold_tab[FOLD_LAST - FOLD_FIRST + 1] = {
	"A", "A", "A", "A", "A", "A", "AE", "C",	/* U+00C0 */
	"E", "E", "E", "E", "I", "I", "I", "I",	/* U+00C8 */
	"D", "N", "O", "O", "O", "O", "O", "",	/* U+00D0 */
	"O", "U", "U", "U", "U", "Y", "TH", "ss",	/* U+00D8 */
	"a", "a", "a", "a", "a", "a", "ae", "c",	/* U+00E0 */
	"e", "e", "e", "e", "i", "i", "i", "i",	/* U+00E8 */
	"d", "n", "o", "o", "o", "o", "o", "",	/* U+00F0 */
	"o", "u", "u", "u", "u", "y", "th", "y",	/* U+00F8 */
	"A", "a", "A", "a", "A", "a", "C", "c",	/* U+0100 */
	"C", "c", "C", "c", "C", "c", "D", "d",	/* U+0108 */
	"D", "d", "E", "e", "E", "e", "E", "e",	/* U+0110 */
	"E", "e", "E", "e", "G", "g", "G", "g",	/* U+0118 */
	"G", "g", "G", "g", "H", "h", "H", "h",	/* U+0120 */
	"I", "i", "I", "i", "I", "i", "I", "i",	/* U+0128 */
	"I", "i", "IJ", "ij", "J", "j", "K", "k",	/* U+0130 */
	"k", "L", "l", "L", "l", "L", "l", "L",	/* U+0138 */
	"l", "L", "l", "N", "n", "N", "n", "N",	/* U+0140 */
	"n", "n", "N", "n", "O", "o", "O", "o",	/* U+0148 */
	"O", "o", "OE", "oe", "R", "r", "R", "r",	/* U+0150 */
	"R", "r", "S", "s", "S", "s", "S", "s",	/* U+0158 */
	"S", "s", "T", "t", "T", "t", "T", "t",	/* U+0160 */
	"U", "u", "U", "u", "U", "u", "U", "u",	/* U+0168 */
	"U", "u", "U", "u", "W", "w", "Y", "y",	/* U+0170 */
	"Y", "Z", "z", "Z", "z", "Z", "z", "s",	/* U+0178 */
};

/* s with its Latin letters folded, other characters kept; malloc'd. */
static char *
fold(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	unsigned c;

	buf_init(&b);
	for (; *p != '\0'; p++) {
		/* Valid UTF-8 (rec_next made sure): U+0080 to U+07FF in two. */
		if (*p >= 0xc3 && *p <= 0xc5 && (p[1] & 0xc0) == 0x80) {
			c = (unsigned)(*p & 0x1f) << 6 | (p[1] & 0x3f);
			if (c >= FOLD_FIRST && c <= FOLD_LAST) {
				buf_addstr(&b, fold_tab[c - FOLD_FIRST]);
				p++;
				continue;
			}
		}
		buf_addc(&b, *p);
	}
	return buf_detach(&b);
}

static void
hash8(const char *s, size_t n, char out[HASH_LEN + 1])
{
	char hex[65];

	hash_sha256_hex(s, n, hex);
	memcpy(out, hex, HASH_LEN);
	out[HASH_LEN] = '\0';
}

/* The first STEM_LEN characters of full, '-' trimmed, then '-' and hash. */
static char *
cut_hashed(const char *full, const char hash[HASH_LEN + 1])
{
	size_t n = STEM_LEN;

	while (n > 0 && full[n - 1] == '-')
		n--;
	return xasprintf("%.*s-%s", (int)n, full, hash);
}

/*
 * The name full gets when it is free: itself, or when too long, cut with
 * the hash of the whole name in lowercase, so that two names that differ
 * only past the cut differ, and two that collide still collide.
 */
static char *
fit(const char *full)
{
	char hash[HASH_LEN + 1], *low;
	size_t i, n = strlen(full);

	if (n <= KV_NAME_MAX)
		return xstrdup(full);
	low = xstrdup(full);
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	hash8(low, n, hash);
	free(low);
	return cut_hashed(full, hash);
}

/* The name full gets when taken: '-' and the hash of the identity added. */
static char *
suffixed(const char *full, const char *id, size_t idlen)
{
	char hash[HASH_LEN + 1];

	hash8(id, idlen, hash);
	if (strlen(full) + 1 + HASH_LEN <= KV_NAME_MAX)
		return xasprintf("%s-%s", full, hash);
	return cut_hashed(full, hash);
}

/* Take name for id: NULL when done, else whoever holds it already. */
static struct ent *
take(const char *name, const char *id, size_t idlen)
{
	struct ent *e;

	if ((e = cimap_get(names, name)) != NULL)
		return same_id(e, id, idlen) ? NULL : e;
	cimap_put(names, name, ent_new(NULL, id, idlen, 0));
	return NULL;
}

static jv
fail(jv rec, const char *label, char *why /* freed */)
{
	msg_warn(label, "%s", why);
	rec = rec_error(rec, 0, "%s", why);
	free(why);
	return rec;
}

static jv
set_name(jv rec, const char *name)
{
	rec = jv_object_set(rec, jv_string("name"), jv_string(name));
	if (opt.vault != NULL)
		rec = jv_object_set(rec, jv_string("reference"),
		    jv_string_fmt("@Microsoft.KeyVault(VaultName=%s;"
		    "SecretName=%s)", opt.vault, name));
	return rec;
}

/*
 * Give rec (whose identity is id) its name: how says where it comes from,
 * name is the record's own name (HOW_KEEP), or the full name the rule or
 * -e gave (HOW_RULE, maybe too long).  Returns the record named, or an
 * error record.
 */
static jv
assign(jv rec, const char *id, size_t idlen, enum how how, const char *name)
{
	struct ent *pin, *e, *e2;
	char *label, *cand = NULL, *alt = NULL, *who, *who2;

	label = id_label(id, idlen, 0);
	pin = cimap_getn(pins, id, idlen);
	if (how == HOW_KEEP) {
		if (pin != NULL && strcasecmp(ent_name(pin), name) != 0) {
			rec = fail(rec, label, xasprintf("name %s differs "
			    "from %s, pinned by %s line %u", name,
			    ent_name(pin), opt.mapfile,
			    (unsigned)pin->lineno));
			goto out;
		}
		if ((e = take(name, id, idlen)) != NULL) {
			who = ent_label(e);
			rec = fail(rec, label, xasprintf("name %s already "
			    "taken by %s", name, who));
			free(who);
			goto out;
		}
		rec = set_name(rec, name);
		goto out;
	}
	if (pin != NULL) {
		rec = set_name(rec, ent_name(pin));
		goto out;
	}
	cand = fit(name);
	if (strlen(name) > KV_NAME_MAX)
		msg_info(label, "name shortened to %s", cand);
	if ((e = take(cand, id, idlen)) == NULL) {
		rec = set_name(rec, cand);
		goto out;
	}
	who = ent_label(e);
	if (!opt.suffix) {
		rec = fail(rec, label, xasprintf("name %s already taken by %s",
		    cand, who));
		free(who);
		goto out;
	}
	alt = suffixed(name, id, idlen);
	if ((e2 = take(alt, id, idlen)) != NULL) {
		who2 = ent_label(e2);
		rec = fail(rec, label, xasprintf("name %s already taken by "
		    "%s, and name %s by %s", cand, who, alt, who2));
		free(who2);
	} else {
		msg_info(label, "name %s already taken by %s: named %s", cand,
		    who, alt);
		rec = set_name(rec, alt);
	}
	free(who);
out:
	free(alt);
	free(cand);
	free(label);
	return rec;
}

/* Whatever jq said, as text. */
static char *
jq_text(jv msg)
{
	char *s;

	s = jv_get_kind(msg) == JV_KIND_STRING ?
	    xstrdup(jv_string_value(msg)) : dumped(msg);
	jv_free(msg);
	return s;
}

/*
 * Run -e over the record without its data, so the expression never sees
 * a secret value.  Returns the name (malloc'd), or NULL and *why.
 */
static char *
eval_expr(jv rec, char **why)
{
	jv in, r, r2;
	char *name, *q;
	size_t n;

	in = jv_object_delete(jv_copy(rec), jv_string("data"));
	jq_start(jq, in, 0);
	r = jq_next(jq);
	if (!jv_is_valid(r)) {
		if (jv_invalid_has_msg(jv_copy(r))) {
			q = jq_text(jv_invalid_get_msg(r));
			*why = xasprintf("-e: %s", q);
			free(q);
		} else {
			jv_free(r);
			*why = xstrdup("-e: no result");
		}
		return NULL;
	}
	if (jv_get_kind(r) != JV_KIND_STRING) {
		*why = xasprintf("-e: result is %s, not a string",
		    jv_kind_name(jv_get_kind(r)));
		jv_free(r);
		return NULL;
	}
	r2 = jq_next(jq);
	if (jv_is_valid(r2)) {
		*why = xstrdup("-e: more than one result");
		jv_free(r2);
		jv_free(r);
		return NULL;
	}
	if (jv_invalid_has_msg(jv_copy(r2))) {
		q = jq_text(jv_invalid_get_msg(r2));
		*why = xasprintf("-e: %s", q);
		free(q);
		jv_free(r);
		return NULL;
	}
	jv_free(r2);
	/* Validated, not sanitized; only the length is fixed later. */
	n = (size_t)jv_string_length_bytes(jv_copy(r));
	if (n == 0 || strlen(jv_string_value(r)) != n ||
	    !all_namech(jv_string_value(r), n)) {
		q = dumped(r);
		*why = xasprintf("-e: %s is not a valid Key Vault name", q);
		free(q);
		jv_free(r);
		return NULL;
	}
	name = xstrdup(jv_string_value(r));
	jv_free(r);
	return name;
}

/* P, then '-' unless P ends with one, then body. */
static char *
with_prefix(char *body /* freed */)
{
	char *s;
	size_t n;

	if (opt.prefix == NULL)
		return body;
	n = strlen(opt.prefix);
	s = xasprintf("%s%s%s", opt.prefix,
	    opt.prefix[n - 1] == '-' ? "" : "-", body);
	free(body);
	return s;
}

/* Does s hold an ASCII letter or digit? */
static int
has_alnum(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != '-' && is_namech((unsigned char)*s))
			return 1;
	return 0;
}

/*
 * The full name the rule or -e gives (id is the record's identity), or
 * NULL and *why.  A path with no ASCII letter or digit has its Latin
 * letters folded (é/ü: secret-e-u); a path that keeps none even so
 * (..., 設定/鍵) is named, with --on-collision=suffix, after its mount
 * and the hash of its identity, as a taken name would be.  Paths that
 * had a name before keep it: nothing else is folded.
 */
static char *
rule_name(jv rec, const char *mount, const char *path, const char *id,
    size_t idlen, char **why)
{
	struct buf b;
	char *raw, *body, *folded = NULL, hash[HASH_LEN + 1];
	const char *ns = NULL;

	/*
	 * --namespace-prefix: the namespace's path goes first, as if it
	 * were more folders ("team-a/sub" and kv/db: team-a-sub-kv-db).
	 * identity() made sure it is a string when there.
	 */
	if (opt.ns_prefix && (ns = rec_str(rec, "namespace")) != NULL &&
	    *ns == '\0')
		ns = NULL;

	if (opt.expr != NULL) {
		if ((body = eval_expr(rec, why)) == NULL)
			return NULL;
		return with_prefix(body);
	}
	buf_init(&b);
	if (!has_alnum(path)) {
		folded = fold(path);
		path = folded;
	}
	if (!has_alnum(path)) {
		free(folded);
		/* A path of punctuation alone: its mount, and the hash. */
		if (!opt.suffix) {
			*why = xstrdup("no letter or digit in the path to "
			    "make a name of");
			return NULL;
		}
		if (ns != NULL) {
			sanitize(&b, ns);
			if (b.len > 0)
				buf_addc(&b, '-');
		}
		sanitize(&b, mount);
		if (b.len > 0 && b.data[b.len - 1] != '-')
			buf_addc(&b, '-');
		hash8(id, idlen, hash);
		buf_addstr(&b, hash);
		return with_prefix(buf_detach(&b));
	}
	raw = opt.strip_mount ? xstrdup(path) :
	    xasprintf("%s/%s", mount, path);
	if (ns != NULL) {
		body = raw;
		raw = xasprintf("%s/%s", ns, body);
		free(body);
	}
	free(folded);
	sanitize(&b, raw);
	free(raw);
	body = buf_detach(&b);
	return with_prefix(body);
}

/*
 * A string field: 1 with *out set, 0 when absent, -1 and *why when it is
 * not a string or holds a NUL character.
 */
static int
get_str(jv rec, const char *field, const char **out, char **why)
{
	jv v;
	int rc = 1;

	v = jv_object_get(jv_copy(rec), jv_string(field));
	if (jv_get_kind(v) == JV_KIND_INVALID)
		rc = 0;
	else if (jv_get_kind(v) != JV_KIND_STRING) {
		*why = xasprintf("%s is %s, not a string", field,
		    jv_kind_name(jv_get_kind(v)));
		rc = -1;
	} else if ((size_t)jv_string_length_bytes(jv_copy(v)) !=
	    strlen(jv_string_value(v))) {
		*why = xasprintf("%s holds a NUL character", field);
		rc = -1;
	}
	jv_free(v);
	/* The record keeps its own reference: the string outlives v. */
	*out = rc == 1 ? rec_str(rec, field) : NULL;
	return rc;
}

/* A string field that must be there and not empty; NULL and *why if not. */
static const char *
need_str(jv rec, const char *field, char **why)
{
	const char *s;
	int rc;

	if ((rc = get_str(rec, field, &s, why)) == 0)
		*why = xasprintf("no %s field", field);
	if (rc != 1)
		return NULL;
	if (*s == '\0') {
		*why = xasprintf("%s is empty", field);
		return NULL;
	}
	return s;
}

/*
 * Whose a name is: "mount/path", then NUL 'k' and the key for one key of
 * a split secret (the key given, else the record's key field), then NUL
 * 'n' and the namespace when the record has one, so that the same path in
 * two namespaces is two secrets.  -1 and *why if a field is bad.
 */
static int
identity(struct buf *b, jv rec, const char *mount, const char *path,
    const char *key, char **why)
{
	const char *ns;

	buf_printf(b, "%s/%s", mount, path);
	if (key == NULL && get_str(rec, "key", &key, why) == -1)
		return -1;
	if (key != NULL) {
		buf_add(b, "\0k", 2);
		buf_addstr(b, key);
	}
	if (get_str(rec, "namespace", &ns, why) == -1)
		return -1;
	if (ns != NULL && *ns != '\0') {
		buf_add(b, "\0n", 2);
		buf_addstr(b, ns);
	}
	return 0;
}

/*
 * After a write error nothing more is written (rec_emit) and the loop
 * stops reading: msg_finish reports it.
 */
static void
emit(jv rec)
{
	int failed = rec_fate(rec);

	if (rec_emit(rec) == -1)
		return;
	nout++;
	if (failed)
		nfailed++;
	if (failed == REC_FAILED_UPSTREAM)
		nupstream++;
}

/* One key of a split secret, as its own record. */
static jv
split_one(jv rec, jv data, jv key, const char *mount, const char *path,
    const char *base)
{
	struct buf id, full;
	const char *k = jv_string_value(key);
	char *label, *q, *f, *why = NULL, hash[HASH_LEN + 1];
	jv one;

	one = jv_object_set(jv_object(), jv_copy(key),
	    jv_object_get(jv_copy(data), jv_copy(key)));
	rec = jv_object_set(rec, jv_string("data"), one);
	rec = jv_object_set(rec, jv_string("key"), jv_copy(key));
	buf_init(&id);
	identity(&id, rec, mount, path, k, &why);
	buf_init(&full);
	buf_addstr(&full, base);
	buf_addc(&full, '-');
	sanitize(&full, k);
	/* As for paths: fold a key with no ASCII letter or digit. */
	if (full.len == strlen(base) + 1) {
		f = fold(k);
		sanitize(&full, f);
		free(f);
	}
	if (full.len == strlen(base) + 1 && opt.suffix) {
		hash8(id.data, id.len, hash);
		buf_addstr(&full, hash);
	}
	if ((size_t)jv_string_length_bytes(jv_copy(key)) != strlen(k)) {
		label = id_label(id.data, id.len, 0);
		rec = fail(rec, label, xstrdup("key holds a NUL character"));
		free(label);
	} else if (full.len == strlen(base) + 1) {
		label = id_label(id.data, id.len, 0);
		q = quoted(k);
		rec = fail(rec, label, xasprintf("key %s has no letter or "
		    "digit to make a name of", q));
		free(q);
		free(label);
	} else
		rec = assign(rec, id.data, id.len, HOW_RULE, full.data);
	buf_release(&full);
	buf_release(&id);
	free(why);
	return rec;
}

static void
name_record(jv rec, size_t lineno)
{
	struct buf id;
	const char *mount, *path, *own = NULL;
	char *why = NULL, *label, *base = NULL, *q;
	struct ent *pin;
	enum how how = HOW_RULE;
	jv data, keys, v;
	int i, n;

	nin++;
	if (rec_failed(rec)) {
		emit(rec);
		return;
	}
	buf_init(&id);
	if ((mount = need_str(rec, "mount", &why)) == NULL ||
	    (path = need_str(rec, "path", &why)) == NULL ||
	    identity(&id, rec, mount, path, NULL, &why) == -1) {
		label = rec_label(rec, lineno);
		emit(fail(rec, label, why));
		free(label);
		buf_release(&id);
		return;
	}
	v = jv_object_get(jv_copy(rec), jv_string("name"));
	if (jv_get_kind(v) != JV_KIND_INVALID && !opt.force &&
	    opt.expr == NULL) {
		if (jv_get_kind(v) != JV_KIND_STRING)
			why = xasprintf("name is %s, not a string",
			    jv_kind_name(jv_get_kind(v)));
		else
			own = rec_str(rec, "name");
	}
	jv_free(v);
	if (own != NULL && !kv_name_valid(own)) {
		q = quoted(own);
		why = xasprintf("name %s is not a valid Key Vault name", q);
		free(q);
	} else if (own != NULL) {
		how = HOW_KEEP;
		base = xstrdup(own);
	} else if (why == NULL &&
	    (pin = cimap_getn(pins, id.data, id.len)) != NULL) {
		how = HOW_PIN;
		base = xstrdup(ent_name(pin));
	} else if (why == NULL) {
		how = HOW_RULE;
		base = rule_name(rec, mount, path, id.data, id.len, &why);
	}
	if (base == NULL) {
		label = id_label(id.data, id.len, 0);
		emit(fail(rec, label, why));
		free(label);
		buf_release(&id);
		return;
	}
	data = jv_object_get(jv_copy(rec), jv_string("data"));
	if (opt.split && jv_get_kind(data) == JV_KIND_OBJECT &&
	    jv_object_length(jv_copy(data)) > 1) {
		/* Sorted keys: the same secret splits the same way. */
		keys = jv_keys(jv_copy(data));
		n = jv_array_length(jv_copy(keys));
		for (i = 0; i < n; i++) {
			v = jv_array_get(jv_copy(keys), i);
			emit(split_one(jv_copy(rec), data, v, mount, path,
			    base));
			jv_free(v);
		}
		jv_free(keys);
		jv_free(data);
		/* Every copy is gone: the values can be wiped now. */
		jv_wipe_free(rec);
	} else {
		jv_free(data);
		emit(assign(rec, id.data, id.len, how, base));
	}
	free(base);
	buf_release(&id);
}

/* Pin every name of an earlier mapping; an inconsistent one is fatal. */
static void
load_map(const char *file)
{
	struct rec_reader rd;
	struct buf id;
	struct ent *e;
	const char *mount, *path, *name;
	char *why = NULL, *l1, *l2;
	FILE *fp;
	jv rec;
	int rc;

	if ((fp = fopen(file, "r")) == NULL)
		msg_fatal("%s: %s", file, strerror(errno));
	rec_reader_init(&rd, fp);
	while ((rc = rec_next(&rd, &rec)) != 0) {
		if (rc == -2)
			msg_fatal("%s: %s", file, strerror(errno));
		if (rc == -1)
			msg_fatal("%s:%zu: %s", file, rd.lineno, rd.err);
		if (rec_failed(rec)) {
			jv_wipe_free(rec);
			continue;
		}
		buf_init(&id);
		if ((mount = need_str(rec, "mount", &why)) == NULL ||
		    (path = need_str(rec, "path", &why)) == NULL ||
		    (name = need_str(rec, "name", &why)) == NULL ||
		    identity(&id, rec, mount, path, NULL, &why) == -1)
			msg_fatal("%s:%zu: %s", file, rd.lineno, why);
		if (!kv_name_valid(name)) {
			l1 = quoted(name);
			msg_fatal("%s:%zu: name %s is not a valid Key Vault "
			    "name", file, rd.lineno, l1);
		}
		l1 = id_label(id.data, id.len, 0);
		if ((e = cimap_getn(pins, id.data, id.len)) != NULL) {
			if (strcasecmp(ent_name(e), name) != 0)
				msg_fatal("%s:%zu: %s is named %s here and "
				    "%s on line %u", file, rd.lineno, l1, name,
				    ent_name(e), (unsigned)e->lineno);
		} else if ((e = cimap_get(names, name)) != NULL) {
			l2 = id_label(ent_id(e), e->idlen, 0);
			msg_fatal("%s:%zu: name %s of %s is also the name "
			    "of %s on line %u", file, rd.lineno, name, l1, l2,
			    (unsigned)e->lineno);
		} else {
			e = ent_new(name, id.data, id.len, rd.lineno);
			cimap_put(names, name, e);
			cimap_putn(pins, id.data, id.len, e);
		}
		free(l1);
		buf_release(&id);
		jv_wipe_free(rec);
	}
	rec_reader_release(&rd);
	fclose(fp);
}

static void
jq_msg(void *arg, jv msg)
{
	char **first = arg;
	char *s, *nl;
	size_t n;

	s = jq_text(msg);
	if (*first != NULL || strncmp(s, "jq: error: ", 11) != 0) {
		free(s);
		return;
	}
	/* "jq: error: WHAT at <top-level>, line 1:\nPROGRAM": keep WHAT. */
	memmove(s, s + 11, strlen(s + 11) + 1);
	if ((nl = strchr(s, '\n')) != NULL)
		*nl = '\0';
	n = strlen(s);
	if (n > 0 && s[n - 1] == ':')
		s[n - 1] = '\0';
	*first = s;
}

/*
 * Compile -e behind expr_prelude, with no module search path, and with
 * HOME unset meanwhile: libjq reads ~/.jq into every program it
 * compiles (jq-1.6 src/builtin.c slurp_lib).
 */
static void
expr_compile(const char *expr)
{
	char *text, *home, *jqerr = NULL;
	const char *h;
	int ok;

	if ((jq = jq_init()) == NULL)
		msg_fatal("cannot start jq");
	jq_set_error_cb(jq, jq_msg, &jqerr);
	jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), jv_array());
	text = xasprintf("%s%s", expr_prelude, expr);
	home = (h = getenv("HOME")) != NULL ? xstrdup(h) : NULL;
	if (home != NULL && unsetenv("HOME") == -1)
		msg_fatal("cannot unset HOME: %s", strerror(errno));
	ok = jq_compile(jq, text);
	if (home != NULL && setenv("HOME", home, 1) == -1)
		msg_fatal("cannot set HOME: %s", strerror(errno));
	free(home);
	free(text);
	if (!ok && jqerr != NULL &&
	    (strstr(jqerr, "unexpected import") != NULL ||
	    strstr(jqerr, "unexpected include") != NULL ||
	    strstr(jqerr, "unexpected module") != NULL))
		msg_usage_error("-e: import, include and module are not "
		    "available: -e sees only the record");
	if (!ok)
		msg_usage_error("-e: %s", jqerr ? jqerr :
		    "cannot compile the expression");
	free(jqerr);
}

static void
check_prefix(const char *p)
{
	size_t i, n = strlen(p);

	/* Letters and digits with single '-' between; one may end it. */
	for (i = 0; i < n; i++)
		if (!is_namech((unsigned char)p[i]) ||
		    (p[i] == '-' && (i == 0 || p[i - 1] == '-')))
			break;
	if (n == 0 || i < n || n > KV_NAME_MAX)
		msg_usage_error("--prefix: %s is not a valid name part: "
		    "letters, digits and single '-' between them", p);
}

static void
check_vault(const char *v)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if (!is_namech((unsigned char)v[i]) ||
		    (v[i] == '-' && (i == 0 || v[i - 1] == '-')))
			break;
	if (n < VAULT_MIN_LEN || n > VAULT_MAX_LEN || i < n ||
	    !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')) ||
	    v[n - 1] == '-')
		msg_usage_error("--reference: %s is not a Key Vault name", v);
}

int
main(int argc, char *argv[])
{
	struct rec_reader rd;
	long failed, upstream;
	jv rec;
	int ch, rc;

	msg_init("kv-name");
	msg_help_text(synopsis, options);
	msg_quiet_epipe();	/* read-only: | head ends it quietly */
	while ((ch = getopt_long(argc, argv, "e:fhm:p:qv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			opt.expr = optarg;
			break;
		case 'f':
			opt.force = 1;
			break;
		case 'm':
			opt.mapfile = optarg;
			break;
		case 'p':
			opt.prefix = optarg;
			break;
		case OPT_REFERENCE:
			opt.vault = optarg;
			break;
		case OPT_SPLIT:
			opt.split = 1;
			break;
		case 'v':
			if (msg_verbosity < 2)
				msg_verbosity++;
			break;
		case OPT_COLLISION:
			if (strcmp(optarg, "error") == 0)
				opt.suffix = 0;
			else if (strcmp(optarg, "suffix") == 0)
				opt.suffix = 1;
			else
				msg_usage_error("--on-collision: %s is not "
				    "error or suffix", optarg);
			break;
		case OPT_NS_PREFIX:
			opt.ns_prefix = 1;
			break;
		case OPT_STRIP_MOUNT:
			opt.strip_mount = 1;
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		msg_usage();
	if (opt.prefix != NULL)
		check_prefix(opt.prefix);
	if (opt.vault != NULL)
		check_vault(opt.vault);
	if (opt.strip_mount && opt.expr != NULL)
		msg_usage_error("--strip-mount has no effect with -e");
	if (opt.ns_prefix && opt.expr != NULL)
		msg_usage_error("--namespace-prefix has no effect with -e "
		    "(which sees .namespace)");

	if (opt.expr != NULL)
		expr_compile(opt.expr);
	names = cimap_new(0);
	pins = cimap_new(CIMAP_EXACT);
	if (opt.mapfile != NULL)
		load_map(opt.mapfile);

	rec_reader_init(&rd, stdin);
	while (msg_output_errno() == 0 && (rc = rec_next(&rd, &rec)) != 0) {
		if (rc == -2)
			msg_fatal("cannot read input: %s", strerror(errno));
		failed = nfailed;
		upstream = nupstream;
		if (rc == -1) {
			msg_warn(NULL, "line %zu: %s", rd.lineno, rd.err);
			nin++;
			emit(rec);
		} else
			name_record(rec, rd.lineno);
		msg_progress_add(nupstream > upstream ? REC_FAILED_UPSTREAM :
		    nfailed > failed ? REC_FAILED_HERE : REC_OK);
	}
	rec_reader_release(&rd);
	cimap_free(pins);
	cimap_free(names);
	if (jq != NULL)
		jq_teardown(&jq);
	return msg_finish(nfailed > 0 ? EXIT_PARTIAL : EXIT_OK,
	    "%ld record%s in, %ld out, %s", nin, nin == 1 ? "" : "s",
	    nout, msg_failed_text(nfailed));
}
