/*
 * chart.c - what every chart kind shares: the chart record (labels,
 * kind-specific gnuplot variables, one block of TSV rows per series),
 * run selection, the provenance footnote, and gnuplot string quoting.
 *
 * A builder (chart_time.c, chart_dist.c, chart_bars.c, chart_sweep.c)
 * reads the store and fills the record; gnuplot.c turns the record into a
 * script and a data file.  The record keeps numbers already in the unit
 * the chart shows (minutes, %, ...), formatted as text, so the data file
 * is exactly what gnuplot draws.
 */
#include "report/report_int.h"

#include <math.h>
#include <string.h>

#include "borderflow/units.h"

static const char *const kind_names[] = {"timeseries", "cdf", "utilization", "sweep",
                                         "compare"};

int bf_chart_kind_parse(const char *name, bf_chart_kind *out)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (bf_chart_kind)i;
            return 0;
        }
    return -1;
}

const char *bf_chart_kind_name(bf_chart_kind k)
{
    return (unsigned)k < 5 ? kind_names[k] : "?";
}

const char *bf_chart_format_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    static const char *const fmts[] = {"png", "svg", "pdf"};
    for (int i = 0; i < 3; i++) {
        const char *a = dot + 1, *b = fmts[i];
        while (*a && *b && (*a | 0x20) == *b)
            a++, b++;
        if (!*a && !*b)
            return fmts[i];
    }
    return NULL;
}

bool bf__chart_set(char **field, const char *text)
{
    char *s = bf_strdup(text ? text : "");
    if (!s)
        return false;
    bf_free(*field);
    *field = s;
    return true;
}

chart_series *bf__chart_add_series(bf_chart *c, const char *title)
{
    chart_series *v = bf_realloc(c->series, (c->n_series + 1) * sizeof *v);
    if (!v)
        return NULL;
    c->series = v;
    chart_series *s = &v[c->n_series];
    *s = (chart_series){0};
    if (!(s->title = bf_strdup(title)))
        return NULL;
    c->n_series++;
    return s;
}

void bf__sbuf_num(sbuf *b, double v)
{
    if (isnan(v) || isinf(v)) {
        bf__sbuf_put(b, "NaN");
        return;
    }
    char buf[40];
    bf__fmt_exact(buf, sizeof buf, v);
    bf__sbuf_put(b, buf);
}

void bf__gp_string(sbuf *b, const char *s)
{
    /* Double-quoted gnuplot strings interpret backslash escapes; the
     * terminals run in noenhanced mode, so no other character is special
     * in a label. */
    bf__sbuf_put(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            bf__sbuf_printf(b, "\\%c", *s);
        else if (*s == '\n')
            bf__sbuf_put(b, "\\n");
        else if (*s == '\t')
            bf__sbuf_put(b, " ");
        else
            bf__sbuf_printf(b, "%c", *s);
    }
    bf__sbuf_put(b, "\"");
}

void bf__chart_var_num(bf_chart *c, const char *name, double v)
{
    bf__sbuf_printf(&c->vars, "%s = ", name);
    bf__sbuf_num(&c->vars, v);
    bf__sbuf_put(&c->vars, "\n");
}

void bf__chart_var_str(bf_chart *c, const char *name, const char *v)
{
    bf__sbuf_printf(&c->vars, "%s = ", name);
    bf__gp_string(&c->vars, v);
    bf__sbuf_put(&c->vars, "\n");
}

bf_status bf__chart_target(const bf_chart_spec *spec, const char *unit, bool *has, double *v,
                           bf_error *err)
{
    *has = false;
    *v = NAN;
    if (!spec->target)
        return BF_OK;
    char why[160];
    bf_status st;
    const char *want;
    if (strcmp(unit, "s") == 0) {
        st = bf_parse_duration(spec->target, v, why, sizeof why);
        want = "a duration such as 10min";
    } else if (strcmp(unit, "share") == 0) {
        st = bf_parse_share(spec->target, v, why, sizeof why);
        want = "a share such as 85%";
    } else {
        st = bf_parse_number(spec->target, v, why, sizeof why);
        want = "a number";
    }
    if (st != BF_OK) {
        bf_error_clear(err);
        bf_error_at(err, NULL, 0, NULL, "--target", spec->target);
        return bf_error_set(err, BF_EINVAL, "--target for this chart needs %s (its unit is %s), "
                            "got '%s'", want, unit, spec->target);
    }
    *has = true;
    return BF_OK;
}

