/**
 * Agent meta-data: the XML an OCF agent prints for `meta-data` (resource-agent-api 1.1), read into
 * a typed description; and the same XML written for agents that have none of their own (LSB,
 * systemd, built-in), so every class answers `meta-data` alike.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseDuration } from '../model/index.js';

export type ParameterType = 'string' | 'integer' | 'boolean' | 'select' | 'time' | (string & {});

export interface AgentParameter {
  name: string;
  required: boolean;
  unique: boolean;
  /** reloadable (OCF 1.1) */
  reloadable: boolean;
  type: ParameterType;
  default?: string;
  /** Allowed values of a `select` parameter. */
  options?: string[];
  shortdesc?: string;
  longdesc?: string;
}

export interface AgentAction {
  name: string;
  timeoutMs?: number;
  intervalMs?: number;
  startDelayMs?: number;
  /** OCF_CHECK_LEVEL of this monitor */
  depth?: number;
  role?: string;
}

export interface AgentMetadata {
  name: string;
  version?: string;
  shortdesc?: string;
  longdesc?: string;
  parameters: AgentParameter[];
  actions: AgentAction[];
}

/** Thrown when an agent's meta-data is not the XML the API describes. */
export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['parameter', 'action', 'option', 'shortdesc', 'longdesc'].includes(name),
});

type XmlNode = Record<string, unknown>;

function asArray(v: unknown): XmlNode[] {
  if (v === undefined || v === null || v === '') return [];
  return (Array.isArray(v) ? v : [v]) as XmlNode[];
}

function text(v: unknown): string | undefined {
  // <shortdesc lang="en">x</shortdesc> has several languages at most; prefer English.
  const all = asArray(v);
  if (all.length === 0) return undefined;
  const pick: unknown = all.find((d) => typeof d === 'object' && (d as XmlNode).lang === 'en') ?? all[0];
  if (typeof pick === 'string') return pick.trim() || undefined;
  const t = (pick as XmlNode)['#text'];
  return typeof t === 'string' && t.trim() !== '' ? t.trim() : undefined;
}

function truthy(v: unknown): boolean {
  return v === '1' || v === 'true' || v === 'yes';
}

function ms(v: unknown): number | undefined {
  return typeof v === 'string' ? parseDuration(v) : undefined;
}

