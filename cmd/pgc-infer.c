/* pgc-infer: runs a trained model (format/model.md), or an ensemble of them, on the
 * `image` record of every frame, in inference mode, a batch of frames at a time, and
 * adds to each frame its class probabilities (`prob`) and, for each pyramid scale p, the
 * feature map `feat.sp` and the gradient of the chosen class's logit with respect to it,
 * `grad.sp`: what pgc-cam turns into Grad-CAMs. Frames without an image pass through
 * unchanged. */
#include "common/cli.h"
#include "common/device.h"

#include "../lib/cam.h"
#include "../lib/model.h"
#include "../lib/nn/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char head[] =
    "usage: pgc-infer -m MODEL [-m MODEL ...] [options] < stream > stream\n"
    "Classifies the f32 `image` record of each frame (H and W multiples of 16) and adds,\n"
    "after the frame's own records: `prob` (the model's K classes, class 0 none: 0 none,\n"
    "1 tumour for a two-class model; metadata `prob` = P(tumour) = 1 - P(none), `pred`\n"
    "tumour or none, `class` the most probable class of a model of more than two), and\n"
    "per pyramid scale p `feat.sp` and `grad.sp` (c y x), d score / d feature, with\n"
    "`cam-class` naming the score.\n"
    "The image record gets a `prob` key. dcfpn/fpn/multigap*: scales s1..s4 = d1..d4,\n"
    "s5 = e5; resnet50: s1 = its last block.\n"
    "\n";
static const char tail[] =
    "An input unlike the model's training images (size, or pgc-prep's norm and fit keys)\n"
    "gets one warning line: run pgc-prep --model MODEL to make it alike.\n"
    "Several -m make an ensemble: models of one architecture, one list of classes and\n"
    "one preprocessing (widths may differ). prob is the mean of their probabilities, the\n"
    "score is chosen once per image from it, and each model's feat.sp and grad.sp follow\n"
    "the first's along c, so that pgc-cam's map sums theirs before its ReLU.\n";

#define MAX_MODELS 8

typedef struct {
    const char *path[MAX_MODELS];
    int n;
} model_list;

typedef struct {
    model_list models;
    const char *device, *scales, *cls;
    int batch, grad, threads, mirror;
} opts;

/* -m: one more model of the ensemble */
static int add_model(const char *v, void *target, pgc_err *e)
{
    model_list *l = target;
    if (l->n == MAX_MODELS) return pgc_errf(e, PGC_EINPUT, "at most %d models", MAX_MODELS);
    l->path[l->n++] = v;
    return 0;
}

static void parse(int argc, char **argv, opts *o)
{
    *o = (opts){.device = cli_device_default(), .scales = "all", .batch = 8, .grad = 1};
    const cli_option t[] = {
        {"-m", CLI_CUSTOM, &o->models, 0, 0, "MODEL",
         "the model (pgc-train -o); again for an ensemble (below)", add_model},
        {"--model", CLI_CUSTOM, &o->models, 0, 0, "MODEL", "the same as -m", add_model},
        {"--batch", CLI_INTI, &o->batch, 1, 1024, "N", "frames per batch (default 8)", NULL},
        {"--class", CLI_STRING, &o->cls, 0, 0, "C",
         "the score differentiated: a class name or index (its logit), or\n"
         "'tumour': log(sum of the tumour classes' exp(logit)) - logit of\n"
         "none; or 'type' (more than two classes): the log-odds of each\n"
         "frame's most probable tumour class against the other tumour\n"
         "classes, so that what every tumour image shares (its data set,\n"
         "say) cancels and what tells the types apart is left; or 'top':\n"
         "the logit of each frame's most probable tumour class; or\n"
         "'sure[:P]': 'top' where that class holds at least P (default\n"
         "0.8) of the tumour probability, else 'tumour' (a slice whose type\n"
         "the model cannot tell, as from a source without types).\n"
         "Default: two classes, logit 1 (tumour); more, sure:0.8, which\n"
         "the localisation study chose on its validation split", NULL},
        {"--scales", CLI_STRING, &o->scales, 0, 0, "LIST",
         "scales to emit, e.g. 1,4 (default all)", NULL},
        {"--no-grad", CLI_UNSET, &o->grad, 0, 0, NULL, "forward only: prob and feat.sp, no grad.sp", NULL},
        {"--mirror", CLI_FLAG, &o->mirror, 0, 0, NULL,
         "test-time mirroring: each image is also run mirrored left to right and\n"
         "differentiated for the same class; its feat.sp and grad.sp, mirrored\n"
         "back, follow the image's own along c (2C channels), so that pgc-cam's\n"
         "map sums the two maps before its ReLU. prob stays the image's own", NULL},
        {"--threads", CLI_INTI, &o->threads, 1, 256, "N", "CPU threads (default: all)", NULL},
        {"--device", CLI_STRING, &o->device, 0, 0, "D",
         "auto (default, or $PGC_DEVICE), cpu or gpu; auto takes the GPU\n"
         "when this build has GPU support and a GPU is usable", NULL},
    };
    cli_parse(argc, argv, t, CLI_NOPTS(t), head, tail, NULL); /* stdin only */
    if (!o->models.n) cli_usage("no -m MODEL");
    cli_device_check(o->device);
    if (!o->threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n > 0 ? (int)n : 1;
    }
}

