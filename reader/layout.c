/* layout.c - see layout.h. Names: formats doc 1.1, 4, 5, 6. */
#include "layout.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KL_MAX_DEPTH 12

/* Directories already entered (device, inode): a link cycle ends here. */
typedef struct kl_seen {
    dev_t dev;
    ino_t ino;
} kl_seen;

typedef struct kl_scan {
    kl_set *s;
    kl_seen *seen;
    size_t nseen, capseen;
} kl_scan;

/* Grow an array of `size`-byte elements so that one more fits. */
static int grow(void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, ncap * size);
    if (!p) return KE_NOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* Arrays of the set grow in powers of two from 8, so their capacity follows
 * from their count and need not be stored. */
static size_t cap_of(size_t n)
{
    size_t c = 8;
    while (c < n) c *= 2;
    return n == 0 ? 0 : c;
}

#define PUSH(arr, n, item)                                                    \
    do {                                                                      \
        size_t cap_ = cap_of(n);                                              \
        if (grow((void **)&(arr), (n), &cap_, sizeof *(arr)) < 0) return KE_NOMEM; \
        (arr)[(n)++] = (item);                                                \
    } while (0)

kl_set *kl_create(void) { return calloc(1, sizeof(kl_set)); }

static void free_files(kl_file *f, size_t n)
{
    for (size_t i = 0; i < n; i++) free(f[i].path);
    free(f);
}

void kl_free(kl_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nlogdirs; i++) {
        free(s->logdirs[i].path);
        free_files(s->logdirs[i].files, s->logdirs[i].nfiles);
    }
    for (size_t i = 0; i < s->nparts; i++) {
        free(s->parts[i].path);
        free(s->parts[i].topic);
        free_files(s->parts[i].files, s->parts[i].nfiles);
    }
    free_files(s->loose, s->nloose);
    for (size_t i = 0; i < s->nproblems; i++) free((char *)s->problems[i].file);
    free(s->logdirs);
    free(s->parts);
    free(s->problems);
    free(s);
}

