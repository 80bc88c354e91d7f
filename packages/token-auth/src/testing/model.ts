/**
 * Model-based test of the session operations (fast-check): filled in next.
 *
 * @module
 */

import type { StoreFixture, Suite } from './suite.js';

/** Registers the model-based test. */
export function modelTests<F extends StoreFixture>(_suite: Suite<F>): void {}
