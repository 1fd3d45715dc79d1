/* common/wincompat/netinet/in.h - for the Windows build: Winsock and the POSIX names mingw lacks
 * come from uc_wincompat.h (force-included everywhere); this file only lets the POSIX
 * include line stand. */
#ifndef UC_WINCOMPAT_NETINET_IN_H
#define UC_WINCOMPAT_NETINET_IN_H
#include "uc_wincompat.h"
#endif
