/* listen/demo_site.h - the sample deployment of `ucscan demo`: four hosts on loopback
 * addresses, each with its own listener, and the faults planted in them.
 *
 *   fe01.contoso.test    127.0.0.11  front-end  (pool pool01.contoso.test)
 *   dir01.contoso.test   127.0.0.12  director
 *   med01.contoso.test   127.0.0.13  mediation
 *   edge01.contoso.test  127.0.0.14  edge
 *
 * Ports come from the built-in catalog, as for any scan, with one change: every port range
 * is cut to its first DEMO_RANGE_PORTS ports (demo_trim_ranges). The front end's media
 * ranges alone are 33,000 TCP and UDP ports; listening on and scanning them would take
 * file descriptors a default `ulimit -n` does not give and more than the few seconds the
 * demo is meant to take, while a handful of ports shows the same thing: a UDP range proven
 * port by port because a ucscan listener answers. Single ports are all there. */
#ifndef UC_DEMO_SITE_H
#define UC_DEMO_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "common/uc.h"
#include "listen/listen.h"

#define DEMO_RANGE_PORTS 8
#define DEMO_PORT_SHIFT 10000 /* without root nor a sandbox: port p < 1024 becomes p + 10000 */

struct demo_fault {
  const char *host; /* topology name */
  uint16_t port;    /* catalog port (before any shift) */
  enum uc_transport transport;
  enum listen_fault fault;
  enum uc_verdict expect; /* what the scan must say */
  const char *what;       /* one line for the user */
};

/* The topology, as the contract's JSON. */
const char *demo_topology_json(void);
/* The planted faults. */
size_t demo_faults(const struct demo_fault **out);
/* Cuts every range row of the catalog to its first max_ports ports. */
void demo_trim_ranges(struct catalog *cat, unsigned max_ports);
/* Moves every row below port 1024 to port + DEMO_PORT_SHIFT; returns how many moved. */
size_t demo_shift_privileged(struct catalog *cat);
/* The port a fault is on after demo_shift_privileged (when `shifted`). */
uint16_t demo_port(uint16_t port, bool shifted);

/* Moves the process into a private network namespace (and, without root, a user namespace
 * that grants it: no privilege is needed where unprivileged user namespaces are allowed),
 * with its own loopback up. Nothing the demo does is then seen outside, no port of the
 * machine's can be in the way, and ports below 1024 can be opened. Must run before any
 * thread exists. Returns 1 when done; 0 when not possible (note says why: the demo then
 * uses the machine's loopback); -1 when the namespace was entered but its loopback could
 * not be brought up (note says why: nothing can work). */
int demo_sandbox(char *note, size_t cap);
/* Can this process open ports below 1024 here? */
bool demo_can_bind_privileged(void);

#endif
