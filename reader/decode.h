/*
 * decode.h - JSON views of the records of Kafka's internal topics.
 *
 * Owns: decoders that turn the key and value bytes of one record of
 * `__consumer_offsets`, `__transaction_state`, the KRaft metadata log
 * (`__cluster_metadata` and its `.checkpoint` snapshots) and of KRaft
 * control records into a new cJSON tree shaped like the output of
 * DumpLogSegments' decoders (formats doc 8.4, schemas in 3 and 9).
 * Never prints, never touches files, keeps no state between calls; it
 * allocates only the returned tree (and temporaries freed before return).
 *
 * Inputs are untrusted bytes. Every length and count is checked against the
 * bytes that remain, nesting comes only from the built-in schemas (never
 * from the data), and a failure returns NULL with `e` filled: code
 * KE_SHORT (a field runs past the end), KE_CORRUPT (a field breaks Kafka's
 * rules), KE_UNSUPPORTED (a record type or version this module does not
 * know), KE_NOMEM or KE_USAGE; `e->pos` is the byte position inside the key
 * or value given (not in the file: the caller adds the record's position and
 * sets `e->file`), and the message names the field.
 *
 * A key or value is null when its length is negative (Kafka writes -1; the
 * pointer is then ignored and may be NULL). A NULL pointer with length 0 is
 * an empty, non-null key or value; with a positive length it is KE_USAGE.
 * Every value decoder turns a null value into {"tombstone": true}.
 *
 * How Kafka's types appear in the JSON (names are Kafka's schema field names
 * in camelCase, as Kafka's generated JSON converters write them):
 *   - int8/int16/uint16/int32, float64: numbers; bool: true/false.
 *   - int64: a number when |v| <= 2^53 (exact in a double); beyond that a
 *     cJSON raw item holding the exact decimal digits (cJSON_IsRaw,
 *     valuestring), so printing never loses a digit.
 *   - string: always valid UTF-8. Each ill-formed UTF-8 sequence (maximal
 *     subpart, as Java's String decoder does) and each NUL byte (cJSON
 *     strings are C strings) is replaced by U+FFFD. Null string: null.
 *   - bytes: standard base64 with padding (what Jackson writes for Kafka's
 *     JSON converters); null: null.
 *   - uuid: Kafka's Uuid.toString(), url-safe base64 without padding.
 *   - tagged fields (flexible versions) appear only when present in the
 *     bytes; tags this module does not know are kept as
 *     "unknownTaggedFields": [{"tag": n, "data": "<base64>"}].
 *   - bytes left over after a coordinator key or value, or after a control
 *     value (Kafka ignores them), are reported as "trailingBytes": n (beside
 *     "data"; among a control value's fields); after a metadata record they
 *     are an error, as in Kafka (formats doc 3, last line).
 */
#ifndef KAUDIT_READER_DECODE_H
#define KAUDIT_READER_DECODE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "reader/error.h"

/*
 * Key of a `__consumer_offsets` record (formats doc 9.1): the int16 record
 * type then that type's key. Returns {"type": "<t>", "name": "<Name>",
 * "data": {...}}, e.g. {"type":"1","name":"OffsetCommit","data":{"group":
 * "g","topic":"t","partition":0}}; "type" is a string as in DumpLogSegments.
 * Known types: 0-2 (classic groups), 3-8 (KIP-848 consumer groups), 9-15
 * (KIP-932 share groups), 16 (consumer group regular expression), 17
 * (KIP-1071 streams group metadata). Fails on a null key (Kafka requires one) and with
 * KE_UNSUPPORTED on other types. The caller frees the result (cJSON_Delete).
 */
cJSON *kd_offsets_key(const uint8_t *key, int32_t key_len, ke_error *e);

/*
 * Value of a `__consumer_offsets` record; the key is needed because the
 * record type in it selects the value schema. Returns {"version": "<v>",
 * "data": {...}}: OffsetCommitValue v0-v4 for types 0 and 1,
 * GroupMetadataValue v0-v4 for type 2, where each member's "subscription"
 * and "assignment" are decoded as ConsumerProtocol messages (with their
 * "version" first) when protocolType is "consumer" and they parse, and are
 * left as base64 otherwise (as DumpLogSegments does). For the other known
 * types the value is not decoded: {"version": "<v>", "data": null,
 * "raw": "<base64 of the bytes after the version>", "note": "..."}.
 * A null value gives {"tombstone": true}. Errors in the key (null, short,
 * unknown type) carry positions in the key, all others in the value. The
 * caller frees the result.
 */
