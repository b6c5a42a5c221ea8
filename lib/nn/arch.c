/* The architectures of dcfpn.md, built from the blocks of build.h. */
#include "build.h"

#include <stdio.h>
#include <string.h>

static const char *const ARCHS[] = {"dcfpn", "fpn", "multigap", "multigap-dc", "resnet50",
                                    "dcfpn-ref"};

int pgc_arch_known(const char *arch)
{
    for (size_t i = 0; i < sizeof ARCHS / sizeof *ARCHS; i++)
        if (!strcmp(arch, ARCHS[i])) return 1;
    return 0;
}

const char *pgc_arch_list(void) { return "dcfpn, fpn, multigap, multigap-dc, resnet50"; }

/* What build_fpn and build_resnet50 set as nscales, known before a net is built, so
 * that a command can check a scale list against a model before it reads any input. */
int pgc_arch_scales(const char *arch) { return !strcmp(arch, "resnet50") ? 1 : 5; }

/* n = "<p>.<s>" */
static void join(char n[PGC_NAME_MAX], const char *p, const char *s)
{
    snprintf(n, PGC_NAME_MAX, "%.40s.%.20s", p, s);
}

/* conv3x3 BN ReLU, conv3x3 BN ReLU: names <p>.conv1 <p>.bn1 <p>.conv2 <p>.bn2 */
static int double_conv(pgc_net *net, int x, int c, const char *p)
{
    char n[PGC_NAME_MAX];
    join(n, p, "conv1");
    x = nb_conv(net, x, c, 3, 1, 1, n);
    join(n, p, "bn1");
    x = nb_bn(net, x, 1, n);
    join(n, p, "conv2");
    x = nb_conv(net, x, c, 3, 1, 1, n);
    join(n, p, "bn2");
    return nb_bn(net, x, 1, n);
}

/* dcfpn and its ablations. dense: X(p) = concat(d_p, up(X(p+1))); head: 0 = BN over
 * X1 then GAP, 1 = multi-GAP over d1..d4, e5. materialise: build X(p) and the 31w BN
 * as written in dcfpn.md instead of reading the upsampled parts in place. */
static void build_fpn(pgc_net *net, int dense, int multigap, int materialise)
{
    int w = net->width, c[6], e[6], d[6];
    for (int p = 1; p <= 5; p++) c[p] = w << (p - 1);
    char n[PGC_NAME_MAX];
    int x = nb_input(net, 1, net->h, net->w);
    for (int p = 1; p <= 5; p++) {
        snprintf(n, sizeof n, "enc%d", p);
        e[p] = double_conv(net, p == 1 ? x : nb_maxpool(net, e[p - 1], 2, 2, 0), c[p], n);
    }
    d[5] = e[5];
    int X = e[5]; /* materialised X(p+1) */
    for (int p = 4; p >= 1; p--) {
        int parts[5], shift[5], np = 0;
        if (materialise) {
            parts[np] = X, shift[np++] = 1;
        } else {
            for (int q = p + 1; q <= (dense ? 5 : p + 1); q++) parts[np] = d[q], shift[np++] = q - p;
        }
        snprintf(n, sizeof n, "dec%d.up", p);
        int up = nb_upconv(net, parts, shift, np, c[p], n);
        /* The joint BN after concat, as BN(concat(up, e)) = concat(BN(up), BN(e)) with
         * per-channel statistics (the same values): the backward then reads up and e,
         * which stay anyway, instead of a concat of them that would stay beside its BN's
         * output (a map of 2 c[p] channels less in training). */
        snprintf(n, sizeof n, "dec%d.bn", p);
        int cat[2] = {nb_bn_part(net, up, 0, n, 0, 2 * c[p], 0),
                      nb_bn_part(net, e[p], 0, n, c[p], 2 * c[p], 0)};
        int j = nb_concat(net, cat, 2);
        snprintf(n, sizeof n, "dec%d", p);
        d[p] = double_conv(net, j, c[p], n);
        if (materialise && dense) {
            int xs[2] = {d[p], nb_upsample(net, X, 1)};
            X = nb_concat(net, xs, 2);
        } else {
            X = d[p];
        }
    }
    for (int p = 1; p <= 5; p++) net->scale[p - 1] = d[p];
    net->nscales = 5;

    int gaps[5], ng = 0;
    if (multigap) {
        for (int p = 1; p <= 5; p++) gaps[ng++] = nb_gap(net, d[p]);
    } else if (materialise || !dense) {
        gaps[ng++] = nb_gap(net, nb_bn(net, X, 0, "head.bn"));
    } else {
        /* BN(up(x)) = up(BN(x)) with the same statistics, and GAP(up(x)) = GAP(x): one
         * 31w-channel BN split by channel ranges over d1..d4, e5 at their own sizes.
         * The unbiased running variance counts values as the full-size X1 holds them. */
        int ch0 = 0;
        double full = (double)net->n * net->h * net->w;
        for (int p = 1; p <= 5; p++) {
            gaps[ng++] = nb_gap(net, nb_bn_part(net, d[p], 0, "head.bn", ch0, 31 * w, full));
            ch0 += c[p];
        }
    }
    net->feat = ng == 1 ? gaps[0] : nb_concat(net, gaps, ng);
    net->logits = nb_fc(net, net->feat, net->nclass, "head.fc");
}

