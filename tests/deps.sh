#!/bin/sh
# Installs the Debian packages pgcam needs to build and test, when they are missing.
# As root it runs apt-get; otherwise it names the exact command and fails.
set -eu
# python3-nibabel: the independent reader of the NIfTI files pgc-volume writes;
# dcm2niix and python3-pydicom: DICOM intake and its test (tests/e2e/dicom_intake.sh);
# parallel: GNU parallel, the scale-out recipe over volumes (tests/e2e/volumes_parallel.sh).
need="make gcc libc6-dev libpng-dev zlib1g-dev libopenblas-dev python3 python3-nibabel dcm2niix python3-pydicom parallel"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "deps: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq $missing >&2
else
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run: sudo apt-get install -y$missing" >&2
    exit 1
fi
