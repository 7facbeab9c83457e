/* test_index.c - .index / .timeindex / .txnindex views, Kafka's sanityCheck
 * and the ordering checks, over hand-built buffers and real broker files. */
#include "kt.h"
#include "reader/index.h"

#include <ftw.h>
#include <stdlib.h>

#define CORPUS "../shared/corpus/"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static void off_slot(uint8_t *buf, size_t i, int32_t rel, int32_t pos)
{
    put32(buf + 8 * i, (uint32_t)rel);
    put32(buf + 8 * i + 4, (uint32_t)pos);
}

static void time_slot(uint8_t *buf, size_t i, int64_t ts, int32_t rel)
{
    put64(buf + 12 * i, (uint64_t)ts);
    put32(buf + 12 * i + 8, (uint32_t)rel);
}

static void txn_slot(uint8_t *buf, size_t i, uint16_t ver, int64_t pid, int64_t first, int64_t last,
                     int64_t lso)
{
    uint8_t *p = buf + 34 * i;
    p[0] = (uint8_t)(ver >> 8), p[1] = (uint8_t)ver;
    put64(p + 2, (uint64_t)pid);
    put64(p + 10, (uint64_t)first);
    put64(p + 18, (uint64_t)last);
    put64(p + 26, (uint64_t)lso);
}

/* A preallocated .index after a crash: 3 entries then zero slots. */
static void test_offset_zero_tail(void)
{
    uint8_t buf[64] = {0};
    off_slot(buf, 0, 0, 0);
    off_slot(buf, 1, 5, 4200);
    off_slot(buf, 2, 9, 8400);
    ki_index ix;
    ke_error e;
    ke_clear(&e);
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, sizeof buf, 100, &e), 0);
    KT_EQ_INT(ix.slots, 8);
    KT_EQ_INT(ix.entries, 3);
    KT_EQ_INT(ix.tail_bytes, 40);
    KT_EQ_INT(ix.tail_nonzero_pos, -1);
    KT_EQ_INT(ix.partial_bytes, 0);
    ki_offset_entry oe;
    KT_EQ_INT(ki_offset_at(&ix, 1, &oe, &e), 0);
    KT_EQ_INT(oe.offset, 105);
    KT_EQ_INT(oe.position, 4200);
    KT_EQ_INT(oe.pos, 8);
    KT_EQ_INT(ki_offset_at(&ix, 7, &oe, &e), 0); /* tail slots are readable */
    KT_EQ_INT(oe.offset, 100);
    /* The last slot is (0,0): offset == base, so Kafka's sanityCheck passes. */
    KT_EQ_INT(ki_sanity_check(&ix, &e), 0);
    size_t next = 0;
    KT_EQ_INT(ki_check_order(&ix, &next, &e), 0);
    KT_EQ_INT(next, 3);
}

/* A .index never written to: slot 0 counts as an entry (DumpLogSegments'
 * "i > 0" rule), the rest is tail. */
static void test_offset_all_zero(void)
{
    uint8_t buf[80] = {0};
    ki_index ix;
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, sizeof buf, 0, NULL), 0);
    KT_EQ_INT(ix.entries, 1);
    KT_EQ_INT(ix.tail_bytes, 72);
    KT_EQ_INT(ki_sanity_check(&ix, NULL), 0);
}

static void test_offset_partial_and_negative(void)
{
    uint8_t buf[27] = {0};
    off_slot(buf, 0, 1, 0);
    off_slot(buf, 1, 2, 100);
    off_slot(buf, 2, 3, 200);
    buf[24] = 0xAB;
    ki_index ix;
    ke_error e;
    ke_clear(&e);
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, sizeof buf, 0, &e), 0);
    KT_EQ_INT(ix.slots, 3);
    KT_EQ_INT(ix.partial_bytes, 3);
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 24);
    /* Last slot below the base offset: the first of Kafka's two checks. */
    off_slot(buf, 2, -1, 200);
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, 24, 50, &e), 0);
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 16);
    KT_CHECK(strstr(e.msg, "less than the base offset") != NULL);
}

