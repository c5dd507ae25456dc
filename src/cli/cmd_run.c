/*
 * cmd_run.c - `borderflow run`: replications of one scenario, a summary on
 * stdout, results added to the store.
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
#include "cli/output.h"

/* ---- run ------------------------------------------------------------ */

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

typedef struct run_ctx {
    bf_store *store;
    int64_t run_id;
    const bf_catalog *cat;
    bool quiet;
    bool tty;
    bf_error err;
} run_ctx;

static bf_status on_rep(void *ctx, int rep, const bf_sim *sim, double wall_s)
{
    run_ctx *rc = ctx;
    if (!rc->store)
        return BF_OK;
    return bf_store_add_replication(rc->store, rc->run_id, rep, bf_sim_events(sim), wall_s,
                                    bf_sim_values(sim), &rc->err);
}

static bf_status on_samples(void *ctx, int rep, const bf_sample *s, size_t n)
{
    run_ctx *rc = ctx;
    /* bf_sample and bf_store_sample have the same fields; copy rather than
     * cast so the two modules stay independent. */
    bf_store_sample buf[256];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < 256 && i < n; k++, i++)
            buf[k] = (bf_store_sample){s[i].t, s[i].series, s[i].value};
        bf_status st = bf_store_add_series(rc->store, rc->run_id, rep, buf, k, &rc->err);
        if (st != BF_OK)
            return st;
    }
    return BF_OK;
}

