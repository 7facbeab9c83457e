/* batches.c - a segment's batches and records in a dump; see batches.h. */
#include "inspect/batches.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/indexes.h"
#include "inspect/kafka.h"
#include "reader/batch.h"
#include "reader/decode.h"
#include "reader/walk.h"

static bool batch_selected(const kaudit_dump_options *o, const kb_batch *b)
{
    if (o->has_producer_id && b->producer_id != o->producer_id) return false;
    if (o->only_transactional && !b->is_transactional) return false;
    if (o->only_control && !b->is_control) return false;
    return b->last_offset >= o->off_lo && b->base_offset <= o->off_hi;
}

/* The decoded view of an internal topic's record (or a control record's),
 * NULL when there is none. *key_out: the decoded key, when the decoder has
 * one. Both are the caller's to cJSON_Delete. */
static cJSON *decode_record(const in_dump *d, const kb_record *r, bool control, int ctype, cJSON **key_out,
                            ke_error *e)
{
    *key_out = NULL;
    if (control) return ctype >= KB_CTRL_LEADER_CHANGE ? kd_control_value((int16_t)ctype, r->value, r->value_len, e) : NULL;
    switch (d->decode_now) {
    case KAUDIT_DECODE_OFFSETS:
        *key_out = kd_offsets_key(r->key, r->key_len, e);
        return *key_out ? kd_offsets_value(r->key, r->key_len, r->value, r->value_len, e) : NULL;
    case KAUDIT_DECODE_TRANSACTIONS:
        *key_out = kd_txn_key(r->key, r->key_len, e);
        return *key_out ? kd_txn_value(r->value, r->value_len, e) : NULL;
    case KAUDIT_DECODE_METADATA: return kd_metadata_value(r->value, r->value_len, e);
    }
    return NULL;
}

/* The records of the batch `it` opened, inside the offset range: a line
 * each, with the problems of each (a control record that is not one, an
 * inner message's checksum, a payload that does not decode). */
static void dump_records(in_dump *d, const char *file, kb_iter *it)
{
    const kaudit_dump_options *o = d->o;
    const kb_batch *b = it->b;
    bool kafka = d->p.kafka;
    kb_record r;
    ke_error e;
    ke_clear(&e);
    int rc;
    /* Decoded internal records would show what --redact hides. Kafka's
     * lines show a control record's JSON (KRaft's) whatever is asked. */
    bool want_decode = (o->format == KAUDIT_DUMP_JSONL || o->payload) && !o->redact;
    bool want_control = want_decode || (kafka && !d->p.skip_meta);
    kcur before = it->cur;
    while ((rc = kb_iter_next(it, &r, &e)) == 1) {
        int64_t kafka_ts = kafka ? ik_timestamp(b, &r, before) : r.timestamp;
        before = it->cur;
        if (kafka) in_kafka_record_offset(d, r.offset);
        if (r.offset < o->off_lo || r.offset > o->off_hi) continue;
        int ctype = KB_CTRL_UNKNOWN;
        int32_t cepoch = -1;
        ke_error de;
        ke_clear(&de);
        de.file = file;
        if (b->is_control && kb_control_parse(&r, &ctype, &cepoch, &de) < 0) {
            de.pos = b->pos;
            in_report(d, &de);
        }
        if (!r.crc_valid) {
            ke_error ce;
            ke_clear(&ce);
            ce.file = file;
            ke_set(&ce, KE_CRC, b->pos,
                   "inner message at offset %" PRId64 ": checksum mismatch (CRC-32 stored 0x%08x, computed 0x%08x)",
                   r.offset, r.crc, r.crc_computed);
            in_report(d, &ce);
        }
        cJSON *dkey = NULL, *dval = NULL;
        ke_error why; /* the decoder's own words, for Kafka's "Error at offset" */
        ke_clear(&why);
        if (b->is_control ? want_control : want_decode && d->decode_now != KAUDIT_DECODE_NONE) {
            dval = decode_record(d, &r, b->is_control, ctype, &dkey, &de);
            why = de;
            if (!dval && !dkey && de.code < 0) {
                char msg[KE_MSG_MAX];
                snprintf(msg, sizeof msg, "%s", de.msg);
                ke_set(&de, de.code, b->pos, "record at offset %" PRId64 " cannot be decoded: %s", r.offset, msg);
                in_report(d, &de);
            }
        }
        if (kafka) {
            ik_content c = { want_decode ? d->decode_now : KAUDIT_DECODE_NONE, dkey, dval,
                             why.code < 0 ? &why : NULL };
            ik_record(&d->p, b, &r, kafka_ts, ctype, cepoch, b->is_control ? dval : NULL, &c);
        } else {
            in_print_record(&d->p, file, b, &r, ctype, cepoch, dkey, dval);
        }
        d->oc.records++;
        cJSON_Delete(dkey);
        cJSON_Delete(dval);
    }
    if (rc < 0) {
        e.file = file;
        in_report(d, &e);
    }
}

