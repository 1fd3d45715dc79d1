/* tests/unit/test_evidence.c - the answer table (ICMP errors and TCP answers matched to
 * probes), the per-host TTL histograms, and the ICMP wording. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/icmp.h"
#include "scanner/evidence.h"

#define MS 1000000ull

static const uint8_t US4[4] = {198, 18, 11, 1};
static const uint8_t TGT4[4] = {198, 18, 11, 130};
static const uint8_t RTR4[4] = {198, 18, 11, 2};

static struct pkt_addr v4(const uint8_t a[4])
{
  struct pkt_addr p;
  memset(&p, 0, sizeof(p));
  p.family = AF_INET;
  memcpy(p.a, a, 4);
  return p;
}

static struct ev_key key(uint16_t lport, uint16_t rport, const uint8_t addr[4])
{
  struct ev_key k;
  memset(&k, 0, sizeof(k));
  k.family = AF_INET;
  k.proto = IPPROTO_TCP;
  k.lport = lport;
  k.rport = rport;
  memcpy(k.raddr, addr, 4);
  return k;
}

static struct ev_answer tcp_answer(uint16_t lport, uint16_t rport, uint8_t ttl, uint64_t at)
{
  struct ev_answer a;
  memset(&a, 0, sizeof(a));
  a.key = key(lport, rport, TGT4);
  a.seen_ns = at;
  a.kind = EV_TCP;
  a.ttl = ttl;
  a.tcp_flags = PKT_TCP_RST | PKT_TCP_ACK;
  a.from = v4(TGT4);
  return a;
}

/* --- answer table --- */

static void test_put_take(void **state)
{
  (void)state;
  struct ev_table t;
  assert_int_equal(ev_table_init(&t, 100, 1000 * MS), 0);
  assert_int_equal(t.mask + 1, 128);
  struct ev_answer a = tcp_answer(40000, 5070, 61, 50 * MS), out;
  ev_table_put(&t, &a);
  struct ev_key k = key(40000, 5070, TGT4);
  /* another port, another address, another local port: not ours */
  struct ev_key other = key(40000, 5071, TGT4);
  assert_false(ev_table_take(&t, &other, 0, 60 * MS, &out));
  other = key(40001, 5070, TGT4);
  assert_false(ev_table_take(&t, &other, 0, 60 * MS, &out));
  other = key(40000, 5070, RTR4);
  assert_false(ev_table_take(&t, &other, 0, 60 * MS, &out));
  other = key(40000, 5070, TGT4);
  other.proto = IPPROTO_UDP;
  assert_false(ev_table_take(&t, &other, 0, 60 * MS, &out));
  /* ours, once */
  assert_true(ev_table_take(&t, &k, 10 * MS, 60 * MS, &out));
  assert_int_equal(out.kind, EV_TCP);
  assert_int_equal(out.ttl, 61);
  assert_false(ev_table_take(&t, &k, 10 * MS, 60 * MS, &out));
  ev_table_free(&t);
}

static void test_older_than_attempt_or_expired(void **state)
{
  (void)state;
  struct ev_table t;
  assert_int_equal(ev_table_init(&t, 64, 1000 * MS), 0);
  struct ev_answer a = tcp_answer(40000, 5070, 64, 50 * MS), out;
  struct ev_key k = a.key;
  /* an answer from before the attempt started belongs to an earlier probe: never taken,
   * and dropped on the way */
  ev_table_put(&t, &a);
  assert_false(ev_table_take(&t, &k, 51 * MS, 60 * MS, &out));
  a.seen_ns = 52 * MS;
  ev_table_put(&t, &a);
  assert_true(ev_table_take(&t, &k, 51 * MS, 60 * MS, &out));
  /* expired */
  ev_table_put(&t, &a);
  assert_false(ev_table_take(&t, &k, 0, 52 * MS + 1001 * MS, &out));
  assert_false(ev_table_take(&t, &k, 0, 60 * MS, &out)); /* and gone */
  /* a zero timestamp is not an entry */
  a.seen_ns = 0;
  ev_table_put(&t, &a);
  assert_false(ev_table_take(&t, &k, 0, 60 * MS, &out));
  ev_table_free(&t);
}

