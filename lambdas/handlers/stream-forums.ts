import { createApp, type AppSource } from '../app.js';
import { forumChangeOf, type ForumImage } from '../domain/deltas.js';
import { createChangeStreamHandler } from '../realtime/change-stream.js';

/**
 * Consumes the topics and messages table streams (one function, two event
 * sources). A new, edited or deleted message becomes `message.created`,
 * `message.updated` or `message.deleted`; a moderation change to a topic
 * (its version went up) becomes `topic.updated`. Each is an integration
 * event and an identifiers-only delta to the topic's subscribers whose
 * decision admits the message (or topic). Records are handled in order per
 * topic; the first batch of subscribers is served here, further batches go
 * to the fan-out dispatcher.
 */
export function createForumStreamHandler(app: AppSource) {
  return createChangeStreamHandler<ForumImage>(app, {
    partitionOf: (image) => image.topic_id,
    changeOf: (record) => forumChangeOf(record.oldImage, record.newImage),
  });
}

export const handler = createForumStreamHandler(() => createApp(process.env));
