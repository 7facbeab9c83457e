/* test_checkpoint.c - offset / leader-epoch checkpoints, partition.metadata,
 * meta.properties, .kafka_cleanshutdown and quorum-state: Kafka's reader
 * rules, our caps, and every such file of the real corpus. */
#include "kt.h"
#include "reader/checkpoint.h"

#include <ftw.h>
#include <stdlib.h>

#define CORPUS "../shared/corpus/"

static const uint8_t *u8(const char *s)
{
    return (const uint8_t *)s;
}

/* Parse a string as a checkpoint; returns the code, *out set on success. */
static int parse_str(const char *s, kk_kind kind, kk_checkpoint **out, ke_error *e)
{
    ke_clear(e);
    return kk_checkpoint_parse(out, kind, u8(s), strlen(s), e);
}

static void test_offsets_good(void)
{
    kk_checkpoint *c = NULL;
    ke_error e;
    const char *s = "0\n3\nt1 0 5\nt-2\t1   -1  \nlong.topic 12 9223372036854775807\n";
    KT_EQ_INT(parse_str(s, KK_OFFSETS, &c, &e), 0);
    KT_REQUIRE(c != NULL);
    KT_EQ_INT(c->version, 0);
    KT_EQ_INT(c->count, 3);
    KT_REQUIRE_EQ_INT(c->n, 3);
    KT_EQ_STR(c->entries[0].topic, "t1");
    KT_EQ_INT(c->entries[0].partition, 0);
    KT_EQ_INT(c->entries[0].offset, 5);
    KT_EQ_INT(c->entries[0].line, 3);
    KT_EQ_INT(c->entries[0].pos, 4);
    KT_EQ_STR(c->entries[1].topic, "t-2");
    KT_EQ_INT(c->entries[1].offset, -1);
    KT_EQ_INT(c->entries[1].epoch, -1);
    KT_EQ_STR(c->entries[2].topic, "long.topic");
    KT_EQ_INT(c->entries[2].partition, 12);
    KT_EQ_INT(c->entries[2].offset, INT64_MAX);
    kk_checkpoint_free(c);
    kk_checkpoint_free(NULL);
    /* \r\n and lone \r end lines too (BufferedReader.readLine); '+' signs parse. */
    KT_EQ_INT(parse_str("0\r\n2\ra +1 2\r\nb 3 +4", KK_OFFSETS, &c, &e), 0);
    KT_REQUIRE(c != NULL);
    KT_REQUIRE_EQ_INT(c->n, 2);
    KT_EQ_INT(c->entries[0].partition, 1);
    KT_EQ_INT(c->entries[1].offset, 4);
    KT_EQ_INT(c->entries[1].pos, 13);
    kk_checkpoint_free(c);
}

/* Kafka's empty cases: empty file, version only, version + count 0. */
static void test_offsets_empty(void)
{
    kk_checkpoint *c = NULL;
    ke_error e;
    KT_EQ_INT(kk_checkpoint_parse(&c, KK_OFFSETS, NULL, 0, &e), 0);
    if (c) {
        KT_EQ_INT(c->n, 0);
        KT_EQ_INT(c->version, -1);
        KT_CHECK(c->entries == NULL);
    }
    kk_checkpoint_free(c);
    KT_EQ_INT(parse_str("0", KK_OFFSETS, &c, &e), 0);
    if (c) {
        KT_EQ_INT(c->version, 0);
        KT_EQ_INT(c->count, -1);
    }
    kk_checkpoint_free(c);
    KT_EQ_INT(parse_str("0\n0\n", KK_LEADER_EPOCH, &c, &e), 0);
    if (c) {
        KT_EQ_INT(c->count, 0);
        KT_EQ_INT(c->n, 0);
    }
    kk_checkpoint_free(c);
}

static void expect_fail(const char *s, kk_kind kind, int code, int64_t pos)
{
    kk_checkpoint *c = (kk_checkpoint *)&c; /* must be reset to NULL */
    ke_error e;
    KT_EQ_INT(parse_str(s, kind, &c, &e), code);
    KT_CHECK(c == NULL);
    KT_EQ_INT(e.pos, pos);
}