const char *kl_kind_name(kl_kind k)
{
    static const char *names[] = { "segment", "offset_index", "time_index", "txn_index",
                                   "producer_snapshot", "kraft_snapshot", "leader_epoch_checkpoint",
                                   "partition_metadata", "offset_checkpoint", "meta_properties",
                                   "clean_shutdown", "quorum_state", "transient", "foreign", "other" };
    return (unsigned)k <= KL_OTHER ? names[k] : "other";
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* A 20-digit stem (LogFileUtils.filenamePrefixFromOffset) as an offset. */
static int64_t stem_offset(const char *s, size_t n)
{
    if (n != 20 || !all_digits(s, n)) return -1;
    unsigned long long v = strtoull(s, NULL, 10); /* 20 digits fit in 64 bits unsigned */
    return v > INT64_MAX ? -1 : (int64_t)v;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Redpanda names its segment files <base>-<term>-v<version>.log, with
 * .base_index and .compaction_index beside them. */
static int is_redpanda_segment_name(const char *name)
{
    int a, b, c, n = 0;
    if (sscanf(name, "%d-%d-v%d.%n", &a, &b, &c, &n) != 3 || n == 0) return 0;
    return strcmp(name + n, "log") == 0 || strcmp(name + n, "base_index") == 0 ||
           strcmp(name + n, "compaction_index") == 0;
}

kl_kind kl_classify(const char *name, kl_kind *base_kind, int64_t *base_offset, int32_t *epoch)
{
    static const char *transient[] = { ".deleted", ".cleaned", ".swap", ".part", ".tmp" };
    *base_offset = -1;
    *epoch = -1;
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++) {
        if (!ends_with(name, transient[i]) || strlen(name) == strlen(transient[i])) continue;
        char inner[256];
        size_t n = strlen(name) - strlen(transient[i]);
        if (n >= sizeof inner) break;
        memcpy(inner, name, n);
        inner[n] = '\0';
        kl_kind under;
        kl_classify(inner, &under, base_offset, epoch);
        *base_kind = under;
        return KL_TRANSIENT;
    }
    static const struct { const char *name; kl_kind kind; } exact[] = {
        { "leader-epoch-checkpoint", KL_LEADER_EPOCH },
        { "partition.metadata", KL_PARTITION_METADATA },
        { "recovery-point-offset-checkpoint", KL_OFFSET_CHECKPOINT },
        { "replication-offset-checkpoint", KL_OFFSET_CHECKPOINT },
        { "log-start-offset-checkpoint", KL_OFFSET_CHECKPOINT },
        { "cleaner-offset-checkpoint", KL_OFFSET_CHECKPOINT },
        { "meta.properties", KL_META_PROPERTIES },
        { ".kafka_cleanshutdown", KL_CLEAN_SHUTDOWN },
        { "quorum-state", KL_QUORUM_STATE },
        { "bootstrap.checkpoint", KL_KRAFT_SNAPSHOT },
    };
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (strcmp(name, exact[i].name) == 0) return *base_kind = exact[i].kind;
    if (is_redpanda_segment_name(name)) return *base_kind = KL_FOREIGN;
    static const struct { const char *ext; kl_kind kind; } byext[] = {
        { ".log", KL_SEGMENT }, { ".index", KL_OFFSET_INDEX }, { ".timeindex", KL_TIME_INDEX },
        { ".txnindex", KL_TXN_INDEX }, { ".snapshot", KL_PRODUCER_SNAPSHOT },
    };
    const char *dot = strchr(name, '.');
    size_t stem = dot ? (size_t)(dot - name) : strlen(name);
    for (size_t i = 0; dot && i < sizeof byext / sizeof *byext; i++) {
        if (strcmp(dot, byext[i].ext) != 0) continue;
        *base_offset = stem_offset(name, stem);
        return *base_kind = *base_offset >= 0 ? byext[i].kind : KL_OTHER;
    }
    /* KRaft snapshot: <20-digit end offset>-<10-digit epoch>.checkpoint */
    if (dot && strcmp(dot, ".checkpoint") == 0 && stem == 31 && name[20] == '-' && all_digits(name + 21, 10)) {
        *base_offset = stem_offset(name, 20);
        long ep = strtol(name + 21, NULL, 10);
        if (*base_offset >= 0 && ep <= INT32_MAX) {
            *epoch = (int32_t)ep;
            return *base_kind = KL_KRAFT_SNAPSHOT;
        }
        *base_offset = -1;
    }
    return *base_kind = KL_OTHER;
}

/* Kafka's Topic.validate: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..". */
int kl_topic_legal(const char *topic)
{
    size_t n = strlen(topic);
    if (n == 0 || n > KL_TOPIC_MAX || strcmp(topic, ".") == 0 || strcmp(topic, "..") == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = topic[i];
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '.' && c != '_' &&
            c != '-')
            return 0;
    }
    return 1;
}

/* kl_partition_name without the check of the topic's characters. */
static int split_partition_name(const char *name, char *topic, size_t cap, int32_t *partition, const char **state)
{
    static const char *suffixes[] = { "-delete", "-future", "-stray" };
    char buf[512];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, name, n + 1);
    *state = "";
    for (size_t i = 0; i < 3; i++) {
        if (!ends_with(buf, suffixes[i])) continue;
        /* <topic>-<partition>.<uniqueId>-delete: drop the suffix, then the id. */
        buf[n - strlen(suffixes[i])] = '\0';
        char *dot = strrchr(buf, '.');
        if (!dot) return 0;
        *dot = '\0';
        *state = suffixes[i] + 1;
        break;
    }
    char *dash = strrchr(buf, '-');
    if (!dash || dash == buf) return 0;
    const char *digits = dash + 1;
    size_t nd = strlen(digits);
    if (!all_digits(digits, nd) || nd > 10) return 0;
    long long p = strtoll(digits, NULL, 10);
    if (p > INT32_MAX) return 0;
    *dash = '\0';
    if (strlen(buf) + 1 > cap) return 0;
    memcpy(topic, buf, strlen(buf) + 1);
    *partition = (int32_t)p;
    return 1;
}

int kl_partition_name(const char *name, char *topic, size_t cap, int32_t *partition, const char **state)
{
    return split_partition_name(name, topic, cap, partition, state) && kl_topic_legal(topic);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    int slash = a > 0 && dir[a - 1] != '/';
    char *p = malloc(a + slash + b + 1);
    if (!p) return NULL;
    memcpy(p, dir, a);
    if (slash) p[a] = '/';
    memcpy(p + a + slash, name, b + 1);
    return p;
}

