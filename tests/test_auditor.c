/*
 * test_auditor.c - the auditor (audit/audit.h) driven directly, without
 * files: hand-built v2 batches and records (reader/batch.h), producer
 * snapshots and leader-epoch checkpoints, fed in offset order as the engine
 * feeds them (engine/partition.c), into a report model (report/model.h).
 *
 * Each test is a log a broker could leave behind, with real values, and
 * asserts the findings Kafka's producer-state rules give (formats doc
 * 7.1-7.11; docs/report.md): type, severity, offset, producer id and epoch,
 * and the named fields. Several mirror a case of
 * fixtures/gen_audit_fixtures.py (its number in the test's comment), whose
 * expected findings (fixtures/expected/audit/) are the ground truth. No test
 * looks at a finding's message or explanation. Every test asserts the count
 * of the finding type it targets and that nothing else of warning or error
 * severity appeared.
 */
#include "kt.h"

#include <assert.h>

#include "audit/audit.h"
#include "reader/crc.h"

#define T0 ((int64_t)1700000000000)   /* the fixtures' first timestamp */
#define MINUTE ((int64_t)60000)
#define HOUR ((int64_t)3600000)
#define DAY ((int64_t)86400000)

/* ---- the partition under test ------------------------------------------------ */

/* One partition of a report being audited. The options live here, so the
 * auditor (which keeps a pointer to them) never outlives them. */
typedef struct tp {
    ka_options o;
    rm_report *r;
    ka_partition *p;
    size_t idx;
    int64_t pos;            /* file position of the next batch */
    char path[96];
} tp;

/* Start auditing `topic`-0 with options `o` (NULL: the defaults). False
 * when out of memory. Close with tp_close whatever it returns. */
static bool tp_open(tp *t, const char *topic, const ka_options *o)
{
    memset(t, 0, sizeof *t);
    if (o) t->o = *o;
    else ka_options_init(&t->o);
    snprintf(t->path, sizeof t->path, "/data/%s-0", topic);
    if (!(t->r = rm_create(-1))) return false; /* keep every finding */
    t->idx = rm_add_partition(t->r, topic, 0, t->path);
    if (t->idx == (size_t)-1) return false;
    if (!(t->p = ka_partition_create(&t->o, t->r, t->idx, topic))) return false;
    ka_segment(t->p, 1 << 20);
    return true;
}

/* The end of the partition, as the engine ends it. */
static void tp_end(tp *t)
{
    ka_partition_end(t->p);
    ka_partition_free(t->p);
    t->p = NULL;
    rm_finish(t->r);
}

/* Free the auditor (when tp_end did not) and the report. */
static void tp_close(tp *t)
{
    ka_partition_free(t->p);
    rm_free(t->r);
}

/* The segment every batch of a test comes from. */
#define SEG "00000000000000000000.log"

/* ---- batches -------------------------------------------------------------------- */

/* A v2 batch to feed. Record i (offset base + i) has key "<tag>-k<i>", a
 * JSON value naming i and the tag, and client timestamp ts + i, so the same tag and ts give the
 * same records (a retry), the same tag with another ts the same content
 * sent again. */
typedef struct tb {
    int64_t base;          /* base offset */
    int n;                 /* records fed */
    int64_t ts;            /* first record's timestamp */
    const char *tag;       /* content */
    int64_t pid;           /* -1: not idempotent */
    int16_t epoch;         /* -1 with pid -1 */
    int32_t seq;           /* base sequence, -1 none */
    bool txn;              /* attributes bit 4 */
    int32_t ple;           /* partition leader epoch */
    int32_t count;         /* header recordsCount (n unless a test says otherwise) */
    int32_t delta;         /* header lastOffsetDelta (n - 1 unless ...) */
    int64_t max_ts;        /* header maxTimestamp (ts + n - 1 unless ...) */
} tb;

static tb plain(int64_t base, int n, int64_t ts, const char *tag)
{
    tb b = { base, n, ts, tag, -1, -1, -1, false, 0, n, n - 1, ts + n - 1 };
    return b;
}

static tb idem(int64_t base, int n, int64_t pid, int16_t epoch, int32_t seq, int64_t ts, const char *tag)
{
    tb b = plain(base, n, ts, tag);
    b.pid = pid, b.epoch = epoch, b.seq = seq;
    return b;
}

static tb txn(int64_t base, int n, int64_t pid, int16_t epoch, int32_t seq, int64_t ts, const char *tag)
{
    tb b = idem(base, n, pid, epoch, seq, ts, tag);
    b.txn = true;
    return b;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8) p[i] = (uint8_t)(v & 0xff);
}

/* The stored CRC of a batch: over what Kafka's CRC-32C covers (attributes
 * to the end: not the base offset nor the leader epoch), so a batch sent
 * twice byte for byte has the same CRC at two offsets. */
static uint32_t batch_crc(const tb *s, uint16_t attributes)
{
    uint8_t buf[96];
    size_t n = 0;
    put_be(buf + n, attributes, 2), n += 2;
    put_be(buf + n, (uint64_t)(int64_t)s->delta, 4), n += 4;
    put_be(buf + n, (uint64_t)s->ts, 8), n += 8;
    put_be(buf + n, (uint64_t)s->max_ts, 8), n += 8;
    put_be(buf + n, (uint64_t)s->pid, 8), n += 8;
    put_be(buf + n, (uint64_t)(int64_t)s->epoch, 2), n += 2;
    put_be(buf + n, (uint64_t)(int64_t)s->seq, 4), n += 4;
    put_be(buf + n, (uint64_t)(int64_t)s->count, 4), n += 4;
    size_t tl = strlen(s->tag);
    if (tl > sizeof buf - n) tl = sizeof buf - n;
    memcpy(buf + n, s->tag, tl), n += tl;
    return kcrc32c(buf, n);
}

/* The header of batch s as the reader hands it over (CRC valid). */
static kb_batch header(tp *t, const tb *s, bool control)
{
    kb_batch b;
    memset(&b, 0, sizeof b);
    b.pos = t->pos;
    b.size = (uint32_t)(KB_V2_HEADER + 32 * s->n);
    t->pos += b.size;
    b.magic = 2;
    b.base_offset = s->base;
    b.last_offset_delta = s->delta;
    b.last_offset = s->base + s->delta;
    b.count = s->count;
    b.partition_leader_epoch = s->ple;
    b.attributes = (uint16_t)((s->txn ? 0x10 : 0) | (control ? 0x20 : 0));
    b.crc = b.crc_computed = batch_crc(s, b.attributes);
    b.crc_valid = true;
    b.codec = KC_NONE;
    b.timestamp_type = KB_TS_CREATE;
    b.is_transactional = s->txn;
    b.is_control = control;
    b.base_timestamp = s->ts;
    b.max_timestamp = s->max_ts;
    b.producer_id = s->pid;
    b.producer_epoch = s->epoch;
    b.base_sequence = s->seq;
    b.last_sequence = s->seq >= 0 ? kb_seq_add(s->seq, s->delta) : -1;
    return b;
}

#define TB_MAX 64 /* records in one test batch, at most */

/* The bytes of a batch's records. The reader's record views point into the
 * batch's buffer, which stays valid until ka_batch_end, and the auditor
 * relies on that (it queues records and reads their keys and values at the
 * end of the batch), so the test keeps them as long. */
typedef struct tb_bytes {
    char key[TB_MAX][64];
    char value[TB_MAX][96];
} tb_bytes;

/* Feed batch s, its records, and its end with `iter_error` (NULL: every
 * record was read). */
static void feed_err(tp *t, const tb *s, const ke_error *iter_error)
{
    static tb_bytes bytes;
    assert(s->n >= 0 && s->n <= TB_MAX);
    kb_batch b = header(t, s, false);
    ka_batch_begin(t->p, &b, SEG);
    for (int i = 0; i < s->n; i++) {
        char *key = bytes.key[i], *value = bytes.value[i];
        int kl = snprintf(key, sizeof bytes.key[i], "%s-k%d", s->tag, i);
        int vl = snprintf(value, sizeof bytes.value[i], "{\"id\":%d,\"source\":\"%s\",\"status\":\"ok\"}", i,
                          s->tag);
        kb_record r;
        memset(&r, 0, sizeof r);
        r.offset = s->base + i;
        r.timestamp = r.client_timestamp = s->ts + i;
        r.sequence = s->seq >= 0 ? kb_seq_add(s->seq, i) : -1;
        r.key = (const uint8_t *)key;
        r.key_len = kl;
        r.value = (const uint8_t *)value;
        r.value_len = vl;
        r.crc_valid = true;
        ka_record(t->p, &r);
    }
    ka_batch_end(t->p, iter_error);
}

static void feed(tp *t, tb s) { feed_err(t, &s, NULL); }

/* A control batch at `offset` of producer pid/epoch holding one control
 * record with this key and value (formats doc 3). */
static void control(tp *t, int64_t offset, int64_t pid, int16_t epoch, const uint8_t *key, int32_t klen,
                    const uint8_t *value, int32_t vlen, int64_t ts)
{
    tb s = txn(offset, 1, pid, epoch, -1, ts, "control");
    s.txn = pid >= 0;
    kb_batch b = header(t, &s, true);
    ka_batch_begin(t->p, &b, SEG);
    kb_record r;
    memset(&r, 0, sizeof r);
    r.offset = offset;
    r.timestamp = r.client_timestamp = ts;
    r.sequence = -1;
    r.key = key, r.key_len = klen;
    r.value = value, r.value_len = vlen;
    r.crc_valid = true;
    ka_record(t->p, &r);
    ka_batch_end(t->p, NULL);
}

/* A control batch the cleaner emptied (recordsCount 0): ignored (7.6). */
static void empty_control(tp *t, int64_t offset, int64_t pid, int16_t epoch, int64_t ts)
{
    tb s = txn(offset, 0, pid, epoch, -1, ts, "control");
    s.count = s.delta = 0;
    s.max_ts = ts;
    kb_batch b = header(t, &s, true);
    ka_batch_begin(t->p, &b, SEG);
    ka_batch_end(t->p, NULL);
}

/* A COMMIT or ABORT marker as the broker writes it: key version 0 and the
 * type (int16 each), value version 0 and the coordinator epoch (int32). */
static void marker(tp *t, int64_t offset, int64_t pid, int16_t epoch, int type, int32_t coordinator_epoch, int64_t ts)
{
    uint8_t key[4] = { 0, 0, 0, (uint8_t)type }, value[6] = { 0, 0 };
    put_be(value + 2, (uint64_t)(int64_t)coordinator_epoch, 4);
    control(t, offset, pid, epoch, key, 4, value, 6, ts);
}

/* ---- findings ------------------------------------------------------------------- */

