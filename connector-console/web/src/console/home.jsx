// The start page: saved connections (with the green check and last test) and the providers.
import { api } from './api.js';
import { ErrorBox, StatusBadge, When, useLoad } from './ui.jsx';

export function Home() {
  const [connections, error] = useLoad(() => api('GET', '/api/connections'), 'connections');
  const [providers, providersError] = useLoad(() => api('GET', '/api/providers'), 'providers');
  const names = Object.fromEntries((providers || []).map((p) => [p.id, p.name]));
  return (
    <>
      <h1>Connections</h1>
      <ErrorBox error={error} />
      {connections && connections.length === 0 && (
        <p className="muted" id="no-connections">No connection yet: pick a provider below.</p>
      )}
      {connections && connections.length > 0 && (
        <table className="connections">
          <thead>
            <tr>
              <th>Name</th>
              <th>Provider</th>
              <th>Status</th>
              <th>Last test</th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={c.id} data-connection={c.name}>
                <td>
                  <a href={`#/connections/${encodeURIComponent(c.name)}`}>{c.name}</a>
                </td>
                <td>{names[c.provider] || c.provider}</td>
                <td>
                  <StatusBadge status={c.status} />
                </td>
                <td>
                  <When at={c.last_test?.at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New connection</h2>
      <ErrorBox error={providersError} />
      <div className="tiles">
        {(providers || []).map((p) => (
          <section className="tile" key={p.id} data-provider={p.id}>
            <h3>{p.name}</h3>
            <p>{p.description}</p>
            <p className="links">
              <a className="button" href={`#/new/${encodeURIComponent(p.id)}`}>
                Connect {p.name}
              </a>{' '}
              <a href={p.docs_url} target="_blank" rel="noreferrer">
                API docs
              </a>
            </p>
          </section>
        ))}
      </div>
    </>
  );
}
