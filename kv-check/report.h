/* report.h: kv-check's report of a run (report.c), for main.c. */

#ifndef KV_CHECK_REPORT_H
#define KV_CHECK_REPORT_H

#include <jv.h>

struct report;
/*
 * A report to be written to path: Markdown for ".md", one HTML page for
 * ".html".  NULL and a malloc'd *err when the name says neither or its
 * directory cannot take it: said at the start, before any work.
 */
struct report *report_new(const char *path, char **err);
/* Count a record as it comes out (main thread); no value is kept. */
void	 report_add(struct report *, jv rec /* borrowed */);
/*
 * Write it: a temporary file in the same directory, renamed over path
 * once whole, mode 0600.  vault is the vault's URL; summary the run's
 * one line; incomplete, the run stopped before its end.  0, or -1 and
 * a malloc'd *err.
 */
int	 report_write(struct report *, const char *vault, const char *summary,
	    int incomplete, char **err);
void	 report_free(struct report *);

#endif
