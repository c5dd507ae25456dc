/*
 * cmd_check.c - `borderflow check`: validate a scenario, print the resolved model.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/store.h"
#include "cli/cli.h"

/* ---- check ---------------------------------------------------------- */

static const char *const check_usage =
    "Usage: borderflow check SCENARIO [--set KEY=VALUE ...]\n"
    "\n"
    "Validate a scenario file and print the resolved model: classes with their\n"
    "arrival rates and routes (compiled into steps), stations with servers,\n"
    "service times and offered load, delays, and the run settings.\n"
    "\n"
    "Options:\n"
    "  -s, --set KEY=VALUE   override a scenario key, e.g. station.fl_check.servers=8,\n"
    "                        class.researcher.whitelisted=70%, simulation.seed=7\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 valid, 1 scenario file cannot be read, 2 bad command line,\n"
    "3 invalid scenario.\n";

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    cli_sets st = {0};
    int c;
    while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': cli_sets_add(&st, optarg); break;
        case 'h': fputs(check_usage, stdout); free(st.v); return 0;
        default: free(st.v); return cli_bad_option("check", argv, "s");
        }
    }
    if (optind + 1 != argc) {
        free(st.v);
        return cli_usage_error("check", optind >= argc ? "missing SCENARIO file"
                                                    : "expected exactly one SCENARIO file");
    }
    bf_error err;
    bf_scenario *sc = NULL;
    bf_status s = bf_scenario_load(argv[optind], st.v, st.n, &sc, &err);
    free(st.v);
    if (s != BF_OK)
        return cli_report(&err, s);
    char *text = NULL;
    if (bf_model_describe(sc->model, &text) != BF_OK) {
        bf_scenario_destroy(sc);
        fprintf(stderr, "borderflow: out of memory\n");
        return EXIT_RUN;
    }
    fputs(text, stdout);
    printf("\n%s: OK\n", argv[optind]);
    bf_free(text);
    bf_scenario_destroy(sc);
    return 0;
}

