/** The `polysip` command line. */
import { Command, Option } from 'commander';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { LOG_LEVELS, type LogLevel } from '../core/log.ts';
import { startPolysip } from './app.ts';
import { registerDbCommands } from './cli-db.ts';
import { DEFAULT_DB_URL, parseModparams } from './storage.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command('polysip').description(
  'A SIP server whose routing is a Lua, Python or JavaScript script calling the KSR API',
);

program
  .command('run')
  .description('run the SIP server')
  .option('--listen <proto:host:port>', 'a listening socket (repeatable)', collect, [])
  .option('--alias <domain>', 'a domain this server answers for (repeatable)', collect, [])
  .option('--script <file>', 'the routing script', join(root, 'scripts', 'default.lua'))
  .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
  .option('--allow-destinations <cidr>', 'only send to these networks (repeatable)', collect, [])
  .option('--cpu-ms <ms>', 'CPU budget per route call in milliseconds', (v) => Number(v))
  .option(
    '--db <url>',
    'database: sqlite:PATH or postgres://… (default $POLYSIP_DB or ' + DEFAULT_DB_URL + ')',
  )
  .option('--modparam <module.param=value>', 'a module parameter (repeatable)', collect, [])
  .action(
    async (opts: {
      listen: string[];
      alias: string[];
      script: string;
      logLevel: LogLevel;
      allowDestinations: string[];
      cpuMs?: number;
      db?: string;
      modparam: string[];
    }) => {
      const announce = pino({
        base: { name: 'polysip' },
        timestamp: pino.stdTimeFunctions.isoTime,
      });
      try {
        const app = await startPolysip({
          listen:
            opts.listen.length > 0 ? opts.listen : ['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060'],
          aliases: opts.alias,
          script: opts.script,
          logLevel: opts.logLevel,
          allowDestinations: opts.allowDestinations.length > 0 ? opts.allowDestinations : undefined,
          limits: opts.cpuMs ? { cpuMs: opts.cpuMs } : undefined,
          db: opts.db ?? process.env['POLYSIP_DB'] ?? DEFAULT_DB_URL,
          modparams: parseModparams(opts.modparam),
        });
        // Always announced, whatever the log level: tests and the bench read the ports from here.
        for (const l of app.listeners) {
          announce.info({ transport: l.transport, host: l.host, port: l.port }, 'listening');
        }
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          announce.info({ signal }, 'stopping');
          app.stop().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      } catch (e) {
        process.stderr.write(`polysip: ${(e as Error).message}\n`);
        process.exit(1);
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

await program.parseAsync(process.argv);
