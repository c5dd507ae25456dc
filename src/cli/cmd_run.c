/*
 * cmd_run.c - `borderflow run`: replications of one scenario, a summary on
 * stdout, results added to the store.  A run is a sweep of one point
 * (src/sweep): the same engine gives it --precision, --shard and
 * --resume.  Without a store (--no-db) the replications go to a private
 * in-memory store, from which the summary is read like any other.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/store.h"
#include "borderflow/sweep.h"
#include "cli/cli.h"
#include "cli/output.h"

static const char *const run_usage =
    "Usage: borderflow run SCENARIO [options]\n"
    "\n"
    "Simulate the scenario's replications, print a summary with 95% confidence\n"
    "intervals, and add the results to an SQLite store.\n"
    "\n"
    "Options:\n"
    "  -s, --set KEY=VALUE     override a scenario key (repeatable), e.g.\n"
    "                          --set station.fl_check.servers=8\n"
    "                          --set class.material.whitelisted=70%\n"
    "  -r, --replications N    number of replications (same as --set simulation.replications=N)\n"
    "      --seed N            base seed (same as --set simulation.seed=N)\n"
    "      --precision P%      add replications until the 95% CI half-width of the key\n"
    "                          metrics is within P% of their mean (starting from -r, at\n"
    "                          least 5), and say how many were needed\n"
    "      --precision-metric SELECTORS\n"
    "                          the key metrics (default: class.*.time_in_system_mean,\n"
    "                          station.*.wait_mean)\n"
    "      --max-replications N  cap for --precision (default 200)\n"
    "      --precision-floor D a half-width within which a time is precise enough\n"
    "                          whatever its mean (default 1s; 0s: none)\n"
    "      --resume            add to the store's run of the same scenario, overrides and\n"
    "                          seed instead of starting a new run: only replications it\n"
    "                          lacks are run (to add replications later: --resume -r 40)\n"
    "      --shard K/N         run only the replications of shard K of N\n"
    "  -j, --jobs N            worker threads (default: number of CPUs); results do not\n"
    "                          depend on it\n"
    "      --db FILE           results store (default: borderflow.db); runs are added,\n"
    "                          never overwritten\n"
    "      --no-db             do not store results\n"
    "  -f, --format FMT        summary format: table (default), tsv, csv or json; tsv, csv\n"
    "                          and json list every metric in long format\n"
    "      --no-series         do not store time series\n"
    "  -q, --quiet             no progress on stderr\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 done, 1 run or store failure or unreadable scenario file,\n"
    "2 bad command line, 3 invalid scenario, 130 interrupted (finished\n"
    "replications stay in the store).\n";

enum { OPT_SEED = 256, OPT_DB, OPT_NO_DB, OPT_NO_SERIES, OPT_PRECISION, OPT_PMETRIC, OPT_MAXREP,
       OPT_SHARD, OPT_RESUME, OPT_FLOOR };

/* The summary's figures, read back from the store: what out_summary
 * needs of a bf_run_result (means and CIs, per-replication values). */
