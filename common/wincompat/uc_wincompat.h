/* common/wincompat/uc_wincompat.h - the POSIX pieces ucscan uses that mingw-w64 lacks, for
 * the Windows build only. CMake force-includes it (-include) in every source of that build,
 * before anything else: Winsock comes before <windows.h>, the macros of the Windows headers
 * that clash with ordinary words are removed, and the missing names are supplied, each as
 * a macro onto a plat_ function of common/platform_win.c or onto the CRT's own spelling.
 *
 * What is emulated, and how far (the rest of the code relies on no more than this):
 *   getrlimit/setrlimit  fail (ENOSYS), as where a limit cannot be read: Windows sockets
 *                        are handles, not descriptors, with no per-process limit to raise
 *                        (under Wine the Unix limit of the wineserver applies, unseen)
 *   geteuid/getuid       0: the Windows build has no Unix users; nothing it does depends
 *                        on root (no capture, no privileged ports, no --user)
 *   sigaction            console events through SetConsoleCtrlHandler: Ctrl-C is SIGINT,
 *                        Ctrl-Break SIGBREAK (SIGTERM's handler when SIGBREAK has none),
 *                        a closed console window, logoff or shutdown SIGHUP; each with
 *                        si_code SI_KERNEL, on a thread of its own. SIGTERM and SIGABRT
 *                        (raise() only) through the CRT's signal(); SIGPIPE and the rest
 *                        are accepted and never raised. sa_handler and sa_sigaction (with
 *                        SA_SIGINFO) are both honoured; SA_RESTART is implied (Windows does
 *                        not interrupt a write for a console event). sigprocmask holds
 *                        nothing (the events come on their own thread, not in a write)
 *   lstat, S_ISLNK       there are no symbolic links the CRT can see: lstat is stat
 *   realpath             GetFullPathName of an existing file (NULL and ENOENT otherwise)
 *   fsync, fchmod        _commit; fchmod keeps the CRT's read-only bit only
 *   timegm               _mkgmtime
 *   clock_gettime        CLOCK_REALTIME (GetSystemTimePreciseAsFileTime) and CLOCK_MONOTONIC
 *                        (QueryPerformanceCounter), without winpthreads
 *   strndup, memmem      plain implementations; mkdtemp: _mktemp_s, then _mkdir
 *   open_memstream       a temporary file that fclose() reads back into the buffer;
 *                        *buf and *len are set by fclose() only, not by fflush()
 *   inet_aton            its own parser of the forms glibc's accepts (Windows has none)
 *   isatty               a console that takes ANSI escape codes (colours, the progress
 *                        line): Windows 10 / Server 2016 consoles once plat_init() has
 *                        turned the codes on; older consoles count as not a terminal
 * The headers that do not exist in mingw (sys/socket.h, netinet/in.h, ...) are files in
 * this directory that include nothing more than this. */
#ifndef UC_WINCOMPAT_H
#define UC_WINCOMPAT_H

#ifdef _WIN32

#ifndef _POSIX_THREAD_SAFE_FUNCTIONS
#define _POSIX_THREAD_SAFE_FUNCTIONS 200112L /* gmtime_r, localtime_r */
#endif

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Words the Windows headers define as macros. */
#undef interface
#undef ERROR
#undef DELETE
#undef IN
#undef OUT
#undef OPTIONAL
#undef small
#undef near
#undef far
/* cmocka declares its printf-like functions format(__printf__, ...), which gcc takes for
 * Microsoft's printf on Windows; this build's printf is the GNU one. */
#define __printf__ __gnu_printf__

/* Formats: for gcc on Windows, format(printf, ...) means Microsoft's printf, which knows
 * neither %zu nor %jd; ucscan's own printf (__USE_MINGW_ANSI_STDIO) is the GNU one. The
 * project's declarations say format(printf, ...); the system headers spell it
 * __format__, which this leaves alone. */
