// Feed, post and profile pages.
import type { Comment, Page, Post, User } from '@plaza/client/protocol';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { CommentItem } from './components/comment-item.tsx';
import { PostCard } from './components/post-card.tsx';
import { takeFlash } from './flash.ts';
import { Layout } from './layout.tsx';
import { NotFoundPage } from './not-found.tsx';
import { loadViewer, type PageDeps, snapshotSeq } from './page-context.ts';

const cursorQuery = (c: Context<AppEnv>) => {
  const cursor = c.req.query('cursor');
  return cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
};

export async function feedPage(deps: PageDeps, c: Context<AppEnv>) {
  const [viewer, posts] = await Promise.all([
    loadViewer(deps, c),
    deps.callApi<Page<Post>>(c, `/posts?limit=20${cursorQuery(c)}`),
  ]);
  const items = posts.status === 200 ? posts.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title="Feed"
      page="feed"
      path="/"
      viewer={viewer}
      seq={posts.seq}
      assetUrl={deps.assetUrl}
    >
      <h1>Feed</h1>
      {viewer ? (
        <form id="composer" class="card stack">
          <label>
            New post
            <textarea name="body" maxlength={5000} required placeholder="What's happening?" />
          </label>
          <div class="error" role="alert" />
          <div>
            <button type="submit">Post</button>
          </div>
        </form>
      ) : (
        <p class="card">
          <a href="/login">Log in</a> or <a href="/register">sign up</a> to post, comment and like.
        </p>
      )}
      <div id="posts" data-topic="feed">
        {items.map((post) => (
          <PostCard post={post} />
        ))}
      </div>
      {items.length === 0 ? <p class="empty">No posts yet.</p> : null}
      {posts.data.nextCursor ? (
        <div class="pager">
          <a href={`/?cursor=${encodeURIComponent(posts.data.nextCursor)}`}>Older posts</a>
        </div>
      ) : null}
    </Layout>,
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
  const items = comments.status === 200 ? comments.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={`Post by ${post.data.author.displayName}`}
      page="post"
      path={`/posts/${post.data.id}`}
      viewer={viewer}
      seq={snapshotSeq(post, comments)}
      assetUrl={deps.assetUrl}
      data={{ 'post-id': post.data.id }}
    >
      <PostCard post={post.data} link={false} />
      <h2>Comments</h2>
      <ul id="comments" class="list">
        {items.map((comment) => (
          <CommentItem comment={comment} />
        ))}
      </ul>
      {viewer ? (
        <form id="comment-form" class="card stack">
          <label>
            Add a comment
            <textarea name="body" maxlength={2000} required />
          </label>
          <div class="error" role="alert" />
          <div>
            <button type="submit">Comment</button>
          </div>
        </form>
      ) : null}
    </Layout>,
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
  const items = posts.status === 200 ? posts.data.items : [];
  return c.html(
    <Layout
      flash={takeFlash(c)}
      title={u.displayName}
      page="profile"
      path={`/u/${u.username}`}
      viewer={viewer}
      seq={snapshotSeq(user, posts)}
      assetUrl={deps.assetUrl}
      data={{ username: u.username }}
    >
      <section class="card">
        <h1>{u.displayName}</h1>
        <div class="meta">@{u.username}</div>
        <div class="counts">
          <span>
            <strong id="follower-count">{u.followerCount}</strong> followers
          </span>
          <span>
            <strong>{u.followingCount}</strong> following
          </span>
        </div>
        {viewer && viewer.username !== u.username ? (
          <p>
            <button type="button" id="follow" data-following={u.followedByMe ? 'true' : 'false'}>
              {u.followedByMe ? 'Unfollow' : 'Follow'}
            </button>
          </p>
        ) : null}
      </section>
      <div id="posts">
        {items.map((post) => (
          <PostCard post={post} />
        ))}
      </div>
      {items.length === 0 ? <p class="empty">No posts yet.</p> : null}
    </Layout>,
  );
}
