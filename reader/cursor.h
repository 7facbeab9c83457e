/*
 * cursor.h - the only way kaudit reads bytes.
 *
 * Owns: kcur, a bounds-checked view (pointer, end) over bytes someone else
 * owns (a file window or a decompression buffer). Every read checks the bytes
 * are there, decodes big-endian explicitly (Kafka's byte order, formats doc
 * section 0) and advances. No struct casts over file bytes, no unaligned loads.
 * Allocates nothing, never prints.
 *
 * Reads return true on success. On failure they return false and leave the
 * cursor where it was, so the caller can report the position of the field
 * that did not fit.
 */
#ifndef KAUDIT_READER_CURSOR_H
#define KAUDIT_READER_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kcur {
    const uint8_t *p;   /* next unread byte */
    const uint8_t *end; /* one past the last readable byte */
} kcur;

/* A cursor over `len` bytes at `p`. `p` may be NULL only when len is 0. */
static inline kcur kcur_make(const uint8_t *p, size_t len)
{
    kcur c = { p, p ? p + len : p }; /* NULL + 0 is undefined in C */
    return c;
}

/* Bytes left to read. */
static inline size_t kcur_left(const kcur *c) { return (size_t)(c->end - c->p); }

/* Big-endian loads from a pointer the caller has bounds-checked. */
static inline uint16_t kbe16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t kbe32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t kbe64(const uint8_t *p)
{
    return ((uint64_t)kbe32(p) << 32) | kbe32(p + 4);
}

static inline bool kcur_skip(kcur *c, size_t n)
{
    if (kcur_left(c) < n) return false;
    c->p += n;
    return true;
}

/* Take a view of the next n bytes. */
static inline bool kcur_bytes(kcur *c, size_t n, const uint8_t **out)
{
    if (kcur_left(c) < n) return false;
    *out = c->p;
    c->p += n;
    return true;
}

static inline bool kcur_u8(kcur *c, uint8_t *v)
{
    if (kcur_left(c) < 1) return false;
    *v = *c->p++;
    return true;
}
static inline bool kcur_i8(kcur *c, int8_t *v)
{
    uint8_t u;
    if (!kcur_u8(c, &u)) return false;
    *v = (int8_t)u;
    return true;
}
static inline bool kcur_u16(kcur *c, uint16_t *v)
{
    if (kcur_left(c) < 2) return false;
    *v = kbe16(c->p);
    c->p += 2;
    return true;
}
static inline bool kcur_i16(kcur *c, int16_t *v)
{
    uint16_t u;
    if (!kcur_u16(c, &u)) return false;
    *v = (int16_t)u;
    return true;
}
static inline bool kcur_u32(kcur *c, uint32_t *v)
{
    if (kcur_left(c) < 4) return false;
    *v = kbe32(c->p);
    c->p += 4;
    return true;
}
static inline bool kcur_i32(kcur *c, int32_t *v)
{
    uint32_t u;
    if (!kcur_u32(c, &u)) return false;
    *v = (int32_t)u;
    return true;
}
static inline bool kcur_i64(kcur *c, int64_t *v)
{
    if (kcur_left(c) < 8) return false;
    *v = (int64_t)kbe64(c->p);
    c->p += 8;
    return true;
}

/*
 * Unsigned base-128 varint of at most `maxbytes` bytes (5 for int32, 10 for
 * int64; formats doc 1.7). Strict: a continuation bit on the last allowed byte,
 * or bits beyond 32 (resp. 64) in it, fail. Java silently drops those bits;
 * no Kafka encoder writes them, so here they mean corruption.
 */
static inline bool kcur_uvarint_n(kcur *c, unsigned maxbytes, unsigned bits, uint64_t *v)
{
    uint64_t r = 0;
    const uint8_t *p = c->p;
    for (unsigned i = 0; i < maxbytes; i++) {
        if (p >= c->end) return false;
        uint8_t b = *p++;
        unsigned shift = 7 * i;
        if (i == maxbytes - 1 && bits - shift < 7 && (b >> (bits - shift)) != 0) return false;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            c->p = p;
            *v = r;
            return true;
        }
    }
    return false;
}

/* Zigzag-signed varint that must fit int32 (record fields). */
static inline bool kcur_varint(kcur *c, int32_t *v)
{
    uint64_t u;
    if (!kcur_uvarint_n(c, 5, 32, &u)) return false;
    uint32_t z = (uint32_t)u;
    *v = (int32_t)((z >> 1) ^ (0u - (z & 1u)));
    return true;
}

/* Zigzag-signed varlong (timestamp delta). */
static inline bool kcur_varlong(kcur *c, int64_t *v)
{
    uint64_t u;
    if (!kcur_uvarint_n(c, 10, 64, &u)) return false;
    *v = (int64_t)((u >> 1) ^ (0ull - (u & 1ull)));
    return true;
}

/* Unsigned varint that must fit uint32 (flexible-version lengths, tags). */
static inline bool kcur_uvarint(kcur *c, uint32_t *v)
{
    uint64_t u;
    if (!kcur_uvarint_n(c, 5, 32, &u)) return false;
    *v = (uint32_t)u;
    return true;
}

#endif
