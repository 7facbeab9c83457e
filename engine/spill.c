/* spill.c - see spill.h. */
#include "spill.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SP_BUF ((size_t)32 << 10)
#define SP_MAX_DEPTH 3 /* shares of shares: 64^3 of the fingerprints at the finest */

/* ---- the private directory ----------------------------------------------- */

/* The private directory's name: the prefix, then mkdtemp's 6 characters. */
#define SP_DIR_PREFIX "kaudit-spill-"

struct sp_dir {
    char base[PATH_MAX - 64];   /* where it is made */
    char path[PATH_MAX];        /* the directory, once made */
    volatile sig_atomic_t made; /* it exists */
    int lock_fd;                /* the directory, open and locked (flock) while it exists: the
                                 * sign that its run is alive (sp_dir_sweep); -1 when none */
    atomic_int busy;            /* a thread is making the directory or a named file in it */
    pthread_mutex_t lock;
};

/* The signals a front end may handle to remove the directory: they are
 * blocked on a thread while it makes the directory or a named file. */
static const int g_sigs[] = { SIGINT, SIGTERM, SIGHUP };

sp_dir *sp_dir_create(const char *base)
{
    sp_dir *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    const char *env = getenv("TMPDIR");
    const char *b = base && *base ? base : env && *env ? env : "/tmp";
    snprintf(d->base, sizeof d->base, "%s", b);
    d->lock_fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void sp_dir_remove_now(sp_dir *d)
{
    if (!d) return;
    while (atomic_load(&d->busy)) continue;
    if (d->made) rmdir(d->path);
    d->made = 0;
}

void sp_dir_free(sp_dir *d)
{
    if (!d) return;
    sp_dir_remove_now(d);
    if (d->lock_fd >= 0) close(d->lock_fd); /* removed first, while still locked */
    pthread_mutex_destroy(&d->lock);
    free(d);
}

const char *sp_dir_base(const sp_dir *d) { return d->base; }

/* SP_DIR_PREFIX and mkdtemp's 6 characters, or "spill-" and mkstemp's: a
 * name of ours. */
static bool our_name(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0 || strlen(name + n) != 6) return false;
    for (const char *c = name + n; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) return false;
    return true;
}

/* Empty the locked leftover `fd` of the spill files a killed run left
 * (named ones, killed between mkstemp and unlink): true when it held
 * nothing else, so it can go. */
static bool empty_leftover(int fd)
{
    int dfd = dup(fd);
    DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!dir) {
        if (dfd >= 0) close(dfd);
        return false;
    }
    bool ours = true;
    struct dirent *de;
    while (ours && (de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        struct stat st;
        ours = our_name(de->d_name, "spill-") && fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISREG(st.st_mode) && st.st_uid == geteuid();
    }
    rewinddir(dir);
    while (ours && (de = readdir(dir)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) unlinkat(fd, de->d_name, 0);
    closedir(dir);
    return ours;
}

size_t sp_dir_sweep(const sp_dir *d, bool (*keep)(const char *path, void *ctx), void *ctx)
{
    DIR *dir = opendir(d->base);
    if (!dir) return 0;
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (!our_name(de->d_name, SP_DIR_PREFIX)) continue;
        char path[PATH_MAX];
        struct stat st, at;
        if (snprintf(path, sizeof path, "%s/%s", d->base, de->d_name) >= (int)sizeof path) continue;
        if ((d->made && strcmp(path, d->path) == 0) || lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != geteuid() || (st.st_mode & 077) || (keep && keep(path, ctx)))
            continue;
        /* Locked: a live run's (or one being made). Else its run is gone. */
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &at) == 0 && at.st_dev == st.st_dev &&
            at.st_ino == st.st_ino && empty_leftover(fd) && rmdir(path) == 0)
            removed++;
        close(fd);
    }
    closedir(dir);
    return removed;
}

/*
 * Make the private directory and lock it (flock on the directory itself,
 * so it stays empty) for as long as it exists: a SIGKILL leaves the
 * directory, and the lock dies with the process, so a later run's
 * sp_dir_sweep knows it for a leftover. A sweep that took the directory
 * between mkdtemp and the lock (it holds the lock, or the directory is
 * gone once we have it) is answered with a new one. Where a filesystem
 * has no flock (ENOLCK, EINVAL), the directory is kept unlocked: a sweep
 * cannot lock it either, so never removes it. 0, or -1 with errno.
 */
