/* test_model.c - route compilation, expected visits and model checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "borderflow/model.h"

static bf_model *three_nodes(void)
{
    bf_model *m = bf_model_create();
    assert_non_null(m);
    assert_int_equal(bf_model_add_node(m, "fl_check", BF_NODE_STATION), 0);
    assert_int_equal(bf_model_add_node(m, "zone", BF_NODE_DELAY), 1);
    assert_int_equal(bf_model_add_node(m, "sl_check", BF_NODE_STATION), 2);
    assert_int_equal(bf_model_add_node(m, "sl_secondary", BF_NODE_STATION), 3);
    assert_int_equal(bf_model_add_class(m, "researcher"), 0);
    return m;
}

static void test_model_route_sequence(void **state)
{
    (void)state;
    bf_model *m = three_nodes();
    bf_route r;
    char why[256];
    assert_int_equal(bf_route_parse(m, " fl_check ,zone,  sl_check ", &r, why, sizeof why), BF_OK);
    assert_int_equal(r.n_ops, 4);
    assert_int_equal(r.ops[0].op, BF_OP_VISIT);
    assert_int_equal(r.ops[0].arg, 0);
    assert_int_equal(r.ops[1].arg, 1);
    assert_int_equal(r.ops[2].arg, 2);
    assert_int_equal(r.ops[3].op, BF_OP_END);
    bf_route_fini(&r);
    bf_model_destroy(m);
}

static void test_model_route_branch_layout(void **state)
{
    (void)state;
    bf_model *m = three_nodes();
    bf_route r;
    char why[256];
    /* 0 visit fl, 1 visit zone, 2 branch, 3 visit sl, 4 jump 6, 5 jump 6,
     * 6 visit fl, 7 end */
    assert_int_equal(bf_route_parse(m, "fl_check, zone, branch(23.85%: sl_check; 76.15%: -), fl_check",
                                    &r, why, sizeof why), BF_OK);
    assert_int_equal(r.n_ops, 8);
    assert_int_equal(r.ops[2].op, BF_OP_BRANCH);
    assert_int_equal(r.ops[2].n_choices, 2);
    const bf_route_choice *ch = &r.choices[r.ops[2].arg];
    assert_int_equal(ch[0].target, 3);
    assert_int_equal(ch[1].target, 5);
    assert_float_equal(ch[0].cum, 0.2385, 1e-12);
    assert_float_equal(ch[1].cum, 1.0, 0.0);
    assert_int_equal(r.ops[4].op, BF_OP_JUMP);
    assert_int_equal(r.ops[4].arg, 6);
    assert_int_equal(r.ops[5].arg, 6);
    assert_int_equal(r.ops[6].arg, 0);
    assert_int_equal(r.ops[7].op, BF_OP_END);
    bf_route_fini(&r);
    bf_model_destroy(m);
}

static void test_model_route_nested_branches_are_contiguous(void **state)
{
    (void)state;
    bf_model *m = three_nodes();
    bf_route r;
    char why[256];
    assert_int_equal(bf_route_parse(m, "branch(50%: zone, branch(10%: sl_check; 30%: sl_secondary; 60%: -); 50%: fl_check)",
                                    &r, why, sizeof why), BF_OK);
    assert_int_equal(r.n_choices, 5);
    /* The outer branch is op 0 and its choices must be contiguous, after the
     * inner ones that were appended first. */
    assert_int_equal(r.ops[0].op, BF_OP_BRANCH);
    assert_int_equal(r.ops[0].arg, 3);
    assert_int_equal(r.ops[0].n_choices, 2);
    bf_route_fini(&r);
    bf_model_destroy(m);
}

