/* print.c - the lines of `kaudit dump` in text and JSONL; see print.h. */
#include "inspect/print.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "inspect/kafka.h"
#include "reader/codec.h"
#include "reader/cursor.h"
#include "reader/text.h"
#include "report/escape.h"

void in_printer_init(in_printer *p, FILE *out, const kaudit_dump_options *o)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->jsonl = o->format == KAUDIT_DUMP_JSONL;
    p->kafka = o->format == KAUDIT_DUMP_KAFKA;
    p->err = p->kafka ? o->kafka_err : NULL;
    p->skip_meta = p->kafka && o->skip_record_metadata;
    p->payload = o->payload;
    p->redact = o->redact;
    p->redact_key = o->redact_key;
    p->partition = -1;
    int fd = fileno(out);
    p->hold = !(fd >= 0 && isatty(fd)); /* a person watching sees each line as it comes */
    jw_init(&p->w);
    jw_memo_init(&p->file_memo);
    jw_memo_init(&p->topic_memo);
}

void in_printer_free(in_printer *p)
{
    if (!p) return;
    jw_free(&p->w);
    jw_memo_free(&p->file_memo);
    jw_memo_free(&p->topic_memo);
}

int in_printer_flush(in_printer *p)
{
    errno = 0;
    int rc = jw_flush(&p->w, p->out);
    if (rc < 0 && errno && !p->write_errno) p->write_errno = errno; /* the stream may not say it again */
    return rc;
}

/* ---- small pieces --------------------------------------------------------- */

/* Milliseconds since the epoch as ISO 8601 UTC into buf; "-" for negative
 * values (no timestamp) and for times after 9999-12-31 (not a real time).
 * Returns buf. */
static const char *time_text(int64_t ms, char *buf, size_t cap)
{
    if (ms < 0 || ms / 1000 > (int64_t)253402300799) {
        snprintf(buf, cap, "-");
        return buf;
    }
    tx_time_utc(ms, TX_TIME_MS, buf, cap);
    return buf;
}

/* Bytes for a human: as they are when printable UTF-8 text (nothing
 * report/escape.h escapes, and no '\'), else byte by byte: printable ASCII
 * as it is, '\' as \\, every other byte as \xNN. NULL prints "null". */
static void put_bytes(FILE *f, const uint8_t *p, int64_t len)
{
    if (!p || len < 0) {
        fputs("null", f);
        return;
    }
    bool text = es_plain_span(p, (size_t)len) == (size_t)len && !memchr(p, '\\', (size_t)len);
    if (text) {
        fwrite(p, 1, (size_t)len, f);
        return;
    }
    for (int64_t i = 0; i < len; i++) {
        if (p[i] == '\\') fputs("\\\\", f);
        else if (p[i] >= 0x20 && p[i] < 0x7f) fputc(p[i], f);
        else fprintf(f, "\\x%02x", p[i]);
    }
}

/* Bytes for JSON, or {"redacted":true,"size":N,"token":"..."} when `what`
 * is redacted (null stays null: its absence is not content). */
static void json_field(in_printer *p, const uint8_t *b, int64_t len, int what)
{
    jw *w = &p->w;
    if (!(p->redact & what) || !b) {
        jw_bytes(w, b, len);
        return;
    }
    char tok[20];
    snprintf(tok, sizeof tok, "%016" PRIx64, ka_redact_token(b, (size_t)len, p->redact_key));
    jw_obj_begin(w);
    jw_nbool(w, JW_NAME("redacted"), true);
    jw_nint(w, JW_NAME("size"), len);
    jw_nstr(w, JW_NAME("token"), tok);
    jw_obj_end(w);
}

static void text_field(in_printer *p, const uint8_t *b, int64_t len, int what)
{
    if (!(p->redact & what) || !b) {
        put_bytes(p->out, b, len);
        return;
    }
    fprintf(p->out, "[redacted: %" PRId64 " bytes, token %016" PRIx64 "]", len,
            ka_redact_token(b, (size_t)len, p->redact_key));
}

