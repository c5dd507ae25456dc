/*
 * vary.c - what a sweep varies: --vary KEY=SPEC options and the [sweep]
 * section of a scenario file, parsed into lists of value strings.
 *
 * Values stay text.  A sweep point is the scenario with overrides
 * KEY=VALUE, and the scenario loader is what decides whether a value is
 * right for its key (a number of servers, a share, a distribution), with
 * its own messages; here only the list syntax is checked and ranges are
 * expanded.  Range values are computed as FROM + i * STEP (not by
 * repeated addition, which drifts) and printed with as many decimals as
 * the range was written with, so 0.1:0.3:0.1 gives 0.1, 0.2, 0.3 and not
 * 0.30000000000000004.
 */
#include "borderflow/sweep.h"

#include "sweep/sweep_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- keys ---------------------------------------------------------------- */

bool bf_key_canonical(const char *key, char *out, size_t len)
{
    const char *dot = strchr(key, '.');
    if (!dot || dot == key || !dot[1])
        return false;
    for (const char *p = key; *p; p++) {
        if (*p == '.' && (p[1] == '.' || p[1] == 0))
            return false;
        if (isspace((unsigned char)*p) || *p == '=')
            return false;
    }
    char type[64];
    size_t tl = (size_t)(dot - key);
    if (tl >= sizeof type)
        return false;
    memcpy(type, key, tl);
    type[tl] = 0;
    /* The loader's own rule (scenario.c, apply_override). */
    if (strcmp(type, "classes") == 0)
        type[tl - 2] = 0;
    else if (tl > 1 && type[tl - 1] == 's' && strcmp(type, "class") != 0)
        type[tl - 1] = 0;
    int n = snprintf(out, len, "%s%s", type, dot);
    return n >= 0 && (size_t)n < len;
}

/* ---- value lists ----------------------------------------------------------- */

void bf_vary_fini(bf_vary *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_values; i++)
        bf_free(v->values[i]);
    bf_free(v->values);
    bf_free(v->key);
    v->values = NULL;
    v->key = NULL;
    v->n_values = 0;
}

typedef struct vctx {
    bf_vary *v;
    size_t cap;
    bf_error *err;
    const char *key_typed; /* for messages */
} vctx;

static bf_status verr(vctx *c, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bf_status verr(vctx *c, const char *value, const char *fmt, ...)
{
    bf_error *err = c->err;
    bf_error_clear(err);
    bf_error_at(err, c->v->origin, c->v->line, c->v->line ? "sweep" : NULL,
                c->key_typed, value);
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = BF_EINVAL;
    }
    return BF_EINVAL;
}

static bf_status add_value(vctx *c, const char *text, size_t len)
{
    bf_vary *v = c->v;
    char *s = bf_malloc(len + 1);
    if (!s)
        return bf_error_set(c->err, BF_ENOMEM, "out of memory");
    memcpy(s, text, len);
    s[len] = 0;
    for (size_t i = 0; i < v->n_values; i++)
        if (strcmp(v->values[i], s) == 0) {
            bf_status st = verr(c, s, "the value %s is listed twice; each value of a "
                                "varied key gives one point, so list it once", s);
            bf_free(s);
            return st;
        }
    if (v->n_values >= BF_SWEEP_MAX_VALUES) {
        bf_free(s);
        return verr(c, NULL, "more than %d values; a sweep varies a key over at most "
                    "%d values", BF_SWEEP_MAX_VALUES, BF_SWEEP_MAX_VALUES);
    }
    if (v->n_values == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 8;
        char **nv = bf_realloc(v->values, nc * sizeof *nv);
        if (!nv) {
            bf_free(s);
            return bf_error_set(c->err, BF_ENOMEM, "out of memory");
        }
        v->values = nv;
        c->cap = nc;
    }
    v->values[v->n_values++] = s;
    return BF_OK;
}

/* A number with an optional unit: "30%", "4", "5min", "-0.5".  OUT:
 * *x, the unit (trimmed) and the decimals it was written with (-1 for
 * exponent notation). */
static bool parse_num(const char *s, size_t len, double *x, char *unit, size_t ulen,
                      int *decimals)
{
    char buf[128];
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    /* Only plain decimal numbers: strtod would also take "nan", "inf"
     * and hexadecimal. */
    const char *p = buf;
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return false;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || errno || !isfinite(v))
        return false;
    int dec = 0;
    const char *dot = memchr(buf, '.', (size_t)(end - buf));
    if (dot)
        dec = (int)(end - dot - 1);
    for (const char *q = buf; q < end; q++)
        if (*q == 'e' || *q == 'E')
            dec = -1;
    while (isspace((unsigned char)*end))
        end++;
    if (strlen(end) >= ulen)
        return false;
    snprintf(unit, ulen, "%s", end);
    *x = v;
    *decimals = dec;
    return true;
}

