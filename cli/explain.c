/*
 * explain.c - `kaudit explain [TYPE...]`: what a finding type means and
 * what to check next, read from the one table of report/types.c (its
 * title, summary, each of its explanations, its fields), so that the
 * command says what every report says, by the same keys (a JSON finding's
 * explanation_key). Alone, the list of types.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report/model.h"
#include "report/types.h"
#include "suggest.h"

#define WIDTH 78 /* the column text is wrapped at */

static const char explain_usage[] =
    "Usage: kaudit explain [TYPE...]\n"
    "\n"
    "Say what a finding type means, which guarantee failed, what the broker does\n"
    "about it and what to check next; every way its findings read, and the\n"
    "fields they carry (the same words as the reports, from one table). Without\n"
    "TYPE, list every finding type with its title.\n"
    "\n"
    "Options:\n"
    "  -h, --help              this text\n";

/* `text` on stdout, wrapped at WIDTH columns, each line opened by `indent`
 * spaces (the first by `first` instead). */
static void wrap(const char *text, int first, int indent)
{
    int col = printf("%*s", first, "");
    bool fresh = true;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, " ");
        if (!fresh && col + 1 + (int)n > WIDTH) col = printf("\n%*s", indent, "") - 1, fresh = true;
        col += printf("%s%.*s", fresh ? "" : " ", (int)n, p);
        fresh = false;
        p += n;
        p += strspn(p, " ");
    }
    putchar('\n');
}

/* "info, warning or error": the severities a type may have. */
static void severities(const rt_type *t, char *out, size_t cap)
{
    size_t at = 0, n = 0, said = 0;
    out[0] = '\0';
    for (int s = RM_INFO; s <= RM_ERROR; s++) n += (t->severities >> s) & 1;
    for (int s = RM_ERROR; s >= RM_INFO; s--) {
        if (!((t->severities >> s) & 1)) continue;
        said++;
        int k = snprintf(out + at, cap - at, "%s%s", said == 1 ? "" : said == n ? " or " : ", ", rm_severity_name(s));
        if (k < 0 || (size_t)k >= cap - at) return;
        at += (size_t)k;
    }
}

static const char *kind_name(int kind)
{
    return kind == RM_STR ? "text" : kind == RM_BOOL ? "true or false" : "number";
}

/* Everything about type `id`: its title, severities and summary, each of
 * its explanations (by the key reports name it by, explanation_key, with
 * the message of the findings that read it), its fields. */
static void explain(int id)
{
    const rt_type *t = rt_type_of(id);
    char sev[64];
    severities(t, sev, sizeof sev);
    printf("%s: %s\nSeverity: %s\n\n", t->name, t->title, sev);
    wrap(t->summary, 2, 2);
    int n = rt_explanation_count(id);
    for (int k = 0; k < n; k++) {
        rt_explanation e = rt_explanation_of(id, k);
        bool again = false; /* variants that read the same share their key and words */
        for (int j = 0; j < k && !again; j++) again = strcmp(rt_explanation_of(id, j).key, e.key) == 0;
        if (again) continue;
        char head[600];
        if (!t->explain && k < t->nvariants) snprintf(head, sizeof head, "%s: \"%s\"", e.key, t->variants[k].message);
        else snprintf(head, sizeof head, "%s:", e.key);
        printf("\n");
        wrap(head, 0, 4);
        wrap(e.text, 2, 2);
    }
    printf("\n");
    wrap("Fields (besides id, topic, partition, path, offset, and producer_id and producer_epoch where they apply):",
         0, 0);
    for (const rt_field *f = t->fields; f->name; f++) {
        if (f->flags & RT_WORDS) continue;
        printf("  %-30s %s%s\n", f->name, kind_name(f->kind), f->flags & RT_ALWAYS ? "" : ", when it applies");
    }
}

int cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
    optind = 1;
    opterr = 0; /* a mistake is said in one line (suggest.h) */
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h') return write_stdout("kaudit explain", explain_usage);
        sg_option_error("kaudit explain", c, opts, argv);
        return EXIT_USAGE;
    }
    const char *names[RT_COUNT];
    for (int i = 0; i < RT_COUNT; i++) names[i] = rt_type_of(i)->name;
    /* Every name first: an unknown one prints nothing else. */
    for (int i = optind; i < argc; i++) {
        if (rt_find(argv[i]) >= 0) continue;
        sg_value_error("kaudit explain", "unknown finding type", argv[i], names, RT_COUNT,
                       "; run 'kaudit explain' for the list");
        return EXIT_USAGE;
    }
    if (optind == argc) {
        printf("Finding types (kaudit explain TYPE says what one means and what to check next):\n\n");
        for (int i = 0; i < RT_COUNT; i++) printf("  %-33s %s\n", names[i], rt_type_of(i)->title);
        return EXIT_CLEAN;
    }
    for (int i = optind; i < argc; i++) {
        if (i > optind) printf("\n");
        explain(rt_find(argv[i]));
    }
    return EXIT_CLEAN;
}
