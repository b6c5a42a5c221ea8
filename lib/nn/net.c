/* The graph: declaration, allocation, forward and backward through the backend. */
#include "build.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int pgc_arch_build(pgc_net *net); /* arch.c */

/* ---- declaration ---- */

enum { INIT_ZERO, INIT_ONE, INIT_HE, INIT_UNIFORM };

static void *grow(void *p, int *cap, int need, size_t size)
{
    if (need <= *cap) return p;
    int nc = *cap ? *cap * 2 : 16;
    while (nc < need) nc *= 2;
    void *q = realloc(p, (size_t)nc * size);
    if (q) *cap = nc;
    return q;
}

static int new_tensor(pgc_net *net, int n, int c, int h, int w)
{
    pgc_tensor *t = grow(net->t, &net->t_cap, net->nt + 1, sizeof *t);
    if (!t) {
        net->build_err = 1;
        return 0;
    }
    net->t = t;
    t[net->nt] = (pgc_tensor){n, c, h, w, NULL, NULL, 0, -1};
    return net->nt++;
}

static pgc_node *new_node(pgc_net *net, int op)
{
    pgc_node *nd = grow(net->nd, &net->nd_cap, net->nn + 1, sizeof *nd);
    if (!nd) {
        net->build_err = 1;
        return NULL;
    }
    net->nd = nd;
    pgc_node *x = &nd[net->nn++];
    memset(x, 0, sizeof *x);
    x->op = op;
    x->pw = x->pb = x->sm = x->sv = -1;
    return x;
}

static int param(pgc_net *net, const char *name, int rank, const int *dims, int stat)
{
    for (int i = 0; i < net->npar; i++)
        if (!strcmp(net->par[i].name, name)) {
            pgc_param *p = &net->par[i];
            int same = p->rank == rank && p->stat == stat;
            for (int d = 0; same && d < rank; d++) same = p->dims[d] == dims[d];
            if (!same) net->build_err = 1;
            return i;
        }
    if (net->par_frozen) {
        net->build_err = 1;
        return 0;
    }
    pgc_param *par = grow(net->par, &net->par_cap, net->npar + 1, sizeof *par);
    if (!par) {
        net->build_err = 1;
        return 0;
    }
    net->par = par;
    pgc_param *p = &par[net->npar];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->rank = rank;
    p->count = 1;
    for (int d = 0; d < rank; d++) {
        p->dims[d] = dims[d];
        p->count *= (size_t)dims[d];
    }
    p->stat = stat;
    p->off = stat ? net->ns : net->np;
    /* keep every parameter 16-float aligned so that a GPU backend can vectorise */
    size_t padded = (p->count + 15) / 16 * 16;
    if (stat) net->ns += padded; else net->np += padded;
    return net->npar++;
}

/* A 2x2 transposed convolution's weight, (Cin, Cout, 2, 2): the decoder's upsampling. */
static int is_up_weight(const pgc_param *p)
{
    return p->rank == 4 && p->dims[2] == 2 && strstr(p->name, ".up.") != NULL;
}

static int param1(pgc_net *net, const char *prefix, const char *suffix, int c, int stat)
{
    char name[PGC_NAME_MAX];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    return param(net, name, 1, &c, stat);
}

int nb_input(pgc_net *net, int c, int h, int w)
{
    net->input = new_tensor(net, net->n, c, h, w);
    return net->input;
}

static pgc_tensor *T(pgc_net *net, int i) { return &net->t[i]; }

int nb_conv(pgc_net *net, int x, int cout, int k, int stride, int pad, const char *name)
{
    pgc_tensor in = *T(net, x);
    int ho = (in.h + 2 * pad - k) / stride + 1, wo = (in.w + 2 * pad - k) / stride + 1;
    char pn[PGC_NAME_MAX];
    snprintf(pn, sizeof pn, "%s.weight", name);
    int dims[4] = {cout, in.c, k, k};
    int pw = param(net, pn, 4, dims, 0);
    int out = new_tensor(net, in.n, cout, ho, wo);
    pgc_node *nd = new_node(net, OP_CONV);
    if (!nd) return out;
    nd->in[0] = x, nd->nin = 1, nd->out = out;
    nd->k = k, nd->stride = stride, nd->pad = pad, nd->pw = pw;
    pgc_conv_desc d = {in.n, in.c, in.h, in.w, cout, ho, wo, k, stride, pad};
    size_t ws = net->be->conv_workspace(&d) * sizeof(float);
    if (ws > net->ws_bytes) net->ws_bytes = ws;
    return out;
}

int nb_bn_part(pgc_net *net, int x, int relu, const char *name, int ch0, int ctotal,
               double unbias_n)
{
    pgc_tensor in = *T(net, x);
    int pw = param1(net, name, "weight", ctotal, 0), pb = param1(net, name, "bias", ctotal, 0);
    int sm = param1(net, name, "running_mean", ctotal, 1);
    int sv = param1(net, name, "running_var", ctotal, 1);
    int out = new_tensor(net, in.n, in.c, in.h, in.w);
    pgc_node *nd = new_node(net, OP_BN);
    if (!nd) return out;
    nd->in[0] = x, nd->nin = 1, nd->out = out, nd->relu = relu;
    nd->pw = pw, nd->pb = pb, nd->sm = sm, nd->sv = sv, nd->ch0 = ch0;
    nd->unbias_n = unbias_n;
    if (ch0 + in.c > ctotal) net->build_err = 1;
    return out;
}

int nb_bn(pgc_net *net, int x, int relu, const char *name)
{
    return nb_bn_part(net, x, relu, name, 0, T(net, x)->c, 0);
}

