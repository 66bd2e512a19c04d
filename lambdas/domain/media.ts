import { randomBytes } from 'node:crypto';
import { InvalidRequestError } from './errors.js';

/** Media settings, read once at start-up. */
export interface MediaSettings {
  readonly bucket: string;
  /** Content types admins may upload. */
  readonly allowedContentTypes: readonly string[];
  /** Largest upload in bytes. @default 50 MB */
  readonly maxUploadBytes: number;
  /** Lifetime of a download URL in seconds, at most 300. @default 60 */
  readonly downloadUrlSeconds: number;
  /** Lifetime of an upload URL in seconds. @default 900 */
  readonly uploadUrlSeconds: number;
}

/** Download URLs live at most five minutes, so a copied link dies quickly. */
export const MAX_DOWNLOAD_URL_SECONDS = 300;
export const DEFAULT_DOWNLOAD_URL_SECONDS = 60;
export const DEFAULT_UPLOAD_URL_SECONDS = 900;
export const DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** Images, audio, video and PDF: what signal and course channels attach. */
export const DEFAULT_ALLOWED_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'video/mp4', 'audio/mpeg', 'audio/mp4', 'application/pdf'] as const;

const ATTACHMENT_ID_PATTERN = /^att_[0-9a-f]{16}$/;
/** Maximum file name length, in characters. */
export const MAX_FILE_NAME_LENGTH = 200;

export function newAttachmentId(): string {
  return `att_${randomBytes(8).toString('hex')}`;
}

export function isAttachmentId(value: string): boolean {
  return ATTACHMENT_ID_PATTERN.test(value);
}

/**
 * The object key of an attachment. Keys are built only from ids, never from
 * the client's file name, so no upload can land outside its channel's
 * prefix; the file name travels as metadata.
 */
export function attachmentKey(channelId: string, attachmentId: string): string {
  return `channels/${channelId}/attachments/${attachmentId}`;
}

/**
 * Validates a client file name: a plain name, no path. Separators, `..`,
 * control characters and leading dots are rejected rather than cleaned, so
 * what the admin sees is what readers download.
 */
export function validateFileName(fileName: string): string {
  const hasPath = /[/\\]/.test(fileName) || fileName.includes('..') || fileName.startsWith('.');
  const hasControl = /[\u0000-\u001f\u007f]/.test(fileName);
  if (fileName.length === 0 || fileName.length > MAX_FILE_NAME_LENGTH || hasPath || hasControl) {
    throw new InvalidRequestError('file_name', `must be a plain file name of 1 to ${MAX_FILE_NAME_LENGTH} characters, without path separators, "..", control characters or a leading dot`);
  }
  return fileName;
}

/**
 * Builds a Content-Disposition value for a download: `inline` so players
 * stream it, with an ASCII fallback and the RFC 6266 / RFC 5987 UTF-8 name.
 */
export function contentDisposition(fileName: string): string {
  const asciiFallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${asciiFallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
