/*
 * chart_sweep.c - the `sweep` chart: a metric against a parameter that
 * varies between runs (the points of a sweep), one curve per class or
 * station, with each point's 95% confidence interval as error bars, and
 * an optional target line ("95% within 10 minutes").
 *
 * Which runs: those given, else the points of the latest sweep the store
 * records (tables sweeps / sweep_points, written by `borderflow sweep`).
 * Which parameter: --vary, else the one the sweep varies, else the one
 * parameter whose value differs between the runs.  When a second
 * parameter varies too, each of its values gets its own curve.
 *
 * Parameter values are read as numbers where they are numbers (servers,
 * "70%", "240/h", "10min"), so the x axis is to scale; values that are
 * not numbers (a distribution) are placed evenly and labelled.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/units.h"

/* How the x values read. */
typedef enum xkind { X_NUMBER, X_SHARE, X_DURATION, X_RATE, X_TEXT } xkind;

static xkind parse_x(const char *s, double *v)
{
    char why[8];
    if (bf_parse_number(s, v, why, sizeof why) == BF_OK)
        return X_NUMBER;
    if (strchr(s, '%') && bf_parse_share(s, v, why, sizeof why) == BF_OK)
        return X_SHARE;
    if (strchr(s, '/') && bf_parse_rate(s, v, why, sizeof why) == BF_OK)
        return X_RATE;
    if (bf_parse_duration(s, v, why, sizeof why) == BF_OK)
        return X_DURATION;
    return X_TEXT;
}

/* The runs of sweep `sweep` (0: the latest), and its first varied key.
 * Returns false (and nothing allocated) when the store has no such sweep. */