static void test_newer_replaces(void **state)
{
  (void)state;
  struct ev_table t;
  assert_int_equal(ev_table_init(&t, 64, 1000 * MS), 0);
  struct ev_answer a = tcp_answer(40000, 5065, 64, 50 * MS), out;
  ev_table_put(&t, &a);
  struct ev_answer icmp;
  memset(&icmp, 0, sizeof(icmp));
  icmp.key = a.key;
  icmp.seen_ns = 51 * MS;
  icmp.kind = EV_ICMP;
  icmp.icmp_type = 3;
  icmp.icmp_code = 13;
  icmp.from = v4(RTR4);
  ev_table_put(&t, &icmp);
  assert_true(ev_table_take(&t, &a.key, 0, 60 * MS, &out));
  assert_int_equal(out.kind, EV_ICMP);
  assert_int_equal(out.icmp_code, 13);
  assert_true(pkt_addr_equal(&out.from, &icmp.from));
  assert_false(ev_table_take(&t, &a.key, 0, 60 * MS, &out)); /* one entry, not two */
  ev_table_free(&t);
}

static void test_bounded(void **state)
{
  (void)state;
  struct ev_table t;
  assert_int_equal(ev_table_init(&t, 64, 1000 * MS), 0);
  struct ev_answer out;
  /* a quarter full: everything is found */
  for (uint16_t i = 0; i < 16; i++) {
    struct ev_answer a = tcp_answer((uint16_t)(40000 + i), 5061, 64, (100 + i) * MS);
    ev_table_put(&t, &a);
  }
  assert_int_equal(t.evicted, 0);
  for (uint16_t i = 0; i < 16; i++) {
    struct ev_key k = key((uint16_t)(40000 + i), 5061, TGT4);
    assert_true(ev_table_take(&t, &k, 0, 200 * MS, &out));
    assert_int_equal(out.seen_ns, (100 + i) * MS);
  }
  /* far more than it holds: old entries are pushed out, the table stays its size, and
   * the newest answer is always there */
  for (uint32_t i = 0; i < 10000; i++) {
    struct ev_answer a = tcp_answer((uint16_t)(20000 + i), 5061, 64, (300 + i) * MS);
    ev_table_put(&t, &a);
    struct ev_key k = a.key;
    if (i % 97 == 0) {
      assert_true(ev_table_take(&t, &k, 0, (300 + i) * MS, &out));
      ev_table_put(&t, &a);
    }
  }
  assert_true(t.evicted > 0);
  assert_int_equal(t.mask + 1, 64);
  /* expired slots are reused without counting as evictions */
  uint64_t before = t.evicted;
  for (uint32_t i = 0; i < 32; i++) {
    struct ev_answer a = tcp_answer((uint16_t)(1000 + i), 443, 64, 100000 * MS);
    ev_table_put(&t, &a);
  }
  assert_int_equal(t.evicted, before);
  ev_table_free(&t);
  /* and a table that could not be made takes nothing */
  memset(&t, 0, sizeof(t));
  struct ev_answer a = tcp_answer(1, 2, 3, 4);
  ev_table_put(&t, &a);
  assert_false(ev_table_take(&t, &a.key, 0, 5, &out));
}

/* The key of the RST that answers a SYN, and of an ICMP error quoting that SYN, are the
 * key the attempt looks up: (TCP, our port, target address, target port). */
static void test_keys_of_packets(void **state)
{
  (void)state;
  struct pkt_info rst;
  memset(&rst, 0, sizeof(rst));
  rst.ttl = 61;
  rst.l4.src = v4(TGT4);
  rst.l4.dst = v4(US4);
  rst.l4.proto = IPPROTO_TCP;
  rst.l4.sport = 5070;
  rst.l4.dport = 40000;
  rst.l4.has_ports = true;
  rst.l4.tcp_flags = PKT_TCP_RST | PKT_TCP_ACK;
  struct pkt_info icmp;
  memset(&icmp, 0, sizeof(icmp));
  icmp.icmp_error = true;
  icmp.icmp_type = 3;
  icmp.icmp_code = 13;
  icmp.l4.src = v4(RTR4);
  icmp.l4.dst = v4(US4);
  icmp.l4.proto = IPPROTO_ICMP;
  icmp.quoted.src = v4(US4);
  icmp.quoted.dst = v4(TGT4);
  icmp.quoted.proto = IPPROTO_TCP;
  icmp.quoted.sport = 40000;
  icmp.quoted.dport = 5070;
  icmp.quoted.has_ports = true;
  struct ev_key a, b, want = key(40000, 5070, TGT4);
  assert_true(ev_key_of_answer(&rst, &a));
  assert_true(ev_key_of_quote(&icmp, &b));
  assert_memory_equal(&a, &want, sizeof(want));
  assert_memory_equal(&b, &want, sizeof(want));
  /* not keys: an ICMP error is no TCP answer, a RST quotes nothing, UDP, no ports */
  assert_false(ev_key_of_answer(&icmp, &a));
  assert_false(ev_key_of_quote(&rst, &a));
  icmp.quoted.proto = IPPROTO_UDP;
  assert_false(ev_key_of_quote(&icmp, &a));
  rst.l4.has_ports = false;
  assert_false(ev_key_of_answer(&rst, &a));
  /* IPv6 keys use all 16 bytes */
  icmp.quoted.proto = IPPROTO_TCP;
  icmp.quoted.dst.family = AF_INET6;
  memset(icmp.quoted.dst.a, 0x20, 16);
  assert_true(ev_key_of_quote(&icmp, &b));
  assert_int_equal(b.family, AF_INET6);
  assert_int_equal(b.raddr[15], 0x20);
}

