import type { Environment } from './config.js';
import {
  DEFAULT_ALLOWED_CONTENT_TYPES,
  DEFAULT_DOWNLOAD_URL_SECONDS,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_UPLOAD_URL_SECONDS,
  MAX_DOWNLOAD_URL_SECONDS,
  type MediaSettings,
} from './domain/media.js';

/**
 * Reads MEDIA_BUCKET, MEDIA_ALLOWED_TYPES (comma-separated),
 * MEDIA_MAX_UPLOAD_BYTES, MEDIA_URL_SECONDS and MEDIA_UPLOAD_URL_SECONDS,
 * failing at start-up with the variable's name. A download lifetime above
 * 300 s is rejected, not capped, so a misconfiguration is seen at once.
 */
export function readMediaSettings(env: Environment): MediaSettings {
  const bucket = env.MEDIA_BUCKET;
  if (!bucket) throw new Error('Missing environment variable MEDIA_BUCKET: set it to the private media bucket name');

  const downloadUrlSeconds = integer(env, 'MEDIA_URL_SECONDS', DEFAULT_DOWNLOAD_URL_SECONDS);
  if (downloadUrlSeconds > MAX_DOWNLOAD_URL_SECONDS) {
    throw new Error(`Invalid environment variable MEDIA_URL_SECONDS=${downloadUrlSeconds}: download URLs may live at most ${MAX_DOWNLOAD_URL_SECONDS} seconds`);
  }
  const types = (env.MEDIA_ALLOWED_TYPES ?? '').split(',').map((type) => type.trim().toLowerCase()).filter(Boolean);
  return {
    bucket,
    allowedContentTypes: types.length > 0 ? types : [...DEFAULT_ALLOWED_CONTENT_TYPES],
    maxUploadBytes: integer(env, 'MEDIA_MAX_UPLOAD_BYTES', DEFAULT_MAX_UPLOAD_BYTES),
    downloadUrlSeconds,
    uploadUrlSeconds: uploadUrlSeconds(env),
  };
}

/** SigV4 presigned URLs live at most seven days. */
const MAX_UPLOAD_URL_SECONDS = 7 * 24 * 60 * 60;

function uploadUrlSeconds(env: Environment): number {
  const seconds = integer(env, 'MEDIA_UPLOAD_URL_SECONDS', DEFAULT_UPLOAD_URL_SECONDS);
  if (seconds > MAX_UPLOAD_URL_SECONDS) {
    throw new Error(`Invalid environment variable MEDIA_UPLOAD_URL_SECONDS=${seconds}: presigned URLs may live at most ${MAX_UPLOAD_URL_SECONDS} seconds`);
  }
  return seconds;
}

function integer(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Invalid environment variable ${name}="${raw}": expected a positive integer`);
  }
  return value;
}
