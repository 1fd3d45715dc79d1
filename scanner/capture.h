/* scanner/capture.h - the scan's own traffic seen through libpcap, driven by the loop.
 *
 * One capture handle on the "any" device with a BPF filter for the scan's targets, made
 * non-blocking and watched with uv_poll on pcap's selectable descriptor: no threads.
 * Every packet is decoded (scanner/pktparse.h) and handed to the subscriber (the engine:
 * SYN-scan answers, ICMP errors, TTLs); with a dump file every matching packet is also
 * written to a standard pcap file that tcpdump and Wireshark read.
 *
 * Needs CAP_NET_RAW (and CAP_NET_ADMIN for the "any" device's promiscuity settings on
 * some kernels). capture_open() says why when it cannot. */
#ifndef UC_CAPTURE_H
#define UC_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "scanner/pktparse.h"

struct capture;

typedef void (*capture_cb)(void *arg, const struct pkt_info *p);
/* Called after each batch of packets (so a subscriber can act once per batch). */
typedef void (*capture_batch_cb)(void *arg);

/* filter: a pcap filter expression. dump_path: pcap file to write, or NULL.
 * Returns NULL and a reason in `why` when capturing is not possible. */
struct capture *capture_open(uv_loop_t *loop, const char *filter, const char *dump_path,
                             char *why, size_t whycap);
void capture_subscribe(struct capture *c, capture_cb cb, capture_batch_cb batch_cb, void *arg);
/* Process every packet waiting now (used before judging an error, so that the ICMP that
 * caused it has been seen). */
void capture_drain(struct capture *c);
/* Packets the kernel dropped because we read too slowly. */
unsigned capture_drops(struct capture *c);
unsigned long capture_packets(const struct capture *c);
/* Drains, flushes and closes the dump file, closes the handle; frees itself once the
 * poll handle is closed (run the loop). */
void capture_close(struct capture *c);

#endif
