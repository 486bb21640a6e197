/**
 * Calendar days in the operator's time zone (`TIMEZONE`): analytics count per day as people in
 * that zone live it, so a visit at 23:30 and one at 00:30 London time fall on different days
 * whatever the UTC offset (GMT or BST) that night.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    // en-CA writes dates as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * The last answer per zone, by minute: every zone's offset is a whole number of minutes, so a
 * day never changes inside a minute. Counting calls this for every page view, and formatting a
 * date in a zone costs far more than this comparison.
 */
const lastAnswer = new Map<string, { minute: number; day: string }>();

/** The calendar day (`YYYY-MM-DD`) that `at` falls on in `timezone`. */
export function dayIn(at: Date, timezone: string): string {
  const minute = Math.floor(at.getTime() / 60_000);
  const cached = lastAnswer.get(timezone);
  if (cached?.minute === minute) return cached.day;
  const day = formatterFor(timezone).format(at);
  lastAnswer.set(timezone, { minute, day });
  return day;
}

/** `day` moved by whole days (calendar arithmetic on the date alone, no time zone involved). */
export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split('-').map(Number);
  const moved = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1, (date ?? 1) + days));
  return moved.toISOString().slice(0, 10);
}

/** The `count` days ending with `lastDay`, oldest first. */
export function daysEndingWith(lastDay: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => addDays(lastDay, index - (count - 1)));
}

/** The `count` months (`YYYY-MM`) ending with the month of `lastDay`, oldest first. */
export function monthsEndingWith(lastDay: string, count: number): string[] {
  const [year, month] = lastDay.split('-').map(Number);
  return Array.from({ length: count }, (_, index) => {
    const first = new Date(Date.UTC(year ?? 1970, (month ?? 1) - 1 - (count - 1 - index), 1));
    return first.toISOString().slice(0, 7);
  });
}
