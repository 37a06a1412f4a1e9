import { StoreError } from '../../store/types.js';

/**
 * Rancher's error codes (norman's httperror), with the HTTP status each maps to. Clients that
 * know Rancher switch on `code`, so the names are kept.
 */
export const ERROR_CODES = {
  InvalidBodyContent: 400,
  /** A field the type does not have (a typo must not silently do nothing). */
  UnknownField: 422,
  /** A field that cannot be set on create or changed on update. */
  NotUpdatable: 422,
  /** Well-formed, but not acceptable (a wrong current password, a rule that would be broken). */
  InvalidValue: 422,
  InvalidFormat: 422,
  InvalidType: 422,
  InvalidOption: 422,
  MissingRequired: 422,
  NotNullable: 422,
  MaxLengthExceeded: 422,
  MinLengthExceeded: 422,
  MaxLimitExceeded: 422,
  MinLimitExceeded: 422,
  InvalidReference: 422,
  NotUnique: 422,
  InvalidAction: 422,
  ActionNotAvailable: 404,
  Unauthorized: 401,
  PermissionDenied: 403,
  PasswordChangeRequired: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  Gone: 410,
  RequestTooLarge: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  ServerError: 500,
  /** Something Corral depends on (a directory, an identity provider) cannot be reached or failed. */
  BadGateway: 502,
  ServiceUnavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fieldName?: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code];
  }
}

export interface ErrorBody {
  type: 'error';
  status: number;
  code: string;
  message: string;
  fieldName?: string;
}

const STORE_TO_API: Record<StoreError['code'], ErrorCode> = {
  NotFound: 'NotFound',
  AlreadyExists: 'NotUnique',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Invalid: 'InvalidFormat',
  Unavailable: 'ServiceUnavailable',
};

/** The one place where any thrown value becomes an HTTP error response. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) {
    // An id taken is a conflict for the caller (409), as Kubernetes answers AlreadyExists.
    if (err.code === 'AlreadyExists') return new ApiError('Conflict', err.message);
    return new ApiError(STORE_TO_API[err.code], err.message);
  }
  return new ApiError('ServerError', 'internal error; the server log has details');
}

export function errorBody(err: ApiError): ErrorBody {
  const body: ErrorBody = { type: 'error', status: err.status, code: err.code, message: err.message };
  if (err.fieldName) body.fieldName = err.fieldName;
  return body;
}
