// Checks an agent's Python sources with the runtime's interpreter without running them: compiles
// every .py file (what `python3 -m py_compile` does) and looks up which imported third-party
// modules the interpreter lacks.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace runagents::platform::local {

// The interpreter agents run with inside the sandbox: the system's, since a python under a
// user's home (pyenv) is not visible there.
inline constexpr const char* kSystemPython = "/usr/bin/python3";

struct PythonSyntaxError {
  std::string file;
  int line = 0;
  std::string message;  // "SyntaxError: invalid syntax"
};

struct PythonCheck {
  bool ran = false;     // false: python3 could not be run (see problem)
  std::string problem;  // why it could not run, with what to do
  std::string version;  // "3.11.2"
  std::vector<PythonSyntaxError> errors;
  std::vector<std::string> missing_modules;  // of `modules`, those not importable
};

// Never throws; a missing interpreter is reported in `problem`.
PythonCheck check_python_sources(const std::map<std::string, std::string>& files,
                                 const std::vector<std::string>& modules,
                                 const std::string& python = kSystemPython);

}  // namespace runagents::platform::local