int nb_maxpool(pgc_net *net, int x, int k, int stride, int pad)
{
    pgc_tensor in = *T(net, x);
    int ho = (in.h + 2 * pad - k) / stride + 1, wo = (in.w + 2 * pad - k) / stride + 1;
    int out = new_tensor(net, in.n, in.c, ho, wo);
    pgc_node *nd = new_node(net, OP_POOL);
    if (!nd) return out;
    nd->in[0] = x, nd->nin = 1, nd->out = out;
    nd->k = k, nd->stride = stride, nd->pad = pad;
    return out;
}

int nb_upconv(pgc_net *net, const int *parts, const int *shift, int nparts, int cout,
              const char *name)
{
    int cin = 0;
    for (int i = 0; i < nparts; i++) cin += T(net, parts[i])->c;
    pgc_tensor p0 = *T(net, parts[0]);
    int ho = p0.h << shift[0], wo = p0.w << shift[0];
    char pn[PGC_NAME_MAX];
    snprintf(pn, sizeof pn, "%s.weight", name);
    int dims[4] = {cin, cout, 2, 2};
    int pw = param(net, pn, 4, dims, 0);
    int pb = param1(net, name, "bias", cout, 0);
    int out = new_tensor(net, p0.n, cout, ho, wo);
    pgc_node *nd = new_node(net, OP_UPCONV);
    if (!nd) return out;
    if (nparts > PGC_NODE_MAXIN) {
        net->build_err = 1;
        return out;
    }
    nd->nin = nparts, nd->out = out, nd->pw = pw, nd->pb = pb;
    for (int i = 0; i < nparts; i++) {
        pgc_tensor t = *T(net, parts[i]);
        nd->in[i] = parts[i];
        nd->shift[i] = shift[i];
        if (t.h << shift[i] != ho || t.w << shift[i] != wo) net->build_err = 1;
        pgc_upconv_desc d = {t.n, t.c, t.h, t.w, cout, ho, wo, shift[i]};
        size_t ws = net->be->upconv_workspace(&d) * sizeof(float);
        if (ws > net->ws_bytes) net->ws_bytes = ws;
    }
    return out;
}

int nb_concat(pgc_net *net, const int *parts, int nparts)
{
    int c = 0;
    for (int i = 0; i < nparts; i++) c += T(net, parts[i])->c;
    pgc_tensor p0 = *T(net, parts[0]);
    int out = new_tensor(net, p0.n, c, p0.h, p0.w);
    pgc_node *nd = new_node(net, OP_CONCAT);
    if (!nd) return out;
    if (nparts > PGC_NODE_MAXIN) net->build_err = 1;
    nd->nin = nparts, nd->out = out;
    for (int i = 0; i < nparts && i < PGC_NODE_MAXIN; i++) {
        nd->in[i] = parts[i];
        if (T(net, parts[i])->h != p0.h || T(net, parts[i])->w != p0.w) net->build_err = 1;
    }
    return out;
}

int nb_upsample(pgc_net *net, int x, int shift)
{
    pgc_tensor in = *T(net, x);
    int out = new_tensor(net, in.n, in.c, in.h << shift, in.w << shift);
    pgc_node *nd = new_node(net, OP_UPSAMPLE);
    if (!nd) return out;
    nd->in[0] = x, nd->nin = 1, nd->out = out, nd->shift[0] = shift;
    return out;
}

int nb_gap(pgc_net *net, int x)
{
    pgc_tensor in = *T(net, x);
    int out = new_tensor(net, in.n, in.c, 1, 1);
    pgc_node *nd = new_node(net, OP_GAP);
    if (!nd) return out;
    nd->in[0] = x, nd->nin = 1, nd->out = out;
    return out;
}

int nb_fc(pgc_net *net, int x, int m, const char *name)
{
    pgc_tensor in = *T(net, x);
    int k = in.c * in.h * in.w;
    char pn[PGC_NAME_MAX];
    snprintf(pn, sizeof pn, "%s.weight", name);
    int dims[2] = {m, k};
    int pw = param(net, pn, 2, dims, 0);
    int pb = param1(net, name, "bias", m, 0);
    int out = new_tensor(net, in.n, m, 1, 1);
    pgc_node *nd = new_node(net, OP_FC);
    if (!nd) return out;
    nd->in[0] = x, nd->nin = 1, nd->out = out, nd->pw = pw, nd->pb = pb;
    return out;
}

int nb_add(pgc_net *net, int a, int b, int relu)
{
    pgc_tensor ta = *T(net, a), tb = *T(net, b);
    if (ta.c != tb.c || ta.h != tb.h || ta.w != tb.w) net->build_err = 1;
    int out = new_tensor(net, ta.n, ta.c, ta.h, ta.w);
    pgc_node *nd = new_node(net, OP_ADD);
    if (!nd) return out;
    nd->in[0] = a, nd->in[1] = b, nd->nin = 2, nd->out = out, nd->relu = relu;
    return out;
}

/* ---- allocation ---- */

static size_t tsize(const pgc_tensor *t) { return (size_t)t->n * t->c * t->h * t->w; }

static void graph_free(pgc_net *net)
{
    const pgc_nn_backend *be = net->be;
    be->free(net->ctx, net->arena); /* every tensor's x and g point into it */
    net->arena = NULL, net->arena_n = 0;
    for (int i = 0; i < net->nn; i++) {
        be->free(net->ctx, net->nd[i].save);
        be->free(net->ctx, (float *)net->nd[i].idx);
    }
    free(net->t);
    free(net->nd);
    free(net->feat_host); /* sized for this graph */
    net->feat_host = NULL;
    net->t = NULL, net->nd = NULL;
    net->nt = net->t_cap = net->nn = net->nd_cap = 0;
    if (net->ctx) be->destroy(net->ctx);
    net->ctx = NULL;
}

