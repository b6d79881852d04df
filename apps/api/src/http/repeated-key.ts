/** Where the scan is inside an object (the key of the value being read) or an array (its index). */
type Frame = { keys: Set<string>; key: string; expectsKey: boolean } | { index: number };

/**
 * The field (named as validation names fields: `evidence.1.kind`) of the first key that an object
 * of this JSON text gives twice. `JSON.parse` keeps the last and drops the rest without a word,
 * so the sender's first value, which another reader of the same bytes may take, is lost
 * (RFC 7493 forbids repeated names). The text must be valid JSON: it is parsed first.
 */
export function firstRepeatedKey(json: string): string | undefined {
  const frames: Frame[] = [];
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      const end = endOfString(json, i);
      const top = frames.at(-1);
      if (top && 'keys' in top && top.expectsKey) {
        // Decoded, so that "a" and "\u0061" are the same key.
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return [...frames.slice(0, -1).map(fieldStep), key].join('.');
        top.keys.add(key);
        top.key = key;
        top.expectsKey = false;
      }
      i = end;
    } else if (char === '{') frames.push({ keys: new Set(), key: '', expectsKey: true });
    else if (char === '[') frames.push({ index: 0 });
    else if (char === '}' || char === ']') frames.pop();
    else if (char === ',') {
      const top = frames.at(-1);
      if (top && 'keys' in top) top.expectsKey = true;
      else if (top) top.index++;
    }
  }
  return undefined;
}

const fieldStep = (frame: Frame) => ('keys' in frame ? frame.key : String(frame.index));

/** The index of the quote that closes the string opened at `start`. */
function endOfString(json: string, start: number): number {
  for (let i = start + 1; ; i++) {
    if (json[i] === '\\') i++;
    else if (json[i] === '"') return i;
  }
}
