/* common/platform_win.c - common/platform.h on Windows, and the plat_ functions behind the
 * POSIX names of common/wincompat/uc_wincompat.h. */
#ifdef _WIN32
#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <direct.h>
#include <io.h>
#include <mstcpip.h>
#include <wincrypt.h> /* before OpenSSL, which undefines its X509_NAME */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <winsock2.h>

#undef fclose /* plat_fclose below is made of the C library's */

#define PLAT_TCP_FAIL_CONNECT_ON_ICMP_ERROR 18 /* ws2ipdef.h of newer SDKs than mingw's */

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif
/* SIO_TCP_INFO and its TCP_INFO_v0 (Windows 10 1703) are declared only for programs that
 * need that version; ucscan runs on older systems too and finds out at run time (the call
 * fails there). The layout is Microsoft's (88 bytes, RttUs at 20). */
#ifndef SIO_TCP_INFO
#define SIO_TCP_INFO _WSAIORW(IOC_VENDOR, 39)
#endif
struct plat_tcp_info_v0 {
  int State;
  ULONG Mss;
  ULONG64 ConnectionTimeMs;
  BOOLEAN TimestampsEnabled;
  ULONG RttUs, MinRttUs, BytesInFlight, Cwnd, SndWnd, RcvWnd, RcvBuf;
  ULONG64 BytesOut, BytesIn;
  ULONG BytesReordered, BytesRetrans, FastRetrans, DupAcksIn, TimeoutEpisodes;
  UCHAR SynRetrans;
};
_Static_assert(sizeof(struct plat_tcp_info_v0) == 88, "TCP_INFO_v0 is 88 bytes");
_Static_assert(offsetof(struct plat_tcp_info_v0, RttUs) == 20, "RttUs at 20");

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

/* The console's output code page before plat_init() set UTF-8: the console belongs to
 * whoever started us (cmd.exe, PowerShell) and gets its own back at exit. Process-wide,
 * like the console itself; 0 when nothing was changed. */
static UINT saved_output_cp;

static void restore_console_cp(void)
{
  if (saved_output_cp)
    SetConsoleOutputCP(saved_output_cp);
}

static void console_escape_codes(DWORD std)
{
  HANDLE h = GetStdHandle(std);
  DWORD mode;
  if (h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode))
    SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING); /* fails before Windows 10 */
}

void plat_init(void)
{
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
  DWORD mode;
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE), err = GetStdHandle(STD_ERROR_HANDLE);
  bool console = (out != INVALID_HANDLE_VALUE && GetConsoleMode(out, &mode)) ||
                 (err != INVALID_HANDLE_VALUE && GetConsoleMode(err, &mode));
  if (console && GetConsoleOutputCP() != CP_UTF8) {
    saved_output_cp = GetConsoleOutputCP();
    if (SetConsoleOutputCP(CP_UTF8))
      atexit(restore_console_cp);
    else
      saved_output_cp = 0;
  }
  console_escape_codes(STD_OUTPUT_HANDLE);
  console_escape_codes(STD_ERROR_HANDLE);
}

int plat_dup_cloexec(int fd)
{
  int d = _dup(fd);
  if (d >= 0)
    SetHandleInformation((HANDLE)_get_osfhandle(d), HANDLE_FLAG_INHERIT, 0);
  return d;
}

/* errno for a Win32 error of a file operation. */
static int file_errno(DWORD e)
{
  switch (e) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_DRIVE:
    return ENOENT;
  case ERROR_ACCESS_DENIED:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION:
    return EACCES;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
    return ENOSPC;
  case ERROR_NOT_SAME_DEVICE:
    return EXDEV;
  case ERROR_FILENAME_EXCED_RANGE:
    return ENAMETOOLONG;
  case ERROR_WRITE_PROTECT:
    return EROFS;
  default:
    return EIO;
  }
}