static void test_model_route_errors(void **state)
{
    (void)state;
    bf_model *m = three_nodes();
    bf_route r;
    char why[256];
    assert_int_equal(bf_route_parse(m, "fl_check, zoen", &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "'zoen'"));
    assert_non_null(strstr(why, "did you mean 'zone'"));
    assert_int_equal(bf_route_parse(m, "branch(25%: sl_check; 70%: -)", &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "add up to 95%"));
    assert_int_equal(bf_route_parse(m, "branch(25%: sl_check; 75%: -", &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "missing ')'"));
    assert_int_equal(bf_route_parse(m, "", &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "empty route"));
    assert_int_equal(bf_route_parse(m, "fl_check zone", &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "expected ','"));
    assert_int_equal(bf_route_parse(m, "branch(x: zone; 100%: -)", &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "bad branch share 'x'"));
    assert_null(r.ops);
    /* Deep nesting is refused, not a stack overflow. */
    char deep[2048] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "branch(100%: ");
    strcat(deep, "zone");
    for (int i = 0; i < 40; i++)
        strcat(deep, ")");
    assert_int_equal(bf_route_parse(m, deep, &r, why, sizeof why), BF_EINVAL);
    assert_non_null(strstr(why, "nested more than"));
    bf_model_destroy(m);
}

static void test_model_expected_visits(void **state)
{
    (void)state;
    bf_model *m = three_nodes();
    m->nodes[2].inspect_node = 3;
    m->nodes[2].inspect_prob = 0.125;
    char why[256];
    assert_int_equal(bf_route_parse(m, "fl_check, zone, branch(25%: sl_check; 75%: fl_check)",
                                    &m->classes[0].route, why, sizeof why), BF_OK);
    assert_float_equal(bf_model_expected_visits(m, 0, 0), 1.75, 1e-12);
    assert_float_equal(bf_model_expected_visits(m, 0, 1), 1.0, 1e-12);
    assert_float_equal(bf_model_expected_visits(m, 0, 2), 0.25, 1e-12);
    assert_float_equal(bf_model_expected_visits(m, 0, 3), 0.25 * 0.125, 1e-12);
    assert_true(bf_model_class_visits(m, 0, 3));
    bf_model_destroy(m);
}

static void test_model_validate_inspection_cycle(void **state)
{
    (void)state;
    bf_model *m = three_nodes();
    char why[256];
    assert_int_equal(bf_route_parse(m, "sl_check", &m->classes[0].route, why, sizeof why), BF_OK);
    m->classes[0].rate = 0.1;
    bf_error err;
    bf_error_clear(&err);
    assert_int_equal(bf_model_validate(m, &err), BF_OK);
    m->nodes[2].inspect_node = 3;
    m->nodes[3].inspect_node = 2;
    assert_int_equal(bf_model_validate(m, &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "leads back"));
    bf_model_destroy(m);
}

static void test_model_alloc_failures_do_not_leak(void **state)
{
    (void)state;
    /* Every allocation in building a model and compiling a route may fail;
     * each failure must be reported and leak nothing (ASan checks leaks). */
    for (long n = 0; n < 200; n++) {
        bf_alloc_fail_after(n);
        bf_model *m = bf_model_create();
        if (!m)
            continue;
        if (bf_model_add_node(m, "a", BF_NODE_STATION) < 0 ||
            bf_model_add_class(m, "c") < 0 || bf_model_add_node(m, "b", BF_NODE_DELAY) < 0) {
            bf_model_destroy(m);
            continue;
        }
        char why[256];
        bf_status st = bf_route_parse(m, "a, branch(50%: b; 50%: a, b), a",
                                      &m->classes[0].route, why, sizeof why);
        assert_true(st == BF_OK || st == BF_ENOMEM);
        char *text = NULL;
        if (bf_model_describe(m, &text) == BF_OK)
            bf_free(text);
        bf_model_destroy(m);
    }
    bf_alloc_fail_after(-1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_route_sequence),
        cmocka_unit_test(test_model_route_branch_layout),
        cmocka_unit_test(test_model_route_nested_branches_are_contiguous),
        cmocka_unit_test(test_model_route_errors),
        cmocka_unit_test(test_model_expected_visits),
        cmocka_unit_test(test_model_validate_inspection_cycle),
        cmocka_unit_test(test_model_alloc_failures_do_not_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
