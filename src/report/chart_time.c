/*
 * chart_time.c - the `timeseries` chart: queue lengths, numbers present in
 * delays (e.g. people in the zone) or in the whole system, from the
 * samples every replication took every `sample_every`.
 *
 * By time of day (the default) the samples after the warm-up are folded
 * onto one day: each replication's mean at each time of day (over the
 * days it simulated), then the mean of those across replications with a
 * Student t 95% interval.  Replications are independent, days within one
 * replication are not, which is why the interval is taken across
 * replications only.  With `absolute` the x axis is simulated time in
 * days, warm-up included (and shaded), each sample time's mean across
 * replications with its interval.
 *
 * Memory: one (bins x replications) table of sums per series; bins are the
 * samples of one day (fold) or of the whole horizon (absolute).
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct skey {
    int index;
    char *scope_kind, *scope, *metric;
    double mean; /* over all samples, to rank the default selection */
} skey;

static void skeys_free(skey *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        bf_free(v[i].scope_kind);
        bf_free(v[i].scope);
        bf_free(v[i].metric);
    }
    bf_free(v);
}

static bf_status load_series(bf_report *r, int64_t run, skey **out, size_t *n, bf_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q;
    /* The ranking mean reads every sample once: a few hundred thousand
     * rows for a long run, in primary-key order. */
    bf_status st = bf__report_prepare(r,
                                      "SELECT k.series_index, k.scope_kind, k.scope, k.metric,"
                                      " (SELECT avg(value) FROM timeseries ts WHERE"
                                      " ts.run_id = k.run_id AND ts.series_index ="
                                      " k.series_index) FROM series_keys k WHERE k.run_id = ?1"
                                      " ORDER BY k.series_index",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        skey *v = bf_realloc(*out, (*n + 1) * sizeof *v);
        if (!v) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        *out = v;
        skey *k = &v[(*n)++];
        *k = (skey){.index = sqlite3_column_int(q, 0),
                    .scope_kind = bf_strdup(bf__col_text(q, 1)),
                    .scope = bf_strdup(bf__col_text(q, 2)),
                    .metric = bf_strdup(bf__col_text(q, 3)),
                    .mean = bf__col_double(q, 4)};
        if (!k->scope_kind || !k->scope || !k->metric) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot read the time series");
    sqlite3_finalize(q);
    return st;
}

static const char *series_name(const skey *k)
{
    return strcmp(k->scope_kind, "system") == 0 ? "system" : k->scope;
}

/* Picks the series to draw into sel[] (indices into keys). */
static bf_status choose(const bf_chart_spec *spec, int64_t run, skey *keys, size_t n, size_t *sel,
                        size_t *n_sel, bf_error *err)
{
    *n_sel = 0;
    const char *metric = spec->metric;
    if (metric) {
        bool found = false;
        const char *names[64];
        size_t n_names = 0;
        for (size_t i = 0; i < n; i++) {
            found |= strcmp(keys[i].metric, metric) == 0;
            bool dup = false;
            for (size_t j = 0; j < n_names && !dup; j++)
                dup = strcmp(names[j], keys[i].metric) == 0;
            if (!dup && n_names < 64)
                names[n_names++] = keys[i].metric;
        }
        if (!found) {
            const char *best = bf_closest(metric, names, n_names);
            bf_error_clear(err);
            bf_error_at(err, NULL, 0, NULL, NULL, metric);
            return bf_error_set(err, BF_EINVAL, "unknown time-series metric '%s' in run %lld%s%s%s"
                                " (the series are queue_length, present and in_system)",
                                metric, (long long)run, best ? "; did you mean '" : "",
                                best ? best : "", best ? "'?" : "");
        }
    }
    if (spec->n_scopes) {
        for (size_t s = 0; s < spec->n_scopes; s++) {
            bool found = false;
            for (size_t i = 0; i < n; i++) {
                if (strcmp(series_name(&keys[i]), spec->scopes[s]) != 0)
                    continue;
                if (metric && strcmp(keys[i].metric, metric) != 0)
                    continue;
                found = true;
                if (*n_sel < BF_CHART_MAX_SERIES + 1)
                    sel[(*n_sel)++] = i;
            }
            if (!found) {
                const char *names[256];
                size_t k = 0;
                for (size_t i = 0; i < n && k < 256; i++)
                    names[k++] = series_name(&keys[i]);
                const char *best = bf_closest(spec->scopes[s], names, k);
                bf_error_clear(err);
                bf_error_at(err, NULL, 0, NULL, NULL, spec->scopes[s]);
                return bf_error_set(err, BF_EINVAL, "run %lld has no time series%s%s for '%s'%s%s%s",
                                    (long long)run, metric ? " " : "", metric ? metric : "",
                                    spec->scopes[s], best ? "; did you mean '" : "",
                                    best ? best : "", best ? "'?" : "");
            }
        }
    } else {
        /* Default: the five longest queues (or the largest delays or the
         * system), highest mean first, so the legend reads in order. */
        const char *want = metric ? metric : "queue_length";
        size_t limit = strcmp(want, "queue_length") == 0 ? 5 : BF_CHART_MAX_SERIES;
        bool used[4096] = {false};
        while (*n_sel < limit) {
            size_t best = n;
            for (size_t i = 0; i < n && i < 4096; i++) {
                if (used[i] || strcmp(keys[i].metric, want) != 0)
                    continue;
                double m = isnan(keys[i].mean) ? -1 : keys[i].mean;
                double bm = best < n ? (isnan(keys[best].mean) ? -1 : keys[best].mean) : -2;
                if (m > bm)
                    best = i;
            }
            if (best == n)
                break;
            used[best] = true;
            sel[(*n_sel)++] = best;
        }
        if (*n_sel == 0)
            return bf_error_set(err, BF_EINVAL, "run %lld has no '%s' time series", (long long)run,
                                want);
    }
    if (*n_sel > BF_CHART_MAX_SERIES)
        return bf_error_set(err, BF_EINVAL, "too many series for one chart (at most %d); name "
                            "fewer with --scope", BF_CHART_MAX_SERIES);
    return BF_OK;
}

/* Completed replications of run, in order.  OUT: *reps (bf_free). */
static bf_status completed(bf_report *r, int64_t run, int **reps, size_t *n, bf_error *err)
{
    *reps = NULL;
    *n = 0;
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r, "SELECT replication FROM replications WHERE run_id = ?1"
                                         " ORDER BY replication",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int *v = bf_realloc(*reps, (*n + 1) * sizeof *v);
        if (!v) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        *reps = v;
        v[(*n)++] = sqlite3_column_int(q, 0);
    }
    if (st == BF_OK && rc != SQLITE_DONE)
        st = bf__report_fail(r, rc, err, "cannot read the replications");
    sqlite3_finalize(q);
    return st;
}

