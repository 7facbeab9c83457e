/*
 * dump.c - include/kaudit.h's kaudit_dump: its options, the order files are
 * dumped in (docs/dump-format.md: files given directly first, in the order
 * given; then for each log directory its root files and its partitions,
 * each partition's files in the broker's order), what each kind of file
 * gets, and the counts; see inspect/dump.h.
 */
#include "inspect/dump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/audit.h"
#include "engine/api_error.h"
#include "inspect/batches.h"
#include "inspect/files.h"
#include "inspect/kafka.h"
#include "reader/layout.h"
#include "reader/segment.h"
#include "reader/walk.h"

/* The printer reads the public redaction bits as audit/'s. */
_Static_assert((int)KAUDIT_REDACT_KEYS == (int)KA_REDACT_KEYS && (int)KAUDIT_REDACT_VALUES == (int)KA_REDACT_VALUES &&
                   (int)KAUDIT_REDACT_HEADERS == (int)KA_REDACT_HEADERS,
               "redaction bits");

void kaudit_dump_options_init(kaudit_dump_options *o)
{
    memset(o, 0, sizeof *o);
    o->format = KAUDIT_DUMP_TEXT;
    o->decode = KAUDIT_DECODE_AUTO;
    o->off_lo = INT64_MIN;
    o->off_hi = INT64_MAX;
    o->max_entry = KS_DEFAULT_MAX_ENTRY;
    o->live_wait_ms = KW_LIVE_WAIT_MS;
}


/* ---- reporting ------------------------------------------------------------------ */

void in_report(in_dump *d, const ke_error *e)
{
    /* A live broker changing a file under us is said, not held against the data. */
    if (e->code == KE_IO || e->code == KE_FOREIGN) d->oc.unreadable++;
    else if (e->code == KE_LIVE) d->oc.notes++;
    else d->oc.problems++;
    in_print_error(&d->p, e);
    const kaudit_callbacks *cb = d->cb;
    void (*say)(void *, const char *) = !cb ? NULL : e->code == KE_LIVE ? cb->notice : cb->problem;
    if (!say) return;
    char line[4400];
    const char *file = e->file ? e->file : "-";
    if (e->pos >= 0) snprintf(line, sizeof line, "%s at position %" PRId64 ": %s", file, e->pos, e->msg);
    else snprintf(line, sizeof line, "%s: %s", file, e->msg);
    say(cb->ctx, line);
}

bool in_cancelled(in_dump *d)
{
    if (!d->stop && d->cb && d->cb->cancelled && d->cb->cancelled(d->cb->ctx)) d->stop = true;
    return d->stop;
}

void in_progress(in_dump *d, int64_t bytes)
{
    if (d->cb && d->cb->progress) d->cb->progress(d->cb->ctx, bytes);
}

/* ---- one file ------------------------------------------------------------------- */

/* The decoder that applies to a file of `topic` (NULL when unknown). */
static int decoder_for(const in_dump *d, const char *topic, const kl_file *f)
{
    if (d->o->decode != KAUDIT_DECODE_AUTO) return d->o->decode;
    if (f->kind == KL_KRAFT_SNAPSHOT) return KAUDIT_DECODE_METADATA;
    if (!topic) return KAUDIT_DECODE_NONE;
    if (strcmp(topic, "__consumer_offsets") == 0) return KAUDIT_DECODE_OFFSETS;
    if (strcmp(topic, "__transaction_state") == 0) return KAUDIT_DECODE_TRANSACTIONS;
    if (strcmp(topic, "__cluster_metadata") == 0) return KAUDIT_DECODE_METADATA;
    return KAUDIT_DECODE_NONE;
}

/* Whether kafka-dump-log.sh reads f (by its name's suffix: .log,
 * .checkpoint, .index, .timeindex, .txnindex, .snapshot). A Redpanda
 * segment is its .log too, and is said to be foreign. */
static bool kafka_reads(const kl_file *f)
{
    size_t n = strlen(f->path);
    switch (f->kind) {
    case KL_SEGMENT:
    case KL_KRAFT_SNAPSHOT:
    case KL_OFFSET_INDEX:
    case KL_TIME_INDEX:
    case KL_TXN_INDEX:
    case KL_PRODUCER_SNAPSHOT:
    case KL_FOREIGN: return true;
    case KL_OTHER: return n > 4 && strcmp(f->path + n - 4, ".log") == 0;
    default: return false;
    }
}

/* Dump file f of `topic` (NULL when unknown) and `partition`; `given`:
 * named directly, not found in a folder. */
