/*
 * test_segment.c - ks_next over whole segment files: good data, and every
 * kind of damage of formats doc 1.12 (partial tail, zero-filled tail, size
 * below 14, absurd length, CRC mismatch with and without a trusted length,
 * foreign bytes). Files are built in memory from a batch kafka-python
 * encoded (see test_batch.c) and exposed through a memfd, so the test
 * writes nothing to disk.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kt.h"
#include "reader/segment.h"

/* kafka-python DefaultRecordBatchBuilder, 3 records, producer 42 (test_batch.c). */
static const char V2_NONE[] =
    "00000000000000000000005900000000022157dc150000000000020000018bcfe568000000018bcfe56809000000000000002a"
    "00037ffffffe000000032e000000046b310a68656c6c6f04046831047631046832010c000a0201010010001204000400ff00";
#define BATCH 101 /* bytes of that batch */

static uint8_t seg[8192];

/* n batches with base offsets 0, 3, 6, ... (the offset field is not
 * covered by the CRC, so a broker-like re-basing keeps them valid). */
static size_t build(int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t *p = seg + (size_t)i * BATCH;
        for (int j = 0; j < BATCH; j++) {
            unsigned v;
            sscanf(V2_NONE + 2 * j, "%2x", &v);
            p[j] = (uint8_t)v;
        }
        p[7] = (uint8_t)(3 * i);
    }
    return (size_t)n * BATCH;
}

typedef struct walk {
    int batches, bad_crc, errors;
    int codes[8];
    int64_t pos[8];
    int64_t last_base;
} walk;

static walk run(const uint8_t *data, size_t n)
{
    walk w;
    memset(&w, 0, sizeof w);
    int fd = memfd_create("seg", 0);
    if (write(fd, data, n) != (ssize_t)n) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ke_error e;
    ks_reader *r = ks_open(path, 1 << 20, 0, &e);
    kb_batch b;
    int rc, guard = 0;
    while (r && (rc = ks_next(r, &b, &e)) != 0 && guard++ < 100) {
        if (rc < 0) {
            if (w.errors < 8) w.codes[w.errors] = rc, w.pos[w.errors] = e.pos;
            w.errors++;
            KT_CHECK(e.file != NULL && e.msg[0] != '\0');
            continue;
        }
        w.batches++;
        w.bad_crc += !b.crc_valid;
        w.last_base = b.base_offset;
    }
    ks_close(r);
    close(fd);
    return w;
}

static void test_good(void)
{
    size_t n = build(3);
    walk w = run(seg, n);
    KT_EQ_INT(w.batches, 3);
    KT_EQ_INT(w.errors, 0);
    KT_EQ_INT(w.last_base, 6);
    w = run(seg, 0);
    KT_EQ_INT(w.batches + w.errors, 0);
}

static void test_partial_tail(void)
{
    size_t n = build(3);
    walk w = run(seg, n - 10);
    KT_EQ_INT(w.batches, 2);
    KT_EQ_INT(w.errors, 1);
    KT_EQ_INT(w.codes[0], KE_TRUNCATED);
    KT_EQ_INT(w.pos[0], 2 * BATCH);
    w = run(seg, 2 * BATCH + 9); /* fewer than 17 bytes: a tail too short for a header */
    KT_EQ_INT(w.batches, 2);
    KT_EQ_INT(w.codes[0], KE_TRUNCATED);
}

static void test_zero_tail(void)
{
    size_t n = build(3);
    memset(seg + n, 0, 4096);
    walk w = run(seg, n + 4096);
    KT_EQ_INT(w.batches, 3);
    KT_EQ_INT(w.errors, 1);
    KT_EQ_INT(w.codes[0], KE_ZERO_FILL);
    KT_EQ_INT(w.pos[0], n);
    w = run(seg, n + 5); /* a few zero bytes */
    KT_EQ_INT(w.codes[0], KE_ZERO_FILL);
}

static void test_small_size_not_zero(void)
{
    size_t n = build(3);
    seg[BATCH + 11] = 10; /* second entry: size 10 < 14 */
    seg[BATCH + 8] = seg[BATCH + 9] = seg[BATCH + 10] = 0;
    walk w = run(seg, n);
    KT_EQ_INT(w.batches, 1);
    KT_EQ_INT(w.errors, 1);
    KT_EQ_INT(w.codes[0], KE_CORRUPT);
    KT_EQ_INT(w.pos[0], BATCH);
}

static void test_absurd_length(void)
{
    size_t n = build(3);
    seg[BATCH + 8] = 0x7f; /* second entry claims ~2 GB */
    walk w = run(seg, n);
    KT_EQ_INT(w.batches, 1);
    KT_EQ_INT(w.errors, 1);
    KT_EQ_INT(w.codes[0], KE_CORRUPT);
    seg[BATCH + 8] = 0xff; /* negative */
    w = run(seg, n);
    KT_EQ_INT(w.batches, 1);
    KT_EQ_INT(w.codes[0], KE_CORRUPT);
}

