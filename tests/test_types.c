/*
 * test_types.c - one place defines each finding type (report/types.c); the
 * JSON Schema (docs/report.schema.json) and the finding table of
 * docs/report.md must say the same: the same names, per type the same
 * fields every finding carries, and the same severities. Each type's
 * explanations (the words its findings share, written once per report) are
 * named apart and match the schema's key pattern. Run from the repository
 * root.
 */
#include "kt.h"

#include <cjson/cJSON.h>

#include "report/model.h"
#include "report/types.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) break;
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    return buf;
}

static bool in_array(const cJSON *arr, const char *s)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0) return true;
    return false;
}

/* The schema's finding-type enum is the table's names, in its order. */
static void test_schema_names(const cJSON *schema)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "$defs"), "finding_type"), "enum");
    KT_REQUIRE(cJSON_IsArray(e));
    KT_EQ_INT(cJSON_GetArraySize(e), RT_COUNT);
    for (int t = 0; t < RT_COUNT && t < cJSON_GetArraySize(e); t++)
        KT_EQ_STR(cJSON_GetArrayItem(e, t)->valuestring, rt_type_of(t)->name);
}

/* The fields the schema requires of every finding of type `name`: the
 * union of its allOf rules that test the type alone. */
static void required_of(const cJSON *all_of, const char *name, const cJSON **req, int *rules)
{
    *req = NULL;
    *rules = 0;
    const cJSON *rule;
    cJSON_ArrayForEach(rule, all_of)
    {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rule, "if"), "properties");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(props, "type");
        if (!type || cJSON_GetArraySize(props) != 1) continue; /* a rule on more than the type (a class) */
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(type, "const");
        bool mine = c ? strcmp(c->valuestring, name) == 0 : in_array(cJSON_GetObjectItemCaseSensitive(type, "enum"), name);
        if (!mine) continue;
        (*rules)++;
        *req = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rule, "then"), "required");
    }
}

/* Per type, the schema requires exactly the fields the table says every
 * finding of it carries (RT_ALWAYS, rendered). */
static void test_schema_fields(const cJSON *schema)
{
    const cJSON *finding = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(schema, "$defs"), "finding");
    const cJSON *all_of = cJSON_GetObjectItemCaseSensitive(finding, "allOf");
    KT_REQUIRE(cJSON_IsArray(all_of));
    for (int t = 0; t < RT_COUNT; t++) {
        const rt_type *ty = rt_type_of(t);
        const cJSON *req;
        int rules;
        required_of(all_of, ty->name, &req, &rules);
        KT_EQ_INT(rules, 1);
        int want = 0;
        for (const rt_field *f = ty->fields; f->name; f++) {
            if (!(f->flags & RT_ALWAYS) || (f->flags & RT_WORDS)) continue;
            want++;
            if (!in_array(req, f->name)) fprintf(stderr, "  %s: the schema does not require %s\n", ty->name, f->name);
            KT_CHECK(in_array(req, f->name));
        }
        KT_EQ_INT(cJSON_GetArraySize(req), want);
        const cJSON *x;
        cJSON_ArrayForEach(x, req)
        {
            const rt_field *f = rt_field_of(t, x->valuestring);
            if (!f) fprintf(stderr, "  %s: the schema requires %s, which the type has not\n", ty->name, x->valuestring);
            KT_CHECK(f != NULL && (f->flags & RT_ALWAYS) && !(f->flags & RT_WORDS));
        }
    }
}

/* docs/report.md's finding table: one row per type, in the table's order,
 * naming each severity the type may have in its severity cell. */
