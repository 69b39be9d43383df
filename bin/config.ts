/**
 * `polysip.yaml`: the deployment's configuration file. Parsed with the yaml package's document
 * API so every error names the key path and the line it is on; an unknown key is an error (a
 * typo must not silently fall back to a default). `${NAME}` in a string value is replaced by
 * the environment variable NAME, so secrets stay out of the file.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { LOG_LEVELS, type LogLevel } from '../core/log.ts';
import type { ScriptLimits } from '../core/api/script.ts';
import { DEFAULT_DB_URL, type ModuleParams } from './storage.ts';

export interface RouteNames {
  /** The request route (Kamailio: ksr_request_route, fixed there; configurable here). */
  readonly request: string;
  /** kemi.reply_route_callback */
  readonly reply: string;
  /** kemi.onsend_route_callback */
  readonly onsend: string;
}

export interface TenantConfig {
  readonly name: string;
  /**
   * Request domains (R-URI host, lower case) this tenant answers for; also the only
   * subscriber domains its script may authenticate.
   */
  readonly domains: readonly string[];
  /**
   * Receiving sockets (`proto:host:port`, as under `listen`) whose requests are this tenant's,
   * whatever their R-URI. Checked before the domains.
   */
  readonly sockets: readonly string[];
  /** The script; its engine follows from the extension (.lua, .py, .js). */
  readonly script: string;
  readonly limits: Partial<ScriptLimits>;
  /** Runs in the SIP thread (fastest, no isolation); default false: an isolated worker. */
  readonly trusted: boolean;
}

export interface ManagementConfig {
  /** `host:port` of the JSON-RPC + /metrics listener; null = no management listener. */
  readonly listen: string | null;
  /** Bearer token; required when `listen` is not a loopback address. */
  readonly token: string | null;
}

export interface PolysipConfig {
  readonly listen: readonly string[];
  readonly aliases: readonly string[];
  readonly database: string;
  readonly script: string;
  readonly routes: RouteNames;
  /** A function run once on a candidate version before it goes live; null = none. */
  readonly selftest: string | null;
  /** Reload the script when its file changes (off by default). */
  readonly watch: boolean;
  readonly logLevel: LogLevel;
  readonly allowDestinations: readonly string[] | undefined;
  readonly limits: Partial<ScriptLimits>;
  readonly modules: ModuleParams;
  /** The main script runs in the SIP thread (the CLI's --trusted); default false: isolated. */
  readonly trusted: boolean;
  /** Requests they match run their script; the rest run the main script. */
  readonly tenants: readonly TenantConfig[];
  /**
   * A script whose request route names the tenant (`$var(tenant)`) of a request no socket
   * or domain rule matched; null = none.
   */
  readonly dispatch: string | null;
  readonly management: ManagementConfig;
}

export const DEFAULT_MANAGEMENT_LISTEN = '127.0.0.1:5064';

/** The embedded defaults: what `npm start` runs with no config file. */
export function defaultConfig(root: string): PolysipConfig {
  return {
    listen: ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
    aliases: [],
    database: DEFAULT_DB_URL,
    script: resolve(root, 'scripts', 'default.lua'),
    routes: { request: 'ksr_request_route', reply: 'ksr_reply_route', onsend: 'ksr_onsend_route' },
    selftest: 'ksr_selftest',
    watch: false,
    logLevel: 'info',
    allowDestinations: undefined,
    limits: {},
    modules: {},
    trusted: false,
    tenants: [],
    dispatch: null,
    management: { listen: DEFAULT_MANAGEMENT_LISTEN, token: null },
  };
}

