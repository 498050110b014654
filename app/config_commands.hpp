// The configuration commands of the command line: `runagents-mcp config get|set|list` and
// `runagents-mcp doctor`. They print for people; secrets only ever appear redacted.
#pragma once

#include <iosfwd>
#include <string>

#include "platform/config/config.hpp"

namespace runagents::cli {

// Each returns the process exit status: 0 success, 1 a failed check or an error (printed to
// `err`), 2 bad usage.
int config_list(const platform::ConfigFlags& flags, std::ostream& out, std::ostream& err);
int config_get(const platform::ConfigFlags& flags, const std::string& key, std::ostream& out,
               std::ostream& err);
// `value` "-" reads the value from the first line of stdin (keeps keys out of shell history);
// "" removes the key.
int config_set(const platform::ConfigFlags& flags, const std::string& key, const std::string& value,
               std::ostream& out, std::ostream& err);
// Which face each domain uses and why, the data dir, bwrap and python3, and whether the endpoint
// answers. Exit 1 when something the configured faces need is missing.
int run_doctor(const platform::ConfigFlags& flags, std::ostream& out);

}  // namespace runagents::cli
