/* digest.c - see digest.h and docs/digest.md. */
#include "digest.h"

#include <string.h>

#include "reader/cursor.h"

#define STR_MAX 65535u

/* ---- encoding ------------------------------------------------------------ */

static size_t put_uv(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) out[n++] = (uint8_t)(v | 0x80), v >>= 7;
    out[n++] = (uint8_t)v;
    return n;
}

/* Zigzag, as Kafka's varlong. Arithmetic in uint64_t: no overflow. */
static size_t put_sv(uint8_t *out, int64_t v)
{
    uint64_t u = (uint64_t)v;
    return put_uv(out, (u << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static size_t put_str(uint8_t *out, const char *s, size_t len)
{
    if (len > STR_MAX) len = STR_MAX;
    size_t n = put_uv(out, len);
    if (len) memcpy(out + n, s, len);
    return n + len;
}

static size_t put_u32le(uint8_t *out, uint32_t v)
{
    for (int i = 0; i < 4; i++) out[i] = (uint8_t)(v >> (8 * i));
    return 4;
}

static size_t put_u64le(uint8_t *out, uint64_t v)
{
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
    return 8;
}

/* a - b without overflow (deltas of hostile or extreme values wrap). */
static int64_t sub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static int64_t add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }

size_t kdg_put_frame(uint8_t *out, int tag, size_t body_len)
{
    out[0] = (uint8_t)tag;
    return 1 + put_uv(out + 1, body_len);
}

size_t kdg_put_count(uint8_t *out, uint64_t n) { return put_uv(out, n); }

size_t kdg_put_dir(uint8_t *out, const kdg_dir *d)
{
    size_t n = put_uv(out, d->id);
    n += put_str(out + n, d->path, d->path_len);
    n += put_sv(out + n, d->broker);
    n += put_str(out + n, d->cluster, d->cluster_len);
    return n;
}

size_t kdg_put_part(uint8_t *out, const kdg_part *p)
{
    size_t n = put_sv(out, p->dir);
    n += put_str(out + n, p->topic, p->topic_len);
    n += put_sv(out + n, p->partition);
    n += put_str(out + n, p->path, p->path_len);
    out[n++] = p->truncating ? 1 : 0;
    const int64_t v[] = { p->kafka_log_start, p->log_start, p->log_end, p->high_watermark,
                          p->last_segment_base, p->last_segment_size, p->segments, p->batches,
                          p->records, p->control_records, p->bytes, p->min_timestamp, p->max_timestamp };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) n += put_sv(out + n, v[i]);
    return n;
}

/* A batch's flags byte. */
enum { F_TXN = 1, F_CONTROL = 2, F_PRODUCER = 4, F_COMMIT = 8, F_MAGIC_SHIFT = 4, F_ABORT = 64 };

size_t kdg_put_batch(uint8_t *out, kdg_prev *prev, const kb_batch *b, int control_type)
{
    bool producer = b->producer_id >= 0;
    size_t n = 0;
    out[n++] = (uint8_t)((b->is_transactional ? F_TXN : 0) | (b->is_control ? F_CONTROL : 0) |
                         (producer ? F_PRODUCER : 0) | ((b->magic & 3) << F_MAGIC_SHIFT) |
                         (b->is_control && control_type == KB_CTRL_COMMIT ? F_COMMIT : 0) |
                         (b->is_control && control_type == KB_CTRL_ABORT ? F_ABORT : 0));
    n += put_sv(out + n, sub(b->base_offset, prev->next_offset));
    n += put_uv(out + n, (uint64_t)sub(b->last_offset, b->base_offset));
    n += put_sv(out + n, sub(b->partition_leader_epoch, prev->leader_epoch));
    n += put_u32le(out + n, b->crc);
    n += put_sv(out + n, b->count);
    n += put_sv(out + n, sub(b->max_timestamp, prev->max_timestamp));
    if (producer) {
        n += put_sv(out + n, sub(b->producer_id, prev->producer_id));
        n += put_sv(out + n, b->producer_epoch);
        n += put_sv(out + n, b->base_sequence);
        prev->producer_id = b->producer_id;
    }
    prev->next_offset = add(b->last_offset, 1);
    prev->leader_epoch = b->partition_leader_epoch;
    prev->max_timestamp = b->max_timestamp;
    return n;
}

size_t kdg_put_state(uint8_t *out, const kdg_state *s, const kdg_producer *p, size_t np)
{
    size_t n = put_sv(out, s->unread);
    n += put_uv(out + n, np);
    for (size_t i = 0; i < np; i++) {
        n += put_sv(out + n, p[i].producer_id);
        n += put_sv(out + n, p[i].epoch);
        n += put_sv(out + n, p[i].last_sequence);
        n += put_sv(out + n, p[i].last_offset);
        n += put_sv(out + n, p[i].last_timestamp);
        n += put_sv(out + n, p[i].open_txn_first);
    }
    return n;
}

size_t kdg_put_end(uint8_t *out, const kdg_end *e)
{
    size_t n = put_uv(out, e->partitions);
    n += put_uv(out + n, e->batches);
    return n + put_u64le(out + n, e->checksum);
}

/* ---- decoding ------------------------------------------------------------ */

static bool get_uv(kcur *c, uint64_t *v) { return kcur_uvarint_n(c, 10, 64, v); }

static bool get_sv(kcur *c, int64_t *v) { return kcur_varlong(c, v); }

static bool get_i32(kcur *c, int32_t *v)
{
    int64_t x;
    if (!get_sv(c, &x) || x < INT32_MIN || x > INT32_MAX) return false;
    *v = (int32_t)x;
    return true;
}

static bool get_str(kcur *c, const char **s, size_t *len)
{
    uint64_t n;
    const uint8_t *p;
    if (!get_uv(c, &n) || n > STR_MAX || !kcur_bytes(c, (size_t)n, &p)) return false;
    *s = (const char *)p, *len = (size_t)n;
    return true;
}

static bool get_u32le(kcur *c, uint32_t *v)
{
    const uint8_t *p;
    if (!kcur_bytes(c, 4, &p)) return false;
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return true;
}

/* The position in the file of the cursor c over a body starting at pos. */
static int64_t at(const kcur *c, const uint8_t *start, int64_t pos) { return pos + (c->p - start); }

int kdg_get_frame(const uint8_t *p, size_t len, int *tag, uint64_t *body_len, size_t *head, ke_error *e)
{
    kcur c = kcur_make(p, len);
    uint8_t t;
    KE_RET_IF(!kcur_u8(&c, &t) || !get_uv(&c, body_len), e, KE_SHORT, 0, "record frame cut short");
    *tag = t;
    *head = (size_t)(c.p - p);
    return 0;
}

int kdg_header(const uint8_t *p, size_t len, ke_error *e)
{
    KE_RET_IF(len < KDG_HEADER_LEN || memcmp(p, KDG_MAGIC, KDG_MAGIC_LEN) != 0, e, KE_FOREIGN, 0,
              "not a kaudit digest (no KAUDITDG header)");
    KE_RET_IF(p[8] != KDG_VERSION, e, KE_UNSUPPORTED, 8, "digest version %u, this kaudit reads version %u", p[8],
              KDG_VERSION);
    KE_RET_IF(p[9] != 0, e, KE_UNSUPPORTED, 9, "digest flags %u unknown to this kaudit", p[9]);
    return 0;
}

int kdg_get_dir(const uint8_t *p, size_t len, int64_t pos, kdg_dir *d, ke_error *e)
{
    kcur c = kcur_make(p, len);
    KE_RET_IF(!get_uv(&c, &d->id) || !get_str(&c, &d->path, &d->path_len) || !get_i32(&c, &d->broker) ||
                  !get_str(&c, &d->cluster, &d->cluster_len),
              e, KE_CORRUPT, at(&c, p, pos), "log directory record cut short or malformed");
    return 0;
}

int kdg_get_part(const uint8_t *p, size_t len, int64_t pos, kdg_part *out, ke_error *e)
{
    kcur c = kcur_make(p, len);
    uint8_t flags = 0;
    KE_RET_IF(!get_sv(&c, &out->dir) || !get_str(&c, &out->topic, &out->topic_len) ||
                  !get_i32(&c, &out->partition) || !get_str(&c, &out->path, &out->path_len) || !kcur_u8(&c, &flags),
              e, KE_CORRUPT, at(&c, p, pos), "partition record cut short or malformed");
    int64_t *v[] = { &out->kafka_log_start, &out->log_start, &out->log_end, &out->high_watermark,
                     &out->last_segment_base, &out->last_segment_size, &out->segments, &out->batches,
                     &out->records, &out->control_records, &out->bytes, &out->min_timestamp, &out->max_timestamp };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        KE_RET_IF(!get_sv(&c, v[i]), e, KE_CORRUPT, at(&c, p, pos), "partition record cut short");
    KE_RET_IF(flags > 1, e, KE_CORRUPT, pos, "partition record flags %u unknown", flags);
    out->truncating = flags & 1;
    return 0;
}

int kdg_get_chunk(const uint8_t *p, size_t len, int64_t pos, uint64_t *count, size_t *used, ke_error *e)
{
    kcur c = kcur_make(p, len);
    KE_RET_IF(!get_uv(&c, count) || *count == 0 || *count > KDG_CHUNK_BATCHES, e, KE_CORRUPT, pos,
              "batch chunk with a bad count");
    *used = (size_t)(c.p - p);
    return 0;
}

int kdg_get_batch(const uint8_t **pp, const uint8_t *end, int64_t pos, kdg_prev *prev, kb_batch *b, int *control_type,
                  ke_error *e)
{
    kcur c = kcur_make(*pp, (size_t)(end - *pp));
    uint8_t flags;
    int64_t base, span, epoch, ts, pid = -1, pepoch = -1, seq = -1;
    int32_t count;
    uint32_t crc;
    KE_RET_IF(!kcur_u8(&c, &flags) || !get_sv(&c, &base) || !get_uv(&c, (uint64_t *)&span) || !get_sv(&c, &epoch) ||
                  !get_u32le(&c, &crc) || !get_i32(&c, &count) || !get_sv(&c, &ts),
              e, KE_CORRUPT, pos, "batch cut short or malformed");
    if (flags & F_PRODUCER)
        KE_RET_IF(!get_sv(&c, &pid) || !get_sv(&c, &pepoch) || !get_sv(&c, &seq), e, KE_CORRUPT, pos,
                  "batch's producer fields cut short");
    base = add(base, prev->next_offset);
    epoch = add(epoch, prev->leader_epoch);
    ts = add(ts, prev->max_timestamp);
    if (flags & F_PRODUCER) pid = add(pid, prev->producer_id);
    int magic = (flags >> F_MAGIC_SHIFT) & 3;
    KE_RET_IF((flags & ~(F_TXN | F_CONTROL | F_PRODUCER | F_COMMIT | F_ABORT | (3 << F_MAGIC_SHIFT))) || magic > 2 ||
                  ((flags & (F_COMMIT | F_ABORT)) && !(flags & F_CONTROL)) || (flags & F_COMMIT && flags & F_ABORT),
              e, KE_CORRUPT, pos,
              "batch flags 0x%02x unknown", flags);
    KE_RET_IF(base < 0 || span < 0 || span > INT32_MAX || base > INT64_MAX - span || count < 0 ||
                  epoch < INT32_MIN || epoch > INT32_MAX || pepoch < INT16_MIN || pepoch > INT16_MAX ||
                  seq < INT32_MIN || seq > INT32_MAX || (flags & F_PRODUCER && pid < 0),
              e, KE_CORRUPT, pos, "batch with impossible values");
    memset(b, 0, sizeof *b);
    b->pos = -1;
    b->magic = (int8_t)magic;
    b->base_offset = base;
    b->last_offset = base + span;
    b->last_offset_delta = (int32_t)span;
    b->count = count;
    b->partition_leader_epoch = (int32_t)epoch;
    b->crc = b->crc_computed = crc;
    b->crc_valid = true;
    b->is_transactional = flags & F_TXN;
    b->is_control = flags & F_CONTROL;
    b->base_timestamp = b->max_timestamp = ts;
    b->producer_id = pid;
    b->producer_epoch = (int16_t)pepoch;
    b->base_sequence = (int32_t)seq;
    /* As the reader derives it (formats doc 1.8): wraps at INT32_MAX. */
    b->last_sequence = seq < 0 ? -1 : (int32_t)(((int64_t)seq + span) % ((int64_t)INT32_MAX + 1));
    prev->next_offset = add(b->last_offset, 1);
    prev->leader_epoch = epoch;
    prev->max_timestamp = ts;
    if (flags & F_PRODUCER) prev->producer_id = pid;
    *control_type = flags & F_COMMIT ? KB_CTRL_COMMIT : flags & F_ABORT ? KB_CTRL_ABORT : KB_CTRL_UNKNOWN;
    *pp = c.p;
    return 0;
}

int kdg_get_state(const uint8_t *p, size_t len, int64_t pos, kdg_state *s, size_t *used, ke_error *e)
{
    kcur c = kcur_make(p, len);
    KE_RET_IF(!get_sv(&c, &s->unread) || !get_uv(&c, &s->producers) || s->unread < 0, e, KE_CORRUPT, pos,
              "partition end record malformed");
    *used = (size_t)(c.p - p);
    return 0;
}

int kdg_get_producer(const uint8_t **pp, const uint8_t *end, int64_t pos, kdg_producer *out, ke_error *e)
{
    kcur c = kcur_make(*pp, (size_t)(end - *pp));
    int64_t epoch;
    KE_RET_IF(!get_sv(&c, &out->producer_id) || !get_sv(&c, &epoch) || !get_i32(&c, &out->last_sequence) ||
                  !get_sv(&c, &out->last_offset) || !get_sv(&c, &out->last_timestamp) ||
                  !get_sv(&c, &out->open_txn_first) || epoch < INT16_MIN || epoch > INT16_MAX,
              e, KE_CORRUPT, pos, "producer entry malformed");
    out->epoch = (int16_t)epoch;
    *pp = c.p;
    return 0;
}

int kdg_get_end(const uint8_t *p, size_t len, int64_t pos, kdg_end *out, ke_error *e)
{
    kcur c = kcur_make(p, len);
    const uint8_t *sum;
    KE_RET_IF(!get_uv(&c, &out->partitions) || !get_uv(&c, &out->batches) || !kcur_bytes(&c, 8, &sum) ||
                  kcur_left(&c) != 0,
              e, KE_CORRUPT, pos, "end record malformed");
    out->checksum = 0;
    for (int i = 7; i >= 0; i--) out->checksum = out->checksum << 8 | sum[i];
    return 0;
}
