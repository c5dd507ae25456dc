/*
 * model.h - the resolved description of a border system: entity classes,
 * stations, delays and routes, plus the run settings.  It is plain data,
 * built by the scenario loader (or by hand in tests) and read, never
 * written, by the simulator; one model may be shared by many threads.
 *
 * Vocabulary.  A *class* is a kind of entity (researcher, material,
 * vehicle, data) with an arrival process, attribute shares and a route.
 * A *node* is a place an entity visits: a *station* (a multi-server queue
 * that belongs to the first line, the second line or neither) or a *delay*
 * (infinite servers: pure dwell time, e.g. time inside the zone).  A
 * *route* is a small program of VISIT / BRANCH / JUMP / END steps.
 *
 * Route text:  item, item, ...   where an item is a node name or
 *   branch(P1: items; P2: items; ...)
 * with P a share ("25%" or "0.25"), shares summing to 1, items inside a
 * choice separated by commas, and branches nested to any depth.  An empty
 * choice ("75%: -" or "75%:") continues after the branch.  Example:
 *   fl_check, zone, branch(25%: sl_check, mainland; 75%: fl_return)
 *
 * Inspection.  A station may send a share of the entities it served to
 * another station (secondary inspection) before they continue their
 * route: node.inspect_prob and node.inspect_node.
 *
 * Memory: the model owns every string, array and distribution in it;
 * bf_model_destroy frees them all.
 */
#ifndef BORDERFLOW_MODEL_H
#define BORDERFLOW_MODEL_H

#include "borderflow/common.h"
#include "borderflow/dist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum bf_line { BF_LINE_NONE = 0, BF_LINE_FIRST = 1, BF_LINE_SECOND = 2 } bf_line;
#define BF_N_LINES 3

typedef enum bf_node_kind { BF_NODE_STATION, BF_NODE_DELAY } bf_node_kind;
typedef enum bf_discipline { BF_DISC_FIFO, BF_DISC_PRIORITY } bf_discipline;

#define BF_N_RISK 3 /* low, medium, high */
#define BF_MAX_PRIORITY 9

typedef enum bf_route_opcode {
    BF_OP_VISIT,  /* visit node, then next op */
    BF_OP_BRANCH, /* pick a choice by probability, jump to its target */
    BF_OP_JUMP,   /* continue at target */
    BF_OP_END     /* leave the system */
} bf_route_opcode;

typedef struct bf_route_op {
    bf_route_opcode op;
    uint32_t arg;       /* VISIT: node; JUMP: target; BRANCH: first choice */
    uint32_t n_choices; /* BRANCH only */
} bf_route_op;

typedef struct bf_route_choice {
    double cum;      /* cumulative probability, last one is exactly 1 */
    double prob;
    uint32_t target; /* op index */
} bf_route_choice;

typedef struct bf_route {
    bf_route_op *ops;
    size_t n_ops;
    bf_route_choice *choices;
    size_t n_choices;
    char *text; /* as written, normalised blanks */
} bf_route;

#define BF_HOURS_PER_WEEK 168
enum { BF_SIZE_NONE, BF_SIZE_VOLUME, BF_SIZE_OCCUPANCY };

typedef enum bf_arrival_kind {
    BF_ARR_RENEWAL, /* i.i.d. inter-arrival times (Poisson: exponential) */
    BF_ARR_PROFILE, /* Poisson with an hour-of-week rate profile (NHPP) */
    BF_ARR_BATCH,   /* groups at fixed intervals (shuttles) */
    BF_ARR_TRACE    /* times read from a file */
} bf_arrival_kind;

