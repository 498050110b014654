// run_query handles (tools/query_handles.hpp): start, wait with a timeout and with progress, an
// early return on the waiting request's cancel, cancel of the query, expiry of finished queries,
// an unknown id, the running cap, and a registry that goes away with queries still running. Also
// the command output tail (platform/queries.hpp) the results carry.
#include "tools/query_handles.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "platform/error.hpp"
#include "platform/queries.hpp"

using namespace runagents;
using namespace std::chrono_literals;
using tools::QueryJobResult;
using tools::QueryState;
using Clock = std::chrono::steady_clock;

namespace {

// A job that reports `lines` progress lines, then runs until `release` or its cancel.
tools::QueryJob blocking_job(std::shared_ptr<std::atomic<bool>> release, int lines = 0,
                             std::shared_ptr<std::atomic<bool>> saw_cancel = nullptr) {
  return [=](const std::shared_ptr<platform::ExecCancel>& cancel,
             const std::function<void(const std::string&)>& progress) {
    for (int i = 1; i <= lines; ++i) progress("line " + std::to_string(i));
    while (!release->load() && !cancel->cancelled()) std::this_thread::sleep_for(5ms);
    if (cancel->cancelled()) {
      if (saw_cancel) *saw_cancel = true;
      return QueryJobResult{mcp::ToolResult::error("the query was cancelled"), true};
    }
    return QueryJobResult{mcp::ToolResult::structured({{"status", "completed"}}, "done"), false};
  };
}

tools::QueryJob quick_job(std::string text) {
  return [text](const std::shared_ptr<platform::ExecCancel>&,
                const std::function<void(const std::string&)>&) {
    return QueryJobResult{mcp::ToolResult::text(text), false};
  };
}

std::string text_of(const mcp::ToolResult& r) {
  return r.content.at(0).at("text").get<std::string>();
}

}  // namespace

