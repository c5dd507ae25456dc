/*
 * server.c - `borderflow serve`: the evhttp event loop, the routes of the
 * JSON API (docs/api.md), the in-memory table of runs and the worker
 * threads that run simulations and draw charts.
 *
 * Invariants.
 * - The loop thread never calls the simulator, SQLite or gnuplot.  It
 *   loads a scenario file while answering POST /api/runs (a parse of a
 *   small text file, to answer 400 at once with the loader's message);
 *   everything heavier is on a worker thread.
 * - srv.mu guards every field of every run that a worker writes (state,
 *   progress, results, message) and the lists of runs and finished chart
 *   jobs.  It is never held while simulating, storing or drawing.
 * - A run's slot is freed only once its worker has left (worker_done),
 *   so a worker never touches freed memory.  A chart job is owned by its
 *   thread until it is put on srv.charts_done; then by the loop, which
 *   replies and frees it.
 *
 * Memory: everything is bf_malloc'd and freed before bf_server_run
 * returns; jansson allocates its own (json_decref).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>

#include "borderflow/report.h"
#include "borderflow/runner.h"
#include "borderflow/scenario.h"
#include "borderflow/server.h"
#include "borderflow/store.h"
#include "borderflow/sweep.h"
#include "server/server_int.h"

#define MAX_NAME 64
#define MAX_KEPT_RUNS 100 /* finished runs kept in memory (oldest dropped) */

typedef enum run_state { RUN_QUEUED, RUN_RUNNING, RUN_DONE, RUN_FAILED, RUN_CANCELED } run_state;
static const char *const state_names[] = {"queued", "running", "done", "failed", "canceled"};

typedef struct server server;

typedef struct srv_run {
    int64_t id;
    server *srv;
    char scenario[MAX_NAME + 1];
    char **sets;  /* the overrides given to the loader, "key=value" */
    size_t n_sets;
    char *cmdline;
    bf_sweep *sw; /* the point; owned, freed by the worker */
    int replications;
    double work;
    volatile int cancel;
    bool timed_out;
    /* Written by the worker under srv.mu: */
    run_state state;
    size_t done, total;
    double started, finished; /* monotonic seconds; 0: not yet */
    int64_t store_run_id;
    char *results; /* JSON array text, once finished with a run in the store */
    char msg[600];
    bool worker_done;
    struct srv_run *next; /* newest first */
} srv_run;

typedef struct scen_info {
    char name[MAX_NAME + 1];
    char *path;
    json_t *summary; /* for GET /api/scenarios */
    json_t *detail;  /* for GET /api/scenarios/NAME */
} scen_info;

typedef struct chart_job {
    server *srv;
    struct evhttp_request *req;
    bf_chart_kind kind;
    int64_t runs[2];
    size_t n_runs;
    int code;
    char *body;
    size_t len;
    bool svg;
    struct chart_job *next;
} chart_job;

struct server {
    bf_server_opts o;
    struct event_base *base;
    struct evhttp *http;
    struct event *notify, *tick, *sigint, *sigterm;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    srv_run *runs;
    size_t n_runs;
    int64_t next_id;
    int n_active;  /* runs queued or running */
    int n_threads; /* worker threads alive (runs and charts) */
    int n_charts;  /* chart jobs in flight */
    chart_job *charts_done;
    scen_info *scen;
    size_t n_scen;
    char host[64];
    int port;
    bool stopping;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool bf_server_is_valid_name(const char *name)
{
    size_t n = 0;
    if (!name)
        return false;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return n >= 1 && n <= MAX_NAME;
}

/* ---- replies -------------------------------------------------------------- */

static void reply_raw(struct evhttp_request *req, int code, const char *ctype, const void *body,
                      size_t len)
{
    struct evbuffer *b = evbuffer_new();
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (b && len)
        evbuffer_add(b, body, len);
    const char *reason = NULL;
    switch (code) {
    case 200: reason = "OK"; break;
    case 202: reason = "Accepted"; break;
    case 400: reason = "Bad Request"; break;
    case 404: reason = "Not Found"; break;
    case 405: reason = "Method Not Allowed"; break;
    case 409: reason = "Conflict"; break;
    case 413: reason = "Payload Too Large"; break;
    case 415: reason = "Unsupported Media Type"; break;
    case 500: reason = "Internal Server Error"; break;
    case 503: reason = "Service Unavailable"; break;
    default: reason = "Unknown"; break;
    }
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

/* Sends j (taken) as the body. */
static void reply_json(struct evhttp_request *req, int code, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        reply_raw(req, 500, "application/json", oom, sizeof oom - 1);
        return;
    }
    size_t n = strlen(text);
    text[n] = 0;
    reply_raw(req, code, "application/json", text, n);
    free(text);
}

static void reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_json(req, code, json_pack("{s:s,s:i}", "error", msg, "status", code));
}

/* A number, or null for NaN and infinities (JSON has neither). */
static json_t *jnum(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* ---- scenarios ------------------------------------------------------------ */

static const scen_info *find_scen(const server *S, const char *name)
{
    for (size_t i = 0; i < S->n_scen; i++)
        if (strcmp(S->scen[i].name, name) == 0)
            return &S->scen[i];
    return NULL;
}

/* Is class c's arrival process Poisson (so that its rate can be scaled by
 * the demand multiplier)?  Read from the resolved parameter text. */
static bool is_poisson(const bf_scenario *sc, const bf_class *c)
{
    if (c->arrival_kind != BF_ARR_RENEWAL && c->arrival_kind != BF_ARR_PROFILE)
        return false;
    char key[256];
    snprintf(key, sizeof key, "class.%s.arrivals", c->name);
    const char *v = bf_scenario_param(sc, key);
    while (v && (*v == ' ' || *v == '\t'))
        v++;
    return v && strncasecmp(v, "poisson", 7) == 0 && c->rate > 0;
}

/* horizon x total mean arrival rate: simulated entities per replication. */
static double work_per_rep(const bf_model *m)
{
    double rate = 0;
    for (size_t c = 0; c < m->n_classes; c++)
        rate += bf_model_mean_rate(m, c);
    return m->horizon * rate;
}

static json_t *key_obj(const char *key, const char *label, const char *type, double value,
                       double min, double max, double step, const char *group)
{
    if (strcmp(type, "integer") == 0)
        return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s}", "key", key, "label", label,
                         "type", type, "value", (json_int_t)value, "min", (json_int_t)min, "max",
                         (json_int_t)max, "step", (json_int_t)step, "group", group);
    return json_pack("{s:s,s:s,s:s,s:o,s:f,s:f,s:f,s:s}", "key", key, "label", label, "type",
                     type, "value", jnum(value), "min", min, "max", max, "step", step, "group",
                     group);
}

