// The SDK's settings forms in JSON Forms with its vanilla renderers, plus the small renderers
// vanilla lacks for them: a choice (`oneOf`, such as an auth method) with its discriminator
// hidden and its secrets masked, an object's fields (a key file's), a collapsed group
// (`options.collapsed`), and error messages in plain words. A product on JSON Forms can take these as they are.
import { JsonForms, JsonFormsDispatch, withJsonFormsControlProps, withJsonFormsLayoutProps, withJsonFormsOneOfProps } from '@jsonforms/react';
import { and, isObjectControl, isOneOfControl, not, optionIs, rankWith, uiTypeIs, Paths } from '@jsonforms/core';
import { vanillaCells, vanillaRenderers } from '@jsonforms/vanilla-renderers';
import { useEffect } from 'react';

function resolve(schema, root) {
  const ref = schema?.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  return ref
    .slice(2)
    .split('/')
    .reduce((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root);
}

/** The constant (discriminator) values of a choice's option: `{method: "bearer"}`. */
function constants(option) {
  return Object.fromEntries(
    Object.entries(option.properties || {})
      .filter(([, p]) => p.const !== undefined)
      .map(([name, p]) => [name, p.const]),
  );
}

/** The option's layout: its fields but the discriminator, secrets as password inputs. */
function optionLayout(option, placeholder) {
  return {
    type: 'VerticalLayout',
    elements: Object.entries(option.properties || {})
      .filter(([, p]) => p.const === undefined)
      .map(([name, p]) => {
        const control = { type: 'Control', scope: `#/properties/${name}` };
        if (p['x-secret'] || p.writeOnly) {
          control.options = { format: 'password', ...(placeholder ? { placeholder } : {}) };
        }
        return control;
      }),
  };
}

/** The property a control's scope names, as written (before its `$ref` is followed). */
function written(scope, root) {
  return String(scope || '')
    .replace(/^#\//, '')
    .split('/')
    .reduce((node, key) => node?.[key], root);
}

function Choice({ schema, rootSchema, uischema, data, path, label, required, handleChange, renderers, cells, id, visible, config }) {
  const property = written(uischema?.scope, rootSchema) || {};
  const description = property.description || schema.description;
  const options = (schema.oneOf || []).map((o) => resolve(o, rootSchema));
  const chosen = Math.max(
    0,
    options.findIndex((o) => Object.entries(constants(o)).every(([k, v]) => data?.[k] === v)),
  );
  const option = options[chosen];
  // The discriminator is set by the choice, never typed: set it when the data lacks it
  // (after the form's own start-up, which would replace it with the initial data).
  useEffect(() => {
    if (option && Object.entries(constants(option)).some(([k, v]) => data?.[k] !== v)) {
      const later = setTimeout(() => handleChange(path, { ...(data || {}), ...constants(option) }), 0);
      return () => clearTimeout(later);
    }
    return undefined;
  }, [chosen, data]);
  if (!visible || !option) return null;
  return (
    <div className="control choice" id={id}>
      <label htmlFor={`${id}-select`}>
        {uischema?.label || property.title || label}
        {required ? '*' : ''}
      </label>
      <select id={`${id}-select`} value={chosen} onChange={(e) => handleChange(path, constants(options[Number(e.target.value)]))}>
        {options.map((o, i) => (
          <option key={i} value={i}>
            {o.title || `Option ${i + 1}`}
          </option>
        ))}
      </select>
      {description && <div className="input-description">{description}</div>}
      <JsonFormsDispatch
        schema={option}
        uischema={optionLayout(option, config?.secretPlaceholder)}
        path={path}
        renderers={renderers}
        cells={cells}
      />
    </div>
  );
}

/** An object (a key file's fields): its own fields, secrets masked, under its label. */
function ObjectFields({ schema, rootSchema, uischema, path, label, required, renderers, cells, visible, config, data, handleChange }) {
  // An empty object to fill, as RJSF starts one: its fields then say what they lack.
  useEffect(() => {
    if (data === undefined) {
      const later = setTimeout(() => handleChange(path, {}), 0);
      return () => clearTimeout(later);
    }
    return undefined;
  }, [data]);
  if (!visible) return null;
  const property = written(uischema?.scope, rootSchema) || {};
  const object = resolve(schema, rootSchema);
  const description = property.description || object.description;
  return (
    <fieldset className="control object">
      <legend>
        {uischema?.label || property.title || label}
        {required ? '*' : ''}
      </legend>
      {description && <div className="input-description">{description}</div>}
      <JsonFormsDispatch
        schema={object}
        uischema={optionLayout(object, config?.secretPlaceholder)}
        path={path}
        renderers={renderers}
        cells={cells}
      />
    </fieldset>
  );
}

function CollapsedGroup({ uischema, schema, path, renderers, cells, visible, enabled }) {
  if (!visible) return null;
  return (
    <details className="group field-group" data-group="advanced">
      <summary>{uischema.label}</summary>
      {(uischema.elements || []).map((element, i) => (
        <JsonFormsDispatch
          key={i}
          uischema={element}
          schema={schema}
          path={path}
          renderers={renderers}
          cells={cells}
          enabled={enabled}
        />
      ))}
    </details>
  );
}

/** Vanilla's renderers and the SDK's three. */
export const renderers = [
  ...vanillaRenderers,
  { tester: rankWith(10, isOneOfControl), renderer: withJsonFormsOneOfProps(Choice) },
  { tester: rankWith(9, and(isObjectControl, not(isOneOfControl))), renderer: withJsonFormsControlProps(ObjectFields) },
  { tester: rankWith(10, and(uiTypeIs('Group'), optionIs('collapsed', true))), renderer: withJsonFormsLayoutProps(CollapsedGroup) },
];

/** Plain words for AJV's messages where the SDK's schema rule has one meaning. */
export function translateError(error) {
  if (error.keyword === 'pattern' && error.params?.pattern === '\\S') return 'must not be blank';
  const forbidden = error.keyword === 'pattern' && /^\^\[\^(.)\]\*\$$/.exec(error.params?.pattern || '');
  if (forbidden) return `must not contain “${forbidden[1]}”`;
  if (error.keyword === 'required') return 'is required';
  return error.message;
}

/** A JSON Forms form of the SDK's settings. */
export function JsonFormsSettings({ form, data, onChange, showErrors, edit }) {
  return (
    <JsonForms
      schema={form.schema}
      uischema={form.json_forms_ui_schema}
      data={data}
      renderers={renderers}
      cells={vanillaCells}
      config={{ showUnfocusedDescription: true, secretPlaceholder: edit ? 'unchanged' : undefined }}
      validationMode={showErrors ? 'ValidateAndShow' : 'ValidateAndHide'}
      i18n={{ translateError }}
      onChange={onChange}
    />
  );
}

export { Paths };