static void dump_file(in_dump *d, const kl_file *f, const char *topic, int32_t partition, bool given)
{
    if (in_cancelled(d)) return;
    if (f->kind == KL_OTHER && !given) return; /* .lock files and the like */
    if (d->p.kafka && !kafka_reads(f)) {
        /* kafka-dump-log.sh names a file it was given and ignores it (on
         * stderr, exit 0); the other files of a folder are not its business. */
        if (!given) return;
        in_print_file(&d->p, f, topic, partition);
        ik_ignored(&d->p, f->path);
        return;
    }
    in_print_file(&d->p, f, topic, partition);
    d->decode_now = decoder_for(d, topic, f);
    switch (f->kind) {
    case KL_SEGMENT:
    case KL_KRAFT_SNAPSHOT: in_dump_segment(d, f); return;
    case KL_OFFSET_INDEX:
    case KL_TIME_INDEX:
        if (d->p.kafka) in_kafka_index(d, f);
        else in_dump_index(d, f);
        return;
    case KL_TXN_INDEX: in_dump_index(d, f); return;
    case KL_PRODUCER_SNAPSHOT: in_dump_snapshot(d, f); return;
    case KL_TRANSIENT: in_print_transient(&d->p, f); return;
    case KL_FOREIGN:
    case KL_OTHER: break;
    default: in_dump_text_file(d, f); return;
    }
    /* Only files named directly get here: read as kaudit audit reads them
     * (kl_not_kafka: a .log of another name may still hold batches). */
    const char *why = kl_not_kafka(f);
    if (!why) {
        in_dump_segment(d, f);
        return;
    }
    ke_error e;
    ke_clear(&e);
    e.file = f->path;
    ke_set(&e, KE_FOREIGN, -1, "%s", why);
    in_report(d, &e);
}

/* ---- the inputs ------------------------------------------------------------------ */

/* The topic and partition of a file given alone, from its folder's name
 * (".../orders-3/00000000000000000000.log") into `topic` and *part: 1
 * when the folder is a partition directory, else 0. */
static int loose_topic(const char *path, char *topic, size_t cap, int32_t *part)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    const char *start = slash - 1;
    while (start > path && start[-1] != '/') start--;
    char dir[512];
    size_t n = (size_t)(slash - start);
    if (n >= sizeof dir) return 0;
    memcpy(dir, start, n);
    dir[n] = '\0';
    const char *state;
    return kl_partition_name(dir, topic, cap, part, &state);
}

/* The bytes of the segment files among `n` files, as stat gives them now:
 * the work ahead, for progress. */
static int64_t segment_bytes(const kl_file *files, size_t n)
{
    struct stat st;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (files[i].kind == KL_SEGMENT && stat(files[i].path, &st) == 0) total += st.st_size;
    return total;
}

static void dump_set(in_dump *d, const kl_set *set)
{
    for (size_t i = 0; i < set->nproblems; i++) in_report(d, &set->problems[i]);
    for (size_t i = 0; i < set->nloose; i++) {
        char topic[512];
        int32_t part = -1;
        kx_txns_free(&d->txns);
        bool known = loose_topic(set->loose[i].path, topic, sizeof topic, &part);
        dump_file(d, &set->loose[i], known ? topic : NULL, part, true);
    }
    long last_logdir = -1;
    for (size_t i = 0; i < set->nparts; i++) {
        const kl_partition *p = &set->parts[i];
        if (p->logdir >= 0 && p->logdir != last_logdir) {
            const kl_logdir *ld = &set->logdirs[p->logdir];
            for (size_t j = 0; j < ld->nfiles; j++) dump_file(d, &ld->files[j], NULL, -1, false);
            last_logdir = p->logdir;
        }
        kx_txns_free(&d->txns);
        for (size_t j = 0; j < p->nfiles; j++) dump_file(d, &p->files[j], p->topic, p->partition, false);
    }
    /* Log directories with no partition still have their root files (but
     * not the folder a partition given alone sits in: not asked for). */
    for (long i = 0; i < (long)set->nlogdirs; i++) {
        bool seen = set->logdirs[i].outside;
        for (size_t j = 0; j < set->nparts && !seen; j++) seen = set->parts[j].logdir == i;
        for (size_t j = 0; !seen && j < set->logdirs[i].nfiles; j++)
            dump_file(d, &set->logdirs[i].files[j], NULL, -1, false);
    }
}

/* ---- the call ------------------------------------------------------------------- */