/* Record a problem with `path`, once: a folder is listed more than once
 * while a scan decides what it is, and the first word on a path stands. */
static int problem(kl_set *s, const char *path, int code, const char *fmt, const char *detail)
{
    for (size_t i = 0; i < s->nproblems; i++)
        if (strcmp(s->problems[i].file, path) == 0) return 0;
    ke_error e;
    ke_clear(&e);
    ke_set(&e, code, -1, fmt, detail);
    e.file = strdup(path);
    if (!e.file) return KE_NOMEM;
    PUSH(s->problems, s->nproblems, e);
    return 0;
}

static int make_file(const char *path, const char *name, kl_file *f)
{
    f->path = join(path, name);
    if (!f->path) return KE_NOMEM;
    f->kind = kl_classify(name, &f->base_kind, &f->base_offset, &f->epoch);
    return 0;
}

/* Directory entries, sorted by name, without "." and "..". */
typedef struct kl_entry {
    char *name;
    int is_dir;
} kl_entry;

/* qsort, which must not be handed NULL, not even with no elements. */
static void sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n > 1) qsort(v, n, size, cmp);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const kl_entry *)a)->name, ((const kl_entry *)b)->name);
}

static void free_entries(kl_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) free(e[i].name);
    free(e);
}

/* A directory opened for reading its entries. Like a file (reader/segment.c),
 * with O_NOATIME where the kernel allows it (the owner, or CAP_FOWNER;
 * EPERM otherwise): listing a directory would set its access time, and an
 * audit changes nothing it reads. NULL with errno on failure. */
static DIR *open_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC);
    if (fd < 0 && errno == EPERM) fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return NULL;
    DIR *d = fdopendir(fd);
    if (!d) {
        int why = errno;
        close(fd);
        errno = why;
    }
    return d;
}

/* A name Kafka gives the files it reads: a segment, an index, a
 * checkpoint, ... (transient files are not read whatever they are, and a
 * foreign one is not Kafka's). */
static int kafka_file_name(const char *name)
{
    kl_kind base;
    int64_t off;
    int32_t ep;
    kl_kind k = kl_classify(name, &base, &off, &ep);
    return k != KL_OTHER && k != KL_TRANSIENT && k != KL_FOREIGN;
}

/* ... or the folders of partitions. */
static int kafka_name(const char *name)
{
    char topic[512];
    int32_t part;
    const char *state;
    return kafka_file_name(name) || kl_partition_name(name, topic, sizeof topic, &part, &state);
}

const char *kl_not_kafka(const kl_file *f)
{
    if (f->kind == KL_FOREIGN) return "not Kafka's format: a Redpanda segment (<base>-<term>-v1.log); skipped";
    if (f->kind != KL_OTHER) return NULL;
    size_t n = strlen(f->path);
    if (n > 4 && strcmp(f->path + n - 4, ".log") == 0) return NULL;
    return "not a file kind Kafka keeps in a data directory (by its name); skipped";
}

/* What kind of thing a stat says is neither a file nor a directory. */
static const char *special_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISSOCK(m)                      ? "a socket"
                                              : "not a regular file";
}

/*
 * Entry `name` of `path` (at `full`) is neither a directory nor a regular
 * file, or a link to neither (stat failed with `stat_errno`, or gave
 * `st`). Only regular files are ever read: a FIFO would block, a device
 * never end. One named like Kafka's is a problem, so that it cannot vanish
 * from the report; an entry gone since readdir was removed by the broker
 * (retention, a roll), and anything else is not Kafka's: nothing to say.
 * 0, or KE_NOMEM.
 */
static int not_read(kl_set *s, const char *full, const char *name, int stat_errno, const struct stat *st)
{
    struct stat lst;
    if (!kafka_name(name) || lstat(full, &lst) != 0) return 0;
    char why[160];
    if (stat_errno)
        snprintf(why, sizeof why, "a symbolic link that cannot be followed (%s)", strerror(stat_errno));
    else
        snprintf(why, sizeof why, "%s%s", S_ISLNK(lst.st_mode) ? "a symbolic link to " : "", special_kind(st->st_mode));
    return problem(s, full, KE_IO, "%s, not a regular file or directory: not read", why);
}

