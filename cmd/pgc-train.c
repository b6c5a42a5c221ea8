/* pgc-train: trains a classifier (dcfpn.md) on the labelled images of a stream file.
 * Reads FILE by index (byte offsets, pread), so the set may exceed memory; writes a
 * model file (format/model.md) atomically. Same seed and thread count give the same
 * model, bit for bit: sampling and augmentation draw from (seed, sample number). */
#include "common/cli.h"
#include "common/device.h"

#include "../lib/atomic_file.h"
#include "../lib/model.h"
#include "../lib/nn/adversary.h"
#include "../lib/nn/data.h"
#include "../lib/nn/net.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char head[] =
    "usage: pgc-train FILE -o MODEL [options]\n"
    "Trains a tumour / no-tumour classifier on the f32 `image` records of the stream FILE\n"
    "that carry `label: tumour|none` (pgc-prep's output), and writes MODEL. Image-level\n"
    "labels only: boxes and masks in FILE are never read.\n"
    "\n";
static const char tail[] = "Progress goes to stderr about every 10 s.\n";

typedef struct {
    const char *train, *out, *arch, *val, *ckpt, *resume, *init, *log, *device, *cw, *classes, *up_init;
    const char *halves_types;
    int halves, tiles, hide;
    long halves_from;
    int force, width, batch, augment, threads, val_every, ckpt_every, log_every, balance, adv;
    double adv_weight;
    long adv_ramp;
    long iters, epochs, lr_step;
    int64_t seed_arg; /* -1 until --seed */
    unsigned long long seed;
    double lr;
    int arch_set, width_set, seed_set, up_init_set;
} opts;

/* The options table; the defaults stand in opts before it is read. NULL or 0 marks what
 * a resumed checkpoint decides unless it is given. */
/* --up-init's names and the net flags each one means: the one list of the choice */
static const struct { const char *name; unsigned flags; } up_inits[] = {
    {"he", 0}, {"nearest", PGC_NET_UP_NEAREST}, {"tied", PGC_NET_UP_TIED}};

/* The flags of an --up-init name, or -1 for a name not in up_inits. */
static long up_init_flags(const char *name)
{
    for (size_t i = 0; i < sizeof up_inits / sizeof *up_inits; i++)
        if (!strcmp(name, up_inits[i].name)) return up_inits[i].flags;
    return -1;
}

