/* batch.c - see batch.h. Layouts: formats doc 1.2 to 1.11, Appendix A. */
#include "batch.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "crc.h"

enum { WALK_NONE, WALK_V2, WALK_LEGACY_SINGLE, WALK_LEGACY_INNER };

int32_t kb_seq_add(int32_t seq, int64_t delta)
{
    /* Sequences live in [0, INT32_MAX] and wrap to 0 (DefaultRecordBatch.
     * incrementSequence); modular arithmetic in 64 bits covers both
     * directions without overflow. */
    const int64_t m = (int64_t)INT32_MAX + 1;
    int64_t r = ((int64_t)seq + delta % m) % m;
    return (int32_t)(r < 0 ? r + m : r);
}

/* Offsets come from the file: add them without signed overflow. */
static int64_t add_wrapping(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int parse_v2(const uint8_t *p, kb_batch *b, ke_error *e)
{
    KE_RET_IF(b->size < KB_V2_HEADER, e, KE_CORRUPT, b->pos,
              "v2 batch of %u bytes is shorter than its %d-byte header", b->size, KB_V2_HEADER);
    kcur c = kcur_make(p + 12, b->size - 12);
    int8_t magic;
    int16_t attr;
    bool ok = kcur_i32(&c, &b->partition_leader_epoch) && kcur_i8(&c, &magic) && kcur_u32(&c, &b->crc) &&
              kcur_i16(&c, &attr) && kcur_i32(&c, &b->last_offset_delta) &&
              kcur_i64(&c, &b->base_timestamp) && kcur_i64(&c, &b->max_timestamp) &&
              kcur_i64(&c, &b->producer_id) && kcur_i16(&c, &b->producer_epoch) &&
              kcur_i32(&c, &b->base_sequence) && kcur_i32(&c, &b->count);
    assert(ok && magic == 2);
    (void)ok;
    b->crc_computed = kcrc32c(p + 21, b->size - 21);
    b->crc_valid = b->crc_computed == b->crc;
    b->attributes = (uint16_t)attr;
    b->codec = attr & 0x07;
    b->timestamp_type = (attr & 0x08) ? KB_TS_LOG_APPEND : KB_TS_CREATE;
    b->is_transactional = (attr & 0x10) != 0;
    b->is_control = (attr & 0x20) != 0;
    b->has_delete_horizon = (attr & 0x40) != 0;
    b->last_offset = add_wrapping(b->base_offset, b->last_offset_delta);
    b->last_sequence = b->base_sequence >= 0 ? kb_seq_add(b->base_sequence, b->last_offset_delta) : -1;
    b->payload = p + KB_V2_HEADER;
    b->payload_len = b->size - KB_V2_HEADER;
    b->payload_pos = b->pos + KB_V2_HEADER;
    b->key_len = b->value_len = -1;
    KE_RET_IF(b->codec > KC_ZSTD, e, KE_CORRUPT, b->pos + 21, "unknown compression codec id %d", b->codec);
    KE_RET_IF(b->count < 0, e, KE_CORRUPT, b->pos + 57, "negative record count %d", b->count);
    return 0;
}

/* A legacy message (formats doc 1.11): crc, magic, attributes, [timestamp],
 * key, value. The entry's offset field is the message's (last) offset. */
static int parse_legacy(const uint8_t *p, kb_batch *b, ke_error *e)
{
    size_t min = b->magic == 0 ? 14 : 22;
    KE_RET_IF(b->size - 12 < min, e, KE_CORRUPT, b->pos,
              "v%d message of %u bytes is shorter than the %zu-byte minimum", b->magic, b->size - 12, min);
    kcur c = kcur_make(p + 12, b->size - 12);
    uint8_t attr;
    int8_t magic;
    bool ok = kcur_u32(&c, &b->crc) && kcur_i8(&c, &magic) && kcur_u8(&c, &attr);
    assert(ok);
    b->crc_computed = kcrc32(p + 16, b->size - 16);
    b->crc_valid = b->crc_computed == b->crc;
    b->attributes = attr;
    b->codec = attr & 0x07;
    b->partition_leader_epoch = -1;
    b->producer_id = -1;
    b->producer_epoch = -1;
    b->base_sequence = b->last_sequence = -1;
    b->last_offset = b->base_offset;
    b->count = 1;
    if (b->magic == 1) {
        ok = kcur_i64(&c, &b->max_timestamp);
        assert(ok);
        b->base_timestamp = b->max_timestamp;
        b->timestamp_type = (attr & 0x08) ? KB_TS_LOG_APPEND : KB_TS_CREATE;
    } else {
        b->base_timestamp = b->max_timestamp = -1;
        b->timestamp_type = KB_TS_NONE;
    }
    KE_RET_IF(b->codec > KC_LZ4, e, KE_CORRUPT, b->pos + 17,
              "codec id %d is not allowed in a v%d message (zstd needs magic 2)", b->codec, b->magic);
    int64_t at = b->pos + 12 + (c.p - (p + 12));
    KE_RET_IF(!kcur_i32(&c, &b->key_len), e, KE_CORRUPT, at, "message key length runs past the message");
    if (b->key_len < 0) {
        b->key_len = -1;
    } else {
        KE_RET_IF(!kcur_bytes(&c, (size_t)b->key_len, &b->key), e, KE_CORRUPT, at,
                  "message key of %d bytes runs past the message", b->key_len);
    }
    at = b->pos + 12 + (c.p - (p + 12));
    KE_RET_IF(!kcur_i32(&c, &b->value_len), e, KE_CORRUPT, at, "message value length runs past the message");
    b->payload_pos = at + 4;
    if (b->value_len < 0) {
        b->value_len = -1;
    } else {
        KE_RET_IF(!kcur_bytes(&c, (size_t)b->value_len, &b->payload), e, KE_CORRUPT, at,
                  "message value of %d bytes runs past the message", b->value_len);
        b->payload_len = (size_t)b->value_len;
    }
    KE_RET_IF(kcur_left(&c) != 0, e, KE_CORRUPT, b->payload_pos + b->payload_len,
              "%zu unexpected bytes after the message value", kcur_left(&c));
    return 0;
}

int kb_parse(const uint8_t *p, size_t avail, int64_t pos, kb_batch *b, ke_error *e)
{
    memset(b, 0, sizeof *b);
    b->pos = pos;
    b->data = p;
    KE_RET_IF(avail < KB_HEADER_UP_TO_MAGIC, e, KE_SHORT, pos, "%zu bytes cannot hold an entry header",
              avail);
    int32_t len = (int32_t)kbe32(p + 8);
    b->base_offset = (int64_t)kbe64(p);
    b->magic = (int8_t)p[16];
    KE_RET_IF(len < KB_LEGACY_MIN_SIZE, e, KE_CORRUPT, pos, "entry size %d is below the minimum of %d", len,
              KB_LEGACY_MIN_SIZE);
    KE_RET_IF((size_t)len + KB_LOG_OVERHEAD > avail, e, KE_SHORT, pos,
              "entry of %lld bytes runs past the %zu available", (long long)len + KB_LOG_OVERHEAD, avail);
    b->size = (uint32_t)len + KB_LOG_OVERHEAD;
    if (b->magic == 2) return parse_v2(p, b, e);
    if (b->magic == 0 || b->magic == 1) return parse_legacy(p, b, e);
    return ke_set(e, KE_UNSUPPORTED, pos + 16, "unknown magic byte %d", b->magic);
}

/* Walk the inner message set of a legacy wrapper once: count the messages,
 * check each is a sane uncompressed message of the wrapper's magic, and
 * find the offsets needed to make v1 relative offsets absolute. */
static int legacy_prescan(kb_iter *it, kb_batch *b, ke_error *e)
{
    kcur c = it->cur;
    int64_t first = 0, last = 0;
    int32_t n = 0;
    while (kcur_left(&c) > 0) {
        kb_batch in;
        int64_t at = b->payload_pos;
        KE_RET_IF(kcur_left(&c) < KB_LOG_OVERHEAD + KB_LEGACY_MIN_SIZE, e, KE_CORRUPT, at,
                  "compressed wrapper: inner message %d is cut short (%zu bytes left)", n, kcur_left(&c));
        int rc = kb_parse(c.p, kcur_left(&c), at, &in, e);
        if (rc < 0) {
            char why[KE_MSG_MAX];
            snprintf(why, sizeof why, "%s", e ? e->msg : "");
            return ke_set(e, rc, at, "compressed wrapper: inner message %d: %s", n, why);
        }
        KE_RET_IF(in.codec != KC_NONE, e, KE_CORRUPT, at,
                  "compressed wrapper: inner message %d is itself compressed", n);
        KE_RET_IF(in.magic != b->magic, e, KE_CORRUPT, at,
                  "compressed wrapper: inner message %d has magic %d inside a v%d wrapper", n, in.magic,
                  b->magic);
        if (n == 0) first = in.base_offset;
        last = in.base_offset;
        n++;
        kcur_skip(&c, in.size);
    }
    KE_RET_IF(n == 0, e, KE_CORRUPT, b->payload_pos, "compressed wrapper holds no inner message");
    if (b->magic == 1) {
        /* Relative inner offsets: absolute = wrapper - lastInner + inner.
         * Wrapper offset 0 means inner offsets are used as they are (old
         * clients' produce requests, formats doc 1.11). */
        int64_t base = 0;
        bool bad = b->last_offset != 0 && (__builtin_sub_overflow(b->last_offset, last, &base) || base < 0);
        KE_RET_IF(bad, e, KE_CORRUPT, b->pos, "v1 wrapper offset %lld is below its last relative inner offset %lld",
                  (long long)b->last_offset, (long long)last);
        it->legacy_base = base;
    }
    b->base_offset = add_wrapping(it->legacy_base, first);
    b->count = n;
    return 0;
}

int kb_iter_open(kb_iter *it, kb_batch *b, kc_ctx *dc, ke_error *e)
{
    memset(it, 0, sizeof *it);
    it->b = b;
    it->kind = WALK_NONE;
    /* The cleaner's empty batch is a bare header (DefaultRecordBatch.
     * writeEmptyHeader). Kafka's iterator returns nothing for count 0
     * whatever follows, so records behind a count of 0 would be hidden from
     * every consumer: walk them, and next_v2 says the count is wrong. */
    if (b->magic == 2 && b->count == 0 && b->payload_len == 0) return 0;
    if (b->magic < 2 && b->codec == KC_NONE) {
        it->kind = WALK_LEGACY_SINGLE;
        return 0;
    }
    const uint8_t *recs = b->payload;
    size_t n = b->payload_len;
    it->start_pos = b->payload_pos;
    if (b->codec != KC_NONE) {
        KE_RET_IF(b->magic < 2 && b->value_len < 0, e, KE_CORRUPT, b->pos,
                  "compressed wrapper with a null value");
        KE_RET_IF(!dc, e, KE_USAGE, b->pos, "compressed batch but no codec context");
        KE_FORWARD(
            kc_decompress(dc, b->codec, b->magic, b->payload, b->payload_len, b->payload_pos, &recs, &n, e));
        it->start_pos = -1;
    }
    it->cur = kcur_make(recs, n);
    it->start = recs;
    if (b->magic == 2) {
        it->kind = WALK_V2;
        return 0;
    }
    it->kind = WALK_LEGACY_INNER;
    return legacy_prescan(it, b, e);
}

/* Position for an error inside the records: exact in an uncompressed batch,
 * the batch's own position when the records were decompressed. */
static int64_t rec_pos(const kb_iter *it)
{
    return it->start_pos >= 0 ? it->start_pos + (it->cur.p - it->start) : it->b->pos;
}

/* A length-prefixed byte field of a v2 record: negative length means null. */
static bool take_field(kcur *c, const uint8_t **p, int32_t *len)
{
    if (!kcur_varint(c, len)) return false;
    if (*len < 0) {
        *len = -1;
        *p = NULL;
        return true;
    }
    return kcur_bytes(c, (size_t)*len, p);
}

/* Record layout: formats doc 1.6. Every length is bounded by the record's
 * own body, and the body must be consumed exactly. */
static int next_v2(kb_iter *it, kb_record *r, ke_error *e)
{
    kb_batch *b = it->b;
    int32_t idx = it->index;
    int64_t at = rec_pos(it);
    const char *where = it->start_pos >= 0 ? "" : " (in the decompressed records)";
    if (idx == b->count) {
        KE_RET_IF(b->count == 0 && kcur_left(&it->cur) != 0, e, KE_COUNT, at,
                  "batch at offset %lld declares no records but %zu bytes of records follow its header%s",
                  (long long)b->base_offset, kcur_left(&it->cur), where);
        KE_RET_IF(kcur_left(&it->cur) != 0, e, KE_COUNT, at,
                  "batch at offset %lld: %zu bytes left after the last of its %d records%s",
                  (long long)b->base_offset, kcur_left(&it->cur), b->count, where);
        return 0;
    }
    KE_RET_IF(kcur_left(&it->cur) == 0, e, KE_COUNT, b->pos,
              "batch at offset %lld declares %d records but holds only %d", (long long)b->base_offset,
              b->count, idx);
    int32_t len;
    const uint8_t *body;
    KE_RET_IF(!kcur_varint(&it->cur, &len), e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: bad length varint%s", (long long)b->base_offset, idx, where);
    KE_RET_IF(len < 0 || !kcur_bytes(&it->cur, (size_t)len, &body), e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: length %d runs past the batch (%zu bytes left)%s",
              (long long)b->base_offset, idx, len, kcur_left(&it->cur), where);
    kcur c = kcur_make(body, (size_t)len);
    int64_t ts_delta;
    int32_t off_delta;
    memset(r, 0, sizeof *r);
    bool ok = kcur_i8(&c, &r->attributes) && kcur_varlong(&c, &ts_delta) && kcur_varint(&c, &off_delta) &&
              take_field(&c, &r->key, &r->key_len) && take_field(&c, &r->value, &r->value_len) &&
              kcur_varint(&c, &r->header_count);
    KE_RET_IF(!ok, e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: a field runs past the record's %d bytes%s",
              (long long)b->base_offset, idx, len, where);
    KE_RET_IF(r->header_count < 0 || (size_t)r->header_count > kcur_left(&c), e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: header count %d does not fit the record%s",
              (long long)b->base_offset, idx, r->header_count, where);
    r->headers = c.p;
    for (int32_t h = 0; h < r->header_count; h++) {
        int32_t klen, vlen;
        const uint8_t *k, *v;
        ok = kcur_varint(&c, &klen) && klen >= 0 && kcur_bytes(&c, (size_t)klen, &k) &&
             take_field(&c, &v, &vlen);
        KE_RET_IF(!ok, e, KE_CORRUPT, at, "batch at offset %lld, record %d: header %d runs past the record%s",
                  (long long)b->base_offset, idx, h, where);
    }
    r->headers_len = (size_t)(c.p - r->headers);
    KE_RET_IF(kcur_left(&c) != 0, e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: %zu bytes left inside the record%s",
              (long long)b->base_offset, idx, kcur_left(&c), where);
    /* A record's offset is baseOffset + offsetDelta (formats doc 1.6) and
     * lies inside the batch's range: a broker assigns deltas 0..count-1
     * (LogValidator rebuilds a compressed batch whose deltas are not), and
     * the cleaner only removes records, so deltas stay increasing within
     * [0, lastOffsetDelta] (1.10). Outside it a record would claim an offset
     * of another batch. */
    KE_RET_IF(off_delta < 0 || off_delta > b->last_offset_delta, e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: offset delta %d is outside the batch's range 0..%d (offset %lld)%s",
              (long long)b->base_offset, idx, off_delta, b->last_offset_delta,
              (long long)add_wrapping(b->base_offset, off_delta), where);
    KE_RET_IF(idx > 0 && off_delta <= it->prev_delta, e, KE_CORRUPT, at,
              "batch at offset %lld, record %d: offset delta %d does not follow the previous record's %d "
              "(offsets inside a batch only increase)%s",
              (long long)b->base_offset, idx, off_delta, it->prev_delta, where);
    it->prev_delta = off_delta;
    r->offset = add_wrapping(b->base_offset, off_delta);
    /* LogAppendTime rewrites only the batch's maxTimestamp and type
     * (formats doc 1.9): the first timestamp plus each delta is still what
     * the client wrote, unless the cleaner replaced the first timestamp by a
     * delete horizon (1.10). */
    r->client_timestamp = b->has_delete_horizon ? -1 : add_wrapping(b->base_timestamp, ts_delta);
    r->timestamp = b->timestamp_type == KB_TS_LOG_APPEND ? b->max_timestamp : r->client_timestamp;
    r->sequence = b->base_sequence >= 0 ? kb_seq_add(b->base_sequence, off_delta) : -1;
    r->crc_valid = true;
    it->index++;
    return 1;
}

static void legacy_record(const kb_batch *m, kb_record *r)
{
    memset(r, 0, sizeof *r);
    r->timestamp = m->max_timestamp;
    /* A v1 message the broker stamped with LogAppendTime lost the client's
     * timestamp (it rewrites each uncompressed message in place). */
    r->client_timestamp = m->timestamp_type == KB_TS_CREATE ? m->max_timestamp : -1;
    r->sequence = -1;
    r->attributes = (int8_t)m->attributes;
    r->key = m->key;
    r->key_len = m->key_len;
    r->value = m->payload;
    r->value_len = m->value_len;
    r->crc = m->crc;
    r->crc_computed = m->crc_computed;
    r->crc_valid = m->crc_valid;
}

static int next_legacy_inner(kb_iter *it, kb_record *r, ke_error *e)
{
    if (kcur_left(&it->cur) == 0) return 0;
    kb_batch in;
    /* The prescan already validated every inner message. */
    int rc = kb_parse(it->cur.p, kcur_left(&it->cur), it->b->payload_pos, &in, e);
    assert(rc == 0);
    if (rc < 0) return rc;
    kcur_skip(&it->cur, in.size);
    legacy_record(&in, r);
    r->offset = add_wrapping(it->legacy_base, in.base_offset);
    /* A v1 LogAppendTime wrapper's timestamp overrides the inner ones for
     * consumers; the inner messages keep the client's (only the wrapper is
     * rewritten). */
    if (it->b->magic == 1 && it->b->timestamp_type == KB_TS_LOG_APPEND) r->timestamp = it->b->max_timestamp;
    it->index++;
    return 1;
}

int kb_iter_next(kb_iter *it, kb_record *r, ke_error *e)
{
    int rc = 0;
    switch (it->kind) {
    case WALK_V2: rc = next_v2(it, r, e); break;
    case WALK_LEGACY_INNER: rc = next_legacy_inner(it, r, e); break;
    case WALK_LEGACY_SINGLE:
        if (it->index > 0) return 0;
        legacy_record(it->b, r);
        r->offset = it->b->last_offset;
        it->index++;
        return 1;
    default: return 0;
    }
    if (rc <= 0) it->kind = WALK_NONE;
    return rc;
}

bool kb_header_next(kcur *c, kb_header *h)
{
    if (kcur_left(c) == 0) return false;
    bool ok = kcur_varint(c, &h->key_len) && h->key_len >= 0 && kcur_bytes(c, (size_t)h->key_len, &h->key) &&
              take_field(c, &h->value, &h->value_len);
    assert(ok); /* kb_iter_next validated the header area */
    return ok;
}

int kb_control_parse(const kb_record *r, int *type, int32_t *coordinator_epoch, ke_error *e)
{
    *type = KB_CTRL_UNKNOWN;
    *coordinator_epoch = -1;
    KE_RET_IF(r->key_len < 4, e, KE_CORRUPT, -1, "control record key of %d bytes (needs 4)", r->key_len);
    int16_t version = (int16_t)kbe16(r->key);
    int16_t t = (int16_t)kbe16(r->key + 2);
    KE_RET_IF(version < 0, e, KE_CORRUPT, -1, "control record key version %d", version);
    *type = t >= KB_CTRL_ABORT && t <= KB_CTRL_KRAFT_VOTERS ? t : KB_CTRL_UNKNOWN;
    if (*type != KB_CTRL_ABORT && *type != KB_CTRL_COMMIT) return 0;
    KE_RET_IF(r->value_len < 6, e, KE_CORRUPT, -1, "transaction marker value of %d bytes (needs 6)",
              r->value_len);
    KE_RET_IF((int16_t)kbe16(r->value) < 0, e, KE_CORRUPT, -1, "transaction marker version %d",
              (int16_t)kbe16(r->value));
    *coordinator_epoch = (int32_t)kbe32(r->value + 2);
    return 0;
}

const char *kb_control_name(int type)
{
    static const char *names[] = {"ABORT",           "COMMIT",        "LEADER_CHANGE", "SNAPSHOT_HEADER",
                                  "SNAPSHOT_FOOTER", "KRAFT_VERSION", "KRAFT_VOTERS"};
    return type >= 0 && type <= KB_CTRL_KRAFT_VOTERS ? names[type] : "UNKNOWN";
}
