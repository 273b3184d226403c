/* report.c: kv-check --report, the run as a document people can sign. */

/*
 * What a record came to, as the report counts it: the outcomes partition
 * the records, so that the counts add up to the records of the NDJSON
 * output.  Everything a record says is text from Vault paths, Key Vault
 * names and servers' messages, and is written escaped: control and
 * bidirectional characters made visible (a path must not reorder or hide
 * the text around it), then HTML's or Markdown's special characters
 * escaped.  No value is ever read from a record: only namespace, mount,
 * path, name, status, check and error.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "report.h"

enum {
	ST_OK,
	ST_DIFFERS,
	ST_ORPHAN,
	ST_CONFLICT,
	ST_FAILED_HERE,
	ST_FAILED_UPSTREAM,
	ST_COUNT
};
static const char *const st_name[ST_COUNT] = {
	"ok", "differs", "orphan", "conflict", "failed here",
	"failed upstream"
};
/* Stable ids and classes: tests and scripts read the page by them. */
static const char *const st_id[ST_COUNT] = {
	"ok", "differs", "orphan", "conflict", "failed-here",
	"failed-upstream"
};
static const char *const st_color[ST_COUNT] = {
	"#2e7d32", "#ef6c00", "#6a1b9a", "#ad1457", "#c62828", "#757575"
};

struct group {
	char	*ns;		/* "" for the root */
	char	*mount;		/* "" when the record has none */
	long	 n[ST_COUNT];
};

struct entry {
	int	 st;
	char	*ns;
	char	*where;		/* mount/path, else "line N" or "" */
	char	*name;
	char	*stage;		/* the tool that failed it, or "" */
	char	*reason;
};

struct report {
	char		*path;
	int		 html;
	struct cimap	*index;		/* "ns\0mount" -> struct group */
	struct group	**groups;
	size_t		 ngroups;
	struct entry	*ents;
	size_t		 nents, cap;
	long		 total[ST_COUNT];
	long		 records;
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

struct report *
report_new(const char *path, char **err)
{
	struct report *r;
	char *dir, *slash;
	int html;

	if (ends_with(path, ".html"))
		html = 1;
	else if (ends_with(path, ".md"))
		html = 0;
	else {
		*err = xasprintf("--report %s: the name must end in .md "
		    "(Markdown) or .html", path);
		return NULL;
	}
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) == -1) {
		*err = xasprintf("--report %s: %s: %s", path, dir,
		    strerror(errno));
		free(dir);
		return NULL;
	}
	free(dir);
	r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	r->html = html;
	r->index = cimap_new(CIMAP_EXACT);
	return r;
}

