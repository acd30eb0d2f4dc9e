import type { ApiError } from '@latchkey/domain';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { ErrorBody } from './output.js';

/** A command that cannot go on: its exit status and what to print. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
  constructor(
    readonly exitCode: ExitCode,
    readonly body: ErrorBody,
  ) {
    super(body.message);
  }
}

/**
 * An admin API error as the CLI reports it: a refused input is a usage error (the values came
 * from the command line), a missing or conflicting resource is refused, anything else a failure.
 */
export const apiFailure = (error: ApiError): CliFailure => {
  const body: ErrorBody = {
    kind: error.kind,
    message: error.message,
    ...(error.publicDetail === undefined ? {} : { detail: error.publicDetail }),
    ...(error.validations === undefined ? {} : { validations: error.validations }),
  };
  switch (error.kind) {
    case 'bad_request':
      return new CliFailure(EXIT.usage, body);
    case 'not_found':
    case 'conflict':
    case 'forbidden':
    case 'unauthorized':
      return new CliFailure(EXIT.refused, body);
    case 'payload_too_large':
    case 'unsupported_media_type':
    case 'rate_limited':
    case 'internal':
    case 'unavailable':
      return new CliFailure(EXIT.failure, body);
  }
};
