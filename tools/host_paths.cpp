#include "tools/host_paths.hpp"

#include <cctype>
#include <string>
#include <system_error>

#include "platform/common/percent_encoding.hpp"
#include "platform/error.hpp"

namespace runagents::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;
using platform::ErrorKind;
using platform::PlatformError;

std::string path_of_file_uri(const std::string& uri) {
  const std::string scheme = "file://";
  if (uri.rfind(scheme, 0) != 0) return {};
  std::string rest = uri.substr(scheme.size());
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  if (rest.empty() || rest.front() != '/') return {};
  return common::percent_decode(rest);
}

namespace {

void add_real(std::vector<fs::path>& roots, const fs::path& p) {
  std::error_code ec;
  auto real = fs::canonical(p, ec);
  if (!ec && fs::is_directory(real, ec)) roots.push_back(real);
}

bool within(const fs::path& root, const fs::path& p) {
  auto rel = p.lexically_relative(root);
  return !rel.empty() && rel.native().rfind("..", 0) != 0;
}

}  // namespace

std::vector<fs::path> allowed_roots(const HostPathPolicy& policy, mcp::RequestContext& ctx) {
  std::vector<fs::path> roots;
  if (policy.stdio) {
    if (ctx.client_has("roots")) {
      const json answer = ctx.ask("roots", "roots/list", json::object());
      for (const auto& r : answer.value("roots", json::array()))
        if (r.is_object() && r.contains("uri") && r["uri"].is_string())
          if (auto p = path_of_file_uri(r["uri"].get<std::string>()); !p.empty())
            add_real(roots, p);
    } else if (!policy.working_dir.empty()) {
      add_real(roots, policy.working_dir);
    }
  }
  for (const auto& p : policy.allow_paths) add_real(roots, p);
  return roots;
}

fs::path resolve_in_roots(const std::vector<fs::path>& roots, const std::string& path, bool stdio) {
  if (path.empty()) throw PlatformError(ErrorKind::invalid, "the path is empty");
  fs::path p = path;
  if (p.is_relative()) {
    if (roots.empty())
      throw PlatformError(ErrorKind::invalid,
                          "\"" + path +
                              "\" is relative and no directory is allowed to resolve it; "
                              "give an absolute path inside an allowed directory");
    p = roots.front() / p;
  }
  std::error_code ec;
  const fs::path real = fs::canonical(p, ec);
  if (ec)
    throw PlatformError(
        ErrorKind::invalid,
        "\"" + path + "\" does not exist on the server's machine (" + ec.message() + ")");
  for (const auto& root : roots)
    if (real == root || within(root, real)) return real;
  std::string allowed;
  for (const auto& root : roots) allowed += (allowed.empty() ? "" : ", ") + root.string();
  const std::string how =
      stdio ? "the server reads only inside the client's MCP roots (or, when the client declares "
              "none, the directory the server was started in) and --allow-path directories; open "
              "the project in the client or start runagents-mcp with --allow-path DIR"
            : "over HTTP the server reads only inside directories named by --allow-path; restart "
              "it with --allow-path DIR";
  throw PlatformError(ErrorKind::forbidden,
                      "\"" + path + "\" is outside the directories this server may read (" +
                          (allowed.empty() ? std::string("none") : allowed) + "): " + how);
}

fs::path allowed_host_path(const HostPathPolicy& policy, mcp::RequestContext& ctx,
                           const std::string& path) {
  return resolve_in_roots(allowed_roots(policy, ctx), path, policy.stdio);
}

}  // namespace runagents::tools
