/*
 * chart_bars.c - the bar charts: `utilization` (per station, coloured by
 * line, with the staffing under each bar) and `compare` (base against
 * policy per class or station, with the paired difference).
 *
 * Utilization bars are the stored aggregates: the mean across
 * replications of busy servers / servers on duty, with the Student t 95%
 * interval.  Comparison bars are the aggregates of each run; the labels
 * above them are the paired difference, policy - base, replication by
 * replication (the two runs share their random numbers, replication r of
 * one with replication r of the other), with its own interval, which is
 * much narrower than the two bars' intervals suggest.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- utilization -------------------------------------------------------- */

typedef struct station_bar {
    const rkey *key;
    char *line;
    rci util;
    double servers;             /* time-average servers on duty */
    int lo_servers, hi_servers; /* range of a staffing schedule, -1: none */
} station_bar;

/* The fewest and most servers of a schedule such as "00:00-06:00 1,
 * 06:00-10:00 7, 10:00-24:00 4": the last number of each part. */
static void schedule_range(const char *sched, int *lo, int *hi)
{
    *lo = *hi = -1;
    const char *p = sched;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *q = p + n;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
            q--;
        const char *d = q;
        while (d > p && d[-1] >= '0' && d[-1] <= '9')
            d--;
        if (d < q) {
            int v = atoi(d);
            if (*lo < 0 || v < *lo)
                *lo = v;
            if (v > *hi)
                *hi = v;
        }
        p = e ? e + 1 : NULL;
    }
}

static int line_rank(const char *line)
{
    return strcmp(line, "first") == 0 ? 0 : strcmp(line, "second") == 0 ? 1 : 2;
}

