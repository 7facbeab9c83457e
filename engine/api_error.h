/*
 * api_error.h - filling the public API's kaudit_error (include/kaudit.h),
 * for the engine and the dump alike.
 *
 * Owns nothing; prints nothing.
 */
#ifndef KAUDIT_ENGINE_API_ERROR_H
#define KAUDIT_ENGINE_API_ERROR_H

#include "include/kaudit.h"

/* Fill *err (when not NULL): `code`, `file` ("" for NULL), position -1 and
 * the printf-style message. Returns `code`, for `return ae_fail(...)`. */
int ae_fail(kaudit_error *err, int code, const char *file, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Clear *err (when not NULL) to KAUDIT_OK, position -1. */
void ae_clear(kaudit_error *err);

#endif
