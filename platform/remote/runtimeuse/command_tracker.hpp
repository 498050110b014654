// CommandTracker: what the pre- and post-agent commands of one RuntimeUse query did, as far as
// the wire tells (B.5.3, B.9.2). Internal to platform/remote/runtimeuse.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "platform/queries.hpp"

namespace runagents::platform::remote::runtimeuse {

// A command_output_message names the command that printed; the runtime runs the commands in
// order and stops at the first non-zero exit ("<phase> command failed with exit code: N"); a
// result_message comes only after every command succeeded. A command that printed nothing and
// is not pinned down by these rules keeps an unknown exit code. Used by one query's thread.
class CommandTracker {
 public:
  explicit CommandTracker(const QueryRequest& request);

  // `command` as the frame named it (the runtime redacts it).
  void output(const std::string& command, std::string_view stream, std::string_view text);
  // A result_message: every command ran and exited 0.
  void all_succeeded() { succeeded_before(entries_.size()); }
  // An error_message: pins down the failing command when the message and the order allow.
  void failed(const std::string& error);

  std::vector<QueryCommandRun> runs() const;

 private:
  struct Entry {
    QueryCommandRun run;
    CommandOutputTail tail;
  };

  // Commands before `j` finished with exit 0 (the runtime went on past them).
  void succeeded_before(std::size_t j);

  std::vector<std::string> secrets_;
  std::vector<Entry> entries_;
  int cursor_ = -1;
};

}  // namespace runagents::platform::remote::runtimeuse
