/*
 * cmd_plot.c - `borderflow plot`: one chart out of a results store,
 * through gnuplot; or, with --script DIR, the gnuplot script and the data
 * it reads, for an analyst to adjust by hand.  Also the helpers the
 * store-reading commands (plot, report, export) share: run lists, the
 * gnuplot program and template folder, and exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "borderflow/report.h"
#include "borderflow/units.h"
#include "cli/cli.h"

#ifndef BF_GNUPLOT_DIR
#define BF_GNUPLOT_DIR "tools/gnuplot"
#endif
#ifndef BF_GNUPLOT_INSTALL_DIR
#define BF_GNUPLOT_INSTALL_DIR "/usr/local/share/borderflow/gnuplot"
#endif

/* ---- shared by plot, report, export ---------------------------------- */

int cli_store_error(const char *cmd, const bf_error *err, bf_status st)
{
    fprintf(stderr, "borderflow %s: %s\n", cmd, err->msg);
    /* A name the store does not have (run, metric, scope, class, varied
     * parameter) is a mistake on the command line: 2, like other usage
     * errors.  Everything else -- no store, an empty store, a chart the
     * store cannot make, gnuplot missing or failing -- is 1. */
    return st == BF_EINVAL ? EXIT_USAGE : EXIT_RUN;
}

int cli_parse_runs(const char *cmd, const char *arg, int64_t **v, size_t *n)
{
    const char *p = arg;
    while (*p) {
        char *end;
        errno = 0;
        long long a = strtoll(p, &end, 10), b;
        if (end == p || errno || a < 1)
            goto bad;
        b = a;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtoll(q, &end, 10);
            if (end == q || errno || b < a || b - a > 100000)
                goto bad;
        }
        if (*end && *end != ',')
            goto bad;
        for (long long x = a; x <= b; x++) {
            int64_t *w = realloc(*v, (*n + 1) * sizeof *w);
            if (!w) {
                fprintf(stderr, "borderflow: out of memory\n");
                return EXIT_RUN;
            }
            *v = w;
            w[(*n)++] = x;
        }
        p = *end ? end + 1 : end;
    }
    if (*n)
        return 0;
bad:
    return cli_usage_error(cmd, "--run needs run ids such as 3, 3,5 or 3-7, got '%s'", arg);
}

/* Splits "a,b,c" into list (pointers into s, which is modified). */
static bool split_list(char *s, cli_sets *list)
{
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
        if (*tok && !cli_sets_add(list, tok))
            return false;
    return true;
}

static bool has_common(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/common.gp", dir);
    return access(p, R_OK) == 0;
}

const char *cli_gnuplot_dir(void)
{
    /* 1. the environment; 2. beside an installed binary
     * (PREFIX/bin/borderflow -> PREFIX/share/borderflow/gnuplot); 3. the
     * source tree the binary was built from; 4. the configured install
     * prefix. */
    static char buf[PATH_MAX];
    const char *env = getenv("BORDERFLOW_GNUPLOT_DIR");
    if (env && env[0])
        return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            /* A path that does not fit is not where the templates are. */
            int w = snprintf(buf, sizeof buf, "%.*s/../share/borderflow/gnuplot",
                             (int)(sizeof buf - 32), exe);
            if (w > 0 && (size_t)w < sizeof buf && has_common(buf))
                return buf;
        }
    }
    if (has_common(BF_GNUPLOT_DIR))
        return BF_GNUPLOT_DIR;
    return BF_GNUPLOT_INSTALL_DIR;
}

const char *cli_gnuplot_program(void)
{
    const char *env = getenv("BORDERFLOW_GNUPLOT");
    return env && env[0] ? env : "gnuplot";
}

/* After a library error that may be a missing template: the hint. */
static void template_hint(const bf_error *err)
{
    if (strstr(err->msg, "chart template"))
        fprintf(stderr, "borderflow: the templates are looked for in %s; set "
                        "BORDERFLOW_GNUPLOT_DIR to the tools/gnuplot folder of the borderflow "
                        "sources\n",
                cli_gnuplot_dir());
}

/* ---- plot --------------------------------------------------------------- */

