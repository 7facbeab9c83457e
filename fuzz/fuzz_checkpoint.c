/* fuzz_checkpoint.c - libFuzzer target for reader/checkpoint.h: the input
 * goes through every parser (both checkpoint kinds with the leader-epoch
 * check, partition.metadata, meta.properties, .kafka_cleanshutdown,
 * quorum-state) and the UUID decoder, with invariants checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reader/checkpoint.h"

static void check(int ok)
{
    if (!ok) abort();
}

static void checkpoint(kk_kind kind, const uint8_t *data, size_t size)
{
    kk_checkpoint *c = (kk_checkpoint *)1;
    ke_error e;
    int rc = kk_checkpoint_parse(&c, kind, data, size, &e);
    check(rc == 0 ? c != NULL : c == NULL);
    check(rc == 0 || (e.pos >= 0 && (size_t)e.pos <= size) || rc == KE_NOMEM);
    if (rc != 0) return;
    check(c->n == (c->count < 0 ? 0 : (size_t)c->count));
    for (size_t i = 0; i < c->n; i++) {
        const kk_entry *x = &c->entries[i];
        check((size_t)x->pos < size && x->line >= 3);
        check(kind == KK_OFFSETS ? x->topic != NULL : x->topic == NULL);
    }
    size_t next = 0, rounds = 0;
    int lrc;
    while ((lrc = kk_leader_epoch_check(c, &next, &e)) < 0 && lrc != KE_USAGE)
        check(++rounds <= c->n && (size_t)e.pos < size);
    check(kind == KK_LEADER_EPOCH ? lrc == 0 : lrc == KE_USAGE);
    kk_checkpoint_free(c);
}

static void uuid(const uint8_t *data, size_t size)
{
    uint8_t u[16], v[16];
    char text[KK_UUID_TEXT_LEN + 1];
    if (!kk_uuid_decode((const char *)data, size, u)) return;
    kk_uuid_encode(u, text);
    check(strlen(text) == KK_UUID_TEXT_LEN);
    check(kk_uuid_decode(text, KK_UUID_TEXT_LEN, v) && memcmp(u, v, 16) == 0);
    check(memcmp(text, data, KK_UUID_TEXT_LEN - 1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ke_error e;
    checkpoint(KK_OFFSETS, data, size);
    checkpoint(KK_LEADER_EPOCH, data, size);
    kk_partition_metadata pm;
    if (kk_partition_metadata_parse(&pm, data, size, &e) == 0)
        check(strlen(pm.topic_id) == KK_UUID_TEXT_LEN && pm.version >= 0);
    kk_meta_properties m;
    if (kk_meta_properties_parse(&m, data, size, &e) == 0)
        check((m.version == 0 || m.version == 1) && strlen(m.cluster_id) < KK_STR_MAX);
    kk_clean_shutdown cs;
    if (kk_clean_shutdown_parse(&cs, data, size, &e) == 0) check(cs.empty == (size == 0));
    kk_quorum_state q;
    if (kk_quorum_state_parse(&q, data, size, &e) == 0) check(q.n_voters <= KK_MAX_VOTERS);
    uuid(data, size);
    return 0;
}
