/*
 * briefing.c - `borderflow report`: a folder to take into a briefing.
 *
 *   OUT/index.html     the tables and charts on one self-contained page
 *                      (inline style, no scripts, images by relative path)
 *   OUT/summary.md     the same tables in Markdown
 *   OUT/charts/NAME.png, NAME.pdf   every chart the run supports
 *   OUT/charts/NAME.gp, NAME.tsv    the gnuplot script and data behind it
 *   OUT/data/summary.tsv            every aggregate of the run (export)
 *
 * Both pages end with the exact commands that reproduce the folder: the
 * run as recorded in the store, the report command, and one `borderflow
 * plot` per chart.  A chart the run cannot support (no time series, no
 * sweep) is left out and the pages say why.
 */
#include "report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "borderflow/units.h"

/* Extra phrases for the pages. */
static const char *T(lang l, const char *en, const char *zh)
{
    return l == LANG_ZH ? zh : en;
}

/* ---- tables ------------------------------------------------------------- */

#define MAX_COLS 8

typedef struct btable {
    const char *title;
    const char *note;
    size_t n_cols;
    const char *head[MAX_COLS];
    bool right[MAX_COLS]; /* numbers align right */
    char **cells;         /* n_rows x n_cols */
    size_t n_rows;
} btable;

static bool add_row(btable *t, const char *const *cells)
{
    char **v = bf_realloc(t->cells, (t->n_rows + 1) * t->n_cols * sizeof *v);
    if (!v)
        return false;
    t->cells = v;
    bool ok = true;
    for (size_t i = 0; i < t->n_cols; i++)
        ok &= (v[t->n_rows * t->n_cols + i] = bf_strdup(cells[i])) != NULL;
    t->n_rows++;
    return ok;
}

static void table_fini(btable *t)
{
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        bf_free(t->cells[i]);
    bf_free(t->cells);
    t->cells = NULL;
    t->n_rows = 0;
}

static void md_cell(sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            bf__sbuf_put(b, "\\|");
        else
            bf__sbuf_printf(b, "%c", *s);
    }
}

static void html_text(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': bf__sbuf_put(b, "&lt;"); break;
        case '>': bf__sbuf_put(b, "&gt;"); break;
        case '&': bf__sbuf_put(b, "&amp;"); break;
        case '"': bf__sbuf_put(b, "&quot;"); break;
        default: bf__sbuf_printf(b, "%c", *s);
        }
    }
}

static void table_md(sbuf *b, const btable *t)
{
    if (!t->n_rows)
        return;
    bf__sbuf_printf(b, "\n### %s\n\n", t->title);
    if (t->note)
        bf__sbuf_printf(b, "%s\n\n", t->note);
    bf__sbuf_put(b, "|");
    for (size_t c = 0; c < t->n_cols; c++) {
        bf__sbuf_put(b, " ");
        md_cell(b, t->head[c]);
        bf__sbuf_put(b, " |");
    }
    bf__sbuf_put(b, "\n|");
    for (size_t c = 0; c < t->n_cols; c++)
        bf__sbuf_put(b, t->right[c] ? " ---: |" : " --- |");
    bf__sbuf_put(b, "\n");
    for (size_t r = 0; r < t->n_rows; r++) {
        bf__sbuf_put(b, "|");
        for (size_t c = 0; c < t->n_cols; c++) {
            bf__sbuf_put(b, " ");
            md_cell(b, t->cells[r * t->n_cols + c]);
            bf__sbuf_put(b, " |");
        }
        bf__sbuf_put(b, "\n");
    }
}

static void table_html(sbuf *b, const btable *t)
{
    if (!t->n_rows)
        return;
    bf__sbuf_put(b, "<h3>");
    html_text(b, t->title);
    bf__sbuf_put(b, "</h3>\n");
    if (t->note) {
        bf__sbuf_put(b, "<p class=\"note\">");
        html_text(b, t->note);
        bf__sbuf_put(b, "</p>\n");
    }
    bf__sbuf_put(b, "<table>\n<thead><tr>");
    for (size_t c = 0; c < t->n_cols; c++) {
        bf__sbuf_put(b, t->right[c] ? "<th class=\"num\">" : "<th>");
        html_text(b, t->head[c]);
        bf__sbuf_put(b, "</th>");
    }
    bf__sbuf_put(b, "</tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < t->n_rows; r++) {
        bf__sbuf_put(b, "<tr>");
        for (size_t c = 0; c < t->n_cols; c++) {
            bf__sbuf_put(b, t->right[c] ? "<td class=\"num\">" : "<td>");
            html_text(b, t->cells[r * t->n_cols + c]);
            bf__sbuf_put(b, "</td>");
        }
        bf__sbuf_put(b, "</tr>\n");
    }
    bf__sbuf_put(b, "</tbody>\n</table>\n");
}

