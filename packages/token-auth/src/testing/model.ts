/**
 * Model-based test of the session operations: fast-check draws command sequences
 * (startSession, rotate of heads, parents, older and unknown hashes, endSession with the right
 * or a wrong owner, endUserSessions with or without `except`, listSessions, clock advances
 * past expiries), some issued as concurrent batches, and runs them against the store and a
 * small pure model. A sequential step must answer what the model answers; a concurrent batch
 * must answer what the model answers for some order of its calls (linearizability), so that
 * of parallel rotations of one head exactly one wins and the others see `parent`.
 *
 * Where the port leaves the store a choice, the model allows each answer: a store may have
 * garbage-collected an expired session (`unknown` rather than `expired`, an `endSession`
 * answering `false`) or a rotated token past its own expiry (`unknown` rather than
 * `parent`/`reused`). The session tests pin the exact answers at the boundaries.
 *
 * fast-check is an optional peer: it is loaded when the test runs.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type * as FastCheck from 'fast-check';
import { loadPeer } from '../lib/load-peer.js';
import type { NextHead, SessionRecord, TokenAuthStore } from '../stores/port.js';
import { freshHash, newHead, newSession, newUser, storedSession } from './fixtures.js';
import { call, type StoreFixture, type Suite } from './suite.js';

/** How a rotate step picks the hash it presents. */
type Target = 'head' | 'parent' | 'older' | 'issued' | 'fresh';

/** One drawn command; indexes are resolved against the state when the step runs. */
type Command =
  | { kind: 'rotate'; target: Target; index: number; lifetime: number }
  | { kind: 'end'; session: number; wrongOwner: boolean }
  | { kind: 'endUser'; user: number; except: number | null }
  | { kind: 'list'; user: number };

/** One drawn step: a session start, a clock advance, or commands issued concurrently. */
type Step =
  | { kind: 'start'; user: number; lifetime: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'batch'; commands: Command[] };

/** A command resolved to a concrete store call. */
type Call =
  | { kind: 'rotate'; hash: string; next: NextHead }
  | { kind: 'end'; userId: number; sessionId: string }
  | { kind: 'endUser'; userId: number; except: string | undefined }
  | { kind: 'list'; userId: number };

/** The answers the model allows for one call. */
type Allowed = unknown[];

const USERS = 3;
const LIFETIMES = [30_000, 120_000, 300_000];
const ADVANCES = [1, 1_000, 15_000, 40_000, 100_000];

/** The reference model: sessions, whether ended, and every hash each session has had. */
class SessionModel {
  sessions = new Map<string, { record: SessionRecord; ended: boolean }>();
  /** Every hash issued, to its session and the token's own expiry. */
  tokens = new Map<string, { sessionId: string; expiresAt: number }>();

  clone(): SessionModel {
    const copy = new SessionModel();
    copy.sessions = structuredClone(this.sessions);
    copy.tokens = structuredClone(this.tokens);
    return copy;
  }

  start(record: SessionRecord): void {
    this.sessions.set(record.id, { record, ended: false });
    this.tokens.set(record.headHash, { sessionId: record.id, expiresAt: record.expiresAt });
  }

  /** Applies `c` at `now` and returns the answers allowed. */
  apply(c: Call, now: number): Allowed {
    switch (c.kind) {
      case 'rotate':
        return this.#rotate(c.hash, c.next, now);
      case 'end': {
        const session = this.sessions.get(c.sessionId);
        if (!session || session.ended || session.record.userId !== c.userId) return [false];
        session.ended = true;
        return now >= session.record.expiresAt ? [true, false] : [true];
      }
      case 'endUser': {
        let live = 0;
        let expired = 0;
        for (const session of this.sessions.values()) {
          if (session.ended || session.record.userId !== c.userId || session.record.id === c.except) continue;
          session.ended = true;
          if (now >= session.record.expiresAt) expired++;
          else live++;
        }
        return Array.from({ length: expired + 1 }, (_, i) => live + i);
      }
      case 'list':
        return [this.list(c.userId, now)];
    }
  }

