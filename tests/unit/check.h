/* A tiny test harness: each behaviour is a function, named by a sentence.
 *   static void frames_keep_their_order(void) { EXPECT(x == 1); }
 *   int main(void) { RUN(frames_keep_their_order); return check_done(); }
 * Prints "ok - <name>" or "not ok - <name>" with the failed expectations. */
#ifndef PGC_CHECK_H
#define PGC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_now_failed, check_npass, check_nfail;

static void check_report(const char *file, int line, const char *what)
{
    printf("#   %s:%d: %s\n", file, line, what);
    check_now_failed = 1;
}

#define EXPECT(c) \
    do { if (!(c)) check_report(__FILE__, __LINE__, "expected " #c); } while (0)

#define EXPECT_NEAR(a, b, tol) \
    do { \
        double a_ = (a), b_ = (b); \
        if (!(fabs(a_ - b_) <= (tol))) { \
            char m_[256]; \
            snprintf(m_, sizeof m_, "expected %s (%.9g) near %s (%.9g) within %g", \
                     #a, a_, #b, b_, (double)(tol)); \
            check_report(__FILE__, __LINE__, m_); \
        } \
    } while (0)

#define EXPECT_STR(a, b) \
    do { \
        const char *a_ = (a), *b_ = (b); \
        if (!a_ || !b_ || strcmp(a_, b_)) { \
            char m_[512]; \
            snprintf(m_, sizeof m_, "expected %s (\"%s\") == \"%s\"", #a, a_ ? a_ : "(null)", \
                     b_ ? b_ : "(null)"); \
            check_report(__FILE__, __LINE__, m_); \
        } \
    } while (0)

/* Runs fn as one named behaviour: underscores in its name read as spaces. */
#define RUN(fn) check_run(#fn, fn)
static void check_run(const char *name, void (*fn)(void))
{
    char label[256];
    snprintf(label, sizeof label, "%s", name);
    for (char *p = label; *p; p++)
        if (*p == '_') *p = ' ';
    check_now_failed = 0;
    fn();
    printf("%s - %s\n", check_now_failed ? "not ok" : "ok", label);
    fflush(stdout);
    if (check_now_failed) check_nfail++; else check_npass++;
}

static int check_done(void) { return check_nfail ? 1 : 0; }

#endif
