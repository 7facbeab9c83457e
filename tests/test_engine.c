/*
 * test_engine.c - the audit engine through its public header alone
 * (include/kaudit.h), as a second front end would use it: configure,
 * add paths, run with callbacks, read the report, render it.
 */
#include "kt.h"

#include <dirent.h>
#include <limits.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "include/kaudit.h"

#define FIX "fixtures/audit/"

/* Counts what the engine says through its callbacks. */
typedef struct seen {
    atomic_llong total, read, more;
    atomic_int notices, problems, polls;
    int cancel_after;   /* polls before cancelled() says stop, -1 never */
} seen;

static void on_started(void *ctx, int64_t total) { ((seen *)ctx)->total += total; }
static void on_progress(void *ctx, int64_t bytes) { ((seen *)ctx)->read += bytes; }
static void on_more(void *ctx, int64_t bytes) { ((seen *)ctx)->more += bytes; }
static void on_notice(void *ctx, const char *line) { (void)line, ((seen *)ctx)->notices++; }
static void on_problem(void *ctx, const char *line) { (void)line, ((seen *)ctx)->problems++; }
static bool on_cancelled(void *ctx)
{
    seen *s = ctx;
    return s->cancel_after >= 0 && ++s->polls > s->cancel_after;
}

static kaudit_callbacks callbacks(seen *s)
{
    memset(s, 0, sizeof *s);
    s->cancel_after = -1;
    kaudit_callbacks cb = { s, on_started, on_progress, on_more, on_notice, on_problem, on_cancelled };
    return cb;
}

static const rm_field *field(const rm_finding *f, const char *key) { return rm_find_field(f, key); }

/* A partition with a client retry: one warning, its class and incident. */
static void test_audit_one(void)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.jobs = 2;
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&c, &err);
    KT_REQUIRE(e != NULL);
    KT_EQ_INT(kaudit_add_path(e, FIX "01-dup-retry", &err), 0);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    KT_EQ_INT(kaudit_run(e, &cb, &err), 0);
    const rm_report *r = kaudit_report(e);
    KT_REQUIRE_EQ_INT(r->npartitions, 1);
    KT_EQ_STR(r->partitions[0].topic, "dup-retry");
    KT_EQ_INT(r->by_severity[RM_WARNING], 1);
    KT_REQUIRE(r->nfindings == 1);
    KT_EQ_STR(r->findings[0].type, "duplicate");
    KT_REQUIRE(field(&r->findings[0], "class") != NULL && field(&r->findings[0], "count") != NULL);
    KT_EQ_STR(field(&r->findings[0], "class")->s, "retry_without_idempotence");
    KT_EQ_INT(field(&r->findings[0], "count")->i, 3);
    KT_EQ_STR(r->findings[0].incident, "I1");
    KT_REQUIRE(r->nincidents == 1);
    KT_EQ_STR(r->incidents[0].group.kind, "retry");
    kaudit_outcome o = kaudit_outcome_of(e);
    KT_CHECK(o.complete);
    KT_EQ_INT(o.worst, RM_WARNING);
    /* Every segment byte was announced and read, nothing else. */
    struct stat st;
    KT_EQ_INT(stat(FIX "01-dup-retry/dup-retry-0/00000000000000000000.log", &st), 0);
    KT_EQ_INT(s.total, st.st_size);
    KT_EQ_INT(s.read, st.st_size);
    KT_EQ_INT(s.problems, 0);
    /* Rendered through the header too. */
    char *json = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&json, &len);
    KT_REQUIRE(m != NULL);
    KT_EQ_INT(kaudit_render(e, KAUDIT_FORMAT_JSON, m, false, &err), 0);
    fclose(m);
    KT_CHECK(strstr(json, "\"class\":\"retry_without_idempotence\"") != NULL);
    KT_CHECK(strstr(json, "\"incidents\":[{\"id\":\"I1\"") != NULL);
    free(json);
    /* An engine runs once. */
    KT_EQ_INT(kaudit_run(e, NULL, &err), KAUDIT_EUSAGE);
    kaudit_free(e);
    kaudit_free(NULL);
}

/* What cannot be audited is said, never silent. */
static void test_problems_and_usage(void)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.topics = "(";
    kaudit_error err;
    KT_CHECK(kaudit_create(&c, &err) == NULL);
    KT_EQ_INT(err.code, KAUDIT_EUSAGE);
    KT_EQ_STR(err.file, "(");

    kaudit_config_init(&c);
    c.tmpdir = FIX "01-dup-retry"; /* spills would go inside an audited folder */
    kaudit_engine *e = kaudit_create(&c, &err);
    KT_REQUIRE(e != NULL);
    KT_EQ_INT(kaudit_add_path(e, FIX, &err), KAUDIT_EUSAGE);
    KT_CHECK(strstr(err.msg, "inside an audited directory") != NULL);
    kaudit_free(e);

    kaudit_config_init(&c);
    e = kaudit_create(&c, &err);
    KT_REQUIRE(e != NULL);
    KT_EQ_INT(kaudit_add_path(e, "/nonexistent/kaudit", &err), 0);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    KT_EQ_INT(kaudit_run(e, &cb, &err), 0);
    kaudit_outcome o = kaudit_outcome_of(e);
    KT_EQ_INT(o.problems, 1);
    KT_CHECK(!o.complete);
    KT_EQ_INT(s.problems, 1);
    KT_REQUIRE(kaudit_report(e)->nproblems == 1);
    KT_CHECK(strstr(kaudit_report(e)->problems[0], "/nonexistent/kaudit") != NULL);
    kaudit_free(e);
}

