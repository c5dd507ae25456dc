/*
 * cli.c - helpers shared by the subcommands: error wording and exit codes,
 * option errors, the provenance command line, signal handling.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

volatile int cli_cancel;
static char *g_cmdline;

static void on_signal(int sig)
{
    (void)sig;
    cli_cancel = 1;
}

void cli_catch_signals(void)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

int cli_report(const bf_error *err, bf_status st)
{
    char buf[2048];
    bf_error_format(err, buf, sizeof buf);
    fprintf(stderr, "borderflow: %s\n", buf);
    if (st == BF_EINVAL)
        return EXIT_SCENARIO;
    if (st == BF_ECANCELED)
        return EXIT_INTERRUPTED;
    return EXIT_RUN;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "borderflow %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'borderflow %s --help'.\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

/* getopt found an unknown option or a missing argument (opterr is off,
 * so this is the only message). */
int cli_bad_option(const char *cmd, char **argv, const char *needs_value)
{
    const char *opt = argv[optind - 1];
    if (optopt && strchr(needs_value, optopt))
        return cli_usage_error(cmd, "option '%s' needs a value", opt);
    return cli_usage_error(cmd, "unknown option '%s'", opt);
}

/* The command line as typed, single-quoted where the shell would need it,
 * for the provenance record. */
static char *join_argv(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += 4 * strlen(argv[i]) + 3;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool plain = *a != 0;
        for (const char *c = a; *c; c++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,%+@", *c))
                plain = false;
        if (i)
            *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *c = a; *c; c++) {
            if (*c == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = *c;
        }
        *p++ = '\'';
    }
    *p = 0;
    return s;
}


bool cli_sets_add(cli_sets *s, const char *x)
{
    const char **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return false;
    v[s->n++] = x;
    s->v = v;
    return true;
}

void cli_set_cmdline(int argc, char **argv)
{
    g_cmdline = join_argv(argc, argv);
}

const char *cli_cmdline(void)
{
    return g_cmdline ? g_cmdline : "";
}

void cli_free_cmdline(void)
{
    free(g_cmdline);
    g_cmdline = NULL;
}
