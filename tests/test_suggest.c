/*
 * test_suggest.c - cli/suggest.h: the edit distance, the nearest word, and
 * the one-line usage errors, also as glibc's getopt_long leaves its state
 * for each kind of mistake (opterr 0, ':' first in the option string).
 *
 * cli/ is not part of libkaudit.a, so the module is compiled in here.
 */
#include "kt.h"

#include "cli/suggest.c"

static void test_distance(void)
{
    KT_EQ_INT(sg_distance("", ""), 0);
    KT_EQ_INT(sg_distance("jobs", "jobs"), 0);
    KT_EQ_INT(sg_distance("JOBS", "jobs"), 0);     /* case ignored */
    KT_EQ_INT(sg_distance("jbos", "jobs"), 1);     /* adjacent swap */
    KT_EQ_INT(sg_distance("adit", "audit"), 1);    /* insertion */
    KT_EQ_INT(sg_distance("audits", "audit"), 1);  /* deletion */
    KT_EQ_INT(sg_distance("jabs", "jobs"), 1);     /* substitution */
    KT_EQ_INT(sg_distance("", "dump"), 4);
    KT_EQ_INT(sg_distance("dump", ""), 4);
    KT_EQ_INT(sg_distance("ca", "abc"), 3);        /* optimal string alignment: no edit of a swapped pair */
    KT_EQ_INT(sg_distance("kitten", "sitting"), 3);
    KT_EQ_INT(sg_distance("fromat", "format"), 1);
    KT_EQ_INT(sg_distance("jbos", "jobs"), sg_distance("jobs", "jbos")); /* symmetric */
    /* Long words are compared by their first SG_MAX_WORD bytes, never overrun. */
    char a[200], b[200];
    memset(a, 'x', sizeof a - 1), a[sizeof a - 1] = '\0';
    memset(b, 'x', sizeof b - 1), b[sizeof b - 1] = '\0';
    b[150] = 'y';
    KT_EQ_INT(sg_distance(a, b), 0);
    b[3] = 'y';
    KT_EQ_INT(sg_distance(a, b), 1);
}

static void test_nearest(void)
{
    static const char *const commands[] = { "audit", "dump", "compare", "digest", "merge", "explain" };
    static const char *const levels[] = { "error", "warning", "info", "none" };
    static const char *const options[] = { "jobs", "topics", "exclude-topics", "types", "exclude-types", "format" };
    KT_EQ_STR(sg_nearest("adit", commands, 6), "audit");
    KT_EQ_STR(sg_nearest("dunp", commands, 6), "dump");
    KT_EQ_STR(sg_nearest("mrege", commands, 6), "merge");
    KT_EQ_STR(sg_nearest("explian", commands, 6), "explain");
    KT_CHECK(sg_nearest("frobnicate", commands, 6) == NULL);
    KT_CHECK(sg_nearest("x", commands, 6) == NULL);
    KT_EQ_STR(sg_nearest("jbos", options, 6), "jobs");
    KT_EQ_STR(sg_nearest("topic", options, 6), "topics");
    KT_EQ_STR(sg_nearest("type", options, 6), "types");   /* nearer than topics */
    KT_EQ_STR(sg_nearest("exclude-topic", options, 6), "exclude-topics");
    KT_EQ_STR(sg_nearest("fromat", options, 6), "format");
    KT_EQ_STR(sg_nearest("warn", levels, 4), "warning");  /* the one word it begins */
    KT_EQ_STR(sg_nearest("err", levels, 4), "error");
    KT_CHECK(sg_nearest("ab", (const char *const[]){ "abcde", "abxyz" }, 2) == NULL); /* begins two */
    static const char *const types[] = { "duplicate", "open_transaction", "orphan_marker", "offset_regression" };
    KT_EQ_STR(sg_nearest("open_txn", types, 4), "open_transaction"); /* a near beginning */
    KT_EQ_STR(sg_nearest("dup", types, 4), "duplicate");
    static const char *const formats[] = { "text", "json", "jsonl" };
    KT_EQ_STR(sg_nearest("jsonline", formats, 3), "jsonl"); /* the longest word it begins with */
    KT_CHECK(sg_nearest("xyzzy_plugh", types, 4) == NULL);
    KT_EQ_STR(sg_nearest("Info", levels, 4), "info");
    KT_CHECK(sg_nearest("e", levels, 4) == NULL);         /* too short to begin a word */
    KT_CHECK(sg_nearest("quiet", levels, 4) == NULL);
    KT_CHECK(sg_nearest("jobs", options, 0) == NULL);
    /* Among equals, the first in the list. */
    static const char *const twins[] = { "abcd", "abce" };
    KT_EQ_STR(sg_nearest("abcf", twins, 2), "abcd");
}

enum { O_JOBS = 256, O_TOPICS, O_TYPES, O_DUPTOPICS, O_DUPWINDOW, O_NOCACHE };
static const struct option opts[] = { { "jobs", required_argument, 0, O_JOBS },
                                      { "topics", required_argument, 0, O_TOPICS },
                                      { "types", required_argument, 0, O_TYPES },
                                      { "dup-topics", required_argument, 0, O_DUPTOPICS },
                                      { "dup-window", required_argument, 0, O_DUPWINDOW },
                                      { "no-cache", no_argument, 0, O_NOCACHE },
                                      { "output", required_argument, 0, 'o' },
                                      { "quiet", no_argument, 0, 'q' },
                                      { 0, 0, 0, 0 } };

