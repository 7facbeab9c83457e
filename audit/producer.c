/*
 * producer.c - the broker's producer state, replayed (formats doc 7.2-7.8):
 * per producer id its epoch, its last sequences (the five batches the broker
 * remembers), its open transaction and coordinator epoch; the epoch,
 * sequence and transaction checks of each data batch and marker; a
 * producer forgotten when the broker would have forgotten it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/types.h"
#include "state.h"

/* Sequence distance from `from` forward to `to`, modulo the wrap (1.8). */
static int64_t seq_forward(int32_t from, int32_t to)
{
    const int64_t m = (int64_t)INT32_MAX + 1;
    int64_t d = ((int64_t)to - from) % m;
    return d < 0 ? d + m : d;
}

static size_t pmap_slot(const ka_partition *p, int64_t pid)
{
    uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (p->pmap_cap - 1);
    while (p->pmap[i] && p->prods[p->pmap[i] - 1].pid != pid) i = (i + 1) & (p->pmap_cap - 1);
    return i;
}

ka_prod *ka_prod_find(ka_partition *p, int64_t pid)
{
    if (!p->pmap_cap) return NULL;
    uint32_t v = p->pmap[pmap_slot(p, pid)];
    return v ? &p->prods[v - 1] : NULL;
}

/* The entry of `pid`, created empty (unknown producer) when absent. */
ka_prod *ka_prod_get(ka_partition *p, int64_t pid)
{
    ka_prod *x = ka_prod_find(p, pid);
    if (x) return x;
    if ((p->nprods + 1) * 2 > p->pmap_cap) {
        size_t ncap = p->pmap_cap ? p->pmap_cap * 2 : 64;
        if (ka_state_room(p, (ncap - p->pmap_cap) * sizeof *p->pmap, "the state of a producer") < 0) return NULL;
        uint32_t *nm = calloc(ncap, sizeof *nm);
        if (!nm) return ka_oom(p, "the state of a producer"), NULL;
        free(p->pmap);
        p->pmap = nm;
        p->pmap_cap = ncap;
        for (size_t i = 0; i < p->nprods; i++) p->pmap[pmap_slot(p, p->prods[i].pid)] = (uint32_t)i + 1;
    }
    if (GROW_STATE(p, p->prods, p->nprods, p->capprods, "the state of a producer") < 0) return NULL;
    x = &p->prods[p->nprods];
    memset(x, 0, sizeof *x);
    x->pid = pid;
    x->epoch = -1;
    x->last_seq = -1;
    x->last_offset = -1;
    x->last_ts = -1;
    x->coord_epoch = -1;
    x->bumped_from = -1;
    x->txn_first = -1;
    x->first_off = -1;
    x->data_last_seq = -1;
    x->sess_first = -1;
    p->pmap[pmap_slot(p, pid)] = (uint32_t)++p->nprods;
    return x;
}

/* Forget a producer's state as the broker does when it expires (7.8). */
void ka_prod_forget(ka_prod *x)
{
    x->known = x->has_batch = x->seq_unknown = false;
    x->bumped_from = -1;
    x->epoch = -1;
    x->last_seq = -1;
    x->last_offset = -1;
    x->nrecent = 0;
    x->coord_epoch = -1;
}

static void prod_push_recent(ka_prod *x, int32_t first, int32_t last, bool in_log)
{
    if (x->nrecent == KA_RECENT) {
        memmove(x->recent, x->recent + 1, (KA_RECENT - 1) * sizeof x->recent[0]);
        x->nrecent--;
    }
    x->recent[x->nrecent].first = first;
    x->recent[x->nrecent].last = last;
    x->recent[x->nrecent].in_log = in_log;
    x->recent[x->nrecent].idsum = 0;
    x->recent[x->nrecent].idn = -1;
    x->nrecent++;
}

