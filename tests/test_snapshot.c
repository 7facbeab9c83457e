/* test_snapshot.c - producer-state .snapshot: header checks in Kafka's order,
 * entries, firstSequence wrap, the auditor's entry checks, real files. */
#include "kt.h"
#include "reader/crc.h"
#include "reader/snapshot.h"

#include <ftw.h>
#include <stdlib.h>

#define CORPUS "../shared/corpus/"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}
static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

/* Entry i of a snapshot under construction, fields in file order. */
static void put_entry(uint8_t *buf, size_t i, int64_t pid, int16_t epoch, int32_t last_seq, int64_t last_off,
                      int32_t delta, int64_t ts, int32_t coord, int64_t txn_first)
{
    uint8_t *p = buf + 10 + 46 * i;
    put64(p, (uint64_t)pid);
    put16(p + 8, (uint16_t)epoch);
    put32(p + 10, (uint32_t)last_seq);
    put64(p + 14, (uint64_t)last_off);
    put32(p + 22, (uint32_t)delta);
    put64(p + 26, (uint64_t)ts);
    put32(p + 34, (uint32_t)coord);
    put64(p + 38, (uint64_t)txn_first);
}

/* Header with version 1, `count`, and a correct CRC over [6, len). */
static void seal(uint8_t *buf, size_t len, int32_t count)
{
    put16(buf, 1);
    put32(buf + 6, (uint32_t)count);
    put32(buf + 2, kcrc32c(buf + 6, len - 6));
}

static void test_good(void)
{
    uint8_t buf[10 + 2 * 46];
    memset(buf, 0, sizeof buf);
    put_entry(buf, 0, 4001, 3, 11, 11, 2, 1670068129797, -1, -1);
    put_entry(buf, 1, 77, 0, -1, -1, 0, 1670000000000, 5, 40);
    seal(buf, sizeof buf, 2);
    kp_snapshot s;
    ke_error e;
    ke_clear(&e);
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), 0);
    KT_EQ_INT(s.version, 1);
    KT_EQ_INT(s.count, 2);
    KT_EQ_INT(s.n, 2);
    KT_EQ_INT(s.trailing, 0);
    KT_EQ_UINT(s.crc_stored, s.crc_computed);
    kp_entry x;
    KT_EQ_INT(kp_entry_at(&s, 0, &x, &e), 0);
    KT_EQ_INT(x.pos, 10);
    KT_EQ_INT(x.producer_id, 4001);
    KT_EQ_INT(x.epoch, 3);
    KT_EQ_INT(x.last_sequence, 11);
    KT_EQ_INT(x.last_offset, 11);
    KT_EQ_INT(x.offset_delta, 2);
    KT_EQ_INT(x.timestamp, 1670068129797);
    KT_EQ_INT(x.coordinator_epoch, -1);
    KT_EQ_INT(x.current_txn_first_offset, -1);
    KT_CHECK(kp_has_batch(&x));
    KT_CHECK(!kp_has_open_txn(&x));
    KT_EQ_INT(kp_first_sequence(&x), 9);
    KT_EQ_INT(kp_check_entry(&x, 12, &e), 0);
    KT_EQ_INT(kp_check_entry(&x, 11, &e), KE_CORRUPT); /* the name's offset is exclusive */
    KT_EQ_INT(kp_entry_at(&s, 1, &x, &e), 0);
    KT_EQ_INT(x.pos, 56);
    KT_CHECK(!kp_has_batch(&x));
    KT_CHECK(kp_has_open_txn(&x));
    KT_EQ_INT(kp_check_entry(&x, 41, &e), 0);
    KT_EQ_INT(kp_check_entry(&x, 40, &e), KE_CORRUPT);
    KT_EQ_INT(kp_entry_at(&s, 2, &x, &e), KE_USAGE);
}

static void test_header_errors(void)
{
    uint8_t buf[10 + 46];
    memset(buf, 0, sizeof buf);
    put_entry(buf, 0, 1, 0, 0, 0, 0, 0, -1, -1);
    seal(buf, sizeof buf, 1);
    kp_snapshot s;
    ke_error e;
    KT_EQ_INT(kp_open(&s, buf, 0, &e), KE_SHORT);
    KT_EQ_INT(e.pos, 0);
    KT_EQ_INT(kp_open(&s, buf, 1, &e), KE_SHORT);
    KT_EQ_INT(kp_open(&s, buf, 5, &e), KE_SHORT);
    KT_EQ_INT(e.pos, 2);
    KT_EQ_INT(kp_open(&s, buf, 8, &e), KE_SHORT);
    KT_EQ_INT(e.pos, 6);
    KT_EQ_INT(s.n, 0);
    /* Version: Kafka has only 1 (checked before the CRC). */
    put16(buf, 0);
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), KE_UNSUPPORTED);
    KT_EQ_INT(e.pos, 0);
    put16(buf, 2);
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), KE_UNSUPPORTED);
    KT_EQ_INT(s.version, 2);
    put16(buf, 1);
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), 0);
    KT_EQ_INT(kp_open(NULL, buf, sizeof buf, &e), KE_USAGE);
    KT_EQ_INT(kp_open(&s, NULL, 4, &e), KE_USAGE);
}

