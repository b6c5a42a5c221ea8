# pgcam: `make` builds every binary into bin/; `make test` runs every test.
# Knobs: SANITIZE=address,undefined  CUDA=auto|0|1  PREFIX=/usr/local  DESTDIR=
#        CUDA_HOME NVCC CUDNN_INCLUDE CUDNN_LIB CUDNN_LINK CUBLAS_LIB CUBLAS_LINK (below)
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:
SHELL := /bin/bash

CC       ?= cc
PREFIX   ?= /usr/local
CUDA_HOME ?= /usr/local/cuda
CUDA     ?= auto
SANITIZE ?=

OPT      ?= -O2
ARCHFLAGS := $(if $(filter x86_64,$(shell uname -m)),-march=x86-64-v3,)
CFLAGS_ALL := -std=c11 $(OPT) -g $(ARCHFLAGS) -pthread -Wall -Wextra -Werror \
              -Wshadow -Wno-unused-parameter -D_GNU_SOURCE -MMD -MP $(CFLAGS)
LDLIBS_ALL := -lpng -lz -lopenblas -lm -lpthread -ldl $(LDLIBS)

ifneq ($(SANITIZE),)
  BUILD    := build/san
  BINDIR   := build/san/bin
  CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS  += -fsanitize=$(SANITIZE)
else
  BUILD    := build/rel
  BINDIR   := bin
endif

# CUDA: built when nvcc and cuDNN are there (CUDA=auto), or forced on/off. The GPU
# backend is a plugin, pgc-cuda.so beside the binaries, that they dlopen only when a
# GPU is asked for: the binaries themselves never link the CUDA libraries, so they
# start (and fall back to the CPU) where those are missing.
# cuDNN and cuBLAS may live outside CUDA_HOME (a pip wheel such as nvidia-cudnn-cu13
# ships include/ and lib/ of its own, and only libcudnn.so.9: CUDNN_LINK=-l:libcudnn.so.9);
# tests/gpu_session.sh finds them and sets these.
NVCC ?= $(CUDA_HOME)/bin/nvcc
CUDNN_INCLUDE ?= $(CUDA_HOME)/include
CUDNN_LIB ?= $(CUDA_HOME)/lib64
CUDNN_LINK ?= -lcudnn
CUBLAS_LIB ?= $(CUDA_HOME)/lib64
CUBLAS_LINK ?= -lcublas
HAVE_CUDA := $(if $(filter 1,$(CUDA)),1,$(if $(filter auto,$(CUDA)),$(shell test -x $(NVCC) && test -f $(CUDNN_INCLUDE)/cudnn.h && echo 1),))
CU_SRC := $(shell find lib -name '*.cu' 2>/dev/null | sort)
ifeq ($(HAVE_CUDA)$(if $(CU_SRC),y,),1y)
  CU_OBJ := $(CU_SRC:%.cu=$(BUILD)/%.o)
  PLUGIN := $(BINDIR)/pgc-cuda.so
  # Tests and benchmarks find the plugin beside themselves too.
  PLUGIN_COPIES := $(BUILD)/t/pgc-cuda.so $(BUILD)/b/pgc-cuda.so
  NVFLAGS := -O2 -std=c++17 -MMD -MP -Xcompiler -Wall,-Werror,-fPIC,-fvisibility=hidden \
             -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
             -gencode arch=compute_90,code=compute_90
  CUDA_MSG := cuda: building the GPU plugin $(PLUGIN) with $(NVCC) for sm_80 and sm_90
  CUDA_PATHS := $(CUDNN_INCLUDE) $(CUDNN_LIB) $(CUDNN_LINK) $(CUBLAS_LIB) $(CUBLAS_LINK)
else
  CU_OBJ :=
  PLUGIN :=
  PLUGIN_COPIES :=
  CUDA_MSG := cuda: $(if $(filter 0,$(CUDA)),disabled (CUDA=0),$(if $(HAVE_CUDA),no GPU sources in lib/,no nvcc ($(NVCC)) with cuDNN ($(CUDNN_INCLUDE)/cudnn.h))), building the CPU path only
endif