/* "all" or "1,4" (pgc_scales_parse, the one scale-list parser): want[p] for p = 1..max. */
static void parse_scales(const char *s, int max, int want[PGC_MAX_SCALES + 1])
{
    unsigned set;
    if (pgc_scales_parse(s, &set, NULL) || (set & ~((2u << max) - 1)))
        cli_usage("--scales wants 'all' or numbers in 1..%d separated by commas, not '%s'", max, s);
    memset(want, 0, sizeof(int) * (PGC_MAX_SCALES + 1));
    for (int p = 1; p <= max; p++) want[p] = !set || (set >> p & 1);
}

/* How the model's training images were made (format/model.md's prep-* keys), read once:
 * every frame is checked against it. size 0: the model says nothing (then the trained
 * size stands in); "" norm or fit: not recorded. */
typedef struct {
    long size;
    char norm[128], fit[32];
} prep_want;

/* One forward and backward's maps, per wanted scale: a model's on the batch's images,
 * or (--mirror) on their mirror images, mirrored back. */
typedef struct {
    float *feat[PGC_MAX_SCALES], *grad[PGC_MAX_SCALES];
    size_t cap[PGC_MAX_SCALES];
} maps;

typedef struct {
    opts o;
    const pgc_nn_backend *be;
    int nm;                   /* models */
    pgc_net *net[MAX_MODELS];
    float *zs[MAX_MODELS];    /* each model's logits, K per image */
    maps pass[2 * MAX_MODELS]; /* model m's: pass[m * npm], its mirror's pass[m * npm + 1] */
    int npm;                  /* passes per model: 2 with --mirror */
    int want[PGC_MAX_SCALES + 1];
    pgc_model_info mi;     /* the first model's header, class names, preprocessing */
    prep_want prep;        /* from mi, for check_prep */
    int K, target;         /* classes; the score: a class or a TARGET_ */
    double sure;           /* TARGET_SURE: the top class's share of P(tumour) it needs */
    int warned;
    pgc_frame *q;          /* queued frames, in stream order */
    int nq, nimg, h, w;
    int *slot;             /* slot[b]: the queue index of batch image b */
    float *x, *z, *zm, *dz; /* z: the ensemble's logits (a model's own when alone) */
    pgc_writer *out;
} infer;

enum { TARGET_TOP = -1, TARGET_TUMOUR = -2, TARGET_TYPE = -3, TARGET_SURE = -4 };
#define SURE_DEFAULT 0.8

/* --class: a name, an index, 'tumour', 'type', 'top', 'sure[:P]' (P into *sure), or
 * nothing (the default). */
