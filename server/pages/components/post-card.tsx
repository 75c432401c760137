// A post in a list or on its own page; rendered by the server and, for live arrivals, by the browser.
import type { Post } from '@plaza/client/protocol';
import { Time } from './time.tsx';

export function PostCard({ post, link = true }: { post: Post; link?: boolean }) {
  return (
    <article class="card post" id={`post-${post.id}`} data-post-id={post.id}>
      <div class="meta">
        <a href={`/u/${post.author.username}`}>{post.author.displayName}</a> @{post.author.username} ·{' '}
        {link ? (
          <a href={`/posts/${post.id}`}>
            <Time iso={post.createdAt} relative />
          </a>
        ) : (
          <Time iso={post.createdAt} relative />
        )}
        {post.editedAt ? ' · edited' : ''}
      </div>
      <p class="body">{post.body}</p>
      <div class="actions">
        <button
          type="button"
          class={`link like${post.likedByMe ? ' liked' : ''}`}
          data-like={post.id}
          aria-pressed={post.likedByMe ? 'true' : 'false'}
        >
          ♥ <span class="like-count">{post.likeCount}</span>
        </button>
        <a href={`/posts/${post.id}`}>
          <span class="comment-count">{post.commentCount}</span> comments
        </a>
      </div>
    </article>
  );
}
