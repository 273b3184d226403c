/* nameset.c: a set of names that compare without regard to case, kept small. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define FIRST_CAP	1024
#define WBUF_SIZE	4096
#define STACK_KEY	256
/* In a name's length word: a value follows the name. */
#define VALUED		0x80000000U

/*
 * A run that writes or checks 100,000 names must not hold them all in
 * memory (#17: peak RSS under 16 MiB at N = 100,000).  The table holds 8
 * bytes a name, 32 bits of its hash and the offset of its bytes; the
 * bytes (lower-cased, after their length) go to an unlinked temporary
 * file, read back only when a hash matches.  So the set is exact: two
 * names whose hashes collide are told apart by their bytes.  Where no
 * temporary file can be made or written, the bytes stay in memory.
 * A name put with a value (nameset_put) has the value after it in the
 * file, its length first, and a bit of the name's length says so: kv-name
 * keeps whose each name is there, and reads it back only for a name
 * already taken.
 */
struct nameslot {
	uint32_t	 hash;
	uint32_t	 off;		/* offset + 1; 0: empty */
};

struct nameset {
	struct nameslot	*slot;
	size_t		 cap;		/* a power of two, at most 7/8 full */
	size_t		 n;
	int		 fd;		/* the bytes, or -1: in mem */
	struct buf	 mem;		/* the bytes when fd is -1 */
	uint64_t	 flushed;	/* bytes in fd */
	char		 wbuf[WBUF_SIZE];	/* the bytes after flushed */
	size_t		 wlen;
};

static int
fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* FNV-1a over the lower-cased key. */
static uint32_t
hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)fold((unsigned char)key[i]);
		h *= 1099511628211ULL;
	}
	return (uint32_t)(h ^ (h >> 32));
}

static int
tmp_open(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	path = xasprintf("%s/vault2kv-names.XXXXXX", dir);
	/* Not for az(1), which kv-put may run. */
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		unlink(path);
	free(path);
	return fd;
}

struct nameset *
nameset_new(void)
{
	struct nameset *s = xcalloc(1, sizeof(*s));

	buf_init(&s->mem);
	s->fd = tmp_open();
	return s;
}

void
nameset_free(struct nameset *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	buf_release(&s->mem);
	if (s->slot != NULL)
		munmap(s->slot, s->cap * sizeof(*s->slot));
	free(s);
}

size_t
nameset_count(struct nameset *s)
{
	return s->n;
}

/*
 * The file could not take more: what it holds comes back to memory, and
 * the set goes on there.
 */
static void
to_memory(struct nameset *s, int err)
{
	char chunk[WBUF_SIZE];
	uint64_t off;
	ssize_t r;

	for (off = 0; off < s->flushed; off += (uint64_t)r) {
		r = pread(s->fd, chunk, s->flushed - off < sizeof(chunk) ?
		    (size_t)(s->flushed - off) : sizeof(chunk), (off_t)off);
		if (r <= 0)
			msg_fatal("the temporary file of names: %s",
			    strerror(r == 0 ? EIO : errno));
		buf_add(&s->mem, chunk, (size_t)r);
	}
	msg_warn(NULL, "the temporary file of names (%s): kept in memory",
	    strerror(err));
	close(s->fd);
	s->fd = -1;
}

static void
flush(struct nameset *s)
{
	size_t done = 0;
	ssize_t w;

	while (s->fd != -1 && done < s->wlen) {
		w = pwrite(s->fd, s->wbuf + done, s->wlen - done,
		    (off_t)(s->flushed + done));
		if (w > 0)
			done += (size_t)w;
		else if (w == -1 && errno == EINTR)
			continue;
		else {
			to_memory(s, w == 0 ? ENOSPC : errno);
			done = 0;
		}
	}
	if (s->fd == -1)
		buf_add(&s->mem, s->wbuf + done, s->wlen - done);
	s->flushed += s->wlen;
	s->wlen = 0;
}

static void
put_bytes(struct nameset *s, const void *p, size_t len)
{
	const char *c = p;
	size_t k;

	while (len > 0) {
		if (s->wlen == sizeof(s->wbuf))
			flush(s);
		k = sizeof(s->wbuf) - s->wlen;
		if (k > len)
			k = len;
		memcpy(s->wbuf + s->wlen, c, k);
		s->wlen += k;
		c += k;
		len -= k;
	}
}