/* A JSONL object of `type` about `file`: begin, fill, end. */
static void line_begin(in_printer *p, const char *type, const char *file)
{
    jw_obj_begin(&p->w);
    jw_nstr(&p->w, JW_NAME("type"), type);
    jw_name(&p->w, JW_NAME("file"));
    jw_str_memo(&p->w, &p->file_memo, file);
}

/* Lines are kept until IN_FLUSH_AT bytes of them are built, then written
 * in one call (in_printer_flush writes the rest). */
enum { IN_FLUSH_AT = 64 << 10 };

static void line_end(in_printer *p)
{
    jw_obj_end(&p->w);
    jw_end_line(&p->w);
    if (p->w.len >= IN_FLUSH_AT || !p->hold) in_printer_flush(p);
}

static const char *ts_type_name(int t)
{
    return t == KB_TS_LOG_APPEND ? "log_append" : t == KB_TS_CREATE ? "create" : "none";
}

static const char *ts_type_text(int t)
{
    return t == KB_TS_LOG_APPEND ? "LogAppendTime" : t == KB_TS_CREATE ? "CreateTime" : "NoTimestampType";
}

/* ---- errors and files ------------------------------------------------------ */

void in_print_error(in_printer *p, const ke_error *e)
{
    const char *file = e->file ? e->file : "-";
    if (p->jsonl) {
        jw *w = &p->w;
        jw_obj_begin(w);
        jw_kstr(w, "type", "error");
        jw_kstr(w, "file", file);
        jw_kint(w, "position", e->pos);
        jw_kstr(w, "code", ke_strerror(e->code));
        jw_kstr(w, "message", e->msg);
        line_end(p);
        return;
    }
    /* Kafka's lines leave no room for ours on stdout: they go where
     * kafka-dump-log.sh writes its own complaints. */
    FILE *to = p->kafka ? p->err : p->out;
    if (!to) return;
    /* Names and paths from the data, and words quoting them, go out in
     * report/escape.h's text form here and below. */
    fprintf(to, "%s ", e->code == KE_LIVE ? "NOTE" : "ERROR");
    es_fputs(file, to);
    if (e->pos >= 0) fprintf(to, " at position %" PRId64, e->pos);
    fputs(": ", to);
    es_fputs(e->msg, to);
    fputc('\n', to);
}

void in_print_file(in_printer *p, const kl_file *f, const char *topic, int32_t partition)
{
    p->topic = topic;
    p->partition = topic ? partition : -1;
    if (p->kafka) {
        ik_file(p, f);
        return;
    }
    if (p->jsonl) {
        jw *w = &p->w;
        jw_obj_begin(w);
        jw_kstr(w, "type", "file");
        jw_kstr(w, "file", f->path);
        jw_kstr(w, "kind", kl_kind_name(f->kind));
        if (topic) jw_kstr(w, "topic", topic);
        if (f->base_offset >= 0) jw_kint(w, "base_offset", f->base_offset);
        if (f->epoch >= 0) jw_kint(w, "epoch", f->epoch);
        line_end(p);
        return;
    }
    fputs("Dumping ", p->out), es_fputs(f->path, p->out), fputc('\n', p->out);
    if (f->kind == KL_SEGMENT) fprintf(p->out, "Log starting offset: %" PRId64 "\n", f->base_offset);
    else if (f->kind == KL_KRAFT_SNAPSHOT && f->base_offset >= 0)
        fprintf(p->out, "Snapshot end offset: %" PRId64 ", epoch: %d\n", f->base_offset, f->epoch);
    else if (f->kind == KL_KRAFT_SNAPSHOT) fprintf(p->out, "KRaft bootstrap snapshot\n");
}

void in_print_transient(in_printer *p, const kl_file *f)
{
    if (p->jsonl || p->kafka) return;
    fputs("Skipping ", p->out);
    es_fputs(f->path, p->out);
    fprintf(p->out, ": a %s file the broker is replacing or deleting (transient)\n", kl_kind_name(f->base_kind));
}

/* ---- batches and records ---------------------------------------------------- */

