/*
 * sim_int.h - private to src/model: the layout that ties the metric
 * catalogue to the simulator's accumulators.
 *
 * A *group* is one observed quantity in one scope (the waits at station
 * fl_check by researchers, the times in system of all entities, ...).  It
 * has one bf_hist (count, sum, maximum and quantile buckets), and it owns
 * the catalogue keys <quantity>_mean, _p50, _p90, _p95, _p99, _max.  The
 * simulator finds its groups through the index tables below, so the hot
 * path never searches.
 */
#ifndef BF_SIM_INT_H
#define BF_SIM_INT_H

#include "borderflow/sim.h"

typedef enum sk_id { SK_SYSTEM, SK_CLASS, SK_STATION, SK_DELAY, SK_LINE } sk_id;

typedef enum metric_id {
    /* scalar counters and averages */
    MT_ARRIVALS,
    MT_DEPARTURES,
    MT_THROUGHPUT,   /* departures / served / passages per hour */
    MT_IN_MEAN,      /* time-average number present (system, delay) */
    MT_IN_MAX,
    MT_SERVED,
    MT_QUEUE_MEAN,
    MT_QUEUE_MAX,
    MT_UTILIZATION,
    MT_SERVERS,
    MT_PASSAGES,
    MT_BLOCKED,      /* arrivals turned away by a full station */
    MT_RENEGED,      /* entities that gave up waiting */
    MT_BLOCK_P,      /* blocked / arrivals at the station */
    MT_ABANDON_P,    /* reneged / arrivals at the station */
    MT_STAFF_HOURS,  /* server-hours on duty per day */
    MT_BUSY_HOURS,   /* server-hours spent serving per day */
    MT_H_THROUGHPUT, /* services started per hour, in one hour of the day */
    MT_H_ARRIVALS,   /* arrivals per hour, in one hour of the day */
    MT_INSPECTIONS,  /* services at stations that detect violations */
    MT_DETECTIONS,   /* violations found (intercepted) */
    MT_MISSED,       /* violators that cleared a line undetected */
    MT_CLEAN_SHARE,  /* inspections that found nothing / inspections */
    MT_VIOLATORS,    /* arrivals carrying a violation */
    MT_VOLUME_DAY,   /* data volume delivered per day, GB */
    MT_PEOPLE_HOUR,  /* occupants delivered per hour */
    /* group statistics: the key's group says which quantity */
    MT_G_MEAN,
    MT_G_P50,
    MT_G_P90,
    MT_G_P95,
    MT_G_P99,
    MT_G_MAX,
    MT_G_WAITED /* share of observations >= BF_HIST_MIN (waits only) */
} metric_id;

typedef struct key_ref {
    sk_id sk;
    int scope;  /* node, class or line index; -1 for system */
    int cls;    /* class index, -1 = all */
    metric_id metric;
    int group;  /* for MT_G_*: the group index */
    int hour;   /* for by-hour metrics: hour of day 0..23, else -1 */
} key_ref;

typedef struct bf_layout {
    key_ref *refs; /* n_keys */
    size_t n_groups;
    /* group index tables; -1 where the group does not exist */
    int g_sys_tis;
    int *g_cls_tis;      /* [C] */
    int *g_cls_wait;     /* [C] total queueing wait per entity */
    int *g_node;         /* [N] station wait / delay dwell */
    int *g_node_cls;     /* [N*C] station wait by class */
    int g_line_clear[BF_N_LINES];
    int g_line_wait[BF_N_LINES];
    int *g_line_cls;     /* [BF_N_LINES*C] clearance by class */
    bool line_used[BF_N_LINES];
    int *g_node_hour;    /* [N*24] station wait by hour of day (by_hour) */
    /* series: stations' queue length, delays' occupancy, then system */
    int *series_of_node; /* [N] */
    int series_system;
} bf_layout;

const bf_layout *bf__catalog_layout(const bf_catalog *c);

#endif
