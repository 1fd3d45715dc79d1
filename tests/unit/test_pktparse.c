/* tests/unit/test_pktparse.c - frame decoding: link types, IPv4/IPv6, TCP/UDP, ICMP and
 * ICMPv6 errors and the probe headers they quote, truncation and garbage. */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/pktparse.h"

/* --- builders --- */

static void w16(uint8_t *p, unsigned v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void w32(uint8_t *p, uint32_t v)
{
  w16(p, v >> 16);
  w16(p + 2, v & 0xffff);
}

static const uint8_t US4[4] = {198, 18, 11, 1};
static const uint8_t TGT4[4] = {198, 18, 11, 130};
static const uint8_t RTR4[4] = {198, 18, 11, 2};
static const uint8_t US6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t TGT6[16] = {0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 0x30};
static const uint8_t RTR6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

/* IPv4 header (20 bytes) + payload already at p + 20. Returns the total length. */
static size_t ip4(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
                  uint8_t ttl, size_t payload)
{
  memset(p, 0, 20);
  p[0] = 0x45;
  w16(p + 2, (unsigned)(20 + payload));
  w16(p + 6, 0x4000); /* DF */
  p[8] = ttl;
  p[9] = proto;
  memcpy(p + 12, src, 4);
  memcpy(p + 16, dst, 4);
  return 20 + payload;
}

static size_t ip6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint8_t next,
                  uint8_t hops, size_t payload)
{
  memset(p, 0, 40);
  p[0] = 0x60;
  w16(p + 4, (unsigned)payload);
  p[6] = next;
  p[7] = hops;
  memcpy(p + 8, src, 16);
  memcpy(p + 24, dst, 16);
  return 40 + payload;
}

static size_t tcp(uint8_t *p, unsigned sport, unsigned dport, uint32_t seq, uint32_t ack,
                  uint8_t flags)
{
  memset(p, 0, 20);
  w16(p, sport);
  w16(p + 2, dport);
  w32(p + 4, seq);
  w32(p + 8, ack);
  p[12] = 5 << 4;
  p[13] = flags;
  w16(p + 14, 65535);
  return 20;
}

static size_t udp(uint8_t *p, unsigned sport, unsigned dport, size_t payload)
{
  w16(p, sport);
  w16(p + 2, dport);
  w16(p + 4, (unsigned)(8 + payload));
  w16(p + 6, 0);
  memset(p + 8, 'x', payload);
  return 8 + payload;
}

/* An IPv4 TCP packet from src to dst. */
static size_t v4_tcp(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint8_t ttl,
                     unsigned sport, unsigned dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
  size_t n = tcp(p + 20, sport, dport, seq, ack, flags);
  return ip4(p, src, dst, IPPROTO_TCP, ttl, n);
}

/* ICMP error from `from` to us quoting the first `quote` bytes of `orig`. */
static size_t v4_icmp(uint8_t *p, const uint8_t from[4], uint8_t type, uint8_t code,
                      const uint8_t *orig, size_t quote)
{
  uint8_t *ic = p + 20;
  memset(ic, 0, 8);
  ic[0] = type;
  ic[1] = code;
  memcpy(ic + 8, orig, quote);
  return ip4(p, from, US4, IPPROTO_ICMP, 62, 8 + quote);
}

static size_t v6_icmp(uint8_t *p, const uint8_t from[16], uint8_t type, uint8_t code,
                      const uint8_t *orig, size_t quote)
{
  uint8_t *ic = p + 40;
  memset(ic, 0, 8);
  ic[0] = type;
  ic[1] = code;
  memcpy(ic + 8, orig, quote);
  return ip6(p, from, US6, IPPROTO_ICMPV6, 63, 8 + quote);
}

/* Link headers in front of an IP packet at `ip` (len bytes); returns the frame length. */
static size_t sll(uint8_t *f, unsigned pkttype, unsigned ethertype, const uint8_t *ip, size_t len)
{
  memset(f, 0, 16);
  w16(f, pkttype);
  w16(f + 2, 1); /* ARPHRD_ETHER */
  w16(f + 4, 6);
  w16(f + 14, ethertype);
  memcpy(f + 16, ip, len);
  return 16 + len;
}

