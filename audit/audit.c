/*
 * audit.c - see audit.h: a partition's lifecycle, its batches and records
 * as the engine feeds them, what the reader could not read, and the end of
 * the log. The rules are the broker's (formats doc 7.1 to 7.11); each check
 * names the section it follows. Producer state is producer.c's, duplicate
 * runs runs.c's, snapshots and checkpoints checkpoints.c's (state.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "report/types.h"
#include "groups.h"
#include "state.h"

/* An allocation for `what` failed: the partition's report is incomplete
 * (ka_incomplete), never silently so. Returns -1 for the caller's use. */
int ka_oom(ka_partition *p, const char *what)
{
    if (!p->oom++) p->oom_what = what;
    return -1;
}

void ka_options_init(ka_options *o)
{
    memset(o, 0, sizeof *o);
    o->producer_expiration_ms = KA_DEFAULT_EXPIRATION_MS;
    o->txn_max_timeout_ms = KA_DEFAULT_TXN_TIMEOUT_MS;
    o->dup_window_ms = KA_DEFAULT_DUP_WINDOW_MS;
    o->off_lo = o->since = INT64_MIN;
    o->off_hi = o->until = INT64_MAX;
}

uint64_t ka_redact_token(const uint8_t *p, size_t len, uint64_t key) { return rm_redact_token(p, len, key); }

/* A finding at `offset`, or NULL when it lies outside the window the user
 * asked for (then it is not counted either) or is not kept as an example. */
bool ka_in_scope(const ka_partition *p, int64_t offset, int64_t ts)
{
    const ka_options *o = p->o;
    if (offset >= 0 && (offset < o->off_lo || offset > o->off_hi)) return false;
    return ts < 0 || (ts >= o->since && ts <= o->until);
}

/* A finding of type `type` (an rt_id) read in `variant`, within the
 * --offsets and --since/--until scope and of a type the report shows
 * (--types), or NULL. Its words are report/'s. */
rm_finding *ka_emit(ka_partition *p, int type, int variant, int severity, int64_t offset, int64_t ts)
{
    if (!ka_in_scope(p, offset, ts) || !rm_shows(p->r, type)) return NULL;
    rm_finding *f = rm_add_finding(p->r, type, variant, severity, p->index, offset);
    /* Warnings and errors of one type in one partition: one incident. */
    if (severity >= RM_WARNING) {
        const char *path = p->r->partitions[p->index].path;
        rm_group g = { rt_type_of(type)->name, XXH3_64bits(path, strlen(path)), -1, -1, -1, -1, -1 };
        rm_group_finding(p->r, &g, p->index, severity, ts, offset, offset, 0, f);
    }
    return f;
}

ka_partition *ka_partition_create(const ka_options *o, rm_report *r, size_t index, const char *topic)
{
    ka_partition *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->o = o;
    p->r = r;
    p->index = index;
    p->topic = strdup(topic);
    if (!p->topic) {
        ka_partition_free(p);
        return NULL;
    }
    p->coordinator = ka_topic_coordinator(topic);
    if (strcmp(topic, "__consumer_offsets") == 0 && !(p->groups = kg_create())) {
        ka_partition_free(p);
        return NULL;
    }
    p->rule = o->dup_topics && regexec(o->dup_topics, topic, 0, NULL, 0) == 0 ? NULL : ka_topic_repetition_rule(topic);
    p->internal = p->rule && strcmp(p->rule, "internal") == 0;
    p->max_ple = -1;
    p->log_start = -1;
    p->keep_binfo = true;
    kq_init(&p->q);
    ka_identity_init(p);
    return p;
}

void ka_partition_free(ka_partition *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nprods; i++) free(p->prods[i].pend), free(p->prods[i].tb);
    for (size_t i = 0; i < p->nsnaps; i++) {
        free(p->snaps[i].file);
        free(p->snaps[i].e);
    }
    kg_free(p->groups);
    free(p->prods);
    free(p->pmap);
    free(p->binfo);
    kq_free(&p->q);
    free(p->cur_file);
    free(p->epochs);
    free(p->ckpt);
    free(p->ckpt_file);
    free(p->snaps);
    free(p->held);
    free(p->id_pend);
    free(p->id_vcache);
    ka_suggest_free(p);
    free(p->topic);
    free(p);
}

