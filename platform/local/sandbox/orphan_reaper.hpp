// Reaping the container inits that bwrap abandons. Internal to platform/local.
//
// Why: with a pid namespace, bwrap forks an init (pid 1 inside) and its own process waits in
// monitor_child(). When the command ends, the init reports the exit status through an eventfd and
// bwrap exits at once, without waiting for the init: the init, killed by --die-with-parent or
// exiting on its own, becomes an orphan. Orphans go to the nearest child subreaper, else to the
// host's pid 1; a pid 1 that does not reap (a container started without --init, a microVM's
// agent) then keeps one zombie per command, and without a pids cgroup each zombie counts against
// the sandbox's RLIMIT_NPROC until every command fails with "bwrap: Can't fork".
//
// So the process that starts sandboxes is a child subreaper (adopt_orphans): an orphaned init
// becomes its child. The Supervisor that started the container claims its init as soon as bwrap
// names it and reaps it itself after bwrap (claim_orphan, reap_claimed_init). An init no
// Supervisor claims (bwrap was killed before it said which pid its init has, or the init outlived
// the Supervisor's bounded wait) is reaped by the orphan reaper thread.
//
// What the reaper thread never touches: any child that is not the init of a pid namespace. Code
// anywhere in the process (a test, run_subprocess, a library) may fork a child and waitpid() for
// it; reaping it first would steal that exit status. Every such child lives in our own pid
// namespace, while every orphan the sandboxes can hand us is a namespace's init (bwrap is the only
// program we start that forks on our behalf), so "init of a deeper pid namespace and claimed by
// nobody" is exactly the set that is safe and needed. It peeks with waitid(WNOWAIT), so a zombie
// it must leave alone is never consumed.
//
// Thread-safety: every function is safe to call from any thread.
#pragma once

#include <sys/types.h>

namespace runagents::platform::local::detail {

// Makes this process a child subreaper and starts the orphan reaper thread, once per process;
// later calls do nothing. An inherited SIGCHLD disposition that makes the kernel reap children by
// itself (SIG_IGN, SA_NOCLDWAIT) is set back to the default first. Must run before the fork of a
// process whose orphans should come here: a process inherits "has a subreaper above it" when it is
// forked. Never throws; if the kernel refuses (it cannot on Linux >= 3.4), orphans keep going to
// pid 1 as before.
void adopt_orphans();

// Whether this process is a child subreaper (adopt_orphans succeeded).
bool adopting_orphans();

// Tells the reaper thread that this process has a new child to watch: it sleeps while the process
// has none, and only this wakes it (or a minute passing). Call it after starting any child whose
// descendants may be orphaned to us (every bwrap).
void note_new_child();

// `pid`, the init of a container, is reaped by its Supervisor: the reaper thread leaves it alone
// until release_orphan(pid). Claims nest (a count per pid).
void claim_orphan(pid_t pid);
void release_orphan(pid_t pid);

// Whether `pid` is the init of a pid namespace below ours: its NSpid line in /proc/<pid>/status
// has more than one level and ends in 1. Readable for a zombie too. False when it is gone.
bool is_namespace_init(pid_t pid);

// Zombies the reaper thread has reaped so far (for tests and logs).
unsigned long orphans_reaped();

}  // namespace runagents::platform::local::detail
