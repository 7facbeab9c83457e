/*
 * test_model.c - the report model: examples kept by impact whatever the
 * order they arrive or merge in, and incidents joined by kind, key and
 * time gap, every grouped finding counted and the kept ones linked.
 */
#include "kt.h"

#include "report/listing.h"
#include "tests/memlisting.h"
#include "report/model.h"
#include "report/render.h"
#include "report/types.h"

/* Impacts of the kept examples of one type and severity, largest first. */
static int kept_impacts(const rm_report *r, int64_t *out)
{
    int n = 0;
    for (size_t i = 0; i < r->nfindings; i++) out[n++] = r->findings[i].impact;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1] < out[j]; j--) {
            int64_t t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
    return n;
}

static void test_ranked(void)
{
    rm_report *r = rm_create(3);
    KT_REQUIRE(r != NULL);
    size_t p = rm_add_partition(r, "t", 0, "t-0");
    static const int64_t impacts[] = { 1, 5, 1, 9, 2, 5, 1 };
    for (int i = 0; i < 7; i++) {
        rm_finding *f = rm_add_ranked(r, RT_DUPLICATE, 0, RM_WARNING, p, 10 * i, impacts[i]);
        if (f) rm_field_int(f, "count", impacts[i]);
    }
    int64_t got[8];
    KT_REQUIRE_EQ_INT(kept_impacts(r, got), 3);
    KT_EQ_INT(got[0], 9);
    KT_EQ_INT(got[1], 5);
    KT_EQ_INT(got[2], 5);
    KT_REQUIRE(rm_count_of(r, "duplicate") != NULL);
    KT_EQ_INT(rm_count_of(r, "duplicate")->total, 7);
    KT_EQ_INT(rm_count_of(r, "duplicate")->kept, 3);
    /* Among equals the earlier position is kept: of the two 5s, offsets 10
     * and 50, and a later 5 at a lower offset replaces neither. */
    rm_finish(r);
    KT_REQUIRE_EQ_INT(r->nfindings, 3);
    KT_EQ_INT(r->findings[0].offset, 10);
    KT_EQ_INT(r->findings[1].offset, 30);
    KT_EQ_INT(r->findings[2].offset, 50);
    KT_REQUIRE(r->findings[0].message != NULL);
    KT_CHECK(strncmp(r->findings[0].message, "5 records at offsets 10..", 25) == 0);
    /* Notes never crowd out warnings: the cap is per severity. */
    for (int i = 0; i < 5; i++) rm_add_ranked(r, RT_DUPLICATE, 0, RM_INFO, p, i, 100);
    KT_EQ_INT(rm_count_of(r, "duplicate")->kept_by_severity[RM_WARNING], 3);
    KT_EQ_INT(rm_count_of(r, "duplicate")->kept_by_severity[RM_INFO], 3);
    rm_free(r);
}

/* Two partitions audited apart and merged keep what one report keeps. */
static void test_merge_ranked(void)
{
    rm_report *one = rm_create(2), *a = rm_create(2), *b = rm_create(2);
    KT_REQUIRE(one != NULL && a != NULL && b != NULL);
    size_t p0 = rm_add_partition(one, "t", 0, "t-0"), p1 = rm_add_partition(one, "t", 1, "t-1");
    size_t q0 = rm_add_partition(a, "t", 0, "t-0"), q1 = rm_add_partition(b, "t", 1, "t-1");
    static const int64_t im0[] = { 3, 1, 3 }, im1[] = { 4, 3, 1 };
    for (int i = 0; i < 3; i++) {
        rm_add_ranked(one, RT_CORRUPT_BATCH, 0, RM_ERROR, p0, i, im0[i]);
        rm_add_ranked(a, RT_CORRUPT_BATCH, 0, RM_ERROR, q0, i, im0[i]);
    }
    for (int i = 0; i < 3; i++) {
        rm_add_ranked(one, RT_CORRUPT_BATCH, 0, RM_ERROR, p1, i, im1[i]);
        rm_add_ranked(b, RT_CORRUPT_BATCH, 0, RM_ERROR, q1, i, im1[i]);
    }
    rm_report *merged = rm_create(2);
    KT_REQUIRE(merged != NULL);
    KT_EQ_INT(rm_merge(merged, a), 0);
    KT_EQ_INT(rm_merge(merged, b), 0);
    rm_finish(one);
    rm_finish(merged);
    KT_REQUIRE_EQ_INT(merged->nfindings, 2);
    KT_REQUIRE_EQ_INT(one->nfindings, 2);
    for (size_t i = 0; i < 2; i++) {
        KT_EQ_INT(merged->findings[i].partition, one->findings[i].partition);
        KT_EQ_INT(merged->findings[i].offset, one->findings[i].offset);
        KT_EQ_INT(merged->findings[i].impact, one->findings[i].impact);
    }
    KT_EQ_INT(one->findings[0].impact, 3); /* partition 0, offset 0: a 3 at the earliest position */
    KT_EQ_INT(one->findings[1].impact, 4);
    rm_free(one), rm_free(a), rm_free(b), rm_free(merged);
}

