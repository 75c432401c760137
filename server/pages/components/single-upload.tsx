// One image to choose and upload (an avatar, an event's cover): a file button, a progress bar and a status
// line, hidden until the bundle wires them (client/single-upload.ts) — uploading needs the script, and the
// line beside it says so when it does not run.
export function SingleUpload({ id, label, note }: { id: string; label: string; note: string }) {
  return (
    <>
      <div class="single-upload" id={id} data-single-upload hidden>
        <label class="button secondary pick">
          {label}
          <input
            type="file"
            class="visually-hidden-input"
            accept="image/jpeg,image/png,image/webp,image/gif,image/avif"
            data-upload-input
          />
        </label>
        <progress max="1" value="0" hidden />
        <span class="upload-status" role="status" />
      </div>
      <p class="needs-script" data-needs-script={id}>
        {note}
      </p>
    </>
  );
}
