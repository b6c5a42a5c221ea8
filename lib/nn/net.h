/* A network: named parameters and a graph of operations over NCHW tensors, built for one
 * batch size and input size, run forward and backward through a backend (backend.h).
 * The architectures (dcfpn.md) are in arch.c; pgc_net_create builds one by name. */
#ifndef PGC_NN_NET_H
#define PGC_NN_NET_H

#include <stddef.h>

#include "../err.h"
#include "backend.h"

#define PGC_NAME_MAX 64
#define PGC_MAX_SCALES 5

/* The one rule for a network's input size, wherever a size comes from (a stream, a
 * model file, an option): H and W multiples of 16 from 16 to PGC_MAX_SIDE. 0 is not a
 * size (the model loader reads 0 as "the trained size"). */
#define PGC_MAX_SIDE 8192
static inline int pgc_input_size_ok(unsigned long long h, unsigned long long w)
{
    return h >= 16 && w >= 16 && h <= PGC_MAX_SIDE && w <= PGC_MAX_SIDE && h % 16 == 0 &&
           w % 16 == 0;
}

/* One named parameter or running statistic: a slice of the net's p[] (trained) or s[]
 * (running statistics) arrays. */
typedef struct {
    char name[PGC_NAME_MAX];
    int rank;
    int dims[4];
    size_t off, count;
    int stat;   /* 1: a BN running statistic, in s[]; 0: trained, in p[] */
} pgc_param;

typedef struct {
    int n, c, h, w;  /* (N, C, H, W) */
    float *x, *g;    /* values and d loss / d values (g NULL when not needed) */
    int on_scale_path; /* a scale tensor or computed from one (see pgc_net_backward) */
    int gzero;         /* backward zeroes g right before node gzero's backward (-1: at its
                        * start), when g's memory becomes this tensor's (net.c's plan) */
} pgc_tensor;

typedef struct pgc_node pgc_node;
typedef struct pgc_net pgc_net;

struct pgc_net {
    const pgc_nn_backend *be;
    void *ctx;
    int threads;
    char arch[32];
    int width;
    int nclass;           /* outputs of the classifier head (2: none, tumour) */
    int up_nearest;       /* transposed convolutions start as nearest-neighbour copies */
    int up_tied;          /* ... and stay so: their four taps share one gradient */
    float *tie_buf;       /* host scratch of the largest upsampling weight (up_tied) */
    int n, h, w;          /* batch and input size the graph is built for */

    /* Parameters, declared by the builder in a fixed order. */
    pgc_param *par;
    int npar, par_cap, par_frozen, par_next;
    size_t np, ns;
    float *p, *g, *m, *v; /* (np): values, gradients, Adam moments (backend memory) */
    float *s;             /* (ns): running statistics */
    long step;            /* Adam steps taken */

    /* Graph. */
    pgc_tensor *t;
    int nt, t_cap;
    pgc_node *nd;
    int nn, nd_cap;
    int input, logits;
    int feat;                   /* the pooled features the head's FC reads (N, F) */
    float *feat_host;           /* host copy of feat's gradient (pgc_net_backward_feat) */
    int scale[PGC_MAX_SCALES];  /* tensors f^{s1}..; nscales of them */
    int nscales;
    size_t ws_bytes;
    float *arena;               /* every tensor's x and g, placed by graph_alloc's plan */
    size_t arena_n;             /* its floats */
    int build_err;              /* a builder step failed (allocation) */

    int train;        /* BN uses batch statistics and updates running averages */
    int param_grads;  /* backward computes parameter gradients (off for Grad-CAM) */
    int prune;        /* with param_grads off, backward skips the tensors off the scale
                       * path (default 1; 0 walks the whole graph, for checking) */
    int profile;      /* accumulate seconds per operation kind into prof[]: 1 wall clock,
                       * 2 the calling thread's CPU time */
    double prof[2][16];  /* [forward, backward][op] */
};

/* Names of the operation kinds indexing prof[][k] (NULL past the last). */
const char *pgc_net_op_name(int k);
/* Multiply-adds of one forward pass over the whole batch (convolutions, transposed
 * convolutions, fully connected). */
double pgc_net_macs(const pgc_net *net);
/* Multiply-adds of the Grad-CAM backward (parameter gradients off): the data gradients
 * of the nodes it runs, about one forward of each (all of them when prune is off). */
double pgc_net_macs_cam_backward(const pgc_net *net);

/* Architectures: "dcfpn", "fpn", "multigap", "multigap-dc", "resnet50"; "dcfpn-ref" is
 * dcfpn with X(p) materialised (upsampled copies, one 31w BN), for checking the fold. */
int pgc_arch_known(const char *arch);
const char *pgc_arch_list(void);
int pgc_arch_scales(const char *arch); /* the pyramid scales of a known architecture */

/* The input sizes every architecture takes: pgc_input_size_ok above, the one statement
 * of the rule, for the net, the model file, the training set and pgc-infer. */

/* Softmax of k logits z into p (k values), computed as exp(z - max) / sum in double;
 * returns the index of the largest logit (the first of equals). The one softmax of the
 * loss, pgc-train's P(tumour) and pgc-infer's tumour-class target. */
