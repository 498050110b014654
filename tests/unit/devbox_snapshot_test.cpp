// Snapshots and restores copy a devbox home exactly (platform/local/sandbox/tree_copy.hpp):
// symlinks of every kind as links with their targets unchanged, hard links, modes and times;
// sockets and fifos are skipped and listed; nothing is read or written outside the trees. Checked
// from outside, on the host's files, and from inside the restored devbox. The devbox tests skip
// with a message when bubblewrap is not usable on the host.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "devbox_test_support.hpp"
#include "platform/local/sandbox/tree_copy.hpp"

using namespace runagents::platform;
using namespace runagents::platform::testing;

namespace {

namespace fs = std::filesystem;

// What the host sees of one entry: type, mode, owner, size or link target, mtime (files and
// links; a directory's mtime changes whenever an entry is added to it), and which hard-link group
// it belongs to (the smallest path of its inode).
struct Entry {
  std::string type;
  unsigned mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string content;  // bytes of a file, target of a link
  std::int64_t mtime_ns = 0;
  std::string link_group;
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << e.type << " " << std::oct << e.mode << std::dec << " " << e.uid << ":" << e.gid
            << " [" << e.content << "] " << e.mtime_ns << " " << e.link_group;
}

// One line per entry, so that a difference shows in the test's output.
std::string listing(const std::map<std::string, Entry>& tree) {
  std::ostringstream os;
  for (const auto& [rel, entry] : tree) os << rel << ": " << entry << "\n";
  return os.str();
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every entry under `root` by relative path, read with lstat: no link is followed.
std::map<std::string, Entry> describe(const fs::path& root) {
  std::map<std::string, Entry> tree;
  std::map<std::pair<dev_t, ino_t>, std::string> inodes;  // -> smallest path
  std::map<std::string, std::pair<dev_t, ino_t>> inode_of;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const auto rel = it->path().lexically_relative(root).string();
    struct stat st;
    REQUIRE(::lstat(it->path().c_str(), &st) == 0);
    Entry e;
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    if (S_ISLNK(st.st_mode)) {
      e.type = "link";
      e.content = fs::read_symlink(it->path()).string();
      e.mode = 0;  // a link's mode means nothing
    } else if (S_ISDIR(st.st_mode)) {
      e.type = "dir";
    } else if (S_ISREG(st.st_mode)) {
      e.type = "file";
      e.content = slurp(it->path());
      const auto key = std::pair(st.st_dev, st.st_ino);
      inode_of[rel] = key;
      auto [group, added] = inodes.emplace(key, rel);
      if (!added && rel < group->second) group->second = rel;
    } else {
      e.type = "special";
    }
    if (e.type != "dir") e.mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    tree[rel] = e;
  }
  for (const auto& [rel, key] : inode_of) tree[rel].link_group = inodes[key];
  return tree;
}

// The names in `dir`, sorted.
std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

// The links of the test tree and their targets, as written.
const std::map<std::string, std::string> kLinks = {
    {"project/sibling", "a.txt"},
    {"project/host_hostname", "/etc/hostname"},
    {"project/dangling", "does/not/exist"},
    {"project/root", "/"},
    {"project/loop_a", "loop_b"},
    {"project/loop_b", "loop_a"},
    {"project/up", "../../../../../../.."},
    {"project/node_modules/.bin/tool", "../tool/bin/tool.js"},
    {"venv/lib64", "lib"},
};

// Bash that builds the test tree in the current directory. `outside` is a host directory the
// links point into, to show that nothing is written through them.
std::string build_tree_script(const std::string& outside) {
  return "set -e\n"
         // A venv as python3 -m venv makes it (without pip when ensurepip is missing), else one
         // of the same shape.
         "python3 -m venv venv 2>/dev/null || python3 -m venv --without-pip venv 2>/dev/null || {\n"
         "  rm -rf venv; mkdir -p venv/bin venv/lib/python3/site-packages\n"
         "  ln -s lib venv/lib64; ln -s /usr/bin/python3 venv/bin/python3\n"
         "  ln -s python3 venv/bin/python\n"
         "  printf 'home = /usr/bin\\n' > venv/pyvenv.cfg\n"
         "}\n"
         "test -L venv/lib64 || ln -s lib venv/lib64\n"
         "mkdir -p project/node_modules/tool/bin project/node_modules/.bin project/dir\n"
         "cd project\n"
         "printf '#!/bin/sh\\necho tool ran\\n' > node_modules/tool/bin/tool.js\n"
         "chmod 0755 node_modules/tool/bin/tool.js\n"
         "ln -s ../tool/bin/tool.js node_modules/.bin/tool\n"
         "printf 'sibling\\n' > a.txt\n"
         "ln -s a.txt sibling\n"
         "ln -s /etc/hostname host_hostname\n"
         "ln -s does/not/exist dangling\n"
         "ln -s / root\n"
         "ln -s loop_b loop_a\n"
         "ln -s loop_a loop_b\n"
         "ln -s ../../../../../../.. up\n"
         "ln -s '" +
         outside +
         "' outside\n"
         "printf 'one inode\\n' > hard1\n"
         "ln hard1 dir/hard2\n"
         "printf 'secret\\n' > private; chmod 0600 private\n"
         "printf 'run me\\n' > script.sh; chmod 0750 script.sh\n"
         "mkdir readonly; printf x > readonly/f; chmod 0555 readonly\n"
         "mkdir -m 0700 closed\n"
         "mkfifo pipe\n"
         "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.bind('sock')\"\n";
}

// How a host path that must not change looks now: its listing and its files' contents.
std::string host_state(const fs::path& dir) {
  std::string state;
  for (const auto& name : names_in(dir)) {
    state += name + "\n";
    if (fs::is_regular_file(fs::symlink_status(dir / name))) state += slurp(dir / name);
  }
  return state;
}

}  // namespace

