/*
 * test_indexcheck.c - kx_* against the index rules of formats doc 4.1-4.3:
 * each case builds index bytes by hand (big-endian, layouts of the doc) and
 * batch headers as reader/batch would return them, and counts mismatches.
 */
#include "kt.h"
#include "audit/indexcheck.h"

static int mismatches;
static char last_msg[KE_MSG_MAX];

static int64_t last_offset;

static void on_report(void *arg, const ke_error *e, int64_t offset)
{
    (void)arg;
    last_offset = offset;
    mismatches++;
    snprintf(last_msg, sizeof last_msg, "%s", e->msg);
}

static void be32(uint8_t *p, uint32_t v) { p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = (uint8_t)v; }
static void be64(uint8_t *p, uint64_t v) { be32(p, (uint32_t)(v >> 32)), be32(p + 4, (uint32_t)v); }

static kb_batch batch(int64_t pos, int64_t base, int64_t last, int64_t maxts)
{
    kb_batch b;
    memset(&b, 0, sizeof b);
    b.pos = pos, b.base_offset = base, b.last_offset = last, b.max_timestamp = maxts;
    b.magic = 2, b.producer_id = -1, b.crc_valid = true, b.count = (int32_t)(last - base + 1);
    return b;
}

/* Segment at base 100: batches [100..102]@0, [103..105]@101, [106..110]@202. */
static int run_offsets(const int32_t (*ent)[2], size_t n)
{
    uint8_t buf[64] = { 0 };
    for (size_t i = 0; i < n; i++) be32(buf + 8 * i, (uint32_t)ent[i][0]), be32(buf + 8 * i + 4, (uint32_t)ent[i][1]);
    ki_index ix;
    ke_error e;
    ki_open(&ix, KI_OFFSET, buf, 8 * n, 100, &e);
    kx_txns t;
    kx_txns_init(&t);
    kx_check c;
    mismatches = 0;
    kx_begin(&c, &ix, "x.index", NULL, NULL, NULL, NULL, &t, on_report, NULL);
    kb_batch bs[3] = { batch(0, 100, 102, 1), batch(101, 103, 105, 2), batch(202, 106, 110, 3) };
    for (int i = 0; i < 3; i++) kx_batch(&c, &bs[i], KB_CTRL_UNKNOWN);
    kx_end(&c);
    kx_txns_free(&t);
    return mismatches;
}

static void test_offset_index(void)
{
    const int32_t good[][2] = { { 2, 0 }, { 10, 101 } }; /* the second entry covers a two-batch chunk */
    KT_EQ_INT(run_offsets(good, 2), 0);
    const int32_t not_start[][2] = { { 2, 0 }, { 5, 120 } };
    KT_EQ_INT(run_offsets(not_start, 2), 1);
    KT_CHECK(strstr(last_msg, "no batch starts at position 120") != NULL);
    const int32_t not_last[][2] = { { 1, 0 } };
    KT_EQ_INT(run_offsets(not_last, 1), 1);
    KT_CHECK(strstr(last_msg, "ends at offset 101") != NULL);
    const int32_t past_end[][2] = { { 2, 0 }, { 20, 303 } };
    KT_EQ_INT(run_offsets(past_end, 2), 1);
    KT_CHECK(strstr(last_msg, "past the last batch") != NULL);
}

static void test_time_index(void)
{
    uint8_t buf[36];
    be64(buf, 2), be32(buf + 8, 4);        /* (ts 2, offset 104): batch 103..105 max 2 */
    be64(buf + 12, 9), be32(buf + 20, 10); /* (ts 9, offset 110): batch max is 3 */
    be64(buf + 24, 9), be32(buf + 32, 50); /* offset 150: not in the log */
    ki_index ix;
    ke_error e;
    ki_open(&ix, KI_TIME, buf, sizeof buf, 100, &e);
    kx_txns t;
    kx_txns_init(&t);
    kx_check c;
    mismatches = 0;
    kx_begin(&c, NULL, NULL, &ix, "x.timeindex", NULL, NULL, &t, on_report, NULL);
    kb_batch bs[3] = { batch(0, 100, 102, 1), batch(101, 103, 105, 2), batch(202, 106, 110, 3) };
    for (int i = 0; i < 3; i++) kx_batch(&c, &bs[i], KB_CTRL_UNKNOWN);
    kx_end(&c);
    KT_EQ_INT(mismatches, 2);
    KT_CHECK(strstr(last_msg, "not found") != NULL);
    kx_txns_free(&t);
}

