/*
 * sweep.c - sets of points: loading and validating them (one point, or
 * the Cartesian grid of a sweep), their identities, shards, and the
 * selection of metrics by name.
 *
 * Validation order for a grid, so that each mistake is reported where it
 * was made:
 *   1. the base scenario with the base --set (the loader's messages);
 *   2. the varied keys as a set: none at all, a key both --set and
 *      varied, simulation.replications varied, too many points;
 *   3. every value of every key on its own, base + that one override:
 *      the loader's message, moved to the --vary option or the [sweep]
 *      line the value came from (an unknown key gets the loader's "did
 *      you mean");
 *   4. every point, all its overrides together (a combination can be
 *      wrong where each value is fine: a warm-up longer than a horizon);
 *   5. the points' identities: two points that resolve to the same
 *      parameters would be one point twice.
 * Nothing is run or stored before all of this has passed.
 */
#include "borderflow/sweep.h"

#include "sweep/sweep_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const BF_PRECISION_DEFAULT_METRICS =
    "class.*.time_in_system_mean,station.*.wait_mean";

/* ---- identities and shards ----------------------------------------------------- */

uint64_t bf__sweep_key_value(const char key[17])
{
    uint64_t v = 0;
    for (int i = 0; i < 16 && key[i]; i++) {
        char c = key[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return 0;
        v = v << 4 | (uint64_t)d;
    }
    return v;
}

int bf_shard_of_unit(const char point_key[17], int rep, int n)
{
    if (n <= 1)
        return 0;
    uint64_t h = bf__sweep_key_value(point_key) % (uint64_t)n;
    return (int)((h + (uint64_t)rep % (uint64_t)n) % (uint64_t)n);
}

int bf_shard_of_point(const char point_key[17], int n)
{
    if (n <= 1)
        return 0;
    return (int)(bf__sweep_key_value(point_key) % (uint64_t)n);
}

bf_status bf_shard_parse(const char *text, int *k, int *n, bf_error *err)
{
    long a = 0, b = 0;
    char tail;
    if (!text || sscanf(text, "%ld/%ld%c", &a, &b, &tail) != 2 || strchr(text, ' ') ||
        text[0] == '+' || text[0] == '-')
        return bf_error_set(err, BF_EINVAL,
                            "--shard needs K/N, shard K of N, e.g. --shard 2/3; got '%s'",
                            text ? text : "");
    if (b < 1 || b > 100000)
        return bf_error_set(err, BF_EINVAL,
                            "--shard %s: N must be from 1 to 100000", text);
    if (a < 1 || a > b)
        return bf_error_set(err, BF_EINVAL,
                            "--shard %s: K must be from 1 to N (%ld); shards are "
                            "numbered 1/%ld to %ld/%ld", text, b, b, b, b);
    *k = (int)a;
    *n = (int)b;
    return BF_OK;
}

/* ---- metric selection ------------------------------------------------------------ */

static bool glob_eq(const char *pat, const char *s)
{
    return strcmp(pat, "*") == 0 || strcmp(pat, s) == 0;
}

bf_status bf_metric_select(const bf_catalog *cat, const char *spec,
                           size_t **idx, size_t *n, bf_error *err)
{
    *idx = NULL;
    *n = 0;
    bool *take = bf_calloc(cat->n_keys ? cat->n_keys : 1, sizeof *take);
    if (!take)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    bf_status st = BF_OK;
    const char *p = spec;
    while (st == BF_OK && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char sel[256];
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0 || len >= sizeof sel) {
            st = bf_error_set(err, BF_EINVAL,
                              "'%s': expected metric selectors separated by commas, "
                              "e.g. station.*.wait_mean,class.researcher.time_in_system_mean",
                              spec);
            break;
        }
        memcpy(sel, p, len);
        sel[len] = 0;
        char *part[5];
        int np = 0;
        char *save = NULL;
        char work[256];
        snprintf(work, sizeof work, "%s", sel);
        for (char *t = strtok_r(work, ".", &save); t && np < 5; t = strtok_r(NULL, ".", &save))
            part[np++] = t;
        if (np < 2 || np > 4) {
            st = bf_error_set(err, BF_EINVAL,
                              "metric selector '%s': expected KIND.SCOPE.METRIC or "
                              "KIND.SCOPE.CLASS.METRIC, e.g. station.sl_check.wait_mean "
                              "or class.*.time_in_system_mean", sel);
            break;
        }
        const char *kind = part[0], *scope = np >= 3 ? part[1] : "*";
        const char *cls = np == 4 ? part[2] : NULL, *metric = part[np - 1];
        size_t hits = 0;
        for (size_t i = 0; i < cat->n_keys; i++) {
            const bf_metric_key *k = &cat->keys[i];
            if (!glob_eq(kind, k->scope_kind) || !glob_eq(scope, k->scope) ||
                !glob_eq(metric, k->metric))
                continue;
            if (cls ? !glob_eq(cls, k->class_name)
                    : !(k->class_name[0] == 0 || strcmp(k->class_name, k->scope) == 0))
                continue;
            take[i] = true;
            hits++;
        }
        if (!hits)
            st = bf_error_set(err, BF_EINVAL,
                              "metric selector '%s' matches no metric of the scenario; "
                              "the metrics are listed by `borderflow run --format tsv`",
                              sel);
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
        if (comma && !*p)
            st = bf_error_set(err, BF_EINVAL, "'%s' ends with a comma", spec);
    }
    if (st == BF_OK) {
        size_t cnt = 0;
        for (size_t i = 0; i < cat->n_keys; i++)
            cnt += take[i];
        size_t *v = bf_malloc((cnt ? cnt : 1) * sizeof *v);
        if (!v) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
        } else {
            cnt = 0;
            for (size_t i = 0; i < cat->n_keys; i++)
                if (take[i])
                    v[cnt++] = i;
            *idx = v;
            *n = cnt;
        }
    }
    bf_free(take);
    return st;
}

