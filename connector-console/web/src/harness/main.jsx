// The forms render harness: the browser tests load tests/forms-harness/index.html and call
// `window.renderForm(renderer, form, edit)` with a provider's form (as the console serves it);
// the form is rendered by react-jsonschema-form or JSON Forms, with a Submit button that
// records what a submit gave in `window.submitted` ({ok, data, errors}).
import { createRoot } from 'react-dom/client';
import { useState } from 'react';
import { SettingsForm } from '../forms/rjsf.jsx';
import { JsonFormsSettings } from '../forms/jsonforms.jsx';

let root;

function RjsfHarness({ form }) {
  const [data, setData] = useState({});
  return (
    <SettingsForm
      form={form}
      formData={data}
      onChange={setData}
      onSubmit={(d) => (window.submitted = { ok: true, data: d, errors: [] })}
      onError={(errors) => (window.submitted = { ok: false, data, errors: errors.map((e) => e.property) })}
    />
  );
}

function JsonFormsHarness({ form, edit }) {
  // JSON Forms owns the data once given: passing each change back would reset what its
  // renderers set meanwhile (the choice's discriminator).
  const [initial] = useState({});
  const [state, setState] = useState({ data: {}, errors: [] });
  const [shown, setShown] = useState(false);
  function submit(event) {
    event.preventDefault();
    setShown(true);
    window.submitted = {
      ok: state.errors.length === 0,
      data: state.data,
      errors: state.errors.map((e) => e.instancePath || e.params?.missingProperty),
    };
  }
  return (
    <form onSubmit={submit} className="jsonforms-harness">
      <JsonFormsSettings form={form} data={initial} edit={edit} showErrors={shown} onChange={({ data, errors }) => setState({ data, errors: errors || [] })} />
      <button type="submit" className="btn btn-info">
        Submit
      </button>
    </form>
  );
}

window.renderForm = (renderer, form, edit) => {
  window.submitted = null;
  if (root) root.unmount();
  root = createRoot(document.getElementById('root'));
  root.render(renderer === 'jsonforms' ? <JsonFormsHarness form={form} edit={edit} /> : <RjsfHarness form={form} />);
};
