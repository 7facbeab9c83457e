/*
 * test_decode.c - internal-topic decoders (reader/decode) against truth from
 * outside kaudit:
 *   (a) real records of broker data directories in ../shared/corpus, with
 *       the expected values read beforehand by kafka-python 2.0.2
 *       (kafka.record.default_records.DefaultRecordBatch for the batches,
 *       kafka.protocol.types Schemas and kafka.coordinator.protocol for the
 *       non-flexible messages) or by the broker itself (partition.metadata
 *       topic ids, meta.properties node and directory ids);
 *   (b) vectors for versions missing from the corpus, encoded by
 *       kafka-python's protocol types (the Python is quoted above each) or,
 *       for flexible versions kafka-python cannot write, byte by byte with
 *       the layout of formats doc 9 and the Kafka JSON schemas, commented;
 *   (c) corrupt inputs: every strict prefix of every good vector, byte
 *       mutations, absurd lengths and counts, invalid UTF-8.
 * Run from the repository root (the corpus path is relative to it).
 */
#include "kt.h"
#include "reader/cursor.h"
#include "reader/decode.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CORPUS "../shared/corpus/"

/* ------------------------------------------------------------------------ */
/* Helpers: files, hex, JSON paths                                           */
/* ------------------------------------------------------------------------ */

