/* Regressions from the hostile probe of issue 11 that live below the commands: each is
 * a row of its table, named by what lib/ does now. */
#include "check.h"

#include "../../lib/nn/net.h"

#include <stdlib.h>

static void a_nan_probability_makes_the_loss_nan_not_a_large_number(void)
{
    /* D4: the clamp log(max(p, 1e-300)) turned NaN into 690, hiding divergence */
    float z[4] = {NAN, 0, 1, 2};
    int lab[2] = {0, 1}, correct;
    EXPECT(isnan(pgc_softmax_xent(2, z, lab, NULL, NULL, &correct)));
    z[0] = 3;
    EXPECT(isfinite(pgc_softmax_xent(2, z, lab, NULL, NULL, &correct)));
    z[0] = 1e30f, z[1] = -1e30f; /* a certain miss is still clamped, not inf */
    lab[0] = 1;
    EXPECT(isfinite(pgc_softmax_xent(2, z, lab, NULL, NULL, &correct)));
}

static void parameters_are_counted_without_building_the_net(void)
{
    /* D7: what a model file's width implies is known before anything is allocated */
    size_t np, ns, np2, ns2;
    pgc_err e;
    EXPECT(pgc_net_count_params("dcfpn", 2, &np, &ns, &e) == 0);
    pgc_net *net;
    EXPECT(pgc_net_create(&net, pgc_nn_backend_cpu(), "dcfpn", 2, 1, 16, 16, 1, 1, &e) == 0);
    size_t cp = 0, cs = 0;
    for (int i = 0; i < net->npar; i++) *(net->par[i].stat ? &cs : &cp) += net->par[i].count;
    EXPECT(np == cp && ns == cs && np > 0 && ns > 0);
    pgc_net_free(net);
    EXPECT(pgc_net_count_params("dcfpn", 1024, &np2, &ns2, &e) == 0);
    EXPECT(np2 > 100000 * np); /* quadratic in the width */
    EXPECT(pgc_net_count_params("vgg", 2, &np, &ns, &e) == PGC_EINPUT);
}

int main(void)
{
    RUN(a_nan_probability_makes_the_loss_nan_not_a_large_number);
    RUN(parameters_are_counted_without_building_the_net);
    return check_done();
}
