/*
 * audit.c - `kaudit audit`: the options, the signals, the progress line,
 * the report's format and the exit status. The audit itself is the
 * engine's (include/kaudit.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "include/kaudit.h"
#include "progress.h"
#include "report/types.h"
#include "suggest.h"

enum { OUT_TEXT, OUT_JSON, OUT_HTML, OUT_MARKDOWN, OUT_PROMETHEUS };

typedef struct audit_opts {
    const char *who;        /* "kaudit audit", "kaudit compare" or "kaudit digest": what errors say */
    kaudit_config k;        /* what the engine needs */
    int format;             /* OUT_* */
    int color;              /* -1 auto (a terminal, and no NO_COLOR), 0 never, 1 always */
    const char *out_path;
    int fail_on;            /* RM_* severity, or -1 for never */
    const char *redact_key_file;
    bool quiet;             /* no progress, no notices on stderr */
    const char *digest_path; /* --digest: where the digest goes (kaudit digest: -o) */
    const char *identity[64]; /* --identity, as given */
    size_t nidentity;
} audit_opts;

/* ---- options ------------------------------------------------------------ */

static const char audit_usage[] =
    "Usage: kaudit audit [OPTIONS] PATH...\n"
    "\n"
    "Replay each partition the way a broker replica would and report every place\n"
    "where a delivery guarantee did not hold: duplicates (and why each got\n"
    "through), sequence gaps and regressions, producer and leader epoch anomalies,\n"
    "hanging and inconsistent transactions, index and snapshot disagreements,\n"
    "corruption. PATH is a log directory, a partition directory, a folder above\n"
    "log directories, or segment files.\n"
    "\n"
    "Output:\n"
    "  --format FORMAT         text: a short summary (default); json: the report for\n"
    "                          machines (docs/report.md, docs/report.schema.json);\n"
    "                          html: one self-contained page for people and tickets;\n"
    "                          markdown: counts and top findings to paste in a ticket\n"
    "                          (GitHub, GitLab; at most 65,536 characters);\n"
    "                          prometheus: metrics for node_exporter's textfile\n"
    "                          collector (docs/report.md, \"Prometheus\")\n"
    "  -o, --output FILE       write the report to FILE ('-': stdout, the default)\n"
    "  --digest FILE           also write the digest of every partition audited to\n"
    "                          FILE, for kaudit compare on another machine\n"
    "                          (docs/digest.md, docs/cluster.md)\n"
    "  --color auto|always|never\n"
    "                          colours in text output (auto: on a terminal, unless\n"
    "                          NO_COLOR is set)\n"
    "  --max-examples N        findings listed per type and severity (default 100;\n"
    "                          every finding is counted either way; -1 lists all)\n"
    "  --fail-on LEVEL         exit 1 when a finding at or above LEVEL exists:\n"
    "                          error, warning (default), info or none\n"
    "  --baseline OLD.json     compare with an earlier JSON report: each finding is\n"
    "                          new or present (ids are fingerprints, the same from\n"
    "                          run to run), the old ones gone are listed, and only\n"
    "                          new findings count for --fail-on (docs/report.md,\n"
    "                          \"Baselines\"; give both audits --max-examples -1 to\n"
    "                          compare every finding)\n"
    "  SOURCE_DATE_EPOCH       (environment) the report's time in seconds since 1970\n"
    "                          instead of now: reproducible reports\n"
    "Scope:\n"
    "  --topics REGEX          only topics matching REGEX (POSIX extended, unanchored)\n"
    "  --exclude-topics REGEX  skip topics matching REGEX\n"
    "  --offsets A:B           report findings at offsets A to B only (A: or :B)\n"
    "  --types T1,T2           report only findings of these types (kaudit explain\n"
    "                          lists them): every format, the counts and the exit\n"
    "                          status see only those\n"
    "  --exclude-types T1,T2   report no finding of these types\n"
    "  --since TIME, --until TIME\n"
    "                          report findings of batches written in this window\n"
    "                          (ISO 8601 UTC like 2024-05-01T12:00:00Z, or epoch ms)\n"
    "Rules:\n"
    "  --producer-expiration D producer.id.expiration.ms of the cluster (default 1d;\n"
    "                          7d for brokers before 3.4): a producer silent longer\n"
    "                          than this may restart its sequence (e.g. 36h, 90m, 604800000)\n"
    "  --txn-max-timeout D     transaction.max.timeout.ms of the cluster (default 15m):\n"
    "                          an open transaction begun longer than this before the\n"
    "                          partition's newest batch is hanging, a younger one in\n"
    "                          progress (info)\n"
    "  --dup-window D          copies further apart than D are repeated content, not\n"
    "                          delivery duplicates (default 10m: Kafka's slowest own\n"
    "                          resend path, see docs/report.md)\n"
    "  --dup-topics REGEX      audit matching topics as ordinary ones: by default every\n"
    "                          repeat in internal (__*), _schemas, _confluent*, Connect\n"
    "                          and Streams changelog/repartition topics is repeated content\n"
    "  --dup-include-headers   records with equal key and value but different\n"
    "                          headers are not duplicates\n"
    "  --identity REGEX=SPEC   in topics matching REGEX (the first --identity that\n"
    "                          matches wins), records are duplicates by their business\n"
    "                          id, whatever their bytes, across the topic's partitions;\n"
    "                          SPEC: key, value, header:NAME (header:ce_id) or json:PATH\n"
    "                          (json:$.payment_id, json:$.after.order_id); repeatable\n"
    "Sharing:\n"
    "  --redact keys,values    replace key and/or value previews by their size and a\n"
    "                          keyed token (equal content, equal token), for reports\n"
    "                          shared beyond the data's owners\n"
    "  --redact-key-file FILE  key the tokens with FILE's contents (tokens then match\n"
    "                          across reports); default: a random key per report\n"
    "Resources:\n"
    "  --jobs N                threads (default: one per CPU): partitions in parallel,\n"
    "                          spare ones read the largest partitions in parts;\n"
    "                          the report is the same for any N\n"
    "  --max-entry-bytes N     largest entry read into memory (default 256 MiB)\n"
    "  --no-cache              drop what we read from the page cache afterwards, so\n"
    "                          a live broker keeps the pages it serves consumers\n"
    "  --max-memory SIZE       one budget for all that grows with the data: indexes,\n"
    "                          state, decompression, read-ahead, listed findings\n"
    "                          (K, M, G suffixes; default: a quarter of the lower of\n"
    "                          physical memory and the cgroup's limit, here @MEM@);\n"
    "                          past it a partition is audited in two passes with a\n"
    "                          spill to disk, same report\n"
    "  --tmpdir DIR            where spills go (default $TMPDIR, else /tmp): a private\n"
    "                          directory, removed at exit; never inside an audited one\n"
    "  -q, --quiet             no progress line and no notices on stderr (progress is\n"
    "                          shown only when stderr is a terminal)\n"
    "\n"
    "Exit codes: 0 no finding at or above --fail-on (with --baseline: no new one),\n"
    "1 such findings, 2 could not run (usage error, a filter or window that\n"
    "matches nothing, or an input that could not be read at all) or could not\n"
    "finish (something not checked: no disk for a spill, memory --max-memory or\n"
    "the system could not give, a file named like Kafka's that is not one), or\n"
    "the report could not be written (a full disk).\n";

