#!/usr/bin/env python3
"""By hand: the real RunAgents Python SDK (its `Client` and, vendored by an agent, its `Agent`)
against `runagents-mcp platform serve`. CI cannot run it (no PyPI on the machines); see
docs/TESTING.md.

  git -C <runagents checkout> archive aeff63e sdk/python | tar -x -C /tmp/sdk
  runagents-mcp --data-dir /tmp/sdk-data platform serve --port 18092 &
  python3 scripts/check_real_sdk.py /tmp/sdk/sdk/python http://127.0.0.1:18092

Each step prints `ok <what>: <answer>`; the first failure raises with the SDK's own error.
"""
import glob
import json
import os
import sys
import tempfile

sdk_dir, endpoint = sys.argv[1], sys.argv[2]
sys.path.insert(0, sdk_dir)
os.environ["HOME"] = tempfile.mkdtemp()  # never the user's ~/.runagents/config.json
import runagents  # noqa: E402
from runagents import Client  # noqa: E402

AGENT = '''from runagents import Agent


def handler(request, ctx):
    agent = Agent()
    echoed = agent.call_tool("echo-tool", "/echo", {"text": request["message"]})
    return {"response": "sdk says " + str(echoed.get("received")), "tools": agent.available_tools()}
'''


def ok(what, value):
    print(f"ok  {what}: {value}"[:400])


print("runagents SDK from", runagents.__file__)
c = Client(endpoint=endpoint, api_key="", namespace="default")
ok("seed_starter_kit", json.dumps(c.seed_starter_kit()))
ok("tools.create", json.dumps(c.tools.create("weather-api", "https://api.weather.example", "weather")))
ok("tools.list", [t.name for t in c.tools.list()])
ok("tools.get", c.tools.get("weather-api"))
ok("models.list", [(m.name, m.provider) for m in c.models.list()])
ok("analyze", c.analyze({"agent.py": AGENT}))

# The agent vendors the real SDK beside agent.py (as `pip install --target .` would).
files = {"agent.py": AGENT, "runagents-1.2.1.dist-info/METADATA": "Name: runagents\nVersion: 1.2.1\n"}
for path in glob.glob(os.path.join(sdk_dir, "runagents", "**", "*.py"), recursive=True):
    rel = os.path.relpath(path, sdk_dir)
    if os.sep + "cli" + os.sep not in rel and os.sep + "mcp" + os.sep not in rel:
        files[rel] = open(path).read()
ok("agents.deploy", c.agents.deploy("sdk-check", source_files=files, required_tools=["echo-tool"],
                                    entry_point="agent.py"))
ok("agents.list", [a.name for a in c.agents.list()])
ok("agents.get", c.agents.get("default", "sdk-check"))
answer = c.post("/api/agents/default/sdk-check/invoke", {"message": "hello sdk"})
assert answer["run_status"] == "COMPLETED", answer
ok("invoke (the vendored SDK's Agent.call_tool through the egress)", json.dumps(answer))
ok("runs.list", [(r.id[:8], r.status) for r in c.runs.list(agent="sdk-check")])
ok("runs.events", [e.type for e in c.runs.events(answer["run_id"])])

# Approvals: a policy that holds echo-tool, the agent bound to it, a held run, approve.
c.post("/api/policies", {"name": "hold-echo", "spec": {"policies": [
    {"permission": "approval_required", "resource": "echo-tool", "operations": ["POST"]}]}})
c.post("/api/deploy", {"agent_name": "sdk-check", "source_files": files,
                       "required_tools": ["echo-tool"], "entry_point": "agent.py",
                       "policies": ["hold-echo"]})
held = c.post("/api/agents/default/sdk-check/invoke", {"message": "held one"})
assert held["run_status"] == "PAUSED_APPROVAL", held
ok("invoke under the policy (the SDK's ApprovalRequired)", json.dumps(held["approval_required"]))
pending = c.approvals.list()
ok("approvals.list", [(a["id"], a["status"]) for a in pending])
approved = c.approvals.approve(pending[0]["id"])
assert approved["agent_response"]["response"] == "sdk says {'text': 'held one'}", approved
ok("approvals.approve (the run resumed)", json.dumps(approved["agent_response"]))
ok("export_context", sorted(c.export_context()))
print("all steps passed")