/* --- TTL histograms --- */

static void test_ttl_hist(void **state)
{
  (void)state;
  struct ttl_hist h;
  memset(&h, 0, sizeof(h));
  uint8_t ttl;
  uint32_t n;
  assert_false(ttl_hist_top(&h, &ttl, &n));
  ttl_hist_add(&h, 64);
  ttl_hist_add(&h, 63);
  ttl_hist_add(&h, 63);
  assert_true(ttl_hist_top(&h, &ttl, &n));
  assert_int_equal(ttl, 63);
  assert_int_equal(n, 2);
  ttl_hist_add(&h, 64);
  assert_true(ttl_hist_top(&h, &ttl, &n));
  assert_int_equal(ttl, 63); /* a tie: the lower TTL */
  assert_int_equal(ttl_hist_count(&h, 64), 2);
  assert_int_equal(ttl_hist_count(&h, 1), 0);
  ttl_hist_add(&h, 128);
  ttl_hist_add(&h, 255);
  ttl_hist_add(&h, 0);
  ttl_hist_add(&h, 1);
  assert_int_equal(h.other, 2); /* a fifth and sixth TTL: counted as "other" only */
  assert_int_equal(ttl_hist_count(&h, 0), 0);
  assert_int_equal(ttl_hist_count(&h, 1), 0);
  assert_int_equal(ttl_hist_count(&h, 128), 1);
  for (int i = 0; i < 1000; i++)
    ttl_hist_add(&h, 255);
  assert_true(ttl_hist_top(&h, &ttl, &n));
  assert_int_equal(ttl, 255);
  assert_int_equal(n, 1001);
}

static void test_odd_rst(void **state)
{
  (void)state;
  struct host_ttl h;
  uint8_t usual = 0;
  memset(&h, 0, sizeof(h));
  /* nothing known: nothing is odd */
  host_ttl_note(&h, PKT_TCP_RST | PKT_TCP_ACK, 64);
  assert_false(host_ttl_odd_rst(&h, 64, &usual));
  /* a SYN-ACK from the host with TTL 63: a RST with 64 is from somewhere else */
  host_ttl_note(&h, PKT_TCP_SYN | PKT_TCP_ACK, 63);
  assert_true(host_ttl_odd_rst(&h, 64, &usual));
  assert_int_equal(usual, 63);
  assert_false(host_ttl_odd_rst(&h, 63, &usual));
  /* a load balancer with two TTLs among its SYN-ACKs: neither is odd */
  host_ttl_note(&h, PKT_TCP_SYN | PKT_TCP_ACK, 64);
  assert_false(host_ttl_odd_rst(&h, 64, &usual));
  /* bare SYNs, FINs, ACKs are not answers to count */
  memset(&h, 0, sizeof(h));
  host_ttl_note(&h, PKT_TCP_SYN, 10);
  host_ttl_note(&h, PKT_TCP_ACK, 10);
  host_ttl_note(&h, PKT_TCP_FIN | PKT_TCP_ACK, 10);
  assert_int_equal(ttl_hist_count(&h.synack, 10) + ttl_hist_count(&h.rst, 10), 0);
  /* RSTs only: the usual TTL must be clearly usual */
  host_ttl_note(&h, PKT_TCP_RST, 63);
  host_ttl_note(&h, PKT_TCP_RST, 63);
  host_ttl_note(&h, PKT_TCP_RST, 64);
  assert_false(host_ttl_odd_rst(&h, 64, &usual)); /* 2 against 1 proves nothing */
  host_ttl_note(&h, PKT_TCP_RST, 63);
  assert_true(host_ttl_odd_rst(&h, 64, &usual)); /* 3 against 1 */
  assert_int_equal(usual, 63);
  assert_false(host_ttl_odd_rst(&h, 63, &usual));
  host_ttl_note(&h, PKT_TCP_RST, 64);
  assert_false(host_ttl_odd_rst(&h, 64, &usual)); /* 3 against 2 */
  for (int i = 0; i < 60000; i++)
    host_ttl_note(&h, PKT_TCP_RST, 63);
  assert_true(host_ttl_odd_rst(&h, 64, &usual));
}