bf_status bf__chart_utilization(bf_report *r, const bf_chart_spec *spec, bf_chart *c,
                                bf_error *err)
{
    lang l = c->lang;
    if (spec->metric && strcmp(spec->metric, "utilization") != 0)
        return bf_error_set(err, BF_EINVAL, "the utilization chart draws utilization; leave out "
                            "--metric (got '%s')", spec->metric);
    bool has_t;
    double tv;
    bf_status st = bf__chart_target(spec, "share", &has_t, &tv, err);
    if (st != BF_OK)
        return st;
    int64_t run;
    st = bf__chart_one_run(r, spec, &run, err);
    if (st != BF_OK)
        return st;
    rkeys keys = {0};
    st = bf__report_select_keys(r, run, "utilization", spec->scopes, spec->n_scopes, NULL, 0,
                                "station", &keys, err);
    if (st != BF_OK)
        return st;
    station_bar *bars = bf_calloc(keys.n, sizeof *bars);
    size_t n_bars = 0;
    if (!bars) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < keys.n && st == BF_OK; i++) {
        const rkey *k = &keys.v[i];
        if (strcmp(k->scope_kind, "station") != 0)
            continue;
        station_bar *b = &bars[n_bars++];
        b->key = k;
        st = bf__report_aggregate(r, run, k->key_index, &b->util, err);
        b->servers = bf__report_agg_by_name(r, run, "station", k->scope, "", "servers").mean;
        char pk[300];
        snprintf(pk, sizeof pk, "station.%s.line", k->scope);
        b->line = bf__report_param(r, run, pk);
        snprintf(pk, sizeof pk, "station.%s.schedule", k->scope);
        char *sched = bf__report_param(r, run, pk);
        schedule_range(sched, &b->lo_servers, &b->hi_servers);
        bf_free(sched);
        if (!b->line && !(b->line = bf_strdup("none")))
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    if (st == BF_OK && n_bars == 0)
        st = bf_error_set(err, BF_EINVAL, "no station among the scopes asked for");
    if (st != BF_OK)
        goto done;
    /* First line, second line, then the rest; scenario order within. A
     * stable insertion sort: there are few stations. */
    for (size_t i = 1; i < n_bars; i++) {
        station_bar x = bars[i];
        size_t j = i;
        while (j > 0 && line_rank(bars[j - 1].line) > line_rank(x.line))
            bars[j] = bars[j - 1], j--;
        bars[j] = x;
    }

    bf_report_run info;
    st = bf_report_run_get(r, run, &info, err);
    if (st == BF_OK &&
        !(bf__chart_set(&c->title, bf__L(l, "Station utilization and staffing")) &&
          bf__chart_set(&c->subtitle, info.title[0] ? info.title : info.scenario) &&
          bf__chart_set(&c->x_label, bf__L(l, "station")) &&
          bf__chart_set(&c->y_label, bf__L(l, "utilization (%)")) &&
          bf__chart_set(&c->columns,
                        "x\tstation\tstaffing\tutil_pct\tci_low_pct\tci_high_pct\tservers")))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf_report_run_fini(&info);
    if (st == BF_OK)
        st = bf__chart_footnote(r, c, &run, 1,
                                bf__L(l, "bars: mean utilization (busy servers / servers on "
                                         "duty); whiskers: 95% CI"),
                                err);
    if (st != BF_OK)
        goto done;
    bf__sbuf_put(&c->comment, "# util_pct = 100 x aggregates.mean of metric utilization; "
                              "ci_*_pct = 100 x ci_low / ci_high; servers = aggregates.mean of "
                              "metric servers (time-average servers on duty); staffing: the "
                              "range of the station's schedule, if it has one\n");
    bf__chart_var_num(c, "target_value", has_t ? 100 * tv : NAN);
    char tl[96] = "";
    if (has_t)
        bf__target_label(l, tv, "share", tl, sizeof tl);
    bf__chart_var_str(c, "target_label", tl);
    bf__chart_var_num(c, "n_bars", (double)n_bars);

    chart_series *s = NULL;
    const char *cur = NULL;
    for (size_t i = 0; i < n_bars && st == BF_OK; i++) {
        station_bar *b = &bars[i];
        if (!cur || line_rank(cur) != line_rank(b->line) ||
            (line_rank(cur) == 2 && strcmp(cur, b->line) != 0)) {
            cur = b->line;
            const char *name = strcmp(cur, "first") == 0    ? bf__L(l, "first line")
                               : strcmp(cur, "second") == 0 ? bf__L(l, "second line")
                                                            : bf__L(l, "no line");
            if (!(s = bf__chart_add_series(c, name))) {
                st = bf_error_set(err, BF_ENOMEM, "out of memory");
                break;
            }
        }
        char staff[96];
        if (b->lo_servers >= 0 && b->hi_servers > b->lo_servers)
            snprintf(staff, sizeof staff, bf__L(l, "%d-%d servers, avg %.1f"), b->lo_servers,
                     b->hi_servers, b->servers);
        else if (isnan(b->servers))
            snprintf(staff, sizeof staff, "-");
        else if (fabs(b->servers - 1) < 1e-9)
            snprintf(staff, sizeof staff, "%s", bf__L(l, "1 server"));
        else if (fabs(b->servers - round(b->servers)) < 1e-9)
            snprintf(staff, sizeof staff, bf__L(l, "%g servers"), round(b->servers));
        else
            snprintf(staff, sizeof staff, bf__L(l, "%.1f servers (avg)"), b->servers);
        bf__sbuf_printf(&s->rows, "%zu\t%s\t%s\t", i, b->key->scope, staff);
        bf__sbuf_num(&s->rows, 100 * b->util.mean);
        bf__sbuf_put(&s->rows, "\t");
        bf__sbuf_num(&s->rows, 100 * b->util.lo);
        bf__sbuf_put(&s->rows, "\t");
        bf__sbuf_num(&s->rows, 100 * b->util.hi);
        bf__sbuf_put(&s->rows, "\t");
        bf__sbuf_num(&s->rows, b->servers);
        bf__sbuf_put(&s->rows, "\n");
        s->n_rows++;
    }
done:
    for (size_t i = 0; bars && i < n_bars; i++)
        bf_free(bars[i].line);
    bf_free(bars);
    bf__rkeys_fini(&keys);
    return st;
}

/* ---- compare ------------------------------------------------------------ */

/* The default pair: the latest comparison the store records, else the
 * latest finished run against the finished run of the same scenario
 * before it. */
static bf_status default_pair(bf_report *r, int64_t *base, int64_t *policy, bf_error *err)
{
    if (bf__report_has_table(r, "comparisons")) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(r->db, "SELECT base_run_id, policy_run_id FROM comparisons"
                                      " ORDER BY id DESC LIMIT 1",
                               -1, &q, NULL) == SQLITE_OK) {
            bool got = sqlite3_step(q) == SQLITE_ROW;
            if (got) {
                *base = sqlite3_column_int64(q, 0);
                *policy = sqlite3_column_int64(q, 1);
            }
            sqlite3_finalize(q);
            if (got)
                return BF_OK;
        }
    }
    bf_status st = bf_report_latest_run(r, policy, err);
    if (st != BF_OK)
        return st;
    sqlite3_stmt *q;
    st = bf__report_prepare(r, "SELECT max(b.id) FROM runs b JOIN scenarios sb ON sb.id ="
                               " b.scenario_id, runs p JOIN scenarios sp ON sp.id = p.scenario_id"
                               " WHERE p.id = ?1 AND b.id < p.id"
                               " AND b.status IN ('done', 'partial') AND sb.name = sp.name",
                            &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, *policy);
    bool got = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
    if (got)
        *base = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (!got)
        return bf_error_set(err, BF_ESTATE, "the compare chart needs two runs of one scenario "
                            "(base and policy); the store's latest run %lld has no earlier "
                            "finished run of its scenario; name them with --run BASE,POLICY",
                            (long long)*policy);
    return BF_OK;
}

