/*
 * labels.c - the words on charts and in briefings, in English and
 * Simplified Chinese, and the formatting of numbers and units.
 *
 * The words of the charts live in the tables below, keyed by the English
 * phrase, so a translation is reviewed in one place and a missing one
 * shows up as the English key rather than as an empty label (the words
 * of the briefing pages sit in briefing.c, each English text beside its
 * Chinese one).  Names the analyst chose
 * in the scenario (stations, delays) are shown as they are; the classes
 * and lines of the shipped scenarios have Chinese names.
 */
#include "report/report_int.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct phrase {
    const char *en, *zh;
} phrase;

/* Fixed phrases.  Placeholders (%s, %d) appear in both languages in the
 * same order. */
static const phrase phrases[] = {
    {"scenario", "情景"},
    {"scenarios", "情景"},
    {"run", "运行"},
    {"runs", "运行"},
    {"%d replications", "%d 次重复"},
    {"%d-%d replications", "%d–%d 次重复"},
    {"seed", "随机种子"},
    {"seeds", "随机种子"},
    {"95% confidence intervals (Student t across replications)",
     "95% 置信区间（各次重复之间的 Student t 区间）"},
    {"time of day (h)", "时刻（时）"},
    {"simulated time (days)", "仿真时间（天）"},
    {"warm-up", "预热期"},
    {"Queue length by time of day", "各时段排队长度"},
    {"Queue length over the run", "排队长度随时间变化"},
    {"Number present by time of day", "各时段在场数量"},
    {"Number present over the run", "在场数量随时间变化"},
    {"Number in the system by time of day", "各时段系统内数量"},
    {"Number in the system over the run", "系统内数量随时间变化"},
    {"Occupancy by time of day", "各时段数量"},
    {"Occupancy over the run", "数量随时间变化"},
    {"number waiting", "排队数量"},
    {"number present", "在场数量"},
    {"number in the system", "系统内数量"},
    {"number", "数量"},
    {"whole system", "整个系统"},
    {"lines: mean over replications and days %s; bands: 95%% CI across replications",
     "线：%s各天及各次重复的均值；阴影：各次重复间的 95%% 置信区间"},
    {"lines: mean over replications; bands: 95% CI across replications; warm-up shaded",
     "线：各次重复的均值；阴影：各次重复间的 95% 置信区间；灰色区域为预热期"},
    {"Waiting time distribution", "等待时间分布"},
    {"Time in system distribution", "系统内停留时间分布"},
    {"Clearance time distribution", "通关时间分布"},
    {"Dwell time distribution", "停留时间分布"},
    {"waiting time", "等待时间"},
    {"time in system", "系统内停留时间"},
    {"clearance time", "通关时间"},
    {"dwell time", "停留时间"},
    {"share with %s at most x (%%)", "%s不超过 x 的比例（%%）"},
    {"pooled over all replications; legend: share within the target",
     "汇总全部重复；图例括号内为达标比例"},
    {"pooled over all replications (no CI: one distribution)",
     "汇总全部重复的分布（单一分布，无置信区间）"},
    {"%.0f%% within %s", "%.0f%% 不超过 %s"},
    {"target %s", "目标 %s"},
    {"Station utilization and staffing", "各站点利用率与人员配置"},
    {"utilization (%)", "利用率（%）"},
    {"bars: mean utilization (busy servers / servers on duty); whiskers: 95% CI",
     "柱：平均利用率（忙碌服务台 / 在岗服务台）；误差线：95% 置信区间"},
    {"1 server", "1 个服务台"},
    {"%g servers", "%g 个服务台"},
    {"%.1f servers (avg)", "平均 %.1f 个服务台"},
    {"%d-%d servers, avg %.1f", "%d–%d 个服务台，平均 %.1f"},
    {"first line", "一线"},
    {"second line", "二线"},
    {"no line", "其他"},
    {"station", "站点"},
    {"%s: base vs policy", "%s：基准与政策对比"},
    {"base", "基准"},
    {"policy", "政策"},
    {"bars: means with 95% CI; labels: paired difference policy - base with 95% CI "
     "(common random numbers)",
     "柱：均值及 95% 置信区间；标注：政策减基准的配对差值及 95% 置信区间（共同随机数）"},
    {"%s vs %s", "%s 随 %s 的变化"},
    {"points: means; bars: 95% CI across replications", "点：均值；误差线：各次重复间的 95% 置信区间"},
    {"mean", "均值"},
    {"entities", "个"},
    {"per hour", "每小时"},
    {"servers", "个"},
    {"share", "比例"},
};