static int list_dir(kl_set *s, const char *path, kl_entry **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    DIR *d = open_dir(path);
    if (!d) return problem(s, path, KE_IO, "cannot read directory: %s", strerror(errno));
    kl_entry *v = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *full = join(path, de->d_name);
        struct stat st;
        kl_entry e = { strdup(de->d_name), 0 };
        if (!full || !e.name) {
            free(full);
            free(e.name);
            closedir(d);
            free_entries(v, n);
            return KE_NOMEM;
        }
        /* stat follows links, as Kafka does (a link to a regular file is
         * read); what is neither a file nor a directory is not_read's. */
        int serr = stat(full, &st) == 0 ? 0 : errno;
        int ok = !serr && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode));
        int rc = ok ? 0 : not_read(s, full, de->d_name, serr, &st);
        /* A folder where Kafka keeps a file ("00000000000000000000.log/")
         * is neither read as that file nor searched. */
        if (ok && S_ISDIR(st.st_mode) && kafka_file_name(de->d_name)) {
            ok = 0;
            rc = problem(s, full, KE_IO, "%s", "a directory named like a file Kafka keeps there: not read");
        }
        free(full);
        if (!ok) {
            free(e.name);
            if (rc == 0) continue;
            closedir(d);
            free_entries(v, n);
            return KE_NOMEM;
        }
        e.is_dir = S_ISDIR(st.st_mode);
        size_t cap = cap_of(n);
        if (grow((void **)&v, n, &cap, sizeof *v) < 0) {
            free(e.name);
            closedir(d);
            free_entries(v, n);
            return KE_NOMEM;
        }
        v[n++] = e;
    }
    closedir(d);
    sort(v, n, sizeof *v, cmp_entry);
    *out = v;
    *nout = n;
    return 0;
}

/* Enter a directory once: 0 if already seen (a link cycle or a repeat). */
static int first_visit(kl_scan *sc, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    for (size_t i = 0; i < sc->nseen; i++)
        if (sc->seen[i].dev == st.st_dev && sc->seen[i].ino == st.st_ino) return 0;
    kl_seen k = { st.st_dev, st.st_ino };
    if (grow((void **)&sc->seen, sc->nseen, &sc->capseen, sizeof *sc->seen) < 0) return 0;
    sc->seen[sc->nseen++] = k;
    return 1;
}


static int add_partition(kl_set *s, const char *path, const char *name, long logdir)
{
    char topic[512];
    int32_t part;
    const char *state;
    if (!kl_partition_name(name, topic, sizeof topic, &part, &state)) return 0;
    kl_entry *ents;
    size_t n;
    if (list_dir(s, path, &ents, &n) < 0) return KE_NOMEM;
    kl_partition p = { 0 };
    p.path = strdup(path);
    p.topic = strdup(topic);
    p.partition = part;
    p.state = state;
    p.logdir = p.home = logdir;
    int rc = p.path && p.topic ? 0 : KE_NOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (ents[i].is_dir) continue;
        kl_file f;
        rc = make_file(path, ents[i].name, &f);
        if (rc == 0) {
            size_t cap = cap_of(p.nfiles);
            rc = grow((void **)&p.files, p.nfiles, &cap, sizeof *p.files);
            if (rc == 0) p.files[p.nfiles++] = f;
            else free(f.path);
        }
    }
    free_entries(ents, n);
    if (rc == 0) {
        size_t cap = cap_of(s->nparts);
        rc = grow((void **)&s->parts, s->nparts, &cap, sizeof *s->parts);
    }
    if (rc < 0) {
        free(p.path);
        free(p.topic);
        free_files(p.files, p.nfiles);
        return rc;
    }
    s->parts[s->nparts++] = p;
    return 0;
}

static int is_partition_dir(const kl_entry *e)
{
    char topic[512];
    int32_t part;
    const char *state;
    return e->is_dir && kl_partition_name(e->name, topic, sizeof topic, &part, &state);
}

static int is_logdir_marker(const char *name)
{
    kl_kind base;
    int64_t off;
    int32_t ep;
    kl_kind k = kl_classify(name, &base, &off, &ep);
    return k == KL_META_PROPERTIES || k == KL_OFFSET_CHECKPOINT || k == KL_CLEAN_SHUTDOWN;
}