/* Findings of `type` (every one is kept: max_examples -1). */
static long long n_of(const rm_report *r, const char *type)
{
    long long n = 0;
    for (size_t i = 0; i < r->nfindings; i++) n += strcmp(r->findings[i].type, type) == 0;
    const rm_count *c = rm_count_of(r, type);
    if ((c ? c->total : 0) != n) return -1; /* counted but not kept: nothing to inspect */
    return n;
}

/* The k-th finding of `type` in report order (partition, offset), or NULL. */
static const rm_finding *nth(const rm_report *r, const char *type, int k)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (strcmp(r->findings[i].type, type) == 0 && k-- == 0) return &r->findings[i];
    return NULL;
}

/* Warnings and errors of any type but `type` (NULL: of every type). */
static long long n_serious_except(const rm_report *r, const char *type)
{
    long long n = r->by_severity[RM_WARNING] + r->by_severity[RM_ERROR];
    const rm_count *c = type ? rm_count_of(r, type) : NULL;
    if (c) n -= c->by_severity[RM_WARNING] + c->by_severity[RM_ERROR];
    return n;
}

static const rm_field *field(const rm_finding *f, const char *key)
{
    for (int i = 0; f && i < f->nfields; i++)
        if (f->fields[i].key && strcmp(f->fields[i].key, key) == 0) return &f->fields[i];
    return NULL;
}

/* A field's value; a missing field (or one of another kind) gives a value
 * no assertion expects: INT64_MIN, NULL, -1. */
static long long fint(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_INT ? (long long)x->i : (long long)INT64_MIN;
}

static const char *fstr(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_STR ? x->s : NULL;
}

static int fbool(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_BOOL ? (x->i != 0) : -1;
}

static bool fnull(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_NULL;
}

/* Every finding of the report, on stderr (shown when a check failed). */
static void show(const rm_report *r)
{
    for (size_t i = 0; i < r->nfindings; i++) {
        const rm_finding *f = &r->findings[i];
        fprintf(stderr, "    finding %s %s @%" PRId64 " pid %" PRId64 " epoch %d: %s\n", f->type,
                rm_severity_name(f->severity), f->offset, f->producer_id, f->producer_epoch,
                f->message ? f->message : "");
    }
}

/* Exactly n findings of `type`, and no other warning or error. */
#define EXPECT_ONLY(t, ty, n)                                                            \
    do {                                                                                 \
        int kt_was_ = kt_cur_failed;                                                     \
        kt_cur_failed = 0;                                                               \
        KT_EQ_INT(n_of((t)->r, (ty)), (n));                                              \
        KT_EQ_INT(n_serious_except((t)->r, (ty)), 0);                                    \
        if (kt_cur_failed) show((t)->r);                                                 \
        kt_cur_failed |= kt_was_;                                                        \
    } while (0)

/* No finding at all, of any severity. */
#define EXPECT_NONE(t)                                                                   \
    do {                                                                                 \
        KT_EQ_INT((t)->r->by_severity[RM_INFO] + (t)->r->by_severity[RM_WARNING] +        \
                      (t)->r->by_severity[RM_ERROR], 0);                                 \
        KT_EQ_INT((t)->r->nfindings, 0);                                                 \
        if ((t)->r->nfindings) show((t)->r);                                             \
    } while (0)

/* Type, severity, offset, producer id and epoch of finding f. */
#define EXPECT_AT(f, ty, sev, off, pid, ep)                                              \
    do {                                                                                 \
        KT_EQ_STR((f)->type, (ty));                                                      \
        KT_EQ_INT((f)->severity, (sev));                                                 \
        KT_EQ_INT((f)->offset, (off));                                                   \
        KT_EQ_INT((f)->producer_id, (pid));                                              \
        KT_EQ_INT((f)->producer_epoch, (ep));                                            \
    } while (0)

/* ---- idempotent producers: sequences (7.4) ------------------------------------ */

/* Sequences 0..4 then 5..9 in one epoch: the next batch begins at last + 1. */
static void test_sequences_in_order(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "orders", NULL));
    feed(&t, idem(0, 5, 1000, 0, 0, T0, "a"));
    feed(&t, idem(5, 5, 1000, 0, 5, T0 + 10, "b"));
    tp_end(&t);
    EXPECT_NONE(&t);
    const rm_partition *rp = &t.r->partitions[t.idx];
    KT_REQUIRE_EQ_INT(rp->nproducers, 1);
    KT_EQ_INT(rp->producers[0].producer_id, 1000);
    KT_EQ_INT(rp->producers[0].epoch, 0);
    KT_EQ_INT(rp->producers[0].last_sequence, 9);
    KT_EQ_INT(rp->producers[0].first_offset, 0);
    KT_EQ_INT(rp->producers[0].last_offset, 9);
    KT_EQ_INT(rp->producers[0].batches, 2);
    KT_EQ_INT(rp->producers[0].records, 10);
    KT_EQ_INT(rp->batches, 2);
    KT_EQ_INT(rp->records, 10);
    KT_EQ_INT(rp->log_end_offset, 10);
    tp_close(&t);
}

/* 07: producer 5000 jumps from sequence 4 to 10 in epoch 0: 5..9 missing. */
static void test_sequence_gap(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "sequence-gap", NULL));
    feed(&t, idem(0, 5, 5000, 0, 0, T0, "a"));
    feed(&t, idem(5, 5, 5000, 0, 10, T0 + 9, "b"));
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_gap", 1);
    const rm_finding *f = nth(t.r, "sequence_gap", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_gap", RM_WARNING, 5, 5000, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 5);
    KT_EQ_INT(fint(f, "actual_sequence"), 10);
    KT_EQ_INT(fint(f, "missing"), 5);
    KT_EQ_STR(fstr(f, "file"), SEG);
    tp_close(&t);
}

/* 09: producer 5200 writes 0..4, 5..9, then 3..6 (neither the next
 * sequence nor an exact repeat of a batch in the broker's window). */
static void test_sequence_regression(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "sequence-regression", NULL));
    feed(&t, idem(0, 5, 5200, 0, 0, T0, "a"));
    feed(&t, idem(5, 5, 5200, 0, 5, T0 + 9, "b"));
    feed(&t, idem(10, 4, 5200, 0, 3, T0 + 18, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_regression", 1);
    const rm_finding *f = nth(t.r, "sequence_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_regression", RM_ERROR, 10, 5200, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 10);
    KT_EQ_INT(fint(f, "actual_sequence"), 3);
    KT_CHECK(field(f, "missing") == NULL);
    KT_EQ_INT(n_of(t.r, "sequence_gap"), 0);
    tp_close(&t);
}

/* 08: after 2147483647 comes 0 (formats doc 1.8), also inside one batch. */
static void test_sequence_wrap(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "sequence-wrap", NULL));
    feed(&t, idem(0, 5, 5100, 0, 2147483640, T0, "a"));      /* ..2147483644 */
    feed(&t, idem(5, 3, 5100, 0, 2147483645, T0 + 9, "b"));  /* ..2147483647 */
    feed(&t, idem(8, 3, 5100, 0, 0, T0 + 16, "c"));           /* wrapped: 0..2 */
    feed(&t, idem(11, 2, 5100, 0, 3, T0 + 23, "d"));
    /* A batch that wraps itself: 2147483646, 2147483647, 0, 1; then 2. */
    feed(&t, idem(13, 4, 5101, 0, 2147483646, T0 + 30, "e"));
    feed(&t, idem(17, 2, 5101, 0, 2, T0 + 38, "f"));
    tp_end(&t);
    EXPECT_NONE(&t);
    const rm_partition *rp = &t.r->partitions[t.idx];
    KT_REQUIRE_EQ_INT(rp->nproducers, 2);
    for (size_t i = 0; i < rp->nproducers; i++)
        KT_EQ_INT(rp->producers[i].last_sequence, rp->producers[i].producer_id == 5100 ? 4 : 3);
    tp_close(&t);
}

/* A jump across the wrap is a gap counted modulo the wrap: after
 * 2147483647 the next is 0, so 5 is 5 missing (0..4). */
static void test_gap_across_wrap(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "sequence-wrap-gap", NULL));
    feed(&t, idem(0, 3, 5150, 0, 2147483645, T0, "a"));
    feed(&t, idem(3, 2, 5150, 0, 5, T0 + 7, "b"));
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_gap", 1);
    const rm_finding *f = nth(t.r, "sequence_gap", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_gap", RM_WARNING, 3, 5150, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 0);
    KT_EQ_INT(fint(f, "actual_sequence"), 5);
    KT_EQ_INT(fint(f, "missing"), 5);
    tp_close(&t);
}

/* 24 and 7.8: a producer's first batch in the retained log may start
 * anywhere (its earlier batches were deleted), in any epoch. */
static void test_first_batch_mid_sequence(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "retention-moved-start", NULL));
    feed(&t, idem(1200, 3, 7000, 0, 57, T0, "a"));
    feed(&t, idem(1203, 2, 7001, 0, 0, T0 + 7, "b"));
    feed(&t, idem(1205, 3, 7000, 0, 60, T0 + 13, "c"));
    feed(&t, idem(1208, 2, 7002, 4, 900, T0 + 20, "d"));   /* epoch 4, sequence 900: unknown before */
    feed(&t, plain(1210, 2, T0 + 26, "e"));
    tp_end(&t);
    EXPECT_NONE(&t);
    KT_EQ_INT(t.r->partitions[t.idx].log_start_offset, 1200);
    tp_close(&t);
}

/* 38: the cleaner removes whole batches (1.10): a sequence may jump by no
 * more than the offsets that vanished since the producer's last batch.
 * Producer 7800 jumps from 1 to 20 where only 7 offsets vanished. */
static void test_compaction_sequence_holes(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "compaction-sequence-holes", NULL));
    feed(&t, idem(0, 3, 7700, 0, 0, T0, "a"));
    feed(&t, idem(3, 2, 7800, 0, 0, T0 + 7, "b"));
    /* offsets 5-6 (7700's sequences 3..4) removed */
    feed(&t, idem(7, 3, 7700, 0, 5, T0 + 15, "c"));
    feed(&t, plain(10, 2, T0 + 22, "d"));
    /* offsets 12-16 (7700's 8..10 and a plain batch) removed */
    feed(&t, idem(17, 2, 7700, 0, 11, T0 + 33, "e"));
    feed(&t, idem(19, 2, 7800, 0, 20, T0 + 39, "f"));
    feed(&t, idem(21, 2, 7700, 0, 13, T0 + 45, "g"));
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_gap", 1);
    const rm_finding *f = nth(t.r, "sequence_gap", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_gap", RM_WARNING, 19, 7800, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 2);
    KT_EQ_INT(fint(f, "actual_sequence"), 20);
    KT_EQ_INT(fint(f, "missing"), 18);
    tp_close(&t);
}

