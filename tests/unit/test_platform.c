/* tests/unit/test_platform.c - common/platform.h and the wincompat layer, the same assertions
 * on Linux and, built for Windows, under Wine: a file replaced in one step, file identity,
 * the clocks, socket errors as errno values (a datagram larger than the buffer is cut, not an
 * error), a closed port refusing a probe at once, a closed UDP port's port unreachable,
 * SA_SIGINFO handlers, the trusted roots of a verifying TLS client, and (Windows) the device
 * names --out refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/platform.h"
#include "tests/support/under_wine.h"

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static void read_text(const char *path, char *buf, size_t cap)
{
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
}

/* Replacing an existing file (Windows' rename() refuses to), and file identity (Windows'
 * stat() gives every file inode 0: two files must not read as one). */
static void test_files(void **state)
{
  (void)state;
  char dir[] = "ucscan-test-platform.XXXXXX", a[64], b[64], buf[64];
  assert_non_null(mkdtemp(dir));
  snprintf(a, sizeof(a), "%s/a.json", dir);
  snprintf(b, sizeof(b), "%s/b.json", dir);
  write_text(a, "new\n");
  write_text(b, "old\n");
  assert_int_equal(plat_same_file(a, b), 0);
  assert_int_equal(plat_same_file(a, a), 1);
  assert_int_equal(plat_replace_file(a, b), 0);
  read_text(b, buf, sizeof(buf));
  assert_string_equal(buf, "new\n");
  assert_int_equal(plat_same_file(a, b), -1); /* a is gone */
  assert_int_equal(plat_replace_file(a, b), -1);
  assert_int_equal(errno, ENOENT);
  assert_int_equal(remove(b), 0);
  assert_int_equal(rmdir(dir), 0);
}

static void test_clocks(void **state)
{
  (void)state;
  struct timespec m1, m2, rt;
  assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &m1), 0);
  assert_int_equal(clock_gettime(CLOCK_REALTIME, &rt), 0);
  assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &m2), 0);
  assert_true(m2.tv_sec > m1.tv_sec || (m2.tv_sec == m1.tv_sec && m2.tv_nsec >= m1.tv_nsec));
  assert_true(m1.tv_nsec >= 0 && m1.tv_nsec < 1000000000);
  time_t now = time(NULL);
  assert_true(rt.tv_sec >= now - 2 && rt.tv_sec <= now + 2); /* the Unix epoch, not 1601 */
}

/* A socket of plat_udp_socket on 127.0.0.1: nothing to read is EAGAIN in errno; a datagram
 * larger than the buffer gives the buffer's worth; the address and length of the sender. */
static void test_socket_errno(void **state)
{
  (void)state;
  int fd = plat_udp_socket(AF_INET);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(a);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
  char buf[16];
  struct sockaddr_storage from;
  socklen_t flen = sizeof(from);
  errno = 0;
  assert_int_equal(recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen),
                   -1);
  assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
  assert_int_equal(plat_sock_errno(), errno);
  char big[100];
  memset(big, 'x', sizeof(big));
  assert_int_equal(sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&a, sizeof(a)), 100);
  ssize_t n = -1;
  for (int i = 0; i < 1000 && n < 0; i++) { /* loopback delivery is not instant everywhere */
    flen = sizeof(from);
    n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
    if (n < 0)
      usleep(1000);
  }
  assert_int_equal(n, sizeof(buf));
  assert_int_equal(((struct sockaddr_in *)&from)->sin_port, a.sin_port);
  plat_sock_close(fd);
}

/* A closed port refuses a probe at once. Windows would send its SYN again after the RST and
 * refuse only after 2 s (under Wine, Linux refuses at once either way): plat_tcp_probe_opts
 * asks for no SYN retransmission. */