/* Every ordering violation is found, with its position, by looping. */
static void test_offset_order(void)
{
    uint8_t buf[48] = {0};
    off_slot(buf, 0, 0, 0);
    off_slot(buf, 1, 10, 100);
    off_slot(buf, 2, 10, 200); /* equal offset */
    off_slot(buf, 3, 20, 150); /* position goes back */
    off_slot(buf, 4, 30, 300);
    off_slot(buf, 5, 40, 400);
    ki_index ix;
    ke_error e;
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, sizeof buf, 7, &e), 0);
    KT_EQ_INT(ix.entries, 6);
    size_t next = 0;
    KT_EQ_INT(ki_check_order(&ix, &next, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 16);
    KT_EQ_INT(next, 3);
    KT_EQ_INT(ki_check_order(&ix, &next, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 24);
    KT_CHECK(strstr(e.msg, "log position") != NULL);
    KT_EQ_INT(ki_check_order(&ix, &next, &e), 0);
    KT_EQ_INT(next, 6);
}

static void test_offset_overflow(void)
{
    uint8_t buf[16] = {0};
    off_slot(buf, 0, 3, 0);
    off_slot(buf, 1, 0x7fffffff, 10);
    ki_index ix;
    ke_error e;
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, sizeof buf, INT64_MAX - 100, &e), 0);
    ki_offset_entry oe;
    KT_EQ_INT(ki_offset_at(&ix, 0, &oe, &e), 0);
    KT_EQ_INT(oe.offset, INT64_MAX - 97);
    KT_EQ_INT(ki_offset_at(&ix, 1, &oe, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 8);
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_CORRUPT);
}

static void test_usage(void)
{
    uint8_t buf[24] = {0};
    ki_index ix;
    ke_error e;
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, buf, sizeof buf, -1, &e), KE_USAGE);
    KT_EQ_INT(ki_open(&ix, (ki_kind)9, buf, sizeof buf, 0, &e), KE_USAGE);
    KT_EQ_INT(ki_open(&ix, KI_OFFSET, NULL, 8, 0, &e), KE_USAGE);
    KT_EQ_INT(ki_open(NULL, KI_OFFSET, buf, 8, 0, &e), KE_USAGE);
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, sizeof buf, 0, &e), 0);
    ki_offset_entry oe;
    ki_time_entry te;
    KT_EQ_INT(ki_offset_at(&ix, 0, &oe, &e), KE_USAGE);
    KT_EQ_INT(ki_time_at(&ix, 2, &te, &e), KE_USAGE);
    KT_EQ_INT(ki_time_at(&ix, 1, &te, &e), 0);
    /* Empty files of every kind: nothing to read, Kafka's checks pass. */
    for (int k = KI_OFFSET; k <= KI_TXN; k++) {
        KT_EQ_INT(ki_open(&ix, (ki_kind)k, NULL, 0, 0, &e), 0);
        KT_EQ_INT(ix.slots + ix.entries + ix.tail_bytes + ix.partial_bytes, 0);
        KT_EQ_INT(ki_sanity_check(&ix, &e), 0);
        size_t next = 0;
        KT_EQ_INT(ki_check_order(&ix, &next, &e), 0);
    }
}

/* A preallocated .timeindex: Kafka's sanityCheck compares the LAST SLOT
 * (zeros) with slot 0 and fails; trimmed, the same entries pass. */
static void test_time_zero_tail(void)
{
    uint8_t buf[12 * 6] = {0};
    time_slot(buf, 0, 1700000000000, 3);
    time_slot(buf, 1, 1700000000500, 8);
    time_slot(buf, 2, 1700000000500, 9); /* equal timestamp: allowed here */
    ki_index ix;
    ke_error e;
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, sizeof buf, 1000, &e), 0);
    KT_EQ_INT(ix.entries, 3);
    KT_EQ_INT(ix.tail_bytes, 36);
    KT_EQ_INT(ix.tail_nonzero_pos, -1);
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 60);
    KT_CHECK(strstr(e.msg, "last timestamp 0") != NULL);
    size_t next = 0;
    KT_EQ_INT(ki_check_order(&ix, &next, &e), 0);
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, 36, 1000, &e), 0);
    KT_EQ_INT(ki_sanity_check(&ix, &e), 0);
    ki_time_entry te;
    KT_EQ_INT(ki_time_at(&ix, 1, &te, &e), 0);
    KT_EQ_INT(te.timestamp, 1700000000500);
    KT_EQ_INT(te.offset, 1008);
    KT_EQ_INT(te.pos, 12);
}

/* The end of entries is the first relative offset 0 after slot 0 even when
 * its timestamp is not 0 (DumpLogSegments); tail_nonzero_pos says so. */
