/**
 * A strict reader of Prometheus' text exposition format (0.0.4): every line a HELP, a TYPE, a
 * comment or a sample; every sample of a family declared before it, with the suffixes its type
 * allows; label values escaped; no sample twice; histogram buckets cumulative up to +Inf = _count.
 * Throws naming the line at fault.
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = new RegExp(`^(${LABEL_NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = { counter: [''], gauge: [''], untyped: [''], histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const at = `line ${index + 1} (${JSON.stringify(line.slice(0, 120))})`;
    if (line === '') {
      return;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type !== null) {
      if (types.has(type[1] ?? '')) {
        throw new Error(`${at}: a second TYPE for ${type[1] ?? ''}`);
      }
      types.set(type[1] ?? '', type[2] ?? '');
      return;
    }
    if (line.startsWith('#')) {
      if (line.startsWith('# HELP ') && !new RegExp(`^# HELP ${NAME} `).test(line)) {
        throw new Error(`${at}: a malformed HELP`);
      }
      return;
    }
    const sample = readSample(line, at);
    const family = [...types.keys()].find((name) => (SUFFIXES[types.get(name) ?? ''] ?? []).some((suffix) => `${name}${suffix}` === sample.name));
    if (family === undefined) {
      throw new Error(`${at}: ${sample.name} belongs to no family declared by a TYPE line before it`);
    }
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) {
      throw new Error(`${at}: the same sample twice`);
    }
    seen.add(key);
    samples.push(sample);
  });
  checkHistograms(types, samples);
  return { types, samples };
}

function readSample(line: string, at: string): Sample {
  const match = SAMPLE.exec(line);
  if (match === null) {
    throw new Error(`${at}: not a sample`);
  }
  const [, name = '', labelText = '', valueText = ''] = match;
  const labels: Record<string, string> = {};
  let rest = labelText;
  while (rest !== '') {
    const label = LABEL.exec(rest);
    if (label === null) {
      throw new Error(`${at}: malformed labels at ${JSON.stringify(rest.slice(0, 60))}`);
    }
    const [whole, labelName = '', escaped = ''] = label;
    if (Object.hasOwn(labels, labelName)) {
      throw new Error(`${at}: label ${labelName} twice`);
    }
    labels[labelName] = escaped.replace(/\\(.)/g, (_all, character: string) => (character === 'n' ? '\n' : character));
    rest = rest.slice(whole.length);
  }
  // As Go's ParseFloat reads it: NaN and Inf in any case ("Nan" from prom-client is valid).
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(valueText);
  const value = special === null ? Number(valueText) : special[2]?.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (Number.isNaN(value) && special === null) {
    throw new Error(`${at}: ${JSON.stringify(valueText)} is not a number`);
  }
  return { name, labels, value };
}

/** Each series' buckets count up with le, end at +Inf, and +Inf equals its _count. */
function checkHistograms(types: ReadonlyMap<string, string>, samples: readonly Sample[]): void {
  for (const [family] of [...types].filter(([, type]) => type === 'histogram')) {
    const series = new Map<string, Sample[]>();
    for (const sample of samples.filter((candidate) => candidate.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      if (le === undefined) {
        throw new Error(`${family}_bucket without le`);
      }
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      const ordered = [...buckets].sort((a, b) => Number(a.labels.le === '+Inf' ? Infinity : a.labels.le) - Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
      ordered.reduce((previous, bucket) => {
        if (bucket.value < previous) {
          throw new Error(`${family} ${key}: bucket le=${bucket.labels.le ?? ''} counts less than the one below it`);
        }
        return bucket.value;
      }, 0);
      const count = samples.find((sample) => sample.name === `${family}_count` && JSON.stringify(Object.entries(sample.labels).sort()) === key);
      if (ordered.at(-1)?.labels.le !== '+Inf' || count?.value !== ordered.at(-1)?.value) {
        throw new Error(`${family} ${key}: the +Inf bucket is missing or differs from _count`);
      }
    }
  }
}

/** The value of the one sample with exactly these labels (among others it may have), or undefined. */
export function sampleValue(exposition: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matching = exposition.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (matching.length > 1) {
    throw new Error(`${name} ${JSON.stringify(labels)} matches ${matching.length} samples`);
  }
  return matching[0]?.value;
}
