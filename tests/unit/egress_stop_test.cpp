// Egress::stop ends the calls in flight (issue 14: cancelling an agent run stops its in-flight
// tool forward and model call within 1 s). Before, stop() waited for the egress server's
// workers, one of which could sit in a 120 s model call.
#include <doctest/doctest.h>
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "platform/local/agents/egress.hpp"
#include "platform/local/store/data_dir.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform::local;
using runagents::platform::testing::TempDir;
using namespace std::chrono_literals;

TEST_SUITE("agents") {
  TEST_CASE("egress stop: a model call in flight ends at once, and stop() returns") {
    // A model endpoint that answers after 30 s (unless the test ends first).
    httplib::Server model;
    std::atomic<int> calls{0};
    std::atomic<bool> done{false};
    model.Post("/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
      ++calls;
      for (int i = 0; i < 300 && !done; ++i) std::this_thread::sleep_for(100ms);
      res.set_content(R"({"choices":[]})", "application/json");
    });
    const int port = model.bind_to_any_port("127.0.0.1");
    std::thread serving([&] { model.listen_after_bind(); });

    TempDir dir;
    auto state = std::make_shared<LocalState>();
    state->options.llm_base_url = "http://127.0.0.1:" + std::to_string(port);
    state->db = open_platform_database(dir.path / "data");
    const auto socket = dir.path / "egress.sock";
    auto egress =
        std::make_unique<Egress>(state, EgressScope{"run_1", "default", "a", "u", {}}, socket);

    // The agent's model call, through the egress socket.
    std::atomic<int> status{0};
    std::thread agent([&] {
      httplib::Client c(socket.string());
      c.set_address_family(AF_UNIX);
      c.set_read_timeout(60, 0);
      auto r = c.Post("/v1/chat/completions",
                      R"({"model":"gpt-x","messages":[{"role":"user","content":"hi"}]})",
                      "application/json");
      status = r ? r->status : -1;
    });
    for (int i = 0; i < 100 && calls == 0; ++i) std::this_thread::sleep_for(50ms);
    REQUIRE(calls == 1);

    const auto start = std::chrono::steady_clock::now();
    egress->stop();
    const auto took = std::chrono::steady_clock::now() - start;
    agent.join();
    CHECK(took < 5s);  // was the model call's whole 30 s
    CHECK(status != 200);

    done = true;
    egress.reset();
    model.stop();
    serving.join();
  }
}
