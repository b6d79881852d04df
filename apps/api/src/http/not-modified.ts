/**
 * Whether `If-None-Match` names the representation the client already has (RFC 9110 13.1.2:
 * a list of entity tags, weak ones compared as strong, or `*`), so it can be answered 304.
 */
export function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = [ifNoneMatch].flat().flatMap((value) => value.split(','));
  return tags.some((tag) => {
    const plain = tag.trim().replace(/^W\//, '');
    return plain === '*' || plain === etag;
  });
}
