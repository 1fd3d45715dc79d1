/* tests/fuzz/replay_main.c - runs a fuzz target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer: CMake links it with each tests/fuzz/fuzz_<name>.c into replay_<name>, built by
 * the ordinary compiler (gcc or clang), and ctest runs it as fuzz-replay/<name> (labels unit
 * and fuzz-replay), so every seed, regression and data case is replayed by the unit tests,
 * under .ci/sanitize.sh and .ci/valgrind.sh too. The targets check invariants and abort on a
 * violated one: a replay fails as the fuzzer would.
 *
 *   replay_<name> -t NAME      everything of target NAME below $UC_SOURCE_DIR (default .):
 *                              tests/fuzz/seeds/NAME/, tests/fuzz/regressions/NAME/, the data
 *                              cases tests/data/NAME/<case>/input, and the tests/data kinds
 *                              tests/fuzz/seed-kinds lists for NAME
 *   replay_<name> PATH...      these files; a directory gives its files and the `input` file
 *                              of each subdirectory (a tests/data/<kind> directory)
 *
 * Each input is passed in a heap block of exactly its size (as libFuzzer does), so that
 * AddressSanitizer and valgrind see a read past its end. Exits 0 when every input ran, 1 when
 * none was found or one could not be read; a violated invariant aborts. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Weak: only some targets define it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_PATH_MAX 4096

struct replay {
  size_t inputs; /* inputs run */
  int failed;    /* an input could not be read */
};

/* Reads a whole file into an exact-size heap block (1 byte for an empty file). */
static uint8_t *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *buf = NULL;
  size_t n = 0;
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && st.st_size >= 0) {
    n = (size_t)st.st_size;
    buf = malloc(n ? n : 1);
    if (buf && fread(buf, 1, n, f) != n) {
      free(buf);
      buf = NULL;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

static void run_file(struct replay *r, const char *path)
{
  size_t len;
  uint8_t *data = read_file(path, &len);
  if (!data) {
    fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
    r->failed = 1;
    return;
  }
  /* unbuffered, before the run: when a check aborts, the last line names the input */
  fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(data, len);
  free(data);
  r->inputs++;
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted (a replay runs in the same order everywhere); NULL
 * when it cannot be opened (errno says why). */
static char **list_dir(const char *dir, size_t *n)
{
  *n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  size_t cap = 32;
  char **v = malloc(cap * sizeof(*v));
  if (!v)
    abort();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (*n == cap) {
      cap *= 2;
      char **nv = realloc(v, cap * sizeof(*v));
      if (!nv)
        abort();
      v = nv;
    }
    v[(*n)++] = strdup(e->d_name);
  }
  closedir(d);
  if (*n)
    qsort(v, *n, sizeof(*v), by_name);
  return v;
}

/* A directory's regular files, and the `input` file of each subdirectory. */
static void run_dir(struct replay *r, const char *dir)
{
  size_t n;
  char **names = list_dir(dir, &n);
  if (!names) {
    if (errno != ENOENT) {
      fprintf(stderr, "replay: cannot open %s: %s\n", dir, strerror(errno));
      r->failed = 1;
    }
    return;
  }
  size_t before = r->inputs;
  for (size_t i = 0; i < n; i++) {
    char path[REPLAY_PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
      snprintf(path, sizeof(path), "%s/%s/input", dir, names[i]);
    run_file(r, path); /* a case directory without an input fails here */
    free(names[i]);
  }
  free(names);
  printf("replay: %zu inputs from %s\n", r->inputs - before, dir);
}

static void run_path(struct replay *r, const char *path)
{
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    run_dir(r, path);
  else
    run_file(r, path);
}

/* The kinds tests/fuzz/seed-kinds lists for target `name` ("name: kind kind ..."), run. */
static void run_listed_kinds(struct replay *r, const char *src, const char *name)
{
  char path[REPLAY_PATH_MAX], line[1024];
  snprintf(path, sizeof(path), "%s/tests/fuzz/seed-kinds", src);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
    r->failed = 1;
    return;
  }
  size_t len = strlen(name);
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, name, len) != 0 || line[len] != ':')
      continue;
    char *save = NULL;
    for (char *k = strtok_r(line + len + 1, " \t\r\n", &save); k;
         k = strtok_r(NULL, " \t\r\n", &save)) {
      snprintf(path, sizeof(path), "%s/tests/data/%s", src, k);
      run_dir(r, path);
    }
  }
  fclose(f);
}

/* Everything of target `name` below the source tree (see the top of this file). */
static void run_target(struct replay *r, const char *name)
{
  const char *src = getenv("UC_SOURCE_DIR");
  char path[REPLAY_PATH_MAX];
  src = src && *src ? src : ".";
  snprintf(path, sizeof(path), "%s/tests/fuzz/seeds/%s", src, name);
  run_dir(r, path);
  snprintf(path, sizeof(path), "%s/tests/fuzz/regressions/%s", src, name);
  run_dir(r, path);
  snprintf(path, sizeof(path), "%s/tests/data/%s", src, name);
  run_dir(r, path);
  run_listed_kinds(r, src, name);
}

int main(int argc, char **argv)
{
  struct replay r = {0};
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
      run_target(&r, argv[++i]);
    else
      run_path(&r, argv[i]);
  }
  printf("replay: %zu inputs in all\n", r.inputs);
  if (r.inputs == 0) {
    fprintf(stderr, "replay: no input found (usage: %s -t NAME | PATH...)\n", argv[0]);
    return 1;
  }
  return r.failed;
}