/* A file only a partition directory holds. */
static int is_partition_file(const char *name)
{
    kl_kind base;
    int64_t off;
    int32_t ep;
    kl_kind k = kl_classify(name, &base, &off, &ep);
    if (k == KL_TRANSIENT) k = base;
    return k == KL_SEGMENT || k == KL_OFFSET_INDEX || k == KL_TIME_INDEX || k == KL_TXN_INDEX ||
           k == KL_PRODUCER_SNAPSHOT || k == KL_KRAFT_SNAPSHOT || k == KL_LEADER_EPOCH || k == KL_PARTITION_METADATA;
}

/* A folder named like a partition that holds a partition's files, or no
 * subfolder to look into ("my-repo-2/" above a log directory is not one). */
static int looks_like_partition(kl_set *s, const char *path)
{
    kl_entry *e;
    size_t n;
    if (list_dir(s, path, &e, &n) < 0) return 0;
    int partfiles = 0, subdirs = 0, markers = 0;
    for (size_t i = 0; i < n; i++) {
        subdirs += e[i].is_dir;
        markers += !e[i].is_dir && is_logdir_marker(e[i].name);
        partfiles += !e[i].is_dir && is_partition_file(e[i].name);
    }
    free_entries(e, n);
    return partfiles > 0 || (subdirs == 0 && markers == 0);
}

static int scan_dir(kl_scan *sc, const char *path, int depth, int *found);

/*
 * A partition directory given directly still belongs to the log directory
 * it sits in, whose root files (log-start-offset-checkpoint,
 * meta.properties, ...) describe it. Returns the index of that folder in
 * s->logdirs (added once, `outside`, with its root files but none of its
 * other partitions), -1 when the folder cannot be read or holds no
 * log-directory file, or KE_NOMEM.
 */
static int cmp_root_file(const void *a, const void *b)
{
    return strcmp(((const kl_file *)a)->path, ((const kl_file *)b)->path);
}

static long add_home(kl_set *s, const char *part_path)
{
    char *up = join(part_path, "..");
    char *real = up ? realpath(up, NULL) : NULL; /* the folder the partition really sits in */
    free(up);
    if (!real) return -1;
    for (size_t i = 0; i < s->nlogdirs; i++)
        if (s->logdirs[i].outside && strcmp(s->logdirs[i].path, real) == 0) {
            free(real);
            return (long)i;
        }
    kl_logdir ld = { real, NULL, 0, true };
    int markers = 0, rc = 0;
    DIR *d = open_dir(real);
    struct dirent *de;
    while (d && rc == 0 && (de = readdir(d)) != NULL) {
        char *full = join(real, de->d_name);
        struct stat st;
        int serr = full && stat(full, &st) != 0 ? errno : 0;
        bool file = full && !serr && S_ISREG(st.st_mode);
        /* A checkpoint that is not a file: said, as in a log directory. */
        if (full && !file && is_logdir_marker(de->d_name) && (serr || !S_ISDIR(st.st_mode)))
            rc = not_read(s, full, de->d_name, serr, &st);
        free(full);
        if (!file || !is_logdir_marker(de->d_name)) continue;
        kl_file f;
        size_t cap = cap_of(ld.nfiles);
        rc = make_file(real, de->d_name, &f);
        if (rc == 0 && (rc = grow((void **)&ld.files, ld.nfiles, &cap, sizeof *ld.files)) < 0) free(f.path);
        if (rc == 0) ld.files[ld.nfiles++] = f, markers++;
    }
    if (d) closedir(d);
    size_t cap = cap_of(s->nlogdirs);
    if (rc == 0 && markers > 0) rc = grow((void **)&s->logdirs, s->nlogdirs, &cap, sizeof *s->logdirs);
    if (rc < 0 || markers == 0) {
        free(real);
        free_files(ld.files, ld.nfiles);
        return rc < 0 ? KE_NOMEM : -1;
    }
    sort(ld.files, ld.nfiles, sizeof *ld.files, cmp_root_file);
    s->logdirs[s->nlogdirs++] = ld;
    return (long)s->nlogdirs - 1;
}

/* The name of the folder at `path` ("orders-3" for "orders-3/", "." or
 * "../orders-3"), into buf. Falls back to the last component as written. */