/* The key of policy that matches k by names, or -1. */
static int match_key(bf_report *r, int64_t run, const rkey *k)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, "SELECT key_index FROM metric_keys WHERE run_id = ?1 AND"
                                  " scope_kind = ?2 AND scope = ?3 AND class = ?4 AND metric = ?5",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_text(q, 2, k->scope_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, k->scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, k->class_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, k->metric, -1, SQLITE_STATIC);
    int idx = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
    sqlite3_finalize(q);
    return idx;
}

/* Paired difference b - a over the replications both have. */
static bf_status paired(bf_report *r, int64_t a_run, int a_key, int64_t b_run, int b_key, rci *out,
                        bf_error *err)
{
    int *ra = NULL, *rb = NULL;
    double *va = NULL, *vb = NULL;
    size_t na = 0, nb = 0;
    bf_status st = bf__report_rep_values(r, a_run, a_key, &ra, &va, &na, err);
    if (st == BF_OK)
        st = bf__report_rep_values(r, b_run, b_key, &rb, &vb, &nb, err);
    if (st == BF_OK) {
        /* Both lists are in replication order: merge. The differences
         * overwrite va, which is no longer needed. */
        size_t i = 0, j = 0, m = 0;
        while (i < na && j < nb) {
            if (ra[i] < rb[j])
                i++;
            else if (ra[i] > rb[j])
                j++;
            else
                va[m++] = vb[j++] - va[i++];
        }
        *out = bf__ci95(va, m);
    }
    bf_free(ra);
    bf_free(rb);
    bf_free(va);
    bf_free(vb);
    return st;
}

/* A short description of a run for the legend: "policy: run 2
 * (station.sl_check.servers=3)".  The seed, the replications and the
 * scenario's descriptive texts (title, description) are not what a policy
 * changes and are left out; the footer names the scenarios. */
static bool legend_skips(const char *key)
{
    return strcmp(key, "simulation.seed") == 0 || strcmp(key, "simulation.replications") == 0 ||
           strcmp(key, "simulation.title") == 0 || strcmp(key, "simulation.description") == 0;
}

static void run_title(bf_report *r, lang l, const char *role, int64_t run, char **vkeys,
                      size_t n_vkeys, sbuf *t)
{
    bf__sbuf_printf(t, l == LANG_ZH ? "%s：%s %lld" : "%s: %s %lld", bf__L(l, role),
                    bf__L(l, "run"), (long long)run);
    size_t shown = 0, n_show = 0;
    for (size_t p = 0; p < n_vkeys; p++)
        n_show += !legend_skips(vkeys[p]);
    /* One parameter may take the legend's width (a whole staffing
     * schedule); two share it. */
    int room = n_show == 1 ? 72 : 24;
    for (size_t p = 0; p < n_vkeys; p++) {
        if (legend_skips(vkeys[p]))
            continue;
        if (shown == 2) {
            bf__sbuf_put(t, ", ...");
            break;
        }
        char *v = bf__report_param(r, run, vkeys[p]);
        if (!v)
            continue; /* the other run has it: nothing to say about this one */
        if ((int)strlen(v) > room)
            bf__sbuf_printf(t, "%s%s=%.*s...", shown++ ? ", " : " (", vkeys[p], room - 3, v);
        else
            bf__sbuf_printf(t, "%s%s=%s", shown++ ? ", " : " (", vkeys[p], v);
        bf_free(v);
    }
    if (shown)
        bf__sbuf_put(t, ")");
}

/* "−0.74 ± 0.21", with the mean rounded where its interval makes further
 * digits meaningless (two significant digits of the half-width); "no
 * change" when the runs agree replication by replication. */
