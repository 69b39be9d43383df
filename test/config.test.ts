/**
 * polysip.yaml: every refusal names the key and the line; unknown keys are errors; values the
 * file leaves out keep the embedded defaults; the documented sample parses.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import {
  ConfigError,
  KNOWN_MODULES,
  defaultConfig,
  loadConfigFile,
  parseConfig,
} from '../bin/config.ts';
import { builtinModules } from '../modules/index.ts';
import { storageDeclarations } from '../bin/storage.ts';

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
    [
      'trusted: true',
      'tenants:',
      '  - name: acme',
      '    domains: [Acme.example]',
      '    script: acme.lua',
      '    limits: { cpu_ms: 20, max_suspended: 5 }',
      '  - name: beta',
      '    sockets: [udp:127.0.0.1:5070, "udp:[::1]:5070"]',
      '    script: /srv/beta.py',
      '    trusted: true',
    ].join('\n'),
  );
  t.true(c.trusted);
  t.false(parse('').trusted, 'the main script is not trusted by default');
  t.deepEqual(c.tenants, [
    {
      name: 'acme',
      domains: ['acme.example'],
      sockets: [],
      script: resolve('/etc/polysip/acme.lua'),
      limits: { cpuMs: 20, maxSuspended: 5 },
      trusted: false,
    },
    {
      name: 'beta',
      domains: [],
      sockets: ['udp:127.0.0.1:5070', 'udp:[::1]:5070'],
      script: '/srv/beta.py',
      limits: {},
      trusted: true,
    },
  ]);
  refused(
    t,
    'tenants:\n  - name: a\n    script: a.lua\n',
    'tenants[0]',
    2,
    /needs a match rule: domains, sockets/,
  );
  refused(
    t,
    'tenants:\n  - { name: a, sockets: [udp:127.0.0.1:5070], script: a.lua }\n  - { name: b, sockets: [udp:127.0.0.1:5070], script: b.lua }\n',
    'tenants[1].sockets',
    3,
    /already belongs to tenant "a"/,
  );
  refused(
    t,
    'tenants:\n  - name: a\n    sockets: [udp:127.0.0.1]\n    script: a.lua\n',
    'tenants[0].sockets[0]',
    3,
    /proto:host:port/,
  );
  refused(
    t,
    'tenants:\n  - name: a\n    domains: [a.example]\n    script: a.rb\n',
    'tenants[0].script',
    4,
    /\.lua, \.py or \.js/,
  );
  refused(
    t,
    'tenants:\n  - name: a\n    domains: [a.example]\n    script: a.lua\n    modules:\n      registrar: { max_expires: 60 }\n',
    'tenants[0].modules',
    6,
    /per-tenant module parameters are not supported/,
  );
  refused(t, 'trusted: yes please\n', 'trusted', 1, /true or false/);
  t.is(parse('dispatch: pick.lua\n').dispatch, resolve('/etc/polysip/pick.lua'));
  t.is(parse('').dispatch, null);
  refused(t, 'dispatch: pick.sh\n', 'dispatch', 1, /\.lua, \.py or \.js/);
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

test('module names under modules: are checked, with the key and the line', (t) => {
  refused(
    t,
    'modules:\n  registrar: { max_expires: 60 }\n  registar: { max_expires: 60 }\n',
    'modules.registar',
    3,
    /unknown module \(known: .*registrar/,
  );
  t.notThrows(() => parse('modules:\n  topoh: { mask_key: k }\n  htable: { timer_interval: 5 }\n'));
});

test('the known module names are the modules polysip loads', (t) => {
  const real = [
    ...builtinModules.map((m) => m.name),
    ...storageDeclarations().map((m) => m.name),
    'topoh', // loaded by the composition root when it has parameters
  ];
  t.deepEqual([...KNOWN_MODULES].sort(), real.sort());
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
