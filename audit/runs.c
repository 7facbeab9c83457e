/*
 * runs.c - duplicate runs (docs/report.md, "Duplicates: what the bytes can
 * prove"): every visible record's identity into the duplicate index
 * (dupindex.h), each copy against its nearest earlier copy, consecutive
 * copies of consecutive originals gathered into one run, and each run
 * decided (duplicate.h) at once or held until the partition's repeat
 * profile is known; the index's and the held runs' share of the memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "report/types.h"
#include "state.h"

static int32_t seq_of(const ka_binfo *b, int64_t offset)
{
    return b->base_sequence >= 0 ? kb_seq_add(b->base_sequence, wsub(offset, b->base_offset)) : -1;
}

void ka_expect_bytes(ka_partition *p, int64_t bytes)
{
    p->expect_bytes = bytes;
    /* About one distinct record per 512 bytes of segment, reserved up front
     * for a partition of up to 64 Mi of them: at most 64 Ki entries (1.5
     * MiB), or with a limit what a third of it holds. A larger partition is
     * sized by index_presize once 2% of it was read, from the rate seen so
     * far: a table reserved large would have every page touched by the first
     * few thousand entries (they spread over it), and then be held beside
     * the right-sized one while that is filled. */
    int64_t n = bytes / 512, most = (int64_t)1 << 16;
    if (p->mem_limit && (int64_t)(p->mem_limit / 3 / KQ_SLOT_BYTES / 8 * 7) < most)
        most = (int64_t)(p->mem_limit / 3 / KQ_SLOT_BYTES / 8 * 7);
    kq_reserve(&p->q, (size_t)(n < most ? n : most));
}

void ka_held_limit(ka_partition *p, size_t max_bytes) { p->held_limit = max_bytes; }

void ka_index_limit(ka_partition *p, size_t max_bytes)
{
    p->mem_limit = max_bytes;
    kq_set_limit(&p->q, max_bytes);
}

void ka_state_limit(ka_partition *p, size_t max_bytes) { p->state_limit = max_bytes; }

int ka_index_spill(ka_partition *p, int mode, const kq_spill *spill)
{
    p->keep_binfo = false; /* each answer carries its batch */
    return kq_set_spill(&p->q, mode, spill);
}

bool ka_index_full(const ka_partition *p) { return p->index_state == KA_INDEX_FULL; }

bool ka_index_outgrows(const ka_partition *p, double fraction)
{
    if (!p->mem_limit || p->q.mode != KQ_MEMORY || fraction <= 0 || fraction >= 1) return false;
    double entries = (double)p->q.n / fraction, batches = (double)p->nbinfo / fraction;
    if (entries >= (double)((size_t)1 << 40)) return true;
    return (double)kq_slots_for((size_t)entries) * KQ_SLOT_BYTES + batches * sizeof(ka_binfo) > (double)p->mem_limit;
}

void ka_index_stats(const ka_partition *p, size_t *distinct, size_t *peak_bytes)
{
    *distinct = p->q.n;
    *peak_bytes = kq_peak_bytes(&p->q);
}

static kd_context dup_context(const ka_partition *p, const kd_profile *pf)
{
    kd_context c = { p->rule, p->internal, p->o->dup_window_ms, pf };
    return c;
}

/* The finding of run r, decided `reason`, and its incident. */
static void dup_emit(ka_partition *p, const kd_run *r, int64_t batch_ts, int reason)
{
    if (kd_natural(r, p->o->dup_window_ms)) p->pf.natural += r->count;
    if (!ka_in_scope(p, r->d.first, batch_ts) || !rm_shows(p->r, RT_DUPLICATE)) return;
    kd_context c = dup_context(p, NULL);
    rm_finding *f = kd_emit(p->r, p->index, r, reason, &c);
    if (reason != KD_DELIVERY) return;
    rm_group g = kd_group(r, p->topic, p->o->dup_window_ms);
    rm_group_finding(p->r, &g, p->index, RM_WARNING, r->d.ts, r->d.first, r->d.last, r->count, f);
}

