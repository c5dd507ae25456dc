/*
 * gnuplot.c - from a built chart to a gnuplot script, a data file and a
 * drawing.
 *
 * The script is self-contained: a header of variables (the labels, the
 * series titles, the output, the kind's own settings) followed by the
 * text of tools/gnuplot/common.gp and tools/gnuplot/<kind>.gp.  So the
 * look of every chart lives in the templates, and a script written for an
 * analyst (`plot --script DIR`) re-draws the chart with `gnuplot NAME.gp`
 * after any edit.
 *
 * Rendering runs gnuplot with posix_spawn (no shell: file names are never
 * parsed), with the script and data in a fresh temporary directory, its
 * output and error text in a log there, and the chart written under a
 * temporary name beside the target, renamed once gnuplot exited 0 and the
 * file starts with the right magic bytes.  The temporary directory is
 * removed whatever happens.
 */
#include "report/report_int.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The whole of a small text file.  OUT: *text (bf_free). */
static bf_status read_file(const char *path, char **text, bf_error *err)
{
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return bf_error_set(err, BF_EIO, "cannot read the chart template %s: %s", path,
                            strerror(errno));
    sbuf b = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf - 1, f)) > 0) {
        buf[n] = 0;
        bf__sbuf_put(&b, buf);
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        bf__sbuf_fini(&b);
        return bf_error_set(err, BF_EIO, "cannot read the chart template %s", path);
    }
    if (!(*text = bf__sbuf_take(&b)))
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    return BF_OK;
}

static bf_status write_text(const char *path, const char *text, bf_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return bf_error_set(err, BF_EIO, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    bool bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad)
        return bf_error_set(err, BF_EIO, "cannot write %s (disk full?)", path);
    return BF_OK;
}

static void path_join(sbuf *b, const char *dir, const char *name)
{
    b->len = 0;
    if (b->s)
        b->s[0] = 0;
    bf__sbuf_printf(b, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] != '/' ? "/" : "", name);
}

/* The data file: provenance comments, the column names, one block per
 * series (gnuplot's `index`), blocks separated by two blank lines. */
static void data_text(const bf_chart *c, sbuf *b)
{
    bf__sbuf_printf(b, "# borderflow chart data (%s), written by borderflow %s (%s)\n", c->tmpl,
                    bf_version(), bf_source_revision());
    bf__sbuf_put(b, bf__sbuf_str(&c->comment));
    bf__sbuf_printf(b, "# columns: %s\n", c->columns ? c->columns : "");
    bf__sbuf_put(b, "# one block per series, separated by two blank lines "
                    "(gnuplot: index 0, 1, ...)\n");
    for (size_t i = 0; i < c->n_series; i++) {
        if (i)
            bf__sbuf_put(b, "\n\n");
        bf__sbuf_printf(b, "# series %zu: %s\n", i + 1, c->series[i].title);
        bf__sbuf_put(b, bf__sbuf_str(&c->series[i].rows));
    }
}

static bf_status script_text(const bf_chart *c, const char *template_dir, const char *output,
                             const char *data_ref, const char *script_name, sbuf *b,
                             bf_error *err)
{
    const char *fmt = bf_chart_format_of(output);
    if (!fmt)
        return bf_error_set(err, BF_EINVAL, "the chart file '%s' must end in .png, .svg or .pdf",
                            output);
    char *common = NULL, *kind = NULL;
    sbuf p = {0};
    path_join(&p, template_dir, "common.gp");
    bf_status st = read_file(bf__sbuf_str(&p), &common, err);
    if (st == BF_OK) {
        path_join(&p, template_dir, c->tmpl);
        bf__sbuf_put(&p, ".gp");
        st = read_file(bf__sbuf_str(&p), &kind, err);
    }
    bf__sbuf_fini(&p);
    if (st != BF_OK) {
        bf_free(common);
        return st;
    }
    bf__sbuf_printf(b, "# %s - a borderflow %s chart, drawn by gnuplot.\n", script_name, c->tmpl);
    bf__sbuf_printf(b, "# Written by borderflow %s (%s) from the templates common.gp and %s.gp.\n",
                    bf_version(), bf_source_revision(), c->tmpl);
    bf__sbuf_put(b, "# Edit the variables below (or anything else) and re-draw with:\n");
    bf__sbuf_printf(b, "#   gnuplot %s\n", script_name);
    bf__sbuf_put(b, "# The variables and data columns are described in docs/charts.md.\n\n");
    bf__sbuf_put(b, "# ---- set by borderflow ----\n");
    bf__sbuf_printf(b, "out_format = \"%s\"\n", fmt);
    bf__sbuf_put(b, "out_file = ");
    bf__gp_string(b, output);
    bf__sbuf_put(b, "\ndata_file = ");
    bf__gp_string(b, data_ref);
    const char *names[] = {"font_name", "chart_title", "chart_subtitle", "x_label",
                           "y_label",   "footnote",    "footnote2"};
    const char *vals[] = {c->font, c->title, c->subtitle, c->x_label,
                          c->y_label, c->foot1, c->foot2};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bf__sbuf_printf(b, "\n%s = ", names[i]);
        bf__gp_string(b, vals[i] ? vals[i] : "");
    }
    bf__sbuf_printf(b, "\nn_series = %zu\narray series_title[%zu] = [", c->n_series,
                    c->n_series);
    for (size_t i = 0; i < c->n_series; i++) {
        if (i)
            bf__sbuf_put(b, ", ");
        bf__gp_string(b, c->series[i].title);
    }
    bf__sbuf_put(b, "]\n");
    bf__sbuf_put(b, bf__sbuf_str(&c->vars));
    bf__sbuf_put(b, "\n# ---- common.gp ----\n");
    bf__sbuf_put(b, common);
    bf__sbuf_printf(b, "\n# ---- %s.gp ----\n", c->tmpl);
    bf__sbuf_put(b, kind);
    bf_free(common);
    bf_free(kind);
    if (b->oom)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    return BF_OK;
}

