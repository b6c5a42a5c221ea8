/* The CPU backend's fast paths against their plain references, on shapes that reach
 * every edge of the fast code (widths that are not a multiple of the vector width,
 * channel counts that are not a multiple of the register block, one and several
 * images, one and two threads). nn_layers checks the backend's entries against
 * definitions and finite differences; this checks that each fast kernel computes what
 * the reference it replaces computes. */
#include "check.h"
#include "nn_fd.h"

#include "../../lib/nn/cpu.h"

#include <stdlib.h>

/* Two sums of the same terms in another order differ by rounding that grows with the
 * terms' magnitudes: fast and reference must agree within rel of sum |terms| (bound[i],
 * the reference run on absolute values), whatever the BLAS kernel of the machine. */
static int within(const char *what, const float *a, const float *b, const float *bound, size_t n, double rel)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= rel * bound[i] + 1e-30)) {
            if (bad < 3)
                printf("#   %s[%zu]: fast %.7g, reference %.7g, sum of |terms| %.4g\n", what, i, a[i], b[i], bound[i]);
            bad++;
        }
    }
    return bad;
}

static void absolute(float *a, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] = fabsf(a[i]);
}

static void direct_case(int n, int cin, int h, int w, int cout, int threads, int avx512)
{
    pgc_conv_desc d = {n, cin, h, w, cout, h, w, 3, 1, 1};
    const pgc_nn_backend *be = pgc_nn_backend_cpu();
    size_t nx = (size_t)n * cin * h * w, ny = (size_t)n * cout * h * w, nw = (size_t)cout * cin * 9;
    float *x = malloc(nx * 4), *wt = malloc(nw * 4), *dy = malloc(ny * 4);
    float *y0 = malloc(ny * 4), *y1 = malloc(ny * 4);
    float *dx0 = malloc(nx * 4), *dx1 = malloc(nx * 4), *dw0 = malloc(nw * 4), *dw1 = malloc(nw * 4);
    fill_normal(x, nx, 11, 1), fill_normal(wt, nw, 12, 0.3), fill_normal(dy, ny, 13, 1);
    /* the backward passes accumulate: start both from the same non-zero values */
    fill_normal(dx0, nx, 14, 1), memcpy(dx1, dx0, nx * 4);
    fill_normal(dw0, nw, 15, 1), memcpy(dw1, dw0, nw * 4);
    fill_normal(y1, ny, 16, 1); /* the forward overwrites */
    size_t wa = pgc_cpu_im2col_workspace(&d), wb = pgc_cpu_direct_workspace(&d);
    void *c = be->create((wa > wb ? wa : wb) * 4, threads);
    ((pgc_cpu_ctx *)c)->avx512 &= avx512;
    EXPECT(pgc_cpu_direct_ok(&d));
    pgc_cpu_im2col_forward(c, &d, x, wt, y0);
    pgc_cpu_direct_forward(c, &d, x, wt, y1);
    pgc_cpu_im2col_backward_data(c, &d, dy, wt, dx0);
    pgc_cpu_direct_backward_data(c, &d, dy, wt, dx1);
    pgc_cpu_im2col_backward_filter(c, &d, x, dy, dw0);
    pgc_cpu_direct_backward_filter(c, &d, x, dy, dw1);
    char what[64];
    /* the bounds: each pass on |x|, |w|, |dy|, accumulating into the |start| values */
    float *by = malloc(ny * 4), *bx = malloc(nx * 4), *bw = malloc(nw * 4);
    absolute(x, nx), absolute(wt, nw), absolute(dy, ny);
    fill_normal(bx, nx, 14, 1), absolute(bx, nx), fill_normal(bw, nw, 15, 1), absolute(bw, nw);
    pgc_cpu_im2col_forward(c, &d, x, wt, by);
    pgc_cpu_im2col_backward_data(c, &d, dy, wt, bx);
    pgc_cpu_im2col_backward_filter(c, &d, x, dy, bw);
    snprintf(what, sizeof what, "n%d c%d %dx%d o%d t%d l%d y", n, cin, h, w, cout, threads,
             avx512 ? 16 : 8);
    EXPECT(within(what, y1, y0, by, ny, 1e-6) == 0);
    what[strlen(what) - 1] = 0, strcat(what, "dx");
    EXPECT(within(what, dx1, dx0, bx, nx, 1e-6) == 0);
    what[strlen(what) - 2] = 0, strcat(what, "dw");
    EXPECT(within(what, dw1, dw0, bw, nw, 1e-6) == 0);
    be->destroy(c);
    free(x), free(wt), free(dy), free(y0), free(y1), free(dx0), free(dx1), free(dw0), free(dw1);
    free(by), free(bx), free(bw);
}

