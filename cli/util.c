/* util.c - small helpers shared by the commands; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <xxhash.h>

#include "audit/audit.h"

static int parse_i64(const char *s, size_t n, int64_t *v)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (errno || *end) return -1;
    *v = x;
    return 0;
}

int write_stdout(const char *who, const char *text)
{
    errno = 0;
    bool bad = fputs(text, stdout) == EOF;
    int why = errno;
    if (fflush(stdout) != 0) bad = true, why = errno;
    if (!bad && !ferror(stdout)) return EXIT_CLEAN;
    fprintf(stderr, "%s: writing to stdout failed: %s\n", who, why ? strerror(why) : "an error on the stream");
    return EXIT_USAGE;
}

int parse_range(const char *s, int64_t *lo, int64_t *hi)
{
    const char *colon = strchr(s, ':');
    if (!colon) return -1;
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    if (colon > s && parse_i64(s, (size_t)(colon - s), lo) < 0) return -1;
    if (colon[1] && parse_i64(colon + 1, strlen(colon + 1), hi) < 0) return -1;
    if (colon == s && !colon[1]) return -1;
    return *lo <= *hi ? 0 : -1;
}

int parse_redact(const char *s, int *mask)
{
    *mask = 0;
    char buf[128];
    if (strlen(s) >= sizeof buf || !*s) return -1;
    strcpy(buf, s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "keys") == 0) *mask |= KA_REDACT_KEYS;
        else if (strcmp(t, "values") == 0) *mask |= KA_REDACT_VALUES;
        else if (strcmp(t, "headers") == 0) *mask |= KA_REDACT_HEADERS;
        else return -1;
    }
    return *mask ? 0 : -1;
}

int redact_key(const char *file, uint64_t *key)
{
    if (!file) return getrandom(key, sizeof *key, 0) == (ssize_t)sizeof *key ? 0 : -1;
    FILE *f = fopen(file, "rb");
    if (!f) return -1;
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n == 0) return -1;
    *key = XXH3_64bits(buf, n);
    return 0;
}