static void diff_label(lang l, double d, double h, char *buf, size_t len)
{
    /* A real minus sign reads better than a hyphen. */
    const char *sign = d < 0 ? "−" : "+";
    if (d == 0 && (h == 0 || isnan(h))) {
        snprintf(buf, len, "%s", l == LANG_ZH ? "无变化" : "no change");
        return;
    }
    if (isnan(h) || h <= 0) {
        snprintf(buf, len, "%s%.3g", sign, fabs(d));
        return;
    }
    int dec = 1 - (int)floor(log10(h));
    if (dec < 0)
        dec = 0;
    if (dec > 6)
        dec = 6;
    bool ns = fabs(d) <= h;
    snprintf(buf, len, "%s%.*f ± %.*f%s", sign, dec, fabs(d), dec, h,
             ns ? (l == LANG_ZH ? "（不显著）" : " (n.s.)") : "");
}

typedef struct cmp_row {
    char label[160];
    rci base, policy, diff;
} cmp_row;

bf_status bf__chart_compare(bf_report *r, const bf_chart_spec *spec, bf_chart *c, bf_error *err)
{
    lang l = c->lang;
    int64_t pair[2];
    bf_status st = BF_OK;
    if (spec->n_runs == 2) {
        pair[0] = spec->runs[0];
        pair[1] = spec->runs[1];
        for (int i = 0; i < 2 && st == BF_OK; i++) {
            bf_report_run info;
            st = bf_report_run_get(r, pair[i], &info, err);
            bf_report_run_fini(&info);
        }
    } else if (spec->n_runs == 0) {
        st = default_pair(r, &pair[0], &pair[1], err);
    } else {
        st = bf_error_set(err, BF_EINVAL, "the compare chart needs two runs, base and policy: "
                          "--run BASE,POLICY (got %zu)", spec->n_runs);
    }
    if (st != BF_OK)
        return st;
    const char *metric = spec->metric ? spec->metric : "wait_p95";
    rkeys keys = {0};
    char **vkeys = NULL;
    size_t n_vkeys = 0;
    cmp_row *rows = NULL;
    size_t n_rows = 0;
    st = bf__report_select_keys(r, pair[0], metric, spec->scopes, spec->n_scopes, spec->classes,
                                spec->n_classes, "class", &keys, err);
    if (st == BF_OK && keys.n > 16)
        st = bf_error_set(err, BF_EINVAL, "%zu bars pairs are too many for one chart (at most "
                          "16); choose with --scope or --class", keys.n);
    if (st == BF_OK && !(rows = bf_calloc(keys.n, sizeof *rows)))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    if (st == BF_OK)
        st = bf__report_varied_params(r, pair, 2, &vkeys, &n_vkeys, err);
    bool show_scope = false;
    for (size_t i = 1; i < keys.n; i++)
        show_scope |= strcmp(keys.v[i].scope, keys.v[0].scope) != 0;
    for (size_t i = 0; i < keys.n && st == BF_OK; i++) {
        const rkey *k = &keys.v[i];
        int pk = match_key(r, pair[1], k);
        if (pk < 0)
            continue;
        cmp_row *row = &rows[n_rows];
        st = bf__report_aggregate(r, pair[0], k->key_index, &row->base, err);
        if (st == BF_OK)
            st = bf__report_aggregate(r, pair[1], pk, &row->policy, err);
        if (st == BF_OK)
            st = paired(r, pair[0], k->key_index, pair[1], pk, &row->diff, err);
        if (st != BF_OK)
            break;
        if (isnan(row->base.mean) && isnan(row->policy.mean))
            continue;
        bool per_class = k->class_name[0] && strcmp(k->scope_kind, "class") != 0;
        const char *scope = bf__scope_label(l, k->scope_kind, k->scope);
        if (show_scope && per_class)
            snprintf(row->label, sizeof row->label, "%s · %s", scope,
                     bf__name_label(l, k->class_name));
        else
            snprintf(row->label, sizeof row->label, "%s",
                     per_class ? bf__name_label(l, k->class_name) : scope);
        n_rows++;
    }
    if (st == BF_OK && n_rows == 0)
        st = bf_error_set(err, BF_EINVAL, "runs %lld and %lld have no '%s' in common",
                          (long long)pair[0], (long long)pair[1], metric);
    if (st != BF_OK)
        goto done;

    /* Display unit. */
    const char *unit = keys.v[0].unit;
    bool has_t;
    double tv;
    st = bf__chart_target(spec, unit, &has_t, &tv, err);
    if (st != BF_OK)
        goto done;
    double div = 1, mult = 1;
    const char *uname = bf__unit_label(l, unit);
    if (strcmp(unit, "s") == 0) {
        double mx = 0;
        for (size_t i = 0; i < n_rows; i++) {
            double v[] = {rows[i].base.hi, rows[i].policy.hi, rows[i].base.mean,
                          rows[i].policy.mean};
            for (int j = 0; j < 4; j++)
                if (v[j] > mx)
                    mx = v[j];
        }
        tunit u = bf__time_unit(mx);
        div = u.div;
        uname = bf__unit_label(l, u.name);
    } else if (strcmp(unit, "share") == 0) {
        mult = 100;
        uname = "%";
    }
    double scale = mult / div;
    char mlabel[96], title[160], ylab[160];
    bf__metric_label(l, metric, mlabel, sizeof mlabel);
    snprintf(title, sizeof title, bf__L(l, "%s: base vs policy"), mlabel);
    if (l == LANG_EN && title[0] >= 'a' && title[0] <= 'z')
        title[0] = (char)(title[0] - 'a' + 'A');
    snprintf(ylab, sizeof ylab, l == LANG_ZH ? "%s（%s）" : "%s (%s)", mlabel, uname);
    bf_report_run info;
    st = bf_report_run_get(r, pair[1], &info, err);
    if (st == BF_OK &&
        !(bf__chart_set(&c->title, title) &&
          bf__chart_set(&c->subtitle, info.title[0] ? info.title : info.scenario) &&
          bf__chart_set(&c->x_label, "") && bf__chart_set(&c->y_label, ylab) &&
          bf__chart_set(&c->columns, "x\tcategory\tmean\tci_low\tci_high\tdiff\tdiff_low"
                                     "\tdiff_high\tlabel_y\tlabel")))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf_report_run_fini(&info);
    if (st == BF_OK)
        st = bf__chart_footnote(r, c, pair, 2,
                                bf__L(l, "bars: means with 95% CI; labels: paired difference "
                                         "policy - base with 95% CI (common random numbers)"),
                                err);
    if (st != BF_OK)
        goto done;
    char sc[40];
    bf__fmt_exact(sc, sizeof sc, scale);
    bf__sbuf_printf(&c->comment, "# mean, ci_* = aggregates of %s (store unit %s) x %s; diff = "
                                 "mean over common replications of policy - base, with its "
                                 "Student t 95%% CI, same scale\n",
                    metric, unit, sc);
    bf__chart_var_num(c, "n_bars", (double)n_rows);
    bf__chart_var_num(c, "target_value", has_t ? tv * scale : NAN);
    char tl[96] = "";
    if (has_t)
        bf__target_label(l, tv, unit, tl, sizeof tl);
    bf__chart_var_str(c, "target_label", tl);
    for (int side = 0; side < 2 && st == BF_OK; side++) {
        sbuf t = {0};
        run_title(r, l, side ? "policy" : "base", pair[side], vkeys, n_vkeys, &t);
        chart_series *s = t.oom ? NULL : bf__chart_add_series(c, t.s);
        bf__sbuf_fini(&t);
        if (!s) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        for (size_t i = 0; i < n_rows; i++) {
            const cmp_row *row = &rows[i];
            const rci *v = side ? &row->policy : &row->base;
            double top = fmax(isnan(row->base.hi) ? row->base.mean : row->base.hi,
                              isnan(row->policy.hi) ? row->policy.mean : row->policy.hi);
            char lab[96] = "-";
            if (side && !isnan(row->diff.mean))
                diff_label(l, row->diff.mean * scale, row->diff.half_width * scale, lab,
                           sizeof lab);
            bf__sbuf_printf(&s->rows, "%g\t%s\t", (double)i + (side ? 0.19 : -0.19),
                            row->label);
            double vals[] = {v->mean * scale,
                             v->lo * scale,
                             v->hi * scale,
                             side ? row->diff.mean * scale : NAN,
                             side ? row->diff.lo * scale : NAN,
                             side ? row->diff.hi * scale : NAN,
                             top * scale};
            for (int j = 0; j < 7; j++) {
                bf__sbuf_num(&s->rows, vals[j]);
                bf__sbuf_put(&s->rows, "\t");
            }
            bf__sbuf_printf(&s->rows, "%s\n", lab);
            s->n_rows++;
        }
    }
done:
    bf_free(rows);
    bf__strv_free(vkeys, n_vkeys);
    bf__rkeys_fini(&keys);
    return st;
}
