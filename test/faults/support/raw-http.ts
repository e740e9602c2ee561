import { request as httpRequest } from "node:http";

/** What a client sends: any method, any path as written (not normalised), any headers and bytes. */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Set when no complete response came: the connection was refused, reset or closed early. */
  dropped?: string;
}

/**
 * One request on a connection of its own (no keep-alive, so a connection the server closed after
 * an earlier answer never looks like a drop). Resolves with the answer or with how it was dropped.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (response: RawResponse) => {
      if (!settled) {
        settled = true;
        resolve(response);
      }
    };
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        agent: false,
        headers: {
          connection: "close",
          ...(request.body !== undefined ? { "content-length": String(Buffer.byteLength(request.body)) } : {}),
          ...request.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (error) => settle({ status: res.statusCode ?? 0, headers: res.headers, text: "", json: undefined, dropped: error.message }));
        res.on("aborted", () => settle({ status: res.statusCode ?? 0, headers: res.headers, text: "", json: undefined, dropped: "aborted mid-body" }));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          settle({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on("error", (error) => settle({ status: 0, headers: {}, text: "", json: undefined, dropped: error.message }));
    req.end(request.body);
  });
}

/** The `{error: {code, message}}` of an answer, when it has one with a non-empty code and message. */
export function errorBody(json: unknown): { code: string; message: string } | undefined {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== "string" || typeof error.message !== "string") return undefined;
  if (error.code.trim() === "" || error.message.trim() === "") return undefined;
  return { code: error.code, message: error.message };
}
