/* scanner/capture.h - the scan's own traffic seen through libpcap, driven by the loop.
 *
 * One capture handle on the "any" device with a BPF filter for the scan's targets, made
 * non-blocking and watched with uv_poll on pcap's selectable descriptor: no threads. Under a
 * flood (more than one wake-up a millisecond) the poll pauses for a millisecond after each
 * batch, so the loop's thread is not woken for every packet; capture_drain reads at once.
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
#include <sys/types.h>
#include <uv.h>

#include "scanner/pktparse.h"

struct capture;

typedef void (*capture_cb)(void *arg, const struct pkt_info *p);
/* Called after each batch of packets (so a subscriber can act once per batch). */
typedef void (*capture_batch_cb)(void *arg);

/* Opens the handle (the privileged step) with a filter that matches nothing, and the dump
 * file when dump_path is not NULL. The scan sets the real filter once it knows its targets
 * (capture_set_filter needs no privileges, so root can be dropped in between).
 * Returns NULL and a reason in `why` when capturing is not possible. */
struct capture *capture_open(uv_loop_t *loop, const char *dump_path, char *why, size_t whycap);
/* filter: a pcap filter expression. Returns 0, or -1 with a reason. */
int capture_set_filter(struct capture *c, const char *filter, char *why, size_t whycap);
void capture_subscribe(struct capture *c, capture_cb cb, capture_batch_cb batch_cb, void *arg);
/* Hands the dump file to uid:gid (before the process drops root). 0, or -1 with a reason. */
int capture_dump_chown(struct capture *c, uid_t uid, gid_t gid, char *why, size_t whycap);
/* Whether this process may capture at all (opens and closes a handle). */
bool capture_permitted(char *why, size_t whycap);
/* Whether `path` can be created or overwritten as a capture file. 0, or -1 with a reason. */
int capture_check_file(const char *path, char *why, size_t whycap);
/* Process every packet waiting now (used before judging an error, so that the ICMP that
 * caused it has been seen). */
void capture_drain(struct capture *c);
/* Writes what the dump file has buffered (the file stays open). */
void capture_flush(struct capture *c);
/* Packets the kernel dropped because we read too slowly. */
unsigned capture_drops(struct capture *c);
unsigned long capture_packets(const struct capture *c);
/* Flushes and closes the dump file, closes the handle; frees itself once the poll handle
 * is closed (run the loop). Packets still waiting are dropped: capture_drain first to
 * count and dump them (the count then matches the file). */
void capture_close(struct capture *c);

#endif
