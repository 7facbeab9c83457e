/* index.c - see index.h. */
#include "index.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>

#include "cursor.h"

static size_t entry_size_of(ki_kind kind)
{
    switch (kind) {
    case KI_OFFSET: return KI_OFFSET_ENTRY_SIZE;
    case KI_TIME: return KI_TIME_ENTRY_SIZE;
    case KI_TXN: return KI_TXN_ENTRY_SIZE;
    }
    return 0;
}

static const char *kind_name(ki_kind kind)
{
    switch (kind) {
    case KI_OFFSET: return "offset index";
    case KI_TIME: return "time index";
    case KI_TXN: return "transaction index";
    }
    return "index";
}

int64_t ki_slot_pos(const ki_index *ix, size_t i)
{
    assert(ix && ix->entry_size > 0);
    return (int64_t)i * (int64_t)ix->entry_size;
}

/* A cursor over slot i, which the caller has checked is a whole slot. */
static kcur slot_cursor(const ki_index *ix, size_t i)
{
    assert(i < ix->slots);
    return kcur_make(ix->buf + i * ix->entry_size, ix->entry_size);
}

/* The relative offset stored in slot i of a .index or .timeindex. */
static int32_t slot_rel(const ki_index *ix, size_t i)
{
    kcur c = slot_cursor(ix, i);
    int32_t rel = 0;
    bool ok = (ix->kind != KI_TIME || kcur_skip(&c, 8)) && kcur_i32(&c, &rel);
    assert(ok);
    (void)ok;
    return rel;
}

/* Debug-only: the geometry ki_open established still holds. */
static bool index_ok(const ki_index *ix)
{
    return ix->entry_size > 0 && ix->slots * ix->entry_size + ix->partial_bytes == ix->len &&
           ix->partial_bytes < ix->entry_size && ix->entries <= ix->slots &&
           ix->tail_bytes == (ix->slots - ix->entries) * ix->entry_size && (ix->buf != NULL || ix->len == 0);
}

/* base + rel in 64 bits; false when it would overflow int64. */
static bool abs_offset(int64_t base, int32_t rel, int64_t *out)
{
    assert(base >= 0);
    if (rel > 0 && base > INT64_MAX - rel) return false;
    *out = base + rel;
    return true;
}

/*
 * Where the written entries end: DumpLogSegments' rule, the first slot
 * i > 0 whose relative offset is 0 (see index.h for why .timeindex uses it
 * too). A .txnindex has no preallocated tail.
 */
static size_t written_entries(const ki_index *ix)
{
    if (ix->kind == KI_TXN) return ix->slots;
    for (size_t i = 1; i < ix->slots; i++)
        if (slot_rel(ix, i) == 0) return i;
    return ix->slots;
}

static int64_t first_nonzero(const uint8_t *p, size_t n, int64_t at)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0) return at + (int64_t)i;
    return -1;
}

int ki_open(ki_index *ix, ki_kind kind, const uint8_t *buf, size_t len, int64_t base_offset, ke_error *err)
{
    KE_RET_IF(!ix, err, KE_USAGE, -1, "ki_open: no index given");
    KE_RET_IF(!buf && len > 0, err, KE_USAGE, -1, "ki_open: no buffer for %zu bytes", len);
    size_t es = entry_size_of(kind);
    KE_RET_IF(es == 0, err, KE_USAGE, -1, "ki_open: unknown index kind %d", (int)kind);
    KE_RET_IF(base_offset < 0, err, KE_USAGE, -1, "ki_open: negative base offset %" PRId64, base_offset);
    ix->kind = kind;
    ix->buf = buf;
    ix->len = len;
    ix->base_offset = base_offset;
    ix->entry_size = es;
    ix->slots = len / es;
    ix->partial_bytes = len % es;
    ix->entries = written_entries(ix);
    assert(ix->entries <= ix->slots);
    ix->tail_bytes = (ix->slots - ix->entries) * es;
    size_t tail_at = ix->entries * es;
    ix->tail_nonzero_pos =
        ix->tail_bytes ? first_nonzero(buf + tail_at, ix->tail_bytes, (int64_t)tail_at) : -1;
    assert(index_ok(ix));
    return 0;
}

static int check_slot(const ki_index *ix, ki_kind kind, size_t i, ke_error *err)
{
    KE_RET_IF(!ix, err, KE_USAGE, -1, "no index given");
    KE_RET_IF(ix->kind != kind, err, KE_USAGE, -1, "index is a %s, not a %s", kind_name(ix->kind),
              kind_name(kind));
    KE_RET_IF(i >= ix->slots, err, KE_USAGE, -1, "slot %zu out of range (%zu slots)", i, ix->slots);
    assert(index_ok(ix));
    return 0;
}

