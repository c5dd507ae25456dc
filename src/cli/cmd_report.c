/*
 * cmd_report.c - `borderflow report`: a briefing folder (index.html,
 * summary.md, every chart as PNG and PDF, and the commands that reproduce
 * it) for one run of a results store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/report.h"
#include "cli/cli.h"

static const char *const report_usage =
    "Usage: borderflow report STORE --out DIR [--run ID] [--lang en|zh]\n"
    "\n"
    "Write a briefing folder for one run:\n"
    "  DIR/index.html        key tables (with 95% confidence intervals) and charts on\n"
    "                        one self-contained page (no network needed)\n"
    "  DIR/summary.md        the same in Markdown\n"
    "  DIR/charts/*.png,pdf  every chart the run supports (utilization, queues and\n"
    "                        numbers present by time of day, waiting and clearance\n"
    "                        time distributions; comparison and sweep when the run\n"
    "                        is part of one), with the gnuplot script and data of each\n"
    "  DIR/data/summary.tsv  every aggregate of the run\n"
    "Both pages end with the exact commands that reproduce the folder.\n"
    "\n"
    "Options:\n"
    "  -o, --out DIR       the folder (created if missing; files are replaced)\n"
    "      --run ID        the run (default: the latest finished run)\n"
    "      --lang LANG     en (default) or zh (Simplified Chinese; font Noto Sans CJK SC)\n"
    "      --font NAME     replace the charts' font\n"
    "  -h, --help          show this help\n"
    "\n"
    "Needs gnuplot (Debian: gnuplot-nox).  Environment: BORDERFLOW_GNUPLOT,\n"
    "BORDERFLOW_GNUPLOT_DIR, as for `borderflow plot`.\n"
    "\n"
    "Exit status: 0 written; 1 the store cannot be read or has no finished run,\n"
    "gnuplot missing or failed, a file cannot be written; 2 bad command line,\n"
    "including a run the store does not have.\n";

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},  {"run", required_argument, NULL, 'R'},
        {"lang", required_argument, NULL, 'L'}, {"font", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},       {0, 0, 0, 0}};
    const char *out = NULL;
    bf_briefing_spec spec = {.lang = "en"};
    int64_t *runs = NULL;
    size_t n_runs = 0;
    int c, code = 0;
    bf_report *r = NULL;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'R':
            if ((code = cli_parse_runs("report", optarg, &runs, &n_runs)) != 0)
                goto done;
            if (n_runs != 1) {
                code = cli_usage_error("report", "--run takes one run id, got '%s'", optarg);
                goto done;
            }
            spec.run = runs[0];
            break;
        case 'L':
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh") != 0) {
                code = cli_usage_error("report", "--lang must be en or zh, got '%s'", optarg);
                goto done;
            }
            spec.lang = optarg;
            break;
        case 'F': spec.font = optarg; break;
        case 'h': fputs(report_usage, stdout); goto done;
        default: code = cli_bad_option("report", argv, "oRLF"); goto done;
        }
    }
    if (optind >= argc) {
        code = cli_usage_error("report", "missing the results STORE (e.g. borderflow.db)");
        goto done;
    }
    if (optind + 1 != argc) {
        code = cli_usage_error("report", "expected one STORE, got '%s' too", argv[optind + 1]);
        goto done;
    }
    if (!out || !out[0]) {
        code = cli_usage_error("report", "missing --out DIR");
        goto done;
    }
    spec.store_arg = argv[optind];
    spec.command_line = cli_cmdline();
    spec.template_dir = cli_gnuplot_dir();
    spec.gnuplot = cli_gnuplot_program();

    bf_error err;
    bf_status st = bf_report_open(argv[optind], &r, &err);
    /* Fail before writing anything when gnuplot cannot be run. */
    if (st == BF_OK)
        st = bf_gnuplot_check(spec.gnuplot, &err);
    size_t n_charts = 0;
    if (st == BF_OK)
        st = bf_report_briefing(r, &spec, out, &n_charts, &err);
    if (st != BF_OK) {
        code = cli_store_error("report", &err, st);
        goto done;
    }
    fprintf(stderr, "borderflow: wrote %s/index.html, %s/summary.md and %zu charts (PNG and "
                    "PDF) in %s/charts\n",
            out, out, n_charts, out);
done:
    bf_report_close(r);
    free(runs);
    return code;
}