static int parse_target(const char *c, const pgc_model_info *mi, double *sure)
{
    *sure = SURE_DEFAULT;
    if (!c) return mi->nclass == 2 ? 1 : TARGET_SURE;
    int k = pgc_model_class_index(mi, c);
    if (k >= 0) return k;
    if (!strcmp(c, "tumour")) return TARGET_TUMOUR;
    int typed = !strcmp(c, "type") ? TARGET_TYPE : !strcmp(c, "top") ? TARGET_TOP
              : !strncmp(c, "sure", 4) && (!c[4] || c[4] == ':') ? TARGET_SURE : 0;
    if (typed && mi->nclass < 3)
        cli_usage("--class %s wants a model of tumour types; this one has 2 classes", c);
    if (typed == TARGET_SURE && c[4]) {
        char *end;
        double v = strtod(c + 5, &end);
        if (end == c + 5 || *end || !(v >= 0 && v <= 1))
            cli_usage("--class sure:P wants P from 0 to 1, not '%s'", c + 5);
        *sure = v;
    }
    if (typed) return typed;
    char *end;
    long v = strtol(c, &end, 10);
    if (end != c && !*end && v >= 0 && v < mi->nclass) return (int)v;
    char names[PGC_MAX_CLASSES * PGC_CLASS_NAME_MAX + 8] = "";
    for (int i = 0, at = 0; i < mi->nclass; i++)
        at += snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "", mi->classes[i]);
    cli_usage("--class wants tumour, 0..%d or a class of the model (%s), not '%s'",
              mi->nclass - 1, names, c);
    return 0;
}

/* The score one image's Grad-CAM differentiates, once --class is resolved for it:
 * class cls's logit, its log-odds against the other tumour classes (contrast), or the
 * tumour score (cls -1). */
typedef struct {
    int cls, contrast;
} score;

/* --class (target) for one image of K logits z; sure: TARGET_SURE's share. */
static score resolve_score(int target, double sure, int K, const float *z)
{
    if (target >= 0) return (score){target, 0};
    int best = 1;
    for (int k = 2; k < K; k++)
        if (z[k] > z[best]) best = k;
    if (target == TARGET_SURE) {
        double q[PGC_MAX_CLASSES];
        pgc_softmax(z + 1, K - 1, q); /* the tumour classes' shares of P(tumour) */
        target = q[best - 1] >= sure ? TARGET_TOP : TARGET_TUMOUR;
    }
    return target == TARGET_TUMOUR ? (score){-1, 0} : (score){best, target == TARGET_TYPE};
}

/* d score / d logits at the K logits z, into dz. */
static void score_grad(score sc, int K, const float *z, float *dz)
{
    double q[PGC_MAX_CLASSES];
    for (int k = 0; k < K; k++) dz[k] = 0;
    if (sc.cls < 0) {
        /* log sum_{k>=1} exp z_k - z_0: the softmax over the tumour classes, and -1 */
        pgc_softmax(z + 1, K - 1, q);
        for (int k = 1; k < K; k++) dz[k] = (float)q[k - 1];
        dz[0] = -1;
    } else if (sc.contrast) {
        /* z_c - log sum_{k >= 1, k != c} exp z_k: 1 at c, minus the softmax of the others */
        float others[PGC_MAX_CLASSES] = {0};
        int n = 0;
        for (int k = 1; k < K; k++)
            if (k != sc.cls) others[n++] = z[k];
        pgc_softmax(others, n, q);
        for (int k = 1, i = 0; k < K; k++) dz[k] = k == sc.cls ? 1 : -(float)q[i++];
    } else {
        dz[sc.cls] = 1;
    }
}

static prep_want prep_of(const pgc_model_info *mi)
{
    prep_want p = {0, "", ""};
    char v[128];
    if (pgc_model_meta(mi, "prep-size", v, sizeof v)) p.size = atol(v);
    if (!pgc_model_meta(mi, "prep-norm", p.norm, sizeof p.norm)) p.norm[0] = 0;
    if (!pgc_model_meta(mi, "prep-fit", p.fit, sizeof p.fit)) p.fit[0] = 0;
    return p;
}

/* One warning line when an image was not made the way the model's training images were. */
static void check_prep(infer *s, const pgc_record *r, const char *id)
{
    if (s->warned) return;
    const prep_want *p = &s->prep;
    unsigned long long h = r->dims[0], w = r->dims[1];
    unsigned long long wh = p->size > 0 ? (unsigned long long)p->size : (unsigned long long)s->mi.h;
    unsigned long long ww = p->size > 0 ? (unsigned long long)p->size : (unsigned long long)s->mi.w;
    char have[128], why[300] = "";
    if (h != wh || w != ww)
        snprintf(why, sizeof why, "is %llux%llu, the model's training images %llux%llu", h, w, wh, ww);
    const char *keys[2] = {"norm", "fit"}, *want[2] = {p->norm, p->fit};
    for (int k = 0; k < 2 && !why[0]; k++)
        if (want[k][0] && pgc_meta_get(r, keys[k], have, sizeof have) && strcmp(want[k], have))
            snprintf(why, sizeof why, "has %s '%s', the model's training images '%s'", keys[k],
                     have, want[k]);
    if (!why[0]) return;
    cli_warn("frame '%s': the image %s; results may be off (pgc-prep --model '%s')", id, why,
             s->o.models.path[0]);
    s->warned = 1;
}

