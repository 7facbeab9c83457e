# kaudit - offline inspector and duplicate auditor for Kafka broker logs.
#
#   make            build ./kaudit (installs missing build packages first)
#   make sample     build, then audit and dump the bundled sample
#   make check      every test: unit, fixtures, corpus, ASan+UBSan, fuzz smoke
#   make fuzz       build the libFuzzer targets (clang)
#   make fuzz-long  run each for 30 minutes (FUZZ_LONG_SECONDS)
#   make bench      the benchmark (bench/)
#   make install    the binary, its man page, bash completion and documents,
#                   libkaudit.a and its header under $(DESTDIR)$(PREFIX)
#   make deb        a Debian package of the command (build/kaudit_*.deb)
#
# Sources are found by wildcard: a new reader/foo.c or tests/test_foo.c is
# picked up without editing this file.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -pthread -I.
LDLIBS  += -lzstd -llz4 -lsnappy -lz -lcjson -lxxhash -pthread -lm

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DKAUDIT_VERSION=\"$(VERSION)\"

LIB_SRC  := $(wildcard reader/*.c audit/*.c report/*.c engine/*.c inspect/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

# Header dependencies come from the compiler (-MMD -MP: one .d beside each
# object, included below), so a changed header rebuilds what includes it.
DEPFLAGS := -MMD -MP

# libkaudit.a: reader, audit, report, the engine and inspect (the dump)
# behind include/kaudit.h, linked by the binary, the tests and, in sanitizer
# and fuzzer builds of its own, their twins.
B        := build
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
LIB      := $(B)/libkaudit.a
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(B)/tests/%)

# The same code under AddressSanitizer and UBSan, in its own tree.
A        := build/asan
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
A_LIB_OBJ := $(LIB_SRC:%.c=$(A)/%.o)
A_LIB    := $(A)/libkaudit.a
A_CLI    := $(CLI_SRC:%.c=$(A)/%.o)
A_TESTS  := $(TEST_SRC:tests/%.c=$(A)/tests/%)

.PHONY: all deps deps-test sample check fuzz fuzz-long bench clean install
all: deps kaudit

deps:
	@sh tests/deps.sh build

deps-test:
	@sh tests/deps.sh test

# Every compilation waits for the packages it needs (an order-only
# prerequisite: make -j cannot race the installation).
$(B)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

kaudit: $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(B)/tests/%: tests/%.c $(LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(A)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) -c -o $@ $<

$(A_LIB): $(A_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(A)/kaudit: $(A_CLI) $(A_LIB)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(A_CLI) $(A_LIB) $(LDLIBS)

$(A)/tests/%: tests/%.c $(A_LIB) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(DEPFLAGS) -o $@ $< $(A_LIB) $(LDLIBS)

# The sample holds planted duplicates: --fail-on none shows them and exits 0.
sample: all
	./kaudit audit --fail-on none fixtures/sample/logdir
	./kaudit dump --verify-index --records --payload fixtures/sample/logdir/orders-1

# Fuzz targets: clang's libFuzzer plus ASan/UBSan. The library is compiled
# once with coverage instrumentation (fuzzer-no-link), then linked into each.
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
F        := build/fuzzlib
# (the audit engine's driver, jobs and spills are no target's: left out)
F_LIB_OBJ := $(filter-out $(F)/engine/engine.o $(F)/engine/partition.o $(F)/engine/spill.o $(F)/engine/readahead.o,\
                          $(LIB_SRC:%.c=$(F)/%.o))
F_LIB    := $(F)/libkaudit.a
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -DKAUDIT_VERSION=\"$(VERSION)\"
$(F)/%.o: %.c | deps-test
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(F_LIB): $(F_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/fuzz/%: fuzz/%.c $(F_LIB) | deps-test
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer -o $@ $< $(F_LIB) $(LDLIBS)
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
	@$(MAKE) --no-print-directory -j$(NPROC) kaudit $(TESTS) $(A)/kaudit $(A_TESTS) $(FUZZ_BIN) $(B)/tests/peakrss
	@bash tests/run_all.sh

bench: all
	@sh bench/run.sh

# The manual page and the bash completion are generated from what the built
# binary prints for --help and each command's --help (packaging/mkman.sh,
# packaging/mkcompletion.sh): the usage strings in cli/*.c are their one
# source, so they never disagree with --help.
$(B)/kaudit.1: kaudit packaging/mkman.sh
	@mkdir -p $(dir $@)
	sh packaging/mkman.sh ./kaudit >$@.$$$$.tmp && mv $@.$$$$.tmp $@ || { rm -f $@.$$$$.tmp; false; }
$(B)/kaudit.bash-completion: kaudit packaging/mkcompletion.sh
	@mkdir -p $(dir $@)
	sh packaging/mkcompletion.sh ./kaudit >$@.$$$$.tmp && mv $@.$$$$.tmp $@ || { rm -f $@.$$$$.tmp; false; }

# install-bin: the command, its manual page, bash completion and documents;
# install-dev: the library and the header a second front end needs (with
# the report model it includes): cc -I$(PREFIX)/include/kaudit prog.c
# -L$(PREFIX)/lib -lkaudit -lzstd -llz4 -lsnappy -lz -lcjson -lxxhash -pthread -lm
PREFIX  ?= /usr/local
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/kaudit
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
.PHONY: install-bin install-dev deb
install: install-bin install-dev
install-bin: all $(B)/kaudit.1 $(B)/kaudit.bash-completion
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/docs
	install -m 755 kaudit $(DESTDIR)$(PREFIX)/bin/kaudit
	install -m 644 $(B)/kaudit.1 $(DESTDIR)$(MANDIR)/man1/kaudit.1
	install -m 644 $(B)/kaudit.bash-completion $(DESTDIR)$(BASHCOMPDIR)/kaudit
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 644 docs/* $(DESTDIR)$(DOCDIR)/docs/
install-dev: all $(LIB)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/kaudit/report
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libkaudit.a
	install -m 644 include/kaudit.h $(DESTDIR)$(PREFIX)/include/kaudit/kaudit.h
	install -m 644 report/model.h $(DESTDIR)$(PREFIX)/include/kaudit/report/model.h
	install -m 644 report/types.h $(DESTDIR)$(PREFIX)/include/kaudit/report/types.h
	install -m 644 report/escape.h $(DESTDIR)$(PREFIX)/include/kaudit/report/escape.h
	install -m 644 report/listing.h $(DESTDIR)$(PREFIX)/include/kaudit/report/listing.h

# A Debian package of install-bin under /usr, its dependencies those of the
# libraries the binary links (packaging/mkdeb.sh): build/kaudit_VERSION_ARCH.deb,
# for `apt install ./build/kaudit_*.deb` (staged in DEBDIR, written to DEBOUT).
DEBDIR  ?= $(B)/deb
DEBOUT  ?= $(B)
deb: all $(B)/kaudit.1 $(B)/kaudit.bash-completion
	rm -rf $(DEBDIR)
	$(MAKE) --no-print-directory install-bin DESTDIR=$(abspath $(DEBDIR)) PREFIX=/usr
	sh packaging/mkdeb.sh $(DEBDIR) $(VERSION) $(DEBOUT)

clean:
	rm -rf build kaudit

# What the compiler found each object and program to include.
-include $(wildcard $(B)/*/*.d $(B)/*/*/*.d $(B)/*/*/*/*.d)
