/*
 * cmd_merge.c - `borderflow merge OUT IN...`: combine stores written
 * elsewhere (the shards of a sweep, runs made on several machines) into
 * OUT.  The rules are the store's (src/store/merge.c, docs/sweeps.md).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "borderflow/store.h"
#include "cli/cli.h"

static const char *const merge_usage =
    "Usage: borderflow merge OUT.db IN.db [IN.db ...]\n"
    "\n"
    "Add the runs of the IN stores to OUT (created if missing): the shards of a sweep,\n"
    "or runs of one experiment made on several machines.  A replication of a point that\n"
    "OUT already has is kept once, after checking that both copies are identical;\n"
    "aggregates are recomputed from all the replications.  Stores of another scenario\n"
    "or sweep, or of another schema version, are refused.  Each IN is merged in one\n"
    "transaction: a failure leaves OUT as it was before that IN.\n"
    "\n"
    "Options:\n"
    "  -q, --quiet   no summary on stderr\n"
    "  -h, --help    show this help\n"
    "\n"
    "Example (three shards of one sweep):\n"
    "  borderflow merge sweep.db shard-1.db shard-2.db shard-3.db\n"
    "\n"
    "Exit status: 0 merged, 1 an input was refused or could not be merged (OUT keeps\n"
    "what was merged before it), 2 bad command line.\n";

static void remove_store(const char *path)
{
    char aux[4096];
    unlink(path);
    snprintf(aux, sizeof aux, "%s-wal", path);
    unlink(aux);
    snprintf(aux, sizeof aux, "%s-shm", path);
    unlink(aux);
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    bool quiet = false;
    int c;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'h': fputs(merge_usage, stdout); return 0;
        default: return cli_bad_option("merge", argv, "");
        }
    }
    if (argc - optind < 2)
        return cli_usage_error("merge", argc - optind == 0 ? "missing OUT and IN stores"
                                                           : "missing the IN stores to merge");
    const char *out = argv[optind];
    const char *const *in = (const char *const *)argv + optind + 1;
    size_t n_in = (size_t)(argc - optind - 1);
    if (strcmp(out, ":memory:") == 0)
        return cli_usage_error("merge", "OUT must be a file");

    struct stat sb;
    bool existed = stat(out, &sb) == 0;
    bf_error err;
    bf_store *s = NULL;
    bf_status st = bf_store_open(out, &s, &err);
    if (st != BF_OK)
        return cli_report(&err, st == BF_EINVAL ? BF_ESTORE : st);
    /* Every input is looked at before anything is written. */
    st = bf_store_merge_check(s, in, n_in, &err);
    if (st != BF_OK) {
        bf_store_close(s);
        if (!existed)
            remove_store(out);
        if (st == BF_EINVAL) {
            fprintf(stderr, "borderflow merge: %s\nTry 'borderflow merge --help'.\n", err.msg);
            return EXIT_USAGE;
        }
        fprintf(stderr, "borderflow: %s\nborderflow: nothing was merged%s\n", err.msg,
                existed ? "; OUT is unchanged" : "");
        return EXIT_RUN;
    }
    bf_merge_report rep = {0};
    int code = 0;
    for (size_t i = 0; i < n_in; i++) {
        st = bf_store_merge(s, in[i], &rep, &err);
        if (st != BF_OK) {
            fprintf(stderr, "borderflow: %s\n", err.msg);
            if (i > 0)
                fprintf(stderr, "borderflow: %zu store%s before %s %s merged into %s; %s and "
                        "the rest were not\n", i, i > 1 ? "s" : "", in[i], i > 1 ? "were" : "was",
                        out, in[i]);
            else
                fprintf(stderr, "borderflow: nothing was merged into %s\n", out);
            code = EXIT_RUN;
            break;
        }
    }
    bf_store_close(s);
    if (code == 0 && !quiet)
        fprintf(stderr, "borderflow: merged %zu store%s into %s: %zu runs (%zu new, %zu joined "
                "with runs of the same point), %zu replications copied, %zu already there "
                "(identical), %zu sweeps and %zu comparisons added\n", n_in, n_in > 1 ? "s" : "",
                out, rep.runs_new + rep.runs_joined, rep.runs_new, rep.runs_joined, rep.reps_new,
                rep.reps_same, rep.sweeps_new, rep.comparisons_new);
    return code;
}
