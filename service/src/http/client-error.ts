import http, { type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Requests Node's parser refuses before any handler runs: the status, its reason phrase, our message. */
const REFUSALS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    'Request Header Fields Too Large',
    `the request line and headers exceed ${http.maxHeaderSize} bytes (is a model name or header too long?)`,
  ],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request was not received in time'],
};

/**
 * `clientError` handler: Node's own answers to these carry no body; ours carry the `{"error"}` JSON
 * every other failure has. Like Node's default, it stays silent once a response has begun.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const started = (socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
  if (err.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const [status, reason, message] = REFUSALS[err.code ?? ''] ?? [
    400,
    'Bad Request',
    `malformed HTTP request (${err.code ?? 'parse error'})`,
  ];
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
