#include "platform/local/sandbox/command.hpp"

namespace runagents::platform::local {

const char* to_string(OutputStream stream) {
  return stream == OutputStream::stdout_stream ? "stdout" : "stderr";
}

const char* to_string(ExecStatus status) {
  switch (status) {
    case ExecStatus::queued:
      return "queued";
    case ExecStatus::running:
      return "running";
    case ExecStatus::completed:
      return "completed";
  }
  return "completed";
}

}  // namespace runagents::platform::local