/* Scopes of one kind in the run, in declared order.  OUT: *v (strv). */
static bf_status scopes_of(bf_report *r, int64_t run, const char *kind, char ***v, size_t *n,
                           bf_error *err)
{
    *v = NULL;
    *n = 0;
    sqlite3_stmt *q;
    bf_status st = bf__report_prepare(r, "SELECT scope FROM metric_keys WHERE run_id = ?1 AND"
                                         " scope_kind = ?2 GROUP BY scope ORDER BY"
                                         " min(key_index)",
                                      &q, err);
    if (st != BF_OK)
        return st;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
    while (sqlite3_step(q) == SQLITE_ROW) {
        char **x = bf_realloc(*v, (*n + 1) * sizeof *x);
        char *s = x ? bf_strdup(bf__col_text(q, 0)) : NULL;
        if (x)
            *v = x;
        if (!s) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        x[(*n)++] = s;
    }
    sqlite3_finalize(q);
    return st;
}

static void cell_time(bf_report *r, int64_t run, const char *sk, const char *scope,
                      const char *cls, const char *metric, char *buf, size_t len)
{
    rci a = bf__report_agg_by_name(r, run, sk, scope, cls, metric);
    bf__fmt_time(buf, len, a.mean, a.half_width);
}

static void cell_num(bf_report *r, int64_t run, const char *sk, const char *scope,
                     const char *cls, const char *metric, const char *fmt, char *buf, size_t len)
{
    rci a = bf__report_agg_by_name(r, run, sk, scope, cls, metric);
    bf__fmt_num(buf, len, a.mean, a.half_width, fmt);
}

static void cell_pct(bf_report *r, int64_t run, const char *sk, const char *scope,
                     const char *cls, const char *metric, char *buf, size_t len)
{
    rci a = bf__report_agg_by_name(r, run, sk, scope, cls, metric);
    bf__fmt_pct(buf, len, a.mean, a.half_width);
}

/* The four key tables of the run summary: classes, stations, lines,
 * delays.  Each cell "mean ± 95% CI half-width". */
