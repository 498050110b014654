#include "platform/local/sandbox/cancel_token.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "platform/error.hpp"

namespace runagents::platform::local {

CancelToken::CancelToken() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0)
    throw PlatformError(
        ErrorKind::internal,
        std::string("cannot create an eventfd for a cancel token: ") + std::strerror(errno));
}

CancelToken::~CancelToken() {
  ::close(fd_);
}

void CancelToken::cancel() {
  if (cancelled_.exchange(true)) return;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}

}  // namespace runagents::platform::local
