// The moderation queue, live: reports filed anywhere arrive at the bottom (the queue is oldest first) and
// leave as soon as any moderator resolves them. Resolving is the form the server rendered, done through the
// SDK so the page stays in place.
import { ReportCard } from '../components/report-card.tsx';
import type { PageContext } from './context.ts';
import { $, showError, upsert } from './dom.ts';

export async function moderationPage(ctx: PageContext): Promise<void> {
  if (ctx.main.dataset.tab !== 'reports') return;
  const list = $('#reports');
  if (!list) return;
  const empty = $('#reports-empty');
  const showEmpty = () => {
    if (empty) empty.hidden = list.children.length > 0;
  };
  const drop = (id: string) => {
    document.getElementById(`report-${id}`)?.remove();
    showEmpty();
  };

  // Delegated: cards drawn later resolve the same way.
  list.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    if (!form.classList.contains('resolve-form')) return;
    event.preventDefault();
    const item = form.closest<HTMLElement>('.report-item');
    const id = item?.dataset.reportId;
    if (!id) return;
    const data = new FormData(form);
    const button = $<HTMLButtonElement>('button[type="submit"]', form);
    const error = $('.error', form);
    if (error) error.textContent = '';
    if (button) button.disabled = true;
    ctx.client.admin
      .resolveReport(id, String(data.get('action')) as 'dismiss', String(data.get('note') ?? ''))
      .then(() => drop(id))
      .catch((e: unknown) => {
        if (error) showError(error, e);
      })
      .finally(() => {
        if (button) button.disabled = false;
      });
  });

  await ctx.client.subscribe(
    'moderation',
    {
      'report:created': ({ report }) => {
        if (report.status !== 'open') return;
        upsert(list, ReportCard({ report }), `report-${report.id}`, 'beforeend');
        showEmpty();
      },
      'report:resolved': ({ report }) => drop(report.id),
    },
    { since: ctx.seq },
  );
}
