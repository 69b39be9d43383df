/**
 * polysip.yaml: every refusal names the key and the line; unknown keys are errors; values the
 * file leaves out keep the embedded defaults; the documented sample parses.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { ConfigError, defaultConfig, loadConfigFile, parseConfig } from '../bin/config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const defaults = defaultConfig(ROOT);
const parse = (text: string, env: NodeJS.ProcessEnv = {}) =>
  parseConfig(text, '/etc/polysip/polysip.yaml', defaults, env);

function refused(
  t: import('ava').ExecutionContext,
  text: string,
  key: string,
  line: number,
  has: RegExp,
): void {
  const e = t.throws(() => parse(text), { instanceOf: ConfigError });
  t.is(e?.key, key, e?.message);
  t.is(e?.line, line, e?.message);
  t.regex(e!.message, has);
  t.true(e!.message.startsWith(`/etc/polysip/polysip.yaml:${line}: `), e?.message);
}

test('an empty file is the embedded defaults', (t) => {
  const c = parse('');
  t.deepEqual(c, defaults);
  t.deepEqual(c.listen, ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060']);
  t.is(c.management.listen, '127.0.0.1:5064');
  t.is(c.database, 'sqlite:./var/polysip.db');
  t.true(c.script.endsWith('scripts/default.lua'));
});

test('a full file: values, module params keyed by Kamailio names, relative paths from the file', (t) => {
  const c = parse(
    [
      'listen: [udp:127.0.0.1:5070, "tcp:[::1]:5070"]',
      'aliases: [example.com]',
      'database: postgres://polysip@127.0.0.1/polysip',
      'script:',
      '  file: routing.lua',
      '  routes: { reply: my_reply }',
      '  selftest: null',
      'limits: { cpu_ms: 50 }',
      'modules:',
      '  registrar: { max_expires: 3600, default_expires: 600 }',
      '  auth: { secret: "${SECRET}" }',
      'management: { listen: "127.0.0.1:9000" }',
    ].join('\n'),
    { SECRET: 's3cr3t' },
  );
  t.deepEqual(c.listen, ['udp:127.0.0.1:5070', 'tcp:[::1]:5070']);
  t.deepEqual(c.aliases, ['example.com']);
  t.is(c.database, 'postgres://polysip@127.0.0.1/polysip');
  t.is(c.script, resolve('/etc/polysip/routing.lua'));
  t.deepEqual(c.routes, {
    request: 'ksr_request_route',
    reply: 'my_reply',
    onsend: 'ksr_onsend_route',
  });
  t.is(c.selftest, null);
  t.deepEqual(c.limits, { cpuMs: 50 });
  t.deepEqual(c.modules, {
    registrar: { max_expires: 3600, default_expires: 600 },
    auth: { secret: 's3cr3t' },
  });
  t.is(c.management.listen, '127.0.0.1:9000');
});

test('an unknown key is an error naming it and its line', (t) => {
  refused(t, 'listen: [udp:127.0.0.1:5060]\nlisten_port: 5060\n', 'listen_port', 2, /unknown key/);
  refused(t, 'script:\n  file: a.lua\n  rutes: {}\n', 'script.rutes', 3, /unknown key.*routes/);
});

test('a wrong type or value names the key path and its line', (t) => {
  refused(t, 'limits:\n  cpu_ms: fast\n', 'limits.cpu_ms', 2, /integer/);
  refused(t, 'limits:\n  cpu_ms: 0\n', 'limits.cpu_ms', 2, /at least 1/);
  refused(
    t,
    'listen:\n  - udp:127.0.0.1:5060\n  - sctp:127.0.0.1:5060\n',
    'listen[1]',
    3,
    /proto:host:port/,
  );
  refused(t, 'log_level: loud\n', 'log_level', 1, /one of/);
  refused(
    t,
    'modules:\n  registrar:\n    max_expires: [1]\n',
    'modules.registrar.max_expires',
    3,
    /number or a string/,
  );
  refused(t, 'database: mysql://x\n', 'database', 1, /sqlite:PATH/);
  refused(t, 'aliases: example.com\n', 'aliases', 1, /list/);
});

test('a missing environment variable is named with its key', (t) => {
  refused(
    t,
    'modules:\n  auth:\n    secret: ${NOPE}\n',
    'modules.auth.secret',
    3,
    /NOPE is not set/,
  );
});

test('YAML syntax errors carry their line', (t) => {
  const e = t.throws(() => parse('listen:\n  - a\n b: [\n'), { instanceOf: ConfigError });
  t.is(typeof e?.line, 'number');
  t.regex(e!.message, /YAML syntax/);
});

test('duplicate keys are refused', (t) => {
  refused(t, 'aliases: [a]\naliases: [b]\n', 'aliases', 2, /duplicate/);
});

test('tenants are parsed and validated', (t) => {
  const c = parse(
    'tenants:\n  - name: acme\n    domains: [Acme.example]\n    script: acme.lua\n    limits: { cpu_ms: 20 }\n',
  );
  t.deepEqual(c.tenants, [
    {
      name: 'acme',
      domains: ['acme.example'],
      script: resolve('/etc/polysip/acme.lua'),
      limits: { cpuMs: 20 },
      modules: {},
    },
  ]);
  refused(t, 'tenants:\n  - name: acme\n    domains: [a]\n', 'tenants[0].script', 2, /missing/);
  refused(
    t,
    'tenants:\n  - { name: a, domains: [x.example], script: a.lua }\n  - { name: b, domains: [x.example], script: b.lua }\n',
    'tenants[1].domains',
    3,
    /already belongs to tenant "a"/,
  );
  refused(
    t,
    'tenants:\n  - { name: a, domains: [], script: a.lua, engine: lua }\n',
    'tenants[0].engine',
    2,
    /unknown key/,
  );
});

test('management off loopback needs a token', (t) => {
  refused(t, 'x: 1\n', 'x', 1, /unknown/);
  const e = t.throws(() => parse('management:\n  listen: 0.0.0.0:5064\n'), {
    instanceOf: ConfigError,
  });
  t.is(e?.key, 'management.token');
  t.is(e?.line, 2);
  t.notThrows(() => parse('management:\n  listen: 0.0.0.0:5064\n  token: abc\n'));
  t.is(parse('management:\n  listen: null\n').management.listen, null);
});

test('the documented sample parses', (t) => {
  const c = loadConfigFile(
    fileURLToPath(new URL('../samples/polysip.yaml', import.meta.url)),
    defaults,
    {
      POLYSIP_AUTH_SECRET: 'x',
    },
  );
  t.true(c.listen.length > 0);
  t.true(c.tenants.length > 0);
});
