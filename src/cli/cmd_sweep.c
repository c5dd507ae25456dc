/*
 * cmd_sweep.c - `borderflow sweep`: a grid of parameter points, each with
 * its replications, run on a pool of threads into a store, resumably;
 * and the helpers run, sweep and compare share (progress, option
 * values).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "borderflow/runner.h"
#include "borderflow/store.h"
#include "borderflow/sweep.h"
#include "borderflow/units.h"
#include "cli/cli.h"
#include "cli/output.h"

/* ---- shared helpers ----------------------------------------------------- */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const char *unit, bool quiet)
{
    memset(p, 0, sizeof *p);
    p->unit = unit;
    p->quiet = quiet;
    p->tty = isatty(2);
    p->last_tenth = -1;
}

static void hms(double s, char *buf, size_t len)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, len, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%02ld:%02ld", t / 60, t % 60);
}

void cli_progress_update(void *ctx, const bf_sweep_progress *pr)
{
    cli_progress *p = ctx;
    if (p->quiet || pr->total == 0 || pr->done == 0)
        return;
    double t = mono_s();
    char el[16], eta[16];
    hms(pr->elapsed_s, el, sizeof el);
    hms(pr->eta_s, eta, sizeof eta);
    bool last = pr->done >= pr->total;
    if (p->tty) {
        /* Redraw at most ten times a second, and always the last state. */
        if (!last && p->drawn && t - p->last < 0.1)
            return;
        int width = 24, fill = (int)((double)width * (double)pr->done / (double)pr->total);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\r  [%s] %zu/%zu %s  %s elapsed  ETA %s \033[K", bar, pr->done,
                pr->total, p->unit, el, eta);
        p->drawn = true;
    } else {
        /* A log file gets a line per tenth of the work, or every 30 s. */
        int tenth = (int)(10.0 * (double)pr->done / (double)pr->total);
        if (!last && tenth == p->last_tenth && t - p->last < 30.0)
            return;
        if (last && p->last_tenth == 10)
            return;
        fprintf(stderr, "borderflow: %zu/%zu %s done, %s elapsed, ETA %s\n", pr->done,
                pr->total, p->unit, el, last ? "00:00" : eta);
        p->last_tenth = last ? 10 : tenth;
    }
    p->last = t;
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->tty && p->drawn)
        fputc('\n', stderr);
    p->drawn = false;
}

int cli_parse_percent(const char *cmd, const char *opt, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    bool pct = *end == '%';
    if (pct)
        end++;
    if (end == arg || *end || errno || !isfinite(v) || v <= 0 || (pct ? v >= 100 : v >= 1))
        return cli_usage_error(cmd, "%s needs a percentage above 0 and below 100, e.g. "
                               "%s 5%%; got '%s'", opt, opt, arg);
    *out = pct ? v / 100.0 : v;
    return 0;
}

int cli_parse_floor(const char *cmd, const char *arg, double *out)
{
    char why[160];
    double v;
    if (bf_parse_duration(arg, &v, why, sizeof why) != BF_OK || !(v >= 0))
        return cli_usage_error(cmd, "--precision-floor needs a duration such as 1s or 0.5min "
                               "(0s: none), got '%s'", arg);
    *out = v;
    return 0;
}

int cli_parse_long(const char *cmd, const char *opt, const char *arg, long lo, long hi,
                   long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno || v < lo || v > hi)
        return cli_usage_error(cmd, "%s needs a whole number from %ld to %ld, got '%s'", opt,
                               lo, hi, arg);
    *out = v;
    return 0;
}

/* ---- sweep ---------------------------------------------------------------- */

