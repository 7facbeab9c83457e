/*
 * decode.c - see decode.h.
 *
 * One small interpreter reads every message: a message is described as data
 * (a kd_schema, a list of kd_field in wire order, each with the versions it
 * exists in, whether it may be null, and its tag when it is a tagged field),
 * and kd_read_struct() walks it with a kcur. The schemas at the end of this
 * file are transcribed from Kafka's JSON message definitions (facts only;
 * paths in formats doc 3, 9.1, 9.2 and metadata/src/main/resources/common/
 * metadata at apache/kafka trunk 1eb7644349cb). Nesting depth is fixed by the
 * schemas, so no input can make the decoder recurse deeper.
 *
 * Wire rules (formats doc 9): non-flexible versions use int16-length strings,
 * int32-length bytes and int32-count arrays, -1 meaning null; flexible
 * versions use unsigned varint N+1 (0 meaning null) for all three, and every
 * struct ends with a tagged-field section: uvarint count, then per field
 * uvarint tag, uvarint size and `size` bytes.
 */
#include "decode.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/cursor.h"
#include "reader/text.h"

/* ------------------------------------------------------------------------ */
/* Schemas as data                                                           */
/* ------------------------------------------------------------------------ */

enum {
    KD_ANY = 0xff,   /* vmax: no upper version bound */
    KD_NEVER = 0xff  /* nullable_from / flexible_from: not in any version */
};

typedef enum kd_type {
    KD_I8, KD_I16, KD_U16, KD_I32, KD_I64, KD_F64, KD_BOOL, KD_UUID,
    KD_STR, KD_BYTES,
    KD_I32S, KD_UUIDS, KD_STRS, /* arrays of int32, uuid, string */
    KD_STRUCTS,                 /* array of structs (kd_field.sub) */
    KD_STRUCT                   /* one nested struct (kd_field.sub) */
} kd_type;

/* Fields whose JSON is more than their wire type. */
typedef enum kd_hook {
    KD_HOOK_NONE,
    KD_HOOK_TXN_STATUS,    /* int8 shown as its TransactionState name */
    KD_HOOK_PROTOCOL_TYPE, /* string; "consumer" switches the next two on */
    KD_HOOK_SUBSCRIPTION,  /* bytes holding a ConsumerProtocolSubscription */
    KD_HOOK_ASSIGNMENT     /* bytes holding a ConsumerProtocolAssignment */
} kd_hook;

struct kd_schema;

typedef struct kd_field {
    const char *name;            /* JSON name: Kafka's field name in camelCase */
    uint8_t type;                /* a kd_type */
    uint8_t vmin, vmax;          /* versions holding the field; vmax KD_ANY = open */
    uint8_t nullable_from;       /* first version where null is valid, or KD_NEVER */
    int8_t tag;                  /* tag number of a tagged field, -1 for a fixed one */
    uint8_t hook;                /* a kd_hook */
    const struct kd_schema *sub; /* struct of KD_STRUCTS elements / KD_STRUCT */
} kd_field;

typedef struct kd_schema {
    const char *name;        /* Kafka's message or struct name, for messages */
    const kd_field *fields;  /* in wire order (tagged ones anywhere) */
    size_t nfields;
} kd_schema;

/* A top-level message: its schema and the versions this module knows. */
typedef struct kd_msg {
    const kd_schema *schema;
    uint8_t vmax;          /* newest version known */
    uint8_t flexible_from; /* first flexible version, or KD_NEVER */
} kd_msg;

/* Decoding state of one key or value. */
typedef struct kd_ctx {
    const uint8_t *base; /* first byte of the key or value: error positions count from it */
    ke_error *e;         /* filled on failure */
    int version;         /* version the message is read at */
    bool flexible;       /* compact lengths and tagged sections */
    bool consumer;       /* GroupMetadataValue.protocolType was "consumer" */
} kd_ctx;

static bool kd_in(const kd_field *f, int v)
{
    return v >= f->vmin && (f->vmax == KD_ANY || v <= f->vmax);
}

static int64_t kd_pos(const kd_ctx *x, const kcur *c) { return (int64_t)(c->p - x->base); }

static int kd_nomem(const kd_ctx *x, const kcur *c)
{
    return ke_set(x->e, KE_NOMEM, kd_pos(x, c), "out of memory building the JSON tree");
}

/* ------------------------------------------------------------------------ */
/* JSON leaves                                                               */
/* ------------------------------------------------------------------------ */

/* 2^53: every integer up to this magnitude is exact in a double. */
#define KD_EXACT_INT 9007199254740992LL

