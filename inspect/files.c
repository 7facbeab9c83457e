/* files.c - indexes, snapshots, checkpoints and properties in a dump; see files.h. */
#include "inspect/files.h"

#include <stdlib.h>
#include <string.h>

#include "reader/checkpoint.h"
#include "reader/index.h"
#include "reader/segment.h"
#include "reader/snapshot.h"

/* Indexes and snapshots are read whole, up to this. */
#define SMALL_FILE_CAP ((size_t)64 << 20)

/* Read a small file whole into *buf (the caller frees it); report and
 * return false when it cannot be read. */
static bool read_small(in_dump *d, const char *path, size_t cap, uint8_t **buf, size_t *len)
{
    ke_error e;
    if (ks_read_file(path, cap, buf, len, &e) == 0) return true;
    in_report(d, &e);
    return false;
}

/* A fresh error about `file`, for the next check. */
static void about(ke_error *e, const char *file)
{
    ke_clear(e);
    e->file = file;
}

/* ---- indexes ---------------------------------------------------------------- */

static void index_entry(in_dump *d, const ki_index *ix, size_t i, const char *file)
{
    ke_error e;
    about(&e, file);
    int64_t at = ki_slot_pos(ix, i);
    if (ix->kind == KI_OFFSET) {
        ki_offset_entry x;
        if (ki_offset_at(ix, i, &x, &e) < 0) in_report(d, &e);
        else in_print_offset_entry(&d->p, file, &x, at);
    } else if (ix->kind == KI_TIME) {
        ki_time_entry x;
        if (ki_time_at(ix, i, &x, &e) < 0) in_report(d, &e);
        else in_print_time_entry(&d->p, file, &x, at);
    } else {
        ki_txn_entry x;
        if (ki_txn_at(ix, i, &x, &e) < 0) in_report(d, &e);
        else in_print_txn_entry(&d->p, file, &x, at);
    }
}

void in_dump_index(in_dump *d, const kl_file *f)
{
    ki_kind kind = f->kind == KL_OFFSET_INDEX ? KI_OFFSET : f->kind == KL_TIME_INDEX ? KI_TIME : KI_TXN;
    uint8_t *buf;
    size_t len;
    if (!read_small(d, f->path, SMALL_FILE_CAP, &buf, &len)) return;
    ki_index ix;
    ke_error e;
    about(&e, f->path);
    if (ki_open(&ix, kind, buf, len, f->base_offset, &e) < 0) {
        in_report(d, &e);
        free(buf);
        return;
    }
    if (ix.entries == 0) in_print_index_empty(&d->p, f->path);
    for (size_t i = 0; i < ix.entries; i++) index_entry(d, &ix, i, f->path);
    if (ix.tail_bytes > 0) in_print_index_tail(&d->p, ix.slots - ix.entries, ix.tail_bytes);
    size_t next = 0;
    about(&e, f->path);
    while (ki_check_order(&ix, &next, &e) < 0) {
        in_report(d, &e);
        about(&e, f->path);
    }
    /* Kafka's sanityCheck reads the file's last slot: an index with a
     * preallocated zero tail (the active segment of a live or crashed
     * broker) always fails it, and brokers since 2.3 no longer run it at
     * load. The written entries were checked above; the length rule still
     * applies. */
    about(&e, f->path);
    if (ix.tail_bytes == 0 && ki_sanity_check(&ix, &e) < 0) in_report(d, &e);
    else if (ix.tail_bytes > 0 && ix.partial_bytes > 0) {
        ke_set(&e, KE_CORRUPT, (int64_t)(ix.slots * ix.entry_size), "%zu trailing bytes are not a whole %zu-byte entry",
               ix.partial_bytes, ix.entry_size);
        in_report(d, &e);
    }
    free(buf);
}

/* ---- producer-state snapshots --------------------------------------------------- */

void in_dump_snapshot(in_dump *d, const kl_file *f)
{
    uint8_t *buf;
    size_t len;
    if (!read_small(d, f->path, SMALL_FILE_CAP, &buf, &len)) return;
    kp_snapshot s;
    ke_error e;
    about(&e, f->path);
    if (kp_open(&s, buf, len, &e) < 0) {
        in_report(d, &e);
        /* Kafka ignores bytes after the entries, which only kaudit calls
         * corrupt: kafka-dump-log.sh prints the entries then. */
        bool only_extra = e.code == KE_CORRUPT && s.count >= 0 && s.trailing > 0;
        if (!d->p.kafka || !only_extra) {
            free(buf);
            return;
        }
    }
    for (size_t i = 0; i < s.n; i++) {
        kp_entry pe;
        about(&e, f->path);
        if (kp_entry_at(&s, i, &pe, &e) < 0) in_report(d, &e);
        else in_print_snapshot_entry(&d->p, f->path, &pe);
    }
    if (s.n == 0) in_print_snapshot_empty(&d->p, f->path);
    free(buf);
}

/* ---- checkpoints and properties ------------------------------------------------ */

static void dump_checkpoint(in_dump *d, const kl_file *f, const uint8_t *buf, size_t len, const char *name)
{
    kk_checkpoint *c = NULL;
    ke_error e;
    about(&e, f->path);
    kk_kind kind = f->kind == KL_LEADER_EPOCH ? KK_LEADER_EPOCH : KK_OFFSETS;
    if (kk_checkpoint_parse(&c, kind, buf, len, &e) < 0) {
        in_report(d, &e);
        return;
    }
    in_print_checkpoint(&d->p, f->path, name, c);
    size_t next = 0;
    about(&e, f->path);
    while (kind == KK_LEADER_EPOCH && kk_leader_epoch_check(c, &next, &e) < 0) {
        in_report(d, &e);
        about(&e, f->path);
    }
    kk_checkpoint_free(c);
}

static void dump_properties(in_dump *d, const kl_file *f, const uint8_t *buf, size_t len, const char *name)
{
    ke_error e;
    about(&e, f->path);
    if (f->kind == KL_PARTITION_METADATA) {
        kk_partition_metadata m;
        if (kk_partition_metadata_parse(&m, buf, len, &e) < 0) in_report(d, &e);
        else in_print_partition_metadata(&d->p, f->path, name, &m);
    } else if (f->kind == KL_META_PROPERTIES) {
        kk_meta_properties m;
        if (kk_meta_properties_parse(&m, buf, len, &e) < 0) in_report(d, &e);
        else in_print_meta_properties(&d->p, f->path, name, &m);
    } else if (f->kind == KL_CLEAN_SHUTDOWN) {
        kk_clean_shutdown m;
        if (kk_clean_shutdown_parse(&m, buf, len, &e) < 0) in_report(d, &e);
        else in_print_clean_shutdown(&d->p, f->path, name, &m);
    } else {
        kk_quorum_state m;
        if (kk_quorum_state_parse(&m, buf, len, &e) < 0) in_report(d, &e);
        else in_print_quorum_state(&d->p, f->path, name, &m);
    }
}

void in_dump_text_file(in_dump *d, const kl_file *f)
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