static void test_offsets_bad(void)
{
    expect_fail("1\n0\n", KK_OFFSETS, KE_UNSUPPORTED, 0);
    expect_fail(" 0\n0\n", KK_OFFSETS, KE_CORRUPT, 0);
    expect_fail("0 \n0\n", KK_OFFSETS, KE_CORRUPT, 0);
    expect_fail("x\n", KK_OFFSETS, KE_CORRUPT, 0);
    expect_fail("0\n-1\n", KK_OFFSETS, KE_CORRUPT, 2);
    expect_fail("0\n2147483648\n", KK_OFFSETS, KE_CORRUPT, 2);
    /* Count mismatch: at EOF when lines are missing, at the first extra line. */
    expect_fail("0\n2\na 0 1\n", KK_OFFSETS, KE_CORRUPT, 10);
    expect_fail("0\n1\na 0 1\nb 0 2\n", KK_OFFSETS, KE_CORRUPT, 10);
    /* Malformed lines, with the line's position. */
    expect_fail("0\n2\na 0 1\na 0\n", KK_OFFSETS, KE_CORRUPT, 10);
    expect_fail("0\n1\n a 0 1\n", KK_OFFSETS, KE_CORRUPT, 4); /* leading blank: 4 fields */
    expect_fail("0\n1\n 5 10\n", KK_LEADER_EPOCH, KE_CORRUPT, 4);
    expect_fail("0\n2\na 0 1\n\nb 0 2\n", KK_OFFSETS, KE_CORRUPT, 10); /* empty line */
    expect_fail("0\n1\n   \n", KK_OFFSETS, KE_CORRUPT, 4);
    expect_fail("0\n1\na 0 1 2\n", KK_OFFSETS, KE_CORRUPT, 4);
    expect_fail("0\n1\na 2147483648 1\n", KK_OFFSETS, KE_CORRUPT, 4);
    expect_fail("0\n1\na 0 9223372036854775808\n", KK_OFFSETS, KE_CORRUPT, 4);
    expect_fail("0\n1\na - 1\n", KK_OFFSETS, KE_CORRUPT, 4);
    expect_fail("0\n1\na 0x1 1\n", KK_OFFSETS, KE_CORRUPT, 4);
    expect_fail("0\n1\n5 1 2\n", KK_LEADER_EPOCH, KE_CORRUPT, 4);
    /* Strict UTF-8, with the position of the bad byte. */
    expect_fail("0\n1\nt\xff 0 1\n", KK_OFFSETS, KE_CORRUPT, 5);
    expect_fail("0\n1\nt\xc0\xaf 0 1\n", KK_OFFSETS, KE_CORRUPT, 5);     /* overlong '/' */
    expect_fail("0\n1\nt\xed\xa0\x80 0 1\n", KK_OFFSETS, KE_CORRUPT, 5); /* surrogate */
    kk_checkpoint *c = NULL;
    ke_error e;
    KT_EQ_INT(parse_str("0\n1\nt\xc3\xb8 0 1\n", KK_OFFSETS, &c, &e), 0);
    KT_REQUIRE(c != NULL);
    KT_REQUIRE_EQ_INT(c->n, 1);
    KT_EQ_STR(c->entries[0].topic, "t\xc3\xb8");
    kk_checkpoint_free(c);
    /* A leading blank gives Java an empty first field: topic "". */
    KT_EQ_INT(parse_str("0\n1\n 81 185\n", KK_OFFSETS, &c, &e), 0);
    KT_REQUIRE(c != NULL);
    KT_REQUIRE_EQ_INT(c->n, 1);
    KT_EQ_STR(c->entries[0].topic, "");
    KT_EQ_INT(c->entries[0].partition, 81);
    KT_EQ_INT(c->entries[0].offset, 185);
    kk_checkpoint_free(c);
    /* A NUL inside a topic name cannot be a C string. */
    static const char nul[] = "0\n1\na\0b 0 1\n";
    KT_EQ_INT(kk_checkpoint_parse(&c, KK_OFFSETS, u8(nul), sizeof nul - 1, &e), KE_CORRUPT);
    KT_EQ_INT(kk_checkpoint_parse(NULL, KK_OFFSETS, u8(nul), 3, &e), KE_USAGE);
    KT_EQ_INT(kk_checkpoint_parse(&c, (kk_kind)7, u8(nul), 3, &e), KE_USAGE);
}

