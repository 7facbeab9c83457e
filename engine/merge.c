/* merge.c - include/kaudit.h's kaudit_merge: the report files read, then
 * report/merge.h. */
#include "include/kaudit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/api_error.h"
#include "reader/segment.h"
#include "report/merge.h"

#ifndef KAUDIT_VERSION
#define KAUDIT_VERSION "0.0.0"
#endif

int kaudit_merge(const char *const *paths, size_t n, int64_t generated_at_ms, size_t max_bytes, FILE *out,
                 kaudit_merge_outcome *outcome, kaudit_error *err)
{
    ae_clear(err);
    if (outcome) memset(outcome, 0, sizeof *outcome), outcome->worst = -1;
    if (!n) return ae_fail(err, KAUDIT_EUSAGE, NULL, "no report to merge");
    rj_input *in = calloc(n, sizeof *in);
    if (!in) return ae_fail(err, KAUDIT_ENOMEM, NULL, "out of memory");
    int rc = 0;
    size_t total = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint8_t *buf;
        size_t len;
        ke_error ke;
        in[i].name = paths[i];
        if (ks_read_file(paths[i], max_bytes - total, &buf, &len, &ke) < 0) {
            rc = ae_fail(err, ke.code == KE_NOMEM ? KAUDIT_ENOMEM : KAUDIT_EINPUT, paths[i], "%s", ke.msg);
            break;
        }
        in[i].text = (const char *)buf, in[i].len = len;
        total += len;
    }
    if (rc == 0) {
        if (generated_at_ms <= 0) generated_at_ms = (int64_t)time(NULL) * 1000;
        char why[1100];
        rj_outcome oc;
        int m = rj_merge(in, n, generated_at_ms, KAUDIT_VERSION, out, &oc, why, sizeof why);
        if (m == -1) rc = ae_fail(err, KAUDIT_EUSAGE, NULL, "%s", why);
        else if (m == -2) rc = ae_fail(err, KAUDIT_ENOMEM, NULL, "out of memory");
        else if (m == -3) rc = ae_fail(err, KAUDIT_EWRITE, NULL, "writing the merged report failed: %s", strerror(errno));
        if (outcome) outcome->problems = oc.problems, outcome->worst = oc.worst, outcome->findings = oc.findings,
                     outcome->replicas = oc.replicas;
    }
    for (size_t i = 0; i < n; i++) free((void *)in[i].text);
    free(in);
    return rc;
}