/* Hex digits (spaces ignored) into a new buffer; *n its length. */
static uint8_t *unhex(const char *hex, int32_t *n)
{
    size_t len = strlen(hex);
    uint8_t *out = malloc(len / 2 + 1);
    int32_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < len; i++) {
        char ch = hex[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
        if (d < 0) continue;
        if (hi < 0) hi = d;
        else {
            out[o++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    *n = o;
    return out;
}

/* Member at a dotted path ("data.members.0.clientId"); numbers index arrays. */
static const cJSON *jget(const cJSON *j, const char *path)
{
    char part[128];
    while (j && *path) {
        size_t k = strcspn(path, ".");
        if (k >= sizeof part) return NULL;
        memcpy(part, path, k);
        part[k] = '\0';
        path += k + (path[k] == '.');
        if (cJSON_IsArray(j) && part[0] >= '0' && part[0] <= '9')
            j = cJSON_GetArrayItem(j, atoi(part));
        else
            j = cJSON_GetObjectItemCaseSensitive(j, part);
    }
    return j;
}

static const char *jstr(const cJSON *j, const char *path)
{
    const cJSON *v = jget(j, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer member: a number, or a raw item holding digits (int64). */
static long long jint(const cJSON *j, const char *path)
{
    const cJSON *v = jget(j, path);
    if (cJSON_IsNumber(v)) return (long long)v->valuedouble;
    if (cJSON_IsRaw(v)) return strtoll(v->valuestring, NULL, 10);
    return -999999999;
}

static bool jnull(const cJSON *j, const char *path) { return cJSON_IsNull(jget(j, path)); }
static int jsize(const cJSON *j, const char *path) { return cJSON_GetArraySize(jget(j, path)); }

/* The tree prints to text that parses back: valid JSON. */
static bool json_roundtrips(const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    if (!s) return false;
    cJSON *back = cJSON_Parse(s);
    bool ok = back != NULL;
    cJSON_Delete(back);
    free(s);
    return ok;
}

/* First "key=" / "key: " value of a properties-style file, or "" . */
static void file_prop(const char *path, const char *key, char *out, size_t cap)
{
    size_t n;
    char *s = (char *)kt_slurp(path, &n);
    out[0] = '\0';
    if (!s) return;
    size_t kl = strlen(key);
    for (char *line = s; line < s + n;) {
        char *end = memchr(line, '\n', (size_t)(s + n - line));
        size_t ll = end ? (size_t)(end - line) : (size_t)(s + n - line);
        if (ll > kl && memcmp(line, key, kl) == 0) {
            size_t vl = ll - kl < cap - 1 ? ll - kl : cap - 1;
            memcpy(out, line + kl, vl);
            out[vl] = '\0';
            break;
        }
        line += ll + 1;
    }
    free(s);
}

/* ------------------------------------------------------------------------ */
/* A minimal walk of uncompressed v2 batches (test-only)                     */
/* ------------------------------------------------------------------------ */

/*
 * The real batch reader is written elsewhere; these tests only need the key
 * and value bytes of records in uncompressed v2 batches (the internal topics
 * are never compressed; checked with xxd: attributes low bits 0). Layout from
 * formats doc 1.3 and 1.6: baseOffset int64 @0, batchLength int32 @8, magic
 * int8 @16, attributes int16 @21 (bit 5 control), recordsCount int32 @57,
 * records from @61. A record: varint length, int8 attributes, varlong
 * timestampDelta, varint offsetDelta, varint keyLength + key, varint
 * valueLength + value, varint headerCount + headers. No CRC check here.
 */
typedef struct tw_rec {
    int64_t offset;
    bool control;
    const uint8_t *key;
    int32_t key_len; /* -1: null */
    const uint8_t *val;
    int32_t val_len; /* -1: null */
} tw_rec;

typedef void (*tw_fn)(const tw_rec *r, void *arg);

/* Records visited, or -1 when the file is not what this walk understands. */
static int tw_walk(const uint8_t *buf, size_t n, tw_fn fn, void *arg)
{
    kcur file = kcur_make(buf, n);
    int count = 0;
    while (kcur_left(&file) >= 61) {
        kcur h = file;
        int64_t base;
        int32_t blen, nrec;
        int16_t attrs;
        uint8_t magic;
        if (!kcur_i64(&h, &base) || !kcur_i32(&h, &blen) || blen < 49 ||
            (size_t)blen + 12 > kcur_left(&file))
            break; /* partial tail */
        kcur b = kcur_make(file.p, (size_t)blen + 12);
        kcur_skip(&file, (size_t)blen + 12);
        if (!kcur_skip(&h, 4) || !kcur_u8(&h, &magic) || magic != 2) return -1;
        if (!kcur_skip(&h, 4) || !kcur_i16(&h, &attrs) || (attrs & 7) != 0) return -1;
        if (!kcur_skip(&h, 57 - 23) || !kcur_i32(&h, &nrec)) return -1;
        kcur_skip(&b, 61);
        for (int32_t i = 0; i < nrec; i++) {
            int32_t len, odelta, klen, vlen, nh;
            int64_t tsd;
            int8_t ra;
            tw_rec r = { 0 };
            if (!kcur_varint(&b, &len) || len < 0 || (size_t)len > kcur_left(&b)) return -1;
            kcur rc = kcur_make(b.p, (size_t)len);
            kcur_skip(&b, (size_t)len);
            if (!kcur_i8(&rc, &ra) || !kcur_varlong(&rc, &tsd) || !kcur_varint(&rc, &odelta)) return -1;
            if (!kcur_varint(&rc, &klen)) return -1;
            if (klen >= 0 && !kcur_bytes(&rc, (size_t)klen, &r.key)) return -1;
            if (!kcur_varint(&rc, &vlen)) return -1;
            if (vlen >= 0 && !kcur_bytes(&rc, (size_t)vlen, &r.val)) return -1;
            if (!kcur_varint(&rc, &nh) || nh < 0) return -1;
            r.offset = base + odelta;
            r.control = (attrs & 0x20) != 0;
            r.key_len = klen < 0 ? -1 : klen;
            r.val_len = vlen < 0 ? -1 : vlen;
            fn(&r, arg);
            count++;
        }
    }
    return count;
}

/* ------------------------------------------------------------------------ */
/* Decoding whole files                                                      */
/* ------------------------------------------------------------------------ */

typedef enum { K_OFFSETS, K_TXN, K_META, K_CONTROL } topic_kind; /* K_CONTROL: control records only */

#define MAX_WANT 8
#define MAX_NAMES 48

typedef struct visit {
    topic_kind kind;
    int records, errors, bad_json;
    char first_error[300];
    int64_t want[MAX_WANT]; /* offsets whose JSON is kept */
    int nwant;
    cJSON *key[MAX_WANT], *val[MAX_WANT];
    struct { char name[64]; int n; } names[MAX_NAMES]; /* record type name -> count */
    int nnames;
    cJSON *topics; /* K_META: {"<topic name>": "<topicId>"} of every TopicRecord */
} visit;

static void count_name(visit *v, const char *name)
{
    for (int i = 0; i < v->nnames; i++)
        if (strcmp(v->names[i].name, name) == 0) {
            v->names[i].n++;
            return;
        }
    if (v->nnames < MAX_NAMES) {
        snprintf(v->names[v->nnames].name, sizeof v->names[0].name, "%s", name);
        v->names[v->nnames++].n = 1;
    }
}

static int name_count(const visit *v, const char *name)
{
    for (int i = 0; i < v->nnames; i++)
        if (strcmp(v->names[i].name, name) == 0) return v->names[i].n;
    return 0;
}

static void note_error(visit *v, const tw_rec *r, const char *what, const ke_error *e)
{
    if (v->errors++ == 0)
        snprintf(v->first_error, sizeof v->first_error, "offset %lld %s: %s at %lld: %s",
                 (long long)r->offset, what, ke_strerror(e->code), (long long)e->pos, e->msg);
}

static void visit_record(const tw_rec *r, void *arg)
{
    visit *v = arg;
    ke_error e;
    ke_clear(&e);
    cJSON *k = NULL, *val = NULL;
    v->records++;
    if (r->control) {
        /* Control key: int16 version, int16 type (formats doc 3). */
        kcur kc = kcur_make(r->key, r->key_len > 0 ? (size_t)r->key_len : 0);
        int16_t kv, type = -1;
        if (!kcur_i16(&kc, &kv) || !kcur_i16(&kc, &type)) type = -1;
        val = kd_control_value(type, r->val, r->val_len, &e);
        if (!val) note_error(v, r, "control value", &e);
        char name[16];
        snprintf(name, sizeof name, "CTL%d", type);
        count_name(v, name);
    } else if (v->kind == K_CONTROL) {
        return; /* a data record of a user topic: not decoded here */
    } else if (v->kind == K_OFFSETS) {
        k = kd_offsets_key(r->key, r->key_len, &e);
        if (!k) note_error(v, r, "key", &e);
        val = kd_offsets_value(r->key, r->key_len, r->val, r->val_len, &e);
        if (!val) note_error(v, r, "value", &e);
        if (k) count_name(v, jstr(k, "name"));
    } else if (v->kind == K_TXN) {
        k = kd_txn_key(r->key, r->key_len, &e);
        if (!k) note_error(v, r, "key", &e);
        val = kd_txn_value(r->val, r->val_len, &e);
        if (!val) note_error(v, r, "value", &e);
    } else {
        val = kd_metadata_value(r->val, r->val_len, &e);
        if (!val) note_error(v, r, "value", &e);
        if (val) {
            char name[64];
            snprintf(name, sizeof name, "%s/%lld", jstr(val, "type"), jint(val, "version"));
            count_name(v, jstr(val, "type"));
            count_name(v, name);
            if (v->topics && strcmp(jstr(val, "type"), "TopicRecord") == 0) {
                cJSON_DeleteItemFromObjectCaseSensitive(v->topics, jstr(val, "data.name"));
                cJSON_AddStringToObject(v->topics, jstr(val, "data.name"), jstr(val, "data.topicId"));
            }
        }
    }
    if ((k && !json_roundtrips(k)) || (val && !json_roundtrips(val))) v->bad_json++;
    for (int i = 0; i < v->nwant; i++)
        if (v->want[i] == r->offset && !v->key[i] && !v->val[i]) {
            v->key[i] = k;
            v->val[i] = val;
            k = val = NULL;
        }
    cJSON_Delete(k);
    cJSON_Delete(val);
}

/* Decode every record of one corpus file; -1 when it cannot be read. */
static int walk_file(const char *rel, visit *v)
{
    char path[512];
    size_t n;
    snprintf(path, sizeof path, CORPUS "%s", rel);
    uint8_t *buf = kt_slurp(path, &n);
    if (!buf) {
        fprintf(stderr, "  cannot read %s\n", path);
        return -1;
    }
    int rc = tw_walk(buf, n, visit_record, v);
    free(buf);
    if (v->errors) fprintf(stderr, "  %s: %d errors, first: %s\n", rel, v->errors, v->first_error);
    return rc;
}

static void visit_free(visit *v)
{
    for (int i = 0; i < v->nwant; i++) {
        cJSON_Delete(v->key[i]);
        cJSON_Delete(v->val[i]);
    }
    cJSON_Delete(v->topics);
}

/* ------------------------------------------------------------------------ */
/* (a) __consumer_offsets from real brokers                                  */
/* ------------------------------------------------------------------------ */

/*
 * William0423__kafka (Kafka 1.x/2.0, 2018): 1 GroupMetadata (value v2) then
 * 8201 OffsetCommit keys v1 with values v2. Truth from kafka-python:
 * offset 0 group "debug-consumer-group", protocol "range", one member
 * subscribing to ["debug_topic"] with userData b'' and assigned partition 0;
 * offset 1 offset 20, metadata "", commitTimestamp 1534299390704;
 * offset 8201 (the last) offset 40, commitTimestamp 1534312623113.
 */
static void test_offsets_william(void)
{
    visit v = { .kind = K_OFFSETS, .want = { 0, 1, 8201 }, .nwant = 3 };
    KT_EQ_INT(walk_file("William0423__kafka/kafka-logs/__consumer_offsets-28/00000000000000000000.log", &v), 8202);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_INT(v.bad_json, 0);
    KT_EQ_INT(name_count(&v, "OffsetCommit"), 8201);
    KT_EQ_INT(name_count(&v, "GroupMetadata"), 1);

    const cJSON *k = v.key[0], *g = v.val[0];
    KT_EQ_STR(jstr(k, "type"), "2");
    KT_EQ_STR(jstr(k, "data.group"), "debug-consumer-group");
    KT_EQ_STR(jstr(g, "version"), "2");
    KT_EQ_STR(jstr(g, "data.protocolType"), "consumer");
    KT_EQ_INT(jint(g, "data.generation"), 1);
    KT_EQ_STR(jstr(g, "data.protocol"), "range");
    KT_EQ_STR(jstr(g, "data.leader"), "consumer-1-61400dcb-1b93-4b4e-8891-5ae75e419305");
    KT_EQ_INT(jint(g, "data.currentStateTimestamp"), 1534299389537LL);
    KT_EQ_INT(jsize(g, "data.members"), 1);
    KT_EQ_STR(jstr(g, "data.members.0.memberId"), "consumer-1-61400dcb-1b93-4b4e-8891-5ae75e419305");
    KT_EQ_STR(jstr(g, "data.members.0.clientId"), "consumer-1");
    KT_EQ_STR(jstr(g, "data.members.0.clientHost"), "/127.0.0.1");
    KT_EQ_INT(jint(g, "data.members.0.rebalanceTimeout"), 300000);
    KT_EQ_INT(jint(g, "data.members.0.sessionTimeout"), 10000);
    KT_EQ_INT(jint(g, "data.members.0.subscription.version"), 0);
    KT_EQ_STR(jstr(g, "data.members.0.subscription.topics.0"), "debug_topic");
    KT_EQ_STR(jstr(g, "data.members.0.subscription.userData"), ""); /* empty, not null */
    KT_EQ_STR(jstr(g, "data.members.0.assignment.assignedPartitions.0.topic"), "debug_topic");
    KT_EQ_INT(jint(g, "data.members.0.assignment.assignedPartitions.0.partitions.0"), 0);

    KT_EQ_STR(jstr(v.key[1], "type"), "1");
    KT_EQ_STR(jstr(v.key[1], "name"), "OffsetCommit");
    KT_EQ_STR(jstr(v.key[1], "data.group"), "debug-consumer-group");
    KT_EQ_STR(jstr(v.key[1], "data.topic"), "debug_topic");
    KT_EQ_INT(jint(v.key[1], "data.partition"), 0);
    KT_EQ_STR(jstr(v.val[1], "version"), "2");
    KT_EQ_INT(jint(v.val[1], "data.offset"), 20);
    KT_EQ_STR(jstr(v.val[1], "data.metadata"), "");
    KT_EQ_INT(jint(v.val[1], "data.commitTimestamp"), 1534299390704LL);
    KT_CHECK(jget(v.val[1], "data.leaderEpoch") == NULL);     /* v3+ only */
    KT_CHECK(jget(v.val[1], "data.expireTimestamp") == NULL); /* v1 only */
    KT_EQ_INT(jint(v.val[2], "data.offset"), 40);
    KT_EQ_INT(jint(v.val[2], "data.commitTimestamp"), 1534312623113LL);
    visit_free(&v);
}

/*
 * DonaldY__kafka-2.7.1 (Kafka 2.7.1, log cleaner ran): offset 4 is a
 * GroupMetadata tombstone of "console-consumer-52588"; offset 16 an
 * OffsetCommit value v3 (offset 9, leaderEpoch -1, commitTimestamp
 * 1685814551579) for test_topic_0603-0; offset 17 GroupMetadata v3 of an
 * empty group (generation 6, protocol and leader null, timestamp
 * 1685814551582). The next segment holds two tombstones (offsets 18, 19).
 */
static void test_offsets_donaldy(void)
{
    visit v = { .kind = K_OFFSETS, .want = { 4, 16, 17 }, .nwant = 3 };
    KT_EQ_INT(walk_file("DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-39/00000000000000000000.log", &v), 3);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_STR(jstr(v.key[0], "data.group"), "console-consumer-52588");
    KT_CHECK(cJSON_IsTrue(jget(v.val[0], "tombstone")));
    KT_EQ_STR(jstr(v.key[1], "data.group"), "console-consumer-65070");
    KT_EQ_STR(jstr(v.key[1], "data.topic"), "test_topic_0603");
    KT_EQ_STR(jstr(v.val[1], "version"), "3");
    KT_EQ_INT(jint(v.val[1], "data.offset"), 9);
    KT_EQ_INT(jint(v.val[1], "data.leaderEpoch"), -1);
    KT_EQ_INT(jint(v.val[1], "data.commitTimestamp"), 1685814551579LL);
    KT_EQ_INT(jint(v.val[2], "data.generation"), 6);
    KT_CHECK(jnull(v.val[2], "data.protocol"));
    KT_CHECK(jnull(v.val[2], "data.leader"));
    KT_EQ_INT(jint(v.val[2], "data.currentStateTimestamp"), 1685814551582LL);
    KT_EQ_INT(jsize(v.val[2], "data.members"), 0);
    visit_free(&v);

    visit t = { .kind = K_OFFSETS, .want = { 18, 19 }, .nwant = 2 };
    KT_EQ_INT(walk_file("DonaldY__kafka-2.7.1/kafka-logs/__consumer_offsets-39/00000000000000000018.log", &t), 2);
    KT_EQ_INT(t.errors, 0);
    KT_EQ_STR(jstr(t.key[0], "data.topic"), "test_topic_0603");
    KT_CHECK(cJSON_IsTrue(jget(t.val[0], "tombstone")));
    KT_EQ_STR(jstr(t.key[1], "name"), "GroupMetadata");
    KT_CHECK(cJSON_IsTrue(jget(t.val[1], "tombstone")));
    visit_free(&t);
}

/*
 * anchor123__kafka: GroupMetadataValue v1 written for a kafka-node client
 * (subscription v0 with userData null), OffsetCommitValue v1 with
 * expireTimestamp: offset 8, metadata "m", 1609247705499 / 1609334105499.
 */
static void test_offsets_anchor(void)
{
    visit v = { .kind = K_OFFSETS, .want = { 0, 1 }, .nwant = 2 };
    KT_EQ_INT(walk_file("anchor123__kafka/tmp/kafka-logs/__consumer_offsets-20/00000000000000000000.log", &v), 3);
    KT_EQ_INT(v.errors, 0);
    const cJSON *g = v.val[0];
    KT_EQ_STR(jstr(g, "version"), "1");
    KT_EQ_STR(jstr(g, "data.protocol"), "roundrobin");
    KT_CHECK(jget(g, "data.currentStateTimestamp") == NULL); /* v2+ only */
    KT_EQ_INT(jint(g, "data.members.0.rebalanceTimeout"), 30000);
    KT_EQ_INT(jint(g, "data.members.0.sessionTimeout"), 30000);
    KT_CHECK(jget(g, "data.members.0.groupInstanceId") == NULL); /* v3+ only */
    KT_EQ_STR(jstr(g, "data.members.0.subscription.topics.0"), "test");
    KT_CHECK(jnull(g, "data.members.0.subscription.userData"));
    KT_EQ_STR(jstr(g, "data.members.0.assignment.assignedPartitions.0.topic"), "test");
    KT_EQ_STR(jstr(v.val[1], "version"), "1");
    KT_EQ_INT(jint(v.val[1], "data.offset"), 8);
    KT_EQ_STR(jstr(v.val[1], "data.metadata"), "m");
    KT_EQ_INT(jint(v.val[1], "data.commitTimestamp"), 1609247705499LL);
    KT_EQ_INT(jint(v.val[1], "data.expireTimestamp"), 1609334105499LL);
    visit_free(&v);
}

/*
 * mscaldas2012__kafka-connect-spooldir: Schema Registry's group (protocolType
 * "sr"): member blobs are not ConsumerProtocol and stay base64; expected
 * strings from Python's base64 module over kafka-python's decoded bytes.
 * DanielMorales9__kafkafun: GroupMetadataValue v3 (groupInstanceId null),
 * subscription v1 with ownedPartitions [].
 */
static void test_offsets_other_protocols(void)
{
    visit v = { .kind = K_OFFSETS, .want = { 0 }, .nwant = 1 };
    KT_CHECK(walk_file("mscaldas2012__kafka-connect-spooldir/kafka-data/__consumer_offsets-29/00000000000000000000.log", &v) > 0);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_STR(jstr(v.val[0], "data.protocolType"), "sr");
    KT_EQ_STR(jstr(v.val[0], "data.members.0.subscription"),
              "eyJob3N0Ijoic2NoZW1hLXJlZ2lzdHJ5IiwicG9ydCI6ODA4MSwibWFzdGVyX2VsaWdpYmlsaXR5Ijp0cnVlLCJzY2hl"
              "bWUiOiJodHRwIiwidmVyc2lvbiI6MX0=");
    KT_EQ_STR(jstr(v.val[0], "data.members.0.assignment"),
              "eyJlcnJvciI6MCwibWFzdGVyIjoic3ItMS04ZmQyNDZkMy05ZGNjLTRiY2UtOGE3Yi03NjczN2Q4NDYwODkiLCJtYXN0"
              "ZXJfaWRlbnRpdHkiOnsiaG9zdCI6InNjaGVtYS1yZWdpc3RyeSIsInBvcnQiOjgwODEsIm1hc3Rlcl9lbGlnaWJpbGl0"
              "eSI6dHJ1ZSwic2NoZW1lIjoiaHR0cCIsInZlcnNpb24iOjF9LCJ2ZXJzaW9uIjoxfQ==");
    visit_free(&v);

    visit d = { .kind = K_OFFSETS, .want = { 0 }, .nwant = 1 };
    KT_CHECK(walk_file("DanielMorales9__kafkafun/data/kafka/__consumer_offsets-13/00000000000000000000.log", &d) > 200);
    KT_EQ_INT(d.errors, 0);
    KT_EQ_INT(d.bad_json, 0);
    const cJSON *g = d.val[0];
    KT_EQ_STR(jstr(g, "version"), "3");
    KT_CHECK(jnull(g, "data.members.0.groupInstanceId"));
    KT_EQ_STR(jstr(g, "data.members.0.clientId"), "consumer-my-first-app-1");
    KT_EQ_INT(jint(g, "data.members.0.subscription.version"), 1);
    KT_EQ_STR(jstr(g, "data.members.0.subscription.topics.0"), "first");
    KT_EQ_INT(jsize(g, "data.members.0.subscription.ownedPartitions"), 0);
    KT_EQ_INT(jsize(g, "data.members.0.assignment.assignedPartitions.0.partitions"), 3);
    KT_EQ_INT(jint(g, "data.members.0.assignment.assignedPartitions.0.partitions.2"), 2);
    visit_free(&d);
}

/*
 * ronem123__rupia-transaction-service (Kafka 4.x): OffsetCommitValue v4,
 * the flexible version. Bytes (xxd): 0004 | 0000000000000005 | ffffffff |
 * 01 (compact "") | 0000019b26e16d9a | 00 (no tags). The committed offset 5
 * equals the high watermark of topic_transactions-0 that the broker wrote
 * in replication-offset-checkpoint ("topic_transactions 0 5").
 */
static void test_offsets_flexible_v4(void)
{
    visit v = { .kind = K_OFFSETS, .want = { 6, 8 }, .nwant = 2 };
    KT_EQ_INT(walk_file("ronem123__rupia-transaction-service/kafka-logs/__consumer_offsets-44/00000000000000000000.log", &v), 2);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_STR(jstr(v.key[0], "data.group"), "rupia-transaction-group");
    KT_EQ_STR(jstr(v.key[0], "data.topic"), "topic_transactions");
    KT_EQ_STR(jstr(v.val[0], "version"), "4");
    KT_EQ_INT(jint(v.val[0], "data.offset"), 5);
    KT_EQ_INT(jint(v.val[0], "data.leaderEpoch"), -1);
    KT_EQ_STR(jstr(v.val[0], "data.metadata"), "");
    KT_EQ_INT(jint(v.val[0], "data.commitTimestamp"), 0x19b26e16d9aLL);
    KT_CHECK(jget(v.val[0], "data.unknownTaggedFields") == NULL);
    KT_EQ_STR(jstr(v.val[1], "data.protocolType"), "consumer");
    KT_EQ_INT(jint(v.val[1], "data.generation"), 5);
    visit_free(&v);

    /* Every non-empty __consumer_offsets segment of the corpus decodes. */
    static const char *const more[] = {
        "ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/__consumer_offsets-29/00000000000000000000.log",
        "Pda-Final-Project__backend/data/kafka/__consumer_offsets-46/00000000000000000000.log",
        "DanielMorales9__kafkafun/data/kafka/__consumer_offsets-39/00000000000000000000.log",
        "DanielMorales9__kafkafun/data/kafka/__consumer_offsets-27/00000000000000000000.log",
        "dschne27__kafka-streams/broker/data/__consumer_offsets-47/00000000000000000000.log",
        "ronem123__rupia-transaction-service/kafka-logs/__consumer_offsets-44/00000000000000000009.log",
        "anchor123__kafka/tmp/kafka-logs/__consumer_offsets-21/00000000000000000000.log",
        "mscaldas2012__kafka-connect-spooldir/kafka-data/__consumer_offsets-37/00000000000000000000.log",
        "mscaldas2012__kafka-connect-spooldir/kafka-data/__consumer_offsets-9/00000000000000000000.log",
        "mscaldas2012__kafka-connect-spooldir/kafka-data/__consumer_offsets-0/00000000000000000000.log",
    };
    /* Record counts from kafka-python's DefaultRecordBatch over the same files. */
    static const int expect[] = { 39, 3, 1241, 80, 199, 2, 47, 90, 46, 6 };
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        visit m = { .kind = K_OFFSETS };
        KT_EQ_INT(walk_file(more[i], &m), expect[i]);
        KT_EQ_INT(m.errors, 0);
        KT_EQ_INT(m.bad_json, 0);
        visit_free(&m);
    }
}

/* ------------------------------------------------------------------------ */
/* (a) __transaction_state from real brokers                                 */
/* ------------------------------------------------------------------------ */

/*
 * ksqlDB's transactional id "default_" (TransactionLogValue v0). Truth from
 * kafka-python with Schema(producerId Int64, producerEpoch Int16, timeout
 * Int32, status Int8, partitions Array(topic String, ids Array(Int32)),
 * lastUpdate Int64, start Int64): states 0 Empty (partitions null),
 * 1 Ongoing, 2 PrepareCommit ([command_topic, [0]]), 4 CompleteCommit ([]).
 */
static void check_txn_file(const char *rel, long long pid, long long t0, long long t1, long long t2,
                           long long t3, long long start)
{
    visit v = { .kind = K_TXN, .want = { 0, 1, 2, 3 }, .nwant = 4 };
    KT_EQ_INT(walk_file(rel, &v), 4);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_INT(v.bad_json, 0);
    static const char *const states[] = { "Empty", "Ongoing", "PrepareCommit", "CompleteCommit" };
    const long long upd[] = { t0, t1, t2, t3 };
    for (int i = 0; i < 4; i++) {
        KT_EQ_STR(jstr(v.key[i], "type"), "0");
        KT_EQ_STR(jstr(v.key[i], "data.transactionalId"), "default_");
        KT_EQ_STR(jstr(v.val[i], "version"), "0");
        KT_EQ_INT(jint(v.val[i], "data.producerId"), pid);
        KT_EQ_INT(jint(v.val[i], "data.producerEpoch"), 0);
        KT_EQ_INT(jint(v.val[i], "data.transactionTimeoutMs"), 60000);
        KT_EQ_STR(jstr(v.val[i], "data.transactionStatus"), states[i]);
        KT_EQ_INT(jint(v.val[i], "data.transactionLastUpdateTimestampMs"), upd[i]);
        KT_EQ_INT(jint(v.val[i], "data.transactionStartTimestampMs"), i == 0 ? -1 : start);
        KT_CHECK(jget(v.val[i], "data.previousProducerId") == NULL); /* v1 tags only */
    }
    KT_CHECK(jnull(v.val[0], "data.transactionPartitions"));
    KT_EQ_STR(jstr(v.val[1], "data.transactionPartitions.0.topic"), "_confluent-ksql-default__command_topic");
    KT_EQ_INT(jint(v.val[1], "data.transactionPartitions.0.partitionIds.0"), 0);
    KT_EQ_INT(jsize(v.val[2], "data.transactionPartitions"), 1);
    KT_EQ_INT(jsize(v.val[3], "data.transactionPartitions"), 0);
    visit_free(&v);
}

static void test_txn_corpus(void)
{
    check_txn_file("ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/__transaction_state-44/00000000000000000000.log",
                   0, 1728561474712LL, 1728561475379LL, 1728561475538LL, 1728561475551LL, 1728561475379LL);
    check_txn_file("dschne27__kafka-streams/broker/data/__transaction_state-44/00000000000000000000.log",
                   3, 1715129968703LL, 1715129968938LL, 1715129969029LL, 1715129969042LL, 1715129968938LL);
}

/* ------------------------------------------------------------------------ */
/* (a) KRaft metadata logs and snapshots from real brokers                   */
/* ------------------------------------------------------------------------ */

/*
 * Record counts per type: kafka-python's DefaultRecordBatch gave each
 * record's value; a three-line Python varint reader took frame version,
 * apiKey and version from it; apiKey -> name from apache/kafka's
 * the "apiKey" and "name" of each JSON schema in metadata/src/main/resources/common/metadata.
 * CTL<n>: control records of type n (key bytes 2-3).
 */
static void test_metadata_log_pda(void)
{
    visit v = { .kind = K_META, .want = { 0, 3, 5 }, .nwant = 3 };
    KT_EQ_INT(walk_file("Pda-Final-Project__backend/data/kafka/__cluster_metadata-0/00000000000000000000.log", &v), 51056);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_INT(v.bad_json, 0);
    KT_EQ_INT(name_count(&v, "CTL2"), 6);
    KT_EQ_INT(name_count(&v, "RegisterBrokerRecord/2"), 6);
    KT_EQ_INT(name_count(&v, "FeatureLevelRecord"), 1);
    KT_EQ_INT(name_count(&v, "ProducerIdsRecord"), 2);
    KT_EQ_INT(name_count(&v, "BrokerRegistrationChangeRecord/0"), 12);
    KT_EQ_INT(name_count(&v, "BrokerRegistrationChangeRecord/1"), 6);
    KT_EQ_INT(name_count(&v, "TopicRecord"), 2);
    KT_EQ_INT(name_count(&v, "NoOpRecord"), 50549);
    KT_EQ_INT(name_count(&v, "ZkMigrationStateRecord"), 1);
    KT_EQ_INT(name_count(&v, "PartitionRecord/0"), 51);
    KT_EQ_INT(name_count(&v, "ConfigRecord"), 3);
    KT_EQ_INT(name_count(&v, "PartitionChangeRecord/0"), 417);
    /*
     * Offset 0: LeaderChange value 0000 00000001 02 00000001 00 02 00000001 00 00
     * (xxd): version 0, leader 1, voters [1], granting [1]; node.id=1 in
     * meta.properties. Offset 3: RegisterBrokerRecord v2 of broker 1, fenced.
     * Offset 5: BrokerRegistrationChangeRecord v0 with tag 0 fenced = -1.
     */
    char node[32];
    file_prop(CORPUS "Pda-Final-Project__backend/data/kafka/meta.properties", "node.id=", node, sizeof node);
    KT_EQ_INT(jint(v.val[0], "leaderId"), atoi(node));
    KT_EQ_INT(jint(v.val[0], "version"), 0);
    KT_EQ_INT(jint(v.val[0], "voters.0.voterId"), 1);
    KT_EQ_INT(jint(v.val[0], "grantingVoters.0.voterId"), 1);
    KT_EQ_STR(jstr(v.val[1], "type"), "RegisterBrokerRecord");
    KT_EQ_INT(jint(v.val[1], "version"), 2);
    KT_EQ_INT(jint(v.val[1], "data.brokerId"), atoi(node));
    KT_EQ_STR(jstr(v.val[1], "data.endPoints.0.name"), "PLAINTEXT");
    KT_EQ_INT(jint(v.val[1], "data.endPoints.0.port"), 9092);
    KT_CHECK(cJSON_IsTrue(jget(v.val[1], "data.fenced")));
    KT_CHECK(jnull(v.val[1], "data.rack"));
    KT_EQ_STR(jstr(v.val[2], "type"), "BrokerRegistrationChangeRecord");
    KT_EQ_INT(jint(v.val[2], "data.fenced"), -1);
    visit_free(&v);
}

static void test_metadata_log_others(void)
{
    visit d = { .kind = K_META };
    KT_EQ_INT(walk_file("Danielowo2000__BigDataTechnologies-Version-2/kafka_data/__cluster_metadata-0/00000000000000000000.log", &d),
              1 + 1 + 1 + 1 + 5 + 16 + 16189 + 142 + 34 + 204);
    KT_EQ_INT(d.errors, 0);
    KT_EQ_INT(d.bad_json, 0);
    KT_EQ_INT(name_count(&d, "CTL2"), 1);
    KT_EQ_INT(name_count(&d, "TopicRecord"), 16);
    KT_EQ_INT(name_count(&d, "PartitionRecord/0"), 142);
    KT_EQ_INT(name_count(&d, "PartitionChangeRecord/0"), 204);
    KT_EQ_INT(name_count(&d, "ConfigRecord"), 34);
    KT_EQ_INT(name_count(&d, "NoOpRecord"), 16189);
    visit_free(&d);

    /*
     * ronem123 (Kafka 4.x, ELR on): PartitionChangeRecord v2 with tags 0 isr,
     * 1 leader, 6 eligibleLeaderReplicas, 7 lastKnownElr. Offset 1737516,
     * value (xxd): 01 05 02 | 00000000 | 76a2bbf8...(topicId) | 04 (4 tags)
     * 00 01 01 (isr: []) 01 04 ffffffff (leader -1) 06 05 02 00000001
     * (ELR [1]) 07 05 02 00000001 (lastKnownElr [1]) - the decoded fields
     * below were read off those bytes.
     */
    visit r = { .kind = K_META, .want = { 1737515, 1737516 }, .nwant = 2 };
    KT_EQ_INT(walk_file("ronem123__rupia-transaction-service/kafka-logs/__cluster_metadata-0/00000000000001725413.log", &r),
              2 + 12103 + 51);
    KT_EQ_INT(r.errors, 0);
    KT_EQ_INT(name_count(&r, "PartitionChangeRecord/2"), 51);
    KT_EQ_INT(name_count(&r, "BrokerRegistrationChangeRecord/1"), 1);
    KT_EQ_INT(jint(r.val[0], "data.inControlledShutdown"), 1);
    KT_EQ_INT(jint(r.val[1], "data.partitionId"), 0);
    KT_EQ_INT(jsize(r.val[1], "data.isr"), 0);
    KT_EQ_INT(jint(r.val[1], "data.leader"), -1);
    KT_EQ_INT(jint(r.val[1], "data.eligibleLeaderReplicas.0"), 1);
    KT_EQ_INT(jint(r.val[1], "data.lastKnownElr.0"), 1);
    KT_CHECK(jget(r.val[1], "data.replicas") == NULL); /* tag 2 absent: unchanged */
    visit_free(&r);
}

/* TopicRecords of `files` against the topic_id in partition.metadata files. */
static void check_topic_ids(const char *logdir, const char *const *files, int nfiles, int min_matches)
{
    visit v = { .kind = K_META, .topics = cJSON_CreateObject() };
    for (int i = 0; i < nfiles; i++) {
        char rel[512];
        snprintf(rel, sizeof rel, "%s/__cluster_metadata-0/%s", logdir, files[i]);
        KT_CHECK(walk_file(rel, &v) > 0);
    }
    KT_EQ_INT(v.errors, 0);
    char dirpath[512];
    snprintf(dirpath, sizeof dirpath, CORPUS "%s", logdir);
    DIR *dir = opendir(dirpath);
    KT_CHECK(dir != NULL);
    int matches = 0, mismatches = 0;
    for (struct dirent *de; dir && (de = readdir(dir));) {
        char path[1024], id[64], topic[256];
        const char *dash = strrchr(de->d_name, '-');
        if (de->d_name[0] == '.' || !dash || strncmp(de->d_name, "__", 2) == 0) continue;
        snprintf(path, sizeof path, "%s/%s/partition.metadata", dirpath, de->d_name);
        file_prop(path, "topic_id: ", id, sizeof id);
        if (!id[0]) continue;
        snprintf(topic, sizeof topic, "%.*s", (int)(dash - de->d_name), de->d_name);
        const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v.topics, topic));
        if (!got) continue; /* topic created after the files read here */
        if (strcmp(got, id) == 0) matches++;
        else {
            mismatches++;
            fprintf(stderr, "  %s: TopicRecord id %s, partition.metadata %s\n", topic, got, id);
        }
    }
    if (dir) closedir(dir);
    KT_EQ_INT(mismatches, 0);
    KT_CHECK(matches >= min_matches);
    visit_free(&v);
}

/*
 * The topic ids the broker wrote into each partition directory
 * (partition.metadata) equal the TopicRecord ids of the metadata log, and
 * the node and log-directory ids of meta.properties equal those in
 * RegisterBrokerRecord / VotersRecord: truth the broker wrote itself.
 */
static void test_metadata_ids_match_broker_files(void)
{
    static const char *const dan[] = { "00000000000000000000.log", "00000000000000014707-0000000001.checkpoint" };
    check_topic_ids("Danielowo2000__BigDataTechnologies-Version-2/kafka_data", dan, 2, 42);
    static const char *const itu[] = { "00000000000000060500-0000000025.checkpoint" };
    check_topic_ids("ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data", itu, 1, 39);
    static const char *const ron[] = { "00000000000001734780-0000000001.checkpoint" };
    check_topic_ids("ronem123__rupia-transaction-service/kafka-logs", ron, 1, 1);

    /* Itumeleng's snapshot: offset 3 RegisterBrokerRecord v3 with tag 0 logDirs. */
    char node[32], dirid[64];
    const char *itu_props = CORPUS "ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/meta.properties";
    file_prop(itu_props, "node.id=", node, sizeof node);
    file_prop(itu_props, "directory.id=", dirid, sizeof dirid);
    visit v = { .kind = K_META, .want = { 0, 1, 3, 170 }, .nwant = 4 };
    KT_EQ_INT(walk_file("ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/__cluster_metadata-0/"
                        "00000000000000060500-0000000025.checkpoint", &v), 171);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_INT(name_count(&v, "PartitionRecord/1"), 139);
    KT_EQ_INT(name_count(&v, "TopicRecord"), 9);
    KT_EQ_INT(name_count(&v, "RegisterControllerRecord"), 1);
    KT_EQ_INT(name_count(&v, "CTL3"), 1);
    KT_EQ_INT(name_count(&v, "CTL4"), 1);
    KT_EQ_INT(jint(v.val[0], "version"), 0); /* SnapshotHeader */
    KT_CHECK(jint(v.val[0], "lastContainedLogTimestamp") > 1700000000000LL);
    KT_EQ_STR(jstr(v.val[1], "type"), "FeatureLevelRecord");
    KT_EQ_STR(jstr(v.val[1], "data.name"), "metadata.version");
    KT_EQ_INT(jint(v.val[1], "data.featureLevel"), 19);
    KT_EQ_STR(jstr(v.val[2], "type"), "RegisterBrokerRecord");
    KT_EQ_INT(jint(v.val[2], "version"), 3);
    KT_EQ_INT(jint(v.val[2], "data.brokerId"), atoi(node));
    KT_EQ_STR(jstr(v.val[2], "data.logDirs.0"), dirid);
    KT_EQ_INT(jint(v.val[3], "version"), 0); /* SnapshotFooter */
    visit_free(&v);

    /*
     * ronem123's snapshot (KIP-853 quorum): control records 3 SnapshotHeader
     * 00 00 | 0000019b4ef53fc1 | 00, 5 KRaftVersion 0000 0001 00 and
     * 6 VotersRecord naming voter 1 with directory c98b8cac...12ac (xxd),
     * which is meta.properties' directory.id yYuMrFRVQVSX0VVQPcMSrA.
     */
    const char *ron_props = CORPUS "ronem123__rupia-transaction-service/kafka-logs/meta.properties";
    file_prop(ron_props, "node.id=", node, sizeof node);
    file_prop(ron_props, "directory.id=", dirid, sizeof dirid);
    visit r = { .kind = K_META, .want = { 0, 1, 2 }, .nwant = 3 };
    KT_EQ_INT(walk_file("ronem123__rupia-transaction-service/kafka-logs/__cluster_metadata-0/"
                        "00000000000000945423-0000000001.checkpoint", &r), 68);
    KT_EQ_INT(r.errors, 0);
    KT_EQ_INT(name_count(&r, "PartitionRecord/2"), 51);
    KT_EQ_INT(name_count(&r, "FeatureLevelRecord"), 4);
    KT_EQ_INT(jint(r.val[0], "lastContainedLogTimestamp"), 0x19b4ef53fc1LL);
    KT_EQ_INT(jint(r.val[1], "kRaftVersion"), 1);
    KT_EQ_INT(jsize(r.val[2], "voters"), 1);
    KT_EQ_INT(jint(r.val[2], "voters.0.voterId"), atoi(node));
    KT_EQ_STR(jstr(r.val[2], "voters.0.voterDirectoryId"), dirid);
    KT_EQ_STR(jstr(r.val[2], "voters.0.endpoints.0.name"), "CONTROLLER");
    KT_EQ_STR(jstr(r.val[2], "voters.0.endpoints.0.host"), "localhost");
    KT_EQ_INT(jint(r.val[2], "voters.0.endpoints.0.port"), 9093);
    KT_EQ_INT(jint(r.val[2], "voters.0.kRaftVersionFeature.minSupportedVersion"), 0);
    KT_EQ_INT(jint(r.val[2], "voters.0.kRaftVersionFeature.maxSupportedVersion"), 1);
    visit_free(&r);

    /* Bootstrap snapshots: header, FeatureLevelRecord(s), footer. */
    visit b = { .kind = K_META };
    KT_EQ_INT(walk_file("ronem123__rupia-transaction-service/kafka-logs/bootstrap.checkpoint", &b), 6);
    KT_EQ_INT(b.errors, 0);
    KT_EQ_INT(name_count(&b, "FeatureLevelRecord"), 4);
    visit_free(&b);
}

/* Every KRaft snapshot of the corpus (about 140 files) decodes without error. */
static void test_metadata_every_snapshot(void)
{
    static const char *const dirs[] = {
        "Danielowo2000__BigDataTechnologies-Version-2/kafka_data/__cluster_metadata-0",
        "ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/__cluster_metadata-0",
        "Pda-Final-Project__backend/data/kafka/__cluster_metadata-0",
        "ronem123__rupia-transaction-service/kafka-logs/__cluster_metadata-0",
    };
    int files = 0, records = 0, errors = 0, bad_json = 0;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, CORPUS "%s", dirs[i]);
        DIR *dir = opendir(path);
        KT_CHECK(dir != NULL);
        for (struct dirent *de; dir && (de = readdir(dir));) {
            size_t nl = strlen(de->d_name);
            if (nl < 11 || strcmp(de->d_name + nl - 11, ".checkpoint") != 0) continue;
            char rel[768];
            snprintf(rel, sizeof rel, "%s/%s", dirs[i], de->d_name);
            visit v = { .kind = K_META };
            int n = walk_file(rel, &v);
            KT_CHECK(n > 0);
            files++;
            records += n;
            errors += v.errors;
            bad_json += v.bad_json;
            /* A snapshot starts with a header and ends with a footer (formats doc 3). */
            KT_EQ_INT(name_count(&v, "CTL3"), 1);
            KT_EQ_INT(name_count(&v, "CTL4"), 1);
            visit_free(&v);
        }
        if (dir) closedir(dir);
    }
    KT_CHECK(files >= 130);
    KT_CHECK(records > 5000);
    KT_EQ_INT(errors, 0);
    KT_EQ_INT(bad_json, 0);
}