/* A CRC mismatch with the length intact: the entry is returned, flagged,
 * and reading resumes at the next entry. */
static void test_crc_resume(void)
{
    size_t n = build(3);
    seg[BATCH + 80] ^= 0x01;
    walk w = run(seg, n);
    KT_EQ_INT(w.batches, 3);
    KT_EQ_INT(w.bad_crc, 1);
    KT_EQ_INT(w.errors, 0);
    KT_EQ_INT(w.last_base, 6);
}

/* A length changed to point into the middle of the next entry: the CRC
 * fails, nothing plausible follows, so reading stops instead of decoding
 * garbage. */
static void test_untrusted_length_stops(void)
{
    size_t n = build(3);
    seg[BATCH + 11] = (uint8_t)(seg[BATCH + 11] + 20);
    walk w = run(seg, n);
    KT_EQ_INT(w.batches, 2); /* the first, then the damaged one (flagged) */
    KT_EQ_INT(w.bad_crc, 1);
    KT_EQ_INT(w.errors, 1);
    KT_EQ_INT(w.codes[0], KE_CORRUPT);
    KT_EQ_INT(w.pos[0], 2 * BATCH + 20);
}

static void test_unknown_magic_stops(void)
{
    size_t n = build(3);
    seg[BATCH + 16] = 7;
    walk w = run(seg, n);
    KT_EQ_INT(w.batches, 1);
    KT_EQ_INT(w.codes[0], KE_CORRUPT);
}


/* ---- parts (ks_part, ks_hop): the whole reader's steps, in pieces ---- */

typedef struct step {
    int rc, code, crc_valid;
    int64_t pos, base;
} step;

/* Every ks_next of r into t (at most cap), until the end. */
static int trace(ks_reader *r, step *t, int cap)
{
    int n = 0, rc;
    kb_batch b;
    ke_error e;
    while (n < cap && (rc = ks_next(r, &b, &e)) != 0) {
        t[n].rc = rc;
        t[n].code = rc < 0 ? e.code : 0;
        t[n].crc_valid = rc > 0 && b.crc_valid;
        t[n].pos = rc < 0 ? e.pos : b.pos;
        t[n].base = rc > 0 ? b.base_offset : -1;
        n++;
    }
    return n;
}

static bool same_steps(const step *a, const step *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i].rc != b[i].rc || a[i].code != b[i].code || a[i].crc_valid != b[i].crc_valid || a[i].pos != b[i].pos ||
            a[i].base != b[i].base)
            return false;
    return true;
}

/* Segment `data` cut every `want` bytes by ks_hop (the rest in one part
 * from the first header that is not sound): each part read in the state
 * the parts before it leave gives the whole reader's steps; read in the
 * state a worker assumes (engine/pipeline.c), the same steps unless
 * ks_part_probes say the true state matters. *redo: parts where they did. */
static void parts_agree(const uint8_t *data, size_t n, int64_t want, int *redo)
{
    int fd = memfd_create("seg", 0);
    if (write(fd, data, n) != (ssize_t)n) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ke_error e;
    ks_reader *whole = ks_open(path, 1 << 20, 0, &e), *seq = ks_open(path, 1 << 20, 0, &e);
    if (!whole || !seq) abort();
    step all[64], got[64], assumed[64];
    int nall = trace(seq, all, 64), at_step = 0;
    ks_state carry = { INT64_MIN, 0, 0, 0 };
    int64_t from = 0, next_offset = -1;
    while (!carry.done && from < (int64_t)n) {
        int sound;
        int64_t first_offset = next_offset;
        int64_t to = ks_hop(whole, from, want, &sound, &next_offset);
        if (!sound && to == from) to = (int64_t)n;
        ks_state before = carry;
        ks_reader *part = ks_part(NULL, whole, from, to, &before, &e);
        int k = trace(part, got, 64);
        KT_CHECK(at_step + k <= nall && same_steps(all + at_step, got, k));
        ks_state_of(part, &carry);
        ks_close(part);
        ks_state guess = { INT64_MIN, 0, from > 0, 0 };
        part = ks_part(NULL, whole, from, to, &guess, &e);
        int ka = trace(part, assumed, 64), anchored;
        int64_t probe_min;
        ks_part_probes(part, &anchored, &probe_min);
        ks_close(part);
        bool holds = from == 0 || (before.entries != 0 && !(before.resume_checked && first_offset < before.last_base) &&
                                   probe_min >= before.last_base);
        if (holds) KT_CHECK(ka == k && same_steps(got, assumed, k));
        else (*redo)++;
        at_step += k;
        from = to;
    }
    KT_EQ_INT(at_step, nall);
    ks_close(seq);
    ks_close(whole);
    close(fd);
}

