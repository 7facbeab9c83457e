/*
 * test_dump_api.c - kaudit_dump through the public header alone
 * (include/kaudit.h), as a second front end would use it: options, paths,
 * an output stream of its own, callbacks, the outcome.
 *
 * The fixture is fixtures/segments/v2-idempotent; the values checked are
 * those fixtures/expected/v2-idempotent.json states: one segment of 8348
 * bytes holding 9 batches and 29 records, the first batch at offsets 0..3
 * of producer 1000 (crc 337340783), producer 1001's batches at 4..8,
 * 12..16 and 17..19.
 */
#include "kt.h"

#include "include/kaudit.h"

#define FIX "fixtures/segments/v2-idempotent"
#define SEG FIX "/v2-idempotent-3/00000000000000000000.log"

/* Counts what the dump says through its callbacks. */
typedef struct seen {
    int64_t total, read;
    int started, problems, notices, polls;
    int cancel_after;   /* polls before cancelled() says stop, -1 never */
} seen;

static void on_started(void *ctx, int64_t total) { ((seen *)ctx)->started++, ((seen *)ctx)->total += total; }
static void on_progress(void *ctx, int64_t bytes) { ((seen *)ctx)->read += bytes; }
static void on_notice(void *ctx, const char *line) { (void)line, ((seen *)ctx)->notices++; }
static void on_problem(void *ctx, const char *line) { (void)line, ((seen *)ctx)->problems++; }
static bool on_cancelled(void *ctx)
{
    seen *s = ctx;
    s->polls++;
    return s->cancel_after >= 0 && s->polls > s->cancel_after;
}

static kaudit_callbacks callbacks(seen *s)
{
    memset(s, 0, sizeof *s);
    s->cancel_after = -1;
    kaudit_callbacks cb = { s, on_started, on_progress, NULL, on_notice, on_problem, on_cancelled };
    return cb;
}

/* Dump `path` with options `o` into a new string (free() it): *rc is the
 * call's result. NULL when the stream cannot be made. */
static char *dump_to_string(const kaudit_dump_options *o, const char *path, const kaudit_callbacks *cb,
                            kaudit_dump_outcome *oc, kaudit_error *err, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    const char *paths[] = { path };
    *rc = kaudit_dump(o, paths, 1, f, cb, oc, err);
    fclose(f);
    return buf;
}

/* Lines of `s` that begin with `prefix`. */
static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    size_t k = strlen(prefix);
    for (const char *line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, prefix, k) == 0) n++;
    return n;
}

static void test_defaults(void)
{
    kaudit_dump_options o;
    memset(&o, 0x5a, sizeof o);
    kaudit_dump_options_init(&o);
    KT_EQ_INT(o.format, KAUDIT_DUMP_TEXT);
    KT_EQ_INT(o.decode, KAUDIT_DECODE_AUTO);
    KT_CHECK(!o.records && !o.payload && !o.verify_index && !o.has_producer_id);
    KT_CHECK(!o.only_transactional && !o.only_control && !o.no_cache);
    KT_EQ_INT(o.off_lo, INT64_MIN);
    KT_EQ_INT(o.off_hi, INT64_MAX);
    KT_EQ_INT(o.redact, 0);
    KT_EQ_INT(o.max_entry, (size_t)256 << 20);
    KT_EQ_INT(o.live_wait_ms, 250);
}

