/*
 * test_dupindex.c - the duplicate index's three modes give the same answers.
 *
 * A stream of puts with many repeats, some arriving out of offset order (a
 * committed transaction joins at its marker), goes through a KQ_MEMORY
 * index; the same stream is recorded (KQ_RECORD), split into shares by
 * fingerprint, resolved share by share (kq_resolve) and replayed
 * (KQ_REPLAY). Every answer must match, found slot included.
 */
#include "kt.h"

#include "audit/dupindex.h"
#include "memspill.h"

#define NPUTS 20000
#define NPOOL 5000

typedef struct answer {
    int rc;
    kq_slot found;
    int info_ok;
} answer;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static kq_slot pool[NPOOL];
static kq_slot stream[NPUTS];
static int64_t offs[NPUTS];

static void make_stream(void)
{
    for (int i = 0; i < NPOOL; i++) pool[i] = (kq_slot){ next_rand(), next_rand(), 0, 0, 0, (uint32_t)next_rand() & KQ_AUX_HASH };
    for (int i = 0; i < NPUTS; i++) {
        stream[i] = pool[next_rand() % NPOOL];
        /* 1 put in 20 has a lower offset than the ones before it. */
        offs[i] = next_rand() % 20 == 0 ? i - 500 : i;
        if (i % 11 == 5) offs[i] += 70000; /* past what a cell's 16 bits hold */
        stream[i].batch = (uint32_t)(i / 50);
        stream[i].offset_delta = (int32_t)offs[i];
        /* Mostly deltas a cell holds; some only the side table does. */
        static const int32_t wide_ts[] = { KQ_NO_TS, -40000, 40000, INT32_MAX, INT32_MIN + 1, -32767, -32766, 32767 };
        stream[i].ts_delta = i % 7 == 3 ? wide_ts[(i / 7) % 8] : i;
    }
}

/* The caller's side of the index's rule (audit.c's dedup_put): here a
 * slot's offset_delta is its absolute offset. */
static void apply_rule(kq_slot *s, const kq_slot *rec, int64_t off) { kq_count_copy(s, rec, off, s->offset_delta); }

static void run(kq_index *q, answer *out)
{
    for (int i = 0; i < NPUTS; i++) {
        kq_slot *s = NULL;
        unsigned char info[KQ_INFO];
        memset(info, 0, sizeof info);
        memcpy(info, &stream[i].batch, sizeof stream[i].batch); /* describes its batch */
        const void *found_info;
        out[i].rc = kq_put(q, &stream[i], offs[i], info, &s, &found_info);
        if (out[i].rc == 1) {
            out[i].found = *s;
            /* Only a replay describes the slot's batch, and describes it right. */
            uint32_t fb = KQ_EMPTY;
            if (found_info) memcpy(&fb, found_info, sizeof fb);
            out[i].info_ok = q->mode == KQ_REPLAY ? found_info && fb == s->batch : !found_info;
            apply_rule(s, &stream[i], offs[i]);
        }
    }
}

static answer mem[NPUTS], replayed[NPUTS];

static void test_modes_agree(void)
{
    make_stream();
    kq_index q;
    kq_init(&q);
    run(&q, mem);
    int found = 0;
    for (int i = 0; i < NPUTS; i++) found += mem[i].rc == 1;
    KT_CHECK(found > NPUTS - NPOOL - 100); /* nearly every pool entry repeats */
    kq_free(&q);

    ms_spill sp;
    ms_init(&sp);
    kq_init(&q);
    KT_EQ_INT(kq_set_spill(&q, KQ_RECORD, &sp.ops), 0);
    answer ignored[NPUTS];
    run(&q, ignored);
    kq_free(&q);
    KT_REQUIRE_EQ_INT(sp.nrec, NPUTS);
    KT_EQ_UINT(sp.rec[NPUTS - 1].seq, NPUTS - 1);

    for (unsigned nshares = 1; nshares <= 7; nshares += 3) {
        KT_EQ_INT(ms_resolve(&sp, nshares), 0);
        KT_EQ_INT(sp.nev, found);
        kq_init(&q);
        KT_EQ_INT(kq_set_spill(&q, KQ_REPLAY, &sp.ops), 0);
        run(&q, replayed);
        kq_free(&q);
        int same = 0;
        for (int i = 0; i < NPUTS; i++)
            same += replayed[i].rc == mem[i].rc &&
                    (mem[i].rc != 1 || (memcmp(&replayed[i].found, &mem[i].found, sizeof(kq_slot)) == 0 &&
                                        replayed[i].info_ok && mem[i].info_ok));
        KT_EQ_INT(same, NPUTS);
    }
    ms_free(&sp);
}

