/*
 * codec.h - decompression of batch payloads, exactly as Kafka writes them.
 *
 * Owns: kc_ctx, one reusable output buffer plus the codec library contexts,
 * and the framing quirks of formats doc section 2: gzip members (several may
 * be concatenated), snappy in xerial framing or as one raw block, Kafka's LZ4
 * frame (with the broken header checksum of magic 0), zstd frames (several,
 * content size often unknown). Every decompression is capped: output larger
 * than the context's limit fails with KE_TOO_LARGE before it is produced, so
 * a small batch cannot expand into gigabytes.
 *
 * Never prints. One kc_ctx per thread; its buffer is reused by every call,
 * so the bytes returned by kc_decompress are valid until the next call on the
 * same context (this is the "one decompression buffer per batch").
 */
#ifndef KAUDIT_READER_CODEC_H
#define KAUDIT_READER_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum { KC_NONE = 0, KC_GZIP = 1, KC_SNAPPY = 2, KC_LZ4 = 3, KC_ZSTD = 4 };

/* Default output cap: far above any batch Kafka accepts (message.max.bytes
 * defaults to 1 MiB and is rarely set above 100 MiB), far below trouble. */
#define KC_DEFAULT_LIMIT ((size_t)256 << 20)

typedef struct kc_ctx kc_ctx;

/* Create a context whose outputs are capped at `limit` bytes (0 = default).
 * Returns NULL when out of memory. Free with kc_free. */
kc_ctx *kc_create(size_t limit);

/* Free a context and its buffer. Accepts NULL. */
void kc_free(kc_ctx *c);

/*
 * Hold the context's buffer to `bytes` (0: only the limit applies): an
 * output that needs a larger buffer fails with KE_NOMEM (not checked for
 * want of memory, not a defect of the data) instead of growing it. The
 * limit still says what no data may need (KE_TOO_LARGE). For the memory
 * budget of a caller that decompresses on several threads at once.
 */
void kc_set_budget(kc_ctx *c, size_t bytes);

/* "none", "gzip", "snappy", "lz4", "zstd", or "unknown" for ids 5..7. */
const char *kc_name(int codec);

/*
 * Decompress `len` bytes at `in` written with `codec` inside a batch of the
 * given magic (the LZ4 header checksum depends on it). On success returns 0
 * and points *out at *out_len bytes owned by the context, valid until the
 * next call. On failure returns a negative KE_* code with `e` filled; the
 * position is `pos` (the file position of the compressed bytes) plus the
 * offset of the problem in them when known.
 */
int kc_decompress(kc_ctx *c, int codec, int magic, const uint8_t *in, size_t len, int64_t pos,
                  const uint8_t **out, size_t *out_len, ke_error *e);

#endif
