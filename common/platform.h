/* common/platform.h - what differs between the Linux and the Windows build, behind one
 * interface: common/platform_posix.c and common/platform_win.c implement it (each compiles
 * to nothing on the other system). Everything else is written once, against libuv and
 * POSIX; the POSIX names mingw lacks come from common/wincompat/ (Windows build only).
 *
 * Kept here: process start (Winsock, the console), the few sockets ucscan opens without
 * libuv, replacing a file atomically, and the kernel's view of a TCP round trip. */
#ifndef UC_PLATFORM_H
#define UC_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#ifdef _WIN32
#define PLAT_NULL_DEVICE "NUL"
#define PLAT_OS_NAME "Windows"
#else
#define PLAT_NULL_DEVICE "/dev/null"
#define PLAT_OS_NAME "Linux"
#endif

/* First thing in main(). Linux: nothing. Windows: Winsock 2.2; standard output and error
 * in binary mode (the same bytes as on Linux: "\n", not "\r\n"); a console, when there is
 * one, set to UTF-8 output (restored at exit) and, where it can, to ANSI escape codes
 * (Windows 10 / Server 2016), which isatty() then reports (common/wincompat). */
void plat_init(void);

/* A duplicate of `fd` that child processes do not inherit; -1 with errno on failure. */
int plat_dup_cloexec(int fd);

/* Renames `from` over `to`, replacing `to` if it exists, atomically for readers of `to`:
 * rename(2) on Linux; MoveFileEx with MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH on
 * Windows (whose rename() refuses an existing target). 0, or -1 with errno set. */
int plat_replace_file(const char *from, const char *to);

/* Do two paths name one existing file (hard links too)? 1 or 0; -1 when either does not
 * exist. Linux: device and inode; Windows: volume serial number and file index (stat()'s
 * st_ino is always 0 there). */
int plat_same_file(const char *a, const char *b);

/* Does `path` name a device the file system does not show as one? Windows: a reserved DOS
 * name (CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9, CONIN$, CONOUT$) as its last component, in
 * any case, with or without an extension or trailing spaces ("nul", "C:\\out\\NUL.json",
 * "com1:"), or a path in the device namespace (\\.\NUL, //./pipe/x): Windows opens the device
 * for such a name in any directory (NUL is what scripts use for /dev/null), while stat() says
 * it does not exist. POSIX: never (stat() shows /dev/null as the device it is). */
bool plat_is_device_name(const char *path);

/* A non-blocking UDP socket of `family`, not inherited by child processes. Linux: a plain
 * socket (evidence_socket_opts asks for ICMP details). Windows: a port unreachable makes the
 * next recvfrom() fail with WSAECONNRESET (SIO_UDP_CONNRESET, turned on explicitly), and no
 * other ICMP error is reported. Returns the socket (an int on both systems), or a libuv error
 * code (< 0). */
int plat_udp_socket(int family);
/* Closes a socket from plat_udp_socket (close(2); closesocket on Windows). */
void plat_sock_close(int fd);
/* The errno value (EAGAIN, ECONNRESET, EMSGSIZE, EHOSTUNREACH, ...) for the last socket
 * call that failed on this thread: errno on Linux, WSAGetLastError() translated on Windows. */
int plat_sock_errno(void);
/* The same error as a libuv error code: -errno on Linux; on Windows, whose libuv codes are
 * not negated errno values, uv_translate_sys_error(WSAGetLastError()). */
int plat_sock_uverr(void);

/* A libuv handle's uv_fileno() as the int socket the socket calls (and plat_udp_socket)
 * use: the descriptor itself on Linux; on Windows the SOCKET, whose value fits in an int. */
static inline int plat_fd_sock(uv_os_fd_t fd)
{
  return (int)(intptr_t)fd;
}

/* Trusted roots for a TLS client context that verifies its server (ucscan scan --push):
 * OpenSSL's default paths, so SSL_CERT_FILE and SSL_CERT_DIR apply, on both systems; on
 * Windows also every certificate of the "ROOT" system store (Trusted Root Certification
 * Authorities, with the roots Group Policy distributes), which OpenSSL 3.0 does not read by
 * itself. 1 on success, 0 on failure, as SSL_CTX_set_default_verify_paths. */
struct ssl_ctx_st;
int plat_tls_default_verify_paths(struct ssl_ctx_st *ctx);

/* A TCP socket about to connect() as a probe whose deadline is at most timeout_ms. Windows
 * answers a RST to its SYN by sending the SYN again (by default a closed port takes 2 s to
 * refuse, which a probe's deadline would call filtered, as nmap -sT does on Windows): here
 * SIO_TCP_INITIAL_RTO asks for no SYN retransmission, so the first RST refuses at once, the
 * engine's own retries standing in for the retransmissions, and sets the SYN's timeout to at
 * least timeout_ms, so that the probe's deadline, not Windows', decides silence; and
 * TCP_FAIL_CONNECT_ON_ICMP_ERROR, so that an ICMP error ends the connect with its details
 * (scanner/errqueue_win.c) instead of being ignored. Best effort (Windows 8, and 10 2004 for
 * the ICMP part; Wine ignores both). Linux: nothing to do, a RST refuses at once and the error
 * queue has the ICMP errors. */
void plat_tcp_probe_opts(uv_os_sock_t sock, unsigned timeout_ms);

/* An error the socket holds that no call has returned yet (SO_ERROR, which clears it), as a
 * libuv error code; 0 when none. Linux: libuv reports UV_EOF, not the reset, when one poll
 * brings a connection's last bytes and its RST together (POLLHUP after a partial read), and
 * leaves ECONNRESET pending here (so a peer that closes and then resets our late bytes
 * reads as a reset too, which it is). Windows: always 0 (libuv reads there until the reset
 * itself, which it reports). */
int plat_sock_pending_error(uv_os_sock_t sock);

/* Has the kernel already settled a non-blocking connect() on `sock` (connected, or refused
 * or unreachable: the socket is writable or has an error), whether or not the event loop has
 * run the connect's callback yet? Linux: poll() with no wait. Windows: always false (libuv
 * connects there with ConnectEx, whose completion the loop itself reports). */
bool plat_tcp_connect_settled(uv_os_sock_t sock);

/* The round trip of a connected TCP socket as the kernel measured it, in milliseconds
 * (Linux TCP_INFO; Windows SIO_TCP_INFO, Windows 10 1703 and later); -1 when unknown. */
double plat_tcp_rtt_ms(uv_os_sock_t sock);

#endif
