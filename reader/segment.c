/* segment.c - see segment.h. */
#include "segment.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KS_WINDOW ((size_t)4 << 20)
#define KS_MIN_WINDOW ((size_t)64 << 10)

struct ks_reader {
    int fd;
    char *path;          /* our copy of the path */
    int64_t size;        /* file size at open; a file that shrinks reads as truncated */
    uint8_t *buf;        /* the window */
    size_t cap;          /* bytes allocated at buf */
    int64_t buf_pos;     /* file position of buf[0] */
    size_t buf_len;      /* valid bytes at buf */
    int64_t pos;         /* file position of the next entry */
    int64_t last_base;   /* base offset of the previous entry, for plausibility */
    size_t max_entry;
    int no_cache;
    int done;            /* nothing more will be read */
    int resume_checked;  /* the entry before pos was corrupt: check the next one is plausible */
    long entries;        /* entries returned so far */
    int64_t err_offset;  /* offset field of the entry at the last error, or -1 */
    int live_wait_ms;    /* how long to watch a recent file's partial tail for growth; 0 = not */
    int nomem;           /* the window could not grow during this ks_next */
    size_t window;       /* bytes the window reads at once: KS_WINDOW, or ks_set_window's */
    /* a part (ks_part): */
    int borrowed;        /* fd and path are the whole reader's: not closed or freed here */
    int64_t end;         /* the part ends where an entry starts (reading stops there), INT64_MAX: the file's end */
    int64_t read_end;    /* nothing at or past it is read (its successor's header is, past end) */
    int anchored;        /* an entry of this part matched its checksum: last_base is this part's own */
    int64_t probe_min;   /* the lowest offset field plausible_at compared with last_base before then */
};

/* Opened without blocking: a FIFO named like a segment or an index would
 * otherwise wait for a writer forever (the callers then refuse anything
 * but a regular file). A regular file gets its blocking mode back. */
static int open_ro(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOATIME | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == EPERM) fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

