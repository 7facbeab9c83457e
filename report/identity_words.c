/*
 * identity_words.c - the message of an `identity_duplicate` or
 * `identity_collision` finding (types.h) from its fields: which identity
 * repeats, where its first copy is, and how the copies differ. What the
 * fields mean is the engine's (engine/identity.h, docs/report.md
 * "Duplicates by identity").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "types.h"

int rt_identity_words(const rm_finding *f, char **message);

static const rm_field *field(const rm_finding *f, const char *key)
{
    for (int i = 0; i < f->nfields; i++)
        if (strcmp(f->fields[i].key, key) == 0) return &f->fields[i];
    return NULL;
}

static const char *str_of(const rm_finding *f, const char *key, const char *none)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_STR && x->s ? x->s : none;
}

static int64_t int_of(const rm_finding *f, const char *key)
{
    const rm_field *x = field(f, key);
    return x && x->kind == RM_INT ? x->i : -1;
}

int rt_identity_words(const rm_finding *f, char **message)
{
    const rm_field *dt = field(f, "time_distance_ms"), *diff = field(f, "differs_in");
    char when[64] = "", how[600];
    if (dt && dt->kind == RM_INT) snprintf(when, sizeof when, ", %" PRId64 " ms later", dt->i);
    if (!diff) snprintf(how, sizeof how, "content differs (not compared field by field)");
    else if (!diff->s || !diff->s[0]) snprintf(how, sizeof how, "identical content");
    else snprintf(how, sizeof how, "differs in: %s", diff->s);
    int n = asprintf(message, "record at offset %" PRId64 " has the same %s %s as partition %" PRId64 " offset %" PRId64
                              "%s (copy %" PRId64 " of %" PRId64 "); %s (%s)",
                     f->offset, str_of(f, "identity_spec", "identity"), str_of(f, "identity", "?"),
                     int_of(f, "original_partition"), int_of(f, "original_offset"), when, int_of(f, "copy"),
                     int_of(f, "copies"), how, str_of(f, "class", "?"));
    if (n < 0) *message = NULL;
    return n < 0 ? -1 : 0;
}
