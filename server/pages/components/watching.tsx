// "N watching" on a post or an event page: rendered hidden and empty, since only the bundle can count
// (client/presence.ts asks `presence` on load and follows `presence:stats`). Without the script nothing shows.

export const Watching = ({ topic }: { topic: string }) => (
  <p class="meta watching" id="watching" data-topic={topic} aria-live="polite" hidden>
    <span class="watching-dot" aria-hidden="true" />
    <span class="watching-text" />
  </p>
);
