/* scanner/privdrop.c - switching to an unprivileged user for good. */
#include "scanner/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int privdrop_lookup(const char *name, struct privdrop_user *u, char *why, size_t whycap)
{
  memset(u, 0, sizeof(*u));
  if (!name || !*name || strlen(name) >= sizeof(u->name)) {
    snprintf(why, whycap, "not a user name");
    return -1;
  }
  char buf[16384];
  struct passwd pw, *res = NULL;
  int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
  if (rc != 0 || !res) {
    snprintf(why, whycap, "no such user \"%s\"%s%s", name, rc ? ": " : "", rc ? strerror(rc) : "");
    return -1;
  }
  if (pw.pw_uid == 0) {
    snprintf(why, whycap, "\"%s\" is root: nothing would be dropped", name);
    return -1;
  }
  snprintf(u->name, sizeof(u->name), "%s", name);
  u->uid = pw.pw_uid;
  u->gid = pw.pw_gid;
  return 0;
}

int privdrop_apply(const struct privdrop_user *u, char *why, size_t whycap)
{
  if (initgroups(u->name, u->gid) != 0) {
    snprintf(why, whycap, "initgroups(%s): %s", u->name, strerror(errno));
    return -1;
  }
  if (setresgid(u->gid, u->gid, u->gid) != 0) {
    snprintf(why, whycap, "setresgid(%u): %s", (unsigned)u->gid, strerror(errno));
    return -1;
  }
  if (setresuid(u->uid, u->uid, u->uid) != 0) {
    snprintf(why, whycap, "setresuid(%u): %s", (unsigned)u->uid, strerror(errno));
    return -1;
  }
  /* Did it stick? */
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != u->uid ||
      eu != u->uid || su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid) {
    snprintf(why, whycap, "the user and group IDs did not all change to %s's", u->name);
    return -1;
  }
  if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
    snprintf(why, whycap, "root privileges could be regained after switching to %s", u->name);
    return -1;
  }
  return 0;
}

int privdrop_run_as(const struct privdrop_user *u, int (*fn)(void *arg), void *arg, char *why,
                    size_t whycap)
{
  int pfd[2];
  if (pipe(pfd) != 0) {
    snprintf(why, whycap, "pipe: %s", strerror(errno));
    return -1;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(why, whycap, "fork: %s", strerror(errno));
    close(pfd[0]);
    close(pfd[1]);
    return -1;
  }
  if (pid == 0) {
    close(pfd[0]);
    char msg[256] = "";
    if (privdrop_apply(u, msg, sizeof(msg)) != 0) {
      ssize_t n = write(pfd[1], msg, strlen(msg));
      (void)n;
      _exit(255);
    }
    close(pfd[1]);
    int rc = fn(arg);
    fflush(stdout);
    fflush(stderr);
    _exit(rc < 0 ? 254 : rc & 0xff);
  }
  close(pfd[1]);
  char msg[256];
  ssize_t n;
  do
    n = read(pfd[0], msg, sizeof(msg) - 1);
  while (n < 0 && errno == EINTR);
  close(pfd[0]);
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) {
      snprintf(why, whycap, "waitpid: %s", strerror(errno));
      return -1;
    }
  }
  if (n > 0) {
    msg[n] = '\0';
    snprintf(why, whycap, "%s", msg);
    return -1;
  }
  if (!WIFEXITED(st)) {
    snprintf(why, whycap, "the check as %s died (signal %d)", u->name,
             WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return -1;
  }
  return WEXITSTATUS(st);
}
