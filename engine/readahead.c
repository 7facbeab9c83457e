/* readahead.c - see readahead.h. */
#include "readahead.h"

#include <string.h>

typedef struct direct_sink {
    ra_consume_fn consume;
    void *cctx;
    bool stopped;
} direct_sink;

static int direct_emit(void *sink, const ra_item *x)
{
    direct_sink *d = sink;
    if (d->stopped) return -1;
    ra_item copy = *x;
    if (copy.kind == RA_BATCH) copy.it.b = &copy.b;
    if (!d->consume(d->cctx, &copy)) d->stopped = true;
    return d->stopped ? -1 : 0;
}

void ra_direct(ra_produce_fn produce, void *pctx, ra_consume_fn consume, void *cctx)
{
    direct_sink d = { consume, cctx, false };
    produce(pctx, direct_emit, &d);
}