static int check_options(const kaudit_dump_options *o, const char *const *paths, size_t npaths, FILE *out,
                         kaudit_error *err)
{
    if (!o || !out || (npaths && !paths)) return ae_fail(err, KAUDIT_EUSAGE, NULL, "no options, paths or output stream");
    if (npaths == 0) return ae_fail(err, KAUDIT_EUSAGE, NULL, "no path given");
    for (size_t i = 0; i < npaths; i++)
        if (!paths[i]) return ae_fail(err, KAUDIT_EUSAGE, NULL, "path %zu is NULL", i);
    if (o->format != KAUDIT_DUMP_TEXT && o->format != KAUDIT_DUMP_JSONL && o->format != KAUDIT_DUMP_KAFKA)
        return ae_fail(err, KAUDIT_EUSAGE, NULL, "unknown format %d", o->format);
    if (o->index_mode < KAUDIT_INDEX_DUMP || o->index_mode > KAUDIT_INDEX_SANITY_ONLY)
        return ae_fail(err, KAUDIT_EUSAGE, NULL, "unknown index mode %d", o->index_mode);
    if (o->max_bytes < 0) return ae_fail(err, KAUDIT_EUSAGE, NULL, "max_bytes %" PRId64 " is negative", o->max_bytes);
    if (o->decode < KAUDIT_DECODE_NONE || o->decode > KAUDIT_DECODE_METADATA)
        return ae_fail(err, KAUDIT_EUSAGE, NULL, "unknown decoder %d", o->decode);
    if (o->off_lo > o->off_hi)
        return ae_fail(err, KAUDIT_EUSAGE, NULL, "offsets %" PRId64 ":%" PRId64 " are not a range", o->off_lo, o->off_hi);
    if (o->redact & ~(KAUDIT_REDACT_KEYS | KAUDIT_REDACT_VALUES | KAUDIT_REDACT_HEADERS))
        return ae_fail(err, KAUDIT_EUSAGE, NULL, "unknown redaction 0x%x", (unsigned)o->redact);
    if (o->max_entry < 64) return ae_fail(err, KAUDIT_EUSAGE, NULL, "max_entry %zu is under 64 bytes", o->max_entry);
    if (o->live_wait_ms < 0) return ae_fail(err, KAUDIT_EUSAGE, NULL, "live_wait_ms %d is negative", o->live_wait_ms);
    return 0;
}

int kaudit_dump(const kaudit_dump_options *o, const char *const *paths, size_t npaths, FILE *out,
                const kaudit_callbacks *cb, kaudit_dump_outcome *outcome, kaudit_error *err)
{
    ae_clear(err);
    if (outcome) memset(outcome, 0, sizeof *outcome);
    int rc = check_options(o, paths, npaths, out, err);
    if (rc < 0) return rc;
    kaudit_dump_options opts = *o;
    opts.records = o->records || o->payload;
    in_dump d;
    memset(&d, 0, sizeof d);
    d.o = &opts;
    d.cb = cb;
    kx_txns_init(&d.txns);
    ik_notes_init(&d.kn);
    d.dc = kc_create(opts.max_entry);
    kl_set *set = kl_create();
    if (!d.dc || !set) {
        kc_free(d.dc);
        kl_free(set);
        return ae_fail(err, KAUDIT_ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < npaths; i++) {
        if (kl_add(set, paths[i]) == 0) continue;
        kc_free(d.dc);
        kl_free(set);
        return ae_fail(err, KAUDIT_ENOMEM, paths[i], "out of memory scanning %s", paths[i]);
    }
    kl_finish(set);
    in_printer_init(&d.p, out, &opts);
    if (cb && cb->started) {
        int64_t total = segment_bytes(set->loose, set->nloose);
        for (size_t i = 0; i < set->nparts; i++) total += segment_bytes(set->parts[i].files, set->parts[i].nfiles);
        cb->started(cb->ctx, total);
    }
    dump_set(&d, set);
    if (d.p.kafka) in_kafka_finish(&d);
    in_printer_flush(&d.p);
    if (d.p.err) fflush(d.p.err);
    errno = 0;
    bool write_failed = fflush(out) != 0 || ferror(out);
    int write_errno = errno ? errno : d.p.write_errno;
    kl_free(set);
    kx_txns_free(&d.txns);
    ik_notes_free(&d.kn);
    kc_free(d.dc);
    in_printer_free(&d.p);
    if (outcome) *outcome = d.oc;
    if (write_failed)
        return ae_fail(err, KAUDIT_EWRITE, NULL, "writing the dump failed%s%s", write_errno ? ": " : "",
                    write_errno ? strerror(write_errno) : "");
    if (d.stop) return ae_fail(err, KAUDIT_ECANCEL, NULL, "cancelled");
    return 0;
}
