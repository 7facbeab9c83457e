/* indexes.c - see indexes.h. */
#include "indexes.h"

#include <stdlib.h>
#include <string.h>

#include "reader/segment.h"

/* Index files are small (10 MiB when preallocated). */
#define INDEX_FILE_CAP ((size_t)64 << 20)

static void load_one(const char *log_path, int64_t base, const char *ext, ki_kind kind, seg_index *s,
                     void (*on_error)(void *, const ke_error *), void *arg)
{
    memset(s, 0, sizeof *s);
    size_t n = strlen(log_path);
    if (n < 4 || strcmp(log_path + n - 4, ".log") != 0 || base < 0) return;
    if (!(s->path = malloc(n + 8))) return;
    memcpy(s->path, log_path, n - 4);
    strcpy(s->path + n - 4, ext);
    size_t len;
    ke_error e;
    if (ks_read_file(s->path, INDEX_FILE_CAP, &s->buf, &len, &e) < 0) {
        /* A missing index is normal (copied directories, active segments). */
        if (e.code != KE_IO && on_error) on_error(arg, &e);
        return;
    }
    s->ok = ki_open(&s->ix, kind, s->buf, len, base, &e) == 0;
}

void seg_indexes_load(seg_indexes *x, const char *log_path, int64_t base, void (*on_error)(void *, const ke_error *),
                      void *arg)
{
    load_one(log_path, base, ".index", KI_OFFSET, &x->offset, on_error, arg);
    load_one(log_path, base, ".timeindex", KI_TIME, &x->time, on_error, arg);
    load_one(log_path, base, ".txnindex", KI_TXN, &x->txn, on_error, arg);
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
