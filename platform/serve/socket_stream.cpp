#include "platform/serve/socket_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace runagents::platform::serve {

namespace {

int poll_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  return n > 0 ? p.revents : n;
}

}  // namespace

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  return poll_for(fd, POLLIN, timeout) > 0;
}

void socket_address(int sock, bool local, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((local ? ::getsockname(sock, sa, &len) : ::getpeername(sock, sa, &len)) != 0) return;
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  ip = host;
}

SocketStream::SocketStream(int sock, std::chrono::milliseconds read_timeout,
                           std::chrono::milliseconds write_timeout)
    : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

bool SocketStream::is_readable() const {
  return offset_ < buffer_.size() || wait_readable(sock_, read_timeout_);
}

bool SocketStream::is_writable() const {
  const int ready = poll_for(sock_, POLLOUT, write_timeout_);
  if (ready <= 0 || (ready & (POLLERR | POLLHUP | POLLNVAL))) return false;
  // Gone when the peer has closed: readable with nothing to read.
  if (poll_for(sock_, POLLIN, std::chrono::milliseconds(0)) <= 0) return true;
  char c;
  return ::recv(sock_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

ssize_t SocketStream::read(char* ptr, size_t size) {
  if (offset_ < buffer_.size()) {
    const size_t n = std::min(size, buffer_.size() - offset_);
    std::copy_n(buffer_.data() + offset_, n, ptr);
    consume(n);
    return static_cast<ssize_t>(n);
  }
  if (!wait_readable(sock_, read_timeout_)) return -1;
  ssize_t n;
  do {
    n = ::recv(sock_, ptr, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  if (poll_for(sock_, POLLOUT, write_timeout_) <= 0) return -1;
  ssize_t n;
  do {
    n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  socket_address(sock_, false, ip, port);
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  socket_address(sock_, true, ip, port);
}

bool SocketStream::read_more() {
  if (!wait_readable(sock_, read_timeout_)) return false;
  char chunk[16384];
  ssize_t n;
  do {
    n = ::recv(sock_, chunk, sizeof(chunk), 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

bool SocketStream::fill_to(size_t size) {
  while (buffer_.size() - offset_ < size)
    if (!read_more()) return false;
  return true;
}

size_t SocketStream::fill_past(std::string_view marker, size_t limit) {
  for (;;) {
    const size_t at = buffered().find(marker);
    if (at != std::string_view::npos) return at + marker.size();
    if (buffered().size() >= limit || !read_more()) return 0;
  }
}

void SocketStream::consume(size_t n) {
  offset_ += std::min(n, buffer_.size() - offset_);
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
}

std::string SocketStream::take_buffered() {
  std::string out = buffer_.substr(offset_);
  buffer_.clear();
  offset_ = 0;
  return out;
}

}  // namespace runagents::platform::serve
