// An uploaded original in, public WebP variants out (API.md "Media"): no database, no store, so the worker
// and the media bench's bare baseline run exactly the same code. Every check that can refuse an upload
// runs on the header before a single pixel is decoded: the magic bytes, then the pixel count.
import { encode as encodeBlurhash } from 'blurhash';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { VariantName } from './media.store.ts';

export interface ImageLimits {
  /** Pixels of one frame (width × height), checked on the header: MEDIA_MAX_PIXELS. */
  maxPixels: number;
  /**
   * An animation is decoded whole, every frame: frames × width × height must stay within this. The default
   * (50 million, e.g. 100 frames of 700×700) bounds what one animated upload costs in CPU and memory; past
   * it the upload is refused rather than silently flattened to a still image.
   */
  maxAnimationPixels?: number;
  /** Frames of an animation (default 1,000). */
  maxFrames?: number;
}

export const DEFAULT_ANIMATION_PIXELS = 50_000_000;
export const DEFAULT_MAX_FRAMES = 1_000;

export interface ImageVariant {
  name: VariantName;
  /** WebP, no metadata of any kind. */
  data: Buffer;
  width: number;
  height: number;
}

export type ProcessedImage =
  | {
      ok: true;
      /** Of the display variant. */
      width: number;
      height: number;
      blurhash: string;
      animated: boolean;
      variants: ImageVariant[];
    }
  | { ok: false; reason: string };

/** Declared content type → what the magic bytes must say, and the name a person knows it by. */
const ACCEPTED: Record<string, { mime: string; name: string }> = {
  'image/jpeg': { mime: 'image/jpeg', name: 'JPEG' },
  'image/jpg': { mime: 'image/jpeg', name: 'JPEG' },
  'image/pjpeg': { mime: 'image/jpeg', name: 'JPEG' },
  'image/png': { mime: 'image/png', name: 'PNG' },
  'image/webp': { mime: 'image/webp', name: 'WebP' },
  'image/gif': { mime: 'image/gif', name: 'GIF' },
  'image/avif': { mime: 'image/avif', name: 'AVIF' },
};

/** file-type names an animated PNG apart; it is a PNG all the same (libvips reads its first frame). */
const SAME_AS: Record<string, string> = { 'image/apng': 'image/png' };

const IMAGE_NAMES: Record<string, string> = {
  'image/jpeg': 'a JPEG image',
  'image/png': 'a PNG image',
  'image/apng': 'a PNG image',
  'image/webp': 'a WebP image',
  'image/gif': 'a GIF image',
  'image/avif': 'an AVIF image',
  'image/heic': 'a HEIC photo',
  'image/heif': 'a HEIF photo',
  'image/tiff': 'a TIFF image',
  'image/bmp': 'a BMP image',
  'application/pdf': 'a PDF document',
  'application/zip': 'a ZIP archive',
};

const DISPLAY = 2048;
const PREVIEW = 640;
const COVER = { width: 1600, height: 900 } as const;
/** The BlurHash is computed on a thumbnail this size: the hash has 4×3 components, more pixels add nothing. */
const BLURHASH_SIZE = 32;
/**
 * Effort 2, not libwebp's default 4: encoding is most of an image's CPU, and measured here on 1600×1200
 * photos effort 2 took half the time (94 vs 209 ms for the display variant) for files no larger.
 */
const WEBP = { quality: 82, effort: 2 } as const;

/**
 * For the worker process (and the bench's bare arm, so both run the same): the worker runs 2 jobs at once on
 * 2 cores, so each job's libvips pipeline gets one thread (parallelism across images, not within one: no
 * oversubscription, and a job's memory is one thread's tiles); the operation cache is off, since no two
 * uploads share an operation and a cache would only hold decoded tiles of images already done.
 */
export function tuneSharpForWorkers(threadsPerImage = 1): void {
  sharp.concurrency(threadsPerImage);
  sharp.cache(false);
}

export async function processImage(
  input: Buffer,
  declaredType: string,
  limits: ImageLimits,
): Promise<ProcessedImage> {
  const declared = ACCEPTED[declaredType.toLowerCase()];
  if (!declared)
    return refuse(`${declaredType} is not an accepted image type (JPEG, PNG, WebP, GIF or AVIF)`);
  const sniffed = await fileTypeFromBuffer(input);
  const actual = sniffed ? (SAME_AS[sniffed.mime] ?? sniffed.mime) : undefined;
  if (actual !== declared.mime) {
    return refuse(`not a ${declared.name} image (the file is ${describeContent(input, sniffed)})`);
  }

  let meta: Metadata;
  try {
    // The header only: nothing is decoded yet.
    meta = await sharp(input, { animated: true, limitInputPixels: false }).metadata();
  } catch {
    return refuse(unreadable);
  }
  const width = meta.width ?? 0;
  const frames = meta.pages ?? 1;
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || frameHeight <= 0) return refuse(unreadable);
  if (width * frameHeight > limits.maxPixels) {
    return refuse(
      `larger than ${megapixels(limits.maxPixels)} megapixels (${width} × ${frameHeight} is ${megapixels(width * frameHeight)} megapixels)`,
    );
  }
  const animated = frames > 1 && (meta.format === 'gif' || meta.format === 'webp');
  if (animated) {
    const maxFrames = limits.maxFrames ?? DEFAULT_MAX_FRAMES;
    const budget = limits.maxAnimationPixels ?? DEFAULT_ANIMATION_PIXELS;
    if (frames > maxFrames) return refuse(`an animation of more than ${maxFrames} frames (it has ${frames})`);
    if (frames * width * frameHeight > budget) {
      return refuse(
        `too large an animation: ${frames} frames of ${width} × ${frameHeight} is more than ${megapixels(budget)} megapixels in all`,
      );
    }
  }

  try {
    return animated
      ? await animatedVariants(input, meta, frames * width * frameHeight)
      : await stillVariants(input, limits.maxPixels);
  } catch (error) {
    // libvips' own refusal (a damaged or truncated file, or a header that lied about its size).
    if (
      error instanceof Error &&
      /pixel limit|truncated|corrupt|premature|invalid|unsupported|bad /i.test(error.message)
    ) {
      return refuse(unreadable);
    }
    throw error;
  }
}

