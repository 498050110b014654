#include <spdlog/spdlog.h>

#include "platform/local/devboxes/local_devbox_service.hpp"
#include "platform/local/sandbox/tree_copy.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

DevboxSnapshot LocalDevboxService::snapshot(const std::string& devbox_id,
                                            const SnapshotRequest& req) {
  require_status(devbox_id, {"running", "suspended"}, "snapshot it");
  DevboxSnapshot s;
  s.id = new_id("snp_");
  s.name = req.name;
  s.create_time_ms = now_ms();
  s.metadata = req.metadata;
  s.source_devbox_id = devbox_id;
  s.commit_message = req.commit_message;
  s.status = "in_progress";
  rows_.insert_snapshot(s);
  rows_.touch(devbox_id);
  auto work = [this, id = s.id, home = home_of(devbox_id)] {
    try {
      auto copy = copy_tree_exact(home, snapshot_home(id));
      rows_.snapshot_complete(id, copy.bytes, copy.skipped);
    } catch (const std::exception& e) {
      rows_.snapshot_failed(id, std::string("copying the home failed: ") + e.what());
    }
  };
  if (req.async) {
    helpers_.spawn(work);
  } else {
    work();
    auto done = snapshot_status(s.id);
    if (done.status == "error")
      throw PlatformError(ErrorKind::internal, "snapshot " + s.id + " of " + devbox_id +
                                                   " failed: " + done.error_message);
    return done;
  }
  return snapshot_status(s.id);
}

DevboxSnapshot LocalDevboxService::snapshot_status(const std::string& snapshot_id) {
  return rows_.snapshot(snapshot_id);
}

SnapshotPage LocalDevboxService::list_snapshots(const SnapshotListRequest& req) {
  return rows_.list_snapshots(req);
}

void LocalDevboxService::delete_snapshot(const std::string& snapshot_id) {
  const fs::path dir = snapshot_dir(snapshot_id);
  const fs::path doomed = dir.string() + ".deleting";
  {
    std::lock_guard lock(snapshot_mu_);
    DevboxSnapshot s = snapshot_status(snapshot_id);  // not_found
    if (s.status == "deleted") return;
    if (s.status == "in_progress")
      throw PlatformError(ErrorKind::conflict,
                          "snapshot " + snapshot_id +
                              " is still being taken; delete it once its status is complete "
                              "(snapshot_status); nothing was deleted");
    auto users = rows_.provisioning_from(snapshot_id);
    if (copying_.count(snapshot_id) != 0 || !users.empty())
      throw PlatformError(ErrorKind::conflict,
                          "snapshot " + snapshot_id + " is being copied into devbox " +
                              (users.empty() ? std::string("being created") : users.front()) +
                              "; delete it once that devbox is running; nothing was deleted");
    // Out of the way first (one rename: nothing is half deleted when it fails), then the record.
    std::error_code ec;
    fs::rename(dir, doomed, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw PlatformError(ErrorKind::unavailable,
                          "cannot delete snapshot " + snapshot_id + ": renaming " + dir.string() +
                              " failed: " + ec.message() + "; nothing was deleted");
    try {
      if (!rows_.snapshot_deleted(snapshot_id))
        throw PlatformError(ErrorKind::conflict,
                            "snapshot " + snapshot_id + " changed while it was deleted; retry");
    } catch (...) {
      if (!ec) fs::rename(doomed, dir, ec);
      throw;
    }
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);
  if (ec)
    spdlog::warn("snapshot {} is deleted but removing {} failed: {}", snapshot_id, doomed.string(),
                 ec.message());
}

fs::path LocalDevboxService::snapshot_dir(const std::string& id) const {
  return options_.data_dir / "devbox_snapshots" / id;
}

fs::path LocalDevboxService::snapshot_home(const std::string& id) const {
  return snapshot_dir(id) / "home";
}

void LocalDevboxService::copy_snapshot(const std::string& snapshot_id, const fs::path& home) {
  {
    std::lock_guard lock(snapshot_mu_);
    if (snapshot_status(snapshot_id).status != "complete")
      throw PlatformError(ErrorKind::not_found,
                          "snapshot " + snapshot_id + " was deleted while the devbox was created");
    ++copying_[snapshot_id];
  }
  auto done = [&] {
    std::lock_guard lock(snapshot_mu_);
    if (--copying_[snapshot_id] == 0) copying_.erase(snapshot_id);
  };
  try {
    copy_tree_exact(snapshot_home(snapshot_id), home);
  } catch (...) {
    done();
    throw;
  }
  done();
}

}  // namespace runagents::platform::local
