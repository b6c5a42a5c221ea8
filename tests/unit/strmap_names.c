/* lib/strmap: the one string table behind frame ids and written file names. */
#include <stdio.h>
#include <string.h>

#include "../../lib/frame.h"
#include "../../lib/strmap.h"
#include "check.h"

static void a_key_added_is_found_with_its_value_and_others_are_not(void)
{
    pgc_strmap m = {0};
    const char *v = NULL;
    EXPECT(!pgc_strmap_get(&m, "a", &v)); /* an empty map has no table yet */
    EXPECT(pgc_strmap_add(&m, "a", "x", NULL) == PGC_OK);
    EXPECT(pgc_strmap_add(&m, "b", NULL, NULL) == PGC_OK);
    EXPECT(pgc_strmap_get(&m, "a", &v) && !strcmp(v, "x"));
    EXPECT(pgc_strmap_get(&m, "b", &v) && v == NULL);
    EXPECT(!pgc_strmap_get(&m, "c", NULL));
    EXPECT(!pgc_strmap_get(&m, "", NULL));
    pgc_strmap_free(&m);
    EXPECT(m.n == 0 && m.cap == 0);
}

static void ten_thousand_keys_survive_the_table_growing(void)
{
    pgc_strmap m = {0};
    char k[32], v[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof k, "key%d", i), snprintf(v, sizeof v, "%d", 3 * i);
        EXPECT(pgc_strmap_add(&m, k, v, NULL) == PGC_OK);
    }
    int ok = m.n == 10000 && 2 * m.n <= m.cap;
    for (int i = 0; i < 10000; i++) {
        const char *got = NULL;
        snprintf(k, sizeof k, "key%d", i), snprintf(v, sizeof v, "%d", 3 * i);
        ok &= pgc_strmap_get(&m, k, &got) && !strcmp(got, v);
    }
    EXPECT(ok);
    pgc_strmap_free(&m);
}

static void a_file_name_claimed_twice_names_both_frames(void)
{
    pgc_names n = {0};
    pgc_err e;
    EXPECT(pgc_names_claim(&n, "t1c_axial_7.png", "t1c:axial:7", &e) == PGC_OK);
    EXPECT(pgc_names_claim(&n, "t1c_axial_7.png", "t1c_axial_7", &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "'t1c:axial:7' and 't1c_axial_7'") != NULL);
    EXPECT(pgc_names_claim(&n, "t1c_axial_7.png", "t1c:axial:7", &e) == PGC_EINPUT);
    EXPECT(strstr(e.msg, "twice") != NULL);
    pgc_names_free(&n);
}

int main(void)
{
    RUN(a_key_added_is_found_with_its_value_and_others_are_not);
    RUN(ten_thousand_keys_survive_the_table_growing);
    RUN(a_file_name_claimed_twice_names_both_frames);
    return check_done();
}
