/* scanner/tcp_sweep_win.c - the connect sweep of scanner/tcp_sweep.h on Windows: there is
 * none, and every TCP range port without raw SYNs goes port by port (scanner/attempt_tcp.c),
 * as under a tight open-file limit on Linux.
 *
 * The sweep (scanner/tcp_sweep.c) reuses one socket for port after port, which Linux allows
 * once a connect() failed or after connect(AF_UNSPEC); Winsock does not let a socket connect
 * again after a failed connect, and has no epoll for the worker threads to wait on. So
 * tcpsweep_setup marks no target and tcpsweep_start is never reached. CMakeLists.txt compiles
 * this file instead of tcp_sweep.c and tcp_sweep_worker.c on Windows. */
#ifdef _WIN32
#include "scanner/engine_int.h"

void tcpsweep_setup(struct engine *e)
{
  (void)e; /* no hs->tsweep: attempt_tcp.c */
}

bool tcpsweep_start(struct engine *e, struct host_sched *hs, const struct work *w)
{
  (void)e;
  (void)hs;
  (void)w;
  return false;
}

void tcpsweep_flush(struct engine *e)
{
  (void)e;
}

void tcpsweep_stop(struct engine *e)
{
  (void)e;
}

void tcpsweep_harvest(struct engine *e)
{
  (void)e;
}

void tcpsweep_close(struct engine *e)
{
  (void)e;
}

bool tcpsweep_owns_answer(const struct host_sched *hs, uint16_t port)
{
  (void)hs;
  (void)port;
  return false;
}
#endif
