/* fuzz_dupindex.c - differential libFuzzer target for audit/dupindex.h: the
 * input is a stream of puts (fingerprints from a small pool so that repeats
 * are common, offsets that may go backwards or be absurd). The answers of a
 * KQ_MEMORY index must equal those of KQ_REPLAY after the puts were recorded
 * (KQ_RECORD) and resolved by kq_resolve in shares; a tiny memory limit must
 * answer KQ_FULL, never wrongly. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/dupindex.h"
#include "tests/memspill.h"

#define MAXPUTS 4096

static void check(int ok)
{
    if (!ok) abort();
}

typedef struct answer {
    int rc;
    kq_slot found;
    int info_ok;
} answer;

static kq_slot puts_[MAXPUTS];
static int64_t offs[MAXPUTS];
static size_t nputs;
static ms_spill spill; /* reused from input to input */

/* Every put through `q`, applying the caller's side of the index's rule
 * (a slot's offset_delta is its absolute offset here). */
static void run(kq_index *q, answer *out)
{
    for (size_t i = 0; i < nputs; i++) {
        kq_slot *s = NULL;
        unsigned char info[KQ_INFO];
        memset(info, 0, sizeof info);
        memcpy(info, &puts_[i].batch, sizeof puts_[i].batch); /* describes its batch */
        const void *found_info;
        out[i].rc = kq_put(q, &puts_[i], offs[i], info, &s, &found_info);
        if (out[i].rc == 1) {
            out[i].found = *s;
            /* Only a replay describes the slot's batch, and describes it right. */
            uint32_t fb = KQ_EMPTY;
            if (found_info) memcpy(&fb, found_info, sizeof fb);
            out[i].info_ok = q->mode == KQ_REPLAY ? found_info && fb == s->batch : !found_info;
            kq_count_copy(s, &puts_[i], offs[i], s->offset_delta);
        }
    }
}

static answer mem[MAXPUTS], rep[MAXPUTS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned nshares = 1 + data[0] % 7;
    data++, size--;
    nputs = 0;
    /* Four bytes a put: the fingerprint (from 2^16), and a signed offset step. */
    int64_t off = 0;
    for (size_t i = 0; i + 4 <= size && nputs < MAXPUTS; i += 4) {
        uint16_t which;
        int16_t step;
        memcpy(&which, data + i, 2);
        memcpy(&step, data + i + 2, 2);
        off += step;
        /* Timestamps mostly near the batch's, some past a cell's 16 bits (the side table). */
        int32_t ts = which % 5 == 0 ? (int32_t)step * 3 : which % 7 == 0 ? KQ_NO_TS : (int32_t)i;
        kq_slot s = { 0x9E3779B97F4A7C15ull * (which + 1u), 0xC2B2AE3D27D4EB4Full * (which % 37u + 1u),
                      (uint32_t)nputs, (int32_t)off, ts, which & KQ_AUX_HASH };
        puts_[nputs] = s;
        offs[nputs++] = (int32_t)off; /* the offset as the slot gives it back */
    }

    kq_index q;
    kq_init(&q);
    run(&q, mem);
    kq_free(&q);

    if (!spill.ops.put) ms_init(&spill);
    ms_clear(&spill);
    kq_init(&q);
    check(kq_set_spill(&q, KQ_RECORD, &spill.ops) == 0);
    run(&q, rep);
    kq_free(&q);
    check(spill.nrec == nputs);

    check(ms_resolve(&spill, nshares) == 0);
    kq_init(&q);
    check(kq_set_spill(&q, KQ_REPLAY, &spill.ops) == 0);
    run(&q, rep);
    kq_free(&q);
    for (size_t i = 0; i < nputs; i++) {
        check(rep[i].rc == mem[i].rc);
        check(mem[i].rc != 1 || memcmp(&rep[i].found, &mem[i].found, sizeof(kq_slot)) == 0);
        check(mem[i].rc != 1 || (rep[i].info_ok && mem[i].info_ok));
    }

    /* A limit of one 1024-slot table: 896 distinct entries, then KQ_FULL;
     * earlier only once some put needed the side table (which has no room
     * left beside the table). */
    kq_init(&q);
    kq_set_limit(&q, 1024 * sizeof(kq_cell));
    size_t distinct = 0;
    int full = 0, wide = 0;
    for (size_t i = 0; i < nputs && !full; i++) {
        kq_slot *s;
        const void *fi;
        const kq_slot *p = &puts_[i];
        wide |= p->offset_delta < 0 || p->offset_delta >= KQ_OFF_SIDE ||
                (p->ts_delta != KQ_NO_TS && (p->ts_delta <= KQ_TS_NONE || p->ts_delta > INT16_MAX));
        int rc = kq_put(&q, p, offs[i], NULL, &s, &fi);
        check(rc == 0 || rc == 1 || rc == KQ_FULL);
        check(rc == 1 ? mem[i].rc == 1 : rc == 0 ? mem[i].rc == 0 : distinct == 896 || wide);
        if (rc == 1) kq_count_copy(s, p, offs[i], s->offset_delta);
        distinct += rc == 0;
        full = rc == KQ_FULL;
    }
    check(distinct <= 896);
    kq_free(&q);
    return 0;
}