static void test_time_nonzero_tail(void)
{
    uint8_t buf[12 * 4] = {0};
    time_slot(buf, 0, 10, 0);
    time_slot(buf, 1, 20, 4);
    time_slot(buf, 2, 30, 0);
    ki_index ix;
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, sizeof buf, 0, NULL), 0);
    KT_EQ_INT(ix.entries, 2);
    KT_EQ_INT(ix.tail_bytes, 24);
    KT_EQ_INT(ix.tail_nonzero_pos, 31); /* low byte of timestamp 30 */
}

static void test_time_order(void)
{
    uint8_t buf[12 * 4] = {0};
    time_slot(buf, 0, 100, 1);
    time_slot(buf, 1, 90, 2); /* timestamp goes back */
    time_slot(buf, 2, 95, 1); /* offset goes back */
    time_slot(buf, 3, 200, 5);
    ki_index ix;
    ke_error e;
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, sizeof buf, 0, &e), 0);
    size_t next = 0;
    KT_EQ_INT(ki_check_order(&ix, &next, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 12);
    KT_CHECK(strstr(e.msg, "timestamp 90") != NULL);
    KT_EQ_INT(ki_check_order(&ix, &next, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 24);
    KT_CHECK(strstr(e.msg, "offset 1") != NULL);
    KT_EQ_INT(ki_check_order(&ix, &next, &e), 0);
    /* Last timestamp below the first: Kafka's sanityCheck. */
    time_slot(buf, 3, 50, 5);
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, sizeof buf, 0, &e), 0);
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 36);
    /* Partial trailing bytes. */
    KT_EQ_INT(ki_open(&ix, KI_TIME, buf, 30, 0, &e), 0);
    KT_EQ_INT(ix.partial_bytes, 6);
}

static void test_txn(void)
{
    uint8_t buf[34 * 3 + 10] = {0};
    txn_slot(buf, 0, 0, 7, 100, 120, 121);
    txn_slot(buf, 1, 0, 8, 90, 130, 95);
    txn_slot(buf, 2, 0, 9, 200, 210, 211);
    ki_index ix;
    ke_error e;
    ke_clear(&e);
    KT_EQ_INT(ki_open(&ix, KI_TXN, buf, 34 * 2 + 10, 100, &e), 0);
    KT_EQ_INT(ix.slots, 2);
    KT_EQ_INT(ix.entries, 2);
    KT_EQ_INT(ix.partial_bytes, 10); /* ignored by Kafka, reported */
    KT_EQ_INT(ki_sanity_check(&ix, &e), 0);
    ki_txn_entry t;
    KT_EQ_INT(ki_txn_at(&ix, 1, &t, &e), 0);
    KT_EQ_INT(t.producer_id, 8);
    KT_EQ_INT(t.first_offset, 90);
    KT_EQ_INT(t.last_offset, 130);
    KT_EQ_INT(t.last_stable_offset, 95);
    KT_EQ_INT(t.pos, 34);
    size_t next = 0;
    KT_EQ_INT(ki_check_order(&ix, &next, &e), 0);
    /* Kafka reads the version's first byte only: 0x0001 passes its reader
     * but not ours; 0x0100 is version 1 to Kafka; 0x8000 is -128, accepted. */
    txn_slot(buf, 0, 0x0001, 7, 100, 120, 121);
    KT_EQ_INT(ki_open(&ix, KI_TXN, buf, 34 * 2, 100, &e), 0);
    KT_EQ_INT(ki_txn_at(&ix, 0, &t, &e), 0);
    KT_EQ_INT(t.version, 1);
    next = 0;
    KT_EQ_INT(ki_check_order(&ix, &next, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 0);
    txn_slot(buf, 0, 0x8000, 7, 100, 120, 121);
    KT_EQ_INT(ki_txn_at(&ix, 0, &t, &e), 0);
    txn_slot(buf, 1, 0x0100, 8, 90, 130, 95);
    KT_EQ_INT(ki_txn_at(&ix, 1, &t, &e), KE_UNSUPPORTED);
    KT_EQ_INT(e.pos, 34);
    KT_EQ_INT(t.producer_id, 8); /* still filled for a dump */
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_UNSUPPORTED);
}