TEST_SUITE("queries") {
  TEST_CASE(
      "query handles: start returns at once; wait times out while running, then returns "
      "the result") {
    auto handles = tools::make_memory_query_handles();
    auto release = std::make_shared<std::atomic<bool>>(false);
    const auto t0 = Clock::now();
    auto started = handles->start("q_1", blocking_job(release, 2));
    CHECK(Clock::now() - t0 < 500ms);
    CHECK(started.state == QueryState::running);
    CHECK(handles->running() == 1);

    std::vector<std::string> seen;
    const auto t1 = Clock::now();
    auto s =
        handles->wait("q_1", 300ms, nullptr, 0, [&](const std::string& l) { seen.push_back(l); });
    REQUIRE(s);
    CHECK(s->state == QueryState::running);
    CHECK(Clock::now() - t1 >= 280ms);
    CHECK(s->last_progress == "line 2");
    CHECK(s->progress_seq == 2);
    CHECK(seen == std::vector<std::string>{"line 1", "line 2"});
    CHECK_FALSE(s->result);

    // Lines already seen are not handed out again.
    seen.clear();
    s = handles->wait("q_1", 50ms, nullptr, s->progress_seq,
                      [&](const std::string& l) { seen.push_back(l); });
    CHECK(seen.empty());

    std::thread later([release] {
      std::this_thread::sleep_for(100ms);
      *release = true;
    });
    const auto t2 = Clock::now();
    s = handles->wait("q_1", 10s, nullptr, 0, nullptr);
    later.join();
    REQUIRE(s);
    CHECK(Clock::now() - t2 < 5s);  // returned when it ended, not after the full wait
    CHECK(s->state == QueryState::completed);
    REQUIRE(s->result);
    CHECK(s->result->structured_content->at("status") == "completed");
    CHECK(handles->running() == 0);

    // Still fetchable after the end, with wait 0.
    s = handles->wait("q_1", 0ms, nullptr, 0, nullptr);
    REQUIRE(s);
    CHECK(s->state == QueryState::completed);
  }

  TEST_CASE("query handles: a waiting call returns promptly when its request is cancelled") {
    auto handles = tools::make_memory_query_handles();
    auto release = std::make_shared<std::atomic<bool>>(false);
    handles->start("q_2", blocking_job(release));
    mcp::Cancellation request;
    std::thread canceller([&] {
      std::this_thread::sleep_for(100ms);
      request.cancel("client went away");
    });
    const auto t0 = Clock::now();
    auto s = handles->wait("q_2", 20s, &request, 0, nullptr);
    canceller.join();
    REQUIRE(s);
    CHECK(Clock::now() - t0 < 3s);
    CHECK(s->state == QueryState::running);  // the query itself goes on
    CHECK(handles->running() == 1);
    *release = true;
    s = handles->wait("q_2", 10s, nullptr, 0, nullptr);
    CHECK(s->state == QueryState::completed);
  }

  TEST_CASE("query handles: cancel stops the job and waits for it to end") {
    auto handles = tools::make_memory_query_handles();
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto saw = std::make_shared<std::atomic<bool>>(false);
    handles->start("q_3", blocking_job(release, 0, saw));
    auto s = handles->cancel("q_3", 5s);
    REQUIRE(s);
    CHECK(saw->load());
    CHECK(s->state == QueryState::cancelled);
    REQUIRE(s->result);
    CHECK(s->result->is_error);
    CHECK(handles->running() == 0);
    // Cancelling again, or a finished query, changes nothing.
    handles->start("q_4", quick_job("answer"));
    s = handles->wait("q_4", 5s, nullptr, 0, nullptr);
    REQUIRE(s);
    s = handles->cancel("q_4", 1s);
    CHECK(s->state == QueryState::completed);
    CHECK(text_of(*s->result) == "answer");
  }

  TEST_CASE("query handles: unknown ids, expiry by age and by count, duplicate ids") {
    tools::QueryHandleOptions o;
    o.keep_finished = std::chrono::seconds(1);
    o.max_finished = 2;
    auto handles = tools::make_memory_query_handles(o);
    CHECK_FALSE(handles->wait("q_nope", 0ms, nullptr, 0, nullptr));
    CHECK_FALSE(handles->cancel("q_nope", 0ms));

    for (const char* id : {"q_a", "q_b", "q_c"}) {
      handles->start(id, quick_job(id));
      REQUIRE(handles->wait(id, 5s, nullptr, 0, nullptr)->state == QueryState::completed);
    }
    // Three finished, two kept: the oldest went first.
    handles->wait("q_c", 0ms, nullptr, 0, nullptr);
    CHECK_FALSE(handles->wait("q_a", 0ms, nullptr, 0, nullptr));
    CHECK(handles->wait("q_b", 0ms, nullptr, 0, nullptr));
    CHECK_THROWS_AS(handles->start("q_c", quick_job("again")), platform::PlatformError);

    std::this_thread::sleep_for(1200ms);
    CHECK_FALSE(handles->wait("q_b", 0ms, nullptr, 0, nullptr));
    CHECK_FALSE(handles->wait("q_c", 0ms, nullptr, 0, nullptr));
  }

  TEST_CASE("query handles: the running cap; a job that throws; the destructor cancels and joins") {
    tools::QueryHandleOptions o;
    o.max_running = 2;
    auto handles = tools::make_memory_query_handles(o);
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto saw1 = std::make_shared<std::atomic<bool>>(false);
    auto saw2 = std::make_shared<std::atomic<bool>>(false);
    handles->start("q_r1", blocking_job(release, 0, saw1));
    handles->start("q_r2", blocking_job(release, 0, saw2));
    try {
      handles->start("q_r3", quick_job("x"));
      FAIL("a third query started");
    } catch (const platform::PlatformError& e) {
      CHECK(std::string(e.what()).find("cancel") != std::string::npos);
    }

    auto throwing = [](const std::shared_ptr<platform::ExecCancel>&,
                       const std::function<void(const std::string&)>&) -> QueryJobResult {
      throw platform::PlatformError(platform::ErrorKind::not_found, "agent nobody not found");
    };
    auto other = tools::make_memory_query_handles();
    other->start("q_t", throwing);
    auto s = other->wait("q_t", 5s, nullptr, 0, nullptr);
    REQUIRE(s);
    CHECK(s->state == QueryState::completed);
    CHECK(s->result->is_error);
    CHECK(text_of(*s->result).find("agent nobody not found") != std::string::npos);

    const auto t0 = Clock::now();
    handles.reset();  // both running jobs are cancelled and joined
    CHECK(saw1->load());
    CHECK(saw2->load());
    CHECK(Clock::now() - t0 < 5s);
  }

  TEST_CASE("command output tail: last lines, byte cap, stderr marked, redacted, UTF-8 safe") {
    platform::CommandOutputTail tail({"s3cret"}, 64, 3);
    tail.append("stdout", "one\ntwo\nthr");
    tail.append("stderr", "oops s3cret\n");
    tail.append("stdout", "ee\nfour");
    CHECK(tail.text() == "[stderr] oops [REDACTED]\nthree\nfour\n");
    CHECK(tail.truncated());

    platform::CommandOutputTail small({}, 4096, 50);
    small.append("stdout", "a\nb\n");
    CHECK(small.text() == "a\nb\n");
    CHECK_FALSE(small.truncated());
    CHECK(platform::CommandOutputTail({}).empty());

    // A line longer than the cap keeps its end, never half a character.
    platform::CommandOutputTail wide({}, 10, 50);
    wide.append("stdout", "ééééééééééé\n");  // 22 bytes
    const std::string t = wide.text();
    CHECK(!t.empty());
    CHECK(t.size() <= 10);
    CHECK(t.find("\xEF\xBF\xBD") == std::string::npos);  // no replacement character
    CHECK(wide.truncated());

    // A secret split across chunks is still redacted (redaction happens per whole line).
    platform::CommandOutputTail split({"s3cret"});
    split.append("stdout", "key=s3");
    split.append("stdout", "cret\n");
    CHECK(split.text() == "key=[REDACTED]\n");
  }
}
