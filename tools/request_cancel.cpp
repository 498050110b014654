#include "tools/request_cancel.hpp"

namespace runagents::tools {

RequestCancel::RequestCancel(mcp::Cancellation& request)
    : signal_(std::make_shared<platform::ExecCancel>()),
      scope_(request, [s = signal_] { s->cancel(); }) {}

}  // namespace runagents::tools
