/* indexes.c - see indexes.h. */
#include "indexes.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/segment.h"

/* Index files are small (10 MiB when preallocated). */
#define INDEX_FILE_CAP ((size_t)64 << 20)

/* Is a loaded index damaged? Kafka's sanityCheck (which a broker runs when
 * it loads the segment, and answers by rebuilding the index) on a trimmed
 * file, and on every file the order its append path keeps. A preallocated
 * zero tail (an active or crashed segment's index) is not Kafka's to check
 * yet: sanityCheck would read the tail's zeros as the last entry; but a
 * tail that is not all zeros was never preallocated. */
static int damaged(const ki_index *ix, ke_error *e)
{
    if (ix->tail_bytes == 0 && ki_sanity_check(ix, e) < 0) return 1;
    if (ix->kind != KI_TXN && ix->partial_bytes) {
        ke_set(e, KE_CORRUPT, (int64_t)(ix->len - ix->partial_bytes),
               "%zu bytes are not a multiple of the %zu-byte entry (%zu trailing bytes)", ix->len, ix->entry_size,
               ix->partial_bytes);
        return 1;
    }
    if (ix->tail_nonzero_pos >= 0) {
        ke_set(e, KE_CORRUPT, ix->tail_nonzero_pos,
               "the entries end at byte %zu (a slot with relative offset 0), yet byte %lld after it is not zero",
               ix->entries * ix->entry_size, (long long)ix->tail_nonzero_pos);
        return 1;
    }
    size_t next = 0;
    return ki_check_order(ix, &next, e) < 0;
}

static void load_one(const char *log_path, int64_t base, const char *ext, ki_kind kind, seg_index *s)
{
    memset(s, 0, sizeof *s);
    size_t n = strlen(log_path);
    if (n < 4 || strcmp(log_path + n - 4, ".log") != 0 || base < 0) return;
    if (!(s->path = malloc(n + 8))) {
        s->failed = true;
        ke_set(&s->err, KE_NOMEM, -1, "out of memory for the name of a %s", ext);
        s->err.file = log_path;
        return;
    }
    memcpy(s->path, log_path, n - 4);
    strcpy(s->path + n - 4, ext);
    size_t len;
    ke_error e;
    /* Something named like the index that is not a file (a FIFO, a device,
     * a link to one) is in the report's problems already (reader/layout.c
     * lists it): not read, and not said twice. */
    struct stat st;
    if (stat(s->path, &st) == 0 && !S_ISREG(st.st_mode)) return;
    if (ks_read_file(s->path, INDEX_FILE_CAP, &s->buf, &len, &e) < 0) {
        /* A missing index is normal (copied directories, active segments). */
        s->failed = e.code != KE_IO || access(s->path, F_OK) == 0;
    } else {
        s->ok = ki_open(&s->ix, kind, s->buf, len, base, &e) == 0 && !damaged(&s->ix, &e);
        s->failed = !s->ok;
    }
    if (s->failed) {
        s->err = e;
        s->err.file = s->path;
    }
}

void seg_indexes_load(seg_indexes *x, const char *log_path, int64_t base)
{
    load_one(log_path, base, ".index", KI_OFFSET, &x->offset);
    load_one(log_path, base, ".timeindex", KI_TIME, &x->time);
    load_one(log_path, base, ".txnindex", KI_TXN, &x->txn);
}

int seg_indexes_begin(seg_indexes *x, kx_check *chk, kx_txns *txns, kx_report_fn report, void *arg)
{
    return kx_begin(chk, x->offset.ok ? &x->offset.ix : NULL, x->offset.path, x->time.ok ? &x->time.ix : NULL,
                    x->time.path, x->txn.ok ? &x->txn.ix : NULL, x->txn.path, txns, report, arg);
}

void seg_indexes_free(seg_indexes *x)
{
    seg_index *all[3] = { &x->offset, &x->time, &x->txn };
    for (int i = 0; i < 3; i++) {
        free(all[i]->path);
        free(all[i]->buf);
    }
}