static bool sweep_runs(bf_report *r, int64_t sweep, int64_t **runs, size_t *n, char **key)
{
    *runs = NULL;
    *n = 0;
    *key = NULL;
    if (!bf__report_has_table(r, "sweeps") || !bf__report_has_table(r, "sweep_points"))
        return false;
    sqlite3_stmt *q;
    if (!sweep) {
        if (sqlite3_prepare_v2(r->db, "SELECT max(id) FROM sweeps", -1, &q, NULL) != SQLITE_OK)
            return false;
        if (sqlite3_step(q) == SQLITE_ROW)
            sweep = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    if (!sweep)
        return false;
    if (sqlite3_prepare_v2(r->db, "SELECT run_id FROM sweep_points WHERE sweep_id = ?1 ORDER BY"
                                  " point_index",
                           -1, &q, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(q, 1, sweep);
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t *v = bf_realloc(*runs, (*n + 1) * sizeof *v);
        if (!v)
            break;
        *runs = v;
        v[(*n)++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    if (bf__report_has_table(r, "sweep_keys") &&
        sqlite3_prepare_v2(r->db, "SELECT key FROM sweep_keys WHERE sweep_id = ?1 ORDER BY"
                                  " key_index LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, sweep);
        if (sqlite3_step(q) == SQLITE_ROW)
            *key = bf_strdup(bf__col_text(q, 0));
        sqlite3_finalize(q);
    }
    return *n > 0;
}

typedef struct spoint {
    int64_t run;
    char *xtext;   /* the parameter's value as stored */
    double x;      /* its number (X_TEXT: position) */
    char *group;   /* the other varied parameters, "k=v, k=v" ("" if none) */
    rci *vals;     /* one per selected key */
} spoint;

static int cmp_point(const void *a, const void *b)
{
    const spoint *p = a, *q = b;
    int g = strcmp(p->group, q->group);
    if (g)
        return g;
    return (p->x > q->x) - (p->x < q->x);
}

bf_status bf__chart_sweep(bf_report *r, const bf_chart_spec *spec, bf_chart *c, bf_error *err)
{
    lang l = c->lang;
    const char *metric = spec->metric ? spec->metric : "wait_p95";
    int64_t *own = NULL;
    char *sweep_key = NULL;
    const int64_t *runs = spec->runs;
    size_t n_runs = spec->n_runs;
    bf_status st = BF_OK;
    if (spec->sweep && n_runs) {
        return bf_error_set(err, BF_EINVAL, "name the sweep or its runs, not both");
    } else if (spec->sweep) {
        if (!sweep_runs(r, spec->sweep, &own, &n_runs, &sweep_key)) {
            bf_free(own);
            bf_free(sweep_key);
            return bf_error_set(err, BF_EINVAL, "%s has no sweep %lld", r->path,
                                (long long)spec->sweep);
        }
        runs = own;
    } else if (n_runs == 0) {
        if (sweep_runs(r, 0, &own, &n_runs, &sweep_key)) {
            runs = own;
        } else {
            bf_free(own);
            bf_free(sweep_key);
            own = NULL;
            sweep_key = NULL;
            int64_t latest;
            st = bf_report_latest_run(r, &latest, err);
            if (st == BF_OK)
                st = bf_error_set(err, BF_ESTATE, "the sweep chart needs the runs of a sweep; %s "
                                  "records no sweep (make one with: borderflow sweep SCENARIO "
                                  "--vary KEY=V1,V2,... --db %s), or name the runs with --run "
                                  "A,B,C",
                                  r->path, r->path);
            return st;
        }
    }
    spoint *pts = NULL;
    rkeys keys = {0};
    char **vkeys = NULL;
    size_t n_vkeys = 0;
    if (n_runs < 2) {
        st = bf_error_set(err, BF_ESTATE, "the sweep chart needs two or more runs that differ in "
                          "a parameter; got one run (%lld)", (long long)runs[0]);
        goto done;
    }
    for (size_t i = 0; i < n_runs && st == BF_OK; i++) {
        bf_report_run info;
        st = bf_report_run_get(r, runs[i], &info, err);
        bf_report_run_fini(&info);
    }
    if (st == BF_OK)
        st = bf__report_varied_params(r, runs, n_runs, &vkeys, &n_vkeys, err);
    if (st != BF_OK)
        goto done;
    /* Seeds and replication counts are not what a sweep varies. */
    size_t m = 0;
    for (size_t i = 0; i < n_vkeys; i++) {
        if (strcmp(vkeys[i], "simulation.seed") == 0 ||
            strcmp(vkeys[i], "simulation.replications") == 0)
            bf_free(vkeys[i]);
        else
            vkeys[m++] = vkeys[i];
    }
    n_vkeys = m;
    const char *xkey = spec->vary ? spec->vary : sweep_key;
    if (!xkey) {
        if (n_vkeys == 0) {
            st = bf_error_set(err, BF_ESTATE, "runs %lld..%lld do not differ in any parameter: "
                              "nothing to draw a sweep against", (long long)runs[0],
                              (long long)runs[n_runs - 1]);
            goto done;
        }
        /* Several parameters differ: the best x axis is one every run
         * has (a station switched to a schedule loses `servers`), and
         * then one that reads as a number. */
        int best = -1;
        size_t bi = 0;
        for (size_t i = 0; i < n_vkeys; i++) {
            int score = 0;
            bool all = true, numeric = true;
            for (size_t k = 0; k < n_runs; k++) {
                char *v = bf__report_param(r, runs[k], vkeys[i]);
                double x;
                all &= v != NULL;
                numeric &= v && parse_x(v, &x) != X_TEXT;
                bf_free(v);
            }
            score = (all ? 2 : 0) + (numeric ? 1 : 0);
            if (score > best) {
                best = score;
                bi = i;
            }
        }
        xkey = vkeys[bi];
    }
    bool xvaries = false;
    for (size_t i = 0; i < n_vkeys; i++)
        xvaries |= strcmp(vkeys[i], xkey) == 0;
    if (!xvaries) {
        sbuf list = {0};
        for (size_t i = 0; i < n_vkeys; i++)
            bf__sbuf_printf(&list, "%s%s", i ? ", " : "", vkeys[i]);
        const char *best = bf_closest(xkey, (const char *const *)vkeys, n_vkeys);
        bf_error_clear(err);
        bf_error_at(err, NULL, 0, NULL, NULL, xkey);
        st = bf_error_set(err, BF_EINVAL, "parameter '%s' does not vary between the runs%s%s%s "
                          "(varied: %s)", xkey, best ? "; did you mean '" : "", best ? best : "",
                          best ? "'?" : "", n_vkeys ? bf__sbuf_str(&list) : "none");
        bf__sbuf_fini(&list);
        goto done;
    }

    st = bf__report_select_keys(r, runs[0], metric, spec->scopes, spec->n_scopes, spec->classes,
                                spec->n_classes, "class", &keys, err);
    if (st != BF_OK)
        goto done;
    if (!(pts = bf_calloc(n_runs, sizeof *pts))) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    xkind xk = X_NUMBER;
    bool first = true;
    for (size_t i = 0; i < n_runs && st == BF_OK; i++) {
        spoint *p = &pts[i];
        p->run = runs[i];
        p->xtext = bf__report_param(r, runs[i], xkey);
        sbuf g = {0};
        for (size_t v = 0; v < n_vkeys; v++) {
            if (strcmp(vkeys[v], xkey) == 0)
                continue;
            char *val = bf__report_param(r, runs[i], vkeys[v]);
            bf__sbuf_printf(&g, "%s%s=%s", g.len ? ", " : "", vkeys[v], val ? val : "-");
            bf_free(val);
        }
        p->group = bf__sbuf_take(&g);
        p->vals = bf_calloc(keys.n, sizeof *p->vals);
        if (!p->xtext) {
            /* The run has no such parameter: a bug in the varied set. */
            p->xtext = bf_strdup("-");
        }
        if (!p->xtext || !p->group || !p->vals) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        xkind k = parse_x(p->xtext, &p->x);
        if (first)
            xk = k;
        else if (k != xk)
            xk = X_TEXT;
        first = false;
        for (size_t j = 0; j < keys.n && st == BF_OK; j++) {
            /* Runs of one scenario declare the same keys; match by names
             * all the same, since points may come from different
             * borderflow versions. */
            rci a = bf__report_agg_by_name(r, runs[i], keys.v[j].scope_kind, keys.v[j].scope,
                                           keys.v[j].class_name, keys.v[j].metric);
            p->vals[j] = a;
        }
    }
    if (st != BF_OK)
        goto done;
    if (xk == X_TEXT) {
        /* Evenly spaced, in the order given (a sweep's grid order). */
        for (size_t i = 0; i < n_runs; i++)
            pts[i].x = (double)i;
    }
    qsort(pts, n_runs, sizeof *pts, cmp_point);
    size_t n_groups = 0;
    for (size_t i = 0; i < n_runs; i++)
        n_groups += i == 0 || strcmp(pts[i].group, pts[i - 1].group) != 0;
    if (n_groups * keys.n > BF_CHART_MAX_SERIES) {
        st = bf_error_set(err, BF_EINVAL, "%zu curves are too many for one chart (at most %d): "
                          "%zu selected metrics x %zu combinations of the other varied "
                          "parameters; narrow with --scope / --class or --run",
                          n_groups * keys.n, BF_CHART_MAX_SERIES, keys.n, n_groups);
        goto done;
    }

    /* Units: y from the metric, x from the parameter. */
    const char *unit = keys.v[0].unit;
    bool has_t;
    double tv;
    st = bf__chart_target(spec, unit, &has_t, &tv, err);
    if (st != BF_OK)
        goto done;
    double ydiv = 1, ymul = 1;
    const char *yuname = bf__unit_label(l, unit);
    if (strcmp(unit, "s") == 0) {
        double mx = 0;
        for (size_t i = 0; i < n_runs; i++)
            for (size_t j = 0; j < keys.n; j++) {
                double v = isnan(pts[i].vals[j].hi) ? pts[i].vals[j].mean : pts[i].vals[j].hi;
                if (v > mx)
                    mx = v;
            }
        if (has_t && tv > mx)
            mx = tv;
        tunit u = bf__time_unit(mx);
        ydiv = u.div;
        yuname = bf__unit_label(l, u.name);
    } else if (strcmp(unit, "share") == 0) {
        ymul = 100;
        yuname = "%";
    }
    double yscale = ymul / ydiv, xscale = 1;
    const char *xuname = NULL;
    if (xk == X_SHARE) {
        xscale = 100;
        xuname = "%";
    } else if (xk == X_RATE) {
        xscale = 3600;
        xuname = bf__unit_label(l, "1/h");
    } else if (xk == X_DURATION) {
        double mx = 0;
        for (size_t i = 0; i < n_runs; i++)
            mx = fmax(mx, pts[i].x);
        tunit u = bf__time_unit(mx);
        xscale = 1 / u.div;
        xuname = bf__unit_label(l, u.name);
    }

    char mlabel[96], title[256], ylab[160], xlab[300];
    bf__metric_label(l, metric, mlabel, sizeof mlabel);
    snprintf(title, sizeof title, bf__L(l, "%s vs %s"), mlabel, xkey);
    if (l == LANG_EN && title[0] >= 'a' && title[0] <= 'z')
        title[0] = (char)(title[0] - 'a' + 'A');
    snprintf(ylab, sizeof ylab, l == LANG_ZH ? "%s（%s）" : "%s (%s)", mlabel, yuname);
    if (xuname)
        snprintf(xlab, sizeof xlab, l == LANG_ZH ? "%s（%s）" : "%s (%s)", xkey, xuname);
    else
        snprintf(xlab, sizeof xlab, "%s", xkey);
    bf_report_run info;
    st = bf_report_run_get(r, runs[0], &info, err);
    if (st == BF_OK &&
        !(bf__chart_set(&c->title, title) &&
          bf__chart_set(&c->subtitle, info.title[0] ? info.title : info.scenario) &&
          bf__chart_set(&c->x_label, xlab) && bf__chart_set(&c->y_label, ylab) &&
          bf__chart_set(&c->columns, "x\tmean\tci_low\tci_high\tn\tvalue\trun_id")))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf_report_run_fini(&info);
    if (st == BF_OK) {
        /* The footnote lists runs in x order. */
        int64_t *ord = bf_calloc(n_runs, sizeof *ord);
        if (!ord) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n_runs; i++)
            ord[i] = runs[i];
        st = bf__chart_footnote(r, c, ord, n_runs,
                                bf__L(l, "points: means; bars: 95% CI across replications"), err);
        bf_free(ord);
    }
    if (st != BF_OK)
        goto done;
    char sc[40];
    bf__fmt_exact(sc, sizeof sc, yscale);
    bf__sbuf_printf(&c->comment, "# x = parameter %s %s; mean, ci_* = aggregates of %s (store "
                                 "unit %s) x %s\n",
                    xkey, xk == X_TEXT ? "(not a number: position in the sweep)"
                                       : "read as a number",
                    metric, unit, sc);
    bf__chart_var_num(c, "x_is_text", xk == X_TEXT ? 1 : 0);
    /* Whole numbers over a short range (servers, lanes) get a tick each. */
    double x_step = NAN;
    if (xk == X_NUMBER) {
        bool whole = true;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n_runs; i++) {
            whole &= pts[i].x == floor(pts[i].x);
            lo = fmin(lo, pts[i].x);
            hi = fmax(hi, pts[i].x);
        }
        if (whole && hi - lo <= 12)
            x_step = 1;
    }
    bf__chart_var_num(c, "x_step", x_step);
    bf__chart_var_num(c, "target_value", has_t ? tv * yscale : NAN);
    char tl[96] = "";
    if (has_t)
        bf__target_label(l, tv, unit, tl, sizeof tl);
    bf__chart_var_str(c, "target_label", tl);

    bool show_scope = false;
    for (size_t j = 1; j < keys.n; j++)
        show_scope |= strcmp(keys.v[j].scope, keys.v[0].scope) != 0;
    for (size_t g0 = 0; g0 < n_runs && st == BF_OK;) {
        size_t g1 = g0 + 1;
        while (g1 < n_runs && strcmp(pts[g1].group, pts[g0].group) == 0)
            g1++;
        for (size_t j = 0; j < keys.n && st == BF_OK; j++) {
            const rkey *k = &keys.v[j];
            sbuf t = {0};
            bool per_class = k->class_name[0] && strcmp(k->scope_kind, "class") != 0;
            if (show_scope || !per_class)
                bf__sbuf_put(&t, bf__scope_label(l, k->scope_kind, k->scope));
            if (per_class)
                bf__sbuf_printf(&t, "%s%s", show_scope ? " · " : "",
                                bf__name_label(l, k->class_name));
            if (pts[g0].group[0])
                bf__sbuf_printf(&t, " (%s)", pts[g0].group);
            chart_series *s = t.oom ? NULL : bf__chart_add_series(c, t.s);
            bf__sbuf_fini(&t);
            if (!s) {
                st = bf_error_set(err, BF_ENOMEM, "out of memory");
                break;
            }
            bf__sbuf_printf(&c->comment, "# series %zu = %s %s%s%s, %s\n", c->n_series,
                            k->scope_kind, k->scope, k->class_name[0] ? ", class " : "",
                            k->class_name, metric);
            for (size_t i = g0; i < g1; i++) {
                const rci *v = &pts[i].vals[j];
                bf__sbuf_num(&s->rows, xk == X_TEXT ? pts[i].x : pts[i].x * xscale);
                bf__sbuf_put(&s->rows, "\t");
                bf__sbuf_num(&s->rows, v->mean * yscale);
                bf__sbuf_put(&s->rows, "\t");
                bf__sbuf_num(&s->rows, v->lo * yscale);
                bf__sbuf_put(&s->rows, "\t");
                bf__sbuf_num(&s->rows, v->hi * yscale);
                bf__sbuf_printf(&s->rows, "\t%d\t%s\t%lld\n", v->n, pts[i].xtext,
                                (long long)pts[i].run);
                s->n_rows++;
            }
        }
        g0 = g1;
    }
done:
    for (size_t i = 0; pts && i < n_runs; i++) {
        bf_free(pts[i].xtext);
        bf_free(pts[i].group);
        bf_free(pts[i].vals);
    }
    bf_free(pts);
    bf__rkeys_fini(&keys);
    bf__strv_free(vkeys, n_vkeys);
    bf_free(own);
    bf_free(sweep_key);
    return st;
}