/* ---- the memory plan ----
 * Training holds every tensor's values and gradient at once unless told otherwise, and
 * most of them are needed only for a while: a gradient from the backward of the tensor's
 * last consumer to that of its producer, the values of a tensor no backward reads (an
 * upconv's output, the head's BN outputs) from its producer to its last consumer in the
 * forward. Each is one buffer live over an interval of a timeline of steps: node i's
 * forward at step i, its backward at step 2 nn - 1 - i. Buffers whose intervals overlap
 * get disjoint places in one arena; the others may share (dcfpn w16 224 batch 32 trains
 * in about half the memory). The values a backward reads stay from their forward to the
 * end, so that backward may run again after one forward; the input's, the scales', the
 * pooled features' and the logits' values and gradients live throughout (callers read
 * them). Gradients off the scale path never share with those on it, so that the pruned
 * Grad-CAM backward leaves the former as they were (net.h). */

typedef struct {
    size_t n, off;  /* floats, rounded up to 16 (64 bytes) */
    int a, b;       /* live over steps [a, b] */
    int cls;        /* 0: values; 1, 2: gradient off, on the scale path */
    float **dst;
} plan_buf;

static int plan_conflict(const plan_buf *p, const plan_buf *q)
{
    if (p->cls && q->cls && p->cls != q->cls) return 1;
    return p->a <= q->b && q->a <= p->b;
}

static int plan_by_size(const void *a, const void *b)
{
    const plan_buf *p = *(plan_buf *const *)a, *q = *(plan_buf *const *)b;
    if (p->n != q->n) return p->n < q->n ? 1 : -1;
    return p->a != q->a ? (p->a < q->a ? -1 : 1) : (p->cls > q->cls) - (p->cls < q->cls);
}

static int plan_by_off(const void *a, const void *b)
{
    const plan_buf *p = *(plan_buf *const *)a, *q = *(plan_buf *const *)b;
    return (p->off > q->off) - (p->off < q->off);
}

/* x read by some backward (in any mode: the conservative set). */
static void mark_backward_reads(const pgc_net *net, char *reads)
{
    for (int i = 0; i < net->nn; i++) {
        const pgc_node *nd = &net->nd[i];
        switch (nd->op) {
        case OP_CONV: case OP_FC: case OP_UPCONV: /* filter gradients read the inputs */
            for (int j = 0; j < nd->nin; j++) reads[nd->in[j]] = 1;
            break;
        case OP_BN: /* x for the normalisation, y for the ReLU's mask */
            reads[nd->in[0]] = 1;
            if (nd->relu) reads[nd->out] = 1;
            break;
        case OP_ADD:
            if (nd->relu) reads[nd->out] = 1;
            break;
        default: /* pooling keeps its argmax; concat, upsample, GAP read no values */
            break;
        }
    }
}

/* Places every tensor's x and g (the input has no g) in net->arena. 0, or -1 when out
 * of memory. */
static int plan_memory(pgc_net *net)
{
    int nt = net->nt, nn = net->nn, end = 2 * nn, rc = -1;
    size_t m1 = nt ? (size_t)nt : 1; /* no zero-size allocations */
    int *prod = malloc(sizeof(int) * m1), *last = malloc(sizeof(int) * m1);
    char *reads = calloc(m1, 1), *keep = calloc(m1, 1);
    plan_buf *b = malloc(sizeof *b * 2 * m1);
    plan_buf **order = malloc(sizeof *order * 2 * m1), **near = malloc(sizeof *near * 2 * m1);
    if (!prod || !last || !reads || !keep || !b || !order || !near) goto done;
    for (int i = 0; i < nt; i++) prod[i] = last[i] = -1;
    for (int i = 0; i < nn; i++) {
        prod[net->nd[i].out] = i;
        for (int j = 0; j < net->nd[i].nin; j++) last[net->nd[i].in[j]] = i;
    }
    mark_backward_reads(net, reads);
    keep[net->input] = keep[net->logits] = keep[net->feat] = 1;
    for (int k = 0; k < net->nscales; k++) keep[net->scale[k]] = 1;
    int nb = 0;
    for (int i = 0; i < nt; i++) {
        pgc_tensor *t = &net->t[i];
        size_t n = (tsize(t) + 15) / 16 * 16;
        int whole = keep[i] || last[i] < 0; /* a tensor nothing reads is kept too */
        b[nb++] = (plan_buf){n, 0, prod[i] < 0 ? 0 : prod[i],
                             whole || reads[i] ? end : last[i], 0, &t->x};
        if (i == net->input) continue;
        /* written from its last consumer's backward on, read by its producer's */
        b[nb++] = (plan_buf){n, 0, whole ? 0 : end - 1 - last[i],
                             whole ? end : end - 1 - prod[i], 1 + t->on_scale_path, &t->g};
        t->gzero = whole ? -1 : last[i];
    }
    /* Greedy by size: each buffer at the lowest offset clear of the larger ones that
     * overlap it in time. */
    for (int k = 0; k < nb; k++) order[k] = &b[k];
    qsort(order, nb, sizeof *order, plan_by_size);
    size_t total = 0;
    for (int k = 0; k < nb; k++) {
        plan_buf *p = order[k];
        int m = 0;
        for (int j = 0; j < k; j++)
            if (plan_conflict(p, order[j])) near[m++] = order[j];
        qsort(near, m, sizeof *near, plan_by_off);
        size_t off = 0;
        for (int j = 0; j < m && near[j]->off < off + p->n; j++)
            if (near[j]->off + near[j]->n > off) off = near[j]->off + near[j]->n;
        p->off = off;
        if (off + p->n > total) total = off + p->n;
    }
    net->arena = net->be->alloc(net->ctx, total ? total : 16);
    if (!net->arena) goto done;
    net->arena_n = total;
    for (int k = 0; k < nb; k++) *b[k].dst = net->arena + b[k].off;
    rc = 0;
done:
    free(prod), free(last), free(reads), free(keep), free(b), free(order), free(near);
    return rc;
}

