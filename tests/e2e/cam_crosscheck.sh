#!/usr/bin/env bash
# Cross-check against an independent implementation: a few lines of Python written from
# format/network.md (not from lib/) recompute every CAM method and PG-CAM on the `random` fixture
# (three scales at odd sizes, signed features and gradients) and must agree to 1e-5.
. "$(dirname "$0")/lib.sh"
: "${UNIT:?}"
case $UNIT in /*) ;; *) UNIT=$TOP/$UNIT ;; esac # run.sh passes it relative to TOP
FX=$UNIT/cam_fixtures
if ! command -v python3 >/dev/null; then skip 'cross-check with python3' 'no python3'; exit 0; fi
$FX emit random >"$T/r.pgc"
for n in feat.s1 grad.s1 feat.s2 grad.s2 feat.s3 grad.s3; do $FX values $n <"$T/r.pgc" >"$T/$n"; done

cat >"$T/ref.py" <<'PY'
import sys
dims = {1: (3, 12, 20), 2: (4, 6, 10), 3: (2, 3, 5)}
H, W = 12, 20
def load(name):
    return [float(v) for v in open(name)]
def cam(method, p):
    K, h, w = dims[p]
    A, G = load("feat.s%d" % p), load("grad.s%d" % p)
    a = lambda k, i: A[k * h * w + i]
    g = lambda k, i: G[k * h * w + i]
    out = []
    if method in ("gradcam", "cam"):
        alpha = [sum(g(k, i) for i in range(h * w)) / (h * w) for k in range(K)]
        for i in range(h * w):
            v = sum(alpha[k] * a(k, i) for k in range(K))
            out.append(v * h * w if method == "cam" else max(v, 0.0))
    elif method == "gradcam++":
        wk = []
        for k in range(K):
            S = sum(a(k, i) for i in range(h * w)); t = 0.0
            for i in range(h * w):
                x = g(k, i); den = 2 * x * x + S * x ** 3
                if x > 0 and den != 0: t += x * x / den * x
            wk.append(t)
        out = [max(sum(wk[k] * a(k, i) for k in range(K)), 0.0) for i in range(h * w)]
    elif method == "layercam":
        out = [max(sum(max(g(k, i), 0.0) * a(k, i) for k in range(K)), 0.0) for i in range(h * w)]
    elif method == "hirescam":
        out = [max(sum(g(k, i) * a(k, i) for k in range(K)), 0.0) for i in range(h * w)]
    return out, h, w
def resize(m, h, w):
    def src(d, n_src, n_dst):
        s = min(max((d + 0.5) * n_src / n_dst - 0.5, 0.0), n_src - 1.0)
        i0 = int(s); i1 = min(i0 + 1, n_src - 1)
        return i0, i1, s - i0
    out = []
    for y in range(H):
        y0, y1, ty = src(y, h, H)
        for x in range(W):
            x0, x1, tx = src(x, w, W)
            top = m[y0 * w + x0] * (1 - tx) + m[y0 * w + x1] * tx
            bot = m[y1 * w + x0] * (1 - tx) + m[y1 * w + x1] * tx
            out.append(top * (1 - ty) + bot * ty)
    return out
def norm(m):
    lo, hi = min(m), max(m)
    return [(v - lo) / (hi - lo) if hi > lo else 0.0 for v in m]
what, method = sys.argv[1], sys.argv[2]
if what == "cam":
    m, h, w = cam(method, int(sys.argv[3]))
else:
    maps = [norm(resize(*cam(method, p))) for p in (1, 2, 3)]
    m = norm([sum(v) for v in zip(*maps)])
for v in m: print("%.9g" % v)
PY
close() { # file, file, tolerance relative to the largest value
    paste "$1" "$2" | awk -v t="$3" '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d;
        a = $2 < 0 ? -$2 : $2; if (a > s) s = a; n++ }
        END { if (n == 0 || m > t * (s > 1 ? s : 1)) { print "max diff " m " over " n; exit 1 } }'
}

for m in gradcam cam gradcam++ layercam hirescam; do
    expect_ok "$m agrees with the reference at every scale" "
        pgc-cam --method $m <r.pgc >c.pgc &&
        for p in 1 2 3; do
            \$FX values cam.s\$p <c.pgc >got && python3 ref.py cam '$m' \$p >want &&
            close got want 1e-5 || exit 1
        done"
done

expect_ok 'PG-CAM agrees with the reference (resize, normalise, sum, normalise)' '
    pgc-cam <r.pgc | pgc-fuse | $FX values pgcam >got && python3 ref.py pgcam gradcam >want &&
    test $(wc -l <got) = 240 && close got want 1e-5'
