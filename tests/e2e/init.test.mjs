// `runagents-mcp init NAME` end to end: the scaffolded project's files, the refusal of an existing
// directory, and the scaffolded agent deployed (its files read here and passed as source_files)
// and run through the MCP server that its .mcp.json starts.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { agentSandboxSkip } from './lib.mjs';

const BUILD_DIR = path.resolve(process.env.RUNAGENTS_BUILD_DIR || 'build');
const BINARY = path.join(BUILD_DIR, 'runagents-mcp');

const skip = agentSandboxSkip();

let dir;
let client;
const env = { ...process.env };
for (const k of ['RUNAGENTS_ENDPOINT', 'RUNAGENTS_API_KEY', 'RUNAGENTS_NAMESPACE', 'RUNAGENTS_DATA_DIR', 'RUNAGENTS_LLM_BASE_URL']) delete env[k];

const init = (name) => spawnSync(BINARY, ['init', name], { cwd: dir, env, encoding: 'utf8' });

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ra-init-e2e-'));
});

after(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('init scaffolds the project and refuses an existing directory or a bad name', () => {
  const r = init('demo');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Created .*demo\//);
  const project = path.join(dir, 'demo');
  assert.deepEqual(readdirSync(project).sort(), [
    '.cursorrules', '.gitignore', '.mcp.json', 'AGENTS.md', 'CLAUDE.md', 'agent.py', 'requirements.txt', 'runagents.yaml',
  ]);
  const agent = readFileSync(path.join(project, 'agent.py'), 'utf8');
  assert.match(agent, /^def handler\(request, ctx\):/m);
  assert.match(agent, /call_tool\("echo-tool"/);
  assert.match(agent, /\.chat\(/);
  const yaml = readFileSync(path.join(project, 'runagents.yaml'), 'utf8');
  for (const line of ['name: demo', 'system_prompt: ', '  - echo-tool', '  model: playground-llm', 'entry_point: agent.py']) {
    assert.ok(yaml.includes(line), `runagents.yaml has ${line}`);
  }
  assert.match(readFileSync(path.join(project, 'requirements.txt'), 'utf8'), /^runagents>=1\.2\.1$/m);
  const mcp = JSON.parse(readFileSync(path.join(project, '.mcp.json'), 'utf8'));
  assert.equal(mcp.mcpServers.runagents.command, realpathSync(BINARY), 'the installed binary, by absolute path');
  assert.ok(path.isAbsolute(mcp.mcpServers.runagents.command));
  assert.deepEqual(mcp.mcpServers.runagents.args, []);

  // The context files name every tool this server lists.
  const tools = JSON.parse(execFileSync(BINARY, ['tools', '--format', 'json'], { env, encoding: 'utf8' }));
  const names = (tools.tools ?? tools).map((t) => t.name);
  assert.equal(names.length, 14);
  for (const file of ['CLAUDE.md', 'AGENTS.md', '.cursorrules']) {
    const text = readFileSync(path.join(project, file), 'utf8');
    for (const name of names) assert.ok(text.includes(`\`${name}\``), `${file} explains ${name}`);
  }

  // An existing directory (or file) is refused and left as it was.
  writeFileSync(path.join(project, 'agent.py'), '# mine\n');
  const again = init('demo');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists/);
  assert.equal(readFileSync(path.join(project, 'agent.py'), 'utf8'), '# mine\n');
  writeFileSync(path.join(dir, 'afile'), 'x');
  assert.equal(init('afile').status, 1);
  const bad = init('Bad_Name');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not valid/);
  assert.deepEqual(readdirSync(dir).sort(), ['afile', 'demo']);
});

test('the scaffolded agent deploys and runs through the server its .mcp.json starts', { skip, timeout: 90000 }, async () => {
  const r = init('hello-agent');
  assert.equal(r.status, 0, r.stderr);
  const project = path.join(dir, 'hello-agent');
  const mcp = JSON.parse(readFileSync(path.join(project, '.mcp.json'), 'utf8')).mcpServers.runagents;
  const transport = new StdioClientTransport({
    command: mcp.command,
    args: [...mcp.args, '--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')],
    env: { ...env, ...mcp.env },
    cwd: project,
    stderr: 'pipe',
  });
  client = new Client({ name: 'init-e2e', version: '1.0.0' });
  await client.connect(transport);
  const call = async (name, args) => {
    const res = await client.callTool({ name, arguments: args }, undefined, { timeout: 60000 });
    assert.equal(res.isError ?? false, false, `${name}: ${JSON.stringify(res.content)}`);
    return res.structuredContent;
  };
  const files = {};
  for (const f of ['agent.py', 'requirements.txt']) files[f] = readFileSync(path.join(project, f), 'utf8');
  const deployed = await call('deploy_agent', {
    agent_name: 'hello-agent', source_files: files, required_tools: ['echo-tool'], entry_point: 'agent.py',
    system_prompt: 'You are a helpful assistant.', llm_configs: [{ provider: 'playground', model: 'playground-llm' }],
  });
  assert.equal(deployed.phase, 'Running', JSON.stringify(deployed));
  assert.deepEqual(deployed.warnings, []);
  assert.ok(deployed.notes.some((n) => /requirements name runagents: the platform provides it/.test(n)), JSON.stringify(deployed.notes));
  const agents = await call('list_agents', {});
  assert.equal(agents.agents.find((a) => a.name === 'hello-agent').status, 'Running');
  const run = await call('run_query', { prompt: 'hello', agent: { name: 'hello-agent' } });
  assert.equal(run.run_status, 'COMPLETED', JSON.stringify(run));
  assert.equal(run.text, 'playground-llm: you said "hello"');
  const events = await call('get_run_events', { run_id: run.run_id });
  const response = events.events.find((e) => e.type === 'TOOL_RESPONSE');
  assert.equal(response.data.tool, 'echo-tool');
  assert.equal(response.data.result.received.text, 'hello');
});