/* The tunable keys of a scenario: what the page offers and what
 * "overrides" understands besides plain --set paths. */
static json_t *tunable_keys(const bf_scenario *sc)
{
    const bf_model *m = sc->model;
    json_t *a = json_array();
    char key[300], label[400];
    json_t *demand_classes = json_array();
    for (size_t c = 0; c < m->n_classes; c++)
        if (is_poisson(sc, &m->classes[c]))
            json_array_append_new(demand_classes, json_string(m->classes[c].name));
    json_t *d = key_obj("demand", "Demand multiplier (Poisson arrival rates of every class)",
                        "factor", 1.0, 0.1, 10.0, 0.1, "demand");
    json_object_set_new(d, "classes", demand_classes);
    json_array_append_new(a, d);
    for (size_t n = 0; n < m->n_nodes; n++) {
        const bf_node *nd = &m->nodes[n];
        if (nd->kind != BF_NODE_STATION)
            continue;
        snprintf(key, sizeof key, "station.%s.servers", nd->name);
        snprintf(label, sizeof label, "Servers at %s (%s line)%s", nd->name,
                 bf_line_name(nd->line), nd->n_shifts ? ", all day; now a schedule, peak shown" : "");
        json_array_append_new(a, key_obj(key, label, "integer", bf_model_max_servers(m, n), 1,
                                         1000, 1, "stations"));
        if (nd->inspect_node >= 0) {
            snprintf(key, sizeof key, "station.%s.inspect", nd->name);
            snprintf(label, sizeof label, "Inspection share at %s (to %s)", nd->name,
                     m->nodes[nd->inspect_node].name);
            json_t *k = key_obj(key, label, "share", nd->inspect_prob, 0, 1, 0.01, "inspection");
            json_object_set_new(k, "target", json_string(m->nodes[nd->inspect_node].name));
            json_array_append_new(a, k);
        }
    }
    for (size_t c = 0; c < m->n_classes; c++) {
        snprintf(key, sizeof key, "class.%s.whitelisted", m->classes[c].name);
        snprintf(label, sizeof label, "White-listed share of %s", m->classes[c].name);
        json_array_append_new(a, key_obj(key, label, "share", m->classes[c].whitelisted, 0, 1,
                                         0.05, "classes"));
    }
    for (size_t r = 0; r < m->n_rules; r++) {
        const bf_rule *ru = &m->rules[r];
        if (!ru->sets_inspect)
            continue;
        snprintf(key, sizeof key, "rule.%s.inspect", ru->name);
        snprintf(label, sizeof label, "Inspection share under rule %s", ru->name);
        json_array_append_new(a, key_obj(key, label, "share", ru->inspect, 0, 1, 0.01,
                                         "inspection"));
    }
    return a;
}

static bf_status load_scenarios(server *S, bf_error *err)
{
    const char *dir = S->o.scenarios_dir;
    DIR *d = opendir(dir);
    if (!d)
        return bf_error_set(err, BF_EIO, "cannot read the scenarios folder %s: %s", dir,
                            strerror(errno));
    struct dirent *e;
    bf_status st = BF_OK;
    while (st == BF_OK && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0)
            continue;
        char name[MAX_NAME + 1];
        if (len - 4 > MAX_NAME)
            continue;
        memcpy(name, e->d_name, len - 4);
        name[len - 4] = 0;
        if (!bf_server_is_valid_name(name))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        bf_scenario *sc = NULL;
        bf_error le;
        bf_error_clear(&le);
        if (bf_sweep_scenario_load(path, NULL, 0, &sc, NULL, NULL, &le) != BF_OK) {
            /* A file that does not load on its own (e.g. a fragment meant
             * as a base) is not offered. */
            bf_scenario_destroy(sc);
            continue;
        }
        scen_info *v = bf_realloc(S->scen, (S->n_scen + 1) * sizeof *v);
        if (!v) {
            bf_scenario_destroy(sc);
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            break;
        }
        S->scen = v;
        scen_info *si = &S->scen[S->n_scen++];
        memset(si, 0, sizeof *si);
        memcpy(si->name, name, sizeof si->name);
        si->path = bf_strdup(path);
        const bf_model *m = sc->model;
        double w = work_per_rep(m);
        si->summary = json_pack("{s:s,s:s,s:f,s:f,s:i,s:f,s:s}", "name", name, "title",
                                m->title ? m->title : "", "horizon_s", m->horizon, "warmup_s",
                                m->warmup, "replications", m->replications, "work",
                                w * m->replications, "url", "");
        if (si->summary) {
            char url[128];
            snprintf(url, sizeof url, "/api/scenarios/%s", name);
            json_object_set_new(si->summary, "url", json_string(url));
        }
        si->detail = json_deep_copy(si->summary);
        if (si->detail) {
            char seed[32];
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)m->seed);
            json_object_set_new(si->detail, "seed", json_string(seed));
            json_object_set_new(si->detail, "work_per_replication", jnum(w));
            json_object_set_new(si->detail, "keys", tunable_keys(sc));
            json_t *cls = json_array(), *sta = json_array();
            for (size_t c = 0; c < m->n_classes; c++)
                json_array_append_new(cls, json_string(m->classes[c].name));
            for (size_t n = 0; n < m->n_nodes; n++)
                if (m->nodes[n].kind == BF_NODE_STATION)
                    json_array_append_new(sta, json_string(m->nodes[n].name));
            json_object_set_new(si->detail, "classes", cls);
            json_object_set_new(si->detail, "stations", sta);
        }
        bf_scenario_destroy(sc);
        if (!si->path || !si->summary || !si->detail)
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    closedir(d);
    if (st == BF_OK && S->n_scen == 0)
        st = bf_error_set(err, BF_EINVAL, "no scenario (NAME.ini that loads) in %s", dir);
    return st;
}

/* ---- runs: the worker --------------------------------------------------------- */

static void run_progress(void *ctx, const bf_sweep_progress *p)
{
    srv_run *r = ctx;
    pthread_mutex_lock(&r->srv->mu);
    r->done = p->done;
    r->total = p->total;
    pthread_mutex_unlock(&r->srv->mu);
}