static void parse_table(int argc, char **argv, opts *o)
{
    const cli_option t[] = {
        {"-o", CLI_STRING, &o->out, 0, 0, "MODEL",
         "the trained model (refused if it exists, unless --force)", NULL},
        {"--force", CLI_FLAG, &o->force, 0, 0, NULL,
         "replace MODEL, and an existing --checkpoint or --log", NULL},
        {"--arch", CLI_STRING, &o->arch, 0, 0, "NAME",
         "dcfpn (default), fpn, multigap, multigap-dc, resnet50", NULL},
        {"--width", CLI_INTI, &o->width, 1, 1024, "N",
         "network width w (default 16; resnet50: base width, 64 standard)", NULL},
        {"--batch", CLI_INTI, &o->batch, 1, 4096, "N", "images per step (default 16)", NULL},
        {"--iters", CLI_INT, &o->iters, 1, 1000000000, "N", "Adam steps (default 1000), or", NULL},
        {"--epochs", CLI_INT, &o->epochs, 1, 1000000, "N", "passes over FILE", NULL},
        {"--lr", CLI_NUMBER, &o->lr, 1e-9, 10, "X", "learning rate (default 1e-3)", NULL},
        {"--lr-step", CLI_INT, &o->lr_step, 1, 1000000000, "N",
         "multiply the rate by 0.1 every N steps (default 10000)", NULL},
        {"--seed", CLI_I64, &o->seed_arg, 0, (double)INT64_MAX, "N", "random seed (default 1)", NULL},
        {"--threads", CLI_INTI, &o->threads, 1, 256, "N", "CPU threads (default: all)", NULL},
        {"--classes", CLI_STRING, &o->classes, 0, 0, "LIST",
         "the K classes the head learns, none first (default\n"
         "none,tumour), e.g. none,meningioma,glioma,pituitary: a tumour\n"
         "image's class is its `tumour_type` key (pgc-slice --labels,\n"
         "--tumour-type); a tumour of another or no type counts as 'some\n"
         "tumour class' (loss -log(1 - P(none))). Types that share one\n"
         "data source must be told apart by the tumour, not by the source", NULL},
        {"--class-weights", CLI_STRING, &o->cw, 0, 0, "W",
         "auto (inverse frequency per class, default), none, or K\n"
         "weights W0,W1,...", NULL},
        {"--up-init", CLI_STRING, &o->up_init, 0, 0, "I",
         "he (default), nearest: transposed convolutions start with\n"
         "equal 2x2 taps (nearest-neighbour upsampling), so that the fine\n"
         "scales' Grad-CAMs carry no 2x2 dot pattern, or tied: they start\n"
         "so and stay so (the taps share one gradient: a nearest-neighbour\n"
         "upsampling and a 1x1 convolution; a resumed run keeps its\n"
         "checkpoint's choice, and with --init, tied ties a model trained\n"
         "untied, each 2x2 kernel starting from its taps' mean)", NULL},
        {"--balance", CLI_FLAG, &o->balance, 0, 0, NULL,
         "draw none and tumour images equally often, and within each the\n"
         "data sources (directories of `source`) equally often, so that a\n"
         "large source does not teach the label (class weights default\n"
         "to none then)", NULL},
        {"--adversarial-source", CLI_FLAG, &o->adv, 0, 0, NULL,
         "a source classifier on the pooled features, conditioned on\n"
         "none/tumour, behind a gradient-reversal layer (Ganin and\n"
         "Lempitsky 2015): the features that decide tumour learn to carry\n"
         "no source. Its state is kept beside --checkpoint (.adv)", NULL},
        {"--adversarial-weight", CLI_NUMBER, &o->adv_weight, 0, 100, "X",
         "the reversal's largest weight (default 0.1; at 1 the study's\n"
         "features collapsed), reached by Ganin's\n"
         "ramp 2 / (1 + exp(-10 p)) - 1, p = step / N, over", NULL},
        {"--adversarial-ramp", CLI_INT, &o->adv_ramp, 1, 1000000000, "N", "steps (default 1000)", NULL},
        {"--mirror-halves", CLI_INTI, &o->halves, 0, 1024, "N",
         "N pairs per step (default 0) of same-source tumour-free images:\n"
         "a tumour image halved at its midline, once with its left half\n"
         "mirrored onto the right and once the other way. A tumour on one\n"
         "side is in one of the two twice and in the other not at all;\n"
         "the one the network finds the more tumorous learns the image's\n"
         "class, the other none (multiple-instance labels: no box), so\n"
         "that what the slice shares with its tumour-free half (anatomy,\n"
         "source) cannot tell its class. The step's batch grows by 2N", NULL},
        {"--mirror-halves-types", CLI_STRING, &o->halves_types, 0, 0, "LIST",
         "the classes whose images are halved (default: every tumour\n"
         "class; leave out types that sit on the midline)", NULL},
        {"--mirror-halves-from", CLI_INT, &o->halves_from, 0, 1000000000, "STEP",
         "the first step with pairs (default 0), so that the network\n"
         "knows some tumour before it labels the pairs", NULL},
        {"--shuffle-tiles", CLI_INTI, &o->tiles, 0, PGC_MAX_TILES, "G",
         "half the training images cut into a G x G grid of tiles laid out\n"
         "in a random order (default 0: none; G divides the image size),\n"
         "so that what a tile holds counts and where it sits in the head\n"
         "does not: the slice's layout, its level in the head and the\n"
         "frame's centre cannot tell its class", NULL},
        {"--hide-patches", CLI_INTI, &o->hide, 0, PGC_MAX_TILES, "G",
         "hide-and-seek: each training image cut into a G x G grid and\n"
         "each patch, with probability one half, replaced by the image's\n"
         "mean (default 0: none; G divides the image size), so that the\n"
         "class is learnt from every part that shows it, not only the\n"
         "most telling one", NULL},
        {"--no-augment", CLI_CONST, &o->augment, 0, 0, NULL,
         "no flips, affine jitter or intensity jitter", NULL},
        {"--strong-augment", CLI_CONST, &o->augment, 2, 0, NULL,
         "wider affine and intensity jitter, plus gamma, blur and noise,\n"
         "so that sharpness and texture cannot tell data sources apart", NULL},
        {"--val", CLI_STRING, &o->val, 0, 0, "FILE",
         "validation stream: accuracy, sensitivity, specificity, ROC AUC", NULL},
        {"--val-every", CLI_INTI, &o->val_every, 1, 1000000000, "N",
         "validate every N steps (default 500) and at the end", NULL},
        {"--checkpoint", CLI_STRING, &o->ckpt, 0, 0, "FILE",
         "write a resumable checkpoint every --checkpoint-every steps", NULL},
        {"--checkpoint-every", CLI_INTI, &o->ckpt_every, 1, 1000000000, "N", "(default 500)", NULL},
        {"--resume", CLI_STRING, &o->resume, 0, 0, "FILE",
         "continue from a checkpoint exactly (its seed and shape win)", NULL},
        {"--init", CLI_STRING, &o->init, 0, 0, "MODEL",
         "start from MODEL's weights and batch-norm statistics (fine-tuning,\n"
         "e.g. at another image size: the network is convolutional); its\n"
         "architecture, width, classes and upsampling win (but --up-init\n"
         "tied), while the steps, the learning rate and Adam's moments\n"
         "start afresh", NULL},
        {"--log", CLI_STRING, &o->log, 0, 0, "FILE.tsv",
         "iteration, loss, train acc, lr, images/s, val metrics", NULL},
        {"--log-every", CLI_INTI, &o->log_every, 1, 1000000000, "N",
         "rows every N steps (default 50)", NULL},
        {"--device", CLI_STRING, &o->device, 0, 0, "D",
         "auto (default, or $PGC_DEVICE), cpu or gpu; auto takes the GPU\n"
         "when this build has GPU support and a GPU is usable", NULL},
    };
    cli_parse(argc, argv, t, CLI_NOPTS(t), head, tail, &o->train);
}

