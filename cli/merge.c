/* merge.c - `kaudit merge`: several brokers' JSON reports as one
 * (include/kaudit.h, kaudit_merge). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "include/kaudit.h"
#include "report/escape.h"
#include "suggest.h"

static const char merge_usage[] =
    "Usage: kaudit merge [OPTIONS] REPORT.json...\n"
    "\n"
    "Merge the JSON reports of several brokers' audits (kaudit audit --format json,\n"
    "one per broker, and kaudit compare's) into one cluster report, in JSON: every\n"
    "partition copy in the order one run would list it; a finding that several\n"
    "copies of a topic-partition carry once, from the copy reaching furthest (the\n"
    "others in its \"replicas\"); counts summed less those; incidents renumbered\n"
    "(docs/cluster.md). Audit with --max-examples -1 for exact counts.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE       write the merged report to FILE ('-': stdout, the default)\n"
    "  --fail-on LEVEL         exit 1 when a finding at or above LEVEL is counted:\n"
    "                          error, warning (default), info or none\n"
    "  --max-memory SIZE       the reports together may take this much (default 4G)\n"
    "  SOURCE_DATE_EPOCH       (environment) the report's time, for reproducible output\n"
    "\n"
    "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error, a report\n"
    "not read, or reports that could not read everything themselves.\n";

static int fail(const char *msg, const char *arg)
{
    fputs("kaudit merge: ", stderr);
    fputs(msg, stderr);
    if (arg) {
        fputs(": ", stderr);
        es_fputs(arg, stderr);
    }
    fputc('\n', stderr);
    return EXIT_USAGE;
}

int cmd_merge(int argc, char **argv)
{
    enum { O_FAILON = 256, O_MAXMEM, O_HELP };
    static const struct option opts[] = { { "output", required_argument, 0, 'o' },
                                          { "fail-on", required_argument, 0, O_FAILON },
                                          { "max-memory", required_argument, 0, O_MAXMEM },
                                          { "help", no_argument, 0, O_HELP },
                                          { 0, 0, 0, 0 } };
    const char *out_path = NULL;
    int fail_on = RM_WARNING;
    int64_t max_bytes = (int64_t)4 << 30;
    static const char *const levels[] = { "error", "warning", "info", "none" };
    optind = 1;
    opterr = 0; /* a mistake is said in one line (suggest.h) */
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case O_FAILON:
            if (parse_fail_on(optarg, &fail_on) < 0) {
                sg_value_error("kaudit merge", "--fail-on is error, warning, info or none", optarg, levels, 4, NULL);
                return EXIT_USAGE;
            }
            break;
        case O_MAXMEM:
            if (parse_size(optarg, &max_bytes) < 0 || max_bytes <= 0)
                return fail("--max-memory takes a size like 512M or 4G", optarg);
            break;
        case 'h':
        case O_HELP:
            return write_stdout("kaudit merge", merge_usage);
        default:
            sg_option_error("kaudit merge", c, opts, argv);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) return fail("give the JSON reports to merge", NULL);
    int64_t at = 0;
    if (source_date_epoch(&at) < 0)
        return fail("SOURCE_DATE_EPOCH is not a number of seconds after 1970 (up to 9999)", getenv("SOURCE_DATE_EPOCH"));
    /* Opening the output would empty an input of the same name first. */
    char a[4096], b[4096];
    for (int i = optind; out_path && strcmp(out_path, "-") != 0 && i < argc; i++)
        if (realpath(out_path, a) && realpath(argv[i], b) && strcmp(a, b) == 0)
            return fail("the output is one of the reports merged", out_path);
    FILE *out = !out_path || strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "kaudit merge: cannot write ");
        es_fputs(out_path, stderr);
        fprintf(stderr, ": %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    kaudit_merge_outcome oc;
    kaudit_error err;
    int rc = kaudit_merge((const char *const *)argv + optind, (size_t)(argc - optind), at, (size_t)max_bytes, out, &oc,
                          &err);
    if (out != stdout && fclose(out) != 0 && rc == 0) rc = KAUDIT_EWRITE, snprintf(err.msg, sizeof err.msg, "%s", strerror(errno));
    if (rc < 0) {
        fputs("kaudit merge: ", stderr);
        if (err.file[0]) es_fputs(err.file, stderr), fputs(": ", stderr);
        es_fputs(err.msg, stderr);
        fputc('\n', stderr);
        return EXIT_USAGE;
    }
    fprintf(stderr, "kaudit merge: %d reports, %lld findings listed, %lld replicas' findings folded in\n", argc - optind,
            (long long)oc.findings, (long long)oc.replicas);
    if (oc.problems) return EXIT_USAGE;
    return fail_on >= 0 && oc.worst >= fail_on ? EXIT_PROBLEMS : EXIT_CLEAN;
}