static int make_dir(sp_dir *d)
{
    for (int tries = 0; tries < 16; tries++) {
        snprintf(d->path, sizeof d->path, "%s/" SP_DIR_PREFIX "XXXXXX", d->base);
        if (!mkdtemp(d->path)) return -1; /* mkdtemp makes it 0700 */
        int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue; /* swept already */
        int locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
        struct stat a, b;
        if ((locked || errno != EWOULDBLOCK) && fstat(fd, &a) == 0 && stat(d->path, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            d->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    errno = EAGAIN;
    return -1;
}

/* A new scratch file with no name in directory d: O_TMPFILE, or a name
 * removed at once. */
static int scratch_open(sp_dir *d, char *err, size_t cap)
{
    /* While the directory or a named file exists without a signal handler
     * knowing, no signal may be handled on this thread, and a handler on
     * another one waits (busy). */
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof g_sigs / sizeof *g_sigs; i++) sigaddset(&block, g_sigs[i]);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    pthread_mutex_lock(&d->lock);
    atomic_store(&d->busy, 1);
    if (!d->made) {
        if (make_dir(d) < 0) {
            snprintf(err, cap, "cannot make a private directory in %s: %s", d->base, strerror(errno));
            atomic_store(&d->busy, 0);
            pthread_mutex_unlock(&d->lock);
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            return -1;
        }
        d->made = 1;
    }
    int fd = open(d->path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOENT)) {
        char name[PATH_MAX + 16];
        snprintf(name, sizeof name, "%s/spill-XXXXXX", d->path);
        fd = mkstemp(name);
        if (fd >= 0) unlink(name);
    }
    if (fd < 0) snprintf(err, cap, "cannot create a file in %s: %s", d->path, strerror(errno));
    atomic_store(&d->busy, 0);
    pthread_mutex_unlock(&d->lock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return fd;
}

int sp_scratch(sp_dir *d, char *err, size_t cap) { return scratch_open(d, err, cap); }

/* ---- buffered record files -------------------------------------------------- */

typedef struct sp_file {
    int fd;                /* -1 when not open */
    unsigned char *buf;
    size_t fill, pos;      /* writing: `fill` bytes buffered; reading: [pos, fill) unread */
    uint64_t n;            /* records written */
} sp_file;

static void f_init(sp_file *f)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static void f_close(sp_file *f)
{
    if (f->fd >= 0) close(f->fd);
    free(f->buf);
    f_init(f);
}

/* Files of answers, each in put order, read as one stream in put order. */
typedef struct sp_merge {
    sp_file *src;               /* SP_SHARES files, closed ones empty */
    kq_event head[SP_SHARES];   /* each file's next answer ... */
    int have[SP_SHARES];        /* ... 1 when held, 0 when the file is done */
} sp_merge;

struct sp_spill {
    kq_spill ops;
    sp_dir *dir;
    size_t budget;
    sp_file share[SP_SHARES];   /* the recorded puts, by fingerprint */
    sp_file ans[SP_SHARES];     /* each share's answers, in put order */
    sp_merge replay;            /* ... merged for the second pass */
    uint64_t puts, disk;
    char err[PATH_MAX + 256];
};

static int f_open(sp_spill *s, sp_file *f)
{
    f_init(f);
    if (!(f->buf = malloc(SP_BUF))) {
        snprintf(s->err, sizeof s->err, "out of memory");
        return -1;
    }
    if ((f->fd = scratch_open(s->dir, s->err, sizeof s->err)) < 0) {
        f_close(f);
        return -1;
    }
    return 0;
}

static int f_flush(sp_spill *s, sp_file *f)
{
    size_t done = 0;
    while (done < f->fill) {
        ssize_t w = write(f->fd, f->buf + done, f->fill - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(s->err, sizeof s->err, "cannot write to %s: %s", s->dir->path, w < 0 ? strerror(errno) : "no space");
            return -1;
        }
        done += (size_t)w;
    }
    s->disk += f->fill;
    f->fill = 0;
    return 0;
}

static int f_write(sp_spill *s, sp_file *f, const void *rec, size_t size)
{
    if (f->fill + size > SP_BUF && f_flush(s, f) < 0) return -1;
    memcpy(f->buf + f->fill, rec, size);
    f->fill += size;
    f->n++;
    return 0;
}

/* Switch a written file to reading from its start. */
static int f_rewind(sp_spill *s, sp_file *f)
{
    if (f_flush(s, f) < 0) return -1;
    if (lseek(f->fd, 0, SEEK_SET) < 0) {
        snprintf(s->err, sizeof s->err, "cannot seek in a spill file: %s", strerror(errno));
        return -1;
    }
    f->fill = f->pos = 0;
    return 0;
}

/* The next record: 1, 0 at the end, -1 on an error or a partial record. */
static int f_read(sp_spill *s, sp_file *f, void *rec, size_t size)
{
    if (f->fill - f->pos < size) {
        memmove(f->buf, f->buf + f->pos, f->fill - f->pos);
        f->fill -= f->pos;
        f->pos = 0;
        while (f->fill < size) {
            ssize_t r = read(f->fd, f->buf + f->fill, SP_BUF - f->fill);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                snprintf(s->err, sizeof s->err, "cannot read a spill file: %s", strerror(errno));
                return -1;
            }
            if (r == 0) break;
            f->fill += (size_t)r;
        }
        if (f->fill == 0) return 0;
        if (f->fill < size) {
            snprintf(s->err, sizeof s->err, "a spill file ends inside a record");
            return -1;
        }
    }
    memcpy(rec, f->buf + f->pos, size);
    f->pos += size;
    return 1;
}

/* ---- recording ---------------------------------------------------------------- */

/* The share of a fingerprint at split `depth`: 6 bits of `hi` (the memory
 * index and kq_resolve place by `lo`, so shares stay uniformly filled). */
static unsigned share_of(const kq_slot *r, int depth) { return (unsigned)(r->hi >> (58 - 6 * depth)) & (SP_SHARES - 1); }

static int op_put(void *ctx, const kq_spilled *rec)
{
    sp_spill *s = ctx;
    sp_file *f = &s->share[share_of(&rec->rec, 0)];
    if (f->fd < 0 && f_open(s, f) < 0) return -1;
    s->puts++;
    return f_write(s, f, rec, sizeof *rec);
}

/* ---- resolving ------------------------------------------------------------------ */

typedef struct rv_ctx {
    sp_spill *s;
    sp_file *src, *dst;
} rv_ctx;

static int rv_get(void *ctx, kq_spilled *rec)
{
    rv_ctx *c = ctx;
    return f_read(c->s, c->src, rec, sizeof *rec);
}

static int rv_emit(void *ctx, const kq_event *e)
{
    rv_ctx *c = ctx;
    return f_write(c->s, c->dst, e, sizeof *e);
}

static int merge_open(sp_spill *s, sp_merge *m, sp_file *src)
{
    m->src = src;
    for (int i = 0; i < SP_SHARES; i++)
        if ((m->have[i] = src[i].fd >= 0 ? f_read(s, &src[i], &m->head[i], sizeof m->head[i]) : 0) < 0) return -1;
    return 0;
}

/* The next answer in put order: 1, 0 at the end, -1 on an error. */
static int merge_next(sp_spill *s, sp_merge *m, kq_event *e)
{
    int k = -1;
    for (int i = 0; i < SP_SHARES; i++)
        if (m->have[i] && (k < 0 || m->head[i].seq < m->head[k].seq)) k = i;
    if (k < 0) return 0;
    *e = m->head[k];
    m->have[k] = f_read(s, &m->src[k], &m->head[k], sizeof m->head[k]);
    return m->have[k] < 0 ? -1 : 1;
}

static int resolve_file(sp_spill *s, sp_file *src, sp_file *dst, int depth);

/* Resolve every share file of `share` that was written (split at `depth`)
 * into `ans`, rewound for reading; each share's file is closed, and its
 * disk space given back, as soon as it is done. */
static int resolve_shares(sp_spill *s, sp_file *share, sp_file *ans, int depth)
{
    for (int i = 0; i < SP_SHARES; i++) {
        if (share[i].fd < 0) continue;
        if (f_rewind(s, &share[i]) < 0 || f_open(s, &ans[i]) < 0 || resolve_file(s, &share[i], &ans[i], depth) < 0 ||
            f_rewind(s, &ans[i]) < 0)
            return -1;
        f_close(&share[i]);
    }
    return 0;
}

/* Resolve the `src->n` puts of `src` (rewound) into `dst`'s answers: at
 * once when their table fits the budget, else share by share. */
static int resolve_file(sp_spill *s, sp_file *src, sp_file *dst, int depth)
{
    if (kq_resolve_bytes(src->n) <= s->budget || depth == SP_MAX_DEPTH) {
        rv_ctx c = { s, src, dst };
        if (kq_resolve(src->n, rv_get, rv_emit, &c) < 0) {
            if (!s->err[0]) snprintf(s->err, sizeof s->err, "out of memory resolving %" PRIu64 " records", (uint64_t)src->n);
            return -1;
        }
        return 0;
    }
    /* Into as few shares as fit the budget with a quarter to spare (the
     * split by fingerprint is even, not exact), not always SP_SHARES: a
     * share just over the budget becomes two files, not 64 (each file made
     * costs a create: 30 to 40 us on ext4). */
    size_t need = kq_resolve_bytes(src->n) + kq_resolve_bytes(src->n) / 4, budget = s->budget ? s->budget : 1;
    unsigned ways = need / budget + 1 < SP_SHARES ? (unsigned)(need / budget + 1) : SP_SHARES;
    sp_file sub[SP_SHARES], ans[SP_SHARES];
    for (int i = 0; i < SP_SHARES; i++) f_init(&sub[i]), f_init(&ans[i]);
    int rc = -1;
    kq_spilled rec;
    int got;
    while ((got = f_read(s, src, &rec, sizeof rec)) == 1) {
        sp_file *f = &sub[share_of(&rec.rec, depth + 1) % ways];
        if ((f->fd < 0 && f_open(s, f) < 0) || f_write(s, f, &rec, sizeof rec) < 0) goto out;
    }
    sp_merge m;
    kq_event e;
    if (got < 0 || resolve_shares(s, sub, ans, depth + 1) < 0 || merge_open(s, &m, ans) < 0) goto out;
    while ((rc = merge_next(s, &m, &e)) == 1)
        if (f_write(s, dst, &e, sizeof e) < 0) {
            rc = -1;
            break;
        }
out:
    for (int i = 0; i < SP_SHARES; i++) f_close(&sub[i]), f_close(&ans[i]);
    return rc;
}

int sp_resolve(sp_spill *s)
{
    s->err[0] = '\0';
    return resolve_shares(s, s->share, s->ans, 0) < 0 ? -1 : merge_open(s, &s->replay, s->ans);
}

/* ---- replaying ---------------------------------------------------------------- */

static int op_next(void *ctx, kq_event *e) { return merge_next(ctx, &((sp_spill *)ctx)->replay, e); }

/* ---- the spill -------------------------------------------------------------------- */

sp_spill *sp_create(sp_dir *dir, size_t budget)
{
    sp_spill *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->dir = dir;
    s->ops.ctx = s;
    s->ops.put = op_put;
    s->ops.next = op_next;
    s->budget = budget;
    for (int i = 0; i < SP_SHARES; i++) f_init(&s->share[i]), f_init(&s->ans[i]);
    return s;
}

void sp_free(sp_spill *s)
{
    if (!s) return;
    for (int i = 0; i < SP_SHARES; i++) f_close(&s->share[i]), f_close(&s->ans[i]);
    free(s);
}

const kq_spill *sp_ops(sp_spill *s) { return &s->ops; }

const char *sp_error(const sp_spill *s) { return s->err; }

uint64_t sp_puts(const sp_spill *s) { return s->puts; }

uint64_t sp_disk_bytes(const sp_spill *s) { return s->disk; }
