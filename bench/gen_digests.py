#!/usr/bin/python3
"""gen_digests.py - the digests of a cluster that does not exist, for timing kaudit compare.

    /usr/bin/python3 bench/gen_digests.py DIR BROKERS PARTITIONS BATCHES

Writes DIR/broker-<id>.kdg for BROKERS brokers of one cluster holding PARTITIONS
topic-partitions (topics of 100 partitions) with replication factor 3, each copy of
BATCHES batches of 100 records (written by tests/digest_format.py, from docs/digest.md).
Like a real cluster at rest, most copies agree; one copy in ten is a follower a batch
behind, and one partition in a thousand forked (the last two batches of one copy were
written under an older leader epoch by another producer), so compare has every kind of
work to do. Prints the bytes written.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import digest_format  # noqa: E402

RF = 3
PER_TOPIC = 100
CLUSTER = "bench-cluster-0123456789"


def batches_of(topic_index, partition, n, forked=False):
    out, offset, ts = [], 0, 1_700_000_000_000 + topic_index * 1000
    pid = 5000 + topic_index
    for i in range(n):
        old = forked and i >= n - 2
        crc = (hash((topic_index, partition, i, old)) & 0xFFFFFFFF)
        out.append({"base_offset": offset, "last_offset": offset + 99, "leader_epoch": 2 if not old else 1,
                    "crc": crc, "count": 100, "max_timestamp": ts + i * 50, "producer_id": pid + (7 if old else 0),
                    "producer_epoch": 0, "base_sequence": (i * 100) % (1 << 31), "magic": 2})
        offset += 100
    return out


def part_fields(topic, partition, path, d, batches):
    end = batches[-1]["last_offset"] + 1 if batches else -1
    return {"dir": d, "topic": topic, "partition": partition, "path": path, "truncating": False,
            "kafka_log_start": 0, "log_start": 0 if batches else -1, "log_end": end, "high_watermark": end,
            "last_segment_base": 0, "last_segment_size": 1100 * 100 * len(batches), "segments": 1,
            "batches": len(batches), "records": 100 * len(batches), "control_records": 0,
            "bytes": 1100 * 100 * len(batches), "min_timestamp": batches[0]["max_timestamp"] if batches else -1,
            "max_timestamp": batches[-1]["max_timestamp"] if batches else -1}


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    out_dir, brokers, partitions, nbatches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(out_dir, exist_ok=True)
    files = [open(os.path.join(out_dir, "broker-%d.kdg" % b), "wb") for b in range(brokers)]
    writers = [digest_format.Writer(f) for f in files]
    for b, w in enumerate(writers):
        w.dir(0, "/var/lib/kafka/data-%d" % b, b, CLUSTER)
    # Each digest lists its copies in topic, partition, path order: generate in that order.
    topics = (partitions + PER_TOPIC - 1) // PER_TOPIC
    names = sorted(("bench-%05d" % t, t) for t in range(topics))
    for topic, t in names:
        for p in range(min(PER_TOPIC, partitions - t * PER_TOPIC)):
            n = t * PER_TOPIC + p
            forked = n % 1000 == 7
            for r in range(RF):
                b = (n + r) % brokers
                mine = batches_of(t, p, nbatches, forked and r == 2)
                if r == 1 and n % 10 == 3:
                    mine = mine[:-1]           # a follower a batch behind
                path = "/var/lib/kafka/data-%d/%s-%d" % (b, topic, p)
                producers = [{"producer_id": mine[-1]["producer_id"], "epoch": 0, "last_sequence": 99,
                              "last_offset": mine[-1]["last_offset"], "last_timestamp": mine[-1]["max_timestamp"],
                              "open_txn_first": -1}] if mine else []
                writers[b].part(part_fields(topic, p, path, 0, mine), mine, producers)
    total = 0
    for w, f in zip(writers, files):
        w.close()
        total += f.tell()
        f.close()
    print(total)


if __name__ == "__main__":
    main()
