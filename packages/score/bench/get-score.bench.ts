// ns per lookup for getScore, ScoreTimeline#scoreAt, a plain hand-written binary search (the
// baseline getScore must stay within 1.3x of) and a linear scan, over the default seeded match.
// One process; every method warms up first, then the rounds are interleaved (so a slow moment of
// the machine hits every method alike) and the median is reported. Each loop adds the answers
// into a sink that is checked and printed, so the work cannot be optimised away.
//
// Run: npm run bench -w @game/score
import { cpus } from 'node:os';
import { generateGame, getScore, type Score, ScoreTimeline, type Stamp } from '../src/index.js';
import { mulberry32 } from '../src/lib/mulberry32.js';

const SEED = 2024;
const QUERIES = 1_000_000;
// A linear scan costs ~n/2 steps per lookup: 10^6 of them over 50 001 stamps would take minutes.
const LINEAR_QUERIES = 2_000;
const WARM_UP_ROUNDS = 3;
const ROUNDS = 15;
const BUDGET = 1.3;

const match: readonly Stamp[] = generateGame({ seed: SEED });
const timeline = new ScoreTimeline(match);
const lastOffset = timeline.lastOffset;
// The timeline keeps only the stamps where the score changes (about 6 here). Its worst case is a
// match where every stamp changes the score: the same offsets, 50 001 kept stamps.
const everyStampScores = generateGame({ seed: SEED, probabilityScoreChanged: 1 });
const worstCaseTimeline = new ScoreTimeline(everyStampScores);

// Moments over the whole match and a little after it; half of them whole numbers, half fractional.
const random = mulberry32(SEED + 1);
const offsets = new Float64Array(QUERIES);
for (let index = 0; index < QUERIES; index++) {
  const moment = random() * (lastOffset + 10);
  offsets[index] = index % 2 === 0 ? Math.floor(moment) : moment;
}

/** The baseline: what one would write by hand, with no argument checks and no copy. */
function plainBinarySearch(stamps: readonly Stamp[], offset: number): Score {
  let lo = 0;
  let hi = stamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((stamps[mid] as Stamp).offset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return (stamps[lo - 1] as Stamp).score;
}

function linearScan(stamps: readonly Stamp[], offset: number): Score {
  let index = 0;
  while (index < stamps.length && (stamps[index] as Stamp).offset <= offset) index++;
  return (stamps[index - 1] as Stamp).score;
}

// One loop per method, so that every call site sees a single function (as in real use).
function runGetScore(count: number): number {
  let sink = 0;
  for (let index = 0; index < count; index++) {
    const score = getScore(match, offsets[index] as number);
    sink += score.home * 31 + score.away;
  }
  return sink;
}

function runTimeline(count: number): number {
  let sink = 0;
  for (let index = 0; index < count; index++) {
    const score = timeline.scoreAt(offsets[index] as number);
    sink += score.home * 31 + score.away;
  }
  return sink;
}

function runWorstCaseTimeline(count: number): number {
  let sink = 0;
  for (let index = 0; index < count; index++) {
    const score = worstCaseTimeline.scoreAt(offsets[index] as number);
    sink += score.home * 31 + score.away;
  }
  return sink;
}

function runBaseline(count: number): number {
  let sink = 0;
  for (let index = 0; index < count; index++) {
    const score = plainBinarySearch(match, offsets[index] as number);
    sink += score.home * 31 + score.away;
  }
  return sink;
}

function runLinear(count: number): number {
  let sink = 0;
  for (let index = 0; index < count; index++) {
    const score = linearScan(match, offsets[index] as number);
    sink += score.home * 31 + score.away;
  }
  return sink;
}

interface Method {
  name: string;
  run: (count: number) => number;
  queries: number;
  /** Whether it answers the default match for all the queries, so its sink must match the others'. */
  checked: boolean;
  samples: number[];
  sink: number;
}

const methods: Method[] = [
  { name: 'getScore', run: runGetScore, queries: QUERIES, checked: true, samples: [], sink: 0 },
  { name: 'ScoreTimeline#scoreAt', run: runTimeline, queries: QUERIES, checked: true, samples: [], sink: 0 },
  {
    name: 'ScoreTimeline#scoreAt, a goal at every stamp',
    run: runWorstCaseTimeline,
    queries: QUERIES,
    checked: false,
    samples: [],
    sink: 0,
  },
  {
    name: 'plain binary search (baseline)',
    run: runBaseline,
    queries: QUERIES,
    checked: true,
    samples: [],
    sink: 0,
  },
  { name: 'linear scan', run: runLinear, queries: LINEAR_QUERIES, checked: false, samples: [], sink: 0 },
];

function measure(method: Method): number {
  const start = process.hrtime.bigint();
  method.sink = method.run(method.queries);
  return Number(process.hrtime.bigint() - start) / method.queries;
}

for (let round = 0; round < WARM_UP_ROUNDS; round++) for (const method of methods) measure(method);
for (let round = 0; round < ROUNDS; round++)
  for (const method of methods) method.samples.push(measure(method));

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] as number;

// Same match, same queries, same answers: their sinks must agree.
const sinks = new Set(methods.filter((m) => m.checked).map((m) => m.sink));
if (sinks.size !== 1) throw new Error(`the lookups disagree: sinks ${[...sinks].join(', ')}`);

const samplesOf = (name: string) => (methods.find((m) => m.name === name) as Method).samples;
const medianOf = (name: string) => median(samplesOf(name));
const baseline = medianOf('plain binary search (baseline)');
const rows = methods.map((method) => {
  const value = median(method.samples);
  return `| ${method.name} | ${method.queries.toLocaleString('en-US')} | ${value.toFixed(1)} | ${Math.min(...method.samples).toFixed(1)} | ${(value / baseline).toFixed(2)}x |`;
});

console.log(
  `Match: generateGame({ seed: ${SEED} }), ${match.length.toLocaleString('en-US')} stamps, last offset ${lastOffset}. ` +
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}. Median of ${ROUNDS} rounds after ${WARM_UP_ROUNDS} warm-up rounds.`,
);
console.log('');
console.log('| lookup | queries per round | ns per lookup (median) | ns (best round) | vs baseline |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log('');

// The ratio is taken round by round (the two ran moments apart, under the same load), then the median.
const baselineSamples = samplesOf('plain binary search (baseline)');
const ratio = median(samplesOf('getScore').map((value, round) => value / (baselineSamples[round] as number)));
const preparedFaster = medianOf('ScoreTimeline#scoreAt') < medianOf('getScore');
console.log(
  `getScore / baseline (median of per-round ratios): ${ratio.toFixed(2)} (budget ${BUDGET}) ${ratio <= BUDGET ? 'ok' : 'OVER BUDGET'}`,
);
console.log(`ScoreTimeline#scoreAt faster than getScore: ${preparedFaster ? 'yes' : 'NO'}`);
console.log(`sinks: ${methods.map((m) => m.sink).join(', ')}`);
if (ratio > BUDGET || !preparedFaster) process.exitCode = 1;
