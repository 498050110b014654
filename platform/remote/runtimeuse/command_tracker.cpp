#include "platform/remote/runtimeuse/command_tracker.hpp"

#include <algorithm>
#include <regex>
#include <utility>

namespace runagents::platform::remote::runtimeuse {

CommandTracker::CommandTracker(const QueryRequest& request) : secrets_(request.secrets) {
  for (auto [phase, list] : {std::pair<const char*, const std::vector<QueryCommand>*>{
                                 "pre-agent", &request.pre_commands},
                             {"post-agent", &request.post_commands}})
    for (const auto& c : *list) {
      Entry e{{}, CommandOutputTail(secrets_)};
      e.run.phase = phase;
      e.run.command = c.command;
      e.run.ran.reset();
      entries_.push_back(std::move(e));
    }
}

void CommandTracker::output(const std::string& command, std::string_view stream,
                            std::string_view text) {
  for (std::size_t j = cursor_ < 0 ? 0 : static_cast<std::size_t>(cursor_); j < entries_.size();
       ++j) {
    const std::string& c = entries_[j].run.command;
    if (c != command && redact_secrets(c, secrets_) != command) continue;
    succeeded_before(j);
    cursor_ = static_cast<int>(j);
    entries_[j].run.ran = true;
    entries_[j].tail.append(stream, text);
    return;
  }
}

void CommandTracker::failed(const std::string& error) {
  static const std::regex kFailed(R"((pre|post)-agent command failed with exit code: (-?\d+))");
  std::smatch m;
  if (!std::regex_search(error, m, kFailed)) return;
  const std::string phase = m[1].str() + "-agent";
  const int code = std::stoi(m[2].str());
  std::size_t first = entries_.size(), end = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].run.phase == phase) {
      first = std::min(first, i);
      end = i + 1;
    }
  if (first >= end) return;
  succeeded_before(first);  // an earlier phase finished
  for (std::size_t i = end; i < entries_.size(); ++i) entries_[i].run.ran = false;
  const std::size_t from = cursor_ >= static_cast<int>(first) ? cursor_ : first;
  if (end - from == 1) {  // one candidate: it is the one
    entries_[from].run.ran = true;
    entries_[from].run.exit_code = code;
  }
}

std::vector<QueryCommandRun> CommandTracker::runs() const {
  std::vector<QueryCommandRun> out;
  for (const auto& e : entries_) {
    QueryCommandRun r = e.run;
    r.output_tail = e.tail.text();
    r.output_truncated = e.tail.truncated();
    out.push_back(std::move(r));
  }
  return out;
}

void CommandTracker::succeeded_before(std::size_t j) {
  for (std::size_t i = 0; i < j && i < entries_.size(); ++i) {
    entries_[i].run.ran = true;
    if (!entries_[i].run.exit_code) entries_[i].run.exit_code = 0;
  }
}

}  // namespace runagents::platform::remote::runtimeuse