static size_t sll2(uint8_t *f, unsigned pkttype, unsigned ethertype, const uint8_t *ip, size_t len)
{
  memset(f, 0, 20);
  w16(f, ethertype);
  w32(f + 4, 7); /* ifindex */
  w16(f + 8, 1);
  f[10] = (uint8_t)pkttype;
  f[11] = 6;
  memcpy(f + 20, ip, len);
  return 20 + len;
}

static size_t eth(uint8_t *f, unsigned vlans, unsigned ethertype, const uint8_t *ip, size_t len)
{
  memset(f, 0xaa, 12);
  size_t off = 12;
  for (unsigned i = 0; i < vlans; i++) {
    w16(f + off, i == 0 && vlans > 1 ? 0x88a8 : 0x8100);
    w16(f + off + 2, 100 + i);
    off += 4;
  }
  w16(f + off, ethertype);
  off += 2;
  memcpy(f + off, ip, len);
  return off + len;
}

/* --- plain answers --- */

static void test_v4_synack_sll(void **state)
{
  (void)state;
  uint8_t ip[128], f[256];
  size_t n = v4_tcp(ip, TGT4, US4, 63, 5061, 40000, 1000, 2001, PKT_TCP_SYN | PKT_TCP_ACK);
  size_t fl = sll(f, 0 /* PACKET_HOST */, 0x0800, ip, n);
  struct pkt_info pi;
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL, &pi), 0);
  assert_false(pi.outgoing);
  assert_false(pi.icmp_error);
  assert_int_equal(pi.ttl, 63);
  assert_int_equal(pi.l4.src.family, AF_INET);
  assert_memory_equal(pi.l4.src.a, TGT4, 4);
  assert_memory_equal(pi.l4.dst.a, US4, 4);
  assert_int_equal(pi.l4.proto, IPPROTO_TCP);
  assert_true(pi.l4.has_ports);
  assert_int_equal(pi.l4.sport, 5061);
  assert_int_equal(pi.l4.dport, 40000);
  assert_int_equal(pi.l4.seq, 1000);
  assert_int_equal(pi.l4.ack, 2001);
  assert_int_equal(pi.l4.tcp_flags, PKT_TCP_SYN | PKT_TCP_ACK);
  /* the same packet as we sent it */
  fl = sll(f, 4 /* PACKET_OUTGOING */, 0x0800, ip, n);
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL, &pi), 0);
  assert_true(pi.outgoing);
  char s[64];
  pkt_addr_str(&pi.l4.src, s, sizeof(s));
  assert_string_equal(s, "198.18.11.130");
}

static void test_v4_rst_sll2(void **state)
{
  (void)state;
  uint8_t ip[128], f[256];
  size_t n = v4_tcp(ip, TGT4, US4, 61, 5070, 40001, 0, 77, PKT_TCP_RST | PKT_TCP_ACK);
  size_t fl = sll2(f, 0, 0x0800, ip, n);
  struct pkt_info pi;
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL2, &pi), 0);
  assert_false(pi.outgoing);
  assert_int_equal(pi.ttl, 61);
  assert_int_equal(pi.l4.tcp_flags, PKT_TCP_RST | PKT_TCP_ACK);
  assert_int_equal(pi.l4.sport, 5070);
  fl = sll2(f, 4, 0x0800, ip, n);
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL2, &pi), 0);
  assert_true(pi.outgoing);
}

static void test_ethernet_and_vlans(void **state)
{
  (void)state;
  uint8_t ip[128], f[256];
  size_t n = v4_tcp(ip, TGT4, US4, 64, 443, 40002, 5, 6, PKT_TCP_SYN | PKT_TCP_ACK);
  struct pkt_info pi;
  for (unsigned vlans = 0; vlans <= 2; vlans++) {
    size_t fl = eth(f, vlans, 0x0800, ip, n);
    assert_int_equal(pkt_parse(f, fl, DLT_EN10MB, &pi), 0);
    assert_int_equal(pi.l4.sport, 443);
    assert_int_equal(pi.ttl, 64);
  }
  /* ARP, and a VLAN tag with nothing after it */
  size_t fl = eth(f, 0, 0x0806, ip, n);
  assert_int_equal(pkt_parse(f, fl, DLT_EN10MB, &pi), -1);
  fl = eth(f, 1, 0x0800, ip, 0);
  assert_int_equal(pkt_parse(f, 14, DLT_EN10MB, &pi), -1);
  assert_int_equal(pkt_parse(f, fl, DLT_EN10MB, &pi), -1);
}

