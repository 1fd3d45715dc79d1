/* tests/unit/test_rtt_rate.c - adaptive deadlines and the rate bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "probes/registry.h"
#include "scanner/ratelimit.h"
#include "scanner/rtt.h"

static void test_deadline_before_and_after_samples(void **state)
{
  (void)state;
  struct rtt_est e = {0};
  /* No sample yet: the full timeout, so a slow WAN host is never misjudged. */
  assert_int_equal(rtt_deadline_ms(&e, 0, 20, 1000), 1000);
  /* A LAN host: 0.2 ms answers bring the deadline down to the floor. */
  for (int i = 0; i < 20; i++)
    rtt_sample(&e, 0.2);
  assert_int_equal(rtt_deadline_ms(&e, 0, 20, 1000), 20);
  assert_int_equal(rtt_deadline_ms(&e, 1, 20, 1000), 40); /* retries back off */
  assert_int_equal(rtt_deadline_ms(&e, 2, 20, 1000), 80);
  assert_int_equal(rtt_deadline_ms(&e, 9, 20, 1000), 1000); /* never past the timeout */
  /* A WAN host with jitter: srtt + 4 rttvar. */
  struct rtt_est w = {0};
  for (int i = 0; i < 50; i++)
    rtt_sample(&w, i % 2 ? 80.0 : 120.0);
  unsigned d = rtt_deadline_ms(&w, 0, 20, 2000);
  assert_true(d > 140 && d < 320);
  /* Few samples are not trusted down to the floor. */
  struct rtt_est f = {0};
  rtt_sample(&f, 50);
  assert_int_equal(rtt_deadline_ms(&f, 0, 20, 2000), 100);
  rtt_sample(&f, -1); /* ignored */
  assert_int_equal(f.samples, 1);
}

static void test_rate_bucket(void **state)
{
  (void)state;
  struct ratelimit r;
  uint64_t t = 1000000000ull;
  ratelimit_init(&r, 1000, t); /* 1000/s, burst 50 */
  int got = 0;
  while (ratelimit_take(&r, t))
    got++;
  assert_int_equal(got, 50);
  assert_int_equal(ratelimit_wait_ms(&r, t), 1);
  /* one second later: refilled up to the burst, not beyond */
  t += 1000000000ull;
  got = 0;
  while (ratelimit_take(&r, t))
    got++;
  assert_int_equal(got, 50);
  /* steady pace: 10 ms brings 10 tokens */
  t += 10000000ull;
  got = 0;
  while (ratelimit_take(&r, t))
    got++;
  assert_int_equal(got, 10);
  ratelimit_init(&r, 0, t); /* 0 = unlimited */
  for (int i = 0; i < 100000; i++)
    assert_true(ratelimit_take(&r, t));
  assert_int_equal(ratelimit_wait_ms(&r, t), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deadline_before_and_after_samples),
      cmocka_unit_test(test_rate_bucket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
