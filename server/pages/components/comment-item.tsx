// One comment under a post.
import type { Comment } from '@plaza/client/protocol';
import { formatTime } from './time.ts';

export function CommentItem({ comment }: { comment: Comment }) {
  return (
    <li class="card comment" id={`comment-${comment.id}`} data-comment-id={comment.id}>
      <div class="meta">
        <a href={`/u/${comment.author.username}`}>{comment.author.displayName}</a> ·{' '}
        {formatTime(comment.createdAt)}
      </div>
      <p class="body">{comment.body}</p>
    </li>
  );
}
