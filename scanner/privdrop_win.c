/* scanner/privdrop_win.c - --user on Windows: there is no root to give up (the Windows build
 * opens no capture and no raw socket), so there is nothing to switch to either; --user is
 * refused before anything is scanned. CMakeLists.txt compiles this instead of privdrop.c
 * on Windows. */
#ifdef _WIN32
#include <stdio.h>
#include <string.h>

#include "scanner/privdrop.h"

#define PRIVDROP_WIN_WHY                                                                           \
  "switching users is not available on Windows: ucscan.exe needs no administrator rights; "        \
  "run it as the account that should write the report (runas /user:NAME)"

int privdrop_lookup(const char *name, struct privdrop_user *u, char *why, size_t whycap)
{
  (void)name;
  memset(u, 0, sizeof(*u));
  snprintf(why, whycap, "%s", PRIVDROP_WIN_WHY);
  return -1;
}

int privdrop_apply(const struct privdrop_user *u, char *why, size_t whycap)
{
  (void)u;
  snprintf(why, whycap, "%s", PRIVDROP_WIN_WHY);
  return -1;
}

int privdrop_run_as(const struct privdrop_user *u, int (*fn)(void *arg), void *arg, char *why,
                    size_t whycap)
{
  (void)u;
  (void)fn;
  (void)arg;
  snprintf(why, whycap, "%s", PRIVDROP_WIN_WHY);
  return -1;
}
#endif
