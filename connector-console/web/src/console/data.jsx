// A connection's data: the first users in a table with full downloads, and a sync's events.
import { useState } from 'react';
import { api, connectionPath } from './api.js';
import { ErrorBox } from './ui.jsx';

const COLUMNS = [
  ['id', 'Id'],
  ['display_name', 'Name'],
  ['email', 'E-mail'],
  ['job_title', 'Job'],
  ['department', 'Department'],
  ['manager_id', 'Manager'],
  ['status', 'Status'],
];

export function UsersPanel({ name }) {
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function load() {
    setBusy(true);
    setError(null);
    try {
      setPage(await api('GET', connectionPath(name, '/users?limit=50')));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="panel" id="users">
      <h2>Users</h2>
      <button type="button" id="show-users" onClick={load} disabled={busy}>
        {busy ? 'Listing…' : 'Show the first users'}
      </button>{' '}
      <a className="button" id="download-csv" href={connectionPath(name, '/users.csv')} download>
        Download all (CSV)
      </a>{' '}
      <a className="button" id="download-jsonl" href={connectionPath(name, '/users.jsonl')} download>
        Download all (JSONL)
      </a>
      <ErrorBox error={error} />
      {page && (
        <>
          <p className="muted" id="users-summary">
            {page.users.length} shown{page.limited ? ` of ${page.summary?.records ?? 'more'} records listed` : ''}
          </p>
          <div className="scroll">
            <table className="users">
              <thead>
                <tr>
                  {COLUMNS.map(([, title]) => (
                    <th key={title}>{title}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {page.users.map((u) => (
                  <tr key={u.id}>
                    {COLUMNS.map(([key]) => (
                      <td key={key}>{u[key] ?? ''}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function change(value) {
  if (value && typeof value === 'object' && ('before' in value || 'after' in value)) {
    return `${show(value.before)} → ${show(value.after)}`;
  }
  return show(value);
}

function show(value) {
  if (value === null || value === undefined) return '∅';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function SyncPanel({ name }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function run(commit) {
    setBusy(true);
    setError(null);
    try {
      setResult(await api('POST', connectionPath(name, commit ? '/sync?commit=true' : '/sync')));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="panel" id="sync">
      <h2>Sync</h2>
      <p className="muted">
        Who joined, moved and left since the last committed sync. A preview commits nothing, so the sync
        that feeds your provisioning still finds these events; commit when this console is the only reader
        (or to record a first baseline).
      </p>
      <button type="button" id="sync-preview" onClick={() => run(false)} disabled={busy}>
        Preview sync
      </button>{' '}
      <button type="button" id="sync-commit" onClick={() => run(true)} disabled={busy}>
        Sync and commit
      </button>
      <ErrorBox error={error} />
      {result && (
        <div id="sync-result">
          <p>
            {result.baseline ? 'First sync: a baseline of ' : ''}
            {result.users} users; {result.events.length} events
            {Object.entries(result.counts).map(([k, n]) => ` · ${n} ${k}`)}
            {result.committed ? ' · committed' : ' · preview (not committed)'}
          </p>
          {result.events.length > 0 && (
            <div className="scroll">
              <table className="events">
                <thead>
                  <tr>
                    <th>Event</th>
                    <th>User</th>
                    <th>Effective</th>
                    <th>Before → after</th>
                  </tr>
                </thead>
                <tbody>
                  {result.events.map((e) => (
                    <tr key={e.event_id} data-event={e.type}>
                      <td>
                        <span className={`event ${e.type}`}>{e.type.replace('_', ' ')}</span>
                      </td>
                      <td>{e.user_id}</td>
                      <td>{e.effective_date || ''}</td>
                      <td>
                        <ul className="changes">
                          {Object.entries(e.changes || {}).map(([field, value]) => (
                            <li key={field}>
                              <code>{field}</code> {change(value)}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