static bf_status read_result(bf_store *st, int64_t run_id, const bf_catalog *cat, int n_reps,
                             const bf_sweep_report *rep, bf_run_result *res, bf_error *err)
{
    memset(res, 0, sizeof *res);
    res->n_reps = n_reps;
    res->n_keys = cat->n_keys;
    res->ci = calloc(cat->n_keys ? cat->n_keys : 1, sizeof *res->ci);
    res->values = calloc((size_t)(n_reps ? n_reps : 1) * (cat->n_keys ? cat->n_keys : 1),
                         sizeof *res->values);
    double *col = malloc((size_t)(n_reps ? n_reps : 1) * sizeof *col);
    bf_status s = BF_OK;
    if (!res->ci || !res->values || !col)
        s = bf_error_set(err, BF_ENOMEM, "out of memory");
    if (s == BF_OK)
        s = bf_store_aggregates(st, run_id, res->ci, cat->n_keys, err);
    for (size_t k = 0; s == BF_OK && k < cat->n_keys && n_reps > 0; k++) {
        s = bf_store_rep_values(st, run_id, k, n_reps, col, err);
        for (int r = 0; s == BF_OK && r < n_reps; r++)
            res->values[(size_t)r * cat->n_keys + k] = col[r];
    }
    free(col);
    res->events = rep->events;
    res->wall_s = rep->wall_s;
    return s;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, OPT_DB},
        {"no-db", no_argument, NULL, OPT_NO_DB},
        {"format", required_argument, NULL, 'f'},
        {"no-series", no_argument, NULL, OPT_NO_SERIES},
        {"precision", required_argument, NULL, OPT_PRECISION},
        {"precision-metric", required_argument, NULL, OPT_PMETRIC},
        {"max-replications", required_argument, NULL, OPT_MAXREP},
        {"precision-floor", required_argument, NULL, OPT_FLOOR},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    cli_sets st = {0};
    char *owned[2] = {NULL, NULL};
    const char *db = "borderflow.db", *pmetric = NULL;
    bool no_db = false, quiet = false, series = true, resume = false;
    long jobs = 0, maxrep = 0;
    int shard_k = 0, shard_n = 0;
    double precision = 0, floor_s = 1.0;
    bool floor_given = false;
    out_format fmt = OUT_TABLE;
    int c, code = 0;
    bf_error err;
    bf_error_clear(&err);
    bf_sweep *sw = NULL;
    bf_store *store = NULL;
    bf_sweep_report *rep = NULL;
    bf_run_result res = {0};
    while ((c = getopt_long(argc, argv, "s:r:j:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': cli_sets_add(&st, optarg); break;
        case 'r':
        case OPT_SEED: {
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
        case 'j':
            if ((code = cli_parse_long("run", "--jobs", optarg, 1, 1024, &jobs)))
                goto done;
            break;
        case OPT_DB:
            /* SQLite would take ":memory:" (or "") as a temporary database
             * and the results would vanish at exit. */
            if (!optarg[0] || strcmp(optarg, ":memory:") == 0) {
                code = cli_usage_error("run", "--db needs a file name; to run without storing "
                                       "results use --no-db");
                goto done;
            }
            db = optarg;
            break;
        case OPT_NO_DB: no_db = true; break;
        case 'f':
            if (out_parse_format(optarg, &fmt) != 0) {
                code = cli_usage_error("run", "--format must be table, tsv, csv or json, got '%s'",
                                       optarg);
                goto done;
            }
            break;
        case OPT_NO_SERIES: series = false; break;
        case OPT_PRECISION:
            if ((code = cli_parse_percent("run", "--precision", optarg, &precision)))
                goto done;
            break;
        case OPT_PMETRIC: pmetric = optarg; break;
        case OPT_MAXREP:
            if ((code = cli_parse_long("run", "--max-replications", optarg, 2, 1000000, &maxrep)))
                goto done;
            break;
        case OPT_FLOOR:
            if ((code = cli_parse_floor("run", optarg, &floor_s)))
                goto done;
            floor_given = true;
            break;
        case OPT_SHARD:
            if (bf_shard_parse(optarg, &shard_k, &shard_n, &err) != BF_OK) {
                code = cli_usage_error("run", "%s", err.msg);
                goto done;
            }
            break;
        case OPT_RESUME: resume = true; break;
        case 'q': quiet = true; break;
        case 'h': fputs(run_usage, stdout); goto done;
        default: code = cli_bad_option("run", argv, "srjf"); goto done;
        }
    }
    if (optind + 1 != argc) {
        code = cli_usage_error("run", optind >= argc ? "missing SCENARIO file"
                                                     : "expected exactly one SCENARIO file");
        goto done;
    }
    if ((pmetric || maxrep || floor_given) && precision <= 0) {
        code = cli_usage_error("run", "%s needs --precision",
                               pmetric ? "--precision-metric"
                               : maxrep ? "--max-replications" : "--precision-floor");
        goto done;
    }
    if (resume && no_db) {
        code = cli_usage_error("run", "--resume continues a run in the store; it cannot be "
                               "used with --no-db");
        goto done;
    }
    for (int i = 0; i < 2; i++)
        if (owned[i])
            cli_sets_add(&st, owned[i]);

    bool had_sweep = false;
    bf_status s = bf_sweep_create(&sw);
    if (s == BF_OK)
        s = bf_sweep_add_point(sw, argv[optind], st.v, st.n, NULL, &had_sweep, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        goto done;
    }
    const bf_point *pt = bf_sweep_point(sw, 0);
    const bf_model *m = pt->sc->model;
    if (had_sweep && !quiet)
        fprintf(stderr, "borderflow: note: %s declares a [sweep]; run simulates its base point "
                "only (borderflow sweep %s runs the grid)\n", argv[optind], argv[optind]);
    if (precision > 0) {
        size_t *idx = NULL, n_idx = 0;
        s = bf_metric_select(pt->cat, pmetric ? pmetric : BF_PRECISION_DEFAULT_METRICS, &idx,
                             &n_idx, &err);
        free(idx);
        if (s != BF_OK) {
            code = cli_usage_error("run", "--precision-metric: %s", err.msg);
            goto done;
        }
    }

    s = bf_store_open(no_db ? ":memory:" : db, &store, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s == BF_EINVAL ? BF_ESTORE : s);
        goto done;
    }

    cli_catch_signals();
    int threads = jobs > 0 ? (int)jobs : bf_runner_default_jobs();
    if (!quiet) {
        if (precision > 0)
            fprintf(stderr, "borderflow: running %s until the 95%% CIs are within %g%% of the "
                    "means (at most %ld replications) on %d threads\n", m->name,
                    100 * precision, maxrep ? maxrep : 200L, threads);
        else
            fprintf(stderr, "borderflow: running %s, %d replications on %d threads\n", m->name,
                    m->replications, threads);
    }
    cli_progress prog;
    cli_progress_init(&prog, "replications", quiet);
    bf_sweep_opts so = {.precision = precision, .precision_metrics = pmetric,
                        .precision_floor_s = floor_s,
                        .max_replications = (int)maxrep, .shard_k = shard_k,
                        .shard_n = shard_n, .new_runs = !resume, .jobs = threads,
                        .keep_series = !no_db && series, .command_line = cli_cmdline(),
                        .on_progress = cli_progress_update, .ctx = &prog,
                        .cancel = &cli_cancel};
    s = bf_sweep_run(sw, store, &so, &rep, &err);
    cli_progress_end(&prog);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        if (s == BF_ECANCELED && rep && !no_db && rep->points[0].run_id)
            fprintf(stderr, "borderflow: replications finished so far are kept in %s "
                    "(run %lld, status 'canceled')\n", db, (long long)rep->points[0].run_id);
        goto done;
    }
    const bf_point_result *pr = &rep->points[0];
    if (!pr->run_id) {
        /* --shard with no replication in this shard. */
        if (!quiet)
            fprintf(stderr, "borderflow: shard %d/%d has no replication of this run\n", shard_k,
                    shard_n);
        goto done;
    }
    if (precision > 0 && !quiet)
        fprintf(stderr, "borderflow: %s after %d replications%s\n",
                pr->precise ? "precision reached" : "precision NOT reached",
                pr->needed, pr->precise ? "" : " (the cap; raise --max-replications)");
    else if (!quiet && resume)
        fprintf(stderr, "borderflow: %d replications were already stored, %d run now\n",
                pr->stored - pr->ran, pr->ran);
    s = read_result(store, pr->run_id, pt->cat, pr->stored, rep, &res, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        goto done;
    }
    out_summary(stdout, fmt, m, pt->cat, &res, no_db ? NULL : db, pr->run_id);
done:
    free(res.ci);
    free(res.values);
    bf_sweep_report_destroy(rep);
    bf_store_close(store);
    bf_sweep_destroy(sw);
    free(st.v);
    free(owned[0]);
    free(owned[1]);
    return code;
}
