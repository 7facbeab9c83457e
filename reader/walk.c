/* walk.c - see walk.h. */
#include "walk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kw_walk {
    ks_reader *r;
    int64_t seg_base;    /* the base offset the segment's name gives, -1 when not named like one */
};

/* The base offset in a segment's name (20 digits, ".log"), or -1. */
static int64_t name_base(const char *path)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    if (strlen(s) != 24 || strcmp(s + 20, ".log") != 0) return -1;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - (s[i] - '0')) / 10) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

kw_walk *kw_open(const char *path, size_t max_entry, bool no_cache, int live_wait_ms, ke_error *e)
{
    ks_reader *r = ks_open(path, max_entry, no_cache, e);
    if (!r) {
        if (access(path, F_OK) != 0 && errno == ENOENT)
            ke_set(e, KE_LIVE, -1, "the file disappeared before it could be read (deleted or renamed by the broker)");
        e->file = path;
        return NULL;
    }
    kw_walk *w = malloc(sizeof *w);
    if (!w) {
        ks_close(r);
        ke_set(e, KE_NOMEM, -1, "out of memory opening a segment");
        e->file = path;
        return NULL;
    }
    ks_set_live_wait(r, live_wait_ms);
    w->r = r;
    w->seg_base = name_base(path);
    return w;
}

void kw_close(kw_walk *w)
{
    if (!w) return;
    ks_close(w->r);
    free(w);
}

int64_t kw_size(const kw_walk *w) { return ks_size(w->r); }

int kw_seek(kw_walk *w, int64_t pos) { return ks_seek(w->r, pos); }

void kw_set_window(kw_walk *w, size_t bytes) { ks_set_window(w->r, bytes); }

ks_reader *kw_reader(kw_walk *w) { return w->r; }

kw_walk *kw_part(kw_walk *reuse, const kw_walk *whole, int64_t from, int64_t to, const ks_state *s, ke_error *e)
{
    kw_walk *w = reuse ? reuse : calloc(1, sizeof *w);
    ks_reader *r = w ? ks_part(reuse ? reuse->r : NULL, whole->r, from, to, s, e) : NULL;
    if (!r) {
        if (w) w->r = NULL;
        kw_close(w);
        ke_set(e, KE_NOMEM, from, "out of memory reading a segment in parts");
        e->file = ks_path(whole->r);
        return NULL;
    }
    w->r = r;
    w->seg_base = whole->seg_base;
    return w;
}

int kw_next(kw_walk *w, kb_batch *b, ke_error *e, int64_t *entry_offset)
{
    *entry_offset = -1;
    int rc = ks_next(w->r, b, e);
    if (rc == 0) return KW_END;
    e->file = ks_path(w->r);
    if (rc < 0) {
        *entry_offset = ks_error_offset(w->r);
        return KW_ERROR;
    }
    /* A segment holds offsets from its base (its name) to base + 2^31 - 1:
     * indexes store them as 32-bit deltas, and log recovery throws
     * LogSegmentOffsetOverflowException for a batch whose last offset is
     * outside (LogSegment.recover, after the checksum). No broker appends
     * below a segment's base either: it is named after its first offset. */
    int64_t rel_first, rel_last;
    if (b->crc_valid && w->seg_base >= 0 &&
        (__builtin_sub_overflow(b->base_offset, w->seg_base, &rel_first) ||
         __builtin_sub_overflow(b->last_offset, w->seg_base, &rel_last) || rel_first < 0 || rel_last < 0 ||
         rel_last > INT32_MAX)) {
        ke_set(e, KE_CORRUPT, b->pos,
               "batch at offset %" PRId64 ": offsets %" PRId64 "..%" PRId64 " lie outside the segment's %" PRId64
               "..%" PRId64 " (an index holds offsets as 31-bit deltas from the base; log recovery throws on it)",
               b->base_offset, b->base_offset, b->last_offset, w->seg_base,
               w->seg_base > INT64_MAX - INT32_MAX ? INT64_MAX : w->seg_base + INT32_MAX);
        e->file = ks_path(w->r);
        *entry_offset = b->base_offset;
        return KW_BAD_CRC;
    }
    if (b->crc_valid) return KW_BATCH;
    ke_set(e, KE_CRC, b->pos, "checksum mismatch (%s stored 0x%08x, computed 0x%08x) in the batch at offset %" PRId64,
           b->magic == 2 ? "CRC-32C" : "CRC-32", b->crc, b->crc_computed, b->base_offset);
    e->file = ks_path(w->r);
    *entry_offset = b->base_offset;
    return KW_BAD_CRC;
}

int kw_records(kw_walk *w, kb_batch *b, kb_iter *it, kc_ctx *dc, ke_error *e)
{
    ke_clear(e);
    int rc = kb_iter_open(it, b, dc, e);
    e->file = ks_path(w->r);
    return rc;
}
