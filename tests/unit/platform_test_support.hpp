// Helpers shared by the platform tests: temporary data dirs and small agents.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace runagents::platform::testing {

// A fresh directory under /tmp, removed with everything in it afterwards. Never ~/.runagents.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string templ = "/tmp/ra-platform-test-XXXXXX";
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// An agent that calls echo-tool with the message and answers with what came back.
inline const char* const kEchoAgent = R"PY(import runagents


def handler(request, ctx):
    answer = ctx.call_tool("echo-tool", path="/echo", payload={"text": request["message"]})
    resume = request.get("resume") or {}
    return {"response": "echoed: " + answer["received"]["text"],
            "resumed": bool(resume.get("approved"))}
)PY";

}  // namespace runagents::platform::testing
