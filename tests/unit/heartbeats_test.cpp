#include "server/heartbeats.hpp"

#include <doctest/doctest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/recording_outbound.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;

namespace {

using Progress = testing::RecordingOutbound;

}  // namespace

TEST_SUITE("heartbeats") {
  TEST_CASE("a quiet call with a progress token gets increasing heartbeats") {
    Heartbeats beats(100ms, 150ms);
    Session session("s");
    Progress out;
    RequestContext ctx(session, out, 1, json("tok"), nullptr);
    ctx.progress(5, 10, "started");
    {
      auto scope = beats.watch(ctx);
      std::this_thread::sleep_for(700ms);
    }
    auto sent = out.take();
    REQUIRE(sent.size() >= 3);  // the tool's own line, then at least two beats
    double last = -1;
    for (const auto& m : sent) {
      CHECK(m["method"] == "notifications/progress");
      CHECK(m["params"]["progressToken"] == "tok");
      double p = m["params"]["progress"].get<double>();
      CHECK(p > last);
      last = p;
    }
    CHECK(sent.back()["params"]["message"].get<std::string>().find("still running") == 0);

    // Once the scope ended, nothing more is sent.
    const size_t before = out.take().size();
    std::this_thread::sleep_for(400ms);
    CHECK(out.take().size() == before);
  }

  TEST_CASE("no heartbeat while the call reports progress itself, and none without a token") {
    Heartbeats beats(50ms, 300ms);
    Session session("s");
    Progress busy_out, silent_out;
    RequestContext busy(session, busy_out, 1, json(7), nullptr);
    RequestContext no_token(session, silent_out, 2, nullptr, nullptr);
    {
      auto a = beats.watch(busy);
      auto b = beats.watch(no_token);
      for (int i = 1; i <= 8; ++i) {
        busy.progress(i, 8, "step");
        std::this_thread::sleep_for(60ms);
      }
    }
    for (const auto& m : busy_out.take()) CHECK(m["params"]["message"] == "step");
    CHECK(silent_out.take().empty());
  }

  TEST_CASE("a cancelled call gets no heartbeat") {
    Heartbeats beats(50ms, 100ms);
    Session session("s");
    Progress out;
    auto cancellation = std::make_shared<Cancellation>();
    RequestContext ctx(session, out, 1, json("t"), cancellation);
    cancellation->cancel("stop");
    {
      auto scope = beats.watch(ctx);
      std::this_thread::sleep_for(400ms);
    }
    CHECK(out.take().empty());
  }
}
