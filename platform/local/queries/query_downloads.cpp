#include "platform/local/queries/query_downloads.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "platform/common/percent_encoding.hpp"
#include "platform/error.hpp"
#include "platform/http/http_client.hpp"

namespace runagents::platform::local {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string file_name_of(const std::string& path_and_query, const std::string& url) {
  std::string path = path_and_query.substr(0, path_and_query.find_first_of("?#"));
  std::string name = common::percent_decode(path.substr(path.rfind('/') + 1));
  if (name.empty()) name = "download";
  if (name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos)
    throw PlatformError(ErrorKind::invalid, "download URL " + url + " names no usable file (\"" +
                                                name + "\"); end its path with a file name");
  return name;
}

Download fetch_file(const std::string& url, std::size_t max_bytes) {
  // file:///abs/path or file://localhost/abs/path
  std::string rest = url.substr(7);
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  if (rest.empty() || rest[0] != '/')
    throw PlatformError(ErrorKind::invalid,
                        "file URL " + url + " must be absolute (file:///path/to/file)");
  const std::string path = common::percent_decode(rest.substr(0, rest.find_first_of("?#")));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw PlatformError(ErrorKind::unavailable,
                        "download of " + url + " failed: cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  Download d{file_name_of(rest, url), buf.str()};
  if (d.data.size() > max_bytes)
    throw PlatformError(ErrorKind::unavailable, "download of " + url + " is larger than " +
                                                    std::to_string(max_bytes >> 20) + " MiB");
  return d;
}

}  // namespace

Download fetch_object(ObjectService& objects, const std::string& url, std::size_t max_bytes) {
  const std::string id = url.substr(std::string("object://").size());
  if (id.empty() || id.find_first_of("/?#") != std::string::npos)
    throw PlatformError(ErrorKind::invalid,
                        "object URL " + url + " must be object://<object id> (obj_...)");
  const ObjectView view = objects.get(id);  // not_found
  auto reader = objects.open(id);           // conflict unless READ_ONLY
  if (reader->size() < 0 || static_cast<std::uint64_t>(reader->size()) > max_bytes)
    throw PlatformError(ErrorKind::unavailable, "download of " + url + " is larger than " +
                                                    std::to_string(max_bytes >> 20) + " MiB");
  Download d{file_name_of("/" + view.name, url), {}};
  if (view.content_type == "tgz" && !ends_with(d.filename, ".tgz") &&
      !ends_with(d.filename, ".tar.gz"))
    d.filename += ".tgz";
  if (view.content_type == "tar" && !ends_with(d.filename, ".tar")) d.filename += ".tar";
  d.data.resize(static_cast<std::size_t>(reader->size()));
  std::size_t at = 0;
  while (at < d.data.size()) {
    const std::size_t n =
        reader->read_at(static_cast<std::int64_t>(at), d.data.data() + at, d.data.size() - at);
    if (n == 0) break;
    at += n;
  }
  d.data.resize(at);
  return d;
}

std::string unpack_command(const std::string& filename) {
  const std::string q = shell_quote(filename);
  if (ends_with(filename, ".zip")) return "python3 -m zipfile -e " + q + " . && rm -f -- " + q;
  for (const char* ext : {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"})
    if (ends_with(filename, ext)) return "tar -xf " + q + " --no-same-owner && rm -f -- " + q;
  return {};
}

Download fetch_download(const std::string& url, std::size_t max_bytes,
                        std::chrono::milliseconds timeout, const std::function<bool()>& cancelled) {
  if (url.rfind("file://", 0) == 0) return fetch_file(url, max_bytes);
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0)
    throw PlatformError(ErrorKind::invalid,
                        "download URL " + url + " is not an http, https or file URL");
  const std::size_t scheme_end = url.find("://") + 3;
  const std::size_t path_start = url.find_first_of("/?#", scheme_end);
  const std::string origin = url.substr(0, path_start);
  std::string target = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (target[0] != '/') target = "/" + target;
  target = target.substr(0, target.find('#'));
  if (origin.size() <= scheme_end)
    throw PlatformError(ErrorKind::invalid, "download URL " + url + " has no host");

  Download d{file_name_of(target, url), {}};
  const auto secs =
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
  HttpClientOptions options = HttpClientOptions::plain(
      origin, "download", std::chrono::seconds(std::min<long long>(secs, 10)),
      std::chrono::seconds(secs));
  options.follow_redirects = true;
  bool too_big = false;
  HttpRequest get = HttpRequest::get(target).with_on_data([&](std::string_view chunk) {
    if (cancelled && cancelled()) return false;
    if (d.data.size() + chunk.size() > max_bytes) {
      too_big = true;
      return false;
    }
    d.data.append(chunk);
    return true;
  });
  if (cancelled) get.with_cancel(cancelled);
  const HttpAttempt res = attempt_plain(std::move(options), get);
  if (cancelled && cancelled())
    throw PlatformError(ErrorKind::cancelled, "download of " + url + " was cancelled");
  if (too_big)
    throw PlatformError(ErrorKind::unavailable, "download of " + url + " is larger than " +
                                                    std::to_string(max_bytes >> 20) + " MiB");
  if (!res.response)
    throw PlatformError(ErrorKind::unavailable, "download of " + url + " failed: " + res.failure);
  if (res.response->status < 200 || res.response->status >= 300)
    throw PlatformError(
        ErrorKind::unavailable,
        "download of " + url + " failed: HTTP " + std::to_string(res.response->status),
        res.response->status);
  return d;
}

}  // namespace runagents::platform::local
