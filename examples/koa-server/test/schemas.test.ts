import { ValidationError } from 'token-auth';
import { describe, expect, it } from 'vitest';
import { validateRequest } from '../src/schemas.js';

function fieldsOf(run: () => unknown): { field: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.fields];
    throw error;
  }
  throw new Error('validation passed');
}

describe('validateRequest', () => {
  it('returns a valid body unchanged', () => {
    const body = { email: 'user@example.com', password: 'password' };
    expect(validateRequest('RegisterRequest', body)).toBe(body);
  });

  it('reports each field once, in schema order', () => {
    expect(fieldsOf(() => validateRequest('RegisterRequest', { email: 5, password: 5 }))).toEqual([
      { field: 'email', message: 'Must be a string.' },
      { field: 'password', message: 'Must be a string.' },
    ]);
  });

  it('reports a too-short password with its minimum', () => {
    expect(
      fieldsOf(() => validateRequest('RegisterRequest', { email: 'a@example.com', password: 'short' })),
    ).toEqual([{ field: 'password', message: 'Ensure this field has at least 8 characters.' }]);
  });

  it('reports a blank login email as blank', () => {
    expect(fieldsOf(() => validateRequest('LoginRequest', { email: '', password: 'x' }))).toEqual([
      { field: 'email', message: 'This field may not be blank.' },
    ]);
  });

  it('lists the allowed fields when an unknown one is sent', () => {
    expect(fieldsOf(() => validateRequest('UpdateMeRequest', { nickname: 'x' }))).toEqual([
      { field: 'nickname', message: 'Unknown field; allowed fields: username, email.' },
    ]);
  });

  it('trims email and username before validating, and returns the trimmed values', () => {
    const body = { email: '  user@example.com\t', password: ' password ', username: ' John Smith ' };
    expect(validateRequest('RegisterRequest', body)).toEqual({
      email: 'user@example.com',
      password: ' password ',
      username: 'John Smith',
    });
  });

  it("leaves the caller's body untouched when it trims", () => {
    const body = { email: ' user@example.com ' };
    validateRequest('UpdateMeRequest', body);
    expect(body).toEqual({ email: ' user@example.com ' });
  });

  it('counts the username length after trimming', () => {
    const body = { username: ` ${'x'.repeat(150)} ` };
    expect(validateRequest('UpdateMeRequest', body)).toEqual({ username: 'x'.repeat(150) });
  });

  it('still rejects an email that is only whitespace', () => {
    expect(
      fieldsOf(() => validateRequest('RegisterRequest', { email: '   ', password: 'password' })),
    ).toEqual([{ field: 'email', message: 'Enter a valid email address.' }]);
  });

  it('treats a missing body as an empty object', () => {
    expect(fieldsOf(() => validateRequest('RefreshRequest', undefined))).toEqual([
      { field: 'refresh_token', message: 'This field is required.' },
    ]);
  });

  it('rejects a refresh token that is not a UUID', () => {
    expect(fieldsOf(() => validateRequest('LogoutRequest', { refresh_token: 'abc' }))[0]?.field).toBe(
      'refresh_token',
    );
  });

  it('throws token-auth ValidationError so one mapper handles core and schema errors', () => {
    expect(() => validateRequest('LoginRequest', null)).toThrow(ValidationError);
  });
});