/* The same report whatever the threads and the memory: the spill. */
static void test_spill_and_jobs(void)
{
    char *out[2] = { NULL, NULL };
    for (int k = 0; k < 2; k++) {
        kaudit_config c;
        kaudit_config_init(&c);
        c.jobs = k ? 1 : 4;
        c.max_memory = k ? (256 << 10) : c.max_memory;
        kaudit_error err;
        kaudit_engine *e = kaudit_create(&c, &err);
        KT_REQUIRE(e != NULL);
        KT_EQ_INT(kaudit_add_path(e, FIX "37-large-partition", &err), 0);
        KT_EQ_INT(kaudit_add_path(e, FIX "30-dup-beyond-window", &err), 0);
        seen s;
        kaudit_callbacks cb = callbacks(&s);
        KT_EQ_INT(kaudit_run(e, &cb, &err), 0);
        if (k) KT_CHECK(s.notices >= 1 && s.more > 0); /* the large partition spilled */
        KT_CHECK(kaudit_outcome_of(e).complete);
        size_t len;
        FILE *m = open_memstream(&out[k], &len);
        KT_REQUIRE(m != NULL);
        kaudit_render(e, KAUDIT_FORMAT_JSON, m, false, &err);
        fclose(m);
        kaudit_free(e);
    }
    /* Equal but for generated_at, which comes before "inputs". */
    KT_REQUIRE(out[0] && out[1]);
    KT_EQ_STR(strstr(out[0], "\"inputs\""), strstr(out[1], "\"inputs\""));
    free(out[0]), free(out[1]);
}

/* The JSON report of the sample's three partitions on `jobs` threads (NULL
 * on failure), from "inputs" on (generated_at differs). */
static char *audit_jobs(long jobs)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.jobs = jobs;
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&c, &err);
    if (!e) return NULL;
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    char *out = NULL;
    size_t len;
    FILE *m = open_memstream(&out, &len);
    bool ok = m && kaudit_add_path(e, "fixtures/sample/logdir", &err) == 0 && kaudit_run(e, &cb, &err) == 0 &&
              kaudit_outcome_of(e).complete && kaudit_report(e)->npartitions == 3 &&
              kaudit_render(e, KAUDIT_FORMAT_JSON, m, false, &err) == 0;
    if (m) fclose(m);
    kaudit_free(e);
    if (!ok || !out || !strstr(out, "\"inputs\"")) {
        free(out);
        return NULL;
    }
    char *from = strdup(strstr(out, "\"inputs\""));
    free(out);
    return from;
}

/* No fixed limit on threads: far more jobs than partitions (5000, LONG_MAX)
 * start as many threads as there are partitions (the rest read in parts), and
 * 0 (one per CPU) or less than 1 (one) too; the report is the same. */
static void test_jobs_capped(void)
{
    char *one = audit_jobs(1);
    KT_REQUIRE(one != NULL);
    static const long jobs[] = { 2, 3, 4, 64, 5000, LONG_MAX, 0, -1, LONG_MIN };
    for (size_t i = 0; i < sizeof jobs / sizeof *jobs; i++) {
        char *other = audit_jobs(jobs[i]);
        KT_CHECK(other != NULL);
        if (other) KT_EQ_STR(other, one);
        free(other);
    }
    free(one);
}

/* One audit of `path` in every format, concatenated (NULL on failure). */
static char *audit_all_formats(const char *path, int64_t max_memory, bool *complete)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.jobs = 1;
    c.generated_at_ms = 1700000000000; /* reproducible: the two runs compare byte for byte */
    if (max_memory) c.max_memory = max_memory;
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&c, &err);
    if (!e) return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    bool ok = m && kaudit_add_path(e, path, &err) == 0 && kaudit_run(e, NULL, &err) == 0;
    for (int format = KAUDIT_FORMAT_TEXT; ok && format <= KAUDIT_FORMAT_PROMETHEUS; format++)
        ok = kaudit_render(e, format, m, format == KAUDIT_FORMAT_TEXT, &err) == 0;
    *complete = ok && kaudit_outcome_of(e).complete;
    if (m) fclose(m);
    kaudit_free(e);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* Every audit fixture through the engine, in memory and with a 96 KiB
 * index (a 256 KiB budget; a spill where needed), rendered in every format: the two reports
 * are the same bytes. Under AddressSanitizer this is also where the audit's
 * paths (every finding type, spills, every renderer) are checked for leaks,
 * in one process: tests/run_all.sh runs the kaudit processes of
 * test_audit.py and test_workloads.py without the leak check, which costs
 * 60 ms a process. */
