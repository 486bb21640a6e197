/**
 * Stops a second submission of the same form while the first is on its way (a double tap on a
 * phone would otherwise post twice: two messages, two entries). The form unlocks when the page
 * is shown again from the back-forward cache, and after a while in case the person stopped
 * loading and wants to try again.
 */

const UNLOCK_AFTER_MS = 15_000;

function setBusy(form: HTMLFormElement, isBusy: boolean): void {
  if (isBusy) form.dataset.submitting = 'true';
  else delete form.dataset.submitting;
  for (const button of form.querySelectorAll('button[type="submit"], button:not([type])')) {
    if (isBusy) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
  }
}

export function preventDoubleSubmit(root: Document, view: Window): void {
  root.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-prevent-double-submit')) {
      return;
    }
    if (form.dataset.submitting === 'true') {
      event.preventDefault();
      return;
    }
    setBusy(form, true);
    view.setTimeout(() => setBusy(form, false), UNLOCK_AFTER_MS);
  });
  view.addEventListener('pageshow', (event) => {
    if (!event.persisted) return;
    for (const form of root.querySelectorAll<HTMLFormElement>('form[data-submitting]')) {
      setBusy(form, false);
    }
  });
}