static void format_num(double x, int decimals, const char *unit, char *out, size_t len)
{
    char num[64];
    if (decimals < 0) {
        snprintf(num, sizeof num, "%.12g", x);
    } else {
        snprintf(num, sizeof num, "%.*f", decimals, x);
        if (decimals > 0) {
            char *e = num + strlen(num) - 1;
            while (*e == '0')
                *e-- = 0;
            if (*e == '.')
                *e = 0;
        }
        if (strcmp(num, "-0") == 0)
            snprintf(num, sizeof num, "0");
    }
    snprintf(out, len, "%s%s", num, unit);
}

/* Expands FROM:TO:STEP (the element e[0..len-1], colons at c1, c2). */
static bf_status add_range(vctx *c, const char *e, size_t len, size_t c1, size_t c2)
{
    char el[256];
    snprintf(el, sizeof el, "%.*s", (int)(len < 255 ? len : 255), e);
    double a, b, step;
    char ua[32], ub[32], us[32];
    int da, db, ds;
    static const char *const EXPECT =
        "expected a range FROM:TO:STEP of numbers, e.g. 4:12:2 or 30%%:70%%:20%%";
    if (!parse_num(e, c1, &a, ua, sizeof ua, &da) ||
        !parse_num(e + c1 + 1, c2 - c1 - 1, &b, ub, sizeof ub, &db) ||
        !parse_num(e + c2 + 1, len - c2 - 1, &step, us, sizeof us, &ds))
        return verr(c, el, EXPECT);
    if (strcmp(ua, ub) != 0 || (us[0] && strcmp(us, ua) != 0))
        return verr(c, el, "the range's numbers have different units ('%s', '%s', '%s'); "
                    "write all three in one unit, e.g. 30%%:70%%:20%% or 5min:15min:5min",
                    ua, ub, us);
    if (step == 0)
        return verr(c, el, "the range's step is 0; expected a step above 0 (or below 0 "
                    "to count down), e.g. 4:12:2");
    double q = (b - a) / step;
    if (q < -1e-9)
        return verr(c, el, step > 0
                    ? "the range is empty: FROM is above TO with a positive step; expected "
                      "FROM <= TO, or a negative step to count down"
                    : "the range is empty: FROM is below TO with a negative step; expected "
                      "FROM >= TO, or a positive step to count up");
    if (q + 1 > BF_SWEEP_MAX_VALUES)
        return verr(c, el, "the range has %.0f values; a sweep varies a key over at "
                    "most %d values", floor(q + 1e-9) + 1, BF_SWEEP_MAX_VALUES);
    long n = (long)floor(q + 1e-9) + 1;
    int dec = da < 0 || db < 0 || ds < 0 ? -1 : (da > db ? da : db) > ds ? (da > db ? da : db) : ds;
    for (long i = 0; i < n; i++) {
        char out[96];
        format_num(a + (double)i * step, dec, ua, out, sizeof out);
        bf_status st = add_value(c, out, strlen(out));
        if (st != BF_OK)
            return st;
    }
    return BF_OK;
}

/* One element of the list: a quoted literal, a range or a literal. */
static bf_status add_element(vctx *c, const char *e, size_t len)
{
    while (len && isspace((unsigned char)*e))
        e++, len--;
    while (len && isspace((unsigned char)e[len - 1]))
        len--;
    if (len == 0)
        return verr(c, NULL, "an empty value in the list; expected values separated "
                    "by commas, e.g. 4,6,8 or a range 4:12:2");
    if (len >= 2 && e[0] == '"' && e[len - 1] == '"')
        return len == 2 ? verr(c, "\"\"", "an empty quoted value; expected a value")
                        : add_value(c, e + 1, len - 2);
    size_t colon[3];
    int n_colon = 0, depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (e[i] == '(')
            depth++;
        else if (e[i] == ')')
            depth--;
        else if (e[i] == ':' && depth == 0 && n_colon < 3)
            colon[n_colon++] = i;
    }
    if (n_colon == 2)
        return add_range(c, e, len, colon[0], colon[1]);
    return add_value(c, e, len);
}