static void test_replay_detects_change(void)
{
    make_stream();
    ms_spill sp;
    ms_init(&sp);
    kq_index q;
    kq_init(&q);
    kq_set_spill(&q, KQ_RECORD, &sp.ops);
    answer ignored[NPUTS];
    run(&q, ignored);
    kq_free(&q);
    KT_EQ_INT(ms_resolve(&sp, 3), 0);
    KT_REQUIRE(sp.nev > 0);
    /* The second pass sees other data where the first found a copy. */
    uint64_t at = sp.ev[0].seq;
    KT_REQUIRE(at < NPUTS);
    kq_init(&q);
    kq_set_spill(&q, KQ_REPLAY, &sp.ops);
    int rc = 0;
    for (uint64_t i = 0; i <= at; i++) {
        kq_slot rec = stream[i], *s;
        if (i == at) rec.lo ^= 1;
        const void *fi;
        rc = kq_put(&q, &rec, offs[i], "", &s, &fi);
    }
    KT_EQ_INT(rc, KQ_CHANGED);
    kq_free(&q);
    ms_free(&sp);
}

/* Each copy is compared with the nearest earlier one, and the copies are
 * counted up to four; a put at a lower offset than the slot's (a committed
 * transaction's record, put at its marker) leaves the slot describing the
 * later copy. Both in memory and through a spill. */
static void test_nearest_and_copies(void)
{
    static const int64_t at[] = { 0, 5, 9, 3, 12, 20 };
    static const int64_t want_found[] = { -1, 0, 5, 9, 9, 12 };
    static const unsigned want_copies[] = { 0, 1, 2, 3, 4, 4 };
    enum { N = sizeof at / sizeof *at };
    kq_slot rec[N];
    for (int i = 0; i < N; i++) rec[i] = (kq_slot){ 42, 43, (uint32_t)i, (int32_t)at[i], 0, 7 };
    ms_spill sp;
    ms_init(&sp);
    for (int mode = 0; mode < 3; mode++) {
        kq_index q;
        kq_init(&q);
        if (mode == 1) KT_EQ_INT(kq_set_spill(&q, KQ_RECORD, &sp.ops), 0);
        if (mode == 2) {
            KT_EQ_INT(ms_resolve(&sp, 2), 0);
            KT_EQ_INT(kq_set_spill(&q, KQ_REPLAY, &sp.ops), 0);
        }
        for (int i = 0; i < N; i++) {
            kq_slot *s = NULL;
            const void *fi;
            unsigned char info[KQ_INFO] = { 0 };
            int rc = kq_put(&q, &rec[i], at[i], info, &s, &fi);
            if (mode == 1) continue; /* recording answers "new" */
            KT_EQ_INT(rc, want_found[i] < 0 ? 0 : 1);
            if (rc != 1) continue;
            KT_EQ_INT(s->offset_delta, want_found[i]);
            KT_EQ_INT(kq_copies(s), want_copies[i]);
            KT_EQ_INT(s->aux & KQ_AUX_HASH, 7);
            apply_rule(s, &rec[i], at[i]);
        }
        kq_free(&q);
    }
    ms_free(&sp);
}

static void test_limit(void)
{
    kq_index q;
    kq_init(&q);
    kq_set_limit(&q, 24 << 10); /* 1024 slots of 24 bytes: 896 entries at load 7/8 */
    KT_EQ_INT(kq_reserve(&q, 100000), 0);
    KT_CHECK(kq_bytes(&q) <= (24 << 10));
    int rc = 0, n = 0;
    for (; n < 2000; n++) {
        kq_slot rec = { next_rand(), next_rand(), 1, 0, 0, 0 }, *s;
        const void *fi;
        if ((rc = kq_put(&q, &rec, 0, NULL, &s, &fi)) != 0) break;
    }
    KT_EQ_INT(rc, KQ_FULL);
    KT_EQ_INT(n, 896);
    KT_EQ_INT(kq_bytes(&q), 24 << 10);
    KT_EQ_INT(kq_peak_bytes(&q), 24 << 10);
    kq_free(&q);
    kq_free(NULL);
}

