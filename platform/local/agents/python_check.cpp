#include "platform/local/agents/python_check.hpp"

#include <unistd.h>

#include "platform/local/sandbox/subprocess.hpp"
#include "platform/platform.hpp"

namespace runagents::platform::local {

namespace {

// Runs in `python3 -I` (isolated: no user site, no PYTHONPATH, no cwd on sys.path) and only
// compiles; find_spec on a top-level name locates a module without importing it.
constexpr const char* kCheckScript = R"PY(
import importlib.util, json, sys
req = json.load(sys.stdin)
errors = []
for name, src in sorted(req["files"].items()):
    if not name.endswith(".py"):
        continue
    try:
        compile(src, name, "exec", dont_inherit=True)
    except SyntaxError as e:
        errors.append({"file": name, "line": e.lineno or 0, "message": type(e).__name__ + ": " + str(e.msg)})
    except ValueError as e:
        errors.append({"file": name, "line": 0, "message": "ValueError: " + str(e)})
missing = []
for m in req["modules"]:
    try:
        if importlib.util.find_spec(m) is None:
            missing.append(m)
    except Exception:
        missing.append(m)
print(json.dumps({"errors": errors, "missing_modules": missing, "version": sys.version.split()[0]}))
)PY";

}  // namespace

PythonCheck check_python_sources(const std::map<std::string, std::string>& files,
                                 const std::vector<std::string>& modules,
                                 const std::string& python) {
  PythonCheck check;
  if (::access(python.c_str(), X_OK) != 0) {
    check.problem = python +
                    " not found: install python3 (apt-get install python3); the local "
                    "platform runs agents with the system interpreter";
    return check;
  }
  json request = {{"files", files}, {"modules", modules}};
  auto result =
      run_subprocess({python, "-I", "-c", kCheckScript}, request.dump(), std::chrono::seconds(60));
  if (!result.start_error.empty() || result.timed_out || result.exit_code != 0) {
    check.problem = "checking the sources with " + python + " failed: " +
                    (result.timed_out              ? std::string("timed out after 60 s")
                     : !result.start_error.empty() ? result.start_error
                                                   : result.err.substr(0, 500));
    return check;
  }
  json answer = json::parse(result.out, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) {
    check.problem = "unexpected output from " + python + ": " + result.out.substr(0, 200);
    return check;
  }
  check.ran = true;
  check.version = answer.value("version", "");
  for (const auto& e : answer.value("errors", json::array()))
    check.errors.push_back({e.value("file", ""), e.value("line", 0), e.value("message", "")});
  check.missing_modules = answer.value("missing_modules", std::vector<std::string>{});
  return check;
}

}  // namespace runagents::platform::local
