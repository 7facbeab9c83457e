/* kafka_check.c - kafka-dump-log.sh's index checks and stderr lines; see kafka_check.h. */
#include "inspect/kafka_check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/dump.h"
#include "inspect/kafka.h"
#include "reader/cursor.h"
#include "reader/index.h"
#include "reader/segment.h"
#include "reader/text.h"
#include "report/escape.h"

/* Indexes are read whole, up to this (as inspect/files.c reads them). */
#define INDEX_CAP ((size_t)64 << 20)

/* The maps of DumpLogSegments' stderr lines, in the order it prints them. */
enum {
    IK_INDEX_MISMATCH, /* misMatchesForIndexFilesMap: (index offset, the batch's last offset) */
    IK_TIME_MISMATCH,  /* misMatchesForTimeIndexFilesMap: (index timestamp, the batch's max) */
    IK_TIME_ORDER,     /* outOfOrderTimestamp: (index timestamp, the entry before's) */
    IK_NOT_FOUND,      /* shallowOffsetNotFound: (index offset, the batch's last offset or -1) */
    IK_NONCONSECUTIVE, /* nonConsecutivePairsForLogFilesMap: (offset before, offset) */
    IK_KINDS
};

void ik_notes_init(ik_notes *n)
{
    memset(n, 0, sizeof *n);
    n->log_file = SIZE_MAX;
    n->last_offset = -1;
}

void ik_notes_free(ik_notes *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nfiles; i++) free(n->files[i]);
    free(n->files);
    free(n->notes);
    free(n->buf);
    ik_notes_init(n);
}

/* ---- notes ------------------------------------------------------------------------ */

/* The index of `path`'s absolute form among the files, added when new;
 * SIZE_MAX when out of memory. */
static size_t note_file(ik_notes *n, const char *path)
{
    char abs[4096];
    ik_java_path(path, true, abs, sizeof abs);
    for (size_t i = 0; i < n->nfiles; i++)
        if (strcmp(n->files[i], abs) == 0) return i;
    if (n->nfiles == n->capfiles) {
        size_t cap = n->capfiles ? n->capfiles * 2 : 8;
        char **f = realloc(n->files, cap * sizeof *f);
        if (!f) return SIZE_MAX;
        n->files = f, n->capfiles = cap;
    }
    char *copy = strdup(abs);
    if (!copy) return SIZE_MAX;
    n->files[n->nfiles] = copy;
    return n->nfiles++;
}

static void note(ik_notes *n, int kind, size_t file, int64_t a, int64_t b)
{
    if (file == SIZE_MAX) {
        n->nomem = true;
        return;
    }
    if (n->n == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 64;
        ik_note *x = realloc(n->notes, cap * sizeof *x);
        if (!x) {
            n->nomem = true;
            return;
        }
        n->notes = x, n->cap = cap;
    }
    n->notes[n->n++] = (ik_note){ kind, file, a, b };
}

/* Kafka collects notes only to print them; with nowhere to print, none. */
static bool noting(const struct in_dump *d) { return d->p.err != NULL; }

/* A note about file `path`, whose index among the files *nf holds once
 * known (SIZE_MAX before). */
static void add(struct in_dump *d, int kind, const char *path, size_t *nf, int64_t a, int64_t b)
{
    if (!noting(d)) return;
    if (*nf == SIZE_MAX) *nf = note_file(&d->kn, path);
    note(&d->kn, kind, *nf, a, b);
}

void in_kafka_log_begin(struct in_dump *d, const char *path)
{
    d->kn.log = path;
    d->kn.log_file = SIZE_MAX;
    d->kn.last_offset = -1;
}

void in_kafka_record_offset(struct in_dump *d, int64_t offset)
{
    ik_notes *n = &d->kn;
    int64_t before = n->last_offset;
    n->last_offset = offset;
    /* previousOffset + 1 in Java's long arithmetic: wraps. */
    if (n->log && offset != (int64_t)((uint64_t)before + 1)) add(d, IK_NONCONSECUTIVE, n->log, &n->log_file, before, offset);
}

/* ---- the log beside an index --------------------------------------------------- */

typedef struct ik_log {
    int fd;          /* -1 when not open */
    int64_t size;    /* bytes when opened */
    char path[4096]; /* <dir>/<stem>.log */
} ik_log;

/* The sibling of index `path` that Kafka opens: the directory, the name
 * up to its first '.', then `ext`. */
