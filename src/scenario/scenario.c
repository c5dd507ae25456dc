/*
 * scenario.c - INI text -> bf_model.
 *
 * inih does the INI syntax (sections, key = value, comments, continuation
 * lines).  Everything else is here: line numbers (inih's handler does not
 * get them in Debian's build, so our line reader counts the lines it hands
 * to inih), the rejection of binary data and of lines longer than inih's
 * buffer (inih would otherwise silently split them), overrides, the
 * schema of known sections and keys, and value parsing.
 *
 * Entries are first collected as text, overrides applied, and only then
 * interpreted, so that an override and a file value go through exactly
 * the same checks and sections may appear in any order.
 */
#include "borderflow/scenario.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderflow/dist.h"
#include "borderflow/units.h"

/* Files larger than this are refused outright: no scenario needs it and
 * it keeps a mistaken path (a log, a database) from eating memory. */
#define MAX_FILE_BYTES (64u << 20)

typedef struct entry {
    char *section; /* "station fl_check" */
    char *key;
    char *value;
    const char *origin; /* file path or "--set" (borrowed) */
    int line;
    int section_line; /* line of the [section] header, 0 if unknown */
} entry;

typedef struct loader {
    const char *name; /* display name of the file */
    const char *text;
    size_t len, pos;
    int line;             /* line last handed to inih */
    const char *line_start;
    entry *e;
    size_t n, cap;
    bf_error *err;
    bf_status st;
    int last_entry; /* index of the entry the previous line set, for continuations */
    bool by_hour_set; /* [simulation] by_hour given */
    int header_line; /* line of the last [section] header seen */
    struct header {
        char *name; /* text between the brackets, trimmed */
        int line;
        const char *origin; /* file it is in (borrowed) */
    } *headers;
    size_t n_headers, cap_headers;
    struct profile {
        const char *name; /* borrowed from the entries */
        double hourly[24];
        double weekly[7];
        bool has_hourly, has_weekly;
    } *profiles;
    size_t n_profiles;
    bool *poisson; /* per class: arrivals given as poisson(...) */
    char *dir;     /* directory of the scenario file, for relative paths */
    /* Base scenarios read through [simulation] base = FILE: their paths
     * (the origins of their entries) and texts, freed with the loader. */
    struct base {
        char *path;
        char *text;
    } *bases;
    size_t n_bases;
} loader;

/* inih keeps at most this many characters of a section name (its
 * MAX_SECTION is 50, with the terminating NUL) and silently drops the
 * rest; we refuse longer headers instead. */
#define INIH_MAX_SECTION 49

static bf_status fail_at(loader *L, const char *origin, int line, const char *section,
                         const char *key, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static bf_status fail_at(loader *L, const char *origin, int line, const char *section,
                         const char *key, const char *value, const char *fmt, ...)
{
    if (L->st != BF_OK)
        return L->st;
    L->st = BF_EINVAL;
    if (L->err) {
        bf_error_clear(L->err);
        bf_error_at(L->err, origin, line, section, key, value);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err->msg, sizeof L->err->msg, fmt, ap);
        va_end(ap);
        L->err->code = BF_EINVAL;
    }
    return BF_EINVAL;
}

static bf_status oom(loader *L)
{
    if (L->st == BF_OK) {
        L->st = BF_ENOMEM;
        bf_error_set(L->err, BF_ENOMEM, "out of memory while reading the scenario");
    }
    return L->st;
}

/* ---- stage 1: lines for inih ---------------------------------------- */

static bf_status note_header(loader *L, const char *name, size_t len)
{
    while (len && (*name == ' ' || *name == '\t')) {
        name++;
        len--;
    }
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    if (len == 0)
        return fail_at(L, L->name, L->line, "", NULL, NULL,
                       "empty section header []; expected [simulation], [class NAME], "
                       "[station NAME] or [delay NAME]");
    if (len == 5 && strncmp(name, "sweep", 5) == 0)
        return BF_OK; /* the sweep runner's section, see handler() */
    if (len > INIH_MAX_SECTION)
        return fail_at(L, L->name, L->line, NULL, NULL, NULL,
                       "section header is %zu characters long, too long: at most %d; "
                       "use a shorter name", len, INIH_MAX_SECTION);
    if (L->n_headers == L->cap_headers) {
        size_t cap = L->cap_headers ? 2 * L->cap_headers : 16;
        struct header *h = bf_realloc(L->headers, cap * sizeof *h);
        if (!h)
            return oom(L);
        L->headers = h;
        L->cap_headers = cap;
    }
    char *copy = bf_malloc(len + 1);
    if (!copy)
        return oom(L);
    memcpy(copy, name, len);
    copy[len] = 0;
    L->headers[L->n_headers++] = (struct header){copy, L->line, L->name};
    return BF_OK;
}

/* True if the raw text of the current line holds an inline comment (' ;'
 * or tab ';') that inih has cut off the value. */
static bool line_has_inline_comment(const loader *L)
{
    /* Bounded by the text's length: text from memory need not end in NUL. */
    const char *end = L->text + L->len;
    for (const char *p = L->line_start; p < end && *p && *p != '\n'; p++)
        if (*p == ';' && p > L->line_start && (p[-1] == ' ' || p[-1] == '\t'))
            return true;
    return false;
}

static int paren_balance(const char *s)
{
    int depth = 0;
    for (; *s; s++)
        depth += (*s == '(') - (*s == ')');
    return depth;
}

static char *reader(char *str, int num, void *stream)
{
    loader *L = stream;
    if (L->st != BF_OK || L->pos >= L->len)
        return NULL;
    const char *p = L->text + L->pos;
    const char *nl = memchr(p, '\n', L->len - L->pos);
    size_t n = nl ? (size_t)(nl - p) + 1 : L->len - L->pos;
    L->line++;
    L->line_start = p;
    if (memchr(p, '\0', n)) {
        fail_at(L, L->name, L->line, NULL, NULL, NULL,
                "the file contains binary data (a NUL byte); a scenario is a text file");
        return NULL;
    }
    if (n + 1 > (size_t)num) {
        fail_at(L, L->name, L->line, NULL, NULL, NULL,
                "line is %zu characters long; lines may have at most %d. Split a long "
                "value over indented continuation lines",
                n - (nl ? 1 : 0), num - 2);
        return NULL;
    }
    memcpy(str, p, n);
    str[n] = 0;
    L->pos += n;
    /* inih does not tell the handler where a section started, nor about
     * sections without keys; remember every header so section errors can
     * point at them and empty sections are still checked. */
    const char *q = str;
    while (*q == ' ' || *q == '\t')
        q++;
    if (*q == '[') {
        L->header_line = L->line;
        const char *close = strchr(q, ']');
        if (close && note_header(L, q + 1, (size_t)(close - q - 1)) != BF_OK)
            return NULL;
    }
    return str;
}

static char *xstrdup(loader *L, const char *s)
{
    char *d = bf_strdup(s);
    if (!d)
        oom(L);
    return d;
}

static entry *find_entry(loader *L, const char *section, const char *key)
{
    for (size_t i = 0; i < L->n; i++)
        if (strcmp(L->e[i].section, section) == 0 && strcmp(L->e[i].key, key) == 0)
            return &L->e[i];
    return NULL;
}

static bf_status add_entry(loader *L, const char *section, const char *key, const char *value,
                           const char *origin, int line)
{
    if (L->n == L->cap) {
        size_t cap = L->cap ? 2 * L->cap : 32;
        entry *e = bf_realloc(L->e, cap * sizeof *e);
        if (!e)
            return oom(L);
        L->e = e;
        L->cap = cap;
    }
    entry *e = &L->e[L->n];
    e->section = xstrdup(L, section);
    e->key = xstrdup(L, key);
    e->value = xstrdup(L, value);
    e->origin = origin;
    e->line = line;
    e->section_line = line ? L->header_line : 0;
    if (!e->section || !e->key || !e->value) {
        bf_free(e->section);
        bf_free(e->key);
        bf_free(e->value);
        return oom(L);
    }
    L->n++;
    return BF_OK;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    loader *L = user;
    if (L->st != BF_OK)
        return 0;
    /* [sweep] belongs to the sweep runner (see sweep.h), not to the model. */
    if (strcmp(section, "sweep") == 0)
        return 1;
    if (!section[0]) {
        fail_at(L, L->name, L->line, NULL, name, value,
                "key outside any section; expected a [simulation], [class NAME], "
                "[station NAME] or [delay NAME] header above it");
        return 0;
    }
    /* inih ends a value at ' ;' (an inline comment).  Inside a route's
     * branch(...) that cuts the value short; say so rather than report
     * the missing ')' it leaves. */
    if (paren_balance(value) > 0 && line_has_inline_comment(L)) {
        fail_at(L, L->name, L->line, section, name, value,
                "a ';' after a blank starts a comment, which cut this value short; "
                "write branch choices as 'branch(25%%: a; 75%%: b)' with no blank before ';'");
        return 0;
    }
    if (strcmp(name, "title") != 0 && strcmp(name, "description") != 0 &&
        (strstr(value, " #") || strstr(value, "\t#"))) {
        fail_at(L, L->name, L->line, section, name, value,
                "'#' starts a comment only at the beginning of a line; for a comment after "
                "a value write ' ; comment'");
        return 0;
    }
    /* A continuation line (indented, same key as the line before) appends
     * to the value; the same key again on its own line is a mistake. */
    bool continuation = (L->line_start[0] == ' ' || L->line_start[0] == '\t') &&
                        L->last_entry >= 0 &&
                        strcmp(L->e[L->last_entry].section, section) == 0 &&
                        strcmp(L->e[L->last_entry].key, name) == 0;
    if (continuation) {
        entry *e = &L->e[L->last_entry];
        size_t a = strlen(e->value), b = strlen(value);
        char *v = bf_realloc(e->value, a + b + 2);
        if (!v) {
            oom(L);
            return 0;
        }
        v[a] = ' ';
        memcpy(v + a + 1, value, b + 1);
        e->value = v;
        return 1;
    }
    entry *dup = find_entry(L, section, name);
    if (dup) {
        fail_at(L, L->name, L->line, section, name, value,
                "key given twice in this section (first on line %d); expected each key once",
                dup->line);
        return 0;
    }
    if (add_entry(L, section, name, value, L->name, L->line) != BF_OK)
        return 0;
    L->last_entry = (int)L->n - 1;
    return 1;
}

/* ---- stage 2: overrides --------------------------------------------- */

static const char *const section_types[] = {"simulation", "class", "station", "delay",
                                             "profile", "initial", "rule"};
#define N_SECTION_TYPES 7
enum { T_SIM, T_CLASS, T_STATION, T_DELAY, T_PROFILE, T_INITIAL, T_RULE };

/* Sections that take no name. */
static bool unnamed_type(const char *type)
{
    return strcmp(type, "simulation") == 0 || strcmp(type, "initial") == 0;
}

static bool is_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

/* "station.fl_check.servers=8" (also "stations.", "classes.", "delays.")
 * or "simulation.seed=7".  The per-class keys keep their dot:
 * "station.fl_check.service.researcher=exp(1min)". */
/* servers, channels and schedule say the same thing three ways: when an
 * override (or a variant over its base) gives one, the others given
 * elsewhere (not by `origin`) are dropped. */
static void drop_rivals(loader *L, const char *section, const char *key, const char *origin)
{
    static const char *const staffing[] = {"servers", "channels", "schedule"};
    bool is_staffing = false;
    for (int i = 0; i < 3; i++)
        is_staffing |= strcmp(key, staffing[i]) == 0;
    if (!is_staffing)
        return;
    for (int k = 0; k < 3; k++) {
        if (!strcmp(key, staffing[k]))
            continue;
        entry *rival = find_entry(L, section, staffing[k]);
        if (!rival || !strcmp(rival->origin, origin))
            continue;
        size_t i = (size_t)(rival - L->e);
        bf_free(rival->section);
        bf_free(rival->key);
        bf_free(rival->value);
        memmove(&L->e[i], &L->e[i + 1], (L->n - i - 1) * sizeof *L->e);
        L->n--;
    }
}

