/* scanner/evidence.h - what the packet capture proves about probes, in two small tables.
 *
 * Answer table: ICMP errors and TCP answers (SYN-ACK, RST) that the capture saw, keyed by
 * the probe they belong to (protocol, our local port, the target's address and port). A
 * connect() error cannot say who sent an ICMP "administratively prohibited" or what TTL a
 * RST had; the capture can, and it sees a packet before the socket reports the error it
 * causes (packet taps run before the IP layer), so an attempt that just failed drains the
 * capture and takes its entry. Fixed size, open addressing with a short probe window, no
 * allocation after init; entries expire, and an entry older than the attempt that asks is
 * never taken (ports are reused).
 *
 * TTL histograms: per host, the TTLs of its SYN-ACKs and of its RSTs, four exact slots each
 * (a host's answers normally share one TTL, two or three with load balancers or
 * middleboxes). A RST whose TTL none of the host's SYN-ACKs had, or, without SYN-ACKs,
 * far rarer than the usual RST TTL, likely came from a middlebox.
 *
 * Pure data structures; the engine's use of them is in evidence.c too (engine_int.h). */
#ifndef UC_EVIDENCE_H
#define UC_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/pktparse.h"

struct ev_key {
  uint8_t family; /* AF_INET or AF_INET6 */
  uint8_t proto;  /* IPPROTO_TCP */
  uint16_t lport; /* ours */
  uint16_t rport; /* the target's */
  uint8_t raddr[16];
};

enum ev_kind { EV_NONE = 0, EV_ICMP, EV_TCP };

struct ev_answer {
  struct ev_key key;
  uint64_t seen_ns; /* 0: free slot */
  int64_t rx_ns;    /* the capture's timestamp of the packet (CLOCK_REALTIME), 0: unknown */
  uint8_t kind;     /* enum ev_kind */
  uint8_t ttl;      /* TTL of the packet (the RST, SYN-ACK or ICMP error) */
  uint8_t tcp_flags;
  uint8_t icmp_v6, icmp_type, icmp_code;
  struct pkt_addr from; /* who sent it */
};

/* Slots probed per key: an insert evicts the oldest entry of its window when all are used
 * (sized so that this does not happen: see evidence_setup). */
#define EV_WINDOW 16

struct ev_table {
  struct ev_answer *slot;
  uint32_t mask;
  uint64_t max_age_ns;
  uint64_t evicted; /* live entries pushed out (the table was too small for the traffic) */
};

/* At least `min_slots` (a power of two from 64 to 65536). Returns 0 or -1. */
int ev_table_init(struct ev_table *t, uint32_t min_slots, uint64_t max_age_ns);
void ev_table_free(struct ev_table *t);
/* Records an answer (a->seen_ns must be set, non-zero); a newer answer with the same key
 * replaces the older one. */
void ev_table_put(struct ev_table *t, const struct ev_answer *a);
/* Takes (and frees) the answer for `k` seen at or after `since_ns`. */
bool ev_table_take(struct ev_table *t, const struct ev_key *k, uint64_t since_ns, uint64_t now_ns,
                   struct ev_answer *out);

/* The key of a TCP answer the capture saw (the target is the source), and of the probe an
 * ICMP error quotes (we are the quoted source). False when the packet has no such key. */
bool ev_key_of_answer(const struct pkt_info *p, struct ev_key *k);
bool ev_key_of_quote(const struct pkt_info *p, struct ev_key *k);

#define TTL_SLOTS 4

struct ttl_hist {
  uint8_t ttl[TTL_SLOTS];
  uint32_t n[TTL_SLOTS]; /* 0: slot free */
  uint32_t other;        /* answers with a fifth or later distinct TTL */
};

void ttl_hist_add(struct ttl_hist *h, uint8_t ttl);
uint32_t ttl_hist_count(const struct ttl_hist *h, uint8_t ttl);
/* The most frequent TTL (the lowest on a tie). False when empty. */
bool ttl_hist_top(const struct ttl_hist *h, uint8_t *ttl, uint32_t *n);

struct host_ttl {
  struct ttl_hist synack, rst;
};

/* Counts a TCP answer from the host by its flags (SYN-ACK or RST; others are ignored). */
void host_ttl_note(struct host_ttl *h, uint8_t tcp_flags, uint8_t ttl);
/* Is a RST with this TTL unlike the host's usual answers? `usual` gets their TTL.
 * With SYN-ACKs: yes when no SYN-ACK had this TTL (SYN-ACKs come from the host itself).
 * Without: yes when another RST TTL was seen at least 3 times and more than twice as often. */
bool host_ttl_odd_rst(const struct host_ttl *h, uint8_t ttl, uint8_t *usual);

/* The engine's evidence index, owned by evidence.c (evidence_setup fills it once the
 * addresses are known, evidence_teardown frees it): answers the capture saw, and the scan's
 * targets by address (open addressing; host1 is the target's index + 1, 0 a free slot). */
struct ev_host_slot {
  struct pkt_addr addr;
  uint32_t host1;
};

struct ev_index {
  struct ev_table answers;
  struct ev_host_slot *by_addr;
  uint32_t by_addr_mask;
};

#endif