static void parse(int argc, char **argv, opts *o)
{
    *o = (opts){.device = cli_device_default(), .classes = "none,tumour",
                .batch = 16, .augment = 1, .threads = 0, .val_every = 500, .ckpt_every = 500,
                .log_every = 50, .iters = 0, .epochs = 0, .lr_step = 10000, .seed_arg = -1,
                .lr = 1e-3, .adv_weight = 0.1, .adv_ramp = 1000};
    parse_table(argc, argv, o);
    o->arch_set = !!o->arch, o->width_set = !!o->width;
    o->seed_set = o->seed_arg >= 0;
    if (!o->arch) o->arch = "dcfpn";
    if (!o->width) o->width = 16;
    o->seed = o->seed_set ? (unsigned long long)o->seed_arg : 1;
    if (!o->train) cli_usage("no training FILE");
    if (!o->out) cli_usage("no -o MODEL");
    if (o->iters && o->epochs) cli_usage("--iters or --epochs, not both");
    if (o->init && o->resume) cli_usage("--init or --resume, not both");
    if (!pgc_arch_known(o->arch) || !strcmp(o->arch, "dcfpn-ref"))
        cli_usage("unknown --arch '%s' (known: %s)", o->arch, pgc_arch_list());
    cli_device_check(o->device);
    o->up_init_set = !!o->up_init;
    if (!o->up_init) o->up_init = "he";
    if (up_init_flags(o->up_init) < 0)
        cli_usage("--up-init wants he, nearest or tied, not '%s'", o->up_init);
    if (!o->cw) o->cw = o->balance ? "none" : "auto";
    if (!o->threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n > 0 ? (int)n : 1;
    }
}

/* The class names of option opt's list s ("a,b"): names[] (pointing into buf), their
 * count. Each a distinct name a model file can hold. */
static int split_names(const char *opt, const char *s, char *buf, size_t n,
                       const char *names[PGC_MAX_CLASSES])
{
    if (strlen(s) >= n) cli_usage("%s: list too long", opt);
    snprintf(buf, n, "%s", s);
    int k = 0;
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = 0;
        if (k == PGC_MAX_CLASSES) cli_usage("%s: at most %d classes", opt, PGC_MAX_CLASSES);
        if (!tok[0] || strlen(tok) >= PGC_CLASS_NAME_MAX || strpbrk(tok, " :\n"))
            cli_usage("%s wants names separated by commas, not '%s'", opt, s);
        for (int j = 0; j < k; j++)
            if (!strcmp(names[j], tok)) cli_usage("%s names '%s' twice", opt, tok);
        names[k++] = tok;
    }
    return k;
}

/* "none,a,b": names[] (pointing into buf), their count. */
static int parse_classes(const char *s, char *buf, size_t n, const char *names[PGC_MAX_CLASSES])
{
    int k = split_names("--classes", s, buf, n, names);
    if (k < 2 || strcmp(names[0], "none"))
        cli_usage("--classes wants at least two names, the first 'none', not '%s'", s);
    return k;
}

/* The indices of the images whose class --mirror-halves-types names (NULL: every tumour
 * class), and their count in *n. */
static size_t *halves_pool(const char *types, const pgc_dataset *ds, const char *const *cname,
                           int K, size_t *n)
{
    int want[PGC_MAX_CLASSES] = {0};
    if (!types) {
        for (int k = 1; k < K; k++) want[k] = 1;
    } else {
        char buf[PGC_MAX_CLASSES * PGC_CLASS_NAME_MAX];
        const char *names[PGC_MAX_CLASSES];
        int m = split_names("--mirror-halves-types", types, buf, sizeof buf, names);
        for (int i = 0; i < m; i++) {
            int k = 1;
            while (k < K && strcmp(cname[k], names[i])) k++;
            if (k == K)
                cli_usage("--mirror-halves-types: '%s' is not a tumour class of --classes", names[i]);
            want[k] = 1;
        }
    }
    size_t *pool = malloc((ds->n ? ds->n : 1) * sizeof(size_t)), m = 0;
    if (!pool) cli_fail("out of memory");
    for (size_t i = 0; i < ds->n; i++)
        if (ds->s[i].label > 0 && want[ds->s[i].label]) pool[m++] = i;
    *n = m;
    return pool;
}

