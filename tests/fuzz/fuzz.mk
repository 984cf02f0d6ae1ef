# Fuzz targets and their corpus replay; included by the top Makefile.
#
#   make corpus            replay tests/fuzz/corpus/* (and regressions/) through
#                          each target with the normal compiler; part of make test
#   make sweep             every fixture cut short, through the dump target; part
#                          of make test
#   make fuzz              libFuzzer (clang) on each target for FUZZ_SECONDS
#   make fuzz FUZZ_TARGETS=term FUZZ_SECONDS=600 FUZZ_ARGS=-jobs=2
#
# The fuzzers start from a copy of the committed corpus under
# $(BUILD)/fuzz/corpus-<target>; what they find stays there, and crashes go
# to $(BUILD)/fuzz/artifacts-<target>/.  Nothing under tests/fuzz changes.

FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_TARGETS  ?= term dump
FUZZ_ARGS     ?=
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all \
                 -fno-omit-frame-pointer
FUZZ_CFLAGS   := -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LDFLAGS  := $(FUZZ_SAN) -fsanitize=fuzzer
# per-run input size caps (the targets themselves ignore inputs over 1 MiB)
FUZZ_MAX_LEN_term := 65536
FUZZ_MAX_LEN_dump := 131072

FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_OBJDIR   := $(FUZZ_DIR)/obj
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_OBJDIR)/%.o)
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_CORPUS   := tests/fuzz/corpus
FUZZ_REGRESS  := tests/fuzz/regressions

REPLAY_TARGETS := term dump
REPLAY_OBJS    := $(REPLAY_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%.o) $(BUILD)/tests/fuzz/replay.o
REPLAY_BINS    := $(REPLAY_TARGETS:%=$(FUZZ_DIR)/replay_%)

# ------------------------------------------------------------------ replay

# the objects come from the generic $(BUILD)/%.o rule, with ALL_CFLAGS
$(REPLAY_BINS): $(FUZZ_DIR)/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/tests/fuzz/fuzz_$*.o $(BUILD)/tests/fuzz/replay.o \
		$(LIB) $(LIBS)

corpus: $(REPLAY_BINS)
	@set -e; for t in $(REPLAY_TARGETS); do \
		$(FUZZ_DIR)/replay_$$t $(FUZZ_CORPUS)/$$t \
			$$(test -d $(FUZZ_REGRESS)/$$t && echo $(FUZZ_REGRESS)/$$t); \
	done

test: corpus sweep

# truncation sweep (tests/fuzz/sweep.c): every fixture cut at every 1 % for
# summary and procs, and at every 10 % (and inside lines) for every report,
# 25 % for the one fixture over 16 MiB: well under 2 minutes with sanitizers
SWEEP_BIN := $(FUZZ_DIR)/sweep

$(SWEEP_BIN): $(BUILD)/tests/fuzz/fuzz_dump.o $(BUILD)/tests/fuzz/sweep.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/tests/fuzz/fuzz_dump.o $(BUILD)/tests/fuzz/sweep.o \
		$(LIB) $(LIBS)

sweep: $(SWEEP_BIN)
	@$(SWEEP_BIN) --light --step 1 fixtures/*.dump.gz
	@$(SWEEP_BIN) --step 10 --large-step 25 fixtures/*.dump.gz

# ------------------------------------------------------------- libFuzzer

$(FUZZ_LIB_OBJS): $(FUZZ_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_TARGETS:%=$(FUZZ_OBJDIR)/tests/fuzz/fuzz_%.o): $(FUZZ_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: $(FUZZ_OBJDIR)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $(FUZZ_OBJDIR)/tests/fuzz/fuzz_$*.o $(FUZZ_LIB_OBJS) \
		$(LIBS)

# a failing target does not stop the others; make fails at the end
fuzz: $(FUZZ_BINS)
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC)"; exit 1; }
	@status=0; for t in $(FUZZ_TARGETS); do \
		dir=$(FUZZ_DIR)/corpus-$$t; art=$(FUZZ_DIR)/artifacts-$$t; \
		mkdir -p $$dir $$art; \
		cp $(FUZZ_CORPUS)/$$t/* $$dir/; \
		if [ -d $(FUZZ_REGRESS)/$$t ]; then cp $(FUZZ_REGRESS)/$$t/* $$dir/ 2>/dev/null || :; fi; \
		case $$t in term) len=$(FUZZ_MAX_LEN_term) ;; *) len=$(FUZZ_MAX_LEN_dump) ;; esac; \
		echo "# fuzz_$$t for $(FUZZ_SECONDS) s, corpus $$dir"; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-max_len=$$len -timeout=20 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix=$$art/ $(FUZZ_ARGS) $$dir \
			|| { status=1; echo "fuzz_$$t: findings in $$art"; }; \
	done; exit $$status

-include $(REPLAY_OBJS:.o=.d) $(BUILD)/tests/fuzz/sweep.d $(FUZZ_LIB_OBJS:.o=.d) \
	$(FUZZ_TARGETS:%=$(FUZZ_OBJDIR)/tests/fuzz/fuzz_%.d)