/* Every finding is counted into its partition by type and severity, kept
 * as an example or not, and the counts move with their partition when
 * reports merge (the Prometheus output's topics, the Markdown ranking). */
static void test_partition_counts(void)
{
    rm_report *a = rm_create(1), *b = rm_create(1), *merged = rm_create(1);
    KT_REQUIRE(a != NULL && b != NULL && merged != NULL);
    size_t p = rm_add_partition(a, "t", 0, "t-0"), q = rm_add_partition(b, "u", 3, "u-3");
    for (int i = 0; i < 5; i++) rm_add_ranked(a, RT_DUPLICATE, 0, RM_WARNING, p, i, i);
    rm_add_finding(a, RT_CORRUPT_BATCH, 0, RM_ERROR, p, 9);
    for (int i = 0; i < 3; i++) rm_add_ranked(b, RT_DUPLICATE, 0, RM_INFO, q, i, 1);
    rm_add_finding(b, RT_CORRUPT_BATCH, 0, RM_ERROR, (size_t)7, 1); /* no such partition: counted by type only */
    KT_REQUIRE_EQ_INT(a->partitions[p].nby_type, 2);
    KT_EQ_STR(a->partitions[p].by_type[0].type, "duplicate");
    KT_EQ_INT(a->partitions[p].by_type[0].by_severity[RM_WARNING], 5); /* one kept, five counted */
    KT_EQ_INT(a->partitions[p].by_type[1].by_severity[RM_ERROR], 1);
    KT_EQ_INT(merged->duration_ms, -1);
    KT_EQ_INT(rm_merge(merged, a), 0);
    KT_EQ_INT(rm_merge(merged, b), 0);
    KT_REQUIRE_EQ_INT(merged->npartitions, 2);
    KT_REQUIRE_EQ_INT(merged->partitions[1].nby_type, 1);
    KT_EQ_INT(merged->partitions[0].by_type[0].by_severity[RM_WARNING], 5);
    KT_EQ_INT(merged->partitions[1].by_type[0].by_severity[RM_INFO], 3);
    KT_EQ_INT(merged->partitions[1].by_type[0].by_severity[RM_ERROR], 0);
    KT_EQ_INT(rm_count_of(merged, "corrupt_batch")->total, 2);
    KT_EQ_INT(rm_set_generated_at(merged, 1700000000123), 0);
    KT_EQ_INT(merged->generated_ms, 1700000000000);
    rm_free(a), rm_free(b), rm_free(merged);
}

