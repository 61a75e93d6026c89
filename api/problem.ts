/**
 * Every error the API answers is `application/problem+json` (RFC 9457, DESIGN §6). A handler throws
 * a `Problem` (or answers with `sendProblem`); anything else that escapes is a 500 whose message
 * stays in the log, with the request's correlation id in both places.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { z } from 'zod';

/** The problem types, each with its status and title; `type` is `PROBLEM_TYPE_BASE<code>`. */
export const PROBLEMS = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The body is not valid JSON' },
  invalid_encoding: { status: 400, title: 'The body is not valid UTF-8' },
  invalid_upload: { status: 400, title: 'The upload cannot be read' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  over_budget: { status: 402, title: "The account's monthly budget is spent" },
  forbidden: { status: 403, title: "The API key's role does not allow this" },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  payload_too_large: { status: 413, title: 'The body is too large' },
  rate_limited: { status: 429, title: 'Too many requests for this API key' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'The pipeline is unavailable; retry later' },
} as const;
export type ProblemCode = keyof typeof PROBLEMS;

/**
 * A tag URI (RFC 4151): it names the problem type for clients to compare, and nothing is served at
 * it (RFC 9457 §3.1.1 allows a type that does not resolve).
 */
export const PROBLEM_TYPE_BASE = 'tag:durable-inference,2026:problem:';

export const MEDIA_TYPE = 'application/problem+json';

/** What a handler throws to answer with a problem; `extra` are the type's own members (issues, budget). */
export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export const requestIdOf = (res: Response): string => String(res.locals.requestId ?? '');

export function sendProblem(res: Response, code: ProblemCode, detail: string, extra: Record<string, unknown> = {}): void {
  const { status, title } = PROBLEMS[code];
  res
    .status(status)
    .type(MEDIA_TYPE)
    .send(JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, ...extra, requestId: requestIdOf(res) }));
}

/** A 400 for a zod refusal: the issues as zod gives them (they never carry the input's values). */
export function invalid(error: z.ZodError | { issues: z.core.$ZodIssue[]; message: string }, detail?: string): Problem {
  const issues = error.issues;
  const described = issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
  return new Problem('invalid_request', detail ?? described, { issues });
}

// What a client may send as its own correlation id: short, and nothing a log line could be forged with.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every response carries X-Request-Id: the client's own when it sent a usable one, else a fresh one. */
export const requestIds: RequestHandler = (req, res, next) => {
  const given = req.get('x-request-id');
  const id = given !== undefined && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
  res.locals.requestId = id;
  res.set('X-Request-Id', id);
  next();
};
