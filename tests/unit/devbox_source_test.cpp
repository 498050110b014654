// A project of the host copied into a devbox (create_devbox source_path, issue 12): which files are
// selected (git's list: no ignored directory, no nested repository; a plain tree: no .git), how
// they are copied (links as links), the baseline commit in the devbox, install_command's failure,
// and what manage_devbox diff / changed_files read back (parse_name_status and the helpers, on a
// local devbox).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "devbox_test_support.hpp"
#include "platform/local/devboxes/source_files.hpp"
#include "platform/local/sandbox/tree_copy.hpp"
#include "tools/source_changes.hpp"

using namespace runagents::platform;
using namespace runagents::platform::testing;
using namespace std::string_literals;
using json = nlohmann::json;

namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

void git(const fs::path& dir, const std::string& args) {
  const std::string cmd = "git -C '" + dir.string() +
                          "' -c user.name=t -c user.email=t@t -c init.defaultBranch=main " + args +
                          " >/dev/null 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
}

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

// A repository: tracked app.py and a link, an untracked new.txt, an ignored node_modules/ and
// secret.env, a nested repository, and a tracked file deleted from the working tree.
fs::path make_repo(const fs::path& root) {
  const fs::path repo = root / "proj";
  write(repo / "app.py", "print('hi')\n");
  write(repo / ".gitignore", "node_modules/\n*.env\n");
  write(repo / "gone.txt", "soon deleted\n");
  fs::create_symlink("app.py", repo / "link.py");
  git(repo, "init -q");
  git(repo, "add -A");
  git(repo, "commit -qm init");
  fs::remove(repo / "gone.txt");
  write(repo / "new.txt", "untracked\n");
  write(repo / "node_modules" / "big" / "index.js", "ignored\n");
  write(repo / "secret.env", "KEY=x\n");
  write(repo / "nested" / "inner.txt", "inner\n");
  git(repo / "nested", "init -q");
  return repo;
}

// The repository above beside a local DevboxService, both in one temporary directory.
struct SourceDevboxes {
  TempDir dir;
  fs::path repo = make_repo(dir.path);
  std::shared_ptr<DevboxService> s = open_devboxes(dir);

  Devbox create(const std::string& install_command) {
    DevboxCreateRequest r;
    r.source = DevboxSource{repo.string(), "proj", install_command};
    return create_devbox(*s, r);
  }
};

}  // namespace

TEST_CASE("select_source_files lists what git would commit: no ignored files, no nested repo" *
          doctest::test_suite("devbox")) {
  TempDir dir;
  const fs::path repo = make_repo(dir.path);
  auto files = local::select_source_files(repo);
  CHECK(files.git);
  // gone.txt is still listed (tracked); copying skips it since it is not there.
  CHECK(as_set(files.paths) ==
        std::set<std::string>{".gitignore", "app.py", "gone.txt", "link.py", "new.txt"});

  // A subdirectory of a repository: its part of git's list, relative to it.
  write(repo / "sub" / "a.txt", "a\n");
  write(repo / "sub" / "node_modules" / "x.js", "x\n");
  CHECK(as_set(local::select_source_files(repo / "sub").paths) == std::set<std::string>{"a.txt"});

  // A bare repository has no working tree: refused, saying so.
  git(dir.path, "init -q --bare bare.git");
  try {
    local::select_source_files(dir.path / "bare.git");
    FAIL("a bare repository was accepted");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::invalid);
    CHECK(std::string(e.what()).find("bare") != std::string::npos);
  }
}

TEST_CASE("select_source_files walks a plain directory without .git and without following links" *
          doctest::test_suite("devbox")) {
  TempDir dir;
  const fs::path plain = dir.path / "plain";
  write(plain / "a.txt", "a\n");
  write(plain / "d" / "b.txt", "b\n");
  write(plain / "vendor" / "lib" / ".git" / "config", "[core]\n");
  write(plain / "vendor" / "lib" / "lib.c", "int x;\n");
  write(dir.path / "outside" / "secret.txt", "secret\n");
  fs::create_symlink(dir.path / "outside", plain / "out");
  auto files = local::select_source_files(plain);
  CHECK_FALSE(files.git);
  CHECK(as_set(files.paths) ==
        std::set<std::string>{"a.txt", "d/b.txt", "vendor/lib/lib.c", "out"});
}

