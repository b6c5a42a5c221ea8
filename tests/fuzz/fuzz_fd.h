/* The readers take a file descriptor: each input is written into one memfd that the
 * process keeps (a temporary file an input was a create, write and unlink on disk). */
#ifndef FUZZ_FD_H
#define FUZZ_FD_H

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* A descriptor at offset 0 of a file holding exactly data, or -1. Not to be closed. */
static int fuzz_fd(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) fd = memfd_create("fuzz-input", 0);
    if (fd < 0 || ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size ||
        lseek(fd, 0, SEEK_SET))
        return -1;
    return fd;
}

#endif
