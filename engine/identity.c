/* identity.c - see identity.h. The findings' evidence is the byte
 * duplicate's (audit/duplicate.h); how it is read is docs/report.md's
 * "Duplicates by identity". */
#include "identity.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "audit/duplicate.h"
#include "engine/batches.h"
#include "reader/codec.h"
#include "report/types.h"

#define MIN_READ 16            /* facts read at once from a spilled run, at least */
#define GROUP_BUF 1024         /* copies of one identity held at once; a larger group is counted first */

typedef struct run_at {
    uint64_t pos, count;       /* in the scratch file, entries */
} run_at;

struct ei_collector {
    pthread_mutex_t lock;
    sp_dir *dir;
    size_t n_jobs;
    size_t ntopics;            /* topics among the jobs */
    uint32_t *topic_no;        /* per job: its topic's number (topics in name order) */
    int32_t *partno;           /* per job: its partition */
    uint32_t *last_pass;       /* per job: the pass whose facts count */
    kid_entry *mem;             /* facts not yet in a run */
    size_t n, cap;
    int fd;                    /* the scratch file of sorted runs, -1 until one */
    uint64_t end;
    run_at *runs;
    size_t nruns;
    bool failed;               /* a run could not be written: said at the end */
    char why[256];
};

/* ---- the order --------------------------------------------------------------------- */

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }
static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

/* Topic, identity, then the copies in the order they were sent: client
 * timestamp, partition, job, offset; the rest only makes the order total. */
static int cmp_entry(const void *pa, const void *pb, void *ctx)
{
    const ei_collector *c = ctx;
    const kid_entry *a = pa, *b = pb;
    int r;
    if ((r = cmp_u64(c->topic_no[a->job], c->topic_no[b->job])) || (r = cmp_u64(a->id_hi, b->id_hi)) ||
        (r = cmp_u64(a->id_lo, b->id_lo)) || (r = cmp_i64(a->ts, b->ts)) ||
        (r = cmp_i64(c->partno[a->job], c->partno[b->job])) || (r = cmp_u64(a->job, b->job)) ||
        (r = cmp_i64(a->offset, b->offset)) || (r = cmp_u64(a->pass, b->pass)) || (r = cmp_u64(a->content, b->content)))
        return r;
    return cmp_u64(a->stable, b->stable);
}

/* The facts in memory are sorted where they lie, with no array of keys
 * beside them: keys took 32 bytes a fact more (their radix sort's scratch
 * too), and faulting that memory in cost more than moving the facts. */

/* Bits 8 wide of the identity's high half, from `shift` up, as one digit of
 * sort_ids; shift < 0: the fact's topic's number (sort_mem). */
static size_t digit(const ei_collector *c, const kid_entry *e, int shift)
{
    return shift < 0 ? c->topic_no[e->job] : (size_t)(e->id_hi >> shift) & 0xff;
}

/* Move v[0..n-1] where they lie into the order of their digits (nd of
 * them): each fact goes once to its bucket's next free place, what lay
 * there taken on to its own (an American flag sort). start (nd + 1
 * entries): where each bucket begins, start[nd] == n; next: nd entries of
 * scratch. */