/* Producer 7 opens a transaction at 100 (segment 0), aborts at 120 (this
 * segment); producer 8 commits at 121; producer 9 aborts at 122 with no
 * data (no entry expected). */
static int run_txn(const int64_t (*ent)[3], size_t n)
{
    uint8_t buf[34 * 4] = { 0 };
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = buf + 34 * i;
        be64(p + 2, (uint64_t)ent[i][0]), be64(p + 10, (uint64_t)ent[i][1]), be64(p + 18, (uint64_t)ent[i][2]);
        be64(p + 26, (uint64_t)ent[i][2] + 1);
    }
    ki_index ix;
    ke_error e;
    ki_open(&ix, KI_TXN, buf, 34 * n, 110, &e);
    kx_txns t;
    kx_txns_init(&t);
    kx_check c;
    mismatches = 0;
    kb_batch d7 = batch(0, 100, 101, 1), d8 = batch(50, 102, 102, 1);
    d7.producer_id = 7, d7.is_transactional = true;
    d8.producer_id = 8, d8.is_transactional = true;
    kx_begin(&c, NULL, NULL, NULL, NULL, NULL, NULL, &t, on_report, NULL); /* the previous segment */
    kx_batch(&c, &d7, KB_CTRL_UNKNOWN);
    kx_batch(&c, &d8, KB_CTRL_UNKNOWN);
    kx_end(&c);
    kx_begin(&c, NULL, NULL, NULL, NULL, &ix, "x.txnindex", &t, on_report, NULL);
    kb_batch a7 = batch(0, 120, 120, 2), c8 = batch(70, 121, 121, 2), a9 = batch(140, 122, 122, 2);
    a7.producer_id = 7, c8.producer_id = 8, a9.producer_id = 9;
    a7.is_control = c8.is_control = a9.is_control = true;
    kx_batch(&c, &a7, KB_CTRL_ABORT);
    kx_batch(&c, &c8, KB_CTRL_COMMIT);
    kx_batch(&c, &a9, KB_CTRL_ABORT);
    kx_end(&c);
    kx_txns_free(&t);
    return mismatches;
}

static void test_txn_index(void)
{
    const int64_t good[][3] = { { 7, 100, 120 } };
    KT_EQ_INT(run_txn(good, 1), 0);
    KT_EQ_INT(run_txn(good, 0), 1); /* missing entry */
    KT_CHECK(strstr(last_msg, "no entry for the ABORT marker at offset 120") != NULL);
    KT_EQ_INT(last_offset, 120);
    const int64_t wrong_first[][3] = { { 7, 99, 120 } };
    KT_EQ_INT(run_txn(wrong_first, 1), 1);
    const int64_t extra[][3] = { { 7, 100, 120 }, { 8, 102, 121 } }; /* a COMMIT is never indexed */
    KT_EQ_INT(run_txn(extra, 2), 1);
    KT_CHECK(strstr(last_msg, "has no ABORT marker at offset 121") != NULL);
    const int64_t empty_txn[][3] = { { 7, 100, 120 }, { 9, 122, 122 } }; /* allowed: its data is unknown */
    KT_EQ_INT(run_txn(empty_txn, 2), 0);
}

int main(void)
{
    KT_RUN(test_offset_index);
    KT_RUN(test_time_index);
    KT_RUN(test_txn_index);
    return kt_done();
}
