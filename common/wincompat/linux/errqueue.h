/* common/wincompat/linux/errqueue.h - for the Windows build: Windows has no socket error
 * queue (scanner/errqueue_win.c says what it has instead); this file only lets the Linux
 * include line stand. */
#ifndef UC_WINCOMPAT_LINUX_ERRQUEUE_H
#define UC_WINCOMPAT_LINUX_ERRQUEUE_H
#include "uc_wincompat.h"
#endif
