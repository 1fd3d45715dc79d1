/* tests/unit/test_portbits.c - two bits a port over a target's span (scanner/portbits.h):
 * the span is the transport's lowest to highest port, and a port's bits never touch its
 * neighbours' (four share a byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scanner/portbits.h"

static const struct plan_span media[] = {
    {UC_UDP, 3478, 3481},
    {UC_TCP, 57501, 65535},
    {UC_TCP, 49152, 57500},
    {UC_UDP, 49152, 65535},
};

static void test_span_of_one_transport(void **state)
{
  (void)state;
  struct portbits pb;
  assert_int_equal(portbits_init(&pb, media, 4, UC_TCP), 1);
  assert_non_null(pb.v);
  assert_int_equal(pb.base, 49152);
  assert_int_equal(pb.len, 16384);
  assert_int_equal(portbits_index(&pb, 49151), -1);
  assert_int_equal(portbits_index(&pb, 49152), 0);
  assert_int_equal(portbits_index(&pb, 65535), 16383);
  assert_int_equal(portbits_index(&pb, 3478), -1);
  for (uint32_t i = 0; i < pb.len; i++)
    assert_int_equal(portbits_get(&pb, i), 0); /* all zero at first */
  portbits_free(&pb);
  assert_null(pb.v);
  assert_int_equal(portbits_index(&pb, 49152), -1); /* freed: no port has bits */

  /* UDP: 3478 to 65535, the gap included (one span, indexed from its first port) */
  assert_int_equal(portbits_init(&pb, media, 4, UC_UDP), 1);
  assert_int_equal(pb.base, 3478);
  assert_int_equal(pb.len, 65535 - 3478 + 1);
  assert_int_equal(portbits_index(&pb, 65535), 65535 - 3478);
  portbits_free(&pb);
}

static void test_no_span(void **state)
{
  (void)state;
  struct portbits pb = {.base = 7, .len = 9};
  assert_int_equal(portbits_init(&pb, media, 1, UC_TCP), 0);
  assert_null(pb.v);
  assert_int_equal(pb.len, 0);
  assert_int_equal(portbits_index(&pb, 3478), -1);
  assert_int_equal(portbits_init(&pb, NULL, 0, UC_UDP), 0);
  portbits_free(&pb); /* harmless */
}

/* The raw SYN prober's bits cover its spans and its single ports (--tcp-method syn): the
 * bounds widen from the spans to ports below and above them; an empty range makes nothing. */
static void test_bounds_with_single_ports(void **state)
{
  (void)state;
  uint32_t lo = 65536, hi = 0;
  portbits_span_bounds(media, 4, UC_TCP, &lo, &hi);
  assert_int_equal(lo, 49152);
  assert_int_equal(hi, 65535);
  lo = 5061; /* a single port below the spans */
  portbits_span_bounds(media, 4, UC_TCP, &lo, &hi);
  assert_int_equal(lo, 5061);
  struct portbits pb;
  assert_int_equal(portbits_init_bounds(&pb, lo, hi), 1);
  assert_int_equal(pb.base, 5061);
  assert_int_equal(pb.len, 65535 - 5061 + 1);
  assert_int_equal(portbits_index(&pb, 5060), -1);
  assert_int_equal(portbits_index(&pb, 5061), 0);
  assert_int_equal(portbits_index(&pb, 65535), 65535 - 5061);
  portbits_free(&pb);
  /* single ports only, no span */
  assert_int_equal(portbits_init_bounds(&pb, 80, 8404), 1);
  assert_int_equal(pb.len, 8404 - 80 + 1);
  portbits_free(&pb);
  /* nothing: lo above hi, or a bound beyond the port space */
  assert_int_equal(portbits_init_bounds(&pb, 65536, 0), 0);
  assert_null(pb.v);
  assert_int_equal(portbits_init_bounds(&pb, 1, 65536), 0);
  assert_null(pb.v);
}

/* Every value at every position of a byte, beside neighbours holding every other value. */
static void test_neighbours_untouched(void **state)
{
  (void)state;
  const struct plan_span one[] = {{UC_TCP, 1, 13}}; /* 13 ports: a last byte part used */
  struct portbits pb;
  assert_int_equal(portbits_init(&pb, one, 1, UC_TCP), 1);
  for (uint32_t i = 0; i < pb.len; i++)
    portbits_set(&pb, i, (i * 7 + 1) & 3u);
  for (uint32_t at = 0; at < pb.len; at++) {
    for (unsigned v = 0; v < 4; v++) {
      portbits_set(&pb, at, v);
      for (uint32_t i = 0; i < pb.len; i++)
        assert_int_equal(portbits_get(&pb, i), i == at ? v : ((i * 7 + 1) & 3u));
    }
    portbits_set(&pb, at, (at * 7 + 1) & 3u);
  }
  portbits_set(&pb, 12, 0x6); /* only two bits are kept */
  assert_int_equal(portbits_get(&pb, 12), 2);
  assert_int_equal(portbits_get(&pb, 11), (11 * 7 + 1) & 3u);
  portbits_free(&pb);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_span_of_one_transport),
      cmocka_unit_test(test_no_span),
      cmocka_unit_test(test_bounds_with_single_ports),
      cmocka_unit_test(test_neighbours_untouched),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
