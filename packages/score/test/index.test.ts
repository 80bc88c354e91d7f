import { expect, test } from 'vitest';
import * as entry from '../src/index.js';

test('the package entry exports exactly the documented API', () => {
  expect(Object.keys(entry).sort()).toEqual([
    'INITIAL_STAMP',
    'OFFSET_MAX_STEP',
    'PROBABILITY_HOME_SCORE',
    'PROBABILITY_SCORE_CHANGED',
    'ScoreTimeline',
    'TIMESTAMPS_COUNT',
    'generateGame',
    'generateStamp',
    'getScore',
  ]);
});
