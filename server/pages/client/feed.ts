// Feed, home, post and profile pages: the forms done live (feed-forms.ts), and new posts, comments and
// counters arriving live. Items are drawn with the server's own components.
import type { Post } from '@plaza/client';
import { CommentItem } from '../components/comment-item.tsx';
import { nounFor } from '../components/format.ts';
import { LikeButton, PostCard } from '../components/post-card.tsx';
import type { PageContext } from './context.ts';
import { $, html, setText, upsert } from './dom.ts';
import { liveForms } from './feed-forms.ts';
import { wireCounters } from './limits.ts';
import { wirePhotoPicker } from './photo-picker.ts';
import { showWatching } from './presence.ts';

const here = () => `${location.pathname}${location.search}`;

function card(ctx: PageContext, post: Post, link = true) {
  return PostCard({ post, link, viewer: ctx.user ? { username: ctx.user } : null, back: here() });
}

function updateStats(postId: string, likeCount: number, commentCount: number): void {
  const el = document.getElementById(`post-${postId}`);
  if (!el) return;
  setText('.like-count', likeCount, el);
  setText('.like-noun', nounFor(likeCount, 'like'), el);
  setText('.comment-count', commentCount, el);
  setText('.comment-noun', nounFor(commentCount, 'comment'), el);
}

function replacePost(ctx: PageContext, post: Post): void {
  const el = document.getElementById(`post-${post.id}`);
  if (!el) return;
  // likedByMe in a push is not about this viewer: keep what the page knows.
  const likedByMe = $('[data-like]', el)?.getAttribute('aria-pressed') === 'true';
  const link = el.querySelector('.meta a[href^="/posts/"]') !== null;
  upsert(el.parentElement!, card(ctx, { ...post, likedByMe }, link), el.id);
}

/** Likes, on whichever card: the heart fills (aria-pressed) and the form now unlikes. */
function wireLikes(ctx: PageContext): void {
  liveForms({
    'form.like-form': async (form) => {
      const button = $<HTMLButtonElement>('[data-like]', form)!;
      const id = button.dataset.like!;
      const liked = button.getAttribute('aria-pressed') === 'true';
      const result = await (liked ? ctx.client.posts.unlike(id) : ctx.client.posts.like(id));
      form.action = `/posts/${id}/${result.liked ? 'unlike' : 'like'}`;
      button.outerHTML = html(
        LikeButton({ post: { id, likedByMe: result.liked, likeCount: result.likeCount } }),
      );
      $<HTMLButtonElement>('[data-like]', form)?.focus();
    },
  });
}

function wireComposer(ctx: PageContext, list: Element): void {
  wireCounters();
  const composer = $<HTMLFormElement>('#composer');
  const picker = composer ? wirePhotoPicker(ctx.client, composer) : Promise.resolve(null);
  liveForms({
    '#composer': async (form, data) => {
      // Posting waits for the photos' uploads to be ready; their order is the order picked.
      const photos = await picker;
      const mediaIds = photos ? await photos.ready() : [];
      const post = await ctx.client.posts.create(String(data.get('body') ?? ''), mediaIds);
      upsert(list, card(ctx, post), `post-${post.id}`);
      $('.empty')?.remove();
      photos?.reset();
      form.reset();
      form.querySelector('textarea')?.dispatchEvent(new Event('input'));
    },
  });
}

/** Live pushes into `list`: new posts of `accepts` authors on top, edits, deletions and counters. */
async function followFeed(
  ctx: PageContext,
  topic: 'feed' | 'home',
  list: Element,
  accepts: (post: Post) => boolean,
): Promise<void> {
  await ctx.client.subscribe(
    topic,
    {
      'post:created': ({ post }) => {
        if (!accepts(post) || document.getElementById(`post-${post.id}`)) return;
        upsert(list, card(ctx, post), `post-${post.id}`);
        $('.empty')?.remove();
      },
      'post:updated': ({ post }) => replacePost(ctx, post),
      'post:deleted': ({ postId }) => document.getElementById(`post-${postId}`)?.remove(),
      'post:stats': ({ postId, likeCount, commentCount }) => updateStats(postId, likeCount, commentCount),
    },
    { since: ctx.seq },
  );
}