static bf_status build_tables(bf_report *r, int64_t run, lang l, btable t[4], bf_error *err)
{
    char **cls = NULL, **sta = NULL, **lines = NULL, **del = NULL;
    size_t n_cls = 0, n_sta = 0, n_lines = 0, n_del = 0;
    bf_status st = scopes_of(r, run, "class", &cls, &n_cls, err);
    if (st == BF_OK)
        st = scopes_of(r, run, "station", &sta, &n_sta, err);
    if (st == BF_OK)
        st = scopes_of(r, run, "line", &lines, &n_lines, err);
    if (st == BF_OK)
        st = scopes_of(r, run, "delay", &del, &n_del, err);
    bool ok = st == BF_OK;
    char c[MAX_COLS][96];
    const char *row[MAX_COLS];
    for (int i = 0; i < MAX_COLS; i++)
        row[i] = c[i];

    t[0] = (btable){.title = T(l, "End to end, by class", "各类别端到端指标"),
                    .n_cols = 6,
                    .head = {T(l, "class", "类别"), T(l, "throughput per hour", "每小时通过量"),
                             T(l, "time in system", "系统内停留时间"),
                             T(l, "time in system p95", "停留时间 95 分位"),
                             T(l, "total wait", "总等待时间"),
                             T(l, "total wait p95", "总等待时间 95 分位")},
                    .right = {false, true, true, true, true, true}};
    for (size_t i = 0; ok && i < n_cls; i++) {
        snprintf(c[0], sizeof c[0], "%s", bf__name_label(l, cls[i]));
        cell_num(r, run, "class", cls[i], cls[i], "throughput", "%.1f", c[1], sizeof c[1]);
        cell_time(r, run, "class", cls[i], cls[i], "time_in_system_mean", c[2], sizeof c[2]);
        cell_time(r, run, "class", cls[i], cls[i], "time_in_system_p95", c[3], sizeof c[3]);
        cell_time(r, run, "class", cls[i], cls[i], "wait_mean", c[4], sizeof c[4]);
        cell_time(r, run, "class", cls[i], cls[i], "wait_p95", c[5], sizeof c[5]);
        ok &= add_row(&t[0], row);
    }
    if (ok && n_cls) {
        snprintf(c[0], sizeof c[0], "%s", T(l, "all", "全部"));
        cell_num(r, run, "system", "", "", "throughput", "%.1f", c[1], sizeof c[1]);
        cell_time(r, run, "system", "", "", "time_in_system_mean", c[2], sizeof c[2]);
        cell_time(r, run, "system", "", "", "time_in_system_p95", c[3], sizeof c[3]);
        snprintf(c[4], sizeof c[4], "–");
        snprintf(c[5], sizeof c[5], "–");
        ok &= add_row(&t[0], row);
    }

    t[1] = (btable){.title = T(l, "Stations", "各站点"),
                    .n_cols = 7,
                    .head = {T(l, "station", "站点"), T(l, "line", "线"),
                             T(l, "servers", "服务台"), T(l, "utilization", "利用率"),
                             T(l, "mean wait", "平均等待"), T(l, "wait p95", "等待 95 分位"),
                             T(l, "mean queue", "平均排队长度")},
                    .right = {false, false, true, true, true, true, true}};
    for (size_t i = 0; ok && i < n_sta; i++) {
        snprintf(c[0], sizeof c[0], "%s", sta[i]);
        char pk[300];
        snprintf(pk, sizeof pk, "station.%s.line", sta[i]);
        char *line = bf__report_param(r, run, pk);
        snprintf(c[1], sizeof c[1], "%s", line ? bf__name_label(l, line) : "–");
        bf_free(line);
        rci sv = bf__report_agg_by_name(r, run, "station", sta[i], "", "servers");
        if (isnan(sv.mean))
            snprintf(c[2], sizeof c[2], "–");
        else
            snprintf(c[2], sizeof c[2], "%.3g", sv.mean);
        cell_pct(r, run, "station", sta[i], "", "utilization", c[3], sizeof c[3]);
        cell_time(r, run, "station", sta[i], "", "wait_mean", c[4], sizeof c[4]);
        cell_time(r, run, "station", sta[i], "", "wait_p95", c[5], sizeof c[5]);
        cell_num(r, run, "station", sta[i], "", "queue_mean", "%.3g", c[6], sizeof c[6]);
        ok &= add_row(&t[1], row);
    }

    t[2] = (btable){.title = T(l, "Clearance by line", "各线通关时间"),
                    .note = T(l, "From reaching a line's first station to leaving its last, "
                                 "secondary inspection included.",
                              "从到达该线第一个站点到离开最后一个站点，含二次查验。"),
                    .n_cols = 5,
                    .head = {T(l, "line", "线"), T(l, "class", "类别"),
                             T(l, "passages per hour", "每小时通关次数"),
                             T(l, "mean clearance", "平均通关时间"),
                             T(l, "clearance p95", "通关时间 95 分位")},
                    .right = {false, false, true, true, true}};
    for (size_t i = 0; ok && i < n_lines; i++) {
        for (size_t k = 0; ok && k <= n_cls; k++) {
            const char *cn = k < n_cls ? cls[k] : "";
            rci p = bf__report_agg_by_name(r, run, "line", lines[i], cn, "passages");
            if (isnan(p.mean))
                continue;
            snprintf(c[0], sizeof c[0], "%s", bf__name_label(l, lines[i]));
            snprintf(c[1], sizeof c[1], "%s", cn[0] ? bf__name_label(l, cn) : T(l, "all", "全部"));
            cell_num(r, run, "line", lines[i], cn, "throughput", "%.1f", c[2], sizeof c[2]);
            cell_time(r, run, "line", lines[i], cn, "clearance_mean", c[3], sizeof c[3]);
            cell_time(r, run, "line", lines[i], cn, "clearance_p95", c[4], sizeof c[4]);
            ok &= add_row(&t[2], row);
        }
    }

    t[3] = (btable){.title = T(l, "Delays (e.g. the zone)", "区内停留"),
                    .n_cols = 4,
                    .head = {T(l, "delay", "区域"), T(l, "mean number present", "平均在场数量"),
                             T(l, "maximum present", "最大在场数量"),
                             T(l, "mean dwell time", "平均停留时间")},
                    .right = {false, true, true, true}};
    for (size_t i = 0; ok && i < n_del; i++) {
        snprintf(c[0], sizeof c[0], "%s", del[i]);
        cell_num(r, run, "delay", del[i], "", "present_mean", "%.4g", c[1], sizeof c[1]);
        cell_num(r, run, "delay", del[i], "", "present_max", "%.4g", c[2], sizeof c[2]);
        cell_time(r, run, "delay", del[i], "", "dwell_mean", c[3], sizeof c[3]);
        ok &= add_row(&t[3], row);
    }
    if (st == BF_OK && !ok)
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf__strv_free(cls, n_cls);
    bf__strv_free(sta, n_sta);
    bf__strv_free(lines, n_lines);
    bf__strv_free(del, n_del);
    return st;
}