/* w[0..K-1] per class, w[K] for tumours of no listed type. */
static void class_weights(const char *s, const pgc_dataset *ds, float *w)
{
    int K = ds->nclass;
    if (!strcmp(s, "none")) {
        for (int k = 0; k <= K; k++) w[k] = 1;
    } else if (!strcmp(s, "auto")) {
        /* inverse frequency over the groups present, normalised so that the mean
         * weight per image is 1 (K = 2: n / (2 n_k)) */
        int groups = 0;
        for (int k = 0; k <= K; k++) groups += ds->count[k] > 0;
        for (int k = 0; k <= K; k++)
            w[k] = ds->count[k] ? (float)(ds->n / ((double)groups * ds->count[k])) : 1;
    } else {
        const char *p = s;
        double sum = 0;
        for (int k = 0; k < K; k++) {
            char *end;
            double v = strtod(p, &end);
            if (end == p || !(v > 0) || v > 1e6 || (k < K - 1 ? *end != ',' : *end != 0))
                cli_usage("--class-weights wants auto, none or %d positive weights, not '%s'", K, s);
            w[k] = (float)v;
            if (k) sum += v;
            p = end + 1;
        }
        w[K] = (float)(sum / (K - 1));
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t z = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull + (a << 6) + (a >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The order of epoch ep: a Fisher-Yates shuffle seeded by (seed, ep). */
static void shuffle(size_t *perm, size_t n, uint64_t seed, uint64_t ep)
{
    pgc_rng r;
    pgc_rng_seed(&r, mix(seed, ep));
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = pgc_rng_below(&r, i + 1), t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
}

/* P(tumour) = 1 - P(none) of each of n images' K logits; *arg: the argmax class. */
static void tumour_prob(const float *z, int n, int K, float *p, int *arg)
{
    for (int i = 0; i < n; i++) {
        double q[PGC_MAX_CLASSES];
        arg[i] = pgc_softmax(z + (size_t)K * i, K, q);
        p[i] = (float)(1 - q[0]);
    }
}

/* Inference-mode pass over the validation set. */
static void validate(pgc_net *net, pgc_dataset *vs, float *x, float *z, pgc_metrics *m,
                     double *type_acc)
{
    int B = net->n;
    size_t hw = (size_t)vs->h * vs->w;
    float *prob = malloc(vs->n * sizeof(float)), p[4096];
    int *lab = malloc(vs->n * sizeof(int)), arg[4096];
    size_t typed = 0, typed_hit = 0;
    if (!prob || !lab) cli_fail("out of memory for validation");
    int was = net->train;
    net->train = 0;
    pgc_err e;
    for (size_t i0 = 0; i0 < vs->n; i0 += B) {
        size_t nb = vs->n - i0 < (size_t)B ? vs->n - i0 : (size_t)B;
        for (size_t b = 0; b < (size_t)B; b++) {
            if (b < nb) {
                if (pgc_dataset_get(vs, i0 + b, x + b * hw, &e)) cli_die(PGC_EINPUT, &e);
            } else {
                memset(x + b * hw, 0, hw * sizeof(float));
            }
        }
        pgc_net_forward(net, x, z);
        tumour_prob(z, B, net->nclass, p, arg);
        for (size_t b = 0; b < nb; b++) {
            int y = vs->s[i0 + b].label;
            prob[i0 + b] = p[b], lab[i0 + b] = y != 0;
            if (y >= 0) typed++, typed_hit += arg[b] == y;
        }
    }
    *type_acc = typed ? (double)typed_hit / typed : 0;
    net->train = was;
    if (pgc_metrics_compute(prob, lab, vs->n, PGC_PROB_THRESHOLD, m, &e)) cli_die(PGC_ENOMEM, &e);
    free(prob);
    free(lab);
}

/* prep-size, prep-fit, prep-norm of the training images (the first one's `norm` and
 * `fit` keys, pgc-prep's), so that the model carries its preprocessing. */
static void prep_meta(pgc_dataset *ds, char *buf, size_t n)
{
    pgc_err e;
    char norm[128] = "", fit[32] = "";
    float *tmp = malloc((size_t)ds->h * ds->w * sizeof(float));
    if (tmp && pgc_dataset_get(ds, 0, tmp, &e) == 0) {
        if (!pgc_meta_get(&ds->rec, "norm", norm, sizeof norm)) norm[0] = 0;
        if (!pgc_meta_get(&ds->rec, "fit", fit, sizeof fit)) fit[0] = 0;
    }
    free(tmp);
    int at = snprintf(buf, n, "prep-size: %d\n", ds->h == ds->w ? ds->h : 0);
    if (fit[0]) at += snprintf(buf + at, n - at, "prep-fit: %s\n", fit);
    if (norm[0]) snprintf(buf + at, n - at, "prep-norm: %s\n", norm);
}

/* The adversary's weight per cell (group, source): inverse frequency within the group,
 * so that a small source counts as much as a large one; all 1 under --balance, whose
 * draws are already even. */
static void adversary_weights(const pgc_dataset *ds, int balance, float *w)
{
    int D = ds->ndomain;
    size_t n[2 * PGC_MAX_DOMAINS] = {0}, ng[2] = {0};
    int cells[2] = {0};
    for (size_t i = 0; i < ds->n; i++) n[(ds->s[i].label != 0) * D + ds->s[i].domain]++;
    for (int c = 0; c < 2 * D; c++) ng[c / D] += n[c], cells[c / D] += n[c] > 0;
    for (int c = 0; c < 2 * D; c++)
        w[c] = balance || !n[c] ? 1 : (float)(ng[c / D] / ((double)cells[c / D] * n[c]));
}

/* Whether two paths name one file (a checkpoint resumed from and written again). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Whether two paths would name one file once written: the same file now, or the same
 * name in the same directory (./m.model and m.model before either exists). */
static int same_target(const char *a, const char *b)
{
    if (!strcmp(a, b) || same_file(a, b)) return 1;
    const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
    ba = ba ? ba + 1 : a, bb = bb ? bb + 1 : b;
    if (strcmp(ba, bb)) return 0;
    char da[4096], db[4096];
    snprintf(da, sizeof da, "%.*s", ba == a ? 1 : (int)(ba - a), ba == a ? "." : a);
    snprintf(db, sizeof db, "%.*s", bb == b ? 1 : (int)(bb - b), bb == b ? "." : b);
    return same_file(da, db);
}

/* Two of the files written (-o, --checkpoint, --log) that name one file would clobber
 * each other, or fail only when the training is done; one written over a file read (the
 * training set, --val, or --resume but for its own --checkpoint) would destroy what the
 * run learns from, --force or not: both refused before it starts. */
static void distinct_outputs(const opts *o)
{
    const char *out[3] = {o->out, o->ckpt, o->log}, *opt[3] = {"-o", "--checkpoint", "--log"};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (out[i] && out[j] && same_target(out[i], out[j]))
                cli_usage("%s '%s' and %s '%s' name one file", opt[i], out[i], opt[j], out[j]);
    const char *in[4] = {o->train, o->val, o->resume, o->init};
    const char *iopt[4] = {"the training set", "--val", "--resume", "--init"};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            int continued = in[i] == o->resume && out[j] == o->ckpt; /* a checkpoint resumed */
            if (in[i] && out[j] && !continued && same_target(in[i], out[j]))
                cli_usage("%s '%s' would be written over %s '%s'", opt[j], out[j], iopt[i], in[i]);
        }
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    opts o;
    parse(argc, argv, &o);
    distinct_outputs(&o);
    struct stat st;
    if (!o.force && stat(o.out, &st) == 0)
        cli_fail("'%s' exists; use --force to replace it", o.out);
    /* the same rule for every file written: a checkpoint resumed from is continued, a log
     * resumed is appended to; any other existing file needs --force (a device does not) */
    if (!o.force && o.ckpt && stat(o.ckpt, &st) == 0 && !(o.resume && same_file(o.ckpt, o.resume)))
        cli_fail("'%s' exists; use --force to replace it", o.ckpt);
    if (!o.force && o.log && !o.resume && stat(o.log, &st) == 0 && S_ISREG(st.st_mode))
        cli_fail("'%s' exists; use --force to replace it", o.log);
    /* the model and the checkpoint are written after training: a path that cannot be
     * written fails now, not after the run */
    pgc_err pe;
    if (pgc_atomic_probe(o.out, &pe) || (o.ckpt && pgc_atomic_probe(o.ckpt, &pe)))
        cli_die(PGC_EINPUT, &pe);
    const pgc_nn_backend *be = cli_backend(o.device);

    pgc_err e;
    pgc_dataset ds, vs;
    char cbuf[PGC_MAX_CLASSES * PGC_CLASS_NAME_MAX];
    const char *cname[PGC_MAX_CLASSES];
    int K = parse_classes(o.classes, cbuf, sizeof cbuf, cname);
    if (pgc_dataset_open_classes(&ds, o.train, cname, K, &e)) cli_die(PGC_EINPUT, &e);
    for (int k = 1; k < K && K > 2; k++)
        if (!ds.count[k])
            cli_fail("cannot train on '%s': no tumour image has tumour_type '%s' (--classes)",
                     o.train, cname[k]);
    if (o.val) {
        if (pgc_dataset_open_classes(&vs, o.val, cname, K, &e)) cli_die(PGC_EINPUT, &e);
        if (vs.h != ds.h || vs.w != ds.w)
            cli_fail("'%s' holds %dx%d images but '%s' %dx%d: one size for both", o.val, vs.h,
                     vs.w, o.train, ds.h, ds.w);
    }
    float cw[PGC_MAX_CLASSES + 1];
    class_weights(o.cw, &ds, cw);
    size_t nhalves = 0, *hpool = NULL;
    if (o.halves) {
        if (o.adv) cli_usage("--mirror-halves and --adversarial-source: one or the other");
        hpool = halves_pool(o.halves_types, &ds, cname, K, &nhalves);
        if (!nhalves)
            cli_fail("cannot train on '%s' with --mirror-halves: no image of the classes halved", o.train);
    }
    if (o.tiles > 1 && (ds.h % o.tiles || ds.w % o.tiles))
        cli_usage("--shuffle-tiles %d does not divide the images' %d x %d", o.tiles, ds.h, ds.w);
    if (o.hide == 1 || (o.hide > 1 && (ds.h % o.hide || ds.w % o.hide)))
        cli_usage("--hide-patches %d does not cut the images' %d x %d into patches", o.hide, ds.h, ds.w);
    int B = o.batch + 2 * o.halves; /* the largest batch a step runs */

    pgc_net *net;
    char loaded_up[16]; /* the loaded model's --up-init, which o.up_init then names */
    const char *from = o.resume ? o.resume : o.init;
    if (from) {
        pgc_model_info mi;
        if (pgc_model_load(from, be, o.batch, ds.h, ds.w, o.threads, &net, &mi, &e))
            cli_die(PGC_EINPUT, &e);
        const char *verb = o.resume ? "cannot resume from" : "cannot start from";
        if (o.resume && !mi.checkpoint) cli_fail("cannot resume from '%s': a model, not a checkpoint", from);
        if (o.init && mi.checkpoint)
            cli_fail("cannot start from '%s': a checkpoint, which --resume continues", from);
        /* a resumed run continues at its size; a fine-tuned one may take another */
        if (o.resume && (mi.h != ds.h || mi.w != ds.w))
            cli_fail("cannot resume from '%s': trained at %dx%d, '%s' holds %dx%d", from,
                     mi.h, mi.w, o.train, ds.h, ds.w);
        if ((o.arch_set && strcmp(o.arch, mi.arch)) || (o.width_set && o.width != mi.width))
            cli_fail("%s '%s': it is %s width %d, not %s width %d", verb, from,
                     mi.arch, mi.width, o.arch, o.width);
        for (int k = 0; k < K; k++)
            if (mi.nclass != K || strcmp(mi.classes[k], cname[k]))
                cli_fail("%s '%s': its classes differ from --classes %s", verb, from, o.classes);
        char buf[64];
        if (o.resume && pgc_model_meta(&mi, "seed", buf, sizeof buf)) {
            unsigned long long s = strtoull(buf, NULL, 10);
            if (o.seed_set && s != o.seed) cli_warn("resuming with the checkpoint's seed %llu", s);
            o.seed = s;
        }
        /* tied taps are a rule of the whole run, not only of its start; a model trained
         * untied may be fine-tuned tied (its taps start from their mean) */
        if (pgc_model_meta(&mi, "up-init", loaded_up, sizeof loaded_up) &&
            up_init_flags(loaded_up) >= 0 &&
            !(o.init && (up_init_flags(o.up_init) & PGC_NET_UP_TIED))) {
            if (o.up_init_set && strcmp(loaded_up, o.up_init))
                cli_warn("%s with the %s's --up-init %s", o.resume ? "resuming" : "starting",
                         o.resume ? "checkpoint" : "model", loaded_up);
            o.up_init = loaded_up;
        }
        if ((up_init_flags(o.up_init) & PGC_NET_UP_TIED) && pgc_net_tie_up(net, &e))
            cli_die(PGC_ENOMEM, &e);
        if (o.init) net->step = 0; /* a model's weights, a run of its own */
        o.arch = net->arch, o.width = net->width;
        pgc_model_info_free(&mi);
    } else {
        if (pgc_net_create_ex(&net, be, o.arch, o.width, K, (unsigned)up_init_flags(o.up_init),
                              o.batch, ds.h, ds.w, o.threads, o.seed, &e))
            cli_die(PGC_EINPUT, &e);
    }
    net->train = 1;
    net->param_grads = 1;
    long steps_per_epoch = (long)((ds.n + o.batch - 1) / o.batch);
    long iters = o.iters ? o.iters : o.epochs ? o.epochs * steps_per_epoch : 1000;

    size_t hw = (size_t)ds.h * ds.w;
    float *raw = malloc(hw * sizeof(float)), *half = malloc(hw * sizeof(float));
    float *x = be->host_alloc(hw * B);
    float *z = malloc((size_t)K * B * sizeof(float)), *dz = malloc((size_t)K * B * sizeof(float));
    size_t *perm = malloc(ds.n * sizeof(size_t));
    int *lab = malloc(B * sizeof(int));
    if (!raw || !half || !x || !z || !dz || !perm || !lab) cli_fail("out of memory");
    uint64_t perm_epoch = UINT64_MAX;

    pgc_balance bal = {0};
    if (o.balance && pgc_balance_init(&bal, &ds, &e)) cli_die(PGC_ENOMEM, &e);
    pgc_adversary adv = {0};
    float advw[2 * PGC_MAX_DOMAINS], *feat = NULL, *dfeat = NULL;
    int *grp = malloc(o.batch * sizeof(int)), *dom = malloc(o.batch * sizeof(int));
    char adv_path[1100] = "";
    if (!grp || !dom) cli_fail("out of memory");
    if (o.adv) {
        int F = net->t[net->feat].c;
        if (ds.ndomain < 2)
            cli_fail("cannot train on '%s' with --adversarial-source: its images come from "
                     "one source ('%s')", o.train, ds.domain[0]);
        if (pgc_adversary_init(&adv, F, 64, ds.ndomain, o.seed, &e)) cli_die(PGC_ENOMEM, &e);
        feat = malloc((size_t)o.batch * F * sizeof(float));
        dfeat = malloc((size_t)o.batch * F * sizeof(float));
        if (!feat || !dfeat) cli_fail("out of memory");
        adversary_weights(&ds, o.balance, advw);
        if (o.resume) {
            snprintf(adv_path, sizeof adv_path, "%s.adv", o.resume);
            if (pgc_path_exists(adv_path)) {
                if (pgc_adversary_load(&adv, adv_path, &e)) cli_die(PGC_EINPUT, &e);
            } else {
                cli_warn("'%s' is missing: the adversarial head starts afresh", adv_path);
            }
        }
        if (o.ckpt) snprintf(adv_path, sizeof adv_path, "%s.adv", o.ckpt);
    }
    if (o.balance || o.adv)
        for (int d = 0; d < ds.ndomain; d++) cli_warn("source %d: %s", d, ds.domain[d]);

    FILE *log = NULL;
    if (o.log) {
        int append = o.resume && stat(o.log, &st) == 0;
        log = fopen(o.log, append ? "a" : "w");
        if (!log) cli_fail("cannot write '%s': %s", o.log, strerror(errno));
        if (!append)
            fprintf(log, "iter\tloss\ttrain_acc\tlr\timages_per_s\tval_acc\tval_sens\tval_spec\tval_auc\tval_type_acc\n");
    }
    char meta[8192], cws[512] = "", prep[512] = "";
    for (int k = 0, at = 0; k < K; k++)
        at += snprintf(cws + at, sizeof cws - at, "%s%g", k ? "," : "", cw[k]);
    prep_meta(&ds, prep, sizeof prep);
    char advmeta[1024] = ""; /* the options used against the shortcut, each its keys */
    int am = 0;
    if (o.adv)
        am += snprintf(advmeta, sizeof advmeta, "adversarial-source: %g\nadversarial-ramp: %ld\n",
                       o.adv_weight, o.adv_ramp);
    if (o.halves)
        am += snprintf(advmeta + am, sizeof advmeta - am, "mirror-halves: %d\nmirror-halves-types: %.600s\n"
                       "mirror-halves-from: %ld\n", o.halves, o.halves_types ? o.halves_types : "all",
                       o.halves_from);
    if (o.tiles > 1) am += snprintf(advmeta + am, sizeof advmeta - am, "shuffle-tiles: %d\n", o.tiles);
    if (o.hide) am += snprintf(advmeta + am, sizeof advmeta - am, "hide-patches: %d\n", o.hide);
    if (o.init) snprintf(advmeta + am, sizeof advmeta - am, "init: %.600s\n", o.init);
    int ml = snprintf(meta, sizeof meta,
                      "arch: %s\nwidth: %d\nclasses: %s\nseed: %llu\nbatch: %d\nlr: %g\nlr-step: %ld\n"
                      "class-weights: %s\naugment: %s\nup-init: %s\nthreads: %d\ntrain: %s\n"
                      "train-images: %zu\ntrain-tumour: %zu\n%s%s%s",
                      net->arch, net->width, o.classes, o.seed, o.batch, o.lr, o.lr_step, cws,
                      o.augment == 2 ? "strong" : o.augment ? "on" : "off", o.up_init, o.threads,
                      o.train, ds.n, ds.ntumour, prep, o.balance ? "balance: class,source\n" : "",
                      advmeta);
    cli_warn("%s width %d at %dx%d: %zu images (%zu tumour, %zu unlabelled skipped), "
             "%ld steps of %d, classes %s, class weights %s, %d threads", o.arch, o.width, ds.h, ds.w,
             ds.n, ds.ntumour, ds.nunlabelled, iters, o.batch, o.classes, cws, o.threads);
    if (K > 2)
        cli_warn("%zu tumour images of no listed type learn 'some tumour class'", ds.count[K]);

    double t0 = now(), last_report = t0, last_log = t0;
    long start = net->step, seen_since_log = 0, steps_since_log = 0;
    double loss_sum = 0, loss_rep = 0;
    long correct_sum = 0, correct_rep = 0, imgs_rep = 0, steps_rep = 0, adv_hit_rep = 0;
    double adv_loss_rep = 0;
    pgc_metrics vm = {0};
    double vtype = 0;
    int have_vm = 0;
    while (net->step < iters) {
        long t = net->step;
        for (int b = 0; b < o.batch; b++) {
            uint64_t k = (uint64_t)t * o.batch + b, ep = k / ds.n;
            size_t idx;
            if (o.balance) {
                pgc_rng r;
                pgc_rng_seed(&r, mix(o.seed ^ 0xba1a9ceull, k));
                idx = pgc_balance_pick(&bal, &r);
            } else {
                if (ep != perm_epoch) shuffle(perm, ds.n, o.seed, ep), perm_epoch = ep;
                idx = perm[k % ds.n];
            }
            lab[b] = ds.s[idx].label;
            grp[b] = ds.s[idx].label != 0, dom[b] = ds.s[idx].domain;
            if (pgc_dataset_get(&ds, idx, o.augment ? raw : x + b * hw, &e)) cli_die(PGC_EINPUT, &e);
            if (o.augment) {
                pgc_rng r;
                pgc_rng_seed(&r, mix(o.seed ^ 0xa5a5a5a5ull, k));
                pgc_augment_with(raw, ds.h, ds.w, x + b * hw, &r, o.augment == 2);
            }
            if (o.tiles > 1) { /* a draw of its own, so that the other draws stay as they were */
                pgc_rng r;
                pgc_rng_seed(&r, mix(o.seed ^ 0x711e5ull, k));
                if (pgc_rng_uniform(&r) < 0.5) {
                    memcpy(raw, x + b * hw, hw * sizeof(float));
                    pgc_shuffle_tiles(raw, ds.h, ds.w, o.tiles, &r, x + b * hw);
                }
            }
            if (o.hide) { /* its own draw too */
                pgc_rng r;
                pgc_rng_seed(&r, mix(o.seed ^ 0x41de5eeull, k));
                pgc_hide_patches(x + b * hw, ds.h, ds.w, o.hide, &r);
            }
        }
        int pairs = o.halves && t >= o.halves_from ? o.halves : 0, nb = o.batch + 2 * pairs;
        if (net->n != nb && pgc_net_resize(net, nb, ds.h, ds.w, &e)) cli_die(PGC_ENOMEM, &e);
        for (int j = 0; j < pairs; j++) {
            uint64_t k = (uint64_t)t * o.halves + j;
            pgc_rng r;
            pgc_rng_seed(&r, mix(o.seed ^ 0x4a1fe5ull, k));
            size_t idx = hpool[pgc_rng_below(&r, nhalves)];
            lab[o.batch + 2 * j] = ds.s[idx].label; /* until the forward says which */
            if (pgc_dataset_get(&ds, idx, raw, &e)) cli_die(PGC_EINPUT, &e);
            for (int side = 0; side < 2; side++) {
                float *dst = x + (size_t)(o.batch + 2 * j + side) * hw;
                pgc_mirror_half(raw, ds.h, ds.w, side, o.augment ? half : dst);
                if (o.augment) { /* the same draws for both: they differ by the half alone */
                    pgc_rng a = r;
                    pgc_augment_with(half, ds.h, ds.w, dst, &a, o.augment == 2);
                }
            }
        }
        float lr = (float)(o.lr * pow(0.1, (double)(t / o.lr_step)));
        pgc_net_forward(net, x, z);
        for (int j = 0; j < pairs; j++) {
            /* the pair's more tumorous image takes the class, the other none */
            int a = o.batch + 2 * j, y = lab[a];
            double p[2][PGC_MAX_CLASSES];
            pgc_softmax(z + (size_t)K * a, K, p[0]);
            pgc_softmax(z + (size_t)K * (a + 1), K, p[1]);
            int hi = p[1][0] < p[0][0];
            lab[a + hi] = y, lab[a + !hi] = 0;
        }
        int correct;
        double loss = pgc_softmax_xent_k(nb, K, z, lab, cw, dz, &correct);
        if (!isfinite(loss) && pgc_net_status(net, &e)) cli_die(PGC_EINPUT, &e);
        if (!isfinite(loss)) cli_fail("training diverged at step %ld (loss is %g); try a lower --lr", t + 1, loss);
        if (o.adv) {
            pgc_net_read(net, net->feat, 0, feat);
            int hit;
            double lam = pgc_adversary_lambda(o.adv_weight, t, o.adv_ramp);
            double al = pgc_adversary_step(&adv, o.batch, feat, grp, dom, advw, (float)lam, lr,
                                           dfeat, &hit, &e);
            if (!isfinite(al)) cli_fail("training diverged at step %ld (the adversarial head's "
                                        "loss is %g); try a lower --adversarial-weight", t + 1, al);
            adv_loss_rep += al, adv_hit_rep += hit;
        }
        pgc_net_backward_feat(net, dz, dfeat);
        pgc_net_adam(net, lr);
        loss_sum += loss, loss_rep += loss;
        correct_sum += correct, correct_rep += correct;
        seen_since_log += nb, steps_since_log++, imgs_rep += nb, steps_rep++;
        long done = net->step;

        int do_val = o.val && (done % o.val_every == 0 || done == iters);
        if (do_val) {
            validate(net, &vs, x, z, &vm, &vtype);
            if (pgc_net_status(net, &e)) cli_die(PGC_EINPUT, &e); /* never report NaN */
            have_vm = 1;
            cli_warn("step %ld: validation accuracy %.4f, sensitivity %.4f, specificity %.4f, "
                     "AUC %.4f (%zu images)", done, vm.acc, vm.sens, vm.spec, vm.auc, vm.n);
            if (K > 2) cli_warn("step %ld: validation class accuracy %.4f (images of a listed class)", done, vtype);
        }
        double tn = now();
        if (log && (done % o.log_every == 0 || do_val || done == iters)) {
            fprintf(log, "%ld\t%.6f\t%.4f\t%g\t%.2f", done, loss_sum / steps_since_log,
                    (double)correct_sum / seen_since_log, lr, seen_since_log / fmax(tn - last_log, 1e-9));
            if (do_val) fprintf(log, "\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\n", vm.acc, vm.sens, vm.spec, vm.auc, vtype);
            else fprintf(log, "\t\t\t\t\t\n");
            if (fflush(log) || ferror(log)) cli_fail("cannot write '%s': %s", o.log, strerror(errno));
            loss_sum = 0, correct_sum = 0, seen_since_log = 0, steps_since_log = 0, last_log = tn;
        }
        if (tn - last_report >= 10 || done == iters) {
            double rate = imgs_rep / fmax(tn - last_report, 1e-9);
            /* Whole seconds first, so that 59.7 s never prints as "60 s". */
            long left = lround((iters - done) * (double)o.batch / fmax(rate, 1e-9));
            char advs[96] = "";
            if (o.adv)
                snprintf(advs, sizeof advs, "  source head loss %.4f acc %.3f",
                         adv_loss_rep / steps_rep, (double)adv_hit_rep / imgs_rep);
            cli_warn("step %ld/%ld  loss %.4f  acc %.3f  lr %g  %.1f images/s  %ld min %02ld s left%s",
                     done, iters, loss_rep / steps_rep, (double)correct_rep / imgs_rep, lr, rate,
                     left / 60, left % 60, advs);
            loss_rep = 0, correct_rep = 0, imgs_rep = 0, steps_rep = 0, last_report = tn;
            adv_loss_rep = 0, adv_hit_rep = 0;
        }
        if (o.ckpt && (done % o.ckpt_every == 0 || done == iters)) {
            /* the head's state first: a checkpoint never lands without the state it needs */
            if (o.adv && pgc_adversary_save(&adv, adv_path, &e)) cli_die(PGC_EINPUT, &e);
            if (pgc_model_save(o.ckpt, net, ds.h, ds.w, 1, meta, 1, &e)) cli_die(PGC_EINPUT, &e);
        }
    }
    if (have_vm && ml > 0 && (size_t)ml < sizeof meta)
        snprintf(meta + ml, sizeof meta - ml, "val: %s\nval-acc: %.4f\nval-sens: %.4f\n"
                 "val-spec: %.4f\nval-auc: %.4f\nval-class-acc: %.4f\n", o.val, vm.acc, vm.sens,
                 vm.spec, vm.auc, vtype);
    if (pgc_model_save(o.out, net, ds.h, ds.w, 0, meta, o.force, &e)) cli_die(PGC_EINPUT, &e);
    cli_warn("wrote '%s' after %ld steps (%ld this run) in %.0f s", o.out, net->step,
             net->step - start, now() - t0);
    if (log && (ferror(log) | fclose(log))) cli_fail("cannot write '%s': %s", o.log, strerror(errno));
    pgc_net_free(net);
    pgc_dataset_close(&ds);
    if (o.val) pgc_dataset_close(&vs);
    be->host_free(x);
    free(raw), free(half), free(hpool), free(z), free(dz), free(perm), free(lab), free(grp), free(dom), free(feat),
        free(dfeat);
    pgc_balance_free(&bal);
    pgc_adversary_free(&adv);
    return 0;
}