bf_status bf__chart_one_run(bf_report *r, const bf_chart_spec *spec, int64_t *run, bf_error *err)
{
    if (spec->n_runs > 1)
        return bf_error_set(err, BF_EINVAL, "the %s chart draws one run; got %zu runs",
                            bf_chart_kind_name(spec->kind), spec->n_runs);
    if (spec->n_runs == 1) {
        *run = spec->runs[0];
        bf_report_run info;
        bf_status st = bf_report_run_get(r, *run, &info, err);
        bf_report_run_fini(&info);
        return st;
    }
    return bf_report_latest_run(r, run, err);
}

/* The distinct values of v, "a, b, c", at most three and then "...". */
static void join_distinct(sbuf *b, char **v, size_t n)
{
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(v[i], v[j]) == 0;
        if (seen)
            continue;
        if (shown == 3) {
            bf__sbuf_put(b, ", ...");
            break;
        }
        bf__sbuf_printf(b, "%s%s", shown++ ? ", " : "", v[i]);
    }
}

bf_status bf__chart_footnote(bf_report *r, bf_chart *c, const int64_t *runs, size_t n,
                             const char *extra, bf_error *err)
{
    /* scenario X · run 3 · 20 replications · seed S · borderflow V (rev)
     * The version is the one that produced the numbers, from the store. */
    bf_report_run *info = bf_calloc(n, sizeof *info);
    char **scen = bf_calloc(n, sizeof *scen), **seed = bf_calloc(n, sizeof *seed),
         **ver = bf_calloc(n, sizeof *ver);
    bf_status st = BF_OK;
    if (!info || !scen || !seed || !ver) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    int rmin = 0, rmax = 0;
    sbuf b = {0};
    for (size_t i = 0; i < n && st == BF_OK; i++) {
        st = bf_report_run_get(r, runs[i], &info[i], err);
        if (st != BF_OK)
            break;
        scen[i] = info[i].scenario;
        seed[i] = info[i].seed;
        sbuf v = {0};
        bf__sbuf_printf(&v, "%s (%s)", info[i].version, info[i].revision);
        if (!(ver[i] = bf__sbuf_take(&v))) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        int reps = info[i].replications;
        if (i == 0 || reps < rmin)
            rmin = reps;
        if (i == 0 || reps > rmax)
            rmax = reps;
    }
    if (st != BF_OK)
        goto done;
    lang l = c->lang;
    bool many_scen = false, many_seed = false;
    for (size_t i = 1; i < n; i++) {
        many_scen |= strcmp(scen[i], scen[0]) != 0;
        many_seed |= strcmp(seed[i], seed[0]) != 0;
    }
    bf__sbuf_printf(&b, "%s ", bf__L(l, many_scen ? "scenarios" : "scenario"));
    join_distinct(&b, scen, n);
    bf__sbuf_printf(&b, " · %s ", bf__L(l, n > 1 ? "runs" : "run"));
    /* Consecutive ids as ranges: "1-8", "2, 5-7". */
    size_t shown = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && runs[j + 1] == runs[j] + 1)
            j++;
        if (shown++ == 6) {
            bf__sbuf_put(&b, ", ...");
            break;
        }
        if (j > i + 1)
            bf__sbuf_printf(&b, "%s%lld-%lld", i ? ", " : "", (long long)runs[i],
                            (long long)runs[j]);
        else if (j == i + 1)
            bf__sbuf_printf(&b, "%s%lld, %lld", i ? ", " : "", (long long)runs[i],
                            (long long)runs[j]);
        else
            bf__sbuf_printf(&b, "%s%lld", i ? ", " : "", (long long)runs[i]);
        i = j + 1;
    }
    bf__sbuf_put(&b, " · ");
    if (rmin == rmax)
        bf__sbuf_printf(&b, bf__L(l, "%d replications"), rmin);
    else
        bf__sbuf_printf(&b, bf__L(l, "%d-%d replications"), rmin, rmax);
    bf__sbuf_printf(&b, " · %s ", bf__L(l, many_seed ? "seeds" : "seed"));
    join_distinct(&b, seed, n);
    bf__sbuf_put(&b, " · borderflow ");
    join_distinct(&b, ver, n);
    if (b.oom || !bf__chart_set(&c->foot1, bf__sbuf_str(&b)) ||
        !bf__chart_set(&c->foot2, extra ? extra : bf__L(l, "95% confidence intervals (Student "
                                                          "t across replications)")))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bf__sbuf_fini(&b);
    /* Provenance of the data file, in full. */
    for (size_t i = 0; i < n && st == BF_OK; i++) {
        char *ovr = bf__overrides_line(info[i].overrides);
        bf__sbuf_printf(&c->comment, "# run %lld: scenario %s, %d replications, seed %s, "
                                     "borderflow %s (%s), overrides: %s\n",
                        (long long)runs[i], info[i].scenario, info[i].replications,
                        info[i].seed, info[i].version, info[i].revision,
                        ovr && ovr[0] ? ovr : "none");
        bf_free(ovr);
    }