/* len bytes at off of the stored names into p. */
static void
get_bytes(struct nameset *s, uint64_t off, void *p, size_t len)
{
	char *c = p;
	ssize_t r;
	size_t k;

	while (len > 0) {
		if (off >= s->flushed) {
			memcpy(c, s->wbuf + (off - s->flushed), len);
			return;
		}
		k = s->flushed - off < len ? (size_t)(s->flushed - off) : len;
		if (s->fd == -1) {
			memcpy(c, s->mem.data + off, k);
		} else if ((r = pread(s->fd, c, k, (off_t)off)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			msg_fatal("the temporary file of names: %s",
			    strerror(r == 0 ? EIO : errno));
		} else
			k = (size_t)r;
		c += k;
		off += k;
		len -= k;
	}
}

/* Are the bytes at slot off (as stored) key's, lower-cased? */
static int
same(struct nameset *s, uint32_t off, const char *key, size_t len)
{
	char stack[STACK_KEY], *b;
	uint32_t n;
	size_t i;
	int r = 1;

	get_bytes(s, off - 1, &n, sizeof(n));
	if ((n & ~VALUED) != len)
		return 0;
	b = len <= sizeof(stack) ? stack : xmalloc(len);
	get_bytes(s, off - 1 + sizeof(n), b, len);
	for (i = 0; i < len && r; i++)
		r = b[i] == fold((unsigned char)key[i]);
	if (b != stack)
		free(b);
	return r;
}

/* The slot of key: its own, or the empty one where it would go. */
static size_t
find(struct nameset *s, uint32_t h, const char *key, size_t len)
{
	size_t i;

	for (i = h & (s->cap - 1); s->slot[i].off != 0; i = (i + 1) &
	    (s->cap - 1))
		if (s->slot[i].hash == h && same(s, s->slot[i].off, key, len))
			break;
	return i;
}

/*
 * Twice the slots.  Both tables at once would make the peak half as
 * large again as the set: the old one, mapped on its own, goes a page at
 * a time as its slots move, and the new one fills from both ends of
 * where they were, so the two together stay within the new one's size.
 */
static void
grow(struct nameset *s)
{
	struct nameslot *old = s->slot;
	size_t i, j, oldcap = s->cap, page, step;
	void *p;

	s->cap = oldcap ? oldcap * 2 : FIRST_CAP;
	p = mmap(NULL, s->cap * sizeof(*s->slot), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		msg_fatal("out of memory");
	s->slot = p;
	page = (size_t)sysconf(_SC_PAGESIZE);
	step = page / sizeof(*old);
	if (step == 0 || oldcap % step != 0)
		step = oldcap;
	/* The hash is kept: no name is read back to move it. */
	for (i = 0; i < oldcap; i++) {
		if (old[i].off != 0) {
			for (j = old[i].hash & (s->cap - 1);
			    s->slot[j].off != 0; j = (j + 1) & (s->cap - 1))
				;
			s->slot[j] = old[i];
		}
		if ((i + 1) % step == 0)
			munmap(old + i + 1 - step, step * sizeof(*old));
	}
}

int
nameset_has(struct nameset *s, const char *key)
{
	size_t len = strlen(key);

	return s->cap != 0 && s->slot[find(s, hash(key, len), key,
	    len)].off != 0;
}

/* Add key, and when valued, its value (vlen bytes at val). */
static int
insert(struct nameset *s, const char *key, const void *val, size_t vlen,
    int valued)
{
	size_t i, j, len = strlen(key);
	uint64_t off = s->flushed + s->wlen;
	uint32_t h = hash(key, len), n = (uint32_t)len, vn = (uint32_t)vlen;
	char c;

	if ((s->n + 1) * 8 > s->cap * 7)
		grow(s);
	i = find(s, h, key, len);
	if (s->slot[i].off != 0)
		return 1;
	if (len >= VALUED || vlen >= VALUED || off + sizeof(n) + len +
	    (valued ? sizeof(vn) + vlen : 0) >= UINT32_MAX)
		msg_fatal("more names than one run can remember (4 GB)");
	if (valued)
		n |= VALUED;
	put_bytes(s, &n, sizeof(n));
	for (j = 0; j < len; j++) {
		c = (char)fold((unsigned char)key[j]);
		put_bytes(s, &c, 1);
	}
	if (valued) {
		put_bytes(s, &vn, sizeof(vn));
		put_bytes(s, val, vlen);
	}
	s->slot[i].hash = h;
	s->slot[i].off = (uint32_t)off + 1;
	s->n++;
	return 0;
}

int
nameset_add(struct nameset *s, const char *key)
{
	return insert(s, key, NULL, 0, 0);
}

int
nameset_put(struct nameset *s, const char *key, const void *val,
    size_t vlen)
{
	return insert(s, key, val, vlen, 1);
}

int
nameset_get(struct nameset *s, const char *key, struct buf *val)
{
	size_t i, len = strlen(key);
	uint64_t off;
	uint32_t n, vn;
	char chunk[STACK_KEY];

	buf_reset(val);
	if (s->cap == 0)
		return 0;
	i = find(s, hash(key, len), key, len);
	if (s->slot[i].off == 0)
		return 0;
	off = s->slot[i].off - 1;
	get_bytes(s, off, &n, sizeof(n));
	if ((n & VALUED) == 0)
		return 1;
	off += sizeof(n) + len;
	get_bytes(s, off, &vn, sizeof(vn));
	off += sizeof(vn);
	while (vn > 0) {
		n = vn < sizeof(chunk) ? vn : sizeof(chunk);
		get_bytes(s, off, chunk, n);
		buf_add(val, chunk, n);
		off += n;
		vn -= n;
	}
	return 1;
}
