/* scanner/capture.c - libpcap on the loop. */
#include "scanner/capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_SNAPLEN 256
#define CAPTURE_BUFFER (4 * 1024 * 1024)

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
  if (pkt_parse(bytes, h->caplen, c->dlt, &pi) == 0)
    c->cb(c->arg, &pi);
}

void capture_drain(struct capture *c)
{
  if (!c || !c->pcap)
    return;
  /* pcap_dispatch with -1 handles one buffer's worth; loop until nothing is left. */
  for (int i = 0; i < 1000; i++)
    if (pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c) <= 0)
      break;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
  struct capture *c = p->data;
  (void)status;
  (void)events;
  capture_drain(c);
  if (c->batch_cb)
    c->batch_cb(c->arg);
}

struct capture *capture_open(uv_loop_t *loop, const char *filter, const char *dump_path,
                             char *why, size_t whycap)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  struct capture *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(why, whycap, "out of memory");
    return NULL;
  }
  c->pcap = pcap_create("any", errbuf);
  if (!c->pcap) {
    snprintf(why, whycap, "libpcap: %s", errbuf);
    free(c);
    return NULL;
  }
  pcap_set_snaplen(c->pcap, CAPTURE_SNAPLEN);
  pcap_set_promisc(c->pcap, 0);
  pcap_set_immediate_mode(c->pcap, 1);
  pcap_set_buffer_size(c->pcap, CAPTURE_BUFFER);
  int rc = pcap_activate(c->pcap);
  if (rc < 0) {
    if (rc == PCAP_ERROR_PERM_DENIED)
      snprintf(why, whycap,
               "packet capture needs CAP_NET_RAW (run as root, or setcap "
               "cap_net_raw,cap_net_admin+ep on the binary)");
    else
      snprintf(why, whycap, "libpcap: %s", pcap_geterr(c->pcap));
    pcap_close(c->pcap);
    free(c);
    return NULL;
  }
  c->dlt = pcap_datalink(c->pcap);
  struct bpf_program prog;
  if (pcap_compile(c->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
      pcap_setfilter(c->pcap, &prog) < 0) {
    snprintf(why, whycap, "libpcap filter \"%.120s\": %s", filter, pcap_geterr(c->pcap));
    pcap_close(c->pcap);
    free(c);
    return NULL;
  }
  pcap_freecode(&prog);
  if (pcap_setnonblock(c->pcap, 1, errbuf) < 0) {
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
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
  c->polling = true;
  return c;
}

void capture_subscribe(struct capture *c, capture_cb cb, capture_batch_cb batch_cb, void *arg)
{
  c->cb = cb;
  c->batch_cb = batch_cb;
  c->arg = arg;
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
  pcap_close(c->pcap);
  free(c);
}

void capture_close(struct capture *c)
{
  if (!c)
    return;
  capture_drain(c);
  c->cb = NULL;
  c->batch_cb = NULL;
  if (c->dump) {
    pcap_dump_flush(c->dump);
    pcap_dump_close(c->dump);
    c->dump = NULL;
  }
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_closed);
}