const unreadable = 'could not be read as an image (the file may be damaged or incomplete)';

const refuse = (reason: string): ProcessedImage => ({ ok: false, reason });

const megapixels = (pixels: number): string => {
  const m = pixels / 1_000_000;
  return Number.isInteger(m) ? String(m) : m.toFixed(1);
};

/** What the bytes are, in words, when they are not what was declared. */
function describeContent(input: Buffer, sniffed: { ext: string; mime: string } | undefined): string {
  if (sniffed) return IMAGE_NAMES[sniffed.mime] ?? `a ${sniffed.ext.toUpperCase()} file`;
  const head = input.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  if (
    head.startsWith('<!doctype html') ||
    head.startsWith('<html') ||
    /<(head|body|script)[\s>]/.test(head)
  ) {
    return 'HTML';
  }
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'an SVG drawing';
  if (head.startsWith('<?xml')) return 'an XML document';
  if (input.length === 0) return 'empty';
  // eslint-style control-character check: text has none but tabs and line ends.
  const sample = input.subarray(0, 512);
  const binary = sample.some((b) => b < 9 || (b > 13 && b < 32));
  return binary ? 'not an image format we know' : 'text';
}

/**
 * Stills: one decode. The auto-oriented image, fitted inside 2048 px, is decoded once into raw pixels (at
 * most 2048 × 2048 × 4 = 16 MiB), and every variant is resized from those pixels: decoding the original
 * is the expensive step, five pipelines on the original would do it five times.
 */
async function stillVariants(input: Buffer, maxPixels: number): Promise<ProcessedImage> {
  const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
    .autoOrient()
    .resize(DISPLAY, DISPLAY, { fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
  const from = (): Sharp => sharp(data, raw);

  const [display, preview, avatarLarge, avatarSmall, cover, blurhash] = await Promise.all([
    webp('display', from()),
    webp('preview', from().resize(PREVIEW, PREVIEW, { fit: 'inside', withoutEnlargement: true })),
    webp('avatar-400', from().resize(400, 400, { fit: 'cover', position: 'attention' })),
    webp('avatar-96', from().resize(96, 96, { fit: 'cover', position: 'attention' })),
    webp('cover', from().resize(COVER.width, COVER.height, { fit: 'cover', position: 'attention' })),
    blurhashOf(from()),
  ]);
  return {
    ok: true,
    width: display.width,
    height: display.height,
    blurhash,
    animated: false,
    variants: [display, preview, avatarLarge, avatarSmall, cover],
  };
}

/**
 * Animations stay animated: each variant is its own streaming pipeline over every frame of the original
 * (raw frames of a long animation would not fit the one-decode approach's 16 MiB), within the frame ×
 * pixel budget checked above. Crops are centred: libvips' attention strategy reads one frame only.
 */
async function animatedVariants(input: Buffer, meta: Metadata, totalPixels: number): Promise<ProcessedImage> {
  const from = (): Sharp => sharp(input, { animated: true, limitInputPixels: totalPixels, failOn: 'error' });
  const frameLoop = { loop: meta.loop ?? 0, ...(meta.delay ? { delay: meta.delay } : {}) };
  const animatedWebp = (name: VariantName, pipeline: Sharp) => webp(name, pipeline, frameLoop);
  const [display, preview, avatarLarge, avatarSmall, cover, blurhash] = await Promise.all([
    animatedWebp('display', from().resize(DISPLAY, DISPLAY, { fit: 'inside', withoutEnlargement: true })),
    animatedWebp('preview', from().resize(PREVIEW, PREVIEW, { fit: 'inside', withoutEnlargement: true })),
    animatedWebp('avatar-400', from().resize(400, 400, { fit: 'cover' })),
    animatedWebp('avatar-96', from().resize(96, 96, { fit: 'cover' })),
    animatedWebp('cover', from().resize(COVER.width, COVER.height, { fit: 'cover' })),
    // The first frame stands for the animation while it loads.
    blurhashOf(sharp(input, { pages: 1, failOn: 'error' })),
  ]);
  return {
    ok: true,
    width: display.width,
    height: display.height,
    blurhash,
    animated: true,
    variants: [display, preview, avatarLarge, avatarSmall, cover],
  };
}

/** WebP without metadata: sharp writes none unless asked (withMetadata/keepExif are never called). */
async function webp(
  name: VariantName,
  pipeline: Sharp,
  animation?: { loop: number; delay?: number[] },
): Promise<ImageVariant> {
  const { data, info } = await pipeline
    .webp({ ...WEBP, ...(animation ?? {}) })
    .toBuffer({ resolveWithObject: true });
  // For an animation, info.height is every frame stacked: the frame's own height is pageHeight.
  const height = animation ? ((info as { pageHeight?: number }).pageHeight ?? info.height) : info.height;
  return { name, data, width: info.width, height };
}

async function blurhashOf(pipeline: Sharp): Promise<string> {
  const { data, info } = await pipeline
    .resize(BLURHASH_SIZE, BLURHASH_SIZE, { fit: 'inside' })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return encodeBlurhash(
    new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    info.width,
    info.height,
    4,
    3,
  );
}
