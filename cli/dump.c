/*
 * dump.c - `kaudit dump`: the options, the progress line and the exit
 * status. The dump itself is the library's (include/kaudit.h,
 * kaudit_dump; inspect/): this file parses arguments, calls it on stdout
 * and says how it went. kafka-dump-log.sh's option names are accepted as
 * they are (--files, --deep-iteration, ...), and any of them asks for
 * its lines too (KAUDIT_DUMP_KAFKA), unless --format names the output:
 * a script written for kafka-dump-log.sh keeps working as it was.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

#include "cli.h"
#include "include/kaudit.h"
#include "progress.h"
#include "suggest.h"

typedef struct dump_opts {
    kaudit_dump_options k;        /* what the library needs */
    bool quiet;                   /* no progress line */
    const char *redact_key_file;  /* keys the redaction tokens (default: random) */
    char **lists;                 /* each --files argument (argv's), owned */
    size_t nlists;
    const char **paths;           /* the positional paths, then --files' items; owned (the
                                   * strings are argv's) */
    size_t npaths;
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
    "kafka-dump-log.sh's lines (docs/dump-format.md), for scripts written for it:\n"
    "  --compat              its lines, field for field (its own stderr lines, and\n"
    "                        kaudit's ERROR and NOTE lines, on stderr)\n"
    "  Its option names, each of which implies --compat unless --format is given:\n"
    "  --files A,B,...       files to dump (a comma list; beside or instead of PATH)\n"
    "  --deep-iteration      a line per record (--records)\n"
    "  --print-data-log      keys and payloads too (--payload)\n"
    "  --skip-record-metadata  record lines with the key and payload only\n"
    "  --max-bytes N         only batches within each segment's first N bytes\n"
    "  --verify-index-only   check .index and .timeindex against the log, print none\n"
    "  --index-sanity-check  only the broker's sanity check of .index and .timeindex\n"
    "  --offsets-decoder, --transaction-log-decoder, --cluster-metadata-decoder\n"
    "                        decode __consumer_offsets, __transaction_state, KRaft\n"
    "                        records as Kafka does (imply --print-data-log)\n"
    "  --key-decoder-class [C], --value-decoder-class [C], --max-message-size N\n"
    "                        accepted; only Kafka's StringDecoder is supported\n"
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

/* "kaudit dump: <msg>: <arg>" with the word of words[0..n) that arg
 * probably meant: -1. */
static int usage_error_arg(const char *msg, const char *arg, const char *const *words, size_t n)
{
    sg_value_error("kaudit dump", msg, arg, words, n, NULL);
    return -1;
}

/* The class names of Kafka's StringDecoder (now, and before 3.x's tools
 * module), the only decoder class kaudit has. */
static bool string_decoder(const char *name)
{
    return strcmp(name, "org.apache.kafka.tools.api.StringDecoder") == 0 ||
           strcmp(name, "kafka.serializer.StringDecoder") == 0;
}

/* --key-decoder-class and --value-decoder-class take an optional class
 * name, as their own word too (jopt-simple's optional argument): the
 * next word when it is not an option. Unsupported classes are said, and
 * the string decoder is used. */
static void decoder_class(int argc, char **argv, const char *opt)
{
    const char *name = optarg;
    if (!name && optind < argc && argv[optind][0] != '-') name = argv[optind++];
    if (!name || string_decoder(name)) return;
    pg_say(false, "kaudit dump: --%s %s is not supported: shown as Kafka's StringDecoder shows it", opt, name);
}

/* A number from 1 to INT32_MAX (Kafka's Integer options) into *v: 0 or -1. */
static int kafka_int(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || !*s || errno || x < 1 || x > INT32_MAX) return -1;
    *v = x;
    return 0;
}

/* The paths: the positional ones, then each item of each --files list
 * (split in place: the lists are argv's). 0, or -1 when out of memory. */
static int collect_paths(dump_opts *o, int argc, char **argv)
{
    size_t n = (size_t)(argc - optind) + o->nlists;
    for (size_t i = 0; i < o->nlists; i++)
        for (const char *s = o->lists[i]; *s; s++) n += *s == ',';
    o->paths = malloc((n ? n : 1) * sizeof *o->paths);
    if (!o->paths) return -1;
    for (int i = optind; i < argc; i++) o->paths[o->npaths++] = argv[i];
    for (size_t i = 0; i < o->nlists; i++) {
        /* String.split(","): empty items name no file. */
        char *save;
        for (char *item = strtok_r(o->lists[i], ",", &save); item; item = strtok_r(NULL, ",", &save))
            o->paths[o->npaths++] = item;
    }
    return 0;
}

