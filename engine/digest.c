/* digest.c - see digest.h and docs/digest.md. */
#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "engine/batches.h"
#include "engine/replicas.h"

/* ---- writing --------------------------------------------------------------- */

typedef struct dg_writer {
    FILE *out;
    XXH3_state_t *hash;
    bool failed;               /* a write failed: errno kept in why */
    int why;
    uint64_t parts, batches;
} dg_writer;

static void put(dg_writer *w, const void *p, size_t n)
{
    if (w->failed || !n) return;
    XXH3_64bits_update(w->hash, p, n);
    if (fwrite(p, 1, n, w->out) != n) w->failed = true, w->why = errno ? errno : EIO;
}

static void record(dg_writer *w, int tag, const uint8_t *body, size_t len)
{
    uint8_t frame[16];
    put(w, frame, kdg_put_frame(frame, tag, len));
    put(w, body, len);
}

/* The producers of one copy, by id: an open-addressing table. */
typedef struct dg_producers {
    kdg_producer *slot;         /* producer_id -1: empty */
    size_t cap, n;
} dg_producers;

static kdg_producer *producer_of(dg_producers *t, int64_t pid)
{
    if (t->n * 2 >= t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        kdg_producer *ns = malloc(ncap * sizeof *ns);
        if (!ns) return NULL;
        for (size_t i = 0; i < ncap; i++) ns[i].producer_id = -1;
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slot[i].producer_id < 0) continue;
            size_t h = (size_t)XXH3_64bits(&t->slot[i].producer_id, sizeof(int64_t)) & (ncap - 1);
            while (ns[h].producer_id >= 0) h = (h + 1) & (ncap - 1);
            ns[h] = t->slot[i];
        }
        free(t->slot);
        t->slot = ns, t->cap = ncap;
    }
    size_t h = (size_t)XXH3_64bits(&pid, sizeof pid) & (t->cap - 1);
    while (t->slot[h].producer_id >= 0 && t->slot[h].producer_id != pid) h = (h + 1) & (t->cap - 1);
    if (t->slot[h].producer_id < 0) {
        t->slot[h] = (kdg_producer){ pid, -1, -1, -1, -1, -1 };
        t->n++;
    }
    return &t->slot[h];
}

/* A batch's mark on its producer's state at the end of the copy. */
static bool track(dg_producers *t, const kb_batch *b)
{
    if (b->producer_id < 0) return true;
    kdg_producer *p = producer_of(t, b->producer_id);
    if (!p) return false;
    p->epoch = b->producer_epoch;
    p->last_offset = b->last_offset;
    p->last_timestamp = b->max_timestamp;
    if (b->is_control) p->open_txn_first = -1; /* a marker ends the transaction */
    else p->last_sequence = b->last_sequence;
    if (b->is_transactional && !b->is_control && p->open_txn_first < 0) p->open_txn_first = b->base_offset;
    return true;
}

static int cmp_producer(const void *x, const void *y)
{
    const kdg_producer *a = x, *b = y;
    return (a->producer_id > b->producer_id) - (a->producer_id < b->producer_id);
}

/* The end of a copy: how many entries were left out, its producers. */
static bool part_end(dg_writer *w, dg_producers *t, int64_t unread)
{
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slot[i].producer_id >= 0) t->slot[n++] = t->slot[i];
    if (n) qsort(t->slot, n, sizeof *t->slot, cmp_producer);
    uint8_t *body = malloc(32 + n * 64);
    if (!body) return false;
    kdg_state s = { unread, n };
    record(w, KDG_STATE, body, kdg_put_state(body, &s, t->slot, n));
    free(body);
    free(t->slot);
    *t = (dg_producers){ 0 };
    return true;
}

typedef struct dg_item {
    const kl_partition *kp;
    const rm_partition *rp;
} dg_item;

static int cmp_item(const void *x, const void *y)
{
    const dg_item *a = x, *b = y;
    int c = strcmp(a->kp->topic, b->kp->topic);
    if (c) return c;
    if (a->kp->partition != b->kp->partition) return a->kp->partition < b->kp->partition ? -1 : 1;
    return strcmp(a->kp->path, b->kp->path);
}

static int cmp_rp(const void *x, const void *y)
{
    return strcmp((*(const rm_partition *const *)x)->path, (*(const rm_partition *const *)y)->path);
}

/* A 'B' record of the n batches coded at chunk (len bytes; room for the
 * count before it). */
