/* cimap.c: a map from names that compare without regard to case. */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define BLOCK_SIZE	(64 * 1024)
#define FIRST_CAP	1024
#define ALIGN		8

/*
 * A key and its value, in a block.  The key is lower-cased and ends
 * with a NUL; an exact key may hold NULs and comes after its length
 * (a uint32_t, unaligned).
 */
struct cimap_ent {
	void		*val;
	char		 key[];
};

struct cimap_block {
	struct cimap_block *next;
	size_t		 used;
	size_t		 cap;
	char		 mem[];
};

/*
 * Open addressing with linear probing in a power of two of slots, at
 * most 3/4 full.  The entries live in large blocks freed together: no
 * allocator overhead, and neither hash nor length kept per name, which
 * keeps a map of many names small (kv-name holds every name of a run).
 */
struct cimap {
	struct cimap_ent **slot;
	size_t		 cap;
	size_t		 n;
	int		 exact;
	struct cimap_block *blocks;	/* newest first */
};

static int
fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static const char *
ent_key(const struct cimap *m, const struct cimap_ent *e)
{
	return m->exact ? e->key + sizeof(uint32_t) : e->key;
}

static size_t
ent_len(const struct cimap *m, const struct cimap_ent *e)
{
	uint32_t n;

	if (!m->exact)
		return strlen(e->key);
	memcpy(&n, e->key, sizeof(n));
	return n;
}

/* FNV-1a over the key as stored. */
static size_t
hash(const struct cimap *m, const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)(m->exact ? key[i] :
		    fold((unsigned char)key[i]));
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static int
same(const struct cimap *m, const struct cimap_ent *e, const char *key,
    size_t len)
{
	size_t i;

	if (m->exact)
		return ent_len(m, e) == len &&
		    memcmp(ent_key(m, e), key, len) == 0;
	for (i = 0; i < len; i++)
		if (e->key[i] == '\0' ||
		    e->key[i] != fold((unsigned char)key[i]))
			return 0;
	return e->key[len] == '\0';
}

struct cimap *
cimap_new(int flags)
{
	struct cimap *m;

	m = xcalloc(1, sizeof(*m));
	m->exact = (flags & CIMAP_EXACT) != 0;
	return m;
}

void
cimap_free(struct cimap *m)
{
	struct cimap_block *b;

	if (m == NULL)
		return;
	while ((b = m->blocks) != NULL) {
		m->blocks = b->next;
		free(b);
	}
	free(m->slot);
	free(m);
}

void *
cimap_alloc(struct cimap *m, size_t n)
{
	struct cimap_block *b;
	size_t cap;
	void *p;

	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (m->blocks == NULL || m->blocks->used + n > m->blocks->cap) {
		cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
		b = xmalloc(offsetof(struct cimap_block, mem) + cap);
		b->next = m->blocks;
		b->used = 0;
		b->cap = cap;
		m->blocks = b;
	}
	p = m->blocks->mem + m->blocks->used;
	m->blocks->used += n;
	return p;
}

/* The slot of key: its entry's, or the empty one where it would go. */
static size_t
find(const struct cimap *m, const char *key, size_t len)
{
	size_t i;

	for (i = hash(m, key, len) & (m->cap - 1); m->slot[i] != NULL &&
	    !same(m, m->slot[i], key, len); i = (i + 1) & (m->cap - 1))
		;
	return i;
}

static void
grow(struct cimap *m)
{
	struct cimap_ent **old = m->slot;
	size_t i, oldcap = m->cap;

	m->cap = oldcap ? oldcap * 2 : FIRST_CAP;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			m->slot[find(m, ent_key(m, old[i]),
			    ent_len(m, old[i]))] = old[i];
	free(old);
}

void *
cimap_getn(struct cimap *m, const void *key, size_t len)
{
	struct cimap_ent *e;

	if (m->cap == 0)
		return NULL;
	e = m->slot[find(m, key, len)];
	return e != NULL ? e->val : NULL;
}

void *
cimap_get(struct cimap *m, const char *key)
{
	return cimap_getn(m, key, strlen(key));
}

void *
cimap_putn(struct cimap *m, const void *key, size_t len, void *val)
{
	struct cimap_ent *e;
	const char *k = key;
	uint32_t n = (uint32_t)len;
	void *old;
	size_t i, j;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	i = find(m, k, len);
	if ((e = m->slot[i]) != NULL) {
		old = e->val;
		e->val = val;
		return old;
	}
	e = cimap_alloc(m, offsetof(struct cimap_ent, key) +
	    (m->exact ? sizeof(n) : 0) + len + 1);
	e->val = val;
	if (m->exact) {
		memcpy(e->key, &n, sizeof(n));
		memcpy(e->key + sizeof(n), k, len);
		e->key[sizeof(n) + len] = '\0';
	} else {
		for (j = 0; j < len; j++)
			e->key[j] = (char)fold((unsigned char)k[j]);
		e->key[len] = '\0';
	}
	m->slot[i] = e;
	m->n++;
	return NULL;
}

void *
cimap_put(struct cimap *m, const char *key, void *val)
{
	return cimap_putn(m, key, strlen(key), val);
}

size_t
cimap_count(struct cimap *m)
{
	return m->n;
}

int
cimap_iterate(struct cimap *m, int (*fn)(const char *, void *, void *),
    void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < m->cap; i++)
		if (m->slot[i] != NULL &&
		    (rc = fn(ent_key(m, m->slot[i]), m->slot[i]->val,
		    arg)) != 0)
			return rc;
	return 0;
}
