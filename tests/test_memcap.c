/*
 * test_memcap.c - the default --max-memory (engine/memcap.h): the rule,
 * the cgroup v2 and v1 limits read from fake cgroup trees, and the default
 * through the public header with $KAUDIT_CGROUP_ROOT pointing at one.
 */
#include "kt.h"

#include <sys/stat.h>
#include <unistd.h>

#include "engine/memcap.h"
#include "include/kaudit.h"

#define MIB ((int64_t)1 << 20)
#define GIB ((int64_t)1 << 30)

static char root[64];

/* Write `text` to root/rel, making its folders. */
static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(path, 0700);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static void fresh_root(void)
{
    char cmd[128];
    if (root[0]) snprintf(cmd, sizeof cmd, "rm -rf %s", root), (void)!system(cmd);
    snprintf(root, sizeof root, "/tmp/kaudit-memcap-XXXXXX");
    if (!mkdtemp(root)) root[0] = '\0';
}

static void test_rule(void)
{
    KT_EQ_INT(mc_rule(16 * GIB, -1), 4 * GIB);             /* a quarter of physical memory */
    KT_EQ_INT(mc_rule(16 * GIB, 2 * GIB), 512 * MIB);      /* the cgroup's limit is lower */
    KT_EQ_INT(mc_rule(2 * GIB, 16 * GIB), 512 * MIB);      /* physical memory is lower */
    KT_EQ_INT(mc_rule(-1, 8 * GIB), 2 * GIB);              /* physical memory unknown */
    KT_EQ_INT(mc_rule(-1, -1), GIB);                       /* nothing known: 1 GiB */
    KT_EQ_INT(mc_rule(16 * GIB, 200 * MIB), 64 * MIB);     /* a quarter (50 MiB) is below the floor */
    KT_EQ_INT(mc_rule(16 * GIB, 100 * MIB), 50 * MIB);     /* below 128 MiB: half */
}

static void test_cgroup_v2(void)
{
    fresh_root();
    KT_REQUIRE(root[0]);
    /* Nested: the parent's limit binds its child, whose own is "max". */
    put("memory.max", "max\n");
    put("kubepods/memory.max", "3221225472\n");
    put("kubepods/pod1/memory.max", "max\n");
    KT_EQ_INT(mc_cgroup_limit("0::/kubepods/pod1\n", root), 3 * GIB);
    /* The child's lower limit wins. */
    put("kubepods/pod1/memory.max", "1073741824\n");
    KT_EQ_INT(mc_cgroup_limit("0::/kubepods/pod1\n", root), GIB);
    /* A namespaced cgroup ("/") reads the mount's top: no limit there. */
    KT_EQ_INT(mc_cgroup_limit("0::/\n", root), -1);
    /* A path missing under the mount (no cgroup namespace): the top. */
    put("memory.max", "536870912\n");
    KT_EQ_INT(mc_cgroup_limit("0::/docker/abc\n", root), 512 * MIB);
    KT_EQ_INT(mc_cgroup_limit(NULL, root), 512 * MIB);
    /* Garbage is no limit. */
    put("memory.max", "lots\n");
    KT_EQ_INT(mc_cgroup_limit("0::/\n", root), -1);
}

static void test_cgroup_v1(void)
{
    fresh_root();
    KT_REQUIRE(root[0]);
    const char *self = "12:pids:/\n4:cpu,memory:/docker/abc\n1:name=systemd:/\n";
    /* v1's "unlimited" is a huge number. */
    put("memory/memory.limit_in_bytes", "9223372036854771712\n");
    KT_EQ_INT(mc_cgroup_limit(self, root), -1);
    put("memory/docker/abc/memory.limit_in_bytes", "2147483648\n");
    KT_EQ_INT(mc_cgroup_limit(self, root), 2 * GIB);
    /* v2's line does not name the v1 hierarchy's path. */
    KT_EQ_INT(mc_cgroup_limit("0::/docker/abc\n", root), -1);
    /* Both layouts (a hybrid host): the lower. */
    put("memory.max", "1073741824\n");
    KT_EQ_INT(mc_cgroup_limit(self, root), GIB);
}

static void test_default_through_the_header(void)
{
    fresh_root();
    KT_REQUIRE(root[0]);
    put("memory.max", "1073741824\n");
    put("memory/memory.limit_in_bytes", "1073741824\n");
    setenv("KAUDIT_CGROUP_ROOT", root, 1);
    int64_t phys = mc_physical();
    KT_REQUIRE(phys > 0);
    int64_t want = phys < GIB ? mc_rule(phys, -1) : 256 * MIB;
    KT_EQ_INT(kaudit_default_max_memory(), want);
    kaudit_config c;
    kaudit_config_init(&c);
    KT_EQ_INT(c.max_memory, want);
    /* No limit in the fake tree: a quarter of physical memory. */
    put("memory.max", "max\n");
    put("memory/memory.limit_in_bytes", "9223372036854771712\n");
    KT_EQ_INT(kaudit_default_max_memory(), mc_rule(phys, -1));
    unsetenv("KAUDIT_CGROUP_ROOT");
    fresh_root();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    (void)!system(cmd);
}

int main(void)
{
    KT_RUN(test_rule);
    KT_RUN(test_cgroup_v2);
    KT_RUN(test_cgroup_v1);
    KT_RUN(test_default_through_the_header);
    return kt_done();
}