static int graph_alloc(pgc_net *net, pgc_err *e)
{
    const pgc_nn_backend *be = net->be;
    net->ctx = be->create(net->ws_bytes, net->threads);
    if (!net->ctx)
        return pgc_errf(e, PGC_ENOMEM, "the %s backend could not start (out of memory for "
                        "the network's scratch, or the device is unavailable)", be->name);
    if (plan_memory(net)) goto oom;
    for (int i = 0; i < net->nn; i++) {
        pgc_node *nd = &net->nd[i];
        if (nd->op == OP_BN && !(nd->save = be->alloc(net->ctx, 2 * (size_t)net->t[nd->out].c)))
            goto oom;
        if (nd->op == OP_POOL && !(nd->idx = be->alloc_int(net->ctx, tsize(&net->t[nd->out]))))
            goto oom;
    }
    return PGC_OK;
oom:
    return pgc_errf(e, PGC_ENOMEM, "out of memory for a %s network of batch %d at %dx%d",
                    net->arch, net->n, net->h, net->w);
}

/* Marks the tensors on the scale path: the scales and every tensor computed from one.
 * Nodes come in the order they were built, each after its inputs' nodes, so one pass
 * carries the mark from inputs to outputs. */
static void mark_scale_path(pgc_net *net)
{
    for (int i = 0; i < net->nt; i++) net->t[i].on_scale_path = 0;
    for (int k = 0; k < net->nscales; k++) net->t[net->scale[k]].on_scale_path = 1;
    for (int i = 0; i < net->nn; i++) {
        const pgc_node *nd = &net->nd[i];
        for (int j = 0; j < nd->nin; j++)
            net->t[nd->out].on_scale_path |= net->t[nd->in[j]].on_scale_path;
    }
}

static int graph_build(pgc_net *net, pgc_err *e)
{
    net->build_err = 0;
    net->ws_bytes = 0;
    net->nscales = 0;
    int rc = pgc_arch_build(net);
    if (rc) return pgc_errf(e, PGC_EINPUT, "unknown architecture '%s'", net->arch);
    if (net->build_err)
        return pgc_errf(e, PGC_EINPUT, "cannot build %s (width %d) at %dx%d: shapes or memory",
                        net->arch, net->width, net->h, net->w);
    mark_scale_path(net);
    return graph_alloc(net, e);
}

/* ---- parameters ---- */

/* Sets every parameter and running statistic from seed. 0 or PGC_ENOMEM (for the host
 * buffers the values are made in): a net must never start from whatever memory held. */
static int param_init_all(pgc_net *net, unsigned long long seed, pgc_err *e)
{
    pgc_rng r;
    pgc_rng_seed(&r, seed);
    size_t n = net->np > net->ns ? net->np : net->ns;
    float *h = calloc(n ? n : 1, sizeof(float)), *hs = calloc(net->ns ? net->ns : 1, sizeof(float));
    if (!h || !hs) {
        free(h);
        free(hs);
        return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu initial parameters", n);
    }
    for (int i = 0; i < net->npar; i++) {
        pgc_param *p = &net->par[i];
        const char *suf = strrchr(p->name, '.');
        suf = suf ? suf + 1 : p->name;
        float *dst = p->stat ? hs + p->off : h + p->off;
        if (!strcmp(suf, "running_var")) {
            for (size_t j = 0; j < p->count; j++) dst[j] = 1;
        } else if (p->stat || !strcmp(suf, "bias")) {
            /* zero: running means, biases, BN betas below */
        } else if (p->rank == 1) { /* BN gamma */
            for (size_t j = 0; j < p->count; j++) dst[j] = 1;
        } else if (p->rank == 2) { /* FC: PyTorch's default bound 1/sqrt(fan_in) */
            double b = 1.0 / sqrt((double)p->dims[1]);
            for (size_t j = 0; j < p->count; j++) dst[j] = (float)((2 * pgc_rng_uniform(&r) - 1) * b);
        } else {
            /* He normal; a transposed conv's output pixel reads Cin inputs through one tap */
            int is_up = is_up_weight(p);
            double fan = is_up ? p->dims[0] : (double)p->dims[1] * p->dims[2] * p->dims[3];
            double sd = sqrt(2.0 / fan);
            for (size_t j = 0; j < p->count; j++) dst[j] = (float)(pgc_rng_normal(&r) * sd);
            /* Equal taps: the four outputs of an input pixel start alike, so the
             * stride-2 upsampling adds no 2x2 pattern of its own (the dots of scales
             * 1-2). Taps are (Cin, Cout, 2, 2): copy tap 0 over the other three. */
            if (is_up && net->up_nearest)
                for (size_t j = 0; j < p->count; j += 4) dst[j + 1] = dst[j + 2] = dst[j + 3] = dst[j];
        }
    }
    net->be->upload(net->ctx, net->p, h, net->np);
    net->be->upload(net->ctx, net->s, hs, net->ns);
    free(h);
    free(hs);
    return PGC_OK;
}


int pgc_softmax(const float *z, int k, double *p)
{
    int arg = 0;
    double m = z[0], s = 0;
    for (int c = 1; c < k; c++)
        if (z[c] > m) m = z[c], arg = c;
    for (int c = 0; c < k; c++) s += p[c] = exp(z[c] - m);
    for (int c = 0; c < k; c++) p[c] /= s;
    return arg;
}

int pgc_net_create(pgc_net **out, const pgc_nn_backend *be, const char *arch, int width,
                   int n, int h, int w, int threads, unsigned long long seed, pgc_err *e)
{
    return pgc_net_create_ex(out, be, arch, width, 2, 0, n, h, w, threads, seed, e);
}

