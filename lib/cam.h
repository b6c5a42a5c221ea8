/* Class activation maps of one pyramid scale from its feature map A and the gradient
 * G = d y^c / d A of the class logit (format/network.md, section 4). Every method
 * works on (K, h, w) and gives one raw (unnormalised) h x w map; pgc-fuse resizes and
 * normalises. */
#ifndef PGC_CAM_H
#define PGC_CAM_H

#include <stddef.h>

#include "err.h"
#include "frame.h"

typedef enum {
    PGC_CAM_GRADCAM,   /* ReLU(sum_k alpha_k A_k), alpha_k = mean_ij G_k (Eq. 2)      */
    PGC_CAM_CAM,       /* sum_k w_k A_k, w_k = h w mean_ij G_k: no ReLU (Eq. 1)       */
    PGC_CAM_GRADCAMPP, /* Grad-CAM++ (Chattopadhay et al. 2018)                       */
    PGC_CAM_LAYERCAM,  /* ReLU(sum_k ReLU(G_k) * A_k) (Jiang et al. 2021)             */
    PGC_CAM_HIRESCAM,  /* ReLU(sum_k G_k * A_k) (Draelos and Carin 2020)              */
    PGC_CAM_NMETHODS
} pgc_cam_method;

/* The method called name ("gradcam", "cam", "gradcam++", "layercam", "hirescam"), or -1. */
int pgc_cam_method_parse(const char *name);
const char *pgc_cam_method_name(pgc_cam_method m);

/* out (h, w) from feat and grad, both (k, h, w). 0 or PGC_ENOMEM. */
int pgc_cam_compute(pgc_cam_method m, const float *feat, const float *grad, size_t k,
                    size_t h, size_t w, float *out, pgc_err *e);

/* Makes out, the `cam.sN` record, from a `feat.sN` record and its `grad.sN`: checks
 * dtype (f32), dims (`c y x`, equal), finite values; out inherits feat's metadata, with
 * `name: cam.sN`, `scale: N` and `method` set. frame names the frame in messages. */
int pgc_cam_record(pgc_record *out, const pgc_record *feat, const pgc_record *grad,
                   pgc_cam_method m, const char *frame, pgc_err *e);

/* Options of pgc_cam_frame. */
typedef struct {
    pgc_cam_method method;
    unsigned scales; /* bit p set: use scale p (1..31); 0: every scale the frame has */
    int keep;        /* keep the feat/grad records instead of dropping them */
} pgc_cam_opts;

/* Appends a `cam.sN` record to f for every chosen `feat.sN` (with its `grad.sN`) and
 * marks the consumed records dropped unless o->keep. A frame without any feat.sN is left
 * as it is; a chosen scale missing from a frame that has feature maps is an error.
 * Returns the number of maps made, or an error code. */
int pgc_cam_frame(pgc_frame *f, const pgc_cam_opts *o, pgc_err *e);

/* Parses "all" (0) or a list "1,4" into a bit set of scales 1..31. 0 or PGC_EINPUT. */
int pgc_scales_parse(const char *s, unsigned *set, pgc_err *e);
/* N of a record named prefix.sN ("feat.s3" -> 3), or 0 when r is not one (N in 1..31). */
int pgc_scale_of(const pgc_record *r, const char *prefix);

#endif
