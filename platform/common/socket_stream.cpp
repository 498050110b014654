#include "platform/common/socket_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace runagents::common {

namespace {

// Reads of at least this size go straight to the caller's memory when nothing is buffered;
// smaller ones fill the buffer with up to this much.
constexpr size_t kDirectRead = 16384;

int poll_for(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  return n > 0 ? p.revents : n;
}

// recv() that waits up to `timeout` when nothing has arrived yet.
ssize_t recv_waiting(int sock, char* ptr, size_t size, std::chrono::milliseconds timeout) {
  for (bool waited = false;; waited = true) {
    ssize_t n = ::recv(sock, ptr, size, MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || waited) return -1;
    if (poll_for(sock, POLLIN, timeout) <= 0) return -1;
  }
}

// Whether `data` is a whole response head announcing a body of known, non-zero length, which
// cpp-httplib writes right after it.
bool is_head_with_body(std::string_view data) {
  if (!data.starts_with("HTTP/1.") || !data.ends_with("\r\n\r\n")) return false;
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  const size_t at = data.find(kLength);
  if (at == std::string_view::npos) return false;
  const char* first = data.data() + at + kLength.size();
  size_t length = 0;
  auto [end, ec] = std::from_chars(first, data.data() + data.size(), length);
  return ec == std::errc() && end != first && length > 0;
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

SocketStream::~SocketStream() {
  flush();
}

bool SocketStream::flush() const {
  if (held_.empty()) return !failed_;
  const bool sent = send_all(held_, {});
  held_.clear();
  return sent;
}

bool SocketStream::send_all(std::string_view a, std::string_view b) const {
  if (failed_) return false;
  while (!a.empty() || !b.empty()) {
    iovec parts[2];
    int count = 0;
    for (std::string_view* part : {&a, &b}) {
      if (part->empty()) continue;
      parts[count].iov_base = const_cast<char*>(part->data());
      parts[count].iov_len = part->size();
      ++count;
    }
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = ::sendmsg(sock_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int ready =
          errno == EAGAIN || errno == EWOULDBLOCK ? poll_for(sock_, POLLOUT, write_timeout_) : -1;
      if (ready > 0 && !(ready & (POLLERR | POLLNVAL))) continue;
      failed_ = true;
      return false;
    }
    auto sent = static_cast<size_t>(n);
    const size_t from_a = std::min(sent, a.size());
    a.remove_prefix(from_a);
    b.remove_prefix(sent - from_a);
  }
  return true;
}

bool SocketStream::is_readable() const {
  if (offset_ < buffer_.size()) return true;
  return flush() && wait_readable(sock_, read_timeout_);
}

bool SocketStream::is_writable() const {
  if (!flush()) return false;
  int ready = poll_for(sock_, POLLOUT | POLLIN, std::chrono::milliseconds(0));
  if (ready < 0 || (ready & (POLLERR | POLLHUP | POLLNVAL))) return false;
  // Gone when the peer has closed: readable with nothing to read.
  if (ready & POLLIN) {
    char c;
    if (::recv(sock_, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) return false;
  }
  if (!(ready & POLLOUT)) {
    ready = poll_for(sock_, POLLOUT, write_timeout_);
    if (ready <= 0 || (ready & (POLLERR | POLLHUP | POLLNVAL))) return false;
  }
  return true;
}

ssize_t SocketStream::read(char* ptr, size_t size) {
  // cpp-httplib reads a request's head one byte per call.
  if (size == 1 && offset_ + 1 < buffer_.size()) {
    *ptr = buffer_[offset_++];
    ++consumed_;
    return 1;
  }
  if (offset_ >= buffer_.size()) {
    if (size >= kDirectRead) {
      if (!flush()) return -1;
      const ssize_t n = recv_waiting(sock_, ptr, size, read_timeout_);
      if (n > 0) consumed_ += static_cast<size_t>(n);
      return n;
    }
    const ssize_t n = read_more();
    if (n <= 0) return n;  // 0: end of input, as recv() says it
  }
  const size_t n = std::min(size, buffer_.size() - offset_);
  std::copy_n(buffer_.data() + offset_, n, ptr);
  consume(n);
  return static_cast<ssize_t>(n);
}

ssize_t SocketStream::write(const char* ptr, size_t size) {
  std::string_view data(ptr, size);
  if (!held_.empty()) {
    const bool sent = send_all(held_, data);
    held_.clear();
    return sent ? static_cast<ssize_t>(size) : -1;
  }
  if (is_head_with_body(data)) {
    held_.assign(data);
    return static_cast<ssize_t>(size);
  }
  return send_all({}, data) ? static_cast<ssize_t>(size) : -1;
}

void SocketStream::look_up_addresses() const {
  if (have_addresses_) return;
  socket_address(sock_, false, remote_ip_, remote_port_);
  socket_address(sock_, true, local_ip_, local_port_);
  have_addresses_ = true;
}

void SocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  look_up_addresses();
  ip = remote_ip_;
  port = remote_port_;
}

void SocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  look_up_addresses();
  ip = local_ip_;
  port = local_port_;
}

ssize_t SocketStream::read_more() {
  if (!flush()) return -1;
  char chunk[kDirectRead];
  const ssize_t n = recv_waiting(sock_, chunk, sizeof(chunk), read_timeout_);
  if (n <= 0) return n;
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return n;
}

bool SocketStream::fill_to(size_t size) {
  while (buffer_.size() - offset_ < size)
    if (read_more() <= 0) return false;
  return true;
}

size_t SocketStream::fill_past(std::string_view marker, size_t limit) {
  for (;;) {
    const size_t at = buffered().find(marker);
    if (at != std::string_view::npos) return at + marker.size();
    if (buffered().size() >= limit || read_more() <= 0) return 0;
  }
}

void SocketStream::consume(size_t n) {
  n = std::min(n, buffer_.size() - offset_);
  offset_ += n;
  consumed_ += n;
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  }
}

std::string SocketStream::take_buffered() {
  std::string out = buffer_.substr(offset_);
  consumed_ += out.size();
  buffer_.clear();
  offset_ = 0;
  return out;
}

}  // namespace runagents::common