static void test_raw_v6_tcp(void **state)
{
  (void)state;
  uint8_t ip[128];
  size_t n = tcp(ip + 40, 5061, 40003, 9, 10, PKT_TCP_RST);
  n = ip6(ip, TGT6, US6, IPPROTO_TCP, 57, n);
  struct pkt_info pi;
  assert_int_equal(pkt_parse(ip, n, DLT_RAW, &pi), 0);
  assert_int_equal(pi.l4.src.family, AF_INET6);
  assert_memory_equal(pi.l4.src.a, TGT6, 16);
  assert_int_equal(pi.ttl, 57);
  assert_int_equal(pi.l4.tcp_flags, PKT_TCP_RST);
  assert_int_equal(pi.l4.dport, 40003);
  assert_int_equal(pkt_parse(ip, n, DLT_IPV6, &pi), 0);
  assert_int_equal(pkt_parse(ip, n, 101 /* LINKTYPE_RAW */, &pi), 0);
  char s[64];
  pkt_addr_str(&pi.l4.src, s, sizeof(s));
  assert_string_equal(s, "2001:db8::130");
  /* SLL carrying IPv6 */
  uint8_t f[256];
  size_t fl = sll(f, 0, 0x86dd, ip, n);
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL, &pi), 0);
  assert_int_equal(pi.l4.sport, 5061);
}

static void test_v6_extension_headers(void **state)
{
  (void)state;
  uint8_t ip[160];
  /* hop-by-hop (8 bytes) then a destination options header (16 bytes), then TCP */
  uint8_t *x = ip + 40;
  memset(x, 0, 24);
  x[0] = 60; /* next: destination options */
  x[1] = 0;
  x[8] = IPPROTO_TCP;
  x[9] = 1; /* (1 + 1) * 8 = 16 bytes */
  size_t n = 24 + tcp(ip + 64, 443, 40004, 1, 2, PKT_TCP_SYN | PKT_TCP_ACK);
  n = ip6(ip, TGT6, US6, 0, 60, n);
  struct pkt_info pi;
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_int_equal(pi.l4.proto, IPPROTO_TCP);
  assert_true(pi.l4.has_ports);
  assert_int_equal(pi.l4.sport, 443);
  /* an extension header longer than the packet */
  x[9] = 200;
  assert_int_equal(pkt_parse_ip(ip, n, &pi), -1);
}

static void test_fragments_have_no_ports(void **state)
{
  (void)state;
  uint8_t ip[160];
  size_t n = v4_tcp(ip, TGT4, US4, 64, 443, 40005, 1, 2, PKT_TCP_RST);
  w16(ip + 6, 0x2000 | 100); /* MF, offset 800 */
  struct pkt_info pi;
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.l4.has_ports);
  /* IPv6: a fragment header that is not the first fragment */
  uint8_t *fr = ip + 40;
  memset(fr, 0, 8);
  fr[0] = IPPROTO_TCP;
  w16(fr + 2, 100 << 3);
  n = 8 + tcp(ip + 48, 443, 40006, 1, 2, PKT_TCP_RST);
  n = ip6(ip, TGT6, US6, 44, 64, n);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_int_equal(pi.l4.proto, IPPROTO_TCP);
  assert_false(pi.l4.has_ports);
  /* ... and the first fragment does have them */
  w16(fr + 2, 1); /* offset 0, M */
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_true(pi.l4.has_ports);
  assert_int_equal(pi.l4.dport, 40006);
}

/* --- ICMP errors and what they quote --- */

