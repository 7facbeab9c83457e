/*
 * dump.c - `kaudit dump`: the options, the progress line and the exit
 * status. The dump itself is the library's (include/kaudit.h,
 * kaudit_dump; inspect/): this file parses arguments, calls it on stdout
 * and says how it went.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "include/kaudit.h"
#include "progress.h"

typedef struct dump_opts {
    kaudit_dump_options k;        /* what the library needs */
    bool quiet;                   /* no progress line */
    const char *redact_key_file;  /* keys the redaction tokens (default: random) */
} dump_opts;

static const char dump_usage[] =
    "Usage: kaudit dump [OPTIONS] PATH...\n"
    "\n"
    "Print what a Kafka data directory holds: one line per batch; with --records one\n"
    "per record. PATH is a log directory, a partition directory, a folder above log\n"
    "directories, or single files (.log, .index, .timeindex, .txnindex, .snapshot,\n"
    "KRaft .checkpoint, leader-epoch-checkpoint, *-offset-checkpoint, meta.properties,\n"
    "partition.metadata, ...).\n"
    "\n"
    "Output:\n"
    "  --format text|jsonl   text (default) or one JSON object per line\n"
    "                        (docs/dump-format.md)\n"
    "  --records             a line per record; every record is decoded and checked\n"
    "  --payload             with text output: keys, values and headers (implies\n"
    "                        --records); printable text as is, other bytes as \\xNN\n"
    "  --decode auto|none|offsets|transactions|metadata\n"
    "                        decode internal topics' records (default auto: by topic\n"
    "                        name, __consumer_offsets, __transaction_state,\n"
    "                        __cluster_metadata and KRaft snapshots)\n"
    "Checks:\n"
    "  --verify-index        check .index, .timeindex and .txnindex against the log\n"
    "Filters:\n"
    "  --producer-id ID      only batches of this producer id\n"
    "  --offsets A:B         only offsets A to B (inclusive; A: or :B for open ends)\n"
    "  --transactional       only transactional batches\n"
    "  --control             only control batches (transaction markers, KRaft)\n"
    "Sharing:\n"
    "  --redact LIST         keys, values, headers (header values), comma separated:\n"
    "                        shown as their size and a keyed token instead (equal\n"
    "                        content, equal token); internal records are not decoded\n"
    "  --redact-key-file F   key the tokens with F's contents (default: random)\n"
    "Resources:\n"
    "  --max-entry-bytes N   largest entry read into memory (default 256 MiB)\n"
    "  --no-cache            drop the pages we read from the page cache afterwards\n"
    "                        (for live brokers: do not evict what consumers read)\n"
    "  -q, --quiet           no progress line (shown on stderr when it is a terminal\n"
    "                        and the dump goes elsewhere)\n"
    "\n"
    "Exit codes: 0 clean, 1 problems found in the data (corrupt, truncated, ...),\n"
    "2 usage error or an input that could not be read at all.\n";

static int usage_error(const char *msg)
{
    pg_say(false, "kaudit dump: %s", msg);
    return -1;
}

static int usage_error_arg(const char *msg, const char *arg)
{
    pg_say(false, "kaudit dump: %s '%s'", msg, arg);
    return -1;
}

/* Options into *o and the index of the first path: 0, 1 when --help was
 * printed, -1 (said on stderr) for a usage error. */
