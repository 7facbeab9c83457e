/*
 * identity.h - duplicates by business identity (docs/report.md,
 * "Duplicates by identity"): what --identity REGEX=SPEC means for one
 * record, and how two records with one identity differ.
 *
 * Owns: kid_spec (key, value, header:NAME or json:PATH), kid_rules (the
 * --identity options in order: the first whose REGEX matches a topic
 * wins), a record's identity as 128 bits or the reason it has none, the
 * hashes that tell equal copies (kid_content) from copies that differ only
 * in volatile fields (kid_stable: times, envelopes, tracing), the list of
 * those volatile names, kid_entry (the fixed-size fact of one record with
 * an identity, which the engine sorts across a topic's partitions) and the
 * names of the members two copies differ in (kid_diff).
 *
 * Pure functions over records (reader/batch.h) and JSON (reader/jsonscan.h):
 * no file I/O, no state but what the caller passes. Prefix kid_ (ki_ is
 * reader/index.h's).
 */
#ifndef KAUDIT_AUDIT_IDENTITY_H
#define KAUDIT_AUDIT_IDENTITY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reader/batch.h"
#include "reader/jsonscan.h"
#include "report/preview.h"

enum { KID_KEY, KID_VALUE, KID_HEADER, KID_JSON };

typedef struct kid_spec {
    int kind;                  /* KID_* */
    char text[200];            /* as given: "json:$.payment_id" */
    char header[KJ_MAX_NAME];  /* KID_HEADER: the header's name */
    size_t header_len;
    kj_path path;              /* KID_JSON */
} kid_spec;

/* Parse SPEC (`key`, `value`, `header:NAME`, `json:$.a.b`) into *s. 0, or
 * -1 with why in err (cap bytes). */
int kid_spec_parse(kid_spec *s, const char *text, char *err, size_t cap);

typedef struct kid_rule {
    char *pattern;             /* REGEX as given, owned */
    regex_t re;
    kid_spec spec;
} kid_rule;

/* The --identity options, in the order given. Zero-initialise; free with
 * kid_rules_free. */
typedef struct kid_rules {
    kid_rule *v;
    size_t n;
} kid_rules;

/* Add "REGEX=SPEC" (split at the last '=' followed by a SPEC; REGEX is
 * POSIX extended, as --topics). 0, or -1 with why in err. */
int kid_rules_add(kid_rules *r, const char *arg, char *err, size_t cap);

/* The spec of the first rule whose REGEX matches `topic`, or NULL. */
const kid_spec *kid_rules_match(const kid_rules *r, const char *topic);

/* Free the rules' contents (not r). Accepts an empty set. */
void kid_rules_free(kid_rules *r);

/* Why a record has no identity (it falls back to the byte check). */
enum {
    KID_MISS_NULL_KEY,          /* key: a null key */
    KID_MISS_NULL_VALUE,        /* value or json: a null value (a tombstone) */
    KID_MISS_NO_HEADER,         /* header: no header of that name */
    KID_MISS_NULL_HEADER,       /* header: the header's value is null */
    KID_MISS_NO_FIELD,          /* json: no such member (or one on the way is not an object) */
    KID_MISS_NULL_FIELD,        /* json: the member is null */
    KID_MISS_NOT_OBJECT,        /* json: the value is JSON but not an object */
    KID_MISS_INVALID_JSON,      /* json: the value is not JSON */
    KID_MISS_COUNT
};

/* The reason's name in reports: "null_key", "null_value", "no_header",
 * "null_header", "no_field", "null_field", "not_object", "invalid_json". */
const char *kid_miss_name(int reason);

/* A record's identity. */
typedef struct kid_ident {
    uint64_t lo, hi;           /* 128-bit hash of the identity's text */
    const uint8_t *p;          /* its bytes, as they lie in the record (a JSON string without quotes) */
    int32_t len;
} kid_ident;

/* The identity of record r under spec s into *out: 0, or 1 + a KID_MISS_*
 * reason when it has none. A JSON string counts by its characters (escapes
 * decoded), any other JSON value by its text, so "42" and 42 are one. */
