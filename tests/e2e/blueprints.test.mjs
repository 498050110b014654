// Blueprints (issue 12): a devbox home built once, then the start of many devboxes.
//   - Runloop's own TypeScript SDK against `platform serve`: RunloopSDK.blueprint.create with
//     build_context_dir (the SDK uploads the directory as a tgz storage object) and a dockerfile
//     with COPY, ENV, WORKDIR and RUN; awaitBuildComplete; a devbox from it
//     (createFromBlueprintId) sees the files and the ENV; a failing build ends in `failed` with
//     its output in the log and awaitBuildComplete rejects; delete.
//   - The official MCP TypeScript SDK over stdio: manage_devbox create_blueprint (waiting for the
//     build), list_blueprints, blueprint_logs, then create_devbox blueprint_name and devbox_exec
//     find what the build installed; a dockerfile FROM another image is refused, saying why.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { agentSandboxSkip, connectIsolatedProduct, isolatedProduct, killAll, startPlatformServe, toolOk, toolRefused } from './lib.mjs';

let sdk;
try {
  sdk = await import('@runloop/api-client');
} catch {
  sdk = null;
}

const sandboxSkip = agentSandboxSkip();
const TOKEN = 'blueprints-test-token';
const STEP = { timeout: 180000 };

describe("blueprints with Runloop's SDK on platform serve", { skip: sandboxSkip || (!sdk && '@runloop/api-client is not installed') }, () => {
  let iso;
  let serve;
  let runloop;

  before(async () => {
    iso = isolatedProduct('ra-blueprints-');
    serve = await startPlatformServe(iso, ['--auth-token', TOKEN]);
    runloop = new sdk.RunloopSDK({ bearerToken: TOKEN, baseURL: serve.base, maxRetries: 0 });
  });
  after(async () => {
    await killAll();
    iso?.cleanup();
  });

  test('build from a directory and a dockerfile; a devbox from it has the files and the ENV', STEP, async () => {
    const context = path.join(iso.dir, 'context');
    mkdirSync(path.join(context, 'src', 'pkg'), { recursive: true });
    writeFileSync(path.join(context, 'src', 'main.sh'), '#!/bin/sh\necho "main says $GREETING"\n', { mode: 0o755 });
    writeFileSync(path.join(context, 'src', 'pkg', 'data.txt'), 'payload\n');
    writeFileSync(path.join(context, 'README'), 'read me\n');

    const blueprint = await runloop.blueprint.create({
      name: 'sdk-app',
      dockerfile: [
        'FROM runagents/devbox',
        'ENV GREETING="hello from the blueprint"',
        'WORKDIR /home/user/app',
        'COPY src/ ./src/',
        'COPY README docs/',
        'RUN ./src/main.sh > built.txt',
      ].join('\n'),
      build_context_dir: context,
      system_setup_commands: ['ls -R src > tree.txt'],
    }, { polling: { pollingIntervalMs: 200 } });
    const info = await blueprint.getInfo();
    assert.equal(info.status, 'build_complete');
    assert.equal(info.name, 'sdk-app');
    assert.ok(info.build_finish_time_ms >= info.create_time_ms);
    assert.equal(info.parameters.build_context.type, 'object');

    const logs = await blueprint.logs();
    assert.equal(logs.blueprint_id, blueprint.id);
    const text = logs.logs.map((l) => l.message).join('\n');
    assert.match(text, /COPY src\/ \.\/src\//);
    assert.match(text, /build complete/);

    const listed = await runloop.api.blueprints.list({ name: 'sdk-app' });
    assert.deepEqual(listed.blueprints.map((b) => b.id), [blueprint.id]);

    const devbox = await runloop.devbox.createFromBlueprintId(blueprint.id, { name: 'from-blueprint' });
    const view = await devbox.getInfo();
    assert.equal(view.blueprint_id, blueprint.id);
    const r = await devbox.cmd.exec('cd app && cat built.txt src/pkg/data.txt docs/README && ./src/main.sh && echo "$GREETING"');
    assert.equal(await r.stdout(), 'main says hello from the blueprint\npayload\nread me\nmain says hello from the blueprint\nhello from the blueprint\n');
    assert.equal(r.exitCode, 0);
    await devbox.shutdown();
  });

  test('a failing build ends in failed with its output in the log; delete', STEP, async () => {
    const api = runloop.api;
    const made = await api.blueprints.create({
      name: 'sdk-broken',
      system_setup_commands: ['echo "about to fail"', 'echo "missing-dependency" >&2; exit 7'],
    });
    await assert.rejects(api.blueprints.awaitBuildComplete(made.id, { polling: { pollingIntervalMs: 200 } }), /non-complete state failed/);
    const failed = await api.blueprints.retrieve(made.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure_reason, 'build_failed');
    const text = (await api.blueprints.logs(made.id)).logs.map((l) => `${l.level} ${l.message}`).join('\n');
    assert.match(text, /missing-dependency/);
    assert.match(text, /exited with 7/);

    await assert.rejects(api.devboxes.create({ blueprint_id: made.id }), (e) => e.status === 409);
    await api.blueprints.delete(made.id);
    assert.equal((await api.blueprints.retrieve(made.id)).state, 'deleted');
    await assert.rejects(api.blueprints.create({ name: 'x', dockerfile: 'FROM ubuntu:22.04\nRUN true' }), (e) => e.status === 400 && /runagents\/devbox/.test(e.message));
  });
});

describe('blueprints through the MCP tools', { skip: sandboxSkip }, () => {
  let iso;
  let client;
  let call;

  before(async () => {
    iso = isolatedProduct('ra-blueprints-mcp-');
    ({ client, call } = await connectIsolatedProduct(iso, 'blueprints-e2e'));
  });
  after(async () => {
    await client?.close().catch(() => {});
    await killAll();
    iso?.cleanup();
  });


  test('create_blueprint, then create_devbox blueprint_name finds what it installed', STEP, async () => {
    const made = toolOk(await call('manage_devbox', {
      action: 'create_blueprint',
      blueprint_name: 'py-tools',
      system_setup_commands: ['mkdir -p .local/bin && printf "#!/bin/sh\\necho tool-ready\\n" > .local/bin/mytool && chmod +x .local/bin/mytool'],
      dockerfile: 'FROM runagents/devbox\nENV PATH=/home/user/.local/bin:$PATH',
      wait_seconds: 50,
    }));
    const id = made.blueprint.id;
    if (made.blueprint.status !== 'build_complete') {
      const why = await call('manage_devbox', { action: 'blueprint_logs', blueprint_id: id, limit: 200 });
      assert.fail(`the build ${made.blueprint.status}: ${why.content[0].text}`);
    }

    const list = toolOk(await call('manage_devbox', { action: 'list_blueprints' }));
    assert.deepEqual(list.blueprints.map((b) => b.id), [id]);
    const logs = toolOk(await call('manage_devbox', { action: 'blueprint_logs', blueprint_id: id }));
    assert.ok(logs.logs.some((l) => l.source === 'build' && /build complete/.test(l.message)), JSON.stringify(logs));

    const d = toolOk(await call('create_devbox', { blueprint_name: 'py-tools' }));
    assert.equal(d.blueprint_id, id);
    const run = toolOk(await call('devbox_exec', { devbox_id: d.id, command: 'mytool' }));
    assert.equal(run.exit_code, 0, JSON.stringify(run));
    assert.equal(run.stdout, 'tool-ready\n');
    toolOk(await call('manage_devbox', { action: 'shutdown', devbox_id: d.id }));

    const gone = toolOk(await call('manage_devbox', { action: 'delete_blueprint', blueprint_id: id }));
    assert.equal(gone.blueprint.state, 'deleted');
    toolRefused(await call('create_devbox', { blueprint_name: 'py-tools' }), /no blueprint named "py-tools" has built/);
  });

  test('a dockerfile FROM another image is refused with what to do; nothing is recorded', STEP, async () => {
    toolRefused(await call('manage_devbox', {
      action: 'create_blueprint',
      blueprint_name: 'ubuntu',
      dockerfile: 'FROM ubuntu:22.04\nRUN apt-get install -y jq',
    }), /line 1: FROM ubuntu:22\.04: a local blueprint builds on the local sandbox.*FROM runagents\/devbox.*RUNLOOP_API_KEY/);
    toolRefused(await call('manage_devbox', { action: 'create_blueprint' }), /needs blueprint_name/);
    const list = toolOk(await call('manage_devbox', { action: 'list_blueprints', blueprint_name: 'ubuntu' }));
    assert.deepEqual(list.blueprints, []);
  });
});
