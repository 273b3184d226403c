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
	OPT_VAULT_MAP,
	OPT_VERSION
};

/*
 * A rule of --vault-map: records of namespace ns (NULL: any; "" the
 * root), mount mount (NULL: any) and whose "mount/path" is prefix or
 * below it (NULL: any) go to vault (canonical).
 */
struct rule {
	char	*ns;
	char	*mount;
	char	*prefix;
	char	*vault;
	size_t	 lineno;
};

/*
 * Whose a name taken in this run or pinned by --map is (the identity,
 * see identity()), and a pinned name as the map spells it.  Names and
 * paths only: never a value.  Pinned entries live in the blocks of the
 * pins map (cimap_alloc); the names set keeps the line and the identity
 * of each name in its file (names_put), and a name found there comes
 * back as an entry of its own (names_get).
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
	const char	*vaultmap;
} opt;

static struct rule *rules;
static size_t nrules;
/* The key of the vault of records without one (KEY_VAULT_NAME), or "". */
static char *dflt_vkey;

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

/*
 * name: whose, without regard to case.  A run may name 100,000 secrets
 * and more: the set keeps 8 bytes a name in memory (#17: peak RSS under
 * 16 MiB at N = 100,000), the names and whose they are in a file.
 */
static struct nameset *names;
static struct cimap *pins;		/* identity: pinned entry (exact) */
static jq_state *jq;
static long nin, nout, nfailed, nupstream;

static const struct option longopts[] = {
	{ "expr",		required_argument, NULL, 'e' },
	{ "force-rename",	no_argument,	   NULL, 'f' },
	{ "map",		required_argument, NULL, 'm' },
	{ "namespace-prefix",	no_argument,	   NULL, OPT_NS_PREFIX },
	{ "on-collision",	required_argument, NULL, OPT_COLLISION },
	{ "prefix",		required_argument, NULL, 'p' },
	{ "reference",		required_argument, NULL, OPT_REFERENCE },
	{ "split",		no_argument,	   NULL, OPT_SPLIT },
	{ "strip-mount",	no_argument,	   NULL, OPT_STRIP_MOUNT },
	{ "vault-map",		required_argument, NULL, OPT_VAULT_MAP },
	MSG_LONGOPTS(OPT_VERSION)
};

static const char synopsis[] =
    "usage: kv-name [-fhqv] [-e expr] [-m file] [--namespace-prefix]\n"
    "               [--on-collision error|suffix] [-p prefix] "
    "[--reference vault]\n"
    "               [--split] [--strip-mount] [--vault-map file]\n";
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
	"      --vault-map FILE             rules: which records go to which vault\n"
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

/*
 * An entry for id; name is the pinned name, or NULL.  In the blocks of
 * the pins map when pinned, else malloc'd.
 */
