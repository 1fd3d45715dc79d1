/* reports/atomic.c - write-to-temp, fsync, rename. */
#include "reports/atomic.h"

#include "common/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void dir_of(const char *path, char *buf, size_t cap)
{
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s", path);
  snprintf(buf, cap, "%s", dirname(tmp));
}

static void base_of(const char *path, char *buf, size_t cap)
{
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s", path);
  snprintf(buf, cap, "%s", basename(tmp));
}

/* The file to replace: `path`, or the file a symbolic link at `path` points to, followed
 * link by link (a dangling link names the file to create: latest.json -> 2026-11-22.json).
 * rename() replaces a link itself: `--out link.json` would leave its target stale, and
 * `--out /dev/stdout` would swap the system's /dev/stdout link for a regular file. */
int atomic_resolve(const char *path, char *out, size_t cap, struct uc_err *err)
{
  char cur[4096], link[4096], dir[4096];
  if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
    return uc_err_set(err, path, 0, 0, "path too long");
  for (int depth = 0; depth < 16; depth++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
      if (snprintf(out, cap, "%s", cur) >= (int)cap)
        return uc_err_set(err, path, 0, 0, "path too long");
      return 0;
    }
    if (strncmp(cur, "/dev/", 5) == 0 || strncmp(cur, "/proc/", 6) == 0) {
      /* /dev/stdout -> /proc/self/fd/1 -> "pipe:[...]": only the kernel can follow these */
      char *real = realpath(cur, NULL);
      if (!real)
        return uc_err_set(err, path, 0, 0,
                          "is not a file the report can be written to (%s): for the report on "
                          "standard output, leave out --out",
                          strerror(errno));
      int n = snprintf(out, cap, "%s", real);
      free(real);
      return n >= (int)cap ? uc_err_set(err, path, 0, 0, "path too long") : 0;
    }
    ssize_t n = readlink(cur, link, sizeof(link) - 1);
    if (n < 0)
      return uc_err_set(err, path, 0, 0, "cannot read the symbolic link: %s", strerror(errno));
    link[n] = '\0';
    dir_of(cur, dir, sizeof(dir));
    int w = link[0] == '/' ? snprintf(cur, sizeof(cur), "%s", link)
                           : snprintf(cur, sizeof(cur), "%s/%s", dir, link);
    if (w >= (int)sizeof(cur))
      return uc_err_set(err, path, 0, 0, "path too long");
  }
  return uc_err_set(err, path, 0, 0, "too many levels of symbolic links");
}

/* The mode of the new report: that of the file it replaces, or 0666 less the umask, as
 * open(2) would give (a report maps the firewall: `umask 077` keeps it private). */
static mode_t report_mode(const char *path)
{
  struct stat st;
  if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
    return st.st_mode & 07777;
  mode_t um = umask(0);
  umask(um);
  return 0666 & ~um;
}

static int make_temp(const char *path, char *tmpl, size_t cap, struct uc_err *err)
{
  char dir[4096], base[1024];
  size_t plen = strlen(path);
  if (plen == 0)
    return uc_err_set(err, path, 0, 0, "empty file name");
  /* rename() onto "name/" fails with ENOTDIR at the end of the scan; say so now. */
  if (path[plen - 1] == '/')
    return uc_err_set(err, path, 0, 0, "ends with '/': name a file, not a directory");
  dir_of(path, dir, sizeof(dir));
  base_of(path, base, sizeof(base));
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return uc_err_set(err, path, 0, 0, "is a directory");
  /* rename() replaces whatever the name points at: a device (/dev/null, /dev/stdout), a
   * FIFO or a socket would be swapped for a regular file, system-wide when run as root. */
  if ((stat(path, &st) == 0 && !S_ISREG(st.st_mode)) || plat_is_device_name(path))
    return uc_err_set(err, path, 0, 0,
                      "is not a regular file (a device, FIFO or socket): the report is written "
                      "to a temporary file and renamed over its target%s",
                      strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0
                          ? "; for the report on standard output, leave out --out"
                          : "");
  if (snprintf(tmpl, cap, "%s/.%s.tmp-XXXXXX", dir, base) >= (int)cap)
    return uc_err_set(err, path, 0, 0, "path too long");
  int fd = mkstemp(tmpl);
  if (fd < 0)
    return uc_err_set(err, path, 0, 0, "cannot write in %s: %s", dir, strerror(errno));
  return fd;
}