static void flush_chunk(dg_writer *w, uint8_t *chunk, size_t *n, size_t *len)
{
    uint8_t head[16];
    size_t hl = kdg_put_count(head, *n);
    memcpy(chunk - hl, head, hl);
    record(w, KDG_BATCHES, chunk - hl, hl + *len);
    *n = *len = 0;
}

/* Write one copy: its 'P', its batches in 'B' chunks, its 'S'. */
static bool write_part(dg_writer *w, const dg_item *it, int64_t dir, er_dirs *dirs, uint8_t *buf, size_t max_entry,
                       bool no_cache)
{
    const kl_partition *kp = it->kp;
    const rm_partition *rp = it->rp;
    er_facts facts;
    er_facts_of(dirs, kp, &facts);
    kdg_part p = { dir,
                  kp->topic,
                  kp->path,
                  strlen(kp->topic),
                  strlen(kp->path),
                  kp->partition,
                  facts.truncating,
                  rp->kafka_log_start,
                  rp->log_start_offset,
                  rp->log_end_offset,
                  facts.hw,
                  facts.last_base,
                  facts.last_size,
                  rp->segments,
                  rp->batches,
                  rp->records,
                  rp->control_records,
                  rp->bytes,
                  rp->min_timestamp,
                  rp->max_timestamp };
    record(w, KDG_PART, buf, kdg_put_part(buf, &p));
    w->parts++;
    dg_producers producers = { 0 };
    kdg_prev prev = { 0 };
    eb_stream s;
    eb_open(&s, kp, INT64_MIN, max_entry, no_cache);
    size_t n = 0, len = 0;
    bool ok = true;
    uint8_t *chunk = buf + 16; /* the count goes before it */
    for (bool more = eb_next(&s); more && ok; more = eb_next(&s)) {
        len += kdg_put_batch(chunk + len, &prev, &s.b, eb_control_type(&s.b));
        ok = track(&producers, &s.b);
        w->batches++;
        if (++n == KDG_CHUNK_BATCHES) flush_chunk(w, chunk, &n, &len);
    }
    if (ok && n) flush_chunk(w, chunk, &n, &len);
    int64_t unread = s.skipped + (s.failed ? 1 : 0);
    eb_close(&s);
    if (!ok || !part_end(w, &producers, unread)) {
        free(producers.slot);
        return false;
    }
    return true;
}

int ed_write(const kl_set *set, const rm_report *r, FILE *out, size_t max_entry, bool no_cache, ke_error *e)
{
    ke_clear(e);
    dg_writer w = { .out = out, .hash = XXH3_createState() };
    const rm_partition **byp = calloc(r->npartitions + 1, sizeof *byp);
    dg_item *items = calloc(set->nparts + 1, sizeof *items);
    int64_t *dir_id = malloc((set->nlogdirs + 1) * sizeof *dir_id);
    uint8_t *buf = malloc(KDG_BODY_MAX > 16 + KDG_CHUNK_BATCHES * KDG_BATCH_MAX ? KDG_BODY_MAX
                                                                            : 16 + KDG_CHUNK_BATCHES * KDG_BATCH_MAX);
    er_dirs *dirs = er_dirs_create(set);
    int rc = 0;
    if (!w.hash || !byp || !items || !dir_id || !buf || !dirs) {
        rc = ke_set(e, KE_NOMEM, -1, "out of memory writing the digest");
        goto done;
    }
    XXH3_64bits_reset(w.hash);
    for (size_t i = 0; i < r->npartitions; i++) byp[i] = &r->partitions[i];
    qsort(byp, r->npartitions, sizeof *byp, cmp_rp);
    size_t n = 0;
    for (size_t i = 0; i < set->nparts; i++) {
        if (set->parts[i].state[0]) continue; /* -delete, -future, -stray: not a replica */
        rm_partition key = { .path = set->parts[i].path };
        const rm_partition *kptr = &key;
        const rm_partition **hit = bsearch(&kptr, byp, r->npartitions, sizeof *byp, cmp_rp);
        if (hit) items[n++] = (dg_item){ &set->parts[i], *hit };
    }
    qsort(items, n, sizeof *items, cmp_item);
    for (size_t i = 0; i < set->nlogdirs; i++) dir_id[i] = -1;
    uint8_t head[KDG_HEADER_LEN];
    memcpy(head, KDG_MAGIC, KDG_MAGIC_LEN);
    head[8] = KDG_VERSION, head[9] = 0;
    put(&w, head, sizeof head);
    int64_t ndirs = 0;
    for (size_t i = 0; i < n && !w.failed; i++) {
        long home = items[i].kp->home;
        if (home >= 0 && dir_id[home] < 0) {
            /* A directory is written before the first copy it holds. */
            er_facts facts;
            er_facts_of(dirs, items[i].kp, &facts);
            const char *path = set->logdirs[home].path;
            kdg_dir d = { (uint64_t)ndirs, path, strlen(path), facts.broker, facts.cluster, strlen(facts.cluster) };
            record(&w, KDG_DIR, buf, kdg_put_dir(buf, &d));
            dir_id[home] = ndirs++;
        }
        if (!write_part(&w, &items[i], home >= 0 ? dir_id[home] : -1, dirs, buf, max_entry, no_cache)) {
            rc = ke_set(e, KE_NOMEM, -1, "out of memory writing the digest");
            goto done;
        }
    }
    kdg_end end = { w.parts, w.batches, XXH3_64bits_digest(w.hash) };
    uint8_t body[32], frame[16];
    size_t bl = kdg_put_end(body, &end), fl = kdg_put_frame(frame, KDG_END, bl);
    if (!w.failed && (fwrite(frame, 1, fl, out) != fl || fwrite(body, 1, bl, out) != bl || fflush(out) != 0))
        w.failed = true, w.why = errno ? errno : EIO;
    if (w.failed) rc = ke_set(e, KE_IO, -1, "writing the digest failed: %s", strerror(w.why));
done:
    er_dirs_free(dirs);
    XXH3_freeState(w.hash);
    free(byp);
    free(items);
    free(dir_id);
    free(buf);
    return rc;
}

