/* scanner/synscan.c - raw SYN packets: building, sending in batches, matching answers. */
#include "scanner/synscan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t mix64(uint64_t x)
{
  /* splitmix64 finaliser: a keyed hash is all the cookie needs. */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

uint32_t synscan_cookie(const struct synscan *s, uint32_t daddr_be, uint16_t dport)
{
  return (uint32_t)mix64(s->key ^ ((uint64_t)ntohl(daddr_be) << 16) ^ dport);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
  for (size_t i = 0; i + 1 < n; i += 2)
    acc += (uint32_t)((p[i] << 8) | p[i + 1]);
  if (n & 1)
    acc += (uint32_t)(p[n - 1] << 8);
  return acc;
}

static uint16_t fold(uint32_t acc)
{
  while (acc >> 16)
    acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)~acc;
}

size_t synscan_build(uint8_t out[44], uint32_t saddr_be, uint32_t daddr_be, uint16_t sport,
                     uint16_t dport, uint32_t seq, uint16_t ip_id)
{
  memset(out, 0, 44);
  /* IPv4 header: the kernel fills in the header checksum (raw(7), IP_HDRINCL). */
  out[0] = 0x45;
  out[2] = 0;
  out[3] = 44;
  out[4] = (uint8_t)(ip_id >> 8);
  out[5] = (uint8_t)ip_id;
  out[6] = 0x40; /* don't fragment */
  out[8] = 64;
  out[9] = IPPROTO_TCP;
  memcpy(out + 12, &saddr_be, 4);
  memcpy(out + 16, &daddr_be, 4);
  uint8_t *t = out + 20;
  t[0] = (uint8_t)(sport >> 8);
  t[1] = (uint8_t)sport;
  t[2] = (uint8_t)(dport >> 8);
  t[3] = (uint8_t)dport;
  t[4] = (uint8_t)(seq >> 24);
  t[5] = (uint8_t)(seq >> 16);
  t[6] = (uint8_t)(seq >> 8);
  t[7] = (uint8_t)seq;
  t[12] = 6 << 4; /* 24-byte header */
  t[13] = 0x02;   /* SYN */
  t[14] = 0xff;   /* window 65535 */
  t[15] = 0xff;
  t[20] = 2; /* MSS 1460 */
  t[21] = 4;
  t[22] = 0x05;
  t[23] = 0xb4;
  uint8_t pseudo[12];
  memcpy(pseudo, &saddr_be, 4);
  memcpy(pseudo + 4, &daddr_be, 4);
  pseudo[8] = 0;
  pseudo[9] = IPPROTO_TCP;
  pseudo[10] = 0;
  pseudo[11] = 24;
  uint16_t ck = fold(sum16(t, 24, sum16(pseudo, 12, 0)));
  t[16] = (uint8_t)(ck >> 8);
  t[17] = (uint8_t)ck;
  return 44;
}

int synscan_source_for(uint32_t daddr_be, uint32_t *saddr_be)
{
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9)};
  d.sin_addr.s_addr = daddr_be;
  struct sockaddr_in me;
  socklen_t len = sizeof(me);
  int rc = connect(fd, (struct sockaddr *)&d, sizeof(d)) == 0 &&
                   getsockname(fd, (struct sockaddr *)&me, &len) == 0
               ? 0
               : -1;
  close(fd);
  if (rc == 0)
    *saddr_be = me.sin_addr.s_addr;
  return rc;
}

