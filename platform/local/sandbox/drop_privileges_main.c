// runagents-mcp's drop-privileges helper: the first program a root server's sandbox runs.
//
//   drop-privileges UID GID PROGRAM [ARG...]
//   drop-privileges --command-on-stdin UID GID
//
// The second form is a container made ready before its command is known (sandbox.cpp, "ready
// containers"): it reads the command from stdin first, as a decimal byte count and a newline,
// then exactly that many bytes: the working directory, "null" or "pipe" (what stdin is for the
// command), the environment ("NAME=value" each), an empty string, then the argv, every string
// NUL-terminated. It reads no byte past them, so what follows on stdin is the command's. Then
// it does what the first form does, in the working directory, with that environment only.
//
// Inside the container bwrap made, as uid 0 with only CAP_SETUID, CAP_SETGID, CAP_SETPCAP and
// CAP_DAC_READ_SEARCH, it empties the capability bounding set and the ambient set, clears the
// supplementary groups, switches real, effective and saved ids to GID and UID (which leaves no
// permitted or effective capability), clears the inheritable set, sets no_new_privs, and executes
// PROGRAM. What `setpriv --reuid=UID --regid=GID --clear-groups --inh-caps=-all
// --bounding-set=-all --no-new-privs --` did before; this one is linked statically and reads no
// locale, passwd or group file, so it costs one small exec instead of a dynamically linked
// program's start (about 2 ms of each command on the 2-core machines measured, see
// docs/BENCHMARKS.md). Any failure stops before PROGRAM runs, with exit status 127 and a line on
// stderr. C, with libc only: it must link statically.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void fail(const char* step) {
  fprintf(stderr, "runagents-mcp drop-privileges: %s: %s\n", step, strerror(errno));
  _exit(127);
}

// A decimal id below 2^32 - 1 (the kernel's "no id"), nothing else.
static unsigned int parse_id(const char* text, const char* what) {
  char* end = NULL;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value >= 0xffffffffUL) {
    errno = EINVAL;
    fail(what);
  }
  return (unsigned int)value;
}

static void drop_privileges(uid_t uid, gid_t gid) {
  // Every capability out of the bounding set while CAP_SETPCAP is still held; PR_CAPBSET_READ
  // fails past the kernel's last capability.
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; ++cap)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) fail("dropping the bounding set");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    fail("clearing the ambient capabilities");

  if (setgroups(0, NULL) != 0) fail("clearing the supplementary groups");
  if (setresgid(gid, gid, gid) != 0) fail("setting the group id");
  if (setresuid(uid, uid, uid) != 0) fail("setting the user id");

  // From uid 0 to another uid for all three ids, the kernel clears the permitted and effective
  // sets; the inheritable set stays unless it is cleared too.
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) != 0) fail("clearing the capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("setting no_new_privs");

  // Checked, not assumed.
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid ||
      getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid ||
      getgroups(0, NULL) != 0) {
    errno = EPERM;
    fail("checking the ids");
  }
}

// Reads exactly `size` bytes from fd 0 into `buf`.
static void read_exactly(char* buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(0, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EPIPE;
      fail("reading the command");
    }
    got += (size_t)n;
  }
}

// The next NUL-terminated string of `text` at `*at`, or NULL at the end.
static char* next_string(char* text, size_t size, size_t* at) {
  if (*at >= size) return NULL;
  char* s = text + *at;
  size_t len = strnlen(s, size - *at);
  if (len == size - *at) {
    errno = EINVAL;
    fail("reading the command (a string without its NUL)");
  }
  *at += len + 1;
  return s;
}

// The strings from `*at` up to an empty one (when `until_empty`) or the end, NULL-terminated.
static char** string_list(char* text, size_t size, size_t* at, int until_empty) {
  size_t count = 0, cap = 16;
  char** list = malloc(cap * sizeof *list);
  char* s;
  while (list && (s = next_string(text, size, at)) != NULL) {
    if (until_empty && *s == '\0') break;
    if (count + 1 >= cap) {
      cap *= 2;
      char** grown = realloc(list, cap * sizeof *list);
      if (!grown) free(list);
      list = grown;
      if (!list) break;
    }
    list[count++] = s;
  }
  if (!list) fail("reading the command");
  list[count] = NULL;
  return list;
}

// The ready container's wait: the command, from stdin (see the top of this file).
static void run_command_from_stdin(uid_t uid, gid_t gid) {
  char header[24];
  size_t n = 0;
  for (;;) {
    if (n == sizeof header) {
      errno = EINVAL;
      fail("reading the command");
    }
    read_exactly(header + n, 1);
    if (header[n] == '\n') break;
    ++n;
  }
  header[n] = '\0';
  const unsigned int size = parse_id(header, "reading the command size");
  if (size == 0 || size > (64u << 20)) {
    errno = EINVAL;
    fail("reading the command size");
  }
  char* text = malloc(size);
  if (!text) fail("reading the command");
  read_exactly(text, size);

  size_t at = 0;
  char* cwd = next_string(text, size, &at);
  char* stdin_mode = next_string(text, size, &at);
  char** env = string_list(text, size, &at, 1);
  char** args = string_list(text, size, &at, 0);
  if (!cwd || !stdin_mode || !args[0]) {
    errno = EINVAL;
    fail("reading the command");
  }
  if (strcmp(stdin_mode, "null") == 0) {
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, 0) != 0) fail("opening /dev/null for stdin");
    if (null_fd != 0) close(null_fd);
  } else if (strcmp(stdin_mode, "pipe") != 0) {
    errno = EINVAL;
    fail("reading the command");
  }
  if (chdir(cwd) != 0) fail(cwd);
  drop_privileges(uid, gid);
  environ = env;  // execvp searches the command's own PATH
  execvp(args[0], args);
  fail(args[0]);
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--command-on-stdin") == 0) {
    run_command_from_stdin(parse_id(argv[2], "UID"), parse_id(argv[3], "GID"));
    return 127;
  }
  if (argc < 4) {
    fprintf(stderr, "usage: %s UID GID PROGRAM [ARG...]\n       %s --command-on-stdin UID GID\n",
            argv[0], argv[0]);
    return 127;
  }
  drop_privileges(parse_id(argv[1], "UID"), parse_id(argv[2], "GID"));
  execvp(argv[3], argv + 3);
  fail(argv[3]);
  return 127;
}
