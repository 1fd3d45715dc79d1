/* scanner/synscan.h - raw TCP SYN probes for the ports of a range (IPv4).
 *
 * A connect() per port costs a socket, a connection and a close in our kernel; for the
 * thousands of ports of a media range the scan only needs to know whether the host
 * answers SYN with SYN-ACK (open), RST (closed), an ICMP error, or nothing (filtered).
 * With CAP_NET_RAW, ucscan sends those SYNs itself through a raw socket, in batches
 * (sendmmsg), from one source port it reserves by binding a TCP socket to it (so the
 * kernel neither hands that port out nor keeps state: it answers a SYN-ACK with RST,
 * which closes the half-open connection on the target). Answers come back through the
 * capture (scanner/capture.h). The sequence number is a keyed hash of the destination,
 * so an answer is accepted only if it acknowledges a SYN we sent. */
#ifndef UC_SYNSCAN_H
#define UC_SYNSCAN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/pktparse.h"

#define SYN_BATCH 64

struct synscan {
  int raw_fd;  /* IPPROTO_RAW, IP_HDRINCL */
  int hold_fd; /* TCP socket bound to (0.0.0.0, sport): reserves the port */
  uint16_t sport;
  uint64_t key;
  /* pending batch */
  unsigned n;
  uint8_t pkt[SYN_BATCH][44];
  struct sockaddr_in dst[SYN_BATCH];
  uint32_t next_id;
};

/* Opens the raw socket and reserves a source port. Returns 0, or -1 with a reason. */
int synscan_open(struct synscan *s, const uint8_t key[16], char *why, size_t whycap);
void synscan_close(struct synscan *s);
/* Adds one SYN to the batch. saddr_be is the source address the kernel's routing uses
 * towards daddr (synscan_source_for); it is part of the TCP checksum. Returns false when
 * the batch is full: flush first. */
bool synscan_add(struct synscan *s, uint32_t saddr_be, uint32_t daddr_be, uint16_t dport);
/* The local address the kernel would use to reach daddr. Returns 0 or -1. */
int synscan_source_for(uint32_t daddr_be, uint32_t *saddr_be);
/* Sends the batch. Returns how many went out (the rest stay queued, at the front), or -1
 * with errno on a hard error. */
int synscan_flush(struct synscan *s);
/* The sequence number of our SYN to daddr:dport. */
uint32_t synscan_cookie(const struct synscan *s, uint32_t daddr_be, uint16_t dport);
/* Builds the 44-byte IPv4+TCP SYN (src address 0: filled in by the kernel). Exposed for
 * tests; the TCP checksum is computed for `saddr_be` (0 leaves it to be fixed later). */
size_t synscan_build(uint8_t out[44], uint32_t saddr_be, uint32_t daddr_be, uint16_t sport,
                     uint16_t dport, uint32_t seq, uint16_t ip_id);

enum syn_answer { SYN_NOT_OURS = 0, SYN_OPEN, SYN_CLOSED };
/* Is this packet an answer to one of our SYNs? Gives the target port. */
enum syn_answer synscan_classify(const struct synscan *s, const struct pkt_info *p, uint16_t *port);
/* Is this ICMP error about one of our SYNs? */
bool synscan_icmp_ours(const struct synscan *s, const struct pkt_info *p, uint16_t *port);

#endif
