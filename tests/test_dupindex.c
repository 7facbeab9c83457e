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
    for (int i = 0; i < NPOOL; i++) pool[i] = (kq_slot){ next_rand(), next_rand(), 0, 0, 0, (uint32_t)next_rand() };
    for (int i = 0; i < NPUTS; i++) {
        stream[i] = pool[next_rand() % NPOOL];
        /* 1 put in 20 has a lower offset than the ones before it. */
        offs[i] = next_rand() % 20 == 0 ? i - 500 : i;
        stream[i].batch = (uint32_t)(i / 50);
        stream[i].offset_delta = (int32_t)offs[i];
        stream[i].ts_delta = i;
    }
}

/* The caller's side of the lowest-offset rule (audit.c's dedup_put). */
static void apply_rule(kq_slot *s, const kq_slot *rec, int64_t off)
{
    if (off < s->offset_delta) *s = *rec;
}

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

/* ---- an in-memory spill ---- */

static kq_spilled recorded[NPUTS];
static size_t nrecorded;
static kq_event events[NPUTS];
static size_t nevents, next_event;

static int rec_put(void *ctx, const kq_spilled *s)
{
    (void)ctx;
    if (nrecorded == NPUTS) return -1;
    recorded[nrecorded++] = *s;
    return 0;
}

static int ev_next(void *ctx, kq_event *e)
{
    (void)ctx;
    if (next_event == nevents) return 0;
    *e = events[next_event++];
    return 1;
}

typedef struct share_ctx {
    unsigned share, nshares;
    size_t pos;
} share_ctx;

static int share_get(void *ctx, kq_spilled *s)
{
    share_ctx *c = ctx;
    while (c->pos < nrecorded) {
        const kq_spilled *r = &recorded[c->pos++];
        if ((unsigned)(r->rec.hi % c->nshares) == c->share) {
            *s = *r;
            return 1;
        }
    }
    return 0;
}

static int share_emit(void *ctx, const kq_event *e)
{
    (void)ctx;
    events[nevents++] = *e;
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const kq_event *)a)->seq, y = ((const kq_event *)b)->seq;
    return x < y ? -1 : x > y;
}

static void resolve(unsigned nshares)
{
    nevents = next_event = 0;
    for (unsigned sh = 0; sh < nshares; sh++) {
        share_ctx c = { sh, nshares, 0 };
        size_t n = 0;
        for (size_t i = 0; i < nrecorded; i++) n += (unsigned)(recorded[i].rec.hi % nshares) == sh;
        KT_EQ_INT(kq_resolve(n, share_get, share_emit, &c), 0);
    }
    qsort(events, nevents, sizeof *events, by_seq);
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

    kq_spill sp = { NULL, rec_put, ev_next };
    nrecorded = 0;
    kq_init(&q);
    KT_EQ_INT(kq_set_spill(&q, KQ_RECORD, &sp), 0);
    answer ignored[NPUTS];
    run(&q, ignored);
    kq_free(&q);
    KT_EQ_INT(nrecorded, NPUTS);
    KT_EQ_UINT(recorded[NPUTS - 1].seq, NPUTS - 1);

    for (unsigned nshares = 1; nshares <= 7; nshares += 3) {
        resolve(nshares);
        KT_EQ_INT(nevents, found);
        kq_init(&q);
        KT_EQ_INT(kq_set_spill(&q, KQ_REPLAY, &sp), 0);
        run(&q, replayed);
        kq_free(&q);
        int same = 0;
        for (int i = 0; i < NPUTS; i++)
            same += replayed[i].rc == mem[i].rc &&
                    (mem[i].rc != 1 || (memcmp(&replayed[i].found, &mem[i].found, sizeof(kq_slot)) == 0 &&
                                        replayed[i].info_ok && mem[i].info_ok));
        KT_EQ_INT(same, NPUTS);
    }
}

static void test_replay_detects_change(void)
{
    make_stream();
    kq_spill sp = { NULL, rec_put, ev_next };
    nrecorded = 0;
    kq_index q;
    kq_init(&q);
    kq_set_spill(&q, KQ_RECORD, &sp);
    answer ignored[NPUTS];
    run(&q, ignored);
    kq_free(&q);
    resolve(3);
    KT_CHECK(nevents > 0);
    /* The second pass sees other data where the first found a copy. */
    uint64_t at = events[0].seq;
    kq_init(&q);
    kq_set_spill(&q, KQ_REPLAY, &sp);
    int rc = 0;
    for (uint64_t i = 0; i <= at; i++) {
        kq_slot rec = stream[i], *s;
        if (i == at) rec.lo ^= 1;
        const void *fi;
        rc = kq_put(&q, &rec, offs[i], "", &s, &fi);
    }
    KT_EQ_INT(rc, KQ_CHANGED);
    kq_free(&q);
}

static void test_limit(void)
{
    kq_index q;
    kq_init(&q);
    kq_set_limit(&q, 32 << 10); /* 1024 slots of 32 bytes: 768 entries at load 3/4 */
    KT_EQ_INT(kq_reserve(&q, 100000), 0);
    KT_CHECK(kq_bytes(&q) <= (32 << 10));
    int rc = 0, n = 0;
    for (; n < 2000; n++) {
        kq_slot rec = { next_rand(), next_rand(), 1, 0, 0, 0 }, *s;
        const void *fi;
        if ((rc = kq_put(&q, &rec, 0, NULL, &s, &fi)) != 0) break;
    }
    KT_EQ_INT(rc, KQ_FULL);
    KT_EQ_INT(n, 768);
    KT_EQ_INT(kq_bytes(&q), 32 << 10);
    kq_free(&q);
    kq_free(NULL);
}

int main(void)
{
    KT_RUN(test_modes_agree);
    KT_RUN(test_replay_detects_change);
    KT_RUN(test_limit);
    return kt_done();
}
