// The connection console's page: providers as tiles, saved connections, a provider's form,
// Test connection with live steps, users and sync. Routes live in the URL's hash:
//   #/                       connections and providers
//   #/new/{provider}         a new connection's form
//   #/connections/{name}     one connection: test, users, sync, rename, delete
//   #/connections/{name}/edit
import { createRoot } from 'react-dom/client';
import { useEffect, useState } from 'react';
import { Home } from './home.jsx';
import { NewConnection } from './create.jsx';
import { ConnectionPage } from './connection.jsx';
import { EditConnection } from './edit.jsx';

function route() {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return parts.filter((p, i) => p !== '' || i === 0);
}

function App() {
  const [parts, setParts] = useState(route);
  useEffect(() => {
    const changed = () => {
      setParts(route());
      window.scrollTo(0, 0);
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  let view;
  if (parts[0] === 'new' && parts[1]) view = <NewConnection provider={parts[1]} />;
  else if (parts[0] === 'connections' && parts[1] && parts[2] === 'edit') view = <EditConnection name={parts[1]} />;
  else if (parts[0] === 'connections' && parts[1]) view = <ConnectionPage key={parts[1]} name={parts[1]} />;
  else view = <Home />;
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">Connector console</a>
        <a href="/api/openapi.json" className="muted">API (OpenAPI)</a>
      </header>
      <main>{view}</main>
    </>
  );
}

createRoot(document.getElementById('root')).render(<App />);