static void test_docs(void)
{
    char *md = slurp("docs/report.md");
    KT_REQUIRE(md != NULL);
    const char *at = strstr(md, "## Finding types");
    KT_REQUIRE(at != NULL);
    const char *end = strstr(at + 1, "\n#"); /* the table ends before the next heading */
    int t = 0;
    for (const char *row = strstr(at, "\n| `"); row && (!end || row < end); row = strstr(row + 1, "\n| `")) {
        const char *name = row + 4, *close = strchr(name, '`');
        KT_REQUIRE(close != NULL);
        const char *cell = strstr(close, "| "), *cell_end = cell ? strstr(cell + 2, " |") : NULL;
        KT_REQUIRE(cell != NULL && cell_end != NULL);
        KT_REQUIRE(t < RT_COUNT);
        const rt_type *ty = rt_type_of(t);
        bool same = (size_t)(close - name) == strlen(ty->name) && strncmp(name, ty->name, strlen(ty->name)) == 0;
        if (!same)
            fprintf(stderr, "  docs/report.md row %d is `%.*s`, the table's type %d is %s\n", t + 1, (int)(close - name),
                    name, t, ty->name);
        KT_CHECK(same);
        t++;
        for (int s = RM_INFO; s <= RM_ERROR; s++) {
            if (!(ty->severities & (1u << s))) continue;
            const char *word = rm_severity_name(s);
            bool said = false;
            for (const char *p = cell; p && p < cell_end && !said; p = strstr(p + 1, word)) said = strncmp(p, word, strlen(word)) == 0;
            if (!said) fprintf(stderr, "  docs/report.md: %s may be %s, its row does not say so\n", ty->name, word);
            KT_CHECK(said);
        }
    }
    KT_EQ_INT(t, RT_COUNT);
    free(md);
}

/* Every explanation has words and a key: "type" or "type.name", unique
 * across types; two of one type share a key only with the same words. */
static void test_explanations(void)
{
    const char *keys[RT_COUNT * RT_MAX_EXPLANATIONS];
    const char *texts[RT_COUNT * RT_MAX_EXPLANATIONS];
    int owner[RT_COUNT * RT_MAX_EXPLANATIONS], n = 0;
    for (int t = 0; t < RT_COUNT; t++) {
        const rt_type *ty = rt_type_of(t);
        int count = rt_explanation_count(t);
        KT_CHECK(count >= 1 && count <= RT_MAX_EXPLANATIONS);
        for (int k = 0; k < count; k++) {
            rt_explanation e = rt_explanation_of(t, k);
            KT_REQUIRE(e.key != NULL && e.text != NULL);
            KT_CHECK(e.text[0] != '\0' && e.text[strlen(e.text) - 1] != ' ');
            size_t len = strlen(ty->name);
            bool named = strncmp(e.key, ty->name, len) == 0 && (e.key[len] == '\0' || e.key[len] == '.');
            if (!named) fprintf(stderr, "  %s: explanation key %s is not \"%s\" or \"%s.NAME\"\n", ty->name, e.key,
                                ty->name, ty->name);
            KT_CHECK(named);
            for (const char *c = e.key + len + (e.key[len] == '.'); *c; c++) KT_CHECK((*c >= 'a' && *c <= 'z') || *c == '_');
            for (int j = 0; j < n; j++) {
                if (strcmp(keys[j], e.key) != 0) continue;
                if (owner[j] != t || strcmp(texts[j], e.text) != 0)
                    fprintf(stderr, "  explanation key %s names two different texts\n", e.key);
                KT_CHECK(owner[j] == t && strcmp(texts[j], e.text) == 0);
            }
            keys[n] = e.key, texts[n] = e.text, owner[n++] = t;
        }
    }
}

static cJSON *schema;

static void test_schema(void)
{
    char *text = slurp("docs/report.schema.json");
    schema = text ? cJSON_Parse(text) : NULL;
    free(text);
    KT_REQUIRE(schema != NULL); /* run from the repository root */
    test_schema_names(schema);
    test_schema_fields(schema);
    cJSON_Delete(schema);
}

int main(void)
{
    KT_RUN(test_schema);
    KT_RUN(test_docs);
    KT_RUN(test_explanations);
    return kt_done();
}
