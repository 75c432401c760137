// Feed, home, post and profile pages. Every write is a real form (feed.forms.ts answers it without the
// script; client/feed.ts does it live); an anonymous reader gets sign-in links instead of forms.
import type { Comment, Page, Post, User } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { Avatar } from './components/avatar.tsx';
import { CommentItem } from './components/comment-item.tsx';
import { nounFor } from './components/format.ts';
import { PhotoPicker } from './components/photo-picker.tsx';
import { PostCard, signInHref } from './components/post-card.tsx';
import { ReportForm } from './components/report-form.tsx';
import { Time } from './components/time.tsx';
import { Watching } from './components/watching.tsx';
import { takeFlash } from './flash.ts';
import { Layout, type Viewer } from './layout.tsx';
import { NotFoundPage } from './not-found.tsx';
import { loadViewer, type PageDeps, snapshotSeq } from './page-context.ts';

export const POST_MAX = 5000;
export const COMMENT_MAX = 2000;
/** API.md: at most 4 photos a post (the bundle reads the instance's own limit before uploading). */
const MEDIA_PER_POST = 4;

const cursorQuery = (c: Context<AppEnv>) => {
  const cursor = c.req.query('cursor');
  return cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
};

/** This page as a path with its query: where forms come back to and signing in returns. */
const hereOf = (c: Context<AppEnv>) => {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
};

/** The contract's `bio` (API.md, extended), where the server sends it. */
const bioOf = (u: User) => (u as User & { bio?: string | null }).bio ?? null;

const numberOf = (n: number) => n.toLocaleString('en');

const isModerator = (viewer: Viewer | null) => viewer?.role === 'moderator' || viewer?.role === 'admin';

/** What the bundle needs to draw live items as the server does (who may delete what). */
const viewerData = (viewer: Viewer | null): Record<string, string> =>
  viewer ? { 'viewer-moderator': isModerator(viewer) ? 'true' : 'false' } : {};

/** A textarea with its limit said before it is hit; the bundle turns the hint into a live counter. */
function LimitedText(props: { name: string; max: number; label: string; noun: string; value?: string }) {
  const { name, max, label, noun, value } = props;
  const hint = `limit-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <label>
      {label}
      <textarea name={name} required data-max={String(max)} data-noun={noun} aria-describedby={hint}>
        {value ?? ''}
      </textarea>
      <span class="counter" id={hint}>
        At most {max.toLocaleString('en')} characters
      </span>
    </label>
  );
}

function Composer({ back }: { back: string }) {
  return (
    <form id="composer" class="card stack" method="post" action="/posts">
      <input type="hidden" name="back" value={back} />
      <LimitedText name="body" max={POST_MAX} label="New post" noun="Post" />
      <PhotoPicker max={MEDIA_PER_POST} />
      <div class="form-foot">
        <button type="submit">Post</button>
        <div class="error" role="alert" />
      </div>
    </form>
  );
}

function SignInPrompt({ back, what }: { back: string; what: string }) {
  return (
    <p class="card signin-prompt">
      <a href={signInHref(back)}>{what}</a> — or <a href="/register">sign up</a> to post, comment and like.
    </p>
  );
}

function PostList({ items, viewer, back }: { items: Post[]; viewer: Viewer | null; back: string }) {
  return (
    <>
      <div id="posts">
        {items.map((post) => (
          <PostCard post={post} viewer={viewer} back={back} />
        ))}
      </div>
      {items.length === 0 ? <p class="empty">No posts yet.</p> : null}
    </>
  );
}

const Pager = ({ path, next }: { path: string; next: string | null }) =>
  next ? (
    <div class="pager">
      <a href={`${path}?cursor=${encodeURIComponent(next)}`}>Older posts</a>
    </div>
  ) : null;

/** `/` (everyone's posts) and `/home` (own and followed authors'), one shape. */
async function listPage(deps: PageDeps, c: Context<AppEnv>, home: boolean) {
  const path = home ? '/home' : '/';
  const [viewer, posts] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<Page<Post>>(c, `${home ? '/feed' : '/posts'}?limit=20${cursorQuery(c)}`),
  ]);
  if (home && !viewer) return c.redirect(signInHref('/home'), 302);
  const back = hereOf(c);
  const items = posts.status === 200 ? posts.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={home ? 'Home' : 'Feed'}
      page="feed"
      path={path}
      viewer={viewer}
      seq={posts.seq}
      assetUrl={deps.assetUrl}
      data={{ topic: home ? 'home' : 'feed', ...viewerData(viewer) }}
    >
      <h1>{home ? 'Home' : 'Feed'}</h1>
      {home ? <p class="lede">Your posts and those of the people you follow.</p> : null}
      {viewer ? <Composer back={back} /> : <SignInPrompt back={back} what="Sign in to post" />}
      <PostList items={items} viewer={viewer} back={back} />
      {home && items.length === 0 ? (
        <p class="lede">Follow people from their profile (their name on any post) to see their posts here.</p>
      ) : null}
      <Pager path={path} next={posts.status === 200 ? posts.data.nextCursor : null} />
    </Layout>,
  );
}

export const feedPage = (deps: PageDeps, c: Context<AppEnv>) => listPage(deps, c, false);
export const homePage = (deps: PageDeps, c: Context<AppEnv>) => listPage(deps, c, true);

/** The author edits; the author or a moderator deletes, behind a second, deliberate click. */
function PostManage({ post, viewer }: { post: Post; viewer: Viewer | null }) {
  if (!viewer) return null;
  const mine = viewer.username === post.author.username;
  return (
    <div class="manage">
      {mine ? (
        <details id="edit-post" class="confirm">
          <summary>Edit</summary>
          <form id="edit-form" class="stack" method="post" action={`/posts/${post.id}/edit`}>
            <input type="hidden" name="back" value={`/posts/${post.id}`} />
            <LimitedText name="body" max={POST_MAX} label="Your post" noun="Post" value={post.body} />
            <div class="form-foot">
              <button type="submit">Save</button>
              <div class="error" role="alert" />
            </div>
          </form>
        </details>
      ) : null}
      {mine || isModerator(viewer) ? <DeletePost post={post} mine={mine} /> : null}
      {mine ? null : <ReportForm type="post" id={post.id} back={`/posts/${post.id}`} />}
    </div>
  );
}

function DeletePost({ post, mine }: { post: Post; mine: boolean }) {
  return (
    <details id="delete-post" class="confirm">
      <summary>Delete…</summary>
      <form id="delete-form" method="post" action={`/posts/${post.id}/delete`} class="confirm-form">
        <input type="hidden" name="back" value={`/posts/${post.id}`} />
        <span>{mine ? 'Delete this post' : `Delete @${post.author.username}'s post`} and its comments?</span>{' '}
        <button type="submit" class="danger">
          Delete post
        </button>
        <div class="error" role="alert" />
      </form>
    </details>
  );
}