done:
    for (size_t i = 0; info && i < n; i++) {
        bf_report_run_fini(&info[i]);
        if (ver)
            bf_free(ver[i]);
    }
    bf_free(info);
    bf_free(scen);
    bf_free(seed);
    bf_free(ver);
    return st;
}

size_t bf_chart_n_series(const bf_chart *c)
{
    return c->n_series;
}

size_t bf_chart_n_rows(const bf_chart *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_series; i++)
        n += c->series[i].n_rows;
    return n;
}

void bf_chart_destroy(bf_chart *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_series; i++) {
        bf_free(c->series[i].title);
        bf__sbuf_fini(&c->series[i].rows);
    }
    bf_free(c->series);
    char *f[] = {c->font, c->title, c->subtitle, c->x_label, c->y_label, c->foot1, c->foot2,
                 c->columns};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        bf_free(f[i]);
    bf__sbuf_fini(&c->comment);
    bf__sbuf_fini(&c->vars);
    bf_free(c);
}

bf_status bf_chart_build(bf_report *r, const bf_chart_spec *spec, bf_chart **out, bf_error *err)
{
    *out = NULL;
    bf_error_clear(err);
    lang l;
    if (bf__lang_parse(spec->lang, &l) != 0)
        return bf_error_set(err, BF_EINVAL, "unknown language '%s' (expected en or zh)",
                            spec->lang);
    if ((unsigned)spec->kind > BF_CHART_COMPARE)
        return bf_error_set(err, BF_EINVAL, "unknown chart kind");
    bf_chart *c = bf_calloc(1, sizeof *c);
    if (!c)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    c->kind = spec->kind;
    c->tmpl = kind_names[spec->kind];
    c->lang = l;
    bf_status st = BF_OK;
    if (!bf__chart_set(&c->font, spec->font ? spec->font : bf__lang_font(l))) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto fail;
    }
    switch (spec->kind) {
    case BF_CHART_TIMESERIES: st = bf__chart_timeseries(r, spec, c, err); break;
    case BF_CHART_CDF: st = bf__chart_cdf(r, spec, c, err); break;
    case BF_CHART_UTILIZATION: st = bf__chart_utilization(r, spec, c, err); break;
    case BF_CHART_SWEEP: st = bf__chart_sweep(r, spec, c, err); break;
    case BF_CHART_COMPARE: st = bf__chart_compare(r, spec, c, err); break;
    }
    if (st != BF_OK)
        goto fail;
    if (spec->title && !bf__chart_set(&c->title, spec->title))
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    bool oom = c->comment.oom || c->vars.oom;
    for (size_t i = 0; i < c->n_series; i++)
        oom |= c->series[i].rows.oom;
    if (st == BF_OK && oom)
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    if (st == BF_OK && c->n_series == 0)
        st = bf_error_set(err, BF_EINVAL, "nothing to draw");
    if (st != BF_OK)
        goto fail;
    *out = c;
    return BF_OK;
fail:
    bf_chart_destroy(c);
    return st;
}
