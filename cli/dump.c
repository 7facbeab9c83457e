/*
 * dump.c - `kaudit dump`: every file of a Kafka data directory, readable.
 *
 * Text (default) follows kafka-dump-log.sh's vocabulary so operators feel at
 * home, with readable timestamps; --format jsonl is the stable machine
 * format of docs/dump-format.md. All parsing is reader/'s; this file only
 * walks what reader/ returns, filters and prints.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/indexcheck.h"
#include "cli.h"
#include "progress.h"
#include "reader/batch.h"
#include "reader/checkpoint.h"
#include "reader/codec.h"
#include "reader/decode.h"
#include "reader/index.h"
#include "reader/layout.h"
#include "reader/segment.h"
#include "reader/walk.h"
#include "reader/snapshot.h"
#include "report/jsonw.h"

/* Small files (indexes, snapshots, checkpoints) are read whole, up to this. */
#define SMALL_FILE_CAP ((size_t)64 << 20)

enum { DEC_NONE, DEC_AUTO, DEC_OFFSETS, DEC_TXN, DEC_METADATA };

typedef struct dump_opts {
    bool records;          /* a line per record (and validate every record) */
    bool payload;          /* keys, values and headers in text output */
    bool jsonl;            /* --format jsonl */
    bool verify_index;     /* check indexes against the log */
    bool has_pid;
    int64_t pid;           /* --producer-id */
    int64_t off_lo, off_hi; /* --offsets, inclusive; whole range by default */
    bool only_txn, only_control;
    int decode;            /* DEC_* */
    size_t max_entry;
    bool no_cache;
    bool quiet;                 /* no progress line */
    int redact;            /* KA_REDACT_* */
    uint64_t redact_key;
    const char *redact_key_file;
} dump_opts;

typedef struct dumper {
    dump_opts o;
    FILE *out;
    jw w;
    kc_ctx *dc;
    long problems;         /* errors reported about the data */
    long unreadable;       /* inputs that could not be read at all */
    int decode_now;        /* decoder for the file being dumped */
    kx_txns txns;          /* --verify-index: open transactions of the current partition */
} dumper;

/* ---- errors ----------------------------------------------------------- */

static void report_error(dumper *d, const ke_error *e)
{
    /* A live broker changing a file under us is said, not held against the data. */
    if (e->code == KE_IO || e->code == KE_FOREIGN) d->unreadable++;
    else if (e->code != KE_LIVE) d->problems++;
    const char *file = e->file ? e->file : "-";
    if (d->o.jsonl) {
        jw *w = &d->w;
        jw_obj_begin(w);
        jw_kstr(w, "type", "error");
        jw_kstr(w, "file", file);
        jw_kint(w, "position", e->pos);
        jw_kstr(w, "code", ke_strerror(e->code));
        jw_kstr(w, "message", e->msg);
        jw_obj_end(w);
        jw_flush_line(w, d->out);
        return;
    }
    const char *label = e->code == KE_LIVE ? "NOTE" : "ERROR";
    if (e->pos >= 0) fprintf(d->out, "%s %s at position %" PRId64 ": %s\n", label, file, e->pos, e->msg);
    else fprintf(d->out, "%s %s: %s\n", label, file, e->msg);
}

static void file_header(dumper *d, const kl_file *f, const char *topic)
{
    if (d->o.jsonl) {
        jw *w = &d->w;
        jw_obj_begin(w);
        jw_kstr(w, "type", "file");
        jw_kstr(w, "file", f->path);
        jw_kstr(w, "kind", kl_kind_name(f->kind));
        if (topic) jw_kstr(w, "topic", topic);
        if (f->base_offset >= 0) jw_kint(w, "base_offset", f->base_offset);
        if (f->epoch >= 0) jw_kint(w, "epoch", f->epoch);
        jw_obj_end(w);
        jw_flush_line(w, d->out);
        return;
    }
    fprintf(d->out, "Dumping %s\n", f->path);
    if (f->kind == KL_SEGMENT) fprintf(d->out, "Log starting offset: %" PRId64 "\n", f->base_offset);
    else if (f->kind == KL_KRAFT_SNAPSHOT && f->base_offset >= 0)
        fprintf(d->out, "Snapshot end offset: %" PRId64 ", epoch: %d\n", f->base_offset, f->epoch);
    else if (f->kind == KL_KRAFT_SNAPSHOT) fprintf(d->out, "KRaft bootstrap snapshot\n");
}

/* ---- batches and records --------------------------------------------- */

static const char *ts_type_name(int t)
{
    return t == KB_TS_LOG_APPEND ? "log_append" : t == KB_TS_CREATE ? "create" : "none";
}

static const char *ts_type_text(int t)
{
    return t == KB_TS_LOG_APPEND ? "LogAppendTime" : t == KB_TS_CREATE ? "CreateTime" : "NoTimestampType";
}

static bool batch_selected(const dumper *d, const kb_batch *b)
{
    if (d->o.has_pid && b->producer_id != d->o.pid) return false;
    if (d->o.only_txn && !b->is_transactional) return false;
    if (d->o.only_control && !b->is_control) return false;
    return b->last_offset >= d->o.off_lo && b->base_offset <= d->o.off_hi;
}

