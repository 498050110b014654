#include "platform/serve/h2_exchange.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "platform/common/socket_stream.hpp"

namespace runagents::platform::serve {

H2Link::H2Link() : wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

H2Link::~H2Link() {
  if (wake_fd >= 0) ::close(wake_fd);
}

void H2Link::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof(one));
}

H2Exchange::H2Exchange(std::shared_ptr<H2Link> link, std::shared_ptr<H2Stream> stream, int sock)
    : link_(std::move(link)),
      stream_(std::move(stream)),
      sock_(sock),
      // A body past the limit is not kept; its length still tells cpp-httplib to answer 413.
      request_head_(
          request_text(stream_->method, stream_->path, stream_->authority, stream_->headers,
                       stream_->body_too_large ? stream_->body_bytes : stream_->body.size())),
      parser_(stream_->method == "HEAD") {}

ssize_t H2Exchange::read(char* ptr, size_t size) {
  static const std::string kNone;
  const std::string& body = stream_->body_too_large ? kNone : stream_->body;
  size_t n = 0;
  while (n < size && read_offset_ < request_head_.size() + body.size()) {
    const bool in_head = read_offset_ < request_head_.size();
    const std::string& src = in_head ? request_head_ : body;
    const size_t at = in_head ? read_offset_ : read_offset_ - request_head_.size();
    const size_t k = std::min(size - n, src.size() - at);
    std::memcpy(ptr + n, src.data() + at, k);
    n += k;
    read_offset_ += k;
  }
  return static_cast<ssize_t>(n);
}

ssize_t H2Exchange::write(const char* ptr, size_t size) {
  const bool parsed = parser_.feed(std::string_view(ptr, size));
  std::unique_lock lock(link_->mu);
  if (!parsed) {
    stream_->broken = true;
    return -1;
  }
  publish_locked();
  link_->cv.wait(lock, [this] { return stream_->pending() <= kStreamBuffer || stream_->closed; });
  return stream_->closed ? -1 : static_cast<ssize_t>(size);
}

bool H2Exchange::is_writable() const {
  std::lock_guard lock(link_->mu);
  return !stream_->closed && !link_->stopping;
}

void H2Exchange::get_remote_ip_and_port(std::string& ip, int& port) const {
  common::socket_address(sock_, false, ip, port);
}

void H2Exchange::get_local_ip_and_port(std::string& ip, int& port) const {
  common::socket_address(sock_, true, ip, port);
}

void H2Exchange::finish() {
  parser_.finish();
  std::lock_guard lock(link_->mu);
  stream_->finished = true;
  stream_->broken = stream_->broken || !parser_.complete();
  publish_locked();
  link_->running--;
  link_->cv.notify_all();
}

void H2Exchange::publish_locked() {
  bool news = false;
  if (auto head = parser_.take_head()) {
    stream_->head = std::move(head);
    news = true;
  }
  std::string body = parser_.take_body();
  if (!body.empty()) {
    if (stream_->pending() == 0) {
      stream_->out = std::move(body);
      stream_->out_offset = 0;
    } else {
      stream_->out += body;
    }
    news = true;
  }
  if (news || stream_->finished || parser_.complete()) {
    link_->updated.push_back(stream_->id);
    link_->wake();
  }
}

}  // namespace runagents::platform::serve
