// One connection: its settings (secrets only named), Test connection with each step as it
// settles, users, sync, rename and delete.
import { useState } from 'react';
import { api, connectionPath, testConnection } from './api.js';
import { ErrorBox, StatusBadge, When, go, useLoad } from './ui.jsx';
import { UsersPanel, SyncPanel } from './data.jsx';
import { RenamePanel } from './edit.jsx';

const ICONS = { passed: '✓', failed: '✗', skipped: '–' };

/** The steps of a test, as they arrive. */
export function Steps({ steps, running }) {
  return (
    <ol className="steps">
      {steps.map((s) => (
        <li key={s.id} className={`step ${s.status}`} data-step={s.id} data-status={s.status}>
          <span className="icon">{ICONS[s.status] || '?'}</span> <strong>{s.title}</strong>
          <div className="message">{s.message}</div>
          {s.hint && <div className="hint">How to fix: {s.hint}</div>}
          {s.hint_fields?.length > 0 && (
            <div className="hint-fields">
              Check: {s.hint_fields.map((f) => <code key={f}>{f}</code>)}
            </div>
          )}
        </li>
      ))}
      {running && <li className="step running">Testing…</li>}
    </ol>
  );
}

function TestPanel({ name, onDone }) {
  const [steps, setSteps] = useState([]);
  const [report, setReport] = useState(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState(null);
  async function run() {
    setSteps([]);
    setReport(null);
    setError(null);
    setRunning(true);
    try {
      const done = await testConnection(name, (step) => setSteps((all) => [...all, step]));
      setSteps(done.steps);
      setReport(done);
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
      onDone();
    }
  }
  return (
    <section className="panel" id="test">
      <h2>Test connection</h2>
      <button type="button" className="primary" id="run-test" onClick={run} disabled={running}>
        {running ? 'Testing…' : 'Test connection'}
      </button>
      <ErrorBox error={error} />
      {(steps.length > 0 || running) && <Steps steps={steps} running={running} />}
      {report && (
        <p className={`verdict ${report.passed ? 'passed' : 'failed'}`} id="verdict">
          {report.passed ? '✓ The connection works.' : '✗ The connection does not work yet: see the step that failed.'}
        </p>
      )}
    </section>
  );
}

/** The last export: when, how many users, or why it failed. */
function LastExport({ record }) {
  if (!record) return <span className="muted">never</span>;
  return (
    <span id="last-export" data-ok={record.ok ? 'true' : 'false'}>
      <When at={record.at} />
      {record.ok ? `, ${record.users} users` : ` (failed: ${record.message || 'did not complete'})`}
    </span>
  );
}

function Settings({ connection }) {
  const rows = Object.entries(connection.settings || {}).map(([k, v]) => [
    k,
    typeof v === 'object' ? JSON.stringify(v) : String(v),
  ]);
  return (
    <dl className="settings">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
      {connection.secret_fields.map((k) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className="muted">saved, encrypted (never shown)</dd>
        </div>
      ))}
      {Object.entries(connection.endpoints || {}).map(([k, v]) => (
        <div key={`endpoint-${k}`} className="endpoint">
          <dt>{k} endpoint</dt>
          <dd>
            {v} <span className="muted">(not the provider&apos;s production host: a sandbox or mock)</span>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function DeletePanel({ name }) {
  const [asked, setAsked] = useState(false);
  const [error, setError] = useState(null);
  async function remove() {
    try {
      await api('DELETE', connectionPath(name));
      go('/');
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section className="panel danger">
      <h2>Delete</h2>
      {!asked ? (
        <button type="button" id="delete" onClick={() => setAsked(true)}>
          Delete this connection…
        </button>
      ) : (
        <p id="confirm-delete">
          Delete <strong>{name}</strong>, its saved secrets and its sync state? This cannot be undone.{' '}
          <button type="button" className="danger" id="confirm-delete-yes" onClick={remove}>
            Delete
          </button>{' '}
          <button type="button" onClick={() => setAsked(false)}>
            Keep it
          </button>
        </p>
      )}
      <ErrorBox error={error} />
    </section>
  );
}

export function ConnectionPage({ name }) {
  const [connection, error, reload] = useLoad(() => api('GET', connectionPath(name)), name);
  if (error) return <ErrorBox error={error} />;
  if (!connection) return <p className="muted">Loading…</p>;
  return (
    <>
      <p>
        <a href="#/">← Connections</a>
      </p>
      <h1>
        {connection.name} <StatusBadge status={connection.status} />
      </h1>
      <p className="muted">
        {connection.provider} · last test <When at={connection.last_test?.at} /> · saved{' '}
        <When at={connection.updated_at} /> · last export <LastExport record={connection.last_export} />
      </p>
      <Settings connection={connection} />
      <p>
        <a className="button" id="edit" href={`#/connections/${encodeURIComponent(connection.name)}/edit`}>
          Edit settings
        </a>
      </p>
      <TestPanel name={connection.name} onDone={reload} />
      <UsersPanel name={connection.name} />
      <SyncPanel name={connection.name} />
      <RenamePanel name={connection.name} />
      <DeletePanel name={connection.name} />
    </>
  );
}
