/* main.c - kaudit's entry point: dispatch to a command. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"

static const char usage[] =
    "kaudit " KAUDIT_VERSION " - offline inspector and duplicate auditor for Kafka broker logs\n"
    "\n"
    "Usage: kaudit COMMAND [OPTIONS] PATH...\n"
    "\n"
    "Commands:\n"
    "  audit    replay each partition and report duplicates (and why each got\n"
    "           through), sequence and epoch anomalies, hanging transactions,\n"
    "           index/snapshot disagreements and corruption\n"
    "  dump     print the batches, records, indexes, snapshots and checkpoints of a\n"
    "           log directory, partition directory or single files\n"
    "  compare  compare the copies of each partition that several brokers' log\n"
    "           directories (or their digests) hold: where they fork, what each\n"
    "           holds alone\n"
    "  digest   write a compact digest of every partition for kaudit compare\n"
    "           elsewhere: brokers' data never has to move\n"
    "  merge    merge several brokers' JSON reports into one cluster report\n"
    "  explain  what a finding type means and what to check next (alone: the\n"
    "           list of types)\n"
    "\n"
    "PATH is a broker log directory (log.dirs), a partition directory\n"
    "(<topic>-<partition>), a folder above log directories, or single files.\n"
    "kaudit only reads: it never writes, locks or renames anything it reads, so it\n"
    "is safe to run on a live broker.\n"
    "\n"
    "Run 'kaudit COMMAND --help' for the options of a command.\n"
    "Exit codes: 0 clean, 1 problems found in the data, 2 usage error, input not read\n"
    "or not fully checked, or output not written.\n";

/* A command's exit status, unless stdout holds what could not be written
 * and the command did not say so (each says its own write errors, and
 * exits 2 then): never exit 0 after a lost write. */
static int stdout_checked(int rc)
{
    if (rc == EXIT_USAGE) return rc;
    errno = 0;
    bool flushed = fflush(stdout) == 0;
    int why = errno;
    if (flushed && !ferror(stdout)) return rc;
    fprintf(stderr, "kaudit: writing to stdout failed: %s\n", !flushed && why ? strerror(why) : "an error on the stream");
    return EXIT_USAGE;
}

/* An unknown command, or an unknown option where the command goes: one
 * line on stderr with what was probably meant (what was typed escaped:
 * maybe a pasted name). EXIT_USAGE. */
static int unknown(const char *cmd)
{
    static const char *const commands[] = { "audit", "dump",    "compare", "digest",
                                            "merge", "explain", "help",    "version" };
    static const char *const options[] = { "help", "version" };
    bool dashed = cmd[0] == '-';
    const char *near = dashed ? sg_nearest(cmd + strspn(cmd, "-"), options, 2)
                              : sg_nearest(cmd, commands, sizeof commands / sizeof *commands);
    char what[SG_MAX_WORD + 32], hint[64];
    snprintf(what, sizeof what, dashed ? "unknown option %.*s" : "unknown command '%.*s'", SG_MAX_WORD, cmd);
    snprintf(hint, sizeof hint, "%s%s%s%s; run 'kaudit --help'", near ? " (did you mean " : "",
             near && dashed ? "--" : "", near ? near : "", near ? "?)" : "");
    sg_value_error("kaudit", what, NULL, NULL, 0, hint);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return write_stdout("kaudit", usage);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0)
        return write_stdout("kaudit", "kaudit " KAUDIT_VERSION "\n");
    if (strcmp(cmd, "dump") == 0) return stdout_checked(cmd_dump(argc - 1, argv + 1));
    if (strcmp(cmd, "audit") == 0) return stdout_checked(cmd_audit(argc - 1, argv + 1));
    if (strcmp(cmd, "compare") == 0) return stdout_checked(cmd_compare(argc - 1, argv + 1));
    if (strcmp(cmd, "digest") == 0) return stdout_checked(cmd_digest(argc - 1, argv + 1));
    if (strcmp(cmd, "merge") == 0) return stdout_checked(cmd_merge(argc - 1, argv + 1));
    if (strcmp(cmd, "explain") == 0) return stdout_checked(cmd_explain(argc - 1, argv + 1));
    return unknown(cmd);
}
