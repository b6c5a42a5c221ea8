#!/usr/bin/env bash
# make install puts what a packager expects where it expects it, and the installed copy
# runs the demo chain on its own: the clone's bin/ is not on PATH.
# (make passes its command-line settings, SANITIZE among them, down through MAKEFLAGS.)
. "$(dirname "$0")/lib.sh"
R=$T/root P=/usr/local
make -s -C "$TOP" install DESTDIR="$R" PREFIX=$P >"$T/install.log" 2>&1 ||
    { echo "not ok - make install"; sed 's/^/#   /' "$T/install.log" | tail; exit 0; }
I=$R$P

expect_ok 'binaries, the format documents, each command'"'"'s --help and the model are installed' '
    for b in pgc-slice pgc-prep pgc-infer pgc-cam pgc-fuse pgc-box pgc-score pgc-volume; do
        test -x "'"$I"'/bin/$b" && grep -q "usage: $b" "'"$I"'/share/doc/pgcam/$b.txt" || exit 1
    done &&
    test -s "'"$I"'/share/doc/pgcam/stream.md" && test -s "'"$I"'/share/doc/pgcam/model.md" &&
    test -s "'"$I"'/share/doc/pgcam/network.md" && test -s "'"$I"'/share/pgcam/dcfpn.model"'

expect_ok 'the installed copy runs the chain with the installed model, clone off PATH' '
    M="'"$I"'/share/pgcam/dcfpn.model"
    env PATH="'"$I"'/bin:/usr/bin:/bin" sh -c "
        command -v pgc-infer | grep -q \"^'"$I"'/bin/\" &&
        pgc-slice --labels $EX/slices/labels.csv --boxes $EX/slices/boxes.csv $EX/slices/0205.png |
        pgc-prep --model $M | pgc-infer -m $M --threads 1 | pgc-cam | pgc-fuse --blur 2 |
        pgc-box --rule product --tsv" > b.tsv && test $(wc -l < b.tsv) -ge 2 && grep -q "^0205	" b.tsv'