typedef struct bf_class {
    char *name;
    bf_arrival_kind arrival_kind;
    bf_dist interarrival; /* RENEWAL; type NULL until set: no arrivals */
    double rate;          /* mean arrivals per second: RENEWAL 1/mean
                           * interarrival; PROFILE the base rate the
                           * multipliers scale; BATCH mean entities per
                           * second; TRACE entries per second of trace */
    double *profile;      /* PROFILE: BF_HOURS_PER_WEEK multipliers, hour 0
                           * = Monday 00:00-01:00; owned */
    double batch_every;   /* BATCH: seconds between groups */
    double batch_offset;  /* BATCH: time of the first group */
    uint32_t batch_size;  /* BATCH: seats per group */
    double batch_fill;    /* BATCH: chance each seat is taken (binomial) */
    double *trace_times;  /* TRACE: sorted arrival times, s; owned */
    int8_t *trace_attrs;  /* TRACE: per arrival whitelisted, predeclared,
                           * risk (-1: draw as usual); 3 per arrival; owned */
    size_t n_trace;
    double outbound;      /* share travelling outbound (direction) */
    /* Security: chance an entity carries a violation, by risk level, and
     * the factor applied for white-listed entities. */
    double violation[BF_N_RISK];
    double violation_whitelisted; /* multiplier, default 1 */
    /* Size: data volume in bytes (BF_SIZE_VOLUME) or occupants of a
     * vehicle (BF_SIZE_OCCUPANCY); type NULL: no size. */
    int size_kind;
    bf_dist size;
    double cargo;         /* share carrying cargo (vehicles) */
    double booked;        /* share that books a slot */
    double slot;          /* slot length, s */
    double punctuality;   /* SD of arrival around the slot start, s */
    double whitelisted;   /* share in [0,1] */
    double predeclared;   /* share in [0,1] */
    double risk[BF_N_RISK]; /* shares, sum 1 */
    int priority;         /* 0..BF_MAX_PRIORITY, higher is served first */
    bf_route route;
} bf_class;

typedef struct bf_node {
    char *name;
    bf_node_kind kind;
    bf_line line;
    uint32_t servers;     /* stations; 0 for delays (infinite) */
    bf_discipline discipline;
    bf_dist service;      /* station service time, or delay dwell time */
    bf_dist *class_service; /* n_classes entries; type NULL = use service */
    double inspect_prob;
    int32_t inspect_node; /* -1: none */
    /* Staffing: servers by time of day, a daily cycle.  n_shifts == 0: always
     * `servers`.  shift_start[i] (seconds after midnight, increasing, the
     * first is 0) starts shift i with shift_servers[i] (0 = closed). */
    size_t n_shifts;
    double *shift_start;
    uint32_t *shift_servers;
    uint32_t capacity;    /* stations: most entities waiting + in service;
                           * 0 = unlimited.  An arrival that finds it full
                           * is blocked and leaves the system. */
    bf_dist patience;     /* stations: time an entity waits before it gives
                           * up and leaves (type NULL: infinite) */
    double detection;     /* stations: chance a service detects a violation
                           * the entity carries (0: not an inspection) */
    double bandwidth;     /* stations: bits/s per server; service time =
                           * size x 8 / bandwidth + service (0: unused) */
    double per_occupant;  /* stations: seconds added per occupant */
    double cargo_factor;  /* stations: service x this for cargo (default 1) */
} bf_node;

/* Attribute combinations a rule can tell apart: white-listed (2) x
 * pre-declared (2) x risk (3) x outbound (2). */
#define BF_N_COMBOS 24
static inline int bf_combo(int whitelisted, int predeclared, int risk, int outbound)
{
    return ((whitelisted * 2 + predeclared) * BF_N_RISK + risk) * 2 + outbound;
}

/* A facilitation rule: a match (class and attributes), the stations it
 * applies at, and effects.  See docs/scenario-reference.md for the
 * precedence rules. */
typedef struct bf_rule {
    char *name;
    bool enabled;
    int precedence;
    int cls;             /* -1: any class */
    int8_t whitelisted;  /* -1 any, 0 no, 1 yes */
    int8_t predeclared;
    int8_t risk;         /* -1 any, else level */
    int8_t outbound;     /* -1 any, 0 inbound, 1 outbound */
    bool *at;            /* n_nodes flags; owned */
    bool sets_route;     /* skip or use */
    bool skip;
    int32_t use;         /* station, or -1 */
    bool sets_service;
    double service_scale;
    bf_dist service;     /* type NULL: scale only */
    bool sets_inspect;
    double inspect;
    bool sets_priority;
    int priority;
    int line;            /* scenario line of the rule, for messages */
} bf_rule;

/* What happens to an entity of one class with one attribute combination
 * at one node, after all rules are applied. */
typedef struct bf_treatment {
    uint8_t route;        /* 0 visit, 1 skip, 2 use `use` instead */
    uint32_t use;
    double scale;         /* service time factor */
    const bf_dist *service; /* replaces the station's distribution, or NULL */
    double inspect;       /* inspection probability (< 0: the station's) */
    int priority;         /* queue priority (< 0: the class's) */
    int16_t rule_route, rule_service, rule_inspect, rule_priority; /* -1: none */
} bf_treatment;

/* Entities present when the run starts. */
typedef struct bf_initial {
    uint32_t node, cls, count;
} bf_initial;