static cJSON *kd_json_i64(int64_t v)
{
    if (v >= -KD_EXACT_INT && v <= KD_EXACT_INT) return cJSON_CreateNumber((double)v);
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

static cJSON *kd_json_int(int64_t v) { return cJSON_CreateNumber((double)v); }

/* Base64 of n bytes, standard alphabet with padding (Jackson's bytes), or
 * url-safe without (Kafka's Uuid.toString). */
static cJSON *kd_json_base64(const uint8_t *p, size_t n, bool url)
{
    unsigned flags = url ? TX_B64_URL | TX_B64_NOPAD : 0;
    char *out = malloc(tx_base64_len(n, flags) + 1);
    if (!out) return NULL;
    tx_base64(p, n, flags, out);
    cJSON *item = cJSON_CreateString(out);
    free(out);
    return item;
}

/* A JSON string of n bytes of Kafka text: valid UTF-8, see decode.h. */
static cJSON *kd_json_text(const uint8_t *p, size_t n)
{
    char *out = malloc(n * 3 + 1); /* one U+FFFD (3 bytes) per input byte at worst */
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        /* NUL is well-formed UTF-8 but ends a cJSON string: it is replaced too. */
        size_t skip = 1, len = p[i] ? tx_utf8_seq(p + i, n - i, &skip) : 0;
        if (len) {
            memcpy(out + o, p + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i += skip;
        }
    }
    out[o] = '\0';
    cJSON *item = cJSON_CreateString(out);
    free(out);
    return item;
}

/* Attach item to an object (name given) or an array (name NULL). */
static int kd_attach(const kd_ctx *x, const kcur *c, cJSON *parent, const char *name, cJSON *item)
{
    cJSON_bool ok = item != NULL &&
        (name ? cJSON_AddItemToObjectCS(parent, name, item) : cJSON_AddItemToArray(parent, item));
    if (ok) return 0;
    cJSON_Delete(item);
    return kd_nomem(x, c);
}

/* ------------------------------------------------------------------------ */
/* Lengths and counts                                                        */
/* ------------------------------------------------------------------------ */

/* Unsigned varint that must fit uint32 (formats doc 1.7). */
static int kd_uvarint(const kd_ctx *x, kcur *c, uint32_t *v, const kd_schema *s, const char *what)
{
    if (kcur_uvarint(c, v)) return 0;
    /* Out of bytes before a final group is short; a bad 5th byte is corrupt. */
    kcur peek = *c;
    uint8_t b;
    bool bad = false;
    for (int i = 0; i < 5 && kcur_u8(&peek, &b); i++)
        if (!(b & 0x80) || i == 4) bad = true;
    return ke_set(x->e, bad ? KE_CORRUPT : KE_SHORT, kd_pos(x, c), "%s: %s: %s", s->name, what,
                  bad ? "varint longer than 32 bits" : "varint runs past the end");
}

/*
 * Length of a string or bytes field, or count of an array: -1 for null.
 * `wide` selects int32 (bytes, arrays) over int16 (strings) when not flexible.
 */
static int kd_len(const kd_ctx *x, kcur *c, bool wide, const kd_schema *s, const kd_field *f,
                  int64_t *len)
{
    const int64_t at = kd_pos(x, c); /* errors point at the length field */
    if (x->flexible) {
        uint32_t n;
        KE_FORWARD(kd_uvarint(x, c, &n, s, f->name));
        *len = (int64_t)n - 1;
        return 0;
    }
    if (wide) {
        int32_t n;
        KE_RET_IF(!kcur_i32(c, &n), x->e, KE_SHORT, at, "%s.%s: length runs past the end",
                  s->name, f->name);
        *len = n;
    } else {
        int16_t n;
        KE_RET_IF(!kcur_i16(c, &n), x->e, KE_SHORT, at, "%s.%s: length runs past the end",
                  s->name, f->name);
        *len = n;
    }
    KE_RET_IF(*len < -1, x->e, KE_CORRUPT, at, "%s.%s: negative length %" PRId64,
              s->name, f->name, *len);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The interpreter                                                           */
/* ------------------------------------------------------------------------ */

static int kd_read_struct(kd_ctx *x, kcur *c, const kd_schema *s, cJSON *obj);

static const kd_msg kd_consumer_subscription, kd_consumer_assignment;

static const char *const kd_txn_states[] = {
    "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence"
};

/*
 * A ConsumerProtocol subscription or assignment: int16 version, then the
 * message, non-flexible. Newer versions are read with the newest layout, as
 * ConsumerProtocol.deserialize* does. NULL when it does not parse (the caller
 * then keeps the bytes, as DumpLogSegments does) or on allocation failure.
 */
static cJSON *kd_consumer_blob(const uint8_t *p, size_t n, const kd_msg *m)
{
    ke_error scratch;
    kd_ctx y = { .base = p, .e = &scratch };
    kcur c = kcur_make(p, n);
    int16_t v;
    if (!kcur_i16(&c, &v) || v < 0) return NULL;
    y.version = v > m->vmax ? m->vmax : v;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (kd_attach(&y, &c, o, "version", kd_json_int(v)) < 0 ||
        kd_read_struct(&y, &c, m->schema, o) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* An array of `count` elements of f's type into arr. */
static int kd_read_array(kd_ctx *x, kcur *c, const kd_schema *s, const kd_field *f, int64_t count,
                         cJSON *arr)
{
    for (int64_t i = 0; i < count; i++) {
        if (f->type == KD_I32S) {
            int32_t v;
            KE_RET_IF(!kcur_i32(c, &v), x->e, KE_SHORT, kd_pos(x, c), "%s.%s[%" PRId64 "]: runs past the end",
                      s->name, f->name, i);
            KE_FORWARD(kd_attach(x, c, arr, NULL, kd_json_int(v)));
        } else if (f->type == KD_UUIDS) {
            const uint8_t *u;
            KE_RET_IF(!kcur_bytes(c, 16, &u), x->e, KE_SHORT, kd_pos(x, c),
                      "%s.%s[%" PRId64 "]: runs past the end", s->name, f->name, i);
            KE_FORWARD(kd_attach(x, c, arr, NULL, kd_json_base64(u, 16, true)));
        } else if (f->type == KD_STRS) {
            /* Elements of []string are plain, non-nullable strings. */
            kd_field ef = { f->name, KD_STR, 0, KD_ANY, KD_NEVER, -1, KD_HOOK_NONE, NULL };
            const int64_t at = kd_pos(x, c);
            int64_t len;
            const uint8_t *p;
            KE_FORWARD(kd_len(x, c, false, s, &ef, &len));
            KE_RET_IF(len < 0, x->e, KE_CORRUPT, at, "%s.%s[%" PRId64 "]: null string", s->name, f->name, i);
            KE_RET_IF(len > 0x7fff, x->e, KE_CORRUPT, at, "%s.%s[%" PRId64 "]: string length %" PRId64
                      " over 32767", s->name, f->name, i, len);
            KE_RET_IF((uint64_t)len > kcur_left(c) || !kcur_bytes(c, (size_t)len, &p), x->e, KE_SHORT, at,
                      "%s.%s[%" PRId64 "]: string of %" PRId64 " bytes runs past the end", s->name,
                      f->name, i, len);
            KE_FORWARD(kd_attach(x, c, arr, NULL, kd_json_text(p, (size_t)len)));
        } else {
            cJSON *o = cJSON_CreateObject();
            KE_FORWARD(kd_attach(x, c, arr, NULL, o));
            KE_FORWARD(kd_read_struct(x, c, f->sub, o));
        }
    }
    return 0;
}

/* Smallest wire size of one array element, to bound counts by the bytes left. */
static uint64_t kd_elem_min(const kd_ctx *x, const kd_field *f)
{
    switch (f->type) {
    case KD_I32S: return 4;
    case KD_UUIDS: return 16;
    case KD_STRS: return x->flexible ? 1 : 2;
    default: return 1; /* every struct schema here has a field or a tag section */
    }
}

/* One field of struct s into obj. */
static int kd_read_field(kd_ctx *x, kcur *c, const kd_schema *s, const kd_field *f, cJSON *obj)
{
    const int64_t at = kd_pos(x, c);
    switch ((kd_type)f->type) {
    case KD_I8: {
        int8_t v;
        KE_RET_IF(!kcur_i8(c, &v), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        if (f->hook == KD_HOOK_TXN_STATUS) {
            char buf[24];
            const char *name = buf;
            if (v >= 0 && (size_t)v < sizeof kd_txn_states / sizeof kd_txn_states[0])
                name = kd_txn_states[v];
            else
                snprintf(buf, sizeof buf, "Unknown(%d)", v);
            return kd_attach(x, c, obj, f->name, cJSON_CreateString(name));
        }
        return kd_attach(x, c, obj, f->name, kd_json_int(v));
    }
    case KD_I16: {
        int16_t v;
        KE_RET_IF(!kcur_i16(c, &v), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        return kd_attach(x, c, obj, f->name, kd_json_int(v));
    }
    case KD_U16: {
        uint16_t v;
        KE_RET_IF(!kcur_u16(c, &v), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        return kd_attach(x, c, obj, f->name, kd_json_int(v));
    }
    case KD_I32: {
        int32_t v;
        KE_RET_IF(!kcur_i32(c, &v), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        return kd_attach(x, c, obj, f->name, kd_json_int(v));
    }
    case KD_I64: {
        int64_t v;
        KE_RET_IF(!kcur_i64(c, &v), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        return kd_attach(x, c, obj, f->name, kd_json_i64(v));
    }
    case KD_F64: {
        int64_t bits;
        double d;
        KE_RET_IF(!kcur_i64(c, &bits), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        memcpy(&d, &bits, sizeof d); /* IEEE 754 binary64, big-endian on the wire */
        return kd_attach(x, c, obj, f->name, cJSON_CreateNumber(d)); /* NaN/inf print as null */
    }
    case KD_BOOL: {
        uint8_t v;
        KE_RET_IF(!kcur_u8(c, &v), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        return kd_attach(x, c, obj, f->name, cJSON_CreateBool(v != 0)); /* Kafka: any non-zero */
    }
    case KD_UUID: {
        const uint8_t *u;
        KE_RET_IF(!kcur_bytes(c, 16, &u), x->e, KE_SHORT, at, "%s.%s: runs past the end", s->name, f->name);
        return kd_attach(x, c, obj, f->name, kd_json_base64(u, 16, true));
    }
    case KD_STR:
    case KD_BYTES: {
        const bool is_str = f->type == KD_STR;
        int64_t len;
        const uint8_t *p;
        KE_FORWARD(kd_len(x, c, !is_str, s, f, &len));
        if (len < 0) {
            KE_RET_IF(x->version < f->nullable_from, x->e, KE_CORRUPT, at,
                      "%s.%s: null in a non-nullable field", s->name, f->name);
            return kd_attach(x, c, obj, f->name, cJSON_CreateNull());
        }
        /* Kafka's readers refuse compact strings longer than Short.MAX_VALUE. */
        KE_RET_IF(is_str && len > 0x7fff, x->e, KE_CORRUPT, at, "%s.%s: string length %" PRId64
                  " over 32767", s->name, f->name, len);
        KE_RET_IF((uint64_t)len > kcur_left(c) || !kcur_bytes(c, (size_t)len, &p), x->e, KE_SHORT, at,
                  "%s.%s: %" PRId64 " bytes, only %zu left", s->name, f->name, len, kcur_left(c));
        if (is_str) {
            if (f->hook == KD_HOOK_PROTOCOL_TYPE) x->consumer = len == 8 && memcmp(p, "consumer", 8) == 0;
            return kd_attach(x, c, obj, f->name, kd_json_text(p, (size_t)len));
        }
        if (x->consumer && (f->hook == KD_HOOK_SUBSCRIPTION || f->hook == KD_HOOK_ASSIGNMENT)) {
            cJSON *d = kd_consumer_blob(p, (size_t)len, f->hook == KD_HOOK_SUBSCRIPTION
                                                            ? &kd_consumer_subscription
                                                            : &kd_consumer_assignment);
            if (d) return kd_attach(x, c, obj, f->name, d);
        }
        return kd_attach(x, c, obj, f->name, kd_json_base64(p, (size_t)len, false));
    }
    case KD_I32S:
    case KD_UUIDS:
    case KD_STRS:
    case KD_STRUCTS: {
        int64_t count;
        KE_FORWARD(kd_len(x, c, true, s, f, &count));
        if (count < 0) {
            KE_RET_IF(x->version < f->nullable_from, x->e, KE_CORRUPT, at,
                      "%s.%s: null in a non-nullable array", s->name, f->name);
            return kd_attach(x, c, obj, f->name, cJSON_CreateNull());
        }
        /* Bound the count by the bytes left before allocating anything for it. */
        KE_RET_IF((uint64_t)count > kcur_left(c) / kd_elem_min(x, f), x->e, KE_SHORT, at,
                  "%s.%s: %" PRId64 " elements cannot fit in %zu bytes", s->name, f->name, count,
                  kcur_left(c));
        cJSON *arr = cJSON_CreateArray();
        KE_FORWARD(kd_attach(x, c, obj, f->name, arr));
        return kd_read_array(x, c, s, f, count, arr);
    }
    case KD_STRUCT: {
        cJSON *o = cJSON_CreateObject();
        KE_FORWARD(kd_attach(x, c, obj, f->name, o));
        return kd_read_struct(x, c, f->sub, o);
    }
    }
    return ke_set(x->e, KE_USAGE, at, "%s.%s: bad schema type %d", s->name, f->name, f->type);
}

/* The tagged-field section that ends every struct of a flexible version. */
static int kd_read_tags(kd_ctx *x, kcur *c, const kd_schema *s, cJSON *obj)
{
    uint32_t count;
    cJSON *unknown = NULL;
    KE_FORWARD(kd_uvarint(x, c, &count, s, "tagged field count"));
    for (uint32_t i = 0; i < count; i++) {
        uint32_t tag, size;
        const int64_t at = kd_pos(x, c);
        KE_FORWARD(kd_uvarint(x, c, &tag, s, "tag"));
        const int64_t size_at = kd_pos(x, c);
        KE_FORWARD(kd_uvarint(x, c, &size, s, "tag size"));
        KE_RET_IF(size > kcur_left(c), x->e, KE_SHORT, size_at,
                  "%s: tagged field %" PRIu32 " of %" PRIu32 " bytes, only %zu left", s->name, tag, size,
                  kcur_left(c));
        const uint8_t *data;
        kcur_bytes(c, size, &data); /* cannot fail: size <= bytes left */
        kcur sub = kcur_make(data, size);
        const kd_field *f = NULL;
        for (size_t k = 0; k < s->nfields; k++)
            if (s->fields[k].tag >= 0 && (uint32_t)s->fields[k].tag == tag && kd_in(&s->fields[k], x->version))
                f = &s->fields[k];
        if (f) {
            KE_RET_IF(cJSON_GetObjectItemCaseSensitive(obj, f->name) != NULL, x->e, KE_CORRUPT, at,
                      "%s.%s: tag %" PRIu32 " appears twice", s->name, f->name, tag);
            KE_FORWARD(kd_read_field(x, &sub, s, f, obj));
            KE_RET_IF(kcur_left(&sub) != 0, x->e, KE_CORRUPT, kd_pos(x, &sub),
                      "%s.%s: tagged field leaves %zu of its %" PRIu32 " bytes unread", s->name, f->name,
                      kcur_left(&sub), size);
            continue;
        }
        if (!unknown) {
            unknown = cJSON_CreateArray();
            KE_FORWARD(kd_attach(x, c, obj, "unknownTaggedFields", unknown));
        }
        cJSON *u = cJSON_CreateObject();
        KE_FORWARD(kd_attach(x, c, unknown, NULL, u));
        KE_FORWARD(kd_attach(x, c, u, "tag", kd_json_int(tag)));
        KE_FORWARD(kd_attach(x, c, u, "data", kd_json_base64(sub.p, size, false)));
    }
    return 0;
}

/* The fixed fields of s present at x->version, then its tags if flexible. */
static int kd_read_struct(kd_ctx *x, kcur *c, const kd_schema *s, cJSON *obj)
{
    for (size_t i = 0; i < s->nfields; i++) {
        const kd_field *f = &s->fields[i];
        if (f->tag < 0 && kd_in(f, x->version)) KE_FORWARD(kd_read_field(x, c, s, f, obj));
    }
    if (x->flexible) KE_FORWARD(kd_read_tags(x, c, s, obj));
    return 0;
}

/* A top-level message m at version v into a new object; NULL on failure. */
static cJSON *kd_read_message(kd_ctx *x, kcur *c, const kd_msg *m, int v)
{
    x->version = v;
    x->flexible = v >= m->flexible_from;
    cJSON *data = cJSON_CreateObject();
    if (!data) {
        kd_nomem(x, c);
        return NULL;
    }
    if (kd_read_struct(x, c, m->schema, data) < 0) {
        cJSON_Delete(data);
        return NULL;
    }
    return data;
}

/* ------------------------------------------------------------------------ */
/* Schemas                                                                   */
/* ------------------------------------------------------------------------ */

/* Field builders: fixed field, nullable field, tagged field, nested struct. */
#define KD_F(n, t, v0, v1) { n, t, v0, v1, KD_NEVER, -1, KD_HOOK_NONE, NULL }
#define KD_FN(n, t, v0, v1, nv) { n, t, v0, v1, nv, -1, KD_HOOK_NONE, NULL }
#define KD_FH(n, t, v0, v1, nv, h) { n, t, v0, v1, nv, -1, h, NULL }
#define KD_FT(n, t, v0, tg, nv) { n, t, v0, KD_ANY, nv, tg, KD_HOOK_NONE, NULL }
#define KD_FS(n, t, v0, v1, nv, s) { n, t, v0, v1, nv, -1, KD_HOOK_NONE, &s }
#define KD_SCHEMA(var, nm, ...)                                                          \
    static const kd_field var##_fields[] = { __VA_ARGS__ };                              \
    static const kd_schema var = { nm, var##_fields, sizeof var##_fields / sizeof var##_fields[0] }
#define KD_EMPTY_SCHEMA(var, nm) static const kd_schema var = { nm, NULL, 0 }

/* ConsumerProtocolSubscription / Assignment (clients/.../common/message), v0-3. */
KD_SCHEMA(kd_cp_topic_partition, "TopicPartition",
    KD_F("topic", KD_STR, 0, KD_ANY),
    KD_F("partitions", KD_I32S, 0, KD_ANY));
KD_SCHEMA(kd_cp_subscription, "ConsumerProtocolSubscription",
    KD_F("topics", KD_STRS, 0, KD_ANY),
    KD_FN("userData", KD_BYTES, 0, KD_ANY, 0),
    KD_FS("ownedPartitions", KD_STRUCTS, 1, KD_ANY, KD_NEVER, kd_cp_topic_partition),
    KD_F("generationId", KD_I32, 2, KD_ANY),
    KD_FN("rackId", KD_STR, 3, KD_ANY, 3));
KD_SCHEMA(kd_cp_assignment, "ConsumerProtocolAssignment",
    KD_FS("assignedPartitions", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_cp_topic_partition),
    KD_FN("userData", KD_BYTES, 0, KD_ANY, 0));
static const kd_msg kd_consumer_subscription = { &kd_cp_subscription, 3, KD_NEVER };
static const kd_msg kd_consumer_assignment = { &kd_cp_assignment, 3, KD_NEVER };

/* __consumer_offsets (formats doc 9.1; group-coordinator/.../common/message). */
KD_SCHEMA(kd_offset_commit_key, "OffsetCommitKey",
    KD_F("group", KD_STR, 0, KD_ANY),
    KD_F("topic", KD_STR, 0, KD_ANY),
    KD_F("partition", KD_I32, 0, KD_ANY));
KD_SCHEMA(kd_group_metadata_key, "GroupMetadataKey",
    KD_F("group", KD_STR, 0, KD_ANY));
KD_SCHEMA(kd_group_key, "GroupIdKey",
    KD_F("groupId", KD_STR, 0, KD_ANY));
KD_SCHEMA(kd_group_member_key, "GroupIdMemberIdKey",
    KD_F("groupId", KD_STR, 0, KD_ANY),
    KD_F("memberId", KD_STR, 0, KD_ANY));
KD_SCHEMA(kd_group_regex_key, "ConsumerGroupRegularExpressionKey",
    KD_F("groupId", KD_STR, 0, KD_ANY),
    KD_F("regularExpression", KD_STR, 0, KD_ANY));

/* v0 offset, metadata, commitTimestamp; v1 adds expireTimestamp; v2 = v0;
 * v3 adds leaderEpoch; v4 = v3 flexible. */
KD_SCHEMA(kd_offset_commit_value_s, "OffsetCommitValue",
    KD_F("offset", KD_I64, 0, KD_ANY),
    KD_F("leaderEpoch", KD_I32, 3, KD_ANY),
    KD_F("metadata", KD_STR, 0, KD_ANY),
    KD_F("commitTimestamp", KD_I64, 0, KD_ANY),
    KD_F("expireTimestamp", KD_I64, 1, 1));
static const kd_msg kd_offset_commit_value = { &kd_offset_commit_value_s, 4, 4 };

KD_SCHEMA(kd_member_metadata, "MemberMetadata",
    KD_F("memberId", KD_STR, 0, KD_ANY),
    KD_FN("groupInstanceId", KD_STR, 3, KD_ANY, 3),
    KD_F("clientId", KD_STR, 0, KD_ANY),
    KD_F("clientHost", KD_STR, 0, KD_ANY),
    KD_F("rebalanceTimeout", KD_I32, 1, KD_ANY),
    KD_F("sessionTimeout", KD_I32, 0, KD_ANY),
    KD_FH("subscription", KD_BYTES, 0, KD_ANY, KD_NEVER, KD_HOOK_SUBSCRIPTION),
    KD_FH("assignment", KD_BYTES, 0, KD_ANY, KD_NEVER, KD_HOOK_ASSIGNMENT));
KD_SCHEMA(kd_group_metadata_value_s, "GroupMetadataValue",
    KD_FH("protocolType", KD_STR, 0, KD_ANY, KD_NEVER, KD_HOOK_PROTOCOL_TYPE),
    KD_F("generation", KD_I32, 0, KD_ANY),
    KD_FN("protocol", KD_STR, 0, KD_ANY, 0),
    KD_FN("leader", KD_STR, 0, KD_ANY, 0),
    KD_F("currentStateTimestamp", KD_I64, 2, KD_ANY),
    KD_FS("members", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_member_metadata));
static const kd_msg kd_group_metadata_value = { &kd_group_metadata_value_s, 4, 4 };

/*
 * Record types (the key's int16). 0-15 as in trunk 1eb7644349cb (formats doc
 * 9.1); 16 and 17 from the later coordinator-key schemas. A type with no
 * value message keeps its value undecoded (KIP-848/932/1071 values changed
 * while those KIPs were in development).
 */
static const struct kd_offsets_type {
    const char *name;
    const kd_schema *key;
    const kd_msg *value;
} kd_offsets_types[] = {
    { "LegacyOffsetCommit", &kd_offset_commit_key, &kd_offset_commit_value },
    { "OffsetCommit", &kd_offset_commit_key, &kd_offset_commit_value },
    { "GroupMetadata", &kd_group_metadata_key, &kd_group_metadata_value },
    { "ConsumerGroupMetadata", &kd_group_key, NULL },
    { "ConsumerGroupPartitionMetadata", &kd_group_key, NULL },
    { "ConsumerGroupMemberMetadata", &kd_group_member_key, NULL },
    { "ConsumerGroupTargetAssignmentMetadata", &kd_group_key, NULL },
    { "ConsumerGroupTargetAssignmentMember", &kd_group_member_key, NULL },
    { "ConsumerGroupCurrentMemberAssignment", &kd_group_member_key, NULL },
    { "ShareGroupPartitionMetadata", &kd_group_key, NULL },
    { "ShareGroupMemberMetadata", &kd_group_member_key, NULL },
    { "ShareGroupMetadata", &kd_group_key, NULL },
    { "ShareGroupTargetAssignmentMetadata", &kd_group_key, NULL },
    { "ShareGroupTargetAssignmentMember", &kd_group_member_key, NULL },
    { "ShareGroupCurrentMemberAssignment", &kd_group_member_key, NULL },
    { "ShareGroupStatePartitionMetadata", &kd_group_key, NULL },
    { "ConsumerGroupRegularExpression", &kd_group_regex_key, NULL },
    { "StreamsGroupMetadata", &kd_group_key, NULL },
};

/* __transaction_state (formats doc 9.2). */
KD_SCHEMA(kd_txn_key_s, "TransactionLogKey",
    KD_F("transactionalId", KD_STR, 0, KD_ANY));
KD_SCHEMA(kd_txn_partitions, "PartitionsSchema",
    KD_F("topic", KD_STR, 0, KD_ANY),
    KD_F("partitionIds", KD_I32S, 0, KD_ANY));
KD_SCHEMA(kd_txn_value_s, "TransactionLogValue",
    KD_F("producerId", KD_I64, 0, KD_ANY),
    KD_FT("previousProducerId", KD_I64, 1, 0, KD_NEVER),
    KD_FT("nextProducerId", KD_I64, 1, 1, KD_NEVER),
    KD_F("producerEpoch", KD_I16, 0, KD_ANY),
    KD_F("transactionTimeoutMs", KD_I32, 0, KD_ANY),
    KD_FH("transactionStatus", KD_I8, 0, KD_ANY, KD_NEVER, KD_HOOK_TXN_STATUS),
    KD_FS("transactionPartitions", KD_STRUCTS, 0, KD_ANY, 0, kd_txn_partitions),
    KD_F("transactionLastUpdateTimestampMs", KD_I64, 0, KD_ANY),
    KD_F("transactionStartTimestampMs", KD_I64, 0, KD_ANY),
    KD_FT("clientTransactionVersion", KD_I16, 1, 2, KD_NEVER));
static const kd_msg kd_txn_value_m = { &kd_txn_value_s, 1, 1 };

/* KRaft metadata records: every version flexible. */
KD_SCHEMA(kd_broker_endpoint, "BrokerEndpoint",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("host", KD_STR, 0, KD_ANY),
    KD_F("port", KD_U16, 0, KD_ANY),
    KD_F("securityProtocol", KD_I16, 0, KD_ANY));
KD_SCHEMA(kd_feature_range, "Feature",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("minSupportedVersion", KD_I16, 0, KD_ANY),
    KD_F("maxSupportedVersion", KD_I16, 0, KD_ANY));
KD_SCHEMA(kd_m_register_broker, "RegisterBrokerRecord",
    KD_F("brokerId", KD_I32, 0, KD_ANY),
    KD_F("isMigratingZkBroker", KD_BOOL, 2, KD_ANY),
    KD_F("incarnationId", KD_UUID, 0, KD_ANY),
    KD_F("brokerEpoch", KD_I64, 0, KD_ANY),
    KD_FS("endPoints", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_broker_endpoint),
    KD_FS("features", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_feature_range),
    KD_FN("rack", KD_STR, 0, KD_ANY, 0),
    KD_F("fenced", KD_BOOL, 0, KD_ANY),
    KD_F("inControlledShutdown", KD_BOOL, 1, KD_ANY),
    KD_FT("logDirs", KD_UUIDS, 3, 0, KD_NEVER));
KD_SCHEMA(kd_m_unregister_broker, "UnregisterBrokerRecord",
    KD_F("brokerId", KD_I32, 0, KD_ANY),
    KD_F("brokerEpoch", KD_I64, 0, KD_ANY));
KD_SCHEMA(kd_m_topic, "TopicRecord",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("topicId", KD_UUID, 0, KD_ANY));
KD_SCHEMA(kd_m_partition, "PartitionRecord",
    KD_F("partitionId", KD_I32, 0, KD_ANY),
    KD_F("topicId", KD_UUID, 0, KD_ANY),
    KD_F("replicas", KD_I32S, 0, KD_ANY),
    KD_F("isr", KD_I32S, 0, KD_ANY),
    KD_F("removingReplicas", KD_I32S, 0, KD_ANY),
    KD_F("addingReplicas", KD_I32S, 0, KD_ANY),
    KD_F("leader", KD_I32, 0, KD_ANY),
    KD_FT("leaderRecoveryState", KD_I8, 0, 0, KD_NEVER),
    KD_F("leaderEpoch", KD_I32, 0, KD_ANY),
    KD_F("partitionEpoch", KD_I32, 0, KD_ANY),
    KD_F("directories", KD_UUIDS, 1, KD_ANY),
    KD_FT("eligibleLeaderReplicas", KD_I32S, 2, 1, 2),
    KD_FT("lastKnownElr", KD_I32S, 2, 2, 2));
KD_SCHEMA(kd_m_config, "ConfigRecord",
    KD_F("resourceType", KD_I8, 0, KD_ANY),
    KD_F("resourceName", KD_STR, 0, KD_ANY),
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_FN("value", KD_STR, 0, KD_ANY, 0));
KD_SCHEMA(kd_m_partition_change, "PartitionChangeRecord",
    KD_F("partitionId", KD_I32, 0, KD_ANY),
    KD_F("topicId", KD_UUID, 0, KD_ANY),
    KD_FT("isr", KD_I32S, 0, 0, 0),
    KD_FT("leader", KD_I32, 0, 1, KD_NEVER),
    KD_FT("replicas", KD_I32S, 0, 2, 0),
    KD_FT("removingReplicas", KD_I32S, 0, 3, 0),
    KD_FT("addingReplicas", KD_I32S, 0, 4, 0),
    KD_FT("leaderRecoveryState", KD_I8, 0, 5, KD_NEVER),
    KD_FT("directories", KD_UUIDS, 1, 8, 1),
    KD_FT("eligibleLeaderReplicas", KD_I32S, 2, 6, 2),
    KD_FT("lastKnownElr", KD_I32S, 2, 7, 2));
KD_SCHEMA(kd_m_fence_broker, "FenceBrokerRecord",
    KD_F("id", KD_I32, 0, KD_ANY),
    KD_F("epoch", KD_I64, 0, KD_ANY));
KD_SCHEMA(kd_m_unfence_broker, "UnfenceBrokerRecord",
    KD_F("id", KD_I32, 0, KD_ANY),
    KD_F("epoch", KD_I64, 0, KD_ANY));
KD_SCHEMA(kd_m_remove_topic, "RemoveTopicRecord",
    KD_F("topicId", KD_UUID, 0, KD_ANY));
KD_SCHEMA(kd_m_delegation_token, "DelegationTokenRecord",
    KD_F("owner", KD_STR, 0, KD_ANY),
    KD_F("requester", KD_STR, 0, KD_ANY),
    KD_F("renewers", KD_STRS, 0, KD_ANY),
    KD_F("issueTimestamp", KD_I64, 0, KD_ANY),
    KD_F("maxTimestamp", KD_I64, 0, KD_ANY),
    KD_F("expirationTimestamp", KD_I64, 0, KD_ANY),
    KD_F("tokenId", KD_STR, 0, KD_ANY));
KD_SCHEMA(kd_m_user_scram, "UserScramCredentialRecord",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("mechanism", KD_I8, 0, KD_ANY),
    KD_F("salt", KD_BYTES, 0, KD_ANY),
    KD_F("storedKey", KD_BYTES, 0, KD_ANY),
    KD_F("serverKey", KD_BYTES, 0, KD_ANY),
    KD_F("iterations", KD_I32, 0, KD_ANY));
KD_SCHEMA(kd_m_feature_level, "FeatureLevelRecord",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("featureLevel", KD_I16, 0, KD_ANY));
KD_SCHEMA(kd_quota_entity, "EntityData",
    KD_F("entityType", KD_STR, 0, KD_ANY),
    KD_FN("entityName", KD_STR, 0, KD_ANY, 0));
KD_SCHEMA(kd_m_client_quota, "ClientQuotaRecord",
    KD_FS("entity", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_quota_entity),
    KD_F("key", KD_STR, 0, KD_ANY),
    KD_F("value", KD_F64, 0, KD_ANY),
    KD_F("remove", KD_BOOL, 0, KD_ANY));
KD_SCHEMA(kd_m_producer_ids, "ProducerIdsRecord",
    KD_F("brokerId", KD_I32, 0, KD_ANY),
    KD_F("brokerEpoch", KD_I64, 0, KD_ANY),
    KD_F("nextProducerId", KD_I64, 0, KD_ANY));
KD_SCHEMA(kd_m_broker_reg_change, "BrokerRegistrationChangeRecord",
    KD_F("brokerId", KD_I32, 0, KD_ANY),
    KD_F("brokerEpoch", KD_I64, 0, KD_ANY),
    KD_FT("fenced", KD_I8, 0, 0, KD_NEVER),
    KD_FT("inControlledShutdown", KD_I8, 1, 1, KD_NEVER),
    KD_FT("logDirs", KD_UUIDS, 2, 2, KD_NEVER));
KD_SCHEMA(kd_m_acl, "AccessControlEntryRecord",
    KD_F("id", KD_UUID, 0, KD_ANY),
    KD_F("resourceType", KD_I8, 0, KD_ANY),
    KD_F("resourceName", KD_STR, 0, KD_ANY),
    KD_F("patternType", KD_I8, 0, KD_ANY),
    KD_F("principal", KD_STR, 0, KD_ANY),
    KD_F("host", KD_STR, 0, KD_ANY),
    KD_F("operation", KD_I8, 0, KD_ANY),
    KD_F("permissionType", KD_I8, 0, KD_ANY));
KD_SCHEMA(kd_m_remove_acl, "RemoveAccessControlEntryRecord",
    KD_F("id", KD_UUID, 0, KD_ANY));
KD_EMPTY_SCHEMA(kd_m_noop, "NoOpRecord");
KD_SCHEMA(kd_m_zk_migration, "ZkMigrationStateRecord",
    KD_F("zkMigrationState", KD_I8, 0, KD_ANY));
KD_SCHEMA(kd_m_remove_scram, "RemoveUserScramCredentialRecord",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("mechanism", KD_I8, 0, KD_ANY));
KD_SCHEMA(kd_m_begin_txn, "BeginTransactionRecord",
    KD_FT("name", KD_STR, 0, 0, 0));
KD_EMPTY_SCHEMA(kd_m_end_txn, "EndTransactionRecord");
KD_SCHEMA(kd_m_abort_txn, "AbortTransactionRecord",
    KD_FT("reason", KD_STR, 0, 0, 0));
KD_SCHEMA(kd_m_remove_token, "RemoveDelegationTokenRecord",
    KD_F("tokenId", KD_STR, 0, KD_ANY));
KD_SCHEMA(kd_m_register_controller, "RegisterControllerRecord",
    KD_F("controllerId", KD_I32, 0, KD_ANY),
    KD_F("incarnationId", KD_UUID, 0, KD_ANY),
    KD_F("zkMigrationReady", KD_BOOL, 0, KD_ANY),
    KD_FS("endPoints", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_broker_endpoint),
    KD_FS("features", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_feature_range));
KD_SCHEMA(kd_m_clear_elr, "ClearElrRecord",
    KD_F("topicName", KD_STR, 0, KD_ANY));

/*
 * Metadata record types by apiKey. Names and versions from trunk
 * 1eb7644349cb; 28 ClearElrRecord from a later schema. 6 and 16 are names
 * of schemas Kafka removed (in 3.5 and 3.3): shown, never decoded. 13 was
 * never assigned. The apiKey after 28 was not settled in the sources seen.
 */
static const struct kd_meta_type {
    const char *name;
    const kd_schema *schema; /* NULL: name only */
    uint8_t vmax;            /* newest version known */
} kd_meta_types[] = {
    [0] = { "RegisterBrokerRecord", &kd_m_register_broker, 3 },
    [1] = { "UnregisterBrokerRecord", &kd_m_unregister_broker, 0 },
    [2] = { "TopicRecord", &kd_m_topic, 0 },
    [3] = { "PartitionRecord", &kd_m_partition, 2 },
    [4] = { "ConfigRecord", &kd_m_config, 0 },
    [5] = { "PartitionChangeRecord", &kd_m_partition_change, 2 },
    [6] = { "AccessControlRecord", NULL, 0 },
    [7] = { "FenceBrokerRecord", &kd_m_fence_broker, 0 },
    [8] = { "UnfenceBrokerRecord", &kd_m_unfence_broker, 0 },
    [9] = { "RemoveTopicRecord", &kd_m_remove_topic, 0 },
    [10] = { "DelegationTokenRecord", &kd_m_delegation_token, 0 },
    [11] = { "UserScramCredentialRecord", &kd_m_user_scram, 0 },
    [12] = { "FeatureLevelRecord", &kd_m_feature_level, 0 },
    [14] = { "ClientQuotaRecord", &kd_m_client_quota, 0 },
    [15] = { "ProducerIdsRecord", &kd_m_producer_ids, 0 },
    [16] = { "RemoveFeatureLevelRecord", NULL, 0 },
    [17] = { "BrokerRegistrationChangeRecord", &kd_m_broker_reg_change, 2 },
    [18] = { "AccessControlEntryRecord", &kd_m_acl, 0 },
    [19] = { "RemoveAccessControlEntryRecord", &kd_m_remove_acl, 0 },
    [20] = { "NoOpRecord", &kd_m_noop, 0 },
    [21] = { "ZkMigrationStateRecord", &kd_m_zk_migration, 0 },
    [22] = { "RemoveUserScramCredentialRecord", &kd_m_remove_scram, 0 },
    [23] = { "BeginTransactionRecord", &kd_m_begin_txn, 0 },
    [24] = { "EndTransactionRecord", &kd_m_end_txn, 0 },
    [25] = { "AbortTransactionRecord", &kd_m_abort_txn, 0 },
    [26] = { "RemoveDelegationTokenRecord", &kd_m_remove_token, 0 },
    [27] = { "RegisterControllerRecord", &kd_m_register_controller, 0 },
    [28] = { "ClearElrRecord", &kd_m_clear_elr, 0 },
};

/* KRaft control record values (formats doc 3), flexible, read at version 0. */
KD_SCHEMA(kd_c_voter, "Voter",
    KD_F("voterId", KD_I32, 0, KD_ANY),
    KD_F("voterDirectoryId", KD_UUID, 1, KD_ANY));
KD_SCHEMA(kd_c_leader_change, "LeaderChangeMessage",
    KD_F("version", KD_I16, 0, KD_ANY),
    KD_F("leaderId", KD_I32, 0, KD_ANY),
    KD_FS("voters", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_c_voter),
    KD_FS("grantingVoters", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_c_voter));
KD_SCHEMA(kd_c_snapshot_header, "SnapshotHeaderRecord",
    KD_F("version", KD_I16, 0, KD_ANY),
    KD_F("lastContainedLogTimestamp", KD_I64, 0, KD_ANY));
KD_SCHEMA(kd_c_snapshot_footer, "SnapshotFooterRecord",
    KD_F("version", KD_I16, 0, KD_ANY));
KD_SCHEMA(kd_c_kraft_version, "KRaftVersionRecord",
    KD_F("version", KD_I16, 0, KD_ANY),
    KD_F("kRaftVersion", KD_I16, 0, KD_ANY));
KD_SCHEMA(kd_c_endpoint, "Endpoint",
    KD_F("name", KD_STR, 0, KD_ANY),
    KD_F("host", KD_STR, 0, KD_ANY),
    KD_F("port", KD_U16, 0, KD_ANY));
KD_SCHEMA(kd_c_kraft_feature, "KRaftVersionFeature",
    KD_F("minSupportedVersion", KD_I16, 0, KD_ANY),
    KD_F("maxSupportedVersion", KD_I16, 0, KD_ANY));
KD_SCHEMA(kd_c_voters_voter, "Voter",
    KD_F("voterId", KD_I32, 0, KD_ANY),
    KD_F("voterDirectoryId", KD_UUID, 0, KD_ANY),
    KD_FS("endpoints", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_c_endpoint),
    KD_FS("kRaftVersionFeature", KD_STRUCT, 0, KD_ANY, KD_NEVER, kd_c_kraft_feature));
KD_SCHEMA(kd_c_voters, "VotersRecord",
    KD_F("version", KD_I16, 0, KD_ANY),
    KD_FS("voters", KD_STRUCTS, 0, KD_ANY, KD_NEVER, kd_c_voters_voter));
/* EndTxnMarker: int16 version, int32 coordinatorEpoch; never flexible. */
KD_SCHEMA(kd_c_end_txn, "EndTxnMarker",
    KD_F("version", KD_I16, 0, KD_ANY),
    KD_F("coordinatorEpoch", KD_I32, 0, KD_ANY));

/* ------------------------------------------------------------------------ */
/* Public entry points                                                       */
/* ------------------------------------------------------------------------ */

/*
 * 1 when (*p, len) is null, 0 when bytes, KE_USAGE when inconsistent. An
 * empty input given as NULL is pointed at a static byte, so that no pointer
 * arithmetic ever starts from NULL.
 */
static int kd_null_or_usage(const uint8_t **p, int32_t len, ke_error *e, const char *what)
{
    static const uint8_t empty[1];
    if (len < 0) return 1;
    if (!*p && len > 0) return ke_set(e, KE_USAGE, -1, "%s: NULL pointer with length %d", what, (int)len);
    if (!*p) *p = empty;
    return 0;
}

static cJSON *kd_tombstone(ke_error *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToObjectCS(o, "tombstone", cJSON_CreateTrue())) {
        cJSON_Delete(o);
        ke_set(e, KE_NOMEM, -1, "out of memory building the JSON tree");
        return NULL;
    }
    return o;
}

/* A number as a JSON string, the way DumpLogSegments writes coordinator record versions. */
static cJSON *kd_json_numtext(int v)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", v);
    return cJSON_CreateString(buf);
}

/*
 * A new object {k1: v1, [k2: v2,] "data": data, ["trailingBytes": n]}, n being
 * the bytes c has left when `trailing`. Takes v1, v2 and data (freed on
 * failure; any may be NULL from a failed allocation). NULL on failure.
 */
static cJSON *kd_wrap(kd_ctx *x, const kcur *c, const char *k1, cJSON *v1, const char *k2, cJSON *v2,
                      cJSON *data, bool trailing)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !data) {
        cJSON_Delete(v1);
        cJSON_Delete(v2);
        cJSON_Delete(data);
        cJSON_Delete(o);
        kd_nomem(x, c);
        return NULL;
    }
    int rc = kd_attach(x, c, o, k1, v1);
    if (rc == 0 && k2) rc = kd_attach(x, c, o, k2, v2);
    else cJSON_Delete(v2);
    if (rc == 0) rc = kd_attach(x, c, o, "data", data);
    else cJSON_Delete(data);
    if (rc == 0 && trailing && kcur_left(c) > 0)
        rc = kd_attach(x, c, o, "trailingBytes", kd_json_int((int64_t)kcur_left(c)));
    if (rc < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* The record type at the start of a __consumer_offsets key. */
static int kd_offsets_type(kd_ctx *x, kcur *c, const struct kd_offsets_type **t, int16_t *type)
{
    KE_RET_IF(!kcur_i16(c, type), x->e, KE_SHORT, kd_pos(x, c), "__consumer_offsets key: %zu bytes, "
              "the record type needs 2", kcur_left(c));
    KE_RET_IF(*type < 0, x->e, KE_CORRUPT, 0, "__consumer_offsets key: negative record type %d", *type);
    KE_RET_IF((size_t)*type >= sizeof kd_offsets_types / sizeof kd_offsets_types[0], x->e, KE_UNSUPPORTED,
              0, "__consumer_offsets key: unknown record type %d", *type);
    *t = &kd_offsets_types[*type];
    return 0;
}

cJSON *kd_offsets_key(const uint8_t *key, int32_t key_len, ke_error *e)
{
    int n = kd_null_or_usage(&key, key_len, e, "__consumer_offsets key");
    if (n < 0) return NULL;
    if (n) {
        ke_set(e, KE_CORRUPT, -1, "__consumer_offsets record without a key");
        return NULL;
    }
    kd_ctx x = { .base = key, .e = e };
    kcur c = kcur_make(key, (size_t)key_len);
    const struct kd_offsets_type *t = NULL;
    int16_t type = 0;
    if (kd_offsets_type(&x, &c, &t, &type) < 0) return NULL;
    const kd_msg m = { t->key, KD_ANY, KD_NEVER };
    cJSON *data = kd_read_message(&x, &c, &m, type);
    if (!data) return NULL;
    return kd_wrap(&x, &c, "type", kd_json_numtext(type), "name", cJSON_CreateString(t->name), data, true);
}

cJSON *kd_offsets_value(const uint8_t *key, int32_t key_len,
                        const uint8_t *val, int32_t val_len, ke_error *e)
{
    int kn = kd_null_or_usage(&key, key_len, e, "__consumer_offsets key");
    int vn = kd_null_or_usage(&val, val_len, e, "__consumer_offsets value");
    if (kn < 0 || vn < 0) return NULL;
    if (kn) {
        ke_set(e, KE_CORRUPT, -1, "__consumer_offsets record without a key");
        return NULL;
    }
    kd_ctx kx = { .base = key, .e = e };
    kcur kc = kcur_make(key, (size_t)key_len);
    const struct kd_offsets_type *t = NULL;
    int16_t type = 0;
    /* Errors about the key carry positions in the key. */
    if (kd_offsets_type(&kx, &kc, &t, &type) < 0) return NULL;
    if (vn) return kd_tombstone(e);

    kd_ctx x = { .base = val, .e = e };
    kcur c = kcur_make(val, (size_t)val_len);
    int16_t v;
    if (!kcur_i16(&c, &v)) {
        ke_set(e, KE_SHORT, 0, "%s value: %d bytes, the version needs 2", t->name, (int)val_len);
        return NULL;
    }
    if (v < 0) {
        ke_set(e, KE_CORRUPT, 0, "%s value: negative version %d", t->name, v);
        return NULL;
    }
    if (!t->value) {
        /* {"version", "data": null, "raw", "note"}: data null, then two extra members. */
        cJSON *o = kd_wrap(&x, &c, "version", kd_json_numtext(v), NULL, NULL, cJSON_CreateNull(), false);
        if (!o || kd_attach(&x, &c, o, "raw", kd_json_base64(c.p, kcur_left(&c), false)) < 0 ||
            kd_attach(&x, &c, o, "note", cJSON_CreateString("value not decoded: the schema of this "
                                                             "record type is not known")) < 0) {
            cJSON_Delete(o);
            return NULL;
        }
        return o;
    }
    if (v > t->value->vmax) {
        ke_set(e, KE_UNSUPPORTED, 0, "%s value: version %d is newer than %d", t->value->schema->name, v,
               t->value->vmax);
        return NULL;
    }
    cJSON *data = kd_read_message(&x, &c, t->value, v);
    if (!data) return NULL;
    return kd_wrap(&x, &c, "version", kd_json_numtext(v), NULL, NULL, data, true);
}

cJSON *kd_txn_key(const uint8_t *key, int32_t key_len, ke_error *e)
{
    int n = kd_null_or_usage(&key, key_len, e, "__transaction_state key");
    if (n < 0) return NULL;
    if (n) {
        ke_set(e, KE_CORRUPT, -1, "__transaction_state record without a key");
        return NULL;
    }
    kd_ctx x = { .base = key, .e = e };
    kcur c = kcur_make(key, (size_t)key_len);
    int16_t v;
    if (!kcur_i16(&c, &v)) {
        ke_set(e, KE_SHORT, 0, "TransactionLogKey: %d bytes, the version needs 2", (int)key_len);
        return NULL;
    }
    if (v != 0) {
        ke_set(e, v < 0 ? KE_CORRUPT : KE_UNSUPPORTED, 0, "TransactionLogKey: version %d (only 0 exists)", v);
        return NULL;
    }
    const kd_msg m = { &kd_txn_key_s, 0, KD_NEVER };
    cJSON *data = kd_read_message(&x, &c, &m, v);
    if (!data) return NULL;
    return kd_wrap(&x, &c, "type", kd_json_numtext(v), NULL, NULL, data, true);
}

cJSON *kd_txn_value(const uint8_t *val, int32_t val_len, ke_error *e)
{
    int n = kd_null_or_usage(&val, val_len, e, "__transaction_state value");
    if (n < 0) return NULL;
    if (n) return kd_tombstone(e);
    kd_ctx x = { .base = val, .e = e };
    kcur c = kcur_make(val, (size_t)val_len);
    int16_t v;
    if (!kcur_i16(&c, &v)) {
        ke_set(e, KE_SHORT, 0, "TransactionLogValue: %d bytes, the version needs 2", (int)val_len);
        return NULL;
    }
    if (v < 0 || v > kd_txn_value_m.vmax) {
        ke_set(e, v < 0 ? KE_CORRUPT : KE_UNSUPPORTED, 0, "TransactionLogValue: version %d (known: 0-%d)", v,
               kd_txn_value_m.vmax);
        return NULL;
    }
    cJSON *data = kd_read_message(&x, &c, &kd_txn_value_m, v);
    if (!data) return NULL;
    return kd_wrap(&x, &c, "version", kd_json_numtext(v), NULL, NULL, data, true);
}

const char *kd_metadata_type_name(int api_key)
{
    if (api_key < 0 || (size_t)api_key >= sizeof kd_meta_types / sizeof kd_meta_types[0]) return NULL;
    return kd_meta_types[api_key].name;
}

/* One uvarint of the metadata frame, which Kafka requires to fit int16. */
static int kd_frame_field(kd_ctx *x, kcur *c, const char *what, int *out)
{
    static const kd_schema frame = { "metadata record frame", NULL, 0 };
    uint32_t v;
    KE_FORWARD(kd_uvarint(x, c, &v, &frame, what));
    KE_RET_IF(v > 0x7fff, x->e, KE_CORRUPT, kd_pos(x, c), "metadata record frame: %s %" PRIu32
              " over 32767", what, v);
    *out = (int)v;
    return 0;
}

cJSON *kd_metadata_value(const uint8_t *val, int32_t val_len, ke_error *e)
{
    int n = kd_null_or_usage(&val, val_len, e, "metadata record value");
    if (n < 0) return NULL;
    if (n) return kd_tombstone(e);
    kd_ctx x = { .base = val, .e = e };
    kcur c = kcur_make(val, (size_t)val_len);
    int frame = 0, api_key = 0, version = 0;
    if (kd_frame_field(&x, &c, "frame version", &frame) < 0) return NULL;
    if (frame != 1) {
        /* 0 was the 2.8 KRaft preview's frame, which later Kafka refuses too. */
        ke_set(e, KE_UNSUPPORTED, 0, "metadata record: frame version %d (only 1 is supported)", frame);
        return NULL;
    }
    int64_t key_at = kd_pos(&x, &c);
    if (kd_frame_field(&x, &c, "apiKey", &api_key) < 0 ||
        kd_frame_field(&x, &c, "version", &version) < 0)
        return NULL;
    const char *name = kd_metadata_type_name(api_key);
    if (!name) {
        ke_set(e, KE_UNSUPPORTED, key_at, "metadata record: unknown record type (apiKey) %d", api_key);
        return NULL;
    }
    const struct kd_meta_type *t = &kd_meta_types[api_key];
    if (!t->schema || version > t->vmax) {
        char note[96];
        if (!t->schema)
            snprintf(note, sizeof note, "data not decoded: %s is no longer in Kafka", name);
        else
            snprintf(note, sizeof note, "data not decoded: version %d is newer than %d", version, t->vmax);
        cJSON *o = cJSON_CreateObject();
        if (!o) {
            kd_nomem(&x, &c);
            return NULL;
        }
        if (kd_attach(&x, &c, o, "type", cJSON_CreateString(name)) < 0 ||
            kd_attach(&x, &c, o, "version", kd_json_int(version)) < 0 ||
            kd_attach(&x, &c, o, "note", cJSON_CreateString(note)) < 0) {
            cJSON_Delete(o);
            return NULL;
        }
        return o;
    }
    const kd_msg m = { t->schema, t->vmax, 0 };
    cJSON *data = kd_read_message(&x, &c, &m, version);
    if (!data) return NULL;
    if (kcur_left(&c) > 0) {
        /* AbstractApiMessageSerde.read refuses bytes after the message. */
        ke_set(e, KE_CORRUPT, kd_pos(&x, &c), "%s: %zu byte(s) of garbage after the record", name,
               kcur_left(&c));
        cJSON_Delete(data);
        return NULL;
    }
    return kd_wrap(&x, &c, "type", cJSON_CreateString(name), "version", kd_json_int(version), data, false);
}

cJSON *kd_control_value(int16_t control_type, const uint8_t *val, int32_t val_len, ke_error *e)
{
    int n = kd_null_or_usage(&val, val_len, e, "control record value");
    if (n < 0) return NULL;
    if (n) return kd_tombstone(e);
    kd_ctx x = { .base = val, .e = e };
    kcur c = kcur_make(val, (size_t)val_len);
    kd_msg m = { NULL, 0, 0 };
    switch (control_type) {
    case 0:
    case 1: {
        /* EndTransactionMarker: >= 6 bytes, version >= 0, newer read as 0. */
        kcur peek = c;
        int16_t v;
        if (val_len < 6 || !kcur_i16(&peek, &v)) {
            ke_set(e, KE_SHORT, 0, "EndTxnMarker: %d bytes, needs 6", (int)val_len);
            return NULL;
        }
        if (v < 0) {
            ke_set(e, KE_CORRUPT, 0, "EndTxnMarker: negative version %d", v);
            return NULL;
        }
        m = (kd_msg){ &kd_c_end_txn, KD_ANY, KD_NEVER };
        break;
    }
    case 2: m.schema = &kd_c_leader_change; break;
    case 3: m.schema = &kd_c_snapshot_header; break;
    case 4: m.schema = &kd_c_snapshot_footer; break;
    case 5: m.schema = &kd_c_kraft_version; break;
    case 6: m.schema = &kd_c_voters; break;
    default:
        ke_set(e, KE_UNSUPPORTED, -1, "control record type %d has no known value", control_type);
        return NULL;
    }
    cJSON *o = kd_read_message(&x, &c, &m, 0);
    if (o && kcur_left(&c) > 0 &&
        kd_attach(&x, &c, o, "trailingBytes", kd_json_int((int64_t)kcur_left(&c))) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
