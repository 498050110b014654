#include "platform/cancel.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "platform/error.hpp"

namespace runagents::platform {

namespace {

void signal_fd(int fd) {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

}  // namespace

ExecCancel::~ExecCancel() {
  if (fd_ >= 0) ::close(fd_);
}

void ExecCancel::cancel(std::string reason) {
  std::map<int, std::function<void()>> hooks;
  {
    std::lock_guard lock(mu_);
    if (cancelled_.exchange(true)) return;
    reason_ = std::move(reason);
    if (fd_ >= 0) signal_fd(fd_);
    hooks.swap(hooks_);
  }
  for (auto& [_, h] : hooks) h();
}

std::string ExecCancel::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

int ExecCancel::on_cancel(std::function<void()> hook) {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      hooks_[++next_] = std::move(hook);
      return next_;
    }
  }
  hook();
  return 0;
}

void ExecCancel::remove(int handle) {
  std::lock_guard lock(mu_);
  hooks_.erase(handle);
}

int ExecCancel::fd() const {
  std::lock_guard lock(mu_);
  if (fd_ < 0) {
    fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd_ < 0)
      throw PlatformError(ErrorKind::internal, std::string("cannot create an eventfd for a cancel "
                                                           "signal: ") +
                                                   std::strerror(errno));
    if (cancelled_) signal_fd(fd_);
  }
  return fd_;
}

}  // namespace runagents::platform
