# beamdump: plain GNU make, out-of-tree objects under $(BUILD).
#
#   make                  library and CLI (build/rel/beamdump)
#   make test             unit tests, golden CLI tests, real-dump, hostile-input and corpus checks,
#                         and capture-test (skipped without Erlang)
#   make capture-test     beamdump capture against a real node with planted problems
#   make check            test with -Werror, then again under ASan+UBSan, then unit and
#                         golden tests and the threads check under ThreadSanitizer (CI)
#   make threads          reports on a cut 200k-process dump: 1 thread = 4 threads
#   make SAN=address,undefined test
#   make demo             beamdump analyze on a bundled sample dump (fixtures/triage.erl)
#   make bench            build three dumps of different shapes with real nodes and time
#                         beamdump on each (~0.5, 0.6 and 1.3 GB); capture nodes of 200k
#                         and 1M processes and read their snapshots
#   make bench-huge       the same on a ~14 GB dump (not run by CI; needs ~8 GB of memory)
#   make install PREFIX=/usr/local DESTDIR=

CC      ?= cc
CFLAGS  ?= -O2 -g
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_FILE_OFFSET_BITS=64
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wold-style-definition -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla \
           -Wformat=2 -Wundef -Wnull-dereference -Wimplicit-fallthrough -fno-common
# DEV=1 (CI) turns warnings into errors; users' newer compilers are not broken by it
WARN    += $(if $(filter 1,$(DEV)),-Werror)
ifneq ($(SAN),)
CFLAGS  += -O1 -fsanitize=$(SAN) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SAN)
endif
comma   := ,
BUILD   ?= build/$(if $(SAN),san-$(subst $(comma),-,$(SAN)),rel)

PKGS         := zlib libpcre2-8 libzstd liblzma
PKG_CFLAGS   := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lz -lpcre2-8 -lzstd -llzma)
CMOCKA_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CFLAGS = $(CSTD) $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -pthread -fvisibility=hidden -MMD -MP $(CFLAGS)
LIBS       = $(PKG_LIBS) -lm -pthread

LIB_SRCS  := $(sort $(wildcard src/*/*.c))
LIB_SRCS  := $(filter-out src/cli/% $(EXCLUDE),$(LIB_SRCS))
CLI_SRCS  := $(wildcard src/cli/*.c)
TEST_SRCS := $(filter-out $(EXCLUDE),$(sort $(wildcard tests/unit/test_*.c)))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
LIB       := $(BUILD)/libbeamdump.a
BIN       := $(BUILD)/beamdump

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec

REAL_DUMPS ?= ../shared/real-dumps
# the tests start Python hundreds of times: prefer the system interpreter over
# slower wrappers that may come first on PATH
PYTHON     ?= $(firstword $(wildcard /usr/bin/python3) python3)
export PYTHON

.PHONY: all test check unit golden realdumps corpus golden-update demo bench bench-huge fuzz \
        install hostile sweep uninstall clean check-layers threads capture-test

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJS) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/helpers/bd_test.h tests/helpers/bd_rm_test.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/helpers -DBD_FIXTURES='"$(CURDIR)/fixtures"' \
		-DBD_REAL_DUMPS='"$(abspath $(REAL_DUMPS))"' $< -o $@ $(LDFLAGS) $(LIB) $(LIBS) \
		$(CMOCKA_LIBS)

unit: $(TEST_BINS)
	@set -e; for t in $(TEST_BINS); do echo "# $$t"; $$t; done

golden: $(BIN)
	@tests/cli/run.sh $(BIN)
	@$(PYTHON) tests/cli/check_captures.py $(BIN)
	@$(PYTHON) tests/cli/process_order.py $(BIN)
	@$(PYTHON) tests/cli/validate_json.py docs/beamdump.schema.json \
		$$(grep -l '"schema": "beamdump/1"' tests/cli/expected/*.out)

golden-update: $(BIN)
	@tests/cli/run.sh --update $(BIN)

realdumps: $(BIN)
	@tests/cli/realdumps.sh $(BIN) $(REAL_DUMPS)

test: unit golden realdumps check-layers hostile capture-test

# a real target node, captured through the CLI; skips without erl/escript
capture-test: $(BIN)
	@tests/capture/run.sh $(BIN)

# every tests/hostile/*.sh reproduces a hostile or careless use and checks
# the status and output it must give
hostile: $(BIN)
	@pass=0; fail=0; for t in tests/hostile/*.sh; do \
		if sh $$t $(BIN); then pass=$$((pass + 1)); else fail=$$((fail + 1)); fi; \
	done; echo "hostile: $$pass passed, $$fail failed"; [ $$fail = 0 ]

check:
	$(MAKE) DEV=1 test
	$(MAKE) DEV=1 SAN=address,undefined test
	$(MAKE) DEV=1 SAN=thread unit golden threads

threads: $(BIN)
	@tests/threads/run.sh $(BIN) build/threads

# the CLI may include only the public header; lower stages never include higher ones
check-layers:
	@tests/check-layers.sh

demo: $(BIN)
	@$(BIN) analyze fixtures/triage.dump.gz
	@echo; echo "(this was $(BIN) analyze fixtures/triage.dump.gz; $(BIN) --help lists the commands)"

$(BUILD)/bench/decode_all: tests/bench/decode_all.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDFLAGS) $(LIB) $(LIBS)

bench: $(BIN) $(BUILD)/bench/decode_all
	@tests/bench/run.sh $(BIN) $(BUILD)/bench/decode_all
	@tests/bench/snapshot.sh $(BIN) capture/beamdump-capture.escript 200000 1000000

bench-huge: $(BIN) $(BUILD)/bench/decode_all
	@tests/bench/run.sh --huge $(BIN) $(BUILD)/bench/decode_all

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(LIBEXECDIR)/beamdump
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/beamdump
	install -m 755 capture/beamdump-capture.escript $(DESTDIR)$(LIBEXECDIR)/beamdump/
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libbeamdump.a
	install -m 644 include/beamdump.h $(DESTDIR)$(INCLUDEDIR)/beamdump.h
	install -m 644 man/beamdump.1 $(DESTDIR)$(MANDIR)/man1/beamdump.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/beamdump $(DESTDIR)$(LIBDIR)/libbeamdump.a \
		$(DESTDIR)$(INCLUDEDIR)/beamdump.h $(DESTDIR)$(MANDIR)/man1/beamdump.1 \
		$(DESTDIR)$(LIBEXECDIR)/beamdump/beamdump-capture.escript

clean:
	rm -rf build

# fuzz targets (clang, libFuzzer) and the corpus replay run by make test
-include tests/fuzz/fuzz.mk

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