/* Identity is 96 bits: the low half of `hi` is not compared (dupindex.h),
 * in memory as through a spill; bit 32 of `hi` is. An answer's `hi` has its
 * low half 0 in every mode. */
static void test_identity_bits(void)
{
    kq_slot rec[3] = { { 7, 0x1234567800000001ull, 0, 0, 0, 1 },
                       { 7, 0x12345678ffffffffull, 1, 1, 1, 1 },
                       { 7, 0x1234567900000001ull, 2, 2, 2, 1 } };
    static const int want[3] = { 0, 1, 0 };
    ms_spill sp;
    ms_init(&sp);
    for (int mode = 0; mode < 3; mode++) {
        kq_index q;
        kq_init(&q);
        if (mode == 1) KT_EQ_INT(kq_set_spill(&q, KQ_RECORD, &sp.ops), 0);
        if (mode == 2) {
            KT_EQ_INT(ms_resolve(&sp, 1), 0);
            KT_EQ_INT(kq_set_spill(&q, KQ_REPLAY, &sp.ops), 0);
        }
        for (int i = 0; i < 3; i++) {
            kq_slot *s = NULL;
            const void *fi;
            unsigned char info[KQ_INFO] = { 0 };
            int rc = kq_put(&q, &rec[i], i, info, &s, &fi);
            if (mode == 1) continue;
            KT_EQ_INT(rc, want[i]);
            if (rc == 1) KT_EQ_UINT(s->hi, 0x1234567800000000ull);
        }
        kq_free(&q);
    }
    ms_free(&sp);
}

/* Many entries, grown table after table from the smallest: every one is
 * found again with its deltas (those a cell holds and those it does not),
 * and a miss stays a miss. The bytes held stay within 24 bytes / (7/8) per
 * entry after a doubling, and the peak counts both tables of a growth. */
static void test_many(void)
{
    enum { N = 300000 };
    kq_index q;
    kq_init(&q);
    uint64_t seed = rng;
    for (int i = 0; i < N; i++) {
        kq_slot rec = { next_rand(), next_rand(), (uint32_t)i, i % 1000 == 0 ? -i : i % 70000,
                        i % 997 == 0 ? KQ_NO_TS : i % 333 == 0 ? i * 1000 : i % 30000 - 15000, (uint32_t)i & KQ_AUX_HASH },
               *s;
        const void *fi;
        if (kq_put(&q, &rec, i, NULL, &s, &fi) != 0) {
            KT_FAIL_("put %d was not new", i);
            break;
        }
    }
    KT_EQ_UINT(q.n, N);
    KT_CHECK(kq_bytes(&q) <= (size_t)N * 2 * 24 * 8 / 7 + (size_t)64 * 24);
    KT_CHECK(kq_peak_bytes(&q) >= q.cap * 24 * 3 / 2); /* the last growth: old and new table */
    rng = seed;
    int ok = 0;
    for (int i = 0; i < N; i++) {
        kq_slot rec = { next_rand(), next_rand(), 0, 0, 0, 0 }, *s = NULL;
        const void *fi;
        int32_t off = i % 1000 == 0 ? -i : i % 70000;
        int32_t ts = i % 997 == 0 ? KQ_NO_TS : i % 333 == 0 ? i * 1000 : i % 30000 - 15000;
        ok += kq_put(&q, &rec, i, NULL, &s, &fi) == 1 && s->batch == (uint32_t)i && s->offset_delta == off &&
              s->ts_delta == ts && (s->aux & KQ_AUX_HASH) == ((uint32_t)i & KQ_AUX_HASH);
    }
    KT_EQ_INT(ok, N);
    kq_slot miss = { 1, 2, 3, 4, 5, 6 }, *s;
    const void *fi;
    KT_EQ_INT(kq_put(&q, &miss, 0, NULL, &s, &fi), 0);
    kq_free(&q);
}

int main(void)
{
    KT_RUN(test_modes_agree);
    KT_RUN(test_replay_detects_change);
    KT_RUN(test_nearest_and_copies);
    KT_RUN(test_limit);
    KT_RUN(test_identity_bits);
    KT_RUN(test_many);
    return kt_done();
}
