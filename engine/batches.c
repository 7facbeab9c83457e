/* batches.c - see batches.h. */
#include "batches.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/codec.h"

/* What eb_open_near reads at once where it seeks: a few batches. */
#define EB_NEAR_WINDOW ((size_t)256 << 10)

void eb_open(eb_stream *s, const kl_partition *kp, int64_t from, size_t max_entry, bool no_cache)
{
    memset(s, 0, sizeof *s);
    s->kp = kp, s->max_entry = max_entry, s->no_cache = no_cache;
    /* Start at the last segment based at or below `from`: the ones before
     * it end below it. */
    for (size_t i = 0; i < kp->nfiles; i++)
        if (kp->files[i].kind == KL_SEGMENT && kp->files[i].base_offset <= from) s->next_file = i;
    s->seek = -1;
}

/* Entry i of an offset index (8 bytes: relative offset, position, both
 * big-endian 32-bit; formats doc 2.1) into *rel and *pos. false when it
 * cannot be read. */
static bool index_entry(int fd, uint64_t i, uint32_t *rel, uint32_t *pos)
{
    uint8_t e[8];
    for (size_t got = 0; got < sizeof e;) {
        ssize_t n = pread(fd, e + got, sizeof e - got, (off_t)(i * 8 + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += (size_t)n;
    }
    *rel = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
    *pos = (uint32_t)e[4] << 24 | (uint32_t)e[5] << 16 | (uint32_t)e[6] << 8 | e[7];
    return true;
}

/* The position the offset index at `path` (of a segment based at `base`)
 * gives for `offset`: the last entry at or below it (an entry names a
 * batch's last offset and where the batch starts, so the batch holding
 * `offset` starts there or later), or 0. A broker preallocates the active
 * segment's index with zeros: an all-zero entry after the first ends it. */
static int64_t index_position(const char *path, int64_t base, int64_t offset)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return 0;
    struct stat st;
    int64_t best = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && offset >= base && offset - base <= UINT32_MAX) {
        uint32_t want = (uint32_t)(offset - base), rel, pos;
        uint64_t lo = 0, hi = (uint64_t)st.st_size / 8; /* entries [lo, hi) not yet ruled out */
        while (lo < hi) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (!index_entry(fd, mid, &rel, &pos)) break;
            if ((mid > 0 && rel == 0 && pos == 0) || rel > want) {
                hi = mid;
            } else {
                best = pos;
                lo = mid + 1;
            }
        }
    }
    close(fd);
    return best;
}

void eb_open_near(eb_stream *s, const kl_partition *kp, int64_t offset, size_t max_entry, bool no_cache,
                  int64_t hint)
{
    eb_open(s, kp, offset, max_entry, no_cache);
    const kl_file *seg = s->next_file < kp->nfiles ? &kp->files[s->next_file] : NULL;
    if (!seg || seg->kind != KL_SEGMENT) return;
    int64_t pos = hint > 0 ? hint : 0;
    for (size_t i = s->next_file + 1; i < kp->nfiles && kp->files[i].base_offset == seg->base_offset; i++)
        if (kp->files[i].kind == KL_OFFSET_INDEX) {
            int64_t at = index_position(kp->files[i].path, seg->base_offset, offset);
            if (at > pos) pos = at;
            break;
        }
    if (pos > 0) s->seek = pos, s->target = offset, s->seek_file = s->next_file;
}

size_t eb_first_file(const eb_stream *s) { return s->next_file; }

size_t eb_file(const eb_stream *s) { return s->next_file ? s->next_file - 1 : 0; }

int eb_control_type(kb_batch *b)
{
    if (!b->is_control || b->magic < 2 || b->codec != KC_NONE) return KB_CTRL_UNKNOWN;
    kb_iter it;
    kb_record rec;
    ke_error e;
    int type = KB_CTRL_UNKNOWN;
    int32_t coordinator_epoch;
    if (kb_iter_open(&it, b, NULL, &e) < 0 || kb_iter_next(&it, &rec, &e) != 1 ||
        kb_control_parse(&rec, &type, &coordinator_epoch, &e) < 0)
        return KB_CTRL_UNKNOWN;
    return type == KB_CTRL_COMMIT || type == KB_CTRL_ABORT ? type : KB_CTRL_UNKNOWN;
}

void eb_close(eb_stream *s)
{
    kw_close(s->w);
    s->w = NULL;
}

bool eb_next(eb_stream *s)
{
    s->have = false;
    for (;;) {
        while (!s->w) {
            if (s->next_file >= s->kp->nfiles) return false;
            const kl_file *f = &s->kp->files[s->next_file++];
            if (f->kind != KL_SEGMENT) continue;
            ke_error e;
            if (!(s->w = kw_open(f->path, s->max_entry, s->no_cache, 0, &e))) s->failed = true;
            else if (s->seek > 0 && s->next_file - 1 == s->seek_file) {
                kw_set_window(s->w, EB_NEAR_WINDOW); /* a few batches from there */
                if (kw_seek(s->w, s->seek) < 0) s->seek = -1;
            }
        }
        ke_error e;
        int64_t entry;
        int got;
        bool seeking = s->seek > 0 && s->next_file - 1 == s->seek_file;
        while ((got = kw_next(s->w, &s->b, &e, &entry)) != KW_END) {
            if (got == KW_BATCH && seeking && s->b.base_offset > s->target) break; /* the index was wrong */
            if (got == KW_BATCH) {
                s->seek = -1;
                return s->have = true;
            }
            if (!seeking) s->skipped++;
        }
        eb_close(s);
        if (seeking) { /* nothing sound where the index pointed: the segment from its start */
            s->seek = -1;
            s->next_file = s->seek_file;
        }
    }
}
