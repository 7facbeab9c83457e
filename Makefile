# kaudit - offline inspector and duplicate auditor for Kafka broker logs.
#
#   make            build ./kaudit (installs missing build packages first)
#   make sample     build, then audit and dump the bundled sample
#   make check      every test: unit, fixtures, corpus, ASan+UBSan, fuzz smoke
#   make fuzz       build the libFuzzer targets (clang)
#   make fuzz-long  run each for 30 minutes (FUZZ_LONG_SECONDS)
#   make bench      the benchmark (bench/)
#
# Sources are found by wildcard: a new reader/foo.c or tests/test_foo.c is
# picked up without editing this file.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -pthread -I.
LDLIBS  += -lzstd -llz4 -lsnappy -lz -lcjson -lxxhash -pthread -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DKAUDIT_VERSION=\"$(VERSION)\"

LIB_SRC  := $(wildcard reader/*.c audit/*.c report/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

B        := build
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(B)/tests/%)

# The same code under AddressSanitizer and UBSan, in its own tree.
A        := build/asan
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
A_LIB    := $(LIB_SRC:%.c=$(A)/%.o)
A_CLI    := $(CLI_SRC:%.c=$(A)/%.o)
A_TESTS  := $(TEST_SRC:tests/%.c=$(A)/tests/%)

.PHONY: all deps deps-test sample check fuzz fuzz-long bench clean
all: deps kaudit

deps:
	@sh tests/deps.sh build

deps-test:
	@sh tests/deps.sh test

kaudit: $(LIB_OBJ) $(CLI_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/%.c tests/kt.h tests/memspill.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

$(A)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(A)/kaudit: $(A_LIB) $(A_CLI)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(A)/tests/%: tests/%.c tests/kt.h tests/memspill.h $(A_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $< $(A_LIB) $(LDLIBS)

# The sample holds planted duplicates: --fail-on none shows them and exits 0.
sample: all
	./kaudit audit --fail-on none fixtures/sample/logdir
	./kaudit dump --verify-index --records --payload fixtures/sample/logdir/orders-1

# Fuzz targets: clang's libFuzzer plus ASan/UBSan. The library is compiled
# once with coverage instrumentation (fuzzer-no-link), then linked into each.
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
F        := build/fuzzlib
F_LIB    := $(LIB_SRC:%.c=$(F)/%.o)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -DKAUDIT_VERSION=\"$(VERSION)\"
$(F)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(B)/fuzz/%: fuzz/%.c fuzz/memfd.h tests/memspill.h $(F_LIB)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(F_LIB) $(LDLIBS)
fuzz: deps-test $(FUZZ_BIN)

# Every fuzz target for FUZZ_LONG_SECONDS (default 30 min), two at a time,
# seeded like make check; the last lines of each log (executions, coverage)
# go to tests/artifacts/fuzz-long/summary.txt. Crashes found land there too:
# turn each into fuzz/regressions/<target>/.
FUZZ_LONG_SECONDS ?= 1800
fuzz-long: fuzz
	@sh tests/fuzz_long.sh $(FUZZ_LONG_SECONDS)

# The builds, then the suites, both on every CPU (tests/run_all.sh).
NPROC := $(shell nproc 2>/dev/null || echo 2)
check: deps-test
	@$(MAKE) --no-print-directory -j$(NPROC) kaudit $(TESTS) $(A)/kaudit $(A_TESTS) $(FUZZ_BIN)
	@bash tests/run_all.sh

bench: all
	@sh bench/run.sh

clean:
	rm -rf build kaudit