/* Model m of an ensemble against the first: one architecture, one list of classes and
 * images made one way, or a usage error naming both. */
static void check_member(const infer *s, int m)
{
    const char *a = s->o.models.path[0], *b = s->o.models.path[m];
    pgc_model_info mi;
    pgc_err e;
    if (pgc_model_peek(b, &mi, &e)) cli_die(PGC_EINPUT, &e);
    prep_want p = prep_of(&mi);
    const char *why = strcmp(mi.arch, s->mi.arch) ? "architecture"
                    : mi.nclass != s->K ? "classes"
                    : p.size != s->prep.size || strcmp(p.norm, s->prep.norm) || strcmp(p.fit, s->prep.fit)
                        ? "preprocessing (prep-size, prep-norm, prep-fit)" : NULL;
    for (int k = 0; !why && k < s->K; k++)
        if (strcmp(mi.classes[k], s->mi.classes[k])) why = "classes";
    pgc_model_info_free(&mi);
    if (why) cli_usage("an ensemble wants one %s: '%s' and '%s' differ", why, a, b);
}

static size_t tcount(const pgc_tensor *t) { return (size_t)t->n * t->c * t->h * t->w; }

/* Room for n floats of scale k's features and gradients in p. */
static void maps_room(const pgc_nn_backend *be, maps *p, int k, size_t n)
{
    if (n <= p->cap[k]) return;
    be->host_free(p->feat[k]);
    be->host_free(p->grad[k]);
    p->feat[k] = be->host_alloc(n);
    p->grad[k] = be->host_alloc(n);
    if (!p->feat[k] || !p->grad[k]) cli_fail("out of memory for the feature maps");
    p->cap[k] = n;
}

/* Every model's network at batch images of the queued size, and room for its maps. */
static void ensure_nets(infer *s, int batch)
{
    pgc_err e;
    for (int m = 0; m < s->nm; m++) {
        const char *path = s->o.models.path[m];
        if (!s->net[m]) {
            pgc_model_info mi;
            if (pgc_model_load(path, s->be, batch, s->h, s->w, s->o.threads, &s->net[m], &mi, &e))
                cli_die(PGC_EINPUT, &e);
            pgc_model_info_free(&mi);
            if (s->net[m]->nclass != s->K) cli_fail("cannot read model '%s': it changed while running", path);
        } else if (pgc_net_resize(s->net[m], batch, s->h, s->w, &e)) {
            cli_die(PGC_EINPUT, &e);
        }
        pgc_net *net = s->net[m];
        net->train = 0;
        net->param_grads = 0;
        /* one architecture (check_member) at one input size: one pyramid's shapes */
        for (int k = 0; k < net->nscales; k++)
            for (int v = 0; v < s->npm; v++)
                maps_room(s->be, &s->pass[m * s->npm + v], k, tcount(&net->t[net->scale[k]]));
    }
}

/* Adds record name with the n[i] floats of each src[i] in turn (nsrc of them). */
static void add_rec(pgc_frame *f, int img, const char *name, int scale, int rank,
                    const uint64_t *dims, const char *const *dn, int nsrc,
                    const float *const *src, const size_t *n)
{
    pgc_err e;
    pgc_record *r = pgc_frame_add(f, &e);
    if (!r) cli_die(PGC_ENOMEM, &e);
    const pgc_record *im = &f->rec[img];
    int rc = pgc_meta_inherit(r, im, &e);
    if (!rc) rc = pgc_meta_set(r, "name", name, &e);
    if (!rc && scale) rc = pgc_meta_setf(r, "scale", &e, "%d", scale);
    if (!rc) rc = pgc_record_shape(r, PGC_DT_F32, rank, dims, dn, &e);
    if (rc) cli_die(rc, &e);
    float *to = r->data;
    for (int i = 0; i < nsrc; i++) {
        memcpy(to, src[i], sizeof(float) * n[i]);
        to += n[i];
    }
}

