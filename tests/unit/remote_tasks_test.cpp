// RemoteTasks: a task that is a sealed handle on work in a remote service. Creation, polling
// through the tool's ops (inline result, an unreachable service, a vanished tool), cancel, and
// ids that must not open: altered, sealed under another key, or past their ttl.
#include "server/tasks/remote_tasks.hpp"

#include <doctest/doctest.h>

#include <thread>

#include "rpc_test_support.hpp"

using namespace runagents::mcp;
using runagents::mcp::testing::rpc_code;

namespace {

struct FakeService {
  RemoteTaskOps ops;
  std::vector<json> polled;
  std::vector<json> cancelled;
  RemoteTaskState next;
  bool unreachable = false;

  FakeService() {
    ops.poll = [this](const json& h) {
      polled.push_back(h);
      if (unreachable) throw std::runtime_error("connection refused");
      return next;
    };
    ops.cancel = [this](const json& h) {
      if (unreachable) throw std::runtime_error("connection refused");
      cancelled.push_back(h);
    };
  }
};

RemoteTasks tasks_for(const RequestStateCodec& codec, FakeService& service,
                      std::int64_t ttl_ms = 3600000) {
  return RemoteTasks(
      codec,
      [&service](const std::string& tool) -> const RemoteTaskOps* {
        return tool == "devbox_exec" ? &service.ops : nullptr;
      },
      ttl_ms, 1000);
}

const json kHandle = {{"devbox_id", "dbx_1"}, {"execution_id", "exe_1"}};

}  // namespace

TEST_CASE("remote tasks: the id is the sealed handle; get asks the service each time") {
  RequestStateCodec codec(std::string(40, 'k'));
  FakeService service;
  RemoteTasks tasks = tasks_for(codec, service);

  json created = tasks.create("devbox_exec", kHandle);
  CHECK(created["resultType"] == "task");
  CHECK(created["status"] == "working");
  CHECK(created["ttlMs"] == 3600000);
  CHECK(created["pollIntervalMs"] == 1000);
  const std::string id = created["taskId"];
  CHECK(RemoteTasks::is_remote_id(id));
  CHECK_FALSE(RemoteTasks::is_remote_id("0123456789abcdef0123456789abcdef"));
  CHECK(id.find("exe_1") == std::string::npos);  // base64url, not readable at a glance

  service.next.message = "execution exe_1 is running (3 s)";
  json working = tasks.get(id);
  CHECK(working["resultType"] == "complete");
  CHECK(working["taskId"] == id);
  CHECK(working["status"] == "working");
  CHECK(working["statusMessage"] == "execution exe_1 is running (3 s)");
  CHECK(working["createdAt"] == created["createdAt"]);
  REQUIRE(service.polled.size() == 1);
  CHECK(service.polled[0] == kHandle);

  service.next.status = TaskStatus::completed;
  service.next.message.clear();
  service.next.result = {{"content", json::array({{{"type", "text"}, {"text", "done"}}})},
                         {"isError", false}};
  json done = tasks.get(id);
  CHECK(done["status"] == "completed");
  CHECK(done["result"] == service.next.result);

  // A second codec with the same key (another replica) reads the same task.
  RequestStateCodec replica(std::string(40, 'k'));
  CHECK(tasks_for(replica, service).get(id)["status"] == "completed");
  CHECK(service.polled.size() == 3);
}

TEST_CASE("remote tasks: an unreachable service is a working task that says so") {
  RequestStateCodec codec(std::string(40, 'k'));
  FakeService service;
  RemoteTasks tasks = tasks_for(codec, service);
  const std::string id = tasks.create("devbox_exec", kHandle)["taskId"];
  service.unreachable = true;
  json t = tasks.get(id);
  CHECK(t["status"] == "working");
  CHECK(t["statusMessage"].get<std::string>().find("connection refused") != std::string::npos);
  // A cancel that cannot reach the service is an error the client can retry, not a silent ack.
  CHECK(rpc_code([&] { tasks.cancel(id); }) == error_code::internal_error);
  service.unreachable = false;
  CHECK(tasks.cancel(id) == json{{"resultType", "complete"}});
  REQUIRE(service.cancelled.size() == 1);
  CHECK(service.cancelled[0] == kHandle);
  CHECK(tasks.update(id) == json{{"resultType", "complete"}});
}

TEST_CASE("remote tasks: altered, foreign, tool-less and expired ids are not found") {
  RequestStateCodec codec(std::string(40, 'k'));
  FakeService service;
  RemoteTasks tasks = tasks_for(codec, service);
  const std::string id = tasks.create("devbox_exec", kHandle)["taskId"];

  std::string altered = id;
  altered[5] = altered[5] == 'A' ? 'B' : 'A';
  CHECK(rpc_code([&] { tasks.get(altered); }) == error_code::invalid_params);
  CHECK(rpc_code([&] { tasks.get("rt.nonsense"); }) == error_code::invalid_params);
  // Found by fuzz_sealed_tokens: an id without the prefix (too short to cut it off) threw
  // std::out_of_range instead of answering.
  CHECK(rpc_code([&] { tasks.get(""); }) == error_code::invalid_params);
  CHECK(rpc_code([&] { tasks.cancel("r"); }) == error_code::invalid_params);

  RequestStateCodec stranger(std::string(40, 'x'));
  RemoteTasks other = tasks_for(stranger, service);
  CHECK(rpc_code([&] { other.get(id); }) == error_code::invalid_params);
  CHECK(rpc_code([&] { other.cancel(id); }) == error_code::invalid_params);
  CHECK(service.cancelled.empty());

  const std::string orphan = tasks.create("gone_tool", kHandle)["taskId"];
  CHECK(rpc_code([&] { tasks.get(orphan); }) == error_code::invalid_params);

  RemoteTasks short_lived = tasks_for(codec, service, 1);  // ttl 1 ms: the seal lasts 1 s
  const std::string brief = short_lived.create("devbox_exec", kHandle)["taskId"];
  CHECK(short_lived.get(brief)["status"] == "working");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(rpc_code([&] { short_lived.get(brief); }) == error_code::invalid_params);
  CHECK(service.polled.size() == 1);  // nothing was asked of the service for a bad id
}