static void flag_pass(const ei_collector *c, kid_entry *v, size_t n, int shift, size_t nd, size_t *start,
                      size_t *next)
{
    memset(start, 0, (nd + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) start[digit(c, &v[i], shift) + 1]++;
    for (size_t d = 0; d < nd; d++) start[d + 1] += start[d];
    memcpy(next, start, nd * sizeof *next);
    for (size_t b = 0; b < nd; b++) {
        while (next[b] < start[b + 1]) {
            kid_entry x = v[next[b]];
            size_t d;
            while ((d = digit(c, &x, shift)) != b) {
                kid_entry t = v[next[d]];
                v[next[d]++] = x;
                x = t;
            }
            v[next[b]++] = x;
        }
    }
}

#define SMALL_SORT 32          /* facts few enough to leave to qsort_r */

/* Order v[0..n-1], of one topic whose identities' high halves agree above
 * bit shift + 8, by cmp_entry: by the next 8 bits, then each bucket so; a
 * small bucket, or one whose high halves all agree, by qsort_r. */
static void sort_ids(const ei_collector *c, kid_entry *v, size_t n, int shift)
{
    if (n < 2) return;
    if (n <= SMALL_SORT || shift < 0) {
        qsort_r(v, n, sizeof *v, cmp_entry, (void *)c);
        return;
    }
    size_t start[257], next[256];
    flag_pass(c, v, n, shift, 256, start, next);
    for (size_t b = 0; b < 256; b++) sort_ids(c, v + start[b], start[b + 1] - start[b], shift - 8);
}

/* Order c->mem[0..n-1] by cmp_entry: by topic when there are several,
 * then each topic's by identity. */
static void sort_mem(ei_collector *c)
{
    kid_entry *v = c->mem;
    size_t n = c->n, nt = c->ntopics;
    if (nt < 2) {
        sort_ids(c, v, n, 56);
        return;
    }
    size_t *start = malloc((nt + 1) * sizeof *start), *next = malloc(nt * sizeof *next);
    if (!start || !next) {
        free(start), free(next);
        qsort_r(v, n, sizeof *v, cmp_entry, c);
        return;
    }
    flag_pass(c, v, n, -1, nt, start, next);
    for (size_t t = 0; t < nt; t++) sort_ids(c, v + start[t], start[t + 1] - start[t], 56);
    free(start), free(next);
}

static bool same_group(const ei_collector *c, const kid_entry *a, const kid_entry *b)
{
    return c->topic_no[a->job] == c->topic_no[b->job] && a->id_hi == b->id_hi && a->id_lo == b->id_lo;
}

/* ---- collecting ------------------------------------------------------------------------ */

static int cmp_name_idx(const void *a, const void *b, void *ctx)
{
    const ei_part *p = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int r = strcmp(p[x].topic, p[y].topic);
    return r ? r : x < y ? -1 : x > y;
}

ei_collector *ei_create(sp_dir *dir, size_t budget, const ei_part *parts, size_t n)
{
    ei_collector *c = calloc(1, sizeof *c);
    size_t *order = malloc((n + 1) * sizeof *order);
    if (!c || !order) {
        free(c), free(order);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->dir = dir;
    c->fd = -1;
    c->n_jobs = n;
    c->cap = budget / sizeof(kid_entry);
    if (c->cap < 32) c->cap = 32; /* a tiny share spills early: runs merged as ever (tests at --max-memory 64K) */
    c->topic_no = calloc(n + 1, sizeof *c->topic_no);
    c->partno = calloc(n + 1, sizeof *c->partno);
    c->last_pass = calloc(n + 1, sizeof *c->last_pass);
    if (!c->topic_no || !c->partno || !c->last_pass) {
        free(order);
        ei_free(c);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) order[i] = i, c->partno[i] = parts[i].partition;
    qsort_r(order, n, sizeof *order, cmp_name_idx, (void *)parts);
    for (size_t i = 0, t = 0; i < n; i++) {
        if (i && strcmp(parts[order[i]].topic, parts[order[i - 1]].topic) != 0) t++;
        c->topic_no[order[i]] = (uint32_t)t;
        c->ntopics = t + 1;
    }
    free(order);
    return c;
}

void ei_free(ei_collector *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    free(c->topic_no), free(c->partno), free(c->last_pass);
    free(c->mem), free(c->runs);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int write_all(int fd, uint64_t pos, const void *buf, size_t n)
{
    for (const char *p = buf; n > 0;) {
        ssize_t w = pwrite(fd, p, n, (off_t)pos);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w, pos += (uint64_t)w;
    }
    return 0;
}

static int read_all(int fd, uint64_t pos, void *buf, size_t n)
{
    for (char *p = buf; n > 0;) {
        ssize_t got = pread(fd, p, n, (off_t)pos);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got, n -= (size_t)got, pos += (uint64_t)got;
    }
    return 0;
}

/* The facts in memory, sorted, as a run of the scratch file. Under the lock. */
static void write_run(ei_collector *c)
{
    if (!c->n || c->failed) return;
    sort_mem(c);
    run_at *nr = realloc(c->runs, (c->nruns + 1) * sizeof *nr);
    if (!nr) {
        c->failed = true;
        snprintf(c->why, sizeof c->why, "out of memory");
        return;
    }
    c->runs = nr;
    if (c->fd < 0 && (c->fd = sp_scratch(c->dir, c->why, sizeof c->why)) < 0) {
        c->failed = true;
        return;
    }
    if (write_all(c->fd, c->end, c->mem, c->n * sizeof *c->mem) < 0) {
        c->failed = true;
        snprintf(c->why, sizeof c->why, "writing the identities' spill failed: %s", strerror(errno ? errno : EIO));
        return;
    }
    c->runs[c->nruns++] = (run_at){ c->end, c->n };
    c->end += c->n * sizeof *c->mem;
    c->n = 0;
}

/* `bytes` on transparent huge pages where the kernel gives them on
 * request: the facts fill hundreds of megabytes once, and faulting them in
 * 4 KiB at a time cost a fifth of an identity audit (bench/run.sh
 * identity). NULL when out of memory; free with free(). */
static void *huge_alloc(size_t bytes)
{
    void *m = NULL;
    if (posix_memalign(&m, (size_t)2 << 20, bytes ? bytes : 1) != 0) return NULL;
    madvise(m, bytes, MADV_HUGEPAGE); /* a hint: refused, the pages are plain ones */
    return m;
}

static void add(ei_collector *c, const kid_entry *e, size_t n)
{
    pthread_mutex_lock(&c->lock);
    if (!c->mem && !c->failed) c->mem = huge_alloc(c->cap * sizeof *c->mem);
    if (!c->mem && !c->failed) {
        c->failed = true;
        snprintf(c->why, sizeof c->why, "out of memory");
    }
    for (size_t i = 0; i < n && !c->failed;) {
        if (c->n == c->cap) {
            write_run(c);
            continue;
        }
        size_t k = n - i < c->cap - c->n ? n - i : c->cap - c->n;
        memcpy(c->mem + c->n, e + i, k * sizeof *e);
        c->n += k, i += k;
    }
    pthread_mutex_unlock(&c->lock);
}

void ei_sink_flush(ei_sink *s)
{
    if (s->n) add(s->c, s->buf, s->n);
    s->n = 0;
}

static void sink_put(void *ctx, const kid_entry *e)
{
    ei_sink *s = ctx;
    if (s->n == EI_BUF) ei_sink_flush(s);
    kid_entry *x = &s->buf[s->n++];
    *x = *e;
    x->job = s->job, x->pass = (uint16_t)s->pass;
}

void ei_sink_init(ei_sink *s, ei_collector *c, uint32_t job, uint32_t pass)
{
    s->sink = (kid_sink){ s, sink_put };
    s->c = c;
    s->job = job, s->pass = pass;
    s->n = 0;
    pthread_mutex_lock(&c->lock);
    if (job < c->n_jobs) c->last_pass[job] = pass;
    pthread_mutex_unlock(&c->lock);
}

/* ---- reading them back in order ---------------------------------------------------------- */

typedef struct source {
    uint64_t pos, left;        /* in the file, entries not yet read */
    kid_entry *buf;
    size_t n, at;
} source;

typedef struct stream {
    ei_collector *c;
    size_t i;                  /* in memory: the next */
    source *src;
    size_t nsrc;
    kid_entry *bufs;
    size_t per;                /* entries buffered per source */
    size_t *heap;              /* sources with entries left, a min-heap by their heads (cmp_entry) */
    size_t nheap;
    bool in_mem;               /* nothing spilled: the facts are read from memory in order */
    bool failed;
} stream;

static const kid_entry *head(stream *s, source *x);

/* Is source a's head before source b's? */
static bool heap_less(stream *s, size_t a, size_t b)
{
    return cmp_entry(head(s, &s->src[a]), head(s, &s->src[b]), s->c) < 0;
}

/* Restore the heap below position i (its source's head moved on). */
static void heap_down(stream *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && heap_less(s, s->heap[l], s->heap[m])) m = l;
        if (r < s->nheap && heap_less(s, s->heap[r], s->heap[m])) m = r;
        if (m == i) return;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[m], s->heap[m] = t;
        i = m;
    }
}

/* The facts of runs[0..nruns-1] merged, each run read through a buffer of
 * its share of c->cap facts (at least MIN_READ): reduce_runs keeps the
 * runs few enough that the buffers stay within the share. */
static int stream_open_runs(stream *s, ei_collector *c, const run_at *runs, size_t nruns)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->nsrc = nruns;
    s->per = c->cap / nruns;
    if (s->per < MIN_READ) s->per = MIN_READ;
    s->src = calloc(nruns, sizeof *s->src);
    s->bufs = malloc(nruns * s->per * sizeof *s->bufs);
    s->heap = malloc(nruns * sizeof *s->heap);
    if (!s->src || !s->bufs || !s->heap) return -1;
    for (size_t i = 0; i < nruns; i++) {
        s->src[i] = (source){ runs[i].pos, runs[i].count, s->bufs + i * s->per, 0, 0 };
        if (head(s, &s->src[i])) s->heap[s->nheap++] = i;
    }
    for (size_t i = s->nheap / 2; i-- > 0;) heap_down(s, i);
    return 0;
}

