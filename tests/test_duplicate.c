/*
 * test_duplicate.c - the evidence model of audit/duplicate.h, rule by rule:
 * which class the bytes give, whether they are strong evidence, and what
 * is decided with and without the partition's repeat profile.
 */
#include "kt.h"

#include "audit/duplicate.h"

#define WINDOW 600000

/* A single record repeated 5 s later by the same idempotent session with a
 * new sequence: the plainest weak repeat. */
static kd_run resend(void)
{
    kd_run r;
    memset(&r, 0, sizeof r);
    r.o = (kd_side){ 100, 100, 1700000000000, 42, 0, 7, false, 1 };
    r.d = (kd_side){ 900, 900, 1700000005000, 42, 0, 55, false, 2 };
    r.count = 1;
    r.ts_known = true;
    r.copies = 2;
    return r;
}

/* The same batch of five records resent without idempotence. */
static kd_run retry(void)
{
    kd_run r = resend();
    r.o.producer_id = r.d.producer_id = -1;
    r.o.epoch = r.d.epoch = -1;
    r.o.sequence = r.d.sequence = -1;
    r.o.last = 104, r.d.last = 904;
    r.d.ts = r.o.ts;
    r.d.crc = r.o.crc;
    r.count = 5;
    r.identical = r.identical_batch = r.whole = true;
    return r;
}

static kd_profile unique_profile(void) { return (kd_profile){ 1000, 2, 2, 0, 0 }; }
static kd_profile nature_profile(void) { return (kd_profile){ 1000, 900, 880, 0, 0 }; }

static int decide(const kd_run *r, const char *rule, const kd_profile *pf)
{
    kd_context c = { rule, rule && strcmp(rule, "internal") == 0, WINDOW, pf };
    return kd_decide(r, &c);
}

static void test_classes(void)
{
    kd_run r = retry();
    KT_EQ_STR(kd_class(&r), "retry_without_idempotence");
    r.same_batch = true; /* a repeat inside one batch is never a client retry */
    KT_EQ_STR(kd_class(&r), "application_resend");
    r = retry();
    r.whole = false; /* not whole batches: sent again, not resent */
    KT_EQ_STR(kd_class(&r), "application_resend");
    r = resend();
    KT_EQ_STR(kd_class(&r), "application_resend");
    r.d.sequence = r.o.sequence;
    KT_EQ_STR(kd_class(&r), "idempotence_bypassed");
    r = resend();
    r.d.producer_id = 43;
    KT_EQ_STR(kd_class(&r), "producer_restart");
    r = resend();
    r.d.epoch = 1;
    KT_EQ_STR(kd_class(&r), "producer_restart");
    /* KIP-360: the same producer's resend across its own epoch bump. */
    r.identical = r.whole = r.session_start = true;
    r.d.ts = r.o.ts;
    KT_EQ_STR(kd_class(&r), "idempotence_bypassed");
    r.d.transactional = true; /* a transactional new epoch is a new session */
    KT_EQ_STR(kd_class(&r), "producer_restart");
}

static void test_strength(void)
{
    kd_run r = retry();
    KT_CHECK(kd_strong(&r));
    r.ts_known = false; /* v0: missing timestamps are no evidence */
    KT_CHECK(!kd_strong(&r));
    r = resend();
    KT_CHECK(!kd_strong(&r));
    r.d.producer_id = 43;
    r.count = 5;
    KT_CHECK(!kd_strong(&r)); /* another session, but not at its start */
    r.session_start = true;
    KT_CHECK(kd_strong(&r)); /* a replay at a new session's start */
    r.count = 1;
    KT_CHECK(!kd_strong(&r)); /* one record is no block */
}