int ki_offset_at(const ki_index *ix, size_t i, ki_offset_entry *out, ke_error *err)
{
    KE_FORWARD(check_slot(ix, KI_OFFSET, i, err));
    KE_RET_IF(!out, err, KE_USAGE, -1, "ki_offset_at: no output");
    kcur c = slot_cursor(ix, i);
    out->pos = ki_slot_pos(ix, i);
    bool ok = kcur_i32(&c, &out->rel) && kcur_i32(&c, &out->position);
    assert(ok);
    (void)ok;
    out->offset = -1;
    KE_RET_IF(!abs_offset(ix->base_offset, out->rel, &out->offset), err, KE_CORRUPT, out->pos,
              "base offset %" PRId64 " + relative offset %" PRId32 " overflows int64", ix->base_offset,
              out->rel);
    return 0;
}

int ki_time_at(const ki_index *ix, size_t i, ki_time_entry *out, ke_error *err)
{
    KE_FORWARD(check_slot(ix, KI_TIME, i, err));
    KE_RET_IF(!out, err, KE_USAGE, -1, "ki_time_at: no output");
    kcur c = slot_cursor(ix, i);
    out->pos = ki_slot_pos(ix, i);
    bool ok = kcur_i64(&c, &out->timestamp) && kcur_i32(&c, &out->rel);
    assert(ok);
    (void)ok;
    out->offset = -1;
    KE_RET_IF(!abs_offset(ix->base_offset, out->rel, &out->offset), err, KE_CORRUPT, out->pos,
              "base offset %" PRId64 " + relative offset %" PRId32 " overflows int64", ix->base_offset,
              out->rel);
    return 0;
}

/* Read an AbortedTxn without judging it. */
static void read_txn(const ki_index *ix, size_t i, ki_txn_entry *out)
{
    kcur c = slot_cursor(ix, i);
    out->pos = ki_slot_pos(ix, i);
    bool ok = kcur_i16(&c, &out->version) && kcur_i64(&c, &out->producer_id) &&
              kcur_i64(&c, &out->first_offset) && kcur_i64(&c, &out->last_offset) &&
              kcur_i64(&c, &out->last_stable_offset);
    assert(ok && kcur_left(&c) == 0);
    (void)ok;
}

/* The version as Kafka reads it: the first byte, signed (AbortedTxn.version). */
static int kafka_txn_version(const ki_txn_entry *e)
{
    return (int8_t)(uint8_t)((uint16_t)e->version >> 8);
}

int ki_txn_at(const ki_index *ix, size_t i, ki_txn_entry *out, ke_error *err)
{
    KE_FORWARD(check_slot(ix, KI_TXN, i, err));
    KE_RET_IF(!out, err, KE_USAGE, -1, "ki_txn_at: no output");
    read_txn(ix, i, out);
    KE_RET_IF(kafka_txn_version(out) > 0, err, KE_UNSUPPORTED, out->pos,
              "aborted transaction version %d, only 0 is known", kafka_txn_version(out));
    return 0;
}

/* ---- Kafka's sanityCheck -------------------------------------------- */

static int sanity_length(const ki_index *ix, ke_error *err)
{
    KE_RET_IF(ix->partial_bytes != 0, err, KE_CORRUPT, (int64_t)(ix->len - ix->partial_bytes),
              "%s is corrupt, found %zu bytes which is not a multiple of %zu (%zu trailing bytes)",
              kind_name(ix->kind), ix->len, ix->entry_size, ix->partial_bytes);
    return 0;
}

/* OffsetIndex.sanityCheck. */
static int sanity_offset(const ki_index *ix, ke_error *err)
{
    if (ix->slots > 0) {
        ki_offset_entry last;
        KE_FORWARD(ki_offset_at(ix, ix->slots - 1, &last, err));
        KE_RET_IF(last.offset < ix->base_offset, err, KE_CORRUPT, last.pos,
                  "corrupt offset index: last offset %" PRId64 " is less than the base offset %" PRId64,
                  last.offset, ix->base_offset);
    }
    return sanity_length(ix, err);
}

/* TimeIndex.sanityCheck. */
static int sanity_time(const ki_index *ix, ke_error *err)
{
    if (ix->slots > 0) {
        ki_time_entry first, last;
        KE_FORWARD(ki_time_at(ix, 0, &first, err));
        KE_FORWARD(ki_time_at(ix, ix->slots - 1, &last, err));
        KE_RET_IF(last.timestamp < first.timestamp, err, KE_CORRUPT, last.pos,
                  "corrupt time index: last timestamp %" PRId64 " is less than the first timestamp %" PRId64
                  "%s",
                  last.timestamp, first.timestamp, ix->tail_bytes ? " (preallocated zero tail)" : "");
        KE_RET_IF(last.offset < ix->base_offset, err, KE_CORRUPT, last.pos,
                  "corrupt time index: last offset %" PRId64 " is less than the base offset %" PRId64,
                  last.offset, ix->base_offset);
    }
    return sanity_length(ix, err);
}

/* TransactionIndex.sanityCheck (its iterator throws on a version above 0). */
static int sanity_txn(const ki_index *ix, ke_error *err)
{
    for (size_t i = 0; i < ix->slots; i++) {
        ki_txn_entry e;
        KE_FORWARD(ki_txn_at(ix, i, &e, err));
        KE_RET_IF(e.last_offset < ix->base_offset, err, KE_CORRUPT, e.pos,
                  "last offset %" PRId64 " of aborted transaction (producer %" PRId64
                  ") is less than the base offset %" PRId64,
                  e.last_offset, e.producer_id, ix->base_offset);
    }
    return 0;
}

