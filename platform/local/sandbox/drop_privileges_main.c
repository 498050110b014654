// runagents-mcp's drop-privileges helper: the first program a root server's sandbox runs.
//
//   drop-privileges UID GID PROGRAM [ARG...]
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

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s UID GID PROGRAM [ARG...]\n", argv[0]);
    return 127;
  }
  const uid_t uid = parse_id(argv[1], "UID");
  const gid_t gid = parse_id(argv[2], "GID");

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

  execvp(argv[3], argv + 3);
  fail(argv[3]);
  return 127;
}