#define format(archetype, fmt, first) format(gnu_printf, fmt, first)

/* --- users ---------------------------------------------------------------------------- */
typedef unsigned int uid_t;
typedef unsigned int gid_t;
#define geteuid() 0u
#define getuid() 0u
#define getegid() 0u
#define getgid() 0u

/* --- descriptors and files -------------------------------------------------------------- */
#ifndef O_CLOEXEC
#define O_CLOEXEC _O_NOINHERIT
#endif
#ifndef O_DIRECTORY
#define O_DIRECTORY 0 /* open() of a directory fails on Windows: callers skip what needs it */
#endif
#ifndef S_ISLNK
#define S_ISLNK(m) 0
#endif
#define lstat stat
#define fsync _commit
int plat_fchmod(int fd, mode_t mode);
#define fchmod plat_fchmod
int plat_readlink(const char *path, char *buf, size_t cap);
#define readlink plat_readlink
char *plat_realpath(const char *path, char *resolved);
#define realpath plat_realpath
#define timegm _mkgmtime
int plat_clock_gettime(int clock, struct timespec *ts);
#define clock_gettime plat_clock_gettime
int plat_isatty(int fd);
#define isatty plat_isatty

/* open_memstream: a temporary file (deleted on close) whose bytes fclose() copies into
 * *buf / *len. Only fclose() publishes them (never fflush()): that is all the code asks. */
FILE *plat_open_memstream(char **buf, size_t *len);
int plat_fclose(FILE *f);
#define open_memstream plat_open_memstream
#define fclose plat_fclose

/* GNU and POSIX string and file functions mingw lacks. */
char *plat_strndup(const char *s, size_t n);
void *plat_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen);
char *plat_mkdtemp(char *tmpl);
#define strndup plat_strndup
#define memmem plat_memmem
#define mkdtemp plat_mkdtemp

/* --- resource limits ---------------------------------------------------------------------- */
typedef unsigned long long rlim_t;
struct rlimit {
  rlim_t rlim_cur, rlim_max;
};
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~(rlim_t)0)
int plat_getrlimit(int resource, struct rlimit *rl);
int plat_setrlimit(int resource, const struct rlimit *rl);
#define getrlimit plat_getrlimit
#define setrlimit plat_setrlimit

/* --- signals ------------------------------------------------------------------------------- */
#ifndef _POSIX
typedef _sigset_t sigset_t;
#endif
#ifndef SIGHUP
#define SIGHUP 1 /* as libuv's uv/win.h: a closed console window */
#endif
#ifndef SIGPIPE
#define SIGPIPE 13 /* never raised: a write to a reset socket fails with an error */
#endif
typedef struct {
  int si_signo;
  int si_code; /* SI_KERNEL: a console event (typed, the window closed); SI_USER: raise() */
} siginfo_t;
#define SI_USER 0
#define SI_KERNEL 0x80
#define SA_SIGINFO 4
#define SA_RESTART 0x10000000
struct plat_sigaction {
  void (*sa_handler)(int);
  void (*sa_sigaction)(int, siginfo_t *, void *); /* with SA_SIGINFO; no union here */
  sigset_t sa_mask;
  int sa_flags;
};
int plat_sigaction(int sig, const struct plat_sigaction *act, struct plat_sigaction *old);
#define sigaction plat_sigaction
static inline int plat_sigemptyset(sigset_t *set)
{
  *set = 0;
  return 0;
}
static inline int plat_sigaddset(sigset_t *set, int sig)
{
  *set |= (sigset_t)1 << sig;
  return 0;
}
static inline int plat_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
  (void)how;
  (void)set;
  if (old)
    *old = 0;
  return 0;
}
#define sigemptyset plat_sigemptyset
#define sigaddset plat_sigaddset
#define sigprocmask plat_sigprocmask
#define SIG_BLOCK 0
#define SIG_SETMASK 2