static void test_counts(void)
{
    uint8_t buf[10 + 3 * 46 + 5];
    memset(buf, 0, sizeof buf);
    for (int i = 0; i < 3; i++)
        put_entry(buf, (size_t)i, 10 + i, 0, 5, 5, 0, 99, -1, -1);
    kp_snapshot s;
    ke_error e;
    /* Negative count. */
    seal(buf, 10 + 46, -1);
    KT_EQ_INT(kp_open(&s, buf, 10 + 46, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 6);
    KT_EQ_INT(s.n, 0);
    /* More declared than present: truncated, the present ones readable. */
    seal(buf, 10 + 2 * 46 + 20, 3);
    KT_EQ_INT(kp_open(&s, buf, 10 + 2 * 46 + 20, &e), KE_TRUNCATED);
    KT_EQ_INT(e.pos, 102);
    KT_EQ_INT(s.n, 2);
    KT_EQ_INT(s.trailing, 20);
    kp_entry x;
    KT_EQ_INT(kp_entry_at(&s, 1, &x, &e), 0);
    KT_EQ_INT(x.producer_id, 11);
    /* Absurd count in a header-only file: nothing allocated, nothing read. */
    seal(buf, 10, INT32_MAX);
    KT_EQ_INT(kp_open(&s, buf, 10, &e), KE_TRUNCATED);
    KT_EQ_INT(s.n, 0);
    /* Fewer declared than present: Kafka ignores the extra bytes; we do not. */
    seal(buf, sizeof buf, 2);
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 102);
    KT_EQ_INT(s.n, 2);
    KT_EQ_INT(s.trailing, 46 + 5);
    /* Empty snapshot, as most brokers write: header only. */
    seal(buf, 10, 0);
    KT_EQ_INT(kp_open(&s, buf, 10, &e), 0);
    KT_EQ_INT(s.n, 0);
}

static void test_crc(void)
{
    uint8_t buf[10 + 46];
    memset(buf, 0, sizeof buf);
    put_entry(buf, 0, 42, 1, 7, 7, 0, 1, -1, -1);
    seal(buf, sizeof buf, 1);
    kp_snapshot s;
    ke_error e;
    buf[30] ^= 0x01; /* inside the entry: the CRC covers [6, EOF) */
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), KE_CRC);
    KT_EQ_INT(e.pos, 2);
    KT_CHECK(s.crc_stored != s.crc_computed);
    KT_EQ_INT(s.n, 1); /* still readable for a dump */
    buf[30] ^= 0x01;
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), 0);
    buf[2] ^= 0x80; /* the stored CRC itself */
    KT_EQ_INT(kp_open(&s, buf, sizeof buf, &e), KE_CRC);
}

static kp_entry seq_entry(int32_t last_seq, int32_t delta)
{
    kp_entry x;
    memset(&x, 0, sizeof x);
    x.last_sequence = last_seq;
    x.offset_delta = delta;
    return x;
}

/* decrementSequence, formats doc 1.8, with Java's int results. */
static void test_first_sequence(void)
{
    kp_entry x = seq_entry(52314, 489);
    KT_EQ_INT(kp_first_sequence(&x), 51825);
    x = seq_entry(3, 10); /* the batch straddles the wrap */
    KT_EQ_INT(kp_first_sequence(&x), 2147483641);
    x = seq_entry(0, 1);
    KT_EQ_INT(kp_first_sequence(&x), INT32_MAX);
    x = seq_entry(INT32_MAX, INT32_MAX);
    KT_EQ_INT(kp_first_sequence(&x), 0);
    x = seq_entry(-1, 0); /* no batch: -1 < 0, so Java's formula gives MAX_VALUE */
    KT_EQ_INT(kp_first_sequence(&x), INT32_MAX);
    x = seq_entry(INT32_MIN, INT32_MAX); /* garbage: Java's int wrap */
    KT_EQ_INT(kp_first_sequence(&x), -2147483647);
    x = seq_entry(INT32_MAX, -1);
    KT_EQ_INT(kp_first_sequence(&x), INT32_MIN);
}