/** `/` and `/home`: the topic is the page's (data-topic). A later page (a cursor) takes no new posts on top. */
export async function feedPage(ctx: PageContext): Promise<void> {
  const list = $('#posts')!;
  wireLikes(ctx);
  wireComposer(ctx, list);
  const topic = ctx.main.dataset.topic === 'home' ? 'home' : 'feed';
  const newest = !new URLSearchParams(location.search).has('cursor');
  await followFeed(ctx, topic, list, () => newest);
}

export async function postPage(ctx: PageContext): Promise<void> {
  const postId = ctx.main.dataset.postId!;
  const postAuthor = ctx.main.dataset.postAuthor ?? '';
  const moderator = ctx.main.dataset.viewerModerator === 'true';
  const comments = $('#comments')!;
  const drawComment = (comment: Parameters<typeof CommentItem>[0]['comment']) =>
    upsert(
      comments,
      CommentItem({
        comment,
        back: here(),
        canDelete:
          ctx.user !== '' && (moderator || ctx.user === postAuthor || ctx.user === comment.author.username),
        canReport: ctx.user !== '' && ctx.user !== comment.author.username,
      }),
      `comment-${comment.id}`,
      'beforeend',
    );
  wireLikes(ctx);
  wireCounters();
  liveForms({
    '#comment-form': async (form, data) => {
      drawComment(await ctx.client.posts.comment(postId, String(data.get('body') ?? '')));
      form.reset();
      form.querySelector('textarea')?.dispatchEvent(new Event('input'));
    },
    '#edit-form': async (_form, data) => {
      replacePost(ctx, await ctx.client.posts.update(postId, String(data.get('body') ?? '')));
      $<HTMLDetailsElement>('#edit-post')!.open = false;
    },
    '#delete-form': async () => {
      await ctx.client.posts.delete(postId);
      location.href = '/';
    },
    'details.delete-comment form': async (form) => {
      const item = form.closest<HTMLElement>('.comment')!;
      await ctx.client.posts.deleteComment(item.dataset.commentId!);
      item.remove();
    },
  });
  await ctx.client.subscribe(
    `post:${postId}`,
    {
      'comment:created': ({ comment }) => {
        if (!document.getElementById(`comment-${comment.id}`)) drawComment(comment);
      },
      'comment:deleted': ({ commentId }) => document.getElementById(`comment-${commentId}`)?.remove(),
      'post:stats': ({ postId: id, likeCount, commentCount }) => updateStats(id, likeCount, commentCount),
      'post:updated': ({ post }) => replacePost(ctx, post),
      'post:deleted': () => {
        ctx.main.innerHTML =
          '<h1>Deleted</h1><p class="card">This post was deleted. <a href="/">Back to the feed</a></p>';
      },
    },
    { since: ctx.seq },
  );
  await showWatching(ctx.client);
}

/** The follow button says the state (✓ Following / Follow), and the follower count moves with it. */
function showFollowing(form: HTMLFormElement, username: string, following: boolean, followerCount: number) {
  const button = $<HTMLButtonElement>('#follow', form)!;
  form.action = `/u/${username}/${following ? 'unfollow' : 'follow'}`;
  button.dataset.following = String(following);
  button.setAttribute('aria-pressed', String(following));
  button.className = following ? 'secondary following' : '';
  button.title = `${following ? 'Unfollow' : 'Follow'} @${username}`;
  button.textContent = following ? '✓ Following' : 'Follow';
  setText('#follower-count', followerCount);
  setText('#follower-noun', nounFor(followerCount, 'follower'));
}

export async function profilePage(ctx: PageContext): Promise<void> {
  const username = ctx.main.dataset.username!;
  wireLikes(ctx);
  liveForms({
    '#follow-form': async (form) => {
      const following = $('#follow', form)?.dataset.following === 'true';
      const result = await (following
        ? ctx.client.users.unfollow(username)
        : ctx.client.users.follow(username));
      showFollowing(form, username, result.following, result.followerCount);
    },
  });
  const list = $('#posts');
  const newest = !new URLSearchParams(location.search).has('cursor');
  if (list) await followFeed(ctx, 'feed', list, (post) => newest && post.author.username === username);
}