/* ---- reading --------------------------------------------------------------- */

/* A 'B' record read whole: its frame and its largest body. */
#define CHUNK_READ (16 + KDG_CHUNK_BATCHES * KDG_BATCH_MAX + 16)

bool ed_is_digest(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char head[KDG_MAGIC_LEN];
    bool yes = fread(head, 1, sizeof head, f) == sizeof head && memcmp(head, KDG_MAGIC, KDG_MAGIC_LEN) == 0;
    fclose(f);
    return yes;
}

/* A digest read front to back, every byte hashed but the 'E' record's. */
typedef struct dg_reader {
    FILE *f;
    XXH3_state_t *hash;
    int64_t pos;
} dg_reader;

static bool rd(dg_reader *r, void *p, size_t n, bool hashed)
{
    if (fread(p, 1, n, r->f) != n) return false;
    if (hashed) XXH3_64bits_update(r->hash, p, n);
    r->pos += (int64_t)n;
    return true;
}

/* A record's length varint. */
static bool rd_len(dg_reader *r, uint64_t *len, bool hashed)
{
    *len = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (!rd(r, &b, 1, hashed)) return false;
        *len |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return true;
    }
    return false;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n), d[n] = '\0';
    return d;
}

void ed_close(ed_file *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->ndirs; i++) free(f->dirs[i].path), free(f->dirs[i].cluster);
    for (size_t i = 0; i < f->nparts; i++) free(f->parts[i].topic), free(f->parts[i].path);
    free(f->dirs);
    free(f->parts);
    free(f->path);
    if (f->fd >= 0) close(f->fd);
    free(f);
}

/* Grow *v (of *cap items of size sz) to hold n + 1. */
static bool grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, ncap * sz);
    if (!nv) return false;
    *v = nv, *cap = ncap;
    return true;
}

