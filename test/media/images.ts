// Test images made on the spot: photos with EXIF/GPS, animations, and a decompression bomb whose header
// claims more pixels than any worker should decode.
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A noisy photo-like JPEG (noise keeps the encoders honest: a flat colour compresses to nothing). */
export async function photoJpeg(width: number, height: number, seed = 1): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let x = seed * 2_654_435_761;
  for (let i = 0; i < pixels.length; i++) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    pixels[i] = ((i / (width * 3)) * 255) / height + (x >>> 26);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .blur(1.5)
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Near the Eiffel Tower: what a phone writes into a photo. */
export const GPS = {
  GPSLatitudeRef: 'N',
  GPSLatitude: '48/1 51/1 2964/100',
  GPSLongitudeRef: 'E',
  GPSLongitude: '2/1 17/1 4000/100',
} as const;

/** A landscape JPEG stored sideways (EXIF orientation 6: show it rotated 90° clockwise), with GPS and a maker. */
export async function gpsJpeg(width = 800, height = 600): Promise<Buffer> {
  return sharp(await photoJpeg(width, height))
    .withExif({ IFD0: { Make: 'PlazaCam', Model: 'Test 1', Copyright: 'someone' }, IFD3: GPS })
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}

/** An animated GIF of `frames` frames. */
export async function animatedGif(width: number, height: number, frames: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * frames * 4);
  for (let i = 0; i < pixels.length; i += 4) {
    const frame = Math.floor(i / 4 / (width * height));
    pixels[i] = (frame * 53) % 256;
    pixels[i + 1] = ((i / 4) % width) % 256;
    pixels[i + 2] = 128;
    pixels[i + 3] = 255;
  }
  return sharp(pixels, { raw: { width, height: height * frames, channels: 4, pageHeight: height } })
    .gif({ delay: Array.from({ length: frames }, () => 80), loop: 0 })
    .toBuffer();
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid PNG header claiming width × height RGB pixels, followed by a tiny IDAT (one compressed scanline of
 * zeros): a few hundred bytes that would cost width × height × 3 bytes of memory if anything decoded them.
 */
export function pngBomb(width = 30_000, height = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1 + width * 3))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The chunks of a WebP (RIFF) file: `VP8 `/`VP8L`/`VP8X`/`ANIM`/`ANMF` for pixels, `EXIF`/`XMP `/`ICCP` for metadata. */
export function webpChunks(file: Buffer): Array<{ type: string; data: Buffer }> {
  if (file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WEBP') {
    throw new Error('not a WebP file');
  }
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let at = 12; at + 8 <= file.length; ) {
    const type = file.toString('latin1', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    chunks.push({ type, data: file.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size % 2);
  }
  return chunks;
}