/* Writes <dir>/<name>.gp (drawing to output, reading data_ref) and
 * <dir>/<name>.tsv. */
static bf_status write_pair(const bf_chart *c, const char *template_dir, const char *dir,
                            const char *name, const char *output, const char *data_ref,
                            bf_error *err)
{
    sbuf script = {0}, data = {0}, path = {0}, sname = {0};
    bf__sbuf_printf(&sname, "%s.gp", name);
    bf_status st = script_text(c, template_dir, output, data_ref, bf__sbuf_str(&sname), &script,
                               err);
    if (st == BF_OK) {
        data_text(c, &data);
        path_join(&path, dir, bf__sbuf_str(&sname));
        if (data.oom || path.oom || sname.oom)
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
    }
    if (st == BF_OK)
        st = write_text(bf__sbuf_str(&path), bf__sbuf_str(&script), err);
    if (st == BF_OK) {
        path_join(&path, dir, name);
        bf__sbuf_put(&path, ".tsv");
        st = path.oom ? bf_error_set(err, BF_ENOMEM, "out of memory")
                      : write_text(bf__sbuf_str(&path), bf__sbuf_str(&data), err);
    }
    bf__sbuf_fini(&script);
    bf__sbuf_fini(&data);
    bf__sbuf_fini(&path);
    bf__sbuf_fini(&sname);
    return st;
}

bf_status bf_chart_write_script(const bf_chart *c, const char *template_dir, const char *dir,
                                const char *name, const char *output, bf_error *err)
{
    bf_error_clear(err);
    sbuf ref = {0};
    bf__sbuf_printf(&ref, "%s.tsv", name);
    bf_status st = ref.oom ? bf_error_set(err, BF_ENOMEM, "out of memory")
                           : write_pair(c, template_dir, dir, name, output, ref.s, err);
    bf__sbuf_fini(&ref);
    return st;
}

/* ---- running gnuplot ---------------------------------------------------- */

static bf_status missing(const char *gnuplot, bf_error *err)
{
    return bf_error_set(err, BF_EIO,
                        "cannot run '%s': gnuplot is not installed (or not on PATH). Charts "
                        "need it; on Debian install it with: sudo apt-get install gnuplot-nox. "
                        "`borderflow export` and `borderflow plot --script DIR` work without it",
                        gnuplot);
}

/* Runs argv with stdout and stderr to log_path.  OUT: *status (the
 * waitpid status). */
static bf_status spawn_wait(const char *const *argv, const char *log_path, int *status,
                            bf_error *err)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = strchr(argv[0], '/')
                 ? posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ)
                 : posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT || rc == EACCES || rc == ENOTDIR)
        return missing(argv[0], err);
    if (rc != 0)
        return bf_error_set(err, BF_EIO, "cannot run '%s': %s", argv[0], strerror(rc));
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR)
            return bf_error_set(err, BF_EIO, "waiting for '%s': %s", argv[0], strerror(errno));
    }
    /* A C library whose posix_spawn reports exec failures only through
     * the child exits 127, as a shell would. */
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 127)
        return missing(argv[0], err);
    return BF_OK;
}

/* What gnuplot said went wrong: its "... line N: message" lines when
 * there are any (it echoes the whole offending command before them, which
 * would drown the message), else its first lines. */
static void log_excerpt(const char *log_path, char *buf, size_t len)
{
    buf[0] = 0;
    for (int pass = 0; pass < 2 && !buf[0]; pass++) {
        FILE *f = fopen(log_path, "r");
        if (!f)
            return;
        char line[1024];
        size_t used = 0;
        int n = 0;
        while (n < 3 && fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            const char *p = line;
            while (*p == ' ' || *p == '^')
                p++;
            if (!*p || (pass == 0 && !strstr(p, " line ")))
                continue;
            used += (size_t)snprintf(buf + used, len > used ? len - used : 0, "%s%s",
                                     n ? " | " : "", p);
            n++;
            if (used >= len)
                break;
        }
        fclose(f);
    }
}

