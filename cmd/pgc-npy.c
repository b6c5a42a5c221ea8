/* pgc-npy: between the stream and NumPy. --export writes each record as a .npy file with
 * its metadata beside it; --import packs .npy files (and their .meta) into a stream.
 * Reads: a stream (export) or .npy files (import). Writes: files, or a stream. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/atomic_file.h"
#include "../lib/npy_export.h"
#include "../lib/npy_import.h"
#include "common/cli.h"

static const char help_head[] =
    "usage: pgc-npy --export DIR [--force] [STREAM]\n"
    "       pgc-npy --import FILE.npy...\n"
    "--export reads a stream (STREAM or stdin) and writes every record as\n"
    "DIR/<frame>.<name>.npy (format 1.0, little-endian, header padded to 64 bytes) and\n"
    "DIR/<frame>.<name>.meta (the record's metadata, `key: value` lines, after a\n"
    "'# dims: y x' line naming the dimensions). Characters of the frame id and the name\n"
    "other than A-Z a-z 0-9 . _ - become '_' (t1c:axial:70 -> t1c_axial_70; a long id is\n"
    "cut and gets a hash), as in pgc-render. DIR and its parents are made if missing;\n"
    "existing files are not overwritten unless --force.\n"
    "--import reads the .npy files (u1 u2 i2 i4 f4 f8, either byte order, C order, up to\n"
    "4 dims) and writes them as a stream on stdout, in the order given, each with the\n"
    "metadata of the .meta file beside it (FILE.meta for FILE.npy) when there is one.\n"
    "Without one, FILE <frame>.<name>.npy gives frame and name. Dimension names come from\n"
    "the '# dims:' line, else from the shape (box coord for n x 4 truth/boxes, y x, c y x).\n"
    "\n";
static const char help_tail[] =
    "\n"
    "Exit status: 0 success, 1 bad input (one line on stderr naming the file), 2 bad usage.\n";

/* Makes dir (when missing), then writes every record of the stream at input into it. */
static void export_stream(const char *dir, int force, const char *input)
{
    pgc_err de;
    if (pgc_output_dir(dir, &de)) cli_die(PGC_EINPUT, &de);
    pgc_reader *rd = cli_reader(input);
    pgc_record r = {0};
    static pgc_npy_export x; /* static: reachable when an error exits */
    x.dir = dir, x.force = force;
    pgc_err e;
    int rc;
    for (unsigned long n = 0; cli_next(rd, &r) == 1; n++)
        if ((rc = pgc_npy_export_record(&x, &r, n, &e))) cli_die(rc, &e);
    pgc_npy_export_free(&x);
    pgc_record_free(&r);
    pgc_reader_free(rd);
}

int main(int argc, char **argv)
{
    cli_init(argv[0]);
    const char *dir = NULL, *input = NULL;
    int force = 0, import = 0, nfiles = 0;
    const char **files = calloc((size_t)argc, sizeof *files);
    if (!files) cli_fail("out of memory");
    const cli_option opts[] = {
        {"--export", CLI_STRING, &dir, 0, 0, "DIR", "write the records of STREAM into DIR", NULL},
        {"--import", CLI_FLAG, &import, 0, 0, NULL, "pack the .npy files into a stream", NULL},
        {"--force", CLI_FLAG, &force, 0, 0, NULL, "overwrite existing files (export)", NULL},
    };
    cli_parse_files(argc, argv, opts, CLI_NOPTS(opts), help_head, help_tail, files, &nfiles);
    if (!!dir == import) cli_usage("give one of --export DIR or --import FILE...");
    if (dir) {
        if (nfiles > 1) cli_usage("--export reads one stream");
        input = nfiles ? files[0] : "-";
        export_stream(dir, force, input);
    } else {
        if (nfiles == 0) cli_usage("--import needs .npy files");
        pgc_writer *w = cli_writer();
        pgc_record r = {0};
        pgc_err e;
        int rc;
        for (int i = 0; i < nfiles; i++) {
            if ((rc = pgc_npy_import(files[i], &r, &e))) cli_die(rc, &e);
            cli_put(w, &r);
        }
        cli_close(w);
        pgc_record_free(&r);
    }
    free((void *)files);
    return CLI_OK;
}
