// RunService of the local platform: runs and their event timelines, read from the store.
#include <algorithm>

#include "platform/local/services/local_services.hpp"
#include "platform/local/store/run_store.hpp"

namespace runagents::platform::local {

namespace {

[[noreturn]] void throw_run_not_found(const std::string& id) {
  throw PlatformError(ErrorKind::not_found,
                      "run " + id + " not found; list_runs lists recent runs");
}

class LocalRuns : public RunService {
 public:
  explicit LocalRuns(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}

  std::vector<Run> list(const RunFilter& filter) override { return list_runs(*state_->db, filter); }

  Run get(const std::string& run_id) override {
    auto rec = find_run(*state_->db, run_id);
    if (!rec) throw_run_not_found(run_id);
    return rec->run;
  }

  EventPage events(const std::string& run_id, std::int64_t after_seq, int limit) override {
    if (!find_run(*state_->db, run_id)) throw_run_not_found(run_id);
    return run_events(*state_->db, run_id, std::max<std::int64_t>(after_seq, 0), limit);
  }

 private:
  std::shared_ptr<LocalState> state_;
};

}  // namespace

std::shared_ptr<RunService> make_local_runs(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalRuns>(std::move(state));
}

}  // namespace runagents::platform::local
