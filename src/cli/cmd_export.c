/*
 * cmd_export.c - `borderflow export`: results out of a store as TSV, CSV
 * or JSON, in long ("tidy") form, for R, Python or a spreadsheet.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "borderflow/report.h"
#include "cli/cli.h"

static const char *const export_usage =
    "Usage: borderflow export STORE [--what TABLE] [--run ID[,ID...] | --all]\n"
    "                         [--format tsv|csv|json] [--out FILE]\n"
    "\n"
    "Write results from a results store in long (tidy) form: one observation per\n"
    "row, and every row carries the run id, the scenario, the run's overrides and,\n"
    "when several runs are exported, one column per parameter whose value differs\n"
    "between them.  Columns are described in docs/export.md.\n"
    "\n"
    "Tables (--what):\n"
    "  summary        every metric's mean, sd and 95% confidence interval (default)\n"
    "  replications   every metric of every replication\n"
    "  timeseries     every sample (queue lengths, number present ...) of every\n"
    "                 completed replication\n"
    "  distributions  pooled histogram buckets (lo, hi, count, cumulative share)\n"
    "  parameters     the resolved scenario parameters of each run\n"
    "  runs           one row per run: provenance (default: every run)\n"
    "\n"
    "Options:\n"
    "  -w, --what TABLE        one of the tables above\n"
    "      --run ID[,ID...]    the runs: 3, 3,5 or 3-7 (default: the latest finished run)\n"
    "      --all               every run in the store\n"
    "  -f, --format FMT        tsv, csv or json (default: from the --out extension, else\n"
    "                          tsv).  TSV escapes tab, newline and backslash as \\t \\n \\\\;\n"
    "                          CSV quotes as RFC 4180; JSON is an array of objects, null\n"
    "                          for missing values\n"
    "  -o, --out FILE          write to FILE (default: standard output)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Examples:\n"
    "  borderflow export borderflow.db > summary.tsv\n"
    "  borderflow export borderflow.db --what replications --all --out reps.csv\n"
    "  borderflow export borderflow.db --what timeseries --run 2 --format json\n"
    "\n"
    "Exit status: 0 written; 1 the store cannot be read or is empty, or the output\n"
    "cannot be written; 2 bad command line, including a run the store does not have.\n";

static const char *ext_format(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot)
        return NULL;
    if (strcmp(dot, ".csv") == 0)
        return "csv";
    if (strcmp(dot, ".json") == 0)
        return "json";
    if (strcmp(dot, ".tsv") == 0 || strcmp(dot, ".txt") == 0)
        return "tsv";
    return NULL;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"what", required_argument, NULL, 'w'}, {"run", required_argument, NULL, 'R'},
        {"all", no_argument, NULL, 'a'},        {"format", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},  {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    bf_export_spec spec = {.what = BF_EXPORT_SUMMARY, .format = BF_EXPORT_TSV};
    const char *fmt = NULL, *out = NULL;
    bool all = false;
    int64_t *runs = NULL;
    size_t n_runs = 0;
    int c, code = 0;
    bf_report *r = NULL;
    FILE *f = NULL;
    char *part = NULL;
    while ((c = getopt_long(argc, argv, "w:f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (bf_export_what_parse(optarg, &spec.what) != 0) {
                static const char *const w[] = {"summary", "replications", "timeseries",
                                                "distributions", "parameters", "runs"};
                const char *best = bf_closest(optarg, w, 6);
                code = cli_usage_error("export", "unknown table '%s'%s%s%s (tables: summary, "
                                       "replications, timeseries, distributions, parameters, "
                                       "runs)",
                                       optarg, best ? "; did you mean '" : "", best ? best : "",
                                       best ? "'?" : "");
                goto done;
            }
            break;
        case 'R':
            if ((code = cli_parse_runs("export", optarg, &runs, &n_runs)) != 0)
                goto done;
            break;
        case 'a': all = true; break;
        case 'f': fmt = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(export_usage, stdout); goto done;
        default: code = cli_bad_option("export", argv, "wRfo"); goto done;
        }
    }
    if (optind >= argc) {
        code = cli_usage_error("export", "missing the results STORE (e.g. borderflow.db)");
        goto done;
    }
    if (optind + 1 != argc) {
        code = cli_usage_error("export", "expected one STORE, got '%s' too", argv[optind + 1]);
        goto done;
    }
    if (all && n_runs) {
        code = cli_usage_error("export", "--all and --run exclude each other");
        goto done;
    }
    if (!fmt)
        fmt = ext_format(out);
    if (fmt && bf_export_format_parse(fmt, &spec.format) != 0) {
        code = cli_usage_error("export", "--format must be tsv, csv or json, got '%s'", fmt);
        goto done;
    }

    bf_error err;
    bf_status st = bf_report_open(argv[optind], &r, &err);
    int64_t latest;
    if (st == BF_OK && !all && !n_runs && spec.what != BF_EXPORT_RUNS) {
        st = bf_report_latest_run(r, &latest, &err);
        spec.runs = &latest;
        spec.n_runs = 1;
    } else {
        spec.runs = runs;
        spec.n_runs = n_runs;
    }
    if (st != BF_OK) {
        code = cli_store_error("export", &err, st);
        goto done;
    }
    if (out) {
        /* Written beside the target and renamed when complete, so a
         * failed export leaves no half file behind. */
        size_t n = strlen(out) + 32;
        part = malloc(n);
        if (!part) {
            code = EXIT_RUN;
            goto done;
        }
        snprintf(part, n, "%s.part-%ld", out, (long)getpid());
        if (!(f = fopen(part, "w"))) {
            fprintf(stderr, "borderflow export: cannot write %s: %s\n", out, strerror(errno));
            code = EXIT_RUN;
            goto done;
        }
    }
    st = bf_report_export(r, &spec, f ? f : stdout, &err);
    if (f) {
        if (fclose(f) != 0 && st == BF_OK)
            st = bf_error_set(&err, BF_EIO, "cannot write %s: %s", out, strerror(errno));
        f = NULL;
        if (st == BF_OK && rename(part, out) != 0)
            st = bf_error_set(&err, BF_EIO, "cannot write %s: %s", out, strerror(errno));
        if (st != BF_OK)
            unlink(part);
    }
    if (st != BF_OK)
        code = cli_store_error("export", &err, st);
done:
    if (f)
        fclose(f);
    free(part);
    bf_report_close(r);
    free(runs);
    return code;
}
