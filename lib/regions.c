/* Flood fill with an explicit stack (no recursion, so a large region cannot overflow the
 * call stack). Each pixel is pushed at most once: it is marked seen when pushed. */
#include "regions.h"

#include <stdlib.h>
#include <string.h>

void pgc_regions_free(pgc_regions *r)
{
    free(r->reg);
    free(r->stack);
    free(r->seen);
    memset(r, 0, sizeof *r);
}

static int regions_room(pgc_regions *r, size_t npix, pgc_err *e)
{
    if (r->scratch < npix) {
        free(r->stack);
        free(r->seen);
        r->stack = malloc(npix * sizeof *r->stack);
        r->seen = malloc(npix);
        if (!r->stack || !r->seen) {
            free(r->stack), free(r->seen);
            r->stack = NULL, r->seen = NULL, r->scratch = 0;
            return pgc_errf(e, PGC_ENOMEM, "out of memory for regions of %zu pixels", npix);
        }
        r->scratch = npix;
    }
    memset(r->seen, 0, npix);
    return PGC_OK;
}

static int regions_push(pgc_regions *r, pgc_err *e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        pgc_region *p = realloc(r->reg, cap * sizeof *p);
        if (!p) return pgc_errf(e, PGC_ENOMEM, "out of memory for %zu regions", cap);
        r->reg = p, r->cap = cap;
    }
    r->n++;
    return PGC_OK;
}

int pgc_regions_find(pgc_regions *r, const uint8_t *mask, size_t h, size_t w, pgc_err *e)
{
    r->n = 0;
    if (h == 0 || w == 0) return PGC_OK;
    if (h > UINT32_MAX / w) return pgc_errf(e, PGC_EINPUT, "mask %zux%zu too large", h, w);
    size_t npix = h * w;
    int rc = regions_room(r, npix, e);
    if (rc) return rc;
    uint8_t *seen = r->seen;
    uint32_t *stack = r->stack;
    for (size_t start = 0; start < npix; start++) {
        if (!mask[start] || seen[start]) continue;
        if ((rc = regions_push(r, e))) return rc;
        pgc_region *g = &r->reg[r->n - 1];
        *g = (pgc_region){(uint32_t)(start % w), (uint32_t)(start / w), 0, 0, 0};
        g->x1 = g->x0 + 1, g->y1 = g->y0 + 1;
        size_t top = 0;
        stack[top++] = (uint32_t)start;
        seen[start] = 1;
        while (top) {
            size_t p = stack[--top], y = p / w, x = p % w;
            g->npix++;
            if (x < g->x0) g->x0 = (uint32_t)x;
            if (x >= g->x1) g->x1 = (uint32_t)x + 1;
            if (y >= g->y1) g->y1 = (uint32_t)y + 1; /* y0 is the start row: never less */
            size_t ya = y ? y - 1 : 0, yb = y + 1 < h ? y + 1 : h - 1;
            size_t xa = x ? x - 1 : 0, xb = x + 1 < w ? x + 1 : w - 1;
            for (size_t yy = ya; yy <= yb; yy++)
                for (size_t xx = xa; xx <= xb; xx++) {
                    size_t q = yy * w + xx;
                    if (mask[q] && !seen[q]) {
                        seen[q] = 1;
                        stack[top++] = (uint32_t)q;
                    }
                }
        }
    }
    return PGC_OK;
}
