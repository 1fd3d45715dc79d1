/* scanner/capture.c - libpcap on the loop. */
#include "scanner/capture.h"

#include <errno.h>
#include <libgen.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAPTURE_SNAPLEN 256
#define CAPTURE_BUFFER (4 * 1024 * 1024)
#define CAPTURE_PACE_MS 1 /* a busy capture wakes the loop at most once a millisecond */
/* A filter no packet passes (every frame has a link header; libpcap refuses filters
 * that compile to a constant "reject"). */
#define NOTHING_FILTER "less 1"

struct capture {
  pcap_t *pcap;
  pcap_dumper_t *dump;
  int dlt;
  uv_poll_t poll;
  bool polling;
  capture_cb cb;
  capture_batch_cb batch_cb;
  void *arg;
  unsigned long packets;
  bool draining;   /* inside pcap_dispatch: a subscriber's drain request is already served */
  uv_timer_t pace; /* restarts the poll after a pause (on_readable) */
  uint64_t last_read_ns;
  int handles; /* poll and timer, until their close callbacks */
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
  struct capture *c = (struct capture *)user;
  c->packets++;
  if (c->dump)
    pcap_dump((u_char *)c->dump, h, bytes);
  if (!c->cb)
    return;
  struct pkt_info pi;
  if (pkt_parse(bytes, h->caplen, c->dlt, &pi) == 0) {
    pi.ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * 1000;
    c->cb(c->arg, &pi);
  }
}

void capture_drain(struct capture *c)
{
  if (!c || !c->pcap || c->draining)
    return;
  c->draining = true;
  /* pcap_dispatch with -1 handles one buffer's worth; loop until nothing is left. */
  for (int i = 0; i < 1000; i++)
    if (pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c) <= 0)
      break;
  c->draining = false;
}

static void on_readable(uv_poll_t *p, int status, int events);

static void read_batch(struct capture *c)
{
  capture_drain(c);
  if (c->batch_cb)
    c->batch_cb(c->arg);
}

static void on_pace(uv_timer_t *t)
{
  struct capture *c = t->data;
  read_batch(c);
  c->last_read_ns = uv_hrtime();
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
}

/* Packets come in faster than one wake-up a millisecond: the next read waits for the pace
 * timer, so that a flood (a connect scan's RSTs, answered while the loop's thread sleeps)
 * is read in batches instead of waking the thread for each packet. */
static void on_readable(uv_poll_t *p, int status, int events)
{
  struct capture *c = p->data;
  (void)status;
  (void)events;
  read_batch(c);
  uint64_t now = uv_hrtime();
  if (now - c->last_read_ns < CAPTURE_PACE_MS * 1000000ull) {
    uv_poll_stop(&c->poll);
    uv_timer_start(&c->pace, on_pace, CAPTURE_PACE_MS, 0);
  }
  c->last_read_ns = now;
}

/* Creates and activates a handle on "any". NULL and a reason when not permitted. */
static pcap_t *open_any(char *why, size_t whycap)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create("any", errbuf);
  if (!p) {
    snprintf(why, whycap, "libpcap: %s", errbuf);
    return NULL;
  }
  pcap_set_snaplen(p, CAPTURE_SNAPLEN);
  pcap_set_promisc(p, 0);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, CAPTURE_BUFFER);
  int rc = pcap_activate(p);
  if (rc < 0) {
    if (rc == PCAP_ERROR_PERM_DENIED)
      snprintf(why, whycap,
               "packet capture needs CAP_NET_RAW (run as root, or setcap "
               "cap_net_raw,cap_net_admin+ep on the binary)");
    else
      snprintf(why, whycap, "libpcap: %s", pcap_geterr(p));
    pcap_close(p);
    return NULL;
  }
  return p;
}

bool capture_permitted(char *why, size_t whycap)
{
  pcap_t *p = open_any(why, whycap);
  if (!p)
    return false;
  pcap_close(p);
  return true;
}

int capture_check_file(const char *path, char *why, size_t whycap)
{
  struct stat st;
  if (!path || !*path) {
    snprintf(why, whycap, "empty file name");
    return -1;
  }
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      snprintf(why, whycap, "is a directory");
      return -1;
    }
    if (access(path, W_OK) != 0) {
      snprintf(why, whycap, "not writable: %s", strerror(errno));
      return -1;
    }
    return 0;
  }
  if (errno != ENOENT) {
    snprintf(why, whycap, "%s", strerror(errno));
    return -1;
  }
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s", path);
  const char *dir = dirname(tmp);
  if (access(dir, W_OK | X_OK) != 0) {
    snprintf(why, whycap, "cannot create a file in %s: %s", dir, strerror(errno));
    return -1;
  }
  return 0;
}