/* "1d", "36h", "90m", "30s", "500ms" or plain milliseconds. */
static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0) return -1;
    int64_t mult = strcmp(end, "") == 0 || strcmp(end, "ms") == 0 ? 1
                   : strcmp(end, "s") == 0                        ? 1000
                   : strcmp(end, "m") == 0                        ? 60000
                   : strcmp(end, "h") == 0                        ? 3600000
                   : strcmp(end, "d") == 0                        ? 86400000
                                                                  : -1;
    if (mult < 0 || v > INT64_MAX / mult) return -1;
    *ms = v * mult;
    return 0;
}

/* Epoch milliseconds, or ISO 8601 UTC: 2024-05-01, 2024-05-01T12:00, 2024-05-01T12:00:00Z. */
static int parse_time(const char *s, int64_t *ms)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && end != s) {
        *ms = v;
        return 0;
    }
    static const char *formats[] = { "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%MZ",
                                     "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *rest = strptime(s, formats[i], &tm);
        if (rest && *rest == '\0') {
            *ms = (int64_t)timegm(&tm) * 1000;
            return 0;
        }
    }
    return -1;
}

/* One line on stderr, "<who>: <msg>: <arg>" (escaped), with the word of
 * words[0..n) that arg probably meant: -1. */
static int usage_error(const audit_opts *o, const char *msg, const char *arg, const char *const *words,
                       size_t n)
{
    sg_value_error(o->who, msg, arg, words, n, NULL);
    return -1;
}

