/** Every Err ends with the id of its request; this many hex digits. */
export const REQUEST_ID = /^[0-9a-f]{6}$/;

/** Matches exactly `text` followed by the request id volplex appends to every Err (" [req 7f3a2c]"). */
export function exactErr(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\[req [0-9a-f]{6}\\]$`);
}

/** The request id at the end of an Err, or undefined. */
export function requestIdOfErr(err: string): string | undefined {
  return / \[req ([0-9a-f]{6})\]$/.exec(err)?.[1];
}
