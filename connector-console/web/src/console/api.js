// The console's HTTP API, as the page calls it: same origin, the session cookie that opening
// the printed URL set, JSON in and out. Errors keep the API's message, hint and fields.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.hint = body?.hint;
    this.hintFields = body?.hint_fields || [];
    this.fields = body?.fields || [];
  }
}

async function failure(res) {
  const body = await res.json().catch(() => null);
  return new ApiError(res.status, body?.error);
}

/** One call: `method` on `path` with an optional JSON `body`; the answer's JSON (or null). */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  return res.json();
}

/** The path of a connection's route. */
export function connectionPath(name, rest = '') {
  return `/api/connections/${encodeURIComponent(name)}${rest}`;
}

/**
 * *Test connection* as server-sent events: `onStep` gets each step as it settles; resolves
 * with the final report.
 */
export async function testConnection(name, onStep) {
  const res = await fetch(connectionPath(name, '/test'), {
    method: 'POST',
    headers: { Accept: 'text/event-stream' },
    credentials: 'same-origin',
  });
  if (!res.ok) throw await failure(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      const payload = data.length ? JSON.parse(data.join('\n')) : null;
      if (event === 'step') onStep(payload);
      if (event === 'report') return payload;
      if (event === 'error') throw new ApiError(500, payload?.error || payload);
    }
    if (done) throw new ApiError(502, { message: 'the test stopped before its report' });
  }
}
