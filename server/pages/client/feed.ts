// Feed, post and profile pages: new posts, comments and counters arrive live.
import type { Post } from '@plaza/client';
import { CommentItem } from '../components/comment-item.tsx';
import { PostCard } from '../components/post-card.tsx';
import type { PageContext } from './context.ts';
import { $, onSubmit, setText, upsert } from './dom.ts';

function updateStats(postId: string, likeCount: number, commentCount: number): void {
  const card = document.getElementById(`post-${postId}`);
  if (!card) return;
  setText('.like-count', likeCount, card);
  setText('.comment-count', commentCount, card);
}

function replacePost(post: Post): void {
  const card = document.getElementById(`post-${post.id}`);
  if (!card) return;
  // likedByMe in a push is not about this viewer: keep what the page knows.
  const liked = $('[data-like]', card)?.getAttribute('aria-pressed') === 'true';
  upsert(
    card.parentElement!,
    PostCard({
      post: { ...post, likedByMe: liked },
      link: card.querySelector('.meta a[href^="/posts/"]') !== null,
    }),
    card.id,
  );
}

/** Like buttons anywhere on the page. */
export function wireLikes(ctx: PageContext): void {
  document.addEventListener('click', (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('[data-like]');
    if (!button) return;
    if (!ctx.user) {
      location.href = '/login';
      return;
    }
    const liked = button.getAttribute('aria-pressed') === 'true';
    const id = button.dataset.like!;
    button.disabled = true;
    (liked ? ctx.client.posts.unlike(id) : ctx.client.posts.like(id))
      .then((result) => {
        button.setAttribute('aria-pressed', String(result.liked));
        button.classList.toggle('liked', result.liked);
        setText('.like-count', result.likeCount, button);
      })
      .finally(() => {
        button.disabled = false;
      });
  });
}

export async function feedPage(ctx: PageContext): Promise<void> {
  const list = $('#posts')!;
  wireLikes(ctx);
  onSubmit($<HTMLFormElement>('#composer'), async (data) => {
    const post = await ctx.client.posts.create(String(data.get('body') ?? ''));
    upsert(list, PostCard({ post }), `post-${post.id}`);
    $<HTMLFormElement>('#composer')!.reset();
  });
  await followFeed(ctx, list, () => true);
}

/** Live feed pushes into `list`: new posts of `accepts` authors on top, edits, deletions and counters. */
async function followFeed(ctx: PageContext, list: Element, accepts: (post: Post) => boolean): Promise<void> {
  await ctx.client.subscribe(
    'feed',
    {
      'post:created': ({ post }) => {
        if (!accepts(post) || document.getElementById(`post-${post.id}`)) return;
        upsert(list, PostCard({ post }), `post-${post.id}`);
        $('.empty')?.remove();
      },
      'post:updated': ({ post }) => replacePost(post),
      'post:deleted': ({ postId }) => document.getElementById(`post-${postId}`)?.remove(),
      'post:stats': ({ postId, likeCount, commentCount }) => updateStats(postId, likeCount, commentCount),
    },
    { since: ctx.seq },
  );
}

export async function postPage(ctx: PageContext): Promise<void> {
  const postId = ctx.main.dataset.postId!;
  const comments = $('#comments')!;
  wireLikes(ctx);
  onSubmit($<HTMLFormElement>('#comment-form'), async (data) => {
    const comment = await ctx.client.posts.comment(postId, String(data.get('body') ?? ''));
    upsert(comments, CommentItem({ comment }), `comment-${comment.id}`, 'beforeend');
    $<HTMLFormElement>('#comment-form')!.reset();
  });
  await ctx.client.subscribe(
    `post:${postId}`,
    {
      'comment:created': ({ comment }) => {
        if (!document.getElementById(`comment-${comment.id}`)) {
          upsert(comments, CommentItem({ comment }), `comment-${comment.id}`, 'beforeend');
        }
      },
      'comment:deleted': ({ commentId }) => document.getElementById(`comment-${commentId}`)?.remove(),
      'post:stats': ({ postId: id, likeCount, commentCount }) => updateStats(id, likeCount, commentCount),
      'post:updated': ({ post }) => replacePost(post),
      'post:deleted': () => {
        ctx.main.innerHTML = '<h1>Deleted</h1><p class="card">This post was deleted.</p>';
      },
    },
    { since: ctx.seq },
  );
}

export async function profilePage(ctx: PageContext): Promise<void> {
  wireLikes(ctx);
  const button = $<HTMLButtonElement>('#follow');
  const username = ctx.main.dataset.username!;
  button?.addEventListener('click', () => {
    const following = button.dataset.following === 'true';
    button.disabled = true;
    (following ? ctx.client.users.unfollow(username) : ctx.client.users.follow(username))
      .then((result) => {
        button.dataset.following = String(result.following);
        button.textContent = result.following ? 'Unfollow' : 'Follow';
        setText('#follower-count', result.followerCount);
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  // The profile's posts move live too; a later page (a cursor in the URL) takes no new posts on top.
  const list = $('#posts');
  const newest = !new URLSearchParams(location.search).has('cursor');
  if (list) await followFeed(ctx, list, (post) => newest && post.author.username === username);
}
