/*
 * compare.c - the statistics of precision targets and of paired
 * comparisons, and `compare`'s pairing of two points of a sweep.
 *
 * Paired comparison with common random numbers.  Replication r of BASE
 * and replication r of POLICY run with the same seed and r, so every
 * random stream (named by purpose: each class's arrivals and attributes,
 * each station's service ...) starts from the same state in both: the
 * same researchers arrive at the same times in both.  The difference
 * d_r = policy_r - base_r then carries the policy's effect and only the
 * noise the policy itself stirs up; the noise the two share cancels.  The
 * d_r of different r are independent, so the mean difference gets an
 * ordinary Student-t interval (bf_ci95 of the d_r), and its variance is
 * var(base) + var(policy) - 2 cov(base, policy): narrower than with
 * independent seeds exactly when the two runs are positively correlated,
 * which common random numbers are there to make them.  The same formula
 * is valid for independent seeds (cov = 0), which is what makes the two
 * comparable.  "Significant" means 0 is outside the 95% interval.
 */
#include "borderflow/sweep.h"

#include "sweep/sweep_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const BF_COMPARE_DEFAULT_METRICS =
    "class.*.wait_mean,class.*.wait_p95,class.*.time_in_system_mean,class.*.throughput,"
    "station.*.wait_mean,station.*.wait_p95,station.*.utilization";

bool bf_precision_met(const bf_ci *ci, double target, double floor)
{
    if (ci->n == 0)
        return true;
    if (ci->n < 2 || !isfinite(ci->half_width) || !isfinite(ci->mean))
        return false;
    double allowed = target * fabs(ci->mean);
    return ci->half_width <= (allowed > floor ? allowed : floor);
}

int bf_precision_next(int n, double ratio, int cap)
{
    double want = isfinite(ratio) ? ceil((double)n * ratio * ratio) : (double)cap;
    double lo = (double)n + ceil((double)n / 4.0);
    double hi = 2.0 * (double)n;
    if (want < lo)
        want = lo;
    if (want > hi)
        want = hi;
    if (want > (double)cap)
        want = (double)cap;
    return want < (double)n ? n : (int)want;
}

bf_paired bf_paired_diff(const double *base, const double *policy, size_t n,
                         double *d)
{
    bf_paired p = {0};
    double sb = 0, sp = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(base[i]) || isnan(policy[i]))
            continue;
        d[p.n++] = policy[i] - base[i];
        sb += base[i];
        sp += policy[i];
    }
    p.diff = bf_ci95(d, p.n);
    p.base_mean = p.n ? sb / (double)p.n : NAN;
    p.policy_mean = p.n ? sp / (double)p.n : NAN;
    p.significant = p.n >= 2 && isfinite(p.diff.half_width) &&
                    (p.diff.mean - p.diff.half_width > 0 ||
                     p.diff.mean + p.diff.half_width < 0);
    return p;
}

void bf_compare_result_destroy(bf_compare_result *r)
{
    if (!r)
        return;
    bf_free(r->rows);
    bf_free(r);
}

bf_status bf_compare_points(bf_sweep *sw, size_t base, size_t policy,
                            const bf_sweep_report *rep, bf_store *st,
                            int replications, const char *spec,
                            const char *command_line,
                            bf_compare_result **out, bf_error *err)
{
    *out = NULL;
    const bf_point *pb = bf_sweep_point(sw, base), *pp = bf_sweep_point(sw, policy);
    if (!pb || !pp || base >= rep->n_points || policy >= rep->n_points ||
        !rep->points[base].run_id || !rep->points[policy].run_id || replications < 1)
        return bf_error_set(err, BF_ESTATE, "both sides must have been run into the store");
    size_t *idx = NULL, n_idx = 0;
    bf_status s = bf_metric_select(pb->cat, spec ? spec : BF_COMPARE_DEFAULT_METRICS, &idx,
                                   &n_idx, err);
    if (s != BF_OK)
        return s;
    bf_compare_result *r = bf_calloc(1, sizeof *r);
    double *vb = bf_malloc((size_t)replications * sizeof *vb);
    double *vp = bf_malloc((size_t)replications * sizeof *vp);
    double *scratch = bf_malloc((size_t)replications * sizeof *scratch);
    bf_store_diff *diffs = bf_calloc(n_idx ? n_idx : 1, sizeof *diffs);
    if (r)
        r->rows = bf_calloc(n_idx ? n_idx : 1, sizeof *r->rows);
    if (!r || !r->rows || !vb || !vp || !scratch || !diffs) {
        s = bf_error_set(err, BF_ENOMEM, "out of memory");
        goto done;
    }
    r->replications = replications;
    r->crn = pb->sc->model->seed == pp->sc->model->seed;
    for (size_t i = 0; i < n_idx; i++) {
        const bf_metric_key *k = &pb->cat->keys[idx[i]];
        long kp = bf_catalog_find(pp->cat, k->scope_kind, k->scope, k->class_name, k->metric);
        if (kp < 0)
            continue; /* the policy has no such figure (a station it removed) */
        s = bf_store_rep_values(st, rep->points[base].run_id, idx[i], replications, vb, err);
        if (s == BF_OK)
            s = bf_store_rep_values(st, rep->points[policy].run_id, (size_t)kp, replications,
                                    vp, err);
        if (s != BF_OK)
            goto done;
        bf_compare_row *row = &r->rows[r->n_rows];
        row->key = k;
        row->p = bf_paired_diff(vb, vp, (size_t)replications, scratch);
        diffs[r->n_rows] = (bf_store_diff){
            .scope_kind = k->scope_kind, .scope = k->scope, .class_name = k->class_name,
            .metric = k->metric, .unit = k->unit, .n = row->p.n,
            .base_mean = row->p.base_mean, .policy_mean = row->p.policy_mean,
            .diff_mean = row->p.diff.mean, .diff_sd = row->p.diff.sd,
            .half_width = row->p.diff.half_width, .significant = row->p.significant};
        r->n_rows++;
    }
    bf_store_comparison c = {.base_run_id = rep->points[base].run_id,
                             .policy_run_id = rep->points[policy].run_id,
                             .replications = replications,
                             .common_random_numbers = r->crn,
                             .command_line = command_line};
    s = bf_store_add_comparison(st, &c, diffs, r->n_rows, &r->comparison_id, err);
done:
    bf_free(idx);
    bf_free(vb);
    bf_free(vp);
    bf_free(scratch);
    bf_free(diffs);
    if (s != BF_OK) {
        bf_compare_result_destroy(r);
        return s;
    }
    *out = r;
    return BF_OK;
}