/* ---- epochs (7.3, 7.4 rule 3, 7.7) ------------------------------------------- */

/* 10: producer 5300 writes with epoch 2, then a zombie with the fenced
 * epoch 1. The broker rejects the zombie's write (CLIENT), so the producer's
 * state stays epoch 2 and its next batch, sequence 3, follows on. */
static void test_epoch_regression(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "epoch-regression", NULL));
    feed(&t, idem(0, 3, 5300, 2, 0, T0, "a"));
    feed(&t, idem(3, 3, 5300, 1, 0, T0 + 7, "zombie"));
    feed(&t, idem(6, 2, 5300, 2, 3, T0 + 14, "b"));
    tp_end(&t);
    EXPECT_ONLY(&t, "epoch_regression", 1);
    const rm_finding *f = nth(t.r, "epoch_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "epoch_regression", RM_ERROR, 3, 5300, 1);
    KT_EQ_INT(fint(f, "previous_epoch"), 2);
    tp_close(&t);
}

/* A marker carries the producer's epoch too: one below the epoch already
 * used is a zombie's (7.3 "data batches and markers"). */
static void test_marker_epoch_regression(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "marker-epoch-regression", NULL));
    feed(&t, txn(0, 2, 5350, 2, 0, T0, "a"));
    marker(&t, 2, 5350, 1, KB_CTRL_COMMIT, 4, T0 + 5);
    tp_end(&t);
    EXPECT_ONLY(&t, "epoch_regression", 1);
    const rm_finding *f = nth(t.r, "epoch_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "epoch_regression", RM_ERROR, 2, 5350, 1);
    KT_EQ_INT(fint(f, "previous_epoch"), 2);
    tp_close(&t);
}

/* 11: producer 5400 bumps its epoch to 1 and continues at sequence 5
 * instead of 0 (OutOfOrderSequenceException "for new epoch"). Producer
 * 5401's bump restarting at 0 is what a client does (KIP-360). */
static void test_epoch_sequence_not_reset(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "epoch-sequence-not-reset", NULL));
    feed(&t, idem(0, 5, 5400, 0, 0, T0, "a"));
    feed(&t, idem(5, 5, 5400, 1, 5, T0 + 9, "b"));
    feed(&t, idem(10, 3, 5401, 0, 0, T0 + 18, "c"));
    feed(&t, idem(13, 3, 5401, 1, 0, T0 + 25, "d"));
    feed(&t, idem(16, 2, 5401, 1, 3, T0 + 32, "e"));
    tp_end(&t);
    EXPECT_ONLY(&t, "epoch_sequence_not_reset", 1);
    const rm_finding *f = nth(t.r, "epoch_sequence_not_reset", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "epoch_sequence_not_reset", RM_WARNING, 5, 5400, 1);
    KT_EQ_INT(fint(f, "previous_epoch"), 0);
    KT_EQ_INT(fint(f, "actual_sequence"), 5);
    KT_EQ_INT(n_of(t.r, "sequence_gap") + n_of(t.r, "sequence_regression"), 0);
    tp_close(&t);
}

/* 12: transaction version 2 (KIP-890): every marker bumps the epoch, and
 * the next transaction restarts at sequence 0 under it. Nothing to report. */
static void test_txn_v2_epoch_bumps(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "txn-v2-epoch-bumps", NULL));
    feed(&t, txn(0, 3, 5500, 0, 0, T0, "a"));
    feed(&t, txn(3, 2, 5500, 0, 3, T0 + 7, "b"));
    marker(&t, 5, 5500, 1, KB_CTRL_COMMIT, 4, T0 + 13);
    feed(&t, plain(6, 2, T0 + 18, "c"));
    feed(&t, txn(8, 2, 5500, 1, 0, T0 + 24, "d"));
    marker(&t, 10, 5500, 2, KB_CTRL_COMMIT, 4, T0 + 30);
    feed(&t, txn(11, 4, 5500, 2, 0, T0 + 35, "e"));
    marker(&t, 15, 5500, 3, KB_CTRL_COMMIT, 4, T0 + 43);
    tp_end(&t);
    EXPECT_NONE(&t);
    KT_EQ_INT(t.r->partitions[t.idx].control_records, 3);
    tp_close(&t);
}

/* TV2 (7.7): the marker bumps the epoch to E+1 and clears the producer's
 * batches, so the next transaction's data at E+1 must start at sequence 0
 * (7.4: same epoch, no batch metadata, lastSeq -1). Producer 5500 continues
 * at 3: a new epoch not starting at 0, whose previous epoch is the one its
 * data was written in before the bump, 0 (not the new epoch 1 itself). */
static void test_txn_v2_sequence_not_reset(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "txn-v2-not-reset", NULL));
    feed(&t, txn(0, 3, 5500, 0, 0, T0, "a"));
    marker(&t, 3, 5500, 1, KB_CTRL_COMMIT, 4, T0 + 5);
    feed(&t, txn(4, 2, 5500, 1, 3, T0 + 10, "b"));
    marker(&t, 6, 5500, 2, KB_CTRL_COMMIT, 4, T0 + 15);
    tp_end(&t);
    EXPECT_ONLY(&t, "epoch_sequence_not_reset", 1);
    const rm_finding *f = nth(t.r, "epoch_sequence_not_reset", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "epoch_sequence_not_reset", RM_WARNING, 4, 5500, 1);
    KT_EQ_INT(fint(f, "actual_sequence"), 3);
    KT_EQ_INT(fint(f, "previous_epoch"), 0);
    tp_close(&t);
}

/* Retention deleted the segment holding transactional producer 5650's data;
 * the retained log begins with its COMMIT marker. The producer (TV0/1:
 * one epoch per session, sequences continue across transactions, 7.7)
 * then writes its next transaction at sequence 17 in the same epoch 0.
 * Its first data batch in the retained log starts mid-sequence, which is
 * normal (7.8: "the first appearance of a pid in the retained log with
 * seq != 0 is normal"; docs/report.md "Not anomalies"), and it is no new
 * epoch either. */
static void test_marker_before_data(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "marker-before-data", NULL));
    marker(&t, 100, 5650, 0, KB_CTRL_COMMIT, 7, T0);
    feed(&t, txn(101, 2, 5650, 0, 17, T0 + 5, "a"));
    marker(&t, 103, 5650, 0, KB_CTRL_COMMIT, 7, T0 + 10);
    feed(&t, txn(104, 3, 5650, 0, 19, T0 + 15, "b"));
    marker(&t, 107, 5650, 0, KB_CTRL_ABORT, 7, T0 + 20);
    tp_end(&t);
    KT_EQ_INT(n_of(t.r, "epoch_sequence_not_reset"), 0);
    EXPECT_NONE(&t);
    tp_close(&t);
}

/* ---- transactions (7.6) --------------------------------------------------------- */

/* TV0/1 transactions: the same epoch throughout, sequences continue across
 * transactions, coordinator epoch steady or rising. Clean; and producer
 * 5650's marker for a transaction begun before this log (its data is not
 * here) is no orphan: nothing of that producer was seen. */
static void test_transactions_committed(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "transactions", NULL));
    marker(&t, 0, 5650, 0, KB_CTRL_COMMIT, 7, T0);
    feed(&t, txn(1, 2, 5600, 0, 0, T0 + 5, "a"));
    feed(&t, plain(3, 2, T0 + 10, "plain"));
    feed(&t, txn(5, 1, 5600, 0, 2, T0 + 15, "b"));
    marker(&t, 6, 5600, 0, KB_CTRL_COMMIT, 5, T0 + 20);
    feed(&t, txn(7, 2, 5600, 0, 3, T0 + 25, "c"));
    marker(&t, 9, 5600, 0, KB_CTRL_ABORT, 6, T0 + 30);
    tp_end(&t);
    EXPECT_NONE(&t);
    KT_EQ_INT(t.r->partitions[t.idx].control_records, 3);
    KT_EQ_INT(t.r->partitions[t.idx].records, 7);
    tp_close(&t);
}

/* 13: producer 5600's markers carry coordinator epochs 5, 5 (equal is
 * accepted), then 3: a deposed coordinator's (TransactionCoordinatorFenced). */
static void test_coordinator_epoch_regression(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "coordinator-epoch-regression", NULL));
    feed(&t, txn(0, 2, 5600, 0, 0, T0, "a"));
    marker(&t, 2, 5600, 0, KB_CTRL_COMMIT, 5, T0 + 5);
    feed(&t, txn(3, 2, 5600, 0, 2, T0 + 10, "b"));
    marker(&t, 5, 5600, 0, KB_CTRL_COMMIT, 5, T0 + 15);
    feed(&t, txn(6, 2, 5600, 0, 4, T0 + 20, "c"));
    marker(&t, 8, 5600, 0, KB_CTRL_COMMIT, 3, T0 + 25);
    tp_end(&t);
    EXPECT_ONLY(&t, "coordinator_epoch_regression", 1);
    const rm_finding *f = nth(t.r, "coordinator_epoch_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "coordinator_epoch_regression", RM_ERROR, 8, 5600, 0);
    KT_EQ_INT(fint(f, "coordinator_epoch"), 3);
    KT_EQ_INT(fint(f, "previous_coordinator_epoch"), 5);
    tp_close(&t);
}

/* 16: producer 5900's transaction committed, then a second COMMIT with no
 * data in between (a retried WriteTxnMarkers): an orphan, info only. */
static void test_orphan_marker(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "orphan-marker", NULL));
    feed(&t, txn(0, 2, 5900, 0, 0, T0, "a"));
    marker(&t, 2, 5900, 0, KB_CTRL_COMMIT, 2, T0 + 5);
    marker(&t, 3, 5900, 0, KB_CTRL_COMMIT, 2, T0 + 10);
    feed(&t, plain(4, 2, T0 + 15, "b"));
    tp_end(&t);
    EXPECT_ONLY(&t, "orphan_marker", 1);
    const rm_finding *f = nth(t.r, "orphan_marker", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "orphan_marker", RM_INFO, 3, 5900, 0);
    KT_EQ_INT(t.r->nfindings, 1);
    tp_close(&t);
}

/* 14: producer 5700 writes a non-transactional batch while its transaction
 * is open (InvalidTxnStateException); another producer's plain batch in
 * between is not its business. */
static void test_non_transactional_in_transaction(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "non-txn-in-txn", NULL));
    feed(&t, txn(0, 2, 5700, 0, 0, T0, "a"));
    feed(&t, idem(2, 2, 5701, 0, 0, T0 + 5, "other"));
    feed(&t, idem(4, 2, 5700, 0, 2, T0 + 10, "b"));
    marker(&t, 6, 5700, 0, KB_CTRL_COMMIT, 1, T0 + 15);
    tp_end(&t);
    EXPECT_ONLY(&t, "non_transactional_in_transaction", 1);
    const rm_finding *f = nth(t.r, "non_transactional_in_transaction", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "non_transactional_in_transaction", RM_ERROR, 4, 5700, 0);
    KT_EQ_INT(fint(f, "first_offset"), 0);
    KT_EQ_INT(n_of(t.r, "open_transaction"), 0);
    tp_close(&t);
}