static void test_incidents(void)
{
    rm_report *r = rm_create(1);
    KT_REQUIRE(r != NULL);
    size_t p0 = rm_add_partition(r, "orders", 0, "orders-0"), p1 = rm_add_partition(r, "orders", 1, "orders-1");
    rm_group retry = { "retry", 0, 60000, -1, -1, -1, -1 };
    rm_group restart = { "producer_restart", 77, -1, 4001, 4000, 0, 0 };
    /* Retries at 0 s, 50 s, 100 s (one storm: each within a minute of the
     * last) and at 10 min (another). Only one example is kept. */
    static const int64_t ts[] = { 0, 50000, 100000, 600000 };
    rm_finding *kept[4];
    for (int i = 0; i < 4; i++) {
        kept[i] = rm_add_ranked(r, RT_DUPLICATE, 0, RM_WARNING, i % 2 ? p1 : p0, 10 * i, 1);
        KT_EQ_INT(rm_group_finding(r, &retry, i % 2 ? p1 : p0, RM_WARNING, ts[i], 10 * i, 10 * i + 2, 3, kept[i]), 0);
    }
    KT_CHECK(kept[0] != NULL && kept[1] == NULL);
    /* The restart replayed on both partitions, at any time. */
    rm_group_finding(r, &restart, p0, RM_WARNING, 5000, 200, 206, 7, NULL);
    rm_group_finding(r, &restart, p1, RM_WARNING, 99999999, 300, 311, 12, NULL);
    /* Out of time order: joins by rm_finish. */
    rm_group_finding(r, &retry, p0, RM_ERROR, 25000, 500, 500, 1, NULL);
    rm_finish(r);
    KT_REQUIRE_EQ_INT(r->nincidents, 3);
    /* Ordered by severity, then records. */
    const rm_incident *storm = &r->incidents[0], *replay = &r->incidents[1], *late = &r->incidents[2];
    KT_EQ_STR(storm->group.kind, "retry");
    KT_EQ_INT(storm->severity, RM_ERROR);
    KT_EQ_INT(storm->findings, 4);
    KT_EQ_INT(storm->records, 10);
    KT_EQ_INT(storm->first_ts, 0);
    KT_EQ_INT(storm->last_ts, 100000);
    KT_REQUIRE_EQ_INT(storm->nparts, 2);
    KT_EQ_INT(storm->parts[0].findings, 3);
    KT_EQ_INT(storm->parts[0].first_offset, 0);
    KT_EQ_INT(storm->parts[0].last_offset, 500);
    KT_EQ_STR(replay->group.kind, "producer_restart");
    KT_EQ_INT(replay->records, 19);
    KT_EQ_INT(replay->nparts, 2);
    KT_EQ_INT(replay->group.original_producer_id, 4000);
    KT_EQ_INT(late->findings, 1);
    KT_EQ_INT(late->first_ts, 600000);
    KT_EQ_STR(storm->id, "I1");
    KT_EQ_STR(late->id, "I3");
    /* The kept finding names its incident. */
    KT_REQUIRE_EQ_INT(r->nfindings, 1);
    KT_EQ_STR(r->findings[0].incident, "I1");
    /* Their words (incident_words.c). */
    KT_EQ_STR(storm->summary, "4 retried batches landed twice between 1970-01-01 00:00:00Z and 1970-01-01 00:01:40Z "
                              "(10 records): orders-0 (3) and orders-1 (1)");
    KT_EQ_STR(replay->summary, "producer 4000 restarted as 4001 at 1970-01-01 00:00:05Z and replayed 7 records on "
                               "orders-0 and 12 on orders-1");
    rm_free(r);
}

/* Findings are data: rm_finish writes their words from the type table,
 * and a field for the words only is never rendered. */
static void test_words(void)
{
    rm_report *r = rm_create(-1);
    KT_REQUIRE(r != NULL);
    size_t p = rm_add_partition(r, "orders", 3, "orders-3");
    rm_finding *f = rm_add_finding(r, RT_OFFSET_REGRESSION, 0, RM_ERROR, p, 100);
    KT_REQUIRE(f != NULL);
    rm_field_str(f, "file", "orders-3/00000000000000000000.log");
    rm_field_int(f, "position", 4096);
    rm_field_int(f, "previous_last_offset", 120);
    f = rm_add_finding(r, RT_SEQUENCE_GAP, 0, RM_WARNING, p, 200);
    KT_REQUIRE(f != NULL);
    f->producer_id = 7000, f->producer_epoch = 2;
    rm_field_str(f, "file", "orders-3/00000000000000000000.log");
    rm_field_int(f, "position", 8192);
    rm_field_int(f, "expected_sequence", 5);
    rm_field_int(f, "actual_sequence", 9);
    rm_field_int(f, "missing", 4);
    rm_field_int(f, "last_sequence", 4);
    rm_finish(r);
    KT_REQUIRE_EQ_INT(r->nfindings, 2);
    KT_EQ_STR(r->findings[0].message, "batch at offset 100 does not follow the previous batch's last offset 120");
    KT_EQ_STR(r->findings[0].explanation, rt_type_of(RT_OFFSET_REGRESSION)->variants[0].explanation);
    KT_EQ_STR(r->findings[1].message, "producer 7000 epoch 2: sequence jumps from 4 to 9 (4 missing)");
    char *json = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&json, &len);
    KT_REQUIRE(m != NULL);
    rr_json(r, m, "0.0.0");
    fclose(m);
    KT_CHECK(strstr(json, "\"expected_sequence\":5") != NULL);
    KT_CHECK(strstr(json, "last_sequence") == NULL); /* for the words only */
    KT_CHECK(strstr(json, "\"type\":\"sequence_gap\"") != NULL);
    free(json);
    rm_free(r);
}

