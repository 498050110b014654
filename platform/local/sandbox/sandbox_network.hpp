// The network namespace of one sandbox. Internal to platform/local.
//
// Every container of a sandbox (one-shot commands and persistent shells alike) joins the same
// network namespace, made once per sandbox and kept until the sandbox is destroyed. So the
// processes of a devbox share one loopback and one set of ports, as on a machine (a server started
// by one command answers the next), and no two sandboxes share either: two devboxes can both
// listen on port 8080.
//
// How it is made:
//   1. A short-lived bwrap, the holder, unshares a network namespace; when the server is not root
//      also a user namespace that owns it, mapping the server's uid to 0 there, so that the
//      containers that join it can still make user namespaces of their own inside it. bwrap brings
//      the loopback up. The holder then waits.
//   2. The server opens /proc/<holder>/ns/net (and ns/user) and keeps the descriptors: they keep
//      the namespace alive once the holder has exited. Each container's bwrap is started inside it
//      (SpawnSpec::join_*: setns in the child before exec) and does not unshare the network.
//   3. Without outbound access that is all: the namespace has only `lo`.
//   4. With outbound access (SandboxSpec::network), slirp4netns attaches to the namespace: a tap0
//      interface with 10.0.2.100/24, a default route through 10.0.2.2 and DNS at 10.0.2.3, all
//      answered by slirp4netns on the host's side with ordinary sockets of the server's user.
//      What must stay out of reach is fenced off twice:
//        - the host's loopback: --disable-host-loopback makes 10.0.2.2 (and every other address of
//          10.0.2.0/24 but the DNS forwarder, which carries DNS only) unreachable, and 127.0.0.0/8
//          inside is the namespace's own loopback;
//        - the host's own addresses (a service bound to 0.0.0.0 is reachable through them): the
//          holder, which alone has CAP_NET_ADMIN in the namespace, installs a `prohibit` route for
//          every IPv4 address the host has when the sandbox is made (getifaddrs). Commands in the
//          sandbox have no capability over the namespace, so they cannot remove the routes.
//      slirp4netns forwards no port from the host into the namespace and none out of it, and
//      carries no IPv6 (no --enable-ipv6): the sandbox has no IPv6 route at all.
//
// Why slirp4netns rather than pasta (Debian's passt 2023-03): slirp4netns ends by itself when the
// server goes, even on a crash (--exit-fd on a pipe the server holds), says when the interface is
// up (--ready-fd), and has one switch for the host's loopback. That pasta forwards ports both ways
// by default (-t/-u/-T/-U auto) and, attached to a namespace by pid, has no way to tie its life to
// ours; it would be left running when the server dies.
//
// Limits: an address the host gains after the sandbox was made is not fenced off; neither are
// other machines of the host's networks (a devbox reaches them as any host on the network would).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "platform/local/sandbox/process_supervisor.hpp"

namespace runagents::platform::local::detail {

struct NetworkPlan {
  // bwrap and its options for the holder, up to (not including) the command, which open() adds.
  std::vector<std::string> holder_argv;
  // The holder makes a user namespace too (the server is not root): containers join it first.
  bool user_namespace = false;
  // Attach slirp4netns (outbound access); else the namespace has only `lo`.
  bool outbound = false;
  std::string slirp4netns;  // its path (find_slirp4netns)
};

class SandboxNetwork {
 public:
  // Makes the namespace (and starts slirp4netns when outbound). Throws PlatformError(unavailable)
  // saying which step failed, with the helper's own message and what to install or check.
  static std::unique_ptr<SandboxNetwork> open(const NetworkPlan& plan);
  // Stops slirp4netns and lets the namespace go.
  ~SandboxNetwork();
  SandboxNetwork(const SandboxNetwork&) = delete;
  SandboxNetwork& operator=(const SandboxNetwork&) = delete;

  int netns_fd() const { return netns_fd_; }
  int userns_fd() const { return userns_fd_; }  // -1 unless NetworkPlan::user_namespace
  // A sealed memfd holding the resolv.conf the sandbox sees (DNS through slirp4netns), or -1
  // without outbound access.
  int resolv_conf_fd() const { return resolv_conf_fd_; }

 private:
  SandboxNetwork() = default;
  void start_holder(const NetworkPlan& plan);
  void start_slirp(const NetworkPlan& plan, pid_t target);
  void write_resolv_conf();
  void stop_slirp();

  int netns_fd_ = -1;
  int userns_fd_ = -1;
  int resolv_conf_fd_ = -1;
  std::shared_ptr<Supervisor> slirp_;
};

// slirp4netns's path ($RUNAGENTS_SLIRP4NETNS, else on PATH, else /usr/bin/slirp4netns), or empty
// when it is not there.
std::string find_slirp4netns();

// The host's own IPv4 addresses but loopback ones, as "a.b.c.d/32".
std::vector<std::string> host_ipv4_addresses();

}  // namespace runagents::platform::local::detail
