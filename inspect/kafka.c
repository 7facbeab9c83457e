/* kafka.c - kafka-dump-log.sh's own lines; see kafka.h. */
#include "inspect/kafka.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "reader/codec.h"
#include "reader/cursor.h"
#include "reader/text.h"
#include "report/escape.h"

/* ---- small pieces --------------------------------------------------------- */

static const char *tf(bool b) { return b ? "true" : "false"; }

/* TimestampType.toString(). */
static const char *ts_type(int t)
{
    return t == KB_TS_LOG_APPEND ? "LogAppendTime" : t == KB_TS_CREATE ? "CreateTime" : "NoTimestampType";
}

const char *ik_java_path(const char *path, bool absolute, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    if (cap == 0) return out;
    /* getAbsolutePath resolves a relative path against user.dir, the
     * working directory the JVM started in. */
    if (absolute && path[0] != '/' && getcwd(out, cap)) {
        n = strlen(out);
        if (path[0] && n + 1 < cap && (n == 0 || out[n - 1] != '/')) out[n++] = '/';
    }
    /* UnixFileSystem.normalize: repeated separators as one, none at the end. */
    for (const char *s = path; *s && n + 1 < cap; s++) {
        if (*s == '/' && n > 0 && out[n - 1] == '/') continue;
        out[n++] = *s;
    }
    if (n > 1 && out[n - 1] == '/') n--;
    out[n] = '\0';
    return out;
}

/* The file name of a path (java.io.File.getName). */
static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Long.parseLong of the file name up to its first '.' (what
 * DumpLogSegments takes as a segment's base offset): true and *v when it
 * is a number (Kafka throws otherwise, and kaudit prints no line). */
static bool name_offset(const char *name, int64_t *v)
{
    const char *s = name;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    if (!isdigit((unsigned char)*s)) return false;
    uint64_t x = 0;
    for (; isdigit((unsigned char)*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (x > (UINT64_C(9223372036854775808) - d) / 10) return false;
        x = x * 10 + d;
    }
    if (*s && *s != '.') return false;
    if (!neg && x > (uint64_t)INT64_MAX) return false;
    *v = neg ? (int64_t)(0 - x) : (int64_t)x;
    return true;
}

/* Bytes as Java's new String(bytes, UTF_8) reads them (Kafka's
 * StringDecoder, a header key): each ill-formed sequence, its maximal
 * subpart, is one U+FFFD; then in report/escape.h's text form. */
static void put_java(FILE *f, const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t plain = es_plain_span(b + i, n - i);
        fwrite(b + i, 1, plain, f);
        i += plain;
        if (i >= n) return;
        size_t skip = 1;
        size_t len = tx_utf8_seq(b + i, n - i, &skip);
        if (len == 0) {
            fputs("\xef\xbf\xbd", f);
            i += skip;
            continue;
        }
        es_fwrite(b + i, len, f); /* a control: \xNN */
        i += len;
    }
}

/* A key or value for the string decoder, or its redaction token. */
static void put_field(in_printer *p, const uint8_t *b, int32_t len, int what)
{
    if (!(p->redact & what)) {
        put_java(p->out, b, (size_t)len);
        return;
    }
    fprintf(p->out, "[redacted: %" PRId32 " bytes, token %016" PRIx64 "]", len,
            ka_redact_token(b, (size_t)len, p->redact_key));
}

/* A cJSON tree as Jackson's JsonNode.toString writes it (compact). */
static void put_json(FILE *f, const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s) {
        fputs("null", f);
        return;
    }
    es_fputs(s, f);
    free(s);
}

/* ---- files ------------------------------------------------------------------ */

void ik_file(in_printer *p, const kl_file *f)
{
    char path[4096];
    FILE *o = p->out;
    fputs("Dumping ", o);
    es_fputs(ik_java_path(f->path, false, path, sizeof path), o);
    fputc('\n', o);
    const char *name = base_name(f->path);
    size_t n = strlen(name);
    int64_t start;
    if (n >= 4 && strcmp(name + n - 4, ".log") == 0) {
        if (name_offset(name, &start)) fprintf(o, "Log starting offset: %" PRId64 "\n", start);
        return;
    }
    if (n < 11 || strcmp(name + n - 11, ".checkpoint") != 0) return;
    if (strcmp(name, "bootstrap.checkpoint") == 0) fputs("KRaft bootstrap snapshot\n", o);
    else if (f->kind == KL_KRAFT_SNAPSHOT && f->base_offset >= 0)
        fprintf(o, "Snapshot end offset: %" PRId64 ", epoch: %" PRId32 "\n", f->base_offset, f->epoch);
}

