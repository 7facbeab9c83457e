/* main.c - kaudit's entry point: dispatch to a command. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
    "\n"
    "PATH is a broker log directory (log.dirs), a partition directory\n"
    "(<topic>-<partition>), a folder above log directories, or single files.\n"
    "kaudit only reads: it never writes, locks or renames anything it reads, so it\n"
    "is safe to run on a live broker.\n"
    "\n"
    "Run 'kaudit COMMAND --help' for the options of a command.\n"
    "Exit codes: 0 clean, 1 problems found in the data, 2 usage error or unreadable input.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_CLEAN;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("kaudit %s\n", KAUDIT_VERSION);
        return EXIT_CLEAN;
    }
    if (strcmp(cmd, "dump") == 0) return cmd_dump(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0) return cmd_audit(argc - 1, argv + 1);
    fprintf(stderr, "kaudit: unknown command '%s'\n\n%s", cmd, usage);
    return EXIT_USAGE;
}
