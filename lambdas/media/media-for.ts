import type { S3Client } from '@aws-sdk/client-s3';
import type { App } from '../app.js';
import { createMediaClient } from '../adapters/media-store.js';
import type { MediaSettings } from '../domain/media.js';
import { readMediaSettings } from '../media-config.js';

/** The media bucket's client and settings. */
export interface Media {
  readonly s3: S3Client;
  readonly settings: MediaSettings;
}

const mediaByApp = new WeakMap<App, Media>();

/** Returns the App's media adapters, built on first use so functions without media never load the S3 client. */
export function mediaFor(app: App): Media {
  let media = mediaByApp.get(app);
  if (!media) {
    media = { s3: app.mediaOverrides?.s3 ?? createMediaClient(), settings: readMediaSettings(app.env) };
    mediaByApp.set(app, media);
  }
  return media;
}