int pgc_softmax(const float *z, int k, double *p);

/* Creates a net with freshly initialised parameters (seeded), for batch n and input
 * h x w (pgc_input_size_ok). threads: CPU threads for the backend. */
int pgc_net_create(pgc_net **out, const pgc_nn_backend *be, const char *arch, int width,
                   int n, int h, int w, int threads, unsigned long long seed, pgc_err *e);
/* The same with nclass classifier outputs (2..PGC_MAX_CLASSES; class 0 is none) and
 * flags: PGC_NET_UP_NEAREST initialises every 2x2 transposed convolution with equal
 * taps, so that each output block starts as a nearest-neighbour copy of a 1x1 map of
 * its input pixel (no checkerboard at the start of training); PGC_NET_UP_TIED does so
 * and keeps the taps equal through training (pgc_net_adam gives the four taps of each
 * weight their mean gradient): every 2x2 transposed convolution is then a nearest-
 * neighbour upsampling followed by a 1x1 convolution, and cannot draw a 2x2 pattern. */
#define PGC_MAX_CLASSES 16
#define PGC_NET_UP_NEAREST 1u
#define PGC_NET_UP_TIED 2u
int pgc_net_create_ex(pgc_net **out, const pgc_nn_backend *be, const char *arch, int width,
                      int nclass, unsigned flags, int n, int h, int w, int threads,
                      unsigned long long seed, pgc_err *e);
void pgc_net_free(pgc_net *net);
/* Ties the net's upsampling from the next pgc_net_adam on (PGC_NET_UP_TIED, or a net
 * loaded from a checkpoint of a tied run): each transposed convolution's four taps are
 * set to their mean, which leaves equal taps exactly as they are. */
int pgc_net_tie_up(pgc_net *net, pgc_err *e);
/* The number of trained values (*np) and running statistics (*ns) of arch at width with
 * nclass outputs, as
 * a model file holds them (unpadded), without allocating them: for checking a file's
 * size before building its net. */
int pgc_net_count_params(const char *arch, int width, int nclass, size_t *np, size_t *ns,
                         pgc_err *e);
/* Rebuilds the graph for another batch or input size, keeping the parameters. */
int pgc_net_resize(pgc_net *net, int n, int h, int w, pgc_err *e);

/* Forward: x (N, 1, H, W) host floats -> logits (N, nclass) host floats (may be NULL). */
void pgc_net_forward(pgc_net *net, const float *x, float *logits);
/* Backward from d loss / d logits (N, nclass), host floats. Zeroes and fills tensor
 * gradients; parameter gradients are ACCUMULATED into g[] when param_grads is set.
 * With param_grads off and prune set, only the scale tensors and the tensors computed
 * from them get gradients (all Grad-CAM reads); the others' are left as they were.
 * Tensors share memory where their lifetimes allow (graph_alloc in net.c): after a
 * step only the values and gradients of the input (values), the scales, the pooled
 * features and the logits keep their meaning; the others' memory may hold another
 * tensor's. Backward may run more than once after one forward. */
void pgc_net_backward(pgc_net *net, const float *dlogits);
/* The same with dfeat (N, F host floats, F = t[feat].c) added to d loss / d feat: the
 * gradient of another loss on the pooled features (the adversarial source head). */
void pgc_net_backward_feat(pgc_net *net, const float *dlogits, const float *dfeat);
/* One Adam step with learning rate lr over the accumulated gradients, then zeroes them. */
void pgc_net_adam(pgc_net *net, float lr);
void pgc_net_zero_grads(pgc_net *net);
/* Waits for the backend's queued work; PGC_OK, or PGC_EINPUT with the first failure of
 * a backend call since the net was built (a GPU error) in e. Results read after a
 * failure are NaN, never numbers that look right: check this before using them. */
int pgc_net_status(const pgc_net *net, pgc_err *e);

/* Softmax cross-entropy with class weights (PyTorch's: sum w_y (-log p_y) / sum w_y).
 * logits, dlogits (N, 2); w may be NULL (all 1). Returns the loss; *correct counts
 * argmax hits. */
double pgc_softmax_xent(int n, const float *logits, const int *labels, const float *w,
                        float *dlogits, int *correct);
/* The label of a tumour slice whose type is not one of the classes: its target is the
 * set of tumour classes 1..K-1, with the loss -log(sum of their probabilities). */
#define PGC_LABEL_ANY_TUMOUR (-1)
/* The same over K classes. labels[i] is 0..K-1 or PGC_LABEL_ANY_TUMOUR; w (may be NULL)
 * has K + 1 entries, w[K] the weight of PGC_LABEL_ANY_TUMOUR. *correct counts argmax
 * hits (for ANY_TUMOUR: an argmax >= 1). */
double pgc_softmax_xent_k(int n, int k, const float *logits, const int *labels, const float *w,
                          float *dlogits, int *correct);

/* Index of a parameter by name, or -1. */
int pgc_net_param_find(const pgc_net *net, const char *name);
/* Copies a tensor's values (or gradients) to the host. */
void pgc_net_read(const pgc_net *net, int tensor, int grad, float *host);

#endif
