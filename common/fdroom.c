/* common/fdroom.c - counting free descriptors by opening them. */
#include "common/fdroom.h"

#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int fdroom_take(void)
{
  int fd = open(PLAT_NULL_DEVICE, O_RDONLY | O_CLOEXEC);
  if (fd >= 0 || errno == EMFILE || errno == ENFILE)
    return fd;
  /* no /dev/null (a bare chroot): a copy of whichever standard descriptor is open */
  for (int std = 0; std <= 2 && fd < 0; std++)
    fd = plat_dup_cloexec(std);
  return fd;
}

int fdroom_loop_init(uv_loop_t *loop)
{
  return fdroom_free(FDROOM_UV_LOOP) < FDROOM_UV_LOOP ? UV_EMFILE : uv_loop_init(loop);
}

unsigned fdroom_free(unsigned want)
{
  int fds[64];
  unsigned n = 0;
  if (want > 64)
    want = 64;
  while (n < want) {
    int fd = fdroom_take();
    if (fd < 0)
      break;
    fds[n++] = fd;
  }
  for (unsigned i = 0; i < n; i++)
    close(fds[i]);
  return n;
}
