/* scanner/capture_none.c - the packet capture and raw SYN probes of a build without libpcap
 * (the Windows build: Npcap is not available there; a Linux build with -DUC_PCAP=OFF).
 *
 * Every entry point of scanner/capture.h and scanner/synscan.h is here and says why it
 * cannot work, so the scan runs exactly as an unprivileged Linux scan does: connect probes
 * only, "evidence_capture": {"available": false, "reason": CAPTURE_NONE_WHY} in the report,
 * and --capture / --tcp-method syn refused before anything is sent. CMakeLists.txt
 * compiles this file instead of capture.c and synscan.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scanner/capture.h"
#include "scanner/synscan.h"

#ifdef _WIN32
#define CAPTURE_NONE_WHY                                                                           \
  "evidence capture is unavailable: the Windows build of ucscan has no packet capture "            \
  "(Npcap is not available)"
#else
#define CAPTURE_NONE_WHY                                                                           \
  "evidence capture is unavailable: this ucscan was built without libpcap (UC_PCAP=OFF)"
#endif

struct capture *capture_open(uv_loop_t *loop, const char *dump_path, char *why, size_t whycap)
{
  (void)loop;
  (void)dump_path;
  snprintf(why, whycap, "%s", CAPTURE_NONE_WHY);
  return NULL;
}

int capture_set_filter(struct capture *c, const char *filter, char *why, size_t whycap)
{
  (void)c;
  (void)filter;
  snprintf(why, whycap, "%s", CAPTURE_NONE_WHY);
  return -1;
}

void capture_subscribe(struct capture *c, capture_cb cb, capture_batch_cb batch_cb, void *arg)
{
  (void)c;
  (void)cb;
  (void)batch_cb;
  (void)arg;
}

int capture_dump_chown(struct capture *c, uid_t uid, gid_t gid, char *why, size_t whycap)
{
  (void)c;
  (void)uid;
  (void)gid;
  (void)why;
  (void)whycap;
  return 0; /* no dump file: nothing to hand over */
}

bool capture_permitted(char *why, size_t whycap)
{
  snprintf(why, whycap, "%s", CAPTURE_NONE_WHY);
  return false;
}

int capture_check_file(const char *path, char *why, size_t whycap)
{
  (void)path;
  (void)why;
  (void)whycap;
  return 0; /* capture_permitted() refuses --capture, with the reason that matters */
}

void capture_drain(struct capture *c)
{
  (void)c;
}

void capture_flush(struct capture *c)
{
  (void)c;
}

unsigned capture_drops(struct capture *c)
{
  (void)c;
  return 0;
}

unsigned long capture_packets(const struct capture *c)
{
  (void)c;
  return 0;
}

void capture_close(struct capture *c)
{
  (void)c;
}

int synscan_open(struct synscan *s, const uint8_t key[16], char *why, size_t whycap)
{
  (void)key;
  memset(s, 0, sizeof(*s));
  s->raw_fd = s->hold_fd = -1;
  snprintf(why, whycap, "%s", CAPTURE_NONE_WHY);
  return -1;
}

void synscan_close(struct synscan *s)
{
  (void)s;
}

bool synscan_add(struct synscan *s, uint32_t saddr_be, uint32_t daddr_be, uint16_t dport)
{
  (void)s;
  (void)saddr_be;
  (void)daddr_be;
  (void)dport;
  return false;
}

int synscan_source_for(uint32_t daddr_be, uint32_t *saddr_be)
{
  (void)daddr_be;
  *saddr_be = 0;
  return -1;
}

int synscan_flush(struct synscan *s)
{
  (void)s;
  errno = ENOSYS;
  return -1;
}

uint32_t synscan_cookie(const struct synscan *s, uint32_t daddr_be, uint16_t dport)
{
  (void)s;
  (void)daddr_be;
  (void)dport;
  return 0;
}

size_t synscan_build(uint8_t out[44], uint32_t saddr_be, uint32_t daddr_be, uint16_t sport,
                     uint16_t dport, uint32_t seq, uint16_t ip_id)
{
  (void)saddr_be;
  (void)daddr_be;
  (void)sport;
  (void)dport;
  (void)seq;
  (void)ip_id;
  memset(out, 0, 44);
  return 0;
}

enum syn_answer synscan_classify(const struct synscan *s, const struct pkt_info *p, uint16_t *port)
{
  (void)s;
  (void)p;
  (void)port;
  return SYN_NOT_OURS;
}

bool synscan_icmp_ours(const struct synscan *s, const struct pkt_info *p, uint16_t *port)
{
  (void)s;
  (void)p;
  (void)port;
  return false;
}