void in_print_batch(in_printer *p, const char *file, const kb_batch *b)
{
    if (p->kafka) {
        ik_batch(p, b);
        return;
    }
    if (p->jsonl) {
        jw *w = &p->w;
        jw_obj_begin(w);
        jw_nstr(w, JW_NAME("type"), "batch");
        jw_name(w, JW_NAME("file"));
        jw_str_memo(w, &p->file_memo, file);
        jw_nint(w, JW_NAME("position"), b->pos);
        jw_nint(w, JW_NAME("base_offset"), b->base_offset);
        jw_nint(w, JW_NAME("last_offset"), b->last_offset);
        jw_nint(w, JW_NAME("count"), b->count);
        jw_nint(w, JW_NAME("magic"), b->magic);
        jw_nstr(w, JW_NAME("codec"), kc_name(b->codec));
        jw_nuint(w, JW_NAME("crc"), b->crc);
        jw_nbool(w, JW_NAME("crc_valid"), b->crc_valid);
        jw_nint(w, JW_NAME("partition_leader_epoch"), b->partition_leader_epoch);
        jw_nint(w, JW_NAME("producer_id"), b->producer_id);
        jw_nint(w, JW_NAME("producer_epoch"), b->producer_epoch);
        jw_nint(w, JW_NAME("base_sequence"), b->base_sequence);
        jw_nint(w, JW_NAME("last_sequence"), b->last_sequence);
        jw_nbool(w, JW_NAME("is_transactional"), b->is_transactional);
        jw_nbool(w, JW_NAME("is_control"), b->is_control);
        jw_nstr(w, JW_NAME("timestamp_type"), ts_type_name(b->timestamp_type));
        jw_nint(w, JW_NAME("base_timestamp"), b->base_timestamp);
        jw_nint(w, JW_NAME("max_timestamp"), b->max_timestamp);
        if (b->has_delete_horizon) jw_nint(w, JW_NAME("delete_horizon_ms"), b->base_timestamp);
        jw_nint(w, JW_NAME("size"), b->size);
        line_end(p);
        return;
    }
    char t[40];
    FILE *f = p->out;
    if (b->magic < 2) {
        fprintf(f, "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %d position: %" PRId64
                   " %s: %" PRId64 " (%s) size: %u magic: %d compresscodec: %s crc: %u isvalid: %s\n",
                b->base_offset, b->last_offset, b->count, b->pos, ts_type_text(b->timestamp_type),
                b->max_timestamp, time_text(b->max_timestamp, t, sizeof t), b->size, b->magic,
                kc_name(b->codec), b->crc, b->crc_valid ? "true" : "false");
        return;
    }
    fprintf(f, "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %d baseSequence: %d lastSequence: %d"
               " producerId: %" PRId64 " producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %s"
               " isControl: %s",
            b->base_offset, b->last_offset, b->count, b->base_sequence, b->last_sequence, b->producer_id,
            b->producer_epoch, b->partition_leader_epoch, b->is_transactional ? "true" : "false",
            b->is_control ? "true" : "false");
    if (b->has_delete_horizon) fprintf(f, " deleteHorizonMs: %" PRId64, b->base_timestamp);
    fprintf(f, " position: %" PRId64 " %s: %" PRId64 " (%s) size: %u magic: 2 compresscodec: %s crc: %u"
               " isvalid: %s\n",
            b->pos, ts_type_text(b->timestamp_type), b->max_timestamp, time_text(b->max_timestamp, t, sizeof t),
            b->size, kc_name(b->codec), b->crc, b->crc_valid ? "true" : "false");
}