/* The undecided held run whose copies include `offset`, or NULL. */
static ka_held *held_at(ka_partition *p, int64_t offset)
{
    size_t lo = 0, hi = p->nheld; /* the last one starting at or before offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->held[mid].r.d.first <= offset) lo = mid + 1;
        else hi = mid;
    }
    ka_held *h = lo ? &p->held[lo - 1] : NULL;
    return h && !h->done && offset <= h->r.d.last ? h : NULL;
}

/* Emit held run h now (its answer no longer depends on the end). */
static void held_decide(ka_partition *p, ka_held *h, int reason)
{
    dup_emit(p, &h->r, h->batch_ts, reason);
    h->done = true;
    p->nheld_done++;
}

/* Drop decided runs once they are half of the list. */
static void held_compact(ka_partition *p)
{
    if (p->nheld_done * 2 < p->nheld) return;
    size_t n = 0;
    for (size_t i = 0; i < p->nheld; i++)
        if (!p->held[i].done) p->held[n++] = p->held[i];
    p->nheld = n;
    p->nheld_done = 0;
}

/* The profile as it stands: the runs decided so far, and the held ones
 * counted as they would be at the end. */
static kd_profile profile_now(const ka_partition *p)
{
    kd_profile pf = p->pf;
    for (size_t i = 0; i < p->nheld; i++)
        if (!p->held[i].done && kd_natural(&p->held[i].r, p->o->dup_window_ms)) pf.natural += p->held[i].r.count;
    return pf;
}

/* Decide every held run with profile pf (the end, or the oldest when
 * memory is short: `upto` of them). */
static void held_decide_all(ka_partition *p, const kd_profile *pf, size_t upto)
{
    kd_context c = dup_context(p, pf);
    for (size_t i = 0; i < p->nheld && i < upto; i++) {
        ka_held *h = &p->held[i];
        if (h->done) continue;
        int reason = kd_decide(&h->r, &c);
        held_decide(p, h, reason < 0 ? KD_DELIVERY : reason);
    }
}

/* Keep run r for the end. Past the held runs' memory share, the oldest
 * quarter is decided with the profile as it stands (counted and noted). */
static void held_add(ka_partition *p, const kd_run *r, int64_t batch_ts)
{
    if (p->nheld == p->capheld && p->held_limit && (p->capheld + 1) * sizeof(ka_held) > p->held_limit / 2) {
        held_compact(p);
        if (p->nheld == p->capheld) {
            kd_profile pf = profile_now(p);
            size_t before = p->nheld_done, quarter = p->nheld / 4 + 1;
            held_decide_all(p, &pf, quarter);
            p->decided_early += (int64_t)(p->nheld_done - before);
            held_compact(p);
        }
    }
    if (GROW(p->held, p->nheld, p->capheld) < 0) {
        /* Out of memory: decided now, with what is known, and said: the
         * verdict may differ from the one the whole partition gives. */
        ka_oom(p, "duplicate runs held for the partition's profile");
        kd_profile pf = profile_now(p);
        kd_context c = dup_context(p, &pf);
        int reason = kd_decide(r, &c);
        p->decided_early++;
        dup_emit(p, r, batch_ts, reason < 0 ? KD_DELIVERY : reason);
        return;
    }
    /* Runs end in the order of their first copies, but for a committed
     * transaction's, which join the index at its marker. */
    size_t at = p->nheld;
    while (at > 0 && p->held[at - 1].r.d.first > r->d.first) at--;
    memmove(&p->held[at + 1], &p->held[at], (p->nheld - at) * sizeof *p->held);
    p->held[at] = (ka_held){ *r, batch_ts, false };
    p->nheld++;
}

/* The runs recur at a regular interval: the interval from its originals
 * to the copies of `b` is within a quarter of that of `a`, whose copies
 * are b's originals (three copies of a block, evenly spaced). */
static bool regular(const kd_run *a, const kd_run *b)
{
    if (!a->ts_known || !b->ts_known) return false;
    int64_t x = a->d.ts - a->o.ts, y = b->d.ts - b->o.ts;
    if (x <= 0 || y <= 0) return false;
    int64_t big = x > y ? x : y, diff = x > y ? x - y : y - x;
    return diff <= big / 4;
}

/* The copy at `offset` (the second copy of its content) was copied again:
 * a held single record recurs now, and is decided. */
static void copied_again(ka_partition *p, int64_t offset)
{
    ka_held *h = held_at(p, offset);
    if (!h) return;
    h->r.later++;
    if (h->r.count > 1) return;
    kd_context c = dup_context(p, NULL);
    int reason = kd_decide(&h->r, &c);
    if (reason >= 0) held_decide(p, h, reason);
}

/* The run of duplicates ends: decide it now if nothing later can change
 * the answer, else hold it. */
void ka_run_flush(ka_partition *p)
{
    ka_run *run = &p->run;
    if (!run->active) return;
    run->active = false;
    kd_run *r = &run->r;
    r->whole = r->whole && run->db_puts == run->db_count;
    r->session_start = run->d_before >= 0 && run->d_before <= r->count;
    p->pf.repeated += r->count;
    if (r->o.producer_id < 0 && r->d.producer_id < 0 && r->ts_known) {
        int64_t dt = r->d.ts - r->o.ts;
        if (dt != 0 && dt >= -10 && dt <= 10) p->pf.near++;
        if (dt == 0 && r->count <= KD_CHANCE_RUN && kd_strong(r)) p->pf.same_ms++;
    }
    /* A block whose originals are the copies of a held block, as far apart
     * in time: both recur. */
    if (r->count > 1) {
        ka_held *h = held_at(p, r->o.first);
        if (h && h->r.count > 1 && regular(&h->r, r)) {
            h->r.regular = r->regular = true;
            kd_context c = dup_context(p, NULL);
            int reason = kd_decide(&h->r, &c);
            if (reason >= 0) held_decide(p, h, reason);
        }
    }
    kd_context c = dup_context(p, NULL);
    int reason = kd_decide(r, &c);
    if (reason >= 0) dup_emit(p, r, run->batch_ts, reason);
    else held_add(p, r, run->batch_ts);
    held_compact(p);
}

/* At the end of the partition: its profile, and every held run decided. */
void ka_dup_end(ka_partition *p)
{
    ka_run_flush(p);
    kd_profile pf = profile_now(p);
    held_decide_all(p, &pf, SIZE_MAX);
    p->nheld = p->nheld_done = 0;
    rm_repeats *rr = &p->r->partitions[p->index].repeats;
    rr->checked = true;
    rr->records = pf.records;
    rr->repeated = pf.repeated;
    rr->natural = pf.natural;
    rr->by_nature = !p->rule && kd_by_nature(&pf);
    rr->rule = p->rule;
    rr->decided_early = p->decided_early;
    if (p->decided_early)
        rm_partition_note(p->r, p->index,
                          "%" PRId64 " duplicate findings were classed before the end of the partition: the runs "
                          "held for its end outgrew their memory share, so the oldest used the repeat profile as "
                          "it stood then",
                          p->decided_early);
}

/* The index could not answer for the record at `offset` (kq_put's `rc`):
 * from here on no record is looked up. ka_partition_end says so in a note,
 * unless the driver restarts the partition with a spill (KA_INDEX_FULL). */
static void index_trouble(ka_partition *p, int rc, int64_t offset)
{
    p->index_state = rc == KQ_FULL ? KA_INDEX_FULL : rc == KQ_CHANGED ? KA_INDEX_CHANGED : KA_INDEX_ERROR;
    p->index_stop = offset;
}

/* A growth of the state refused at its limit: said by ka_incomplete. */
static int over_budget(ka_partition *p, const char *what)
{
    if (!p->over_budget++) p->over_what = what;
    return -1;
}

int ka_state_room(ka_partition *p, size_t more, const char *what)
{
    size_t now = p->state_bytes + more;
    if (p->state_limit && now > p->state_limit) return over_budget(p, what);
    size_t table = p->capbinfo * sizeof(ka_binfo);
    if (p->mem_limit && table + now + kq_bytes(&p->q) > p->mem_limit) {
        /* The index gives way: a spill moves it to disk. */
        if (p->index_state == KA_INDEX_OK) index_trouble(p, KQ_FULL, p->cur.base_offset);
        return over_budget(p, what);
    }
    p->state_bytes = now;
    if (p->mem_limit) kq_set_limit(&p->q, p->mem_limit - table - now);
    return 0;
}

/* Room for one more entry in the batch table, which shares the index's
 * memory limit (the index gets what the table leaves). 0, or -1 when the
 * limit or memory ran out (the index then stops answering). */
int ka_binfo_room(ka_partition *p, int64_t offset)
{
    if (p->nbinfo < p->capbinfo) return 0;
    size_t ncap = p->capbinfo ? p->capbinfo * 2 : 16;
    if (p->mem_limit && ncap * sizeof(ka_binfo) + p->state_bytes + kq_bytes(&p->q) > p->mem_limit) {
        index_trouble(p, KQ_FULL, offset);
        return -1;
    }
    ka_binfo *nb = realloc(p->binfo, ncap * sizeof *nb);
    if (!nb) {
        index_trouble(p, KQ_ERROR, offset);
        return -1;
    }
    p->binfo = nb;
    p->capbinfo = ncap;
    if (p->mem_limit) kq_set_limit(&p->q, p->mem_limit - ncap * sizeof(ka_binfo) - p->state_bytes);
    return 0;
}

/* Size the index for what the partition will hold if it goes on as it did
 * over the part read so far (up to batch b): early, once 2% of it was read
 * (while the table is small: 8% above the estimate, so that its noise does
 * not move the table twice), and again before the index would double. One
 * growth to the right size instead of several doublings that overshoot and
 * hold the old table beside the new. A hint only. */
void ka_index_presize(ka_partition *p, const kb_batch *b)
{
    if (p->expect_bytes <= 0) return;
    double fraction = (double)(p->seg_done + b->pos + b->size) / (double)p->expect_bytes;
    if (fraction < 0.02 || fraction > 0.95) return;
    double rate = (double)p->q.n / fraction, room = (double)p->q.cap * 7 / 8, want = 0;
    if (fraction < 0.05 && rate > room) want = rate * 1.08;
    else if (p->q.n * 80 >= p->q.cap * 63 && rate * 1.1 > room) want = rate * 1.1; /* at a load of 0.7875 */
    if (want > 0 && want < (double)SIZE_MAX / 2) kq_reserve(&p->q, (size_t)want);
}

/* A record's timestamp relative to its batch's first, as the index keeps it. */
static int32_t ts_delta(ka_binfo *b, int64_t ts)
{
    if (ts < 0) return KQ_NO_TS;
    if (b->ts_base < 0) b->ts_base = ts;
    int64_t d = ts - b->ts_base;
    return d > INT32_MIN && d <= INT32_MAX ? (int32_t)d : KQ_NO_TS;
}

static int64_t ts_of(const ka_binfo *b, int32_t delta)
{
    return delta == KQ_NO_TS || b->ts_base < 0 ? -1 : wadd(b->ts_base, delta);
}

/* What batch `bidx` is: from the table of every batch, or without one, the
 * current batch or one of producer x's open transaction. NULL if unknown. */
static ka_binfo *batch_info(ka_partition *p, const ka_prod *x, uint32_t bidx)
{
    if (p->keep_binfo) return bidx < p->nbinfo ? &p->binfo[bidx] : NULL;
    if (bidx == p->cur_bidx) return &p->cur_bi;
    size_t lo = 0, hi = x ? x->ntb : 0; /* x->tb is in batch order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->tb[mid].bidx < bidx) lo = mid + 1;
        else hi = mid;
    }
    return x && lo < x->ntb && x->tb[lo].bidx == bidx ? &x->tb[lo].bi : NULL;
}

/* One side of a pair: the record at `offset` (client timestamp `ts`) of
 * the batch `b` describes. */
static kd_side side_of(const ka_binfo *b, int64_t offset, int64_t ts)
{
    kd_side s = { offset, offset, ts, b->producer_id, b->producer_epoch, seq_of(b, offset), b->transactional, b->crc };
    return s;
}

/* Records the copies' producer session wrote in this log before its record
 * at `d_off` (in the batch being read), when that session began in this
 * log after the original at `o_off` and is newer than the originals' (a
 * restart: another producer id, or a higher epoch); else -1. */
static int64_t restart_before(ka_partition *p, const ka_binfo *o, const ka_binfo *d, int64_t o_off, int64_t d_off)
{
    if (d->producer_id < 0 || (o->producer_id == d->producer_id && o->producer_epoch >= d->producer_epoch)) return -1;
    ka_prod *x = ka_prod_find(p, d->producer_id);
    if (!x || x->sess_first < 0 || x->epoch != d->producer_epoch || o_off >= x->sess_first) return -1;
    return x->sess_records - p->cur.count + wsub(d_off, d->base_offset);
}

/* Record `offset` (client timestamp `ts`) of batch `bidx` (of producer x's
 * open transaction when x is given) has the fingerprint (lo, hi); `aux`
 * hashes its timestamp and headers. `view` is the record when it belongs
 * to the batch being read; a committed transaction's record comes with the
 * previews it kept instead. */
void ka_dup_put(ka_partition *p, uint64_t lo, uint64_t hi, uint32_t aux, int64_t offset, int64_t ts,
                      uint32_t bidx, const ka_prod *x, const ka_queued *view, const rm_preview *key,
                      const rm_preview *value)
{
    ka_binfo *bi = batch_info(p, x, bidx);
    if (!bi || p->index_state != KA_INDEX_OK) {
        ka_run_flush(p);
        return;
    }
    p->pf.records++;
    kq_slot rec = { lo, hi, bidx, (int32_t)wsub(offset, bi->base_offset), ts_delta(bi, ts), aux };
    /* The offset as the slot will give it back (the same as `offset` but
     * for absurd inputs): every mode of the index compares these. */
    int64_t r_off = wadd(bi->base_offset, rec.offset_delta);
    unsigned char info[KQ_INFO]; /* only a recording pass writes it out */
    if (p->q.mode == KQ_RECORD) {
        memset(info, 0, sizeof info);
        memcpy(info, bi, sizeof *bi);
    }
    kq_slot *s;
    const void *found_info;
    int rc = kq_put(&p->q, &rec, r_off, info, &s, &found_info);
    if (rc < 0) index_trouble(p, rc, offset);
    ka_binfo sbi;
    if (rc == 1 && found_info) memcpy(&sbi, found_info, sizeof sbi);
    else if (rc == 1 && s->batch < p->nbinfo) sbi = p->binfo[s->batch];
    if (rc == 1 && (s->batch >= p->nbatches || (!found_info && s->batch >= p->nbinfo)))
        index_trouble(p, rc = KQ_CHANGED, offset); /* not this input's */
    if (rc <= 0) {
        ka_run_flush(p); /* a record seen for the first time ends a run of duplicates */
        return;
    }
    const kq_slot found = *s; /* the nearest earlier copy, as the index had it */
    const ka_binfo *sb = &sbi;
    int64_t s_off = wadd(sb->base_offset, found.offset_delta), s_ts = ts_of(sb, found.ts_delta);
    kq_count_copy(s, &rec, r_off, s_off);
    unsigned before = kq_copies(&found); /* copies of this content before this record */
    int64_t o_off = s_off, d_off = offset, o_ts = s_ts, d_ts = ts;
    uint32_t ob = found.batch, db = bidx;
    const ka_binfo *obi = sb, *dbi = bi;
    bool swapped = r_off < s_off;
    if (swapped) {
        /* A committed transaction's record joins the index at its marker,
         * after later records: the earlier offset is the original. */
        o_off = offset, d_off = s_off, o_ts = ts, d_ts = s_ts;
        ob = bidx, db = found.batch;
        obi = bi, dbi = sb;
    }
    if (db == p->cur_bidx) p->cur_dups++;
    bool identical = (found.aux & KQ_AUX_HASH) == aux, same = ob == db;
    kd_side os = side_of(obi, o_off, o_ts), ds = side_of(dbi, d_off, d_ts);
    ka_run *run = &p->run;
    kd_run *r = &run->r;
    /* The run goes on while the copies follow each other (a record seen for
     * the first time would have ended it) and repeat, in order and from the
     * same sessions, records written before the first copy, all with their
     * timestamps or all with new ones (a resent batch right after ordinary
     * repeats of the batch before it is a run of its own). */
    if (run->active && identical == r->identical && d_off > r->d.last && o_off > r->o.last &&
        wsub(o_off, r->o.last) <= KA_RUN_GAP &&
        o_off < r->d.first && os.producer_id == r->o.producer_id && os.epoch == r->o.epoch &&
        ds.producer_id == r->d.producer_id && ds.epoch == r->d.epoch) {
        if (db != run->db) { /* the next copy batch: the last one was whole, and this from its first record */
            r->whole = r->whole && run->db_puts == run->db_count && d_off == dbi->base_offset;
            run->db_puts = 0;
            run->db_count = dbi->count;
        }
        r->o.last = o_off;
        r->d.last = d_off;
        r->count++;
        r->identical_batch = r->identical_batch && !same && obi->crc == dbi->crc;
        r->same_batch = r->same_batch || same;
        r->recurring += before >= 3;
        run->ob = ob, run->db = db;
        run->db_puts++;
        return;
    }
    ka_run_flush(p);
    /* The third copy of this content: its original, the second, recurs. */
    if (!swapped && before == 2) copied_again(p, o_off);
    run->active = true;
    memset(r, 0, sizeof *r);
    r->o = os, r->d = ds;
    r->count = 1;
    r->identical = identical;
    r->ts_known = o_ts >= 0 && d_ts >= 0;
    r->identical_batch = !same && obi->crc == dbi->crc;
    r->whole = d_off == dbi->base_offset;
    r->same_batch = same;
    r->copies = swapped ? 2 : (int)(before < 4 ? before + 1 : 4);
    r->recurring = before >= 3;
    run->ob = ob, run->db = db;
    run->db_puts = 1;
    run->db_count = dbi->count;
    run->batch_ts = dbi->max_timestamp;
    run->d_before = view && !swapped ? restart_before(p, obi, dbi, o_off, d_off) : -1;
    /* Previews come from the record's bytes (a queued record) or from the
     * copies a transaction's pending record kept. */
    if (view) {
        const ka_options *o = p->o;
        rm_preview_set(&r->key, view->key, view->key_len, o->redact & KA_REDACT_KEYS, o->redact_key);
        rm_preview_set(&r->value, view->value, view->value_len, o->redact & KA_REDACT_VALUES, o->redact_key);
    } else {
        r->key = *key;
        r->value = *value;
    }
}

/* Put the queued records of the current batch into the index, in order
 * (their slots were prefetched when they were queued). */
void ka_queue_flush(ka_partition *p)
{
    for (int i = 0; i < p->nqueue; i++) {
        const ka_queued *e = &p->queue[i];
        ka_dup_put(p, e->lo, e->hi, e->aux, e->offset, e->ts, p->cur_bidx, NULL, e, NULL, NULL);
    }
    p->nqueue = 0;
}

/* A 64-bit finalizer (rrmxmx, Pelle Evensen): every input bit reaches
 * every output bit. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= (x >> 49) ^ (x >> 24);
    x *= 0x9FB21C651E98DF25ull;
    x ^= x >> 28;
    x *= 0x9FB21C651E98DF25ull;
    return x ^ (x >> 28);
}

/*
 * The record's identity (key and value, and headers with
 * --dup-include-headers) as 128 bits, and a 30-bit hash of what a client
 * retry also keeps equal (the timestamp the client stamped, and headers).
 * Two one-shot XXH3-128 passes: the key (usually short) seeded by its and
 * the value's lengths (so a null, -1, and an empty, 0, field differ), then
 * the value seeded by the key's hash, whose other half is folded into the
 * result. Two records differing in key or lengths differ in the key's 128
 * bits; when those are equal, in the value's: either way a collision of 128
 * random bits (dupindex.h: the index compares 96 of them). Headers, when
 * they count, fold their own XXH3-128 into the key's. The same identity
 * whatever message format the record came in. A pure function of the
 * options and the record.
 */
void ka_fingerprint(const ka_options *o, const kb_record *r, uint64_t *lo, uint64_t *hi, uint32_t *aux)
{
    const void *key = r->key_len > 0 ? r->key : NULL, *value = r->value_len > 0 ? r->value : NULL;
    size_t klen = r->key_len > 0 ? (size_t)r->key_len : 0, vlen = r->value_len > 0 ? (size_t)r->value_len : 0;
    bool with_headers = o->dup_include_headers;
    uint64_t lens = (uint64_t)(uint32_t)r->key_len << 32 | (uint32_t)r->value_len;
    uint64_t seed = mix64(lens ^ (with_headers ? 0xD6E8FEB86659FD93ull ^ (uint64_t)r->headers_len : 0));
    XXH128_hash_t k = XXH3_128bits_withSeed(key, klen, seed);
    uint64_t hh = 0; /* a hash of the headers, when there are some */
    if (r->headers_len > 0) {
        XXH128_hash_t h = XXH3_128bits_withSeed(r->headers, r->headers_len, 3);
        hh = h.low64;
        if (with_headers) k.low64 ^= h.low64, k.high64 ^= h.high64;
    }
    XXH128_hash_t v = XXH3_128bits_withSeed(value, vlen, k.low64);
    *lo = v.low64;
    *hi = v.high64 ^ k.high64;
    uint64_t a = mix64((uint64_t)r->client_timestamp ^ 0x9E3779B97F4A7C15ull) ^ hh;
    *aux = (uint32_t)(a >> 32) & KQ_AUX_HASH;
}