ks_reader *ks_open(const char *path, size_t max_entry, int no_cache, ke_error *e)
{
    ke_clear(e);
    if (e) e->file = path;
    int fd = open_ro(path);
    if (fd < 0) {
        ke_set(e, KE_IO, -1, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ke_set(e, KE_IO, -1, "not a regular file");
        close(fd);
        return NULL;
    }
    ks_reader *r = calloc(1, sizeof *r);
    if (r) r->path = strdup(path);
    if (!r || !r->path) {
        if (r) free(r);
        close(fd);
        ke_set(e, KE_NOMEM, -1, "out of memory");
        return NULL;
    }
    r->fd = fd;
    r->size = st.st_size;
    r->max_entry = max_entry ? max_entry : KS_DEFAULT_MAX_ENTRY;
    r->no_cache = no_cache;
    r->last_base = INT64_MIN;
    r->window = KS_WINDOW;
    r->end = INT64_MAX;
    r->read_end = r->size;
    r->probe_min = INT64_MAX;
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return r;
}

ks_reader *ks_part(ks_reader *reuse, const ks_reader *whole, int64_t from, int64_t to, const ks_state *s, ke_error *e)
{
    ke_clear(e);
    if (e) e->file = whole->path;
    ks_reader *r = reuse ? reuse : calloc(1, sizeof *r);
    if (!r) {
        ke_set(e, KE_NOMEM, from, "out of memory");
        return NULL;
    }
    assert(!reuse || reuse->borrowed);
    uint8_t *buf = r->buf;
    size_t cap = r->cap;
    *r = *whole;
    r->buf = buf, r->cap = cap;
    r->buf_pos = 0, r->buf_len = 0;
    r->borrowed = 1;
    r->no_cache = 0; /* the whole reader drops the file's pages when it closes */
    r->pos = from;
    r->end = to < whole->size ? to : INT64_MAX;
    r->read_end = to < whole->size - KB_HEADER_UP_TO_MAGIC ? to + KB_HEADER_UP_TO_MAGIC : whole->size;
    r->last_base = s->last_base;
    r->resume_checked = s->resume_checked;
    r->entries = s->entries;
    r->done = s->done;
    r->err_offset = -1;
    r->nomem = 0;
    r->anchored = 0;
    r->probe_min = INT64_MAX;
    return r;
}

void ks_state_of(const ks_reader *r, ks_state *s)
{
    s->last_base = r->last_base;
    s->resume_checked = r->resume_checked;
    s->entries = r->entries;
    s->done = r->done;
}

void ks_part_probes(const ks_reader *r, int *anchored, int64_t *probe_min)
{
    *anchored = r->anchored;
    *probe_min = r->probe_min;
}

int64_t ks_hop(const ks_reader *r, int64_t from, int64_t want, int *sound, int64_t *next_offset)
{
    uint8_t buf[4096];
    int64_t bpos = -1, blen = 0, at = from;
    *sound = 1;
    *next_offset = -1;
    while (at < r->size) {
        if (bpos < 0 || at + KB_HEADER_UP_TO_MAGIC > bpos + blen) {
            ssize_t n;
            do n = pread(r->fd, buf, sizeof buf, (off_t)at);
            while (n < 0 && errno == EINTR);
            bpos = at, blen = n < 0 ? 0 : n;
        }
        if (blen - (at - bpos) < KB_HEADER_UP_TO_MAGIC) break;
        const uint8_t *p = buf + (at - bpos);
        int32_t size = (int32_t)kbe32(p + 8);
        int64_t total = (int64_t)size + KB_LOG_OVERHEAD, left = r->size - at;
        if (size < KB_LEGACY_MIN_SIZE || p[16] > 2 || total > left || (size_t)total > r->max_entry) break;
        if (at > from && at - from >= want) {
            *next_offset = (int64_t)kbe64(p);
            return at;
        }
        at += total;
    }
    if (at == r->size) return at;
    *sound = 0;
    return at;
}

void ks_close(ks_reader *r)
{
    if (!r) return;
    if (r->no_cache) posix_fadvise(r->fd, 0, 0, POSIX_FADV_DONTNEED);
    if (!r->borrowed) {
        close(r->fd);
        free(r->path);
    }
    free(r->buf);
    free(r);
}

int64_t ks_size(const ks_reader *r) { return r->size; }
int64_t ks_error_offset(const ks_reader *r) { return r->err_offset; }
void ks_set_live_wait(ks_reader *r, int ms) { r->live_wait_ms = ms; }

void ks_set_window(ks_reader *r, size_t bytes)
{
    if (!r->buf) r->window = bytes < KS_MIN_WINDOW ? KS_MIN_WINDOW : bytes > KS_WINDOW ? KS_WINDOW : bytes;
}
const char *ks_path(const ks_reader *r) { return r->path; }

/* Make [at, at+need) resident in the window. Returns a pointer to it, or NULL
 * when the file ends first (it may have shrunk since we opened it) or memory
 * runs out; *got then says how many bytes are there. */
static const uint8_t *window(ks_reader *r, int64_t at, size_t need, size_t *got)
{
    int64_t end = r->buf_pos + (int64_t)r->buf_len;
    if (at >= r->buf_pos && at + (int64_t)need <= end) {
        *got = (size_t)(end - at);
        return r->buf + (at - r->buf_pos);
    }
    if (need > r->cap) {
        size_t ncap = need > r->window ? need : r->window;
        uint8_t *nb = malloc(ncap);
        if (!nb) {
            r->nomem = 1;
            *got = 0;
            return NULL;
        }
        size_t keep = at >= r->buf_pos && at < end ? (size_t)(end - at) : 0;
        if (keep) memcpy(nb, r->buf + (at - r->buf_pos), keep);
        free(r->buf);
        r->buf = nb;
        r->cap = ncap;
        r->buf_len = keep;
    } else {
        size_t keep = at >= r->buf_pos && at < end ? (size_t)(end - at) : 0;
        if (keep) memmove(r->buf, r->buf + (at - r->buf_pos), keep);
        r->buf_len = keep;
    }
    if (r->no_cache && r->buf_pos < at) posix_fadvise(r->fd, 0, at, POSIX_FADV_DONTNEED);
    r->buf_pos = at;
    while (r->buf_len < r->cap && r->buf_pos + (int64_t)r->buf_len < r->read_end) {
        int64_t want = r->read_end - r->buf_pos - (int64_t)r->buf_len;
        size_t room = r->cap - r->buf_len < (uint64_t)want ? r->cap - r->buf_len : (size_t)want;
        ssize_t n = pread(r->fd, r->buf + r->buf_len, room, r->buf_pos + (off_t)r->buf_len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        r->buf_len += (size_t)n;
    }
    *got = r->buf_len;
    return r->buf_len >= need ? r->buf : NULL;
}

/* Is everything from `at` to the end of the file zero? Reads through the
 * window; bounded by the file size. */
static int zeros_to_end(ks_reader *r, int64_t at)
{
    while (at < r->size) {
        size_t got;
        size_t want = r->size - at < (int64_t)KS_WINDOW ? (size_t)(r->size - at) : KS_WINDOW;
        const uint8_t *p = window(r, at, want, &got);
        if (!p) return 0;
        for (size_t i = 0; i < want; i++)
            if (p[i]) return 0;
        at += (int64_t)want;
    }
    return 1;
}

/* Redpanda writes little-endian 61-byte batch headers: header crc, total
 * size, base offset, type byte (formats doc, corpus README). Kafka's framing
 * reads those bytes as a negative or absurd size. */
static int looks_redpanda(const uint8_t *p, size_t n, int64_t file_size)
{
    if (n < 17) return 0;
    uint32_t sz = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    return sz >= 61 && (int64_t)sz <= file_size && p[16] < 32;
}

/* Could an entry start at `at`? Used before trusting a corrupt entry's
 * length to find the next one: the end of the file, or a header with a sane
 * size, a known magic and an offset not below the previous entry's. */
static int plausible_at(ks_reader *r, int64_t at)
{
    if (at == r->size) return 1;
    if (r->size - at < KB_HEADER_UP_TO_MAGIC) return 1; /* reported as a tail */
    size_t got;
    const uint8_t *p = window(r, at, KB_HEADER_UP_TO_MAGIC, &got);
    if (!p) return 0;
    int32_t size = (int32_t)kbe32(p + 8);
    int64_t off = (int64_t)kbe64(p);
    if (!r->anchored && off < r->probe_min) r->probe_min = off;
    return size >= KB_LEGACY_MIN_SIZE && p[16] <= 2 && at + 12 + (int64_t)size <= r->size &&
           off >= r->last_base;
}

/* The file's size now, or -1. */
static int64_t size_now(const ks_reader *r)
{
    struct stat st;
    return fstat(r->fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* Milliseconds since the file was last written, or -1. */
static int64_t ms_since_write(const ks_reader *r)
{
    struct stat st;
    struct timespec now;
    if (fstat(r->fd, &st) != 0 || clock_gettime(CLOCK_REALTIME, &now) != 0) return -1;
    return (int64_t)(now.tv_sec - st.st_mtim.tv_sec) * 1000 + (now.tv_nsec - st.st_mtim.tv_nsec) / 1000000;
}

/* Only a file written this recently can be a live broker's. */
#define KS_LIVE_MS 30000

/* A partial last entry: a broker's write still in flight, or a crash's
 * remains? The bytes cannot tell; time can. When the file was written
 * recently, watch it for up to live_wait_ms: a live broker finishes its
 * write (the file grows), a crashed one never does. */
int ks_seek(ks_reader *r, int64_t pos)
{
    if (pos < 0 || pos > r->size) return -1;
    r->pos = pos;
    r->done = 0;
    r->resume_checked = 0;
    r->last_base = INT64_MIN;
    r->err_offset = -1;
    return 0;
}

static int grows_soon(ks_reader *r)
{
    int64_t age = ms_since_write(r);
    if (r->live_wait_ms <= 0 || age < 0 || age >= KS_LIVE_MS) return 0;
    for (int waited = 0; waited < r->live_wait_ms; waited += 10) {
        struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
        nanosleep(&ten_ms, NULL);
        if (size_now(r) > r->size) return 1;
    }
    return 0;
}

/* End the walk with an error: nothing after `at` can be trusted. */
#define KS_STOP(r, e, code, at, ...)                                          \
    do {                                                                      \
        (r)->done = 1;                                                        \
        return ke_set((e), (code), (at), __VA_ARGS__);                        \
    } while (0)

static int next_entry(ks_reader *r, kb_batch *b, ke_error *e)
{
    ke_clear(e);
    if (e) e->file = r->path;
    if (r->done || r->pos >= r->end) return 0;
    int64_t at = r->pos, left = r->size - at;
    r->err_offset = -1;
    if (r->resume_checked) {
        r->resume_checked = 0;
        if (!plausible_at(r, at))
            KS_STOP(r, e, KE_CORRUPT, at,
                        "no plausible entry follows the corrupt one; %lld of %lld bytes not read",
                        (long long)left, (long long)r->size);
    }
    if (left <= 0) {
        r->done = 1;
        return 0;
    }
    size_t got;
    const uint8_t *p = window(r, at, left < KB_HEADER_UP_TO_MAGIC ? (size_t)left : KB_HEADER_UP_TO_MAGIC, &got);
    if (!p) KS_STOP(r, e, KE_LIVE, at, "the file shrank while being read (truncated by the broker): %lld bytes left of %lld",
                (long long)got, (long long)r->size);
    if (got >= 8) r->err_offset = (int64_t)kbe64(p);
    /* Zeros are no proof of a crash: a batch's first bytes are zeros for
     * any base offset below 2^24, so a write in flight may have left only
     * those so far. Growth decides, as for any partial tail. */
    if (left < KB_HEADER_UP_TO_MAGIC && (size_now(r) > r->size || grows_soon(r)))
        KS_STOP(r, e, KE_LIVE, at,
                "the last entry was still being written: the file grew from %lld to %lld bytes while being read",
                (long long)r->size, (long long)size_now(r));
    if (left < KB_HEADER_UP_TO_MAGIC) {
        if (zeros_to_end(r, at))
            KS_STOP(r, e, KE_ZERO_FILL, at, "zero-filled tail of %lld bytes", (long long)left);
        KS_STOP(r, e, KE_TRUNCATED, at,
                    "%lld trailing bytes are too short for an entry header (recovery truncates them)",
                    (long long)left);
    }
    int32_t size = (int32_t)kbe32(p + 8);
    int8_t magic = (int8_t)p[16];
    int64_t total = (int64_t)size + KB_LOG_OVERHEAD;
    if (r->entries == 0 && (size < KB_LEGACY_MIN_SIZE || magic < 0 || magic > 2 || total > left) &&
        looks_redpanda(p, got, r->size) && !zeros_to_end(r, at))
        KS_STOP(r, e, KE_FOREIGN, at,
                    "not a Kafka segment: the bytes look like a Redpanda segment (little-endian batch "
                    "headers); skipped");
    if (size < KB_LEGACY_MIN_SIZE) {
        if (zeros_to_end(r, at) && (size_now(r) > r->size || grows_soon(r)))
            KS_STOP(r, e, KE_LIVE, at,
                    "the last entry was still being written: the file grew from %lld to %lld bytes while being read",
                    (long long)r->size, (long long)size_now(r));
        if (zeros_to_end(r, at))
            KS_STOP(r, e, KE_ZERO_FILL, at,
                        "zero-filled region of %lld bytes up to the end of the file (preallocated or "
                        "crashed segment; recovery truncates here)", (long long)left);
        KS_STOP(r, e, KE_CORRUPT, at,
                    "entry size %lld is below the minimum of 14 (recovery truncates here; %lld bytes not read)",
                    (long long)size, (long long)left);
    }
    if (magic < 0 || magic > 2)
        KS_STOP(r, e, KE_CORRUPT, at,
                    "unknown magic byte %lld: not an entry boundary (%lld bytes not read)",
                    (long long)magic, (long long)left);
    if (total > left && size_now(r) > r->size)
        KS_STOP(r, e, KE_LIVE, at,
                "the last entry was still being written: the file grew from %lld to %lld bytes while being read",
                (long long)r->size, (long long)size_now(r));
    if (total > left && (size_t)total <= r->max_entry && grows_soon(r))
        KS_STOP(r, e, KE_LIVE, at,
                "the last entry was still being written (%lld of %lld bytes present, and the file grew while we "
                "watched): a live broker",
                (long long)left, (long long)total);
    if (total > left) {
        if ((size_t)total > r->max_entry)
            KS_STOP(r, e, KE_CORRUPT, at,
                        "absurd entry length %lld with %lld bytes left in the file (recovery truncates here)",
                        (long long)size, (long long)left);
        KS_STOP(r, e, KE_TRUNCATED, at,
                    "partial entry at the end: it declares %lld bytes, %lld are present (recovery truncates it)",
                    (long long)total, (long long)left);
    }
    if ((size_t)total > r->max_entry) {
        r->pos = at + total;
        r->resume_checked = 1;
        return ke_set(e, KE_TOO_LARGE, at, "entry of %lld bytes is over the cap of %zu bytes; skipped",
                      (long long)total, r->max_entry);
    }
    p = window(r, at, (size_t)total, &got);
    if (!p) {
        r->done = 1;
        return ke_set(e, KE_LIVE, at, "the file shrank while being read (truncated by the broker): %lld bytes "
                      "left of a %lld-byte entry", (long long)got, (long long)total);
    }
    r->pos = at + total;
    int rc = kb_parse(p, (size_t)total, at, b, e);
    if (rc < 0) {
        r->resume_checked = 1;
        return rc;
    }
    r->entries++;
    if (!b->crc_valid) r->resume_checked = 1;
    else r->last_base = b->base_offset, r->anchored = 1;
    return 1;
}

int ks_next(ks_reader *r, kb_batch *b, ke_error *e)
{
    r->nomem = 0;
    int64_t at = r->pos;
    int rc = next_entry(r, b, e);
    /* A verdict reached on a window that could not be read is no verdict:
     * the bytes were never seen. */
    if (rc < 0 && r->nomem) {
        r->done = 1;
        return ke_set(e, KE_NOMEM, at, "out of memory for the read window; %lld bytes not read",
                      (long long)(r->size - at));
    }
    return rc;
}

int ks_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len, ke_error *e)
{
    ke_clear(e);
    if (e) e->file = path;
    *buf = NULL;
    *len = 0;
    int fd = open_ro(path);
    KE_RET_IF(fd < 0, e, KE_IO, -1, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ke_set(e, KE_IO, -1, "not a regular file");
    }
    if ((uint64_t)st.st_size > cap) {
        close(fd);
        return ke_set(e, KE_TOO_LARGE, -1, "file of %lld bytes is over the %zu-byte cap for this kind",
                      (long long)st.st_size, cap);
    }
    if (st.st_size == 0) {
        close(fd);
        return 0;
    }
    uint8_t *p = malloc((size_t)st.st_size);
    if (!p) {
        close(fd);
        return ke_set(e, KE_NOMEM, -1, "out of memory");
    }
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t k = pread(fd, p + n, (size_t)st.st_size - n, (off_t)n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break; /* the file shrank: keep what is there */
        n += (size_t)k;
    }
    close(fd);
    *buf = p;
    *len = n;
    return 0;
}
