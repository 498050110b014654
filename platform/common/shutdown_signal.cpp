#include "platform/common/shutdown_signal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>

namespace runagents::common::shutdown_signal {

namespace {
int pipe_fds[2] = {-1, -1};
std::atomic<bool> flag{false};
std::once_flag once;

void on_signal(int) {
  flag.store(true);
  char c = 1;
  [[maybe_unused]] auto n = ::write(pipe_fds[1], &c, 1);
}
}  // namespace

void install() {
  std::call_once(once, [] {
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
  });
}

int fd() { return pipe_fds[0]; }
bool requested() { return flag.load(); }
void trigger() {
  install();
  on_signal(0);
}

}  // namespace runagents::common::shutdown_signal