export function parseMetadata(xml: string): AgentMetadata {
  let doc: XmlNode;
  try {
    doc = parser.parse(xml) as XmlNode;
  } catch (e) {
    throw new MetadataError(`meta-data is not well-formed XML: ${(e as Error).message}`);
  }
  const ra = doc['resource-agent'] as XmlNode | undefined;
  if (!ra || typeof ra !== 'object') throw new MetadataError('meta-data has no <resource-agent> element');
  const name = typeof ra.name === 'string' ? ra.name : '';
  const parameters: AgentParameter[] = asArray((ra.parameters as XmlNode | undefined)?.parameter).map((p) => {
    const content = (asArray(p.content)[0] ?? {}) as XmlNode;
    const options = asArray(content.option).map((o) => String(o.value ?? '')).filter((o) => o !== '');
    return {
      name: String(p.name ?? ''),
      required: truthy(p.required),
      unique: truthy(p.unique),
      reloadable: truthy(p.reloadable),
      type: typeof content.type === 'string' ? content.type : 'string',
      default: typeof content.default === 'string' ? content.default : undefined,
      options: options.length > 0 ? options : undefined,
      shortdesc: text(p.shortdesc),
      longdesc: text(p.longdesc),
    };
  });
  for (const p of parameters) if (p.name === '') throw new MetadataError('a <parameter> has no name');
  const actions: AgentAction[] = asArray((ra.actions as XmlNode | undefined)?.action).map((a) => ({
    name: String(a.name ?? ''),
    timeoutMs: ms(a.timeout),
    intervalMs: ms(a.interval),
    startDelayMs: ms(a['start-delay']),
    depth: typeof a.depth === 'string' && /^\d+$/.test(a.depth) ? Number(a.depth) : undefined,
    role: typeof a.role === 'string' ? a.role : undefined,
  }));
  return {
    name,
    version: typeof ra.version === 'string' ? ra.version : (typeof ra.version === 'number' ? String(ra.version) : undefined),
    shortdesc: text(ra.shortdesc),
    longdesc: text(ra.longdesc),
    parameters,
    actions,
  };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function secs(msValue: number): string {
  return msValue % 1000 === 0 ? `${msValue / 1000}s` : `${msValue}ms`;
}

/** Write meta-data XML in the OCF 1.1 shape. */
export function renderMetadata(m: AgentMetadata): string {
  const lines = ['<?xml version="1.0"?>', '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
    `<resource-agent name="${esc(m.name)}" version="${esc(m.version ?? '1.0')}">`,
    '  <version>1.1</version>',
    `  <longdesc lang="en">${esc(m.longdesc ?? m.shortdesc ?? m.name)}</longdesc>`,
    `  <shortdesc lang="en">${esc(m.shortdesc ?? m.name)}</shortdesc>`,
    '  <parameters>'];
  for (const p of m.parameters) {
    lines.push(`    <parameter name="${esc(p.name)}" unique="${p.unique ? 1 : 0}" required="${p.required ? 1 : 0}">`,
      `      <longdesc lang="en">${esc(p.longdesc ?? p.shortdesc ?? p.name)}</longdesc>`,
      `      <shortdesc lang="en">${esc(p.shortdesc ?? p.name)}</shortdesc>`);
    const dflt = p.default !== undefined ? ` default="${esc(p.default)}"` : '';
    if (p.options) {
      lines.push(`      <content type="select"${dflt}>`, ...p.options.map((o) => `        <option value="${esc(o)}"/>`), '      </content>');
    } else {
      lines.push(`      <content type="${esc(p.type)}"${dflt}/>`);
    }
    lines.push('    </parameter>');
  }
  lines.push('  </parameters>', '  <actions>');
  for (const a of m.actions) {
    const attrs = [`name="${esc(a.name)}"`];
    if (a.timeoutMs !== undefined) attrs.push(`timeout="${secs(a.timeoutMs)}"`);
    if (a.intervalMs !== undefined) attrs.push(`interval="${secs(a.intervalMs)}"`);
    if (a.depth !== undefined) attrs.push(`depth="${a.depth}"`);
    if (a.role !== undefined) attrs.push(`role="${esc(a.role)}"`);
    lines.push(`    <action ${attrs.join(' ')}/>`);
  }
  lines.push('  </actions>', '</resource-agent>', '');
  return lines.join('\n');
}

/** Parameters with their defaults filled in where the caller gave none. */
export function withDefaults(m: AgentMetadata, params: Record<string, string>): Record<string, string> {
  const out = { ...params };
  for (const p of m.parameters) if (out[p.name] === undefined && p.default !== undefined) out[p.name] = p.default;
  return out;
}

/** Problems with parameters judged from meta-data alone: missing required ones, unknown names, bad values. */
export function checkParameters(m: AgentMetadata, params: Record<string, string>): string[] {
  const problems: string[] = [];
  const known = new Map(m.parameters.map((p) => [p.name, p]));
  for (const p of m.parameters) {
    if (p.required && (params[p.name] === undefined || params[p.name] === '')) problems.push(`parameter ${p.name} is required`);
  }
  for (const [k, v] of Object.entries(params)) {
    const p = known.get(k);
    if (!p) { problems.push(`parameter ${k} is not one of ${m.name}'s parameters`); continue; }
    if (p.type === 'integer' && !/^[+-]?\d+$/.test(v)) problems.push(`parameter ${k}: expected an integer, got "${v}"`);
    if (p.type === 'boolean' && !/^(1|0|true|false|yes|no|on|off|y|n)$/i.test(v)) problems.push(`parameter ${k}: expected a boolean, got "${v}"`);
    if (p.options && !p.options.includes(v)) problems.push(`parameter ${k}: expected one of ${p.options.join(', ')}, got "${v}"`);
  }
  return problems;
}
