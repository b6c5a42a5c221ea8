#include "device.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_device_default(void)
{
    const char *d = getenv("PGC_DEVICE");
    return d && *d ? d : "auto";
}

void cli_device_check(const char *name)
{
    if (strcmp(name, "auto") && strcmp(name, "cpu") && strcmp(name, "gpu"))
        cli_usage("--device (or $PGC_DEVICE) wants auto, cpu or gpu, not '%s'", name);
}

const pgc_nn_backend *cli_backend(const char *device)
{
    char why[512];
    const pgc_nn_backend *be = pgc_nn_backend_get(device, why, sizeof why);
    if (!be) cli_usage("--device wants auto, cpu or gpu, not '%s'", device);
    if (why[0]) cli_warn("%s; using the CPU", why);
    return be;
}
