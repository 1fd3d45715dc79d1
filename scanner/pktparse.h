/* scanner/pktparse.h - a captured frame decoded into what the engine needs: addresses,
 * ports, TTL, TCP flags and sequence numbers, and for ICMP/ICMPv6 errors the header of
 * the probe they quote. Pure functions on buffers. */
#ifndef UC_PKTPARSE_H
#define UC_PKTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pkt_addr {
  int family; /* AF_INET or AF_INET6 */
  uint8_t a[16];
};

struct pkt_l4 {
  struct pkt_addr src, dst;
  uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, ... */
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t tcp_flags;
  bool has_ports;
};

struct pkt_info {
  int64_t ts_ns; /* when the kernel saw it (the capture's timestamp, CLOCK_REALTIME); 0: unknown */
  bool outgoing; /* sent by this host (cooked captures tell) */
  uint8_t ttl;   /* TTL or hop limit */
  struct pkt_l4 l4;
  /* ICMP destination unreachable / time exceeded (v4), or ICMPv6 types 1 and 3 */
  bool icmp_error;
  bool icmp_v6;
  int icmp_type, icmp_code;
  struct pkt_l4 quoted; /* the probe's headers inside the error (as sent by us) */
};

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_ACK 0x10

/* Decodes a frame of libpcap link type `dlt` (DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_EN10MB,
 * DLT_RAW). Returns 0, or -1 when it is not an IPv4/IPv6 packet we understand. */
int pkt_parse(const uint8_t *frame, size_t len, int dlt, struct pkt_info *out);
/* Decodes an IP packet (no link header). */
int pkt_parse_ip(const uint8_t *p, size_t len, struct pkt_info *out);
bool pkt_addr_equal(const struct pkt_addr *a, const struct pkt_addr *b);
void pkt_addr_str(const struct pkt_addr *a, char *buf, size_t cap);

#endif
