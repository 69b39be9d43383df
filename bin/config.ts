/**
 * `polysip.yaml`: the deployment's configuration file. Parsed with the yaml package's document
 * API so every error names the key path and the line it is on; an unknown key is an error (a
 * typo must not silently fall back to a default). `${NAME}` in a string value is replaced by
 * the environment variable NAME, so secrets stay out of the file.
 */
import { readFileSync } from 'node:fs';
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
  /** Request domains (R-URI host) this tenant answers for. */
  readonly domains: readonly string[];
  readonly script: string;
  readonly limits: Partial<ScriptLimits>;
  readonly modules: ModuleParams;
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
  /** Parsed and validated; not routed yet (one script serves every domain). */
  readonly tenants: readonly TenantConfig[];
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
    tenants: [],
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

// ---- a small schema: enough to name each bad key and line ---------------------------------

type Spec =
  | { t: 'string'; pattern?: RegExp; hint?: string; oneOf?: readonly string[] }
  | { t: 'int'; min?: number }
  | { t: 'bool' }
  | { t: 'list'; of: Spec }
  | { t: 'object'; fields: Readonly<Record<string, Spec>> }
  /** Free keys (module names, modparam names) with values of one spec. */
  | { t: 'dict'; key: RegExp; of: Spec }
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
const MODULES: Spec = { t: 'dict', key: IDENT, of: { t: 'dict', key: IDENT, of: { t: 'scalar' } } };

const SCHEMA: Spec = {
  t: 'object',
  fields: {
    listen: {
      t: 'list',
      of: {
        t: 'string',
        pattern: LISTEN,
        hint: 'proto:host:port, proto one of udp|tcp|tls|ws|wss',
      },
    },
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
    tenants: {
      t: 'list',
      of: {
        t: 'object',
        fields: {
          name: { t: 'string', pattern: IDENT, hint: 'letters, digits, _' },
          domains: { t: 'list', of: { t: 'string' } },
          script: { t: 'string' },
          limits: LIMITS,
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

const REQUIRED_TENANT_KEYS = ['name', 'domains', 'script'] as const;

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
      const v = expandEnv(
        node.value,
        (name) => fail(`environment variable ${name} is not set`),
        w.env,
      );
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
      if (typeof v === 'string')
        return expandEnv(v, (n) => fail(`environment variable ${n} is not set`), w.env);
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
    const domains = (t['domains'] as string[]).map((d) => d.toLowerCase());
    for (const d of domains) {
      const other = seenDomains.get(d);
      if (other) {
        throw new ConfigError(
          file,
          w.line(node),
          `tenants[${i}].domains`,
          `domain "${d}" already belongs to tenant "${other}"`,
        );
      }
      seenDomains.set(d, name);
    }
    tenants.push({
      name,
      domains,
      script: path(t['script'] as string),
      limits: limitsOf(t['limits'] as Record<string, number> | undefined),
      modules: (t['modules'] as ModuleParams | undefined) ?? {},
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
    tenants,
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
