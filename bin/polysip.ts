/** The `polysip` command line. */
import { Command, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import { dirname, extname, resolve } from 'node:path';
import { pino } from 'pino';
import { LOG_LEVELS, type LogLevel } from '../core/log.ts';
import { startPolysip } from './app.ts';
import { registerDbCommands } from './cli-db.ts';
import { DEFAULT_DB_URL, parseModparams } from './storage.ts';
import {
  ManagementUnreachable,
  RPC_METHOD_NOT_FOUND,
  RpcError,
  rpcCall,
} from '../core/mgmt/server.ts';
import {
  DEFAULT_MANAGEMENT_LISTEN,
  checkManagement,
  defaultConfig,
  loadConfigFile,
  redactDbUrl,
  servedDomains,
} from './config.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command('polysip').description(
  'A SIP server whose routing is a Lua, Python or JavaScript script calling the KSR API',
);

program
  .command('run')
  .description('run the SIP server')
  .option('--config <file>', 'a polysip.yaml (flags given here override it)')
  .option('--listen <proto:host:port>', 'a listening socket (repeatable)', collect, [])
  .option('--alias <domain>', 'a domain this server answers for (repeatable)', collect, [])
  .option('--script <file>', 'the routing script (default scripts/default.lua)')
  .addOption(new Option('--log-level <level>', 'log level (default info)').choices(LOG_LEVELS))
  .option('--allow-destinations <cidr>', 'only send to these networks (repeatable)', collect, [])
  .option('--cpu-ms <ms>', 'CPU budget per route call in milliseconds', (v) => Number(v))
  .option(
    '--db <url>',
    'database: sqlite:PATH or postgres://… (default $POLYSIP_DB or ' + DEFAULT_DB_URL + ')',
  )
  .option('--modparam <module.param=value>', 'a module parameter (repeatable)', collect, [])
  .option(
    '--management <host:port|off>',
    `JSON-RPC and /metrics listener (default ${DEFAULT_MANAGEMENT_LISTEN}; token: $POLYSIP_MGMT_TOKEN)`,
  )
  .option('--watch', 'reload the script when its file changes')
  .option(
    '--trusted',
    "run the script in the SIP thread (fastest; for the operator's own script) instead of an isolated worker",
  )
  .action(
    async (opts: {
      config?: string;
      listen: string[];
      alias: string[];
      script?: string;
      logLevel?: LogLevel;
      allowDestinations: string[];
      cpuMs?: number;
      db?: string;
      modparam: string[];
      management?: string;
      watch?: boolean;
      trusted?: boolean;
    }) => {
      const announce = pino({
        base: { name: 'polysip' },
        timestamp: pino.stdTimeFunctions.isoTime,
      });
      try {
        // Precedence: flags, then environment, then the config file, then the embedded defaults.
        const defaults = defaultConfig(root);
        const cfg = opts.config ? loadConfigFile(opts.config, defaults) : defaults;
        const modparams = parseModparams(opts.modparam);
        const merged: Record<string, Record<string, string | number>> = {};
        for (const src of [cfg.modules, modparams]) {
          for (const [mod, ps] of Object.entries(src)) merged[mod] = { ...merged[mod], ...ps };
        }
        const mgmtListen =
          opts.management === undefined
            ? cfg.management.listen
            : opts.management === 'off'
              ? null
              : opts.management;
        const management = {
          listen: mgmtListen,
          token: process.env['POLYSIP_MGMT_TOKEN'] ?? cfg.management.token,
        };
        checkManagement(management, () => null, '--management');
        const allow =
          opts.allowDestinations.length > 0 ? opts.allowDestinations : cfg.allowDestinations;
        const listen = opts.listen.length > 0 ? opts.listen : cfg.listen;
        const aliases = opts.alias.length > 0 ? opts.alias : cfg.aliases;
        const script = resolve(opts.script ?? cfg.script);
        const db = opts.db ?? process.env['POLYSIP_DB'] ?? cfg.database;
        const placement = (opts.trusted ?? cfg.trusted) ? 'in-thread' : 'isolated';
        const app = await startPolysip({
          listen,
          aliases,
          script,
          placement,
          logLevel: opts.logLevel ?? cfg.logLevel,
          allowDestinations: allow ? [...allow] : undefined,
          limits: opts.cpuMs ? { ...cfg.limits, cpuMs: opts.cpuMs } : cfg.limits,
          db,
          modparams: merged,
          routes: cfg.routes,
          selftest: cfg.selftest,
          watch: opts.watch ?? cfg.watch,
          tenants: cfg.tenants,
          dispatch: cfg.dispatch,
          management: management.listen
            ? { listen: management.listen, token: management.token }
            : null,
        });
        // Always announced, whatever the log level: tests and the bench read the ports from here.
        for (const l of app.listeners) {
          announce.info({ transport: l.transport, host: l.host, port: l.port }, 'listening');
        }
        if (app.management) {
          announce.info(
            { transport: 'http', host: app.management.host, port: app.management.port },
            'management listening',
          );
        }
        if (app.tenants.size > 0) {
          announce.info({ tenants: [...app.tenants.keys()] }, 'tenants routed');
        }
        // What a first run needs to know: which script, which database, and which domains are
        // this server's (a REGISTER for any other domain is relayed, or refused with 403).
        const domains = servedDomains(listen, aliases, cfg.tenants);
        announce.info(
          {
            script,
            engine: extname(script).slice(1),
            placement,
            db: redactDbUrl(db),
            domains,
          },
          `polysip started: script ${script}, database ${redactDbUrl(db)}, serving ${domains.join(', ')}` +
            ' (add domains with --alias)',
        );
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          announce.info({ signal }, 'stopping');
          app.stop().then(
            () => {
              announce.info({ signal }, 'stopped');
              process.exit(0);
            },
            (e: Error) => {
              announce.error({ signal, err: e.message }, 'stopped with an error');
              process.exit(1);
            },
          );
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGHUP', () => {
          void app.scripts.reload();
          for (const t of app.tenants.values()) void t.scripts.reload();
          void app.dispatch?.reload();
        });
      } catch (e) {
        process.stderr.write(`polysip: ${(e as Error).message}\n`);
        process.exit(1);
      }
    },
  );

