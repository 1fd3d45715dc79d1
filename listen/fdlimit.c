/* listen/fdlimit.c - raising RLIMIT_NOFILE for a listener. */
#include "listen/fdlimit.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

unsigned long listen_fd_count(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return 16; /* a guess: stdio and the loop */
  unsigned long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n > 0 ? n - 1 : 0; /* the directory's own descriptor */
}

static unsigned long nr_open(void)
{
  unsigned long v = 1048576;
  FILE *f = fopen("/proc/sys/fs/nr_open", "r");
  if (f) {
    if (fscanf(f, "%lu", &v) != 1)
      v = 1048576;
    fclose(f);
  }
  return v;
}

static unsigned long lim(rlim_t v)
{
  return v == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)v;
}

void listen_fd_prepare(size_t ports, unsigned conns, struct listen_fds *out)
{
  memset(out, 0, sizeof(*out));
  out->in_use = listen_fd_count();
  out->need = out->in_use + ports + conns + LISTEN_FD_RESERVE;
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    out->ports = ports;
    out->conns = conns;
    out->enough = true;
    return;
  }
  out->soft_before = lim(rl.rlim_cur);
  if (lim(rl.rlim_cur) < out->need) {
    if (lim(rl.rlim_max) < out->need) {
      /* Root (CAP_SYS_RESOURCE) may raise the hard limit too. */
      struct rlimit up = {.rlim_cur = out->need, .rlim_max = out->need};
      unsigned long cap = nr_open();
      if (up.rlim_max > cap)
        up.rlim_cur = up.rlim_max = cap;
      if (setrlimit(RLIMIT_NOFILE, &up) != 0)
        setrlimit(RLIMIT_NOFILE,
                  &(struct rlimit){.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max});
    } else {
      setrlimit(RLIMIT_NOFILE, &(struct rlimit){.rlim_cur = out->need, .rlim_max = rl.rlim_max});
    }
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  out->soft = lim(rl.rlim_cur);
  out->hard = lim(rl.rlim_max);
  if (out->soft >= out->need) {
    out->ports = ports;
    out->conns = conns;
    out->enough = true;
    return;
  }
  /* Short: connections get a sixteenth of what is left (at least 16), ports the rest. */
  unsigned long left =
      out->soft > out->in_use + LISTEN_FD_RESERVE ? out->soft - out->in_use - LISTEN_FD_RESERVE : 0;
  unsigned long c = left / 16 < 16 ? 16 : left / 16;
  if (c > conns)
    c = conns;
  if (c > left)
    c = left;
  out->conns = (unsigned)c;
  out->ports = left - c < ports ? (size_t)(left - c) : ports;
  out->enough = false;
}