/* The aggregates of run_id as a JSON array (text, malloc'd), or NULL. */
static char *results_json(bf_store *st, int64_t run_id, const bf_catalog *cat, bf_error *err)
{
    bf_ci *ci = bf_calloc(cat->n_keys ? cat->n_keys : 1, sizeof *ci);
    if (!ci)
        return NULL;
    char *text = NULL;
    if (bf_store_aggregates(st, run_id, ci, cat->n_keys, err) == BF_OK) {
        json_t *a = json_array();
        for (size_t k = 0; a && k < cat->n_keys; k++) {
            const bf_metric_key *mk = &cat->keys[k];
            json_array_append_new(
                a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:I}", "scope_kind",
                             mk->scope_kind, "scope", mk->scope, "class", mk->class_name,
                             "metric", mk->metric, "unit", mk->unit, "mean", jnum(ci[k].mean),
                             "half_width", jnum(ci[k].half_width), "sd", jnum(ci[k].sd), "n",
                             (json_int_t)ci[k].n));
        }
        text = a ? json_dumps(a, JSON_COMPACT) : NULL;
        json_decref(a);
    }
    bf_free(ci);
    return text;
}

static void thread_exit(server *S)
{
    pthread_mutex_lock(&S->mu);
    S->n_threads--;
    pthread_cond_broadcast(&S->cv);
    pthread_mutex_unlock(&S->mu);
}

static void *run_main(void *arg)
{
    srv_run *r = arg;
    server *S = r->srv;
    bf_error err;
    bf_error_clear(&err);
    pthread_mutex_lock(&S->mu);
    r->state = RUN_RUNNING;
    r->started = now_s();
    pthread_mutex_unlock(&S->mu);

    bf_store *st = NULL;
    bf_sweep_report *rep = NULL;
    char *results = NULL;
    bf_status s = bf_store_open(S->o.db, &st, &err);
    if (s == BF_OK) {
        bf_sweep_opts so = {.new_runs = true, .jobs = S->o.jobs, .keep_series = true,
                            .command_line = r->cmdline, .on_progress = run_progress, .ctx = r,
                            .cancel = &r->cancel};
        s = bf_sweep_run(r->sw, st, &so, &rep, &err);
    }
    int64_t run_id = rep && rep->n_points ? rep->points[0].run_id : 0;
    if (run_id && (s == BF_OK || s == BF_ECANCELED)) {
        bf_error e2;
        bf_error_clear(&e2);
        results = results_json(st, run_id, bf_sweep_point(r->sw, 0)->cat, &e2);
    }
    bf_store_close(st);
    bf_sweep_report_destroy(rep);
    bf_sweep_destroy(r->sw);
    r->sw = NULL;

    pthread_mutex_lock(&S->mu);
    r->store_run_id = run_id;
    r->results = results;
    r->finished = now_s();
    if (s == BF_OK) {
        r->state = RUN_DONE;
    } else if (s == BF_ECANCELED) {
        r->state = RUN_CANCELED;
        snprintf(r->msg, sizeof r->msg, "%s",
                 r->timed_out ? "canceled: the run took longer than the server's time limit"
                 : S->stopping ? "canceled: the server is shutting down"
                               : "canceled by a DELETE request");
    } else {
        r->state = RUN_FAILED;
        char m[600];
        bf_error_format(&err, m, sizeof m);
        snprintf(r->msg, sizeof r->msg, "%s", m);
    }
    S->n_active--;
    r->worker_done = true;
    pthread_mutex_unlock(&S->mu);
    thread_exit(S);
    return NULL;
}

static void run_free(srv_run *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_sets; i++)
        bf_free(r->sets[i]);
    bf_free(r->sets);
    bf_free(r->cmdline);
    bf_sweep_destroy(r->sw);
    free(r->results); /* json_dumps: malloc */
    bf_free(r);
}

/* Drops the oldest finished runs beyond MAX_KEPT_RUNS.  Under srv.mu. */
static void trim_runs(server *S)
{
    while (S->n_runs > MAX_KEPT_RUNS) {
        srv_run **pp = &S->runs, **victim = NULL;
        for (; *pp; pp = &(*pp)->next)
            if ((*pp)->worker_done)
                victim = pp; /* the last one found is the oldest */
        if (!victim)
            return;
        srv_run *v = *victim;
        *victim = v->next;
        run_free(v);
        S->n_runs--;
    }
}