bf_status bf_vary_parse(const char *arg, const char *origin, int line,
                        bf_vary *out, bf_error *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->origin, sizeof out->origin, "%s", origin ? origin : "--vary");
    out->line = line;
    bf_error_clear(err);
    vctx c = {.v = out, .err = err, .key_typed = ""};
    const char *eq = strchr(arg, '=');
    if (!eq)
        return verr(&c, arg, "expected KEY=VALUES, e.g. stations.fl_check.servers=4:12:2 "
                    "or classes.researcher.whitelisted=30%%,50%%,70%%");
    char typed[256];
    size_t kl = (size_t)(eq - arg);
    while (kl && isspace((unsigned char)arg[kl - 1]))
        kl--;
    const char *k0 = arg;
    while (kl && isspace((unsigned char)*k0))
        k0++, kl--;
    if (kl >= sizeof typed)
        return verr(&c, NULL, "the key is too long");
    memcpy(typed, k0, kl);
    typed[kl] = 0;
    c.key_typed = typed;
    char canon[256];
    if (!bf_key_canonical(typed, canon, sizeof canon))
        return verr(&c, eq + 1, "expected a scenario key SECTION.NAME.KEY or "
                    "simulation.KEY before '=', e.g. stations.fl_check.servers, as for --set");
    out->key = bf_strdup(canon);
    if (!out->key)
        return bf_error_set(err, BF_ENOMEM, "out of memory");

    /* Split at commas outside parentheses and double quotes. */
    const char *spec = eq + 1;
    int depth = 0;
    bool quoted = false;
    const char *start = spec;
    for (const char *p = spec;; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '(')
            depth++;
        else if (!quoted && *p == ')')
            depth--;
        if (*p == 0 || (*p == ',' && depth <= 0 && !quoted)) {
            if (*p == 0 && quoted)
                return verr(&c, spec, "a double quote is not closed; expected \"VALUE\"");
            /* "4," or a lone value: an empty last element is an error too,
             * but an entirely empty SPEC gets its own message. */
            if (*p == 0 && p == spec)
                return verr(&c, "", "no values; expected values separated by commas, "
                            "e.g. 4,6,8, or a range FROM:TO:STEP, e.g. 4:12:2");
            bf_status st = add_element(&c, start, (size_t)(p - start));
            if (st != BF_OK)
                return st;
            if (*p == 0)
                break;
            start = p + 1;
        }
    }
    return BF_OK;
}

/* ---- the [sweep] section of a scenario file -------------------------------- */

/* Reads path whole.  false if it cannot (the loader then says why). */
static bool read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 14, n = 0;
    char *buf = bf_malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (n + 1 >= cap) {
            if (cap >= (64u << 20)) {
                ok = false;
                break;
            }
            char *nb = bf_realloc(buf, cap * 2);
            if (!nb) {
                ok = false;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) {
            ok = !ferror(f);
            break;
        }
    }
    fclose(f);
    if (!ok) {
        bf_free(buf);
        return false;
    }
    buf[n] = 0;
    *text = buf;
    *len = n;
    return true;
}

/* The section name of a header line "[ name ]", or NULL. */
static bool header_name(const char *line, size_t len, char *name, size_t nlen)
{
    while (len && isspace((unsigned char)*line))
        line++, len--;
    if (!len || *line != '[')
        return false;
    const char *close = memchr(line, ']', len);
    if (!close)
        return false;
    const char *a = line + 1, *b = close;
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    snprintf(name, nlen, "%.*s", (int)(b - a), a);
    return true;
}

typedef struct sweep_line {
    char *text; /* "key = value", continuation lines joined */
    int line;
} sweep_line;