typedef struct bf_model {
    char *name;   /* short name, e.g. file name without .ini */
    char *title;  /* one line, from [simulation] title, may be "" */
    bf_time horizon, warmup, sample_every; /* seconds; sample_every 0: off */
    int replications;
    uint64_t seed;
    double start_clock;  /* time of day at t = 0, seconds after midnight */
    int start_day;       /* day of week at t = 0, 0 = Monday */
    bool by_hour;        /* collect statistics by hour of day */
    bf_initial *initial;
    size_t n_initial;
    bf_rule *rules;
    size_t n_rules;
    /* [class][node][combo], filled by bf_model_compile_rules; NULL when
     * there are no rules (every treatment is the default). */
    bf_treatment *treatments;
    bf_class *classes;
    size_t n_classes;
    bf_node *nodes;
    size_t n_nodes;
} bf_model;

/* An empty model with the defaults (horizon 1d, no warm-up, 10
 * replications, seed 1, sampling every 15 min).  NULL if out of memory. */
bf_model *bf_model_create(void);
void bf_model_destroy(bf_model *m);

/* Appends a class / node with the given name and defaults; the name is
 * copied.  Returns its index, or -1 if out of memory.  Adding a class after
 * nodes exist grows every node's class_service array. */
int bf_model_add_class(bf_model *m, const char *name);
int bf_model_add_node(bf_model *m, const char *name, bf_node_kind kind);

/* Index of the class / node with this name, or -1. */
int bf_model_find_class(const bf_model *m, const char *name);
int bf_model_find_node(const bf_model *m, const char *name);

/* Compiles route text against the model's nodes into *out (which must be
 * zeroed).  BF_EINVAL with a sentence in why (unknown node with a
 * suggestion, shares not summing to 100%, unbalanced parentheses ...). */
bf_status bf_route_parse(const bf_model *m, const char *text, bf_route *out,
                         char *why, size_t why_len);
void bf_route_fini(bf_route *r);

/* Checks the model as a whole (servers > 0, horizon > warm-up, inspection
 * without cycles ...).  BF_EINVAL and a sentence in err->msg, with
 * err->section set to the culprit. */
bf_status bf_model_validate(const bf_model *m, bf_error *err);

/* The effective service distribution of class c at node n. */
static inline const bf_dist *bf_model_service(const bf_model *m, size_t n, size_t c)
{
    const bf_node *nd = &m->nodes[n];
    return nd->class_service && nd->class_service[c].type ? &nd->class_service[c]
                                                          : &nd->service;
}

/* True if class c can ever visit node n (through its route or through
 * inspection from a node it visits). */
bool bf_model_class_visits(const bf_model *m, size_t c, size_t n);

/* Hours of the observation window (warm-up to horizon) that fall in
 * each hour of the day, 0 = 00:00-01:00.  O(window in hours). */
void bf_model_hour_exposure(const bf_model *m, double out[24]);

/* Mean arrival rate of class c per second, over a week for profiles. */
double bf_model_mean_rate(const bf_model *m, size_t c);

/* Resolves the rules into the treatment table and checks them:
 * contradictory rules (same match, same precedence, different stations),
 * inspection set where the station has no inspection target.  BF_EINVAL
 * with the rule named in err->section.  Call after the model is complete. */
bf_status bf_model_compile_rules(bf_model *m, bf_error *err);

/* The treatment of class c, attribute combination k, at node n. */
static inline const bf_treatment *bf_model_treatment(const bf_model *m, size_t c, size_t n,
                                                     int k)
{
    return &m->treatments[(c * m->n_nodes + n) * BF_N_COMBOS + (size_t)k];
}

/* Servers on duty at node n at simulated time t (its staffing schedule,
 * or its fixed servers). */
uint32_t bf_model_servers_at(const bf_model *m, size_t n, bf_time t);

/* Largest number of servers node n ever has on duty. */
uint32_t bf_model_max_servers(const bf_model *m, size_t n);

/* Expected number of visits an entity of class c makes to node n,
 * following branch and inspection probabilities (NAN if out of memory).
 * rate x visits x mean service is the node's offered load. */
double bf_model_expected_visits(const bf_model *m, size_t c, size_t n);

/* A readable, multi-line description of the resolved model (what
 * `borderflow check` prints).  OUT: *text, freed with bf_free. */
bf_status bf_model_describe(const bf_model *m, char **text);

const char *bf_line_name(bf_line l); /* "none", "first", "second" */

#ifdef __cplusplus
}
#endif
#endif