static srv_run *find_run(server *S, int64_t id)
{
    for (srv_run *r = S->runs; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

/* The JSON of a run, without its results.  Under srv.mu. */
static json_t *run_json(const server *S, const srv_run *r)
{
    double elapsed = r->started ? (r->finished ? r->finished : now_s()) - r->started : 0;
    json_t *sets = json_array();
    for (size_t i = 0; i < r->n_sets; i++)
        json_array_append_new(sets, json_string(r->sets[i]));
    char url[64];
    snprintf(url, sizeof url, "/api/runs/%lld", (long long)r->id);
    json_t *j = json_pack(
        "{s:I,s:s,s:s,s:s,s:o,s:i,s:f,s:{s:I,s:I,s:o},s:f,s:I,s:s}", "id", (json_int_t)r->id,
        "url", url, "scenario", r->scenario, "state", state_names[r->state], "overrides", sets,
        "replications", r->replications, "work", r->work, "progress", "done",
        (json_int_t)r->done, "total", (json_int_t)r->total, "fraction",
        r->total ? json_real((double)r->done / (double)r->total)
                 : json_real(r->state == RUN_DONE ? 1.0 : 0.0),
        "elapsed_s", elapsed, "store_run_id", (json_int_t)r->store_run_id, "db", S->o.db);
    if (!j)
        return NULL;
    if (r->msg[0])
        json_object_set_new(j, "message", json_string(r->msg));
    if (r->store_run_id && (r->state == RUN_DONE || r->state == RUN_CANCELED)) {
        json_t *charts = json_object();
        static const char *const kinds[] = {"timeseries", "cdf", "utilization"};
        for (size_t i = 0; i < 3; i++) {
            char u[128];
            snprintf(u, sizeof u, "/api/runs/%lld/charts/%s.svg", (long long)r->id, kinds[i]);
            json_object_set_new(charts, kinds[i], json_string(u));
        }
        json_object_set_new(j, "charts", charts);
    }
    return j;
}

/* ---- request parsing helpers ---------------------------------------------------- */

typedef struct sets_list {
    char **v;
    size_t n;
} sets_list;

static bool sets_addf(sets_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool sets_addf(sets_list *l, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return false;
    char **v = bf_realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v)
        return false;
    l->v = v;
    if (!(l->v[l->n] = bf_strdup(buf)))
        return false;
    l->n++;
    return true;
}

static void sets_free(sets_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        bf_free(l->v[i]);
    bf_free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Loads the point NAME + sets into a new sweep.  On error: an HTTP code
 * and a message. */
static int load_point(const scen_info *si, const sets_list *l, bf_sweep **out, char *msg,
                      size_t len)
{
    bf_error err;
    bf_error_clear(&err);
    bf_sweep *sw = NULL;
    bf_status s = bf_sweep_create(&sw);
    if (s == BF_OK)
        s = bf_sweep_add_point(sw, si->path, (const char *const *)l->v, l->n, NULL, NULL, &err);
    if (s != BF_OK) {
        char m[800];
        bf_error_format(&err, m, sizeof m);
        snprintf(msg, len, "%s", m);
        bf_sweep_destroy(sw);
        return s == BF_EINVAL ? 400 : 500;
    }
    *out = sw;
    return 0;
}

/* One entry of "overrides": a tunable key or any --set path. */
static int add_override(const bf_model *m, sets_list *l, const char *key, json_t *v, char *msg,
                        size_t len)
{
    char val[256];
    if (json_is_string(v)) {
        snprintf(val, sizeof val, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(val, sizeof val, "%.10g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(val, sizeof val, "%s", json_is_true(v) ? "yes" : "no");
    } else {
        snprintf(msg, len, "overrides.%s: expected a number or a string", key);
        return 400;
    }
    size_t kl = strlen(key);
    bool share_key = (kl > 12 && strcmp(key + kl - 12, ".whitelisted") == 0) ||
                     (kl > 8 && strcmp(key + kl - 8, ".inspect") == 0);
    if (share_key && json_is_number(v)) {
        double x = json_number_value(v);
        if (!(x >= 0 && x <= 1)) {
            snprintf(msg, len, "overrides.%s: a share must be between 0 and 1, got %g", key, x);
            return 400;
        }
        snprintf(val, sizeof val, "%.10g%%", 100 * x);
    }
    /* A station's inspect share keeps the station's target. */
    if (strncmp(key, "station.", 8) == 0 && kl > 8 && strcmp(key + kl - 8, ".inspect") == 0 &&
        !strchr(val, '>')) {
        char node[200];
        size_t nl = kl - 8 - 8;
        if (nl < sizeof node) {
            memcpy(node, key + 8, nl);
            node[nl] = 0;
            int n = bf_model_find_node(m, node);
            if (n >= 0 && m->nodes[n].inspect_node >= 0) {
                /* val holds a formatted share: short. */
                size_t vl = strnlen(val, 32);
                snprintf(val + vl, sizeof val - vl, " -> %.200s",
                         m->nodes[m->nodes[n].inspect_node].name);
            }
        }
    }
    if (!sets_addf(l, "%s=%s", key, val)) {
        snprintf(msg, len, "override %s too long", key);
        return 400;
    }
    return 0;
}

/* ---- routes ------------------------------------------------------------------------ */

static void get_scenarios(server *S, struct evhttp_request *req)
{
    json_t *a = json_array();
    for (size_t i = 0; i < S->n_scen; i++)
        json_array_append(a, S->scen[i].summary);
    reply_json(req, 200, json_pack("{s:o}", "scenarios", a));
}

static void get_scenario(server *S, struct evhttp_request *req, const char *name)
{
    const scen_info *si = bf_server_is_valid_name(name) ? find_scen(S, name) : NULL;
    if (!si) {
        reply_error(req, 404, "no scenario named '%.64s' (GET /api/scenarios lists them)", name);
        return;
    }
    reply_json(req, 200, json_incref(si->detail));
}

static void post_run(server *S, struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char msg[1024] = "";
    int code = 0;
    sets_list l = {0};
    bf_sweep *sw = NULL;
    json_t *body = NULL;
    if (len == 0) {
        reply_error(req, 400, "empty body: expected a JSON object such as "
                              "{\"scenario\": \"hetao-baseline\"}");
        return;
    }
    json_error_t je;
    body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &je);
    if (!body) {
        reply_error(req, 400, "invalid JSON at line %d, column %d: %s", je.line, je.column,
                    je.text);
        return;
    }
    if (!json_is_object(body)) {
        code = 400;
        snprintf(msg, sizeof msg, "expected a JSON object");
        goto out;
    }
    const char *name = json_string_value(json_object_get(body, "scenario"));
    if (!name) {
        code = 400;
        snprintf(msg, sizeof msg, "\"scenario\" (a scenario name, string) is required");
        goto out;
    }
    const scen_info *si = bf_server_is_valid_name(name) ? find_scen(S, name) : NULL;
    if (!si) {
        code = 404;
        snprintf(msg, sizeof msg, "no scenario named '%.64s'", name);
        goto out;
    }
    json_t *reps = json_object_get(body, "replications");
    if (reps) {
        if (!json_is_integer(reps) || json_integer_value(reps) < 1) {
            code = 400;
            snprintf(msg, sizeof msg, "\"replications\" must be a whole number >= 1");
            goto out;
        }
        if (json_integer_value(reps) > S->o.max_replications) {
            code = 413;
            snprintf(msg, sizeof msg, "at most %d replications per request (got %lld)",
                     S->o.max_replications, (long long)json_integer_value(reps));
            goto out;
        }
    }
    json_t *ov = json_object_get(body, "overrides");
    json_t *set = json_object_get(body, "set");
    json_t *seed = json_object_get(body, "seed");
    if ((ov && !json_is_object(ov)) || (set && !json_is_array(set)) ||
        (seed && !json_is_integer(seed) && !json_is_string(seed))) {
        code = 400;
        snprintf(msg, sizeof msg, "\"overrides\" must be an object, \"set\" an array of "
                                  "\"key=value\" strings, \"seed\" a whole number");
        goto out;
    }
    pthread_mutex_lock(&S->mu);
    int active = S->n_active;
    pthread_mutex_unlock(&S->mu);
    if (active >= S->o.max_runs) {
        code = 503;
        snprintf(msg, sizeof msg, "the server is busy: %d runs are queued or running (its "
                                  "limit); try again when one finishes", active);
        goto out;
    }
    /* The --set list: raw "set" first, then the named overrides (later
     * ones win), then replications and seed. */
    size_t i;
    json_t *x;
    json_array_foreach(set, i, x)
    {
        if (!json_is_string(x) || !strchr(json_string_value(x), '=')) {
            code = 400;
            snprintf(msg, sizeof msg, "\"set\"[%zu]: expected a \"key=value\" string", i);
            goto out;
        }
        if (!sets_addf(&l, "%s", json_string_value(x))) {
            code = 400;
            snprintf(msg, sizeof msg, "\"set\"[%zu] is too long", i);
            goto out;
        }
    }
    if (reps && !sets_addf(&l, "simulation.replications=%lld", (long long)json_integer_value(reps)))
        goto oom;
    if (seed) {
        if (json_is_integer(seed) ? !sets_addf(&l, "simulation.seed=%lld",
                                               (long long)json_integer_value(seed))
                                  : !sets_addf(&l, "simulation.seed=%.40s",
                                               json_string_value(seed)))
            goto oom;
    }
    /* First load: the model the named overrides refer to (inspection
     * targets, base arrival rates for the demand multiplier). */
    if ((code = load_point(si, &l, &sw, msg, sizeof msg)))
        goto out;
    const bf_point *pt = bf_sweep_point(sw, 0);
    const char *key;
    double demand = 1;
    bool have_named = false;
    json_object_foreach(ov, key, x)
    {
        if (strcmp(key, "demand") == 0) {
            if (!json_is_number(x) || !(json_number_value(x) > 0) ||
                json_number_value(x) > 100) {
                code = 400;
                snprintf(msg, sizeof msg, "overrides.demand: expected a number in (0, 100]");
                goto out;
            }
            demand = json_number_value(x);
            have_named = true;
            continue;
        }
        if ((code = add_override(pt->sc->model, &l, key, x, msg, sizeof msg)))
            goto out;
        have_named = true;
    }
    if (demand != 1) {
        const bf_model *m = pt->sc->model;
        for (size_t c = 0; c < m->n_classes; c++)
            if (is_poisson(pt->sc, &m->classes[c]) &&
                !sets_addf(&l, "class.%s.arrivals=poisson(rate=%.10g/h)", m->classes[c].name,
                           m->classes[c].rate * 3600 * demand))
                goto oom;
    }
    if (have_named) {
        bf_sweep_destroy(sw);
        sw = NULL;
        if ((code = load_point(si, &l, &sw, msg, sizeof msg)))
            goto out;
        pt = bf_sweep_point(sw, 0);
    }
    const bf_model *m = pt->sc->model;
    double work = work_per_rep(m) * m->replications;
    if (!(work <= S->o.max_work)) {
        code = 413;
        snprintf(msg, sizeof msg, "this request would simulate about %.3g entities (horizon x "
                 "arrival rate x replications = %.3g s x %.3g/h x %d); this server's limit is "
                 "%.3g: ask for fewer replications, a shorter horizon or less demand",
                 work, m->horizon, work_per_rep(m) / (m->horizon > 0 ? m->horizon : 1) * 3600,
                 m->replications, S->o.max_work);
        goto out;
    }

    srv_run *r = bf_calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->srv = S;
    snprintf(r->scenario, sizeof r->scenario, "%s", si->name);
    r->sets = l.v;
    r->n_sets = l.n;
    l.v = NULL;
    l.n = 0;
    r->sw = sw;
    sw = NULL;
    r->replications = m->replications;
    r->work = work;
    r->total = (size_t)m->replications;
    {
        /* The provenance: what `borderflow run` would have been given. */
        size_t n = 64 + strlen(si->path);
        for (size_t k = 0; k < r->n_sets; k++)
            n += strlen(r->sets[k]) + 12;
        r->cmdline = bf_malloc(n);
        if (r->cmdline) {
            int w = snprintf(r->cmdline, n, "borderflow serve: POST /api/runs %s", si->path);
            for (size_t k = 0; k < r->n_sets && w > 0 && (size_t)w < n; k++)
                w += snprintf(r->cmdline + w, n - (size_t)w, " --set '%s'", r->sets[k]);
        }
    }
    pthread_mutex_lock(&S->mu);
    r->id = S->next_id++;
    r->state = RUN_QUEUED;
    S->n_active++;
    S->n_threads++;
    r->next = S->runs;
    S->runs = r;
    S->n_runs++;
    trim_runs(S);
    pthread_mutex_unlock(&S->mu);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int pe = pthread_create(&t, &at, run_main, r);
    pthread_attr_destroy(&at);
    pthread_mutex_lock(&S->mu);
    if (pe != 0) {
        r->state = RUN_FAILED;
        snprintf(r->msg, sizeof r->msg, "could not start a worker thread: %s", strerror(pe));
        r->worker_done = true;
        S->n_active--;
        S->n_threads--;
    }
    json_t *j = run_json(S, r);
    pthread_mutex_unlock(&S->mu);
    json_decref(body);
    if (pe != 0) {
        json_decref(j);
        reply_error(req, 503, "could not start a worker thread");
        return;
    }
    {
        char loc[64];
        snprintf(loc, sizeof loc, "/api/runs/%lld", (long long)r->id);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Location", loc);
    }
    reply_json(req, 202, j);
    return;
oom:
    code = 500;
    snprintf(msg, sizeof msg, "out of memory");
out:
    sets_free(&l);
    bf_sweep_destroy(sw);
    json_decref(body);
    reply_error(req, code, "%s", msg);
}

static bool parse_id(const char *s, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return v > 0;
}

static void *chart_main(void *arg)
{
    chart_job *j = arg;
    server *S = j->srv;
    bf_error err;
    bf_error_clear(&err);
    bf_report *rp = NULL;
    bf_chart *c = NULL;
    char dir[PATH_MAX] = "", path[PATH_MAX + 16] = "";
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/bf-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    bf_status s = bf_report_open(S->o.db, &rp, &err);
    if (s == BF_OK) {
        bf_chart_spec spec = {.kind = j->kind, .runs = j->runs, .n_runs = j->n_runs,
                              .lang = "en"};
        s = bf_chart_build(rp, &spec, &c, &err);
    }
    if (s == BF_OK && !mkdtemp(dir)) {
        s = bf_error_set(&err, BF_EIO, "cannot create a temporary folder: %s", strerror(errno));
        dir[0] = 0;
    }
    if (s == BF_OK) {
        snprintf(path, sizeof path, "%s/chart.svg", dir);
        s = bf_chart_render(c, S->o.template_dir, S->o.gnuplot, path, &err);
    }
    if (s == BF_OK) {
        FILE *f = fopen(path, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fseek(f, 0, SEEK_SET);
            j->body = n > 0 ? bf_malloc((size_t)n) : NULL;
            if (j->body && fread(j->body, 1, (size_t)n, f) == (size_t)n) {
                j->len = (size_t)n;
                j->svg = true;
                j->code = 200;
            }
            fclose(f);
        }
        if (!j->svg)
            s = bf_error_set(&err, BF_EIO, "cannot read the drawn chart");
    }
    if (path[0])
        unlink(path);
    if (dir[0])
        rmdir(dir);
    bf_chart_destroy(c);
    bf_report_close(rp);
    if (s != BF_OK) {
        j->code = s == BF_EINVAL || s == BF_ESTATE ? 404 : 500;
        json_t *e = json_pack("{s:s,s:i}", "error", err.msg, "status", j->code);
        char *t = e ? json_dumps(e, JSON_COMPACT) : NULL;
        json_decref(e);
        if (t) {
            j->len = strlen(t);
            j->body = bf_malloc(j->len + 1);
            if (j->body)
                memcpy(j->body, t, j->len + 1);
            else
                j->len = 0;
            free(t);
        }
    }
    pthread_mutex_lock(&S->mu);
    j->next = S->charts_done;
    S->charts_done = j;
    pthread_mutex_unlock(&S->mu);
    /* Wakes the loop (thread-safe: evthread_use_pthreads). */
    event_active(S->notify, 0, 0);
    thread_exit(S);
    return NULL;
}

static void get_chart(server *S, struct evhttp_request *req, srv_run *r, const char *file,
                      const char *query)
{
    size_t n = strlen(file);
    char kname[32];
    bf_chart_kind kind;
    if (n < 5 || n - 4 >= sizeof kname || strcmp(file + n - 4, ".svg") != 0) {
        reply_error(req, 404, "charts are KIND.svg, KIND one of timeseries, cdf, utilization, "
                              "compare");
        return;
    }
    memcpy(kname, file, n - 4);
    kname[n - 4] = 0;
    if (bf_chart_kind_parse(kname, &kind) != 0 || kind == BF_CHART_SWEEP) {
        reply_error(req, 404, "no chart kind '%.31s' (timeseries, cdf, utilization, compare)",
                    kname);
        return;
    }
    chart_job *j = bf_calloc(1, sizeof *j);
    if (!j) {
        reply_error(req, 500, "out of memory");
        return;
    }
    j->srv = S;
    j->req = req;
    j->kind = kind;
    pthread_mutex_lock(&S->mu);
    run_state state = r->state;
    int64_t sid = r->store_run_id, base_sid = 0;
    int64_t base_id = 0;
    bool bad_base = false;
    if (kind == BF_CHART_COMPARE) {
        struct evkeyvalq q;
        memset(&q, 0, sizeof q);
        const char *b = NULL;
        if (query && evhttp_parse_query_str(query, &q) == 0)
            b = evhttp_find_header(&q, "base");
        srv_run *br = NULL;
        if (b && parse_id(b, &base_id))
            br = find_run(S, base_id);
        if (br && br->store_run_id && br->worker_done)
            base_sid = br->store_run_id;
        else
            bad_base = true;
        evhttp_clear_headers(&q);
    }
    bool busy = S->n_charts >= S->o.max_charts;
    if (!busy && !bad_base && sid && (state == RUN_DONE || state == RUN_CANCELED)) {
        S->n_charts++;
        S->n_threads++;
    }
    pthread_mutex_unlock(&S->mu);
    if (bad_base) {
        bf_free(j);
        reply_error(req, 404, "the compare chart needs ?base=ID, a finished run of this server");
        return;
    }
    if (!sid || (state != RUN_DONE && state != RUN_CANCELED)) {
        bf_free(j);
        reply_error(req, 409, "run %lld is %s: charts are drawn once it has finished",
                    (long long)r->id, state_names[state]);
        return;
    }
    if (busy) {
        bf_free(j);
        reply_error(req, 503, "the server is drawing %d charts already; try again shortly",
                    S->o.max_charts);
        return;
    }
    if (kind == BF_CHART_COMPARE) {
        j->runs[0] = base_sid;
        j->runs[1] = sid;
        j->n_runs = 2;
    } else {
        j->runs[0] = sid;
        j->n_runs = 1;
    }
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int pe = pthread_create(&t, &at, chart_main, j);
    pthread_attr_destroy(&at);
    if (pe != 0) {
        pthread_mutex_lock(&S->mu);
        S->n_charts--;
        S->n_threads--;
        pthread_mutex_unlock(&S->mu);
        bf_free(j);
        reply_error(req, 503, "could not start a worker thread");
    }
    /* Otherwise the reply is sent by on_notify when the chart is drawn. */
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    server *S = arg;
    pthread_mutex_lock(&S->mu);
    chart_job *j = S->charts_done;
    S->charts_done = NULL;
    pthread_mutex_unlock(&S->mu);
    while (j) {
        chart_job *next = j->next;
        if (j->body)
            reply_raw(j->req, j->code, j->svg ? "image/svg+xml" : "application/json", j->body,
                      j->len);
        else
            reply_error(j->req, 500, "out of memory");
        bf_free(j->body);
        bf_free(j);
        pthread_mutex_lock(&S->mu);
        S->n_charts--;
        pthread_mutex_unlock(&S->mu);
        j = next;
    }
}

static void handle_runs(server *S, struct evhttp_request *req, enum evhttp_cmd_type cmd,
                        char **seg, size_t n_seg, const char *query)
{
    if (n_seg == 2) {
        if (cmd == EVHTTP_REQ_POST) {
            post_run(S, req);
        } else if (cmd == EVHTTP_REQ_GET) {
            json_t *a = json_array();
            pthread_mutex_lock(&S->mu);
            for (srv_run *r = S->runs; r; r = r->next)
                json_array_append_new(a, run_json(S, r));
            int active = S->n_active;
            pthread_mutex_unlock(&S->mu);
            reply_json(req, 200, json_pack("{s:o,s:i,s:i}", "runs", a, "active", active,
                                           "max_runs", S->o.max_runs));
        } else {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, POST");
            reply_error(req, 405, "use GET or POST on /api/runs");
        }
        return;
    }
    int64_t id;
    if (!parse_id(seg[2], &id)) {
        reply_error(req, 404, "no run '%.32s': run ids are whole numbers", seg[2]);
        return;
    }
    pthread_mutex_lock(&S->mu);
    srv_run *r = find_run(S, id);
    pthread_mutex_unlock(&S->mu);
    /* r stays valid on this thread: only the loop thread frees runs. */
    if (!r) {
        reply_error(req, 404, "no run %lld on this server", (long long)id);
        return;
    }
    if (n_seg == 3 && cmd == EVHTTP_REQ_GET) {
        /* The results (some 200 kB for the baseline) are already JSON
         * text: splice them in rather than parse and print them again on
         * every poll.  r->results never changes once set. */
        pthread_mutex_lock(&S->mu);
        json_t *j = run_json(S, r);
        const char *res = r->results;
        pthread_mutex_unlock(&S->mu);
        char *head = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!head) {
            reply_error(req, 500, "out of memory");
            return;
        }
        size_t hl = strlen(head);
        struct evbuffer *b = evbuffer_new();
        if (b && res && hl > 2) {
            evbuffer_add(b, head, hl - 1); /* without the closing brace */
            evbuffer_add_printf(b, ",\"results\":%s}", res);
        } else if (b) {
            evbuffer_add(b, head, hl);
        }
        free(head);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Content-Type", "application/json");
        evhttp_add_header(h, "Cache-Control", "no-store");
        evhttp_send_reply(req, 200, "OK", b);
        if (b)
            evbuffer_free(b);
    } else if (n_seg == 3 && cmd == EVHTTP_REQ_DELETE) {
        pthread_mutex_lock(&S->mu);
        bool active = r->state == RUN_QUEUED || r->state == RUN_RUNNING;
        if (active)
            r->cancel = 1;
        json_t *j = run_json(S, r);
        pthread_mutex_unlock(&S->mu);
        if (!active) {
            json_decref(j);
            reply_error(req, 409, "run %lld has already finished", (long long)id);
            return;
        }
        json_object_set_new(j, "cancel_requested", json_true());
        reply_json(req, 202, j);
    } else if (n_seg == 3) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, DELETE");
        reply_error(req, 405, "use GET or DELETE on /api/runs/ID");
    } else if (n_seg == 5 && strcmp(seg[3], "charts") == 0 && cmd == EVHTTP_REQ_GET) {
        get_chart(S, req, r, seg[4], query);
    } else {
        reply_error(req, 404, "no such resource");
    }
}

static void on_request(struct evhttp_request *req, void *arg)
{
    server *S = arg;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
    if (!path || !*path)
        path = "/";
    if (strlen(path) > 512) {
        reply_error(req, 404, "no such resource");
        return;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
            reply_error(req, 405, "use GET");
            return;
        }
        reply_raw(req, 200, "text/html; charset=utf-8", bf__server_page, bf__server_page_len);
        return;
    }
    /* Split the raw (undecoded) path into segments: a name is matched
     * only against [A-Za-z0-9_-]+, so "..", "%2e%2e" and "/" never reach
     * the file system. */
    char buf[520], *seg[8];
    size_t n_seg = 0;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n_seg == 8) {
            reply_error(req, 404, "no such resource");
            return;
        }
        seg[n_seg++] = t;
    }
    if (n_seg < 2 || strcmp(seg[0], "api") != 0) {
        reply_error(req, 404, "no such resource: the API is under /api (see docs/api.md)");
        return;
    }
    if (strcmp(seg[1], "scenarios") == 0 && n_seg <= 3) {
        if (cmd != EVHTTP_REQ_GET) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            reply_error(req, 405, "use GET");
        } else if (n_seg == 2) {
            get_scenarios(S, req);
        } else {
            get_scenario(S, req, seg[2]);
        }
        return;
    }
    if (strcmp(seg[1], "runs") == 0 && n_seg <= 5) {
        handle_runs(S, req, cmd, seg, n_seg, query);
        return;
    }
    if (strcmp(seg[1], "status") == 0 && n_seg == 2) {
        pthread_mutex_lock(&S->mu);
        int active = S->n_active, charts = S->n_charts;
        pthread_mutex_unlock(&S->mu);
        reply_json(req, 200,
                   json_pack("{s:s,s:s,s:i,s:i,s:i,s:f,s:i,s:s}", "version", bf_version(),
                             "revision", bf_source_revision(), "active_runs", active,
                             "max_runs", S->o.max_runs, "charts_drawing", charts, "max_work",
                             S->o.max_work, "max_replications", S->o.max_replications, "db",
                             S->o.db));
        return;
    }
    reply_error(req, 404, "no such resource: see docs/api.md");
}

