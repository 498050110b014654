// The handlers running in this process, by run id, so that moving a run to FAILED (RunService::
// set_status, PATCH /runs/:id) stops its handler wherever it was started from (an invoke, a
// resumed approval). Internal to platform/local. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "platform/cancel.hpp"

namespace runagents::platform::local {

class RunStops {
 public:
  // Registers the stop signal of `run_id`'s running handler until the returned object dies.
  class Registration {
   public:
    Registration(RunStops& stops, std::string run_id, std::shared_ptr<ExecCancel> signal)
        : stops_(stops), run_id_(std::move(run_id)) {
      std::lock_guard lock(stops_.mu_);
      stops_.running_[run_id_] = std::move(signal);
    }
    ~Registration() {
      std::lock_guard lock(stops_.mu_);
      stops_.running_.erase(run_id_);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    RunStops& stops_;
    std::string run_id_;
  };

  // Fires the stop signal of `run_id`'s handler; false when none runs in this process.
  bool stop(const std::string& run_id) {
    std::shared_ptr<ExecCancel> signal;
    {
      std::lock_guard lock(mu_);
      auto it = running_.find(run_id);
      if (it == running_.end()) return false;
      signal = it->second;
    }
    signal->cancel();
    return true;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<ExecCancel>> running_;
};

}  // namespace runagents::platform::local
