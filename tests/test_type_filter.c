/*
 * test_type_filter.c - kaudit_config's types and exclude_types through the
 * public header (include/kaudit.h), as a second front end sets them: names
 * that are no type refused, and a report, its counts, incidents and outcome
 * made of the types asked for only. Run from the repository root.
 */
#include "kt.h"

#include "include/kaudit.h"
#include "report/types.h"

#define FIX "fixtures/audit/"

/* An audit of `path` with types and exclude_types; NULL with *err when
 * kaudit_create refuses them. */
static kaudit_engine *audit(const char *path, const char *types, const char *exclude, kaudit_error *err)
{
    kaudit_config c;
    kaudit_config_init(&c);
    c.jobs = 2;
    c.max_examples = -1;
    c.types = types, c.exclude_types = exclude;
    kaudit_engine *e = kaudit_create(&c, err);
    if (!e) return NULL;
    if (kaudit_add_path(e, path, err) < 0 || kaudit_run(e, NULL, err) < 0) {
        kaudit_free(e);
        return NULL;
    }
    return e;
}

static int64_t count_of(const rm_report *r, const char *type)
{
    const rm_count *c = rm_count_of(r, type);
    return c ? c->total : 0;
}

static void test_refused(void)
{
    kaudit_error err;
    KT_CHECK(audit(FIX "15-open-transaction", "duplicate,open_txn", NULL, &err) == NULL);
    KT_EQ_INT(err.code, KAUDIT_EUSAGE);
    KT_EQ_STR(err.file, "open_txn");
    KT_CHECK(audit(FIX "15-open-transaction", NULL, "", &err) == NULL);
    KT_EQ_INT(err.code, KAUDIT_EUSAGE);
    KT_CHECK(audit(FIX "15-open-transaction", "duplicate,", NULL, &err) == NULL);
    KT_EQ_INT(err.code, KAUDIT_EUSAGE);
}

/* The sample's three duplicates (warnings) and nothing else. */
static void test_only_and_excluded(void)
{
    kaudit_error err;
    kaudit_engine *all = audit("fixtures/sample/logdir", NULL, NULL, &err);
    KT_REQUIRE(all != NULL);
    const rm_report *r = kaudit_report(all);
    KT_EQ_INT(count_of(r, "duplicate"), 3);
    KT_CHECK(r->nincidents > 0);
    KT_EQ_INT(kaudit_outcome_of(all).worst, RM_WARNING);
    kaudit_free(all);

    kaudit_engine *none = audit("fixtures/sample/logdir", "open_transaction,sequence_gap", NULL, &err);
    KT_REQUIRE(none != NULL);
    r = kaudit_report(none);
    KT_EQ_INT(r->ncounts, 0);
    KT_EQ_INT(r->nfindings, 0);
    KT_EQ_INT(r->nincidents, 0);
    KT_EQ_INT(r->by_severity[RM_WARNING], 0);
    for (size_t i = 0; i < r->npartitions; i++) {
        KT_EQ_INT(r->partitions[i].nby_type, 0);
        KT_EQ_INT(r->partitions[i].nduplicates, 0);
    }
    KT_EQ_INT(kaudit_outcome_of(none).worst, -1);
    KT_CHECK(!rm_shows(r, RT_DUPLICATE) && rm_shows(r, RT_OPEN_TRANSACTION) && rm_shows(r, RT_SEQUENCE_GAP));
    kaudit_free(none);

    kaudit_engine *excluded = audit("fixtures/sample/logdir", "duplicate,open_transaction", "duplicate", &err);
    KT_REQUIRE(excluded != NULL);
    r = kaudit_report(excluded);
    KT_EQ_INT(count_of(r, "duplicate"), 0);
    KT_EQ_INT(kaudit_outcome_of(excluded).worst, -1);
    KT_CHECK(!rm_shows(r, RT_DUPLICATE) && rm_shows(r, RT_OPEN_TRANSACTION) && !rm_shows(r, RT_SEQUENCE_GAP));
    kaudit_free(excluded);
}

/* What the report records: the lists as given. */
static void test_recorded(void)
{
    kaudit_error err;
    kaudit_engine *e = audit(FIX "15-open-transaction", "open_transaction", "duplicate", &err);
    KT_REQUIRE(e != NULL);
    const rm_report *r = kaudit_report(e);
    KT_EQ_INT(count_of(r, "open_transaction"), 1);
    int found = 0;
    for (size_t i = 0; i < r->noptions; i++) {
        const rm_option *o = &r->options[i];
        const char *want = strcmp(o->name, "types") == 0           ? "open_transaction"
                           : strcmp(o->name, "exclude_types") == 0 ? "duplicate"
                                                                   : NULL;
        if (!want) continue;
        found++;
        KT_EQ_STR(o->s, want);
        KT_CHECK(o->given);
    }
    KT_EQ_INT(found, 2);
    kaudit_free(e);
}

int main(void)
{
    KT_RUN(test_refused);
    KT_RUN(test_only_and_excluded);
    KT_RUN(test_recorded);
    return kt_done();
}