static void record_json(in_printer *p, const char *file, const kb_batch *b, const kb_record *r, int ctype,
                        int32_t cepoch, const cJSON *dkey, const cJSON *dval)
{
    jw *w = &p->w;
    jw_obj_begin(w);
    jw_nstr(w, JW_NAME("type"), "record");
    jw_name(w, JW_NAME("file"));
    jw_str_memo(w, &p->file_memo, file);
    jw_nint(w, JW_NAME("position"), b->pos);
    jw_nint(w, JW_NAME("offset"), r->offset);
    jw_nint(w, JW_NAME("timestamp"), r->timestamp);
    jw_nint(w, JW_NAME("sequence"), r->sequence);
    /* Where the record is, without a join with its batch line. */
    jw_nint(w, JW_NAME("base_offset"), b->base_offset);
    jw_nint(w, JW_NAME("producer_id"), b->producer_id);
    if (p->topic) {
        jw_name(w, JW_NAME("topic"));
        jw_str_memo(w, &p->topic_memo, p->topic);
        jw_nint(w, JW_NAME("partition"), p->partition);
    }
    if (b->magic < 2) {
        jw_nuint(w, JW_NAME("crc"), r->crc);
        jw_nbool(w, JW_NAME("crc_valid"), r->crc_valid);
    }
    if (b->is_control) {
        jw_nstr(w, JW_NAME("control_type"), kb_control_name(ctype));
        if (ctype == KB_CTRL_ABORT || ctype == KB_CTRL_COMMIT) jw_nint(w, JW_NAME("coordinator_epoch"), cepoch);
    } else {
        jw_name(w, JW_NAME("key"));
        json_field(p, r->key, r->key_len, KA_REDACT_KEYS);
        jw_name(w, JW_NAME("value"));
        json_field(p, r->value, r->value_len, KA_REDACT_VALUES);
        jw_name(w, JW_NAME("headers"));
        jw_arr_begin(w);
        kcur hc = kcur_make(r->headers, r->headers_len);
        kb_header h;
        while (kb_header_next(&hc, &h)) {
            jw_obj_begin(w);
            jw_name(w, JW_NAME("key"));
            jw_bytes(w, h.key, h.key_len);
            jw_name(w, JW_NAME("value"));
            json_field(p, h.value, h.value_len, KA_REDACT_HEADERS);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    if (dkey || dval) {
        jw_name(w, JW_NAME("decoded"));
        jw_obj_begin(w);
        char *s;
        if (dkey && (s = cJSON_PrintUnformatted(dkey))) {
            jw_name(w, JW_NAME("key"));
            jw_raw(w, s);
            free(s);
        }
        if (dval && (s = cJSON_PrintUnformatted(dval))) {
            jw_name(w, JW_NAME("value"));
            jw_raw(w, s);
            free(s);
        }
        jw_obj_end(w);
    }
    line_end(p);
}

static void record_text(in_printer *p, const kb_batch *b, const kb_record *r, int ctype, int32_t cepoch,
                        const cJSON *dkey, const cJSON *dval)
{
    FILE *f = p->out;
    bool control = b->is_control;
    char t[40];
    fprintf(f, "| offset: %" PRId64 " %s: %" PRId64 " (%s) keySize: %d valueSize: %d", r->offset,
            ts_type_text(b->timestamp_type), r->timestamp, time_text(r->timestamp, t, sizeof t), r->key_len,
            r->value_len);
    if (b->magic >= 2) {
        fprintf(f, " sequence: %d headerKeys: [", r->sequence);
        kcur hc = kcur_make(r->headers, r->headers_len);
        kb_header h;
        for (int i = 0; kb_header_next(&hc, &h); i++) {
            if (i) fputc(',', f);
            put_bytes(f, h.key, h.key_len);
        }
        fputc(']', f);
    } else {
        fprintf(f, " isValid: %s crc: %u", r->crc_valid ? "true" : "false", r->crc);
    }
    if (control) {
        if (ctype == KB_CTRL_ABORT || ctype == KB_CTRL_COMMIT)
            fprintf(f, " endTxnMarker: %s coordinatorEpoch: %d", kb_control_name(ctype), cepoch);
        else fprintf(f, " controlType: %s", kb_control_name(ctype));
    }
    if (p->payload && (dkey || dval)) {
        char *s;
        if (dkey && (s = cJSON_PrintUnformatted(dkey))) {
            fputs(" key: ", f), es_fputs(s, f);
            free(s);
        }
        if (dval && (s = cJSON_PrintUnformatted(dval))) {
            fputs(" payload: ", f), es_fputs(s, f);
            free(s);
        }
    } else if (p->payload && !control) {
        if (r->key) {
            fputs(" key: ", f);
            text_field(p, r->key, r->key_len, KA_REDACT_KEYS);
        }
        if (r->value) {
            fputs(" payload: ", f);
            text_field(p, r->value, r->value_len, KA_REDACT_VALUES);
        }
        kcur hc = kcur_make(r->headers, r->headers_len);
        kb_header h;
        for (int i = 0; kb_header_next(&hc, &h); i++) {
            fputs(i ? ", " : " headers: ", f);
            put_bytes(f, h.key, h.key_len);
            fputc('=', f);
            text_field(p, h.value, h.value_len, KA_REDACT_HEADERS);
        }
    }
    fputc('\n', f);
}

void in_print_record(in_printer *p, const char *file, const kb_batch *b, const kb_record *r, int ctype,
                     int32_t cepoch, const cJSON *dkey, const cJSON *dval)
{
    if (p->jsonl) record_json(p, file, b, r, ctype, cepoch, dkey, dval);
    else record_text(p, b, r, ctype, cepoch, dkey, dval);
}

/* ---- indexes and snapshots ------------------------------------------------- */

void in_print_offset_entry(in_printer *p, const char *file, const ki_offset_entry *e, int64_t entry_pos)
{
    if (p->kafka) {
        ik_offset_entry(p, e);
        return;
    }
    if (!p->jsonl) {
        fprintf(p->out, "offset: %" PRId64 " position: %d\n", e->offset, e->position);
        return;
    }
    line_begin(p, "index_entry", file);
    jw_kstr(&p->w, "kind", "offset");
    jw_kint(&p->w, "offset", e->offset);
    jw_kint(&p->w, "position", e->position);
    jw_kint(&p->w, "entry_position", entry_pos);
    line_end(p);
}

void in_print_time_entry(in_printer *p, const char *file, const ki_time_entry *e, int64_t entry_pos)
{
    if (p->kafka) {
        ik_time_entry(p, e);
        return;
    }
    if (!p->jsonl) {
        char t[40];
        fprintf(p->out, "timestamp: %" PRId64 " (%s) offset: %" PRId64 "\n", e->timestamp,
                time_text(e->timestamp, t, sizeof t), e->offset);
        return;
    }
    line_begin(p, "index_entry", file);
    jw_kstr(&p->w, "kind", "time");
    jw_kint(&p->w, "timestamp", e->timestamp);
    jw_kint(&p->w, "offset", e->offset);
    jw_kint(&p->w, "entry_position", entry_pos);
    line_end(p);
}

void in_print_txn_entry(in_printer *p, const char *file, const ki_txn_entry *e, int64_t entry_pos)
{
    if (p->kafka) {
        ik_txn_entry(p, e);
        return;
    }
    if (!p->jsonl) {
        fprintf(p->out, "version: %d producerId: %" PRId64 " firstOffset: %" PRId64 " lastOffset: %" PRId64
                        " lastStableOffset: %" PRId64 "\n",
                e->version, e->producer_id, e->first_offset, e->last_offset, e->last_stable_offset);
        return;
    }
    line_begin(p, "index_entry", file);
    jw_kstr(&p->w, "kind", "txn");
    jw_kint(&p->w, "version", e->version);
    jw_kint(&p->w, "producer_id", e->producer_id);
    jw_kint(&p->w, "first_offset", e->first_offset);
    jw_kint(&p->w, "last_offset", e->last_offset);
    jw_kint(&p->w, "last_stable_offset", e->last_stable_offset);
    jw_kint(&p->w, "entry_position", entry_pos);
    line_end(p);
}

void in_print_index_empty(in_printer *p, const char *file)
{
    if (!p->jsonl && !p->kafka) es_fputs(file, p->out), fputs(" is empty.\n", p->out);
}

void in_print_index_tail(in_printer *p, size_t free_slots, size_t tail_bytes)
{
    if (!p->jsonl && !p->kafka)
        fprintf(p->out, "(%zu preallocated empty slots, %zu bytes, after the last entry)\n", free_slots, tail_bytes);
}

void in_print_snapshot_entry(in_printer *p, const char *file, const kp_entry *e)
{
    bool has = kp_has_batch(e);
    if (p->kafka) {
        ik_snapshot_entry(p, e);
        return;
    }
    if (p->jsonl) {
        jw *w = &p->w;
        line_begin(p, "snapshot_entry", file);
        jw_kint(w, "producer_id", e->producer_id);
        jw_kint(w, "producer_epoch", e->epoch);
        jw_kint(w, "coordinator_epoch", e->coordinator_epoch);
        jw_kint(w, "current_txn_first_offset", e->current_txn_first_offset);
        jw_kint(w, "last_timestamp", e->timestamp);
        jw_kint(w, "first_sequence", has ? kp_first_sequence(e) : -1);
        jw_kint(w, "last_sequence", e->last_sequence);
        jw_kint(w, "last_offset", e->last_offset);
        jw_kint(w, "offset_delta", e->offset_delta);
        jw_kint(w, "entry_position", e->pos);
        line_end(p);
        return;
    }
    FILE *f = p->out;
    char t[40];
    fprintf(f, "producerId: %" PRId64 " producerEpoch: %d coordinatorEpoch: %d currentTxnFirstOffset: ",
            e->producer_id, e->epoch, e->coordinator_epoch);
    if (e->current_txn_first_offset >= 0) fprintf(f, "%" PRId64, e->current_txn_first_offset);
    else fputs("none", f);
    fprintf(f, " lastTimestamp: %" PRId64 " (%s)", e->timestamp, time_text(e->timestamp, t, sizeof t));
    if (has)
        fprintf(f, " firstSequence: %d lastSequence: %d lastOffset: %" PRId64 " offsetDelta: %d",
                kp_first_sequence(e), e->last_sequence, e->last_offset, e->offset_delta);
    fputc('\n', f);
}

void in_print_snapshot_empty(in_printer *p, const char *file)
{
    if (!p->jsonl && !p->kafka) es_fputs(file, p->out), fputs(" has no producer entries.\n", p->out);
}

/* ---- checkpoints and properties ------------------------------------------- */

void in_print_checkpoint(in_printer *p, const char *file, const char *name, const kk_checkpoint *c)
{
    if (p->kafka) return; /* kafka-dump-log.sh reads no such file */
    FILE *f = p->out;
    if (!p->jsonl && c->version < 0) {
        fprintf(f, "(empty file: no entries)\n");
        return;
    }
    if (!p->jsonl) {
        fprintf(f, "version: %d entries: %zu\n", c->version, c->n);
        for (size_t i = 0; i < c->n; i++) {
            const kk_entry *x = &c->entries[i];
            if (c->kind == KK_LEADER_EPOCH) fprintf(f, "epoch: %d startOffset: %" PRId64 "\n", x->epoch, x->offset);
            else fputs("topic: ", f), es_fputs(x->topic, f),
                fprintf(f, " partition: %d offset: %" PRId64 "\n", x->partition, x->offset);
        }
        return;
    }
    jw *w = &p->w;
    line_begin(p, "checkpoint", file);
    jw_kstr(w, "kind", name);
    jw_kint(w, "version", c->version);
    jw_key(w, "entries");
    jw_arr_begin(w);
    for (size_t i = 0; i < c->n; i++) {
        const kk_entry *x = &c->entries[i];
        jw_obj_begin(w);
        if (c->kind == KK_LEADER_EPOCH) {
            jw_kint(w, "epoch", x->epoch);
            jw_kint(w, "start_offset", x->offset);
        } else {
            jw_kstr(w, "topic", x->topic);
            jw_kint(w, "partition", x->partition);
            jw_kint(w, "offset", x->offset);
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
    line_end(p);
}

void in_print_partition_metadata(in_printer *p, const char *file, const char *name, const kk_partition_metadata *m)
{
    if (p->kafka) return; /* kafka-dump-log.sh reads no such file */
    if (!p->jsonl) {
        fprintf(p->out, "version: %d topic_id: ", m->version);
        es_fputs(m->topic_id, p->out);
        fputc('\n', p->out);
        return;
    }
    line_begin(p, "checkpoint", file);
    jw_kstr(&p->w, "kind", name);
    jw_kint(&p->w, "version", m->version);
    jw_kstr(&p->w, "topic_id", m->topic_id);
    line_end(p);
}

void in_print_meta_properties(in_printer *p, const char *file, const char *name, const kk_meta_properties *m)
{
    if (p->kafka) return; /* kafka-dump-log.sh reads no such file */
    char u[KK_UUID_TEXT_LEN + 1];
    if (m->has_directory_id) kk_uuid_encode(m->directory_id, u);
    if (!p->jsonl) {
        FILE *f = p->out;
        fprintf(f, "version: %d", m->version);
        if (m->has_cluster_id) fputs(" cluster.id: ", f), es_fputs(m->cluster_id, f);
        if (m->has_broker_id) fprintf(f, " broker.id: %d", m->broker_id);
        if (m->has_node_id) fprintf(f, " node.id: %d", m->node_id);
        if (m->has_directory_id) fprintf(f, " directory.id: %s", u);
        fputc('\n', f);
        return;
    }
    jw *w = &p->w;
    line_begin(p, "checkpoint", file);
    jw_kstr(w, "kind", name);
    jw_kint(w, "version", m->version);
    if (m->has_cluster_id) jw_kstr(w, "cluster_id", m->cluster_id);
    if (m->has_broker_id) jw_kint(w, "broker_id", m->broker_id);
    if (m->has_node_id) jw_kint(w, "node_id", m->node_id);
    if (m->has_directory_id) jw_kstr(w, "directory_id", u);
    line_end(p);
}

void in_print_clean_shutdown(in_printer *p, const char *file, const char *name, const kk_clean_shutdown *m)
{
    if (p->kafka) return; /* kafka-dump-log.sh reads no such file */
    if (!p->jsonl) {
        FILE *f = p->out;
        fprintf(f, "clean shutdown marker%s", m->empty ? " (empty: broker before 3.7)" : "");
        if (m->has_broker_epoch) fprintf(f, " version: %d brokerEpoch: %" PRId64, m->version, m->broker_epoch);
        fputc('\n', f);
        return;
    }
    line_begin(p, "checkpoint", file);
    jw_kstr(&p->w, "kind", name);
    if (!m->empty) jw_kint(&p->w, "version", m->version);
    if (m->has_broker_epoch) jw_kint(&p->w, "broker_epoch", m->broker_epoch);
    line_end(p);
}

void in_print_quorum_state(in_printer *p, const char *file, const char *name, const kk_quorum_state *m)
{
    if (p->kafka) return; /* kafka-dump-log.sh reads no such file */
    if (!p->jsonl) {
        FILE *f = p->out;
        fprintf(f, "quorum state:");
        if (m->has_cluster_id) fputs(" clusterId: ", f), es_fputs(m->cluster_id, f);
        if (m->has_leader_id) fprintf(f, " leaderId: %d", m->leader_id);
        if (m->has_leader_epoch) fprintf(f, " leaderEpoch: %d", m->leader_epoch);
        if (m->has_voted_id) fprintf(f, " votedId: %d", m->voted_id);
        if (m->has_applied_offset) fprintf(f, " appliedOffset: %" PRId64, m->applied_offset);
        for (size_t i = 0; i < m->n_voters; i++) fprintf(f, "%s%d", i ? "," : " voters: ", m->voters[i]);
        fputc('\n', f);
        return;
    }
    jw *w = &p->w;
    line_begin(p, "checkpoint", file);
    jw_kstr(w, "kind", name);
    if (m->has_cluster_id) jw_kstr(w, "cluster_id", m->cluster_id);
    if (m->has_leader_id) jw_kint(w, "leader_id", m->leader_id);
    if (m->has_leader_epoch) jw_kint(w, "leader_epoch", m->leader_epoch);
    if (m->has_voted_id) jw_kint(w, "voted_id", m->voted_id);
    if (m->has_applied_offset) jw_kint(w, "applied_offset", m->applied_offset);
    if (m->has_current_voters) {
        jw_key(w, "voters");
        jw_arr_begin(w);
        for (size_t i = 0; i < m->n_voters; i++) jw_int(w, m->voters[i]);
        jw_arr_end(w);
    }
    line_end(p);
}
