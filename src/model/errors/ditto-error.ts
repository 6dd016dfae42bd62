import { ERROR_CATALOGUE, type ErrorCode, type ErrorSpec } from './catalogue.ts';

export type ErrorParams = Readonly<Record<string, string | number>>;

export interface DittoErrorJson {
  readonly status: number;
  readonly error: string;
  readonly message: string;
  readonly description?: string;
  readonly href?: string;
}

export interface DittoErrorOptions {
  /** Overrides the catalogue's status where Ditto uses one code with two statuses. */
  readonly status?: number;
  readonly description?: string;
  readonly href?: string;
  readonly cause?: unknown;
  /** Response headers that belong to the error, e.g. the current ETag on 304/412. */
  readonly headers?: Readonly<Record<string, string>>;
}

function fill(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? whole : String(v);
  });
}

/** The one error type that crosses layers; its JSON is exactly Ditto's error body. */
export class DittoError extends Error {
  readonly status: number;
  readonly error: ErrorCode;
  readonly description: string | undefined;
  readonly href: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, params: ErrorParams = {}, options: DittoErrorOptions = {}) {
    const spec: ErrorSpec = ERROR_CATALOGUE[code];
    super(fill(spec.message, params), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DittoError';
    this.error = code;
    this.status = options.status ?? spec.status;
    const description = options.description ?? spec.description;
    this.description = description === undefined ? undefined : fill(description, params);
    this.href = options.href;
    this.headers = options.headers ?? {};
  }

  toJSON(): DittoErrorJson {
    const out: { status: number; error: string; message: string; description?: string; href?: string } = {
      status: this.status,
      error: this.error,
      message: this.message,
    };
    if (this.description !== undefined) out.description = this.description;
    if (this.href !== undefined) out.href = this.href;
    return out;
  }
}

export function isDittoError(e: unknown): e is DittoError {
  return e instanceof DittoError;
}