TEST_CASE(
    "copy_listed_files copies links as links and never a .git, a directory or a path "
    "through a link" *
    doctest::test_suite("devbox")) {
  TempDir dir;
  const fs::path repo = make_repo(dir.path);
  write(dir.path / "outside" / "secret.txt", "secret\n");
  fs::create_symlink(dir.path / "outside", repo / "out");
  const fs::path to = dir.path / "copy";
  auto copy = local::copy_listed_files(
      repo, to,
      {"app.py", "link.py", "new.txt", "gone.txt", "nested", "out/secret.txt", "../proj/app.py",
       "nested/.git/config", "deep/../app.py"});
  CHECK(fs::is_symlink(to / "link.py"));
  CHECK(fs::read_symlink(to / "link.py") == "app.py");
  CHECK(fs::is_regular_file(to / "app.py"));
  CHECK(fs::is_regular_file(to / "new.txt"));
  CHECK_FALSE(fs::exists(fs::symlink_status(to / "gone.txt")));  // listed but deleted
  CHECK_FALSE(fs::exists(fs::symlink_status(to / "nested")));
  CHECK_FALSE(fs::exists(fs::symlink_status(to / "out")));
  CHECK_FALSE(fs::exists(fs::symlink_status(to / ".git")));
  CHECK(as_set(copy.skipped) == std::set<std::string>{"nested", "out/secret.txt", "../proj/app.py",
                                                      "nested/.git/config", "deep/../app.py"});
  // Nothing was written beside the copy.
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path)) names.insert(e.path().filename());
  CHECK(names == std::set<std::string>{"proj", "outside", "copy"});
}

TEST_CASE("parse_name_status reads git's -z list; bad input is an error" *
          doctest::test_suite("devbox")) {
  using runagents::tools::parse_name_status;
  const std::string z =
      "M\0app.py\0A\0new file.txt\0D\0gone.txt\0R087\0old.py\0new.py\0T\0link\0C100\0a\0b\0"s;
  auto files = parse_name_status(z);
  REQUIRE(files.size() == 6);
  CHECK(files[0].path == "app.py");
  CHECK(files[0].status == "modified");
  CHECK(files[1].path == "new file.txt");
  CHECK(files[1].status == "added");
  CHECK(files[2].status == "deleted");
  CHECK(files[3].status == "renamed");
  CHECK(files[3].path == "new.py");
  CHECK(files[3].old_path == "old.py");
  CHECK(files[4].status == "modified");
  CHECK(files[5].status == "added");
  CHECK(files[5].path == "b");
  CHECK(files[5].old_path.empty());
  CHECK(parse_name_status("").empty());
  CHECK(kind_of([&] { parse_name_status("R100\0only-one\0"s); }) == ErrorKind::internal);
  CHECK(kind_of([&] { parse_name_status("X\0what\0"s); }) == ErrorKind::internal);
  CHECK(kind_of([&] { parse_name_status("\0a\0"s); }) == ErrorKind::internal);
}

TEST_CASE(
    "a devbox from a source: the project at its name, committed; diff and changed_files "
    "show exactly what changed" *
    doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  SourceDevboxes f;
  auto& s = f.s;
  auto d = f.create("echo installed > .installed");
  REQUIRE(d.status == "running");
  auto ls =
      run_in(*s, d.id,
             "cd proj && ls -A | sort | tr '\\n' ' '; readlink link.py; git log --format='%an "
             "<%ae> %s' refs/runagents/baseline");
  CHECK(ls.exit_status == 0);
  CHECK(ls.stdout_text ==
        ".git .gitignore .installed app.py link.py new.txt app.py\nrunagents-mcp "
        "<devbox@localhost> baseline: the project as copied from the host\n");
  // The install command's file is new since the baseline.
  auto files = runagents::tools::source_changed_files(*s, d.id);
  CHECK(files["source_dir"] == "/home/user/proj");
  CHECK(files["files"] == json::parse(R"([{"path":".installed","status":"added"}])"));

  run_in(*s, d.id,
         "cd proj && rm .installed && echo \"print('bye')\" > app.py && rm new.txt && mkdir -p "
         "node_modules && echo x > node_modules/y.js && printf '\\0\\1' > blob.bin");
  files = runagents::tools::source_changed_files(*s, d.id);
  CHECK(files["files"] == json::parse(R"([{"path":"app.py","status":"modified"},
        {"path":"blob.bin","status":"added"},{"path":"new.txt","status":"deleted"}])"));
  auto diff = runagents::tools::source_diff_page(*s, d.id, 0);
  const std::string text = diff["text"];
  CHECK(text.find("-print('hi')\n+print('bye')\n") != std::string::npos);
  CHECK(text.find("Binary files /dev/null and b/blob.bin differ") != std::string::npos);
  CHECK(text.find("node_modules") == std::string::npos);
  CHECK(diff["eof"] == true);
  CHECK(diff["size"] == text.size());
  // The devbox's own index is left as it was (a temporary one is used).
  auto status = run_in(*s, d.id, "cd proj && git diff --cached --name-only");
  CHECK(status.stdout_text == "");
  // The user's project was not written.
  CHECK(local::select_source_files(f.repo).paths.size() == 5);
  CHECK_FALSE(fs::exists(f.repo / ".installed"));

  // A long diff comes in pages that end at line ends and join up to the whole (a later page
  // reads the diff kept in the devbox).
  run_in(
      *s, d.id,
      "cd proj && for i in $(seq 1 3000); do echo \"line $i of a long new file\"; done > long.txt");
  auto first = runagents::tools::source_diff_page(*s, d.id, 0);
  REQUIRE(first["eof"] == false);
  std::string whole = first["text"];
  std::uint64_t pages = 1;
  for (auto page = first; page.contains("next_offset"); ++pages) {
    CHECK(page["text"].get<std::string>().back() == '\n');
    page = runagents::tools::source_diff_page(*s, d.id, page["next_offset"].get<std::uint64_t>());
    whole += page["text"].get<std::string>();
  }
  CHECK(pages >= 4);
  CHECK(whole.size() == first["size"].get<std::uint64_t>());
  CHECK(whole.find("+line 3000 of a long new file\n") != std::string::npos);
  CHECK(whole.find("-print('hi')\n+print('bye')\n") != std::string::npos);
  run_in(*s, d.id, "rm proj/long.txt");

  // A devbox without a source has no baseline: said so.
  auto plain = create_devbox(*s);
  try {
    runagents::tools::source_diff_page(*s, plain.id, 0);
    FAIL("a diff without a baseline");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK(std::string(e.what()).find("source_path") != std::string::npos);
  }
  try {
    runagents::tools::source_diff_page(*s, plain.id, 100);
    FAIL("a later page without a baseline");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK(std::string(e.what()).find("no project baseline") != std::string::npos);
  }
}

