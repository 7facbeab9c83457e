/* error.c - see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

void ke_clear(ke_error *e)
{
    if (!e) return;
    e->code = KE_OK;
    e->file = NULL;
    e->pos = -1;
    e->msg[0] = '\0';
}

int ke_set(ke_error *e, int code, int64_t pos, const char *fmt, ...)
{
    if (!e) return code;
    e->code = code;
    e->pos = pos;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return code;
}

const char *ke_strerror(int code)
{
    switch (code) {
    case KE_OK: return "ok";
    case KE_IO: return "io";
    case KE_SHORT: return "short";
    case KE_CORRUPT: return "corrupt";
    case KE_CRC: return "crc";
    case KE_UNSUPPORTED: return "unsupported";
    case KE_TOO_LARGE: return "too_large";
    case KE_TRUNCATED: return "truncated";
    case KE_ZERO_FILL: return "zero_fill";
    case KE_FOREIGN: return "foreign";
    case KE_NOMEM: return "nomem";
    case KE_USAGE: return "usage";
    case KE_MISMATCH: return "mismatch";
    case KE_COUNT: return "count";
    case KE_LIVE: return "live";
    }
    return "unknown";
}