/* ---- charts ------------------------------------------------------------- */

typedef struct bchart {
    const char *name;     /* file name without extension */
    const char *caption;  /* en / zh chosen */
    const char *args;     /* the plot options that make it */
    bf_chart_spec spec;
    bool drawn;
    char why[520];        /* when not drawn */
} bchart;

static bchart *add_chart(bchart *v, size_t *n, const char *name, const char *caption,
                         const char *args, const bf_chart_spec *base, bf_chart_kind kind,
                         const char *metric)
{
    bchart *c = &v[(*n)++];
    *c = (bchart){.name = name, .caption = caption, .args = args, .spec = *base};
    c->spec.kind = kind;
    c->spec.metric = metric;
    return c;
}

static bool mkdir_p1(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST;
}

/* A shell word: quoted when it has anything the shell would read. */
static void sh_word(sbuf *b, const char *s)
{
    bool plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,%+@", *p))
            plain = false;
    if (plain) {
        bf__sbuf_put(b, s);
        return;
    }
    bf__sbuf_put(b, "'");
    for (; *s; s++) {
        if (*s == '\'')
            bf__sbuf_put(b, "'\\''");
        else
            bf__sbuf_printf(b, "%c", *s);
    }
    bf__sbuf_put(b, "'");
}

static bool run_in_table(bf_report *r, const char *sql, int64_t run, int64_t out[2])
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(r->db, sql, -1, &q, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(q, 1, run);
    bool got = sqlite3_step(q) == SQLITE_ROW;
    if (got) {
        out[0] = sqlite3_column_int64(q, 0);
        out[1] = sqlite3_column_count(q) > 1 ? sqlite3_column_int64(q, 1) : 0;
    }
    sqlite3_finalize(q);
    return got;
}

