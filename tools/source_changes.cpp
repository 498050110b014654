#include "tools/source_changes.hpp"

#include "platform/common/clip.hpp"
#include "platform/common/utf8.hpp"
#include "platform/error.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;
using platform::ErrorKind;
using platform::PlatformError;

// Bytes of diff per page.
constexpr std::uint64_t kDiffPage = 20000;
// Where the last computed diff is kept in the devbox home, for its later pages.
constexpr const char* kDiffFile = ".runagents/source.diff";
// Exit codes of the script below that are not git's.
constexpr int kNoSource = 3;
constexpr int kNoBaseline = 4;

// Bash run in the devbox: finds the project, stages everything into a temporary index (so the
// devbox's own index is untouched) and runs `git diff <diff_args>` of it against the baseline.
std::string changes_script(const std::string& diff_args) {
  return std::string("f=/home/user/") + platform::kDevboxSourceFile +
         "\n"
         "[ -f \"$f\" ] || exit 3\n"
         "cd \"$(head -n 1 \"$f\")\" || exit 4\n"
         "git rev-parse -q --verify '" +
         platform::kDevboxBaselineRef +
         "^{commit}' >/dev/null || exit 4\n"
         "t=$(mktemp -d) || exit 1\n"
         "trap 'rm -rf \"$t\"' EXIT\n"
         "cp .git/index \"$t/index\" 2>/dev/null\n"
         "export GIT_INDEX_FILE=\"$t/index\"\n"
         "git add -A . >&2 || exit 1\n"
         "git -c core.quotepath=false diff --cached --no-color --no-ext-diff --no-textconv " +
         diff_args + " " + platform::kDevboxBaselineRef + "\n";
}

PlatformError no_baseline(const std::string& devbox_id) {
  return PlatformError(ErrorKind::conflict,
                       "devbox " + devbox_id +
                           " has no project baseline: it was not created with source_path "
                           "(create_devbox source_path=DIR copies a project in and commits it "
                           "as the baseline that diff and changed_files compare with)");
}

// Runs the script and returns its stdout; turns its failures into errors that say what to do.
std::string run_changes(platform::DevboxService& devboxes, const std::string& devbox_id,
                        const std::string& diff_args) {
  platform::ExecRequest r;
  r.devbox_id = devbox_id;
  r.command = changes_script(diff_args);
  r.timeout = std::chrono::seconds(120);
  r.output_cap = 8u << 20;
  const auto e = devboxes.execute(r);
  const int code = e.exit_status.value_or(-1);
  if (code == kNoSource) throw no_baseline(devbox_id);
  if (code == kNoBaseline)
    throw PlatformError(ErrorKind::conflict,
                        "devbox " + devbox_id +
                            " no longer has its project or its baseline commit (" +
                            platform::kDevboxBaselineRef +
                            "): a command in the devbox removed it, so there is nothing to "
                            "compare with");
  if (code != 0 || e.stdout_truncated)
    throw PlatformError(ErrorKind::unavailable,
                        "git in devbox " + devbox_id + " failed (exit " + std::to_string(code) +
                            (e.stdout_truncated ? ", output too large" : "") +
                            "): " + common::clip_tail(e.stderr_text, 2000, "[...]"));
  return e.stdout_text;
}

std::string source_dir_of(platform::DevboxService& devboxes, const std::string& devbox_id) {
  std::string dir;
  try {
    dir = devboxes.read_file(devbox_id, platform::kDevboxSourceFile, 0, 4096).data;
  } catch (const PlatformError& e) {
    if (e.kind() == ErrorKind::not_found) throw no_baseline(devbox_id);
    throw;
  }
  if (auto nl = dir.find('\n'); nl != std::string::npos) dir.resize(nl);
  return common::to_valid_utf8(dir);
}

}  // namespace

std::vector<ChangedFile> parse_name_status(std::string_view z) {
  std::vector<std::string_view> fields;
  while (!z.empty()) {
    const std::size_t end = z.find('\0');
    fields.push_back(z.substr(0, end));
    z = end == std::string_view::npos ? std::string_view() : z.substr(end + 1);
  }
  std::vector<ChangedFile> files;
  for (std::size_t i = 0; i < fields.size();) {
    const std::string_view code = fields[i++];
    if (code.empty())
      throw PlatformError(ErrorKind::internal, "git's list of changed files has an empty status");
    const char kind = code.front();
    const bool two_paths = kind == 'R' || kind == 'C';
    if (i + (two_paths ? 2 : 1) > fields.size())
      throw PlatformError(
          ErrorKind::internal,
          "git's list of changed files ends inside an entry (status " + std::string(code) + ")");
    ChangedFile f;
    if (two_paths) f.old_path = fields[i++];
    f.path = fields[i++];
    switch (kind) {
      case 'A':
      case 'C':
        f.status = "added";
        break;
      case 'D':
        f.status = "deleted";
        break;
      case 'R':
        f.status = "renamed";
        break;
      case 'M':
      case 'T':
        f.status = "modified";
        break;
      default:
        throw PlatformError(ErrorKind::internal,
                            "git's list of changed files has an unknown status " +
                                std::string(code) + " for " + f.path);
    }
    if (kind == 'C') f.old_path.clear();
    files.push_back(std::move(f));
  }
  return files;
}

json source_diff_page(platform::DevboxService& devboxes, const std::string& devbox_id,
                      std::uint64_t offset) {
  if (offset == 0)
    run_changes(devboxes, devbox_id, std::string("--output=/home/user/") + kDiffFile);
  const std::string dir = source_dir_of(devboxes, devbox_id);
  platform::DevboxFile f;
  try {
    f = devboxes.read_file(devbox_id, kDiffFile, offset, kDiffPage);
  } catch (const PlatformError& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    throw PlatformError(ErrorKind::invalid, "no diff was computed in devbox " + devbox_id +
                                                " yet; call action diff without offset first");
  }
  std::string_view page = f.data;
  if (offset + page.size() < f.size) {
    // End the page at a line end when there is one, else where no character is cut.
    const std::size_t nl = page.rfind('\n');
    page = nl != std::string_view::npos ? page.substr(0, nl + 1)
                                        : common::utf8_head(page, page.size());
  }
  json out = {{"source_dir", dir}, {"text", common::to_valid_utf8(page)},
              {"offset", offset},  {"length", page.size()},
              {"size", f.size},    {"eof", offset + page.size() >= f.size}};
  if (offset + page.size() < f.size) out["next_offset"] = offset + page.size();
  return out;
}

json source_changed_files(platform::DevboxService& devboxes, const std::string& devbox_id) {
  const auto files = parse_name_status(run_changes(devboxes, devbox_id, "--name-status -z -M"));
  json items = json::array();
  for (const auto& f : files) {
    json j = {{"path", common::to_valid_utf8(f.path)}, {"status", f.status}};
    if (!f.old_path.empty()) j["old_path"] = common::to_valid_utf8(f.old_path);
    items.push_back(std::move(j));
  }
  return {{"source_dir", source_dir_of(devboxes, devbox_id)}, {"files", std::move(items)}};
}

}  // namespace runagents::tools