/* ---- points ------------------------------------------------------------------------- */

bf_status bf_sweep_create(bf_sweep **out)
{
    *out = bf_calloc(1, sizeof **out);
    return *out ? BF_OK : BF_ENOMEM;
}

static void point_fini(bf_point *p)
{
    bf_catalog_destroy(p->cat);
    bf_scenario_destroy(p->sc);
    bf_free(p->label);
    memset(p, 0, sizeof *p);
}

static void sweep_clear(bf_sweep *sw)
{
    for (size_t i = 0; i < sw->n_points; i++)
        point_fini(&sw->points[i]);
    bf_free(sw->points);
    sw->points = NULL;
    sw->n_points = sw->cap_points = 0;
    for (size_t i = 0; i < sw->n_varies; i++)
        bf_vary_fini(&sw->varies[i]);
    bf_free(sw->varies);
    sw->varies = NULL;
    sw->n_varies = 0;
    bf_scenario_destroy(sw->base);
    sw->base = NULL;
    bf_free(sw->base_overrides);
    bf_free(sw->definition);
    sw->base_overrides = sw->definition = NULL;
    sw->grid = false;
    sw->sweep_key[0] = 0;
}

void bf_sweep_destroy(bf_sweep *sw)
{
    if (!sw)
        return;
    sweep_clear(sw);
    bf_free(sw);
}

size_t bf_sweep_n_points(const bf_sweep *sw)
{
    return sw->n_points;
}

const bf_point *bf_sweep_point(const bf_sweep *sw, size_t i)
{
    return i < sw->n_points ? &sw->points[i] : NULL;
}

const bf_vary *bf_sweep_varies(const bf_sweep *sw, size_t *n)
{
    *n = sw->grid ? sw->n_varies : 0;
    return sw->grid ? sw->varies : NULL;
}

const char *bf_sweep_key(const bf_sweep *sw)
{
    return sw->sweep_key;
}

/* The point key of a loaded scenario. */
static void key_of(const bf_scenario *sc, char out[17])
{
    bf_store_point_key((const char *const *)sc->param_keys,
                       (const char *const *)sc->param_values, sc->n_params, out);
}