static void test_icmp4_quotes_tcp(void **state)
{
  (void)state;
  uint8_t syn[64], ip[256], f[300];
  size_t sn = v4_tcp(syn, US4, TGT4, 64, 41000, 5065, 0xdeadbeef, 0, PKT_TCP_SYN);
  /* routers quote the IP header and at least 8 bytes; Linux quotes more */
  size_t quotes[] = {28, sn};
  for (size_t i = 0; i < 2; i++) {
    size_t n = v4_icmp(ip, RTR4, 3, 13, syn, quotes[i]);
    size_t fl = sll2(f, 0, 0x0800, ip, n);
    struct pkt_info pi;
    assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL2, &pi), 0);
    assert_true(pi.icmp_error);
    assert_false(pi.icmp_v6);
    assert_int_equal(pi.icmp_type, 3);
    assert_int_equal(pi.icmp_code, 13);
    assert_memory_equal(pi.l4.src.a, RTR4, 4);
    assert_int_equal(pi.l4.proto, IPPROTO_ICMP);
    assert_int_equal(pi.quoted.proto, IPPROTO_TCP);
    assert_memory_equal(pi.quoted.src.a, US4, 4);
    assert_memory_equal(pi.quoted.dst.a, TGT4, 4);
    assert_true(pi.quoted.has_ports);
    assert_int_equal(pi.quoted.sport, 41000);
    assert_int_equal(pi.quoted.dport, 5065);
    assert_int_equal(pi.quoted.seq, 0xdeadbeef);
  }
  /* time exceeded */
  size_t n = v4_icmp(ip, RTR4, 11, 0, syn, 28);
  struct pkt_info pi;
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_true(pi.icmp_error);
  assert_int_equal(pi.icmp_type, 11);
}

static void test_icmp4_quotes_udp(void **state)
{
  (void)state;
  uint8_t dg[64], ip[256];
  size_t dn = udp(dg + 20, 42000, 3478, 20);
  dn = ip4(dg, US4, TGT4, IPPROTO_UDP, 64, dn);
  size_t n = v4_icmp(ip, TGT4, 3, 3, dg, dn);
  struct pkt_info pi;
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_true(pi.icmp_error);
  assert_int_equal(pi.icmp_code, 3);
  assert_int_equal(pi.quoted.proto, IPPROTO_UDP);
  assert_int_equal(pi.quoted.sport, 42000);
  assert_int_equal(pi.quoted.dport, 3478);
  assert_true(pkt_addr_equal(&pi.l4.src, &pi.quoted.dst)); /* from the target itself */
}

static void test_icmp4_not_errors(void **state)
{
  (void)state;
  uint8_t syn[64], ip[256];
  size_t sn = v4_tcp(syn, US4, TGT4, 64, 41000, 5065, 1, 0, PKT_TCP_SYN);
  struct pkt_info pi;
  /* echo reply: an ICMP packet, not an error */
  size_t n = v4_icmp(ip, TGT4, 0, 0, syn, sn);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.icmp_error);
  /* a quote too short to hold an IP header */
  n = v4_icmp(ip, RTR4, 3, 13, syn, 12);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.icmp_error);
  /* a quote with only 4 bytes of TCP: ports, but no sequence number */
  n = v4_icmp(ip, RTR4, 3, 13, syn, 24);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_true(pi.icmp_error);
  assert_true(pi.quoted.has_ports);
  assert_int_equal(pi.quoted.seq, 0);
  /* a quote of 2 bytes of TCP: no ports */
  n = v4_icmp(ip, RTR4, 3, 13, syn, 22);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.quoted.has_ports);
  /* IPv4 with protocol 58 (ICMPv6) is not an ICMPv6 error */
  n = v4_icmp(ip, RTR4, 1, 4, syn, sn);
  ip[9] = IPPROTO_ICMPV6;
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.icmp_error);
  /* ICMPv4 quoting an IPv6 packet */
  uint8_t six[80];
  size_t sixn = tcp(six + 40, 41000, 5065, 1, 0, PKT_TCP_SYN);
  sixn = ip6(six, US6, TGT6, IPPROTO_TCP, 64, sixn);
  n = v4_icmp(ip, RTR4, 3, 13, six, sixn);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.icmp_error);
}

