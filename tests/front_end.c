/*
 * front_end.c - a second front end of the audit engine, built by
 * tests/test_cli.sh against what `make install` installed (the header and
 * libkaudit.a alone): audits its first argument, prints what it found.
 */
#include <stdio.h>

#include <kaudit.h>

int main(int argc, char **argv)
{
    kaudit_config c;
    kaudit_config_init(&c);
    kaudit_error err;
    kaudit_engine *e = kaudit_create(&c, &err);
    if (!e || kaudit_add_path(e, argv[1], &err) < 0 || kaudit_run(e, NULL, &err) < 0) return 2;
    printf("%zu partitions, %lld warnings, %s\n", kaudit_report(e)->npartitions,
           (long long)kaudit_report(e)->by_severity[RM_WARNING], kaudit_version());
    kaudit_free(e);
    return argc > 2;
}