test('runagents-mcp deploy deploys the project in the current directory as deploy_agent does', { skip, timeout: 90000 }, async () => {
  assert.equal(init('cli-agent').status, 0);
  const project = path.join(dir, 'cli-agent');
  const data = ['--data-dir', path.join(dir, 'data'), '--config', path.join(dir, 'none.json')];
  const deploy = (...args) => spawnSync(BINARY, [...data, 'deploy', ...args], { cwd: project, env, encoding: 'utf8' });

  const bad = deploy('--model', 'gpt-4o');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /provider\/model/);
  const dry = deploy('--dry-run');
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^default\/cli-agent: validated, phase Running$/m);
  assert.match(dry.stdout, /^note: the requirements name runagents: the platform provides it/m);
  let agents = (await client.callTool({ name: 'list_agents', arguments: {} })).structuredContent;
  assert.ok(!agents.agents.some((a) => a.name === 'cli-agent'), 'a dry run deploys nothing');

  const real = deploy();
  assert.equal(real.status, 0, real.stderr);
  assert.match(real.stdout, /^default\/cli-agent: created, phase Running$/m);
  agents = (await client.callTool({ name: 'list_agents', arguments: {} })).structuredContent;
  assert.equal(agents.agents.find((a) => a.name === 'cli-agent').status, 'Running');
  const got = (await client.callTool({ name: 'get_agent', arguments: { name: 'cli-agent' } })).structuredContent;
  assert.deepEqual(got.required_tools ?? got.spec?.requiredTools, ['echo-tool'], JSON.stringify(got).slice(0, 500));
  const run = (await client.callTool({ name: 'run_query', arguments: { prompt: 'from the cli', agent: { name: 'cli-agent' } } }, undefined, { timeout: 60000 })).structuredContent;
  assert.equal(run.run_status, 'COMPLETED', JSON.stringify(run));
  assert.equal(run.text, 'playground-llm: you said "from the cli"');

  // A broken agent deploys Failed: exit 1 with the reason; warnings are printed.
  writeFileSync(path.join(project, 'agent.py'), 'import os\nKEY = "sk-abcdefghijklmnopqrstuvwxyz0123"\ndef handler(request:\n');
  const failed = deploy('--name', 'cli-broken');
  assert.equal(failed.status, 1);
  assert.match(failed.stdout, /phase Failed\n {2}SyntaxError/);
  assert.match(failed.stdout, /^warning: agent.py:2: a likely openai_api_key/m);
  // A project file outside the subset is refused before anything is deployed.
  writeFileSync(path.join(project, 'runagents.yaml'), 'name: cli-agent\ncolour: red\n');
  const yaml = deploy('--name', 'cli-yaml');
  assert.equal(yaml.status, 2);
  assert.match(yaml.stderr, /runagents.yaml line 2: unknown key 'colour'/);
  agents = (await client.callTool({ name: 'list_agents', arguments: {} })).structuredContent;
  assert.ok(!agents.agents.some((a) => a.name === 'cli-yaml'));
});
