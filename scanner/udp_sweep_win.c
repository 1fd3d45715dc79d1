/* scanner/udp_sweep_win.c - the UDP sweep of scanner/engine_int.h on Windows: there is
 * none, and every UDP range port goes port by port (scanner/attempt_udp.c), one socket each,
 * as targets the sweep cannot take do on Linux.
 *
 * The sweep (scanner/udp_sweep.c) sends every port's datagram from one socket and learns
 * which port an ICMP port unreachable is about from the error queue, where the message
 * carries the original destination. Windows reports a port unreachable only as the next
 * receive's WSAECONNRESET, which names no port: on one shared socket a closed port could
 * not be told from a silent one. With a socket per port the error is that port's.
 * CMakeLists.txt compiles this file instead of udp_sweep.c on Windows. */
#ifdef _WIN32
#include "scanner/engine_int.h"

void sweep_setup(struct engine *e)
{
  e->sweep.targets = NULL;
  e->sweep.ntargets = 0;
}

void sweep_off(struct engine *e)
{
  (void)e;
}

bool sweep_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  (void)e;
  (void)hs;
  (void)w;
  return false; /* not swept: attempt_udp.c */
}

bool sweep_busy(const struct engine *e)
{
  (void)e;
  return false;
}

bool sweep_queued(const struct host_sched *hs)
{
  (void)hs;
  return false;
}

void sweep_stop(struct engine *e)
{
  (void)e;
}

void sweep_finish_stopped(struct engine *e)
{
  (void)e;
}

void sweep_close(struct engine *e)
{
  (void)e; /* no socket was opened; the settle timer is the engine's to close */
}
#endif