  list(userId: number, now: number): SessionRecord[] {
    return [...this.sessions.values()]
      .filter(({ record, ended }) => !ended && record.userId === userId && now < record.expiresAt)
      .map(({ record }) => ({ ...record }))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  #rotate(hash: string, next: NextHead, now: number): Allowed {
    const token = this.tokens.get(hash);
    const session = token && this.sessions.get(token.sessionId);
    if (!token || !session || session.ended) return [{ status: 'unknown' }];
    const { record } = session;
    if (now >= record.expiresAt) return [{ status: 'expired' }, { status: 'unknown' }];
    if (hash === record.headHash) {
      session.record = {
        ...record,
        headHash: next.hash,
        previousHash: hash,
        expiresAt: next.expiresAt,
        rotatedAt: now,
        lastUsedAt: now,
      };
      this.tokens.set(next.hash, { sessionId: record.id, expiresAt: next.expiresAt });
      return [{ status: 'rotated', session: { ...session.record } }];
    }
    const answer = { status: hash === record.previousHash ? 'parent' : 'reused', session: { ...record } };
    return now >= token.expiresAt ? [answer, { status: 'unknown' }] : [answer];
  }
}

/** Runs one resolved call on the store. */
function perform(store: TokenAuthStore, c: Call, now: number): Promise<unknown> {
  switch (c.kind) {
    case 'rotate':
      return call(() => store.rotate(c.hash, c.next, now));
    case 'end':
      return call(() => store.endSession(c.userId, c.sessionId));
    case 'endUser':
      return call(() => store.endUserSessions(c.userId, { except: c.except }));
    case 'list':
      return call(() => store.listSessions(c.userId, now));
  }
}

/** Every order of `0 … n - 1`. */
function permutations(n: number): number[][] {
  if (n <= 1) return [[...Array(n).keys()]];
  return permutations(n - 1).flatMap((order) =>
    Array.from({ length: n }, (_, at) => [...order.slice(0, at), n - 1, ...order.slice(at)]),
  );
}

/** The fast-check arbitrary of step sequences. */
function stepsArbitrary(fc: typeof FastCheck): FastCheck.Arbitrary<Step[]> {
  const index = fc.nat(1_000);
  const lifetime = fc.constantFrom(...LIFETIMES);
  const rotate = fc.record({
    kind: fc.constant('rotate' as const),
    target: fc.constantFrom<Target>('head', 'head', 'head', 'parent', 'older', 'issued', 'fresh'),
    index,
    lifetime,
  });
  const end = fc.record({ kind: fc.constant('end' as const), session: index, wrongOwner: fc.boolean() });
  const endUser = fc.record({
    kind: fc.constant('endUser' as const),
    user: fc.nat(USERS - 1),
    except: fc.option(index, { nil: null }),
  });
  const list = fc.record({ kind: fc.constant('list' as const), user: fc.nat(USERS - 1) });
  const command: FastCheck.Arbitrary<Command> = fc.oneof(
    { arbitrary: rotate, weight: 8 },
    { arbitrary: end, weight: 1 },
    { arbitrary: endUser, weight: 1 },
    { arbitrary: list, weight: 2 },
  );
  const copies = (arbitrary: FastCheck.Arbitrary<Command>) =>
    fc.tuple(arbitrary, fc.integer({ min: 2, max: 4 })).map(([c, n]): Command[] => Array(n).fill(c));
  const batch = fc.oneof(
    { arbitrary: command.map((c) => [c]), weight: 6 },
    { arbitrary: fc.array(command, { minLength: 2, maxLength: 4 }), weight: 2 },
    // Races on one target: parallel rotations of one hash, parallel ends of one session.
    { arbitrary: copies(rotate.map((c) => ({ ...c, target: 'head' as const }))), weight: 2 },
    { arbitrary: copies(end.map((c) => ({ ...c, wrongOwner: false }))), weight: 1 },
    {
      arbitrary: fc.tuple(index, lifetime).map(([i, life]): Command[] => [
        { kind: 'rotate', target: 'head', index: i, lifetime: life },
        { kind: 'end', session: i, wrongOwner: false },
      ]),
      weight: 1,
    },
  );
  const step: FastCheck.Arbitrary<Step> = fc.oneof(
    {
      arbitrary: fc.record({ kind: fc.constant('start' as const), user: fc.nat(USERS - 1), lifetime }),
      weight: 1,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(...ADVANCES) }),
      weight: 1,
    },
    { arbitrary: batch.map((commands) => ({ kind: 'batch' as const, commands })), weight: 8 },
  );
  return fc.array(step, { minLength: 5, maxLength: 30 });
}

