/* tests/support/under_wine.c - telling Wine from Windows (tests only). */
#include "tests/support/under_wine.h"

#ifdef _WIN32
#include <windows.h>

bool test_under_wine(void)
{
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
}
#else
bool test_under_wine(void)
{
  return false;
}
#endif
