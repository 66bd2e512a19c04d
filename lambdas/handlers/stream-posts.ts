import { createApp, type AppSource } from '../app.js';
import { postChangeOf, type PostImage } from '../domain/deltas.js';
import { createChangeStreamHandler } from '../realtime/change-stream.js';

/**
 * Consumes the posts table stream (the outbox): each committed publish,
 * edit or delete becomes an integration event and an identifiers-only delta
 * to every subscribed socket whose decision admits the post. The first
 * batch of subscribers is served here; further batches go to the fan-out
 * dispatcher and run in parallel.
 */
export function createStreamHandler(app: AppSource) {
  return createChangeStreamHandler<PostImage>(app, {
    partitionOf: (image) => image.channel_id,
    changeOf: (record) => postChangeOf(record.oldImage, record.newImage),
  });
}

export const handler = createStreamHandler(() => createApp(process.env));
