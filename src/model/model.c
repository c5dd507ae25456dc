/*
 * model.c - building, checking and describing a bf_model, and compiling
 * route text into route programs.
 *
 * Routes compile to a flat op array so the simulator's hot path is a
 * switch on an op code with no allocation and no string handling.  A
 * branch compiles to
 *
 *     BRANCH(first choice, n)   choice 1 body   JUMP end
 *                               choice 2 body   JUMP end ...   end:
 *
 * and each choice records the op index its body starts at.  Nested
 * branches append their choices before the enclosing branch does, which is
 * why a branch collects its choices locally and appends them at the end:
 * every branch's choices are then contiguous.
 */
#include "borderflow/model.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "borderflow/units.h"

bf_model *bf_model_create(void)
{
    bf_model *m = bf_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->name = bf_strdup("model");
    m->title = bf_strdup("");
    if (!m->name || !m->title) {
        bf_model_destroy(m);
        return NULL;
    }
    m->horizon = 86400.0;
    m->warmup = 0.0;
    m->sample_every = 900.0;
    m->replications = 10;
    m->seed = 1;
    return m;
}

static void rule_fini(bf_rule *r)
{
    bf_free(r->name);
    bf_free(r->at);
    bf_dist_fini(&r->service);
}

static void node_fini(bf_node *n, size_t n_classes)
{
    bf_free(n->name);
    bf_dist_fini(&n->service);
    bf_dist_fini(&n->patience);
    bf_free(n->shift_start);
    bf_free(n->shift_servers);
    if (n->class_service) {
        for (size_t c = 0; c < n_classes; c++)
            bf_dist_fini(&n->class_service[c]);
        bf_free(n->class_service);
    }
}

void bf_model_destroy(bf_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_classes; i++) {
        bf_free(m->classes[i].name);
        bf_dist_fini(&m->classes[i].interarrival);
        bf_route_fini(&m->classes[i].route);
        bf_free(m->classes[i].profile);
        bf_dist_fini(&m->classes[i].size);
        bf_free(m->classes[i].trace_times);
        bf_free(m->classes[i].trace_attrs);
    }
    for (size_t i = 0; i < m->n_nodes; i++)
        node_fini(&m->nodes[i], m->n_classes);
    bf_free(m->classes);
    bf_free(m->nodes);
    bf_free(m->initial);
    for (size_t i = 0; i < m->n_rules; i++)
        rule_fini(&m->rules[i]);
    bf_free(m->rules);
    bf_free(m->treatments);
    bf_free(m->name);
    bf_free(m->title);
    bf_free(m);
}

int bf_model_add_class(bf_model *m, const char *name)
{
    /* Grow every node's per-class table first, so that a failure leaves
     * the model as it was (tables one entry larger are harmless). */
    for (size_t i = 0; i < m->n_nodes; i++) {
        bf_node *n = &m->nodes[i];
        bf_dist *cs = bf_realloc(n->class_service, (m->n_classes + 1) * sizeof *cs);
        if (!cs)
            return -1;
        memset(&cs[m->n_classes], 0, sizeof *cs);
        n->class_service = cs;
    }
    bf_class *cl = bf_realloc(m->classes, (m->n_classes + 1) * sizeof *cl);
    if (!cl)
        return -1;
    m->classes = cl;
    bf_class *c = &cl[m->n_classes];
    memset(c, 0, sizeof *c);
    c->name = bf_strdup(name);
    if (!c->name)
        return -1;
    c->risk[0] = 1.0; /* interarrival stays empty (type NULL): no arrivals yet */
    c->violation_whitelisted = 1.0;
    return (int)m->n_classes++;
}

int bf_model_add_node(bf_model *m, const char *name, bf_node_kind kind)
{
    bf_node *nd = bf_realloc(m->nodes, (m->n_nodes + 1) * sizeof *nd);
    if (!nd)
        return -1;
    m->nodes = nd;
    bf_node *n = &nd[m->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = bf_strdup(name);
    n->class_service = bf_calloc(m->n_classes ? m->n_classes : 1, sizeof(bf_dist));
    if (!n->name || !n->class_service) {
        bf_free(n->name);
        bf_free(n->class_service);
        return -1;
    }
    n->kind = kind;
    n->servers = kind == BF_NODE_STATION ? 1 : 0;
    n->inspect_node = -1;
    n->cargo_factor = 1.0;
    bf_dist_const(&n->service, 0.0, BF_DIST_DURATION);
    return (int)m->n_nodes++;
}

int bf_model_find_class(const bf_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_classes; i++)
        if (strcmp(m->classes[i].name, name) == 0)
            return (int)i;
    return -1;
}

