// The local platform's data dir: its one set-up, and the one Database per process over its
// platform.db. The local platform's services (local_platform.hpp) and the local devboxes
// (devboxes/devbox_service.hpp) both open the data dir here, so a process that runs both holds one
// SQLite connection and one mutex for it, not two.
//
// Thread-safety: both functions are safe to call from multiple threads.
#pragma once

#include <filesystem>
#include <memory>

#include "platform/local/store/database.hpp"

namespace runagents::platform::local {

// Creates `data_dir` (and its parents) if missing and makes it private to the user (0700).
// Throws PlatformError(unavailable) when it cannot be created or is not a directory; the message
// names the path and says how to choose another (--data-dir, RUNAGENTS_DATA_DIR).
void prepare_data_dir(const std::filesystem::path& data_dir);

// The Database over <data_dir>/platform.db for this process. The first caller prepares the data
// dir (prepare_data_dir) and opens it (Database's constructor: WAL, migrations); later callers for
// the same directory get the same Database for as long as any caller still holds it. Throws as
// prepare_data_dir and Database's constructor.
std::shared_ptr<Database> open_platform_database(const std::filesystem::path& data_dir);

}  // namespace runagents::platform::local