cJSON *kd_offsets_value(const uint8_t *key, int32_t key_len,
                        const uint8_t *val, int32_t val_len, ke_error *e);

/*
 * Key of a `__transaction_state` record (formats doc 9.2): int16 version 0
 * then transactionalId. Returns {"type": "0", "data": {"transactionalId":
 * "..."}} (the JSON of the Java DumpLogSegments). Other versions:
 * KE_UNSUPPORTED. The caller frees the result.
 */
cJSON *kd_txn_key(const uint8_t *key, int32_t key_len, ke_error *e);

/*
 * Value of a `__transaction_state` record: TransactionLogValue v0
 * (non-flexible) or v1 (flexible; tags 0 previousProducerId,
 * 1 nextProducerId, 2 clientTransactionVersion). Returns {"version": "<v>",
 * "data": {"producerId", "producerEpoch", "transactionTimeoutMs",
 * "transactionStatus", "transactionPartitions": [{"topic", "partitionIds"}]
 * or null, "transactionLastUpdateTimestampMs",
 * "transactionStartTimestampMs", ...}} where transactionStatus is the state
 * name (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit,
 * CompleteAbort, Dead, PrepareEpochFence; "Unknown(<id>)" otherwise).
 * A null value gives {"tombstone": true}. The caller frees the result.
 */
cJSON *kd_txn_value(const uint8_t *val, int32_t val_len, ke_error *e);

/*
 * Value of a non-control record of the KRaft metadata log or of a
 * `.checkpoint` snapshot (its key is null): uvarint frame version (must be
 * 1), uvarint apiKey, uvarint version, then the flexible message, with no
 * byte after it. Returns {"type": "<Name>", "version": v, "data": {...}},
 * e.g. {"type":"TopicRecord","version":0,"data":{"name":"t","topicId":
 * "..."}}. Every record type of kd_metadata_type_name() that has a schema is
 * decoded fully up to the version Kafka 4.0 knows; a newer version, or one
 * of the two historical types, gives {"type", "version", "note":
 * "data not decoded: ..."}. An apiKey without a name is KE_UNSUPPORTED.
 * A null value gives {"tombstone": true}. The caller frees the result.
 */
cJSON *kd_metadata_value(const uint8_t *val, int32_t val_len, ke_error *e);

/*
 * Name of a KRaft metadata record type ("TopicRecord" for 2, ...): the
 * "name" of the schema in Kafka's metadata/src/main/resources/common/metadata;
 * NULL when unknown. Includes two types Kafka has since dropped
 * (6 AccessControlRecord, 16 RemoveFeatureLevelRecord) so that old logs
 * still show a name. Static string, never freed.
 */
const char *kd_metadata_type_name(int api_key);

/*
 * Value of a control record (formats doc 3), given the type from its key:
 * 0 ABORT / 1 COMMIT (EndTxnMarker: {"version", "coordinatorEpoch"}; at
 * least 6 bytes, version >= 0, newer versions read as 0), 2 LeaderChange
 * ({"version", "leaderId", "voters": [{"voterId"}], "grantingVoters"}),
 * 3 SnapshotHeader ({"version", "lastContainedLogTimestamp"}),
 * 4 SnapshotFooter ({"version"}), 5 KRaftVersion ({"version",
 * "kRaftVersion"}), 6 KRaftVoters ({"version", "voters": [{"voterId",
 * "voterDirectoryId", "endpoints": [{"name", "host", "port"}],
 * "kRaftVersionFeature": {"minSupportedVersion", "maxSupportedVersion"}}]}).
 * KRaft messages are read at schema version 0 as Kafka's ControlRecordUtils
 * does. Other types: KE_UNSUPPORTED. The caller frees the result.
 */
cJSON *kd_control_value(int16_t control_type, const uint8_t *val, int32_t val_len,
                        ke_error *e);

#endif
