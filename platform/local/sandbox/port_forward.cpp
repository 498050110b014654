#include "platform/local/sandbox/port_forward.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <list>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "platform/error.hpp"
#include "platform/local/sandbox/sandbox_core.hpp"

namespace runagents::platform::local {

namespace detail {

namespace {

constexpr std::size_t kBufferSize = 64 * 1024;
constexpr std::size_t kMaxConnections = 256;  // per forward; more are reset at once
using Clock = std::chrono::steady_clock;
// A connection made while nothing listens inside waits this long for a listener (a dev server
// still starting), trying again every kRetryInterval, before it is reset.
constexpr auto kListenGrace = std::chrono::seconds(3);
constexpr auto kRetryInterval = std::chrono::milliseconds(100);
// A connection whose inside connect has not completed by then (a full accept queue: the SYN is
// dropped and retried) is reset.
constexpr auto kConnectLimit = std::chrono::seconds(5);

// Closes a TCP socket with a reset (RST) instead of an orderly end of stream (FIN): what a peer
// sees of a connection that was refused or broken, never a clean, empty answer. A client that
// has not written its request yet would otherwise take the FIN for the server having accepted
// and closed an idle connection: Node 20's fetch (undici), on its first connection, then waits
// for ever.
void close_with_reset(int fd) {
  linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

void close_in_order(int fd) {
  ::close(fd);
}

// What the helper sends back: 0 and the socket, or the errno of the step that failed.
struct HelperReply {
  int error = 0;
};

// One byte direction of a connection: bytes read from `from` wait in `buffer` for `to`.
struct Direction {
  int from = -1;
  int to = -1;
  std::vector<char> buffer = std::vector<char>(kBufferSize);
  std::size_t begin = 0, end = 0;  // pending bytes are [begin, end)
  bool eof = false;                // `from` said end of stream
  bool shut = false;               // and `to` was told (shutdown SHUT_WR)

  bool wants_read() const { return !eof && begin == end; }
  bool wants_write() const { return begin < end; }
};

struct Connection {
  int outside = -1;  // accepted on the host
  int inside = -1;   // connected in the sandbox; -1 while it waits for a listener there
  Direction up, down;
  bool broken = false;
  bool connecting = false;          // `inside` is a connect still in progress (non-blocking)
  Clock::time_point give_up;        // while waiting for a listener: when it is reset
  Clock::time_point connect_limit;  // while connecting: when it is reset

  explicit Connection(int o) : outside(o) { up.from = down.to = o; }
  ~Connection() {
    // A connection that never reached inside, or whose other side broke (a reset, an error, the
    // tunnel removed), ends with a reset; a finished one closes in order.
    const bool reset = broken || inside < 0 || connecting;
    (reset ? close_with_reset : close_in_order)(outside);
    if (inside >= 0) (reset ? close_with_reset : close_in_order)(inside);
  }
  void attach(int i) {
    inside = i;
    up.to = down.from = i;
  }
  bool waiting() const { return inside < 0; }
  // Back to waiting for a listener (the connect in progress was refused).
  void detach() {
    ::close(inside);
    inside = up.to = down.from = -1;
    connecting = false;
  }
  bool done() const { return broken || (up.shut && down.shut); }
};

}  // namespace

int connect_in_namespace(int userns_fd, int netns_fd, int port, bool in_progress) {
  int channel[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(channel[0]);
    ::close(channel[1]);
    errno = e;
    return -1;
  }
  if (pid == 0) {
    // The helper: only async-signal-safe calls from here (the server has threads).
    HelperReply reply;
    int fd = -1;
    if (userns_fd >= 0 && ::setns(userns_fd, CLONE_NEWUSER) != 0) {
      reply.error = errno;
    } else if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      reply.error = errno;
    } else if ((fd = ::socket(AF_INET,
                              SOCK_STREAM | SOCK_CLOEXEC | (in_progress ? SOCK_NONBLOCK : 0), 0)) <
               0) {
      reply.error = errno;
    } else {
      timeval limit{5, 0};  // a blocking connect to a full accept queue gives up after this
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 &&
          !(in_progress && errno == EINPROGRESS))
        reply.error = errno;
    }
    iovec iov{&reply, sizeof reply};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (reply.error == 0) {
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    }
    [[maybe_unused]] ssize_t n = ::sendmsg(channel[1], &msg, MSG_NOSIGNAL);
    ::_exit(0);
  }

