/* batches.c - see batches.h. */
#include "batches.h"

#include <string.h>

#include "reader/codec.h"

void eb_open(eb_stream *s, const kl_partition *kp, int64_t from, size_t max_entry, bool no_cache)
{
    memset(s, 0, sizeof *s);
    s->kp = kp, s->max_entry = max_entry, s->no_cache = no_cache;
    /* Start at the last segment based at or below `from`: the ones before
     * it end below it. */
    for (size_t i = 0; i < kp->nfiles; i++)
        if (kp->files[i].kind == KL_SEGMENT && kp->files[i].base_offset <= from) s->next_file = i;
}

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
        }
        ke_error e;
        int64_t entry;
        int got;
        while ((got = kw_next(s->w, &s->b, &e, &entry)) != KW_END)
            if (got == KW_BATCH) return s->have = true;
            else s->skipped++;
        eb_close(s);
    }
}
