/**
 * The place list members choose their location from (the notice's "chosen location"): UK
 * cities, towns and areas shipped as data (data/uk-places.json, see data/README.md), so that a
 * location is one of a known set of coarse places, never a free-text address. Loaded once, on
 * first use, and searched in memory: a few hundred entries need no database.
 */
import fs from 'node:fs';

export interface Place {
  id: string;
  name: string;
  /** The nation, or for England the region ("North West England", "London", "Scotland"). */
  region: string;
}

interface ShippedPlace extends Place {
  /** The county or council area: searched, but not part of a place's public shape. */
  county: string;
}

interface IndexedPlace {
  place: Place;
  /** The name folded for comparison, and its words. */
  name: string;
  nameWords: readonly string[];
  /** The name, county and region words: county and region match after the name. */
  allWords: readonly string[];
  /** Alphabetical position, the tie-break of every ranking. */
  order: number;
}

export const PLACES_FILE = new URL('./data/uk-places.json', import.meta.url);

/** Results when a caller asks for none in particular, and the most a caller may ask for. */
export const DEFAULT_LOCATION_LIMIT = 10;
export const MAX_LOCATION_LIMIT = 50;

/** Longest query worth reading: the longest place name is well under this. */
const MAX_QUERY_LENGTH = 100;

/**
 * Folds text for matching: accents off ("Ynys Môn" matches "ynys mon"), lower case,
 * apostrophes dropped ("King's Lynn" matches "kings lynn"), every other non-letter a space, and
 * "st"/"st." read as "saint" so "St Albans" and "Saint Albans" find the same place.
 */
export function foldPlaceText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’‘`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .map((word) => (word === 'st' ? 'saint' : word))
    .join(' ');
}

let index: { byId: Map<string, Place>; places: readonly IndexedPlace[] } | undefined;

function isShippedPlace(value: unknown): value is ShippedPlace {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === 'string' &&
    typeof record.name === 'string' &&
    typeof record.region === 'string' &&
    typeof record.county === 'string'
  );
}

/** Reads and checks the shipped list; a broken file fails loudly at first use, not silently. */
export function loadPlaces(file: URL | string = PLACES_FILE): ShippedPlace[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every(isShippedPlace)) {
    throw new Error(`${String(file)}: expected a list of {id, name, county, region}`);
  }
  return parsed;
}

function placeIndex() {
  if (index) return index;
  const shipped = loadPlaces().sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
  const byId = new Map<string, Place>();
  const places: IndexedPlace[] = [];
  for (const [order, entry] of shipped.entries()) {
    if (byId.has(entry.id)) throw new Error(`uk-places.json: duplicate id ${entry.id}`);
    const place: Place = { id: entry.id, name: entry.name, region: entry.region };
    byId.set(place.id, place);
    const name = foldPlaceText(entry.name);
    places.push({
      place,
      name,
      nameWords: name.split(' '),
      allWords: foldPlaceText(`${entry.name} ${entry.county} ${entry.region}`).split(' '),
      order,
    });
  }
  index = { byId, places };
  return index;
}

/** The place with this id, or undefined (an unknown id is a validation error for callers). */
export function findLocation(id: string): Place | undefined {
  return placeIndex().byId.get(id);
}

/** True when every query word begins one of `words`, each word used once, in any order. */
function everyWordStartsOneOf(queryWords: readonly string[], words: readonly string[]): boolean {
  // One word, the usual case while typing: no bookkeeping of used words needed.
  if (queryWords.length === 1) {
    const only = queryWords[0] ?? '';
    return words.some((word) => word.startsWith(only));
  }
  const unused = [...words];
  for (const queryWord of queryWords) {
    const at = unused.findIndex((word) => word.startsWith(queryWord));
    if (at === -1) return false;
    unused.splice(at, 1);
  }
  return true;
}

/**
 * Rank of a place for a folded query, lower first, or undefined when it does not match:
 * 0 the whole name, 1 the name begins with the query, 2 every query word begins a word of the
 * name, 3 every query word begins a word of the name, county or region ("Cornwall", "Bury Lanc").
 */
function rankPlace(entry: IndexedPlace, query: string, queryWords: readonly string[]) {
  if (entry.name === query) return 0;
  if (entry.name.startsWith(query)) return 1;
  if (everyWordStartsOneOf(queryWords, entry.nameWords)) return 2;
  if (everyWordStartsOneOf(queryWords, entry.allWords)) return 3;
  return undefined;
}

/**
 * Places matching `q`, best first: case- and accent-insensitive, by the start of the name or of
 * any of its words, then by county or region; alphabetical within a rank. An empty query gives
 * the first places alphabetically. `limit` is clamped to 1…50.
 */
export function searchLocations(q: string, limit: number = DEFAULT_LOCATION_LIMIT): Place[] {
  const count = Math.min(
    Math.max(Number.isFinite(limit) ? Math.trunc(limit) : DEFAULT_LOCATION_LIMIT, 1),
    MAX_LOCATION_LIMIT,
  );
  const { places } = placeIndex();
  const query = foldPlaceText(q.slice(0, MAX_QUERY_LENGTH));
  if (query === '') return places.slice(0, count).map((entry) => entry.place);
  const queryWords = query.split(' ');
  const ranked: { entry: IndexedPlace; rank: number }[] = [];
  for (const entry of places) {
    const rank = rankPlace(entry, query, queryWords);
    if (rank !== undefined) ranked.push({ entry, rank });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.entry.order - b.entry.order);
  return ranked.slice(0, count).map(({ entry }) => entry.place);
}
