/* fuzz_snapshot.c - libFuzzer target for reader/snapshot.h: kp_open over
 * the input, then every readable entry (even after an error, as a dump
 * would), firstSequence and the auditor's checks. */
#include <stdint.h>
#include <stdlib.h>

#include "reader/snapshot.h"

static void check(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_snapshot s;
    ke_error e;
    int rc = kp_open(&s, data, size, &e);
    check(rc <= 0 && rc != KE_USAGE);
    check(rc != 0 || (s.count >= 0 && s.n == (size_t)s.count && s.trailing == 0));
    check(s.n == 0 || KP_HEADER_SIZE + s.n * KP_ENTRY_SIZE + s.trailing == size);
    for (size_t i = 0; i < s.n; i++) {
        kp_entry x;
        check(kp_entry_at(&s, i, &x, &e) == 0);
        check(x.pos == kp_entry_pos(i));
        int32_t fs = kp_first_sequence(&x);
        check(!kp_has_batch(&x) || x.last_sequence < 0 || x.offset_delta < 0 || fs >= 0);
        int c = kp_check_entry(&x, x.last_offset, &e);
        check(c == 0 || (c == KE_CORRUPT && e.pos == x.pos));
        c = kp_check_entry(&x, -1, &e);
        check(c == 0 || c == KE_CORRUPT);
    }
    kp_entry x;
    check(kp_entry_at(&s, s.n, &x, &e) == KE_USAGE);
    return 0;
}
