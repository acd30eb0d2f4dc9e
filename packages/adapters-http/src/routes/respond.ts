import type { ApiError } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { writeApiError, type ChallengeOptions } from '../middleware/errors.js';
import type { Ctx } from '../state.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Answers with JSON text already serialised. Koa, given an object, would look the content type
 * up in a MIME table and test the body against every kind of stream on each answer. Only for
 * successful answers: the error writers and the browser error pages read an error body as an
 * object.
 */
export const answerJsonText = (ctx: Ctx, text: string, status = 200): void => {
  ctx.status = status;
  ctx.res.setHeader('Content-Type', JSON_TYPE);
  ctx.body = text;
};

/** `answerJsonText` of `value` serialised. */
export const answerJson = (ctx: Ctx, value: object, status = 200): void => {
  answerJsonText(ctx, JSON.stringify(value), status);
};

/** Runs a use case and writes its result: `onSuccess` for `Right`, the API error mapper for `Left`. */
export const respond = async <A>(
  ctx: Ctx,
  task: TaskEither<ApiError, A>,
  onSuccess: (value: A) => void,
  challenge?: ChallengeOptions,
): Promise<void> => {
  const result = await task();
  if (E.isLeft(result)) writeApiError(ctx, result.left, challenge);
  else onSuccess(result.right);
};

/** Writes a decode failure, or continues with the decoded value. */
export const withDecoded = async <A>(
  ctx: Ctx,
  decoded: E.Either<ApiError, A>,
  onValid: (value: A) => Promise<void>,
): Promise<void> => {
  if (E.isLeft(decoded)) writeApiError(ctx, decoded.left);
  else await onValid(decoded.right);
};
