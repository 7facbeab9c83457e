/* text.c - see text.h. */
#include "text.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- UTF-8 ---------------------------------------------------------- */

size_t tx_utf8_seq(const uint8_t *p, size_t n, size_t *skip)
{
    assert(n >= 1);
    /* Unicode 3.9 Table 3-7: the lead byte fixes the length and the range
     * of the second byte; every later byte is 80..BF. */
    uint8_t b = p[0], lo = 0x80, hi = 0xbf;
    size_t more;
    if (b < 0x80) return 1;
    if (b >= 0xc2 && b <= 0xdf) more = 1;        /* C0, C1: only overlong forms */
    else if (b == 0xe0) { more = 2; lo = 0xa0; } /* no overlong forms */
    else if (b == 0xed) { more = 2; hi = 0x9f; } /* no surrogates */
    else if (b >= 0xe1 && b <= 0xef) more = 2;
    else if (b == 0xf0) { more = 3; lo = 0x90; } /* no overlong forms */
    else if (b == 0xf4) { more = 3; hi = 0x8f; } /* nothing past U+10FFFF */
    else if (b >= 0xf1 && b <= 0xf3) more = 3;
    else {                                       /* 80..C1, F5..FF: never a lead */
        if (skip) *skip = 1;
        return 0;
    }
    for (size_t i = 1; i <= more; i++) {
        if (i >= n || p[i] < lo || p[i] > hi) {
            if (skip) *skip = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xbf;
    }
    return more + 1;
}

size_t tx_utf8_span(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* ASCII eight bytes at a time (payloads are mostly ASCII). */
        uint64_t word;
        if (n - i >= 8 && (memcpy(&word, p + i, 8), (word & 0x8080808080808080ull) == 0)) {
            i += 8;
            continue;
        }
        size_t k = tx_utf8_seq(p + i, n - i, NULL);
        if (k == 0) return i;
        i += k;
    }
    return n;
}

bool tx_utf8_valid(const uint8_t *p, size_t n) { return tx_utf8_span(p, n) == n; }

/* ---- base64 --------------------------------------------------------- */

size_t tx_base64_len(size_t n, unsigned flags)
{
    assert(n <= SIZE_MAX / 4 * 3);
    size_t full = n / 3 * 4, rest = n % 3;
    if (rest == 0) return full;
    return full + ((flags & TX_B64_NOPAD) ? rest + 1 : 4);
}

size_t tx_base64(const uint8_t *p, size_t n, unsigned flags, char *out)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *a = (flags & TX_B64_URL) ? url : std;
    size_t o = 0, i = 0;
    for (; n - i >= 3; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = a[w >> 18];
        out[o++] = a[(w >> 12) & 63];
        out[o++] = a[(w >> 6) & 63];
        out[o++] = a[w & 63];
    }
    if (i < n) {
        bool two = n - i == 2;
        uint32_t w = (uint32_t)p[i] << 16 | (two ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = a[w >> 18];
        out[o++] = a[(w >> 12) & 63];
        if (two) out[o++] = a[(w >> 6) & 63];
        if (!(flags & TX_B64_NOPAD)) {
            if (!two) out[o++] = '=';
            out[o++] = '=';
        }
    }
    out[o] = '\0';
    assert(o == tx_base64_len(n, flags));
    return o;
}

/* ---- times ---------------------------------------------------------- */

size_t tx_time_utc(int64_t ms, unsigned shape, char *buf, size_t cap)
{
    if (cap == 0) return 0;
    buf[0] = '\0';
    /* Floor division: -1 ms is 999 ms into the second before the epoch. */
    int64_t sec = ms / 1000, milli = ms % 1000;
    if (milli < 0) {
        milli += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if ((int64_t)t != sec || !gmtime_r(&t, &tm)) return 0;
    long long year = (long long)tm.tm_year + 1900; /* tm_year may be INT_MAX */
    char sepc = (shape & TX_TIME_SPACE) ? ' ' : 'T';
    int len = (shape & TX_TIME_MS)
        ? snprintf(buf, cap, "%04lld-%02d-%02d%c%02d:%02d:%02d.%03dZ", year, tm.tm_mon + 1, tm.tm_mday, sepc,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, (int)milli)
        : snprintf(buf, cap, "%04lld-%02d-%02d%c%02d:%02d:%02dZ", year, tm.tm_mon + 1, tm.tm_mday, sepc, tm.tm_hour,
                   tm.tm_min, tm.tm_sec);
    if (len < 0 || (size_t)len >= cap) {
        buf[0] = '\0';
        return 0;
    }
    return (size_t)len;
}