/* EndTxnMarker of a real COMMIT (ksqlDB command topic): value 0000 00000000. */
static void test_control_commit_marker(void)
{
    visit v = { .kind = K_CONTROL, .want = { 1 }, .nwant = 1 };
    KT_EQ_INT(walk_file("ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/"
                        "_confluent-ksql-default__command_topic-0/00000000000000000000.log", &v), 2);
    KT_EQ_INT(v.errors, 0);
    KT_EQ_INT(name_count(&v, "CTL1"), 1);
    KT_EQ_INT(jint(v.val[0], "version"), 0);
    KT_EQ_INT(jint(v.val[0], "coordinatorEpoch"), 0);
    visit_free(&v);
}

/* ------------------------------------------------------------------------ */
/* (b) Versions absent from the corpus                                       */
/* ------------------------------------------------------------------------ */

/* Decoders by kind, so vectors can be run through the same checks. */
typedef enum { D_OKEY, D_OVAL, D_TKEY, D_TVAL, D_META, D_CTL } dkind;

typedef struct vec {
    const char *name;
    dkind kind;
    const char *key_hex; /* D_OVAL: the key; D_CTL: control type as text */
    const char *hex;     /* the bytes decoded */
} vec;

static cJSON *run(dkind kind, const char *key_hex, const uint8_t *p, int32_t n, ke_error *e)
{
    int32_t kn = 0;
    uint8_t *k = key_hex && kind == D_OVAL ? unhex(key_hex, &kn) : NULL;
    cJSON *j = NULL;
    switch (kind) {
    case D_OKEY: j = kd_offsets_key(p, n, e); break;
    case D_OVAL: j = kd_offsets_value(k, kn, p, n, e); break;
    case D_TKEY: j = kd_txn_key(p, n, e); break;
    case D_TVAL: j = kd_txn_value(p, n, e); break;
    case D_META: j = kd_metadata_value(p, n, e); break;
    case D_CTL: j = kd_control_value((int16_t)atoi(key_hex), p, n, e); break;
    }
    free(k);
    return j;
}