void ik_ignored(in_printer *p, const char *path)
{
    char jp[4096];
    if (!p->err) return;
    fputs("Ignoring unknown file ", p->err);
    es_fputs(ik_java_path(path, false, jp, sizeof jp), p->err);
    fputc('\n', p->err);
}

void ik_trailing(in_printer *p, const char *path, int64_t bytes)
{
    fprintf(p->out, "Found %" PRId64 " invalid bytes at the end of ", bytes);
    es_fputs(base_name(path), p->out);
    fputc('\n', p->out);
}

void ik_index_said(in_printer *p, const char *file, const char *words)
{
    char jp[4096];
    es_fputs(ik_java_path(file, false, jp, sizeof jp), p->out);
    fprintf(p->out, " %s\n", words);
}

/* ---- batches ------------------------------------------------------------------ */

void ik_batch(in_printer *p, const kb_batch *b)
{
    FILE *o = p->out;
    if (b->magic >= 2) {
        fprintf(o, "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %" PRId32 " baseSequence: %" PRId32
                   " lastSequence: %" PRId32 " producerId: %" PRId64 " producerEpoch: %d partitionLeaderEpoch: %" PRId32
                   " isTransactional: %s isControl: %s deleteHorizonMs: ",
                b->base_offset, b->last_offset, b->count, b->base_sequence, b->last_sequence, b->producer_id,
                b->producer_epoch, b->partition_leader_epoch, tf(b->is_transactional), tf(b->is_control));
        /* RecordBatch.deleteHorizonMs() is an OptionalLong, printed as Java
         * prints one. */
        if (b->has_delete_horizon) fprintf(o, "OptionalLong[%" PRId64 "]", b->base_timestamp);
        else fputs("OptionalLong.empty", o);
    } else {
        /* A legacy entry is named by its own offset: a compressed
         * wrapper's is its last inner message's. */
        fprintf(o, "offset: %" PRId64, b->last_offset);
    }
    fprintf(o, " position: %" PRId64 " %s: %" PRId64 " size: %" PRIu32 " magic: %d compresscodec: %s crc: %" PRIu32
               " isvalid: %s\n",
            b->pos, ts_type(b->timestamp_type), b->max_timestamp, b->size, b->magic, kc_name(b->codec), b->crc,
            tf(b->crc_valid));
}

/* ---- records -------------------------------------------------------------- */

/* Kafka's JSON of a decoded tree: reader/decode.h's shape, less what
 * kaudit adds (a coordinator key's "name", the "version" kaudit writes
 * first in a consumer protocol subscription or assignment), and with the
 * transaction state as the number the schema holds. */
static void kafka_key_json(cJSON *key)
{
    cJSON_DeleteItemFromObjectCaseSensitive(key, "name");
}

static void drop_protocol_versions(cJSON *data)
{
    cJSON *members = cJSON_GetObjectItemCaseSensitive(data, "members");
    cJSON *m;
    cJSON_ArrayForEach(m, members)
    {
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(m, "subscription");
        cJSON *asg = cJSON_GetObjectItemCaseSensitive(m, "assignment");
        if (cJSON_IsObject(sub)) cJSON_DeleteItemFromObjectCaseSensitive(sub, "version");
        if (cJSON_IsObject(asg)) cJSON_DeleteItemFromObjectCaseSensitive(asg, "version");
    }
}

/* TransactionState ids (TransactionLogValue.transactionStatus). */
static int txn_state_id(const char *name)
{
    static const char *const names[] = { "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
                                         "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence" };
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0) return i;
    int id;
    return sscanf(name, "Unknown(%d)", &id) == 1 ? id : -1;
}

static void kafka_txn_value(cJSON *val)
{
    cJSON *data = cJSON_GetObjectItemCaseSensitive(val, "data");
    cJSON *st = cJSON_GetObjectItemCaseSensitive(data, "transactionStatus");
    if (cJSON_IsString(st))
        cJSON_ReplaceItemInObjectCaseSensitive(data, "transactionStatus", cJSON_CreateNumber(txn_state_id(st->valuestring)));
    /* Kafka's JSON follows the schema, where the tagged producer ids come
     * right after producerId; reader/decode.h adds tagged fields last. */
    cJSON *prev = cJSON_DetachItemFromObjectCaseSensitive(data, "previousProducerId");
    cJSON *next = cJSON_DetachItemFromObjectCaseSensitive(data, "nextProducerId");
    int at = 1;
    if (prev) cJSON_InsertItemInArray(data, at++, prev);
    if (next) cJSON_InsertItemInArray(data, at, next);
}

