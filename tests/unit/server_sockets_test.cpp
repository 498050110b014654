#include "server/server_sockets.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace runagents::mcp;

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) { REQUIRE(fd >= 0); }
  ~Fd() { ::close(fd); }
};

// A loopback listener on an ephemeral port; returns the port.
int listen_loopback(int fd) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  return ntohs(addr.sin_port);
}

int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

}  // namespace

TEST_CASE(
    "end_reads_on_accepted: an idle accepted connection reads end of input; it can still "
    "write, and the listener and the client side are left alone") {
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  const int port = listen_loopback(listener.fd);
  Fd client(connect_loopback(port));
  Fd accepted(::accept(listener.fd, nullptr, nullptr));

  // Before: nothing to read on the accepted side.
  pollfd idle{accepted.fd, POLLIN, 0};
  CHECK(::poll(&idle, 1, 0) == 0);

  CHECK(end_reads_on_accepted(port) == 1);

  pollfd woken{accepted.fd, POLLIN, 0};
  REQUIRE(::poll(&woken, 1, 1000) == 1);
  char c = 0;
  CHECK(::recv(accepted.fd, &c, 1, 0) == 0);  // end of input: the server's loop closes it
  // The response side still works: the client receives what the server writes.
  REQUIRE(::send(accepted.fd, "x", 1, MSG_NOSIGNAL) == 1);
  CHECK(::recv(client.fd, &c, 1, 0) == 1);
  CHECK(c == 'x');
  // The listener still accepts.
  Fd second(connect_loopback(port));
  Fd accepted2(::accept(listener.fd, nullptr, nullptr));
  CHECK(accepted2.fd >= 0);
}

TEST_CASE("end_reads_on_accepted leaves connections of other ports alone") {
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  const int port = listen_loopback(listener.fd);
  Fd other_listener(::socket(AF_INET, SOCK_STREAM, 0));
  const int other = listen_loopback(other_listener.fd);
  Fd client(connect_loopback(other));
  Fd accepted(::accept(other_listener.fd, nullptr, nullptr));
  CHECK(end_reads_on_accepted(port) == 0);
  pollfd idle{accepted.fd, POLLIN, 0};
  CHECK(::poll(&idle, 1, 100) == 0);
}
