/**
 * Bench scenarios: the same routing logic written for Kamailio's native cfg, as one KEMI Lua
 * script that both Kamailio (app_lua) and polysip run, and as the same script in Python
 * (app_python3s module style) and JavaScript (jsdt style) for polysip's other engines.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { subscriberRow } from '../bin/cli-db.ts';
import { openSqliteStore } from '../modules/db_sqlite/index.ts';
import { runSipp } from '../test/kit/sipp.ts';
import { SIPP_BENCH_ARGS } from './measure.ts';
import type { RoutingLogic } from './servers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Files a scenario made before its targets run (databases), removed after the last one. */
export interface ScenarioEnv {
  readonly files: Readonly<Record<string, string>>;
  cleanup(): void;
}

const NO_ENV: ScenarioEnv = { files: {}, cleanup: () => {} };

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** sipp scenario for the load generator: built-in name or XML path. */
  readonly uac: string;
  /** A sipp UAS answers behind the proxy. */
  readonly needsUas: boolean;
  /** sipp scenario of that UAS. */
  readonly uas?: string;
  /** Present when the scenario cannot run yet; the reason is reported instead of numbers. */
  readonly missing?: string;
  /** Builds what every target of the scenario shares (run once, before the first target). */
  prepare?(log: (line: string) => void): Promise<ScenarioEnv>;
  /** More sipp UAC arguments, asked for before every step. */
  uacArgs?(env: ScenarioEnv): readonly string[];
  /**
   * Run once the target is up, before the warm-up step (e.g. registering the callee); a
   * rejection is reported as the target's note instead of numbers.
   */
  afterStart?(t: { serverPort: number; uasPort: number; env: ScenarioEnv }): Promise<void>;
  logic(ctx: { uasPort: number; env: ScenarioEnv }): RoutingLogic;
}

export async function prepareScenario(
  sc: Scenario,
  log: (line: string) => void,
): Promise<ScenarioEnv> {
  return sc.prepare ? sc.prepare(log) : NO_ENV;
}

const AUTH_DOMAIN = 'bench.polysip';
export const SUBSCRIBERS = 100_000;
/** call-auth's callee: the last subscriber (callers are drawn from the others). */
const CALLEE = `u${SUBSCRIBERS - 1}`;

/**
 * Two SQLite files with the same SUBSCRIBERS rows (user uN, password pwN, HA1 only): one in
 * polysip's schema, one in Kamailio's (subscriber table + version row auth_db checks). One
 * transaction each: 100k autocommits would take minutes.
 */
