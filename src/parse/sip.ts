/**
 * SIP message text (RFC 3261 section 7): the start line, the headers that
 * media following needs, and the body. Only frames on the policy's SIP
 * ports reach this parser, so it may build strings; it never throws on bad
 * input, it returns null.
 *
 * Compact header forms (RFC 3261 section 7.3.3) are accepted, because real
 * clients send them: i Call-ID, c Content-Type, l Content-Length, f From, t To.
 */

export interface SipMessage {
  isRequest: boolean;
  /** Request method, or '' for a response. */
  method: string;
  /** Response status code, or 0 for a request. */
  status: number;
  callId: string;
  /** The method named by CSeq (which request a response answers). */
  cseqMethod: string;
  from: string;
  to: string;
  contentType: string;
  /** The message body, or '' when there is none. */
  body: string;
}

const COMPACT: Record<string, string> = {
  i: 'call-id',
  c: 'content-type',
  l: 'content-length',
  f: 'from',
  t: 'to',
  m: 'contact',
  v: 'via',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};

/** Longest header section read; longer ones are not SIP we follow. */
export const MAX_SIP_HEADER_LEN = 16384;

const REQUEST_LINE = /^([A-Z][A-Z0-9._!%*+`'~-]*) \S+ SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d)(?: .*)?$/;

/**
 * Where the header section ends: the index just past the empty line, or -1
 * when it has not all arrived. Accepts bare LF line ends (RFC 3261 7.5 asks
 * for CRLF, but tolerant readers take LF).
 */
export function headerEnd(text: string): number {
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) return crlf + 4;
  return lf + 2;
}

/** Unfolds continuation lines and splits the header section into lines. */
function headerLines(head: string): string[] {
  const raw = head.split(/\r?\n/);
  const lines: string[] = [];
  for (const line of raw) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else if (line !== '') {
      lines.push(line);
    }
  }
  return lines;
}

export interface SipHead {
  startLine: string;
  headers: Map<string, string>;
  /** Index in the text where the body begins. */
  bodyStart: number;
  /** Content-Length, or -1 when absent. */
  contentLength: number;
}

/** Parses the start line and headers; null when the text is not a SIP message head. */
export function parseSipHead(text: string): SipHead | null {
  const end = headerEnd(text);
  if (end < 0 || end > MAX_SIP_HEADER_LEN) return null;
  const lines = headerLines(text.slice(0, end));
  if (lines.length === 0) return null;
  const startLine = lines[0].trim();
  if (!REQUEST_LINE.test(startLine) && !STATUS_LINE.test(startLine)) return null;
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) continue;
    let name = lines[i].slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    const value = lines[i].slice(colon + 1).trim();
    // Only the first instance matters for the headers read here.
    if (!headers.has(name)) headers.set(name, value);
  }
  const lengthText = headers.get('content-length');
  let contentLength = -1;
  if (lengthText !== undefined) {
    if (!/^\d{1,7}$/.test(lengthText)) return null;
    contentLength = Number(lengthText);
  }
  return { startLine, headers, bodyStart: end, contentLength };
}

/**
 * For stream transports (TCP): the length of the first complete message in
 * `text` (headers plus Content-Length body), -1 when more bytes are needed,
 * or -2 when the text cannot be SIP framing (no Content-Length on a stream,
 * or not a SIP head).
 */
export function sipFrameLength(text: string): number {
  let start = 0;
  // Keep-alive CRLFs (RFC 5626 section 3.5.1) may sit between messages.
  while (start < text.length && (text[start] === '\r' || text[start] === '\n')) start++;
  const rest = start === 0 ? text : text.slice(start);
  const end = headerEnd(rest);
  if (end < 0) return rest.length > MAX_SIP_HEADER_LEN ? -2 : -1;
  const head = parseSipHead(rest);
  if (head === null || head.contentLength < 0) return -2;
  const total = start + head.bodyStart + head.contentLength;
  return total <= text.length ? total : -1;
}

/** Parses a whole message; `datagram` true when the body runs to the end (UDP). */
export function parseSipMessage(text: string, datagram: boolean): SipMessage | null {
  const head = parseSipHead(text);
  if (head === null) return null;
  const request = REQUEST_LINE.exec(head.startLine);
  const status = request ? null : STATUS_LINE.exec(head.startLine);
  let bodyEnd = text.length;
  if (head.contentLength >= 0) {
    bodyEnd = head.bodyStart + head.contentLength;
    if (bodyEnd > text.length) {
      if (!datagram) return null;
      bodyEnd = text.length;
    }
  }
  const cseq = (head.headers.get('cseq') ?? '').split(/\s+/);
  return {
    isRequest: request !== null,
    method: request ? request[1] : '',
    status: status ? Number(status[1]) : 0,
    callId: head.headers.get('call-id') ?? '',
    cseqMethod: cseq.length >= 2 ? cseq[1].toUpperCase() : '',
    from: head.headers.get('from') ?? '',
    to: head.headers.get('to') ?? '',
    contentType: head.headers.get('content-type') ?? '',
    body: text.slice(head.bodyStart, bodyEnd),
  };
}

/**
 * The SDP carried by a message: the whole body for application/sdp, or the
 * application/sdp part of a multipart/mixed (RFC 2046 section 5.1) body.
 */
export function sdpOf(message: SipMessage): string | null {
  const type = message.contentType.toLowerCase();
  if (type.startsWith('application/sdp')) return message.body;
  if (!type.startsWith('multipart/')) return null;
  const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(message.contentType);
  if (!boundary) return null;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  for (const part of message.body.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const partHeadEnd = headerEnd(part.replace(/^\r?\n/, ''));
    const partText = part.replace(/^\r?\n/, '');
    if (partHeadEnd < 0) continue;
    const partHead = partText.slice(0, partHeadEnd);
    if (/^content-type\s*:\s*application\/sdp/im.test(partHead)) {
      return partText.slice(partHeadEnd).replace(/\r?\n$/, '');
    }
  }
  return null;
}