static const char *const plot_usage =
    "Usage: borderflow plot STORE --chart KIND --out FILE.{png,svg,pdf} [options]\n"
    "       borderflow plot STORE --chart KIND --script DIR [--out FILE]\n"
    "\n"
    "Draw a briefing chart from a results store with gnuplot.  The format follows\n"
    "the extension of --out (pngcairo, svg, pdfcairo).  Every chart has a title,\n"
    "axis labels with units, a legend, the Okabe-Ito colour-blind-safe palette\n"
    "and a footnote with scenario, run, replications, seed and version.\n"
    "\n"
    "Kinds:\n"
    "  timeseries   queue length (or number present, or in the system) by time of\n"
    "               day: mean across replications and days, 95% CI band\n"
    "  cdf          distribution of waiting times per class (or station, line, run)\n"
    "  utilization  utilization per station with its 95% CI, and its staffing\n"
    "  sweep        a metric against a parameter varied between runs, one curve per\n"
    "               class or station, 95% CI error bars, optional target line\n"
    "  compare      base against policy per class, bars with 95% CIs, labelled with\n"
    "               the paired difference\n"
    "\n"
    "Options:\n"
    "  -c, --chart KIND        the kind of chart (required)\n"
    "  -o, --out FILE          the chart: .png, .svg or .pdf\n"
    "      --run ID[,ID...]    the run(s): 3, 3,5 or 3-7 (default: the latest finished\n"
    "                          run; sweep: the latest sweep; compare: the latest\n"
    "                          comparison, or the latest run and the run before it)\n"
    "  -m, --metric NAME       what to draw (defaults: timeseries queue_length; cdf\n"
    "                          wait; sweep and compare wait_p95).  timeseries:\n"
    "                          queue_length, present, in_system.  cdf: wait,\n"
    "                          time_in_system, clearance, dwell.  sweep, compare: any\n"
    "                          metric of the store, e.g. wait_mean, utilization\n"
    "      --scope NAME[,...]  stations, delays, lines or classes to draw (default:\n"
    "                          per kind, e.g. one curve per class); 'system' for the\n"
    "                          whole system\n"
    "      --class NAME[,...]  classes at those scopes ('all': all classes together)\n"
    "      --sweep ID          sweep: the runs of this sweep (default: the latest)\n"
    "      --vary KEY          sweep: the parameter on the x axis, e.g.\n"
    "                          station.fl_check.servers (default: the one that varies)\n"
    "      --target VALUE      a target line: a duration (10min), a share (85%) or a\n"
    "                          number (queue length); cdf: a vertical line, with each\n"
    "                          curve's share within it in the legend\n"
    "      --absolute          timeseries: simulated days on the x axis, not time of day\n"
    "      --xmax DURATION     cdf: right end of the x axis (default: 1.5 x the largest\n"
    "                          p95, and past the target)\n"
    "      --lang LANG         en (default) or zh: titles, labels, legend and footnote\n"
    "                          in Simplified Chinese (needs the font Noto Sans CJK SC,\n"
    "                          Debian package fonts-noto-cjk)\n"
    "      --title TEXT        replace the title\n"
    "      --font NAME         replace the font (default DejaVu Sans; zh: Noto Sans CJK SC)\n"
    "      --script DIR        write DIR/NAME.gp and DIR/NAME.tsv (the data it reads), to\n"
    "                          adjust by hand and re-draw with: cd DIR && gnuplot NAME.gp.\n"
    "                          NAME is the --out file's name, else the kind.  Does not\n"
    "                          need gnuplot unless --out is given too\n"
    "  -h, --help              show this help\n"
    "\n"
    "Environment: BORDERFLOW_GNUPLOT (the gnuplot program, default gnuplot on PATH),\n"
    "BORDERFLOW_GNUPLOT_DIR (the chart templates, default tools/gnuplot).\n"
    "\n"
    "Examples:\n"
    "  borderflow plot borderflow.db --chart timeseries --out queue.png\n"
    "  borderflow plot borderflow.db --chart cdf --target 10min --out waits.pdf\n"
    "  borderflow plot borderflow.db --chart utilization --lang zh --out util-zh.png\n"
    "  borderflow plot borderflow.db --chart sweep --metric wait_p95 --scope fl_check \\\n"
    "      --target 10min --out sweep.svg\n"
    "  borderflow plot borderflow.db --chart compare --run 1,2 --out compare.png\n"
    "\n"
    "Exit status: 0 drawn; 1 the store cannot be read or cannot make this chart (no\n"
    "runs, a sweep of one run ...), gnuplot missing or failed; 2 bad command line,\n"
    "including a run, metric, scope or class the store does not have.\n";