bf_status bf_report_briefing(bf_report *r, const bf_briefing_spec *bs, const char *out_dir,
                             size_t *n_charts, bf_error *err)
{
    bf_error_clear(err);
    if (n_charts)
        *n_charts = 0;
    lang l;
    if (bf__lang_parse(bs->lang, &l) != 0)
        return bf_error_set(err, BF_EINVAL, "unknown language '%s' (expected en or zh)", bs->lang);
    int64_t run = bs->run;
    bf_status st = run ? BF_OK : bf_report_latest_run(r, &run, err);
    if (st != BF_OK)
        return st;
    bf_report_run info;
    st = bf_report_run_get(r, run, &info, err);
    if (st != BF_OK) {
        bf_report_run_fini(&info);
        return st;
    }
    btable tables[4] = {{0}};
    sbuf path = {0}, md = {0}, html = {0}, cmd = {0};
    bchart charts[9];
    size_t n_ch = 0;
    int64_t cmp[2] = {0, 0}, sweep[2] = {0, 0};
    /* The chart specs point at these; they live as long as the call. */
    int64_t run_store[1] = {run}, pair[2] = {0, 0};
    int64_t *sweep_runs = NULL;
    size_t n_sweep_runs = 0;
    char sweep_scope[128] = "";
    const char *sweep_scopes[1] = {sweep_scope}, *sweep_classes[1] = {"all"};
    const char *store = bs->store_arg ? bs->store_arg : r->path;

    /* Folders. */
    bf__sbuf_printf(&path, "%s", out_dir);
    if (!mkdir_p1(out_dir)) {
        st = bf_error_set(err, BF_EIO, "cannot create %s: %s", out_dir, strerror(errno));
        goto done;
    }
    path.len = 0;
    bf__sbuf_printf(&path, "%s/charts", out_dir);
    if (path.oom || !mkdir_p1(path.s)) {
        st = bf_error_set(err, BF_EIO, "cannot create %s: %s", bf__sbuf_str(&path), strerror(errno));
        goto done;
    }
    path.len = 0;
    bf__sbuf_printf(&path, "%s/data", out_dir);
    if (path.oom || !mkdir_p1(path.s)) {
        st = bf_error_set(err, BF_EIO, "cannot create %s: %s", bf__sbuf_str(&path), strerror(errno));
        goto done;
    }

    /* The charts this run can have.  Specs borrow static strings only. */
    bf_chart_spec base = {.runs = run_store, .n_runs = 1, .lang = bs->lang, .font = bs->font};
    add_chart(charts, &n_ch, "utilization",
              T(l, "Utilization of each station, with its staffing.", "各站点利用率及人员配置。"),
              "--chart utilization", &base, BF_CHART_UTILIZATION, NULL);
    add_chart(charts, &n_ch, "queue-by-hour",
              T(l, "Queue length by time of day at the busiest stations.",
                "最繁忙站点各时段的排队长度。"),
              "--chart timeseries", &base, BF_CHART_TIMESERIES, NULL);
    add_chart(charts, &n_ch, "present-by-hour",
              T(l, "Number present in each zone or delay by time of day.",
                "各区域各时段的在场数量。"),
              "--chart timeseries --metric present", &base, BF_CHART_TIMESERIES, "present");
    add_chart(charts, &n_ch, "wait-cdf",
              T(l, "Distribution of the total waiting time of each class.",
                "各类别总等待时间的分布。"),
              "--chart cdf", &base, BF_CHART_CDF, NULL);
    add_chart(charts, &n_ch, "clearance-cdf",
              T(l, "Distribution of clearance times at each line.", "各线通关时间的分布。"),
              "--chart cdf --metric clearance", &base, BF_CHART_CDF, "clearance");

    if (bf__report_has_table(r, "comparisons") &&
        run_in_table(r, "SELECT base_run_id, policy_run_id FROM comparisons WHERE base_run_id ="
                        " ?1 OR policy_run_id = ?1 ORDER BY id DESC LIMIT 1",
                     run, cmp)) {
        pair[0] = cmp[0];
        pair[1] = cmp[1];
        bchart *ch = add_chart(charts, &n_ch, "compare",
                               T(l, "Base against policy, with the paired differences.",
                                 "基准与政策对比及配对差值。"),
                               NULL, &base, BF_CHART_COMPARE, NULL);
        ch->spec.runs = pair;
        ch->spec.n_runs = 2;
    }
    if (bf__report_has_table(r, "sweep_points") &&
        run_in_table(r, "SELECT sweep_id FROM sweep_points WHERE run_id = ?1 ORDER BY sweep_id"
                        " DESC LIMIT 1",
                     run, sweep)) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(r->db, "SELECT run_id FROM sweep_points WHERE sweep_id = ?1"
                                      " ORDER BY point_index",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, sweep[0]);
            while (sqlite3_step(q) == SQLITE_ROW) {
                int64_t *v = bf_realloc(sweep_runs, (n_sweep_runs + 1) * sizeof *v);
                if (!v)
                    break;
                sweep_runs = v;
                v[n_sweep_runs++] = sqlite3_column_int64(q, 0);
            }
            sqlite3_finalize(q);
        }
        if (n_sweep_runs > 1) {
            bchart *ch = add_chart(charts, &n_ch, "sweep",
                                   T(l, "The 95th percentile wait across the sweep.",
                                     "扫描各点的等待时间 95 分位数。"),
                                   NULL, &base, BF_CHART_SWEEP, NULL);
            ch->spec.runs = NULL;
            ch->spec.n_runs = 0;
            ch->spec.sweep = sweep[0];
            /* The curves that matter: the waits where the sweep acts
             * (station.fl_check.servers: at fl_check, all classes;
             * class.material.whitelisted: the material's total wait), so
             * that a second varied parameter still fits in one chart. */
            if (sqlite3_prepare_v2(r->db, "SELECT key FROM sweep_keys WHERE sweep_id = ?1"
                                          " ORDER BY key_index LIMIT 1",
                                   -1, &q, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(q, 1, sweep[0]);
                if (sqlite3_step(q) == SQLITE_ROW) {
                    const char *k = bf__col_text(q, 0);
                    const char *dot = strchr(k, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
                    if (dot2 && (size_t)(dot2 - dot - 1) < sizeof sweep_scope &&
                        (strncmp(k, "station.", 8) == 0 || strncmp(k, "class.", 6) == 0)) {
                        snprintf(sweep_scope, sizeof sweep_scope, "%.*s", (int)(dot2 - dot - 1),
                                 dot + 1);
                        ch->spec.scopes = sweep_scopes;
                        ch->spec.n_scopes = 1;
                        if (k[0] == 's') {
                            ch->spec.classes = sweep_classes;
                            ch->spec.n_classes = 1;
                        }
                    }
                }
                sqlite3_finalize(q);
            }
        }
    }

    sbuf gp = {0}, tsv = {0}, out = {0};
    for (size_t i = 0; i < n_ch && st == BF_OK; i++) {
        bchart *ch = &charts[i];
        bf_chart *c = NULL;
        bf_error e;
        bf_status cs = bf_chart_build(r, &ch->spec, &c, &e);
        if (cs == BF_EINVAL || cs == BF_ESTATE) {
            snprintf(ch->why, sizeof ch->why, "%s", e.msg);
            continue;
        }
        if (cs != BF_OK) {
            *err = e;
            st = cs;
            break;
        }
        path.len = 0;
        bf__sbuf_printf(&path, "%s/charts", out_dir);
        out.len = 0;
        bf__sbuf_printf(&out, "%s.png", ch->name);
        gp.len = 0;
        bf__sbuf_printf(&gp, "%s/charts/%s.png", out_dir, ch->name);
        tsv.len = 0;
        bf__sbuf_printf(&tsv, "%s/charts/%s.pdf", out_dir, ch->name);
        if (path.oom || out.oom || gp.oom || tsv.oom)
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
        if (st == BF_OK)
            st = bf_chart_write_script(c, bs->template_dir, path.s, ch->name, out.s, err);
        if (st == BF_OK)
            st = bf_chart_render(c, bs->template_dir, bs->gnuplot, gp.s, err);
        if (st == BF_OK)
            st = bf_chart_render(c, bs->template_dir, bs->gnuplot, tsv.s, err);
        bf_chart_destroy(c);
        ch->drawn = st == BF_OK;
        if (st == BF_OK && n_charts)
            (*n_charts)++;
    }
    bf__sbuf_fini(&gp);
    bf__sbuf_fini(&tsv);
    bf__sbuf_fini(&out);
    if (st != BF_OK)
        goto done;

    /* data/summary.tsv */
    path.len = 0;
    bf__sbuf_printf(&path, "%s/data/summary.tsv", out_dir);
    if (path.oom) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    {
        FILE *f = fopen(path.s, "w");
        if (!f) {
            st = bf_error_set(err, BF_EIO, "cannot write %s: %s", path.s, strerror(errno));
            goto done;
        }
        bf_export_spec es = {.what = BF_EXPORT_SUMMARY, .format = BF_EXPORT_TSV, .runs = &run,
                             .n_runs = 1};
        st = bf_report_export(r, &es, f, err);
        if (fclose(f) != 0 && st == BF_OK)
            st = bf_error_set(err, BF_EIO, "cannot write %s", path.s);
        if (st != BF_OK)
            goto done;
    }

    st = build_tables(r, run, l, tables, err);
    if (st != BF_OK)
        goto done;

    /* ---- the pages ---- */
    char hz[32], wu[32];
    bf_format_duration(info.horizon_s, hz, sizeof hz);
    bf_format_duration(info.warmup_s, wu, sizeof wu);
    const char *title = info.title[0] ? info.title : info.scenario;
    char *ovr = bf__overrides_line(info.overrides);
    sbuf facts = {0};
    if (l == LANG_ZH)
        bf__sbuf_printf(&facts, "情景 %s，运行 %lld：%d 次重复，每次 %s（预热期 %s），随机种子 %s，"
                                "borderflow %s（%s），开始于 %s。", info.scenario, (long long)run,
                        info.replications, hz, wu, info.seed, info.version, info.revision,
                        info.started_at);
    else
        bf__sbuf_printf(&facts, "Scenario %s, run %lld: %d replications of %s (warm-up %s), seed "
                                "%s, borderflow %s (%s), started %s.", info.scenario,
                        (long long)run, info.replications, hz, wu, info.seed, info.version,
                        info.revision, info.started_at);
    if (ovr && ovr[0])
        bf__sbuf_printf(&facts, l == LANG_ZH ? " 覆盖参数：%s。" : " Overrides: %s.", ovr);
    bf_free(ovr);
    const char *ci_note = T(l, "Every figure is the mean across replications ± the half-width of "
                               "its 95% confidence interval (Student t): 12.3 ± 0.4 min means "
                               "11.9–12.7 min.",
                            "每个数字均为各次重复的均值 ± 95% 置信区间半宽（Student t）："
                            "12.3 ± 0.4 分钟即 11.9–12.7 分钟。");

    /* Commands. */
    bf__sbuf_put(&cmd, "# the run\n");
    bf__sbuf_printf(&cmd, "%s\n", info.command_line);
    bf__sbuf_put(&cmd, "# this briefing\n");
    if (bs->command_line && bs->command_line[0])
        bf__sbuf_printf(&cmd, "%s\n", bs->command_line);
    bf__sbuf_put(&cmd, "# each chart\n");
    /* The program as the report command named it. */
    char prog[256] = "borderflow";
    if (bs->command_line && bs->command_line[0] && bs->command_line[0] != '\'') {
        size_t n = strcspn(bs->command_line, " ");
        if (n > 0 && n < sizeof prog)
            snprintf(prog, sizeof prog, "%.*s", (int)n, bs->command_line);
    }
    for (size_t i = 0; i < n_ch; i++) {
        if (!charts[i].drawn)
            continue;
        for (int f = 0; f < 2; f++) {
            bf__sbuf_printf(&cmd, "%s plot ", prog);
            sh_word(&cmd, store);
            if (charts[i].spec.kind == BF_CHART_COMPARE) {
                bf__sbuf_printf(&cmd, " --chart compare --run %lld,%lld", (long long)pair[0],
                                (long long)pair[1]);
            } else if (charts[i].spec.kind == BF_CHART_SWEEP) {
                bf__sbuf_printf(&cmd, " --chart sweep --sweep %lld", (long long)sweep[0]);
                if (charts[i].spec.n_scopes) {
                    bf__sbuf_put(&cmd, " --scope ");
                    sh_word(&cmd, sweep_scope);
                }
                if (charts[i].spec.n_classes)
                    bf__sbuf_put(&cmd, " --class all");
            } else {
                bf__sbuf_printf(&cmd, " --run %lld %s", (long long)run, charts[i].args);
            }
            if (l == LANG_ZH)
                bf__sbuf_put(&cmd, " --lang zh");
            if (bs->font) {
                bf__sbuf_put(&cmd, " --font ");
                sh_word(&cmd, bs->font);
            }
            bf__sbuf_put(&cmd, " --out ");
            sbuf o = {0};
            bf__sbuf_printf(&o, "%s/charts/%s.%s", out_dir, charts[i].name, f ? "pdf" : "png");
            sh_word(&cmd, bf__sbuf_str(&o));
            bf__sbuf_fini(&o);
            bf__sbuf_put(&cmd, "\n");
        }
    }
    bf__sbuf_put(&cmd, "# or re-draw a chart after editing its script\n");
    bf__sbuf_put(&cmd, "cd ");
    {
        sbuf o = {0};
        bf__sbuf_printf(&o, "%s/charts", out_dir);
        sh_word(&cmd, bf__sbuf_str(&o));
        bf__sbuf_fini(&o);
    }
    bf__sbuf_put(&cmd, " && gnuplot utilization.gp\n");

    /* summary.md */
    bf__sbuf_printf(&md, "# %s\n\n%s\n\n%s\n", title, bf__sbuf_str(&facts), ci_note);
    bf__sbuf_printf(&md, "\n## %s\n", T(l, "Key figures", "关键数字"));
    for (int i = 0; i < 4; i++)
        table_md(&md, &tables[i]);
    bf__sbuf_printf(&md, "\n## %s\n", T(l, "Charts", "图表"));
    for (size_t i = 0; i < n_ch; i++) {
        if (charts[i].drawn)
            bf__sbuf_printf(&md, "\n%s ([PDF](charts/%s.pdf), [data](charts/%s.tsv), "
                                 "[gnuplot](charts/%s.gp))\n\n![%s](charts/%s.png)\n",
                            charts[i].caption, charts[i].name, charts[i].name, charts[i].name,
                            charts[i].name, charts[i].name);
        else if (charts[i].why[0])
            bf__sbuf_printf(&md, "\n%s %s: %s\n", T(l, "Not drawn:", "未绘制："), charts[i].name,
                            charts[i].why);
    }
    bf__sbuf_printf(&md, "\n%s: [data/summary.tsv](data/summary.tsv)\n",
                    T(l, "Every aggregate of the run", "该运行的全部汇总数据"));
    bf__sbuf_printf(&md, "\n## %s\n\n%s\n\n```sh\n%s```\n", T(l, "Reproduce", "复现"),
                    T(l, "These commands reproduce this folder from the scenario (the run) and "
                         "from the store (the briefing and each chart).",
                      "以下命令可由情景文件（运行）和结果库（报告与各图表）复现本文件夹。"),
                    bf__sbuf_str(&cmd));

    /* index.html */
    bf__sbuf_printf(&html, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1"
                           "\">\n<title>", l == LANG_ZH ? "zh-Hans" : "en");
    html_text(&html, title);
    bf__sbuf_put(&html,
                 "</title>\n<style>\n"
                 "body{font-family:\"DejaVu Sans\",\"Noto Sans CJK SC\",\"Helvetica Neue\","
                 "Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;"
                 "line-height:1.45}\n"
                 "h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px "
                 "solid #ddd;padding-bottom:.2em}h3{margin-bottom:.3em}\n"
                 "table{border-collapse:collapse;margin:.5em 0 1em;font-size:.92em}\n"
                 "th,td{padding:.3em .7em;border-bottom:1px solid #e4e4e4;text-align:left}\n"
                 "th{background:#f4f6f8}td.num,th.num{text-align:right;font-variant-numeric:"
                 "tabular-nums;white-space:nowrap}\n"
                 "p.note,p.facts{color:#555}figure{margin:1.5em 0}img{max-width:100%;border:1px "
                 "solid #e4e4e4}\nfigcaption{color:#444;margin-top:.3em}\n"
                 "pre{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:.85em}\n"
                 "</style>\n</head>\n<body>\n<h1>");
    html_text(&html, title);
    bf__sbuf_put(&html, "</h1>\n<p class=\"facts\">");
    html_text(&html, bf__sbuf_str(&facts));
    bf__sbuf_put(&html, "</p>\n<p class=\"note\">");
    html_text(&html, ci_note);
    bf__sbuf_printf(&html, "</p>\n<h2>%s</h2>\n", T(l, "Key figures", "关键数字"));
    for (int i = 0; i < 4; i++)
        table_html(&html, &tables[i]);
    bf__sbuf_printf(&html, "<h2>%s</h2>\n", T(l, "Charts", "图表"));
    for (size_t i = 0; i < n_ch; i++) {
        if (charts[i].drawn) {
            bf__sbuf_printf(&html, "<figure>\n<img src=\"charts/%s.png\" alt=\"", charts[i].name);
            html_text(&html, charts[i].caption);
            bf__sbuf_put(&html, "\">\n<figcaption>");
            html_text(&html, charts[i].caption);
            bf__sbuf_printf(&html, " <a href=\"charts/%s.pdf\">PDF</a> · <a href=\"charts/%s.tsv"
                                   "\">%s</a> · <a href=\"charts/%s.gp\">gnuplot</a></figcaption>"
                                   "\n</figure>\n",
                            charts[i].name, charts[i].name, T(l, "data", "数据"), charts[i].name);
        } else if (charts[i].why[0]) {
            bf__sbuf_printf(&html, "<p class=\"note\">%s %s: ", T(l, "Not drawn:", "未绘制："),
                            charts[i].name);
            html_text(&html, charts[i].why);
            bf__sbuf_put(&html, "</p>\n");
        }
    }
    bf__sbuf_printf(&html, "<p>%s: <a href=\"data/summary.tsv\">data/summary.tsv</a></p>\n",
                    T(l, "Every aggregate of the run", "该运行的全部汇总数据"));
    bf__sbuf_printf(&html, "<h2>%s</h2>\n<p>%s</p>\n<pre>", T(l, "Reproduce", "复现"),
                    T(l, "These commands reproduce this folder from the scenario (the run) and "
                         "from the store (the briefing and each chart).",
                      "以下命令可由情景文件（运行）和结果库（报告与各图表）复现本文件夹。"));
    html_text(&html, bf__sbuf_str(&cmd));
    bf__sbuf_put(&html, "</pre>\n</body>\n</html>\n");
    bool oom = md.oom || html.oom || cmd.oom || facts.oom;
    bf__sbuf_fini(&facts);
    if (oom) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    path.len = 0;
    bf__sbuf_printf(&path, "%s/summary.md", out_dir);
    FILE *f = path.oom ? NULL : fopen(path.s, "w");
    if (!f || fputs(md.s, f) < 0 || fclose(f) != 0) {
        st = bf_error_set(err, BF_EIO, "cannot write %s: %s", bf__sbuf_str(&path), strerror(errno));
        goto done;
    }
    path.len = 0;
    bf__sbuf_printf(&path, "%s/index.html", out_dir);
    f = path.oom ? NULL : fopen(path.s, "w");
    if (!f || fputs(html.s, f) < 0 || fclose(f) != 0) {
        st = bf_error_set(err, BF_EIO, "cannot write %s: %s", bf__sbuf_str(&path), strerror(errno));
        goto done;
    }
done:
    for (int i = 0; i < 4; i++)
        table_fini(&tables[i]);
    bf_free(sweep_runs);
    bf__sbuf_fini(&path);
    bf__sbuf_fini(&md);
    bf__sbuf_fini(&html);
    bf__sbuf_fini(&cmd);
    bf_report_run_fini(&info);
    return st;
}
