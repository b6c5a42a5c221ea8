# End-to-end tests in shell, in the manner of git's t/: each behaviour is one
#   expect_ok 'what it does' 'commands'
#   expect_exit 1 'what it refuses' 'commands'
# run in a fresh scratch directory ($T) with bin/ on PATH. Prints "ok - ..." or
# "not ok - ..." with the command's output. Every pipeline fails when any of its commands
# fails (pipefail), so a filter that dies cannot pass by handing an empty stream on.
set -u -o pipefail
: "${BIN:?}" "${TOP:?}"
PATH=$BIN:$PATH
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
EX=$TOP/examples
_out=$T/.out

expect_ok() {
    if (cd "$T" && eval "$2") >"$_out" 2>&1; then echo "ok - $1"
    else echo "not ok - $1"; sed 's/^/#   /' "$_out" | tail -n 20; fi
}
# expect_exit CODE 'name' 'cmds': the commands' exit status must be CODE, and stderr
# must hold exactly one line.
expect_exit() {
    local want=$1
    (cd "$T" && eval "$3") >"$_out" 2>"$_out.err"; local rc=$?
    local lines; lines=$(wc -l <"$_out.err")
    if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && ! grep -q 'Sanitizer\|runtime error' "$_out.err"; then
        echo "ok - $2"
    else
        echo "not ok - $2 (exit $rc, want $want; $lines lines on stderr)"
        sed 's/^/#   /' "$_out.err" | tail -n 10
    fi
}
skip() { echo "ok - $1 # skipped: $2"; }
# fails_with PATTERN CMD...: runs CMD, shows its stderr, and fails (99) unless it matches;
# otherwise returns CMD's status, for expect_exit to judge.
fails_with() {
    local pat=$1; shift
    "$@" > /dev/null 2> "$T/.err"; local rc=$?
    cat "$T/.err" >&2
    grep -q -- "$pat" "$T/.err" || return 99
    return $rc
}
# outputs_differ A B STREAM: models A and B give different outputs on STREAM (pgc-info's
# probabilities and map statistics of pgc-infer's frames). Two model files always differ
# when an option is recorded in one (its metadata, and the header's metadata length), so
# "the option changed the training" is asked of the outputs. Fails when either model
# gives no output.
outputs_differ() {
    local a b
    a=$(pgc-infer -m "$1" --threads 1 < "$3" 2>/dev/null | pgc-info) && [ -n "$a" ] &&
    b=$(pgc-infer -m "$2" --threads 1 < "$3" 2>/dev/null | pgc-info) && [ -n "$b" ] &&
    [ "$a" != "$b" ]
}
