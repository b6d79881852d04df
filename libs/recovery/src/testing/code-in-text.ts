/**
 * Whether a short numeric code stands in the text as a value or a word of its own. Six digits
 * turn up inside hashes and ids now and then (about once in 10,000 texts of a few kilobytes), so
 * a plain substring test would fail by chance; a code written down would stand alone.
 */
export function codeStandsIn(text: string, code: string): boolean {
  return new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`).test(text);
}
