/** A throw-away SQLite database for interop tests, pre-provisioned before polysip starts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../modules/db_sqlite/index.ts';

/**
 * Returns a `sqlite:` URL whose address table trusts these IPs (group 1), as Kamailio's
 * default script checks with allow_source_address(1): trusted peers skip authentication
 * and may relay to foreign domains.
 */
export async function trustedSourcesDb(ips: readonly string[]): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'polysip-db-')), 'polysip.db');
  const store = openSqliteStore({ path });
  for (const ip of ips)
    await store.addresses.add({
      group: 1,
      ip,
      mask: ip.includes(':') ? 128 : 32,
      port: 0,
      tag: 'test',
    });
  await store.close();
  return `sqlite:${path}`;
}
