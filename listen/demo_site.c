/* listen/demo_site.c - the demo's sample deployment, its faults and its sandbox. */
#include "listen/demo_site.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#ifndef _WIN32 /* the sandbox: Linux namespaces (Windows: listen/demo_site_win.c) */
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

static const char demo_topology[] =
    "{\n"
    "  \"name\": \"contoso-demo\",\n"
    "  \"product\": \"sfb2015\",\n"
    "  \"hosts\": [\n"
    "    {\"name\": \"fe01.contoso.test\", \"address\": \"127.0.0.11\", \"roles\": "
    "[\"front-end\"],\n"
    "     \"pool\": \"pool01.contoso.test\"},\n"
    "    {\"name\": \"dir01.contoso.test\", \"address\": \"127.0.0.12\", \"roles\": "
    "[\"director\"]},\n"
    "    {\"name\": \"med01.contoso.test\", \"address\": \"127.0.0.13\", \"roles\": "
    "[\"mediation\"]},\n"
    "    {\"name\": \"edge01.contoso.test\", \"address\": \"127.0.0.14\", \"roles\": [\"edge\"]}\n"
    "  ]\n"
    "}\n";

static const struct demo_fault demo_fault_list[] = {
    {"dir01.contoso.test", 444, UC_TCP, LISTEN_FAULT_CLOSED, UC_FAIL,
     "the Director's web services port 444 was never opened"},
    {"med01.contoso.test", 5070, UC_TCP, LISTEN_FAULT_NO_CLIENT_CERT, UC_WARN,
     "the Mediation Server's MTLS port asks for no client certificate"},
    {"edge01.contoso.test", 443, UC_TCP, LISTEN_FAULT_EXPIRED_CERT, UC_WARN,
     "the Edge's access port 443 serves an expired certificate"},
};

const char *demo_topology_json(void)
{
  return demo_topology;
}

size_t demo_faults(const struct demo_fault **out)
{
  *out = demo_fault_list;
  return sizeof(demo_fault_list) / sizeof(demo_fault_list[0]);
}

void demo_trim_ranges(struct catalog *cat, unsigned max_ports)
{
  for (size_t i = 0; i < cat->nrows; i++) {
    struct cat_row *r = &cat->rows[i];
    if (!r->is_range || r->any_port || max_ports == 0)
      continue;
    if ((unsigned)r->last - r->first + 1 > max_ports)
      r->last = (uint16_t)(r->first + max_ports - 1);
  }
}

size_t demo_shift_privileged(struct catalog *cat)
{
  size_t n = 0;
  for (size_t i = 0; i < cat->nrows; i++) {
    struct cat_row *r = &cat->rows[i];
    if (r->any_port || r->last >= 1024)
      continue;
    r->first = (uint16_t)(r->first + DEMO_PORT_SHIFT);
    r->last = (uint16_t)(r->last + DEMO_PORT_SHIFT);
    n++;
  }
  return n;
}

uint16_t demo_port(uint16_t port, bool shifted)
{
  return shifted && port < 1024 ? (uint16_t)(port + DEMO_PORT_SHIFT) : port;
}

#ifndef _WIN32
static int write_file(const char *path, const char *text)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)len ? 0 : -1;
}

static int loopback_up(void)
{
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

int demo_sandbox(char *note, size_t cap)
{
  uid_t uid = geteuid();
  gid_t gid = getegid();
  int flags = CLONE_NEWNET | (uid != 0 ? CLONE_NEWUSER : 0);
  if (unshare(flags) != 0) {
    snprintf(note, cap, "on this machine's loopback: no private network namespace here (%s%s)",
             strerror(errno), uid != 0 ? "; unprivileged user namespaces are not allowed" : "");
    return 0;
  }
  if (uid != 0) {
    /* Keep our own ids inside: files we write stay ours. */
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
    write_file("/proc/self/uid_map", map);
    snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
    write_file("/proc/self/gid_map", map);
  }
  if (loopback_up() != 0) {
    snprintf(note, cap, "cannot bring up the loopback of the private network namespace: %s",
             strerror(errno));
    return -1;
  }
  snprintf(note, cap, "in a private network namespace: nothing outside this process sees them");
  return 1;
}

bool demo_can_bind_privileged(void)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  /* Port 1 on a loopback address the demo does not use: bind only, never listen. */
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1)};
  a.sin_addr.s_addr = htonl(0x7f00000a); /* 127.0.0.10 */
  int rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
  int saved = errno;
  close(fd);
  return rc == 0 || saved != EACCES;
}
#endif