/* MetadataRecordType's name: the schema name in upper snake case
 * (MessageGenerator.toSnakeCase, then toUpperCase): "TopicRecord" is
 * TOPIC_RECORD. */
static void kafka_metadata_type(cJSON *val)
{
    cJSON *t = cJSON_GetObjectItemCaseSensitive(val, "type");
    if (!cJSON_IsString(t)) return;
    char up[128];
    size_t n = 0;
    bool prev_cap = true;
    for (const char *s = t->valuestring; *s && n + 2 < sizeof up; s++) {
        bool cap = isupper((unsigned char)*s);
        if (cap && !prev_cap) up[n++] = '_';
        up[n++] = (char)toupper((unsigned char)*s);
        prev_cap = cap;
    }
    up[n] = '\0';
    cJSON_ReplaceItemInObjectCaseSensitive(val, "type", cJSON_CreateString(up));
}

static bool tombstone(const cJSON *v) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "tombstone")); }

/* The key and payload of a data record, after its metadata (or first on
 * the line when that is skipped, behind the record indent). */
static void put_content(in_printer *p, const kb_record *r, ik_content *c)
{
    FILE *o = p->out;
    const char *prefix = p->skip_meta ? "| " : " ";
    int dec = c ? c->decoder : KAUDIT_DECODE_NONE;
    if (dec == KAUDIT_DECODE_NONE) {
        if (r->key) {
            fprintf(o, "%skey: ", prefix);
            put_field(p, r->key, r->key_len, KA_REDACT_KEYS);
            prefix = " ";
        }
        if (r->value) {
            fprintf(o, "%spayload: ", prefix);
            put_field(p, r->value, r->value_len, KA_REDACT_VALUES);
        }
        return;
    }
    if (dec == KAUDIT_DECODE_METADATA) {
        /* No key: the whole record is the value. */
        fprintf(o, "%spayload: ", prefix);
        if (c->value && !tombstone(c->value)) {
            kafka_metadata_type(c->value);
            put_json(o, c->value);
        } else {
            fprintf(o, "Error at %" PRId64 ", skipping. ", r->offset);
            es_fputs(c->err ? c->err->msg : "the record has no value", o);
        }
        return;
    }
    /* The coordinators' decoders: a key and value that both decode, or
     * one word on the key. */
    if (!c->key || !c->value) {
        int16_t type = r->key && r->key_len >= 2 ? (int16_t)kbe16(r->key) : -1;
        if (c->err && c->err->code == KE_UNSUPPORTED && !c->key && type >= 0)
            fprintf(o, "%skey: Unknown record type %d at offset %" PRId64 ", skipping.", prefix, type, r->offset);
        else {
            fprintf(o, "%skey: Error at offset %" PRId64 ", skipping. ", prefix, r->offset);
            es_fputs(c->err ? c->err->msg : "the record did not decode", o);
        }
        return;
    }
    kafka_key_json(c->key);
    fprintf(o, "%skey: ", prefix);
    put_json(o, c->key);
    fputs(" payload: ", o);
    if (tombstone(c->value)) {
        fputs("<DELETE>", o);
        return;
    }
    if (dec == KAUDIT_DECODE_TRANSACTIONS) kafka_txn_value(c->value);
    else drop_protocol_versions(cJSON_GetObjectItemCaseSensitive(c->value, "data"));
    put_json(o, c->value);
}

/* The control record's part of its line (DumpLogSegments'
 * printControlRecord). */
static void put_control(FILE *o, const kb_record *r, int ctype, int32_t cepoch, cJSON *cval)
{
    /* ControlRecordType.parseTypeId: a version >= 0, then the type. */
    if (!r->key || r->key_len < 4 || (int16_t)kbe16(r->key) < 0) return;
    int16_t id = (int16_t)kbe16(r->key + 2);
    const char *label = NULL;
    switch (ctype) {
    case KB_CTRL_ABORT:
    case KB_CTRL_COMMIT:
        fprintf(o, " endTxnMarker: %s coordinatorEpoch: %" PRId32, kb_control_name(ctype), cepoch);
        return;
    case KB_CTRL_LEADER_CHANGE: label = " LeaderChange: "; break;
    case KB_CTRL_SNAPSHOT_HEADER: label = " SnapshotHeader "; break;
    case KB_CTRL_SNAPSHOT_FOOTER: label = " SnapshotFooter "; break;
    case KB_CTRL_KRAFT_VERSION: label = " KRaftVersion "; break;
    case KB_CTRL_KRAFT_VOTERS: label = " KRaftVoters "; break;
    }
    if (label && cval) {
        fputs(label, o);
        put_json(o, cval);
        return;
    }
    /* Kafka's default branch; also a known type whose value did not decode
     * (Kafka would stop with an exception; kaudit says why on stderr). */
    fprintf(o, " controlType: %s(%d)", kb_control_name(ctype), id);
}

