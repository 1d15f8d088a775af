const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** The first HTTP response in what a raw exchange received. */
export function parseRawReply(received: string): Reply | undefined {
  const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(received);
  if (match === null) {
    return undefined;
  }
  const [, status = '', head = '', rest = ''] = match;
  const length = /(?:^|\r\n)content-length: *(\d+)/i.exec(head)?.[1];
  return {
    status: Number(status),
    contentType: /(?:^|\r\n)content-type: *([^\r\n]*)/i.exec(head)?.[1] ?? '',
    text: length === undefined ? rest : Buffer.from(rest).subarray(0, Number(length)).toString('utf8'),
  };
}

/** What is wrong with a reply, by the protocol's rules: HTTP with a JSON body, and an Err worth reading on failure. */
export function replyProblems(reply: Reply | undefined, secret?: string): string[] {
  if (reply === undefined) {
    return ['the reply is not HTTP/1.1'];
  }
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return [`status ${reply.status}: the body is not JSON: ${JSON.stringify(reply.text.slice(0, 200))}`];
  }
  const problems: string[] = [];
  if (!reply.contentType.startsWith('application/json')) {
    problems.push(`content-type ${JSON.stringify(reply.contentType)}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return [...problems, 'the body is not a JSON object'];
  }
  const err = (body as { Err?: unknown }).Err;
  if (typeof err !== 'string') {
    return [...problems, 'the body has no Err string'];
  }
  if (reply.status === 200 && err !== '') {
    problems.push(`200 with Err ${JSON.stringify(err)}`);
  }
  if (reply.status !== 200) {
    if (err === '') {
      problems.push(`status ${reply.status} with an empty Err`);
    }
    if (!/ \[req [0-9a-f]{6}\]$/.test(err)) {
      problems.push(`an Err without its request id at the end: ${JSON.stringify(err)}`);
    }
    if (UNPRINTABLE.test(err)) {
      problems.push(`an Err with an unprintable character: ${JSON.stringify(err)}`);
    }
    if (reply.status === 500) {
      problems.push(`an internal error for what the client sent: ${err}`);
    }
  }
  if (secret !== undefined && reply.text.includes(secret)) {
    problems.push('the reply shows a sensitive option value');
  }
  return problems;
}
