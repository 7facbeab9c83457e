/*
 * idrecords.c - a partition's records under its topic's --identity
 * (identity.h): each visible record's identity and facts to the engine's
 * sink, a committed transaction's at its marker, and the partition's
 * counts of records with and without one (rm_identity). The comparison
 * itself spans the topic's partitions: the engine's (engine/identity.h).
 */
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* Records of open transactions held at most, per partition: past it, a
 * transactional record falls back to the byte check (counted). */
#define KID_PENDING_MAX 4096

/* The reason a record past KID_PENDING_MAX counts under. */
#define KID_MISS_TXN_FULL KID_MISS_COUNT

void ka_identity_sink(ka_partition *p, const kid_sink *sink) { p->id_sink = sink; }

void ka_identity_init(ka_partition *p)
{
    const kid_spec *s = kid_rules_match(p->o->identity, p->topic);
    if (!s) {
        if (!p->rule) ka_suggest_start(p);
        return;
    }
    rm_identity *id = calloc(1, sizeof *id);
    if (!id || !(id->spec = strdup(s->text))) {
        free(id);
        ka_oom(p, "the identity's counts");
        return;
    }
    for (int i = 0; i < KID_MISS_COUNT; i++) id->reason[i] = kid_miss_name(i);
    id->reason[KID_MISS_TXN_FULL] = "open_transaction_over_memory";
    _Static_assert(KID_MISS_COUNT + 1 <= RM_IDENTITY_REASONS, "every reason has its count");
    p->r->partitions[p->index].identity = id;
    p->id_spec = s;
    p->id_vcache = calloc(1, sizeof *p->id_vcache); /* NULL: only slower */
}

static rm_identity *counts(ka_partition *p) { return p->r->partitions[p->index].identity; }

static void put(ka_partition *p, const kid_entry *e)
{
    counts(p)->records++;
    if (p->id_sink) p->id_sink->put(p->id_sink->ctx, e);
}

static void missing(ka_partition *p, int reason)
{
    rm_identity *id = counts(p);
    id->missing++;
    id->by_reason[reason]++;
}

bool ka_identity_record(ka_partition *p, const kb_record *r)
{
    kid_ident id;
    uint64_t stable;
    int miss = kid_identity_stable(p->id_spec, r, &id, &stable, p->id_vcache);
    if (miss) {
        missing(p, miss - 1);
        return false;
    }
    const kb_batch *b = &p->cur;
    kid_entry e;
    memset(&e, 0, sizeof e);
    e.id_lo = id.lo, e.id_hi = id.hi;
    uint64_t kv;
    e.content = kid_content(r, &kv);
    /* The bytes the byte index would have compared (ka_fingerprint), for a
     * batch that repeats a recent one's sequences (ka_identity_batch_end);
     * as there, a transaction's records are not the batch's. */
    if (!b->is_transactional && p->cur_bidx != KQ_EMPTY) {
        p->cur_idsum += p->o->dup_include_headers ? e.content : kv;
        p->cur_idn++;
    }
    e.stable = stable;
    e.offset = r->offset;
    e.ts = r->client_timestamp;
    e.producer_id = b->producer_id;
    int64_t delta = wsub(r->offset, b->base_offset);
    e.delta = delta >= 0 && delta <= INT32_MAX ? (int32_t)delta : -1;
    const ka_prod *x = b->producer_id >= 0 ? ka_prod_find(p, b->producer_id) : NULL;
    if (x && x->sess_first >= 0) {
        int64_t pos = x->sess_records - b->count + delta;
        if (pos >= 0 && pos < KID_SESSION_START) e.flags |= KID_F_EARLY;
    }
    e.crc = b->crc;
    e.sequence = r->sequence;
    e.epoch = b->producer_epoch;
    if (b->is_transactional) e.flags |= KID_F_TXN;
    if (b->count == 1) e.flags |= KID_F_SINGLE;
    const ka_options *o = p->o;
    if (p->cur_window && r->offset >= o->off_lo && r->offset <= o->off_hi) e.flags |= KID_F_SCOPE;
    if (!b->is_transactional || b->producer_id < 0) {
        put(p, &e);
        return true;
    }
    /* Visible only once its transaction commits. */
    if (p->nid_pend == KID_PENDING_MAX || GROW(p->id_pend, p->nid_pend, p->capid_pend) < 0) {
        missing(p, KID_MISS_TXN_FULL);
        return false;
    }
    p->id_pend[p->nid_pend++] = e;
    return true;
}

void ka_identity_batch_end(ka_partition *p)
{
    const kb_batch *b = &p->cur;
    ka_prod *x = b->producer_id >= 0 ? ka_prod_find(p, b->producer_id) : NULL;
    if (!x || b->producer_epoch != x->epoch) return; /* a zombie's batch: not one of the producer's recent */
    /* The newest batch of these sequences: this one when it is no repeat
     * (ka_producer_data pushed it), else the first copy. */
    for (int i = x->nrecent - 1; i >= 0; i--) {
        if (x->recent[i].first != b->base_sequence || x->recent[i].last != b->last_sequence || !x->recent[i].in_log)
            continue;
        if (!p->cur_repeat) x->recent[i].idsum = p->cur_idsum, x->recent[i].idn = p->cur_idn;
        else if (x->recent[i].idn == p->cur_idn && x->recent[i].idsum == p->cur_idsum) p->cur_dups += p->cur_idn;
        return;
    }
}

void ka_identity_marker(ka_partition *p, int64_t pid, bool commit)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nid_pend; i++) {
        if (p->id_pend[i].producer_id != pid) p->id_pend[n++] = p->id_pend[i];
        else if (commit) put(p, &p->id_pend[i]);
    }
    p->nid_pend = n;
}

void ka_identity_end(ka_partition *p)
{
    p->nid_pend = 0;
    if (!p->light) ka_suggest_end(p);
    ka_suggest_free(p);
    if (p->light && p->id_spec) { /* another copy is audited in full: no facts here */
        rm_identity *id = counts(p);
        free(id->spec);
        free(id);
        p->r->partitions[p->index].identity = NULL;
    }
}