void ik_record(in_printer *p, const kb_batch *b, const kb_record *r, int64_t timestamp, int ctype, int32_t cepoch,
               cJSON *cval, ik_content *c)
{
    FILE *o = p->out;
    if (!p->skip_meta) {
        fprintf(o, "| offset: %" PRId64 " %s: %" PRId64 " keySize: %" PRId32 " valueSize: %" PRId32, r->offset,
                ts_type(b->timestamp_type), timestamp, r->key_len, r->value_len);
        if (b->magic >= 2) {
            fprintf(o, " sequence: %" PRId32 " headerKeys: [", r->sequence);
            kcur hc = kcur_make(r->headers, r->headers_len);
            kb_header h;
            for (int i = 0; kb_header_next(&hc, &h); i++) {
                if (i) fputc(',', o);
                put_java(o, h.key, (size_t)h.key_len);
            }
            fputc(']', o);
        } else {
            fprintf(o, " isValid: %s crc: %" PRIu32, tf(r->crc_valid), r->crc);
        }
        if (b->is_control) put_control(o, r, ctype, cepoch, cval);
    }
    if (p->payload && !b->is_control) put_content(p, r, c);
    fputc('\n', o);
}

int64_t ik_timestamp(const kb_batch *b, const kb_record *r, kcur before)
{
    if (b->magic < 2 || !b->has_delete_horizon || b->timestamp_type != KB_TS_CREATE) return r->timestamp;
    int32_t len;
    int8_t attributes;
    int64_t delta;
    if (!kcur_varint(&before, &len) || !kcur_i8(&before, &attributes) || !kcur_varlong(&before, &delta))
        return r->timestamp;
    return (int64_t)((uint64_t)b->base_timestamp + (uint64_t)delta);
}

/* ---- indexes and snapshots ------------------------------------------------ */

void ik_offset_entry(in_printer *p, const ki_offset_entry *e)
{
    fprintf(p->out, "offset: %" PRId64 " position: %" PRId32 "\n", e->offset, e->position);
}

void ik_time_entry(in_printer *p, const ki_time_entry *e)
{
    fprintf(p->out, "timestamp: %" PRId64 " offset: %" PRId64 "\n", e->timestamp, e->offset);
}

void ik_txn_entry(in_printer *p, const ki_txn_entry *e)
{
    /* AbortedTxn.version() reads the first byte of the int16 field. */
    int version = (int8_t)((uint16_t)e->version >> 8);
    fprintf(p->out,
            "version: %d producerId: %" PRId64 " firstOffset: %" PRId64 " lastOffset: %" PRId64
            " lastStableOffset: %" PRId64 "\n",
            version, e->producer_id, e->first_offset, e->last_offset, e->last_stable_offset);
}

void ik_snapshot_entry(in_printer *p, const kp_entry *e)
{
    FILE *o = p->out;
    fprintf(o, "producerId: %" PRId64 " producerEpoch: %d coordinatorEpoch: %" PRId32 " currentTxnFirstOffset: ",
            e->producer_id, e->epoch, e->coordinator_epoch);
    /* ProducerStateEntry.currentTxnFirstOffset() is an OptionalLong. */
    if (e->current_txn_first_offset >= 0) fprintf(o, "OptionalLong[%" PRId64 "]", e->current_txn_first_offset);
    else fputs("OptionalLong.empty", o);
    fprintf(o, " lastTimestamp: %" PRId64, e->timestamp);
    /* The entry's batch metadata exists when it holds a last offset; its
     * timestamp is the entry's own. */
    if (kp_has_batch(e))
        fprintf(o, " firstSequence: %" PRId32 " lastSequence: %" PRId32 " lastOffset: %" PRId64 " offsetDelta: %" PRId32
                   " timestamp: %" PRId64,
                kp_first_sequence(e), e->last_sequence, e->last_offset, e->offset_delta, e->timestamp);
    fputc('\n', o);
}
