/* lib/csv: the CSV conventions of pipelines/README.md. */
#include <stdlib.h>
#include <unistd.h>

#include "../../lib/csv.h"
#include "check.h"

static char tmp[] = "/tmp/pgc_csv_testXXXXXX";

static const char *write_tmp(const char *text)
{
    strcpy(tmp, "/tmp/pgc_csv_testXXXXXX");
    int fd = mkstemp(tmp);
    if (write(fd, text, strlen(text)) < 0) return NULL;
    close(fd);
    return tmp;
}

static void header_names_the_columns(void)
{
    const char s[] = "file,label,extra\na.png,tumour,1\nb.png,none,2\n";
    pgc_csv t;
    EXPECT(pgc_csv_parse(s, strlen(s), "s", &t, NULL) == PGC_OK);
    EXPECT(t.nrow == 2 && t.ncol == 3);
    EXPECT(pgc_csv_col(&t, "label") == 1 && pgc_csv_col(&t, "nope") == -1);
    EXPECT_STR(pgc_csv_get(&t, 1, 2), "2");
    pgc_csv_free(&t);
}

static void quotes_crlf_and_missing_final_newline_are_read(void)
{
    const char s[] = "a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n\r\nlast,\"\"";
    pgc_csv t;
    EXPECT(pgc_csv_parse(s, strlen(s), "s", &t, NULL) == PGC_OK);
    EXPECT(t.nrow == 2);
    EXPECT_STR(pgc_csv_get(&t, 0, 0), "x,y");
    EXPECT_STR(pgc_csv_get(&t, 0, 1), "say \"hi\"");
    EXPECT_STR(pgc_csv_get(&t, 1, 0), "last");
    EXPECT_STR(pgc_csv_get(&t, 1, 1), "");
    EXPECT(t.line[2] == 4);
    pgc_csv_free(&t);
}

static void a_short_row_is_an_error_with_its_line(void)
{
    const char s[] = "a,b\n1,2\n3\n";
    pgc_csv t;
    pgc_err e;
    EXPECT(pgc_csv_parse(s, strlen(s), "s.csv", &t, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'s.csv'") && strstr(e.msg, "line 3"));
}

static void unterminated_quote_and_binary_are_errors(void)
{
    pgc_csv t;
    EXPECT(pgc_csv_parse("a\n\"x\n", 5, "s", &t, NULL) == PGC_EINPUT);
    EXPECT(pgc_csv_parse("a\nx\0y\n", 6, "s", &t, NULL) == PGC_EINPUT);
    EXPECT(pgc_csv_parse("", 0, "s", &t, NULL) == PGC_EINPUT);
}

static void every_prefix_parses_or_fails_cleanly(void)
{
    const char s[] = "file,\"x0\",y0\n\"a\"\"b\",1,2\r\nc,3,\"4\"\n";
    int ok = 1;
    for (size_t n = 0; n <= strlen(s); n++) {
        pgc_csv t;
        int rc = pgc_csv_parse(s, n, "s", &t, NULL);
        if (rc == PGC_OK) pgc_csv_free(&t);
        else if (rc != PGC_EINPUT) ok = 0;
    }
    EXPECT(ok);
}

static void labels_are_found_by_basename(void)
{
    const char *p = write_tmp("file,label,tumour_type\nimages/0001.png,tumour,m\n0002.png,none,\n");
    pgc_labels l;
    pgc_err e;
    EXPECT(pgc_labels_load(p, &l, &e) == PGC_OK);
    EXPECT_STR(pgc_labels_find(&l, "/data/x/0001.png"), "tumour");
    EXPECT_STR(pgc_labels_find(&l, "0002.png"), "none");
    EXPECT(pgc_labels_find(&l, "0003.png") == NULL);
    pgc_labels_free(&l);
    remove(p);
}

static void a_label_other_than_tumour_or_none_is_an_error(void)
{
    const char *p = write_tmp("file,label\na.png,tumor\n");
    pgc_labels l;
    pgc_err e;
    EXPECT(pgc_labels_load(p, &l, &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "line 2") && strstr(e.msg, "tumor"));
    p = write_tmp("file,lab\na.png,none\n");
    EXPECT(pgc_labels_load(p, &l, &e) == PGC_EINPUT && strstr(e.msg, "'label'"));
    remove(p);
}

static void boxes_keep_every_row_of_a_file_in_order(void)
{
    const char *p = write_tmp("file,x0,y0,x1,y1,shape\nb.png,5,6,7,8,p\na.png,1,2,3,4,p\n"
                              "b.png,0,0,10,10,p\n");
    pgc_boxes b;
    pgc_err e;
    EXPECT(pgc_boxes_load(p, &b, &e) == PGC_OK);
    const float *v;
    EXPECT(pgc_boxes_find(&b, "dir/b.png", &v) == 2);
    EXPECT(v[0] == 5 && v[1] == 6 && v[2] == 7 && v[3] == 8 && v[4] == 0 && v[7] == 10);
    EXPECT(pgc_boxes_find(&b, "a.png", &v) == 1 && v[0] == 1 && v[3] == 4);
    EXPECT(pgc_boxes_find(&b, "c.png", &v) == 0);
    EXPECT(pgc_boxes_find(&b, "", &v) == 0);
    pgc_boxes_free(&b);
    remove(p);
}

static void empty_or_non_numeric_boxes_are_errors(void)
{
    pgc_boxes b;
    pgc_err e;
    const char *p = write_tmp("file,x0,y0,x1,y1\na.png,5,6,5,8\n");
    EXPECT(pgc_boxes_load(p, &b, &e) == PGC_EINPUT && strstr(e.msg, "empty box"));
    p = write_tmp("file,x0,y0,x1,y1\na.png,5,six,7,8\n");
    EXPECT(pgc_boxes_load(p, &b, &e) == PGC_EINPUT && strstr(e.msg, "y0 'six'"));
    p = write_tmp("file,x0,y0,x1,y1\na.png,5,nan,7,8\n");
    EXPECT(pgc_boxes_load(p, &b, &e) == PGC_EINPUT);
    p = write_tmp("file,x0,y0,x1,y1\n");
    EXPECT(pgc_boxes_load(p, &b, &e) == PGC_OK && b.n == 0);
    const float *v;
    EXPECT(pgc_boxes_find(&b, "a.png", &v) == 0);
    pgc_boxes_free(&b);
    remove(p);
}

int main(void)
{
    RUN(header_names_the_columns);
    RUN(quotes_crlf_and_missing_final_newline_are_read);
    RUN(a_short_row_is_an_error_with_its_line);
    RUN(unterminated_quote_and_binary_are_errors);
    RUN(every_prefix_parses_or_fails_cleanly);
    RUN(labels_are_found_by_basename);
    RUN(a_label_other_than_tumour_or_none_is_an_error);
    RUN(boxes_keep_every_row_of_a_file_in_order);
    RUN(empty_or_non_numeric_boxes_are_errors);
    return check_done();
}
