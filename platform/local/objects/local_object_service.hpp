// The local storage objects: Runloop's /v1/objects on this machine (platform/objects.hpp). Rows
// in the platform database (object_rows.hpp), content under <data_dir>/objects
// (object_files.hpp); several processes may share a data dir.
//
// How it differs from Runloop's cloud: content is on this machine's disk, and its upload and
// download URLs are paths of the `platform serve` that handed them out (see object_routes.hpp);
// one object holds at most `max_object_bytes`; a download URL is signed with a key of the
// object's own, so deleting the object revokes every URL handed out for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "platform/objects.hpp"

namespace runagents::platform::local {

struct LocalObjectOptions {
  std::filesystem::path data_dir;              // created (0700) if missing
  std::int64_t max_object_bytes = 64ll << 20;  // the cap of one object's content
};

// Opens the data dir's database (shared with the rest of the local platform in this process) and
// the objects directory. Throws PlatformError(unavailable) when either cannot be used.
std::shared_ptr<ObjectService> open_local_objects(const LocalObjectOptions& options);

}  // namespace runagents::platform::local
