/**
 * Database subcommands of the `polysip` CLI (as kamctl's): subscribers (`user`), group
 * membership (`acl`), the permissions address table (`address`) and the location table
 * (`ul`, read and edited in the database directly while no management RPC exists).
 */
import type { Command } from 'commander';
import { isIP } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUri } from '../core/sip/uri.ts';
import type { Store, Subscriber } from '../core/store/types.ts';
import { computeHa1 } from '../modules/auth/digest.ts';
import { DEFAULT_DB_URL, openStore } from './storage.ts';
import { defaultConfig, isServedDomain, loadConfigFile, servedDomains } from './config.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** An error to print as `polysip: message` with exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'POLYSIP_ERR_CLI';
}

export interface UserAddress {
  readonly user: string;
  readonly domain: string;
}

/** `alice@example.com` or `sip:alice@example.com` → user and lower-cased domain. */
export function parseUserAddress(text: string): UserAddress {
  const t = text.trim();
  const uriText = /^sips?:/i.test(t) ? t : `sip:${t}`;
  let uri;
  try {
    uri = parseUri(uriText);
  } catch (e) {
    throw new CliError(`bad user URI "${text}": ${(e as Error).message}`);
  }
  if (
    !uri.user ||
    uri.host === '' ||
    uri.port !== null ||
    uri.params.length > 0 ||
    uri.headers.length > 0
  ) {
    throw new CliError(`bad user URI "${text}" (expected USER@DOMAIN)`);
  }
  if (uri.password !== null) throw new CliError(`bad user URI "${text}": no password in the URI`);
  return { user: uri.user, domain: uri.host.toLowerCase() };
}

export function subscriberRow(a: UserAddress, password: string, keepPlain: boolean): Subscriber {
  return {
    username: a.user,
    domain: a.domain,
    password: keepPlain ? password : '',
    ha1: computeHa1('MD5', a.user, a.domain, password),
    ha1b: computeHa1('MD5', `${a.user}@${a.domain}`, a.domain, password),
    ha1Sha256: computeHa1('SHA-256', a.user, a.domain, password),
  };
}

function checkPassword(pw: string): string {
  if (pw === '') throw new CliError('the password must not be empty');
  return pw;
}

interface DbOpt {
  db?: string;
}

async function withStore<T>(
  opts: DbOpt,
  create: boolean,
  fn: (s: Store) => Promise<T>,
): Promise<T> {
  const url = opts.db ?? process.env['POLYSIP_DB'] ?? DEFAULT_DB_URL;
  let store: Store;
  try {
    store = await openStore(url, { mustExist: !create });
  } catch (e) {
    const msg = (e as Error).message;
    throw new CliError(
      /does not exist|SQLITE_CANTOPEN|unable to open/i.test(msg)
        ? `no database at ${url} (run "polysip user add" first, or pass --db URL)`
        : msg,
    );
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function out(line: string): void {
  process.stdout.write(line + '\n');
}

function parseNetwork(text: string): { ip: string; mask: number } {
  const [ip, maskText] = text.split('/');
  const fam = isIP(ip ?? '');
  if (fam === 0) throw new CliError(`bad IP address "${text}"`);
  const max = fam === 4 ? 32 : 128;
  const mask = maskText === undefined ? max : Number(maskText);
  if (!Number.isInteger(mask) || mask < 0 || mask > max)
    throw new CliError(`bad network mask in "${text}"`);
  return { ip: ip!, mask };
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`bad port "${text}"`);
  return n;
}

function parseGroupId(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`bad address group "${text}" (a number)`);
  return n;
}

/** Runs an action, turning errors into `polysip: …` on stderr and exit code 1. */
function action<A extends unknown[]>(fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
    } catch (e) {
      process.stderr.write(`polysip: ${(e as Error).message}\n`);
      process.exitCode = 1;
    }
  };
}