export async function postPage(deps: PageDeps, c: Context<AppEnv>) {
  const id = encodeURIComponent(c.req.param('id') ?? '');
  const [viewer, post, comments] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<Post>(c, `/posts/${id}`),
    deps.callApi<Page<Comment>>(c, `/posts/${id}/comments?limit=100`),
  ]);
  if (post.status !== 200) return NotFoundPage(deps, c, viewer, 'This post does not exist or was deleted.');
  const p = post.data;
  const back = `/posts/${p.id}`;
  const items = comments.status === 200 ? comments.data.items : [];
  const canDelete = (comment: Comment) =>
    viewer !== null &&
    (comment.author.username === viewer.username ||
      p.author.username === viewer.username ||
      isModerator(viewer));
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={`Post by ${p.author.displayName}`}
      page="post"
      path={back}
      viewer={viewer}
      seq={snapshotSeq(post, comments)}
      assetUrl={deps.assetUrl}
      data={{ 'post-id': p.id, 'post-author': p.author.username, ...viewerData(viewer) }}
    >
      <h1 class="visually-hidden">Post by {p.author.displayName}</h1>
      <PostCard post={p} link={false} viewer={viewer} back={back} />
      <Watching topic={`post:${p.id}`} />
      <PostManage post={p} viewer={viewer} />
      <h2 id="comments-heading">Comments</h2>
      <ul id="comments" class="list" aria-labelledby="comments-heading">
        {items.map((comment) => (
          <CommentItem
            comment={comment}
            canDelete={canDelete(comment)}
            canReport={viewer !== null && comment.author.username !== viewer.username}
            back={back}
          />
        ))}
      </ul>
      {viewer ? (
        <form id="comment-form" class="card stack" method="post" action={`/posts/${p.id}/comments`}>
          <input type="hidden" name="back" value={back} />
          <LimitedText name="body" max={COMMENT_MAX} label="Add a comment" noun="Comment" />
          <div class="form-foot">
            <button type="submit">Comment</button>
            <div class="error" role="alert" />
          </div>
        </form>
      ) : (
        <p class="card signin-prompt">
          <a href={signInHref(back)}>Sign in to comment</a> or like.
        </p>
      )}
    </Layout>,
  );
}

interface SafetyState {
  blocking: boolean;
  muting: boolean;
}