/* Every template names only its type's fields (or offset, producer_id,
 * producer_epoch), and every type reads in at least one way. */
static void test_templates(void)
{
    for (int t = 0; t < RT_COUNT; t++) {
        const rt_type *ty = rt_type_of(t);
        KT_EQ_INT(rt_find(ty->name), t);
        KT_CHECK(ty->words != NULL || ty->nvariants > 0);
        KT_CHECK(ty->severities != 0 && ty->title[0] && ty->summary[0]);
        for (int v = 0; v < ty->nvariants; v++) {
            KT_CHECK(ty->variants[v].message && ty->variants[v].explanation && ty->variants[v].explanation[0]);
            for (const char *c = ty->variants[v].message; c && (c = strchr(c, '{')); c++) {
                const char *e = strchr(c, '}');
                KT_REQUIRE(e != NULL);
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)(e - c - 1), c + 1);
                bool core = !strcmp(name, "offset") || !strcmp(name, "producer_id") || !strcmp(name, "producer_epoch");
                if (!core && !rt_field_of(t, name)) fprintf(stderr, "  %s variant %d: {%s} is no field\n", ty->name, v, name);
                KT_CHECK(core || rt_field_of(t, name) != NULL);
            }
        }
    }
}

/* ---- the listing past the memory share (report/listing.h) ---------------- */

/* Partition k's findings, in an order the report must sort: duplicates of
 * impacts 1..n at falling offsets, a corrupt_file with no offset, and
 * every third duplicate grouped into a retry incident. */
static void fill(rm_report *r, size_t part, int n)
{
    rm_group retry = { "retry", 7, 60000, -1, -1, -1, -1 };
    for (int i = n; i > 0; i--) {
        rm_finding *f = rm_add_ranked(r, RT_DUPLICATE, 0, i % 5 ? RM_INFO : RM_WARNING, part, 1000 + 10 * i, i);
        if (!f) continue;
        rm_field_int(f, "count", i);
        rm_field_int(f, "original_offset", 10 * i);
        rm_field_str(f, "class", i % 2 ? "retry_without_idempotence" : "natural_repeat");
        if (i % 3 == 0) rm_group_finding(r, &retry, part, f->severity, 1000 * i, f->offset, f->offset, i, f);
    }
    rm_finding *c = rm_add_finding(r, RT_CORRUPT_FILE, RTV_FILE_INDEX, RM_WARNING, part, -1);
    if (c) rm_field_str(c, "file", "00000000000000000000.index");
}

/* Every finding as one line: what rm_iter gives, ids, incidents and words. */
static char *listing(const rm_report *r)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    rm_iter *it = rm_iter_open(r, true);
    const rm_finding *f;
    while (out && it && (f = rm_iter_next(it))) {
        const rm_field *cls = rm_find_field(f, "class");
        int n = snprintf(out + len, cap - len, "%s %s p%zu @%lld %s %s %s|%s\n", f->id, f->type, f->partition,
                         (long long)f->offset, f->incident, cls ? cls->s : "-", f->message, f->explanation);
        if (n < 0 || (size_t)n >= cap - len) return free(out), rm_iter_close(it), NULL;
        len += (size_t)n;
    }
    KT_CHECK(it && !rm_iter_failed(it));
    rm_iter_close(it);
    return out;
}