int bf__lang_parse(const char *name, lang *out)
{
    if (!name || strcmp(name, "en") == 0) {
        *out = LANG_EN;
        return 0;
    }
    if (strcmp(name, "zh") == 0 || strcmp(name, "zh-CN") == 0 || strcmp(name, "zh_CN") == 0) {
        *out = LANG_ZH;
        return 0;
    }
    return -1;
}

const char *bf__L(lang l, const char *key)
{
    for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
        if (strcmp(phrases[i].en, key) == 0)
            return l == LANG_ZH ? phrases[i].zh : phrases[i].en;
    /* A phrase used in the code must be in the table: a bug otherwise.
     * Release builds fall back to the English key. */
    assert(!"phrase missing from labels.c");
    return key;
}

const char *bf__lang_font(lang l)
{
    /* Noto Sans CJK SC (Debian: fonts-noto-cjk) has Simplified Chinese
     * glyphs; DejaVu Sans (fonts-dejavu-core) is on every Debian system. */
    return l == LANG_ZH ? "Noto Sans CJK SC" : "DejaVu Sans";
}

static const phrase names[] = {
    {"researcher", "科研人员"}, {"material", "科研物资"}, {"vehicle", "车辆"},
    {"data", "数据"},           {"first", "一线"},        {"second", "二线"},
    {"system", "整个系统"},     {"all", "全部"},
};

const char *bf__name_label(lang l, const char *name)
{
    if (l != LANG_ZH)
        return name;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].en, name) == 0)
            return names[i].zh;
    return name;
}

const char *bf__scope_label(lang l, const char *scope_kind, const char *scope)
{
    if (strcmp(scope_kind, "system") == 0)
        return bf__L(l, "whole system");
    if (strcmp(scope_kind, "line") == 0) {
        if (strcmp(scope, "first") == 0)
            return bf__L(l, "first line");
        if (strcmp(scope, "second") == 0)
            return bf__L(l, "second line");
    }
    return bf__name_label(l, scope);
}

/* ---- metrics ---------------------------------------------------------- */

typedef struct stat_word {
    const char *suffix, *en, *zh;
} stat_word;

static const stat_word stats[] = {
    {"mean", "mean", "平均"},
    {"p50", "median", "中位"},
    {"p90", "90th percentile", "90 分位"},
    {"p95", "95th percentile", "95 分位"},
    {"p99", "99th percentile", "99 分位"},
    {"max", "maximum", "最长"},
};

typedef struct metric_word {
    const char *metric, *en, *zh;
} metric_word;

/* Distribution groups: <base>_<stat>. */
static const metric_word bases[] = {
    {"wait", "wait", "等待时间"},
    {"time_in_system", "time in system", "系统内停留时间"},
    {"clearance", "clearance time", "通关时间"},
    {"dwell", "dwell time", "停留时间"},
};

static const metric_word others[] = {
    {"arrivals", "arrivals", "到达数"},
    {"departures", "departures", "离开数"},
    {"throughput", "throughput", "通过量"},
    {"served", "services started", "开始服务数"},
    {"entered", "entries", "进入数"},
    {"passages", "line passages", "通关次数"},
    {"queue_mean", "mean queue length", "平均排队长度"},
    {"queue_max", "maximum queue length", "最大排队长度"},
    {"utilization", "utilization", "利用率"},
    {"servers", "servers", "服务台数"},
    {"present_mean", "mean number present", "平均在场数量"},
    {"present_max", "maximum number present", "最大在场数量"},
    {"in_system_mean", "mean number in the system", "系统内平均数量"},
    {"in_system_max", "maximum number in the system", "系统内最大数量"},
    {"wait_probability", "share that had to wait", "需排队的比例"},
};

void bf__metric_label(lang l, const char *metric, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (strcmp(metric, others[i].metric) == 0) {
            snprintf(buf, len, "%s", l == LANG_ZH ? others[i].zh : others[i].en);
            return;
        }
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        size_t n = strlen(bases[b].metric);
        if (strncmp(metric, bases[b].metric, n) != 0 || metric[n] != '_')
            continue;
        for (size_t s = 0; s < sizeof stats / sizeof stats[0]; s++)
            if (strcmp(metric + n + 1, stats[s].suffix) == 0) {
                if (l == LANG_ZH)
                    snprintf(buf, len, "%s%s", stats[s].zh, bases[b].zh);
                else
                    snprintf(buf, len, "%s %s", stats[s].en, bases[b].en);
                return;
            }
    }
    snprintf(buf, len, "%s", metric);
}

