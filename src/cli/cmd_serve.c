/*
 * cmd_serve.c - `borderflow serve`: parses the options and calls
 * bf_server_run (src/server).  Prints the URL on stdout once the socket is
 * bound ("listening on http://127.0.0.1:8080/"), so that scripts and
 * tests can start it on port 0 and read the port chosen.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/server.h"
#include "cli/cli.h"

static const char *const serve_usage =
    "Usage: borderflow serve [options]\n"
    "\n"
    "A local what-if web page and JSON API (docs/api.md): pick a scenario, change\n"
    "servers, white-list shares, inspection shares or demand, run it, watch the\n"
    "progress, and compare the results and charts with the baseline.  Runs are\n"
    "stored in the same SQLite store as `borderflow run` writes.\n"
    "\n"
    "Options:\n"
    "      --listen HOST:PORT  address to listen on (default 127.0.0.1:8080); port 0\n"
    "                          picks a free port (printed on stdout)\n"
    "      --allow-remote      allow a non-loopback HOST (the server has no\n"
    "                          authentication: anyone who can reach it can run work)\n"
    "      --scenarios DIR     the scenarios offered: DIR/NAME.ini (default: scenarios)\n"
    "      --db FILE           results store (default: borderflow.db)\n"
    "      --max-runs N        runs queued or running at once; more are answered 503\n"
    "                          (default 2)\n"
    "      --max-work N        most simulated entities per request: horizon x mean\n"
    "                          arrival rate x replications (default 2e7); more: 413\n"
    "      --max-replications N  per request (default 200)\n"
    "  -j, --jobs N            simulation threads per run (default: number of CPUs)\n"
    "      --run-timeout SECONDS  cancel a run still going after this (default 900)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Stop it with Ctrl-C (SIGINT) or SIGTERM: runs still going are canceled (their\n"
    "finished replications stay in the store) and the server exits with status 0.\n"
    "\n"
    "Example:\n"
    "  borderflow serve --listen 127.0.0.1:8080 --db whatif.db\n"
    "  curl -s localhost:8080/api/scenarios\n";

enum { OPT_LISTEN = 256, OPT_REMOTE, OPT_SCEN, OPT_DB, OPT_MAXRUNS, OPT_MAXWORK, OPT_MAXREP,
       OPT_TIMEOUT };

static void on_ready(void *ctx, const char *url)
{
    (void)ctx;
    printf("listening on %s\n", url);
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"allow-remote", no_argument, NULL, OPT_REMOTE},
        {"scenarios", required_argument, NULL, OPT_SCEN},
        {"db", required_argument, NULL, OPT_DB},
        {"max-runs", required_argument, NULL, OPT_MAXRUNS},
        {"max-work", required_argument, NULL, OPT_MAXWORK},
        {"max-replications", required_argument, NULL, OPT_MAXREP},
        {"jobs", required_argument, NULL, 'j'},
        {"run-timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    bf_server_opts o = {.handle_signals = true, .on_ready = on_ready};
    long v;
    int c, code;
    while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN: o.listen = optarg; break;
        case OPT_REMOTE: o.allow_remote = true; break;
        case OPT_SCEN: o.scenarios_dir = optarg; break;
        case OPT_DB:
            if (!optarg[0] || strcmp(optarg, ":memory:") == 0)
                return cli_usage_error("serve", "--db needs a file name");
            o.db = optarg;
            break;
        case OPT_MAXRUNS:
            if ((code = cli_parse_long("serve", "--max-runs", optarg, 1, 1000, &v)))
                return code;
            o.max_runs = (int)v;
            break;
        case OPT_MAXREP:
            if ((code = cli_parse_long("serve", "--max-replications", optarg, 1, 1000000, &v)))
                return code;
            o.max_replications = (int)v;
            break;
        case 'j':
            if ((code = cli_parse_long("serve", "--jobs", optarg, 1, 1024, &v)))
                return code;
            o.jobs = (int)v;
            break;
        case OPT_TIMEOUT:
            if ((code = cli_parse_long("serve", "--run-timeout", optarg, 1, 86400 * 7, &v)))
                return code;
            o.run_timeout_s = (double)v;
            break;
        case OPT_MAXWORK: {
            char *end;
            double w = strtod(optarg, &end);
            if (end == optarg || *end || !(w > 0) || w > 1e15)
                return cli_usage_error("serve", "--max-work needs a positive number such as "
                                       "2e7, got '%s'", optarg);
            o.max_work = w;
            break;
        }
        case 'h': fputs(serve_usage, stdout); return 0;
        default: return cli_bad_option("serve", argv, "j");
        }
    }
    if (optind != argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    o.template_dir = cli_gnuplot_dir();
    o.gnuplot = cli_gnuplot_program();
    bf_error err;
    bf_error_clear(&err);
    bf_status s = bf_server_run(&o, &err);
    if (s != BF_OK) {
        fprintf(stderr, "borderflow serve: %s\n", err.msg);
        return s == BF_EINVAL ? EXIT_USAGE : EXIT_RUN;
    }
    return 0;
}