static void test_closed_port_refuses_at_once(void **state)
{
  (void)state;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(a);
  int free_port = socket(AF_INET, SOCK_STREAM, 0); /* a port nothing listens on */
  assert_true(free_port >= 0);
  assert_int_equal(bind(free_port, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(getsockname(free_port, (struct sockaddr *)&a, &alen), 0);
  plat_sock_close(free_port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  plat_tcp_probe_opts((uv_os_sock_t)fd, 2000);
  uint64_t t0 = uv_hrtime();
  assert_int_not_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  double ms = (double)(uv_hrtime() - t0) / 1e6;
  assert_int_equal(plat_sock_errno(), ECONNREFUSED);
  print_message("refused in %.1f ms\n", ms);
  assert_true(ms < 1000);
  plat_sock_close(fd);
}

/* A closed UDP port's ICMP port unreachable reaches a connected UDP socket, as
 * scanner/attempt_udp.c reads it: the receive's error (Linux ECONNREFUSED; Windows
 * WSAECONNRESET), or, under Wine, whose wineserver takes the Linux socket's error when it
 * polls it, SO_ERROR (WSAECONNREFUSED). */
static void test_udp_port_unreachable(void **state)
{
  (void)state;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(a);
  int free_port = plat_udp_socket(AF_INET); /* a port nothing listens on */
  assert_true(free_port >= 0);
  assert_int_equal(bind(free_port, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(getsockname(free_port, (struct sockaddr *)&a, &alen), 0);
  plat_sock_close(free_port);
  int fd = plat_udp_socket(AF_INET);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(send(fd, "x", 1, 0), 1);
  const char *how = NULL;
  for (int i = 0; i < 2000 && !how; i++) {
    char buf[16];
    if (recv(fd, buf, sizeof(buf), 0) < 0 && (errno == ECONNRESET || errno == ECONNREFUSED)) {
      how = errno == ECONNRESET ? "recv: ECONNRESET" : "recv: ECONNREFUSED";
      break;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
#ifdef _WIN32
    if (err == WSAECONNRESET || err == WSAECONNREFUSED)
#else
    if (err == ECONNREFUSED)
#endif
      how = "SO_ERROR";
    else
      usleep(1000);
  }
  assert_non_null(how);
  print_message("port unreachable from %s%s\n", how, test_under_wine() ? " (Wine)" : "");
  plat_sock_close(fd);
}

#ifdef _WIN32
/* The names Windows opens as devices in any directory: --out NUL is refused as --out
 * /dev/null is on Linux, before a scan, since the report is renamed over its target. */
static void test_device_names(void **state)
{
  (void)state;
  static const char *const devices[] = {
      "NUL",      "nul",     "Nul.json",      "NUL.tar.gz", "nul ",           "NUL:",
      "CON",      "con.txt", "PRN",           "aux",        "COM1",           "com9.log",
      "LPT1",     "lpt9",    "CONIN$",        "conout$",    "C:NUL",          "C:\\NUL",
      "C:/x/nul", "a\\Com3", "dir/LPT2.json", "\\\\.\\NUL", "\\\\.\\pipe\\x", "//./COM1",
  };
  static const char *const files[] = {
      "",
      "NULL",
      "nul2",
      "COM0",
      "COM10",
      "LPT",
      "console",
      "auxiliary",
      "report.json",
      "a.nul",
      "nul\\report.json",
      "C:\\reports\\con_site.json",
      "\\\\?\\C:\\report.json",
      "C:",
  };
  for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
    print_message("device: \"%s\"\n", devices[i]);
    assert_true(plat_is_device_name(devices[i]));
  }
  for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
    print_message("file: \"%s\"\n", files[i]);
    assert_false(plat_is_device_name(files[i]));
  }
}
#endif

static int got_signo, got_code;

static void on_term(int sig, siginfo_t *si, void *uctx)
{
  (void)uctx;
  got_signo = sig;
  got_code = si ? si->si_code : -1;
}

/* An SA_SIGINFO handler is called, with its siginfo, and reads back from sigaction. */
static void test_sigaction_siginfo(void **state)
{
  (void)state;
  struct sigaction sa, old, back;
  memset(&sa, 0, sizeof(sa));
  sa.sa_sigaction = on_term;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  assert_int_equal(sigaction(SIGTERM, &sa, &old), 0);
  assert_int_equal(sigaction(SIGTERM, NULL, &back), 0);
  assert_ptr_equal(back.sa_sigaction, on_term);
  assert_true(back.sa_flags & SA_SIGINFO);
  assert_int_equal(raise(SIGTERM), 0);
  assert_int_equal(got_signo, SIGTERM);
  assert_int_not_equal(got_code, -1);
#ifdef _WIN32
  assert_int_equal(got_code, SI_USER); /* raise(), not the console */
#endif
  got_signo = 0;
  assert_int_equal(raise(SIGTERM), 0); /* still installed: the C library's reset is undone */
  assert_int_equal(got_signo, SIGTERM);
  assert_int_equal(sigaction(SIGTERM, &old, NULL), 0);
}

/* A verifying client's trusted roots: on Windows they include the system's ROOT store
 * (Wine fills it from the host's certificates), which OpenSSL 3.0 does not read itself. */
static void test_tls_roots(void **state)
{
  (void)state;
#ifdef _WIN32 /* the store's roots alone: not the host's files that Wine lets OpenSSL read */
  _putenv("SSL_CERT_FILE=");
  _putenv("SSL_CERT_DIR=");
#endif
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  assert_non_null(ctx);
  assert_int_equal(plat_tls_default_verify_paths(ctx), 1);
#ifdef _WIN32
  STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
  int n = sk_X509_OBJECT_num(objs);
  print_message("%d trusted roots from the ROOT store%s\n", n, test_under_wine() ? " (Wine)" : "");
  assert_true(n > 0);
#endif
  SSL_CTX_free(ctx);
}

int main(void)
{
  plat_init(); /* Winsock on Windows */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_files),
      cmocka_unit_test(test_clocks),
      cmocka_unit_test(test_socket_errno),
      cmocka_unit_test(test_closed_port_refuses_at_once),
      cmocka_unit_test(test_udp_port_unreachable),
#ifdef _WIN32
      cmocka_unit_test(test_device_names),
#endif
      cmocka_unit_test(test_sigaction_siginfo),
      cmocka_unit_test(test_tls_roots),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
