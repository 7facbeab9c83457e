/* memcap.c - see memcap.h. */
#include "memcap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_LIMIT_FROM ((int64_t)1 << 60)

int64_t mc_rule(int64_t physical, int64_t cgroup)
{
    int64_t lower = physical > 0 && (cgroup <= 0 || physical < cgroup) ? physical : cgroup;
    if (lower <= 0) return MC_UNKNOWN;
    int64_t share = lower / MC_DIVISOR;
    if (share >= MC_FLOOR) return share;
    return lower / 2 < MC_FLOOR ? lower / 2 : MC_FLOOR;
}

int64_t mc_physical(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0 || pages > INT64_MAX / size) return -1;
    return (int64_t)pages * size;
}

/* The limit in the file `path`: bytes, or -1 for none ("max", unlimited,
 * missing, unreadable or not a number). */
static int64_t read_limit(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[64] = "";
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!got || strncmp(line, "max", 3) == 0) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(line, &end, 10);
    if (errno || end == line || (*end != '\n' && *end != '\0') || v <= 0 || v >= NO_LIMIT_FROM) return -1;
    return (int64_t)v;
}

/* The lowest limit in `file` from root/`path` up to root's top. */
static int64_t lowest_on_path(const char *root, const char *path, const char *file)
{
    char dir[4096];
    int n = snprintf(dir, sizeof dir, "%s%s", root, path);
    if (n < 0 || (size_t)n >= sizeof dir) snprintf(dir, sizeof dir, "%s", root), n = (int)strlen(dir);
    size_t top = strlen(root);
    int64_t lowest = -1;
    for (;;) {
        while ((size_t)n > top && dir[n - 1] == '/') dir[--n] = '\0';
        char at[4200];
        snprintf(at, sizeof at, "%s/%s", dir, file);
        int64_t v = read_limit(at);
        if (v > 0 && (lowest < 0 || v < lowest)) lowest = v;
        if ((size_t)n <= top) return lowest;
        char *slash = strrchr(dir + top, '/');
        n = slash ? (int)(slash - dir) : (int)top;
        dir[n] = '\0';
    }
}

/* The cgroup path of the v2 line ("0::PATH") or of the v1 line whose
 * controllers include memory, copied into out; false when there is none. */
static bool cgroup_path(const char *text, bool v2, char *out, size_t cap)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *c1 = memchr(line, ':', len);
        const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
        if (c2) {
            bool match = false;
            if (v2) match = c2 == c1 + 1 && c1 - line == 1 && line[0] == '0';
            for (const char *s = c1 + 1; !v2 && s < c2;) { /* a comma list of controllers */
                const char *comma = memchr(s, ',', (size_t)(c2 - s));
                const char *stop = comma ? comma : c2;
                if (stop - s == 6 && memcmp(s, "memory", 6) == 0) match = true;
                s = stop + 1;
            }
            size_t plen = len - (size_t)(c2 + 1 - line);
            if (match && plen < cap) {
                memcpy(out, c2 + 1, plen);
                out[plen] = '\0';
                return true;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

int64_t mc_cgroup_limit(const char *self_cgroup, const char *root)
{
    char path[2048], v1root[4096];
    if (!self_cgroup || !cgroup_path(self_cgroup, true, path, sizeof path)) path[0] = '\0';
    int64_t v2 = lowest_on_path(root, path, "memory.max");
    if (!self_cgroup || !cgroup_path(self_cgroup, false, path, sizeof path)) path[0] = '\0';
    snprintf(v1root, sizeof v1root, "%s/memory", root);
    int64_t v1 = lowest_on_path(v1root, path, "memory.limit_in_bytes");
    return v2 > 0 && (v1 <= 0 || v2 < v1) ? v2 : v1;
}

int64_t mc_default(void)
{
    const char *root = getenv("KAUDIT_CGROUP_ROOT");
    if (!root || !*root) root = "/sys/fs/cgroup";
    char text[8192] = "";
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return mc_rule(mc_physical(), mc_cgroup_limit(f ? text : NULL, root));
}