/* Damage of every kind the reader knows, cut in parts of every size. */
static void test_parts(void)
{
    int redo = 0;
    for (int kind = 0; kind < 8; kind++) {
        size_t n = build(8);
        switch (kind) {
        case 1: seg[3 * BATCH + 80] ^= 1; break;                              /* a bad CRC */
        case 2: seg[3 * BATCH + 80] ^= 1, seg[4 * BATCH + 7] = 0; break;       /* ... then an offset below */
        case 3: seg[3 * BATCH + 80] ^= 1, seg[4 * BATCH + 80] ^= 1, seg[5 * BATCH + 7] = 1; break;
        case 4: seg[4 * BATCH + 16] = 7; break;                               /* unknown magic */
        case 5: seg[4 * BATCH + 11] = (uint8_t)(seg[4 * BATCH + 11] + 20); break; /* an untrusted length */
        case 6: memset(seg + n, 0, 300), n += 300; break;                     /* a zero-filled tail */
        case 7: n -= 40; break;                                               /* a partial tail */
        default: break;
        }
        for (int64_t want = 1; want <= 1000; want = want * 3 + 50) parts_agree(seg, n, want, &redo);
    }
    KT_CHECK(redo > 0); /* the offsets below a bad CRC made some part read again */
}

/* Redpanda's little-endian header at the start of a file: one clear error. */
static void test_foreign(void)
{
    uint8_t rp[256];
    memset(rp, 0x11, sizeof rp);
    rp[4] = 91, rp[5] = rp[6] = rp[7] = 0; /* size_bytes 91, little-endian */
    rp[8] = 0xed, rp[9] = 0x02;            /* base offset 749 */
    memset(rp + 10, 0, 6);
    rp[16] = 4; /* batch type */
    walk w = run(rp, sizeof rp);
    KT_EQ_INT(w.batches, 0);
    KT_EQ_INT(w.errors, 1);
    KT_EQ_INT(w.codes[0], KE_FOREIGN);
}

/* A live broker appends while we read: the partial last entry was being
 * written, which is not a truncated segment. */
static void test_live_growth(void)
{
    size_t n = build(3);
    int fd = memfd_create("live", 0);
    if (write(fd, seg, n - 40) != (ssize_t)(n - 40)) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ke_error e;
    ks_reader *r = ks_open(path, 1 << 20, 0, &e);
    KT_REQUIRE(r != NULL);
    if (write(fd, seg + n - 40, 40) != 40) abort(); /* the broker finishes the batch */
    kb_batch b;
    KT_EQ_INT(ks_next(r, &b, &e), 1);
    KT_EQ_INT(ks_next(r, &b, &e), 1);
    KT_EQ_INT(ks_next(r, &b, &e), KE_LIVE);
    KT_EQ_INT(e.pos, 2 * BATCH);
    KT_CHECK(strstr(e.msg, "still being written") != NULL);
    KT_EQ_INT(ks_next(r, &b, &e), 0);
    ks_close(r);
    close(fd);
}

static void test_open_errors(void)
{
    ke_error e;
    KT_CHECK(ks_open("/nonexistent/kaudit/00000000000000000000.log", 0, 0, &e) == NULL);
    KT_EQ_INT(e.code, KE_IO);
    KT_CHECK(ks_open("/", 0, 0, &e) == NULL);
    /* a small file over the cap for its kind is refused, not read */
    int fd = memfd_create("small", 0);
    if (write(fd, V2_NONE, 100) != 100) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    uint8_t *buf;
    size_t len;
    KT_EQ_INT(ks_read_file(path, 64, &buf, &len, &e), KE_TOO_LARGE);
    KT_REQUIRE_EQ_INT(ks_read_file(path, 100, &buf, &len, &e), 0);
    KT_REQUIRE_EQ_INT(len, 100);
    KT_EQ_MEM(buf, 4, "0000", 4);
    free(buf);
    close(fd);
    ks_close(NULL);
}

int main(void)
{
    KT_RUN(test_good);
    KT_RUN(test_partial_tail);
    KT_RUN(test_zero_tail);
    KT_RUN(test_small_size_not_zero);
    KT_RUN(test_absurd_length);
    KT_RUN(test_crc_resume);
    KT_RUN(test_untrusted_length_stops);
    KT_RUN(test_unknown_magic_stops);
    KT_RUN(test_foreign);
    KT_RUN(test_live_growth);
    KT_RUN(test_open_errors);
    KT_RUN(test_parts);
    return kt_done();
}
