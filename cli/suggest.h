/*
 * suggest.h - what the user meant: the nearest of a list of words by edit
 * distance, and the one-line usage errors every command prints with it (an
 * unknown command or option, an option without its value or with a value
 * it does not take, a value that is not one of an option's words).
 *
 * Owns nothing and allocates nothing. sg_distance, sg_nearest and the
 * sg_*_message functions print nothing (tests/test_suggest.c checks them);
 * sg_option_error and sg_value_error write their one line to stderr, what
 * was typed in report/escape.h's text form. Commands parse with
 * getopt_long, opterr = 0 and an option string that starts with ':', so
 * that getopt's own messages never print and a missing value is told from
 * an unknown option.
 */
#ifndef KAUDIT_CLI_SUGGEST_H
#define KAUDIT_CLI_SUGGEST_H

#include <getopt.h>
#include <stddef.h>

/* Words longer than this are compared by their first SG_MAX_WORD bytes. */
#define SG_MAX_WORD 64

/*
 * The optimal string alignment distance between a and b (Damerau-
 * Levenshtein where no substring is edited twice), ASCII case ignored:
 * inserting, deleting or replacing a character, or swapping two adjacent
 * ones, costs 1 each ("jbos" to "jobs" is 1, "adit" to "audit" 1).
 */
size_t sg_distance(const char *a, const char *b);

/*
 * The word of words[0..n) that `typed` most likely meant: the nearest by
 * sg_distance when that distance is at most a third of typed's length (at
 * least 1), the first in the list among equals; else, for a `typed` of 2
 * characters or more, the only word it begins ("warn": "warning"), the
 * longest word it begins with ("jsonline": "jsonl"), or the word whose
 * beginning is that near ("open_txn": "open_transaction"); else NULL.
 */
const char *sg_nearest(const char *typed, const char *const *words, size_t n);

/*
 * The line (no newline) saying what was wrong after getopt_long returned
 * `c`, '?' or ':', for command `who` ("kaudit audit") with options `opts`:
 * `opt` is getopt's optopt and `word` the argument it stopped at
 * (argv[optind - 1]). Into out[0..cap), cut to fit:
 *   "<who>: unknown option --jbos (did you mean --jobs?); run '<who> --help'"
 *   "<who>: option --dup is ambiguous: --dup-topics or --dup-window; run ..."
 *   "<who>: --format needs a value; run '<who> --help'"
 *   "<who>: --no-cache takes no value; run '<who> --help'"
 * Returns out.
 */
char *sg_option_message(char *out, size_t cap, const char *who, int c, int opt, const char *word,
                        const struct option *opts);

/* sg_option_message for getopt's state (optopt, argv[optind - 1]),
 * written to stderr. */
void sg_option_error(const char *who, int c, const struct option *opts, char *const *argv);

/*
 * "<who>: <msg>: <arg>" and, when one of words[0..n) is near arg
 * (sg_nearest), " (did you mean <word>?)"; then `hint` when not NULL
 * ("; run 'kaudit explain' for the list"). Into out[0..cap), cut to fit.
 * Returns out.
 */
char *sg_value_message(char *out, size_t cap, const char *who, const char *msg, const char *arg,
                       const char *const *words, size_t n, const char *hint);

/* sg_value_message written to stderr. */
void sg_value_error(const char *who, const char *msg, const char *arg, const char *const *words, size_t n,
                    const char *hint);

#endif
