/* tests/support/data_cases.h - data-driven unit tests over tests/data/<kind>/<case>/, in the
 * manner of jansson's test/suites: each case is a directory holding
 *   input    the bytes under test (a topology file, a --ports string, a server's reply)
 *   expect   what must come out: a text (an error message) or a JSON document
 *   env      optional KEY=VALUE lines that set up the case (a probe's target, how the engine
 *            stopped waiting); `#` starts a comment line
 * The same input files are fuzz seeds: tests/fuzz/replay_main.c and .ci/fuzz.sh read
 * tests/data/<target>/<case>/input (tests/data/README.md).
 *
 * UC_REGEN=1 writes each case's expect file from what the code gives now, instead of
 * comparing (review the diff before committing it). UC_CASE=PATTERN ('*' and '?' wildcards)
 * runs only the cases whose name matches. */
#ifndef UC_TEST_DATA_CASES_H
#define UC_TEST_DATA_CASES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct data_case {
  const char *kind; /* "topology" */
  const char *name; /* the case directory's name */
  const char *dir;  /* its path: $UC_SOURCE_DIR/tests/data/<kind>/<name> */
  const char *path; /* dir + "/input" */
  const uint8_t *input;
  size_t input_len; /* a NUL follows the input, not counted */
  const char *env;  /* the env file's text ("" when there is none) */
};

/* How `expect` is compared with what a case gives: as bytes, or as JSON values (so that a
 * hand-written expect may be formatted as its writer likes). */
enum data_expect { DATA_TEXT, DATA_JSON };

/* What one case gives: a heap string (malloc) that data_cases_run frees, or NULL when the case
 * fails whatever its expect file says (the function has said why with print_error; UC_REGEN
 * writes nothing for it). */
typedef char *(*data_case_fn)(const struct data_case *c, void *arg);

/* Runs fn on every case of tests/data/<kind>/, in name order, and compares what it gives with
 * the case's expect file. Every case runs; then the test fails (cmocka fail_msg) naming each
 * case that differed, with what was expected and what came, or when the kind has no case.
 * Returns the number of cases run. */
size_t data_cases_run(const char *kind, enum data_expect how, data_case_fn fn, void *arg);

/* The value of KEY in the case's env file, copied into buf; dflt (which may be NULL) when
 * the file does not set it. */
const char *data_case_env(const struct data_case *c, const char *key, const char *dflt, char *buf,
                          size_t cap);

/* The input of tests/data/<kind>/<name>/, NUL-terminated, in a test_malloc block (test_free
 * it), for the C tests that take a case's bytes further than one reply; a test failure when
 * it cannot be read. */
uint8_t *data_case_input(const char *kind, const char *name, size_t *len);

/* A heap string, printf-style (never NULL). */
char *data_case_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What loading the case's input file gave, for the kinds whose expect is an error message:
 * "accepted\n" when rc is 0; else the error as data_case_err(err, "input") makes it, after
 * checking that it names the file (c->path) as its source. */
char *data_case_load_result(const struct data_case *c, int rc, const struct uc_err *err);

/* An input error as the user sees it (uc_err_format), its source replaced by `source` when
 * not NULL, and a newline: "input:3:13: unknown role ...\n". */
char *data_case_err(const struct uc_err *e, const char *source);

#endif
