// The SDK's settings forms in react-jsonschema-form: the stock widgets, plus one object
// template that honours the uiSchema's `ui:options.groups` (the SDK puts tuning settings in a
// collapsed "Advanced settings" group). Shared by the console and the render harness.
import Form from '@rjsf/core';
import { getDefaultRegistry } from '@rjsf/core';
import validator from '@rjsf/validator-ajv8';

const DefaultObjectTemplate = getDefaultRegistry().templates.ObjectFieldTemplate;

function hasErrors(errorSchema, names) {
  return names.some((n) => {
    const e = errorSchema && errorSchema[n];
    return e && (e.__errors?.length > 0 || Object.keys(e).length > 0);
  });
}

/** The object template: ungrouped properties as usual, each group in a <details>. */
export function GroupedObjectTemplate(props) {
  const groups = props.uiSchema?.['ui:options']?.groups;
  if (!Array.isArray(groups) || groups.length === 0) {
    return <DefaultObjectTemplate {...props} />;
  }
  const grouped = new Set(groups.flatMap((g) => g.fields));
  const main = props.properties.filter((p) => !grouped.has(p.name));
  return (
    <>
      <DefaultObjectTemplate {...props} properties={main} />
      {groups.map((g) => {
        const members = props.properties.filter((p) => g.fields.includes(p.name));
        if (members.length === 0) return null;
        // A collapsed group opens when one of its fields has an error to show.
        const open = !g.collapsed || hasErrors(props.errorSchema, g.fields);
        return (
          <details key={g.id} className="field-group" data-group={g.id} open={open}>
            <summary>{g.title}</summary>
            {members.map((p) => p.content)}
          </details>
        );
      })}
    </>
  );
}

/** `{"auth.token": "…"}`-style field paths (the SDK's) as RJSF's nested error schema. */
export function errorSchemaOf(fields) {
  const out = {};
  for (const { field, message } of fields || []) {
    let node = out;
    for (const part of String(field).split('.').filter(Boolean)) {
      node[part] = node[part] || {};
      node = node[part];
    }
    node.__errors = [...(node.__errors || []), message];
  }
  return out;
}

/** An RJSF form with the SDK's template and the AJV 8 validator (draft-07). */
export function SettingsForm({ form, formData, onChange, onSubmit, onError, extraErrors, children, formRef, idPrefix }) {
  return (
    <Form
      ref={formRef}
      schema={form.schema}
      uiSchema={form.ui_schema}
      validator={validator}
      templates={{ ObjectFieldTemplate: GroupedObjectTemplate }}
      formData={formData}
      onChange={onChange && ((e) => onChange(e.formData))}
      onSubmit={onSubmit && ((e) => onSubmit(e.formData))}
      onError={onError}
      extraErrors={extraErrors}
      transformErrors={transformErrors}
      showErrorList="top"
      noHtml5Validate
      idPrefix={idPrefix}
    >
      {children}
    </Form>
  );
}

/** Plain words for AJV's messages where the SDK's schema rule has one meaning. */
export function transformErrors(errors) {
  // A choice's options that are not chosen: their discriminator (a `const`) does not match.
  // Their errors (a bearer token missing while Basic is chosen) are not the user's to fix.
  const unchosen = errors
    .filter((e) => e.name === 'const')
    .map((e) => /^(.*\/(oneOf|anyOf)\/\d+)\//.exec(e.schemaPath || '')?.[1])
    .filter(Boolean);
  // A blank field is told so once: its other patterns (a GUID's, say) say nothing more.
  const blank = new Set(errors.filter((e) => e.name === 'pattern' && e.params?.pattern === '\\S').map((e) => e.property));
  // A field's label, from an error whose stack quotes it ('Client secret' must …).
  const label = (property) =>
    errors.map((e) => e.property === property && /^'([^']+)'/.exec(e.stack || '')?.[1]).find(Boolean);
  return errors
    .filter((e) => !unchosen.some((branch) => (e.schemaPath || '').startsWith(`${branch}/`)))
    .filter((e) => !(e.name === 'oneOf' || e.name === 'anyOf' || e.name === 'const'))
    .filter((e) => !(e.name === 'pattern' && e.params?.pattern !== '\\S' && blank.has(e.property)))
    .map((e) => {
      if (e.name === 'pattern' && e.params?.pattern === '\\S') {
        const name = label(e.property);
        const stack = name ? `'${name}' must not be blank` : e.stack.replace(e.message, 'must not be blank');
        return { ...e, message: 'must not be blank', stack };
      }
      const forbidden = e.name === 'pattern' && /^\^\[\^(.)\]\*\$$/.exec(e.params?.pattern || '');
      if (forbidden) {
        const message = `must not contain “${forbidden[1]}”`;
        return { ...e, message, stack: e.stack.replace(e.message, message) };
      }
      if (e.name === 'required') {
        const field = /'(.*)'$/.exec(e.stack)?.[1] || e.params?.missingProperty;
        return { ...e, message: 'is required', stack: `${field}: is required` };
      }
      return e;
    });
}