/* Mirrors n planes of h x w floats left to right, in place. */
static void mirror_planes(float *a, size_t n, int h, int w)
{
    for (size_t r = 0; r < n * (size_t)h; r++) {
        float *row = a + r * w;
        for (int i = 0, j = w - 1; i < j; i++, j--) {
            float t = row[i];
            row[i] = row[j];
            row[j] = t;
        }
    }
}

/* With gradients, model m's last forward (logits z) differentiated for the scores sc[b]. */
static void backward_model(infer *s, int m, const float *z, const score *sc)
{
    pgc_net *net = s->net[m];
    if (!s->o.grad) return;
    for (int b = 0; b < net->n; b++) score_grad(sc[b], s->K, z + (size_t)s->K * b, s->dz + (size_t)s->K * b);
    pgc_net_backward(net, s->dz);
}

/* Model m's wanted scales into pass p, mirrored back when the images were mirrored. */
static void read_maps(infer *s, int m, maps *p, int mirrored)
{
    pgc_net *net = s->net[m];
    for (int k = 0; k < net->nscales; k++) {
        if (!s->want[k + 1]) continue;
        const pgc_tensor *t = &net->t[net->scale[k]];
        size_t planes = (size_t)net->n * t->c;
        pgc_net_read(net, net->scale[k], 0, p->feat[k]);
        if (mirrored) mirror_planes(p->feat[k], planes, t->h, t->w);
        if (s->o.grad) {
            pgc_net_read(net, net->scale[k], 1, p->grad[k]);
            if (mirrored) mirror_planes(p->grad[k], planes, t->h, t->w);
        }
    }
}

/* The ensemble's logits of image b into z: log of the models' mean probabilities (a
 * model's own logits when it is alone, so one model's results stay bit for bit). */
static void ensemble_logits(const infer *s, int b, float *z)
{
    int K = s->K;
    if (s->nm == 1) {
        memcpy(z, s->zs[0] + (size_t)K * b, sizeof(float) * K);
        return;
    }
    double mean[PGC_MAX_CLASSES] = {0}, q[PGC_MAX_CLASSES];
    for (int m = 0; m < s->nm; m++) {
        pgc_softmax(s->zs[m] + (size_t)K * b, K, q);
        for (int k = 0; k < K; k++) mean[k] += q[k] / s->nm;
    }
    for (int k = 0; k < K; k++) z[k] = (float)log(mean[k] > 1e-30 ? mean[k] : 1e-30);
}

