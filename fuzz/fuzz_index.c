/* fuzz_index.c - libFuzzer target for reader/index.h: the input is taken as
 * a .index, a .timeindex and a .txnindex, with base offsets 0 and one near
 * INT64_MAX (overflow paths), and every slot, Kafka's sanityCheck and every
 * ordering violation are visited. */
#include <stdint.h>
#include <stdlib.h>

#include "reader/index.h"

static void check(int ok)
{
    if (!ok) abort();
}

static void visit_slots(const ki_index *ix)
{
    for (size_t i = 0; i < ix->slots; i++) {
        ki_offset_entry o;
        ki_time_entry t;
        ki_txn_entry x;
        ke_error e;
        int rc = ix->kind == KI_OFFSET ? ki_offset_at(ix, i, &o, &e)
                 : ix->kind == KI_TIME ? ki_time_at(ix, i, &t, &e)
                                       : ki_txn_at(ix, i, &x, &e);
        check(rc == 0 || rc == KE_CORRUPT || rc == KE_UNSUPPORTED);
        check(rc == 0 || e.pos == ki_slot_pos(ix, i));
    }
}

static void one(ki_kind kind, const uint8_t *data, size_t size, int64_t base)
{
    ki_index ix;
    ke_error e;
    check(ki_open(&ix, kind, data, size, base, &e) == 0);
    check(ix.entries <= ix.slots && ix.slots * ix.entry_size + ix.partial_bytes == size);
    check(ix.tail_bytes == (ix.slots - ix.entries) * ix.entry_size);
    check(ix.tail_nonzero_pos < 0 || (size_t)ix.tail_nonzero_pos < ix.slots * ix.entry_size);
    visit_slots(&ix);
    int rc = ki_sanity_check(&ix, &e);
    check(rc == 0 || (e.pos >= 0 && (size_t)e.pos <= size));
    size_t next = 0, rounds = 0;
    while (ki_check_order(&ix, &next, &e) < 0) {
        check(e.pos >= 0 && (size_t)e.pos < size && next <= ix.entries);
        check(++rounds <= ix.entries);
    }
    check(next == ix.entries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int k = KI_OFFSET; k <= KI_TXN; k++) {
        one((ki_kind)k, data, size, 0);
        one((ki_kind)k, data, size, INT64_MAX - 1000);
    }
    return 0;
}
