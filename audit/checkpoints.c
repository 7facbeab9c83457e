/*
 * checkpoints.c - what the partition's other files say, against the log:
 * producer snapshots (formats doc 5, 7.9) compared with the state rebuilt
 * up to their offset, leader-epoch-checkpoint (6.1) with the first batch of
 * each leader epoch, and the log start offset of log-start-offset-checkpoint.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/types.h"
#include "state.h"

void ka_check_snapshot(ka_partition *p, int64_t offset, const char *file, const kp_snapshot *s)
{
    if (p->light) return;
    ka_snap *ns = realloc(p->snaps, (p->nsnaps + 1) * sizeof *ns);
    if (!ns) {
        ka_oom(p, "a producer snapshot to compare");
        return;
    }
    p->snaps = ns;
    ka_snap *x = &ns[p->nsnaps];
    x->offset = offset;
    x->file = strdup(file);
    x->e = s->n ? malloc(s->n * sizeof *x->e) : NULL;
    x->n = 0;
    if (!x->file || (s->n && !x->e)) ka_oom(p, "a producer snapshot to compare");
    for (size_t i = 0; x->e && i < s->n; i++)
        if (kp_entry_at(s, i, &x->e[x->n], NULL) == 0) x->n++;
    p->nsnaps++;
}

void ka_leader_epochs(ka_partition *p, const char *file, const kk_checkpoint *c)
{
    free(p->ckpt);
    free(p->ckpt_file);
    p->ckpt = c->n ? malloc(c->n * sizeof *p->ckpt) : NULL;
    p->nckpt = p->ckpt ? c->n : 0;
    for (size_t i = 0; i < p->nckpt; i++) {
        p->ckpt[i].epoch = c->entries[i].epoch;
        p->ckpt[i].start = c->entries[i].offset;
    }
    p->ckpt_file = strdup(file);
    p->have_ckpt = true;
    if (!p->ckpt_file || (c->n && !p->ckpt)) ka_oom(p, "the leader-epoch checkpoint");
}

void ka_log_start(ka_partition *p, int64_t offset) { p->log_start = offset; }

void ka_snapshot_compare(ka_partition *p, const ka_snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const kp_entry *e = &s->e[i];
        ka_prod *x = ka_prod_find(p, e->producer_id);
        /* A producer the log never showed a batch of (its data is before
         * the log start) cannot be checked. */
        if (!x || !x->has_batch || !x->seen) continue;
        const char *field = NULL;
        int64_t sv = 0, lv = 0;
        if (e->epoch != x->epoch) field = "producer_epoch", sv = e->epoch, lv = x->epoch;
        else if (e->last_sequence != x->last_seq) field = "last_sequence", sv = e->last_sequence, lv = x->last_seq;
        else if (e->last_offset != x->last_offset) field = "last_offset", sv = e->last_offset, lv = x->last_offset;
        else if (e->offset_delta != x->offset_delta) field = "offset_delta", sv = e->offset_delta, lv = x->offset_delta;
        else if (e->current_txn_first_offset != x->txn_first)
            field = "current_txn_first_offset", sv = e->current_txn_first_offset, lv = x->txn_first;
        else if (x->coord_epoch >= 0 && e->coordinator_epoch != x->coord_epoch)
            field = "coordinator_epoch", sv = e->coordinator_epoch, lv = x->coord_epoch;
        if (!field) continue;
        rm_finding *f = ka_emit(p, RT_SNAPSHOT_MISMATCH, 0, RM_WARNING, s->offset, -1);
        if (!f) continue;
        ka_set_producer(f, e->producer_id, e->epoch);
        rm_field_int(f, "snapshot_offset", s->offset);
        rm_field_str(f, "file", s->file);
        rm_field_str(f, "field", field);
        rm_field_int(f, "snapshot_value", sv);
        rm_field_int(f, "log_value", lv);
    }
}

/* Compare the partition's leader epochs with leader-epoch-checkpoint (6.1). */
void ka_epochs_compare(ka_partition *p)
{
    if (!p->have_ckpt) return;
    for (size_t i = 0; i < p->nepochs; i++) {
        ka_epoch l = p->epochs[i];
        /* When the log start moved (DeleteRecords, retention), the broker
         * dropped the epochs wholly below it and moved the start of the one
         * holding it (LeaderEpochFileCache.truncateFromStart). */
        if (p->log_start > l.start) {
            if (i + 1 < p->nepochs && p->epochs[i + 1].start <= p->log_start) continue;
            l.start = p->log_start;
        }
        const ka_epoch *c = NULL;
        for (size_t j = 0; j < p->nckpt && !c; j++)
            if (p->ckpt[j].epoch == l.epoch) c = &p->ckpt[j];
        /* The first epoch still in the log may have begun before its first
         * batch still here (segments deleted by retention), and any epoch
         * before its first surviving batch when the cleaner removed the
         * batches in between (no batch lies between the two). */
        if (c && (c->start == l.start || (c->start < l.start && (i == 0 || c->start > l.prev_end)))) continue;
        rm_finding *f =
            ka_emit(p, RT_LEADER_EPOCH_CHECKPOINT_MISMATCH, c ? RTV_CHECKPOINT_DIFFERS : RTV_CHECKPOINT_MISSING,
                 RM_WARNING, l.start, -1);
        if (!f) continue;
        rm_field_int(f, "leader_epoch", l.epoch);
        rm_field_int(f, "log_start_offset", l.start);
        rm_field_int(f, "checkpoint_start_offset", c ? c->start : -1);
        rm_field_str(f, "file", p->ckpt_file ? p->ckpt_file : "");
    }
}