/* Runs the queued images and writes every queued frame. */
static void flush(infer *s)
{
    if (!s->nq) return;
    if (s->nimg) {
        /* a short batch (the stream's last, say) runs at its own size: one slice costs
         * one image, not --batch of them */
        ensure_nets(s, s->nimg);
        int B = s->nimg, K = s->K;
        size_t hw = (size_t)s->h * s->w;
        for (int b = 0; b < B; b++) {
            pgc_frame *f = &s->q[s->slot[b]];
            memcpy(s->x + b * hw, f->rec[pgc_frame_find(f, "image")].data, hw * sizeof(float));
        }
        score sc[1024];
        /* every model forward first: the score is chosen once, from all of them */
        for (int m = 0; m < s->nm; m++) pgc_net_forward(s->net[m], s->x, s->zs[m]);
        for (int b = 0; b < B; b++) {
            ensemble_logits(s, b, s->z + (size_t)K * b);
            sc[b] = resolve_score(s->target, s->sure, K, s->z + (size_t)K * b);
        }
        for (int m = 0; m < s->nm; m++) {
            backward_model(s, m, s->zs[m], sc);
            read_maps(s, m, &s->pass[m * s->npm], 0);
        }
        if (s->o.mirror) {
            /* the mirror images, differentiated for the same scores; their logits go
             * to zm: prob stays the image's own */
            mirror_planes(s->x, (size_t)B, s->h, s->w);
            for (int m = 0; m < s->nm; m++) {
                pgc_net_forward(s->net[m], s->x, s->zm);
                backward_model(s, m, s->zm, sc);
                read_maps(s, m, &s->pass[m * s->npm + 1], 1);
            }
        }
        for (int m = 0; m < s->nm; m++) {
            pgc_err ge; /* a GPU failure leaves NaN behind: say what failed instead */
            if (pgc_net_status(s->net[m], &ge)) cli_die(PGC_EINPUT, &ge);
        }
        const pgc_net *net = s->net[0];
        int np = s->nm * s->npm;
        for (int b = 0; b < s->nimg; b++) {
            pgc_frame *f = &s->q[s->slot[b]];
            int img = pgc_frame_find(f, "image");
            const float *z = s->z + (size_t)K * b;
            double q[PGC_MAX_CLASSES];
            int arg = pgc_softmax(z, K, q);
            float p[PGC_MAX_CLASSES];
            for (int k = 0; k < K; k++) p[k] = (float)q[k];
            float pt = (float)(1 - q[0]); /* P(tumour), not 1 - rounded p0 */
            pgc_err e;
            if (pgc_meta_setf(&f->rec[img], "prob", &e, "%.6g", pt)) cli_die(PGC_ENOMEM, &e);
            uint64_t nk = (uint64_t)K;
            const char *cn[1] = {"class"};
            const float *ps[1] = {p};
            size_t pn[1] = {(size_t)K};
            add_rec(f, img, "prob", 0, 1, &nk, cn, 1, ps, pn);
            pgc_record *pr = &f->rec[f->n - 1];
            if (pgc_meta_setf(pr, "prob", &e, "%.6g", pt) ||
                pgc_meta_set(pr, "pred", arg ? "tumour" : "none", &e) ||
                (K > 2 && pgc_meta_set(pr, "class", s->mi.classes[arg], &e)))
                cli_die(PGC_ENOMEM, &e);
            char typed[PGC_CLASS_NAME_MAX + 16];
            if (s->o.grad && sc[b].cls >= 0)
                snprintf(typed, sizeof typed, "%s%s", s->mi.classes[sc[b].cls], sc[b].contrast ? " vs types" : "");
            const char *cam_class = !s->o.grad ? NULL : sc[b].cls >= 0 ? typed : "tumour";
            for (int k = 0; k < net->nscales; k++) {
                if (!s->want[k + 1]) continue;
                const pgc_tensor *t = &net->t[net->scale[k]];
                const float *fs[2 * MAX_MODELS], *gs[2 * MAX_MODELS];
                size_t per[2 * MAX_MODELS];
                uint64_t c = 0;
                for (int i = 0; i < np; i++) {
                    const pgc_tensor *ti = &s->net[i / s->npm]->t[s->net[i / s->npm]->scale[k]];
                    per[i] = (size_t)ti->c * ti->h * ti->w;
                    fs[i] = s->pass[i].feat[k] + b * per[i];
                    gs[i] = s->pass[i].grad[k] + b * per[i];
                    c += (uint64_t)ti->c;
                }
                uint64_t dims[3] = {c, (uint64_t)t->h, (uint64_t)t->w};
                const char *dn[3] = {"c", "y", "x"};
                char name[24];
                snprintf(name, sizeof name, "feat.s%d", k + 1);
                add_rec(f, img, name, k + 1, 3, dims, dn, np, fs, per);
                if (s->o.grad) {
                    snprintf(name, sizeof name, "grad.s%d", k + 1);
                    add_rec(f, img, name, k + 1, 3, dims, dn, np, gs, per);
                    if (pgc_meta_set(&f->rec[f->n - 1], "cam-class", cam_class, &e))
                        cli_die(PGC_ENOMEM, &e);
                }
            }
        }
    }
    for (int i = 0; i < s->nq; i++) cli_put_frame(s->out, &s->q[i]);
    s->nq = 0, s->nimg = 0;
}

