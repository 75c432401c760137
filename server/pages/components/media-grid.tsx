// A post's photos: one to four in a grid whose shape is fixed before any image arrives (nothing jumps),
// the bundle painting each one's BlurHash behind it meanwhile (media-placeholders.ts), each a link to the
// full-size image — a plain link, so the full view works without the script. Shapes are classes, not
// style attributes, which the pages' Content-Security-Policy refuses.
import type { Media } from '@plaza/client/protocol';

/** A lone photo keeps nearly its own shape: the nearest of these (a panorama or a tall one is cropped). */
const SHAPES: Array<[ratio: number, name: string]> = [
  [2, 'wide'],
  [16 / 9, 'video'],
  [3 / 2, 'classic'],
  [4 / 3, 'landscape'],
  [1, 'square'],
  [4 / 5, 'portrait'],
  [3 / 4, 'tall'],
];

export function shapeOf(media: Pick<Media, 'width' | 'height'>): string {
  const ratio = media.width && media.height ? media.width / media.height : 4 / 3;
  let best = SHAPES[0]!;
  for (const shape of SHAPES)
    if (Math.abs(Math.log(shape[0] / ratio)) < Math.abs(Math.log(best[0] / ratio))) best = shape;
  return best[1];
}

/** The preview (≤ 640 px) and the display variant as candidates, so a wide or dense screen takes the sharper. */
function srcsetOf(media: Media): string | undefined {
  if (!media.width || !media.height || !media.previewUrl || !media.url) return undefined;
  const previewWidth = Math.round(media.width * Math.min(1, 640 / Math.max(media.width, media.height)));
  if (previewWidth >= media.width) return undefined;
  return `${media.previewUrl} ${previewWidth}w, ${media.url} ${media.width}w`;
}

export function MediaGrid({ media }: { media: Media[] }) {
  const shown = media.filter((m) => m.url).slice(0, 4);
  if (shown.length === 0) return null;
  const shape = shown.length === 1 ? ` shape-${shapeOf(shown[0]!)}` : '';
  return (
    <div class={`media-grid media-${shown.length}${shape}`}>
      {shown.map((m) => {
        return (
          <a class="media-item" href={m.url!} data-media-id={m.id}>
            <img
              src={m.previewUrl ?? m.url!}
              srcset={srcsetOf(m)}
              sizes={
                shown.length === 1 ? '(max-width: 760px) 100vw, 720px' : '(max-width: 760px) 50vw, 360px'
              }
              alt={m.description}
              width={m.width ? String(m.width) : undefined}
              height={m.height ? String(m.height) : undefined}
              loading="lazy"
              decoding="async"
              data-blurhash={m.blurhash ?? undefined}
            />
            {m.description ? (
              <span class="alt-badge" aria-hidden="true">
                ALT
              </span>
            ) : null}
          </a>
        );
      })}
    </div>
  );
}