bf_status bf_sweep_scenario_load(const char *path, const char *const *sets,
                                 size_t n_sets, bf_scenario **out,
                                 bf_vary **varies, size_t *n_varies,
                                 bf_error *err)
{
    *out = NULL;
    if (varies) {
        *varies = NULL;
        *n_varies = 0;
    }
    char *orig = NULL;
    size_t len = 0;
    /* Anything unusual about the file (missing, unreadable, huge) is
     * the loader's to report, in its words. */
    if (!read_file(path, &orig, &len) || !strstr(orig, "sweep")) {
        bf_free(orig);
        return bf_scenario_load(path, sets, n_sets, out, err);
    }
    char *text = bf_malloc(len + 1);
    sweep_line *lines = NULL;
    size_t n_lines = 0, cap_lines = 0;
    bf_vary *vs = NULL;
    size_t n_vs = 0;
    bf_status st = BF_OK;
    if (!text) {
        st = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }

    /* Copy the text, leaving the lines of [sweep] sections empty. */
    size_t w = 0;
    bool in_sweep = false, found = false;
    int lineno = 0;
    for (size_t i = 0; i < len;) {
        const char *ln = orig + i;
        const char *nl = memchr(ln, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - ln) : len - i;
        size_t next = i + ll + (nl ? 1 : 0);
        lineno++;
        char name[64];
        bool is_header = header_name(ln, ll, name, sizeof name);
        if (is_header) {
            in_sweep = strcmp(name, "sweep") == 0;
            found |= in_sweep;
        } else if (in_sweep) {
            size_t k = 0;
            while (k < ll && isspace((unsigned char)ln[k]))
                k++;
            bool blank = k == ll || ln[k] == ';' || ln[k] == '#' || ln[k] == '\r';
            if (!blank) {
                /* Cut an inline comment: ';' after white space, outside
                 * quotes (inih's rule). */
                size_t e = ll;
                bool q = false;
                for (size_t j = k; j < ll; j++) {
                    if (ln[j] == '"')
                        q = !q;
                    if (!q && ln[j] == ';' && j > 0 && isspace((unsigned char)ln[j - 1])) {
                        e = j;
                        break;
                    }
                }
                while (e > k && isspace((unsigned char)ln[e - 1]))
                    e--;
                if (k > 0 && n_lines > 0) {
                    /* An indented line continues the value above. */
                    sweep_line *sl = &lines[n_lines - 1];
                    size_t ol = strlen(sl->text);
                    char *nt = bf_realloc(sl->text, ol + (e - k) + 2);
                    if (!nt) {
                        st = bf_error_set(err, BF_ENOMEM, "out of memory");
                        goto done;
                    }
                    nt[ol] = ' ';
                    memcpy(nt + ol + 1, ln + k, e - k);
                    nt[ol + 1 + (e - k)] = 0;
                    sl->text = nt;
                } else {
                    if (n_lines == cap_lines) {
                        size_t nc = cap_lines ? 2 * cap_lines : 8;
                        sweep_line *nl2 = bf_realloc(lines, nc * sizeof *nl2);
                        if (!nl2) {
                            st = bf_error_set(err, BF_ENOMEM, "out of memory");
                            goto done;
                        }
                        lines = nl2;
                        cap_lines = nc;
                    }
                    char *t = bf_malloc(e - k + 1);
                    if (!t) {
                        st = bf_error_set(err, BF_ENOMEM, "out of memory");
                        goto done;
                    }
                    memcpy(t, ln + k, e - k);
                    t[e - k] = 0;
                    lines[n_lines++] = (sweep_line){t, lineno};
                }
            }
        }
        if (!in_sweep) {
            memcpy(text + w, ln, ll);
            w += ll;
        }
        if (nl)
            text[w++] = '\n';
        i = next;
    }
    text[w] = 0;
    if (!found) {
        bf_free(text);
        text = NULL;
        bf_free(orig);
        orig = NULL;
        st = bf_scenario_load(path, sets, n_sets, out, err);
        goto done;
    }

    /* The section's lines, in file order. */
    if (n_lines) {
        vs = bf_calloc(n_lines, sizeof *vs);
        if (!vs) {
            st = bf_error_set(err, BF_ENOMEM, "out of memory");
            goto done;
        }
    }
    for (size_t i = 0; i < n_lines; i++) {
        if (!strchr(lines[i].text, '=')) {
            bf_error_clear(err);
            bf_error_at(err, path, lines[i].line, "sweep", NULL, lines[i].text);
            st = bf_error_set(err, BF_EINVAL,
                              "expected KEY = VALUES, e.g. stations.fl_check.servers = 4:12:2");
            goto done;
        }
        st = bf_vary_parse(lines[i].text, path, lines[i].line, &vs[n_vs], err);
        n_vs++;
        if (st != BF_OK)
            goto done;
        for (size_t j = 0; j + 1 < n_vs; j++)
            if (strcmp(vs[j].key, vs[n_vs - 1].key) == 0) {
                bf_error_clear(err);
                bf_error_at(err, path, lines[i].line, "sweep", vs[n_vs - 1].key, NULL);
                st = bf_error_set(err, BF_EINVAL,
                                  "key given twice in [sweep] (first on line %d); expected "
                                  "each varied key once", vs[j].line);
                goto done;
            }
    }

    bf_scenario *sc = NULL;
    st = bf_scenario_parse(text, w, path, sets, n_sets, &sc, err);
    if (st != BF_OK)
        goto done;
    /* The stored text is the file as it is, [sweep] included. */
    bf_free(sc->text);
    sc->text = orig;
    orig = NULL;
    *out = sc;
    if (varies) {
        *varies = vs;
        *n_varies = n_vs;
        vs = NULL;
        n_vs = 0;
    }

done:
    for (size_t i = 0; i < n_vs; i++)
        bf_vary_fini(&vs[i]);
    bf_free(vs);
    for (size_t i = 0; i < n_lines; i++)
        bf_free(lines[i].text);
    bf_free(lines);
    bf_free(text);
    bf_free(orig);
    return st;
}