/* 15 and 40: a transaction with no marker by the end of the log. Older
 * than transaction.max.timeout.ms before the partition's newest batch, the
 * coordinator would have aborted it: hanging (warning); younger, it may be
 * in progress (info). The limit is --txn-max-timeout. */
static void open_txn_log(tp *t, int64_t later)
{
    feed(t, plain(0, 2, T0, "a"));
    feed(t, txn(2, 3, 5800, 0, 0, T0 + 6, "b"));          /* max timestamp T0 + 8 */
    feed(t, txn(5, 2, 5800, 0, 3, T0 + 13, "c"));
    feed(t, plain(7, 2, T0 + 13 + later, "d"));
    feed(t, plain(9, 3, T0 + 19 + later, "e"));           /* max timestamp T0 + 21 + later */
}

static void test_open_transaction(void)
{
    const int64_t age20 = 20 * MINUTE + 13, age3 = 3 * MINUTE + 13;
    tp t;
    KT_REQUIRE(tp_open(&t, "open-transaction", NULL));
    open_txn_log(&t, 20 * MINUTE);
    tp_end(&t);
    EXPECT_ONLY(&t, "open_transaction", 1);
    const rm_finding *f = nth(t.r, "open_transaction", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "open_transaction", RM_WARNING, 2, 5800, 0);
    KT_EQ_INT(fint(f, "first_offset"), 2);
    KT_EQ_INT(fint(f, "age_ms"), age20);
    KT_EQ_INT(fint(f, "records"), 5);
    tp_close(&t);

    KT_REQUIRE(tp_open(&t, "transaction-in-progress", NULL));
    open_txn_log(&t, 3 * MINUTE);
    tp_end(&t);
    EXPECT_ONLY(&t, "open_transaction", 1);
    f = nth(t.r, "open_transaction", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "open_transaction", RM_INFO, 2, 5800, 0);
    KT_EQ_INT(fint(f, "age_ms"), age3);
    KT_EQ_INT(t.r->by_severity[RM_WARNING], 0);
    tp_close(&t);

    /* The same 3 minutes under a broker whose transaction.max.timeout.ms is
     * 1 minute: hanging. */
    ka_options o;
    ka_options_init(&o);
    o.txn_max_timeout_ms = MINUTE;
    KT_REQUIRE(tp_open(&t, "transaction-in-progress", &o));
    open_txn_log(&t, 3 * MINUTE);
    tp_end(&t);
    EXPECT_ONLY(&t, "open_transaction", 1);
    f = nth(t.r, "open_transaction", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "open_transaction", RM_WARNING, 2, 5800, 0);
    KT_EQ_INT(fint(f, "age_ms"), age3);
    tp_close(&t);
}

/* 05: an aborted transaction's records are invisible to read_committed
 * consumers: written again (here even with the same timestamps) by another
 * producer, they are no duplicate. */
static void test_aborted_never_duplicates(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "aborted-then-plain", NULL));
    feed(&t, txn(0, 3, 4000, 0, 0, T0, "a"));
    marker(&t, 3, 4000, 0, KB_CTRL_ABORT, 0, T0 + 7);
    feed(&t, idem(4, 3, 4001, 0, 0, T0, "a"));
    feed(&t, plain(7, 3, T0, "a"));      /* and once more without a producer id */
    tp_end(&t);
    /* Of the visible copies, 4-6 is the original of 7-9; the aborted records
     * at 0-2 are the original of nothing (else 4-6 would be a copy too). */
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    KT_EQ_INT(f->offset, 7);
    KT_EQ_INT(fint(f, "original_offset"), 4);
    KT_EQ_INT(fint(f, "original_producer_id"), 4001);
    KT_EQ_INT(fint(f, "count"), 3);
    KT_EQ_INT(n_of(t.r, "open_transaction") + n_of(t.r, "orphan_marker"), 0);
    tp_close(&t);

    /* Alone: no finding at all. */
    KT_REQUIRE(tp_open(&t, "aborted-then-plain", NULL));
    feed(&t, txn(0, 3, 4000, 0, 0, T0, "a"));
    marker(&t, 3, 4000, 0, KB_CTRL_ABORT, 0, T0 + 7);
    feed(&t, idem(4, 3, 4001, 0, 0, T0 + 12, "a"));
    tp_end(&t);
    EXPECT_NONE(&t);
    tp_close(&t);
}

/* A transaction still open at the end is not visible either: its records
 * copied by a plain producer make no duplicate. */
static void test_open_transaction_not_visible(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "open-then-plain", NULL));
    feed(&t, txn(0, 3, 4100, 0, 0, T0, "a"));
    feed(&t, plain(3, 3, T0, "a"));
    tp_end(&t);
    EXPECT_ONLY(&t, "open_transaction", 1);
    KT_EQ_INT(n_of(t.r, "duplicate"), 0);
    const rm_finding *f = nth(t.r, "open_transaction", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "open_transaction", RM_INFO, 0, 4100, 0);
    tp_close(&t);
}

/* 37: a transaction's records copied by a plain producer before the COMMIT:
 * the transactional copy joins the index at its marker, yet it is the
 * original (lower offset); another session, but a plain producer begins
 * none: weak evidence, a warning in a partition whose content is otherwise
 * unique. */
static void test_committed_transaction_is_original(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "orders", NULL));
    feed(&t, idem(0, 50, 9100, 0, 0, T0, "bulk1"));
    feed(&t, idem(50, 50, 9100, 0, 50, T0 + 60, "bulk2"));
    feed(&t, txn(100, 10, 9200, 0, 0, T0 + 200, "t"));
    feed(&t, plain(110, 10, T0 + 214, "t"));
    marker(&t, 120, 9200, 0, KB_CTRL_COMMIT, 0, T0 + 230);
    feed(&t, idem(121, 50, 9100, 0, 100, T0 + 240, "bulk3"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 110, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "producer_restart");
    KT_EQ_STR(fstr(f, "evidence"), "weak");
    KT_EQ_INT(fint(f, "count"), 10);
    KT_EQ_INT(fint(f, "original_offset"), 100);
    KT_EQ_INT(fint(f, "original_producer_id"), 9200);
    KT_EQ_INT(fint(f, "time_distance_ms"), 14);
    KT_EQ_INT(fbool(f, "identical_records"), 0);
    KT_EQ_INT(fbool(f, "session_start"), 0);
    KT_EQ_INT(fbool(f, "original_transactional"), 1);
    KT_EQ_INT(fbool(f, "transactional"), 0);
    tp_close(&t);
}

/* 26: what the cleaner leaves. An emptied data batch (recordsCount 0)
 * keeps producer 7200's sequences 5..7 (its header stays), so 8 follows on;
 * an emptied control batch of producer 7201 is no marker: its transaction
 * stays open. */
static void test_emptied_batches(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "compaction", NULL));
    feed(&t, idem(0, 5, 7200, 0, 0, T0, "a"));
    tb b = idem(5, 0, 7200, 0, 5, T0 + 10, "emptied");
    b.delta = 2;
    b.count = 0;
    b.max_ts = T0 + 12;
    feed(&t, b);
    feed(&t, idem(8, 2, 7200, 0, 8, T0 + 20, "c"));
    feed(&t, txn(10, 2, 7201, 0, 0, T0 + 30, "d"));
    empty_control(&t, 12, 7201, 0, T0 + 40);
    tp_end(&t);
    EXPECT_ONLY(&t, "open_transaction", 1);
    KT_EQ_INT(t.r->nfindings, 1);
    const rm_finding *f = nth(t.r, "open_transaction", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "open_transaction", RM_INFO, 10, 7201, 0);
    KT_EQ_INT(fint(f, "first_offset"), 10);
    KT_EQ_INT(fint(f, "records"), 2);
    const rm_partition *rp = &t.r->partitions[t.idx];
    KT_EQ_INT(rp->log_end_offset, 13);
    KT_EQ_INT(rp->control_records, 0);
    tp_close(&t);
}

/* ---- markers that are not markers (formats doc 3, 1.13) ----------------------- */

/* 41: a control batch with a producer id can only be a COMMIT or ABORT; one
 * of type 5 (KRAFT_VERSION), or a marker whose value is too short, is a
 * corrupt batch. A LEADER_CHANGE control record without a producer id (the
 * KRaft leader's) is normal. */
static void test_control_not_a_marker(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "control-not-a-marker", NULL));
    static const uint8_t kraft_key[4] = { 0, 0, 0, 5 }, kraft_value[4] = { 0, 0, 0, 1 };
    static const uint8_t lc_key[4] = { 0, 0, 0, 2 }, lc_value[8] = { 0 };
    static const uint8_t commit_key[4] = { 0, 0, 0, 1 }, short_value[4] = { 0, 0, 0, 3 };
    feed(&t, plain(0, 2, T0, "a"));
    feed(&t, idem(2, 2, 8000, 0, 0, T0 + 5, "b"));
    control(&t, 4, 8000, 0, kraft_key, 4, kraft_value, 4, T0 + 10);
    feed(&t, idem(5, 2, 8000, 0, 2, T0 + 15, "c"));
    control(&t, 7, -1, -1, lc_key, 4, lc_value, 8, T0 + 20);
    feed(&t, txn(8, 2, 8001, 0, 0, T0 + 25, "d"));
    control(&t, 10, 8001, 0, commit_key, 4, short_value, 4, T0 + 30);
    tp_end(&t);
    EXPECT_ONLY(&t, "corrupt_batch", 2);
    const rm_finding *f = nth(t.r, "corrupt_batch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "corrupt_batch", RM_ERROR, 4, 8000, 0);
    KT_EQ_STR(fstr(f, "code"), "corrupt");
    f = nth(t.r, "corrupt_batch", 1);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "corrupt_batch", RM_ERROR, 10, 8001, 0);
    KT_EQ_STR(fstr(f, "code"), "corrupt");
    /* The short marker ended nothing: 8001's transaction is still open. */
    KT_EQ_INT(n_of(t.r, "open_transaction"), 1);
    tp_close(&t);
}

/* ---- offsets, leader epochs, record counts ------------------------------------ */

