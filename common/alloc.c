/* alloc.c: every heap block is wiped before it returns to the allocator. */

/*
 * Values and tokens pass through buffers that are not ours: libjq's
 * parser and printer, glibc's vasprintf and stdio, libcurl's and
 * OpenSSL's.  Their owners free them unwiped.  So the tools define free,
 * realloc and reallocarray themselves: a definition in the executable
 * comes first in the dynamic linker's lookup scope, so it is the one
 * every shared library binds to (ELF symbol interposition, "Replacing
 * malloc" in the GNU C Library manual), and glibc's own internal calls
 * (vasprintf, fclose) go through the same symbols.  glibc's
 * reallocarray calls its internal realloc directly, hence its own
 * definition here.
 *
 * The real free is found with dlsym(RTLD_NEXT), so that a library
 * preloaded after us (the tests' scanner of freed blocks) still sees
 * every block, wiped.  Under AddressSanitizer, which owns malloc, and
 * with another C library, none of this is compiled.
 */

#include <stdlib.h>

#include "common.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define V2K_ASAN	1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define V2K_ASAN	1
#endif

#if defined(__GLIBC__) && !defined(V2K_ASAN) && !defined(V2K_NO_ALLOC_WIPE)

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

/* glibc's own entry points (GLIBC_2.0), for the time before dlsym. */
extern void	 __libc_free(void *);
extern void	*__libc_realloc(void *, size_t);

static void	(*real_free)(void *);
static void	*(*real_realloc)(void *, size_t);
/*
 * Test hook: V2K_NO_WIPE=1 in the environment turns the wiping off, so
 * that tests/hygiene.bats can show its scanner finds what a freed block
 * left behind.  Read once, before main.
 */
static int	 no_wipe;

/*
 * Before main, in one thread.  dlsym may itself allocate and free: those
 * frees find real_free still NULL and go to __libc_free.
 */
static void __attribute__((constructor))
alloc_setup(void)
{
	const char *s;
	void *f, *r;

	f = dlsym(RTLD_NEXT, "free");
	r = dlsym(RTLD_NEXT, "realloc");
	if (f != NULL && r != NULL) {
		real_realloc = (void *(*)(void *, size_t))r;
		real_free = (void (*)(void *))f;
	}
	s = getenv("V2K_NO_WIPE");
	no_wipe = s != NULL && strcmp(s, "1") == 0;
}

void
free(void *p)
{
	if (p == NULL)
		return;
	if (!no_wipe)
		explicit_bzero(p, malloc_usable_size(p));
	if (real_free != NULL)
		real_free(p);
	else
		__libc_free(p);
}

/*
 * glibc's realloc frees the old block when it moves it, and cuts the
 * tail off when it shrinks it in place: both unwiped.  So a block never
 * shrinks here, and it grows by a move we make ourselves.
 */
void *
realloc(void *p, size_t n)
{
	size_t have;
	void *q;

	if (no_wipe)
		return real_realloc != NULL ? real_realloc(p, n) :
		    __libc_realloc(p, n);
	if (p == NULL)
		return malloc(n);
	if (n == 0) {
		/* What glibc does: the block is freed. */
		free(p);
		return NULL;
	}
	if ((have = malloc_usable_size(p)) >= n)
		return p;
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, have);
	free(p);
	return q;
}

void *
reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

int
alloc_wiping(void)
{
	return !no_wipe;
}

#else

int
alloc_wiping(void)
{
	return 0;
}

#endif
