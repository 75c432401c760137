// One comment under a post.
import type { Comment } from '@plaza/client/protocol';
import { Time } from './time.tsx';

export function CommentItem({ comment }: { comment: Comment }) {
  return (
    <li class="card comment" id={`comment-${comment.id}`} data-comment-id={comment.id}>
      <div class="meta">
        <a href={`/u/${comment.author.username}`}>{comment.author.displayName}</a> ·{' '}
        <Time iso={comment.createdAt} relative />
      </div>
      <p class="body">{comment.body}</p>
    </li>
  );
}
