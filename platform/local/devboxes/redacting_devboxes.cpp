#include "platform/local/devboxes/redacting_devboxes.hpp"

#include "platform/common/redact.hpp"

namespace runagents::platform::local {

namespace {

using common::redact_secrets;
using common::redact_secrets_cut;
using common::TextCuts;

// Runs `fn`; a PlatformError whose message shows a secret is thrown again with it hidden.
template <typename Fn>
auto hiding(const std::vector<std::string>& secrets, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const PlatformError& e) {
    std::string message = redact_secrets(e.what(), secrets);
    if (message == e.what()) throw;
    throw PlatformError(e.kind(), std::move(message), e.http_status());
  }
}

DevboxExecution hidden(DevboxExecution e, const std::vector<std::string>& secrets) {
  TextCuts cuts;
  cuts.omitted_markers = true;
  // Output so far: a secret being printed must not show in part before its end arrives.
  cuts.growing = e.status != "completed";
  e.stdout_text = redact_secrets_cut(std::move(e.stdout_text), secrets, cuts);
  e.stderr_text = redact_secrets_cut(std::move(e.stderr_text), secrets, cuts);
  e.command = redact_secrets(std::move(e.command), secrets);
  e.note = redact_secrets(std::move(e.note), secrets);
  return e;
}

std::vector<std::string> names_of(const std::map<std::string, std::string>& env_to_name) {
  std::vector<std::string> names;
  for (const auto& [_, name] : env_to_name) names.push_back(name);
  return names;
}

}  // namespace

Devbox RedactingDevboxes::create(const DevboxCreateRequest& request,
                                 const DevboxProgress& progress) {
  const auto secrets = secrets_->store().values(names_of(request.secrets));
  if (secrets.empty()) return target().create(request, progress);
  DevboxProgress said;
  if (progress)
    said = [&progress, &secrets](const std::string& m) { progress(redact_secrets(m, secrets)); };
  return hiding(secrets, [&] { return target().create(request, said); });
}

Devbox RedactingDevboxes::create_and_await_running(const DevboxCreateRequest& request,
                                                   std::chrono::milliseconds wait) {
  const auto secrets = secrets_->store().values(names_of(request.secrets));
  return hiding(secrets, [&] { return target().create_and_await_running(request, wait); });
}

DevboxExecution RedactingDevboxes::execute(const ExecRequest& request) {
  const auto secrets = secrets_->values(request.devbox_id);
  if (secrets.empty()) return target().execute(request);
  ExecRequest r = request;
  if (request.on_output)
    r.on_output = [&request, &secrets](std::string_view stream, std::string_view line) {
      request.on_output(stream, redact_secrets(std::string(line), secrets));
    };
  return hidden(hiding(secrets, [&] { return target().execute(r); }), secrets);
}

DevboxExecution RedactingDevboxes::execute_async(const ExecRequest& request) {
  const auto secrets = secrets_->values(request.devbox_id);
  if (secrets.empty()) return target().execute_async(request);
  return hidden(hiding(secrets, [&] { return target().execute_async(request); }), secrets);
}

DevboxExecution RedactingDevboxes::execution(const std::string& devbox_id,
                                             const std::string& execution_id) {
  const auto secrets = secrets_->values(devbox_id);
  if (secrets.empty()) return target().execution(devbox_id, execution_id);
  return hidden(hiding(secrets, [&] { return target().execution(devbox_id, execution_id); }),
                secrets);
}

DevboxExecution RedactingDevboxes::wait_for_execution(const std::string& devbox_id,
                                                      const std::string& execution_id,
                                                      const std::vector<std::string>& statuses,
                                                      std::chrono::milliseconds timeout) {
  const auto secrets = secrets_->values(devbox_id);
  if (secrets.empty())
    return target().wait_for_execution(devbox_id, execution_id, statuses, timeout);
  return hidden(
      hiding(
          secrets,
          [&] { return target().wait_for_execution(devbox_id, execution_id, statuses, timeout); }),
      secrets);
}

DevboxExecution RedactingDevboxes::kill_execution(const std::string& devbox_id,
                                                  const std::string& execution_id) {
  const auto secrets = secrets_->values(devbox_id);
  if (secrets.empty()) return target().kill_execution(devbox_id, execution_id);
  return hidden(hiding(secrets, [&] { return target().kill_execution(devbox_id, execution_id); }),
                secrets);
}

std::vector<DevboxLog> RedactingDevboxes::logs(const std::string& devbox_id,
                                               const DevboxLogsRequest& request) {
  const auto secrets = secrets_->values(devbox_id);
  if (secrets.empty()) return target().logs(devbox_id, request);
  auto lines = hiding(secrets, [&] { return target().logs(devbox_id, request); });
  for (auto& l : lines) {
    l.message = redact_secrets(std::move(l.message), secrets);
    l.cmd = redact_secrets(std::move(l.cmd), secrets);
  }
  return lines;
}

DevboxFile RedactingDevboxes::read_file(const std::string& devbox_id, const std::string& path,
                                        std::uint64_t offset, std::optional<std::uint64_t> length) {
  const auto secrets = secrets_->values(devbox_id);
  if (secrets.empty()) return target().read_file(devbox_id, path, offset, length);
  DevboxFile f =
      hiding(secrets, [&] { return target().read_file(devbox_id, path, offset, length); });
  TextCuts cuts;
  cuts.start = offset > 0;
  cuts.end = offset + f.data.size() < f.size;
  f.data = redact_secrets_cut(std::move(f.data), secrets, cuts);
  return f;
}

}  // namespace runagents::platform::local