/* --types or --exclude-types `list` (comma separated) names only finding
 * types: 0, or -1 after a line naming the first that is not one, with the
 * type probably meant (the engine checks again: kaudit_config). */
static int check_types(const audit_opts *o, const char *opt, const char *list)
{
    const char *names[RT_COUNT];
    for (int i = 0; i < RT_COUNT; i++) names[i] = rt_type_of(i)->name;
    char what[64], item[128];
    for (const char *s = list;; s++) {
        size_t n = strcspn(s, ",");
        snprintf(item, sizeof item, "%.*s", (int)n, s);
        if (n == 0 || n >= sizeof item || rt_find(item) < 0) {
            snprintf(what, sizeof what, n ? "%s: unknown finding type" : "%s names no finding type", opt);
            sg_value_error(o->who, what, n ? item : *list ? list : NULL, names, n ? RT_COUNT : 0,
                           "; run 'kaudit explain' for the list");
            return -1;
        }
        s += n;
        if (!*s) return 0;
    }
}

static int parse_audit_args(int argc, char **argv, audit_opts *o, int *first)
{
    enum { O_FORMAT = 256, O_MAXEX, O_FAILON, O_TOPICS, O_EXCLUDE, O_OFFSETS, O_SINCE, O_UNTIL, O_EXPIRE,
           O_DUPHDR, O_DUPTOPICS, O_DUPWINDOW, O_MAXENTRY, O_NOCACHE, O_COLOR, O_JOBS, O_REDACT, O_REDACTKEY,
           O_MAXMEM, O_TMPDIR, O_TXNTIMEOUT, O_DIGEST, O_BASELINE, O_TYPES, O_EXCLUDE_TYPES, O_IDENTITY, O_HELP };
    static const struct option opts[] = {
        { "format", required_argument, 0, O_FORMAT },          { "output", required_argument, 0, 'o' },
        { "color", required_argument, 0, O_COLOR },            { "jobs", required_argument, 0, O_JOBS },
        { "redact", required_argument, 0, O_REDACT },          { "redact-key-file", required_argument, 0, O_REDACTKEY },
        { "max-examples", required_argument, 0, O_MAXEX },     { "fail-on", required_argument, 0, O_FAILON },
        { "topics", required_argument, 0, O_TOPICS },          { "exclude-topics", required_argument, 0, O_EXCLUDE },
        { "offsets", required_argument, 0, O_OFFSETS },        { "since", required_argument, 0, O_SINCE },
        { "until", required_argument, 0, O_UNTIL },            { "producer-expiration", required_argument, 0, O_EXPIRE },
        { "dup-include-headers", no_argument, 0, O_DUPHDR },   { "dup-topics", required_argument, 0, O_DUPTOPICS },
        { "dup-window", required_argument, 0, O_DUPWINDOW },  { "txn-max-timeout", required_argument, 0, O_TXNTIMEOUT },
        { "max-entry-bytes", required_argument, 0, O_MAXENTRY }, { "no-cache", no_argument, 0, O_NOCACHE },
        { "max-memory", required_argument, 0, O_MAXMEM },      { "tmpdir", required_argument, 0, O_TMPDIR },
        { "quiet", no_argument, 0, 'q' },                     { "digest", required_argument, 0, O_DIGEST },
        { "baseline", required_argument, 0, O_BASELINE },
        { "types", required_argument, 0, O_TYPES },
        { "exclude-types", required_argument, 0, O_EXCLUDE_TYPES },
        { "identity", required_argument, 0, O_IDENTITY },
        { "help", no_argument, 0, O_HELP },                    { 0, 0, 0, 0 }
    };
    static const char *const formats[] = { "text", "json", "html", "markdown", "prometheus" };
    static const char *const colors[] = { "auto", "always", "never" };
    static const char *const levels[] = { "error", "warning", "info", "none" };
    static const char *const redactions[] = { "keys", "values", "keys,values" };
    kaudit_config_init(&o->k);
    o->fail_on = RM_WARNING;
    o->color = -1;
    optind = 1;
    opterr = 0; /* a mistake is said in one line (suggest.h) */
    int c;
    while ((c = getopt_long(argc, argv, ":hqo:", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case O_DIGEST:
            o->digest_path = optarg;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "json") == 0) o->format = OUT_JSON;
            else if (strcmp(optarg, "html") == 0) o->format = OUT_HTML;
            else if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0) o->format = OUT_MARKDOWN;
            else if (strcmp(optarg, "prometheus") == 0) o->format = OUT_PROMETHEUS;
            else if (strcmp(optarg, "text") == 0) o->format = OUT_TEXT;
            else
                return usage_error(o, "--format is text, json, html, markdown or prometheus", optarg, formats, 5);
            break;
        case O_COLOR:
            if (strcmp(optarg, "auto") == 0) o->color = -1;
            else if (strcmp(optarg, "always") == 0) o->color = 1;
            else if (strcmp(optarg, "never") == 0) o->color = 0;
            else return usage_error(o, "--color is auto, always or never", optarg, colors, 3);
            break;
        case 'o': o->out_path = optarg; break;
        case O_MAXEX:
            o->k.max_examples = strtoll(optarg, &end, 10);
            if (*end || !*optarg || o->k.max_examples < -1)
                return usage_error(o, "--max-examples needs a number", optarg, NULL, 0);
            break;
        case O_FAILON:
            if (parse_fail_on(optarg, &o->fail_on) < 0)
                return usage_error(o, "--fail-on is error, warning, info or none", optarg, levels, 4);
            break;
        case O_TOPICS:
        case O_EXCLUDE:
        case O_DUPTOPICS: {
            regex_t re; /* checked here, compiled again by the engine */
            if (regcomp(&re, optarg, REG_EXTENDED | REG_NOSUB) != 0)
                return usage_error(o, "not a valid regular expression", optarg, NULL, 0);
            regfree(&re);
            *(c == O_TOPICS ? &o->k.topics : c == O_EXCLUDE ? &o->k.exclude_topics : &o->k.dup_topics) = optarg;
            break;
        }
        case O_OFFSETS:
            if (parse_range(optarg, &o->k.off_lo, &o->k.off_hi) < 0)
                return usage_error(o, "--offsets takes A:B, A: or :B", optarg, NULL, 0);
            break;
        case O_SINCE:
            if (parse_time(optarg, &o->k.since) < 0)
                return usage_error(o, "--since takes ISO 8601 UTC or epoch ms", optarg, NULL, 0);
            break;
        case O_UNTIL:
            if (parse_time(optarg, &o->k.until) < 0)
                return usage_error(o, "--until takes ISO 8601 UTC or epoch ms", optarg, NULL, 0);
            break;
        case O_EXPIRE:
            if (parse_duration(optarg, &o->k.producer_expiration_ms) < 0 || o->k.producer_expiration_ms == 0)
                return usage_error(o, "--producer-expiration takes a duration like 1d, 36h or 604800000",
                                   optarg, NULL, 0);
            break;
        case O_TXNTIMEOUT:
            if (parse_duration(optarg, &o->k.txn_max_timeout_ms) < 0 || o->k.txn_max_timeout_ms == 0)
                return usage_error(o, "--txn-max-timeout takes a duration like 15m, 1h or 900000",
                                   optarg, NULL, 0);
            break;
        case O_DUPHDR: o->k.dup_include_headers = true; break;
        case O_IDENTITY: /* the engine parses it (kaudit_create says what is wrong) */
            if (!strchr(optarg, '='))
                return usage_error(o, "--identity takes REGEX=SPEC (as in '^payments$=json:$.payment_id')", optarg,
                                   NULL, 0);
            if (o->nidentity == sizeof o->identity / sizeof *o->identity)
                return usage_error(o, "--identity: at most 64 of them", optarg, NULL, 0);
            o->identity[o->nidentity++] = optarg;
            o->k.identity = o->identity, o->k.nidentity = o->nidentity;
            break;
        case O_DUPWINDOW:
            if (parse_duration(optarg, &o->k.dup_window_ms) < 0)
                return usage_error(o, "--dup-window takes a duration like 10m, 2h or 600000",
                                   optarg, NULL, 0);
            break;
        case O_MAXENTRY:
            o->k.max_entry = strtoull(optarg, &end, 10);
            if (*end || o->k.max_entry < 64)
                return usage_error(o, "--max-entry-bytes needs a number >= 64", optarg, NULL, 0);
            break;
        case O_NOCACHE: o->k.no_cache = true; break;
        case O_REDACT:
            if (parse_redact(optarg, &o->k.redact) < 0)
                return usage_error(o, "--redact takes keys, values or keys,values", optarg, redactions, 3);
            break;
        case O_REDACTKEY: o->redact_key_file = optarg; break;
        case O_JOBS:
            o->k.jobs = strtol(optarg, &end, 10);
            if (*end || o->k.jobs < 1 || o->k.jobs > 1024)
                return usage_error(o, "--jobs needs a number from 1 to 1024", optarg, NULL, 0);
            break;
        case O_MAXMEM:
            if (parse_size(optarg, &o->k.max_memory) < 0 || o->k.max_memory < ((int64_t)64 << 10))
                return usage_error(o, "--max-memory takes a size of at least 64K, like 512M or 4G",
                                   optarg, NULL, 0);
            break;
        case O_TMPDIR: o->k.tmpdir = optarg; break;
        case O_BASELINE: o->k.baseline = optarg; break;
        case O_TYPES:
        case O_EXCLUDE_TYPES:
            if (check_types(o, c == O_TYPES ? "--types" : "--exclude-types", optarg) < 0) return -1;
            *(c == O_TYPES ? &o->k.types : &o->k.exclude_types) = optarg;
            break;
        case 'q': o->quiet = true; break;
        case 'h':
        case O_HELP: return 1; /* cmd_audit writes it */
        default: sg_option_error(o->who, c, opts, argv); return -1;
        }
    }
    if (optind >= argc) {
        char hint[64];
        snprintf(hint, sizeof hint, "; run '%s --help'", o->who);
        sg_value_error(o->who, "no PATH given", NULL, NULL, 0, hint);
        return -1;
    }
    if (o->k.redact && redact_key(o->redact_key_file, &o->k.redact_key) < 0)
        return usage_error(o, "cannot read the redaction key", o->redact_key_file ? o->redact_key_file : "(random)",
                           NULL, 0);
    /* Reproducible reports (reproducible-builds.org's convention): the
     * report's time from SOURCE_DATE_EPOCH, seconds since the epoch. */
    if (source_date_epoch(&o->k.generated_at_ms) < 0)
        return usage_error(o, "SOURCE_DATE_EPOCH is not a number of seconds after 1970 (up to 9999)",
                           getenv("SOURCE_DATE_EPOCH"), NULL, 0);
    o->k.fail_on = o->fail_on; /* recorded in the report */
    *first = optind;
    return 0;
}