/* Every fact in order: from memory when nothing spilled, else the runs'. */
static int stream_open(stream *s, ei_collector *c)
{
    if (c->nruns) return stream_open_runs(s, c, c->runs, c->nruns);
    memset(s, 0, sizeof *s);
    s->c = c;
    s->in_mem = true;
    return 0;
}

static void stream_close(stream *s)
{
    free(s->src), free(s->bufs), free(s->heap);
    s->src = NULL, s->bufs = NULL, s->heap = NULL;
}

static const kid_entry *head(stream *s, source *x)
{
    if (x->at < x->n) return &x->buf[x->at];
    if (!x->left) return NULL;
    size_t k = x->left < s->per ? (size_t)x->left : s->per;
    if (read_all(s->c->fd, x->pos, x->buf, k * sizeof *x->buf) < 0) {
        s->failed = true;
        x->left = 0;
        return NULL;
    }
    x->pos += k * sizeof *x->buf, x->left -= k;
    x->n = k, x->at = 0;
    return x->buf;
}

/* The next fact of a job's counting pass, in order; false at the end. */
static bool stream_next(stream *s, kid_entry *out)
{
    ei_collector *c = s->c;
    for (;;) {
        const kid_entry *best = NULL;
        source *from = NULL;
        kid_entry copy;
        if (s->in_mem) {
            if (s->i == c->n) return false;
            best = &c->mem[s->i++];
        } else {
            /* The runs' heads in a heap: log(runs) comparisons a fact. */
            if (!s->nheap) return false;
            from = &s->src[s->heap[0]];
            copy = *head(s, from);
            best = &copy;
            from->at++;
            if (!head(s, from)) s->heap[0] = s->heap[--s->nheap];
            heap_down(s, 0);
        }
        if (best->job < c->n_jobs && best->pass == c->last_pass[best->job]) {
            *out = *best;
            return true;
        }
    }
}

