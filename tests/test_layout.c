/*
 * test_layout.c - file classification, partition directory names (Kafka's
 * rule: split on the last '-', with .<id>-delete/-future/-stray suffixes),
 * and scanning real broker directories of ../shared/corpus, whose contents
 * were counted independently with ls/find (see each assertion).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kt.h"
#include "reader/layout.h"

#define CORPUS "../shared/corpus/"

static void test_classify(void)
{
    static const struct { const char *name; kl_kind kind, base; int64_t off; int32_t ep; } cases[] = {
        { "00000000000000000000.log", KL_SEGMENT, KL_SEGMENT, 0, -1 },
        { "00000000000001725413.log", KL_SEGMENT, KL_SEGMENT, 1725413, -1 },
        { "00000000000001725413.index", KL_OFFSET_INDEX, KL_OFFSET_INDEX, 1725413, -1 },
        { "00000000000000000042.timeindex", KL_TIME_INDEX, KL_TIME_INDEX, 42, -1 },
        { "00000000000000000042.txnindex", KL_TXN_INDEX, KL_TXN_INDEX, 42, -1 },
        { "00000000000000000042.snapshot", KL_PRODUCER_SNAPSHOT, KL_PRODUCER_SNAPSHOT, 42, -1 },
        { "00000000000000852953-0000000001.checkpoint", KL_KRAFT_SNAPSHOT, KL_KRAFT_SNAPSHOT, 852953, 1 },
        { "bootstrap.checkpoint", KL_KRAFT_SNAPSHOT, KL_KRAFT_SNAPSHOT, -1, -1 },
        { "00000000000000000042.log.deleted", KL_TRANSIENT, KL_SEGMENT, 42, -1 },
        { "00000000000000000042.log.cleaned", KL_TRANSIENT, KL_SEGMENT, 42, -1 },
        { "00000000000000000042.index.swap", KL_TRANSIENT, KL_OFFSET_INDEX, 42, -1 },
        { "00000000000000000042.snapshot.deleted", KL_TRANSIENT, KL_PRODUCER_SNAPSHOT, 42, -1 },
        { "00000000000000852953-0000000001.checkpoint.part", KL_TRANSIENT, KL_KRAFT_SNAPSHOT, 852953, 1 },
        { "leader-epoch-checkpoint", KL_LEADER_EPOCH, KL_LEADER_EPOCH, -1, -1 },
        { "leader-epoch-checkpoint.tmp", KL_TRANSIENT, KL_LEADER_EPOCH, -1, -1 },
        { "recovery-point-offset-checkpoint", KL_OFFSET_CHECKPOINT, KL_OFFSET_CHECKPOINT, -1, -1 },
        { "replication-offset-checkpoint", KL_OFFSET_CHECKPOINT, KL_OFFSET_CHECKPOINT, -1, -1 },
        { "log-start-offset-checkpoint", KL_OFFSET_CHECKPOINT, KL_OFFSET_CHECKPOINT, -1, -1 },
        { "cleaner-offset-checkpoint", KL_OFFSET_CHECKPOINT, KL_OFFSET_CHECKPOINT, -1, -1 },
        { "partition.metadata", KL_PARTITION_METADATA, KL_PARTITION_METADATA, -1, -1 },
        { "meta.properties", KL_META_PROPERTIES, KL_META_PROPERTIES, -1, -1 },
        { ".kafka_cleanshutdown", KL_CLEAN_SHUTDOWN, KL_CLEAN_SHUTDOWN, -1, -1 },
        { "quorum-state", KL_QUORUM_STATE, KL_QUORUM_STATE, -1, -1 },
        { ".lock", KL_OTHER, KL_OTHER, -1, -1 },
        { "749-0-v1.log", KL_FOREIGN, KL_FOREIGN, -1, -1 },      /* Redpanda */
        { "31-2-v1.base_index", KL_FOREIGN, KL_FOREIGN, -1, -1 },
        { "0-1-v1.compaction_index", KL_FOREIGN, KL_FOREIGN, -1, -1 },
        { "0-1-v1.txt", KL_OTHER, KL_OTHER, -1, -1 },
        { "0000000000000000000.log", KL_OTHER, KL_OTHER, -1, -1 }, /* 19 digits */
        { "99999999999999999999.log", KL_OTHER, KL_OTHER, -1, -1 }, /* above INT64_MAX */
        { "", KL_OTHER, KL_OTHER, -1, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kl_kind base;
        int64_t off;
        int32_t ep;
        kl_kind k = kl_classify(cases[i].name, &base, &off, &ep);
        if (k != cases[i].kind || base != cases[i].base || off != cases[i].off || ep != cases[i].ep)
            fprintf(stderr, "  classify %s: %d %d %lld %d\n", cases[i].name, k, base, (long long)off, ep);
        KT_EQ_INT(k, cases[i].kind);
        KT_EQ_INT(base, cases[i].base);
        KT_EQ_INT(off, cases[i].off);
        KT_EQ_INT(ep, cases[i].ep);
    }
}