/* ---- running the engine ---------------------------------------------------- */

/* The engine whose temporary directory a fatal signal removes. The one
 * global of the command: a signal handler has no other way to reach it. */
static kaudit_engine *volatile g_engine;
static const int g_sigs[] = { SIGINT, SIGTERM, SIGHUP };

/* Async-signal-safe: remove the engine's spill directory, then die of the
 * same signal. */
static void on_signal(int sig)
{
    kaudit_remove_temp_now(g_engine);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_signals(void)
{
    for (size_t i = 0; i < sizeof g_sigs / sizeof *g_sigs; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* Keep an ignored signal ignored (nohup). */
        if (sigaction(g_sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(g_sigs[i], &sa, NULL);
    }
}

/* The engine's callbacks: the progress line and stderr, in the words of
 * the command run ("kaudit digest: ..."). */
typedef struct cb_ctx {
    bool quiet;
    const char *who;
} cb_ctx;

static void cb_started(void *ctx, int64_t total)
{
    pg_start(total, !((cb_ctx *)ctx)->quiet && isatty(STDERR_FILENO));
}
static void cb_progress(void *ctx, int64_t bytes) { (void)ctx, pg_add(bytes); }
static void cb_more(void *ctx, int64_t bytes) { (void)ctx, pg_add_total(bytes); }
static void cb_notice(void *ctx, const char *line) { pg_say(((cb_ctx *)ctx)->quiet, "%s", line); }
static void cb_problem(void *ctx, const char *line) { pg_say(false, "%s: %s", ((cb_ctx *)ctx)->who, line); }

/* On stderr: the filters or windows that matched nothing (usage warnings,
 * always), and a baseline compared only in part (a notice). */
static void say_run(const rm_report *r, bool quiet)
{
    for (size_t i = 0; i < r->nwarnings; i++) pg_say(false, "kaudit audit: warning: %s", r->warnings[i]);
    const rm_baseline *b = r->baseline;
    if (b && (b->unlisted || b->nomitted_types))
        pg_say(quiet, "kaudit audit: --baseline compared only the findings each report lists (--max-examples): "
                      "give both audits --max-examples -1 to compare every one");
    if (b && b->not_compared)
        pg_say(quiet, "kaudit audit: --baseline: %zu of its findings not compared: this audit did not look where "
                      "they are (--topics, --offsets, --since, --until), or lists only some of their type",
               b->not_compared);
}

static const char compare_usage[] =
    "Usage: kaudit compare [OPTIONS] PATH...\n"
    "\n"
    "Compare the copies of each partition that several brokers' log directories\n"
    "hold (give each broker's log directory, or a folder above them): where the\n"
    "copies fork (an unclean leader election, a restored backup), each side's\n"
    "leader epochs there and the records each holds alone, whose they are and\n"
    "which were committed; a copy behind another. Each copy is checked for the\n"
    "integrity of its bytes; producers, duplicates, transactions and consumer\n"
    "groups are kaudit audit's (which compares the copies too).\n"
    "\n"
    "A PATH may also be a digest (kaudit digest, kaudit audit --digest) made on\n"
    "another machine: digests and data are compared alike (docs/cluster.md).\n"
    "\n"
    "Options: those of kaudit audit (kaudit audit --help).\n";

static const char digest_usage[] =
    "Usage: kaudit digest -o FILE [OPTIONS] PATH...\n"
    "\n"
    "Write the digest of every partition under PATH to FILE ('-': stdout): per\n"
    "batch its offsets, leader epoch, producer id, epoch and sequence, record\n"
    "count, CRC and time; per partition copy its broker, cluster, log start and\n"
    "end and high watermark; with a checksum (docs/digest.md). Run it on each\n"
    "broker and give the digests to kaudit compare anywhere: the copies are\n"
    "compared as if the data were there (docs/cluster.md). Each partition is\n"
    "checked for the integrity of its bytes; a summary goes to stderr.\n"
    "\n"
    "Options: those of kaudit audit that choose and read partitions (--topics,\n"
    "--exclude-topics, --jobs, --max-memory, --max-entry-bytes, --no-cache, -q).\n";

enum { MODE_AUDIT, MODE_COMPARE, MODE_DIGEST };

static const char *mode_name[] = { "kaudit audit", "kaudit compare", "kaudit digest" };

static int run_audit(int argc, char **argv, int mode);

int cmd_audit(int argc, char **argv) { return run_audit(argc, argv, MODE_AUDIT); }

int cmd_compare(int argc, char **argv) { return run_audit(argc, argv, MODE_COMPARE); }

int cmd_digest(int argc, char **argv) { return run_audit(argc, argv, MODE_DIGEST); }

/* Write the engine's digest to `path` ('-': stdout). */
static bool write_digest(kaudit_engine *e, const char *path, const char *who)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
    if (!f) {
        pg_say(false, "%s: cannot write %s: %s", who, path, strerror(errno));
        return false;
    }
    kaudit_error werr;
    int rc = kaudit_digest(e, f, &werr);
    if (f != stdout && fclose(f) != 0 && rc == 0)
        rc = -1, snprintf(werr.msg, sizeof werr.msg, "writing the digest failed: %s", strerror(errno));
    if (rc < 0) pg_say(false, "%s: %s: %s", who, path, werr.msg);
    return rc == 0;
}

/* Write usage `text` with its @MEM@ replaced by the default --max-memory
 * of this machine (kaudit_default_max_memory). */
static int write_usage(const char *who, const char *text)
{
    const char *at = strstr(text, "@MEM@");
    if (!at) return write_stdout(who, text);
    int64_t m = kaudit_default_max_memory();
    char size[32], *out;
    if (m >= ((int64_t)1 << 30)) snprintf(size, sizeof size, "%.1f GiB", (double)m / (double)((int64_t)1 << 30));
    else snprintf(size, sizeof size, "%lld MiB", (long long)(m >> 20));
    if (asprintf(&out, "%.*s%s%s", (int)(at - text), text, size, at + 5) < 0) return write_stdout(who, text);
    int rc = write_stdout(who, out);
    free(out);
    return rc;
}

static int run_audit(int argc, char **argv, int mode)
{
    bool compare = mode == MODE_COMPARE;
    const char *who = mode_name[mode];
    audit_opts o;
    memset(&o, 0, sizeof o);
    o.who = who;
    int first;
    int prc = parse_audit_args(argc, argv, &o, &first);
    if (prc != 0)
        return prc > 0 ? write_usage(who, mode == MODE_DIGEST ? digest_usage : compare ? compare_usage : audit_usage)
                       : EXIT_USAGE;
    /* "-o -" is standard output, as for every command that takes -o. */
    if (mode != MODE_DIGEST && o.out_path && strcmp(o.out_path, "-") == 0) o.out_path = NULL;
    if (mode == MODE_DIGEST) {
        /* -o names the digest; there is no report. */
        if (!o.out_path || o.digest_path) {
            pg_say(false, "kaudit digest: give the digest's file with -o FILE ('-' for stdout)");
            return EXIT_USAGE;
        }
        o.digest_path = o.out_path, o.out_path = NULL;
        if (strcmp(o.digest_path, "-") == 0 && isatty(STDOUT_FILENO)) {
            pg_say(false, "kaudit digest: a digest is binary: not written to a terminal");
            return EXIT_USAGE;
        }
    } else if (compare && o.digest_path) {
        pg_say(false, "kaudit compare: --digest is kaudit audit's and kaudit digest's");
        return EXIT_USAGE;
    } else if (o.digest_path && strcmp(o.digest_path, "-") == 0 && !o.out_path) {
        pg_say(false, "kaudit audit: --digest - and the report would both go to stdout: give one a file");
        return EXIT_USAGE;
    }
    o.k.compare_only = compare;
    o.k.integrity_only = mode == MODE_DIGEST;
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&o.k, &err);
    if (!e) {
        pg_say(false, "kaudit audit: %s%s%s", err.msg, err.file[0] ? ": " : "", err.file);
        return EXIT_USAGE;
    }
    g_engine = e;
    catch_signals();
    bool failed = false;
    for (int i = first; i < argc; i++) {
        if (kaudit_add_path(e, argv[i], &err) == 0) continue;
        pg_say(false, "kaudit audit: %s: %s", err.msg, err.file); /* a path: escaped */
        if (err.code == KAUDIT_EUSAGE) {
            g_engine = NULL;
            kaudit_free(e);
            return EXIT_USAGE;
        }
        failed = true;
    }
    const char *outputs[] = { o.out_path, o.digest_path };
    for (int k = 0; k < 2; k++) {
        if (kaudit_check_output(e, outputs[k], &err) == 0) continue;
        pg_say(false, "%s: %s: %s", who, err.file, err.msg); /* paths: escaped */
        g_engine = NULL;
        kaudit_free(e);
        return EXIT_USAGE;
    }
    cb_ctx said = { o.quiet, who };
    kaudit_callbacks cb = { &said, cb_started, cb_progress, cb_more, cb_notice, cb_problem, NULL };
    bool oom = kaudit_run(e, &cb, &err) < 0;
    pg_stop();
    if (o.digest_path && !oom && !write_digest(e, o.digest_path, who)) failed = true;
    if (mode == MODE_DIGEST) {
        const rm_report *r = kaudit_report(e);
        if (!o.quiet && !failed)
            pg_say(false, "kaudit digest: %zu partition%s digested to %s", r->npartitions,
                   r->npartitions == 1 ? "" : "s", strcmp(o.digest_path, "-") == 0 ? "stdout" : o.digest_path);
    }
    FILE *out = mode == MODE_DIGEST ? NULL : stdout;
    if (o.out_path && !(out = fopen(o.out_path, "w"))) {
        pg_say(false, "kaudit audit: cannot write %s: %s", o.out_path, strerror(errno));
        failed = true;
        out = NULL;
    }
    if (out) {
        bool color = o.color == 1 || (o.color < 0 && out == stdout && isatty(fileno(stdout)) && !getenv("NO_COLOR"));
        int format = o.format == OUT_JSON       ? KAUDIT_FORMAT_JSON
                     : o.format == OUT_HTML     ? KAUDIT_FORMAT_HTML
                     : o.format == OUT_MARKDOWN ? KAUDIT_FORMAT_MARKDOWN
                     : o.format == OUT_PROMETHEUS ? KAUDIT_FORMAT_PROMETHEUS
                                                : KAUDIT_FORMAT_TEXT;
        kaudit_error werr;
        int wrc = kaudit_render(e, format, out, color, &werr);
        if (out != stdout && fclose(out) != 0 && wrc == 0)
            wrc = -1, snprintf(werr.msg, sizeof werr.msg, "writing the report failed: %s", strerror(errno));
        if (wrc < 0) {
            pg_say(false, "%s: %s", compare ? "kaudit compare" : "kaudit audit", werr.msg);
            failed = true;
        }
    }
    kaudit_outcome oc = kaudit_outcome_of(e);
    /* With a baseline only new findings fail the run; a filter or window
     * that matched nothing is a usage warning, never Clean. */
    int worst = o.k.baseline ? oc.worst_new : oc.worst;
    int rc = failed || oom || oc.problems > 0 || oc.incomplete > 0 || oc.warnings > 0 ? EXIT_USAGE
             : o.fail_on >= 0 && worst >= o.fail_on                                  ? EXIT_PROBLEMS
                                                                                     : EXIT_CLEAN;
    say_run(kaudit_report(e), o.quiet);
    if (oom) pg_say(false, "kaudit audit: %s", err.msg);
    if (oc.incomplete)
        fprintf(stderr, "kaudit audit: %zu partition%s not fully checked for duplicates (see the report)\n",
                oc.incomplete, oc.incomplete == 1 ? "" : "s");
    g_engine = NULL;
    kaudit_free(e);
    return rc;
}