/* ---- loop housekeeping ------------------------------------------------------------ */

static void cancel_all(server *S)
{
    pthread_mutex_lock(&S->mu);
    for (srv_run *r = S->runs; r; r = r->next)
        if (!r->worker_done)
            r->cancel = 1;
    pthread_mutex_unlock(&S->mu);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    server *S = arg;
    double t = now_s();
    pthread_mutex_lock(&S->mu);
    for (srv_run *r = S->runs; r; r = r->next)
        if (r->state == RUN_RUNNING && r->started && t - r->started > S->o.run_timeout_s &&
            !r->cancel) {
            r->timed_out = true;
            r->cancel = 1;
        }
    pthread_mutex_unlock(&S->mu);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    server *S = arg;
    pthread_mutex_lock(&S->mu);
    S->stopping = true;
    pthread_mutex_unlock(&S->mu);
    cancel_all(S);
    event_base_loopexit(S->base, NULL);
}

static bool is_loopback(const char *host)
{
    return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "::1") == 0;
}

static bf_status parse_listen(server *S, const char *listen, bf_error *err)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof S->host)
        return bf_error_set(err, BF_EINVAL, "--listen expects HOST:PORT, e.g. 127.0.0.1:8080, "
                            "got '%s'", listen);
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(S->host, h, hl);
    S->host[hl] = 0;
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || p < 0 || p > 65535)
        return bf_error_set(err, BF_EINVAL, "--listen: the port must be 0 to 65535, got '%s'",
                            colon + 1);
    S->port = (int)p;
    if (!is_loopback(S->host) && !S->o.allow_remote)
        return bf_error_set(err, BF_EINVAL, "--listen %s is not a loopback address: the server "
                            "has no authentication, so binding it to other machines must be "
                            "asked for with --allow-remote", listen);
    return BF_OK;
}