static void test_partition_names(void)
{
    static const struct { const char *name; int ok; const char *topic; int32_t part; const char *state; } cases[] = {
        { "orders-0", 1, "orders", 0, "" },
        { "my-topic.v2-17", 1, "my-topic.v2", 17, "" },
        { "__consumer_offsets-49", 1, "__consumer_offsets", 49, "" },
        { "_confluent-controlcenter-7-6-1-1-MetricsAggregateStore-repartition-0", 1,
          "_confluent-controlcenter-7-6-1-1-MetricsAggregateStore-repartition", 0, "" },
        { "orders-3.8b5d7e2c4f1a4e0f9a3b2c1d0e9f8a7b-delete", 1, "orders", 3, "delete" },
        { "orders-3.8b5d7e2c4f1a4e0f9a3b2c1d0e9f8a7b-future", 1, "orders", 3, "future" },
        { "orders-3.8b5d7e2c4f1a4e0f9a3b2c1d0e9f8a7b-stray", 1, "orders", 3, "stray" },
        { "kafka-logs", 0, NULL, 0, NULL },
        { "kafka-2.7.1", 0, NULL, 0, NULL },
        { "-0", 0, NULL, 0, NULL },
        { "orders-", 0, NULL, 0, NULL },
        { "orders-99999999999", 0, NULL, 0, NULL },
        { "orders-3-delete", 0, NULL, 0, NULL }, /* no .<id> before the suffix */
        /* Topics Kafka would not accept (Topic.validate): not a directory it made. */
        { "bad topic-0", 0, NULL, 0, NULL },
        { "nl\nx-0", 0, NULL, 0, NULL },
        { "tab\tx-0", 0, NULL, 0, NULL },
        { "a@b-0", 0, NULL, 0, NULL },
        { "caf\xc3\xa9-0", 0, NULL, 0, NULL },
        { ".-0", 0, NULL, 0, NULL },
        { "..-0", 0, NULL, 0, NULL },
        { "...-1", 1, "...", 1, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char topic[512];
        int32_t part = -7;
        const char *state = NULL;
        int ok = kl_partition_name(cases[i].name, topic, sizeof topic, &part, &state);
        KT_EQ_INT(ok, cases[i].ok);
        if (!ok || !cases[i].ok) continue;
        KT_EQ_STR(topic, cases[i].topic);
        KT_EQ_INT(part, cases[i].part);
        KT_EQ_STR(state, cases[i].state);
    }
}

/* DonaldY__kafka-2.7.1/kafka-logs: ls -a lists 53 partition
 * folders and 6 root files (.lock included); __consumer_offsets-17 holds (ls): .index .log
 * .timeindex of segment 0, .log .snapshot of segment 1, and its
 * leader-epoch-checkpoint. */
/* Kafka's longest topic is 249 characters; one more is not a topic. */
static void test_partition_name_length(void)
{
    char name[300], topic[512];
    int32_t part;
    const char *state;
    memset(name, 'a', 249);
    strcpy(name + 249, "-7");
    KT_EQ_INT(kl_partition_name(name, topic, sizeof topic, &part, &state), 1);
    KT_EQ_INT(strlen(topic), 249);
    KT_EQ_INT(part, 7);
    memset(name, 'a', 250);
    strcpy(name + 250, "-7");
    KT_EQ_INT(kl_partition_name(name, topic, sizeof topic, &part, &state), 0);
    KT_EQ_INT(kl_topic_legal("orders"), 1);
    KT_EQ_INT(kl_topic_legal(""), 0);
}

static void test_scan_logdir(void)
{
    KT_REQUIRE(access(CORPUS, R_OK) == 0); /* ../shared/corpus is missing */
    kl_set *s = kl_create();
    KT_REQUIRE(s != NULL);
    KT_EQ_INT(kl_add(s, CORPUS "DonaldY__kafka-2.7.1/kafka-logs"), 0);
    kl_finish(s);
    KT_REQUIRE_EQ_INT(s->nlogdirs, 1);
    KT_EQ_INT(s->logdirs[0].nfiles, 6);
    KT_EQ_INT(s->nparts, 53);
    KT_EQ_INT(s->nproblems, 0);
    const kl_partition *p = NULL;
    for (size_t i = 0; i < s->nparts; i++)
        if (strcmp(s->parts[i].topic, "__consumer_offsets") == 0 && s->parts[i].partition == 17) p = &s->parts[i];
    KT_REQUIRE(p != NULL);
    KT_REQUIRE_EQ_INT(p->nfiles, 6);
    static const kl_kind order[] = { KL_SEGMENT, KL_OFFSET_INDEX, KL_TIME_INDEX, KL_SEGMENT,
                                     KL_PRODUCER_SNAPSHOT, KL_LEADER_EPOCH };
    for (size_t i = 0; i < 6; i++) KT_EQ_INT(p->files[i].kind, order[i]);
    KT_EQ_INT(p->files[3].base_offset, 1);
    KT_EQ_INT(p->logdir, 0);
    kl_free(s);
}

/* A folder above log directories is searched; Redpanda's data directory is
 * one clear problem; a path that does not exist is a problem, not a crash. */
static void test_scan_above_and_foreign(void)
{
    KT_REQUIRE(access(CORPUS, R_OK) == 0); /* ../shared/corpus is missing */
    kl_set *s = kl_create();
    KT_REQUIRE(s != NULL);
    KT_EQ_INT(kl_add(s, CORPUS "SharaWeil__kafka-0.11.0"), 0);
    /* A folder above a log directory whose name looks like <topic>-<n>: */
    KT_EQ_INT(kl_add(s, CORPUS "Danielowo2000__BigDataTechnologies-Version-2"), 0);
    KT_EQ_INT(kl_add(s, CORPUS "langley232__video_ingestion"), 0);
    KT_EQ_INT(kl_add(s, "/nonexistent/kaudit"), 0);
    kl_finish(s);
    /* SharaWeil__kafka-0.11.0/data: mac_test-0, test0-0, test0-1, test0-2 (ls);
     * Danielowo2000__.../kafka_data: 143 partition folders (ls, names ending -N). */
    KT_EQ_INT(s->nlogdirs, 2);
    KT_EQ_INT(s->nparts, 4 + 143);
    KT_EQ_INT(s->nproblems, 2);
    if (s->nproblems == 2) {
        KT_EQ_INT(s->problems[0].code, KE_FOREIGN);
        KT_CHECK(strstr(s->problems[0].msg, "Redpanda") != NULL);
        KT_EQ_INT(s->problems[1].code, KE_IO);
    }
    kl_free(s);
    kl_free(NULL);
}

/* A single file is kept as given; a partition folder given directly is a
 * partition outside any scanned log directory, whose home is the folder it
 * sits in: that folder's root files (checkpoints) describe it, its other
 * partitions are not listed. */
static void test_scan_direct(void)
{
    KT_REQUIRE(access(CORPUS, R_OK) == 0); /* ../shared/corpus is missing */
    kl_set *s = kl_create();
    KT_REQUIRE(s != NULL);
    KT_EQ_INT(kl_add(s, CORPUS "DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-17/00000000000000000001.log"), 0);
    KT_EQ_INT(kl_add(s, CORPUS "DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-17"), 0);
    kl_finish(s);
    KT_REQUIRE_EQ_INT(s->nloose, 1);
    KT_EQ_INT(s->loose[0].kind, KL_SEGMENT);
    KT_EQ_INT(s->loose[0].base_offset, 1);
    KT_REQUIRE_EQ_INT(s->nparts, 1);
    KT_EQ_INT(s->parts[0].logdir, -1);
    KT_EQ_INT(s->parts[0].partition, 17);
    KT_REQUIRE_EQ_INT(s->nlogdirs, 1);
    KT_EQ_INT(s->parts[0].home, 0);
    KT_CHECK(s->logdirs[0].outside);
    int start = 0, parts = 0;
    for (size_t i = 0; i < s->logdirs[0].nfiles; i++) {
        const char *f = s->logdirs[0].files[i].path;
        start += strcmp(strrchr(f, '/'), "/log-start-offset-checkpoint") == 0;
        parts += s->logdirs[0].files[i].kind == KL_SEGMENT;
    }
    KT_EQ_INT(start, 1);
    KT_EQ_INT(parts, 0);
    kl_free(s);
    /* Two partitions of one folder share one home. */
    s = kl_create();
    KT_REQUIRE(s != NULL);
    KT_EQ_INT(kl_add(s, CORPUS "DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-17"), 0);
    KT_EQ_INT(kl_add(s, CORPUS "DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-18"), 0);
    kl_finish(s);
    KT_REQUIRE_EQ_INT(s->nparts, 2);
    KT_EQ_INT(s->nlogdirs, 1);
    KT_EQ_INT(s->parts[0].home, 0);
    KT_EQ_INT(s->parts[1].home, 0);
    kl_free(s);
}

static void touch(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
}

static void mk(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    mkdir(p, 0755);
}

/* The problem whose path ends in `tail`, or NULL. */
static const ke_error *problem_at(const kl_set *s, const char *tail)
{
    for (size_t i = 0; i < s->nproblems; i++) {
        size_t a = strlen(s->problems[i].file), b = strlen(tail);
        if (a >= b && strcmp(s->problems[i].file + a - b, tail) == 0) return &s->problems[i];
    }
    return NULL;
}

/* Every entry named like Kafka's that is not read is a problem, once: a
 * FIFO (never opened, so never blocked on), links to devices, a link loop, a
 * link that leads nowhere, a folder named like a segment, partition folders
 * whose topic Kafka would not accept (a space, a newline). Files that are
 * not Kafka's (a FIFO named "notes") and transient ones say nothing. */
static void test_scan_unreadable_entries(void)
{
    char root[] = "/tmp/kaudit-test-layout-XXXXXX";
    KT_REQUIRE(mkdtemp(root) != NULL);
    char ld[128], part[256], p[512];
    snprintf(ld, sizeof ld, "%s/logs", root);
    mkdir(ld, 0755);
    touch(ld, "meta.properties");
    snprintf(part, sizeof part, "%s/orders-0", ld);
    mkdir(part, 0755);
    touch(part, "00000000000000000000.log");
    snprintf(p, sizeof p, "%s/00000000000000000100.log", part);
    KT_CHECK(mkfifo(p, 0644) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000000.index", part);
    KT_CHECK(mkfifo(p, 0644) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000200.log", part);
    KT_CHECK(symlink("/dev/zero", p) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000300.log", part);
    KT_CHECK(symlink("/dev/urandom", p) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000400.log", part);
    KT_CHECK(symlink("00000000000000000400.log", p) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000500.log", part);
    KT_CHECK(symlink("nowhere", p) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000600.log", part);
    KT_CHECK(symlink("00000000000000000000.log", p) == 0); /* to a regular file: read, as Kafka would */
    mk(part, "00000000000000000700.log");
    snprintf(p, sizeof p, "%s/notes", part);
    KT_CHECK(mkfifo(p, 0644) == 0);
    snprintf(p, sizeof p, "%s/00000000000000000800.log.deleted", part);
    KT_CHECK(mkfifo(p, 0644) == 0);
    mk(ld, "bad topic-0");
    mk(ld, "nl\nx-0");
    mk(ld, "empty topic-1");
    snprintf(p, sizeof p, "%s/bad topic-0", ld);
    touch(p, "00000000000000000000.log");
    snprintf(p, sizeof p, "%s/nl\nx-0", ld);
    touch(p, "00000000000000000000.log");
    snprintf(p, sizeof p, "%s/gone-3", ld);
    KT_CHECK(symlink("nowhere", p) == 0);

    kl_set *s = kl_create();
    KT_REQUIRE(s != NULL);
    KT_EQ_INT(kl_add(s, ld), 0);
    kl_finish(s);
    KT_REQUIRE_EQ_INT(s->nparts, 1);
    KT_EQ_STR(s->parts[0].topic, "orders");
    KT_EQ_INT(s->parts[0].nfiles, 2); /* .log and the link to it */
    static const struct { const char *tail, *words; } want[] = {
        { "/00000000000000000100.log", "a FIFO" },
        { "/00000000000000000000.index", "a FIFO" },
        { "/00000000000000000200.log", "a symbolic link to a character device" },
        { "/00000000000000000300.log", "a symbolic link to a character device" },
        { "/00000000000000000400.log", "cannot be followed" },
        { "/00000000000000000500.log", "cannot be followed" },
        { "/00000000000000000700.log", "a directory named like a file" },
        { "/bad topic-0", "not a name Kafka accepts" },
        { "/nl\nx-0", "not a name Kafka accepts" },
        { "/gone-3", "cannot be followed" },
    };
    KT_EQ_INT(s->nproblems, sizeof want / sizeof *want);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const ke_error *e = problem_at(s, want[i].tail);
        KT_CHECK(e != NULL);
        if (e) KT_CHECK(strstr(e->msg, want[i].words) != NULL);
    }
    kl_free(s);

    /* A partition given directly: its log directory's checkpoint, a FIFO, is said too. */
    snprintf(p, sizeof p, "%s/log-start-offset-checkpoint", ld);
    KT_CHECK(mkfifo(p, 0644) == 0);
    s = kl_create();
    KT_REQUIRE(s != NULL);
    snprintf(p, sizeof p, "%s/orders-0", ld);
    KT_EQ_INT(kl_add(s, p), 0);
    kl_finish(s);
    KT_EQ_INT(s->nparts, 1);
    KT_CHECK(problem_at(s, "/logs/log-start-offset-checkpoint") != NULL);
    kl_free(s);

    /* Given directly: the same words, not "no Kafka data found". */
    s = kl_create();
    KT_REQUIRE(s != NULL);
    snprintf(p, sizeof p, "%s/bad topic-0", ld);
    KT_EQ_INT(kl_add(s, p), 0);
    snprintf(p, sizeof p, "%s/00000000000000000100.log", part);
    KT_EQ_INT(kl_add(s, p), 0);
    kl_finish(s);
    KT_EQ_INT(s->nparts, 0);
    KT_REQUIRE_EQ_INT(s->nproblems, 2);
    KT_CHECK(strstr(s->problems[0].msg, "not a name Kafka accepts") != NULL);
    KT_CHECK(strstr(s->problems[1].msg, "a FIFO, not a regular file") != NULL);
    kl_free(s);

    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    KT_CHECK(system(cmd) == 0);
}

int main(void)
{
    KT_RUN(test_classify);
    KT_RUN(test_partition_names);
    KT_RUN(test_scan_logdir);
    KT_RUN(test_scan_above_and_foreign);
    KT_RUN(test_scan_direct);
    KT_RUN(test_scan_unreadable_entries);
    KT_RUN(test_partition_name_length);
    return kt_done();
}