static cJSON *run_hex(const vec *v, ke_error *e)
{
    int32_t n;
    uint8_t *p = unhex(v->hex, &n);
    ke_clear(e);
    cJSON *j = run(v->kind, v->key_hex, p, n, e);
    free(p);
    return j;
}

#define KEY_GROUP_METADATA "0002 0001 67" /* record type 2, group "g" */
#define KEY_OFFSET_COMMIT "0001 0001 67 0001 74 00000000" /* type 1, "g", "t", 0 */

/*
 * kafka-python: Int16.encode(0) + Schema(('offset', Int64), ('metadata',
 * String('utf-8')), ('commit_timestamp', Int64)).encode((42, 'meta',
 * 1600000000000))
 */
static const char OCV0[] = "0000000000000000002a00046d65746100000174876e8000";

/*
 * kafka-python (S = String('utf-8'), TP = Array(('topic', S), ('partitions',
 * Array(Int32)))):
 *   sub3 = Int16.encode(3) + Schema(('topics', Array(S)), ('user_data', Bytes),
 *          ('owned', TP), ('generation', Int32), ('rack', S)).encode(
 *          (['a', 'b'], b'\x01\x02', [('a', [0, 1])], 7, 'r1'))
 *   asg3 = Int16.encode(3) + Schema(('assigned', TP), ('user_data', Bytes))
 *          .encode(([('a', [0, 1]), ('b', [2])], None))
 *   Int16.encode(0) + Schema(('protocol_type', S), ('generation', Int32),
 *     ('protocol', S), ('leader', S), ('members', Array(Schema(('member_id', S),
 *     ('client_id', S), ('client_host', S), ('session_timeout', Int32),
 *     ('subscription', Bytes), ('assignment', Bytes))))).encode(('consumer', 7,
 *     'range', 'm1', [('m1', 'c1', '/10.0.0.1', 45000, sub3, asg3)]))
 */
