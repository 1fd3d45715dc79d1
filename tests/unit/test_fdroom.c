/* tests/unit/test_fdroom.c - counting the descriptors left under RLIMIT_NOFILE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/fdroom.h"

static int lowest_free_fd(void)
{
  int fd = open("/dev/null", O_RDONLY);
  assert_true(fd >= 0);
  close(fd);
  return fd;
}

/* Free slots below `limit`, by asking the kernel about each number. */
static unsigned free_below(int limit)
{
  unsigned n = 0;
  for (int fd = 0; fd < limit; fd++)
    if (fcntl(fd, F_GETFD) < 0)
      n++;
  return n;
}

static void test_counts_up_to_want_and_closes_them(void **state)
{
  (void)state;
  int before = lowest_free_fd();
  assert_int_equal(fdroom_free(5), 5);
  assert_int_equal(fdroom_free(0), 0);
  assert_int_equal(fdroom_free(1000), 64);    /* capped */
  assert_int_equal(lowest_free_fd(), before); /* nothing left open */
}

static void test_exact_under_a_tight_limit_with_holes(void **state)
{
  (void)state;
  struct rlimit saved;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
  /* A hole: a descriptor taken above a free one, as inherited ones can be. */
  int base = lowest_free_fd();
  int high = fcntl(0, F_DUPFD, base + 2);
  assert_true(high >= base + 2);
  struct rlimit tight = {.rlim_cur = (rlim_t)high + 3, .rlim_max = saved.rlim_max};
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
  unsigned expect = free_below(high + 3);
  assert_true(expect >= 4); /* base, base + 1, high + 1, high + 2 at least */
  assert_int_equal(fdroom_free(64), expect);
  assert_int_equal(fdroom_free(2), 2);
  /* Full: nothing left, and saying so opens nothing. */
  int held[64];
  unsigned n = 0;
  while (n < 64 && (held[n] = open("/dev/null", O_RDONLY)) >= 0)
    n++;
  assert_int_equal(n, expect);
  assert_int_equal(fdroom_free(FDROOM_UV_LOOP), 0);
  for (unsigned i = 0; i < n; i++)
    close(held[i]);
  close(high);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
  assert_int_equal(lowest_free_fd(), base);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts_up_to_want_and_closes_them),
      cmocka_unit_test(test_exact_under_a_tight_limit_with_holes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