static void sibling(const char *path, const char *ext, char *out, size_t cap)
{
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    size_t dir = (size_t)(name - path);
    size_t stem = strcspn(name, ".");
    snprintf(out, cap, "%.*s%.*s%s", (int)dir, path, (int)stem, name, ext);
}

/* Open the log beside index f (reported when it cannot be: the entries
 * are still printed, unchecked). 0 or -1. */
static int log_open(struct in_dump *d, const kl_file *f, ik_log *l)
{
    sibling(f->path, ".log", l->path, sizeof l->path);
    l->fd = open(l->path, O_RDONLY | O_NOATIME | O_CLOEXEC | O_NONBLOCK);
    if (l->fd < 0 && errno == EPERM) l->fd = open(l->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    const char *why = l->fd < 0 ? strerror(errno) : fstat(l->fd, &st) != 0 ? strerror(errno)
                                                : !S_ISREG(st.st_mode) ? "not a regular file" : NULL;
    if (!why) {
        l->size = st.st_size;
        return 0;
    }
    if (l->fd >= 0) close(l->fd);
    l->fd = -1;
    ke_error e;
    ke_clear(&e);
    e.file = f->path;
    ke_set(&e, KE_IO, -1, "the entries are not checked against the log: %s: %s", l->path, why);
    in_report(d, &e);
    return -1;
}

/* What FileLogInputStream.nextBatch finds at `pos` of the log: 1 and the
 * batch's last offset and size (12 + its length field), 0 when no batch
 * is there (fewer than 17 bytes left, or one that runs past the end), -1
 * for a length below 14 (Kafka throws) or a read that failed, with *e. */
static int head_at(const ik_log *l, int64_t pos, int64_t *last, int64_t *size, ke_error *e)
{
    if (pos < 0 || pos >= l->size - KB_HEADER_UP_TO_MAGIC) return 0;
    uint8_t h[27] = { 0 };
    size_t want = l->size - pos < (int64_t)sizeof h ? (size_t)(l->size - pos) : sizeof h;
    ssize_t got = pread(l->fd, h, want, pos);
    if (got < KB_HEADER_UP_TO_MAGIC) {
        ke_set(e, KE_IO, pos, "cannot read the log %s", l->path);
        return -1;
    }
    int64_t offset = (int64_t)kbe64(h);
    int32_t length = (int32_t)kbe32(h + 8);
    if (length < KB_LEGACY_MIN_SIZE) {
        ke_set(e, KE_CORRUPT, pos, "the log %s holds a record size %" PRId32 " below 14 here", l->path, length);
        return -1;
    }
    if (pos > l->size - KB_LOG_OVERHEAD - length) return 0;
    /* v2: baseOffset + lastOffsetDelta (at 23); v0/v1: the entry's offset. */
    *last = h[16] >= 2 ? (int64_t)((uint64_t)offset + (uint64_t)(int32_t)kbe32(h + 23)) : offset;
    *size = KB_LOG_OVERHEAD + (int64_t)length;
    return 1;
}

/* The largest timestamp of the records of the batch at `pos` (`size`
 * bytes), as Kafka iterates them: -1 (NO_TIMESTAMP) when it holds none.
 * false with *e when it cannot be read. */
static bool max_timestamp(struct in_dump *d, const ik_log *l, int64_t pos, int64_t size, int64_t *max, ke_error *e)
{
    ik_notes *n = &d->kn;
    if ((uint64_t)size > d->o->max_entry) {
        ke_set(e, KE_TOO_LARGE, pos, "the batch of %" PRId64 " bytes is over the entry cap", size);
        return false;
    }
    if ((size_t)size > n->buf_cap) {
        uint8_t *b = realloc(n->buf, (size_t)size);
        if (!b) return ke_set(e, KE_NOMEM, pos, "out of memory for a batch of %" PRId64 " bytes", size), false;
        n->buf = b, n->buf_cap = (size_t)size;
    }
    if (pread(l->fd, n->buf, (size_t)size, pos) != (ssize_t)size)
        return ke_set(e, KE_IO, pos, "cannot read the log %s", l->path), false;
    kb_batch b;
    kb_iter it;
    kb_record r;
    if (kb_parse(n->buf, (size_t)size, pos, &b, e) < 0 || kb_iter_open(&it, &b, d->dc, e) < 0) return false;
    *max = -1;
    kcur before = it.cur;
    int rc;
    while ((rc = kb_iter_next(&it, &r, e)) == 1) {
        int64_t ts = ik_timestamp(&b, &r, before);
        if (ts > *max) *max = ts;
        before = it.cur;
    }
    return rc == 0;
}

/* ---- the indexes ---------------------------------------------------------------- */

static void report_at(struct in_dump *d, const char *file, ke_error *e)
{
    e->file = file;
    in_report(d, e);
}

static void offset_entries(struct in_dump *d, const kl_file *f, const ki_index *ix)
{
    ik_log l;
    bool check = log_open(d, f, &l) == 0;
    size_t nf = SIZE_MAX;
    for (size_t i = 0; i < ix->slots; i++) {
        ki_offset_entry x;
        ke_error e;
        ke_clear(&e);
        if (ki_offset_at(ix, i, &x, &e) < 0) {
            report_at(d, f->path, &e);
            continue;
        }
        /* A preallocated file's zeros: the first empty slot ends the
         * entries (DumpLogSegments' own rule). */
        if (i > 0 && x.offset == ix->base_offset) break;
        int64_t last = 0, size = 0;
        int rc = check ? head_at(&l, x.position, &last, &size, &e) : 1;
        if (check && rc == 1 && last != x.offset) add(d, IK_INDEX_MISMATCH, f->path, &nf, x.offset, last);
        if (check && rc <= 0) {
            /* Kafka stops with NoSuchElementException (or the log's
             * CorruptRecordException) here. */
            if (rc == 0) ke_set(&e, KE_MISMATCH, x.pos, "entry %zu (offset %" PRId64 "): no batch at position %" PRId32
                                                    " of %s", i, x.offset, x.position, l.path);
            report_at(d, f->path, &e);
        }
        if (d->o->index_mode != KAUDIT_INDEX_VERIFY_ONLY) ik_offset_entry(&d->p, &x);
    }
    if (check) close(l.fd);
}

/* OffsetIndex.lookup: the position of the last entry at or before
 * `target`, 0 (the segment's start) when there is none. */
static int64_t lookup(const ki_index *oix, int64_t target)
{
    if (!oix) return 0;
    size_t lo = 0, hi = oix->entries;
    int64_t pos = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        ki_offset_entry x;
        ke_error e;
        if (ki_offset_at(oix, mid, &x, &e) < 0) return 0;
        if (x.offset <= target) pos = x.position, lo = mid + 1;
        else hi = mid;
    }
    return pos;
}