  ::close(channel[1]);
  HelperReply reply;
  reply.error = EPROTO;  // the helper died without a word
  iovec iov{&reply, sizeof reply};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(channel[0], &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  int fd = -1;
  if (n == static_cast<ssize_t>(sizeof reply)) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  } else {
    reply.error = EPROTO;
  }
  ::close(channel[0]);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (fd < 0) {
    errno = reply.error != 0 ? reply.error : EPROTO;
    return -1;
  }
  return fd;
}

class PortRelay {
 public:
  PortRelay(std::shared_ptr<SandboxCore> core, int port, std::function<void()> on_connection)
      : core_(std::move(core)), port_(port), on_connection_(std::move(on_connection)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listener_ < 0) fail("cannot make a socket for the tunnel");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &len) != 0)
      fail("cannot listen on 127.0.0.1 for the tunnel");
    host_port_ = ntohs(address.sin_port);
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_ < 0) fail("cannot make an eventfd for the tunnel");
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      close_fds();
      throw PlatformError(ErrorKind::unavailable,
                          std::string("cannot start the tunnel's thread: ") + e.what());
    }
  }

  ~PortRelay() {
    stop_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
    thread_.join();
    // The tunnel is removed: what is still open is cut off (reset), not ended in order.
    for (auto& c : connections_) c.broken = true;
    connections_.clear();
    close_fds();
  }

  int port() const { return port_; }
  int host_port() const { return host_port_; }

 private:
  [[noreturn]] void fail(const std::string& what) {
    int e = errno;
    close_fds();
    throw PlatformError(ErrorKind::unavailable, what + ": " + std::strerror(e));
  }

  void close_fds() {
    if (listener_ >= 0) ::close(listener_);
    if (wake_ >= 0) ::close(wake_);
    listener_ = wake_ = -1;
  }

  void accept_all() {
    for (;;) {
      int outside = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (outside < 0) {
        // Out of descriptors or memory: the connection stays queued and poll() would wake at
        // once, so give the process a moment instead of spinning.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return;  // EAGAIN: all taken
      }
      if (connections_.size() >= kMaxConnections) {
        close_with_reset(outside);
        continue;
      }
      const bool queued = waiting_for_listener();
      connections_.emplace_back(outside);
      Connection& c = connections_.back();
      c.give_up = Clock::now() + kListenGrace;
      // Nothing listens there yet (ECONNREFUSED): it waits for retry_waiting().
      if (!queued && !try_attach(c)) next_retry_ = Clock::now() + kRetryInterval;
    }
  }

  // Whether a connection made earlier is still waiting for a listener inside (then a newer one
  // waits behind it: they are attached oldest first).
  bool waiting_for_listener() const {
    for (const auto& c : connections_)
      if (c.waiting() && !c.broken) return true;
    return false;
  }

  // Starts connecting `c` inside (run() finishes it: finish_connect); false (and `c` still
  // waiting) when the connect failed at once (nothing listens there).
  bool try_attach(Connection& c) {
    int inside =
        connect_in_namespace(core_->network->userns_fd(), core_->network->netns_fd(), port_, true);
    if (inside < 0) return false;
    c.attach(inside);
    c.connecting = true;
    c.connect_limit = Clock::now() + kConnectLimit;
    return true;
  }

  // The connect in progress of `c` has an outcome: connected (relayed from now on), refused
  // (waiting again, for the next retry) or failed (reset).
  void finish_connect(Connection& c) {
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(c.inside, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    if (error == 0) {
      c.connecting = false;
      if (on_connection_) on_connection_();
    } else if (error == ECONNREFUSED && Clock::now() < c.give_up) {  // still in its grace
      c.detach();
      next_retry_ = Clock::now() + kRetryInterval;
    } else {
      c.broken = true;
    }
  }

  // The waiting connections, oldest first: connected once something listens inside (one refused
  // attempt per round: the port is the same for all), reset once their grace has passed.
  void retry_waiting() {
    const auto now = Clock::now();
    bool refused = false;
    for (auto& c : connections_) {
      if (!c.waiting() || c.broken) continue;
      if (!refused && try_attach(c)) continue;
      refused = true;
      if (now >= c.give_up) c.broken = true;  // reset by the destructor
    }
    next_retry_ = now + kRetryInterval;
  }

  // How long poll() may sleep: until the next retry while a connection waits, at most a second
  // while one connects (its limit is checked then), else for ever.
  int poll_timeout() const {
    const bool connecting =
        std::any_of(connections_.begin(), connections_.end(),
                    [](const Connection& c) { return c.connecting && !c.broken; });
    if (!waiting_for_listener()) return connecting ? 1000 : -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_retry_ - Clock::now());
    return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000));
  }

  static void pump(Connection& c, Direction& d, short from_events, short to_events) {
    if (d.wants_read() && (from_events & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(d.from, d.buffer.data(), d.buffer.size());
      if (n > 0) {
        d.begin = 0;
        d.end = static_cast<std::size_t>(n);
      } else if (n == 0) {
        d.eof = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        c.broken = true;  // reset: drop both sides
        return;
      }
    }
    if (d.wants_write() && (to_events & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::send(d.to, d.buffer.data() + d.begin, d.end - d.begin, MSG_NOSIGNAL);
      if (n > 0) {
        d.begin += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        c.broken = true;
        return;
      }
    }
    if (d.eof && !d.wants_write() && !d.shut) {
      ::shutdown(d.to, SHUT_WR);
      d.shut = true;
    }
  }

  void run() {
    std::vector<pollfd> fds;
    while (!stop_.load()) {
      fds.clear();
      fds.push_back({wake_, POLLIN, 0});
      fds.push_back({listener_, POLLIN, 0});
      for (auto& c : connections_) {
        if (c.waiting() || c.connecting) {
          // Not read until it is connected inside; only a reset or hang-up is heard, and the
          // outcome of a connect in progress.
          fds.push_back({c.outside, 0, 0});
          fds.push_back({c.connecting ? c.inside : -1, POLLOUT, 0});
          continue;
        }
        short out = (c.up.wants_read() ? POLLIN : 0) | (c.down.wants_write() ? POLLOUT : 0);
        short in = (c.down.wants_read() ? POLLIN : 0) | (c.up.wants_write() ? POLLOUT : 0);
        fds.push_back({c.outside, out, 0});
        fds.push_back({c.inside, in, 0});
      }
      if (::poll(fds.data(), fds.size(), poll_timeout()) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents) break;  // stop
      const std::size_t polled = connections_.size();
      if (fds[1].revents) accept_all();  // appends: those are polled from the next round
      std::size_t i = 2;
      auto it = connections_.begin();
      for (std::size_t k = 0; k < polled; ++k, ++it) {
        Connection& c = *it;
        const short out = fds[i].revents, in = fds[i + 1].revents;
        i += 2;
        if (c.waiting() || c.connecting) {
          if (out & (POLLERR | POLLHUP)) {
            c.broken = true;  // the client gave up
          } else if (c.connecting && in) {
            finish_connect(c);
          } else if (c.connecting && Clock::now() >= c.connect_limit) {
            c.broken = true;
          }
          continue;
        }
        pump(c, c.up, out, in);
        if (!c.broken) pump(c, c.down, in, out);
      }
      if (waiting_for_listener() && Clock::now() >= next_retry_) retry_waiting();
      connections_.remove_if([](const Connection& c) { return c.done(); });
    }
  }

  std::shared_ptr<SandboxCore> core_;  // keeps the namespace's descriptors open
  const int port_;
  const std::function<void()> on_connection_;
  int host_port_ = 0;
  int listener_ = -1;
  int wake_ = -1;
  std::atomic<bool> stop_{false};
  std::list<Connection> connections_;  // touched by the thread only
  Clock::time_point next_retry_{};     // of the waiting connections
  std::thread thread_;
};

}  // namespace detail

// Throws PlatformError(unavailable) when the host socket or the thread cannot be made.
PortForward::PortForward(std::shared_ptr<detail::SandboxCore> core, int port,
                         std::function<void()> on_connection)
    : relay_(std::make_unique<detail::PortRelay>(std::move(core), port, std::move(on_connection))) {
}
PortForward::~PortForward() = default;
int PortForward::port() const {
  return relay_->port();
}
int PortForward::host_port() const {
  return relay_->host_port();
}

}  // namespace runagents::platform::local
