// The instance's limits (GET /instance), read once per page: files are checked against them before upload.
import type { Instance, PlazaClient } from '@plaza/client';
import { countOf } from '../components/format.ts';

let limits: Promise<Instance['limits']> | null = null;

export function instanceLimits(client: PlazaClient): Promise<Instance['limits']> {
  limits ??= client.instance().then((instance) => instance.limits);
  return limits;
}

const megabytes = (bytes: number) =>
  `${(bytes / 1024 / 1024).toLocaleString('en', { maximumFractionDigits: 1 })} MB`;

/** Why this file cannot be uploaded, in words with what to do; null when it can. */
export function refusalOfFile(file: File, limit: Instance['limits']): string | null {
  if (!limit.mediaTypes.includes(file.type)) {
    const kinds = limit.mediaTypes.map((t) => t.replace('image/', '').toUpperCase()).join(', ');
    return `${file.name}: not a supported image (${kinds}). Pick a photo in one of those formats.`;
  }
  if (file.size > limit.mediaMaxBytes) {
    return `${file.name} is ${megabytes(file.size)}; at most ${megabytes(limit.mediaMaxBytes)}. Pick a smaller one or shrink it first.`;
  }
  return null;
}

export const atMostPhotos = (n: number) => `At most ${countOf(n, 'photo')} a post.`;