static void print_batch(dumper *d, const char *file, const kb_batch *b)
{
    if (d->o.jsonl) {
        jw *w = &d->w;
        jw_obj_begin(w);
        jw_kstr(w, "type", "batch");
        jw_kstr(w, "file", file);
        jw_kint(w, "position", b->pos);
        jw_kint(w, "base_offset", b->base_offset);
        jw_kint(w, "last_offset", b->last_offset);
        jw_kint(w, "count", b->count);
        jw_kint(w, "magic", b->magic);
        jw_kstr(w, "codec", kc_name(b->codec));
        jw_kuint(w, "crc", b->crc);
        jw_kbool(w, "crc_valid", b->crc_valid);
        jw_kint(w, "partition_leader_epoch", b->partition_leader_epoch);
        jw_kint(w, "producer_id", b->producer_id);
        jw_kint(w, "producer_epoch", b->producer_epoch);
        jw_kint(w, "base_sequence", b->base_sequence);
        jw_kint(w, "last_sequence", b->last_sequence);
        jw_kbool(w, "is_transactional", b->is_transactional);
        jw_kbool(w, "is_control", b->is_control);
        jw_kstr(w, "timestamp_type", ts_type_name(b->timestamp_type));
        jw_kint(w, "base_timestamp", b->base_timestamp);
        jw_kint(w, "max_timestamp", b->max_timestamp);
        if (b->has_delete_horizon) jw_kint(w, "delete_horizon_ms", b->base_timestamp);
        jw_kint(w, "size", b->size);
        jw_obj_end(w);
        jw_flush_line(w, d->out);
        return;
    }
    char t[40];
    FILE *f = d->out;
    if (b->magic < 2) {
        fprintf(f, "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %d position: %" PRId64
                   " %s: %" PRId64 " (%s) size: %u magic: %d compresscodec: %s crc: %u isvalid: %s\n",
                b->base_offset, b->last_offset, b->count, b->pos, ts_type_text(b->timestamp_type),
                b->max_timestamp, fmt_time(b->max_timestamp, t, sizeof t), b->size, b->magic,
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
            b->pos, ts_type_text(b->timestamp_type), b->max_timestamp, fmt_time(b->max_timestamp, t, sizeof t),
            b->size, kc_name(b->codec), b->crc, b->crc_valid ? "true" : "false");
}

/* Decoded view of an internal topic's record, or NULL. */
static cJSON *decode_record(const dumper *d, const kb_record *r, bool control, int ctype, cJSON **key_out,
                            ke_error *e)
{
    *key_out = NULL;
    if (control) return ctype >= KB_CTRL_LEADER_CHANGE ? kd_control_value((int16_t)ctype, r->value, r->value_len, e) : NULL;
    switch (d->decode_now) {
    case DEC_OFFSETS:
        *key_out = kd_offsets_key(r->key, r->key_len, e);
        return *key_out ? kd_offsets_value(r->key, r->key_len, r->value, r->value_len, e) : NULL;
    case DEC_TXN:
        *key_out = kd_txn_key(r->key, r->key_len, e);
        return *key_out ? kd_txn_value(r->value, r->value_len, e) : NULL;
    case DEC_METADATA: return kd_metadata_value(r->value, r->value_len, e);
    }
    return NULL;
}

/* Bytes for JSON, or {"redacted":true,"size":N,"token":"..."} when `what`
 * is redacted (null stays null: its absence is not content). */
static void json_field(dumper *d, const uint8_t *p, int64_t len, int what)
{
    jw *w = &d->w;
    if (!(d->o.redact & what) || !p) {
        jw_bytes(w, p, len);
        return;
    }
    char tok[20];
    snprintf(tok, sizeof tok, "%016" PRIx64, ka_redact_token(p, (size_t)len, d->o.redact_key));
    jw_obj_begin(w);
    jw_kbool(w, "redacted", true);
    jw_kint(w, "size", len);
    jw_kstr(w, "token", tok);
    jw_obj_end(w);
}

static void text_field(dumper *d, const uint8_t *p, int64_t len, int what)
{
    if (!(d->o.redact & what) || !p) {
        print_bytes(d->out, p, len);
        return;
    }
    fprintf(d->out, "[redacted: %" PRId64 " bytes, token %016" PRIx64 "]", len,
            ka_redact_token(p, (size_t)len, d->o.redact_key));
}

static void print_record_json(dumper *d, const char *file, const kb_batch *b, const kb_record *r, bool control,
                              int ctype, int32_t cepoch, cJSON *dkey, cJSON *dval)
{
    jw *w = &d->w;
    jw_obj_begin(w);
    jw_kstr(w, "type", "record");
    jw_kstr(w, "file", file);
    jw_kint(w, "position", b->pos);
    jw_kint(w, "offset", r->offset);
    jw_kint(w, "timestamp", r->timestamp);
    jw_kint(w, "sequence", r->sequence);
    if (b->magic < 2) {
        jw_kuint(w, "crc", r->crc);
        jw_kbool(w, "crc_valid", r->crc_valid);
    }
    if (control) {
        jw_kstr(w, "control_type", kb_control_name(ctype));
        if (ctype == KB_CTRL_ABORT || ctype == KB_CTRL_COMMIT) jw_kint(w, "coordinator_epoch", cepoch);
    } else {
        jw_key(w, "key");
        json_field(d, r->key, r->key_len, KA_REDACT_KEYS);
        jw_key(w, "value");
        json_field(d, r->value, r->value_len, KA_REDACT_VALUES);
        jw_key(w, "headers");
        jw_arr_begin(w);
        kcur hc = kcur_make(r->headers, r->headers_len);
        kb_header h;
        while (kb_header_next(&hc, &h)) {
            jw_obj_begin(w);
            jw_key(w, "key");
            jw_bytes(w, h.key, h.key_len);
            jw_key(w, "value");
            json_field(d, h.value, h.value_len, KA_REDACT_HEADERS);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    if (dkey || dval) {
        jw_key(w, "decoded");
        jw_obj_begin(w);
        char *s;
        if (dkey && (s = cJSON_PrintUnformatted(dkey))) {
            jw_key(w, "key");
            jw_raw(w, s);
            free(s);
        }
        if (dval && (s = cJSON_PrintUnformatted(dval))) {
            jw_key(w, "value");
            jw_raw(w, s);
            free(s);
        }
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_flush_line(w, d->out);
}

static void print_record_text(dumper *d, const kb_batch *b, const kb_record *r, bool control, int ctype,
                              int32_t cepoch, cJSON *dkey, cJSON *dval)
{
    FILE *f = d->out;
    char t[40];
    fprintf(f, "| offset: %" PRId64 " %s: %" PRId64 " (%s) keySize: %d valueSize: %d", r->offset,
            ts_type_text(b->timestamp_type), r->timestamp, fmt_time(r->timestamp, t, sizeof t), r->key_len,
            r->value_len);
    if (b->magic >= 2) {
        fprintf(f, " sequence: %d headerKeys: [", r->sequence);
        kcur hc = kcur_make(r->headers, r->headers_len);
        kb_header h;
        for (int i = 0; kb_header_next(&hc, &h); i++) {
            if (i) fputc(',', f);
            print_bytes(f, h.key, h.key_len);
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
    if (d->o.payload && (dkey || dval)) {
        char *s;
        if (dkey && (s = cJSON_PrintUnformatted(dkey))) {
            fprintf(f, " key: %s", s);
            free(s);
        }
        if (dval && (s = cJSON_PrintUnformatted(dval))) {
            fprintf(f, " payload: %s", s);
            free(s);
        }
    } else if (d->o.payload && !control) {
        if (r->key) {
            fputs(" key: ", f);
            text_field(d, r->key, r->key_len, KA_REDACT_KEYS);
        }
        if (r->value) {
            fputs(" payload: ", f);
            text_field(d, r->value, r->value_len, KA_REDACT_VALUES);
        }
        kcur hc = kcur_make(r->headers, r->headers_len);
        kb_header h;
        for (int i = 0; kb_header_next(&hc, &h); i++) {
            fputs(i ? ", " : " headers: ", f);
            print_bytes(f, h.key, h.key_len);
            fputc('=', f);
            text_field(d, h.value, h.value_len, KA_REDACT_HEADERS);
        }
    }
    fputc('\n', f);
}

static void dump_records(dumper *d, const char *file, kb_iter *it)
{
    const kb_batch *b = it->b;
    kb_record r;
    ke_error e;
    ke_clear(&e);
    int rc;
    while ((rc = kb_iter_next(it, &r, &e)) == 1) {
        if (r.offset < d->o.off_lo || r.offset > d->o.off_hi) continue;
        int ctype = KB_CTRL_UNKNOWN;
        int32_t cepoch = -1;
        ke_error de;
        ke_clear(&de);
        de.file = file;
        if (b->is_control && kb_control_parse(&r, &ctype, &cepoch, &de) < 0) {
            de.pos = b->pos;
            report_error(d, &de);
        }
        if (!r.crc_valid) {
            ke_error ce;
            ke_clear(&ce);
            ce.file = file;
            ke_set(&ce, KE_CRC, b->pos,
                   "inner message at offset %" PRId64 ": checksum mismatch (CRC-32 stored 0x%08x, computed 0x%08x)",
                   r.offset, r.crc, r.crc_computed);
            report_error(d, &ce);
        }
        cJSON *dkey = NULL, *dval = NULL;
        /* Decoded internal records would show what --redact hides. */
        bool want_decode = (d->o.jsonl || d->o.payload) && !d->o.redact;
        if (want_decode && (b->is_control || d->decode_now != DEC_NONE)) {
            dval = decode_record(d, &r, b->is_control, ctype, &dkey, &de);
            if (!dval && !dkey && de.code < 0) {
                de.pos = b->pos;
                char msg[KE_MSG_MAX];
                snprintf(msg, sizeof msg, "%s", de.msg);
                ke_set(&de, de.code, b->pos, "record at offset %" PRId64 " cannot be decoded: %s", r.offset, msg);
                report_error(d, &de);
            }
        }
        if (d->o.jsonl) print_record_json(d, file, b, &r, b->is_control, ctype, cepoch, dkey, dval);
        else print_record_text(d, b, &r, b->is_control, ctype, cepoch, dkey, dval);
        cJSON_Delete(dkey);
        cJSON_Delete(dval);
    }
    if (rc < 0) {
        e.file = file;
        report_error(d, &e);
    }
}


/* ---- --verify-index ---------------------------------------------------- */

static void on_mismatch(void *arg, const ke_error *e, int64_t offset)
{
    (void)offset;
    report_error(arg, e);
}

/* Type of a control batch's marker (reads its one record), else UNKNOWN. */
static int marker_type(dumper *d, kb_batch *b)
{
    if (!b->is_control || b->count == 0) return KB_CTRL_UNKNOWN;
    kb_batch copy = *b;
    kb_iter it;
    kb_record r;
    ke_error e;
    int type = KB_CTRL_UNKNOWN;
    int32_t ep;
    if (kb_iter_open(&it, &copy, d->dc, &e) == 0 && kb_iter_next(&it, &r, &e) == 1) kb_control_parse(&r, &type, &ep, &e);
    return type;
}

static void dump_segment(dumper *d, const kl_file *f)
{
    seg_indexes sib;
    kx_check chk;
    bool verify = d->o.verify_index && f->kind == KL_SEGMENT;
    if (verify) {
        seg_indexes_load(&sib, f->path, f->base_offset);
        for (seg_index *s = &sib.offset; s <= &sib.txn; s++)
            if (s->failed) report_error(d, &s->err);
        if (seg_indexes_begin(&sib, &chk, &d->txns, on_mismatch, d) != 0) {
            ke_error oom;
            ke_set(&oom, KE_NOMEM, -1, "out of memory to check the .txnindex");
            oom.file = f->path;
            report_error(d, &oom);
        }
    }
    ke_error e;
    kw_walk *w = kw_open(f->path, d->o.max_entry, d->o.no_cache, KW_LIVE_WAIT_MS, &e);
    if (!w) report_error(d, &e);
    kb_batch b;
    int rc;
    int64_t counted = 0, at;
    while (w && (rc = kw_next(w, &b, &e, &at)) != KW_END) {
        if (rc == KW_ERROR) {
            report_error(d, &e);
            continue;
        }
        if (f->kind == KL_SEGMENT) pg_add(b.size), counted += b.size;
        if (verify && rc == KW_BATCH) kx_batch(&chk, &b, marker_type(d, &b));
        /* Legacy wrappers need their inner set for base offset and count;
         * other batches are opened only when their records are wanted. */
        bool legacy_wrapper = b.magic < 2 && b.codec != KC_NONE;
        bool open = rc == KW_BATCH && (d->o.records || legacy_wrapper);
        kb_iter it;
        ke_error ie;
        int orc = open ? kw_records(w, &b, &it, d->dc, &ie) : 0;
        if (!batch_selected(d, &b)) continue;
        print_batch(d, e.file, &b);
        if (rc == KW_BAD_CRC) {
            /* The walk's words, and what dump does about it. */
            size_t n = strlen(e.msg);
            snprintf(e.msg + n, sizeof e.msg - n, ": the entry is shown, its records are not read");
            report_error(d, &e);
        }
        if (orc < 0) report_error(d, &ie);
        else if (open && d->o.records) dump_records(d, ie.file, &it);
    }
    if (w && f->kind == KL_SEGMENT && kw_size(w) > counted) pg_add(kw_size(w) - counted);
    kw_close(w);
    if (verify) {
        kx_end(&chk);
        seg_indexes_free(&sib);
    }
}

/* ---- indexes and snapshots ------------------------------------------- */

static void jsonl_begin(dumper *d, const char *type, const char *file)
{
    jw_obj_begin(&d->w);
    jw_kstr(&d->w, "type", type);
    jw_kstr(&d->w, "file", file);
}

static void jsonl_end(dumper *d)
{
    jw_obj_end(&d->w);
    jw_flush_line(&d->w, d->out);
}

/* Read a small file whole (index, snapshot, checkpoint); report and return
 * false when it cannot be read. */
static bool read_small(dumper *d, const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    ke_error e;
    if (ks_read_file(path, cap, buf, len, &e) == 0) return true;
    report_error(d, &e);
    return false;
}

static void index_entry(dumper *d, const ki_index *ix, size_t i, const char *file)
{
    ke_error e;
    ke_clear(&e);
    e.file = file;
    ki_offset_entry oe;
    ki_time_entry te;
    ki_txn_entry xe;
    int rc = 0;
    if (ix->kind == KI_OFFSET) rc = ki_offset_at(ix, i, &oe, &e);
    else if (ix->kind == KI_TIME) rc = ki_time_at(ix, i, &te, &e);
    else rc = ki_txn_at(ix, i, &xe, &e);
    if (rc < 0) {
        report_error(d, &e);
        return;
    }
    char t[40];
    if (d->o.jsonl) {
        jsonl_begin(d, "index_entry", file);
        if (ix->kind == KI_OFFSET) {
            jw_kstr(&d->w, "kind", "offset");
            jw_kint(&d->w, "offset", oe.offset);
            jw_kint(&d->w, "position", oe.position);
        } else if (ix->kind == KI_TIME) {
            jw_kstr(&d->w, "kind", "time");
            jw_kint(&d->w, "timestamp", te.timestamp);
            jw_kint(&d->w, "offset", te.offset);
        } else {
            jw_kstr(&d->w, "kind", "txn");
            jw_kint(&d->w, "version", xe.version);
            jw_kint(&d->w, "producer_id", xe.producer_id);
            jw_kint(&d->w, "first_offset", xe.first_offset);
            jw_kint(&d->w, "last_offset", xe.last_offset);
            jw_kint(&d->w, "last_stable_offset", xe.last_stable_offset);
        }
        jw_kint(&d->w, "entry_position", ki_slot_pos(ix, i));
        jsonl_end(d);
        return;
    }
    if (ix->kind == KI_OFFSET) fprintf(d->out, "offset: %" PRId64 " position: %d\n", oe.offset, oe.position);
    else if (ix->kind == KI_TIME)
        fprintf(d->out, "timestamp: %" PRId64 " (%s) offset: %" PRId64 "\n", te.timestamp,
                fmt_time(te.timestamp, t, sizeof t), te.offset);
    else
        fprintf(d->out, "version: %d producerId: %" PRId64 " firstOffset: %" PRId64 " lastOffset: %" PRId64
                        " lastStableOffset: %" PRId64 "\n",
                xe.version, xe.producer_id, xe.first_offset, xe.last_offset, xe.last_stable_offset);
}

static void dump_index(dumper *d, const kl_file *f)
{
    ki_kind kind = f->kind == KL_OFFSET_INDEX ? KI_OFFSET : f->kind == KL_TIME_INDEX ? KI_TIME : KI_TXN;
    uint8_t *buf;
    size_t len;
    ke_error e;
    if (!read_small(d, f->path, SMALL_FILE_CAP, &buf, &len)) return;
    ki_index ix;
    ke_clear(&e);
    e.file = f->path;
    if (ki_open(&ix, kind, buf, len, f->base_offset, &e) < 0) {
        report_error(d, &e);
        free(buf);
        return;
    }
    if (!d->o.jsonl && ix.entries == 0) fprintf(d->out, "%s is empty.\n", f->path);
    for (size_t i = 0; i < ix.entries; i++) index_entry(d, &ix, i, f->path);
    if (!d->o.jsonl && ix.tail_bytes > 0)
        fprintf(d->out, "(%zu preallocated empty slots, %zu bytes, after the last entry)\n", ix.slots - ix.entries,
                ix.tail_bytes);
    size_t next = 0;
    ke_clear(&e);
    e.file = f->path;
    while (ki_check_order(&ix, &next, &e) < 0) {
        report_error(d, &e);
        ke_clear(&e);
        e.file = f->path;
    }
    /* Kafka's sanityCheck reads the file's last slot: an index with a
     * preallocated zero tail (the active segment of a live or crashed
     * broker) always fails it, and brokers since 2.3 no longer run it at
     * load. The written entries were checked above; the length rule still
     * applies. */
    ke_clear(&e);
    e.file = f->path;
    if (ix.tail_bytes == 0 && ki_sanity_check(&ix, &e) < 0) report_error(d, &e);
    else if (ix.tail_bytes > 0 && ix.partial_bytes > 0) {
        ke_set(&e, KE_CORRUPT, (int64_t)(ix.slots * ix.entry_size), "%zu trailing bytes are not a whole %zu-byte entry",
               ix.partial_bytes, ix.entry_size);
        report_error(d, &e);
    }
    free(buf);
}

static void dump_snapshot(dumper *d, const kl_file *f)
{
    uint8_t *buf;
    size_t len;
    ke_error e;
    if (!read_small(d, f->path, SMALL_FILE_CAP, &buf, &len)) return;
    kp_snapshot s;
    ke_clear(&e);
    e.file = f->path;
    int rc = kp_open(&s, buf, len, &e);
    if (rc < 0) report_error(d, &e);
    char t[40];
    for (size_t i = 0; rc == 0 && i < s.n; i++) {
        kp_entry pe;
        ke_clear(&e);
        e.file = f->path;
        if (kp_entry_at(&s, i, &pe, &e) < 0) {
            report_error(d, &e);
            continue;
        }
        bool has = kp_has_batch(&pe);
        if (d->o.jsonl) {
            jsonl_begin(d, "snapshot_entry", f->path);
            jw_kint(&d->w, "producer_id", pe.producer_id);
            jw_kint(&d->w, "producer_epoch", pe.epoch);
            jw_kint(&d->w, "coordinator_epoch", pe.coordinator_epoch);
            jw_kint(&d->w, "current_txn_first_offset", pe.current_txn_first_offset);
            jw_kint(&d->w, "last_timestamp", pe.timestamp);
            jw_kint(&d->w, "first_sequence", has ? kp_first_sequence(&pe) : -1);
            jw_kint(&d->w, "last_sequence", pe.last_sequence);
            jw_kint(&d->w, "last_offset", pe.last_offset);
            jw_kint(&d->w, "offset_delta", pe.offset_delta);
            jw_kint(&d->w, "entry_position", pe.pos);
            jsonl_end(d);
            continue;
        }
        fprintf(d->out, "producerId: %" PRId64 " producerEpoch: %d coordinatorEpoch: %d currentTxnFirstOffset: ",
                pe.producer_id, pe.epoch, pe.coordinator_epoch);
        if (pe.current_txn_first_offset >= 0) fprintf(d->out, "%" PRId64, pe.current_txn_first_offset);
        else fputs("none", d->out);
        fprintf(d->out, " lastTimestamp: %" PRId64 " (%s)", pe.timestamp, fmt_time(pe.timestamp, t, sizeof t));
        if (has)
            fprintf(d->out, " firstSequence: %d lastSequence: %d lastOffset: %" PRId64 " offsetDelta: %d",
                    kp_first_sequence(&pe), pe.last_sequence, pe.last_offset, pe.offset_delta);
        fputc('\n', d->out);
    }
    if (rc == 0 && !d->o.jsonl && s.n == 0) fprintf(d->out, "%s has no producer entries.\n", f->path);
    free(buf);
}

/* ---- text files: checkpoints, properties ----------------------------- */

static void dump_text_file(dumper *d, const kl_file *f);

/* ---- walking inputs ---------------------------------------------------- */

/* Which decoder applies to a file of `topic` (NULL when unknown). */
static int decoder_for(const dumper *d, const char *topic, const kl_file *f)
{
    if (d->o.decode != DEC_AUTO) return d->o.decode;
    if (f->kind == KL_KRAFT_SNAPSHOT) return DEC_METADATA;
    if (!topic) return DEC_NONE;
    if (strcmp(topic, "__consumer_offsets") == 0) return DEC_OFFSETS;
    if (strcmp(topic, "__transaction_state") == 0) return DEC_TXN;
    if (strcmp(topic, "__cluster_metadata") == 0) return DEC_METADATA;
    return DEC_NONE;
}

static void dump_file(dumper *d, const kl_file *f, const char *topic, bool given)
{
    if (f->kind == KL_OTHER && !given) return; /* .lock files and the like */
    file_header(d, f, topic);
    d->decode_now = decoder_for(d, topic, f);
    switch (f->kind) {
    case KL_SEGMENT:
    case KL_KRAFT_SNAPSHOT: dump_segment(d, f); break;
    case KL_OFFSET_INDEX:
    case KL_TIME_INDEX:
    case KL_TXN_INDEX: dump_index(d, f); break;
    case KL_PRODUCER_SNAPSHOT: dump_snapshot(d, f); break;
    case KL_TRANSIENT:
        if (!d->o.jsonl)
            fprintf(d->out, "Skipping %s: a %s file the broker is replacing or deleting (transient)\n", f->path,
                    kl_kind_name(f->base_kind));
        break;
    case KL_FOREIGN:
    case KL_OTHER: {
        /* Only files named on the command line get here. A .log with a name
         * Kafka would not give it may still hold Kafka batches: read it, and
         * let the segment reader recognise foreign bytes. */
        size_t n = strlen(f->path);
        if (f->kind == KL_OTHER && n > 4 && strcmp(f->path + n - 4, ".log") == 0) {
            dump_segment(d, f);
            break;
        }
        ke_error e;
        ke_clear(&e);
        e.file = f->path;
        ke_set(&e, KE_FOREIGN, -1, "%s",
               f->kind == KL_FOREIGN ? "not Kafka's format: a Redpanda segment (<base>-<term>-v1.log); skipped"
                                     : "not a file kind Kafka keeps in a data directory (by its name); skipped");
        report_error(d, &e);
        break;
    }
    default: dump_text_file(d, f); break;
    }
}

static const char dump_usage[] =
    "Usage: kaudit dump [OPTIONS] PATH...\n"
    "\n"
    "Print what a Kafka data directory holds: one line per batch; with --records one\n"
    "per record. PATH is a log directory, a partition directory, a folder above log\n"
    "directories, or single files (.log, .index, .timeindex, .txnindex, .snapshot,\n"
    "KRaft .checkpoint, leader-epoch-checkpoint, *-offset-checkpoint, meta.properties,\n"
    "partition.metadata, ...).\n"
    "\n"
    "Output:\n"
    "  --format text|jsonl   text (default) or one JSON object per line\n"
    "                        (docs/dump-format.md)\n"
    "  --records             a line per record; every record is decoded and checked\n"
    "  --payload             with text output: keys, values and headers (implies\n"
    "                        --records); printable text as is, other bytes as \\xNN\n"
    "  --decode auto|none|offsets|transactions|metadata\n"
    "                        decode internal topics' records (default auto: by topic\n"
    "                        name, __consumer_offsets, __transaction_state,\n"
    "                        __cluster_metadata and KRaft snapshots)\n"
    "Checks:\n"
    "  --verify-index        check .index, .timeindex and .txnindex against the log\n"
    "Filters:\n"
    "  --producer-id ID      only batches of this producer id\n"
    "  --offsets A:B         only offsets A to B (inclusive; A: or :B for open ends)\n"
    "  --transactional       only transactional batches\n"
    "  --control             only control batches (transaction markers, KRaft)\n"
    "Sharing:\n"
    "  --redact LIST         keys, values, headers (header values), comma separated:\n"
    "                        shown as their size and a keyed token instead (equal\n"
    "                        content, equal token); internal records are not decoded\n"
    "  --redact-key-file F   key the tokens with F's contents (default: random)\n"
    "Resources:\n"
    "  --max-entry-bytes N   largest entry read into memory (default 256 MiB)\n"
    "  --no-cache            drop the pages we read from the page cache afterwards\n"
    "                        (for live brokers: do not evict what consumers read)\n"
    "  -q, --quiet           no progress line (shown on stderr when it is a terminal\n"
    "                        and the dump goes elsewhere)\n"
    "\n"
    "Exit codes: 0 clean, 1 problems found in the data (corrupt, truncated, ...),\n"
    "2 usage error or an input that could not be read at all.\n";

static int usage_error(const char *msg)
{
    fprintf(stderr, "kaudit dump: %s\n", msg);
    return -1;
}

static int usage_error_arg(const char *msg, const char *arg)
{
    fprintf(stderr, "kaudit dump: %s '%s'\n", msg, arg);
    return -1;
}

static int parse_dump_args(int argc, char **argv, dump_opts *o, int *first_path)
{
    enum { O_FORMAT = 256, O_RECORDS, O_PAYLOAD, O_DECODE, O_VERIFY, O_PID, O_OFFSETS, O_TXN, O_CONTROL,
           O_MAXENTRY, O_NOCACHE, O_REDACT, O_REDACTKEY, O_HELP };
    static const struct option opts[] = {
        { "format", required_argument, 0, O_FORMAT },   { "records", no_argument, 0, O_RECORDS },
        { "payload", no_argument, 0, O_PAYLOAD },       { "decode", required_argument, 0, O_DECODE },
        { "verify-index", no_argument, 0, O_VERIFY },   { "producer-id", required_argument, 0, O_PID },
        { "offsets", required_argument, 0, O_OFFSETS }, { "transactional", no_argument, 0, O_TXN },
        { "control", no_argument, 0, O_CONTROL },       { "max-entry-bytes", required_argument, 0, O_MAXENTRY },
        { "no-cache", no_argument, 0, O_NOCACHE },      { "help", no_argument, 0, O_HELP },
        { "redact", required_argument, 0, O_REDACT },   { "redact-key-file", required_argument, 0, O_REDACTKEY },
        { "quiet", no_argument, 0, 'q' },               { 0, 0, 0, 0 }
    };
    memset(o, 0, sizeof *o);
    o->off_lo = INT64_MIN;
    o->off_hi = INT64_MAX;
    o->decode = DEC_AUTO;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'q': o->quiet = true; break;
        case O_FORMAT:
            if (strcmp(optarg, "jsonl") == 0) o->jsonl = true;
            else if (strcmp(optarg, "text") != 0) return usage_error("--format is text or jsonl");
            break;
        case O_RECORDS: o->records = true; break;
        case O_PAYLOAD: o->payload = o->records = true; break;
        case O_DECODE:
            if (strcmp(optarg, "auto") == 0) o->decode = DEC_AUTO;
            else if (strcmp(optarg, "none") == 0) o->decode = DEC_NONE;
            else if (strcmp(optarg, "offsets") == 0) o->decode = DEC_OFFSETS;
            else if (strcmp(optarg, "transactions") == 0) o->decode = DEC_TXN;
            else if (strcmp(optarg, "metadata") == 0) o->decode = DEC_METADATA;
            else return usage_error_arg("unknown --decode", optarg);
            break;
        case O_VERIFY: o->verify_index = true; break;
        case O_PID:
            o->has_pid = true;
            o->pid = strtoll(optarg, &end, 10);
            if (*end || !*optarg) return usage_error("--producer-id needs a number");
            break;
        case O_OFFSETS:
            if (parse_range(optarg, &o->off_lo, &o->off_hi) < 0)
                return usage_error("--offsets takes A:B, A: or :B with A <= B");
            break;
        case O_TXN: o->only_txn = true; break;
        case O_CONTROL: o->only_control = true; break;
        case O_MAXENTRY:
            o->max_entry = strtoull(optarg, &end, 10);
            if (*end || o->max_entry < 64) return usage_error("--max-entry-bytes needs a number >= 64");
            break;
        case O_NOCACHE: o->no_cache = true; break;
        case O_REDACT:
            if (parse_redact(optarg, &o->redact) < 0) return usage_error("--redact takes keys, values, headers or a comma list");
            break;
        case O_REDACTKEY: o->redact_key_file = optarg; break;
        case 'h':
        case O_HELP: fputs(dump_usage, stdout); return 1;
        default: fputs(dump_usage, stderr); return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "kaudit dump: no PATH given\n\n%s", dump_usage);
        return -1;
    }
    if (o->redact && redact_key(o->redact_key_file, &o->redact_key) < 0)
        return usage_error("cannot read the redaction key (--redact-key-file)");
    *first_path = optind;
    return 0;
}

int cmd_dump(int argc, char **argv)
{
    dumper d;
    memset(&d, 0, sizeof d);
    int first;
    int prc = parse_dump_args(argc, argv, &d.o, &first);
    if (prc != 0) return prc > 0 ? EXIT_CLEAN : EXIT_USAGE;
    d.out = stdout;
    jw_init(&d.w);
    d.dc = kc_create(d.o.max_entry);
    kl_set *set = kl_create();
    if (!d.dc || !set) {
        fprintf(stderr, "kaudit: out of memory\n");
        return EXIT_USAGE;
    }
    for (int i = first; i < argc; i++)
        if (kl_add(set, argv[i]) < 0) {
            fprintf(stderr, "kaudit: out of memory scanning %s\n", argv[i]);
            return EXIT_USAGE;
        }
    kl_finish(set);
    /* Progress on stderr when it is a terminal the dump itself does not
     * go to (they would mix). */
    int64_t total = segment_bytes(set->loose, set->nloose);
    for (size_t i = 0; i < set->nparts; i++) total += segment_bytes(set->parts[i].files, set->parts[i].nfiles);
    pg_start(total, !d.o.quiet && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO));
    for (size_t i = 0; i < set->nproblems; i++) report_error(&d, &set->problems[i]);
    for (size_t i = 0; i < set->nloose; i++) {
        char topic[512];
        kx_txns_free(&d.txns);
        int32_t part;
        dump_file(&d, &set->loose[i], file_partition(set->loose[i].path, topic, sizeof topic, &part) ? topic : NULL,
                  true);
    }
    long last_logdir = -1;
    for (size_t i = 0; i < set->nparts; i++) {
        const kl_partition *p = &set->parts[i];
        if (p->logdir >= 0 && p->logdir != last_logdir) {
            const kl_logdir *ld = &set->logdirs[p->logdir];
            for (size_t j = 0; j < ld->nfiles; j++) dump_file(&d, &ld->files[j], NULL, false);
            last_logdir = p->logdir;
        }
        kx_txns_free(&d.txns);
        for (size_t j = 0; j < p->nfiles; j++) dump_file(&d, &p->files[j], p->topic, false);
    }
    /* Log directories with no partition still have their root files (but
     * not the folder a partition given alone sits in: not asked for). */
    for (long i = 0; i < (long)set->nlogdirs; i++) {
        bool seen = set->logdirs[i].outside;
        for (size_t j = 0; j < set->nparts && !seen; j++) seen = set->parts[j].logdir == i;
        for (size_t j = 0; !seen && j < set->logdirs[i].nfiles; j++) dump_file(&d, &set->logdirs[i].files[j], NULL, false);
    }
    fflush(d.out);
    pg_stop();
    if (d.problems || d.unreadable)
        fprintf(stderr, "kaudit dump: %ld problem%s in the data, %ld input%s not readable\n", d.problems,
                d.problems == 1 ? "" : "s", d.unreadable, d.unreadable == 1 ? "" : "s");
    kl_free(set);
    kx_txns_free(&d.txns);
    kc_free(d.dc);
    jw_free(&d.w);
    return d.unreadable ? EXIT_USAGE : d.problems ? EXIT_PROBLEMS : EXIT_CLEAN;
}

/* Text output of a checkpoint's entries. */
static void checkpoint_text(dumper *d, const kk_checkpoint *c)
{
    if (c->version < 0) {
        fprintf(d->out, "(empty file: no entries)\n");
        return;
    }
    fprintf(d->out, "version: %d entries: %zu\n", c->version, c->n);
    for (size_t i = 0; i < c->n; i++) {
        const kk_entry *x = &c->entries[i];
        if (c->kind == KK_LEADER_EPOCH) fprintf(d->out, "epoch: %d startOffset: %" PRId64 "\n", x->epoch, x->offset);
        else fprintf(d->out, "topic: %s partition: %d offset: %" PRId64 "\n", x->topic, x->partition, x->offset);
    }
}

static void checkpoint_json(dumper *d, const kk_checkpoint *c)
{
    jw *w = &d->w;
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
}

static void dump_checkpoint(dumper *d, const kl_file *f, const uint8_t *buf, size_t len, const char *name)
{
    kk_checkpoint *c = NULL;
    ke_error e;
    ke_clear(&e);
    e.file = f->path;
    kk_kind kind = f->kind == KL_LEADER_EPOCH ? KK_LEADER_EPOCH : KK_OFFSETS;
    if (kk_checkpoint_parse(&c, kind, buf, len, &e) < 0) {
        report_error(d, &e);
        return;
    }
    if (d->o.jsonl) {
        jsonl_begin(d, "checkpoint", f->path);
        jw_kstr(&d->w, "kind", name);
        checkpoint_json(d, c);
        jsonl_end(d);
    } else {
        checkpoint_text(d, c);
    }
    size_t next = 0;
    ke_clear(&e);
    e.file = f->path;
    while (kind == KK_LEADER_EPOCH && kk_leader_epoch_check(c, &next, &e) < 0) {
        report_error(d, &e);
        ke_clear(&e);
        e.file = f->path;
    }
    kk_checkpoint_free(c);
}

static void uuid_text(const uint8_t u[16], char out[KK_UUID_TEXT_LEN + 1]) { kk_uuid_encode(u, out); }

static void dump_properties(dumper *d, const kl_file *f, const uint8_t *buf, size_t len, const char *name)
{
    ke_error e;
    ke_clear(&e);
    e.file = f->path;
    char u[KK_UUID_TEXT_LEN + 1];
    jw *w = &d->w;
    if (f->kind == KL_PARTITION_METADATA) {
        kk_partition_metadata m;
        if (kk_partition_metadata_parse(&m, buf, len, &e) < 0) {
            report_error(d, &e);
            return;
        }
        if (!d->o.jsonl) {
            fprintf(d->out, "version: %d topic_id: %s\n", m.version, m.topic_id);
            return;
        }
        jsonl_begin(d, "checkpoint", f->path);
        jw_kstr(w, "kind", name);
        jw_kint(w, "version", m.version);
        jw_kstr(w, "topic_id", m.topic_id);
    } else if (f->kind == KL_META_PROPERTIES) {
        kk_meta_properties m;
        if (kk_meta_properties_parse(&m, buf, len, &e) < 0) {
            report_error(d, &e);
            return;
        }
        if (m.has_directory_id) uuid_text(m.directory_id, u);
        if (!d->o.jsonl) {
            fprintf(d->out, "version: %d", m.version);
            if (m.has_cluster_id) fprintf(d->out, " cluster.id: %s", m.cluster_id);
            if (m.has_broker_id) fprintf(d->out, " broker.id: %d", m.broker_id);
            if (m.has_node_id) fprintf(d->out, " node.id: %d", m.node_id);
            if (m.has_directory_id) fprintf(d->out, " directory.id: %s", u);
            fputc('\n', d->out);
            return;
        }
        jsonl_begin(d, "checkpoint", f->path);
        jw_kstr(w, "kind", name);
        jw_kint(w, "version", m.version);
        if (m.has_cluster_id) jw_kstr(w, "cluster_id", m.cluster_id);
        if (m.has_broker_id) jw_kint(w, "broker_id", m.broker_id);
        if (m.has_node_id) jw_kint(w, "node_id", m.node_id);
        if (m.has_directory_id) jw_kstr(w, "directory_id", u);
    } else if (f->kind == KL_CLEAN_SHUTDOWN) {
        kk_clean_shutdown m;
        if (kk_clean_shutdown_parse(&m, buf, len, &e) < 0) {
            report_error(d, &e);
            return;
        }
        if (!d->o.jsonl) {
            fprintf(d->out, "clean shutdown marker%s", m.empty ? " (empty: broker before 3.7)" : "");
            if (m.has_broker_epoch) fprintf(d->out, " version: %d brokerEpoch: %" PRId64, m.version, m.broker_epoch);
            fputc('\n', d->out);
            return;
        }
        jsonl_begin(d, "checkpoint", f->path);
        jw_kstr(w, "kind", name);
        if (!m.empty) jw_kint(w, "version", m.version);
        if (m.has_broker_epoch) jw_kint(w, "broker_epoch", m.broker_epoch);
    } else {
        kk_quorum_state m;
        if (kk_quorum_state_parse(&m, buf, len, &e) < 0) {
            report_error(d, &e);
            return;
        }
        if (!d->o.jsonl) {
            fprintf(d->out, "quorum state:");
            if (m.has_cluster_id) fprintf(d->out, " clusterId: %s", m.cluster_id);
            if (m.has_leader_id) fprintf(d->out, " leaderId: %d", m.leader_id);
            if (m.has_leader_epoch) fprintf(d->out, " leaderEpoch: %d", m.leader_epoch);
            if (m.has_voted_id) fprintf(d->out, " votedId: %d", m.voted_id);
            if (m.has_applied_offset) fprintf(d->out, " appliedOffset: %" PRId64, m.applied_offset);
            for (size_t i = 0; i < m.n_voters; i++) fprintf(d->out, "%s%d", i ? "," : " voters: ", m.voters[i]);
            fputc('\n', d->out);
            return;
        }
        jsonl_begin(d, "checkpoint", f->path);
        jw_kstr(w, "kind", name);
        if (m.has_cluster_id) jw_kstr(w, "cluster_id", m.cluster_id);
        if (m.has_leader_id) jw_kint(w, "leader_id", m.leader_id);
        if (m.has_leader_epoch) jw_kint(w, "leader_epoch", m.leader_epoch);
        if (m.has_voted_id) jw_kint(w, "voted_id", m.voted_id);
        if (m.has_applied_offset) jw_kint(w, "applied_offset", m.applied_offset);
        if (m.has_current_voters) {
            jw_key(w, "voters");
            jw_arr_begin(w);
            for (size_t i = 0; i < m.n_voters; i++) jw_int(w, m.voters[i]);
            jw_arr_end(w);
        }
    }
    jsonl_end(d);
}

static void dump_text_file(dumper *d, const kl_file *f)
{
    uint8_t *buf;
    size_t len;
    if (!read_small(d, f->path, KK_MAX_FILE, &buf, &len)) return;
    const char *name = strrchr(f->path, '/');
    name = name ? name + 1 : f->path;
    if (f->kind == KL_OFFSET_CHECKPOINT || f->kind == KL_LEADER_EPOCH) dump_checkpoint(d, f, buf, len, name);
    else dump_properties(d, f, buf, len, name);
    free(buf);
}