/* Read records until the 'E'. */
static int read_all(dg_reader *r, ed_file *df, size_t max_bytes, uint8_t *body, ke_error *e)
{
    size_t dcap = 0, pcap = 0, used = 0;
    bool in_part = false;      /* a 'P' was read and its 'S' not yet */
    for (;;) {
        int64_t at = r->pos;
        uint8_t tag;
        if (!rd(r, &tag, 1, false))
            return ke_set(e, KE_TRUNCATED, at, "the digest ends without its end record: it was not written to the end");
        if (tag != KDG_END) XXH3_64bits_update(r->hash, &tag, 1);
        uint64_t len;
        KE_RET_IF(!rd_len(r, &len, tag != KDG_END), e, KE_TRUNCATED, at, "record length cut short");
        bool kept = tag == KDG_DIR || tag == KDG_PART || tag == KDG_END;
        KE_RET_IF(tag != KDG_DIR && tag != KDG_PART && tag != KDG_BATCHES && tag != KDG_STATE && tag != KDG_END, e,
                  KE_CORRUPT, at, "unknown record tag 0x%02x", tag);
        KE_RET_IF(kept && len > KDG_BODY_MAX, e, KE_CORRUPT, at, "record of %llu bytes, over the format's limit",
                  (unsigned long long)len);
        KE_RET_IF(tag == KDG_BATCHES && len > 16 + (uint64_t)KDG_CHUNK_BATCHES * KDG_BATCH_MAX, e, KE_CORRUPT, at,
                  "batch chunk of %llu bytes, over the format's limit", (unsigned long long)len);
        KE_RET_IF((tag == KDG_BATCHES || tag == KDG_STATE) && !in_part, e, KE_CORRUPT, at,
                  "batches or a partition end outside a partition");
        KE_RET_IF((tag == KDG_PART || tag == KDG_END || tag == KDG_DIR) && in_part, e, KE_CORRUPT, at,
                  "a partition without its end record");
        int64_t body_at = r->pos;
        if (kept || tag == KDG_BATCHES) {
            KE_RET_IF(!rd(r, body, (size_t)len, tag != KDG_END), e, KE_TRUNCATED, body_at, "record cut short");
        } else {
            /* A partition's end: producers, any number; hashed in pieces. */
            for (uint64_t left = len; left;) {
                size_t piece = left > KDG_BODY_MAX ? KDG_BODY_MAX : (size_t)left;
                KE_RET_IF(!rd(r, body, piece, true), e, KE_TRUNCATED, r->pos, "record cut short");
                if (left == len) {
                    kdg_state s;
                    size_t u;
                    KE_FORWARD(kdg_get_state(body, piece, body_at, &s, &u, e));
                    df->parts[df->nparts - 1].unread = s.unread;
                }
                left -= piece;
            }
            in_part = false;
            continue;
        }
        if (tag == KDG_BATCHES) {
            uint64_t count;
            size_t u;
            KE_FORWARD(kdg_get_chunk(body, (size_t)len, body_at, &count, &u, e));
            df->batches += (int64_t)count;
            continue;
        }
        if (tag == KDG_END) {
            kdg_end end;
            KE_FORWARD(kdg_get_end(body, (size_t)len, body_at, &end, e));
            KE_RET_IF(end.checksum != XXH3_64bits_digest(r->hash), e, KE_CRC, body_at,
                      "checksum does not match: the digest was changed or damaged after it was written");
            KE_RET_IF(end.partitions != df->nparts || end.batches != (uint64_t)df->batches, e, KE_CORRUPT, body_at,
                      "end record counts %llu partitions and %llu batches, the digest holds %zu and %lld",
                      (unsigned long long)end.partitions, (unsigned long long)end.batches, df->nparts,
                      (long long)df->batches);
            uint8_t extra;
            KE_RET_IF(rd(r, &extra, 1, false), e, KE_CORRUPT, r->pos - 1, "bytes after the end record");
            return 0;
        }
        used += len + 128;
        KE_RET_IF(used > max_bytes, e, KE_TOO_LARGE, at, "the digest's partitions need more than the %zu bytes allowed",
                  max_bytes);
        if (tag == KDG_DIR) {
            kdg_dir d;
            KE_FORWARD(kdg_get_dir(body, (size_t)len, body_at, &d, e));
            KE_RET_IF(d.id != df->ndirs, e, KE_CORRUPT, body_at, "log directory %llu out of order",
                      (unsigned long long)d.id);
            KE_RET_IF(!grow((void **)&df->dirs, &dcap, df->ndirs, sizeof *df->dirs), e, KE_NOMEM, at, "out of memory");
            ed_dir *x = &df->dirs[df->ndirs];
            x->path = dup_n(d.path, d.path_len), x->cluster = dup_n(d.cluster, d.cluster_len), x->broker = d.broker;
            df->ndirs++;
            KE_RET_IF(!x->path || !x->cluster, e, KE_NOMEM, at, "out of memory");
            continue;
        }
        kdg_part p;
        KE_FORWARD(kdg_get_part(body, (size_t)len, body_at, &p, e));
        KE_RET_IF(p.dir < -1 || p.dir >= (int64_t)df->ndirs, e, KE_CORRUPT, body_at,
                  "partition of an unknown log directory %lld", (long long)p.dir);
        KE_RET_IF(!grow((void **)&df->parts, &pcap, df->nparts, sizeof *df->parts), e, KE_NOMEM, at, "out of memory");
        ed_part *x = &df->parts[df->nparts];
        memset(x, 0, sizeof *x);
        x->topic = dup_n(p.topic, p.topic_len), x->path = dup_n(p.path, p.path_len);
        df->nparts++;
        KE_RET_IF(!x->topic || !x->path, e, KE_NOMEM, at, "out of memory");
        x->p = p;
        x->p.topic = x->topic, x->p.path = x->path;
        x->batches_at = r->pos;
        in_part = true;
    }
}

