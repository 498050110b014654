// The storage objects' content files: <data_dir>/objects/<id> (directory 0700, files 0600), and
// uploads in progress under <data_dir>/objects/.uploads/, each in a file of its own until it is
// moved into place. Internal to platform/local.
//
// Content is streamed: an upload appends to its file as bytes come, a reader reads with pread,
// so no object is ever held whole in memory.
//
// Errors: PlatformError(unavailable) naming the path when the disk refuses; (invalid, http_status
// 413) when an upload passes its cap.
//
// Thread-safety: ObjectFiles is safe for concurrent use; an UploadFile or ContentFile is used by
// one thread. Files are renamed into place (atomic on one file system), so a reader in another
// process sees the old content or the new, never part of one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "platform/common/unique_fd.hpp"
#include "platform/objects.hpp"

namespace runagents::platform::local {

// Bytes of one upload, written to a private file until place() moves them into place.
class UploadFile {
 public:
  UploadFile(std::filesystem::path temp, std::filesystem::path final_path, std::int64_t cap);
  ~UploadFile();  // removes the temporary file unless placed
  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;

  void write(std::string_view bytes);
  // Flushes the file to disk and renames it over the content path.
  void place();
  std::int64_t size() const { return size_; }

 private:
  std::filesystem::path temp_;
  std::filesystem::path final_;
  std::int64_t cap_;
  UniqueFd fd_;
  std::int64_t size_ = 0;
  bool placed_ = false;
};

// A content file open for reading; keeps reading the same bytes if it is replaced or removed.
class ContentFile : public ObjectReader {
 public:
  explicit ContentFile(const std::filesystem::path& path);
  std::int64_t size() const override { return size_; }
  std::size_t read_at(std::int64_t offset, char* out, std::size_t len) override;

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  std::int64_t size_ = 0;
};

class ObjectFiles {
 public:
  // Creates <data_dir>/objects and its .uploads (0700) and removes uploads left over a day
  // ago by a process that ended mid-upload.
  explicit ObjectFiles(const std::filesystem::path& data_dir);

  // The content path of `id`. Throws invalid for an id that is not an object id (so no id can
  // name a path outside the directory).
  std::filesystem::path content_path(const std::string& id) const;
  std::unique_ptr<UploadFile> begin(const std::string& id, std::int64_t cap) const;
  // Throws not_found (internal: the row says there is content) when the file is missing.
  std::unique_ptr<ContentFile> open(const std::string& id) const;
  // Removes the content of `id`; no error when there is none.
  void remove(const std::string& id) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path uploads_;
};

// True for "obj_" followed by 1..64 lower-case hex digits.
bool is_object_id(std::string_view id);

}  // namespace runagents::platform::local
