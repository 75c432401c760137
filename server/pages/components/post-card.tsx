// A post in a list or on its own page; rendered by the server and, for live arrivals, by the browser.
// Its like is a real form (it works without the script); an anonymous reader gets a sign-in link instead.
import type { Post } from '@plaza/client/protocol';
import { Avatar } from './avatar.tsx';
import { nounFor } from './format.ts';
import { MediaGrid } from './media-grid.tsx';
import { Time } from './time.tsx';

/** Who is looking, as far as a card cares: signed in or not. */
export interface CardViewer {
  username: string;
}

export interface PostCardProps {
  post: Post;
  /** A link to the post's page on its time (not on the post's own page). */
  link?: boolean;
  viewer: CardViewer | null;
  /** This page's path: where a form comes back to, and where signing in returns. */
  back: string;
}

export const signInHref = (back: string) => `/login?next=${encodeURIComponent(back)}`;

/** The like toggle: a filled heart and aria-pressed when liked, an outline heart when not. */
export function LikeButton({ post }: { post: Pick<Post, 'id' | 'likedByMe' | 'likeCount'> }) {
  const liked = post.likedByMe;
  return (
    <button
      type="submit"
      class={`like${liked ? ' liked' : ''}`}
      data-like={post.id}
      aria-pressed={liked ? 'true' : 'false'}
      title={liked ? 'Unlike' : 'Like'}
    >
      <span class="heart" aria-hidden="true">
        {liked ? '♥' : '♡'}
      </span>{' '}
      <span class="likes">
        <span class="like-count">{post.likeCount}</span>{' '}
        <span class="like-noun">{nounFor(post.likeCount, 'like')}</span>
      </span>
    </button>
  );
}

export function PostCard({ post, link = true, viewer, back }: PostCardProps) {
  return (
    <article
      class="card post"
      id={`post-${post.id}`}
      data-post-id={post.id}
      data-author={post.author.username}
    >
      <div class="meta with-avatar">
        <Avatar user={post.author} />
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
      <MediaGrid media={post.media ?? []} />
      <div class="actions">
        {viewer ? (
          <form
            method="post"
            action={`/posts/${post.id}/${post.likedByMe ? 'unlike' : 'like'}`}
            class="like-form"
          >
            {/* Back to this card, not the top of a long feed. */}
            <input type="hidden" name="back" value={`${back}#post-${post.id}`} />
            <LikeButton post={post} />
          </form>
        ) : (
          <span class="likes-anon">
            <span class="likes">
              ♡ <span class="like-count">{post.likeCount}</span>{' '}
              <span class="like-noun">{nounFor(post.likeCount, 'like')}</span>
            </span>{' '}
            · <a href={signInHref(back)}>Sign in to like</a>
          </span>
        )}
        <a class="comment-link" href={`/posts/${post.id}#comments`}>
          <span class="comment-count">{post.commentCount}</span>{' '}
          <span class="comment-noun">{nounFor(post.commentCount, 'comment')}</span>
        </a>
      </div>
    </article>
  );
}