/* ---- units -------------------------------------------------------------- */

tunit bf__time_unit(double max_s)
{
    /* Waits read best in minutes; seconds only when everything is under
     * a minute and a half, hours beyond five. */
    if (!(max_s >= 90.0))
        return (tunit){"s", 1.0};
    if (max_s < 5 * 3600.0)
        return (tunit){"min", 60.0};
    return (tunit){"h", 3600.0};
}

const char *bf__unit_label(lang l, const char *unit)
{
    static const phrase units[] = {
        {"s", "秒"},          {"min", "分钟"},  {"h", "小时"},
        {"d", "天"},          {"%", "%"},       {"1/h", "每小时"},
        {"entities", "个"},   {"servers", "个"}, {"share", "比例"},
    };
    static const char *const en[] = {"s", "min", "h", "d", "%", "per hour", "entities",
                                     "servers", "share"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(unit, units[i].en) == 0)
            return l == LANG_ZH ? units[i].zh : en[i];
    return unit;
}

static tunit cell_unit(double mean)
{
    if (fabs(mean) >= 7200.0)
        return (tunit){"h", 3600.0};
    if (fabs(mean) >= 120.0)
        return (tunit){"min", 60.0};
    return (tunit){"s", 1.0};
}

void bf__fmt_quantity(lang l, double v, const char *unit, char *buf, size_t len)
{
    if (strcmp(unit, "s") == 0) {
        tunit u = cell_unit(v);
        snprintf(buf, len, "%g %s", v / u.div, bf__unit_label(l, u.name));
    } else if (strcmp(unit, "share") == 0) {
        snprintf(buf, len, "%g%%", 100 * v);
    } else {
        snprintf(buf, len, "%g", v);
    }
}

void bf__target_label(lang l, double v, const char *unit, char *buf, size_t len)
{
    char num[64];
    bf__fmt_quantity(l, v, unit, num, sizeof num);
    snprintf(buf, len, bf__L(l, "target %s"), num);
}

/* ---- numbers -------------------------------------------------------------- */

void bf__fmt_exact(char *buf, size_t len, double v)
{
    /* The shortest of %.15g and %.17g that reads back as v: readable for
     * the usual numbers, exact for all. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

void bf__fmt_time(char *buf, size_t len, double mean, double hw)
{
    if (isnan(mean)) {
        snprintf(buf, len, "–");
        return;
    }
    /* As in the summary `run` prints: below a twentieth of a second, with
     * an interval as narrow, a time is nil for any briefing. */
    if (fabs(mean) < 0.05 && (isnan(hw) || hw < 0.05)) {
        snprintf(buf, len, "0 s");
        return;
    }
    tunit u = cell_unit(mean);
    if (isnan(hw))
        snprintf(buf, len, "%.3g %s", mean / u.div, u.name);
    else
        snprintf(buf, len, "%.3g ± %.2g %s", mean / u.div, hw / u.div, u.name);
}

void bf__fmt_num(char *buf, size_t len, double mean, double hw, const char *fmt)
{
    if (isnan(mean)) {
        snprintf(buf, len, "–");
        return;
    }
    if (fabs(mean) < 0.005 && (isnan(hw) || hw < 0.005)) {
        snprintf(buf, len, "0"); /* as `run` prints it: no 5.01e-07 ± 1e-06 */
        return;
    }
    char a[48], b[48];
    snprintf(a, sizeof a, fmt, mean);
    if (isnan(hw)) {
        snprintf(buf, len, "%s", a);
        return;
    }
    snprintf(b, sizeof b, "%.2g", hw);
    snprintf(buf, len, "%s ± %s", a, b);
}

void bf__fmt_pct(char *buf, size_t len, double mean, double hw)
{
    if (isnan(mean))
        snprintf(buf, len, "–");
    else if (isnan(hw))
        snprintf(buf, len, "%.1f%%", 100 * mean);
    else
        snprintf(buf, len, "%.1f%% ± %.1f", 100 * mean, 100 * hw);
}