/* With values redacted, the names of JSON members in a differs_in list
 * (items "$.a.b") are value bytes too: each becomes "$[token T]", T the
 * keyed token of the path (as previews are redacted: equal paths, equal
 * tokens); headers, "key" and "value" stay as they are. */
static void redact_members(char *list, size_t cap, uint64_t key)
{
    char out[512];
    size_t at = 0;
    out[0] = '\0';
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, ",");
        int w = s[0] == '$' ? snprintf(out + at, sizeof out - at, "%s$[token %016" PRIx64 "]", at ? "," : "",
                                       rm_redact_token((const uint8_t *)s, n, key))
                            : snprintf(out + at, sizeof out - at, "%s%.*s", at ? "," : "", (int)n, s);
        if (w < 0 || (size_t)w >= sizeof out - at) break;
        at += (size_t)w;
        s += n + (s[n] == ',');
    }
    snprintf(list, cap, "%s", out);
}

/* ---- the findings --------------------------------------------------------------------- */

/* Where a partition's batches start, as records were read again: for a
 * segment without a usable .index, the next read starts near its batch
 * rather than at the segment's start. One mark per SAMPLE_BYTES of a
 * segment read, at most MAX_MARKS a partition (past them, re-reads start
 * further back: 512 KiB apart up to 32 GB of segments read). */
