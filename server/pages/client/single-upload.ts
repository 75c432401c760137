// One image chosen and uploaded in place (avatar, event cover): checked against the instance's limits,
// a progress bar while it goes, the worker's verdict in the status line, then handed to `use`.
import type { Media, PlazaClient } from '@plaza/client';
import { $, refusalOfError } from './dom.ts';
import { instanceLimits, refusalOfFile } from './instance-limits.ts';
import { uploadFailureText } from './photo-picker.ts';

export interface SingleUpload {
  /** Resolves when no upload is under way (a form waits for it before sending). */
  settled(): Promise<void>;
  say(text: string): void;
}

export function wireSingleUpload(
  client: PlazaClient,
  root: HTMLElement,
  use: (media: Media) => Promise<string>,
): SingleUpload {
  const input = $<HTMLInputElement>('[data-upload-input]', root)!;
  const progress = $<HTMLProgressElement>('progress', root)!;
  const status = $('.upload-status', root)!;
  let current: Promise<void> = Promise.resolve();
  root.hidden = false;
  document.querySelector(`[data-needs-script="${root.id}"]`)?.remove();
  void instanceLimits(client)
    .then((limits) => {
      input.accept = limits.mediaTypes.join(',');
    })
    .catch(() => undefined);

  const say = (text: string) => {
    status.textContent = text;
  };

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    current = (async () => {
      const refusal = refusalOfFile(file, await instanceLimits(client));
      if (refusal) return say(refusal);
      input.disabled = true;
      progress.hidden = false;
      progress.value = 0;
      try {
        const media = await client.media.upload(file, {
          onProgress: (sent, total) => {
            progress.value = total ? sent / total : 1;
            say(sent < total ? `Uploading ${Math.floor((100 * sent) / total)}%` : 'Processing…');
          },
        });
        say(await use(media));
      } catch (error) {
        const plaza = error as { status?: number };
        say(`Not uploaded: ${plaza.status === 0 ? uploadFailureText(error) : refusalOfError(error).text}`);
      } finally {
        input.disabled = false;
        progress.hidden = true;
      }
    })();
  });

  return { settled: () => current, say };
}
