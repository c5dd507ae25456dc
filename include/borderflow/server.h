/*
 * server.h - `borderflow serve`: a local what-if web page and a JSON API
 * over libevent's evhttp.  The API is documented in docs/api.md.
 *
 * Threads.  One thread runs the event loop; it parses requests, answers
 * from memory and never waits for a simulation, for SQLite or for
 * gnuplot.  Each accepted run executes on its own worker thread (at most
 * opts.max_runs at once, each using opts.jobs simulation threads) through
 * the same library calls as `borderflow run` (bf_sweep_add_point,
 * bf_sweep_run), with its own bf_store connection to the same SQLite
 * file (WAL: the CLI, other runs and readers do not block each other).
 * When a run ends, the worker reads its aggregates and leaves them, as
 * JSON text, in the run's slot; the loop serves that text.  Charts are
 * drawn on short-lived worker threads (bf_chart_build, bf_chart_render:
 * the module behind `borderflow plot`) and the reply is handed back to
 * the loop through an event made active from the worker.
 *
 * Life cycle of a run (state names as the API reports them):
 *
 *   POST /api/runs --> queued --> running --> done
 *                         |          |  \---> failed   (store or run error)
 *                         +----------+------> canceled (DELETE, timeout,
 *                                                       shutdown)
 *
 * Scenarios are read once, at start, from opts.scenarios_dir: every
 * NAME.ini whose NAME matches [A-Za-z0-9_-]+.  A request names a scenario
 * by NAME only, so no request can reach a file outside that folder.
 *
 * The library never prints: opts.on_ready receives the URL once the
 * socket is bound (port 0 picks a free port), and errors come back in
 * err.
 *
 * Memory: the options' strings are borrowed for the whole call.
 */
#ifndef BORDERFLOW_SERVER_H
#define BORDERFLOW_SERVER_H

#include "borderflow/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bf_server_opts {
    const char *listen;        /* "HOST:PORT"; NULL: "127.0.0.1:8080" */
    bool allow_remote;         /* must be true to bind a non-loopback host */
    const char *scenarios_dir; /* NULL: "scenarios" */
    const char *db;            /* results store; NULL: "borderflow.db" */
    int max_runs;              /* runs queued or running at once (<= 0: 2);
                                * one more is answered 503 */
    double max_work;           /* horizon x mean arrival rate x replications
                                * (simulated entities) per request (<= 0: 2e7);
                                * more is answered 413 */
    int max_replications;      /* per request (<= 0: 200) */
    int jobs;                  /* simulation threads per run (<= 0: CPUs) */
    double run_timeout_s;      /* a run still going after this is canceled
                                * (<= 0: 900) */
    int http_timeout_s;        /* read/write timeout of a connection (<= 0: 30) */
    size_t max_body;           /* request body bytes (0: 65536) */
    size_t max_headers;        /* request header bytes (0: 16384) */
    int max_charts;            /* charts drawn at once (<= 0: 4); more: 503 */
    const char *template_dir;  /* gnuplot templates (tools/gnuplot) */
    const char *gnuplot;       /* the gnuplot program; NULL: "gnuplot" */
    bool handle_signals;       /* SIGINT / SIGTERM stop the server cleanly */
    /* Called once, on the loop thread, when the socket is bound, with the
     * URL ("http://127.0.0.1:41234/"). */
    void (*on_ready)(void *ctx, const char *url);
    void *ctx;
} bf_server_opts;

/* Loads the scenarios, binds, and serves until SIGINT or SIGTERM
 * (handle_signals; nothing else stops it).  On the way out, runs still going are canceled
 * (their finished replications stay in the store, status 'canceled') and
 * waited for.  Errors before serving: BF_EINVAL (bad listen address, a
 * non-loopback host without allow_remote, no scenario in the folder),
 * BF_EIO (cannot bind, cannot read the folder), BF_ESTORE (the store
 * cannot be opened), BF_ENOMEM. */
bf_status bf_server_run(const bf_server_opts *opts, bf_error *err);

/* True if name is a valid scenario name: 1 to 64 of [A-Za-z0-9_-]. */
bool bf_server_is_valid_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
