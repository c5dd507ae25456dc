/*
 * output.c - summary tables.  The table format picks the figures an
 * analyst briefs on (end-to-end times by class, waits and utilisation by
 * station, clearance by line, zone occupancy), each as mean ± 95% CI
 * half-width, with times in the unit that reads best.  The long formats
 * dump every key of the catalogue so nothing is hidden from programs.
 */
#include "cli/output.h"

#include <math.h>
#include <string.h>

#include "borderflow/units.h"

int out_parse_format(const char *name, out_format *fmt)
{
    static const char *const names[] = {"table", "tsv", "csv", "json"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *fmt = (out_format)i;
            return 0;
        }
    return -1;
}

/* ---- long formats --------------------------------------------------- */

void out_field(FILE *f, out_format fmt, const char *s)
{
    if (fmt != OUT_CSV || !strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void num(FILE *f, double v, bool json)
{
    if (isnan(v))
        fputs(json ? "null" : "", f);
    else
        fprintf(f, "%.10g", v);
}

void out_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void long_format(FILE *f, out_format fmt, const bf_model *m, const bf_catalog *cat,
                        const bf_run_result *res, const char *db, long long run_id)
{
    if (fmt == OUT_JSON) {
        fprintf(f, "{\"scenario\":");
        out_json_str(f, m->name);
        fprintf(f, ",\"replications\":%d,\"seed\":%llu,\"horizon_s\":%.10g,\"warmup_s\":%.10g",
                res->n_reps, (unsigned long long)m->seed, m->horizon, m->warmup);
        if (db) {
            fprintf(f, ",\"store\":");
            out_json_str(f, db);
            fprintf(f, ",\"run_id\":%lld", run_id);
        }
        fprintf(f, ",\"metrics\":[");
        for (size_t i = 0; i < cat->n_keys; i++) {
            const bf_metric_key *k = &cat->keys[i];
            const bf_ci *c = &res->ci[i];
            fprintf(f, "%s\n{\"scope_kind\":", i ? "," : "");
            out_json_str(f, k->scope_kind);
            fprintf(f, ",\"scope\":");
            out_json_str(f, k->scope);
            fprintf(f, ",\"class\":");
            out_json_str(f, k->class_name);
            fprintf(f, ",\"metric\":");
            out_json_str(f, k->metric);
            fprintf(f, ",\"unit\":");
            out_json_str(f, k->unit);
            fprintf(f, ",\"n\":%zu,\"mean\":", c->n);
            num(f, c->mean, true);
            fprintf(f, ",\"half_width\":");
            num(f, c->half_width, true);
            fprintf(f, "}");
        }
        fprintf(f, "\n]}\n");
        return;
    }
    char sep = fmt == OUT_TSV ? '\t' : ',';
    fprintf(f, "scenario%cscope_kind%cscope%cclass%cmetric%cunit%cn%cmean%chalf_width%cci_low%cci_high\n",
            sep, sep, sep, sep, sep, sep, sep, sep, sep, sep);
    for (size_t i = 0; i < cat->n_keys; i++) {
        const bf_metric_key *k = &cat->keys[i];
        const bf_ci *c = &res->ci[i];
        const char *fields[] = {m->name, k->scope_kind, k->scope, k->class_name, k->metric, k->unit};
        for (size_t j = 0; j < 6; j++) {
            out_field(f, fmt, fields[j]);
            fputc(sep, f);
        }
        fprintf(f, "%zu%c", c->n, sep);
        num(f, c->mean, false);
        fputc(sep, f);
        num(f, c->half_width, false);
        fputc(sep, f);
        num(f, c->mean - c->half_width, false);
        fputc(sep, f);
        num(f, c->mean + c->half_width, false);
        fputc('\n', f);
    }
}

/* ---- table ---------------------------------------------------------- */

static double get(const bf_catalog *cat, const bf_run_result *res, const char *sk,
                  const char *scope, const char *cls, const char *metric, double *hw)
{
    long i = bf_catalog_find(cat, sk, scope, cls, metric);
    if (i < 0) {
        if (hw)
            *hw = NAN;
        return NAN;
    }
    if (hw)
        *hw = res->ci[i].half_width;
    return res->ci[i].mean;
}

/* A time as "12.3 ±0.4 min" in a fixed width; the unit follows the mean. */
static void cell_time(FILE *f, double mean, double hw, int width)
{
    char buf[64];
    if (isnan(mean)) {
        snprintf(buf, sizeof buf, "-");
    } else {
        double scale = 1.0;
        const char *unit = "s";
        if (fabs(mean) >= 7200.0) {
            scale = 3600.0;
            unit = "h";
        } else if (fabs(mean) >= 120.0) {
            scale = 60.0;
            unit = "min";
        }
        /* Below a tenth of a second a wait is nil for any briefing. */
        if (fabs(mean) < 0.05 && (isnan(hw) || hw < 0.05))
            snprintf(buf, sizeof buf, "0 s");
        else if (isnan(hw))
            snprintf(buf, sizeof buf, "%.3g %s", mean / scale, unit);
        else
            snprintf(buf, sizeof buf, "%.3g ±%.2g %s", mean / scale, hw / scale, unit);
    }
    fprintf(f, "%*s", width, buf);
}

static void cell_num(FILE *f, double mean, double hw, int width, const char *fmt_mean)
{
    char buf[96], a[32], b[32];
    if (isnan(mean)) {
        snprintf(buf, sizeof buf, "-");
    } else if (fabs(mean) < 0.005 && (isnan(hw) || hw < 0.005)) {
        snprintf(buf, sizeof buf, "0");
    } else {
        snprintf(a, sizeof a, fmt_mean, mean);
        if (isnan(hw)) {
            snprintf(buf, sizeof buf, "%s", a);
        } else {
            snprintf(b, sizeof b, "%.2g", hw);
            snprintf(buf, sizeof buf, "%s ±%s", a, b);
        }
    }
    fprintf(f, "%*s", width, buf);
}

static void cell_pct(FILE *f, double mean, double hw, int width)
{
    char buf[64];
    if (isnan(mean))
        snprintf(buf, sizeof buf, "-");
    else if (isnan(hw))
        snprintf(buf, sizeof buf, "%.1f%%", 100 * mean);
    else
        snprintf(buf, sizeof buf, "%.1f%% ±%.1f", 100 * mean, 100 * hw);
    fprintf(f, "%*s", width, buf);
}

static void table(FILE *f, const bf_model *m, const bf_catalog *cat, const bf_run_result *res,
                  const char *db, long long run_id)
{
    char h[32], w[32];
    bf_format_duration(m->horizon, h, sizeof h);
    bf_format_duration(m->warmup, w, sizeof w);
    fprintf(f, "\n%s%s%s\n", m->name, m->title[0] ? ": " : "", m->title);
    fprintf(f, "%d replications of %s (warm-up %s), seed %llu. Figures are means across "
               "replications ±95%% CI half-width.\n",
            res->n_reps, h, w, (unsigned long long)m->seed);
    double hw, v;

    fprintf(f, "\nEnd to end, by class\n");
    fprintf(f, "  %-14s %16s %22s %22s %22s %22s\n", "class", "throughput/h", "time in system",
            "time in system p95", "total wait", "total wait p95");
    for (size_t c = 0; c < m->n_classes; c++) {
        const char *cn = m->classes[c].name;
        fprintf(f, "  %-14s ", cn);
        v = get(cat, res, "class", cn, cn, "throughput", &hw);
        cell_num(f, v, hw, 16, "%.1f");
        v = get(cat, res, "class", cn, cn, "time_in_system_mean", &hw);
        cell_time(f, v, hw, 23);
        v = get(cat, res, "class", cn, cn, "time_in_system_p95", &hw);
        cell_time(f, v, hw, 23);
        v = get(cat, res, "class", cn, cn, "wait_mean", &hw);
        cell_time(f, v, hw, 23);
        v = get(cat, res, "class", cn, cn, "wait_p95", &hw);
        cell_time(f, v, hw, 23);
        fputc('\n', f);
    }
    fprintf(f, "  %-14s ", "all");
    v = get(cat, res, "system", "", "", "throughput", &hw);
    cell_num(f, v, hw, 16, "%.1f");
    v = get(cat, res, "system", "", "", "time_in_system_mean", &hw);
    cell_time(f, v, hw, 23);
    v = get(cat, res, "system", "", "", "time_in_system_p95", &hw);
    cell_time(f, v, hw, 23);
    fputc('\n', f);

    fprintf(f, "\nStations\n");
    fprintf(f, "  %-14s %-6s %7s %14s %14s %20s %20s %20s %20s\n", "station", "line", "servers",
            "served/h", "utilization", "wait mean", "wait p95", "wait p99", "queue mean");
    for (size_t n = 0; n < m->n_nodes; n++) {
        const bf_node *nd = &m->nodes[n];
        if (nd->kind != BF_NODE_STATION)
            continue;
        /* With a staffing schedule: the range of servers on duty. */
        char servers[24];
        if (nd->n_shifts) {
            uint32_t lo = nd->shift_servers[0];
            for (size_t k = 1; k < nd->n_shifts; k++)
                if (nd->shift_servers[k] < lo)
                    lo = nd->shift_servers[k];
            snprintf(servers, sizeof servers, "%u-%u", lo, nd->servers);
        } else {
            snprintf(servers, sizeof servers, "%u", nd->servers);
        }
        fprintf(f, "  %-14s %-6s %7s ", nd->name, bf_line_name(nd->line), servers);
        v = get(cat, res, "station", nd->name, "", "throughput", &hw);
        cell_num(f, v, hw, 14, "%.1f");
        v = get(cat, res, "station", nd->name, "", "utilization", &hw);
        cell_pct(f, v, hw, 15);
        v = get(cat, res, "station", nd->name, "", "wait_mean", &hw);
        cell_time(f, v, hw, 21);
        v = get(cat, res, "station", nd->name, "", "wait_p95", &hw);
        cell_time(f, v, hw, 21);
        v = get(cat, res, "station", nd->name, "", "wait_p99", &hw);
        cell_time(f, v, hw, 21);
        v = get(cat, res, "station", nd->name, "", "queue_mean", &hw);
        cell_num(f, v, hw, 21, "%.3g");
        fputc('\n', f);
    }

    bool any_line = false;
    for (int l = 1; l < BF_N_LINES; l++)
        any_line |= bf_catalog_find(cat, "line", bf_line_name((bf_line)l), "", "passages") >= 0;
    if (any_line) {
        fprintf(f, "\nClearance by line (time from reaching a line's first station to leaving its last)\n");
        fprintf(f, "  %-8s %-14s %16s %22s %22s %22s\n", "line", "class", "passages/h",
                "clearance mean", "clearance p95", "utilization");
        for (int l = 1; l < BF_N_LINES; l++) {
            const char *ln = bf_line_name((bf_line)l);
            if (bf_catalog_find(cat, "line", ln, "", "passages") < 0)
                continue;
            for (size_t c = 0; c <= m->n_classes; c++) {
                const char *cn = c < m->n_classes ? m->classes[c].name : "";
                if (bf_catalog_find(cat, "line", ln, cn, "passages") < 0)
                    continue;
                fprintf(f, "  %-8s %-14s ", ln, cn[0] ? cn : "all");
                v = get(cat, res, "line", ln, cn, "throughput", &hw);
                cell_num(f, v, hw, 16, "%.1f");
                v = get(cat, res, "line", ln, cn, "clearance_mean", &hw);
                cell_time(f, v, hw, 23);
                v = get(cat, res, "line", ln, cn, "clearance_p95", &hw);
                cell_time(f, v, hw, 23);
                if (!cn[0]) {
                    v = get(cat, res, "line", ln, "", "utilization", &hw);
                    cell_pct(f, v, hw, 23);
                }
                fputc('\n', f);
            }
        }
    }

    if (bf_catalog_find(cat, "line", "second", "", "inspections") >= 0 ||
        bf_catalog_find(cat, "line", "first", "", "inspections") >= 0) {
        fprintf(f, "\nSecurity (violations per run window: found by inspections, or through undetected)\n");
        fprintf(f, "  %-8s %18s %18s %18s %20s\n", "line", "inspections", "intercepted",
                "missed", "found nothing");
        for (int l = 1; l < BF_N_LINES; l++) {
            const char *ln = bf_line_name((bf_line)l);
            if (bf_catalog_find(cat, "line", ln, "", "inspections") < 0)
                continue;
            fprintf(f, "  %-8s ", ln);
            v = get(cat, res, "line", ln, "", "inspections", &hw);
            cell_num(f, v, hw, 18, "%.0f");
            v = get(cat, res, "line", ln, "", "violations_intercepted", &hw);
            cell_num(f, v, hw, 19, "%.3g");
            v = get(cat, res, "line", ln, "", "violations_missed", &hw);
            cell_num(f, v, hw, 19, "%.3g");
            v = get(cat, res, "line", ln, "", "clean_inspection_share", &hw);
            cell_pct(f, v, hw, 21);
            fputc('\n', f);
        }
    }
    bool any_size = false;
    for (size_t c = 0; c < m->n_classes; c++)
        any_size |= m->classes[c].size_kind != BF_SIZE_NONE;
    if (any_size) {
        fprintf(f, "\nVolumes\n");
        for (size_t c = 0; c < m->n_classes; c++) {
            const char *cn = m->classes[c].name;
            if (m->classes[c].size_kind == BF_SIZE_VOLUME) {
                v = get(cat, res, "class", cn, cn, "volume_per_day", &hw);
                fprintf(f, "  %-14s ", cn);
                cell_num(f, v, hw, 16, "%.4g");
                fprintf(f, " GB per day delivered\n");
            } else if (m->classes[c].size_kind == BF_SIZE_OCCUPANCY) {
                v = get(cat, res, "class", cn, cn, "people_per_hour", &hw);
                fprintf(f, "  %-14s ", cn);
                cell_num(f, v, hw, 16, "%.4g");
                fprintf(f, " people per hour on board (");
                v = get(cat, res, "class", cn, cn, "throughput", &hw);
                fprintf(f, "%.4g vehicles per hour)\n", v);
            }
        }
    }

    bool any_delay = false;
    for (size_t n = 0; n < m->n_nodes; n++)
        any_delay |= m->nodes[n].kind == BF_NODE_DELAY;
    if (any_delay) {
        fprintf(f, "\nDelays\n");
        fprintf(f, "  %-14s %16s %16s %22s\n", "delay", "present (mean)", "present (max)",
                "dwell mean");
        for (size_t n = 0; n < m->n_nodes; n++) {
            const bf_node *nd = &m->nodes[n];
            if (nd->kind != BF_NODE_DELAY)
                continue;
            fprintf(f, "  %-14s ", nd->name);
            v = get(cat, res, "delay", nd->name, "", "present_mean", &hw);
            cell_num(f, v, hw, 16, "%.4g");
            v = get(cat, res, "delay", nd->name, "", "present_max", &hw);
            cell_num(f, v, hw, 17, "%.4g");
            v = get(cat, res, "delay", nd->name, "", "dwell_mean", &hw);
            cell_time(f, v, hw, 23);
            fputc('\n', f);
        }
    }
    fprintf(f, "\n%llu events in %.2f s (%.3g events/s).\n", (unsigned long long)res->events,
            res->wall_s, res->wall_s > 0 ? (double)res->events / res->wall_s : 0.0);
    if (db)
        fprintf(f, "Stored in %s as run %lld.  Every metric: sqlite3 %s \"SELECT * FROM "
                   "v_aggregates WHERE run_id = %lld\"\n",
                db, run_id, db, run_id);
}

void out_summary(FILE *f, out_format fmt, const bf_model *m, const bf_catalog *cat,
                 const bf_run_result *res, const char *db, long long run_id)
{
    if (fmt == OUT_TABLE)
        table(f, m, cat, res, db, run_id);
    else
        long_format(f, fmt, m, cat, res, db, run_id);
}
