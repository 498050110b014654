// manage_devbox upload and download (issue 12; Runloop's upload_file / download_file): a file or a
// directory tree between a path of the server's machine and a path in a devbox, through the
// DevboxService interface only (write_file, read_file, execute), so both faces carry it.
//
// The host side is limited as create_devbox's source_path is (tools/host_paths.hpp): upload reads
// only inside the allowed directories, download writes only there, and only a path that does not
// exist yet, so nothing of the user's is overwritten. Trees go entry by entry: directories, regular
// files (with their executable bit), and symlinks copied as links with their target text, never
// followed on either side; other entries (sockets, fifos, devices) are skipped and listed. A
// download writes its files with O_EXCL | O_NOFOLLOW and makes the links last, so no write goes
// through a link the tree brought. Read from a devbox with secrets, files hold [REDACTED] where
// the values were (redacting_devboxes.hpp), as every other read does.
//
// Limits: 10,000 entries and 256 MiB of file data per call; more is refused before anything is
// written, with what to do.
#pragma once

#include <string>

#include "platform/devboxes.hpp"
#include "server/tool_registry.hpp"
#include "tools/host_paths.hpp"

namespace runagents::tools {

// {host_path, path, kind: file|directory, files, directories, links, bytes, skipped?}.
// `path` "" = /home/user/<the host entry's name>. Throws PlatformError: permission (outside the
// allowed directories), invalid (missing, too big, a bad devbox path), and as the service does.
mcp::json upload_to_devbox(platform::DevboxService& devboxes, const std::string& devbox_id,
                           const std::string& host_path, const std::string& path,
                           const HostPathPolicy& policy, mcp::RequestContext& ctx);

// The same for a devbox path to `host_path`, which must not exist; its parent must be inside an
// allowed directory. Throws conflict when `host_path` exists.
mcp::json download_from_devbox(platform::DevboxService& devboxes, const std::string& devbox_id,
                               const std::string& path, const std::string& host_path,
                               const HostPathPolicy& policy, mcp::RequestContext& ctx);

}  // namespace runagents::tools