/* --- the words --- */

static void test_icmp_words(void **state)
{
  (void)state;
  struct icmp_info i = {.v6 = 0, .type = 3, .code = 13, .from = "198.18.11.2", .from_target = 0};
  char buf[256];
  icmp_reason(&i, buf, sizeof(buf));
  assert_string_equal(
      buf, "administratively prohibited (ICMP 3/13) from 198.18.11.2 (a router on the path)");
  i.from_target = 1;
  snprintf(i.from, sizeof(i.from), "198.18.11.130");
  icmp_reason(&i, buf, sizeof(buf));
  assert_string_equal(
      buf, "administratively prohibited (ICMP 3/13) from 198.18.11.130 (the target itself)");
  const char *meaning;
  assert_int_equal(icmp_classify(0, 3, 13, &meaning), UC_ST_FILTERED);
  assert_int_equal(icmp_classify(0, 3, 10, &meaning), UC_ST_FILTERED);
  assert_int_equal(icmp_classify(0, 3, 1, &meaning), UC_ST_UNREACHABLE);
  assert_int_equal(icmp_classify(0, 3, 3, &meaning), UC_ST_CLOSED);
  assert_int_equal(icmp_classify(0, 11, 0, &meaning), UC_ST_UNREACHABLE);
  assert_int_equal(icmp_classify(1, 1, 1, &meaning), UC_ST_FILTERED);
  assert_int_equal(icmp_classify(1, 1, 4, &meaning), UC_ST_CLOSED);
  assert_int_equal(icmp_classify(1, 1, 3, &meaning), UC_ST_UNREACHABLE);
  assert_int_equal(icmp_classify(0, 0, 0, &meaning), UC_ST_NONE);
  struct icmp_info v6 = {.v6 = 1, .type = 1, .code = 1, .from = "2001:db8::2"};
  icmp_reason(&v6, buf, sizeof(buf));
  assert_string_equal(
      buf, "administratively prohibited (ICMPv6 1/1) from 2001:db8::2 (a router on the path)");
  json_t *ev = icmp_evidence(&v6);
  assert_int_equal(json_integer_value(json_object_get(ev, "type")), 1);
  assert_int_equal(json_integer_value(json_object_get(ev, "code")), 1);
  assert_string_equal(json_string_value(json_object_get(ev, "from")), "2001:db8::2");
  assert_string_equal(json_string_value(json_object_get(ev, "meaning")),
                      "administratively prohibited");
  json_decref(ev);
}

/* Windows names no sender for the port unreachable it reports (WSAECONNRESET): the words
 * say so, and the evidence's "from" is null rather than an empty address. */
static void test_icmp_unknown_sender(void **state)
{
  (void)state;
  struct icmp_info i = {.v6 = 0, .type = 3, .code = 3};
  char buf[256];
  icmp_reason(&i, buf, sizeof(buf));
  assert_string_equal(buf, "port unreachable (ICMP 3/3; the system does not say who sent it)");
  json_t *ev = icmp_evidence(&i);
  assert_true(json_is_null(json_object_get(ev, "from")));
  assert_string_equal(json_string_value(json_object_get(ev, "meaning")), "port unreachable");
  json_decref(ev);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_take),
      cmocka_unit_test(test_older_than_attempt_or_expired),
      cmocka_unit_test(test_newer_replaces),
      cmocka_unit_test(test_bounded),
      cmocka_unit_test(test_keys_of_packets),
      cmocka_unit_test(test_ttl_hist),
      cmocka_unit_test(test_odd_rst),
      cmocka_unit_test(test_icmp_words),
      cmocka_unit_test(test_icmp_unknown_sender),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