static void test_icmp6_quotes_tcp_and_udp(void **state)
{
  (void)state;
  uint8_t orig[128], ip[256], f[300];
  size_t on = tcp(orig + 40, 43000, 5061, 0xabcdef01, 0, PKT_TCP_SYN);
  on = ip6(orig, US6, TGT6, IPPROTO_TCP, 64, on);
  size_t n = v6_icmp(ip, RTR6, 1, 1, orig, on);
  size_t fl = sll(f, 0, 0x86dd, ip, n);
  struct pkt_info pi;
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL, &pi), 0);
  assert_true(pi.icmp_error);
  assert_true(pi.icmp_v6);
  assert_int_equal(pi.icmp_type, 1);
  assert_int_equal(pi.icmp_code, 1);
  assert_memory_equal(pi.l4.src.a, RTR6, 16);
  assert_memory_equal(pi.quoted.dst.a, TGT6, 16);
  assert_int_equal(pi.quoted.sport, 43000);
  assert_int_equal(pi.quoted.dport, 5061);
  assert_int_equal(pi.quoted.seq, 0xabcdef01);
  /* port unreachable about a UDP datagram, from the target */
  on = udp(orig + 40, 43001, 3478, 4);
  on = ip6(orig, US6, TGT6, IPPROTO_UDP, 64, on);
  n = v6_icmp(ip, TGT6, 1, 4, orig, on);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_true(pi.icmp_error);
  assert_int_equal(pi.icmp_code, 4);
  assert_int_equal(pi.quoted.proto, IPPROTO_UDP);
  assert_int_equal(pi.quoted.dport, 3478);
  /* hop limit exceeded */
  n = v6_icmp(ip, RTR6, 3, 0, orig, on);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_true(pi.icmp_error);
  assert_int_equal(pi.icmp_type, 3);
  /* echo reply (129) is no error; an ICMPv6 quote of 30 bytes holds no IPv6 header */
  n = v6_icmp(ip, TGT6, 129, 0, orig, on);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.icmp_error);
  n = v6_icmp(ip, RTR6, 1, 1, orig, 30);
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_false(pi.icmp_error);
}

/* --- truncation and garbage --- */

static void test_every_truncation(void **state)
{
  (void)state;
  uint8_t syn[64], ip[256], f[300];
  size_t sn = v4_tcp(syn, US4, TGT4, 64, 41000, 5065, 1, 0, PKT_TCP_SYN);
  size_t n = v4_icmp(ip, RTR4, 3, 13, syn, sn);
  static const int dlts[] = {DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_EN10MB, DLT_RAW};
  for (size_t d = 0; d < 4; d++) {
    size_t fl = dlts[d] == DLT_LINUX_SLL    ? sll(f, 0, 0x0800, ip, n)
                : dlts[d] == DLT_LINUX_SLL2 ? sll2(f, 0, 0x0800, ip, n)
                : dlts[d] == DLT_EN10MB     ? eth(f, 1, 0x0800, ip, n)
                                            : (memcpy(f, ip, n), n);
    size_t hdr = fl - n;
    for (size_t len = 0; len <= fl; len++) {
      /* a heap copy of exactly `len` bytes: ASan catches any read past it */
      uint8_t *cut = malloc(len ? len : 1);
      assert_non_null(cut);
      memcpy(cut, f, len);
      struct pkt_info pi;
      int rc = pkt_parse(cut, len, dlts[d], &pi);
      if (len < hdr + 20)
        assert_int_equal(rc, -1); /* no complete IPv4 header */
      else
        assert_int_equal(rc, 0);
      if (rc == 0 && pi.icmp_error) {
        assert_true(len >= hdr + 20 + 8 + 20); /* the quoted IP header is whole */
        assert_int_equal(pi.quoted.proto, IPPROTO_TCP);
      }
      free(cut);
    }
  }
}

