// What the local platform's services share. Internal to platform/local.
#pragma once

#include <filesystem>
#include <memory>

#include "platform/local/local_platform.hpp"
#include "platform/local/services/run_stops.hpp"
#include "platform/local/store/database.hpp"

namespace runagents::platform::local {

class AgentRuntime;

struct LocalState {
  LocalOptions options;
  std::shared_ptr<Database> db;    // the process's one Database of the data dir (data_dir.hpp)
  std::filesystem::path shim_dir;  // holds runagents/ (mounted on the sandbox's PYTHONPATH)
  std::filesystem::path work_dir;  // per-execution homes and sockets are made under here
  std::shared_ptr<AgentRuntime> runtime;
  std::shared_ptr<RunStops> stops = std::make_shared<RunStops>();  // handlers running here
};

}  // namespace runagents::platform::local