static const char *dir_name(const char *path, char *buf, size_t cap)
{
    char *real = realpath(path, NULL);
    const char *src = real ? real : path;
    size_t n = strlen(src);
    while (n > 1 && src[n - 1] == '/') n--;
    size_t start = n;
    while (start > 0 && src[start - 1] != '/') start--;
    size_t len = n - start < cap - 1 ? n - start : cap - 1;
    memcpy(buf, src + start, len);
    buf[len] = '\0';
    free(real);
    return buf;
}

/* A folder holding Redpanda's data: its own data root (redpanda/ beside
 * kafka/), a partition folder (named <partition>_<revision>, or holding
 * <base>-<term>-v1.log files), or a topic folder of such partition folders. */
static int looks_redpanda_dir(kl_set *s, const char *path, const kl_entry *e, size_t n)
{
    /* Its own name: Redpanda's <partition>_<revision>, never Kafka's. */
    char name[512];
    const char *base = dir_name(path, name, sizeof name);
    int pa, pb, pn = 0;
    if (sscanf(base, "%d_%d%n", &pa, &pb, &pn) == 2 && base[pn] == '\0') return 1;
    int has_rp = 0, has_kafka = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].is_dir && strcmp(e[i].name, "redpanda") == 0) has_rp = 1;
        if (e[i].is_dir && strcmp(e[i].name, "kafka") == 0) has_kafka = 1;
        if (!e[i].is_dir && is_redpanda_segment_name(e[i].name)) return 1;
    }
    if (has_rp && has_kafka) return 1;
    for (size_t i = 0; i < n; i++) {
        int a, b, k = 0;
        if (!e[i].is_dir || sscanf(e[i].name, "%d_%d%n", &a, &b, &k) != 2 || e[i].name[k]) continue;
        char *sub = join(path, e[i].name);
        kl_entry *se;
        size_t sn;
        int hit = 0;
        if (sub && list_dir(s, sub, &se, &sn) == 0) {
            for (size_t j = 0; j < sn && !hit; j++) hit = !se[j].is_dir && is_redpanda_segment_name(se[j].name);
            free_entries(se, sn);
        }
        free(sub);
        if (hit) return 1;
    }
    return 0;
}

static int add_logdir(kl_scan *sc, const char *path, const kl_entry *e, size_t n, int depth, int *found)
{
    kl_set *s = sc->s;
    kl_logdir ld = { 0 };
    ld.path = strdup(path);
    if (!ld.path) return KE_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (e[i].is_dir) continue;
        kl_file f;
        if (make_file(path, e[i].name, &f) < 0) return KE_NOMEM;
        PUSH(ld.files, ld.nfiles, f);
    }
    PUSH(s->logdirs, s->nlogdirs, ld);
    long idx = (long)s->nlogdirs - 1;
    (*found)++;
    for (size_t i = 0; i < n; i++) {
        if (!e[i].is_dir) continue;
        char *sub = join(path, e[i].name);
        if (!sub) return KE_NOMEM;
        int rc = 0;
        if (is_partition_dir(&e[i]) && looks_like_partition(s, sub)) {
            if (first_visit(sc, sub)) rc = add_partition(s, sub, e[i].name, idx);
        } else if (depth < KL_MAX_DEPTH) {
            rc = scan_dir(sc, sub, depth + 1, found);
        }
        free(sub);
        if (rc < 0) return rc;
    }
    return 0;
}

/* A name of the form <something>-<partition> (with the suffixes of
 * kl_partition_name), whatever the topic. */
static int named_like_partition(const char *name)
{
    char topic[512];
    int32_t part;
    const char *state;
    return split_partition_name(name, topic, sizeof topic, &part, &state);
}

