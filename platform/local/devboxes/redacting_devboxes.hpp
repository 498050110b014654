// The local devboxes as the rest of the server sees them: every output of a devbox created with
// secrets (DevboxCreateRequest::secrets) has each secret's value replaced by "[REDACTED]" before
// it leaves the service: command output (results, lines streamed to on_output, output so far of a
// running command), the devbox's log, read_file data (pages cut at an offset too), and error
// messages. Diffs, run_query's embedded runtime and `platform serve` read through this, so they
// are covered as well. Internal to platform/local (open_local_devboxes puts it in front of the
// service).
#pragma once

#include <memory>

#include "platform/devboxes.hpp"
#include "platform/local/devboxes/devbox_secrets.hpp"

namespace runagents::platform::local {

class RedactingDevboxes final : public DevboxServiceWrapper {
 public:
  RedactingDevboxes(std::shared_ptr<DevboxService> target, std::shared_ptr<DevboxSecrets> secrets)
      : DevboxServiceWrapper(std::move(target)), secrets_(std::move(secrets)) {}

  Devbox create(const DevboxCreateRequest& request, const DevboxProgress& progress) override;
  Devbox create_and_await_running(const DevboxCreateRequest& request,
                                  std::chrono::milliseconds wait) override;
  DevboxExecution execute(const ExecRequest& request) override;
  DevboxExecution execute_async(const ExecRequest& request) override;
  DevboxExecution execution(const std::string& devbox_id, const std::string& execution_id) override;
  DevboxExecution wait_for_execution(const std::string& devbox_id, const std::string& execution_id,
                                     const std::vector<std::string>& statuses,
                                     std::chrono::milliseconds timeout) override;
  DevboxExecution kill_execution(const std::string& devbox_id,
                                 const std::string& execution_id) override;
  std::vector<DevboxLog> logs(const std::string& devbox_id,
                              const DevboxLogsRequest& request) override;
  DevboxFile read_file(const std::string& devbox_id, const std::string& path, std::uint64_t offset,
                       std::optional<std::uint64_t> length) override;

 private:
  std::shared_ptr<DevboxSecrets> secrets_;
};

}  // namespace runagents::platform::local
