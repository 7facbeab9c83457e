/* api_error.c - see api_error.h. */
#include "api_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ae_fail(kaudit_error *err, int code, const char *file, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->pos = -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void ae_clear(kaudit_error *err)
{
    if (err) memset(err, 0, sizeof *err), err->pos = -1;
}