int kid_identity(const kid_spec *s, const kb_record *r, kid_ident *out);

/* A hash of everything a consumer gets: key, value and headers, byte for
 * byte (equal content: the copies are the same bytes). *kv: the hash of
 * the key and value alone (what the byte check compares without
 * --dup-include-headers). */
uint64_t kid_content(const kb_record *r, uint64_t *kv);

/* A hash of the content but for volatile names (kid_volatile): the value's
 * JSON members by path and value (in any order) when it is a JSON object,
 * else its bytes, and headers whose names are not volatile. Not the key: a
 * resend may route anew. */
uint64_t kid_stable(const kb_record *r);

/* Member names already judged (the same few in every record of a topic):
 * volatile or not (kid_volatile), and the hash kid_stable gives the name
 * on a path. Zero-initialise, one per thread; a name of more than 30 bytes,
 * or one holding an escape, is judged each time. */
#define KID_VCACHE 256
typedef struct kid_vcache {
    struct {
        uint64_t hash;         /* of the name's bytes */
        uint8_t len;           /* 0: empty */
        uint8_t flags;         /* identity.c's NAME_* */
        char name[30];
    } slot[KID_VCACHE];
} kid_vcache;

/* kid_identity and, when r has an identity, kid_stable (*stable; else 0),
 * a JSON value walked once; names judged through vc (NULL: none). */
int kid_identity_stable(const kid_spec *s, const kb_record *r, kid_ident *out, uint64_t *stable, kid_vcache *vc);

/* Is a JSON member or header named so volatile: a time or a stamp of the
 * send rather than the business fact? *_at, *time*, timestamp, ts, *_ts,
 * ts_ms, sent*, date, CloudEvents attributes (id, source, specversion,
 * type, time, datacontenttype, dataschema, subject, and their ce_ / ce-
 * forms), tracing headers (traceparent, tracestate, b3, x-b3-*,
 * x-request-id, x-correlation-id, uber-trace-id), case ignored. */
bool kid_volatile(const uint8_t *name, size_t n);

/* A copy among its new producer session's first so many records replays
 * the old session (a producer restarted: duplicate.h, session_start). */
#define KID_SESSION_START 1000

/* kid_entry.flags */
enum {
    KID_F_TXN = 1,              /* a transactional batch's */
    KID_F_SCOPE = 2,            /* inside --offsets and --since/--until: a finding may be made of it */
    KID_F_SINGLE = 4,           /* its batch holds one record */
    KID_F_EARLY = 8             /* among its producer session's first KID_SESSION_START records in this log */
};

/*
 * Facts of one visible record with an identity, for the engine's stage
 * across a topic's partitions: fixed size, sorted and spilled as is, so
 * kept to what the stage compares (80 bytes; 10 M records, 800 MB to sort
 * or spill). The identity's text is not here: a finding kept as an example
 * reads its record again.
 */
typedef struct kid_entry {
    uint64_t id_lo, id_hi;     /* its identity (kid_ident) */
    uint64_t content, stable;  /* kid_content, kid_stable */
    int64_t offset;
    int64_t ts;                /* client timestamp, -1 none (equal content and timestamp: identical records) */
    int64_t producer_id;       /* -1 none */
    uint32_t crc;              /* its batch's stored CRC (equal: the same batch again, for all it covers) */
    int32_t sequence;          /* -1 none */
    int32_t delta;             /* its offset less its batch's base offset (same job and base: same batch) */
    uint32_t job;              /* the engine's: which partition's audit it came from */
    int16_t epoch;
    uint16_t pass;             /* the engine's: which pass of that audit */
    uint8_t flags;             /* KID_F_* */
} kid_entry;

/* The comma list of what differs between records a and b (sorted: JSON
 * members as $.a.b, headers as header:NAME, "key", "value" for a value
 * that is not a JSON object on both sides) into out (cap bytes; "" when
 * none; cut at a member's end with ",..." when it does not fit). *beyond:
 * something that is not volatile differs. */
void kid_diff(const kb_record *a, const kb_record *b, char *out, size_t cap, bool *beyond);

#endif