static const char GMV0[] =
    "00000008636f6e73756d657200000007000572616e676500026d310000000100026d310002633100092f31302e302e302e31"
    "0000afc80000002d000300000002000161000162000000020102000000010001610000000200000000000000010000000700"
    "027231000000240003000000020001610000000200000000000000010001620000000100000002ffffffff";

/* The same with a subscription of version 9 (sub3 with the version changed
 * and two extra bytes) and an assignment cut to its first 7 bytes. */
static const char GMV0_ODD[] =
    "00000008636f6e73756d657200000007000572616e676500026d310000000100026d310002633100092f31302e302e302e31"
    "0000afc80000002f000900000002000161000162000000020102000000010001610000000200000000000000010000000700"
    "027231ffff0000000700030000000200";

/*
 * kafka-python: GroupMetadataValue v3, protocolType "connect" (blobs stay
 * bytes), member with groupInstanceId "inst-1":
 * Int16.encode(3) + Schema(('protocol_type', S), ('generation', Int32),
 * ('protocol', S), ('leader', S), ('ts', Int64), ('members', Array(MEM3)))
 * .encode(('connect', 2, 'sessioned', 'w1', 1700000000000, [('w1', 'inst-1',
 * 'c', '/h', 60000, 10000, b'\x00\x01', b'')]))
 */
static const char GMV3[] =
    "00030007636f6e6e65637400000002000973657373696f6e6564000277310000018bcfe5680000000001000277310006696e"
    "73742d3100016300022f680000ea600000271000000002000100000000";

/* OffsetCommitValue v4 (flexible, formats doc 9 + OffsetCommitValue.json). */
static const char OCV4[] =
    "0004"               /* version 4: compact strings, tagged fields */
    "0000000000000007"   /* offset 7 */
    "00000002"           /* leaderEpoch 2 */
    "03 6d64"            /* metadata: uvarint 2+1, "md" */
    "00000174876e8000"   /* commitTimestamp 1600000000000 */
    "01"                 /* one tagged field */
    "05 02 abcd";        /* tag 5 (unknown), size 2, bytes ab cd */

/* GroupMetadataValue v4 (flexible) with ConsumerProtocol v0 blobs inside. */
static const char GMV4[] =
    "0004"               /* version 4 */
    "09 636f6e73756d6572" /* protocolType "consumer" (8+1) */
    "00000003"           /* generation 3 */
    "00"                 /* protocol: null (compact 0) */
    "03 6d31"            /* leader "m1" */
    "0000018bcfe56800"   /* currentStateTimestamp 1700000000000 */
    "02"                 /* members: compact array of 1 */
    "03 6d31"            /*   memberId "m1" */
    "00"                 /*   groupInstanceId null */
    "03 6331"            /*   clientId "c1" */
    "03 2f68"            /*   clientHost "/h" */
    "0000ea60"           /*   rebalanceTimeout 60000 */
    "00002710"           /*   sessionTimeout 10000 */
    "0e"                 /*   subscription: compact bytes of 13 */
    "0000 00000001 000161 ffffffff" /* v0: topics ["a"], userData null */
    "16"                 /*   assignment: compact bytes of 21 */
    "0000 00000001 000161 00000001 00000000 ffffffff" /* v0: [a:[0]], userData null */
    "00"                 /*   member: no tagged fields */
    "00";                /* no tagged fields */

/* TransactionLogValue v1 (flexible) with all three known tags. */
static const char TXV1[] =
    "0001"               /* version 1 */
    "00000000000003e8"   /* producerId 1000 */
    "0005"               /* producerEpoch 5 */
    "0000ea60"           /* transactionTimeoutMs 60000 */
    "07"                 /* transactionStatus 7 PrepareEpochFence */
    "02"                 /* transactionPartitions: compact array of 1 */
    "04 742d31"          /*   topic "t-1" */
    "03 00000000 00000002" /*   partitionIds [0, 2] */
    "00"                 /*   element: no tags */
    "0000018bcfe56800"   /* transactionLastUpdateTimestampMs 1700000000000 */
    "0000018bcfe56801"   /* transactionStartTimestampMs 1700000000001 */
    "03"                 /* three tagged fields */
    "00 08 00000000000003e7" /* tag 0 previousProducerId 999 */
    "01 08 ffffffffffffffff" /* tag 1 nextProducerId -1 */
    "02 02 0002";        /* tag 2 clientTransactionVersion 2 */

/* PartitionChangeRecord v0 with two tags (metadata framing, formats doc 3). */
static const char PCR0[] =
    "01 05 00"           /* frame version 1, apiKey 5, version 0 */
    "00000002"           /* partitionId 2 */
    "000102030405060708090a0b0c0d0e0f" /* topicId, base64url AAECAwQFBgcICQoLDA0ODw */
    "02"                 /* two tagged fields */
    "00 05 02 00000003"  /* tag 0 isr: compact array [3] */
    "01 04 00000003";    /* tag 1 leader 3 */

/* ClientQuotaRecord v0: float64 and a nullable string in a struct array. */
static const char CQR0[] =
    "01 0e 00"           /* frame 1, apiKey 14, version 0 */
    "02"                 /* entity: compact array of 1 */
    "05 75736572"        /*   entityType "user" */
    "00"                 /*   entityName null (default user) */
    "00"                 /*   element: no tags */
    "13 70726f64756365725f627974655f72617465" /* key "producer_byte_rate" */
    "4130000000000000"   /* value 1048576.0 (IEEE 754, Python struct '>d') */
    "00"                 /* remove false */
    "00";                /* no tags */

