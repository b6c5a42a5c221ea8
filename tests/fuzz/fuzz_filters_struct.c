/* libFuzzer target for the filters (filters_run.h), structure-aware: the mutator takes
 * the stream apart and changes it a record at a time (stream_mutator.h), so that most
 * runs get past the reader's checks and into the frame work. */
#include "filters_run.h"
#include "stream_mutator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run_filters(data, size);
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    return stream_mutate(data, size, max_size, seed, 2);
}
