/* Adam (Kingma and Ba) on host memory, as PyTorch's torch.optim.Adam computes it: one
 * place for the arithmetic, so that the CPU backend's network step and the adversarial
 * source head (which lives in host memory whatever the backend) take the same step. */
#ifndef PGC_NN_ADAM_H
#define PGC_NN_ADAM_H

#include <stddef.h>

/* Step t (1, 2, ...) over n parameters p with gradients g and moments m, v:
 * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
void pgc_adam_host(size_t n, float *p, const float *g, float *m, float *v, float lr, float b1,
                   float b2, float eps, long t);

#endif