int pgc_net_create_ex(pgc_net **out, const pgc_nn_backend *be, const char *arch, int width,
                      int nclass, unsigned flags, int n, int h, int w, int threads,
                      unsigned long long seed, pgc_err *e)
{
    *out = NULL;
    if (nclass < 2 || nclass > PGC_MAX_CLASSES)
        return pgc_errf(e, PGC_EINPUT, "bad number of classes %d (2..%d)", nclass, PGC_MAX_CLASSES);
    if (!pgc_arch_known(arch))
        return pgc_errf(e, PGC_EINPUT, "unknown architecture '%s' (known: %s)", arch,
                        pgc_arch_list());
    if (width < 1 || width > 1024 || n < 1 || h < 0 || w < 0 || !pgc_input_size_ok(h, w))
        return pgc_errf(e, PGC_EINPUT,
                        "bad network size: width %d, batch %d, input %dx%d (multiples of 16)",
                        width, n, h, w);
    pgc_net *net = calloc(1, sizeof *net);
    if (!net) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    net->be = be;
    net->threads = threads;
    snprintf(net->arch, sizeof net->arch, "%s", arch);
    net->width = width, net->n = n, net->h = h, net->w = w;
    net->nclass = nclass;
    net->up_nearest = (flags & (PGC_NET_UP_NEAREST | PGC_NET_UP_TIED)) != 0;
    net->param_grads = 1;
    net->prune = 1;
    int rc = graph_build(net, e);
    if (rc) goto fail;
    net->par_frozen = 1;
    net->p = be->alloc(net->ctx, net->np);
    net->g = be->alloc(net->ctx, net->np);
    net->m = be->alloc(net->ctx, net->np);
    net->v = be->alloc(net->ctx, net->np);
    net->s = be->alloc(net->ctx, net->ns);
    if (!net->p || !net->g || !net->m || !net->v || !net->s) {
        rc = pgc_errf(e, PGC_ENOMEM, "out of memory for %zu parameters", net->np);
        goto fail;
    }
    if ((rc = param_init_all(net, seed, e))) goto fail;
    if ((flags & PGC_NET_UP_TIED) && (rc = pgc_net_tie_up(net, e))) goto fail;
    *out = net;
    return PGC_OK;
fail:
    pgc_net_free(net);
    return rc;
}

void pgc_net_free(pgc_net *net)
{
    if (!net) return;
    if (net->ctx) {
        net->be->free(net->ctx, net->p);
        net->be->free(net->ctx, net->g);
        net->be->free(net->ctx, net->m);
        net->be->free(net->ctx, net->v);
        net->be->free(net->ctx, net->s);
    }
    graph_free(net);
    free(net->par);
    free(net->tie_buf);
    free(net);
}

int pgc_net_count_params(const char *arch, int width, int nclass, size_t *np, size_t *ns,
                         pgc_err *e)
{
    *np = *ns = 0;
    if (!pgc_arch_known(arch)) return pgc_errf(e, PGC_EINPUT, "unknown architecture '%s'", arch);
    if (width < 1 || width > 1024) return pgc_errf(e, PGC_EINPUT, "bad network width %d", width);
    pgc_net *net = calloc(1, sizeof *net);
    if (!net) return pgc_errf(e, PGC_ENOMEM, "out of memory");
    net->be = pgc_nn_backend_cpu();
    snprintf(net->arch, sizeof net->arch, "%s", arch);
    net->width = width, net->n = 1, net->h = 16, net->w = 16, net->nclass = nclass;
    int rc = pgc_arch_build(net) || net->build_err
                 ? pgc_errf(e, PGC_EINPUT, "cannot build %s (width %d)", arch, width) : PGC_OK;
    for (int i = 0; i < net->npar; i++) *(net->par[i].stat ? ns : np) += net->par[i].count;
    pgc_net_free(net); /* only the graph's description: no context, no tensors */
    return rc;
}

int pgc_net_resize(pgc_net *net, int n, int h, int w, pgc_err *e)
{
    if (n == net->n && h == net->h && w == net->w) return PGC_OK;
    if (n < 1 || h < 0 || w < 0 || !pgc_input_size_ok(h, w))
        return pgc_errf(e, PGC_EINPUT, "bad input size %dx%d (multiples of 16)", h, w);
    /* parameters live in backend memory tied to the context: keep the context's memory
     * by moving the parameter arrays over before the old context goes */
    float *keep[5] = {net->p, net->g, net->m, net->v, net->s};
    size_t cnt[5] = {net->np, net->np, net->np, net->np, net->ns};
    float *host[5] = {0};
    for (int i = 0; i < 5; i++) {
        host[i] = malloc((cnt[i] ? cnt[i] : 1) * sizeof(float));
        if (!host[i]) {
            for (int j = 0; j < i; j++) free(host[j]);
            return pgc_errf(e, PGC_ENOMEM, "out of memory");
        }
        net->be->download(net->ctx, host[i], keep[i], cnt[i]);
        net->be->free(net->ctx, keep[i]);
    }
    graph_free(net);
    net->n = n, net->h = h, net->w = w;
    int rc = graph_build(net, e);
    float **dst[5] = {&net->p, &net->g, &net->m, &net->v, &net->s};
    for (int i = 0; i < 5; i++) {
        *dst[i] = net->ctx ? net->be->alloc(net->ctx, cnt[i]) : NULL;
        if (*dst[i]) net->be->upload(net->ctx, *dst[i], host[i], cnt[i]);
        else if (!rc) rc = pgc_errf(e, PGC_ENOMEM, "out of memory");
        free(host[i]);
    }
    return rc;
}

int pgc_net_param_find(const pgc_net *net, const char *name)
{
    for (int i = 0; i < net->npar; i++)
        if (!strcmp(net->par[i].name, name)) return i;
    return -1;
}

void pgc_net_read(const pgc_net *net, int tensor, int grad, float *host)
{
    const pgc_tensor *t = &net->t[tensor];
    net->be->download(net->ctx, host, grad ? t->g : t->x, tsize(t));
}

/* ---- running ---- */

