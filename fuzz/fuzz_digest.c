/* fuzz_digest.c - libFuzzer target for digests (engine/digest.h, reader/
 * digest.h): the input is a digest file, opened as kaudit compare opens one
 * (every record checked, the checksum verified, directories and copies
 * kept within a budget) and, when it opens, every copy's batches read back
 * through a cursor; and the same bytes given to each record decoder of
 * reader/digest.h directly, since a checksum that fails stops ed_open
 * before its cursors. Whatever the bytes: an error with a position, never
 * a crash, a hang or an unbounded allocation.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/digest.h"
#include "fuzz/memfd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decoders(const uint8_t *data, size_t size)
{
    ke_error e;
    kdg_dir d;
    kdg_part p;
    kdg_state s;
    kdg_end end;
    size_t used;
    uint64_t count;
    int tag;
    uint64_t body_len;
    size_t head;
    (void)kdg_header(data, size, &e);
    if (kdg_get_frame(data, size, &tag, &body_len, &head, &e) == 0 && head > size) __builtin_trap();
    (void)kdg_get_dir(data, size, 0, &d, &e);
    (void)kdg_get_part(data, size, 0, &p, &e);
    (void)kdg_get_end(data, size, 0, &end, &e);
    if (kdg_get_state(data, size, 0, &s, &used, &e) == 0) {
        const uint8_t *at = data + used;
        kdg_producer pr;
        for (uint64_t i = 0; i < s.producers && kdg_get_producer(&at, data + size, 0, &pr, &e) == 0; i++) {}
    }
    if (kdg_get_chunk(data, size, 0, &count, &used, &e) == 0) {
        const uint8_t *at = data + used;
        kdg_prev prev = { 0 };
        kb_batch b;
        int ctrl;
        for (uint64_t i = 0; i < count && kdg_get_batch(&at, data + size, 0, &prev, &b, &ctrl, &e) == 0; i++)
            if (b.last_offset < b.base_offset) __builtin_trap(); /* the decoder promises order */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decoders(data, size);
    char path[64];
    int fd = fz_memfd(data, size, path);
    if (fd < 0) return 0;
    ke_error e;
    ed_file *f = ed_open(path, (size_t)1 << 20, &e);
    for (size_t i = 0; f && i < f->nparts; i++) {
        ed_cursor c;
        kb_batch b;
        int ctrl;
        if (ed_cursor_open(&c, &f->parts[i]))
            while (ed_cursor_next(&c, &b, &ctrl)) {}
        ed_cursor_close(&c);
    }
    ed_close(f);
    close(fd);
    return 0;
}
