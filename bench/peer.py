#!/usr/bin/python3
"""peer.py - an independent peer doing kaudit's core job with kafka-python:
decode every record of the given segments and find same key+value repeats.
Prints: bytes, records, duplicates, seconds."""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
import oracle  # noqa: E402  (kafka-python with the multi-frame zstd reader)
from kafka.record.memory_records import MemoryRecords  # noqa: E402

oracle.install_kafka_python_shims()
t0 = time.monotonic()
size = records = dups = 0
seen = set()
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    size += len(data)
    mr = MemoryRecords(data)
    while mr.has_next():
        batch = mr.next_batch()
        for rec in batch:
            records += 1
            h = hash((rec.key, rec.value))
            if h in seen:
                dups += 1
            else:
                seen.add(h)
print(size, records, dups, "%.3f" % (time.monotonic() - t0))
