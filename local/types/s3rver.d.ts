// Types for the parts of s3rver 3.7 that the local stack uses; the package ships none.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    /** Directory for buckets and objects. */
    directory?: string;
    /** Silences s3rver's own request log. */
    silent?: boolean;
    /** Accepts bucket names in the Host header as well as in the path. */
    vhostBuckets?: boolean;
    /** Buckets created by configureBuckets(). */
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
    address?: string;
    port?: number;
  }

  /** NOTE: not in s3rver's README; the pinned 3.7.1 store reads an object's metadata file and stat. */
  interface FilesystemStore {
    /** Throws an ENOENT error when the object does not exist. */
    getMetadata(bucket: string, key: string): Promise<{ 'content-length': number } & Record<string, unknown>>;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    readonly store: FilesystemStore;
    /** Creates the buckets listed in `configureBuckets`; an existing bucket keeps its objects. */
    configureBuckets(): Promise<void>;
    /** A request listener for `http.createServer()`. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }

  export = S3rver;
}