/* Options into *o, paths into o->paths: 0, 1 when --help was printed, -1
 * (said on stderr) for a usage error. Free o->lists and o->paths after. */
static int parse_dump_args(int argc, char **argv, dump_opts *o)
{
    enum { O_FORMAT = 256, O_RECORDS, O_PAYLOAD, O_DECODE, O_VERIFY, O_PID, O_OFFSETS, O_TXN, O_CONTROL,
           O_MAXENTRY, O_NOCACHE, O_REDACT, O_REDACTKEY, O_HELP, O_COMPAT, O_FILES, O_DEEP, O_PRINT, O_MAXBYTES,
           O_MAXMSG, O_SKIPMETA, O_VERIFYONLY, O_SANITY, O_DEC_OFFSETS, O_DEC_TXN, O_DEC_METADATA, O_KEYCLASS,
           O_VALUECLASS };
    static const struct option opts[] = {
        { "format", required_argument, 0, O_FORMAT },   { "records", no_argument, 0, O_RECORDS },
        { "payload", no_argument, 0, O_PAYLOAD },       { "decode", required_argument, 0, O_DECODE },
        { "verify-index", no_argument, 0, O_VERIFY },   { "producer-id", required_argument, 0, O_PID },
        { "offsets", required_argument, 0, O_OFFSETS }, { "transactional", no_argument, 0, O_TXN },
        { "control", no_argument, 0, O_CONTROL },       { "max-entry-bytes", required_argument, 0, O_MAXENTRY },
        { "no-cache", no_argument, 0, O_NOCACHE },      { "help", no_argument, 0, O_HELP },
        { "redact", required_argument, 0, O_REDACT },   { "redact-key-file", required_argument, 0, O_REDACTKEY },
        { "quiet", no_argument, 0, 'q' },               { "compat", no_argument, 0, O_COMPAT },
        /* kafka-dump-log.sh's */
        { "files", required_argument, 0, O_FILES },
        { "deep-iteration", no_argument, 0, O_DEEP },
        { "print-data-log", no_argument, 0, O_PRINT },
        { "max-bytes", required_argument, 0, O_MAXBYTES },
        { "max-message-size", required_argument, 0, O_MAXMSG },
        { "skip-record-metadata", no_argument, 0, O_SKIPMETA },
        { "verify-index-only", no_argument, 0, O_VERIFYONLY },
        { "index-sanity-check", no_argument, 0, O_SANITY },
        { "offsets-decoder", no_argument, 0, O_DEC_OFFSETS },
        { "transaction-log-decoder", no_argument, 0, O_DEC_TXN },
        { "cluster-metadata-decoder", no_argument, 0, O_DEC_METADATA },
        { "key-decoder-class", optional_argument, 0, O_KEYCLASS },
        { "value-decoder-class", optional_argument, 0, O_VALUECLASS },
        { 0, 0, 0, 0 }
    };
    memset(o, 0, sizeof *o);
    kaudit_dump_options *k = &o->k;
    kaudit_dump_options_init(k);
    bool compat = false, kafka_opt = false, format_given = false, decode_given = false;
    static const char *const formats[] = { "text", "jsonl" };
    static const char *const decoders[] = { "auto", "none", "offsets", "transactions", "metadata" };
    static const char *const redactions[] = { "keys", "values", "headers" };
    o->lists = calloc((size_t)argc + 1, sizeof *o->lists);
    if (!o->lists) return usage_error("out of memory");
    optind = 1;
    opterr = 0; /* a mistake is said in one line (suggest.h) */
    int c;
    while ((c = getopt_long(argc, argv, ":hq", opts, NULL)) != -1) {
        char *end;
        int64_t n;
        if (c >= O_FILES) kafka_opt = true;
        switch (c) {
        case 'q': o->quiet = true; break;
        case O_FORMAT:
            format_given = true;
            if (strcmp(optarg, "jsonl") == 0) k->format = KAUDIT_DUMP_JSONL;
            else if (strcmp(optarg, "text") == 0) k->format = KAUDIT_DUMP_TEXT;
            else return usage_error_arg("--format is text or jsonl", optarg, formats, 2);
            break;
        case O_COMPAT: compat = true; break;
        case O_FILES: o->lists[o->nlists++] = optarg; break;
        case O_RECORDS:
        case O_DEEP: k->records = true; break;
        case O_PAYLOAD:
        case O_PRINT: k->payload = k->records = true; break;
        case O_MAXBYTES:
            if (kafka_int(optarg, &n) < 0) return usage_error("--max-bytes needs a number from 1 to 2147483647");
            k->max_bytes = n;
            break;
        case O_MAXMSG:
            /* Kafka reads an index entry's batch within this many bytes;
             * kaudit reads it whole (--max-entry-bytes caps it). */
            if (kafka_int(optarg, &n) < 0)
                return usage_error("--max-message-size needs a number from 1 to 2147483647");
            break;
        case O_SKIPMETA: k->skip_record_metadata = true; break;
        case O_VERIFYONLY:
            if (k->index_mode == KAUDIT_INDEX_DUMP) k->index_mode = KAUDIT_INDEX_VERIFY_ONLY;
            break;
        case O_SANITY: k->index_mode = KAUDIT_INDEX_SANITY_ONLY; break; /* Kafka checks it first */
        case O_DEC_OFFSETS: k->decode = KAUDIT_DECODE_OFFSETS, k->payload = k->records = decode_given = true; break;
        case O_DEC_TXN: k->decode = KAUDIT_DECODE_TRANSACTIONS, k->payload = k->records = decode_given = true; break;
        case O_DEC_METADATA: k->decode = KAUDIT_DECODE_METADATA, k->payload = k->records = decode_given = true; break;
        case O_KEYCLASS:
        case O_VALUECLASS:
            decoder_class(argc, argv, c == O_KEYCLASS ? "key-decoder-class" : "value-decoder-class");
            k->payload = k->records = true;
            break;
        case O_DECODE:
            decode_given = true;
            if (strcmp(optarg, "auto") == 0) k->decode = KAUDIT_DECODE_AUTO;
            else if (strcmp(optarg, "none") == 0) k->decode = KAUDIT_DECODE_NONE;
            else if (strcmp(optarg, "offsets") == 0) k->decode = KAUDIT_DECODE_OFFSETS;
            else if (strcmp(optarg, "transactions") == 0) k->decode = KAUDIT_DECODE_TRANSACTIONS;
            else if (strcmp(optarg, "metadata") == 0) k->decode = KAUDIT_DECODE_METADATA;
            else
                return usage_error_arg("--decode is auto, none, offsets, transactions or metadata", optarg, decoders,
                                       5);
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
            if (parse_redact(optarg, &k->redact) < 0)
                return usage_error_arg("--redact takes keys, values, headers or a comma list", optarg, redactions, 3);
            break;
        case O_REDACTKEY: o->redact_key_file = optarg; break;
        case 'h':
        case O_HELP: return 1; /* cmd_dump writes it */
        default: sg_option_error("kaudit dump", c, opts, argv); return -1;
        }
    }
    if (compat && format_given) return usage_error("--compat and --format name two outputs: choose one");
    if (optind >= argc && o->nlists == 0) return usage_error("no PATH given; run 'kaudit dump --help'");
    if (collect_paths(o, argc, argv) < 0) return usage_error("out of memory");
    if (o->npaths == 0) return usage_error("--files names no file");
    /* Kafka's names ask for Kafka's lines, unless --format said otherwise
     * (docs/dump-format.md). Its records are shown by the StringDecoder
     * unless a decoder is named; its complaints go to stderr, where no
     * progress line may mix with them. */
    if (compat || (kafka_opt && !format_given)) {
        k->format = KAUDIT_DUMP_KAFKA;
        k->kafka_err = stderr;
        if (!decode_given) k->decode = KAUDIT_DECODE_NONE;
        o->quiet = true;
    }
    if (k->redact && redact_key(o->redact_key_file, &k->redact_key) < 0)
        return usage_error("cannot read the redaction key (--redact-key-file)");
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
    int prc = parse_dump_args(argc, argv, &o);
    free(o.lists); /* the paths point into argv, not into the list of lists */
    if (prc != 0) {
        free(o.paths);
        return prc > 0 ? write_stdout("kaudit dump", dump_usage) : EXIT_USAGE;
    }
    kaudit_callbacks cb = { &o.quiet, cb_started, cb_progress, NULL, NULL, NULL, NULL };
    kaudit_dump_outcome oc;
    kaudit_error err;
    int rc = kaudit_dump(&o.k, o.paths, o.npaths, stdout, &cb, &oc, &err);
    free(o.paths);
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
