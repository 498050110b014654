// The egress of one agent execution: an HTTP server on a Unix socket that is mounted into the
// agent's sandbox and is the agent's only way out. It serves
//   ANY  /tools/<tool>[/path]   a tool call: policy (deny > approval_required > allow > default
//                               deny), TOOL_REQUEST/TOOL_RESPONSE events, approval holds (403
//                               {"code":"APPROVAL_REQUIRED",...} and the run PAUSED_APPROVAL),
//                               echo-tool answered here, other tools forwarded to their base URL;
//   POST /v1/chat/completions   the model gateway;
//   POST /runtime/result        the runner's report of how the handler ended.
// One Egress per execution; it knows which run, agent and user it serves, so the agent needs no
// credentials.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "platform/local/services/local_state.hpp"

namespace httplib {
class Server;
}

namespace runagents::platform::local {

struct EgressScope {
  std::string run_id;
  std::string ns;
  std::string agent;
  std::string user;
  std::vector<std::string> required_tools;
};

class Egress {
 public:
  // Starts serving on `socket_path` (replaced if it exists) and returns once it listens. Throws
  // PlatformError(unavailable) when it cannot listen.
  Egress(std::shared_ptr<LocalState> state, EgressScope scope, std::filesystem::path socket_path);
  // Stops serving, waits for its thread and removes the socket.
  ~Egress();
  Egress(const Egress&) = delete;
  Egress& operator=(const Egress&) = delete;

  // Ends the tool forwards and model calls in flight (within the HTTP client's cancel poll, about
  // 20 ms), stops serving and waits for the server's thread. Idempotent.
  void stop();
  // What the runner posted to /runtime/result, if anything.
  std::optional<json> result() const;
  // Whether a call was held for approval during this execution.
  bool paused() const { return paused_.load(); }

 private:
  struct Answer {
    int status = 200;
    json body;
  };
  Answer call_tool(const std::string& method, const std::string& tool, const std::string& path,
                   const std::string& body, const std::string& content_type);

  std::atomic<bool> stopping_{false};  // set by stop(): calls in flight end

  std::shared_ptr<LocalState> state_;
  EgressScope scope_;
  std::filesystem::path socket_path_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> paused_{false};
  mutable std::mutex mu_;
  std::optional<json> result_;
};

// Answers a call to echo-tool: {"echo": true, "tool", "method", "path", "received"}.
json echo_answer(const std::string& tool, const std::string& method, const std::string& path,
                 const json& payload);

}  // namespace runagents::platform::local