static struct ent *
ent_new(const char *name, const char *id, size_t idlen, size_t lineno)
{
	struct ent *e;
	size_t n = name != NULL ? strlen(name) + 1 : 0;

	if (name != NULL)
		e = cimap_alloc(pins, sizeof(*e) + idlen + 1 + n);
	else
		e = xmalloc(sizeof(*e) + idlen + 1);
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

/*
 * A name's key in the names map: a name need only be unique within its
 * vault (vk, a kv_vault_key, "" for none), which comes first (a space
 * is in neither).  malloc'd.
 */
static char *
name_key(const char *vk, const char *name)
{
	return xasprintf("%s %s", vk, name);
}

/* The pins' key: the identity, then NUL 'v' and the vault's key. */
static void
pin_key(struct buf *b, const char *id, size_t idlen, const char *vk)
{
	buf_add(b, id, idlen);
	buf_add(b, "\0v", 2);
	buf_addstr(b, vk);
}

/* Give the name of key (name_key) to id, of --map line lineno or 0. */
static void
names_put(const char *key, const char *id, size_t idlen, size_t lineno)
{
	struct buf v;
	uint32_t l = (uint32_t)lineno;

	buf_init(&v);
	buf_add(&v, &l, sizeof(l));
	buf_add(&v, id, idlen);
	nameset_put(names, key, v.data, v.len);
	buf_release(&v);
}

/* Who holds the name of key (name_key), malloc'd, or NULL. */
static struct ent *
names_get(const char *key)
{
	struct buf v;
	struct ent *e = NULL;
	uint32_t l;

	buf_init(&v);
	if (nameset_get(names, key, &v)) {
		memcpy(&l, v.data, sizeof(l));
		e = ent_new(NULL, v.data + sizeof(l), v.len - sizeof(l), l);
	}
	buf_release(&v);
	return e;
}

static struct ent *
pin_get(const char *id, size_t idlen, const char *vk)
{
	struct buf b;
	struct ent *e;

	buf_init(&b);
	pin_key(&b, id, idlen, vk);
	e = cimap_getn(pins, b.data, b.len);
	buf_release(&b);
	return e;
}

/*
 * Take name in vault vk for id: NULL when done, else whoever holds it
 * already (malloc'd).
 */
static struct ent *
take(const char *vk, const char *name, const char *id, size_t idlen)
{
	struct ent *e;
	char *k = name_key(vk, name);

	if ((e = names_get(k)) != NULL) {
		free(k);
		if (!same_id(e, id, idlen))
			return e;
		free(e);
		return NULL;
	}
	names_put(k, id, idlen, 0);
	free(k);
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
set_name(jv rec, const char *vk, const char *name)
{
	const char *v = opt.vault;

	rec = jv_object_set(rec, jv_string("name"), jv_string(name));
	/* The record's own vault, when it goes by a name. */
	if (v != NULL && *vk != '\0' && strstr(vk, "://") == NULL &&
	    rec_str(rec, "vault") != NULL)
		v = vk;
	if (v != NULL)
		rec = jv_object_set(rec, jv_string("reference"),
		    jv_string_fmt("@Microsoft.KeyVault(VaultName=%s;"
		    "SecretName=%s)", v, name));
	return rec;
}

/*
 * Give rec (whose identity is id) its name: how says where it comes from,
 * name is the record's own name (HOW_KEEP), or the full name the rule or
 * -e gave (HOW_RULE, maybe too long).  Returns the record named, or an
 * error record.
 */
static jv
assign(jv rec, const char *vk, const char *id, size_t idlen, enum how how,
    const char *name)
{
	struct ent *pin, *e, *e2;
	char *label, *cand = NULL, *alt = NULL, *who, *who2;

	label = id_label(id, idlen, 0);
	pin = pin_get(id, idlen, vk);
	if (how == HOW_KEEP) {
		if (pin != NULL && strcasecmp(ent_name(pin), name) != 0) {
			rec = fail(rec, label, xasprintf("name %s differs "
			    "from %s, pinned by %s line %u", name,
			    ent_name(pin), opt.mapfile,
			    (unsigned)pin->lineno));
			goto out;
		}
		if ((e = take(vk, name, id, idlen)) != NULL) {
			who = ent_label(e);
			free(e);
			rec = fail(rec, label, xasprintf("name %s already "
			    "taken by %s", name, who));
			free(who);
			goto out;
		}
		rec = set_name(rec, vk, name);
		goto out;
	}
	if (pin != NULL) {
		rec = set_name(rec, vk, ent_name(pin));
		goto out;
	}
	cand = fit(name);
	if (strlen(name) > KV_NAME_MAX)
		msg_info(label, "name shortened to %s", cand);
	if ((e = take(vk, cand, id, idlen)) == NULL) {
		rec = set_name(rec, vk, cand);
		goto out;
	}
	who = ent_label(e);
	free(e);
	if (!opt.suffix) {
		rec = fail(rec, label, xasprintf("name %s already taken by %s",
		    cand, who));
		free(who);
		goto out;
	}
	alt = suffixed(name, id, idlen);
	if ((e2 = take(vk, alt, id, idlen)) != NULL) {
		who2 = ent_label(e2);
		free(e2);
		rec = fail(rec, label, xasprintf("name %s already taken by "
		    "%s, and name %s by %s", cand, who, alt, who2));
		free(who2);
	} else {
		msg_info(label, "name %s already taken by %s: named %s", cand,
		    who, alt);
		rec = set_name(rec, vk, alt);
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

/* A name -e gave (r, consumed): malloc'd, or NULL and *why. */
static char *
expr_name(jv r, char **why)
{
	char *name, *q;
	size_t n;

	if (jv_get_kind(r) != JV_KIND_STRING) {
		*why = xasprintf("-e: name is %s, not a string",
		    jv_kind_name(jv_get_kind(r)));
		jv_free(r);
		return NULL;
	}
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

/*
 * Run -e over the record without its data, so the expression never sees
 * a secret value.  Its result is the name, or an object with a "name"
 * and a "vault" (either may be left out: the default rule names, the
 * vault is chosen as without -e).  0 with *name and *vault (malloc'd or
 * NULL), or -1 and *why.
 */
static int
eval_expr(jv rec, char **name, char **vault, char **why)
{
	jv in, r, r2, v, keys, k;
	char *q;
	int i, n;

	*name = *vault = NULL;
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
		return -1;
	}
	if (jv_get_kind(r) != JV_KIND_STRING &&
	    jv_get_kind(r) != JV_KIND_OBJECT) {
		*why = xasprintf("-e: result is %s, not a string or an object",
		    jv_kind_name(jv_get_kind(r)));
		jv_free(r);
		return -1;
	}
	r2 = jq_next(jq);
	if (jv_is_valid(r2)) {
		*why = xstrdup("-e: more than one result");
		jv_free(r2);
		jv_free(r);
		return -1;
	}
	if (jv_invalid_has_msg(jv_copy(r2))) {
		q = jq_text(jv_invalid_get_msg(r2));
		*why = xasprintf("-e: %s", q);
		free(q);
		jv_free(r);
		return -1;
	}
	jv_free(r2);
	if (jv_get_kind(r) == JV_KIND_STRING)
		return (*name = expr_name(r, why)) != NULL ? 0 : -1;
	keys = jv_keys(jv_copy(r));
	n = jv_array_length(jv_copy(keys));
	for (i = 0; i < n; i++) {
		k = jv_array_get(jv_copy(keys), i);
		if (strcmp(jv_string_value(k), "name") != 0 &&
		    strcmp(jv_string_value(k), "vault") != 0) {
			q = dumped(k);
			*why = xasprintf("-e: result has %s: an object holds "
			    "only name and vault", q);
			free(q);
			jv_free(k);
			jv_free(keys);
			jv_free(r);
			return -1;
		}
		jv_free(k);
	}
	jv_free(keys);
	v = jv_object_get(jv_copy(r), jv_string("vault"));
	if (jv_get_kind(v) == JV_KIND_STRING)
		*vault = xstrdup(jv_string_value(v));
	else if (jv_get_kind(v) != JV_KIND_INVALID &&
	    jv_get_kind(v) != JV_KIND_NULL) {
		*why = xasprintf("-e: vault is %s, not a string",
		    jv_kind_name(jv_get_kind(v)));
		jv_free(v);
		jv_free(r);
		return -1;
	}
	jv_free(v);
	v = jv_object_get(r, jv_string("name"));
	if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) ==
	    JV_KIND_NULL) {
		jv_free(v);
		return 0;
	}
	if ((*name = expr_name(v, why)) == NULL) {
		free(*vault);
		*vault = NULL;
		return -1;
	}
	return 0;
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
    size_t idlen, char *ename /* freed */, char **why)
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

	if (ename != NULL)
		return with_prefix(ename);
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
 * A whole record's mount and path (strings, borrowed from rec) and its
 * identity in id; -1 and *why when one of its fields is bad.
 */
static int
record_identity(struct buf *id, jv rec, const char **mount,
    const char **path, char **why)
{
	if ((*mount = need_str(rec, "mount", why)) == NULL ||
	    (*path = need_str(rec, "path", why)) == NULL)
		return -1;
	return identity(id, rec, *mount, *path, NULL, why);
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
    const char *vk, const char *base)
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
		rec = assign(rec, vk, id.data, id.len, HOW_RULE, full.data);
	buf_release(&full);
	buf_release(&id);
	free(why);
	return rec;
}

/*
 * Which of two rules is the more specific: > 0 when a is.  The longer
 * prefix, then one that names the mount, then one that names the
 * namespace.
 */
static int
rule_cmp(const struct rule *a, const struct rule *b)
{
	size_t la = a->prefix != NULL ? strlen(a->prefix) : 0;
	size_t lb = b->prefix != NULL ? strlen(b->prefix) : 0;

	if (la != lb)
		return la > lb ? 1 : -1;
	if ((a->mount != NULL) != (b->mount != NULL))
		return a->mount != NULL ? 1 : -1;
	if ((a->ns != NULL) != (b->ns != NULL))
		return a->ns != NULL ? 1 : -1;
	return 0;
}

/* Is full ("mount/path") prefix, or below it by whole segments? */
static int
under(const char *full, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(full, prefix, n) == 0 &&
	    (full[n] == '\0' || full[n] == '/');
}

/*
 * The --vault-map rule for a record, or NULL: of those that match, the
 * longest prefix; among equal prefixes one naming the mount, then one
 * naming the namespace.  No two rules tie (load_rules refuses them).
 */
static const struct rule *
match_rule(const char *ns, const char *mount, const char *path)
{
	const struct rule *r, *best = NULL;
	char *full;
	size_t i;

	full = xasprintf("%s/%s", mount, path);
	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		if ((r->ns != NULL && strcmp(r->ns, ns) != 0) ||
		    (r->mount != NULL && strcmp(r->mount, mount) != 0) ||
		    (r->prefix != NULL && !under(full, r->prefix)))
			continue;
		if (best == NULL || rule_cmp(r, best) > 0)
			best = r;
	}
	free(full);
	return best;
}