static bool section_defined(const loader *L, const char *section)
{
    for (size_t i = 0; i < L->n_headers; i++)
        if (strcmp(L->headers[i].name, section) == 0)
            return true;
    return false;
}

static bf_status apply_override(loader *L, const char *set)
{
    const char *eq = strchr(set, '=');
    if (!eq)
        return fail_at(L, "--set", 0, NULL, set, NULL,
                       "expected SECTION.KEY=VALUE, e.g. station.fl_check.servers=8 or "
                       "simulation.seed=7");
    char path[512];
    size_t plen = (size_t)(eq - set);
    if (plen >= sizeof path)
        return fail_at(L, "--set", 0, NULL, NULL, set, "override key too long");
    memcpy(path, set, plen);
    path[plen] = 0;
    while (plen && (path[plen - 1] == ' ' || path[plen - 1] == '\t'))
        path[--plen] = 0;
    const char *value = eq + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (strcmp(path, "simulation.base") == 0)
        return fail_at(L, "--set", 0, NULL, path, value,
                       "base can only be given in the scenario file; write a small variant "
                       "file with [simulation] base = ... instead");
    /* Errors quote the whole key as typed, so that with several --set
     * options the user sees which one is wrong. */
    if (plen == 0)
        return fail_at(L, "--set", 0, NULL, "", value,
                       "expected SECTION.KEY=VALUE, e.g. station.fl_check.servers=8");
    char type[512];
    memcpy(type, path, plen + 1);
    char *dot = strchr(type, '.');
    if (!dot)
        return fail_at(L, "--set", 0, NULL, path, value,
                       "expected SECTION.KEY=VALUE, e.g. station.fl_check.servers=8");
    *dot = 0;
    size_t tl = strlen(type);
    /* Accept the plural spelling used in sweeps ("stations.x.servers"). */
    if (strcmp(type, "classes") == 0)
        type[tl - 2] = 0;
    else if (tl > 1 && type[tl - 1] == 's' && strcmp(type, "class") != 0)
        type[tl - 1] = 0;
    char section[sizeof path + 2];
    const char *key;
    if (unnamed_type(type)) {
        snprintf(section, sizeof section, "%s", type);
        key = dot + 1;
    } else {
        bool known = false;
        for (int i = 1; i < N_SECTION_TYPES; i++)
            known |= strcmp(type, section_types[i]) == 0 && !unnamed_type(type);
        if (!known) {
            const char *best = bf_closest(type, section_types, N_SECTION_TYPES);
            return fail_at(L, "--set", 0, NULL, path, value,
                           "unknown section type '%s'; expected simulation, class, station, "
                           "delay, profile, initial or rule%s%s%s",
                           type, best ? " (did you mean '" : "", best ? best : "",
                           best ? "'?)" : "");
        }
        char *name = dot + 1;
        char *dot2 = strchr(name, '.');
        if (!dot2)
            return fail_at(L, "--set", 0, NULL, path, value,
                           "expected %s.NAME.KEY=VALUE, e.g. station.fl_check.servers=8", type);
        *dot2 = 0;
        snprintf(section, sizeof section, "%s %s", type, name);
        key = dot2 + 1;
        /* An override changes a section the scenario has; a typo in the
         * name must not quietly add a new, unused section. */
        if (!section_defined(L, section)) {
            const char *cands[256];
            size_t nc = 0;
            for (size_t i = 0; i < L->n_headers && nc < 256; i++)
                if (strncmp(L->headers[i].name, type, tl) == 0 && L->headers[i].name[strlen(type)] == ' ')
                    cands[nc++] = L->headers[i].name + strlen(type) + 1;
            const char *best = bf_closest(name, cands, nc);
            return fail_at(L, "--set", 0, NULL, path, value,
                           "the scenario has no [%s]%s%s%s", section,
                           best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
        }
    }
    if (!*key)
        return fail_at(L, "--set", 0, NULL, path, value, "missing key after the section");
    drop_rivals(L, section, key, "--set");
    entry *e = find_entry(L, section, key);
    if (e) {
        char *v = xstrdup(L, value);
        if (!v)
            return L->st;
        bf_free(e->value);
        e->value = v;
        e->origin = "--set";
        e->line = 0;
        return BF_OK;
    }
    return add_entry(L, section, key, value, "--set", 0);
}

/* ---- stage 3: schema and values ------------------------------------- */

typedef struct section_info {
    const char *header; /* as written, e.g. "station fl_check" */
    int type;           /* index into section_types */
    const char *name;   /* after the type word, "" for simulation */
} section_info;

static const char *const sim_keys[] = {"base", "title", "horizon", "warmup", "replications", "seed",
                                       "sample_every", "start", "start_day", "by_hour",
                                       "description", NULL};
static const char *const class_keys[] = {"arrivals", "profile", "whitelisted", "predeclared",
                                         "risk", "outbound", "priority", "route", "booked",
                                         "slot", "punctuality", "violation",
                                         "violation_whitelisted", "volume", "occupancy",
                                         "cargo", "description", NULL};
static const char *const station_keys[] = {"line", "servers", "channels", "schedule", "service",
                                           "discipline", "inspect", "capacity", "patience",
                                           "detection", "bandwidth", "per_occupant",
                                           "cargo_factor", "description", NULL};
static const char *const rule_keys[] = {"match", "at", "skip", "use", "service", "inspect",
                                        "priority", "precedence", "enabled", "description",
                                        NULL};
static const char *const delay_keys[] = {"time", "line", "description", NULL};
static const char *const profile_keys[] = {"hourly", "weekly", "description", NULL};
static const char *const no_keys[] = {NULL};

static const char *const *keys_of(int type)
{
    switch (type) {
    case T_SIM: return sim_keys;
    case T_CLASS: return class_keys;
    case T_STATION: return station_keys;
    case T_DELAY: return delay_keys;
    case T_PROFILE: return profile_keys;
    case T_RULE: return rule_keys;
    default: return no_keys;
    }
}

static bf_status entry_fail(loader *L, const entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bf_status entry_fail(loader *L, const entry *e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fail_at(L, e->origin, e->line, e->section, e->key, e->value, "%s", msg);
}

static bf_status parse_section_header(loader *L, const entry *e, section_info *out,
                                      char *name_buf, size_t name_len)
{
    const char *h = e->section;
    const char *sp = strchr(h, ' ');
    size_t tl = sp ? (size_t)(sp - h) : strlen(h);
    char type[64];
    if (tl >= sizeof type)
        tl = sizeof type - 1;
    memcpy(type, h, tl);
    type[tl] = 0;
    out->header = h;
    out->type = -1;
    for (int i = 0; i < N_SECTION_TYPES; i++)
        if (strcmp(type, section_types[i]) == 0)
            out->type = i;
    if (out->type < 0) {
        const char *best = bf_closest(type, section_types, N_SECTION_TYPES);
        return fail_at(L, e->origin, e->section_line, h, NULL, NULL,
                       "unknown section [%s]; expected [simulation], [class NAME], "
                       "[station NAME], [delay NAME], [profile NAME], [rule NAME] or "
                       "[initial]%s%s%s",
                       h, best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
    }
    const char *name = sp ? sp + 1 : "";
    while (*name == ' ')
        name++;
    if (out->type == T_SIM || out->type == T_INITIAL) {
        if (*name)
            return fail_at(L, e->origin, e->section_line, h, NULL, NULL,
                           "[%s] takes no name; write [%s]", type, type);
    } else if (!is_name(name)) {
        return fail_at(L, e->origin, e->section_line, h, NULL, NULL,
                       "[%s] needs a name made of letters, digits, '_' or '-', e.g. [%s fl_check]",
                       type, type);
    }
    snprintf(name_buf, name_len, "%s", name);
    out->name = name_buf;
    return BF_OK;
}

static const char *class_suggestion(const bf_model *m, const char *name)
{
    const char *cands[256];
    size_t nc = 0;
    for (size_t i = 0; i < m->n_classes && nc < 256; i++)
        cands[nc++] = m->classes[i].name;
    return bf_closest(name, cands, nc);
}

static const char *node_suggestion(const bf_model *m, const char *name)
{
    const char *cands[256];
    size_t nc = 0;
    for (size_t i = 0; i < m->n_nodes && nc < 256; i++)
        cands[nc++] = m->nodes[i].name;
    return bf_closest(name, cands, nc);
}

/* [initial] NODE.CLASS = COUNT */
static bf_status check_initial_key(loader *L, const entry *e, const bf_model *m)
{
    char node[128];
    const char *dot = strchr(e->key, '.');
    size_t n = dot ? (size_t)(dot - e->key) : 0;
    if (!dot || n == 0 || n >= sizeof node || !dot[1])
        return entry_fail(L, e, "expected NODE.CLASS = COUNT, e.g. fl_check.researcher = 40");
    memcpy(node, e->key, n);
    node[n] = 0;
    if (bf_model_find_node(m, node) < 0) {
        const char *best = node_suggestion(m, node);
        return entry_fail(L, e, "'%s' is not a defined station or delay%s%s%s", node,
                          best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
    }
    if (bf_model_find_class(m, dot + 1) < 0) {
        const char *best = class_suggestion(m, dot + 1);
        return entry_fail(L, e, "'%s' is not a defined class%s%s%s", dot + 1,
                          best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
    }
    return BF_OK;
}

static bf_status check_key(loader *L, const entry *e, int type, const bf_model *m)
{
    if (type == T_INITIAL)
        return check_initial_key(L, e, m);
    const char *const *keys = keys_of(type);
    const char *base = e->key;
    char head[128];
    const char *dot = strchr(e->key, '.');
    if (dot) {
        /* Per-class variants: service.<class> (stations), time.<class>
         * (delays). */
        size_t n = (size_t)(dot - e->key);
        if (n >= sizeof head)
            n = sizeof head - 1;
        memcpy(head, e->key, n);
        head[n] = 0;
        base = head;
        bool per_class = (type == 2 && strcmp(head, "service") == 0) ||
                         (type == 3 && strcmp(head, "time") == 0);
        if (!per_class)
            return entry_fail(L, e, "unknown key '%s'; only service.CLASS (stations) and "
                              "time.CLASS (delays) take a class suffix", e->key);
        if (bf_model_find_class(m, dot + 1) < 0) {
            const char *cands[256];
            size_t nc = 0;
            for (size_t i = 0; i < m->n_classes && nc < 256; i++)
                cands[nc++] = m->classes[i].name;
            const char *best = bf_closest(dot + 1, cands, nc);
            return entry_fail(L, e, "'%s' is not a defined class%s%s%s", dot + 1,
                              best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
        }
        return BF_OK;
    }
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], base) == 0)
            return BF_OK;
    size_t nk = 0;
    while (keys[nk])
        nk++;
    const char *best = bf_closest(base, keys, nk);
    char list[256] = "";
    for (size_t i = 0; keys[i]; i++) {
        strncat(list, keys[i], sizeof list - strlen(list) - 1);
        if (keys[i + 1])
            strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    if (best)
        return entry_fail(L, e, "unknown key '%s'; did you mean '%s'? (valid keys: %s)",
                          e->key, best, list);
    return entry_fail(L, e, "unknown key '%s'; valid keys here: %s", e->key, list);
}

static bf_status value_duration(loader *L, const entry *e, double *out)
{
    char why[256];
    if (bf_parse_duration(e->value, out, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "%s", why);
    return BF_OK;
}

static bf_status value_share(loader *L, const entry *e, double *out)
{
    char why[256];
    if (bf_parse_share(e->value, out, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "%s", why);
    return BF_OK;
}

static bf_status value_int(loader *L, const entry *e, long long lo, long long hi, long long *out)
{
    char why[256];
    if (bf_parse_int(e->value, lo, hi, out, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "%s", why);
    return BF_OK;
}

static bf_status value_dist(loader *L, const entry *e, bf_dist *out)
{
    char why[256];
    bf_status st = bf_dist_parse(e->value, BF_DIST_DURATION, out, why, sizeof why);
    if (st == BF_ENOMEM)
        return oom(L);
    if (st != BF_OK)
        return entry_fail(L, e, "%s", why);
    return BF_OK;
}

static const char *skip_blank(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* "07:30" or "07:30:15" -> seconds after midnight; "24:00" only if
 * allow_24.  Returns false if malformed or out of range. */
static bool parse_clock(const char *s, bool allow_24, double *out)
{
    int h, mi, sec = 0, n = 0;
    s = skip_blank(s);
    /* Two digits each: "7:5" is more likely a typo than 07:05. */
    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
          s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9'))
        return false;
    if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) != 2)
        return false;
    const char *rest = s + n;
    if (*rest == ':') {
        int n2 = 0;
        if (sscanf(rest, ":%2d%n", &sec, &n2) != 1)
            return false;
        rest += n2;
    }
    if (*skip_blank(rest))
        return false;
    if (h < 0 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return false;
    if (h > 24 || (h == 24 && (!allow_24 || mi || sec)) )
        return false;
    *out = h * 3600.0 + mi * 60.0 + sec;
    return true;
}

static bf_status value_bool(loader *L, const entry *e, bool *out)
{
    const char *v = e->value;
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on"))
        *out = true;
    else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off"))
        *out = false;
    else
        return entry_fail(L, e, "expected yes or no");
    return BF_OK;
}

/* Up to max non-negative numbers separated by blanks or commas; exactly
 * want of them. */
static bf_status value_numbers(loader *L, const entry *e, double *out, int want,
                               const char *what)
{
    const char *p = e->value;
    int n = 0;
    double sum = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *tok = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ',')
            p++;
        char buf[64];
        size_t len = (size_t)(p - tok);
        if (len >= sizeof buf)
            return entry_fail(L, e, "value %d is too long; expected a number", n + 1);
        memcpy(buf, tok, len);
        buf[len] = 0;
        double v;
        char why[200];
        if (bf_parse_number(buf, &v, why, sizeof why) != BF_OK)
            return entry_fail(L, e, "value %d ('%s'): %s", n + 1, buf, why);
        if (v < 0)
            return entry_fail(L, e, "value %d is %s; %s multipliers must be >= 0", n + 1, buf, what);
        if (n < want)
            out[n] = v;
        sum += v;
        n++;
    }
    if (n != want)
        return entry_fail(L, e, "%d values; expected %d %s multipliers%s", n, want, what,
                          want == 24 ? " (one per hour, from 00:00-01:00)"
                                     : " (Monday to Sunday)");
    if (!(sum > 0))
        return entry_fail(L, e, "all %s multipliers are 0; expected at least one > 0", what);
    return BF_OK;
}

/* schedule = 00:00-07:00 2, 07:00-19:00 6, 19:00-24:00 3 */
static bf_status value_schedule(loader *L, const entry *e, bf_node *nd)
{
    enum { MAX_SHIFTS = 96 };
    double start[MAX_SHIFTS], end[MAX_SHIFTS];
    uint32_t servers[MAX_SHIFTS];
    int n = 0;
    const char *p = e->value;
    const char *expect = "expected shifts such as '00:00-07:00 2, 07:00-19:00 6, 19:00-24:00 3' "
                         "covering the whole day";
    while (*skip_blank(p)) {
        p = skip_blank(p);
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[96];
        if (len >= sizeof item || n == MAX_SHIFTS)
            return entry_fail(L, e, "%s", expect);
        memcpy(item, p, len);
        item[len] = 0;
        char *dash = strchr(item, '-');
        char *sp = dash ? strpbrk(dash, " \t") : NULL;
        if (!dash || !sp)
            return entry_fail(L, e, "shift %d ('%s'): %s", n + 1, item, expect);
        *dash = 0;
        *sp = 0;
        long long c;
        char why[200];
        if (!parse_clock(item, false, &start[n]) || !parse_clock(dash + 1, true, &end[n]))
            return entry_fail(L, e, "shift %d: times must be HH:MM from 00:00 to 24:00", n + 1);
        if (bf_parse_int(sp + 1, 0, 100000, &c, why, sizeof why) != BF_OK)
            return entry_fail(L, e, "shift %d servers: %s", n + 1, why);
        if (end[n] == start[n])
            return entry_fail(L, e, "shift %d is empty (it starts and ends at the same time)",
                              n + 1);
        if (!(end[n] > start[n]))
            return entry_fail(L, e, "shift %d ends before it starts", n + 1);
        servers[n] = (uint32_t)c;
        n++;
        p = comma ? comma + 1 : p + len;
    }
    if (n == 0)
        return entry_fail(L, e, "empty schedule; %s", expect);
    /* Sort by start (insertion sort: a handful of shifts), then require
     * that they tile the day. */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && start[j] < start[j - 1]; j--) {
            double t = start[j]; start[j] = start[j - 1]; start[j - 1] = t;
            t = end[j]; end[j] = end[j - 1]; end[j - 1] = t;
            uint32_t u = servers[j]; servers[j] = servers[j - 1]; servers[j - 1] = u;
        }
    double at = 0.0;
    for (int i = 0; i < n; i++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%02d:%02d", (int)(at / 3600), (int)fmod(at / 60, 60));
        snprintf(b, sizeof b, "%02d:%02d", (int)(start[i] / 3600), (int)fmod(start[i] / 60, 60));
        if (start[i] > at)
            return entry_fail(L, e, "the schedule leaves %s-%s uncovered; shifts must cover "
                              "00:00-24:00 without gaps (0 servers = closed)", a, b);
        if (start[i] < at)
            return entry_fail(L, e, "shifts overlap at %s; each time of day must belong to "
                              "exactly one shift", b);
        at = end[i];
    }
    if (at < 86400.0) {
        char a[16];
        snprintf(a, sizeof a, "%02d:%02d", (int)(at / 3600), (int)fmod(at / 60, 60));
        return entry_fail(L, e, "the schedule leaves %s-24:00 uncovered; shifts must cover "
                          "00:00-24:00 without gaps (0 servers = closed)", a);
    }
    double *ss = bf_malloc((size_t)n * sizeof *ss);
    uint32_t *sv = bf_malloc((size_t)n * sizeof *sv);
    if (!ss || !sv) {
        bf_free(ss);
        bf_free(sv);
        return oom(L);
    }
    uint32_t mx = 0;
    for (int i = 0; i < n; i++) {
        ss[i] = start[i];
        sv[i] = servers[i];
        if (servers[i] > mx)
            mx = servers[i];
    }
    if (mx == 0) {
        bf_free(ss);
        bf_free(sv);
        return entry_fail(L, e, "the station is never open (0 servers in every shift)");
    }
    bf_free(nd->shift_start);
    bf_free(nd->shift_servers);
    nd->shift_start = ss;
    nd->shift_servers = sv;
    nd->n_shifts = (size_t)n;
    nd->servers = mx;
    return BF_OK;
}

/* Reads a trace of arrival times: CSV, one arrival per line, sorted.
 * Column 1: time since the start (a number of seconds, or a duration
 * with a unit such as 12.5min).  Optional columns 2-4: whitelisted and
 * predeclared (0/1, empty = draw) and risk (low/medium/high, empty =
 * draw).  Lines starting with # and a first line starting with a letter
 * (a header) are skipped. */
static bf_status read_trace(loader *L, const entry *e, const char *file, bf_class *c)
{
    char path[1024];
    if (file[0] == '/' || !L->dir)
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/%s", L->dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return entry_fail(L, e, "cannot open the trace file %s: %s", path, strerror(errno));
    double *times = NULL;
    int8_t *attrs = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    long lineno = 0;
    bool any_attr = false, seen_data = false;
    int col[4] = {0, 1, 2, 3}; /* column of time, whitelisted, predeclared, risk */
    bool col_from_header = false;
    int n_header_cols = 4;
    bf_status st = BF_OK;
    double last = -1;
    ssize_t got;
    while ((got = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        if (memchr(line, '\0', (size_t)got)) {
            st = entry_fail(L, e, "%s:%ld: binary data; a trace is a CSV text file", path, lineno);
            break;
        }
        line[strcspn(line, "\r\n")] = 0;
        const char *t = skip_blank(line);
        if (!*t || *t == '#')
            continue;
        char *fields[8] = {NULL};
        int nf = 0;
        char *q = line;
        while (nf < 8) {
            fields[nf++] = q;
            char *comma = strchr(q, ',');
            if (!comma)
                break;
            *comma = 0;
            q = comma + 1;
        }
        /* A header: the first line that is not a comment, if it starts
         * with a letter.  Its names say which column holds what. */
        if (!seen_data && ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))) {
            static const char *const names[4] = {"time", "whitelisted", "predeclared", "risk"};
            seen_data = true;
            for (int k = 0; k < 4; k++)
                col[k] = -1;
            for (int i = 0; i < nf && st == BF_OK; i++) {
                char *nm = (char *)skip_blank(fields[i]);
                size_t nl = strlen(nm);
                while (nl && (nm[nl - 1] == ' ' || nm[nl - 1] == '\t'))
                    nm[--nl] = 0;
                int which = -1;
                for (int k = 0; k < 4; k++)
                    if (strcmp(nm, names[k]) == 0)
                        which = k;
                if (which < 0)
                    st = entry_fail(L, e, "%s:%ld: unknown column '%.30s'; expected time, "
                                    "whitelisted, predeclared, risk", path, lineno, nm);
                else
                    col[which] = i;
            }
            if (st == BF_OK && col[0] < 0)
                st = entry_fail(L, e, "%s:%ld: the header has no 'time' column", path, lineno);
            col_from_header = true;
            n_header_cols = nf;
            if (st != BF_OK)
                break;
            continue;
        }
        if (nf > 4 || (col_from_header && nf > n_header_cols)) {
            st = entry_fail(L, e, "%s:%ld: %d columns; expected at most time, whitelisted, "
                            "predeclared, risk", path, lineno, nf);
            break;
        }
        seen_data = true;
        /* Reorder to time, whitelisted, predeclared, risk. */
        char *ordered[4];
        for (int k = 0; k < 4; k++)
            ordered[k] = col[k] >= 0 && col[k] < nf ? fields[col[k]] : (char *)"";
        for (int k = 0; k < 4; k++)
            fields[k] = ordered[k];
        nf = 4;
        double v;
        char why[200];
        if (bf_parse_number(fields[0], &v, why, sizeof why) != BF_OK &&
            bf_parse_duration(fields[0], &v, why, sizeof why) != BF_OK) {
            st = entry_fail(L, e, "%s:%ld: time '%.40s': expected seconds since the start or "
                            "a duration such as 12.5min", path, lineno, fields[0]);
            break;
        }
        if (v < 0) {
            st = entry_fail(L, e, "%s:%ld: negative time %.40s", path, lineno, fields[0]);
            break;
        }
        if (v < last) {
            st = entry_fail(L, e, "%s:%ld: time %.40s is earlier than the line before; "
                            "expected times in increasing order", path, lineno, fields[0]);
            break;
        }
        last = v;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            double *nt = bf_realloc(times, cap * sizeof *nt);
            if (nt)
                times = nt;
            int8_t *na = nt ? bf_realloc(attrs, 3 * cap) : NULL;
            if (!nt || !na) {
                st = oom(L);
                break;
            }
            attrs = na;
        }
        times[n] = v;
        for (int k = 0; k < 3; k++) {
            char *fv = k + 1 < nf ? (char *)skip_blank(fields[k + 1]) : (char *)"";
            size_t fl = strlen(fv);
            while (fl && (fv[fl - 1] == ' ' || fv[fl - 1] == '\t'))
                fv[--fl] = 0;
            int8_t a = -1;
            if (*fv) {
                if (k < 2 && (!strcmp(fv, "0") || !strcmp(fv, "1")))
                    a = (int8_t)(fv[0] - '0');
                else if (k == 2 && !strcmp(fv, "low"))
                    a = 0;
                else if (k == 2 && !strcmp(fv, "medium"))
                    a = 1;
                else if (k == 2 && !strcmp(fv, "high"))
                    a = 2;
                else {
                    st = entry_fail(L, e, "%s:%ld: column %d is '%.20s'; expected %s", path,
                                    lineno, k + 2, fv,
                                    k < 2 ? "0, 1 or empty" : "low, medium, high or empty");
                    break;
                }
                any_attr = true;
            }
            attrs[3 * n + (size_t)k] = a;
        }
        if (st != BF_OK)
            break;
        n++;
    }
    free(line);
    if (st == BF_OK && ferror(f))
        st = entry_fail(L, e, "cannot read the trace file %s: %s", path, strerror(errno));
    fclose(f);
    if (st == BF_OK && n == 0)
        st = entry_fail(L, e, "the trace file %s holds no arrival times", path);
    if (st != BF_OK) {
        bf_free(times);
        bf_free(attrs);
        return st;
    }
    if (!any_attr) {
        bf_free(attrs);
        attrs = NULL;
    }
    bf_free(c->trace_times);
    bf_free(c->trace_attrs);
    c->trace_times = times;
    c->trace_attrs = attrs;
    c->n_trace = n;
    c->arrival_kind = BF_ARR_TRACE;
    double span = times[n - 1] > 0 ? times[n - 1] : 1.0;
    c->rate = (double)n / span;
    return BF_OK;
}

/* "a=1, b=2" -> looks up key k; NULL if absent.  Writes into buf. */
static const char *arg_of(const char *args, const char *k, char *buf, size_t len)
{
    size_t kl = strlen(k);
    const char *p = args;
    while (*p) {
        p = skip_blank(p);
        const char *comma = strchr(p, ',');
        size_t il = comma ? (size_t)(comma - p) : strlen(p);
        if (il > kl && strncmp(p, k, kl) == 0 && *skip_blank(p + kl) == '=') {
            const char *v = skip_blank(skip_blank(p + kl) + 1);
            size_t vl = (size_t)(p + il - v);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= len) {
                /* Too long to be a valid value: hand back something no
                 * parser accepts rather than a silently cut one. */
                snprintf(buf, len, "(value too long)");
                return buf;
            }
            memcpy(buf, v, vl);
            buf[vl] = 0;
            return buf;
        }
        p = comma ? comma + 1 : p + il;
    }
    return NULL;
}

/* Every "key=" in args must be one of the allowed keys. */
static const char *unknown_arg(const char *args, const char *const *allowed)
{
    static _Thread_local char bad[64];
    const char *p = args;
    while (*p) {
        p = skip_blank(p);
        const char *eq = strchr(p, '=');
        const char *comma = strchr(p, ',');
        if (!eq || (comma && comma < eq)) {
            snprintf(bad, sizeof bad, "%.*s", (int)(comma ? comma - p : (long)strlen(p)), p);
            return bad;
        }
        size_t kl = (size_t)(eq - p);
        while (kl && (p[kl - 1] == ' '))
            kl--;
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strlen(allowed[i]) == kl && strncmp(allowed[i], p, kl) == 0;
        /* The same parameter twice is as wrong as an unknown one. */
        for (const char *q = args; ok && q < p; q++)
            if ((q == args || q[-1] == ',' || q[-1] == ' ') && strncmp(q, p, kl) == 0 &&
                (q[kl] == '=' || q[kl] == ' '))
                ok = false;
        if (!ok) {
            snprintf(bad, sizeof bad, "%.*s", (int)kl, p);
            return bad;
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    return NULL;
}

/* arrivals = batch(every=15min, size=40, fill=75%, offset=5min) */
static bf_status value_batch(loader *L, const entry *e, const char *args, bf_class *c)
{
    static const char *const allowed[] = {"every", "size", "fill", "offset", NULL};
    const char *bad = unknown_arg(args, allowed);
    if (bad)
        return entry_fail(L, e, "unknown or repeated batch parameter '%s'; expected each of "
                          "every, size, fill, offset at most once", bad);
    char buf[64], why[200];
    double every, offset = 0, fill = 1;
    long long size;
    if (!arg_of(args, "every", buf, sizeof buf))
        return entry_fail(L, e, "batch(...) needs every=DURATION, e.g. batch(every=15min, size=40)");
    if (bf_parse_duration(buf, &every, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "batch every: %s", why);
    if (!(every > 0))
        return entry_fail(L, e, "batch every: must be > 0");
    if (!arg_of(args, "size", buf, sizeof buf))
        return entry_fail(L, e, "batch(...) needs size=N, the seats per group");
    if (bf_parse_int(buf, 1, 100000, &size, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "batch size: %s", why);
    if (arg_of(args, "fill", buf, sizeof buf) && bf_parse_share(buf, &fill, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "batch fill: %s", why);
    if (arg_of(args, "offset", buf, sizeof buf) &&
        bf_parse_duration(buf, &offset, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "batch offset: %s", why);
    if (!(fill > 0))
        return entry_fail(L, e, "batch fill must be > 0");
    if (every < 1e-3)
        return entry_fail(L, e, "batch every must be at least 1ms");
    c->arrival_kind = BF_ARR_BATCH;
    c->batch_every = every;
    c->batch_size = (uint32_t)size;
    c->batch_fill = fill;
    c->batch_offset = offset;
    c->rate = (double)size * fill / every;
    return BF_OK;
}

/* arrivals = poisson(rate=240/h) | poisson(240/h) | poisson(mean=15s)
 *          | renewal(DIST)   (DIST is the inter-arrival time) */
static bf_status value_arrivals(loader *L, const entry *e, bf_class *c, int ci)
{
    const char *v = skip_blank(e->value);
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    const char *expect = "expected poisson(rate=240/h), poisson(mean=15s), "
                         "renewal(DISTRIBUTION), batch(every=15min, size=40) or "
                         "trace(file=arrivals.csv)";
    const char *open = memchr(v, '(', len);
    if (!open || len < 2 || v[len - 1] != ')')
        return entry_fail(L, e, "%s", expect);
    char kind[32];
    size_t kl = (size_t)(open - v);
    while (kl && v[kl - 1] == ' ')
        kl--;
    if (kl >= sizeof kind)
        return entry_fail(L, e, "%s", expect);
    memcpy(kind, v, kl);
    kind[kl] = 0;
    size_t al = (size_t)(v + len - 1 - (open + 1));
    char *arg = bf_malloc(al + 1);
    if (!arg)
        return oom(L);
    memcpy(arg, open + 1, al);
    arg[al] = 0;
    bf_status st = BF_OK;
    char why[256];
    bf_dist d = {0};
    if (strcmp(kind, "poisson") == 0) {
        const char *a = skip_blank(arg);
        double rate = 0.0;
        if (strncmp(a, "rate", 4) == 0 && *skip_blank(a + 4) == '=') {
            if (bf_parse_rate(skip_blank(a + 4) + 1, &rate, why, sizeof why) != BF_OK)
                st = entry_fail(L, e, "%s", why);
        } else if (strncmp(a, "mean", 4) == 0 && *skip_blank(a + 4) == '=') {
            double mean;
            if (bf_parse_duration(skip_blank(a + 4) + 1, &mean, why, sizeof why) != BF_OK)
                st = entry_fail(L, e, "%s", why);
            else if (!(mean > 0))
                st = entry_fail(L, e, "the mean time between arrivals must be > 0");
            else
                rate = 1.0 / mean;
        } else if (bf_parse_rate(a, &rate, why, sizeof why) != BF_OK) {
            st = entry_fail(L, e, "%s", expect);
        }
        if (st == BF_OK && !(rate > 0))
            st = entry_fail(L, e, "the arrival rate must be > 0");
        if (st == BF_OK) {
            char text[96];
            snprintf(text, sizeof text, "exp(mean=%.17gs)", 1.0 / rate);
            st = bf_dist_parse(text, BF_DIST_DURATION, &d, why, sizeof why);
            if (st == BF_ENOMEM)
                oom(L);
            else if (st != BF_OK)
                st = entry_fail(L, e, "%s", why);
        }
    } else if (strcmp(kind, "renewal") == 0) {
        st = bf_dist_parse(arg, BF_DIST_DURATION, &d, why, sizeof why);
        if (st == BF_ENOMEM)
            oom(L);
        else if (st != BF_OK)
            st = entry_fail(L, e, "bad inter-arrival distribution: %s", why);
        else if (!(bf_dist_mean(&d) > 0))
            st = entry_fail(L, e, "the mean time between arrivals must be > 0");
    } else if (strcmp(kind, "batch") == 0) {
        st = value_batch(L, e, arg, c);
        bf_free(arg);
        return st;
    } else if (strcmp(kind, "trace") == 0) {
        char buf[512];
        const char *file = arg_of(arg, "file", buf, sizeof buf);
        if (!file) {
            const char *a = skip_blank(arg);
            file = *a && !strchr(a, '=') ? a : NULL;
        }
        st = file ? read_trace(L, e, file, c)
                  : entry_fail(L, e, "trace(...) needs file=PATH, e.g. trace(file=arrivals.csv)");
        bf_free(arg);
        return st;
    } else {
        st = entry_fail(L, e, "unknown arrival process '%s'; %s", kind, expect);
    }
    bf_free(arg);
    if (st != BF_OK) {
        bf_dist_fini(&d);
        return st;
    }
    bf_dist_fini(&c->interarrival);
    c->interarrival = d;
    c->rate = 1.0 / bf_dist_mean(&d);
    c->arrival_kind = BF_ARR_RENEWAL;
    L->poisson[ci] = strcmp(kind, "poisson") == 0;
    return BF_OK;
}

/* risk = low 90%, medium 9%, high 1%   (levels omitted are 0; sum 100%) */
static bf_status value_levels(loader *L, const entry *e, double r[BF_N_RISK], bool sum_to_1);

static bf_status value_risk(loader *L, const entry *e, bf_class *c)
{
    double r[BF_N_RISK];
    if (value_levels(L, e, r, true) != BF_OK)
        return L->st;
    memcpy(c->risk, r, sizeof r);
    return BF_OK;
}

/* "low 90%, medium 9%, high 1%": levels omitted are 0; with sum_to_1 the
 * shares must add up to 100%. */
static bf_status value_levels(loader *L, const entry *e, double r[BF_N_RISK], bool sum_to_1)
{
    static const char *const levels[BF_N_RISK] = {"low", "medium", "high"};
    r[0] = r[1] = r[2] = 0;
    bool seen[BF_N_RISK] = {false, false, false};
    const char *p = e->value;
    if (!*skip_blank(p))
        return entry_fail(L, e, "empty value; expected LEVEL SHARE items such as "
                          "'low 90%%, medium 9%%, high 1%%'");
    while (*p) {
        p = skip_blank(p);
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        if (n >= sizeof item)
            return entry_fail(L, e, "risk item too long; expected e.g. low 90%%, medium 9%%, high 1%%");
        memcpy(item, p, n);
        item[n] = 0;
        char *sp = strpbrk(item, " \t");
        if (!sp)
            return entry_fail(L, e, "expected LEVEL SHARE items such as 'low 90%%, medium 9%%, high 1%%'");
        *sp = 0;
        int lv = -1;
        for (int i = 0; i < BF_N_RISK; i++)
            if (strcmp(item, levels[i]) == 0)
                lv = i;
        if (lv < 0)
            return entry_fail(L, e, "unknown risk level '%s'; expected low, medium or high", item);
        if (seen[lv])
            return entry_fail(L, e, "risk level '%s' given twice", item);
        char why[256];
        if (bf_parse_share(sp + 1, &r[lv], why, sizeof why) != BF_OK)
            return entry_fail(L, e, "risk level '%s': %s", item, why);
        seen[lv] = true;
        p = comma ? comma + 1 : p + n;
    }
    double sum = r[0] + r[1] + r[2];
    if (sum_to_1 && fabs(sum - 1.0) > 1e-9)
        return entry_fail(L, e, "risk shares add up to %.10g%%; expected 100%%", sum * 100.0);
    return BF_OK;
}

/* inspect = 5% -> sl_secondary */
static bf_status value_inspect(loader *L, const entry *e, bf_model *m, bf_node *nd)
{
    const char *arrow = strstr(e->value, "->");
    if (!arrow)
        return entry_fail(L, e, "expected SHARE -> STATION, e.g. inspect = 5%% -> sl_secondary");
    char share[64];
    size_t n = (size_t)(arrow - e->value);
    if (n >= sizeof share)
        return entry_fail(L, e, "expected SHARE -> STATION, e.g. inspect = 5%% -> sl_secondary");
    memcpy(share, e->value, n);
    share[n] = 0;
    char why[256];
    if (bf_parse_share(share, &nd->inspect_prob, why, sizeof why) != BF_OK)
        return entry_fail(L, e, "inspection share: %s", why);
    char target[128];
    snprintf(target, sizeof target, "%s", skip_blank(arrow + 2));
    size_t tl = strlen(target);
    while (tl && (target[tl - 1] == ' ' || target[tl - 1] == '\t'))
        target[--tl] = 0;
    int t = bf_model_find_node(m, target);
    if (t < 0 || m->nodes[t].kind != BF_NODE_STATION) {
        const char *cands[256];
        size_t nc = 0;
        for (size_t i = 0; i < m->n_nodes && nc < 256; i++)
            if (m->nodes[i].kind == BF_NODE_STATION)
                cands[nc++] = m->nodes[i].name;
        const char *best = bf_closest(target, cands, nc);
        return entry_fail(L, e, "inspection goes to '%s', which is not a defined station%s%s%s",
                          target, best ? "; did you mean '" : "", best ? best : "",
                          best ? "'?" : "");
    }
    nd->inspect_node = t;
    return BF_OK;
}

static bf_status value_line(loader *L, const entry *e, bf_line *out)
{
    if (strcmp(e->value, "first") == 0)
        *out = BF_LINE_FIRST;
    else if (strcmp(e->value, "second") == 0)
        *out = BF_LINE_SECOND;
    else if (strcmp(e->value, "none") == 0)
        *out = BF_LINE_NONE;
    else
        return entry_fail(L, e, "expected first, second or none");
    return BF_OK;
}

/* ---- rules ----------------------------------------------------------- */

static bf_rule *find_rule(bf_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_rules; i++)
        if (strcmp(m->rules[i].name, name) == 0)
            return &m->rules[i];
    return NULL;
}

/* match = class material, whitelisted, not predeclared, risk high, outbound */
static bf_status rule_match(loader *L, const entry *e, const bf_model *m, bf_rule *r)
{
    r->cls = -1;
    r->whitelisted = r->predeclared = r->risk = r->outbound = -1;
    const char *p = e->value;
    const char *expect = "expected conditions such as 'class material, whitelisted, not "
                         "predeclared, risk high, outbound' or 'all'";
    bool seen_attr[5] = {false, false, false, false, false};
    while (*skip_blank(p)) {
        p = skip_blank(p);
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        if (n >= sizeof item)
            return entry_fail(L, e, "%s", expect);
        memcpy(item, p, n);
        item[n] = 0;
        size_t len = strlen(item);
        while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
            item[--len] = 0;
        bool neg = strncmp(item, "not ", 4) == 0;
        const char *w = neg ? skip_blank(item + 4) : item;
        /* Conditions are joined by AND: the same attribute twice is either
         * redundant or impossible, and most likely meant as OR. */
        {
            static const char *const attrs[] = {"class ", "whitelisted", "predeclared", "risk ",
                                                "inbound", "outbound"};
            for (int a = 0; a < 6; a++) {
                size_t al = strlen(attrs[a]);
                bool dir = a >= 4;
                if (strncmp(w, attrs[a], al) != 0)
                    continue;
                int slot = dir ? 4 : a;
                if (seen_attr[slot])
                    return entry_fail(L, e, "'%s' is the second condition on the same "
                                      "attribute; conditions must all hold (AND), so write "
                                      "one rule per alternative", item);
                seen_attr[slot] = true;
            }
        }
        if (!strcmp(w, "all") || !strcmp(w, "any")) {
            /* matches everything */
        } else if (!neg && !strncmp(w, "class ", 6)) {
            const char *cn = skip_blank(w + 6);
            int c = bf_model_find_class(m, cn);
            if (c < 0) {
                const char *best = class_suggestion(m, cn);
                return entry_fail(L, e, "'%s' is not a defined class%s%s%s", cn,
                                  best ? "; did you mean '" : "", best ? best : "",
                                  best ? "'?" : "");
            }
            r->cls = c;
        } else if (!strcmp(w, "whitelisted")) {
            r->whitelisted = !neg;
        } else if (!strcmp(w, "predeclared")) {
            r->predeclared = !neg;
        } else if (!neg && !strncmp(w, "risk ", 5)) {
            const char *lv = skip_blank(w + 5);
            r->risk = !strcmp(lv, "low") ? 0 : !strcmp(lv, "medium") ? 1 : !strcmp(lv, "high") ? 2 : -2;
            if (r->risk == -2)
                return entry_fail(L, e, "unknown risk level '%s'; expected low, medium or high", lv);
        } else if (!neg && (!strcmp(w, "inbound") || !strcmp(w, "outbound"))) {
            r->outbound = !strcmp(w, "outbound");
        } else {
            static const char *const words[] = {"class", "whitelisted", "predeclared", "risk",
                                                "inbound", "outbound", "all"};
            const char *best = bf_closest(w, words, 7);
            return entry_fail(L, e, "unknown condition '%s'%s%s%s; %s", item,
                              best ? " (did you mean '" : "", best ? best : "",
                              best ? "'?)" : "", expect);
        }
        p = comma ? comma + 1 : p + n;
    }
    return BF_OK;
}

/* at = sl_check, sl_cargo | line second | all */
static bf_status rule_at(loader *L, const entry *e, const bf_model *m, bf_rule *r)
{
    memset(r->at, 0, m->n_nodes * sizeof *r->at);
    const char *p = e->value;
    bool any = false;
    while (*skip_blank(p)) {
        p = skip_blank(p);
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        if (n >= sizeof item)
            return entry_fail(L, e, "station name too long");
        memcpy(item, p, n);
        item[n] = 0;
        size_t len = strlen(item);
        while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
            item[--len] = 0;
        if (!strncmp(item, "line ", 5)) {
            const char *ln = skip_blank(item + 5);
            bf_line l = !strcmp(ln, "first") ? BF_LINE_FIRST : !strcmp(ln, "second") ? BF_LINE_SECOND : BF_LINE_NONE;
            if (l == BF_LINE_NONE)
                return entry_fail(L, e, "unknown line '%s'; expected line first or line second", ln);
            for (size_t i = 0; i < m->n_nodes; i++)
                if (m->nodes[i].kind == BF_NODE_STATION && m->nodes[i].line == l)
                    r->at[i] = any = true;
        } else if (!strcmp(item, "all")) {
            for (size_t i = 0; i < m->n_nodes; i++)
                if (m->nodes[i].kind == BF_NODE_STATION)
                    r->at[i] = any = true;
        } else {
            int nd = bf_model_find_node(m, item);
            if (nd >= 0 && m->nodes[nd].kind != BF_NODE_STATION)
                return entry_fail(L, e, "'%s' is a delay; rules apply at stations", item);
            if (nd < 0) {
                const char *best = node_suggestion(m, item);
                return entry_fail(L, e, "'%s' is not a defined station%s%s%s; expected station "
                                  "names, 'line first', 'line second' or 'all'", item,
                                  best ? " (did you mean '" : "", best ? best : "",
                                  best ? "'?)" : "");
            }
            r->at[nd] = any = true;
        }
        p = comma ? comma + 1 : p + n;
    }
    if (!any)
        return entry_fail(L, e, "no station; expected the stations the rule applies at");
    return BF_OK;
}

static bf_status apply_rule_key(loader *L, const entry *e, bf_model *m, bf_rule *r)
{
    long long v;
    if (!strcmp(e->key, "match"))
        return rule_match(L, e, m, r);
    if (!strcmp(e->key, "at"))
        return rule_at(L, e, m, r);
    if (!strcmp(e->key, "enabled"))
        return value_bool(L, e, &r->enabled);
    if (!strcmp(e->key, "precedence")) {
        if (value_int(L, e, -1000, 1000, &v) != BF_OK)
            return L->st;
        r->precedence = (int)v;
        return BF_OK;
    }
    if (!strcmp(e->key, "skip")) {
        bool b;
        if (value_bool(L, e, &b) != BF_OK)
            return L->st;
        if (b && r->use >= 0)
            return entry_fail(L, e, "a rule either skips a station or uses another one, not both");
        r->sets_route = b || r->use >= 0;
        r->skip = b;
        return BF_OK;
    }
    if (!strcmp(e->key, "use")) {
        int nd = bf_model_find_node(m, e->value);
        if (nd >= 0 && m->nodes[nd].kind != BF_NODE_STATION)
            return entry_fail(L, e, "'%s' is a delay; a rule can send entities only to a "
                              "station", e->value);
        if (nd < 0) {
            const char *best = node_suggestion(m, e->value);
            return entry_fail(L, e, "'%s' is not a defined station%s%s%s", e->value,
                              best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
        }
        if (r->skip)
            return entry_fail(L, e, "a rule either skips a station or uses another one, not both");
        r->use = nd;
        r->sets_route = true;
        return BF_OK;
    }
    if (!strcmp(e->key, "service")) {
        const char *vv = skip_blank(e->value);
        r->sets_service = true;
        if (*vv == 'x') {
            char why[200];
            if (bf_parse_number(vv + 1, &r->service_scale, why, sizeof why) != BF_OK ||
                r->service_scale < 0)
                return entry_fail(L, e, "expected a factor such as x0.4 or a distribution such "
                                  "as exp(mean=30s)");
            return BF_OK;
        }
        bf_dist d = {0};
        if (value_dist(L, e, &d) != BF_OK)
            return L->st;
        bf_dist_fini(&r->service);
        r->service = d;
        return BF_OK;
    }
    if (!strcmp(e->key, "inspect")) {
        r->sets_inspect = true;
        return value_share(L, e, &r->inspect);
    }
    if (!strcmp(e->key, "priority")) {
        if (value_int(L, e, 0, BF_MAX_PRIORITY, &v) != BF_OK)
            return L->st;
        r->sets_priority = true;
        r->priority = (int)v;
        return BF_OK;
    }
    return BF_OK;
}

static bf_status apply_entry(loader *L, const entry *e, const section_info *si, bf_model *m)
{
    long long v;
    if (si->type == 0) { /* simulation */
        if (strcmp(e->key, "title") == 0) {
            char *t = xstrdup(L, e->value);
            if (!t)
                return L->st;
            bf_free(m->title);
            m->title = t;
        } else if (strcmp(e->key, "horizon") == 0) {
            if (value_duration(L, e, &m->horizon) != BF_OK)
                return L->st;
            if (!(m->horizon > 0))
                return entry_fail(L, e, "the horizon must be longer than 0s");
            if (m->horizon > 3.2e9)
                return entry_fail(L, e, "the horizon must be at most 100 years");
        } else if (strcmp(e->key, "warmup") == 0) {
            return value_duration(L, e, &m->warmup);
        } else if (strcmp(e->key, "replications") == 0) {
            if (value_int(L, e, 1, 1000000, &v) != BF_OK)
                return L->st;
            m->replications = (int)v;
        } else if (strcmp(e->key, "seed") == 0) {
            const char *s = skip_blank(e->value);
            char *end;
            errno = 0;
            unsigned long long seed = strtoull(s, &end, 10);
            end = (char *)skip_blank(end);
            if (errno || end == s || *end || *s == '-' || *s == '+')
                return entry_fail(L, e, "expected a whole number from 0 to 18446744073709551615");
            m->seed = seed;
        } else if (strcmp(e->key, "sample_every") == 0) {
            if (value_duration(L, e, &m->sample_every) != BF_OK)
                return L->st;
            /* A floor well above the clock's resolution (a shorter interval
             * would never let time advance) and a bound on the samples. */
            if (m->sample_every > 0 && m->sample_every < 1.0)
                return entry_fail(L, e, "sampling more often than once a second is not "
                                  "supported; use 0s to switch time series off");
        } else if (strcmp(e->key, "start") == 0) {
            if (!parse_clock(e->value, false, &m->start_clock))
                return entry_fail(L, e, "expected the time of day the run starts, HH:MM from "
                                  "00:00 to 23:59, e.g. start = 07:00");
        } else if (strcmp(e->key, "start_day") == 0) {
            static const char *const days[] = {"monday", "tuesday", "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
            int d = -1;
            char low[16];
            size_t k = 0;
            for (; e->value[k] && k + 1 < sizeof low; k++)
                low[k] = (char)(e->value[k] >= 'A' && e->value[k] <= 'Z' ? e->value[k] + 32
                                                                        : e->value[k]);
            low[k] = 0;
            for (int i = 0; i < 7; i++)
                if (strcmp(low, days[i]) == 0)
                    d = i;
            if (d < 0) {
                const char *best = bf_closest(e->value, days, 7);
                return entry_fail(L, e, "expected a day of the week, monday to sunday%s%s%s",
                                  best ? " (did you mean '" : "", best ? best : "",
                                  best ? "'?)" : "");
            }
            m->start_day = d;
        } else if (strcmp(e->key, "by_hour") == 0) {
            bool b;
            if (value_bool(L, e, &b) != BF_OK)
                return L->st;
            L->by_hour_set = true;
            m->by_hour = b;
        }
        return BF_OK;
    }
    if (si->type == T_PROFILE) {
        struct profile *pr = NULL;
        for (size_t i = 0; i < L->n_profiles; i++)
            if (strcmp(L->profiles[i].name, si->name) == 0)
                pr = &L->profiles[i];
        if (strcmp(e->key, "hourly") == 0) {
            pr->has_hourly = true;
            return value_numbers(L, e, pr->hourly, 24, "hourly");
        }
        if (strcmp(e->key, "weekly") == 0) {
            pr->has_weekly = true;
            return value_numbers(L, e, pr->weekly, 7, "weekly");
        }
        return BF_OK;
    }
    if (si->type == T_RULE)
        return apply_rule_key(L, e, m, find_rule(m, si->name));
    if (si->type == T_INITIAL) {
        char node[128];
        const char *dot = strchr(e->key, '.');
        snprintf(node, sizeof node, "%.*s", (int)(dot - e->key), e->key);
        int n = bf_model_find_node(m, node), c = bf_model_find_class(m, dot + 1);
        if (value_int(L, e, 0, 10000000, &v) != BF_OK)
            return L->st;
        if (!bf_model_class_visits(m, (size_t)c, (size_t)n))
            return entry_fail(L, e, "class '%s' never visits '%s'; initial entities must be "
                              "placed on their route", dot + 1, node);
        const bf_route *r = &m->classes[c].route;
        bool on_route = false;
        for (size_t i = 0; i < r->n_ops; i++)
            on_route |= r->ops[i].op == BF_OP_VISIT && r->ops[i].arg == (uint32_t)n;
        if (!on_route)
            return entry_fail(L, e, "'%s' is reached by '%s' only through inspection; place "
                              "initial entities at a node of the class's route", node, dot + 1);
        if (m->nodes[n].kind == BF_NODE_STATION && m->nodes[n].capacity) {
            long long placed = v;
            for (size_t i = 0; i < m->n_initial; i++)
                if (m->initial[i].node == (uint32_t)n)
                    placed += m->initial[i].count;
            if (placed > (long long)m->nodes[n].capacity)
                return entry_fail(L, e, "%lld entities at '%s' exceed its capacity %u",
                                  placed, node, m->nodes[n].capacity);
        }
        bf_initial *in = bf_realloc(m->initial, (m->n_initial + 1) * sizeof *in);
        if (!in)
            return oom(L);
        m->initial = in;
        in[m->n_initial++] = (bf_initial){(uint32_t)n, (uint32_t)c, (uint32_t)v};
        return BF_OK;
    }
    if (si->type == T_CLASS) {
        int ci = bf_model_find_class(m, si->name);
        bf_class *c = &m->classes[ci];
        if (strcmp(e->key, "arrivals") == 0)
            return value_arrivals(L, e, c, ci);
        if (strcmp(e->key, "booked") == 0)
            return value_share(L, e, &c->booked);
        if (strcmp(e->key, "outbound") == 0)
            return value_share(L, e, &c->outbound);
        if (strcmp(e->key, "cargo") == 0)
            return value_share(L, e, &c->cargo);
        if (strcmp(e->key, "violation") == 0) {
            double r[BF_N_RISK];
            if (value_levels(L, e, r, false) != BF_OK)
                return L->st;
            memcpy(c->violation, r, sizeof r);
            return BF_OK;
        }
        if (strcmp(e->key, "violation_whitelisted") == 0) {
            const char *fx = skip_blank(e->value);
            double f;
            char why[200];
            if (*fx != 'x' || bf_parse_number(fx + 1, &f, why, sizeof why) != BF_OK || f < 0)
                return entry_fail(L, e, "expected a factor such as x0.5 (white-listed entities "
                                  "carry violations half as often)");
            c->violation_whitelisted = f;
            return BF_OK;
        }
        if (strcmp(e->key, "volume") == 0 || strcmp(e->key, "occupancy") == 0) {
            bool volume = strcmp(e->key, "volume") == 0;
            if (c->size_kind != BF_SIZE_NONE &&
                c->size_kind != (volume ? BF_SIZE_VOLUME : BF_SIZE_OCCUPANCY))
                return entry_fail(L, e, "a class has either a data volume or an occupancy, "
                                  "not both");
            char text[512];
            if (volume && bf_units_expand_sizes(e->value, text, sizeof text) < 0)
                return entry_fail(L, e, "value too long");
            char why[256];
            bf_dist d = {0};
            bf_status st = bf_dist_parse(volume ? text : e->value, BF_DIST_PLAIN, &d, why,
                                         sizeof why);
            if (st == BF_ENOMEM)
                return oom(L);
            if (st != BF_OK)
                return entry_fail(L, e, "%s%s", why,
                                  volume ? " (data volumes take units: B, KB, MB, GB, TB)" : "");
            if (volume && strcmp(text, e->value) == 0) {
                bf_dist_fini(&d);
                return entry_fail(L, e, "expected data sizes with a unit (B, KB, MB, GB, TB), "
                                  "e.g. lognormal(mean=2GB, sd=1GB)");
            }
            bf_dist_fini(&c->size);
            c->size = d;
            c->size_kind = volume ? BF_SIZE_VOLUME : BF_SIZE_OCCUPANCY;
            return BF_OK;
        }
        if (strcmp(e->key, "slot") == 0) {
            if (value_duration(L, e, &c->slot) != BF_OK)
                return L->st;
            if (!(c->slot > 0))
                return entry_fail(L, e, "the slot length must be > 0");
            return BF_OK;
        }
        if (strcmp(e->key, "punctuality") == 0)
            return value_duration(L, e, &c->punctuality);
        if (strcmp(e->key, "profile") == 0) {
            struct profile *pr = NULL;
            const char *cands[256];
            size_t nc = 0;
            for (size_t i = 0; i < L->n_profiles; i++) {
                if (strcmp(L->profiles[i].name, e->value) == 0)
                    pr = &L->profiles[i];
                if (nc < 256)
                    cands[nc++] = L->profiles[i].name;
            }
            if (!pr) {
                const char *best = bf_closest(e->value, cands, nc);
                return entry_fail(L, e, "no [profile %s] is defined%s%s%s", e->value,
                                  best ? "; did you mean '" : "", best ? best : "",
                                  best ? "'?" : "");
            }
            if (!L->poisson[ci])
                return entry_fail(L, e, "a profile scales Poisson arrivals; write arrivals = "
                                  "poisson(rate=...) for this class");
            double *prof = bf_malloc(BF_HOURS_PER_WEEK * sizeof *prof);
            if (!prof)
                return oom(L);
            for (int d = 0; d < 7; d++)
                for (int h = 0; h < 24; h++)
                    prof[d * 24 + h] = (pr->has_hourly ? pr->hourly[h] : 1.0) *
                                       (pr->has_weekly ? pr->weekly[d] : 1.0);
            bf_free(c->profile);
            c->profile = prof;
            c->arrival_kind = BF_ARR_PROFILE;
            return BF_OK;
        }
        if (strcmp(e->key, "whitelisted") == 0)
            return value_share(L, e, &c->whitelisted);
        if (strcmp(e->key, "predeclared") == 0)
            return value_share(L, e, &c->predeclared);
        if (strcmp(e->key, "risk") == 0)
            return value_risk(L, e, c);
        if (strcmp(e->key, "priority") == 0) {
            if (value_int(L, e, 0, BF_MAX_PRIORITY, &v) != BF_OK)
                return L->st;
            c->priority = (int)v;
            return BF_OK;
        }
        if (strcmp(e->key, "route") == 0) {
            char why[256];
            bf_route_fini(&c->route);
            bf_status st = bf_route_parse(m, e->value, &c->route, why, sizeof why);
            if (st == BF_ENOMEM)
                return oom(L);
            if (st != BF_OK)
                return entry_fail(L, e, "%s", why);
        }
        return BF_OK;
    }
    bf_node *nd = &m->nodes[bf_model_find_node(m, si->name)];
    if (strcmp(e->key, "line") == 0)
        return value_line(L, e, &nd->line);
    if (strcmp(e->key, "servers") == 0) {
        if (find_entry(L, e->section, "schedule"))
            return entry_fail(L, e, "give either servers or schedule, not both");
        if (value_int(L, e, 1, 100000, &v) != BF_OK)
            return L->st;
        nd->servers = (uint32_t)v;
        return BF_OK;
    }
    if (strcmp(e->key, "schedule") == 0)
        return value_schedule(L, e, nd);
    if (strcmp(e->key, "channels") == 0) {
        if (find_entry(L, e->section, "servers") || find_entry(L, e->section, "schedule"))
            return entry_fail(L, e, "channels is another name for servers; give one of "
                              "channels, servers or schedule");
        if (value_int(L, e, 1, 100000, &v) != BF_OK)
            return L->st;
        nd->servers = (uint32_t)v;
        return BF_OK;
    }
    if (strcmp(e->key, "detection") == 0)
        return value_share(L, e, &nd->detection);
    if (strcmp(e->key, "bandwidth") == 0) {
        char why[256];
        if (bf_parse_bandwidth(e->value, &nd->bandwidth, why, sizeof why) != BF_OK)
            return entry_fail(L, e, "%s", why);
        if (nd->bandwidth < 1e3 || nd->bandwidth > 1e15)
            return entry_fail(L, e, "expected a bandwidth between 1kbit/s and 1Pbit/s");
        return BF_OK;
    }
    if (strcmp(e->key, "per_occupant") == 0)
        return value_duration(L, e, &nd->per_occupant);
    if (strcmp(e->key, "cargo_factor") == 0) {
        const char *vv = skip_blank(e->value);
        char why[200];
        if (*vv != 'x' || bf_parse_number(vv + 1, &nd->cargo_factor, why, sizeof why) != BF_OK ||
            nd->cargo_factor < 0)
            return entry_fail(L, e, "expected a factor such as x1.5 (cargo takes 50%% longer)");
        return BF_OK;
    }
    if (strcmp(e->key, "capacity") == 0) {
        if (value_int(L, e, 1, 100000000, &v) != BF_OK)
            return L->st;
        nd->capacity = (uint32_t)v;
        return BF_OK;
    }
    if (strcmp(e->key, "patience") == 0) {
        bf_dist d = {0};
        if (value_dist(L, e, &d) != BF_OK)
            return L->st;
        bf_dist_fini(&nd->patience);
        nd->patience = d;
        return BF_OK;
    }
    if (strcmp(e->key, "discipline") == 0) {
        if (strcmp(e->value, "fifo") == 0)
            nd->discipline = BF_DISC_FIFO;
        else if (strcmp(e->value, "priority") == 0)
            nd->discipline = BF_DISC_PRIORITY;
        else
            return entry_fail(L, e, "expected fifo or priority");
        return BF_OK;
    }
    if (strcmp(e->key, "inspect") == 0)
        return value_inspect(L, e, m, nd);
    if (strcmp(e->key, "service") == 0 || strcmp(e->key, "time") == 0) {
        bf_dist d = {0};
        if (value_dist(L, e, &d) != BF_OK)
            return L->st;
        bf_dist_fini(&nd->service);
        nd->service = d;
        return BF_OK;
    }
    const char *dot = strchr(e->key, '.');
    if (dot) {
        int c = bf_model_find_class(m, dot + 1);
        bf_dist d = {0};
        if (value_dist(L, e, &d) != BF_OK)
            return L->st;
        bf_dist_fini(&nd->class_service[c]);
        nd->class_service[c] = d;
    }
    return BF_OK;
}

/* Keys applied after all others, because they refer to other sections. */
/* Keys are applied in three passes: plain values first, then keys that
 * name other sections (routes, inspections, profiles), then [initial],
 * which needs the routes. */
static int key_pass(const entry *e)
{
    if (strcmp(e->section, "initial") == 0)
        return 2;
    return strcmp(e->key, "route") == 0 || strcmp(e->key, "inspect") == 0 ||
           strcmp(e->key, "profile") == 0 || strncmp(e->section, "rule ", 5) == 0;
}

static bf_status build_model(loader *L, bf_model *m)
{
    section_info *si = bf_calloc(L->n ? L->n : 1, sizeof *si);
    char(*names)[128] = bf_calloc(L->n ? L->n : 1, sizeof *names);
    if (!si || !names) {
        bf_free(si);
        bf_free(names);
        return oom(L);
    }
    bool have_sim = false, have_horizon = false;
    /* Pass 1: sections -> classes and nodes, in file order. */
    for (size_t i = 0; i < L->n && L->st == BF_OK; i++) {
        entry *e = &L->e[i];
        if (parse_section_header(L, e, &si[i], names[i], sizeof names[i]) != BF_OK)
            break;
        if (si[i].type == T_SIM) {
            have_sim = true;
            have_horizon |= strcmp(e->key, "horizon") == 0;
            continue;
        }
        if (si[i].type == T_INITIAL)
            continue;
        if (si[i].type == T_RULE) {
            if (find_rule(m, si[i].name))
                continue;
            bf_rule *rr = bf_realloc(m->rules, (m->n_rules + 1) * sizeof *rr);
            if (!rr) {
                oom(L);
                break;
            }
            m->rules = rr;
            bf_rule *r = &rr[m->n_rules];
            memset(r, 0, sizeof *r);
            r->name = bf_strdup(si[i].name);
            if (!r->name) {
                oom(L);
                break;
            }
            r->enabled = true;
            r->cls = -1;
            r->whitelisted = r->predeclared = r->risk = r->outbound = -1;
            r->use = -1;
            r->service_scale = 1.0;
            r->line = e->section_line;
            m->n_rules++;
            continue;
        }
        if (si[i].type == T_PROFILE) {
            bool known = false;
            for (size_t k = 0; k < L->n_profiles; k++)
                known |= strcmp(L->profiles[k].name, si[i].name) == 0;
            if (known)
                continue;
            struct profile *pr = bf_realloc(L->profiles, (L->n_profiles + 1) * sizeof *pr);
            if (!pr) {
                oom(L);
                break;
            }
            L->profiles = pr;
            memset(&pr[L->n_profiles], 0, sizeof *pr);
            pr[L->n_profiles++].name = si[i].name;
            continue;
        }
        const char *name = si[i].name;
        int ci = bf_model_find_class(m, name), ni = bf_model_find_node(m, name);
        if (si[i].type == 1 && ci < 0 && ni < 0) {
            if (bf_model_add_class(m, name) < 0)
                oom(L);
        } else if (si[i].type >= 2 && ni < 0 && ci < 0) {
            if (bf_model_add_node(m, name, si[i].type == 2 ? BF_NODE_STATION : BF_NODE_DELAY) < 0)
                oom(L);
        } else {
            bool same = (si[i].type == 1 && ci >= 0) ||
                        (si[i].type == 2 && ni >= 0 && m->nodes[ni].kind == BF_NODE_STATION) ||
                        (si[i].type == 3 && ni >= 0 && m->nodes[ni].kind == BF_NODE_DELAY);
            if (!same)
                fail_at(L, e->origin, e->section_line, e->section, NULL, NULL,
                        "the name '%s' is already used by another section; names of classes, "
                        "stations and delays must be unique", name);
        }
    }
    /* Sections without any key never reach the handler: check them here,
     * at their header line. */
    for (size_t h = 0; h < L->n_headers && L->st == BF_OK; h++) {
        bool used = false;
        for (size_t i = 0; i < L->n && !used; i++)
            used = strcmp(L->e[i].section, L->headers[h].name) == 0;
        if (used)
            continue;
        entry fake = {.section = L->headers[h].name, .key = (char *)"", .value = (char *)"",
                      .origin = L->headers[h].origin, .line = L->headers[h].line,
                      .section_line = L->headers[h].line};
        section_info info;
        char name[128];
        if (parse_section_header(L, &fake, &info, name, sizeof name) != BF_OK)
            break;
        if (info.type == T_INITIAL)
            continue; /* an empty [initial]: the run starts empty */
        static const char *const first_required[7] = {"horizon", "arrivals", "service",
                                                      "time", "hourly", NULL, "at"};
        fail_at(L, L->headers[h].origin, L->headers[h].line, fake.section,
                first_required[info.type], NULL,
                "missing key; [%s] needs %s (see docs/scenario-reference.md)", fake.section,
                first_required[info.type]);
    }
    int sim_line = 0;
    for (size_t h = 0; h < L->n_headers; h++)
        if (strcmp(L->headers[h].name, "simulation") == 0 && !sim_line)
            sim_line = L->headers[h].line;
    if (L->st == BF_OK && !have_sim)
        fail_at(L, L->name, 0, "simulation", NULL, NULL,
                "missing [simulation] section; expected at least horizon = ..., e.g. "
                "[simulation] horizon = 1d");
    if (L->st == BF_OK && !have_horizon) {
        /* A misspelt horizon is the likelier story: report that first. */
        for (size_t i = 0; i < L->n && L->st == BF_OK; i++)
            if (strcmp(L->e[i].section, "simulation") == 0)
                check_key(L, &L->e[i], T_SIM, m);
    }
    if (L->st == BF_OK && !have_horizon)
        fail_at(L, L->name, sim_line, "simulation", "horizon", NULL,
                "missing key; expected the simulated time span, e.g. horizon = 8d");
    if (L->st == BF_OK) {
        L->poisson = bf_calloc(m->n_classes ? m->n_classes : 1, sizeof *L->poisson);
        if (!L->poisson)
            oom(L);
    }
    for (size_t i = 0; i < m->n_rules && L->st == BF_OK; i++) {
        m->rules[i].at = bf_calloc(m->n_nodes ? m->n_nodes : 1, sizeof(bool));
        if (!m->rules[i].at)
            oom(L);
    }
    /* Passes 2-4: keys, see key_pass. */
    for (int pass = 0; pass < 3 && L->st == BF_OK; pass++)
        for (size_t i = 0; i < L->n && L->st == BF_OK; i++) {
            entry *e = &L->e[i];
            if (key_pass(e) != pass)
                continue;
            if (check_key(L, e, si[i].type, m) != BF_OK)
                break;
            apply_entry(L, e, &si[i], m);
        }
    /* Required keys, reported at the section's first line. */
    for (size_t i = 0; i < L->n && L->st == BF_OK; i++) {
        if (si[i].type == T_SIM || si[i].type == T_INITIAL)
            continue;
        bool first = true;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(L->e[j].section, L->e[i].section) != 0;
        if (!first)
            continue;
        static const char *const required[7][2] = {
            {NULL, NULL},      {"arrivals", "route"}, {"service", NULL},
            {"time", NULL},    {NULL, NULL},          {NULL, NULL}, {"at", NULL}};
        for (int k = 0; k < 2 && required[si[i].type][k]; k++) {
            const char *key = required[si[i].type][k];
            /* A data channel's service time follows from its bandwidth. */
            if (!strcmp(key, "service") && find_entry(L, L->e[i].section, "bandwidth"))
                continue;
            if (!find_entry(L, L->e[i].section, key))
                fail_at(L, L->e[i].origin, L->e[i].section_line, L->e[i].section, key, NULL,
                        "missing key; [%s] needs %s (see docs/scenario-reference.md)",
                        L->e[i].section, key);
        }
    }
    /* Cross-key checks. */
    for (size_t n = 0; n < m->n_nodes && L->st == BF_OK; n++) {
        const bf_node *nd = &m->nodes[n];
        char sec[160];
        snprintf(sec, sizeof sec, "station %s", nd->name);
        const entry *cap = find_entry(L, sec, "capacity");
        if (cap && nd->capacity < bf_model_max_servers(m, n))
            fail_at(L, cap->origin, cap->line, cap->section, cap->key, cap->value,
                    "capacity %u is below the %u servers; capacity counts the entities in "
                    "service too, so it must be at least the number of servers",
                    nd->capacity, bf_model_max_servers(m, n));
    }
    for (size_t c = 0; c < m->n_classes && L->st == BF_OK; c++) {
        const bf_class *cl = &m->classes[c];
        char sec[160];
        snprintf(sec, sizeof sec, "class %s", cl->name);
        const entry *bk = find_entry(L, sec, "booked");
        if (bk && cl->booked > 0 && !(cl->slot > 0))
            fail_at(L, bk->origin, bk->line, bk->section, bk->key, bk->value,
                    "booked entities need a slot length; add slot = 15min (and optionally "
                    "punctuality = 3min)");
        if (bk && cl->booked > 0 && cl->arrival_kind == BF_ARR_BATCH)
            fail_at(L, bk->origin, bk->line, bk->section, bk->key, bk->value,
                    "booking applies to individual arrivals, not to batch(...) arrivals");
    }
    for (size_t i = 0; i < m->n_rules && L->st == BF_OK; i++) {
        const bf_rule *r = &m->rules[i];
        if (!(r->sets_route || r->sets_service || r->sets_inspect || r->sets_priority)) {
            char sec[160];
            snprintf(sec, sizeof sec, "rule %s", r->name);
            const char *origin = L->name;
            for (size_t k = 0; k < L->n; k++)
                if (!strcmp(L->e[k].section, sec)) {
                    origin = L->e[k].origin;
                    break;
                }
            fail_at(L, origin, r->line, sec, NULL, NULL,
                    "the rule has no effect; expected at least one of skip, use, service, "
                    "inspect or priority");
        }
    }
    if (L->st == BF_OK) {
        bf_error rerr;
        bf_error_clear(&rerr);
        bf_status rs = bf_model_compile_rules(m, &rerr);
        if (rs == BF_ENOMEM)
            oom(L);
        else if (rs != BF_OK) {
            /* The rule's own file: it may be in a base scenario. */
            const char *origin = L->name;
            for (size_t i = 0; i < L->n; i++)
                if (!strcmp(L->e[i].section, rerr.section)) {
                    origin = L->e[i].origin;
                    break;
                }
            fail_at(L, origin, rerr.line, rerr.section, rerr.key[0] ? rerr.key : NULL, NULL,
                    "%s", rerr.msg);
        }
    }
    /* Statistics by hour of day are on by default when the day has a
     * shape (a demand profile or a staffing schedule). */
    if (L->st == BF_OK && !L->by_hour_set) {
        bool shaped = false;
        for (size_t c = 0; c < m->n_classes; c++)
            shaped |= m->classes[c].profile != NULL;
        for (size_t n = 0; n < m->n_nodes; n++)
            shaped |= m->nodes[n].n_shifts > 0;
        m->by_hour = shaped;
    }
    bf_free(si);
    bf_free(names);
    return L->st;
}

/* ---- driver --------------------------------------------------------- */

static void loader_fini(loader *L)
{
    for (size_t i = 0; i < L->n; i++) {
        bf_free(L->e[i].section);
        bf_free(L->e[i].key);
        bf_free(L->e[i].value);
    }
    bf_free(L->e);
    for (size_t i = 0; i < L->n_headers; i++)
        bf_free(L->headers[i].name);
    bf_free(L->headers);
    bf_free(L->profiles);
    bf_free(L->poisson);
    bf_free(L->dir);
    for (size_t i = 0; i < L->n_bases; i++) {
        bf_free(L->bases[i].path);
        bf_free(L->bases[i].text);
    }
    bf_free(L->bases);
}

static char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 4 && strcmp(b + n - 4, ".ini") == 0)
        n -= 4;
    char *s = bf_malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = 0;
    }
    return s;
}

static bf_status read_file(const char *path, char **out, size_t *out_len, bf_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        bf_error_at(err, path, 0, NULL, NULL, NULL);
        return bf_error_set(err, BF_EIO, "cannot open the scenario file: %s", strerror(errno));
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bf_status st = BF_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= MAX_FILE_BYTES) {
                bf_error_at(err, path, 0, NULL, NULL, NULL);
                st = bf_error_set(err, BF_EINVAL, "the file is larger than %u MB; a scenario "
                                  "file is a short text file", MAX_FILE_BYTES >> 20);
                break;
            }
            cap = cap ? 2 * cap : 65536;
            char *nb = bf_realloc(buf, cap + 1);
            if (!nb) {
                st = bf_error_set(err, BF_ENOMEM, "out of memory reading %s", path);
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                bf_error_at(err, path, 0, NULL, NULL, NULL);
                st = bf_error_set(err, BF_EIO, "cannot read the scenario file: %s",
                                  strerror(errno ? errno : EIO));
            }
            break;
        }
    }
    fclose(f);
    if (st != BF_OK) {
        bf_free(buf);
        return st;
    }
    if (!buf) {
        buf = bf_malloc(1);
        if (!buf)
            return bf_error_set(err, BF_ENOMEM, "out of memory reading %s", path);
    }
    buf[len] = 0;
    *out = buf;
    *out_len = len;
    return BF_OK;
}

/* [simulation] base = OTHER.ini: the entries of OTHER come first and this
 * file's keys replace or add to them, so a policy variant is a short file
 * of differences.  Bases may have bases, up to a depth of 4. */
static bf_status merge_base(loader *L, loader *root, int depth)
{
    entry *be = find_entry(L, "simulation", "base");
    if (!be)
        return BF_OK;
    if (depth >= 4)
        return fail_at(root, be->origin, be->line, be->section, be->key, be->value,
                       "base scenarios nested more than 4 deep (is there a cycle?)");
    char path[2048];
    const char *slash = strrchr(L->name, '/');
    if (be->value[0] == '/' || !slash)
        snprintf(path, sizeof path, "%s", be->value);
    else
        snprintf(path, sizeof path, "%.*s/%s", (int)(slash - L->name), L->name, be->value);
    struct base *nb = bf_realloc(root->bases, (root->n_bases + 1) * sizeof *nb);
    if (!nb)
        return oom(root);
    root->bases = nb;
    struct base *b = &nb[root->n_bases];
    b->path = bf_strdup(path);
    b->text = NULL;
    if (!b->path)
        return oom(root);
    root->n_bases++;
    size_t blen = 0;
    bf_error ferr;
    bf_error_clear(&ferr);
    bf_status st = read_file(path, &b->text, &blen, &ferr);
    if (st != BF_OK)
        return fail_at(root, be->origin, be->line, be->section, be->key, be->value,
                       "cannot read the base scenario %s: %s", path, ferr.msg);
    loader B = {.name = b->path, .text = b->text, .len = blen, .err = root->err,
                .last_entry = -1};
    int rc = ini_parse_stream(reader, &B, handler, &B);
    if (B.st == BF_OK && rc > 0)
        fail_at(&B, B.name, rc, NULL, NULL, NULL,
                "cannot read this line; expected [section], key = value, or a comment "
                "starting with ; or #");
    if (B.st == BF_OK && rc < 0)
        oom(&B);
    if (B.st == BF_OK)
        merge_base(&B, root, depth + 1);
    if (B.st == BF_OK && root->st != BF_OK)
        B.st = root->st;
    if (B.st != BF_OK) {
        root->st = B.st;
        loader_fini(&B);
        return root->st;
    }
    /* Base entries first, then this file's: same section and key replace. */
    for (size_t i = 0; i < L->n && B.st == BF_OK; i++) {
        entry *e = &L->e[i];
        if (e == be)
            continue;
        drop_rivals(&B, e->section, e->key, e->origin);
        entry *t = find_entry(&B, e->section, e->key);
        if (t) {
            bf_free(t->value);
            t->value = e->value;
            e->value = NULL;
            t->origin = e->origin;
            t->line = e->line;
            t->section_line = e->section_line;
        } else if (add_entry(&B, e->section, e->key, e->value, e->origin, e->line) == BF_OK) {
            B.e[B.n - 1].section_line = e->section_line;
        }
    }
    for (size_t h = 0; h < L->n_headers && B.st == BF_OK; h++) {
        bool have = false;
        for (size_t k = 0; k < B.n_headers; k++)
            have |= strcmp(B.headers[k].name, L->headers[h].name) == 0;
        if (have)
            continue;
        struct header *hh = bf_realloc(B.headers, (B.n_headers + 1) * sizeof *hh);
        if (!hh) {
            oom(&B);
            break;
        }
        B.headers = hh;
        hh[B.n_headers++] = L->headers[h];
        L->headers[h].name = NULL;
    }
    if (B.st != BF_OK) {
        root->st = B.st;
        loader_fini(&B);
        return root->st;
    }
    /* L takes B's entries and headers; B keeps L's old ones to free. */
    entry *te = L->e;
    size_t tn = L->n, tc = L->cap;
    L->e = B.e;
    L->n = B.n;
    L->cap = B.cap;
    B.e = te;
    B.n = tn;
    B.cap = tc;
    struct header *th = L->headers;
    size_t thn = L->n_headers, thc = L->cap_headers;
    L->headers = B.headers;
    L->n_headers = B.n_headers;
    L->cap_headers = B.cap_headers;
    B.headers = th;
    B.n_headers = thn;
    B.cap_headers = thc;
    loader_fini(&B);
    L->last_entry = -1;
    return BF_OK;
}

bf_status bf_scenario_parse(const char *text, size_t len, const char *name,
                            const char *const *sets, size_t n_sets, bf_scenario **out,
                            bf_error *err)
{
    bf_error_clear(err);
    loader L = {.name = name, .text = text, .len = len, .err = err, .last_entry = -1};
    bf_scenario *sc = bf_calloc(1, sizeof *sc);
    if (!sc)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    sc->path = bf_strdup(name);
    sc->text = bf_malloc(len + 1);
    sc->model = bf_model_create();
    if (!sc->path || !sc->text || !sc->model) {
        oom(&L);
        goto fail;
    }
    memcpy(sc->text, text, len);
    sc->text[len] = 0;

    int rc = ini_parse_stream(reader, &L, handler, &L);
    if (L.st != BF_OK)
        goto fail;
    if (rc > 0) {
        fail_at(&L, name, rc, NULL, NULL, NULL,
                "cannot read this line; expected [section], key = value, or a comment "
                "starting with ; or #");
        goto fail;
    }
    if (rc < 0) {
        oom(&L);
        goto fail;
    }
    if (L.n == 0) {
        fail_at(&L, name, 0, NULL, NULL, NULL,
                "the scenario is empty; expected a [simulation] section and at least one "
                "[class NAME] and [station NAME] (see scenarios/hetao-baseline.ini)");
        goto fail;
    }
    if (merge_base(&L, &L, 0) != BF_OK)
        goto fail;
    if (L.n_bases) {
        /* The stored scenario text covers the bases too, so the scenario
         * hash changes when a base changes. */
        size_t total = len + 1;
        for (size_t i = 0; i < L.n_bases; i++)
            total += strlen(L.bases[i].path) + strlen(L.bases[i].text) + 64;
        char *t = bf_malloc(total);
        if (!t) {
            oom(&L);
            goto fail;
        }
        size_t o = (size_t)snprintf(t, total, "%s", sc->text);
        for (size_t i = 0; i < L.n_bases; i++)
            o += (size_t)snprintf(t + o, total - o, "\n; ===== base scenario: %s =====\n%s",
                                  L.bases[i].path, L.bases[i].text);
        bf_free(sc->text);
        sc->text = t;
    }
    size_t olen = 1;
    for (size_t i = 0; i < n_sets; i++) {
        if (apply_override(&L, sets[i]) != BF_OK)
            goto fail;
        olen += strlen(sets[i]) + 1;
    }
    sc->overrides = bf_malloc(olen);
    if (!sc->overrides) {
        oom(&L);
        goto fail;
    }
    sc->overrides[0] = 0;
    for (size_t i = 0; i < n_sets; i++) {
        strcat(sc->overrides, sets[i]);
        strcat(sc->overrides, "\n");
    }

    {
        /* Relative paths inside the scenario (trace files) are relative to
         * the scenario's directory. */
        const char *slash = strrchr(name, '/');
        if (slash) {
            L.dir = bf_malloc((size_t)(slash - name) + 1);
            if (!L.dir) {
                oom(&L);
                goto fail;
            }
            memcpy(L.dir, name, (size_t)(slash - name));
            L.dir[slash - name] = 0;
        }
    }
    bf_free(sc->model->name);
    sc->model->name = base_name(name);
    if (!sc->model->name) {
        oom(&L);
        goto fail;
    }
    if (build_model(&L, sc->model) != BF_OK)
        goto fail;
    bf_error verr;
    bf_error_clear(&verr);
    if (bf_model_validate(sc->model, &verr) != BF_OK) {
        if (err) {
            *err = verr;
            /* Point at the file and, where we know it, the line. */
            snprintf(err->file, sizeof err->file, "%s", name);
            for (size_t i = 0; i < L.n; i++)
                if (strcmp(L.e[i].section, err->section) == 0) {
                    if (err->key[0] && strcmp(L.e[i].key, err->key) != 0)
                        continue;
                    err->line = L.e[i].line;
                    snprintf(err->value, sizeof err->value, "%s",
                             err->key[0] ? L.e[i].value : "");
                    if (L.e[i].line == 0)
                        snprintf(err->file, sizeof err->file, "--set");
                    break;
                }
        }
        L.st = BF_EINVAL;
        goto fail;
    }

    sc->param_keys = bf_calloc(L.n, sizeof(char *));
    sc->param_values = bf_calloc(L.n, sizeof(char *));
    if (!sc->param_keys || !sc->param_values) {
        oom(&L);
        goto fail;
    }
    for (size_t i = 0; i < L.n; i++) {
        char key[512];
        snprintf(key, sizeof key, "%s.%s", L.e[i].section, L.e[i].key);
        char *sp = strchr(key, ' ');
        if (sp)
            *sp = '.';
        sc->param_keys[i] = bf_strdup(key);
        sc->param_values[i] = bf_strdup(L.e[i].value);
        sc->n_params = i + 1;
        if (!sc->param_keys[i] || !sc->param_values[i]) {
            oom(&L);
            goto fail;
        }
    }
    loader_fini(&L);
    *out = sc;
    return BF_OK;
fail:
    loader_fini(&L);
    bf_scenario_destroy(sc);
    return L.st != BF_OK ? L.st : BF_EINVAL;
}

bf_status bf_scenario_load(const char *path, const char *const *sets, size_t n_sets,
                           bf_scenario **out, bf_error *err)
{
    bf_error_clear(err);
    char *buf = NULL;
    size_t len = 0;
    bf_status st = read_file(path, &buf, &len, err);
    if (st == BF_OK)
        st = bf_scenario_parse(buf, len, path, sets, n_sets, out, err);
    bf_free(buf);
    return st;
}

void bf_scenario_destroy(bf_scenario *s)
{
    if (!s)
        return;
    bf_model_destroy(s->model);
    for (size_t i = 0; i < s->n_params; i++) {
        bf_free(s->param_keys[i]);
        bf_free(s->param_values[i]);
    }
    bf_free(s->param_keys);
    bf_free(s->param_values);
    bf_free(s->path);
    bf_free(s->text);
    bf_free(s->overrides);
    bf_free(s);
}

const char *bf_scenario_param(const bf_scenario *s, const char *key)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (strcmp(s->param_keys[i], key) == 0)
            return s->param_values[i];
    return NULL;
}
