import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Document,
  type Node,
} from 'yaml';
import type { Locator, PathSegment } from './diagnostics';

/**
 * Reads YAML (JSON is YAML too) keeping node positions, so a field path such as
 * `steps[2].dependsOn[0]` maps back to line:column. Sandbox-safe (the yaml package is pure JS),
 * though workflows take compiled plans and never need it.
 */
export interface YamlSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  locate: Locator;
}

export function readYaml(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate: Locator = (path, offset) => {
    if (offset !== undefined) {
      const inside = locateInString(text, doc.getIn(path, true), offset);
      if (inside !== undefined) return position(inside);
    }
    let node: unknown = doc.contents;
    // The closest position found so far: a missing field points at its parent.
    let best = node && (node as Node).range ? position((node as Node).range![0]) : { line: 1, column: 1 };
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
        if (!pair) return best;
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        if (
          value &&
          value.range &&
          !(isScalar(value) && value.value === null && value.range[0] === value.range[1])
        ) {
          best = position(value.range[0]);
        } else if (key?.range) {
          best = position(key.range[0]);
        }
        node = value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item?.range) return best;
        best = position(item.range[0]);
        node = item;
      } else {
        return best;
      }
    }
    return best;
  };
  return { doc, lineCounter, locate };
}

/** Position of a map key (rather than its value), for "unknown field" style problems. */
export function locateKey(source: YamlSource, path: readonly PathSegment[], key: string) {
  const parent = source.doc.getIn(path, true);
  if (isMap(parent)) {
    const pair = parent.items.find((p) => keyOf(p.key) === key);
    const k = pair?.key as Node | undefined;
    if (k?.range) {
      const { line, col } = source.lineCounter.linePos(k.range[0]);
      return { line, column: col };
    }
  }
  return source.locate([...path, key]);
}

function keyOf(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

/**
 * Source offset of character `offset` of a string scalar's value, where the mapping is exact:
 * plain and quoted one-line scalars without escapes, and literal (`|`) block scalars. Folded and
 * escaped scalars fall back to the scalar's start (undefined here).
 */
function locateInString(text: string, node: unknown, offset: number): number | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const value = node.value;
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  switch (node.type) {
    case Scalar.PLAIN:
      return raw === value ? start + offset : undefined;
    case Scalar.QUOTE_DOUBLE:
    case Scalar.QUOTE_SINGLE:
      return raw.slice(1, -1) === value ? start + 1 + offset : undefined;
    case Scalar.BLOCK_LITERAL: {
      const before = value.slice(0, offset);
      const lineIndex = before.split('\n').length - 1;
      const column = offset - (before.lastIndexOf('\n') + 1);
      // Lines of the block after its header line (`|`, `|-`, `|2` ...).
      const lines = raw.split('\n').slice(1);
      const firstContent = lines.find((l) => l.trim() !== '');
      const indent = firstContent ? firstContent.length - firstContent.trimStart().length : 0;
      let at = start + raw.indexOf('\n') + 1;
      for (let i = 0; i < lineIndex && i < lines.length; i++) at += lines[i]!.length + 1;
      return at + indent + column;
    }
    default:
      return undefined;
  }
}