static void test_check_entry(void)
{
    kp_entry x;
    memset(&x, 0, sizeof x);
    x.pos = 56;
    x.producer_id = 5;
    x.last_sequence = 10;
    x.last_offset = 100;
    x.offset_delta = 4;
    x.current_txn_first_offset = -1;
    ke_error e;
    KT_EQ_INT(kp_check_entry(&x, -1, &e), 0);
    x.offset_delta = 101;
    KT_EQ_INT(kp_check_entry(&x, -1, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 56);
    x.offset_delta = -2;
    KT_EQ_INT(kp_check_entry(&x, -1, &e), KE_CORRUPT);
    x.offset_delta = 0;
    x.last_offset = -1; /* no batch: lastSequence must be -1 */
    KT_EQ_INT(kp_check_entry(&x, -1, &e), KE_CORRUPT);
    x.last_sequence = -1;
    KT_EQ_INT(kp_check_entry(&x, 5, &e), 0);
    x.producer_id = -1;
    KT_EQ_INT(kp_check_entry(&x, 5, &e), KE_CORRUPT);
}

/* ---- real broker files ---------------------------------------------- */

/* The bytes of a corpus snapshot (free() them), opened into *s, or NULL
 * (saying why) when the file cannot be read or kp_open does not give
 * want_rc: the caller requires a non-NULL result (KT_REQUIRE), so nothing
 * reads *s after a failure. */
static uint8_t *open_real(const char *rel, kp_snapshot *s, int want_rc)
{
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, CORPUS "%s", rel);
    uint8_t *buf = kt_slurp(path, &len);
    if (!buf) {
        fprintf(stderr, "  cannot read %s\n", path);
        return NULL;
    }
    ke_error e;
    ke_clear(&e);
    int rc = kp_open(s, buf, len, &e);
    if (rc != want_rc) {
        fprintf(stderr, "  %s: kp_open gave %s (%s), want %s\n", path, ke_strerror(rc), e.msg,
                ke_strerror(want_rc));
        free(buf);
        return NULL;
    }
    return buf;
}

static void expect(const kp_snapshot *s, size_t i, int64_t pid, int32_t last_seq, int64_t last_off,
                   int32_t delta, int64_t ts, int32_t coord, int32_t first_seq)
{
    kp_entry x;
    KT_EQ_INT(kp_entry_at(s, i, &x, NULL), 0);
    KT_EQ_INT(x.producer_id, pid);
    KT_EQ_INT(x.epoch, 0);
    KT_EQ_INT(x.last_sequence, last_seq);
    KT_EQ_INT(x.last_offset, last_off);
    KT_EQ_INT(x.offset_delta, delta);
    KT_EQ_INT(x.timestamp, ts);
    KT_EQ_INT(x.coordinator_epoch, coord);
    KT_EQ_INT(x.current_txn_first_offset, -1);
    KT_EQ_INT(kp_first_sequence(&x), first_seq);
}

static void check_all(const kp_snapshot *s, int64_t end_offset)
{
    for (size_t i = 0; i < s->n; i++) {
        kp_entry x;
        ke_error e;
        KT_EQ_INT(kp_entry_at(s, i, &x, &e), 0);
        KT_EQ_INT(kp_check_entry(&x, end_offset, &e), 0);
    }
}

/* DonaldY/kafka-2.7.1 myTopic-0: a snapshot whose segment was deleted. */
static void test_real_donaldy(void)
{
    kp_snapshot s;
    uint8_t *b = open_real("DonaldY__kafka-2.7.1/kafka-logs/myTopic-0/00000000000000000038.snapshot", &s, 0);
    KT_REQUIRE(b != NULL);
    KT_EQ_INT(s.len, 148);
    KT_EQ_INT(s.n, 3);
    KT_EQ_UINT(s.crc_stored, 0x1a3a695au);
    expect(&s, 0, 4001, 11, 11, 2, 1670068129797, -1, 9);
    expect(&s, 1, 4002, 11, 23, 11, 1670068739452, -1, 0);
    expect(&s, 2, 4003, 13, 37, 13, 1670071262224, -1, 0);
    check_all(&s, 38);
    free(b);
}