static int apply_filter(pcap_t *p, const char *filter, char *why, size_t whycap)
{
  struct bpf_program prog;
  if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
    snprintf(why, whycap, "libpcap filter \"%.120s\": %s", filter, pcap_geterr(p));
    return -1;
  }
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc < 0) {
    snprintf(why, whycap, "libpcap filter: %s", pcap_geterr(p));
    return -1;
  }
  return 0;
}

struct capture *capture_open(uv_loop_t *loop, const char *dump_path, char *why, size_t whycap)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  struct capture *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(why, whycap, "out of memory");
    return NULL;
  }
  c->pcap = open_any(why, whycap);
  if (!c->pcap) {
    free(c);
    return NULL;
  }
  /* SLL2 names the interface of each packet (what `tcpdump -i any` writes); SLL otherwise. */
  pcap_set_datalink(c->pcap, DLT_LINUX_SLL2);
  c->dlt = pcap_datalink(c->pcap);
  /* Nothing passes until the scan knows its targets (capture_set_filter). */
  if (apply_filter(c->pcap, NOTHING_FILTER, why, whycap) < 0 ||
      pcap_setnonblock(c->pcap, 1, errbuf) < 0) {
    if (errbuf[0])
      snprintf(why, whycap, "libpcap: %s", errbuf);
    pcap_close(c->pcap);
    free(c);
    return NULL;
  }
  if (dump_path) {
    c->dump = pcap_dump_open(c->pcap, dump_path);
    if (!c->dump) {
      snprintf(why, whycap, "cannot write %s: %s", dump_path, pcap_geterr(c->pcap));
      pcap_close(c->pcap);
      free(c);
      return NULL;
    }
  }
  int fd = pcap_get_selectable_fd(c->pcap);
  if (fd < 0 || uv_poll_init(loop, &c->poll, fd) != 0) {
    snprintf(why, whycap, "libpcap: no selectable descriptor");
    if (c->dump)
      pcap_dump_close(c->dump);
    pcap_close(c->pcap);
    free(c);
    return NULL;
  }
  c->poll.data = c;
  uv_timer_init(loop, &c->pace);
  c->pace.data = c;
  c->handles = 2;
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
  c->polling = true;
  return c;
}

int capture_set_filter(struct capture *c, const char *filter, char *why, size_t whycap)
{
  return apply_filter(c->pcap, filter, why, whycap);
}

int capture_dump_chown(struct capture *c, uid_t uid, gid_t gid, char *why, size_t whycap)
{
  if (!c || !c->dump)
    return 0;
  FILE *f = pcap_dump_file(c->dump);
  if (!f || fchown(fileno(f), uid, gid) != 0) {
    snprintf(why, whycap, "cannot hand the capture file over: %s", f ? strerror(errno) : "?");
    return -1;
  }
  return 0;
}

void capture_subscribe(struct capture *c, capture_cb cb, capture_batch_cb batch_cb, void *arg)
{
  c->cb = cb;
  c->batch_cb = batch_cb;
  c->arg = arg;
}

void capture_flush(struct capture *c)
{
  if (c && c->dump)
    pcap_dump_flush(c->dump);
}

unsigned capture_drops(struct capture *c)
{
  struct pcap_stat st;
  if (!c || !c->pcap || pcap_stats(c->pcap, &st) < 0)
    return 0;
  return st.ps_drop;
}

unsigned long capture_packets(const struct capture *c)
{
  return c ? c->packets : 0;
}

static void on_closed(uv_handle_t *h)
{
  struct capture *c = h->data;
  if (--c->handles > 0)
    return;
  pcap_close(c->pcap);
  free(c);
}

void capture_close(struct capture *c)
{
  if (!c)
    return;
  c->cb = NULL;
  c->batch_cb = NULL;
  if (c->dump) {
    pcap_dump_flush(c->dump);
    pcap_dump_close(c->dump);
    c->dump = NULL;
  }
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_closed);
  uv_close((uv_handle_t *)&c->pace, on_closed);
}