static void on_progress(void *ctx, int done, int total)
{
    run_ctx *rc = ctx;
    if (rc->quiet)
        return;
    if (rc->tty)
        fprintf(stderr, "\r  replications %d/%d", done, total);
    else if (done == total || done % 10 == 0)
        fprintf(stderr, "  replications %d/%d\n", done, total);
    if (rc->tty && done == total)
        fputc('\n', stderr);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"set", required_argument, NULL, 's'},  {"replications", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 'S'}, {"jobs", required_argument, NULL, 'j'},
        {"db", required_argument, NULL, 'd'},   {"no-db", no_argument, NULL, 'D'},
        {"format", required_argument, NULL, 'f'}, {"no-series", no_argument, NULL, 'N'},
        {"quiet", no_argument, NULL, 'q'},      {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    cli_sets st = {0};
    char *owned[2] = {NULL, NULL};
    const char *db = "borderflow.db";
    bool no_db = false, quiet = false, series = true;
    int jobs = 0;
    out_format fmt = OUT_TABLE;
    int c, code = 0;
    const char *cmdline = cli_cmdline();
    while ((c = getopt_long(argc, argv, "s:r:j:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': cli_sets_add(&st, optarg); break;
        case 'r':
        case 'S': {
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
        case 'j': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || v < 1 || v > 1024) {
                code = cli_usage_error("run", "--jobs needs a whole number from 1 to 1024, got '%s'", optarg);
                goto done;
            }
            jobs = (int)v;
            break;
        }
        case 'd':
            /* SQLite would take ":memory:" (or "") as a temporary database
             * and the results would vanish at exit. */
            if (!optarg[0] || strcmp(optarg, ":memory:") == 0) {
                code = cli_usage_error("run", "--db needs a file name; to run without storing "
                                   "results use --no-db");
                goto done;
            }
            db = optarg;
            break;
        case 'D': no_db = true; break;
        case 'f':
            if (out_parse_format(optarg, &fmt) != 0) {
                code = cli_usage_error("run", "--format must be table, tsv, csv or json, got '%s'", optarg);
                goto done;
            }
            break;
        case 'N': series = false; break;
        case 'q': quiet = true; break;
        case 'h': fputs(run_usage, stdout); goto done;
        default: code = cli_bad_option("run", argv, "srjfd"); goto done;
        }
    }
    if (optind + 1 != argc) {
        code = cli_usage_error("run", optind >= argc ? "missing SCENARIO file"
                                                 : "expected exactly one SCENARIO file");
        goto done;
    }
    for (int i = 0; i < 2; i++)
        if (owned[i])
            cli_sets_add(&st, owned[i]);

    bf_error err;
    bf_scenario *sc = NULL;
    bf_status s = bf_scenario_load(argv[optind], st.v, st.n, &sc, &err);
    if (s != BF_OK) {
        code = cli_report(&err, s);
        goto done;
    }
    const bf_model *m = sc->model;
    bf_catalog *cat = NULL;
    if (bf_catalog_create(m, &cat) != BF_OK) {
        fprintf(stderr, "borderflow: out of memory\n");
        bf_scenario_destroy(sc);
        code = EXIT_RUN;
        goto done;
    }
    run_ctx rc = {.cat = cat, .quiet = quiet, .tty = isatty(2)};
    bf_error_clear(&rc.err);
    if (!no_db) {
        s = bf_store_open(db, &rc.store, &err);
        if (s == BF_OK) {
            bf_store_key *keys = calloc(cat->n_keys ? cat->n_keys : 1, sizeof *keys);
            bf_store_series *ser = calloc(cat->n_series ? cat->n_series : 1, sizeof *ser);
            if (!keys || !ser) {
                s = bf_error_set(&err, BF_ENOMEM, "out of memory");
            } else {
                for (size_t i = 0; i < cat->n_keys; i++)
                    keys[i] = (bf_store_key){cat->keys[i].scope_kind, cat->keys[i].scope,
                                             cat->keys[i].class_name, cat->keys[i].metric,
                                             cat->keys[i].unit};
                for (size_t i = 0; i < cat->n_series; i++)
                    ser[i] = (bf_store_series){cat->series[i].scope_kind, cat->series[i].scope,
                                               cat->series[i].metric};
                bf_run_record rec = {
                    .scenario_name = m->name, .scenario_path = sc->path,
                    .scenario_text = sc->text, .overrides = sc->overrides,
                    .command_line = cmdline ? cmdline : "", .seed = m->seed,
                    .replications = m->replications, .horizon_s = m->horizon,
                    .warmup_s = m->warmup, .sample_every_s = m->sample_every,
                    .param_keys = (const char *const *)sc->param_keys,
                    .param_values = (const char *const *)sc->param_values,
                    .n_params = sc->n_params};
                s = bf_store_begin_run(rc.store, &rec, keys, cat->n_keys, ser, cat->n_series,
                                       &rc.run_id, &err);
            }
            free(keys);
            free(ser);
        }
        if (s != BF_OK) {
            code = cli_report(&err, s == BF_EINVAL ? BF_ESTORE : s);
            bf_store_close(rc.store);
            bf_catalog_destroy(cat);
            bf_scenario_destroy(sc);
            goto done;
        }
    }

    cli_catch_signals();
    if (!quiet)
        fprintf(stderr, "borderflow: running %s, %d replications on %d threads\n", m->name,
                m->replications, jobs > 0 ? jobs : bf_runner_default_jobs());
    bf_run_opts ro = {.replications = m->replications, .seed = m->seed, .jobs = jobs,
                      .keep_series = rc.store && series, .on_rep = on_rep,
                      .on_samples = on_samples, .on_progress = on_progress, .ctx = &rc,
                      .cancel = &cli_cancel};
    bf_run_result *res = NULL;
    s = bf_runner_run(m, cat, &ro, &res, &err);
    if (s != BF_OK) {
        if (rc.err.msg[0])
            err = rc.err; /* the store's own message is the useful one */
        code = cli_report(&err, s);
        if (rc.store) {
            bf_error e2;
            bf_store_finish_run(rc.store, rc.run_id, NULL, 0,
                                s == BF_ECANCELED ? "canceled" : "failed", &e2);
            if (s == BF_ECANCELED)
                fprintf(stderr, "borderflow: replications finished so far are kept in %s "
                        "(run %lld, status 'canceled')\n", db, (long long)rc.run_id);
        }
    } else {
        if (rc.store) {
            for (size_t h = 0; s == BF_OK && h < cat->n_keys; h++)
                /* One pooled distribution per group, filed under the
                 * group's first key (its _mean). */
                if (cat->keys[h].hist >= 0 && (h == 0 || cat->keys[h - 1].hist != cat->keys[h].hist))
                    s = bf_store_add_distribution(rc.store, rc.run_id, h,
                                                  &res->pooled[cat->keys[h].hist], &err);
            if (s == BF_OK)
                s = bf_store_finish_run(rc.store, rc.run_id, res->ci, cat->n_keys, "done", &err);
            if (s != BF_OK)
                code = cli_report(&err, s);
        }
        out_summary(stdout, fmt, m, cat, res, rc.store ? db : NULL, rc.run_id);
    }
    bf_run_result_destroy(res);
    bf_store_close(rc.store);
    bf_catalog_destroy(cat);
    bf_scenario_destroy(sc);
done:
    free(st.v);
    free(owned[0]);
    free(owned[1]);
    return code;
}

