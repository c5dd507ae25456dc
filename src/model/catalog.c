/*
 * catalog.c - the list of metrics and time series a model produces, and
 * the private layout the simulator uses to fill them.
 *
 * Keys are enumerated in a fixed order that depends on the model only:
 * system, then each class, each station, each station x class pair the
 * class can visit, each delay, each line in use, each line x class pair.
 * The same enumeration runs twice: once to count and size the string
 * pool, once to fill it, so names and layout cannot drift apart.
 */
#include <stdio.h>
#include <string.h>

#include "model/sim_int.h"

static const char *const sk_names[] = {"system", "class", "station", "delay", "line"};
static const char *const line_scope[BF_N_LINES] = {"", "first", "second"};

typedef struct builder {
    bf_catalog *cat;
    bf_layout *lay;
    size_t n_keys, n_series, n_groups;
    size_t str_len;
    bool fill; /* second pass: write keys */
    int hour;  /* hour of day the keys being added are for, or -1 */
} builder;

static const char *put_str(builder *b, const char *s)
{
    size_t n = strlen(s) + 1;
    const char *out = NULL;
    if (b->fill) {
        char *dst = b->cat->strings + b->str_len;
        memcpy(dst, s, n);
        out = dst;
    }
    b->str_len += n;
    return out;
}

static void add_key(builder *b, sk_id sk, int scope, const char *scope_name, int cls,
                    const char *cls_name, metric_id mid, const char *metric, const char *unit,
                    int group)
{
    if (b->fill) {
        bf_metric_key *k = &b->cat->keys[b->n_keys];
        k->scope_kind = sk_names[sk];
        k->scope = put_str(b, scope_name);
        k->class_name = put_str(b, cls_name);
        k->metric = put_str(b, metric);
        k->unit = unit;
        k->hist = mid >= MT_G_MEAN ? group : -1;
        b->lay->refs[b->n_keys] = (key_ref){sk, scope, cls, mid, group, b->hour};
    } else {
        put_str(b, scope_name);
        put_str(b, cls_name);
        put_str(b, metric);
    }
    b->n_keys++;
}

/* A group and its keys; returns the group index.  With reuse >= 0 no new
 * group is made: the keys read group `reuse`.  That is how a per-class
 * scope visited by one class only shares the all-classes accumulators,
 * which are then identical, instead of the simulator filling both. */
static int add_group_as(builder *b, sk_id sk, int scope, const char *scope_name, int cls,
                        const char *cls_name, const char *quantity, int reuse)
{
    static const struct {
        metric_id id;
        const char *suffix;
    } parts[] = {{MT_G_MEAN, "mean"}, {MT_G_P50, "p50"}, {MT_G_P90, "p90"},
                 {MT_G_P95, "p95"},   {MT_G_P99, "p99"}, {MT_G_MAX, "max"}};
    int g = reuse >= 0 ? reuse : (int)b->n_groups++;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s_%s", quantity, parts[i].suffix);
        add_key(b, sk, scope, scope_name, cls, cls_name, parts[i].id, name, "s", g);
    }
    /* For waits, also the share of entities that had to wait at all (the
     * Erlang C probability, for a multi-server queue). */
    if (strcmp(quantity, "wait") == 0)
        add_key(b, sk, scope, scope_name, cls, cls_name, MT_G_WAITED, "wait_probability",
                "share", g);
    return g;
}

static int add_group(builder *b, sk_id sk, int scope, const char *scope_name, int cls,
                     const char *cls_name, const char *quantity)
{
    return add_group_as(b, sk, scope, scope_name, cls, cls_name, quantity, -1);
}

static void add_series(builder *b, sk_id sk, const char *scope, const char *metric)
{
    if (b->fill) {
        bf_series_key *s = &b->cat->series[b->n_series];
        s->scope_kind = sk_names[sk];
        s->scope = put_str(b, scope);
        s->metric = metric;
    } else {
        put_str(b, scope);
    }
    b->n_series++;
}