const CTL_ALIASES: Record<string, string> = {
  // kamcmd's `help` without a command lists the commands, as system.listMethods does.
  help: 'system.listMethods',
  reload: 'script.reload',
  rollback: 'script.rollback',
  version: 'script.version',
};

program
  .command('ctl')
  .description(
    'call a management command, as kamcmd (e.g. ctl reload, ctl ul.dump, ctl ul.lookup alice)',
  )
  .argument(
    '<method>',
    'an RPC method (core.version, ul.dump, script.reload…), reload|rollback|version, or help (lists the methods)',
  )
  .argument(
    '[args...]',
    'positional parameters (integers are sent as numbers; prefix s: to force a string)',
  )
  .option(
    '--url <url>',
    'management URL (default $POLYSIP_MGMT_URL or from --config or http://' +
      DEFAULT_MANAGEMENT_LISTEN +
      '/RPC)',
  )
  .option('--config <file>', 'read the management address and token from this polysip.yaml')
  .option('--token <token>', 'management token (default $POLYSIP_MGMT_TOKEN)')
  .action(
    async (
      method: string,
      args: string[],
      opts: { url?: string; config?: string; token?: string },
    ) => {
      try {
        const cfg = opts.config ? loadConfigFile(opts.config, defaultConfig(root)) : null;
        const listen = cfg?.management.listen ?? DEFAULT_MANAGEMENT_LISTEN;
        const url = opts.url ?? process.env['POLYSIP_MGMT_URL'] ?? `http://${listen}/RPC`;
        const token =
          opts.token ?? process.env['POLYSIP_MGMT_TOKEN'] ?? cfg?.management.token ?? null;
        const params = args.map((a) =>
          a.startsWith('s:') ? a.slice(2) : /^-?\d+$/.test(a) ? Number(a) : a,
        );
        const rpcMethod = CTL_ALIASES[method] ?? method;
        const result = await rpcCall(url, rpcMethod, params, token);
        const text =
          typeof result === 'string'
            ? result
            : rpcMethod === 'system.listMethods' && Array.isArray(result)
              ? result.join('\n')
              : JSON.stringify(result, null, 2);
        process.stdout.write(`${text}\n`);
      } catch (e) {
        // The message says it all (a refused script's file:line is in it); the error's data
        // is for programs, which call the RPC themselves.
        let text = (e as Error).message;
        if (e instanceof ManagementUnreachable) {
          text += '. Is the server started (npx polysip run)? Otherwise give --url or --config.';
        } else if (e instanceof RpcError && e.rpcCode === RPC_METHOD_NOT_FOUND) {
          text += ' (`polysip ctl help` lists the methods)';
        }
        process.stderr.write(`polysip ctl: ${text}\n`);
        process.exitCode = 1;
      }
    },
  );

registerDbCommands(program);

// A bug on one message's path must not take the server down for every other caller.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`polysip: unhandled rejection: ${String(reason)}\n`);
});
process.on('uncaughtException', (err) => {
  process.stderr.write(`polysip: uncaught exception: ${err.stack ?? String(err)}\n`);
});

void program.parseAsync(process.argv);