async function makeSubscriberDbs(log: (line: string) => void): Promise<ScenarioEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-bench-subs-'));
  const polysip = join(dir, 'polysip.db');
  const kamailio = join(dir, 'kamailio.db');
  try {
    const t0 = Date.now();
    await openSqliteStore({ path: polysip }).close();
    const ps = new Database(polysip);
    const kam = new Database(kamailio);
    kam.exec(
      'CREATE TABLE version (table_name VARCHAR(32) NOT NULL, table_version INTEGER DEFAULT 0 NOT NULL)',
    );
    kam.exec(readFileSync('/usr/share/kamailio/db_sqlite/auth_db-create.sql', 'utf8'));
    const insP = ps.prepare(
      'INSERT INTO subscriber (username, domain, password, ha1, ha1b, ha1_sha256) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insK = kam.prepare(
      'INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)',
    );
    const rows = Array.from({ length: SUBSCRIBERS }, (_, i) =>
      subscriberRow({ user: `u${i}`, domain: AUTH_DOMAIN }, `pw${i}`, false),
    );
    ps.transaction(() => {
      for (const r of rows) insP.run(r.username, r.domain, r.password, r.ha1, r.ha1b, r.ha1Sha256);
    })();
    kam.transaction(() => {
      for (const r of rows) insK.run(r.username, r.domain, r.password, r.ha1, r.ha1b);
    })();
    ps.close();
    kam.close();
    log(`  ${SUBSCRIBERS} subscribers written to two SQLite files in ${Date.now() - t0} ms`);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    files: { polysip, kamailio },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'stateless',
    title: 'Stateless relay (uac → proxy → uas)',
    uac: 'uac',
    needsUas: true,
    uas: join(HERE, 'sipp/uas.xml'),
    logic: ({ uasPort }) => ({
      kamailioCfg: `
request_route {
  forward("127.0.0.1", ${uasPort});
  exit;
}
`,
      kamailioKemiModules: '',
      lua: `function ksr_request_route()
  KSR.forward_uri("sip:127.0.0.1:${uasPort}")
end
`,
      python: `import KSR

def ksr_request_route():
    KSR.forward_uri("sip:127.0.0.1:${uasPort}")
    return 1
`,
      js: `function ksr_request_route() {
  KSR.forward_uri("sip:127.0.0.1:${uasPort}");
}
`,
    }),
  },
  {
    id: 'stateful',
    title: 'Stateful relay with Record-Route',
    uac: 'uac',
    needsUas: true,
    uas: join(HERE, 'sipp/uas.xml'),
    logic: ({ uasPort }) => {
      const modules = `
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "rr.so"
`;
      return {
        kamailioCfg: `${modules}
request_route {
  if (loose_route()) {
    t_relay();
    exit;
  }
  record_route();
  $du = "sip:127.0.0.1:${uasPort}";
  t_relay();
  exit;
}
`,
        kamailioKemiModules: modules,
        lua: `function ksr_request_route()
  if KSR.rr.loose_route() > 0 then
    KSR.tm.t_relay()
    return
  end
  KSR.rr.record_route()
  KSR.setdsturi("sip:127.0.0.1:${uasPort}")
  KSR.tm.t_relay()
end
`,
        python: `import KSR

def ksr_request_route():
    if KSR.rr.loose_route() > 0:
        KSR.tm.t_relay()
        return 1
    KSR.rr.record_route()
    KSR.setdsturi("sip:127.0.0.1:${uasPort}")
    KSR.tm.t_relay()
    return 1
`,
        js: `function ksr_request_route() {
  if (KSR.rr.loose_route() > 0) {
    KSR.tm.t_relay();
    return;
  }
  KSR.rr.record_route();
  KSR.setdsturi("sip:127.0.0.1:${uasPort}");
  KSR.tm.t_relay();
}
`,
      };
    },
  },
  {
    id: 'register',
    title: 'REGISTER without auth (location in memory)',
    uac: join(HERE, 'sipp/register.xml'),
    needsUas: false,
    logic: () => {
      const modules = `
loadmodule "sl.so"
loadmodule "tm.so"
loadmodule "textops.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("usrloc", "db_mode", 0)
`;
      return {
        kamailioCfg: `${modules}
request_route {
  if (is_method("REGISTER")) {
    save("location");
    exit;
  }
  sl_send_reply("404", "Not here");
  exit;
}
`,
        // The native cfg's save("location") creates the usrloc domain while it is parsed;
        // from KEMI it must be declared up front.
        kamailioKemiModules: `${modules}modparam("usrloc", "preload", "location")\n`,
        lua: `function ksr_request_route()
  if KSR.is_REGISTER() then
    KSR.registrar.save("location", 0)
    return
  end
  KSR.sl.sl_send_reply(404, "Not here")
end
`,
        python: `import KSR

def ksr_request_route():
    if KSR.is_REGISTER():
        KSR.registrar.save("location", 0)
        return 1
    KSR.sl.sl_send_reply(404, "Not here")
    return 1
`,
        js: `function ksr_request_route() {
  if (KSR.is_REGISTER()) {
    KSR.registrar.save("location", 0);
    return;
  }
  KSR.sl.sl_send_reply(404, "Not here");
}
`,
      };
    },
  },
  {
    id: 'register-auth',
    title: 'REGISTER with digest auth, 100,000 subscribers in SQLite',
    uac: join(HERE, 'sipp/register-auth.xml'),
    needsUas: false,
    prepare: makeSubscriberDbs,
    // sipp 3.6.1 does not expand injection-file fields inside [authentication], so each sipp
    // run (one per step) authenticates as one subscriber picked at random; every REGISTER
    // still looks that row up in the 100k-row table (neither server caches credentials).
    uacArgs: () => {
      const i = Math.floor(Math.random() * SUBSCRIBERS);
      return ['-s', `u${i}`, '-au', `u${i}`, '-ap', `pw${i}`, '-key', 'domain', AUTH_DOMAIN];
    },
    logic: ({ env }) => {
      const modules = kamailioAuthModules(env.files.kamailio, ['pv', 'sl', 'tm', 'textops']);
      return {
        kamailioCfg: `${modules}
request_route {
  if (!is_method("REGISTER")) {
    sl_send_reply("404", "Not here");
    exit;
  }
  if (!auth_check("$fd", "subscriber", "1")) {
    auth_challenge("$fd", "1");
    exit;
  }
  save("location");
  exit;
}
`,
        kamailioKemiModules: `${modules}modparam("usrloc", "preload", "location")\n`,
        lua: `function ksr_request_route()
  if not KSR.is_REGISTER() then
    KSR.sl.sl_send_reply(404, "Not here")
    return
  end
  if KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0 then
    KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
    return
  end
  KSR.registrar.save("location", 0)
end
`,
        python: `import KSR

def ksr_request_route():
    if not KSR.is_REGISTER():
        KSR.sl.sl_send_reply(404, "Not here")
        return 1
    if KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0:
        KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
        return 1
    KSR.registrar.save("location", 0)
    return 1
`,
        js: `function ksr_request_route() {
  if (!KSR.is_REGISTER()) {
    KSR.sl.sl_send_reply(404, "Not here");
    return;
  }
  if (KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0) {
    KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1);
    return;
  }
  KSR.registrar.save("location", 0);
}
`,
        // Locations in memory, as Kamailio's usrloc db_mode 0.
        polysipArgs: [
          '--db',
          `sqlite:${env.files.polysip}`,
          '--alias',
          AUTH_DOMAIN,
          '--modparam',
          'usrloc.db_mode=0',
        ],
      };
    },
  },
  {
    id: 'call-auth',
    title: 'Call between two registered, authenticated users',
    uac: join(HERE, 'sipp/call-auth.xml'),
    needsUas: true,
    uas: join(HERE, 'sipp/uas.xml'),
    prepare: makeSubscriberDbs,
    // The callee (the last subscriber) registers its Contact at the sipp UAS, authenticated,
    // once per target. Callers are drawn at random per step, as in register-auth.
    afterStart: async ({ serverPort, uasPort }) => {
      const r = await runSipp({
        scenario: join(HERE, 'sipp/register-callee.xml'),
        remote: `127.0.0.1:${serverPort}`,
        calls: 1,
        rate: 1,
        timeoutSec: 10,
        extraArgs: [
          ...SIPP_BENCH_ARGS,
          '-s',
          CALLEE,
          '-au',
          CALLEE,
          '-ap',
          `pw${SUBSCRIBERS - 1}`,
          '-key',
          'domain',
          AUTH_DOMAIN,
          '-key',
          'contact_port',
          String(uasPort),
        ],
      });
      if (r.successful !== 1) {
        throw new Error(
          `the callee did not register (sipp exit ${r.exitCode}, ${r.failed} failed)`,
        );
      }
    },
    uacArgs: () => {
      const i = Math.floor(Math.random() * (SUBSCRIBERS - 1));
      return [
        '-s',
        `u${i}`,
        '-au',
        `u${i}`,
        '-ap',
        `pw${i}`,
        '-key',
        'domain',
        AUTH_DOMAIN,
        '-key',
        'callee',
        CALLEE,
      ];
    },
    logic: ({ env }) => {
      const modules = kamailioAuthModules(env.files.kamailio, [
        'pv',
        'sl',
        'tm',
        'rr',
        'siputils',
        'textops',
      ]);
      // Same logic everywhere: REGISTER with digest; in-dialog requests along the
      // Record-Route (an ACK without a transaction, e.g. the ACK of the stateless 407, is
      // dropped); new requests authenticated (407), then record_route + lookup + t_relay.
      return {
        kamailioCfg: `${modules}
request_route {
  if (is_method("REGISTER")) {
    if (!auth_check("$fd", "subscriber", "1")) {
      auth_challenge("$fd", "1");
      exit;
    }
    save("location");
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      t_relay();
      exit;
    }
    if (is_method("ACK")) {
      if (t_check_trans()) t_relay();
      exit;
    }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("ACK")) {
    if (t_check_trans()) t_relay();
    exit;
  }
  if (!auth_check("$fd", "subscriber", "1")) {
    auth_challenge("$fd", "1");
    exit;
  }
  consume_credentials();
  record_route();
  if (!lookup("location")) {
    sl_send_reply("404", "Not Found");
    exit;
  }
  t_relay();
  exit;
}
`,
        kamailioKemiModules: `${modules}modparam("usrloc", "preload", "location")\n`,
        lua: `function ksr_request_route()
  if KSR.is_REGISTER() then
    if KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0 then
      KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
      return
    end
    KSR.registrar.save("location", 0)
    return
  end
  if KSR.siputils.has_totag() > 0 then
    if KSR.rr.loose_route() > 0 then
      KSR.tm.t_relay()
      return
    end
    if KSR.is_ACK() then
      if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
      return
    end
    KSR.sl.sl_send_reply(404, "Not here")
    return
  end
  if KSR.is_ACK() then
    if KSR.tm.t_check_trans() > 0 then KSR.tm.t_relay() end
    return
  end
  if KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0 then
    KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
    return
  end
  KSR.auth.consume_credentials()
  KSR.rr.record_route()
  if KSR.registrar.lookup("location") < 0 then
    KSR.sl.sl_send_reply(404, "Not Found")
    return
  end
  KSR.tm.t_relay()
end
`,
        python: `import KSR

def ksr_request_route():
    if KSR.is_REGISTER():
        if KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0:
            KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
            return 1
        KSR.registrar.save("location", 0)
        return 1
    if KSR.siputils.has_totag() > 0:
        if KSR.rr.loose_route() > 0:
            KSR.tm.t_relay()
            return 1
        if KSR.is_ACK():
            if KSR.tm.t_check_trans() > 0:
                KSR.tm.t_relay()
            return 1
        KSR.sl.sl_send_reply(404, "Not here")
        return 1
    if KSR.is_ACK():
        if KSR.tm.t_check_trans() > 0:
            KSR.tm.t_relay()
        return 1
    if KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0:
        KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1)
        return 1
    KSR.auth.consume_credentials()
    KSR.rr.record_route()
    if KSR.registrar.lookup("location") < 0:
        KSR.sl.sl_send_reply(404, "Not Found")
        return 1
    KSR.tm.t_relay()
    return 1
`,
        js: `function ksr_request_route() {
  if (KSR.is_REGISTER()) {
    if (KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0) {
      KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1);
      return;
    }
    KSR.registrar.save("location", 0);
    return;
  }
  if (KSR.siputils.has_totag() > 0) {
    if (KSR.rr.loose_route() > 0) {
      KSR.tm.t_relay();
      return;
    }
    if (KSR.is_ACK()) {
      if (KSR.tm.t_check_trans() > 0) KSR.tm.t_relay();
      return;
    }
    KSR.sl.sl_send_reply(404, "Not here");
    return;
  }
  if (KSR.is_ACK()) {
    if (KSR.tm.t_check_trans() > 0) KSR.tm.t_relay();
    return;
  }
  if (KSR.auth_db.auth_check(KSR.pv.get("$fd"), "subscriber", 1) < 0) {
    KSR.auth.auth_challenge(KSR.pv.get("$fd"), 1);
    return;
  }
  KSR.auth.consume_credentials();
  KSR.rr.record_route();
  if (KSR.registrar.lookup("location") < 0) {
    KSR.sl.sl_send_reply(404, "Not Found");
    return;
  }
  KSR.tm.t_relay();
}
`,
        polysipArgs: [
          '--db',
          `sqlite:${env.files.polysip}`,
          '--alias',
          AUTH_DOMAIN,
          '--modparam',
          'usrloc.db_mode=0',
        ],
      };
    },
  },
];

/**
 * Kamailio's modules for the digest scenarios: `base` first, then SQLite credentials (HA1
 * column, domain used, nothing computed) and usrloc in memory, as polysip is configured.
 */
function kamailioAuthModules(sqliteFile: string, base: readonly string[]): string {
  const load = [...base, 'db_sqlite', 'auth', 'auth_db', 'usrloc', 'registrar'];
  return `
${load.map((m) => `loadmodule "${m}.so"`).join('\n')}
modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "sqlite:///${sqliteFile}")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 1)
`;
}