bool ka_over_budget_only(const ka_partition *p)
{
    return p->over_budget && !p->oom && p->index_state == KA_INDEX_OK;
}

const char *ka_incomplete(const ka_partition *p, char *buf, size_t cap)
{
    if (p->oom)
        snprintf(buf, cap, "out of memory: %" PRId64 " allocation%s failed (%s first), so not everything was checked",
                 p->oom, p->oom == 1 ? "" : "s", p->oom_what);
    else if (p->over_budget)
        snprintf(buf, cap, "%s outgrew its share of --max-memory (%zu KiB for the producers' state and open "
                           "transactions' records): %" PRId64 " not kept, so not everything was checked",
                 p->over_what, (p->state_limit ? p->state_limit : p->mem_limit) >> 10, p->over_budget);
    else if (p->index_state == KA_INDEX_ERROR)
        snprintf(buf, cap, "duplicates not checked from offset %" PRId64 ": out of memory, or the spill to disk failed",
                 p->index_stop);
    else return NULL;
    return buf;
}

void ka_light(ka_partition *p) { p->light = true; }

int ka_control_type(const ka_partition *p) { return p->cur.is_control ? p->ctrl_type : KB_CTRL_UNKNOWN; }

void ka_segment(ka_partition *p, int64_t bytes)
{
    p->seg_done += p->seg_size;
    p->seg_size = bytes;
    rm_partition *rp = &p->r->partitions[p->index];
    rp->segments++;
    rp->bytes += bytes;
}

void ka_at_batch(ka_partition *p, rm_finding *f)
{
    if (p->cur.producer_id >= 0) ka_set_producer(f, p->cur.producer_id, p->cur.producer_epoch);
    rm_field_str(f, "file", p->cur_file ? p->cur_file : "");
    rm_field_int(f, "position", p->cur.pos);
}

