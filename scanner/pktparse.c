/* scanner/pktparse.c - IPv4/IPv6, TCP/UDP and ICMP error decoding, bounds-checked. */
#include "scanner/pktparse.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

/* LINKTYPE_RAW: the value pcap files use for raw IP (DLT_RAW is 12 or 14 in memory). */
#define LINKTYPE_RAW_VALUE 101

static uint16_t rd16(const uint8_t *p)
{
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

bool pkt_addr_equal(const struct pkt_addr *a, const struct pkt_addr *b)
{
  if (a->family != b->family)
    return false;
  return memcmp(a->a, b->a, a->family == AF_INET ? 4 : 16) == 0;
}

void pkt_addr_str(const struct pkt_addr *a, char *buf, size_t cap)
{
  if (!inet_ntop(a->family, a->a, buf, (socklen_t)cap))
    snprintf(buf, cap, "?");
}

/* Transport header after an IP header; `partial` allows the 8 bytes an ICMP error quotes. */
static void parse_l4(const uint8_t *p, size_t len, uint8_t proto, struct pkt_l4 *l4)
{
  l4->proto = proto;
  if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= 4) {
    l4->sport = rd16(p);
    l4->dport = rd16(p + 2);
    l4->has_ports = true;
  }
  if (proto == IPPROTO_TCP && len >= 8)
    l4->seq = rd32(p + 4);
  if (proto == IPPROTO_TCP && len >= 14) {
    l4->ack = rd32(p + 8);
    l4->tcp_flags = p[13];
  }
}

/* An IP header: fills addresses and returns the payload (or NULL). */
static const uint8_t *parse_ip_header(const uint8_t *p, size_t len, struct pkt_l4 *l4, uint8_t *ttl,
                                      size_t *plen)
{
  if (len < 1)
    return NULL;
  unsigned version = p[0] >> 4;
  if (version == 4) {
    if (len < 20)
      return NULL;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > len)
      return NULL;
    size_t total = rd16(p + 2);
    if (total < ihl)
      return NULL;
    if (total > len)
      total = len; /* truncated capture or quote: keep what is there */
    l4->src.family = l4->dst.family = AF_INET;
    memcpy(l4->src.a, p + 12, 4);
    memcpy(l4->dst.a, p + 16, 4);
    l4->proto = p[9];
    *ttl = p[8];
    if ((rd16(p + 6) & 0x1fff) != 0) { /* a later fragment: no transport header */
      *plen = 0;
      return p + ihl;
    }
    *plen = total - ihl;
    return p + ihl;
  }
  if (version == 6) {
    if (len < 40)
      return NULL;
    l4->src.family = l4->dst.family = AF_INET6;
    memcpy(l4->src.a, p + 8, 16);
    memcpy(l4->dst.a, p + 24, 16);
    *ttl = p[7];
    size_t payload = rd16(p + 4);
    size_t avail = len - 40;
    if (payload > avail)
      payload = avail;
    /* Walk the common extension headers to the transport header. */
    uint8_t next = p[6];
    const uint8_t *q = p + 40;
    for (int hops = 0; hops < 8; hops++) {
      if (next == 0 || next == 43 || next == 60) { /* hop-by-hop, routing, destination */
        if (payload < 8)
          return NULL;
        size_t hl = ((size_t)q[1] + 1) * 8;
        if (hl > payload)
          return NULL;
        next = q[0];
        q += hl;
        payload -= hl;
        continue;
      }
      if (next == 44) { /* fragment */
        if (payload < 8)
          return NULL;
        bool first = (rd16(q + 2) & 0xfff8) == 0;
        next = q[0];
        q += 8;
        payload -= 8;
        if (!first) {
          l4->proto = next;
          *plen = 0;
          return q;
        }
        continue;
      }
      break;
    }
    l4->proto = next;
    *plen = payload;
    return q;
  }
  return NULL;
}

int pkt_parse_ip(const uint8_t *p, size_t len, struct pkt_info *out)
{
  memset(out, 0, sizeof(*out));
  size_t plen;
  const uint8_t *pl = parse_ip_header(p, len, &out->l4, &out->ttl, &plen);
  if (!pl)
    return -1;
  uint8_t proto = out->l4.proto;
  parse_l4(pl, plen, proto, &out->l4);
  bool v4 = out->l4.src.family == AF_INET;
  bool v4err = v4 && proto == IPPROTO_ICMP && plen >= 8 && (pl[0] == 3 || pl[0] == 11);
  bool v6err = !v4 && proto == IPPROTO_ICMPV6 && plen >= 8 && (pl[0] == 1 || pl[0] == 3);
  if (v4err || v6err) {
    out->icmp_error = true;
    out->icmp_v6 = v6err;
    out->icmp_type = pl[0];
    out->icmp_code = pl[1];
    uint8_t qttl;
    size_t qlen;
    const uint8_t *q = parse_ip_header(pl + 8, plen - 8, &out->quoted, &qttl, &qlen);
    if (q && out->quoted.src.family == out->l4.src.family)
      parse_l4(q, qlen, out->quoted.proto, &out->quoted);
    else
      out->icmp_error = false; /* quotes nothing we can match */
  }
  return 0;
}

int pkt_parse(const uint8_t *frame, size_t len, int dlt, struct pkt_info *out)
{
  size_t off;
  uint16_t ethertype;
  bool outgoing = false;
  switch (dlt) {
  case DLT_LINUX_SLL:
    if (len < 16)
      return -1;
    outgoing = rd16(frame) == 4; /* PACKET_OUTGOING */
    ethertype = rd16(frame + 14);
    off = 16;
    break;
  case DLT_LINUX_SLL2:
    if (len < 20)
      return -1;
    ethertype = rd16(frame);
    outgoing = frame[10] == 4;
    off = 20;
    break;
  case DLT_EN10MB:
    if (len < 14)
      return -1;
    ethertype = rd16(frame + 12);
    off = 14;
    while ((ethertype == 0x8100 || ethertype == 0x88a8) && len >= off + 4) { /* VLAN tags */
      ethertype = rd16(frame + off + 2);
      off += 4;
    }
    break;
  case DLT_RAW:
  case DLT_IPV4:
  case DLT_IPV6:
  case LINKTYPE_RAW_VALUE: /* DLT_RAW as pcap files store it, when it differs */
    off = 0;
    ethertype = len && (frame[0] >> 4) == 6 ? 0x86dd : 0x0800;
    break;
  default:
    return -1;
  }
  if (ethertype != 0x0800 && ethertype != 0x86dd)
    return -1;
  if (pkt_parse_ip(frame + off, len - off, out) < 0)
    return -1;
  out->outgoing = outgoing;
  return 0;
}