static const char *const sweep_usage =
    "Usage: borderflow sweep SCENARIO [--vary KEY=VALUES ...] [options]\n"
    "\n"
    "Run every point of a parameter grid (the Cartesian product of the varied keys'\n"
    "values), each with its replications, on a pool of threads, into a results store.\n"
    "Resumable: run the same command again and only the missing runs are done.\n"
    "\n"
    "  --vary KEY=VALUES       vary a scenario key (any key --set accepts); repeatable.\n"
    "                          VALUES: a list 4,6,8 or 30%,50%,70%; a range FROM:TO:STEP\n"
    "                          (4:12:2, 30%:70%:20%); or both (2:6:2,10).  Adds to, or\n"
    "                          replaces, the keys of the scenario's [sweep] section\n"
    "  -s, --set KEY=VALUE     override a scenario key in every point (repeatable)\n"
    "  -r, --replications N    replications per point (default: the scenario's)\n"
    "      --seed N            base seed (same as --set simulation.seed=N)\n"
    "      --precision P%      add replications to each point until the 95% CI half-width\n"
    "                          of the key metrics is within P% of their mean\n"
    "      --precision-metric SELECTORS\n"
    "                          the key metrics (default: class.*.time_in_system_mean,\n"
    "                          station.*.wait_mean), e.g. station.sl_check.wait_p95\n"
    "      --max-replications N  cap for --precision (default 200)\n"
    "      --precision-floor D a half-width within which a time is precise enough\n"
    "                          whatever its mean (default 1s; 0s: none), so that waits\n"
    "                          that are nearly always zero do not need thousands of runs\n"
    "      --shard K/N         run only shard K of N (stable: see docs/sweeps.md); merge\n"
    "                          the shards' stores with borderflow merge\n"
    "  -j, --jobs N            worker threads (default: number of CPUs); results do not\n"
    "                          depend on it\n"
    "      --db FILE           results store (default: borderflow.db)\n"
    "      --series            also store every replication's time series (queue lengths,\n"
    "                          number in the zone ...); off by default in a sweep, as they\n"
    "                          are large: about 15,000 rows a replication for the baseline\n"
    "      --dry-run           list the points (and this shard's runs), run nothing\n"
    "  -f, --format FMT        the points table: table (default), tsv, csv or json\n"
    "  -q, --quiet             no progress on stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Example:\n"
    "  borderflow sweep scenarios/hetao-baseline.ini \\\n"
    "      --vary stations.fl_check.servers=3:6:1 \\\n"
    "      --vary classes.researcher.whitelisted=30%,70% \\\n"
    "      -r 10 --db sweep.db\n"
    "Per-point aggregates: the view v_sweep_points, or borderflow export.  More in\n"
    "docs/sweeps.md.\n"
    "\n"
    "Exit status: 0 done, 1 run or store failure, 2 bad command line, 3 invalid\n"
    "scenario, --set or --vary, 130 interrupted (finished runs stay stored; run the\n"
    "same command again to complete the sweep).\n";

typedef enum { OPT_SEED = 256, OPT_DB, OPT_NO_SERIES, OPT_SERIES, OPT_PRECISION, OPT_PMETRIC,
               OPT_MAXREP, OPT_SHARD, OPT_VARY, OPT_DRY, OPT_FLOOR } sweep_opt;

static void print_sep(FILE *f, out_format fmt, bool first)
{
    if (!first)
        fputc(fmt == OUT_TSV ? '\t' : ',', f);
}

/* The value of varied key `key` at point p, from its label. */
static const char *point_value(const bf_point *p, const char *key, char *buf, size_t len)
{
    buf[0] = 0;
    const char *v = bf_scenario_param(p->sc, key);
    snprintf(buf, len, "%s", v ? v : "");
    return buf;
}

