// Configuration: precedence (flags > env > file > defaults), validation, the config file
// (0600, atomic), redaction, and that the API key is never printed or logged in full.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/config_commands.hpp"
#include "platform/common/redact.hpp"
#include "platform/config/config.hpp"
#include "platform/config/faces.hpp"
#include "platform/names.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using runagents::cli::config_get;
using runagents::cli::config_list;
using runagents::cli::config_set;
using runagents::cli::run_doctor;
using runagents::platform::testing::TempDir;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

const std::string kKey = "ra_ws_0123456789abcdefSECRET9z";

}  // namespace

TEST_SUITE("platform") {
  TEST_CASE("config: defaults without file or environment") {
    TempDir dir;
    ConfigFlags flags;
    flags.config_file = (dir.path / "missing.json").string();
    Config c = load_config(flags, env_of({{"HOME", dir.path.string()}}));
    CHECK(c.endpoint.empty());
    CHECK(c.ns == "default");
    CHECK(c.assistant_mode == "external");
    CHECK(c.data_dir == dir.path / ".runagents" / "local");
    CHECK_FALSE(c.remote_runagents());
    CHECK(c.sources["namespace"] == "default");
    CHECK(faces_for(c).at("agents").kind == "local");
  }

  TEST_CASE("config: flags > env > file > defaults, per key") {
    TempDir dir;
    auto file = dir.path / "config.json";
    write_file(file, R"({"endpoint": "https://file.example/", "namespace": "from-file",
                         "api_key": "file-key-123456789", "assistant_mode": "off"})");
    ConfigFlags flags;
    flags.config_file = file.string();
    auto env = env_of({{"HOME", dir.path.string()},
                       {"RUNAGENTS_NAMESPACE", "from-env"},
                       {"RUNAGENTS_API_KEY", "env-key-123456789"},
                       {"RUNAGENTS_DATA_DIR", (dir.path / "env-data").string()}});

    Config c = load_config(flags, env);
    CHECK(c.endpoint == "https://file.example");  // trailing '/' stripped
    CHECK(c.sources["endpoint"] == "config file");
    CHECK(c.ns == "from-env");
    CHECK(c.sources["namespace"] == "env RUNAGENTS_NAMESPACE");
    CHECK(c.api_key == "env-key-123456789");
    CHECK(c.assistant_mode == "off");
    CHECK(c.data_dir == dir.path / "env-data");
    CHECK(c.remote_runagents());
    CHECK(faces_for(c).at("runs").kind == "remote");

    flags.ns = "from-flag";
    flags.data_dir = (dir.path / "flag-data").string();
    c = load_config(flags, env);
    CHECK(c.ns == "from-flag");
    CHECK(c.sources["namespace"] == "flag --namespace");
    CHECK(c.data_dir == dir.path / "flag-data");

    // An empty environment variable counts as unset.
    ConfigFlags file_only;
    file_only.config_file = file.string();
    c = load_config(file_only, env_of({{"HOME", dir.path.string()}, {"RUNAGENTS_NAMESPACE", ""}}));
    CHECK(c.ns == "from-file");
  }

  TEST_CASE("config: bad values are refused naming their source") {
    TempDir dir;
    ConfigFlags flags;
    flags.config_file = (dir.path / "c.json").string();
    auto env = env_of({{"HOME", dir.path.string()}, {"RUNAGENTS_ASSISTANT_MODE", "loud"}});
    try {
      load_config(flags, env);
      FAIL("expected an error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::invalid);
      CHECK(std::string(e.what()).find("env RUNAGENTS_ASSISTANT_MODE") != std::string::npos);
    }
    flags.endpoint = "ftp://x";
    CHECK_THROWS_AS(load_config(flags, env_of({{"HOME", dir.path.string()}})), PlatformError);
    flags.endpoint.reset();
    flags.ns = "Not_A_Label";
    CHECK_THROWS_AS(load_config(flags, env_of({{"HOME", dir.path.string()}})), PlatformError);

    write_file(dir.path / "c.json", "{not json");
    flags.ns.reset();
    try {
      load_config(flags, env_of({{"HOME", dir.path.string()}}));
      FAIL("expected an error");
    } catch (const PlatformError& e) {
      CHECK(std::string(e.what()).find("c.json") != std::string::npos);
    }
  }

  TEST_CASE("config: set writes the file 0600 and leaves it unchanged on bad input") {
    TempDir dir;
    auto file = dir.path / "sub" / "config.json";
    set_config_value(file, "endpoint", "http://127.0.0.1:8092/");
    set_config_value(file, "api_key", kKey);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    json j = read_config_file(file);
    CHECK(j["endpoint"] == "http://127.0.0.1:8092");
    CHECK(j["api_key"] == kKey);

    CHECK_THROWS_AS(set_config_value(file, "namespace", "Bad Name"), PlatformError);
    CHECK_THROWS_AS(set_config_value(file, "colour", "blue"), PlatformError);
    CHECK(read_config_file(file) == j);

    set_config_value(file, "endpoint", "");  // removes
    CHECK_FALSE(read_config_file(file).contains("endpoint"));
  }

  TEST_CASE("redaction keeps only a prefix and the last four characters") {
    CHECK(runagents::common::redact_secret(kKey) == "ra_ws_…ET9z");
    CHECK(runagents::common::redact_secret("sk-abcdefghijklmnopqrstuvwxyz") == "sk-…wxyz");
    CHECK(runagents::common::redact_secret("short") == "…");
    CHECK(runagents::common::redact_secret("") == "");
    CHECK(runagents::common::redact_in("key=" + kKey + " again " + kKey, kKey) ==
          "key=ra_ws_…ET9z again ra_ws_…ET9z");
  }

  TEST_CASE("the API key is never printed or logged in full") {
    TempDir dir;
    auto file = dir.path / "config.json";
    set_config_value(file, "api_key", kKey);
    set_config_value(file, "llm_api_key", "sk-live-abcdefghijklmnop1234");
    ConfigFlags flags;
    flags.config_file = file.string();
    flags.data_dir = (dir.path / "data").string();

    std::ostringstream log;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    spdlog::set_level(spdlog::level::trace);

    std::ostringstream out, err;
    CHECK(config_list(flags, out, err) == 0);
    CHECK(config_get(flags, "api_key", out, err) == 0);
    CHECK(config_set(flags, "api_key", kKey, out, err) == 0);
    run_doctor(flags, out);
    spdlog::set_default_logger(previous);

    const std::string all = out.str() + err.str() + log.str();
    CHECK(all.find(kKey) == std::string::npos);
    CHECK(all.find("sk-live-abcdefghijklmnop1234") == std::string::npos);
    CHECK(all.find("ra_ws_…ET9z") != std::string::npos);
  }

  TEST_CASE("doctor names each domain's face and why") {
    TempDir dir;
    ConfigFlags flags;
    flags.config_file = (dir.path / "none.json").string();
    flags.data_dir = (dir.path / "data").string();
    std::ostringstream out;
    run_doctor(flags, out);
    const std::string text = out.str();
    CHECK(text.find("agents") != std::string::npos);
    CHECK(text.find("no RunAgents endpoint configured") != std::string::npos);
    CHECK(text.find("bwrap") != std::string::npos);
    CHECK(text.find("python3") != std::string::npos);
    CHECK(text.find("slirp4netns") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path / "data"));  // doctor changes nothing
  }

  TEST_CASE("doctor says what to install when the devboxes' network helper is missing") {
    TempDir dir;
    ConfigFlags flags;
    flags.config_file = (dir.path / "none.json").string();
    flags.data_dir = (dir.path / "data").string();
    const char* before = std::getenv("RUNAGENTS_SLIRP4NETNS");
    const std::string saved = before ? before : "";
    ::setenv("RUNAGENTS_SLIRP4NETNS", (dir.path / "no-slirp4netns").c_str(), 1);
    std::ostringstream out;
    const int rc = run_doctor(flags, out);
    if (before)
      ::setenv("RUNAGENTS_SLIRP4NETNS", saved.c_str(), 1);
    else
      ::unsetenv("RUNAGENTS_SLIRP4NETNS");
    const std::string text = out.str();
    CHECK(text.find("slirp4netns    NOT usable") != std::string::npos);
    CHECK(text.find("apt-get install slirp4netns") != std::string::npos);
    CHECK(text.find("PROBLEMS FOUND") != std::string::npos);
    CHECK(rc == 1);
  }

  TEST_CASE("names: DNS labels with a suggestion when invalid") {
    CHECK(is_dns_label("echo-tool"));
    CHECK(is_dns_label("a"));
    CHECK(is_dns_label(std::string(63, 'a')));
    CHECK_FALSE(is_dns_label(std::string(64, 'a')));
    CHECK_FALSE(is_dns_label(""));
    CHECK_FALSE(is_dns_label("-a"));
    CHECK_FALSE(is_dns_label("a-"));
    CHECK_FALSE(is_dns_label("My_Agent"));
    CHECK_FALSE(is_dns_label("a.b"));
    try {
      require_dns_label("My_Agent", "agent_name");
      FAIL("expected an error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::invalid);
      CHECK(std::string(e.what()).find("'my-agent'") != std::string::npos);
    }
  }
}
