// How deep a request body may nest before it is parsed. A parser and everything after it
// (validation, structuredClone, JSON.stringify of an error) recurse once per level: a body of a
// few thousand nested brackets overflowed the stack, and the YAML parser, given two such bodies,
// ran the process out of memory. No API object nests anywhere near this deep.

export const MAX_BODY_DEPTH = 100;

/**
 * The deepest nesting of a JSON or YAML text, counted cheaply over its characters: brackets and
 * braces outside quoted strings, and for YAML block style, the sequence dashes and indentation
 * that open a level. An overestimate for odd YAML is fine: it only has to stay under the limit
 * for every real manifest.
 */
export function textDepth(text: string, yaml: boolean): number {
  let depth = 0;
  let max = 0;
  let quote: string | undefined;
  let lineStart = true;
  let blockDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n' && yaml) quote = undefined; // a stray quote in YAML plain text
      continue;
    }
    if (yaml && lineStart) {
      // Indentation and "- " prefixes open block levels on this line.
      let j = i;
      while (j < text.length && text[j] === ' ') j++;
      const indent = j - i;
      let dashes = 0;
      while (j < text.length && text[j] === '-' && (text[j + 1] === ' ' || text[j + 1] === '\n')) {
        dashes++;
        j += 2;
        while (j < text.length && text[j] === ' ') j++;
      }
      blockDepth = Math.floor(indent / 2) + dashes;
      max = Math.max(max, depth + blockDepth);
      lineStart = false;
    }
    if (c === '"' || (yaml && c === "'")) quote = c;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth + blockDepth);
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '\n') lineStart = true;
    else if (c === '#' && yaml) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl - 1;
    }
  }
  return max;
}