/** A config file that failed validation: `file:line: key: message`. */
export class ConfigError extends Error {
  readonly code = 'POLYSIP_ERR_CONFIG';
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly key: string,
    readonly detail: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${key ? `${key}: ` : ''}${detail}`);
  }
}

/** The file names a variable the environment lacks: say what to do about it. */
const unsetEnv = (name: string): string =>
  `environment variable ${name} is not set (this key reads it as \${${name}}: ` +
  `export ${name}=… before starting, or remove the key)`;

// ---- a small schema: enough to name each bad key and line ---------------------------------

type Spec =
  | { t: 'string'; pattern?: RegExp; hint?: string; oneOf?: readonly string[] }
  | { t: 'int'; min?: number }
  | { t: 'bool' }
  | { t: 'list'; of: Spec }
  | { t: 'object'; fields: Readonly<Record<string, Spec>> }
  /** Free keys (module names, modparam names) with values of one spec; `names` closes the set. */
  | { t: 'dict'; key: RegExp; of: Spec; names?: readonly string[] }
  | { t: 'scalar' }
  | { t: 'nullable'; of: Spec };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LISTEN = /^(udp|tcp|tls|ws|wss):(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/;
const HOSTPORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/;

const LIMITS: Spec = {
  t: 'object',
  fields: {
    cpu_ms: { t: 'int', min: 1 },
    memory_bytes: { t: 'int', min: 0 },
    max_suspended: { t: 'int', min: 1 },
  },
};
/**
 * Module names `modules:` accepts: the built-in modules (modules/index.ts), the storage
 * modules (bin/storage.ts) and topoh. Listed here so parsing a config loads no module;
 * test/config.test.ts checks the list against the real modules.
 */
export const KNOWN_MODULES: readonly string[] = [
  'core',
  'sl',
  'pv',
  'hdr',
  'textops',
  'siputils',
  'maxfwd',
  'sanity',
  'corex',
  'tm',
  'tmx',
  'rr',
  'htable',
  'pike',
  'usrloc',
  'registrar',
  'auth',
  'auth_guard',
  'auth_db',
  'group',
  'permissions',
  'topoh',
];

const MODULES: Spec = {
  t: 'dict',
  key: IDENT,
  names: KNOWN_MODULES,
  of: { t: 'dict', key: IDENT, of: { t: 'scalar' } },
};
const SCRIPT_FILE: Spec = {
  t: 'string',
  pattern: /\.(lua|py|js)$/,
  hint: 'a .lua, .py or .js file',
};
const LISTEN_SPEC: Spec = {
  t: 'string',
  pattern: LISTEN,
  hint: 'proto:host:port, proto one of udp|tcp|tls|ws|wss',
};

const SCHEMA: Spec = {
  t: 'object',
  fields: {
    listen: { t: 'list', of: LISTEN_SPEC },
    aliases: { t: 'list', of: { t: 'string' } },
    database: {
      t: 'string',
      pattern: /^(sqlite:.+|postgres(ql)?:\/\/.+)$/,
      hint: 'sqlite:PATH or postgres://…',
    },
    script: {
      t: 'object',
      fields: {
        file: { t: 'string' },
        selftest: { t: 'nullable', of: { t: 'string', pattern: IDENT, hint: 'a function name' } },
        watch: { t: 'bool' },
        routes: {
          t: 'object',
          fields: {
            request: { t: 'string', pattern: IDENT, hint: 'a function name' },
            reply: { t: 'string', pattern: IDENT, hint: 'a function name' },
            onsend: { t: 'string', pattern: IDENT, hint: 'a function name' },
          },
        },
      },
    },
    log_level: { t: 'string', oneOf: LOG_LEVELS },
    allow_destinations: {
      t: 'list',
      of: { t: 'string', pattern: /^[0-9a-fA-F:.]+\/\d{1,3}$/, hint: 'a CIDR' },
    },
    limits: LIMITS,
    modules: MODULES,
    trusted: { t: 'bool' },
    dispatch: { t: 'nullable', of: SCRIPT_FILE },
    tenants: {
      t: 'list',
      of: {
        t: 'object',
        fields: {
          name: { t: 'string', pattern: IDENT, hint: 'letters, digits, _' },
          domains: { t: 'list', of: { t: 'string' } },
          sockets: { t: 'list', of: LISTEN_SPEC },
          script: SCRIPT_FILE,
          limits: LIMITS,
          trusted: { t: 'bool' },
          modules: MODULES,
        },
      },
    },
    management: {
      t: 'object',
      fields: {
        listen: { t: 'nullable', of: { t: 'string', pattern: HOSTPORT, hint: 'host:port' } },
        token: { t: 'nullable', of: { t: 'string' } },
      },
    },
  },
};

const REQUIRED_TENANT_KEYS = ['name', 'script'] as const;

interface Walker {
  file: string;
  line(node: Node | null | undefined): number | null;
  env: NodeJS.ProcessEnv;
}

/** Checks `node` against `spec` and returns its plain value; throws ConfigError at the first fault. */
function walk(w: Walker, spec: Spec, node: Node | null | undefined, key: string): unknown {
  const fail = (msg: string, at: Node | null | undefined = node): never => {
    throw new ConfigError(w.file, w.line(at), key, msg);
  };
  if (spec.t === 'nullable') {
    if (node == null || (isScalar(node) && node.value === null)) return null;
    return walk(w, spec.of, node, key);
  }
  if (node == null) return fail('a value is required');
  switch (spec.t) {
    case 'object':
    case 'dict': {
      if (!isMap(node))
        return fail(spec.t === 'object' ? 'expected a mapping' : 'expected a mapping');
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        if (!isScalar(k) || typeof k.value !== 'string') return fail('keys must be strings', k);
        const name = k.value;
        const path = key ? `${key}.${name}` : name;
        if (Object.hasOwn(out, name))
          throw new ConfigError(w.file, w.line(k), path, 'duplicate key');
        let sub: Spec;
        if (spec.t === 'object') {
          const f = spec.fields[name];
          if (!f) {
            const known = Object.keys(spec.fields).join(', ');
            throw new ConfigError(
              w.file,
              w.line(k),
              path,
              `unknown key (expected one of: ${known})`,
            );
          }
          sub = f;
        } else {
          if (!spec.key.test(name))
            throw new ConfigError(w.file, w.line(k), path, 'not a valid name');
          if (spec.names && !spec.names.includes(name)) {
            throw new ConfigError(
              w.file,
              w.line(k),
              path,
              `unknown module (known: ${spec.names.join(', ')})`,
            );
          }
          sub = spec.of;
        }
        out[name] = walk(w, sub, pair.value as Node | null, path);
      }
      return out;
    }
    case 'list': {
      if (!isSeq(node)) return fail('expected a list');
      return node.items.map((item, i) => walk(w, spec.of, item as Node, `${key}[${i}]`));
    }
    case 'string': {
      if (!isScalar(node) || typeof node.value !== 'string') return fail('expected a string');
      const v = expandEnv(node.value, (name) => fail(unsetEnv(name)), w.env);
      if (spec.oneOf && !spec.oneOf.includes(v))
        return fail(`expected one of: ${spec.oneOf.join(', ')}`);
      if (spec.pattern && !spec.pattern.test(v))
        return fail(`"${v}" is not valid (${spec.hint ?? spec.pattern})`);
      return v;
    }
    case 'int': {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
        return fail('expected an integer');
      }
      if (spec.min !== undefined && node.value < spec.min)
        return fail(`must be at least ${spec.min}`);
      return node.value;
    }
    case 'bool': {
      if (!isScalar(node) || typeof node.value !== 'boolean') return fail('expected true or false');
      return node.value;
    }
    case 'scalar': {
      if (!isScalar(node)) return fail('expected a number or a string');
      const v = node.value;
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0; // Kamailio modparams are int or str
      if (typeof v === 'string') return expandEnv(v, (n) => fail(unsetEnv(n)), w.env);
      return fail('expected a number or a string');
    }
  }
}

function expandEnv(v: string, missing: (name: string) => never, env: NodeJS.ProcessEnv): string {
  return v.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
    (_, name: string) => env[name] ?? missing(name),
  );
}

const limitsOf = (raw: Record<string, number> | undefined): Partial<ScriptLimits> => {
  const out: { cpuMs?: number; memoryBytes?: number; maxSuspended?: number } = {};
  if (raw?.['cpu_ms'] !== undefined) out.cpuMs = raw['cpu_ms'];
  if (raw?.['memory_bytes'] !== undefined) out.memoryBytes = raw['memory_bytes'];
  if (raw?.['max_suspended'] !== undefined) out.maxSuspended = raw['max_suspended'];
  return out;
};

/**
 * Parses and validates config text. Relative paths (scripts) are resolved against the
 * config file's folder. Values missing from the file keep `defaults`.
 * @throws ConfigError naming the file, line and key.
 */
export function parseConfig(
  text: string,
  file: string,
  defaults: PolysipConfig,
  env: NodeJS.ProcessEnv = process.env,
): PolysipConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lc.linePos(syntax.pos[0]);
    throw new ConfigError(file, pos.line, '', `YAML syntax: ${syntax.message.split('\n')[0]}`);
  }
  const w: Walker = {
    file,
    env,
    line: (n) => (n?.range ? lc.linePos(n.range[0]).line : null),
  };
  const contents = doc.contents as Node | null;
  if (contents == null) return defaults;
  const raw = walk(w, SCHEMA, contents, '') as Record<string, any>;
  const base = dirname(resolve(file));
  const path = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));

  const tenants: TenantConfig[] = [];
  const tenantNodes = isMap(contents)
    ? (contents.get('tenants', true) as Node | undefined)
    : undefined;
  const seen = new Set<string>();
  const seenDomains = new Map<string, string>();
  const seenSockets = new Map<string, string>();
  const sub = (node: Node | null, k: string): Node | null => {
    const n = isMap(node) ? (node.get(k, true) as Node | undefined) : undefined;
    return n ?? node;
  };
  (raw['tenants'] as Record<string, unknown>[] | undefined)?.forEach((t, i) => {
    const node = isSeq(tenantNodes) ? (tenantNodes.items[i] as Node) : null;
    for (const k of REQUIRED_TENANT_KEYS) {
      if (t[k] === undefined)
        throw new ConfigError(file, w.line(node), `tenants[${i}].${k}`, 'missing');
    }
    const name = t['name'] as string;
    if (seen.has(name))
      throw new ConfigError(file, w.line(node), `tenants[${i}].name`, `duplicate tenant "${name}"`);
    seen.add(name);
    if (t['modules'] !== undefined) {
      // Module instances are shared by every tenant: a tenant's parameter could not apply to
      // it alone, and silently applying it to all would be worse.
      throw new ConfigError(
        file,
        w.line(sub(node, 'modules')),
        `tenants[${i}].modules`,
        'per-tenant module parameters are not supported (modules are shared; set them under the top-level modules:)',
      );
    }
    const domains = ((t['domains'] as string[] | undefined) ?? []).map((d) => d.toLowerCase());
    const sockets = (t['sockets'] as string[] | undefined) ?? [];
    if (domains.length === 0 && sockets.length === 0) {
      throw new ConfigError(
        file,
        w.line(node),
        `tenants[${i}]`,
        'a tenant needs a match rule: domains, sockets or both',
      );
    }
    for (const d of domains) {
      const other = seenDomains.get(d);
      if (other) {
        throw new ConfigError(
          file,
          w.line(sub(node, 'domains')),
          `tenants[${i}].domains`,
          `domain "${d}" already belongs to tenant "${other}"`,
        );
      }
      seenDomains.set(d, name);
    }
    for (const s of sockets) {
      const k = s.toLowerCase().replace(/\[|\]/g, '');
      const other = seenSockets.get(k);
      if (other) {
        throw new ConfigError(
          file,
          w.line(sub(node, 'sockets')),
          `tenants[${i}].sockets`,
          `socket "${s}" already belongs to tenant "${other}"`,
        );
      }
      seenSockets.set(k, name);
    }
    tenants.push({
      name,
      domains,
      sockets,
      script: path(t['script'] as string),
      limits: limitsOf(t['limits'] as Record<string, number> | undefined),
      trusted: (t['trusted'] as boolean | undefined) ?? false,
    });
  });

  const script = (raw['script'] ?? {}) as Record<string, any>;
  const mgmt = (raw['management'] ?? {}) as { listen?: string | null; token?: string | null };
  const management: ManagementConfig = {
    listen: mgmt.listen === undefined ? defaults.management.listen : mgmt.listen,
    token: mgmt.token === undefined ? defaults.management.token : mgmt.token,
  };
  const cfg: PolysipConfig = {
    listen: raw['listen'] ?? defaults.listen,
    aliases: raw['aliases'] ?? defaults.aliases,
    database: raw['database'] ?? defaults.database,
    script: script['file'] !== undefined ? path(script['file']) : defaults.script,
    routes: { ...defaults.routes, ...(script['routes'] ?? {}) },
    selftest: script['selftest'] !== undefined ? script['selftest'] : defaults.selftest,
    watch: script['watch'] ?? defaults.watch,
    logLevel: raw['log_level'] ?? defaults.logLevel,
    allowDestinations: raw['allow_destinations'] ?? defaults.allowDestinations,
    limits: { ...defaults.limits, ...limitsOf(raw['limits']) },
    modules: raw['modules'] ?? defaults.modules,
    trusted: raw['trusted'] ?? defaults.trusted,
    tenants,
    dispatch:
      raw['dispatch'] === undefined
        ? defaults.dispatch
        : raw['dispatch'] === null
          ? null
          : path(raw['dispatch']),
    management,
  };
  checkManagement(
    cfg.management,
    () => {
      const m = isMap(contents)
        ? (contents.get('management', true) as Node | undefined)
        : undefined;
      return w.line(m);
    },
    file,
  );
  return cfg;
}

/** A management listener off loopback without a token would hand the server to the network. */
export function checkManagement(
  m: ManagementConfig,
  line: () => number | null,
  file: string,
): void {
  if (m.listen === null) return;
  const host = m.listen.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  if (!isLoopback(host) && !m.token) {
    throw new ConfigError(
      file,
      line(),
      'management.token',
      `required when management.listen is not loopback (${m.listen})`,
    );
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Reads and parses a config file. @throws ConfigError */
export function loadConfigFile(
  file: string,
  defaults: PolysipConfig,
  env: NodeJS.ProcessEnv = process.env,
): PolysipConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, null, '', `cannot read: ${(e as Error).message}`);
  }
  return parseConfig(text, file, defaults, env);
}

/**
 * The domains a server with this configuration treats as itself (Kamailio's `myself`): the
 * hosts of its listening sockets, its aliases and its tenants' domains, lower-cased, without
 * ports, in that order. A wildcard listener (0.0.0.0, ::) stands for every local address.
 */
export function servedDomains(
  listen: readonly string[],
  aliases: readonly string[],
  tenants: readonly Pick<TenantConfig, 'domains'>[],
): string[] {
  const out = new Set<string>();
  for (const l of listen) {
    const m = LISTEN.exec(l);
    if (m) out.add(m[2]!.replace(/^\[|\]$/g, '').toLowerCase());
  }
  for (const a of aliases) {
    const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(a.trim());
    if (m) out.add(m[1]!.replace(/^\[|\]$/g, '').toLowerCase());
  }
  for (const t of tenants) for (const d of t.domains) out.add(d.toLowerCase());
  return [...out];
}

/** Would a request for `domain` be the server's own with these served domains? */
export function isServedDomain(domain: string, served: readonly string[]): boolean {
  const d = domain.replace(/^\[|\]$/g, '').toLowerCase();
  if (served.includes(d)) return true;
  // A wildcard listener answers for every local address, which a CLI cannot list for sure.
  return isIP(d) !== 0 && served.some((s) => s === '0.0.0.0' || s === '::');
}

/** A database URL fit for a log line: a password in it is replaced by `***`. */
export function redactDbUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}