/* Listing every finding through a spill gives the same list (ids,
 * incidents, words) as in memory, with jobs merged in any state, and the
 * examples kept in memory are the best of each type with their ids. */
static void test_listing_spilled(void)
{
    ml_spill ms = { 0 };
    ml_init(&ms);
    const rm_spill *ops = &ms.ops;
    rm_report *plain = rm_create(-1), *spilled = rm_create(-1);
    KT_REQUIRE(plain && spilled);
    rm_set_spill(spilled, ops, 4096);
    for (int k = 0; k < 6; k++) {
        rm_report *a = rm_create(-1), *b = rm_create(-1);
        KT_REQUIRE(a && b);
        if (k % 2) rm_set_spill(b, ops, 2048); /* some jobs spill on their own, some not */
        size_t pa = rm_add_partition(a, "t", k, "t-k"), pb = rm_add_partition(b, "t", k, "t-k");
        fill(a, pa, 40 + k * 13);
        fill(b, pb, 40 + k * 13);
        if (k == 3) KT_EQ_INT(rm_spill_now(b), 0); /* a finished job waiting for the ones before it */
        KT_EQ_INT(rm_merge(plain, a), 0);
        KT_EQ_INT(rm_merge(spilled, b), 0);
        rm_free(a), rm_free(b);
    }
    rm_finish(plain);
    rm_finish(spilled);
    KT_CHECK(!rm_spilled(plain));
    KT_CHECK(rm_spilled(spilled));
    KT_CHECK(!plain->oom && !spilled->oom);
    char *x = listing(plain), *y = listing(spilled);
    KT_REQUIRE(x && y);
    KT_CHECK(strlen(x) > 10000);
    KT_CHECK(strcmp(x, y) == 0);
    KT_EQ_INT(rm_count_of(spilled, "duplicate")->kept, rm_count_of(plain, "duplicate")->kept);
    KT_EQ_INT(rm_count_of(spilled, "duplicate")->total, rm_count_of(spilled, "duplicate")->kept);
    /* The examples in memory: at most RM_SPILLED_EXAMPLES per type and
     * severity, the largest, each with its id in the whole list. */
    size_t warn = 0;
    int64_t least = INT64_MAX;
    for (size_t i = 0; i < spilled->nfindings; i++) {
        const rm_finding *f = &spilled->findings[i];
        if (f->tid != RT_DUPLICATE || f->severity != RM_WARNING) continue;
        warn++;
        if (f->impact < least) least = f->impact;
        char want[64];
        snprintf(want, sizeof want, "%s duplicate p%zu @%lld ", f->id, f->partition, (long long)f->offset);
        KT_CHECK(strstr(y, want) != NULL);
        KT_CHECK(f->message != NULL);
    }
    KT_EQ_INT(warn, (size_t)rm_count_of(spilled, "duplicate")->by_severity[RM_WARNING] < RM_SPILLED_EXAMPLES
                        ? (size_t)rm_count_of(spilled, "duplicate")->by_severity[RM_WARNING]
                        : RM_SPILLED_EXAMPLES);
    KT_CHECK(least >= 5);
    free(x), free(y);
    rm_free(plain), rm_free(spilled);
    ml_free(&ms);
}

/* A spill that fails loses findings, and the report says so (oom). */
static void test_listing_spill_fails(void)
{
    ml_spill ms = { 0 };
    ml_init(&ms);
    ms.fail = true;
    rm_report *r = rm_create(-1);
    KT_REQUIRE(r != NULL);
    rm_set_spill(r, &ms.ops, 1024);
    fill(r, rm_add_partition(r, "t", 0, "t-0"), 50);
    rm_finish(r);
    KT_CHECK(r->oom);
    KT_CHECK(rm_count_of(r, "duplicate")->kept < rm_count_of(r, "duplicate")->total);
    rm_free(r);
}

int main(void)
{
    KT_RUN(test_ranked);
    KT_RUN(test_merge_ranked);
    KT_RUN(test_partition_counts);
    KT_RUN(test_incidents);
    KT_RUN(test_words);
    KT_RUN(test_templates);
    KT_RUN(test_listing_spilled);
    KT_RUN(test_listing_spill_fails);
    return kt_done();
}
