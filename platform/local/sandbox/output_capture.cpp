#include "platform/local/sandbox/output_capture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "platform/common/clip.hpp"

namespace runagents::platform::local::detail {

OutputCapture::OutputCapture(std::size_t cap)
    : cap_(cap), head_cap_(cap / 2), tail_cap_(cap - cap / 2) {}

void OutputCapture::append(std::string_view data) {
  total_ += data.size();
  if (head_.size() < head_cap_) {
    std::size_t take = std::min(data.size(), head_cap_ - head_.size());
    head_.append(data.substr(0, take));
    data.remove_prefix(take);
  }
  if (data.empty()) return;
  tail_.append(data);
  if (tail_.size() > 2 * tail_cap_) tail_.erase(0, tail_.size() - tail_cap_);
}

OutputFile::OutputFile(int fd, std::uint64_t cap, std::string error)
    : fd_(fd), cap_(cap), error_(std::move(error)) {}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::write(std::string_view data) {
  if (fd_ < 0 || written_ >= cap_) return;
  data = data.substr(
      0, static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), cap_ - written_)));
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = std::string("writing it failed: ") + std::strerror(n < 0 ? errno : ENOSPC);
      ::close(fd_);
      fd_ = -1;
      return;
    }
    written_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void OutputFile::describe(CapturedOutput& output) const {
  output.file_bytes = written_;
  output.file_error = error_;
}

CapturedOutput OutputCapture::snapshot() const {
  CapturedOutput out;
  out.total_bytes = total_;
  if (total_ <= cap_) {
    out.data = head_ + tail_;
    return out;
  }
  // head_ and tail_ are pieces of the stream; the cuts are judged from the bytes kept.
  const std::string_view head = common::utf8_head(head_, head_.size());
  const std::string_view tail = common::utf8_tail(tail_, tail_cap_);
  std::uint64_t omitted = total_ - head.size() - tail.size();
  out.truncated = true;
  out.data.reserve(head.size() + tail.size() + 48);
  out.data.append(head);
  if (!head.empty() && head.back() != '\n') out.data.push_back('\n');
  out.data.append("[... " + std::to_string(omitted) + " bytes omitted ...]\n");
  out.data.append(tail);
  return out;
}

void LineSplitter::feed(std::string_view data) {
  if (callback_ == nullptr || !*callback_) return;
  while (!data.empty()) {
    auto nl = data.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(data);
      while (pending_.size() >= kMaxLine) {
        deliver(std::string_view(pending_).substr(0, kMaxLine));
        pending_.erase(0, kMaxLine);
      }
      return;
    }
    if (pending_.empty()) {
      deliver(data.substr(0, nl));
    } else {
      pending_.append(data.substr(0, nl));
      deliver(pending_);
      pending_.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

void LineSplitter::finish() {
  if (callback_ == nullptr || !*callback_ || pending_.empty()) return;
  deliver(pending_);
  pending_.clear();
}

void LineSplitter::deliver(std::string_view line) {
  // A callback that throws must not take the supervising thread down; the line is dropped.
  try {
    (*callback_)(stream_, line);
  } catch (...) {
  }
}

}  // namespace runagents::platform::local::detail
