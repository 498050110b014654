// Which directories of the server's machine a client may name in a tool argument (deploy_agent's
// source_dir, create_devbox's source_path): the one check, so a model cannot make the server read
// what the user did not offer.
//   stdio: the client's MCP roots when it declares the `roots` capability (asked with
//          roots/list on each use, so a change of roots counts at once), else the working
//          directory the server was started in;
//   HTTP:  only the directories named by --allow-path (none by default);
//   both:  --allow-path directories are allowed too.
// A path is resolved to its real path first (symlinks and `..` followed), so neither can lead
// out of an allowed directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "server/request_context.hpp"

namespace runagents::tools {

struct HostPathPolicy {
  bool stdio = false;                              // the transport is stdio
  std::filesystem::path working_dir;               // where the server started (stdio)
  std::vector<std::filesystem::path> allow_paths;  // --allow-path
};

// The path of a file:// URI (file:///a%20b -> "/a b", file://localhost/a -> "/a"); "" for any
// other URI.
std::string path_of_file_uri(const std::string& uri);

// The directories `path` may be in, for this request: each resolved to its real path.
std::vector<std::filesystem::path> allowed_roots(const HostPathPolicy& policy,
                                                 mcp::RequestContext& ctx);

// `path` (absolute, or relative to the first allowed directory) as a real path inside one of
// `roots`. Throws PlatformError(invalid) naming the path when it does not exist, and
// PlatformError(permission) naming it and how to allow it when it is outside every root.
std::filesystem::path resolve_in_roots(const std::vector<std::filesystem::path>& roots,
                                       const std::string& path, bool stdio);

// allowed_roots, then resolve_in_roots.
std::filesystem::path allowed_host_path(const HostPathPolicy& policy, mcp::RequestContext& ctx,
                                        const std::string& path);

}  // namespace runagents::tools