#define SAMPLE_BYTES ((int64_t)512 << 10)
#define MAX_MARKS 65536

typedef struct mark {
    int64_t base, pos;         /* a batch's base offset and file position */
    size_t file;               /* in kp->files */
} mark;

typedef struct marks {
    mark *v;
    size_t n, cap;
} marks;

/* The furthest mark of `file` at or below `offset`, 0 when none. */
static int64_t mark_near(const marks *m, size_t file, int64_t offset)
{
    int64_t best = 0, best_base = INT64_MIN;
    for (size_t i = 0; m && i < m->n; i++)
        if (m->v[i].file == file && m->v[i].base <= offset && m->v[i].base > best_base)
            best = m->v[i].pos, best_base = m->v[i].base;
    return best;
}

/* Note batch b of `file` when it lies SAMPLE_BYTES past the last mark. */
static void mark_add(marks *m, size_t file, const kb_batch *b)
{
    if (!m) return;
    const mark *last = m->n ? &m->v[m->n - 1] : NULL;
    if (last && (file < last->file || (file == last->file && b->pos < last->pos + SAMPLE_BYTES))) return;
    if (m->n == MAX_MARKS) return;
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        mark *nv = realloc(m->v, nc * sizeof *nv);
        if (!nv) return; /* only slower */
        m->v = nv, m->cap = nc;
    }
    m->v[m->n++] = (mark){ b->base_offset, b->pos, file };
}

/* A record read again, its bytes copied. */
typedef struct rec_copy {
    kb_record r;
    uint8_t *buf;
} rec_copy;

static bool read_record(const kl_partition *kp, marks *m, int64_t offset, size_t max_entry, bool no_cache,
                        kc_ctx *dc, rec_copy *out)
{
    memset(out, 0, sizeof *out);
    if (!kp) return false;
    eb_stream st;
    eb_open(&st, kp, offset, max_entry, no_cache);
    size_t first = eb_first_file(&st);
    eb_open_near(&st, kp, offset, max_entry, no_cache, mark_near(m, first, offset));
    bool ok = false;
    while (eb_next(&st)) {
        mark_add(m, eb_file(&st), &st.b);
        if (st.b.last_offset < offset) continue;
        if (st.b.base_offset > offset || st.b.is_control) break;
        ke_error err;
        kb_iter it;
        kb_record rec;
        if (kw_records(st.w, &st.b, &it, dc, &err) != 0) break;
        while (!ok && kb_iter_next(&it, &rec, &err) == 1) {
            if (rec.offset != offset) continue;
            size_t k = rec.key_len > 0 ? (size_t)rec.key_len : 0, v = rec.value_len > 0 ? (size_t)rec.value_len : 0;
            if (!(out->buf = malloc(k + v + rec.headers_len + 1))) break;
            out->r = rec;
            memcpy(out->buf, rec.key ? rec.key : (const uint8_t *)"", k);
            memcpy(out->buf + k, rec.value ? rec.value : (const uint8_t *)"", v);
            memcpy(out->buf + k + v, rec.headers ? rec.headers : (const uint8_t *)"", rec.headers_len);
            out->r.key = rec.key ? out->buf : NULL;
            out->r.value = rec.value ? out->buf + k : NULL;
            out->r.headers = out->buf + k + v;
            ok = true;
        }
        break;
    }
    eb_close(&st);
    return ok;
}

typedef struct stage {
    ei_collector *c;
    const ei_part *parts;
    rm_report *rep;
    const ka_options *o;
    size_t max_entry;
    bool no_cache;
    int64_t max_diffs, diffs;  /* findings diffed in the current topic */
    uint32_t topic;            /* the current topic's number */
    kc_ctx *dc;
    marks *marks;              /* per job: batches seen reading again, NULL when out of memory */
} stage;

