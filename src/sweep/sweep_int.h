/*
 * sweep_int.h - private to src/sweep: the sweep object behind the opaque
 * handle, shared by sweep.c (points and grids), exec.c (running) and
 * compare.c (paired comparisons).
 */
#ifndef BORDERFLOW_SWEEP_INT_H
#define BORDERFLOW_SWEEP_INT_H

#include "borderflow/sweep.h"

struct bf_sweep {
    bf_point *points;
    size_t n_points, cap_points;
    /* A grid (bf_sweep_set_grid): its keys, base and identity. */
    bool grid;
    bf_vary *varies;
    size_t n_varies;
    bf_scenario *base;     /* the scenario with the base --set only */
    char *base_overrides;  /* the base --set, one per line */
    char *definition;      /* "key=v1,v2\n" per varied key */
    char sweep_key[17];
};

/* The 64-bit number behind a 16-hex-digit key (0 if malformed). */
uint64_t bf__sweep_key_value(const char key[17]);

#endif