/* Appends a point made of sc (taken) with label (copied). */
static bf_status push_point(bf_sweep *sw, bf_scenario *sc, const char *label, bf_error *err)
{
    if (sw->n_points == sw->cap_points) {
        size_t nc = sw->cap_points ? 2 * sw->cap_points : 4;
        bf_point *np = bf_realloc(sw->points, nc * sizeof *np);
        if (!np) {
            bf_scenario_destroy(sc);
            return bf_error_set(err, BF_ENOMEM, "out of memory");
        }
        sw->points = np;
        sw->cap_points = nc;
    }
    bf_point *p = &sw->points[sw->n_points];
    memset(p, 0, sizeof *p);
    p->index = sw->n_points;
    p->sc = sc;
    p->label = bf_strdup(label ? label : "");
    if (!p->label || bf_catalog_create(sc->model, &p->cat) != BF_OK) {
        point_fini(p);
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    key_of(sc, p->point_key);
    sw->n_points++;
    return BF_OK;
}

bf_status bf_sweep_add_point(bf_sweep *sw, const char *path,
                             const char *const *sets, size_t n_sets,
                             const char *label, bool *had_sweep,
                             bf_error *err)
{
    bf_scenario *sc = NULL;
    bf_vary *vs = NULL;
    size_t n_vs = 0;
    bf_status st = bf_sweep_scenario_load(path, sets, n_sets, &sc, &vs, &n_vs, err);
    if (st != BF_OK)
        return st;
    if (had_sweep)
        *had_sweep = n_vs > 0;
    for (size_t i = 0; i < n_vs; i++)
        bf_vary_fini(&vs[i]);
    bf_free(vs);
    return push_point(sw, sc, label, err);
}

/* ---- grids ---------------------------------------------------------------------------- */

/* The canonical key of a --set argument ("stations.x.servers=4"), or "". */
static void set_key(const char *set, char *out, size_t len)
{
    char typed[256];
    const char *eq = strchr(set, '=');
    size_t kl = eq ? (size_t)(eq - set) : strlen(set);
    out[0] = 0;
    if (kl >= sizeof typed)
        return;
    memcpy(typed, set, kl);
    typed[kl] = 0;
    if (!bf_key_canonical(typed, out, len))
        out[0] = 0;
}

/* "key=value" for every value of every varied key.  OUT: assign[i][j]. */
static char ***make_assignments(const bf_vary *vs, size_t n)
{
    char ***a = bf_calloc(n ? n : 1, sizeof *a);
    if (!a)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        a[i] = bf_calloc(vs[i].n_values, sizeof **a);
        if (!a[i])
            return a; /* the caller sees the NULL row */
        for (size_t j = 0; j < vs[i].n_values; j++) {
            size_t len = strlen(vs[i].key) + strlen(vs[i].values[j]) + 2;
            a[i][j] = bf_malloc(len);
            if (a[i][j])
                snprintf(a[i][j], len, "%s=%s", vs[i].key, vs[i].values[j]);
        }
    }
    return a;
}

static void free_assignments(char ***a, const bf_vary *vs, size_t n)
{
    if (!a)
        return;
    for (size_t i = 0; i < n; i++) {
        if (a[i])
            for (size_t j = 0; j < vs[i].n_values; j++)
                bf_free(a[i][j]);
        bf_free(a[i]);
    }
    bf_free(a);
}

/* Moves a loader error about an override to the --vary option or the
 * [sweep] line the value came from. */
static void blame_vary(bf_error *err, const bf_vary *v)
{
    if (!err || strcmp(err->file, "--set") != 0)
        return;
    snprintf(err->file, sizeof err->file, "%s", v->origin);
    err->line = v->line;
}

/* A value that needs quoting in a definition line. */
static void append_value(char *buf, size_t len, size_t *w, const char *v)
{
    bool q = strchr(v, ',') || strchr(v, '"') || strchr(v, '(');
    int n = snprintf(buf + *w, len - *w, q ? "\"%s\"" : "%s", v);
    if (n > 0)
        *w += (size_t)n < len - *w ? (size_t)n : len - *w - 1;
}

typedef struct keyref {
    const char *key;
    size_t point;
} keyref;

static int keyref_cmp(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->point > y->point) - (x->point < y->point);
}