/* UserScramCredentialRecord v0: compact bytes. */
static const char USC0[] =
    "01 0b 00"           /* frame 1, apiKey 11, version 0 */
    "06 616c696365"      /* name "alice" */
    "01"                 /* mechanism 1 */
    "04 010203"          /* salt 01 02 03 -> "AQID" */
    "01"                 /* storedKey: empty */
    "02 ff"              /* serverKey ff -> "/w==" */
    "00001000"           /* iterations 4096 */
    "00";                /* no tags */

/* The good vectors, also used for the prefix and mutation tests. */
static const vec good[] = {
    { "OffsetCommitValue v0", D_OVAL, KEY_OFFSET_COMMIT, OCV0 },
    { "OffsetCommitValue v4", D_OVAL, KEY_OFFSET_COMMIT, OCV4 },
    { "GroupMetadataValue v0", D_OVAL, KEY_GROUP_METADATA, GMV0 },
    { "GroupMetadataValue v3", D_OVAL, KEY_GROUP_METADATA, GMV3 },
    { "GroupMetadataValue v4", D_OVAL, KEY_GROUP_METADATA, GMV4 },
    { "TransactionLogValue v1", D_TVAL, NULL, TXV1 },
    { "TransactionLogKey", D_TKEY, NULL, "0000 0008 64656661756c745f" },
    { "OffsetCommitKey", D_OKEY, NULL, KEY_OFFSET_COMMIT },
    { "PartitionChangeRecord v0", D_META, NULL, PCR0 },
    { "ClientQuotaRecord v0", D_META, NULL, CQR0 },
    { "UserScramCredentialRecord v0", D_META, NULL, USC0 },
    /* Real values (xxd) from the corpus files named in the tests above. */
    { "LeaderChange (Pda)", D_CTL, "2", "00000000000102000000010002000000010000" },
    { "SnapshotHeader (ronem123)", D_CTL, "3", "00000000019b4ef53fc100" },
    { "KRaftVersion (ronem123)", D_CTL, "5", "0000000100" },
    { "Voters (ronem123)", D_CTL, "6",
      "00000200000001c98b8cac5455415497d155503dc312ac020b434f4e54524f4c4c45520a6c6f63616c686f737423850000000001000000" },
    { "EndTxnMarker", D_CTL, "1", "0000 0000002a" },
    { "OffsetCommitValue v4 (ronem123)", D_OVAL, KEY_OFFSET_COMMIT, "00040000000000000005ffffffff010000019b26e16d9a00" },
};

static const vec *find_vec(const char *name)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (strcmp(good[i].name, name) == 0) return &good[i];
    return NULL;
}

static void test_hand_offsets(void)
{
    ke_error e;
    cJSON *j = run_hex(find_vec("OffsetCommitValue v0"), &e);
    KT_EQ_STR(jstr(j, "version"), "0");
    KT_EQ_INT(jint(j, "data.offset"), 42);
    KT_EQ_STR(jstr(j, "data.metadata"), "meta");
    KT_EQ_INT(jint(j, "data.commitTimestamp"), 1600000000000LL);
    KT_CHECK(jget(j, "data.expireTimestamp") == NULL && jget(j, "data.leaderEpoch") == NULL);
    cJSON_Delete(j);

    j = run_hex(find_vec("OffsetCommitValue v4"), &e);
    KT_EQ_INT(jint(j, "data.offset"), 7);
    KT_EQ_INT(jint(j, "data.leaderEpoch"), 2);
    KT_EQ_STR(jstr(j, "data.metadata"), "md");
    KT_EQ_INT(jint(j, "data.unknownTaggedFields.0.tag"), 5);
    KT_EQ_STR(jstr(j, "data.unknownTaggedFields.0.data"), "q80=");
    cJSON_Delete(j);

    j = run_hex(find_vec("GroupMetadataValue v0"), &e);
    KT_EQ_STR(jstr(j, "data.protocolType"), "consumer");
    KT_EQ_INT(jint(j, "data.generation"), 7);
    KT_CHECK(jget(j, "data.members.0.rebalanceTimeout") == NULL); /* v1+ only */
    KT_EQ_INT(jint(j, "data.members.0.sessionTimeout"), 45000);
    const cJSON *s = jget(j, "data.members.0.subscription");
    KT_EQ_INT(jint(s, "version"), 3);
    KT_EQ_STR(jstr(s, "topics.1"), "b");
    KT_EQ_STR(jstr(s, "userData"), "AQI=");
    KT_EQ_STR(jstr(s, "ownedPartitions.0.topic"), "a");
    KT_EQ_INT(jint(s, "ownedPartitions.0.partitions.1"), 1);
    KT_EQ_INT(jint(s, "generationId"), 7);
    KT_EQ_STR(jstr(s, "rackId"), "r1");
    const cJSON *a = jget(j, "data.members.0.assignment");
    KT_EQ_INT(jint(a, "version"), 3);
    KT_EQ_STR(jstr(a, "assignedPartitions.1.topic"), "b");
    KT_EQ_INT(jint(a, "assignedPartitions.1.partitions.0"), 2);
    KT_CHECK(jnull(a, "userData"));
    cJSON_Delete(j);

    /* Newer subscription read with the v3 layout; a broken assignment stays bytes. */
    vec odd = { "odd", D_OVAL, KEY_GROUP_METADATA, GMV0_ODD };
    j = run_hex(&odd, &e);
    KT_EQ_INT(jint(j, "data.members.0.subscription.version"), 9);
    KT_EQ_STR(jstr(j, "data.members.0.subscription.rackId"), "r1");
    KT_EQ_STR(jstr(j, "data.members.0.assignment"), "AAMAAAACAA=="); /* base64 of 00030000000200 */
    cJSON_Delete(j);

    j = run_hex(find_vec("GroupMetadataValue v3"), &e);
    KT_EQ_STR(jstr(j, "data.protocolType"), "connect");
    KT_EQ_STR(jstr(j, "data.members.0.groupInstanceId"), "inst-1");
    KT_EQ_STR(jstr(j, "data.members.0.subscription"), "AAE=");
    KT_EQ_STR(jstr(j, "data.members.0.assignment"), "");
    cJSON_Delete(j);

    j = run_hex(find_vec("GroupMetadataValue v4"), &e);
    KT_EQ_STR(jstr(j, "version"), "4");
    KT_CHECK(jnull(j, "data.protocol"));
    KT_EQ_STR(jstr(j, "data.leader"), "m1");
    KT_CHECK(jnull(j, "data.members.0.groupInstanceId"));
    KT_EQ_INT(jint(j, "data.members.0.rebalanceTimeout"), 60000);
    KT_EQ_STR(jstr(j, "data.members.0.subscription.topics.0"), "a");
    KT_EQ_INT(jint(j, "data.members.0.assignment.assignedPartitions.0.partitions.0"), 0);
    cJSON_Delete(j);
}

/*
 * Keys of the KIP-848/932/1071 record types; kafka-python:
 * Int16.encode(t) + b''.join(String('utf-8').encode(f) for f in fields).
 */
static void test_hand_offsets_new_types(void)
{
    static const struct { const char *hex, *type, *name, *member; } keys[] = {
        { "0003000167", "3", "ConsumerGroupMetadata", NULL },
        { "000500016700016d", "5", "ConsumerGroupMemberMetadata", "m" },
        { "0009000167", "9", "ShareGroupPartitionMetadata", NULL },
        { "000e00016700016d", "14", "ShareGroupCurrentMemberAssignment", "m" },
        { "000f000167", "15", "ShareGroupStatePartitionMetadata", NULL },
        { "0011000167", "17", "StreamsGroupMetadata", NULL },
    };
    ke_error e;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        vec v = { keys[i].name, D_OKEY, NULL, keys[i].hex };
        cJSON *j = run_hex(&v, &e);
        KT_EQ_STR(jstr(j, "type"), keys[i].type);
        KT_EQ_STR(jstr(j, "name"), keys[i].name);
        KT_EQ_STR(jstr(j, "data.groupId"), "g");
        if (keys[i].member) KT_EQ_STR(jstr(j, "data.memberId"), keys[i].member);
        cJSON_Delete(j);
    }
    vec rx = { "regex", D_OKEY, NULL, "00100001670003782e2a" };
    cJSON *j = run_hex(&rx, &e);
    KT_EQ_STR(jstr(j, "data.regularExpression"), "x.*");
    cJSON_Delete(j);

    /* Their values are kept raw: version 0, then the bytes as base64. */
    vec val = { "type 3 value", D_OVAL, "0003000167", "0000 00000005 00" };
    j = run_hex(&val, &e);
    KT_EQ_STR(jstr(j, "version"), "0");
    KT_CHECK(jnull(j, "data"));
    KT_EQ_STR(jstr(j, "raw"), "AAAABQA=");
    KT_CHECK(jstr(j, "note") != NULL);
    cJSON_Delete(j);

    /* Unknown and negative types; a key with bytes after it. */
    vec unk = { "type 18", D_OKEY, NULL, "0012000167" };
    KT_CHECK(run_hex(&unk, &e) == NULL);
    KT_EQ_INT(e.code, KE_UNSUPPORTED);
    vec neg = { "type -1", D_OKEY, NULL, "ffff000167" };
    KT_CHECK(run_hex(&neg, &e) == NULL);
    KT_EQ_INT(e.code, KE_CORRUPT);
    vec trail = { "trailing", D_OKEY, NULL, "0002000167 ab" };
    j = run_hex(&trail, &e);
    KT_EQ_INT(jint(j, "trailingBytes"), 1);
    cJSON_Delete(j);
    vec newer = { "OffsetCommitValue v5", D_OVAL, KEY_OFFSET_COMMIT, "0005 0000000000000001" };
    KT_CHECK(run_hex(&newer, &e) == NULL);
    KT_EQ_INT(e.code, KE_UNSUPPORTED);
}

static void test_hand_txn(void)
{
    ke_error e;
    cJSON *j = run_hex(find_vec("TransactionLogValue v1"), &e);
    KT_EQ_STR(jstr(j, "version"), "1");
    KT_EQ_INT(jint(j, "data.producerId"), 1000);
    KT_EQ_INT(jint(j, "data.producerEpoch"), 5);
    KT_EQ_STR(jstr(j, "data.transactionStatus"), "PrepareEpochFence");
    KT_EQ_STR(jstr(j, "data.transactionPartitions.0.topic"), "t-1");
    KT_EQ_INT(jint(j, "data.transactionPartitions.0.partitionIds.1"), 2);
    KT_EQ_INT(jint(j, "data.transactionStartTimestampMs"), 1700000000001LL);
    KT_EQ_INT(jint(j, "data.previousProducerId"), 999);
    KT_EQ_INT(jint(j, "data.nextProducerId"), -1);
    KT_EQ_INT(jint(j, "data.clientTransactionVersion"), 2);
    cJSON_Delete(j);

    /* Status 9 is no TransactionState: named, not refused. */
    vec st = { "status 9", D_TVAL, NULL,
               "0000 0000000000000001 0000 00000064 09 ffffffff 0000000000000001 0000000000000001" };
    j = run_hex(&st, &e);
    KT_EQ_STR(jstr(j, "data.transactionStatus"), "Unknown(9)");
    cJSON_Delete(j);

    vec k1 = { "key v1", D_TKEY, NULL, "0001 0001 61" };
    KT_CHECK(run_hex(&k1, &e) == NULL);
    KT_EQ_INT(e.code, KE_UNSUPPORTED);
    vec v2 = { "value v2", D_TVAL, NULL, "0002 00" };
    KT_CHECK(run_hex(&v2, &e) == NULL);
    KT_EQ_INT(e.code, KE_UNSUPPORTED);
    /* v0 has no tag section: a non-nullable array written as null fails. */
    vec nn = { "null partitionIds", D_TVAL, NULL,
               "0000 0000000000000001 0000 00000064 01 00000001 0001 74 ffffffff" };
    KT_CHECK(run_hex(&nn, &e) == NULL);
    KT_EQ_INT(e.code, KE_CORRUPT);
}

