/**
 * The ad slot on the home page and the forum. Hearth renders it with a house advert chosen
 * from the page alone (the section of the path): no cookie, no profile, no request to anyone,
 * so it needs no consent (contextual `advertising`, on legitimate interests) and adverts still
 * show whatever the visitor chose (P31). An advertising partner's tag, when the visitor allowed
 * it, may fill the same slot; the slot has a fixed size, so that shifts nothing.
 */

/** Pages with an ad slot: the home page and the forum. */
export function hasAdSlot(path: string): boolean {
  return path === '/' || path === '/forum' || path.startsWith('/forum/');
}

/** The section of a path, which is all a contextual advert may depend on. */
export function sectionOf(path: string): string {
  const first = path.split('/')[1] ?? '';
  return /^[a-z0-9-]{1,40}$/.test(first) ? first : 'home';
}

const HOUSE_ADVERTS: Readonly<Record<string, string>> = {
  home: 'Slings and carriers for every stage: see the range',
  forum: 'Parenting books for long nights: browse the shelf',
};

/** The slot as Hearth renders it, with the house advert for the page's section. */
export function AdSlot(props: { path: string }) {
  const section = sectionOf(props.path);
  return (
    <aside class="ad-slot" aria-label="Advertisement" data-ad-slot={section}>
      <p class="ad-slot__label">Advert</p>
      <p class="ad-slot__headline" data-ad-headline="">
        {HOUSE_ADVERTS[section] ?? HOUSE_ADVERTS.home}
      </p>
      <p class="ad-slot__note" data-ad-note="">
        From Hearth. Chosen by this page, not by you.
      </p>
    </aside>
  );
}