export function registerDbCommands(program: Command): void {
  const dbOption = [
    '--db <url>',
    `database (sqlite:PATH or postgres://…; default ${DEFAULT_DB_URL} or $POLYSIP_DB)`,
  ] as const;

  const user = program.command('user').description('subscribers (like kamctl add/passwd/rm)');
  user
    .command('add <user@domain> <password>')
    .description('add a subscriber (stores HA1 hashes; --plaintext also keeps the password)')
    .option(...dbOption)
    .option('--plaintext', 'also store the plain password (needed for calculate_ha1=1)')
    .option(
      '--config <file>',
      'the polysip.yaml the server runs with (to check the domain is one it serves)',
    )
    .action(
      action(
        async (addr: string, pw: string, o: DbOpt & { plaintext?: boolean; config?: string }) => {
          const a = parseUserAddress(addr);
          checkPassword(pw);
          const cfg = o.config ? loadConfigFile(o.config, defaultConfig(root)) : null;
          await withStore({ db: o.db ?? cfg?.database }, true, async (s) => {
            if (await s.subscribers.get(a.user, a.domain))
              throw new CliError(`user ${a.user}@${a.domain} already exists`);
            await s.subscribers.put(subscriberRow(a, pw, o.plaintext === true));
          });
          out(`added ${a.user}@${a.domain}`);
          // Added all the same (the server may be started with --alias later), but a REGISTER
          // for a domain the server does not serve is refused with 403 Not relaying.
          const c = cfg ?? defaultConfig(root);
          const served = servedDomains(c.listen, c.aliases, c.tenants);
          if (!isServedDomain(a.domain, served)) {
            process.stderr.write(
              `polysip: warning: ${a.domain} is not a domain ${o.config ? o.config : 'the default configuration'} ` +
                `serves (${served.join(', ')}); start the server with --alias ${a.domain} ` +
                `(or list it under aliases: in polysip.yaml), or REGISTERs for ${a.user}@${a.domain} ` +
                `get 403 Not relaying\n`,
            );
          }
        },
      ),
    );
  user
    .command('passwd <user@domain> <password>')
    .description("change a subscriber's password")
    .option(...dbOption)
    .option('--plaintext', 'also store the plain password')
    .action(
      action(async (addr: string, pw: string, o: DbOpt & { plaintext?: boolean }) => {
        const a = parseUserAddress(addr);
        checkPassword(pw);
        await withStore(o, false, async (s) => {
          if (!(await s.subscribers.get(a.user, a.domain)))
            throw new CliError(`unknown user ${a.user}@${a.domain}`);
          await s.subscribers.put(subscriberRow(a, pw, o.plaintext === true));
        });
        out(`password changed for ${a.user}@${a.domain}`);
      }),
    );
  user
    .command('rm <user@domain>')
    .description('remove a subscriber (and its group memberships)')
    .option(...dbOption)
    .action(
      action(async (addr: string, o: DbOpt) => {
        const a = parseUserAddress(addr);
        await withStore(o, false, async (s) => {
          if (!(await s.subscribers.remove(a.user, a.domain)))
            throw new CliError(`unknown user ${a.user}@${a.domain}`);
          for (const g of await s.groups.list(a.user, a.domain))
            await s.groups.remove(a.user, a.domain, g.group);
        });
        out(`removed ${a.user}@${a.domain}`);
      }),
    );
  user
    .command('list [domain]')
    .description('list subscribers')
    .option(...dbOption)
    .action(
      action(async (domain: string | undefined, o: DbOpt) => {
        await withStore(o, false, async (s) => {
          for (const u of await s.subscribers.list(domain?.toLowerCase()))
            out(`${u.username}@${u.domain}`);
        });
      }),
    );

  const acl = program.command('acl').description('group membership (like kamctl acl)');
  acl
    .command('grant <user@domain> <group>')
    .description('put a subscriber in a group')
    .option(...dbOption)
    .action(
      action(async (addr: string, group: string, o: DbOpt) => {
        const a = parseUserAddress(addr);
        if (!/^[A-Za-z0-9_.-]+$/.test(group)) throw new CliError(`bad group name "${group}"`);
        await withStore(o, false, async (s) => {
          if (!(await s.subscribers.get(a.user, a.domain)))
            throw new CliError(`unknown user ${a.user}@${a.domain}`);
          await s.groups.add(a.user, a.domain, group);
        });
        out(`${a.user}@${a.domain} is in ${group}`);
      }),
    );
  acl
    .command('revoke <user@domain> [group]')
    .description('take a subscriber out of a group (of every group without one)')
    .option(...dbOption)
    .action(
      action(async (addr: string, group: string | undefined, o: DbOpt) => {
        const a = parseUserAddress(addr);
        await withStore(o, false, async (s) => {
          const groups =
            group === undefined
              ? (await s.groups.list(a.user, a.domain)).map((g) => g.group)
              : [group];
          let n = 0;
          for (const g of groups) if (await s.groups.remove(a.user, a.domain, g)) n++;
          if (n === 0)
            throw new CliError(`${a.user}@${a.domain} is not in ${group ?? 'any group'}`);
        });
        out(`revoked ${group ?? 'all groups'} from ${a.user}@${a.domain}`);
      }),
    );
  acl
    .command('show [user@domain]')
    .description('list group memberships')
    .option(...dbOption)
    .action(
      action(async (addr: string | undefined, o: DbOpt) => {
        const a = addr === undefined ? null : parseUserAddress(addr);
        await withStore(o, false, async (s) => {
          for (const g of await (a ? s.groups.list(a.user, a.domain) : s.groups.list())) {
            out(`${g.username}@${g.domain} ${g.group}`);
          }
        });
      }),
    );

  const address = program.command('address').description('permissions address table');
  address
    .command('add <group> <ip[/mask]> [port] [tag]')
    .description('allow an address or network in a group (port 0 or absent = any)')
    .option(...dbOption)
    .action(
      action(
        async (
          grp: string,
          net: string,
          port: string | undefined,
          tag: string | undefined,
          o: DbOpt,
        ) => {
          const g = parseGroupId(grp);
          const n = parseNetwork(net);
          const p = parsePort(port);
          await withStore(o, true, (s) =>
            Promise.resolve(
              s.addresses.add({ group: g, ip: n.ip, mask: n.mask, port: p, tag: tag ?? '' }),
            ),
          );
          out(`added ${n.ip}/${n.mask}${p ? ` port ${p}` : ''} to group ${g}`);
        },
      ),
    );
  address
    .command('rm <group> <ip[/mask]> [port]')
    .description('remove an address from a group')
    .option(...dbOption)
    .action(
      action(async (grp: string, net: string, port: string | undefined, o: DbOpt) => {
        const g = parseGroupId(grp);
        const n = parseNetwork(net);
        await withStore(o, false, async (s) => {
          const removed = await s.addresses.remove(
            g,
            n.ip,
            n.mask,
            port === undefined ? undefined : parsePort(port),
          );
          if (removed === 0) throw new CliError(`${n.ip}/${n.mask} is not in group ${g}`);
        });
        out(`removed ${n.ip}/${n.mask} from group ${g}`);
      }),
    );
  address
    .command('list')
    .description('list the address table')
    .option(...dbOption)
    .action(
      action(async (o: DbOpt) => {
        await withStore(o, false, async (s) => {
          for (const e of await s.addresses.list())
            out(`${e.group} ${e.ip}/${e.mask} ${e.port}${e.tag ? ` ${e.tag}` : ''}`);
        });
      }),
    );

  const ul = program.command('ul').description('location table (registered contacts)');
  ul.command('show [aor]')
    .description('list bindings (of one AoR: user@domain, or user when use_domain is 0)')
    .option(...dbOption)
    .action(
      action(async (aor: string | undefined, o: DbOpt) => {
        const key = aor?.replace(/^sips?:/i, '');
        await withStore(o, false, async (s) => {
          const now = Math.floor(Date.now() / 1000);
          for (const r of await s.location.list(key)) {
            out(
              `${r.aor} ${r.contact} expires=${Math.max(0, r.expires - now)}${r.q >= 0 ? ` q=${r.q}` : ''}${r.received ? ` received=${r.received}` : ''}`,
            );
          }
        });
      }),
    );
  ul.command('rm <aor>')
    .description(
      'remove every binding of an AoR (a running server keeps its memory copy until restart)',
    )
    .option(...dbOption)
    .action(
      action(async (aor: string, o: DbOpt) => {
        const key = aor.replace(/^sips?:/i, '');
        await withStore(o, false, async (s) => {
          if ((await s.location.removeAor(key)) === 0) throw new CliError(`no bindings for ${key}`);
        });
        out(`removed bindings of ${key}`);
      }),
    );
}