TEST_CASE(
    "a failing install_command fails the create with its output's tail; a bad source "
    "changes nothing" *
    doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  SourceDevboxes f;
  auto& s = f.s;
  try {
    f.create("echo early; echo 'npm ERR! missing' >&2; exit 7");
    FAIL("a failing install command was accepted");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    CHECK(std::string(e.what()).find("npm ERR! missing") != std::string::npos);
    CHECK(std::string(e.what()).find("install command") != std::string::npos);
  }
  auto all = s->list({}).devboxes;
  REQUIRE(all.size() == 1);
  CHECK(all[0].status == "failure");

  DevboxCreateRequest bad_name;
  bad_name.source = DevboxSource{f.repo.string(), "../x", ""};
  CHECK(kind_of([&] { create_devbox(*s, bad_name); }) == ErrorKind::invalid);
  DevboxCreateRequest missing;
  missing.source = DevboxSource{(f.dir.path / "nope").string(), "nope", ""};
  CHECK(kind_of([&] { create_devbox(*s, missing); }) == ErrorKind::invalid);
  CHECK(s->list({}).devboxes.size() == 1);
}

TEST_CASE("code mounts clone a repository at a ref and run its install command; refusals say why" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  // A repository inside a devbox, kept by a snapshot: a file:// code mount clones it without
  // network.
  auto seed = create_devbox(*s);
  auto made = run_in(*s, seed.id,
                     "set -e; g='git -c user.name=t -c user.email=t@t -c init.defaultBranch=main';"
                     " mkdir -p srv/shop && cd srv/shop && $g init -q && echo one > f.txt &&"
                     " $g add f.txt && $g commit -qm one && $g tag v1 && echo two > f.txt &&"
                     " $g commit -qam two");
  REQUIRE(made.exit_status == 0);
  const auto snap = s->snapshot(seed.id, {});

  DevboxCreateRequest r;
  r.snapshot_id = snap.id;
  DevboxCodeMount m;
  m.repo_owner = "acme";
  m.repo_name = "shop";
  m.git_url = "file:///home/user/srv/shop";
  m.git_ref = "v1";
  m.token = "tok-never-shown-123";
  m.install_command = "echo installed > .installed";
  r.code_mounts = {m};
  auto d = create_devbox(*s, r);
  CHECK(run_in(*s, d.id, "cat shop/f.txt shop/.installed; ls .runagents | grep -c token || true")
            .stdout_text == "one\ninstalled\n0\n");
  for (const auto& line : s->logs(d.id, {})) {
    CHECK(line.message.find("tok-never") == std::string::npos);
    CHECK(line.cmd.find("tok-never") == std::string::npos);
  }

  // A clone that fails fails the devbox, naming the mount.
  DevboxCreateRequest missing = r;
  missing.code_mounts[0].git_url = "file:///home/user/srv/nothing";
  std::string why;
  try {
    create_devbox(*s, missing);
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    why = e.what();
  }
  CHECK(why.find("code mount acme/shop") != std::string::npos);
  CHECK(why.find("tok-never") == std::string::npos);

  // Refused before anything is made: a network URL without network, a bad name, a clash.
  const auto before = s->list({}).devboxes.size();
  DevboxCreateRequest offline;
  offline.code_mounts = {{"acme", "shop", "", "", "", ""}};
  try {
    create_devbox(*s, offline);
    FAIL("created");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::invalid);
    CHECK(std::string(e.what()).find("network: true") != std::string::npos);
  }
  DevboxCreateRequest bad = r;
  bad.code_mounts[0].repo_name = "..";
  CHECK(kind_of([&] { create_devbox(*s, bad); }) == ErrorKind::invalid);
  DevboxCreateRequest twice = r;
  twice.code_mounts.push_back(m);
  CHECK(kind_of([&] { create_devbox(*s, twice); }) == ErrorKind::invalid);
  CHECK(s->list({}).devboxes.size() == before);
}
