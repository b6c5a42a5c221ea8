/* --device for the commands that run the network: one rule for pgc-infer and
 * pgc-train. */
#ifndef PGC_CLI_DEVICE_H
#define PGC_CLI_DEVICE_H

#include "../../lib/nn/backend.h"

/* The default device: $PGC_DEVICE when set, else "auto". */
const char *cli_device_default(void);
/* Exits 2 unless name is auto, cpu or gpu. */
void cli_device_check(const char *name);
/* The backend for the device. When a GPU was wanted and cannot be used, says why in
 * one line on stderr and returns the CPU backend. */
const pgc_nn_backend *cli_backend(const char *device);

#endif