TEST_CASE("copy_tree_exact copies links, hard links and modes, and lists what it skips" *
          doctest::test_suite("devbox")) {
  TempDir dir;
  const fs::path from = dir.path / "from";
  fs::create_directories(from / "a" / "b");
  std::ofstream(from / "a" / "file") << "bytes";
  ::chmod((from / "a" / "file").c_str(), 0640);
  fs::create_symlink("../a/file", from / "a" / "b" / "rel");
  fs::create_symlink("/etc/hostname", from / "abs");
  fs::create_symlink("/", from / "slash");
  fs::create_symlink("nothing/here", from / "dangling");
  fs::create_symlink("self", from / "self");
  fs::create_symlink("a", from / "dirlink");  // a link to a directory is copied as a link
  fs::create_hard_link(from / "a" / "file", from / "a" / "b" / "same");
  REQUIRE(::mkfifo((from / "fifo").c_str(), 0600) == 0);
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const auto sock_path = (from / "a" / "sock").string();
  REQUIRE(sock_path.size() < sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock_path.c_str());
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::chmod((from / "a").c_str(), 0750);
  const auto before = describe(from);
  const auto around = names_in(dir.path);

  const fs::path to = dir.path / "snapshots" / "s1" / "home";
  auto copy = local::copy_tree_exact(from, to);
  ::close(sock);

  CHECK(copy.bytes == 5);  // the hard-linked file once
  CHECK(std::set<std::string>(copy.skipped.begin(), copy.skipped.end()) ==
        std::set<std::string>{"fifo", "a/sock"});
  auto after = describe(to);
  auto expected = before;
  expected.erase("fifo");
  expected.erase("a/sock");
  CHECK(listing(after) == listing(expected));
  CHECK(after.at("a/b/same").link_group == after.at("a/file").link_group);
  CHECK(fs::read_symlink(to / "abs") == "/etc/hostname");
  CHECK(names_in(dir.path) == std::set<std::string>{"from", "snapshots"});
  CHECK(around == std::set<std::string>{"from"});

  // The destination must be new; a source that is a link is refused.
  CHECK(kind_of([&] { local::copy_tree_exact(from, to); }) == ErrorKind::conflict);
  fs::create_symlink(from, dir.path / "link_to_from");
  CHECK(kind_of([&] { local::copy_tree_exact(dir.path / "link_to_from", dir.path / "x"); }) ==
        ErrorKind::not_found);
  CHECK_FALSE(fs::exists(fs::symlink_status(dir.path / "x")));
}