/* The time index entry x checked as dumpTimeIndex does: its offset must
 * end a batch (found scanning from the .index's position for it), whose
 * records' largest timestamp is x's, and timestamps must increase. */
static void check_time_entry(struct in_dump *d, const kl_file *f, const ik_log *l, const ki_index *oix,
                             const ki_time_entry *x, int64_t prev, size_t *nf)
{
    int64_t pos = lookup(oix, x->offset), last = -1, size = 0;
    ke_error e;
    ke_clear(&e);
    int rc;
    while ((rc = head_at(l, pos, &last, &size, &e)) == 1 && last < x->offset) pos += size;
    if (rc < 0) {
        report_at(d, f->path, &e);
        return;
    }
    if (rc == 0 || last != x->offset) {
        add(d, IK_NOT_FOUND, f->path, nf, x->offset, rc == 0 ? -1 : last);
        return;
    }
    int64_t max;
    if (!max_timestamp(d, l, pos, size, &max, &e)) {
        report_at(d, f->path, &e);
        return;
    }
    if (max != x->timestamp) add(d, IK_TIME_MISMATCH, f->path, nf, x->timestamp, max);
    if (prev >= x->timestamp) add(d, IK_TIME_ORDER, f->path, nf, x->timestamp, prev);
}

static void time_entries(struct in_dump *d, const kl_file *f, const ki_index *ix)
{
    ik_log l;
    bool check = log_open(d, f, &l) == 0;
    /* The .index beside it, for the lookups; missing or unreadable, every
     * scan starts at the segment's start (Kafka's lookup in an empty index). */
    char ipath[4096];
    uint8_t *ibuf = NULL;
    size_t ilen;
    ki_index oix;
    ke_error e;
    sibling(f->path, ".index", ipath, sizeof ipath);
    bool have_oix = check && ks_read_file(ipath, INDEX_CAP, &ibuf, &ilen, &e) == 0 &&
                    ki_open(&oix, KI_OFFSET, ibuf, ilen, ix->base_offset, &e) == 0;
    int64_t prev = -1; /* RecordBatch.NO_TIMESTAMP */
    size_t nf = SIZE_MAX;
    for (size_t i = 0; i < ix->slots; i++) {
        ki_time_entry x;
        ke_clear(&e);
        if (ki_time_at(ix, i, &x, &e) < 0) {
            report_at(d, f->path, &e);
            continue;
        }
        if (i > 0 && x.offset == ix->base_offset) break;
        if (check) check_time_entry(d, f, &l, have_oix ? &oix : NULL, &x, prev, &nf);
        if (d->o->index_mode != KAUDIT_INDEX_VERIFY_ONLY) ik_time_entry(&d->p, &x);
        prev = x.timestamp;
    }
    free(ibuf);
    if (l.fd >= 0) close(l.fd);
}

