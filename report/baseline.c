/* baseline.c - see baseline.h. */
#include "baseline.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "types.h"

void rm_baseline_free(rm_baseline *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->nfindings; i++) {
        free(b->findings[i].type);
        free(b->findings[i].topic);
        free(b->findings[i].message);
    }
    free(b->findings);
    for (size_t i = 0; i < b->nomitted_types; i++) free(b->omitted_types[i]);
    free(b->omitted_types);
    free(b->path);
    free(b->generated_at);
    free(b);
}

const char *rm_baseline_word(int state)
{
    static const char *words[] = { "", "new", "present", "gone", "not_compared" };
    return state >= 0 && state <= RM_BASE_UNCOMPARED ? words[state] : "";
}

/* The whole of `path` (NUL-terminated) into *out. 0, or -1 with why. */
static int read_all(const char *path, char **out, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = 0, size = 1 << 16;
    char *buf = malloc(size);
    for (;;) {
        if (buf && len + 1 == size) {
            char *nb = size > SIZE_MAX / 2 ? NULL : realloc(buf, size * 2);
            if (!nb) free(buf);
            buf = nb, size *= 2;
        }
        if (!buf) break;
        size_t got = fread(buf + len, 1, size - 1 - len, f);
        len += got;
        if (got == 0) break;
    }
    bool failed = buf && ferror(f);
    int err = errno;
    fclose(f);
    if (!buf || failed) {
        free(buf);
        snprintf(why, cap, "cannot read %s: %s", path, !buf ? "out of memory" : strerror(err));
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

/* A finding's id as kaudit gives it: "F" and 12 lowercase hex digits. */
static bool fingerprint_of(const char *id, uint64_t *fp)
{
    if (!id || id[0] != 'F' || strlen(id) != 13) return false;
    uint64_t v = 0;
    for (int i = 1; i < 13; i++) {
        char c = id[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return false;
        v = v << 4 | (uint64_t)d;
    }
    *fp = v;
    return true;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static int64_t int_of(const cJSON *o, const char *key, int64_t none)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(x) ? (int64_t)x->valuedouble : none;
}

static int severity_of(const char *s)
{
    return s && strcmp(s, "error") == 0 ? RM_ERROR : s && strcmp(s, "warning") == 0 ? RM_WARNING : RM_INFO;
}

static int cmp_fp(const void *a, const void *b)
{
    uint64_t x = ((const rm_base_finding *)a)->fp, y = ((const rm_base_finding *)b)->fp;
    return x < y ? -1 : x > y;
}

/* The findings and omitted types of report `root` into b. 0, or -1 with why. */
static int take_findings(rm_baseline *b, const cJSON *root, char *why, size_t cap)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "findings");
    size_t n = (size_t)cJSON_GetArraySize(list);
    b->findings = n ? calloc(n, sizeof *b->findings) : NULL;
    if (n && !b->findings) return snprintf(why, cap, "%s: out of memory", b->path), -1;
    const cJSON *x;
    cJSON_ArrayForEach(x, list)
    {
        rm_base_finding *e = &b->findings[b->nfindings];
        const char *id = str_of(x, "id");
        if (!fingerprint_of(id, &e->fp)) {
            snprintf(why, cap,
                     "%s: finding %zu has the id \"%.20s\", not a fingerprint (F and 12 hex digits): the report was "
                     "made by a kaudit that numbered its findings; audit again to make a baseline",
                     b->path, b->nfindings + 1, id ? id : "(none)");
            return -1;
        }
        snprintf(e->id, sizeof e->id, "%s", id);
        const char *type = str_of(x, "type"), *topic = str_of(x, "topic"), *msg = str_of(x, "message");
        e->type = strdup(type ? type : "");
        e->topic = strdup(topic ? topic : "");
        e->message = strdup(msg ? msg : "");
        e->severity = severity_of(str_of(x, "severity"));
        e->partition = (int32_t)int_of(x, "partition", -1);
        e->offset = int_of(x, "offset", -1);
        b->nfindings++;
        if (!e->type || !e->topic || !e->message) return snprintf(why, cap, "%s: out of memory", b->path), -1;
    }
    if (b->nfindings > 1) qsort(b->findings, b->nfindings, sizeof *b->findings, cmp_fp);
    const cJSON *omitted = cJSON_GetObjectItemCaseSensitive(root, "findings_omitted");
    cJSON_ArrayForEach(x, omitted)
    {
        if (!cJSON_IsNumber(x) || x->valuedouble <= 0 || !x->string) continue;
        char **nt = realloc(b->omitted_types, (b->nomitted_types + 1) * sizeof *nt);
        if (!nt || !(nt[b->nomitted_types] = strdup(x->string))) {
            if (nt) b->omitted_types = nt;
            return snprintf(why, cap, "%s: out of memory", b->path), -1;
        }
        b->omitted_types = nt;
        b->nomitted_types++;
    }
    return 0;
}

rm_baseline *rm_baseline_load(const char *path, char *why, size_t cap)
{
    char *text;
    if (read_all(path, &text, why, cap) < 0) return NULL;
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        long pos = at && at >= text && at <= text + strlen(text) ? (long)(at - text) : -1;
        snprintf(why, cap, "%s is not a kaudit JSON report: not JSON (at byte %ld)", path, pos);
        free(text);
        return NULL;
    }
    free(text);
    const cJSON *tool = cJSON_GetObjectItemCaseSensitive(root, "tool");
    const char *name = str_of(tool, "name");
    if (!cJSON_IsObject(root) || !name || strcmp(name, "kaudit") != 0 ||
        !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(root, "schema_version")) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "findings"))) {
        snprintf(why, cap, "%s is not a kaudit JSON report (kaudit audit --format json): no tool \"kaudit\", "
                           "schema_version and findings",
                 path);
        cJSON_Delete(root);
        return NULL;
    }
    rm_baseline *b = calloc(1, sizeof *b);
    const char *at = str_of(root, "generated_at");
    if (!b || !(b->path = strdup(path)) || !(b->generated_at = strdup(at ? at : ""))) {
        snprintf(why, cap, "%s: out of memory", path);
        rm_baseline_free(b);
        cJSON_Delete(root);
        return NULL;
    }
    int rc = take_findings(b, root, why, cap);
    cJSON_Delete(root);
    if (rc == 0) return b;
    rm_baseline_free(b);
    return NULL;
}