static float *P(pgc_net *net, int i) { return net->p + net->par[i].off; }
static float *G(pgc_net *net, int i) { return net->param_grads ? net->g + net->par[i].off : NULL; }
static float *S(pgc_net *net, int i) { return net->s + net->par[i].off; }

static pgc_conv_desc conv_desc(const pgc_net *net, const pgc_node *nd)
{
    const pgc_tensor *a = &net->t[nd->in[0]], *b = &net->t[nd->out];
    return (pgc_conv_desc){a->n, a->c, a->h, a->w, b->c, b->h, b->w, nd->k, nd->stride, nd->pad};
}

static pgc_pool_desc pool_desc(const pgc_net *net, const pgc_node *nd)
{
    const pgc_tensor *a = &net->t[nd->in[0]], *b = &net->t[nd->out];
    return (pgc_pool_desc){a->n, a->c, a->h, a->w, b->h, b->w, nd->k, nd->stride, nd->pad};
}

static pgc_bn_desc bn_desc(const pgc_net *net, const pgc_node *nd)
{
    const pgc_tensor *a = &net->t[nd->in[0]];
    return (pgc_bn_desc){a->n, a->c, a->h * a->w, net->train, nd->relu, 0.1f, 1e-5f,
                         nd->unbias_n};
}

static pgc_upconv_desc upconv_desc(const pgc_net *net, const pgc_node *nd, int i)
{
    const pgc_tensor *a = &net->t[nd->in[i]], *b = &net->t[nd->out];
    return (pgc_upconv_desc){a->n, a->c, a->h, a->w, b->c, b->h, b->w, nd->shift[i]};
}

static void node_forward(pgc_net *net, pgc_node *nd)
{
    const pgc_nn_backend *be = net->be;
    void *c = net->ctx;
    pgc_tensor *in = &net->t[nd->in[0]], *out = &net->t[nd->out];
    switch (nd->op) {
    case OP_CONV: {
        pgc_conv_desc d = conv_desc(net, nd);
        be->conv_forward(c, &d, in->x, P(net, nd->pw), out->x);
        break;
    }
    case OP_BN: {
        pgc_bn_desc d = bn_desc(net, nd);
        be->bn_forward(c, &d, in->x, P(net, nd->pw) + nd->ch0, P(net, nd->pb) + nd->ch0,
                       S(net, nd->sm) + nd->ch0, S(net, nd->sv) + nd->ch0, nd->save, out->x);
        break;
    }
    case OP_POOL: {
        pgc_pool_desc d = pool_desc(net, nd);
        be->maxpool_forward(c, &d, in->x, out->x, nd->idx);
        break;
    }
    case OP_UPCONV: {
        be->bias_forward(c, out->n, out->c, out->h * out->w, P(net, nd->pb), out->x);
        size_t row = 0;
        for (int i = 0; i < nd->nin; i++) {
            pgc_upconv_desc d = upconv_desc(net, nd, i);
            be->upconv_forward(c, &d, net->t[nd->in[i]].x, P(net, nd->pw) + row * out->c * 4,
                               out->x);
            row += d.cin;
        }
        break;
    }
    case OP_CONCAT: {
        int c0 = 0;
        for (int i = 0; i < nd->nin; i++) {
            pgc_tensor *p = &net->t[nd->in[i]];
            be->slice_forward(c, p->n, p->c, out->c, c0, p->h * p->w, p->x, out->x);
            c0 += p->c;
        }
        break;
    }
    case OP_UPSAMPLE:
        be->upsample_forward(c, in->n, in->c, in->h, in->w, nd->shift[0], in->x, out->x);
        break;
    case OP_GAP:
        be->gap_forward(c, in->n, in->c, in->h * in->w, in->x, out->x);
        break;
    case OP_FC:
        be->fc_forward(c, in->n, in->c * in->h * in->w, out->c, in->x, P(net, nd->pw),
                       P(net, nd->pb), out->x);
        break;
    case OP_ADD:
        be->add_forward(c, tsize(out), nd->relu, in->x, net->t[nd->in[1]].x, out->x);
        break;
    }
}

/* The gradient that backward fills for tensor i, or NULL. Grad-CAM (param_grads off)
 * needs only d logit / d scale, which flows through the scale path alone: with prune set
 * the tensors off it (the encoder under the scales, and its convolutions) get none. */
static float *dx_of(const pgc_net *net, int i)
{
    const pgc_tensor *t = &net->t[i];
    return net->prune && !net->param_grads && !t->on_scale_path ? NULL : t->g;
}

