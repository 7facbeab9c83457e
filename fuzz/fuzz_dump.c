/* fuzz_dump.c - libFuzzer target for the dump (include/kaudit.h,
 * kaudit_dump): the input is one file of a partition directory, dumped as
 * text with payloads, as JSONL with records and as kafka-dump-log.sh's
 * own lines (--compat, its stderr lines too), to /dev/null. The first
 * byte names the file (which decides how it is read: segment, index,
 * snapshot, checkpoint, ...) and picks the decoder, so every kind meets
 * every input. Whatever the bytes, the dump must end by itself and say
 * what it could not read, never crash; its printers (every escape of
 * keys, values and headers, the internal topics' decoders) get arbitrary
 * records.
 *
 * The file lives in a private directory under $TMPDIR (a memory file has
 * no name to be read by), rewritten for each input and removed at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/kaudit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
    "00000000000000000000.log",        "00000000000000000000.index",
    "00000000000000000000.timeindex",  "00000000000000000000.txnindex",
    "00000000000000000000.snapshot",   "00000000000000000042-00000000000000000001.checkpoint",
    "leader-epoch-checkpoint",         "partition.metadata",
    "replication-offset-checkpoint",   "meta.properties",
    "quorum-state",                    "00000000000000000000.log.deleted",
};
enum { N_NAMES = sizeof names / sizeof names[0] };

static char dir[64];
static FILE *devnull;

static void cleanup(void)
{
    char path[128];
    for (int i = 0; i < N_NAMES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static int setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/kaudit-fuzz-XXXXXX", tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(dir)) return -1;
    devnull = fopen("/dev/null", "w");
    atexit(cleanup);
    return devnull ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull && setup() < 0) return 0;
    if (size == 0) return 0;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, names[data[0] % N_NAMES]);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    bool written = fwrite(data + 1, 1, size - 1, f) == size - 1;
    if (fclose(f) != 0 || !written) return unlink(path), 0;

    const char *paths[] = { path };
    int decode = (data[0] / N_NAMES) % (KAUDIT_DECODE_METADATA + 1);
    for (int format = KAUDIT_DUMP_TEXT; format <= KAUDIT_DUMP_KAFKA; format++) {
        kaudit_dump_options o;
        kaudit_dump_options_init(&o);
        o.format = format;
        o.records = true;
        o.payload = format == KAUDIT_DUMP_TEXT;
        o.decode = decode;
        o.verify_index = true;
        o.max_entry = (size_t)1 << 20;
        o.live_wait_ms = 0;
        if (format == KAUDIT_DUMP_KAFKA) {
            /* kafka-dump-log.sh's lines: its stderr stream too, and an
             * index mode and a byte limit the input picks. */
            o.kafka_err = devnull;
            o.index_mode = (data[0] / (N_NAMES * (KAUDIT_DECODE_METADATA + 1))) % 3;
            o.max_bytes = size > 2 && data[1] & 1 ? (int64_t)size / 2 : 0;
            o.skip_record_metadata = size > 2 && data[1] & 2;
        }
        kaudit_dump_outcome oc;
        kaudit_error err;
        if (kaudit_dump(&o, paths, 1, devnull, NULL, &oc, &err) < 0 && err.code != KAUDIT_EWRITE) __builtin_trap();
    }
    unlink(path);
    return 0;
}