static int scan_dir(kl_scan *sc, const char *path, int depth, int *found)
{
    kl_set *s = sc->s;
    if (depth > 0 && !first_visit(sc, path)) return 0;
    kl_entry *e;
    size_t n;
    if (list_dir(s, path, &e, &n) < 0) return KE_NOMEM;
    char name[512];
    const char *base = dir_name(path, name, sizeof name);
    int parts = 0, markers = 0, partfiles = 0, subdirs = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_partition_dir(&e[i])) {
            char *sub = join(path, e[i].name);
            parts += sub && looks_like_partition(s, sub);
            free(sub);
        }
        subdirs += e[i].is_dir;
        markers += !e[i].is_dir && is_logdir_marker(e[i].name);
        partfiles += !e[i].is_dir && is_partition_file(e[i].name);
    }
    int rc = 0;
    kl_entry self = { (char *)base, 1 };
    /* A folder named like <topic>-<n> is a partition when it holds a
     * partition's files, or nothing else to look into ("my-repo-2/" above a
     * log directory is not one). */
    if (parts == 0 && is_partition_dir(&self) && (partfiles > 0 || (subdirs == 0 && markers == 0))) {
        size_t had = s->nparts;
        rc = add_partition(s, path, base, -1);
        if (rc == 0 && s->nparts > had) {
            long home = add_home(s, path);
            if (home == KE_NOMEM) rc = KE_NOMEM;
            else s->parts[had].home = home;
        }
        (*found)++;
    } else if (parts > 0 || markers > 0) {
        rc = add_logdir(sc, path, e, n, depth, found);
    } else if (looks_redpanda_dir(s, path, e, n)) {
        rc = problem(s, path, KE_FOREIGN, "%s",
                     "not Kafka's format: this is a Redpanda data directory (Redpanda stores "
                     "little-endian batches in <base>-<term>-v1.log files); skipped");
        (*found)++;
    } else {
        /* A partition's files in a folder that is no partition directory
         * (a topic Kafka would not accept, "my backup/"): Kafka did not make
         * it, and its files are not audited, but they do not vanish. */
        if (partfiles > 0) {
            rc = problem(s, path, KE_FOREIGN, "%s",
                         named_like_partition(base)
                             ? "named like a partition directory, but its topic is not a name Kafka accepts "
                               "(1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-'): Kafka did not make it; its files are "
                               "not read"
                             : "holds a partition's files but is not named <topic>-<partition>: Kafka did not make "
                               "it; its files are not read");
            (*found)++;
        }
        for (size_t i = 0; rc == 0 && i < n && depth < KL_MAX_DEPTH; i++) {
            if (!e[i].is_dir) continue;
            char *sub = join(path, e[i].name);
            rc = sub ? scan_dir(sc, sub, depth + 1, found) : KE_NOMEM;
            free(sub);
        }
    }
    free_entries(e, n);
    return rc;
}

int kl_add(kl_set *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return problem(s, path, KE_IO, "cannot read: %s", strerror(errno));
    if (S_ISREG(st.st_mode)) {
        const char *name = strrchr(path, '/');
        name = name ? name + 1 : path;
        kl_file f;
        f.path = strdup(path);
        if (!f.path) return KE_NOMEM;
        f.kind = kl_classify(name, &f.base_kind, &f.base_offset, &f.epoch);
        PUSH(s->loose, s->nloose, f);
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return problem(s, path, KE_IO, "%s, not a regular file or directory: not read", special_kind(st.st_mode));
    kl_scan sc = { s, NULL, 0, 0 };
    first_visit(&sc, path);
    int found = 0;
    int rc = scan_dir(&sc, path, 0, &found);
    free(sc.seen);
    if (rc == 0 && found == 0)
        rc = problem(s, path, KE_FOREIGN, "%s", "no Kafka log directory, partition directory or segment found here");
    return rc;
}

/* Order of a partition's files: by base offset (files without one last),
 * then by kind, then by name. */
static int cmp_file(const void *a, const void *b)
{
    const kl_file *x = a, *y = b;
    uint64_t ox = (uint64_t)x->base_offset, oy = (uint64_t)y->base_offset; /* -1 sorts last */
    if (ox != oy) return ox < oy ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int cmp_part(const void *a, const void *b)
{
    const kl_partition *x = a, *y = b;
    if (x->logdir != y->logdir) return x->logdir < y->logdir ? -1 : 1;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    if (x->partition != y->partition) return x->partition < y->partition ? -1 : 1;
    return strcmp(x->path, y->path);
}

void kl_finish(kl_set *s)
{
    for (size_t i = 0; i < s->nparts; i++) sort(s->parts[i].files, s->parts[i].nfiles, sizeof(kl_file), cmp_file);
    sort(s->parts, s->nparts, sizeof *s->parts, cmp_part);
}