ed_file *ed_open(const char *path, size_t max_bytes, ke_error *e)
{
    ke_clear(e);
    ed_file *df = calloc(1, sizeof *df);
    if (df) df->fd = -1;
    dg_reader r = { .f = fopen(path, "rb"), .hash = XXH3_createState() };
    uint8_t *body = malloc(KDG_BODY_MAX + 1);
    int rc = 0;
    if (!df || !r.hash || !body || !(df->path = strdup(path))) {
        rc = ke_set(e, KE_NOMEM, -1, "out of memory");
    } else if (!r.f) {
        rc = ke_set(e, KE_IO, -1, "cannot open: %s", strerror(errno));
    } else {
        XXH3_64bits_reset(r.hash);
        uint8_t head[KDG_HEADER_LEN];
        if (!rd(&r, head, sizeof head, true)) rc = ke_set(e, KE_FOREIGN, 0, "not a kaudit digest (too short)");
        else if ((rc = kdg_header(head, sizeof head, e)) == 0) rc = read_all(&r, df, max_bytes, body, e);
    }
    /* Kept open for the cursors: the same file, whatever its name does later. */
    if (rc == 0 && (df->fd = dup(fileno(r.f))) < 0) rc = ke_set(e, KE_IO, -1, "cannot keep it open: %s", strerror(errno));
    if (r.f) fclose(r.f);
    XXH3_freeState(r.hash);
    free(body);
    if (rc < 0) {
        ed_close(df);
        return NULL;
    }
    for (size_t i = 0; i < df->nparts; i++) df->parts[i].file = df;
    return df;
}

bool ed_cursor_open(ed_cursor *c, const ed_part *part)
{
    memset(c, 0, sizeof *c);
    c->part = part;
    c->pos = part->batches_at;
    if (!(c->body = malloc(CHUNK_READ))) {
        c->failed = true;
        ke_set(&c->err, KE_NOMEM, part->batches_at, "out of memory");
        c->err.file = part->file->path;
        return false;
    }
    return true;
}

/* Load the next 'B' record into c->body, or see the 'S' (done): one pread
 * of its frame and body together. */
static bool next_chunk(ed_cursor *c)
{
    /* Most copies' batches fit a page: read that, then the rest if not. */
    ssize_t got = pread(c->part->file->fd, c->body, 4096, c->pos);
    uint64_t len = 0;
    size_t head = 0;
    int tag = 0;
    ke_error fe;
    if (got > 0 && kdg_get_frame(c->body, (size_t)got, &tag, &len, &head, &fe) < 0) tag = 0;
    if (tag == KDG_STATE) return c->done = true, false;
    if (got > 0 && tag == KDG_BATCHES && len <= CHUNK_READ - head && head + len > (uint64_t)got) {
        ssize_t more = pread(c->part->file->fd, c->body + got, head + len - (size_t)got, c->pos + got);
        got = more < 0 ? -1 : got + more;
    }
    size_t used;
    if (got <= 0 || tag != KDG_BATCHES || len > (uint64_t)got - head ||
        kdg_get_chunk(c->body + head, (size_t)len, c->pos + (int64_t)head, &c->left, &used, &c->err) < 0) {
        c->failed = true;
        if (!c->err.code) ke_set(&c->err, KE_CORRUPT, c->pos, "the digest changed since it was checked");
        c->err.file = c->part->file->path;
        return false;
    }
    c->at = head + used, c->body_len = head + (size_t)len;
    c->chunk_pos = c->pos;
    c->pos += (int64_t)(head + len);
    return true;
}

bool ed_cursor_next(ed_cursor *c, kb_batch *b, int *control_type)
{
    if (c->done || c->failed) return false;
    if (!c->left && !next_chunk(c)) return false;
    const uint8_t *p = c->body + c->at;
    if (kdg_get_batch(&p, c->body + c->body_len, c->chunk_pos, &c->prev, b, control_type, &c->err) < 0) {
        c->failed = true;
        c->err.file = c->part->file->path;
        return false;
    }
    c->at = (size_t)(p - c->body);
    c->left--;
    return true;
}

void ed_cursor_close(ed_cursor *c)
{
    free(c->body);
    c->body = NULL;
}
