/**
 * A list-filter query the server cannot accept. The engine answers INVALID_ARGUMENT with
 * `message`; `column` (1-based) and `token` point at the offending part of the query.
 */
export class VisibilityQueryError extends Error {
  override readonly name = 'VisibilityQueryError';
  readonly column: number;
  readonly token: string;

  constructor(reason: string, column: number, token: string, options?: { cause?: unknown }) {
    super(`invalid query: ${reason} (column ${column}, near '${token}')`, options);
    this.column = column;
    this.token = token;
  }
}

/** A bad AddSearchAttributes / RemoveSearchAttributes request (INVALID_ARGUMENT). */
export class SearchAttributeError extends Error {
  override readonly name = 'SearchAttributeError';
  /** The attribute the error is about. */
  readonly attribute: string;

  constructor(message: string, attribute: string) {
    super(message);
    this.attribute = attribute;
  }
}

/** A next-page token that is malformed or belongs to another query (INVALID_ARGUMENT). */
export class PageTokenError extends Error {
  override readonly name = 'PageTokenError';
}