/** Whether the viewer blocks or mutes this user, as the profile said (the pair itself, whatever the lists' length). */
const safetyStateOf = (user: User): SafetyState => ({
  blocking: user.blockedByMe === true,
  muting: user.mutedByMe === true,
});

/** Mute, block and report, each a form (they work without the script); block and report ask twice. */
function SafetyActions({ user, state, back }: { user: User; state: SafetyState; back: string }) {
  return (
    <div class="manage safety-actions">
      <form method="post" action={`/u/${user.username}/${state.muting ? 'unmute' : 'mute'}`} id="mute-form">
        <input type="hidden" name="back" value={back} />
        <button type="submit" class="secondary" aria-pressed={state.muting ? 'true' : 'false'}>
          {state.muting ? 'Unmute' : 'Mute'}
        </button>
      </form>
      {state.blocking ? (
        <form method="post" action={`/u/${user.username}/unblock`} id="block-form">
          <input type="hidden" name="back" value={back} />
          <button type="submit" class="secondary" aria-pressed="true">
            Unblock
          </button>
        </form>
      ) : (
        <details class="confirm" id="block">
          <summary>Block…</summary>
          <form method="post" action={`/u/${user.username}/block`} class="confirm-form" id="block-form">
            <input type="hidden" name="back" value={back} />
            <span>Block @{user.username}? Neither of you will see the other, and follows end.</span>{' '}
            <button type="submit" class="danger">
              Block
            </button>
          </form>
        </details>
      )}
      <ReportForm type="user" id={user.id} back={back} />
    </div>
  );
}

/** Follow or unfollow: the button says the state (Following / Follow) and aria-pressed carries it. */
function FollowForm({ user, back }: { user: User; back: string }) {
  const following = user.followedByMe;
  return (
    <form
      id="follow-form"
      method="post"
      action={`/u/${user.username}/${following ? 'unfollow' : 'follow'}`}
      class="follow-form"
    >
      <input type="hidden" name="back" value={back} />
      <button
        type="submit"
        id="follow"
        class={following ? 'secondary following' : ''}
        aria-pressed={following ? 'true' : 'false'}
        data-following={following ? 'true' : 'false'}
        title={following ? `Unfollow @${user.username}` : `Follow @${user.username}`}
      >
        {following ? '✓ Following' : 'Follow'}
      </button>
    </form>
  );
}

export async function profilePage(deps: PageDeps, c: Context<AppEnv>) {
  const username = encodeURIComponent(c.req.param('username') ?? '');
  const [viewer, user, posts] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<User>(c, `/users/${username}`),
    deps.callApi<Page<Post>>(c, `/users/${username}/posts?limit=20${cursorQuery(c)}`),
  ]);
  if (user.status !== 200) return NotFoundPage(deps, c, viewer, 'No such user.');
  const u = user.data;
  const path = `/u/${u.username}`;
  const back = hereOf(c);
  const other = viewer !== null && viewer.username !== u.username;
  const safety = other ? safetyStateOf(u) : null;
  const items = posts.status === 200 ? posts.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={u.displayName}
      page="profile"
      path={path}
      viewer={viewer}
      seq={snapshotSeq(user, posts)}
      assetUrl={deps.assetUrl}
      data={{ username: u.username, ...viewerData(viewer) }}
    >
      <section class="card profile">
        <div class="profile-head">
          <Avatar user={u} size="large" src={u.avatar?.large ?? null} />
          <div class="profile-name">
            <h1>{u.displayName}</h1>
            <div class="meta">
              @{u.username} · joined <Time iso={u.createdAt} relative />
            </div>
          </div>
          {viewer && viewer.username !== u.username ? <FollowForm user={u} back={back} /> : null}
        </div>
        {bioOf(u) ? <p class="body">{bioOf(u)}</p> : null}
        <div class="counts">
          <span class="follower-line">
            <strong id="follower-count">{u.followerCount}</strong>{' '}
            <span id="follower-noun">{nounFor(u.followerCount, 'follower')}</span>
          </span>
          <span class="following-line">
            <strong>{numberOf(u.followingCount)}</strong> following
          </span>
        </div>
        {safety ? <SafetyActions user={u} state={safety} back={back} /> : null}
        {viewer ? null : (
          <p class="signin-prompt">
            <a href={signInHref(back)}>Sign in to follow @{u.username}</a>
          </p>
        )}
      </section>
      <h2>Posts</h2>
      <PostList items={items} viewer={viewer} back={back} />
      <Pager path={path} next={posts.status === 200 ? posts.data.nextCursor : null} />
    </Layout>,
  );
}
