/* snapshot.c - see snapshot.h. */
#include "snapshot.h"

#include <assert.h>
#include <inttypes.h>

#include "crc.h"
#include "cursor.h"

int64_t kp_entry_pos(size_t i)
{
    return KP_HEADER_SIZE + (int64_t)i * KP_ENTRY_SIZE;
}

static void snapshot_reset(kp_snapshot *s, const uint8_t *buf, size_t len)
{
    s->buf = buf;
    s->len = len;
    s->version = -1;
    s->crc_stored = 0;
    s->crc_computed = 0;
    s->count = -1;
    s->n = 0;
    s->trailing = 0;
}

/* Version, CRC and count fields; the CRC is computed once the header fits. */
static int read_header(kp_snapshot *s, ke_error *err)
{
    KE_RET_IF(s->len < 2, err, KE_SHORT, 0, "producer snapshot of %zu bytes has no version field", s->len);
    kcur c = kcur_make(s->buf, s->len);
    bool ok = kcur_i16(&c, &s->version);
    assert(ok);
    (void)ok;
    KE_RET_IF(s->version != KP_VERSION, err, KE_UNSUPPORTED, 0,
              "producer snapshot version %" PRId16 ", only %d exists", s->version, KP_VERSION);
    KE_RET_IF(!kcur_u32(&c, &s->crc_stored), err, KE_SHORT, 2,
              "producer snapshot of %zu bytes ends inside its CRC field", s->len);
    KE_RET_IF(!kcur_i32(&c, &s->count), err, KE_SHORT, KP_CRC_FROM,
              "producer snapshot of %zu bytes ends inside its entry count", s->len);
    s->crc_computed = kcrc32c(s->buf + KP_CRC_FROM, s->len - KP_CRC_FROM);
    return 0;
}

int kp_open(kp_snapshot *s, const uint8_t *buf, size_t len, ke_error *err)
{
    KE_RET_IF(!s, err, KE_USAGE, -1, "kp_open: no snapshot given");
    KE_RET_IF(!buf && len > 0, err, KE_USAGE, -1, "kp_open: no buffer for %zu bytes", len);
    snapshot_reset(s, buf, len);
    KE_FORWARD(read_header(s, err));
    KE_RET_IF(s->count < 0, err, KE_CORRUPT, KP_CRC_FROM,
              "producer snapshot entry count %" PRId32 " is negative", s->count);
    size_t room = (len - KP_HEADER_SIZE) / KP_ENTRY_SIZE;
    s->n = (size_t)s->count < room ? (size_t)s->count : room;
    s->trailing = len - KP_HEADER_SIZE - s->n * KP_ENTRY_SIZE;
    KE_RET_IF((size_t)s->count > s->n, err, KE_TRUNCATED, kp_entry_pos(s->n),
              "producer snapshot declares %" PRId32 " entries, the file holds %zu (and %zu bytes)", s->count,
              s->n, s->trailing);
    KE_RET_IF(s->crc_stored != s->crc_computed, err, KE_CRC, 2,
              "producer snapshot CRC is 0x%08" PRIx32 ", computed 0x%08" PRIx32, s->crc_stored,
              s->crc_computed);
    KE_RET_IF(s->trailing > 0, err, KE_CORRUPT, kp_entry_pos(s->n),
              "%zu bytes after the %" PRId32 " entries of the producer snapshot", s->trailing, s->count);
    return 0;
}

int kp_entry_at(const kp_snapshot *s, size_t i, kp_entry *e, ke_error *err)
{
    KE_RET_IF(!s || !e, err, KE_USAGE, -1, "kp_entry_at: missing argument");
    KE_RET_IF(i >= s->n, err, KE_USAGE, -1, "kp_entry_at: entry %zu out of range (%zu)", i, s->n);
    e->pos = kp_entry_pos(i);
    assert((size_t)e->pos + KP_ENTRY_SIZE <= s->len);
    kcur c = kcur_make(s->buf + e->pos, KP_ENTRY_SIZE);
    bool ok = kcur_i64(&c, &e->producer_id) && kcur_i16(&c, &e->epoch) && kcur_i32(&c, &e->last_sequence) &&
              kcur_i64(&c, &e->last_offset) && kcur_i32(&c, &e->offset_delta) &&
              kcur_i64(&c, &e->timestamp) && kcur_i32(&c, &e->coordinator_epoch) &&
              kcur_i64(&c, &e->current_txn_first_offset);
    assert(ok && kcur_left(&c) == 0);
    (void)ok;
    return 0;
}

bool kp_has_batch(const kp_entry *e)
{
    assert(e);
    return e->last_offset >= 0;
}

bool kp_has_open_txn(const kp_entry *e)
{
    assert(e);
    return e->current_txn_first_offset >= 0;
}

/* Java's (int) of a 64-bit value: reduction modulo 2^32, without relying on
 * implementation-defined conversions. */
static int32_t java_int(int64_t v)
{
    uint32_t u = (uint32_t)((uint64_t)v & 0xffffffffu);
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}

int32_t kp_first_sequence(const kp_entry *e)
{
    assert(e);
    int64_t s = e->last_sequence, d = e->offset_delta;
    int64_t r = s < d ? (int64_t)INT32_MAX - (d - s) + 1 : s - d;
    return java_int(r);
}

static int check_batch_fields(const kp_entry *e, ke_error *err)
{
    if (kp_has_batch(e)) {
        KE_RET_IF(e->offset_delta < 0, err, KE_CORRUPT, e->pos,
                  "producer %" PRId64 ": negative offset delta %" PRId32, e->producer_id, e->offset_delta);
        KE_RET_IF(e->last_offset < e->offset_delta, err, KE_CORRUPT, e->pos,
                  "producer %" PRId64 ": last offset %" PRId64 " - offset delta %" PRId32 " is negative",
                  e->producer_id, e->last_offset, e->offset_delta);
        return 0;
    }
    KE_RET_IF(e->last_sequence != -1 || e->offset_delta != 0, err, KE_CORRUPT, e->pos,
              "producer %" PRId64 ": no batch (last offset %" PRId64 ") but last sequence %" PRId32
              " and offset delta %" PRId32,
              e->producer_id, e->last_offset, e->last_sequence, e->offset_delta);
    return 0;
}

int kp_check_entry(const kp_entry *e, int64_t end_offset, ke_error *err)
{
    KE_RET_IF(!e, err, KE_USAGE, -1, "kp_check_entry: no entry");
    KE_RET_IF(e->producer_id < 0, err, KE_CORRUPT, e->pos, "negative producer id %" PRId64, e->producer_id);
    KE_FORWARD(check_batch_fields(e, err));
    if (end_offset < 0) return 0;
    KE_RET_IF(e->last_offset >= end_offset, err, KE_CORRUPT, e->pos,
              "producer %" PRId64 ": last offset %" PRId64 " is not below the snapshot offset %" PRId64,
              e->producer_id, e->last_offset, end_offset);
    KE_RET_IF(e->current_txn_first_offset >= end_offset, err, KE_CORRUPT, e->pos,
              "producer %" PRId64 ": open transaction starts at %" PRId64
              ", not below the snapshot offset %" PRId64,
              e->producer_id, e->current_txn_first_offset, end_offset);
    return 0;
}