int bf_model_find_node(const bf_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_nodes; i++)
        if (strcmp(m->nodes[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *bf_line_name(bf_line l)
{
    switch (l) {
    case BF_LINE_FIRST: return "first";
    case BF_LINE_SECOND: return "second";
    case BF_LINE_NONE: break;
    }
    return "none";
}

/* ---- route compiler ------------------------------------------------- */

typedef struct route_parser {
    const bf_model *m;
    const char *p;
    bf_route *r;
    size_t cap_ops, cap_choices;
    char *why;
    size_t why_len;
    int depth;
    bf_status st;
} route_parser;

#define ROUTE_MAX_DEPTH 16
#define ROUTE_MAX_CHOICES 64

static bf_status rp_fail(route_parser *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bf_status rp_fail(route_parser *rp, const char *fmt, ...)
{
    if (rp->st == BF_OK) {
        va_list ap;
        va_start(ap, fmt);
        if (rp->why && rp->why_len)
            vsnprintf(rp->why, rp->why_len, fmt, ap);
        va_end(ap);
        rp->st = BF_EINVAL;
    }
    return rp->st;
}

static void rp_skip(route_parser *rp)
{
    while (*rp->p == ' ' || *rp->p == '\t' || *rp->p == '\r' || *rp->p == '\n')
        rp->p++;
}

static long rp_emit(route_parser *rp, bf_route_opcode op, uint32_t arg, uint32_t n)
{
    bf_route *r = rp->r;
    if (r->n_ops == rp->cap_ops) {
        size_t cap = rp->cap_ops ? 2 * rp->cap_ops : 16;
        bf_route_op *ops = bf_realloc(r->ops, cap * sizeof *ops);
        if (!ops) {
            rp->st = BF_ENOMEM;
            return -1;
        }
        r->ops = ops;
        rp->cap_ops = cap;
    }
    r->ops[r->n_ops] = (bf_route_op){op, arg, n};
    return (long)r->n_ops++;
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static bf_status rp_seq(route_parser *rp, int in_branch);

static bf_status rp_branch(route_parser *rp)
{
    bf_route_choice local[ROUTE_MAX_CHOICES];
    uint32_t jumps[ROUTE_MAX_CHOICES];
    size_t n = 0;
    double sum = 0.0;

    if (++rp->depth > ROUTE_MAX_DEPTH)
        return rp_fail(rp, "branches nested more than %d deep", ROUTE_MAX_DEPTH);
    long at = rp_emit(rp, BF_OP_BRANCH, 0, 0);
    if (at < 0)
        return rp->st;
    for (;;) {
        rp_skip(rp);
        /* The share runs up to the ':'. */
        const char *colon = strchr(rp->p, ':');
        const char *stop = strpbrk(rp->p, ";)");
        if (!colon || (stop && stop < colon))
            return rp_fail(rp, "expected 'SHARE: stations' inside branch(...), "
                               "e.g. branch(25%%: sl_check; 75%%: fl_return)");
        char share[64];
        size_t len = (size_t)(colon - rp->p);
        if (len >= sizeof share)
            return rp_fail(rp, "branch share too long; expected e.g. 25%%");
        memcpy(share, rp->p, len);
        share[len] = 0;
        double prob;
        char why[160];
        if (bf_parse_share(share, &prob, why, sizeof why) != BF_OK)
            return rp_fail(rp, "bad branch share '%s': %s", share, why);
        if (n == ROUTE_MAX_CHOICES)
            return rp_fail(rp, "a branch has more than %d choices", ROUTE_MAX_CHOICES);
        rp->p = colon + 1;
        local[n].prob = prob;
        local[n].target = (uint32_t)rp->r->n_ops;
        sum += prob;
        if (rp_seq(rp, 1) != BF_OK)
            return rp->st;
        long j = rp_emit(rp, BF_OP_JUMP, 0, 0);
        if (j < 0)
            return rp->st;
        jumps[n++] = (uint32_t)j;
        rp_skip(rp);
        if (*rp->p == ';') {
            rp->p++;
            continue;
        }
        if (*rp->p == ')') {
            rp->p++;
            break;
        }
        return rp_fail(rp, "expected ';' or ')' in branch, found '%.20s'",
                       *rp->p ? rp->p : "end of text");
    }
    if (fabs(sum - 1.0) > 1e-9)
        return rp_fail(rp, "branch shares add up to %.10g%%, expected 100%%", sum * 100.0);
    uint32_t end = (uint32_t)rp->r->n_ops;
    for (size_t i = 0; i < n; i++)
        rp->r->ops[jumps[i]].arg = end;

    bf_route *r = rp->r;
    if (r->n_choices + n > rp->cap_choices) {
        size_t cap = rp->cap_choices ? 2 * rp->cap_choices : 16;
        while (cap < r->n_choices + n)
            cap *= 2;
        bf_route_choice *ch = bf_realloc(r->choices, cap * sizeof *ch);
        if (!ch) {
            rp->st = BF_ENOMEM;
            return rp->st;
        }
        r->choices = ch;
        rp->cap_choices = cap;
    }
    double cum = 0.0;
    for (size_t i = 0; i < n; i++) {
        cum += local[i].prob;
        local[i].cum = i + 1 == n ? 1.0 : cum / sum;
        r->choices[r->n_choices + i] = local[i];
    }
    r->ops[at].arg = (uint32_t)r->n_choices;
    r->ops[at].n_choices = (uint32_t)n;
    r->n_choices += n;
    rp->depth--;
    return BF_OK;
}

/* A comma-separated list of items.  In a branch the list ends at ';' or
 * ')'; at top level, at the end of the text. */
static bf_status rp_seq(route_parser *rp, int in_branch)
{
    for (;;) {
        rp_skip(rp);
        if (!*rp->p) {
            if (in_branch)
                return rp_fail(rp, "missing ')' at the end of branch(...)");
            return BF_OK;
        }
        if (in_branch && (*rp->p == ';' || *rp->p == ')'))
            return BF_OK;
        if (*rp->p == '-') { /* explicit empty choice */
            rp->p++;
        } else {
            const char *s = rp->p;
            while (is_name_char((unsigned char)*rp->p))
                rp->p++;
            size_t len = (size_t)(rp->p - s);
            if (len == 0)
                return rp_fail(rp, "expected a station or delay name, found '%.20s'", s);
            char name[128];
            if (len >= sizeof name)
                return rp_fail(rp, "name too long (more than %zu characters)", sizeof name - 1);
            memcpy(name, s, len);
            name[len] = 0;
            rp_skip(rp);
            if (strcmp(name, "branch") == 0 && *rp->p == '(') {
                rp->p++;
                if (rp_branch(rp) != BF_OK)
                    return rp->st;
            } else {
                int node = bf_model_find_node(rp->m, name);
                if (node < 0) {
                    const char *cands[256];
                    size_t nc = 0;
                    for (size_t i = 0; i < rp->m->n_nodes && nc < 256; i++)
                        cands[nc++] = rp->m->nodes[i].name;
                    const char *best = bf_closest(name, cands, nc);
                    if (best)
                        return rp_fail(rp, "route names '%s', which is not a defined station or delay; did you mean '%s'?", name, best);
                    return rp_fail(rp, "route names '%s', which is not a defined station or delay", name);
                }
                if (rp_emit(rp, BF_OP_VISIT, (uint32_t)node, 0) < 0)
                    return rp->st;
            }
        }
        rp_skip(rp);
        if (*rp->p == ',') {
            rp->p++;
            continue;
        }
        if (!*rp->p || (in_branch && (*rp->p == ';' || *rp->p == ')')))
            continue; /* handled at the top of the loop */
        return rp_fail(rp, "expected ',' between route steps, found '%.20s'", rp->p);
    }
}

bf_status bf_route_parse(const bf_model *m, const char *text, bf_route *out,
                         char *why, size_t why_len)
{
    route_parser rp = {.m = m, .p = text, .r = out, .why = why, .why_len = why_len};
    memset(out, 0, sizeof *out);
    if (why && why_len)
        why[0] = 0;
    rp_skip(&rp);
    if (!*rp.p) {
        rp_fail(&rp, "empty route; expected a list of stations, e.g. fl_check, zone, sl_check");
        goto fail;
    }
    if (rp_seq(&rp, 0) != BF_OK)
        goto fail;
    if (rp_emit(&rp, BF_OP_END, 0, 0) < 0)
        goto fail;
    out->text = bf_strdup(text);
    if (!out->text) {
        rp.st = BF_ENOMEM;
        goto fail;
    }
    return BF_OK;
fail:
    if (rp.st == BF_ENOMEM && why && why_len)
        snprintf(why, why_len, "out of memory");
    bf_route_fini(out);
    return rp.st;
}

void bf_route_fini(bf_route *r)
{
    bf_free(r->ops);
    bf_free(r->choices);
    bf_free(r->text);
    memset(r, 0, sizeof *r);
}

/* ---- reachability and validation ------------------------------------ */

bool bf_model_class_visits(const bf_model *m, size_t c, size_t n)
{
    /* The nodes class c can reach: those its route visits, closed under
     * inspection (a node sends some entities to its inspect node) and
     * under rules that send the class elsewhere ("use").  A fixpoint over
     * at most n_nodes rounds; models are small. */
    const bf_route *r = &m->classes[c].route;
    bool stack[64];
    bool *seen = m->n_nodes <= 64 ? stack : bf_calloc(m->n_nodes, sizeof *seen);
    if (!seen)
        return true; /* out of memory: answer the safe way */
    memset(seen, 0, m->n_nodes * sizeof *seen);
    for (size_t i = 0; i < r->n_ops; i++)
        if (r->ops[i].op == BF_OP_VISIT)
            seen[r->ops[i].arg] = true;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t v = 0; v < m->n_nodes; v++) {
            if (!seen[v])
                continue;
            int32_t w = m->nodes[v].inspect_node;
            if (w >= 0 && !seen[w])
                seen[w] = changed = true;
            for (size_t k = 0; k < m->n_rules; k++) {
                const bf_rule *rule = &m->rules[k];
                if (rule->enabled && rule->use >= 0 && rule->at && rule->at[v] &&
                    (rule->cls < 0 || (size_t)rule->cls == c) && !seen[rule->use])
                    seen[rule->use] = changed = true;
            }
        }
    }
    bool result = seen[n];
    if (seen != stack)
        bf_free(seen);
    return result;
}

static bool rule_matches(const bf_rule *r, size_t c, int k)
{
    int ob = k % 2, risk = (k / 2) % BF_N_RISK, pd = (k / (2 * BF_N_RISK)) % 2,
        wl = k / (4 * BF_N_RISK);
    return r->enabled && (r->cls < 0 || (size_t)r->cls == c) &&
           (r->whitelisted < 0 || r->whitelisted == wl) &&
           (r->predeclared < 0 || r->predeclared == pd) && (r->risk < 0 || r->risk == risk) &&
           (r->outbound < 0 || r->outbound == ob);
}

static bool same_match(const bf_rule *a, const bf_rule *b)
{
    return a->cls == b->cls && a->whitelisted == b->whitelisted &&
           a->predeclared == b->predeclared && a->risk == b->risk && a->outbound == b->outbound;
}

bf_status bf_model_compile_rules(bf_model *m, bf_error *err)
{
    bf_free(m->treatments);
    m->treatments = NULL;
    char sec[160];
    for (size_t i = 0; i < m->n_rules; i++) {
        const bf_rule *r = &m->rules[i];
        if (!r->enabled)
            continue;
        snprintf(sec, sizeof sec, "rule %s", r->name);
        for (size_t n = 0; n < m->n_nodes; n++)
            if (r->at[n] && r->sets_inspect && m->nodes[n].inspect_node < 0) {
                bf_error_at(err, NULL, r->line, sec, "inspect", NULL);
                return bf_error_set(err, BF_EINVAL, "rule '%s' sets the inspection share at '%s', "
                                    "which sends nobody to inspection; give '%s' an inspect = "
                                    "SHARE -> STATION first", r->name, m->nodes[n].name,
                                    m->nodes[n].name);
            }
        /* Contradictions: the same entities at the same station, the same
         * precedence, different routing.  Rules that overlap without
         * matching the same entities are resolved by precedence and then
         * file order, as documented. */
        for (size_t j = i + 1; j < m->n_rules; j++) {
            const bf_rule *q = &m->rules[j];
            if (!q->enabled || q->precedence != r->precedence || !same_match(r, q))
                continue;
            for (size_t n = 0; n < m->n_nodes; n++) {
                if (!(r->at[n] && q->at[n]))
                    continue;
                bool clash = r->sets_route && q->sets_route &&
                             (r->skip != q->skip || r->use != q->use);
                clash |= r->sets_service && q->sets_service &&
                         (r->service_scale != q->service_scale ||
                          (r->service.type != NULL) != (q->service.type != NULL) ||
                          (r->service.type && strcmp(r->service.text, q->service.text) != 0));
                clash |= r->sets_inspect && q->sets_inspect && r->inspect != q->inspect;
                clash |= r->sets_priority && q->sets_priority && r->priority != q->priority;
                if (clash) {
                    snprintf(sec, sizeof sec, "rule %s", q->name);
                    bf_error_at(err, NULL, q->line, sec, NULL, NULL);
                    return bf_error_set(err, BF_EINVAL, "rules '%s' and '%s' match the same "
                                        "entities at '%s' with the same precedence (%d) but "
                                        "treat them differently; give one a higher precedence "
                                        "or remove one",
                                        r->name, q->name, m->nodes[n].name, r->precedence);
                }
            }
        }
    }
    if (m->n_rules == 0)
        return BF_OK;
    size_t total = m->n_classes * m->n_nodes * BF_N_COMBOS;
    m->treatments = bf_malloc((total ? total : 1) * sizeof *m->treatments);
    if (!m->treatments)
        return bf_error_set(err, BF_ENOMEM, "out of memory");
    for (size_t c = 0; c < m->n_classes; c++)
        for (size_t n = 0; n < m->n_nodes; n++)
            for (int k = 0; k < BF_N_COMBOS; k++) {
                bf_treatment t = {0, 0, 1.0, NULL, -1.0, -1, -1, -1, -1, -1};
                int best[4] = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
                for (size_t i = 0; i < m->n_rules; i++) {
                    const bf_rule *r = &m->rules[i];
                    if (!r->at[n] || !rule_matches(r, c, k))
                        continue;
                    /* Highest precedence wins; among equals, the later rule. */
                    if (r->sets_route && r->precedence >= best[0]) {
                        best[0] = r->precedence;
                        t.route = r->skip ? 1 : 2;
                        t.use = r->skip ? 0 : (uint32_t)r->use;
                        t.rule_route = (int16_t)i;
                    }
                    if (r->sets_service && r->precedence >= best[1]) {
                        best[1] = r->precedence;
                        t.scale = r->service_scale;
                        t.service = r->service.type ? &r->service : NULL;
                        t.rule_service = (int16_t)i;
                    }
                    if (r->sets_inspect && r->precedence >= best[2]) {
                        best[2] = r->precedence;
                        t.inspect = r->inspect;
                        t.rule_inspect = (int16_t)i;
                    }
                    if (r->sets_priority && r->precedence >= best[3]) {
                        best[3] = r->precedence;
                        t.priority = r->priority;
                        t.rule_priority = (int16_t)i;
                    }
                }
                m->treatments[(c * m->n_nodes + n) * BF_N_COMBOS + (size_t)k] = t;
            }
    return BF_OK;
}

double bf_model_mean_rate(const bf_model *m, size_t c)
{
    const bf_class *cl = &m->classes[c];
    if (cl->arrival_kind != BF_ARR_PROFILE || !cl->profile)
        return cl->rate;
    double sum = 0;
    for (int h = 0; h < BF_HOURS_PER_WEEK; h++)
        sum += cl->profile[h];
    return cl->rate * sum / BF_HOURS_PER_WEEK;
}

void bf_model_hour_exposure(const bf_model *m, double out[24])
{
    /* Walk the observation window hour boundary by hour boundary. */
    for (int h = 0; h < 24; h++)
        out[h] = 0.0;
    double t = m->warmup;
    while (t < m->horizon) {
        double tod = fmod(m->start_clock + t, 86400.0);
        int h = (int)(tod / 3600.0);
        if (h > 23)
            h = 23;
        double step = (h + 1) * 3600.0 - tod;
        if (!(step > 0))
            step = 3600.0;
        if (t + step > m->horizon)
            step = m->horizon - t;
        out[h] += step / 3600.0;
        t += step;
    }
}

uint32_t bf_model_servers_at(const bf_model *m, size_t n, bf_time t)
{
    const bf_node *nd = &m->nodes[n];
    if (nd->n_shifts == 0)
        return nd->servers;
    double tod = fmod(m->start_clock + t, 86400.0);
    size_t i = nd->n_shifts - 1;
    while (i > 0 && nd->shift_start[i] > tod)
        i--;
    return nd->shift_servers[i];
}

uint32_t bf_model_max_servers(const bf_model *m, size_t n)
{
    const bf_node *nd = &m->nodes[n];
    uint32_t mx = nd->servers;
    for (size_t i = 0; i < nd->n_shifts; i++)
        if (nd->shift_servers[i] > mx)
            mx = nd->shift_servers[i];
    return mx;
}

double bf_model_expected_visits(const bf_model *m, size_t c, size_t n)
{
    /* Routes only jump forward (branches and their closing jumps target
     * later ops), so the probability of reaching each op follows from one
     * pass in op order.  A visit then adds its probability to the node and,
     * through the inspection chain, to the inspection nodes. */
    const bf_route *r = &m->classes[c].route;
    if (r->n_ops == 0)
        return 0.0;
    double stack[64];
    double *reach = r->n_ops <= 64 ? stack : bf_calloc(r->n_ops, sizeof *reach);
    if (!reach)
        return NAN;
    memset(reach, 0, r->n_ops * sizeof *reach);
    reach[0] = 1.0;
    double visits = 0.0;
    for (size_t i = 0; i < r->n_ops; i++) {
        const bf_route_op *op = &r->ops[i];
        double p = reach[i];
        switch (op->op) {
        case BF_OP_VISIT: {
            size_t w = op->arg;
            double q = p;
            if (w == n)
                visits += q;
            for (size_t steps = 0; steps < m->n_nodes && m->nodes[w].inspect_node >= 0; steps++) {
                q *= m->nodes[w].inspect_prob;
                w = (size_t)m->nodes[w].inspect_node;
                if (w == n)
                    visits += q;
            }
            if (i + 1 < r->n_ops)
                reach[i + 1] += p;
            break;
        }
        case BF_OP_BRANCH:
            for (uint32_t k = 0; k < op->n_choices; k++) {
                const bf_route_choice *ch = &r->choices[op->arg + k];
                reach[ch->target] += p * ch->prob;
            }
            break;
        case BF_OP_JUMP:
            reach[op->arg] += p;
            break;
        case BF_OP_END:
            break;
        }
    }
    if (reach != stack)
        bf_free(reach);
    return visits;
}

bf_status bf_model_validate(const bf_model *m, bf_error *err)
{
    if (m->n_classes == 0)
        return bf_error_set(err, BF_EINVAL, "the scenario defines no entity class; "
                            "expected at least one [class NAME] section");
    if (m->n_nodes == 0)
        return bf_error_set(err, BF_EINVAL, "the scenario defines no station or delay; "
                            "expected at least one [station NAME] or [delay NAME] section");
    if (m->sample_every > 0 && m->horizon / m->sample_every > 1e7) {
        bf_error_at(err, NULL, -1, "simulation", "sample_every", NULL);
        return bf_error_set(err, BF_EINVAL, "the horizon holds more than 10 million sampling "
                            "intervals; choose a longer sample_every");
    }
    if (!(m->horizon > m->warmup)) {
        bf_error_at(err, NULL, -1, "simulation", "warmup", NULL);
        return bf_error_set(err, BF_EINVAL, "the warm-up must be shorter than the horizon");
    }
    for (size_t i = 0; i < m->n_nodes; i++) {
        const bf_node *n = &m->nodes[i];
        if (n->inspect_node < 0)
            continue;
        size_t w = i;
        for (size_t steps = 0; m->nodes[w].inspect_node >= 0; steps++) {
            w = (size_t)m->nodes[w].inspect_node;
            if (w == i || steps > m->n_nodes) {
                char sec[160];
                snprintf(sec, sizeof sec, "station %s", n->name);
                bf_error_at(err, NULL, -1, sec, "inspect", NULL);
                return bf_error_set(err, BF_EINVAL, "inspection from '%s' leads back to "
                                    "itself; expected a chain that ends", n->name);
            }
        }
    }
    for (size_t c = 0; c < m->n_classes; c++) {
        const bf_class *cl = &m->classes[c];
        char sec[160];
        snprintf(sec, sizeof sec, "class %s", cl->name);
        if (!cl->route.ops) {
            bf_error_at(err, NULL, -1, sec, "route", NULL);
            return bf_error_set(err, BF_EINVAL, "class '%s' has no route; expected e.g. "
                                "route = fl_check, zone, sl_check", cl->name);
        }
        if (!(cl->rate > 0)) {
            bf_error_at(err, NULL, -1, sec, "arrivals", NULL);
            return bf_error_set(err, BF_EINVAL, "class '%s' has no arrivals; expected e.g. "
                                "arrivals = poisson(rate=120/h)", cl->name);
        }
        /* Beyond a million arrivals a second the gaps fall below what the
         * clock can resolve late in a long run, and time would stop. */
        double peak = cl->rate;
        if (cl->arrival_kind == BF_ARR_PROFILE)
            for (int h = 0; h < BF_HOURS_PER_WEEK; h++)
                if (cl->rate * cl->profile[h] > peak)
                    peak = cl->rate * cl->profile[h];
        if (peak > 1e6) {
            bf_error_at(err, NULL, -1, sec, "arrivals", NULL);
            return bf_error_set(err, BF_EINVAL, "class '%s' arrives at up to %.3g per second; "
                                "at most 1000000 per second is supported", cl->name, peak);
        }
    }
    return BF_OK;
}

/* ---- description ---------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = bf_realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

static void describe_route(sbuf *b, const bf_model *m, const bf_route *r)
{
    for (size_t i = 0; i < r->n_ops; i++) {
        const bf_route_op *op = &r->ops[i];
        switch (op->op) {
        case BF_OP_VISIT:
            sb_printf(b, "      %3zu  visit  %s\n", i, m->nodes[op->arg].name);
            break;
        case BF_OP_BRANCH:
            sb_printf(b, "      %3zu  branch", i);
            for (uint32_t k = 0; k < op->n_choices; k++) {
                const bf_route_choice *ch = &r->choices[op->arg + k];
                sb_printf(b, "%s %.4g%% -> %u", k ? "," : "", ch->prob * 100.0, ch->target);
            }
            sb_printf(b, "\n");
            break;
        case BF_OP_JUMP:
            sb_printf(b, "      %3zu  jump   %u\n", i, op->arg);
            break;
        case BF_OP_END:
            sb_printf(b, "      %3zu  leave\n", i);
            break;
        }
    }
}

bf_status bf_model_describe(const bf_model *m, char **text)
{
    sbuf b = {0};
    char h[32], w[32], se[32];
    bf_format_duration(m->horizon, h, sizeof h);
    bf_format_duration(m->warmup, w, sizeof w);
    bf_format_duration(m->sample_every, se, sizeof se);
    sb_printf(&b, "scenario %s%s%s\n", m->name, m->title[0] ? ": " : "", m->title);
    static const char *const days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    sb_printf(&b, "  horizon %s, warm-up %s, %d replications, seed %llu, samples every %s\n",
              h, w, m->replications, (unsigned long long)m->seed,
              m->sample_every > 0 ? se : "(off)");
    sb_printf(&b, "  starts %s %02d:%02d; statistics by hour of day: %s\n", days[m->start_day],
              (int)(m->start_clock / 3600), (int)fmod(m->start_clock / 60, 60),
              m->by_hour ? "yes" : "no");
    sb_printf(&b, "\nclasses (%zu)\n", m->n_classes);
    for (size_t c = 0; c < m->n_classes; c++) {
        const bf_class *cl = &m->classes[c];
        sb_printf(&b, "  %s\n", cl->name);
        switch (cl->arrival_kind) {
        case BF_ARR_RENEWAL:
            if (cl->interarrival.type)
                sb_printf(&b, "    arrivals     %.6g/h, interarrival %s (mean %.6gs)\n",
                          cl->rate * 3600.0, cl->interarrival.text,
                          bf_dist_mean(&cl->interarrival));
            else
                sb_printf(&b, "    arrivals     none\n");
            break;
        case BF_ARR_PROFILE: {
            double mx = 0;
            for (int k = 0; k < BF_HOURS_PER_WEEK; k++)
                if (cl->profile[k] > mx)
                    mx = cl->profile[k];
            sb_printf(&b, "    arrivals     Poisson, %.6g/h x hourly profile: %.6g/h on average "
                          "over the week, peak %.6g/h\n",
                      cl->rate * 3600.0, bf_model_mean_rate(m, c) * 3600.0, cl->rate * mx * 3600.0);
            sb_printf(&b, "    profile     ");
            for (int k = 0; k < 24; k++)
                sb_printf(&b, " %.3g", cl->profile[(m->start_day * 24 + k) % BF_HOURS_PER_WEEK]);
            sb_printf(&b, "  (hours 0-23 of the first day)\n");
            break;
        }
        case BF_ARR_BATCH:
            sb_printf(&b, "    arrivals     groups of up to %u every %.6gs (first at %.6gs), each "
                          "seat taken with %.4g%%: %.6g/h\n",
                      cl->batch_size, cl->batch_every, cl->batch_offset, cl->batch_fill * 100,
                      cl->rate * 3600.0);
            break;
        case BF_ARR_TRACE:
            sb_printf(&b, "    arrivals     trace of %zu arrivals, from %.6gs to %.6gs\n",
                      cl->n_trace, cl->trace_times[0], cl->trace_times[cl->n_trace - 1]);
            break;
        }
        if (cl->booked > 0)
            sb_printf(&b, "    booked       %.4g%% book a slot every %.6gs and arrive around its "
                          "start (SD %.6gs)\n",
                      cl->booked * 100, cl->slot, cl->punctuality);
        sb_printf(&b, "    whitelisted  %.4g%%   predeclared %.4g%%\n",
                  cl->whitelisted * 100.0, cl->predeclared * 100.0);
        sb_printf(&b, "    risk         low %.4g%%, medium %.4g%%, high %.4g%%\n",
                  cl->risk[0] * 100.0, cl->risk[1] * 100.0, cl->risk[2] * 100.0);
        if (cl->outbound > 0)
            sb_printf(&b, "    outbound     %.4g%%\n", cl->outbound * 100.0);
        if (cl->violation[0] > 0 || cl->violation[1] > 0 || cl->violation[2] > 0)
            sb_printf(&b, "    violation    low %.4g%%, medium %.4g%%, high %.4g%% (x%.4g if "
                          "white-listed)\n",
                      cl->violation[0] * 100, cl->violation[1] * 100, cl->violation[2] * 100,
                      cl->violation_whitelisted);
        if (cl->size_kind == BF_SIZE_VOLUME)
            sb_printf(&b, "    volume       %s bytes (mean %.4g GB)\n", cl->size.text,
                      bf_dist_mean(&cl->size) / 1e9);
        if (cl->size_kind == BF_SIZE_OCCUPANCY)
            sb_printf(&b, "    occupancy    %s people (mean %.4g)\n", cl->size.text,
                      bf_dist_mean(&cl->size));
        if (cl->cargo > 0)
            sb_printf(&b, "    cargo        %.4g%%\n", cl->cargo * 100.0);
        sb_printf(&b, "    priority     %d\n", cl->priority);
        sb_printf(&b, "    route        %s\n", cl->route.text ? cl->route.text : "(none)");
        describe_route(&b, m, &cl->route);
        for (size_t i = 0; i < m->n_rules; i++) {
            const bf_rule *r = &m->rules[i];
            if (!r->enabled || (r->cls >= 0 && (size_t)r->cls != c))
                continue;
            bool relevant = false;
            for (size_t n = 0; n < m->n_nodes; n++)
                relevant |= r->at[n] && bf_model_class_visits(m, c, n);
            if (!relevant)
                continue;
            sb_printf(&b, "    rule %-12s at", r->name);
            for (size_t n = 0; n < m->n_nodes; n++)
                if (r->at[n] && bf_model_class_visits(m, c, n))
                    sb_printf(&b, " %s", m->nodes[n].name);
            sb_printf(&b, ":");
            if (r->sets_route)
                sb_printf(&b, r->skip ? " skip" : " use %s", r->skip ? "" : m->nodes[r->use].name);
            if (r->sets_service) {
                if (r->service.type)
                    sb_printf(&b, " service %s", r->service.text);
                if (r->service_scale != 1.0)
                    sb_printf(&b, " service x%.4g", r->service_scale);
            }
            if (r->sets_inspect)
                sb_printf(&b, " inspect %.4g%%", r->inspect * 100);
            if (r->sets_priority)
                sb_printf(&b, " priority %d", r->priority);
            sb_printf(&b, "  when");
            bool any = false;
            if (r->whitelisted >= 0) {
                sb_printf(&b, " %swhitelisted", r->whitelisted ? "" : "not ");
                any = true;
            }
            if (r->predeclared >= 0) {
                sb_printf(&b, " %spredeclared", r->predeclared ? "" : "not ");
                any = true;
            }
            if (r->risk >= 0) {
                static const char *const lv[] = {"low", "medium", "high"};
                sb_printf(&b, " risk %s", lv[r->risk]);
                any = true;
            }
            if (r->outbound >= 0) {
                sb_printf(&b, " %s", r->outbound ? "outbound" : "inbound");
                any = true;
            }
            sb_printf(&b, "%s (precedence %d)\n", any ? "" : " always", r->precedence);
        }
    }
    sb_printf(&b, "\nstations and delays (%zu)\n", m->n_nodes);
    for (size_t i = 0; i < m->n_nodes; i++) {
        const bf_node *n = &m->nodes[i];
        if (n->kind == BF_NODE_STATION) {
            sb_printf(&b, "  station %s  (line %s, %u server%s, %s)\n", n->name,
                      bf_line_name(n->line), n->servers, n->servers == 1 ? "" : "s",
                      n->discipline == BF_DISC_FIFO ? "fifo" : "priority");
            sb_printf(&b, "    service      %s (mean %.6gs)\n", n->service.text,
                      bf_dist_mean(&n->service));
        } else {
            sb_printf(&b, "  delay %s  (line %s, infinite servers)\n", n->name,
                      bf_line_name(n->line));
            sb_printf(&b, "    time         %s (mean %.6gs)\n", n->service.text,
                      bf_dist_mean(&n->service));
        }
        for (size_t c = 0; c < m->n_classes; c++)
            if (n->class_service[c].type)
                sb_printf(&b, "    %-12s %s (mean %.6gs)\n", m->classes[c].name,
                          n->class_service[c].text, bf_dist_mean(&n->class_service[c]));
        if (n->inspect_node >= 0)
            sb_printf(&b, "    inspect      %.4g%% -> %s\n", n->inspect_prob * 100.0,
                      m->nodes[n->inspect_node].name);
        if (n->n_shifts) {
            sb_printf(&b, "    schedule    ");
            for (size_t k = 0; k < n->n_shifts; k++) {
                double end = k + 1 < n->n_shifts ? n->shift_start[k + 1] : 86400.0;
                sb_printf(&b, "%s %02d:%02d-%02d:%02d %u", k ? "," : "",
                          (int)(n->shift_start[k] / 3600), (int)fmod(n->shift_start[k] / 60, 60),
                          (int)(end / 3600), (int)fmod(end / 60, 60), n->shift_servers[k]);
            }
            sb_printf(&b, "\n");
        }
        if (n->capacity)
            sb_printf(&b, "    capacity     %u (arrivals finding it full are turned away)\n",
                      n->capacity);
        if (n->detection > 0)
            sb_printf(&b, "    detection    %.4g%% of violations found per inspection\n",
                      n->detection * 100);
        if (n->bandwidth > 0)
            sb_printf(&b, "    bandwidth    %.4g Gbit/s per channel (transfer time = volume / "
                          "bandwidth, added to service)\n", n->bandwidth / 1e9);
        if (n->per_occupant > 0)
            sb_printf(&b, "    per occupant +%.4gs of service per person on board\n",
                      n->per_occupant);
        if (n->cargo_factor != 1.0)
            sb_printf(&b, "    cargo        service x%.4g when carrying cargo\n", n->cargo_factor);
        if (n->patience.type)
            sb_printf(&b, "    patience     %s (mean %.6gs), then the entity leaves\n",
                      n->patience.text, bf_dist_mean(&n->patience));
        sb_printf(&b, "    visited by  ");
        bool any = false;
        for (size_t c = 0; c < m->n_classes; c++)
            if (bf_model_class_visits(m, c, i)) {
                sb_printf(&b, " %s", m->classes[c].name);
                any = true;
            }
        sb_printf(&b, "%s\n", any ? "" : " (no class: unused)");
        if (n->kind == BF_NODE_STATION) {
            /* Offered load, so an analyst sees an overloaded station before
             * running: sum over classes of rate x expected visits per
             * entity x mean service; unstable if it reaches the servers. */
            double load = 0.0;
            for (size_t c = 0; c < m->n_classes; c++)
                load += bf_model_mean_rate(m, c) * bf_model_expected_visits(m, c, i) *
                        bf_dist_mean(bf_model_service(m, i, c));
            sb_printf(&b, "    offered load %.3g busy servers on average (%.3g%% of %u)%s\n",
                      load, 100.0 * load / n->servers, n->servers,
                      load >= n->servers ? "  WARNING: may be unstable" : "");
        }
    }
    sb_printf(&b, "\n  (Offered load counts routes and inspection shares at the stations' own "
                  "service times; rules, data transfers and vehicle occupants are not in it: "
                  "run to see the effect.)\n");
    if (m->n_initial) {
        sb_printf(&b, "\ninitial state (present at the start)\n");
        for (size_t i = 0; i < m->n_initial; i++)
            sb_printf(&b, "  %u %s at %s\n", m->initial[i].count,
                      m->classes[m->initial[i].cls].name, m->nodes[m->initial[i].node].name);
    }
    if (b.oom) {
        bf_free(b.s);
        return BF_ENOMEM;
    }
    *text = b.s;
    return BF_OK;
}
