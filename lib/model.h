/* The model file (format/model.md): a network's architecture, parameters and running
 * statistics by name, optionally the optimiser's state (a checkpoint), and a checksum. */
#ifndef PGC_MODEL_H
#define PGC_MODEL_H

#include "err.h"
#include "nn/net.h"

#define PGC_MODEL_MAX_META (1u << 20)
#define PGC_MODEL_MAX_STEP (1ull << 40) /* Adam steps a file may claim */

#define PGC_CLASS_NAME_MAX 32

typedef struct {
    char arch[32];
    int width, h, w;   /* trained input size */
    int nclass;        /* classifier outputs; class 0 is none */
    char classes[PGC_MAX_CLASSES][PGC_CLASS_NAME_MAX]; /* their names (key `classes`) */
    long step;         /* Adam steps */
    int checkpoint;    /* Adam moments present */
    char *meta;        /* "key: value\n" lines, NUL-terminated (malloc'd; may be "") */
} pgc_model_info;

void pgc_model_info_free(pgc_model_info *mi);

/* Writes net to path atomically. h, w: the input size it was trained at. checkpoint:
 * add Adam's moments. meta: "key: value\n" lines or NULL. Refuses an existing path
 * unless replace. */
int pgc_model_save(const char *path, const pgc_net *net, int h, int w, int checkpoint,
                   const char *meta, int replace, pgc_err *e);

/* Reads a model or checkpoint and builds its network for batch n at input h x w (0, 0:
 * the trained size) on backend be. With a checkpoint, Adam's moments and step come
 * too. info (may be NULL) receives the header and metadata. */
int pgc_model_load(const char *path, const pgc_nn_backend *be, int n, int h, int w,
                   int threads, pgc_net **net, pgc_model_info *info, pgc_err *e);

/* Reads only the header and metadata. */
int pgc_model_peek(const char *path, pgc_model_info *info, pgc_err *e);

/* Index of a class by name, or -1. */
int pgc_model_class_index(const pgc_model_info *mi, const char *name);
/* The value of a metadata key ("key: value" line) into buf, or NULL. */
const char *pgc_model_meta(const pgc_model_info *mi, const char *key, char *buf, size_t n);

#endif
