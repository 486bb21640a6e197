/**
 * Enhances the cookie banner and settings that modules render (`data-cookie-banner`,
 * `data-cookie-form`, `data-cookie-saved`, `<meta name="hearth-gpc-report">`). Everything works
 * without it; it adds:
 *
 * - Escape inside the banner moves focus on to the page content. The banner stays and nothing
 *   is chosen: Escape never accepts (or refuses) on the person's behalf. Focus is not moved
 *   into the banner on arrival: it is non-modal and comes first after the skip link, so
 *   keyboard and screen-reader users meet it without having their place taken.
 * - after saving on the settings page, focus goes to the confirmation so it is announced;
 * - `navigator.globalPrivacyControl`: forms carry `gpc=1`, and when the page marks a choice
 *   that GPC would change, the signal is reported and the page reloaded without the tags.
 */

interface GpcNavigator extends Navigator {
  globalPrivacyControl?: boolean;
}

function hasGpc(view: Window): boolean {
  return (view.navigator as GpcNavigator).globalPrivacyControl === true;
}

export function enhanceCookieChoices(root: Document, view: Window): void {
  const banner = root.querySelector<HTMLElement>('[data-cookie-banner]');
  if (banner) {
    banner.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      root.getElementById('main')?.focus();
    });
  }

  root.querySelector<HTMLElement>('[data-cookie-saved]')?.focus();

  if (!hasGpc(view)) return;
  for (const group of root.querySelectorAll<HTMLElement>('[data-cookie-form]')) {
    const form = group.closest('form');
    if (!form || form.querySelector('input[name="gpc"]')) continue;
    const input = root.createElement('input');
    input.type = 'hidden';
    input.name = 'gpc';
    input.value = '1';
    form.append(input);
  }
  const report = root.querySelector<HTMLMetaElement>('meta[name="hearth-gpc-report"]');
  if (report?.content.startsWith('/api/')) {
    void view
      .fetch(report.content, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        credentials: 'same-origin',
      })
      .then(async (response) => {
        if (!response.ok) return;
        const body = (await response.json()) as { gpc?: { honoured?: boolean } };
        // Reloaded once: the server no longer marks the page once the signal is honoured.
        if (body.gpc?.honoured === true) view.location.reload();
      });
  }
}
