// The subset of a Dockerfile a local blueprint builds (platform/devboxes.hpp, Blueprints): FROM
// kLocalBaseImage, then RUN, ENV, ARG, WORKDIR and COPY. Instructions that change nothing a local
// devbox keeps (LABEL, EXPOSE, CMD, ENTRYPOINT, ...) become `ignored` steps the build log names;
// those that would change what the sandbox is (another FROM, USER, SHELL, ADD, ONBUILD, flags
// such as RUN --mount or COPY --from) are refused with the line and what to do instead.
// Internal to platform/local/devboxes.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace runagents::platform::local {

struct BuildStep {
  std::string instruction;  // RUN ENV ARG WORKDIR COPY, or "ignored"
  int line = 0;             // 1-based line of the Dockerfile where the instruction starts
  std::string text;         // RUN: the bash command; ignored: the instruction as written
  // ENV: name -> value (unexpanded); ARG: name -> default (has_default tells whether one was
  // given).
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<bool> has_default;
  std::vector<std::string> args;  // WORKDIR: {path}; COPY: {sources..., destination}
};

// Parses `dockerfile`. Throws PlatformError(invalid) "dockerfile line N: ..." for what the local
// builder does not do, a FROM that is missing or names another image, or malformed syntax.
std::vector<BuildStep> parse_dockerfile(const std::string& dockerfile);

// `text` with $NAME, ${NAME}, ${NAME:-default} and ${NAME:+word} replaced from `vars` (unset:
// ""); \$ stays a literal $. As Docker expands ENV, WORKDIR and COPY arguments.
std::string expand_variables(const std::string& text,
                             const std::map<std::string, std::string>& vars);

}  // namespace runagents::platform::local