/* Records this command makes: an older copy in the input would be ambiguous. */
static int ours(const pgc_record *r)
{
    char name[32];
    if (!pgc_meta_get(r, "name", name, sizeof name)) return 0;
    return !strcmp(name, "prob") || !strncmp(name, "feat.s", 6) || !strncmp(name, "grad.s", 6);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    infer s = {0};
    parse(argc, argv, &s.o);
    s.be = cli_backend(s.o.device);
    s.nm = s.o.models.n;
    s.npm = s.o.mirror ? 2 : 1;
    {   /* a bad model fails before any input is read */
        pgc_err e;
        if (pgc_model_peek(s.o.models.path[0], &s.mi, &e)) cli_die(PGC_EINPUT, &e);
        s.K = s.mi.nclass;
        s.target = parse_target(s.o.cls, &s.mi, &s.sure);
        parse_scales(s.o.scales, pgc_arch_scales(s.mi.arch), s.want); /* as --class: before input */
        s.prep = prep_of(&s.mi);
        for (int m = 1; m < s.nm; m++) check_member(&s, m);
    }
    int B = s.o.batch;
    s.q = calloc(B, sizeof *s.q);
    s.slot = calloc(B, sizeof *s.slot);
    s.z = calloc((size_t)s.K * B, sizeof(float));
    s.dz = calloc((size_t)s.K * B, sizeof(float));
    s.zm = calloc((size_t)s.K * B, sizeof(float)); /* --mirror's logits */
    if (!s.q || !s.slot || !s.z || !s.dz || !s.zm) cli_fail("out of memory");
    for (int m = 0; m < s.nm; m++)
        if (!(s.zs[m] = calloc((size_t)s.K * B, sizeof(float)))) cli_fail("out of memory");
    pgc_reader *rd = cli_reader("-");
    s.out = cli_writer();
    size_t xcap = 0;
    for (;;) {
        pgc_frame *f = &s.q[s.nq];
        if (!cli_frame(rd, f)) break;
        for (int i = 0; i < f->n; i++)
            if (ours(&f->rec[i])) f->drop[i] = 1;
        int img = pgc_frame_find(f, "image");
        if (img >= 0) {
            const pgc_record *r = &f->rec[img];
            char id[128];
            if (!pgc_frame_id(f, id, sizeof id)[0]) snprintf(id, sizeof id, "(no id)");
            if (r->dtype != PGC_DT_F32 || r->rank != 2)
                cli_fail("frame '%s': image is %s of rank %d, not f32 'y x' (run pgc-prep first)",
                         id, pgc_dtype_name(r->dtype), r->rank);
            uint64_t h = r->dims[0], w = r->dims[1];
            if (!pgc_input_size_ok(h, w))
                cli_fail("frame '%s': image is %llux%llu; H and W must be multiples of 16 from 16 "
                         "to %d (pgc-prep --size)", id, (unsigned long long)h, (unsigned long long)w,
                         PGC_MAX_SIDE);
            pgc_err e;
            if (pgc_map_check(r, id, "image", &e)) cli_die(PGC_EINPUT, &e);
            check_prep(&s, r, id);
            if (s.nimg && ((int)h != s.h || (int)w != s.w)) {
                /* a new size: finish the batch at the old one first */
                int at = s.nq;
                flush(&s); /* writes q[0..at), not the new frame at q[at] */
                pgc_frame t = s.q[at];
                s.q[at] = s.q[0];
                s.q[0] = t; /* swapped, so every slot keeps its own buffers */
                f = &s.q[0];
            }
            s.h = (int)h, s.w = (int)w;
            if ((size_t)B * h * w > xcap) {
                s.be->host_free(s.x);
                xcap = (size_t)B * h * w;
                if (!(s.x = s.be->host_alloc(xcap))) cli_fail("out of memory");
            }
            s.slot[s.nimg++] = s.nq;
        }
        s.nq++;
        if (s.nq == B || s.nimg == B) flush(&s);
    }
    flush(&s);
    cli_close(s.out);
    pgc_reader_free(rd);
    for (int i = 0; i < B; i++) pgc_frame_free(&s.q[i]);
    for (int i = 0; i < s.nm * s.npm; i++)
        for (int k = 0; k < PGC_MAX_SCALES; k++)
            s.be->host_free(s.pass[i].feat[k]), s.be->host_free(s.pass[i].grad[k]);
    for (int m = 0; m < s.nm; m++) pgc_net_free(s.net[m]), free(s.zs[m]);
    free(s.q), free(s.slot), free(s.z), free(s.dz), free(s.zm);
    s.be->host_free(s.x);
    pgc_model_info_free(&s.mi);
    return 0;
}
