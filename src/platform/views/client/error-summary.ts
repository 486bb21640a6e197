/**
 * The error summary (GOV.UK pattern): when a form comes back with errors, focus moves to the
 * summary so that screen-reader users hear what went wrong first; a link in it moves focus to
 * its field and scrolls the field's label into view (the browser's own jump to the fragment
 * would hide the label and the question above the fold).
 */

function labelFor(target: HTMLElement): HTMLElement | null {
  if (target instanceof HTMLFieldSetElement) return target.querySelector('legend');
  if (target.id) {
    return document.querySelector<HTMLElement>(`label[for="${CSS.escape(target.id)}"]`);
  }
  return null;
}

function focusField(target: HTMLElement): void {
  const label = labelFor(target) ?? target;
  label.scrollIntoView();
  target.focus({ preventScroll: true });
}

export function enhanceErrorSummary(root: Document): void {
  const summary = root.querySelector<HTMLElement>('[data-error-summary]');
  if (!summary) return;
  summary.focus();
  summary.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest('a');
    const hash = link?.getAttribute('href');
    if (!link || !hash?.startsWith('#')) return;
    const target = root.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    focusField(target);
  });
}