static int parse_dump_args(int argc, char **argv, dump_opts *o, int *first_path)
{
    enum { O_FORMAT = 256, O_RECORDS, O_PAYLOAD, O_DECODE, O_VERIFY, O_PID, O_OFFSETS, O_TXN, O_CONTROL,
           O_MAXENTRY, O_NOCACHE, O_REDACT, O_REDACTKEY, O_HELP };
    static const struct option opts[] = {
        { "format", required_argument, 0, O_FORMAT },   { "records", no_argument, 0, O_RECORDS },
        { "payload", no_argument, 0, O_PAYLOAD },       { "decode", required_argument, 0, O_DECODE },
        { "verify-index", no_argument, 0, O_VERIFY },   { "producer-id", required_argument, 0, O_PID },
        { "offsets", required_argument, 0, O_OFFSETS }, { "transactional", no_argument, 0, O_TXN },
        { "control", no_argument, 0, O_CONTROL },       { "max-entry-bytes", required_argument, 0, O_MAXENTRY },
        { "no-cache", no_argument, 0, O_NOCACHE },      { "help", no_argument, 0, O_HELP },
        { "redact", required_argument, 0, O_REDACT },   { "redact-key-file", required_argument, 0, O_REDACTKEY },
        { "quiet", no_argument, 0, 'q' },               { 0, 0, 0, 0 }
    };
    memset(o, 0, sizeof *o);
    kaudit_dump_options *k = &o->k;
    kaudit_dump_options_init(k);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'q': o->quiet = true; break;
        case O_FORMAT:
            if (strcmp(optarg, "jsonl") == 0) k->format = KAUDIT_DUMP_JSONL;
            else if (strcmp(optarg, "text") != 0) return usage_error("--format is text or jsonl");
            break;
        case O_RECORDS: k->records = true; break;
        case O_PAYLOAD: k->payload = k->records = true; break;
        case O_DECODE:
            if (strcmp(optarg, "auto") == 0) k->decode = KAUDIT_DECODE_AUTO;
            else if (strcmp(optarg, "none") == 0) k->decode = KAUDIT_DECODE_NONE;
            else if (strcmp(optarg, "offsets") == 0) k->decode = KAUDIT_DECODE_OFFSETS;
            else if (strcmp(optarg, "transactions") == 0) k->decode = KAUDIT_DECODE_TRANSACTIONS;
            else if (strcmp(optarg, "metadata") == 0) k->decode = KAUDIT_DECODE_METADATA;
            else return usage_error_arg("unknown --decode", optarg);
            break;
        case O_VERIFY: k->verify_index = true; break;
        case O_PID:
            k->has_producer_id = true;
            k->producer_id = strtoll(optarg, &end, 10);
            if (*end || !*optarg) return usage_error("--producer-id needs a number");
            break;
        case O_OFFSETS:
            if (parse_range(optarg, &k->off_lo, &k->off_hi) < 0)
                return usage_error("--offsets takes A:B, A: or :B with A <= B");
            break;
        case O_TXN: k->only_transactional = true; break;
        case O_CONTROL: k->only_control = true; break;
        case O_MAXENTRY:
            k->max_entry = strtoull(optarg, &end, 10);
            if (*end || k->max_entry < 64) return usage_error("--max-entry-bytes needs a number >= 64");
            break;
        case O_NOCACHE: k->no_cache = true; break;
        case O_REDACT:
            if (parse_redact(optarg, &k->redact) < 0) return usage_error("--redact takes keys, values, headers or a comma list");
            break;
        case O_REDACTKEY: o->redact_key_file = optarg; break;
        case 'h':
        case O_HELP: return 1; /* cmd_dump writes it */
        default: fputs(dump_usage, stderr); return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "kaudit dump: no PATH given\n\n%s", dump_usage);
        return -1;
    }
    if (k->redact && redact_key(o->redact_key_file, &k->redact_key) < 0)
        return usage_error("cannot read the redaction key (--redact-key-file)");
    *first_path = optind;
    return 0;
}

/* The library's callbacks: the progress line. Problems and notes are
 * lines of the dump itself, on stdout: not said twice. */
static void cb_started(void *ctx, int64_t total)
{
    /* On stderr when it is a terminal the dump itself does not go to
     * (they would mix). */
    pg_start(total, !*(bool *)ctx && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO));
}

static void cb_progress(void *ctx, int64_t bytes) { (void)ctx, pg_add(bytes); }

int cmd_dump(int argc, char **argv)
{
    dump_opts o;
    int first;
    int prc = parse_dump_args(argc, argv, &o, &first);
    if (prc != 0) return prc > 0 ? write_stdout("kaudit dump", dump_usage) : EXIT_USAGE;
    kaudit_callbacks cb = { &o.quiet, cb_started, cb_progress, NULL, NULL, NULL, NULL };
    kaudit_dump_outcome oc;
    kaudit_error err;
    int rc = kaudit_dump(&o.k, (const char *const *)(argv + first), (size_t)(argc - first), stdout, &cb, &oc, &err);
    pg_stop();
    if (rc == KAUDIT_ENOMEM || rc == KAUDIT_EUSAGE) {
        pg_say(false, "kaudit: %s", err.msg);
        return EXIT_USAGE;
    }
    /* A dump that could not be written whole (a full disk) is no dump:
     * said, and exit 2 whatever was read. */
    if (rc == KAUDIT_EWRITE) {
        pg_say(false, "kaudit dump: %s", err.msg); /* may quote a path: escaped */
        return EXIT_USAGE;
    }
    if (oc.problems || oc.unreadable)
        fprintf(stderr, "kaudit dump: %zu problem%s in the data, %zu input%s not readable\n", oc.problems,
                oc.problems == 1 ? "" : "s", oc.unreadable, oc.unreadable == 1 ? "" : "s");
    return oc.unreadable ? EXIT_USAGE : oc.problems ? EXIT_PROBLEMS : EXIT_CLEAN;
}