void in_kafka_index(struct in_dump *d, const kl_file *f)
{
    bool time = f->kind == KL_TIME_INDEX;
    uint8_t *buf;
    size_t len;
    ki_index ix;
    ke_error e;
    ke_clear(&e);
    e.file = f->path;
    if (ks_read_file(f->path, INDEX_CAP, &buf, &len, &e) < 0) {
        in_report(d, &e);
        return;
    }
    if (ki_open(&ix, time ? KI_TIME : KI_OFFSET, buf, len, f->base_offset < 0 ? 0 : f->base_offset, &e) < 0) {
        report_at(d, f->path, &e);
        free(buf);
        return;
    }
    /* dumpIndex says an .index of no whole entry is empty before anything
     * else; dumpTimeIndex says nothing of an empty one. */
    if (!time && ix.slots == 0) ik_index_said(&d->p, f->path, "is empty.");
    else if (d->o->index_mode == KAUDIT_INDEX_SANITY_ONLY) {
        ke_clear(&e);
        if (ki_sanity_check(&ix, &e) < 0) report_at(d, f->path, &e); /* Kafka throws CorruptIndexException */
        else ik_index_said(&d->p, f->path, "passed sanity check.");
    } else if (time) time_entries(d, f, &ix);
    else offset_entries(d, f, &ix);
    free(buf);
}

/* ---- the end --------------------------------------------------------------------- */

/* String.hashCode of a path as Java holds it (UTF-16; an ill-formed UTF-8
 * sequence is one U+FFFD). */
static uint32_t java_hash(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s), i = 0;
    uint32_t h = 0;
    while (i < n) {
        size_t skip = 1, len = tx_utf8_seq(p + i, n - i, &skip);
        uint32_t cp = 0xfffd;
        if (len == 1) cp = p[i];
        else if (len == 2) cp = (uint32_t)(p[i] & 0x1f) << 6 | (p[i + 1] & 0x3f);
        else if (len == 3) cp = (uint32_t)(p[i] & 0x0f) << 12 | (uint32_t)(p[i + 1] & 0x3f) << 6 | (p[i + 2] & 0x3f);
        else if (len == 4)
            cp = (uint32_t)(p[i] & 0x07) << 18 | (uint32_t)(p[i + 1] & 0x3f) << 12 | (uint32_t)(p[i + 2] & 0x3f) << 6 |
                 (p[i + 3] & 0x3f);
        i += len ? len : skip;
        if (cp >= 0x10000) {
            h = 31 * h + (0xd800 + ((cp - 0x10000) >> 10));
            cp = 0xdc00 + ((cp - 0x10000) & 0x3ff);
        }
        h = 31 * h + cp;
    }
    return h;
}

typedef struct ranked {
    size_t file;   /* index into files */
    uint32_t bucket;
    size_t first;  /* the order of its first put */
} ranked;

static int by_bucket(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->bucket != y->bucket) return x->bucket < y->bucket ? -1 : 1;
    return x->first > y->first ? -1 : x->first < y->first;
}

/* A note of one map, with its place in the map's iteration. */
typedef struct put {
    const ik_note *n;
    size_t rank;   /* its file's place among the map's keys */
    int order;     /* within a file: 1 by `a` up, -1 by `a` down (TreeMaps), 0 as put (lists) */
    size_t seq;    /* the order it was put in */
} put;

