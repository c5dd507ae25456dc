/*
 * chart_dist.c - the `cdf` chart: the distribution of waiting times (or
 * times in system, clearance or dwell times) as the share of entities
 * done within x, one curve per class, station, line, or per run.
 *
 * The curves come from the pooled histograms in `distributions` (all
 * replications merged), whose buckets are at most 1/64 of their lower
 * edge wide, so the curve drawn through the bucket edges is within 1.6%
 * of the exact one in x.  A pooled distribution has no confidence
 * interval (see docs/statistics.md, "per-run versus pooled"); the chart
 * says so.
 */
#include "report/report_int.h"

#include <math.h>
#include <string.h>

typedef struct bucket {
    double lo, hi;
    long long count;
} bucket;

static const char *const groups[] = {"wait", "time_in_system", "clearance", "dwell"};

/* "wait", "wait_p95", "wait_mean" -> "wait". */
static const char *group_of(const char *metric)
{
    for (size_t g = 0; g < 4; g++) {
        size_t n = strlen(groups[g]);
        if (strncmp(metric, groups[g], n) == 0 && (metric[n] == 0 || metric[n] == '_'))
            return groups[g];
    }
    return NULL;
}

static bf_status load_buckets(bf_report *r, int64_t run, int key, bucket **out, size_t *n,
                              bf_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r, "SELECT lo, hi, count FROM distributions WHERE run_id ="
                                         " ?1 AND key_index = ?2 ORDER BY lo",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_int(q, 2, key);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            bucket *v = bf_realloc(*out, cap * sizeof *v);
            if (!v) {
                st = bf_error_set(err, BF_ENOMEM, "out of memory");
                break;
            }
            *out = v;
        }
        (*out)[(*n)++] = (bucket){sqlite3_column_double(q, 0), sqlite3_column_double(q, 1),
                                  sqlite3_column_int64(q, 2)};
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot read the distributions");
    sqlite3_finalize(q);
    if (st != BF_OK) {
        bf_free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}

/* The q-quantile as docs/statistics.md defines it: the midpoint of the
 * bucket holding rank ceil(q n), 0 for the underflow bucket. */
static double quantile(const bucket *b, size_t n, long long total, double q)
{
    double rank = ceil(q * (double)total);
    long long cum = 0;
    for (size_t i = 0; i < n; i++) {
        cum += b[i].count;
        if ((double)cum >= rank)
            return b[i].lo == 0 ? 0 : (b[i].lo + b[i].hi) / 2;
    }
    return n ? b[n - 1].hi : 0;
}

/* Share at most x, as bf_hist_share_le: whole buckets below x, and the
 * bucket holding x if x is at or past its midpoint. */
static double share_le(const bucket *b, size_t n, long long total, double x)
{
    long long c = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].hi <= x || (b[i].lo <= x && x >= (b[i].lo + b[i].hi) / 2) ||
            (b[i].lo == 0 && x >= 0))
            c += b[i].count;
    }
    return total ? (double)c / (double)total : NAN;
}

typedef struct curve {
    int64_t run;
    rkey key; /* borrowed from the run's rkeys */
    bucket *b;
    size_t n;
    long long total;
} curve;

static void label_of(lang l, const rkey *k, bool show_scope, sbuf *out)
{
    bool per_class = k->class_name[0] && strcmp(k->scope_kind, "class") != 0;
    if (show_scope || !per_class)
        bf__sbuf_put(out, bf__scope_label(l, k->scope_kind, k->scope));
    if (per_class)
        bf__sbuf_printf(out, "%s%s", show_scope ? " · " : "", bf__name_label(l, k->class_name));
}

