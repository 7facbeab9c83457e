/*
 * memcap.h - the default --max-memory: a share of the memory the machine
 * (or the container) really has.
 *
 * Owns: the rule (mc_rule) and the reading of its two inputs, physical
 * memory (sysconf) and this process's cgroup memory limit (cgroup v2
 * memory.max, v1 memory.limit_in_bytes, the lowest along the cgroup's path
 * to its root: a parent's limit binds its children). Reads a few small
 * files under /proc and the cgroup mount; allocates nothing past a call;
 * never prints.
 *
 * The cgroup mount is /sys/fs/cgroup unless the environment variable
 * KAUDIT_CGROUP_ROOT names another folder (for the tests: a fake tree with
 * a memory.max or memory/memory.limit_in_bytes at its top).
 */
#ifndef KAUDIT_ENGINE_MEMCAP_H
#define KAUDIT_ENGINE_MEMCAP_H

#include <stdint.h>

/* The share of the lower of physical memory and the cgroup limit that the
 * default takes: a quarter, since a broker's machine also runs the broker
 * (its heap and the page cache that serves consumers), and kaudit may run
 * inside the broker's own container. */
#define MC_DIVISOR 4

/* The default never goes below this (unless the memory known is below
 * twice it: then half of that), so that a small container still audits
 * ordinary partitions in memory. */
#define MC_FLOOR ((int64_t)64 << 20)

/* With neither input known: the former fixed default. */
#define MC_UNKNOWN ((int64_t)1 << 30)

/*
 * The rule: `physical` and `cgroup` in bytes, each -1 when unknown (or no
 * limit). A quarter of the lower known, at least MC_FLOOR (or half the
 * lower when that is below 2 x MC_FLOOR); MC_UNKNOWN when neither is known.
 */
int64_t mc_rule(int64_t physical, int64_t cgroup);

/*
 * The memory limit of the cgroup described by `self_cgroup` (the text of
 * /proc/self/cgroup) under the cgroup mount `root`: the lowest limit found
 * from the cgroup's own folder up to the mount's top, in the v2 layout
 * (root/PATH/memory.max) or the v1 one (root/memory/PATH/memory.limit_in_bytes);
 * "max", a value of 2^60 or more (v1's "unlimited") or an unreadable file
 * means no limit there. -1 when no level sets one. `self_cgroup` may be
 * NULL: then only root's top level is read.
 */
int64_t mc_cgroup_limit(const char *self_cgroup, const char *root);

/* Physical memory in bytes (sysconf), or -1. */
int64_t mc_physical(void);

/* The default --max-memory of this process: mc_rule over mc_physical and
 * mc_cgroup_limit of /proc/self/cgroup under /sys/fs/cgroup (or
 * $KAUDIT_CGROUP_ROOT). */
int64_t mc_default(void);

#endif