bf_status bf_server_run(const bf_server_opts *opts, bf_error *err)
{
    server S0, *S = &S0;
    memset(S, 0, sizeof *S);
    S->o = *opts;
    if (!S->o.listen)
        S->o.listen = "127.0.0.1:8080";
    if (!S->o.scenarios_dir)
        S->o.scenarios_dir = "scenarios";
    if (!S->o.db)
        S->o.db = "borderflow.db";
    if (S->o.max_runs <= 0)
        S->o.max_runs = 2;
    if (S->o.max_work <= 0)
        S->o.max_work = 2e7;
    if (S->o.max_replications <= 0)
        S->o.max_replications = 200;
    if (S->o.run_timeout_s <= 0)
        S->o.run_timeout_s = 900;
    if (S->o.http_timeout_s <= 0)
        S->o.http_timeout_s = 30;
    if (!S->o.max_body)
        S->o.max_body = 65536;
    if (!S->o.max_headers)
        S->o.max_headers = 16384;
    if (S->o.max_charts <= 0)
        S->o.max_charts = 4;
    if (!S->o.template_dir)
        S->o.template_dir = "tools/gnuplot";
    S->next_id = 1;
    pthread_mutex_init(&S->mu, NULL);
    pthread_cond_init(&S->cv, NULL);

    bf_status st = parse_listen(S, S->o.listen, err);
    if (st == BF_OK) {
        /* Fail now, not at the first run, if the store is unusable. */
        bf_store *probe = NULL;
        st = bf_store_open(S->o.db, &probe, err);
        bf_store_close(probe);
        if (st != BF_OK && st != BF_ENOMEM)
            st = BF_ESTORE;
    }
    if (st == BF_OK)
        st = load_scenarios(S, err);
    if (st == BF_OK && evthread_use_pthreads() != 0)
        st = bf_error_set(err, BF_ENOMEM, "libevent: cannot set up thread support");
    if (st == BF_OK && !(S->base = event_base_new()))
        st = bf_error_set(err, BF_ENOMEM, "libevent: cannot create the event base");
    if (st == BF_OK && !(S->http = evhttp_new(S->base)))
        st = bf_error_set(err, BF_ENOMEM, "libevent: cannot create the HTTP server");
    struct evhttp_bound_socket *bound = NULL;
    if (st == BF_OK) {
        evhttp_set_max_body_size(S->http, (ev_ssize_t)S->o.max_body);
        evhttp_set_max_headers_size(S->http, (ev_ssize_t)S->o.max_headers);
        evhttp_set_timeout(S->http, S->o.http_timeout_s);
        /* PUT, PATCH and OPTIONS reach the handler only to be answered 405
         * with a JSON message; other methods get libevent's 501. */
        evhttp_set_allowed_methods(S->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                                                EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                                EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
                                                EVHTTP_REQ_OPTIONS);
        evhttp_set_gencb(S->http, on_request, S);
        bound = evhttp_bind_socket_with_handle(S->http, S->host, (ev_uint16_t)S->port);
        if (!bound)
            st = bf_error_set(err, BF_EIO, "cannot listen on %s: %s", S->o.listen,
                              strerror(errno));
    }
    if (st == BF_OK) {
        S->notify = event_new(S->base, -1, 0, on_notify, S);
        S->tick = event_new(S->base, -1, EV_PERSIST, on_tick, S);
        if (S->o.handle_signals) {
            S->sigint = evsignal_new(S->base, SIGINT, on_signal, S);
            S->sigterm = evsignal_new(S->base, SIGTERM, on_signal, S);
        }
        struct timeval tv = {1, 0};
        if (!S->notify || !S->tick || event_add(S->tick, &tv) != 0 ||
            (S->o.handle_signals && (!S->sigint || !S->sigterm || event_add(S->sigint, NULL) ||
                                     event_add(S->sigterm, NULL))))
            st = bf_error_set(err, BF_ENOMEM, "libevent: cannot create events");
    }
    if (st == BF_OK) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int port = S->port;
        if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) == 0) {
            if (ss.ss_family == AF_INET)
                port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            else if (ss.ss_family == AF_INET6)
                port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
        char url[128];
        snprintf(url, sizeof url, "http://%s%s%s:%d/", strchr(S->host, ':') ? "[" : "", S->host,
                 strchr(S->host, ':') ? "]" : "", port);
        if (S->o.on_ready)
            S->o.on_ready(S->o.ctx, url);
        event_base_dispatch(S->base);
    }

    /* Shutting down: stop every run, wait for every worker. */
    pthread_mutex_lock(&S->mu);
    S->stopping = true;
    pthread_mutex_unlock(&S->mu);
    cancel_all(S);
    pthread_mutex_lock(&S->mu);
    while (S->n_threads > 0)
        pthread_cond_wait(&S->cv, &S->mu);
    pthread_mutex_unlock(&S->mu);
    /* Charts drawn after the loop stopped are never sent. */
    for (chart_job *j = S->charts_done, *n; j; j = n) {
        n = j->next;
        bf_free(j->body);
        bf_free(j);
    }
    if (S->http)
        evhttp_free(S->http);
    if (S->notify)
        event_free(S->notify);
    if (S->tick)
        event_free(S->tick);
    if (S->sigint)
        event_free(S->sigint);
    if (S->sigterm)
        event_free(S->sigterm);
    if (S->base)
        event_base_free(S->base);
    for (srv_run *r = S->runs, *n; r; r = n) {
        n = r->next;
        run_free(r);
    }
    for (size_t i = 0; i < S->n_scen; i++) {
        bf_free(S->scen[i].path);
        json_decref(S->scen[i].summary);
        json_decref(S->scen[i].detail);
    }
    bf_free(S->scen);
    pthread_mutex_destroy(&S->mu);
    pthread_cond_destroy(&S->cv);
    libevent_global_shutdown();
    return st;
}
