// Fetching a query's pre_agent_downloadables on the server's side, so a sandbox without network
// still gets its files. http and https URLs are fetched (redirects followed); file URLs are read
// from this machine with the server's permissions.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "platform/common/shell_quote.hpp"
#include "platform/objects.hpp"

namespace runagents::platform::local {

struct Download {
  std::string filename;  // the URL path's last segment, percent-decoded ("download" when empty)
  std::string data;
};

// Throws PlatformError: invalid for a URL that is not http(s) or file, or whose file name is
// unusable (".." or containing '/'); unavailable when the fetch fails ("download of URL failed:
// HTTP 404"), or when it is larger than `max_bytes`; cancelled when `cancelled` turns true.
Download fetch_download(const std::string& url, std::size_t max_bytes,
                        std::chrono::milliseconds timeout, const std::function<bool()>& cancelled);

// The content of object://ID (a READ_ONLY storage object of `objects`), named after the object
// (its name's last component, with .tgz or .tar added to an archive that lacks it, so it is
// unpacked). Throws PlatformError: invalid for a URL without an id or an object name that is
// unusable; not_found / conflict as ObjectService::open; unavailable past `max_bytes`.
Download fetch_object(ObjectService& objects, const std::string& url, std::size_t max_bytes);

// How to unpack `filename` in a shell inside the sandbox (cwd = its directory), or "" when it is
// not an archive: .zip via python3's zipfile, tar archives (.tar, .tar.gz, .tgz, .tar.bz2,
// .tar.xz) via tar. The archive is deleted after unpacking, as RuntimeUse does for zips.
std::string unpack_command(const std::string& filename);

}  // namespace runagents::platform::local