static void node_backward(pgc_net *net, pgc_node *nd)
{
    const pgc_nn_backend *be = net->be;
    void *c = net->ctx;
    pgc_tensor *in = &net->t[nd->in[0]], *out = &net->t[nd->out];
    float *dx = dx_of(net, nd->in[0]);
    if (!net->param_grads) { /* nothing to compute unless some input takes a gradient */
        int any = 0;
        for (int i = 0; i < nd->nin; i++) any |= dx_of(net, nd->in[i]) != NULL;
        if (!any) return;
    }
    switch (nd->op) {
    case OP_CONV: {
        pgc_conv_desc d = conv_desc(net, nd);
        if (net->param_grads) be->conv_backward_filter(c, &d, in->x, out->g, G(net, nd->pw));
        if (dx) be->conv_backward_data(c, &d, out->g, P(net, nd->pw), dx);
        break;
    }
    case OP_BN: {
        pgc_bn_desc d = bn_desc(net, nd);
        float *dg = G(net, nd->pw), *db = G(net, nd->pb);
        be->bn_backward(c, &d, in->x, out->x, out->g, P(net, nd->pw) + nd->ch0,
                        S(net, nd->sm) + nd->ch0, S(net, nd->sv) + nd->ch0, nd->save, dx,
                        dg ? dg + nd->ch0 : NULL, db ? db + nd->ch0 : NULL);
        break;
    }
    case OP_POOL: {
        pgc_pool_desc d = pool_desc(net, nd);
        if (dx) be->maxpool_backward(c, &d, out->g, nd->idx, dx);
        break;
    }
    case OP_UPCONV: {
        if (net->param_grads) be->bias_backward(c, out->n, out->c, out->h * out->w, out->g, G(net, nd->pb));
        size_t row = 0;
        for (int i = 0; i < nd->nin; i++) {
            pgc_upconv_desc d = upconv_desc(net, nd, i);
            float *dw = G(net, nd->pw), *dxi = dx_of(net, nd->in[i]);
            if (dxi || dw)
                be->upconv_backward(c, &d, net->t[nd->in[i]].x,
                                    P(net, nd->pw) + row * out->c * 4, out->g, dxi,
                                    dw ? dw + row * out->c * 4 : NULL);
            row += d.cin;
        }
        break;
    }
    case OP_CONCAT: {
        int c0 = 0;
        for (int i = 0; i < nd->nin; i++) {
            pgc_tensor *p = &net->t[nd->in[i]];
            float *dxi = dx_of(net, nd->in[i]);
            if (dxi) be->slice_backward(c, p->n, p->c, out->c, c0, p->h * p->w, out->g, dxi);
            c0 += p->c;
        }
        break;
    }
    case OP_UPSAMPLE:
        if (dx) be->upsample_backward(c, in->n, in->c, in->h, in->w, nd->shift[0], out->g, dx);
        break;
    case OP_GAP:
        if (dx) be->gap_backward(c, in->n, in->c, in->h * in->w, out->g, dx);
        break;
    case OP_FC:
        be->fc_backward(c, in->n, in->c * in->h * in->w, out->c, in->x, P(net, nd->pw), out->g,
                        dx, G(net, nd->pw), G(net, nd->pb));
        break;
    case OP_ADD:
        be->add_backward(c, tsize(out), nd->relu, out->x, out->g, dx, dx_of(net, nd->in[1]));
        break;
    }
}