/* dschne27/kafka-streams: 11 idempotent producers of a Streams repartition topic. */
static void test_real_streams(void)
{
    kp_snapshot s;
    uint8_t *b = open_real("dschne27__kafka-streams/broker/data/"
                           "_confluent-controlcenter-7-6-1-1-MetricsAggregateStore-repartition-0/"
                           "00000000000000085902.snapshot",
                           &s, 0);
    KT_REQUIRE(b != NULL);
    KT_EQ_INT(s.n, 11);
    KT_EQ_UINT(s.crc_stored, 0x55a1b34du);
    expect(&s, 0, 5, 8769, 84591, 468, 1715130255972, -1, 8301);
    expect(&s, 4, 9, 5495, 75729, 418, 1715130225971, -1, 5077);
    expect(&s, 10, 15, 12839, 85133, 181, 1715130255972, -1, 12658);
    check_all(&s, 85902);
    free(b);
    /* The ksqlDB command topic: a transactional producer after its COMMIT. */
    b = open_real("dschne27__kafka-streams/broker/data/_confluent-ksql-default__command_topic-0/"
                  "00000000000000000002.snapshot",
                  &s, 0);
    KT_REQUIRE(b != NULL);
    KT_EQ_INT(s.n, 1);
    expect(&s, 0, 3, 0, 0, 0, 1715129969062, 0, 0);
    free(b);
}

static void test_real_small_and_foreign(void)
{
    kp_snapshot s;
    uint8_t *b =
        open_real("William0423__kafka/kafka-logs/__consumer_offsets-28/00000000000000008202.snapshot", &s, 0);
    KT_REQUIRE(b != NULL);
    KT_EQ_INT(s.len, 10);
    KT_EQ_INT(s.n, 0);
    free(b);
    b = open_real("Pda-Final-Project__backend/data/kafka/order-topic-0/00000000000000000002.snapshot", &s, 0);
    KT_REQUIRE(b != NULL);
    KT_EQ_INT(s.n, 2);
    expect(&s, 1, 1000, 0, 1, 0, 1740120191619, -1, 0);
    free(b);
    /* Redpanda's *.snapshot is another format: version 4973. */
    b = open_real("langley232__video_ingestion/redpanda/data/kafka/__consumer_offsets/0_12/"
                  "group_tx_tracker_stm.snapshot",
                  &s, KE_UNSUPPORTED);
    KT_REQUIRE(b != NULL);
    KT_EQ_INT(s.version, 4973);
    KT_EQ_INT(s.n, 0);
    free(b);
}

/* Every Kafka .snapshot of the corpus parses and its entries pass the
 * auditor's checks against the name's offset; every Redpanda one is
 * refused (KE_UNSUPPORTED: its first two bytes are no version 1). */
static struct {
    int kafka, redpanda, entries, failed;
} sweep;

static int sweep_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    const char *name = path + ftw->base, *dot = strrchr(name, '.');
    if (type != FTW_F || !dot || strcmp(dot, ".snapshot") != 0) return 0;
    size_t len = 0;
    uint8_t *b = kt_slurp(path, &len);
    if (!b) return 0;
    bool redpanda = strstr(path, "/redpanda/") != NULL;
    kp_snapshot s;
    ke_error e;
    ke_clear(&e);
    int rc = kp_open(&s, b, len, &e);
    for (size_t i = 0; rc == 0 && i < s.n; i++) {
        kp_entry x;
        rc = kp_entry_at(&s, i, &x, &e);
        if (rc == 0) rc = kp_check_entry(&x, strtoll(name, NULL, 10), &e);
    }
    if (redpanda)
        sweep.redpanda++;
    else
        sweep.kafka++, sweep.entries += (int)s.n;
    if (rc != (redpanda ? KE_UNSUPPORTED : 0)) {
        sweep.failed++;
        fprintf(stderr, "  %s: %s at %lld: %s\n", path, ke_strerror(rc), (long long)e.pos, e.msg);
    }
    free(b);
    return 0;
}

static void test_corpus_sweep(void)
{
    memset(&sweep, 0, sizeof sweep);
    KT_EQ_INT(nftw(CORPUS, sweep_one, 16, FTW_PHYS), 0);
    /* At least what the corpus held when this test was written: it only
     * grows, and every snapshot added must pass too. */
    KT_CHECK(sweep.kafka >= 160);
    KT_CHECK(sweep.entries >= 30);
    KT_CHECK(sweep.redpanda >= 14);
    KT_EQ_INT(sweep.failed, 0);
}

int main(void)
{
    KT_RUN(test_good);
    KT_RUN(test_header_errors);
    KT_RUN(test_counts);
    KT_RUN(test_crc);
    KT_RUN(test_first_sequence);
    KT_RUN(test_check_entry);
    KT_RUN(test_real_donaldy);
    KT_RUN(test_real_streams);
    KT_RUN(test_real_small_and_foreign);
    KT_RUN(test_corpus_sweep);
    return kt_done();
}