bf_status bf__chart_cdf(bf_report *r, const bf_chart_spec *spec, bf_chart *c, bf_error *err)
{
    lang l = c->lang;
    const char *group = group_of(spec->metric ? spec->metric : "wait");
    if (!group) {
        bf_error_at(err, NULL, 0, NULL, NULL, spec->metric);
        return bf_error_set(err, BF_EINVAL, "the cdf chart draws a distribution: --metric wait, "
                            "time_in_system, clearance or dwell (got '%s')", spec->metric);
    }
    char carrier[64];
    snprintf(carrier, sizeof carrier, "%s_mean", group);
    bool has_t;
    double tv;
    bf_status st = bf__chart_target(spec, "s", &has_t, &tv, err);
    if (st != BF_OK)
        return st;

    int64_t latest = 0;
    const int64_t *runs = spec->runs;
    size_t n_runs = spec->n_runs;
    if (n_runs == 0) {
        st = bf_report_latest_run(r, &latest, err);
        if (st != BF_OK)
            return st;
        runs = &latest;
        n_runs = 1;
    }
    rkeys *sel = bf_calloc(n_runs, sizeof *sel);
    curve *cv = NULL;
    size_t n_cv = 0;
    char **vkeys = NULL;
    size_t n_vkeys = 0;
    if (!sel)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n_runs && st == BF_OK; i++) {
        bf_report_run info;
        st = bf_report_run_get(r, runs[i], &info, err);
        bf_report_run_fini(&info);
        if (st == BF_OK)
            st = bf__report_select_keys(r, runs[i], carrier, spec->scopes, spec->n_scopes,
                                        spec->classes, spec->n_classes, "class", &sel[i], err);
        if (st == BF_OK)
            n_cv += sel[i].n;
    }
    if (st == BF_OK && n_cv > BF_CHART_MAX_SERIES)
        st = bf_error_set(err, BF_EINVAL, "%zu curves are too many for one chart (at most %d); "
                          "choose with --scope, --class or fewer --run", n_cv,
                          BF_CHART_MAX_SERIES);
    if (st == BF_OK && !(cv = bf_calloc(n_cv ? n_cv : 1, sizeof *cv)))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    if (st == BF_OK)
        st = bf__report_varied_params(r, runs, n_runs, &vkeys, &n_vkeys, err);
    size_t k = 0;
    for (size_t i = 0; i < n_runs && st == BF_OK; i++)
        for (size_t j = 0; j < sel[i].n && st == BF_OK; j++, k++) {
            cv[k].run = runs[i];
            cv[k].key = sel[i].v[j];
            st = load_buckets(r, runs[i], cv[k].key.key_index, &cv[k].b, &cv[k].n, err);
            for (size_t b = 0; b < cv[k].n; b++)
                cv[k].total += cv[k].b[b].count;
        }
    /* Curves with no observation (a station nobody reached) are dropped;
     * if none is left, say why. */
    size_t n_ok = 0;
    for (size_t i = 0; i < n_cv; i++)
        n_ok += cv && cv[i].total > 0;
    if (st == BF_OK && n_ok == 0)
        st = bf_error_set(err, BF_ESTATE, "no %s distribution stored for that selection (a run "
                          "stores its distributions when it finishes)", group);
    if (st != BF_OK)
        goto done;

    /* x axis: one and a half times the largest p95 (and past the target),
     * in a unit that reads well.  A long tail (a checkpoint closed at
     * night) would otherwise squeeze the body of every curve against the
     * y axis; the legend's share within the target, and --xmax, still
     * say what the tail holds. */
    double xmax = 0;
    for (size_t i = 0; i < n_cv; i++)
        if (cv[i].total > 0) {
            double p = 1.5 * quantile(cv[i].b, cv[i].n, cv[i].total, 0.95);
            if (p > xmax)
                xmax = p;
        }
    if (has_t && tv * 1.25 > xmax)
        xmax = tv * 1.25;
    if (spec->x_max > 0)
        xmax = spec->x_max;
    if (!(xmax > 0))
        xmax = 1;
    tunit u = bf__time_unit(xmax);
    const char *uname = bf__unit_label(l, u.name);

    char mlabel[96];
    static const char *const titles[] = {"Waiting time distribution", "Time in system distribution",
                                         "Clearance time distribution", "Dwell time distribution"};
    static const char *const words[] = {"waiting time", "time in system", "clearance time",
                                        "dwell time"};
    size_t g = 0;
    while (strcmp(groups[g], group) != 0)
        g++;
    snprintf(mlabel, sizeof mlabel, l == LANG_ZH ? "%s（%s）" : "%s (%s)", bf__L(l, words[g]),
             uname);
    char ylab[160];
    snprintf(ylab, sizeof ylab, bf__L(l, "share with %s at most x (%%)"), bf__L(l, words[g]));
    bf_report_run info0;
    st = bf_report_run_get(r, runs[0], &info0, err);
    if (st == BF_OK &&
        !(bf__chart_set(&c->title, bf__L(l, titles[g])) &&
          bf__chart_set(&c->subtitle, info0.title[0] ? info0.title : info0.scenario) &&
          bf__chart_set(&c->x_label, mlabel) &&
          bf__chart_set(&c->y_label, ylab) &&
          bf__chart_set(&c->columns, "x\tshare_pct\tlo_s\thi_s\tcount")))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf_report_run_fini(&info0);
    if (st == BF_OK)
        st = bf__chart_footnote(r, c, runs, n_runs,
                                bf__L(l, has_t
                                             ? "pooled over all replications; legend: share "
                                               "within the target"
                                             : "pooled over all replications (no CI: one "
                                               "distribution)"),
                                err);
    if (st != BF_OK)
        goto done;
    bf__sbuf_printf(&c->comment, "# x = bucket upper edge hi_s / %g (%s); share_pct = 100 x "
                                 "cumulative count / total; a first row (0, 0) starts each "
                                 "curve; from table distributions\n",
                    u.div, u.name);
    char tgt[96] = "";
    if (has_t)
        bf__target_label(l, tv, "s", tgt, sizeof tgt);
    bf__chart_var_num(c, "x_max", xmax / u.div);
    bf__chart_var_num(c, "target_value", has_t ? tv / u.div : NAN);
    bf__chart_var_str(c, "target_label", tgt);

    bool show_scope = false;
    for (size_t i = 1; i < n_cv; i++)
        show_scope |= strcmp(cv[i].key.scope, cv[0].key.scope) != 0 ||
                      strcmp(cv[i].key.scope_kind, cv[0].key.scope_kind) != 0;
    bool by_run = n_runs > 1;
    for (size_t i = 0; i < n_cv && st == BF_OK; i++) {
        if (cv[i].total == 0)
            continue;
        sbuf t = {0};
        if (by_run) {
            bf__sbuf_printf(&t, "%s %lld", bf__L(l, "run"), (long long)cv[i].run);
            for (size_t p = 0; p < n_vkeys; p++) {
                char *v = bf__report_param(r, cv[i].run, vkeys[p]);
                bf__sbuf_printf(&t, "%s%s=%s", p ? ", " : ": ", vkeys[p], v ? v : "-");
                bf_free(v);
            }
            if (n_runs * 1 < n_cv) {
                bf__sbuf_put(&t, " · ");
                label_of(l, &cv[i].key, show_scope, &t);
            }
        } else {
            label_of(l, &cv[i].key, show_scope, &t);
        }
        if (has_t) {
            char within[128], num[64];
            bf__fmt_quantity(l, tv, "s", num, sizeof num);
            snprintf(within, sizeof within, bf__L(l, "%.0f%% within %s"),
                     100 * share_le(cv[i].b, cv[i].n, cv[i].total, tv), num);
            bf__sbuf_printf(&t, " (%s)", within);
        }
        chart_series *s = t.oom ? NULL : bf__chart_add_series(c, t.s);
        bf__sbuf_fini(&t);
        if (!s) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        bf__sbuf_printf(&c->comment, "# series %zu = run %lld, %s %s%s%s, %s (key_index %d), %lld "
                                     "observations\n",
                        c->n_series, (long long)cv[i].run, cv[i].key.scope_kind, cv[i].key.scope,
                        cv[i].key.class_name[0] ? ", class " : "", cv[i].key.class_name, group,
                        cv[i].key.key_index, cv[i].total);
        bf__sbuf_put(&s->rows, "0\t0\t0\t0\t0\n");
        s->n_rows++;
        long long cum = 0;
        for (size_t b = 0; b < cv[i].n; b++) {
            cum += cv[i].b[b].count;
            bf__sbuf_num(&s->rows, cv[i].b[b].hi / u.div);
            bf__sbuf_put(&s->rows, "\t");
            bf__sbuf_num(&s->rows, 100.0 * (double)cum / (double)cv[i].total);
            bf__sbuf_put(&s->rows, "\t");
            bf__sbuf_num(&s->rows, cv[i].b[b].lo);
            bf__sbuf_put(&s->rows, "\t");
            bf__sbuf_num(&s->rows, cv[i].b[b].hi);
            bf__sbuf_printf(&s->rows, "\t%lld\n", cv[i].b[b].count);
            s->n_rows++;
        }
    }
done:
    for (size_t i = 0; cv && i < n_cv; i++)
        bf_free(cv[i].b);
    bf_free(cv);
    for (size_t i = 0; i < n_runs; i++)
        bf__rkeys_fini(&sel[i]);
    bf_free(sel);
    bf__strv_free(vkeys, n_vkeys);
    return st;
}