static void test_hand_metadata(void)
{
    ke_error e;
    cJSON *j = run_hex(find_vec("PartitionChangeRecord v0"), &e);
    KT_EQ_STR(jstr(j, "type"), "PartitionChangeRecord");
    KT_EQ_INT(jint(j, "version"), 0);
    KT_EQ_INT(jint(j, "data.partitionId"), 2);
    KT_EQ_STR(jstr(j, "data.topicId"), "AAECAwQFBgcICQoLDA0ODw"); /* Python urlsafe_b64encode, '=' dropped */
    KT_EQ_INT(jint(j, "data.isr.0"), 3);
    KT_EQ_INT(jint(j, "data.leader"), 3);
    KT_CHECK(jget(j, "data.eligibleLeaderReplicas") == NULL);
    cJSON_Delete(j);

    j = run_hex(find_vec("ClientQuotaRecord v0"), &e);
    KT_EQ_STR(jstr(j, "data.entity.0.entityType"), "user");
    KT_CHECK(jnull(j, "data.entity.0.entityName"));
    KT_EQ_STR(jstr(j, "data.key"), "producer_byte_rate");
    KT_CHECK(cJSON_IsNumber(jget(j, "data.value")) && jget(j, "data.value")->valuedouble == 1048576.0);
    KT_CHECK(cJSON_IsFalse(jget(j, "data.remove")));
    cJSON_Delete(j);

    j = run_hex(find_vec("UserScramCredentialRecord v0"), &e);
    KT_EQ_STR(jstr(j, "data.name"), "alice");
    KT_EQ_STR(jstr(j, "data.salt"), "AQID");
    KT_EQ_STR(jstr(j, "data.storedKey"), "");
    KT_EQ_STR(jstr(j, "data.serverKey"), "/w==");
    KT_EQ_INT(jint(j, "data.iterations"), 4096);
    cJSON_Delete(j);

    /* NoOpRecord: nothing but the tag section. */
    vec noop = { "noop", D_META, NULL, "01 14 00 00" };
    j = run_hex(&noop, &e);
    KT_EQ_STR(jstr(j, "type"), "NoOpRecord");
    KT_EQ_INT(cJSON_GetArraySize(jget(j, "data")), 0);
    cJSON_Delete(j);

    /* A version newer than known, and a type Kafka removed: named, not decoded. */
    vec newer = { "TopicRecord v1", D_META, NULL, "01 02 01 02 61 000102030405060708090a0b0c0d0e0f 00" };
    j = run_hex(&newer, &e);
    KT_EQ_STR(jstr(j, "type"), "TopicRecord");
    KT_EQ_INT(jint(j, "version"), 1);
    KT_CHECK(jget(j, "data") == NULL && jstr(j, "note") != NULL);
    cJSON_Delete(j);
    vec gone = { "AccessControlRecord", D_META, NULL, "01 06 00 00" };
    j = run_hex(&gone, &e);
    KT_EQ_STR(jstr(j, "type"), "AccessControlRecord");
    cJSON_Delete(j);

    /* Refusals, each as AbstractApiMessageSerde.read refuses them. */
    static const struct { const char *hex; int code; int64_t pos; } bad[] = {
        { "01 0d 00 00", KE_UNSUPPORTED, 1 },                 /* apiKey 13: never assigned */
        { "00 02 00", KE_UNSUPPORTED, 0 },                    /* frame version 0 (2.8 preview) */
        { "02 02 00", KE_UNSUPPORTED, 0 },                    /* frame version 2 */
        { "01 808002 00", KE_CORRUPT, 4 },                    /* apiKey 32768 > Short.MAX_VALUE */
        { "01 02 00 02 61 000102030405060708090a0b0c0d0e0f 00 ee", KE_CORRUPT, 22 }, /* garbage after */
        { "01 02 00 02 61 000102030405060708090a0b0c0d0e0f", KE_SHORT, 21 },        /* no tag section */
        { "01 14 00 02 01 04 00000001", KE_SHORT, 10 },             /* second tag missing */
        { "01 05 00 00000002 000102030405060708090a0b0c0d0e0f 02 0104 00000003 0104 00000004",
          KE_CORRUPT, 30 },                                   /* leader tag twice */
        { "01 05 00 00000002 000102030405060708090a0b0c0d0e0f 01 0105 00000003 00",
          KE_CORRUPT, 30 },                                   /* leader tag of 5 bytes: 1 unread */
        { "01 05 00 00000002 000102030405060708090a0b0c0d0e0f 01 0109 00000003", KE_SHORT, 25 }, /* 9 > 4 */
        { "01 02 00 ffffffff0f", KE_CORRUPT, 3 },             /* name of 2^32-2 bytes: over 32767 */
        { "01 02 00 ffffffffff", KE_CORRUPT, 3 },             /* varint over 32 bits */
        { "01 02 00 818002 61", KE_CORRUPT, 3 },              /* name of 32768 bytes */
        { "01 02 00 00 000102030405060708090a0b0c0d0e0f 00", KE_CORRUPT, 3 }, /* null name */
        { "01 03 00 00000000 000102030405060708090a0b0c0d0e0f ffffffff0f", KE_SHORT, 23 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vec b = { "bad", D_META, NULL, bad[i].hex };
        cJSON *r = run_hex(&b, &e);
        KT_CHECK(r == NULL);
        cJSON_Delete(r);
        if (e.code != bad[i].code || e.pos != bad[i].pos)
            fprintf(stderr, "  bad[%zu]: %s at %lld: %s\n", i, ke_strerror(e.code), (long long)e.pos, e.msg);
        KT_EQ_INT(e.code, bad[i].code);
        KT_EQ_INT(e.pos, bad[i].pos);
    }

    /* Type names: "apiKey" and "name" of the metadata JSON schemas in apache/kafka. */
    KT_EQ_STR(kd_metadata_type_name(0), "RegisterBrokerRecord");
    KT_EQ_STR(kd_metadata_type_name(5), "PartitionChangeRecord");
    KT_EQ_STR(kd_metadata_type_name(9), "RemoveTopicRecord");
    KT_EQ_STR(kd_metadata_type_name(12), "FeatureLevelRecord");
    KT_EQ_STR(kd_metadata_type_name(17), "BrokerRegistrationChangeRecord");
    KT_EQ_STR(kd_metadata_type_name(18), "AccessControlEntryRecord");
    KT_EQ_STR(kd_metadata_type_name(20), "NoOpRecord");
    KT_EQ_STR(kd_metadata_type_name(21), "ZkMigrationStateRecord");
    KT_EQ_STR(kd_metadata_type_name(27), "RegisterControllerRecord");
    KT_EQ_STR(kd_metadata_type_name(28), "ClearElrRecord");
    KT_CHECK(kd_metadata_type_name(13) == NULL);
    KT_CHECK(kd_metadata_type_name(-1) == NULL);
    KT_CHECK(kd_metadata_type_name(29) == NULL);
    KT_CHECK(kd_metadata_type_name(1 << 20) == NULL);
}

static void test_hand_control(void)
{
    ke_error e;
    cJSON *j = run_hex(find_vec("EndTxnMarker"), &e);
    KT_EQ_INT(jint(j, "coordinatorEpoch"), 42);
    cJSON_Delete(j);
    /* A newer marker version is read as version 0 (EndTransactionMarker). */
    vec v3 = { "marker v3", D_CTL, "0", "0003 00000007 ffff" };
    j = run_hex(&v3, &e);
    KT_EQ_INT(jint(j, "version"), 3);
    KT_EQ_INT(jint(j, "coordinatorEpoch"), 7);
    KT_EQ_INT(jint(j, "trailingBytes"), 2);
    cJSON_Delete(j);
    vec neg = { "marker v-1", D_CTL, "1", "ffff 00000007" };
    KT_CHECK(run_hex(&neg, &e) == NULL);
    KT_EQ_INT(e.code, KE_CORRUPT);
    vec shrt = { "marker 5 bytes", D_CTL, "1", "0000 000000" };
    KT_CHECK(run_hex(&shrt, &e) == NULL);
    KT_EQ_INT(e.code, KE_SHORT);
    vec unk = { "control 7", D_CTL, "7", "0000" };
    KT_CHECK(run_hex(&unk, &e) == NULL);
    KT_EQ_INT(e.code, KE_UNSUPPORTED);
    /* Footer: version and an empty tag section. */
    vec foot = { "footer", D_CTL, "4", "0000 00" };
    j = run_hex(&foot, &e);
    KT_EQ_INT(jint(j, "version"), 0);
    KT_EQ_INT(cJSON_GetArraySize(j), 1);
    cJSON_Delete(j);
}

/* Null keys and values, NULL pointers. */
static void test_nulls(void)
{
    ke_error e;
    uint8_t key[] = { 0x00, 0x02, 0x00, 0x01, 'g' };
    cJSON *j;
    KT_CHECK(kd_offsets_key(NULL, -1, &e) == NULL);
    KT_EQ_INT(e.code, KE_CORRUPT);
    KT_CHECK(kd_offsets_value(NULL, -1, key, 2, &e) == NULL);
    KT_EQ_INT(e.code, KE_CORRUPT);
    j = kd_offsets_value(key, 5, NULL, -1, &e);
    KT_CHECK(cJSON_IsTrue(jget(j, "tombstone")));
    cJSON_Delete(j);
    j = kd_txn_value(NULL, -1, &e);
    KT_CHECK(cJSON_IsTrue(jget(j, "tombstone")));
    cJSON_Delete(j);
    j = kd_metadata_value(key, -1, &e); /* negative length wins over the pointer */
    KT_CHECK(cJSON_IsTrue(jget(j, "tombstone")));
    cJSON_Delete(j);
    j = kd_control_value(2, NULL, -1, &e);
    KT_CHECK(cJSON_IsTrue(jget(j, "tombstone")));
    cJSON_Delete(j);
    KT_CHECK(kd_txn_key(NULL, -1, &e) == NULL);
    KT_CHECK(kd_txn_value(NULL, 5, &e) == NULL);
    KT_EQ_INT(e.code, KE_USAGE);
    KT_CHECK(kd_metadata_value(NULL, 0, &e) == NULL); /* empty, not null */
    KT_EQ_INT(e.code, KE_SHORT);
    KT_CHECK(kd_offsets_key(key, 1, &e) == NULL);
    KT_EQ_INT(e.code, KE_SHORT);
    KT_CHECK(kd_offsets_key(key, 1, NULL) == NULL); /* no error struct: still safe */
}

/* ------------------------------------------------------------------------ */
/* (c) Corrupt inputs                                                        */
/* ------------------------------------------------------------------------ */

/* Every strict prefix of every good vector fails as KE_SHORT inside the bytes. */
static void test_every_prefix_fails(void)
{
    int wrong = 0, total = 0;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int32_t n;
        uint8_t *full = unhex(good[i].hex, &n);
        ke_error e;
        cJSON *j = run(good[i].kind, good[i].key_hex, full, n, &e);
        KT_CHECK(j != NULL);
        if (!j) fprintf(stderr, "  %s: %s at %lld: %s\n", good[i].name, ke_strerror(e.code), (long long)e.pos, e.msg);
        KT_CHECK(j == NULL || json_roundtrips(j));
        KT_CHECK(j == NULL || jget(j, "trailingBytes") == NULL);
        cJSON_Delete(j);
        for (int32_t len = 0; len < n; len++) {
            uint8_t *p = malloc((size_t)len + 1); /* exact size: ASan sees any over-read */
            memcpy(p, full, (size_t)len);
            ke_clear(&e);
            j = run(good[i].kind, good[i].key_hex, p, len, &e);
            total++;
            if (j || e.code != KE_SHORT || e.pos < 0 || e.pos > len) {
                if (wrong++ < 5)
                    fprintf(stderr, "  %s cut at %d: %s %s at %lld\n", good[i].name, (int)len,
                            j ? "decoded" : ke_strerror(e.code), e.msg, (long long)e.pos);
            }
            cJSON_Delete(j);
            free(p);
        }
        free(full);
    }
    KT_EQ_INT(wrong, 0);
    KT_CHECK(total > 500);
}