static void test_decisions(void)
{
    kd_profile uq = unique_profile(), nat = nature_profile();
    kd_run r = retry();
    KT_EQ_INT(decide(&r, NULL, NULL), KD_DELIVERY);       /* decided at once */
    KT_EQ_INT(decide(&r, NULL, &nat), KD_DELIVERY);       /* whatever the profile */
    KT_EQ_INT(decide(&r, "streams-changelog", NULL), KD_DELIVERY); /* a rule never hides a retry */
    KT_EQ_INT(decide(&r, "internal", NULL), KD_RULE);     /* brokers write these */

    r = resend();
    KT_EQ_INT(decide(&r, NULL, NULL), -1);                /* needs the profile */
    KT_EQ_INT(decide(&r, NULL, &uq), KD_DELIVERY);
    KT_EQ_INT(decide(&r, NULL, &nat), KD_PROFILE);
    KT_EQ_INT(decide(&r, "connect", NULL), KD_RULE);
    r.copies = 3;                                         /* the third copy recurs */
    KT_EQ_INT(decide(&r, NULL, NULL), KD_RECURRING);
    r = resend();
    r.later = 1;                                          /* ... and so does a copied second */
    KT_EQ_INT(decide(&r, NULL, &uq), KD_RECURRING);
    r = resend();
    r.d.ts = r.o.ts + WINDOW + 1;
    KT_EQ_INT(decide(&r, NULL, NULL), KD_WINDOW);
    r.ts_known = false;                                   /* no timestamps: no window */
    KT_EQ_INT(decide(&r, NULL, &uq), KD_DELIVERY);

    /* A replayed block at a new session's start warns even where content
     * repeats by nature, unless the block recurs. */
    r = resend();
    r.d.producer_id = 43;
    r.count = 7;
    r.session_start = true;
    KT_EQ_INT(decide(&r, NULL, NULL), -1);
    KT_EQ_INT(decide(&r, NULL, &nat), KD_DELIVERY);
    r.regular = true;
    KT_EQ_INT(decide(&r, NULL, NULL), KD_RECURRING);
    r.regular = false;
    r.recurring = 4;                                      /* mostly fourth copies or later */
    KT_EQ_INT(decide(&r, NULL, NULL), KD_RECURRING);
    r.recurring = 3;                                      /* three of seven: not mostly */
    KT_EQ_INT(decide(&r, NULL, &uq), KD_DELIVERY);
}

/* Equal milliseconds on one record without a producer id: a retry, unless
 * same-millisecond repeats are to be expected by chance. */
static void test_coincidence(void)
{
    kd_run r = retry();
    r.count = 1;
    r.o.last = r.o.first, r.d.last = r.d.first;
    kd_profile pf = unique_profile();
    pf.same_ms = 1;
    KT_EQ_INT(decide(&r, NULL, NULL), -1);
    kd_run four = retry();
    four.count = KD_CHANCE_RUN + 1;                       /* four records: never chance */
    KT_EQ_INT(decide(&four, NULL, NULL), KD_DELIVERY);
    KT_EQ_INT(decide(&r, NULL, &pf), KD_DELIVERY);
    pf = nature_profile();
    pf.same_ms = 50, pf.near = 49;                        /* about 4.9 expected of 50: not chance */
    KT_CHECK(!kd_coincidence(&pf));
    KT_EQ_INT(decide(&r, NULL, &pf), KD_DELIVERY);
    pf.near = 50;                                         /* a tenth of them chance */
    KT_CHECK(kd_coincidence(&pf));
    KT_EQ_INT(decide(&r, NULL, &pf), KD_COINCIDENCE);
}

static void test_profile(void)
{
    kd_profile pf = { 100000, 1200, 1100, 0, 0 };
    KT_CHECK(kd_by_nature(&pf));                          /* 1.1% of many: yes */
    pf = (kd_profile){ 100000, 1000, 950, 0, 0 };
    KT_CHECK(!kd_by_nature(&pf));                         /* 0.95%: no */
    /* foo-0 of the corpus: a script's 99 records sent twice (a replayed
     * block, not counted) and four records typed again by hand: 2% of 204
     * is not 1% with any confidence. */
    pf = (kd_profile){ 204, 103, 4, 0, 0 };
    KT_CHECK(!kd_by_nature(&pf));
    pf = (kd_profile){ 2040, 103, 40, 0, 0 };
    KT_CHECK(kd_by_nature(&pf));                          /* the same 2% of ten times as many */
    pf = (kd_profile){ 11, 6, 6, 0, 0 };
    KT_CHECK(kd_by_nature(&pf));                          /* values typed again and again */
    pf = (kd_profile){ 9, 2, 2, 0, 0 };
    KT_CHECK(!kd_by_nature(&pf));                         /* 22%, but two repeats prove nothing */
    /* What counts as ordinary traffic. */
    kd_run r = resend();
    KT_CHECK(kd_natural(&r, WINDOW));                     /* a single weak repeat */
    r = retry();
    KT_CHECK(!kd_natural(&r, WINDOW));                    /* a retry is not traffic */
    r = resend();
    r.count = 40;
    KT_CHECK(!kd_natural(&r, WINDOW));                    /* neither is a replayed block */
    r.regular = true;
    KT_CHECK(kd_natural(&r, WINDOW));                     /* unless it recurs */
}

