/* util.c - small helpers shared by the commands; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "audit/audit.h"
#include "reader/layout.h"
#include "reader/segment.h"
#include "reader/text.h"
#include "report/jsonw.h"

const char *fmt_time(int64_t ms, char *buf, size_t cap)
{
    if (ms < 0 || ms / 1000 > (int64_t)253402300799) { /* after 9999-12-31: not a real time */
        snprintf(buf, cap, "-");
        return buf;
    }
    tx_time_utc(ms, TX_TIME_MS, buf, cap);
    return buf;
}

void print_bytes(FILE *f, const uint8_t *p, int64_t len)
{
    if (!p || len < 0) {
        fputs("null", f);
        return;
    }
    int text = jw_utf8_valid(p, (size_t)len);
    for (int64_t i = 0; text && i < len; i++)
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') text = 0;
    if (text) {
        fwrite(p, 1, (size_t)len, f);
        return;
    }
    for (int64_t i = 0; i < len; i++) {
        if (p[i] == '\\') fputs("\\\\", f);
        else if (p[i] >= 0x20 && p[i] < 0x7f) fputc(p[i], f);
        else fprintf(f, "\\x%02x", p[i]);
    }
}

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

const char *redact_describe(int mask, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s%s", mask & KA_REDACT_KEYS ? "keys" : "",
             (mask & KA_REDACT_KEYS) && (mask & ~KA_REDACT_KEYS) ? ", " : "", mask & KA_REDACT_VALUES ? "values" : "",
             (mask & KA_REDACT_VALUES) && (mask & KA_REDACT_HEADERS) ? ", " : "",
             mask & KA_REDACT_HEADERS ? "header values" : "");
    return buf;
}

ks_reader *open_segment(const char *path, size_t max_entry, int no_cache, ke_error *e)
{
    ks_reader *r = ks_open(path, max_entry, no_cache, e);
    if (r) ks_set_live_wait(r, LIVE_WAIT_MS);
    else if (access(path, F_OK) != 0 && errno == ENOENT)
        ke_set(e, KE_LIVE, -1, "the file disappeared before it could be read (deleted or renamed by the broker)");
    return r;
}

int64_t segment_bytes(const kl_file *files, size_t n)
{
    struct stat st;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (files[i].kind == KL_SEGMENT && stat(files[i].path, &st) == 0) total += st.st_size;
    return total;
}

int file_partition(const char *path, char *topic, size_t cap, int32_t *part)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    const char *start = slash - 1;
    while (start > path && start[-1] != '/') start--;
    char dir[512];
    size_t n = (size_t)(slash - start);
    if (n >= sizeof dir) return 0;
    memcpy(dir, start, n);
    dir[n] = '\0';
    const char *state;
    return kl_partition_name(dir, topic, cap, part, &state);
}