/* 21: batches at 0-2, 3-5, then 4-6. */
static void test_offset_regression(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "offset-regression", NULL));
    feed(&t, plain(0, 3, T0, "a"));
    feed(&t, plain(3, 3, T0 + 7, "b"));
    feed(&t, plain(4, 3, T0 + 14, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "offset_regression", 1);
    const rm_finding *f = nth(t.r, "offset_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "offset_regression", RM_ERROR, 4, -1, -1);
    KT_EQ_INT(fint(f, "previous_last_offset"), 5);
    tp_close(&t);
}

static kk_checkpoint epochs_ckpt(kk_entry *e, size_t n)
{
    kk_checkpoint c;
    memset(&c, 0, sizeof c);
    c.kind = KK_LEADER_EPOCH;
    c.version = 0;
    c.count = (int32_t)n;
    c.n = n;
    c.entries = e;
    return c;
}

/* 19: partitionLeaderEpoch 0, 0, 3, then 2; the checkpoint as recovery
 * builds it (0 at 0, 3 at 4) agrees with the log. */
static void test_leader_epoch_regression(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "leader-epoch-regression", NULL));
    kk_entry e[2] = { { NULL, -1, 0, 0, 3, 4 }, { NULL, -1, 3, 4, 4, 8 } };
    kk_checkpoint c = epochs_ckpt(e, 2);
    ka_leader_epochs(t.p, "leader-epoch-checkpoint", &c);
    int32_t ples[4] = { 0, 0, 3, 2 };
    for (int i = 0; i < 4; i++) {
        tb b = plain(2 * i, 2, T0 + 6 * i, i == 3 ? "d" : i == 2 ? "c" : i == 1 ? "b" : "a");
        b.ple = ples[i];
        feed(&t, b);
    }
    tp_end(&t);
    EXPECT_ONLY(&t, "leader_epoch_regression", 1);
    KT_EQ_INT(n_of(t.r, "leader_epoch_checkpoint_mismatch"), 0);
    const rm_finding *f = nth(t.r, "leader_epoch_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "leader_epoch_regression", RM_ERROR, 6, -1, -1);
    KT_EQ_INT(fint(f, "leader_epoch"), 2);
    KT_EQ_INT(fint(f, "previous_leader_epoch"), 3);
    tp_close(&t);
}

/* 20 and 39: the checkpoint says epoch 1 starts at 7, the log's first batch
 * of epoch 1 is at 5: a mismatch. When the cleaner removed epoch 1's first
 * batches (5-7) and nothing lies between epoch 0's last batch and epoch 1's
 * first surviving one (8), the checkpoint's 5 is right. */
static void test_leader_epoch_checkpoint(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "leader-epoch-checkpoint-mismatch", NULL));
    kk_entry e[2] = { { NULL, -1, 0, 0, 3, 4 }, { NULL, -1, 1, 7, 4, 8 } };
    kk_checkpoint c = epochs_ckpt(e, 2);
    ka_leader_epochs(t.p, "leader-epoch-checkpoint", &c);
    feed(&t, plain(0, 3, T0, "a"));
    feed(&t, plain(3, 2, T0 + 7, "b"));
    tb b = plain(5, 2, T0 + 13, "c");
    b.ple = 1;
    feed(&t, b);
    b = plain(7, 3, T0 + 19, "d");
    b.ple = 1;
    feed(&t, b);
    tp_end(&t);
    EXPECT_ONLY(&t, "leader_epoch_checkpoint_mismatch", 1);
    const rm_finding *f = nth(t.r, "leader_epoch_checkpoint_mismatch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "leader_epoch_checkpoint_mismatch", RM_WARNING, 5, -1, -1);
    KT_EQ_INT(fint(f, "leader_epoch"), 1);
    KT_EQ_INT(fint(f, "log_start_offset"), 5);
    KT_EQ_INT(fint(f, "checkpoint_start_offset"), 7);
    tp_close(&t);

    KT_REQUIRE(tp_open(&t, "epoch-start-cleaned", NULL));
    kk_entry e2[2] = { { NULL, -1, 0, 0, 3, 4 }, { NULL, -1, 1, 5, 4, 8 } };
    c = epochs_ckpt(e2, 2);
    ka_leader_epochs(t.p, "leader-epoch-checkpoint", &c);
    feed(&t, plain(0, 3, T0, "a"));
    feed(&t, plain(3, 2, T0 + 7, "b"));
    b = plain(8, 2, T0 + 20, "c");        /* 5-7 removed by the cleaner */
    b.ple = 1;
    feed(&t, b);
    b = plain(10, 3, T0 + 26, "d");
    b.ple = 1;
    feed(&t, b);
    tp_end(&t);
    EXPECT_NONE(&t);
    tp_close(&t);
}

/* 22: recordsCount 5 in an offset range of 3 (lastOffsetDelta 2): the batch
 * holds 3 records and the reader stops at the count: one finding. A batch
 * the cleaner emptied partly (count below the range) is normal. */
static void test_record_count_mismatch(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "record-count-mismatch", NULL));
    feed(&t, plain(0, 2, T0, "a"));
    tb b = plain(2, 3, T0 + 6, "b");
    b.count = 5;
    ke_error e;
    ke_set(&e, KE_COUNT, 61 + 2 * 64, "batch declares 5 records, holds 3");
    e.file = SEG;
    feed_err(&t, &b, &e);
    feed(&t, plain(5, 2, T0 + 13, "c"));
    b = plain(7, 2, T0 + 19, "d");
    b.delta = 3;                          /* the cleaner removed the tail records */
    feed(&t, b);
    feed(&t, plain(11, 1, T0 + 27, "e"));
    tp_end(&t);
    EXPECT_ONLY(&t, "record_count_mismatch", 1);
    const rm_finding *f = nth(t.r, "record_count_mismatch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "record_count_mismatch", RM_ERROR, 2, -1, -1);
    KT_EQ_INT(fint(f, "count"), 5);
    KT_EQ_INT(fint(f, "offset_range"), 3);
    tp_close(&t);
}

/* 23: a checksum mismatch in a middle batch (the reader reports it and
 * resumes), a retried batch after it, and a partial batch at the end. */
static void test_corrupt_and_truncated(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "corrupt-and-truncated", NULL));
    ke_error e;
    feed(&t, plain(0, 3, T0, "a"));
    ke_set(&e, KE_CRC, 150, "batch CRC-32C 0x1 != computed 0x2");
    e.file = SEG;
    ka_reader_problem(t.p, &e, 3);
    feed(&t, plain(6, 3, T0 + 14, "c"));
    feed(&t, plain(9, 3, T0 + 14, "c"));
    feed(&t, plain(12, 2, T0 + 21, "d"));
    ke_set(&e, KE_TRUNCATED, 900, "partial batch at the end of the segment");
    e.file = SEG;
    ka_reader_problem(t.p, &e, 14);
    tp_end(&t);
    KT_EQ_INT(n_of(t.r, "corrupt_batch"), 1);
    KT_EQ_INT(n_of(t.r, "truncated_batch"), 1);
    KT_EQ_INT(n_of(t.r, "duplicate"), 1);
    KT_EQ_INT(t.r->by_severity[RM_ERROR] + t.r->by_severity[RM_WARNING], 3);
    const rm_finding *f = nth(t.r, "corrupt_batch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "corrupt_batch", RM_ERROR, 3, -1, -1);
    KT_EQ_STR(fstr(f, "code"), "crc");
    KT_EQ_INT(fint(f, "position"), 150);
    f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 9, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "retry_without_idempotence");
    KT_EQ_INT(fint(f, "original_offset"), 6);
    f = nth(t.r, "truncated_batch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "truncated_batch", RM_WARNING, 14, -1, -1);
    KT_EQ_STR(fstr(f, "code"), "truncated");
    tp_close(&t);

    /* A zero-filled tail (preallocation, a crash) starts at the log end and
     * is info; a file a live broker changed is a note, never a finding. */
    KT_REQUIRE(tp_open(&t, "zero-tail", NULL));
    feed(&t, plain(0, 10, T0, "a"));
    ke_set(&e, KE_LIVE, 700, "the segment grew while it was read");
    e.file = SEG;
    ka_reader_problem(t.p, &e, 10);
    ke_set(&e, KE_ZERO_FILL, 800, "zeros from here to the end of the segment");
    e.file = SEG;
    ka_reader_problem(t.p, &e, -1);
    tp_end(&t);
    EXPECT_ONLY(&t, "truncated_batch", 1);
    KT_EQ_INT(t.r->nfindings, 1);
    f = nth(t.r, "truncated_batch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "truncated_batch", RM_INFO, 10, -1, -1);
    KT_EQ_INT(t.r->partitions[t.idx].nnotes, 1);
    tp_close(&t);
}

/* A record newer than its batch's maxTimestamp (CreateTime). */
static void test_timestamp_anomaly(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "timestamps", NULL));
    feed(&t, plain(0, 3, T0, "a"));
    tb b = plain(3, 3, T0 + 10, "b");
    b.max_ts = T0 + 11;                   /* the last record says T0 + 12 */
    feed(&t, b);
    tp_end(&t);
    EXPECT_ONLY(&t, "timestamp_anomaly", 1);
    const rm_finding *f = nth(t.r, "timestamp_anomaly", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "timestamp_anomaly", RM_WARNING, 3, -1, -1);
    KT_EQ_INT(fint(f, "max_record_timestamp"), T0 + 12);
    tp_close(&t);
}

/* ---- duplicates (docs/report.md, "what the bytes can prove") ------------------- */

/* 01: a non-idempotent producer's batch appended twice (a lost ack,
 * retried): the same records, timestamps and stored CRC. */
static void test_dup_retry(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "dup-retry", NULL));
    feed(&t, plain(0, 2, T0, "a"));
    feed(&t, plain(2, 3, T0 + 6, "b"));
    feed(&t, plain(5, 3, T0 + 6, "b"));
    feed(&t, plain(8, 2, T0 + 13, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 5, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "retry_without_idempotence");
    KT_EQ_STR(fstr(f, "evidence"), "strong");
    KT_EQ_INT(fint(f, "count"), 3);
    KT_EQ_INT(fint(f, "last_offset"), 7);
    KT_EQ_INT(fint(f, "original_offset"), 2);
    KT_EQ_INT(fint(f, "original_last_offset"), 4);
    KT_EQ_INT(fint(f, "offset_distance"), 3);
    KT_EQ_INT(fint(f, "time_distance_ms"), 0);
    KT_EQ_INT(fint(f, "window"), KA_DEFAULT_DUP_WINDOW_MS);
    KT_EQ_INT(fint(f, "copies"), 2);
    KT_EQ_INT(fbool(f, "identical_records"), 1);
    KT_EQ_INT(fbool(f, "identical_batch"), 1);
    KT_EQ_INT(fbool(f, "whole_batches"), 1);
    KT_EQ_INT(fbool(f, "session_start"), 0);
    KT_EQ_INT(fint(f, "original_producer_id"), -1);
    KT_EQ_INT(fint(f, "key_size"), 4);
    KT_CHECK(field(f, "rule") == NULL || fnull(f, "rule"));
    KT_CHECK(field(f, "reason") == NULL);
    const rm_partition *rp = &t.r->partitions[t.idx];
    KT_REQUIRE_EQ_INT(rp->nduplicates, 1);
    KT_EQ_STR(rp->duplicates[0].name, "retry_without_idempotence");
    KT_EQ_INT(rp->duplicates[0].findings, 1);
    KT_EQ_INT(rp->duplicates[0].records, 3);
    tp_close(&t);
}