static void print_points(FILE *f, out_format fmt, const bf_sweep *sw,
                         const bf_sweep_report *rep, bool precision, bool dry,
                         int shard_k, int shard_n, int reps)
{
    size_t nv;
    const bf_vary *vs = bf_sweep_varies(sw, &nv);
    size_t n = bf_sweep_n_points(sw);
    char buf[256];
    if (fmt == OUT_JSON) {
        fprintf(f, "{\"sweep_key\": \"%s\", \"points\": [", bf_sweep_key(sw));
        for (size_t i = 0; i < n; i++) {
            const bf_point *p = bf_sweep_point(sw, i);
            fprintf(f, "%s\n  {\"point\": %zu, \"point_key\": \"%s\", \"values\": {", i ? "," : "",
                    i + 1, p->point_key);
            for (size_t k = 0; k < nv; k++) {
                fprintf(f, "%s", k ? ", " : "");
                out_json_str(f, vs[k].key);
                fputs(": ", f);
                out_json_str(f, point_value(p, vs[k].key, buf, sizeof buf));
            }
            fputc('}', f);
            if (rep) {
                const bf_point_result *r = &rep->points[i];
                fprintf(f, ", \"run_id\": %lld, \"replications\": %d, \"target\": %d, "
                           "\"ran\": %d, \"status\": ",
                        (long long)r->run_id, r->stored, r->target, r->ran);
                out_json_str(f, r->status[0] ? r->status : "none");
                if (precision)
                    fprintf(f, ", \"needed\": %d, \"precise\": %s", r->needed,
                            r->precise ? "true" : "false");
            }
            fputc('}', f);
        }
        fputs("\n]}\n", f);
        return;
    }
    if (fmt == OUT_TABLE) {
        fprintf(f, "  %5s", "point");
        if (!dry)
            fprintf(f, " %5s", "run");
        for (size_t k = 0; k < nv; k++)
            fprintf(f, "  %-*s", (int)(strlen(vs[k].key) > 12 ? strlen(vs[k].key) : 12),
                    vs[k].key);
        if (dry)
            fprintf(f, "  %s", shard_n > 1 ? "runs in this shard" : "runs");
        else
            fprintf(f, "  %12s  %-8s%s", "replications", "status",
                    precision ? "  needed  precise" : "");
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
            const bf_point *p = bf_sweep_point(sw, i);
            fprintf(f, "  %5zu", i + 1);
            if (!dry) {
                if (rep->points[i].run_id)
                    fprintf(f, " %5lld", (long long)rep->points[i].run_id);
                else
                    fprintf(f, " %5s", "-");
            }
            for (size_t k = 0; k < nv; k++)
                fprintf(f, "  %-*s", (int)(strlen(vs[k].key) > 12 ? strlen(vs[k].key) : 12),
                        point_value(p, vs[k].key, buf, sizeof buf));
            if (dry) {
                int r = reps > 0 ? reps : p->sc->model->replications, c = 0;
                for (int j = 0; j < r; j++)
                    c += shard_n <= 1 || bf_shard_of_unit(p->point_key, j, shard_n) == shard_k - 1;
                fprintf(f, "  %d", c);
            } else {
                const bf_point_result *r = &rep->points[i];
                char cnt[32];
                snprintf(cnt, sizeof cnt, "%d/%d", r->stored, r->target);
                fprintf(f, "  %12s  %-8s", r->run_id ? cnt : "-",
                        r->status[0] ? r->status : "other shard");
                if (precision && r->needed >= 0)
                    fprintf(f, "  %6d  %-7s", r->needed, r->precise ? "yes" : "no (cap)");
            }
            fputc('\n', f);
        }
        return;
    }
    /* tsv / csv */
    out_field(f, fmt, "point");
    print_sep(f, fmt, false);
    out_field(f, fmt, "point_key");
    for (size_t k = 0; k < nv; k++) {
        print_sep(f, fmt, false);
        out_field(f, fmt, vs[k].key);
    }
    if (rep)
        fputs(fmt == OUT_TSV ? "\trun_id\treplications\ttarget\tran\tstatus"
                             : ",run_id,replications,target,ran,status", f);
    if (rep && precision)
        fputs(fmt == OUT_TSV ? "\tneeded\tprecise" : ",needed,precise", f);
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const bf_point *p = bf_sweep_point(sw, i);
        fprintf(f, "%zu", i + 1);
        print_sep(f, fmt, false);
        fputs(p->point_key, f);
        for (size_t k = 0; k < nv; k++) {
            print_sep(f, fmt, false);
            out_field(f, fmt, point_value(p, vs[k].key, buf, sizeof buf));
        }
        if (rep) {
            const bf_point_result *r = &rep->points[i];
            char sep = fmt == OUT_TSV ? '\t' : ',';
            fprintf(f, "%c%lld%c%d%c%d%c%d%c%s", sep, (long long)r->run_id, sep, r->stored, sep,
                    r->target, sep, r->ran, sep, r->status[0] ? r->status : "none");
            if (precision)
                fprintf(f, "%c%d%c%d", sep, r->needed, sep, r->precise ? 1 : 0);
        }
        fputc('\n', f);
    }
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"vary", required_argument, NULL, OPT_VARY},
        {"set", required_argument, NULL, 's'},
        {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"precision-metric", required_argument, NULL, OPT_PMETRIC},
        {"max-replications", required_argument, NULL, OPT_MAXREP},
        {"precision-floor", required_argument, NULL, OPT_FLOOR},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, OPT_DB},
        {"no-series", no_argument, NULL, OPT_NO_SERIES},
        {"series", no_argument, NULL, OPT_SERIES},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    cli_sets sets = {0};
    cli_sets varies_arg = {0};
    char *owned[2] = {NULL, NULL};
    const char *db = "borderflow.db", *pmetric = NULL;
    bool quiet = false, series = false, dry = false;
    long jobs = 0, maxrep = 0, reps = 0;
    int shard_k = 0, shard_n = 0;
    double precision = 0, floor_s = 1.0;
    bool floor_given = false;
    out_format fmt = OUT_TABLE;
    int c, code = 0;
    bf_vary *vs = NULL;
    size_t n_vs = 0;
    bf_sweep *sw = NULL;
    bf_store *store = NULL;
    bf_sweep_report *rep = NULL;
    bf_error err;
    bf_error_clear(&err);
    while ((c = getopt_long(argc, argv, "s:r:j:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': cli_sets_add(&sets, optarg); break;
        case OPT_VARY: cli_sets_add(&varies_arg, optarg); break;
        case 'r':
        case OPT_SEED: {
            if (c == 'r' && (code = cli_parse_long("sweep", "--replications", optarg, 1, 1000000,
                                                   &reps)))
                goto done;
            size_t n = strlen(optarg) + 32;
            char *o = malloc(n);
            if (!o) {
                code = EXIT_RUN;
                goto done;
            }
            snprintf(o, n, "simulation.%s=%s", c == 'r' ? "replications" : "seed", optarg);
            free(owned[c == 'r' ? 0 : 1]);
            owned[c == 'r' ? 0 : 1] = o;
            break;
        }
        case OPT_PRECISION:
            if ((code = cli_parse_percent("sweep", "--precision", optarg, &precision)))
                goto done;
            break;
        case OPT_PMETRIC: pmetric = optarg; break;
        case OPT_MAXREP:
            if ((code = cli_parse_long("sweep", "--max-replications", optarg, 2, 1000000, &maxrep)))
                goto done;
            break;
        case OPT_FLOOR:
            if ((code = cli_parse_floor("sweep", optarg, &floor_s)))
                goto done;
            floor_given = true;
            break;
        case OPT_SHARD:
            if (bf_shard_parse(optarg, &shard_k, &shard_n, &err) != BF_OK) {
                code = cli_usage_error("sweep", "%s", err.msg);
                goto done;
            }
            break;
        case 'j':
            if ((code = cli_parse_long("sweep", "--jobs", optarg, 1, 1024, &jobs)))
                goto done;
            break;
        case OPT_DB:
            if (!optarg[0] || strcmp(optarg, ":memory:") == 0) {
                code = cli_usage_error("sweep", "--db needs a file name");
                goto done;
            }
            db = optarg;
            break;
        case OPT_NO_SERIES: series = false; break;
        case OPT_SERIES: series = true; break;
        case OPT_DRY: dry = true; break;
        case 'f':
            if (out_parse_format(optarg, &fmt) != 0) {
                code = cli_usage_error("sweep",
                                       "--format must be table, tsv, csv or json, got '%s'", optarg);
                goto done;
            }
            break;
        case 'q': quiet = true; break;
        case 'h': fputs(sweep_usage, stdout); goto done;
        default: code = cli_bad_option("sweep", argv, "srjf"); goto done;
        }
    }
    if (optind + 1 != argc) {
        code = cli_usage_error("sweep", optind >= argc ? "missing SCENARIO file"
                                                       : "expected exactly one SCENARIO file");
        goto done;
    }
    if (pmetric && precision <= 0) {
        code = cli_usage_error("sweep", "--precision-metric needs --precision");
        goto done;
    }
    if ((maxrep || floor_given) && precision <= 0) {
        code = cli_usage_error("sweep", "%s needs --precision",
                               maxrep ? "--max-replications" : "--precision-floor");
        goto done;
    }
    for (int i = 0; i < 2; i++)
        if (owned[i])
            cli_sets_add(&sets, owned[i]);

    /* The --vary options, then the grid: every error in them or in the
     * scenario is reported before anything is run. */
    vs = calloc(varies_arg.n ? varies_arg.n : 1, sizeof *vs);
    if (!vs) {
        code = EXIT_RUN;
        goto done;
    }
    for (size_t i = 0; i < varies_arg.n; i++) {
        bf_status s = bf_vary_parse(varies_arg.v[i], "--vary", 0, &vs[i], &err);
        n_vs = i + 1;
        if (s != BF_OK) {
            code = cli_report(&err, s);
            goto done;
        }
    }
    if (bf_sweep_create(&sw) != BF_OK) {
        code = EXIT_RUN;
        goto done;
    }
    bf_status s = bf_sweep_set_grid(sw, argv[optind], sets.v, sets.n, vs, n_vs, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        goto done;
    }
    size_t n_points = bf_sweep_n_points(sw);
    if (precision > 0) {
        /* Every point has the same metrics unless a varied key adds a
         * station; a selector is checked on each. */
        for (size_t i = 0; i < n_points; i++) {
            size_t *idx = NULL, n_idx = 0;
            s = bf_metric_select(bf_sweep_point(sw, i)->cat,
                                 pmetric ? pmetric : BF_PRECISION_DEFAULT_METRICS, &idx, &n_idx,
                                 &err);
            free(idx);
            if (s != BF_OK) {
                code = cli_usage_error("sweep", "--precision-metric: %s", err.msg);
                goto done;
            }
        }
    }
    if (dry) {
        if (fmt == OUT_TABLE)
            printf("sweep %s: %zu points (sweep key %s)%s\n",
                   bf_sweep_point(sw, 0)->sc->model->name, n_points, bf_sweep_key(sw),
                   shard_n > 1 ? ", shard shown" : "");
        print_points(stdout, fmt, sw, NULL, precision > 0, true, shard_k, shard_n, (int)reps);
        goto done;
    }

    s = bf_store_open(db, &store, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s == BF_EINVAL ? BF_ESTORE : s);
        goto done;
    }
    cli_catch_signals();
    int threads = jobs > 0 ? (int)jobs : bf_runner_default_jobs();
    if (!quiet)
        fprintf(stderr, "borderflow: sweep of %s: %zu points%s%s, %d threads, into %s\n",
                bf_sweep_point(sw, 0)->sc->model->name, n_points,
                precision > 0 ? ", replications until the precision target" : "",
                shard_n > 1 ? ", this shard only" : "", threads, db);
    cli_progress prog;
    cli_progress_init(&prog, "runs", quiet);
    bf_sweep_opts so = {.replications = (int)reps, .precision = precision,
                        .precision_metrics = pmetric, .precision_floor_s = floor_s,
                        .max_replications = (int)maxrep,
                        .shard_k = shard_k, .shard_n = shard_n, .new_runs = false,
                        .jobs = threads, .keep_series = series,
                        .command_line = cli_cmdline(), .on_progress = cli_progress_update,
                        .ctx = &prog, .cancel = &cli_cancel};
    s = bf_sweep_run(sw, store, &so, &rep, &err);
    cli_progress_end(&prog);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        if (rep)
            fprintf(stderr, "borderflow: %zu of %zu runs of %s are stored (%zu by this command); "
                    "run the same command again to complete the missing ones\n",
                    rep->units_skipped + rep->units_run, rep->units_total,
                    shard_n > 1 ? "this shard" : "the sweep", rep->units_run);
        goto done;
    }
    if (fmt == OUT_TABLE)
        printf("sweep %s: %zu points, results in %s (sweep %lld)%s\n",
               bf_sweep_point(sw, 0)->sc->model->name, n_points, db, (long long)rep->sweep_id,
               shard_n > 1 ? "; points of other shards are marked 'other shard'" : "");
    print_points(stdout, fmt, sw, rep, precision > 0, false, shard_k, shard_n, (int)reps);
    if (!quiet) {
        double share = rep->wall_s > 0 ? 100.0 * rep->store_s / rep->wall_s : 0;
        fprintf(stderr,
                "borderflow: %zu runs in %.2f s (%.2f runs/s) on %d threads, %zu already stored; "
                "%.2f s (%.0f%%) in the results store, %.2f s waiting for it\n",
                rep->units_run, rep->wall_s,
                rep->wall_s > 0 ? (double)rep->units_run / rep->wall_s : 0.0, threads,
                rep->units_skipped, rep->store_s, share, rep->lock_wait_s);
        fprintf(stderr, "borderflow: per-point means and 95%% CIs: sqlite3 %s \"SELECT * FROM "
                "v_sweep_points WHERE sweep_id = %lld\"\n", db, (long long)rep->sweep_id);
    }
done:
    bf_sweep_report_destroy(rep);
    bf_store_close(store);
    bf_sweep_destroy(sw);
    for (size_t i = 0; i < n_vs; i++)
        bf_vary_fini(&vs[i]);
    free(vs);
    free(sets.v);
    free(varies_arg.v);
    free(owned[0]);
    free(owned[1]);
    return code;
}
