// The composer's photo picker as the server draws it: hidden until the bundle wires it (uploading needs
// the script), with a line saying so that the bundle removes. Files are never posted with the form.
export function PhotoPicker({ max }: { max: number }) {
  return (
    <>
      <div class="photo-picker" data-photo-picker data-per-post={String(max)} hidden>
        <label class="button secondary pick">
          Add photos
          <input
            type="file"
            class="visually-hidden-input"
            accept="image/jpeg,image/png,image/webp,image/gif,image/avif"
            multiple
            data-photo-input
          />
        </label>
        <ul class="photo-list" aria-label="Photos to post" />
        <div class="error photo-error" role="alert" />
      </div>
      <p class="needs-script" data-needs-script>
        Adding photos needs JavaScript; text posts work without it.
      </p>
    </>
  );
}
