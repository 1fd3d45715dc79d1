/* tests/support/under_wine.h - whether a test runs under Wine, for the few things Wine does
 * not do as Windows does (it reports no ICMP error to a UDP socket: Windows fails the next
 * recvfrom with WSAECONNRESET after a port unreachable). Such a test asserts what Wine
 * gives instead, named as such, so it still fails on anything else. */
#ifndef UC_TEST_UNDER_WINE_H
#define UC_TEST_UNDER_WINE_H

#include <stdbool.h>

/* True in a Windows build running on Wine (ntdll exports wine_get_version); false on Linux
 * and on Windows itself. */
bool test_under_wine(void);

#endif