/** Runs `steps` on `store` and the model; throws at the first disagreement. */
async function check(store: TokenAuthStore, steps: Step[], start: number): Promise<void> {
  const users: number[] = [];
  for (let i = 0; i < USERS; i++) users.push((await store.createUser(newUser(`model${i}@example.com`))).id);
  let model = new SessionModel();
  const started: string[] = [];
  const issued: string[] = [];
  let now = start;
  const userId = (i: number) => users[i % USERS] as number;
  // Even indexes pick among the sessions not ended, odd ones among all (ended ones too).
  const sessionAt = (i: number) => {
    const open = started.filter((id) => !model.sessions.get(id)?.ended);
    const pool = i % 2 === 0 && open.length > 0 ? open : started;
    return model.sessions.get(pool[Math.floor(i / 2) % pool.length] ?? '')?.record;
  };

  /** A hash of `session` by its place; `issued` picks any hash ever issued. */
  const pick = (target: Target, session: SessionRecord, index: number): string => {
    const older = [...model.tokens]
      .filter(
        ([hash, token]) =>
          token.sessionId === session.id && hash !== session.headHash && hash !== session.previousHash,
      )
      .map(([hash]) => hash);
    if (target === 'parent' && session.previousHash) return session.previousHash;
    if (target === 'older' && older.length > 0) return older[index % older.length] as string;
    if (target === 'issued') return issued[index % issued.length] as string;
    return session.headHash;
  };

  const resolve = (c: Command): Call => {
    switch (c.kind) {
      case 'rotate': {
        const session = sessionAt(c.index);
        const hash = !session || c.target === 'fresh' ? freshHash() : pick(c.target, session, c.index);
        return { kind: 'rotate', hash, next: newHead(now + c.lifetime) };
      }
      case 'end': {
        const session = sessionAt(c.session);
        if (!session) return { kind: 'end', userId: userId(0), sessionId: randomUUID() };
        const owner = users.indexOf(session.userId);
        return { kind: 'end', userId: userId(c.wrongOwner ? owner + 1 : owner), sessionId: session.id };
      }
      case 'endUser':
        return {
          kind: 'endUser',
          userId: userId(c.user),
          except: c.except === null ? undefined : sessionAt(c.except)?.id,
        };
      case 'list':
        return { kind: 'list', userId: userId(c.user) };
    }
  };

  // One session per user to begin with, so that early steps have something to act on.
  const prologue: Step[] = Array.from({ length: USERS }, (_, user) => ({
    kind: 'start',
    user,
    lifetime: 60_000,
  }));
  for (const [number, step] of [...prologue, ...steps].entries()) {
    if (step.kind === 'advance') {
      now += step.ms;
      continue;
    }
    if (step.kind === 'start') {
      const session = newSession({
        userId: userId(step.user),
        createdAt: now,
        expiresAt: now + step.lifetime,
      });
      await store.startSession(session);
      model.start(storedSession(session));
      started.push(session.id);
      issued.push(session.headHash);
      now += 1; // distinct createdAt: listSessions has one right order
      continue;
    }
    const calls = step.commands.map(resolve);
    const actual = await Promise.all(calls.map((c) => perform(store, c, now)));
    const order = permutations(calls.length).find((candidate) => {
      const trial = model.clone();
      const fits = candidate.every((i) =>
        trial.apply(calls[i] as Call, now).some((allowed) => isDeepStrictEqual(allowed, actual[i])),
      );
      if (fits) model = trial;
      return fits;
    });
    if (!order) {
      const expected = calls.map((c) => model.clone().apply(c, now));
      throw new Error(
        `step ${number}: the store answered ${JSON.stringify(actual)} to ${JSON.stringify(calls)} at ${now}; ` +
          `no order of these calls gives that (each alone from the state before: ${JSON.stringify(expected)})`,
      );
    }
    for (const [i, c] of calls.entries()) {
      const answer = actual[i] as { status?: string };
      if (c.kind === 'rotate' && answer.status === 'rotated') issued.push(c.next.hash);
    }
  }
  for (const id of users) {
    const listed = await store.listSessions(id, now);
    if (!isDeepStrictEqual(listed, model.list(id, now)))
      throw new Error(
        `after the last step, listSessions(${id}) disagrees with the model: ${JSON.stringify(listed)}`,
      );
  }
}

/** Registers the model-based test. */
export function modelTests<F extends StoreFixture>(suite: Suite<F>): void {
  suite.describe('sessions: model-based', () => {
    suite.itPlain(
      `random sequences of session calls, some concurrent, agree with the reference model (${suite.modelRuns} runs)`,
      async () => {
        const fc = await loadPeer<typeof FastCheck>('fast-check', 'token-auth/testing');
        await fc.assert(
          fc.asyncProperty(stepsArbitrary(fc), (steps) => suite.run((c) => check(c.store, steps, suite.t0))),
          { numRuns: suite.modelRuns, ...(suite.modelSeed === undefined ? {} : { seed: suite.modelSeed }) },
        );
      },
    );
  });
}
