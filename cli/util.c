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

/* "512M", "4G", "1048576": a size in bytes (K, M, G, T: powers of 1024). */
int parse_size(const char *s, int64_t *bytes)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0) return -1;
    int shift = 0;
    if (*end) {
        const char *u = "KMGT", *at = strchr(u, *end >= 'a' ? *end - 32 : *end);
        if (!at || !*at) return -1;
        shift = 10 * (int)(at - u + 1);
        end++;
        if (*end == 'i') end++;
        if (*end == 'B' || *end == 'b') end++;
        if (*end) return -1;
    }
    if (v > (INT64_MAX >> shift)) return -1;
    *bytes = (int64_t)v << shift;
    return 0;
}

int parse_fail_on(const char *s, int *level)
{
    static const char *const names[] = { "info", "warning", "error" }; /* RM_INFO, RM_WARNING, RM_ERROR */
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0) return *level = i, 0;
    if (strcmp(s, "none") != 0) return -1;
    *level = -1;
    return 0;
}

int source_date_epoch(int64_t *ms)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (!epoch || !*epoch) return 0;
    char *end;
    long long sec = strtoll(epoch, &end, 10);
    if (*end || sec <= 0 || sec > 253402300799LL) return -1;
    *ms = (int64_t)sec * 1000;
    return 0;
}