/*
 * The record's vault: what -e gave (evault), else its own "vault" field,
 * else the --vault-map rule's; the record then carries it in canonical
 * form (kv_vault_canon).  The vault's key (kv_vault_key; dflt_vkey for a
 * record with none), malloc'd; or NULL and *why.
 */
static char *
record_vault(jv *rec, const char *evault, const char *mount,
    const char *path, char **why)
{
	const struct rule *r;
	const char *v = evault, *ns;
	char *canon, *vk;
	int rc, isnull;
	jv k;

	/* null is no vault, as for kv-put. */
	k = jv_object_get(jv_copy(*rec), jv_string("vault"));
	isnull = jv_get_kind(k) == JV_KIND_NULL;
	jv_free(k);
	if (v == NULL && !isnull &&
	    (rc = get_str(*rec, "vault", &v, why)) == -1)
		return NULL;
	if (v == NULL && nrules > 0) {
		if (get_str(*rec, "namespace", &ns, why) != 1)
			ns = "";
		if ((r = match_rule(ns, mount, path)) != NULL)
			v = r->vault;
	}
	if (v == NULL)
		return xstrdup(dflt_vkey);
	if ((canon = kv_vault_field(v, why)) == NULL)
		return NULL;
	vk = kv_vault_key(canon);
	*rec = jv_object_set(*rec, jv_string("vault"), jv_string(canon));
	free(canon);
	return vk;
}