int synscan_open(struct synscan *s, const uint8_t key[16], char *why, size_t whycap)
{
  memset(s, 0, sizeof(*s));
  s->raw_fd = s->hold_fd = -1;
  memcpy(&s->key, key, sizeof(s->key));
  memcpy(&s->next_id, key + 8, sizeof(s->next_id));
  s->raw_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  if (s->raw_fd < 0) {
    snprintf(why, whycap, "raw socket: %s", strerror(errno));
    return -1;
  }
  int sz = 4 * 1024 * 1024;
  setsockopt(s->raw_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
  /* Reserve the source port: bound, never listening, so answers find no socket. */
  s->hold_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  if (s->hold_fd < 0 || bind(s->hold_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(s->hold_fd, (struct sockaddr *)&a, &len) != 0) {
    snprintf(why, whycap, "cannot reserve a source port: %s", strerror(errno));
    synscan_close(s);
    return -1;
  }
  s->sport = ntohs(a.sin_port);
  return 0;
}

void synscan_close(struct synscan *s)
{
  if (s->raw_fd >= 0)
    close(s->raw_fd);
  if (s->hold_fd >= 0)
    close(s->hold_fd);
  s->raw_fd = s->hold_fd = -1;
}

bool synscan_add(struct synscan *s, uint32_t saddr_be, uint32_t daddr_be, uint16_t dport)
{
  if (s->n == SYN_BATCH)
    return false;
  unsigned i = s->n++;
  synscan_build(s->pkt[i], saddr_be, daddr_be, s->sport, dport, synscan_cookie(s, daddr_be, dport),
                (uint16_t)s->next_id++);
  memset(&s->dst[i], 0, sizeof(s->dst[i]));
  s->dst[i].sin_family = AF_INET;
  s->dst[i].sin_addr.s_addr = daddr_be;
  return true;
}

int synscan_flush(struct synscan *s)
{
  if (s->n == 0)
    return 0;
  struct mmsghdr msgs[SYN_BATCH];
  struct iovec iov[SYN_BATCH];
  memset(msgs, 0, sizeof(msgs));
  for (unsigned i = 0; i < s->n; i++) {
    iov[i].iov_base = s->pkt[i];
    iov[i].iov_len = 44;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &s->dst[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(s->dst[i]);
  }
  int sent;
  do
    sent = sendmmsg(s->raw_fd, msgs, s->n, 0);
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    return -1;
  /* Keep what did not go out at the front. */
  unsigned left = s->n - (unsigned)sent;
  if (left) {
    memmove(s->pkt, s->pkt + sent, left * sizeof(s->pkt[0]));
    memmove(s->dst, s->dst + sent, left * sizeof(s->dst[0]));
  }
  s->n = left;
  return sent;
}

enum syn_answer synscan_classify(const struct synscan *s, const struct pkt_info *p, uint16_t *port)
{
  const struct pkt_l4 *l = &p->l4;
  if (p->outgoing || p->icmp_error || l->proto != IPPROTO_TCP || !l->has_ports ||
      l->dport != s->sport || l->src.family != AF_INET)
    return SYN_NOT_OURS;
  uint32_t daddr;
  memcpy(&daddr, l->src.a, 4);
  if (!(l->tcp_flags & PKT_TCP_ACK) || l->ack != synscan_cookie(s, daddr, l->sport) + 1u)
    return SYN_NOT_OURS;
  *port = l->sport;
  if ((l->tcp_flags & (PKT_TCP_SYN | PKT_TCP_RST)) == PKT_TCP_SYN)
    return SYN_OPEN;
  if (l->tcp_flags & PKT_TCP_RST)
    return SYN_CLOSED;
  return SYN_NOT_OURS;
}

bool synscan_icmp_ours(const struct synscan *s, const struct pkt_info *p, uint16_t *port)
{
  const struct pkt_l4 *q = &p->quoted;
  if (!p->icmp_error || q->proto != IPPROTO_TCP || !q->has_ports || q->sport != s->sport ||
      q->dst.family != AF_INET)
    return false;
  uint32_t daddr;
  memcpy(&daddr, q->dst.a, 4);
  /* ICMP quotes at least 8 bytes of TCP: ports and our sequence number. */
  if (q->seq != synscan_cookie(s, daddr, q->dport))
    return false;
  *port = q->dport;
  return true;
}