/* Byte mutations: never a crash, and either an error or valid JSON. */
static void test_mutations(void)
{
    static const uint8_t repl[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0f };
    int bad = 0, decoded = 0, failed = 0;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int32_t n;
        uint8_t *full = unhex(good[i].hex, &n);
        for (int32_t at = 0; at < n; at++)
            for (size_t r = 0; r <= sizeof repl; r++) {
                uint8_t *p = malloc((size_t)n);
                memcpy(p, full, (size_t)n);
                p[at] = r < sizeof repl ? repl[r] : (uint8_t)(p[at] ^ 0x40);
                ke_error e;
                ke_clear(&e);
                cJSON *j = run(good[i].kind, good[i].key_hex, p, n, &e);
                if (j) {
                    decoded++;
                    if (!json_roundtrips(j)) bad++;
                } else {
                    failed++;
                    if (e.code >= 0 || e.pos < -1 || e.pos > n || !e.msg[0]) bad++;
                }
                cJSON_Delete(j);
                free(p);
            }
        free(full);
    }
    KT_EQ_INT(bad, 0);
    KT_CHECK(decoded > 0 && failed > 0);
}

/* Counts and lengths far beyond the bytes present. */
static void test_absurd_lengths(void)
{
    static const struct { dkind kind; const char *key, *hex; int code; int64_t pos; } cases[] = {
        { D_OKEY, NULL, "0001 7fff 616263", KE_SHORT, 2 },          /* group of 32767 bytes */
        { D_OKEY, NULL, "0001 fffe 616263", KE_CORRUPT, 2 },        /* length -2 */
        { D_OKEY, NULL, "0001 ffff", KE_CORRUPT, 2 },               /* null group */
        /* GroupMetadataValue v0: version @0, protocolType "c" @2, generation @5,
         * protocol and leader null @9 @11, members count @13. */
        { D_OVAL, KEY_GROUP_METADATA, "0000 0001 63 00000001 ffff ffff 7fffffff", KE_SHORT, 13 },
        { D_OVAL, KEY_GROUP_METADATA, "0000 0001 63 00000001 ffff ffff fffffffe", KE_CORRUPT, 13 },
        { D_OVAL, KEY_GROUP_METADATA, "0000 0001 63 00000001 ffff ffff ffffffff", KE_CORRUPT, 13 },
        /* v4: "c" @2, generation @4, nulls @8 @9, timestamp @10, members @18 */
        { D_OVAL, KEY_GROUP_METADATA, "0004 02 63 00000001 00 00 0000000000000000 ffffffff0f", KE_SHORT, 18 },
        { D_OVAL, KEY_GROUP_METADATA, "0000 0001 63 00000001 ffff ffff 00000001 0001 6d 0001 63 0001 68 "
                                      "00001000 7ffffff0 00", KE_SHORT, 30 },    /* subscription length @30 */
        { D_TVAL, NULL, "0000 0000000000000001 0000 00000064 01 00000001 0001 74 40000000", KE_SHORT, 24 },
        { D_CTL, "2", "0000 00000001 ffffffff0f", KE_SHORT, 6 },     /* voters count 2^32-2 */
        { D_CTL, "6", "0000 02 00000001 000102030405060708090a0b0c0d0e0f 40", KE_SHORT, 23 }, /* endpoints */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vec v = { "absurd", cases[i].kind, cases[i].key, cases[i].hex };
        ke_error e;
        cJSON *j = run_hex(&v, &e);
        KT_CHECK(j == NULL);
        cJSON_Delete(j);
        if (e.code != cases[i].code || e.pos != cases[i].pos)
            fprintf(stderr, "  case %zu: %s at %lld: %s\n", i, ke_strerror(e.code), (long long)e.pos, e.msg);
        KT_EQ_INT(e.code, cases[i].code);
        KT_EQ_INT(e.pos, cases[i].pos);
        KT_CHECK(strlen(e.msg) > 0);
    }
}

/*
 * Invalid UTF-8 becomes U+FFFD per maximal subpart; expected bytes from
 * Python: bytes.fromhex(...).decode('utf-8', 'replace') (same rule), with
 * the NUL then replaced too (see decode.h).
 */
static void test_invalid_utf8(void)
{
    /* OffsetCommitKey type 1; group = 26 bytes of mixed garbage; topic "t"; partition 0. */
    vec v = { "utf8", D_OKEY, NULL,
              "0001 001a 61ff62c328e080afeda080f490808000" "63e282acf09f9880e282 0001 74 00000000" };
    static const char expect_hex[] =
        "61efbfbd62efbfbd28efbfbdefbfbdefbfbdefbfbdefbfbdefbfbdefbfbdefbfbdefbfbdefbfbdefbfbd"
        "63e282acf09f9880efbfbd";
    int32_t en;
    uint8_t *expect = unhex(expect_hex, &en);
    ke_error e;
    cJSON *j = run_hex(&v, &e);
    const char *g = jstr(j, "data.group");
    KT_CHECK(g != NULL);
    if (g) KT_EQ_MEM(g, strlen(g), expect, (size_t)en);
    KT_EQ_STR(jstr(j, "data.topic"), "t");
    KT_CHECK(json_roundtrips(j));
    cJSON_Delete(j);
    free(expect);
}

/* int64 beyond 2^53 prints exactly (raw item); up to 2^53 stays a number. */
static void test_int64_exact(void)
{
    vec big = { "big", D_OVAL, KEY_OFFSET_COMMIT, "0000 7fffffffffffffff 0000 8000000000000000" };
    ke_error e;
    cJSON *j = run_hex(&big, &e);
    char *s = cJSON_PrintUnformatted(j);
    KT_CHECK(s && strstr(s, "\"offset\":9223372036854775807") != NULL);
    KT_CHECK(s && strstr(s, "\"commitTimestamp\":-9223372036854775808") != NULL);
    KT_CHECK(json_roundtrips(j));
    free(s);
    cJSON_Delete(j);
    vec edge = { "2^53", D_OVAL, KEY_OFFSET_COMMIT, "0000 0020000000000000 0000 ffe0000000000000" };
    j = run_hex(&edge, &e);
    KT_CHECK(cJSON_IsNumber(jget(j, "data.offset")));
    KT_EQ_INT(jint(j, "data.offset"), 9007199254740992LL);
    KT_EQ_INT(jint(j, "data.commitTimestamp"), -9007199254740992LL);
    cJSON_Delete(j);
}

/* Allocation failure: cJSON's allocator fails at the n-th call, for every n. */
static long oom_countdown = -1; /* allocations left before failing; -1: never fail */

static void *oom_malloc(size_t n)
{
    if (oom_countdown == 0) return NULL;
    if (oom_countdown > 0) oom_countdown--;
    return malloc(n);
}

static void test_out_of_memory(void)
{
    cJSON_Hooks hooks = { oom_malloc, free };
    int wrong = 0, failures = 0;
    cJSON_InitHooks(&hooks);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int32_t n;
        uint8_t *p = unhex(good[i].hex, &n);
        for (long fail_at = 0;; fail_at++) {
            ke_error e;
            ke_clear(&e);
            oom_countdown = fail_at;
            cJSON *j = run(good[i].kind, good[i].key_hex, p, n, &e);
            bool exhausted = oom_countdown != 0; /* the allocator never reached failure */
            oom_countdown = -1;
            if (!j) {
                failures++;
                if (e.code != KE_NOMEM && wrong++ < 5)
                    fprintf(stderr, "  %s, allocation %ld fails: %s %s\n", good[i].name, fail_at,
                            ke_strerror(e.code), e.msg);
            }
            cJSON_Delete(j); /* leaks are LeakSanitizer's to find */
            if (j && exhausted) break;
            if (fail_at > 100000) break;
        }
        free(p);
    }
    cJSON_InitHooks(NULL);
    KT_EQ_INT(wrong, 0);
    KT_CHECK(failures > 100);
}

int main(void)
{
    KT_RUN(test_offsets_william);
    KT_RUN(test_offsets_donaldy);
    KT_RUN(test_offsets_anchor);
    KT_RUN(test_offsets_other_protocols);
    KT_RUN(test_offsets_flexible_v4);
    KT_RUN(test_txn_corpus);
    KT_RUN(test_metadata_log_pda);
    KT_RUN(test_metadata_log_others);
    KT_RUN(test_metadata_ids_match_broker_files);
    KT_RUN(test_metadata_every_snapshot);
    KT_RUN(test_control_commit_marker);
    KT_RUN(test_hand_offsets);
    KT_RUN(test_hand_offsets_new_types);
    KT_RUN(test_hand_txn);
    KT_RUN(test_hand_metadata);
    KT_RUN(test_hand_control);
    KT_RUN(test_nulls);
    KT_RUN(test_every_prefix_fails);
    KT_RUN(test_mutations);
    KT_RUN(test_absurd_lengths);
    KT_RUN(test_invalid_utf8);
    KT_RUN(test_int64_exact);
    KT_RUN(test_out_of_memory);
    return kt_done();
}