static void
name_record(jv rec, size_t lineno)
{
	struct buf id;
	const char *mount, *path, *own = NULL;
	char *why = NULL, *label, *base = NULL, *q, *vk = NULL;
	char *ename = NULL, *evault = NULL, *ewhy = NULL;
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
	if (record_identity(&id, rec, &mount, &path, &why) == -1) {
		label = rec_label(rec, lineno);
		emit(fail(rec, label, why));
		free(label);
		buf_release(&id);
		return;
	}
	/*
	 * -e first: it may choose the vault, which the pins depend on.  A
	 * name pinned in the vault chosen without it needs no -e, which
	 * may then fail.
	 */
	if (opt.expr != NULL &&
	    eval_expr(rec, &ename, &evault, &ewhy) == -1 &&
	    (vk = record_vault(&rec, NULL, mount, path, &why)) != NULL &&
	    pin_get(id.data, id.len, vk) == NULL) {
		free(vk);
		vk = NULL;
		why = ewhy;
		ewhy = NULL;
	}
	free(ewhy);
	if (vk == NULL && why == NULL)
		vk = record_vault(&rec, evault, mount, path, &why);
	if (vk == NULL) {
		label = id_label(id.data, id.len, 0);
		emit(fail(rec, label, why));
		free(label);
		free(ename);
		free(evault);
		buf_release(&id);
		return;
	}
	free(evault);
	/* record_vault changed rec: the strings are borrowed anew. */
	mount = rec_str(rec, "mount");
	path = rec_str(rec, "path");
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
	    (pin = pin_get(id.data, id.len, vk)) != NULL) {
		how = HOW_PIN;
		base = xstrdup(ent_name(pin));
	} else if (why == NULL) {
		how = HOW_RULE;
		base = rule_name(rec, mount, path, id.data, id.len, ename,
		    &why);
		ename = NULL;
	}
	free(ename);
	if (base == NULL) {
		label = id_label(id.data, id.len, 0);
		emit(fail(rec, label, why));
		free(label);
		free(vk);
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
			emit(split_one(jv_copy(rec), data, v, mount, path, vk,
			    base));
			jv_free(v);
		}
		jv_free(keys);
		jv_free(data);
		/* Every copy is gone: the values can be wiped now. */
		jv_wipe_free(rec);
	} else {
		jv_free(data);
		emit(assign(rec, vk, id.data, id.len, how, base));
	}
	free(base);
	free(vk);
	buf_release(&id);
}

