/*
 * main.c - the borderflow command: the table of subcommands and the
 * dispatch.  Each subcommand is in cmd_<name>.c; shared wording and exit
 * codes in cli.c.  Everything else is a library call.
 *
 * Exit codes: 0 success; 1 failure while running or storing (I/O, store,
 * out of memory); 2 bad command line; 3 bad scenario (file or --set);
 * 130 interrupted (completed replications are kept in the store).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* ---- table of subcommands ------------------------------------------- */

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("borderflow %s (%s)\n", bf_version(), bf_source_revision());
    return 0;
}

static int cmd_help(int argc, char **argv);
static int dispatch_command(int argc, char **argv);

static const command commands[] = {
    {"run", cmd_run, "simulate a scenario, print a summary, store the results"},
    {"check", cmd_check, "validate a scenario and print the resolved model"},
    {"sweep", cmd_sweep, "run a grid of parameter points, resumably, in parallel"},
    {"compare", cmd_compare, "paired comparison of two scenarios (common random numbers)"},
    {"merge", cmd_merge, "combine result stores made elsewhere (e.g. shards of a sweep)"},
    {"export", cmd_export, "write results as TSV, CSV or JSON in long (tidy) form"},
    {"plot", cmd_plot, "draw a briefing chart (PNG, SVG, PDF) with gnuplot"},
    {"report", cmd_report, "write a briefing folder: HTML, Markdown, charts, commands"},
    {"serve", cmd_serve, "a local what-if web page and JSON API (127.0.0.1:8080)"},
    {"version", cmd_version, "print the version and source revision"},
    {"help", cmd_help, "show this help, or a command's help: borderflow help run"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void main_usage(FILE *f)
{
    fprintf(f, "Usage: borderflow COMMAND [options]\n\n"
               "Discrete-event simulation of two-line border checkpoints.\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions:\n  -h, --help     show this help\n  -V, --version  print the version\n"
               "\nStart with: borderflow run scenarios/hetao-baseline.ini\n"
               "Each command has --help.  Documentation: README.md and docs/.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (strcmp(argv[1], commands[i].name) == 0 && commands[i].fn != cmd_help &&
                commands[i].fn != cmd_version) {
                char *av[] = {argv[1], (char *)"--help", NULL};
                optind = 1;
                return commands[i].fn(2, av);
            }
    }
    main_usage(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    opterr = 0;
    cli_set_cmdline(argc, argv);
    int rc = dispatch_command(argc, argv);
    cli_free_cmdline();
    return rc;
}

static int dispatch_command(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        main_usage(stdout);
        return 0;
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0)
        return cmd_version(0, NULL);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0) {
            optind = 1;
            return commands[i].fn(argc - 1, argv + 1);
        }
    const char *names[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    const char *best = bf_closest(name, names, N_COMMANDS);
    fprintf(stderr, "borderflow: unknown command '%s'%s%s%s\nTry 'borderflow --help'.\n", name,
            best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
    return EXIT_USAGE;
}