LIB_SRC  := $(shell find lib -name '*.c' | sort)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(wildcard cmd/common/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
CMD_SRC  := $(wildcard cmd/*.c)
BINS     := $(CMD_SRC:cmd/%.c=$(BINDIR)/%)
TEST_SRC := $(wildcard tests/unit/*.c)
TESTS    := $(TEST_SRC:tests/unit/%.c=$(BUILD)/t/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCHES  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/b/%)

all: $(BINS) $(TESTS) $(BENCHES) $(PLUGIN) $(PLUGIN_COPIES)
	@$(if $(PLUGIN),:,rm -f $(BINDIR)/pgc-cuda.so $(BUILD)/t/pgc-cuda.so $(BUILD)/b/pgc-cuda.so)
	@echo "$(CUDA_MSG)"

# A file that changes when the flags change, so that new flags rebuild everything.
FLAGS_FILE := $(BUILD)/flags
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS) $(LDLIBS_ALL) $(HAVE_CUDA) $(NVCC) $(NVFLAGS) $(CUDA_PATHS)' | cmp -s - $@ || \
	  echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS) $(LDLIBS_ALL) $(HAVE_CUDA) $(NVCC) $(NVFLAGS) $(CUDA_PATHS)' > $@

$(BUILD)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/%.o: %.cu $(FLAGS_FILE)
	@mkdir -p $(@D)
	$(NVCC) $(NVFLAGS) -I$(CUDA_HOME)/include $(if $(filter-out $(CUDA_HOME)/include,$(CUDNN_INCLUDE)),-I$(CUDNN_INCLUDE)) -c -o $@ $<

# The CUDA runtime is linked in statically (nvcc's default); cuDNN and cuBLAS are found
# through the rpath, or LD_LIBRARY_PATH where they live elsewhere.
$(PLUGIN): $(CU_OBJ)
	@mkdir -p $(@D)
	$(NVCC) -shared -o $@ $^ -L$(CUDA_HOME)/lib64 -L$(CUDNN_LIB) -L$(CUBLAS_LIB) \
	  -Xlinker -rpath,$(CUDNN_LIB):$(CUBLAS_LIB):$(CUDA_HOME)/lib64 $(CUDNN_LINK) $(CUBLAS_LINK)

$(PLUGIN_COPIES): $(PLUGIN)
	@mkdir -p $(@D)
	@ln -f $< $@ 2>/dev/null || cp $< $@

$(BUILD)/libpgc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libcli.a: $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BINDIR)/%: $(BUILD)/cmd/%.o $(BUILD)/libcli.a $(BUILD)/libpgc.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/t/%: $(BUILD)/tests/unit/%.o $(BUILD)/libpgc.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/b/%: $(BUILD)/tests/bench/%.o $(BUILD)/libpgc.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The README's main job: the whole chain on examples/ with the shipped model.
demo: all
	@bash examples/demo.sh

test: all
	@BIN=$(BINDIR) UNIT=$(BUILD)/t bash tests/run.sh

# Not part of test: the Slurm job-array recipe on a one-node Slurm it starts and stops
# (installs Debian's slurm-wlm and munge when missing; needs root).
test-slurm: all
	@BIN=$(BINDIR) bash tests/slurm/run.sh

bench: all
	@BIN=$(BINDIR) BENCH=$(BUILD)/b bash tests/bench/run.sh

# The benchmark's optional comparisons: Debian's python3-torch (apt-get, when missing) and
# onnxruntime-node's CPU build from npm into build/onnx/node_modules (for the ORT rows).
bench-deps:
	@bash tests/bench/deps.sh

# On a machine with an NVIDIA GPU: every GPU test, compute-sanitizer, the GPU benchmark.
gpu-check: all
	@BIN=$(BINDIR) UNIT=$(BUILD)/t BENCH=$(BUILD)/b bash tests/gpu_check.sh

# Fuzzing with libFuzzer (clang), under ASan and UBSan: each tests/fuzz/fuzz_*.c runs from
# the seeds of tests/fuzz/seeds/<name> (fuzz_X_struct, the structure-aware mode of fuzz_X,
# shares fuzz_X's seeds) for FUZZ_SECONDS, or to FUZZ_RUNS executions (then with no time
# limit unless FUZZ_SECONDS is given too). Each target is a make goal of its own
# (fuzz-run-NAME), so `make -j2 fuzz` runs two at once; FUZZ_TARGETS picks some.
# FUZZ_MAX_LEN caps an input's bytes: 65536, and 16384 for the filters, whose harness
# takes small frames only (tests/fuzz/filters_run.h). FUZZ_FLAGS goes to libFuzzer as it
# is (e.g. -entropic=0: the entropic schedule's bookkeeping took two fifths of the time
# of fuzz_filters' short runs under perf).
# The library is compiled once into build/fuzz/libpgc.a for every target.
FUZZ_RUNS ?=
FUZZ_SECONDS ?= $(if $(FUZZ_RUNS),0,60)
FUZZ_MAX_LEN ?=
FUZZ_FLAGS ?=
FUZZ_LEN_fuzz_filters := 16384
FUZZ_LEN_fuzz_filters_struct := 16384
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_TARGETS ?= $(FUZZ_BINS:build/fuzz/%=%)
FUZZ_CFLAGS := -std=c11 -O1 -g $(ARCHFLAGS) -D_GNU_SOURCE -fsanitize=address,undefined
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_OBJ_FLAGS) -MMD -MP -c -o $@ $<
# The flood fill's comparisons are pixel indices against loop bounds: tracing them guides
# no mutation, and they were a third of fuzz_filters' time (pgc-score labels a map 100 times).
build/fuzz/obj/lib/regions.o: FUZZ_OBJ_FLAGS := -fno-sanitize-coverage=trace-cmp
build/fuzz/libpgc.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^
build/fuzz/%: tests/fuzz/%.c build/fuzz/libpgc.a
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< build/fuzz/libpgc.a -lpng -lz -lopenblas -lm -lpthread -ldl
# Prints each target's totals (runs, coverage, speed); fails on any crash, leak or timeout.
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
$(FUZZ_TARGETS:%=fuzz-run-%): fuzz-run-%: build/fuzz/%
	@n=$*; mkdir -p build/fuzz/corpus-$$n; \
	  echo "fuzz: $$n $(if $(FUZZ_RUNS),to $(FUZZ_RUNS) runs,for $(FUZZ_SECONDS) s)"; \
	  $< $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) -max_total_time=$(FUZZ_SECONDS) -max_len=$(or $(FUZZ_MAX_LEN),$(FUZZ_LEN_$*),65536) \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/$$n- $(FUZZ_FLAGS) \
	    build/fuzz/corpus-$$n tests/fuzz/seeds/$$(basename $${n#fuzz_} _struct) > build/fuzz/$$n.log 2>&1; rc=$$?; \
	  grep -E '^#[0-9]+.*DONE|^Done|stat::number_of_executed_units|SUMMARY|ERROR' build/fuzz/$$n.log | sed "s/^/$$n: /"; \
	  [ $$rc -eq 0 ] || { echo "fuzz: $$n failed, see build/fuzz/$$n.log"; exit 1; }

install: $(BINS) $(PLUGIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
ifneq ($(PLUGIN),)
	install -d $(DESTDIR)$(PREFIX)/lib/pgcam
	install -m 755 $(PLUGIN) $(DESTDIR)$(PREFIX)/lib/pgcam/
else
	rm -f $(DESTDIR)$(PREFIX)/lib/pgcam/pgc-cuda.so
endif
	install -d $(DESTDIR)$(PREFIX)/share/doc/pgcam $(DESTDIR)$(PREFIX)/share/pgcam
	install -m 644 README.md LICENSE format/*.md $(DESTDIR)$(PREFIX)/share/doc/pgcam/
	for b in $(BINS); do $$b --help > $(DESTDIR)$(PREFIX)/share/doc/pgcam/$$(basename $$b).txt; done
	install -m 644 examples/model/dcfpn*.model $(DESTDIR)$(PREFIX)/share/pgcam/
	install -m 644 examples/model/README.md $(DESTDIR)$(PREFIX)/share/doc/pgcam/model.md

clean:
	rm -rf build bin

FORCE:
.PHONY: all demo test test-slurm bench bench-deps gpu-check fuzz install clean FORCE
.PHONY: $(FUZZ_TARGETS:%=fuzz-run-%)

-include $(shell find build -name '*.d' 2>/dev/null)
