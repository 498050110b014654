// The one cancellation type (platform/cancel.hpp): hooks, removal, cancelled(), and the pollable
// fd() the sandbox's supervisors wait on (made lazily, readable once cancelled, from any thread).
#include "platform/cancel.hpp"

#include <doctest/doctest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

using runagents::platform::ExecCancel;
using namespace std::chrono_literals;

namespace {

bool readable(int fd, int timeout_ms = 0) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

}  // namespace

TEST_CASE("ExecCancel: hooks run once, a removed hook does not run" *
          doctest::test_suite("cancel")) {
  ExecCancel c;
  int a = 0, b = 0;
  c.on_cancel([&] { ++a; });
  const int hb = c.on_cancel([&] { ++b; });
  c.remove(hb);
  CHECK_FALSE(c.cancelled());
  c.cancel();
  c.cancel();
  CHECK(c.cancelled());
  CHECK(a == 1);
  CHECK(b == 0);
  // After the cancel a hook runs at once, with handle 0.
  int late = 0;
  CHECK(c.on_cancel([&] { ++late; }) == 0);
  CHECK(late == 1);
}

TEST_CASE("ExecCancel: fd() turns readable on cancel and stays readable" *
          doctest::test_suite("cancel")) {
  ExecCancel c;
  const int fd = c.fd();
  REQUIRE(fd >= 0);
  CHECK(c.fd() == fd);  // the same descriptor for the object's life
  CHECK_FALSE(readable(fd));
  std::thread canceller([&] {
    std::this_thread::sleep_for(50ms);
    c.cancel();
  });
  CHECK(readable(fd, 5000));  // a poll() loop wakes from another thread's cancel
  canceller.join();
  CHECK(readable(fd));  // and nothing consumes it
}

TEST_CASE("ExecCancel: an fd made after the cancel is readable at once" *
          doctest::test_suite("cancel")) {
  auto c = std::make_shared<ExecCancel>();
  c->cancel();
  CHECK(readable(c->fd()));
}