static void test_txn_violations(void)
{
    uint8_t buf[34 * 4] = {0};
    txn_slot(buf, 0, 0, 1, 50, 60, 61);
    txn_slot(buf, 1, 0, 2, 70, 60, 61); /* first > last, last not increasing */
    txn_slot(buf, 2, 0, 3, 70, 80, 82); /* LSO above last + 1 */
    txn_slot(buf, 3, 0, 4, 81, 80, 81); /* first > last */
    ki_index ix;
    ke_error e;
    KT_EQ_INT(ki_open(&ix, KI_TXN, buf, sizeof buf, 55, &e), 0);
    KT_EQ_INT(ki_sanity_check(&ix, &e), 0);
    size_t next = 0;
    int found = 0;
    int64_t where[4] = {-1, -1, -1, -1};
    while (ki_check_order(&ix, &next, &e) < 0)
        where[found++ & 3] = e.pos;
    KT_EQ_INT(found, 3);
    KT_EQ_INT(where[0], 34);
    KT_EQ_INT(where[1], 68);
    KT_EQ_INT(where[2], 102);
    /* lastOffset below the base offset: TransactionIndex.sanityCheck. */
    KT_EQ_INT(ki_open(&ix, KI_TXN, buf, sizeof buf, 61, &e), 0);
    KT_EQ_INT(ki_sanity_check(&ix, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 0);
}

/* ---- real broker files ---------------------------------------------- */

typedef struct real_idx {
    uint8_t *buf;
    ki_index ix;
} real_idx;

static int open_real(real_idx *r, const char *rel, ki_kind kind, int64_t base)
{
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, CORPUS "%s", rel);
    r->buf = kt_slurp(path, &len);
    KT_CHECK(r->buf != NULL);
    if (!r->buf) return -1;
    ke_error e;
    int rc = ki_open(&r->ix, kind, r->buf, len, base, &e);
    KT_EQ_INT(rc, 0);
    if (rc == 0) KT_EQ_INT(ki_sanity_check(&r->ix, &e), 0);
    size_t next = 0;
    if (rc == 0) KT_EQ_INT(ki_check_order(&r->ix, &next, &e), 0);
    return rc;
}

static void expect_off(const ki_index *ix, size_t i, int64_t offset, int32_t position)
{
    ki_offset_entry oe;
    KT_EQ_INT(ki_offset_at(ix, i, &oe, NULL), 0);
    KT_EQ_INT(oe.offset, offset);
    KT_EQ_INT(oe.position, position);
}

static void expect_time(const ki_index *ix, size_t i, int64_t ts, int64_t offset)
{
    ki_time_entry te;
    KT_EQ_INT(ki_time_at(ix, i, &te, NULL), 0);
    KT_EQ_INT(te.timestamp, ts);
    KT_EQ_INT(te.offset, offset);
}

/* William0423/kafka __consumer_offsets-28 (Kafka ~2.0, trimmed at close). */
static void test_real_william(void)
{
    real_idx r;
    const char *d = "William0423__kafka/kafka-logs/__consumer_offsets-28/";
    char p[256];
    snprintf(p, sizeof p, "%s00000000000000000000.index", d);
    if (open_real(&r, p, KI_OFFSET, 0) == 0) {
        KT_EQ_INT(r.ix.len, 2032);
        KT_EQ_INT(r.ix.entries, 254);
        KT_EQ_INT(r.ix.tail_bytes, 0);
        expect_off(&r.ix, 0, 31, 4221);
        expect_off(&r.ix, 1, 63, 8381);
        expect_off(&r.ix, 253, 8179, 1063461);
    }
    free(r.buf);
    snprintf(p, sizeof p, "%s00000000000000000000.timeindex", d);
    if (open_real(&r, p, KI_TIME, 0) == 0) {
        KT_EQ_INT(r.ix.entries, 258);
        expect_time(&r.ix, 0, 1534299420753, 31);
        expect_time(&r.ix, 257, 1534312623113, 8201);
    }
    free(r.buf);
}

/* KRaft __cluster_metadata-0 of Pda-Final-Project/backend. */
static void test_real_pda_metadata(void)
{
    real_idx r;
    const char *d = "Pda-Final-Project__backend/data/kafka/__cluster_metadata-0/";
    char p[256];
    snprintf(p, sizeof p, "%s00000000000000000000.index", d);
    if (open_real(&r, p, KI_OFFSET, 0) == 0) {
        KT_EQ_INT(r.ix.entries, 891);
        expect_off(&r.ix, 0, 56, 4108);
        expect_off(&r.ix, 890, 51055, 3660477);
    }
    free(r.buf);
    snprintf(p, sizeof p, "%s00000000000000000000.timeindex", d);
    if (open_real(&r, p, KI_TIME, 0) == 0) {
        KT_EQ_INT(r.ix.entries, 892);
        expect_time(&r.ix, 0, 1740036521571, 56);
        expect_time(&r.ix, 891, 1740121177244, 51055);
    }
    free(r.buf);
}