static void enumerate(builder *b, const bf_model *m)
{
    bf_layout *L = b->lay;
    size_t C = m->n_classes;
    /* By-hour keys only for the hours of the day the window covers. */
    double exposure[24];
    bf_model_hour_exposure(m, exposure);
#define SET(field, v) do { if (b->fill) { field = (v); } } while (0)

    add_key(b, SK_SYSTEM, -1, "", -1, "", MT_ARRIVALS, "arrivals", "entities", -1);
    add_key(b, SK_SYSTEM, -1, "", -1, "", MT_DEPARTURES, "departures", "entities", -1);
    add_key(b, SK_SYSTEM, -1, "", -1, "", MT_THROUGHPUT, "throughput", "1/h", -1);
    add_key(b, SK_SYSTEM, -1, "", -1, "", MT_IN_MEAN, "in_system_mean", "entities", -1);
    add_key(b, SK_SYSTEM, -1, "", -1, "", MT_IN_MAX, "in_system_max", "entities", -1);
    bool any_loss = false, any_detect = false;
    for (size_t n = 0; n < m->n_nodes; n++) {
        any_loss |= m->nodes[n].capacity > 0 || m->nodes[n].patience.type != NULL;
        any_detect |= m->nodes[n].detection > 0;
    }
    if (any_loss) {
        add_key(b, SK_SYSTEM, -1, "", -1, "", MT_BLOCKED, "blocked", "entities", -1);
        add_key(b, SK_SYSTEM, -1, "", -1, "", MT_RENEGED, "reneged", "entities", -1);
    }
    int g = add_group(b, SK_SYSTEM, -1, "", -1, "", "time_in_system");
    SET(L->g_sys_tis, g);

    for (size_t c = 0; c < C; c++) {
        const char *cn = m->classes[c].name;
        add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_ARRIVALS, "arrivals", "entities", -1);
        add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_DEPARTURES, "departures", "entities", -1);
        add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_THROUGHPUT, "throughput", "1/h", -1);
        if (any_loss) {
            add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_BLOCKED, "blocked", "entities", -1);
            add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_RENEGED, "reneged", "entities", -1);
        }
        if (any_detect) {
            add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_VIOLATORS, "violators", "entities", -1);
            add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_DETECTIONS, "violations_intercepted",
                    "entities", -1);
        }
        if (m->classes[c].size_kind == BF_SIZE_VOLUME)
            add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_VOLUME_DAY, "volume_per_day", "GB",
                    -1);
        if (m->classes[c].size_kind == BF_SIZE_OCCUPANCY)
            add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_PEOPLE_HOUR, "people_per_hour",
                    "1/h", -1);
        if (m->by_hour)
            for (int h = 0; h < 24; h++) {
                if (!(exposure[h] > 0))
                    continue;
                char name[32];
                snprintf(name, sizeof name, "arrivals_h%02d", h);
                b->hour = h;
                add_key(b, SK_CLASS, (int)c, cn, (int)c, cn, MT_H_ARRIVALS, name, "1/h", -1);
                b->hour = -1;
            }
        g = add_group_as(b, SK_CLASS, (int)c, cn, (int)c, cn, "time_in_system",
                         C == 1 ? L->g_sys_tis : -1);
        SET(L->g_cls_tis[c], g);
        g = add_group(b, SK_CLASS, (int)c, cn, (int)c, cn, "wait");
        SET(L->g_cls_wait[c], g);
    }

    for (size_t n = 0; n < m->n_nodes; n++) {
        const bf_node *nd = &m->nodes[n];
        if (nd->kind != BF_NODE_STATION)
            continue;
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_SERVED, "served", "entities", -1);
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_THROUGHPUT, "throughput", "1/h", -1);
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_QUEUE_MEAN, "queue_mean", "entities", -1);
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_QUEUE_MAX, "queue_max", "entities", -1);
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_UTILIZATION, "utilization", "share", -1);
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_SERVERS, "servers", "servers", -1);
        add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_BUSY_HOURS, "busy_hours_per_day",
                "h", -1);
        if (nd->n_shifts)
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_STAFF_HOURS,
                    "staff_hours_per_day", "h", -1);
        if (nd->detection > 0) {
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_INSPECTIONS, "inspections",
                    "entities", -1);
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_DETECTIONS,
                    "violations_intercepted", "entities", -1);
        }
        if (nd->capacity) {
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_BLOCKED, "blocked", "entities", -1);
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_BLOCK_P, "blocking_probability",
                    "share", -1);
        }
        if (nd->patience.type) {
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_RENEGED, "reneged", "entities", -1);
            add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_ABANDON_P,
                    "abandonment_probability", "share", -1);
        }
        int gs = add_group(b, SK_STATION, (int)n, nd->name, -1, "", "wait");
        SET(L->g_node[n], gs);
        add_series(b, SK_STATION, nd->name, "queue_length");
        SET(L->series_of_node[n], (int)b->n_series - 1);
        if (m->by_hour)
            for (int h = 0; h < 24; h++) {
                if (!(exposure[h] > 0))
                    continue;
                char name[32];
                b->hour = h;
                snprintf(name, sizeof name, "throughput_h%02d", h);
                add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_H_THROUGHPUT, name, "1/h", -1);
                int gh = (int)b->n_groups++;
                snprintf(name, sizeof name, "wait_mean_h%02d", h);
                add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_G_MEAN, name, "s", gh);
                snprintf(name, sizeof name, "wait_p95_h%02d", h);
                add_key(b, SK_STATION, (int)n, nd->name, -1, "", MT_G_P95, name, "s", gh);
                b->hour = -1;
                SET(L->g_node_hour[n * 24 + (size_t)h], gh);
            }
        size_t n_visitors = 0;
        for (size_t c = 0; c < C; c++)
            n_visitors += bf_model_class_visits(m, c, n);
        for (size_t c = 0; c < C; c++) {
            if (!bf_model_class_visits(m, c, n))
                continue;
            const char *cn = m->classes[c].name;
            add_key(b, SK_STATION, (int)n, nd->name, (int)c, cn, MT_SERVED, "served", "entities", -1);
            g = add_group_as(b, SK_STATION, (int)n, nd->name, (int)c, cn, "wait",
                             n_visitors == 1 ? gs : -1);
            SET(L->g_node_cls[n * C + c], g);
        }
    }

    for (size_t n = 0; n < m->n_nodes; n++) {
        const bf_node *nd = &m->nodes[n];
        if (nd->kind != BF_NODE_DELAY)
            continue;
        add_key(b, SK_DELAY, (int)n, nd->name, -1, "", MT_ARRIVALS, "entered", "entities", -1);
        add_key(b, SK_DELAY, (int)n, nd->name, -1, "", MT_IN_MEAN, "present_mean", "entities", -1);
        add_key(b, SK_DELAY, (int)n, nd->name, -1, "", MT_IN_MAX, "present_max", "entities", -1);
        g = add_group(b, SK_DELAY, (int)n, nd->name, -1, "", "dwell");
        SET(L->g_node[n], g);
        add_series(b, SK_DELAY, nd->name, "present");
        SET(L->series_of_node[n], (int)b->n_series - 1);
    }

    for (int l = 1; l < BF_N_LINES; l++) {
        bool used = false;
        for (size_t n = 0; n < m->n_nodes; n++)
            used |= m->nodes[n].kind == BF_NODE_STATION && m->nodes[n].line == (bf_line)l;
        SET(L->line_used[l], used);
        if (!used)
            continue;
        const char *ln = line_scope[l];
        add_key(b, SK_LINE, l, ln, -1, "", MT_PASSAGES, "passages", "entities", -1);
        add_key(b, SK_LINE, l, ln, -1, "", MT_THROUGHPUT, "throughput", "1/h", -1);
        add_key(b, SK_LINE, l, ln, -1, "", MT_UTILIZATION, "utilization", "share", -1);
        if (any_detect) {
            add_key(b, SK_LINE, l, ln, -1, "", MT_INSPECTIONS, "inspections", "entities", -1);
            add_key(b, SK_LINE, l, ln, -1, "", MT_DETECTIONS, "violations_intercepted",
                    "entities", -1);
            add_key(b, SK_LINE, l, ln, -1, "", MT_MISSED, "violations_missed", "entities", -1);
            add_key(b, SK_LINE, l, ln, -1, "", MT_CLEAN_SHARE, "clean_inspection_share",
                    "share", -1);
        }
        int gl = add_group(b, SK_LINE, l, ln, -1, "", "clearance");
        SET(L->g_line_clear[l], gl);
        g = add_group(b, SK_LINE, l, ln, -1, "", "wait");
        SET(L->g_line_wait[l], g);
        bool visits[C ? C : 1];
        size_t n_visitors = 0;
        for (size_t c = 0; c < C; c++) {
            visits[c] = false;
            for (size_t n = 0; n < m->n_nodes; n++)
                visits[c] |= m->nodes[n].line == (bf_line)l && bf_model_class_visits(m, c, n);
            n_visitors += visits[c];
        }
        for (size_t c = 0; c < C; c++) {
            if (!visits[c])
                continue;
            const char *cn = m->classes[c].name;
            add_key(b, SK_LINE, l, ln, (int)c, cn, MT_PASSAGES, "passages", "entities", -1);
            add_key(b, SK_LINE, l, ln, (int)c, cn, MT_THROUGHPUT, "throughput", "1/h", -1);
            g = add_group_as(b, SK_LINE, l, ln, (int)c, cn, "clearance",
                             n_visitors == 1 ? gl : -1);
            SET(L->g_line_cls[(size_t)l * C + c], g);
        }
    }
    add_series(b, SK_SYSTEM, "", "in_system");
    SET(L->series_system, (int)b->n_series - 1);
