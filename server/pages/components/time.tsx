// A moment in a page. The server cannot know the reader's time zone: it writes UTC, labelled, inside
// <time datetime>, and the bundle (client/localize.ts) rewrites every such element in the reader's zone.
import { utcTime } from './format.ts';

/**
 * A moment, for people: `relative` ones ("5 minutes ago") suit posts and notifications, absolute ones
 * event times. The bundle localizes both; the full date stays in the tooltip.
 */
export function Time({ iso, relative = false }: { iso: string; relative?: boolean }) {
  return (
    <time datetime={iso} title={utcTime(iso)} data-relative={relative ? 'true' : undefined}>
      {utcTime(iso)}
    </time>
  );
}