void ka_seed_snapshot(ka_partition *p, int64_t offset, const kp_snapshot *s)
{
    if (p->light) return; /* read and parsed: the state it holds is the full copy's to check */
    (void)offset;
    for (size_t i = 0; i < s->n; i++) {
        kp_entry e;
        if (kp_entry_at(s, i, &e, NULL) < 0) continue;
        ka_prod *x = ka_prod_get(p, e.producer_id);
        if (!x) return;
        x->known = true;
        x->epoch = e.epoch;
        x->has_batch = kp_has_batch(&e);
        x->last_seq = e.last_sequence;
        x->last_offset = e.last_offset;
        x->offset_delta = e.offset_delta;
        x->last_ts = e.timestamp;
        x->coord_epoch = e.coordinator_epoch;
        x->txn_first = e.current_txn_first_offset;
        x->txn_first_ts = e.timestamp;
        if (x->has_batch) prod_push_recent(x, kp_first_sequence(&e), e.last_sequence, false);
    }
}

/* Epoch and sequence of a data batch of an idempotent producer (7.3-7.5). */
void ka_producer_data(ka_partition *p, ka_prod *x)
{
    const kb_batch *b = &p->cur;
    rm_finding *f;
    if (x->known && b->producer_epoch < x->epoch) {
        if ((f = ka_emit(p, RT_EPOCH_REGRESSION, RTV_EPOCH_DATA, RM_ERROR, b->base_offset, b->max_timestamp))) {
            ka_at_batch(p, f);
            rm_field_int(f, "previous_epoch", x->epoch);
        }
        return; /* a zombie's batch does not move the producer's state */
    }
    /* Coordinators write every batch with sequence 0 (7.1): no repeats there. */
    if (!p->coordinator && x->known && b->producer_epoch == x->epoch && x->has_batch) {
        for (int i = 0; i < x->nrecent; i++)
            if (x->recent[i].first == b->base_sequence && x->recent[i].last == b->last_sequence) {
                p->cur_repeat = true;
                p->cur_repeat_unseen = !x->recent[i].in_log;
            }
    }
    if (p->cur_repeat) return; /* what the broker should have dropped: checked as a duplicate */
    bool new_epoch = x->known && b->producer_epoch != x->epoch;
    bool reset_expected = x->known && b->producer_epoch == x->epoch && !x->has_batch && !x->seq_unknown;
    if (!p->coordinator && (new_epoch || reset_expected) && b->base_sequence != 0 && x->epoch >= 0 &&
        (f = ka_emit(p, RT_EPOCH_SEQUENCE_NOT_RESET, 0, RM_WARNING, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_int(f, "previous_epoch", reset_expected && x->bumped_from >= 0 ? x->bumped_from : x->epoch);
        rm_field_int(f, "actual_sequence", b->base_sequence);
    }
    if (!p->coordinator && x->known && !new_epoch && x->has_batch) {
        int32_t expected = kb_seq_add(x->last_seq, 1);
        int64_t ahead = seq_forward(expected, b->base_sequence);
        /* The cleaner removes whole batches (1.10): sequences missing where
         * as many offsets went missing since this producer's last batch
         * are its cleaned batches, not lost data. */
        bool cleaned = ahead < ((int64_t)1 << 30) && ahead <= wsub(p->holes, x->holes_at);
        if (b->base_sequence != expected && ahead != 0 && !cleaned) {
            bool gap = ahead < ((int64_t)1 << 30);
            int type = gap ? RT_SEQUENCE_GAP : RT_SEQUENCE_REGRESSION;
            if ((f = ka_emit(p, type, RTV_SEQUENCE_BACK, gap ? RM_WARNING : RM_ERROR, b->base_offset, b->max_timestamp))) {
                ka_at_batch(p, f);
                rm_field_int(f, "expected_sequence", expected);
                rm_field_int(f, "actual_sequence", b->base_sequence);
                if (gap) rm_field_int(f, "missing", ahead);
                rm_field_int(f, "last_sequence", x->last_seq);
            }
        }
    }
    if (b->producer_epoch != x->epoch) x->nrecent = 0;
    x->known = x->has_batch = true;
    x->seq_unknown = false;
    x->bumped_from = -1;
    x->epoch = b->producer_epoch;
    x->last_seq = b->last_sequence;
    x->last_offset = b->last_offset;
    x->offset_delta = b->last_offset_delta;
    prod_push_recent(x, b->base_sequence, b->last_sequence, true);
}

/* Transactions (7.6). */
void ka_producer_txn(ka_partition *p, ka_prod *x)
{
    const kb_batch *b = &p->cur;
    if (b->is_transactional) {
        if (x->txn_first < 0) {
            x->txn_first = b->base_offset;
            x->txn_first_ts = b->max_timestamp;
        }
        return;
    }
    if (x->txn_first < 0) return;
    rm_finding *f = ka_emit(p, RT_NON_TRANSACTIONAL_IN_TRANSACTION, 0, RM_ERROR, b->base_offset, b->max_timestamp);
    if (!f) return;
    ka_at_batch(p, f);
    rm_field_int(f, "first_offset", x->txn_first);
}

/* A COMMIT or ABORT marker (7.6). */
void ka_marker(ka_partition *p)
{
    const kb_batch *b = &p->cur;
    ka_prod *x = ka_prod_get(p, b->producer_id);
    if (!x) return;
    rm_finding *f;
    if (x->known && x->txn_first < 0 && x->last_ts >= 0 && wsub(p->ctrl_ts, x->last_ts) >= p->o->producer_expiration_ms)
        ka_prod_forget(x);
    if (x->known && b->producer_epoch < x->epoch &&
        (f = ka_emit(p, RT_EPOCH_REGRESSION, RTV_EPOCH_MARKER, RM_ERROR, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_int(f, "previous_epoch", x->epoch);
        rm_field_str(f, "marker", kb_control_name(p->ctrl_type));
    }
    if (x->coord_epoch >= 0 && p->ctrl_epoch < x->coord_epoch &&
        (f = ka_emit(p, RT_COORDINATOR_EPOCH_REGRESSION, 0, RM_ERROR, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_int(f, "coordinator_epoch", p->ctrl_epoch);
        rm_field_int(f, "previous_coordinator_epoch", x->coord_epoch);
        rm_field_str(f, "marker", kb_control_name(p->ctrl_type));
    }
    if (x->txn_first >= 0) {
        for (size_t i = 0; i < x->npend && p->ctrl_type == KB_CTRL_COMMIT; i++)
            ka_dup_put(p, x->pend[i].lo, x->pend[i].hi, x->pend[i].aux, x->pend[i].offset, x->pend[i].timestamp,
                      x->pend[i].batch, x, NULL, &x->pend[i].key, &x->pend[i].value);
        if (p->ctrl_type == KB_CTRL_COMMIT) ka_run_flush(p);
        x->npend = 0;
        x->ntb = 0;
        x->txn_first = -1;
    } else if (x->seen && (f = ka_emit(p, RT_ORPHAN_MARKER, 0, RM_INFO, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_str(f, "marker", kb_control_name(p->ctrl_type));
    }
    if (b->producer_epoch > x->epoch) {
        /* TV2 (7.7): a marker above the epoch of the producer's data bumps
         * it, and the next epoch's data restarts at 0. A marker is all the
         * log shows of a producer whose data lies before the log start
         * (7.8), or was cleaned away: it tells the epoch (a TV0/1 marker
         * carries its data's), not where its sequences stand. */
        bool after_data = x->known && x->has_batch;
        x->bumped_from = after_data ? x->epoch : -1;
        x->seq_unknown = !after_data;
        x->epoch = b->producer_epoch;
        x->has_batch = false;
        x->nrecent = 0;
    }
    x->known = true;
    x->seen = true;
    x->coord_epoch = p->ctrl_epoch;
    x->last_ts = p->ctrl_ts;
}
