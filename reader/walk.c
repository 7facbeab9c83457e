/* walk.c - see walk.h. */
#include "walk.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

struct kw_walk {
    ks_reader *r;
};

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
    return w;
}

void kw_close(kw_walk *w)
{
    if (!w) return;
    ks_close(w->r);
    free(w);
}

int64_t kw_size(const kw_walk *w) { return ks_size(w->r); }

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
