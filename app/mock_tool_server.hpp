// The mock tool server of `runagents-mcp dev`: on 127.0.0.1, it answers every call as the
// RunAgents SDK's dev mock does and logs each one to stderr ("mock tool: POST /echo-tool/x ..."):
//   POST, PUT   {method, path, received (the JSON body, or its text), mock: true, result}
//   GET         {method, path, mock: true}
//   DELETE      {deleted: true}
// `runagents-mcp dev` registers each of the project's tools at http://127.0.0.1:PORT/<tool>, so
// the path starts with the tool's name.
#pragma once

#include <memory>
#include <thread>

#include "platform/serve/rest_server.hpp"

namespace runagents::cli {

class MockToolServer {
 public:
  // Binds 127.0.0.1:`port` (0: any free port) and serves on a thread of its own. Throws
  // PlatformError(unavailable) naming the address when it cannot bind.
  explicit MockToolServer(int port);
  ~MockToolServer();  // stops and joins
  MockToolServer(const MockToolServer&) = delete;
  MockToolServer& operator=(const MockToolServer&) = delete;

  int port() const { return port_; }

 private:
  std::unique_ptr<platform::serve::RestServer> server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace runagents::cli
