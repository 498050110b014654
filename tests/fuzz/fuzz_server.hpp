// The server the fuzz targets drive: an McpServer with tools whose schemas cover every argument
// shape (strings with patterns and enums, numbers with bounds, nested objects, arrays), a tool
// that runs as a task, a prompt, a resource, and an in-memory task manager. Each request gets a
// fresh legacy session (initialized) or runs stateless in the modern era, as a transport does.
#pragma once

#include <memory>

#include "server/json_rpc.hpp"
#include "server/mcp_server.hpp"

namespace runagents::mcp::fuzz {

class Server {
 public:
  Server();
  // Answers `message` (requests; notifications and responses are handed over too). Aborts when
  // an answer is not a JSON-RPC response carrying the request's id.
  void answer(const Message& message);

 private:
  std::unique_ptr<McpServer> server_;
  std::shared_ptr<Session> legacy_;
};

}  // namespace runagents::mcp::fuzz
