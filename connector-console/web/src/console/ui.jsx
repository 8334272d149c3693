// Small pieces every view uses.
import { useEffect, useRef, useState } from 'react';

/** An API error: what happened, the fix, and the fields it concerns. */
export function ErrorBox({ error }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{error.message}</strong>
      {error.hint && <p className="hint">{error.hint}</p>}
      {error.fields?.length > 0 && (
        <ul>
          {error.fields.map((f) => (
            <li key={f.field + f.message}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A connection's status as a badge: the green check once a test passed. */
export function StatusBadge({ status }) {
  const label = { connected: '✓ Connected', failed: '✗ Failed', untested: 'Not tested' }[status] || status;
  return <span className={`badge ${status}`} data-status={status}>{label}</span>;
}

/** A timestamp in the reader's own time zone. */
export function When({ at }) {
  if (!at) return <span className="muted">never</span>;
  const d = new Date(at);
  return <time dateTime={at} title={at}>{isNaN(d) ? at : d.toLocaleString()}</time>;
}

/** Loads `load()` once (and again when `key` changes): [value, error, reload]. */
export function useLoad(load, key) {
  const [state, setState] = useState({ value: undefined, error: null });
  const [round, setRound] = useState(0);
  const loadedKey = useRef(key);
  useEffect(() => {
    let live = true;
    // A reload keeps showing what it had; another key starts blank.
    if (loadedKey.current !== key) setState({ value: undefined, error: null });
    loadedKey.current = key;
    load().then(
      (value) => live && setState({ value, error: null }),
      (error) => live && setState({ value: undefined, error }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, round]);
  return [state.value, state.error, () => setRound((r) => r + 1)];
}

/** Where the page is: `#/…` routes. */
export function go(path) {
  window.location.hash = path;
}
