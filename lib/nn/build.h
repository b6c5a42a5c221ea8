/* Building a graph (used by arch.c): each call declares its parameters (or, when the
 * net is rebuilt for another size, finds them again) and appends one node. Each returns
 * the output tensor's index; failures set net->build_err and return a harmless index. */
#ifndef PGC_NN_BUILD_H
#define PGC_NN_BUILD_H

#include "net.h"

#define PGC_NODE_MAXIN 8

enum { OP_CONV, OP_BN, OP_POOL, OP_UPCONV, OP_CONCAT, OP_UPSAMPLE, OP_GAP, OP_FC, OP_ADD };

struct pgc_node {
    int op;
    int in[PGC_NODE_MAXIN], nin, out;
    int k, stride, pad, relu;
    int shift[PGC_NODE_MAXIN]; /* upconv: each part's shift; upsample: shift in [0] */
    int pw, pb, sm, sv;        /* parameter indices (-1: none) */
    int ch0;                   /* first channel of this node's slice of its parameters */
    double unbias_n;           /* BN: see pgc_bn_desc */
    float *save;               /* BN: (2, C) batch mean and inverse std */
    int *idx;                  /* max pool: argmax */
};

int nb_input(pgc_net *net, int c, int h, int w);
int nb_conv(pgc_net *net, int x, int cout, int k, int stride, int pad, const char *name);
int nb_bn(pgc_net *net, int x, int relu, const char *name);
/* BN over channels [ch0, ch0 + C) of a BN declared with ctotal channels. */
int nb_bn_part(pgc_net *net, int x, int relu, const char *name, int ch0, int ctotal,
               double unbias_n);
int nb_maxpool(pgc_net *net, int x, int k, int stride, int pad);
/* 2x2/2 transposed conv with bias over the channel concat of parts, each read
 * nearest-upsampled by 2^shift[i] relative to parts[0]'s resolution... see backend.h:
 * shift is relative to the OUTPUT (1 = ordinary). */
int nb_upconv(pgc_net *net, const int *parts, const int *shift, int nparts, int cout,
              const char *name);
int nb_concat(pgc_net *net, const int *parts, int nparts);
int nb_upsample(pgc_net *net, int x, int shift);
int nb_gap(pgc_net *net, int x);
int nb_fc(pgc_net *net, int x, int m, const char *name);
int nb_add(pgc_net *net, int a, int b, int relu);

#endif
