/**
 * Bench scenarios: the same routing logic written for Kamailio's native cfg, and as one KEMI
 * Lua script that both Kamailio (app_lua) and polysip run. Python and JS versions are added
 * when polysip's engines exist; until then the rows say so.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RoutingLogic } from './servers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

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
  logic(ctx: { uasPort: number }): RoutingLogic;
}

const MISSING_ENGINE = {
  python: 'not yet implemented (needs the Python engine)',
  js: 'not yet implemented (needs the JS engine)',
} as const;

export const ENGINE_MISSING: Readonly<Record<'python' | 'js', string>> = MISSING_ENGINE;

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
      };
    },
  },
  {
    id: 'register-auth',
    title: 'REGISTER with digest auth, 100,000 subscribers in SQLite',
    uac: '',
    needsUas: false,
    missing: 'not yet implemented (needs registrar/auth)',
    logic: () => ({ kamailioCfg: '', kamailioKemiModules: '', lua: '' }),
  },
  {
    id: 'call-auth',
    title: 'Call between two registered, authenticated users',
    uac: '',
    needsUas: false,
    missing: 'not yet implemented (needs registrar/auth)',
    logic: () => ({ kamailioCfg: '', kamailioKemiModules: '', lua: '' }),
  },
];