/* The file name without folders and extension: "out/queue.png" -> "queue". */
static void stem(const char *path, char *buf, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(buf, len, "%s", base);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf)
        *dot = 0;
}

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"chart", required_argument, NULL, 'c'}, {"out", required_argument, NULL, 'o'},
        {"run", required_argument, NULL, 'R'},   {"metric", required_argument, NULL, 'm'},
        {"scope", required_argument, NULL, 'S'}, {"class", required_argument, NULL, 'C'},
        {"vary", required_argument, NULL, 'v'},  {"target", required_argument, NULL, 't'},
        {"absolute", no_argument, NULL, 'A'},    {"xmax", required_argument, NULL, 'x'},
        {"lang", required_argument, NULL, 'L'},  {"title", required_argument, NULL, 'T'},
        {"font", required_argument, NULL, 'F'},  {"script", required_argument, NULL, 'D'},
        {"sweep", required_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    bf_chart_spec spec = {.lang = "en"};
    bool have_kind = false;
    const char *out = NULL, *script = NULL;
    int64_t *runs = NULL;
    size_t n_runs = 0;
    cli_sets scopes = {0}, classes = {0};
    char *owned[64];
    size_t n_owned = 0;
    int c, code = 0;
    bf_report *r = NULL;
    bf_chart *chart = NULL;
    while ((c = getopt_long(argc, argv, "c:o:m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (bf_chart_kind_parse(optarg, &spec.kind) != 0) {
                static const char *const kinds[] = {"timeseries", "cdf", "utilization", "sweep",
                                                    "compare"};
                const char *best = bf_closest(optarg, kinds, 5);
                code = cli_usage_error("plot", "unknown chart kind '%s'%s%s%s (kinds: "
                                       "timeseries, cdf, utilization, sweep, compare)",
                                       optarg, best ? "; did you mean '" : "", best ? best : "",
                                       best ? "'?" : "");
                goto done;
            }
            have_kind = true;
            break;
        case 'o': out = optarg; break;
        case 'R':
            if ((code = cli_parse_runs("plot", optarg, &runs, &n_runs)) != 0)
                goto done;
            break;
        case 'm': spec.metric = optarg; break;
        case 'S':
        case 'C': {
            if (n_owned == 64 || !(owned[n_owned] = strdup(optarg))) {
                code = cli_usage_error("plot", "too many --scope / --class options");
                goto done;
            }
            if (!split_list(owned[n_owned++], c == 'S' ? &scopes : &classes)) {
                code = EXIT_RUN;
                goto done;
            }
            break;
        }
        case 'v': spec.vary = optarg; break;
        case 'W': {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || *end || v < 1) {
                code = cli_usage_error("plot", "--sweep needs a sweep id such as 1, got '%s'",
                                       optarg);
                goto done;
            }
            spec.sweep = v;
            break;
        }
        case 't': spec.target = optarg; break;
        case 'A': spec.absolute = true; break;
        case 'x': {
            char why[128];
            if (bf_parse_duration(optarg, &spec.x_max, why, sizeof why) != BF_OK ||
                !(spec.x_max > 0)) {
                code = cli_usage_error("plot", "--xmax needs a positive duration such as "
                                       "30min, got '%s'", optarg);
                goto done;
            }
            break;
        }
        case 'L':
            if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh") != 0) {
                code = cli_usage_error("plot", "--lang must be en or zh, got '%s'", optarg);
                goto done;
            }
            spec.lang = optarg;
            break;
        case 'T': spec.title = optarg; break;
        case 'F': spec.font = optarg; break;
        case 'D': script = optarg; break;
        case 'h': fputs(plot_usage, stdout); goto done;
        default: code = cli_bad_option("plot", argv, "comRSCvtxLTFDW"); goto done;
        }
    }
    if (optind >= argc) {
        code = cli_usage_error("plot", "missing the results STORE (e.g. borderflow.db)");
        goto done;
    }
    if (optind + 1 != argc) {
        code = cli_usage_error("plot", "expected one STORE, got '%s' too", argv[optind + 1]);
        goto done;
    }
    if (!have_kind) {
        code = cli_usage_error("plot", "missing --chart KIND (timeseries, cdf, utilization, "
                               "sweep or compare)");
        goto done;
    }
    if (!out && !script) {
        code = cli_usage_error("plot", "missing --out FILE.png|svg|pdf (or --script DIR)");
        goto done;
    }
    if (out && !bf_chart_format_of(out)) {
        code = cli_usage_error("plot", "--out must end in .png, .svg or .pdf, got '%s'", out);
        goto done;
    }
    spec.runs = runs;
    spec.n_runs = n_runs;
    spec.scopes = scopes.v;
    spec.n_scopes = scopes.n;
    spec.classes = classes.v;
    spec.n_classes = classes.n;

    bf_error err;
    bf_status st = bf_report_open(argv[optind], &r, &err);
    if (st == BF_OK)
        st = bf_chart_build(r, &spec, &chart, &err);
    if (st != BF_OK) {
        code = cli_store_error("plot", &err, st);
        goto done;
    }
    const char *dir = cli_gnuplot_dir();
    if (script) {
        if (mkdir(script, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "borderflow plot: cannot create %s: %s\n", script, strerror(errno));
            code = EXIT_RUN;
            goto done;
        }
        char name[256], target[300];
        if (out)
            stem(out, name, sizeof name);
        else
            snprintf(name, sizeof name, "%s", bf_chart_kind_name(spec.kind));
        snprintf(target, sizeof target, "%s.%s", name, out ? bf_chart_format_of(out) : "png");
        st = bf_chart_write_script(chart, dir, script, name, target, &err);
        if (st != BF_OK) {
            code = cli_store_error("plot", &err, st);
            template_hint(&err);
            goto done;
        }
        fprintf(stderr, "borderflow: wrote %s/%s.gp and %s/%s.tsv; draw with: cd %s && gnuplot "
                        "%s.gp\n",
                script, name, script, name, script, name);
    }
    if (out) {
        st = bf_chart_render(chart, dir, cli_gnuplot_program(), out, &err);
        if (st != BF_OK) {
            code = cli_store_error("plot", &err, st);
            template_hint(&err);
            goto done;
        }
        fprintf(stderr, "borderflow: wrote %s (%zu series, %zu data rows)\n", out,
                bf_chart_n_series(chart), bf_chart_n_rows(chart));
    }
done:
    bf_chart_destroy(chart);
    bf_report_close(r);
    free(runs);
    free(scopes.v);
    free(classes.v);
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    return code;
}
