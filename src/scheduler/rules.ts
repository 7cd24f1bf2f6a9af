/**
 * Rule evaluation for location constraints: node attribute expressions (with #uname, #id, #kind),
 * date expressions against the scheduler's `now`, and nested rules.
 */
import type { AttributeExpression, DateExpression, Rule } from '../model/cluster.js';
import { parseScore, type Score } from '../model/score.js';

export interface RuleContext {
  attrs: Record<string, string>;
  now: number;
}

function compareValues(a: string, b: string, type: string | undefined): number {
  if (type === 'integer' || type === 'number') {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return a < b ? -1 : a > b ? 1 : 0;
    return x - y;
  }
  if (type === 'version') {
    const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
    const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
      const d = (pa[i] ?? 0) - (pb[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function attributeMatches(e: AttributeExpression, ctx: RuleContext): boolean {
  const actual = ctx.attrs[e.attribute];
  if (e.operation === 'defined') return actual !== undefined;
  if (e.operation === 'not_defined') return actual === undefined;
  if (actual === undefined || e.value === undefined) return e.operation === 'ne';
  // Without an explicit type, numbers compare as numbers when both sides look numeric.
  const type = e.type ?? (/^-?\d+(\.\d+)?$/.test(actual) && /^-?\d+(\.\d+)?$/.test(e.value) && e.operation !== 'eq' && e.operation !== 'ne' ? 'number' : 'string');
  const c = compareValues(actual, e.value, type);
  switch (e.operation) {
    case 'eq': return type === 'string' ? actual === e.value : c === 0;
    case 'ne': return type === 'string' ? actual !== e.value : c !== 0;
    case 'lt': return c < 0;
    case 'lte': return c <= 0;
    case 'gt': return c > 0;
    case 'gte': return c >= 0;
    default: return false;
  }
}

/** ISO 8601 date/time ("2005-12-25", "2005-12-25T12:00:00Z", "2005-12-25 12:00:00") → epoch seconds. */
export function parseIsoDate(text: string): number | undefined {
  const t = text.trim().replace(' ', 'T');
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(t) || !t.includes('T') ? t : `${t}Z`;
  const ms = Date.parse(withZone.includes('T') ? withZone : `${withZone}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function addDuration(start: number, d: NonNullable<DateExpression['duration']>): number {
  const date = new Date(start * 1000);
  if (d.years) date.setUTCFullYear(date.getUTCFullYear() + d.years);
  if (d.months) date.setUTCMonth(date.getUTCMonth() + d.months);
  let s = date.getTime() / 1000;
  s += (d.weeks ?? 0) * 604800 + (d.days ?? 0) * 86400 + (d.hours ?? 0) * 3600 + (d.minutes ?? 0) * 60 + (d.seconds ?? 0);
  return s;
}

function inRanges(value: number, spec: string | undefined): boolean {
  if (spec === undefined) return true;
  return spec.split(',').some((part) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    return value >= lo && value <= hi;
  });
}

function dateMatches(e: DateExpression, now: number): boolean {
  const start = e.start !== undefined ? parseIsoDate(e.start) : undefined;
  let end = e.end !== undefined ? parseIsoDate(e.end) : undefined;
  switch (e.operation) {
    case 'gt': return start !== undefined && now > start;
    case 'lt': return end !== undefined && now < end;
    case 'in_range':
      if (end === undefined && start !== undefined && e.duration) end = addDuration(start, e.duration);
      return (start === undefined || now >= start) && (end === undefined || now <= end);
    case 'date_spec': {
      const s = e.dateSpec ?? {};
      const d = new Date(now * 1000);
      const yday = Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
      const wday = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
      return inRanges(d.getUTCHours(), s.hours) && inRanges(d.getUTCMinutes(), s.minutes) && inRanges(d.getUTCSeconds(), s.seconds)
        && inRanges(d.getUTCDate(), s.monthdays) && inRanges(wday, s.weekdays) && inRanges(yday, s.yeardays)
        && inRanges(d.getUTCMonth() + 1, s.months) && inRanges(d.getUTCFullYear(), s.years);
    }
    default: return false;
  }
}

export function ruleMatches(rule: Rule, ctx: RuleContext): boolean {
  if (rule.expressions.length === 0) return rule.booleanOp === 'and';
  const results = rule.expressions.map((e) => {
    switch (e.kind) {
      case 'attribute': return attributeMatches(e, ctx);
      case 'date': return dateMatches(e, ctx.now);
      case 'rule': return ruleMatches(e.rule, ctx);
      default: return true;
    }
  });
  return rule.booleanOp === 'or' ? results.some(Boolean) : results.every(Boolean);
}

/** The score a matching location rule contributes on a node (score, or score-attribute's value). */
export function ruleScore(rule: Rule, ctx: RuleContext): Score {
  if (rule.score !== undefined) return rule.score;
  if (rule.scoreAttribute !== undefined) return parseScore(ctx.attrs[rule.scoreAttribute] ?? '') ?? 0;
  return 0;
}