/* 04: the identical idempotent batch (pid 3000, epoch 0, sequences 0..2) at
 * two offsets: the broker should have returned the original's offsets. The
 * repeat is no sequence anomaly, and the next batch (3..) follows on. */
static void test_dup_idempotence_bypassed(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "dup-idempotence-bypassed", NULL));
    feed(&t, idem(0, 3, 3000, 0, 0, T0, "a"));
    feed(&t, idem(3, 3, 3000, 0, 0, T0, "a"));
    feed(&t, idem(6, 2, 3000, 0, 3, T0 + 7, "b"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 3, 3000, 0);
    KT_EQ_STR(fstr(f, "class"), "idempotence_bypassed");
    KT_EQ_STR(fstr(f, "evidence"), "strong");
    KT_EQ_INT(fint(f, "count"), 3);
    KT_EQ_INT(fint(f, "original_offset"), 0);
    KT_EQ_INT(fint(f, "original_producer_id"), 3000);
    KT_EQ_INT(fint(f, "sequence"), 0);
    KT_EQ_INT(fint(f, "original_sequence"), 0);
    KT_EQ_INT(fbool(f, "identical_batch"), 1);
    KT_EQ_INT(n_of(t.r, "sequence_regression") + n_of(t.r, "sequence_gap"), 0);
    tp_close(&t);
}

/* A reused sequence range is judged by the records' bytes, with or
 * without --identity (whose records go to the identity stage, not the byte
 * index): producer 7000 writes sequences 0..2, 3..4, then 0..2 again.
 * When the repeat carries other records ("x") the range was reused: a
 * sequence_regression at the repeat (docs/report.md: "an exact repeat
 * carries different records"); when it carries the same ones ("a", same
 * timestamps) it is a retry, no sequence anomaly. The same for a repeat of
 * the producer's last batch. */
static void reuse_run(const char *spec, bool headers, const char *tag, bool last, long long *n, int64_t *at,
                      long long *actual, long long *blast)
{
    ka_options o;
    ka_options_init(&o);
    o.dup_include_headers = headers;
    kid_rules rules = { NULL, 0 };
    char arg[64], err[128] = "";
    if (spec) {
        snprintf(arg, sizeof arg, "^reuse$=%s", spec);
        KT_REQUIRE_EQ_INT(kid_rules_add(&rules, arg, err, sizeof err), 0);
        o.identity = &rules;
    }
    tp t;
    KT_REQUIRE(tp_open(&t, "reuse", &o));
    feed(&t, idem(0, 3, 7000, 0, 0, T0, "a"));
    if (!last) feed(&t, idem(3, 2, 7000, 0, 3, T0 + 9, "b"));
    int64_t base = last ? 3 : 5;
    feed(&t, idem(base, 3, 7000, 0, 0, T0, tag));
    tp_end(&t);
    *n = n_of(t.r, "sequence_regression");
    const rm_finding *f = nth(t.r, "sequence_regression", 0);
    *at = f ? f->offset : -1;
    *actual = f ? fint(f, "actual_sequence") : -1;
    *blast = f ? fint(f, "batch_last_sequence") : -1;
    if (f) KT_EQ_INT(f->severity, RM_ERROR);
    if (f) KT_EQ_INT(fint(f, "expected_sequence"), -1);
    if (spec) KT_EQ_INT(t.r->partitions[t.idx].identity->records, last ? 6 : 8);
    tp_close(&t);
    kid_rules_free(&rules);
}

static void test_reused_sequences_with_identity(void)
{
    static const char *specs[] = { NULL, "json:$.id", "key", "value" };
    for (int last = 0; last < 2; last++) {
        int64_t base = last ? 3 : 5;
        for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
            for (int headers = 0; headers < 2; headers++) {
                long long n, actual, blast;
                int64_t at;
                reuse_run(specs[i], headers, "x", last, &n, &at, &actual, &blast);
                KT_EQ_INT(n, 1);
                KT_EQ_INT(at, base);
                KT_EQ_INT(actual, 0);
                KT_EQ_INT(blast, 2);
                reuse_run(specs[i], headers, "a", last, &n, &at, &actual, &blast);
                KT_EQ_INT(n, 0);
                if (kt_cur_failed) {
                    fprintf(stderr, "  spec %s, headers %d, last %d\n", specs[i] ? specs[i] : "(none)", headers, last);
                    return;
                }
            }
        }
    }
}

/* The broker remembers the last 5 batches of a producer's epoch
 * (NUM_BATCHES_TO_RETAIN, 7.2, 7.5). Producer 42 writes sequences 0..5 in
 * six batches; a resend of sequence 1 (in the window) is a duplicate the
 * broker should have dropped, no sequence anomaly; a resend of sequence 0
 * (out of the window) is also rejected as OutOfOrderSequence (7.5):
 * a sequence_regression besides the duplicate. */
static void six_batches(tp *t)
{
    static const char *tags[6] = { "s0", "s1", "s2", "s3", "s4", "s5" };
    for (int i = 0; i < 6; i++) feed(t, idem(i, 1, 42, 0, i, T0 + 10 * i, tags[i]));
}

static void test_duplicate_window_of_five(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "window", NULL));
    six_batches(&t);
    feed(&t, idem(6, 1, 42, 0, 1, T0 + 10, "s1"));
    feed(&t, idem(7, 2, 42, 0, 6, T0 + 70, "s6"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 6, 42, 0);
    KT_EQ_STR(fstr(f, "class"), "idempotence_bypassed");
    KT_EQ_INT(fint(f, "original_offset"), 1);
    tp_close(&t);

    KT_REQUIRE(tp_open(&t, "window", NULL));
    six_batches(&t);
    feed(&t, idem(6, 1, 42, 0, 0, T0, "s0"));
    tp_end(&t);
    KT_EQ_INT(n_of(t.r, "duplicate"), 1);
    KT_EQ_INT(n_of(t.r, "sequence_regression"), 1);
    KT_EQ_INT(t.r->by_severity[RM_WARNING] + t.r->by_severity[RM_ERROR], 2);
    f = nth(t.r, "sequence_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_regression", RM_ERROR, 6, 42, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 6);
    KT_EQ_INT(fint(f, "actual_sequence"), 0);
    f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 6, 42, 0);
    KT_EQ_STR(fstr(f, "class"), "idempotence_bypassed");
    KT_EQ_INT(fint(f, "original_offset"), 0);
    tp_close(&t);
}

/* 02 / 35: producer 9001 (a new session) replays the three records
 * producer 9000 wrote, 30 s later with new timestamps. */
static void test_dup_producer_restart(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "dup-within-window-restart", NULL));
    feed(&t, idem(0, 3, 9000, 0, 0, T0, "a"));
    feed(&t, idem(3, 2, 9000, 0, 3, T0 + 7, "b"));
    feed(&t, idem(5, 3, 9001, 0, 0, T0 + 30000, "a"));
    feed(&t, idem(8, 2, 9001, 0, 3, T0 + 30007, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 5, 9001, 0);
    KT_EQ_STR(fstr(f, "class"), "producer_restart");
    KT_EQ_STR(fstr(f, "evidence"), "strong");
    KT_EQ_INT(fint(f, "count"), 3);
    KT_EQ_INT(fint(f, "original_offset"), 0);
    KT_EQ_INT(fint(f, "original_producer_id"), 9000);
    KT_EQ_INT(fint(f, "time_distance_ms"), 30000);
    KT_EQ_INT(fbool(f, "session_start"), 1);
    KT_EQ_INT(fbool(f, "identical_records"), 0);
    tp_close(&t);
}

/* 44: KIP-360: idempotent producer 7000 bumps its own epoch and resends its
 * in-flight batch (sequences 3..5 of epoch 0) as 0..2 of epoch 1, same
 * client timestamps: the broker cannot tell. The new epoch starts at 0, so
 * no epoch_sequence_not_reset. */
static void test_dup_epoch_bump_resend(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "idempotent-epoch-bump-resend", NULL));
    feed(&t, idem(0, 3, 7000, 0, 0, T0, "a"));
    feed(&t, idem(3, 3, 7000, 0, 3, T0 + 7, "inflight"));
    feed(&t, plain(6, 2, T0 + 14, "b"));
    feed(&t, idem(8, 3, 7000, 1, 0, T0 + 7, "inflight"));
    feed(&t, idem(11, 2, 7000, 1, 3, T0 + 2030, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 8, 7000, 1);
    KT_EQ_STR(fstr(f, "class"), "idempotence_bypassed");
    KT_EQ_STR(fstr(f, "evidence"), "strong");
    KT_EQ_INT(fint(f, "count"), 3);
    KT_EQ_INT(fint(f, "original_offset"), 3);
    KT_EQ_INT(fint(f, "original_producer_id"), 7000);
    KT_EQ_INT(fint(f, "original_producer_epoch"), 0);
    KT_EQ_INT(fint(f, "time_distance_ms"), 0);
    KT_EQ_INT(fbool(f, "identical_records"), 1);
    KT_EQ_INT(fbool(f, "identical_batch"), 0);
    KT_EQ_INT(fbool(f, "session_start"), 1);
    KT_EQ_INT(n_of(t.r, "epoch_sequence_not_reset"), 0);
    tp_close(&t);
}

/* 30: the same three records again 2 hours later without a producer id (a
 * re-run job): beyond --dup-window, repeated content (info). */
static void test_dup_beyond_window(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "dup-beyond-window", NULL));
    feed(&t, plain(0, 3, T0, "a"));
    feed(&t, plain(3, 2, T0 + 7, "b"));
    feed(&t, plain(5, 3, T0 + 2 * HOUR, "a"));
    feed(&t, plain(8, 2, T0 + 2 * HOUR + 7, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    KT_EQ_INT(t.r->by_severity[RM_WARNING] + t.r->by_severity[RM_ERROR], 0);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_INFO, 5, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "repeated_content");
    KT_EQ_STR(fstr(f, "reason"), "window");
    KT_EQ_STR(fstr(f, "delivery_class"), "application_resend");
    KT_EQ_STR(fstr(f, "evidence"), "weak");
    KT_EQ_INT(fint(f, "time_distance_ms"), 2 * HOUR);
    KT_EQ_INT(fint(f, "count"), 3);
    tp_close(&t);
}