static char *
dupstr(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static struct group *
group_of(struct report *r, const char *ns, const char *mount)
{
	struct group *g;
	struct buf key;

	buf_init(&key);
	buf_addstr(&key, ns);
	buf_addc(&key, '\0');
	buf_addstr(&key, mount);
	if ((g = cimap_getn(r->index, key.data, key.len)) == NULL) {
		g = xcalloc(1, sizeof(*g));
		g->ns = xstrdup(ns);
		g->mount = xstrdup(mount);
		cimap_putn(r->index, key.data, key.len, g);
		r->groups = xrealloc(r->groups,
		    (r->ngroups + 1) * sizeof(*r->groups));
		r->groups[r->ngroups++] = g;
	}
	buf_release(&key);
	return g;
}

/* A JSON value as text for a reason: a string as it is, else its JSON. */
static void
add_text(struct buf *b, jv v /* consumed */)
{
	jv d;

	if (jv_get_kind(v) == JV_KIND_STRING)
		buf_addstr(b, jv_string_value(v));
	else if (jv_is_valid(v) && jv_get_kind(v) != JV_KIND_NULL) {
		d = jv_dump_string(jv_copy(v), 0);
		buf_addstr(b, jv_string_value(d));
		jv_free(d);
	}
	jv_free(v);
}

void
report_add(struct report *r, jv rec)
{
	struct entry *e;
	struct buf reason, where;
	const char *ns, *mount, *path, *s;
	jv chk, err, v, line;
	int st, i, n, orphan = 0;

	r->records++;
	ns = rec_str(rec, "namespace");
	mount = rec_str(rec, "mount");
	path = rec_str(rec, "path");
	buf_init(&reason);
	buf_addstr(&reason, "");
	chk = jv_object_get(jv_copy(rec), jv_string("check"));
	err = jv_object_get(jv_copy(rec), jv_string("error"));
	if (rec_failed(rec)) {
		st = rec_fate(rec) == REC_FAILED_HERE ? ST_FAILED_HERE :
		    ST_FAILED_UPSTREAM;
		if ((s = rec_str(rec, "status")) != NULL &&
		    strcmp(s, "conflict") == 0)
			st = ST_CONFLICT;
		/* Another program's error may be a bare string, or anything. */
		if (jv_get_kind(err) != JV_KIND_OBJECT)
			add_text(&reason, jv_copy(err));
		else {
			add_text(&reason, jv_object_get(jv_copy(err),
			    jv_string("message")));
			v = jv_object_get(jv_copy(err), jv_string("status"));
			if (jv_get_kind(v) == JV_KIND_NUMBER)
				buf_printf(&reason, " (HTTP %.0f)",
				    jv_number_value(v));
			jv_free(v);
		}
	} else if (jv_get_kind(chk) == JV_KIND_ARRAY) {
		n = jv_array_length(jv_copy(chk));
		for (i = 0; i < n; i++) {
			v = jv_array_get(jv_copy(chk), i);
			if (jv_get_kind(v) == JV_KIND_STRING &&
			    strcmp(jv_string_value(v), "orphan") == 0)
				orphan = 1;
			if (i > 0)
				buf_addstr(&reason, ", ");
			add_text(&reason, v);
		}
		st = orphan ? ST_ORPHAN : ST_DIFFERS;
		if (orphan)
			buf_addstr(&reason, ": migrated from this Vault, "
			    "named by no input record");
	} else
		st = ST_OK;
	r->total[st]++;
	group_of(r, ns != NULL ? ns : "", mount != NULL ? mount : "")->n[st]++;
	if (st != ST_OK) {
		if (r->nents == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->ents = xrealloc(r->ents, r->cap * sizeof(*r->ents));
		}
		e = &r->ents[r->nents++];
		e->st = st;
		e->ns = dupstr(ns);
		buf_init(&where);
		buf_addstr(&where, "");
		if (mount != NULL && path != NULL)
			buf_printf(&where, "%s/%s", mount, path);
		else if (path != NULL)
			buf_addstr(&where, path);
		else {
			line = jv_object_get(jv_copy(rec), jv_string("line"));
			if (jv_get_kind(line) == JV_KIND_NUMBER)
				buf_printf(&where, "line %.0f",
				    jv_number_value(line));
			jv_free(line);
		}
		e->where = buf_detach(&where);
		e->name = dupstr(rec_str(rec, "name"));
		s = rec_error_str(rec, "tool");
		e->stage = dupstr(s != NULL ? s : st == ST_FAILED_UPSTREAM ?
		    "?" : NULL);
		e->reason = buf_detach(&reason);
	}
	buf_release(&reason);
	jv_free(chk);
	jv_free(err);
}

/*
 * s made visible as the tools' messages show it (msg_escape, with ESC as
 * \x1b), then as text for HTML (element content and quoted attributes
 * alike) or for a Markdown table cell.  Markdown: the ASCII punctuation
 * that can start markup backslash-escaped, which CommonMark takes
 * literally (| < > & ` * _ [ ] among them: no emphasis, code, link, raw
 * HTML, entity or cell boundary can come of a path), and no line break
 * (msg_escape made them visible).
 */
static void
put_vis(FILE *fp, const char *s, int html)
{
	static const char html_ch[] = "&<>\"'";
	static const char *const html_ent[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"
	};
	struct buf b;
	const char *p, *e;

	buf_init(&b);
	buf_addstr(&b, "");	/* b.data is a string even for "" */
	msg_escape(&b, s, MSG_ESC_HEX);
	for (p = b.data; *p != '\0'; p++) {
		if (html && (e = strchr(html_ch, *p)) != NULL) {
			fputs(html_ent[e - html_ch], fp);
			continue;
		}
		if (!html && strchr("\\`*_{}[]<>()#+!|&~^$=", *p) != NULL)
			fputc('\\', fp);
		fputc(*p, fp);
	}
	buf_release(&b);
}

static void
put_html(FILE *fp, const char *s)
{
	put_vis(fp, s, 1);
}

static void
put_md(FILE *fp, const char *s)
{
	put_vis(fp, s, 0);
}

static void
put_text(struct report *r, FILE *fp, const char *s)
{
	put_vis(fp, s, r->html);
}

static int
group_cmp(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a;
	const struct group *y = *(struct group *const *)b;
	int c;

	if ((c = strcmp(x->ns, y->ns)) != 0)
		return c;
	return strcmp(x->mount, y->mount);
}

static long
sum(const long *n)
{
	long t = 0;
	int i;

	for (i = 0; i < ST_COUNT; i++)
		t += n[i];
	return t;
}

/* A row of counts: a header cell, then one cell a status, then total. */
static void
counts_row(struct report *r, FILE *fp, const char *cls, const char *head,
    const char *data_ns, const char *data_mount, const long *n)
{
	int i;

	if (r->html) {
		fprintf(fp, "<tr class=\"%s\"", cls);
		if (data_ns != NULL) {
			fputs(" data-namespace=\"", fp);
			put_html(fp, data_ns);
			fputc('"', fp);
		}
		if (data_mount != NULL) {
			fputs(" data-mount=\"", fp);
			put_html(fp, data_mount);
			fputc('"', fp);
		}
		fputs("><th scope=\"row\">", fp);
		put_html(fp, head);
		fputs("</th>", fp);
		for (i = 0; i < ST_COUNT; i++)
			fprintf(fp, "<td class=\"n-%s\">%ld</td>", st_id[i],
			    n[i]);
		fprintf(fp, "<td class=\"n-total\">%ld</td></tr>\n", sum(n));
		return;
	}
	fputs("| ", fp);
	put_md(fp, head);
	for (i = 0; i < ST_COUNT; i++)
		fprintf(fp, " | %ld", n[i]);
	fprintf(fp, " | %ld |\n", sum(n));
}

static void
counts_head(struct report *r, FILE *fp, const char *id, const char *what)
{
	int i;

	if (r->html) {
		fprintf(fp, "<table id=\"%s\"><thead><tr><th scope=\"col\">"
		    "%s</th>", id, what);
		for (i = 0; i < ST_COUNT; i++)
			fprintf(fp, "<th scope=\"col\">%s</th>", st_name[i]);
		fputs("<th scope=\"col\">records</th></tr></thead><tbody>\n",
		    fp);
		return;
	}
	fprintf(fp, "| %s", what);
	for (i = 0; i < ST_COUNT; i++)
		fprintf(fp, " | %s", st_name[i]);
	fputs(" | records |\n|---", fp);
	for (i = 0; i <= ST_COUNT; i++)
		fputs("|--:", fp);
	fputs("|\n", fp);
}

static void
counts_tail(struct report *r, FILE *fp)
{
	fputs(r->html ? "</tbody></table>\n" : "\n", fp);
}

/* A mount's label: "namespace/mount", "(root)" for no namespace. */
static void
mount_label(struct buf *b, const struct group *g)
{
	buf_printf(b, "%s%s%s", g->ns, *g->ns != '\0' ? "/" : "",
	    *g->mount != '\0' ? g->mount : "(no mount)");
}

/* The bar chart: one stacked bar a mount, as inline SVG. */
static void
chart(struct report *r, FILE *fp)
{
	const int label_w = 260, bar_w = 420, row_h = 24, top = 8;
	struct buf b;
	struct group *g;
	size_t k;
	long max = 1, t;
	double x, w;
	size_t cut;
	int i, height, y;
	char c;

	for (k = 0; k < r->ngroups; k++)
		if ((t = sum(r->groups[k]->n)) > max)
			max = t;
	height = top + (int)r->ngroups * row_h + 40;
	fprintf(fp, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"records by status, per mount\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n",
	    label_w + bar_w + 60, height, label_w + bar_w + 60, height);
	for (k = 0; k < r->ngroups; k++) {
		g = r->groups[k];
		y = top + (int)k * row_h;
		buf_init(&b);
		mount_label(&b, g);
		fprintf(fp, "<g class=\"bar\"><text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\">", label_w - 8, y + 15);
		/* Long labels are cut; the title holds all of it. */
		if (b.len > 40) {
			fputs("<title>", fp);
			put_html(fp, b.data);
			fputs("</title>", fp);
			/* Cut between UTF-8 sequences, not inside one. */
			for (cut = 37; cut > 0 &&
			    ((unsigned char)b.data[cut] & 0xc0) == 0x80; cut--)
				;
			c = b.data[cut];
			b.data[cut] = '\0';
			put_html(fp, b.data);
			b.data[cut] = c;
			fputs("...", fp);
		} else
			put_html(fp, b.data);
		fputs("</text>", fp);
		x = label_w;
		for (i = 0; i < ST_COUNT; i++) {
			if (g->n[i] == 0)
				continue;
			w = (double)bar_w * g->n[i] / max;
			fprintf(fp, "<rect class=\"seg-%s\" x=\"%.1f\" "
			    "y=\"%d\" width=\"%.1f\" height=\"%d\" "
			    "fill=\"%s\"><title>", st_id[i], x, y + 2,
			    w < 1 ? 1.0 : w, row_h - 6, st_color[i]);
			put_html(fp, b.data);
			fprintf(fp, ": %ld %s</title></rect>", g->n[i],
			    st_name[i]);
			x += w < 1 ? 1.0 : w;
		}
		fprintf(fp, "<text x=\"%.1f\" y=\"%d\">%ld</text></g>\n",
		    x + 6, y + 15, sum(g->n));
		buf_release(&b);
	}
	y = top + (int)r->ngroups * row_h + 14;
	for (i = 0, x = 8; i < ST_COUNT; i++) {
		fprintf(fp, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" "
		    "height=\"12\" fill=\"%s\"/><text x=\"%.0f\" y=\"%d\">%s"
		    "</text>\n", x, y, st_color[i], x + 16, y + 11,
		    st_name[i]);
		x += 16 + 8 * strlen(st_name[i]) + 16;
	}
	fputs("</svg>\n", fp);
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>kv-check report</title>\n<style>\n"
    "body{font-family:sans-serif;margin:2em;color:#222;background:#fff}\n"
    "table{border-collapse:collapse;margin:1em 0}\n"
    "th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;"
    "vertical-align:top}\n"
    "td[class^=n-]{text-align:right}\n"
    "thead th{background:#eee}\n"
    "td.reason,td.where,td.name{word-break:break-all}\n"
    ".incomplete{color:#c62828;font-weight:bold}\n"
    "</style>\n</head>\n<body>\n";

static void
write_doc(struct report *r, FILE *fp, const char *vault,
    const char *summary, int incomplete)
{
	struct buf b;
	struct group *g;
	long n[ST_COUNT];
	const char *ns;
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t k, j;
	int i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (r->ngroups > 0)	/* qsort(NULL, 0, ...) is undefined */
		qsort(r->groups, r->ngroups, sizeof(*r->groups), group_cmp);
	if (r->html) {
		fputs(html_head, fp);
		fputs("<h1>kv-check report</h1>\n<p>Vault: <code id=\"vault\">",
		    fp);
		put_html(fp, vault);
		fprintf(fp, "</code><br>Written: <span id=\"when\">%s</span> "
		    "by kv-check (vault2kv) %s<br>Summary: <span "
		    "id=\"summary\">", when, V2K_VERSION);
		put_html(fp, summary);
		fputs("</span></p>\n", fp);
		if (incomplete)
			fputs("<p class=\"incomplete\" id=\"incomplete\">The "
			    "run stopped before its end: this report is "
			    "incomplete.</p>\n", fp);
		fputs("<h2>Totals</h2>\n<table id=\"totals\"><tbody>\n", fp);
		fprintf(fp, "<tr><th scope=\"row\">records</th>"
		    "<td id=\"count-total\">%ld</td></tr>\n", r->records);
		for (i = 0; i < ST_COUNT; i++)
			fprintf(fp, "<tr><th scope=\"row\">%s</th>"
			    "<td id=\"count-%s\">%ld</td></tr>\n", st_name[i],
			    st_id[i], r->total[i]);
		fputs("</tbody></table>\n", fp);
	} else {
		fputs("# kv-check report\n\n- Vault: ", fp);
		put_md(fp, vault);
		fprintf(fp, "\n- Written: %s by kv-check (vault2kv) %s\n"
		    "- Summary: ", when, V2K_VERSION);
		put_md(fp, summary);
		fputs("\n", fp);
		if (incomplete)
			fputs("\n**The run stopped before its end: this report "
			    "is incomplete.**\n", fp);
		fputs("\n## Totals\n\n| status | records |\n|---|--:|\n", fp);
		fprintf(fp, "| records | %ld |\n", r->records);
		for (i = 0; i < ST_COUNT; i++)
			fprintf(fp, "| %s | %ld |\n", st_name[i], r->total[i]);
		fputs("\n", fp);
	}

	fputs(r->html ? "<h2>By namespace</h2>\n" : "## By namespace\n\n", fp);
	counts_head(r, fp, "by-namespace", "namespace");
	for (k = 0; k < r->ngroups; k = j) {
		ns = r->groups[k]->ns;
		memset(n, 0, sizeof(n));
		for (j = k; j < r->ngroups && strcmp(r->groups[j]->ns, ns) == 0;
		    j++)
			for (i = 0; i < ST_COUNT; i++)
				n[i] += r->groups[j]->n[i];
		counts_row(r, fp, "ns", *ns != '\0' ? ns : "(root)", ns, NULL,
		    n);
	}
	counts_tail(r, fp);

	fputs(r->html ? "<h2>By mount</h2>\n" : "## By mount\n\n", fp);
	counts_head(r, fp, "by-mount", "mount");
	for (k = 0; k < r->ngroups; k++) {
		g = r->groups[k];
		buf_init(&b);
		mount_label(&b, g);
		counts_row(r, fp, "mount", b.data, g->ns, g->mount, g->n);
		buf_release(&b);
	}
	counts_tail(r, fp);

	fputs(r->html ? "<h2>Statuses per mount</h2>\n" :
	    "## Statuses per mount\n\n", fp);
	chart(r, fp);
	fputs(r->html ? "" : "\n", fp);

	fprintf(fp, r->html ? "<h2>Problems (<span id=\"problem-count\">%zu"
	    "</span>)</h2>\n" : "## Problems (%zu)\n\n", r->nents);
	if (r->nents == 0)
		fputs(r->html ? "<p id=\"no-problems\">None: every record is "
		    "ok.</p>\n" : "None: every record is ok.\n", fp);
	else if (r->html)
		fputs("<table id=\"problems\"><thead><tr><th scope=\"col\">"
		    "status</th><th scope=\"col\">namespace</th>"
		    "<th scope=\"col\">Vault path</th><th scope=\"col\">"
		    "name</th><th scope=\"col\">stage</th><th scope=\"col\">"
		    "reason</th></tr></thead><tbody>\n", fp);
	else
		fputs("| status | namespace | Vault path | name | stage | "
		    "reason |\n|---|---|---|---|---|---|\n", fp);
	for (k = 0; k < r->nents; k++) {
		const struct entry *e = &r->ents[k];
		const char *cell[5] = { e->ns, e->where, e->name, e->stage,
		    e->reason };
		static const char *const cls[5] = { "ns", "where", "name",
		    "stage", "reason" };

		if (r->html)
			fprintf(fp, "<tr class=\"problem status-%s\">"
			    "<td class=\"status\">%s</td>", st_id[e->st],
			    st_name[e->st]);
		else
			fprintf(fp, "| %s", st_name[e->st]);
		for (i = 0; i < 5; i++) {
			if (r->html) {
				fprintf(fp, "<td class=\"%s\">", cls[i]);
				put_html(fp, cell[i]);
				fputs("</td>", fp);
			} else {
				fputs(" | ", fp);
				put_text(r, fp, cell[i]);
			}
		}
		fputs(r->html ? "</tr>\n" : " |\n", fp);
	}
	if (r->html)
		fputs(r->nents > 0 ? "</tbody></table>\n</body>\n</html>\n" :
		    "</body>\n</html>\n", fp);
}

int
report_write(struct report *r, const char *vault, const char *summary,
    int incomplete, char **err)
{
	char *tmp;
	FILE *fp;
	int fd, e;

	tmp = xasprintf("%s.XXXXXX", r->path);
	/* mkstemp makes it 0600: the report names every secret. */
	if ((fd = mkstemp(tmp)) == -1) {
		*err = xasprintf("--report %s: %s", r->path, strerror(errno));
		free(tmp);
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		e = errno;
		close(fd);
		goto fail;
	}
	write_doc(r, fp, vault, summary, incomplete);
	errno = 0;
	if (fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) == -1) {
		e = errno ? errno : EIO;
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) == EOF) {
		e = errno;
		goto fail;
	}
	if (rename(tmp, r->path) == -1) {
		e = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	*err = xasprintf("--report %s: %s", r->path, strerror(e));
	free(tmp);
	return -1;
}

void
report_free(struct report *r)
{
	size_t k;

	if (r == NULL)
		return;
	for (k = 0; k < r->ngroups; k++) {
		free(r->groups[k]->ns);
		free(r->groups[k]->mount);
		free(r->groups[k]);
	}
	for (k = 0; k < r->nents; k++) {
		free(r->ents[k].ns);
		free(r->ents[k].where);
		free(r->ents[k].name);
		free(r->ents[k].stage);
		free(r->ents[k].reason);
	}
	free(r->groups);
	free(r->ents);
	cimap_free(r->index);
	free(r->path);
	free(r);
}
