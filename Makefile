# loopscope build, libbpf-tools style: everything generated lands in $(OUTPUT).
OUTPUT ?= build
CLANG ?= clang
BPFTOOL ?= bpftool
PROTOC_C ?= protoc-c
CC ?= cc
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
VERSION := 0.1.0

ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -DLS_VERSION='"$(VERSION)"' \
	-I$(OUTPUT) -I. $(SAN_FLAGS) $(EXTRA_CFLAGS)
LDLIBS := -lbpf -ldw -ldebuginfod -lelf -ldeflate -lz -lprotobuf-c -lpthread -lm
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -I. -Wall -Wno-unused-function
# Each object's headers, found by the compiler as it builds it (the .d files
# included at the end); -MP keeps a removed header from breaking the build.
DEPFLAGS = -MMD -MP

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# syscalls.bpf.c defines what the other families use as externs: link it first
BPF_SRCS := bpf/syscalls.bpf.c $(filter-out bpf/syscalls.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
PROTO := viewer-export/perfetto_trace.proto
PB_C := $(OUTPUT)/perfetto_trace.pb-c.c
PB_H := $(OUTPUT)/perfetto_trace.pb-c.h
LIB_SRCS := $(wildcard collector/*.c viewer-export/*.c)
LIB_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(LIB_SRCS)) $(OUTPUT)/obj/perfetto_trace.pb-c.o
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(CLI_SRCS))
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLES := $(patsubst examples/%.c,$(OUTPUT)/examples/%,$(EXAMPLE_SRCS)) \
	$(OUTPUT)/examples/uv-work-static $(OUTPUT)/examples/uv-work-shared
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst %.c,$(OUTPUT)/obj/%.o,$(UNIT_SRCS))
TEST_TOOLS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/%,$(wildcard tests/tools/*.c))

.PHONY: all deps test unit demo clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(OUTPUT)/loopscope $(EXAMPLES) $(OUTPUT)/tests/unit-tests $(TEST_TOOLS)

deps:
	$(Q)tests/install-deps.sh
	$(Q)[ "$$(id -u)" != 0 ] || tests/install-node18.sh

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/examples $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

# Generated headers are order-only prerequisites: a fresh build makes them
# before any object that may include them; after that, the .d files say
# which objects do.
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/vmlinux.h $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/loopscope.bpf.o: $(BPF_OBJS) Makefile
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $(BPF_OBJS)

$(OUTPUT)/loopscope.skel.h: $(OUTPUT)/loopscope.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name loopscope_bpf > $@

# One protoc run makes both files: a pattern rule, so make knows (and runs it once under -j).
$(OUTPUT)/%.pb-c.c $(OUTPUT)/%.pb-c.h: viewer-export/%.proto | $(OUTPUT)
	$(call msg,PROTOC,$@)
	$(Q)$(PROTOC_C) --proto_path=viewer-export --c_out=$(OUTPUT) $<

$(OUTPUT)/obj/perfetto_trace.pb-c.o: $(PB_C) | $(PB_H)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(DEPFLAGS) -I$(OUTPUT) -c $< -o $@

$(OUTPUT)/obj/%.o: %.c | $(PB_H)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/obj/cli/%.o: cli/%.c | $(OUTPUT)/loopscope.skel.h $(PB_H)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/libloopscope.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUTPUT)/loopscope: $(CLI_OBJS) $(OUTPUT)/libloopscope.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/examples/%: examples/%.c | $(OUTPUT)/examples
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -fno-omit-frame-pointer $< -lpthread -o $@

# The stripped-binary fixture: a static function three calls deep, no frame
# pointers, with DWARF for the debug file the test splits off.
$(OUTPUT)/examples/stall-deep: examples/stall-deep.c | $(OUTPUT)/examples
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -O2 -g -fomit-frame-pointer $< -o $@

# The libuv example twice: static keeps libuv's internal symbols, the
# Debian shared library is stripped to its public API.
$(OUTPUT)/examples/uv-work-static: examples/uv/uv-work.c | $(OUTPUT)/examples
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -fno-omit-frame-pointer $< -l:libuv_a.a -lpthread -ldl -o $@

$(OUTPUT)/examples/uv-work-shared: examples/uv/uv-work.c | $(OUTPUT)/examples
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -fno-omit-frame-pointer $< -luv -o $@

$(OUTPUT)/tests/unit-tests: $(UNIT_OBJS) $(OUTPUT)/libloopscope.a | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%: $(OUTPUT)/obj/tests/tools/%.o $(OUTPUT)/libloopscope.a | $(OUTPUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(USER_CFLAGS) $^ $(LDLIBS) -o $@

unit: $(OUTPUT)/tests/unit-tests
	$(Q)$(OUTPUT)/tests/unit-tests

test: deps all
	$(Q)OUTPUT=$(OUTPUT) tests/run.sh

demo: deps all
	$(Q)OUTPUT=$(OUTPUT) examples/demo.sh

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

# Overhead against the floor (bench/floor), bpftrace, perf trace and strace;
# not part of `make test`.
.PHONY: bench
bench: deps all $(OUTPUT)/bench/floor $(OUTPUT)/bench/zbench
	$(Q)OUTPUT=$(OUTPUT) bench/bench.sh

# The floor of the design (issue 21): two tp_btf programs and their loader,
# built like bpf/ (one object, its own skeleton).
$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c | $(OUTPUT)/vmlinux.h
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/bench/floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(OUTPUT)/bench/floor: bench/floor.c $(OUTPUT)/bench/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -I$(OUTPUT)/bench $< -lbpf -lelf -lz -o $@

# The export's compression alone: zlib levels and chunk sizes, libdeflate.
$(OUTPUT)/bench/zbench: bench/zbench.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -ldeflate -lz -o $@

# The collector's RSS over a long run (SOAK_SECS, default 600 per mode) under
# a node server and wrk, summary and full mode; not part of `make test`.
.PHONY: soak
soak: deps all
	$(Q)OUTPUT=$(OUTPUT) bench/soak.sh

# libFuzzer harnesses (tests/fuzz/): the library sources built again with
# clang, the fuzzer's coverage and ASan+UBSan, into $(OUTPUT)/fuzz/; each
# harness runs FUZZ_SECONDS on a scratch copy of its committed seed corpus
# (new inputs stay in $(OUTPUT)/fuzz/corpus/NAME). Not part of `make test`:
# crashes found are kept in tests/fuzz/regressions/NAME/, which the unit
# tests replay. Needs libclang-rt-14-dev (the libFuzzer runtime).
.PHONY: fuzz fuzz-build
FUZZ_SECONDS ?= 60
# Bytes of one input: room for a few hundred records (not the stack map size).
FUZZ_MAX_LEN ?= 16384
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(OUTPUT)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(WARN) -std=gnu11 -D_GNU_SOURCE -DLS_VERSION='"$(VERSION)"' -I$(OUTPUT) -I. \
	$(FUZZ_SAN) -fsanitize=fuzzer-no-link $(EXTRA_CFLAGS)
FUZZ_LIB_OBJS := $(patsubst %.c,$(OUTPUT)/fuzz/obj/%.o,$(LIB_SRCS)) $(OUTPUT)/fuzz/obj/perfetto_trace.pb-c.o

$(OUTPUT)/fuzz/obj/perfetto_trace.pb-c.o: $(PB_C) | $(PB_H)
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(DEPFLAGS) -I$(OUTPUT) -c $< -o $@

$(OUTPUT)/fuzz/obj/%.o: %.c | $(PB_H)
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/fuzz/fuzz_%: $(OUTPUT)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz: deps fuzz-build
	$(Q)failed=""; for n in $(FUZZ_NAMES); do \
		mkdir -p $(OUTPUT)/fuzz/corpus/$$n $(OUTPUT)/fuzz/artifacts/$$n/ && \
		cp -n tests/fuzz/corpus/$$n/* $(OUTPUT)/fuzz/corpus/$$n/ 2>/dev/null; \
		echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
		if $(OUTPUT)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 -artifact_prefix=$(OUTPUT)/fuzz/artifacts/$$n/ \
			$(OUTPUT)/fuzz/corpus/$$n > $(OUTPUT)/fuzz/$$n.log 2>&1; then \
			grep -E '^(Done|stat::peak_rss_mb)' $(OUTPUT)/fuzz/$$n.log; \
		else \
			grep -E -A12 '^(==[0-9]+==ERROR|.*runtime error)' $(OUTPUT)/fuzz/$$n.log | head -30; \
			grep 'Test unit written' $(OUTPUT)/fuzz/$$n.log; \
			failed="$$failed $$n"; \
		fi; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz: crashes in$$failed: copy each input to tests/fuzz/regressions/NAME/"; exit 1; }

# What the compiler found each object includes (DEPFLAGS), the harness
# sources test_fuzz_regressions.c includes among them.
DEP_OBJS := $(BPF_OBJS) $(LIB_OBJS) $(CLI_OBJS) $(UNIT_OBJS) \
	$(patsubst $(OUTPUT)/tests/%,$(OUTPUT)/obj/tests/tools/%.o,$(TEST_TOOLS)) \
	$(FUZZ_LIB_OBJS) $(patsubst %,$(OUTPUT)/fuzz/obj/tests/fuzz/fuzz_%.o,$(FUZZ_NAMES))
-include $(DEP_OBJS:.o=.d)
# An object without its .d (built by a Makefile that did not track headers)
# cannot know what it includes: rebuild it once.
$(foreach o,$(DEP_OBJS),$(if $(wildcard $(o:.o=.d)),,$(o))): FORCE
.PHONY: FORCE
