/* The CPU backend's pieces, shared between its files (not part of the interface). */
#ifndef PGC_NN_CPU_H
#define PGC_NN_CPU_H

#include "backend.h"

typedef struct {
    float *ws;        /* scratch, ws_n floats */
    size_t ws_n;
    int threads;
} pgc_cpu_ctx;

size_t pgc_cpu_conv_workspace(const pgc_conv_desc *d);
void pgc_cpu_conv_forward(void *ctx, const pgc_conv_desc *d, const float *x, const float *w,
                          float *y);
void pgc_cpu_conv_backward_data(void *ctx, const pgc_conv_desc *d, const float *dy,
                                const float *w, float *dx);
void pgc_cpu_conv_backward_filter(void *ctx, const pgc_conv_desc *d, const float *x,
                                  const float *dy, float *dw);
size_t pgc_cpu_upconv_workspace(const pgc_upconv_desc *d);
void pgc_cpu_upconv_forward(void *ctx, const pgc_upconv_desc *d, const float *x,
                            const float *w, float *y);
void pgc_cpu_upconv_backward(void *ctx, const pgc_upconv_desc *d, const float *x,
                             const float *w, const float *dy, float *dx, float *dw);
void pgc_cpu_fc_forward(void *ctx, int n, int k, int m, const float *x, const float *w,
                        const float *b, float *y);
void pgc_cpu_fc_backward(void *ctx, int n, int k, int m, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, float *db);

#endif