#undef SET
}

static void layout_free(bf_layout *L)
{
    if (!L)
        return;
    bf_free(L->refs);
    bf_free(L->g_cls_tis);
    bf_free(L->g_cls_wait);
    bf_free(L->g_node);
    bf_free(L->g_node_cls);
    bf_free(L->g_line_cls);
    bf_free(L->series_of_node);
    bf_free(L->g_node_hour);
    bf_free(L);
}

static int *int_table(size_t n)
{
    int *t = bf_malloc((n ? n : 1) * sizeof *t);
    if (t)
        for (size_t i = 0; i < n; i++)
            t[i] = -1;
    return t;
}

bf_status bf_catalog_create(const bf_model *m, bf_catalog **out)
{
    size_t C = m->n_classes, N = m->n_nodes;
    bf_catalog *cat = bf_calloc(1, sizeof *cat);
    bf_layout *L = bf_calloc(1, sizeof *L);
    if (!cat || !L)
        goto fail;
    cat->layout = L;
    L->g_cls_tis = int_table(C);
    L->g_cls_wait = int_table(C);
    L->g_node = int_table(N);
    L->g_node_cls = int_table(N * C);
    L->g_line_cls = int_table(BF_N_LINES * C);
    L->series_of_node = int_table(N);
    L->g_node_hour = int_table(N * 24);
    if (!L->g_node_hour ||!L->g_cls_tis || !L->g_cls_wait || !L->g_node || !L->g_node_cls || !L->g_line_cls ||
        !L->series_of_node)
        goto fail;
    for (int l = 0; l < BF_N_LINES; l++)
        L->g_line_clear[l] = L->g_line_wait[l] = -1;

    builder b = {.cat = cat, .lay = L, .hour = -1};
    enumerate(&b, m);
    size_t n_keys = b.n_keys, n_series = b.n_series, str_len = b.str_len;
    cat->keys = bf_calloc(n_keys, sizeof *cat->keys);
    cat->series = bf_calloc(n_series, sizeof *cat->series);
    cat->strings = bf_malloc(str_len);
    L->refs = bf_calloc(n_keys, sizeof *L->refs);
    if (!cat->keys || !cat->series || !cat->strings || !L->refs)
        goto fail;
    b = (builder){.cat = cat, .lay = L, .fill = true, .hour = -1};
    enumerate(&b, m);
    cat->n_keys = b.n_keys;
    cat->n_series = b.n_series;
    cat->n_hists = b.n_groups;
    L->n_groups = b.n_groups;
    *out = cat;
    return BF_OK;
fail:
    bf_catalog_destroy(cat);
    if (!cat)
        layout_free(L);
    return BF_ENOMEM;
}

void bf_catalog_destroy(bf_catalog *c)
{
    if (!c)
        return;
    layout_free(c->layout);
    bf_free(c->keys);
    bf_free(c->series);
    bf_free(c->strings);
    bf_free(c);
}

long bf_catalog_find(const bf_catalog *c, const char *scope_kind, const char *scope,
                     const char *class_name, const char *metric)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        const bf_metric_key *k = &c->keys[i];
        if (strcmp(k->scope_kind, scope_kind) == 0 && strcmp(k->scope, scope) == 0 &&
            strcmp(k->class_name, class_name) == 0 && strcmp(k->metric, metric) == 0)
            return (long)i;
    }
    return -1;
}

const bf_layout *bf__catalog_layout(const bf_catalog *c)
{
    return c->layout;
}
