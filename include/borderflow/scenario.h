/*
 * scenario.h - reading scenario files (INI, parsed by inih) into a
 * bf_model, with command-line overrides.
 *
 * Loading happens in stages, each of which can stop with a bf_error that
 * names the file (or "--set"), line, section, key, the bad value and what
 * was expected:
 *
 *   read file -> split into lines (reject NUL bytes and over-long lines)
 *     -> inih parses sections and key = value pairs
 *     -> overrides ("station.fl_check.servers=8") replace or add keys
 *     -> sections and keys are checked against the known ones
 *        (unknown ones get a "did you mean" suggestion)
 *     -> values are parsed (durations, rates, shares, distributions,
 *        routes) into the model -> bf_model_validate
 *
 * The sections and keys are listed in docs/scenario-reference.md.
 *
 * Memory: a bf_scenario owns its model, its copy of the file text and the
 * resolved parameter list; bf_scenario_destroy frees them all.
 */
#ifndef BORDERFLOW_SCENARIO_H
#define BORDERFLOW_SCENARIO_H

#include "borderflow/common.h"
#include "borderflow/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_scenario {
    bf_model *model;
    char *path;        /* as given, or the display name for strings */
    char *text;        /* the file's bytes, NUL-terminated */
    char *overrides;   /* the overrides, one "path=value" per line */
    char **param_keys; /* effective parameters, "station.fl_check.servers" */
    char **param_values;
    size_t n_params;
} bf_scenario;

/* Loads path with the overrides sets[0..n_sets-1] ("path=value").  The
 * model's name is the file name without directory and ".ini".
 * OUT: *out on BF_OK.  BF_EIO if the file cannot be read, BF_EINVAL for
 * bad content (err filled), BF_ENOMEM. */
bf_status bf_scenario_load(const char *path, const char *const *sets, size_t n_sets,
                           bf_scenario **out, bf_error *err);

/* Same, from text in memory; name is used in messages and as the model's
 * name. */
bf_status bf_scenario_parse(const char *text, size_t len, const char *name,
                            const char *const *sets, size_t n_sets,
                            bf_scenario **out, bf_error *err);

void bf_scenario_destroy(bf_scenario *s);

/* The value of an effective parameter ("simulation.seed"), or NULL. */
const char *bf_scenario_param(const bf_scenario *s, const char *key);

#ifdef __cplusplus
}
#endif
#endif
