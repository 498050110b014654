// PortForward: a port of a sandbox's network namespace, reachable from the host's loopback.
//
// The sandbox's processes listen in a network namespace of their own (sandbox_network.hpp), which
// nothing on the host can reach. A PortForward listens on 127.0.0.1:<ephemeral port> of the host
// and joins each connection it accepts to a new connection to 127.0.0.1:<port> inside that
// namespace, relaying bytes both ways (half-closes included) until either side closes.
//
// How the inside connection is made: a socket belongs to the network namespace it was created in,
// whatever process holds it later. For each accepted connection a short-lived forked helper
// enters the sandbox's user namespace (when it has one: a server that is not root) and network
// namespace, connects, and passes the connected socket back over a unix socket (SCM_RIGHTS). The
// server itself never changes namespace, and the sandbox's processes see an ordinary connection
// from 127.0.0.1.
//
// The inside connect does not block the relay: it is made non-blocking and finished by the relay's
// poll(), so a port whose accept queue is full (its SYNs dropped) holds up no other connection;
// one that has not connected within 5 s is reset.
//
// A connection made while nothing listens on the port inside (a dev server still starting) waits
// for a listener: it is held unread, the inside connection tried again every 100 ms, and relayed
// as soon as one is made, oldest first. After 3 s without a listener it is reset. Every
// connection that does not end in order ends with a reset (RST), never with an orderly close:
// one never connected inside, one whose other side was reset, and each one still open when the
// PortForward is destroyed. A client must see a failure, not an empty answer (an orderly close
// before a client has written its request made Node 20's fetch wait for ever).
//
// One thread per PortForward accepts and relays every connection with poll(); nothing else runs.
// An optional callback hears of each connection made (on that thread: it must return quickly).
// Destroying it closes the listener (a new connection is then refused) and every connection.
//
// Thread-safety: the accessors are safe from any thread; destroy it from one thread.
#pragma once

#include <functional>
#include <memory>

namespace runagents::platform::local {

namespace detail {
struct SandboxCore;
class PortRelay;
}  // namespace detail

class PortForward {
 public:
  ~PortForward();
  PortForward(const PortForward&) = delete;
  PortForward& operator=(const PortForward&) = delete;

  int port() const;       // inside the sandbox
  int host_port() const;  // on the host's 127.0.0.1

 private:
  friend class Sandbox;
  PortForward(std::shared_ptr<detail::SandboxCore> core, int port,
              std::function<void()> on_connection);
  std::unique_ptr<detail::PortRelay> relay_;
};

namespace detail {

// Connects to 127.0.0.1:`port` inside the network namespace `netns_fd` (after joining
// `userns_fd`, unless it is -1) and returns the connected socket (close-on-exec, blocking), or -1
// with errno set (ECONNREFUSED when nothing listens there). With `in_progress`, the socket is
// non-blocking and may come back with its connect still in progress (EINPROGRESS: poll it for
// POLLOUT, then read SO_ERROR), so a full accept queue inside holds no one up.
int connect_in_namespace(int userns_fd, int netns_fd, int port, bool in_progress = false);

}  // namespace detail

}  // namespace runagents::platform::local
