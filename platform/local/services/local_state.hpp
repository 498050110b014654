// What the local platform's services share. Internal to platform/local.
#pragma once

#include <filesystem>
#include <memory>

#include "platform/local/local_platform.hpp"
#include "platform/local/store/database.hpp"

namespace runagents::platform::local {

class AgentRuntime;

struct LocalState {
  LocalOptions options;
  std::unique_ptr<Database> db;
  std::filesystem::path shim_dir;  // holds runagents/ (mounted on the sandbox's PYTHONPATH)
  std::filesystem::path work_dir;  // per-execution homes and sockets are made under here
  std::shared_ptr<AgentRuntime> runtime;
};

}  // namespace runagents::platform::local
