import { describe, expect, it } from 'vitest';
import {
  MAX_LOCATION_LIMIT,
  findLocation,
  foldPlaceText,
  loadPlaces,
  searchLocations,
} from './locations.js';

const REGIONS = new Set([
  'North East England',
  'North West England',
  'Yorkshire and the Humber',
  'East Midlands',
  'West Midlands',
  'East of England',
  'London',
  'South East England',
  'South West England',
  'Scotland',
  'Wales',
  'Northern Ireland',
]);

describe('the shipped place list', () => {
  const places = loadPlaces();

  it('holds several hundred places across all four nations, each with a known region', () => {
    expect(places.length).toBeGreaterThan(500);
    for (const place of places) expect(REGIONS.has(place.region), place.id).toBe(true);
    const perRegion = new Map<string, number>();
    for (const place of places) perRegion.set(place.region, (perRegion.get(place.region) ?? 0) + 1);
    for (const region of REGIONS) expect(perRegion.get(region) ?? 0, region).toBeGreaterThan(30);
  });

  it('has unique slug ids and unique names, so a place is told apart by its name alone', () => {
    const ids = new Set(places.map((place) => place.id));
    const names = new Set(places.map((place) => place.name));
    expect(ids.size).toBe(places.length);
    expect(names.size).toBe(places.length);
    for (const place of places) expect(place.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('includes every capital and the largest cities', () => {
    for (const id of ['london', 'edinburgh', 'cardiff', 'belfast', 'manchester', 'birmingham']) {
      expect(findLocation(id)?.id).toBe(id);
    }
  });
});

describe('findLocation', () => {
  it('returns the public shape only, and undefined for an unknown id', () => {
    expect(findLocation('kings-lynn')).toEqual({
      id: 'kings-lynn',
      name: "King's Lynn",
      region: 'East of England',
    });
    expect(findLocation('atlantis')).toBeUndefined();
    expect(findLocation('')).toBeUndefined();
  });
});

describe('searchLocations', () => {
  it('folds case, accents, apostrophes and "St" for "Saint"', () => {
    expect(foldPlaceText('King’s LYNN')).toBe('kings lynn');
    expect(foldPlaceText('Ynys Môn')).toBe('ynys mon');
    expect(foldPlaceText('St. Albans')).toBe('saint albans');
    expect(searchLocations('kings lynn')[0]?.id).toBe('kings-lynn');
    expect(searchLocations('YNYS MON')[0]?.id).toBe('ynys-mon');
    expect(searchLocations('saint alb')[0]?.id).toBe('st-albans');
  });

  it('ranks the exact name first, then names that begin with the query, then inner words', () => {
    const names = searchLocations('york', 20).map((place) => place.name);
    expect(names[0]).toBe('York');
    // "Yorkshire" appears only in the regions of other places: those come after every name match.
    const newYork = names.indexOf('New York');
    expect(newYork).toBe(-1);
    const bath = searchLocations('bath', 5).map((place) => place.name);
    expect(bath[0]).toBe('Bath');
    expect(bath[1]).toBe('Bathgate');
    const upon = searchLocations('tyne', 10).map((place) => place.name);
    expect(upon).toContain('Newcastle upon Tyne');
  });

  it('matches several words in any order, and a county or region after names', () => {
    expect(searchLocations('tyne newcastle')[0]?.name).toBe('Newcastle upon Tyne');
    const cornwall = searchLocations('cornwall', 50);
    expect(cornwall.length).toBeGreaterThan(10);
    expect(cornwall.every((place) => place.region === 'South West England')).toBe(true);
    expect(searchLocations('newport', 10).map((place) => place.id)).toEqual(
      expect.arrayContaining(['newport-wales', 'newport-isle-of-wight', 'newport-shropshire']),
    );
  });

  it('gives the first places alphabetically for an empty query, and nothing for nonsense', () => {
    const first = searchLocations('', 3);
    expect(first).toHaveLength(3);
    const sorted = [...first].sort((a, b) => a.name.localeCompare(b.name, 'en-GB'));
    expect(first).toEqual(sorted);
    expect(searchLocations('   ')).toHaveLength(10);
    expect(searchLocations('zzqx')).toEqual([]);
    expect(searchLocations('%_*')).toHaveLength(10);
  });

  it('clamps the limit to 1…50', () => {
    expect(searchLocations('a', 0)).toHaveLength(1);
    expect(searchLocations('', 500)).toHaveLength(MAX_LOCATION_LIMIT);
    expect(searchLocations('', Number.NaN)).toHaveLength(10);
  });
});