/* Its batch's base offset (delta >= 0), wrapping as offsets do. */
static int64_t base_of(const kid_entry *e) { return (int64_t)((uint64_t)e->offset - (uint64_t)(int64_t)e->delta); }

static kd_side side_of(const kid_entry *e)
{
    kd_side s = { e->offset, e->offset, e->ts, e->producer_id, e->epoch, e->sequence, (e->flags & KID_F_TXN) != 0,
                  e->crc };
    return s;
}

/* The evidence of copy d of original o, as a byte duplicate's run of one. */
static kd_run run_of(const kid_entry *o, const kid_entry *d)
{
    kd_run r;
    memset(&r, 0, sizeof r);
    r.o = side_of(o), r.d = side_of(d);
    r.count = 1;
    /* What a client's retry keeps equal beside the content (headers
     * included): the timestamp it stamped. */
    r.identical = o->content == d->content && o->ts == d->ts;
    r.ts_known = o->ts >= 0 && d->ts >= 0;
    r.same_batch = o->job == d->job && o->delta >= 0 && d->delta >= 0 && base_of(o) == base_of(d);
    /* The same batch again: its CRC covers every record (their count too),
     * their timestamps and the producer's fields. */
    r.identical_batch = !r.same_batch && o->crc == d->crc;
    r.whole = r.identical_batch || (d->flags & KID_F_SINGLE); /* per record, a whole batch is known only so */
    bool newer = d->producer_id >= 0 && (d->producer_id != o->producer_id || d->epoch > o->epoch);
    r.session_start = newer && (d->flags & KID_F_EARLY);
    r.copies = 2;
    return r;
}

static void hex64(uint64_t v, char *out, size_t cap) { snprintf(out, cap, "%016" PRIx64, v); }

static void emit(stage *st, const kid_entry *o, const kid_entry *d, int64_t copies, int64_t nth)
{
    const ei_part *dp = &st->parts[d->job], *op = &st->parts[o->job];
    const ka_options *opt = st->o;
    if (dp->rep_index == (size_t)-1 || op->rep_index == (size_t)-1) return;
    if (!(d->flags & KID_F_SCOPE)) return; /* outside --offsets, --since, --until */
    bool same = o->content == d->content, collision = !same && o->stable != d->stable;
    int tid = collision ? RT_IDENTITY_COLLISION : RT_IDENTITY_DUPLICATE;
    if (!rm_shows(st->rep, tid)) return;
    kd_run r = run_of(o, d);
    const char *cls = same ? kd_class(&r) : "changed_resend";
    rm_tally_duplicates(st->rep, dp->rep_index, collision ? "identity_collision" : cls, 1, 1);
    rm_finding *f = rm_add_finding(st->rep, tid, 0, RM_WARNING, dp->rep_index, d->offset);
    rm_group g = { collision ? "identity_collision" : "identity_duplicate",
                   XXH3_64bits(dp->topic, strlen(dp->topic)), opt->dup_window_ms, d->producer_id, o->producer_id,
                   d->epoch, o->epoch };
    rm_group_finding(st->rep, &g, dp->rep_index, RM_WARNING, d->ts, d->offset, d->offset, 1, f);
    if (!f) return;
    f->producer_id = d->producer_id;
    f->producer_epoch = d->producer_id >= 0 ? d->epoch : -1;
    const kid_spec *spec = kid_rules_match(opt->identity, dp->topic);
    /* The identity as the copy holds it: read again (an example). */
    char text[RM_PREVIEW_TEXT] = "", h[24];
    rec_copy b = { 0 };
    bool have_b = st->dc && spec &&
                  read_record(dp->kp, st->marks ? &st->marks[d->job] : NULL, d->offset, st->max_entry, st->no_cache,
                              st->dc, &b);
    kid_ident id;
    if (have_b && kid_identity(spec, &b.r, &id) == 0) {
        rm_preview pv;
        rm_preview_set(&pv, id.p, id.len, opt->redact & KA_REDACT_KEYS, opt->redact_key);
        rm_preview_text(&pv, text, sizeof text);
    }
    hex64(d->id_hi ^ d->id_lo, h, sizeof h);
    rm_field_str(f, "identity_spec", spec ? spec->text : "");
    rm_field_str(f, "identity", text);
    rm_field_str(f, "identity_hash", h);
    rm_field_str(f, "class", cls);
    rm_field_int(f, "original_partition", op->partition);
    rm_field_int(f, "original_offset", o->offset);
    rm_field_int(f, "copies", copies);
    rm_field_int(f, "copy", nth);
    /* What differs: equal content differs in nothing; else both copies
     * are read again, for so many examples. */
    if (same) {
        rm_field_str(f, "differs_in", "");
    } else if (st->max_diffs < 0 || st->diffs < st->max_diffs) {
        st->diffs++;
        rec_copy a;
        if (have_b && read_record(op->kp, st->marks ? &st->marks[o->job] : NULL, o->offset, st->max_entry,
                                  st->no_cache, st->dc, &a)) {
            char diff[512];
            bool beyond;
            kid_diff(&a.r, &b.r, diff, sizeof diff, &beyond);
            if (opt->redact & KA_REDACT_VALUES) redact_members(diff, sizeof diff, opt->redact_key);
            rm_field_str(f, "differs_in", diff);
            free(a.buf);
        }
    }
    free(b.buf);
    rm_field_bool(f, "identical_records", r.identical);
    rm_field_bool(f, "identical_batch", r.identical_batch);
    rm_field_bool(f, "same_batch", r.same_batch);
    if (op->rep_index == dp->rep_index) rm_field_int(f, "offset_distance", d->offset - o->offset);
    else rm_field_null(f, "offset_distance");
    if (r.ts_known) rm_field_int(f, "time_distance_ms", d->ts - o->ts);
    else rm_field_null(f, "time_distance_ms");
    rm_field_int(f, "original_producer_id", o->producer_id);
    rm_field_int(f, "original_producer_epoch", o->epoch);
    rm_field_int(f, "sequence", d->sequence);
    rm_field_int(f, "original_sequence", o->sequence);
    rm_field_bool(f, "transactional", (d->flags & KID_F_TXN) != 0);
    rm_field_bool(f, "original_transactional", (o->flags & KID_F_TXN) != 0);
    rm_field_int(f, "timestamp", d->ts);
    rm_field_int(f, "original_timestamp", o->ts);
}

