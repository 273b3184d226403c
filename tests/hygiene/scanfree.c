/* scanfree.c: a preloaded scanner of freed heap blocks, for hygiene.bats. */

/*
 * LD_PRELOAD=tests/hygiene/scanfree.so TOOL: every block that reaches
 * this free (or that a realloc here moves) is searched, all of its
 * malloc_usable_size bytes, for each marker of V2K_SCAN_MARKERS
 * ("m1,m2,..."), before it goes on to the C library.  Each hit appends
 * "hit PROG MARKER-INDEX BLOCK-SIZE" to the file V2K_SCAN_REPORT, never
 * the block's content; at exit "done PROG BLOCKS-SCANNED", which shows
 * the blocks did come this way.
 *
 * The tools define free themselves (common/alloc.c) and pass each block
 * on through dlsym(RTLD_NEXT): wiped, it must hold no marker here.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXMARK	32
#define MARKLEN	256

extern void	 __libc_free(void *);
extern void	*__libc_realloc(void *, size_t);

static void	(*next_free)(void *);
static void	*(*next_realloc)(void *, size_t);
static char	 marks[MAXMARK][MARKLEN];
static size_t	 marklen[MAXMARK];
static int	 nmarks;
static int	 reportfd = -1;
static unsigned long scanned;

static void
report(const char *line)
{
	if (reportfd != -1)
		(void)!write(reportfd, line, strlen(line));
}

static void
scan(void *p)
{
	char line[256];
	size_t n;
	int i;

	if (p == NULL || nmarks == 0)
		return;
	n = malloc_usable_size(p);
	__atomic_add_fetch(&scanned, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nmarks; i++)
		if (memmem(p, n, marks[i], marklen[i]) != NULL) {
			snprintf(line, sizeof(line), "hit %s %d %zu\n",
			    program_invocation_short_name, i, n);
			report(line);
		}
}

static void __attribute__((constructor))
scan_setup(void)
{
	const char *m, *e, *r;
	size_t len;

	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT,
	    "realloc");
	if ((r = getenv("V2K_SCAN_REPORT")) != NULL)
		reportfd = open(r, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
	if ((m = getenv("V2K_SCAN_MARKERS")) == NULL)
		return;
	while (*m != '\0' && nmarks < MAXMARK) {
		e = strchr(m, ',');
		len = e != NULL ? (size_t)(e - m) : strlen(m);
		if (len > 0 && len < MARKLEN) {
			memcpy(marks[nmarks], m, len);
			marklen[nmarks++] = len;
		}
		m += len;
		if (*m == ',')
			m++;
	}
}

static void __attribute__((destructor))
scan_done(void)
{
	char line[256];

	snprintf(line, sizeof(line), "done %s %lu\n",
	    program_invocation_short_name, scanned);
	report(line);
}

/* Not through the symbol free, which is the tool's. */
static void
scan_free(void *p)
{
	scan(p);
	if (next_free != NULL)
		next_free(p);
	else
		__libc_free(p);
}

void
free(void *p)
{
	scan_free(p);
}

/* A move frees the old block: it is scanned, so the move is made here. */
void *
realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (p == NULL || n == 0 || (have = malloc_usable_size(p)) >= n)
		return next_realloc != NULL ? next_realloc(p, n) :
		    __libc_realloc(p, n);
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, have);
	scan_free(p);
	return q;
}
