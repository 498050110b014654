#include "platform/local/sandbox/output_capture.hpp"

#include <algorithm>

namespace runagents::platform::local::detail {

namespace {

bool is_continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Length of the cut-off UTF-8 sequence at the end of `s` (0 if it ends on a boundary).
std::size_t incomplete_utf8_suffix(std::string_view s) {
  std::size_t n = s.size();
  for (std::size_t back = 1; back <= 4 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if (is_continuation(c)) continue;
    std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

// Number of continuation bytes at the start of `s` (at most 3).
std::size_t leading_continuations(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && i < 3 && is_continuation(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

}  // namespace

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

CapturedOutput OutputCapture::snapshot() const {
  CapturedOutput out;
  out.total_bytes = total_;
  if (total_ <= cap_) {
    out.data = head_ + tail_;
    return out;
  }
  std::string_view head = head_;
  std::string_view tail = tail_;
  if (tail.size() > tail_cap_) tail.remove_prefix(tail.size() - tail_cap_);
  head.remove_suffix(incomplete_utf8_suffix(head));
  tail.remove_prefix(leading_continuations(tail));
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
