// Test helpers shared by the MCP core's unit tests: an Outbound that records what a handler
// sends, and a request builder.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "server/json_rpc.hpp"
#include "server/session.hpp"

namespace runagents::mcp::testing {

struct RecordingOutbound : Outbound {
  std::mutex mu;
  std::vector<json> sent;
  bool send(const json& m) override {
    std::lock_guard lock(mu);
    sent.push_back(m);
    return true;
  }
  std::vector<json> take() {
    std::lock_guard lock(mu);
    return sent;
  }
  std::vector<json> with_method(const std::string& method) {
    std::lock_guard lock(mu);
    std::vector<json> out;
    for (const auto& m : sent) {
      if (m.value("method", std::string()) == method) out.push_back(m);
    }
    return out;
  }
};

inline Message request(json id, std::string method, json params = json::object()) {
  Message m;
  m.kind = Message::Kind::request;
  m.id = std::move(id);
  m.method = std::move(method);
  m.params = std::move(params);
  return m;
}

}  // namespace runagents::mcp::testing
