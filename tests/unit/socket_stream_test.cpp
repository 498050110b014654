// The stream cpp-httplib's connections are served over (platform/common/socket_stream.hpp):
// what reaches the peer, and when.
#include "platform/common/socket_stream.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

using runagents::common::SocketStream;
using namespace std::chrono_literals;

namespace {

struct Pair {
  int ours = -1, peer = -1;
  Pair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = fds[0];
    peer = fds[1];
  }
  ~Pair() {
    ::close(ours);
    if (peer >= 0) ::close(peer);
  }
  // What has arrived at the peer, without waiting.
  std::string arrived() const {
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT)) > 0)
      got.append(buf, static_cast<size_t>(n));
    return got;
  }
};

ssize_t write_text(SocketStream& s, const std::string& text) {
  return s.write(text.data(), text.size());
}

}  // namespace

TEST_CASE("socket stream: a head with a body waits for the body; other writes go at once") {
  Pair p;
  SocketStream s(p.ours, 1000ms, 1000ms);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  CHECK(write_text(s, head) == static_cast<ssize_t>(head.size()));
  CHECK(p.arrived().empty());  // held for its body
  CHECK(write_text(s, "{}") == 2);
  CHECK(p.arrived() == head + "{}");

  const std::string empty = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
  write_text(s, empty);
  CHECK(p.arrived() == empty);  // no body follows: not held
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  write_text(s, chunked);
  CHECK(p.arrived() == chunked);  // a stream's first event may be long in coming

  write_text(s, head);
  CHECK(s.flush());  // what a wait for the next request does first
  CHECK(p.arrived() == head);
}

TEST_CASE("socket stream: byte reads come from one recv; end of input reads 0") {
  Pair p;
  SocketStream s(p.ours, 1000ms, 1000ms);
  const std::string request = "GET / HTTP/1.1\r\n\r\n";
  REQUIRE(::send(p.peer, request.data(), request.size(), 0) ==
          static_cast<ssize_t>(request.size()));
  std::string got;
  char c;
  while (got.size() < request.size() && s.read(&c, 1) == 1) got.push_back(c);
  CHECK(got == request);
  CHECK(s.consumed() == request.size());
  ::shutdown(p.peer, SHUT_WR);
  CHECK(s.read(&c, 1) == 0);
}

TEST_CASE("socket stream: a write to a peer that is gone fails instead of raising SIGPIPE") {
  Pair p;
  SocketStream s(p.ours, 1000ms, 1000ms);
  ::close(p.peer);
  p.peer = -1;
  CHECK(write_text(s, "data") == -1);
  CHECK_FALSE(s.is_writable());
}