static bool magic_ok(const char *path, const char *fmt)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char b[1024];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (strcmp(fmt, "png") == 0)
        return n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0;
    if (strcmp(fmt, "pdf") == 0)
        return n >= 4 && memcmp(b, "%PDF", 4) == 0;
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(b + i, "<svg", 4) == 0)
            return true;
    return false;
}

bf_status bf_gnuplot_check(const char *gnuplot, bf_error *err)
{
    bf_error_clear(err);
    if (!gnuplot)
        gnuplot = "gnuplot";
    const char *argv[] = {gnuplot, "--version", NULL};
    int status;
    bf_status st = spawn_wait(argv, "/dev/null", &status, err);
    if (st != BF_OK)
        return st;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return bf_error_set(err, BF_EIO, "'%s --version' failed; is it gnuplot?", gnuplot);
    return BF_OK;
}

static void remove_tree(const char *dir, const char *const *names, size_t n)
{
    sbuf p = {0};
    for (size_t i = 0; i < n; i++) {
        path_join(&p, dir, names[i]);
        if (!p.oom)
            unlink(p.s);
    }
    bf__sbuf_fini(&p);
    rmdir(dir);
}

bf_status bf_chart_render(const bf_chart *c, const char *template_dir, const char *gnuplot,
                          const char *out_path, bf_error *err)
{
    bf_error_clear(err);
    if (!gnuplot)
        gnuplot = "gnuplot";
    const char *fmt = bf_chart_format_of(out_path);
    if (!fmt)
        return bf_error_set(err, BF_EINVAL, "the chart file '%s' must end in .png, .svg or .pdf",
                            out_path);
    const char *tmp = getenv("TMPDIR");
    sbuf dir = {0}, script = {0}, data = {0}, log = {0}, part = {0};
    bf__sbuf_printf(&dir, "%s/borderflow-plot.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (dir.oom)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    if (!mkdtemp(dir.s)) {
        bf_status st = bf_error_set(err, BF_EIO, "cannot make a temporary directory %s: %s",
                                    dir.s, strerror(errno));
        bf__sbuf_fini(&dir);
        return st;
    }
    path_join(&script, dir.s, "chart.gp");
    path_join(&data, dir.s, "chart.tsv");
    path_join(&log, dir.s, "gnuplot.log");
    /* Beside the target, so the final rename stays on one file system. */
    bf__sbuf_printf(&part, "%s.part-%ld.%s", out_path, (long)getpid(), fmt);
    bf_status st = BF_OK;
    if (script.oom || data.oom || log.oom || part.oom)
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
    if (st == BF_OK) {
        /* Say now, in our words, when the chart's folder is missing or
         * read-only, rather than through gnuplot's. */
        int fd = open(part.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            st = bf_error_set(err, BF_EIO, "cannot write %s: %s", out_path, strerror(errno));
        else
            close(fd);
    }
    if (st == BF_OK)
        st = write_pair(c, template_dir, dir.s, "chart", part.s, data.s, err);
    if (st == BF_OK) {
        const char *argv[] = {gnuplot, script.s, NULL};
        int status;
        st = spawn_wait(argv, log.s, &status, err);
        if (st == BF_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            char why[600];
            log_excerpt(log.s, why, sizeof why);
            if (WIFEXITED(status))
                st = bf_error_set(err, BF_EIO, "gnuplot failed (exit %d) drawing %s: %s",
                                  WEXITSTATUS(status), out_path, why[0] ? why : "no message");
            else
                st = bf_error_set(err, BF_EIO, "gnuplot was killed by signal %d drawing %s",
                                  WTERMSIG(status), out_path);
        }
    }
    if (st == BF_OK && !magic_ok(part.s, fmt)) {
        char why[600];
        log_excerpt(log.s, why, sizeof why);
        st = bf_error_set(err, BF_EIO, "gnuplot did not write a %s file for %s%s%s", fmt,
                          out_path, why[0] ? ": " : "", why);
    }
    if (st == BF_OK && rename(part.s, out_path) != 0)
        st = bf_error_set(err, BF_EIO, "cannot write %s: %s", out_path, strerror(errno));
    if (st != BF_OK && part.s)
        unlink(part.s); /* harmless when it was never made */
    static const char *const names[] = {"chart.gp", "chart.tsv", "gnuplot.log"};
    remove_tree(dir.s, names, 3);
    bf__sbuf_fini(&dir);
    bf__sbuf_fini(&script);
    bf__sbuf_fini(&data);
    bf__sbuf_fini(&log);
    bf__sbuf_fini(&part);
    return st;
}
