import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import { runRestoreDrill } from '../../local/restore-drill.js';
import { exportFilePath, type TableExportFile } from '../../local/table-backup.js';

/** Small enough to run in a few seconds, large enough for paginated scans and tombstones (every 7th seq). */
const DRILL_SIZE = { channels: 2, postsPerChannel: 12 } as const;

async function rewriteExport(exportDir: string, table: 'posts' | 'messages' | 'idempotency', change: (file: TableExportFile) => TableExportFile): Promise<void> {
  const path = exportFilePath(exportDir, table);
  const file = JSON.parse(await readFile(path, 'utf8')) as TableExportFile;
  await writeFile(path, JSON.stringify(change(file)));
}

describe('runRestoreDrill', () => {
  it('passes on an intact export', async () => {
    const report = await runRestoreDrill({ ...DRILL_SIZE, dynamoEndpoint: inject('dynamoEndpoint') });

    expect(report.failures).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.exported.channels).toBe(2);
    expect(report.exported.posts).toBe(24);
    expect(report.exported.access).toBe(4);
    // One linked forum per channel, with a topic of an opening message and 8 replies, and a mute.
    expect(report.exported.forums).toBe(2);
    expect(report.exported.topics).toBe(2);
    expect(report.exported.messages).toBe(18);
    expect(report.exported.posting_state).toBe(2);
    expect(report.restore.written).toBe(Object.values(report.exported).reduce((sum, count) => sum + count, 0));
    expect(report.channels.map((channel) => channel.tombstones)).toEqual([1, 1]);
    expect(report.nextPublish.seq).toBe(13);
    expect(report.nextPublish.expectedSeq).toBe(13);
  });

  it('reports a post lost from the export', async () => {
    let lost: { channelId: string; seq: number } | undefined;

    const report = await runRestoreDrill({
      ...DRILL_SIZE,
      dynamoEndpoint: inject('dynamoEndpoint'),
      beforeRestore: (exportDir) =>
        rewriteExport(exportDir, 'posts', (file) => {
          const channelId = file.items[0]!.channel_id!.S!;
          lost = { channelId, seq: 5 };
          return { ...file, items: file.items.filter((item) => !(item.channel_id!.S === channelId && item.seq!.N === '5')) };
        }),
    });

    expect(report.passed).toBe(false);
    expect(report.failures).toEqual([
      `posts: after the restore, item {"channel_id":"${lost!.channelId}","seq":5} missing`,
      `channel ${lost!.channelId}: seq 5 missing, so 1..12 has a gap`,
    ]);
  });

  it('reports a message lost from the export', async () => {
    let topicId: string | undefined;

    const report = await runRestoreDrill({
      ...DRILL_SIZE,
      dynamoEndpoint: inject('dynamoEndpoint'),
      beforeRestore: (exportDir) =>
        rewriteExport(exportDir, 'messages', (file) => {
          topicId = file.items[0]!.topic_id!.S!;
          return { ...file, items: file.items.filter((item) => !(item.topic_id!.S === topicId && item.seq!.N === '3')) };
        }),
    });

    expect(report.passed).toBe(false);
    expect(report.failures).toContainEqual(`topic ${topicId}: seq 3 missing, so 1..9 has a gap`);
  });

  it('reports a replay that differs', async () => {
    const report = await runRestoreDrill({
      ...DRILL_SIZE,
      dynamoEndpoint: inject('dynamoEndpoint'),
      beforeRestore: (exportDir) =>
        rewriteExport(exportDir, 'idempotency', (file) => ({
          ...file,
          items: file.items.map((item) => ({ ...item, response_body: { S: '{"tampered":true}' } })),
        })),
    });

    expect(report.passed).toBe(false);
    expect(report.failures).toContainEqual(expect.stringMatching(/^idempotency: after the restore, items .* not equal to the export$/));
    expect(report.failures).toContainEqual(expect.stringMatching(/^replay of POST \/api\/admin\/channels\/[^/]+\/posts: body differs from the original response$/));
  });

  it('rejects a size above the bound', async () => {
    await expect(runRestoreDrill({ channels: 11 })).rejects.toThrow(new RangeError('Invalid channels 11: expected an integer from 1 to 10, which keeps the drill to a few hundred items'));
  });
});