void ka_batch_begin(ka_partition *p, const kb_batch *b, const char *file)
{
    rm_partition *rp = &p->r->partitions[p->index];
    p->cur = *b;
    p->cur.data = NULL;
    p->cur.payload = NULL;
    p->cur.key = NULL;
    if (!p->cur_file || strcmp(p->cur_file, file) != 0) { /* once per segment, not per batch */
        free(p->cur_file);
        if (!(p->cur_file = strdup(file))) ka_oom(p, "a segment's name");
    }
    p->cur_window = b->max_timestamp < 0 || (b->max_timestamp >= p->o->since && b->max_timestamp <= p->o->until);
    p->cur_count_bad = p->cur_repeat = p->cur_repeat_unseen = false;
    p->cur_dups = p->cur_records = 0;
    p->cur_idsum = 0;
    p->cur_idn = 0;
    p->cur_max_rec_ts = -1;
    p->ctrl_type = KB_CTRL_UNKNOWN;
    p->ctrl_bad = false;
    p->ctrl_epoch = -1;
    p->ctrl_ts = b->max_timestamp;
    rm_finding *f;

    while (p->next_snap < p->nsnaps && p->snaps[p->next_snap].offset <= b->base_offset)
        ka_snapshot_compare(p, &p->snaps[p->next_snap++]);

    rp->batches++;
    /* What --since/--until and --offsets match, so that a window holding
     * no batch is said (engine/runinfo.h), not reported Clean. */
    bool in_offsets = b->last_offset >= p->o->off_lo && b->base_offset <= p->o->off_hi;
    rp->batches_in_window += p->cur_window;
    rp->batches_in_offsets += in_offsets;
    rp->batches_in_scope += p->cur_window && in_offsets;
    if (rp->log_start_offset < 0 || b->base_offset < rp->log_start_offset) rp->log_start_offset = b->base_offset;
    if (b->last_offset >= rp->log_end_offset) rp->log_end_offset = wadd(b->last_offset, 1);
    if (b->max_timestamp > p->max_ts) p->max_ts = b->max_timestamp;
    if (b->max_timestamp >= 0) {
        if (rp->min_timestamp < 0 || b->max_timestamp < rp->min_timestamp) rp->min_timestamp = b->max_timestamp;
        if (b->max_timestamp > rp->max_timestamp) rp->max_timestamp = b->max_timestamp;
    }

    /* Offsets only grow (Appendix A, step 8). */
    if (p->have_prev && b->base_offset <= p->prev_last &&
        (f = ka_emit(p, RT_OFFSET_REGRESSION, 0, RM_ERROR, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_int(f, "previous_last_offset", p->prev_last);
    }
    /* Offsets no batch holds: the cleaner removed whole batches (1.10). */
    if (p->have_prev && b->base_offset > p->prev_last) p->holes = wadd(p->holes, wsub(b->base_offset, p->prev_last) - 1);
    int64_t before_last = p->have_prev ? p->prev_last : -1;
    if (!p->have_prev || b->last_offset > p->prev_last) p->prev_last = b->last_offset;
    p->have_prev = true;

    /* Leader epochs only grow along the log (KIP-101). */
    if (b->magic == 2 && b->partition_leader_epoch >= 0) {
        if (b->partition_leader_epoch < p->max_ple &&
            (f = ka_emit(p, RT_LEADER_EPOCH_REGRESSION, 0, RM_ERROR, b->base_offset, b->max_timestamp))) {
            ka_at_batch(p, f);
            rm_field_int(f, "leader_epoch", b->partition_leader_epoch);
            rm_field_int(f, "previous_leader_epoch", p->max_ple);
        } else if (b->partition_leader_epoch > p->max_ple &&
                   (GROW(p->epochs, p->nepochs, p->capepochs) == 0 || ka_oom(p, "the leader epochs") == 0)) {
            p->epochs[p->nepochs].epoch = b->partition_leader_epoch;
            p->epochs[p->nepochs].start = b->base_offset;
            p->epochs[p->nepochs].prev_end = before_last;
            p->nepochs++;
            p->max_ple = b->partition_leader_epoch;
        }
    }

    /* A client batch holds exactly lastOffsetDelta+1 records; the cleaner
     * only ever removes records (1.10), never adds. */
    if (b->magic == 2 && (int64_t)b->count > (int64_t)b->last_offset_delta + 1) {
        p->cur_count_bad = true;
        if ((f = ka_emit(p, RT_RECORD_COUNT_MISMATCH, RTV_COUNT_HEADER, RM_ERROR, b->base_offset, b->max_timestamp))) {
            ka_at_batch(p, f);
            rm_field_int(f, "count", b->count);
            rm_field_int(f, "offset_range", (int64_t)b->last_offset_delta + 1);
        }
    }

    if (p->light) return; /* producers and duplicates: the copy audited in full */
    ka_binfo bi = { b->producer_id, b->base_offset, b->max_timestamp, -1, b->base_sequence, b->crc,
                    b->producer_epoch, b->is_transactional, b->count };
    p->cur_bidx = KQ_EMPTY;
    if (!b->is_control && p->keep_binfo && p->index_state == KA_INDEX_OK) ka_index_presize(p, b);
    if (!b->is_control && p->nbatches < KQ_EMPTY && p->index_state == KA_INDEX_OK) {
        if (!p->keep_binfo) {
            p->cur_bi = bi;
            p->cur_bidx = p->nbatches++;
        } else if (ka_binfo_room(p, b->base_offset) == 0) {
            p->binfo[p->nbinfo++] = bi;
            p->cur_bidx = p->nbatches++;
        }
    }

    if (b->magic < 2 || b->producer_id < 0 || b->is_control) return;
    ka_prod *x = ka_prod_get(p, b->producer_id);
    if (!x) return;
    if (!p->keep_binfo && b->is_transactional && p->cur_bidx != KQ_EMPTY) {
        if (GROW_STATE(p, x->tb, x->ntb, x->captb, "an open transaction's batches") == 0)
            x->tb[x->ntb++] = (ka_tbatch){ p->cur_bidx, bi };
    }
    /* A producer silent for longer than the expiration is forgotten (7.8). */
    if (x->known && x->txn_first < 0 && x->last_ts >= 0 && wsub(b->max_timestamp, x->last_ts) >= p->o->producer_expiration_ms)
        ka_prod_forget(x);
    /* A producer session (id and epoch) begins here: the id's first batch
     * in this log (not known from a snapshot), or a higher epoch. */
    bool fresh = !x->known && !x->seen, newer = x->known && b->producer_epoch > x->epoch;
    ka_producer_data(p, x);
    ka_producer_txn(p, x);
    if (fresh || newer) {
        x->sess_first = b->base_offset;
        x->sess_records = 0;
    }
    x->sess_records += b->count;
    x->holes_at = p->holes;
    x->last_ts = b->max_timestamp;
    x->seen = true;
    if (x->first_off < 0) x->first_off = b->base_offset;
    x->last_off = b->last_offset;
    x->data_last_seq = b->last_sequence;
    x->batches++;
    x->records += b->count;
}

void ka_identify(const ka_options *o, const kb_record *r, ka_ident *id) { ka_fingerprint(o, r, &id->lo, &id->hi, &id->aux); }

void ka_record(ka_partition *p, const kb_record *r) { ka_record_known(p, r, NULL); }

void ka_record_known(ka_partition *p, const kb_record *r, const ka_ident *id)
{
    p->cur_records++;
    if (r->timestamp > p->cur_max_rec_ts) p->cur_max_rec_ts = r->timestamp;
    if (p->cur.is_control) {
        if (p->cur_records == 1) {
            ke_error e;
            ke_clear(&e);
            p->ctrl_bad = kb_control_parse(r, &p->ctrl_type, &p->ctrl_epoch, &e) < 0;
            if (p->ctrl_bad) snprintf(p->ctrl_msg, sizeof p->ctrl_msg, "%s", e.msg);
            p->ctrl_ts = r->timestamp;
        }
        return;
    }
    if (p->groups && r->offset >= p->log_start && !p->light) kg_record(p, p->groups, r);
    rm_partition *rp = &p->r->partitions[p->index];
    rp->records++;
    /* Below the log start offset a record is gone for every reader: it is
     * neither a duplicate nor the original of one. */
    if (p->light || r->offset < p->log_start) return;
    if (p->id_sample) ka_suggest_record(p, r);
    if (p->id_spec && ka_identity_record(p, r)) return; /* checked by identity, across the topic */
    if (p->cur_bidx == KQ_EMPTY) return;
    ka_ident own;
    if (!id) {
        ka_identify(p->o, r, &own);
        id = &own;
    }
    uint64_t lo = id->lo, hi = id->hi;
    uint32_t aux = id->aux;
    if (p->cur.is_transactional && p->cur.producer_id >= 0) {
        ka_prod *x = ka_prod_find(p, p->cur.producer_id);
        if (x && GROW_STATE(p, x->pend, x->npend, x->cappend, "an open transaction's records") == 0) {
            ka_pending *pe = &x->pend[x->npend++];
            pe->lo = lo, pe->hi = hi, pe->offset = r->offset, pe->timestamp = r->client_timestamp;
            pe->batch = p->cur_bidx, pe->aux = aux;
            const ka_options *o = p->o;
            rm_preview_set(&pe->key, r->key, r->key_len, o->redact & KA_REDACT_KEYS, o->redact_key);
            rm_preview_set(&pe->value, r->value, r->value_len, o->redact & KA_REDACT_VALUES, o->redact_key);
        }
        return;
    }
    ka_queued *q = &p->queue[p->nqueue++];
    q->lo = lo, q->hi = hi, q->aux = aux, q->offset = r->offset, q->ts = r->client_timestamp;
    q->key = r->key, q->key_len = r->key_len, q->value = r->value, q->value_len = r->value_len;
    kq_prefetch(&p->q, lo);
    if (p->nqueue == KA_QUEUE) ka_queue_flush(p);
}

void ka_batch_end(ka_partition *p, const ke_error *iter_error)
{
    ka_queue_flush(p);
    const kb_batch *b = &p->cur;
    rm_partition *rp = &p->r->partitions[p->index];
    rm_finding *f;
    if (b->is_control) rp->control_records += p->cur_records;
    if (iter_error && iter_error->code == KE_NOMEM) {
        /* Not a defect of the batch: its records were not read. */
        rm_partition_note(p->r, p->index, "%s: records of the batch at offset %" PRId64 " not checked (out of memory): %s",
                          iter_error->file ? iter_error->file : "?", b->base_offset, iter_error->msg);
        ka_oom(p, "a batch's records");
        iter_error = NULL;
    }
    if (iter_error && !p->cur_count_bad) {
        bool count = iter_error->code == KE_COUNT;
        int type = count ? RT_RECORD_COUNT_MISMATCH : RT_CORRUPT_BATCH;
        int variant = count ? RTV_COUNT_RECORDS : RTV_CORRUPT_RECORDS;
        if ((f = ka_emit(p, type, variant, RM_ERROR, b->base_offset, b->max_timestamp))) {
            ka_at_batch(p, f);
            rm_field_str(f, "code", ke_strerror(iter_error->code));
            rm_field_str(f, "detail", iter_error->msg);
        }
    }
    bool txn_marker = p->ctrl_type == KB_CTRL_COMMIT || p->ctrl_type == KB_CTRL_ABORT;
    if (b->is_control && b->producer_id >= 0 && p->cur_records > 0 && (!txn_marker || p->ctrl_bad) &&
        (f = ka_emit(p, RT_CORRUPT_BATCH, p->ctrl_bad ? RTV_CORRUPT_CONTROL : RTV_CORRUPT_NOT_MARKER, RM_ERROR,
                  b->base_offset, b->max_timestamp))) {
        /* Only a transaction coordinator writes control batches with a
         * producer id, and only COMMIT or ABORT markers (formats doc 3); the
         * broker refuses control batches from clients (1.13). */
        ka_at_batch(p, f);
        rm_field_str(f, "code", "corrupt");
        if (p->ctrl_bad) rm_field_str(f, "detail", p->ctrl_msg);
        else rm_field_str(f, "control_type", kb_control_name(p->ctrl_type));
    }
    if (b->is_control && b->producer_id >= 0 && b->count > 0 && txn_marker && !p->ctrl_bad && !p->light) {
        ka_marker(p);
        kg_marker(p, p->groups, b->producer_id, p->ctrl_type == KB_CTRL_COMMIT);
        if (p->id_spec) ka_identity_marker(p, b->producer_id, p->ctrl_type == KB_CTRL_COMMIT);
    }
    if (p->id_spec && !b->is_control) ka_identity_batch_end(p);
    /* An exact sequence repeat whose records differ is not a retry. */
    if (p->cur_repeat && p->cur_repeat_unseen)
        rm_partition_note(p->r, p->index,
                          "producer %" PRId64 " epoch %d: the batch at offset %" PRId64 " repeats sequences %d..%d, "
                          "which the producer snapshot says it had written before the log start; a broker holding "
                          "that state drops such a retry, so it had lost the state when this batch was appended. The "
                          "first copy's records are not in the log: whether they were the same cannot be checked",
                          b->producer_id, b->producer_epoch, b->base_offset, b->base_sequence, b->last_sequence);
    else if (p->cur_repeat && p->cur_dups < p->cur_records &&
        (f = ka_emit(p, RT_SEQUENCE_REGRESSION, RTV_SEQUENCE_REUSED, RM_ERROR, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_int(f, "expected_sequence", -1);
        rm_field_int(f, "actual_sequence", b->base_sequence);
        rm_field_int(f, "batch_last_sequence", b->last_sequence);
    }
    if (b->magic == 2 && b->timestamp_type == KB_TS_CREATE && !b->has_delete_horizon && p->cur_records > 0 &&
        p->cur_max_rec_ts > b->max_timestamp &&
        (f = ka_emit(p, RT_TIMESTAMP_ANOMALY, 0, RM_WARNING, b->base_offset, b->max_timestamp))) {
        ka_at_batch(p, f);
        rm_field_int(f, "max_record_timestamp", p->cur_max_rec_ts);
        rm_field_int(f, "max_timestamp", b->max_timestamp);
    }
}

void ka_reader_problem(ka_partition *p, const ke_error *e, int64_t entry_offset)
{
    /* A live broker changed the file under us: what we read is sound, what
     * we could not read is not a defect of the data. Said, not a finding. */
    if (e->code == KE_LIVE) {
        rm_partition_note(p->r, p->index, "%s: %s", e->file ? e->file : "?", e->msg);
        return;
    }
    /* Nor is running out of memory: the entry was not checked, say so, and
     * the partition is incomplete. */
    if (e->code == KE_NOMEM) {
        rm_partition_note(p->r, p->index, "%s: not checked (out of memory): %s", e->file ? e->file : "?", e->msg);
        ka_oom(p, "reading a segment");
        return;
    }
    /* A zero-filled tail has no offset field of its own: it starts at the
     * log end. */
    if (e->code == KE_ZERO_FILL) entry_offset = p->have_prev ? wadd(p->prev_last, 1) : -1;
    bool tail = e->code == KE_TRUNCATED || e->code == KE_ZERO_FILL;
    int severity = e->code == KE_ZERO_FILL ? RM_INFO : tail ? RM_WARNING : RM_ERROR;
    int type = tail ? RT_TRUNCATED_BATCH : RT_CORRUPT_BATCH;
    int variant = !tail ? RTV_CORRUPT_ENTRY : e->code == KE_ZERO_FILL ? RTV_TRUNCATED_ZEROS : RTV_TRUNCATED_PARTIAL;
    rm_finding *f = ka_emit(p, type, variant, severity, entry_offset, -1);
    if (!f) return;
    rm_field_str(f, "file", e->file ? e->file : "");
    rm_field_int(f, "position", e->pos);
    rm_field_str(f, "code", ke_strerror(e->code));
    rm_field_str(f, "detail", e->msg);
}

void ka_index_problem(ka_partition *p, const ke_error *e, int64_t offset)
{
    size_t n = e->file ? strlen(e->file) : 0;
    bool txn = n > 9 && strcmp(e->file + n - 9, ".txnindex") == 0;
    rm_finding *f = ka_emit(p, txn ? RT_TXN_INDEX_MISMATCH : RT_INDEX_MISMATCH, 0, RM_WARNING, offset, -1);
    if (!f) return;
    rm_field_str(f, "file", e->file ? e->file : "");
    rm_field_int(f, "position", e->pos);
    rm_field_str(f, "detail", e->msg);
}

void ka_file_problem(ka_partition *p, const ke_error *e, int kind)
{
    /* What the broker does with such a file says how bad it is (docs/report.md,
     * "Files beside the segments"); report/types.c words each kind. */
    static const struct { const char *name; int severity, variant; } k[] = {
        [KA_FILE_SNAPSHOT] = { "producer_snapshot", RM_WARNING, RTV_FILE_SNAPSHOT },
        [KA_FILE_LEADER_EPOCH] = { "leader_epoch_checkpoint", RM_ERROR, RTV_FILE_LEADER_EPOCH },
        [KA_FILE_LEADER_EPOCH_ORDER] = { "leader_epoch_checkpoint", RM_WARNING, RTV_FILE_LEADER_EPOCH_ORDER },
        [KA_FILE_LOG_START] = { "log_start_offset_checkpoint", RM_ERROR, RTV_FILE_LOG_START },
        [KA_FILE_INDEX] = { "index", RM_WARNING, RTV_FILE_INDEX },
    };
    if (kind < 0 || kind > KA_FILE_INDEX) return;
    if (e->code == KE_NOMEM) { /* not the file's fault: not checked, and said */
        rm_partition_note(p->r, p->index, "%s: not checked (out of memory): %s", e->file ? e->file : "?", e->msg);
        ka_oom(p, "reading a snapshot, checkpoint or index");
        return;
    }
    rm_finding *f = ka_emit(p, RT_CORRUPT_FILE, k[kind].variant, k[kind].severity, -1, -1);
    if (!f) return;
    rm_field_str(f, "file", e->file ? e->file : "");
    rm_field_int(f, "position", e->pos);
    rm_field_str(f, "kind", k[kind].name);
    rm_field_str(f, "code", ke_strerror(e->code));
    rm_field_str(f, "detail", e->msg);
}

/* A hanging transaction's abort_command: the line kafka-transactions.sh
 * (KIP-664, TransactionsCommand's abort: brokers 3.0 and later) takes to end
 * the transaction that starts at `start`; the bootstrap server is the
 * user's to fill in. Only for a topic of the characters Kafka allows in one
 * and a known partition: the line is then safe to paste into a shell. */
static void abort_command(const ka_partition *p, rm_finding *f, int64_t start)
{
    static const char legal[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    int32_t partition = p->r->partitions[p->index].partition;
    size_t n = strlen(p->topic);
    if (partition < 0 || n == 0 || n > 249 || strspn(p->topic, legal) != n) return;
    char line[400];
    snprintf(line, sizeof line,
             "kafka-transactions.sh --bootstrap-server <bootstrap> abort --topic %s --partition %" PRId32
             " --start-offset %" PRId64,
             p->topic, partition, start);
    rm_field_str(f, "abort_command", line);
}

void ka_partition_end(ka_partition *p)
{
    ka_dup_end(p);
    ka_identity_end(p);
    kg_end(p, p->groups);
    if (p->index_state == KA_INDEX_CHANGED)
        rm_partition_note(p->r, p->index,
                          "duplicates not checked from offset %" PRId64 ": the data changed between the two passes "
                          "of a spilled audit",
                          p->index_stop);
    else if (p->index_state != KA_INDEX_OK)
        rm_partition_note(p->r, p->index,
                          "duplicates not checked from offset %" PRId64 ": %s", p->index_stop,
                          p->index_state == KA_INDEX_FULL ? "the duplicate index reached its memory limit (--max-memory)"
                                                          : "out of memory, or the spill to disk failed");
    while (p->next_snap < p->nsnaps) ka_snapshot_compare(p, &p->snaps[p->next_snap++]);
    for (size_t i = 0; i < p->nprods; i++) {
        ka_prod *x = &p->prods[i];
        if (x->txn_first < 0 || !x->seen) continue;
        int64_t age = p->max_ts >= 0 && x->txn_first_ts >= 0 ? p->max_ts - x->txn_first_ts : -1;
        /* The coordinator aborts a transaction older than its timeout, at
         * most transaction.max.timeout.ms: a younger one is in progress. */
        bool hanging = age < 0 || age >= p->o->txn_max_timeout_ms;
        rm_finding *f = ka_emit(p, RT_OPEN_TRANSACTION, hanging ? RTV_TXN_HANGING : RTV_TXN_IN_PROGRESS,
                             hanging ? RM_WARNING : RM_INFO, x->txn_first, -1);
        if (!f) continue;
        ka_set_producer(f, x->pid, x->epoch);
        rm_field_int(f, "first_offset", x->txn_first);
        rm_field_int(f, "age_ms", age);
        rm_field_int(f, "records", (int64_t)x->npend);
        if (hanging) abort_command(p, f, x->txn_first);
    }
    ka_epochs_compare(p);
    rm_partition *rp = &p->r->partitions[p->index];
    if (p->r->oom) ka_oom(p, "the report");
    if (p->log_start > rp->log_start_offset) rp->log_start_offset = p->log_start;
    size_t n = 0;
    for (size_t i = 0; i < p->nprods; i++) n += p->prods[i].seen;
    rp->producers = n ? calloc(n, sizeof *rp->producers) : NULL;
    if (n && !rp->producers) ka_oom(p, "the producers' summary");
    for (size_t i = 0; rp->producers && i < p->nprods; i++) {
        const ka_prod *x = &p->prods[i];
        if (!x->seen) continue;
        rm_producer *y = &rp->producers[rp->nproducers++];
        y->producer_id = x->pid;
        y->epoch = x->epoch;
        y->first_offset = x->first_off;
        y->last_offset = x->last_off;
        y->last_sequence = x->data_last_seq;
        y->batches = x->batches;
        y->records = x->records;
    }
}