/* Copies g[1..n-1] of original g[0], of a group of `size` records whose
 * first `done` copies were emitted before. */
static void emit_group(stage *st, const kid_entry *g, size_t n, int64_t size, int64_t done)
{
    uint32_t t = st->c->topic_no[g[0].job];
    if (t != st->topic) st->topic = t, st->diffs = 0;
    for (size_t i = 1; i < n; i++) emit(st, &g[0], &g[i], size, done + (int64_t)i + 1);
}

/* Merge the first runs, as many as can be read at once within the share
 * (c->cap facts, MIN_READ a run at least), into one run at the file's end,
 * until all runs can be read at once: the final merge's buffers then stay
 * within the share however many runs were written. Facts of passes that do
 * not count are dropped on the way. 0, or -1 (c->failed says why). */
static int reduce_runs(ei_collector *c)
{
    size_t fanin = c->cap / MIN_READ < 2 ? 2 : c->cap / MIN_READ;
    kid_entry chunk[256];
    while (c->nruns > fanin && !c->failed) {
        stream s;
        if (stream_open_runs(&s, c, c->runs, fanin) < 0) {
            stream_close(&s);
            c->failed = true;
            snprintf(c->why, sizeof c->why, "out of memory");
            return -1;
        }
        run_at merged = { c->end, 0 };
        size_t k = 0;
        kid_entry e;
        for (bool more = true; more && !c->failed;) {
            more = stream_next(&s, &e);
            if (more) chunk[k++] = e;
            if (k == 256 || (!more && k)) {
                if (write_all(c->fd, c->end, chunk, k * sizeof *chunk) < 0) {
                    c->failed = true;
                    snprintf(c->why, sizeof c->why, "writing the identities' spill failed: %s",
                             strerror(errno ? errno : EIO));
                }
                c->end += k * sizeof *chunk, merged.count += k;
                k = 0;
            }
        }
        if (s.failed && !c->failed) {
            c->failed = true;
            snprintf(c->why, sizeof c->why, "reading the identities' spill failed");
        }
        stream_close(&s);
        memmove(c->runs, c->runs + fanin, (c->nruns - fanin) * sizeof *c->runs);
        c->nruns -= fanin - 1;
        c->runs[c->nruns - 1] = merged;
    }
    return c->failed ? -1 : 0;
}

