/*
 * cmd_compare.c - `borderflow compare BASE POLICY`: both scenarios run
 * with the same seed and replication numbers (common random numbers),
 * replication r of one paired with replication r of the other, and the
 * difference of every key metric reported with its 95% confidence
 * interval.  Both runs and the comparison go to the store.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/runner.h"
#include "borderflow/store.h"
#include "borderflow/sweep.h"
#include "cli/cli.h"
#include "cli/output.h"

static const char *const compare_usage =
    "Usage: borderflow compare BASE POLICY [options]\n"
    "\n"
    "Run two scenarios with common random numbers (the same seed and replication\n"
    "numbers, so both see the same arrivals) and report, per class and station, the\n"
    "paired difference POLICY - BASE of each key metric with its 95% confidence\n"
    "interval, and whether it is significant (0 outside the interval).  BASE and\n"
    "POLICY may be the same file with different --base-set / --policy-set.\n"
    "\n"
    "Options:\n"
    "  -s, --set KEY=VALUE       override a key in both scenarios (repeatable)\n"
    "      --base-set KEY=VALUE  override a key in BASE only (repeatable)\n"
    "      --policy-set KEY=VALUE  override a key in POLICY only (repeatable)\n"
    "  -r, --replications N      pairs of replications (default: BASE's replications)\n"
    "      --seed N              seed of both (default: BASE's seed)\n"
    "      --policy-seed N       run POLICY with another seed: independent runs, no\n"
    "                            common random numbers (to see what they buy)\n"
    "  -m, --metric SELECTORS    metrics to compare (default: mean and p95 wait, time in\n"
    "                            system and throughput per class; mean and p95 wait and\n"
    "                            utilization per station), e.g. station.sl_check.wait_mean\n"
    "  -j, --jobs N              worker threads (default: number of CPUs)\n"
    "      --db FILE             results store (default: borderflow.db); runs already\n"
    "                            there are reused, not run again\n"
    "      --no-db               do not store results\n"
    "      --no-series           do not store time series\n"
    "  -f, --format FMT          table (default), tsv, csv or json\n"
    "  -q, --quiet               no progress on stderr\n"
    "  -h, --help                show this help\n"
    "\n"
    "Example:\n"
    "  borderflow compare scenarios/hetao-baseline.ini scenarios/hetao-more-sl-officers.ini\n"
    "\n"
    "Exit status: 0 done, 1 run or store failure, 2 bad command line, 3 invalid\n"
    "scenario or --set, 130 interrupted.\n";

enum { OPT_SEED = 256, OPT_PSEED, OPT_BSET, OPT_PSET, OPT_DB, OPT_NO_DB, OPT_NO_SERIES };

/* A value in a unit that reads well: seconds become min or h by the size
 * of ref, shares become %. */
typedef struct scale {
    double div;
    const char *suffix;
} scale;

static scale pick_scale(const char *unit, double ref)
{
    ref = fabs(ref);
    if (strcmp(unit, "s") == 0)
        return ref >= 7200 ? (scale){3600, " h"} : ref >= 120 ? (scale){60, " min"}
                                                              : (scale){1, " s"};
    if (strcmp(unit, "share") == 0)
        return (scale){0.01, "%"};
    if (strcmp(unit, "1/h") == 0)
        return (scale){1, "/h"};
    return (scale){1, ""};
}

static void fmt_val(double v, scale sc, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.3g%s", v / sc.div, sc.suffix);
}

