/**
 * A small element tree over fast-xml-parser's ordered output: element name, attributes, children
 * in document order, and the 1-based line each element starts on (for error messages).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError } from '../../model/errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  line: number;
}

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

/** Offsets of each line start, so a character index becomes a line number by binary search. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Parse XML text into its root element; malformed XML is an InputError with line and column. */
export function parseXmlTree(text: string, file: string): XmlElement {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new InputError(`malformed XML: ${valid.err.msg}`, { file, line: valid.err.line, column: valid.err.col }, { field: 'xml', expected: 'well-formed XML' });
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    captureMetaData: true,
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    commentPropName: false,
    maxNestedTags: 1000,
  });
  const doc = parser.parse(text) as Ordered[];
  const meta = XMLParser.getMetaDataSymbol() as unknown as symbol;
  const starts = lineStarts(text);
  const convert = (node: Ordered): XmlElement | undefined => {
    const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
    if (name === undefined) return undefined;
    const kids = (node[name] as Ordered[] | undefined) ?? [];
    const m = (node as Record<symbol, { startIndex?: number } | undefined>)[meta];
    const children: XmlElement[] = [];
    for (const k of kids) {
      const c = convert(k);
      if (c) children.push(c);
    }
    return { name, attrs: node[':@'] ?? {}, children, line: m?.startIndex !== undefined ? lineOf(starts, m.startIndex) : 1 };
  };
  for (const node of doc) {
    const el = convert(node);
    if (el) return el;
  }
  throw new InputError('no root element', { file, line: 1 }, { field: 'xml', expected: 'a <cib> element' });
}