/* each path the CPU has: the 8-lane one, and the 16-lane one where there is AVX-512 */
static void direct_cases(int n, int cin, int h, int w, int cout, int threads)
{
    for (int avx512 = pgc_cpu_has_avx512(); avx512 >= 0; avx512--)
        direct_case(n, cin, h, w, cout, threads, avx512);
}

static void direct_3x3_conv_matches_im2col_gemm_forward_and_backward(void)
{
    direct_cases(1, 1, 16, 16, 8, 1);   /* the stem: one input channel */
    direct_cases(3, 5, 7, 9, 6, 1);     /* odd sizes, channels not a multiple of 4 */
    direct_cases(2, 8, 14, 14, 16, 2);  /* two threads */
    direct_cases(2, 16, 8, 8, 32, 2);
    direct_cases(1, 3, 1, 1, 2, 1);     /* a single pixel: every tap but the centre pads */
    direct_cases(1, 6, 40, 37, 5, 2);   /* several tiles and chunks per plane */
    /* one image split across threads (the backend takes the direct kernel at batch 1):
     * more threads than output-channel blocks, odd sizes, both sides few and many */
    direct_cases(1, 9, 23, 31, 6, 3);
    direct_cases(1, 16, 30, 30, 16, 2);
    direct_cases(1, 3, 5, 4, 7, 8);
    direct_cases(1, 130, 9, 11, 20, 2);
}

/* The direct kernel's split across threads decides who computes what, never the order
 * of a sum: 1, 2, 3 threads give the same bits (the rule "same seed and thread count,
 * same model" holds with room to spare). */
static void direct_bits(int n, int cin, int h, int w, int cout, int threads, int avx512,
                        float *out)
{
    pgc_conv_desc d = {n, cin, h, w, cout, h, w, 3, 1, 1};
    const pgc_nn_backend *be = pgc_nn_backend_cpu();
    size_t nx = (size_t)n * cin * h * w, ny = (size_t)n * cout * h * w, nw = (size_t)cout * cin * 9;
    float *x = malloc(nx * 4), *wt = malloc(nw * 4), *dy = malloc(ny * 4);
    fill_normal(x, nx, 21, 1), fill_normal(wt, nw, 22, 0.3), fill_normal(dy, ny, 23, 1);
    float *y = out, *dx = out + ny, *dw = out + ny + nx;
    memset(dx, 0, nx * 4), memset(dw, 0, nw * 4);
    void *c = be->create(pgc_cpu_direct_workspace(&d) * 4, threads);
    ((pgc_cpu_ctx *)c)->avx512 &= avx512;
    pgc_cpu_direct_forward(c, &d, x, wt, y);
    pgc_cpu_direct_backward_data(c, &d, dy, wt, dx);
    pgc_cpu_direct_backward_filter(c, &d, x, dy, dw);
    be->destroy(c);
    free(x), free(wt), free(dy);
}

static void direct_3x3_conv_gives_the_same_bits_on_any_thread_count(void)
{
    static const int shapes[][5] = {{1, 6, 40, 37, 5}, {1, 16, 17, 19, 12}, {2, 5, 9, 8, 9},
                                    {1, 40, 20, 21, 35}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const int *s = shapes[k];
        size_t len = (size_t)s[0] * (s[1] + s[4]) * s[2] * s[3] + (size_t)s[1] * s[4] * 9;
        float *a = malloc(len * 4), *b = malloc(len * 4);
        for (int l16 = pgc_cpu_has_avx512(); l16 >= 0; l16--) { /* each path the CPU has */
            direct_bits(s[0], s[1], s[2], s[3], s[4], 1, l16, a);
            for (int t = 2; t <= 3; t++) {
                direct_bits(s[0], s[1], s[2], s[3], s[4], t, l16, b);
                EXPECT(memcmp(a, b, len * 4) == 0);
            }
        }
        free(a), free(b);
    }
}

/* Where the CPU has AVX-512, the 16-lane forward and backward-data sum each output's
 * terms in the 8-lane order: the same bits, on shapes with partial register blocks and an
 * odd number of 8-lane blocks. (The 16-lane filter gradient sums in another order; it is
 * held to im2col + sgemm like the 8-lane one, above.) */