/* Absurd sizes are refused before anything is allocated for them. */
static void test_caps(void)
{
    kk_checkpoint *c = NULL;
    ke_error e;
    uint8_t *big = calloc(KK_MAX_FILE + 1, 1);
    KT_CHECK(big != NULL);
    if (big) {
        KT_EQ_INT(kk_checkpoint_parse(&c, KK_OFFSETS, big, KK_MAX_FILE + 1, &e), KE_TOO_LARGE);
        kk_meta_properties m;
        KT_EQ_INT(kk_meta_properties_parse(&m, big, KK_MAX_FILE + 1, &e), KE_TOO_LARGE);
        /* A 10 MB line, found without reading all of it. */
        memcpy(big, "0\n1\n", 4);
        memset(big + 4, 'a', (size_t)10 << 20);
        KT_EQ_INT(kk_checkpoint_parse(&c, KK_OFFSETS, big, (size_t)10 << 20, &e), KE_TOO_LARGE);
        KT_EQ_INT(e.pos, 4);
        kk_partition_metadata pm;
        KT_EQ_INT(kk_partition_metadata_parse(&pm, big + 4, (size_t)1 << 20, &e), KE_TOO_LARGE);
        KT_EQ_INT(kk_quorum_state_parse(NULL, big, 1, &e), KE_USAGE);
        kk_clean_shutdown cs;
        KT_EQ_INT(kk_clean_shutdown_parse(&cs, big, KK_MAX_JSON + 1, &e), KE_TOO_LARGE);
        free(big);
    }
    /* More entry lines than KK_MAX_ENTRIES. */
    size_t lines = (size_t)KK_MAX_ENTRIES + 1, len = 16 + lines * 6;
    char *many = malloc(len + 1);
    KT_CHECK(many != NULL);
    if (!many) return;
    size_t at = (size_t)snprintf(many, len, "0\n%zu\n", lines);
    for (size_t i = 0; i < lines; i++, at += 6)
        memcpy(many + at, "a 0 1\n", 6);
    KT_EQ_INT(kk_checkpoint_parse(&c, KK_OFFSETS, u8(many), at, &e), KE_TOO_LARGE);
    KT_CHECK(c == NULL);
    free(many);
}

static void test_leader_epoch(void)
{
    kk_checkpoint *c = NULL;
    ke_error e;
    KT_EQ_INT(parse_str("0\n3\n0 0\n2 43850\n3 44141\n", KK_LEADER_EPOCH, &c, &e), 0);
    KT_REQUIRE(c != NULL);
    KT_REQUIRE_EQ_INT(c->n, 3);
    KT_EQ_INT(c->entries[1].epoch, 2);
    KT_EQ_INT(c->entries[1].offset, 43850);
    KT_CHECK(c->entries[1].topic == NULL);
    KT_EQ_INT(c->entries[1].partition, -1);
    size_t next = 0;
    KT_EQ_INT(kk_leader_epoch_check(c, &next, &e), 0);
    KT_EQ_INT(next, 3);
    kk_checkpoint_free(c);
    /* Every violation, by looping: equal epoch, offset going back, negative. */
    const char *s = "0\n5\n1 0\n1 5\n2 3\n3 10\n-4 -1\n";
    KT_EQ_INT(parse_str(s, KK_LEADER_EPOCH, &c, &e), 0); /* Kafka's reader accepts it */
    KT_REQUIRE(c != NULL);
    next = 0;
    int64_t pos[4] = {0};
    int n = 0;
    while (kk_leader_epoch_check(c, &next, &e) < 0 && n < 4)
        pos[n++] = e.pos;
    KT_EQ_INT(n, 3);
    KT_EQ_INT(pos[0], 8);
    KT_EQ_INT(pos[1], 12);
    KT_EQ_INT(pos[2], 21);
    kk_checkpoint_free(c);
    KT_EQ_INT(parse_str("0\n0\n", KK_OFFSETS, &c, &e), 0);
    next = 0;
    KT_EQ_INT(kk_leader_epoch_check(c, &next, &e), KE_USAGE);
    kk_checkpoint_free(c);
}

