import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_GROUP } from '../../local/auth-config.js';
import { signToken } from '../../local/signing-key.js';
import { startLocalStack } from '../../local/stack.js';

describe('local stack data dir', () => {
  const directories: string[] = [];

  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  it('persists under a relative data dir across restarts', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'comm-persist-'));
    directories.push(directory);
    // Relative to the working directory, as `npm start` passes `.local`.
    const dataDir = relative(process.cwd(), directory);

    const first = await startLocalStack({ port: 0, dataDir, logLevel: 'silent' });
    const admin = signToken(first.signingKey, { sub: 'admin-1', groups: [ADMIN_GROUP] });
    const created = await fetch(`${first.url}/api/admin/channels`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Kept' }),
    }).then((response) => response.json() as Promise<{ id: string }>);
    await first.stop();
    const second = await startLocalStack({ port: 0, dataDir, logLevel: 'silent' });
    const read = await fetch(`${second.url}/api/mobile/channels/${created.id}`, { headers: { authorization: `Bearer ${admin}` } });
    const body = (await read.json()) as { title: string };
    await second.stop();

    expect(read.status).toBe(200);
    expect(body.title).toBe('Kept');
  });
});