/* getopt_long over `args` (a NULL-ended list after the command's name) up
 * to its first mistake, and the line suggest.h makes of it. */
static const char *first_mistake(const char *const *args, char *out, size_t cap)
{
    char *argv[16] = { "kaudit-audit" };
    int argc = 1;
    for (; args[argc - 1] && argc < 15; argc++) argv[argc] = (char *)args[argc - 1];
    argv[argc] = NULL;
    optind = 0; /* a full reset of glibc's state */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":qo:", opts, NULL)) != -1)
        if (c == '?' || c == ':') return sg_option_message(out, cap, "kaudit audit", c, optopt, argv[optind - 1], opts);
    snprintf(out, cap, "(no mistake)");
    return out;
}

static void test_option_messages(void)
{
    char line[512];
    const char *jbos[] = { "--jbos", "4", "path", NULL };
    KT_EQ_STR(first_mistake(jbos, line, sizeof line),
              "kaudit audit: unknown option --jbos (did you mean --jobs?); run 'kaudit audit --help'");
    const char *jbos_eq[] = { "--jbos=4", NULL };
    KT_EQ_STR(first_mistake(jbos_eq, line, sizeof line),
              "kaudit audit: unknown option --jbos (did you mean --jobs?); run 'kaudit audit --help'");
    const char *far[] = { "-q", "--frobnicate", NULL };
    KT_EQ_STR(first_mistake(far, line, sizeof line),
              "kaudit audit: unknown option --frobnicate; run 'kaudit audit --help'");
    const char *ambiguous[] = { "--dup", "x", NULL };
    KT_EQ_STR(first_mistake(ambiguous, line, sizeof line),
              "kaudit audit: option --dup is ambiguous: --dup-topics or --dup-window; run 'kaudit audit --help'");
    const char *missing[] = { "path", "--jobs", NULL };
    KT_EQ_STR(first_mistake(missing, line, sizeof line), "kaudit audit: --jobs needs a value; run 'kaudit audit --help'");
    const char *prefix_missing[] = { "--job", NULL }; /* an abbreviation: named in full */
    KT_EQ_STR(first_mistake(prefix_missing, line, sizeof line),
              "kaudit audit: --jobs needs a value; run 'kaudit audit --help'");
    const char *short_missing[] = { "-qo", NULL };
    KT_EQ_STR(first_mistake(short_missing, line, sizeof line), "kaudit audit: -o needs a value; run 'kaudit audit --help'");
    const char *no_value[] = { "--no-cache=yes", NULL };
    KT_EQ_STR(first_mistake(no_value, line, sizeof line),
              "kaudit audit: --no-cache takes no value; run 'kaudit audit --help'");
    const char *short_unknown[] = { "-x", NULL };
    KT_EQ_STR(first_mistake(short_unknown, line, sizeof line),
              "kaudit audit: unknown option -x; run 'kaudit audit --help'");
    const char *in_cluster[] = { "--no-cache", "-xq", NULL }; /* optind still at the cluster */
    KT_EQ_STR(first_mistake(in_cluster, line, sizeof line),
              "kaudit audit: unknown option -x; run 'kaudit audit --help'");
    const char *fine[] = { "--jobs", "2", "-q", "--types=duplicate", "path", NULL };
    KT_EQ_STR(first_mistake(fine, line, sizeof line), "(no mistake)");
    /* Cut to fit, always terminated. */
    char small[24];
    sg_option_message(small, sizeof small, "kaudit audit", '?', 0, "--jbos", opts);
    KT_EQ_INT(strlen(small), sizeof small - 1);
    KT_CHECK(strncmp(small, "kaudit audit: unknown o", sizeof small - 1) == 0);
}

static void test_value_messages(void)
{
    static const char *const formats[] = { "text", "json", "html", "markdown", "prometheus" };
    char line[512];
    KT_EQ_STR(sg_value_message(line, sizeof line, "kaudit audit", "--format is text, json, html, markdown or prometheus",
                               "htlm", formats, 5, NULL),
              "kaudit audit: --format is text, json, html, markdown or prometheus: htlm (did you mean html?)");
    KT_EQ_STR(sg_value_message(line, sizeof line, "kaudit audit", "--format is text or json", "xml", formats, 5, NULL),
              "kaudit audit: --format is text or json: xml");
    KT_EQ_STR(sg_value_message(line, sizeof line, "kaudit explain", "unknown finding type", "duplicat", formats, 0,
                               "; run 'kaudit explain' for the list"),
              "kaudit explain: unknown finding type: duplicat; run 'kaudit explain' for the list");
    KT_EQ_STR(sg_value_message(line, sizeof line, "kaudit audit", "no PATH given", NULL, NULL, 0, NULL),
              "kaudit audit: no PATH given");
}

int main(void)
{
    KT_RUN(test_distance);
    KT_RUN(test_nearest);
    KT_RUN(test_option_messages);
    KT_RUN(test_value_messages);
    return kt_done();
}