/* One plain batch of one record with this key and value (NULL: null). */
static void feed_one(tp *t, int64_t offset, int64_t ts, const char *tag, const char *key, const char *value)
{
    tb s = plain(offset, 1, ts, tag);
    kb_batch b = header(t, &s, false);
    ka_batch_begin(t->p, &b, SEG);
    kb_record r;
    memset(&r, 0, sizeof r);
    r.offset = offset;
    r.timestamp = r.client_timestamp = ts;
    r.sequence = -1;
    r.key = (const uint8_t *)key;
    r.key_len = key ? (int32_t)strlen(key) : -1;
    r.value = (const uint8_t *)value;
    r.value_len = value ? (int32_t)strlen(value) : -1;
    r.crc_valid = true;
    ka_record(t->p, &r);
    ka_batch_end(t->p, NULL);
}

/* A record's identity is its key and value, null and empty distinct: a
 * null key and an empty key with the same value are two contents, and so
 * are a tombstone (null value) and an empty value. The retry of the
 * null-key record is a duplicate of it, not of the empty-key one. */
static void test_dup_null_and_empty(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "null-and-empty", NULL));
    feed_one(&t, 0, T0, "null-key", NULL, "v");
    feed_one(&t, 1, T0 + 5, "empty-key", "", "v");
    feed_one(&t, 2, T0 + 10, "tombstone", "k", NULL);
    feed_one(&t, 3, T0 + 15, "empty-value", "k", "");
    feed_one(&t, 4, T0, "null-key", NULL, "v");
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 4, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "retry_without_idempotence");
    KT_EQ_INT(fint(f, "original_offset"), 0);
    KT_EQ_INT(fint(f, "key_size"), -1);
    KT_EQ_INT(fint(f, "value_size"), 1);
    tp_close(&t);
}

/* 42: the log start offset (DeleteRecords) is 5: the records below it are
 * gone for every reader, so their copies above it, byte-identical or with
 * new timestamps, are no duplicates; a retry above the log start is. */
static void test_dup_log_start(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "log-start-hides-original", NULL));
    ka_log_start(t.p, 5);
    feed(&t, plain(0, 3, T0, "hidden"));
    feed(&t, plain(3, 2, T0 + 7, "gone"));
    feed(&t, plain(5, 2, T0 + 13, "a"));
    feed(&t, plain(7, 3, T0, "hidden"));          /* byte for byte */
    feed(&t, plain(10, 3, T0 + 19, "retried"));
    feed(&t, plain(13, 3, T0 + 19, "retried"));
    feed(&t, plain(16, 2, T0 + 26, "gone"));      /* new timestamps */
    feed(&t, plain(18, 2, T0 + 32, "b"));
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 1);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_WARNING, 13, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "retry_without_idempotence");
    KT_EQ_INT(fint(f, "original_offset"), 10);
    KT_EQ_INT(fint(f, "count"), 3);
    KT_EQ_INT(t.r->partitions[t.idx].log_start_offset, 5);
    tp_close(&t);
}

/* 27: __consumer_offsets: the group coordinator writes every batch with
 * sequence 0 (7.1), so no sequence findings; its repeated identical commits
 * are repeated content (info, rule internal), never a warning. */
static void test_coordinator_topic(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "__consumer_offsets", NULL));
    tb b = plain(0, 1, T0, "audit");
    b.seq = 0;                            /* the coordinator runtime: pid -1, baseSequence 0 */
    feed(&t, b);
    b = plain(1, 1, T0 + 5, "audit");
    b.seq = 0;
    feed(&t, b);
    feed(&t, txn(2, 2, 7300, 0, 0, T0 + 1000, "billing"));
    marker(&t, 4, 7300, 0, KB_CTRL_COMMIT, 1, T0 + 10);
    feed(&t, txn(5, 2, 7300, 0, 0, T0 + 1000, "billing"));
    marker(&t, 7, 7300, 0, KB_CTRL_COMMIT, 1, T0 + 20);
    feed(&t, txn(8, 1, 7300, 0, 0, T0 + 1500, "moved"));
    marker(&t, 9, 7300, 0, KB_CTRL_COMMIT, 1, T0 + 30);
    tp_end(&t);
    EXPECT_ONLY(&t, "duplicate", 2);
    KT_EQ_INT(t.r->nfindings, 2);
    const rm_finding *f = nth(t.r, "duplicate", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_INFO, 1, -1, -1);
    KT_EQ_STR(fstr(f, "class"), "repeated_content");
    KT_EQ_STR(fstr(f, "rule"), "internal");
    KT_EQ_STR(fstr(f, "reason"), "rule");
    KT_EQ_STR(fstr(f, "delivery_class"), "application_resend");
    KT_EQ_INT(fint(f, "original_offset"), 0);
    f = nth(t.r, "duplicate", 1);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "duplicate", RM_INFO, 5, 7300, 0);
    KT_EQ_STR(fstr(f, "class"), "repeated_content");
    KT_EQ_STR(fstr(f, "delivery_class"), "idempotence_bypassed");
    KT_EQ_INT(fint(f, "original_offset"), 2);
    KT_EQ_INT(fint(f, "count"), 2);
    tp_close(&t);
}

/* 7.1: coordinator writes skip the sequence check only: the epoch check
 * and the coordinator-epoch check still apply in __consumer_offsets. */
static void test_coordinator_topic_epochs(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "__consumer_offsets", NULL));
    feed(&t, txn(0, 1, 7300, 3, 0, T0, "a"));
    marker(&t, 1, 7300, 3, KB_CTRL_COMMIT, 2, T0 + 5);
    feed(&t, txn(2, 1, 7300, 2, 0, T0 + 10, "b"));
    marker(&t, 3, 7300, 3, KB_CTRL_COMMIT, 1, T0 + 15);
    tp_end(&t);
    KT_EQ_INT(n_of(t.r, "epoch_regression"), 1);
    KT_EQ_INT(n_of(t.r, "coordinator_epoch_regression"), 1);
    KT_EQ_INT(t.r->by_severity[RM_WARNING] + t.r->by_severity[RM_ERROR], 2);
    const rm_finding *f = nth(t.r, "epoch_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "epoch_regression", RM_ERROR, 2, 7300, 2);
    KT_EQ_INT(fint(f, "previous_epoch"), 3);
    f = nth(t.r, "coordinator_epoch_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "coordinator_epoch_regression", RM_ERROR, 3, 7300, 3);
    KT_EQ_INT(fint(f, "coordinator_epoch"), 1);
    KT_EQ_INT(fint(f, "previous_coordinator_epoch"), 2);
    tp_close(&t);
}

/* ---- producer expiration (7.8) --------------------------------------------------- */

/* 25: producer 7100 is silent for 2 days (longer than
 * producer.id.expiration.ms, 1 day) and starts again at sequence 0 in the
 * same epoch: the broker had forgotten it. A broker of 3.3 or older keeps a
 * producer 7 days (transactional.id.expiration.ms): there the same log is a
 * regression. */
static void expired_log(tp *t)
{
    feed(t, idem(0, 5, 7100, 0, 0, T0, "a"));
    feed(t, idem(5, 5, 7100, 0, 5, T0 + 9, "b"));
    feed(t, plain(10, 2, T0 + DAY, "c"));
    feed(t, idem(12, 3, 7100, 0, 0, T0 + 2 * DAY, "d"));
    feed(t, idem(15, 2, 7100, 0, 3, T0 + 2 * DAY + 7, "e"));
}

static void test_producer_expiration(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "expired-producer-restart", NULL));
    expired_log(&t);
    tp_end(&t);
    EXPECT_NONE(&t);
    tp_close(&t);

    ka_options o;
    ka_options_init(&o);
    o.producer_expiration_ms = 7 * DAY;
    KT_REQUIRE(tp_open(&t, "expired-producer-restart", &o));
    expired_log(&t);
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_regression", 1);
    const rm_finding *f = nth(t.r, "sequence_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_regression", RM_ERROR, 12, 7100, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 10);
    KT_EQ_INT(fint(f, "actual_sequence"), 0);
    tp_close(&t);
}

/* isProducerExpired: now - lastTimestamp >= producerIdExpirationMs, with
 * lastTimestamp the last batch's maxTimestamp. Exactly the expiration:
 * forgotten; one millisecond less: still known, so sequence 0 after 1 is a
 * regression. */
static void test_expiration_boundary(void)
{
    ka_options o;
    ka_options_init(&o);
    o.producer_expiration_ms = MINUTE;
    tp t;
    KT_REQUIRE(tp_open(&t, "expiration-boundary", &o));
    feed(&t, idem(0, 2, 1, 0, 0, T0, "a"));                  /* max timestamp T0 + 1 */
    feed(&t, idem(2, 2, 2, 0, 0, T0 + 10, "b"));             /* max timestamp T0 + 11 */
    feed(&t, idem(4, 1, 1, 0, 0, T0 + 1 + MINUTE, "c"));     /* exactly a minute: forgotten */
    feed(&t, idem(5, 1, 2, 0, 0, T0 + 10 + MINUTE, "d"));    /* a minute less 1 ms: known */
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_regression", 1);
    const rm_finding *f = nth(t.r, "sequence_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_regression", RM_ERROR, 5, 2, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 2);
    KT_EQ_INT(fint(f, "actual_sequence"), 0);
    tp_close(&t);
}

/* A producer with an open transaction never expires (isProducerExpired
 * requires no ongoing transaction): 2 days later its sequence 0 is still a
 * regression. */