static int by_place(const void *a, const void *b)
{
    const put *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->order && x->n->a != y->n->a) return (x->n->a < y->n->a ? -1 : 1) * x->order;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_line(FILE *f, int kind, const ik_note *n)
{
    switch (kind) {
    case IK_INDEX_MISMATCH: fprintf(f, "  Index offset: %" PRId64 ", log offset: %" PRId64 "\n", n->a, n->b); break;
    case IK_TIME_MISMATCH: fprintf(f, "  Index timestamp: %" PRId64 ", log timestamp: %" PRId64 "\n", n->a, n->b); break;
    case IK_TIME_ORDER:
        fprintf(f, "  Index timestamp: %" PRId64 ", Previously indexed timestamp: %" PRId64 "\n", n->a, n->b);
        break;
    case IK_NOT_FOUND: fprintf(f, "Indexed offset: %" PRId64 ", found log offset: %" PRId64 "\n", n->a, n->b); break;
    default: fprintf(f, "  %" PRId64 " is followed by %" PRId64 "\n", n->a, n->b); break;
    }
}

static void print_header(FILE *f, int kind, const char *file)
{
    static const char *const head[IK_KINDS] = { "Mismatches in :", "Found timestamp mismatch in :",
                                                "Found out of order timestamp in :", NULL,
                                                "Non-consecutive offsets in " };
    if (!head[kind]) {
        fputs("The following indexed offsets are not found in the log.\n", f);
        return;
    }
    fputs(head[kind], f);
    es_fputs(file, f);
    fputc('\n', f);
}

/* One of Kafka's maps: its files in the order a java.util.HashMap
 * filled by computeIfAbsent iterates them (its table grows before a key
 * is added to a map already over 3/4 full; buckets in order; a new key
 * goes to the head of its bucket's list, so a bucket's keys come latest
 * first), each with its lines. false when out of memory. */
static bool print_map(ik_notes *n, int kind, FILE *f)
{
    size_t count = 0, nfiles = 0;
    for (size_t i = 0; i < n->n; i++) count += n->notes[i].kind == kind;
    if (count == 0) return true;
    ranked *files = calloc(n->nfiles, sizeof *files);
    size_t *rank = malloc(n->nfiles * sizeof *rank);
    put *puts_ = malloc(count * sizeof *puts_);
    bool ok = files && rank && puts_;
    for (size_t i = 0; ok && i < n->nfiles; i++) rank[i] = SIZE_MAX;
    for (size_t i = 0; ok && i < n->n; i++) {
        const ik_note *x = &n->notes[i];
        if (x->kind != kind || rank[x->file] != SIZE_MAX) continue;
        rank[x->file] = nfiles;
        files[nfiles++] = (ranked){ x->file, 0, i };
    }
    uint32_t table = 16;
    for (size_t i = 0; i < nfiles && table < (1u << 30); i++)
        if (i > table / 4 * 3) table *= 2;
    for (size_t i = 0; ok && i < nfiles; i++) {
        uint32_t h = java_hash(n->files[files[i].file]);
        files[i].bucket = (h ^ (h >> 16)) & (table - 1);
    }
    if (ok) qsort(files, nfiles, sizeof *files, by_bucket);
    for (size_t i = 0; ok && i < nfiles; i++) rank[files[i].file] = i;
    /* The index mismatches are a TreeMap by index offset, largest first;
     * the non-consecutive pairs one by the offset before, smallest first;
     * the time index's are lists. */
    int order = kind == IK_INDEX_MISMATCH ? -1 : kind == IK_NONCONSECUTIVE ? 1 : 0;
    size_t k = 0;
    for (size_t i = 0; ok && i < n->n; i++)
        if (n->notes[i].kind == kind) puts_[k] = (put){ &n->notes[i], rank[n->notes[i].file], order, i }, k++;
    if (ok) qsort(puts_, count, sizeof *puts_, by_place);
    for (size_t i = 0; ok && i < count; i++) {
        const ik_note *x = puts_[i].n;
        if (i == 0 || puts_[i - 1].rank != puts_[i].rank) print_header(f, kind, n->files[x->file]);
        /* A TreeMap keeps one value per key: the last put. */
        if (order && i + 1 < count && puts_[i + 1].rank == puts_[i].rank && puts_[i + 1].n->a == x->a) continue;
        print_line(f, kind, x);
    }
    free(files);
    free(rank);
    free(puts_);
    return ok;
}

void in_kafka_finish(struct in_dump *d)
{
    ik_notes *n = &d->kn;
    FILE *f = d->p.err;
    if (!f) return;
    bool ok = true;
    for (int kind = 0; kind < IK_KINDS; kind++) ok = print_map(n, kind, f) && ok;
    if (!ok || n->nomem) fputs("kaudit dump: out of memory: some of the lines above are missing\n", f);
}