static void direct_3x3_conv_16_lanes_give_the_8_lane_bits_forward_and_backward_data(void)
{
    static const int shapes[][5] = {{1, 6, 40, 37, 5}, {1, 16, 17, 19, 12}, {2, 5, 9, 8, 9},
                                    {1, 3, 60, 61, 13}, {1, 9, 3, 2, 7}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const int *s = shapes[k];
        size_t len = (size_t)s[0] * (s[1] + s[4]) * s[2] * s[3] + (size_t)s[1] * s[4] * 9;
        size_t yx = (size_t)s[0] * (s[1] + s[4]) * s[2] * s[3]; /* y and dx, not dw */
        float *a = malloc(len * 4), *b = malloc(len * 4);
        for (int t = 1; t <= 2; t++) {
            direct_bits(s[0], s[1], s[2], s[3], s[4], t, 0, a);
            direct_bits(s[0], s[1], s[2], s[3], s[4], t, 1, b);
            EXPECT(memcmp(a, b, yx * 4) == 0);
        }
        free(a), free(b);
    }
}

/* The 16-lane 1x1 kernel (where the CPU has AVX-512) against im2col + sgemm (a GEMM on the
 * image): forward, and backward-data added into what dx held; output channels not a
 * multiple of its 8, planes not a multiple of its 48 positions, one and two threads. */
static void pointwise_case(int n, int cin, int h, int w, int cout, int threads)
{
    pgc_conv_desc d = {n, cin, h, w, cout, h, w, 1, 1, 0};
    const pgc_nn_backend *be = pgc_nn_backend_cpu();
    size_t nx = (size_t)n * cin * h * w, ny = (size_t)n * cout * h * w, nw = (size_t)cout * cin;
    float *x = malloc(nx * 4), *wt = malloc(nw * 4), *dy = malloc(ny * 4);
    float *y0 = malloc(ny * 4), *y1 = malloc(ny * 4), *dx0 = malloc(nx * 4), *dx1 = malloc(nx * 4);
    float *by = malloc(ny * 4), *bx = malloc(nx * 4);
    fill_normal(x, nx, 31, 1), fill_normal(wt, nw, 32, 0.3), fill_normal(dy, ny, 33, 1);
    fill_normal(dx0, nx, 34, 1), memcpy(dx1, dx0, nx * 4), fill_normal(y1, ny, 35, 1);
    size_t wa = pgc_cpu_im2col_workspace(&d), wb = pgc_cpu_pointwise_workspace(&d);
    void *c = be->create((wa > wb ? wa : wb) * 4, threads);
    EXPECT(pgc_cpu_pointwise_ok(&d));
    pgc_cpu_im2col_forward(c, &d, x, wt, y0);
    pgc_cpu_pointwise_forward(c, &d, x, wt, y1);
    pgc_cpu_im2col_backward_data(c, &d, dy, wt, dx0);
    pgc_cpu_pointwise_backward_data(c, &d, dy, wt, dx1);
    absolute(x, nx), absolute(wt, nw), absolute(dy, ny);
    fill_normal(bx, nx, 34, 1), absolute(bx, nx);
    pgc_cpu_im2col_forward(c, &d, x, wt, by);
    pgc_cpu_im2col_backward_data(c, &d, dy, wt, bx);
    char what[64];
    snprintf(what, sizeof what, "n%d c%d %dx%d o%d t%d y", n, cin, h, w, cout, threads);
    EXPECT(within(what, y1, y0, by, ny, 1e-6) == 0);
    what[strlen(what) - 1] = 0, strcat(what, "dx");
    EXPECT(within(what, dx1, dx0, bx, nx, 1e-6) == 0);
    be->destroy(c);
    free(x), free(wt), free(dy), free(y0), free(y1), free(dx0), free(dx1), free(by), free(bx);
}

static void pointwise_conv_matches_im2col_gemm_forward_and_backward_data(void)
{
    pointwise_case(1, 64, 56, 56, 256, 1);  /* resnet50's first bottleneck */
    pointwise_case(2, 13, 7, 9, 19, 2);     /* odd channels, 63 positions */
    pointwise_case(1, 5, 1, 1, 3, 1);       /* a single position */
    pointwise_case(3, 40, 16, 17, 9, 2);
}