static void jnum(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static void print_result(FILE *f, out_format fmt, const bf_point *b, const bf_point *p,
                         const bf_compare_result *r, int64_t base_run, int64_t policy_run)
{
    if (fmt == OUT_JSON) {
        fprintf(f, "{\"base\": {\"scenario\": ");
        out_json_str(f, b->sc->model->name);
        fprintf(f, ", \"run_id\": %" PRId64 ", \"seed\": %" PRIu64 "}, \"policy\": {\"scenario\": ",
                base_run, b->sc->model->seed);
        out_json_str(f, p->sc->model->name);
        fprintf(f, ", \"run_id\": %" PRId64 ", \"seed\": %" PRIu64 "}, \"replications\": %d, "
                   "\"common_random_numbers\": %s, \"comparison_id\": %" PRId64 ", \"rows\": [",
                policy_run, p->sc->model->seed, r->replications, r->crn ? "true" : "false",
                r->comparison_id);
        for (size_t i = 0; i < r->n_rows; i++) {
            const bf_compare_row *row = &r->rows[i];
            const bf_paired *q = &row->p;
            fprintf(f, "%s\n  {\"scope_kind\": ", i ? "," : "");
            out_json_str(f, row->key->scope_kind);
            fputs(", \"scope\": ", f);
            out_json_str(f, row->key->scope);
            fputs(", \"class\": ", f);
            out_json_str(f, row->key->class_name);
            fputs(", \"metric\": ", f);
            out_json_str(f, row->key->metric);
            fputs(", \"unit\": ", f);
            out_json_str(f, row->key->unit);
            fprintf(f, ", \"n\": %zu, \"base_mean\": ", q->n);
            jnum(f, q->base_mean);
            fputs(", \"policy_mean\": ", f);
            jnum(f, q->policy_mean);
            fputs(", \"difference\": ", f);
            jnum(f, q->diff.mean);
            fputs(", \"half_width\": ", f);
            jnum(f, q->diff.half_width);
            fputs(", \"ci_low\": ", f);
            jnum(f, q->diff.mean - q->diff.half_width);
            fputs(", \"ci_high\": ", f);
            jnum(f, q->diff.mean + q->diff.half_width);
            fprintf(f, ", \"significant\": %s}", q->significant ? "true" : "false");
        }
        fputs("\n]}\n", f);
        return;
    }
    if (fmt == OUT_TSV || fmt == OUT_CSV) {
        char sep = fmt == OUT_TSV ? '\t' : ',';
        fprintf(f, "scope_kind%cscope%cclass%cmetric%cunit%cn%cbase_mean%cpolicy_mean%c"
                   "difference%chalf_width%cci_low%cci_high%csignificant\n",
                sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep);
        for (size_t i = 0; i < r->n_rows; i++) {
            const bf_compare_row *row = &r->rows[i];
            const bf_paired *q = &row->p;
            const char *cols[] = {row->key->scope_kind, row->key->scope, row->key->class_name,
                                  row->key->metric, row->key->unit};
            for (int c = 0; c < 5; c++) {
                out_field(f, fmt, cols[c]);
                fputc(sep, f);
            }
            fprintf(f, "%zu", q->n);
            double v[] = {q->base_mean, q->policy_mean, q->diff.mean, q->diff.half_width,
                          q->diff.mean - q->diff.half_width, q->diff.mean + q->diff.half_width};
            for (int c = 0; c < 6; c++) {
                fputc(sep, f);
                if (!isnan(v[c]))
                    fprintf(f, "%.10g", v[c]);
            }
            fprintf(f, "%c%d\n", sep, q->significant ? 1 : 0);
        }
        return;
    }
    fprintf(f, "Paired comparison: %s (base, run %" PRId64 ") vs %s (policy, run %" PRId64 ")\n",
            b->sc->model->name, base_run, p->sc->model->name, policy_run);
    if (r->crn)
        fprintf(f, "%d replications with common random numbers (seed %" PRIu64 "); ",
                r->replications, b->sc->model->seed);
    else
        fprintf(f, "%d replications with INDEPENDENT seeds (%" PRIu64 " and %" PRIu64 "); ",
                r->replications, b->sc->model->seed, p->sc->model->seed);
    fprintf(f, "difference = policy - base, with its 95%% CI.\n\n");
    fprintf(f, "  %-24s %-12s %-22s %10s %10s   %-34s %8s  %s\n", "scope", "class", "metric",
            "base", "policy", "difference [95% CI]", "change", "significant");
    for (size_t i = 0; i < r->n_rows; i++) {
        const bf_compare_row *row = &r->rows[i];
        const bf_paired *q = &row->p;
        double ref = fabs(q->base_mean) > fabs(q->policy_mean) ? q->base_mean : q->policy_mean;
        scale sc = pick_scale(row->key->unit, ref);
        char scope[160], bv[32], pv[32], dv[32], lo[32], hi[32], diff[112], chg[24];
        snprintf(scope, sizeof scope, "%s %s", row->key->scope_kind, row->key->scope);
        fmt_val(q->base_mean, sc, bv, sizeof bv);
        fmt_val(q->policy_mean, sc, pv, sizeof pv);
        fmt_val(q->diff.mean, sc, dv, sizeof dv);
        if (isfinite(q->diff.half_width)) {
            snprintf(lo, sizeof lo, "%.3g", (q->diff.mean - q->diff.half_width) / sc.div);
            snprintf(hi, sizeof hi, "%.3g", (q->diff.mean + q->diff.half_width) / sc.div);
            snprintf(diff, sizeof diff, "%s [%s, %s]", dv, lo, hi);
        } else {
            snprintf(diff, sizeof diff, "%s", dv);
        }
        if (q->base_mean != 0 && isfinite(q->base_mean) && isfinite(q->diff.mean))
            snprintf(chg, sizeof chg, "%+.0f%%", 100.0 * q->diff.mean / fabs(q->base_mean));
        else
            snprintf(chg, sizeof chg, "-");
        const char *cls =
            strcmp(row->key->class_name, row->key->scope) == 0 ? "" : row->key->class_name;
        fprintf(f, "  %-24s %-12s %-22s %10s %10s   %-34s %8s  %s\n", scope, cls,
                row->key->metric, bv, pv, diff, chg,
                q->n < 2 ? "-" : q->significant ? "yes" : "no");
    }
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},
        {"base-set", required_argument, NULL, OPT_BSET},
        {"policy-set", required_argument, NULL, OPT_PSET},
        {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"policy-seed", required_argument, NULL, OPT_PSEED},
        {"metric", required_argument, NULL, 'm'},
        {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, OPT_DB},
        {"no-db", no_argument, NULL, OPT_NO_DB},
        {"no-series", no_argument, NULL, OPT_NO_SERIES},
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    cli_sets both = {0}, bsets = {0}, psets = {0};
    const char *db = "borderflow.db", *metric = NULL, *seed = NULL, *pseed = NULL;
    bool no_db = false, quiet = false, series = true;
    long jobs = 0, reps = 0;
    out_format fmt = OUT_TABLE;
    int c, code = 0;
    char *bseed_set = NULL, *pseed_set = NULL;
    bf_sweep *sw = NULL;
    bf_store *store = NULL;
    bf_sweep_report *rep = NULL;
    bf_compare_result *res = NULL;
    bf_error err;
    bf_error_clear(&err);
    while ((c = getopt_long(argc, argv, "s:r:m:j:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': cli_sets_add(&both, optarg); break;
        case OPT_BSET: cli_sets_add(&bsets, optarg); break;
        case OPT_PSET: cli_sets_add(&psets, optarg); break;
        case 'r':
            if ((code = cli_parse_long("compare", "--replications", optarg, 2, 1000000, &reps)))
                goto done;
            break;
        case OPT_SEED: seed = optarg; break;
        case OPT_PSEED: pseed = optarg; break;
        case 'm': metric = optarg; break;
        case 'j':
            if ((code = cli_parse_long("compare", "--jobs", optarg, 1, 1024, &jobs)))
                goto done;
            break;
        case OPT_DB:
            if (!optarg[0] || strcmp(optarg, ":memory:") == 0) {
                code = cli_usage_error("compare", "--db needs a file name; to compare without "
                                       "storing results use --no-db");
                goto done;
            }
            db = optarg;
            break;
        case OPT_NO_DB: no_db = true; break;
        case OPT_NO_SERIES: series = false; break;
        case 'f':
            if (out_parse_format(optarg, &fmt) != 0) {
                code = cli_usage_error("compare", "--format must be table, tsv, csv or json, "
                                       "got '%s'", optarg);
                goto done;
            }
            break;
        case 'q': quiet = true; break;
        case 'h': fputs(compare_usage, stdout); goto done;
        default: code = cli_bad_option("compare", argv, "srmjf"); goto done;
        }
    }
    if (argc - optind != 2) {
        code = cli_usage_error("compare", argc - optind < 2 ? "expected two scenario files, "
                               "BASE and POLICY" : "expected exactly two scenario files, BASE "
                               "and POLICY");
        goto done;
    }
    const char *base_path = argv[optind], *policy_path = argv[optind + 1];

    /* BASE first: its seed and replications are the comparison's unless
     * given.  POLICY then gets that seed as an override (or its own with
     * --policy-seed), so that both use the same random streams. */
    cli_sets bs = {0}, ps = {0};
    for (size_t i = 0; i < both.n; i++)
        cli_sets_add(&bs, both.v[i]), cli_sets_add(&ps, both.v[i]);
    for (size_t i = 0; i < bsets.n; i++)
        cli_sets_add(&bs, bsets.v[i]);
    for (size_t i = 0; i < psets.n; i++)
        cli_sets_add(&ps, psets.v[i]);
    if (seed) {
        size_t n = strlen(seed) + 24;
        bseed_set = malloc(n);
        if (bseed_set) {
            snprintf(bseed_set, n, "simulation.seed=%s", seed);
            cli_sets_add(&bs, bseed_set);
        }
    }
    bf_status s = bf_sweep_create(&sw);
    if (s == BF_OK)
        s = bf_sweep_add_point(sw, base_path, bs.v, bs.n, "base", NULL, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        free(bs.v);
        free(ps.v);
        goto done;
    }
    const bf_model *bm = bf_sweep_point(sw, 0)->sc->model;
    {
        char tmp[64];
        if (!pseed)
            snprintf(tmp, sizeof tmp, "%" PRIu64, bm->seed);
        const char *sv = pseed ? pseed : tmp;
        size_t n = strlen(sv) + 24;
        pseed_set = malloc(n);
        if (pseed_set) {
            snprintf(pseed_set, n, "simulation.seed=%s", sv);
            cli_sets_add(&ps, pseed_set);
        }
    }
    s = bf_sweep_add_point(sw, policy_path, ps.v, ps.n, "policy", NULL, &err);
    free(bs.v);
    free(ps.v);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        goto done;
    }
    const bf_point *pb = bf_sweep_point(sw, 0), *pp = bf_sweep_point(sw, 1);
    if (strcmp(pb->point_key, pp->point_key) == 0) {
        code = cli_usage_error("compare", "BASE and POLICY are the same scenario (same "
                               "parameters and seed); change POLICY with --policy-set or "
                               "give another file");
        goto done;
    }
    int n_reps = reps > 0 ? (int)reps : bm->replications;
    if (n_reps < 2) {
        code = cli_usage_error("compare", "a confidence interval needs at least 2 replications; "
                               "use -r N");
        goto done;
    }
    {
        size_t *idx = NULL, n_idx = 0;
        s = bf_metric_select(pb->cat, metric ? metric : BF_COMPARE_DEFAULT_METRICS, &idx, &n_idx,
                             &err);
        free(idx);
        if (s != BF_OK) {
            code = cli_usage_error("compare", "--metric: %s", err.msg);
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
    if (!quiet)
        fprintf(stderr, "borderflow: comparing %s and %s, %d paired replications on %d threads\n",
                pb->sc->model->name, pp->sc->model->name, n_reps, threads);
    cli_progress prog;
    cli_progress_init(&prog, "replications", quiet);
    bf_sweep_opts so = {.replications = n_reps, .new_runs = false, .jobs = threads,
                        .keep_series = !no_db && series, .command_line = cli_cmdline(),
                        .on_progress = cli_progress_update, .ctx = &prog,
                        .cancel = &cli_cancel};
    s = bf_sweep_run(sw, store, &so, &rep, &err);
    cli_progress_end(&prog);
    if (s == BF_OK)
        s = bf_compare_points(sw, 0, 1, rep, store, n_reps, metric, cli_cmdline(), &res, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        goto done;
    }
    if (!quiet && rep->units_skipped)
        fprintf(stderr, "borderflow: %zu of the %zu replications were already in %s and were "
                "not run again\n", rep->units_skipped, rep->units_total, db);
    print_result(stdout, fmt, pb, pp, res, rep->points[0].run_id, rep->points[1].run_id);
    if (fmt == OUT_TABLE && !no_db)
        printf("\nStored in %s: runs %lld and %lld, comparison %" PRId64 " (view v_comparisons).\n",
               db, (long long)rep->points[0].run_id, (long long)rep->points[1].run_id,
               res->comparison_id);
done:
    bf_compare_result_destroy(res);
    bf_sweep_report_destroy(rep);
    bf_store_close(store);
    bf_sweep_destroy(sw);
    free(both.v);
    free(bsets.v);
    free(psets.v);
    free(bseed_set);
    free(pseed_set);
    return code;
}