static void test_every_fixture(void)
{
    DIR *d = opendir(FIX);
    KT_REQUIRE(d != NULL);
    struct dirent *de;
    int cases = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char path[512];
        snprintf(path, sizeof path, FIX "%s", de->d_name);
        bool complete_mem = false, complete_spill = false;
        char *mem = audit_all_formats(path, 0, &complete_mem);
        char *spill = audit_all_formats(path, 256 << 10, &complete_spill);
        KT_CHECK(mem != NULL && spill != NULL);
        KT_CHECK(complete_mem && complete_spill);
        if (mem && spill && strcmp(mem, spill) != 0) fprintf(stderr, "  %s: the spilled report differs\n", path);
        KT_CHECK(mem && spill && strcmp(mem, spill) == 0);
        KT_CHECK(mem && strstr(mem, "{\"schema_version\":2,") != NULL && strstr(mem, "<!DOCTYPE html>") != NULL);
        free(mem), free(spill);
        cases++;
    }
    closedir(d);
    KT_CHECK(cases >= 50);
}

/* A front end can stop an audit: what was done is kept, the rest is not
 * claimed. */
static void test_cancel(void)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.jobs = 1;
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&c, &err);
    KT_REQUIRE(e != NULL);
    KT_EQ_INT(kaudit_add_path(e, FIX, &err), 0);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    s.cancel_after = 3;
    KT_EQ_INT(kaudit_run(e, &cb, &err), KAUDIT_ECANCEL);
    KT_CHECK(!kaudit_outcome_of(e).complete);
    KT_CHECK(kaudit_report(e)->npartitions < 45);
    kaudit_free(e);
}

#ifndef __SANITIZE_ADDRESS__
/* ---- out of memory ------------------------------------------------------------
 * This binary replaces malloc, calloc and realloc (glibc lets a program
 * do so) to fail one chosen allocation of a run. Not in the ASan build,
 * whose runtime owns those functions. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static long alloc_count = -1; /* counting when >= 0 */
static long alloc_fail_at = -1;

static bool fail_now(void) { return alloc_count >= 0 && ++alloc_count == alloc_fail_at; }
void *malloc(size_t n) { return fail_now() ? NULL : __libc_malloc(n); }
void *calloc(size_t a, size_t b) { return fail_now() ? NULL : __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { return fail_now() ? NULL : __libc_realloc(p, n); }

/* Audit fixture 37 (a spill, transactions, retries) on one thread with the
 * allocation number `fail_at` of the run failing (-1: none); its JSON
 * report without generated_at into *json (NULL when none). How many
 * allocations the run made; *complete whether it claims to be complete. */
static long audit_failing(long fail_at, char **json, bool *complete)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.jobs = 1;
    c.max_memory = 256 << 10; /* spilled: the second pass replays */
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&c, &err);
    *json = NULL;
    *complete = false;
    if (!e) return -1;
    if (kaudit_add_path(e, FIX "37-large-partition", &err) < 0 || kaudit_add_path(e, FIX "15-open-transaction", &err) < 0) {
        kaudit_free(e);
        return -1;
    }
    alloc_count = 0;
    alloc_fail_at = fail_at;
    int rc = kaudit_run(e, NULL, &err);
    long made = alloc_count;
    alloc_count = -1;
    *complete = rc == 0 && kaudit_outcome_of(e).complete;
    size_t len;
    FILE *m = open_memstream(json, &len);
    if (m) {
        kaudit_render(e, KAUDIT_FORMAT_JSON, m, false, &err);
        fclose(m);
    }
    kaudit_free(e);
    return made;
}

/* Whatever allocation fails, the audit never claims to be complete with a
 * report that differs from the one it gives with memory: it is either the
 * same report, or an incomplete one (an error, or a problem listed). */
static void test_out_of_memory(void)
{
    char *base;
    bool complete;
    long n = audit_failing(-1, &base, &complete);
    KT_REQUIRE(n > 100 && base && complete);
    const char *want = strstr(base, "\"inputs\"");
    KT_REQUIRE(want != NULL);
    long step = n / 1000 + 1, silent = 0, tried = 0;
    for (long k = 1; k <= n; k += step, tried++) {
        char *got;
        audit_failing(k, &got, &complete);
        bool same = got && strstr(got, "\"inputs\"") && strcmp(strstr(got, "\"inputs\""), want) == 0;
        if (complete && !same) {
            silent++;
            fprintf(stderr, "  allocation %ld of %ld failed and the audit still claims to be complete\n", k, n);
        }
        free(got);
    }
    KT_CHECK(tried >= 100);
    KT_EQ_INT(silent, 0);
    free(base);
}
#endif

int main(void)
{
    KT_RUN(test_audit_one);
    KT_RUN(test_problems_and_usage);
    KT_RUN(test_spill_and_jobs);
    KT_RUN(test_jobs_capped);
    KT_RUN(test_cancel);
    KT_RUN(test_every_fixture);
#ifndef __SANITIZE_ADDRESS__
    KT_RUN(test_out_of_memory);
#endif
    return kt_done();
}