/* The 16-lane GEMM (where the CPU has AVX-512) against OpenBLAS, through the one entry
 * every GEMM takes (pgc_cpu_sgemm; the context's avx512 flag picks the path): C = A B
 * and C = A^T B, with rows that are not a multiple of its register blocks (6, 8) or its 48-row jobs,
 * columns not a multiple of 16, K across its passes of 256 rows (the sums go on from
 * where a pass left them), and leading dimensions wider than the matrices, whose extra
 * columns must stay as they were. Its bits do not depend on the thread count. */
static void gemm16_case(int ta, int M, int N, int K, int threads, float *bits)
{
    int lda = (ta ? M : K) + 3, ldb = N + 5, ldc = N + 7;
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)K * ldb, nc = (size_t)M * ldc;
    float *A = malloc(na * 4), *B = malloc(nb * 4), *C0 = malloc(nc * 4), *C1 = malloc(nc * 4),
          *bound = malloc(nc * 4);
    fill_normal(A, na, 41, 1), fill_normal(B, nb, 42, 1), fill_normal(C1, nc, 43, 1);
    memcpy(C0, C1, nc * 4);
    const pgc_nn_backend *be = pgc_nn_backend_cpu();
    void *fast = be->create(64, threads), *ref = be->create(64, 1);
    ((pgc_cpu_ctx *)ref)->avx512 = 0;
    pgc_cpu_sgemm(fast, ta, 0, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C1, ldc);
    pgc_cpu_sgemm(ref, ta, 0, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C0, ldc);
    absolute(A, na), absolute(B, nb);
    pgc_cpu_sgemm(ref, ta, 0, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, bound, ldc);
    char what[64];
    snprintf(what, sizeof what, "%s%dx%dx%d t%d C", ta ? "T " : "", M, N, K, threads);
    int bad = 0, kept = 1;
    for (int i = 0; i < M; i++) {
        size_t row = (size_t)i * ldc;
        bad += within(what, C1 + row, C0 + row, bound + row, (size_t)N, 1e-6);
        kept &= memcmp(C1 + row + N, C0 + row + N, (size_t)(ldc - N) * 4) == 0;
    }
    EXPECT(bad == 0);
    EXPECT(kept);
    for (int i = 0; i < M; i++) memcpy(bits + (size_t)i * N, C1 + (size_t)i * ldc, (size_t)N * 4);
    be->destroy(fast), be->destroy(ref);
    free(A), free(B), free(C0), free(C1), free(bound);
}

static void gemm_16_lanes_matches_openblas_on_any_thread_count(void)
{
    /* resnet50's 3x3 at 7 x 7 (4 vectors, 6-row blocks), its 1x1 at 14 x 14 (2 vectors),
     * a wide one (3 vectors), and small odd ones */
    static const int shapes[][3] = {{512, 49, 600}, {100, 196, 300}, {64, 1000, 147},
                                    {13, 17, 5}, {7, 3, 1}, {50, 33, 257}};
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        const int *s = shapes[k];
        size_t n = (size_t)s[0] * s[1];
        float *a = malloc(n * 4), *b = malloc(n * 4);
        for (int ta = 0; ta <= 1; ta++) {
            gemm16_case(ta, s[0], s[1], s[2], 1, a);
            for (int t = 2; t <= 3; t++) {
                gemm16_case(ta, s[0], s[1], s[2], t, b);
                EXPECT(memcmp(a, b, n * 4) == 0);
            }
        }
        free(a), free(b);
    }
}

int main(void)
{
    RUN(direct_3x3_conv_matches_im2col_gemm_forward_and_backward);
    RUN(direct_3x3_conv_gives_the_same_bits_on_any_thread_count);
    if (pgc_cpu_has_avx512())
        RUN(pointwise_conv_matches_im2col_gemm_forward_and_backward_data);
    else
        printf("ok - pointwise conv matches im2col gemm forward and backward data # skipped: no AVX-512 here\n");
    if (pgc_cpu_has_avx512())
        RUN(direct_3x3_conv_16_lanes_give_the_8_lane_bits_forward_and_backward_data);
    else
        printf("ok - direct 3x3 conv 16 lanes give the 8 lane bits forward and backward data # skipped: no AVX-512 here\n");
    if (pgc_cpu_has_avx512())
        RUN(gemm_16_lanes_matches_openblas_on_any_thread_count);
    else
        printf("ok - gemm 16 lanes matches openblas on any thread count # skipped: no AVX-512 here\n");
    return check_done();
}
