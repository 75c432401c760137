// Where the pages' photos come from and where their uploads go, for the Content-Security-Policy: the
// policy stays "our own origin only" except for exactly these (MEDIA_PUBLIC_URL / PUBLIC_URL for images;
// the presigned PUT's host: this server for the local store, the S3 endpoint clients reach otherwise).
import type { MediaConfig } from '../config.ts';

export interface MediaOrigins {
  images: string[];
  uploads: string[];
}

const originOf = (url: string | undefined): string | null => {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/** Virtual-hosted S3 URLs put the bucket in the host name: allow that one host. */
function s3UploadOrigin(s3: NonNullable<MediaConfig['s3']>): string {
  const endpoint = s3.publicEndpoint ?? s3.endpoint ?? `https://s3.${s3.region}.amazonaws.com`;
  const url = new URL(endpoint);
  if (!s3.forcePathStyle) url.hostname = `${s3.bucket}.${url.hostname}`;
  return url.origin;
}

export function mediaOriginsOf(media: MediaConfig, publicUrl: URL): MediaOrigins {
  const images = ['blob:', originOf(media.publicUrl)].filter((o): o is string => o !== null);
  const uploads = media.storage === 's3' && media.s3 ? [s3UploadOrigin(media.s3)] : [publicUrl.origin];
  return { images: [...new Set(images)], uploads: [...new Set(uploads)] };
}
