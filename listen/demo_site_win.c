/* listen/demo_site_win.c - the demo's sandbox on Windows: there is none to enter. Windows
 * has no private network namespaces, so the demo's listeners run on this machine's loopback
 * (127.0.0.11-14: Windows routes all of 127.0.0.0/8 to the loopback interface), where any
 * program may open ports below 1024. */
#ifdef _WIN32
#include <stdio.h>

#include "listen/demo_site.h"

int demo_sandbox(char *note, size_t cap)
{
  snprintf(note, cap, "on this machine's loopback: Windows has no private network namespaces");
  return 0;
}

bool demo_can_bind_privileged(void)
{
  return true; /* no privileged ports on Windows */
}
#endif
