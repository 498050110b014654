#include "platform/local/objects/object_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "platform/common/random_hex.hpp"

namespace runagents::platform::local {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void object_file_error(const std::string& what, const fs::path& path, int err) {
  throw PlatformError(ErrorKind::unavailable, "cannot " + what + " " + path.string() + ": " +
                                                  std::strerror(err) +
                                                  " (check the data dir's disk and permissions)");
}

void make_object_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    object_file_error("create the directory", dir, ec ? ec.value() : ENOTDIR);
  if (::chmod(dir.c_str(), 0700) != 0) object_file_error("make private", dir, errno);
}

}  // namespace

bool is_object_id(std::string_view id) {
  if (id.size() < 5 || id.size() > 68 || id.substr(0, 4) != "obj_") return false;
  for (char c : id.substr(4))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

UploadFile::UploadFile(fs::path temp, fs::path final_path, std::int64_t cap)
    : temp_(std::move(temp)), final_(std::move(final_path)), cap_(cap) {
  fd_.reset(::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd_.ok()) object_file_error("create the upload file", temp_, errno);
}

UploadFile::~UploadFile() {
  fd_.reset();
  if (!placed_) ::unlink(temp_.c_str());
}

void UploadFile::write(std::string_view bytes) {
  if (size_ + static_cast<std::int64_t>(bytes.size()) > cap_) {
    throw PlatformError(ErrorKind::invalid,
                        "the content is larger than the " + std::to_string(cap_) +
                            "-byte limit for one object (platform serve --max-object-bytes); "
                            "split it, or compress it and upload a tgz",
                        413);
  }
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) object_file_error("write the upload file", temp_, n < 0 ? errno : EIO);
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += n;
  }
}

void UploadFile::place() {
  if (::fsync(fd_.get()) != 0) object_file_error("flush the upload file", temp_, errno);
  if (::rename(temp_.c_str(), final_.c_str()) != 0)
    object_file_error("move the upload to", final_, errno);
  placed_ = true;
}

ContentFile::ContentFile(const fs::path& path) : path_(path) {
  fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd_.ok()) {
    if (errno == ENOENT) {
      throw PlatformError(ErrorKind::not_found,
                          "the content file " + path.string() +
                              " is missing (removed by hand?); upload the object again");
    }
    object_file_error("open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) object_file_error("stat", path, errno);
  size_ = st.st_size;
}

std::size_t ContentFile::read_at(std::int64_t offset, char* out, std::size_t len) {
  if (offset >= size_ || len == 0) return 0;
  len = std::min<std::size_t>(len, static_cast<std::size_t>(size_ - offset));
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), out, len, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) object_file_error("read", path_, errno);
    return static_cast<std::size_t>(n);
  }
}

ObjectFiles::ObjectFiles(const fs::path& data_dir)
    : dir_(data_dir / "objects"), uploads_(dir_ / ".uploads") {
  make_object_dir(dir_);
  make_object_dir(uploads_);
  // An upload file outlives its writer only when the process ended mid-upload; a day is far
  // longer than any upload takes.
  const auto stale = fs::file_time_type::clock::now() - std::chrono::hours(24);
  std::error_code ec;
  for (auto it = fs::directory_iterator(uploads_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code e2;
    if (it->last_write_time(e2) < stale && !e2) fs::remove(it->path(), e2);
  }
}

fs::path ObjectFiles::content_path(const std::string& id) const {
  if (!is_object_id(id))
    throw PlatformError(ErrorKind::invalid, "'" + id + "' is not an object id");
  return dir_ / id;
}

std::unique_ptr<UploadFile> ObjectFiles::begin(const std::string& id, std::int64_t cap) const {
  fs::path final_path = content_path(id);
  return std::make_unique<UploadFile>(uploads_ / (id + "." + common::random_hex(8)),
                                      std::move(final_path), cap);
}

std::unique_ptr<ContentFile> ObjectFiles::open(const std::string& id) const {
  return std::make_unique<ContentFile>(content_path(id));
}

void ObjectFiles::remove(const std::string& id) const {
  if (::unlink(content_path(id).c_str()) != 0 && errno != ENOENT)
    object_file_error("remove", content_path(id), errno);
}

}  // namespace runagents::platform::local
