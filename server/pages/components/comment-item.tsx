// One comment under a post. Its author, the post's author and moderators may delete it: a form behind a
// <details> so deleting takes a second, deliberate click, with or without the script.
import type { Comment } from '@plaza/client/protocol';
import { Avatar } from './avatar.tsx';
import { ReportForm } from './report-form.tsx';
import { Time } from './time.tsx';

export function CommentItem({
  comment,
  canDelete = false,
  canReport = false,
  back = `/posts/${comment.postId}`,
}: {
  comment: Comment;
  canDelete?: boolean;
  /** Signed in and not its author. */
  canReport?: boolean;
  back?: string;
}) {
  return (
    <li class="card comment" id={`comment-${comment.id}`} data-comment-id={comment.id}>
      <div class="meta with-avatar">
        <Avatar user={comment.author} size="small" />
        <a href={`/u/${comment.author.username}`}>{comment.author.displayName}</a> ·{' '}
        <Time iso={comment.createdAt} relative />
      </div>
      <p class="body">{comment.body}</p>
      {canDelete ? (
        <details class="confirm delete-comment">
          <summary>Delete</summary>
          <form method="post" action={`/comments/${comment.id}/delete`} class="confirm-form">
            <input type="hidden" name="back" value={back} />
            <span>Delete this comment for everyone?</span>{' '}
            <button type="submit" class="danger">
              Delete comment
            </button>
          </form>
        </details>
      ) : null}
      {canReport ? (
        <ReportForm type="comment" id={comment.id} back={`${back}#comment-${comment.id}`} />
      ) : null}
    </li>
  );
}