/* Both NULL, or the same string. */
static int
same_opt(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/*
 * A string field of a rule, copied, or NULL when absent; fatal when it
 * is not a string, or (a path) is empty or has a '/' at an end.
 */
static char *
rule_str(jv rec, const char *field, int path, const char *file,
    size_t lineno)
{
	const char *s;
	char *why = NULL;
	size_t n;
	int rc;

	if ((rc = get_str(rec, field, &s, &why)) == -1)
		msg_fatal("%s:%zu: %s", file, lineno, why);
	if (rc == 0)
		return NULL;
	n = strlen(s);
	if (path && n == 0)
		msg_fatal("%s:%zu: %s is empty", file, lineno, field);
	if (n > 0 && (s[0] == '/' || s[n - 1] == '/'))
		msg_fatal("%s:%zu: %s \"%s\" starts or ends with '/'", file,
		    lineno, field, s);
	return xstrdup(s);
}

/* The records of file (--vault-map, --map): any bad line is fatal. */
static FILE *
file_open(const char *file, struct rec_reader *rd)
{
	FILE *fp;

	if ((fp = fopen(file, "r")) == NULL)
		msg_fatal("%s: %s", file, strerror(errno));
	rec_reader_init(rd, fp);
	return fp;
}

/* The next record of file: 1, or 0 at its end. */
static int
file_next(struct rec_reader *rd, const char *file, jv *rec)
{
	int rc;

	if ((rc = rec_next(rd, rec)) == -2)
		msg_fatal("%s: %s", file, strerror(errno));
	if (rc == -1)
		msg_fatal("%s:%zu: %s", file, rd->lineno, rd->err);
	return rc;
}

/*
 * Read --vault-map: one JSON object a line, {"namespace", "mount",
 * "prefix", "vault"}, each but vault optional.  Any bad line is fatal,
 * named by its number: another field, a bad vault, a prefix outside
 * the rule's mount, or a second rule for the same records.
 */
static void
load_rules(const char *file)
{
	struct rec_reader rd;
	struct rule r, *o;
	const char *k;
	char *why = NULL, *m;
	jv rec, keys, kv;
	FILE *fp;
	size_t i;
	int j, n;

	fp = file_open(file, &rd);
	while (file_next(&rd, file, &rec) != 0) {
		keys = jv_keys(jv_copy(rec));
		n = jv_array_length(jv_copy(keys));
		for (j = 0; j < n; j++) {
			kv = jv_array_get(jv_copy(keys), j);
			k = jv_string_value(kv);
			if (strcmp(k, "namespace") != 0 &&
			    strcmp(k, "mount") != 0 &&
			    strcmp(k, "prefix") != 0 &&
			    strcmp(k, "vault") != 0)
				msg_fatal("%s:%zu: unknown field \"%s\" (a rule "
				    "has namespace, mount, prefix and vault)",
				    file, rd.lineno, k);
			jv_free(kv);
		}
		jv_free(keys);
		memset(&r, 0, sizeof(r));
		r.lineno = rd.lineno;
		r.ns = rule_str(rec, "namespace", 0, file, rd.lineno);
		r.mount = rule_str(rec, "mount", 1, file, rd.lineno);
		r.prefix = rule_str(rec, "prefix", 1, file, rd.lineno);
		if ((m = rule_str(rec, "vault", 0, file, rd.lineno)) == NULL)
			msg_fatal("%s:%zu: no vault", file, rd.lineno);
		if ((r.vault = kv_vault_canon(m, &why)) == NULL)
			msg_fatal("%s:%zu: vault %s", file, rd.lineno, why);
		free(m);
		if (r.mount != NULL && r.prefix != NULL &&
		    !under(r.prefix, r.mount))
			msg_fatal("%s:%zu: prefix %s is not in mount %s: the "
			    "rule matches nothing", file, rd.lineno, r.prefix,
			    r.mount);
		for (i = 0; i < nrules; i++) {
			o = &rules[i];
			if (same_opt(o->ns, r.ns) &&
			    same_opt(o->mount, r.mount) &&
			    same_opt(o->prefix, r.prefix))
				msg_fatal("%s:%zu: the same records as line "
				    "%zu: which vault they go to would depend "
				    "on the order", file, rd.lineno,
				    o->lineno);
		}
		rules = xrealloc(rules, (nrules + 1) * sizeof(*rules));
		rules[nrules++] = r;
		jv_free(rec);
	}
	rec_reader_release(&rd);
	fclose(fp);
}

static void
free_rules(void)
{
	size_t i;

	for (i = 0; i < nrules; i++) {
		free(rules[i].ns);
		free(rules[i].mount);
		free(rules[i].prefix);
		free(rules[i].vault);
	}
	free(rules);
}

/* Pin every name of an earlier mapping; an inconsistent one is fatal. */
static void
load_map(const char *file)
{
	struct rec_reader rd;
	struct buf id, pk;
	struct ent *e;
	const char *mount, *path, *name, *v;
	char *why = NULL, *l1, *l2, *vk, *nk, *canon;
	FILE *fp;
	jv rec;

	fp = file_open(file, &rd);
	while (file_next(&rd, file, &rec) != 0) {
		if (rec_failed(rec)) {
			jv_wipe_free(rec);
			continue;
		}
		buf_init(&id);
		if (record_identity(&id, rec, &mount, &path, &why) == -1 ||
		    (name = need_str(rec, "name", &why)) == NULL)
			msg_fatal("%s:%zu: %s", file, rd.lineno, why);
		if (!kv_name_valid(name)) {
			l1 = quoted(name);
			msg_fatal("%s:%zu: name %s is not a valid Key Vault "
			    "name", file, rd.lineno, l1);
		}
		/* Pinned in the vault the line went to (kv-put says). */
		if (get_str(rec, "vault", &v, &why) == -1)
			msg_fatal("%s:%zu: %s", file, rd.lineno, why);
		if (v == NULL)
			vk = xstrdup(dflt_vkey);
		else if ((canon = kv_vault_canon(v, &why)) == NULL)
			msg_fatal("%s:%zu: vault %s", file, rd.lineno, why);
		else {
			vk = kv_vault_key(canon);
			free(canon);
		}
		buf_init(&pk);
		pin_key(&pk, id.data, id.len, vk);
		nk = name_key(vk, name);
		l1 = id_label(id.data, id.len, 0);
		if ((e = cimap_getn(pins, pk.data, pk.len)) != NULL) {
			if (strcasecmp(ent_name(e), name) != 0)
				msg_fatal("%s:%zu: %s is named %s here and "
				    "%s on line %u", file, rd.lineno, l1, name,
				    ent_name(e), (unsigned)e->lineno);
		} else if ((e = names_get(nk)) != NULL) {
			l2 = id_label(ent_id(e), e->idlen, 0);
			msg_fatal("%s:%zu: name %s of %s is also the name "
			    "of %s on line %u", file, rd.lineno, name, l1, l2,
			    (unsigned)e->lineno);
		} else {
			e = ent_new(name, id.data, id.len, rd.lineno);
			names_put(nk, id.data, id.len, rd.lineno);
			cimap_putn(pins, pk.data, pk.len, e);
		}
		free(l1);
		free(nk);
		free(vk);
		buf_release(&pk);
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

/*
 * The key of the vault that kv-put gives records without one
 * (KEY_VAULT_NAME, as it reads it), or "": names are unique per vault.
 */
static char *
default_vkey(void)
{
	const char *d = kv_target(NULL);
	char *canon, *err = NULL, *k;

	if (d == NULL || (canon = kv_vault_canon(d, &err)) == NULL) {
		free(err);
		return xstrdup("");
	}
	k = kv_vault_key(canon);
	free(canon);
	return k;
}

/* How long p's run of letters and digits with single '-' between is. */
static size_t
name_run(const char *p)
{
	size_t i;

	for (i = 0; p[i] != '\0'; i++)
		if (!is_namech((unsigned char)p[i]) ||
		    (p[i] == '-' && (i == 0 || p[i - 1] == '-')))
			break;
	return i;
}

static void
check_prefix(const char *p)
{
	size_t n = strlen(p), i = name_run(p);

	/* One '-' may end it. */
	if (n == 0 || i < n || n > KV_NAME_MAX)
		msg_usage_error("--prefix: %s is not a valid name part: "
		    "letters, digits and single '-' between them", p);
}

static void
check_vault(const char *v)
{
	size_t n = strlen(v), i = name_run(v);

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
		case OPT_VAULT_MAP:
			opt.vaultmap = optarg;
			break;
		default:
			msg_option(ch, OPT_VERSION);
		}
	}
	msg_no_operands(argc);
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
	names = nameset_new();
	pins = cimap_new(CIMAP_EXACT);
	dflt_vkey = default_vkey();
	if (opt.vaultmap != NULL)
		load_rules(opt.vaultmap);
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
	nameset_free(names);
	free_rules();
	free(dflt_vkey);
	if (jq != NULL)
		jq_teardown(&jq);
	return msg_finish(nfailed > 0 ? EXIT_PARTIAL : EXIT_OK,
	    "%ld record%s in, %ld out, %s", nin, PLURAL(nin),
	    nout, msg_failed_text(nfailed));
}