static long rep_pos(const int *reps, size_t n, int rep)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (reps[mid] < rep)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && reps[lo] == rep ? (long)lo : -1;
}

/* Fills the series' rows: x, mean, ci_low, ci_high, n. */
static bf_status one_series(bf_report *r, int64_t run, const skey *k, const bf_report_run *info,
                            bool absolute, const int *reps, size_t n_reps, chart_series *s,
                            bf_error *err)
{
    const double day = 86400.0, every = info->sample_every_s;
    size_t n_bins = absolute ? (size_t)floor(info->horizon_s / every + 1e-9) + 1
                             : (size_t)ceil(day / every - 1e-9);
    double *sum = bf_calloc(n_bins * n_reps, sizeof *sum);
    int *cnt = bf_calloc(n_bins * n_reps, sizeof *cnt);
    double *col = bf_calloc(n_reps, sizeof *col);
    sqlite3_stmt *q = NULL;
    bf_status st = BF_OK;
    if (!sum || !cnt || !col) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    st = bf__report_prepare(r, "SELECT replication, t, value FROM timeseries WHERE run_id = ?1"
                               " AND series_index = ?2 AND t >= ?3 AND value IS NOT NULL",
                            &q, err);
    if (st != BF_OK)
        goto done;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_int(q, 2, k->index);
    /* Folded: the samples after the warm-up.  The one at the warm-up
     * instant itself belongs to the transient (and would give midnight
     * one sample more than every other time of day). */
    sqlite3_bind_double(q, 3, absolute ? 0.0 : info->warmup_s + every / 2);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        long p = rep_pos(reps, n_reps, sqlite3_column_int(q, 0));
        if (p < 0)
            continue; /* a replication that never completed */
        double t = sqlite3_column_double(q, 1);
        /* Samples sit on multiples of `every`; rounding to the nearest
         * bin absorbs the last bits of floating-point time. */
        size_t b;
        if (absolute) {
            b = (size_t)llround(t / every);
        } else {
            double tod = fmod(t, day);
            b = (size_t)llround(tod / every);
            if (b >= n_bins)
                b = 0; /* 23:59:59.999 rounds to midnight */
        }
        if (b >= n_bins)
            continue;
        sum[b * n_reps + (size_t)p] += sqlite3_column_double(q, 2);
        cnt[b * n_reps + (size_t)p]++;
    }
    if (rc != SQLITE_DONE) {
        st = bf__report_fail(r, rc, err, "cannot read the time series");
        goto done;
    }
    for (size_t b = 0; b <= n_bins; b++) {
        /* Time of day: the bin at 24:00 repeats midnight, so the curve
         * spans the whole day (only when the samples divide the day). */
        size_t src = b;
        if (b == n_bins) {
            if (absolute || fabs(n_bins * every - day) > 1e-6)
                break;
            src = 0;
        }
        size_t m = 0;
        for (size_t p = 0; p < n_reps; p++)
            if (cnt[src * n_reps + p])
                col[m++] = sum[src * n_reps + p] / cnt[src * n_reps + p];
        if (m == 0)
            continue;
        rci c = bf__ci95(col, m);
        double x = absolute ? b * every / day : b * every / 3600.0;
        bf__sbuf_num(&s->rows, x);
        bf__sbuf_put(&s->rows, "\t");
        bf__sbuf_num(&s->rows, c.mean);
        bf__sbuf_put(&s->rows, "\t");
        bf__sbuf_num(&s->rows, c.lo);
        bf__sbuf_put(&s->rows, "\t");
        bf__sbuf_num(&s->rows, c.hi);
        bf__sbuf_printf(&s->rows, "\t%zu\n", m);
        s->n_rows++;
    }