/* Facts in memory from the i-th in order on that are of e's group and
 * count (their job's last pass). */
static int64_t group_rest(const ei_collector *c, size_t i, const kid_entry *e)
{
    int64_t k = 0;
    for (; i < c->n && same_group(c, &c->mem[i], e); i++) {
        const kid_entry *x = &c->mem[i];
        k += x->job < c->n_jobs && x->pass == c->last_pass[x->job];
    }
    return k;
}

int ei_finish(ei_collector *c, const ei_part *parts, rm_report *rep, const ka_options *o, size_t max_entry,
              bool no_cache, int64_t max_diffs)
{
    if (!c) return 0;
    int rc = 0;
    if (c->nruns) write_run(c); /* the rest joins the runs */
    else sort_mem(c);
    if (c->nruns) free(c->mem), c->mem = NULL, c->n = 0;
    if (c->nruns) reduce_runs(c);
    kid_entry *g = malloc(GROUP_BUF * sizeof *g);
    int64_t *big = NULL; /* sizes of the groups larger than GROUP_BUF, in order */
    size_t nbig = 0, capbig = 0, nextbig = 0;
    stream s;
    if (c->failed || !g || stream_open(&s, c) < 0) goto fail;
    /* First, the size of every group too large to hold: read through the
     * runs once more when spilled; in memory, counted where it is met. */
    kid_entry e, prev;
    int64_t size = 0;
    for (bool more = c->nruns > 0; more;) {
        more = stream_next(&s, &e);
        if (size && (!more || !same_group(c, &prev, &e))) {
            if (size > GROUP_BUF) {
                if (nbig == capbig) {
                    size_t nc = capbig ? capbig * 2 : 16;
                    int64_t *nb = realloc(big, nc * sizeof *nb);
                    if (!nb) goto fail_stream;
                    big = nb, capbig = nc;
                }
                big[nbig++] = size;
            }
            size = 0;
        }
        prev = e;
        size++;
    }
    if (s.failed) goto fail_stream;
    stream_close(&s);
    /* Then the findings. */
    stage st = { c, parts, rep, o, max_entry, no_cache, max_diffs, 0, UINT32_MAX, kc_create(max_entry),
                 calloc(c->n_jobs + 1, sizeof(marks)) };
    if (stream_open(&s, c) < 0) goto fail;
    size_t n = 0;
    int64_t done = 0, gsize = 0;
    for (bool more = true; more;) {
        more = stream_next(&s, &e);
        if (n && (!more || !same_group(c, &g[0], &e))) {
            emit_group(&st, g, n, gsize ? gsize : (int64_t)n, done);
            n = 0, done = 0, gsize = 0;
        }
        if (!more) break;
        if (n == GROUP_BUF) { /* a large group: its size was counted */
            if (!gsize) gsize = !c->nruns ? (int64_t)n + 1 + group_rest(c, s.i, &e)
                                : nextbig < nbig ? big[nextbig++] : -1;
            emit_group(&st, g, n, gsize, done);
            done += (int64_t)n - 1;
            n = 1;
        }
        g[n++] = e;
    }
    kc_free(st.dc);
    for (size_t i = 0; st.marks && i < c->n_jobs; i++) free(st.marks[i].v);
    free(st.marks);
    if (s.failed) goto fail_stream;
    stream_close(&s);
    free(g), free(big);
    return rc;
fail_stream:
    stream_close(&s);
fail:
    rm_add_problem(rep, "duplicates by identity were not checked: %s",
                   c->failed ? c->why : "out of memory, or the identities' spill could not be read");
    free(g), free(big);
    return -1;
}