int atomic_check_writable(const char *given, struct uc_err *err)
{
  char tmp[4200], path[4096];
  if (atomic_resolve(given, path, sizeof(path), err) < 0)
    return -1;
  int fd = make_temp(path, tmp, sizeof(tmp), err);
  if (fd < 0)
    return -1;
  close(fd);
  unlink(tmp);
  if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
    /* rename() replaces it anyway, but a read-only report is a sign of intent. */
    return uc_err_set(err, given, 0, 0, "exists and is not writable");
  }
  return 0;
}

static int write_temp_and_rename(const char *path, atomic_fill_fn fill, void *arg,
                                 struct uc_err *err);

struct whole {
  const char *data;
  size_t len;
};

static int fill_whole(atomic_put_fn put, void *sink, void *arg)
{
  const struct whole *w = arg;
  return put(w->data, w->len, sink);
}

int atomic_write(const char *path, const char *data, size_t len, struct uc_err *err)
{
  struct whole w = {data, len};
  return atomic_write_fill(path, fill_whole, &w, err);
}

int atomic_write_fill(const char *path, atomic_fill_fn fill, void *arg, struct uc_err *err)
{
  /* A signal that ends the process between mkstemp() and rename() would leave the temporary
   * file behind: hold SIGINT, SIGTERM and SIGHUP until the report is in place and let them act
   * then. That is while fill() makes the content too: milliseconds for a site, about a third of
   * a second for 27,000 checks (a second Ctrl-C exits once the report is in place). */
  sigset_t hold, old;
  sigemptyset(&hold);
  sigaddset(&hold, SIGINT);
  sigaddset(&hold, SIGTERM);
  sigaddset(&hold, SIGHUP);
  sigprocmask(SIG_BLOCK, &hold, &old);
  int rc = write_temp_and_rename(path, fill, arg, err);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return rc;
}

/* The temporary file being filled: pieces gather in buf and go out 64 KiB at a time. */
struct temp_sink {
  int fd;
  int error; /* errno of the write that failed, or 0 */
  size_t n;
  char buf[65536];
};

static int write_all(struct temp_sink *t, const char *p, size_t len)
{
  while (len > 0) {
    ssize_t w = write(t->fd, p, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      t->error = errno;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static int put_temp(const char *piece, size_t len, void *sink)
{
  struct temp_sink *t = sink;
  if (t->error)
    return -1;
  if (t->n + len > sizeof(t->buf)) {
    if (write_all(t, t->buf, t->n) < 0)
      return -1;
    t->n = 0;
  }
  if (len > sizeof(t->buf))
    return write_all(t, piece, len);
  memcpy(t->buf + t->n, piece, len);
  t->n += len;
  return 0;
}

static int fill_temp(int fd, atomic_fill_fn fill, void *arg, const char *path, struct uc_err *err)
{
  struct temp_sink *t = malloc(sizeof(*t));
  if (!t)
    return uc_err_set(err, path, 0, 0, "out of memory");
  t->fd = fd;
  t->error = 0;
  t->n = 0;
  int rc = fill(put_temp, t, arg);
  if (rc == 0 && t->n)
    rc = write_all(t, t->buf, t->n);
  if (rc != 0)
    uc_err_set(err, path, 0, 0, "write failed: %s",
               t->error ? strerror(t->error) : "the content could not be made (out of memory)");
  free(t);
  return rc;
}

static int write_temp_and_rename(const char *given, atomic_fill_fn fill, void *arg,
                                 struct uc_err *err)
{
  char tmp[4200], path[4096];
  if (atomic_resolve(given, path, sizeof(path), err) < 0)
    return -1;
  mode_t mode = report_mode(path);
  int fd = make_temp(path, tmp, sizeof(tmp), err);
  if (fd < 0)
    return -1;
  if (fill_temp(fd, fill, arg, path, err) != 0) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  fchmod(fd, mode);
  if (fsync(fd) != 0 || close(fd) != 0) {
    int e = errno;
    unlink(tmp);
    return uc_err_set(err, path, 0, 0, "cannot flush to disk: %s", strerror(e));
  }
  if (plat_replace_file(tmp, path) != 0) { /* rename(2); MoveFileEx on Windows */
    int e = errno;
    unlink(tmp);
    return uc_err_set(err, path, 0, 0, "cannot rename into place: %s", strerror(e));
  }
  char dir[4096];
  dir_of(path, dir, sizeof(dir));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
}