TEST_CASE(
    "a devbox home with a venv, node_modules and every kind of link survives snapshot and "
    "restore exactly" *
    doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  // Everything the server writes must stay under the data dir: the test watches its parent, the
  // root directory and a host directory the devbox's links point into.
  const fs::path data = dir.path / "data";
  fs::create_directories(data);
  const fs::path outside = dir.path / "outside";
  fs::create_directories(outside);
  std::ofstream(outside / "keep.txt") << "host file\n";
  const auto parent_before = host_state(dir.path);
  const auto outside_before = host_state(outside);
  const auto root_before = names_in("/");
  const auto hostname_before = slurp("/etc/hostname");

  local::LocalDevboxOptions o;
  o.data_dir = data;
  o.reaper_interval = std::chrono::milliseconds(200);
  auto s = local::open_local_devboxes(o);
  auto d = create_devbox(*s);
  auto built = run_in(*s, d.id, build_tree_script(outside.string()));
  INFO(built.stderr_text);
  REQUIRE(built.exit_status == 0);
  const fs::path home = data / "devboxes" / d.id / "home";

  SnapshotRequest sr;
  sr.name = "exact";
  auto snap = s->snapshot(d.id, sr);
  INFO(snap.error_message);
  REQUIRE(snap.status == "complete");
  CHECK(std::set<std::string>(snap.skipped.begin(), snap.skipped.end()) ==
        std::set<std::string>{"project/pipe", "project/sock"});
  CHECK(s->snapshot_status(snap.id).skipped == snap.skipped);  // stored with the snapshot

  // From outside: the snapshot is the home, less the fifo and the socket.
  auto source = describe(home);
  source.erase("project/pipe");
  source.erase("project/sock");
  const fs::path snap_home = data / "devbox_snapshots" / snap.id / "home";
  const auto copied = describe(snap_home);
  CHECK(listing(copied) == listing(source));
  for (const auto& entry : kLinks) {
    INFO(entry.first);  // INFO captures by reference, which clang 14 refuses for a binding
    CHECK(fs::read_symlink(snap_home / entry.first).string() == entry.second);
  }
  CHECK(fs::read_symlink(snap_home / "project/outside") == outside);
  CHECK(copied.at("project/dir/hard2").link_group == copied.at("project/hard1").link_group);

  // Restored into a new devbox: the same tree, and the links read back unchanged inside it.
  DevboxCreateRequest from;
  from.snapshot_id = snap.id;
  auto d2 = create_devbox(*s, from);
  const auto restored = describe(data / "devboxes" / d2.id / "home");
  CHECK(listing(restored) == listing(copied));
  for (const auto& [link, target] : kLinks) {
    auto e = run_in(*s, d2.id, "readlink '" + link + "'");
    CHECK(e.stdout_text == target + "\n");
  }
  CHECK(run_in(*s, d2.id, "project/node_modules/.bin/tool").stdout_text == "tool ran\n");
  CHECK(run_in(*s, d2.id, "cat project/sibling").stdout_text == "sibling\n");
  CHECK(run_in(*s, d2.id, "venv/bin/python3 -c 'import sys; print(sys.prefix)'").stdout_text ==
        "/home/user/venv\n");
  CHECK(
      run_in(*s, d2.id, "stat -c %i project/hard1 project/dir/hard2 | uniq | wc -l").stdout_text ==
      "1\n");
  CHECK(run_in(*s, d2.id, "stat -c %a project/private project/script.sh project/readonly")
            .stdout_text == "600\n750\n555\n");

  // A snapshot of the restored devbox is the same again (nothing was lost or added on the way).
  auto again = s->snapshot(d2.id, sr);
  REQUIRE(again.status == "complete");
  CHECK(again.skipped.empty());
  CHECK(listing(describe(data / "devbox_snapshots" / again.id / "home")) == listing(copied));

  s->shutdown(d.id);
  s->shutdown(d2.id);
  s.reset();

  // The host is unchanged: nothing appeared beside the data dir, in /, or behind the links.
  CHECK(host_state(dir.path) == parent_before);
  CHECK(host_state(outside) == outside_before);
  CHECK(names_in("/") == root_before);
  CHECK(slurp("/etc/hostname") == hostname_before);
}
