#include "server/line_writer.hpp"

#include <limits.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace runagents::mcp {

namespace {

bool is_socket(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

LineWriter::LineWriter(int fd, LineWriterLimits limits)
    : fd_(fd), socket_(is_socket(fd)), limits_(limits) {}

bool LineWriter::write_line(std::string line) {
  line.push_back('\n');
  {
    std::lock_guard lock(mu_);
    if (broken_) return false;
    if (queued_bytes_ + line.size() > limits_.max_queued_bytes && writing_) {
      give_up("more than " + std::to_string(limits_.max_queued_bytes) +
                  " bytes of output are waiting for the client to read them",
              true);
      queue_.clear();
      queued_bytes_ = 0;
      return false;
    }
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    if (writing_) return true;  // the caller already writing takes it along
    writing_ = true;
  }
  // This caller writes until the queue is empty (lines others queue meanwhile included).
  for (;;) {
    std::string next;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty() || broken_) {
        queue_.clear();
        queued_bytes_ = 0;
        writing_ = false;
        return !broken_;
      }
      next = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= next.size();
    }
    // False only once the writer gave up (broken_): the next turn drops the rest and says so.
    write_all(next);
  }
}

bool LineWriter::write_all(const std::string& data) {
  using Clock = std::chrono::steady_clock;
  const char* p = data.data();
  size_t left = data.size();
  auto progress_at = Clock::now();
  while (left > 0) {
    if (broken_) return false;
    if (socket_) {
      // A socket (Node.js clients spawn servers with socketpairs) takes what fits without
      // blocking, so the wait below is only for a full buffer.
      const ssize_t n = ::send(fd_, p, left, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        p += n;
        left -= static_cast<size_t>(n);
        progress_at = Clock::now();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        give_up("the client closed its stdout", false);
        return false;
      }
    }
    pollfd pfd{fd_, POLLOUT, 0};
    int ready = ::poll(&pfd, 1, 100);
    if (ready < 0 && errno != EINTR) {
      give_up(std::string("poll on stdout failed: ") + std::strerror(errno), false);
      return false;
    }
    if (ready <= 0) {
      if (Clock::now() - progress_at >= limits_.stall_limit) {
        give_up(
            "the client has not read its stdout for " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::seconds>(limits_.stall_limit).count()) +
                " s",
            true);
        return false;
      }
      continue;
    }
    if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
      give_up("the client closed its stdout", false);
      return false;
    }
    if (socket_) continue;  // room now: send() above
    ssize_t n = ::write(fd_, p, std::min<size_t>(left, PIPE_BUF));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      give_up("the client closed its stdout", false);
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
    progress_at = Clock::now();
  }
  return true;
}

void LineWriter::give_up(const std::string& why, bool stalled) {
  if (broken_.exchange(true)) return;
  stalled_ = stalled;
  if (stalled) {
    spdlog::error("{}; ending the session (its queued output is dropped)", why);
  } else {
    spdlog::debug("{}; nothing more can be delivered", why);
  }
}

}  // namespace runagents::mcp
