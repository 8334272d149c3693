// Edit a connection without retyping its secrets (a secret left blank keeps its saved value,
// while the connection points at the same host), and rename it.
import { useState } from 'react';
import { api, connectionPath } from './api.js';
import { ErrorBox, go, useLoad } from './ui.jsx';
import { NameField, splitErrors } from './create.jsx';
import { SettingsForm } from '../forms/rjsf.jsx';

export function EditConnection({ name }) {
  const [loaded, loadError] = useLoad(async () => {
    const connection = await api('GET', connectionPath(name));
    const form = await api('GET', `/api/providers/${encodeURIComponent(connection.provider)}/form?edit=true`);
    return { connection, form };
  }, name);
  const [formData, setFormData] = useState(null);
  const [extraErrors, setExtraErrors] = useState(undefined);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  if (loadError) return <ErrorBox error={loadError} />;
  if (!loaded) return <p className="muted">Loading…</p>;
  const { connection, form } = loaded;

  async function save(settings) {
    setSaving(true);
    setError(null);
    try {
      const saved = await api('PUT', connectionPath(name), { settings });
      go(`/connections/${encodeURIComponent(saved.name)}`);
    } catch (e) {
      const split = splitErrors(e);
      setExtraErrors(Object.keys(split.settings).length ? split.settings : undefined);
      setError(e);
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <p>
        <a href={`#/connections/${encodeURIComponent(name)}`}>← {name}</a>
      </p>
      <h1>Edit {connection.name}</h1>
      <p className="muted">
        Saved secrets are not shown: leave a secret blank to keep it, or type a new one to replace it. Pointing
        the connection at another host needs its secrets typed again: a saved secret is only sent where it was
        entered for. Saving forgets the last test.
      </p>
      <ErrorBox error={error} />
      <SettingsForm
        form={form}
        formData={formData ?? connection.settings}
        onChange={(d) => (setFormData(d), setExtraErrors(undefined))}
        onSubmit={save}
        extraErrors={extraErrors}
      >
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save changes'}
          </button>
          <a href={`#/connections/${encodeURIComponent(name)}`}>Cancel</a>
        </div>
      </SettingsForm>
    </>
  );
}

export function RenamePanel({ name }) {
  const [to, setTo] = useState(name);
  const [error, setError] = useState(null);
  const [fieldError, setFieldError] = useState(null);
  async function rename(event) {
    event.preventDefault();
    if (to.trim() === '') return setFieldError('is required');
    try {
      const renamed = await api('POST', connectionPath(name, '/rename'), { to: to.trim() });
      go(`/connections/${encodeURIComponent(renamed.name)}`);
    } catch (e) {
      setFieldError(splitErrors(e).name || (e.status === 409 ? e.message : null));
      setError(e);
    }
  }
  return (
    <section className="panel" id="rename">
      <h2>Rename</h2>
      <form onSubmit={rename}>
        <NameField value={to} onChange={(v) => (setTo(v), setFieldError(null))} error={fieldError} label="New name" />
        <button type="submit">Rename</button>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}
