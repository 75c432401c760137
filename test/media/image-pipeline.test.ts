// The image pipeline alone (no database, no store): what every upload is checked for and turned into.
import exifr from 'exifr';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ImageVariant, processImage, tuneSharpForWorkers } from '../../server/media/image-pipeline.ts';
import { animatedGif, GPS, gpsJpeg, photoJpeg, pngBomb, webpChunks } from './images.ts';

const LIMITS = { maxPixels: 40_000_000 };

beforeAll(() => tuneSharpForWorkers());

async function ready(input: Buffer, type: string) {
  const result = await processImage(input, type, LIMITS);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result;
}

const sizes = (variants: ImageVariant[]) =>
  Object.fromEntries(variants.map((v) => [v.name, [v.width, v.height]]));

describe('processImage', () => {
  it('writes the five WebP variants at their sizes, with a BlurHash', async () => {
    const result = await ready(await photoJpeg(3000, 2000), 'image/jpeg');
    expect(sizes(result.variants)).toEqual({
      display: [2048, 1365],
      preview: [640, 427],
      'avatar-400': [400, 400],
      'avatar-96': [96, 96],
      cover: [1600, 900],
    });
    expect([result.width, result.height]).toEqual([2048, 1365]);
    expect(result.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{28}$/);
    for (const v of result.variants) {
      const meta = await sharp(v.data).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', v.width, v.height]);
    }
  });

  it('never enlarges the display and preview of a small image', async () => {
    const result = await ready(await photoJpeg(500, 300), 'image/jpg');
    expect(sizes(result.variants)).toMatchObject({
      display: [500, 300],
      preview: [500, 300],
      cover: [1600, 900],
    });
  });

  it('applies the EXIF orientation and strips every metadata block (EXIF, GPS, XMP, ICC) from every variant', async () => {
    const original = await gpsJpeg(800, 600);
    // The original does carry what must go.
    expect(await exifr.gps(original)).toMatchObject({ latitude: expect.closeTo(48.858, 2) });
    expect((await sharp(original).metadata()).orientation).toBe(6);

    const result = await ready(original, 'image/jpeg');
    // Stored sideways, shown upright: 600 wide, 800 high.
    expect([result.width, result.height]).toEqual([600, 800]);
    for (const v of result.variants) {
      const meta = await sharp(v.data).metadata();
      expect(meta.exif, v.name).toBeUndefined();
      expect(meta.xmp, v.name).toBeUndefined();
      expect(meta.icc, v.name).toBeUndefined();
      expect(meta.orientation, v.name).toBeUndefined();
      const chunks = webpChunks(v.data).map((c) => c.type);
      expect(
        chunks.filter((t) => ['EXIF', 'XMP ', 'ICCP'].includes(t)),
        v.name,
      ).toEqual([]);
      // exifr cannot open WebP files; it reads the TIFF block an EXIF chunk would hold, and every
      // marker of the original's blocks is absent from the bytes.
      expect(v.data.includes('PlazaCam'), v.name).toBe(false);
      expect(v.data.includes('Exif\0\0'), v.name).toBe(false);
    }
  });

  it('the metadata check above would see EXIF in a WebP that kept it (exifr reads its EXIF chunk)', async () => {
    const leaky = await sharp(await photoJpeg(200, 100))
      .withExif({ IFD0: { Make: 'PlazaCam' }, IFD3: GPS })
      .webp()
      .toBuffer();
    const exif = webpChunks(leaky).find((c) => c.type === 'EXIF');
    expect(exif).toBeDefined();
    expect(leaky.includes('PlazaCam')).toBe(true);
    const tiff = exif!.data.subarray(
      exif!.data.indexOf('II') >= 0 ? exif!.data.indexOf('II') : exif!.data.indexOf('MM'),
    );
    expect(await exifr.gps(tiff)).toMatchObject({ latitude: expect.closeTo(48.858, 2) });
  });

  it('keeps an animated GIF animated in every variant', async () => {
    const result = await ready(await animatedGif(120, 90, 6), 'image/gif');
    expect(result.animated).toBe(true);
    expect(sizes(result.variants)).toEqual({
      display: [120, 90],
      preview: [120, 90],
      'avatar-400': [400, 400],
      'avatar-96': [96, 96],
      cover: [1600, 900],
    });
    for (const v of result.variants) {
      const meta = await sharp(v.data, { animated: true }).metadata();
      expect([meta.format, meta.pages, meta.pageHeight], v.name).toEqual(['webp', 6, v.height]);
      expect(meta.delay, v.name).toEqual([80, 80, 80, 80, 80, 80]);
    }
  });

  it('refuses an animation past the frame × pixel budget, by the header', async () => {
    const gif = await animatedGif(400, 300, 12);
    const result = await processImage(gif, 'image/gif', { ...LIMITS, maxAnimationPixels: 1_000_000 });
    expect(result).toEqual({
      ok: false,
      reason: 'too large an animation: 12 frames of 400 × 300 is more than 1 megapixels in all',
    });
    expect(await processImage(gif, 'image/gif', { ...LIMITS, maxFrames: 10 })).toEqual({
      ok: false,
      reason: 'an animation of more than 10 frames (it has 12)',
    });
  });

  it('refuses HTML declared as PNG, naming what the file is', async () => {
    const html = Buffer.from(
      '<!DOCTYPE html>\n<html><head><script>alert(1)</script></head><body></body></html>',
    );
    expect(await processImage(html, 'image/png', LIMITS)).toEqual({
      ok: false,
      reason: 'not a PNG image (the file is HTML)',
    });
  });

  it('refuses a JPEG declared as PNG, and a type that is not accepted', async () => {
    const jpeg = await photoJpeg(64, 64);
    expect(await processImage(jpeg, 'image/png', LIMITS)).toEqual({
      ok: false,
      reason: 'not a PNG image (the file is a JPEG image)',
    });
    expect(await processImage(jpeg, 'image/svg+xml', LIMITS)).toMatchObject({ ok: false });
  });

  it('refuses a damaged image with a reason a person understands', async () => {
    const jpeg = await photoJpeg(800, 600);
    expect(await processImage(jpeg.subarray(0, 4_000), 'image/jpeg', LIMITS)).toEqual({
      ok: false,
      reason: 'could not be read as an image (the file may be damaged or incomplete)',
    });
  });

  it('refuses a PNG whose header claims 30,000 × 30,000 fast, without decoding it', async () => {
    const bomb = pngBomb(30_000, 30_000);
    expect(bomb.length).toBeLessThan(2_000);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const result = await processImage(bomb, 'image/png', LIMITS);
    const ms = performance.now() - started;
    expect(result).toEqual({
      ok: false,
      reason: 'larger than 40 megapixels (30000 × 30000 is 900 megapixels)',
    });
    // Decoding would take seconds and 2.7 GB; reading the header takes milliseconds.
    expect(ms).toBeLessThan(1_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 1024 * 1024);
  });
});
