/*
 * idsuggest.c - identities to suggest (docs/report.md, "Duplicates by
 * identity"): in a topic without an --identity, the first KA_SAMPLE visible
 * records of each partition are sampled for a top-level JSON member or a
 * header named as an identifier (id_like) whose value is present and
 * unique in every one; such a name is
 * added to the partition's suggestions (rm_partition_suggest) with the
 * option that would use it. Bounded:
 * KA_CANDIDATES names of KA_SAMPLE value hashes each.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "state.h"

#define KA_SAMPLE 1000
#define KA_CANDIDATES 16
#define KA_SAMPLE_MIN 20   /* fewer sampled records prove nothing */

typedef struct candidate {
    char name[64];
    bool header;
    size_t n;
    uint64_t h[KA_SAMPLE];
} candidate;

struct ka_sampler {
    int64_t records;
    size_t n;
    candidate c[KA_CANDIDATES];
};

void ka_suggest_start(ka_partition *p)
{
    if (!(p->id_sample = calloc(1, sizeof *p->id_sample))) ka_oom(p, "the identities sampled");
}

void ka_suggest_free(ka_partition *p)
{
    free(p->id_sample);
    p->id_sample = NULL;
}

static void seen(struct ka_sampler *s, const uint8_t *name, size_t len, bool header, const uint8_t *v, size_t vlen)
{
    if (len == 0 || len >= sizeof s->c[0].name) return;
    candidate *c = NULL;
    for (size_t i = 0; i < s->n && !c; i++)
        if (s->c[i].header == header && strlen(s->c[i].name) == len && memcmp(s->c[i].name, name, len) == 0) c = &s->c[i];
    if (!c) {
        if (s->n == KA_CANDIDATES || s->records > 1) return; /* names of the first record only */
        c = &s->c[s->n++];
        memcpy(c->name, name, len);
        c->name[len] = '\0';
        c->header = header;
    }
    if (c->n < KA_SAMPLE) c->h[c->n++] = XXH3_64bits(v, vlen);
}

static int top_member(void *ctx, const kj_name *names, int depth, const kj_span *v)
{
    if (depth == 1 && !names[0].escaped && (v->kind == KJ_STRING || v->kind == KJ_NUMBER))
        seen(ctx, names[0].p, names[0].len, false, v->p, v->len);
    return 0;
}

void ka_suggest_record(ka_partition *p, const kb_record *r)
{
    struct ka_sampler *s = p->id_sample;
    if (s->records == KA_SAMPLE) return;
    s->records++;
    /* A member's name is part of the value: said only where values may be. */
    bool values = !(p->o->redact & KA_REDACT_VALUES);
    if (values && r->value && r->value_len > 1 && r->value[0] == '{') kj_leaves(r->value, (size_t)r->value_len, top_member, s);
    kcur c = kcur_make(r->headers, r->headers_len);
    kb_header h;
    while (kb_header_next(&c, &h))
        if (h.value && h.value_len > 0) seen(s, h.key, (size_t)h.key_len, true, h.value, (size_t)h.value_len);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* An identifier by its name: "id", "event_id", "eventId", "ID", "uuid",
 * "messageUuid". Only such names are suggested: in a small sample any
 * amount, price or counter can be unique by chance, and a report that
 * offers `amount_cents` as an event's identity is not read twice. */
static bool id_like(const char *n)
{
    static const char *const ends[] = { "id", "Id", "ID", "uuid", "Uuid", "UUID" };
    size_t k = strlen(n);
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t e = strlen(ends[i]);
        if (k >= e && strcmp(n + k - e, ends[i]) == 0) return true;
    }
    return false;
}

void ka_suggest_end(ka_partition *p)
{
    struct ka_sampler *s = p->id_sample;
    if (!s || s->records < KA_SAMPLE_MIN) return;
    for (size_t i = 0; i < s->n; i++) {
        candidate *c = &s->c[i];
        if ((int64_t)c->n != s->records) continue; /* not in every record */
        if (!id_like(c->name)) continue; /* volatile names too, unless they name an id (ce_id) */
        qsort(c->h, c->n, sizeof c->h[0], cmp_u64);
        size_t distinct = c->n ? 1 : 0;
        for (size_t k = 1; k < c->n; k++) distinct += c->h[k] != c->h[k - 1];
        if (distinct != c->n) continue;
        char re[600];
        size_t at = 0;
        for (const char *t = p->topic; *t && at + 3 < sizeof re; t++) {
            if (*t == '.') re[at++] = '\\';
            re[at++] = *t;
        }
        re[at] = '\0';
        char spec[128], option[800];
        snprintf(spec, sizeof spec, "%s%s", c->header ? "header:" : "json:$.", c->name);
        snprintf(option, sizeof option, "--identity '^%s$=%s'", re, spec);
        rm_partition_suggest(p->r, p->index, spec, option, s->records);
    }
}