static void test_open_transaction_never_expires(void)
{
    tp t;
    KT_REQUIRE(tp_open(&t, "txn-never-expires", NULL));
    feed(&t, txn(0, 2, 7150, 0, 0, T0, "a"));
    feed(&t, txn(2, 3, 7150, 0, 0, T0 + 2 * DAY, "b"));
    marker(&t, 5, 7150, 0, KB_CTRL_COMMIT, 1, T0 + 2 * DAY + 10);
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_regression", 1);
    const rm_finding *f = nth(t.r, "sequence_regression", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_regression", RM_ERROR, 2, 7150, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 2);
    KT_EQ_INT(fint(f, "actual_sequence"), 0);
    tp_close(&t);
}

/* ---- producer snapshots (7.9) ----------------------------------------------------- */

/* The bytes of a .snapshot (version 1, CRC-32C of [6, end), the entries);
 * `buf` holds at least 10 + 46 * n bytes. Returns its length. */
static size_t snapshot_bytes(uint8_t *buf, const kp_entry *e, size_t n)
{
    put_be(buf, 1, 2);
    put_be(buf + 6, n, 4);
    uint8_t *p = buf + KP_HEADER_SIZE;
    for (size_t i = 0; i < n; i++, p += KP_ENTRY_SIZE) {
        put_be(p, (uint64_t)e[i].producer_id, 8);
        put_be(p + 8, (uint64_t)(int64_t)e[i].epoch, 2);
        put_be(p + 10, (uint64_t)(int64_t)e[i].last_sequence, 4);
        put_be(p + 14, (uint64_t)e[i].last_offset, 8);
        put_be(p + 22, (uint64_t)(int64_t)e[i].offset_delta, 4);
        put_be(p + 26, (uint64_t)e[i].timestamp, 8);
        put_be(p + 34, (uint64_t)(int64_t)e[i].coordinator_epoch, 4);
        put_be(p + 38, (uint64_t)e[i].current_txn_first_offset, 8);
    }
    size_t len = (size_t)(p - buf);
    put_be(buf + 2, kcrc32c(buf + KP_CRC_FROM, len - KP_CRC_FROM), 4);
    return len;
}

/* A snapshot at offset 10 (the first segment's base) seeds the replay:
 * producer 6100's next batch continues its sequence (clean); producer
 * 6200, whose snapshot says last sequence 4, jumps to 8 (a gap of 3). */
static void test_snapshot_seed(void)
{
    kp_entry e[2] = {
        { 0, 6100, 0, 9, 9, 4, T0 + 9, -1, -1 },
        { 0, 6200, 3, 4, 7, 2, T0 + 9, -1, -1 },
    };
    uint8_t buf[KP_HEADER_SIZE + 2 * KP_ENTRY_SIZE];
    size_t len = snapshot_bytes(buf, e, 2);
    kp_snapshot s;
    ke_error err;
    KT_REQUIRE_EQ_INT(kp_open(&s, buf, len, &err), 0);
    KT_REQUIRE_EQ_INT(s.n, 2);
    tp t;
    KT_REQUIRE(tp_open(&t, "snapshot-seed", NULL));
    ka_seed_snapshot(t.p, 10, &s);
    feed(&t, idem(10, 5, 6100, 0, 10, T0 + 20, "a"));
    feed(&t, idem(15, 2, 6200, 3, 8, T0 + 27, "b"));
    feed(&t, idem(17, 2, 6100, 0, 15, T0 + 33, "c"));
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_gap", 1);
    const rm_finding *f = nth(t.r, "sequence_gap", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_gap", RM_WARNING, 15, 6200, 3);
    KT_EQ_INT(fint(f, "expected_sequence"), 5);
    KT_EQ_INT(fint(f, "actual_sequence"), 8);
    KT_EQ_INT(fint(f, "missing"), 3);
    tp_close(&t);

    /* Without the seed, both producers are unknown at their first batch. */
    KT_REQUIRE(tp_open(&t, "snapshot-seed", NULL));
    feed(&t, idem(10, 5, 6100, 0, 10, T0 + 20, "a"));
    feed(&t, idem(15, 2, 6200, 3, 8, T0 + 27, "b"));
    tp_end(&t);
    EXPECT_NONE(&t);
    tp_close(&t);
}

/* After a reload the broker knows the snapshot's last batch of each
 * producer (7.5: "only the snapshot's last batch ... is known"). Producer
 * 6300's snapshot says its last batch was sequences 0..4 at offsets 3-7
 * (below the log, deleted); the log's first batch of it is sequences 0..4
 * again, epoch 0: an exact repeat of a batch in the broker's window, which
 * a broker drops as a retry (7.5), not a sequence that goes backwards
 * (7.4). Its original records are not in the log, so nothing shows that
 * the two carry different records (docs/report.md, sequence_regression:
 * "an exact repeat carries different records"). The next batch, 5..6,
 * follows on. */
static void test_snapshot_repeat_of_last_batch(void)
{
    kp_entry e[1] = { { 0, 6300, 0, 4, 7, 4, T0 + 9, -1, -1 } };
    uint8_t buf[KP_HEADER_SIZE + KP_ENTRY_SIZE];
    size_t len = snapshot_bytes(buf, e, 1);
    kp_snapshot s;
    ke_error err;
    KT_REQUIRE_EQ_INT(kp_open(&s, buf, len, &err), 0);
    tp t;
    KT_REQUIRE(tp_open(&t, "snapshot-repeat", NULL));
    ka_seed_snapshot(t.p, 10, &s);
    feed(&t, idem(10, 5, 6300, 0, 0, T0 + 20, "a"));
    feed(&t, idem(15, 2, 6300, 0, 5, T0 + 27, "b"));
    tp_end(&t);
    KT_EQ_INT(n_of(t.r, "sequence_regression"), 0);
    KT_EQ_INT(n_of(t.r, "sequence_gap"), 0);
    KT_EQ_INT(n_serious_except(t.r, "duplicate"), 0);
    /* The bytes cannot tell whether the records were the same: said. */
    const rm_partition *rp = &t.r->partitions[0];
    KT_REQUIRE_EQ_INT(rp->nnotes, 1);
    KT_CHECK(strstr(rp->notes[0], "producer 6300 epoch 0: the batch at offset 10 repeats sequences 0..4") != NULL);
    KT_CHECK(strstr(rp->notes[0], "cannot be checked") != NULL);
    if (kt_cur_failed) show(t.r);
    tp_close(&t);
}

/* 18: the .snapshot at offset 10 says producer 6100's last sequence is 7;
 * the log up to offset 10 says 9. Producer 6101's entry agrees. */
static void test_snapshot_mismatch(void)
{
    kp_entry e[2] = {
        { 0, 6100, 0, 7, 9, 4, T0 + 9, -1, -1 },
        { 0, 6101, 0, 1, 11, 1, T0 + 20, -1, -1 },
    };
    uint8_t buf[KP_HEADER_SIZE + 2 * KP_ENTRY_SIZE];
    size_t len = snapshot_bytes(buf, e, 2);
    kp_snapshot s;
    ke_error err;
    KT_REQUIRE_EQ_INT(kp_open(&s, buf, len, &err), 0);
    tp t;
    KT_REQUIRE(tp_open(&t, "snapshot-mismatch", NULL));
    ka_check_snapshot(t.p, 12, "00000000000000000012.snapshot", &s);
    feed(&t, idem(0, 5, 6100, 0, 0, T0, "a"));
    feed(&t, idem(5, 5, 6100, 0, 5, T0 + 5, "b"));
    feed(&t, idem(10, 2, 6101, 0, 0, T0 + 19, "c"));
    feed(&t, idem(12, 5, 6100, 0, 10, T0 + 30, "d"));
    feed(&t, plain(17, 3, T0 + 40, "e"));
    tp_end(&t);
    EXPECT_ONLY(&t, "snapshot_mismatch", 1);
    const rm_finding *f = nth(t.r, "snapshot_mismatch", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "snapshot_mismatch", RM_WARNING, 12, 6100, 0);
    KT_EQ_STR(fstr(f, "field"), "last_sequence");
    KT_EQ_INT(fint(f, "snapshot_value"), 7);
    KT_EQ_INT(fint(f, "log_value"), 9);
    KT_EQ_INT(fint(f, "snapshot_offset"), 12);
    KT_EQ_STR(fstr(f, "file"), "00000000000000000012.snapshot");
    tp_close(&t);
}

/* ---- scope ------------------------------------------------------------------------ */

/* --offsets: every batch is replayed (the state at the window's edge is
 * right), but only findings inside the window are reported. */
static void test_offset_scope(void)
{
    ka_options o;
    ka_options_init(&o);
    o.off_lo = 10;
    tp t;
    KT_REQUIRE(tp_open(&t, "scope", &o));
    feed(&t, idem(0, 5, 5000, 0, 0, T0, "a"));
    feed(&t, idem(5, 5, 5000, 0, 10, T0 + 9, "b"));     /* a gap at 5: outside */
    feed(&t, idem(10, 5, 5000, 0, 15, T0 + 18, "c"));   /* follows 10..14: clean */
    feed(&t, idem(15, 5, 5000, 0, 30, T0 + 27, "d"));   /* a gap at 15: inside */
    tp_end(&t);
    EXPECT_ONLY(&t, "sequence_gap", 1);
    const rm_finding *f = nth(t.r, "sequence_gap", 0);
    KT_REQUIRE(f != NULL);
    EXPECT_AT(f, "sequence_gap", RM_WARNING, 15, 5000, 0);
    KT_EQ_INT(fint(f, "expected_sequence"), 20);
    KT_EQ_INT(fint(f, "missing"), 10);
    tp_close(&t);
}

int main(void)
{
    KT_RUN(test_sequences_in_order);
    KT_RUN(test_sequence_gap);
    KT_RUN(test_sequence_regression);
    KT_RUN(test_sequence_wrap);
    KT_RUN(test_gap_across_wrap);
    KT_RUN(test_first_batch_mid_sequence);
    KT_RUN(test_compaction_sequence_holes);
    KT_RUN(test_epoch_regression);
    KT_RUN(test_marker_epoch_regression);
    KT_RUN(test_epoch_sequence_not_reset);
    KT_RUN(test_txn_v2_epoch_bumps);
    KT_RUN(test_txn_v2_sequence_not_reset);
    KT_RUN(test_marker_before_data);
    KT_RUN(test_transactions_committed);
    KT_RUN(test_coordinator_epoch_regression);
    KT_RUN(test_orphan_marker);
    KT_RUN(test_non_transactional_in_transaction);
    KT_RUN(test_open_transaction);
    KT_RUN(test_aborted_never_duplicates);
    KT_RUN(test_open_transaction_not_visible);
    KT_RUN(test_committed_transaction_is_original);
    KT_RUN(test_emptied_batches);
    KT_RUN(test_control_not_a_marker);
    KT_RUN(test_offset_regression);
    KT_RUN(test_leader_epoch_regression);
    KT_RUN(test_leader_epoch_checkpoint);
    KT_RUN(test_record_count_mismatch);
    KT_RUN(test_corrupt_and_truncated);
    KT_RUN(test_timestamp_anomaly);
    KT_RUN(test_dup_retry);
    KT_RUN(test_dup_idempotence_bypassed);
    KT_RUN(test_duplicate_window_of_five);
    KT_RUN(test_dup_producer_restart);
    KT_RUN(test_dup_epoch_bump_resend);
    KT_RUN(test_dup_beyond_window);
    KT_RUN(test_dup_null_and_empty);
    KT_RUN(test_dup_log_start);
    KT_RUN(test_coordinator_topic);
    KT_RUN(test_coordinator_topic_epochs);
    KT_RUN(test_producer_expiration);
    KT_RUN(test_expiration_boundary);
    KT_RUN(test_open_transaction_never_expires);
    KT_RUN(test_snapshot_seed);
    KT_RUN(test_snapshot_repeat_of_last_batch);
    KT_RUN(test_reused_sequences_with_identity);
    KT_RUN(test_snapshot_mismatch);
    KT_RUN(test_offset_scope);
    return kt_done();
}