static int bottleneck(pgc_net *net, int x, int planes, int stride, int down, const char *p)
{
    char n[PGC_NAME_MAX];
    join(n, p, "conv1");
    int y = nb_conv(net, x, planes, 1, 1, 0, n);
    join(n, p, "bn1");
    y = nb_bn(net, y, 1, n);
    join(n, p, "conv2");
    y = nb_conv(net, y, planes, 3, stride, 1, n);
    join(n, p, "bn2");
    y = nb_bn(net, y, 1, n);
    join(n, p, "conv3");
    y = nb_conv(net, y, planes * 4, 1, 1, 0, n);
    join(n, p, "bn3");
    y = nb_bn(net, y, 0, n);
    int sc = x;
    if (down) {
        join(n, p, "downsample.0");
        sc = nb_conv(net, x, planes * 4, 1, stride, 0, n);
        join(n, p, "downsample.1");
        sc = nb_bn(net, sc, 0, n);
    }
    return nb_add(net, y, sc, 1);
}

/* torchvision's ResNet-50 (v1.5: stride on the 3x3), 1-channel stem, width = base. */
static void build_resnet50(pgc_net *net)
{
    static const int blocks[4] = {3, 4, 6, 3};
    int base = net->width;
    int x = nb_input(net, 1, net->h, net->w);
    x = nb_conv(net, x, base, 7, 2, 3, "conv1");
    x = nb_bn(net, x, 1, "bn1");
    x = nb_maxpool(net, x, 3, 2, 1);
    char n[PGC_NAME_MAX];
    for (int l = 0; l < 4; l++)
        for (int j = 0; j < blocks[l]; j++) {
            snprintf(n, sizeof n, "layer%d.%d", l + 1, j);
            x = bottleneck(net, x, base << l, j == 0 && l > 0 ? 2 : 1, j == 0, n);
        }
    net->scale[0] = x;
    net->nscales = 1;
    net->feat = nb_gap(net, x);
    net->logits = nb_fc(net, net->feat, net->nclass, "fc");
}

int pgc_arch_build(pgc_net *net)
{
    const char *a = net->arch;
    if (!strcmp(a, "dcfpn")) build_fpn(net, 1, 0, 0);
    else if (!strcmp(a, "dcfpn-ref")) build_fpn(net, 1, 0, 1);
    else if (!strcmp(a, "fpn")) build_fpn(net, 0, 0, 0);
    else if (!strcmp(a, "multigap")) build_fpn(net, 0, 1, 0);
    else if (!strcmp(a, "multigap-dc")) build_fpn(net, 1, 1, 0);
    else if (!strcmp(a, "resnet50")) build_resnet50(net);
    else return -1;
    return 0;
}