static void test_uuid(void)
{
    uint8_t u[16];
    static const uint8_t want[16] = {0x15, 0x22, 0x4f, 0x17, 0xce, 0xcd, 0x40, 0xdf,
                                     0x89, 0xf7, 0x91, 0x03, 0x2d, 0x15, 0xa2, 0xaf};
    KT_CHECK(kk_uuid_decode("FSJPF87NQN-J95EDLRWirw", 22, u));
    KT_EQ_MEM(u, 16, want, 16);
    char text[23];
    kk_uuid_encode(u, text);
    KT_EQ_STR(text, "FSJPF87NQN-J95EDLRWirw");
    KT_CHECK(kk_uuid_decode("FSJPF87NQN-J95EDLRWirw==", 24, u));
    KT_CHECK(!kk_uuid_decode("FSJPF87NQN-J95EDLRWirw=", 23, u));
    KT_CHECK(!kk_uuid_decode("FSJPF87NQN-J95EDLRWir", 21, u));
    KT_CHECK(!kk_uuid_decode("FSJPF87NQN+J95EDLRWirw", 22, u)); /* not url-safe */
    KT_CHECK(!kk_uuid_decode("FSJPF87NQN-J95EDLRWirwAA", 24, u));
    /* Java ignores the 4 unused low bits of the last symbol. */
    KT_CHECK(kk_uuid_decode("FSJPF87NQN-J95EDLRWirx", 22, u));
    KT_EQ_MEM(u, 16, want, 16);
}

static int pm_str(const char *s, kk_partition_metadata *pm, ke_error *e)
{
    return kk_partition_metadata_parse(pm, u8(s), strlen(s), e);
}