static void test_bad_headers(void **state)
{
  (void)state;
  uint8_t ip[128];
  size_t n = v4_tcp(ip, TGT4, US4, 64, 443, 40007, 1, 2, PKT_TCP_RST);
  struct pkt_info pi;
  ip[0] = 0x44; /* IHL 4 */
  assert_int_equal(pkt_parse_ip(ip, n, &pi), -1);
  ip[0] = 0x4f; /* IHL 15: longer than the packet */
  assert_int_equal(pkt_parse_ip(ip, 40, &pi), -1);
  ip[0] = 0x45;
  w16(ip + 2, 10); /* total length shorter than the header */
  assert_int_equal(pkt_parse_ip(ip, n, &pi), -1);
  w16(ip + 2, 1500); /* longer than captured: what is there is used */
  assert_int_equal(pkt_parse_ip(ip, n, &pi), 0);
  assert_int_equal(pi.l4.sport, 443);
  ip[0] = 0x55; /* version 5 */
  assert_int_equal(pkt_parse_ip(ip, n, &pi), -1);
  assert_int_equal(pkt_parse_ip(ip, 0, &pi), -1);
  /* unknown link type */
  ip[0] = 0x45;
  assert_int_equal(pkt_parse(ip, n, DLT_NULL, &pi), -1);
  assert_int_equal(pkt_parse(ip, n, 9999, &pi), -1);
  /* SLL with a non-IP protocol */
  uint8_t f[256];
  size_t fl = sll(f, 0, 0x0806, ip, n);
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL, &pi), -1);
  fl = sll2(f, 0, 0x0806, ip, n);
  assert_int_equal(pkt_parse(f, fl, DLT_LINUX_SLL2, &pi), -1);
}

static void test_garbage(void **state)
{
  (void)state;
  static const int dlts[] = {DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_EN10MB, DLT_RAW};
  uint32_t x = 0x12345678;
  for (int round = 0; round < 20000; round++) {
    size_t len = (size_t)(round % 200);
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++) {
      x = x * 1103515245u + 12345u;
      buf[i] = (uint8_t)(x >> 16);
    }
    /* make some of them look like IP, to get past the first checks */
    if (len > 20 && round % 3 == 0)
      buf[(round / 3) % 2 ? 16 : 0] = (round % 2) ? 0x45 : 0x60;
    if (len > 40 && round % 5 == 0) {
      buf[9] = IPPROTO_ICMP;
      buf[20] = 3;
      buf[28] = 0x45;
    }
    struct pkt_info pi;
    int rc = pkt_parse(buf, len, dlts[round % 4], &pi);
    assert_true(rc == 0 || rc == -1);
    if (rc == 0) {
      assert_true(pi.l4.src.family == AF_INET || pi.l4.src.family == AF_INET6);
      if (pi.icmp_error)
        assert_int_equal(pi.quoted.src.family, pi.l4.src.family);
    }
    free(buf);
  }
}

static void test_addr_equal(void **state)
{
  (void)state;
  struct pkt_addr a = {.family = AF_INET}, b = {.family = AF_INET};
  memcpy(a.a, TGT4, 4);
  memcpy(b.a, TGT4, 4);
  b.a[10] = 7; /* beyond an IPv4 address: ignored */
  assert_true(pkt_addr_equal(&a, &b));
  b.a[3] = 131;
  assert_false(pkt_addr_equal(&a, &b));
  struct pkt_addr c = {.family = AF_INET6};
  memcpy(c.a, TGT4, 4);
  assert_false(pkt_addr_equal(&a, &c));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v4_synack_sll),
      cmocka_unit_test(test_v4_rst_sll2),
      cmocka_unit_test(test_ethernet_and_vlans),
      cmocka_unit_test(test_raw_v6_tcp),
      cmocka_unit_test(test_v6_extension_headers),
      cmocka_unit_test(test_fragments_have_no_ports),
      cmocka_unit_test(test_icmp4_quotes_tcp),
      cmocka_unit_test(test_icmp4_quotes_udp),
      cmocka_unit_test(test_icmp4_not_errors),
      cmocka_unit_test(test_icmp6_quotes_tcp_and_udp),
      cmocka_unit_test(test_every_truncation),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_addr_equal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