/* ---- --verify-index -------------------------------------------------------- */

static void on_mismatch(void *arg, const ke_error *e, int64_t offset)
{
    (void)offset;
    in_report(arg, e);
}

/* The type of a control batch's marker (read from its one record), else
 * KB_CTRL_UNKNOWN. */
static int marker_type(in_dump *d, const kb_batch *b)
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

/* Load the segment's indexes and begin checking them; their load
 * problems are reported. */
static void verify_begin(in_dump *d, const kl_file *f, seg_indexes *sib, kx_check *chk)
{
    seg_indexes_load(sib, f->path, f->base_offset);
    for (seg_index *s = &sib->offset; s <= &sib->txn; s++)
        if (s->failed) in_report(d, &s->err);
    if (seg_indexes_begin(sib, chk, &d->txns, on_mismatch, d) == 0) return;
    ke_error oom;
    ke_set(&oom, KE_NOMEM, -1, "out of memory to check the .txnindex");
    oom.file = f->path;
    in_report(d, &oom);
}

/* ---- the segment ------------------------------------------------------------- */

void in_dump_segment(in_dump *d, const kl_file *f)
{
    const kaudit_dump_options *o = d->o;
    seg_indexes sib;
    kx_check chk;
    bool verify = o->verify_index && f->kind == KL_SEGMENT;
    if (verify) verify_begin(d, f, &sib, &chk);
    ke_error e;
    kw_walk *w = kw_open(f->path, o->max_entry, o->no_cache, o->live_wait_ms, &e);
    if (!w) in_report(d, &e);
    kb_batch b;
    int rc;
    int64_t counted = 0, at, valid = 0;
    /* --max-bytes: Kafka reads a slice of the file and stops at the
     * first batch that does not end inside it. */
    int64_t limit = o->max_bytes > 0 ? o->max_bytes : INT64_MAX;
    if (d->p.kafka) in_kafka_log_begin(d, f->path);
    while (w && !in_cancelled(d) && (rc = kw_next(w, &b, &e, &at)) != KW_END) {
        if (rc == KW_ERROR) {
            if (e.pos >= limit) break;
            in_report(d, &e);
            continue;
        }
        if (b.pos > limit - (int64_t)b.size) break;
        valid += b.size;
        if (f->kind == KL_SEGMENT) in_progress(d, b.size), counted += b.size;
        if (verify && rc == KW_BATCH) kx_batch(&chk, &b, marker_type(d, &b));
        /* Legacy wrappers need their inner set for base offset and count;
         * other batches are opened only when their records are wanted. */
        bool legacy_wrapper = b.magic < 2 && b.codec != KC_NONE;
        bool open = rc == KW_BATCH && (o->records || legacy_wrapper);
        kb_iter it;
        ke_error ie;
        int orc = open ? kw_records(w, &b, &it, d->dc, &ie) : 0;
        if (!batch_selected(o, &b)) continue;
        in_print_batch(&d->p, e.file, &b);
        d->oc.batches++;
        if (rc == KW_BAD_CRC) {
            /* The walk's words, and what dump does about it. */
            size_t n = strlen(e.msg);
            snprintf(e.msg + n, sizeof e.msg - n, ": the entry is shown, its records are not read");
            in_report(d, &e);
        }
        if (orc < 0) in_report(d, &ie);
        else if (open && o->records) dump_records(d, ie.file, &it);
    }
    if (w && f->kind == KL_SEGMENT && kw_size(w) > counted) in_progress(d, kw_size(w) - counted);
    /* What Kafka says of the bytes no batch it read holds (not with a
     * --max-bytes of its own choosing). */
    if (w && d->p.kafka && !d->stop && (o->max_bytes == 0 || o->max_bytes >= INT32_MAX) && kw_size(w) > valid)
        ik_trailing(&d->p, f->path, kw_size(w) - valid);
    kw_close(w);
    if (!verify) return;
    kx_end(&chk);
    seg_indexes_free(&sib);
}
