// The composer's photos: picked files are checked against the instance's limits, uploaded at once (a
// progress bar each), described (alt text) and removable; posting waits until every one is ready.
import type { Media, PlazaClient } from '@plaza/client';
import { $ } from './dom.ts';
import { atMostPhotos, instanceLimits, refusalOfFile } from './instance-limits.ts';
import { TooLong, wireCounters } from './limits.ts';

const ALT_MAX = 1500;

/** A refusal of our own, shown in its own words like a field over its limit (dom.ts shows TooLong's text). */
class PhotoRefusal extends TooLong {}

interface Photo {
  el: HTMLLIElement;
  alt: HTMLTextAreaElement;
  abort: AbortController;
  upload: Promise<Media>;
  media: Media | null;
  failed: string | null;
}

export interface PhotoPicker {
  /** Waits for every upload, saves changed alt texts, and gives the ids in order. */
  ready(): Promise<string[]>;
  reset(): void;
}

export const uploadFailureText = (error: unknown): string =>
  error instanceof Error && error.message ? error.message : 'The upload failed. Please try again.';

function photoItem(file: File): { el: HTMLLIElement; alt: HTMLTextAreaElement } {
  const el = document.createElement('li');
  el.className = 'photo-item';
  el.dataset.state = 'uploading';
  const preview = document.createElement('img');
  preview.src = URL.createObjectURL(file);
  preview.alt = '';
  preview.addEventListener('load', () => URL.revokeObjectURL(preview.src), { once: true });
  const fields = document.createElement('div');
  fields.className = 'photo-fields';
  const label = document.createElement('label');
  label.append('Alt text (what the photo shows, for people who cannot see it)');
  const alt = document.createElement('textarea');
  alt.dataset.max = String(ALT_MAX);
  alt.dataset.noun = 'Alt text';
  alt.rows = 2;
  const counter = document.createElement('span');
  counter.className = 'counter';
  label.append(alt, counter);
  fields.append(label);
  const foot = document.createElement('div');
  foot.className = 'photo-foot';
  const progress = document.createElement('progress');
  progress.max = 1;
  progress.value = 0;
  progress.setAttribute('aria-label', `Uploading ${file.name}`);
  const status = document.createElement('span');
  status.className = 'photo-status';
  status.setAttribute('role', 'status');
  status.textContent = 'Uploading…';
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'secondary remove-photo';
  remove.textContent = 'Remove';
  remove.setAttribute('aria-label', `Remove ${file.name}`);
  foot.append(progress, status, remove);
  fields.append(foot);
  el.append(preview, fields);
  return { el, alt };
}

export async function wirePhotoPicker(
  client: PlazaClient,
  form: HTMLFormElement,
): Promise<PhotoPicker | null> {
  const root = $<HTMLElement>('[data-photo-picker]', form);
  const input = root && $<HTMLInputElement>('[data-photo-input]', root);
  const list = root && $<HTMLUListElement>('.photo-list', root);
  if (!root || !input || !list) return null;
  const errorSlot = $('.photo-error', root);
  const body = $<HTMLTextAreaElement>('textarea[name="body"]', form);
  const limits = await instanceLimits(client).catch(() => null);
  const max = limits?.mediaPerPost ?? Number(root.dataset.perPost ?? 4);
  if (limits) input.accept = limits.mediaTypes.join(',');
  root.hidden = false;
  $('[data-needs-script]', form)?.remove();
  const photos: Photo[] = [];

  const changed = () => {
    // Photos alone make a post: the text is required only without them.
    if (body) body.required = photos.length === 0;
    input.disabled = photos.length >= max;
  };

  const removePhoto = (photo: Photo) => {
    photo.abort.abort();
    photos.splice(photos.indexOf(photo), 1);
    photo.el.remove();
    // Uploaded but never posted: delete it now rather than leave it to the 24-hour sweep.
    if (photo.media) void client.media.delete(photo.media.id).catch(() => undefined);
    changed();
  };

  const add = (file: File) => {
    const { el, alt } = photoItem(file);
    const abort = new AbortController();
    const progress = $<HTMLProgressElement>('progress', el)!;
    const status = $('.photo-status', el)!;
    const photo: Photo = {
      el,
      alt,
      abort,
      media: null,
      failed: null,
      upload: client.media.upload(file, {
        signal: abort.signal,
        onProgress: (sent, total) => {
          progress.value = total ? sent / total : 1;
          status.textContent =
            sent < total ? `Uploading ${Math.floor((100 * sent) / total)}%` : 'Processing…';
        },
      }),
    };
    photo.upload.then(
      (media) => {
        photo.media = media;
        el.dataset.state = 'ready';
        el.dataset.mediaId = media.id;
        status.textContent = 'Ready';
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        photo.failed = uploadFailureText(error);
        el.dataset.state = 'failed';
        status.textContent = `Not uploaded: ${photo.failed}`;
      },
    );
    $('.remove-photo', el)!.addEventListener('click', () => removePhoto(photo));
    photos.push(photo);
    list.append(el);
    wireCounters(el);
    changed();
  };

  input.addEventListener('change', () => {
    if (errorSlot) errorSlot.textContent = '';
    const refusals: string[] = [];
    for (const file of input.files ?? []) {
      const refusal = limits ? refusalOfFile(file, limits) : null;
      if (refusal) refusals.push(refusal);
      else if (photos.length >= max) {
        refusals.push(`${atMostPhotos(max)} ${file.name} was left out.`);
      } else add(file);
    }
    input.value = '';
    if (errorSlot) errorSlot.textContent = refusals.join(' ');
  });

  return {
    async ready() {
      if (photos.length === 0) return [];
      await Promise.allSettled(photos.map((p) => p.upload));
      const failed = photos.find((p) => p.failed);
      if (failed) {
        throw new PhotoRefusal(
          `A photo could not be uploaded (${failed.failed}). Remove it, then post again.`,
        );
      }
      const media = photos.map((p) => ({ media: p.media!, alt: p.alt.value.trim() }));
      await Promise.all(
        media
          .filter(({ media: m, alt }) => alt !== m.description)
          .map(({ media: m, alt }) => client.media.update(m.id, alt)),
      );
      return media.map(({ media: m }) => m.id);
    },
    reset() {
      for (const photo of photos.splice(0)) photo.el.remove();
      changed();
    },
  };
}