const rm_base_finding *rm_baseline_find(const rm_baseline *b, uint64_t fp)
{
    rm_base_finding want;
    want.fp = fp;
    return b->nfindings ? bsearch(&want, b->findings, b->nfindings, sizeof *b->findings, cmp_fp) : NULL;
}

/* ---- the comparison ----------------------------------------------------------- */

static int cmp_part(const void *a, const void *b, void *ctx)
{
    const rm_partition *p = ctx;
    const rm_partition *x = &p[*(const size_t *)a], *y = &p[*(const size_t *)b];
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

/* Was topic-partition (topic, part) audited in r? `by_name` indexes r's
 * partitions sorted by cmp_part. */
static bool audited(const rm_report *r, const size_t *by_name, const char *topic, int32_t part)
{
    size_t lo = 0, hi = r->npartitions;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const rm_partition *p = &r->partitions[by_name[mid]];
        int c = strcmp(p->topic, topic);
        if (c == 0) c = p->partition < part ? -1 : p->partition > part;
        if (c == 0) return true;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/* Does r list every finding of `type` and `severity` it counted (and
 * show the type at all: --types)? */
static bool lists_all(const rm_report *r, const char *type, int severity)
{
    if (!rm_shows(r, rt_find(type))) return false;
    const rm_count *c = rm_count_of(r, type);
    return !c || c->by_severity[severity] == c->kept_by_severity[severity];
}

void rm_baseline_compare(rm_report *r, int64_t off_lo, int64_t off_hi, bool windowed)
{
    rm_baseline *b = r->baseline;
    if (!b) return;
    memset(b->new_by_severity, 0, sizeof b->new_by_severity);
    b->present = b->unlisted = 0;
    b->gone = b->not_compared = 0;
    for (size_t i = 0; i < b->nfindings; i++) b->findings[i].state = RM_BASE_NONE;
    rm_iter *it = rm_iter_open(r, false);
    const rm_finding *f;
    while (it && (f = rm_iter_next(it))) {
        if (f->baseline != RM_BASE_PRESENT) {
            b->new_by_severity[f->severity]++;
            continue;
        }
        b->present++;
        /* Every baseline finding of this fingerprint (one, unless it was edited). */
        const rm_base_finding *e = rm_baseline_find(b, rm_fingerprint(r, f));
        if (!e) continue; /* rm_stamp found it */
        size_t k = (size_t)(e - b->findings);
        while (k > 0 && b->findings[k - 1].fp == e->fp) k--;
        for (; k < b->nfindings && b->findings[k].fp == e->fp; k++) b->findings[k].state = RM_BASE_PRESENT;
    }
    r->oom |= !it || rm_iter_failed(it);
    rm_iter_close(it);
    for (int i = 0; i < r->ncounts; i++) b->unlisted += r->counts[i].total - r->counts[i].kept;
    size_t *by_name = malloc((r->npartitions + 1) * sizeof *by_name);
    if (!by_name) r->oom = true;
    for (size_t i = 0; by_name && i < r->npartitions; i++) by_name[i] = i;
    if (by_name && r->npartitions > 1) qsort_r(by_name, r->npartitions, sizeof *by_name, cmp_part, r->partitions);
    for (size_t i = 0; i < b->nfindings; i++) {
        rm_base_finding *e = &b->findings[i];
        if (e->state == RM_BASE_PRESENT) continue;
        bool looked = by_name && !windowed && audited(r, by_name, e->topic, e->partition) &&
                      (e->offset < 0 || (e->offset >= off_lo && e->offset <= off_hi)) &&
                      lists_all(r, e->type, e->severity);
        e->state = looked ? RM_BASE_GONE : RM_BASE_UNCOMPARED;
        if (looked) b->gone++;
        else b->not_compared++;
    }
    free(by_name);
}
