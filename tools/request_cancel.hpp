// The one place the tools turn an MCP request's cancellation (server/cancellation.hpp) into the
// platform's (platform/cancel.hpp): while a RequestCancel lives, cancelling the request fires
// its signal. Make one on the handler's stack around the platform call; hand signal() to the
// platform request. Not copyable; the signal itself may outlive it (it then just never fires
// from this request).
#pragma once

#include <memory>

#include "platform/cancel.hpp"
#include "server/cancellation.hpp"

namespace runagents::tools {

class RequestCancel {
 public:
  explicit RequestCancel(mcp::Cancellation& request);
  RequestCancel(const RequestCancel&) = delete;
  RequestCancel& operator=(const RequestCancel&) = delete;

  const std::shared_ptr<platform::ExecCancel>& signal() const { return signal_; }

 private:
  std::shared_ptr<platform::ExecCancel> signal_;
  mcp::CancelCallbackScope scope_;  // after signal_: unhooked before it is released
};

}  // namespace runagents::tools
