# Inference over many volumes, one target per volume, so that the work spreads:
#   make -f pipelines/volumes.mk VOLUMES=list.csv OUT=vol-out -j 8
# LIST (VOLUMES) is a CSV with columns id,image[,seg,label] (pipelines/README.md; check
# it with pipelines/check-data.py); each volume becomes OUT/vol/ID/{boxes,score,frames}.tsv
# by pipelines/volume-run.sh, and OUT/score.tsv (with boxes.tsv, frames.tsv,
# volumes.tsv) merges them all (pipelines/volume-merge.sh). Incremental: a volume whose
# results exist is not run again; a failed one leaves nothing and fails the make.
# The same recipe with GNU parallel, over one host or several (--sshlogin), and as a
# Slurm job array: the targets `parallel` and `slurm`, and pipelines/README.md.
# Settings (passed to volume-run.sh): MODEL SIZE THREADS MIRROR METHOD BLUR RULE FRAC SCALES AXIS
# MINFG EVERY.
# Start from the repository root or anywhere: paths are taken as given.
HERE    := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TOP     := $(abspath $(HERE)/..)
VOLUMES ?= $(error VOLUMES=list.csv is needed (columns id,image[,seg,label]))
OUT     ?= vol-out
# the shipped models (an ensemble: dcfpn.model, dcfpn.2.model, ...), ':' between them
MODEL   ?= $(shell bash -c '. $(TOP)/pipelines/tsv.sh && shipped_models $(TOP)/examples/model | paste -sd:')
JOBS    ?= $(shell nproc 2>/dev/null || echo 1)
# GNU parallel's host list, e.g. SSHLOGIN=8/node1,8/node2 (each with pgcam at the same path)
SSHLOGIN ?=
SETTINGS := MODEL SIZE THREADS MIRROR METHOD BLUR RULE FRAC SCALES AXIS MINFG EVERY BIN PGC_DEVICE KEEP
export $(SETTINGS)
# over ssh the settings travel with each job (parallel --env)
REMOTE_ENV = $(foreach v,$(SETTINGS),$(if $($(v)),--env $(v)))
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DELETE_ON_ERROR:
.SUFFIXES:

RUN   := $(HERE)/volume-run.sh
MERGE := $(HERE)/volume-merge.sh
IDS   := $(shell awk -F, '{ sub(/\r$$/, "") } NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } \
                          !/^[ \t]*$$/ { print $$c["id"] }' $(VOLUMES))
PER   := $(IDS:%=$(OUT)/vol/%/score.tsv)

all: $(OUT)/score.tsv
.PHONY: all volumes parallel slurm clean

# One volume: what make -j N runs N at a time (again when the model changes).
$(OUT)/vol/%/score.tsv: $(subst :, ,$(MODEL))
	$(RUN) $(VOLUMES) $* $(OUT)
volumes: $(PER)

$(OUT)/score.tsv: $(PER)
	$(MERGE) $(OUT) $(VOLUMES)

# GNU parallel runs the same recipe (JOBS at a time, on SSHLOGIN's hosts when given),
# then the merge.
parallel:
	@mkdir -p $(OUT)
	awk -F, '{ sub(/\r$$/, "") } NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } \
	         !/^[ \t]*$$/ { print $$c["id"] }' $(VOLUMES) | \
	  parallel --halt soon,fail=1 --jobs $(JOBS) $(if $(SSHLOGIN),--sshlogin $(SSHLOGIN) $(REMOTE_ENV)) \
	    --joblog $(OUT)/parallel.log $(abspath $(RUN)) $(abspath $(VOLUMES)) {} $(abspath $(OUT))
	$(MERGE) $(OUT) $(VOLUMES)

# A Slurm job array, one volume per task, and the merge after it (pipelines/slurm/).
slurm:
	bash $(HERE)/slurm/submit.sh $(VOLUMES) $(OUT)

clean:
	rm -rf $(OUT)