/* A path as the C library reads it (the ANSI code page) in UTF-16; NULL on failure. */
static wchar_t *wide_path(const char *path)
{
  int n = MultiByteToWideChar(CP_ACP, 0, path, -1, NULL, 0);
  wchar_t *w = n > 0 ? malloc((size_t)n * sizeof(wchar_t)) : NULL;
  if (w && MultiByteToWideChar(CP_ACP, 0, path, -1, w, n) != n) {
    free(w);
    w = NULL;
  }
  return w;
}

int plat_replace_file(const char *from, const char *to)
{
  wchar_t *wf = wide_path(from), *wt = wide_path(to);
  int rc = -1;
  if (!wf || !wt)
    errno = ENOMEM;
  else if (MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    rc = 0;
  else
    errno = file_errno(GetLastError());
  free(wf);
  free(wt);
  return rc;
}

bool plat_is_device_name(const char *path)
{
  if (!path || !path[0])
    return false;
  /* the device namespace: \\.\X (\\?\X is a literal file name: not a device) */
  if ((path[0] == '\\' || path[0] == '/') && (path[1] == '\\' || path[1] == '/') &&
      path[2] == '.' && (path[3] == '\\' || path[3] == '/'))
    return true;
  if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':')
    path += 2; /* a drive: C:NUL */
  const char *base = path;
  for (const char *p = path; *p; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  /* the name before an extension, a stream or device colon, or trailing spaces */
  size_t n = strcspn(base, ".:");
  while (n > 0 && base[n - 1] == ' ')
    n--;
  static const char *const names[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (n == strlen(names[i]) && _strnicmp(base, names[i], n) == 0)
      return true;
  return n == 4 && (_strnicmp(base, "COM", 3) == 0 || _strnicmp(base, "LPT", 3) == 0) &&
         base[3] >= '1' && base[3] <= '9';
}

/* The identity of an existing file: volume and file index; false when it cannot be opened. */
static bool file_id(const char *path, BY_HANDLE_FILE_INFORMATION *info)
{
  wchar_t *w = wide_path(path);
  HANDLE h = w ? CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                             OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL)
               : INVALID_HANDLE_VALUE;
  free(w);
  if (h == INVALID_HANDLE_VALUE)
    return false;
  bool ok = GetFileInformationByHandle(h, info);
  CloseHandle(h);
  return ok;
}

int plat_same_file(const char *a, const char *b)
{
  BY_HANDLE_FILE_INFORMATION ia, ib;
  if (!file_id(a, &ia) || !file_id(b, &ib))
    return -1;
  return ia.dwVolumeSerialNumber == ib.dwVolumeSerialNumber &&
         ia.nFileIndexHigh == ib.nFileIndexHigh && ia.nFileIndexLow == ib.nFileIndexLow;
}

int plat_socket(int family, int type, int protocol)
{
  int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  DWORD flags = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT;
  SOCKET s = WSASocketW(family, t, protocol, NULL, 0, flags);
  if (s == INVALID_SOCKET && WSAGetLastError() == WSANOTINITIALISED) {
    WSADATA wsa; /* a program that did not start with plat_init() (a test) */
    if (WSAStartup(MAKEWORD(2, 2), &wsa) == 0)
      s = WSASocketW(family, t, protocol, NULL, 0, flags);
  }
  if (s == INVALID_SOCKET) {
    errno = plat_sock_errno();
    return -1;
  }
  u_long nonblocking = 1;
  if ((type & SOCK_NONBLOCK) && ioctlsocket(s, FIONBIO, &nonblocking) != 0) {
    errno = plat_sock_errno();
    closesocket(s);
    return -1;
  }
  return (int)s; /* socket handles are small numbers: they fit */
}

int plat_udp_socket(int family)
{
  int fd = plat_socket(family, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
  if (fd < 0)
    return plat_sock_uverr();
  /* On by default; said explicitly, since it is the only ICMP error Windows reports. */
  BOOL report = TRUE;
  DWORD bytes = 0;
  WSAIoctl((SOCKET)(unsigned)fd, SIO_UDP_CONNRESET, &report, sizeof(report), NULL, 0, &bytes, NULL,
           NULL);
  return fd;
}

void plat_sock_close(int fd)
{
  closesocket((SOCKET)(unsigned)fd);
}

int plat_sock_errno(void)
{
  switch (WSAGetLastError()) {
  case WSAEWOULDBLOCK:
    return EAGAIN;
  case WSAEINTR:
    return EINTR;
  case WSAECONNRESET:
    return ECONNRESET;
  case WSAENETRESET:
    return ENETRESET;
  case WSAEMSGSIZE:
    return EMSGSIZE;
  case WSAECONNREFUSED:
    return ECONNREFUSED;
  case WSAEHOSTUNREACH:
  case WSAEHOSTDOWN:
    return EHOSTUNREACH;
  case WSAENETUNREACH:
  case WSAENETDOWN:
    return ENETUNREACH;
  case WSAENOBUFS:
    return ENOBUFS;
  case WSAEMFILE:
    return EMFILE;
  case WSAEACCES:
    return EACCES;
  case WSAEADDRINUSE:
    return EADDRINUSE;
  case WSAEADDRNOTAVAIL:
    return EADDRNOTAVAIL;
  case WSAEAFNOSUPPORT:
    return EAFNOSUPPORT;
  case WSAEINVAL:
    return EINVAL;
  default:
    return EIO;
  }
}

int plat_clock_gettime(int clock, struct timespec *ts)
{
  if (clock == CLOCK_MONOTONIC) {
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f); /* never fails from Windows XP on */
    QueryPerformanceCounter(&c);
    ts->tv_sec = (time_t)(c.QuadPart / f.QuadPart);
    ts->tv_nsec = (long)((c.QuadPart % f.QuadPart) * 1000000000 / f.QuadPart);
    return 0;
  }
  if (clock != CLOCK_REALTIME) {
    errno = EINVAL;
    return -1;
  }
  FILETIME ft;
  GetSystemTimePreciseAsFileTime(&ft); /* 100 ns units since 1601-01-01 */
  uint64_t t = (((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime) - 116444736000000000ull;
  ts->tv_sec = (time_t)(t / 10000000);
  ts->tv_nsec = (long)(t % 10000000) * 100;
  return 0;
}

int plat_sock_uverr(void)
{
  return uv_translate_sys_error(WSAGetLastError());
}

int plat_tls_default_verify_paths(SSL_CTX *ctx)
{
  if (SSL_CTX_set_default_verify_paths(ctx) != 1)
    return 0;
  HCERTSTORE store = CertOpenSystemStoreW(0, L"ROOT");
  if (!store)
    return 1; /* no store to read: OpenSSL's paths alone */
  X509_STORE *x = SSL_CTX_get_cert_store(ctx);
  const CERT_CONTEXT *c = NULL;
  while ((c = CertEnumCertificatesInStore(store, c)) != NULL) {
    const unsigned char *der = c->pbCertEncoded;
    X509 *cert = d2i_X509(NULL, &der, (long)c->cbCertEncoded);
    if (cert) {
      X509_STORE_add_cert(x, cert); /* a duplicate of a file's certificate is harmless */
      X509_free(cert);
    }
  }
  ERR_clear_error();
  CertCloseStore(store, 0);
  return 1;
}

void plat_tcp_probe_opts(uv_os_sock_t sock, unsigned timeout_ms)
{
  /* The first SYN times out after three round trips (the initial RTO): at least timeout_ms. */
  unsigned rtt = timeout_ms / 3 + 1;
  TCP_INITIAL_RTO_PARAMETERS p = {.Rtt = (USHORT)(rtt < 65000 ? rtt : 65000),
                                  .MaxSynRetransmissions = TCP_INITIAL_RTO_NO_SYN_RETRANSMISSIONS};
  DWORD bytes = 0;
  WSAIoctl(sock, SIO_TCP_INITIAL_RTO, &p, sizeof(p), NULL, 0, &bytes, NULL, NULL);
  /* An ICMP error ends the connect (WSAEHOSTUNREACH) instead of being ignored until the
   * deadline, and TCP_ICMP_ERROR_INFO says which (scanner/errqueue_win.c). */
  DWORD on = 1;
  setsockopt(sock, IPPROTO_TCP, PLAT_TCP_FAIL_CONNECT_ON_ICMP_ERROR, (const char *)&on, sizeof(on));
}

int plat_sock_pending_error(uv_os_sock_t sock)
{
  (void)sock;
  return 0;
}

bool plat_tcp_connect_settled(uv_os_sock_t sock)
{
  (void)sock;
  return false;
}

double plat_tcp_rtt_ms(uv_os_sock_t sock)
{
  DWORD version = 0, bytes = 0;
  struct plat_tcp_info_v0 ti;
  memset(&ti, 0, sizeof(ti));
  if (WSAIoctl(sock, SIO_TCP_INFO, &version, sizeof(version), &ti, sizeof(ti), &bytes, NULL,
               NULL) != 0 ||
      ti.RttUs == 0)
    return -1; /* before Windows 10 1703, or not implemented (Wine) */
  return (double)ti.RttUs / 1000.0;
}

/* --- the POSIX names of common/wincompat/uc_wincompat.h ------------------------------------ */

int plat_fchmod(int fd, mode_t mode)
{
  (void)fd;
  (void)mode; /* Windows files have ACLs, not modes: a new report inherits its directory's */
  return 0;
}

int plat_readlink(const char *path, char *buf, size_t cap)
{
  (void)path;
  (void)buf;
  (void)cap;
  errno = EINVAL; /* not a symbolic link: lstat() never says one is */
  return -1;
}

char *plat_realpath(const char *path, char *resolved)
{
  if (GetFileAttributesA(path) == INVALID_FILE_ATTRIBUTES) {
    errno = file_errno(GetLastError());
    return NULL;
  }
  char *full = _fullpath(resolved, path, resolved ? _MAX_PATH : 0);
  if (!full)
    errno = ENAMETOOLONG;
  return full;
}

int plat_isatty(int fd)
{
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  DWORD mode;
  CONSOLE_SCREEN_BUFFER_INFO info;
  if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
    return 0; /* a file, a pipe, NUL (which the C library's isatty() calls a terminal) */
  if (!GetConsoleScreenBufferInfo(h, &info))
    return 1; /* console input */
  return (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

int plat_getrlimit(int resource, struct rlimit *rl)
{
  (void)resource;
  rl->rlim_cur = rl->rlim_max = RLIM_INFINITY;
  errno = ENOSYS; /* no such limit: callers go on as where getrlimit() fails */
  return -1;
}

int plat_setrlimit(int resource, const struct rlimit *rl)
{
  (void)rl;
  if (resource != RLIMIT_NOFILE) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

char *plat_strndup(const char *s, size_t n)
{
  size_t len = strnlen(s, n);
  char *d = malloc(len + 1);
  if (d) {
    memcpy(d, s, len);
    d[len] = '\0';
  }
  return d;
}

void *plat_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
  const unsigned char *h = hay;
  if (nlen == 0)
    return (void *)hay;
  for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
    if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, nlen) == 0)
      return (void *)(h + i);
  return NULL;
}

char *plat_mkdtemp(char *tmpl)
{
  for (int tries = 0; tries < 100; tries++) {
    char name[MAX_PATH];
    size_t len = strlen(tmpl);
    if (len < 6 || len >= sizeof(name) || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
      errno = EINVAL;
      return NULL;
    }
    memcpy(name, tmpl, len + 1);
    if (_mktemp_s(name, len + 1) != 0)
      return NULL;
    if (_mkdir(name) == 0) {
      memcpy(tmpl, name, len + 1);
      return tmpl;
    }
    if (errno != EEXIST)
      return NULL;
  }
  return NULL;
}

/* The open memory streams: up to PLAT_MEMSTREAMS at once (the code never holds more than
 * one or two), each a temporary file and where fclose() must put its bytes. Process-wide,
 * as the C library's own table of streams is; a lock keeps threads apart. */
#define PLAT_MEMSTREAMS 16
static struct memstream {
  FILE *f;
  char **buf;
  size_t *len;
} memstreams[PLAT_MEMSTREAMS];
static SRWLOCK memstreams_lock = SRWLOCK_INIT;

FILE *plat_open_memstream(char **buf, size_t *len)
{
  wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
  if (!GetTempPathW(MAX_PATH + 1, dir) || !GetTempFileNameW(dir, L"ucs", 0, name)) {
    errno = EIO;
    return NULL;
  }
  FILE *f = _wfopen(name, L"w+bD"); /* D: deleted when closed */
  if (!f) {
    DeleteFileW(name);
    return NULL;
  }
  AcquireSRWLockExclusive(&memstreams_lock);
  struct memstream *m = NULL;
  for (int i = 0; i < PLAT_MEMSTREAMS && !m; i++)
    if (!memstreams[i].f)
      m = &memstreams[i];
  if (m)
    *m = (struct memstream){f, buf, len};
  ReleaseSRWLockExclusive(&memstreams_lock);
  if (!m) {
    fclose(f);
    errno = EMFILE;
    return NULL;
  }
  *buf = NULL;
  *len = 0;
  return f;
}

/* The stream's bytes, NUL-terminated, in a new buffer; NULL on failure. */
static char *read_back(FILE *f, size_t *len)
{
  if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0)
    return NULL;
  long size = ftell(f);
  if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
    return NULL;
  char *b = malloc((size_t)size + 1);
  if (b && fread(b, 1, (size_t)size, f) != (size_t)size) {
    free(b);
    return NULL;
  }
  if (b) {
    b[size] = '\0';
    *len = (size_t)size;
  }
  return b;
}

int plat_fclose(FILE *f)
{
  struct memstream m = {0};
  AcquireSRWLockExclusive(&memstreams_lock);
  for (int i = 0; i < PLAT_MEMSTREAMS; i++)
    if (f && memstreams[i].f == f) {
      m = memstreams[i];
      memstreams[i].f = NULL;
    }
  ReleaseSRWLockExclusive(&memstreams_lock);
  if (!m.f)
    return fclose(f);
  size_t len = 0;
  char *b = read_back(f, &len);
  int rc = fclose(f);
  if (!b)
    return EOF;
  *m.buf = b;
  *m.len = len;
  return rc;
}

/* One part of an inet_aton address: decimal, octal (leading 0) or hex (0x); the end in *end. */
static bool aton_part(const char *s, const char **end, unsigned long long *v)
{
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  } else if (s[0] == '0') {
    base = 8;
  }
  *v = 0;
  const char *p = s;
  for (;; p++) {
    unsigned d;
    if (*p >= '0' && *p <= '9')
      d = (unsigned)(*p - '0');
    else if (base == 16 && *p >= 'a' && *p <= 'f')
      d = (unsigned)(*p - 'a' + 10);
    else if (base == 16 && *p >= 'A' && *p <= 'F')
      d = (unsigned)(*p - 'A' + 10);
    else
      break;
    if (d >= base || *v > 0xffffffffull)
      return false;
    *v = *v * base + d;
  }
  *end = p;
  return p > s || base == 8; /* "0" is a number; "0x" alone is not */
}

int plat_inet_aton(const char *s, struct in_addr *out)
{
  unsigned long long part[4];
  int n = 0;
  for (;;) {
    const char *end;
    if (n == 4 || !aton_part(s, &end, &part[n]))
      return 0;
    n++;
    if (*end == '\0')
      break;
    if (*end != '.')
      return 0;
    s = end + 1;
  }
  /* the last part fills the bytes the others leave: a.b.c.d, a.b.c (c 16 bits), a.b (b 24
   * bits), a (32 bits) */
  unsigned long long addr = part[n - 1];
  if (addr > (0xffffffffull >> (8 * (n - 1))))
    return 0;
  for (int i = 0; i < n - 1; i++) {
    if (part[i] > 0xff)
      return 0;
    addr |= part[i] << (24 - 8 * i);
  }
  out->s_addr = htonl((u_long)addr);
  return 1;
}

/* Signal dispositions, process-wide as on POSIX (a handler takes no context). Console events
 * arrive on a thread of their own at console_ctrl(); raise() goes through the C library. */
#define PLAT_NSIG 32
static struct plat_sigaction sig_act[PLAT_NSIG]; /* zero: SIG_DFL */
static volatile LONG ctrl_handler_set;

enum delivery { DELIVER_DEFAULT, DELIVER_IGNORED, DELIVER_HANDLED };

static bool act_is_default(const struct plat_sigaction *a)
{
  return !(a->sa_flags & SA_SIGINFO) && a->sa_handler == SIG_DFL;
}

static enum delivery deliver(int sig, int code)
{
  struct plat_sigaction a = sig_act[sig];
  if (a.sa_flags & SA_SIGINFO) {
    siginfo_t si = {.si_signo = sig, .si_code = code};
    a.sa_sigaction(sig, &si, NULL);
    return DELIVER_HANDLED;
  }
  if (a.sa_handler == SIG_DFL)
    return DELIVER_DEFAULT;
  if (a.sa_handler == SIG_IGN)
    return DELIVER_IGNORED;
  a.sa_handler(sig);
  return DELIVER_HANDLED;
}

/* Console events as signals. A handler left at SIG_DFL passes the event on (libuv's signal
 * watchers, then the system's default: the process ends). Windows ends the process when this
 * returns from a closed window, logoff or shutdown: after a handler ran, it waits, so that the
 * main thread can write the partial report and exit within the system's grace (5 s for a
 * closed window). */
static BOOL WINAPI console_ctrl(DWORD ev)
{
  int sig;
  switch (ev) {
  case CTRL_C_EVENT:
    sig = SIGINT;
    break;
  case CTRL_BREAK_EVENT:
    sig = act_is_default(&sig_act[SIGBREAK]) ? SIGTERM : SIGBREAK;
    break;
  case CTRL_CLOSE_EVENT:
  case CTRL_LOGOFF_EVENT:
  case CTRL_SHUTDOWN_EVENT:
    sig = SIGHUP;
    break;
  default:
    return FALSE;
  }
  enum delivery d = deliver(sig, SI_KERNEL);
  if (d == DELIVER_DEFAULT)
    return FALSE;
  if (d == DELIVER_HANDLED && sig == SIGHUP)
    Sleep(INFINITE);
  return TRUE;
}

/* SIGTERM and SIGABRT from raise(): the C library resets the disposition before it calls. */
static void crt_trampoline(int sig)
{
  signal(sig, crt_trampoline);
  deliver(sig, SI_USER);
}

int plat_sigaction(int sig, const struct plat_sigaction *act, struct plat_sigaction *old)
{
  if (sig <= 0 || sig >= PLAT_NSIG) {
    errno = EINVAL;
    return -1;
  }
  if (old)
    *old = sig_act[sig];
  if (!act)
    return 0;
  sig_act[sig] = *act;
  if (sig == SIGINT || sig == SIGBREAK || sig == SIGHUP) {
    if (InterlockedExchange(&ctrl_handler_set, 1) == 0)
      SetConsoleCtrlHandler(console_ctrl, TRUE);
  } else if (sig == SIGTERM || sig == SIGABRT) {
    bool ign = !(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_IGN;
    signal(sig, act_is_default(act) ? SIG_DFL : ign ? SIG_IGN : crt_trampoline);
  }
  return 0; /* SIGPIPE and the rest: never raised on Windows */
}
#endif