/* A segment with a non-zero base offset: absolute = base + relative. The
 * time index's last offset is one below the next segment's base (1725413). */
static void test_real_ronem_base(void)
{
    real_idx r;
    const char *d = "ronem123__rupia-transaction-service/kafka-logs/__cluster_metadata-0/";
    char p[256];
    snprintf(p, sizeof p, "%s00000000000000839130.index", d);
    if (open_real(&r, p, KI_OFFSET, 839130) == 0) {
        KT_EQ_INT(r.ix.entries, 15543);
        expect_off(&r.ix, 0, 839187, 4104);
        expect_off(&r.ix, 15542, 1725389, 63794925);
    }
    free(r.buf);
    snprintf(p, sizeof p, "%s00000000000000839130.timeindex", d);
    if (open_real(&r, p, KI_TIME, 839130) == 0) {
        KT_EQ_INT(r.ix.entries, 15544);
        expect_time(&r.ix, 15543, 1767076139265, 1725412);
    }
    free(r.buf);
}

/* One-entry and empty index files (DonaldY/kafka-2.7.1, William0423). */
static void test_real_small(void)
{
    real_idx r;
    if (open_real(&r, "DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-28/00000000000000000000.timeindex",
                  KI_TIME, 0) == 0) {
        KT_EQ_INT(r.ix.entries, 1);
        expect_time(&r.ix, 0, 1660065823488, 1);
    }
    free(r.buf);
    if (open_real(&r, "William0423__kafka/kafka-logs/debug_topic-0/00000000000000000000.index", KI_OFFSET,
                  0) == 0)
        KT_EQ_INT(r.ix.slots, 0);
    free(r.buf);
}

/* Every .index / .timeindex of the corpus passes Kafka's sanityCheck and
 * our ordering checks (all were trimmed by a clean close: no zero tails). */
static struct {
    int files, failed, entries;
} sweep;

static int sweep_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    const char *name = path + ftw->base, *dot = strchr(name, '.');
    if (type != FTW_F || !dot) return 0;
    ki_kind kind = strcmp(dot, ".index") == 0       ? KI_OFFSET
                   : strcmp(dot, ".timeindex") == 0 ? KI_TIME
                   : strcmp(dot, ".txnindex") == 0  ? KI_TXN
                                                    : (ki_kind)-1;
    if ((int)kind < 0) return 0;
    size_t len = 0;
    uint8_t *b = kt_slurp(path, &len);
    if (!b) return 0;
    ki_index ix;
    ke_error e;
    ke_clear(&e);
    size_t next = 0;
    int rc = ki_open(&ix, kind, b, len, strtoll(name, NULL, 10), &e);
    if (rc == 0) rc = ki_sanity_check(&ix, &e);
    if (rc == 0) rc = ki_check_order(&ix, &next, &e);
    if (rc == 0 && (ix.tail_bytes || ix.partial_bytes)) rc = ke_set(&e, KE_ZERO_FILL, 0, "tail");
    sweep.files++;
    sweep.entries += rc == 0 ? (int)ix.entries : 0;
    if (rc != 0) {
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
     * grows, and every index added must pass too. */
    KT_CHECK(sweep.files >= 332);
    KT_CHECK(sweep.entries >= 33826);
    KT_EQ_INT(sweep.failed, 0);
}

int main(void)
{
    KT_RUN(test_offset_zero_tail);
    KT_RUN(test_offset_all_zero);
    KT_RUN(test_offset_partial_and_negative);
    KT_RUN(test_offset_order);
    KT_RUN(test_offset_overflow);
    KT_RUN(test_usage);
    KT_RUN(test_time_zero_tail);
    KT_RUN(test_time_nonzero_tail);
    KT_RUN(test_time_order);
    KT_RUN(test_txn);
    KT_RUN(test_txn_violations);
    KT_RUN(test_real_william);
    KT_RUN(test_real_pda_metadata);
    KT_RUN(test_real_ronem_base);
    KT_RUN(test_real_small);
    KT_RUN(test_corpus_sweep);
    return kt_done();
}
