// Helpers for tests of code that answers with RpcError.
#pragma once

#include <functional>

#include "server/json_rpc.hpp"

namespace runagents::mcp::testing {

// The code of the RpcError `f` throws; 0 when it throws none.
inline int rpc_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const RpcError& e) {
    return e.code();
  }
  return 0;
}

}  // namespace runagents::mcp::testing
