/* libFuzzer target for what lies behind the reader, byte by byte: filters_run.h. */
#include "filters_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_filters(data, size);
    return 0;
}
