/* libFuzzer target for the stream reader: any bytes must give records or a clean
 * error, never a crash, a hang or an allocation beyond the format's limits. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_fd.h"
#include "../../lib/frame.h"
#include "../../lib/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_fd(data, size);
    if (fd < 0) return 0;
    pgc_err e;
    pgc_reader *rd = pgc_reader_open(fd, "fuzz", &e);
    pgc_frame fr = {0};
    while (pgc_frame_read(rd, &fr, &e) == 1) {
        char buf[64];
        for (int i = 0; i < fr.n; i++) pgc_meta_get(&fr.rec[i], "name", buf, sizeof buf);
    }
    pgc_frame_free(&fr);
    pgc_reader_free(rd);
    return 0;
}
