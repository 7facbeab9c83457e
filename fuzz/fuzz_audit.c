/* fuzz_audit.c - libFuzzer target: the input is a segment of a partition of
 * an ordinary topic (through a memfd), fed batch by batch, record by record,
 * to the auditor (ka_*) and its index checker, then the report is rendered.
 * The state machines must never crash, whatever the bytes say. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/indexcheck.h"
#include "reader/segment.h"
#include "report/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_index(void *arg, const ke_error *e, int64_t offset) { ka_index_problem(arg, e, offset); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kc_ctx *dc;
    static FILE *devnull;
    if (!dc) dc = kc_create((size_t)4 << 20);
    if (!devnull) devnull = fopen("/dev/null", "w");
    int fd = memfd_create("segment", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ka_options o;
    ka_options_init(&o);
    o.producer_expiration_ms = 1000; /* make expiry reachable */
    rm_report *r = rm_create(8);
    size_t idx = rm_add_partition(r, "orders", 0, path);
    ka_partition *ka = ka_partition_create(&o, r, idx, "orders");
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
        kx_batch(&chk, &b, KB_CTRL_UNKNOWN);
    }
    kx_end(&chk);
    ks_close(rd);
    ka_partition_end(ka);
    ka_partition_free(ka);
    kx_txns_free(&txns);
    rm_finish(r);
    rr_json(r, devnull, "0.0.0");
    rr_text(r, devnull, "0.0.0", 5, true);
    rr_html(r, devnull, "0.0.0");
    rr_markdown(r, devnull, "0.0.0", 5);
    rm_free(r);
    close(fd);
    return 0;
}