/* --- sockets -------------------------------------------------------------------------------- */
/* Windows sockets opened by ucscan itself are always non-blocking, and a datagram larger than
 * the buffer fails with WSAEMSGSIZE (the first bytes are in the buffer): callers that
 * pass these flags handle that error (common/platform.h). */
#define MSG_DONTWAIT 0
#define SHUT_RD SD_RECEIVE
#define SHUT_WR SD_SEND
#define SHUT_RDWR SD_BOTH
#define MSG_TRUNC 0
/* The resolver's lenient IPv4 forms (a, a.b, a.b.c, octal 010, hex 0x0a), as glibc's. */
int plat_inet_aton(const char *s, struct in_addr *out);
#define inet_aton plat_inet_aton
/* Winsock takes char buffers and int lengths where POSIX takes void and size_t, and sets
 * no errno: these wrappers cast, and on failure set errno to the POSIX value of the Winsock
 * error (plat_sock_errno), so that `if (errno == EAGAIN)` after a socket call means on
 * Windows what it means on Linux. A datagram larger than recvfrom's buffer (WSAEMSGSIZE) is
 * not an error: its first len bytes are in the buffer, and len is returned, as Linux does
 * without MSG_TRUNC. */
int plat_sock_errno(void);
static inline int plat_sock_ret(int rc)
{
  if (rc == SOCKET_ERROR)
    errno = plat_sock_errno();
  return rc;
}
static inline ssize_t plat_sendto(SOCKET s, const void *buf, size_t len, int flags,
                                  const struct sockaddr *to, socklen_t tolen)
{
  return plat_sock_ret(sendto(s, (const char *)buf, (int)len, flags, to, tolen));
}
static inline ssize_t plat_recvfrom(SOCKET s, void *buf, size_t len, int flags,
                                    struct sockaddr *from, socklen_t *fromlen)
{
  int n = recvfrom(s, (char *)buf, (int)len, flags, from, fromlen);
  if (n == SOCKET_ERROR && WSAGetLastError() == WSAEMSGSIZE)
    return (ssize_t)len;
  return plat_sock_ret(n);
}
static inline int plat_setsockopt(SOCKET s, int level, int name, const void *val, socklen_t len)
{
  return plat_sock_ret(setsockopt(s, level, name, (const char *)val, len));
}
static inline int plat_getsockopt(SOCKET s, int level, int name, void *val, socklen_t *len)
{
  return plat_sock_ret(getsockopt(s, level, name, (char *)val, len));
}
static inline ssize_t plat_send(SOCKET s, const void *buf, size_t len, int flags)
{
  return plat_sock_ret(send(s, (const char *)buf, (int)len, flags));
}
static inline ssize_t plat_recv(SOCKET s, void *buf, size_t len, int flags)
{
  return plat_sock_ret(recv(s, (char *)buf, (int)len, flags));
}
/* socket() with Linux's type flags: SOCK_NONBLOCK (FIONBIO) and SOCK_CLOEXEC (a handle
 * child processes do not inherit; Windows sockets are inheritable by default). Returns the
 * SOCKET as an int (kernel handle values fit), or -1 with errno set. Such a socket is closed
 * with plat_sock_close(), never close(). */
#define SOCK_NONBLOCK 0x40000000
#define SOCK_CLOEXEC 0x20000000
int plat_socket(int family, int type, int protocol);
static inline int plat_bind(SOCKET s, const struct sockaddr *addr, socklen_t len)
{
  return plat_sock_ret(bind(s, addr, len));
}
#define send plat_send
#define recv plat_recv
#define sendto plat_sendto
#define recvfrom plat_recvfrom
#define setsockopt plat_setsockopt
#define getsockopt plat_getsockopt
#define bind(s, addr, len) plat_bind(s, addr, len)
#define socket(family, type, protocol) plat_socket(family, type, protocol)

#endif /* _WIN32 */
#endif
