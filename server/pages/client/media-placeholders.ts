// BlurHash placeholders: every photo with `data-blurhash` (server-rendered or inserted live) gets its blur
// decoded into a tiny canvas, painted behind it until the image itself arrives over it.
import { decode } from 'blurhash';

const SIZE = 32;
const painted = new Map<string, string>();

function dataUrlOf(hash: string): string | null {
  const cached = painted.get(hash);
  if (cached) return cached;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = SIZE;
    canvas.height = SIZE;
    const context = canvas.getContext('2d');
    if (!context) return null;
    const image = context.createImageData(SIZE, SIZE);
    image.data.set(decode(hash, SIZE, SIZE));
    context.putImageData(image, 0, 0);
    const url = canvas.toDataURL();
    painted.set(hash, url);
    return url;
  } catch {
    return null; // not a valid BlurHash: the server's average colour stays
  }
}

function paint(img: HTMLImageElement): void {
  const holder = img.parentElement;
  const hash = img.dataset.blurhash;
  if (!holder || !hash || img.dataset.painted) return;
  img.dataset.painted = 'true';
  // Already loaded (cached): nothing to stand in for.
  if (img.complete && img.naturalWidth > 0) return;
  const url = dataUrlOf(hash);
  if (url) holder.style.backgroundImage = `url("${url}")`;
}

export function paintPlaceholders(root: ParentNode = document): void {
  for (const img of root.querySelectorAll<HTMLImageElement>('img[data-blurhash]')) paint(img);
}

/** Paints what is on the page now and whatever live updates insert later. */
export function keepPlaceholders(): void {
  paintPlaceholders();
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) if (node instanceof Element) paintPlaceholders(node);
    }
  }).observe(document.body, { childList: true, subtree: true });
}