static double seconds_of(int profile)
{
    struct timespec ts;
    /* profile 2: this thread's CPU time, steadier on a shared machine (one thread) */
    clock_gettime(profile == 2 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

const char *pgc_net_op_name(int k)
{
    static const char *const names[] = {"conv", "bn", "maxpool", "upconv", "concat",
                                        "upsample", "gap", "fc", "add", "zero"};
    return k >= 0 && k < (int)(sizeof names / sizeof *names) ? names[k] : NULL;
}

static double node_macs(const pgc_net *net, const pgc_node *nd)
{
    const pgc_tensor *in = &net->t[nd->in[0]], *out = &net->t[nd->out];
    double macs = 0;
    if (nd->op == OP_CONV)
        macs = (double)out->n * out->c * out->h * out->w * in->c * nd->k * nd->k;
    else if (nd->op == OP_UPCONV)
        for (int j = 0; j < nd->nin; j++) {
            const pgc_tensor *p = &net->t[nd->in[j]];
            macs += (double)p->n * p->c * p->h * p->w * out->c * 4;
        }
    else if (nd->op == OP_FC)
        macs = (double)in->n * in->c * in->h * in->w * out->c;
    return macs;
}

double pgc_net_macs(const pgc_net *net)
{
    double macs = 0;
    for (int i = 0; i < net->nn; i++) macs += node_macs(net, &net->nd[i]);
    return macs;
}

double pgc_net_macs_cam_backward(const pgc_net *net)
{
    double macs = 0;
    for (int i = 0; i < net->nn; i++) {
        const pgc_node *nd = &net->nd[i];
        int on = !net->prune;
        for (int j = 0; j < nd->nin; j++) on |= net->t[nd->in[j]].on_scale_path;
        if (on) macs += node_macs(net, nd);
    }
    return macs;
}

void pgc_net_forward(pgc_net *net, const float *x, float *logits)
{
    pgc_tensor *in = &net->t[net->input];
    net->be->upload(net->ctx, in->x, x, tsize(in));
    for (int i = 0; i < net->nn; i++) {
        if (!net->profile) {
            node_forward(net, &net->nd[i]);
            continue;
        }
        double t0 = seconds_of(net->profile);
        node_forward(net, &net->nd[i]);
        net->prof[0][net->nd[i].op] += seconds_of(net->profile) - t0;
    }
    if (logits) net->be->download(net->ctx, logits, net->t[net->logits].x, tsize(&net->t[net->logits]));
}

void pgc_net_backward(pgc_net *net, const float *dlogits)
{
    pgc_net_backward_feat(net, dlogits, NULL);
}

/* Adds host values to the pooled features' gradient, through a host copy made once per
 * graph (not per step; pgc_net_resize frees it with the graph). */
static void add_feat_grad(pgc_net *net, const float *add)
{
    pgc_tensor *t = &net->t[net->feat];
    size_t n = tsize(t);
    if (!net->feat_host) net->feat_host = malloc(n * sizeof(float));
    if (!net->feat_host) { /* NaN, so that training stops with one line, never a silent skip */
        float nan = NAN;
        net->be->upload(net->ctx, t->g, &nan, 1);
        return;
    }
    net->be->download(net->ctx, net->feat_host, t->g, n);
    for (size_t k = 0; k < n; k++) net->feat_host[k] += add[k];
    net->be->upload(net->ctx, t->g, net->feat_host, n);
}

/* The gradients whose memory becomes theirs at node i's backward (gzero, the plan's):
 * zeroed before the first of them accumulates into them. */
static void zero_grads_from(pgc_net *net, int i)
{
    const pgc_node *nd = &net->nd[i];
    double t0 = net->profile ? seconds_of(net->profile) : 0;
    for (int j = 0; j < nd->nin; j++) {
        const pgc_tensor *t = &net->t[nd->in[j]];
        float *g = t->gzero == i ? dx_of(net, nd->in[j]) : NULL;
        int seen = 0; /* the same tensor twice among the inputs: zeroed once */
        for (int k = 0; k < j; k++) seen |= nd->in[k] == nd->in[j];
        if (g && !seen) net->be->zero(net->ctx, g, tsize(t));
    }
    if (net->profile) net->prof[1][9] += seconds_of(net->profile) - t0;
}

void pgc_net_backward_feat(pgc_net *net, const float *dlogits, const float *dfeat)
{
    double t0 = net->profile ? seconds_of(net->profile) : 0;
    for (int i = 0; i < net->nt; i++) {
        float *g = net->t[i].gzero < 0 ? dx_of(net, i) : NULL;
        if (g) net->be->zero(net->ctx, g, tsize(&net->t[i]));
    }
    if (net->profile) net->prof[1][9] += seconds_of(net->profile) - t0;
    pgc_tensor *lg = &net->t[net->logits];
    net->be->upload(net->ctx, lg->g, dlogits, tsize(lg));
    for (int i = net->nn - 1; i >= 0; i--) {
        zero_grads_from(net, i);
        if (!net->profile) {
            node_backward(net, &net->nd[i]);
        } else {
            double t1 = seconds_of(net->profile);
            node_backward(net, &net->nd[i]);
            net->prof[1][net->nd[i].op] += seconds_of(net->profile) - t1;
        }
        /* the head's FC has given feat its gradient: the other loss's joins it there */
        if (dfeat && net->nd[i].out == net->logits && dx_of(net, net->feat))
            add_feat_grad(net, dfeat);
    }
}

void pgc_net_zero_grads(pgc_net *net) { net->be->zero(net->ctx, net->g, net->np); }

int pgc_net_status(const pgc_net *net, pgc_err *e)
{
    const char *why = net->ctx ? net->be->error(net->ctx) : NULL;
    return why ? pgc_errf(e, PGC_EINPUT, "%s", why) : PGC_OK;
}

/* Tied upsampling: each transposed convolution's four taps get their mean gradient, so
 * that Adam, which acts on each value alone, moves equal taps equally and they stay equal.
 * Sets each transposed-convolution kernel's four taps, in the parameter-shaped array
 * vals (the weights or their gradients, on the backend), to their mean. Summed in pairs,
 * four equal taps give their own value back exactly. */
static void taps_to_mean(pgc_net *net, float *vals)
{
    for (int i = 0; i < net->npar; i++) {
        const pgc_param *p = &net->par[i];
        if (!is_up_weight(p)) continue;
        float *t = net->tie_buf;
        net->be->download(net->ctx, t, vals + p->off, p->count);
        for (size_t j = 0; j < p->count; j += 4) /* (Cin, Cout, 2, 2) */
            t[j] = t[j + 1] = t[j + 2] = t[j + 3] = ((t[j] + t[j + 1]) + (t[j + 2] + t[j + 3])) * 0.25f;
        net->be->upload(net->ctx, vals + p->off, t, p->count);
    }
}

int pgc_net_tie_up(pgc_net *net, pgc_err *e)
{
    size_t most = 0;
    for (int i = 0; i < net->npar; i++)
        if (is_up_weight(&net->par[i]) && net->par[i].count > most) most = net->par[i].count;
    if (!net->tie_buf && !(net->tie_buf = malloc((most ? most : 1) * sizeof(float))))
        return pgc_errf(e, PGC_ENOMEM, "out of memory");
    /* taps that differ (a model trained untied, fine-tuned tied) start from their mean;
     * a fresh or resumed tied net's are equal, and stay bit for bit as they were */
    taps_to_mean(net, net->p);
    net->up_tied = 1;
    return PGC_OK;
}

void pgc_net_adam(pgc_net *net, float lr)
{
    if (net->up_tied) taps_to_mean(net, net->g);
    net->step++;
    net->be->adam_step(net->ctx, net->np, net->p, net->g, net->m, net->v, lr, 0.9f, 0.999f,
                       1e-8f, net->step);
    pgc_net_zero_grads(net);
}

double pgc_softmax_xent(int n, const float *logits, const int *labels, const float *w,
                        float *dlogits, int *correct)
{
    float w3[3] = {w ? w[0] : 1, w ? w[1] : 1, 1};
    return pgc_softmax_xent_k(n, 2, logits, labels, w3, dlogits, correct);
}

double pgc_softmax_xent_k(int n, int k, const float *logits, const int *labels, const float *w,
                          float *dlogits, int *correct)
{
    double loss = 0, wsum = 0;
    int hits = 0;
#define WEIGHT(y) (w ? w[(y) < 0 ? k : (y)] : 1.0)
    for (int i = 0; i < n; i++) wsum += WEIGHT(labels[i]);
    if (wsum <= 0) wsum = 1;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)k * i;
        int y = labels[i];
        double p[PGC_MAX_CLASSES];
        int arg = pgc_softmax(z, k, p);
        double wi = WEIGHT(y) / wsum;
        /* target mass: p_y, or the tumour classes' sum for a tumour of unknown type */
        double pt = y >= 0 ? p[y] : 1 - p[0];
        loss -= wi * log(pt > 1e-300 || isnan(pt) ? pt : 1e-300); /* NaN shows */
        if (dlogits)
            for (int c = 0; c < k; c++) {
                /* d(-log pt)/dz_c = p_c - [c in target] p_c / pt */
                double in = y >= 0 ? (c == y) : (c >= 1) * (pt > 0 ? p[c] / pt : 0);
                dlogits[(size_t)k * i + c] = (float)(wi * (p[c] - in));
            }
        hits += y >= 0 ? arg == y : arg >= 1;
    }
#undef WEIGHT
    if (correct) *correct = hits;
    return loss;
}
