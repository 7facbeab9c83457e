/* fuzz_audit.c - libFuzzer target: the input is a segment of a partition of
 * an ordinary topic (through a memfd), fed batch by batch, record by record,
 * to the auditor (ka_*) and its index checker, then the report is rendered.
 * The state machines must never crash, whatever the bytes say.
 *
 * Differential too: the same audit with a spilled duplicate index (a pass
 * recording every lookup, kq_resolve, a pass replaying the answers; the
 * spill is kept in memory here) must give the same JSON report (runs held
 * for the partition's end, some decided early for want of room, included),
 * and one with a tiny memory limit must stop cleanly. And the report that
 * lists every finding gives the same JSON when its list is spilled (in
 * memory here) past a budget of a few findings (report/listing.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/groups.h"
#include "audit/indexcheck.h"
#include "fuzz/memfd.h"
#include "reader/segment.h"
#include "report/listing.h"
#include "report/render.h"
#include "tests/memlisting.h"
#include "tests/memspill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kc_ctx *dc;
static FILE *devnull;

static void on_index(void *arg, const ke_error *e, int64_t offset) { ka_index_problem(arg, e, offset); }

static ms_spill spill; /* reused from input to input */
static ml_spill listing;

static void check(int ok)
{
    if (!ok) abort();
}

/* Audit the segment at `path` with the index in `mode`; the JSON report
 * (without its generated_at) in *json, or NULL when not wanted. With
 * `list_all` every finding is kept, spilled past `list_budget` bytes when
 * that is not 0. */
static const char *topic = "orders"; /* or __consumer_offsets: the groups' replay (audit/groups.h) */

static void audit(const char *path, int mode, size_t limit, char **json, bool list_all, size_t list_budget)
{
    ka_options o;
    ka_options_init(&o);
    o.producer_expiration_ms = 1000; /* make expiry reachable */
    rm_report *r = rm_create(list_all ? -1 : 8);
    if (list_budget) {
        ml_init(&listing);
        rm_set_spill(r, &listing.ops, list_budget);
    }
    size_t idx = rm_add_partition(r, topic, 0, path);
    ka_partition *ka = ka_partition_create(&o, r, idx, topic);
    ka_held_limit(ka, 8 << 10); /* a few runs held to the end: the rest decided early, alike in every mode */
    if (mode == KQ_MEMORY) ka_index_limit(ka, limit);
    else check(ka_index_spill(ka, mode, &spill.ops) == 0);
    kx_txns txns;
    kx_txns_init(&txns);
    kx_check chk;
    kx_begin(&chk, NULL, NULL, NULL, NULL, NULL, NULL, &txns, on_index, ka);
    ke_error e;
    ks_reader *rd = ks_open(path, (size_t)1 << 20, 0, &e);
    kb_batch b;
    int rc, guard = 0;
    while (rd && (rc = ks_next(rd, &b, &e)) != 0 && guard++ < 100000) {
        if (rc < 0 || !b.crc_valid) {
            ka_reader_problem(ka, &e, rc < 0 ? ks_error_offset(rd) : b.base_offset);
            continue;
        }
        kb_iter it;
        kb_record rec;
        ke_error ie;
        int orc = kb_iter_open(&it, &b, dc, &ie), irc = orc;
        ka_batch_begin(ka, &b, path);
        while (orc == 0 && (irc = kb_iter_next(&it, &rec, &ie)) == 1) ka_record(ka, &rec);
        ka_batch_end(ka, irc < 0 ? &ie : NULL);
        kx_batch(&chk, &b, ka_control_type(ka));
    }
    kx_end(&chk);
    ks_close(rd);
    ka_partition_end(ka);
    ka_partition_free(ka);
    kx_txns_free(&txns);
    kg_findings(r, NULL, NULL);
    rm_finish(r);
    if (json) {
        free(r->generated_at);
        r->generated_at = strdup("-");
        size_t len;
        FILE *m = open_memstream(json, &len);
        check(m != NULL);
        rr_json(r, m, "0.0.0");
        fclose(m);
    }
    if (mode == KQ_MEMORY && !limit && !list_all) {
        rr_text(r, devnull, "0.0.0", 5, true);
        rr_html(r, devnull, "0.0.0");
        rr_markdown(r, devnull, "0.0.0", 5);
    }
    rm_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dc) dc = kc_create((size_t)4 << 20);
    if (!devnull) devnull = fopen("/dev/null", "w");
    char path[64];
    /* The last byte picks the topic: every input meets the groups' replay too. */
    topic = size && (data[size - 1] & 1) ? "__consumer_offsets" : "orders";
    int fd = fz_memfd(data, size, path);
    if (fd < 0) return 0;

    char *mem = NULL, *replayed = NULL;
    audit(path, KQ_MEMORY, 0, &mem, false, 0);
    if (!spill.ops.put) ms_init(&spill);
    ms_clear(&spill);
    audit(path, KQ_RECORD, 0, NULL, false, 0);
    check(ms_resolve(&spill, 1) == 0);
    audit(path, KQ_REPLAY, 0, &replayed, false, 0);
    check(mem && replayed && strcmp(mem, replayed) == 0);
    free(mem);
    free(replayed);
    audit(path, KQ_MEMORY, 64 << 10, NULL, false, 0);
    /* Every finding listed, in memory and spilled. */
    char *all = NULL, *spilled = NULL;
    audit(path, KQ_MEMORY, 0, &all, true, 0);
    audit(path, KQ_MEMORY, 0, &spilled, true, 2048);
    check(all && spilled && strcmp(all, spilled) == 0);
    free(all);
    free(spilled);
    close(fd);
    return 0;
}