bf_status bf_sweep_set_grid(bf_sweep *sw, const char *path,
                            const char *const *sets, size_t n_sets,
                            const bf_vary *cli, size_t n_cli, bf_error *err)
{
    sweep_clear(sw);
    bf_error_clear(err);
    bf_vary *file_vs = NULL;
    size_t n_file = 0;
    bf_status st = bf_sweep_scenario_load(path, sets, n_sets, &sw->base, &file_vs, &n_file, err);
    char ***assign = NULL;
    const char **psets = NULL;
    size_t *at = NULL;
    char *label = NULL;
    keyref *refs = NULL;
    if (st != BF_OK)
        goto fail;

    /* 2. The keys: the file's, then the command line's over them. */
    for (size_t i = 0; i < n_cli; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(cli[i].key, cli[j].key) == 0) {
                bf_error_clear(err);
                bf_error_at(err, "--vary", 0, NULL, cli[i].key, NULL);
                st = bf_error_set(err, BF_EINVAL,
                                  "the key is varied twice; give each key one --vary "
                                  "with all its values, e.g. --vary %s=4,6,8", cli[i].key);
                goto fail;
            }
    sw->varies = bf_calloc(n_file + n_cli + 1, sizeof *sw->varies);
    if (!sw->varies) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n_file; i++) {
        sw->varies[sw->n_varies++] = file_vs[i];
        memset(&file_vs[i], 0, sizeof file_vs[i]);
    }
    for (size_t i = 0; i < n_cli; i++) {
        size_t slot = sw->n_varies;
        for (size_t j = 0; j < n_file; j++)
            if (strcmp(sw->varies[j].key, cli[i].key) == 0)
                slot = j;
        bf_vary copy = {0};
        copy.key = bf_strdup(cli[i].key);
        copy.values = bf_calloc(cli[i].n_values ? cli[i].n_values : 1, sizeof *copy.values);
        snprintf(copy.origin, sizeof copy.origin, "%s", cli[i].origin);
        copy.line = cli[i].line;
        bool ok = copy.key && copy.values;
        for (size_t v = 0; ok && v < cli[i].n_values; v++) {
            copy.values[v] = bf_strdup(cli[i].values[v]);
            ok = copy.values[v] != NULL;
            copy.n_values += ok;
        }
        if (!ok) {
            bf_vary_fini(&copy);
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            goto fail;
        }
        if (slot < sw->n_varies)
            bf_vary_fini(&sw->varies[slot]);
        else
            sw->n_varies++;
        sw->varies[slot] = copy;
    }
    if (sw->n_varies == 0) {
        bf_error_clear(err);
        bf_error_at(err, path, 0, NULL, NULL, NULL);
        st = bf_error_set(err, BF_EINVAL,
                          "nothing to vary; expected --vary KEY=VALUES (e.g. --vary "
                          "stations.fl_check.servers=4:12:2) or a [sweep] section in "
                          "the scenario");
        goto fail;
    }
    size_t n_points = 1;
    for (size_t i = 0; i < sw->n_varies; i++) {
        const bf_vary *v = &sw->varies[i];
        if (strcmp(v->key, "simulation.replications") == 0) {
            bf_error_clear(err);
            bf_error_at(err, v->origin, v->line, v->line ? "sweep" : NULL, v->key, NULL);
            st = bf_error_set(err, BF_EINVAL,
                              "the number of replications is not a parameter of the model "
                              "and cannot be varied; use --replications N or --precision");
            goto fail;
        }
        for (size_t s = 0; s < n_sets; s++) {
            char k[256];
            set_key(sets[s], k, sizeof k);
            if (strcmp(k, v->key) == 0) {
                bf_error_clear(err);
                bf_error_at(err, "--set", 0, NULL, v->key, NULL);
                st = bf_error_set(err, BF_EINVAL,
                                  "the key is both set (--set %s) and varied (%s%s); "
                                  "drop one of them", sets[s], v->line ? "[sweep] in " : "--vary",
                                  v->line ? v->origin : "");
                goto fail;
            }
        }
        if (n_points > BF_SWEEP_MAX_POINTS / v->n_values) {
            bf_error_clear(err);
            st = bf_error_set(err, BF_EINVAL,
                              "the grid has more than %d points; vary fewer keys or "
                              "fewer values, or split the sweep", BF_SWEEP_MAX_POINTS);
            goto fail;
        }
        n_points *= v->n_values;
    }

    /* 3. Each value on its own. */
    assign = make_assignments(sw->varies, sw->n_varies);
    psets = bf_calloc(n_sets + sw->n_varies + 1, sizeof *psets);
    at = bf_calloc(sw->n_varies, sizeof *at);
    bool ok = assign && psets && at;
    for (size_t i = 0; ok && i < sw->n_varies; i++) {
        ok = assign[i] != NULL;
        for (size_t j = 0; ok && j < sw->varies[i].n_values; j++)
            ok = assign[i][j] != NULL;
    }
    if (!ok) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t s = 0; s < n_sets; s++)
        psets[s] = sets[s];
    for (size_t i = 0; i < sw->n_varies; i++)
        for (size_t j = 0; j < sw->varies[i].n_values; j++) {
            psets[n_sets] = assign[i][j];
            bf_scenario *sc = NULL;
            st = bf_sweep_scenario_load(path, psets, n_sets + 1, &sc, NULL, NULL, err);
            bf_scenario_destroy(sc);
            if (st != BF_OK) {
                blame_vary(err, &sw->varies[i]);
                goto fail;
            }
        }

    /* 4. Every point, first key slowest. */
    size_t label_len = 1;
    for (size_t i = 0; i < sw->n_varies; i++) {
        size_t longest = 0;
        for (size_t j = 0; j < sw->varies[i].n_values; j++)
            if (strlen(assign[i][j]) > longest)
                longest = strlen(assign[i][j]);
        label_len += longest + 2;
    }
    label = bf_malloc(label_len);
    if (!label) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t p = 0; p < n_points; p++) {
        size_t rem = p;
        for (size_t i = sw->n_varies; i-- > 0;) {
            at[i] = rem % sw->varies[i].n_values;
            rem /= sw->varies[i].n_values;
        }
        label[0] = 0;
        for (size_t i = 0; i < sw->n_varies; i++) {
            psets[n_sets + i] = assign[i][at[i]];
            if (i)
                strcat(label, ", ");
            strcat(label, assign[i][at[i]]);
        }
        bf_scenario *sc = NULL;
        st = bf_sweep_scenario_load(path, psets, n_sets + sw->n_varies, &sc, NULL, NULL, err);
        if (st != BF_OK) {
            if (err) {
                size_t ml = strlen(err->msg);
                snprintf(err->msg + ml, sizeof err->msg - ml,
                         " (in the sweep point %zu of %zu: %s)", p + 1, n_points, label);
            }
            goto fail;
        }
        st = push_point(sw, sc, label, err);
        if (st != BF_OK)
            goto fail;
    }

    /* 5. Distinct points. */
    refs = bf_malloc(n_points * sizeof *refs);
    if (!refs) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t p = 0; p < n_points; p++)
        refs[p] = (keyref){sw->points[p].point_key, p};
    qsort(refs, n_points, sizeof *refs, keyref_cmp);
    for (size_t p = 1; p < n_points; p++)
        if (strcmp(refs[p].key, refs[p - 1].key) == 0) {
            bf_error_clear(err);
            st = bf_error_set(err, BF_EINVAL,
                              "the sweep points '%s' and '%s' resolve to the same "
                              "scenario; each point must differ from the others",
                              sw->points[refs[p - 1].point].label,
                              sw->points[refs[p].point].label);
            goto fail;
        }

    /* Identity: the base point and the grid. */
    size_t def_len = 1;
    for (size_t i = 0; i < sw->n_varies; i++) {
        def_len += strlen(sw->varies[i].key) + 2;
        for (size_t j = 0; j < sw->varies[i].n_values; j++)
            def_len += strlen(sw->varies[i].values[j]) + 3;
    }
    size_t ov_len = 1;
    for (size_t s = 0; s < n_sets; s++)
        ov_len += strlen(sets[s]) + 1;
    sw->definition = bf_malloc(def_len);
    sw->base_overrides = bf_malloc(ov_len);
    char *idtext = bf_malloc(def_len + 64);
    if (!sw->definition || !sw->base_overrides || !idtext) {
        bf_free(idtext);
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto fail;
    }
    size_t w = 0;
    for (size_t i = 0; i < sw->n_varies; i++) {
        w += (size_t)snprintf(sw->definition + w, def_len - w, "%s=", sw->varies[i].key);
        for (size_t j = 0; j < sw->varies[i].n_values; j++) {
            if (j)
                sw->definition[w++] = ',';
            append_value(sw->definition, def_len, &w, sw->varies[i].values[j]);
        }
        sw->definition[w++] = '\n';
        sw->definition[w] = 0;
    }
    sw->base_overrides[0] = 0;
    for (size_t s = 0; s < n_sets; s++) {
        strcat(sw->base_overrides, sets[s]);
        strcat(sw->base_overrides, "\n");
    }
    char base_key[17];
    key_of(sw->base, base_key);
    snprintf(idtext, def_len + 64, "borderflow-sweep 1\n%s\n%s", base_key, sw->definition);
    bf_store_hash_hex(idtext, "", sw->sweep_key);
    bf_free(idtext);
    sw->grid = true;

    free_assignments(assign, sw->varies, sw->n_varies);
    for (size_t i = 0; i < n_file; i++)
        bf_vary_fini(&file_vs[i]);
    bf_free(file_vs);
    bf_free(psets);
    bf_free(at);
    bf_free(label);
    bf_free(refs);
    return BF_OK;

fail:
    free_assignments(assign, sw->varies, sw->n_varies);
    for (size_t i = 0; i < n_file; i++)
        bf_vary_fini(&file_vs[i]);
    bf_free(file_vs);
    bf_free(psets);
    bf_free(at);
    bf_free(label);
    bf_free(refs);
    sweep_clear(sw);
    return st;
}
