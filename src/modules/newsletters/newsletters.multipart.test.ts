/** The multipart/form-data reader of the one-click unsubscribe POST (RFC 7578, RFC 8058). */
import { describe, expect, it } from 'vitest';
import { boundaryOf, parseMultipartForm } from './newsletters.multipart.js';

function body(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'));
}

describe('multipart/form-data for one-click unsubscribe', () => {
  it('P07 reads List-Unsubscribe=One-Click as mail clients send it, with preamble and epilogue ignored', () => {
    const parsed = parseMultipartForm(
      body(
        'This is the preamble.',
        '--b0undary',
        'Content-Disposition: form-data; name="List-Unsubscribe"',
        '',
        'One-Click',
        '--b0undary',
        'Content-Disposition: form-data; name="other"',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Zoë',
        '--b0undary--',
        'epilogue',
      ),
      'b0undary',
    );
    expect(parsed).toEqual({ 'List-Unsubscribe': 'One-Click', other: 'Zoë' });
  });

  it('takes the boundary quoted or bare, and refuses a missing or malformed one', () => {
    expect(boundaryOf('multipart/form-data; boundary=----x123')).toBe('----x123');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b:c"')).toBe('a b:c');
    expect(boundaryOf('multipart/form-data')).toBeNull();
    expect(boundaryOf('multipart/form-data; boundary=')).toBeNull();
    expect(boundaryOf(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toBeNull();
    expect(boundaryOf(undefined)).toBeNull();
  });

  it('refuses with a 400 what is not a form: no boundary line, no end, files, nameless or too many parts', () => {
    const part = (name: string) => [
      '--B',
      `Content-Disposition: form-data; name="${name}"`,
      '',
      'x',
    ];
    const cases: [Buffer, RegExp][] = [
      [body('List-Unsubscribe=One-Click'), /boundary line is missing/],
      [body(...part('List-Unsubscribe')), /closing boundary is missing/],
      [
        body('--B', 'Content-Disposition: form-data; name="f"; filename="a.txt"', '', 'x', '--B--'),
        /files are not accepted/,
      ],
      [body('--B', 'Content-Disposition: form-data', '', 'x', '--B--'), /no field name/],
      [body('--B', 'Content-Disposition: attachment; name="a"', '', 'x', '--B--'), /not form-data/],
      [body('--B', 'Content-Disposition: form-data; name="a"', 'x', '--B--'), /no blank line/],
      [
        body(...Array.from({ length: 11 }, (_, index) => part(`f${index}`)).flat(), '--B--'),
        /more than 10 parts/,
      ],
    ];
    for (const [input, message] of cases) {
      expect(() => parseMultipartForm(input, 'B')).toThrow(message);
      try {
        parseMultipartForm(input, 'B');
      } catch (error) {
        expect(error).toMatchObject({ statusCode: 400, code: 'bad_request' });
      }
    }
  });

  it('keeps the first of a repeated field, so a later part cannot change what was asked', () => {
    expect(
      parseMultipartForm(
        body(
          '--B',
          'Content-Disposition: form-data; name="List-Unsubscribe"',
          '',
          'One-Click',
          '--B',
          'Content-Disposition: form-data; name="List-Unsubscribe"',
          '',
          'Other',
          '--B--',
        ),
        'B',
      ),
    ).toEqual({ 'List-Unsubscribe': 'One-Click' });
  });
});
