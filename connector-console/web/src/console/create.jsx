// A new connection: its name, the provider's settings form, Save. Every problem is shown at
// once, by field: the form's own checks first, then the console's (the connector's rules).
import { useState } from 'react';
import { api, connectionPath } from './api.js';
import { ErrorBox, go, useLoad } from './ui.jsx';
import { SettingsForm, errorSchemaOf } from '../forms/rjsf.jsx';

/** The connection-name input: required, starred, with its own error. */
export function NameField({ value, onChange, error, label = 'Connection name' }) {
  return (
    <div className={`form-group field name-field${error ? ' field-error has-error' : ''}`}>
      <label className="control-label" htmlFor="connection-name">
        {label}
        <span className="required">*</span>
      </label>
      <input
        id="connection-name"
        className="form-control"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="e.g. Payroll"
        autoComplete="off"
      />
      <p className="field-description">The name you will know this connection by; unique in this console.</p>
      {error && (
        <ul className="error-detail">
          <li className="text-danger">{error}</li>
        </ul>
      )}
    </div>
  );
}

/** Splits an API error's fields into the name's message and the settings' error schema. */
export function splitErrors(error) {
  const fields = error?.fields || [];
  const name = fields.find((f) => f.field === 'name' || f.field === 'to')?.message;
  const settings = fields
    .filter((f) => f.field !== 'name' && f.field !== 'to')
    .map((f) => ({ ...f, field: f.field.replace(/^settings\./, '') }));
  return { name, settings: errorSchemaOf(settings) };
}

export function NewConnection({ provider }) {
  const [loaded, loadError] = useLoad(
    () =>
      Promise.all([
        api('GET', `/api/providers/${encodeURIComponent(provider)}/form`),
        api('GET', '/api/providers'),
      ]),
    provider,
  );
  const [name, setName] = useState('');
  const [formData, setFormData] = useState({});
  const [nameError, setNameError] = useState(null);
  const [extraErrors, setExtraErrors] = useState(undefined);
  const [error, setError] = useState(null);
  const [saving, setSaving] = useState(false);
  if (loadError) return <ErrorBox error={loadError} />;
  if (!loaded) return <p className="muted">Loading…</p>;
  const [form, providers] = loaded;
  const tile = providers.find((p) => p.id === provider) || { name: provider };
  const blankName = () => (name.trim() === '' ? 'is required' : null);

  async function save(settings) {
    const problem = blankName();
    setNameError(problem);
    if (problem) return;
    setSaving(true);
    setError(null);
    try {
      const saved = await api('POST', '/api/connections', { name: name.trim(), provider, settings });
      go(`/connections/${encodeURIComponent(saved.name)}`);
    } catch (e) {
      const split = splitErrors(e);
      setNameError(split.name || (e.status === 409 ? e.message : null));
      setExtraErrors(Object.keys(split.settings).length ? split.settings : undefined);
      setError(e);
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <p>
        <a href="#/">← Connections</a>
      </p>
      <h1>New {tile.name} connection</h1>
      {tile.sandbox_settings && (
        <p className="sandbox-offer">
          No tenant at hand?{' '}
          <button
            type="button"
            id="use-sandbox"
            onClick={() => {
              setFormData(tile.sandbox_settings);
              if (!name) setName(`${tile.name} sandbox`);
            }}
          >
            Fill in the sandbox's settings
          </button>
        </p>
      )}
      <ErrorBox error={error} />
      <NameField value={name} onChange={(v) => (setName(v), setNameError(null))} error={nameError} />
      <SettingsForm
        form={form}
        formData={formData}
        onChange={(d) => (setFormData(d), setExtraErrors(undefined))}
        onSubmit={save}
        onError={() => setNameError(blankName())}
        extraErrors={extraErrors}
      >
        <div className="actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <a href="#/">Cancel</a>
        </div>
      </SettingsForm>
      <p className="muted">Secrets are encrypted in the connection store and never shown again.</p>
    </>
  );
}

export { connectionPath };
