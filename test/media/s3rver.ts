// A real S3-compatible HTTP server for the S3 store's tests: @20minutes/s3rver checks SigV4 signatures,
// including the signed Content-Length and Content-Type of presigned PUTs, and their expiry.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Store } from '../../server/media/s3-store.ts';

interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
}
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

// CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as new (
  options: S3rverOptions,
) => S3rverServer;

export interface RunningS3 {
  endpoint: string;
  bucket: string;
  /** s3rver's built-in account. */
  accessKeyId: string;
  secretAccessKey: string;
  /** A store on this server, as the factory would build it for STORAGE=s3 with S3_FORCE_PATH_STYLE. */
  store(options?: { publicBase?: string; publicEndpoint?: string }): S3Store;
  close(): Promise<void>;
}

export async function startS3rver(bucket = 'plaza'): Promise<RunningS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'plaza-s3rver-'));
  // Its bucket exists from the start: CreateBucket through the API fails s3rver's signature check.
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const stores: S3Store[] = [];
  return {
    endpoint,
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    store({
      publicBase = `${endpoint}/${bucket}/`,
      publicEndpoint,
    }: {
      publicBase?: string;
      publicEndpoint?: string;
    } = {}) {
      const store = new S3Store({
        publicEndpoint,
        endpoint,
        region: 'us-east-1',
        bucket,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        publicBase,
      });
      // Bucket-level requests (ListObjectsV2, DeleteObjects) go to `/<bucket>/` path-style, and the SDK
      // signs that path; s3rver signs them as `/<bucket>` and refuses the signature. AWS S3 and MinIO take
      // either: the test client sends the form s3rver checks. Object requests are untouched.
      store.client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { path?: string };
          if (request.path === `/${bucket}/`) request.path = `/${bucket}`;
          return next(args);
        },
        { step: 'build', name: 's3rverBucketPath' },
      );
      stores.push(store);
      return store;
    },
    async close() {
      for (const store of stores) store.close();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
