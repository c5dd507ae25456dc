/*
 * test_server.c - the server's checks that need no socket: scenario names
 * (the only way a request reaches a file) and the refusals before
 * serving (bad --listen, a non-loopback host without allow_remote, a
 * missing scenarios folder).  The HTTP API itself is tested end to end by
 * tests/cli/test_serve.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "borderflow/server.h"

static void test_server_valid_names(void **state)
{
    (void)state;
    assert_true(bf_server_is_valid_name("hetao-baseline"));
    assert_true(bf_server_is_valid_name("a_B-9"));
    static const char *const bad[] = {"", "..", "../x", "a/b", "a.ini", "%2e%2e", "a b",
                                      "x\\y", "caf\xc3\xa9", "-x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(bf_server_is_valid_name(bad[i]));
    assert_false(bf_server_is_valid_name(NULL));
    char longname[70];
    memset(longname, 'a', 65);
    longname[65] = 0;
    assert_false(bf_server_is_valid_name(longname));
    longname[64] = 0;
    assert_true(bf_server_is_valid_name(longname));
}

static bf_status try_listen(const char *listen, bool allow_remote, const char *dir,
                            bf_error *err)
{
    bf_server_opts o = {.listen = listen, .allow_remote = allow_remote, .scenarios_dir = dir,
                        .db = ":memory:"};
    bf_error_clear(err);
    return bf_server_run(&o, err);
}

static void test_server_refuses_before_serving(void **state)
{
    (void)state;
    bf_error err;
    assert_int_equal(try_listen("0.0.0.0:0", false, "/nonexistent", &err), BF_EINVAL);
    assert_non_null(strstr(err.msg, "allow-remote"));
    assert_int_equal(try_listen("nonsense", false, "/nonexistent", &err), BF_EINVAL);
    assert_int_equal(try_listen("127.0.0.1:70000", false, "/nonexistent", &err), BF_EINVAL);
    assert_int_equal(try_listen("127.0.0.1:", false, "/nonexistent", &err), BF_EINVAL);
    /* A valid address, but no scenarios: refused before binding. */
    assert_int_equal(try_listen("127.0.0.1:0", false, "/nonexistent-bf-dir", &err), BF_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent-bf-dir"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_valid_names),
        cmocka_unit_test(test_server_refuses_before_serving),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