static void test_text(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    kaudit_dump_outcome oc;
    kaudit_error err;
    int rc = -99;
    char *out = dump_to_string(&o, FIX, &cb, &oc, &err, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(err.code, KAUDIT_OK);
    KT_EQ_INT(count_lines(out, "baseOffset: "), 9);
    KT_EQ_INT(count_lines(out, "| offset: "), 0);
    KT_EQ_INT(oc.batches, 9);
    KT_EQ_INT(oc.records, 0);
    KT_EQ_INT(oc.problems, 0);
    KT_EQ_INT(oc.unreadable, 0);
    KT_EQ_INT(count_lines(out, "Dumping " SEG), 1);
    KT_CHECK(strstr(out, "baseOffset: 0 lastOffset: 3 count: 4 baseSequence: 0 lastSequence: 3 producerId: 1000 ") != NULL);
    KT_CHECK(strstr(out, "crc: 337340783 isvalid: true\n") != NULL);
    KT_CHECK(strstr(out, "baseOffset: 12 lastOffset: 16 count: 5 baseSequence: 2147483645 lastSequence: 1 producerId: 1001 ") != NULL);
    /* The snapshot, the leader-epoch checkpoint and partition.metadata follow the segment. */
    KT_CHECK(strstr(out, "epoch: 1 startOffset: 17\n") != NULL);
    KT_CHECK(strstr(out, "version: 0 topic_id: ") != NULL);
    /* Progress: the segment's bytes announced, then read. */
    KT_EQ_INT(s.started, 1);
    KT_EQ_INT(s.total, 8348);
    KT_EQ_INT(s.read, 8348);
    KT_EQ_INT(s.problems, 0);
    KT_CHECK(s.polls > 9);
    free(out);
}

static void test_jsonl_records(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    o.format = KAUDIT_DUMP_JSONL;
    o.records = true;
    kaudit_dump_outcome oc;
    kaudit_error err;
    int rc = -99;
    char *out = dump_to_string(&o, FIX, NULL, &oc, &err, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(count_lines(out, "{\"type\":\"batch\""), 9);
    KT_EQ_INT(count_lines(out, "{\"type\":\"record\""), 29);
    KT_EQ_INT(oc.batches, 9);
    KT_EQ_INT(oc.records, 29);
    KT_CHECK(strstr(out, "\"position\":1125,\"base_offset\":4,\"last_offset\":8,") != NULL);
    KT_CHECK(strstr(out, "\"producer_id\":1002,\"producer_epoch\":1,\"base_sequence\":0,") != NULL);
    free(out);
}

static void test_filters(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    o.has_producer_id = true;
    o.producer_id = 1001;
    kaudit_dump_outcome oc;
    int rc = -99;
    char *out = dump_to_string(&o, SEG, NULL, &oc, NULL, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(oc.batches, 3);
    KT_EQ_INT(count_lines(out, "baseOffset: "), 3);
    KT_EQ_INT(count_lines(out, "baseOffset: 17 lastOffset: 19 "), 1);
    free(out);

    /* --payload implies --records; offsets 10..12 reach into two batches
     * and keep three of their records. */
    kaudit_dump_options_init(&o);
    o.payload = true;
    o.off_lo = 10, o.off_hi = 12;
    out = dump_to_string(&o, SEG, NULL, &oc, NULL, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(oc.batches, 2);
    KT_EQ_INT(oc.records, 3);
    KT_EQ_INT(count_lines(out, "| offset: 1"), 3);
    KT_CHECK(strstr(out, " key: order-") != NULL);
    free(out);
}

static void test_usage_errors(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    o.off_lo = 5, o.off_hi = 1;
    kaudit_dump_outcome oc;
    kaudit_error err;
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    int rc = -99;
    char *out = dump_to_string(&o, FIX, &cb, &oc, &err, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, KAUDIT_EUSAGE);
    KT_EQ_INT(err.code, KAUDIT_EUSAGE);
    KT_CHECK(err.msg[0] != '\0');
    KT_EQ_INT(strlen(out), 0);   /* nothing read, nothing written */
    KT_EQ_INT(s.started, 0);
    KT_EQ_INT(oc.batches, 0);
    free(out);

    kaudit_dump_options_init(&o);
    o.format = 7;
    out = dump_to_string(&o, FIX, NULL, NULL, &err, &rc);
    KT_EQ_INT(rc, KAUDIT_EUSAGE);
    free(out);

    kaudit_dump_options_init(&o);
    KT_EQ_INT(kaudit_dump(&o, NULL, 0, stdout, NULL, NULL, &err), KAUDIT_EUSAGE);
    const char *paths[] = { FIX };
    KT_EQ_INT(kaudit_dump(NULL, paths, 1, stdout, NULL, NULL, NULL), KAUDIT_EUSAGE);
    KT_EQ_INT(kaudit_dump(&o, paths, 1, NULL, NULL, NULL, &err), KAUDIT_EUSAGE);
}

static void test_missing_path(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    kaudit_dump_outcome oc;
    kaudit_error err;
    int rc = -99;
    char *out = dump_to_string(&o, "fixtures/segments/no-such-folder", &cb, &oc, &err, &rc);
    KT_REQUIRE(out != NULL);
    /* Not a failure of the call: a line of the dump, counted. */
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(oc.unreadable, 1);
    KT_EQ_INT(oc.problems, 0);
    KT_EQ_INT(oc.batches, 0);
    KT_EQ_INT(count_lines(out, "ERROR fixtures/segments/no-such-folder: "), 1);
    KT_EQ_INT(s.problems, 1);
    free(out);

    /* JSONL says it as an "error" object. */
    o.format = KAUDIT_DUMP_JSONL;
    out = dump_to_string(&o, "fixtures/segments/no-such-folder", NULL, &oc, &err, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(count_lines(out, "{\"type\":\"error\",\"file\":\"fixtures/segments/no-such-folder\",\"position\":-1,"), 1);
    free(out);
}

static void test_corrupt(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    kaudit_dump_outcome oc;
    int rc = -99;
    char *out = dump_to_string(&o, "fixtures/corrupt/zero-filled-tail", &cb, &oc, NULL, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, 0);
    KT_EQ_INT(oc.problems, 1);
    KT_EQ_INT(oc.unreadable, 0);
    KT_EQ_INT(s.problems, 1);
    KT_EQ_INT(count_lines(out, "ERROR "), 1);
    free(out);
}

static void test_cancel_and_write_failure(void)
{
    kaudit_dump_options o;
    kaudit_dump_options_init(&o);
    seen s;
    kaudit_callbacks cb = callbacks(&s);
    s.cancel_after = 3;
    kaudit_dump_outcome oc;
    kaudit_error err;
    int rc = -99;
    char *out = dump_to_string(&o, FIX, &cb, &oc, &err, &rc);
    KT_REQUIRE(out != NULL);
    KT_EQ_INT(rc, KAUDIT_ECANCEL);
    KT_EQ_INT(err.code, KAUDIT_ECANCEL);
    KT_CHECK(oc.batches > 0 && oc.batches < 9);
    KT_EQ_INT(count_lines(out, "baseOffset: "), oc.batches);
    free(out);

    FILE *full = fopen("/dev/full", "w");
    KT_REQUIRE(full != NULL);
    const char *paths[] = { FIX };
    KT_EQ_INT(kaudit_dump(&o, paths, 1, full, NULL, &oc, &err), KAUDIT_EWRITE);
    KT_EQ_INT(oc.batches, 9);
    fclose(full);
}

int main(void)
{
    KT_RUN(test_defaults);
    KT_RUN(test_text);
    KT_RUN(test_jsonl_records);
    KT_RUN(test_filters);
    KT_RUN(test_usage_errors);
    KT_RUN(test_missing_path);
    KT_RUN(test_corrupt);
    KT_RUN(test_cancel_and_write_failure);
    return kt_done();
}