/* A finding's string / integer field, NULL / INT64_MIN when it has none
 * (so a missing field fails the check instead of crashing). */
static const char *field_s(const rm_finding *f, const char *key)
{
    const rm_field *x = rm_find_field(f, key);
    return x ? x->s : NULL;
}

static long long field_i(const rm_finding *f, const char *key)
{
    const rm_field *x = rm_find_field(f, key);
    return x ? (long long)x->i : (long long)INT64_MIN;
}

/* The finding carries its class, its evidence and why; examples are kept
 * by impact. */
static void test_emit(void)
{
    rm_report *rep = rm_create(1);
    KT_REQUIRE(rep != NULL);
    size_t part = rm_add_partition(rep, "orders", 0, "orders-0");
    kd_context c = { NULL, false, WINDOW, NULL };
    kd_run small = resend(), big = retry();
    kd_emit(rep, part, &small, KD_DELIVERY, &c);
    rm_finding *f = kd_emit(rep, part, &big, KD_DELIVERY, &c);
    KT_REQUIRE(f != NULL);                                /* 5 records beat 1 */
    KT_EQ_INT(rep->nfindings, 1);
    KT_EQ_INT(rep->counts[0].by_severity[RM_WARNING], 2);
    KT_EQ_STR(field_s(f, "class"), "retry_without_idempotence");
    KT_EQ_STR(field_s(f, "evidence"), "strong");
    KT_EQ_INT(field_i(f, "count"), 5);
    KT_EQ_INT(field_i(f, "time_distance_ms"), 0);
    KT_CHECK(rm_find_field(f, "reason") == NULL);
    rm_finding *g = kd_emit(rep, part, &small, KD_PROFILE, &c);
    KT_REQUIRE(g != NULL);
    KT_EQ_INT(g->severity, RM_INFO);
    KT_EQ_STR(field_s(g, "class"), "repeated_content");
    KT_EQ_STR(field_s(g, "delivery_class"), "application_resend");
    KT_EQ_STR(field_s(g, "reason"), "profile");
    KT_EQ_INT(rep->partitions[part].nduplicates, 3); /* tallies: application_resend, retry_..., repeated_content */
    /* Its words are the report's (report/duplicate_words.c), written by rm_finish. */
    rm_finish(rep);
    KT_REQUIRE_EQ_INT(rep->nfindings, 2);
    const rm_finding *w = rep->findings[0].severity == RM_INFO ? &rep->findings[0] : &rep->findings[1];
    const rm_finding *d = w == &rep->findings[0] ? &rep->findings[1] : &rep->findings[0];
    KT_CHECK(w->message && strstr(w->message, "(repeated_content: profile)") != NULL);
    KT_CHECK(w->explanation && strncmp(w->explanation, "Content repeats by nature in this partition", 43) == 0);
    KT_CHECK(d->message && strstr(d->message, "5 records at offsets") == d->message &&
             strstr(d->message, "0 ms later (retry_without_idempotence)") != NULL);
    KT_CHECK(d->explanation && strstr(d->explanation, "That is a client retry") != NULL &&
             strstr(d->explanation, "Evidence: the whole batches repeated with the same client timestamps") != NULL);
    rm_free(rep);
}

int main(void)
{
    KT_RUN(test_classes);
    KT_RUN(test_strength);
    KT_RUN(test_decisions);
    KT_RUN(test_coincidence);
    KT_RUN(test_profile);
    KT_RUN(test_emit);
    return kt_done();
}