done:
    sqlite3_finalize(q);
    bf_free(sum);
    bf_free(cnt);
    bf_free(col);
    return st;
}

bf_status bf__chart_timeseries(bf_report *r, const bf_chart_spec *spec, bf_chart *c, bf_error *err)
{
    bool has_t;
    double tv;
    bf_status st = bf__chart_target(spec, "entities", &has_t, &tv, err);
    if (st != BF_OK)
        return st;
    int64_t run;
    st = bf__chart_one_run(r, spec, &run, err);
    if (st != BF_OK)
        return st;
    bf_report_run info;
    skey *keys = NULL;
    size_t n_keys = 0;
    int *reps = NULL;
    size_t n_reps = 0;
    st = bf_report_run_get(r, run, &info, err);
    if (st == BF_OK && !(info.sample_every_s > 0))
        st = bf_error_set(err, BF_ESTATE, "run %lld has no time series (sample_every = 0); run "
                          "with --set simulation.sample_every=15min", (long long)run);
    if (st == BF_OK)
        st = load_series(r, run, &keys, &n_keys, err);
    if (st == BF_OK && n_keys == 0)
        st = bf_error_set(err, BF_ESTATE, "run %lld has no time series stored (was it run with "
                          "--no-series?)", (long long)run);
    if (st == BF_OK)
        st = completed(r, run, &reps, &n_reps, err);
    if (st == BF_OK && n_reps == 0)
        st = bf_error_set(err, BF_ESTATE, "run %lld has no completed replication", (long long)run);
    if (st == BF_OK && !spec->absolute && !(info.horizon_s - info.warmup_s >= 86400.0 - 1e-6))
        st = bf_error_set(err, BF_ESTATE, "run %lld observes less than a day after its warm-up; "
                          "draw it with --absolute", (long long)run);
    size_t sel[BF_CHART_MAX_SERIES + 1];
    size_t n_sel = 0;
    if (st == BF_OK)
        st = choose(spec, run, keys, n_keys, sel, &n_sel, err);
    if (st != BF_OK)
        goto done;

    lang l = c->lang;
    bool mixed = false;
    for (size_t i = 1; i < n_sel; i++)
        mixed |= strcmp(keys[sel[i]].metric, keys[sel[0]].metric) != 0;
    const char *m0 = mixed ? "" : keys[sel[0]].metric;
    const char *title, *ylab;
    bool abs = spec->absolute;
    if (strcmp(m0, "queue_length") == 0) {
        title = abs ? "Queue length over the run" : "Queue length by time of day";
        ylab = "number waiting";
    } else if (strcmp(m0, "present") == 0) {
        title = abs ? "Number present over the run" : "Number present by time of day";
        ylab = "number present";
    } else if (strcmp(m0, "in_system") == 0) {
        title = abs ? "Number in the system over the run" : "Number in the system by time of day";
        ylab = "number in the system";
    } else {
        title = abs ? "Occupancy over the run" : "Occupancy by time of day";
        ylab = "number";
    }
    sbuf y = {0}, foot = {0};
    bf__sbuf_printf(&y, l == LANG_ZH ? "%s（%s）" : "%s (%s)", bf__L(l, ylab),
                    bf__unit_label(l, "entities"));
    char days[96], wu[32];
    double d0 = info.warmup_s / 86400.0, d1 = info.horizon_s / 86400.0;
    snprintf(wu, sizeof wu, "%g d", d0);
    if (abs) {
        bf__sbuf_put(&foot, bf__L(l, "lines: mean over replications; bands: 95% CI across "
                                     "replications; warm-up shaded"));
    } else {
        if (l == LANG_ZH)
            snprintf(days, sizeof days, "%g 天预热期之后 %g 天内", d0, d1 - d0);
        else
            snprintf(days, sizeof days, "(the %g days after the %s warm-up)", d1 - d0, wu);
        bf__sbuf_printf(&foot, bf__L(l, "lines: mean over replications and days %s; bands: 95%% "
                                        "CI across replications"),
                        days);
    }
    bool ok = !y.oom && !foot.oom && bf__chart_set(&c->title, bf__L(l, title)) &&
              bf__chart_set(&c->subtitle, info.title[0] ? info.title : info.scenario) &&
              bf__chart_set(&c->x_label, bf__L(l, abs ? "simulated time (days)"
                                                      : "time of day (h)")) &&
              bf__chart_set(&c->y_label, y.s) &&
              bf__chart_set(&c->columns, abs ? "day\tmean\tci_low\tci_high\tn"
                                             : "hour\tmean\tci_low\tci_high\tn");
    if (ok)
        st = bf__chart_footnote(r, c, &run, 1, foot.s, err);
    else
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf__sbuf_fini(&y);
    bf__sbuf_fini(&foot);
    if (st != BF_OK)
        goto done;
    bf__sbuf_printf(&c->comment, "# values: entities, from table timeseries (only completed "
                                 "replications); %s\n",
                    abs ? "x = t_s / 86400, every sample time"
                        : "x = hour of day; each replication's mean over its days after "
                          "the warm-up, then mean and Student t 95% CI across replications");
    bf__chart_var_num(c, "absolute", abs ? 1 : 0);
    bf__chart_var_num(c, "warmup", abs ? info.warmup_s / 86400.0 : 0);
    bf__chart_var_str(c, "warmup_label", bf__L(l, "warm-up"));
    bf__chart_var_num(c, "target_value", has_t ? tv : NAN);
    {
        char tl[96] = "";
        if (has_t)
            bf__target_label(l, tv, "entities", tl, sizeof tl);
        bf__chart_var_str(c, "target_label", tl);
    }
    for (size_t i = 0; i < n_sel && st == BF_OK; i++) {
        const skey *k = &keys[sel[i]];
        const char *name = strcmp(k->scope_kind, "system") == 0 ? bf__L(l, "whole system")
                                                                : bf__name_label(l, k->scope);
        chart_series *s = bf__chart_add_series(c, name);
        if (!s) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        st = one_series(r, run, k, &info, abs, reps, n_reps, s, err);
        if (st == BF_OK && s->n_rows == 0) {
            /* No samples (a run stored with --no-series): leave it out. */
            bf_free(s->title);
            bf__sbuf_fini(&s->rows);
            c->n_series--;
            continue;
        }
        bf__sbuf_printf(&c->comment, "# series %zu = %s %s, %s (series_index %d)\n",
                        c->n_series, k->scope_kind, k->scope, k->metric, k->index);
    }
    if (st == BF_OK && c->n_series == 0)
        st = bf_error_set(err, BF_ESTATE, "run %lld has no time series stored for that "
                          "selection (was it run with --no-series?)", (long long)run);
done:
    bf_free(reps);
    skeys_free(keys, n_keys);
    bf_report_run_fini(&info);
    return st;
}
