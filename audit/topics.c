/*
 * topics.c - the naming rules of topics: where repetition is normal by
 * design (docs/report.md), and which topics the coordinators write without
 * sequences (7.1).
 */
#include <stdbool.h>
#include <string.h>

#include "audit.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *ka_topic_repetition_rule(const char *topic)
{
    if (strncmp(topic, "__", 2) == 0) return "internal";
    if (strcmp(topic, "_schemas") == 0) return "schema-registry";
    if (ends_with(topic, "connect-configs") || ends_with(topic, "connect-offsets") || ends_with(topic, "connect-status"))
        return "connect";
    /* The most specific rule wins: Confluent's own Streams apps name their
     * internal topics _confluent-...-changelog / -repartition. */
    if (ends_with(topic, "-changelog")) return "streams-changelog";
    if (ends_with(topic, "-repartition")) return "streams-repartition";
    if (strncmp(topic, "_confluent", 10) == 0) return "confluent";
    return NULL;
}

bool ka_topic_coordinator(const char *topic)
{
    return strcmp(topic, "__consumer_offsets") == 0 || strcmp(topic, "__transaction_state") == 0 ||
           strcmp(topic, "__share_group_state") == 0;
}