int ki_sanity_check(const ki_index *ix, ke_error *err)
{
    KE_RET_IF(!ix, err, KE_USAGE, -1, "ki_sanity_check: no index given");
    switch (ix->kind) {
    case KI_OFFSET: return sanity_offset(ix, err);
    case KI_TIME: return sanity_time(ix, err);
    case KI_TXN: return sanity_txn(ix, err);
    }
    return ke_set(err, KE_USAGE, -1, "unknown index kind %d", (int)ix->kind);
}

/* ---- the auditor's ordering checks ---------------------------------- */

static int order_offset(const ki_index *ix, size_t i, ke_error *err)
{
    ki_offset_entry cur, prev;
    KE_FORWARD(ki_offset_at(ix, i, &cur, err));
    KE_RET_IF(cur.rel < 0, err, KE_CORRUPT, cur.pos, "entry %zu: negative relative offset %" PRId32, i,
              cur.rel);
    KE_RET_IF(cur.position < 0, err, KE_CORRUPT, cur.pos, "entry %zu: negative log position %" PRId32, i,
              cur.position);
    if (i == 0) return 0;
    KE_FORWARD(ki_offset_at(ix, i - 1, &prev, err));
    KE_RET_IF(cur.offset <= prev.offset, err, KE_CORRUPT, cur.pos,
              "entry %zu: offset %" PRId64 " is not above the previous entry's %" PRId64, i, cur.offset,
              prev.offset);
    KE_RET_IF(cur.position <= prev.position, err, KE_CORRUPT, cur.pos,
              "entry %zu: log position %" PRId32 " is not above the previous entry's %" PRId32, i,
              cur.position, prev.position);
    return 0;
}

static int order_time(const ki_index *ix, size_t i, ke_error *err)
{
    ki_time_entry cur, prev;
    KE_FORWARD(ki_time_at(ix, i, &cur, err));
    KE_RET_IF(cur.rel < 0, err, KE_CORRUPT, cur.pos, "entry %zu: negative relative offset %" PRId32, i,
              cur.rel);
    if (i == 0) return 0;
    KE_FORWARD(ki_time_at(ix, i - 1, &prev, err));
    KE_RET_IF(cur.timestamp < prev.timestamp, err, KE_CORRUPT, cur.pos,
              "entry %zu: timestamp %" PRId64 " is below the previous entry's %" PRId64, i, cur.timestamp,
              prev.timestamp);
    KE_RET_IF(cur.offset < prev.offset, err, KE_CORRUPT, cur.pos,
              "entry %zu: offset %" PRId64 " is below the previous entry's %" PRId64, i, cur.offset,
              prev.offset);
    return 0;
}

static int order_txn(const ki_index *ix, size_t i, ke_error *err)
{
    ki_txn_entry cur, prev;
    read_txn(ix, i, &cur);
    KE_RET_IF(cur.version != 0, err, KE_CORRUPT, cur.pos, "entry %zu: version %" PRId16 " (Kafka writes 0)",
              i, cur.version);
    KE_RET_IF(cur.first_offset > cur.last_offset, err, KE_CORRUPT, cur.pos,
              "entry %zu: first offset %" PRId64 " is above the last offset %" PRId64, i, cur.first_offset,
              cur.last_offset);
    /* lastStableOffset = first offset of an older open txn, else lastOffset + 1. */
    KE_RET_IF(cur.last_stable_offset > cur.last_offset && cur.last_stable_offset - 1 > cur.last_offset, err,
              KE_CORRUPT, cur.pos,
              "entry %zu: last stable offset %" PRId64 " is above last offset %" PRId64 " + 1", i,
              cur.last_stable_offset, cur.last_offset);
    if (i == 0) return 0;
    read_txn(ix, i - 1, &prev);
    KE_RET_IF(cur.last_offset <= prev.last_offset, err, KE_CORRUPT, cur.pos,
              "entry %zu: last offset %" PRId64 " is not above the previous entry's %" PRId64, i,
              cur.last_offset, prev.last_offset);
    return 0;
}

static int order_one(const ki_index *ix, size_t i, ke_error *err)
{
    switch (ix->kind) {
    case KI_OFFSET: return order_offset(ix, i, err);
    case KI_TIME: return order_time(ix, i, err);
    case KI_TXN: return order_txn(ix, i, err);
    }
    return ke_set(err, KE_USAGE, -1, "unknown index kind %d", (int)ix->kind);
}

int ki_check_order(const ki_index *ix, size_t *next, ke_error *err)
{
    KE_RET_IF(!ix || !next, err, KE_USAGE, -1, "ki_check_order: missing argument");
    assert(index_ok(ix));
    while (*next < ix->entries) {
        size_t i = (*next)++;
        KE_FORWARD(order_one(ix, i, err));
    }
    *next = ix->entries;
    return 0;
}