static void test_partition_metadata(void)
{
    kk_partition_metadata pm;
    ke_error e;
    KT_EQ_INT(pm_str("version: 0\ntopic_id: FSJPF87NQN-J95EDLRWirw", &pm, &e), 0);
    KT_EQ_INT(pm.version, 0);
    KT_EQ_STR(pm.topic_id, "FSJPF87NQN-J95EDLRWirw");
    KT_EQ_INT(pm.uuid[0], 0x15);
    KT_EQ_INT(pm_str("version: 1\r\ntopic_id:\t FSJPF87NQN-J95EDLRWirw\r\nmore\n", &pm, &e), 0);
    KT_EQ_INT(pm.version, 1);
    /* Java's split drops the trailing empty part, so this is 2 parts. */
    KT_EQ_INT(pm_str("version: 0\ntopic_id: FSJPF87NQN-J95EDLRWirw: ", &pm, &e), 0);
    KT_EQ_INT(pm_str("anything: 0\nx: FSJPF87NQN-J95EDLRWirw", &pm, &e), 0); /* keys unchecked */
    KT_EQ_INT(pm_str("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA", &pm, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 11);
    KT_EQ_INT(pm_str("version:0\ntopic_id: FSJPF87NQN-J95EDLRWirw", &pm, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 0);
    KT_EQ_INT(pm_str("version: -1\ntopic_id: FSJPF87NQN-J95EDLRWirw", &pm, &e), KE_UNSUPPORTED);
    KT_EQ_INT(pm_str("version: 0\n", &pm, &e), KE_SHORT);
    KT_EQ_INT(pm_str("", &pm, &e), KE_SHORT);
    KT_EQ_INT(pm_str("version: 0\ntopic_id: abc", &pm, &e), KE_CORRUPT);
    KT_EQ_INT(pm_str("version: 0\ntopic_id: a: FSJPF87NQN-J95EDLRWirw", &pm, &e), KE_CORRUPT);
    KT_EQ_INT(pm_str("version: 0\ntopic_id: FSJPF87NQN-J95EDLRWirw ", &pm, &e), KE_CORRUPT);
    /* A leading separator gives a leading empty part: still 2 parts for Java. */
    KT_EQ_INT(pm_str(": 0\ntopic_id: FSJPF87NQN-J95EDLRWirw", &pm, &e), 0);
    KT_EQ_INT(pm_str(": : 0\ntopic_id: FSJPF87NQN-J95EDLRWirw", &pm, &e), KE_CORRUPT);
}

static int mp_str(const char *s, kk_meta_properties *m, ke_error *e)
{
    ke_clear(e);
    return kk_meta_properties_parse(m, u8(s), strlen(s), e);
}

static void test_meta_properties(void)
{
    kk_meta_properties m;
    ke_error e;
    KT_EQ_INT(mp_str("#\n#Thu Oct 10 11:57:10 GMT 2024\nnode.id=1\ndirectory.id=ROP8qUaSlk7r55i85yz4Cg\n"
                     "version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qk\n",
                     &m, &e),
              0);
    KT_EQ_INT(m.version, 1);
    KT_CHECK(m.has_version && m.has_node_id && m.has_cluster_id && m.has_directory_id);
    KT_CHECK(!m.has_broker_id);
    KT_EQ_INT(m.node_id, 1);
    KT_EQ_STR(m.cluster_id, "MkU3OEVBNTcwNTJENDM2Qk");
    KT_EQ_INT(m.directory_id[0], 0x44);
    KT_EQ_INT(m.directory_id[15], 0x0a);
    /* Java syntax: '!' comments, ':' and blank separators, spaces around '=',
     * continuation, escapes, \r\n, last duplicate wins, unknown keys counted. */
    const char *s = "! comment\r\n  version = 0\r\nbroker.id:7\ncluster.id   ab\\\n    cd\\u00e9\\=\\:x\n"
                    "broker.id\t 8\nother=1\nk\\ ey=2\n";
    KT_EQ_INT(mp_str(s, &m, &e), 0);
    KT_EQ_INT(m.version, 0);
    KT_EQ_INT(m.broker_id, 8);
    KT_EQ_STR(m.cluster_id, "abcd\xc3\xa9=:x");
    KT_EQ_INT(m.other_keys, 2);
    /* ISO-8859-1 bytes become UTF-8. */
    KT_EQ_INT(mp_str("cluster.id=\xe9t\xe9", &m, &e), 0);
    KT_EQ_STR(m.cluster_id, "\xc3\xa9t\xc3\xa9");
    /* Absent version means 0, where nothing is required. */
    KT_EQ_INT(mp_str("", &m, &e), 0);
    KT_CHECK(!m.has_version && m.version == 0 && !m.has_cluster_id);
    /* MetaProperties' rules. */
    KT_EQ_INT(mp_str("version=1\ncluster.id=x\n", &m, &e), KE_CORRUPT); /* node.id required */
    KT_EQ_INT(e.pos, -1);
    KT_EQ_INT(mp_str("version=1\nnode.id=3\n", &m, &e), KE_CORRUPT); /* cluster.id required */
    KT_EQ_INT(mp_str("version=1\nnode.id=x3\ncluster.id=c\n", &m, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 10);
    KT_EQ_INT(mp_str("version=2\n", &m, &e), KE_UNSUPPORTED);
    KT_EQ_INT(mp_str("version=  1  \nnode.id=3\ncluster.id=c\n", &m, &e), 0); /* trimmed */
    KT_EQ_INT(mp_str("version=zero\n", &m, &e), KE_CORRUPT);
    KT_EQ_INT(mp_str("version=0\nbroker.id=1 \n", &m, &e), KE_CORRUPT); /* not trimmed */
    KT_EQ_INT(mp_str("version=0\nnode.id=abc\n", &m, &e), 0);           /* not read in v0 */
    KT_CHECK(!m.has_node_id);
    KT_EQ_INT(mp_str("directory.id=nope\n", &m, &e), KE_CORRUPT);
    KT_EQ_INT(mp_str("a=\\u12G4\n", &m, &e), KE_CORRUPT);
    KT_EQ_INT(mp_str("a=\\u12", &m, &e), KE_CORRUPT);
    char longid[400] = "cluster.id=";
    memset(longid + 11, 'x', 300);
    KT_EQ_INT(mp_str(longid, &m, &e), KE_TOO_LARGE);
    KT_EQ_INT(mp_str("x=\\", &m, &e), 0); /* trailing backslash at EOF dropped */
    /* A malformed escape anywhere fails Properties.load, even in a long
     * unknown key or value. */
    char longkey[700];
    memset(longkey, 'k', 600);
    strcpy(longkey + 600, "\\uZZZZ=1");
    KT_EQ_INT(mp_str(longkey, &m, &e), KE_CORRUPT);
    memset(longkey, 'v', 600);
    memcpy(longkey, "other=", 6);
    strcpy(longkey + 600, "\\u00");
    KT_EQ_INT(mp_str(longkey, &m, &e), KE_CORRUPT);
    longkey[600] = '\0';
    KT_EQ_INT(mp_str(longkey, &m, &e), 0);
    KT_EQ_INT(m.other_keys, 1);
}

static int cs_str(const char *s, kk_clean_shutdown *cs, ke_error *e)
{
    return kk_clean_shutdown_parse(cs, u8(s), strlen(s), e);
}

static void test_clean_shutdown(void)
{
    kk_clean_shutdown cs;
    ke_error e;
    KT_EQ_INT(cs_str("", &cs, &e), 0);
    KT_CHECK(cs.empty && !cs.has_broker_epoch);
    KT_EQ_INT(cs_str("{\"version\":0,\"brokerEpoch\":11}", &cs, &e), 0);
    KT_CHECK(!cs.empty && cs.has_broker_epoch);
    KT_EQ_INT(cs.broker_epoch, 11);
    KT_EQ_INT(cs_str(" {\"brokerEpoch\":1,\"x\":[1],\"brokerEpoch\":2}\n", &cs, &e), 0);
    KT_EQ_INT(cs.broker_epoch, 2); /* Jackson keeps the last duplicate */
    KT_EQ_INT(cs.version, 0);
    KT_EQ_INT(cs_str("{\"version\":3,\"brokerEpoch\":null}", &cs, &e), 0);
    KT_CHECK(!cs.has_broker_epoch);
    KT_EQ_INT(cs.version, 3);
    KT_EQ_INT(cs_str("{\"brokerEpoch\":9007199254740991}", &cs, &e), 0);
    KT_EQ_INT(cs.broker_epoch, 9007199254740991);
    KT_EQ_INT(cs_str("{\"brokerEpoch\":9007199254740993}", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(cs_str("{\"brokerEpoch\":1.5}", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(cs_str("{\"brokerEpoch\":\"5\"}", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(cs_str("{\"version\":2147483648}", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(cs_str("[1]", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(cs_str("{\"brokerEpoch\":1} x", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(e.pos, 18);
    KT_EQ_INT(cs_str("{\"brokerEpoch\":", &cs, &e), KE_CORRUPT);
    KT_EQ_INT(cs_str("   ", &cs, &e), KE_CORRUPT);
}

static int qs_str(const char *s, kk_quorum_state *q, ke_error *e)
{
    return kk_quorum_state_parse(q, u8(s), strlen(s), e);
}

static void test_quorum_state(void)
{
    kk_quorum_state q;
    ke_error e;
    KT_EQ_INT(
        qs_str("{\"clusterId\":\"\",\"leaderId\":1,\"leaderEpoch\":6,\"votedId\":-1,\"appliedOffset\":0,"
               "\"currentVoters\":[{\"voterId\":1},{\"voterId\":3}],\"data_version\":0}\n",
               &q, &e),
        0);
    KT_CHECK(q.has_data_version && q.has_cluster_id && q.has_applied_offset && q.has_current_voters);
    KT_CHECK(!q.has_voted_directory_id);
    KT_EQ_INT(q.leader_epoch, 6);
    KT_EQ_INT(q.voted_id, -1);
    KT_EQ_INT(q.n_voters, 2);
    KT_EQ_INT(q.voters[1], 3);
    KT_EQ_STR(q.cluster_id, "");
    KT_EQ_INT(qs_str("{\"leaderId\":1,\"leaderEpoch\":1,\"votedId\":-1,\"votedDirectoryId\":"
                     "\"AAAAAAAAAAAAAAAAAAAAAA\",\"data_version\":1}",
                     &q, &e),
              0);
    KT_CHECK(q.has_voted_directory_id && !q.has_current_voters && !q.has_cluster_id);
    KT_EQ_INT(q.data_version, 1);
    KT_EQ_INT(qs_str("{\"currentVoters\":null}", &q, &e), 0);
    KT_CHECK(!q.has_current_voters);
    KT_EQ_INT(qs_str("", &q, &e), KE_SHORT);
    KT_EQ_INT(qs_str("{\"leaderId\":1,\n\"data_version\":0}", &q, &e), KE_CORRUPT); /* first line only */
    KT_EQ_INT(qs_str("{\"leaderId\":2147483648}", &q, &e), KE_CORRUPT);
    KT_EQ_INT(qs_str("{\"currentVoters\":[1]}", &q, &e), KE_CORRUPT);
    KT_EQ_INT(qs_str("{\"currentVoters\":[{}]}", &q, &e), KE_CORRUPT);
    KT_EQ_INT(qs_str("{\"votedDirectoryId\":\"xyz\"}", &q, &e), KE_CORRUPT);
    char many[2048] = "{\"currentVoters\":[";
    size_t at = strlen(many);
    for (int i = 0; i <= KK_MAX_VOTERS; i++)
        at += (size_t)snprintf(many + at, sizeof many - at, "%s{\"voterId\":%d}", i ? "," : "", i);
    snprintf(many + at, sizeof many - at, "]}");
    KT_EQ_INT(qs_str(many, &q, &e), KE_TOO_LARGE);
}

/* ---- real broker files ---------------------------------------------- */

static kk_checkpoint *real_cp(const char *rel, kk_kind kind)
{
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, CORPUS "%s", rel);
    uint8_t *buf = kt_slurp(path, &len);
    KT_CHECK(buf != NULL);
    kk_checkpoint *c = NULL;
    ke_error e;
    if (buf) KT_EQ_INT(kk_checkpoint_parse(&c, kind, buf, len, &e), 0);
    free(buf); /* the checkpoint owns copies of what it keeps */
    return c;
}

static void expect_tp(const kk_checkpoint *c, size_t i, const char *t, int32_t p, int64_t o)
{
    KT_EQ_STR(c->entries[i].topic, t);
    KT_EQ_INT(c->entries[i].partition, p);
    KT_EQ_INT(c->entries[i].offset, o);
}

static void test_real_checkpoints(void)
{
    kk_checkpoint *c = real_cp("SharaWeil__kafka-0.11.0/data/recovery-point-offset-checkpoint", KK_OFFSETS);
    if (c && c->n == 4) {
        expect_tp(c, 0, "test0", 1, 11);
        expect_tp(c, 2, "mac_test", 0, 78);
        expect_tp(c, 3, "test0", 2, 11);
    }
    KT_CHECK(c && c->n == 4);
    kk_checkpoint_free(c);
    c = real_cp("DonaldY__kafka-2.7.1/kafka-logs/cleaner-offset-checkpoint", KK_OFFSETS);
    KT_CHECK(c && c->n == 3);
    if (c && c->n == 3) expect_tp(c, 2, "__consumer_offsets", 39, 18);
    kk_checkpoint_free(c);
    c = real_cp("dschne27__kafka-streams/broker/data/recovery-point-offset-checkpoint", KK_OFFSETS);
    KT_CHECK(c && c->n == 208);
    if (c && c->n == 208)
        expect_tp(c, 3, "_confluent-controlcenter-7-6-1-1-MonitoringVerifierStore-repartition", 0, 0);
    kk_checkpoint_free(c);
    c = real_cp("ItumelengMogase__Real-Time-Data-Pipeline-for-Patient-Admissions/kafka-data/"
                "__cluster_metadata-0/leader-epoch-checkpoint",
                KK_LEADER_EPOCH);
    KT_CHECK(c && c->n == 25);
    if (c && c->n == 25) {
        KT_EQ_INT(c->entries[0].epoch, 1);
        KT_EQ_INT(c->entries[0].offset, 0);
        KT_EQ_INT(c->entries[24].epoch, 25);
        KT_EQ_INT(c->entries[24].offset, 53298);
        KT_EQ_INT(c->entries[24].line, 27);
        size_t next = 0;
        KT_EQ_INT(kk_leader_epoch_check(c, &next, NULL), 0);
    }
    kk_checkpoint_free(c);
    c = real_cp("William0423__kafka/kafka-logs/__consumer_offsets-32/leader-epoch-checkpoint",
                KK_LEADER_EPOCH);
    KT_CHECK(c && c->n == 0 && c->version == -1); /* 0 bytes */
    kk_checkpoint_free(c);
}

/* The bytes of a corpus file (free() them), or NULL: the caller requires it. */
static uint8_t *real_buf(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, CORPUS "%s", rel);
    return kt_slurp(path, len);
}

static void test_real_small_files(void)
{
    size_t len;
    ke_error e;
    int rc;
    uint8_t *b =
        real_buf("Pda-Final-Project__backend/data/kafka/__cluster_metadata-0/partition.metadata", &len);
    KT_REQUIRE(b != NULL);
    kk_partition_metadata pm;
    static const uint8_t meta_topic[16] = {[15] = 1}; /* Uuid.METADATA_TOPIC_ID */
    rc = kk_partition_metadata_parse(&pm, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_EQ_MEM(pm.uuid, 16, meta_topic, 16);
    KT_EQ_STR(pm.topic_id, "AAAAAAAAAAAAAAAAAAAAAQ");
    b = real_buf("dschne27__kafka-streams/broker/data/meta.properties", &len);
    KT_REQUIRE(b != NULL);
    kk_meta_properties m;
    rc = kk_meta_properties_parse(&m, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_CHECK(m.version == 0 && m.has_broker_id && m.broker_id == 1);
    KT_EQ_STR(m.cluster_id, "3NSwUOyERT-qcj8GAtP8HA");
    b = real_buf("xpxwo100__bullShit/tmp/kafka-logs/meta.properties", &len);
    KT_REQUIRE(b != NULL);
    rc = kk_meta_properties_parse(&m, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_CHECK(m.version == 0 && m.broker_id == 0 && !m.has_cluster_id);
    b = real_buf("ronem123__rupia-transaction-service/kafka-logs/.kafka_cleanshutdown", &len);
    KT_REQUIRE(b != NULL);
    kk_clean_shutdown cs;
    rc = kk_clean_shutdown_parse(&cs, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_CHECK(!cs.empty && cs.has_broker_epoch && cs.broker_epoch == 11);
    b = real_buf("William0423__kafka/kafka-logs/.kafka_cleanshutdown", &len);
    KT_REQUIRE(b != NULL);
    rc = kk_clean_shutdown_parse(&cs, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_CHECK(cs.empty);
    b = real_buf("Pda-Final-Project__backend/data/kafka/__cluster_metadata-0/quorum-state", &len);
    KT_REQUIRE(b != NULL);
    kk_quorum_state q;
    rc = kk_quorum_state_parse(&q, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_CHECK(q.leader_id == 1 && q.leader_epoch == 6 && q.n_voters == 1 && q.voters[0] == 1);
    b = real_buf("ronem123__rupia-transaction-service/kafka-logs/__cluster_metadata-0/quorum-state", &len);
    KT_REQUIRE(b != NULL);
    rc = kk_quorum_state_parse(&q, b, len, &e);
    free(b);
    KT_REQUIRE_EQ_INT(rc, 0);
    KT_CHECK(q.data_version == 1 && q.has_voted_directory_id && !q.has_current_voters);
}

/* Every checkpoint-like file of the corpus parses; leader epochs are ordered. */
static struct {
    int files, failed;
} sweep;

static int parse_any(const char *name, const uint8_t *b, size_t len, ke_error *e)
{
    kk_checkpoint *c = NULL;
    int rc = 1; /* not ours */
    if (strcmp(name, "leader-epoch-checkpoint") == 0) {
        rc = kk_checkpoint_parse(&c, KK_LEADER_EPOCH, b, len, e);
        size_t next = 0;
        if (rc == 0) rc = kk_leader_epoch_check(c, &next, e);
    } else if (strstr(name, "offset-checkpoint")) {
        rc = kk_checkpoint_parse(&c, KK_OFFSETS, b, len, e);
    } else if (strcmp(name, "partition.metadata") == 0) {
        kk_partition_metadata pm;
        rc = kk_partition_metadata_parse(&pm, b, len, e);
    } else if (strcmp(name, "meta.properties") == 0) {
        kk_meta_properties m;
        rc = kk_meta_properties_parse(&m, b, len, e);
    } else if (strcmp(name, ".kafka_cleanshutdown") == 0) {
        kk_clean_shutdown cs;
        rc = kk_clean_shutdown_parse(&cs, b, len, e);
    } else if (strcmp(name, "quorum-state") == 0) {
        kk_quorum_state q;
        rc = kk_quorum_state_parse(&q, b, len, e);
    }
    kk_checkpoint_free(c);
    return rc;
}

static int sweep_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (type != FTW_F) return 0;
    size_t len = 0;
    uint8_t *b = kt_slurp(path, &len);
    if (!b) return 0;
    ke_error e;
    ke_clear(&e);
    int rc = parse_any(path + ftw->base, b, len, &e);
    free(b);
    if (rc == 1) return 0;
    sweep.files++;
    if (rc != 0) {
        sweep.failed++;
        fprintf(stderr, "  %s: %s at %lld: %s\n", path, ke_strerror(rc), (long long)e.pos, e.msg);
    }
    return 0;
}

static void test_corpus_sweep(void)
{
    memset(&sweep, 0, sizeof sweep);
    KT_EQ_INT(nftw(CORPUS, sweep_one, 16, FTW_PHYS), 0);
    /* At least the files the corpus held when this test was written (it
     * only grows: new real data must parse too, without editing a total). */
    KT_CHECK(sweep.files >= 914 + 595 + 13 + 4 + 4 + 50);
    KT_EQ_INT(sweep.failed, 0);
}

int main(void)
{
    KT_RUN(test_offsets_good);
    KT_RUN(test_offsets_empty);
    KT_RUN(test_offsets_bad);
    KT_RUN(test_caps);
    KT_RUN(test_leader_epoch);
    KT_RUN(test_uuid);
    KT_RUN(test_partition_metadata);
    KT_RUN(test_meta_properties);
    KT_RUN(test_clean_shutdown);
    KT_RUN(test_quorum_state);
    KT_RUN(test_real_checkpoints);
    KT_RUN(test_real_small_files);
    KT_RUN(test_corpus_sweep);
    return kt_done();
}
