// run_query handles kept in a task store (tools/durable_query_handles.cpp): two registries on one
// store stand for two server processes on one data dir. A query started through one is waited on
// (with its progress), read and cancelled through the other; a query whose owner process has
// exited reads as ended with an error; tasks/get and tasks/list do not show query records.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_manager.hpp"
#include "tools/query_handles.hpp"

using namespace runagents;
using namespace std::chrono_literals;
using tools::QueryJobResult;
using tools::QueryState;
using Clock = std::chrono::steady_clock;

namespace {

// Reports one progress line, then runs until `release` or its cancel.
tools::QueryJob held_job(std::shared_ptr<std::atomic<bool>> release,
                         std::shared_ptr<std::atomic<bool>> saw_cancel) {
  return [=](const std::shared_ptr<platform::ExecCancel>& cancel,
             const std::function<void(const std::string&)>& progress) {
    progress("preparing");
    while (!release->load() && !cancel->cancelled()) std::this_thread::sleep_for(5ms);
    if (cancel->cancelled()) {
      *saw_cancel = true;
      return QueryJobResult{mcp::ToolResult::error("the query was cancelled"), true};
    }
    return QueryJobResult{mcp::ToolResult::structured({{"answer", 42}}, "done"), false};
  };
}

std::string text_of(const mcp::ToolResult& r) {
  return r.content.at(0).at("text").get<std::string>();
}

}  // namespace

TEST_SUITE("queries") {
  TEST_CASE("durable query handles: another registry on the store waits, reads and cancels") {
    auto store = std::make_shared<mcp::InMemoryTaskStore>();
    auto owner = tools::make_durable_query_handles(store);
    auto other = tools::make_durable_query_handles(store);
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto saw_cancel = std::make_shared<std::atomic<bool>>(false);

    owner->start("q_a", held_job(release, saw_cancel));
    auto record = store->get("q_a");
    REQUIRE(record);
    CHECK(record->era == "query");
    CHECK(record->status == mcp::TaskStatus::working);

    // The other registry sees it running, with its progress line.
    std::vector<std::string> lines;
    auto s =
        other->wait("q_a", 600ms, nullptr, 0, [&](const std::string& l) { lines.push_back(l); });
    REQUIRE(s);
    CHECK(s->state == QueryState::running);
    CHECK(s->last_progress == "preparing");
    CHECK(lines == std::vector<std::string>{"preparing"});
    CHECK_FALSE(s->result);
    CHECK(other->running() == 0);  // it runs in the owner only

    // Released: the other registry's wait returns the owner's result.
    release->store(true);
    s = other->wait("q_a", 5s, nullptr, s->progress_seq, nullptr);
    REQUIRE(s);
    CHECK(s->state == QueryState::completed);
    REQUIRE(s->result);
    CHECK_FALSE(s->result->is_error);
    CHECK(s->result->structured_content == mcp::json{{"answer", 42}});
    record = store->get("q_a");
    REQUIRE(record->ttl_ms);
    CHECK(*record->ttl_ms >= 3600 * 1000);

    // Cancel through the other registry stops the query in the owner.
    release->store(false);
    owner->start("q_b", held_job(release, saw_cancel));
    const auto t0 = Clock::now();
    s = other->cancel("q_b", 5s);
    REQUIRE(s);
    CHECK(s->state == QueryState::cancelled);
    CHECK(Clock::now() - t0 < 3s);
    CHECK(saw_cancel->load());
    REQUIRE(s->result);
    CHECK(s->result->is_error);
    CHECK(owner->running() == 0);

    CHECK_FALSE(other->wait("q_none", 10ms, nullptr, 0, nullptr));
    CHECK_FALSE(other->cancel("q_none", 10ms));
  }

  TEST_CASE("durable query handles: a query whose owner process exited reads as ended") {
    auto store = std::make_shared<mcp::InMemoryTaskStore>();
    mcp::TaskRecord r;
    r.id = "q_dead";
    r.era = "query";
    r.tool = "run_query";
    // A process identity from before a reboot: its owner is certainly gone.
    r.owner = "1:1:00000000-0000-0000-0000-000000000000:1";
    r.created_ms = r.updated_ms = mcp::now_epoch_ms();
    store->create(r);
    auto handles = tools::make_durable_query_handles(store);
    const auto t0 = Clock::now();
    auto s = handles->wait("q_dead", 5s, nullptr, 0, nullptr);
    CHECK(Clock::now() - t0 < 1s);
    REQUIRE(s);
    CHECK(s->state == QueryState::completed);
    REQUIRE(s->result);
    CHECK(s->result->is_error);
    CHECK(text_of(*s->result).find("has exited") != std::string::npos);
    CHECK(store->get("q_dead")->status == mcp::TaskStatus::failed);
  }

  TEST_CASE("durable query handles: tasks/get and tasks/list do not show query records") {
    auto store = std::make_shared<mcp::InMemoryTaskStore>();
    auto handles = tools::make_durable_query_handles(store);
    auto release = std::make_shared<std::atomic<bool>>(true);
    auto saw_cancel = std::make_shared<std::atomic<bool>>(false);
    handles->start("q_hidden", held_job(release, saw_cancel));
    REQUIRE(handles->wait("q_hidden", 5s, nullptr, 0, nullptr)->state == QueryState::completed);

    mcp::TaskManager tasks(store);
    CHECK_THROWS_AS(tasks.get(mcp::Era::modern, {{"taskId", "q_hidden"}}, ""), mcp::RpcError);
    CHECK(tasks.list(mcp::json::object(), "")["tasks"].empty());
  }
}
