/* Inferno (van der Walt and Smith, matplotlib 1.5; CC0) sampled at 0, 0.1, ..., 1 and
 * interpolated linearly in sRGB between the samples: within a few levels of the full
 * 256-entry table, and it keeps inferno's monotone lightness. */
#include "colormap.h"

#include <math.h>

static const uint8_t inferno[11][3] = {
    {0, 0, 4},      {22, 11, 57},   {66, 10, 104},  {106, 23, 110},
    {147, 38, 103}, {188, 55, 84},  {221, 81, 58},  {243, 120, 25},
    {252, 165, 10}, {246, 215, 70}, {252, 255, 164},
};

void pgc_colormap(double v, uint8_t rgb[3])
{
    if (!(v > 0)) v = 0; // NaN too
    if (v > 1) v = 1;
    double s = v * 10;
    int i = (int)s;
    if (i > 9) i = 9;
    double t = s - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = (uint8_t)lround(inferno[i][k] + t * (inferno[i + 1][k] - inferno[i][k]));
}
